#!/usr/bin/env bash
# Times `inspect` (parse, expand every reference, print the JSON) on
# Dockerfiles of 20,000 stages, against BuildKit's 0.4 s for such a file (the
# figure measured with BuildKit's parser when the issue was filed: BuildKit's
# parser cannot be built here, as Debian ships no BuildKit sources and
# nothing else can be downloaded). Prints a Markdown table of medians.
#
#   bench/dockerfile/run.sh [RUNS] [STAGES]   (default 5 runs after one
#                                             warm-up, 20000 stages)
#
# Environment: BAZEL_STARTUP_FLAGS (e.g. --output_base=...).
set -euo pipefail

RUNS="${1:-5}"
STAGES="${2:-20000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "${HERE}/../.." && pwd)"
cd "${REPO}"
# shellcheck source=bench/lib/stats.sh
source "${REPO}/bench/lib/stats.sh"

# shellcheck disable=SC2086
./bazelw ${BAZEL_STARTUP_FLAGS:-} build -c opt --experimental_convenience_symlinks=ignore \
  //tools/dockerfile:inspect >&2
# shellcheck disable=SC2086
INSPECT="$(./bazelw ${BAZEL_STARTUP_FLAGS:-} info -c opt bazel-bin 2>/dev/null)/tools/dockerfile/inspect"

WORK="$(mktemp -d /tmp/dockerfile-bench.XXXXXX)"
trap 'rm -rf "${WORK}"' EXIT

# Each stage copies from the one before it.
awk -v n="${STAGES}" 'BEGIN {
  print "ARG BASE=busybox"
  for (i = 0; i < n; i++) {
    printf "FROM ${BASE} AS s%d\n", i
    if (i > 0) printf "COPY --from=s%d /a /a%d\n", i - 1, i
    printf "RUN echo %d > /a\n", i
  }
}' >"${WORK}/copy-chain"
# Each stage is built on the one before it.
awk -v n="${STAGES}" 'BEGIN {
  print "FROM scratch AS s0"
  for (i = 1; i < n; i++) printf "FROM s%d AS s%d\nENV STEP=%d\n", i - 1, i, i
}' >"${WORK}/from-chain"

echo "| Dockerfile | stages | lines | inspect (median wall) | CPU | BuildKit (issue's figure) | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for file in copy-chain from-chain; do
  times="${WORK}/${file}.times"
  : >"${times}"
  "${INSPECT}" "${WORK}/${file}" >/dev/null  # warm-up, and it must succeed
  for _ in $(seq "${RUNS}"); do
    TIMEFORMAT='%R %U %S'
    { time "${INSPECT}" "${WORK}/${file}" >/dev/null; } 2>"${WORK}/time"
    awk '{ printf "%s %s\n", $1, $2 + $3 }' "${WORK}/time" >>"${times}"
  done
  w="$(wall "${times}")"
  echo "| \`${file}\` | ${STAGES} | $(wc -l <"${WORK}/${file}") | $(fmt "${w}") s | $(fmt "$(cpu "${times}")") s | 0.40 s | $(fmt "$(calc "${w} / 0.4")")x |"
done
