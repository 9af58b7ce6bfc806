# shellcheck shell=bash
# Shared helpers for the ctxhash shell tests. Source it; it sets CTXHASH.
set -euo pipefail

CTXHASH="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/ctxhash/ctxhash"
[[ -x "${CTXHASH}" ]] || { echo "ctxhash binary not found at ${CTXHASH}" >&2; exit 1; }

FAILURES=0

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

pass() {
  echo "ok: $*"
}

# finish: exit non-zero if any check failed.
finish() {
  if [[ "${FAILURES}" -ne 0 ]]; then
    echo "${FAILURES} check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# new_dir: prints a fresh empty directory under TEST_TMPDIR.
new_dir() {
  mktemp -d "${TEST_TMPDIR}/t.XXXXXX"
}

# sha_of_text TEXT: lowercase hex sha256 of TEXT's bytes (printf %s).
sha_of_text() {
  printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# put FILE FORMAT [ARGS...]: writes printf FORMAT ARGS to FILE, making dirs.
put() {
  local file="$1"
  shift
  mkdir -p "$(dirname "${file}")"
  # shellcheck disable=SC2059
  printf "$@" >"${file}"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1: expected [$2], got [$3]"
  fi
}

# expect_ne WHAT A B
expect_ne() {
  if [[ "$2" != "$3" ]]; then
    pass "$1"
  else
    fail "$1: both are [$2]"
  fi
}
