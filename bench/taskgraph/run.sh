#!/usr/bin/env bash
# Benchmarks imagegen and graph on a tree in the shape of a browser's
# taskgraph docker-image kind (bench/taskgraph/gen_tree.py: 68 tasks over 44
# folders), next to `bazel query` answering the same question.
#
#   bench/taskgraph/run.sh [RUNS]        (default 10 runs per row)
#
# Writes the tree and a workspace around it (the rules and the tools built
# -c opt as @imagegraph by //dist:repository, the generated BUILD files), and
# times, as the median of RUNS runs (wall and CPU seconds):
#   - imagegen --mode=check (scan, resolve, render, compare);
#   - graph --format=text and --format=json: every context hash from the files;
#   - graph --affected-by for a run-task file and for one image's folder;
#   - bazel query for the images that depend on that run-task file, with a
#     warm server (the same answer as the first --affected-by row).
# Prints a Markdown table.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-10}"
source "${repo}/bench/lib/stats.sh"
cd "${repo}"

work="$(mktemp -d /tmp/imagegraph-taskgraph-bench.XXXXXX)"
trap 'rm -rf "${work}"' EXIT
ws="${work}/ws"
python3 bench/taskgraph/gen_tree.py --out "${ws}" >&2
# The tools -c opt, as docs/own-repository.md makes them.
./bazelw run -c opt //dist:repository -- "${work}/imagegraph" 2>/dev/null
bin="${work}/imagegraph/tools"
cat >"${ws}/WORKSPACE" <<WORKSPACE
workspace(name = "bench")

local_repository(
    name = "imagegraph",
    path = "${work}/imagegraph",
)

local_repository(
    name = "bazel_skylib",
    path = "/usr/share/bazel/tools/skylib",
)
WORKSPACE
imagegen=("${bin}/imagegen/imagegen.bin" --workspace="${ws}" --images=taskcluster/docker
  --defs_bzl=@imagegraph//rules:defs.bzl)
"${imagegen[@]}" 2>/dev/null
# bazel query loads the external bases' repositories, which image_pull would
# fetch from a registry that does not exist: empty stand-ins by their names.
mkdir -p "${work}/base"
: >"${work}/base/WORKSPACE"
sed -n 's/^ *name = "\(base_[^"]*\)",$/\1/p' "${ws}/taskcluster/docker/bases.bzl" |
  while read -r base; do
    cat >>"${ws}/WORKSPACE" <<WORKSPACE

new_local_repository(
    name = "${base}",
    build_file_content = 'filegroup(name = "image", visibility = ["//visibility:public"])',
    path = "${work}/base",
)
WORKSPACE
  done
graph=("${bin}/graph/graph.bin" --workspace="${ws}" --root=taskcluster/docker)

# time_runs FILE CMD...: appends "<wall> <cpu>" of RUNS runs of CMD to FILE.
time_runs() {
  local file="$1"
  shift
  : >"${file}"
  local i start end before after
  for ((i = 0; i < runs; i++)); do
    before="$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)"
    start="$(now)"
    "$@" >/dev/null 2>&1
    end="$(now)"
    after="$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)"
    echo "$(calc "${end} - ${start}") $(calc "(${after} - ${before}) / $(getconf CLK_TCK)")" >>"${file}"
  done
}

row() {
  local what="$1"
  shift
  time_runs "${work}/times" "$@"
  printf '| %s | %.3f | %.3f |\n' "${what}" "$(wall "${work}/times")" "$(cpu "${work}/times")"
}

run_task="third_party/taskgraph/run-task/run-task"
affected="$("${graph[@]}" --affected-by="${run_task}" 2>/dev/null | wc -l)"
nested_bazel() { (cd "${ws}" && bazel --output_user_root="${work}/bazel" --nohome_rc "$@"); }
trap 'nested_bazel shutdown >/dev/null 2>&1 || true; rm -rf "${work}"' EXIT
query="kind(image_build, rdeps(//taskcluster/docker:all, //:${run_task}))"
nested_bazel query "${query}" >/dev/null 2>&1
queried="$(nested_bazel query "${query}" 2>/dev/null | wc -l)"
[[ "${queried}" == "${affected}" ]] ||
  { echo "bazel query names ${queried} images, graph --affected-by ${affected}" >&2; exit 1; }

echo "| what (68 tasks, 44 folders) | wall s | CPU s |"
echo "| --- | --- | --- |"
row "\`imagegen --mode=check\`" "${imagegen[@]}" --mode=check
row "\`graph --format=text\` (68 context hashes)" "${graph[@]}" --format=text
row "\`graph --format=json\` (68 context hashes)" "${graph[@]}" --format=json
row "\`graph --affected-by\` a run-task file: ${affected} images" "${graph[@]}" --affected-by="${run_task}"
row "\`graph --affected-by\` the folder of lint: 1 image" "${graph[@]}" --affected-by=taskcluster/docker/lint
row "\`bazel query\` rdeps of that run-task file (warm server): ${queried} images" nested_bazel query "${query}"
