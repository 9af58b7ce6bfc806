#!/usr/bin/env bash
# Loads an image into docker when a daemon answers, else into podman, and tags
# it REGISTRY/NAME:VERSION and REGISTRY/NAME:<context hash>.
set -euo pipefail

# Substituted by the image_load rule, each value one quoted word.
readonly label={LABEL}
readonly name={NAME}
readonly tarball_path={TARBALL}
readonly metadata_path={METADATA}
readonly workspace={WORKSPACE}

{RUNFILE_FUNCTION}

tarball="$(runfile "${tarball_path}")"
metadata="$(runfile "${metadata_path}")"

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
  echo "${label}: ${metadata_path}: the image metadata lacks an image_id (sha256:<64 hex>) or its two tags; rebuild the image" >&2
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
