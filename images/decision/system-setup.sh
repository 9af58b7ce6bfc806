#!/bin/sh
# Prepares the decision image: the directory the task graph is written to.
set -eu
mkdir -p /builds/worker/artifacts/graph
chown -R worker:worker /builds/worker/artifacts
