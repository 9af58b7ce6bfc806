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
