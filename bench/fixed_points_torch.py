"""PyTorch reference of the fixed-point search in bench/dynamics.bench.ts.

Same GRU (weights read from the JSON the TypeScript side writes), same initial
states, same algorithm: Adam (eps 0.01) on mean q with q = 1/2 ||F(h) - h||^2,
FixedPointFinder's adaptive learning rate (x0.95 when the loss is worse than
each of the last 5, x1/0.95 after 5 straight decreases, >= 5 steps between
changes) and gradient-norm clipping at the 95th percentile of the last 128
norms; stop when every point has q < tol_q or |dq| < tol_dq * lr, or at
max_iters. Float32, one thread (OPENBLAS_NUM_THREADS=1 must be set by the
caller as well: Debian's torch calls OpenBLAS, which ignores torch's setting).

usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/fixed_points_torch.py in.json out.json
"""
import json
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)


def mat(p, name):
    e = p[name]
    return torch.tensor(np.array(e["values"], dtype=np.float32).reshape(e["shape"]))


def main():
    cfg = json.load(open(sys.argv[1]))
    p = cfg["cell"]["params"]
    n = cfg["cell"]["units"]
    Wx = [mat(p, f"Wx.{k}") for k in range(3)]
    Wh = [mat(p, f"Whzr.{k}") for k in range(2)]
    Whc = mat(p, "Whc")
    b = [mat(p, f"b.{k}") for k in range(3)]
    N = cfg["n"]
    x = torch.tensor(np.array(cfg["x0"], dtype=np.float32).reshape(N, n), requires_grad=True)
    u = torch.zeros(N, cfg["cell"]["inputSize"])
    # The input is held fixed: its contributions are constants of the search.
    xz = u @ Wx[0] + b[0]
    xr = u @ Wx[1] + b[1]
    xc = u @ Wx[2] + b[2]

    def step(h):
        z = torch.sigmoid(xz + h @ Wh[0])
        r = torch.sigmoid(xr + h @ Wh[1])
        c = torch.tanh(xc + (r * h) @ Whc)
        return c + z * (h - c)

    tol_q, tol_dq, max_iters = cfg["tolQ"], cfg["tolDq"], cfg["maxIters"]
    opt = torch.optim.Adam([x], lr=1.0, betas=(0.9, 0.999), eps=0.01)
    lr = 1.0
    hist = []
    since = 0
    norms = []
    q_prev = None
    it = 0
    t0 = time.perf_counter()
    while it < max_iters:
        opt.zero_grad()
        d = step(x) - x
        q = 0.5 * (d * d).sum(1)
        loss = q.mean()
        loss.backward()
        qn = q.detach().numpy().astype(np.float64)
        gnorm = float(x.grad.norm())
        if q_prev is not None:
            dq = np.abs(qn - q_prev)
            if np.all((qn < tol_q) | (dq < tol_dq * lr)):
                break
        elif np.all(qn < tol_q):
            break
        q_prev = qn
        mean_q = float(qn.mean())
        if it > 0:
            # adaptive learning rate
            since += 1
            if len(hist) >= 5 and since >= 5:
                last = hist[-5:]
                if all(mean_q > v for v in last):
                    lr *= 0.95
                    since = 0
                else:
                    seq = last + [mean_q]
                    if all(seq[i] < seq[i - 1] for i in range(1, len(seq))):
                        lr /= 0.95
                        since = 0
            hist.append(mean_q)
            hist = hist[-6:]
        # adaptive clipping: 95th percentile of the previous (up to) 128 norms
        if norms:
            bound = float(np.percentile(norms, 95))
            if gnorm > bound > 0:
                x.grad.mul_(bound / gnorm)
        norms.append(gnorm)
        norms = norms[-128:]
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        it += 1
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        d = step(x) - x
        q = (0.5 * (d * d).sum(1)).numpy().astype(np.float64)
    json.dump({
        "iterations": it, "seconds": seconds, "msPerIteration": 1000 * seconds / max(it, 1),
        "qMax": float(q.max()), "qMedian": float(np.median(q)), "belowTolQ": int((q < tol_q).sum()),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
    }, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
