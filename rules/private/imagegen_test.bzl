"""image_tree_update and image_tree_test: keep an image tree's BUILD file in step with its folders.

    image_tree_update(name = "update")          # bazel run //images:update
    image_tree_test(name = "build_file_test")   # fails when images/BUILD.bazel is stale
"""

load(":launcher.bzl", "LAUNCHER_ATTRS", "write_launcher")

_COMMON_ATTRS = dict(LAUNCHER_ATTRS, **{
    "defs_bzl": attr.string(
        doc = "Label of the .bzl file the generated BUILD file loads docker_image and image_graph from (and, with repositories.bzl in its place, the generated bases.bzl loads image_pull from). Default: imagegraph's rules/defs.bzl as this workspace names it (\"@imagegraph//rules:defs.bzl\" from another workspace).",
    ),
    "image_tags": attr.string_list(
        doc = "Tags the generated docker_image targets carry (e.g. [\"manual\"] for a fixture tree that `bazel test //...` must not build).",
    ),
    "image_visibility": attr.string_list(
        doc = "Visibility of the generated docker_image targets (e.g. [\"//visibility:public\"]); default the package's.",
    ),
    "exports": attr.bool(
        default = True,
        doc = "Keep the regions that export the tree's inputs outside its package (kind.yml, includes, run-task files) in the BUILD files of their packages; False for a tree that is no Bazel package.",
    ),
    "images_dir": attr.string(
        doc = "The image tree relative to the repository root; its BUILD.bazel is the generated file. Defaults to this package.",
    ),
    "kind_yml": attr.string(
        doc = "A taskgraph kind.yml relative to the repository root. Default: where taskgraph keeps it, IMAGES_DIR/kind.yml or, for a tree at X/docker, X/kinds/docker-image/kind.yml (or X/ci/docker-image/kind.yml).",
    ),
    "_imagegen": attr.label(
        default = Label("//tools/imagegen:imagegen"),
        executable = True,
        cfg = "target",
        doc = "The generator.",
    ),
})

def _defs_bzl(ctx):
    # A Label written here resolves in imagegraph's own repository, so it
    # reads "@imagegraph//rules:defs.bzl" from any other workspace.
    return ctx.attr.defs_bzl or str(Label("//rules:defs.bzl"))

def _images_dir(ctx):
    return ctx.attr.images_dir or ctx.label.package

def _image_tree_update_impl(ctx):
    images_dir = _images_dir(ctx)
    flags = ["--images=" + images_dir, "--mode=write", "--defs_bzl=" + _defs_bzl(ctx)]
    if ctx.attr.image_tags:
        flags.append("--image_tags=" + ",".join(ctx.attr.image_tags))
    if ctx.attr.image_visibility:
        flags.append("--image_visibility=" + ",".join(ctx.attr.image_visibility))
    if ctx.attr.kind_yml:
        flags.append("--kind_yml=" + ctx.attr.kind_yml)
    if not ctx.attr.exports:
        flags.append("--noexports")
    script = write_launcher(ctx, ctx.executable._imagegen, flags, needs_bazel_run = True)
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [ctx.executable._imagegen]).merge(
            ctx.attr._imagegen[DefaultInfo].default_runfiles,
        ),
    )]

image_tree_update = rule(
    implementation = _image_tree_update_impl,
    doc = """`bazel run` it to rewrite IMAGES_DIR/BUILD.bazel from the image folders.

Only the region between `# BEGIN imagegraph generated` and
`# END imagegraph generated` is rewritten (atomically); everything outside it
is kept. Without a BUILD file, a new one is written with a header comment and
the load statement.""",
    attrs = _COMMON_ATTRS,
    executable = True,
)

def _image_tree_test_impl(ctx):
    images_dir = _images_dir(ctx)
    flags = [
        "--workspace=" + (ctx.attr.root or "."),
        "--images=" + images_dir,
        "--mode=check",
        "--defs_bzl=" + _defs_bzl(ctx),
        "--update_command=bazel run %s" % (ctx.attr.update_target or "//%s:update" % images_dir),
    ]
    if ctx.attr.image_tags:
        flags.append("--image_tags=" + ",".join(ctx.attr.image_tags))
    if ctx.attr.image_visibility:
        flags.append("--image_visibility=" + ",".join(ctx.attr.image_visibility))
    if ctx.attr.kind_yml:
        flags.append("--kind_yml=" + ctx.attr.kind_yml)
    if ctx.attr.build_file:
        flags.append("--build_file=" + ctx.attr.build_file)
    if not ctx.attr.exports:
        flags.append("--noexports")
    script = write_launcher(ctx, ctx.executable._imagegen, flags)
    runfiles = ctx.runfiles(files = [ctx.executable._imagegen] + ctx.files.srcs)
    runfiles = runfiles.merge(ctx.attr._imagegen[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

_image_tree_test = rule(
    implementation = _image_tree_test_impl,
    attrs = dict(_COMMON_ATTRS, **{
        "build_file": attr.string(
            doc = "The checked file relative to `root`; default IMAGES_DIR/BUILD.bazel (another name lets a test check a fixture tree that is no Bazel package).",
        ),
        "root": attr.string(
            doc = "The repository root of the tree relative to the workspace root; default the workspace root.",
        ),
        "srcs": attr.label_list(
            allow_files = True,
            doc = "Every file the generator reads: the image tree's (BUILD.bazel included), and outside it the kind.yml, the files `# %include` lines name, the run-task files and the BUILD files of their packages.",
        ),
        "update_target": attr.string(
            doc = "The target shown as the fix when the file is stale; default //IMAGES_DIR:update.",
        ),
    }),
    test = True,
)

def image_tree_test(name, srcs = None, extra_srcs = [], tree_inputs = ":tree.inputs", **kwargs):
    """Fails when the files the generator writes do not match the image folders.

    The failure names the fix (`bazel run //PACKAGE:update`) and shows the
    first lines that differ.

    Args:
      name: the test's name.
      srcs: the files of the image tree; default every file of this package
        (but one whose name holds a newline, which no label can name; the
        generator reports such a file).
      extra_srcs: more files the generator reads; rarely needed, as
        `tree_inputs` brings them.
      tree_inputs: the generated filegroup of the tree's inputs outside this
        package (kind.yml, includes, run-task files and the BUILD files of
        their packages); None for a tree whose generated file is no package.
      **kwargs: images_dir, kind_yml, defs_bzl, update_target, and the common
        test attributes (size, tags, ...).
    """
    if srcs == None:
        srcs = native.glob(["**"], exclude = ["**/*\n*"])
    kwargs.setdefault("size", "small")
    kwargs.setdefault("exports", tree_inputs != None)
    _image_tree_test(
        name = name,
        srcs = srcs + extra_srcs + ([tree_inputs] if tree_inputs else []),
        **kwargs
    )
