"""image_context: hashes an image folder's context in a sandboxed action (mnemonic ImageContext)."""

load(":paths.bzl", "check_relative_path", "image_folder", "repo_relative_path")
load(":providers.bzl", "ImageContextInfo", "ImageInfo")

def _single_file(target, attribute, owner):
    files = target.files.to_list()
    if len(files) != 1:
        fail("%s: %s: %s gives %d files (%s) but a context path holds exactly one; point at a target with a single output" % (
            owner,
            attribute,
            target.label,
            len(files),
            ", ".join([f.short_path for f in files]) or "none",
        ))
    return files[0]

def _staged(ctx, stage_dir, repo_path, file):
    """Places `file` at `<stage_dir>/<repo_path>` so that it sits under the staged repository root."""
    out = ctx.actions.declare_file("%s/%s" % (stage_dir, repo_path))
    ctx.actions.symlink(output = out, target_file = file)
    return out

def _check_parents(owner, parents, references, declared_parent):
    """Fails unless `parents` are exactly the in-tree images `references` and `declared_parent` name."""
    named = {target[1:]: written for written, target in references.items() if target.startswith(":")}
    if declared_parent:
        named.setdefault(declared_parent, "parent")
    given = [p.name for p in parents]
    for name, written in sorted(named.items()):
        if name not in given:
            fail("%s: references: %r names the in-tree image %r, which is not among parents; add \":%s\" to parents" % (owner, written, name, name))
    for name in given:
        if name not in named:
            fail("%s: parents: %r is named by neither references nor parent; remove it" % (owner, name))

def _image_context_impl(ctx):
    owner = str(ctx.label)
    name = ctx.attr.image_name
    dockerfile = ctx.file.dockerfile
    folder = image_folder(dockerfile)
    if folder == ".":
        fail("%s: dockerfile: %s sits at the repository root; an image needs its own folder (images/NAME/Dockerfile)" % (owner, dockerfile.short_path))

    srcs = list(ctx.files.srcs)
    if dockerfile not in srcs:
        srcs.append(dockerfile)
    for f in srcs:
        path = repo_relative_path(f)
        if not path.startswith(folder + "/"):
            fail("%s: srcs: %s is outside the image folder %s/; move it into the folder, or list it in `includes` and `# %%include` it" % (
                owner,
                path,
                folder,
            ))

    extra_files = {}
    src_paths = {repo_relative_path(f)[len(folder) + 1:]: f for f in srcs}
    for target, context_path in ctx.attr.extra_files.items():
        check_relative_path(context_path, "extra_files", owner)
        if context_path in src_paths:
            fail("%s: extra_files: %r would replace the source file %s/%s; choose another path or drop the source file" % (
                owner,
                context_path,
                folder,
                context_path,
            ))
        if context_path in extra_files:
            fail("%s: extra_files: two targets are placed at %r; give each its own path" % (owner, context_path))
        extra_files[context_path] = _single_file(target, "extra_files", owner)

    # ctxhash maps each listed file to its context path through its place under
    # the repository root. Source files already sit there; Bazel-built srcs or
    # includes do not, so then every one of them is symlinked into one staged
    # root (symlinks keep content and mode, hence the hash). Extra files are
    # never staged: ctxhash reads them where Bazel put them (--extra_file),
    # so that a build that takes the context from a remote cache never needs
    # their bytes.
    includes = ctx.files.includes
    run_task = ctx.files.run_task
    run_task_dir = ""
    if run_task:
        dirs = sorted({repo_relative_path(f).rpartition("/")[0]: True for f in run_task}.keys())
        if len(dirs) != 1 or not dirs[0]:
            fail("%s: run_task: the run-task files lie in %s; give the files of one directory inside the repository" % (
                owner,
                ", ".join([repr(d) for d in dirs]),
            ))
        run_task_dir = dirs[0]
    includes = includes + run_task
    needs_stage = [f for f in srcs + includes if not f.is_source]
    if needs_stage:
        stage_dir = name + ".ctxroot"
        by_path = {repo_relative_path(f): f for f in srcs + includes}
        inputs = [_staged(ctx, stage_dir, path, f) for path, f in sorted(by_path.items())]
        first_path, _ = sorted(by_path.items())[0]
        root = inputs[0].path[:-len("/" + first_path)]
    else:
        inputs = depset(srcs + includes).to_list()
        root = ctx.label.workspace_root or "."

    file_list = ctx.actions.declare_file(name + ".context.files")
    ctx.actions.write(file_list, "".join([f.path + "\n" for f in inputs]))

    context_hash = ctx.actions.declare_file(name + ".context_hash")
    manifest = ctx.actions.declare_file(name + ".context.manifest")
    context_tar = ctx.actions.declare_file(name + ".context.tar")

    parents = [p[ImageInfo] for p in ctx.attr.parents]
    _check_parents(owner, parents, ctx.attr.references, ctx.attr.parent)
    args = ctx.actions.args()
    args.add("--root=" + root)
    args.add("--context=" + folder)
    args.add("--file_list=" + file_list.path)

    # Where the sources really are: ctxhash refuses a file that resolves
    # outside this repository (or Bazel's output tree), such as a symlink to
    # a host file.
    args.add("--source_root=" + (ctx.label.workspace_root or "."))
    for parent in parents:
        args.add("--parent_hash_file=%s=%s" % (parent.name, parent.context_hash.path))
    for key in sorted(ctx.attr.build_args.keys()):
        args.add("--build_arg=%s=%s" % (key, ctx.attr.build_args[key]))
    for written, target in sorted(ctx.attr.references.items()):
        args.add("--reference=%s=%s" % (written, target))
    if ctx.attr.parent:
        args.add("--docker_image_parent=" + ctx.attr.parent)
    if run_task_dir:
        args.add("--run_task_dir=" + run_task_dir)
    for path, f in sorted(extra_files.items()):
        args.add("--extra_file=%s=%s" % (path, f.path))
    args.add("--manifest=" + manifest.path)
    args.add("--tar=" + context_tar.path)
    args.add("--hash_out=" + context_hash.path)

    # ctxhash also prints the hash on stdout; the hash file has it, and a quiet
    # action keeps Bazel from echoing one line per image.
    ctx.actions.run_shell(
        command = '"$@" >/dev/null',
        arguments = [ctx.executable._ctxhash.path, args],
        tools = [ctx.attr._ctxhash[DefaultInfo].files_to_run],
        inputs = inputs + extra_files.values() + [file_list] + [p.context_hash for p in parents],
        outputs = [context_hash, manifest, context_tar],
        mnemonic = "ImageContext",
        progress_message = "Hashing the context of image %s (%s)" % (ctx.label, folder),
    )

    transitive_parents = depset(
        [p.label for p in parents],
        transitive = [p.transitive_parents for p in parents],
    )
    return [
        DefaultInfo(files = depset([context_hash, manifest, context_tar])),
        ImageContextInfo(
            name = name,
            folder = folder,
            dockerfile = dockerfile,
            context_hash = context_hash,
            manifest = manifest,
            context_tar = context_tar,
            parents = parents,
            transitive_parents = transitive_parents,
            label = ctx.label,
            root = root,
            build_args = dict(ctx.attr.build_args),
            references = dict(ctx.attr.references),
            declared_parent = ctx.attr.parent,
            srcs = srcs,
            includes = includes,
            extra_files = extra_files,
        ),
        OutputGroupInfo(context_hash = depset([context_hash])),
    ]

image_context = rule(
    implementation = _image_context_impl,
    doc = """Hashes one image folder's context (Context hash v1) in the sandbox.

Outputs NAME.context_hash (hex), NAME.context.manifest (the hashed text) and
NAME.context.tar (deterministic tar of the hashed entries, except the
Bazel-built `extra_files`, which image_build gives the build as inputs of their
own), where NAME is `image_name`. Provides ImageContextInfo; image_build turns it into an image.""",
    attrs = {
        "image_name": attr.string(
            mandatory = True,
            doc = "The image name: the folder's name under the image tree (\"decision\").",
        ),
        "dockerfile": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The Dockerfile; its folder is the image folder whose files form the context.",
        ),
        "srcs": attr.label_list(
            allow_files = True,
            doc = "The folder's context files, Dockerfile included. `.dockerignore` is applied by the tool, so list every file of the folder.",
        ),
        "includes": attr.label_list(
            allow_files = True,
            doc = "Files that the Dockerfile's `# %include P` lines pull in (P relative to the repository root). An include not declared here is an error.",
        ),
        "parents": attr.label_list(
            providers = [ImageInfo],
            doc = "In-tree parent images (image_build targets), in any order: exactly the in-tree images that `references` and `parent` name (docker_image derives them). Their context hashes enter this hash in the order the Dockerfile first names them.",
        ),
        "references": attr.string_dict(
            doc = "What each image reference of the Dockerfile names: the reference as written after ARG expansion -> \":NAME\" (an in-tree parent) or a reference pinned by digest. The context action resolves through this map only: a reference it lacks, and an entry the Dockerfile never uses, are errors.",
        ),
        "parent": attr.string(
            doc = "The name of the declared parent (taskgraph's `parent:`), which `$DOCKER_IMAGE_PARENT` names; \"\" for none.",
        ),
        "run_task": attr.label_list(
            allow_files = True,
            doc = "taskgraph's run-task files (run-task, fetch-content, hgrc, robustcheckout.py), all in one directory: the Dockerfile's `# %include-run-task` puts them at run-task/NAME in the context. Given exactly when the Dockerfile has that line.",
        ),
        "build_args": attr.string_dict(
            doc = "Build arguments (`--build-arg K=V`); they enter the hash.",
        ),
        "extra_files": attr.label_keyed_string_dict(
            allow_files = True,
            doc = "Bazel-built files placed into the context: target (one file) -> path inside the image folder (\"bin/index\"). They enter the hash like any file of the folder (a `.dockerignore` that drops one is an error) but not the context tar: the build receives them as inputs of their own, so a root filesystem is never stored twice.",
        ),
        "_ctxhash": attr.label(
            default = Label("//tools/ctxhash:ctxhash"),
            executable = True,
            cfg = "exec",
        ),
    },
    provides = [ImageContextInfo],
)
