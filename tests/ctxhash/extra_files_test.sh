#!/usr/bin/env bash
# Bazel-built extra files (--extra_file=PATH=FILE): hashed exactly as if the
# file sat in the image folder (same hash and manifest as the CLI on such a
# folder), left out of the context tar (the build receives them as inputs of
# their own), and refused with a clear message when .dockerignore drops one,
# when the path leaves the folder, or outside Bazel mode.
# shellcheck source=tests/ctxhash/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/ctxhash/testlib.sh"

# The folder as a user sees it, with the built file in place.
repo="$(new_dir)/repo"
put "${repo}/images/base/Dockerfile" 'FROM scratch\nADD rootfs.tar.zst /\n'
put "${repo}/images/base/setup.sh" 'echo setup\n'
put "${repo}/images/base/bin/tool" 'a built tool\n'
chmod 0755 "${repo}/images/base/bin/tool"
head -c 300000 /dev/urandom >"${repo}/images/base/rootfs.tar.zst"
cli="$(new_dir)"
cli_hash="$("${CTXHASH}" --root="${repo}" --context=images/base \
  --manifest="${cli}/m" --tar="${cli}/t.tar")"

# Bazel mode: the sources are listed, the built files stay in the output tree.
execroot="$(new_dir)"
mkdir -p "${execroot}/images/base" "${execroot}/bazel-out/bin/images"
cp "${repo}/images/base/Dockerfile" "${repo}/images/base/setup.sh" "${execroot}/images/base/"
cp "${repo}/images/base/rootfs.tar.zst" "${execroot}/bazel-out/bin/images/bookworm_rootfs.tar.zst"
cp -p "${repo}/images/base/bin/tool" "${execroot}/bazel-out/bin/images/tool"
printf 'images/base/Dockerfile\nimages/base/setup.sh\n' >"${execroot}/list"
bzl="$(new_dir)"
bzl_hash="$(cd "${execroot}" && "${CTXHASH}" --root=. --context=images/base \
  --file_list=list \
  --extra_file=rootfs.tar.zst=bazel-out/bin/images/bookworm_rootfs.tar.zst \
  --extra_file=bin/tool=bazel-out/bin/images/tool \
  --manifest="${bzl}/m" --tar="${bzl}/t.tar" --hash_out="${bzl}/h")"
expect_eq "${bzl_hash}" "${cli_hash}" "extra files hash as files of the folder"
cmp -s "${cli}/m" "${bzl}/m" && pass "manifests identical" || fail "manifests differ"
expect_contains "$(cat "${bzl}/m")" " 755 bin/tool" "the extra file's mode is hashed"
expect_eq "$(tar -tf "${cli}/t.tar" | tr '\n' ' ')" \
  "Dockerfile bin/tool rootfs.tar.zst setup.sh " "the CLI's tar holds every file"
expect_eq "$(tar -tf "${bzl}/t.tar" | tr '\n' ' ')" "Dockerfile setup.sh " \
  "the context tar leaves the extra files out"
size="$(stat -c %s "${bzl}/t.tar")"
[[ "${size}" -lt 100000 ]] && pass "the context tar is small (${size} bytes)" ||
  fail "the context tar holds the extra file's bytes (${size} bytes)"

# .dockerignore that drops an extra file.
printf 'rootfs.*\n' >"${execroot}/images/base/.dockerignore"
printf 'images/base/.dockerignore\n' >>"${execroot}/list"
rc=0
err="$(cd "${execroot}" && "${CTXHASH}" --root=. --context=images/base --file_list=list \
  --extra_file=rootfs.tar.zst=bazel-out/bin/images/bookworm_rootfs.tar.zst 2>&1 >/dev/null)" || rc=$?
expect_eq "${rc}" 1 "a dropped extra file is an error"
expect_eq "${err}" \
  "ctxhash: images/base/.dockerignore drops the extra file rootfs.tar.zst (bazel-out/bin/images/bookworm_rootfs.tar.zst): the build would receive a file that is not in its context; remove it from extra_files or from .dockerignore" \
  "the message names the file and the fix"
rm "${execroot}/images/base/.dockerignore"
printf 'images/base/Dockerfile\nimages/base/setup.sh\n' >"${execroot}/list"

# A path that leaves the folder.
rc=0
err="$(cd "${execroot}" && "${CTXHASH}" --root=. --context=images/base --file_list=list \
  --extra_file=../x=bazel-out/bin/images/tool 2>&1 >/dev/null)" || rc=$?
expect_eq "${rc}" 1 "an extra file outside the folder is an error"
expect_eq "${err}" \
  'ctxhash: extra file "../x" (bazel-out/bin/images/tool): not a path inside the image folder; write it relative to the folder, without empty, "." or ".." components' \
  "the message names the path"

# Usage errors.
rc=0
err="$("${CTXHASH}" --root="${repo}" --context=images/base \
  --extra_file=x=/etc/hostname 2>&1 >/dev/null)" || rc=$?
expect_eq "${rc}" 2 "--extra_file without --file_list is a usage error"
expect_eq "${err}" \
  "ctxhash: --extra_file=x=/etc/hostname: extra files are Bazel-built; give them with --file_list (see --help)" \
  "the message says why"
rc=0
err="$(cd "${execroot}" && "${CTXHASH}" --root=. --context=images/base --file_list=list \
  --extra_file=rootfs.tar.zst 2>&1 >/dev/null)" || rc=$?
expect_eq "${rc}" 2 "--extra_file without a file is a usage error"
expect_eq "${err}" "ctxhash: --extra_file=rootfs.tar.zst: expected PATH=FILE (see --help)" \
  "the message shows the expected form"
