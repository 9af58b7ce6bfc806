#!/usr/bin/env bash
# End to end: `bazel run //images:NAME.push` in a nested workspace against
# real registries on 127.0.0.1: push, digest read back, the HASH check
# passing and failing, --update-hash, no VERSION, index tags, basic auth
# with right and wrong credentials, and a registry that is down.
set -euo pipefail

here="${TEST_SRCDIR}/${TEST_WORKSPACE}/tests"
source "${here}/lib/registry.sh"
source "${here}/push/fixture.sh"

root="$(source_root)"
export NESTED_WS="${TEST_TMPDIR}/ws"
export NESTED_OUTPUT_BASE="${TEST_TMPDIR}/ob"
registry_on_exit nested_bazel_shutdown

registry_start plain
registry_start secure alice 'Pa55-word-never-shown'
plain="${REGISTRY_ADDR[plain]}"
secure="${REGISTRY_ADDR[secure]}"

mkdir -p "${NESTED_WS}/images/tiny" "${NESTED_WS}/images/bare" "${TEST_TMPDIR}/fixtures"
fixtures="${TEST_TMPDIR}/fixtures"
make_busybox_image "${fixtures}" one "first image"
make_busybox_image "${fixtures}" two "second image"

{
  echo 'workspace(name = "fixture")'
  echo
  nested_workspace_prelude "${root}"
} >"${NESTED_WS}/WORKSPACE"
cat >"${NESTED_WS}/.bazelrc" <<'RC'
build --spawn_strategy=processwrapper-sandbox
build --cxxopt=-std=c++17 --host_cxxopt=-std=c++17
build --color=no --curses=no --noshow_progress
RC
cat >"${NESTED_WS}/images/prebuilt.bzl" <<'BZL'
"""A built image as the image rules return it, from a tarball made by the test."""

load("@imagegraph//rules:defs.bzl", "ImageInfo", "ImageRegistryInfo")

def _prebuilt_image_impl(ctx):
    return [
        DefaultInfo(files = depset([ctx.file.tarball])),
        ImageInfo(
            name = ctx.attr.image_name,
            folder = ctx.attr.folder,
            tarball = ctx.file.tarball,
            metadata = None,
            context_hash = ctx.file.context_hash,
        ),
        ImageRegistryInfo(
            registry_file = ctx.file.registry_file,
            version_file = ctx.file.version_file,
            hash_file = ctx.file.hash_file,
        ),
    ]

prebuilt_image = rule(
    implementation = _prebuilt_image_impl,
    attrs = {
        "context_hash": attr.label(allow_single_file = True),
        "folder": attr.string(),
        "hash_file": attr.label(allow_single_file = True),
        "image_name": attr.string(),
        "registry_file": attr.label(allow_single_file = True),
        "tarball": attr.label(allow_single_file = True),
        "version_file": attr.label(allow_single_file = True),
    },
)
BZL
cat >"${NESTED_WS}/images/BUILD.bazel" <<'BUILD'
load("@imagegraph//rules:defs.bzl", "image_push")
load(":prebuilt.bzl", "prebuilt_image")

HASH = glob(["tiny/HASH"])

prebuilt_image(
    name = "tiny",
    context_hash = "tiny/context_hash",
    folder = "images/tiny",
    hash_file = HASH[0] if HASH else None,
    image_name = "tiny",
    registry_file = "REGISTRY",
    tarball = "tiny/tiny.tar.zst",
    version_file = "tiny/VERSION",
)

image_push(
    name = "tiny.push",
    image = ":tiny",
)

# No provider, no VERSION: files given directly.
filegroup(
    name = "bare",
    srcs = ["bare/bare.tar.zst"],
)

image_push(
    name = "bare.push",
    folder = "images/bare",
    image = ":bare",
    image_name = "bare",
    registry_file = "REGISTRY",
)
BUILD
echo "${plain}/ci" >"${NESTED_WS}/images/REGISTRY"
echo "1.0" >"${NESTED_WS}/images/tiny/VERSION"
printf '%064d' 7 | tr 0 a >"${NESTED_WS}/images/tiny/context_hash"
cp "${fixtures}/one.tar.zst" "${NESTED_WS}/images/tiny/tiny.tar.zst"
cp "${fixtures}/two.tar.zst" "${NESTED_WS}/images/bare/bare.tar.zst"

out="${TEST_TMPDIR}/out"
err="${TEST_TMPDIR}/err"
hash_file="${NESTED_WS}/images/tiny/HASH"

# Runs a target; leaves stdout/stderr in $out/$err and the exit code in $rc.
run_target() {
  rc=0
  nested_bazel run "$@" >"${out}" 2>"${err}" || rc=$?
}

served_digest() {
  echo "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1)"
}

echo "== push without HASH: pushes, prints the pinned reference, warns"
run_target //images:tiny.push -- --tls-verify=false
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "first push exited ${rc}"; }
digest_one="$(served_digest "${plain}/ci/tiny:1.0")"
expect_file_contains "${out}" "${plain}/ci/tiny@${digest_one}"
expect_file_contains "${err}" "images/tiny is not pinned (no HASH file)"
[[ ! -e "${hash_file}" ]] || fail "HASH was written without --update-hash"

echo "== --update-hash pins the digest read back from the registry"
run_target //images:tiny.push -- --tls-verify=false --update-hash
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "--update-hash exited ${rc}"; }
[[ "$(cat "${hash_file}")" == "${digest_one}" ]] || fail "HASH holds '$(cat "${hash_file}")', want ${digest_one}"

echo "== HASH check passes on an unchanged image"
run_target //images:tiny.push -- --tls-verify=false
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "pinned push exited ${rc}"; }
expect_file_contains "${err}" "digest ${digest_one} matches"

echo "== HASH check fails on a changed image: exit 3, HASH and tag unchanged"
cp "${fixtures}/two.tar.zst" "${NESTED_WS}/images/tiny/tiny.tar.zst"
run_target //images:tiny.push -- --tls-verify=false
[[ "${rc}" == 3 ]] || { cat "${err}" >&2; fail "mismatching push exited ${rc}, want 3"; }
expect_file_contains "${err}" "images/tiny/HASH:1: pins ${digest_one}, but this build of tiny is a different image: ${plain}/ci/tiny:1.0 was pushed with manifest digest"
expect_file_contains "${err}" "HASH is unchanged and the tag was put back to ${digest_one}"
# Why builds drift, and the one command that pins this build (run below).
expect_file_contains "${err}" "packages from a live Debian mirror (mmdebstrap, apt-get in a RUN step) make a different image once the mirror has moved"
expect_file_contains "${err}" "To pin this build instead, run"
pin_command="$(grep -A1 -F "To pin this build instead, run" "${err}" | tail -n 1 | sed 's/^ *//')"
expect_eq "${pin_command}" "bazel run //images:tiny.push -- --tls-verify=false --update-hash" \
  "the command the mismatch prints"
[[ "$(cat "${hash_file}")" == "${digest_one}" ]] || fail "HASH changed after a failed check"
[[ "$(served_digest "${plain}/ci/tiny:1.0")" == "${digest_one}" ]] || fail "the tag was not put back"

echo "== HASH pinning an image the registry lacks: exit 3, HASH unchanged, says so"
absent="sha256:$(printf '%064d' 0 | tr 0 b)"
echo "${absent}" >"${hash_file}"
run_target //images:tiny.push -- --tls-verify=false
[[ "${rc}" == 3 ]] || { cat "${err}" >&2; fail "push against an absent pin exited ${rc}, want 3"; }
expect_file_contains "${err}" "the registry has no image ${absent} to put the tag back to"
[[ "$(cat "${hash_file}")" == "${absent}" ]] || fail "HASH changed after a failed check"
echo "${digest_one}" >"${hash_file}"

echo "== the printed command (--update-hash) pins the changed image"
eval "run_target ${pin_command#bazel run }"
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "--update-hash (changed) exited ${rc}"; }
digest_two="$(served_digest "${plain}/ci/tiny:1.0")"
[[ "${digest_two}" != "${digest_one}" ]] || fail "a different image kept the digest"
[[ "$(cat "${hash_file}")" == "${digest_two}" ]] || fail "HASH not updated to ${digest_two}"
ls -A "${NESTED_WS}/images/tiny" | sort >"${TEST_TMPDIR}/folder_listing"
[[ "$(tr '\n' ' ' <"${TEST_TMPDIR}/folder_listing")" == "HASH VERSION context_hash tiny.tar.zst " ]] ||
  fail "unexpected files in images/tiny: $(cat "${TEST_TMPDIR}/folder_listing")"

echo "== a malformed HASH is an error naming the file"
cp "${hash_file}" "${TEST_TMPDIR}/HASH.saved"
echo "sha256:not-a-digest" >"${hash_file}"
run_target //images:tiny.push -- --tls-verify=false
[[ "${rc}" == 1 ]] || fail "malformed HASH exited ${rc}, want 1"
expect_file_contains "${err}" "images/tiny/HASH:1: \"sha256:not-a-digest\" is not a digest"
cp "${TEST_TMPDIR}/HASH.saved" "${hash_file}"

echo "== no VERSION: tag latest with a warning"
run_target //images:bare.push -- --tls-verify=false
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "bare push exited ${rc}"; }
expect_file_contains "${err}" "images/bare has no VERSION file; pushing the tag \`latest\`"
expect_file_contains "${out}" "${plain}/ci/bare@$(served_digest "${plain}/ci/bare:latest")"

echo "== --index tags the pushed image in the repository it names"
run_target //images:tiny.push -- --tls-verify=false --index="registry://${plain}/index" --level=2
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "index push exited ${rc}"; }
context_hash="$(cat "${NESTED_WS}/images/tiny/context_hash")"
[[ "$(served_digest "${plain}/index:docker.images.v2.level-2.tiny.hash.${context_hash}")" == "${digest_two}" ]] ||
  fail "index hash tag missing or wrong"
[[ "$(served_digest "${plain}/index:docker.images.v2.level-2.tiny.latest")" == "${digest_two}" ]] ||
  fail "index latest tag missing or wrong"
# Not the image index of the builds under the same URL (docs/push.md): that
# one keeps its entries in index/level-N, where imagepush writes nothing.
if level_tags="$(skopeo list-tags --tls-verify=false "docker://${plain}/index/level-2" 2>&1)"; then
  fail "imagepush --index wrote into the image index's level repository: ${level_tags}"
fi
expect_contains "${level_tags}" "404 (Not Found)" "the image index's level-2 repository does not exist"

echo "== basic auth: right credentials from REGISTRY_AUTH_FILE"
auth_dir="${TEST_TMPDIR}/auth"
mkdir -p "${auth_dir}"
write_auth() {
  local token
  token="$(printf '%s:%s' alice "$1" | base64 -w0)"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "${secure}" "${token}" >"${auth_dir}/auth.json"
}
write_auth 'Pa55-word-never-shown'
REGISTRY_AUTH_FILE="${auth_dir}/auth.json" run_target //images:tiny.push -- --tls-verify=false --registry="${secure}/team"
[[ "${rc}" == 0 ]] || { cat "${err}" >&2; fail "authenticated push exited ${rc}"; }
expect_file_contains "${err}" "digest ${digest_two} matches"
if grep -qF 'Pa55-word-never-shown' "${out}" "${err}"; then fail "the password appeared in the output"; fi

echo "== basic auth: wrong credentials are a clear error naming the auth file, never printed"
write_auth 'Wrong-secret-value-42'
REGISTRY_AUTH_FILE="${auth_dir}/auth.json" run_target //images:tiny.push -- --tls-verify=false --registry="${secure}/team"
[[ "${rc}" == 1 ]] || { cat "${err}" >&2; fail "wrong-credential push exited ${rc}, want 1"; }
expect_file_contains "${err}" "registry ${secure} rejected the credentials from ${auth_dir}/auth.json for docker://${secure}/team/tiny:"
expect_file_contains "${err}" "the password or token there is wrong or expired"
expect_file_contains "${err}" "skopeo login ${secure}"
if grep -qF 'Wrong-secret-value-42' "${out}" "${err}"; then fail "the wrong password appeared in the output"; fi
if grep -qF "$(printf 'alice:Wrong-secret-value-42' | base64 -w0)" "${out}" "${err}"; then fail "the encoded credentials appeared in the output"; fi
# Given with --authfile, the file is named the same way.
run_target //images:tiny.push -- --tls-verify=false --registry="${secure}/team" --authfile="${auth_dir}/auth.json"
[[ "${rc}" == 1 ]] || { cat "${err}" >&2; fail "wrong-credential push with --authfile exited ${rc}, want 1"; }
expect_file_contains "${err}" "rejected the credentials from ${auth_dir}/auth.json"

echo "== no credentials at all: a different message, naming the files searched"
REGISTRY_AUTH_FILE="${auth_dir}/missing.json" run_target //images:tiny.push -- --tls-verify=false --registry="${secure}/team"
[[ "${rc}" == 1 ]] || fail "anonymous push to an auth registry exited ${rc}, want 1"
expect_file_contains "${err}" "registry ${secure} requires a login for docker://${secure}/team/tiny:"
expect_file_contains "${err}" "no credentials for it are in ${auth_dir}/missing.json"
if grep -qF "rejected the credentials" "${err}"; then fail "a missing login was reported as wrong credentials"; fi

echo "== registry down: bounded retries, clear error, nothing written"
registry_stop plain
start="$(date +%s)"
run_target //images:tiny.push -- --tls-verify=false --update-hash
elapsed="$(($(date +%s) - start))"
[[ "${rc}" == 1 ]] || fail "push to a stopped registry exited ${rc}, want 1"
expect_file_contains "${err}" "cannot reach registry ${plain}"
expect_file_contains "${err}" "after 3 attempts"
expect_file_contains "${err}" "connection refused"
[[ "$(cat "${hash_file}")" == "${digest_two}" ]] || fail "HASH changed while the registry was down"
ls -A "${NESTED_WS}/images/tiny" | sort >"${TEST_TMPDIR}/folder_listing_after"
cmp -s "${TEST_TMPDIR}/folder_listing" "${TEST_TMPDIR}/folder_listing_after" ||
  fail "files appeared in images/tiny: $(cat "${TEST_TMPDIR}/folder_listing_after")"
echo "registry down: failed after ${elapsed} s (bazel run included)"

echo "PASS"
