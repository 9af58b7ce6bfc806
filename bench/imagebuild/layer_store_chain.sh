#!/usr/bin/env bash
# Benchmark of the layer store on a deep chain: five images, each FROM the
# one before (the first a 300 MB busybox image, each child adding 30 MB of
# incompressible data), built by imagebuild; then the leaf is rebuilt after a
# one-file edit, side by side:
#   leaf_nostore      --layer_store=off: the leaf's parent (the four images'
#                     layers, about 390 MB) is imported into a fresh storage
#   leaf_store_warm   the parent already in the layer store
#   buildah_DRIVER    a bare `buildah build` of the leaf (bench/lib/
#                     bare_buildah.sh: vfs, overlay, and overlay_treediff,
#                     which computes the layer by comparing trees as
#                     imagebuild does) with the parent already in a
#                     persistent storage, as a buildah user works; the image
#                     stays in the storage (then rmi)
# Usage: bench/imagebuild/layer_store_chain.sh [RUNS]   (default 3)
# Run as root from the repository root.
set -euo pipefail

RUNS="${1:-3}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"
# shellcheck source=bench/lib/outer_bazel.sh
source "${ROOT}/bench/lib/outer_bazel.sh"
IMAGEBUILD="$(opt_bazel_bin //tools/imagebuild)/tools/imagebuild/imagebuild"

WORK="$(mktemp -d /tmp/layer-store-chain.XXXXXX)"
chmod 755 "${WORK}"
export TMPDIR="${WORK}/tmp"
mkdir -p "${TMPDIR}"
trap 'rm -rf "${WORK}"' EXIT
# shellcheck source=bench/lib/stats.sh
source "${ROOT}/bench/lib/stats.sh"

# build LEVEL FLAGS...: image chainLEVEL from WORK/chainLEVEL/.
build() {
  local level="$1"
  shift
  local dir="${WORK}/chain${level}" parent=()
  if ((level > 1)); then
    parent=(--parent="chain$((level - 1))=${WORK}/chain$((level - 1)).tar.zst"
      --parent_metadata="chain$((level - 1))=${WORK}/chain$((level - 1)).image.json"
      --reference="chain$((level - 1))=:chain$((level - 1))")
  fi
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "${dir}" \
    -cf "${WORK}/chain${level}.context.tar" .
  sha256sum "${WORK}/chain${level}.context.tar" | cut -c1-64 >"${WORK}/chain${level}.hash"
  "${IMAGEBUILD}" --name="chain${level}" --context_tar="${WORK}/chain${level}.context.tar" \
    --context_hash_file="${WORK}/chain${level}.hash" --registry=bench --version=1 \
    "${parent[@]}" --output="${WORK}/chain${level}.tar.zst" \
    --metadata="${WORK}/chain${level}.image.json" "$@" 2>"${WORK}/chain${level}.stderr" || {
    cat "${WORK}/chain${level}.stderr" >&2
    exit 1
  }
}

mkdir -p "${WORK}/chain1"
cp /bin/busybox "${WORK}/chain1/busybox"
head -c 300000000 /dev/urandom >"${WORK}/chain1/data.bin"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY data.bin /data/1.bin\n' >"${WORK}/chain1/Dockerfile"
build 1 --layer_store="${WORK}/store" --storage_driver=overlay
for level in 2 3 4 5; do
  mkdir -p "${WORK}/chain${level}"
  head -c 30000000 /dev/urandom >"${WORK}/chain${level}/data.bin"
  printf 'FROM chain%d\nCOPY data.bin /data/%d.bin\nRUN ["/bin/busybox", "ls", "/data"]\n' \
    $((level - 1)) "${level}" >"${WORK}/chain${level}/Dockerfile"
  build "${level}" --layer_store="${WORK}/store" --storage_driver=overlay
done
# The store keeps one storage per driver: the vfs one gets chain4 too.
build 5 --layer_store="${WORK}/store" --storage_driver=vfs
parent_bytes="$(jq -r .size "${WORK}/chain4.image.json")"

edits=0
edit_leaf() {
  edits=$((edits + 1))
  echo "edit ${edits}" >"${WORK}/chain5/edit.txt"
}
# leaf_nostore DRIVER, leaf_store_warm DRIVER: the leaf's rebuild.
leaf_nostore() {
  edit_leaf
  build 5 --layer_store=off --storage_driver="$1"
}
leaf_store_warm() {
  edit_leaf
  build 5 --layer_store="${WORK}/store" --storage_driver="$1"
  ! grep -q importing "${WORK}/chain5.stderr" || {
    echo "a warm store imported" >&2
    exit 1
  }
}
# shellcheck source=bench/lib/bare_buildah.sh
source "${ROOT}/bench/lib/bare_buildah.sh"
zstd -q -d -c "${WORK}/chain4.tar.zst" >"${WORK}/chain4.tar"
for driver in vfs overlay; do
  bare_buildah "${driver}" pull --quiet "docker-archive:${WORK}/chain4.tar" >/dev/null
  bare_buildah "${driver}" tag "$(jq -r .image_id "${WORK}/chain4.image.json")" chain4
done
rm "${WORK}/chain4.tar"
buildah_leaf() {
  edit_leaf
  bare_buildah "$1" "${BARE_BUILDAH_BUILD[@]}" -t bench/chain5:1 "${WORK}/chain5" >/dev/null
  bare_buildah "$1" rmi bench/chain5:1 >/dev/null
}
contender_buildah_vfs() { buildah_leaf vfs; }
contender_buildah_overlay() { buildah_leaf overlay; }
contender_buildah_overlay_treediff() { buildah_leaf overlay-treediff; }
contender_leaf_nostore_vfs() { leaf_nostore vfs; }
contender_leaf_nostore_overlay() { leaf_nostore overlay; }
contender_leaf_store_warm_vfs() { leaf_store_warm vfs; }
contender_leaf_store_warm_overlay() { leaf_store_warm overlay; }
timed() {
  local file="$1"
  shift
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>&1; } 2>>"${file}.raw"
  tail -n 1 "${file}.raw" | awk '{ print $1, $2 + $3 }' >>"${file}"
}
CONTENDERS=(buildah_overlay buildah_overlay_treediff buildah_vfs leaf_nostore_vfs leaf_nostore_overlay
  leaf_store_warm_vfs leaf_store_warm_overlay)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < RUNS; i++)); do
  for name in "${CONTENDERS[@]}"; do
    timed "${WORK}/${name}.times" "contender_${name}"
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cat <<REPORT
Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; median of ${RUNS} runs;
load average ${load_before} before, ${load_after} after.
Command: \`bench/imagebuild/layer_store_chain.sh ${RUNS}\`

| leaf of a 5-deep chain (parent: ${parent_bytes} bytes of layers), one-file edit | wall s | best wall s | CPU s |
| --- | ---: | ---: | ---: |
REPORT
for name in "${CONTENDERS[@]}"; do
  echo "| ${name} | $(fmt "$(wall "${WORK}/${name}.times")") | $(fmt "$(best "${WORK}/${name}.times")") | $(fmt "$(cpu "${WORK}/${name}.times")") |"
done
ratio() {
  local a="${WORK}/$1.times" b="${WORK}/$2.times"
  echo "| $1 / $2 | $(fmt "$(calc "$(wall "${a}") / $(wall "${b}")")") | $(fmt "$(calc "$(best "${a}") / $(best "${b}")")") | $(fmt "$(calc "$(cpu "${a}") / $(cpu "${b}")")") |"
}
ratio leaf_store_warm_overlay leaf_store_warm_vfs
ratio leaf_nostore_overlay leaf_nostore_vfs
ratio leaf_store_warm_overlay leaf_nostore_vfs
ratio leaf_store_warm_overlay buildah_overlay
ratio leaf_store_warm_overlay buildah_overlay_treediff
ratio buildah_overlay_treediff buildah_overlay
ratio leaf_store_warm_vfs buildah_vfs
