#!/usr/bin/env bash
# The layer store of a normal user (rootless builds over the user's own
# subordinate IDs): it is imported into once and reused, and gives the image
# root builds. A store is per user: a store of another user's, or one whose
# storage belongs to other subordinate IDs, is refused with a message naming
# the store and the fix, and so is one the user's builds cannot reach.
# Needs root (it creates a throwaway user).
# shellcheck source=tests/imagebuild/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/imagebuild/testlib.sh"

if [[ "$(id -u)" != 0 ]]; then
  echo "PASS (skipped: creating a throwaway user needs root)"
  exit 0
fi

host="$(mktemp -d /tmp/ig-store-user.XXXXXX)"
chmod 755 "${host}"
user="igls$$"
cleanup() {
  userdel "${user}" 2>/dev/null || true
  rm -rf "${host}"
  cleanup_storages
}
trap cleanup EXIT
# useradd gives a new user a free range of 65536 subordinate IDs.
useradd --no-create-home --shell /usr/sbin/nologin "${user}"
getsubids "${user}" >/dev/null || fail "useradd gave ${user} no subordinate IDs"
user_uid="$(id -u "${user}")"
user_gid="$(id -g "${user}")"
user_subuid="$(getsubids "${user}" | awk '{print $3; exit}')"
install -d -m 755 -o "${user_uid}" -g "${user_gid}" "${host}/tmp" "${host}/out" "${host}/store"
install -m 755 "${IMAGEBUILD}" "${host}/imagebuild"

make_busybox_context "${host}/bb" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo "hello from bb" > /hello.txt
DOCKERFILE
make_context_tar "${host}/bb" "${host}/bb.tar"
mkdir -p "${host}/child"
printf 'FROM bb\nRUN cat /hello.txt >/child.txt && rm /hello.txt\n' >"${host}/child/Dockerfile"
make_context_tar "${host}/child" "${host}/child.tar"
run_imagebuild --name=bb --context_tar="${host}/bb.tar" --context_hash_file="${host}/bb.hash" \
  --output="${host}/bb.tar.zst" --metadata="${host}/bb.image.json" ||
  fail "building bb: $(cat "${WORK}/stderr")"
chmod -R a+rX "${host}"

# child_flags LABEL: the flags that build the child into $host/out/LABEL.*.
child_flags() {
  printf '%s\n' --name=child --context_tar="${host}/child.tar" \
    --context_hash_file="${host}/child.hash" --parent=bb="${host}/bb.tar.zst" --parent_metadata=bb="${host}/bb.image.json" \
    --reference=bb=:bb --output="${host}/out/$1.tar.zst" --metadata="${host}/out/$1.image.json"
}

# as_user LABEL FLAGS...: builds the child as the user; stderr in
# $WORK/LABEL.stderr.
as_user() {
  local label="$1"
  shift
  local flags
  mapfile -t flags < <(child_flags "${label}")
  setpriv --reuid="${user_uid}" --regid="${user_gid}" --clear-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin TMPDIR="${host}/tmp" HOME=/nonexistent \
    "${host}/imagebuild" "${flags[@]}" "$@" 2>"${WORK}/${label}.stderr"
}

# as_root LABEL FLAGS...: the same as root.
as_root() {
  local label="$1"
  shift
  local flags
  mapfile -t flags < <(child_flags "${label}")
  "${IMAGEBUILD}" "${flags[@]}" "$@" 2>"${WORK}/${label}.stderr"
}

as_root root-nostore --layer_store=off || fail "root's build: $(cat "${WORK}/root-nostore.stderr")"
want="$(jq -r .image_id "${host}/out/root-nostore.image.json")"

# The user's own store: imported once, then reused; the image is root's.
as_user user-cold --layer_store="${host}/store" ||
  fail "the user's first build: $(cat "${WORK}/user-cold.stderr")"
driver="$(sed -n 's/.*: storage driver \([a-z]*\) .*/\1/p' "${WORK}/user-cold.stderr")"
[[ -n "${driver}" ]] || fail "no storage driver in the progress: $(cat "${WORK}/user-cold.stderr")"
expect_file_contains "${WORK}/user-cold.stderr" "layer store ${host}/store (${driver} driver)"
expect_file_contains "${WORK}/user-cold.stderr" "importing image"
as_user user-warm --layer_store="${host}/store" ||
  fail "the user's second build: $(cat "${WORK}/user-warm.stderr")"
expect_file_lacks "${WORK}/user-warm.stderr" "importing image"
expect_file_contains "${WORK}/user-warm.stderr" "verified in the layer store"
for label in user-cold user-warm; do
  got="$(jq -r .image_id "${host}/out/${label}.image.json")"
  [[ "${got}" == "${want}" ]] || fail "${label}: image ${got}, root's ${want}"
done
[[ "$(stat -c %u "${host}/store/${driver}/storage")" == "${user_subuid}" ]] ||
  fail "the user's storage belongs to $(stat -c %u "${host}/store/${driver}/storage"), not to ${user_subuid}"
[[ -z "$(ls -A "${host}/tmp")" ]] || fail "the user's builds left $(ls -A "${host}/tmp")"

# Root's store, used by the user: refused.
as_root root-store --layer_store="${host}/root-store" ||
  fail "root's build with a store: $(cat "${WORK}/root-store.stderr")"
as_user user-in-root-store --layer_store="${host}/root-store" &&
  fail "the user's build took root's store"
expect_file_contains "${WORK}/user-in-root-store.stderr" "--layer_store=${host}/root-store: the layer store ${host}/root-store belongs to UID 0, not to ${user} (UID ${user_uid}), who builds: its storage belongs to that user's builds (their subordinate IDs), which ${user}'s builds may not write; a layer store is per user: give each user a store of their own (leave --//rules:layer_store at default, layers/ beside the user's own index, or set it to a directory of the user's)"
[[ ! -e "${host}/out/user-in-root-store.tar.zst" ]] || fail "a refused build left its output"

# The user's store, used by root: refused the same way.
as_root root-in-user-store --layer_store="${host}/store" && fail "root's build took the user's store"
expect_file_contains "${WORK}/root-in-user-store.stderr" "the layer store ${host}/store belongs to UID ${user_uid}, not to root (UID 0), who builds"

# A store handed to the user whose storage root's builds filled: refused,
# naming the storage and its owner.
chown "${user_uid}:${user_gid}" "${host}/root-store" "${host}/root-store/${driver}"
chown -R "${user_uid}:${user_gid}" "${host}/root-store/${driver}/images" "${host}/root-store/${driver}/locks"
root_subuid="$(getsubids root | awk '{print $3; exit}')"
as_user user-foreign-storage --layer_store="${host}/root-store" &&
  fail "the user's build took a storage of root's subordinate IDs"
expect_file_contains "${WORK}/user-foreign-storage.stderr" "the layer store ${host}/root-store: its storage ${host}/root-store/${driver}/storage belongs to host UID ${root_subuid}, not to UID ${user_subuid} (the root of the build's user namespace, the first of ${user}'s subordinate IDs): it was filled by builds over other subordinate IDs; remove ${host}/root-store/${driver}/storage (the store is a cache) or a layer store is per user"

# A store the user's builds cannot reach (a normal user cannot bind it in).
install -d -m 700 -o "${user_uid}" -g "${user_gid}" "${host}/closed"
as_user user-closed --layer_store="${host}/closed/layers" && fail "an unreachable store was taken"
expect_file_contains "${WORK}/user-closed.stderr" "--layer_store=${host}/closed/layers: ${host}/closed (mode 0700) may be entered or run only by its owner"
echo PASS
