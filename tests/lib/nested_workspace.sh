#!/usr/bin/env bash
# bazel_shims_workspace ROOT: prints the WORKSPACE lines every nested Bazel
# 4.2 workspace needs offline: the local shims, in the checkout ROOT, of the
# repositories Bazel itself loads (rules_cc, rules_java,
# remote_coverage_tools), which it would otherwise download.

bazel_shims_workspace() {
  local root="$1"
  cat <<WS
local_repository(
    name = "rules_cc",
    path = "${root}/third_party/rules_cc",
)

local_repository(
    name = "rules_java",
    path = "${root}/third_party/rules_java",
)

local_repository(
    name = "remote_coverage_tools",
    path = "${root}/third_party/remote_coverage_tools",
)
WS
}
