"""hostile_image: an ImageInfo whose name is shell code, for the launcher-script quoting tests."""

load("//rules:defs.bzl", "ImageInfo")

def _hostile_image_impl(ctx):
    tarball = ctx.actions.declare_file(ctx.label.name + ".tar.zst")
    metadata = ctx.actions.declare_file(ctx.label.name + ".image.json")
    ctx.actions.write(tarball, "")
    context_hash = ctx.actions.declare_file(ctx.label.name + ".context_hash")
    ctx.actions.write(metadata, "{}")
    ctx.actions.write(context_hash, "0" * 64)
    return [ImageInfo(
        name = ctx.attr.image_name,
        folder = "",
        context_hash = context_hash,
        tarball = tarball,
        metadata = metadata,
    )]

hostile_image = rule(
    implementation = _hostile_image_impl,
    doc = "An ImageInfo with the given image name, empty tarball and metadata files and a context hash of zeros.",
    attrs = {
        "image_name": attr.string(
            mandatory = True,
            doc = "The image name the provider carries.",
        ),
    },
)
