"""image_why: `bazel run NAME.why` says what changed since the latest indexed build of an image."""

load(":index_settings.bzl", "INDEX_SETTINGS_ATTRS", "index_settings")
load(":launcher.bzl", "LAUNCHER_ATTRS", "write_launcher")
load(":providers.bzl", "ImageContextInfo")

def _image_why_impl(ctx):
    owner = str(ctx.label)
    context = ctx.attr.image[ImageContextInfo]

    # With the index off the target still builds (it is part of //images/...);
    # running it is what reports that there is nothing to compare with.
    settings = index_settings(ctx, owner)

    # "default" stays symbolic: the tool resolves the user's own index
    # directory when it runs.
    script = write_launcher(ctx, ctx.executable._why, [
        "--name=" + context.name,
        "--folder=" + context.folder,
        "--context_manifest=" + context.manifest.short_path,
        "--index=" + settings.index,
        "--level=%d" % settings.level,
    ])
    runfiles = ctx.runfiles(files = [context.manifest])
    runfiles = runfiles.merge(ctx.attr._why[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

image_why = rule(
    implementation = _image_why_impl,
    executable = True,
    doc = """An executable that prints what changed since the latest indexed build of an image: whether
its context is indexed (a build reuses it), else the decision's one-line reason and every line
of the context manifest that differs from the one that build kept (level 3 first, then each
lower level down to --//rules:index_level, in the index --//rules:index names). Needs only the
image's context, never its build. Exits 3 when no build of the image is indexed.""",
    attrs = dict({
        "image": attr.label(
            mandatory = True,
            providers = [ImageContextInfo],
            doc = "The image's context (the image_context target NAME.hash, or the image itself).",
        ),
        "_why": attr.label(
            default = Label("//tools/decision:why"),
            executable = True,
            cfg = "target",
            doc = "The tool that compares the manifests.",
        ),
    }, **dict(INDEX_SETTINGS_ATTRS, **LAUNCHER_ATTRS)),
)
