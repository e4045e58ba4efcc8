#!/usr/bin/python3
"""bench/notebook_seed.py - the peer of `ottorec recommend --strategy seed`:
the Python pipeline of Radek Osmulski's OTTO matrix-factorisation notebook
on a local split, stage by stage, timed.

  notebook_seed.py TRAIN.store TEST.store SUBMISSION.csv [--threads N] [--seed S]

Stages, as the notebook does them:
  load     the two ottorec stores, read with numpy.memmap (layout in
           lib/store/or_store.h); the notebook reads Parquet with polars/pandas
  pairs    aid -> next aid for consecutive events of every session of train
           and test together; shuffled (the notebook's Merlin loader shuffles),
           the last 5 % held out (the notebook: the last 10 M of 216 M pairs;
           at bench scale the same share as `ottorec pairs` holds out)
  train    nn.Embedding(n_aids, 32, sparse=True), N(0, 1) init, score = dot
           product, BCEWithLogits over the batch's positives and one negative
           per pair (aid_next under torch.randperm of the batch), SparseAdam
           lr 0.1, batch 65536, 1 epoch; CPU (the notebook uses a GPU)
  index    hnswlib (L2, M 16, ef_construction 200, ef 100) over all rows.
           The notebook uses Annoy (10 trees, euclidean); Annoy is not
           packaged in Debian, hnswlib is (python3-hnswlib)
  recommend the notebook's rule, unchanged: >= 20 events -> history scored
           by (logspace(0.1, 1, n, base=2) - 1) x {0: 1, 1: 6, 2: 3}[type],
           sorted by -score (stable), top 20; else AIDs = list(dict.fromkeys(
           AIDs[::-1])), nns = get_nns_by_item(AIDs[0], 21)[1:], labels =
           (AIDs + nns)[:20] -- neighbours already in the session are NOT
           removed.  The by-item queries are answered in one hnswlib batch
           (knn_query over all short sessions' most recent aids) instead of
           one Annoy call per session.
  write    the organiser's CSV, the same list for clicks, carts and orders
Prints one line per stage "stage <name> <seconds>" and a summary line.
"""
import argparse
import struct
import time
from collections import defaultdict

import numpy as np
import torch
from torch import nn

ap = argparse.ArgumentParser()
ap.add_argument("train")
ap.add_argument("test")
ap.add_argument("out")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=42)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

times = {}


def stage(name, t0):
    times[name] = time.monotonic() - t0
    print(f"stage {name} {times[name]:.2f}", flush=True)
    return time.monotonic()


def read_store(path):
    with open(path, "rb") as f:
        h = f.read(680)
    # layout: lib/store/or_store.h (fields at 32, section table at 160)
    assert h[:8] == b"OTTOSTOR", f"{path}: not an ottorec store"
    n_sessions, n_events = struct.unpack_from("<QQ", h, 32)
    sec = [struct.unpack_from("<QQ", h, 160 + 32 * i) for i in range(5)]
    mm = lambda i, dt, n: np.memmap(path, dtype=dt, mode="r", offset=sec[i][0], shape=(n,))
    return {
        "session": np.array(mm(0, "<i8", n_sessions)),
        "offsets": np.array(mm(1, "<u8", n_sessions + 1)).astype(np.int64),
        "aid": np.array(mm(2, "<u4", n_events)).astype(np.int64),
        "type": np.array(mm(4, "u1", n_events)),
    }


t = time.monotonic()
train, test = read_store(args.train), read_store(args.test)
t = stage("load", t)


def session_pairs(st):
    aid, off = st["aid"], st["offsets"]
    keep = np.ones(len(aid) - 1, dtype=bool) if len(aid) > 1 else np.zeros(0, dtype=bool)
    keep[off[1:-1] - 1] = False  # the last event of a session has no next
    return np.stack([aid[:-1][keep], aid[1:][keep]], axis=1)


pairs = np.concatenate([session_pairs(train), session_pairs(test)])
# the notebook: max over the pairs; an aid seen only in a one-event session
# would have no row there (and crash its Annoy query), so all aids count here
cardinality_aids = int(max(pairs.max(initial=0), train["aid"].max(initial=0), test["aid"].max(initial=0)))
rng = np.random.default_rng(args.seed)
pairs = pairs[rng.permutation(len(pairs))]
n_valid = len(pairs) // 20
train_pairs = torch.from_numpy(pairs[:-n_valid] if n_valid else pairs)
valid_pairs = torch.from_numpy(pairs[-n_valid:] if n_valid else pairs[:0])
t = stage("pairs", t)


class MatrixFactorization(nn.Module):
    def __init__(self, n_aids, n_factors):
        super().__init__()
        self.aid_factors = nn.Embedding(n_aids, n_factors, sparse=True)

    def forward(self, aid1, aid2):
        aid1 = self.aid_factors(aid1)
        aid2 = self.aid_factors(aid2)
        return (aid1 * aid2).sum(dim=1)


model = MatrixFactorization(cardinality_aids + 1, 32)
optimizer = torch.optim.SparseAdam(model.parameters(), lr=0.1)
criterion = nn.BCEWithLogitsLoss()
bs = 65536
for off in range(0, train_pairs.shape[0], bs):
    aid1, aid2 = train_pairs[off:off + bs, 0], train_pairs[off:off + bs, 1]
    output_pos = model(aid1, aid2)
    output_neg = model(aid1, aid2[torch.randperm(aid2.shape[0])])
    output = torch.cat([output_pos, output_neg])
    targets = torch.cat([torch.ones_like(output_pos), torch.zeros_like(output_pos)])
    loss = criterion(output, targets)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
correct = total = 0
with torch.no_grad():
    for off in range(0, valid_pairs.shape[0], bs):
        aid1, aid2 = valid_pairs[off:off + bs, 0], valid_pairs[off:off + bs, 1]
        pos = model(aid1, aid2)
        neg = model(aid1, aid2[torch.randperm(aid2.shape[0])])
        correct += int((pos > 0).sum() + (neg < 0).sum())
        total += 2 * aid1.shape[0]
embeddings = model.aid_factors.weight.detach().cpu().numpy()
t = stage("train", t)

import hnswlib  # noqa: E402

index = hnswlib.Index(space="l2", dim=32)
index.init_index(max_elements=len(embeddings), ef_construction=200, M=16, random_seed=args.seed)
index.set_num_threads(args.threads)
index.add_items(embeddings, np.arange(len(embeddings)))
index.set_ef(100)
t = stage("index", t)

type_weight_multipliers = {0: 1, 1: 6, 2: 3}
off = test["offsets"]
sessions = test["session"]
aids_all, types_all = test["aid"].tolist(), test["type"].tolist()
short_recent = []
for i in range(len(sessions)):
    a, b = off[i], off[i + 1]
    if b - a < 20:
        short_recent.append(aids_all[b - 1])
nn_ids, _ = index.knn_query(embeddings[np.array(short_recent, dtype=np.int64)], k=21) if short_recent else (np.zeros((0, 21)), None)
nn_ids = nn_ids.tolist()
labels = []
q = 0
for i in range(len(sessions)):
    AIDs, types = aids_all[off[i]:off[i + 1]], types_all[off[i]:off[i + 1]]
    if len(AIDs) >= 20:
        weights = np.logspace(0.1, 1, len(AIDs), base=2, endpoint=True) - 1
        aids_temp = defaultdict(lambda: 0)
        for aid, w, t_ in zip(AIDs, weights, types):
            aids_temp[aid] += w * type_weight_multipliers[t_]
        sorted_aids = [k for k, v in sorted(aids_temp.items(), key=lambda item: -item[1])]
        labels.append(sorted_aids[:20])
    else:
        AIDs = list(dict.fromkeys(AIDs[::-1]))
        most_recent_aid = AIDs[0]
        nns = nn_ids[q][1:]  # index.get_nns_by_item(most_recent_aid, 21)[1:]
        q += 1
        labels.append((AIDs + nns)[:20])
t = stage("recommend", t)

with open(args.out, "w") as f:
    f.write("session_type,labels\n")
    for sid, lab in zip(sessions.tolist(), labels):
        s = " ".join(map(str, lab))
        f.write(f"{sid}_clicks,{s}\n{sid}_carts,{s}\n{sid}_orders,{s}\n")
t = stage("write", t)
dup = sum(len(lab) - len(set(lab)) for lab in labels)
print(f"notebook: {len(pairs)} pairs ({train_pairs.shape[0]} trained), {cardinality_aids + 1} aids, "
      f"valid accuracy {correct / max(total, 1):.4f}, {len(sessions)} sessions "
      f"({len(short_recent)} short), {dup} repeated aids in lists; "
      f"total {sum(times.values()):.2f} s")
