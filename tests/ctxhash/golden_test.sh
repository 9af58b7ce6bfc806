#!/usr/bin/env bash
# Golden vectors: the expected manifest text is written with printf and the
# expected hashes computed with coreutils sha256sum, never with ctxhash.
# shellcheck source=tests/ctxhash/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/ctxhash/testlib.sh"

# check NAME ROOT CONTEXT EXPECTED_MANIFEST [EXTRA_FLAGS...]
check() {
  local name="$1" root="$2" context="$3" expected="$4"
  shift 4
  local out
  out="$(new_dir)"
  local printed
  printed="$("${CTXHASH}" --root="${root}" --context="${context}" \
    --manifest="${out}/manifest" --hash_out="${out}/hash" "$@")"
  expect_eq "$(cat "${out}/manifest"; printf x)" "${expected}" "${name}: manifest"
  local want
  want="$(printf '%s' "${expected%x}" | sha256sum | cut -d' ' -f1)"
  expect_eq "${printed}" "${want}" "${name}: printed hash"
  expect_eq "$(cat "${out}/hash")" "${want}" "${name}: --hash_out"
}

# 1. A single-file context.
repo="$(new_dir)"
put "${repo}/img/Dockerfile" 'FROM scratch\n'
d="$(printf 'FROM scratch\n' | sha256sum | cut -d' ' -f1)"
check "single file" "${repo}" img "$(printf '%s 644 Dockerfile\n' "${d}"; printf x)"

# 2. Several files, one executable, nested folders, bytewise path order:
#    "B" < "Dockerfile" < "a.txt" < "a/b" ('.' is 0x2e, '/' is 0x2f).
repo="$(new_dir)"
put "${repo}/img/Dockerfile" 'FROM scratch\nCOPY . /\n'
put "${repo}/img/a.txt" 'alpha\n'
put "${repo}/img/a/b" 'nested'
put "${repo}/img/B" ''
put "${repo}/img/run.sh" '#!/bin/sh\necho hi\n'
chmod 0755 "${repo}/img/run.sh"
chmod 0600 "${repo}/img/a.txt"
expected="$(
  printf '%s 644 B\n' "$(printf '' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 Dockerfile\n' "$(printf 'FROM scratch\nCOPY . /\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 a.txt\n' "$(printf 'alpha\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 a/b\n' "$(printf 'nested' | sha256sum | cut -d' ' -f1)"
  printf '%s 755 run.sh\n' "$(printf '#!/bin/sh\necho hi\n' | sha256sum | cut -d' ' -f1)"
  printf x
)"
check "several files with an executable" "${repo}" img "${expected}"

# 3. .dockerignore: wildcards, a directory, an exception inside it, and a
#    Dockerfile that a pattern matches but that is kept anyway.
repo="$(new_dir)"
put "${repo}/img/Dockerfile" 'FROM scratch\n'
put "${repo}/img/.dockerignore" '# build output\n*.log\nbuild\n!build/keep.txt\n**/*.tmp\nDocker*\n'
put "${repo}/img/app.py" 'print(1)\n'
put "${repo}/img/debug.log" 'x'
put "${repo}/img/build/out.o" 'x'
put "${repo}/img/build/keep.txt" 'keep\n'
put "${repo}/img/src/deep/x.tmp" 'x'
put "${repo}/img/src/deep/x.log" 'sub-directory logs are not matched by *.log\n'
expected="$(
  printf '%s 644 .dockerignore\n' "$(printf '# build output\n*.log\nbuild\n!build/keep.txt\n**/*.tmp\nDocker*\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 Dockerfile\n' "$(printf 'FROM scratch\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 app.py\n' "$(printf 'print(1)\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 build/keep.txt\n' "$(printf 'keep\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 src/deep/x.log\n' "$(printf 'sub-directory logs are not matched by *.log\n' | sha256sum | cut -d' ' -f1)"
  printf x
)"
check "dockerignore" "${repo}" img "${expected}"

# 4. %include of a file and of a directory (nested paths kept).
repo="$(new_dir)"
put "${repo}/img/Dockerfile" 'FROM scratch\n# %%include tools/setup.sh\n# %%include recipes\n'
put "${repo}/tools/setup.sh" 'setup\n'
chmod 0755 "${repo}/tools/setup.sh"
put "${repo}/recipes/common.sh" 'common\n'
put "${repo}/recipes/lib/deep.sh" 'deep\n'
put "${repo}/unrelated.txt" 'not included\n'
expected="$(
  printf '%s 644 Dockerfile\n' "$(printf 'FROM scratch\n# %%include tools/setup.sh\n# %%include recipes\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 topsrcdir/recipes/common.sh\n' "$(printf 'common\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 topsrcdir/recipes/lib/deep.sh\n' "$(printf 'deep\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 755 topsrcdir/tools/setup.sh\n' "$(printf 'setup\n' | sha256sum | cut -d' ' -f1)"
  printf x
)"
check "include of a file and a directory" "${repo}" img "${expected}"

# 5. Parent lines (in the order the Dockerfile first names the parents, not
#    the order of the flags) and build arguments (sorted by name).
repo="$(new_dir)"
put "${repo}/img/Dockerfile" 'FROM zeta-base\nCOPY --from=alpha-tools /bin/t /bin/t\nCOPY --from=zeta-base /x /x\n'
p1="$(printf 'parent one' | sha256sum | cut -d' ' -f1)"
p2="$(printf 'parent two' | sha256sum | cut -d' ' -f1)"
expected="$(
  printf '%s 644 Dockerfile\n' "$(printf 'FROM zeta-base\nCOPY --from=alpha-tools /bin/t /bin/t\nCOPY --from=zeta-base /x /x\n' | sha256sum | cut -d' ' -f1)"
  printf 'parent %s zeta-base\n' "${p1}"
  printf 'parent %s alpha-tools\n' "${p2}"
  printf 'arg A=1\n'
  printf 'arg B=x=y z\n'
  printf 'arg VERSION=\n'
  printf x
)"
refs=(--reference=zeta-base=:zeta-base --reference=alpha-tools=:alpha-tools)
check "parents and build args" "${repo}" img "${expected}" "${refs[@]}" \
  --parent="zeta-base=${p1}" --parent="alpha-tools=${p2}" \
  --build_arg=VERSION= --build-arg="B=x=y z" --build_arg=A=1
check "parents given in the other order" "${repo}" img "${expected}" "${refs[@]}" \
  --parent="alpha-tools=${p2}" --parent="zeta-base=${p1}" \
  --build_arg=VERSION= --build-arg="B=x=y z" --build_arg=A=1

# 6. The worked example of docs/context-hash.md, whose printed numbers must
#    stay true.
repo="$(new_dir)"
put "${repo}/images/hello/Dockerfile" 'FROM base\n# %%include recipes/greet.sh\nARG GREETING\nCOPY topsrcdir/recipes/greet.sh /usr/local/bin/greet\n'
put "${repo}/images/hello/.dockerignore" '*.md\n'
put "${repo}/images/hello/NOTES.md" 'notes\n'
put "${repo}/images/hello/motd" 'hello\n'
put "${repo}/recipes/greet.sh" '#!/bin/sh\necho "${GREETING:-hello}"\n'
chmod 0755 "${repo}/recipes/greet.sh"
base=5d2f1c8bd9a67a1f0fbd03ee40f1e4af3db0a1e2b8c0e5f3e1e0b8f1b0f4b1a2
expected="$(
  printf '%s 644 .dockerignore\n' "$(printf '*.md\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 Dockerfile\n' "$(printf 'FROM base\n# %%include recipes/greet.sh\nARG GREETING\nCOPY topsrcdir/recipes/greet.sh /usr/local/bin/greet\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 644 motd\n' "$(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
  printf '%s 755 topsrcdir/recipes/greet.sh\n' "$(printf '#!/bin/sh\necho "${GREETING:-hello}"\n' | sha256sum | cut -d' ' -f1)"
  printf 'parent %s base\narg GREETING=hi\n' "${base}"
  printf x
)"
check "docs worked example" "${repo}" images/hello "${expected}" \
  --parent="base=${base}" --reference=base=:base --build_arg=GREETING=hi
expect_eq "$(printf '%s' "${expected%x}" | sha256sum | cut -d' ' -f1)" \
  99e9fa9667dc7c161c9b76fc6a73b7baa6717c4015e0db1ddf7d6677ea5f7969 \
  "docs worked example: the hash printed in docs/context-hash.md"


# The page's command itself, in that repository (ctxhash in place of
# `bazel run //tools/ctxhash --`, the manifest under TEST_TMPDIR), prints the
# number the page shows after it.
doc_command docs/context-hash.md 'bazel run //tools/ctxhash --'
command="$(sed -e 's#^bazel run //tools/ctxhash --#"${CTXHASH}"#' \
  -e "s#/tmp/hello.manifest#${TEST_TMPDIR}/hello.manifest#" <<<"${doc_line}")"
printed="$(cd "${repo}" && eval "${command}")"
expect_contains "$(cat "$(doc_file docs/context-hash.md)")" "prints \`${printed}\`." \
  "the page shows what its command prints"
expect_eq "${printed}" 99e9fa9667dc7c161c9b76fc6a73b7baa6717c4015e0db1ddf7d6677ea5f7969 \
  "the page's command prints the worked example's hash"
