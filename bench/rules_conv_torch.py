"""PyTorch side of bench/rules-conv.bench.ts: one training step at batch 64
(SGD, momentum 0.9, lr 0.01) of BioTorch's LeNet (32x32 inputs) and of the
VGG-like net of lib/rules vgg() (28x28: 3x3 'same' convolutions in blocks of
32, 32 | 64, 64 | 128, 128 | 256, 256 channels, ReLU, 2x2 max pool after each
block while the map is at least 2x2, flatten, linear to 10), and of the
batch-norm version of lib/rules vggBatchNorm() (blocks 32, 32 | 64, 64 | 128,
128, each conv without bias followed by BatchNorm2d, then ReLU; nn only),
Xavier-uniform weights and zero biases as in lib/rules, on the batches the
TypeScript bench wrote (NHWC float32 images, int32 labels):

  nn      BP with nn.Conv2d / nn.Linear and autograd (PyTorch's own backward)
  rules   per feedback rule (--rules), each conv and linear layer a custom
          autograd function carrying the error as lib/rules does (the linear
          layers are rules_torch.py's): for a conv layer with delta = dL/da,
          one aten.convolution_backward gives gW, gb and the signal to the
          input through a kernel K in W's place
            bp  K = W;  fa  K = B fixed Xavier-uniform;  usf  K = s sign(W)
          or gW, gb alone, the signal then being
            dfa   e B viewed as the input (B [classes, C*H*W]; e = the last
                  layer's delta, recorded first by autograd)
            ldfa  clamp(conv_transpose(delta P^T, Q), -1, 1), rank r
                  (P [r, OC] a 1x1 conv, Q [r, C, k, k]); after the backward
                  pass P and Q learn by the RAF rule as in rules_torch.py
                  (grad_Q = G P^T with G the weight gradient [C*k*k, OC] and
                  decay 1e-3; grad_P Oja's rule on delta's rows, one per
                  example and position; the last layer on the one-hot
                  targets), each by SGD with the network's settings.

Output: one JSON object on stdout with, per model, the per-step wall and
process CPU seconds of every repetition (time for all steps / steps), for nn
and for each rule.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/rules_conv_torch.py --dir DIR --reps 5 --threads 1 --rules bp,fa,dfa,usf,ldfa
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn

# The linear layers of the rules and Oja's gradient are rules_torch.py's (this folder is on sys.path).
from rules_torch import Layer as LinearLayer, oja_gradient


def init(model):
    for mod in model.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
            if mod.bias is not None:
                nn.init.zeros_(mod.bias)
    return model


# (kind, channels, kernel, padding) per layer; 'pool' and 'flatten' take none.
def lenet_spec():
    return [('conv', 6, 5, 0), ('pool',), ('conv', 16, 5, 0), ('pool',), ('conv', 120, 5, 0), ('flatten',), ('linear', 84), ('linear', 10)]


def vgg_spec(side=28, blocks=((32, 32), (64, 64), (128, 128), (256, 256))):
    spec, h = [], side
    for block in blocks:
        spec += [('conv', o, 3, 1) for o in block]
        if h >= 2:
            spec.append(('pool',))
            h //= 2
    return spec + [('flatten',), ('linear', 10)]


def nn_model(spec, batch_norm=False):
    """BP with PyTorch's own layers (ReLU after every conv and every linear layer but the last; with batch_norm, conv without bias, BatchNorm2d, ReLU)."""
    layers, c, last = [], 1, len(spec) - 1
    for i, s in enumerate(spec):
        if s[0] == 'conv':
            if batch_norm:
                layers += [nn.Conv2d(c, s[1], s[2], padding=s[3], bias=False), nn.BatchNorm2d(s[1]), nn.ReLU()]
            else:
                layers += [nn.Conv2d(c, s[1], s[2], padding=s[3]), nn.ReLU()]
            c = s[1]
        elif s[0] == 'pool':
            layers.append(nn.MaxPool2d(2))
        elif s[0] == 'flatten':
            layers.append(nn.Flatten())
        else:
            layers.append(nn.LazyLinear(s[1]))
            if i != last:
                layers.append(nn.ReLU())
    return layers


class ConvFeedback(torch.autograd.Function):
    """a = conv2d(x, W) + b whose backward sends the layer's pathway signal to x."""

    @staticmethod
    def forward(ctx, x, W, b, layer):
        ctx.save_for_backward(x)
        ctx.layer = layer
        return torch.nn.functional.conv2d(x, W, b, 1, layer.padding)

    @staticmethod
    def backward(ctx, delta):
        (x,) = ctx.saved_tensors
        layer = ctx.layer
        layer.record(x, delta)
        want_dx = ctx.needs_input_grad[0]
        K = layer.kernel() if want_dx else None
        conv_back = torch.ops.aten.convolution_backward
        pad = (layer.padding, layer.padding)
        if K is not None:
            dx, gW, gb = conv_back(delta, x, K, [layer.W.shape[0]], (1, 1), pad, (1, 1), False, [0], 1, (True, True, True))
        else:
            _, gW, gb = conv_back(delta, x, layer.W, [layer.W.shape[0]], (1, 1), pad, (1, 1), False, [0], 1, (False, True, True))
            dx = layer.signal(x, delta) if want_dx else None
        return dx, gW, gb, None


class ConvLayer:
    def __init__(self, rule, c_in, c_out, k, padding, in_shape, classes, rank, shared, gen):
        fan_in, fan_out = c_in * k * k, c_out * k * k
        bound = math.sqrt(6 / (fan_in + fan_out))
        self.W = ((torch.rand(c_out, c_in, k, k, generator=gen) * 2 - 1) * bound).requires_grad_()
        self.b = torch.zeros(c_out, requires_grad=True)
        self.rule, self.padding, self.shared, self.last = rule, padding, shared, False
        if rule == 'fa':
            self.B = (torch.rand(c_out, c_in, k, k, generator=gen) * 2 - 1) * bound
        elif rule == 'dfa':
            size = int(np.prod(in_shape))
            bd = math.sqrt(6 / (classes + size))
            self.B = (torch.rand(classes, size, generator=gen) * 2 - 1) * bd
        elif rule == 'usf':
            self.scale = math.sqrt(2 / (fan_in + fan_out))
        elif rule == 'ldfa':
            r = min(rank, c_out)
            self.P = torch.randn(r, c_out, generator=gen) / math.sqrt(c_out)
            limit = bound * math.sqrt(c_out / r)
            self.Q = (torch.rand(r, c_in, k, k, generator=gen) * 2 - 1) * limit
        self.x = self.delta = None

    def record(self, x, delta):
        if self.rule == 'ldfa':
            self.x, self.delta = x, delta

    def kernel(self):
        """The kernel in W's place for one convolution_backward call, or None (dfa, ldfa: their own signal)."""
        if self.rule == 'bp':
            return self.W.detach()
        if self.rule == 'fa':
            return self.B
        if self.rule == 'usf':
            return torch.sign(self.W.detach()) * self.scale
        return None

    def signal(self, x, delta):
        if self.rule == 'dfa':
            return self.shared['e'].mm(self.B).view(x.shape)
        z = torch.einsum('nohw,ro->nrhw', delta, self.P)
        pad = (self.padding, self.padding)
        dx = torch.ops.aten.convolution_backward(z, x, self.Q, None, (1, 1), pad, (1, 1), False, [0], 1, (True, False, False))[0]
        return dx.clamp_(-1, 1)

    def __call__(self, x):
        return ConvFeedback.apply(x, self.W, self.b, self)


def rule_model(rule, spec, side, rank, gen):
    """The layers (callables) of a network of `spec` whose every conv and linear layer carries the error by `rule`."""
    shared, layers, shape, last = {}, [], (1, side, side), len(spec) - 1
    for i, s in enumerate(spec):
        if s[0] == 'conv':
            layers.append(ConvLayer(rule, shape[0], s[1], s[2], s[3], shape, 10, rank, shared, gen))
            layers.append(torch.relu)
            h = shape[1] + 2 * s[3] - s[2] + 1
            shape = (s[1], h, h)
        elif s[0] == 'pool':
            layers.append(lambda t: torch.nn.functional.max_pool2d(t, 2))
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
        elif s[0] == 'flatten':
            layers.append(lambda t: t.flatten(1))
            shape = (int(np.prod(shape)),)
        else:
            layers.append(LinearLayer(rule, shape[0], s[1], 10, rank, shared, gen, i == last))
            if i != last:
                layers.append(torch.relu)
            shape = (s[1],)
    return layers


def bench(run, steps, reps):
    run()  # warm-up, as on our side
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        cpu.append((time.process_time() - c0) / steps)
        wall.append((time.perf_counter() - t0) / steps)
    return {'wall': wall, 'cpu': cpu}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--rules', default='')
    ap.add_argument('--rank', type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    meta = json.load(open(os.path.join(args.dir, 'meta.json')))
    batch = meta['batch']
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'openblasNumThreads': os.environ.get('OPENBLAS_NUM_THREADS')}
    loss_fn = nn.CrossEntropyLoss()
    for m in meta['models']:
        name, side, steps = m['name'], m['side'], m['steps']
        x = np.fromfile(os.path.join(args.dir, f'{name}-x.f32'), dtype=np.float32).reshape(steps * batch, side, side, 1)
        y = np.fromfile(os.path.join(args.dir, f'{name}-y.i32'), dtype=np.int32).astype(np.int64)
        xs = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        ys = torch.from_numpy(y)
        onehot = torch.nn.functional.one_hot(ys, 10).float()
        batch_norm = name == 'vgg-bn'
        spec = lenet_spec() if name == 'lenet' else vgg_spec(side, ((32, 32), (64, 64), (128, 128))) if batch_norm else vgg_spec(side)
        batches = [(xs[s * batch:(s + 1) * batch], ys[s * batch:(s + 1) * batch], onehot[s * batch:(s + 1) * batch]) for s in range(steps)]

        model = nn.Sequential(*nn_model(spec, batch_norm))
        model(batches[0][0])  # sizes the lazy linear layers
        init(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def run_nn():
            for xb, yb, _ in batches:
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()

        out[name] = bench(run_nn, steps, args.reps)
        out.setdefault('rules', {})[name] = {}
        for rule in [r for r in args.rules.split(',') if r and not batch_norm]:
            layers = rule_model(rule, spec, side, args.rank, torch.Generator().manual_seed(7))
            learned = [l for l in layers if isinstance(l, (ConvLayer, LinearLayer))]
            params = [p for l in learned for p in (l.W, l.b)]
            ropt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
            feedback_opts = []
            if rule == 'ldfa':
                for l in learned:
                    feedback_opts.append((torch.optim.SGD([l.Q], lr=0.01, momentum=0.9, weight_decay=1e-3), torch.optim.SGD([l.P], lr=0.01, momentum=0.9)))

            def run_rule():
                for xb, yb, tb in batches:
                    ropt.zero_grad()
                    h = xb
                    for f in layers:
                        h = f(h)
                    loss_fn(h, yb).backward()
                    if rule == 'ldfa':
                        with torch.no_grad():
                            for l, (qo, po) in zip(learned, feedback_opts):
                                if isinstance(l, ConvLayer):
                                    G = l.W.grad.flatten(1)  # [OC, C*k*k]: G^T of lib/rules' orientation
                                    l.Q.grad = l.P.mm(G).view_as(l.Q)
                                    rows = l.delta.permute(0, 2, 3, 1).reshape(-1, l.delta.shape[1])
                                else:
                                    l.Q.grad = l.x.t().mm(l.delta).mm(l.P.t())
                                    rows = tb if l.last else l.delta
                                l.P.grad = oja_gradient(l.P, rows)
                                qo.step()
                                po.step()
                    ropt.step()

            out['rules'][name][rule] = bench(run_rule, steps, args.reps)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
