#!/bin/bash
# lint: checks that JSON files parse and shell scripts have a shebang.
#   lint DIR
set -euo pipefail
if [[ $# != 1 || "$1" == --help ]]; then
  sed -n '2,3s/^# \{0,1\}//p' "$0"
  exit 0
fi
status=0
while IFS= read -r -d '' file; do
  jq empty "${file}" 2>/dev/null || { echo "lint: ${file}: invalid JSON"; status=1; }
done < <(find "$1" -name '*.json' -print0)
while IFS= read -r -d '' file; do
  head -c 2 "${file}" | grep -q '#!' || { echo "lint: ${file}: no shebang"; status=1; }
done < <(find "$1" -name '*.sh' -print0)
exit "${status}"
