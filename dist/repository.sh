#!/usr/bin/env bash
# repository DIR: writes to DIR a Bazel repository named imagegraph, the rules
# and the tools of this build (ctxhash, imagebuild, imagepush, imagegen,
# graph, decision) as prebuilt executables, so that a workspace pointing at
# DIR with local_repository compiles none of imagegraph's C++:
#
#   ./bazelw run -c opt //dist:repository -- /opt/imagegraph
#
# A DIR that exists must be empty or a repository this command wrote, which
# is then replaced.
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: bazel run -c opt //dist:repository -- DIR" >&2
  exit 2
fi
dest="$1"
# `bazel run` starts in the runfiles: a relative DIR is where it was typed.
if [[ "${dest}" != /* ]]; then
  dest="${BUILD_WORKING_DIRECTORY:-${PWD}}/${dest}"
fi
marker=".imagegraph-repository"
if [[ -e "${dest}" ]]; then
  if [[ ! -d "${dest}" ]]; then
    echo "repository: ${dest} is not a directory" >&2
    exit 1
  fi
  if [[ -n "$(ls -A "${dest}")" && ! -f "${dest}/${marker}" ]]; then
    echo "repository: ${dest} is not empty and was not written by this command: name an empty or new directory" >&2
    exit 1
  fi
  # What an earlier run wrote (its binaries are read-only).
  chmod -R u+w "${dest}"
  find "${dest}" -mindepth 1 -delete
fi

runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/imagegraph"
source "${runfiles}/tests/lib/imagegraph_repo.sh"
make_imagegraph_repo "${dest}" "${runfiles}" "${runfiles}" imagegen graph decision
: >"${dest}/${marker}"
echo "repository: wrote ${dest}; point a WORKSPACE at it with local_repository(name = \"imagegraph\", path = \"${dest}\")" >&2
