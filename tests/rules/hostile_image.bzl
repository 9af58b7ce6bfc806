"""hostile_image: an ImageInfo whose name is shell code, for the launcher-script quoting test."""

load("//rules:defs.bzl", "ImageInfo")

def _hostile_image_impl(ctx):
    tarball = ctx.actions.declare_file(ctx.label.name + ".tar.zst")
    metadata = ctx.actions.declare_file(ctx.label.name + ".image.json")
    ctx.actions.write(tarball, "")
    ctx.actions.write(metadata, "{}")
    return [ImageInfo(name = ctx.attr.image_name, tarball = tarball, metadata = metadata)]

hostile_image = rule(
    implementation = _hostile_image_impl,
    doc = "An ImageInfo with the given image name and empty tarball and metadata files.",
    attrs = {
        "image_name": attr.string(
            mandatory = True,
            doc = "The image name the provider carries.",
        ),
    },
)
