"""PyTorch side of bench/rules-vectorized.bench.ts: BP's training step (autograd,
Adam 3e-4) of the vectorized networks lib/rules/vectorized.ts builds, K = 10:

  FC-Vec    h1 = (x W0).view(N, K, 256) + b0  (W0 [784, K 256]: the block-diagonal
            expansion of x computed without its zeros, as lib/rules does), gate,
            h2 = h1 W1 + b1 (one W1 [256, 128] for the K components), gate, z = h2 W2 + b2 (1 unit)
  Conv-Vec  conv 3x3 pad 1 of the image to K 8 channels, viewed [N, K, 8, 28, 28], gate, avgpool 2,
            conv 8 -> 8 on the N K maps, gate, avgpool 2, flatten, dense 64, gate, dense 1

gate: h * 1[sum_k t_k h_k >= 0] with t in {+-1}^K, the mask computed without grad
(it is piecewise constant). Prints one JSON line: per net, seconds per step of
each repetition (wall and process CPU time).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/rules_vectorized_torch.py --reps 5
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

K = 10


def gate(h, t):
    with torch.no_grad():
        m = ((h * t).sum(1, keepdim=True) >= 0).to(h.dtype)
    return h * m


def signs(g, *shape):
    return (torch.randint(0, 2, shape, generator=g) * 2 - 1).float()


def fc_vec(g):
    p = [torch.randn(784, K * 256, generator=g) / 28, torch.zeros(K, 256),
         torch.rand(256, 128, generator=g) / 8, torch.zeros(K, 128),
         torch.rand(128, 1, generator=g) / 8, torch.zeros(K, 1)]
    ts = [signs(g, K, 256), signs(g, K, 128)]
    for q in p:
        q.requires_grad_(True)

    def forward(x):
        n = x.shape[0]
        h = (x @ p[0]).view(n, K, 256) + p[1]
        h = gate(h, ts[0]) @ p[2] + p[3]
        h = gate(h, ts[1]) @ p[4] + p[5]
        return h.view(n, K)
    return p, forward, (784,)


def conv_vec(g):
    p = [torch.randn(K * 8, 1, 3, 3, generator=g) / 3, torch.zeros(K, 8, 1, 1),
         torch.rand(8, 8, 3, 3, generator=g) / 8, torch.zeros(K, 8, 1, 1),
         torch.rand(392, 64, generator=g) / 20, torch.zeros(K, 64),
         torch.rand(64, 1, generator=g) / 8, torch.zeros(K, 1)]
    ts = [signs(g, K, 8, 1, 1), signs(g, K, 8, 1, 1), signs(g, K, 64)]
    for q in p:
        q.requires_grad_(True)

    def forward(x):
        n = x.shape[0]
        h = F.conv2d(x, p[0], padding=1).view(n, K, 8, 28, 28) + p[1]
        h = F.avg_pool2d(gate(h, ts[0]).reshape(n * K, 8, 28, 28), 2)
        h = F.conv2d(h, p[2], padding=1).view(n, K, 8, 14, 14) + p[3]
        h = F.avg_pool2d(gate(h, ts[1]).reshape(n * K, 8, 14, 14), 2).reshape(n, K, 392)
        h = gate(h @ p[4] + p[5], ts[2]) @ p[6] + p[7]
        return h.view(n, K)
    return p, forward, (1, 28, 28)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--fc-steps', type=int, default=10)
    ap.add_argument('--conv-steps', type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(3)
    rows = []
    for name, build, steps in (('fc-vec', fc_vec, a.fc_steps), ('conv-vec', conv_vec, a.conv_steps)):
        params, forward, shape = build(g)
        x = torch.randn(a.batch, *shape, generator=g)
        y = torch.arange(a.batch) % K
        opt = torch.optim.Adam(params, lr=3e-4)

        def step():
            opt.zero_grad()
            F.cross_entropy(forward(x), y).backward()
            opt.step()
        step()
        wall, cpu = [], []
        for _ in range(a.reps):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(steps):
                step()
            wall.append((time.perf_counter() - t0) / steps)
            cpu.append((time.process_time() - c0) / steps)
        rows.append({'net': name, 'side': 'BP (PyTorch)', 'wall': wall, 'cpu': cpu})
    print(json.dumps(rows))


if __name__ == '__main__':
    main()
