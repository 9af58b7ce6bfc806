"""Forges an image's tarball for tests: changes bytes inside one of its layers
and frames it again as imagebuild does (one zstd frame per archive member,
made by the zstd tool), with its metadata rewritten to match. The
configuration, and so the image ID, stays: only hashing the layer finds it.

Usage: reframe_archive.py IN.tar.zst IN.image.json OLD NEW OUT.tar.zst OUT.image.json
(OLD and NEW are texts of the same length; OLD must occur in a layer.)
"""

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile


def padded(size):
    return (size + 511) // 512 * 512


def main(argv):
    src, src_metadata, old, new, out, out_metadata = argv[1:]
    old, new = old.encode(), new.encode()
    if len(old) != len(new):
        sys.exit("OLD and NEW must have the same length")
    plain = bytearray(subprocess.run(["zstd", "-q", "-d", "-c", src],
                                     check=True, stdout=subprocess.PIPE).stdout)
    members = tarfile.open(fileobj=io.BytesIO(bytes(plain))).getmembers()
    changed = False
    for member in members:
        if member.name.endswith(".tar"):
            start = member.offset_data
            at = plain.find(old, start, start + member.size)
            if at >= 0:
                plain[at:at + len(old)] = new
                changed = True
                break
    if not changed:
        sys.exit("%r occurs in no layer of %s" % (old.decode(), src))

    metadata = json.load(open(src_metadata))
    frames = {}
    tarball = bytearray()
    with tempfile.TemporaryDirectory() as scratch:
        for i, member in enumerate(members):
            end = (len(plain) if i == len(members) - 1 else
                   member.offset_data + padded(member.size))
            chunk = scratch + "/member"
            with open(chunk, "wb") as f:
                f.write(plain[member.offset:end])
            # From a file, the zstd tool records the content size in the
            # frame header, as imagebuild's frames do.
            frame = subprocess.run(["zstd", "-q", "-3", "-c", chunk],
                                   check=True, stdout=subprocess.PIPE).stdout
            frames[member.name] = {"offset": len(tarball), "size": len(frame)}
            tarball += frame
    for layer in metadata["layers"]:
        layer["frame"] = frames[layer["digest"][len("sha256:"):] + ".tar"]
    metadata["config_frame"] = frames[
        metadata["image_id"][len("sha256:"):] + ".json"]
    metadata["tarball_sha256"] = hashlib.sha256(tarball).hexdigest()
    metadata["tarball_size"] = len(tarball)
    with open(out, "wb") as f:
        f.write(tarball)
    with open(out_metadata, "w") as f:
        json.dump(metadata, f, indent=2)


if __name__ == "__main__":
    main(sys.argv)
