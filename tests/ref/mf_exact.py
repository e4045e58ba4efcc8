#!/usr/bin/python3
"""tests/ref/mf_exact.py - writes tests/data/mf/exact_ref.bin, the reference
case for `ottorec train --mode exact` (checked by tests/test_mf.c), in the
manner of llm.c's test_gpt2: the notebook's model and optimiser in PyTorch,
run for a few batches, with every input and the table after each step saved.

Model (the OTTO notebook's): one nn.Embedding(n_aids, 32, sparse=True) E,
score(a, b) = (E[a] * E[b]).sum(1); BCEWithLogitsLoss over cat(pos, neg)
with targets cat(ones, zeros); neg = model(aid1, aid2[perm]); SparseAdam
(lr 0.1, betas 0.9/0.999, eps 1e-8).

File layout (little-endian):
  0   8  magic b"ORMFREF1"
  8   4  n_rows      12  4 dim      16  4 batch      20  4 steps
  24  4  float32 lr  28  4 pad
  32  .. initial table float32[n_rows][dim]
  then per step: pairs uint32[batch][2] (aid, aid_next), perm uint32[batch],
                 loss float32, table after the step float32[n_rows][dim]

Conditioning: where a row's summed gradient nearly cancels, Adam's eps
dominates the step and float32 summation order alone moves the result by
more than 1e-5 (PyTorch's own order of adding duplicate rows is an
autograd/coalesce detail, not the model).  So each candidate seed is
checked against the same step done in float64 (gradient and Adam), and a
seed is used only when PyTorch's table is within 2e-6 of that everywhere:
then the fixture fixes the mathematics, and an implementation that agrees to
1e-5 computes the same model and optimiser.

Regenerate (Debian: apt-get install -y python3-torch):
  /usr/bin/python3 tests/ref/mf_exact.py tests/data/mf/exact_ref.bin
"""
import struct
import sys

import torch
from torch import nn

N_ROWS, DIM, BATCH, STEPS, LR = 300, 32, 512, 5, 0.1


class MatrixFactorization(nn.Module):
    def __init__(self, n_aids, n_factors):
        super().__init__()
        self.aid_factors = nn.Embedding(n_aids, n_factors, sparse=True)

    def forward(self, aid1, aid2):
        aid1 = self.aid_factors(aid1)
        aid2 = self.aid_factors(aid2)
        return (aid1 * aid2).sum(dim=1)


def float64_step(w0, m0, v0, a, b, perm, step):
    """The same SparseAdam step in float64 from the pre-step state."""
    E = w0.double()
    bn = b[perm]
    xp = (E[a] * E[b]).sum(1)
    xn = (E[a] * E[bn]).sum(1)
    n = 2 * a.shape[0]
    gp = (torch.sigmoid(xp) - 1) / n
    gn = torch.sigmoid(xn) / n
    g = torch.zeros_like(E)
    g.index_add_(0, a, gp[:, None] * E[b])
    g.index_add_(0, b, gp[:, None] * E[a])
    g.index_add_(0, a, gn[:, None] * E[bn])
    g.index_add_(0, bn, gn[:, None] * E[a])
    rows = torch.unique(torch.cat([a, b, bn]))
    m, v, w = m0.double().clone(), v0.double().clone(), E.clone()
    m[rows] = 0.9 * m[rows] + 0.1 * g[rows]
    v[rows] = 0.999 * v[rows] + 0.001 * g[rows] ** 2
    step_size = LR * (1 - 0.999 ** step) ** 0.5 / (1 - 0.9 ** step)
    w[rows] -= step_size * m[rows] / (v[rows].sqrt() + 1e-8)
    return w


def main(path):
    seed = 1234
    while True:
        out, worst = run(seed)
        if worst <= 2e-6:
            break
        print(f"seed {seed}: PyTorch's float32 step is {worst:.2g} from float64 (ill-conditioned), next seed")
        seed += 1
    with open(path, "wb") as f:
        f.write(out)
    print(f"wrote {path}: {len(out)} bytes (seed {seed}, max |float32 - float64| per step {worst:.2g})")


def run(seed):
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    model = MatrixFactorization(N_ROWS, DIM)
    optimizer = torch.optim.SparseAdam(model.parameters(), lr=LR)
    criterion = nn.BCEWithLogitsLoss()
    # skewed aids so that batches repeat rows (coalescing), some a == b
    weights = 1.0 / torch.arange(1, N_ROWS + 1, dtype=torch.float64) ** 0.8
    out = bytearray()
    out_steps, worst = [], 0.0
    out += b"ORMFREF1" + struct.pack("<4If4x", N_ROWS, DIM, BATCH, STEPS, LR)
    out += model.aid_factors.weight.detach().numpy().astype("<f4").tobytes()
    for _ in range(STEPS):
        a = torch.multinomial(weights, BATCH, replacement=True)
        b = torch.multinomial(weights, BATCH, replacement=True)
        b[:8] = a[:8]
        perm = torch.randperm(BATCH)
        pairs = torch.stack([a, b], dim=1).to(torch.int64)
        w0 = model.aid_factors.weight.detach().clone()
        st = optimizer.state.get(model.aid_factors.weight, {})
        m0 = st["exp_avg"].clone() if st else torch.zeros_like(w0)
        v0 = st["exp_avg_sq"].clone() if st else torch.zeros_like(w0)
        output_pos = model(a, b)
        output_neg = model(a, b[perm])
        output = torch.cat([output_pos, output_neg])
        targets = torch.cat([torch.ones_like(output_pos), torch.zeros_like(output_pos)])
        loss = criterion(output, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        w64 = float64_step(w0, m0, v0, a, b, perm, len(out_steps) + 1)
        out_steps.append(1)
        worst = max(worst, (model.aid_factors.weight.detach().double() - w64).abs().max().item())
        out += pairs.numpy().astype("<u4").tobytes()
        out += perm.numpy().astype("<u4").tobytes()
        out += struct.pack("<f", loss.item())
        out += model.aid_factors.weight.detach().numpy().astype("<f4").tobytes()
    return out, worst


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/mf/exact_ref.bin")
