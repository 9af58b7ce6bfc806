#!/usr/bin/env bash
# A nested Bazel on the fixture: only what changed rebuilds (counted from
# Bazel's execution log), NAME.load loads into podman with both tags, the
# image's command runs, and bad targets (a symlink to a host file among them)
# fail with messages that say the fix.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/e2e/lib.sh"

repo="${TEST_TMPDIR}/imagegraph"
ws="${TEST_TMPDIR}/ws"
root="${TEST_TMPDIR}/bazel_root"
storage="${TEST_TMPDIR}/containers"
make_imagegraph_repo "${repo}" "${runfiles_root}" "${runfiles_root}"
make_fixture "${ws}" "${repo}"

cleanup() {
  remove_container_storage "${storage}"
  nested_bazel "${ws}" "${root}" shutdown >/dev/null 2>&1 || true
  rm -rf "${root}" "${ws}"
}
trap cleanup EXIT

step=0
# build_and_expect "WHAT CHANGED" "EXPECTED IMAGES": builds every image and
# checks exactly the expected ones ran an ImageBuild action.
build_and_expect() {
  local what="$1" expected="$2"
  step=$((step + 1))
  local log="${TEST_TMPDIR}/exec${step}.json"
  nested_bazel "${ws}" "${root}" build --disk_cache= -j 2 \
    --execution_log_json_file="${log}" //images:all >"${TEST_TMPDIR}/build${step}.out" 2>&1 ||
    { cat "${TEST_TMPDIR}/build${step}.out" >&2; fail "build after ${what} failed"; }
  local built
  built="$(built_images "${log}")"
  if [[ "${built}" != "${expected}" ]]; then
    fail "after ${what}: ImageBuild ran for [${built}], expected [${expected}]"
  fi
  echo "ok: after ${what}, rebuilt [${built}]"
}

hash_of() {
  tr -d '[:space:]' <"${ws}/bazel-bin/images/$1.context_hash"
}

build_and_expect "a clean start" "base leaf mid other"
build_and_expect "nothing" ""

echo "leaf v2" >"${ws}/images/leaf/leaf.txt"
build_and_expect "editing a leaf's file" "leaf"

echo "mid v2" >"${ws}/images/mid/mid.txt"
build_and_expect "editing a parent's file" "leaf mid"

leaf_hash="$(hash_of leaf)"
echo "More notes." >>"${ws}/images/leaf/notes.md"
build_and_expect "editing a file .dockerignore drops" ""
[[ "$(hash_of leaf)" == "${leaf_hash}" ]] || fail "a .dockerignore'd file changed the context hash"

echo 'echo "extra line"' >>"${ws}/images/shared/greeting.sh"
build_and_expect "editing an included file" "leaf"

sed -i 's/"plain"/"spicy"/' "${ws}/images/BUILD.bazel"
build_and_expect "changing a build argument" "other"

sed -i 's/"base layer"/"base layer v2"/' "${ws}/images/base/Dockerfile"
build_and_expect "editing the root image's Dockerfile" "base leaf mid other"

echo "ok: rebuilds follow the graph"

# NAME.load: into podman (no docker daemon answers here), tagged.
private_container_storage "${storage}"
load_out="$(nested_bazel "${ws}" "${root}" run --disk_cache= //images:leaf.load 2>&1)" ||
  { echo "${load_out}" >&2; fail "bazel run //images:leaf.load failed"; }
echo "${load_out}" | grep -q "into podman as localhost:5000/e2e/leaf:2.5" ||
  fail "leaf.load did not report its version tag: ${load_out}"
leaf_hash="$(hash_of leaf)"
tags="$(podman images --format '{{.Repository}}:{{.Tag}}')"
for tag in "localhost:5000/e2e/leaf:2.5" "localhost:5000/e2e/leaf:${leaf_hash}"; do
  grep -qx "${tag}" <<<"${tags}" || fail "podman has no ${tag}; it has: ${tags}"
done
image_id="$(jq -r .image_id "${ws}/bazel-bin/images/leaf.image.json")"
loaded_id="$(podman image inspect --format '{{.Id}}' localhost:5000/e2e/leaf:2.5)"
[[ "sha256:${loaded_id#sha256:}" == "${image_id}" ]] ||
  fail "loaded image ${loaded_id} is not the built ${image_id}"
echo "ok: leaf.load tagged ${tags//$'\n'/, }"

# The image's command (its CMD) runs, and sees every layer's files.
container="$(buildah from localhost:5000/e2e/leaf:2.5)"
mapfile -t command < <(buildah inspect --type container "${container}" |
  jq -r '(.OCIv1.config.Entrypoint // []) + (.OCIv1.config.Cmd // []) | .[]')
[[ "${command[*]}" == /bin/greeting ]] || fail "leaf's CMD is '${command[*]}', expected /bin/greeting"
output="$(buildah run --isolation chroot "${container}" -- "${command[@]}")"
expected="greeting: leaf v2 on mid v2 over base layer v2"
[[ "$(head -n 1 <<<"${output}")" == "${expected}" ]] ||
  fail "the image's command printed '${output}', expected '${expected}'"
[[ "$(tail -n 1 <<<"${output}")" == "extra line" ]] || fail "the edited include is not in the image: ${output}"
echo "ok: the image's command printed: ${output//$'\n'/ | }"

# Bad targets, each with the message that says what to fix.
expect_failure() {
  local target="$1"
  shift
  local out
  if out="$(nested_bazel "${ws}" "${root}" build --disk_cache= "${target}" 2>&1)"; then
    fail "building ${target} succeeded; it must fail"
  fi
  local needle
  for needle in "$@"; do
    grep -qF -- "${needle}" <<<"${out}" || { echo "${out}" >&2; fail "${target}: no '${needle}' in the error"; }
  done
  echo "ok: ${target} fails with: $(grep -m1 -F -- "$1" <<<"${out}")"
}
expect_failure //broken_missing:orphan "in parents attribute" "//broken_missing:orphan" \
  "'//broken_missing:nosuch' does not exist"
expect_failure //broken_cycle:a "cycle in dependency graph" "//broken_cycle:a" "//broken_cycle:b"
expect_failure //broken_include:inc.hash \
  "%include images/shared/greeting.sh is not among the target's declared inputs" \
  "add it to the \`includes\` attribute"
expect_failure //broken_parents:undeclared.hash \
  "ctxhash: broken_parents/undeclared/Dockerfile:3: FROM localhost:5000/e2e/base:1.0 is not among the image's references" \
  "the BUILD file is stale: regenerate it"
expect_failure //broken_parents:unnamed.hash \
  "ctxhash: broken_parents/unnamed/Dockerfile: the references list \"named\" (-> :named), which the Dockerfile never names"
# A context symlink to a host file never enters an image, staged or not.
ln -s /etc/passwd "${ws}/broken_symlink/leak/passwd"
ln -s /etc/passwd "${ws}/broken_symlink/staged/passwd"
expect_failure //broken_symlink:leak \
  "ctxhash: broken_symlink/leak/passwd: symlink leads outside the repository (to /etc/passwd)"
expect_failure //broken_symlink:staged \
  "ctxhash: broken_symlink/staged/passwd: symlink leads outside the repository (to /etc/passwd)"
[[ ! -e "${ws}/bazel-bin/broken_symlink/leak.tar.zst" ]] || fail "an image with a host file was built"
expect_failure //broken_attr:all \
  "docker_image(name = \"Wrong.Name\"): image name \"Wrong.Name\" is invalid: use 1 to 128 lowercase letters, digits" \
  "rename the image (its folder, or its task in kind.yml)"
echo "PASS"
