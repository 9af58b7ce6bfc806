#!/usr/bin/env python3
"""Writes an image tree in the shape of a browser's taskgraph docker-image kind.

    gen_tree.py --out DIR

The shape (68 tasks over 44 folders: which tasks share a folder through
definition:, their parent: and args:, packages: and arch:, the includes
inside and outside the tree, # %include-run-task) is reconstructed from the
published kind.yml of such a project; the names are descriptive, the
contents are stand-ins. Only external bases are pinned (by a made-up digest
under a registry that does not exist), so `imagegen --mode=print` and
`graph` accept the tree without any edit. Prints the number of tasks and
folders.
"""

import argparse
import hashlib
import os

# Raw images: a distribution's base image, one folder for all of them.
# task -> (args, arch)
RAW = {
    "ubuntu1804-raw": ({"BASE_IMAGE": "ubuntu:bionic"}, None),
    "ubuntu1804-i386-raw": ({"BASE_IMAGE": "i386/ubuntu:bionic"}, None),
    "ubuntu2004-raw": ({"BASE_IMAGE": "ubuntu:focal"}, None),
    "ubuntu2204-raw": ({"BASE_IMAGE": "ubuntu:jammy"}, None),
    "ubuntu2204-arm64-raw": ({"BASE_IMAGE": "ubuntu:jammy"}, "arm64"),
    "ubuntu2404-raw": ({"BASE_IMAGE": "ubuntu:noble", "SNAPSHOT": "20250716T072533Z"}, None),
    "debian8-raw": ({"BASE_IMAGE": "debian:jessie", "DIST": "jessie"}, None),
    "debian8-i386-raw": ({"BASE_IMAGE": "i386/debian:jessie", "DIST": "jessie"}, None),
    "debian12-raw": ({"BASE_IMAGE": "debian:bookworm", "DIST": "bookworm",
                      "SNAPSHOT": "20230611T210420Z"}, None),
    "debian12-arm64-raw": ({"BASE_IMAGE": "debian:bookworm", "DIST": "bookworm",
                            "SNAPSHOT": "20230611T210420Z"}, "arm64"),
}

# Every other task: name -> (definition or None, parent or None, args, packages, arch).
TASKS = {
    "image_builder": (None, None, {"ARCH": "amd64"}, 0, None),
    "image_builder_arm64": ("image_builder", None, {"ARCH": "arm64"}, 0, "arm64"),
    "ubuntu1804-packages": ("debian-packages", "ubuntu1804-raw", {}, 0, None),
    "ubuntu1804-i386-packages": ("debian-packages", "ubuntu1804-i386-raw", {}, 0, None),
    "ubuntu2004-packages": ("debian-packages", "ubuntu2004-raw", {}, 0, None),
    "ubuntu2204-packages": ("debian-packages", "ubuntu2204-raw", {}, 0, None),
    "ubuntu2204-arm64-packages": ("debian-packages", "ubuntu2204-arm64-raw", {}, 0, "arm64"),
    "ubuntu2404-packages": ("debian-packages", "ubuntu2404-raw", {}, 0, None),
    "debian8-packages": ("debian-packages", "debian8-raw", {}, 0, None),
    "debian8-i386-packages": ("debian-packages", "debian8-i386-raw", {}, 0, None),
    "debian12-packages": ("debian-packages", "debian12-raw", {}, 0, None),
    "ubuntu1804-base": (None, "ubuntu1804-raw", {}, 3, None),
    "ubuntu1804-test-base": (None, "ubuntu1804-base", {}, 4, None),
    "ubuntu1804-test": (None, "ubuntu1804-test-base", {}, 0, None),
    "ubuntu1804-build-python": ("build-python", "ubuntu1804-base", {}, 0, None),
    "ubuntu2004-base": ("debian-base", "ubuntu2004-raw", {}, 2, None),
    "ubuntu2204-base": ("debian-base", "ubuntu2204-raw", {}, 2, None),
    "ubuntu2404-base": ("debian-base", "ubuntu2404-raw", {}, 2, None),
    "ubuntu2404-build-python-wheels": ("build-python-wheels", "ubuntu2404-base", {}, 0, None),
    "ubuntu2404-test-base": (None, "ubuntu2404-base", {"ARCH": "amd64"}, 0, None),
    "ubuntu2404-test": ("ubuntu1804-test", "ubuntu2404-test-base", {}, 0, None),
    "debian12-base": ("debian-base", "debian12-raw", {}, 2, None),
    "debian12-amd64-build": ("debian-build", "debian12-base", {}, 0, None),
    "debian12-repackage": ("debian-repackage", "debian12-base", {}, 1, None),
    "debian12-flatpak": ("debian-flatpak", "debian12-base", {}, 1, None),
    "debian12-rpm-repackage": ("rpm-repackage", "debian12-base", {}, 1, None),
    "deb12-toolchain-build": ("toolchain-build", "debian12-base", {}, 0, None),
    "custom-v8": (None, "debian12-base", {}, 0, None),
    "custom-car-linux": (None, "debian12-base", {"TARGET": "linux"}, 0, None),
    "custom-car-android": ("custom-car-linux", "debian12-base", {"TARGET": "android"}, 0, None),
    "valgrind-build": (None, "debian12-amd64-build", {}, 1, None),
    "lint": (None, "debian12-base", {}, 0, None),
    "android-build": (None, "debian12-base", {}, 1, None),
    "fetch": (None, "debian12-raw", {}, 1, None),
    "fetch-more": (None, "fetch", {}, 0, None),
    "static-analysis-build": (None, "debian12-base", {}, 0, None),
    "gdb-test": (None, "debian12-amd64-build", {}, 0, None),
    "index-task": (None, None, {}, 0, None),
    "funsize-update-generator": (None, None, {}, 0, None),
    "update-verify": (None, "ubuntu2004-base", {}, 0, None),
    "diffoscope": (None, "debian12-base", {}, 0, None),
    "partner-repack": (None, "debian12-base", {}, 0, None),
    "push-to-try": (None, "debian12-base", {}, 0, None),
    "updatebot": (None, "push-to-try", {}, 0, None),
    "periodic-updates": (None, "debian12-base", {}, 0, None),
    "browser-snap": (None, None, {}, 0, None),
    "browser-flatpak": (None, None, {}, 0, None),
    "webrender": (None, "debian12-base", {}, 0, None),
    "condprof": (None, "ubuntu1804-test", {}, 0, None),
    "sentry": (None, "debian12-base", {}, 0, None),
    "system-symbols-mac": (None, "debian12-base", {}, 0, None),
    "system-symbols-win": (None, "debian12-base", {"GFX": "0"}, 0, None),
    "system-symbols-win-gfx": ("system-symbols-win", "debian12-base", {"GFX": "1"}, 0, None),
    "system-symbols-linux-scraper": (None, "debian12-base", {}, 0, None),
    "decision": (None, "ubuntu2004-base", {}, 0, None),
    "snap-build-core22": ("snap-coreXX-build", "ubuntu2204-base",
                          {"SNAP_BASE": "core22", "SNAP_LIST": "gnome-42-2204 gtk-common-themes"}, 0, None),
    "android-components": (None, "debian12-base", {}, 0, None),
    "android-ui-tests": (None, "ubuntu2204-base", {}, 0, None),
}

# Shared scripts: inside the tree (recipes/) and outside it.
RECIPES = ["setup_packages.sh", "clean_packages.sh", "hgrc", "xvfb.sh",
           "install-node.sh", "common.sh"]
OUTSIDE = ["taskcluster/scripts/run-task", "taskcluster/scripts/misc/fetch-content",
           "tools/checkout/robustcheckout.py"]
RUN_TASK_FILES = ["run-task", "fetch-content", "hgrc", "robustcheckout.py"]


def digest(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def pinned(base):
    """A made-up pin of an external base under a registry that does not exist."""
    return "bases.invalid/%s@%s" % (base.replace(":", "-"), digest(base))


def write(out, path, text, mode=0o644):
    full = os.path.join(out, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    os.chmod(full, mode)


def dockerfile(folder, tasks_using, has_parent):
    """The Dockerfile of `folder`, built by `tasks_using` (name -> args)."""
    lines = []
    arg_names = sorted({name for args in tasks_using.values() for name in args})
    if folder == "debian-raw":
        # Not every raw task sets DIST and SNAPSHOT: Docker ARGs, as there.
        lines += ["ARG BASE_IMAGE", "FROM $BASE_IMAGE", "ARG DIST", "ARG SNAPSHOT",
                  "RUN echo \"$DIST $SNAPSHOT\" > /etc/dist"]
        arg_names = []
    elif has_parent:
        lines.append("FROM $DOCKER_IMAGE_PARENT")
    else:
        lines.append("FROM " + pinned("debian:%s-base" % folder))
    for name in arg_names:
        lines += ["# %ARG " + name, "RUN echo \"%s=$%s\" >> /etc/args" % (name, name)]
    if folder in ("debian-raw", "debian-base", "ubuntu1804-base"):
        for recipe in ("setup_packages.sh", "clean_packages.sh"):
            lines += ["# %include taskcluster/docker/recipes/" + recipe,
                      "COPY topsrcdir/taskcluster/docker/recipes/%s /usr/local/sbin/" % recipe]
    if folder in ("debian-base", "ubuntu1804-base"):
        for path in OUTSIDE:
            lines += ["# %include " + path, "COPY topsrcdir/%s /builds/worker/bin/" % path]
        lines += ["# %include taskcluster/docker/recipes/hgrc",
                  "COPY topsrcdir/taskcluster/docker/recipes/hgrc /etc/mercurial/hgrc"]
    if folder in ("ubuntu1804-test-base", "ubuntu2404-test-base"):
        lines += ["# %include taskcluster/docker/recipes/xvfb.sh",
                  "COPY topsrcdir/taskcluster/docker/recipes/xvfb.sh /usr/local/bin/"]
    if folder in ("lint", "android-components", "android-ui-tests"):
        lines += ["# %include-run-task"]
    if folder in ("lint", "periodic-updates"):
        lines += ["# %include taskcluster/docker/recipes/install-node.sh",
                  "COPY topsrcdir/taskcluster/docker/recipes/install-node.sh /setup/"]
    lines += ["COPY setup.sh /setup/setup.sh", "RUN sh /setup/setup.sh"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = args.out

    tasks = {}
    for name, (task_args, arch) in RAW.items():
        tasks[name] = ("debian-raw", None, task_args, 0, arch)
    tasks.update(TASKS)

    folders = {}
    for name, (definition, parent, task_args, _, _) in tasks.items():
        folder = definition or name
        folders.setdefault(folder, ({}, set()))
        folders[folder][0][name] = task_args
        folders[folder][1].add(parent is not None)
    for folder, (users, parents) in folders.items():
        write(out, "taskcluster/docker/%s/Dockerfile" % folder,
              dockerfile(folder, users, True in parents))
        write(out, "taskcluster/docker/%s/setup.sh" % folder,
              "#!/bin/sh\necho setting up %s\n" % folder, 0o755)
    for recipe in RECIPES:
        write(out, "taskcluster/docker/recipes/" + recipe, "# %s\n" % recipe)
    for path in OUTSIDE:
        write(out, path, "#!/bin/sh\necho %s\n" % os.path.basename(path), 0o755)
    for name in RUN_TASK_FILES:
        write(out, "third_party/taskgraph/run-task/" + name, "# %s\n" % name)
    write(out, "taskcluster/docker/RUN_TASK", "third_party/taskgraph/run-task\n")

    kind = ["loader: taskgraph.loader.transform:loader", "",
            "kind-dependencies:", "  - packages", "",
            "transforms:",
            "  - taskgraph.transforms.docker_image:transforms",
            "  - taskgraph.transforms.cached_tasks:transforms",
            "  - taskgraph.transforms.task:transforms", "",
            "tasks:"]
    for name, (definition, parent, task_args, packages, arch) in tasks.items():
        kind.append("  %s:" % name)
        kind.append("    symbol: I(%s)" % name)
        if definition:
            kind.append("    definition: " + definition)
        if parent:
            kind.append("    parent: " + parent)
        if task_args:
            kind.append("    args:")
            for key, value in sorted(task_args.items()):
                if key == "BASE_IMAGE":
                    value = pinned(value)
                kind.append("      %s: \"%s\"" % (key, value))
        if packages:
            kind.append("    packages:")
            for k in range(packages):
                kind.append("      - %s-package-%d" % (name, k))
        if arch:
            kind.append("    arch: " + arch)
    write(out, "taskcluster/kinds/docker-image/kind.yml", "\n".join(kind) + "\n")
    print("%d tasks over %d folders" % (len(tasks), len(folders)))


if __name__ == "__main__":
    main()
