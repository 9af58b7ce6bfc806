#!/usr/bin/env bash
# The BUILD generator end to end on copies of the fixture trees: `bazel run
# //images:update` (the image_tree_update launcher) writes a buildifier-clean
# file, keeps hand-written text outside its region, the stale check fails
# with the fix, and a broken tree leaves the file untouched.
set -euo pipefail

runfiles="$(pwd)"
imagegen="${runfiles}/tools/imagegen/imagegen"
update="${runfiles}/tests/imagegen/fixture_update.sh"
testdata="${runfiles}/tests/imagegen/testdata"

# shellcheck source=tests/lib/checks.sh
source "${runfiles}/tests/lib/checks.sh"

buildifier_clean() {
  if ! buildifier -mode=check -lint=warn "$@"; then
    fail "buildifier finds $* not clean: $(buildifier -mode=diff "$@" 2>&1 || true)"
  fi
}

region() {
  sed -n '/^# BEGIN imagegraph generated/,/^# END imagegraph generated/p' "$1"
}

ws="${TEST_TMPDIR}/ws"
cp -rL "${testdata}/plain" "${ws}"
rm "${ws}/expected.BUILD"
build="${ws}/images/BUILD.bazel"

echo "== bazel run //images:update writes a new BUILD file"
run env BUILD_WORKSPACE_DIRECTORY="${ws}" "${update}"
expect_rc 0 "update on a tree without BUILD file"
expect_contains "${err}" "wrote images/BUILD.bazel (4 images)" "update message"
[[ -f "${build}" ]] || fail "images/BUILD.bazel was not written"
buildifier_clean "${build}"
if ! diff <(region "${testdata}/plain/expected.BUILD") <(region "${build}"); then
  fail "the generated region differs from the fixture's expected.BUILD"
fi
expect_contains "$(head -3 "${build}")" "bazel run //images:update" "header comment"
# The tree pins busybox by digest: bases.bzl declares its image_pull.
expect_contains "$(cat "${ws}/images/bases.bzl")" "$(printf '    image_pull(\n        name = "base_images_busybox_4f3c2a1b0e9d",\n        image = "busybox@sha256:4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",\n        **kwargs\n    )')" "bases.bzl"
buildifier_clean "${ws}/images/bases.bzl"

echo "== an up-to-date file passes the check; running again changes nothing"
run "${imagegen}" --workspace="${ws}" --mode=check
expect_rc 0 "check right after update"
# A misspelled flag is a usage error (2), never "stale" (3).
run "${imagegen}" --workspace="${ws}" --mode=check --worksapce=x
expect_rc 2 "misspelled flag"
expect_contains "${err}" "imagegen: unknown flag --worksapce (see --help)" "misspelled flag message"
cp "${build}" "${TEST_TMPDIR}/first"
run env BUILD_WORKSPACE_DIRECTORY="${ws}" "${update}"
expect_contains "${err}" "is up to date" "second update"
cmp -s "${build}" "${TEST_TMPDIR}/first" || fail "a second update changed the file"

echo "== hand-written text outside the region survives"
{
  echo "# Hand-written comment before the region."
  cat "${build}"
  echo
  echo "# Hand-written target after the region."
  printf 'filegroup(\n    name = "notes",\n    srcs = ["docs/README.md"],\n)\n'
} >"${TEST_TMPDIR}/edited"
cp "${TEST_TMPDIR}/edited" "${build}"
echo '# %include images/recipes/unused.sh' >>"${ws}/images/lint/Dockerfile"
run "${imagegen}" --workspace="${ws}" --mode=check
expect_rc 3 "check after adding an include"
expect_contains "${err}" "images/BUILD.bazel is stale" "stale message"
expect_contains "${err}" "Fix: bazel run //images:update" "stale fix"
expect_contains "${err}" '+    includes = ["recipes/unused.sh"],' "stale diff"
run env BUILD_WORKSPACE_DIRECTORY="${ws}" "${update}"
expect_rc 0 "update after adding an include"
expect_contains "$(cat "${build}")" '    includes = ["recipes/unused.sh"],' "new include"
expect_contains "$(head -1 "${build}")" "# Hand-written comment before the region." "text before"
expect_contains "$(tail -4 "${build}")" "$(printf 'filegroup(\n    name = "notes",\n    srcs = ["docs/README.md"],\n)')" "text after"
buildifier_clean "${build}"

echo "== a file .dockerignore drops does not make the file stale; a new file does"
echo "notes" >"${ws}/images/base/NOTES.md"
run "${imagegen}" --workspace="${ws}" --mode=check
expect_rc 0 "check after adding an ignored file"
echo "echo more" >"${ws}/images/base/more.sh"
run "${imagegen}" --workspace="${ws}" --mode=check
expect_rc 3 "check after adding a context file"
expect_contains "${err}" '+        "base/more.sh",' "new src in diff"
run env BUILD_WORKSPACE_DIRECTORY="${ws}" "${update}"
expect_rc 0 "update after adding a context file"

echo "== a broken tree is reported and the file is left as it was"
cp "${build}" "${TEST_TMPDIR}/before"
printf 'FROM debian:bookworm\n' >"${ws}/images/lint/Dockerfile"
run env BUILD_WORKSPACE_DIRECTORY="${ws}" "${update}"
expect_rc 1 "update on an unpinned FROM"
expect_contains "${err}" "images/lint/Dockerfile:1: FROM debian:bookworm is not pinned: use debian:bookworm@sha256:<digest>" "unpinned message"
cmp -s "${build}" "${TEST_TMPDIR}/before" || fail "a failed update changed the file"
if ls "${ws}/images" | grep -v -x -e BUILD.bazel -e REGISTRY -e bases.bzl -e base -e build -e docs -e lint -e recipes -e test; then
  fail "a failed update left a file behind in images/"
fi

echo "== the launcher outside bazel run says how to start it"
run env -u BUILD_WORKSPACE_DIRECTORY "${update}"
expect_rc 2 "update without BUILD_WORKSPACE_DIRECTORY"
expect_contains "${err}" "start it with: bazel run //tests/imagegen:fixture_update" "launcher message"

echo "== bad flags"
run "${imagegen}" --workspace="${ws}" --mode=sideways
expect_rc 2 "bad --mode"
expect_contains "${err}" "--mode=sideways is not one of write, check, print" "bad mode message"

echo "== the image_tree_test rule fails on a stale tree and names the fix"
# A runfiles tree of its own, whose tree can go stale.
fake_runfiles="${TEST_TMPDIR}/fake_runfiles"
fake="${fake_runfiles}/${TEST_WORKSPACE}"
mkdir -p "${fake}/tests/imagegen/testdata" "${fake}/tools/imagegen"
cp -rL "${testdata}/plain" "${fake}/tests/imagegen/testdata/plain"
cp "${imagegen}" "${fake}/tools/imagegen/imagegen"
cp "${runfiles}/tests/imagegen/plain_tree_test.sh" "${fake}/tests/imagegen/"
run bash -c "cd '${fake}' && RUNFILES_DIR='${fake_runfiles}' tests/imagegen/plain_tree_test.sh"
expect_rc 0 "the rule's check on an unchanged copy"
echo "RUN true" >>"${fake}/tests/imagegen/testdata/plain/images/base/Dockerfile"
echo "x" >"${fake}/tests/imagegen/testdata/plain/images/test/new.sh"
run bash -c "cd '${fake}' && RUNFILES_DIR='${fake_runfiles}' tests/imagegen/plain_tree_test.sh"
expect_rc 3 "the rule's check on a stale copy"
expect_contains "${err}" "imagegen: expected.BUILD is stale: it does not match the image folders." "rule stale message"
expect_contains "${err}" "Fix: bazel run //images:update" "rule fix"

echo "== the taskgraph tree imports to buildifier-clean targets"
tg="${TEST_TMPDIR}/tg"
cp -rL "${testdata}/taskgraph" "${tg}"
run "${imagegen}" --workspace="${tg}" --images=taskcluster/docker \
  --kind_yml=taskcluster/kinds/docker-image/kind.yml --mode=print
expect_rc 0 "taskgraph print"
mkdir -p "${TEST_TMPDIR}/tgout"
printf '%s\n' "${out}" >"${TEST_TMPDIR}/tgout/BUILD.bazel"
buildifier_clean "${TEST_TMPDIR}/tgout/BUILD.bazel"
# kind.yml's parent: and args: become parents and build_args.
expect_contains "${out}" '    name = "toolchain-build",' "toolchain target"
expect_contains "${out}" "$(printf '    build_args = {\n        "ARCH": "amd64",\n        "TOOLCHAIN_VERSION": "14",\n    },')" "toolchain args"
expect_contains "${out}" "$(printf '    name = "test-runner",\n    srcs = ["test-runner/Dockerfile"],\n    build_args = {"ARCH": "amd64"},')" "test-runner args"
expect_contains "${out}" '    parent = ":toolchain-build",' "test-runner parent"
expect_contains "${out}" '    references = {"${DOCKER_IMAGE_PARENT}": ":toolchain-build"},' "test-runner references"
# Without the task's args the # %ARG line has no value.
sed -i '/TOOLCHAIN_VERSION: "14"/d' "${tg}/taskcluster/kinds/docker-image/kind.yml"
run "${imagegen}" --workspace="${tg}" --images=taskcluster/docker \
  --kind_yml=taskcluster/kinds/docker-image/kind.yml --mode=print
expect_rc 1 "taskgraph without an arg"
expect_contains "${err}" "taskcluster/docker/toolchain-build/Dockerfile:4: # %ARG TOOLCHAIN_VERSION has no value: add it under tasks: toolchain-build: args: in taskcluster/kinds/docker-image/kind.yml" "missing arg message"
