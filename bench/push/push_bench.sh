#!/usr/bin/env bash
# Push benchmarks (not a test): run from the checkout root after
#   ./bazelw build //tools/imagepush:imagepush
# as: bench/push/push_bench.sh [RUNS]
#
# 1. Re-pushing an unchanged image: blob upload requests
#    (POST /v2/.../blobs/uploads/) counted in the registry's access log, and
#    the wall time of the re-push.
# 2. Pushing a 100 MB image with imagepush (from NAME.tar.zst, HASH checked)
#    against a direct `skopeo copy` of the same docker-archive tar, each into
#    a fresh registry, RUNS times each (median reported).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
imagepush="${IMAGEPUSH:-${root}/bazel-bin/tools/imagepush/imagepush}"
runs="${1:-3}"
[[ -x "${imagepush}" ]] || { echo "build it first: ./bazelw build //tools/imagepush:imagepush" >&2; exit 1; }

export TEST_TMPDIR
TEST_TMPDIR="$(mktemp -d /tmp/push_bench.XXXXXX)"
source "${root}/tests/lib/registry.sh"
registry_on_exit 'rm -rf "${TEST_TMPDIR}"'
source "${root}/tests/push/fixture.sh"

now() { date +%s.%N; }
# Runs a command under /usr/bin/time; appends "WALL CPU" (CPU = user + sys of
# the command and the children it waited for) to the file $1.
timed() {
  local record="$1"
  shift
  /usr/bin/time -f '%e %U %S' -o "${work}/time.out" "$@"
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "${work}/time.out" >>"${record}"
}
column_stats() { # FILE COLUMN -> "min median"
  cut -d' ' -f"$2" "$1" | sort -g | awk '{a[NR]=$1} END {printf "%s %s", a[1], a[int((NR+1)/2)]}'
}
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

work="${TEST_TMPDIR}/work"
mkdir -p "${work}/ws/images/small" "${work}/ws/images/big"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(skopeo --version), $(docker-registry --version | cut -d' ' -f2-)"

# --- 1. re-push of an unchanged image
make_busybox_image "${work}" small "bench small image"
registry_start bench
addr="${REGISTRY_ADDR[bench]}"
push_small() {
  "${imagepush}" --tarball="${work}/small.tar.zst" --name=small --folder=images/small \
    --registry="${addr}" --tls-verify=false --workspace_dir="${work}/ws" "$@" >/dev/null 2>"${work}/push.err"
}
push_small --update-hash
before="$(registry_count_requests bench POST '/v2/.*/blobs/uploads/')"
start="$(now)"
push_small
end="$(now)"
after="$(registry_count_requests bench POST '/v2/.*/blobs/uploads/')"
echo "first push: ${before} blob upload requests"
echo "re-push unchanged (HASH checked): $((after - before)) blob upload requests, $(elapsed "${start}" "${end}") s"
registry_stop bench

# --- 2. a 100 MB image: imagepush vs direct skopeo copy
big_ctx="${work}/bigctx"
mkdir -p "${big_ctx}"
cp /bin/busybox "${big_ctx}/busybox"
head -c 100M /dev/urandom >"${big_ctx}/payload.bin"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY payload.bin /payload.bin\n' >"${big_ctx}/Dockerfile"
b=(buildah --root "${work}/broot" --runroot "${work}/brun" --storage-driver vfs)
"${b[@]}" bud --quiet --isolation chroot --timestamp 0 --identity-label=false -t big "${big_ctx}" >/dev/null
"${b[@]}" push --quiet big "docker-archive:${work}/big.tar:big:1" >/dev/null
"${b[@]}" rmi -a -f >/dev/null 2>&1 || true
rm -rf "${work}/broot" "${work}/brun" "${big_ctx}"
zstd -q -T0 "${work}/big.tar" -o "${work}/big.tar.zst"
echo "big image: $(du -m "${work}/big.tar" | cut -f1) MB tar, $(du -m "${work}/big.tar.zst" | cut -f1) MB tar.zst"

: >"${work}/skopeo.times"
: >"${work}/imagepush.times"
: >"${work}/skopeo_zst.times"
for ((i = 1; i <= runs; i++)); do
  registry_start "direct${i}"
  timed "${work}/skopeo.times" skopeo copy --quiet --dest-tls-verify=false \
    "docker-archive:${work}/big.tar" "docker://${REGISTRY_ADDR[direct${i}]}/big:1"
  registry_stop "direct${i}"

  registry_start "directzst${i}"
  timed "${work}/skopeo_zst.times" skopeo copy --quiet --dest-tls-verify=false \
    "docker-archive:${work}/big.tar.zst" "docker://${REGISTRY_ADDR[directzst${i}]}/big:1"
  registry_stop "directzst${i}"

  registry_start "tool${i}"
  # The first run pins HASH; the others check against it (the full path:
  # tag look-up, push, read-back, comparison).
  pin=()
  [[ -f "${work}/ws/images/big/HASH" ]] || pin=(--update-hash)
  timed "${work}/imagepush.times" "${imagepush}" --tarball="${work}/big.tar.zst" --name=big \
    --folder=images/big --registry="${REGISTRY_ADDR[tool${i}]}" --tls-verify=false \
    --workspace_dir="${work}/ws" "${pin[@]}"
  registry_stop "tool${i}"
done >/dev/null 2>"${work}/push.err"
read -r s_min s_med <<<"$(column_stats "${work}/skopeo.times" 1)"
read -r z_min z_med <<<"$(column_stats "${work}/skopeo_zst.times" 1)"
read -r z_cpu_min z_cpu_med <<<"$(column_stats "${work}/skopeo_zst.times" 2)"
read -r t_min t_med <<<"$(column_stats "${work}/imagepush.times" 1)"
read -r s_cpu_min s_cpu_med <<<"$(column_stats "${work}/skopeo.times" 2)"
read -r t_cpu_min t_cpu_med <<<"$(column_stats "${work}/imagepush.times" 2)"
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "100 MB push, ${runs} runs each, fresh registry per run; wall s (min / median), CPU s (min / median):"
echo "  direct skopeo copy (tar):        wall ${s_min} / ${s_med}, CPU ${s_cpu_min} / ${s_cpu_med}"
echo "  direct skopeo copy (tar.zst):    wall ${z_min} / ${z_med}, CPU ${z_cpu_min} / ${z_cpu_med}"
echo "  imagepush (tar.zst, HASH check): wall ${t_min} / ${t_med}, CPU ${t_cpu_min} / ${t_cpu_med}"
echo "  ratio imagepush / skopeo (tar):     wall $(ratio "${t_min}" "${s_min}") (min) $(ratio "${t_med}" "${s_med}") (median), CPU $(ratio "${t_cpu_med}" "${s_cpu_med}") (median)"
echo "  ratio imagepush / skopeo (tar.zst): wall $(ratio "${t_min}" "${z_min}") (min) $(ratio "${t_med}" "${z_med}") (median), CPU $(ratio "${t_cpu_med}" "${z_cpu_med}") (median)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
