#!/usr/bin/env bash
# Every command of the documentation (docs/*.md and README.md: the lines of
# their ```sh blocks) is run by a test (or by .ci/run): some test names it with
# `doc_command FILE 'SUBSTRING'` (tests/lib/doc_commands.sh), and every such
# name still picks exactly one command. It reads the checkout's tests, which
# no package can declare, so it is never cached.
set -euo pipefail

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/doc_commands.sh"
root="$(dirname "$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/WORKSPACE")")"
cd "${root}"

# FILE<TAB>SUBSTRING of every doc_command call in the tests.
# (Comment lines do not count.)
references="$(grep -rhE --include='*.sh' --include=run "^[^#]*doc_command +[^ ]+ +'[^']*'" tests .ci |
  grep -oE "doc_command +[^ ]+ +'[^']*'" |
  sed -E "s/^doc_command +([^ ]+) +'(.*)'\$/\\1\\t\\2/" | sort -u)"
[[ -n "${references}" ]] || fail "no test names a documented command"

# Every reference picks one command (the test itself fails otherwise, but
# only when it runs).
while IFS=$'\t' read -r file substring; do
  [[ -f "${file}" ]] || fail "a test names a command of ${file}, which does not exist"
  [[ -e "$(doc_file "${file}")" ]] || fail "${file} is not among docs_test's data"
  count="$(doc_commands_named "${file}" "${substring}" | sed '/^$/d' | wc -l)"
  expect_eq "${count}" 1 "commands of ${file} containing '${substring}'"
done <<<"${references}"

uncovered=()
total=0
for file in README.md docs/*.md; do
  while IFS= read -r command; do
    total=$((total + 1))
    covered=no
    while IFS=$'\t' read -r ref_file substring; do
      if [[ "${ref_file}" == "${file}" ]] &&
        [[ "$(doc_commands_named "${file}" "${substring}")" == "${command}" ]]; then
        covered=yes
        break
      fi
    done <<<"${references}"
    [[ "${covered}" == yes ]] || uncovered+=("${file}: ${command}")
  done < <(doc_commands "$(doc_file "${file}")" | sort -u)
done
if ((${#uncovered[@]} > 0)); then
  printf '  %s\n' "${uncovered[@]}" >&2
  fail "${#uncovered[@]} documented commands are run by no test: run each with doc_command in a test, or remove it from the documentation"
fi
echo "all ${total} documented commands are run by tests"
