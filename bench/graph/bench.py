#!/usr/bin/env python3
"""Benchmarks the BUILD generator and the graph tool on a synthetic tree.

    bench/graph/bench.py [--images 1000] [--runs 5] [--bazel]

Generates a tree of IMAGES image folders (gen_tree.py: random DAG up to 8
levels, 20 files each, shared includes), builds //tools/imagegen and
//tools/graph with -c opt, and times:
  - the generator writing images/BUILD.bazel, and checking it;
  - graph --affected-by for one leaf image's file and for the most shared
    include, next to `bazel query rdeps(...)` answering the same question;
  - graph --format=json (every context hash computed from the files).
With --bazel it also times, in a copy of the repository holding the synthetic
tree: bazel query over the tree, a cold build of every NAME.hash target and
a null build. Prints a Markdown table (median of RUNS, wall and CPU seconds).

Set BAZEL to the Bazel command (default: ./bazelw); BAZEL_OUTPUT_BASE to
build the tools in a given output base.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bazel_command(output_base=None):
    command = os.environ.get("BAZEL", os.path.join(REPO, "bazelw")).split()
    base = output_base or os.environ.get("BAZEL_OUTPUT_BASE")
    if base:
        command.append("--output_base=" + base)
    return command


def timed(argv, runs, cwd=None, stdin_text=None, check=True):
    """Median wall and CPU seconds of `runs` runs of argv, and its stdout."""
    walls, cpus = [], []
    out = ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        result = subprocess.run(argv, cwd=cwd, input=stdin_text, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if check and result.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(argv), result.stderr))
        walls.append(wall)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        out = result.stdout
    return statistics.median(walls), statistics.median(cpus), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bazel", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary tree")
    args = parser.parse_args()

    bazel = bazel_command()
    subprocess.run(bazel + ["build", "-c", "opt", "//tools/imagegen", "//tools/graph"],
                   cwd=REPO, check=True, stderr=subprocess.DEVNULL)
    bin_dir = subprocess.run(bazel + ["info", "-c", "opt", "bazel-bin"], cwd=REPO, check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True).stdout.strip()
    imagegen = os.path.join(bin_dir, "tools/imagegen/imagegen")
    graph = os.path.join(bin_dir, "tools/graph/graph")

    work = tempfile.mkdtemp(prefix="imagegraph-bench-")
    rows = []
    try:
        tree = os.path.join(work, "ws")
        os.makedirs(tree)
        info = json.loads(subprocess.run(
            [sys.executable, os.path.join(REPO, "bench/graph/gen_tree.py"), "--out", tree,
             "--images", str(args.images)],
            check=True, stdout=subprocess.PIPE, text=True).stdout)
        files = sum(len(f) for _, _, f in os.walk(os.path.join(tree, "images")))

        wall, cpu, _ = timed([imagegen, "--workspace=" + tree, "--mode=write"], args.runs)
        rows.append(("generator: write images/BUILD.bazel (`bazel run //images:update`)", wall, cpu, "< 2 s"))
        wall, cpu, _ = timed([imagegen, "--workspace=" + tree, "--mode=check"], args.runs)
        rows.append(("generator: staleness check (`image_tree_test`)", wall, cpu, ""))

        for what, path in (("a leaf image's file", info["leaf_file"]),
                           ("the most shared include (%d users)" % info["shared_include_users"],
                            info["shared_include"])):
            wall, cpu, out = timed([graph, "--workspace=" + tree, "--affected-by=" + path], args.runs)
            rows.append(("graph --affected-by %s: %d images" % (what, len(out.split())), wall, cpu, "< 0.5 s"))
        wall, cpu, _ = timed([graph, "--workspace=" + tree, "--format=json"], args.runs)
        rows.append(("graph --format=json (hashes %d contexts)" % info["images"], wall, cpu, ""))

        if args.bazel:
            rows.extend(bazel_rows(tree, info, args.runs))
    finally:
        if args.keep:
            print("tree kept in", work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print("Synthetic tree: %d images, %d files under images/ (seed 1)." % (info["images"], files))
    print()
    print("| step | wall (s) | CPU (s) | target |")
    print("| --- | ---: | ---: | --- |")
    for name, wall, cpu, target in rows:
        cpu_text = "" if cpu != cpu else "%.3f" % cpu
        print("| %s | %.3f | %s | %s |" % (name, wall, cpu_text, target))


def bazel_rows(tree, info, runs):
    """Bazel on a copy of the repository whose images/ is the synthetic tree."""
    rows = []
    repo = os.path.join(os.path.dirname(tree), "repo")
    ignore = shutil.ignore_patterns(".git", "bazel-*", "images")
    shutil.copytree(REPO, repo, ignore=ignore, symlinks=True)
    shutil.copytree(os.path.join(tree, "images"), os.path.join(repo, "images"))
    output_base = os.path.join(os.path.dirname(tree), "ob")
    bazel = bazel_command(output_base)
    try:
        # Start the server, load the tree and build the tools once.
        subprocess.run(bazel + ["query", "//images:all"], cwd=repo, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        for what, path in (("a leaf image's file", info["leaf_file"]),
                           ("the most shared include", info["shared_include"])):
            label = "//images:" + path[len("images/"):]
            query = 'kind("image_build rule", rdeps(//images:all, %s))' % label
            wall, cpu, out = timed(bazel + ["query", "--noimplicit_deps", query], runs, cwd=repo)
            rows.append(("bazel query rdeps for %s (warm server): %d images" % (what, len(out.split())),
                         wall, cpu, "side by side with --affected-by"))
        # The server reads the pattern file, so it must be a real file.
        targets_file = os.path.join(os.path.dirname(tree), "hash_targets.txt")
        with open(targets_file, "w") as f:
            f.write(subprocess.run(bazel + ["query", 'filter("\\.hash$", //images:all)'],
                                   cwd=repo, check=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True).stdout)
        with open(targets_file) as f:
            targets = f.read().split()
        count = len(targets)
        build = bazel + ["build", "--experimental_convenience_symlinks=ignore", "--disk_cache=",
                         "--noshow_progress"]
        # Build the tools (with one image) first: the cold figure is the
        # context actions alone.
        subprocess.run(build + [targets[0]], cwd=repo, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        build = build + ["--target_pattern_file=" + targets_file]
        start = time.monotonic()
        result = subprocess.run(build, cwd=repo, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(build), result.stderr[-3000:]))
        rows.append(("bazel build of the %d NAME.hash targets, cold (tools built, no disk cache)" % count,
                     time.monotonic() - start, float("nan"), ""))
        wall, _, _ = timed(build, runs, cwd=repo)
        rows.append(("bazel null build of the %d NAME.hash targets (warm server)" % count,
                     wall, float("nan"), "< 2 s"))
    finally:
        subprocess.run(bazel + ["shutdown"], cwd=repo, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["chmod", "-R", "u+w", output_base], stderr=subprocess.DEVNULL)
        shutil.rmtree(output_base, ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
