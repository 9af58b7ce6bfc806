#!/bin/bash
# insert-indexes: records NAMESPACE=TASK pairs under INDEX_DIR, one file each.
#   insert-indexes NAMESPACE=TASK...
set -euo pipefail
if [[ $# == 0 || "$1" == --help ]]; then
  sed -n '2,3s/^# \{0,1\}//p' "$0"
  exit 0
fi
index_dir="${INDEX_DIR:-/builds/worker/artifacts/index}"
mkdir -p "${index_dir}"
for pair in "$@"; do
  echo "${pair#*=}" >"${index_dir}/${pair%%=*}"
  echo "indexed ${pair%%=*}"
done
