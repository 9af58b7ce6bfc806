#!/usr/bin/env bash
# make_imagegraph_repo DEST SOURCE_ROOT BIN_ROOT [TOOL...]: writes to DEST a
# repository named imagegraph holding the rules from SOURCE_ROOT/rules and
# the prebuilt tools the rules run (ctxhash, imagebuild, imagepush and
# decision:why, which every image's NAME.why target names), and every other
# TOOL named (graph, decision, ...), from BIN_ROOT/tools/PACKAGE/NAME, where
# TOOL is PACKAGE (the target named like its package) or PACKAGE:NAME.
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
  local tool package name
  for tool in ctxhash imagebuild imagepush decision:why "$@"; do
    package="${tool%%:*}"
    name="${tool#*:}"
    [[ -e "${dest}/tools/${package}/${name}.bin" ]] && continue
    mkdir -p "${dest}/tools/${package}"
    cp -L "${bin_root}/tools/${package}/${name}" "${dest}/tools/${package}/${name}.bin"
    chmod 755 "${dest}/tools/${package}/${name}.bin"
    if [[ ! -f "${dest}/tools/${package}/BUILD.bazel" ]]; then
      echo 'load("//tools:prebuilt_binary.bzl", "prebuilt_binary")' >"${dest}/tools/${package}/BUILD.bazel"
    fi
    cat >>"${dest}/tools/${package}/BUILD.bazel" <<BUILD

prebuilt_binary(
    name = "${name}",
    src = "${name}.bin",
    visibility = ["//visibility:public"],
)
BUILD
  done
}
