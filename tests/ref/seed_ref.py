#!/usr/bin/env python3
"""seed_ref.py - a stdlib-only reference of the "seed" strategy (the rule of
Radek Osmulski's OTTO matrix-factorisation notebook, as ottorec implements it:
lib/rec/or_recommend.h), with exact nearest neighbours computed here from the
embeddings, so that tests/test_recommend_seed.c (and a CLI test) can compare
ottorec's submission with it byte for byte when ottorec's index searches
exhaustively (nprobe = nlist).

  seed_ref.py TEST.jsonl EMB.npy SUB.csv [--k K] [--threshold N]

For each session (events in file order = time order):
  >= N events (default 20): score[aid] += (logspace(0.1, 1, n, base=2)[i] - 1)
      * {clicks: 1, carts: 6, orders: 3}[type_i]; sort by -score, stable
      (dict insertion order); the first K.
  otherwise: list(dict.fromkeys(aids[::-1])), then the neighbours of the most
      recent aid in EMB (squared euclidean, ties by the smaller row, the aid
      itself left out, K of them) that are not in the list yet, up to K.
      An aid without a row in EMB has no neighbours.
The same list is written for clicks, carts and orders (organiser's CSV).
EMB.npy: float32 '<f4' C-order 2-D, as `ottorec train` and or_npy write it.
"""
import ast
import json
import struct
import sys

TYPE_WEIGHT = {"clicks": 1.0, "carts": 6.0, "orders": 3.0}


def load_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", "not a .npy file"
    major = data[6]
    if major == 1:
        hlen, = struct.unpack_from("<H", data, 8)
        start = 10
    else:
        hlen, = struct.unpack_from("<I", data, 8)
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    assert header["descr"] == "<f4" and not header["fortran_order"], header
    rows, cols = header["shape"]
    flat = struct.unpack_from("<%df" % (rows * cols), data, start + hlen)
    return [flat[r * cols:(r + 1) * cols] for r in range(rows)]


def logspace_weights(lo, n):
    """numpy.logspace(lo, 1, n, base=2) - 1, numpy's linspace arithmetic."""
    if n == 1:
        ys = [lo]
    else:
        step = (1.0 - lo) / (n - 1)
        ys = [i * step + lo for i in range(n)]
        ys[-1] = 1.0
    return [2.0 ** y - 1.0 for y in ys]


def neighbours(emb, a, k):
    q = emb[a]
    dist = []
    for b, v in enumerate(emb):
        if b != a:
            dist.append((sum((x - y) * (x - y) for x, y in zip(q, v)), b))
    dist.sort()
    return [b for _, b in dist[:k]]


def suggest(events, emb, k, threshold, cache):
    aids = [e["aid"] for e in events]
    if len(aids) >= threshold:
        weights = logspace_weights(0.1, len(aids))
        temp = {}
        for a, w, e in zip(aids, weights, events):
            temp[a] = temp.get(a, 0.0) + w * TYPE_WEIGHT[e["type"]]
        return [a for a, _ in sorted(temp.items(), key=lambda item: -item[1])][:k]
    result = list(dict.fromkeys(aids[::-1]))[:k]
    recent = aids[-1]
    if len(result) < k and recent < len(emb):
        if recent not in cache:
            cache[recent] = neighbours(emb, recent, k)
        for b in cache[recent]:
            if len(result) >= k:
                break
            if b not in result:
                result.append(b)
    return result


def main():
    args = sys.argv[1:]
    k, threshold = 20, 20
    if "--k" in args:
        i = args.index("--k")
        k = int(args[i + 1])
        del args[i:i + 2]
    if "--threshold" in args:
        i = args.index("--threshold")
        threshold = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    test, emb_path, sub = args
    emb = load_npy(emb_path)
    cache = {}
    with open(test) as f, open(sub, "w") as out:
        out.write("session_type,labels\n")
        for line in f:
            d = json.loads(line)
            labels = " ".join(map(str, suggest(d["events"], emb, k, threshold, cache)))
            for t in ("clicks", "carts", "orders"):
                out.write("%d_%s,%s\n" % (d["session"], t, labels))


if __name__ == "__main__":
    main()
