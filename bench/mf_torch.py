#!/usr/bin/python3
"""bench/mf_torch.py - the notebook's PyTorch model on the first N training
pairs of an ottorec pairs file (same batches, same SparseAdam), for the
bench's speed ratio and accuracy comparison.  Prints one line:
"torch <pairs> <seconds> <pairs_per_s> <valid_accuracy>".
usage: mf_torch.py PAIRS N [threads]
"""
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


class MatrixFactorization(nn.Module):
    def __init__(self, n_aids, n_factors):
        super().__init__()
        self.aid_factors = nn.Embedding(n_aids, n_factors, sparse=True)

    def forward(self, aid1, aid2):
        return (self.aid_factors(aid1) * self.aid_factors(aid2)).sum(dim=1)


def main():
    # argv: PAIRS N [THREADS [SEED]]
    path, n = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    with open(path, "rb") as f:
        h = f.read(4096)
    assert h[:8] == b"OTTOPAIR"
    # layout: lib/embed/or_pairs.h (fields at 32, sections at 160)
    nt, nv = struct.unpack("<QQ", h[32:48])
    n_items = struct.unpack("<I", h[48:52])[0]  # rows: the pairs are item indices
    train_off = struct.unpack("<Q", h[160:168])[0]
    allp = np.memmap(path, dtype="<u4", mode="r", offset=train_off, shape=(nt + nv, 2))
    train = torch.from_numpy(np.array(allp[: min(n, nt)], dtype=np.int64))
    valid = torch.from_numpy(np.array(allp[nt:], dtype=np.int64))
    torch.manual_seed(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    model = MatrixFactorization(n_items, 32)
    opt = torch.optim.SparseAdam(model.parameters(), lr=0.1)
    crit = nn.BCEWithLogitsLoss()
    bs = 65536
    t0 = time.monotonic()
    for off in range(0, train.shape[0], bs):
        a, b = train[off:off + bs, 0], train[off:off + bs, 1]
        pos = model(a, b)
        neg = model(a, b[torch.randperm(b.shape[0])])
        out = torch.cat([pos, neg])
        loss = crit(out, torch.cat([torch.ones_like(pos), torch.zeros_like(pos)]))
        loss.backward()
        opt.step()
        opt.zero_grad()
    dt = time.monotonic() - t0
    correct, total = 0, 0
    with torch.no_grad():
        for off in range(0, valid.shape[0], bs):
            a, b = valid[off:off + bs, 0], valid[off:off + bs, 1]
            pos = model(a, b)
            neg = model(a, b[torch.randperm(b.shape[0])])
            correct += int((pos > 0).sum() + (neg < 0).sum())
            total += 2 * a.shape[0]
    print(f"torch {train.shape[0]} {dt:.3f} {train.shape[0] / dt:.0f} {correct / total:.4f}")


if __name__ == "__main__":
    main()
