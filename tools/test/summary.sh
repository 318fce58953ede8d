#!/usr/bin/env bash
# Sums the TRX files of one test run into the line CI reads:
#   tests: N passed, N failed, N skipped
# Failed tests are listed just above that line (name and the first line of the
# message), so the tail of a CI log always says what broke.
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
  # A failed result opens with outcome="Failed" and carries <Message> a few lines on.
  awk '
    /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
      match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1; next
    }
    want && /<Message>/ {
      sub(/.*<Message>/, ""); sub(/<\/Message>.*/, "")
      printf "FAILED %s: %s\n", name, substr($0, 1, 300); want = 0
    }
    want && /<\/UnitTestResult>/ { printf "FAILED %s\n", name; want = 0 }
  ' "$trx"
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
