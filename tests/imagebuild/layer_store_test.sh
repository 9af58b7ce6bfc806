#!/usr/bin/env bash
# The layer store (--layer_store): a parent is imported once and verified,
# later builds reuse it, and the store is a cache: the same image IDs and the
# same archives from no store, an empty store and a warm one, after a
# killed import, a tampered store and a deleted store. A parent tarball new
# to the store is checked before its frames are copied (a forged one is
# refused). Two builds importing
# the same parent at once import it once. gc removes unused images and
# reports the size. Root's default store, under a home only root may enter,
# is used (bound into the build).
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

GC="$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/imagebuild/gc")"
# The build's namespace must reach the store: not under TEST_TMPDIR (root's
# 0700 home), and not in TMPDIR, which must be left empty.
STORES="$(mktemp -d /tmp/ig-layers.XXXXXX)"
chmod 755 "${STORES}"
trap 'cleanup_storages; rm -rf "${STORES}"' EXIT

# --- a parent and a child with a RUN step ---------------------------------
make_busybox_context "${WORK}/bb" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo "hello from bb" > /hello.txt
DOCKERFILE
make_context_tar "${WORK}/bb" "${WORK}/bb.tar"
run_imagebuild --name=bb --context_tar="${WORK}/bb.tar" \
  --context_hash_file="${WORK}/bb.hash" --registry=registry.test/ig --version=1 \
  --output="${WORK}/bb.tar.zst" --metadata="${WORK}/bb.image.json" ||
  fail "building bb: $(cat "${WORK}/stderr")"
bb_id="$(jq -r .image_id "${WORK}/bb.image.json")"

mkdir -p "${WORK}/child"
cat >"${WORK}/child/Dockerfile" <<'DOCKERFILE'
FROM bb
RUN cat /hello.txt > /child.txt && echo child >> /child.txt
COPY Dockerfile /Dockerfile.child
DOCKERFILE
make_context_tar "${WORK}/child" "${WORK}/child.tar"

# child_build LABEL [FLAGS...]: runs the child's build into $WORK/LABEL.*,
# from the parent $WORK/${PARENT:-bb}.tar.zst; its status is the build's.
child_build() {
  local label="$1"
  shift
  local status=0
  run_imagebuild --name=child --context_tar="${WORK}/child.tar" \
    --context_hash_file="${WORK}/child.hash" --registry=registry.test/ig \
    --parent=bb="${WORK}/${PARENT:-bb}.tar.zst" \
    --parent_metadata=bb="${WORK}/${PARENT:-bb}.image.json" --reference=bb=:bb \
    --output="${WORK}/${label}.tar.zst" --metadata="${WORK}/${label}.image.json" "$@" ||
    status=$?
  cp "${WORK}/stderr" "${WORK}/${label}.stderr"
  expect_no_temp_left
  return "${status}"
}
# build_child LABEL [FLAGS...]: the same, which must succeed.
build_child() {
  child_build "$@" || fail "building the child ($1): $(cat "${WORK}/$1.stderr")"
}

# expect_same LABEL: the child built as LABEL is the one built without a
# store, image ID and archive.
expect_same() {
  local id
  id="$(jq -r .image_id "${WORK}/$1.image.json")"
  [[ "${id}" == "${child_id}" ]] || fail "$1: image ${id}, without a store ${child_id}"
  cmp "${WORK}/$1.tar.zst" "${WORK}/nostore.tar.zst" || fail "$1: the archive differs"
}

# A buildah that logs each command line (the real one does the work): which
# buildah commands a build runs. It runs in the build's namespace, which
# keeps no environment, so the log's path is written into it.
logged_buildah="${STORES}/buildah"
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec %s "$@"\n' \
  "${STORES}/buildah.log" "$(command -v buildah)" >"${logged_buildah}"
chmod 755 "${logged_buildah}"
# buildah_log LABEL: the log so far becomes $WORK/LABEL.buildah.log.
buildah_log() {
  mv "${STORES}/buildah.log" "${WORK}/$1.buildah.log"
  install -m 666 /dev/null "${STORES}/buildah.log"
}
install -m 666 /dev/null "${STORES}/buildah.log"

build_child nostore --buildah="${logged_buildah}"
buildah_log nostore
child_id="$(jq -r .image_id "${WORK}/nostore.image.json")"
[[ "${child_id}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "bad image id ${child_id}"
expect_file_lacks "${WORK}/nostore.stderr" "layer store"
# The driver the build chose (storage_driver_test checks both give the same
# images); the store keeps a storage per driver.
driver="$(sed -n 's/.*: storage driver \([a-z]*\) .*/\1/p' "${WORK}/nostore.stderr")"
[[ "${driver}" == overlay || "${driver}" == vfs ]] ||
  fail "no storage driver in the progress: $(cat "${WORK}/nostore.stderr")"

store="${STORES}/layers"
marker="${store}/${driver}/images/${bb_id#sha256:}"

# An empty store: the parent is imported, verified, and marked.
build_child cold --layer_store="${store}"
expect_same cold
expect_file_contains "${WORK}/cold.stderr" "layer store ${store} (${driver} driver)"
expect_file_contains "${WORK}/cold.stderr" "parent bb: importing image ${bb_id:7:12} into the layer store"
expect_file_contains "${WORK}/cold.stderr" "parent bb: image ${bb_id:7:12} verified in the layer store"
[[ -f "${marker}" ]] || fail "no marker ${marker} after the import"

# A warm store: nothing imported, and the build's own storage holds no copy
# of the parent's layers (checked through a build that keeps its storage
# small: the child's storage is gone, so look at the store's size instead,
# which a second build must not grow).
size_before="$(du -s --block-size=1 "${store}/${driver}/storage" | cut -f1)"
build_child warm --layer_store="${store}" --buildah="${logged_buildah}"
buildah_log warm
expect_same warm
# Without a store the whole archive is loaded and then tagged with the local
# name the Dockerfile is rewritten to; from the store, the archive without
# layers carries that name, and the pull alone gives it (the same image ID
# above, so the same history).
local_tag="localhost/imagegraph/bb:${bb_id#sha256:}"
grep -q " tag ${bb_id#sha256:} ${local_tag}\$" "${WORK}/nostore.buildah.log" ||
  fail "no buildah tag without a store: $(cat "${WORK}/nostore.buildah.log")"
grep -q " pull --quiet docker-archive:.*layerless.tar\$" "${WORK}/warm.buildah.log" ||
  fail "no pull of the archive without layers: $(cat "${WORK}/warm.buildah.log")"
if grep -q " tag " "${WORK}/warm.buildah.log"; then
  fail "a build from the store tagged the parent: $(cat "${WORK}/warm.buildah.log")"
fi
expect_file_contains "${WORK}/warm.stderr" "STEP 1/3: FROM ${local_tag}"
# The parent's first name (its archive's last tag) enters the history.
history="$(zstd -d -c "${WORK}/warm.tar.zst" | tar -xO "${child_id#sha256:}.json" |
  jq -r '[.history[].comment // empty] | join(",")')"
[[ "${history}" == "FROM registry.test/ig/bb:$(cat "${WORK}/bb.hash")" ]] ||
  fail "the child's history names its parent as: ${history}"
expect_file_lacks "${WORK}/warm.stderr" "importing"
# The parent's identity comes from its metadata (tied to the tarball by its
# sha256): with the parent in the store, its tarball is not decompressed.
expect_file_lacks "${WORK}/warm.stderr" "decompressing parent bb"
expect_file_contains "${WORK}/cold.stderr" "decompressing parent bb"
expect_file_contains "${WORK}/nostore.stderr" "decompressing parent bb"
expect_file_contains "${WORK}/warm.stderr" "parent bb: image ${bb_id:7:12} verified in the layer store"
size_after="$(du -s --block-size=1 "${store}/${driver}/storage" | cut -f1)"
[[ "${size_after}" == "${size_before}" ]] ||
  fail "a warm build changed the store: ${size_before} -> ${size_after} bytes"

# A child copies its parent's layer frames from the tarball byte for byte,
# and with the parent in the store nothing else reads them. The tarball the
# store imported from is recorded in the marker; another tarball of the same
# image (compressed at another level) is read whole once, then recorded.
expect_file_contains "${marker}" "tarball sha256:$(jq -r .tarball_sha256 "${WORK}/bb.image.json")"
expect_file_lacks "${WORK}/warm.stderr" "checking the layers"
run_imagebuild --name=bb --context_tar="${WORK}/bb.tar" \
  --context_hash_file="${WORK}/bb.hash" --registry=registry.test/ig --version=1 \
  --zstd_level=9 --output="${WORK}/bb9.tar.zst" --metadata="${WORK}/bb9.image.json" ||
  fail "building bb at level 9: $(cat "${WORK}/stderr")"
[[ "$(jq -r .image_id "${WORK}/bb9.image.json")" == "${bb_id}" ]] ||
  fail "bb at zstd level 9 is another image"
if cmp -s "${WORK}/bb.tar.zst" "${WORK}/bb9.tar.zst"; then
  fail "bb at zstd level 9 gave the same tarball"
fi
PARENT=bb9 build_child other_tarball --layer_store="${store}"
[[ "$(jq -r .image_id "${WORK}/other_tarball.image.json")" == "${child_id}" ]] ||
  fail "the child of bb at level 9 is another image"
expect_file_contains "${WORK}/other_tarball.stderr" \
  "parent bb: checking the layers of its tarball (new to the layer store)"
expect_file_lacks "${WORK}/other_tarball.stderr" "importing"
expect_file_contains "${marker}" "tarball sha256:$(jq -r .tarball_sha256 "${WORK}/bb9.image.json")"
PARENT=bb9 build_child other_tarball_again --layer_store="${store}"
expect_file_lacks "${WORK}/other_tarball_again.stderr" "checking the layers"

# A forged parent: one byte of a layer changed, the tarball framed again and
# its metadata rewritten to match, the configuration (and so the image ID)
# kept. The store holds the real image, so the build could run, and the
# child's archive would carry the forged layer. It is refused, leaving
# nothing.
python3 "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/reframe_archive.py" \
  "${WORK}/bb.tar.zst" "${WORK}/bb.image.json" "hello from bb" "jello from bb" \
  "${WORK}/forged.tar.zst" "${WORK}/forged.image.json" ||
  fail "could not forge the parent"
if PARENT=forged child_build forged_child --layer_store="${store}"; then
  fail "a child of a forged parent was built"
fi
expect_file_contains "${WORK}/forged_child.stderr" "parent bb: ${WORK}/forged.tar.zst: the member"
expect_file_contains "${WORK}/forged_child.stderr" "holds a layer whose digest is sha256:"
expect_file_contains "${WORK}/forged_child.stderr" "the archive is corrupt or forged"
[[ ! -e "${WORK}/forged_child.tar.zst" && ! -e "${WORK}/forged_child.image.json" ]] ||
  fail "a refused build left its output"
expect_file_lacks "${marker}" "$(jq -r .tarball_sha256 "${WORK}/forged.image.json")"

# An import that was killed after buildah stored the image but before the
# marker: the image is not trusted, and is imported again.
rm "${marker}"
build_child unmarked --layer_store="${store}"
expect_same unmarked
expect_file_contains "${WORK}/unmarked.stderr" "importing image ${bb_id:7:12}"
[[ -f "${marker}" ]] || fail "no marker after importing again"

# A store whose copy of the configuration was changed: verification fails
# and the image is imported again.
# containers/storage files it under its key ("sha256:<id>") in base64.
config="${store}/${driver}/storage/${driver}-images/${bb_id#sha256:}/=$(printf '%s' "${bb_id}" | base64 -w0)"
[[ -f "${config}" ]] || fail "no configuration of ${bb_id} in the store"
sed -i 's/"architecture"/"architecturx"/' "${config}"
build_child tampered --layer_store="${store}"
expect_same tampered
expect_file_contains "${WORK}/tampered.stderr" "importing image ${bb_id:7:12}"

# kill -9 in the middle of an import: whatever it left, a marked image
# verifies, and the next build gives the same image.
killed="${STORES}/killed"
(
  exec setsid "${IMAGEBUILD}" --name=child --context_tar="${WORK}/child.tar" \
    --context_hash_file="${WORK}/child.hash" --registry=registry.test/ig \
    --parent=bb="${WORK}/bb.tar.zst" --parent_metadata=bb="${WORK}/bb.image.json" --reference=bb=:bb --layer_store="${killed}" \
    --output="${WORK}/killed.tar.zst" --metadata="${WORK}/killed.image.json" \
    2>"${WORK}/killed.stderr"
) &
pid=$!
for _ in $(seq 1 600); do
  grep -q "importing image" "${WORK}/killed.stderr" 2>/dev/null && break
  sleep 0.05
done
expect_file_contains "${WORK}/killed.stderr" "importing image"
kill -9 -- "-${pid}" 2>/dev/null || true
wait "${pid}" 2>/dev/null || true
[[ ! -e "${WORK}/killed.tar.zst" ]] || fail "a killed build left its output"
if [[ -f "${killed}/${driver}/images/${bb_id#sha256:}" ]]; then
  echo "the import had finished before the kill"
fi
# The killed build's temporary directory is removed by the next build.
build_child afterkill --layer_store="${killed}"
expect_same afterkill
expect_file_contains "${WORK}/afterkill.stderr" "verified in the layer store"

# Two builds importing the same parent into an empty store at once: both
# give the image, exactly one imports it.
shared="${STORES}/shared"
for n in 1 2; do
  "${IMAGEBUILD}" --name=child --context_tar="${WORK}/child.tar" \
    --context_hash_file="${WORK}/child.hash" --registry=registry.test/ig \
    --parent=bb="${WORK}/bb.tar.zst" --parent_metadata=bb="${WORK}/bb.image.json" --reference=bb=:bb --layer_store="${shared}" \
    --output="${WORK}/par${n}.tar.zst" --metadata="${WORK}/par${n}.image.json" \
    2>"${WORK}/par${n}.stderr" &
done
wait %1 || fail "concurrent build 1: $(cat "${WORK}/par1.stderr")"
wait %2 || fail "concurrent build 2: $(cat "${WORK}/par2.stderr")"
expect_same par1
expect_same par2
imports="$(cat "${WORK}/par1.stderr" "${WORK}/par2.stderr" | grep -c "importing image" || true)"
[[ "${imports}" == 1 ]] || fail "concurrent builds imported the parent ${imports} times"
expect_no_temp_left

# A deleted store is an empty one: the same image again.
rm -rf "${store}"
build_child deleted --layer_store="${store}"
expect_same deleted
expect_file_contains "${WORK}/deleted.stderr" "importing image ${bb_id:7:12}"

# gc: a recently used image stays; with --max_age_days=0 it goes, and the
# size is reported.
"${GC}" --layer_store="${store}" >"${WORK}/gc.out" 2>&1 || fail "gc: $(cat "${WORK}/gc.out")"
expect_file_contains "${WORK}/gc.out" "removed 0 images not used for 30 days, kept 1 (0 in use)"
"${GC}" --layer_store="${store}" --max_age_days=0 >"${WORK}/gc.out" 2>&1 ||
  fail "gc: $(cat "${WORK}/gc.out")"
expect_file_contains "${WORK}/gc.out" "removed image ${bb_id:7:12}"
expect_file_contains "${WORK}/gc.out" "removed 1 images not used for 0 days, kept 0"
[[ ! -e "${marker}" ]] || fail "gc left the marker of the image it removed"
before="$(sed -n 's/.*; \([0-9.]*\) MB before, \([0-9.]*\) MB after$/\1/p' "${WORK}/gc.out")"
after="$(sed -n 's/.*; \([0-9.]*\) MB before, \([0-9.]*\) MB after$/\2/p' "${WORK}/gc.out")"
awk -v b="${before}" -v a="${after}" 'BEGIN { exit !(b > a + 0.5) }' ||
  fail "gc freed too little (busybox is over 1 MB): $(cat "${WORK}/gc.out")"
build_child aftergc --layer_store="${store}"
expect_same aftergc
expect_file_contains "${WORK}/aftergc.stderr" "importing image ${bb_id:7:12}"

# Bad settings.
run_imagebuild --name=child --context_tar="${WORK}/child.tar" \
  --context_hash_file="${WORK}/child.hash" --layer_store=relative/layers \
  --output="${WORK}/bad.tar.zst" --metadata="${WORK}/bad.image.json" && fail "a relative store was taken"
expect_file_contains "${WORK}/stderr" "--layer_store=relative/layers: a layer store must be an absolute directory"
"${GC}" --layer_store=off >"${WORK}/gc.out" 2>&1 && fail "gc took --layer_store=off"
expect_file_contains "${WORK}/gc.out" "gc: --layer_store=off names no store"

# Root's default store: layers/ beside the index under a home that only
# root may enter (as /root is), which the build's namespace cannot reach by
# itself. (A normal user's builds: layer_store_user_test.)
if [[ "$(id -u)" == 0 ]]; then
  home="${STORES}/root-home"
  mkdir -p "${home}" && chmod 700 "${home}"
  default_store="${home}/.cache/imagegraph/layers"
  for label in default_cold default_warm; do
    HOME="${home}" XDG_CACHE_HOME="" build_child "${label}" --layer_store=default
    expect_same "${label}"
    expect_file_contains "${WORK}/${label}.stderr" "layer store ${default_store} (${driver} driver)"
    expect_file_lacks "${WORK}/${label}.stderr" "building without the layer store"
  done
  expect_file_contains "${WORK}/default_cold.stderr" "parent bb: importing image ${bb_id:7:12}"
  expect_file_lacks "${WORK}/default_warm.stderr" "importing image"
  expect_file_contains "${WORK}/default_warm.stderr" "parent bb: image ${bb_id:7:12} verified in the layer store"
  [[ -f "${default_store}/${driver}/images/${bb_id#sha256:}" ]] ||
    fail "no marker in the default store ${default_store}"
  [[ "$(stat -c %a "${home}")" == 700 ]] || fail "the build opened ${home}"
  # The store was bound into each build's own mount namespace only.
  if grep -q "${default_store}" /proc/self/mountinfo; then
    fail "the default store is still mounted: $(grep "${default_store}" /proc/self/mountinfo)"
  fi
  HOME="${home}" XDG_CACHE_HOME="" "${GC}" --max_age_days=0 >"${WORK}/gc.out" 2>&1 ||
    fail "gc of the default store: $(cat "${WORK}/gc.out")"
  expect_file_contains "${WORK}/gc.out" "layer store ${default_store}: removed 1 images not used for 0 days"
fi
echo PASS
