#!/usr/bin/env bash
# The graph tool on a copy of the fixture tree tests/graph/images, and the
# JSON document the image_graph rule built for the same tree: both must give
# the same graph, and context hashes must follow the spec.
set -euo pipefail

runfiles="$(pwd)"
graph="${runfiles}/tools/graph/graph"
rule_json="${runfiles}/tests/graph/images/graph.json"

# shellcheck source=tests/lib/checks.sh
source "${runfiles}/tests/lib/checks.sh"

# A workspace holding only the fixture tree.
ws="${TEST_TMPDIR}/ws"
mkdir -p "${ws}/tests/graph"
cp -rL "${runfiles}/tests/graph/images" "${ws}/tests/graph/images"
tree=(--workspace="${ws}" --root=tests/graph/images)

affected() {
  run "${graph}" "${tree[@]}" "$@"
  [[ "${rc}" == 0 ]] || fail "graph $*: exit ${rc}: ${err}"
  echo "${out}" | tr '\n' ' ' | sed 's/ $//'
}

echo "== --affected-by: the images a change touches, with descendants, in build order"
expect_eq "$(affected --affected-by=tests/graph/images/base/hello.txt)" "base lint tools app" "a file of the root image"
expect_eq "$(affected --affected-by=tests/graph/images/app/app.conf)" "app" "a leaf image's file"
expect_eq "$(affected --affected-by=tests/graph/images/recipes/shared.sh)" "lint tools app" "an include two images share"
expect_eq "$(affected --affected-by=tests/graph/images/recipes/only-app.sh)" "app" "an include one image uses"
expect_eq "$(affected --affected-by=tests/graph/images/recipes/unused.sh)" "" "a file no image uses"
expect_eq "$(affected --affected-by=tests/graph/images/base/NOTES.md)" "" "a file .dockerignore drops"
expect_eq "$(affected --affected-by=tests/graph/images/docs/README.md)" "" "a folder without Dockerfile"
expect_eq "$(affected --affected-by=tests/graph/images/lint/HASH)" "" "a HASH file, never part of a context"
expect_eq "$(affected --affected-by=tests/graph/images/lint/VERSION)" "lint" "a VERSION file"
expect_eq "$(affected --affected-by tests/graph/images/app/app.conf --affected-by=tests/graph/images/lint/VERSION)" "lint app" "two paths"
printf 'tests/graph/images/recipes/only-app.sh\n\ntests/graph/images/lint/Dockerfile\n' >"${TEST_TMPDIR}/changed"
expect_eq "$(affected --affected-by=- <"${TEST_TMPDIR}/changed")" "lint app" "paths on stdin (git diff --name-only)"
expect_eq "$(affected --affected-by=- </dev/null)" "" "no changed paths"

run "${graph}" "${tree[@]}" --format=labels --affected-by=tests/graph/images/recipes/shared.sh
expect_eq "$(echo ${out})" "//tests/graph/images:lint //tests/graph/images:tools //tests/graph/images:app" "labels of the affected images"

echo "== --format=json: the same graph the image_graph rule wrote"
run "${graph}" "${tree[@]}" --format=json
[[ "${rc}" == 0 ]] || fail "graph --format=json: ${err}"
tool_json="${out}"
# The tool's default level is the builds' default (//rules:index_level).
for query in '.level' '.topological_order' '[.images[] | {name, parents, children, context_hash, registry_reference, pinned_reference, index, depth}]'; do
  expect_eq "$(jq -c "${query}" <<<"${tool_json}")" "$(jq -c "${query}" "${rule_json}")" "tool and rule agree on ${query}"
done
expect_eq "$(jq -c '.topological_order' "${rule_json}")" '["base","lint","tools","app"]' "topological order"
expect_eq "$(jq -c '.images[] | select(.name == "base") | .children' "${rule_json}")" '["lint","tools"]' "children of base"
expect_eq "$(jq -r '.images[] | select(.name == "app") | .label' "${rule_json}")" "//tests/graph/images:app" "label"
expect_eq "$(jq -r '.images[] | select(.name == "app") | .folder' "${rule_json}")" "tests/graph/images/app" "folder"
expect_eq "$(jq -r '.images[] | select(.name == "app") | .depth' "${rule_json}")" "2" "depth"
expect_eq "$(jq -r '.images[] | select(.name == "lint") | .registry_reference' "${rule_json}")" "localhost:5000/graph-fixture/lint:2.0" "registry reference"
expect_eq "$(jq -r '.images[] | select(.name == "lint") | .pinned_reference' "${rule_json}")" "localhost:5000/graph-fixture/lint@sha256:1111111111111111111111111111111111111111111111111111111111111111" "pinned reference"
expect_eq "$(jq -r '.images[] | select(.name == "base") | .registry_reference' "${rule_json}")" "localhost:5000/graph-fixture/base:latest" "latest without VERSION"

echo "== context hashes follow the spec (computed here with sha256sum)"
line() { echo "$(sha256sum <"$1" | cut -d' ' -f1) $2 $3"; }
base_dir="${ws}/tests/graph/images/base"
base_hash="$({
  line "${base_dir}/.dockerignore" 644 .dockerignore
  line "${base_dir}/Dockerfile" 644 Dockerfile
  line "${base_dir}/hello.txt" 644 hello.txt
} | sha256sum | cut -d' ' -f1)"
expect_eq "$(jq -r '.images[] | select(.name == "base") | .context_hash' "${rule_json}")" "${base_hash}" "base hash"
tools_hash="$({
  line "${ws}/tests/graph/images/tools/Dockerfile" 644 Dockerfile
  line "${ws}/tests/graph/images/recipes/shared.sh" 755 topsrcdir/tests/graph/images/recipes/shared.sh
  echo "parent ${base_hash} base"
} | sha256sum | cut -d' ' -f1)"
expect_eq "$(jq -r '.images[] | select(.name == "tools") | .context_hash' "${rule_json}")" "${tools_hash}" "tools hash (with its parent line)"
expect_eq "$(jq -r '.images[] | select(.name == "tools") | .index.hash' "${rule_json}")" "docker.images.v2.level-1.tools.hash.${tools_hash}" "hash namespace"

echo "== --affected-by with --format=json is the affected part of the graph"
run "${graph}" "${tree[@]}" --format=json --affected-by=tests/graph/images/recipes/shared.sh
expect_eq "$(jq -c '[.topological_order, .affected_by]' <<<"${out}")" '[["lint","tools","app"],["tests/graph/images/recipes/shared.sh"]]' "affected json"

echo "== --format=dot renders with graphviz, each image with its short hash"
run "${graph}" "${tree[@]}" --format=dot
[[ "${rc}" == 0 ]] || fail "graph --format=dot: ${err}"
dot -Tsvg <<<"${out}" >"${TEST_TMPDIR}/graph.svg" || fail "dot could not render the graph"
svg="$(cat "${TEST_TMPDIR}/graph.svg")"
for name in base lint tools app; do
  short="$(jq -r ".images[] | select(.name == \"${name}\") | .context_hash[0:12]" "${rule_json}")"
  expect_contains "${svg}" ">${name}</text>" "svg shows ${name}"
  expect_contains "${svg}" ">${short}</text>" "svg shows the short hash of ${name}"
done
expect_contains "${svg}" "<title>tools&#45;&gt;app</title>" "svg edge tools -> app"

echo "== --format=text"
run "${graph}" "${tree[@]}" --format=text
expect_eq "$(sed -n 4p <<<"${out}")" "app $(jq -r '.images[] | select(.name == "app") | .context_hash[0:12]' "${rule_json}") <- tools" "text line"

echo "== --graph_json renders the graph the rule built"
run "${graph}" --graph_json="${rule_json}" --format=text
expect_eq "${out}" "$("${graph}" "${tree[@]}" --format=text)" "text of graph.json and of the tree"

echo "== errors"
run "${graph}" "${tree[@]}" --format=yaml
expect_eq "${rc}" 2 "bad format exit code"
expect_contains "${err}" "graph: --format=yaml is not one of json, dot, text, labels" "bad format message"
run "${graph}" "${tree[@]}" --level=7
expect_eq "${rc}" 2 "bad level exit code"
printf 'FROM tools\n' >"${ws}/tests/graph/images/base/Dockerfile"
run "${graph}" "${tree[@]}" --format=json
expect_eq "${rc}" 1 "cycle exit code"
expect_contains "${err}" "graph: the image graph has a cycle: base -> tools -> base" "cycle message"
printf 'FROM ubuntu:24.04\n' >"${ws}/tests/graph/images/base/Dockerfile"
run "${graph}" "${tree[@]}" --affected-by=tests/graph/images/base/hello.txt
expect_eq "${rc}" 1 "unpinned exit code"
expect_contains "${err}" "tests/graph/images/base/Dockerfile:1: FROM ubuntu:24.04 is not pinned" "unpinned message"
