"""The one rule for image names, as tools/common/image_name.cc states it for the tools."""

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"

def image_name_error(name):
    """Returns "" when `name` may name an image, else why not.

    The rule: a registry repository name component (lowercase letters and digits,
    separated by `_`, `__` or runs of `-`), without `.` (index namespaces use it as
    their separator), 1 to 128 characters. Image names become target names, registry
    repositories, index namespaces and words of generated scripts.

    Args:
      name: the candidate name.

    Returns:
      "" or the message that echoes the name and states the rule.
    """
    ok = type(name) == "string" and len(name) >= 1 and len(name) <= 128
    if ok:
        # Runs of alphanumerics separated by "_", "__" or "-"+.
        state = "start"  # start | alnum | sep_ | sep__ | sep-
        for c in name.elems():
            if c in _ALNUM:
                state = "alnum"
            elif c == "_" and state == "alnum":
                state = "sep_"
            elif c == "_" and state == "sep_":
                state = "sep__"
            elif c == "-" and state in ["alnum", "sep-"]:
                state = "sep-"
            else:
                ok = False
                break
        ok = ok and state == "alnum"
    if ok:
        return ""
    return ("image name %r is invalid: use 1 to 128 lowercase letters, digits, and single " +
            "'_', '__' or runs of '-' between them (a registry repository name; '.' is not " +
            "allowed, index namespaces use it as their separator)") % (name,)
