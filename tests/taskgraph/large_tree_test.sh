#!/usr/bin/env bash
# The tree of bench/taskgraph/gen_tree.py, in the shape of a browser's
# taskgraph docker-image kind (68 tasks over 44 folders, only external bases
# pinned): imagegen --mode=print and graph accept it as it is, name what they
# do not model, and answer for every task.
set -euo pipefail

runfiles_root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
source "${runfiles_root}/tests/lib/checks.sh"
imagegen="${runfiles_root}/tools/imagegen/imagegen"
graph="${runfiles_root}/tools/graph/graph"
ws="${TEST_TMPDIR}/ws"

run python3 "${runfiles_root}/bench/taskgraph/gen_tree.py" --out "${ws}"
expect_rc 0 "gen_tree.py: ${err}"
expect_eq "${out}" "68 tasks over 44 folders" "the tree's shape"

echo "== imagegen --mode=print"
run "${imagegen}" --workspace="${ws}" --images=taskcluster/docker --mode=print
expect_rc 0 "imagegen --mode=print: ${err}"
expect_eq "$(grep -c '^docker_image(' <<<"${out}")" 68 "docker_image targets"
expect_contains "${out}" "$(printf '    name = "custom-car-android",\n    srcs = [\n        "custom-car-linux/Dockerfile",')" "a task built from another's folder"
expect_contains "${err}" "imagegen: warning: taskcluster/kinds/docker-image/kind.yml: arch: (tasks debian12-arm64-raw, image_builder_arm64, ubuntu2204-arm64-packages, ubuntu2204-arm64-raw) not modelled" "arch: warning"
expect_contains "${err}" "imagegen: warning: taskcluster/kinds/docker-image/kind.yml: packages: (tasks android-build," "packages: warning"
[[ "$(grep -vc '^imagegen: warning: ' <<<"${err}")" == 0 ]] || fail "imagegen printed more than warnings: ${err}"

echo "== graph"
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --format=text
expect_rc 0 "graph: ${err}"
expect_eq "$(wc -l <<<"${out}")" 68 "graph lines"
expect_contains "${out}" "debian12-base " "debian12-base in the graph"
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --format=json
expect_rc 0 "graph --format=json: ${err}"
expect_eq "$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["images"]))' <<<"${out}")" 68 "images in the JSON"
# run-task, through # %include-run-task: the three images that use it.
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --affected-by=third_party/taskgraph/run-task/hgrc
expect_rc 0 "graph --affected-by: ${err}"
expect_eq "$(tr '\n' ' ' <<<"${out}")" "android-components lint android-ui-tests " "--affected-by a run-task file"
# A script two base folders include reaches every image built on them.
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --affected-by=taskcluster/scripts/run-task
expect_eq "$(wc -l <<<"${out}")" 41 "--affected-by a script the base images include"
# A folder two tasks share through definition: affects both.
run "${graph}" --workspace="${ws}" --root=taskcluster/docker --affected-by=taskcluster/docker/system-symbols-win
expect_eq "$(tr '\n' ' ' <<<"${out}")" "system-symbols-win system-symbols-win-gfx " "--affected-by a shared folder"

echo "PASS"
