#!/usr/bin/env bash
# The whole test suite, as CI runs it: prepares services (xmlsec1, MariaDB),
# then runs every Go test, including the MariaDB and xmlsec1 ones.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
go test -count=1 -timeout 20m "$@" ./...
./scripts/fuzz.sh "${LGSP_FUZZ_SECONDS:-2}" # every fuzz target, briefly (docs/RELIABILITY.md)
