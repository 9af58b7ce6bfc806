"""Public API of imagegraph: rules that turn a tree of Docker image folders into a build graph.

    load("@imagegraph//rules:defs.bzl", "docker_image", "debian_rootfs")

See docs/rules.md for the reference.
"""

load("//rules/private:docker_image.bzl", _docker_image = "docker_image")
load("//rules/private:image_build.bzl", _image_build = "image_build")
load("//rules/private:image_context.bzl", _image_context = "image_context")
load("//rules/private:image_graph.bzl", _image_graph = "image_graph")
load("//rules/private:image_load.bzl", _image_load = "image_load")
load("//rules/private:image_pull.bzl", _image_pull = "image_pull")
load("//rules/private:image_push.bzl", _image_push = "image_push")
load("//rules/private:image_why.bzl", _image_why = "image_why")
load("//rules/private:imagegen_test.bzl", _image_tree_test = "image_tree_test", _image_tree_update = "image_tree_update")
load(
    "//rules/private:providers.bzl",
    _ImageContextInfo = "ImageContextInfo",
    _ImageInfo = "ImageInfo",
    _ImageRegistryInfo = "ImageRegistryInfo",
)
load("//rules/private:rootfs.bzl", _busybox_rootfs = "busybox_rootfs", _debian_rootfs = "debian_rootfs")

ImageInfo = _ImageInfo
ImageContextInfo = _ImageContextInfo
ImageRegistryInfo = _ImageRegistryInfo

docker_image = _docker_image
image_context = _image_context
image_build = _image_build
image_load = _image_load
image_push = _image_push
image_why = _image_why
image_pull = _image_pull
image_graph = _image_graph
image_tree_test = _image_tree_test
image_tree_update = _image_tree_update
debian_rootfs = _debian_rootfs
busybox_rootfs = _busybox_rootfs
