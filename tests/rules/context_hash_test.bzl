"""context_hash_test: the Bazel-computed context hash of every image equals the ctxhash CLI's hash of its folder."""

load("//rules:defs.bzl", "ImageContextInfo")

def _parents_first(images):
    """Orders images so that every in-list parent comes before its children."""
    ordered = []
    done = {}
    for _ in range(len(images)):
        for image in images:
            if image.name in done:
                continue
            if [p for p in image.parents if p.name not in done and p.name in [i.name for i in images]]:
                continue
            done[image.name] = True
            ordered.append(image)
    return ordered

def _context_hash_test_impl(ctx):
    images = _parents_first([t[ImageContextInfo] for t in ctx.attr.images])
    if not images:
        fail("%s: images: no image targets given; list the NAME.hash targets to check" % ctx.label)

    # The first line names a Dockerfile whose real path locates the source tree.
    lines = ["tree\t%s" % images[0].dockerfile.short_path]
    runfiles = []
    for image in images:
        lines.append("image\t%s\t%s\t%s" % (image.name, image.folder, image.context_hash.short_path))
        runfiles.append(image.context_hash)
        runfiles.append(image.manifest)
        for parent in image.parents:
            lines.append("parent\t%s\t%s" % (image.name, parent.name))
        for written, target in sorted(image.references.items()):
            lines.append("ref	%s	%s	%s" % (image.name, written, target))
        if image.declared_parent:
            lines.append("dparent	%s	%s" % (image.name, image.declared_parent))
        for key, value in sorted(image.build_args.items()):
            lines.append("arg\t%s\t%s=%s" % (image.name, key, value))
        for path, file in sorted(image.extra_files.items()):
            lines.append("extra\t%s\t%s\t%s" % (image.name, path, file.short_path))
            runfiles.append(file)
        runfiles += image.srcs + image.includes
    spec = ctx.actions.declare_file(ctx.label.name + ".spec")
    ctx.actions.write(spec, "\n".join(lines) + "\n")

    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        runner,
        "#!/usr/bin/env bash\nexec %s %s %s \"$@\"\n" % (
            ctx.file._script.short_path,
            ctx.executable._ctxhash.short_path,
            spec.short_path,
        ),
        is_executable = True,
    )
    runfiles += [spec, ctx.file._script]
    return [DefaultInfo(
        executable = runner,
        runfiles = ctx.runfiles(files = runfiles).merge(ctx.attr._ctxhash[DefaultInfo].default_runfiles),
    )]

context_hash_test = rule(
    implementation = _context_hash_test_impl,
    test = True,
    doc = "Recomputes each image's context hash with the ctxhash CLI on a copy of the source tree and compares.",
    attrs = {
        "images": attr.label_list(
            mandatory = True,
            providers = [ImageContextInfo],
            doc = "The image (or NAME.hash) targets to check.",
        ),
        "_script": attr.label(
            default = ":context_hash_test.sh",
            allow_single_file = True,
        ),
        "_ctxhash": attr.label(
            default = "//tools/ctxhash:ctxhash",
            executable = True,
            cfg = "target",
        ),
    },
)
