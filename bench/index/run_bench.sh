#!/usr/bin/env bash
# Decision benchmark: looks 1,000 images up in a local index of 100,000
# entries, and compares with smaller indexes, levels, and one CLI process per
# image.
#
#   bazel run -c opt //bench/index:run_bench
set -euo pipefail

populate="$(realpath "$1")"
decision="$(realpath "$2")"
index_cli="$(realpath "$3")"
work="$(mktemp -d "${TMPDIR:-/tmp}/index-bench.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

# Seconds between two `date +%s%N` stamps, with milliseconds.
seconds_between() {
  local ms=$((($2 - $1) / 1000000))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# "WALL CPU": the medians over 5 runs of the command's wall time and CPU
# time (user + system), in seconds. The machine is shared, so CPU time is the
# steadier number.
median_seconds() {
  local walls=() cpus=() line
  local TIMEFORMAT='%R %U %S'
  for _ in 1 2 3 4 5; do
    line="$({ time "$@" >/dev/null 2>&1; } 2>&1)"
    read -r wall user sys <<<"${line}"
    walls+=("${wall}")
    cpus+=("$(awk -v u="${user}" -v s="${sys}" 'BEGIN { printf "%.3f", u + s }')")
  done
  echo "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p) $(printf '%s\n' "${cpus[@]}" | sort -n | sed -n 3p)"
}

echo "machine: $(nproc) cores, $(uname -sr)"
printf '%-48s %8s %8s\n' "case" "wall s" "cpu s"
for entries in 10000 100000; do
  dir="${work}/index-${entries}"
  "${populate}" --index="${dir}" --graph_out="${work}/graph.json" \
    --images=1000 --entries="${entries}" 2>/dev/null
  # Lookups are measured, not the write-back of the entries just written.
  sync
  for level in 3 1; do
    read -r wall cpu < <(median_seconds "${decision}" --graph="${work}/graph.json" \
      --index="${dir}" --level="${level}" --json_out="${work}/plan.json")
    printf '%-48s %8s %8s\n' "decision, 1000 images, ${entries} entries, level ${level}" "${wall}" "${cpu}"
  done
done
summary="$("${decision}" --graph="${work}/graph.json" --index="${work}/index-100000" --level=1 | tail -1)"
echo "plan: ${summary}"

# The same lookups as one `index lookup` process per image.
lookups() {
  local i
  for ((i = 0; i < 1000; i++)); do
    "${index_cli}" --index="${work}/index-100000" --level=1 lookup \
      --name="image-${i}" \
      --context_hash="$(printf 'current %s' "${i}" | sha256sum | cut -c1-64)" \
      >/dev/null 2>&1 || true
  done
}
start="$(date +%s%N)"
lookups
end="$(date +%s%N)"
printf '%-48s %8s %8s\n' "1000 x index lookup (one process each), level 1" \
  "$(seconds_between "${start}" "${end}")" "-"
