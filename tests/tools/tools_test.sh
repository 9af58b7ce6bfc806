#!/usr/bin/env bash
# Every tool against docs/tools.md: --help exits 0 and lists every flag its
# main.cc defines and the documented exit codes; an unknown flag exits 2 with
# the same message in every tool; an input error exits 1 with a message.
set -euo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles}/tests/lib/checks.sh"

doc="${runfiles}/docs/tools.md"
work="${TEST_TMPDIR}/work"
mkdir -p "${work}"
hash_a="$(printf a | sha256sum | cut -c1-64)"

# The meaning of exit code CODE in docs/tools.md's table, on one line.
documented() {
  awk -F' [|] ' -v code="$1" '$1 == "| " code { sub(/ [|]$/, "", $2); print $2 }' "${doc}"
}
# Text with runs of whitespace made single spaces.
squeeze() { tr -s ' \n' '  ' <<<"$1" | sed 's/^ //; s/ $//'; }

for code in 0 1 2 3; do
  [[ -n "$(documented "${code}")" ]] || fail "docs/tools.md documents no exit code ${code}"
done

# check_tool NAME BINARY MAIN_CC SAYS_NO -- INPUT_ERROR_ARGS...
check_tool() {
  local name="$1" binary="$2" main_cc="$3" says_no="$4"
  shift 5
  echo "== ${name}"
  run "${binary}" --help
  expect_rc 0 "${name} --help"
  expect_eq "${err}" "" "${name} --help: stderr"
  [[ "${out}" == "${name}: "* ]] || fail "${name} --help does not start with '${name}: ': ${out:0:80}"
  local flag
  for flag in $(sed -n 's/^ABSL_FLAG([^,]*, *\([a-z_0-9]*\),.*/\1/p' "${main_cc}"); do
    expect_contains "${out}" $'\n'"  --${flag}" "${name} --help lists --${flag}"
  done
  local codes
  codes="$(squeeze "${out#*$'\n'Exit codes:$'\n'}")"
  for code in 0 1 2; do
    expect_contains " ${codes}" " ${code} $(documented "${code}")" "${name} --help: exit code ${code}"
  done
  if [[ "${says_no}" == yes ]]; then
    expect_contains " ${codes}" " 3 " "${name} --help: exit code 3"
  else
    [[ " ${codes}" != *" 3 "* ]] || fail "${name} --help documents an exit code 3 it never uses: ${codes}"
  fi

  run "${binary}" --no-such-flag
  expect_rc 2 "${name} --no-such-flag"
  expect_eq "${err}" "${name}: unknown flag --no-such-flag (see --help)" "${name} --no-such-flag: message"

  run "${binary}" "$@"
  expect_rc 1 "${name} $*"
  [[ "${err}" == "${name}: "* ]] || fail "${name} $*: the message does not start with '${name}: ': ${err}"
  echo "   input error: ${err%%$'\n'*}"
}

tool() { echo "${runfiles}/tools/$1"; }

check_tool ctxhash "$(tool ctxhash/ctxhash)" "$(tool ctxhash/main.cc)" no -- \
  --root="${work}" --context=missing
check_tool decision "$(tool decision/decision)" "$(tool decision/main.cc)" no -- \
  --graph="${work}/missing.json"
check_tool graph "$(tool graph/graph)" "$(tool graph/main.cc)" no -- \
  --workspace="${work}/missing"
check_tool imagebuild "$(tool imagebuild/imagebuild)" "$(tool imagebuild/main.cc)" no -- \
  --name=img --context_tar="${work}/missing.tar" --context_hash_file="${work}/missing.hash" \
  --output="${work}/img.tar.zst" --metadata="${work}/img.image.json"
touch "${work}/not-a-directory"
check_tool gc "$(tool imagebuild/gc)" "$(tool imagebuild/gc_main.cc)" no -- \
  --layer_store="${work}/not-a-directory"
check_tool imagegen "$(tool imagegen/imagegen)" "$(tool imagegen/main.cc)" yes -- \
  --workspace="${work}/missing" --mode=print
check_tool imagepush "$(tool imagepush/imagepush)" "$(tool imagepush/main.cc)" yes -- \
  --tarball="${work}/missing.tar.zst" --name=img --registry=127.0.0.1:1/none
check_tool index "$(tool index/index)" "$(tool index/main.cc)" yes -- \
  --index="${work}/index" insert --name=img --context_hash="${hash_a}" \
  --image_id=sha256:1 "${work}/missing.tar.zst"
check_tool why "$(tool decision/why)" "$(tool decision/why_main.cc)" yes -- \
  --name=img --context_manifest="${work}/missing.manifest"
check_tool inspect "$(tool dockerfile/inspect)" "$(tool dockerfile/main.cc)" no -- \
  "${work}/missing/Dockerfile"
echo "every tool follows docs/tools.md"
