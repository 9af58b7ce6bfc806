#!/bin/sh
# Directories the desktop test harness writes its logs and profiles to.
set -eu
for dir in logs profiles screenshots; do
  mkdir -p "/builds/worker/workspace/${dir}"
done
chown -R worker:worker /builds/worker/workspace
