#!/usr/bin/env bash
# Backfill benchmark: generates DOSSIERS sample dossiers in MariaDB database
# lgsp_bench, runs the LGSP sandbox and `lgsp-connector once` as separate
# processes, and reports packets/s against 0.8 × cores × the RSA-2048
# signing rate of one core, peak RSS, MariaDB load and a CPU profile.
#
#   DOSSIERS=20000 ./scripts/bench-backfill.sh            # a quick run
#   ./scripts/bench-backfill.sh                           # the full 1,000,000
#   ./scripts/bench-backfill.sh --verify                  # sandbox verifies signatures
# Other flags: go run ./bench/backfill -h. MariaDB: LGSP_BENCH_MARIADB_DSN
# (default root@tcp(127.0.0.1:3306)/).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-$(mktemp -d -t lgsp-bench-backfill-XXXXXX)}
mkdir -p "$work"
go build -o "$work/lgsp-connector" ./cmd/lgsp-connector
go build -o "$work/bench-backfill" ./bench/backfill
exec "$work/bench-backfill" --bin "$work/lgsp-connector" --dir "$work" --dossiers "${DOSSIERS:-1000000}" "$@"
