/**
 * Batch normalisation on the fused training path (native/src/fused_norm.cc,
 * lib/rules/fused.ts): the kernels against tfjs autodiff of the layer's
 * training-mode forward pass (float64 means of the same float32 inputs);
 * fused steps against the reference path (Network.trainStep: BatchNorm's
 * forward, backward, parameter gradients and running statistics) for every
 * pathway kind, on conv and dense nets with batch norm before and after the
 * activation, every optimiser; vggBatchNorm() on the fused path through
 * train(); bad arguments named.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, Rng } from '../../lib/core';
import { BatchNorm, Network, Optimizer, train, vgg, vggBatchNorm, type OptimizerOptions } from '../../lib/rules';
import { fusedStepCount, FusedTrainer, fusedTrainer, type NormKernels } from '../../lib/rules/fused';
import type { ActivationName, LayerSpec } from '../../lib/rules/layers';
import { fusedOf, testBackend, weightGap } from './helpers';

const addon = nativeAddon() as (Partial<NormKernels> & object) | null;
const skip = addon?.batchNormForward ? false : 'the native add-on with the batch-norm kernels is not built';
const kernels = () => addon as NormKernels;

before(async () => {
  await testBackend();
});

type Options = ConstructorParameters<typeof Network>[0];

const f32 = (rng: Rng, n: number, mean = 0, sd = 1) => Float32Array.from(rng.normalArray(n, mean, sd));
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let gap = 0;
  for (let i = 0; i < b.length; i++) gap = Math.max(gap, Math.abs(a[i] - b[i]));
  return gap / (scale || 1);
};

test('batchNormForward and batchNormBackward equal tfjs autodiff of the training-mode layer for each activation', { skip }, () => {
  const k = kernels();
  const rng = new Rng(5);
  const codes: [ActivationName, number][] = [['linear', 0], ['relu', 1], ['tanh', 2], ['sigmoid', 3]];
  for (const [name, code] of codes) {
    // Shifted, scaled inputs: a mean far from 0 is where a float32 one-pass variance would cancel.
    const m = 37, C = 5, eps = 1e-5;
    const x = f32(rng, m * C, 3, 0.5);
    const gamma = f32(rng, C, 1, 0.3), beta = f32(rng, C, 0, 0.3);
    const w = f32(rng, m * C); // the loss sum(w * y): dy = w
    const [mean, variance, inv] = [0, 1, 2].map(() => new Float32Array(C));
    const xh = new Float32Array(m * C), y = new Float32Array(m * C);
    k.batchNormForward(code, m, C, x, gamma, beta, eps, mean, variance, inv, xh, y);
    const dy = Float32Array.from(w), dgamma = new Float32Array(C), dbeta = new Float32Array(C), dx = new Float32Array(m * C);
    k.batchNormBackward(code, m, C, code === 0 ? null : y, dy, xh, inv, gamma, dgamma, dbeta, dx);
    // Reference: the layer's training-mode forward pass in tfjs, differentiated by tfjs.
    const ref = tf.tidy(() => {
      const fwd = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const mu = xt.mean(0);
        const d = xt.sub(mu);
        const z = d.div(d.square().mean(0).add(eps).sqrt()).mul(g).add(b);
        return name === 'linear' ? z : name === 'relu' ? z.relu() : name === 'tanh' ? z.tanh() : z.sigmoid();
      };
      const [xt, gt, bt, wt] = [tf.tensor2d(x, [m, C]), tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor2d(w, [m, C])];
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => fwd(a, g, b).mul(wt).sum())([xt, gt, bt]);
      return { y: fwd(xt, gt, bt).dataSync(), dx: grads[0].dataSync(), dgamma: grads[1].dataSync(), dbeta: grads[2].dataSync() };
    });
    // float64 statistics of the same values
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += x[i * C + c];
      const mu = s / m;
      let v = 0;
      for (let i = 0; i < m; i++) v += (x[i * C + c] - mu) ** 2;
      v /= m;
      assert.ok(Math.abs(mean[c] - mu) <= 1e-6 * Math.abs(mu), `${name}: mean ${mean[c]} vs ${mu}`);
      assert.ok(Math.abs(variance[c] - v) <= 1e-6 * v, `${name}: variance ${variance[c]} vs ${v}`);
      assert.ok(Math.abs(inv[c] - 1 / Math.sqrt(v + eps)) <= 1e-6 / Math.sqrt(v + eps), `${name}: 1/s`);
    }
    assert.ok(maxRel(y, ref.y) < 1e-5, `${name}: y differs by ${maxRel(y, ref.y)}`);
    assert.ok(maxRel(dx, ref.dx) < 1e-4, `${name}: dx differs by ${maxRel(dx, ref.dx)}`);
    assert.ok(maxRel(dgamma, ref.dgamma) < 1e-4, `${name}: dgamma differs by ${maxRel(dgamma, ref.dgamma)}`);
    assert.ok(maxRel(dbeta, ref.dbeta) < 1e-5, `${name}: dbeta differs by ${maxRel(dbeta, ref.dbeta)}`);
  }
});

/** Every weight, bias, gamma, beta and running statistic of two networks of one architecture: the largest gap relative to 1 + the largest |b|. */
function stateGap(a: Network, b: Network): number {
  let gap = weightGap(a, b);
  const norms = (n: Network) => n.layers.filter((l): l is BatchNorm => l.kind === 'batchnorm');
  norms(a).forEach((l, i) => {
    const r = norms(b)[i];
    for (const key of ['gamma', 'beta', 'runningMean', 'runningVar'] as const) {
      const x = l[key].dataSync(), y = r[key].dataSync();
      let scale = 0;
      for (let j = 0; j < y.length; j++) scale = Math.max(scale, Math.abs(y[j]));
      for (let j = 0; j < x.length; j++) gap = Math.max(gap, Math.abs(x[j] - y[j]) / (1 + scale));
    }
  });
  return gap;
}

/** `steps` steps of the fused and the reference path on the same random batches; the state gap, how far the reference moved, the losses. */
function compare(options: Options, opt: OptimizerOptions, rows: number, steps: number, seed: number) {
  const [ref, net, start] = [0, 1, 2].map(() => new Network(options));
  const [oRef, oFused] = [new Optimizer(opt), new Optimizer(opt)];
  const f = fusedOf(net, oFused);
  const rng = new Rng(seed);
  const size = ref.inputShape.reduce((a, b) => a * b, 1);
  const losses: [number, number][] = [];
  for (let s = 0; s < steps; s++) {
    const x = f32(rng, rows * size, 0.5, 1);
    const y = Int32Array.from({ length: rows }, () => rng.int(ref.outputSize));
    const xt = tf.tensor(Float32Array.from(x), [rows, ...ref.inputShape]);
    const tt = ref.oneHot(y);
    losses.push([ref.trainStep(xt, tt, oRef, { epoch: s }).loss, f.step(x, y, { epoch: s }).loss]);
    tf.dispose([xt, tt]);
  }
  const out = { gap: stateGap(net, ref), moved: stateGap(start, ref), losses };
  [ref, net, start].forEach((n) => n.dispose());
  oRef.dispose();
  oFused.dispose();
  return out;
}

// Observed gaps up to 7e-7 (float32 sums in another order, statistics accumulated in double); a 0.1% error in one term gives 1e-5 and more.
function assertSame(what: string, options: Options, opt: OptimizerOptions, rows: number, steps = 3, seed = 1, tol = 1e-6): void {
  const r = compare(options, opt, rows, steps, seed);
  assert.ok(r.moved > 100 * tol, `${what}: the reference moved the state by only ${r.moved}`);
  assert.ok(r.gap <= tol, `${what}: state differs by ${r.gap} (relative), the reference moved it by ${r.moved}`);
  r.losses.forEach(([ref, fused], i) => assert.ok(Math.abs(ref - fused) <= 1e-5 * (1 + Math.abs(ref)), `${what}: loss at step ${i} ${fused} vs ${ref}`));
}

const conv = (filters: number, kernelSize: number, padding: 'valid' | 'same' = 'valid'): LayerSpec => ({ kind: 'conv2d', filters, kernelSize, padding });
const act = (activation: ActivationName): LayerSpec => ({ kind: 'activation', activation });
const bn = (momentum?: number): LayerSpec => ({ kind: 'batchnorm', momentum });
const pool: LayerSpec = { kind: 'maxpool', size: 2 };
const flat: LayerSpec = { kind: 'flatten' };
const dense = (units: number): LayerSpec => ({ kind: 'dense', units });

test('fused steps with batch norm equal the reference path for every pathway kind, conv and dense, norm before or after the activation', { skip }, () => {
  const rules: [string, object][] = [
    ['bp', {}], ['fa', {}], ['dfa', {}], ['usf', {}], ['kolen-pollack', {}],
    ['ldfa', { rank: 2 }], ['ldfa', { rank: 1, ldfaRule: 'normative' }], ['dldfa', { rank: 2 }],
  ];
  const nets: [string, number[], LayerSpec[]][] = [
    // conv - norm - activation (vggBatchNorm's order), a dense layer's norm, an unactivated norm last before the classifier.
    // The second conv is padded: unpadded, a shift of beta in the first norm passes pooling (every window with a
    // positive value) as a constant per channel, which the second norm removes, so that beta's gradient is exactly 0
    // and its computed value rounding noise, which Adam turns into steps of lr either way.
    ['conv-bn-act', [6, 6, 2], [conv(3, 3, 'same'), bn(), act('relu'), pool, conv(4, 3, 'same'), bn(0.3), act('tanh'), flat, dense(5), bn(), dense(3)]],
    // activation before the norm
    ['conv-act-bn', [5, 5, 1], [conv(3, 2), act('sigmoid'), bn(), conv(2, 2), act('relu'), bn(), flat, dense(3)]],
    ['dense', [7], [dense(6), bn(), act('tanh'), dense(5), act('relu'), bn(0.5), act('sigmoid'), dense(3)]],
  ];
  const SGD: OptimizerOptions = { type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };
  rules.forEach(([rule, feedback], i) => {
    for (const [name, inputShape, layers] of nets) {
      // At least 3 rows: over 2 values xh = +-1 and the norm's backward cancels to rounding (gaps of 1e-6 between two correct paths).
      const rows = 3 + ((i + name.length) % 4);
      assertSame(`${rule} ${JSON.stringify(feedback)} ${name} rows ${rows}`, { inputShape, layers, seed: 10 + i, rule: rule as 'bp', feedback }, rule === 'usf' ? { lr: 0.1 } : SGD, rows, 3, 20 + i);
    }
  });
  // Adam and RMSprop divide by the gradient's size: a bias right before a norm (or before an activation and a norm, where
  // every row is active) has a gradient of rounding noise (its exact value is 0), which they turn into steps of lr
  // either way. So those layers have none here, as in vgg().
  const beforeNorm = (all: LayerSpec[], j: number) => all[j + 1]?.kind === 'batchnorm' || (all[j + 1]?.kind === 'activation' && all[j + 2]?.kind === 'batchnorm');
  const noBias = (l: LayerSpec, j: number, all: LayerSpec[]) => (beforeNorm(all, j) ? { ...l, bias: false } : l) as LayerSpec;
  for (const opt of [{ type: 'adam', lr: 0.01 }, { type: 'adamw', lr: 0.01, weightDecay: 0.1 }, { type: 'rmsprop', lr: 0.01 }] as OptimizerOptions[]) {
    // 16 rows: over a few rows a unit active in one row only has a gradient of rounding noise too (the norm removes its scale).
    for (const [name, inputShape, layers] of nets) assertSame(`bp ${opt.type} ${name}`, { inputShape, layers: layers.map(noBias), seed: 4 }, opt, 16);
  }
  // One row of a dense layer's norm: m = 1, zero variance, xh = 0 (the running variance's m / (m - 1) is skipped)
  assertSame('dense, one row', { inputShape: [4], layers: [dense(3), bn(), act('relu'), dense(2)], seed: 2 }, SGD, 1, 2, 3, 1e-6);
});

test('vggBatchNorm() takes the fused path with BP, FA and LDFA, and train() matches the reference path\'s history and predictions', { skip }, async () => {
  const rng = new Rng(3);
  const count = 24;
  const data = { x: f32(rng, count * 28 * 28, 0.3, 0.3), y: Array.from({ length: count }, () => rng.int(10)), count };
  for (const [rule, feedback] of [['bp', {}], ['fa', {}], ['ldfa', { rank: 3 }]] as const) {
    const opt = new Optimizer({ type: 'adam', lr: 5e-4 });
    const probe = new Network(vggBatchNorm({ rule, feedback }));
    assert.ok(fusedTrainer(probe, opt) instanceof FusedTrainer, `${rule}: ${fusedTrainer(probe, opt)}`);
    probe.dispose();
    opt.dispose();
    const runs = [];
    for (const fused of [true, false]) {
      // a smaller net of the same form keeps the reference path's steps short
      const net = new Network(vgg({ rule, feedback, blocks: [[4, 4], [8]], batchNorm: true, seed: 7 }));
      const before = fusedStepCount();
      const history = await train(net, data, { epochs: 2, batchSize: 8, seed: 1, progress: false, alignment: false, fused, optimizer: { type: 'adam', lr: 0.01 } });
      assert.equal(fusedStepCount() - before, fused ? 6 : 0, `${rule} fused ${fused}: fused steps`);
      const x = tf.tensor(data.x, [count, 28, 28, 1]);
      const p = net.predict(x);
      runs.push({ loss: history.records.slice(1).map((r) => r.trainLoss), p: Float32Array.from(p.dataSync()), net });
      tf.dispose([x, p]);
    }
    const [a, b] = runs;
    a.loss.forEach((l, i) => assert.ok(Math.abs(l - b.loss[i]) <= 1e-5 * (1 + Math.abs(b.loss[i])), `${rule}: epoch ${i} loss ${l} vs ${b.loss[i]}`));
    const gap = stateGap(a.net, b.net);
    assert.ok(gap < 1e-5, `${rule}: state differs by ${gap}`);
    assert.ok(maxRel(a.p, b.p) < 1e-4, `${rule}: predictions (running statistics) differ by ${maxRel(a.p, b.p)}`);
    runs.forEach((r) => r.net.dispose());
  }
});

test('batch norm before the first dense or conv2d layer is refused with the layer named; the kernels name a bad argument', { skip }, () => {
  const opt = new Optimizer({});
  const early = new Network({ inputShape: [4], layers: [bn(), dense(3), act('relu'), dense(2)] });
  assert.match(String(fusedTrainer(early, opt)), /layer 0 \(batchnorm\) comes before the first dense or conv2d layer/);
  early.dispose();
  opt.dispose();
  const k = kernels();
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => k.batchNormForward(1, 4, 3, f(11), f(3), f(3), 1e-5, f(3), f(3), f(3), f(12), f(12)), /ldl_native\.batchNormForward: x has 11 elements, needs 12/);
  assert.throws(() => k.batchNormForward(4, 4, 3, f(12), f(3), f(3), 1e-5, f(3), f(3), f(3), f(12), f(12)), /ldl_native\.batchNormForward: act must be 0-3/);
  assert.throws(() => k.batchNormForward(1, 4, 3, f(12), f(3), f(3), 0, f(3), f(3), f(3), f(12), f(12)), /ldl_native\.batchNormForward: epsilon must be positive/);
  assert.throws(() => k.batchNormBackward(1, 4, 3, null, f(12), f(12), f(3), f(3), f(3), f(3), null), /ldl_native\.batchNormBackward: y must be a Float32Array when act is not linear/);
  assert.throws(() => k.batchNormBackward(0, 4, 3, null, f(12), f(12), f(2), f(3), f(3), f(3), null), /ldl_native\.batchNormBackward: inv has 2 elements, needs 3/);
});
