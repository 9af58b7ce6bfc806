#!/usr/bin/env bash
# Every bad input gives exit 1, a message that names the problem and the fix,
# no output file, and no temporary directory left behind.
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

out="${WORK}/out"
mkdir -p "${out}"

# expect_failure CASE EXPECTED_TEXT... -- IMAGEBUILD_ARGS...
# Builds image CASE from ${WORK}/CASE (made by the caller).
expect_failure() {
  local name="$1"
  shift
  local expected=()
  while [[ "$1" != "--" ]]; do
    expected+=("$1")
    shift
  done
  shift
  make_context_tar "${WORK}/${name}" "${WORK}/${name}.tar"
  local status=0
  run_imagebuild --name="${name}" --context_tar="${WORK}/${name}.tar" \
    --context_hash_file="${WORK}/${name}.hash" --registry=registry.test \
    --output="${out}/${name}.tar.zst" --metadata="${out}/${name}.image.json" \
    "$@" || status=$?
  [[ "${status}" == 1 ]] || fail "${name}: exit ${status}, expected 1; stderr: $(cat "${WORK}/stderr")"
  local text
  for text in "${expected[@]}"; do
    expect_file_contains "${WORK}/stderr" "${text}"
  done
  [[ -z "$(ls -A "${out}")" ]] || fail "${name}: output left behind: $(ls -A "${out}")"
  expect_no_temp_left
  echo "ok: ${name}"
}

# A syntax error, reported by the parser with file:line.
make_busybox_context "${WORK}/syntax" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
FROM scratch AS
DOCKERFILE
expect_failure syntax "syntax/Dockerfile:3: FROM takes an image and optionally AS <stage name>" --

# An unknown instruction (here: a lost line continuation).
make_busybox_context "${WORK}/unknown" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo one &&
    echo two
DOCKERFILE
expect_failure unknown 'unknown/Dockerfile:5: unknown instruction "echo"' \
  "a previous line may lack its trailing" --

# A reference the map lacks: nothing is resolved by guessing.
make_busybox_context "${WORK}/unpinned" <<'DOCKERFILE'
FROM debian:bookworm
RUN true
DOCKERFILE
expect_failure unpinned "unpinned/Dockerfile:1: FROM debian:bookworm is not among the image's references" \
  "the BUILD file is stale: regenerate it" --

# An in-tree reference whose image is not among the parents given.
make_busybox_context "${WORK}/orphan" <<'DOCKERFILE'
FROM registry.test/bb:1.0
RUN true
DOCKERFILE
expect_failure orphan "orphan/Dockerfile: the image's references name the in-tree image bb, but no --parent archive of it was given" \
  -- --reference=registry.test/bb:1.0=:bb
# A parent the references do not name.
expect_failure orphan "--parent=other=${WORK}/bb.tar.zst: orphan/Dockerfile never names this image" \
  -- --reference=registry.test/bb:1.0=:bb --parent=bb="${WORK}/bb.tar.zst" --parent=other="${WORK}/bb.tar.zst" \
  --parent_metadata=bb="${WORK}/bb.image.json" --parent_metadata=other="${WORK}/bb.image.json"

# A pinned external FROM without its archive.
digest="sha256:$(printf base | sha256sum | cut -c1-64)"
make_busybox_context "${WORK}/nobase" <<DOCKERFILE
FROM mirror.test/busybox@${digest}
DOCKERFILE
# shellcheck disable=SC2016
expect_failure nobase "nobase/Dockerfile:1: FROM mirror.test/busybox@${digest} is an external base" \
  '`bases` attribute' -- --reference="mirror.test/busybox@${digest}=mirror.test/busybox@${digest}"

# A failing RUN: the step, its line and the last 20 lines of its output.
make_busybox_context "${WORK}/failing" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN for i in $(seq 1 40); do echo "output line $i"; done; echo "the real reason" >&2; exit 3
DOCKERFILE
expect_failure failing "failing/Dockerfile:4: STEP 4/4: RUN for i in" "failed (exit status 3); last lines of its output:" "output line 40" "output line 22" "the real reason" --
if grep -q "output line 20$" "${WORK}/stderr"; then
  fail "failing: more than the last 20 lines of output shown"
fi

# buildah missing: an explicit path, and PATH without it.
make_busybox_context "${WORK}/nobuildah" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
DOCKERFILE
expect_failure nobuildah "buildah is not installed" "apt-get install buildah" "./bazelw" \
  "/nonexistent/buildah" -- --buildah=/nonexistent/buildah
mkdir -p "${WORK}/emptybin"
IMAGEBUILD_PATH="${WORK}/emptybin" expect_failure nobuildah "buildah is not installed" \
  "not found in PATH" "apt-get install buildah" --

# REGISTRY and VERSION files (as the image rule passes them) that do not hold
# exactly one line: the message names the file and line and what belongs there.
make_busybox_context "${WORK}/settings" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
DOCKERFILE
printf '\n' >"${WORK}/REGISTRY.empty"
expect_failure settings "${WORK}/REGISTRY.empty:1: the first line is empty; it must hold the registry, e.g. localhost:5000/imagegraph" \
  -- --registry_file="${WORK}/REGISTRY.empty"
printf '1.0\n1.1\n' >"${WORK}/VERSION.two"
expect_failure settings "${WORK}/VERSION.two:2: unexpected second line; the file must hold one line only: the version tag" \
  -- --version_file="${WORK}/VERSION.two"
expect_failure settings "${WORK}/VERSION.none: cannot open: No such file or directory" \
  -- --version_file="${WORK}/VERSION.none"

# A parent archive that is not an image.
head -c 1000 /dev/urandom >"${WORK}/garbage.tar.zst"
make_busybox_context "${WORK}/badparent" <<'DOCKERFILE'
FROM bb
DOCKERFILE
echo '{"image_id": "sha256:0"}' >"${WORK}/unframed.image.json"
expect_failure badparent "parent bb: ${WORK}/garbage.tar.zst is not a loadable docker-archive" \
  -- --parent=bb="${WORK}/garbage.tar.zst" --reference=bb=:bb \
  --parent_metadata=bb="${WORK}/unframed.image.json"
# Metadata that was not written with the parent's tarball.
printf '{"config_frame": {"offset": 0, "size": 10}, "tarball_size": 1000, "tarball_sha256": "%s"}\n' \
  "$(printf '0%.0s' {1..64})" >"${WORK}/other.image.json"
expect_failure badparent "parent bb: ${WORK}/other.image.json does not describe ${WORK}/garbage.tar.zst: the tarball's sha256 is" \
  "give the NAME.image.json that was written with this NAME.tar.zst" \
  -- --parent=bb="${WORK}/garbage.tar.zst" --reference=bb=:bb \
  --parent_metadata=bb="${WORK}/other.image.json"

# A full disk for the output: a 512 KiB tmpfs (the tests run as root).
make_busybox_context "${WORK}/full" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
DOCKERFILE
mkdir -p "${WORK}/small"
mount -t tmpfs -o size=512k tmpfs "${WORK}/small"
trap 'umount "${WORK}/small" 2>/dev/null || true; cleanup_storages' EXIT
make_context_tar "${WORK}/full" "${WORK}/full.tar"
status=0
run_imagebuild --name=full --context_tar="${WORK}/full.tar" \
  --context_hash_file="${WORK}/full.hash" \
  --output="${WORK}/small/full.tar.zst" --metadata="${WORK}/small/full.image.json" ||
  status=$?
[[ "${status}" == 1 ]] || fail "full: exit ${status}: $(cat "${WORK}/stderr")"
expect_file_contains "${WORK}/stderr" "${WORK}/small/full.tar.zst: cannot write: No space left on device"
[[ -z "$(ls -A "${WORK}/small")" ]] || fail "full: left behind: $(ls -A "${WORK}/small")"
expect_no_temp_left
umount "${WORK}/small"
echo "ok: full"

# Cancellation (SIGTERM, as Bazel sends) during a RUN step: exit 1, and the
# temporary storage is removed.
make_busybox_context "${WORK}/cancelled" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo sleeping; sleep 60
DOCKERFILE
make_context_tar "${WORK}/cancelled" "${WORK}/cancelled.tar"
"${IMAGEBUILD}" --name=cancelled --context_tar="${WORK}/cancelled.tar" \
  --context_hash_file="${WORK}/cancelled.hash" \
  --output="${out}/cancelled.tar.zst" --metadata="${out}/cancelled.image.json" \
  2>"${WORK}/stderr" &
pid=$!
for _ in $(seq 1 300); do
  grep -q "STEP 4/4" "${WORK}/stderr" && break
  sleep 0.1
done
sleep 0.5
kill -TERM "${pid}"
status=0
wait "${pid}" || status=$?
[[ "${status}" == 1 ]] || fail "cancelled: exit ${status}: $(cat "${WORK}/stderr")"
expect_file_contains "${WORK}/stderr" "interrupted by signal 15"
[[ -z "$(ls -A "${out}")" ]] || fail "cancelled: output left behind: $(ls -A "${out}")"
expect_no_temp_left
echo "ok: cancelled"

# wait_for_step FILE: waits until the build logging to FILE runs its RUN step.
wait_for_step() {
  local _
  for _ in $(seq 1 300); do
    grep -q "STEP 4/4" "$1" && break
    sleep 0.1
  done
  sleep 0.5
}

# wait_gone PATTERN: waits (10 s at most) until no process matches PATTERN.
wait_gone() {
  local _
  for _ in $(seq 1 100); do
    pgrep -f "$1" >/dev/null || return 0
    sleep 0.1
  done
  fail "still running after 10 s: $(pgrep -af "$1")"
}

# kill -9 of imagebuild during a RUN step: buildah and the step die with it
# (nothing may go on writing); the next build removes the directory it left.
"${IMAGEBUILD}" --name=cancelled --context_tar="${WORK}/cancelled.tar" \
  --context_hash_file="${WORK}/cancelled.hash" \
  --output="${out}/cancelled.tar.zst" --metadata="${out}/cancelled.image.json" \
  2>"${WORK}/stderr" &
pid=$!
wait_for_step "${WORK}/stderr"
kill -KILL "${pid}"
wait "${pid}" 2>/dev/null || true
wait_gone "imagebuild-cancelled\\.${pid}\\."
left="$(ls -d "${TMPDIR}"/imagebuild-cancelled."${pid}".*)" || fail "killed: no directory left to clean"
expect_failure syntax "removed ${left}, left behind by a build that was killed" --
[[ ! -e "${left}" ]] || fail "killed: ${left} is still there"
echo "ok: killed, cleaned by the next build"

# kill -9 of the Bazel server (here: a shell) behind its process wrapper (a
# shell named process-wrapper), and of the process wrapper itself: the build
# stops, writes no output and indexes nothing.
cp "$(command -v bash)" "${WORK}/process-wrapper"
cat >"${WORK}/server.sh" <<'SH'
#!/usr/bin/env bash
# server.sh PIDFILE WRAPPERFILE COMMAND...: runs COMMAND under a process
# wrapper, as the Bazel server does, and records both process IDs.
export PIDFILE="$1"
wrapperfile="$2"
shift 2
"$(dirname "$0")/process-wrapper" -c '"$@" & echo $! >"${PIDFILE}"; wait' process-wrapper "$@" &
echo $! >"${wrapperfile}"
wait
SH
chmod +x "${WORK}/server.sh"
for victim in server wrapper; do
  index="${WORK}/index-${victim}"
  "${WORK}/server.sh" "${WORK}/pid" "${WORK}/wrapper" \
    "${IMAGEBUILD}" --name=cancelled --context_tar="${WORK}/cancelled.tar" \
    --context_hash_file="${WORK}/cancelled.hash" --index="${index}" \
    --output="${out}/cancelled.tar.zst" --metadata="${out}/cancelled.image.json" \
    2>"${WORK}/stderr" &
  server=$!
  for _ in $(seq 1 100); do [[ -s "${WORK}/pid" ]] && break; sleep 0.1; done
  wait_for_step "${WORK}/stderr"
  if [[ "${victim}" == server ]]; then
    kill -KILL "${server}"
  else
    kill -KILL "$(cat "${WORK}/wrapper")"
  fi
  wait "${server}" 2>/dev/null || true
  wait_gone "imagebuild-cancelled\\.$(cat "${WORK}/pid")\\."
  for _ in $(seq 1 100); do kill -0 "$(cat "${WORK}/pid")" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$(cat "${WORK}/pid")" 2>/dev/null || fail "${victim} killed: imagebuild still runs"
  [[ -z "$(ls -A "${out}")" ]] || fail "${victim} killed: output left behind: $(ls -A "${out}")"
  [[ ! -d "${index}/namespaces" ]] || fail "${victim} killed: something was indexed: $(find "${index}" -type f)"
  expect_file_contains "${WORK}/stderr" "interrupted by signal 15"
  expect_no_temp_left
  rm -f "${WORK}/pid" "${WORK}/wrapper"
  echo "ok: ${victim} killed, the build stopped"
done

# A failing RUN: its last lines in the order the step wrote them, stdout
# and stderr interleaved. (buildah relays a step's stdout and stderr through
# two pipes, so lines written close together can swap; these are written a
# second apart, which holds on a loaded 2-core machine where 0.3 s did not.)
make_busybox_context "${WORK}/runorder" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "echo out1; sleep 1; echo err1 >&2; sleep 1; echo out2; sleep 1; echo err2 >&2; exit 3"]
DOCKERFILE
expect_failure runorder 'runorder/Dockerfile:3: STEP 3/3: RUN' "failed (exit status 3); last lines of its output:" --
got="$(sed -n '/last lines of its output:/,$p' "${WORK}/stderr" | tail -n +2)"
[[ "${got}" == $'  out1\n  err1\n  out2\n  err2' ]] || fail "runorder: the output is out of order: ${got}"

# COPY of a path outside the context: the line, and what can be copied.
make_busybox_context "${WORK}/escaping" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox

COPY ../x /x
DOCKERFILE
expect_failure escaping "escaping/Dockerfile:4: COPY ../x /x names a source outside the build context" \
  "only files of the image's context (its folder, and the \`topsrcdir/...\` paths that \`# %include\` lines pull in)" --

# Extra files (Bazel-built, not in the context tar) are checked against the
# manifest they were hashed into.
make_busybox_context "${WORK}/extra" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
COPY tool.sh /tool.sh
DOCKERFILE
printf 'echo built\n' >"${WORK}/tool.sh"
expect_failure extra "--extra_file needs --context_manifest" -- \
  --extra_file=tool.sh="${WORK}/tool.sh"
printf '%s 644 tool.sh\n' "$(printf 'echo other\n' | sha256sum | cut -c1-64)" >"${WORK}/extra.manifest"
expect_failure extra "--extra_file=tool.sh=${WORK}/tool.sh: its sha256 is $(sha256sum "${WORK}/tool.sh" | cut -c1-64) but ${WORK}/extra.manifest records" \
  "the file changed after the context was hashed" -- \
  --extra_file=tool.sh="${WORK}/tool.sh" --context_manifest="${WORK}/extra.manifest"

# Bad command lines exit 2.
status=0
"${IMAGEBUILD}" --name=x --context_tar=a --context_hash_file=b --output=c \
  --metadata=d --base=debian:12=/x.tar 2>"${WORK}/stderr" || status=$?
[[ "${status}" == 2 ]] || fail "bad --base: exit ${status}"
expect_file_contains "${WORK}/stderr" "--base=debian:12=/x.tar: expected REPOSITORY@sha256:<64 lowercase hex digits>=PATH"
status=0
"${IMAGEBUILD}" --name=x 2>"${WORK}/stderr" || status=$?
[[ "${status}" == 2 ]] || fail "missing flags: exit ${status}"
expect_file_contains "${WORK}/stderr" "--context_tar is required"
# An unknown or misspelled flag is a usage error too (absl alone exits 1).
status=0
"${IMAGEBUILD}" --name=x --zstd-levle=3 2>"${WORK}/stderr" || status=$?
[[ "${status}" == 2 ]] || fail "unknown flag: exit ${status}"
expect_file_contains "${WORK}/stderr" "imagebuild: unknown flag --zstd-levle (see --help)"
status=0
"${IMAGEBUILD}" --name=x --zstd-level=high 2>"${WORK}/stderr" || status=$?
[[ "${status}" == 2 ]] || fail "bad flag value: exit ${status}"
expect_file_contains "${WORK}/stderr" "imagebuild: --zstd-level: "
echo PASS
