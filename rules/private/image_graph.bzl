"""image_graph: the image graph of a tree as one JSON document for CI.

    image_graph(name = "graph", images = [":base-build", ":decision", ...])

`bazel build //images:graph` writes graph.json (schema: tools/graph/graph.proto,
printed with protobuf's JSON printer): every image's label, folder, parents,
children, context hash and manifest, index namespaces and registry reference,
plus a topological order, and the index and level builds use (//rules:index,
//rules:index_level). `decision` compares each manifest with the one the
latest indexed build kept, to say why an image must build. Only the context
actions run; no image is built unless `with_image_ids = True`.
"""

load(":index_settings.bzl", "INDEX_SETTINGS_ATTRS", "index_settings")
load(":providers.bzl", "ImageInfo", "ImageRegistryInfo")

def _image_graph_impl(ctx):
    # The graph names the index and level the builds use, so that the
    # decision tool plans against what a build would do.
    settings = index_settings(ctx, "image_graph(name = %r)" % ctx.label.name)

    inputs = []
    entries = []
    labels_by_name = {}
    for target in ctx.attr.images:
        info = target[ImageInfo]
        if info.name in labels_by_name:
            fail("image_graph(name = %r): images: %s and %s are both image %r; list each image once" % (
                ctx.label.name,
                labels_by_name[info.name],
                target.label,
                info.name,
            ))
        labels_by_name[info.name] = target.label
        entry = {
            "name": info.name,
            "label": str(info.label),
            "folder": info.folder,
            "parents": [parent.name for parent in info.parents],
            "context_hash_file": info.context_hash.path,
            "manifest_file": info.manifest.path,
        }
        inputs += [info.context_hash, info.manifest]
        if ImageRegistryInfo in target:
            registry = target[ImageRegistryInfo]
            for key, file in [
                ("registry_file", registry.registry_file),
                ("version_file", registry.version_file),
                ("hash_file", registry.hash_file),
            ]:
                if file:
                    entry[key] = file.path
                    inputs.append(file)
        if ctx.attr.with_image_ids:
            entry["metadata_file"] = info.metadata.path
            inputs.append(info.metadata)
        entries.append(entry)

    for target in ctx.attr.images:
        for parent in target[ImageInfo].parents:
            if parent.name not in labels_by_name:
                fail("image_graph(name = %r): images: %s has parent %r, which is not in the list; add %s" % (
                    ctx.label.name,
                    target.label,
                    parent.name,
                    parent.label,
                ))

    graph_input = ctx.actions.declare_file(ctx.label.name + ".input.json")
    ctx.actions.write(graph_input, json.encode({
        "images": entries,
        "index": settings.index,
        "level": settings.level,
    }))
    output = ctx.actions.declare_file(ctx.label.name + ".json")
    args = ctx.actions.args()
    args.add("--format=json")
    args.add("--input", graph_input)
    args.add("--output", output)
    ctx.actions.run(
        executable = ctx.executable._graph,
        arguments = [args],
        inputs = inputs + [graph_input],
        outputs = [output],
        mnemonic = "ImageGraph",
        progress_message = "Writing the image graph %s (%d images)" % (ctx.label, len(entries)),
    )
    return [DefaultInfo(
        files = depset([output]),
        runfiles = ctx.runfiles(files = [output]),
    )]

image_graph = rule(
    implementation = _image_graph_impl,
    doc = "Writes NAME.json: the graph of `images` with context hashes, index namespaces, registry references and a topological order.",
    attrs = dict({
        "images": attr.label_list(
            doc = "Every image of the tree (docker_image targets); each image's in-tree parents must be listed too.",
            providers = [ImageInfo],
        ),
        "with_image_ids": attr.bool(
            doc = "Also record each built image's ID; this builds every image.",
            default = False,
        ),
        "_graph": attr.label(
            default = Label("//tools/graph"),
            executable = True,
            cfg = "exec",
            doc = "The graph tool.",
        ),
    }, **INDEX_SETTINGS_ATTRS),
)
