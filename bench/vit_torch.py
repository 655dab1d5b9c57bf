"""PyTorch side of bench/vit.bench.ts: BP training steps at batch 64 (Adam,
lr 1e-3) of lib/rules' vit() for 28x28 images (patch 4 -> 49 tokens, width
64, depth 4, 4 heads, MLP width 128, GELU, pre-norm blocks, final layer norm,
mean over tokens, linear head to 10; qkv without bias), on the batches the
TypeScript bench wrote (NHWC float32 images, int32 labels). The modules are
PyTorch's own (nn.Linear, nn.LayerNorm, nn.GELU, softmax) and autograd does
the backward pass. Output: one JSON object on stdout with the per-step wall
and process CPU seconds of every repetition (time for all steps / steps).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/vit_torch.py --dir DIR --reps 3 --threads 1
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d, heads, m):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, m)
        self.fc2 = nn.Linear(m, d)

    def forward(self, h):
        n, t, d = h.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.ln1(h)).view(n, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / dh ** 0.5, dim=-1)
        h = h + self.proj((a @ v).transpose(1, 2).reshape(n, t, d))
        return h + self.fc2(nn.functional.gelu(self.fc1(self.ln2(h))))


class Vit(nn.Module):
    def __init__(self, side=28, p=4, d=64, depth=4, heads=4, m=128, classes=10):
        super().__init__()
        self.p = p
        t = (side // p) ** 2
        self.embed = nn.Linear(p * p, d, bias=False)
        self.pos = nn.Parameter(torch.randn(t, d) * 0.02)
        self.blocks = nn.Sequential(*[Block(d, heads, m) for _ in range(depth)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)
        for mod in self.modules():
            if isinstance(mod, nn.Linear):
                nn.init.xavier_uniform_(mod.weight)
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)

    def forward(self, x):
        n, hh, ww, c = x.shape
        p = self.p
        patches = x.reshape(n, hh // p, p, ww // p, p, c).permute(0, 1, 3, 2, 4, 5).reshape(n, -1, p * p * c)
        h = self.blocks(self.embed(patches) + self.pos)
        return self.head(self.ln(h).mean(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    meta = json.load(open(os.path.join(a.dir, 'meta.json')))
    batch, steps, side = meta['batch'], meta['steps'], meta['side']
    x = torch.from_numpy(np.fromfile(os.path.join(a.dir, 'x.f32'), dtype=np.float32).reshape(-1, side, side, 1))
    y = torch.from_numpy(np.fromfile(os.path.join(a.dir, 'y.i32'), dtype=np.int32).astype(np.int64))
    model = Vit(side=side)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run():
        for s in range(steps):
            xb, yb = x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()

    run()  # warm-up
    out = {'wall': [], 'cpu': []}
    for _ in range(a.reps):
        w0, c0 = time.perf_counter(), time.process_time()
        run()
        out['wall'].append((time.perf_counter() - w0) / steps)
        out['cpu'].append((time.process_time() - c0) / steps)
    print(json.dumps({'torch': torch.__version__, 'vit': out, 'parameters': sum(p.numel() for p in model.parameters())}))


if __name__ == '__main__':
    main()
