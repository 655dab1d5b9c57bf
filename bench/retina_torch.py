"""PyTorch side of bench/retina.bench.ts: BP training steps of the
retinal-bottleneck network (32x32x1 input; 9x9 'same' convolutions with ReLU:
conv(width) - conv(bottleneck) - conv(width) - conv(width); flatten -
dense(dense) - ReLU - dense(23)), torch.optim.RMSprop (alpha 0.9, eps 1e-7,
lr 1e-4), cross-entropy, batch of fixed values, for a 1-channel and a
width-channel bottleneck. Output: one JSON object on stdout with the per-step
wall and process CPU seconds of every repetition (time for all steps / steps).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/retina_torch.py --width 16 --dense 128 --batch 32 --steps 3 --reps 3
"""
import argparse
import json
import time

import torch
from torch import nn


def network(width, bottleneck, dense, classes=23):
    def conv(i, o):
        return [nn.Conv2d(i, o, 9, padding=4), nn.ReLU()]
    return nn.Sequential(*conv(1, width), *conv(width, bottleneck), *conv(bottleneck, width), *conv(width, width),
                         nn.Flatten(), nn.Linear(width * 32 * 32, dense), nn.ReLU(), nn.Linear(dense, classes))


def main():
    p = argparse.ArgumentParser()
    for name, default in [('width', 16), ('dense', 128), ('batch', 32), ('steps', 3), ('reps', 3)]:
        p.add_argument(f'--{name}', type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.sin(torch.arange(a.batch * 1024, dtype=torch.float32) * 12.9898).reshape(a.batch, 1, 32, 32)
    y = torch.arange(a.batch) % 23
    runs = {}
    for bottleneck in [1, a.width]:
        net = network(a.width, bottleneck, a.dense)
        opt = torch.optim.RMSprop(net.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)

        def step():
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        step()  # warm-up
        wall, cpu = [], []
        for _ in range(a.reps):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(a.steps):
                step()
            wall.append((time.perf_counter() - w0) / a.steps)
            cpu.append((time.process_time() - c0) / a.steps)
        runs[str(bottleneck)] = {'wall': wall, 'cpu': cpu}
    print(json.dumps({'torch': torch.__version__, 'runs': runs}))


if __name__ == '__main__':
    main()
