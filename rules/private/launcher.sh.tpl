#!/usr/bin/env bash
# Runs a tool of imagegraph's rules from the runfiles tree of the target that
# wrote this script (rules/private/launcher.bzl): the tool, its arguments,
# then this script's own. Every substituted value is one quoted word.
set -euo pipefail

readonly label={LABEL}
readonly workspace={WORKSPACE}
readonly tool={TOOL}
readonly args=({ARGS})
readonly needs_bazel_run={NEEDS_BAZEL_RUN}

if [[ "${needs_bazel_run}" == 1 && -z "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
  echo "${label}: start it with: bazel run ${label}" >&2
  exit 2
fi

# The runfiles tree: beside this script (bazel run), $RUNFILES_DIR (bazel
# test, and callers that set it), else the parent of the working directory
# (a script started inside the tree).
if [[ -d "$0.runfiles" ]]; then
  runfiles_root="$0.runfiles"
elif [[ -n "${RUNFILES_DIR:-}" ]]; then
  runfiles_root="${RUNFILES_DIR}"
else
  runfiles_root="$(cd .. && pwd)"
fi
cd "${runfiles_root}/${workspace}"
exec "${tool}" "${args[@]}" "$@"
