#!/usr/bin/env python3
"""tests/cli/make_candidates.py - a small candidates directory (the files of
`ottorec candidates`, lib/rec/or_cand_dir.h) for the tests of `ottorec fit`,
stdlib only.  Feature 0 ("noise") is noise; the label of type t is
(feature t + 1 > 0.8) plus a little noise, so a model can learn it and the
first feature cannot.

usage: make_candidates.py DIR [--groups G] [--rows M] [--features F]
                              [--seed S] [--no-type T]... [--dtype-labels f8]
"""
import argparse
import array
import json
import os
import random
import struct
import sys


def write_npy(path, typestr, shape, data):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    head = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (typestr, dims)
    total = (10 + len(head) + 1 + 63) // 64 * 64
    head = head.ljust(total - 10 - 1) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode("ascii"))
        if sys.byteorder != "little":
            data.byteswap()
        f.write(data.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--rows", type=int, default=30, help="largest group size")
    ap.add_argument("--features", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-type", action="append", default=[], choices=["clicks", "carts", "orders"])
    a = ap.parse_args()
    rng = random.Random(a.seed)
    nf = max(a.features, 4)
    names = ["noise"] + ["sig_%s" % t for t in ("clicks", "carts", "orders")] + \
        ["extra%d" % i for i in range(nf - 4)]
    x, lab, sizes, sess, aid = array.array("f"), array.array("f"), array.array("q"), \
        array.array("q"), array.array("q")
    rows = 0
    for g in range(a.groups):
        m = rng.randint(max(1, a.rows // 2), a.rows)
        sizes.append(m)
        sess.append(1000 + 7 * g)
        for i in range(m):
            v = [rng.random() for _ in range(nf)]
            x.extend(v)
            for t, tn in enumerate(("clicks", "carts", "orders")):
                pos = tn not in a.no_type and (v[t + 1] > 0.8) != (rng.random() < 0.02)
                lab.append(1.0 if pos else 0.0)
            aid.append(rng.randint(0, 2**31 - 1))
        rows += m
    os.makedirs(a.dir, exist_ok=True)
    write_npy(os.path.join(a.dir, "features.npy"), "<f4", (rows, nf), x)
    write_npy(os.path.join(a.dir, "labels.npy"), "<f4", (rows, 3), lab)
    write_npy(os.path.join(a.dir, "group_sizes.npy"), "<i8", (a.groups,), sizes)
    write_npy(os.path.join(a.dir, "session.npy"), "<i8", (a.groups,), sess)
    write_npy(os.path.join(a.dir, "aid.npy"), "<i8", (rows,), aid)
    meta = {"format": "ottorec-candidates", "version": 1, "features": names, "n_rows": rows,
            "n_groups": a.groups, "settings": {"generator": "make_candidates.py", "seed": a.seed}}
    with open(os.path.join(a.dir, "candidates.json"), "w") as f:
        f.write(json.dumps(meta, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
