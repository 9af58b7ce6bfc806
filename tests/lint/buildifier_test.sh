#!/usr/bin/env bash
# Fails when a BUILD, .bzl or WORKSPACE file is not buildifier-clean, and
# prints the command that fixes it. The files are the test's declared inputs
# (tests/lint:starlark_files, given as arguments), so an edit to any of them
# re-runs it; a file of the checkout that is not declared is an error too.
set -euo pipefail

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"

command -v buildifier >/dev/null 2>&1 ||
  fail "buildifier is not installed; run ./bazelw once (it installs it from npm)"
(($# > 0)) || fail "no files given; pass \$(rootpaths :starlark_files)"

# The checkout the runfiles point into: fixes are written against it.
config="$(readlink -f .buildifier.json)"
root="$(dirname "${config}")"

declare -A declared=()
files=()
for runfile in "$@"; do
  real="$(readlink -f "${runfile}")"
  [[ "${real}" == "${root}/"* ]] || fail "${runfile} resolves to ${real}, outside the checkout ${root}"
  files+=("${real#"${root}/"}")
  declared["${real#"${root}/"}"]=1
done

cd "${root}"
if ! buildifier -config=.buildifier.json -mode=check -lint=warn "${files[@]}"; then
  echo >&2
  echo "buildifier_test: the files above are not formatted; fix with:" >&2
  echo "  buildifier -config=.buildifier.json -lint=fix ${files[*]}" >&2
  exit 1
fi

# The label of a file of the checkout: its nearest package, or a note for a
# file of a nested repository (a folder with its own WORKSPACE).
label_of() {
  local path="$1" dir
  dir="$(dirname "${path}")"
  while [[ "${dir}" != "." ]]; do
    if [[ -f "${dir}/WORKSPACE" ]]; then
      echo "@REPO//${path#"${dir}/"} of the repository at ${dir} (its name in WORKSPACE)"
      return
    fi
    if [[ -f "${dir}/BUILD.bazel" || -f "${dir}/BUILD" ]]; then
      echo "//${dir}:${path#"${dir}/"}"
      return
    fi
    dir="$(dirname "${dir}")"
  done
  echo "//:${path}"
}

if git -C "${root}" rev-parse --git-dir >/dev/null 2>&1; then
  while IFS= read -r path; do
    [[ -n "${declared[${path}]:-}" ]] ||
      fail "${path} is not among the checked files; add \"$(label_of "${path}")\" to starlark_files in tests/lint/BUILD.bazel, and export it to //tests/lint beside it (exports_files) unless its package is public"
  done < <(git ls-files -co --exclude-standard -- '*BUILD' '*BUILD.bazel' '*.bzl' 'WORKSPACE' '*.BUILD' |
    grep -v '^bazel-')
else
  echo "buildifier_test: ${root} is not a git checkout; not checking for undeclared files"
fi
echo "buildifier_test: ${#files[@]} files clean"
