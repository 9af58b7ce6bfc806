#!/usr/bin/env bash
# Benchmark of the layer store on the whole images/ tree, built by Bazel with
# the index and every cache off, so that each ImageBuild action runs:
#   nostore      --//rules:layer_store=off (each build imports its parents
#                into a fresh storage)
#   empty        an empty store (each distinct parent is imported once)
#   warm         the same store, named through a symbolic link so that the
#                actions run again: nothing is imported
#   edited       images/base-build/Dockerfile edited (a RUN step added),
#                then the tree built again with the same warm store, as a
#                user would: base-build and everything FROM it rebuild, the
#                new base-build is imported once
# For each: the wall time of `bazel build`, the number of ImageBuild actions,
# the parents imported into the store, and the sum of the actions' own build
# times (their "built ... in Ns" lines). The image IDs of nostore, empty and
# warm must agree (index-task runs apt-get against the live mirror and may
# differ between any two builds).
#
# Usage: bench/imagebuild/tree.sh     (run as root from the repository root)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"
WORK="$(mktemp -d /tmp/ls-tree.XXXXXX)"
chmod 755 "${WORK}"
dockerfile=images/base-build/Dockerfile
cp "${dockerfile}" "${WORK}/Dockerfile.orig"
trap 'cp "${WORK}/Dockerfile.orig" "${ROOT}/${dockerfile}"; rm -rf "${WORK}"' EXIT
mkdir "${WORK}/empty"
chmod 755 "${WORK}/empty"
ln -s "${WORK}/empty" "${WORK}/warm"

# build LABEL STORE: builds //images/... with the layer store STORE.
build() {
  local label="$1" store="$2" start end
  start="$(date +%s.%N)"
  ./bazelw build --disk_cache= --remote_cache= --//rules:index=off \
    --//rules:layer_store="${store}" //images/... 2>"${WORK}/${label}.log" || {
    tail -n 40 "${WORK}/${label}.log" >&2
    exit 1
  }
  end="$(date +%s.%N)"
  local actions imported sum
  actions="$(grep -c 'imagebuild: [^:]*: built sha256' "${WORK}/${label}.log" || true)"
  imported="$(grep -c 'importing image' "${WORK}/${label}.log" || true)"
  sum="$(grep -o 'built sha256:[0-9a-f]* in [0-9.]*s' "${WORK}/${label}.log" |
    awk '{ s += substr($4, 1, length($4) - 1) } END { printf "%.0f", s }')"
  for f in bazel-bin/images/*.image.json; do
    echo "$(basename "${f}" .image.json) $(jq -r .image_id "${f}")"
  done >"${WORK}/${label}.ids"
  printf '| %s | %.0f | %s | %s | %s |\n' "${label}" "$(echo "${end} - ${start}" | bc)" \
    "${actions}" "${imported}" "${sum}" >>"${WORK}/rows"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
build nostore off
build empty "${WORK}/empty"
build warm "${WORK}/warm"
printf '\n# An edit of the base (bench/imagebuild/tree.sh)\nRUN echo edited >/etc/imagegraph-edit\n' >>"${dockerfile}"
build edited "${WORK}/empty"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cat <<REPORT
Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average
${load_before} before, ${load_after} after.
Command: \`bench/imagebuild/tree.sh\`

| \`//images/...\` | wall s | ImageBuild actions | parents imported | sum of the actions' build times s |
| --- | ---: | ---: | ---: | ---: |
$(cat "${WORK}/rows")

Image IDs that differ between nostore and empty: $(diff "${WORK}/nostore.ids" "${WORK}/empty.ids" | grep -c '^>' || true) ($(diff "${WORK}/nostore.ids" "${WORK}/empty.ids" | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' '));
between empty and warm: $(diff "${WORK}/empty.ids" "${WORK}/warm.ids" | grep -c '^>' || true) ($(diff "${WORK}/empty.ids" "${WORK}/warm.ids" | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')).
REPORT
