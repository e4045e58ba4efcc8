#!/usr/bin/env python3
"""bench/ann_peers.py - the peers of `ottorec index` on the same vectors:
Debian's python3-hnswlib (HNSW) and python3-faiss (HNSW and IVF-flat).
For each: build time, the smallest search effort (ef / nprobe) reaching
recall@20 >= 0.95 against exact search on by-item queries (the item itself
left out), the queries/s at that effort, and ratios against ottorec's figures
given on the command line.  A peer that is not installed is skipped.
Run by bench/run.sh; not needed by the tests.
"""
import argparse
import json
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("npy")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--queries", type=int, default=1000)
ap.add_argument("--speed-queries", type=int, default=20000)
ap.add_argument("--target", type=float, default=0.95)
ap.add_argument("--nlist", type=int, default=0)
ap.add_argument("--peers", default="hnswlib,faiss-ivf,faiss-hnsw")
ap.add_argument("--ours-build", type=float, default=0)
ap.add_argument("--ours-qps", type=float, default=0)
ap.add_argument("--ours-recall", type=float, default=0)
a = ap.parse_args()

try:
    import numpy as np
except ImportError:
    print("peers: python3-numpy is not installed; skipped")
    sys.exit(0)

X = np.ascontiguousarray(np.load(a.npy, mmap_mode="r"), dtype=np.float32)
n, d = X.shape
K = 20
rng = np.random.default_rng(1)
items = rng.integers(0, n, a.queries)
speed_items = rng.integers(0, n, a.speed_queries)


def drop_self(ids, qitems):
    out = np.full((len(qitems), K), -1, dtype=np.int64)
    for i, (row, it) in enumerate(zip(ids, qitems)):
        row = [x for x in row if x != it and x >= 0][:K]
        out[i, :len(row)] = row
    return out


def recall(found, truth):
    hits = [len(set(f) & set(t[t >= 0])) / max(1, (t >= 0).sum()) for f, t in zip(found, truth)]
    return float(np.mean(hits))


try:
    import faiss
    faiss.omp_set_num_threads(a.threads)
except ImportError:
    faiss = None

# exact truth: faiss' flat index when present, else numpy in blocks
t0 = time.perf_counter()
if faiss is not None:
    flat = faiss.IndexFlatL2(d)
    flat.add(X)
    _, tids = flat.search(X[items], K + 1)
    del flat
else:
    norms = (X * X).sum(1)
    tids = np.empty((len(items), K + 1), dtype=np.int64)
    for i, it in enumerate(items):
        dist = norms - 2 * X @ X[it]
        part = np.argpartition(dist, K + 1)[:K + 1]
        tids[i] = part[np.argsort(dist[part])]
truth = drop_self(tids, items)
print(f"peers: exact truth for {len(items)} queries in {time.perf_counter() - t0:.1f} s")


def report(name, build_s, effort_name, effort, rec, qps):
    line = {"peer": name, "build_seconds": round(build_s, 2), effort_name: effort,
            "recall_at_20": round(rec, 4), "queries_per_s": round(qps)}
    print("peer: " + json.dumps(line))
    if a.ours_build and a.ours_qps:
        print(f"  ottorec vs {name}: build {build_s / a.ours_build:.2f}x faster, "
              f"queries/s {a.ours_qps / qps:.2f}x, recall {a.ours_recall:.4f} vs {rec:.4f}")
    sys.stdout.flush()


def tune(search, efforts):
    """smallest effort reaching the target; returns (effort, recall).
    Only the raw search is timed (timed), not the Python that drops self."""
    last = (efforts[-1], 0.0)
    for e in efforts:
        r = recall(drop_self(search(X[items], e), items), truth)
        last = (e, r)
        if r >= a.target:
            return e, r
    return last


def timed(search, effort):
    t = time.perf_counter()
    search(X[speed_items], effort)
    return len(speed_items) / (time.perf_counter() - t)


peers = a.peers.split(",")
if "hnswlib" in peers:
    try:
        import hnswlib
    except ImportError:
        hnswlib = None
        print("peer hnswlib: python3-hnswlib is not installed; skipped")
    if hnswlib is not None:
        t = time.perf_counter()
        p = hnswlib.Index(space="l2", dim=d)
        p.init_index(max_elements=n, ef_construction=100, M=16, random_seed=1)
        p.set_num_threads(a.threads)
        p.add_items(X, np.arange(n))
        build = time.perf_counter() - t

        def s_h(q, ef):
            p.set_ef(max(ef, K + 1))
            return p.knn_query(q, k=K + 1)[0]
        ef, r = tune(s_h, [32, 48, 64, 96, 128, 192, 256, 384, 512])
        report("hnswlib (M 16, ef_construction 100)", build, "ef", ef, r, timed(s_h, ef))
        del p

if faiss is None:
    print("peer faiss: python3-faiss is not installed; skipped")
else:
    if "faiss-ivf" in peers:
        nlist = a.nlist or int(round(n ** 0.5))
        t = time.perf_counter()
        q = faiss.IndexFlatL2(d)
        ivf = faiss.IndexIVFFlat(q, d, nlist)
        ivf.cp.seed = 1
        sample = np.random.default_rng(2).choice(n, min(n, 64 * nlist), replace=False)
        ivf.train(X[np.sort(sample)])
        ivf.add(X)
        build = time.perf_counter() - t

        def s_i(qv, nprobe):
            ivf.nprobe = nprobe
            return ivf.search(qv, K + 1)[1]
        np_, r = tune(s_i, [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512])
        report(f"faiss IVF-flat (nlist {nlist})", build, "nprobe", np_, r, timed(s_i, np_))
        del ivf, q
    if "faiss-hnsw" in peers:
        t = time.perf_counter()
        h = faiss.IndexHNSWFlat(d, 16)
        h.hnsw.efConstruction = 100
        h.add(X)
        build = time.perf_counter() - t

        def s_f(qv, ef):
            h.hnsw.efSearch = max(ef, K + 1)
            return h.search(qv, K + 1)[1]
        ef, r = tune(s_f, [32, 48, 64, 96, 128, 192, 256, 384, 512])
        report("faiss HNSW-flat (M 16, efConstruction 100)", build, "ef", ef, r, timed(s_f, ef))
