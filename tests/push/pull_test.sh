#!/usr/bin/env bash
# End to end: image_pull in a nested workspace with a fresh output base
# pulls a base image by digest from a real registry on 127.0.0.1 (and from a
# local OCI layout), the archive loads with podman and serves, through the
# `bases` attribute, as the base of a docker_image target built by the nested
# Bazel; wrong pins, unpinned references and a blob tampered in the registry's
# storage fail with clear messages.
set -euo pipefail

here="${TEST_SRCDIR}/${TEST_WORKSPACE}/tests"
source "${here}/lib/registry.sh"
source "${here}/push/fixture.sh"
source "${here}/lib/imagegraph_repo.sh"

export NESTED_WS="${TEST_TMPDIR}/ws"
export NESTED_OUTPUT_BASE="${TEST_TMPDIR}/ob"
registry_on_exit nested_bazel_shutdown
# podman wants a runroot path of at most 50 characters.
podman_dir="$(mktemp -d /tmp/pull_test.podman.XXXXXX)"
registry_on_exit 'rm -rf "${podman_dir}" "${TEST_TMPDIR}/fixtures"'
podman=(podman --root "${podman_dir}/root" --runroot "${podman_dir}/run" --storage-driver vfs)

registry_start plain
registry_start tamper
registry_start mtamper
plain="${REGISTRY_ADDR[plain]}"
tamper="${REGISTRY_ADDR[tamper]}"

fixtures="${TEST_TMPDIR}/fixtures"
mkdir -p "${fixtures}" "${NESTED_WS}/child"
make_imagegraph_repo "${TEST_TMPDIR}/imagegraph" "${TEST_SRCDIR}/${TEST_WORKSPACE}" "${TEST_SRCDIR}/${TEST_WORKSPACE}"
make_busybox_image "${fixtures}" base "pinned base content"

# The base as a registry would hold it, and as an offline OCI layout.
skopeo copy --quiet --dest-tls-verify=false --digestfile "${fixtures}/digest" \
  "docker-archive:${fixtures}/base.tar" "docker://${plain}/base:1"
skopeo copy --quiet --dest-tls-verify=false --digestfile "${fixtures}/tamper_digest" \
  "docker-archive:${fixtures}/base.tar" "docker://${tamper}/base:1"
skopeo copy --quiet --digestfile "${fixtures}/oci_digest" \
  "docker-archive:${fixtures}/base.tar" "oci:${fixtures}/layout:base"
skopeo copy --quiet --dest-tls-verify=false \
  "docker-archive:${fixtures}/base.tar" "docker://${REGISTRY_ADDR[mtamper]}/base:1"
digest="$(cat "${fixtures}/digest")"
oci_digest="$(cat "${fixtures}/oci_digest")"
zero="sha256:$(printf '%064d' 0)"

# A multi-platform manifest list, as public bases are published: another
# image for linux/arm64 first, the base for linux/amd64 second. Pinning the
# list must give the image of this machine's platform.
make_busybox_image "${fixtures}" other "the arm64 image"
skopeo copy --quiet --dest-tls-verify=false \
  "docker-archive:${fixtures}/other.tar" "docker://${plain}/base:other"
list_digest="$(python3 - "${plain}" <<'PY'
import hashlib, json, subprocess, sys, urllib.request
registry = sys.argv[1]
def entry(tag, arch):
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                          f"docker://{registry}/base:{tag}"],
                         check=True, capture_output=True).stdout
    return {"mediaType": json.loads(raw)["mediaType"], "size": len(raw),
            "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
            "platform": {"architecture": arch, "os": "linux"}}
media_type = "application/vnd.docker.distribution.manifest.list.v2+json"
body = json.dumps({"schemaVersion": 2, "mediaType": media_type,
                   "manifests": [entry("other", "arm64"), entry("1", "amd64")]}).encode()
request = urllib.request.Request(f"http://{registry}/v2/base/manifests/multi",
                                 data=body, method="PUT",
                                 headers={"Content-Type": media_type})
urllib.request.urlopen(request).close()
print("sha256:" + hashlib.sha256(body).hexdigest())
PY
)"

# Flip bytes of the base's layer blob in the tamper registry's storage.
layer="$(skopeo inspect --raw --tls-verify=false "docker://${tamper}/base:1" | jq -r '.layers[0].digest')"
layer_hex="${layer#sha256:}"
blob="${REGISTRY_STORAGE[tamper]}/docker/registry/v2/blobs/sha256/${layer_hex:0:2}/${layer_hex}/data"
[[ -f "${blob}" ]] || fail "no blob file at ${blob}"
python3 - "${blob}" <<'PY'
import sys
path = sys.argv[1]
with open(path, "r+b") as f:
    head = bytearray(f.read(64))
    f.seek(0)
    f.write(bytes(b ^ 0xFF for b in head))
PY

# Change the manifest's bytes (still valid JSON) in the mtamper registry.
digest_hex="${digest#sha256:}"
manifest_blob="${REGISTRY_STORAGE[mtamper]}/docker/registry/v2/blobs/sha256/${digest_hex:0:2}/${digest_hex}/data"
[[ -f "${manifest_blob}" ]] || fail "no manifest blob at ${manifest_blob}"
sed -i 's/"schemaVersion":2/"schemaVersion":2 /' "${manifest_blob}"

cat >"${NESTED_WS}/WORKSPACE" <<WS
workspace(name = "fixture")

local_repository(
    name = "imagegraph",
    path = "${TEST_TMPDIR}/imagegraph",
)

local_repository(
    name = "bazel_skylib",
    path = "/usr/share/bazel/tools/skylib",
)

load("@imagegraph//rules:repositories.bzl", "image_pull")

image_pull(
    name = "base",
    image = "${plain}/base:1@${digest}",
    tls_verify = False,
)

image_pull(
    name = "seeded",
    # Never contacted: the layout provides everything.
    image = "127.0.0.1:9/base@${oci_digest}",
    oci_layout = "${fixtures}/layout",
)

image_pull(
    name = "multi",
    image = "${plain}/base@${list_digest}",
    tls_verify = False,
)

image_pull(
    name = "wrong_pin",
    image = "${plain}/base@${zero}",
    tls_verify = False,
)

image_pull(
    name = "unpinned",
    image = "${plain}/base:1",
    tls_verify = False,
)

image_pull(
    name = "tampered",
    image = "${tamper}/base@$(cat "${fixtures}/tamper_digest")",
    tls_verify = False,
)

image_pull(
    name = "tampered_manifest",
    image = "${REGISTRY_ADDR[mtamper]}/base@${digest}",
    tls_verify = False,
)

image_pull(
    name = "seeded_missing",
    image = "127.0.0.1:9/base@${zero}",
    oci_layout = "${fixtures}/layout",
)
WS
# The index stays off: the child must really build in this output base.
cat >"${NESTED_WS}/.bazelrc" <<'RC'
build --color=no --curses=no --noshow_progress
build --spawn_strategy=processwrapper-sandbox
build --@imagegraph//rules:index=off
RC
archive_tag="${plain}/base:${digest/:/-}"
base_ref="${plain}/base@${digest}"
echo "${plain}/imagegraph" >"${NESTED_WS}/REGISTRY"
cat >"${NESTED_WS}/child/Dockerfile" <<DOCKERFILE
FROM ${base_ref}
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /marker.txt > /child.txt && echo built on the pinned base >> /child.txt"]
CMD ["/bin/busybox", "cat", "/child.txt"]
DOCKERFILE
cat >"${NESTED_WS}/BUILD.bazel" <<BUILD
load("@imagegraph//rules:defs.bzl", "docker_image")

docker_image(
    name = "child",
    bases = {"${base_ref}": "@base//:image"},
    dockerfile = "child/Dockerfile",
    references = {"${base_ref}": "${base_ref}"},
    registry = "REGISTRY",
)
BUILD

out="${TEST_TMPDIR}/out"
err="${TEST_TMPDIR}/err"
build() {
  rc=0
  nested_bazel build "$@" >"${out}" 2>"${err}" || rc=$?
}

echo "== pull by digest into a fresh output base"
build @base//:image
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "pulling @base exited ${rc}"; }
external="$(nested_bazel info output_base 2>/dev/null)/external"
[[ "$(jq -r .manifest_digest "${external}/base/image.json")" == "${digest}" ]] || fail "image.json has the wrong digest"
[[ "sha256:$(sha256sum <"${external}/base/manifest.json" | cut -d' ' -f1)" == "${digest}" ]] ||
  fail "manifest.json does not hash to the pin"
[[ ! -e "${external}/base/image.tar.partial" ]] || fail "a partial archive was left"

echo "== the archive loads with podman"
podman_out="$("${podman[@]}" load -i "${external}/base/image.tar" 2>&1)" || fail "podman load failed: ${podman_out}"
[[ "${podman_out}" == *"${archive_tag}"* ]] || fail "podman loaded something else: ${podman_out}"
image_id="$(jq -r .image_id "${external}/base/image.json")"
"${podman[@]}" images --no-trunc --format '{{.ID}}' | grep -q "${image_id#sha256:}" || fail "podman has no image ${image_id}"

echo "== the pulled image is the base of a docker_image build"
exec_log="${TEST_TMPDIR}/exec_log.json"
registry_reads() { registry_count_requests plain '(GET|HEAD)' '/v2/base/(manifests|blobs)/'; }
reads_before="$(registry_reads)"
[[ "${reads_before}" -gt 0 ]] || fail "the registry log shows no reads of the pulled base"
build //:child --execution_log_json_file="${exec_log}"
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "building //:child on the base exited ${rc}"; }
# The build used the pulled archive, not the registry the FROM line names.
[[ "$(registry_reads)" == "${reads_before}" ]] || fail "building //:child read the base from the registry"
[[ -s "${NESTED_WS}/bazel-bin/child.tar.zst" ]] || fail "no child.tar.zst"
[[ -s "${NESTED_WS}/bazel-bin/child.image.json" ]] || fail "no child.image.json"
child_id="$(jq -r .image_id "${NESTED_WS}/bazel-bin/child.image.json")"
[[ "${child_id}" == sha256:* ]] || fail "child.image.json has no image ID: ${child_id}"
[[ "${child_id}" != "${image_id}" ]] || fail "the child is the base itself"
built="$(jq -r 'select(.mnemonic == "ImageBuild") | .listedOutputs[]' "${exec_log}")"
[[ "${built}" == *"/child.tar.zst"* ]] || { cat "${err}" >&2; fail "no ImageBuild spawn of child in the execution log: ${built}"; }
expect_file_contains "${err}" "loading base ${base_ref}"

# Run the image's own command in a private storage.
storage="${TEST_TMPDIR}/run_storage"
registry_on_exit 'buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs rm --all >/dev/null 2>&1 || true; rm -rf "${storage}"'
child_buildah=(buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs)
mkdir -p "${storage}"
zstd -q -d "${NESTED_WS}/bazel-bin/child.tar.zst" -o "${storage}/child.tar"
"${child_buildah[@]}" pull --quiet "docker-archive:${storage}/child.tar" >/dev/null
rm -f "${storage}/child.tar"
container="$("${child_buildah[@]}" from --quiet "${child_id}")"
"${child_buildah[@]}" inspect --type image "${child_id}" >"${TEST_TMPDIR}/child_inspect.json"
mapfile -t child_cmd < <(jq -r '.OCIv1.config.Cmd // [] | .[]' "${TEST_TMPDIR}/child_inspect.json")
[[ "${#child_cmd[@]}" -gt 0 ]] || fail "the child image has no command"
"${child_buildah[@]}" run --isolation chroot "${container}" -- "${child_cmd[@]}" >"${TEST_TMPDIR}/child_out" ||
  fail "running the child's command ${child_cmd[*]} failed"
expect_file_contains "${TEST_TMPDIR}/child_out" "pinned base content"
expect_file_contains "${TEST_TMPDIR}/child_out" "built on the pinned base"
"${child_buildah[@]}" rm --all >/dev/null
"${child_buildah[@]}" rmi --all --force >/dev/null
rm -rf "${storage}"

echo "== a pinned multi-platform manifest list gives this platform's image"
[[ "$(uname -m)" == x86_64 ]] || fail "this test assumes an amd64 machine"
build @multi//:image
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "pulling the manifest list exited ${rc}"; }
[[ "$(jq -r .manifest_digest "${external}/multi/image.json")" == "${list_digest}" ]] ||
  fail "multi: image.json does not record the list's digest"
[[ "$(jq -r .image_id "${external}/multi/image.json")" == "${image_id}" ]] ||
  fail "multi: pulled $(jq -r .image_id "${external}/multi/image.json"), not the amd64 base ${image_id}"
[[ "$(jq -r .mediaType "${external}/multi/manifest.json")" == *manifest.list* ]] ||
  fail "multi: manifest.json is not the pinned list"

echo "== offline seeding from an OCI layout"
build @seeded//:image
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "seeding from the layout exited ${rc}"; }
[[ "$(jq -r .manifest_digest "${external}/seeded/image.json")" == "${oci_digest}" ]] || fail "seeded digest wrong"
[[ -d "${fixtures}/layout/blobs/sha256" ]] || fail "the seeding layout lost its blobs"

echo "== a layout without the pinned manifest"
build @seeded_missing//:image
[[ "${rc}" != 0 ]] || fail "a missing manifest in the layout was accepted"
expect_file_contains "${err}" "image_pull(name = \"seeded_missing\"): oci_layout = \"${fixtures}/layout\" does not hold the pinned manifest ${zero}"

echo "== a pin the registry does not have"
build @wrong_pin//:image
[[ "${rc}" != 0 ]] || fail "a wrong pin was accepted"
expect_file_contains "${err}" "image_pull(name = \"wrong_pin\"): reading the manifest of ${plain}/base@${zero} failed"
expect_file_contains "${err}" "manifest unknown"

echo "== an unpinned reference"
build @unpinned//:image
[[ "${rc}" != 0 ]] || fail "an unpinned reference was accepted"
expect_file_contains "${err}" "image_pull(name = \"unpinned\"): image = \"${plain}/base:1\" is not pinned"

echo "== a blob tampered in the registry fails verification"
build @tampered//:image
[[ "${rc}" != 0 ]] || fail "a tampered blob was accepted"
expect_file_contains "${err}" "image_pull(name = \"tampered\"): pulling ${tamper}/base@"
expect_file_contains "${err}" "verification failed"
expect_file_contains "${err}" "${layer}"
grep -m1 -F 'image_pull(name = "tampered")' "${err}" || true
[[ ! -e "${external}/tampered/image.tar" ]] || fail "an archive was written from tampered data"

echo "== a manifest tampered in the registry fails verification"
build @tampered_manifest//:image
[[ "${rc}" != 0 ]] || fail "a tampered manifest was accepted"
expect_file_contains "${err}" "image_pull(name = \"tampered_manifest\"): verification failed: the registry served a manifest for ${REGISTRY_ADDR[mtamper]}/base@${digest} whose digest is sha256:"
[[ ! -e "${external}/tampered_manifest/image.tar" ]] || fail "an archive was written from a tampered manifest"

echo "PASS"
