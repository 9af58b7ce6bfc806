#!/usr/bin/env bash
# A normal user builds images: a throwaway user with subordinate IDs gets a
# copy of the repository (the rules, the images/ tree and the tools this
# build made) in a directory it owns, builds //images:fetch and
# //images:decision with its own Bazel output base, disk cache and index
# (all in its home), loads fetch into rootless podman with NAME.load, runs its
# command through rootless buildah, and gets the image IDs root's build got.
# Nothing in its home may end up owned by root. Root only (it creates the
# user); the user and its files are removed at the end.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/e2e/lib.sh"

if [[ "$(id -u)" != 0 ]]; then
  echo "SKIP: this test creates a throwaway user, which needs root"
  exit 0
fi

base="$(mktemp -d /tmp/imagegraph_user_test.XXXXXX)"
chmod 755 "${base}"
user="igusr$$"
home="${base}/home"
cleanup() {
  if id "${user}" >/dev/null 2>&1; then
    as_user bash -c 'cd ~/imagegraph && bazel shutdown; buildah rm --all; podman rmi --all --force' \
      >/dev/null 2>&1 || true
    pkill -KILL -u "${user}" 2>/dev/null || true
    userdel "${user}" 2>/dev/null || true
  fi
  rm -rf "${base}"
}
trap cleanup EXIT

# useradd gives a new user a free range of 65536 subordinate IDs.
useradd --create-home --home-dir "${home}" --shell /bin/bash "${user}"
getsubids "${user}" >/dev/null || fail "useradd gave ${user} no subordinate IDs"

# as_user COMMAND...: COMMAND as the user, with a login-like environment.
as_user() {
  setpriv --reuid="${user}" --regid="${user}" --init-groups \
    env -i HOME="${home}" USER="${user}" LOGNAME="${user}" \
    PATH=/usr/local/bin:/usr/bin:/bin "$@"
}

# The repository: the rules and the prebuilt tools (compiling C++ as the
# user would only repeat what this build did), and images/ as checked out.
ws="${home}/imagegraph"
make_imagegraph_repo "${ws}" "${runfiles_root}" "${runfiles_root}"
checkout_images="$(dirname "$(readlink -f "${runfiles_root}/images/REGISTRY")")"
cp -r "${checkout_images}" "${ws}/images"
cat >>"${ws}/WORKSPACE" <<'WORKSPACE'

local_repository(
    name = "bazel_skylib",
    path = "/usr/share/bazel/tools/skylib",
)
WORKSPACE
cat >"${ws}/.bazelrc" <<'BAZELRC'
build --spawn_strategy=processwrapper-sandbox
build --strategy=ImageBuild=local --strategy=DebianRootfs=local
build --color=no --curses=no
# The user's own disk cache; the index is the default one, in the user's cache.
build --disk_cache=~/.cache/imagegraph/bazel-disk-cache
BAZELRC
chown -R "${user}:${user}" "${ws}"

start=${SECONDS}
as_user bash -c "cd '${ws}' && bazel build //images:fetch //images:decision" \
  >"${TEST_TMPDIR}/build.out" 2>&1 ||
  { tail -50 "${TEST_TMPDIR}/build.out" >&2; fail "${user} could not build //images:fetch //images:decision"; }
echo "ok: ${user} built //images:fetch and //images:decision in $((SECONDS - start)) s"
grep -q "indexed in local index ${home}/.cache/imagegraph/index" "${TEST_TMPDIR}/build.out" ||
  fail "the images were not indexed in ${user}'s own cache: $(grep indexed "${TEST_TMPDIR}/build.out")"

# The same image IDs as root's build of the same inputs.
user_bin="${ws}/bazel-bin/images"
id_of() { jq -r .image_id "$1/$2.image.json"; }
[[ "$(id_of "${user_bin}" fetch)" == "$(id_of "${runfiles_root}/images" fetch)" ]] ||
  fail "fetch: ${user} built $(id_of "${user_bin}" fetch), root $(id_of "${runfiles_root}/images" fetch)"
echo "ok: fetch is $(id_of "${user_bin}" fetch) for root and ${user}"
# decision starts from a Debian root filesystem fetched from the live mirror
# (base-build's context holds it): the IDs can only agree when both builds got
# the same packages, that is when the context hashes agree.
hash_of() { tr -d '[:space:]' <"$1/$2.context_hash"; }
if [[ "$(hash_of "${user_bin}" decision)" == "$(hash_of "${runfiles_root}/images" decision)" ]]; then
  [[ "$(id_of "${user_bin}" decision)" == "$(id_of "${runfiles_root}/images" decision)" ]] ||
    fail "decision: ${user} built $(id_of "${user_bin}" decision), root $(id_of "${runfiles_root}/images" decision)"
  echo "ok: decision is $(id_of "${user_bin}" decision) for root and ${user}"
elif [[ "$(hash_of "${user_bin}" base-build)" != "$(hash_of "${runfiles_root}/images" base-build)" ]]; then
  echo "note: the Debian mirror changed between root's build and ${user}'s (base-build's root filesystem differs), so decision's IDs cannot be compared"
else
  fail "decision's context hash differs between root and ${user} although base-build's agrees"
fi

# NAME.load into the user's rootless podman; the command runs in rootless buildah.
as_user bash -c "cd '${ws}' && bazel run //images:fetch.load" >"${TEST_TMPDIR}/load.out" 2>&1 ||
  { cat "${TEST_TMPDIR}/load.out" >&2; fail "bazel run //images:fetch.load failed as ${user}"; }
grep -q "Loaded fetch (image .*) into podman as localhost:5000/imagegraph/fetch:1.0.1" "${TEST_TMPDIR}/load.out" ||
  fail "fetch.load: $(cat "${TEST_TMPDIR}/load.out")"
output="$(as_user bash -c 'c="$(buildah from --pull=never localhost:5000/imagegraph/fetch:1.0.1)" &&
  buildah run --isolation chroot "$c" -- /bin/fetch-content --help; buildah rm "$c" >/dev/null' 2>&1)" ||
  fail "running fetch's command as ${user}: ${output}"
[[ "${output}" == *fetch-content* ]] || fail "fetch-content --help printed: ${output}"
echo "ok: ${user} loaded fetch into rootless podman and ran its command"

# Nothing root-owned in the user's home (caches, index, output base).
owned_by_root="$(find "${home}" -uid 0 -print -quit)"
[[ -z "${owned_by_root}" ]] || fail "root-owned files in ${user}'s home, e.g. ${owned_by_root}"
echo "PASS"
