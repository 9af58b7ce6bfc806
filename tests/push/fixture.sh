#!/usr/bin/env bash
# Helpers for the push tests: tiny busybox images built with buildah, and a
# nested Bazel workspace that uses this checkout's rules.
#
#   make_busybox_image DIR NAME MARKER
#       Builds FROM scratch + busybox + /marker.txt (holding MARKER) in a
#       private vfs storage (deleted afterwards) and writes DIR/NAME.tar
#       (docker-archive) and DIR/NAME.tar.zst.
#   nested_workspace_prelude ROOT
#       Prints WORKSPACE lines binding @imagegraph (ROOT) and the system
#       libraries its tools build with.
#   nested_bazel ARGS...
#       Runs Bazel in ${NESTED_WS} with ${NESTED_OUTPUT_BASE}, output under
#       ${TEST_TMPDIR}; call nested_bazel_shutdown when done.
#
# and the checks of tests/lib/checks.sh.

# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
# shellcheck source=tests/lib/nested_workspace.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/nested_workspace.sh"

make_busybox_image() {
  local dir="$1" name="$2" marker="$3"
  local work
  work="$(mktemp -d "${TEST_TMPDIR}/buildah.XXXXXX")"
  mkdir -p "${work}/ctx"
  cp /bin/busybox "${work}/ctx/busybox"
  echo "${marker}" >"${work}/ctx/marker.txt"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker.txt /marker.txt\nCMD ["/bin/busybox", "cat", "/marker.txt"]\n' \
    >"${work}/ctx/Dockerfile"
  local buildah=(buildah --root "${work}/root" --runroot "${work}/runroot" --storage-driver vfs)
  "${buildah[@]}" bud --quiet --isolation chroot --timestamp 0 --identity-label=false \
    -t "${name}" "${work}/ctx" >/dev/null
  rm -f "${dir}/${name}.tar"
  "${buildah[@]}" push --quiet "${name}" "docker-archive:${dir}/${name}.tar:${name}:fixture" >/dev/null
  "${buildah[@]}" rmi -a -f >/dev/null 2>&1 || true
  rm -rf "${work}"
  zstd -q -f "${dir}/${name}.tar" -o "${dir}/${name}.tar.zst"
}

nested_workspace_prelude() {
  local root="$1"
  cat <<WS
local_repository(
    name = "imagegraph",
    path = "${root}",
)

$(bazel_shims_workspace "${root}")

local_repository(
    name = "bazel_skylib",
    path = "/usr/share/bazel/tools/skylib",
)

load("@imagegraph//third_party/system_libs:protobuf_repository.bzl", "system_protobuf")
load("@imagegraph//third_party/system_libs:system_libs.bzl", "system_absl", "system_pkg_config_library")

system_absl(name = "com_google_absl")

system_protobuf(
    name = "com_google_protobuf",
    build_file = "@imagegraph//third_party/system_libs:protobuf.BUILD",
)

system_pkg_config_library(
    name = "zstd",
    module = "libzstd",
    target = "zstd",
)

new_local_repository(
    name = "boringssl",
    build_file = "@imagegraph//third_party/system_libs:boringssl.BUILD",
    path = "/usr",
)

new_local_repository(
    name = "com_google_googletest",
    build_file = "@imagegraph//third_party/system_libs:googletest.BUILD",
    path = "/usr",
)
WS
}

nested_bazel() {
  # Without TEST_TMPDIR: Bazel inside a test would skip the system rc that
  # points Debian's Bazel at its install base.
  (cd "${NESTED_WS}" && env -u TEST_TMPDIR bazel --nohome_rc \
    --output_user_root="${TEST_TMPDIR}/bazel_user_root" \
    --output_base="${NESTED_OUTPUT_BASE}" --max_idle_secs=120 "$@")
}

nested_bazel_shutdown() {
  if [[ -d "${NESTED_OUTPUT_BASE:-/nonexistent}" ]]; then
    nested_bazel shutdown >/dev/null 2>&1 || true
    chmod -R u+w "${NESTED_OUTPUT_BASE}" 2>/dev/null || true
    rm -rf "${NESTED_OUTPUT_BASE}"
  fi
}

# The checkout this test runs from (the tests are tagged no-sandbox).
source_root() {
  dirname "$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/WORKSPACE")"
}

