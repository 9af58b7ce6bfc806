#!/usr/bin/env bash
# Check helpers for shell tests. A test sources this file, runs commands
# with `run`, checks them with expect_*, and ends with `finish_checks`: every
# failed check is reported on stderr, and the test fails if any did.

failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# Runs a command, capturing stdout/stderr in ${out}/${err} and its exit code
# in ${rc}.
run() {
  set +e
  "$@" >"${TEST_TMPDIR}/out" 2>"${TEST_TMPDIR}/err"
  rc=$?
  set -e
  out="$(cat "${TEST_TMPDIR}/out")"
  err="$(cat "${TEST_TMPDIR}/err")"
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  if [[ "$1" != "$2" ]]; then
    fail "$3: got [$1], expected [$2]"
  fi
}

# expect_rc EXPECTED_EXIT_CODE WHAT: checks ${rc} of the last `run`.
expect_rc() {
  if [[ "${rc}" != "$1" ]]; then
    fail "$2: exit code ${rc}, expected $1; stderr: ${err}"
  fi
}

# expect_contains TEXT SUBSTRING WHAT
expect_contains() {
  if [[ "$1" != *"$2"* ]]; then
    fail "$3: expected to find [$2] in: $1"
  fi
}

finish_checks() {
  if ((failures > 0)); then
    echo "${failures} check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
