#!/bin/bash
# build-image: prints what it would build for the image folder given.
#   build-image FOLDER    checks FOLDER has a Dockerfile and names it
set -euo pipefail
if [[ $# != 1 || "$1" == --help ]]; then
  sed -n '2,3s/^# \{0,1\}//p' "$0"
  exit 0
fi
[[ -f "$1/Dockerfile" ]] || { echo "build-image: $1: no Dockerfile" >&2; exit 1; }
echo "build-image: would build $(basename "$1")"
