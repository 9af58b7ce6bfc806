#!/bin/sh
# Lays out the directories and the environment file that test tasks expect.
set -eu
. "$(dirname "$0")/common.sh"

ensure_dir /builds/worker/workspace worker:worker 0755
ensure_dir /builds/worker/test-results worker:worker 0755
cat >/etc/profile.d/test-env.sh <<'PROFILE'
export MOZ_AUTOMATION=1
export TEST_RESULTS_DIR=/builds/worker/test-results
PROFILE
log "test environment ready"
