#!/usr/bin/env bash
# Benchmark of the layer store (tools/imagebuild/README.md, "Layer store"):
# a child of a Debian base (bookworm minbase, 170 MB, made by mmdebstrap and
# built into NAME.tar.zst by imagebuild) rebuilt after a one-file edit, side
# by side in one run:
#   buildah_overlay / buildah_vfs   bare `buildah build` (bench/lib/
#                                   bare_buildah.sh) with the base already in
#                                   a persistent storage, as a buildah user
#                                   works; the image stays in the storage
#   buildah_overlay_treediff        the same on overlay, computing the layer
#                                   by comparing trees, as imagebuild does so
#                                   that image IDs do not depend on the driver
#   buildah_vfs_export              the same, committing to a docker-archive
#                                   compressed with `zstd -T0 -3`: the outputs
#                                   imagebuild writes
#   imagebuild_nostore_DRIVER       imagebuild --layer_store=off (each build
#                                   imports the base into a fresh storage)
#   imagebuild_store_warm_DRIVER    imagebuild with the base in the store
#   imagebuild_store_cold           imagebuild with an emptied store (imports)
# DRIVER (--storage_driver) is vfs or overlay; the cold store uses overlay.
# Every run edits the child's one file first, so nothing is reused.
#
# Usage: bench/imagebuild/layer_store.sh [RUNS]   (default 3 runs each)
# Run as root from the repository root. BENCH_CACHE as in run.sh.
set -euo pipefail

RUNS="${1:-3}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"
BENCH_CACHE="${BENCH_CACHE:-${HOME}/.cache/imagegraph/bench}"
mkdir -p "${BENCH_CACHE}"

# shellcheck source=bench/lib/outer_bazel.sh
source "${ROOT}/bench/lib/outer_bazel.sh"
IMAGEBUILD="$(opt_bazel_bin //tools/imagebuild)/tools/imagebuild/imagebuild"

# The build's namespace must reach the store and the temporary directories.
WORK="$(mktemp -d /tmp/layer-store-bench.XXXXXX)"
chmod 755 "${WORK}"
export TMPDIR="${WORK}/tmp"
mkdir -p "${TMPDIR}"
trap 'rm -rf "${WORK}"' EXIT

# shellcheck source=bench/lib/stats.sh
source "${ROOT}/bench/lib/stats.sh"

rootfs="${BENCH_CACHE}/bookworm-minbase.tar"
if [[ ! -s "${rootfs}" ]]; then
  echo "making ${rootfs} with mmdebstrap (about 20 s)" >&2
  mmdebstrap --quiet --variant=minbase --mode=root bookworm "${rootfs%.tar}.partial.tar" >&2
  mv "${rootfs%.tar}.partial.tar" "${rootfs}"
fi

# make_context NAME DIR: WORK/NAME.context.tar and .context_hash from DIR.
make_context() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$2" \
    -cf "${WORK}/$1.context.tar" .
  sha256sum "${WORK}/$1.context.tar" | cut -c1-64 >"${WORK}/$1.context_hash"
}

# The base, as the ImageBuild action of base-build makes it.
mkdir -p "${WORK}/debian"
cp "${rootfs}" "${WORK}/debian/rootfs.tar"
printf 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n' >"${WORK}/debian/Dockerfile"
make_context debian "${WORK}/debian"
"${IMAGEBUILD}" --name=debian --context_tar="${WORK}/debian.context.tar" \
  --context_hash_file="${WORK}/debian.context_hash" --registry=bench --version=1 \
  --output="${WORK}/debian.tar.zst" --metadata="${WORK}/debian.image.json" 2>/dev/null
rm -rf "${WORK}/debian" "${WORK}/debian.context.tar"
zstd -q -d -c "${WORK}/debian.tar.zst" >"${WORK}/debian.tar"

dctx="${WORK}/child"
mkdir -p "${dctx}"
cat >"${dctx}/Dockerfile" <<'DOCKERFILE'
FROM debian
RUN useradd --create-home worker && echo "built" >/etc/motd
COPY app.sh /usr/local/bin/app
USER worker
CMD ["app"]
DOCKERFILE
edits=0
# edit: the one-file edit before every build.
edit() {
  edits=$((edits + 1))
  printf '#!/bin/sh\necho hello from app, edit %d\n' "${edits}" >"${dctx}/app.sh"
  make_context child "${dctx}"
}

# shellcheck source=bench/lib/bare_buildah.sh
source "${ROOT}/bench/lib/bare_buildah.sh"
for driver in vfs overlay; do
  bare_buildah "${driver}" pull --quiet "docker-archive:${WORK}/debian.tar" >/dev/null
  bare_buildah "${driver}" tag "$(jq -r .image_id "${WORK}/debian.image.json")" debian
done

# bare_buildah_child DRIVER: the child, built by a bare buildah.
bare_buildah_child() {
  edit
  bare_buildah "$1" "${BARE_BUILDAH_BUILD[@]}" -t bench/child:1 "${dctx}" >/dev/null
  bare_buildah "$1" rmi bench/child:1 >/dev/null
}
contender_buildah_overlay() { bare_buildah_child overlay; }
contender_buildah_overlay_treediff() { bare_buildah_child overlay-treediff; }
contender_buildah_vfs() { bare_buildah_child vfs; }
contender_buildah_vfs_export() {
  edit
  bare_buildah vfs "${BARE_BUILDAH_BUILD[@]}" -t "docker-archive:${WORK}/child-cli.tar:bench/child:1" "${dctx}" >/dev/null
  zstd -q -T0 -3 --rm "${WORK}/child-cli.tar" -o "${WORK}/child-cli.tar.zst"
  rm -f "${WORK}/child-cli.tar.zst"
}
# imagebuild_child FLAGS...: the ImageBuild action of the child.
imagebuild_child() {
  edit
  "${IMAGEBUILD}" --name=child --context_tar="${WORK}/child.context.tar" \
    --context_hash_file="${WORK}/child.context_hash" --registry=bench --version=1 \
    --parent=debian="${WORK}/debian.tar.zst" --parent_metadata=debian="${WORK}/debian.image.json" \
    --reference=debian=:debian \
    --output="${WORK}/child.tar.zst" --metadata="${WORK}/child.image.json" "$@" \
    2>"${WORK}/child.stderr" || {
    cat "${WORK}/child.stderr" >&2
    exit 1
  }
  rm -f "${WORK}/child.tar.zst" "${WORK}/child.image.json"
}
contender_imagebuild_nostore_vfs() {
  imagebuild_child --layer_store=off --storage_driver=vfs
}
contender_imagebuild_nostore_overlay() {
  imagebuild_child --layer_store=off --storage_driver=overlay
}
# store_warm DRIVER: a build with the base in the store's DRIVER storage.
store_warm() {
  imagebuild_child --layer_store="${WORK}/store-warm" --storage_driver="$1"
  # The warm-up run imports; a timed one must not.
  [[ -n "${warmed:-}" ]] && grep -q "importing" "${WORK}/child.stderr" && {
    echo "a warm store imported the base" >&2
    exit 1
  }
  return 0
}
contender_imagebuild_store_warm_vfs() { store_warm vfs; }
contender_imagebuild_store_warm_overlay() { store_warm overlay; }
contender_imagebuild_store_cold() {
  rm -rf "${WORK}/store-cold"
  imagebuild_child --layer_store="${WORK}/store-cold" --storage_driver=overlay
}

timed() {
  local file="$1"
  shift
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>&1; } 2>>"${file}.raw"
  tail -n 1 "${file}.raw" | awk '{ print $1, $2 + $3 }' >>"${file}"
}

CONTENDERS=(buildah_overlay buildah_overlay_treediff buildah_vfs buildah_vfs_export
  imagebuild_nostore_vfs imagebuild_nostore_overlay imagebuild_store_warm_vfs
  imagebuild_store_warm_overlay imagebuild_store_cold)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for name in "${CONTENDERS[@]}"; do
  "contender_${name}" # warm-up (and the first import of the warm store)
done
warmed=1
for ((i = 0; i < RUNS; i++)); do
  for name in "${CONTENDERS[@]}"; do
    timed "${WORK}/${name}.times" "contender_${name}"
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

row() {
  local times="${WORK}/$1.times"
  echo "| $1 | $(fmt "$(wall "${times}")") | $(fmt "$(best "${times}")") | $(fmt "$(cpu "${times}")") |"
}
ratio_row() {
  local a="${WORK}/$2.times" b="${WORK}/$3.times"
  echo "| $1 | $(fmt "$(calc "$(wall "${a}") / $(wall "${b}")")") | $(fmt "$(calc "$(best "${a}") / $(best "${b}")")") | $(fmt "$(calc "$(cpu "${a}") / $(cpu "${b}")")") |"
}
cat <<REPORT
Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;
buildah $(buildah --version | awk '{print $3}'); median of ${RUNS} runs; load average
${load_before} before, ${load_after} after.
Command: \`bench/imagebuild/layer_store.sh ${RUNS}\`

| child of a $(stat -c %s "${WORK}/debian.tar")-byte Debian base, one-file edit | wall s | best wall s | CPU s |
| --- | ---: | ---: | ---: |
REPORT
for name in "${CONTENDERS[@]}"; do
  row "${name}"
done
ratio_row "imagebuild_store_warm_overlay / imagebuild_store_warm_vfs" imagebuild_store_warm_overlay imagebuild_store_warm_vfs
ratio_row "imagebuild_nostore_overlay / imagebuild_nostore_vfs" imagebuild_nostore_overlay imagebuild_nostore_vfs
ratio_row "imagebuild_store_warm_overlay / buildah_overlay" imagebuild_store_warm_overlay buildah_overlay
ratio_row "imagebuild_store_warm_overlay / buildah_overlay_treediff" imagebuild_store_warm_overlay buildah_overlay_treediff
ratio_row "buildah_overlay_treediff / buildah_overlay" buildah_overlay_treediff buildah_overlay
ratio_row "imagebuild_store_warm_overlay / buildah_vfs_export" imagebuild_store_warm_overlay buildah_vfs_export
ratio_row "imagebuild_store_warm_vfs / buildah_vfs" imagebuild_store_warm_vfs buildah_vfs
