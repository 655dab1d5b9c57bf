"""NumPy reference for bench/circuits.bench.ts (float64, one BLAS thread).

Two kernels, from the same numbers the TypeScript bench wrote as raw float64
files in DIR:
  rls   STEPS recursive-least-squares steps with one shared P (N x N, P(0) = I):
        k = P r, c = 1 / (1 + r.k), P -= c k k^T, w -= e c k with e = w.r - f
  sim   STEPS Euler steps of dx/dt = -x + J tanh(x), dt = 0.1 (tau = 10 ms, dt = 1 ms:
        1,000 steps are one second of simulated time)
Each is timed ROUNDS times inside this process (start-up excluded) from the
same start; prints one JSON line: seconds per round and the final w and x
summaries for the bench to compare.

Usage: OPENBLAS_NUM_THREADS=1 python3 bench/circuits_numpy.py DIR N RLS_STEPS SIM_STEPS ROUNDS
"""
import json
import os
import sys
import time

import numpy as np


def main():
    d, N, rls_steps, sim_steps, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    load = lambda name: np.fromfile(os.path.join(d, name), dtype=np.float64)
    J = load('J.f64').reshape(N, N)
    x0 = load('x0.f64')
    R = load('rates.f64').reshape(rls_steps, N)
    f = load('targets.f64')
    rls_times, sim_times = [], []
    for _ in range(rounds):
        P = np.eye(N)
        w = np.zeros(N)
        t0 = time.perf_counter()
        for t in range(rls_steps):
            r = R[t]
            e = w @ r - f[t]
            k = P @ r
            c = 1.0 / (1.0 + r @ k)
            P -= np.outer(c * k, k)
            w -= e * c * k
        rls_times.append(time.perf_counter() - t0)
        x = x0.copy()
        t0 = time.perf_counter()
        for _ in range(sim_steps):
            x += 0.1 * (J @ np.tanh(x) - x)
        sim_times.append(time.perf_counter() - t0)
    print(json.dumps({'rls': rls_times, 'sim': sim_times, 'w': w.tolist(), 'x': x.tolist(), 'numpy': np.__version__}))


if __name__ == '__main__':
    main()
