"""PyTorch side of bench/rules.bench.ts: the MLP 784-256-256-10 epoch (batch
128, SGD momentum 0.9) with nn.Linear, and one training step per feedback
rule, each rule a custom autograd function carrying the error as lib/rules
does, timed as the node side times them, and (--only threads) BP's step at
--threads-batch for the one-thread/two-thread row; prints one JSON object on
stdout.

Orientation as in lib/rules: W is [in, out], a = x W + b. The rules (signal
sent to the layer's input from delta = dL/da):
  bp    delta W^T                     fa   delta B^T, B fixed Xavier-uniform
  usf   delta (s sign(W))^T, s = sqrt(2 / (in + out))
  dfa   e B, e the output error (dL/dz), B [classes, in]: the last layer's
        backward records e for the layers below (autograd runs it first)
  ldfa  clamp(delta P^T Q^T, -1, 1), rank r; after the backward pass P and Q
        learn by the RAF rule (lib/rules/low-rank.ts): grad_Q = G P^T
        (G = x^T delta) with weight decay 1e-3, grad_P from Oja's subspace
        rule on the rows P compresses (the last layer: the one-hot targets;
        hidden layers: delta), each by SGD with the network's settings.

Run by bench/rules.bench.ts with /usr/bin/python3 (Debian's python3-torch)
and OPENBLAS_NUM_THREADS set (Debian's torch calls OpenBLAS, which ignores
torch.set_num_threads, so both are set):

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/rules_torch.py --threads 1 --reps 3
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

# The MNIST-format reader, the timer and the nn.Linear MLP epoch are core_torch.py's (this folder is on sys.path).
from core_torch import bench_mlp, find, read_idx, timed_runs


class Feedback(torch.autograd.Function):
    """a = x W + b whose backward sends the layer's pathway signal to x."""

    @staticmethod
    def forward(ctx, x, W, b, layer):
        ctx.save_for_backward(x)
        ctx.layer = layer
        return torch.addmm(b, x, W)

    @staticmethod
    def backward(ctx, delta):
        (x,) = ctx.saved_tensors
        layer = ctx.layer
        layer.record(x, delta)
        dx = layer.signal(delta) if ctx.needs_input_grad[0] else None
        return dx, x.t().mm(delta), delta.sum(0), None


class Layer:
    def __init__(self, rule, n_in, n_out, classes, rank, shared, gen, last):
        bound = math.sqrt(6 / (n_in + n_out))
        self.W = ((torch.rand(n_in, n_out, generator=gen) * 2 - 1) * bound).requires_grad_()
        self.b = torch.zeros(n_out, requires_grad=True)
        self.rule, self.shared, self.last = rule, shared, last
        if rule == 'fa':
            self.B = (torch.rand(n_in, n_out, generator=gen) * 2 - 1) * bound
        elif rule == 'dfa':
            bd = math.sqrt(6 / (classes + n_in))
            self.B = (torch.rand(classes, n_in, generator=gen) * 2 - 1) * bd
        elif rule == 'usf':
            self.scale = math.sqrt(2 / (n_in + n_out))
        elif rule == 'ldfa':
            r = min(rank, n_out)
            self.P = torch.randn(r, n_out, generator=gen) / math.sqrt(n_out)
            limit = bound * math.sqrt(n_out / r)
            self.Q = (torch.rand(n_in, r, generator=gen) * 2 - 1) * limit
        self.x = self.delta = None

    def record(self, x, delta):
        if self.rule == 'ldfa':
            self.x, self.delta = x, delta
        if self.rule == 'dfa' and self.last:
            self.shared['e'] = delta

    def signal(self, delta):
        if self.rule == 'bp':
            return delta.mm(self.W.detach().t())
        if self.rule == 'fa':
            return delta.mm(self.B.t())
        if self.rule == 'usf':
            return delta.mm((torch.sign(self.W.detach()) * self.scale).t())
        if self.rule == 'dfa':
            return self.shared['e'].mm(self.B)
        return delta.mm(self.P.t()).mm(self.Q.t()).clamp_(-1, 1)

    def __call__(self, x):
        return Feedback.apply(x, self.W, self.b, self)


def oja_gradient(P, rows):
    centred = rows - rows.mean(0)
    std = centred.square().mean(0).sqrt().max()
    E = centred / (std + 1e-8)
    PC = P.mm(E.t().mm(E) / rows.shape[0])
    return -(PC - PC.mm(P.t()).mm(P))


def rule_step_bench(rule, width, rank, steps, reps, x_all, y_all, onehot_all, batch=128):
    gen = torch.Generator().manual_seed(7)
    sizes = [784, width, width, 10]
    shared = {}
    layers = [Layer(rule, sizes[i], sizes[i + 1], 10, rank, shared, gen, i == 2) for i in range(3)]
    params = [p for l in layers for p in (l.W, l.b)]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    feedback_opts = []
    if rule == 'ldfa':
        for l in layers:
            l.Q.requires_grad_(False)
            feedback_opts.append((torch.optim.SGD([l.Q], lr=0.01, momentum=0.9, weight_decay=1e-3), torch.optim.SGD([l.P], lr=0.01, momentum=0.9)))
    loss_fn = nn.CrossEntropyLoss()
    perm_gen = torch.Generator().manual_seed(2)

    def run():
        order = torch.randperm(len(x_all), generator=perm_gen)[:steps * batch].view(steps, batch)
        for idx in order:
            opt.zero_grad()
            h = torch.relu(layers[1](torch.relu(layers[0](x_all[idx]))))
            loss_fn(layers[2](h), y_all[idx]).backward()
            if rule == 'ldfa':
                with torch.no_grad():
                    targets = onehot_all[idx]
                    for l, (qo, po) in zip(layers, feedback_opts):
                        G = l.x.t().mm(l.delta)
                        l.Q.grad = G.mm(l.P.t())
                        l.P.grad = oja_gradient(l.P, targets if l.last else l.delta)
                        qo.step()
                        po.step()
            opt.step()

    wall, cpu, _ = timed_runs(run, reps)
    return {'rule': rule, 'width': width, 'rank': rank if rule == 'ldfa' else None, 'batch': batch, 'steps': steps,
            'samplesSeconds': wall, 'cpuSamplesSeconds': cpu}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--quick', action='store_true')
    p.add_argument('--fashion-dir', default='/usr/share/datasets/fashion-mnist')
    p.add_argument('--only', default='mlp,rules')
    p.add_argument('--rules', default='bp,fa,dfa,usf,ldfa')
    p.add_argument('--widths', default='256,512')
    p.add_argument('--rank', type=int, default=10)
    p.add_argument('--rule-steps', type=int, default=50)
    p.add_argument('--threads-batch', type=int, default=256)
    p.add_argument('--threads-steps', type=int, default=40)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    images = read_idx(find(args.fashion_dir, 'train-images-idx3-ubyte')).reshape(-1, 784).astype(np.float32) / 255.0
    labels = read_idx(find(args.fashion_dir, 'train-labels-idx1-ubyte')).astype(np.int64)
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
    onehot_all = torch.nn.functional.one_hot(y_all, 10).float()
    only = args.only.split(',')
    result = {'torch': torch.__version__, 'python': sys.version.split()[0], 'torchThreads': torch.get_num_threads(),
              'openblasNumThreads': os.environ.get('OPENBLAS_NUM_THREADS'), 'reps': args.reps}
    if 'mlp' in only:
        result['mlp'] = bench_mlp(args.reps, args.fashion_dir, args.quick)
    if 'rules' in only:
        steps = 10 if args.quick else args.rule_steps
        result['rules'] = [rule_step_bench(r, int(w), args.rank, steps, args.reps, x_all, y_all, onehot_all)
                           for w in args.widths.split(',') for r in args.rules.split(',')]
    if 'threads' in only:
        # The two-thread row: BP's step at one batch size, this process's thread count (OPENBLAS_NUM_THREADS and set_num_threads).
        steps = 10 if args.quick else args.threads_steps
        result['threadsStep'] = rule_step_bench('bp', 256, args.rank, steps, args.reps, x_all, y_all, onehot_all, args.threads_batch)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
