#!/usr/bin/env bash
# Shared helpers of the end-to-end tests: a nested, real Bazel on a copy of
# the fixture workspace in fixture/, using this repository's rules and the
# tools the outer build made.

set -euo pipefail

runfiles_root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
export HOME="${TEST_TMPDIR}/home"
mkdir -p "${HOME}"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# make_imagegraph_repo DIR: a repository named imagegraph holding the rules
# and the prebuilt ctxhash, imagebuild and imagepush binaries.
make_imagegraph_repo() {
  local dir="$1"
  mkdir -p "${dir}/rules/private" "${dir}/tools/ctxhash" "${dir}/tools/imagebuild" "${dir}/tools/imagepush"
  echo 'workspace(name = "imagegraph")' >"${dir}/WORKSPACE"
  : >"${dir}/BUILD.bazel"
  local file
  for file in "${runfiles_root}"/rules/*; do
    [[ -f "${file}" ]] && cp -L "${file}" "${dir}/rules/"
  done
  for file in "${runfiles_root}"/rules/private/*; do
    cp -L "${file}" "${dir}/rules/private/"
  done
  # A Starlark wrapper, not sh_binary: that one would need a C++ toolchain.
  cat >"${dir}/tools/prebuilt.bzl" <<'BZL'
"""A prebuilt executable file as a Bazel executable target."""

def _prebuilt_binary_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = ctx.file.src, is_executable = True)
    return [DefaultInfo(executable = out)]

prebuilt_binary = rule(
    implementation = _prebuilt_binary_impl,
    executable = True,
    attrs = {"src": attr.label(allow_single_file = True, mandatory = True)},
)
BZL
  : >"${dir}/tools/BUILD.bazel"
  local tool
  for tool in ctxhash imagebuild imagepush; do
    cp -L "${runfiles_root}/tools/${tool}/${tool}" "${dir}/tools/${tool}/${tool}.bin"
    chmod 755 "${dir}/tools/${tool}/${tool}.bin"
    cat >"${dir}/tools/${tool}/BUILD.bazel" <<BUILD
load("//tools:prebuilt.bzl", "prebuilt_binary")

prebuilt_binary(
    name = "${tool}",
    src = "${tool}.bin",
    visibility = ["//visibility:public"],
)
BUILD
  done
}

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

# private_container_storage DIR: points podman and buildah at a vfs storage
# under DIR, so tests never touch the machine's images.
private_container_storage() {
  local dir="$1"
  mkdir -p "${dir}"
  cat >"${dir}/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "${dir}/graph"
runroot = "${dir}/run"
CONF
  export CONTAINERS_STORAGE_CONF="${dir}/storage.conf"
}

# remove_container_storage DIR: drops every container and image of DIR's storage.
remove_container_storage() {
  local dir="$1"
  buildah rm --all >/dev/null 2>&1 || true
  podman rmi --all --force >/dev/null 2>&1 || true
  rm -rf "${dir}"
}
