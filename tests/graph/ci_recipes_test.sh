#!/usr/bin/env bash
# Runs every recipe of docs/ci.md, as written there, with a nested Bazel on
# the fixture tree tests/graph/images, and checks each answer. Commands are
# taken from the document and mapped to the fixture (//images:base-build ->
# //tests/graph/images:base, ...), so the document cannot drift from what
# works. The queries then run verbatim on images/, where their answers must
# match what the graph tool reads from the Dockerfiles.
set -euo pipefail

workspace_file="$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/WORKSPACE")"
root="$(dirname "${workspace_file}")"
doc="${root}/docs/ci.md"

if ! command -v bazel >/dev/null 2>&1; then
  echo "ci_recipes_test: bazel is not installed; run ./bazelw once" >&2
  exit 1
fi

output_base="$(mktemp -d /tmp/imagegraph-ci-recipes.XXXXXX)"
cleanup() {
  command bazel --output_base="${output_base}" shutdown >/dev/null 2>&1 || true
  chmod -R u+w "${output_base}" 2>/dev/null || true
  rm -rf "${output_base}"
}
trap cleanup EXIT

# The recipes say `bazel ...`: run them on a private output base that leaves
# no convenience symlinks in the checkout.
bazel() {
  local command="$1"
  shift
  case "${command}" in
    build | run | test)
      command bazel --output_base="${output_base}" --max_idle_secs=300 \
        "${command}" --experimental_convenience_symlinks=ignore \
        --noshow_progress "$@"
      ;;
    *)
      command bazel --output_base="${output_base}" --max_idle_secs=300 \
        "${command}" --noshow_progress "$@"
      ;;
  esac
}

changed="${TEST_TMPDIR}/changed"
printf 'tests/graph/images/recipes/shared.sh\n' >"${changed}"

# docs/ci.md names images of images/; the fixture has the same shapes.
to_fixture() {
  sed -e 's#//images:base-build#//tests/graph/images:base#g' \
    -e 's#//images:desktop1604-test#//tests/graph/images:app#g' \
    -e 's#//images:desktop-test#//tests/graph/images:tools#g' \
    -e 's#//images:recipes/common.sh#//tests/graph/images:recipes/shared.sh#g' \
    -e 's#//images:#//tests/graph/images:#g' \
    -e 's#/images/graph.json#/tests/graph/images/graph.json#g' \
    -e 's#bazel run //tools/graph -- #bazel run //tools/graph -- --root=tests/graph/images #g' \
    -e "s#git diff --name-only origin/main\\.\\.\\.#cat ${changed}#g" \
    -e "s#> images.svg#> ${TEST_TMPDIR}/images.svg#g" <<<"$1"
}

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/doc_commands.sh"

# recipe: runs the command doc_command picked from docs/ci.md on the fixture
# and leaves its stdout in ${raw} and ${answer} (sorted words on one line).
recipe() {
  local command
  command="$(to_fixture "${doc_line}")"
  echo "   runs: ${command}"
  set +e
  raw="$(cd "${root}" && eval "${command}" 2>"${TEST_TMPDIR}/stderr")"
  local rc=$?
  set -e
  if [[ "${rc}" != 0 ]]; then
    fail "[${command}] exited ${rc}: $(tail -20 "${TEST_TMPDIR}/stderr")"
  fi
  answer="$(tr -s ' \n' '\n' <<<"${raw}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')"
}

# expect_answer EXPECTED WHAT: checks the last recipe's ${answer}.
expect_answer() {
  expect_eq "${answer}" "$1" "$2"
}

fixture="//tests/graph/images"

doc_command docs/ci.md 'rdeps(//images:all, //images:base-build)'
recipe
expect_answer "${fixture}:app ${fixture}:base ${fixture}:lint ${fixture}:tools" "descendants of base"

doc_command docs/ci.md 'deps(//images:desktop-test)'
recipe
expect_answer "${fixture}:base ${fixture}:tools" "ancestors of tools"

doc_command docs/ci.md 'allpaths(//images:desktop1604-test, //images:base-build)'
recipe
expect_answer "${fixture}:app ${fixture}:base ${fixture}:tools" "paths from app to base"

doc_command docs/ci.md 'rdeps(//images:all, //images:recipes/common.sh)'
recipe
expect_answer "${fixture}:app ${fixture}:lint ${fixture}:tools" "images a shared include goes into"

doc_command docs/ci.md 'git diff --name-only origin/main... | bazel run //tools/graph -- --affected-by=- --format=labels'
recipe
expect_answer "${fixture}:app ${fixture}:lint ${fixture}:tools" "affected by the shared include"
# In build order, not only the right set.
expect_answer_order="$(tr '\n' ' ' <<<"${raw}" | sed 's/ $//')"
if [[ "${expect_answer_order}" != "${fixture}:lint ${fixture}:tools ${fixture}:app" ]]; then
  fail "affected images are not in build order: ${expect_answer_order}"
fi

# Building the affected images needs buildah; analysing them shows that the
# labels the recipe passes to bazel build are the image targets.
doc_command docs/ci.md 'bazel build $(git diff'
command="$(to_fixture "${doc_line}" | sed 's#^bazel build #bazel build --nobuild #')"
echo "   runs: ${command}"
if ! (cd "${root}" && eval "${command}") >/dev/null 2>"${TEST_TMPDIR}/stderr"; then
  fail "[${command}]: $(tail -20 "${TEST_TMPDIR}/stderr")"
elif ! grep -q "3 targets" "${TEST_TMPDIR}/stderr" && ! grep -q "Found 3 targets" "${TEST_TMPDIR}/stderr"; then
  fail "[${command}] did not analyse the 3 affected images: $(tail -5 "${TEST_TMPDIR}/stderr")"
fi

doc_command docs/ci.md 'bazel build //images:graph'
recipe
doc_command docs/ci.md 'topological_order[]'
recipe
answer_order="$(tr '\n' ' ' <<<"${raw}" | sed 's/ $//')"
if [[ "${answer_order}" != "base lint tools app" ]]; then
  fail "graph.json topological order: got [${answer_order}]"
fi

doc_command docs/ci.md 'bazel build //images:graph --//rules:index_level=3'
recipe
graph_json="$(cd "${root}" && bazel info bazel-bin 2>/dev/null)/tests/graph/images/graph.json"
namespace="$(jq -r '.images[] | select(.name == "app") | .index.latest' "${graph_json}")"
expect_eq "${namespace}" "docker.images.v2.level-3.app.latest" "index_level=3: app's latest namespace"
expect_eq "$(jq -r .level "${graph_json}")" 3 "index_level=3: the graph's level"

doc_command docs/ci.md 'bazel run //tools/graph -- --format=dot | dot -Tsvg > images.svg'
recipe
svg="$(cat "${TEST_TMPDIR}/images.svg")"
for name in base lint tools app; do
  [[ "${svg}" == *">${name}</text>"* ]] || fail "the picture lacks ${name}"
done

doc_command docs/ci.md 'bazel build //images:graph'
recipe
doc_command docs/ci.md '--graph_json='
recipe
svg="$(cat "${TEST_TMPDIR}/images.svg")"
app_short="$(jq -r '.images[] | select(.name == "app") | .context_hash[0:12]' "${graph_json}")"
[[ "${svg}" == *">${app_short}</text>"* ]] || fail "the picture of graph.json lacks app's short hash ${app_short}"

doc_command docs/ci.md 'bazel test //images:build_file_test'
recipe
# Up to date (the test above passed), so the update rewrites nothing.
doc_command docs/ci.md 'bazel run //images:update'
recipe

# The same queries verbatim on images/, checked against the graph tool's own
# reading of the Dockerfiles there (the BUILD file's parents must agree with
# the FROM lines).
if [[ -f "${root}/images/BUILD.bazel" ]] && grep -q "^docker_image(" "${root}/images/BUILD.bazel"; then
  tool_labels() {
    (cd "${root}" && bazel run //tools/graph -- --format=labels "$@" 2>/dev/null) | sort | tr '\n' ' ' | sed 's/ $//'
  }
  # run_verbatim: runs the command doc_command picked on images/ as written.
  run_verbatim() {
    local written="${doc_line}"
    echo "   on images/, as written"
    set +e
    raw="$(cd "${root}" && eval "${written}" 2>"${TEST_TMPDIR}/stderr")"
    local rc=$?
    set -e
    [[ "${rc}" == 0 ]] || fail "[${written}] exited ${rc}: $(tail -20 "${TEST_TMPDIR}/stderr")"
    answer="$(tr -s ' \n' '\n' <<<"${raw}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')"
    [[ -n "${answer}" ]] || fail "[${written}] answered nothing"
    echo "   answer: ${answer}"
  }
  graph_json="${TEST_TMPDIR}/images_graph.json"
  (cd "${root}" && bazel run //tools/graph -- --format=json --hashes=false 2>/dev/null) >"${graph_json}"
  # Ancestors of an image from the tool's parents lists.
  ancestors() {
    jq -r --arg start "$1" '
      (.images | map({key: .name, value: .parents}) | from_entries) as $p
      | [$start] | until(. == (. + [.[] | $p[.][]] | unique); . + [.[] | $p[.][]] | unique)
      | .[] | "//images:" + .' "${graph_json}" | sort | tr '\n' ' ' | sed 's/ $//'
  }

  doc_command docs/ci.md 'rdeps(//images:all, //images:base-build)'
  run_verbatim
  expect_answer "$(tool_labels --affected-by=images/base-build/Dockerfile)" "images/: descendants of base-build"

  doc_command docs/ci.md 'deps(//images:desktop-test)'
  run_verbatim
  expect_answer "$(ancestors desktop-test)" "images/: ancestors of desktop-test"

  doc_command docs/ci.md 'allpaths(//images:desktop1604-test, //images:base-build)'
  run_verbatim
  on_path="$(comm -12 <(ancestors desktop1604-test | tr ' ' '\n') <(tool_labels --affected-by=images/base-build/Dockerfile | tr ' ' '\n') | tr '\n' ' ' | sed 's/ $//')"
  expect_answer "${on_path}" "images/: paths from desktop1604-test to base-build"

  doc_command docs/ci.md 'rdeps(//images:all, //images:recipes/common.sh)'
  run_verbatim
  expect_answer "$(tool_labels --affected-by=images/recipes/common.sh)" "images/: images common.sh goes into"
else
  echo "images/BUILD.bazel has no docker_image targets yet: the images/ checks are skipped"
fi

echo "all recipes answered as expected"
