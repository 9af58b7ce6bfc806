#!/usr/bin/env bash
# Every image of images/ built: each tarball is a docker-archive whose config
# is the image ID its metadata records, tagged REGISTRY/NAME:VERSION (the
# folder's REGISTRY when it has one); and the decision image's command runs.
set -euo pipefail

runfiles_root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
images_dir="${runfiles_root}/images"
work="${TEST_TMPDIR}/work"
mkdir -p "${work}"

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

count=0
for metadata in "${images_dir}"/*.image.json; do
  name="$(basename "${metadata}" .image.json)"
  tarball="${images_dir}/${name}.tar.zst"
  [[ -f "${tarball}" ]] || fail "${name}: no tarball beside ${metadata}"
  image_id="$(jq -r .image_id "${metadata}")"
  config="$(zstd -dc <"${tarball}" | tar -xOf - manifest.json | jq -r '.[0].Config')"
  config_id="${config##*/}"
  config_id="sha256:${config_id%.json}"
  config_id="${config_id/sha256:sha256:/sha256:}"
  [[ "${config_id}" == "${image_id}" ]] || fail "${name}: archive config ${config} is not image ${image_id}"
  context_hash="$(tr -d '[:space:]' <"${images_dir}/${name}.context_hash")"
  [[ "$(jq -r .context_hash "${metadata}")" == "${context_hash}" ]] || fail "${name}: metadata context hash differs"
  registry="$(head -n 1 "${images_dir}/REGISTRY")"
  [[ -f "${images_dir}/${name}/REGISTRY" ]] && registry="$(head -n 1 "${images_dir}/${name}/REGISTRY")"
  version=latest
  [[ -f "${images_dir}/${name}/VERSION" ]] && version="$(head -n 1 "${images_dir}/${name}/VERSION")"
  for tag in "${registry}/${name}:${version}" "${registry}/${name}:${context_hash}"; do
    jq -e --arg tag "${tag}" '.tags | index($tag)' "${metadata}" >/dev/null || fail "${name}: metadata lacks tag ${tag}"
  done
  echo "ok ${name} ${image_id} ${registry}/${name}:${version}"
  count=$((count + 1))
done
((count >= 13)) || fail "only ${count} images found under ${images_dir}"

# Run the decision image's command on a small graph.
storage="${work}/buildah"
buildah_flags=(--root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs)
trap 'buildah "${buildah_flags[@]}" rm --all >/dev/null 2>&1 || true; rm -rf "${storage}"' EXIT
zstd -dc <"${images_dir}/decision.tar.zst" >"${work}/decision.tar"
container="$(buildah "${buildah_flags[@]}" from "docker-archive:${work}/decision.tar")"
rm "${work}/decision.tar"
cat >"${work}/graph.json" <<'JSON'
{"tasks": [{"label": "test-linux", "level": 2}, {"label": "build-linux", "level": 1}]}
JSON
buildah "${buildah_flags[@]}" copy "${container}" "${work}/graph.json" /tmp/graph.json >/dev/null
output="$(buildah "${buildah_flags[@]}" run --isolation chroot "${container}" -- run-task -- decide /tmp/graph.json 2>/dev/null)"
[[ "${output}" == $'build-linux\ntest-linux' ]] || fail "decide printed '${output}'"
echo "ok decision runs: ${output//$'\n'/, }"
echo "PASS: ${count} images"
