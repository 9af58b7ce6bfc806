#!/usr/bin/env bash
# Fails when any BUILD, .bzl or WORKSPACE file is not buildifier-clean, and
# prints the command that fixes it.
set -euo pipefail

workspace_file="$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/WORKSPACE")"
root="$(dirname "${workspace_file}")"

if ! command -v buildifier >/dev/null 2>&1; then
  echo "buildifier_test: buildifier is not installed; run ./bazelw once (it installs it from npm)" >&2
  exit 1
fi

mapfile -t files < <(cd "${root}" && git ls-files -co --exclude-standard \
  -- '*BUILD' '*BUILD.bazel' '*.bzl' 'WORKSPACE' '*.BUILD' 2>/dev/null ||
  find . -name BUILD -o -name BUILD.bazel -o -name '*.bzl' -o -name WORKSPACE -o -name '*.BUILD')

if ((${#files[@]} == 0)); then
  echo "buildifier_test: found no BUILD files under ${root}" >&2
  exit 1
fi

cd "${root}"
if ! buildifier -config=.buildifier.json -mode=check -lint=warn "${files[@]}"; then
  echo >&2
  echo "buildifier_test: the files above are not formatted; fix with:" >&2
  echo "  buildifier -config=.buildifier.json -lint=fix ${files[*]}" >&2
  exit 1
fi
echo "buildifier_test: ${#files[@]} files clean"
