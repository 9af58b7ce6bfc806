#!/usr/bin/env bash
# build_processes.sh: finds the processes of an image build by what their
# command lines hold, for the tests and the soak that kill them.
#
#   build_pids NAME        imagebuild building image NAME, and the Bazel
#                          process-wrapper around it (its command line holds
#                          imagebuild's)
#   pid_named NAME COMM    the one of those whose command name is COMM
#                          (imagebuild or process-wrapper)
#   buildah_pids NAME      buildah working in NAME's temporary storage
#   pids_matching TEXT     any process whose command line holds TEXT (a RUN
#                          step's marker)
# Each prints process IDs, one per line, and nothing when none runs.

build_pids() { pgrep -f -- "--name=$1 .*--context_tar=" || true; }

pid_named() {
  local pid
  for pid in $(build_pids "$1"); do
    [[ "$(cat "/proc/${pid}/comm" 2>/dev/null)" == "$2" ]] && echo "${pid}"
  done
  return 0
}

buildah_pids() { pgrep -f -- "imagebuild-$1\\..*/storage/" || true; }

pids_matching() { pgrep -f -- "$1" || true; }
