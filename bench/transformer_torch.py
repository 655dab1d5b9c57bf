"""PyTorch reference for test/rules/transformer-network.test.ts: a small
vision transformer (patch embedding, one pre-norm transformer block,
layer norm, mean over tokens, dense head) trained by backprop for 20
full-batch SGD steps, written once into the committed fixture
test/rules/fixtures/transformer-torch.json so `npm test` needs no PyTorch.

The model is written with explicit tensor operations in lib/rules'
orientation (examples are rows, W is [in, out], a = x W + b) and layout
(lib/rules/transformer.ts's header), so the fixture's arrays load into the
project's network unchanged:
  patches   x [N, H, W, C] -> [N, T, p p C], t = gy (W/p) + gx, patch entry (i p + j) C + c
  embed     patches W + E                          (E the position embedding [T, d])
  block     h = h + proj(attn(qkv(LN1 h)));  h = h + fc2(gelu(fc1(LN2 h)))
  attn      qkv [N, T, 3d] -> q | k | v, head h owning columns h dh ..; softmax(q k^T / sqrt dh) v
  head      logits = mean_t(LN h) W + b;  loss = mean cross-entropy
gelu is torch's exact (erf) GELU, layer norm torch's (biased variance,
eps 1e-5); qkv has no bias (as lib/rules' vit()). SGD is torch.optim.SGD
(lr 0.05, momentum 0.9). Initial values are drawn by NumPy (seed 0) and
rounded to float32, so both sides start from identical numbers; the
reference trains in float64 (and once in float32, recorded as a yardstick
of float32 rounding).

  /usr/bin/python3 bench/transformer_torch.py      # rewrites the fixture
"""
import json
import math
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', 'test', 'rules', 'fixtures', 'transformer-torch.json')

N, H, W, C = 16, 8, 8, 1
P, D, HEADS, MLP, CLASSES = 4, 8, 2, 16, 3
T = (H // P) * (W // P)
STEPS, LR, MOMENTUM = 20, 0.05, 0.9


def initial_values():
    rng = np.random.default_rng(0)

    def w(n_in, n_out):
        return rng.normal(0, 1 / math.sqrt(n_in), (n_in, n_out))

    v = {
        'patch.W': w(P * P * C, D), 'patch.E': rng.normal(0, 0.1, (T, D)),
        'ln1.g': 1 + 0.2 * rng.normal(size=D), 'ln1.b': 0.1 * rng.normal(size=D),
        'qkv.W': w(D, 3 * D),
        'proj.W': w(D, D), 'proj.b': 0.1 * rng.normal(size=D),
        'ln2.g': 1 + 0.2 * rng.normal(size=D), 'ln2.b': 0.1 * rng.normal(size=D),
        'fc1.W': w(D, MLP), 'fc1.b': 0.1 * rng.normal(size=MLP),
        'fc2.W': w(MLP, D), 'fc2.b': 0.1 * rng.normal(size=D),
        'lnh.g': 1 + 0.2 * rng.normal(size=D), 'lnh.b': 0.1 * rng.normal(size=D),
        'head.W': w(D, CLASSES), 'head.b': 0.1 * rng.normal(size=CLASSES),
    }
    x = rng.normal(size=(N, H, W, C))
    y = rng.integers(0, CLASSES, size=N)
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    return {k: f32(a) for k, a in v.items()}, f32(x), y


def layer_norm(h, g, b):
    return torch.nn.functional.layer_norm(h, (h.shape[-1],), g, b, eps=1e-5)


def forward(p, x):
    n = x.shape[0]
    patches = x.reshape(n, H // P, P, W // P, P, C).permute(0, 1, 3, 2, 4, 5).reshape(n, T, P * P * C)
    h = patches @ p['patch.W'] + p['patch.E']
    qkv = layer_norm(h, p['ln1.g'], p['ln1.b']) @ p['qkv.W']
    dh = D // HEADS
    q, k, v = qkv.reshape(n, T, 3, HEADS, dh).permute(2, 0, 3, 1, 4)  # each [N, H, T, dh]
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
    o = (a @ v).permute(0, 2, 1, 3).reshape(n, T, D)
    h = h + o @ p['proj.W'] + p['proj.b']
    m = torch.nn.functional.gelu(layer_norm(h, p['ln2.g'], p['ln2.b']) @ p['fc1.W'] + p['fc1.b'])
    h = h + m @ p['fc2.W'] + p['fc2.b']
    return layer_norm(h, p['lnh.g'], p['lnh.b']).mean(1) @ p['head.W'] + p['head.b']


def train(values, x, y, dtype):
    p = {k: torch.tensor(a, dtype=dtype, requires_grad=True) for k, a in values.items()}
    xt = torch.tensor(x, dtype=dtype)
    yt = torch.tensor(y, dtype=torch.long)
    opt = torch.optim.SGD(list(p.values()), lr=LR, momentum=MOMENTUM)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(p, xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, {k: t.detach().numpy().astype(np.float64) for k, t in p.items()}


def main():
    torch.manual_seed(0)
    values, x, y = initial_values()
    losses64, final64 = train(values, x, y, torch.float64)
    losses32, _ = train(values, x, y, torch.float32)
    fixture = {
        'about': 'written by bench/transformer_torch.py (PyTorch %s); see its header' % torch.__version__,
        'model': {'inputShape': [H, W, C], 'patchSize': P, 'width': D, 'depth': 1, 'heads': HEADS, 'mlpWidth': MLP, 'classes': CLASSES},
        'train': {'steps': STEPS, 'lr': LR, 'momentum': MOMENTUM, 'batch': N},
        'initial': {k: {'shape': list(a.shape), 'data': a.ravel().tolist()} for k, a in values.items()},
        'x': x.ravel().tolist(),
        'labels': y.tolist(),
        'losses': losses64,
        'lossesFloat32': losses32,
        'final': {k: a.ravel().tolist() for k, a in final64.items()},
    }
    with open(FIXTURE, 'w') as f:
        json.dump(fixture, f)
    print('wrote %s: loss %.6f -> %.6f (float32 run differs by at most %.2e)'
          % (FIXTURE, losses64[0], losses64[-1], max(abs(a - b) for a, b in zip(losses64, losses32))))


if __name__ == '__main__':
    main()
