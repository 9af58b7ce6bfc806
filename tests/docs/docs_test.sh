#!/usr/bin/env bash
# Every command of the documentation (docs/*.md and README.md: the lines of
# their ```sh blocks) is run by a test (or by .ci/run): some test names it
# with `doc_command FILE 'SUBSTRING'`, or follows its whole page and ends
# with `doc_page_all_run FILE` (tests/lib/doc_commands.sh), and every
# SUBSTRING still picks exactly one command. It reads the checkout's tests,
# which no package can declare, so it is never cached.
set -euo pipefail

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/doc_commands.sh"
root="$(dirname "$(readlink -f "${TEST_SRCDIR}/${TEST_WORKSPACE}/WORKSPACE")")"
cd "${root}"

# Comment lines do not count, nor this test, the library and its test, which
# only show how calls look or name pages of their own.
callers() {
  grep -rHE --include='*.sh' --include=run --exclude=docs_test.sh \
    --exclude=doc_commands.sh --exclude=doc_commands_test.sh \
    "^[^#]*$1" tests .ci || true
}
# TEST<TAB>FILE<TAB>SUBSTRING of every doc_command call in the tests.
references="$(callers "doc_command +[^ ]+ +'[^']*'" |
  sed -E "s/^([^:]+):.*doc_command +([^ ]+) +'([^']*)'.*\$/\\1\\t\\2\\t\\3/" | sort -u)"
# TEST<TAB>FILE of every page a test runs whole.
whole_pages="$(callers "doc_page_all_run +[^ \"]+" |
  sed -E 's/^([^:]+):.*doc_page_all_run +([^ "]+).*$/\1\t\2/' | sort -u)"

# Every reference picks one command (the test itself fails otherwise, but
# only when it runs).
while IFS=$'\t' read -r test file substring; do
  [[ -n "${test}" ]] || continue
  [[ -f "${file}" ]] ||
    fail "${test} names a command of ${file}, which does not exist: fix the file name or drop the step"
  [[ -e "$(doc_file "${file}")" ]] ||
    fail "${file} is not among docs_test's data: add it to //tests/docs:docs_test's data"
  count="$(doc_commands_named "${file}" "${substring}" | sed '/^$/d' | wc -l)"
  [[ "${count}" == 1 ]] ||
    fail "${test}: doc_command ${file} '${substring}' picks ${count} commands of ${file}; it must pick exactly one: change the substring to match one command of the page's sh blocks"
done <<<"${references}"

uncovered=()
total=0
for file in README.md docs/*.md; do
  if cut -f2 <<<"${whole_pages}" | grep -qxF -- "${file}"; then
    total=$((total + $(doc_commands "$(doc_file "${file}")" | sort -u | wc -l)))
    continue
  fi
  while IFS= read -r command; do
    total=$((total + 1))
    covered=no
    while IFS=$'\t' read -r test ref_file substring; do
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
  cat >&2 <<'HOW'
Each command of a ```sh block in README.md or docs/*.md must be run by a test.
For each command above, either
  - run it in a test that checks what it does: give the test the page in its
    data (//docs:PAGE.md, //:README.md) and //tests/lib:doc_commands in its
    deps, then
        doc_command docs/PAGE.md 'A SUBSTRING OF THE COMMAND'   # literal, in single quotes
        eval "${doc_line}"                                      # then check its effect
  - or, in a test that follows the whole page in order, pick every command
    with doc_command and end with: doc_page_all_run docs/PAGE.md
  - or remove it from the page.
HOW
  fail "${#uncovered[@]} documented commands are run by no test (listed above, with what to do)"
fi
echo "all ${total} documented commands are run by tests"
