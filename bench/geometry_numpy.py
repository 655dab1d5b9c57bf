"""NumPy/SciPy reference of the manifold-capacity analysis for bench/geometry.bench.ts.

The authors' package (schung039/neural_manifolds_replicaMFT) needs pymanopt and autograd, which Debian does not
package, so this is a reference of the same computation written on NumPy and SciPy (no pip):

- the anchor-point QPs min ||V - T||^2 s.t. V.S_j >= 0 (kappa = 0) through their dual, a nonnegative least-squares
  problem min ||S^T lam + T|| over lam >= 0 solved by scipy.optimize.nnls (Lawson-Hanson), one T at a time (where
  SciPy is missing, as in Debian's python3 without python3-scipy, by the same method written in NumPy), with
  the interior T (every field >= 0) skipped as in the authors' code;
- the same data steps as lib/geometry's manifoldCapacity: global mean removed, each manifold centred and divided
  by its centre's norm, coordinates from the eigendecomposition of its Gram matrix (descending, each eigenvector's
  largest entry made positive), so that the same T vectors (read from the bench) give the same anchor points;
- the centre-correlation step: the same cost (squared residual correlations of the centres), its gradient, and
  Riemannian conjugate gradients on the Stiefel manifold (Polak-Ribiere+, projection transport, QR retraction,
  Armijo backtracking), K = 1, 2, ... with the same stopping rule.

Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/geometry_numpy.py SPEC.json
Prints one JSON object (times measured inside, start-up and file reading excluded).
"""
import json
import sys
import time

import numpy as np

try:  # Debian's python3 may lack SciPy (python3-scipy): then the Lawson-Hanson NNLS below, in NumPy
    import scipy
    from scipy.optimize import nnls as scipy_nnls
except ImportError:
    scipy = None
    scipy_nnls = None


def lawson_hanson(A, b):
    """min ||A x - b|| over x >= 0 by Lawson & Hanson's active-set method (Solving Least Squares Problems, 1974)."""
    m, n = A.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    tol = 10 * np.finfo(float).eps * np.linalg.norm(A, 1) * max(m, n)
    w = A.T @ (b - A @ x)
    for _ in range(3 * n):
        if passive.all() or np.max(np.where(passive, -np.inf, w)) <= tol:
            break
        passive[np.argmax(np.where(passive, -np.inf, w))] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if np.all(z[passive] > 0):
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > tol
            x[~passive] = 0
        w = A.T @ (b - A @ x)
    return x


def nnls(A, b):
    return (scipy_nnls(A, b)[0], None) if scipy_nnls is not None else (lawson_hanson(A, b), None)


def gram_coordinates(G, k):
    w, V = np.linalg.eigh(G)
    order = np.argsort(-w)[:k]
    w, V = w[order], V[:, order]
    big = V[np.argmax(np.abs(V), axis=0), np.arange(k)]
    return V * (np.sign(big) + (big == 0)) * np.sqrt(np.maximum(w, 0))


def anchor_analysis(S, T):
    """S: m x D points (centre coordinate added here), T: nT x (D + 1). Returns capacity, radius, dimension."""
    m, D = S.shape
    S1 = np.hstack([S, np.ones((m, 1))])
    fields = T @ S1.T
    nT = T.shape[0]
    anchors = np.empty((nT, D + 1))
    for i in range(nT):
        j = np.argmin(fields[i])
        if fields[i, j] >= 0:
            anchors[i] = S1[j]
            continue
        lam, _ = nnls(S1.T, -T[i])
        s = lam.sum()
        anchors[i] = S1.T @ lam / s if s > 0 else S1[j]
    ts = np.sum(T * anchors, axis=1)
    ss = np.sum(anchors * anchors, axis=1)
    inverse = np.mean(np.maximum(-ts, 0) ** 2 / ss)
    ds = (anchors[:, :D] - anchors[:, :D].mean(axis=0)) / anchors[:, D:D + 1]
    radius = np.sqrt(np.mean(np.sum(ds * ds, axis=1)))
    t, a = T[:, :D], anchors[:, :D]
    dot = np.mean(-np.sum(t * a, axis=1) / np.sqrt(np.sum(t * t, axis=1) * (np.sum(a * a, axis=1) + 1e-12)))
    return 1 / inverse, radius, D * dot * dot


def cost(X, V, grad):
    c = X @ V
    R = X @ X.T - c @ c.T
    d = np.diag(R)
    W = R / np.outer(d, d)
    f = 0.5 * np.sum(W * R)
    if not grad:
        return f, None
    u = np.sum(W * R, axis=1) / d
    gc = -2 * W @ c + 2 * u[:, None] * c
    return f, X.T @ gc


def tangent(V, Z):
    A = V.T @ Z
    return Z - V @ (0.5 * (A + A.T))


def retract(Y):
    Q, R = np.linalg.qr(Y)
    return Q * np.sign(np.diag(R))


def stiefel_minimise(X, V, max_iter):
    f, eg = cost(X, V, True)
    g = tangent(V, eg)
    d = -g
    step = 1 / np.sqrt(np.sum(g * g) + 1e-300)
    for _ in range(max_iter):
        gg = np.sum(g * g)
        if np.sqrt(gg) < 1e-6:
            break
        slope = np.sum(g * d)
        if slope >= 0:
            d, slope = -g, -gg
        a, Vn = 2 * step, None
        for _ in range(40):
            trial = retract(V + a * d)
            ft, _ = cost(X, trial, False)
            if ft <= f + 1e-4 * a * slope:
                Vn, fn = trial, ft
                break
            a /= 2
        if Vn is None:
            break
        decrease = f - fn
        V = Vn
        f, eg = cost(X, V, True)
        gn = tangent(V, eg)
        go, do = tangent(V, g), tangent(V, d)
        beta = max(0.0, np.sum(gn * (gn - go)) / gg)
        d = -gn + beta * do
        g, step = gn, a
        if decrease <= 1e-12 * max(1, abs(f)):
            break
    return V


def residual(X, V):
    Xr = X - (X @ V) @ V.T if V is not None else X
    G = Xr @ Xr.T
    n = np.sqrt(np.diag(G))
    C = np.abs(G) / np.outer(n, n)
    P = X.shape[0]
    return (C.sum() - P) / (P * (P - 1)), np.min(n / np.linalg.norm(X, axis=1))


def centre_subspace(centres, n_reps, max_iter, rng):
    P = centres.shape[0]
    Xb = centres - centres.mean(axis=0)
    n = min(P - 1, Xb.shape[1])
    X = gram_coordinates(Xb @ Xb.T, n)
    lam = np.sum(X * X, axis=0)
    cum = np.cumsum(lam / lam.sum())
    below = max([c for c in range(n) if cum[c] < 0.95], default=0)
    max_k = min(below + 11, max(1, n - 1))
    by_k, sols, V1 = [], [], None
    for K in range(1, max_k + 1):
        best, best_stab = None, -np.inf
        for _ in range(n_reps):
            sX = rng.standard_normal(P) @ X
            V0 = sX[:, None] if V1 is None else np.hstack([sX[:, None], V1])
            V = stiefel_minimise(X, retract(V0), max_iter)
            stab = residual(X, V)[1]
            if stab > best_stab:
                best, best_stab = V, stab
        V1 = best
        sols.append(V1)
        by_k.append(residual(X, V1)[0])
        c = by_k
        if K > 4 and c[K - 1] > c[K - 2] > c[K - 3] > c[K - 4]:
            break
    kb = int(np.argmin(by_k))
    Q = Xb.T @ (X / np.where(lam > 0, lam, np.inf))
    return Q @ sols[kb], kb + 1


def analysis(Xs, T, centre_step, n_reps, max_iter, seed):
    allx = np.concatenate(Xs, axis=0)
    gmean = allx.mean(axis=0)
    basis = None
    K = 0
    if centre_step:
        centres = np.stack([x.mean(axis=0) for x in Xs])
        basis, K = centre_subspace(centres, n_reps, max_iter, np.random.default_rng(seed))
    caps, rads, dims = [], [], []
    for i, x in enumerate(Xs):
        Y = x - gmean
        if basis is not None:
            Y = Y - (Y @ basis) @ basis.T
        c = Y.mean(axis=0)
        Y = (Y - c) / np.linalg.norm(c)
        m = Y.shape[0]
        D = min(m, Y.shape[1])
        S = gram_coordinates(Y @ Y.T, D)
        a, r, d = anchor_analysis(S, T[i])
        caps.append(a)
        rads.append(r)
        dims.append(d)
    caps = np.array(caps)
    return 1 / np.mean(1 / caps), float(np.mean(rads)), float(np.mean(dims)), K


def main():
    spec = json.load(open(sys.argv[1]))
    P, M, N, nT = spec['P'], spec['M'], spec['N'], spec['nT']
    data = np.fromfile(spec['data'], dtype=np.float32).astype(np.float64).reshape(P, M, N)
    Xs = [data[i] for i in range(P)]
    D1 = min(M, N) + 1
    T = np.fromfile(spec['t'], dtype=np.float64).reshape(P, nT, D1)
    t0 = time.perf_counter()
    cap, rad, dim, _ = analysis(Xs, T, False, 1, 1, 0)
    t1 = time.perf_counter()
    capf, radf, dimf, K = analysis(Xs, T, True, spec['nReps'], spec['maxIterations'], spec['seed'])
    t2 = time.perf_counter()
    print(json.dumps({
        'numpy': np.__version__, 'scipy': scipy.__version__ if scipy is not None else None, 'secondsAnchor': t1 - t0, 'secondsFull': t2 - t1,
        'anchor': {'capacity': cap, 'radius': rad, 'dimension': dim}, 'full': {'capacity': capf, 'radius': radf, 'dimension': dimf, 'K': K},
    }))


if __name__ == '__main__':
    main()
