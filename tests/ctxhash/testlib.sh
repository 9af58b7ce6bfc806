# shellcheck shell=bash
# Shared helpers for the ctxhash shell tests. Source it; it sets CTXHASH.
set -euo pipefail

# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
# shellcheck source=tests/lib/doc_commands.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/doc_commands.sh"

CTXHASH="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/ctxhash/ctxhash"
[[ -x "${CTXHASH}" ]] || fail "ctxhash binary not found at ${CTXHASH}"

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
