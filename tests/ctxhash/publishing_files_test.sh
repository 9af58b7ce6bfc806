#!/usr/bin/env bash
# HASH and VERSION, the files a push reads, against the context hash in both
# modes (CLI and Bazel's file list): editing HASH never changes the hash,
# whatever .dockerignore says, since it is written after a push; editing
# VERSION does (bumping the version is a rebuild).
# shellcheck source=tests/ctxhash/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/ctxhash/testlib.sh"

repo="$(new_dir)"
put "${repo}/img/Dockerfile" 'FROM scratch\nCOPY VERSION /\n'
put "${repo}/img/VERSION" '1.0\n'

cli_hash() {
  "${CTXHASH}" --root="${repo}" --context=img --manifest="${repo}.manifest"
}
# Bazel mode declares every file of the folder, HASH included.
bazel_hash() {
  (cd "${repo}" && find img -type f | LC_ALL=C sort >"${repo}.list" &&
    "${CTXHASH}" --root=. --context=img --file_list="${repo}.list")
}
# check WHAT EXPECTED_HASH: both modes give EXPECTED_HASH.
check() {
  expect_eq "$(cli_hash)" "$2" "$1 (CLI)"
  expect_eq "$(bazel_hash)" "$2" "$1 (Bazel mode)"
}

h0="$(cli_hash)"
check "the two modes agree" "${h0}"

put "${repo}/img/HASH" 'sha256:%064d\n' 1
check "a new HASH does not change the hash" "${h0}"
put "${repo}/img/HASH" 'sha256:%064d\n' 2
check "an edited HASH does not change the hash" "${h0}"
[[ "$(cat "${repo}.manifest")" != *" HASH"* ]] || fail "HASH is in the manifest: $(cat "${repo}.manifest")"

put "${repo}/img/.dockerignore" '*.md\n!HASH\n'
h1="$(cli_hash)"
expect_ne "${h1}" "${h0}" "a new .dockerignore changes the hash"
check "the modes agree with a .dockerignore" "${h1}"
put "${repo}/img/HASH" 'sha256:%064d\n' 3
check "a .dockerignore exception cannot bring HASH in" "${h1}"

put "${repo}/img/VERSION" '1.1\n'
h2="$(cli_hash)"
expect_ne "${h2}" "${h1}" "a bumped VERSION changes the hash"
check "the modes agree on the bumped VERSION" "${h2}"
expect_contains "$(cat "${repo}.manifest")" \
  "$(printf '1.1\n' | sha256sum | cut -d' ' -f1) 644 VERSION" "the manifest holds VERSION"
