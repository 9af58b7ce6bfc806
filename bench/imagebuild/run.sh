#!/usr/bin/env bash
# Benchmarks of imagebuild, printed as the markdown that docs/benchmarks.md
# records:
#   1. zstd: imagegraph's compressor (libzstd, multithreaded; the code that
#      writes NAME.tar.zst) vs `zstd -T0 -3` on the same image tar, a Debian
#      bookworm minbase image (mmdebstrap) exported as a docker-archive.
#   2. end to end: a 3-layer busybox Dockerfile built by imagebuild (context
#      tar in, NAME.tar.zst + NAME.image.json out) vs `buildah build` of the
#      same Dockerfile run directly with the same isolation, storage driver
#      and determinism flags (into a fresh storage, which is then removed).
#   3. the same on a Debian base (the image of 1., 170 MB): imagebuild with
#      the base as its parent's NAME.tar.zst vs buildah loading the base's
#      docker-archive into a fresh storage and building there, alone and
#      followed by the export and compression that imagebuild's output has.
#   With UNCONTAINED_IMAGEBUILD=PATH (an imagebuild built from a revision
#   before contained builds, which ran buildah and RUN steps as host root),
#   2. and 3. also time that binary on the same contexts: contained builds
#   (user namespace, PID namespace) side by side with the root builds.
#
# Usage: bench/imagebuild/run.sh [RUNS]       (default 5 runs per contender)
# Run as root from the repository root. Environment:
#   BAZEL_OUTPUT_BASE   output base for ./bazelw (default: Bazel's own)
#   BENCH_CACHE         where the Debian rootfs tar is kept between runs
#                       (default ~/.cache/imagegraph/bench)
#
# Each contender is a function `contender_NAME`; add one (for example a
# `bazel build` of the same image) and list it in E2E_CONTENDERS.
set -euo pipefail

RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"
BENCH_CACHE="${BENCH_CACHE:-${HOME}/.cache/imagegraph/bench}"
mkdir -p "${BENCH_CACHE}"

# shellcheck source=bench/lib/outer_bazel.sh
source "${ROOT}/bench/lib/outer_bazel.sh"
BIN="$(opt_bazel_bin //tools/imagebuild //bench/imagebuild:zstd_bench)"
IMAGEBUILD="${BIN}/tools/imagebuild/imagebuild"
ZSTD_BENCH="${BIN}/bench/imagebuild/zstd_bench"

WORK="$(mktemp -d /tmp/imagebuild-bench.XXXXXX)"
trap 'rm -rf "${WORK}"' EXIT

# shellcheck source=bench/lib/stats.sh
source "${ROOT}/bench/lib/stats.sh"

# buildah_in STORAGE ARGS...: buildah with a private vfs storage under STORAGE.
buildah_in() {
  local storage="$1"
  shift
  buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs "$@"
}

# --- 1. zstd ----------------------------------------------------------------
rootfs="${BENCH_CACHE}/bookworm-minbase.tar"
if [[ ! -s "${rootfs}" ]]; then
  echo "making ${rootfs} with mmdebstrap (about 20 s)" >&2
  # mmdebstrap picks the output format from the extension.
  mmdebstrap --quiet --variant=minbase --mode=root bookworm "${rootfs%.tar}.partial.tar" >&2
  mv "${rootfs%.tar}.partial.tar" "${rootfs}"
fi
mkdir -p "${WORK}/debian"
cp "${rootfs}" "${WORK}/debian/rootfs.tar"
printf 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n' >"${WORK}/debian/Dockerfile"
storage="${WORK}/storage-debian"
buildah_in "${storage}" build --quiet --isolation chroot --timestamp 0 --identity-label=false \
  --pull=never -t bench/debian:1 "${WORK}/debian" >/dev/null
buildah_in "${storage}" push --quiet bench/debian:1 "docker-archive:${WORK}/image.tar:bench/debian:1"
rm -rf "${storage}" "${WORK}/debian"
image_bytes="$(stat -c %s "${WORK}/image.tar")"
cat "${WORK}/image.tar" >/dev/null  # both contenders read from the page cache

# timed FILE CMD...: appends "<wall seconds> <cpu seconds>" of CMD to FILE
# (cpu = user + system of CMD and its children; bash's own `time`).
timed() {
  local file="$1"
  shift
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>&1; } 2>>"${file}.raw"
  tail -n 1 "${file}.raw" | awk '{ print $1, $2 + $3 }' >>"${file}"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# Each run writes a new file, as a Bazel action does (Bazel deletes outputs
# before running an action); replacing a file costs the file system more.
for ((i = 0; i < RUNS; i++)); do
  rm -f "${WORK}/cli.tar.zst" "${WORK}/ours.tar.zst"
  sync
  timed "${WORK}/zstd_cli.times" zstd -q -T0 -3 "${WORK}/image.tar" -o "${WORK}/cli.tar.zst"
  timed "${WORK}/zstd_ours.times" "${ZSTD_BENCH}" --level=3 --threads=0 "${WORK}/image.tar" "${WORK}/ours.tar.zst"
done
cli_s="$(wall "${WORK}/zstd_cli.times")"
ours_s="$(wall "${WORK}/zstd_ours.times")"
cli_cpu="$(cpu "${WORK}/zstd_cli.times")"
ours_cpu="$(cpu "${WORK}/zstd_ours.times")"
cli_mbs="$(calc "${image_bytes} / ${cli_s} / 1000000")"
ours_mbs="$(calc "${image_bytes} / ${ours_s} / 1000000")"
cli_best_mbs="$(calc "${image_bytes} / $(best "${WORK}/zstd_cli.times") / 1000000")"
ours_best_mbs="$(calc "${image_bytes} / $(best "${WORK}/zstd_ours.times") / 1000000")"
cli_size="$(stat -c %s "${WORK}/cli.tar.zst")"
ours_size="$(stat -c %s "${WORK}/ours.tar.zst")"
zstd -q -d -c "${WORK}/ours.tar.zst" | cmp - "${WORK}/image.tar"
rm -f "${WORK}/cli.tar.zst" "${WORK}/ours.tar.zst"

zstd_report() {
  cat <<REPORT
| zstd level 3, all cores, ${image_bytes}-byte image tar | wall s | MB/s | best MB/s | CPU s | output bytes |
| --- | ---: | ---: | ---: | ---: | ---: |
| \`zstd -T0 -3\` | $(fmt "${cli_s}") | $(fmt "${cli_mbs}") | $(fmt "${cli_best_mbs}") | $(fmt "${cli_cpu}") | ${cli_size} |
| imagegraph (\`zstd_bench\`: libzstd streaming, as imagebuild) | $(fmt "${ours_s}") | $(fmt "${ours_mbs}") | $(fmt "${ours_best_mbs}") | $(fmt "${ours_cpu}") | ${ours_size} |
| ours / CLI (throughput; target >= 1.0) | | $(fmt "$(calc "${ours_mbs} / ${cli_mbs}")") | $(fmt "$(calc "${ours_best_mbs} / ${cli_best_mbs}")") | | |
REPORT
}
# ONLY_ZSTD=1: the compression comparison alone.
if [[ -n "${ONLY_ZSTD:-}" ]]; then
  echo "Machine: $(nproc) cores; zstd $(zstd --version | grep -o 'v[0-9.]*'); median of ${RUNS} runs;"
  echo "load average ${load_before} before, $(cut -d' ' -f1-3 /proc/loadavg) after."
  echo "Command: \`ONLY_ZSTD=1 bench/imagebuild/run.sh ${RUNS}\`"
  echo
  zstd_report
  exit 0
fi

# --- 2. end to end ------------------------------------------------------------
# The flags imagebuild passes to `buildah build`.
BUILDAH_BUILD=(build --quiet --isolation chroot --timestamp 0 --identity-label=false
  --pull=never --layers=false)

# make_context NAME DIR: WORK/NAME.context.tar and .context_hash from DIR, as
# ctxhash would hand them to imagebuild.
make_context() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$2" \
    -cf "${WORK}/$1.context.tar" .
  sha256sum "${WORK}/$1.context.tar" | cut -c1-64 >"${WORK}/$1.context_hash"
}

# imagebuild_of NAME [FLAGS...]: builds image NAME from its context, as the
# ImageBuild action does, then removes the outputs.
imagebuild_of() {
  local name="$1"
  shift
  "${IMAGEBUILD}" --name="${name}" --context_tar="${WORK}/${name}.context.tar" \
    --context_hash_file="${WORK}/${name}.context_hash" --registry=bench \
    --version=1 --output="${WORK}/${name}.tar.zst" \
    --metadata="${WORK}/${name}.image.json" "$@" 2>"${WORK}/${name}.stderr" || {
    # A failed build must not be timed as a fast one.
    cat "${WORK}/${name}.stderr" >&2
    exit 1
  }
  rm -f "${WORK}/${name}.tar.zst" "${WORK}/${name}.image.json"
}

# run_contenders NAME...: one warm-up each, then RUNS interleaved timed runs
# of every contender_NAME.
run_contenders() {
  local name i
  for name in "$@"; do
    "contender_${name}"
  done
  for ((i = 0; i < RUNS; i++)); do
    for name in "$@"; do
      timed "${WORK}/${name}.times" "contender_${name}"
    done
  done
}

ctx="${WORK}/busybox"
mkdir -p "${ctx}"
cp /bin/busybox "${ctx}/busybox"
cat >"${ctx}/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /srv && echo "hello" > /srv/index.html
CMD ["/bin/httpd", "-f", "-h", "/srv"]
DOCKERFILE
make_context busybox "${ctx}"

contender_buildah() {
  buildah_in "${WORK}/storage-direct" "${BUILDAH_BUILD[@]}" -t bench/busybox:1 "${ctx}" >/dev/null
  rm -rf "${WORK}/storage-direct"
}

contender_imagebuild() {
  imagebuild_of busybox
}

# imagebuild_uncontained_of NAME [FLAGS...]: imagebuild_of with the binary
# of UNCONTAINED_IMAGEBUILD.
imagebuild_uncontained_of() {
  IMAGEBUILD="${UNCONTAINED_IMAGEBUILD}" imagebuild_of "$@"
}

contender_imagebuild_uncontained() {
  imagebuild_uncontained_of busybox
}

E2E_CONTENDERS=(buildah imagebuild)
if [[ -n "${UNCONTAINED_IMAGEBUILD:-}" ]]; then
  E2E_CONTENDERS+=(imagebuild_uncontained)
fi
run_contenders "${E2E_CONTENDERS[@]}"

# --- 3. end to end on a Debian base --------------------------------------------
zstd -q -T0 -3 "${WORK}/image.tar" -o "${WORK}/debian.tar.zst"
# Metadata without frames: the parent's tarball, written by the zstd tool,
# is read as a plain archive.
printf '{"name": "debian"}\n' >"${WORK}/debian.image.json"
dctx="${WORK}/on-debian"
mkdir -p "${dctx}"
printf '#!/bin/sh\necho hello from app\n' >"${dctx}/app.sh"
cat >"${dctx}/Dockerfile" <<'DOCKERFILE'
FROM debian
RUN useradd --create-home worker && echo "built" >/etc/motd
COPY app.sh /usr/local/bin/app
USER worker
CMD ["app"]
DOCKERFILE
make_context on-debian "${dctx}"

# buildah_on_debian STORAGE: loads the base and builds the image there.
buildah_on_debian() {
  buildah_in "$1" pull --quiet "docker-archive:${WORK}/image.tar" >/dev/null
  buildah_in "$1" tag bench/debian:1 debian
  buildah_in "$1" "${BUILDAH_BUILD[@]}" -t bench/on-debian:1 "${dctx}" >/dev/null
}

contender_buildah_debian() {
  buildah_on_debian "${WORK}/storage-debian-direct"
  rm -rf "${WORK}/storage-debian-direct"
}

contender_buildah_debian_export() {
  local storage="${WORK}/storage-debian-export"
  buildah_on_debian "${storage}"
  buildah_in "${storage}" push --quiet bench/on-debian:1 \
    "docker-archive:${WORK}/on-debian.tar:bench/on-debian:1"
  zstd -q -T0 -3 --rm "${WORK}/on-debian.tar" -o "${WORK}/on-debian-cli.tar.zst"
  rm -rf "${storage}" "${WORK}/on-debian-cli.tar.zst"
}

contender_imagebuild_debian() {
  imagebuild_of on-debian --parent=debian="${WORK}/debian.tar.zst" \
    --parent_metadata=debian="${WORK}/debian.image.json" --reference=debian=:debian
}

# (A revision before the generator's reference map: it resolves FROM itself.)
contender_imagebuild_debian_uncontained() {
  imagebuild_uncontained_of on-debian --parent=debian="${WORK}/debian.tar.zst"
}

DEBIAN_CONTENDERS=(buildah_debian buildah_debian_export imagebuild_debian)
if [[ -n "${UNCONTAINED_IMAGEBUILD:-}" ]]; then
  DEBIAN_CONTENDERS+=(imagebuild_debian_uncontained)
fi
run_contenders "${DEBIAN_CONTENDERS[@]}"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report ---------------------------------------------------------------------
cat <<REPORT
Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;
buildah $(buildah --version | awk '{print $3}'), zstd $(zstd --version | grep -o 'v[0-9.]*'); median of ${RUNS} runs;
load average ${load_before} before, ${load_after} after. Wall time depends on
what else runs on the 2 cores; CPU time (user + system) much less so.
Command: \`bench/imagebuild/run.sh ${RUNS}\`

$(zstd_report)

| 3-layer busybox Dockerfile | wall s | best wall s | CPU s |
| --- | ---: | ---: | ---: |
REPORT
# row NAME: the contender's median wall, best wall and median CPU seconds.
row() {
  local times="${WORK}/$1.times"
  echo "| $1 | $(fmt "$(wall "${times}")") | $(fmt "$(best "${times}")") | $(fmt "$(cpu "${times}")") |"
}
# ratio_row LABEL A B: the same three figures of contender A over B's.
ratio_row() {
  local a="${WORK}/$2.times" b="${WORK}/$3.times"
  echo "| $1 | $(fmt "$(calc "$(wall "${a}") / $(wall "${b}")")") | $(fmt "$(calc "$(best "${a}") / $(best "${b}")")") | $(fmt "$(calc "$(cpu "${a}") / $(cpu "${b}")")") |"
}
for name in "${E2E_CONTENDERS[@]}"; do
  row "${name}"
done
ratio_row "imagebuild / buildah (target <= 1.3)" imagebuild buildah
if [[ -n "${UNCONTAINED_IMAGEBUILD:-}" ]]; then
  ratio_row "contained / uncontained imagebuild (target <= 1.2)" imagebuild imagebuild_uncontained
fi

cat <<REPORT

| \`RUN\` + \`COPY\` on a ${image_bytes}-byte Debian base | wall s | best wall s | CPU s |
| --- | ---: | ---: | ---: |
REPORT
for name in "${DEBIAN_CONTENDERS[@]}"; do
  row "${name}"
done
for base in buildah_debian buildah_debian_export; do
  ratio_row "imagebuild / ${base}" imagebuild_debian "${base}"
done
if [[ -n "${UNCONTAINED_IMAGEBUILD:-}" ]]; then
  ratio_row "contained / uncontained imagebuild" imagebuild_debian imagebuild_debian_uncontained
fi
