"""image_load: `bazel run NAME.load` loads an image into docker or podman, tagged."""

load(":providers.bzl", "ImageInfo")
load(":shell.bzl", "RUNFILE_SHELL_FUNCTION", "shell_quote")

def _image_load_impl(ctx):
    image = ctx.attr.image[ImageInfo]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        # Every value is one quoted shell word, assigned once at the top of
        # the script: a name like `x$(cmd)` stays text.
        substitutions = {
            "{LABEL}": shell_quote(str(ctx.label)),
            "{METADATA}": shell_quote(image.metadata.short_path),
            "{NAME}": shell_quote(image.name),
            "{RUNFILE_FUNCTION}": RUNFILE_SHELL_FUNCTION,
            "{TARBALL}": shell_quote(image.tarball.short_path),
            "{WORKSPACE}": shell_quote(ctx.workspace_name),
        },
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [image.tarball, image.metadata]),
    )]

image_load = rule(
    implementation = _image_load_impl,
    executable = True,
    doc = """An executable that loads an image into docker (when `docker info` succeeds) or else podman,
and tags it REGISTRY/NAME:VERSION and REGISTRY/NAME:<context hash>, the tags NAME.image.json
records. Needs zstd and jq.""",
    attrs = {
        "image": attr.label(
            mandatory = True,
            providers = [ImageInfo],
            doc = "The image_build target to load.",
        ),
        "_template": attr.label(
            default = Label("//rules/private:load.sh.tpl"),
            allow_single_file = True,
        ),
    },
)
