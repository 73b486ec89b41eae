#!/usr/bin/env bash
# Idle benchmark: `lgsp-connector run` with nothing to do for DURATION
# (default 10m); samples RSS and CPU from /proc, counts the MariaDB
# statements per poll through a counting proxy, prints the doctor's
# EXPLAIN of every poll query. Targets: RSS ≤ 40 MB, CPU ≤ 1 %.
#
#   DURATION=2m ./scripts/bench-idle.sh
#   ./scripts/bench-idle.sh --poll '@every 30s'     # the shipped default schedule
# Other flags: go run ./bench/idle -h.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-$(mktemp -d -t lgsp-bench-idle-XXXXXX)}
mkdir -p "$work"
go build -o "$work/lgsp-connector" ./cmd/lgsp-connector
go build -o "$work/bench-idle" ./bench/idle
exec "$work/bench-idle" --bin "$work/lgsp-connector" --dir "$work" --duration "${DURATION:-10m}" "$@"
