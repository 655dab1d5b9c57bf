/**
 * RMSprop (lib/rules/optim.ts): the Optimizer's steps against the recurrence computed by hand in float64
 * (torch's formula: v = alpha v + (1 - alpha) g^2, w -= lr g / (sqrt(v) + eps), no bias correction), with
 * torch's defaults and with an epsilon large enough to tell "outside the root" from "inside"; weight decay
 * added to the gradient; the fused trainer's in-place step equal to the reference path's; momentum refused.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, nativeAddon, Rng } from '../../lib/core';
import { Network, Optimizer, type OptimizerOptions } from '../../lib/rules';
import type { LayerSpec } from '../../lib/rules/layers';
import { fusedOf, testBackend, weightGap } from './helpers';

before(async () => {
  await testBackend();
});

/** The hand recurrence in float64 over a gradient sequence that depends on w (g = w - c, a quadratic bowl), so an error compounds. */
function byHand(w0: number[], c: number[], steps: number, o: { lr: number; alpha: number; eps: number; wd: number }): number[] {
  const w = w0.slice(), v = w0.map(() => 0);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < w.length; i++) {
      const g = w[i] - c[i] + o.wd * w[i];
      v[i] = o.alpha * v[i] + (1 - o.alpha) * g * g;
      w[i] -= (o.lr * g) / (Math.sqrt(v[i]) + o.eps);
    }
  }
  return w;
}

function byOptimizer(w0: number[], c: number[], steps: number, options: OptimizerOptions): number[] {
  const opt = new Optimizer(options);
  const p = tf.variable(tf.tensor1d(w0));
  const target = tf.tensor1d(c);
  for (let t = 0; t < steps; t++) {
    const g = p.sub(target);
    opt.step([p], [g]);
    g.dispose();
  }
  const out = Array.from(p.dataSync());
  opt.dispose();
  tf.dispose([p, target]);
  return out;
}

test('RMSprop follows the recurrence v = alpha v + (1 - alpha) g^2, w -= lr g / (sqrt(v) + eps) computed by hand', () => {
  const rng = new Rng(5);
  const w0 = Array.from({ length: 7 }, () => rng.normal());
  const c = Array.from({ length: 7 }, () => rng.normal());
  const cases: { o: OptimizerOptions; hand: { lr: number; alpha: number; eps: number; wd: number } }[] = [
    { o: { type: 'rmsprop', lr: 0.01 }, hand: { lr: 0.01, alpha: 0.99, eps: 1e-8, wd: 0 } }, // torch's defaults
    { o: { type: 'rmsprop', lr: 0.02, alpha: 0.9, epsilon: 0.05 }, hand: { lr: 0.02, alpha: 0.9, eps: 0.05, wd: 0 } }, // epsilon outside the root matters here
    { o: { type: 'rmsprop', lr: 0.01, weightDecay: 0.1 }, hand: { lr: 0.01, alpha: 0.99, eps: 1e-8, wd: 0.1 } },
  ];
  for (const { o, hand } of cases) {
    const got = byOptimizer(w0, c, 25, o);
    const want = byHand(w0, c, 25, hand);
    const moved = Math.max(...want.map((x, i) => Math.abs(x - w0[i])));
    assert.ok(moved > 0.05, `${JSON.stringify(o)}: the recurrence moved the weights by only ${moved}`);
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 2e-5, `${JSON.stringify(o)}: w[${i}] ${x} vs ${want[i]} by hand`));
  }
  // The first step is lr g / (sqrt(1 - alpha) |g| + eps) ~ lr / sqrt(1 - alpha) = 10 lr in size with torch's alpha: not Adam's lr.
  const one = byOptimizer([1], [0], 1, { type: 'rmsprop', lr: 0.01 });
  assert.ok(Math.abs(1 - one[0] - 0.1) < 1e-6, `first step ${1 - one[0]}`);
});

test('the fused trainer\'s RMSprop step equals the reference path\'s (dense and conv, with decay and Batch Manhattan)', { skip: nativeAddon()?.denseForward ? false : 'the native add-on with the fused kernels is not built' }, () => {
  const dense: LayerSpec[] = [{ kind: 'dense', units: 5 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 3 }];
  const conv: LayerSpec[] = [{ kind: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' }, { kind: 'activation', activation: 'relu' }, { kind: 'flatten' }, { kind: 'dense', units: 3 }];
  const cases: { inputShape: number[]; layers: LayerSpec[]; opt: OptimizerOptions }[] = [
    { inputShape: [6], layers: dense, opt: { type: 'rmsprop', lr: 0.01 } },
    { inputShape: [6], layers: dense, opt: { type: 'rmsprop', lr: 0.01, alpha: 0.9, weightDecay: 1e-2, manhattan: true } },
    { inputShape: [5, 5, 1], layers: conv, opt: { type: 'rmsprop', lr: 1e-3, alpha: 0.9, epsilon: 1e-7 } },
  ];
  cases.forEach((c, k) => {
    const make = () => new Network({ inputShape: c.inputShape, layers: c.layers, seed: 40 + k, rule: 'bp' });
    const ref = make(), net = make(), start = make();
    const oRef = new Optimizer(c.opt), oFused = new Optimizer(c.opt);
    const f = fusedOf(net, oFused);
    const rng = new Rng(k);
    const d = c.inputShape.reduce((a, b) => a * b, 1), rows = 4;
    for (let s = 0; s < 4; s++) {
      const x = rng.normalArray(rows * d, 0, 1) as Float32Array;
      const y = Int32Array.from({ length: rows }, () => rng.int(3));
      const xt = tf.tensor(Float32Array.from(x), [rows, ...c.inputShape]);
      const tt = ref.oneHot(y);
      ref.trainStep(xt, tt, oRef, { epoch: 0 });
      f.step(x, y, { epoch: 0 });
      tf.dispose([xt, tt]);
    }
    const gap = weightGap(net, ref), moved = weightGap(start, ref);
    [ref, net, start].forEach((n) => n.dispose());
    oRef.dispose();
    oFused.dispose();
    assert.ok(moved > 1e-3, `case ${k}: the reference moved the weights by only ${moved}`);
    assert.ok(gap < 1e-6, `case ${k}: fused and reference weights differ by ${gap} (moved ${moved})`);
  });
});

test('RMSprop with momentum is refused, naming the option', () => {
  assert.throws(() => new Optimizer({ type: 'rmsprop', momentum: 0.9 }), (e: unknown) => e instanceof ArgumentError && /momentum/.test(e.message));
  assert.throws(() => new Optimizer({ type: 'rmsprop', alpha: 1 }), (e: unknown) => e instanceof ArgumentError && /alpha/.test(e.message));
});
