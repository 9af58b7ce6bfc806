#!/usr/bin/env bash
# Properties of the context hash: what must not change it and what must.
# shellcheck source=tests/ctxhash/testlib.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/ctxhash/testlib.sh"

# make_tree DIR ORDER: the same tree, files created in the given order
# ("forward" or "reverse") so that directory listing orders differ.
make_tree() {
  local dir="$1" order="$2"
  local files=(img/Dockerfile img/a.txt img/b/c.txt img/b/d.bin img/z.sh
    lib/x.sh lib/sub/y.sh)
  if [[ "${order}" == reverse ]]; then
    files=(lib/sub/y.sh lib/x.sh img/z.sh img/b/d.bin img/b/c.txt img/a.txt
      img/Dockerfile)
  fi
  local f
  for f in "${files[@]}"; do
    case "${f}" in
      # Names its declared parent, whatever it is called.
      img/Dockerfile) put "${dir}/${f}" 'ARG DOCKER_IMAGE_PARENT\nFROM ${DOCKER_IMAGE_PARENT}\n# %%include lib\n' ;;
      *) put "${dir}/${f}" 'content of %s\n' "${f}" ;;
    esac
  done
  chmod 0755 "${dir}/img/z.sh"
}

# hash_of ROOT FLAGS...: sets ${h} to the hash of ROOT/img; a failing ctxhash
# ends the test, so that no comparison passes on two failures.
hash_of() {
  local root="$1"
  shift
  h="$("${CTXHASH}" --root="${root}" --context=img "$@")" ||
    fail "ctxhash --root=${root} --context=img $* failed"
  [[ "${h}" =~ ^[0-9a-f]{64}$ ]] || fail "hash is not 64 lowercase hex digits: ${h}"
}

# parent_flags NAME HASH: the flags that make NAME the declared parent, which
# the Dockerfile's ${DOCKER_IMAGE_PARENT} names.
parent_flags() {
  printf '%s\n' "--parent=$1=$2" "--docker_image_parent=$1" \
    "--reference=\${DOCKER_IMAGE_PARENT}=:$1"
}

parent="$(sha_of_text parent)"
mapfile -t args < <(parent_flags base "${parent}")
args+=(--build_arg=V=1)

repo="$(new_dir)"
make_tree "${repo}" forward
hash_of "${repo}" "${args[@]}"
h0="${h}"

# --- Must not change the hash ---
touch -d '2001-02-03 04:05:06' "${repo}/img/a.txt" "${repo}/lib/x.sh" "${repo}/img/b"
hash_of "${repo}" "${args[@]}"
expect_eq "${h}" "${h0}" "mtimes do not matter"

chmod g+w,o-r "${repo}/img/a.txt"
chmod g+x,o+x "${repo}/img/b/c.txt"  # group/other exec, owner exec unset
chmod go-rx "${repo}/img/z.sh"
hash_of "${repo}" "${args[@]}"
expect_eq "${h}" "${h0}" \
  "group/other permission bits do not matter"

reversed="$(new_dir)"
make_tree "${reversed}" reverse
hash_of "${reversed}" "${args[@]}"
expect_eq "${h}" "${h0}" \
  "directory listing order does not matter"

moved="$(new_dir)/elsewhere/checkout"
mkdir -p "$(dirname "${moved}")"
cp -a "${repo}" "${moved}"
(cd "${moved}" && hash_of . "${args[@]}" && echo "${h}") >"${moved}.hash"
expect_eq "$(cat "${moved}.hash")" "${h0}" \
  "checkout location does not matter"

mkdir -p "${repo}/img/empty/dir"
hash_of "${repo}" "${args[@]}"
expect_eq "${h}" "${h0}" \
  "empty directories do not matter"
rm -r "${repo}/img/empty"

expect_eq "$("${CTXHASH}" --root="${repo}" --context="${repo}/img" "${args[@]}" || echo failed)" "${h0}" \
  "relative and absolute --context agree"

# --- Must change the hash ---
# mutate DESCRIPTION COMMAND...: runs COMMAND on a fresh copy of the tree
# (in ${copy}) and checks the hash differs from h0.
mutate() {
  local what="$1"
  shift
  copy="$(new_dir)"
  make_tree "${copy}" forward
  "$@"
  hash_of "${copy}" "${args[@]}"
  expect_ne "${h}" "${h0}" "${what} changes the hash"
}
flip_byte() {  # flips one byte in the middle of a file
  printf 'content of img/b/c.tXt\n' >"${copy}/img/b/c.txt"
}
mutate "a content byte" flip_byte
mutate "an included file's content byte" eval 'printf "Content of lib/x.sh\n" >"${copy}/lib/x.sh"'
mutate "a path" eval 'mv "${copy}/img/a.txt" "${copy}/img/a2.txt"'
mutate "moving a file between folders" eval 'mv "${copy}/img/b/d.bin" "${copy}/img/d.bin"'
mutate "the owner exec bit" eval 'chmod u+x "${copy}/img/a.txt"'
mutate "a new file" eval 'put "${copy}/img/new" ""'
mutate "an include" eval 'put "${copy}/img/Dockerfile" "ARG DOCKER_IMAGE_PARENT\nFROM \${DOCKER_IMAGE_PARENT}\n"; put "${copy}/img/x" "# %%include lib\n"'
mutate "a new include line" eval 'printf "# %%include other\n" >>"${copy}/img/Dockerfile"; put "${copy}/other" "o"'

copy="$(new_dir)"
make_tree "${copy}" forward
hash_of "${copy}" "${args[@]}"
expect_eq "${h}" "${h0}" "fresh copy hashes the same"
mapfile -t other < <(parent_flags base "$(sha_of_text other)")
hash_of "${copy}" "${other[@]}" --build_arg=V=1
expect_ne "${h}" "${h0}" "a parent hash changes the hash"
mapfile -t other < <(parent_flags base2 "${parent}")
hash_of "${copy}" "${other[@]}" --build_arg=V=1
expect_ne "${h}" "${h0}" "a parent name changes the hash"
mapfile -t other < <(parent_flags base "${parent}")
hash_of "${copy}" "${other[@]}" --build_arg=V=2
expect_ne "${h}" "${h0}" "a build argument value changes the hash"
hash_of "${copy}" "${args[@]}" --build_arg=W=
expect_ne "${h}" "${h0}" "an extra build argument changes the hash"

# A declared parent the Dockerfile never names still counts (taskgraph's
# parent: is a dependency whatever the Dockerfile does).
put "${copy}/img/Dockerfile" 'FROM scratch\n# %%include lib\n'
hash_of "${copy}" --build_arg=V=1
without="${h}"
hash_of "${copy}" --parent="base=${parent}" --docker_image_parent=base --build_arg=V=1
expect_ne "${h}" "${without}" "a declared parent changes the hash"

put "${copy}/img/Dockerfile" 'FROM b\nCOPY --from=a /x /x\n'
refs=(--reference=a=:a --reference=b=:b)
hash_of "${copy}" "${refs[@]}" --parent="b=$(sha_of_text b)" --parent="a=${parent}"
first="${h}"
hash_of "${copy}" "${refs[@]}" --parent="a=${parent}" --parent="b=$(sha_of_text b)"
expect_eq "${h}" "${first}" "the order of --parent flags does not change the hash"
put "${copy}/img/Dockerfile" 'FROM scratch\n'
hash_of "${copy}" --build_arg=B=2 --build_arg=A=1
first="${h}"
hash_of "${copy}" --build_arg=A=1 --build_arg=B=2
expect_eq "${h}" "${first}" "build argument order does not change the hash"
