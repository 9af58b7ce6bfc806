#!/usr/bin/env bash
# The fleet's download settings (docs/ci.md, "A fleet": build:fleet
# --remote_download_minimal, run:fleet --remote_download_toplevel) against
# Bazel 4.2's runfiles deleted after a test (bazelbuild/bazel#12635). A tiny
# workspace holds a file built by an action, in the runfiles of a test and of
# a binary; a first output base puts it in a real nginx remote cache, and
# fresh output bases take it from there:
#   - with the page's settings, `bazel test` then `bazel run` of the binary
#     sees the file;
#   - with --remote_download_toplevel for both, Bazel deletes the file after
#     the test and the `bazel run` that follows starts without it (the bug
#     the page warns of: when this stops failing, the warning can go);
#     `bazel shutdown` before the `bazel run` brings it back.
set -euo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles}/tests/lib/checks.sh"
source "${runfiles}/tests/lib/remote_cache.sh"
source "${runfiles}/tests/lib/nested_workspace.sh"

# The checkout (the test is tagged no-sandbox): the shims Bazel 4.2 loads.
root="$(dirname "$(readlink -f "${runfiles}/WORKSPACE")")"
settings="$(grep -E '^(build|run):fleet --remote_download_' "${runfiles}/docs/ci.md")"
expect_eq "${settings}" "build:fleet --remote_download_minimal
run:fleet --remote_download_toplevel" "docs/ci.md's download settings for the fleet"

remote_cache_start
ws="${TEST_TMPDIR}/ws"
mkdir -p "${ws}"
{
  echo 'workspace(name = "run_after_test")'
  echo
  bazel_shims_workspace "${root}"
} >"${ws}/WORKSPACE"
cat >"${ws}/BUILD.bazel" <<'BUILD'
genrule(
    name = "data",
    outs = ["data.txt"],
    cmd = "echo built-by-an-action >$@",
)

sh_test(
    name = "reads_data_test",
    srcs = ["reads_data.sh"],
    data = [":data.txt"],
)

sh_binary(
    name = "reads_data",
    srcs = ["reads_data.sh"],
    data = [":data.txt"],
)
BUILD
printf '#!/bin/sh\ncat data.txt\n' >"${ws}/reads_data.sh"
chmod 755 "${ws}/reads_data.sh"
{
  echo "${settings}"
  echo "build --remote_cache=${REMOTE_CACHE_URL}"
} >"${ws}/.bazelrc"

# on OUTPUT_ROOT ARGS...: Bazel in the workspace with its own output root.
# Output in ${out}, exit code in ${rc}. (Without TEST_TMPDIR: Bazel inside a
# test would skip the system rc that points Debian's Bazel at its install
# base.)
roots=()
on() {
  local output_root="${TEST_TMPDIR}/$1"
  shift
  roots+=("${output_root}")
  set +e
  out="$(cd "${ws}" && env -u TEST_TMPDIR HOME="${TEST_TMPDIR}/home" bazel --nohome_rc \
    --output_user_root="${output_root}" --max_idle_secs=120 "$@" 2>&1)"
  rc=$?
  set -e
}
stop_all() {
  local r
  for r in "${roots[@]}"; do
    (cd "${ws}" && env -u TEST_TMPDIR HOME="${TEST_TMPDIR}/home" bazel --nohome_rc \
      --output_user_root="${r}" shutdown) >/dev/null 2>&1 || true
  done
}
registry_on_exit stop_all
mkdir -p "${TEST_TMPDIR}/home"

echo "== the first output base fills the cache"
on first test //:reads_data_test
[[ "${rc}" == 0 ]] || fail "the first test failed: ${out}"
data_digest="$(echo built-by-an-action | sha256sum | cut -c1-64)"
[[ -f "${REMOTE_CACHE_DIR}/cas/${data_digest}" ]] || fail "the cache does not hold the built file"

echo "== the page's settings: test, then run"
on fleet test --config=fleet //:reads_data_test
[[ "${rc}" == 0 ]] || fail "the test with the page's settings failed: ${out}"
on fleet run --config=fleet //:reads_data
[[ "${rc}" == 0 ]] || fail "bazel run after bazel test with the page's settings failed: ${out}"
expect_contains "${out}" "built-by-an-action" "the binary reads the file it took from the cache"

echo "== --remote_download_toplevel for both: the run starts without the file"
on toplevel test --remote_download_toplevel //:reads_data_test
[[ "${rc}" == 0 ]] || fail "the test with --remote_download_toplevel failed: ${out}"
on toplevel run --remote_download_toplevel //:reads_data
[[ "${rc}" != 0 ]] ||
  fail "bazel run after bazel test, both --remote_download_toplevel, found its file: Bazel no longer deletes it, and docs/ci.md's warning can go"
expect_contains "${out}" "data.txt: No such file or directory" "the binary misses the file"
on toplevel shutdown
on toplevel run --remote_download_toplevel //:reads_data
[[ "${rc}" == 0 ]] || fail "bazel run after bazel shutdown failed: ${out}"
expect_contains "${out}" "built-by-an-action" "after bazel shutdown, the binary reads the file"
echo PASS
