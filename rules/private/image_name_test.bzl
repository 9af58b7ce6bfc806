"""image_name_test: image_name_error agrees with the tools' rule (tools/common/image_name_test.cc holds the same table)."""

load(":image_name.bzl", "image_name_error")

_GOOD = ["a", "base-build_2", "image_builder", "ubuntu1804-raw", "a__b", "a---b", "0x", "a" * 128]
_BAD = ["", "Base", "-x", "x-", "_x", "x_", "a___b", "a_-b", "a.b", "a/b", "a b", "rc-inj$(touch${IFS}PWNED)", "a\nb", "a" * 129]
_MESSAGE = "image name \"a.b\" is invalid: use 1 to 128 lowercase letters, digits, and single '_', '__' or runs of '-' between them (a registry repository name; '.' is not allowed, index namespaces use it as their separator)"

def _image_name_test_impl(ctx):
    problems = []
    for name in _GOOD:
        if image_name_error(name):
            problems.append("%r is refused: %s" % (name, image_name_error(name)))
    for name in _BAD:
        if "lowercase letters, digits" not in image_name_error(name):
            problems.append("%r is accepted" % name)
    if image_name_error("a.b") != _MESSAGE:
        problems.append("the message for \"a.b\" is %r" % image_name_error("a.b"))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        is_executable = True,
        content = "#!/usr/bin/env bash\n" + "".join([
            "echo %s >&2\n" % repr("FAIL: " + problem).replace("$", "\\$")
            for problem in problems
        ]) + "exit %d\n" % (1 if problems else 0),
    )
    return [DefaultInfo(executable = script)]

image_name_test = rule(
    implementation = _image_name_test_impl,
    doc = "Checks image_name_error on a table of names (evaluated at analysis; the test reports what disagreed).",
    test = True,
)
