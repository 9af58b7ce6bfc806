"""The com_google_protobuf repository, bound to Debian's protobuf."""

def _system_protobuf_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "com_google_protobuf")\n')
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")
    rctx.file("protoc.sh", '#!/bin/sh\nexec /usr/bin/protoc "$@"\n', executable = True)

system_protobuf = repository_rule(
    implementation = _system_protobuf_impl,
    doc = "Binds /usr/bin/protoc and libprotobuf as @com_google_protobuf.",
    attrs = {"build_file": attr.label(mandatory = True, doc = "The BUILD file to use.")},
    local = True,
)
