"""A prebuilt executable file as a Bazel executable target.

Nested test and benchmark workspaces use it to run the tools the outer build
made, so that they compile no C++ (an sh_binary would need a C++ toolchain).
"""

def _prebuilt_binary_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = ctx.file.src, is_executable = True)
    return [DefaultInfo(executable = out)]

prebuilt_binary = rule(
    implementation = _prebuilt_binary_impl,
    doc = "Makes the executable file `src` runnable as this target.",
    executable = True,
    attrs = {"src": attr.label(
        allow_single_file = True,
        mandatory = True,
        doc = "The prebuilt executable.",
    )},
)
