"""PyTorch side of bench/rules-conv.bench.ts: one BP training step at batch 64
(SGD, momentum 0.9, lr 0.01) of BioTorch's LeNet (32x32 inputs) and of the
VGG-like net of lib/rules vgg() (28x28: 3x3 'same' convolutions in blocks of
32, 32 | 64, 64 | 128, 128 | 256, 256 channels, ReLU, 2x2 max pool after each
block while the map is at least 2x2, flatten, linear to 10), Xavier-uniform
weights and zero biases as in lib/rules, on the batches the TypeScript bench
wrote (NHWC float32 images, int32 labels).

Output: one JSON object on stdout with, per model, the per-step wall and
process CPU seconds of every repetition (time for all steps / steps).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/rules_conv_torch.py --dir DIR --reps 5
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch import nn


def init(model):
    for mod in model.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)
    return model


def lenet():
    return init(nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)))


def vgg(side=28, blocks=((32, 32), (64, 64), (128, 128), (256, 256))):
    layers, c, h = [], 1, side
    for block in blocks:
        for o in block:
            layers += [nn.Conv2d(c, o, 3, padding=1), nn.ReLU()]
            c = o
        if h >= 2:
            layers.append(nn.MaxPool2d(2))
            h //= 2
    layers += [nn.Flatten(), nn.Linear(c * h * h, 10)]
    return init(nn.Sequential(*layers))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--reps', type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    meta = json.load(open(os.path.join(args.dir, 'meta.json')))
    batch = meta['batch']
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads()}
    for m in meta['models']:
        name, side, steps = m['name'], m['side'], m['steps']
        x = np.fromfile(os.path.join(args.dir, f'{name}-x.f32'), dtype=np.float32).reshape(steps * batch, side, side, 1)
        y = np.fromfile(os.path.join(args.dir, f'{name}-y.i32'), dtype=np.int32).astype(np.int64)
        xs = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        ys = torch.from_numpy(y)
        model = lenet() if name == 'lenet' else vgg(side)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()

        def run():
            for s in range(steps):
                opt.zero_grad()
                loss = loss_fn(model(xs[s * batch:(s + 1) * batch]), ys[s * batch:(s + 1) * batch])
                loss.backward()
                opt.step()
            return loss.item()

        run()  # warm-up, as on our side
        wall, cpu = [], []
        for _ in range(args.reps):
            t0, c0 = time.perf_counter(), time.process_time()
            run()
            cpu.append((time.process_time() - c0) / steps)
            wall.append((time.perf_counter() - t0) / steps)
        out[name] = {'wall': wall, 'cpu': cpu}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
