"""PyTorch side of bench/core.bench.ts: the same GEMMs, MLP epoch and LeNet
training steps, timed the same way, printed as one JSON object on stdout.

Run by bench/core.bench.ts with /usr/bin/python3 (Debian's python3-torch) and
OPENBLAS_NUM_THREADS set to the thread count it pins (Debian's torch calls
OpenBLAS, which ignores torch.set_num_threads, so both are set).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/core_torch.py --threads 1 --reps 5
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(folder, stem):
    for name in (stem + '.gz', stem):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f'{stem} not found in {folder}')


def timed_reps(fn, reps, min_seconds):
    """Seconds per call of fn (wall and process CPU) over `reps` repetitions,
    each repeating fn until min_seconds have passed (after one warm-up call)."""
    fn()
    wall, cpu = [], []
    for _ in range(reps):
        calls = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        while True:
            fn()
            calls += 1
            dt = time.perf_counter() - t0
            if dt >= min_seconds:
                break
        wall.append(dt / calls)
        cpu.append((time.process_time() - c0) / calls)
    return wall, cpu


def timed_runs(fn, reps):
    """Wall and CPU seconds of each of `reps` calls of fn (after one warm-up call); returns the last result too."""
    fn()
    wall, cpu = [], []
    last = None
    for _ in range(reps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        last = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu, last


def bench_gemm(reps, min_seconds):
    g = torch.Generator().manual_seed(1)
    out = []
    shapes = [(128, 256, 784, ta, tb) for ta in (False, True) for tb in (False, True)] + [(1024, 1024, 1024, False, False)]
    for m, n, k, ta, tb in shapes:
        a = torch.randn(*((k, m) if ta else (m, k)), generator=g)
        b = torch.randn(*((n, k) if tb else (k, n)), generator=g)
        c = torch.empty(m, n)
        aa = a.t() if ta else a
        bb = b.t() if tb else b
        wall, cpu = timed_reps(lambda: torch.mm(aa, bb, out=c), reps, min_seconds)
        out.append({'m': m, 'n': n, 'k': k, 'transA': ta, 'transB': tb, 'samplesSeconds': wall, 'cpuSamplesSeconds': cpu})
    return out


def bench_mlp(reps, fashion_dir, quick):
    images = read_idx(find(fashion_dir, 'train-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) / 255.0
    labels = read_idx(find(fashion_dir, 'train-labels-idx1-ubyte')).astype(np.int64)
    x_all = torch.from_numpy(images)
    y_all = torch.from_numpy(labels)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    batch = 128
    steps = 60 if quick else len(images) // batch  # full batches of one epoch (468)
    gen = torch.Generator().manual_seed(2)

    def epoch():
        perm = torch.randperm(len(images), generator=gen)
        for s in range(steps):
            idx = perm[s * batch:(s + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(model(x_all[idx]), y_all[idx])
            loss.backward()
            opt.step()
        return loss.item()

    wall, cpu, last_loss = timed_runs(epoch, reps)
    return {'batch': batch, 'steps': steps, 'samples': steps * batch, 'samplesSeconds': wall, 'cpuSamplesSeconds': cpu, 'finalLoss': last_loss}


class LeNet(nn.Module):
    """BioTorch's LeNet (training-rules.md): 32x32 input."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 120, 5), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        for mod in self.modules():
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(mod.weight)
                nn.init.zeros_(mod.bias)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def bench_lenet(reps, mnist_dir, quick):
    images = read_idx(find(mnist_dir, 'train-images-idx3-ubyte')).astype(np.float32) / 255.0
    labels = read_idx(find(mnist_dir, 'train-labels-idx1-ubyte')).astype(np.int64)
    images = (images - 0.1307) / 0.3081
    padded = np.full((len(images), 1, 32, 32), (0 - 0.1307) / 0.3081, dtype=np.float32)
    padded[:, 0, 2:30, 2:30] = images
    x_all = torch.from_numpy(padded)
    y_all = torch.from_numpy(labels)
    torch.manual_seed(0)
    model = LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batch = 64
    steps = 20 if quick else 100
    gen = torch.Generator().manual_seed(3)

    def run():
        perm = torch.randperm(len(padded), generator=gen)
        for s in range(steps):
            idx = perm[s * batch:(s + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(model(x_all[idx]), y_all[idx])
            loss.backward()
            opt.step()
        return loss.item()

    wall, cpu, last_loss = timed_runs(run, reps)
    return {'batch': batch, 'steps': steps, 'samples': steps * batch, 'samplesSeconds': wall, 'cpuSamplesSeconds': cpu, 'finalLoss': last_loss}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--quick', action='store_true')
    p.add_argument('--fashion-dir', default='/usr/share/datasets/fashion-mnist')
    p.add_argument('--mnist-dir', required=True)
    p.add_argument('--only', default='gemm,mlp,lenet')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    only = args.only.split(',')
    min_seconds = 0.05 if args.quick else 0.2
    result = {
        'torch': torch.__version__, 'python': sys.version.split()[0], 'torchThreads': torch.get_num_threads(),
        'openblasNumThreads': os.environ.get('OPENBLAS_NUM_THREADS'), 'reps': args.reps,
        # Debian's torch calls the reference BLAS interface; which library serves it is the alternatives link.
        'blas': os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3'),
    }
    if 'gemm' in only:
        result['gemm'] = bench_gemm(args.reps, min_seconds)
    if 'mlp' in only:
        result['mlp'] = bench_mlp(args.reps, args.fashion_dir, args.quick)
    if 'lenet' in only:
        result['lenet'] = bench_lenet(args.reps, args.mnist_dir, args.quick)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
