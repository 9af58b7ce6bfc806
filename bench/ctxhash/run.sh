#!/usr/bin/env bash
# Benchmarks ctxhash against (i) a find | sort | xargs sha256sum pipeline
# whose output is hashed again and (ii) a plain Python hashlib implementation
# of the same spec (ctxhash_reference.py), on three synthetic trees. Checks
# that all three agree, then prints a Markdown table of warm-cache medians.
#
#   bench/ctxhash/run.sh [RUNS]        (default RUNS=5, after one warm-up)
#
# Environment: BAZEL_STARTUP_FLAGS (e.g. --output_base=...), BENCH_DIR
# (where the ~2.2 GB of trees go; default a fresh directory under /tmp).
set -euo pipefail

RUNS="${1:-5}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "${HERE}/../.." && pwd)"
cd "${REPO}"

# shellcheck disable=SC2086
./bazelw ${BAZEL_STARTUP_FLAGS:-} build -c opt --experimental_convenience_symlinks=ignore \
  //tools/ctxhash //bench/ctxhash:sha256_throughput >&2
# shellcheck disable=SC2086
BIN="$(./bazelw ${BAZEL_STARTUP_FLAGS:-} info -c opt bazel-bin 2>/dev/null)"
CTXHASH="${BIN}/tools/ctxhash/ctxhash"
THROUGHPUT="${BIN}/bench/ctxhash/sha256_throughput"
REFERENCE="${HERE}/ctxhash_reference.py"

WORK="${BENCH_DIR:-$(mktemp -d /tmp/ctxhash-bench.XXXXXX)}"
cleanup() { [[ -n "${BENCH_DIR:-}" ]] || rm -rf "${WORK}"; }
trap cleanup EXIT

for kind in big small mixed; do
  [[ -f "${WORK}/${kind}/Dockerfile" ]] || python3 "${HERE}/make_tree.py" "${WORK}/${kind}" "${kind}"
done
sync  # no writeback of the fresh trees during the timed runs

# The contenders; each prints one hash.
run_ctxhash() { "${CTXHASH}" --root="${WORK}" --context="$1" "${@:2}"; }
run_pipeline() {
  (cd "${WORK}/$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
    sha256sum | cut -d' ' -f1)
}
run_python() { python3 "${REFERENCE}" --root="${WORK}" --context="$1"; }

# measure CMD...: one warm-up run, then RUNS timed runs; prints the median
# wall-clock seconds and the median CPU seconds (user + system, children
# included), which other load on the machine disturbs less.
measure() {
  "$@" >/dev/null
  local walls=() cpus=() i line
  local TIMEFORMAT='%R %U %S'
  for ((i = 0; i < RUNS; i++)); do
    line="$({ time "$@" >/dev/null; } 2>&1)"
    walls+=("$(echo "${line}" | awk '{print $1}')")
    cpus+=("$(echo "${line}" | awk '{print $2 + $3}')")
  done
  printf '%s %s\n' "$(median "${walls[@]}")" "$(median "${cpus[@]}")"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

mib_of() { du -sb --apparent-size "${WORK}/$1" | awk '{printf "%.1f", $1 / 1048576}'; }

# Agreement: ctxhash and the Python reference give the same context hash;
# the pipeline's hash equals ctxhash's manifest rewritten in sha256sum's
# format (the pipeline has no modes, so that is all the spec allows).
for kind in big small mixed; do
  manifest="${WORK}/${kind}.manifest"
  ours="$("${CTXHASH}" --root="${WORK}" --context="${kind}" --manifest="${manifest}")"
  theirs="$(run_python "${kind}")"
  [[ "${ours}" == "${theirs}" ]] || { echo "MISMATCH ${kind}: ctxhash ${ours} python ${theirs}" >&2; exit 1; }
  as_pipeline="$(awk '{print $1 "  ./" $3}' "${manifest}" | sha256sum | cut -d' ' -f1)"
  [[ "${as_pipeline}" == "$(run_pipeline "${kind}")" ]] ||
    { echo "MISMATCH ${kind}: pipeline disagrees with the manifest" >&2; exit 1; }
  echo "agree on ${kind}: ${ours}" >&2
done

read -r one_core one_core_wall < <("${THROUGHPUT}" 256 5)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "BoringSSL sha256 in memory, one core (256 MiB buffer, 1 MiB updates): ${one_core} MiB/s per CPU second (${one_core_wall} MiB/s wall)"
echo
echo "Warm page cache (one warm-up run, then the median of ${RUNS}); wall seconds, CPU seconds (user+system) in parentheses."
echo
echo "| tree | MiB | ctxhash (all cores) | ctxhash --jobs=1 | (i) find\\|sort\\|xargs sha256sum | (ii) Python hashlib | ctxhash vs (i) | ctxhash vs (ii) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
declare -A fast cpu
for kind in big small mixed; do
  size="$(mib_of "${kind}")"
  read -r w_all c_all < <(measure run_ctxhash "${kind}")
  read -r w_one c_one < <(measure run_ctxhash "${kind}" --jobs=1)
  read -r w_pipe c_pipe < <(measure run_pipeline "${kind}")
  read -r w_py c_py < <(measure run_python "${kind}")
  fast[${kind}]="${w_all}"
  cpu[${kind}]="${c_all}"
  printf '| %s | %s | %s s (%s) | %s s (%s) | %s s (%s) | %s s (%s) | %.1fx | %.1fx |\n' "${kind}" "${size}" \
    "${w_all}" "${c_all}" "${w_one}" "${c_one}" "${w_pipe}" "${c_pipe}" "${w_py}" "${c_py}" \
    "$(calc "${w_pipe} / ${w_all}")" "$(calc "${w_py} / ${w_all}")"
done
echo
big_mib="$(mib_of big)"
mixed_mib="$(mib_of mixed)"
big_rate="$(calc "${big_mib} / ${fast[big]}")"
big_cpu_rate="$(calc "${big_mib} / ${cpu[big]}")"
mixed_rate="$(calc "${mixed_mib} / ${fast[mixed]}")"
printf 'big: ctxhash %.0f MiB/s wall = %.0f%% of one core in memory; %.0f MiB/s per CPU second = %.0f%% (target >= 80%%)\n' \
  "${big_rate}" "$(calc "100 * ${big_rate} / ${one_core}")" \
  "${big_cpu_rate}" "$(calc "100 * ${big_cpu_rate} / ${one_core}")"
printf 'mixed: ctxhash %.0f MiB/s wall with %s cores = %.2fx one core in memory (target >= 1.6x)\n' \
  "${mixed_rate}" "$(nproc)" "$(calc "${mixed_rate} / ${one_core}")"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
