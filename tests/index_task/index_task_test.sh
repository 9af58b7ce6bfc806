#!/usr/bin/env bash
# Runs the index-task image (buildah from + buildah run --isolation chroot, in
# a private vfs storage) against a local index directory mounted at /index:
# the index CLI inside the image inserts an artifact, and the index CLI on the
# host finds it under every namespace; the insert-indexes wrapper works too;
# a namespace of another level is refused with a message naming it.
set -euo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
tarball="${runfiles}/images/index-task.tar.zst"
metadata="${runfiles}/images/index-task.image.json"
index_cli="${runfiles}/tools/index/index"
storage="${TEST_TMPDIR}/storage"
index_dir="${TEST_TMPDIR}/index"
export TMPDIR="${TEST_TMPDIR}/tmp"
mkdir -p "${TMPDIR}" "${storage}"

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

b() {
  buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs "$@"
}

cleanup() {
  b rm --all >/dev/null 2>&1 || true
  b rmi --all --force >/dev/null 2>&1 || true
  rm -rf "${storage}" "${TMPDIR}" "${index_dir}" "${TEST_TMPDIR}/index-task.tar"
}
trap cleanup EXIT

zstd -q -d -c <"${tarball}" >"${TEST_TMPDIR}/index-task.tar"
loaded="$(b pull --quiet "docker-archive:${TEST_TMPDIR}/index-task.tar" | tail -n 1)"
rm -f "${TEST_TMPDIR}/index-task.tar"
expected_id="$(jq -r .image_id "${metadata}")"
[[ "sha256:${loaded}" == "${expected_id}" ]] || fail "loaded image ${loaded}, but index-task.image.json says ${expected_id}"
container="$(b from --quiet "${loaded}")"

# in_image ARGS...: runs a command in the image, with the index at /index.
in_image() {
  b run --isolation chroot -v "${index_dir}:/index" "$@"
}

mkdir -p "${index_dir}"
# The image runs as its unprivileged worker user.
chmod 0777 "${index_dir}"
printf 'an image tarball\n' | zstd -q >"${index_dir}/artifact.tar.zst"
chmod 0644 "${index_dir}/artifact.tar.zst"

where="$(in_image "${container}" -- sh -c 'command -v index')"
[[ "${where}" == /usr/local/bin/index ]] || fail "index is at '${where}', expected /usr/local/bin/index"

context_hash="$(printf 'context' | sha256sum | cut -d' ' -f1)"
image_id="sha256:$(printf 'image' | sha256sum | cut -d' ' -f1)"
extra_ns="docker.images.v2.level-3.fetch.revision.r1234"
in_image "${container}" -- index --index=/index --level=3 insert --name=fetch \
  --context_hash="${context_hash}" --image_id="${image_id}" --revision=r1234 \
  --namespace="${extra_ns}" /index/artifact.tar.zst >"${TEST_TMPDIR}/insert.out" ||
  fail "index insert in the image failed: $(cat "${TEST_TMPDIR}/insert.out")"

# From the host: the entry is there under the hash, latest, pushdate and the
# extra namespace, and its artifact verifies.
for ns in "docker.images.v2.level-3.fetch.hash.${context_hash}" docker.images.v2.level-3.fetch.latest "${extra_ns}"; do
  entry="$("${index_cli}" --index="${index_dir}" --level=3 find "${ns}")" || fail "find ${ns} failed"
  [[ "$(jq -r .image_id <<<"${entry}")" == "${image_id}" ]] || fail "${ns}: entry ${entry} does not name ${image_id}"
  [[ "$(jq -r .level <<<"${entry}")" == 3 && "$(jq -r .revision <<<"${entry}")" == r1234 ]] ||
    fail "${ns}: entry ${entry} is not level 3 from revision r1234"
done
pushdates="$("${index_cli}" --index="${index_dir}" list docker.images.v2.level-3.fetch.pushdate.)"
[[ -n "${pushdates}" ]] || fail "no pushdate namespace was written"
"${index_cli}" --index="${index_dir}" --level=3 lookup --name=fetch --context_hash="${context_hash}" \
  "${TEST_TMPDIR}/fetched.tar.zst" >/dev/null || fail "lookup from the host failed"
cmp -s "${TEST_TMPDIR}/fetched.tar.zst" "${index_dir}/artifact.tar.zst" || fail "the fetched artifact differs from the inserted one"
echo "ok: the image's index CLI inserted ${extra_ns} and the hash/latest/pushdate routes"

# The insert-indexes wrapper (the image's command) indexes at level 3 into $INDEX.
other_hash="$(printf 'other' | sha256sum | cut -d' ' -f1)"
in_image --env INDEX=/index "${container}" -- insert-indexes --name=lint \
  --context_hash="${other_hash}" --image_id="${image_id}" /index/artifact.tar.zst >/dev/null ||
  fail "insert-indexes failed"
"${index_cli}" --index="${index_dir}" find "docker.images.v2.level-3.lint.hash.${other_hash}" | jq -e .image_id >/dev/null ||
  fail "insert-indexes did not write docker.images.v2.level-3.lint.hash.${other_hash}"
echo "ok: insert-indexes wrote the lint entry"

# A namespace of another level is refused, and nothing is written.
if out="$(in_image "${container}" -- index --index=/index --level=3 insert --name=fetch \
  --context_hash="${other_hash}" --image_id="${image_id}" \
  --namespace=docker.images.v2.level-1.fetch.sneaky /index/artifact.tar.zst 2>&1)"; then
  fail "inserting a level-1 namespace at level 3 succeeded"
fi
grep -qF 'namespace "docker.images.v2.level-1.fetch.sneaky" is not a level-3 namespace' <<<"${out}" ||
  fail "unexpected error for a wrong-level namespace: ${out}"
[[ "$("${index_cli}" --index="${index_dir}" find "docker.images.v2.level-3.fetch.hash.${other_hash}")" == null ]] ||
  fail "a refused insert wrote an entry"
echo "ok: a wrong-level namespace is refused: ${out}"
echo "PASS"
