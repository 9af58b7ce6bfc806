#!/usr/bin/env bash
# The storage driver does not change images: a busybox parent and a child
# whose RUN steps touch buildah's mount points (/run, /tmp, /etc/hosts),
# remove parent files and directories (whiteouts) and replace a parent
# directory (opaque under overlay) give the same image IDs, layer digests
# and archives with vfs and overlay, without a layer store, from an empty
# one and from a warm one. The driver is reported in the progress; a bad
# --storage_driver is refused. A RUN step that goes for the store's layers
# (the lower directories of its overlay, which /proc/self/mountinfo names)
# cannot change them.
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

# The build's namespace must reach the stores (not under root's 0700 home).
STORES="$(mktemp -d /tmp/ig-drivers.XXXXXX)"
chmod 755 "${STORES}"
trap 'cleanup_storages; rm -rf "${STORES}"' EXIT

# The drivers this machine offers: overlay only where the namespace mounts
# it (the tool says so in its progress).
probe_overlay() {
  make_busybox_context "${WORK}/probe" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
DOCKERFILE
  make_context_tar "${WORK}/probe" "${WORK}/probe.tar"
  run_imagebuild --name=probe --context_tar="${WORK}/probe.tar" \
    --context_hash_file="${WORK}/probe.hash" \
    --output="${WORK}/probe.tar.zst" --metadata="${WORK}/probe.image.json" ||
    fail "building the probe: $(cat "${WORK}/stderr")"
  grep -q "storage driver overlay (the build's namespace mounts it)" "${WORK}/stderr"
}
if ! probe_overlay; then
  expect_file_contains "${WORK}/stderr" "storage driver vfs (overlay does not work here"
  echo "PASS (overlay does not work on this machine: $(grep 'storage driver' "${WORK}/stderr"))"
  exit 0
fi

make_busybox_context "${WORK}/parent" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /etc /run/lock /tmp /data/sub /gone/deep /var/log && \
    echo parent >/data/a && echo b >/data/sub/b && echo x >/gone/deep/x && \
    echo keep >/keep.txt && echo "127.0.0.1 parent" >/etc/hosts && \
    echo old >/run/lock/old && echo log >/var/log/l && chmod 1777 /tmp
DOCKERFILE
make_context_tar "${WORK}/parent" "${WORK}/parent.tar"

mkdir -p "${WORK}/child"
cat >"${WORK}/child/Dockerfile" <<'DOCKERFILE'
FROM parent
RUN echo only-this >/hi
RUN grep -q localhost /etc/hosts && touch /hosts-seen; echo run >/run/lock/new; echo t >/tmp/t
RUN rm /keep.txt && rm -rf /gone && rm -rf /data && mkdir /data && echo c >/data/c
RUN cat /var/log/l >/dev/null && rm /run/lock/old
DOCKERFILE
make_context_tar "${WORK}/child" "${WORK}/child.tar"

# build NAME LABEL [FLAGS...]: builds NAME (parent or child) into
# $WORK/NAME-LABEL.*, keeping its progress in NAME-LABEL.stderr.
build() {
  local name="$1" label="$2"
  shift 2
  local parent_flags=()
  if [[ "${name}" == child ]]; then
    parent_flags=(--parent=parent="${WORK}/parent-vfs.tar.zst" --parent_metadata=parent="${WORK}/parent-vfs.image.json" --reference=parent=:parent)
  fi
  run_imagebuild --name="${name}" --context_tar="${WORK}/${name}.tar" \
    --context_hash_file="${WORK}/${name}.hash" --registry=registry.test/ig \
    "${parent_flags[@]}" --output="${WORK}/${name}-${label}.tar.zst" \
    --metadata="${WORK}/${name}-${label}.image.json" "$@" ||
    fail "building ${name} (${label}): $(cat "${WORK}/stderr")"
  cp "${WORK}/stderr" "${WORK}/${name}-${label}.stderr"
  expect_no_temp_left
}

# expect_same NAME LABEL: NAME built as LABEL is NAME built with vfs and no
# store: image ID, layer digests, archive.
expect_same() {
  local name="$1" label="$2"
  local want got
  want="$(jq -c '[.image_id, [.layers[].digest]]' "${WORK}/${name}-vfs.image.json")"
  got="$(jq -c '[.image_id, [.layers[].digest]]' "${WORK}/${name}-${label}.image.json")"
  [[ "${got}" == "${want}" ]] || fail "${name} (${label}): ${got}, with vfs ${want}"
  cmp "${WORK}/${name}-vfs.tar.zst" "${WORK}/${name}-${label}.tar.zst" ||
    fail "${name} (${label}): the archive differs from vfs's"
}

build parent vfs --storage_driver=vfs
expect_file_contains "${WORK}/parent-vfs.stderr" "storage driver vfs (as --storage_driver says)"
build parent overlay --storage_driver=overlay
expect_file_contains "${WORK}/parent-overlay.stderr" "storage driver overlay (as --storage_driver says)"
expect_same parent overlay

build child vfs --storage_driver=vfs
build child overlay --storage_driver=overlay
expect_same child overlay
build child auto
expect_file_contains "${WORK}/child-auto.stderr" "storage driver overlay (the build's namespace mounts it)"
expect_same child auto

# What the child's RUN steps left, as both drivers see it: the mount points
# buildah made for them are gone, removals are one whiteout per entry (no
# opaque directory), and nothing else of /run, /tmp or /etc entered.
zstd -q -d -c "${WORK}/child-vfs.tar.zst" >"${WORK}/child.tar.plain"
layer="$(tar -xOf "${WORK}/child.tar.plain" manifest.json | jq -r '.[0].Layers[-1]')"
tar -xOf "${WORK}/child.tar.plain" "${layer}" | tar -t | sort >"${WORK}/child.layer"
cat >"${WORK}/child.expected" <<'LAYER'
.wh.gone
.wh.keep.txt
data/
data/.wh.a
data/.wh.sub
data/c
hi
hosts-seen
run/
run/lock/
run/lock/.wh.old
run/lock/new
tmp/
tmp/t
LAYER
diff "${WORK}/child.expected" "${WORK}/child.layer" ||
  fail "the child's layer holds other entries than its RUN steps made"

# With a layer store, empty then warm, for each driver.
for driver in overlay vfs; do
  build child "${driver}-empty" --storage_driver="${driver}" --layer_store="${STORES}/store"
  expect_file_contains "${WORK}/child-${driver}-empty.stderr" "layer store ${STORES}/store (${driver} driver)"
  expect_file_contains "${WORK}/child-${driver}-empty.stderr" "importing image"
  expect_same child "${driver}-empty"
  build child "${driver}-warm" --storage_driver="${driver}" --layer_store="${STORES}/store"
  expect_file_lacks "${WORK}/child-${driver}-warm.stderr" "importing image"
  expect_file_contains "${WORK}/child-${driver}-warm.stderr" "verified in the layer store"
  expect_same child "${driver}-warm"
  [[ -d "${STORES}/store/${driver}/storage" ]] || fail "no ${driver} storage in the store"
done

# Builds see the store read-only: the mount points of its overlay layers
# (merged/, on which a build mounts the parent it compares its tree with)
# stay. A build that removed one would detach, in every other build's mount
# namespace, the parent tree mounted there, and that build's layer would
# take the whole tree for new.
layers=0
for layer in "${STORES}/store/overlay/storage/overlay"/*/; do
  [[ -d "${layer}diff" ]] || continue
  layers=$((layers + 1))
  [[ -d "${layer}merged" ]] || fail "a build removed ${layer}merged"
done
((layers > 0)) || fail "no overlay layer in the store"

# A RUN step cannot change the store's layers. Under overlay they are the
# lower directories of its root, whose host paths /proc/self/mountinfo
# shows: the step tries to create a file in each, directly and through
# /proc/1/root, and to change the parent's files as it sees them.
# store_state: the store's layers: every entry's path, type and mode, every
# file's size, time and content (containers/storage touches the layers'
# own directories when it mounts them, so directory times are left out).
store_state() {
  local layers="${STORES}/store/overlay/storage/overlay"
  {
    find "${layers}" -path '*/merged' -prune -o -path '*/work' -prune -o \
      -printf '%P %y %m\n'
    find "${layers}" -path '*/merged' -prune -o -path '*/work' -prune -o \
      -type f -printf '%P %s %T@\n' -exec sha256sum {} +
  } | sort | sha256sum
}
before="$(store_state)"
mkdir -p "${WORK}/attacker"
cat >"${WORK}/attacker/Dockerfile" <<'DOCKERFILE'
FROM parent
RUN lowers="$(sed -n 's/.*lowerdir=\([^,]*\).*/\1/p' /proc/self/mountinfo | tr ':' ' ')"; \
    for dir in ${lowers}; do \
      echo "lower ${dir}" >>/attempts; \
      for target in "${dir}" "/proc/1/root${dir}"; do \
        if touch "${target}/written-by-run-step" 2>/dev/null; then echo "WROTE ${target}" >>/attempts; fi; \
        if echo changed >"${target}/keep.txt" 2>/dev/null; then echo "WROTE ${target}/keep.txt" >>/attempts; fi; \
      done; \
    done; \
    echo changed >/keep.txt && rm /data/a && chmod 700 /etc
DOCKERFILE
make_context_tar "${WORK}/attacker" "${WORK}/attacker.tar"
run_imagebuild --name=attacker --context_tar="${WORK}/attacker.tar" \
  --context_hash_file="${WORK}/attacker.hash" \
  --parent=parent="${WORK}/parent-vfs.tar.zst" --parent_metadata=parent="${WORK}/parent-vfs.image.json" --reference=parent=:parent \
  --storage_driver=overlay --layer_store="${STORES}/store" \
  --output="${WORK}/attacker.tar.zst" --metadata="${WORK}/attacker.image.json" ||
  fail "building the attacker: $(cat "${WORK}/stderr")"
zstd -q -d -c "${WORK}/attacker.tar.zst" >"${WORK}/attacker.tar.plain"
layer="$(tar -xOf "${WORK}/attacker.tar.plain" manifest.json | jq -r '.[0].Layers[-1]')"
tar -xOf "${WORK}/attacker.tar.plain" "${layer}" | tar -xOf - attempts >"${WORK}/attempts" ||
  fail "the attacker's RUN step left no report"
grep -q "^lower ${STORES}/store/overlay/storage/" "${WORK}/attempts" ||
  fail "the RUN step did not find the store's layers among its lower directories: $(cat "${WORK}/attempts")"
if grep -q '^WROTE' "${WORK}/attempts"; then fail "$(grep '^WROTE' "${WORK}/attempts")"; fi
[[ -z "$(find "${STORES}/store" -name written-by-run-step)" ]] ||
  fail "a RUN step created a file in the store"
[[ "$(store_state)" == "${before}" ]] || fail "a RUN step changed the store's layers"
build child after-attack --storage_driver=overlay --layer_store="${STORES}/store"
expect_file_lacks "${WORK}/child-after-attack.stderr" "importing image"
expect_same child after-attack

# Where overlay does not work (here: the build's directory on an overlay
# file system, as inside a container), auto builds with vfs, the same image,
# and says why; a forced overlay is an error that says why and what to set.
if [[ "$(id -u)" == 0 ]]; then
  ofs="${STORES}/ofs"
  mkdir -p "${ofs}"/{lower,upper,work,merged}
  chmod 755 "${ofs}" "${ofs}"/*
  on_overlayfs() {
    unshare --mount sh -c 'mount --make-rprivate / &&
      mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$1/merged" &&
      chmod 755 "$1/merged" && shift && TMPDIR="$0" exec "$@"' "${ofs}/merged" "${ofs}" "$@"
  }
  on_overlayfs "${IMAGEBUILD}" --name=parent --context_tar="${WORK}/parent.tar" \
    --context_hash_file="${WORK}/parent.hash" --registry=registry.test/ig \
    --output="${WORK}/parent-ofs.tar.zst" --metadata="${WORK}/parent-ofs.image.json" \
    2>"${WORK}/ofs.stderr" || fail "the build on overlayfs: $(cat "${WORK}/ofs.stderr")"
  expect_file_contains "${WORK}/ofs.stderr" "storage driver vfs (overlay does not work here: buildah cannot use it in the build's user namespace: "
  expect_file_contains "${WORK}/ofs.stderr" "not supported over overlayfs"
  expect_same parent ofs
  on_overlayfs "${IMAGEBUILD}" --name=parent --context_tar="${WORK}/parent.tar" \
    --context_hash_file="${WORK}/parent.hash" --registry=registry.test/ig --storage_driver=overlay \
    --output="${WORK}/parent-forced.tar.zst" --metadata="${WORK}/parent-forced.image.json" \
    2>"${WORK}/forced.stderr" && fail "a forced overlay where it does not work was taken"
  expect_file_contains "${WORK}/forced.stderr" "imagebuild: --storage_driver=overlay: buildah cannot use it in the build's user namespace: "
  expect_file_contains "${WORK}/forced.stderr" "; use --//rules:storage_driver=auto (or vfs)"
  [[ ! -e "${WORK}/parent-forced.tar.zst" ]] || fail "a refused build left its output"
  [[ -z "$(ls -A "${ofs}/upper")" ]] || fail "the builds on overlayfs left $(ls -A "${ofs}/upper")"
fi

# A bad setting.
run_imagebuild --name=child --context_tar="${WORK}/child.tar" \
  --context_hash_file="${WORK}/child.hash" --storage_driver=zfs \
  --output="${WORK}/bad.tar.zst" --metadata="${WORK}/bad.image.json" &&
  fail "--storage_driver=zfs was taken"
expect_file_contains "${WORK}/stderr" "--storage_driver=zfs: expected auto (overlay where the build's user namespace can mount it, vfs otherwise), overlay or vfs"
[[ ! -e "${WORK}/bad.tar.zst" ]] || fail "a refused build left its output"
echo PASS
