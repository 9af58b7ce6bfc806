#!/usr/bin/env bash
# A tree in taskgraph's docker-image layout (fixture/: taskcluster/docker,
# taskcluster/kinds/docker-image/kind.yml with definition:, parent:, args:
# and packages:, # %ARG in FROM, COPY --from and # %include, # %include-run-task,
# includes outside the tree, a folder with its own REGISTRY, a folder holding
# only HASH, external bases pinned by digest, RUN --mount=from= a pinned base
# and an in-tree image) imported into a fresh workspace
# by following docs/own-repository.md, every command of it in order: one
# `bazel run //taskcluster/docker:update` imports it, the generated files pass
# buildifier and the staleness test, every image builds (its bases pulled
# from a real registry on 127.0.0.1), the images hold what the Dockerfiles
# say, and `graph --affected-by` answers as the table below.
#
# The page's commands run as written, in the workspace, with three
# substitutions that fit them to this machine: `./bazelw run -c opt
# //dist:repository` runs that binary as built for this test, `bazel` is a
# nested Bazel on a private output root, and the registry the page asks for
# a digest is the one serving the fixture's bases. The page's WORKSPACE and
# BUILD blocks are the files written here.
set -euo pipefail

runfiles_root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles_root}/tests/lib/checks.sh"
source "${runfiles_root}/tests/lib/registry.sh"
source "${runfiles_root}/tests/lib/doc_commands.sh"
export HOME="${TEST_TMPDIR}/home"
mkdir -p "${HOME}"

doc="${runfiles_root}/docs/own-repository.md"
repo="${TEST_TMPDIR}/imagegraph"
ws="${TEST_TMPDIR}/ws"
user_root="${TEST_TMPDIR}/bazel_root"
graph="${repo}/tools/graph/graph.bin"

nested_bazel() {
  (cd "${ws}" && command bazel --output_user_root="${user_root}" --nohome_rc "$@")
}
registry_on_exit 'nested_bazel shutdown >/dev/null 2>&1 || true'
# The page's `bazel`.
bazel() { nested_bazel "$@"; }

# doc_block FIRST_LINE: the rest of the page's block whose first line is
# FIRST_LINE.
doc_block() {
  awk -v first="$1" '
    /^```/ { if (found) exit; start = NR; next }
    NR == start + 1 && $0 == first { found = 1; next }
    found' "${doc}"
}
# step COMMAND: runs a command of the page (which must hold it in a ```sh
# block) in the workspace, fitted to this machine; leaves out, err and rc.
step() {
  doc_command docs/own-repository.md "$1"
  local command="${doc_line}"
  local fitted="${command}"
  case "${command}" in
    "./bazelw run -c opt //dist:repository -- /opt/imagegraph")
      fitted="\"${runfiles_root}/dist/repository\" \"${repo}\"" ;;
    "skopeo inspect "*)
      fitted="${command/skopeo inspect/skopeo inspect --tls-verify=false}"
      fitted="${fitted/docker:\/\/debian:bookworm/docker://${REGISTRY_ADDR[bases]}/fixture/os:12}" ;;
  esac
  [[ "${fitted}" == "${command}" ]] || echo "   runs: ${fitted}"
  run eval "cd \"${ws}\" && ${fitted}"
}

# The external bases, byte for byte the ones the fixture pins.
registry_start bases
python3 "${runfiles_root}/tests/taskgraph/make_bases.py" push "${REGISTRY_ADDR[bases]}"
while read -r name digest; do
  grep -RqF "${digest}" "${runfiles_root}/tests/taskgraph/fixture" ||
    fail "the fixture pins no ${name} ${digest}: make_bases.py changed; pin its digests again"
done < <(python3 "${runfiles_root}/tests/taskgraph/make_bases.py" digests)

# A fresh workspace holding the tree as taskgraph keeps it.
mkdir -p "${ws}"
cp -rL "${runfiles_root}/tests/taskgraph/fixture/." "${ws}/"
chmod -R u+w "${ws}"
mv "${ws}/BUILD.in" "${ws}/BUILD.bazel"

step "./bazelw run -c opt //dist:repository -- /opt/imagegraph"
expect_rc 0 "//dist:repository: ${err}"
expect_contains "${err}" "repository: wrote ${repo}; point a WORKSPACE at it" "//dist:repository"
[[ -x "${graph}" && -f "${repo}/rules/defs.bzl" ]] || fail "//dist:repository wrote no rules or tools"

# Bazel's own test runner wants remote_coverage_tools, which an offline
# machine cannot download: an empty stand-in, as this repository binds one.
coverage_tools="${TEST_TMPDIR}/remote_coverage_tools"
mkdir -p "${coverage_tools}"
: >"${coverage_tools}/WORKSPACE"
cp -L "${TEST_SRCDIR}/remote_coverage_tools/BUILD.bazel" "${coverage_tools}/BUILD.bazel"
workspace_block="$(doc_block "# WORKSPACE: imagegraph and the bazel_skylib its rules load")"
[[ -n "${workspace_block}" ]] || fail "docs/own-repository.md has no WORKSPACE block"
cat >"${ws}/WORKSPACE" <<WORKSPACE
workspace(name = "fixture")

local_repository(
    name = "remote_coverage_tools",
    path = "${coverage_tools}",
)

${workspace_block//\/opt\/imagegraph/${repo}}
WORKSPACE
cat >"${ws}/.bazelrc" <<'BAZELRC'
build --spawn_strategy=processwrapper-sandbox
build --strategy=ImageBuild=local
build --color=no --curses=no --noshow_progress
build --@imagegraph//rules:index=off
BAZELRC
doc_block "# taskcluster/docker/BUILD.bazel" >"${ws}/taskcluster/docker/BUILD.bazel"
[[ -s "${ws}/taskcluster/docker/BUILD.bazel" ]] || fail "docs/own-repository.md has no taskcluster/docker/BUILD.bazel block"

step "echo third_party/python/taskcluster_taskgraph/taskgraph/run-task >taskcluster/docker/RUN_TASK"
expect_rc 0 "writing RUN_TASK"

echo "== an external base not pinned is named"
cp "${ws}/taskcluster/kinds/docker-image/kind.yml" "${TEST_TMPDIR}/kind.yml"
sed -i -E 's#(fixture/os:1[23])@sha256:[0-9a-f]+#\1#' "${ws}/taskcluster/kinds/docker-image/kind.yml"
run nested_bazel run //taskcluster/docker:update
expect_rc 1 "update with two bases not pinned"
expect_contains "${err}" "imagegen: 2 references do not resolve, one line each:
taskcluster/docker/raw/Dockerfile:3: FROM registry.invalid/fixture/os:12 is not pinned: use registry.invalid/fixture/os:12@sha256:<digest> (skopeo inspect docker://registry.invalid/fixture/os:12 prints it), or name an in-tree image folder
taskcluster/docker/raw/Dockerfile:3: FROM registry.invalid/fixture/os:13 is not pinned" "both named"
[[ ! -e "${ws}/taskcluster/docker/bases.bzl" ]] || fail "a failed update wrote bases.bzl"
cp "${TEST_TMPDIR}/kind.yml" "${ws}/taskcluster/kinds/docker-image/kind.yml"

step "skopeo inspect --format '{{.Digest}}' docker://debian:bookworm"
expect_rc 0 "skopeo inspect: ${err}"
expect_eq "${out}" "$(python3 "${runfiles_root}/tests/taskgraph/make_bases.py" digests | awk '$1 == "fixture/os:12" { print $2 }')" "the digest skopeo reads"
expect_file_contains "${ws}/taskcluster/kinds/docker-image/kind.yml" "os:12@${out}" "kind.yml pins it"

step "bazel run //taskcluster/docker:update"
expect_rc 0 "bazel run //taskcluster/docker:update: ${err}"
expect_contains "${err}" "imagegen: wrote taskcluster/docker/BUILD.bazel (14 images)" "update"
expect_contains "${err}" "imagegen: wrote taskcluster/docker/bases.bzl" "update"
expect_contains "${err}" "imagegen: wrote BUILD.bazel" "update"
# What the tree says that imagegraph does not model is reported, not dropped.
expect_contains "${err}" "imagegen: warning: taskcluster/kinds/docker-image/kind.yml: packages: (task os12-base) not modelled: imagegraph builds no package tasks, so these images build without them (DOCKER_IMAGE_PACKAGES stays empty)" "packages warning"
expect_contains "${err}" "imagegen: warning: taskcluster/kinds/docker-image/kind.yml: no task uses taskcluster/docker/unused: it is not built" "unused folder warning"
expect_contains "${err}" "imagegen: warning: taskcluster/docker/sidecar/Dockerfile: task sidecar has parent: os12-base but the Dockerfile never uses \$DOCKER_IMAGE_PARENT: os12-base stays a parent" "unused parent warning"
generated=(taskcluster/docker/BUILD.bazel taskcluster/docker/bases.bzl BUILD.bazel)
for file in "${generated[@]}"; do
  buildifier -mode=check -lint=warn "${ws}/${file}" ||
    fail "buildifier finds ${file} not clean: $(buildifier -mode=diff "${ws}/${file}" 2>&1 || true)"
done
pass "the generated files are buildifier-clean"
build_file="$(cat "${ws}/taskcluster/docker/BUILD.bazel")"
# One folder, two images, each with its own args.
expect_contains "${build_file}" "$(printf '    name = "os12-raw",\n    srcs = [\n        "raw/Dockerfile",\n        "raw/extra-files",\n    ],')" "os12-raw from raw/"
expect_contains "${build_file}" "$(printf '    name = "os13-raw",\n    srcs = [\n        "raw/Dockerfile",\n        "raw/extra-files",\n    ],')" "os13-raw from raw/"
expect_contains "${build_file}" '"DIST": "thirteen",' "os13-raw args"
# The load the region needs joined the page's.
expect_contains "${build_file}" 'load("@imagegraph//rules:defs.bzl", "docker_image", "image_graph", "image_tree_test", "image_tree_update")' "load"
# The root package kept its target and gained the exports.
expect_contains "$(cat "${ws}/BUILD.bazel")" 'name = "busybox_rootfs",' "the root package's own target"

echo "== the external bases come from the generated bases.bzl"
bases_block="$(doc_block "# WORKSPACE, after the first update: the tree's external bases")"
expect_contains "${bases_block}" "image_bases()" "the page's bases block"
# The page's image_bases(), pulling from the registry on 127.0.0.1.
mirrored="image_bases(
    registry_mirrors = {\"registry.invalid\": \"${REGISTRY_ADDR[bases]}\"},
    tls_verify = False,
)"
printf '\n%s\n' "${bases_block/image_bases()/${mirrored}}" >>"${ws}/WORKSPACE"

step "bazel test //taskcluster/docker:build_file_test"
expect_rc 0 "bazel test //taskcluster/docker:build_file_test: ${out} ${err}"

step "bazel build //taskcluster/docker:all"
[[ "${rc}" == 0 ]] || { echo "${err}" | tail -60 >&2; fail "building every image exited ${rc}"; }
mapfile -t images < <("${graph}" --workspace="${ws}" --root=taskcluster/docker --format=text 2>/dev/null | awk '{ print $1 }')
expect_eq "${#images[@]}" 14 "images in the graph"
for image in "${images[@]}"; do
  [[ -s "${ws}/bazel-bin/taskcluster/docker/${image}.tar.zst" ]] || fail "bazel build //taskcluster/docker:all made no ${image}.tar.zst"
done
pass "built ${images[*]}"

# image_file IMAGE PATH: the file PATH of the built image (its last layer
# that holds it).
image_file() {
  python3 - "${ws}/bazel-bin/taskcluster/docker/$1.tar.zst" "$2" <<'PY'
import io, json, subprocess, sys, tarfile
archive = subprocess.run(["zstd", "-q", "-d", "-c", sys.argv[1]], check=True,
                         capture_output=True).stdout
outer = tarfile.open(fileobj=io.BytesIO(archive))
manifest = json.load(outer.extractfile("manifest.json"))[0]
found = None
for layer in manifest["Layers"]:
    inner = tarfile.open(fileobj=outer.extractfile(layer))
    for member in inner.getmembers():
        if member.name.lstrip("./") == sys.argv[2] and member.isfile():
            found = inner.extractfile(member).read()
if found is None:
    sys.exit(f"{sys.argv[2]} is not in {sys.argv[1]}")
sys.stdout.write(found.decode())
PY
}
expect_eq "$(image_file os12-raw etc/dist)" "DIST=twelve" "os12-raw: # %ARG DIST"
expect_eq "$(image_file os13-raw etc/dist)" "DIST=thirteen" "os13-raw: # %ARG DIST"
expect_eq "$(image_file os13-raw etc/os-release)" "$(printf 'NAME=fixture-os\nVERSION_ID=13')" "os13-raw: # %ARG BASE_IMAGE in FROM"
expect_eq "$(image_file os12-raw etc/dist.sh)" 'DIST_NAME="bookworm-like"' "os12-raw: # %include after # %ARG"
expect_eq "$(image_file os13-raw etc/dist.sh)" 'DIST_NAME="trixie-like"' "os13-raw: # %include after # %ARG"
expect_eq "$(image_file build builds/worker/tools.txt)" "hello from tools 2.1" "build: # %ARG in COPY --from"
expect_eq "$(image_file fetch etc/os12-release)" "$(printf 'NAME=fixture-os\nVERSION_ID=12')" "fetch: RUN --mount=from a pinned base"
expect_eq "$(image_file test builds/worker/build-tools.txt)" "hello from tools 2.1" "test: RUN --mount=from an in-tree image"
expect_eq "$(image_file os12-base etc/setup)" "setup: DIST=twelve" "os12-base: includes outside the tree"
expect_contains "$(image_file os12-base usr/local/bin/run-task)" 'exec "$@"' "os12-base: # %include-run-task"
expect_eq "$(image_file test builds/worker/harness.txt)" "harness ran" "test: an included directory"
expect_eq "$(image_file fetch-more etc/published-tools-version)" "2.1" "fetch-more: a HASH-only folder"
expect_eq "$(image_file lint-extra etc/lint-extra)" "lint extra" "lint-extra: FROM the folder's own REGISTRY form"
expect_eq "$(image_file sidecar etc/sidecar.txt)" "sidecar" "sidecar"

echo "== which images a change affects"
# affected PATH...: the images graph --affected-by names, space-separated.
affected() {
  local args=() path
  for path in "$@"; do args+=("--affected-by=${path}"); done
  "${graph}" --workspace="${ws}" --root=taskcluster/docker "${args[@]}" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}
# Build order: parents first, ties broken by name.
all="os12-raw os12-base build decision os12-packages os13-raw fetch fetch-more os13-base lint lint-extra os13-packages sidecar test"
# The table: changed path -> the images it affects (build order).
declare -A table=(
  ["taskcluster/docker/raw/Dockerfile"]="${all}"
  ["taskcluster/docker/packages/Dockerfile"]="os12-packages os13-packages"
  ["taskcluster/docker/base"]="os12-base build decision os13-base lint lint-extra sidecar test"
  ["taskcluster/scripts/setup.sh"]="os12-base build decision os13-base lint lint-extra sidecar test"
  ["taskcluster/docker/recipes/common.sh"]="os12-base build decision os13-base lint lint-extra sidecar test"
  ["taskcluster/docker/recipes/dist-twelve.sh"]="os12-raw os12-base build decision os12-packages sidecar test"
  ["taskcluster/docker/recipes/dist-thirteen.sh"]="os13-raw fetch fetch-more os13-base lint lint-extra os13-packages"
  ["third_party/python/taskcluster_taskgraph/taskgraph/run-task/hgrc"]="os12-base build decision fetch fetch-more os13-base lint lint-extra sidecar test"
  ["taskcluster/docker/RUN_TASK"]="os12-base build decision fetch fetch-more os13-base lint lint-extra sidecar test"
  ["testing/harness/lib/util.sh"]="test"
  ["testing"]="test"
  ["taskcluster/docker/lint/lint.sh"]="lint lint-extra"
  ["taskcluster/docker/lint/README.md"]=""
  ["taskcluster/docker/lint/VERSION"]="lint lint-extra"
  ["taskcluster/docker/published/HASH"]=""
  ["taskcluster/docker/unused/Dockerfile"]=""
  ["taskcluster/kinds/docker-image/kind.yml"]="${all}"
  ["taskcluster/docker/fetch/Dockerfile"]="fetch fetch-more"
  ["./taskcluster//docker/fetch/../fetch/Dockerfile"]="fetch fetch-more"
  ["${ws}/taskcluster/docker/decision/decide.sh"]="decision"
  ["docs/elsewhere.md"]=""
)
for path in "${!table[@]}"; do
  expect_eq "$(affected "${path}")" "${table[${path}]}" "--affected-by=${path}"
done
step "bazel run @imagegraph//tools/graph -- --root=taskcluster/docker --affected-by=taskcluster/docker/base --format=labels"
expect_rc 0 "graph through bazel run: ${err}"
expect_eq "$(tr '\n' ' ' <<<"${out}" | sed 's/ $//')" "$(sed -E 's#(^| )#\1//taskcluster/docker:#g' <<<"${table[taskcluster/docker/base]}")" "the page's --affected-by"
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --affected-by=/etc/passwd
expect_rc 2 "a path outside the workspace"
expect_contains "${err}" "graph: --affected-by=/etc/passwd: /etc/passwd is outside the workspace" "outside message"
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --affected-by=../x
expect_rc 2 "a path leaving the workspace"
expect_contains "${err}" "../x leaves the workspace" "leaving message"

echo "== files outside the tree reach the contexts and the staleness test"
# An included directory outside the tree is one glob in its package: a new
# file there changes no BUILD file and enters the context.
echo 'say "more"' >"${ws}/testing/harness/more.sh"
run nested_bazel test //taskcluster/docker:build_file_test
expect_rc 0 "staleness test after adding a file to an included directory"
run nested_bazel build //taskcluster/docker:test.hash
expect_rc 0 "bazel build //taskcluster/docker:test.hash"
expect_contains "$(cat "${ws}/bazel-bin/taskcluster/docker/test.context.manifest")" " 644 topsrcdir/testing/harness/more.sh" "the new file in the context"
# kind.yml is outside the tree's package too.
sed -i 's/TOOLS_VERSION: "2.1"/TOOLS_VERSION: "2.2"/' "${ws}/taskcluster/kinds/docker-image/kind.yml"
run nested_bazel test //taskcluster/docker:build_file_test
expect_rc 3 "staleness test after editing kind.yml"
sed -i 's/TOOLS_VERSION: "2.2"/TOOLS_VERSION: "2.1"/' "${ws}/taskcluster/kinds/docker-image/kind.yml"

echo "== a file name with a newline is named, and the package still loads"
touch "${ws}/taskcluster/docker/lint/bad"$'\n'"name"
run nested_bazel run //taskcluster/docker:update
expect_rc 1 "update with a file name holding a newline"
expect_contains "${err}" 'imagegen: "taskcluster/docker/lint/bad\nname": a file name holding a newline cannot be a Bazel label, so its package would not load: rename the file' "newline message"
run nested_bazel query //taskcluster/docker:build_file_test
expect_rc 0 "the package loads: ${err}"
rm "${ws}/taskcluster/docker/lint/bad"$'\n'"name"

echo "== the test ran every command of the page"
doc_page_all_run docs/own-repository.md

echo "PASS"
