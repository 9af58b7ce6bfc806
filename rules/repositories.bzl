"""Repository rules of imagegraph, for WORKSPACE files.

    load("@imagegraph//rules:repositories.bzl", "image_pull")
"""

load("//rules/private:image_pull.bzl", _image_pull = "image_pull")

image_pull = _image_pull
