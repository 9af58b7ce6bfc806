"""Tests rebuilt with AddressSanitizer and UndefinedBehaviorSanitizer.

`asan_test(name = "x_asan", test = ":x")` builds the cc_test `:x` again with
the sanitizers (an outgoing transition on --copt and --linkopt) and runs it,
so that `bazel test //...`, the one command CI runs, runs it too. The flags
are those of `--config=asan` in .bazelrc; //tools/sanitizers:config_test
checks that the two agree.
"""

# The sanitizer flags; .bazelrc's `build:asan` lines repeat them.
ASAN_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]
ASAN_LINKOPTS = [
    "-fsanitize=address,undefined",
]

# Errors end the test with a stack trace; leaks are errors. .bazelrc's
# `test:asan --test_env` lines repeat them.
ASAN_OPTIONS = "detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
UBSAN_OPTIONS = "print_stacktrace=1:halt_on_error=1"

def _asan_transition_impl(settings, _attr):
    copts = settings["//command_line_option:copt"]
    linkopts = settings["//command_line_option:linkopt"]
    return {
        "//command_line_option:copt": copts + [f for f in ASAN_COPTS if f not in copts],
        "//command_line_option:linkopt": linkopts + [f for f in ASAN_LINKOPTS if f not in linkopts],
    }

_asan_transition = transition(
    implementation = _asan_transition_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
)

def _asan_test_impl(ctx):
    test = ctx.attr.test[0]
    binary = test[DefaultInfo].files_to_run.executable
    launcher = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = launcher,
        content = "#!/usr/bin/env bash\nexec \"${{TEST_SRCDIR}}/${{TEST_WORKSPACE}}/{}\" \"$@\"\n".format(binary.short_path),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [binary]).merge(test[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = launcher, runfiles = runfiles),
        testing.TestEnvironment({
            "ASAN_OPTIONS": ASAN_OPTIONS,
            "UBSAN_OPTIONS": UBSAN_OPTIONS,
        }),
    ]

_asan_test = rule(
    implementation = _asan_test_impl,
    doc = "Runs a cc_test rebuilt with AddressSanitizer and UBSan.",
    attrs = {
        "test": attr.label(
            mandatory = True,
            executable = True,
            cfg = _asan_transition,
            doc = "The cc_test to rebuild with the sanitizers and run.",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    test = True,
)

def asan_test(name, test, size = "small", tags = [], **kwargs):
    """Runs `test` (a cc_test) rebuilt with AddressSanitizer and UBSan.

    Args:
      name: the new test's name, by convention the test's plus "_asan".
      test: the cc_test's label.
      size: the test size; the sanitizers make a test about twice as slow.
      tags: tags, e.g. those of the test ("no-sandbox", "exclusive").
      **kwargs: other test attributes (timeout, flaky, ...).
    """
    _asan_test(
        name = name,
        test = test,
        size = size,
        tags = tags + ["asan"],
        **kwargs
    )
