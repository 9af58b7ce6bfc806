#!/bin/sh
# Lays out the directories build tasks write to and records the toolchain
# location that build scripts look up.
set -eu
. "$(dirname "$0")/common.sh"

ensure_dir /builds/worker/workspace worker:worker 0755
ensure_dir /builds/worker/fetches worker:worker 0755
ensure_dir /builds/worker/.cache worker:worker 0755
echo "/builds/worker/fetches" >/etc/toolchain-dir
log "build environment ready"
