#!/usr/bin/env bash
# Runs the commands of README.md and docs/quickstart.md as a
# user types them, in a copy of this checkout with a nested Bazel (its own
# output base, the user's disk cache, which the outer build of this test's
# data has filled) and a private container storage, and checks what each
# does. (docs/index.md's commands run in //tests/e2e:index_reuse_test.)
set -euo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles}/tests/lib/checks.sh"
source "${runfiles}/tests/lib/doc_commands.sh"
source "${runfiles}/tests/lib/container_storage.sh"

root="$(dirname "$(readlink -f "${runfiles}/WORKSPACE")")"
real_bazel="$(command -v bazel)" || fail "bazel is not installed; run ./bazelw once"

# The commands run as the user would run them: in their home (so that the
# disk cache and the default index are the user's), with bazel on PATH.
# PATH stays the outer build's: actions inherit it, and it is part of their
# cache keys.
HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
export HOME
ws="${TEST_TMPDIR}/ws"
output_base="$(mktemp -d /tmp/imagegraph-docs.XXXXXX)"
storage="$(mktemp -d /tmp/ig-docs.XXXXXX)"
cleanup() {
  "${real_bazel}" --output_base="${output_base}" shutdown >/dev/null 2>&1 || true
  chmod -R u+w "${output_base}" 2>/dev/null || true
  rm -rf "${output_base}"
  remove_container_storage "${storage}"
}
trap cleanup EXIT

# A copy of the checkout's files (and the developer's Bazel settings, so the
# nested actions are the outer build's and come from its cache), made a git
# repository of its own for `git rev-parse HEAD`.
mkdir -p "${ws}"
(cd "${root}" && git ls-files -co --exclude-standard -z | grep -zv '^bazel-' |
  xargs -0 tar -cf -) | tar -xf - -C "${ws}"
[[ ! -f "${root}/.bazelrc.user" ]] || cp "${root}/.bazelrc.user" "${ws}/"
(cd "${ws}" && git init -q && git add -A &&
  git -c user.name=docs -c user.email=docs@localhost commit -qm copy)

# The nested Bazel's own output base, for ./bazelw and bazel alike.
cat >>"${ws}/.bazelrc.user" <<RC
startup --output_base=${output_base}
startup --max_idle_secs=300
RC
private_container_storage "${storage}"

# run_doc: runs ${doc_line} in the copy, in this shell (so that variables it
# sets stay), stdout in ${out}, stderr in ${err}.
run_doc() {
  local rc=0 start="${SECONDS}"
  cd "${ws}"
  eval "${doc_line}" >"${TEST_TMPDIR}/out" 2>"${TEST_TMPDIR}/err" || rc=$?
  cd - >/dev/null
  out="$(cat "${TEST_TMPDIR}/out")"
  err="$(cat "${TEST_TMPDIR}/err")"
  [[ "${rc}" == 0 ]] || fail "[${doc_line}] exited ${rc}: $(tail -20 "${TEST_TMPDIR}/err")"
  # How much the nested Bazel ran itself rather than took from the cache.
  echo "   ($((SECONDS - start)) s) $(grep -m1 -oE "[0-9]+ processes: .*" "${TEST_TMPDIR}/err" || true)"
}

doc_command README.md './bazelw build //images:decision'
run_doc
[[ -f "${ws}/bazel-bin/images/decision.tar.zst" ]] || fail "no bazel-bin/images/decision.tar.zst"

doc_command docs/quickstart.md './bazelw build //images:fetch'
run_doc
doc_command docs/quickstart.md './bazelw run //images:fetch.load'
run_doc
expect_contains "${out}" "Loaded fetch" "fetch.load"
expect_contains "${out}" "as localhost:5000/imagegraph/fetch:1.0.1" "fetch.load"
doc_command docs/quickstart.md 'container=$(buildah from'
run_doc
[[ -n "${container}" ]] || fail "buildah from gave no container"
doc_command docs/quickstart.md 'fetch-content'
run_doc
expect_contains "${out}" "fetch-content URL SHA256 DEST" "fetch-content's usage, run in the image"
doc_command docs/quickstart.md 'buildah rm'
run_doc

doc_command docs/quickstart.md './bazelw build //images:fetch.hash'
run_doc
doc_command docs/quickstart.md 'cat bazel-bin/images/fetch.context_hash'
run_doc
[[ "${out}" =~ ^[0-9a-f]{64}$ ]] || fail "fetch.context_hash holds [${out}]"
doc_command docs/quickstart.md 'cat bazel-bin/images/fetch.context.manifest'
run_doc
expect_contains "${out}" " 644 Dockerfile" "the manifest names the Dockerfile"

doc_command docs/quickstart.md './bazelw run //images:update'
run_doc
expect_contains "${err}" "images/BUILD.bazel is up to date" "the update of an up-to-date tree"

doc_command docs/quickstart.md 'rdeps(//images:all, //images:base-build)'
run_doc
expect_eq "$(wc -l <<<"${out}")" 12 "the images built on base-build: ${out}"
expect_contains "${out}" "//images:desktop1604-test" "the images built on base-build"
doc_command docs/quickstart.md 'deps(//images:rust-build)'
run_doc
expect_eq "$(sort <<<"${out}" | tr '\n' ' ')" \
  "//images:base-build //images:desktop-build //images:rust-build " "what rust-build is built from"

echo "every command of README.md and quickstart.md ran"
