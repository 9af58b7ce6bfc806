#!/usr/bin/env bash
# A CI fleet, simulated honestly: three workers (two trunk, one try) are
# clones of one repository at different paths, each with its own HOME and a
# fresh output base. They share only a real nginx with WebDAV as Bazel's
# remote cache (anonymous reads, writes for the trunk credential) and a real
# docker-registry whose token service grants per user and repository, as the
# image index. Every worker uses the .bazelrc lines of docs/ci.md ("A fleet")
# as written there, and the commands of that section run as written.
#
#   A (trunk) builds the busybox tree cold: every image really builds, and
#     the cache receives no uncompressed image or root filesystem.
#   B (trunk) builds //images:decision downloading no tarball
#     (--remote_download_minimal: fewer bytes than the tarballs it does not
#     need), then the whole tree with no ImageBuild action run (no buildah
#     step); bazel run //images:decision.load fetches and loads exactly the
#     tarball it loads; the graph of B's builds has A's image IDs.
#   C (try) first reuses every level-3 image from the index (no buildah
#     step), then edits the shared recipe and lint's script: decision gives
#     each image the reason it builds, NAME.why the whole difference; it
#     indexes its own builds at level 1, and writes nothing to the cache or
#     to level 3.
set -euo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles}/tests/lib/checks.sh"
source "${runfiles}/tests/lib/container_storage.sh"
source "${runfiles}/tests/lib/doc_commands.sh"
source "${runfiles}/tests/lib/imagegraph_repo.sh"
source "${runfiles}/tests/lib/registry.sh"
source "${runfiles}/tests/lib/remote_cache.sh"

doc="${runfiles}/docs/ci.md"
work="${TEST_TMPDIR}/fleet"
mkdir -p "${work}"
images=(base base-test decision lint other)

# --- the shared services ------------------------------------------------------
readonly TRUNK_PASSWORD="trunk-Pa55" TRY_PASSWORD="try-Pa55" CACHE_PASSWORD="cache-Pa55"
registry_start fleet admin unused-admin-password token
registry_addr="${REGISTRY_ADDR[fleet]}"
registry_token_user fleet trunk "${TRUNK_PASSWORD}" 'imagegraph/index/level-*=pull,push'
registry_token_user fleet try "${TRY_PASSWORD}" 'imagegraph/index/level-3=pull' \
  'imagegraph/index/level-2=pull' 'imagegraph/index/level-1=pull,push'
remote_cache_start trunk "${CACHE_PASSWORD}"
cache_addr="${REMOTE_CACHE_URL#http://}"

# The workers' secrets live at one path on every worker (docs/ci.md): the
# registry credential of the worker's kind, and on trunk workers the cache's
# write credential.
secrets="${work}/secrets"
mkdir -p "${secrets}"
auth_json() {
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "${registry_addr}" \
    "$(printf '%s:%s' "$1" "$2" | base64 -w0)" >"${secrets}/registry-auth.json"
}

# index_cli ARGS...: the index tool on the fleet's index, with the credential
# of the worker kind last written by auth_json.
index_cli() {
  REGISTRY_AUTH_FILE="${secrets}/registry-auth.json" "${runfiles}/tools/index/index" \
    --index="registry://${registry_addr}/imagegraph/index" "$@"
}

# The docs' placeholders mapped to this test's services and secrets, and the
# docs' labels to the fixture's (it loads imagegraph as @imagegraph).
from_doc() {
  sed -e "s#CACHE_HOST:9090#${cache_addr}#g" \
    -e "s#REGISTRY_HOST:5000#${registry_addr}#g" \
    -e "s#/run/secrets/#${secrets}/#g" \
    -e "s#CACHE_WRITE_CREDENTIAL#$(printf 'trunk:%s' "${CACHE_PASSWORD}" | base64 -w0)#g" \
    -e "s# //tools/# @imagegraph//tools/#g" \
    -e "s#--//rules:#--@imagegraph//rules:#g"
}

# doc_block FIRST_LINE: the fenced block of docs/ci.md that starts with
# FIRST_LINE.
doc_block() {
  awk -v first="$1" '
    /^```/ { if (inside) exit; fence = 1; next }
    fence && $0 == first { inside = 1 }
    { fence = 0 }
    inside { print }' "${doc}"
}
fleet_bazelrc="$(doc_block '# CI workers of a fleet: bazel build --config=trunk, or --config=try.')"
[[ -n "${fleet_bazelrc}" ]] || fail "docs/ci.md has no workers' .bazelrc block"
doc_block '# /run/secrets/cache-write.bazelrc, on trunk workers only.' | from_doc \
  >"${secrets}/cache-write.bazelrc"
grep -q '^build --remote_header="Authorization=Basic ' "${secrets}/cache-write.bazelrc" ||
  fail "docs/ci.md has no cache-write.bazelrc block"

# --- the repository and its clones --------------------------------------------
make_imagegraph_repo "${work}/imagegraph" "${runfiles}" "${runfiles}" graph decision index
origin="${work}/origin"
cp -rL "${runfiles}/tests/fleet/fixture" "${origin}"
chmod -R u+w "${origin}"
sed "s|@IMAGEGRAPH@|${work}/imagegraph|" "${origin}/WORKSPACE.in" >"${origin}/WORKSPACE"
awk -v rc="$(from_doc <<<"${fleet_bazelrc}")" '$0 == "@FLEET_BAZELRC@" { print rc; next } { print }' \
  "${origin}/bazelrc.in" >"${origin}/.bazelrc"
mv "${origin}/images/BUILD.in" "${origin}/images/BUILD.bazel"
rm "${origin}/WORKSPACE.in" "${origin}/bazelrc.in"
# Incompressible and the same on every clone: the largest tarball of the tree
# belongs to the image nothing else needs.
python3 -c 'import hashlib, sys
out = bytearray()
block = b"fleet"
while len(out) < 3 * 1024 * 1024:
    block = hashlib.sha256(block).digest()
    out += block
sys.stdout.buffer.write(bytes(out))' >"${origin}/images/other/payload.bin"
git -C "${origin}" init -q
git -C "${origin}" add -A
git -C "${origin}" -c user.name=ci -c user.email=ci@fleet.test commit -qm "the tree"

for m in a b c; do
  mkdir -p "${work}/${m}/home"
  git clone -q "${origin}" "${work}/${m}/ws"
done
git -C "${work}/a/ws" rev-parse HEAD >/dev/null

cleanup_workers() {
  local m
  for m in a b c; do
    (cd "${work}/${m}/ws" 2>/dev/null && bazel --output_user_root="${work}/${m}/root" \
      --nohome_rc shutdown) >/dev/null 2>&1 || true
  done
  remove_container_storage "${work}/podman"
  rm -rf "${work}"
}
registry_on_exit cleanup_workers

# worker M [EXTRA_FLAGS...]: runs the command of docs/ci.md that doc_command
# picked last (${doc_line}) on worker M: its clone, HOME and output base.
# Extra flags (an execution log) go after the command's own. Output in
# ${work}/M.out and .err.
worker() {
  local m="$1"
  shift
  run_on "${m}" "$(from_doc <<<"${doc_line}")" "$@"
}

# run_on M COMMAND [EXTRA_FLAGS...]: COMMAND (starting with "bazel") on M.
run_on() {
  local m="$1" command="$2"
  shift 2
  local startup="${command#bazel }"
  local rest=""
  # Startup options (--bazelrc=...) stay before the Bazel command.
  while [[ "${startup}" == --* ]]; do
    rest+="${startup%% *} "
    startup="${startup#* }"
  done
  local verb="${startup%% *}" args="${startup#* }"
  [[ "${verb}" == "${startup}" ]] && args=""
  # `bazel run X -- ARGS`: extra flags belong before the `--`.
  local tool_args=""
  if [[ "${args}" == *" -- "* ]]; then
    tool_args="${args#* -- }"
    args="${args%% -- *}"
  fi
  echo "== worker ${m}: ${command} $*"
  set +e
  (cd "${work}/${m}/ws" && HOME="${work}/${m}/home" REGISTRY_AUTH_FILE="${secrets}/registry-auth.json" \
    eval "bazel --output_user_root='${work}/${m}/root' --nohome_rc ${rest} ${verb} ${args} $* ${tool_args:+-- ${tool_args}}") \
    >"${work}/${m}.out" 2>"${work}/${m}.err"
  local rc=$?
  set -e
  [[ "${rc}" == 0 ]] || fail "worker ${m}: [${command} $*] exited ${rc}: $(tail -30 "${work}/${m}.err")"
}

# executed_image_builds LOG: the ImageBuild spawns that ran (not from a cache).
executed_image_builds() {
  jq -r 'select(.mnemonic == "ImageBuild" and (.remoteCacheHit | not)) | .listedOutputs[] | select(endswith(".tar.zst"))' "$1" |
    sed 's|.*/||; s|\.tar\.zst$||' | sort | tr '\n' ' ' | sed 's/ $//'
}
cached_image_builds() {
  jq -r 'select(.mnemonic == "ImageBuild" and .remoteCacheHit) | .listedOutputs[] | select(endswith(".tar.zst"))' "$1" |
    sed 's|.*/||; s|\.tar\.zst$||' | sort | tr '\n' ' ' | sed 's/ $//'
}

bin_of() { (cd "${work}/$1/ws" && bazel --output_user_root="${work}/$1/root" --nohome_rc info bazel-bin 2>/dev/null); }

# --- A: trunk, cold -----------------------------------------------------------
auth_json trunk "${TRUNK_PASSWORD}"
remote_cache_mark
doc_command docs/ci.md 'bazel --bazelrc=/run/secrets/cache-write.bazelrc build --config=trunk //images/...'
worker a \
  --execution_log_json_file="${work}/a.log.json"
expect_eq "$(executed_image_builds "${work}/a.log.json")" "base base-test decision lint other" \
  "A builds every image"
a_bin="$(bin_of a)"
declare -A a_id=() tarball_size=()
for image in "${images[@]}"; do
  a_id[${image}]="$(jq -r .image_id "${a_bin}/images/${image}.image.json")"
  tarball_size[${image}]="$(stat -c %s "${a_bin}/images/${image}.tar.zst")"
done
a_put="$(remote_cache_bytes PUT)"
expect_eq "$(remote_cache_requests PUT . 401)" 0 "A's writes carry the trunk credential"
echo "A uploaded ${a_put} bytes"

# No uncompressed image or root filesystem in the cache: the only tars there
# are context tars (the folders' own files; base's holds no root filesystem),
# and the cache holds the compressed images, the compressed root filesystem
# and the contexts once each.
rootfs_size="$(stat -c %s "${a_bin}/images/busybox_rootfs.tar.zst")"
images_total=0 contexts_total=0
declare -A context_tar=()
for image in "${images[@]}"; do
  images_total=$((images_total + tarball_size[${image}]))
  contexts_total=$((contexts_total + $(stat -c %s "${a_bin}/images/${image}.context.tar")))
  context_tar[$(sha256sum "${a_bin}/images/${image}.context.tar" | cut -c1-64)]="${image}"
done
[[ "$(stat -c %s "${a_bin}/images/base.context.tar")" -lt 65536 ]] ||
  fail "base's context tar holds its root filesystem"
cas_total=0
while IFS= read -r blob; do
  size="$(stat -c %s "${blob}")"
  cas_total=$((cas_total + size))
  if [[ "$(head -c 262 "${blob}" | tail -c 5 | tr -d '\0')" == ustar && -z "${context_tar[${blob##*/}]:-}" ]]; then
    fail "the cache holds an uncompressed tar of ${size} bytes that is no context tar: ${blob}"
  fi
done < <(find "${REMOTE_CACHE_DIR}/cas" -type f)
echo "cache: ${cas_total} bytes for images of ${images_total} bytes, a root filesystem of ${rootfs_size} and contexts of ${contexts_total}"
[[ "${cas_total}" -lt $((images_total + rootfs_size + contexts_total + 256 * 1024)) ]] ||
  fail "the cache holds ${cas_total} bytes, more than the images, the root filesystem and the contexts once"
# Trunk indexed every image at level 3, with the manifest it was built from.
for image in "${images[@]}"; do
  index_cli --level=3 manifest "docker.images.v2.level-3.${image}.latest" >"${work}/manifest.${image}" 2>"${work}/index.err" ||
    fail "no level-3 manifest of ${image}: $(cat "${work}/index.err")"
  cmp -s "${work}/manifest.${image}" "${a_bin}/images/${image}.context.manifest" ||
    fail "the indexed manifest of ${image} is not the one A built it from"
done

# --- B: trunk, a second worker ------------------------------------------------
unneeded=$((tarball_size[base-test] + tarball_size[lint] + tarball_size[other]))
remote_cache_mark
run_on b "bazel build --config=trunk //images:decision" --execution_log_json_file="${work}/b1.log.json"
b_minimal="$(remote_cache_bytes GET)"
expect_eq "$(executed_image_builds "${work}/b1.log.json")" "" "B runs no ImageBuild for decision"
expect_eq "$(cached_image_builds "${work}/b1.log.json")" "base decision" "B takes decision and base from the cache"
echo "B, //images:decision, minimal: ${b_minimal} bytes (tarballs it does not need: ${unneeded})"
[[ "${b_minimal}" -lt "${unneeded}" ]] ||
  fail "B downloaded ${b_minimal} bytes for decision, not less than the ${unneeded} bytes of the tarballs it does not need"
[[ "${b_minimal}" -lt "${tarball_size[decision]}" ]] ||
  fail "B downloaded ${b_minimal} bytes with --remote_download_minimal, as much as a tarball"

b_bin="$(bin_of b)"

remote_cache_mark
doc_command docs/ci.md 'bazel --bazelrc=/run/secrets/cache-write.bazelrc build --config=trunk //images/...'
worker b \
  --execution_log_json_file="${work}/b2.log.json"
expect_eq "$(executed_image_builds "${work}/b2.log.json")" "" "B runs no ImageBuild action (no buildah step)"
# (Bazel may look base up again: another --bazelrc drops its analysis cache,
# and with it what it knew of remote outputs it did not download.)
b_cached=" $(cached_image_builds "${work}/b2.log.json") "
for image in base-test lint other; do
  [[ "${b_cached}" == *" ${image} "* ]] || fail "B did not take ${image} from the cache: [${b_cached}]"
done
b_all="$(remote_cache_bytes GET)"
expect_eq "$(remote_cache_requests PUT)" 0 "B uploads nothing"
echo "B, //images/..., minimal: ${b_all} bytes"

[[ ! -e "${b_bin}/images/lint.tar.zst" ]] || fail "B downloaded lint.tar.zst, which it never needed"

private_container_storage "${work}/podman"
remote_cache_mark
run_on b "bazel run --config=trunk //images:decision.load"
decision_digest="$(sha256sum "${a_bin}/images/decision.tar.zst" | cut -c1-64)"
[[ -n "$(remote_cache_get_paths | awk -v d="/cas/${decision_digest}" '$2 == d')" ]] ||
  fail "bazel run //images:decision.load did not fetch decision's tarball: $(remote_cache_get_paths)"
[[ -z "$(remote_cache_get_paths | awk -v s="${tarball_size[other]}" '$1 == s')" ]] ||
  fail "bazel run //images:decision.load fetched other's tarball"
expect_contains "$(cat "${work}/b.out")" "Loaded decision (image ${a_id[decision]:7:12}) into podman" "decision is loaded"
# `bazel run` downloads the top level's outputs (docs/ci.md: run:fleet
# --remote_download_toplevel): decision's tarball, nothing of another image.
b_run="$(remote_cache_bytes GET)"
echo "B, bazel run //images:decision.load: ${b_run} bytes (decision.tar.zst: ${tarball_size[decision]})"
[[ "${b_run}" -ge "${tarball_size[decision]}" && "${b_run}" -lt $((tarball_size[decision] + 65536)) ]] ||
  fail "B downloaded ${b_run} bytes to load decision, whose tarball has ${tarball_size[decision]}"
cmp -s "${b_bin}/images/decision.tar.zst" "${a_bin}/images/decision.tar.zst" ||
  fail "B's decision.tar.zst differs from A's"

# B's image IDs, as its build has them (the graph reads each NAME.image.json;
# B downloads those, and still no tarball).
remote_cache_mark
run_on b "bazel build --config=trunk --remote_download_toplevel //images:graph_with_ids"
for image in "${images[@]}"; do
  expect_eq "$(jq -r --arg n "${image}" '.images[] | select(.name == $n) | .image_id' \
    "${b_bin}/images/graph_with_ids.json")" "${a_id[${image}]}" "B's ${image} is A's image"
done
[[ "$(remote_cache_bytes GET)" -lt "${tarball_size[decision]}" ]] ||
  fail "B downloaded $(remote_cache_bytes GET) bytes for the graph of image IDs"
[[ ! -e "${b_bin}/images/lint.tar.zst" ]] || fail "B downloaded lint.tar.zst, which it never needed"

# --- C: try ----------------------------------------------------------------
# A try worker builds the tree as trunk left it: its ImageBuild actions do not
# match trunk's in the cache (the level is on their command line), so each
# runs, and each reuses trunk's image from level 3 of the index without a
# buildah step (a buildah that only records being called proves it); it
# writes nothing to the cache.
auth_json try "${TRY_PASSWORD}"
buildah_dir="$(mktemp -d /tmp/two_machines_test.XXXXXX)"
chmod 1777 "${buildah_dir}"
registry_on_exit "rm -rf '${buildah_dir}'"
buildah_marker="${buildah_dir}/buildah-called"
fake_buildah="${buildah_dir}/fake-buildah"
printf '#!/bin/sh\necho "buildah $*" >>%s\nexit 1\n' "${buildah_marker}" >"${fake_buildah}"
chmod 755 "${fake_buildah}"
remote_cache_mark
doc_command docs/ci.md 'bazel build --config=try //images/...'
worker c \
  --@imagegraph//rules:buildah="${fake_buildah}" --execution_log_json_file="${work}/c1.log.json"
[[ ! -e "${buildah_marker}" ]] || fail "the try worker ran buildah: $(cat "${buildah_marker}")"
expect_eq "$(executed_image_builds "${work}/c1.log.json")" "base base-test decision lint other" \
  "the try worker runs its own ImageBuild actions (their keys differ from trunk's)"
for image in "${images[@]}"; do
  expect_contains "$(cat "${work}/c.err")" "imagebuild: ${image}: reused ${a_id[${image}]} from the index" \
    "the try worker's ${image} comes from level 3"
done
expect_eq "$(remote_cache_requests PUT)" 0 "the try worker writes nothing to the cache"

# Then it edits the shared recipe and lint's script.
echo 'echo "common recipe v2" >>/etc/common-recipe' >>"${work}/c/ws/images/recipes/common.sh"
echo 'echo "lint: stricter"' >>"${work}/c/ws/images/lint/lint.sh"
remote_cache_mark
doc_command docs/ci.md 'bazel build --config=try //images:graph'
worker c
doc_command docs/ci.md 'bazel run --config=try //tools/decision'
worker c
plan="$(cat "${work}/c.out")"
for line in \
  "1 file changed since latest at level 3: images/recipes/common.sh" \
  "1 file changed since latest at level 3: images/recipes/common.sh; parent base rebuilt" \
  "parent base rebuilt" \
  "2 files changed since latest at level 3: images/lint/lint.sh, images/recipes/common.sh; parent base-test rebuilt" \
  "indexed at level 3"; do
  expect_contains "${plan}" "${line}" "the plan"
done
run_on c "bazel run --config=try @imagegraph//tools/decision -- --json_out=${work}/plan.json"
reasons="$(jq -r '.images[] | .name + ": " + .action + ": " + .reason' "${work}/plan.json")"
expect_eq "${reasons}" "base: build: 1 file changed since latest at level 3: images/recipes/common.sh
base-test: build: 1 file changed since latest at level 3: images/recipes/common.sh; parent base rebuilt
decision: build: parent base rebuilt
lint: build: 2 files changed since latest at level 3: images/lint/lint.sh, images/recipes/common.sh; parent base-test rebuilt
other: reuse: indexed at level 3" "the reasons after editing the shared recipe"

doc_command docs/ci.md 'bazel run --config=try //images:lint.why'
worker c
why="$(cat "${work}/c.out")"
old_recipe="$(sha256sum "${work}/a/ws/images/recipes/common.sh" | cut -c1-64)"
new_recipe="$(sha256sum "${work}/c/ws/images/recipes/common.sh" | cut -c1-64)"
new_lint="$(sha256sum "${work}/c/ws/images/lint/lint.sh" | cut -c1-64)"
for line in \
  "compared with docker.images.v2.level-3.lint.latest: context $(head -c 12 "${a_bin}/images/lint.context_hash")" \
  "2 files changed since latest at level 3: images/lint/lint.sh, images/recipes/common.sh; parent base-test rebuilt" \
  "--- docker.images.v2.level-3.lint.latest" \
  "- ${old_recipe} 644 topsrcdir/images/recipes/common.sh" \
  "+ ${new_recipe} 644 topsrcdir/images/recipes/common.sh" \
  "+ ${new_lint} 755 lint.sh" \
  "- parent $(cat "${a_bin}/images/base-test.context_hash" | tr -d '\n') base-test"; do
  expect_contains "${why}" "${line}" "lint.why"
done

# What the try worker builds it indexes at level 1, never at level 3, and it
# still writes nothing to the cache.
run_on c "bazel build --config=try //images:decision"
expect_eq "$(remote_cache_requests PUT)" 0 "the try worker writes nothing to the cache"
index_cli --level=1 find docker.images.v2.level-1.decision.latest >"${work}/c-entry.json" ||
  fail "the try worker did not index decision at level 1"
expect_eq "$(jq -r .level "${work}/c-entry.json")" 1 "C's decision is a level-1 entry"
index_cli --level=3 find docker.images.v2.level-3.decision.latest >"${work}/a-entry.json"
expect_eq "$(jq -r .image_id "${work}/a-entry.json")" "${a_id[decision]}" "level 3 still holds trunk's decision"
expect_ne "$(jq -r .image_id "${work}/c-entry.json")" "${a_id[decision]}" "C's decision is its own build"
echo PASS
