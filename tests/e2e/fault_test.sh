#!/usr/bin/env bash
# Faults at every level of a real, nested Bazel build, each while an image's
# RUN step runs: SIGINT of the Bazel client (Ctrl-C), kill -9 of the Bazel
# server, of the action's process-wrapper, of imagebuild and of buildah.
# After each, nothing is left behind once the dust settles: no imagebuild,
# buildah or RUN step process, no temporary directory (except the one of a
# killed imagebuild, which the next build removes), no output written later
# into bazel-out, nothing indexed. Then the same build runs to the end and
# indexes an entry whose tarball holds the image its entry names.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/e2e/lib.sh"

repo="${TEST_TMPDIR}/imagegraph"
ws="${TEST_TMPDIR}/ws"
root="${TEST_TMPDIR}/bazel_root"
index_dir="${TEST_TMPDIR}/index"
index_cli="${runfiles_root}/tools/index/index"
make_imagegraph_repo "${repo}" "${runfiles_root}" "${runfiles_root}"
make_fixture "${ws}" "${repo}"
# The builds' temporary directories, where unprivileged IDs (RUN steps) may
# enter: not below TEST_TMPDIR, which is under root's private home.
tmp="$(mktemp -d /tmp/fault_test.XXXXXX)"
chmod 755 "${tmp}"

cleanup() {
  (cd "${ws}" && bazel --output_user_root="${root}" --nohome_rc shutdown) >/dev/null 2>&1 || true
  rm -rf "${root}" "${ws}" "${tmp}"
}
trap cleanup EXIT

flags=(--disk_cache= "--@imagegraph//rules:index=${index_dir}")
# Bazel gives local actions the client's TMPDIR (--action_env cannot set it).
export TMPDIR="${tmp}"

# start_build ROUND SECONDS: starts `bazel build //faults:slow` in the
# background, with a RUN step that sleeps SECONDS (ROUND makes the context,
# hence the build, new). Sets client_pid and build_log.
start_build() {
  echo "$1 $2" >"${ws}/faults/slow/round.txt"
  build_log="${TEST_TMPDIR}/$1.log"
  (cd "${ws}" && exec bazel --output_user_root="${root}" --nohome_rc build \
    "${flags[@]}" //faults:slow) >"${build_log}" 2>&1 &
  client_pid=$!
}

# The processes of the build (tests/lib/build_processes.sh): those working
# in the nested Bazel's output root or the builds' TMPDIR.
source "${runfiles_root}/tests/lib/build_processes.sh"
BUILD_SCOPE="${root} ${tmp}"
step_pids() { pids_matching fault-step-slow; }

# wait_for_step: waits (60 s at most) until the RUN step runs; sets
# round_hash to the context hash being built.
wait_for_step() {
  local _
  for _ in $(seq 1 600); do
    if [[ -n "$(step_pids)" ]]; then
      round_hash="$(tr -d '[:space:]' <"${ws}/bazel-bin/faults/slow.context_hash")"
      [[ -n "$(find "${tmp}" -mindepth 1 -maxdepth 1 -name 'imagebuild-slow.*')" ]] ||
        fail "the build's temporary directory is not under the client's TMPDIR ${tmp}"
      return 0
    fi
    sleep 0.1
  done
  cat "${build_log}" >&2
  fail "the RUN step did not start within 60 s"
}

# expect_settled WHAT: within 20 s no process of the build is left; then,
# after the step would have ended, no output appeared and nothing was
# indexed.
expect_settled() {
  local what="$1" _
  for _ in $(seq 1 200); do
    [[ -z "$(build_pids slow)$(buildah_pids slow)$(step_pids)" ]] && break
    sleep 0.1
  done
  local left
  left="$(build_pids slow) $(buildah_pids slow) $(step_pids)"
  [[ -z "${left// /}" ]] ||
    fail "${what}: processes left: $(ps -o pid,ppid,args -p "$(tr -s ' ' ',' <<<"${left# }" | sed 's/,$//')")"
  sleep 10  # longer than the step: an orphan would have finished by now
  [[ -z "$(build_pids slow)$(buildah_pids slow)$(step_pids)" ]] || fail "${what}: processes came back"
  local late
  late="$(find "${root}" \( -path '*/bin/faults/slow.tar.zst' -o -path '*/bin/faults/slow.image.json' \) \
    -newer "${kill_mark}" 2>/dev/null || true)"
  [[ -z "${late}" ]] || fail "${what}: outputs were written after the kill: ${late}"
  run "${index_cli}" --index="${index_dir}" find "docker.images.v2.level-1.slow.hash.${round_hash}"
  expect_rc 3 "${what}: the index has no entry of the killed build (${out})"
}

# expect_no_temp WHAT: no temporary directory of a build is left.
expect_no_temp() {
  local left
  left="$(find "${tmp}" -mindepth 1 -maxdepth 1 -name 'imagebuild-*' 2>/dev/null)"
  [[ -z "${left}" ]] ||
    fail "$1: temporary directories left: ${left} ($(ls -A ${left} | paste -sd' ')); the build's log:
$(cat "${build_log}")"
}

# finish_build ROUND: the build of ROUND runs to the end, indexes the image,
# and its entry's tarball holds the image the entry names.
finish_build() {
  local round="$1"
  echo "${round} 1" >"${ws}/faults/slow/round.txt"
  (cd "${ws}" && bazel --output_user_root="${root}" --nohome_rc build \
    "${flags[@]}" //faults:slow) >"${TEST_TMPDIR}/${round}.finish.log" 2>&1 ||
    { cat "${TEST_TMPDIR}/${round}.finish.log" >&2; fail "${round}: the build after the fault failed"; }
  local hash ns
  hash="$(tr -d '[:space:]' <"${ws}/bazel-bin/faults/slow.context_hash")"
  ns="docker.images.v2.level-1.slow.hash.${hash}"
  "${index_cli}" --index="${index_dir}" fetch "${ns}" "${TEST_TMPDIR}/fetched.tar.zst" >"${TEST_TMPDIR}/entry.json" ||
    fail "${round}: the finished build was not indexed as ${ns}"
  local config
  config="$(zstd -dc "${TEST_TMPDIR}/fetched.tar.zst" | tar -xOf - manifest.json | jq -r '.[0].Config')"
  expect_eq "sha256:${config%.json}" "$(jq -r .image_id "${TEST_TMPDIR}/entry.json")" \
    "${round}: the indexed tarball's configuration"
  expect_no_temp "${round}: after the next build"
}

# expect_removed_by_next_build ROUND: the killed build left its temporary
# directory, and the next build removes it, saying so.
expect_removed_by_next_build() {
  local left
  left="$(find "${tmp}" -mindepth 1 -maxdepth 1 -name 'imagebuild-slow.*')"
  [[ -n "${left}" ]] || fail "$1: no temporary directory left in ${tmp} for the next build to remove"
  finish_build "$1-done"
  expect_file_contains "${TEST_TMPDIR}/$1-done.finish.log" \
    "removed ${left}, left behind by a build that was killed"
}

kill_mark="${TEST_TMPDIR}/killed-at"

# 1. Ctrl-C of the Bazel client: Bazel cancels the action with SIGTERM,
# which the process-wrapper passes on (the fixture's .bazelrc sets
# --experimental_process_wrapper_graceful_sigterm, as docs/rules.md advises),
# and imagebuild removes its temporary directory.
start_build client 30
wait_for_step
touch "${kill_mark}"
kill -INT "${client_pid}"
wait "${client_pid}" 2>/dev/null || true
expect_settled client
expect_no_temp client
finish_build client-done
echo "ok: Ctrl-C of the client left nothing behind"

# 2. kill -9 of the Bazel server: the process-wrapper and imagebuild outlive
# it unless imagebuild watches for it.
server_pid="$(cd "${ws}" && bazel --output_user_root="${root}" --nohome_rc info server_pid 2>/dev/null)"
start_build server 30
wait_for_step
touch "${kill_mark}"
kill -KILL "${server_pid}"
wait "${client_pid}" 2>/dev/null || true
expect_settled server
expect_no_temp server
finish_build server-done
echo "ok: kill -9 of the server left nothing behind"

# 3. kill -9 of the action's process-wrapper (imagebuild's parent).
start_build wrapper 30
wait_for_step
imagebuild_pid="$(pid_named slow imagebuild)"
wrapper_pid="$(pid_named slow process-wrapper)"
[[ -n "${wrapper_pid}" ]] || fail "no process-wrapper runs the build: $(ps -o pid,ppid,comm -p "$(build_pids slow | paste -sd,)")"
expect_eq "$(ps -o ppid= -p "${imagebuild_pid}" | tr -d ' ')" "${wrapper_pid}" "imagebuild's parent"
touch "${kill_mark}"
kill -KILL "${wrapper_pid}"
wait "${client_pid}" 2>/dev/null || true
expect_settled wrapper
expect_no_temp wrapper
finish_build wrapper-done
echo "ok: kill -9 of the process-wrapper left nothing behind"

# 4. kill -9 of imagebuild: its temporary directory stays until the next
# build, which removes it.
start_build imagebuild 30
wait_for_step
touch "${kill_mark}"
kill -KILL "$(pid_named slow imagebuild)"
status=0
wait "${client_pid}" 2>/dev/null || status=$?
[[ "${status}" != 0 ]] || fail "imagebuild: the build succeeded although imagebuild was killed"
expect_settled imagebuild
expect_removed_by_next_build imagebuild
echo "ok: kill -9 of imagebuild: the next build removed its temporary directory"

# 5. kill -9 of buildah: the action fails with buildah's end, and leaves
# nothing.
start_build buildah 30
wait_for_step
touch "${kill_mark}"
kill -KILL $(buildah_pids slow)
status=0
wait "${client_pid}" 2>/dev/null || status=$?
[[ "${status}" != 0 ]] || fail "buildah: the build succeeded although buildah was killed"
expect_file_contains "${build_log}" "slow/Dockerfile:4: STEP 4/4: RUN"
expect_settled buildah
expect_no_temp buildah
finish_build buildah-done
echo "ok: kill -9 of buildah failed the action and left nothing behind"
echo "PASS"
