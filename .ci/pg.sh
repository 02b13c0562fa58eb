# shellcheck shell=bash
# Throw-away PostgreSQL cluster for tests.
#
# Source it (". .ci/pg.sh"): it starts a fresh cluster in a temp dir, listening
# only on 127.0.0.1 on a free port, with a superuser role "clientele"
# (password "clientele") owning database "clientele", and exports
#
#   TEST_DATABASE_URL=postgres://clientele:clientele@127.0.0.1:$PG_PORT/clientele?sslmode=disable
#   PG_TEMP_DIR   the cluster's temp dir (data/, log, unix socket)
#   PG_PORT       the TCP port
#   PG_BIN        the PostgreSQL bin dir used
#
# and defines pg_stop, which stops the cluster and removes PG_TEMP_DIR (safe
# to call more than once). Installs Debian's postgresql package when no
# initdb is found. Must run as root (initdb/pg_ctl run as the postgres user).
#
# Run it directly ("bash .ci/pg.sh") for a self-test: start, select 1, stop.
#
# It does not change the caller's shell options and sets no traps: the caller
# should do e.g. "trap pg_stop EXIT".

_pg_log() { echo "pg.sh: $*" >&2; }

_pg_as_postgres() {
	# Run a command as the postgres user from a directory it can read.
	if command -v runuser >/dev/null 2>&1; then
		(cd "$PG_TEMP_DIR" && runuser -u postgres -- "$@")
	else
		local q
		q=$(printf '%q ' "$@")
		(cd "$PG_TEMP_DIR" && su postgres -s /bin/sh -c "$q")
	fi
}

_pg_find_bin() {
	local d
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
		return 0
	fi
	return 1
}

_pg_port_in_use() {
	# A successful TCP connect means something already listens there.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_pg_pick_port() {
	local p i
	p=$((20000 + RANDOM % 20000))
	for ((i = 0; i < 500; i++)); do
		if ! _pg_port_in_use "$p"; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
		if [ "$p" -gt 60000 ]; then p=20000; fi
	done
	return 1
}

pg_stop() {
	if [ -n "${PG_TEMP_DIR:-}" ] && [ -d "$PG_TEMP_DIR" ]; then
		if [ -f "$PG_TEMP_DIR/data/postmaster.pid" ] && [ -n "${PG_BIN:-}" ]; then
			_pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_TEMP_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
				_pg_log "warning: pg_ctl stop failed"
		fi
		rm -rf "$PG_TEMP_DIR"
		_pg_log "stopped and removed $PG_TEMP_DIR"
	fi
	unset PG_TEMP_DIR
	return 0
}

pg_start() {
	if [ "$(id -u)" -ne 0 ]; then
		_pg_log "must run as root"
		return 1
	fi

	if ! PG_BIN=$(_pg_find_bin); then
		_pg_log "initdb not found; installing postgresql via apt"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } || {
			_pg_log "apt-get install postgresql failed"
			return 1
		}
		PG_BIN=$(_pg_find_bin) || {
			_pg_log "initdb still not found after installing postgresql"
			return 1
		}
	fi
	export PG_BIN

	if ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres || {
			_pg_log "could not create the postgres user"
			return 1
		}
	fi

	PG_TEMP_DIR=$(mktemp -d /tmp/clientele-pg.XXXXXX) || return 1
	export PG_TEMP_DIR
	if ! { chmod 755 "$PG_TEMP_DIR" && chown postgres:postgres "$PG_TEMP_DIR"; }; then
		_pg_log "could not chown $PG_TEMP_DIR"
		return 1
	fi

	if ! _pg_as_postgres "$PG_BIN/initdb" -D "$PG_TEMP_DIR/data" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=scram-sha-256 >"$PG_TEMP_DIR/initdb.log" 2>&1; then
		_pg_log "initdb failed:"
		cat "$PG_TEMP_DIR/initdb.log" >&2
		return 1
	fi

	local attempt port=""
	for attempt in 1 2 3 4 5; do
		port=$(_pg_pick_port) || {
			_pg_log "no free port found"
			return 1
		}
		# Later settings win, so re-appending on a retry is fine.
		cat >>"$PG_TEMP_DIR/data/postgresql.conf" <<EOF

# clientele CI (.ci/pg.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_TEMP_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
		if _pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_TEMP_DIR/data" -l "$PG_TEMP_DIR/postgres.log" -w -t 60 start >/dev/null; then
			break
		fi
		_pg_log "start on port $port failed (attempt $attempt); log tail:"
		tail -n 20 "$PG_TEMP_DIR/postgres.log" >&2 || true
		port=""
	done
	if [ -z "$port" ]; then
		_pg_log "could not start PostgreSQL"
		return 1
	fi
	export PG_PORT=$port

	if ! "$PG_BIN/psql" -X -q -h "$PG_TEMP_DIR" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE clientele LOGIN SUPERUSER PASSWORD 'clientele'" \
		-c "CREATE DATABASE clientele OWNER clientele" >/dev/null; then
		_pg_log "could not create role/database"
		return 1
	fi

	export TEST_DATABASE_URL="postgres://clientele:clientele@127.0.0.1:$port/clientele?sslmode=disable"
	_pg_log "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') running on 127.0.0.1:$port (dir $PG_TEMP_DIR)"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# Executed directly: self-test.
	set -euo pipefail
	trap pg_stop EXIT
	pg_start
	echo "TEST_DATABASE_URL=$TEST_DATABASE_URL"
	"$PG_BIN/psql" -X "$TEST_DATABASE_URL" -tA -c 'select 1'
	exit 0
fi

if ! pg_start; then
	pg_stop
	return 1
fi
