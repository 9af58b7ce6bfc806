#!/usr/bin/env bash
# A RUN step cannot reach the host. The fixture's RUN step runs escape.c,
# which tries a chroot breakout and the root of the namespace's first
# process, then to create a file in a host directory, to read root-owned and
# invoker-owned 0600 files and /proc/1/environ; every attempt must fail. Built
# as root and, when the test runs as root, as a throwaway user with
# subordinate IDs. As a control, the same program run on the host succeeds.
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

escape="$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/escape")"
# Host paths the RUN step aims at: under /tmp, so that a throwaway user can
# be given some of them.
host="$(mktemp -d /tmp/escape_test.XXXXXX)"
chmod 755 "${host}"
throwaway_user=""
cleanup() {
  if [[ -n "${throwaway_user}" ]]; then
    userdel "${throwaway_user}" 2>/dev/null || true
  fi
  rm -rf "${host}"
  cleanup_storages
}
trap cleanup EXIT

marker="${host}/host-marker"
touch "${marker}"
mkdir -m 755 "${host}/root-dir"
echo "root's secret" >"${host}/root-secret"
chmod 600 "${host}/root-secret"

# expect_all_failed REPORT SECRETS: every attempt of REPORT failed, and there
# were as many as escape.c makes for that many secrets.
expect_all_failed() {
  local report="$1" secrets="$2"
  grep -q '^0 escapes$' "${report}" || fail "escapes in ${report}: $(cat "${report}")"
  if grep -q '^ESCAPE' "${report}"; then fail "$(grep '^ESCAPE' "${report}")"; fi
  local attempts
  attempts="$(grep -c '^ok: ' "${report}")"
  ((attempts == 7 + 2 * secrets)) ||
    fail "expected $((7 + 2 * secrets)) failed attempts, got ${attempts}: $(cat "${report}")"
}

# The control: on the host, as root, the same attempts succeed.
mkdir "${host}/control"
(cd "${host}/control" && "${escape}" "${marker}" "${host}/root-dir" "${host}/root-secret") \
  >"${WORK}/control.out" && fail "escape found nothing to report on the host"
expect_file_contains "${WORK}/control.out" "ESCAPE: after the breakout: see ${marker} succeeded"
expect_file_contains "${WORK}/control.out" "ESCAPE: after the breakout: create ${host}/root-dir/escaped-by-run-step succeeded"
expect_file_contains "${WORK}/control.out" "ESCAPE: after the breakout: read ${host}/root-secret succeeded"
rm -f "${host}/root-dir/escaped-by-run-step"

# contained_build ID DIR SECRET...: builds the fixture (as whoever runs this)
# with its RUN step aimed at DIR and the SECRETs, and checks the report the
# step left in the image.
contained_build() {
  local id="$1" dir="$2"
  shift 2
  local ctx="${host}/ctx-${id}" out="${host}/out-${id}"
  mkdir -p "${ctx}" "${out}"
  cp "${escape}" "${ctx}/escape"
  local args
  args="$(printf '"%s", ' "${marker}" "${dir}" "$@")"
  make_busybox_context "${ctx}" <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
COPY escape /escape
RUN ["/escape", ${args%, }]
DOCKERFILE
  make_context_tar "${ctx}" "${host}/ctx-${id}.tar"
  chmod -R a+rX "${ctx}" "${host}/ctx-${id}.tar" "${host}/ctx-${id}.hash"
}

# --- as root ---------------------------------------------------------------
contained_build root "${host}/root-dir" "${host}/root-secret"
run_imagebuild --name=escape --context_tar="${host}/ctx-root.tar" \
  --context_hash_file="${host}/ctx-root.hash" \
  --output="${host}/out-root/escape.tar.zst" --metadata="${host}/out-root/escape.image.json" ||
  fail "the build as root failed: $(cat "${WORK}/stderr")"
zstd -q -d -c "${host}/out-root/escape.tar.zst" >"${WORK}/root.tar"
layer="$(tar -xOf "${WORK}/root.tar" manifest.json | jq -r '.[0].Layers[-1]')"
tar -xOf "${WORK}/root.tar" "${layer}" | tar -xOf - escape-report.txt >"${WORK}/root.report" ||
  fail "no escape-report.txt in the image built as root"
expect_all_failed "${WORK}/root.report" 1
[[ ! -e "${host}/root-dir/escaped-by-run-step" ]] || fail "a file appeared in ${host}/root-dir"
echo "ok: as root, every attempt failed"

# --- as a user -------------------------------------------------------------
if [[ "$(id -u)" != 0 ]]; then
  echo "PASS (as root only: creating a throwaway user needs root)"
  exit 0
fi
throwaway_user="igesc$$"
# useradd gives a new user a free range of 65536 subordinate IDs.
useradd --no-create-home --shell /usr/sbin/nologin "${throwaway_user}"
getsubids "${throwaway_user}" >/dev/null || fail "useradd gave ${throwaway_user} no subordinate IDs"
user_uid="$(id -u "${throwaway_user}")"
user_gid="$(id -g "${throwaway_user}")"
install -d -m 755 -o "${user_uid}" -g "${user_gid}" "${host}/user-dir" "${host}/user-tmp" "${host}/out-user"
echo "the user's credentials" >"${host}/user-secret"
chown "${user_uid}:${user_gid}" "${host}/user-secret"
chmod 600 "${host}/user-secret"
install -m 755 "${IMAGEBUILD}" "${host}/imagebuild"
contained_build user "${host}/user-dir" "${host}/user-secret" "${host}/root-secret"
chown -R "${user_uid}:${user_gid}" "${host}/out-user"
setpriv --reuid="${user_uid}" --regid="${user_gid}" --clear-groups \
  env -i PATH=/usr/local/bin:/usr/bin:/bin TMPDIR="${host}/user-tmp" \
  "${host}/imagebuild" --name=escape --context_tar="${host}/ctx-user.tar" \
  --context_hash_file="${host}/ctx-user.hash" \
  --output="${host}/out-user/escape.tar.zst" --metadata="${host}/out-user/escape.image.json" \
  2>"${WORK}/user.stderr" || fail "the build as ${throwaway_user} failed: $(cat "${WORK}/user.stderr")"
zstd -q -d -c "${host}/out-user/escape.tar.zst" >"${WORK}/user.tar"
layer="$(tar -xOf "${WORK}/user.tar" manifest.json | jq -r '.[0].Layers[-1]')"
tar -xOf "${WORK}/user.tar" "${layer}" | tar -xOf - escape-report.txt >"${WORK}/user.report" ||
  fail "no escape-report.txt in the image built as ${throwaway_user}"
# Two secrets: the user's own and root's.
expect_all_failed "${WORK}/user.report" 2
[[ ! -e "${host}/user-dir/escaped-by-run-step" ]] || fail "a file appeared in the user's ${host}/user-dir"
[[ -z "$(ls -A "${host}/user-tmp")" ]] || fail "the user's build left $(ls -A "${host}/user-tmp")"
echo "ok: as ${throwaway_user}, every attempt failed"
echo PASS
