#!/usr/bin/env bash
# doc_commands.sh on a page of its own: what counts as a command, how
# doc_command picks one, and the messages of a name that picks none or
# several and of a page not run whole.
set -euo pipefail

source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/checks.sh"
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib/doc_commands.sh"

# fail ends the shell it runs in: run each failing call in a subshell.
in_subshell() { ("$@"); }

DOC_ROOT="${TEST_TMPDIR}"
mkdir -p "${DOC_ROOT}/docs"
cat >"${DOC_ROOT}/docs/page.md" <<'PAGE'
# A page

    indented text is no command

```sh
# a comment line
bazel build //a:b   # a trailing comment
bazel run //a:b.push -- \
    --update-hash
bazel build //a:b.hash
```

```text
bazel build //not:a-command
```

```json
{"sh": "no"}
```

```sh
echo "a # inside quotes stays"
```
PAGE

expect_eq "$(doc_commands "${DOC_ROOT}/docs/page.md")" \
  'bazel build //a:b
bazel run //a:b.push -- --update-hash
bazel build //a:b.hash
echo "a # inside quotes stays"' "the commands of the page"

doc_command docs/page.md 'bazel build //a:b' >/dev/null
expect_eq "${doc_line}" "bazel build //a:b" "a name equal to a command picks it, though another contains it"
doc_command docs/page.md 'push' >/dev/null
expect_eq "${doc_line}" "bazel run //a:b.push -- --update-hash" "a substring of one command"

run in_subshell doc_command docs/page.md 'bazel build'
expect_rc 1 "a name of two commands"
expect_contains "${err}" "docs/page.md has several commands containing 'bazel build': bazel build //a:b" "the message of a name of two commands"
expect_contains "${err}" "name one of them with a longer substring" "the fix"

run in_subshell doc_command docs/page.md 'not:a-command'
expect_rc 1 "a name of a text block's line"
expect_contains "${err}" "docs/page.md has no command named by: not:a-command (the page changed" "the message of a name of nothing"

run in_subshell doc_command docs/missing.md 'x'
expect_rc 1 "a page that does not exist"
expect_contains "${err}" "docs/missing.md: no such documentation file (list it in the test's data)" "the missing page"

# Two commands picked of four: the page is not run whole.
run in_subshell doc_page_all_run docs/page.md
expect_rc 1 "a page run in part"
expect_contains "${err}" "docs/page.md: 2 commands above are not run by this test" "the message of a page run in part"
expect_contains "${err}" "  bazel build //a:b.hash" "the command left out"
doc_command docs/page.md '//a:b.hash' >/dev/null
doc_command docs/page.md 'echo' >/dev/null
doc_page_all_run docs/page.md

echo "PASS"
