/**
 * The fused conv and max-pooling kernels (native/src/fused_conv.cc) on the
 * fused training path (lib/rules/fused.ts): a BP step's update against tfjs
 * autodiff; steps against the reference tfjs path (Network.trainStep) for
 * every pathway, activation and optimiser on random conv nets with size-1
 * dimensions and the padding, stride and pooling variants of LeNet and
 * vgg() (valid and 'same' 3x3/5x5, numeric padding, stride 2, overlapping
 * pooling, 1x1 and whole-input kernels where im2col is the identity);
 * train() picks the path for LeNet and vgg(); seeded runs repeat bitwise;
 * steps hold tensors and memory flat; bad shapes name the layer and step.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, Rng } from '../../lib/core';
import { lenet, Network, Optimizer, RULES, train, vgg, type OptimizerOptions } from '../../lib/rules';
import { fusedStepCount, FusedStepError, FusedTrainer, fusedTrainer } from '../../lib/rules/fused';
import type { ActivationName, LayerSpec } from '../../lib/rules/layers';
import { autodiffGradients, blobs, fusedOf, relErr, testBackend, weightGap } from './helpers';

const skip = (nativeAddon() as { convForward?: unknown } | null)?.convForward ? false : 'the native add-on with the fused conv kernels is not built';

before(async () => {
  await testBackend();
});

type Options = ConstructorParameters<typeof Network>[0];


/** `steps` steps of both paths on the same random batches: the weight gap, how far the reference moved, the losses. */
function compare(options: Options, opt: OptimizerOptions, rows: number, steps: number, seed: number) {
  const ref = new Network(options);
  const net = new Network(options);
  const start = new Network(options);
  const oRef = new Optimizer(opt);
  const oFused = new Optimizer(opt);
  const f = fusedOf(net, oFused);
  const rng = new Rng(seed);
  const size = ref.inputShape.reduce((a, b) => a * b, 1);
  const lossRef: number[] = [];
  const lossFused: number[] = [];
  for (let s = 0; s < steps; s++) {
    const x = rng.normalArray(rows * size, 0, 1) as Float32Array;
    const y = Int32Array.from({ length: rows }, () => rng.int(ref.outputSize));
    const xt = tf.tensor(Float32Array.from(x), [rows, ...ref.inputShape]);
    const tt = ref.oneHot(y);
    lossRef.push(ref.trainStep(xt, tt, oRef, { epoch: s }).loss);
    lossFused.push(f.step(x, y, { epoch: s }).loss);
    tf.dispose([xt, tt]);
  }
  const gap = weightGap(net, ref);
  const moved = weightGap(start, ref);
  [ref, net, start].forEach((n) => n.dispose());
  oRef.dispose();
  oFused.dispose();
  return { gap, moved, lossRef, lossFused };
}

// Observed gaps are below 5e-8 (float32 sums in another order); a 0.1% error in one kernel gives 1e-5 and more.
function assertSame(what: string, options: Options, opt: OptimizerOptions, rows: number, steps = 3, seed = 1, tol = 1e-6): void {
  const r = compare(options, opt, rows, steps, seed);
  assert.ok(r.moved > 100 * tol, `${what}: the reference moved the weights by only ${r.moved}`);
  assert.ok(r.gap <= tol, `${what}: weights differ by ${r.gap} (relative), the reference moved them by ${r.moved}`);
  r.lossRef.forEach((l, i) => assert.ok(Math.abs(l - r.lossFused[i]) <= 1e-5 * (1 + Math.abs(l)), `${what}: loss at step ${i} ${r.lossFused[i]} vs ${l}`));
}

const conv = (filters: number, kernelSize: number, padding: 'valid' | 'same' | number = 'valid', stride = 1): LayerSpec => ({ kind: 'conv2d', filters, kernelSize, padding, stride });
const act = (activation: ActivationName): LayerSpec => ({ kind: 'activation', activation });
const pool = (size: number, stride = size): LayerSpec => ({ kind: 'maxpool', size, stride });
const flat: LayerSpec = { kind: 'flatten' };
const dense = (units: number): LayerSpec => ({ kind: 'dense', units });

/**
 * Conv nets in the shapes LeNet and vgg() use and the variants around them, with random widths drawn from
 * `r` and one size-1 dimension (input channels, filters or rows) chosen by `unit`.
 */
function architecture(variant: number, r: Rng, a: ActivationName, unit: number): { inputShape: number[]; layers: LayerSpec[]; rows: number } {
  const f = () => (unit === 1 ? 1 : 1 + r.int(3));
  const c = unit === 0 ? 1 : 1 + r.int(2);
  const rows = unit === 2 ? 1 : 2 + r.int(3);
  const classes = 2 + r.int(3);
  switch (variant % 4) {
    case 0: // LeNet-like: valid convolutions, 2x2 pooling
      return { inputShape: [6 + r.int(3), 6 + r.int(3), c], layers: [conv(f(), 3), act(a), pool(2), conv(f(), 2), act(a), flat, dense(classes)], rows };
    case 1: // a vgg() block: two 3x3 'same' convolutions on a non-square map, then 2x2 pooling
      return { inputShape: [5, 4, c], layers: [conv(f(), 3, 'same'), act(a), conv(f(), 3, 'same'), act(a), pool(2), flat, dense(classes)], rows };
    case 2: // numeric padding at stride 2, overlapping pooling, a 1x1 convolution (im2col is x itself)
      return { inputShape: [7, 6, c], layers: [conv(f(), 3, 1, 2), act(a), pool(2, 1), conv(f(), 1), act(a), flat, dense(classes)], rows };
    default: // 'same' at stride 2 (padding below and right only), then a kernel covering the whole map (one position)
      return { inputShape: [6, 6, c], layers: [conv(f(), 3, 'same', 2), act(a), conv(f(), 3), act(a), flat, dense(classes)], rows };
  }
}

const SIGN = new Set(['usf', 'frsf', 'brsf']);
const SGD: OptimizerOptions = { type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };

test('a fused BP step on a conv net moves the weights by tfjs autodiff\'s gradient', { skip }, () => {
  const options: Options = { inputShape: [7, 6, 2], layers: [conv(3, 3, 'same'), act('tanh'), pool(2), conv(2, 2), act('relu'), flat, dense(3)], seed: 4 };
  const net = new Network(options);
  const rows = 3;
  const rng = new Rng(6);
  const x = rng.normalArray(rows * 84, 0, 1) as Float32Array;
  const y = Int32Array.from([0, 2, 1]);
  const xt = tf.tensor(Float32Array.from(x), [rows, 7, 6, 2]);
  const tt = net.oneHot(y);
  const grads = autodiffGradients(net, xt, tt);
  const before = net.paramLayers.flatMap((l) => [Float32Array.from(l.weight.dataSync()), Float32Array.from((l.bias as tf.Tensor).dataSync())]);
  const lr = 0.5;
  const opt = new Optimizer({ lr });
  fusedOf(net, opt).step(x, y);
  const after = net.paramLayers.flatMap((l) => [l.weight.dataSync(), (l.bias as tf.Tensor).dataSync()]);
  before.forEach((b, i) => {
    const step = Float32Array.from(b, (v, j) => (v - after[i][j]) / lr);
    assert.ok(relErr(step, grads[i]) < 1e-5, `parameter ${i}: relative error ${relErr(step, grads[i])}`);
  });
  tf.dispose([xt, tt, ...grads]);
  net.dispose();
  opt.dispose();
});

test('fused conv steps equal the reference path for every pathway, on random conv nets with size-1 dimensions', { skip }, () => {
  const rules: [string, object][] = [
    ['bp', {}],
    ['fa', {}],
    ['dfa', {}],
    ['usf', {}],
    ['frsf', {}],
    ['brsf', {}],
    ['kolen-pollack', {}],
    ['weight-mirror', {}],
    ['information-alignment', {}],
    ['symmetric-alignment', {}],
    ['activation-alignment', {}],
    ['ldfa', { rank: 2 }],
    ['ldfa', { rank: 2, ldfaRule: 'fixed' }],
    ['ldfa', { rank: 1, ldfaRule: 'fixed-p', clip: 0.1 }],
    ['ldfa', { rank: 2, ldfaRule: 'local', backwardClip: 0.05 }],
    ['ldfa', { rank: 1, ldfaRule: 'normative' }],
    ['dldfa', { rank: 2 }],
  ];
  const r = new Rng(21);
  rules.forEach(([rule, feedback], i) => {
    // Every architecture meets every size-1 choice and activation across the list.
    for (const variant of [i, i + 1]) {
      const a = (['relu', 'tanh', 'sigmoid'] as const)[(i + variant) % 3];
      const arch = architecture(variant, r, a, (i + 2 * variant) % 3);
      const opt: OptimizerOptions = SIGN.has(rule) ? { lr: 0.1 } : SGD;
      const options: Options = { inputShape: arch.inputShape, layers: arch.layers, seed: 30 + i, rule: rule as 'bp', feedback };
      assertSame(`${rule} ${JSON.stringify(feedback)} variant ${variant % 4} ${a} input [${arch.inputShape}] rows ${arch.rows}`, options, opt, arch.rows, 3, 40 + i);
    }
  });
});

test('fused conv steps equal the reference path when im2col runs in chunks of images and when a layer keeps it whole', { skip }, () => {
  // 60 rows of 32x31x4 'same' 3x3: 992 positions x 36 taps per image, over the 2^21 floats a layer keeps, so its
  // im2col is rebuilt in the backward pass in chunks of 7 images; the second layer (16x15) keeps its 60 images' whole.
  const layers = [conv(4, 3, 'same'), act('relu'), pool(2), conv(3, 3, 'same'), act('tanh'), flat, dense(3)];
  for (const [rule, feedback] of [['bp', {}], ['usf', {}], ['ldfa', { rank: 2, ldfaRule: 'fixed-p' }], ['dfa', {}]] as const) {
    const opt: OptimizerOptions = SIGN.has(rule) ? { lr: 0.1 } : SGD;
    assertSame(`${rule} in chunks`, { inputShape: [32, 31, 4], layers, seed: 12, rule, feedback }, opt, 60, 2, 13);
  }
});

test('fused conv steps equal the reference path for every activation and optimiser, mse loss, no bias', { skip }, () => {
  const r = new Rng(8);
  for (const a of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    const arch = architecture(0, r, a, 3);
    assertSame(`bp ${a}`, { inputShape: arch.inputShape, layers: arch.layers, seed: 2 }, SGD, arch.rows);
  }
  const opts: OptimizerOptions[] = [
    { type: 'sgd', lr: 0.05 },
    { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-2 },
    { type: 'sgd', lr: 0.01, momentum: 0.5, manhattan: true },
    { type: 'adam', lr: 0.01 },
    { type: 'adam', lr: 0.01, weightDecay: 1e-2 },
    { type: 'adamw', lr: 0.01, weightDecay: 0.1 },
    { type: 'sgd', lr: 0.1, schedule: { type: 'step', milestones: [1], gamma: 0.5 } },
  ];
  opts.forEach((opt, i) => {
    for (const rule of ['bp', 'fa']) {
      const arch = architecture(i, r, 'tanh', 3);
      assertSame(`${rule} ${JSON.stringify(opt)}`, { inputShape: arch.inputShape, layers: arch.layers, seed: 3 + i, rule: rule as 'bp' }, opt, arch.rows);
    }
  });
  const arch = architecture(1, r, 'sigmoid', 3);
  assertSame('bp mse', { inputShape: arch.inputShape, layers: arch.layers, seed: 5, loss: 'mse' }, SGD, arch.rows);
  // A pooling layer before the first parametric layer: pooled forward, no backward below the first conv.
  assertSame('bp, pooling first', { inputShape: [8, 7, 2], layers: [pool(2), conv(3, 3, 'same'), act('relu'), flat, dense(3)], seed: 7 }, SGD, 3);
  const noBias = [conv(2, 3), act('relu'), pool(2), { kind: 'conv2d', filters: 2, kernelSize: 2, bias: false }, act('relu'), flat, { kind: 'dense', units: 3, bias: false }] as LayerSpec[];
  assertSame('fa no bias, adam', { inputShape: [7, 7, 1], layers: noBias, seed: 6, rule: 'fa' }, { type: 'adam', lr: 0.01 }, 4);
});

test('LeNet and vgg() take the fused path with every built-in rule; train() matches the reference history', { skip }, async () => {
  const opt = new Optimizer({});
  for (const rule of RULES) {
    const feedback = rule === 'ldfa' || rule === 'dldfa' ? { rank: 3 } : {};
    const setting = { rule, feedback } as Parameters<typeof lenet>[0];
    for (const options of [lenet(setting), vgg({ ...setting, blocks: [[4, 4], [8]] })]) {
      const net = new Network(options);
      assert.ok(fusedTrainer(net, opt) instanceof FusedTrainer, `${rule}: ${fusedTrainer(net, opt)}`);
      net.dispose();
    }
  }
  opt.dispose();
  // LeNet on 32x32 inputs and a small vgg() (28x28, two blocks) through train(): every step fused, the same history.
  for (const [options, side] of [[lenet({ seed: 1, rule: 'fa' }), 32], [vgg({ seed: 1, rule: 'dfa', blocks: [[4, 4], [6]] }), 28]] as const) {
    const data = blobs(40, 3, side * side, 10);
    const run = { epochs: 2, batchSize: 16, optimizer: { lr: 0.02, momentum: 0.9 }, progress: false, seed: 4, alignment: false } as const;
    const a = new Network(options);
    const b = new Network(options);
    const before = fusedStepCount();
    const hf = await train(a, data, run);
    assert.equal(fusedStepCount() - before, 2 * Math.ceil(40 / 16), 'every step was fused');
    const hr = await train(b, data, { ...run, fused: false });
    assert.equal(fusedStepCount() - before, 2 * Math.ceil(40 / 16), 'fused: false took no fused step');
    hf.records.slice(1).forEach((r, i) => {
      const q = hr.records[i + 1];
      assert.ok(Math.abs(r.trainLoss - q.trainLoss) < 1e-5 * (1 + q.trainLoss), `epoch ${r.epoch} loss ${r.trainLoss} vs ${q.trainLoss}`);
      assert.equal(r.trainAccuracy, q.trainAccuracy);
    });
    assert.ok(weightGap(a, b) < 1e-5, `weights differ by ${weightGap(a, b)}`);
    a.dispose();
    b.dispose();
  }
});

test('a seeded fused conv run repeats bitwise', { skip }, async () => {
  const data = blobs(48, 5, 64, 3);
  const weights = async () => {
    const net = new Network({ inputShape: [8, 8, 1], layers: [conv(3, 3, 'same'), act('relu'), pool(2), conv(4, 3), act('tanh'), flat, dense(3)], seed: 9, rule: 'ldfa', feedback: { rank: 2 } });
    await train(net, data, { epochs: 2, batchSize: 16, optimizer: { type: 'adam', lr: 0.01 }, progress: false, alignment: false });
    const w = net.paramLayers.flatMap((l) => [...l.weight.dataSync(), ...(l.bias as tf.Tensor).dataSync()]);
    net.dispose();
    return Float32Array.from(w);
  };
  const first = await weights();
  const second = await weights();
  assert.deepEqual(Buffer.from(first.buffer), Buffer.from(second.buffer));
});

test('5,000 fused conv steps leave the tensor count and the resident memory flat', { skip }, () => {
  const layers = [conv(2, 3), act('relu'), pool(2), conv(3, 2), act('relu'), flat, dense(3)];
  const net = new Network({ inputShape: [6, 6, 1], layers, seed: 3, rule: 'usf' });
  const opt = new Optimizer({ type: 'adam', lr: 1e-3 });
  const f = fusedOf(net, opt);
  const rng = new Rng(8);
  const x = rng.normalArray(4 * 36, 0, 1) as Float32Array;
  const y = [0, 1, 2, 1];
  for (let i = 0; i < 500; i++) f.step(x, y);
  const tensors = tf.memory().numTensors;
  const { rss, arrayBuffers } = process.memoryUsage();
  for (let i = 0; i < 5000; i++) f.step(x, y);
  assert.equal(tf.memory().numTensors, tensors);
  const after = process.memoryUsage();
  const grown = (after.rss - rss) / 2 ** 20;
  assert.ok(grown < 16, `RSS grew by ${grown.toFixed(1)} MiB over 5,000 steps`);
  // Typed-array memory is counted exactly: a buffer made and kept per step (about 4 KB here) would add 20 MB.
  const buffers = (after.arrayBuffers - arrayBuffers) / 2 ** 20;
  assert.ok(buffers < 1, `array buffers grew by ${buffers.toFixed(2)} MiB over 5,000 steps`);
  // A pathway learning through tensor views (a Kunin rule) on conv layers: every view released.
  const l = new Network({ inputShape: [6, 6, 1], layers, seed: 3, rule: 'information-alignment' });
  const lo = new Optimizer({ lr: 1e-3 });
  const lf = fusedOf(l, lo);
  lf.step(x, y);
  const t2 = tf.memory().numTensors;
  for (let i = 0; i < 300; i++) lf.step(x, y);
  assert.equal(tf.memory().numTensors, t2);
  [net, l].forEach((n) => n.dispose());
  [opt, lo].forEach((o) => o.dispose());
});

test('bad shapes name the conv layer and the step', { skip }, () => {
  const net = new Network({ inputShape: [6, 6, 1], layers: [conv(2, 3), act('relu'), pool(2), conv(3, 2), act('relu'), flat, dense(3)], seed: 1, rule: 'fa' });
  const opt = new Optimizer({});
  const f = fusedOf(net, opt);
  f.step(new Float32Array(72), [0, 1]);
  assert.throws(() => f.step(new Float32Array(71), [0, 1]), (e: Error) => e instanceof FusedStepError && /fused step 2, parametric layer 0 \(conv2d\)/.test(e.message) && /x has 71 floats/.test(e.message));
  // A feedback matrix of the wrong size reaches the backward kernel, which refuses it.
  const pathway = net.pathways[1] as unknown as { B: tf.Variable };
  const saved = pathway.B;
  pathway.B = tf.variable(tf.zeros([5]));
  assert.throws(() => f.step(new Float32Array(72), [0, 1]), (e: Error) => e instanceof FusedStepError && e.layer === 1 && /fused step 2, parametric layer 1 \(conv2d\): ldl_native\.convBackward: k1 has 5 elements, needs 24/.test(e.message));
  pathway.B.dispose();
  pathway.B = saved;
  // The input of a net that pools first goes to the pooling layer, which the error names (no parametric index).
  const pooled = new Network({ inputShape: [6, 6, 1], layers: [pool(2), conv(2, 2), flat, dense(2)], seed: 1 });
  assert.throws(() => fusedOf(pooled, opt).step(new Float32Array(35), [0]), (e: Error) => e instanceof FusedStepError && e.layer === null && /fused step 1, layer 0 \(maxpool\): x has 35 floats/.test(e.message));
  [net, pooled].forEach((n) => n.dispose());
  opt.dispose();
});

test('the conv and pooling kernels check their arguments and name them', { skip }, () => {
  const k = nativeAddon() as unknown as Record<string, (...a: unknown[]) => void>;
  const f = (n: number) => new Float32Array(n);
  // 2 images 4x4x1, 3x3 kernel, 2 filters, valid: 2x2 outputs, 9 taps.
  const geometry = [1, 2, 4, 4, 1, 2, 2, 2, 3, 1, 0, 0];
  assert.throws(() => k.convForward(...geometry, f(31), f(18), null, f(36), f(16)), /ldl_native\.convForward: x has 31 elements, needs 32/);
  assert.throws(() => k.convForward(...geometry, f(32), f(18), null, f(8), f(16)), /ldl_native\.convForward: cols has 8 elements, needs 36/);
  assert.throws(() => k.convForward(1, 2, 4, 4, 1, 3, 2, 2, 3, 2, 0, 0, f(32), f(18), null, f(36), f(24)), /OH and OW must be positive and their last window must overlap the input/);
  assert.throws(() => k.convBackward(...geometry, f(32), f(36), false, f(16), f(16), f(18), null, 1, f(32), null, null, null, 0, 3, null, 0, 0), /ldl_native\.convBackward: k1 must be a Float32Array for mode 1/);
  assert.throws(() => k.convBackward(...geometry, f(32), f(36), true, f(16), f(16), f(18), null, 0, null, null, null, null, 0, 3, null, 0, 0), /ldl_native\.convBackward: cols must hold the whole batch's im2col \(72 floats\) when kept/);
  assert.throws(() => k.maxPoolBackward(1, 4, 1, f(1), Int32Array.from([4]), f(4)), /ldl_native\.maxPoolBackward: argmax must lie in \[-1, rows \* inSize\): 4 at 0/);
});

test('layers outside the fused path say why', { skip }, () => {
  const opt = new Optimizer({});
  const avg = new Network({ inputShape: [6, 6, 1], layers: [conv(2, 3), act('relu'), { kind: 'avgpool', size: 2 }, flat, dense(2)] });
  assert.match(String(fusedTrainer(avg, opt)), /layer 2 is avgpool/);
  const late = new Network({ inputShape: [6, 6, 1], layers: [conv(2, 3), pool(2), act('relu'), flat, dense(2)] });
  assert.match(String(fusedTrainer(late, opt)), /layer 2 \(activation\) does not follow a dense, conv2d or batchnorm layer/);
  [avg, late].forEach((n) => n.dispose());
  opt.dispose();
});
