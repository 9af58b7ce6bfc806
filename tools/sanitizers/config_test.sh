#!/usr/bin/env bash
# --config=asan (.bazelrc) and asan_test (sanitizers.bzl) build with the same
# sanitizer flags.
# shellcheck source=tests/lib/checks.sh
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
set -euo pipefail

bazelrc="${TEST_SRCDIR}/${TEST_WORKSPACE}/.bazelrc"
bzl="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools/sanitizers/sanitizers.bzl"

list_in_bzl() {
  sed -n "/^$1 = \[/,/^\]/p" "${bzl}" | grep -o '"[^"]*"' | tr -d '"' | sort
}
list_in_bazelrc() {
  grep -E "^build:asan --$1=" "${bazelrc}" | sed -e "s/^build:asan --$1=//" | sort
}

copts="$(list_in_bzl ASAN_COPTS)"
linkopts="$(list_in_bzl ASAN_LINKOPTS)"
[[ -n "${copts}" && -n "${linkopts}" ]] || fail "no flags read from ${bzl}"
expect_eq "$(list_in_bazelrc copt)" "${copts}" "build:asan --copt flags against ASAN_COPTS"
expect_eq "$(list_in_bazelrc linkopt)" "${linkopts}" "build:asan --linkopt flags against ASAN_LINKOPTS"
for variable in ASAN_OPTIONS UBSAN_OPTIONS; do
  expect_eq "$(grep -E "^test:asan --test_env=${variable}=" "${bazelrc}" | sed -e "s/^test:asan --test_env=${variable}=//")" \
    "$(sed -n "s/^${variable} = \"\(.*\)\"$/\1/p" "${bzl}")" \
    "test:asan ${variable} against sanitizers.bzl"
done
echo PASS
