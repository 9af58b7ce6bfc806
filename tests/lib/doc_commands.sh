# shellcheck shell=bash
# The commands of the documentation, for the tests that run them. A command
# is a line of a ```sh block of a Markdown file (a line ending in '\' joined
# with the next; comment lines and trailing " # ..." comments dropped).
# Every command of docs/*.md and README.md is run by a test, and
# //tests/docs:docs_test fails on any that none runs. A test names the
# commands it runs in one of two ways, which docs_test reads from its source:
#
#   doc_command FILE 'SUBSTRING'  set ${doc_line} to the command of FILE equal
#                                 to SUBSTRING, else the one command that
#                                 contains it (a fixed string, written
#                                 literally in single quotes); the test then
#                                 runs it (eval "${doc_line}") and checks
#                                 what it did
#   doc_page_all_run FILE         for a test that follows a whole page in
#                                 order, picking each command with
#                                 doc_command FILE "${command}": fails unless
#                                 every command of FILE was picked
#   doc_commands FILE             print FILE's commands, one per line
#
# FILE is relative to the repository (docs/ci.md, README.md): the test lists
# it in its data (//docs:ci.md, //:README.md) and //tests/lib:doc_commands in
# its deps; a script run from the checkout (.ci/run) sets DOC_ROOT=.

doc_file() {
  echo "${DOC_ROOT:-${TEST_SRCDIR}/${TEST_WORKSPACE}}/$1"
}

doc_commands() {
  [[ -f "$1" ]] || fail "$1: no such documentation file (list it in the test's data)"
  awk '
    # The line up to a " #" outside quotes: what bash reads as a comment.
    function strip_comment(line,   i, c, quote) {
      quote = ""
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (quote == "") {
          if (c == "#" && i > 1 && substr(line, i - 1, 1) == " ") {
            line = substr(line, 1, i - 1)
            break
          }
          if (c == "\047" || c == "\"") quote = c
        } else if (c == quote) {
          quote = ""
        }
      }
      sub(/ +$/, "", line)
      return line
    }
    /^```/ {
      in_sh = (!in_sh && $0 == "```sh")
      joined = ""
      next
    }
    !in_sh { next }
    {
      line = $0
      if (joined != "") {
        sub(/^ +/, "", line)
        line = joined " " line
      }
      if (line ~ /\\$/) {
        joined = substr(line, 1, length(line) - 1)
        sub(/ +$/, "", joined)
        next
      }
      joined = ""
      if (line ~ /^ *(#.*)?$/) next
      line = strip_comment(line)
      print line
    }' "$1"
}

# The commands of FILE that SUBSTRING names: the command equal to it if
# there is one, else every command containing it.
doc_commands_named() {
  local file="$1" substring="$2"
  local all
  all="$(doc_commands "$(doc_file "${file}")" | sort -u)"
  if grep -qxF -- "${substring}" <<<"${all}"; then
    printf '%s\n' "${substring}"
  else
    grep -F -- "${substring}" <<<"${all}" || true
  fi
}

# FILE<TAB>COMMAND of every command doc_command picked in this shell.
doc_commands_picked=()

doc_command() {
  local file="$1" substring="$2"
  local matches
  matches="$(doc_commands_named "${file}" "${substring}")"
  [[ -n "${matches}" ]] ||
    fail "${file} has no command named by: ${substring} (the page changed: name one of its commands, or drop this step)"
  [[ "$(wc -l <<<"${matches}")" == 1 ]] ||
    fail "${file} has several commands containing '${substring}': ${matches} (name one of them with a longer substring)"
  doc_line="${matches}"
  doc_commands_picked+=("${file}"$'\t'"${doc_line}")
  echo "== ${file}: ${doc_line}"
}

doc_page_all_run() {
  local file="$1" command missing=()
  while IFS= read -r command; do
    printf '%s\n' "${doc_commands_picked[@]}" | grep -qxF -- "${file}"$'\t'"${command}" ||
      missing+=("${command}")
  done < <(doc_commands "$(doc_file "${file}")" | sort -u)
  if ((${#missing[@]} > 0)); then
    printf '  %s\n' "${missing[@]}" >&2
    fail "${file}: ${#missing[@]} commands above are not run by this test: add a step for each, or take it out of the page's sh blocks"
  fi
}
