"""Providers shared by the image rules."""

ImageContextInfo = provider(
    doc = "One image's hashed context (an image_context target, and the image built from it): what went into the context hash, and how the context was assembled so that tests and tools can recompute the hash outside Bazel.",
    fields = {
        "name": "string: the image name, i.e. the folder name under the image tree (\"decision\").",
        "folder": "string: the image folder relative to its repository root (\"images/decision\").",
        "dockerfile": "File: the image's Dockerfile.",
        "context_hash": "File: holds the context hash as lowercase hex (no newline guaranteed).",
        "manifest": "File: the exact text that was hashed; `diff` two of them to see why an image rebuilt.",
        "context_tar": "File: the deterministic context tarball: the hashed entries except the extra files.",
        "parents": "list of ImageInfo: the direct in-tree parent images, sorted by label (the context hash orders them by the Dockerfile).",
        "transitive_parents": "depset of Label: every in-tree ancestor image target.",
        "label": "Label: the image_context target.",
        "root": "string: the repository root the context was hashed against, as seen from the execroot.",
        "build_args": "dict string -> string: the build arguments that enter the hash.",
        "references": "dict string -> string: what each image reference of the Dockerfile names (\":NAME\" or a pinned reference).",
        "declared_parent": "string: the name of the declared parent ($DOCKER_IMAGE_PARENT), \"\" for none.",
        "srcs": "list of File: the folder's context files.",
        "includes": "list of File: the files `# %include` lines pull in.",
        "extra_files": "dict string -> File: context path -> Bazel-built file placed there (hashed, not in context_tar; the build takes it as an input).",
    },
)

ImageInfo = provider(
    doc = "One built image of an image tree (an image_build target): its build outputs, its context and its place in the graph.",
    fields = {
        "name": "string: the image name, i.e. the folder name under the image tree (\"decision\").",
        "folder": "string: the image folder relative to its repository root (\"images/decision\").",
        "dockerfile": "File: the image's Dockerfile.",
        "context_hash": "File: holds the context hash as lowercase hex (no newline guaranteed).",
        "manifest": "File: the exact text that was hashed.",
        "context_tar": "File: the deterministic context tarball: the hashed entries except the extra files.",
        "tarball": "File: the image as a zstd-compressed docker-archive (NAME.tar.zst).",
        "metadata": "File: NAME.image.json (image ID, manifest digest, layers, context hash, tags).",
        "parents": "list of ImageInfo: the direct in-tree parents, sorted by label (the context hash orders them by the Dockerfile).",
        "transitive_parents": "depset of Label: every in-tree ancestor image target.",
        "label": "Label: the image target.",
    },
)

ImageRegistryInfo = provider(
    doc = "The registry files of an image, read at execution time by the tools that tag and push.",
    fields = {
        "registry_file": "File: one line naming the registry (the folder's REGISTRY, else the tree's).",
        "version_file": "File or None: one line, the version tag; None means `latest`.",
        "hash_file": "File or None: `sha256:<digest>` of the pushed image; None when not pinned yet.",
    },
)
