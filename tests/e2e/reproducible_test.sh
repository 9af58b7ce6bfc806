#!/usr/bin/env bash
# The same fixture built from two clean output roots in two checkout paths
# gives the same image IDs, with every image really built both times.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/e2e/lib.sh"

repo="${TEST_TMPDIR}/imagegraph"
make_imagegraph_repo "${repo}" "${runfiles_root}" "${runfiles_root}"
checkouts=("${TEST_TMPDIR}/one/ws" "${TEST_TMPDIR}/two/somewhere/else/checkout")
roots=("${TEST_TMPDIR}/root_one" "${TEST_TMPDIR}/root_two")

cleanup() {
  local i
  for i in 0 1; do
    nested_bazel "${checkouts[i]}" "${roots[i]}" shutdown >/dev/null 2>&1 || true
    rm -rf "${roots[i]}" "${checkouts[i]}"
  done
}
trap cleanup EXIT

declare -a ids
for i in 0 1; do
  make_fixture "${checkouts[i]}" "${repo}"
  log="${TEST_TMPDIR}/exec${i}.json"
  nested_bazel "${checkouts[i]}" "${roots[i]}" build --disk_cache= -j 2 \
    --execution_log_json_file="${log}" //images:leaf //images:other >"${TEST_TMPDIR}/build${i}.out" 2>&1 ||
    { cat "${TEST_TMPDIR}/build${i}.out" >&2; fail "build in ${checkouts[i]} failed"; }
  built="$(built_images "${log}")"
  [[ "${built}" == "base leaf mid other" ]] || fail "${checkouts[i]}: ImageBuild ran for [${built}], expected all four"
  summary=""
  for image in base mid leaf other; do
    id="$(jq -r .image_id "${checkouts[i]}/bazel-bin/images/${image}.image.json")"
    [[ "${id}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "${image}: bad image_id '${id}'"
    summary+="${image}=${id} "
  done
  ids[i]="${summary}"
  echo "build $((i + 1)) in ${checkouts[i]}: ${summary}"
  nested_bazel "${checkouts[i]}" "${roots[i]}" shutdown >/dev/null 2>&1 || true
done

[[ "${ids[0]}" == "${ids[1]}" ]] || fail "image IDs differ between the two builds:
  ${ids[0]}
  ${ids[1]}"
echo "PASS: identical image IDs from two output roots and two checkout paths"
