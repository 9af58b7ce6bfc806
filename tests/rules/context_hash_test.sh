#!/usr/bin/env bash
# For every image of the spec, copies the real image tree, places the
# Bazel-built extra files where the rule places them, runs the ctxhash CLI in
# directory mode (parents' hashes also from the CLI, build arguments as the
# target sets them) and compares with the hash the Bazel action wrote.
#   context_hash_test.sh CTXHASH SPEC
# SPEC lines (tab-separated), parents before children:
#   tree DOCKERFILE (first line; a Dockerfile of the tree)
#   image NAME FOLDER BAZEL_HASH_FILE | parent NAME PARENT | arg NAME K=V
#   ref NAME WRITTEN TARGET | dparent NAME DECLARED_PARENT
#   extra NAME CONTEXT_PATH FILE
set -euo pipefail

ctxhash="$(readlink -f "$1")"
spec="$2"
# The runfile of a Dockerfile links into the source tree: the copy is made
# from the real folders, so a file that a target fails to declare shows up as
# a mismatch.
IFS=$'\t' read -r kind dockerfile <"${spec}"
[[ "${kind}" == tree ]] || { echo "context_hash_test: ${spec}: no tree line" >&2; exit 1; }
folder="$(dirname "${dockerfile}")"
real_dockerfile="$(readlink -f "${dockerfile}")"
repo_root="${real_dockerfile%/"${dockerfile}"}"
if [[ "${repo_root}" == "${real_dockerfile}" ]]; then
  echo "context_hash_test: ${dockerfile} resolves to ${real_dockerfile}, not into a source tree" >&2
  exit 1
fi
tree="${repo_root}/$(dirname "${folder}")"

work="${TEST_TMPDIR:-$(mktemp -d)}/tree"
rm -rf "${work}"
mkdir -p "${work}"
mkdir -p "${work}/$(dirname "$(dirname "${folder}")")"
cp -a "${tree}" "${work}/$(dirname "${folder}")"

declare -A folder_of cli_hash
while IFS=$'\t' read -r kind name a b; do
  case "${kind}" in
    image) folder_of[${name}]="${a}" ;;
    extra)
      target="${work}/${folder_of[${name}]}/${a}"
      mkdir -p "$(dirname "${target}")"
      cp -L "${b}" "${target}"
      ;;
    tree | parent | arg | ref | dparent) ;;
    *) echo "context_hash_test: ${spec}: bad line kind '${kind}'" >&2; exit 1 ;;
  esac
done <"${spec}"

checked=0
failures=0
while IFS=$'\t' read -r kind name folder bazel_hash_file; do
  [[ "${kind}" == image ]] || continue
  flags=()
  while IFS=$'\t' read -r k n value target; do
    [[ "${n}" == "${name}" ]] || continue
    if [[ "${k}" == parent ]]; then
      flags+=("--parent=${value}=${cli_hash[${value}]}")
    elif [[ "${k}" == arg ]]; then
      flags+=("--build_arg=${value}")
    elif [[ "${k}" == ref ]]; then
      flags+=("--reference=${value}=${target}")
    elif [[ "${k}" == dparent ]]; then
      flags+=("--docker_image_parent=${value}")
    fi
  done <"${spec}"
  manifest="${work}/${name}.manifest"
  cli="$(cd "${work}" && "${ctxhash}" --root=. --context="${folder}" "${flags[@]}" --manifest="${manifest}")"
  cli_hash[${name}]="${cli}"
  bazel="$(tr -d '[:space:]' <"${bazel_hash_file}")"
  checked=$((checked + 1))
  if [[ "${cli}" == "${bazel}" ]]; then
    echo "ok   ${name} ${cli}"
  else
    echo "FAIL ${name}: bazel ${bazel} != cli ${cli}; manifest diff (bazel, cli):"
    diff "${bazel_hash_file%.context_hash}.context.manifest" "${manifest}" || true
    failures=$((failures + 1))
  fi
done <"${spec}"

if ((checked == 0)); then
  echo "context_hash_test: no image in ${spec}" >&2
  exit 1
fi
echo "${checked} images checked, ${failures} mismatches"
((failures == 0))
