#!/usr/bin/env bash
# Every bad input: exit code, the exact message, and no output left behind.
# shellcheck source=tests/ctxhash/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/ctxhash/testlib.sh"

# expect_error NAME CODE MESSAGE ROOT CONTEXT [FLAGS...]: runs ctxhash with
# all three outputs requested and checks exit CODE, stderr == MESSAGE (one
# line), empty stdout, and an empty output directory afterwards.
expect_error() {
  local name="$1" code="$2" message="$3" root="$4" context="$5"
  shift 5
  local out
  out="$(new_dir)"
  local rc=0
  "${CTXHASH}" --root="${root}" --context="${context}" \
    --manifest="${out}/m" --tar="${out}/t.tar" --hash_out="${out}/h" "$@" \
    >"${out}.stdout" 2>"${out}.stderr" || rc=$?
  expect_eq "${rc}" "${code}" "${name}: exit code"
  expect_eq "$(head -n 1 "${out}.stderr")" "${message}" "${name}: message"
  expect_eq "$(cat "${out}.stdout")" "" "${name}: nothing on stdout"
  expect_eq "$(ls -A "${out}")" "" "${name}: no output left behind"
}

# expect_error_start NAME START ROOT CONTEXT [FLAGS...]: like expect_error
# with exit code 1, for messages whose tail is the Dockerfile parser's
# wording: stderr must start with START.
expect_error_start() {
  local name="$1" start="$2" root="$3" context="$4"
  shift 4
  local out
  out="$(new_dir)"
  local rc=0
  "${CTXHASH}" --root="${root}" --context="${context}" \
    --manifest="${out}/m" --tar="${out}/t.tar" --hash_out="${out}/h" "$@" \
    >"${out}.stdout" 2>"${out}.stderr" || rc=$?
  expect_eq "${rc}" 1 "${name}: exit code"
  local message
  message="$(head -n 1 "${out}.stderr")"
  [[ "${message}" == "${start}"* ]] && pass "${name}: message" ||
    fail "${name}: message [${message}] does not start with [${start}]"
  expect_eq "$(cat "${out}.stdout")" "" "${name}: nothing on stdout"
  expect_eq "$(ls -A "${out}")" "" "${name}: no output left behind"
}

# new_repo: a repository with img/Dockerfile holding printf FORMAT $1.
new_repo() {
  repo="$(new_dir)"
  put "${repo}/img/Dockerfile" "$1"
}

new_repo 'FROM scratch\n# %%include /etc/passwd\n'
expect_error "absolute include" 1 \
  "ctxhash: ${repo}/img/Dockerfile:2: # %include /etc/passwd is absolute: write the path relative to the repository root" \
  "${repo}" img

new_repo 'FROM scratch\n# %%include recipes/../../outside\n'
expect_error "include leaving the repository" 1 \
  "ctxhash: ${repo}/img/Dockerfile:2: # %include recipes/../../outside leaves the repository: includes must name files inside it" \
  "${repo}" img

new_repo 'FROM scratch\n\n# %%include recipes/missing.sh\n'
expect_error "missing include" 1 \
  "ctxhash: ${repo}/img/Dockerfile:3: %include recipes/missing.sh does not exist (${repo}/recipes/missing.sh); fix the path (it is relative to the repository root)" \
  "${repo}" img

new_repo 'FROM scratch\n# %%include escape\n'
ln -s /etc "${repo}/escape"
expect_error "include through a symlink leaving the repository" 1 \
  "ctxhash: ${repo}/img/Dockerfile:2: %include escape leads outside the repository through a symlink (to /etc); include a path whose files are inside the repository" \
  "${repo}" img

new_repo 'FROM scratch\n'
ln -s /etc/hostname "${repo}/img/host"
expect_error "symlink leaving the repository" 1 \
  "ctxhash: ${repo}/img/host: symlink leads outside the repository (to /etc/hostname); copy the file into the repository or point the link inside it" \
  "${repo}" img

new_repo 'FROM scratch\n'
ln -s ../nowhere "${repo}/img/dangling"
expect_error "dangling symlink" 1 \
  "ctxhash: ${repo}/img/dangling: symlink is dangling (its target ../nowhere does not exist); fix the link or remove it" \
  "${repo}" img

new_repo 'FROM scratch\n'
ln -s loop2 "${repo}/img/loop1"
ln -s loop1 "${repo}/img/loop2"
expect_error "symlink loop" 1 \
  "ctxhash: ${repo}/img/loop1: symlink loops (it resolves to itself through other links); point it at a real file or remove it" \
  "${repo}" img

new_repo 'FROM scratch\n'
mkdir -p "${repo}/img/sub"
ln -s .. "${repo}/img/sub/up"
expect_error "directory symlink loop" 1 \
  "ctxhash: ${repo}/img/sub/up: symlink loops back to a directory that contains it; remove the link" \
  "${repo}" img

new_repo 'FROM scratch\n'
put "${repo}/img/tool" 'x'
chmod 4755 "${repo}/img/tool"
expect_error "setuid file" 1 \
  "ctxhash: ${repo}/img/tool: has the setuid or setgid bit, which the context cannot carry; clear it (chmod ug-s) and set it in the Dockerfile if needed" \
  "${repo}" img

new_repo 'FROM scratch\n'
put "${repo}/img/tool" 'x'
chmod 2644 "${repo}/img/tool"
expect_error "setgid file" 1 \
  "ctxhash: ${repo}/img/tool: has the setuid or setgid bit, which the context cannot carry; clear it (chmod ug-s) and set it in the Dockerfile if needed" \
  "${repo}" img

new_repo 'FROM scratch\n'
mkfifo "${repo}/img/pipe"
expect_error "fifo" 1 \
  "ctxhash: ${repo}/img/pipe: is not a regular file (a fifo, socket or device); contexts hold only regular files: remove it or list it in .dockerignore" \
  "${repo}" img

# ... but an ignored fifo is fine.
put "${repo}/img/.dockerignore" 'pipe\n'
"${CTXHASH}" --root="${repo}" --context=img >/dev/null && pass "ignored fifo is skipped" ||
  fail "an ignored fifo must be skipped"

new_repo 'FROM scratch\n'
put "${repo}/img/two
lines" 'x'
out="$(new_dir)"
rc=0
"${CTXHASH}" --root="${repo}" --context=img --manifest="${out}/m" 2>"${out}.err" >/dev/null || rc=$?
expect_eq "${rc}" 1 "newline in a path: exit code"
expect_eq "$(cat "${out}.err")" \
  "ctxhash: ${repo}/img/two
lines: path contains a newline, which the manifest cannot hold; rename it" \
  "newline in a path: message"
expect_eq "$(ls -A "${out}")" "" "newline in a path: no output"

new_repo 'FROM scratch\n'
bad_name="$(printf 'bad\377name')"
put "${repo}/img/${bad_name}" 'x'
expect_error "invalid UTF-8 in a path" 1 \
  "ctxhash: ${repo}/img/${bad_name}: path is not valid UTF-8; rename it" \
  "${repo}" img

new_repo 'FROM scratch\n# %%include lib\n'
put "${repo}/img/topsrcdir/lib/a.sh" 'mine\n'
put "${repo}/lib/a.sh" 'theirs\n'
expect_error "two different files at one path" 1 \
  "ctxhash: topsrcdir/lib/a.sh: two different files at one path in the context (${repo}/img/topsrcdir/lib/a.sh and ${repo}/lib/a.sh); rename the folder in the image folder or drop the %include" \
  "${repo}" img

repo="$(new_dir)"
put "${repo}/img/README" 'no Dockerfile here\n'
expect_error "no Dockerfile" 1 \
  "ctxhash: ${repo}/img: no Dockerfile in the image folder; every image folder needs one" \
  "${repo}" img

new_repo 'FROM scratch\n'
other="$(new_dir)"
expect_error "image folder outside the root" 1 \
  "ctxhash: ${repo}/img: image folder is outside the repository root ${other}; pass the root that contains it as --root" \
  "${other}" "${repo}/img"

new_repo 'FROM scratch\n'
put "${repo}/img/.dockerignore" 'ok\nsrc/[a-\n'
expect_error "malformed .dockerignore" 1 \
  "ctxhash: ${repo}/img/.dockerignore:2: pattern \"src/[a-\" is malformed: '[' has no matching ']'" \
  "${repo}" img

new_repo 'FROM scratch\n'
expect_error "malformed parent hash" 1 \
  "ctxhash: parent base: hash \"abc\" is not a context hash (64 lowercase hex digits)" \
  "${repo}" img --parent=base=abc

# Unreadable file. Tests run as root, which reads any mode-000 file, so use
# a file the kernel refuses even to root: a write-only sysctl. A context file
# may resolve into Bazel's output tree (built files), wherever that really
# is, so an output tree that is /proc/sys/vm stands for one holding such a
# file.
unreadable=/proc/sys/vm/drop_caches
if [[ -f "${unreadable}" ]] && ! cat "${unreadable}" >/dev/null 2>&1; then
  new_repo 'FROM scratch\n'
  ln -s "$(dirname "${unreadable}")" "${repo}/bazel-out"
  ln -s "../bazel-out/$(basename "${unreadable}")" "${repo}/img/secret"
  printf 'img/Dockerfile\nimg/secret\n' >"${repo}/list"
  out="$(new_dir)"
  rc=0
  (cd "${repo}" && "${CTXHASH}" --root=. --context=img --file_list=list \
    --manifest="${out}/m" --tar="${out}/t" --hash_out="${out}/h") \
    2>"${out}.err" >/dev/null || rc=$?
  expect_eq "${rc}" 1 "unreadable file: exit code"
  expect_eq "$(cat "${out}.err")" \
    "ctxhash: img/secret: cannot read: Permission denied; make the file readable or leave it out with .dockerignore" \
    "unreadable file: message"
  expect_eq "$(ls -A "${out}")" "" "unreadable file: no output"
else
  echo "SKIP unreadable file: ${unreadable} is missing or readable here"
fi

# Bazel mode: a file that resolves outside the repository (and outside
# Bazel's output tree) is refused with the CLI's message, before it is read;
# a symlink to another file of the repository is followed. The layout is
# Bazel's: the execution root links each top-level folder of the repository,
# and a sandbox links each declared file to its place in the execution root.
repo="$(new_dir)/repo"
put "${repo}/images/img/Dockerfile" 'FROM scratch\n'
put "${repo}/recipes/r.sh" 'r\n'
ln -s ../../recipes/r.sh "${repo}/images/img/inside"
ln -s /etc/hostname "${repo}/images/img/host"
execroot="$(new_dir)"
ln -s "${repo}/images" "${execroot}/images"
ln -s "${repo}/recipes" "${execroot}/recipes"
mkdir -p "${execroot}/bazel-out/bin"
sandbox="$(new_dir)"
mkdir -p "${sandbox}/images/img" "${sandbox}/bazel-out/bin"
for f in images/img/Dockerfile images/img/inside images/img/host; do
  ln -s "${execroot}/${f}" "${sandbox}/${f}"
done
bazel_mode() {  # LIST_LINES...: runs ctxhash in the sandbox on that list
  printf '%s\n' "$@" >"${execroot}/bazel-out/bin/list"
  ln -sfn "${execroot}/bazel-out/bin/list" "${sandbox}/bazel-out/bin/list"
  out="$(new_dir)"
  rc=0
  (cd "${sandbox}" && "${CTXHASH}" --root=. --context=images/img \
    --file_list=bazel-out/bin/list \
    --manifest="${out}/m" --tar="${out}/t" --hash_out="${out}/h") \
    2>"${out}.err" >/dev/null || rc=$?
}
bazel_mode images/img/Dockerfile images/img/inside
expect_eq "${rc}" 0 "Bazel mode: a symlink inside the repository is followed"
expect_eq "$(cut -d' ' -f1,3 "${out}/m" | grep inside)" "$(sha_of_text r$'\n') inside" \
  "Bazel mode: the linked file's content is hashed"
bazel_mode images/img/Dockerfile images/img/inside images/img/host
expect_eq "${rc}" 1 "Bazel mode: symlink to a host file: exit code"
expect_eq "$(cat "${out}.err")" \
  "ctxhash: images/img/host: symlink leads outside the repository (to /etc/hostname); copy the file into the repository or point the link inside it" \
  "Bazel mode: symlink to a host file: message"
expect_eq "$(ls -A "${out}")" "" "Bazel mode: symlink to a host file: no output"
# A Dockerfile linking to a host file is refused before it is read, so no
# parse error quotes the file.
rm "${repo}/images/img/Dockerfile"
ln -s /etc/passwd "${repo}/images/img/Dockerfile"
bazel_mode images/img/Dockerfile
expect_eq "$(cat "${out}.err")" \
  "ctxhash: images/img/Dockerfile: symlink leads outside the repository (to /etc/passwd); copy the file into the repository or point the link inside it" \
  "Bazel mode: a Dockerfile linking to a host file"
# The same in the CLI.
expect_error "CLI: a Dockerfile linking to a host file" 1 \
  "ctxhash: ${repo}/images/img/Dockerfile: symlink leads outside the repository (to /etc/passwd); copy the file into the repository or point the link inside it" \
  "${repo}" images/img

# Bazel mode: a listed file that does not exist, an undeclared include.
new_repo 'FROM scratch\n# %%include lib/a.sh\n'
put "${repo}/lib/a.sh" 'a\n'
printf 'img/Dockerfile\nimg/gone.txt\nlib/a.sh\n' >"${repo}/list"
out="$(new_dir)"
rc=0
(cd "${repo}" && "${CTXHASH}" --root=. --context=img --file_list=list \
  --manifest="${out}/m" --tar="${out}/t" --hash_out="${out}/h") 2>"${out}.err" >/dev/null || rc=$?
expect_eq "${rc}" 1 "missing listed file: exit code"
expect_eq "$(cat "${out}.err")" \
  "ctxhash: img/gone.txt: does not exist (a dangling symlink, or removed while being read)" \
  "missing listed file: message"
expect_eq "$(ls -A "${out}")" "" "missing listed file: no output"

printf 'img/Dockerfile\n' >"${repo}/list"
rc=0
(cd "${repo}" && "${CTXHASH}" --root=. --context=img --file_list=list \
  --manifest="${out}/m" --tar="${out}/t" --hash_out="${out}/h") 2>"${out}.err" >/dev/null || rc=$?
expect_eq "${rc}" 1 "undeclared include: exit code"
expect_eq "$(cat "${out}.err")" \
  'ctxhash: img/Dockerfile:2: %include lib/a.sh is not among the target'"'"'s declared inputs; add it to the `includes` attribute of the image target' \
  "undeclared include: message"
expect_eq "$(ls -A "${out}")" "" "undeclared include: no output"

# The Dockerfile against its references (what the generator recorded) and
# the declared parents: nothing is resolved by guessing.
stale="the BUILD file is stale: regenerate it (bazel run the tree's update target, e.g. //images:update)"
new_repo 'FROM scratch AS build\nRUN true\nFROM base-build\nCOPY --from=build /x /x\n'
expect_error "FROM missing from the references" 1 \
  "ctxhash: ${repo}/img/Dockerfile:3: FROM base-build is not among the image's references (the \`references\` attribute, keyed by the reference as written after ARG expansion): ${stale}" \
  "${repo}" img --parent="base-build=$(sha_of_text base)"

new_repo 'FROM base\nCOPY --from=tools /t /t\n'
expect_error "COPY --from missing from the references" 1 \
  "ctxhash: ${repo}/img/Dockerfile:2: COPY --from=tools is not among the image's references (the \`references\` attribute, keyed by the reference as written after ARG expansion): ${stale}" \
  "${repo}" img --parent="base=$(sha_of_text base)" --reference=base=:base

new_repo 'FROM base\n'
expect_error "a reference the Dockerfile never uses" 1 \
  "ctxhash: ${repo}/img/Dockerfile: the references list \"tools\" (-> :tools), which the Dockerfile never names: ${stale}" \
  "${repo}" img --parent="base=$(sha_of_text base)" --reference=base=:base --reference=tools=:tools

expect_error "a parent no reference names" 1 \
  "ctxhash: ${repo}/img/Dockerfile: parent \"y\" is declared but neither the image's references nor its declared parent name it; remove it" \
  "${repo}" img --parent="y=$(sha_of_text y)" --parent="base=$(sha_of_text base)" --reference=base=:base

expect_error "a referenced parent without a hash" 1 \
  "ctxhash: ${repo}/img/Dockerfile: the image's references name the in-tree image base, but no hash of it was given: declare \":base\" as a parent (docker_image derives its parents from its references and parent)" \
  "${repo}" img --reference=base=:base

new_repo 'ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n'
expect_error "\$DOCKER_IMAGE_PARENT without a declared parent" 1 \
  "ctxhash: ${repo}/img/Dockerfile:2: FROM \$DOCKER_IMAGE_PARENT but the image declares no parent: set parent on the docker_image target" \
  "${repo}" img --reference='$DOCKER_IMAGE_PARENT=:base' --parent="base=$(sha_of_text base)"

# A Dockerfile syntax error surfaces with file:line (the wording is the
# parser's).
new_repo 'FROM scratch\nFROB x\n'
expect_error_start "Dockerfile syntax error" \
  "ctxhash: ${repo}/img/Dockerfile:2: unknown instruction \"FROB\"" "${repo}" img

# The registry form is in-tree only when the map says so; a REGISTRY file
# changes nothing (the generator, which sees the tree, decided).
repo="$(new_dir)"
put "${repo}/images/img/Dockerfile" 'FROM localhost:5000/tree/base:1.0\n'
put "${repo}/images/REGISTRY" 'localhost:5000/tree\n'
expect_error_start "the registry form without its reference" \
  "ctxhash: ${repo}/images/img/Dockerfile:1: FROM localhost:5000/tree/base:1.0 is not among the image's references" \
  "${repo}" images/img --parent="base=$(sha_of_text base)"
tree_hash="$("${CTXHASH}" --root="${repo}" --context=images/img --parent="base=$(sha_of_text base)" \
  --reference=localhost:5000/tree/base:1.0=:base)"
[[ "${tree_hash}" =~ ^[0-9a-f]{64}$ ]] && pass "the map makes the registry form in-tree" ||
  fail "the map's registry form: got [${tree_hash}]"
printf 'images/img/Dockerfile\n' >"${repo}/list"
printf '%s\n' "$(sha_of_text base)" >"${repo}/base.hash"
bazel_hash="$(cd "${repo}" && "${CTXHASH}" --root=. --context=images/img --file_list=list \
  --parent_hash_file=base=base.hash --reference=localhost:5000/tree/base:1.0=:base)"
expect_eq "${bazel_hash}" "${tree_hash}" "Bazel mode agrees with the CLI"
expect_error "a target that is neither in-tree nor pinned" 2 \
  "ctxhash: reference localhost:5000/tree/base:1.0 -> \"localhost:5000/tree/base:1.0\": the target must be \":NAME\" (an in-tree image) or a reference pinned by digest (REPOSITORY@sha256:<64 lowercase hex digits>) (see --help)" \
  "${repo}" images/img --reference=localhost:5000/tree/base:1.0=localhost:5000/tree/base:1.0
expect_error "a reference given twice" 2 \
  "ctxhash: --reference=base=:base: the reference is given twice (see --help)" \
  "${repo}" images/img --reference=base=:base --reference=base=:base

# Usage errors exit 2.
new_repo 'FROM scratch\n'
expect_error "unknown flag" 2 "ctxhash: unknown flag --colour (see --help)" "${repo}" img --colour=no
expect_error "missing --context" 2 "ctxhash: --context=F (the image folder) is required (see --help)" "${repo}" ""
expect_error "malformed --build_arg" 2 "ctxhash: --build_arg=NOVALUE: expected K=V (see --help)" \
  "${repo}" img --build-arg=NOVALUE
expect_error "stray argument" 2 \
  "ctxhash: unexpected argument \"extra\"; every input is a flag (see --help)" "${repo}" img extra
help="$("${CTXHASH}" --help)"
[[ "${help}" == *"Exit codes:"*"2  usage error"* ]] && pass "--help documents exit codes" ||
  fail "--help does not document exit codes: ${help}"

