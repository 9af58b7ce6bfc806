# shellcheck shell=bash
# The check helpers of every shell test. Source it:
#
#   source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
#
# and list //tests/lib:checks in the test's data. Every expect_* takes its
# arguments in one order: what was observed, what was expected, and what the
# check is about. The first failed check ends the test (exit 1).
#
#   fail MESSAGE...                     report MESSAGE and end the test
#   pass MESSAGE...                     report a passed check (optional)
#   run CMD...                          run CMD; ${out}, ${err}, ${rc}
#   expect_rc EXPECTED WHAT             the exit code of the last `run`
#   expect_eq ACTUAL EXPECTED WHAT
#   expect_ne ACTUAL UNEXPECTED WHAT
#   expect_contains TEXT SUBSTRING WHAT
#   expect_file_contains FILE SUBSTRING [WHAT]   shows FILE on failure

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  echo "ok: $*"
}

# run CMD...: runs CMD with stdout and stderr captured in ${out} and ${err}
# and its exit code in ${rc}; never fails itself.
run() {
  local capture="${TEST_TMPDIR:-/tmp}/checks_run.$$"
  set +e
  "$@" >"${capture}.out" 2>"${capture}.err"
  rc=$?
  set -e
  out="$(cat "${capture}.out")"
  err="$(cat "${capture}.err")"
  rm -f "${capture}.out" "${capture}.err"
}

expect_rc() {
  if [[ "${rc}" != "$1" ]]; then
    fail "$2: exit code ${rc}, expected $1; stderr: ${err}"
  fi
}

expect_eq() {
  if [[ "$1" != "$2" ]]; then
    fail "$3: got [$1], expected [$2]"
  fi
}

expect_ne() {
  if [[ "$1" == "$2" ]]; then
    fail "$3: got [$1], which it must not be"
  fi
}

expect_contains() {
  if [[ "$1" != *"$2"* ]]; then
    fail "$3: expected to find [$2] in: $1"
  fi
}

expect_file_contains() {
  local file="$1" text="$2" what="${3:-${1}}"
  if ! grep -qF -- "${text}" "${file}"; then
    echo "--- ${file}:" >&2
    cat "${file}" >&2
    fail "${what}: expected ${file} to contain: ${text}"
  fi
}
