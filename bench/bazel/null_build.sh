#!/usr/bin/env bash
# Null builds of //images/... on a warm Bazel server, printed as the Markdown
# that docs/benchmarks.md records:
#   1. nothing changed: `bazel build //images/...` again;
#   2. a file that .dockerignore drops changed (images/decision/README.md,
#      one line appended): images/BUILD.bazel leaves such files out of the
#      image's srcs, so no action reads it and nothing runs; the execution
#      log of each run counts the ImageBuild spawns (expected 0). The file is
#      restored (byte for byte, mode kept) after every run and on exit.
# Each case is timed RUNS times (default 10); the table gives the median.
#
# Usage: bench/bazel/null_build.sh [RUNS]
# Run from anywhere in the repository. Environment:
#   BAZEL_OUTPUT_BASE  output base for ./bazelw (default: Bazel's own)
# The first build of //images/... builds whatever is not built yet (the
# default image index and disk cache serve what they hold).
set -euo pipefail

RUNS="${1:-10}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"

DROPPED="images/decision/README.md"
grep -qx '\*\.md' images/decision/.dockerignore ||
  { echo "${DROPPED} is no longer dropped by images/decision/.dockerignore; pick another file" >&2; exit 1; }

bazel() {
  if [[ -n "${BAZEL_OUTPUT_BASE:-}" ]]; then
    ./bazelw --output_base="${BAZEL_OUTPUT_BASE}" "$@"
  else
    ./bazelw "$@"
  fi
}

WORK="$(mktemp -d /tmp/null-build-bench.XXXXXX)"
cp -p "${DROPPED}" "${WORK}/saved"
restore() {
  cmp -s "${WORK}/saved" "${DROPPED}" || cp -p "${WORK}/saved" "${DROPPED}"
}
trap 'restore; rm -rf "${WORK}"' EXIT

# shellcheck source=bench/lib/stats.sh
source "${ROOT}/bench/lib/stats.sh"

# timed NAME ARGS...: `bazel build ARGS //images/...`, wall seconds appended
# to NAME.times; the number of actions Bazel executed to NAME.actions.
timed() {
  local name="$1"
  shift
  local start end
  start="$(now)"
  bazel build -j 2 "$@" //images/... >"${WORK}/${name}.out" 2>&1 ||
    { cat "${WORK}/${name}.out" >&2; echo "bazel build //images/... failed" >&2; exit 1; }
  end="$(now)"
  awk -v a="${start}" -v b="${end}" 'BEGIN { print b - a }' >>"${WORK}/${name}.times"
  # Spawns Bazel ran, from "INFO: 3 processes: 1 internal, 2 processwrapper-sandbox.":
  # all but the internal ones (Bazel's own bookkeeping, such as build info).
  grep '^INFO: [0-9]* process' "${WORK}/${name}.out" | tail -n 1 | sed 's/^[^:]*: [^:]*:\{0,1\}//' |
    tr ',' '\n' | awk '$2 != "internal." && $2 != "internal" { n += $1 } END { print n + 0 }' >>"${WORK}/${name}.actions"
}

echo "first build of //images/... (builds what is missing)" >&2
bazel build -j 2 //images/... >&2
bazel build -j 2 //images/... >/dev/null 2>&1  # the server is warm now

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < RUNS; i++)); do
  timed null
done
for ((i = 0; i < RUNS; i++)); do
  echo "appended by bench/bazel/null_build.sh run ${i}" >>"${DROPPED}"
  timed dropped --execution_log_json_file="${WORK}/exec.json"
  jq -r 'select(.mnemonic == "ImageBuild") | .mnemonic' "${WORK}/exec.json" | wc -l >>"${WORK}/dropped.imagebuilds"
  jq -r '.mnemonic' "${WORK}/exec.json" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' >"${WORK}/dropped.spawns"
  restore
  # Back to the checked-in file: the context action runs once more, untimed.
  bazel build -j 2 //images/... >/dev/null 2>&1
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

range() { sort -g "${WORK}/$1" | sed -n '1p;$p' | paste -sd- | sed 's/^\([0-9]*\)-\1$/\1/'; }
targets="$(bazel query '//images/...' 2>/dev/null | wc -l)"
images="$(bazel query 'kind("image_build rule", //images/...)' 2>/dev/null | wc -l)"
cat <<REPORT
Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), bazel $(dpkg-query -W -f '${Version}' bazel-bootstrap);
//images/...: ${targets} targets, ${images} images; median of ${RUNS} runs;
load average ${load_before} before, ${load_after} after.
Command: \`bench/bazel/null_build.sh ${RUNS}\`
Spawns of one run of the second case (execution log): $(grep . "${WORK}/dropped.spawns" || echo none).

| \`bazel build //images/...\`, warm server | median wall s | best wall s | spawns run | ImageBuild runs | target |
| --- | ---: | ---: | ---: | ---: | --- |
| nothing changed | **$(fmt "$(median <"${WORK}/null.times")")** | $(fmt "$(best "${WORK}/null.times")") | $(range null.actions) | 0 | < 1 s |
| \`${DROPPED}\` changed (dropped by .dockerignore) | **$(fmt "$(median <"${WORK}/dropped.times")")** | $(fmt "$(best "${WORK}/dropped.times")") | $(range dropped.actions) | $(range dropped.imagebuilds) | |
REPORT
