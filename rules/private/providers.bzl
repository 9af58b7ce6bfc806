"""Providers shared by the image rules."""

ImageInfo = provider(
    doc = "One image of an image tree: its context, its build outputs and its place in the graph.",
    fields = {
        "name": "string: the image name, i.e. the folder name under the image tree (\"decision\").",
        "folder": "string: the image folder relative to its repository root (\"images/decision\").",
        "dockerfile": "File: the image's Dockerfile.",
        "context_hash": "File: holds the context hash as lowercase hex (no newline guaranteed).",
        "manifest": "File: the exact text that was hashed; `diff` two of them to see why an image rebuilt.",
        "context_tar": "File: the deterministic context tarball, exactly the hashed entries.",
        "tarball": "File or None: the image as a zstd-compressed docker-archive (NAME.tar.zst); None for a context-only target.",
        "metadata": "File or None: NAME.image.json (image ID, manifest digest, layers, context hash, tags); None for a context-only target.",
        "parents": "list of ImageInfo: the direct in-tree parents, in the order of the `parents` attribute (the context hash orders them by the Dockerfile).",
        "transitive_parents": "depset of Label: every in-tree ancestor image target.",
        "registry": "string: the registry name when known at analysis time (the `registry_name` attribute), else \"\"; the REGISTRY file is authoritative.",
        "version": "string: the version tag when known at analysis time (the `version_name` attribute), else \"\"; the VERSION file is authoritative.",
        "hash": "string: the pinned `sha256:` digest when known at analysis time (the `hash_name` attribute), else \"\".",
        "label": "Label: the image target (for a context-only target, the context target).",
    },
)

ImageContextInfo = provider(
    doc = "How an image's context was assembled; lets tests and tools recompute the context hash outside Bazel.",
    fields = {
        "root": "string: the repository root the context was hashed against, as seen from the execroot.",
        "build_args": "dict string -> string: the build arguments that enter the hash.",
        "srcs": "list of File: the folder's context files.",
        "includes": "list of File: the files `# %include` lines pull in.",
        "extra_files": "dict string -> File: context path -> Bazel-built file placed there.",
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
