"""image_push: `bazel run NAME.push` pushes an image pinned by digest."""

load(":launcher.bzl", "LAUNCHER_ATTRS", "write_launcher")
load(":providers.bzl", "ImageInfo", "ImageRegistryInfo")

def _runfile(file):
    # Paths relative to the runfiles root of the main repository; files of
    # other repositories live in sibling directories ("../repo/...").
    return file.short_path

def _single_file_with_suffix(target, suffix, attribute, label):
    matches = [f for f in target[DefaultInfo].files.to_list() if f.basename.endswith(suffix)]
    if len(matches) != 1:
        fail("%s: %s: %s must provide ImageInfo or exactly one %s file, got %s; point it at an image target" % (
            label,
            attribute,
            target.label,
            suffix,
            [f.basename for f in matches],
        ))
    return matches[0]

def _image_push_impl(ctx):
    target = ctx.attr.image
    info = target[ImageInfo] if ImageInfo in target else None
    registry_info = target[ImageRegistryInfo] if ImageRegistryInfo in target else None

    tarball = info.tarball if info else _single_file_with_suffix(target, ".tar.zst", "image", ctx.label)
    context_hash = ctx.file.context_hash_file or (info.context_hash if info else None)
    image_name = ctx.attr.image_name or (info.name if info else target.label.name)
    folder = ctx.attr.folder or (info.folder if info else "")

    registry_file = ctx.file.registry_file or (registry_info.registry_file if registry_info else None)
    version_file = ctx.file.version_file or (registry_info.version_file if registry_info else None)
    hash_file = ctx.file.hash_file or (registry_info.hash_file if registry_info else None)

    args = [
        "--tarball=" + _runfile(tarball),
        "--name=" + image_name,
        "--push_target=" + str(ctx.label),
    ]
    files = [tarball]
    if folder:
        args.append("--folder=" + folder)
    for flag, file in [
        ("--registry_file=", registry_file),
        ("--version_file=", version_file),
        ("--hash_file=", hash_file),
        ("--context_hash_file=", context_hash),
    ]:
        if file:
            args.append(flag + _runfile(file))
            files.append(file)

    script = write_launcher(ctx, ctx.executable._imagepush, args)
    runfiles = ctx.runfiles(files = files).merge(ctx.attr._imagepush[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

image_push = rule(
    implementation = _image_push_impl,
    executable = True,
    doc = """An executable that pushes an image to REGISTRY/NAME:VERSION pinned by digest.

`bazel run //images:NAME.push [-- --registry=HOST:PORT/PATH --update-hash --tls-verify=false
--index=registry://HOST/PATH --level=N --authfile=PATH]` decompresses NAME.tar.zst, pushes it with
skopeo, reads the manifest digest back from the registry and compares it with HASH: a
difference is an error (exit 3) and HASH stays as it was, unless `--update-hash`, which rewrites
the source tree's HASH atomically. The files are read when it runs, so editing REGISTRY,
VERSION or HASH needs no rebuild. See docs/push.md.""",
    attrs = dict(LAUNCHER_ATTRS, **{
        "context_hash_file": attr.label(
            allow_single_file = True,
            doc = "The image's context hash file (for the index tags); default: the image's ImageInfo.context_hash.",
        ),
        "folder": attr.string(
            doc = "The image folder relative to the workspace root (\"images/lint\"), whose HASH `--update-hash` rewrites; default: ImageInfo.folder.",
        ),
        "hash_file": attr.label(
            allow_single_file = True,
            doc = "The folder's HASH (`sha256:<digest>`) the pushed digest must match; omit when the image is not pinned yet.",
        ),
        "image": attr.label(
            mandatory = True,
            doc = "The image to push: a target with ImageInfo, or one whose files include exactly one NAME.tar.zst.",
        ),
        "image_name": attr.string(
            doc = "The repository name to push to; default: ImageInfo.name, else the image target's name.",
        ),
        "registry_file": attr.label(
            allow_single_file = True,
            doc = "The REGISTRY file (the folder's, else the tree's); default: ImageRegistryInfo.registry_file.",
        ),
        "version_file": attr.label(
            allow_single_file = True,
            doc = "The VERSION file (the tag); omit to push `latest` (with a warning).",
        ),
        "_imagepush": attr.label(
            default = Label("//tools/imagepush:imagepush"),
            executable = True,
            cfg = "target",
        ),
    }),
)
