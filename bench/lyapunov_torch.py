"""PyTorch reference of the Lyapunov-spectrum benchmark in bench/meanfield.bench.ts.

Reads the couplings J (N x N), the state x0 (N) and the initial frame V0
(k x N, rows orthonormal) as raw little-endian float64 files, runs the same
algorithm as lib/dynamics' lyapunovSpectrum on the flow dx/dt = -x + J tanh(x):
RK4 with step dt on x and on the tangent block (stages use Df at the stage
states, Df v = -v + J (tanh'(x) * v)), a QR of the block after every step
(torch.linalg.qr, Householder), and the running sums of log |R_ii|. Float64,
one thread (the caller sets OPENBLAS_NUM_THREADS=1 too: Debian's torch calls
OpenBLAS, which ignores torch's setting). Prints JSON: seconds per round
(timed inside, so Python's start-up is excluded) and the exponents.

usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/lyapunov_torch.py DIR N k steps dt rounds
"""
import json
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)


def main():
    d, N, k, steps, dt, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    J = torch.from_numpy(np.fromfile(f"{d}/J.f64", dtype="<f8").reshape(N, N))
    JT = J.t().contiguous()
    x0 = torch.from_numpy(np.fromfile(f"{d}/x0.f64", dtype="<f8"))
    V0 = torch.from_numpy(np.fromfile(f"{d}/V0.f64", dtype="<f8").reshape(k, N))

    def f(x):
        return -x + torch.tanh(x) @ JT

    def tangent(x, V):
        s = 1 - torch.tanh(x) ** 2
        return -V + (V * s) @ JT

    times = []
    exps = None
    for _ in range(rounds):
        x = x0.clone()
        V = V0.clone()
        sums = torch.zeros(k, dtype=torch.float64)
        t0 = time.perf_counter()
        for _ in range(steps):
            k1, K1 = f(x), tangent(x, V)
            x2, V2 = x + 0.5 * dt * k1, V + 0.5 * dt * K1
            k2, K2 = f(x2), tangent(x2, V2)
            x3, V3 = x + 0.5 * dt * k2, V + 0.5 * dt * K2
            k3, K3 = f(x3), tangent(x3, V3)
            x4, V4 = x + dt * k3, V + dt * K3
            k4, K4 = f(x4), tangent(x4, V4)
            x = x + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
            V = V + (dt / 6) * (K1 + 2 * K2 + 2 * K3 + K4)
            Q, R = torch.linalg.qr(V.t())
            sums += torch.log(torch.abs(torch.diagonal(R)))
            V = Q.t().contiguous()
        times.append(time.perf_counter() - t0)
        exps = (sums / (steps * dt)).tolist()
    print(json.dumps({"torch": torch.__version__, "seconds": times, "exponents": exps}))


if __name__ == "__main__":
    main()
