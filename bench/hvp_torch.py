"""PyTorch side of bench/landscape.bench.ts: the Hessian-vector product of
the same MLP on the same data by double backward, timed, with the product
itself written back so the two implementations are also compared.

Inputs (written by the TypeScript bench into --dir):
  x.f32 [n, 784], labels.i32 [n], params.f32 (the flat parameter vector in
  lib/landscape's order: per layer W [in, out] row-major then b), v.f32 [D],
  meta.json {n, sizes, activation}.
Output: one JSON object on stdout; the product in --dir/hv_torch.f32.
Each product is timed twice: wall clock (perf_counter) and this process's CPU
time (process_time), which time-slicing on a loaded machine does not inflate.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/hvp_torch.py --dir DIR --reps 5
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    meta = json.load(open(os.path.join(args.dir, 'meta.json')))
    n, sizes, act = meta['n'], meta['sizes'], meta['activation']
    x = torch.from_numpy(np.fromfile(os.path.join(args.dir, 'x.f32'), dtype=np.float32).reshape(n, sizes[0]))
    y = torch.from_numpy(np.fromfile(os.path.join(args.dir, 'labels.i32'), dtype=np.int32).astype(np.int64))
    flat = np.fromfile(os.path.join(args.dir, 'params.f32'), dtype=np.float32)
    vflat = np.fromfile(os.path.join(args.dir, 'v.f32'), dtype=np.float32)

    params, vs, o = [], [], 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        for shape in ((a, b), (b,)):
            size = int(np.prod(shape))
            params.append(torch.tensor(flat[o:o + size].reshape(shape), requires_grad=True))
            vs.append(torch.tensor(vflat[o:o + size].reshape(shape)))
            o += size
    phi = {'tanh': torch.tanh, 'relu': torch.relu, 'sigmoid': torch.sigmoid}[act]

    def loss_fn():
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]  # x W + b with W [in, out], as in lib/rules
            if i + 2 < len(params):
                h = phi(h)
        return torch.nn.functional.cross_entropy(h, y)

    def fresh_product():
        grads = torch.autograd.grad(loss_fn(), params, create_graph=True)
        return torch.autograd.grad(grads, params, grad_outputs=vs)

    # Cached: the first backward graph is kept and reused by every product (PyHessian's way).
    grads = torch.autograd.grad(loss_fn(), params, create_graph=True)

    def cached_product():
        return torch.autograd.grad(grads, params, grad_outputs=vs, retain_graph=True)

    def timed(fn, reps):
        fn()
        samples, cpu = [], []
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            cpu.append(time.process_time() - c0)
            samples.append(time.perf_counter() - t0)
        return statistics.median(samples), samples, cpu

    cached_s, cached_samples, cached_cpu = timed(cached_product, args.reps)
    fresh_s, fresh_samples, fresh_cpu = timed(fresh_product, args.reps)
    hv = torch.cat([t.reshape(-1) for t in cached_product()]).detach().numpy().astype(np.float32)
    hv.tofile(os.path.join(args.dir, 'hv_torch.f32'))
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'openblas_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'cached_product_seconds': cached_s,
        'cached_samples': cached_samples,
        'cached_cpu_samples': cached_cpu,
        'fresh_product_seconds': fresh_s,
        'fresh_samples': fresh_samples,
        'fresh_cpu_samples': fresh_cpu,
    }))


if __name__ == '__main__':
    main()
