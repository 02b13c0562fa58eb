#!/usr/bin/env bash
# A short benchmark run for CI (.ci/run runs it when present): SQLite only,
# 200 customers, 2 s per cell at concurrency 4, every row of bench/run.sh.
# Exits non-zero if any request failed: a non-2xx response or socket error
# in wrk, a GraphQL error or userError in a response, or in the sample
# response of each row checked before the load. Takes well under a minute
# with a warm Go build cache. Results go to stdout only.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash bench/run.sh --db sqlite --customers 200 --duration 2s --concurrency 4 \
	--place-rate 1200 --results-dir - --strict "$@"
