"""NumPy reference for bench/tensor.bench.ts: one CP-ALS sweep (rank R) and
one AMP step (rank 1, Gaussian prior N(0, 1)) on an N^3 float64 tensor, with
the contractions done as lib/tensor does them (one GEMM per MTTKRP on the
row-major tensor, the other side contracted by an element-wise sum).

usage: tensor_numpy.py DIR N R STEPS SNR   (DIR holds T.f64, A0-2.f64, x0-2.f64)
Prints one JSON line: per-step seconds (mean of STEPS timed steps after one
untimed step), the ALS relative errors per sweep, numpy's version.
"""
import json
import sys
import time

import numpy as np


def khatri_rao(fs):
    out = fs[0]
    for f in fs[1:]:
        out = (out[:, None, :] * f[None, :, :]).reshape(-1, out.shape[1])
    return out


def mttkrp(T, fs, n):
    I = T.shape
    r = fs[(n + 1) % 3].shape[1]
    L = int(np.prod(I[:n])) if n > 0 else 1
    R = int(np.prod(I[n + 1:])) if n < 2 else 1
    flat = T.reshape(-1)
    if R >= L:
        kr_r = khatri_rao(fs[n + 1:])
        Y = flat.reshape(L * I[n], R) @ kr_r
        if L == 1:
            return Y
        kr_l = khatri_rao(fs[:n])
        return np.einsum('lir,lr->ir', Y.reshape(L, I[n], r), kr_l)
    kr_l = khatri_rao(fs[:n])
    Y = flat.reshape(L, I[n] * R).T @ kr_l
    if R == 1:
        return Y
    kr_r = khatri_rao(fs[n + 1:])
    return np.einsum('iqr,qr->ir', Y.reshape(I[n], R, r), kr_r)


def rebalance(fs):
    norms = np.array([np.linalg.norm(f, axis=0) for f in fs])
    w = np.prod(norms, axis=0) ** (1.0 / len(fs))
    return [f * (w / nrm) for f, nrm in zip(fs, norms)]


def als_sweep(T, fs, normT):
    fs = rebalance(fs)
    grams = [f.T @ f for f in fs]
    for n in range(3):
        V = np.ones_like(grams[0])
        for k in range(3):
            if k != n:
                V = V * grams[k]
        M = mttkrp(T, fs, n)
        fs[n] = np.linalg.solve(V, M.T).T
        grams[n] = fs[n].T @ fs[n]
        if n == 2:
            inner = np.sum(M * fs[n])
    V = grams[0] * grams[1] * grams[2]
    loss = np.sqrt(max(0.0, normT ** 2 - 2 * inner + V.sum())) / normT
    return fs, loss


def amp_step(T, x, prev, sig, s):
    nxt, nsig = [], []
    for a in range(3):
        b, c = [k for k in range(3) if k != a]
        cross = [prev[k] @ x[k] for k in range(3)]
        O = s * s * (sig[b] * cross[c] + sig[c] * cross[b])
        B = s * mttkrp(T, [v[:, None] for v in x], a)[:, 0] - O * prev[a]
        A = (np.sqrt(1 + 4 * np.mean(B * B)) - 1) / 2
        nxt.append(B / (1 + A))
        nsig.append(len(B) / (1 + A))
    return nxt, x, nsig


def main():
    d, N, R, steps, snr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    T = np.fromfile(f'{d}/T.f64', dtype=np.float64).reshape(N, N, N)
    A = [np.fromfile(f'{d}/A{n}.f64', dtype=np.float64).reshape(N, R) for n in range(3)]
    x0 = [np.fromfile(f'{d}/x{n}.f64', dtype=np.float64) for n in range(3)]
    normT = np.linalg.norm(T)
    # ALS from the given start, rescaled to |K| = |T| as lib/tensor does
    nk = np.sqrt((np.prod([f.T @ f for f in A], axis=0)).sum())
    A = [f * (normT / nk) ** (1 / 3) for f in A]
    A = rebalance(A)
    losses = []
    A, loss = als_sweep(T, A, normT)
    losses.append(loss)
    t0 = time.perf_counter()
    for _ in range(steps):
        A, loss = als_sweep(T, A, normT)
        losses.append(loss)
    als_seconds = (time.perf_counter() - t0) / steps
    s = np.sqrt(snr / N ** 2)
    x, prev, sig = [v.copy() for v in x0], [np.zeros(N)] * 3, [float(N)] * 3
    x, prev, sig = amp_step(T, x, prev, sig, s)
    t0 = time.perf_counter()
    for _ in range(steps):
        x, prev, sig = amp_step(T, x, prev, sig, s)
    amp_seconds = (time.perf_counter() - t0) / steps
    print(json.dumps({'alsSeconds': als_seconds, 'ampSeconds': amp_seconds, 'alsLosses': losses, 'numpy': np.__version__}))


main()
