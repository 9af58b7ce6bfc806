"""image_build: builds an image from its hashed context with buildah (mnemonic ImageBuild)."""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")
load(":index_settings.bzl", "INDEX_SETTINGS_ATTRS", "index_settings")
load(":providers.bzl", "ImageContextInfo", "ImageInfo", "ImageRegistryInfo")

_SHA256_HEX = "0123456789abcdef"

def _check_base_reference(reference, owner):
    at = reference.find("@sha256:")
    digest = reference[at + len("@sha256:"):] if at > 0 else ""
    if at <= 0 or len(digest) != 64 or [c for c in digest.elems() if c not in _SHA256_HEX]:
        fail("%s: bases: %r is not pinned by digest; write it as NAME@sha256:<64 lowercase hex digits>, exactly as the Dockerfile's FROM line names it" % (
            owner,
            reference,
        ))

def _image_build_impl(ctx):
    owner = str(ctx.label)
    context = ctx.attr.context[ImageContextInfo]
    name = context.name
    if name != ctx.label.name:
        fail("%s: context: %s hashes image %r but this target is named %r; name the target after the image folder" % (
            owner,
            ctx.attr.context.label,
            name,
            ctx.label.name,
        ))

    tarball = ctx.actions.declare_file(name + ".tar.zst")
    metadata = ctx.actions.declare_file(name + ".image.json")

    args = ctx.actions.args()
    args.add("--name=" + name)

    # The registry and version live in files that Starlark cannot read at
    # analysis time; imagebuild reads them (no VERSION file: tag "latest").
    if ctx.file.registry:
        args.add("--registry_file=" + ctx.file.registry.path)
    if ctx.file.version:
        args.add("--version_file=" + ctx.file.version.path)
    args.add("--context_tar=" + context.context_tar.path)
    args.add("--context_hash_file=" + context.context_hash.path)
    args.add("--context_manifest=" + context.manifest.path)

    # The context tar leaves Bazel-built files out (a root filesystem would
    # otherwise be stored twice); the build places them, checked against the
    # manifest.
    for path, f in sorted(context.extra_files.items()):
        args.add("--extra_file=%s=%s" % (path, f.path))
    args.add("--dockerfile=" + context.dockerfile.basename)
    for parent in context.parents:
        args.add("--parent=%s=%s" % (parent.name, parent.tarball.path))
        args.add("--parent_metadata=%s=%s" % (parent.name, parent.metadata.path))
    base_archives = []
    for target, reference in ctx.attr.bases.items():
        _check_base_reference(reference, owner)
        files = target.files.to_list()
        if len(files) != 1:
            fail("%s: bases: %s gives %d files; point %r at a target with exactly one docker-archive tarball" % (
                owner,
                target.label,
                len(files),
                reference,
            ))
        args.add("--base=%s=%s" % (reference, files[0].path))
        base_archives.append(files[0])
    for key in sorted(context.build_args.keys()):
        args.add("--build_arg=%s=%s" % (key, context.build_args[key]))
    for written, target in sorted(context.references.items()):
        args.add("--reference=%s=%s" % (written, target))
    if context.declared_parent:
        args.add("--docker_image_parent=" + context.declared_parent)
    args.add("--output=" + tarball.path)
    args.add("--metadata=" + metadata.path)
    args.add("--zstd_level=%d" % ctx.attr._zstd_level[BuildSettingInfo].value)
    settings = index_settings(ctx, owner)

    # "default" stays symbolic: the tool resolves the user's cache directory
    # when it runs, so the command line (and the cache key) is the same on
    # every machine.
    args.add("--index=" + settings.index)
    args.add("--index_level=%d" % settings.level)

    # Symbolic like the index: "default" is the user's own store.
    args.add("--layer_store=" + ctx.attr._layer_store[BuildSettingInfo].value)
    args.add("--storage_driver=" + ctx.attr._storage_driver[BuildSettingInfo].value)
    buildah = ctx.attr._buildah[BuildSettingInfo].value
    if not buildah:
        fail("%s: //rules:buildah is empty; set --//rules:buildah to a program name in PATH or an absolute path" % owner)
    args.add("--buildah=" + buildah)

    inputs = [context.context_tar, context.context_hash, context.manifest] + base_archives
    inputs += context.extra_files.values()
    if ctx.file.registry:
        inputs.append(ctx.file.registry)
    inputs += [p.tarball for p in context.parents]
    inputs += [p.metadata for p in context.parents]
    if ctx.file.version:
        inputs.append(ctx.file.version)

    ctx.actions.run(
        executable = ctx.executable._imagebuild,
        arguments = [args],
        inputs = inputs,
        outputs = [tarball, metadata],
        mnemonic = "ImageBuild",
        # PATH (newuidmap, unshare) reaches imagebuild (TMPDIR is the
        # client's: Bazel drops an --action_env one);
        # buildah runs with the environment imagebuild gives it.
        use_default_shell_env = True,
        # The context hash is an output of the ImageContext action, so it
        # cannot appear here (messages are fixed at analysis); imagebuild
        # prints its first 12 digits as its first line instead.
        progress_message = "Building image %s%s" % (
            ctx.label,
            " on " + ", ".join([p.name for p in context.parents]) if context.parents else "",
        ),
        # buildah cannot work through the sandbox's symlinks and RUN steps may
        # reach the network; the result still goes to disk and remote caches.
        execution_requirements = {"no-sandbox": "1", "requires-network": "1"},
    )

    # A test or tool that takes the image as data also gets what describes it.
    runfiles_files = [tarball, metadata, context.context_hash]
    if ctx.file.registry:
        runfiles_files.append(ctx.file.registry)
    if ctx.file.version:
        runfiles_files.append(ctx.file.version)
    return [
        DefaultInfo(
            files = depset([tarball]),
            runfiles = ctx.runfiles(files = runfiles_files),
        ),
        ImageInfo(
            name = name,
            folder = context.folder,
            dockerfile = context.dockerfile,
            context_hash = context.context_hash,
            manifest = context.manifest,
            context_tar = context.context_tar,
            tarball = tarball,
            metadata = metadata,
            parents = context.parents,
            transitive_parents = context.transitive_parents,
            label = ctx.label,
        ),
        context,
        ImageRegistryInfo(
            registry_file = ctx.file.registry,
            version_file = ctx.file.version,
            hash_file = ctx.file.hash,
        ),
        OutputGroupInfo(
            context = depset([context.context_hash, context.manifest, context.context_tar]),
            metadata = depset([metadata]),
        ),
    ]

image_build = rule(
    implementation = _image_build_impl,
    doc = """Builds one image of the tree from its image_context target.

Outputs NAME.tar.zst (docker-archive, zstd) and NAME.image.json. The build's
inputs are the context (tar, manifest and the Bazel-built extra files the tar
leaves out), the parents' tarballs and the pinned bases only, so a file that
`.dockerignore` drops never causes a rebuild.

With an index configured (`--//rules:index`, default the user's cache
directory), the action first looks the context hash up there and, when an
entry's tarball verifies, writes it instead of building; built images are
inserted. The action itself still runs on a hit: it copies instead of builds.""",
    attrs = dict({
        "context": attr.label(
            mandatory = True,
            providers = [ImageContextInfo],
            doc = "The image_context target of this image.",
        ),
        "bases": attr.label_keyed_string_dict(
            allow_files = True,
            doc = "External bases: docker-archive target -> the pinned reference (NAME@sha256:...) the Dockerfile's FROM names.",
        ),
        "registry": attr.label(
            allow_single_file = True,
            doc = "File holding the registry (one line); the image is tagged REGISTRY/NAME:VERSION. Without it the image is tagged localhost/NAME:VERSION and cannot be pushed.",
        ),
        "version": attr.label(
            allow_single_file = True,
            doc = "File holding the version tag (one line); `latest`, with a warning, when absent.",
        ),
        "hash": attr.label(
            allow_single_file = True,
            doc = "File holding `sha256:<digest>` of the pushed image; pushes are checked against it.",
        ),
        "_buildah": attr.label(
            default = Label("//rules:buildah"),
            providers = [BuildSettingInfo],
            doc = "The buildah binary the build runs (--//rules:buildah).",
        ),
        "_imagebuild": attr.label(
            default = Label("//tools/imagebuild:imagebuild"),
            executable = True,
            cfg = "exec",
        ),
        "_layer_store": attr.label(
            default = Label("//rules:layer_store"),
            providers = [BuildSettingInfo],
            doc = "Where parents' layers are kept between builds (--//rules:layer_store).",
        ),
        "_storage_driver": attr.label(
            default = Label("//rules:storage_driver"),
            providers = [BuildSettingInfo],
            doc = "The storage driver of the build's storages: auto, overlay or vfs (--//rules:storage_driver).",
        ),
        "_zstd_level": attr.label(
            default = Label("//rules:zstd_level"),
            providers = [BuildSettingInfo],
            doc = "The zstd level of NAME.tar.zst (--//rules:zstd_level).",
        ),
    }, **INDEX_SETTINGS_ATTRS),
    provides = [ImageInfo, ImageContextInfo, ImageRegistryInfo],
)
