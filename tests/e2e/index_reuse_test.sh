#!/usr/bin/env bash
# A nested Bazel on the fixture with a local image index in TEST_TMPDIR:
#  1. a build inserts every image into the index (hash, latest, pushdate);
#  2. after `bazel clean --expunge`, with no disk cache and no usable buildah
#     (//rules:buildah names a stand-in that only records that it was called
#     and fails),
#     every image is reused from the index with the same image ID;
#  3. a corrupt artifact in the index's store is a warning naming it (and
#     without buildah that image's build fails: the guard works), and
#     that image is rebuilt (same image ID) and indexed again, which repairs
#     the store: the next expunged build reuses every image again;
#  4. a forged entry, self-consistent but pointing at another image's tarball
#     (digest, size, location and the metadata's tarball_sha256 all edited),
#     is a warning that names both image IDs, and the image is built again;
#  5. --@imagegraph//rules:index=off builds everything and leaves the index
#     untouched.
# After step 1, `bazel run @imagegraph//tools/decision` without flags plans
# what the build just did: the graph records the builds' index and level.
# On an index hit Bazel still runs the ImageBuild action (counted from the
# execution log as in the other tests), but the action performs no build: it
# copies the verified tarball and restores the image metadata.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/e2e/lib.sh"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/doc_commands.sh"

repo="${TEST_TMPDIR}/imagegraph"
ws="${TEST_TMPDIR}/ws"
root="${TEST_TMPDIR}/bazel_root"
index_dir="${TEST_TMPDIR}/index"
index_cli="${runfiles_root}/tools/index/index"
images=(base leaf mid other)
make_imagegraph_repo "${repo}" "${runfiles_root}" "${runfiles_root}" graph decision index
make_fixture "${ws}" "${repo}"
sed -i '1s/"docker_image")/"docker_image", "image_graph")/' "${ws}/images/BUILD.bazel"
cat >>"${ws}/images/BUILD.bazel" <<'BUILD'

image_graph(
    name = "graph",
    images = [":base", ":leaf", ":mid", ":other"],
)
BUILD

cleanup() {
  nested_bazel "${ws}" "${root}" shutdown >/dev/null 2>&1 || true
  rm -rf "${root}" "${ws}" "${index_dir}" "${stand_in_dir:-}"
}
trap cleanup EXIT

# A stand-in for buildah that leaves a marker and fails: a build that needed
# buildah would fail loudly. The image rule runs it through //rules:buildah.
# Builds run buildah as unprivileged IDs, so it lives where they may enter
# and write (TEST_TMPDIR is under root's private home).
stand_in_dir="$(mktemp -d /tmp/index_reuse_test.XXXXXX)"
chmod 1777 "${stand_in_dir}"
buildah_marker="${stand_in_dir}/buildah-was-called"
fake_buildah="${stand_in_dir}/fake-buildah"
cat >"${fake_buildah}" <<SCRIPT
#!/bin/sh
echo "buildah \$*" >>"${buildah_marker}"
echo "buildah is not available in this test" >&2
exit 1
SCRIPT
chmod 755 "${fake_buildah}"
no_buildah="--@imagegraph//rules:buildah=${fake_buildah}"

step=0
out=""
# build WHAT EXPECTED_IMAGES ARGS...: builds every image with the given
# Bazel flags and checks which images ran an ImageBuild action.
build() {
  local what="$1" expected="$2"
  shift 2
  step=$((step + 1))
  local log="${TEST_TMPDIR}/exec${step}.json"
  out="${TEST_TMPDIR}/build${step}.out"
  nested_bazel "${ws}" "${root}" build --disk_cache= -j 2 \
    --execution_log_json_file="${log}" "$@" //images:all >"${out}" 2>&1 ||
    { cat "${out}" >&2; fail "${what}: the build failed"; }
  local ran
  ran="$(built_images "${log}")"
  [[ "${ran}" == "${expected}" ]] ||
    fail "${what}: ImageBuild ran for [${ran}], expected [${expected}]"
}

expunge() {
  nested_bazel "${ws}" "${root}" clean --expunge >/dev/null 2>&1 || fail "bazel clean --expunge failed"
}

image_id_of() {
  jq -r .image_id "${ws}/bazel-bin/images/$1.image.json"
}

hash_of() {
  tr -d '[:space:]' <"${ws}/bazel-bin/images/$1.context_hash"
}

# expect_reused IMAGE...: the last build reused each image with its first ID.
expect_reused() {
  local image id
  for image in "$@"; do
    id="$(image_id_of "${image}")"
    [[ "${id}" == "${first_ids[${image}]}" ]] ||
      fail "step ${step}: ${image} has image ID ${id}, the first build gave ${first_ids[${image}]}"
    grep -qF "imagebuild: ${image}: reused ${id} from the index (context $(hash_of "${image}" | cut -c1-12))" "${out}" ||
      { cat "${out}" >&2; fail "step ${step}: ${image} was not reported reused"; }
    if grep -q "imagebuild: ${image}: built " "${out}"; then
      fail "step ${step}: ${image} was built although it is indexed"
    fi
    [[ "$(sha256sum <"${ws}/bazel-bin/images/${image}.tar.zst" | cut -d' ' -f1)" == \
      "$(jq -r .tarball_sha256 "${ws}/bazel-bin/images/${image}.image.json")" ]] ||
      fail "step ${step}: ${image}.tar.zst does not match its image.json"
  done
}

index_flag="--@imagegraph//rules:index=${index_dir}"

# 1. Build and index.
build "the first build" "base leaf mid other" "${index_flag}"
declare -A first_ids
for image in "${images[@]}"; do
  first_ids[${image}]="$(image_id_of "${image}")"
  [[ "${first_ids[${image}]}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "${image}: bad image_id '${first_ids[${image}]}'"
  grep -qF "imagebuild: ${image}: built ${first_ids[${image}]}" "${out}" || fail "${image} was not built"
  grep -qF "imagebuild: ${image}: indexed in local index ${index_dir} at level 1" "${out}" ||
    { cat "${out}" >&2; fail "${image} was not reported indexed"; }
  hash="$(hash_of "${image}")"
  for ns in "docker.images.v2.level-1.${image}.hash.${hash}" "docker.images.v2.level-1.${image}.latest"; do
    entry="$("${index_cli}" --index="${index_dir}" find "${ns}")" || fail "index find ${ns} failed"
    [[ "$(jq -r .image_id <<<"${entry}")" == "${first_ids[${image}]}" ]] ||
      fail "${ns} holds ${entry}, expected image ${first_ids[${image}]}"
    [[ "$(jq -r .context_hash <<<"${entry}")" == "${hash}" ]] || fail "${ns}: wrong context hash in ${entry}"
  done
  pushdates="$("${index_cli}" --index="${index_dir}" list "docker.images.v2.level-1.${image}.pushdate.")"
  [[ "$(wc -l <<<"${pushdates}")" == 1 && "${pushdates}" =~ \.pushdate\.[0-9]{4}\.[0-9]{2}-[0-9]{2}-[0-9]{14}$ ]] ||
    fail "${image}: expected one pushdate namespace, found: ${pushdates}"
done
echo "ok: the first build built and indexed ${images[*]}"

# The decision, run as a user runs it (the index setting in .bazelrc, no
# flags), agrees with the build: every image is reused from its index.
echo "build ${index_flag}" >>"${ws}/.bazelrc"
# run_index_doc [BAZEL_FLAGS...]: runs ${doc_line}, a command of
# docs/index.md, in the fixture: bazel is the nested Bazel (given
# BAZEL_FLAGS), the tools are @imagegraph's, the image base-build is base,
# and the example's index directory is under TEST_TMPDIR.
nested_bazel_flags=()
nested_bazel_here() {
  local command="$1"
  shift
  nested_bazel "${ws}" "${root}" "${command}" ${nested_bazel_flags[@]+"${nested_bazel_flags[@]}"} "$@"
}
run_index_doc() {
  nested_bazel_flags=("$@")
  local line="${doc_line//\/\/tools\//@imagegraph\/\/tools\/}"
  line="${line//base-build/base}"
  line="${line//\/tmp\/imagegraph-index/${TEST_TMPDIR}/doc-index}"
  line="nested_bazel_here ${line#bazel }"
  (cd "${ws}" && eval "${line}") 2>"${TEST_TMPDIR}/doc.err" ||
    { cat "${TEST_TMPDIR}/doc.err" >&2; fail "[${doc_line}] $* failed"; }
}
# decide [BAZEL_FLAGS...]: docs/index.md's two decision commands.
decide() {
  doc_command docs/index.md 'bazel build //images:graph' >&2
  run_index_doc "$@" >/dev/null
  doc_command docs/index.md 'bazel run //tools/decision' >&2
  run_index_doc "$@"
}
plan="$(decide)"
expect_contains "${plan}" "4 images: 4 reused, 0 to build (level 1, local index ${index_dir})" \
  "the decision right after the build"
# At level 3 a build would not reuse what level 1 wrote, and neither does
# the decision: the graph carries the level too.
plan="$(decide --@imagegraph//rules:index_level=3)"
expect_contains "${plan}" "4 images: 0 reused, 4 to build (level 3, local index ${index_dir})" \
  "the decision at the builds' level 3"
echo "ok: bazel run @imagegraph//tools/decision agrees with the build"

# docs/index.md's CLI example: a level-3 insert of a built image into a
# directory of its own, and the listing of its namespaces.
(cd "${ws}" && git init -q && git add -A &&
  git -c user.name=e2e -c user.email=e2e@localhost commit -qm fixture)
doc_command docs/index.md '--level=3 insert'
run_index_doc >"${TEST_TMPDIR}/insert.out"
expect_eq "$(jq -r .name "${TEST_TMPDIR}/insert.out")" base "the example's insert"
expect_eq "$(jq -r .revision "${TEST_TMPDIR}/insert.out")" "$(git -C "${ws}" rev-parse HEAD)" \
  "the example's revision"
doc_command docs/index.md 'list docker.images.v2.level-3.base-build.'
listed="$(run_index_doc)"
expect_eq "$(wc -l <<<"${listed}")" 3 "the example's listing: ${listed}"
echo "ok: docs/index.md's insert and list"

# NAME.why: this context is indexed; after an edit, the reason and the
# manifest lines that differ from the indexed build's; with the index off, a
# message that says what to set.
why() {
  nested_bazel "${ws}" "${root}" run "$@" //images:leaf.why 2>"${TEST_TMPDIR}/why.err"
}
leaf_hash="$(hash_of leaf)"
explained="$(why)" || { cat "${TEST_TMPDIR}/why.err" >&2; fail "bazel run //images:leaf.why failed"; }
expect_contains "${explained}" "indexed with this very context as docker.images.v2.level-1.leaf.hash.${leaf_hash}" \
  "leaf.why right after the build"
leaf_txt="${ws}/images/leaf/leaf.txt"
cp "${leaf_txt}" "${TEST_TMPDIR}/leaf.txt.orig"
echo "edited" >>"${leaf_txt}"
explained="$(why)" || { cat "${TEST_TMPDIR}/why.err" >&2; fail "bazel run //images:leaf.why after an edit failed"; }
expect_contains "${explained}" "compared with docker.images.v2.level-1.leaf.latest: context ${leaf_hash:0:12}" \
  "leaf.why after an edit"
expect_contains "${explained}" "1 file changed since latest at level 1: images/leaf/leaf.txt" "leaf.why's reason"
expect_contains "${explained}" "- $(sha256sum "${TEST_TMPDIR}/leaf.txt.orig" | cut -c1-64) 644 leaf.txt" \
  "leaf.why's removed line"
expect_contains "${explained}" "+ $(sha256sum "${leaf_txt}" | cut -c1-64) 644 leaf.txt" "leaf.why's added line"
cp "${TEST_TMPDIR}/leaf.txt.orig" "${leaf_txt}"
if why --@imagegraph//rules:index=off >/dev/null; then
  fail "bazel run //images:leaf.why with the index off succeeded"
fi
expect_contains "$(cat "${TEST_TMPDIR}/why.err")" \
  "why: --index=off (//rules:index is off): there is no indexed build to compare with; set --//rules:index to the index the builds use" \
  "leaf.why with the index off"
echo "ok: bazel run //images:leaf.why explains an edit and refuses the index off"

# 2. Expunged, no disk cache, no buildah: everything comes from the index.
expunge
build "the build without buildah" "base leaf mid other" "${index_flag}" \
  "${no_buildah}"
[[ ! -e "${buildah_marker}" ]] || fail "buildah was called: $(cat "${buildah_marker}")"
# The ImageBuild actions really were given the stand-in.
given="$(jq -r 'select(.mnemonic == "ImageBuild") | .commandArgs[] | select(startswith("--buildah="))' \
  "${TEST_TMPDIR}/exec${step}.json" | sort | uniq -c | sed 's/^ *//')"
[[ "${given}" == "4 --buildah=${fake_buildah}" ]] || fail "ImageBuild actions were given [${given}]"
expect_reused "${images[@]}"
echo "ok: after clean --expunge, without buildah, every image was reused with its first image ID"

# 3. A corrupt artifact: a warning that names it, and that image is rebuilt.
leaf_artifact="${index_dir}/cas/sha256/$(jq -r .tarball_sha256 "${ws}/bazel-bin/images/leaf.image.json")"
[[ -f "${leaf_artifact}" ]] || fail "leaf's artifact ${leaf_artifact} is not in the index store"
chmod u+w "${leaf_artifact}"
echo "not a docker archive" >"${leaf_artifact}"
expunge
# First without buildah: leaf now needs a real build, so the stand-in is
# called and the build fails (the guard of steps 2 and 3 works).
if nested_bazel "${ws}" "${root}" build --disk_cache= -j 2 "${index_flag}" "${no_buildah}" \
  //images:leaf >"${TEST_TMPDIR}/guard.out" 2>&1; then
  fail "leaf built without buildah although its artifact is corrupt"
fi
[[ -s "${buildah_marker}" ]] || { cat "${TEST_TMPDIR}/guard.out" >&2; fail "the buildah stand-in was not called"; }
rm -f "${buildah_marker}"
build "the build with a corrupt artifact" "base leaf mid other" "${index_flag}"
grep -F "imagebuild: leaf: warning: " "${out}" | grep -qF "${leaf_artifact}" ||
  { cat "${out}" >&2; fail "no warning naming the corrupt artifact ${leaf_artifact}"; }
grep -qF "imagebuild: leaf: built ${first_ids[leaf]}" "${out}" ||
  { cat "${out}" >&2; fail "leaf was not rebuilt with its first image ID ${first_ids[leaf]}"; }
expect_reused base mid other
echo "ok: the corrupt artifact was reported ($(grep -m1 -F "imagebuild: leaf: warning: " "${out}")) and leaf rebuilt"

expunge
build "the build after the repair" "base leaf mid other" "${index_flag}" \
  "${no_buildah}"
[[ ! -e "${buildah_marker}" ]] || fail "buildah was called: $(cat "${buildah_marker}")"
expect_reused "${images[@]}"
echo "ok: rebuilding leaf repaired its artifact; every image reused again"

# 4. A forged entry: leaf's hash entry, and the metadata stored in it, point
# at mid's tarball; every check of digests agrees, only the tarball's own
# configuration tells.
entry_file() {
  echo "${index_dir}/namespaces/docker/images/v2/level-1/$1/hash/$(hash_of "$1").json"
}
mid_entry="$(cat "$(entry_file mid)")"
jq --argjson mid "${mid_entry}" '
  .digest = $mid.digest | .size_bytes = $mid.size_bytes | .location = $mid.location |
  .metadata_json = (.metadata_json | fromjson |
    .tarball_sha256 = ($mid.metadata_json | fromjson | .tarball_sha256) |
    .tarball_size = ($mid.metadata_json | fromjson | .tarball_size) | tojson)' \
  "$(entry_file leaf)" >"${TEST_TMPDIR}/forged.json"
cp "${TEST_TMPDIR}/forged.json" "$(entry_file leaf)"
expunge
build "the build with a forged entry" "base leaf mid other" "${index_flag}"
expect_file_contains "${out}" \
  "imagebuild: leaf: warning: cannot reuse docker.images.v2.level-1.leaf.hash.$(hash_of leaf) from local index ${index_dir}: its tarball holds image ${first_ids[mid]} but the entry and its metadata say ${first_ids[leaf]}" \
  "the forged entry's warning"
grep -qF "imagebuild: leaf: built ${first_ids[leaf]}" "${out}" ||
  { cat "${out}" >&2; fail "leaf was not rebuilt with its first image ID ${first_ids[leaf]}"; }
config="$(zstd -dc "${ws}/bazel-bin/images/leaf.tar.zst" | tar -xOf - manifest.json | jq -r '.[0].Config')"
expect_eq "sha256:${config%.json}" "${first_ids[leaf]}" "the configuration in leaf.tar.zst"
expect_reused base mid other
echo "ok: the forged entry was refused and leaf built"

# 5. Indexing off: everything builds and the index is left as it was.
snapshot() { find "${index_dir}" -printf '%P %s %T@\n' | sort; }
before="$(snapshot)"
build "the build with the index off" "base leaf mid other" --@imagegraph//rules:index=off
for image in "${images[@]}"; do
  grep -qF "imagebuild: ${image}: built ${first_ids[${image}]}" "${out}" ||
    fail "index off: ${image} was not built with its first image ID"
done
if grep -qE "imagebuild: [a-z]+: (reused |indexed in |context [0-9a-f]+ is not in )" "${out}"; then
  fail "index off: the build used the index: $(grep -E 'reused |indexed in |is not in ' "${out}")"
fi
[[ "$(snapshot)" == "${before}" ]] || fail "index off: the index directory changed"
echo "ok: --@imagegraph//rules:index=off built every image without touching the index"
# Bad settings fail with a message that says the fix.
expect_failure() {
  local needle="$1"
  shift
  local bad_out
  if bad_out="$(nested_bazel "${ws}" "${root}" build --disk_cache= "$@" //images:base 2>&1)"; then
    fail "building with $* succeeded; it must fail"
  fi
  grep -qF -- "${needle}" <<<"${bad_out}" || { echo "${bad_out}" >&2; fail "$*: no '${needle}' in the error"; }
  echo "ok: $* fails with: $(grep -m1 -F -- "${needle}" <<<"${bad_out}")"
}
expect_failure "//rules:index_level is 4; set --//rules:index_level to 1, 2 or 3" \
  --@imagegraph//rules:index_level=4
expect_failure "--index=relative/index: an index directory must be an absolute path" \
  --@imagegraph//rules:index=relative/index
echo "PASS"
