#!/usr/bin/env bash
# `bazel build` of a 3-layer busybox image vs `buildah build` of the same
# Dockerfile run directly, printed as the Markdown that docs/benchmarks.md
# records.
#
# The Bazel side is a workspace in a temporary directory that uses this
# repository's rules through local_repository, with the tools prebuilt
# (`-c opt`, as Bazel builds tools for the exec configuration), so only the
# image's own actions run: after one warm-up build, every timed run is
# `bazel clean` followed by `bazel build //:img` on the warm server, with
# the image index off and no disk cache. A second Bazel contender edits a
# context file instead of cleaning (analysis stays cached), as a developer's
# rebuild does. The buildah side builds the same folder with the same flags
# imagebuild passes, into a fresh storage that is then removed; a second
# buildah contender also exports the docker-archive and compresses it with
# `zstd -T0 -3`, which is what the Bazel output holds.
#
# Usage: bench/bazel/build_vs_buildah.sh [RUNS]   (default 5; medians)
# Run as root from anywhere in the repository. Environment:
#   BAZEL_OUTPUT_BASE  output base for ./bazelw when building the tools
#                      (default: Bazel's own)
#   SETTLE_SECONDS     idle time before each timed run (default 0), so that
#                      every run meets a rested filesystem: ext4 allocates
#                      inodes slowly for a while after many deletions, and
#                      every contender deletes a whole image storage
# Backquotes in single-quoted report labels are Markdown, not commands.
# shellcheck disable=SC2016
set -euo pipefail

RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"

# shellcheck source=bench/lib/outer_bazel.sh
source bench/lib/outer_bazel.sh

outer_bazel build -c opt --experimental_convenience_symlinks=ignore \
  //tools/ctxhash //tools/imagebuild //tools/imagepush //tools/decision:why >&2
BIN="$(outer_bazel info -c opt bazel-bin 2>/dev/null)"
# An idle Bazel server still collects garbage now and then; on 2 cores that
# shows in the timings.
outer_bazel shutdown 2>/dev/null

WORK="$(mktemp -d /tmp/bazel-bench.XXXXXX)"
REPO="${WORK}/imagegraph"
WS="${WORK}/ws"
USER_ROOT="${WORK}/bazel_root"
cleanup() {
  (cd "${WS}" 2>/dev/null && bazel --output_user_root="${USER_ROOT}" --nohome_rc shutdown) >/dev/null 2>&1 || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

# --- the imagegraph repository: the rules and the prebuilt tools -------------
# shellcheck source=tests/lib/imagegraph_repo.sh
source tests/lib/imagegraph_repo.sh
make_imagegraph_repo "${REPO}" "$(pwd)" "${BIN}"

# --- the workspace with one image ------------------------------------------------
mkdir -p "${WS}/img"
cat >"${WS}/WORKSPACE" <<WORKSPACE
workspace(name = "bench")

local_repository(
    name = "imagegraph",
    path = "${REPO}",
)

local_repository(
    name = "bazel_skylib",
    path = "/usr/share/bazel/tools/skylib",
)
WORKSPACE
cat >"${WS}/.bazelrc" <<'BAZELRC'
build --spawn_strategy=processwrapper-sandbox
build --color=no --curses=no
build --disk_cache=
# Every run really builds: no image is reused from an index.
build --@imagegraph//rules:index=off
BAZELRC
cat >"${WS}/BUILD.bazel" <<'BUILD'
load("@imagegraph//rules:defs.bzl", "docker_image")

docker_image(
    name = "img",
    dockerfile = "img/Dockerfile",
    registry = "REGISTRY",
)
BUILD
echo "bench.invalid" >"${WS}/REGISTRY"
cp /bin/busybox "${WS}/img/busybox"
echo "hello" >"${WS}/img/index.html"
cat >"${WS}/img/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY index.html /srv/index.html
CMD ["/bin/httpd", "-f", "-h", "/srv"]
DOCKERFILE

nested_bazel() {
  (cd "${WS}" && bazel --output_user_root="${USER_ROOT}" --nohome_rc "$@")
}

# --- measuring -------------------------------------------------------------------
# shellcheck source=bench/lib/stats.sh
source "${ROOT}/bench/lib/stats.sh"

# CPU seconds (user + system, reaped children included) of process PID.
cpu_of() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' "/proc/$1/stat"
}

# timed NAME SERVER_PID CMD...: runs CMD and appends "<wall s> <cpu s>" to
# NAME.times. CPU is that of CMD and its children, plus that of the Bazel
# server SERVER_PID (its own work and the actions it ran) if not empty.
timed() {
  local name="$1" server="$2"
  shift 2
  local start end times server_before=0 server_after=0
  [[ -n "${server}" ]] && server_before="$(cpu_of "${server}")"
  local TIMEFORMAT='%U %S'
  start="$(now)"
  times="$({ time "$@" >/dev/null 2>"${WORK}/${name}.err"; } 2>&1)" ||
    { cat "${WORK}/${name}.err" >&2; echo "${name} failed" >&2; exit 1; }
  end="$(now)"
  [[ -n "${server}" ]] && server_after="$(cpu_of "${server}")"
  awk -v a="${start}" -v b="${end}" -v t="${times}" -v s0="${server_before}" -v s1="${server_after}" \
    'BEGIN { split(t, c, " "); print b - a, c[1] + c[2] + s1 - s0 }' >>"${WORK}/${name}.times"
}
# critical_path NAME: appends the critical path of the last build (its
# actions: ImageContext, then ImageBuild) to NAME.critical.
critical_path() {
  sed -n 's/.*Critical Path: \([0-9.]*\)s.*/\1/p' "${WORK}/$1.err" | tail -n 1 >>"${WORK}/$1.critical"
}
critical() { median <"${WORK}/$1.critical"; }

BUILDAH_BUILD=(build --quiet --isolation chroot --format oci --timestamp 0 --identity-label=false
  --pull=never --layers=false -t bench/img:1)

contender_buildah() {
  local storage="${WORK}/storage"
  buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs \
    "${BUILDAH_BUILD[@]}" "${WS}/img"
  rm -rf "${storage}"
}

contender_buildah_export() {
  local storage="${WORK}/storage"
  buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs \
    "${BUILDAH_BUILD[@]}" "${WS}/img"
  buildah --root "${storage}/root" --runroot "${storage}/run" --storage-driver vfs \
    push --quiet bench/img:1 "docker-archive:${WORK}/img.tar:bench/img:1"
  zstd -q -T0 -3 --rm "${WORK}/img.tar" -o "${WORK}/img.tar.zst"
  rm -rf "${storage}" "${WORK}/img.tar.zst"
}

contender_bazel() {
  nested_bazel build -j 2 //:img
}

# Warm-up: starts the server, loads the packages and checks every contender.
nested_bazel build -j 2 //:img >&2
server_pid="$(nested_bazel info server_pid 2>/dev/null)"
contender_buildah >/dev/null
contender_buildah_export >/dev/null

CONTENDERS=(buildah buildah_export bazel bazel_edit)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < RUNS; i++)); do
  for name in "${CONTENDERS[@]}"; do
    if [[ "${name}" == bazel ]]; then
      nested_bazel clean >/dev/null 2>&1  # outside the timing
    fi
    sleep "${SETTLE_SECONDS:-0}"
    if [[ "${name}" == bazel ]]; then
      timed bazel "${server_pid}" contender_bazel
      critical_path bazel
    elif [[ "${name}" == bazel_edit ]]; then
      # A changed context file (same size) instead of a clean: Bazel keeps
      # its analysis and reruns only the context and image actions.
      echo "hello ${i}" >"${WS}/img/index.html"
      timed bazel_edit "${server_pid}" contender_bazel
      critical_path bazel_edit
    else
      timed "${name}" "" "contender_${name}"
    fi
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
# The last Bazel run's spawns: every one of them ran (no cache).
nested_bazel clean
nested_bazel build -j 2 --execution_log_json_file="${WORK}/exec.json" //:img >/dev/null 2>&1
spawns="$(jq -r '.mnemonic' "${WORK}/exec.json" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"

# --- report ------------------------------------------------------------------------
row() {
  local label="$1" times="${WORK}/$2.times"
  echo "| ${label} | $(fmt "$(wall "${times}")") | $(fmt "$(best "${times}")") | $(fmt "$(cpu "${times}")") |"
}
ratio_row() {
  local label="$1" a="${WORK}/$2.times" b="${WORK}/$3.times"
  echo "| ${label} | **$(fmt "$(calc "$(wall "${a}") / $(wall "${b}")")")** | $(fmt "$(calc "$(best "${a}") / $(best "${b}")")") | $(fmt "$(calc "$(cpu "${a}") / $(cpu "${b}")")") |"
}
cat <<REPORT
Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;
bazel $(dpkg-query -W -f '${Version}' bazel-bootstrap), buildah $(buildah --version | awk '{print $3}'), zstd $(zstd --version | grep -o 'v[0-9.]*');
median of ${RUNS} runs; load average ${load_before} before, ${load_after} after.
Command: \`${SETTLE_SECONDS:+SETTLE_SECONDS=${SETTLE_SECONDS} }bench/bazel/build_vs_buildah.sh ${RUNS}\`
Bazel spawns per build: ${spawns}.

| 3-layer busybox image | median wall s | best wall s | CPU s |
| --- | ---: | ---: | ---: |
REPORT
row '`buildah build`' buildah
row '`buildah build` + `buildah push docker-archive:` + `zstd -T0 -3`' buildah_export
row '`bazel build //:img` after `bazel clean` (warm server)' bazel
echo "| of which its actions (critical path: ImageContext, then ImageBuild) | $(fmt "$(critical bazel)") | | |"
row '`bazel build //:img` after editing `img/index.html` (warm server)' bazel_edit
echo "| of which its actions (critical path) | $(fmt "$(critical bazel_edit)") | | |"
ratio_row 'bazel / buildah build (target <= 1.3)' bazel buildah
ratio_row 'bazel / buildah build + archive + zstd' bazel buildah_export
ratio_row 'bazel after an edit / buildah build' bazel_edit buildah
ratio_row 'bazel after an edit / buildah build + archive + zstd' bazel_edit buildah_export
