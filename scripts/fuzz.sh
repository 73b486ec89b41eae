#!/usr/bin/env bash
# Runs every fuzz target (func Fuzz…) of the module, one at a time, for
# SECONDS each: 2 by default (the CI budget, called from scripts/test.sh);
# give more on demand, e.g. `scripts/fuzz.sh 60`. An optional regexp limits
# the targets: `scripts/fuzz.sh 30 'Decode'`.
#
# Stops at the first failure and prints the failing input's path (go test
# writes it under the package's testdata/fuzz/<Target>/) and the command
# that replays it. Keep that file: committed, it becomes a seed that every
# `go test` run checks.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-2}"
filter="${2:-.}"
if ! [[ "$secs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET-REGEXP]" >&2
  exit 2
fi

# `go test -list` prints a package's matching names, then its "ok" line.
list=$(go test -list '^Fuzz' ./... 2>&1) || { echo "$list" >&2; exit 1; }
targets=()
names=()
while IFS= read -r line; do
  case "$line" in
    Fuzz*) names+=("$line") ;;
    ok*)
      pkg=$(awk '{print $2}' <<<"$line")
      for n in ${names[@]+"${names[@]}"}; do targets+=("$pkg $n"); done
      names=()
      ;;
  esac
done <<<"$list"

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

start=$SECONDS
ran=0
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  [[ "$name" =~ $filter ]] || continue
  t0=$SECONDS
  fuzz_once() { go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" "$pkg" 2>&1; }
  out=$(fuzz_once) && status=0 || status=$?
  # The fuzzing engine itself sometimes stops with "context deadline
  # exceeded" at the end of a very short budget, without any failing input:
  # not a finding, so run the target once more before calling it a failure.
  if [ "$status" -ne 0 ] && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'testdata/fuzz/' <<<"$out"; then
    echo "fuzz: $name: engine timed out without an input; running it again"
    out=$(fuzz_once) && status=0 || status=$?
  fi
  if [ "$status" -ne 0 ]; then
    echo "$out"
    dir=$(go list -f '{{.Dir}}' "$pkg")
    input=$(grep -o 'testdata/fuzz/[^ ]*' <<<"$out" | tail -n 1 || true)
    echo "fuzz: FAIL $name ($pkg)"
    if [ -n "$input" ]; then
      echo "fuzz: failing input: $dir/$input"
      echo "fuzz: replay with: go test -run '^${name}\$/$(basename "$input")\$' $pkg"
    fi
    exit 1
  fi
  ran=$((ran + 1))
  echo "fuzz: ok $name ($pkg) $((SECONDS - t0))s"
done
echo "fuzz: $ran targets, ${secs}s each, in $((SECONDS - start))s"
