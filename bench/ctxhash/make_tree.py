#!/usr/bin/env python3
"""Writes a synthetic image folder for the ctxhash benchmark.

  make_tree.py DIR big     one file of 1 GiB
  make_tree.py DIR small   100,000 files of 4 KiB (100 folders of 1,000)
  make_tree.py DIR mixed   3,000 files of 0-512 KiB, random sizes (seeded)
"""

import os
import random
import sys


def main():
    folder, kind = sys.argv[1], sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "Dockerfile"), "w") as f:
        f.write("FROM scratch\nCOPY . /data/\n")
    rng = random.Random(20261128)
    if kind == "big":
        block = rng.randbytes(1 << 20)
        with open(os.path.join(folder, "blob.bin"), "wb") as f:
            for i in range(1024):
                # Vary every MiB so that no block repeats.
                f.write(i.to_bytes(8, "little") + block[8:])
    elif kind == "small":
        for d in range(100):
            sub = os.path.join(folder, "d%03d" % d)
            os.makedirs(sub, exist_ok=True)
            for i in range(1000):
                with open(os.path.join(sub, "f%04d" % i), "wb") as f:
                    f.write(rng.randbytes(4096))
    elif kind == "mixed":
        for i in range(3000):
            sub = os.path.join(folder, "d%02d" % (i % 30))
            os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, "f%04d" % i), "wb") as f:
                f.write(rng.randbytes(rng.randint(0, 512 * 1024)))
    else:
        raise SystemExit("unknown tree kind: " + kind)


if __name__ == "__main__":
    main()
