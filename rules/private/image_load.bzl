"""image_load: `bazel run NAME.load` loads an image into docker or podman, tagged."""

load(":launcher.bzl", "LAUNCHER_ATTRS", "write_launcher")
load(":providers.bzl", "ImageInfo")

def _image_load_impl(ctx):
    image = ctx.attr.image[ImageInfo]
    script = write_launcher(ctx, ctx.file._load, [
        str(ctx.label),
        image.name,
        image.tarball.short_path,
        image.metadata.short_path,
    ])
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [ctx.file._load, image.tarball, image.metadata]),
    )]

image_load = rule(
    implementation = _image_load_impl,
    executable = True,
    doc = """An executable that loads an image into docker (when `docker info` succeeds) or else podman,
and tags it REGISTRY/NAME:VERSION and REGISTRY/NAME:<context hash>, the tags NAME.image.json
records. Needs zstd and jq.""",
    attrs = dict(LAUNCHER_ATTRS, **{
        "image": attr.label(
            mandatory = True,
            providers = [ImageInfo],
            doc = "The image_build target to load.",
        ),
        "_load": attr.label(
            default = Label("//rules/private:load.sh"),
            allow_single_file = True,
            doc = "The script that loads and tags the image.",
        ),
    }),
)
