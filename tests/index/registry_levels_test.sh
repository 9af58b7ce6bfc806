#!/usr/bin/env bash
# Trust levels on one registry index shared by a fleet: a real docker-registry
# with a token service that grants per user and repository (the index keeps
# level N in REPO/level-N). The trunk credential may push every level; the try
# credential may pull level 3 and push only level 1. A try (level-1) worker
# reads and fetches what trunk indexed at level 3, indexes its own builds at
# level 1, and is refused, with a message naming the scope, when it writes
# level 3; a trunk worker never reuses what the try worker wrote.
set -euo pipefail

readonly INDEX_BIN="$1"
# shellcheck source=tests/lib/registry.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/registry.sh"
# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

work="$(mktemp -d "${TEST_TMPDIR}/levels.XXXXXX")"
mkdir -p "${work}/home"
export HOME="${work}/home"
unset XDG_RUNTIME_DIR REGISTRY_AUTH_FILE
readonly TRUNK_PASSWORD="trunk-Pa55" TRY_PASSWORD="try-Pa55"

registry_start fleet admin unused-admin-password token
addr="${REGISTRY_ADDR[fleet]}"
registry_token_user fleet trunk "${TRUNK_PASSWORD}" 'team/index/level-*=pull,push'
registry_token_user fleet try "${TRY_PASSWORD}" 'team/index/level-3=pull' \
  'team/index/level-2=pull' 'team/index/level-1=pull,push'
index=(--index="registry://${addr}/team/index")

# auth_file USER PASSWORD: an auth.json as `skopeo login` writes it.
auth_file() {
  local path="${work}/$1.json"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "${addr}" "$(printf '%s:%s' "$1" "$2" | base64 -w0)" >"${path}"
  echo "${path}"
}
trunk_auth="$(auth_file trunk "${TRUNK_PASSWORD}")"
try_auth="$(auth_file try "${TRY_PASSWORD}")"
as_trunk() { REGISTRY_AUTH_FILE="${trunk_auth}" "${INDEX_BIN}" "${index[@]}" "$@"; }
as_try() { REGISTRY_AUTH_FILE="${try_auth}" "${INDEX_BIN}" "${index[@]}" "$@"; }

hash_trunk="$(printf trunk | sha256sum | cut -c1-64)"
hash_try="$(printf try | sha256sum | cut -c1-64)"
echo "trunk's base" >"${work}/trunk.tar.zst"
echo "a try build" >"${work}/try.tar.zst"

# Trunk indexes base at level 3; the tags land in the level-3 repository.
run as_trunk --level=3 insert --name=base --context_hash="${hash_trunk}" \
  --image_id=sha256:trunk "${work}/trunk.tar.zst"
expect_rc 0 "trunk inserts at level 3"

# The try worker finds and fetches it (lookups try level 3 first).
run as_try --level=1 lookup --name=base --context_hash="${hash_trunk}" "${work}/reused.tar.zst"
expect_rc 0 "try reads level 3"
expect_eq "$(jq -r .namespace <<<"${out}")" "docker.images.v2.level-3.base.hash.${hash_trunk}" \
  "the level-3 entry serves the try worker"
cmp -s "${work}/trunk.tar.zst" "${work}/reused.tar.zst" || fail "the fetched artifact differs"

# It indexes its own build at level 1.
run as_try --level=1 insert --name=base --context_hash="${hash_try}" \
  --image_id=sha256:try "${work}/try.tar.zst"
expect_rc 0 "try writes level 1"

# It may not write level 3: the registry refuses, the message names the
# scope and the file of the credentials, and level 3 is unchanged.
run as_try --level=3 insert --name=base --context_hash="${hash_try}" \
  --image_id=sha256:try "${work}/try.tar.zst"
expect_rc 1 "try writing level 3"
# (The registry names the actions in either order.)
[[ "${err}" =~ "registry ${addr} refused POST http://${addr}/v2/team/index/level-3/blobs/uploads/: the token its token service issued for the credentials from ${try_auth} does not grant repository:team/index/level-3:"(pull,push|push,pull)" (HTTP 401); these credentials may not do that" ]] ||
  fail "the refusal names the scope: ${err}"
for secret in "${TRY_PASSWORD}" "$(printf 'try:%s' "${TRY_PASSWORD}" | base64 -w0)"; do
  [[ "${out}${err}" != *"${secret}"* ]] || fail "a secret appears in the output"
done
run as_trunk --level=3 find docker.images.v2.level-3.base.latest
expect_rc 0 "trunk finds its latest"
expect_eq "$(jq -r .image_id <<<"${out}")" sha256:trunk "level-3 latest is still trunk's"
run as_trunk --level=3 list docker.images.v2.level-3.base.hash.
expect_rc 0 "trunk lists level 3"
expect_eq "${out}" "docker.images.v2.level-3.base.hash.${hash_trunk}" \
  "no try build among level 3's entries"

# Trunk never reuses a level-1 entry; the try worker reuses its own.
run as_trunk --level=3 lookup --name=base --context_hash="${hash_try}"
expect_rc 3 "trunk does not see level 1"
run as_try --level=1 lookup --name=base --context_hash="${hash_try}"
expect_rc 0 "try reuses its own build"
expect_eq "$(jq -r .entry.level <<<"${out}")" 1 "from level 1"

# Without the try credential's level-1 grant nothing is written at all.
registry_token_user fleet try "${TRY_PASSWORD}" 'team/index/level-*=pull'
run as_try --level=1 insert --name=other --context_hash="${hash_try}" \
  --image_id=sha256:try "${work}/try.tar.zst"
expect_rc 1 "a pull-only credential writes nothing"
[[ "${err}" =~ "does not grant repository:team/index/level-1:"(pull,push|push,pull) ]] ||
  fail "names level 1's scope: ${err}"
echo PASS
