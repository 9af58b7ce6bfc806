#!/usr/bin/env bash
# The setup a contained build needs, and what each missing piece says, on
# real accounts: a user without subordinate IDs, with too few, and a machine
# whose user namespaces are disabled (simulated inside a user namespace whose
# limit is 0). Both imagebuild and ./bazelw name the fix; `sudo ./bazelw`
# (SUDO_USER set) adds the range. Root only: it creates a throwaway user.
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

if [[ "$(id -u)" != 0 ]]; then
  echo "SKIP: this test creates a throwaway user, which needs root"
  exit 0
fi

bazelw_src="$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/bazelw")"
# What the throwaway user runs lives where it may enter.
bin="$(mktemp -d /tmp/setup_test.XXXXXX)"
chmod 755 "${bin}"
install -m 755 "${IMAGEBUILD}" "${bin}/imagebuild"
install -m 755 "${bazelw_src}" "${bin}/bazelw"
user="igset$$"
cleanup() {
  userdel "${user}" 2>/dev/null || true
  rm -rf "${bin}"
  cleanup_storages
}
trap cleanup EXIT

# A build request that reaches the containment check (nothing is read
# before it).
imagebuild_args=(--name=app --context_tar=/nonexistent/app.tar
  --context_hash_file=/nonexistent/app.hash
  --output="${bin}/app.tar.zst" --metadata="${bin}/app.image.json")

# as_user COMMAND...: runs COMMAND as the throwaway user, stdout and stderr
# into ${WORK}/out; returns its status.
as_user() {
  (cd "${bin}" && setpriv --reuid="${user}" --regid="${user}" --clear-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="${bin}" TMPDIR=/tmp "$@") \
    >"${WORK}/out" 2>&1
}

expect_failure_saying() {
  local what="$1"
  shift
  if "$@"; then fail "${what}: succeeded, expected a failure: $(cat "${WORK}/out")"; fi
  local text
  for text in "${expected[@]}"; do
    expect_file_contains "${WORK}/out" "${text}"
  done
  echo "ok: ${what}"
}

# --- user namespaces disabled ---------------------------------------------
disabled() {
  unshare --user --map-root-user sh -c \
    'echo 0 >/proc/sys/user/max_user_namespaces && exec "$@"' sh "$@" >"${WORK}/out" 2>&1
}
expected=("imagebuild: cannot build app: user namespaces are disabled: the limit user.max_user_namespaces is 0"
  "Enable them: sudo sysctl -w user.max_user_namespaces=15000")
expect_failure_saying "imagebuild without user namespaces" disabled "${bin}/imagebuild" "${imagebuild_args[@]}"
expected=("bazelw: user namespaces do not work here" "sudo sysctl -w user.max_user_namespaces=15000")
expect_failure_saying "bazelw without user namespaces" disabled "${bin}/bazelw" --version

# --- a user without subordinate IDs ---------------------------------------
useradd --no-create-home --shell /usr/sbin/nologin -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "${user}"
if getsubids "${user}" >/dev/null 2>&1; then fail "useradd gave ${user} subordinate IDs"; fi
expected=("imagebuild: cannot build app: ${user} has no subordinate user IDs in /etc/subuid"
  "so that no step runs as host root or as ${user}"
  "run \`sudo ./bazelw\` once in the imagegraph checkout")
expect_failure_saying "imagebuild as a user without subordinate IDs" as_user "${bin}/imagebuild" "${imagebuild_args[@]}"
expected=("bazelw: ${user} has no range of 65536 subordinate user and group IDs"
  "  sudo usermod --add-subuids " " ${user}"
  "or run \`sudo ./bazelw\` once")
expect_failure_saying "bazelw as a user without subordinate IDs" as_user "${bin}/bazelw" --version
# The command bazelw printed works as printed.
fix="$(grep -o 'sudo usermod .*' "${WORK}/out")"
[[ "${fix}" =~ ^sudo\ usermod\ --add-subuids\ ([0-9]+)-([0-9]+)\ --add-subgids\ ([0-9]+)-([0-9]+)\ ${user}$ ]] ||
  fail "unexpected fix: ${fix}"
((BASH_REMATCH[2] - BASH_REMATCH[1] + 1 == 65536)) || fail "the printed range is not 65536 IDs: ${fix}"

# --- too few subordinate IDs ----------------------------------------------
start="${BASH_REMATCH[1]}"
usermod --add-subuids "${start}-$((start + 999))" --add-subgids "${start}-$((start + 999))" "${user}"
expected=("imagebuild: cannot build app: ${user} has only ranges of fewer than 65536 subordinate user IDs in /etc/subuid: ${start}-$((start + 999)) (1000 IDs)")
expect_failure_saying "imagebuild as a user with 1000 subordinate IDs" as_user "${bin}/imagebuild" "${imagebuild_args[@]}"
usermod --del-subuids "${start}-$((start + 999))" --del-subgids "${start}-$((start + 999))" "${user}"

# --- the printed fix, then `sudo ./bazelw` --------------------------------
${fix#sudo }
as_user "${bin}/bazelw" --version || fail "bazelw after the printed fix: $(cat "${WORK}/out")"
usermod --del-subuids "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}" --del-subgids "${BASH_REMATCH[3]}-${BASH_REMATCH[4]}" "${user}"
SUDO_USER="${user}" "${bin}/bazelw" --version >"${WORK}/out" 2>&1 || fail "sudo ./bazelw: $(cat "${WORK}/out")"
expect_file_contains "${WORK}/out" "bazelw: adding subordinate IDs "
expect_file_contains "${WORK}/out" " for ${user} (image builds run as them)"
getsubids "${user}" | awk '$4 >= 65536 { ok = 1 } END { exit !ok }' || fail "sudo ./bazelw added no range"
getsubids -g "${user}" | awk '$4 >= 65536 { ok = 1 } END { exit !ok }' || fail "sudo ./bazelw added no group range"
as_user "${bin}/bazelw" --version || fail "bazelw after sudo ./bazelw: $(cat "${WORK}/out")"
echo "ok: sudo ./bazelw set ${user} up"
echo PASS
