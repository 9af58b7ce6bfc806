#!/bin/sh
# Creates the unprivileged `worker` user that tasks run as, with its home
# under /builds/worker, the layout every image of the tree shares.
set -eu
. "$(dirname "$0")/common.sh"

if ! id worker >/dev/null 2>&1; then
  groupadd --gid 1000 worker
  useradd --uid 1000 --gid 1000 --home-dir /builds/worker --shell /bin/bash \
    --no-create-home worker
fi
ensure_dir /builds root:root 0755
ensure_dir /builds/worker worker:worker 0755
ensure_dir /builds/worker/artifacts worker:worker 0755
ensure_dir /builds/worker/checkouts worker:worker 0755
log "user worker ready in /builds/worker"
