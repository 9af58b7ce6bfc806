#!/usr/bin/env python3
"""The external bases of the taskgraph fixture tree, byte for byte.

Each base is a one-layer OCI image whose files are written here, so that its
manifest digest, which the fixture's kind.yml and Dockerfiles pin, is the same
on every machine. The layers are uncompressed tars (sorted, mtime 0, uid/gid
0), so no compressor version can change a byte.

    make_bases.py digests            print NAME DIGEST for each base
    make_bases.py push HOST:PORT     push every base to the registry at
                                     HOST:PORT (plain HTTP), by digest and tag
"""

import hashlib
import io
import json
import sys
import tarfile
import urllib.request

# repository:tag -> {path in the image: (mode, content)}
BASES = {
    "fixture/os:12": {
        "etc/os-release": (0o644, "NAME=fixture-os\nVERSION_ID=12\n"),
        "etc/motd": (0o644, "fixture os 12\n"),
    },
    "fixture/os:13": {
        "etc/os-release": (0o644, "NAME=fixture-os\nVERSION_ID=13\n"),
        "etc/motd": (0o644, "fixture os 13\n"),
    },
    "fixture/tools:2.1": {
        "opt/tools/bin/hello": (0o755, "#!/bin/sh\necho \"hello from tools 2.1\"\n"),
        "opt/tools/VERSION": (0o644, "2.1\n"),
    },
}
# The tree's HASH-only folder `published` pins the tools image as published
# under its own repository.
ALIASES = {"fixture/published:1": "fixture/tools:2.1"}

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def layer_tar(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        dirs = set()
        for path in sorted(files):
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for path in sorted(dirs | set(files)):
            info = tarfile.TarInfo(path)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path in files:
                mode, content = files[path]
                data = content.encode()
                info.mode = mode
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
    return out.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image(files):
    """Returns (manifest, config, layer) bytes."""
    layer = layer_tar(files)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
            # One history entry per layer: builders on this image count them.
            "history": [{"created_by": "tests/taskgraph/make_bases.py"}],
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest(config), "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER, "digest": digest(layer), "size": len(layer)}],
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return manifest, config, layer


def all_images():
    images = {name: image(files) for name, files in BASES.items()}
    for alias, name in ALIASES.items():
        images[alias] = images[name]
    return images


def push(registry, name, manifest, config, layer):
    repository, tag = name.split(":")
    for blob in (config, layer):
        url = f"http://{registry}/v2/{repository}/blobs/uploads/"
        with urllib.request.urlopen(urllib.request.Request(url, method="POST")) as response:
            location = response.headers["Location"]
        if location.startswith("/"):
            location = f"http://{registry}{location}"
        separator = "&" if "?" in location else "?"
        request = urllib.request.Request(
            f"{location}{separator}digest={digest(blob)}",
            data=blob,
            method="PUT",
            headers={"Content-Type": "application/octet-stream"},
        )
        urllib.request.urlopen(request).close()
    for reference in (digest(manifest), tag):
        request = urllib.request.Request(
            f"http://{registry}/v2/{repository}/manifests/{reference}",
            data=manifest,
            method="PUT",
            headers={"Content-Type": OCI_MANIFEST},
        )
        urllib.request.urlopen(request).close()


def main(argv):
    if len(argv) == 2 and argv[1] == "digests":
        for name, (manifest, _, _) in sorted(all_images().items()):
            print(name, digest(manifest))
        return 0
    if len(argv) == 3 and argv[1] == "push":
        for name, parts in sorted(all_images().items()):
            push(argv[2], name, *parts)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
