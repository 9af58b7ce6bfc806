#!/usr/bin/env bash
# Loads an image into docker when a daemon answers, else into podman, and tags
# it with the tags its NAME.image.json records (REGISTRY/NAME:VERSION and
# REGISTRY/NAME:<context hash>). The NAME.load launcher (image_load) runs it
# in the runfiles tree:
#
#   load.sh LABEL NAME TARBALL METADATA
set -euo pipefail

if (($# != 4)); then
  echo "${1:-load.sh}: NAME.load takes no arguments" >&2
  exit 2
fi
readonly label="$1" name="$2" tarball="$3" metadata="$4"

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  engine=docker
elif command -v podman >/dev/null 2>&1; then
  engine=podman
else
  echo "${label}: neither a docker daemon nor podman is available; start docker or apt-get install podman" >&2
  exit 1
fi

# The build wrote the image's ID and its two tags (REGISTRY/NAME:VERSION and
# REGISTRY/NAME:<context hash>, from the REGISTRY and VERSION files).
image_id="$(jq -r '.image_id' "${metadata}")"
image_id="${image_id#sha256:}"
mapfile -t tags < <(jq -r '.tags[]?' "${metadata}")
if [[ ! "${image_id}" =~ ^[0-9a-f]{64}$ || "${#tags[@]}" != 2 ]]; then
  echo "${label}: ${metadata}: the image metadata lacks an image_id (sha256:<64 hex>) or its two tags; rebuild the image" >&2
  exit 1
fi

load_output="$(zstd -dc <"${tarball}" | "${engine}" load 2>&1)" || {
  echo "${load_output}" >&2
  echo "${label}: ${engine} load failed" >&2
  exit 1
}

for tag in "${tags[@]}"; do
  "${engine}" tag "${image_id}" "${tag}"
  echo "Loaded ${name} (image ${image_id:0:12}) into ${engine} as ${tag}"
done
