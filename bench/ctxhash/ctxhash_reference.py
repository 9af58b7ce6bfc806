#!/usr/bin/env python3
"""A plain hashlib implementation of Context hash v1 (docs/context-hash.md).

Independent of tools/ctxhash: used by bench/ctxhash/run.sh as a baseline and
as a cross-check. Covers entries, .dockerignore (Docker's pattern rules),
`# %include`, modes, byte-order sorting, parent and build-argument lines.
Symlinks are followed; the repository-escape checks of ctxhash are not
repeated here.

  ctxhash_reference.py --root=R --context=F [--parent=NAME=HASH]...
                       [--build-arg=K=V]... [--manifest=OUT]
"""

import argparse
import hashlib
import os
import posixpath
import re
import stat
import sys

CHUNK = 1 << 20


def clean(path):
    cleaned = posixpath.normpath(path)
    return cleaned[2:] if cleaned.startswith("//") else cleaned


def compile_pattern(pattern):
    """Docker's pattern-to-regexp translation."""
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                out += ".*" if i + 1 == len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch in "[]":
            out += ch
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$", re.S)


def load_ignore(text):
    patterns = []
    for number, line in enumerate(text.split("\n")):
        if number == 0 and line.startswith("\ufeff"):
            line = line[1:]
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        line = clean(line)
        if len(line) > 1 and line.startswith("/"):
            line = line[1:]
        patterns.append((exception, compile_pattern(line)))
    return patterns


def excluded(patterns, path):
    matched = False
    parts = path.split("/")
    for exception, regex in patterns:
        if exception != matched:
            continue
        hit = regex.match(path) is not None
        for i in range(1, len(parts)):
            if hit:
                break
            hit = regex.match("/".join(parts[:i])) is not None
        if hit:
            matched = not exception
    return matched


def walk_files(top, prefix):
    """Yields (context path, filesystem path) of regular files below top."""
    for name in os.listdir(top):
        full = os.path.join(top, name)
        st = os.stat(full)
        if stat.S_ISDIR(st.st_mode):
            yield from walk_files(full, prefix + name + "/")
        elif stat.S_ISREG(st.st_mode):
            yield prefix + name, full
        else:
            raise SystemExit("%s: is not a regular file" % full)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return digest.hexdigest()


def manifest_text(root, context, parents, build_args):
    folder = os.path.join(root, context)
    entries = {}
    patterns = []
    ignore_path = os.path.join(folder, ".dockerignore")
    if os.path.exists(ignore_path):
        with open(ignore_path, encoding="utf-8") as f:
            patterns = load_ignore(f.read())
    for rel, full in walk_files(folder, ""):
        # The Dockerfile is always in the context, HASH never.
        if rel == "HASH" or (rel != "Dockerfile" and excluded(patterns, rel)):
            continue
        entries[rel] = full
    with open(os.path.join(folder, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read()
    for line in dockerfile.split("\n"):
        match = re.match(r"#\s*%include\s+(.*?)\s*$", line.rstrip("\r"))
        if not match:
            continue
        include = clean(match.group(1))
        target = os.path.join(root, include)
        if os.path.isdir(target):
            for rel, full in walk_files(target, "topsrcdir/%s/" % include):
                entries[rel] = full
        else:
            entries["topsrcdir/" + include] = target
    lines = []
    for rel in sorted(entries, key=lambda p: p.encode("utf-8")):
        full = entries[rel]
        mode = "755" if os.stat(full).st_mode & stat.S_IXUSR else "644"
        lines.append("%s %s %s\n" % (file_sha256(full), mode, rel))
    for name, digest in parents:
        lines.append("parent %s %s\n" % (digest, name))
    for name, value in sorted(build_args):
        lines.append("arg %s=%s\n" % (name, value))
    return "".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".")
    parser.add_argument("--context", required=True)
    parser.add_argument("--parent", action="append", default=[])
    parser.add_argument("--build-arg", "--build_arg", action="append", default=[])
    parser.add_argument("--manifest")
    args = parser.parse_args()
    parents = [tuple(p.split("=", 1)) for p in args.parent]
    build_args = [tuple(a.split("=", 1)) for a in args.build_arg]
    text = manifest_text(args.root, args.context, parents, build_args)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as f:
            f.write(text)
    print(hashlib.sha256(text.encode("utf-8")).hexdigest())


if __name__ == "__main__":
    sys.exit(main())
