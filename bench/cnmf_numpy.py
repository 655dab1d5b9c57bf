"""NumPy reference of convolutive NMF for bench/cnmf.bench.ts.

MU and HALS vectorised the way Degleris et al. (2019, arXiv 1907.00139)
describe: MU by per-lag matrix products; HALS with the residual R = Xhat - X
kept in memory, W by rank-one corrections, H in interleaved blocks of the
columns t = r, r + L, ... whose windows are disjoint. Also "mu_stacked": the
same MU with all lags in one product over the stacked shifts, as lib/cnmf
computes it, so the MU comparison can be made like for like.

Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/cnmf_numpy.py SPEC.json
SPEC lists cases (data and initial factors as raw float64 files written by the
TypeScript bench, so both sides start from the same numbers) and what to time.
Prints one JSON object on stdout.
"""
import json
import sys
import time

import numpy as np

EPS = 1e-12


def reconstruct(W, H):
    """W: L x N x K, H: K x T -> Xhat N x T."""
    L, N, _ = W.shape
    T = H.shape[1]
    Xhat = np.zeros((N, T))
    for l in range(L):
        Xhat[:, l:] += W[l] @ H[:, : T - l]
    return Xhat


def transpose_convolve(W, Y):
    L, _, K = W.shape
    T = Y.shape[1]
    out = np.zeros((K, T))
    for l in range(L):
        out[:, : T - l] += W[l].T @ Y[:, l:]
    return out


def mu_iteration(X, W, H, Xhat):
    L = W.shape[0]
    T = X.shape[1]
    for l in range(L):
        num = X[:, l:] @ H[:, : T - l].T
        den = Xhat[:, l:] @ H[:, : T - l].T
        W[l] = np.maximum(W[l] * num / (den + EPS), EPS)
    Xhat = reconstruct(W, H)
    H *= transpose_convolve(W, X) / (transpose_convolve(W, Xhat) + EPS)
    np.maximum(H, EPS, out=H)
    return reconstruct(W, H)


def stack_shifts(H, L):
    """Htilde (K L x T): row l*K + k is H_k shifted right by l."""
    K, T = H.shape
    Ht = np.zeros((L, K, T))
    for l in range(L):
        Ht[l, :, l:] = H[:, : T - l]
    return Ht.reshape(L * K, T)


def mu_stacked_iteration(X, W, H, Xhat):
    """The same MU iteration with every lag in one product (what lib/cnmf does), for a like-for-like timing."""
    L, N, K = W.shape
    T = X.shape[1]
    Ht = stack_shifts(H, L)
    num = (X @ Ht.T).reshape(N, L, K).transpose(1, 0, 2)
    den = (Xhat @ Ht.T).reshape(N, L, K).transpose(1, 0, 2)
    W[:] = np.maximum(W * num / (den + EPS), EPS)
    Wu = W.transpose(1, 0, 2).reshape(N, L * K)
    Xhat = Wu @ Ht
    P = (Wu.T @ X).reshape(L, K, T)
    Q = (Wu.T @ Xhat).reshape(L, K, T)
    hnum = np.zeros((K, T))
    hden = np.zeros((K, T))
    for l in range(L):
        hnum[:, : T - l] += P[l, :, l:]
        hden[:, : T - l] += Q[l, :, l:]
    H *= hnum / (hden + EPS)
    np.maximum(H, EPS, out=H)
    return Wu @ stack_shifts(H, L)


def hals_iteration(W, H, R):
    L, N, K = W.shape
    T = H.shape[1]
    # W: one (k, l) column at a time, R updated by the rank-one change
    for l in range(L):
        Rl = R[:, l:]
        for k in range(K):
            h = H[k, : T - l]
            hn = h @ h
            w = W[l, :, k]
            new = np.maximum(0.0, (w * hn - Rl @ h) / (hn + EPS))
            Rl += np.outer(new - w, h)
            W[l, :, k] = new
    # H: for each k, L blocks of columns with disjoint windows
    for k in range(K):
        Wk = np.ascontiguousarray(W[:, :, k].T)  # N x L
        cum = np.concatenate(([0.0], np.cumsum((Wk * Wk).sum(axis=0))))
        for r in range(min(L, T)):
            J = (T - r) // L  # full windows
            if J > 0:
                block = R[:, r : r + J * L].reshape(N, J, L)  # a view: rows keep their stride
                h = H[k, r : r + J * L : L]
                inner = np.einsum("njl,nl->j", block, Wk)
                new = np.maximum(0.0, (h * cum[L] - inner) / (cum[L] + EPS))
                block += (new - h)[None, :, None] * Wk[:, None, :]
                H[k, r : r + J * L : L] = new
            t = r + J * L
            if t < T:  # the window cut by the end of the data
                ln = T - t
                h = H[k, t]
                inner = np.sum(R[:, t:] * Wk[:, :ln])
                new = max(0.0, (h * cum[ln] - inner) / (cum[ln] + EPS))
                R[:, t:] += (new - h) * Wk[:, :ln]
                H[k, t] = new


def load(case, name, shape):
    return np.fromfile(case[name], dtype=np.float64).reshape(shape)


def per_iteration(solver, X, W0, H0, iterations):
    normX = np.linalg.norm(X)

    def run(n, times, losses):
        W = W0.copy()
        H = H0.copy()
        Xhat = reconstruct(W, H)
        R = Xhat - X
        for _ in range(n):
            t0 = time.perf_counter()
            if solver in ("mu", "mu_stacked"):
                Xhat = (mu_iteration if solver == "mu" else mu_stacked_iteration)(X, W, H, Xhat)
                loss = np.linalg.norm(Xhat - X) / normX
            else:
                hals_iteration(W, H, R)
                loss = np.linalg.norm(R) / normX
            times.append(time.perf_counter() - t0)
            losses.append(float(loss))

    run(1, [], [])  # warm-up, as on the TypeScript side
    times, losses = [], []
    run(iterations, times, losses)
    return times, losses


def time_to_loss(solver, X, W0, H0, target, time_limit):
    W = W0.copy()
    H = H0.copy()
    normX = np.linalg.norm(X)
    t0 = time.perf_counter()
    Xhat = reconstruct(W, H)
    R = Xhat - X
    it = 0
    while True:
        loss = np.linalg.norm(Xhat - X if solver == "mu" else R) / normX
        elapsed = time.perf_counter() - t0
        if loss <= target:
            return elapsed, it
        if elapsed > time_limit:
            return None, it
        if solver == "mu":
            Xhat = mu_iteration(X, W, H, Xhat)
        else:
            hals_iteration(W, H, R)
        it += 1


def main():
    spec = json.load(open(sys.argv[1]))
    out = {"numpy": np.__version__, "cases": {}}
    for case in spec["cases"]:
        N, T, K, L = case["N"], case["T"], case["K"], case["L"]
        X = load(case, "X", (N, T))
        W0 = load(case, "W0", (L, N, K))
        H0 = load(case, "H0", (K, T))
        res = {}
        for solver in ("mu", "mu_stacked", "hals"):
            times, losses = per_iteration(solver, X, W0, H0, case["iterations"])
            res[solver] = {"secondsPerIteration": times, "losses": losses}
        if "target" in case:
            for solver in ("mu", "hals"):
                ttl = []
                for init in case["seedInits"]:
                    W = np.fromfile(init["W0"], dtype=np.float64).reshape((L, N, K))
                    H = np.fromfile(init["H0"], dtype=np.float64).reshape((K, T))
                    seconds, its = time_to_loss(solver, X, W, H, case["target"], case["timeLimit"])
                    ttl.append({"seed": init["seed"], "seconds": seconds, "iterations": its})
                res[solver]["timeToTarget"] = ttl
        out["cases"][case["name"]] = res
    print(json.dumps(out))


if __name__ == "__main__":
    main()
