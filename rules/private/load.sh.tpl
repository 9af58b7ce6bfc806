#!/usr/bin/env bash
# Loads image {NAME} into docker when a daemon answers, else into podman, and
# tags it REGISTRY/NAME:VERSION and REGISTRY/NAME:<context hash>.
set -euo pipefail

runfile() {
  local path="$1"
  if [[ -e "${path}" ]]; then
    echo "${path}"
  elif [[ -n "${RUNFILES_DIR:-}" && -e "${RUNFILES_DIR}/${path#../}" ]]; then
    echo "${RUNFILES_DIR}/${path#../}"
  else
    echo "$0.runfiles/{WORKSPACE}/${path}"
  fi
}

tarball="$(runfile "{TARBALL}")"
context_hash="$(tr -d '[:space:]' <"$(runfile "{CONTEXT_HASH}")")"
registry="$(head -n 1 "$(runfile "{REGISTRY}")" | tr -d '[:space:]')"
version_file="{VERSION}"
if [[ -n "${version_file}" ]]; then
  version="$(head -n 1 "$(runfile "${version_file}")" | tr -d '[:space:]')"
else
  version=latest
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  engine=docker
elif command -v podman >/dev/null 2>&1; then
  engine=podman
else
  echo "{LABEL}: neither a docker daemon nor podman is available; start docker or apt-get install podman" >&2
  exit 1
fi

image_id="$(jq -r '.image_id' "$(runfile "{METADATA}")")"
image_id="${image_id#sha256:}"
if [[ ! "${image_id}" =~ ^[0-9a-f]{64}$ ]]; then
  echo "{LABEL}: {METADATA}: no image_id (sha256:<64 hex>) in the image metadata; rebuild the image" >&2
  exit 1
fi

load_output="$(zstd -dc <"${tarball}" | "${engine}" load 2>&1)" || {
  echo "${load_output}" >&2
  echo "{LABEL}: ${engine} load failed" >&2
  exit 1
}

for tag in "${registry}/{NAME}:${version}" "${registry}/{NAME}:${context_hash}"; do
  "${engine}" tag "${image_id}" "${tag}"
  echo "Loaded {NAME} (image ${image_id:0:12}) into ${engine} as ${tag}"
done
