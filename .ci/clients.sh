#!/usr/bin/env bash
# Real GraphQL client tooling against the running server (e2e/).
#
#   bash .ci/clients.sh        (from the repository root, as root)
#
# Fails when a schema or protocol change breaks a real client:
# 1. Builds the server (or takes CLIENTELE_BIN), writes its SDL to
#    e2e/schema.graphql, starts it on a free 127.0.0.1 port with a fresh
#    SQLite database and reads the admin token it prints at first start.
# 2. npm ci in e2e/.
# 3. The SDL is valid for graphql-js (buildSchema) and is the schema the
#    server serves by introspection (e2e/test/schema.test.mjs).
#    graphql-codegen (client preset) generates types for e2e/src from the
#    live endpoint by introspection; relay-compiler compiles e2e/relay
#    (@connection, @refetchable, @prependNode) against the SDL; tsc --noEmit
#    type-checks the code using both sets of generated types.
# 4. node --test: Apollo Client (normalised cache, relayStylePagination,
#    a mutation, error codes), graphql-ws (an event; a bad token closes with
#    4403) and SSE (graphql-sse and plain fetch).
# Every check runs even when an earlier one fails; the script exits non-zero
# if any failed. About 2 minutes with CLIENTELE_BIN and a warm npm cache
# (npm ci, which reinstalls e2e/node_modules, is about half of it), plus the
# go build without CLIENTELE_BIN.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
E2E=$ROOT/e2e
export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
export CGO_ENABLED="${CGO_ENABLED:-1}"

START=$SECONDS
STEP_START=$SECONDS
TMP=$(mktemp -d /tmp/clientele-clients.XXXXXX)
SERVER_PID=""
TIMES=()

say() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - START))"; }
step() { # step NAME: ends the previous step's timer, starts a new one
	if [ -n "${STEP_NAME:-}" ]; then
		TIMES+=("$(printf '%4ss  %s' "$((SECONDS - STEP_START))" "$STEP_NAME")")
	fi
	STEP_NAME=$1
	STEP_START=$SECONDS
	say "$1"
}
die() {
	echo "!! clients: $*" >&2
	exit 1
}

cleanup() {
	local rc=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ] && [ -f "$TMP/server.log" ]; then
		echo "--- server log (last 60 lines)"
		tail -n 60 "$TMP/server.log" | sed -E 's/(CLIENTELE_ADMIN_TOKEN=|client_secret=).*/\1<redacted>/' || true
	fi
	rm -rf "$TMP"
	if [ "$rc" -ne 0 ]; then
		echo "!! client e2e FAILED (exit $rc) in: ${STEP_NAME:-setup} after $((SECONDS - START))s" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	local p i
	p=$((20000 + RANDOM % 20000))
	for ((i = 0; i < 500; i++)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
	done
	return 1
}

# ---------------------------------------------------------------------------
step "tools"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "node/npm not found; installing nodejs and npm via apt"
	timeout 300 apt-get update -qq
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
echo "node $(node --version), npm $(npm --version)"
[ "$node_major" -ge 20 ] || die "Node.js 20 or later is needed (graphql-ws 6, AbortSignal.any); found $(node --version)"

# ---------------------------------------------------------------------------
step "server binary"
if [ -n "${CLIENTELE_BIN:-}" ]; then
	BIN=$CLIENTELE_BIN
	[ -x "$BIN" ] || die "CLIENTELE_BIN=$BIN is not an executable file"
	echo "using $BIN"
else
	command -v go >/dev/null 2>&1 || die "go not found (or set CLIENTELE_BIN)"
	BIN=$TMP/clientele
	timeout 900 go build -o "$BIN" .
	echo "built $BIN"
fi

# Whatever an earlier run generated must not hide a failure of this one.
rm -rf "$E2E/schema.graphql" "$E2E/src/gql" "$E2E/relay/__generated__"
# The SDL relay-compiler reads: what this binary serves, never a stale copy.
timeout 30 "$BIN" schema >"$TMP/schema.graphql"
[ -s "$TMP/schema.graphql" ] || die "'$BIN schema' printed nothing"
cp "$TMP/schema.graphql" "$E2E/schema.graphql"
echo "schema: $(wc -l <"$E2E/schema.graphql") lines"

PORT=$(free_port) || die "no free port"
URL="http://127.0.0.1:$PORT/graphql"
env -u TEST_DATABASE_URL -u DATABASE_URL "$BIN" serve \
	--addr "127.0.0.1:$PORT" \
	--database-url "sqlite:$TMP/db" \
	--rate-limit 0 >"$TMP/server.log" 2>&1 </dev/null &
SERVER_PID=$!
echo "server pid $SERVER_PID on 127.0.0.1:$PORT (starting while npm ci runs)"

# ---------------------------------------------------------------------------
step "npm ci (e2e)"
(cd "$E2E" && timeout 300 npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
(cd "$E2E" && node -e '
for (const p of ["@graphql-codegen/cli", "@graphql-codegen/client-preset", "typescript", "relay-compiler", "@apollo/client", "graphql", "graphql-ws", "ws", "graphql-sse"]) {
  console.log(`  ${p}@${require(`./node_modules/${p}/package.json`).version}`);
}')

# ---------------------------------------------------------------------------
step "server ready"
healthy=""
for _ in $(seq 1 120); do
	kill -0 "$SERVER_PID" 2>/dev/null || die "server exited before becoming healthy"
	if node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
		"http://127.0.0.1:$PORT/healthz"; then
		healthy=1
		break
	fi
	sleep 0.5
done
[ -n "$healthy" ] || die "server not healthy on /healthz within 60s"
TOKEN=""
for _ in $(seq 1 20); do
	TOKEN=$(sed -n 's/^CLIENTELE_ADMIN_TOKEN=\([^[:space:]]*\).*/\1/p' "$TMP/server.log" | head -n 1)
	[ -n "$TOKEN" ] && break
	sleep 0.25
done
[ -n "$TOKEN" ] || die "no CLIENTELE_ADMIN_TOKEN=<token> line in the server's output"
grep -q '^ *client_id=' "$TMP/server.log" || die "no client_id= line in the server's output"
grep -q '^ *client_secret=' "$TMP/server.log" || die "no client_secret= line in the server's output"
export CLIENTELE_URL=$URL CLIENTELE_TOKEN=$TOKEN
echo "healthy; admin token read from the server's output"

cd "$E2E"
# The checks below all run, so one run shows every kind of client that
# breaks; a check whose input is missing (tsc without generated types) is
# skipped. Any failure fails the script at the end.
FAILED=()
failed() {
	echo "!! clients: FAILED: $*" >&2
	FAILED+=("$STEP_NAME: $*")
}

# ---------------------------------------------------------------------------
step "clientele schema: valid SDL, same schema as introspection"
CLIENTELE_SCHEMA_FILE="$E2E/schema.graphql" timeout 120 node --test --test-timeout=60000 --test-reporter=spec \
	test/schema.test.mjs || failed "the SDL of '$BIN schema' is not valid or differs from the live introspection"

# ---------------------------------------------------------------------------
step "graphql-codegen (client preset) from the live endpoint"
generated=1
if timeout 180 npx --no-install graphql-codegen --config codegen.ts --errors-only; then
	ls src/gql
else
	generated=""
	failed "graphql-codegen (a document no longer validates against the live schema, or an unmapped scalar: see e2e/README.md)"
fi

# ---------------------------------------------------------------------------
step "relay-compiler on the SDL"
if timeout 120 npx --no-install relay-compiler relay.config.json; then
	ls relay/__generated__
else
	generated=""
	failed "relay-compiler"
fi

# ---------------------------------------------------------------------------
step "tsc --noEmit over code using the generated types"
if [ -z "$generated" ]; then
	failed "skipped: generated types missing (see above)"
elif timeout 180 npx --no-install tsc --noEmit -p tsconfig.json; then
	echo "no type errors"
else
	failed "tsc found type errors"
fi

# ---------------------------------------------------------------------------
step "node --test: Apollo Client, graphql-ws, SSE"
timeout 240 node --test --test-timeout=120000 --test-reporter=spec \
	test/apollo.test.mjs test/streams.test.mjs || failed "client tests"

# ---------------------------------------------------------------------------
step "server still healthy"
kill -0 "$SERVER_PID" 2>/dev/null || die "server died during the tests"
if grep -nE 'panic|fatal error|DATA RACE' "$TMP/server.log"; then
	failed "the server log shows a panic"
else
	echo "ok"
fi

TIMES+=("$(printf '%4ss  %s' "$((SECONDS - STEP_START))" "$STEP_NAME")")
STEP_NAME="summary"
echo
echo "== step times"
printf '%s\n' "${TIMES[@]}"
echo "total $((SECONDS - START))s"
if [ "${#FAILED[@]}" -gt 0 ]; then
	echo
	echo "== failed checks" >&2
	printf '  %s\n' "${FAILED[@]}" >&2
	exit 1
fi
echo "CLIENTS OK"
