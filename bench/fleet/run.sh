#!/usr/bin/env bash
# Two machines of a fleet on the real images/ tree: how much faster the second
# builds, and how many bytes each moves. They share only a real nginx with
# WebDAV as Bazel's remote cache (tests/lib/remote_cache.sh) and the image
# index on a real docker-registry (tests/lib/registry.sh), both on 127.0.0.1.
# Each machine is a clone of this repository's HEAD at its own path, with its
# own HOME, its own output roots and no disk cache; both build as trunk
# workers (index level 3). The layer store is off: both machines run as root
# here, and root's default store would be shared.
#
#   A   `bazel build //images/...`, cold: every result uploaded, every image
#       indexed in the registry;
#   B1  a fresh output root, `bazel build --remote_download_minimal //images/...`;
#   B2  a fresh output root, `bazel build --remote_download_minimal
#       //images:decision`, then `bazel run --remote_download_toplevel
#       //images:decision.load` (into a private podman storage);
#   B3  a fresh output root, `bazel build //images/...` (downloads everything);
#   B4  a fresh output root, `bazel build --remote_download_minimal
#       //images:decision` with ImageBuild kept out of the remote cache
#       (--modify_execution_info=ImageBuild=+no-remote-cache): what a worker
#       would do if the cache held no image tarball and the images lived only
#       in the registry index.
#
# Prints wall seconds (from `now` around each command), the bytes nginx
# received (PUT requests) and sent (GET bodies) from its access log, the
# bytes the registry sent (blob GETs, from its access log) and stores, the
# ImageBuild actions run, the cache bytes of each image against its .tar.zst,
# and what B2's minimal build downloaded.
#
# Usage: bench/fleet/run.sh
# Takes about as long as a cold build of the tree and the tools (run it once;
# the Debian root filesystem and 13 images build).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d /tmp/fleet-bench.XXXXXX)"
# shellcheck source=tests/lib/registry.sh
source "${ROOT}/tests/lib/registry.sh"
# shellcheck source=tests/lib/remote_cache.sh
source "${ROOT}/tests/lib/remote_cache.sh"
# shellcheck source=tests/lib/container_storage.sh
source "${ROOT}/tests/lib/container_storage.sh"
# shellcheck source=bench/lib/stats.sh
source "${ROOT}/bench/lib/stats.sh"

"${ROOT}/bazelw" --version >/dev/null # installs the Debian packages (client only)
ROOTS=()
cleanup() {
  local r
  for r in "${ROOTS[@]}"; do
    (cd "${WORK}/${r%%/*}/ws" && HOME="${WORK}/${r%%/*}/home" bazel \
      --output_user_root="${WORK}/${r}" shutdown) >/dev/null 2>&1 || true
  done
  [[ -d "${WORK}/podman" ]] && remove_container_storage "${WORK}/podman"
  chmod -R u+w "${WORK}" 2>/dev/null || true
  rm -rf "${WORK}"
}
registry_on_exit cleanup
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
remote_cache_start
registry_start fleet
INDEX="registry://${REGISTRY_ADDR[fleet]}/imagegraph/index"

for m in a b; do
  mkdir -p "${WORK}/${m}/home"
  git clone -q "${ROOT}" "${WORK}/${m}/ws"
done

registry_mark=0
mark() {
  remote_cache_mark
  registry_mark="$(wc -l <"${REGISTRY_LOG[fleet]}")"
}
# Bytes of the blob GETs the registry answered since the mark (its access log
# is Apache's combined format: "... "GET PATH HTTP/1.1" STATUS BYTES ...").
registry_sent() {
  tail -n "+$((registry_mark + 1))" "${REGISTRY_LOG[fleet]}" | awk '
    match($0, /"GET [^ "]*\/blobs\/[^ "]* HTTP\/[0-9.]+" 200 [0-9]+/) {
      split(substr($0, RSTART, RLENGTH), f, " "); total += f[5] }
    END { printf "%d\n", total }'
}

# on M ROOT COMMAND ARGS...: one timed Bazel command on machine M with the
# output root WORK/M/ROOT; the wall seconds in ${wall}, the ImageBuild
# actions it ran (not taken from a cache) in ${ran}.
on() {
  local m="$1" root="$2" command="$3"
  shift 3
  local start end
  ROOTS+=("${m}/${root}")
  : >"${WORK}/exec.json"
  start="$(now)"
  (cd "${WORK}/${m}/ws" && HOME="${WORK}/${m}/home" bazel --output_user_root="${WORK}/${m}/${root}" \
    "${command}" --color=no --curses=no --disk_cache= --remote_cache="${REMOTE_CACHE_URL}" \
    --//rules:index="${INDEX}" --//rules:index_level=3 --//rules:layer_store=off \
    --execution_log_json_file="${WORK}/exec.json" "$@") >"${WORK}/out" 2>&1 ||
    {
      tail -40 "${WORK}/out" >&2
      echo "fleet bench: bazel ${command} $* failed on ${m}" >&2
      exit 1
    }
  end="$(now)"
  wall="$(fmt "$(calc "${end} - ${start}")")"
  ran="$(jq -r 'select(.mnemonic == "ImageBuild" and (.remoteCacheHit | not)) | .mnemonic' \
    "${WORK}/exec.json" | wc -l)"
}
shutdown_root() {
  (cd "${WORK}/$1/ws" && HOME="${WORK}/$1/home" bazel --output_user_root="${WORK}/$1/$2" shutdown) \
    >/dev/null 2>&1 || true
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
rows=()
row() {
  rows+=("| $1 | ${wall} | $(mb "$(remote_cache_bytes PUT)") | $(mb "$(remote_cache_bytes GET)") | $(mb "$(registry_sent)") | ${ran} |")
}

# --- A ------------------------------------------------------------------------
mark
on a r build //images/...
row "A, \`bazel build //images/...\`, cold"
a_wall="${wall}"
cp "${WORK}/exec.json" "${WORK}/a.exec.json"
a_bin="$(cd "${WORK}/a/ws" && HOME="${WORK}/a/home" bazel --output_user_root="${WORK}/a/r" info bazel-bin 2>/dev/null)"
a_put_cas="$(remote_cache_bytes PUT '^/cas/')"
a_put_ac="$(remote_cache_bytes PUT '^/ac/')"
shutdown_root a r

# Every output A's actions produced: "DIGEST SIZE PATH".
jq -r '.actualOutputs[]? | "\(.digest.hash) \(.digest.sizeBytes) \(.path)"' "${WORK}/a.exec.json" |
  sort -u >"${WORK}/outputs"
# The blobs the cache stores: "DIGEST SIZE".
find "${REMOTE_CACHE_DIR}/cas" -type f -printf '%f %s\n' | sort >"${WORK}/cas"

# --- B ------------------------------------------------------------------------
mark
on b r1 build --remote_download_minimal //images/...
row "B1, \`bazel build --remote_download_minimal //images/...\`, fresh output base"
b_wall="${wall}"
shutdown_root b r1

mark
on b r2 build --remote_download_minimal //images:decision
row "B2, \`bazel build --remote_download_minimal //images:decision\`, fresh output base"
remote_cache_get_paths >"${WORK}/b2.gets"
private_container_storage "${WORK}/podman"
mark
on b r2 run --remote_download_toplevel //images:decision.load
row "B2, then \`bazel run --remote_download_toplevel //images:decision.load\`"
shutdown_root b r2

mark
on b r3 build //images/...
row "B3, \`bazel build //images/...\` (downloads all), fresh output base"
shutdown_root b r3

mark
on b r4 build --remote_download_minimal --modify_execution_info=ImageBuild=+no-remote-cache //images:decision
row "B4, as B2 with no image tarball in the cache (ImageBuild +no-remote-cache)"
b4_reused="$(grep -c 'reused sha256:.* from the index' "${WORK}/out" || true)"
shutdown_root b r4

# --- report -------------------------------------------------------------------
echo
echo "| machine, command | wall s | MB uploaded to the cache | MB downloaded from the cache | MB from the registry | ImageBuild run |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "B1 / A wall time for //images/...: $(fmt "$(calc "${b_wall} / ${a_wall}")")"
echo "A uploaded $(mb "${a_put_cas}") MB of blobs and $(mb "${a_put_ac}") MB of action results;" \
  "the registry stores $(mb "$(du -sb "${REGISTRY_STORAGE[fleet]}" | cut -f1)") MB"
echo "B4 took ${b4_reused} images from the registry index (ImageBuild ran as a copy)"

# What the cache holds, by kind of output (a blob counted once).
echo
echo "| cache blobs | MB |"
echo "| --- | ---: |"
join "${WORK}/cas" <(awk '{ print $1, $3 }' "${WORK}/outputs" | sort -u -k1,1) | awk '
  { size = $2; path = $3
    if (path ~ /_rootfs\.tar\.zst$/) kind = "root filesystems (.tar.zst)"
    else if (path ~ /\/images\/[^\/]*\.tar\.zst$/) kind = "image tarballs (.tar.zst)"
    else if (path ~ /\.context\.tar$/) kind = "context tars"
    else if (path ~ /\/images\//) kind = "other image outputs (hashes, manifests, metadata)"
    else kind = "tools and everything else"
    total[kind] += size; all += size }
  END { for (k in total) printf "| %s | %.1f |\n", k, total[k] / 1e6; printf "| all | %.1f |\n", all / 1e6 }' |
  sort

# Per image: the cache bytes of its own outputs (context, build) against its .tar.zst.
echo
echo "| image | .tar.zst MB | its outputs in the cache, MB | of which the context tar, MB |"
echo "| --- | ---: | ---: | ---: |"
while read -r image; do
  tarball="$(stat -c %s "${a_bin}/images/${image}.tar.zst")"
  awk -v p="/images/${image}." 'index($3, p) { print $1, $2, $3 }' "${WORK}/outputs" |
    sort -k1,1 | join - "${WORK}/cas" | awk -v n="${image}" -v t="${tarball}" '
      { all += $2; if ($3 ~ /\.context\.tar$/) ctx += $2 }
      END { printf "| %s | %.1f | %.1f | %.1f |\n", n, t / 1e6, all / 1e6, ctx / 1e6 }'
done < <(find "${a_bin}/images" -maxdepth 1 -name '*.image.json' -printf '%f\n' |
  sed 's/\.image\.json$//' | sort)

# No uncompressed image or root filesystem: every tar in the cache is a context tar.
echo
while read -r digest size; do
  if [[ "$(head -c 262 "${REMOTE_CACHE_DIR}/cas/${digest}" | tail -c 5 | tr -d '\0')" == ustar ]]; then
    echo "uncompressed tar in the cache: ${size} bytes, $(awk -v d="${digest}" '$1 == d { print $3 }' "${WORK}/outputs")"
  fi
done <"${WORK}/cas"

echo
echo "What B2's minimal build of //images:decision downloaded (bytes, what):"
while read -r bytes path; do
  what="an action result"
  [[ "${path}" == /cas/* ]] && what="$(awk -v d="${path#/cas/}" '$1 == d { print $3; exit }' "${WORK}/outputs")"
  echo "  ${bytes} ${path%/*}/${path##*/} ${what:-a blob no action of A output}"
done <"${WORK}/b2.gets"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
