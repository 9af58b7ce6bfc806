#!/usr/bin/env bash
# make_imagegraph_repo DEST SOURCE_ROOT BIN_ROOT [TOOL...]: writes to DEST a
# repository named imagegraph holding the rules from SOURCE_ROOT/rules and
# the prebuilt ctxhash, imagebuild and imagepush binaries, and every other
# TOOL named (graph, decision, ...), from BIN_ROOT/tools/TOOL/TOOL.
# A nested workspace that points at it with local_repository builds images
# without compiling any C++ and without binding system libraries. In a test,
# SOURCE_ROOT and BIN_ROOT are both the runfiles root; in a benchmark, the
# checkout and `bazel info bazel-bin`.

make_imagegraph_repo() {
  local dest="$1" source_root="$2" bin_root="$3"
  shift 3
  mkdir -p "${dest}/rules/private" "${dest}/tools"
  echo 'workspace(name = "imagegraph")' >"${dest}/WORKSPACE"
  : >"${dest}/BUILD.bazel"
  local file
  for file in "${source_root}"/rules/* "${source_root}"/rules/private/*; do
    [[ -f "${file}" ]] || continue
    cp -L "${file}" "${dest}/${file#"${source_root}"/}"
  done
  cp -L "${source_root}/tests/lib/prebuilt_binary.bzl" "${dest}/tools/prebuilt_binary.bzl"
  : >"${dest}/tools/BUILD.bazel"
  local tool
  for tool in ctxhash imagebuild imagepush "$@"; do
    mkdir -p "${dest}/tools/${tool}"
    cp -L "${bin_root}/tools/${tool}/${tool}" "${dest}/tools/${tool}/${tool}.bin"
    chmod 755 "${dest}/tools/${tool}/${tool}.bin"
    cat >"${dest}/tools/${tool}/BUILD.bazel" <<BUILD
load("//tools:prebuilt_binary.bzl", "prebuilt_binary")

prebuilt_binary(
    name = "${tool}",
    src = "${tool}.bin",
    visibility = ["//visibility:public"],
)
BUILD
  done
}
