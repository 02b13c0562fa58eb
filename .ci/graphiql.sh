#!/usr/bin/env bash
# GraphiQL in a real browser, with the network cut off.
#
#   bash .ci/graphiql.sh        (from the repository root, as root)
#
# 1. The committed build (internal/graphiql/dist) is what web/graphiql's
#    sources produce: npm ci, vite build into a temp dir, diff.
#    GRAPHIQL_SKIP_BUILD_CHECK=1 skips this step.
# 2. Builds the server (or takes CLIENTELE_BIN), starts it on a free 127.0.0.1 port with a fresh
#    SQLite database and reads the admin token it prints at first start.
# 3. Headless Chromium (Debian's; installed with apt if missing) drives the
#    page with every request to another host blocked: paste the token, the
#    schema loads, a mutation, a typed query and a subscription run
#    (web/graphiql/test/graphiql.test.mjs).
# Screenshots are written to the temp dir (paths printed); outside CI they
# are also copied to /tmp/graphiql-screenshot.png (the query),
# /tmp/graphiql-subscription.png and /tmp/graphiql-no-token.png.
# Exits non-zero on any failure; takes about 30 s once the Go build cache,
# npm's cache and Chromium are there.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
# playwright-core never downloads a browser; make sure nothing else tries.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

START=$SECONDS
TMP=$(mktemp -d /tmp/clientele-graphiql.XXXXXX)
SERVER_PID=""

say() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - START))"; }
die() {
	echo "!! graphiql: $*" >&2
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
		echo "--- server log (last 40 lines)"
		tail -n 40 "$TMP/server.log" || true
	fi
	# Keep the screenshots; drop the rest.
	find "$TMP" -mindepth 1 -maxdepth 1 ! -name '*.png' -exec rm -rf {} + 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		echo "!! graphiql browser test FAILED (exit $rc) after $((SECONDS - START))s" >&2
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

APT_UPDATED=""
apt_install() {
	if [ -z "$APT_UPDATED" ]; then
		timeout 300 apt-get update -qq
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

say "tools"
command -v node >/dev/null 2>&1 || apt_install nodejs npm
command -v npm >/dev/null 2>&1 || apt_install npm
command -v curl >/dev/null 2>&1 || apt_install curl
if [ ! -x /usr/bin/chromium ]; then
	echo "installing chromium (Debian)"
	apt_install chromium fonts-dejavu-core
fi
# Text in the screenshots needs at least one font.
if ! fc-list 2>/dev/null | grep -q .; then
	apt_install fonts-dejavu-core
fi
node --version
/usr/bin/chromium --version 2>/dev/null || true

if [ -z "${GRAPHIQL_SKIP_BUILD_CHECK:-}" ]; then
	say "the committed build is what web/graphiql produces"
	(
		cd web/graphiql
		timeout 300 npm ci --prefer-offline --no-audit --no-fund --loglevel=error
		GRAPHIQL_OUT_DIR="$TMP/dist" timeout 120 npx --no-install vite build --logLevel warn
	)
	if ! diff -r "$TMP/dist" internal/graphiql/dist; then
		die "internal/graphiql/dist differs from a fresh build of web/graphiql: run 'npm ci && npm run build' there and commit internal/graphiql/dist"
	fi
	echo "identical: $(find internal/graphiql/dist -type f | wc -l) files, $(du -sk internal/graphiql/dist | cut -f1) KiB"
fi

say "browser test dependencies (npm ci)"
(cd web/graphiql/test && timeout 180 npm ci --prefer-offline --no-audit --no-fund --loglevel=error)

say "server"
# CLIENTELE_BIN: a server binary already built from this tree (.ci/run
# builds one), to save the build.
if [ -n "${CLIENTELE_BIN:-}" ]; then
	[ -x "$CLIENTELE_BIN" ] || die "CLIENTELE_BIN=$CLIENTELE_BIN is not an executable"
	cp "$CLIENTELE_BIN" "$TMP/clientele"
else
	timeout 600 go build -o "$TMP/clientele" .
fi
PORT=$(free_port) || die "no free port"
mkdir -p "$TMP/db"
env -u TEST_DATABASE_URL "$TMP/clientele" serve --addr "127.0.0.1:$PORT" \
	--database-url "sqlite:$TMP/db/clientele.db" >"$TMP/server.out" 2>"$TMP/server.log" </dev/null &
SERVER_PID=$!
echo "server pid $SERVER_PID on 127.0.0.1:$PORT"
healthy=""
for _ in $(seq 1 120); do
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -n 5 "$TMP/server.log")"
	if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
		healthy=1
		break
	fi
	sleep 0.25
done
[ -n "$healthy" ] || die "server not healthy within 30s"
TOKEN=""
for _ in $(seq 1 20); do
	TOKEN=$(sed -n 's/^CLIENTELE_ADMIN_TOKEN=\([^[:space:]]*\).*/\1/p' "$TMP/server.out" | head -n 1)
	[ -n "$TOKEN" ] && break
	sleep 0.25
done
[ -n "$TOKEN" ] || die "no CLIENTELE_ADMIN_TOKEN= line on the server's stdout"
echo "admin token read from the server's first-start output"

say "headless Chromium"
rc=0
GRAPHIQL_URL="http://127.0.0.1:$PORT/" GRAPHIQL_TOKEN="$TOKEN" SCREENSHOT_DIR="$TMP" CHROMIUM=/usr/bin/chromium \
	timeout 150 node web/graphiql/test/graphiql.test.mjs || rc=$?

if [ -z "${CI:-}" ]; then
	for shot in query:screenshot subscription:subscription no-token:no-token; do
		src="$TMP/graphiql-${shot%%:*}.png" dst="/tmp/graphiql-${shot#*:}.png"
		if [ -f "$src" ]; then
			cp "$src" "$dst" && echo "copied to $dst"
		fi
	done
fi
[ "$rc" -eq 0 ] || die "browser test failed (exit $rc)"
say "graphiql browser test passed in $((SECONDS - START))s"
