#!/usr/bin/env bash
# The first push on a fresh machine, as docs/quickstart.md walks through it:
# `./bazelw run //images:lint.push -- --registry=... --tls-verify=false` of the
# images/ tree's lint image, built here, against the HASH the tree pins, is
# refused with a message that says the build differs from the pinned image,
# why, and the command that pins it; that command, run as printed, pins it
# and the same push then passes.
#
# The commands are taken from the document. `./bazelw run //images:lint.push`
# becomes the target's launcher run the way `bazel run` runs it: from a
# runfiles tree whose images/lint/HASH is the source tree's (here a copy, so
# the checkout's HASH is never written), with BUILD_WORKSPACE_DIRECTORY set
# to that source tree. The registry is a fresh one on a free loopback port
# in place of the document's 127.0.0.1:5000.
set -euo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles}/tests/lib/checks.sh"
source "${runfiles}/tests/lib/registry.sh"
source "${runfiles}/tests/lib/doc_commands.sh"

registry_start fresh
registry="${REGISTRY_ADDR[fresh]}"

# The source tree: images/lint/HASH as the checkout pins it.
source_tree="${TEST_TMPDIR}/source"
mkdir -p "${source_tree}/images/lint"
cp "${runfiles}/images/lint/HASH" "${source_tree}/images/lint/HASH"
chmod u+w "${source_tree}/images/lint/HASH"
# The launcher and its runfiles, linking HASH to the source tree's.
launcher="${TEST_TMPDIR}/bin/lint.push.sh"
mkdir -p "$(dirname "${launcher}")"
cp "${runfiles}/images/lint.push.sh" "${launcher}"
mkdir -p "${launcher}.runfiles"
cp -rs "${TEST_SRCDIR}/." "${launcher}.runfiles/"
ln -sfn "${source_tree}/images/lint/HASH" "${launcher}.runfiles/${TEST_WORKSPACE}/images/lint/HASH"

# run_doc_command LINE: runs the document's command line (see the header).
run_doc_command() {
  local line="$1"
  line="${line//127.0.0.1:5000/${registry}}"
  local args="${line#./bazelw run //images:lint.push -- }"
  rc=0
  eval "BUILD_WORKSPACE_DIRECTORY='${source_tree}' '${launcher}' ${args}" \
    >"${TEST_TMPDIR}/out" 2>"${TEST_TMPDIR}/err" || rc=$?
  out="$(cat "${TEST_TMPDIR}/out")"
  err="$(cat "${TEST_TMPDIR}/err")"
}

doc_command docs/quickstart.md './bazelw run //images:lint.push -- --registry=127.0.0.1:5000/imagegraph --tls-verify=false'
first="${doc_line}"
doc_command docs/quickstart.md '//images:lint.push -- --registry=127.0.0.1:5000/imagegraph --tls-verify=false --update-hash'
pin="${doc_line}"

pinned="$(cat "${source_tree}/images/lint/HASH")"
run_doc_command "${first}"
if [[ "${rc}" == 0 ]]; then
  # This machine's build is exactly the pinned image (the mirror and the
  # builder have not moved since it was pinned): a fresh machine a little
  # later would not be so lucky, so pin another image to see the refusal.
  echo "the checkout's HASH matches this build; pinning another digest instead"
  pinned="sha256:$(printf '%064d' 0 | tr 0 e)"
  echo "${pinned}" >"${source_tree}/images/lint/HASH"
  run_doc_command "${first}"
fi
expect_eq "${rc}" 3 "the first push's exit code (stderr: ${err})"
expect_contains "${err}" "imagepush: error: images/lint/HASH:1: pins ${pinned}, but this build of lint is a different image: ${registry}/imagegraph/lint:$(cat "${runfiles}/images/lint/VERSION") was pushed with manifest digest sha256:" \
  "the refusal names HASH, the pinned digest and the build's"
expect_contains "${err}" "HASH is unchanged and the registry has no image ${pinned} to put the tag back to" \
  "the refusal says what happened to the tag"
expect_contains "${err}" "packages from a live Debian mirror (mmdebstrap, apt-get in a RUN step) make a different image once the mirror has moved" \
  "the refusal says why builds drift"
expect_eq "$(cat "${source_tree}/images/lint/HASH")" "${pinned}" "HASH after the refusal"
printed="$(grep -A1 -F "To pin this build instead, run" <<<"${err}" | tail -n 1 | sed 's/^ *//')"
expected_print="${pin/#.\/bazelw run/bazel run}"
expect_eq "${printed}" "${expected_print//127.0.0.1:5000/${registry}}" \
  "the command the refusal prints is the document's (with the test's registry)"
echo "ok: refused, printing: ${printed}"

run_doc_command "${pin}"
expect_eq "${rc}" 0 "the pinning push's exit code (stderr: ${err})"
pushed="$(python3 - "${registry}" "$(cat "${runfiles}/images/lint/VERSION")" <<'PY'
import hashlib, sys, urllib.request
request = urllib.request.Request(
    "http://%s/v2/imagegraph/lint/manifests/%s" % (sys.argv[1], sys.argv[2]),
    headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json, "
                       "application/vnd.oci.image.manifest.v1+json"})
print("sha256:" + hashlib.sha256(urllib.request.urlopen(request).read()).hexdigest())
PY
)"
expect_eq "$(cat "${source_tree}/images/lint/HASH")" "${pushed}" "HASH after the pinning push"
expect_contains "${out}" "${registry}/imagegraph/lint@${pushed}" "the pinned reference on stdout"

run_doc_command "${first}"
expect_eq "${rc}" 0 "the same push after pinning (stderr: ${err})"
expect_contains "${err}" "imagepush: digest ${pushed} matches images/lint/HASH" \
  "the push after pinning"
echo "ok: pinned ${pushed}; the same push now passes"
echo "PASS"
