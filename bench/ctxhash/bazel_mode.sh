#!/usr/bin/env bash
# ctxhash in Bazel mode, in the layout a sandboxed ImageContext action sees
# (every input a link into the execution root, whose top-level folders link
# to the source tree), against the CLI mode on the same tree, on the `small`
# tree of make_tree.py (100,000 files of 4 KiB): what checking where every
# listed file really is costs. Prints a Markdown table of medians.
#
#   bench/ctxhash/bazel_mode.sh [RUNS] [CTXHASH...]
#
# RUNS (default 5, after one warm-up) per binary; each CTXHASH given (for
# example an older build kept for comparison) is timed in Bazel mode beside
# the checkout's `-c opt` one. Environment: BAZEL_STARTUP_FLAGS, BENCH_DIR
# (where the tree and the links go; default a fresh directory under /tmp).
set -euo pipefail

RUNS="${1:-5}"
shift || true
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "${HERE}/../.."
# shellcheck disable=SC2086
./bazelw ${BAZEL_STARTUP_FLAGS:-} build -c opt --experimental_convenience_symlinks=ignore //tools/ctxhash >&2
# shellcheck disable=SC2086
CTXHASH="$(./bazelw ${BAZEL_STARTUP_FLAGS:-} info -c opt bazel-bin 2>/dev/null)/tools/ctxhash/ctxhash"
# shellcheck source=bench/lib/stats.sh
source bench/lib/stats.sh

WORK="${BENCH_DIR:-$(mktemp -d /tmp/ctxhash-bazel-mode.XXXXXX)}"
cleanup() { [[ -n "${BENCH_DIR:-}" ]] || rm -rf "${WORK}"; }
trap cleanup EXIT
[[ -f "${WORK}/repo/images/app/Dockerfile" ]] ||
  python3 "${HERE}/make_tree.py" "${WORK}/repo/images/app" small
if [[ ! -e "${WORK}/sandbox/bazel-out/list" ]]; then
  python3 - "${WORK}" <<'PY'
import os, sys
work = sys.argv[1]
repo, execroot, sandbox = (os.path.join(work, d) for d in ("repo", "execroot", "sandbox"))
os.makedirs(os.path.join(execroot, "bazel-out"), exist_ok=True)
os.symlink(os.path.join(repo, "images"), os.path.join(execroot, "images"))
paths = []
for top, _, files in os.walk(os.path.join(repo, "images")):
    for name in files:
        paths.append(os.path.relpath(os.path.join(top, name), repo))
paths.sort()
with open(os.path.join(execroot, "bazel-out", "list"), "w") as f:
    f.write("".join(p + "\n" for p in paths))
for p in paths + ["bazel-out/list"]:
    os.makedirs(os.path.dirname(os.path.join(sandbox, p)), exist_ok=True)
    os.symlink(os.path.join(execroot, p), os.path.join(sandbox, p))
PY
fi
sync

# time_runs CMD...: one warm-up, then RUNS runs; prints "<wall s> <cpu s>"
# medians.
time_runs() {
  "$@" >/dev/null
  local times="${WORK}/times" i line
  : >"${times}"
  local TIMEFORMAT='%R %U %S'
  for ((i = 0; i < RUNS; i++)); do
    line="$({ time "$@" >/dev/null; } 2>&1)"
    awk '{print $1, $2 + $3}' <<<"${line}" >>"${times}"
  done
  echo "$(wall "${times}") $(cpu "${times}")"
}
bazel_mode() { (cd "${WORK}/sandbox" && "$1" --root=. --context=images/app --file_list=bazel-out/list); }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo
echo "| ctxhash | mode | wall (median) | CPU s (median) |"
echo "| --- | --- | --- | --- |"
read -r wall_s cpu_s < <(time_runs "${CTXHASH}" --root="${WORK}/repo" --context=images/app)
echo "| this checkout | CLI (walks the tree, checks each link) | ${wall_s} s | ${cpu_s} |"
read -r wall_s cpu_s < <(time_runs bazel_mode "${CTXHASH}")
echo "| this checkout | Bazel (links, each file's real place checked) | ${wall_s} s | ${cpu_s} |"
for other in "$@"; do
  read -r wall_s cpu_s < <(time_runs bazel_mode "${other}")
  echo "| ${other} | Bazel | ${wall_s} s | ${cpu_s} |"
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
