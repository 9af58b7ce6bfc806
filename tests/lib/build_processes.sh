#!/usr/bin/env bash
# build_processes.sh: finds the processes of image builds by what their
# command lines hold, for the tests and the soak that kill them. Only
# processes whose working directory or root directory lies below one of the
# directories in BUILD_SCOPE (space-separated: the nested Bazel's output
# root, the builds' TMPDIR) count, so that builds of anything else running
# on the machine are never taken for these.
#
#   build_pids NAME        imagebuild building image NAME, and the Bazel
#                          process-wrapper around it (its command line holds
#                          imagebuild's); NAME may be a pattern ([a-z]*)
#   pid_named NAME COMM    the ones of those whose command name is COMM
#                          (imagebuild or process-wrapper)
#   buildah_pids NAME      buildah working in NAME's temporary storage
#   pids_matching TEXT     any process whose command line holds TEXT (a RUN
#                          step's marker)
# Each prints process IDs, one per line, and nothing when none runs.

# in_scope PID: whether PID works below a directory of BUILD_SCOPE.
in_scope() {
  local link target dir
  for link in cwd root; do
    target="$(readlink "/proc/$1/${link}" 2>/dev/null)" || continue
    for dir in ${BUILD_SCOPE}; do
      [[ "${target}" == "${dir}" || "${target}" == "${dir}"/* ]] && return 0
    done
  done
  return 1
}

# scoped_pgrep PATTERN: pgrep -f PATTERN, kept to BUILD_SCOPE.
scoped_pgrep() {
  local pid
  for pid in $(pgrep -f -- "$1" || true); do
    in_scope "${pid}" && echo "${pid}"
  done
  return 0
}

build_pids() { scoped_pgrep "--name=$1 .*--context_tar="; }

pid_named() {
  local pid
  for pid in $(build_pids "$1"); do
    [[ "$(cat "/proc/${pid}/comm" 2>/dev/null)" == "$2" ]] && echo "${pid}"
  done
  return 0
}

buildah_pids() { scoped_pgrep "imagebuild-$1\\..*/storage/"; }

pids_matching() { scoped_pgrep "$1"; }
