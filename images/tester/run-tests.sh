#!/bin/bash
# run-tests: runs each test script given and writes a summary to
# $TEST_RESULTS_DIR/summary.txt.
#   run-tests SCRIPT...
set -uo pipefail
if [[ $# == 0 || "$1" == --help ]]; then
  sed -n '2,4s/^# \{0,1\}//p' "$0"
  exit 0
fi
results="${TEST_RESULTS_DIR:-/tmp}"
mkdir -p "${results}"
failed=0
for test in "$@"; do
  if bash "${test}"; then echo "PASS ${test}"; else echo "FAIL ${test}"; failed=1; fi
done | tee "${results}/summary.txt"
grep -q '^FAIL' "${results}/summary.txt" && exit 1
exit 0
