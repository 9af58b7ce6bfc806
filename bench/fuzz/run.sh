#!/usr/bin/env bash
# Fuzzes each fuzz target with clang's libFuzzer (AddressSanitizer and UBSan
# on) for SECONDS, starting from its seed corpus, and prints a Markdown table:
# target, seconds, runs, corpus size, result. A crash stops that target; its
# input is kept under the work directory and named in the table: copy it into
# the target's corpus (testdata/..._corpus/) as a regression input, whose
# corpus test then fails until the bug is fixed.
#
#   bench/fuzz/run.sh SECONDS
#
# Builds with --config=fuzz (clang-14) in an output base of its own
# (~/.cache/imagegraph/fuzz-output-base), so the usual gcc build is left
# alone. Environment: FUZZ_DIR (the work directory; default a fresh one
# under /tmp, kept when a target crashed).
set -euo pipefail

SECONDS_PER_TARGET="${1:?usage: bench/fuzz/run.sh SECONDS}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "${HERE}/../.." && pwd)"
cd "${REPO}"

readonly TARGETS=(
  //tools/dockerfile:dockerfile_fuzzer
  //tools/tree:ignore_matcher_fuzzer
  //tools/imagebuild:docker_archive_fuzzer
)
OUTPUT_BASE="${XDG_CACHE_HOME:-${HOME}/.cache}/imagegraph/fuzz-output-base"
bazel_fuzz() {
  ./bazelw --output_base="${OUTPUT_BASE}" "$@"
}
bazel_fuzz build --config=fuzz --experimental_convenience_symlinks=ignore \
  "${TARGETS[@]}" >&2
BIN="$(bazel_fuzz info --config=fuzz bazel-bin 2>/dev/null)"

WORK="${FUZZ_DIR:-$(mktemp -d /tmp/imagegraph-fuzz.XXXXXX)}"
crashed=0
echo "| target | seconds | runs | corpus | result |"
echo "| --- | ---: | ---: | ---: | --- |"
for target in "${TARGETS[@]}"; do
  package="${target#//}"
  package="${package%%:*}"
  name="${target##*:}"
  seeds="${REPO}/${package}/testdata/${name}_corpus"
  corpus="${WORK}/${name}/corpus"
  crashes="${WORK}/${name}/crashes"
  mkdir -p "${corpus}" "${crashes}"
  log="${WORK}/${name}/log"
  start="$(date +%s)"
  set +e
  # New inputs go to the work corpus; the seeds are only read.
  (cd "${WORK}/${name}" && TEST_TMPDIR="${WORK}/${name}" \
    "${BIN}/${package}/${name}" -max_total_time="${SECONDS_PER_TARGET}" \
    -artifact_prefix="${crashes}/" -print_final_stats=1 \
    "${corpus}" "${seeds}") >"${log}" 2>&1
  status=$?
  set -e
  elapsed=$(($(date +%s) - start))
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)"
  size="$(find "${corpus}" -type f | wc -l)"
  if [[ "${status}" == 0 ]]; then
    result="clean"
  else
    crashed=1
    result="CRASH: $(find "${crashes}" -type f | head -1) (log: ${log})"
  fi
  echo "| \`${name}\` | ${elapsed} | ${runs:-?} | ${size} | ${result} |"
done
if [[ "${crashed}" == 0 && -z "${FUZZ_DIR:-}" ]]; then rm -rf "${WORK}"; fi
exit "${crashed}"
