#!/usr/bin/env python3
"""Writes a synthetic image tree for the graph benchmarks.

    gen_tree.py --out DIR [--images 1000] [--depth 8] [--files 20] [--seed 1]

DIR/images/ gets one folder per image (a Dockerfile and FILES-1 other files,
some dropped by a .dockerignore), a random DAG of FROM edges up to DEPTH
levels (some images also COPY --from a second parent), and shared scripts
under DIR/images/recipes/ that some images `# %include`. Prints, as JSON, a
leaf image's file and the most included recipe (the benchmark's inputs).
"""

import argparse
import json
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--shared", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    images_dir = os.path.join(args.out, "images")
    os.makedirs(os.path.join(images_dir, "recipes"), exist_ok=True)
    with open(os.path.join(images_dir, "REGISTRY"), "w") as f:
        f.write("localhost:5000/bench\n")
    recipes = []
    for k in range(args.shared):
        path = "images/recipes/shared-%02d.sh" % k
        recipes.append(path)
        with open(os.path.join(args.out, path), "w") as f:
            f.write("#!/bin/sh\necho shared %d\n" % k)

    # Levels 0..depth-1: a few roots, the rest spread over the deeper levels.
    levels = [[] for _ in range(args.depth)]
    names = []
    for i in range(args.images):
        level = 0 if i < max(1, args.images // 50) else rng.randrange(1, args.depth)
        name = "img-%04d" % i
        levels[level].append(name)
        names.append((name, level))
    # Make sure every level below a populated one has a parent to pick.
    for level in range(1, args.depth):
        if not levels[level - 1] and levels[level]:
            levels[level - 1].append(levels[level].pop())
    level_of = {n: l for l in range(args.depth) for n in levels[l]}

    include_count = {r: 0 for r in recipes}
    children = {n: 0 for n in level_of}
    parents_of = {}
    for name, level in sorted(level_of.items()):
        parents = []
        if level > 0:
            parents.append(rng.choice(levels[level - 1]))
            if level > 1 and rng.random() < 0.1:
                second = rng.choice(levels[rng.randrange(0, level - 1)])
                if second not in parents:
                    parents.append(second)
        for p in parents:
            children[p] += 1
        parents_of[name] = parents

    for name, level in sorted(level_of.items()):
        folder = os.path.join(images_dir, name)
        os.makedirs(folder, exist_ok=True)
        parents = parents_of[name]
        lines = []
        if parents:
            lines.append("FROM %s" % parents[0])
        else:
            lines.append("FROM scratch")
        includes = []
        if rng.random() < 0.3:
            includes = rng.sample(recipes, rng.randint(1, 2))
        for inc in includes:
            include_count[inc] += 1
            lines.append("# %%include %s" % inc)
            lines.append("COPY topsrcdir/%s /setup/" % inc)
        for p in parents[1:]:
            lines.append("COPY --from=%s /etc/marker /etc/marker-%s" % (p, p))
        lines.append("COPY . /opt/%s/" % name)
        with open(os.path.join(folder, "Dockerfile"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(folder, ".dockerignore"), "w") as f:
            f.write("*.md\n")
        for k in range(args.files - 2):
            ext = "md" if k == 0 else "txt"
            with open(os.path.join(folder, "file-%02d.%s" % (k, ext)), "w") as f:
                f.write(("%s %d %08x\n" % (name, k, rng.getrandbits(32))) * 8)

    leaves = sorted(n for n, c in children.items() if c == 0)
    leaf = rng.choice(leaves)
    shared = max(recipes, key=lambda r: include_count[r])
    print(json.dumps({
        "images": len(level_of),
        "leaf_file": "images/%s/file-01.txt" % leaf,
        "shared_include": shared,
        "shared_include_users": include_count[shared],
    }))


if __name__ == "__main__":
    main()
