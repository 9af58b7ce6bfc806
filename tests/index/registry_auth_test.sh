#!/usr/bin/env bash
# The registry index behind a login: real docker-registry instances on
# 127.0.0.1, one with htpasswd (Basic) auth and one with Bearer tokens from a
# token service, used through the index CLI with credentials from an
# auth.json as `skopeo login` writes it. No secret may appear in any output.
set -euo pipefail

readonly INDEX_BIN="$1"
# shellcheck source=tests/lib/registry.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/registry.sh"
# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

work="$(mktemp -d "${TEST_TMPDIR}/auth.XXXXXX")"
hash_a="$(printf a | sha256sum | cut -c1-64)"
echo "tarball" >"${work}/image.tar.zst"
readonly PASSWORD="s3cret-Pa55"
readonly WRONG="not-the-password"

# An empty home and no runtime directory: only the files given are searched.
mkdir -p "${work}/home"
export HOME="${work}/home"
unset XDG_RUNTIME_DIR REGISTRY_AUTH_FILE

# auth_file NAME HOST USER PASSWORD: an auth.json holding USER:PASSWORD for HOST.
auth_file() {
  local path="${work}/$1.json"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$2" "$(printf '%s:%s' "$3" "$4" | base64 -w0)" >"${path}"
  echo "${path}"
}

# no_secret_in TEXT WHAT: neither password nor its base64 forms appear.
no_secret_in() {
  local secret
  for secret in "${PASSWORD}" "${WRONG}" "$(printf 'alice:%s' "${PASSWORD}" | base64 -w0)" \
    "$(printf 'alice:%s' "${WRONG}" | base64 -w0)"; do
    if [[ "$1" == *"${secret}"* ]]; then
      fail "$2: a secret appears in the output"
    fi
  done
}

for mode in basic token; do
  registry_start "${mode}" alice "${PASSWORD}" "${mode}"
  addr="${REGISTRY_ADDR[${mode}]}"
  idx=(--index="registry://${addr}/team/index")

  # Without credentials: the message says how to log in.
  run "${INDEX_BIN}" "${idx[@]}" --level=1 insert --name=base \
    --context_hash="${hash_a}" --image_id=sha256:1 "${work}/image.tar.zst"
  expect_rc 1 "${mode}: insert without credentials"
  if [[ "${mode}" == basic ]]; then
    expect_contains "${err}" "registry ${addr} requires a login and no credentials for it are in ${HOME}/.config/containers/auth.json, ${HOME}/.docker/config.json: run \`skopeo login ${addr}\`" \
      "${mode}: no credentials"
  else
    expect_contains "${err}" "the token service of registry ${addr} (http://127.0.0.1:" "${mode}: no credentials"
    expect_contains "${err}" "refused an anonymous request (HTTP 401): run \`skopeo login ${addr}\`" \
      "${mode}: no credentials"
  fi

  # Wrong password: the file is named, its content is not.
  wrong="$(auth_file "wrong-${mode}" "${addr}" alice "${WRONG}")"
  run env REGISTRY_AUTH_FILE="${wrong}" "${INDEX_BIN}" "${idx[@]}" --level=1 \
    find docker.images.v2.level-1.base.latest
  expect_rc 1 "${mode}: wrong password"
  expect_contains "${err}" "the credentials from ${wrong}" "${mode}: wrong password names the file"
  no_secret_in "${out}${err}" "${mode}: wrong password"

  # The right credentials, in Docker's key spelling in ~/.docker/config.json.
  mkdir -p "${HOME}/.docker"
  right="$(auth_file "right-${mode}" "https://${addr}/v1/" alice "${PASSWORD}")"
  cp "${right}" "${HOME}/.docker/config.json"
  run "${INDEX_BIN}" "${idx[@]}" --level=1 insert --name=base \
    --context_hash="${hash_a}" --image_id=sha256:1 "${work}/image.tar.zst"
  expect_rc 0 "${mode}: insert with credentials"
  expect_contains "${err}" "inserted docker.images.v2.level-1.base.hash.${hash_a}" "${mode}: insert"
  no_secret_in "${out}${err}" "${mode}: insert"
  run "${INDEX_BIN}" "${idx[@]}" --level=1 lookup --name=base --context_hash="${hash_a}"
  expect_rc 0 "${mode}: lookup with credentials"
  [[ "$(jq -r .entry.image_id <<<"${out}")" == sha256:1 ]] ||
    fail "${mode}: lookup printed ${out}"
  run "${INDEX_BIN}" "${idx[@]}" --level=1 fetch "docker.images.v2.level-1.base.hash.${hash_a}" "${work}/fetched-${mode}"
  expect_rc 0 "${mode}: fetch with credentials"
  cmp -s "${work}/image.tar.zst" "${work}/fetched-${mode}" || fail "${mode}: fetched artifact differs"
  rm "${HOME}/.docker/config.json"
done
