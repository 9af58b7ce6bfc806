"""docker_image: the macro that makes the targets of one image folder."""

load(":image_build.bzl", "image_build")
load(":image_context.bzl", "image_context")
load(":image_load.bzl", "image_load")
load(":image_push.bzl", "image_push")

def docker_image(
        name,
        dockerfile,
        srcs = None,
        includes = [],
        parents = [],
        build_args = {},
        extra_files = {},
        bases = {},
        registry = "REGISTRY",
        version = None,
        hash = None,
        tags = [],
        visibility = None):
    """Makes the targets of the image folder `name`.

    Targets:
      NAME       the image: NAME.tar.zst (docker-archive, zstd) and NAME.image.json
      NAME.hash  the context only: NAME.context_hash, NAME.context.manifest,
                 NAME.context.tar (no buildah needed)
      NAME.load  `bazel run` it to load the image into docker or podman, tagged
      NAME.push  `bazel run` it to push the image to REGISTRY/NAME:VERSION by digest

    Args:
      name: the image name, which is the name of the folder holding the Dockerfile.
      dockerfile: the Dockerfile, "NAME/Dockerfile" relative to this package.
      srcs: the folder's context files, Dockerfile included; default: every file
        below the folder. `.dockerignore` is applied when hashing.
      includes: files pulled in by the Dockerfile's `# %include` lines.
      parents: in-tree parent image targets, in any order; exactly the in-tree images
        that the Dockerfile names (`FROM`, `COPY --from`).
      build_args: build arguments, dict NAME -> value; they enter the context hash.
      extra_files: Bazel-built files placed into the context, dict label -> path
        inside the image folder (e.g. {"//tools/index:index": "bin/index"}).
      bases: external bases, dict "NAME@sha256:<digest>" -> docker-archive target.
      registry: file label holding the registry (one line).
      version: optional file label holding the version tag (one line).
      hash: optional file label holding the pinned `sha256:` digest of the pushed image.
      tags: tags for every target made here.
      visibility: visibility of every target made here.
    """
    path = dockerfile[1:] if dockerfile.startswith(":") else dockerfile
    if not path.endswith("/Dockerfile") or ":" in path:
        fail("docker_image(name = %r): dockerfile: %r is not a Dockerfile in a folder of this package; write \"%s/Dockerfile\"" % (name, dockerfile, name))
    folder = path[:-len("/Dockerfile")]
    if folder.split("/")[-1] != name:
        fail("docker_image(name = %r): dockerfile: %r sits in folder %r; an image is named after its folder, so name it %r or write dockerfile = \"%s/Dockerfile\"" % (
            name,
            dockerfile,
            folder,
            folder.split("/")[-1],
            name,
        ))
    if srcs == None:
        srcs = native.glob([folder + "/**"])
    for parent in parents:
        if type(parent) != "string" or not parent:
            fail("docker_image(name = %r): parents: %r is not a label; write \":base-build\" for the sibling folder base-build" % (name, parent))
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
        parents = parents,
        build_args = build_args,
        extra_files = extra_files,
        registry = registry,
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
