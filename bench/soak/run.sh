#!/usr/bin/env bash
# Soak: builds a small image tree with a real, nested Bazel and kills it at
# a random point, ROUNDS times: Ctrl-C of the client, kill -9 of the server,
# of an ImageBuild action's process-wrapper, of imagebuild or of buildah (or
# nothing, to let a build finish and index). Every round changes some inputs
# so that there is always something to build. Then, after one build left to
# finish as a user would run it, it shows what is left behind:
#   - temporary directories of builds (TMPDIR/imagebuild-*),
#   - orphans: imagebuild, buildah or RUN step processes still running,
#   - index entries whose tarball's configuration is not the image ID the
#     entry (and its stored metadata) names, and temporary files in the
#     index's store.
# It exits 1 when any is found.
#
# Usage: bench/soak/run.sh [ROUNDS] [SEED]      (default 50 rounds, seed 1)
# Run as root from anywhere in the repository. The tree is the end-to-end
# fixture (tests/e2e/fixture: busybox images base, mid, leaf, other, and
# faults:slow, whose RUN step sleeps a few seconds). Environment:
#   BAZEL_OUTPUT_BASE  output base for ./bazelw when building the tools
#   KEEP_WORK=1        keep the work directory (logs, index) for inspection
set -euo pipefail

ROUNDS="${1:-50}"
SEED="${2:-1}"
RANDOM="${SEED}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "${ROOT}"

# shellcheck source=bench/lib/outer_bazel.sh
source bench/lib/outer_bazel.sh
outer_bazel build -c opt --experimental_convenience_symlinks=ignore \
  //tools/ctxhash //tools/imagebuild //tools/imagepush //tools/index >&2
BIN="$(outer_bazel info -c opt bazel-bin 2>/dev/null)"
INDEX_CLI="${BIN}/tools/index/index"

# Under /tmp, readable by the unprivileged IDs that RUN steps run as.
WORK="$(mktemp -d /tmp/soak.XXXXXX)"
chmod 755 "${WORK}"
REPO="${WORK}/imagegraph"
WS="${WORK}/ws"
USER_ROOT="${WORK}/bazel_root"
TMP="${WORK}/tmp"
INDEX="${WORK}/index"
LOGS="${WORK}/logs"
mkdir -p "${TMP}" "${LOGS}"
chmod 755 "${TMP}"
# Bazel gives local actions the client's TMPDIR (--action_env cannot set it).
export TMPDIR="${TMP}"

nested_bazel() {
  (cd "${WS}" && bazel --output_user_root="${USER_ROOT}" --nohome_rc "$@")
}
cleanup() {
  nested_bazel shutdown >/dev/null 2>&1 || true
  if [[ -n "${KEEP_WORK:-}" ]]; then
    echo "work directory kept: ${WORK}" >&2
  else
    rm -rf "${WORK}"
  fi
}
trap cleanup EXIT

# shellcheck source=tests/lib/imagegraph_repo.sh
source tests/lib/imagegraph_repo.sh
# shellcheck source=tests/lib/build_processes.sh
source tests/lib/build_processes.sh
make_imagegraph_repo "${REPO}" "${ROOT}" "${BIN}"
mkdir -p "${WS}"
cp -rL tests/e2e/fixture/. "${WS}/"
chmod -R u+w "${WS}"
sed "s|@IMAGEGRAPH@|${REPO}|" "${WS}/WORKSPACE.in" >"${WS}/WORKSPACE"
rm "${WS}/WORKSPACE.in"
mv "${WS}/bazelrc" "${WS}/.bazelrc"
while IFS= read -r build_in; do
  mv "${build_in}" "$(dirname "${build_in}")/BUILD.bazel"
done < <(find "${WS}" -name BUILD.in)

flags=(-j 2 --disk_cache= "--@imagegraph//rules:index=${INDEX}")
targets=(//images:all //faults:slow)
victims=(none client server wrapper imagebuild buildah)

# first_pid PIDS...: the first of the process IDs given, or nothing.
first_pid() { echo "${1:-}"; }
# This soak's processes only (tests/lib/build_processes.sh).
BUILD_SCOPE="${USER_ROOT} ${TMP}"
# Any image's build: its imagebuild (or process-wrapper) and buildah.
any_build_pid() { first_pid $(pid_named "[a-z]*" "$1"); }
any_buildah_pid() { first_pid $(buildah_pids "[a-z]*"); }

printf '| round | victim | after | hit | build exit |\n| --- | --- | --- | --- | --- |\n' >"${LOGS}/rounds.md"
hits=0
for ((round = 1; round <= ROUNDS; round++)); do
  # New inputs: leaf and slow every round, mid every third, base every tenth.
  echo "leaf round ${round}" >"${WS}/images/leaf/leaf.txt"
  echo "round-${round} $((2 + RANDOM % 4))" >"${WS}/faults/slow/round.txt"
  ((round % 3 == 0)) && echo "mid round ${round}" >"${WS}/images/mid/mid.txt"
  ((round % 10 == 0)) && sed -i "s/base layer[^\"]*\"/base layer ${round}\"/" "${WS}/images/base/Dockerfile"
  victim="${victims[RANDOM % ${#victims[@]}]}"
  delay_tenths=$((RANDOM % 120))
  server_pid=""
  [[ "${victim}" == server ]] && server_pid="$(nested_bazel info server_pid 2>/dev/null)"
  log="${LOGS}/round-${round}.log"
  (cd "${WS}" && exec bazel --output_user_root="${USER_ROOT}" --nohome_rc build \
    "${flags[@]}" "${targets[@]}") >"${log}" 2>&1 &
  client=$!
  sleep "$((delay_tenths / 10)).$((delay_tenths % 10))"
  target_pid=""
  case "${victim}" in
    client) kill -0 "${client}" 2>/dev/null && target_pid="${client}" ;;
    server) target_pid="${server_pid}" ;;
    wrapper) target_pid="$(any_build_pid process-wrapper)" ;;
    imagebuild) target_pid="$(any_build_pid imagebuild)" ;;
    buildah) target_pid="$(any_buildah_pid)" ;;
  esac
  hit=no
  if [[ -n "${target_pid}" ]]; then
    if [[ "${victim}" == client ]]; then
      kill -INT "${target_pid}" 2>/dev/null && hit=yes
    else
      kill -KILL "${target_pid}" 2>/dev/null && hit=yes
    fi
  fi
  [[ "${hit}" == yes ]] && hits=$((hits + 1))
  # A build that hangs is a finding too: Ctrl-C it after 5 minutes.
  for ((waited = 0; waited < 3000; waited++)); do
    kill -0 "${client}" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "${client}" 2>/dev/null; then
    echo "round ${round}: the build hung; interrupting it" >&2
    kill -INT "${client}" 2>/dev/null || true
  fi
  status=0
  wait "${client}" 2>/dev/null || status=$?
  printf '| %d | %s | %d.%d s | %s | %d |\n' "${round}" "${victim}" "$((delay_tenths / 10))" \
    "$((delay_tenths % 10))" "${hit}" "${status}" >>"${LOGS}/rounds.md"
  echo "round ${round}/${ROUNDS}: ${victim} after $((delay_tenths / 10)).$((delay_tenths % 10)) s, hit ${hit}, build exit ${status}" >&2
done

# The user runs the build once more; it must succeed.
final=0
nested_bazel build "${flags[@]}" "${targets[@]}" >"${LOGS}/final.log" 2>&1 || final=$?
# Longer than any RUN step: an orphan would have finished by now.
sleep 15

findings=0
temp_dirs="$(find "${TMP}" -mindepth 1 -maxdepth 1 -name 'imagebuild-*' | sort)"
orphans="$(
  {
    build_pids "[a-z]*"
    buildah_pids "[a-z]*"
    pids_matching fault-step-slow
  } | sort -u
)"
index_temps="$(find "${INDEX}" -name '.*.tmp.*' 2>/dev/null | sort)"

entries=0
mismatches=0
while IFS= read -r ns; do
  [[ -n "${ns}" ]] || continue
  entries=$((entries + 1))
  if ! "${INDEX_CLI}" --index="${INDEX}" fetch "${ns}" "${WORK}/check.tar.zst" >"${WORK}/entry.json" 2>"${WORK}/fetch.err"; then
    echo "entry ${ns} does not fetch: $(cat "${WORK}/fetch.err")" >&2
    mismatches=$((mismatches + 1))
    continue
  fi
  config="$(zstd -dc "${WORK}/check.tar.zst" | tar -xOf - manifest.json | jq -r '.[0].Config')"
  image_id="$(jq -r .image_id "${WORK}/entry.json")"
  metadata_id="$(jq -r '.metadata_json | fromjson | .image_id' "${WORK}/entry.json")"
  if [[ "sha256:${config%.json}" != "${image_id}" || "${metadata_id}" != "${image_id}" ]]; then
    echo "entry ${ns}: tarball configuration sha256:${config%.json}, entry ${image_id}, metadata ${metadata_id}" >&2
    mismatches=$((mismatches + 1))
  fi
done < <("${INDEX_CLI}" --index="${INDEX}" list docker. 2>/dev/null)

echo
echo "soak: ${ROUNDS} rounds (seed ${SEED}), ${hits} kills landed; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
cat "${LOGS}/rounds.md"
echo
echo "| check | found |"
echo "| --- | --- |"
echo "| the last build (no fault) | exit ${final} |"
echo "| temporary directories of builds | ${temp_dirs:-none} |"
echo "| orphan processes (imagebuild, buildah, RUN steps) | ${orphans:-none} |"
echo "| index entries whose tarball is not the entry's image | ${mismatches} of ${entries} |"
echo "| temporary files in the index | ${index_temps:-none} |"
[[ "${final}" == 0 ]] || findings=$((findings + 1))
[[ -z "${temp_dirs}" ]] || findings=$((findings + 1))
[[ -z "${orphans}" ]] || findings=$((findings + 1))
[[ "${mismatches}" == 0 ]] || findings=$((findings + 1))
[[ -z "${index_temps}" ]] || findings=$((findings + 1))
((entries > 0)) || { echo "soak: nothing was indexed at all" >&2; findings=$((findings + 1)); }
if ((findings > 0)); then
  echo "soak: ${findings} kinds of leftovers found (logs in ${LOGS})" >&2
  KEEP_WORK=1
  exit 1
fi
echo "soak: nothing left behind"
