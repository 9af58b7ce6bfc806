#!/usr/bin/env bash
# Shared helpers of the end-to-end tests: a nested, real Bazel on a copy of
# the fixture workspace in fixture/, using this repository's rules and the
# tools the outer build made.

set -euo pipefail

runfiles_root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
export HOME="${TEST_TMPDIR}/home"
mkdir -p "${HOME}"

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

source "${runfiles_root}/tests/lib/imagegraph_repo.sh"

# make_fixture DEST IMAGEGRAPH_REPO: copies the fixture workspace to DEST.
make_fixture() {
  local dest="$1" repo="$2"
  mkdir -p "${dest}"
  cp -rL "${runfiles_root}/tests/e2e/fixture/." "${dest}/"
  chmod -R u+w "${dest}"
  sed "s|@IMAGEGRAPH@|${repo}|" "${dest}/WORKSPACE.in" >"${dest}/WORKSPACE"
  mv "${dest}/bazelrc" "${dest}/.bazelrc"
  local build_in
  while IFS= read -r build_in; do
    mv "${build_in}" "$(dirname "${build_in}")/BUILD.bazel"
  done < <(find "${dest}" -name BUILD.in)
  rm "${dest}/WORKSPACE.in"
}

# nested_bazel WORKSPACE OUTPUT_USER_ROOT ARGS...: Bazel with its own output
# root and no disk cache, so every image really builds.
nested_bazel() {
  local ws="$1" root="$2"
  shift 2
  (cd "${ws}" && bazel --output_user_root="${root}" --nohome_rc "$@")
}

# built_images LOG: the names of the images an execution log shows built
# (one ImageBuild spawn each), sorted, space-separated.
built_images() {
  jq -r 'select(.mnemonic == "ImageBuild") | .listedOutputs[] | select(endswith(".tar.zst"))' "$1" |
    sed 's|.*/||; s|\.tar\.zst$||' | sort | tr '\n' ' ' | sed 's/ $//'
}

source "${runfiles_root}/tests/lib/container_storage.sh"
