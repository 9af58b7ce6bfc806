#!/usr/bin/env bash
# The decision CLI over a real local index: the plan table, the JSON plan, and
# the messages of bad input.
set -euo pipefail

readonly DECISION_BIN="$1" INDEX_BIN="$2"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/decision.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
h() { printf '%s' "$1" | sha256sum | cut -c1-64; }
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

cat >"${work}/graph.json" <<JSON
{"images": [
  {"label": "//images:base", "name": "base", "context_hash": "$(h base)"},
  {"label": "//images:build", "name": "build", "context_hash": "$(h build)",
   "parents": ["//images:base"]},
  {"label": "//images:test", "name": "test", "context_hash": "$(h test)",
   "parents": ["//images:build"]}
]}
JSON
echo tarball >"${work}/t.tar.zst"
"${INDEX_BIN}" --index="${work}/index" --level=3 insert --name=test \
  --context_hash="$(h test)" --image_id="sha256:$(h image)" "${work}/t.tar.zst" 2>/dev/null >/dev/null

"${DECISION_BIN}" --graph="${work}/graph.json" --index="${work}/index" --level=1 \
  --json_out="${work}/plan.json" >"${work}/table"
cat "${work}/table"
grep -Eq '^build +base ' "${work}/table" || fail "base should build"
grep -Eq '^build +build ' "${work}/table" || fail "build should build"
grep -Eq '^reuse +test .* 3 +sha256:6105d6cc76af ' "${work}/table" || fail "test should be reused"
grep -q '^3 images: 1 reused, 2 to build (level 1' "${work}/table" || fail "summary"
[[ "$(jq -r '[.images[].name] | join(",")' "${work}/plan.json")" == "base,build,test" ]] ||
  fail "plan order: $(cat "${work}/plan.json")"
[[ "$(jq -r '.images[2].namespace' "${work}/plan.json")" == "docker.images.v2.level-3.test.hash.$(h test)" ]] ||
  fail "plan namespace"
[[ "$(jq -r '.images[2].entry.image_id' "${work}/plan.json")" == "sha256:$(h image)" ]] || fail "plan entry"
# docs/index.md shows this very output (its index at /srv/index).
documented="$(awk '/^last is indexed at level 3, it prints:$/ { found = 1; next }
  found && /^    / { print substr($0, 5); block = 1; next }
  found && block { exit }' "${TEST_SRCDIR}/${TEST_WORKSPACE}/docs/index.md")"
expect_eq "$(sed "s|${work}/index|/srv/index|" "${work}/table")" "${documented}" \
  "the decision's output as docs/index.md shows it"

# Bad input: messages name the file and the problem; nothing is written.
code=0
"${DECISION_BIN}" --index="${work}/index" 2>"${work}/err" || code=$?
[[ "${code}" == 2 ]] && grep -q -- "--graph is required" "${work}/err" || fail "missing --graph: $(cat "${work}/err")"
code=0
BUILD_WORKSPACE_DIRECTORY="${work}/ws" "${DECISION_BIN}" 2>"${work}/err" || code=$?
[[ "${code}" == 1 ]] && grep -q "ws/bazel-bin/images/graph.json does not exist: run \`bazel build //images:graph\` first" "${work}/err" ||
  fail "missing default graph: $(cat "${work}/err")"
mkdir -p "${work}/ws/bazel-bin/images"
cp "${work}/graph.json" "${work}/ws/bazel-bin/images/graph.json"
BUILD_WORKSPACE_DIRECTORY="${work}/ws" "${DECISION_BIN}" --index="${work}/index" >"${work}/table2"
grep -q '^3 images: 1 reused, 2 to build (level 1' "${work}/table2" || fail "default graph: $(cat "${work}/table2")"
# Without --index and --level, the decision plans against the index and level
# the graph records (what the builds use).
jq --arg index "${work}/index" '. + {index: $index, level: 3}' "${work}/graph.json" >"${work}/graph3.json"
"${DECISION_BIN}" --graph="${work}/graph3.json" >"${work}/table3"
grep -q "^3 images: 1 reused, 2 to build (level 3, local index ${work}/index)" "${work}/table3" ||
  fail "the graph's index and level: $(cat "${work}/table3")"
jq '. + {index: "off"}' "${work}/graph.json" >"${work}/graph-off.json"
code=0
"${DECISION_BIN}" --graph="${work}/graph-off.json" 2>"${work}/err" || code=$?
[[ "${code}" == 1 ]] && grep -q "graph-off.json use no index (--//rules:index=off); pass --index=DIR" "${work}/err" ||
  fail "a graph of builds without index: $(cat "${work}/err")"
# A graph that names no index, without HOME (as in a Bazel action): the
# default index is the password database's home's, the one builds write.
passwd_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
env -u HOME -u XDG_CACHE_HOME "${DECISION_BIN}" --graph="${work}/graph.json" >"${work}/table4"
grep -q "(level 1, local index ${passwd_home}/.cache/imagegraph/index)" "${work}/table4" ||
  fail "the default index without HOME: $(cat "${work}/table4")"
echo '{"images": [{"label": "//a", "name": "a", "context_hash": "zz"}]}' >"${work}/bad.json"
code=0
"${DECISION_BIN}" --graph="${work}/bad.json" --index="${work}/index" \
  --json_out="${work}/bad-plan.json" 2>"${work}/err" || code=$?
[[ "${code}" == 1 ]] && grep -q "bad.json: image //a: context hash \"zz\" is invalid" "${work}/err" ||
  fail "bad hash: $(cat "${work}/err")"
[[ ! -e "${work}/bad-plan.json" ]] || fail "a failed decision wrote a plan"
code=0
"${DECISION_BIN}" --graph="${work}/missing.json" 2>"${work}/err" || code=$?
[[ "${code}" == 1 ]] && grep -q "missing.json: no such file" "${work}/err" || fail "missing graph: $(cat "${work}/err")"
echo PASS
