"""docker_image: the macro that makes the targets of one image folder."""

load(":image_build.bzl", "image_build")
load(":image_context.bzl", "image_context")
load(":image_load.bzl", "image_load")
load(":image_name.bzl", "image_name_error")
load(":image_push.bzl", "image_push")
load(":image_why.bzl", "image_why")

def docker_image(
        name,
        dockerfile,
        srcs = None,
        includes = [],
        references = {},
        parent = None,
        run_task = [],
        build_args = {},
        extra_files = {},
        bases = {},
        registry = None,
        version = None,
        hash = None,
        tags = [],
        visibility = None):
    """Makes the targets of the image `name`, built from the folder of `dockerfile`.

    Targets:
      NAME       the image: NAME.tar.zst (docker-archive, zstd) and NAME.image.json
      NAME.hash  the context only: NAME.context_hash, NAME.context.manifest,
                 NAME.context.tar (no buildah needed)
      NAME.load  `bazel run` it to load the image into docker or podman, tagged
      NAME.push  `bazel run` it to push the image to REGISTRY/NAME:VERSION by digest
      NAME.why   `bazel run` it to see what changed since the latest indexed build

    Args:
      name: the image name: the folder's name, or, in a taskgraph tree, the task's
        (several tasks may build one folder with `definition:`). Lowercase letters and
        digits separated by `_`, `__` or runs of `-`.
      dockerfile: the Dockerfile, "FOLDER/Dockerfile" relative to this package.
      srcs: the folder's context files, Dockerfile included; default: every file
        below the folder. `.dockerignore` is applied when hashing.
      includes: files pulled in by the Dockerfile's `# %include` lines.
      references: what each image reference of the Dockerfile names, dict: the
        reference as written after ARG expansion (`$DOCKER_IMAGE_PARENT` as is) ->
        ":NAME" (the in-tree image target NAME) or a reference pinned by digest
        ("REPOSITORY@sha256:<hex>"). Every `FROM`, `COPY --from` and `RUN --mount`
        `from=` that names an image must be listed, and every entry must be used;
        `bazel run //images:update` writes it. The image's parents are the in-tree
        targets named here, plus `parent`.
      parent: the declared parent (taskgraph's `parent:`), ":NAME": the image that
        `$DOCKER_IMAGE_PARENT` names; a parent even when the Dockerfile never uses it.
      run_task: taskgraph's run-task files (run-task, fetch-content, hgrc,
        robustcheckout.py, one directory), which the Dockerfile's
        `# %include-run-task` puts at run-task/NAME in the context.
      build_args: build arguments, dict NAME -> value; they enter the context hash.
      extra_files: Bazel-built files placed into the context, dict label -> path
        inside the image folder (e.g. {"//tools/index:index": "bin/index"}).
      bases: external bases, dict "NAME@sha256:<digest>" -> docker-archive target.
      registry: optional file label holding the registry (one line); without it the
        image is tagged localhost/NAME and cannot be pushed.
      version: optional file label holding the version tag (one line).
      hash: optional file label holding the pinned `sha256:` digest of the pushed image.
      tags: tags for every target made here.
      visibility: visibility of every target made here.
    """
    name_error = image_name_error(name)
    if name_error:
        fail("docker_image(name = %r): %s; rename the image (its folder, or its task in kind.yml)" % (name, name_error))
    path = dockerfile[1:] if dockerfile.startswith(":") else dockerfile
    if not path.endswith("/Dockerfile") or ":" in path:
        fail("docker_image(name = %r): dockerfile: %r is not a Dockerfile in a folder of this package; write \"FOLDER/Dockerfile\"" % (name, dockerfile))
    folder = path[:-len("/Dockerfile")]
    if srcs == None:
        srcs = native.glob([folder + "/**"])
    parents = []
    for written, target in references.items():
        if target.startswith(":"):
            if len(target) < 2:
                fail("docker_image(name = %r): references: %r -> %r names no image; write \":NAME\" for the in-tree image NAME" % (name, written, target))
            if target not in parents:
                parents.append(target)
        elif "@sha256:" not in target:
            fail("docker_image(name = %r): references: %r -> %r is neither \":NAME\" (an in-tree image) nor pinned by digest; write REPOSITORY@sha256:<64 hex digits>" % (name, written, target))
    if parent != None:
        if type(parent) != "string" or not parent.startswith(":") or len(parent) < 2:
            fail("docker_image(name = %r): parent: %r is not a sibling target; write \":NAME\" for the in-tree image NAME" % (name, parent))
        if parent not in parents:
            parents.append(parent)
    bases_by_target = {}
    for reference, target in bases.items():
        if target in bases_by_target:
            fail("docker_image(name = %r): bases: %r serves both %r and %r; give each reference its own archive target" % (
                name,
                target,
                bases_by_target[target],
                reference,
            ))
        bases_by_target[target] = reference

    image_context(
        name = name + ".hash",
        image_name = name,
        dockerfile = dockerfile,
        srcs = srcs,
        includes = includes,
        parents = sorted(parents),
        references = references,
        parent = parent[1:] if parent else "",
        run_task = run_task,
        build_args = build_args,
        extra_files = extra_files,
        tags = tags,
        visibility = visibility,
    )
    image_build(
        name = name,
        context = ":" + name + ".hash",
        bases = bases_by_target,
        registry = registry,
        version = version,
        hash = hash,
        tags = tags,
        visibility = visibility,
    )
    image_load(
        name = name + ".load",
        image = ":" + name,
        tags = tags,
        visibility = visibility,
    )
    image_push(
        name = name + ".push",
        image = ":" + name,
        tags = tags,
        visibility = visibility,
    )
    image_why(
        name = name + ".why",
        image = ":" + name + ".hash",
        tags = tags,
        visibility = visibility,
    )
