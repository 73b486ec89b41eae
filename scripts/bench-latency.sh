#!/usr/bin/env bash
# Latency benchmark: a writer changes RATE dossiers per second in MariaDB
# (each change its own committed transaction) for DURATION while
# `lgsp-connector run` polls every second with a 1 s lag window; reports
# p50/p95/p99 commit → LGSP sandbox acknowledgement. Target p99 ≤ 2 s.
#
#   ./scripts/bench-latency.sh                      # 50/s for 60 s
#   DURATION=5m ./scripts/bench-latency.sh --lag 2s
# Other flags: go run ./bench/latency -h.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-$(mktemp -d -t lgsp-bench-latency-XXXXXX)}
mkdir -p "$work"
go build -o "$work/lgsp-connector" ./cmd/lgsp-connector
go build -o "$work/bench-latency" ./bench/latency
exec "$work/bench-latency" --bin "$work/lgsp-connector" --dir "$work" --rate "${RATE:-50}" --duration "${DURATION:-60s}" "$@"
