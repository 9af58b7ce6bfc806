"""write_launcher: the one way the rules write the scripts `bazel run` and `bazel test` start."""

load(":shell.bzl", "shell_quote")

LAUNCHER_ATTRS = {
    "_launcher_template": attr.label(
        default = Label("//rules/private:launcher.sh.tpl"),
        allow_single_file = True,
        doc = "The script write_launcher fills in.",
    ),
}

def write_launcher(ctx, tool, args = [], needs_bazel_run = False):
    """Writes LABEL_NAME.sh, which runs `tool` with `args` and its own arguments.

    The script finds the runfiles tree (beside itself, $RUNFILES_DIR, or the
    working directory's parent), works in the main repository's directory of
    it, and execs the tool there: paths are short paths (`File.short_path`,
    "../repo/..." for another repository). Every value is one single-quoted
    word, whatever the label, the image name or the path holds.

    Args:
      ctx: the context of a rule with LAUNCHER_ATTRS.
      tool: the File to run, in the target's runfiles.
      args: strings passed before the script's own arguments.
      needs_bazel_run: refuse to run (exit 2) outside `bazel run`, whose
        $BUILD_WORKSPACE_DIRECTORY the tool needs.

    Returns:
      The executable File.
    """
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._launcher_template,
        output = script,
        is_executable = True,
        substitutions = {
            "{ARGS}": " ".join([shell_quote(arg) for arg in args]),
            "{LABEL}": shell_quote(str(ctx.label)),
            "{NEEDS_BAZEL_RUN}": "1" if needs_bazel_run else "0",
            "{TOOL}": shell_quote(tool.short_path),
            "{WORKSPACE}": shell_quote(ctx.workspace_name),
        },
    )
    return script
