#!/usr/bin/python3
"""bench/item2vec_gensim.py - the peer of `ottorec item2vec`: gensim's
Word2Vec on the same sessions (an OTTO JSONL file, as `ottorec export`
writes a store; several files are read in order, as item2vec reads several
stores), with the same options, writing the vectors as ottorec does
(EMB.npy float32, one row per aid in increasing aid order, and EMB.ids.npy
int64 beside it) so that `ottorec index build` and `recommend --strategy
seed` take them unchanged.

Prints one line: "gensim train_seconds <s> words <n> words_per_s <r>", the
time of Word2Vec's build_vocab + train only (not reading the JSON).

usage: item2vec_gensim.py -o EMB.npy [--sg 1] [--dim 32] [--window 5]
       [--negative 5] [--ns-exponent 0.75] [--sample 1e-3] [--min-count 1]
       [--epochs 5] [--alpha 0.025] [--min-alpha 0.0001] [--seed 1]
       [--workers 2] [--collapse-repeats] [--text FILE] SESSIONS.jsonl...
Needs Debian's python3-gensim and python3-numpy (scripts/deb-packages-bench.txt).
"""
import argparse
import json
import sys
import time

import numpy as np
from gensim.models import Word2Vec


def read_sessions(paths, collapse):
    out = []
    for path in paths:
        with open(path) as f:
            for line in f:
                ev = json.loads(line)["events"]
                s = [str(e["aid"]) for e in ev]
                if collapse:
                    s = [a for i, a in enumerate(s) if i == 0 or a != s[i - 1]]
                out.append(s)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--ns-exponent", type=float, default=0.75)
    ap.add_argument("--sample", type=float, default=1e-3)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.025)
    ap.add_argument("--min-alpha", type=float, default=0.0001)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--collapse-repeats", action="store_true")
    ap.add_argument("--text")
    ap.add_argument("sessions", nargs="+")
    a = ap.parse_args()
    sentences = read_sessions(a.sessions, a.collapse_repeats)
    t0 = time.monotonic()
    model = Word2Vec(sentences=sentences, sg=a.sg, vector_size=a.dim, window=a.window,
                     negative=a.negative, ns_exponent=a.ns_exponent, sample=a.sample,
                     min_count=a.min_count, epochs=a.epochs, alpha=a.alpha,
                     min_alpha=a.min_alpha, seed=a.seed, workers=a.workers)
    secs = time.monotonic() - t0
    kv = model.wv
    aids = np.array([int(w) for w in kv.index_to_key], dtype=np.int64)
    order = np.argsort(aids, kind="stable")
    np.save(a.output, kv.vectors[order].astype(np.float32))
    ids = a.output[:-4] if a.output.endswith(".npy") else a.output
    np.save(ids + ".ids.npy", aids[order])
    if a.text:
        kv.save_word2vec_format(a.text)
    words = sum(len(s) for s in sentences) * a.epochs
    print("gensim train_seconds %.3f words %d words_per_s %.0f" % (secs, words, words / secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
