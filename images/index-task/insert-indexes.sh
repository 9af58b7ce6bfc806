#!/bin/bash
# insert-indexes: indexes an image artifact under its routes and NAMESPACEs.
#   insert-indexes --name=NAME --context_hash=H --image_id=ID [--metadata=NAME.image.json] [--namespace=NS]... ARTIFACT
# The index is $INDEX (default /builds/worker/artifacts/index; a directory or
# registry://HOST:PORT/REPO) at level $INDEX_LEVEL (default 3).
set -euo pipefail
if [[ $# == 0 || "$1" == --help ]]; then
  sed -n '2,5s/^# \{0,1\}//p' "$0"
  exit 0
fi
exec index --index="${INDEX:-/builds/worker/artifacts/index}" --level="${INDEX_LEVEL:-3}" insert "$@"
