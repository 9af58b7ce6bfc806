# shellcheck shell=bash
# The commands of the documentation, for the tests that run them. A command
# is a line of a ```sh block of a Markdown file (a line ending in '\' joined
# with the next; comment lines and trailing "  # ..." comments dropped).
# Every command of docs/*.md and README.md is run by a test that names it
# with doc_command; //tests/docs:docs_test checks that none is left out.
#
#   doc_commands FILE             print FILE's commands, one per line
#   doc_command FILE SUBSTRING    set ${doc_line} to the command of FILE
#                                 equal to SUBSTRING, else the one command
#                                 that contains it (a fixed string; write it
#                                 in single quotes: docs_test reads it from
#                                 the test's source)

# FILE is relative to the repository: a test lists it in its data; a script
# run from the checkout (.ci/run) sets DOC_ROOT.
doc_file() {
  echo "${DOC_ROOT:-${TEST_SRCDIR}/${TEST_WORKSPACE}}/$1"
}

doc_commands() {
  [[ -f "$1" ]] || fail "$1: no such documentation file"
  awk '
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
      sub(/ +# .*$/, "", line)
      if (line ~ /^ *(#.*)?$/) next
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

doc_command() {
  local file="$1" substring="$2"
  local matches
  matches="$(doc_commands_named "${file}" "${substring}")"
  [[ -n "${matches}" ]] || fail "${file} has no command named by: ${substring}"
  [[ "$(wc -l <<<"${matches}")" == 1 ]] ||
    fail "${file} has several commands containing '${substring}': ${matches}"
  doc_line="${matches}"
  echo "== ${file}: ${doc_line}"
}
