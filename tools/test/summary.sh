#!/usr/bin/env bash
# Sums the TRX files of one test run into the line CI reads:
#   tests: N passed, N failed, N skipped
# Usage: tools/test/summary.sh [RESULTS_DIR]   (default .artifacts/test-results)
set -euo pipefail
dir=${1:-.artifacts/test-results}
passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$dir"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted) + $(get inconclusive)))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
