#!/usr/bin/env bash
# The CLI and the Bazel mode (file list, sandbox-like symlinks) give the
# same hash, manifest and tar; the tar reads back with GNU tar.
# shellcheck source=tests/ctxhash/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/ctxhash/testlib.sh"

repo="$(new_dir)/repo"
put "${repo}/images/app/Dockerfile" 'FROM base\n# %%include recipes\n# %%include tools/x.sh\n'
put "${repo}/images/app/.dockerignore" '*.log\n'
put "${repo}/images/app/src/main.py" 'print("hi")\n'
put "${repo}/images/app/entry.sh" '#!/bin/sh\n'
chmod 0755 "${repo}/images/app/entry.sh"
put "${repo}/images/app/debug.log" 'dropped\n'
long="$(printf 'l%.0s' $(seq 1 130))"
put "${repo}/images/app/deep/${long}/${long}.txt" 'long path\n'
put "${repo}/recipes/a.sh" 'a\n'
put "${repo}/recipes/sub/b.sh" 'b\n'
put "${repo}/tools/x.sh" 'x\n'
put "${repo}/tools/y.sh" 'not included\n'
parent="$(sha_of_text base)"

cli="$(new_dir)"
cli_hash="$("${CTXHASH}" --root="${repo}" --context=images/app \
  --parent="base=${parent}" --reference=base=:base --build-arg=V=1 \
  --manifest="${cli}/m" --tar="${cli}/t.tar" --hash_out="${cli}/h")"

# Bazel's layout: the execution root links each top-level folder of the
# repository, and a sandbox links each declared file (and the file list, an
# output of an earlier action) to its place in the execution root.
execroot="$(new_dir)"
for top in images recipes tools; do ln -s "${repo}/${top}" "${execroot}/${top}"; done
mkdir -p "${execroot}/bazel-out"
(cd "${repo}" && find . -type f | sed 's|^\./||') >"${execroot}/bazel-out/all"
grep -v '^tools/y.sh$' "${execroot}/bazel-out/all" >"${execroot}/bazel-out/list"
sandbox="$(new_dir)"
while IFS= read -r f; do
  mkdir -p "${sandbox}/$(dirname "${f}")"
  ln -s "${execroot}/${f}" "${sandbox}/${f}"
done <"${execroot}/bazel-out/list"
mkdir -p "${sandbox}/bazel-out"
ln -s "${execroot}/bazel-out/list" "${sandbox}/bazel-out/list"
printf '%s\n' "${parent}" >"${sandbox}/base.hash"
bzl="$(new_dir)"
bzl_hash="$(cd "${sandbox}" && "${CTXHASH}" --root=. --context=images/app \
  --file_list=bazel-out/list --parent_hash_file=base=base.hash --build_arg=V=1 \
  --reference=base=:base \
  --manifest="${bzl}/m" --tar="${bzl}/t.tar" --hash_out="${bzl}/h")"

expect_eq "${bzl_hash}" "${cli_hash}" "Bazel mode hash equals CLI hash"
expect_eq "$(cat "${bzl}/h")" "${cli_hash}" "hash file holds the printed hash"
cmp -s "${cli}/m" "${bzl}/m" && pass "manifests identical" || fail "manifests differ"
cmp -s "${cli}/t.tar" "${bzl}/t.tar" && pass "tars identical" || fail "tars differ"
expect_eq "$(sha256sum "${cli}/m" | cut -d' ' -f1)" "${cli_hash}" \
  "hash is sha256 of the manifest"

# A staged root below the execroot (how the rule places Bazel-built files):
# Bazel's symlink actions link each staged source straight to the source
# tree, and --source_root names the repository they belong to. Listed paths
# start with the root, messages still name the image folder.
staged="$(new_dir)"
for top in images recipes tools; do ln -s "${repo}/${top}" "${staged}/${top}"; done
while IFS= read -r f; do
  mkdir -p "${staged}/out/stage/$(dirname "${f}")"
  ln -s "${repo}/${f}" "${staged}/out/stage/${f}"
  [[ "${f}" == tools/y.sh ]] || printf 'out/stage/%s\n' "${f}" >>"${staged}/list"
done <"${execroot}/bazel-out/all"
printf '%s\n' "${parent}" >"${staged}/base.hash"
staged_hash="$(cd "${staged}" && "${CTXHASH}" --root=out/stage --source_root=. \
  --context=images/app --file_list=list --parent_hash_file=base=base.hash \
  --reference=base=:base --build_arg=V=1)"
expect_eq "${staged_hash}" "${cli_hash}" "staged-root Bazel mode hash equals CLI hash"
ln -s /etc/hostname "${staged}/out/stage/images/app/host"
echo out/stage/images/app/host >>"${staged}/list"
err="$(cd "${staged}" && "${CTXHASH}" --root=out/stage --source_root=. \
  --context=images/app --file_list=list --parent_hash_file=base=base.hash \
  --reference=base=:base 2>&1 >/dev/null || true)"
expect_eq "${err}" \
  "ctxhash: images/app/host: symlink leads outside the repository (to /etc/hostname); copy the file into the repository or point the link inside it" \
  "staged-root symlink to a host file is refused"
sed -i '/host$/d' "${staged}/list"
grep -v 'tools/x.sh' "${staged}/list" >"${staged}/short"
err="$(cd "${staged}" && "${CTXHASH}" --root=out/stage --source_root=. \
  --context=images/app --file_list=short --parent_hash_file=base=base.hash --reference=base=:base \
  2>&1 >/dev/null || true)"
expect_eq "${err}" \
  'ctxhash: images/app/Dockerfile:3: %include tools/x.sh is not among the target'"'"'s declared inputs; add it to the `includes` attribute of the image target' \
  "staged-root undeclared include names the image folder"

# The tar: sorted like the manifest, regular files only, root-owned, mtime 0.
expect_eq "$(tar -tf "${cli}/t.tar")" \
  "$(cut -d' ' -f3- "${cli}/m" | grep -v '^base$' | sed -n '/^parent /!p' | grep -v '^arg ')" \
  "tar lists the manifest's paths in order"
listing="$(tar --numeric-owner --full-time -tvf "${cli}/t.tar")"
bad="$(printf '%s\n' "${listing}" | awk '$2 != "0/0" || $4 != "1970-01-01" || $5 != "00:00:00" || substr($1,1,1) != "-"')"
expect_eq "${bad}" "" "every member is a root-owned regular file with mtime 0"
modes="$(tar -tvf "${cli}/t.tar" | awk '{print $1, $NF}' | grep -E 'entry.sh|main.py')"
expect_eq "${modes}" "-rwxr-xr-x entry.sh
-rw-r--r-- src/main.py" "modes 0755/0644"
owners="$(tar -tv --quoting-style=literal -f "${cli}/t.tar" | awk '{print $2}' | sort -u)"
expect_eq "${owners}" "0/0" "uname/gname empty (tar prints numeric ids)"

# Extracting gives back exactly the hashed contents.
x="$(new_dir)"
tar -xf "${cli}/t.tar" -C "${x}"
(cd "${x}" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
  mode=644
  [[ -x "${f}" ]] && mode=755
  printf '%s %s %s\n' "$(sha256sum <"${f}" | cut -d' ' -f1)" "${mode}" "${f}"
done) >"${x}.manifest"
printf 'parent %s base\narg V=1\n' "${parent}" >>"${x}.manifest"
cmp -s "${x}.manifest" "${cli}/m" && pass "extracted tar rehashes to the manifest" ||
  fail "extracted tar differs: $(diff "${x}.manifest" "${cli}/m")"
[[ -f "${x}/deep/${long}/${long}.txt" ]] && pass "long path survives (PAX)" ||
  fail "long path missing after extraction"

