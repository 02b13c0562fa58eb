#!/usr/bin/env bash
# CPU profile of the served binary under wrk load:
#
#   bash bench/profile.sh [--query q50|flat] [--customers 2000] [--seconds 10]
#                         [--concurrency 10] [--database-url URL] [--out DIR]
#
# Builds clientele from the working tree with one extra file in a temp copy
# (net/http/pprof on a second 127.0.0.1 port; the repository is not
# changed), seeds a fresh SQLite database (or serves --database-url), drives
# the query with wrk and takes a CPU profile of the server meanwhile. Prints
# `go tool pprof -top` (flat and cumulative) and leaves the profile and the
# binary in --out (default: a temp dir) for `go tool pprof -http`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUERY=q50 CUSTOMERS=2000 SECONDS_=10 CONC=10 DB_URL="" OUT=""
while [ $# -gt 0 ]; do
	case "$1" in
	--query) QUERY=$2; shift 2 ;;
	--customers) CUSTOMERS=$2; shift 2 ;;
	--seconds) SECONDS_=$2; shift 2 ;;
	--concurrency) CONC=$2; shift 2 ;;
	--database-url) DB_URL=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "profile.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
export PATH="$PATH:/usr/local/go/bin" CGO_ENABLED=1
TMP=$(mktemp -d /tmp/clientele-profile.XXXXXX)
OUT=${OUT:-$TMP}
mkdir -p "$OUT"
PID=""
trap '[ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; [ "$OUT" = "$TMP" ] || rm -rf "$TMP"' EXIT

mkdir -p "$TMP/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$TMP/src" 2>/dev/null || true
cat >"$TMP/src/zz_pprof.go" <<'GO'
package main

import (
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	_ = os.WriteFile(os.Getenv("PPROF_ADDR_FILE"), []byte(ln.Addr().String()), 0o644)
	go http.Serve(ln, nil)
}
GO
(cd "$TMP/src" && go build -o "$OUT/clientele" .)
BIN=$OUT/clientele
if [ -z "$DB_URL" ]; then
	DB_URL="sqlite:$TMP/bench.db"
	"$BIN" seed --database-url "$DB_URL" --customers "$CUSTOMERS" --batch 250 >&2
fi
PORT=$((20000 + RANDOM % 20000))
PPROF_ADDR_FILE=$TMP/pprof.addr "$BIN" serve --addr "127.0.0.1:$PORT" --database-url "$DB_URL" --rate-limit 0 \
	--max-complexity 100000 >"$TMP/server.out" 2>"$TMP/server.log" </dev/null &
PID=$!
for _ in $(seq 1 240); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.25; done
CRED=$("$BIN" credentials create --database-url "$DB_URL" --kind integration --role admin --mode test --name profile --json)
TOKEN=$(curl -sS "http://127.0.0.1:$PORT/oauth/token" --data-urlencode grant_type=client_credentials \
	--data-urlencode "client_id=$(jq -r .client_id <<<"$CRED")" --data-urlencode "client_secret=$(jq -r .client_secret <<<"$CRED")" | jq -r .access_token)
jq -cn --rawfile q "bench/queries/$QUERY.graphql" '{query: $q, variables: {n: 50}}' >"$TMP/body.json"
BENCH_KIND=static BENCH_BODY=$TMP/body.json BENCH_TOKEN=$TOKEN \
	wrk -t "$((CONC < 2 ? CONC : 2))" -c "$CONC" -d "$((SECONDS_ + 4))s" -s bench/wrk/gql.lua "http://127.0.0.1:$PORT/graphql" >"$TMP/wrk.out" &
WRK=$!
sleep 2
curl -sS -o "$OUT/$QUERY.cpu" "http://$(cat "$TMP/pprof.addr")/debug/pprof/profile?seconds=$SECONDS_"
wait "$WRK"
grep '^BENCH' "$TMP/wrk.out" >&2 || true
echo "== $QUERY: top by flat time"
go tool pprof -top -nodecount=25 "$BIN" "$OUT/$QUERY.cpu" 2>/dev/null | sed -n '4,40p'
echo "== $QUERY: top by cumulative time"
go tool pprof -top -cum -nodecount=40 "$BIN" "$OUT/$QUERY.cpu" 2>/dev/null | sed -n '6,50p'
