#!/bin/bash
# upload-symbols: lists the symbol files of an archive directory that an
# upload would send to $SYMBOL_SERVER_URL.
#   upload-symbols DIR
set -euo pipefail
. /usr/local/lib/recipes/common.sh
if [[ $# != 1 || "$1" == --help ]]; then
  sed -n '2,4s/^# \{0,1\}//p' "$0"
  exit 0
fi
find "$1" -name '*.sym' -printf '%P\n' | sort | while read -r sym; do
  log "would upload ${sym} to ${SYMBOL_SERVER_URL:-<unset>}"
done
