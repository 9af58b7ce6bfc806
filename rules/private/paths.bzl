"""Path helpers shared by the image rules."""

def repo_relative_path(file):
    """Returns the path of `file` relative to the root of the repository that owns it.

    Args:
      file: a File, source or generated.

    Returns:
      "images/decision/Dockerfile" for a file of the main repository, and the same
      for a file of an external repository (whose short_path starts with "../repo/").
    """
    path = file.short_path
    if path.startswith("../"):
        path = path[3:]
        path = path[path.index("/") + 1:]
    return path

def image_folder(dockerfile):
    """Returns the image folder holding `dockerfile`.

    Args:
      dockerfile: the Dockerfile, a File.

    Returns:
      The folder relative to its repository root ("images/decision"), or "."
      for a Dockerfile at the root.
    """
    path = repo_relative_path(dockerfile)
    if "/" not in path:
        return "."
    return path[:path.rindex("/")]

def check_relative_path(path, attribute, target):
    """Fails unless `path` is a clean relative path (no "..", not absolute, not empty)."""
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts or "" in parts or "." in parts:
        fail("%s: %s: %r is not a clean relative path; write it like \"bin/tool\" (no leading /, no '.', '..' or empty parts)" % (
            target,
            attribute,
            path,
        ))
