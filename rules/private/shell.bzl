"""Quoting for the launcher scripts the rules generate."""

def shell_quote(text):
    """Returns `text` as one single-quoted shell word.

    Args:
      text: any string.

    Returns:
      The string in single quotes, each ' written as '\\'', so that bash reads it
      back unchanged, whatever it holds ($(...), backquotes, spaces, newlines).
    """
    return "'" + text.replace("'", "'\\''") + "'"

# The launchers' way to find a runfile: `runfile SHORT_PATH` prints where
# "images/x.tar.zst" (or "../repo/x" in another repository) is, under bazel
# run's working directory, RUNFILES_DIR, or the launcher's own runfiles tree.
# The script must set `workspace` (the workspace name) before calling it.
RUNFILE_SHELL_FUNCTION = """runfile() {
  local path="$1" rooted
  if [[ "${path}" == ../* ]]; then
    rooted="${path#../}"
  else
    rooted="${workspace}/${path}"
  fi
  if [[ -e "${path}" ]]; then
    echo "${path}"
  elif [[ -n "${RUNFILES_DIR:-}" && -e "${RUNFILES_DIR}/${rooted}" ]]; then
    echo "${RUNFILES_DIR}/${rooted}"
  else
    echo "$0.runfiles/${rooted}"
  fi
}"""
