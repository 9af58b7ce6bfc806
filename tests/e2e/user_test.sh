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

# shellcheck source=tests/lib/registry.sh
source "${runfiles_root}/tests/lib/registry.sh"

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
registry_on_exit cleanup

# useradd gives a new user a free range of 65536 subordinate IDs.
useradd --create-home --home-dir "${home}" --shell /bin/bash "${user}"
getsubids "${user}" >/dev/null || fail "useradd gave ${user} no subordinate IDs"

# A login session's runtime directory (pam_systemd makes /run/user/UID).
runtime_dir="${base}/run-user"
install -d -m 700 -o "${user}" -g "${user}" "${runtime_dir}"

# as_user COMMAND...: COMMAND as the user, with a login-like environment.
as_user() {
  setpriv --reuid="${user}" --regid="${user}" --init-groups \
    env -i HOME="${home}" USER="${user}" LOGNAME="${user}" \
    XDG_RUNTIME_DIR="${runtime_dir}" PATH=/usr/local/bin:/usr/bin:/bin "$@"
}

# The repository: the rules and the prebuilt tools (compiling C++ as the
# user would only repeat what this build did), and images/ as checked out.
ws="${home}/imagegraph"
make_imagegraph_repo "${ws}" "${runfiles_root}" "${runfiles_root}"
# The checkout this test's runfiles link to.
checkout="$(readlink -f "${runfiles_root}/tests/e2e/lib.sh")"
checkout="${checkout%/tests/e2e/lib.sh}"
cp -r "${checkout}/images" "${ws}/images"
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
exec_log="${home}/exec.json"
as_user bash -c "cd '${ws}' && bazel build --execution_log_json_file='${exec_log}' //images:fetch //images:decision" \
  >"${TEST_TMPDIR}/build.out" 2>&1 ||
  { tail -50 "${TEST_TMPDIR}/build.out" >&2; fail "${user} could not build //images:fetch //images:decision"; }
echo "ok: ${user} built //images:fetch and //images:decision in $((SECONDS - start)) s"
grep -q "indexed in local index ${home}/.cache/imagegraph/index" "${TEST_TMPDIR}/build.out" ||
  fail "the images were not indexed in ${user}'s own cache: $(grep indexed "${TEST_TMPDIR}/build.out")"

# The same image IDs when root builds from the same inputs: root runs the
# ImageBuild command lines of the user's build (from its execution log) in the
# user's execution root, with its own outputs and no index. (Root's own Bazel
# build of images/ may come from its index, built by other revisions, and its
# Debian base from another state of the mirror.)
user_bin="${ws}/bazel-bin/images"
execroot="$(as_user bash -c "cd '${ws}' && bazel info execution_root" 2>/dev/null)"
for name in fetch decision; do
  mapfile -t argv < <(jq -r --arg out "/${name}.tar.zst" \
    'select(.mnemonic == "ImageBuild" and any(.listedOutputs[]; endswith($out))) | .commandArgs[]' \
    "${exec_log}")
  ((${#argv[@]} > 0)) || fail "no ImageBuild action for ${name} in ${exec_log}"
  root_args=()
  for arg in "${argv[@]:1}"; do
    case "${arg}" in
      --output=*) root_args+=("--output=${base}/root-${name}.tar.zst") ;;
      --metadata=*) root_args+=("--metadata=${base}/root-${name}.image.json") ;;
      --index=*) root_args+=("--index=off") ;;
      *) root_args+=("${arg}") ;;
    esac
  done
  (cd "${execroot}" && "${runfiles_root}/tools/imagebuild/imagebuild" "${root_args[@]}") \
    2>"${TEST_TMPDIR}/root-${name}.err" || fail "root's build of ${name}: $(cat "${TEST_TMPDIR}/root-${name}.err")"
  user_id="$(jq -r .image_id "${user_bin}/${name}.image.json")"
  root_id="$(jq -r .image_id "${base}/root-${name}.image.json")"
  [[ "${user_id}" == "${root_id}" ]] || fail "${name}: ${user} built ${user_id}, root ${root_id}"
  echo "ok: ${name} is ${user_id} for root and ${user}"
done

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

# NAME.push as the user, to a registry on loopback; image_pull as the user
# pulls it back by digest.
registry_start plain
addr="${REGISTRY_ADDR[plain]}"
as_user bash -c "cd '${ws}' && bazel run //images:fetch.push -- --registry=${addr}/imagegraph --tls-verify=false" \
  >"${TEST_TMPDIR}/push.out" 2>&1 || { cat "${TEST_TMPDIR}/push.out" >&2; fail "fetch.push failed as ${user}"; }
digest="$(as_user skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://${addr}/imagegraph/fetch:1.0.1")" ||
  fail "the pushed fetch is not in the registry"
cat >>"${ws}/WORKSPACE" <<WORKSPACE

load("//rules/private:image_pull.bzl", "image_pull")

image_pull(
    name = "fetch_pulled",
    image = "${addr}/imagegraph/fetch@${digest}",
    tls_verify = False,
)
WORKSPACE
as_user bash -c "cd '${ws}' && bazel build @fetch_pulled//:image" >"${TEST_TMPDIR}/pull.out" 2>&1 ||
  { cat "${TEST_TMPDIR}/pull.out" >&2; fail "image_pull of fetch failed as ${user}"; }
pulled_id="$(jq -r .image_id "$(as_user bash -c "cd '${ws}' && bazel info output_base" 2>/dev/null)/external/fetch_pulled/image.json")"
[[ "${pulled_id}" == "$(jq -r .image_id "${user_bin}/fetch.image.json")" ]] ||
  fail "pulled fetch is ${pulled_id}, built $(jq -r .image_id "${user_bin}/fetch.image.json")"
echo "ok: ${user} pushed fetch (${digest}) and pulled it back"

# Nothing root-owned in the user's home (caches, index, output base).
owned_by_root="$(find "${home}" -uid 0 -print -quit)"
[[ -z "${owned_by_root}" ]] || fail "root-owned files in ${user}'s home, e.g. ${owned_by_root}"
echo "PASS"
