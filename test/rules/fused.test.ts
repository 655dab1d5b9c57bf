/**
 * The fused dense training path (lib/rules/fused.ts, native/src/fused_dense.cc;
 * conv and pooling layers: fused-conv.test.ts)
 * against the reference tfjs path (Network.trainStep, itself checked against
 * autodiff and finite differences in backward.test.ts): every activation,
 * every pathway it covers, every optimiser, random shapes with size-1
 * dimensions; the trainer picks it; seeded runs repeat bitwise; 10,000
 * steps hold memory flat; bad shapes and divergence name the layer and step.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, Rng } from '../../lib/core';
import { DivergenceError, Network, Optimizer, train, type OptimizerOptions } from '../../lib/rules';
import { fusedStepCount, FusedStepError, fusedTrainer } from '../../lib/rules/fused';
import type { ActivationName, LayerSpec } from '../../lib/rules/layers';
import { blobs, fusedOf, testBackend, weightGap } from './helpers';

const skip = nativeAddon()?.denseForward ? false : 'the native add-on with the fused kernels is not built';

before(async () => {
  await testBackend();
});

interface Case {
  sizes: number[];
  act: ActivationName;
  rule: string;
  feedback?: object;
  opt: OptimizerOptions;
  rows: number;
  loss?: 'cross-entropy' | 'mse';
  flatten?: boolean;
  bias?: boolean;
}

function spec(c: Case, seed: number): ConstructorParameters<typeof Network>[0] {
  const layers: LayerSpec[] = c.flatten ? [{ kind: 'flatten' }] : [];
  for (let i = 1; i < c.sizes.length; i++) {
    layers.push({ kind: 'dense', units: c.sizes[i], bias: c.bias });
    if (i < c.sizes.length - 1) layers.push({ kind: 'activation', activation: c.act });
  }
  const inputShape = c.flatten ? [1, c.sizes[0], 1] : [c.sizes[0]];
  return { inputShape, layers, seed, rule: c.rule as 'bp', feedback: c.feedback ?? {}, loss: c.loss };
}


/** `steps` steps on the same batches by both paths; returns the weight gap and the losses. */
function compare(c: Case, steps: number, seed: number): { gap: number; lossRef: number[]; lossFused: number[]; moved: number } {
  const ref = new Network(spec(c, seed));
  const net = new Network(spec(c, seed));
  const start = new Network(spec(c, seed));
  const oRef = new Optimizer(c.opt);
  const oFused = new Optimizer(c.opt);
  const f = fusedOf(net, oFused);
  const rng = new Rng(seed + 1);
  const classes = c.sizes[c.sizes.length - 1];
  const lossRef: number[] = [];
  const lossFused: number[] = [];
  for (let s = 0; s < steps; s++) {
    const x = rng.normalArray(c.rows * c.sizes[0], 0, 1) as Float32Array;
    const y = Int32Array.from({ length: c.rows }, () => rng.int(classes));
    const xt = tf.tensor(Float32Array.from(x), [c.rows, ...ref.inputShape]);
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
  return { gap, lossRef, lossFused, moved };
}

// Observed gaps are below 4e-8 (float32 rounding of differently ordered sums); a 0.1% error in one kernel gives 2e-5 and more.
function assertSame(c: Case, steps: number, seed: number, tol = 1e-6): void {
  const r = compare(c, steps, seed);
  const what = `${c.rule} ${c.act} ${JSON.stringify(c.opt)} sizes ${c.sizes} rows ${c.rows}`;
  // The comparison means something only if the reference moved the weights well beyond the tolerance.
  assert.ok(r.moved > 100 * tol, `${what}: the reference moved the weights by only ${r.moved}`);
  assert.ok(r.gap <= tol, `${what}: weights differ by ${r.gap} (relative), reference moved them by ${r.moved}`);
  r.lossRef.forEach((l, i) => assert.ok(Math.abs(l - r.lossFused[i]) <= 1e-5 * (1 + Math.abs(l)), `${what}: loss at step ${i} ${r.lossFused[i]} vs ${l}`));
}

const SIGN = new Set(['usf', 'frsf', 'brsf']);
const SGD: OptimizerOptions = { type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };

test('fused step equals the reference step for every activation (BP, SGD with momentum and decay)', { skip }, () => {
  for (const act of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    assertSame({ sizes: [9, 7, 5, 4], act, rule: 'bp', opt: SGD, rows: 6 }, 3, 11);
  }
});

test('fused step equals the reference step for every pathway it covers, on random shapes with size-1 dimensions', { skip }, () => {
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
    ['ldfa', { rank: 3, ldfaRule: 'fixed-p' }],
    ['ldfa', { rank: 2, ojaOutputSignal: 'error', clip: 0.05 }],
    ['ldfa', { rank: 1, ldfaRule: 'local', clip: 0.5 }],
    ['ldfa', { rank: 1, ldfaRule: 'normative' }],
    ['dldfa', { rank: 2 }],
  ];
  const shapes = new Rng(5);
  rules.forEach(([rule, feedback], i) => {
    // Random widths in [1, 9] with one size-1 dimension each (input, hidden, or batch), output >= 2.
    const sizes = [1 + shapes.int(9), 1 + shapes.int(9), 1 + shapes.int(9), 2 + shapes.int(4)];
    let rows = 1 + shapes.int(8);
    const unit = i % 3;
    if (unit === 0) sizes[0] = 1;
    else if (unit === 1) sizes[1] = 1;
    else rows = 1;
    const act = (['relu', 'tanh', 'sigmoid'] as const)[i % 3];
    // Sign pathways: a hidden unit whose feedback row has one sign gets e summed over classes, exactly 0 in
    // exact arithmetic, so its gradient is rounding noise; plain SGD keeps that noise at rounding size.
    const opt: OptimizerOptions = SIGN.has(rule) ? { lr: 0.1 } : SGD;
    assertSame({ sizes, act, rule, feedback, opt, rows, flatten: i === 4 }, 3, 100 + i);
  });
});

test('fused step equals the reference step for every optimiser, mse loss, no bias, a schedule', { skip }, () => {
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
    for (const rule of ['bp', 'fa']) assertSame({ sizes: [6, 5, 3], act: 'tanh', rule, opt, rows: 4 }, 3, 200 + i);
  });
  assertSame({ sizes: [6, 5, 3], act: 'sigmoid', rule: 'bp', opt: SGD, rows: 4, loss: 'mse' }, 3, 300);
  assertSame({ sizes: [6, 5, 3], act: 'relu', rule: 'fa', opt: { type: 'adam', lr: 0.01 }, rows: 4, bias: false }, 3, 301);
});

test('train() takes the fused path by itself, with the reference path\'s history to float32 rounding', { skip }, async () => {
  const data = blobs(120, 7, 4, 3);
  const net = () => new Network({ inputShape: [4], layers: [{ kind: 'dense', units: 8 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 3 }], seed: 2, rule: 'fa' });
  const options = { epochs: 2, batchSize: 16, optimizer: { lr: 0.05, momentum: 0.9 }, progress: false, seed: 4 } as const;
  const a = net();
  const b = net();
  const before = fusedStepCount();
  const hf = await train(a, data, options);
  assert.equal(fusedStepCount() - before, 2 * Math.ceil(120 / 16), 'every step of the default run was fused');
  const hr = await train(b, data, { ...options, fused: false });
  assert.equal(fusedStepCount() - before, 2 * Math.ceil(120 / 16), 'fused: false took no fused step');
  hf.records.slice(1).forEach((r, i) => {
    const q = hr.records[i + 1];
    assert.ok(Math.abs(r.trainLoss - q.trainLoss) < 1e-5, `epoch ${r.epoch} loss ${r.trainLoss} vs ${q.trainLoss}`);
    assert.equal(r.trainAccuracy, q.trainAccuracy);
  });
  assert.ok(weightGap(a, b) < 1e-5);
  a.dispose();
  b.dispose();
});

test('a seeded fused run repeats bitwise', { skip }, async () => {
  const data = blobs(200, 3, 5, 4);
  const weights = async () => {
    const net = new Network({ inputShape: [5], layers: [{ kind: 'dense', units: 16 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 4 }], seed: 9, rule: 'ldfa', feedback: { rank: 2 } });
    await train(net, data, { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 0.01 }, progress: false, alignment: false });
    const w = net.paramLayers.flatMap((l) => [...l.weight.dataSync(), ...(l.bias as tf.Tensor).dataSync()]);
    net.dispose();
    return Float32Array.from(w);
  };
  const first = await weights();
  const second = await weights();
  assert.deepEqual(Buffer.from(first.buffer), Buffer.from(second.buffer));
});

test('a clone of a weight taken before fused steps keeps its values', { skip }, () => {
  const net = new Network({ inputShape: [3], layers: [{ kind: 'dense', units: 2 }], seed: 1 });
  const opt = new Optimizer({ lr: 0.5 });
  const clone = net.paramLayers[0].weight.clone();
  const saved = Float32Array.from(clone.dataSync());
  fusedOf(net, opt).step(new Float32Array([1, 2, 3]), [1]);
  assert.deepEqual(Array.from(clone.dataSync()), Array.from(saved));
  assert.notDeepEqual(Array.from(net.paramLayers[0].weight.dataSync()), Array.from(saved));
  clone.dispose();
  net.dispose();
  opt.dispose();
});

test('10,000 fused steps leave the tensor count and the resident memory flat', { skip }, () => {
  const net = new Network({ inputShape: [6], layers: [{ kind: 'dense', units: 5 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 3 }], seed: 3, rule: 'fa' });
  const opt = new Optimizer({ type: 'adam', lr: 1e-3 });
  const f = fusedOf(net, opt);
  const rng = new Rng(8);
  const x = rng.normalArray(4 * 6, 0, 1) as Float32Array;
  const y = [0, 1, 2, 1];
  for (let i = 0; i < 500; i++) f.step(x, y);
  const tensors = tf.memory().numTensors;
  const rss = process.memoryUsage().rss;
  for (let i = 0; i < 10000; i++) f.step(x, y);
  assert.equal(tf.memory().numTensors, tensors);
  const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(grown < 16, `RSS grew by ${grown.toFixed(1)} MiB over 10,000 steps`);
  // A learning pathway (LDFA, raf) gets tensor views each step: all released.
  const l = new Network({ inputShape: [6], layers: [{ kind: 'dense', units: 5 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 3 }], seed: 3, rule: 'ldfa', feedback: { rank: 2 } });
  const lo = new Optimizer({ lr: 1e-3 });
  const lf = fusedOf(l, lo);
  lf.step(x, y);
  const t2 = tf.memory().numTensors;
  for (let i = 0; i < 500; i++) lf.step(x, y);
  assert.equal(tf.memory().numTensors, t2);
  [net, l].forEach((n) => n.dispose());
  [opt, lo].forEach((o) => o.dispose());
});

test('bad shapes and labels name the layer and the step', { skip }, () => {
  const net = new Network({ inputShape: [4], layers: [{ kind: 'dense', units: 3 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 2 }], seed: 1 });
  const opt = new Optimizer({});
  const f = fusedOf(net, opt);
  f.step(new Float32Array(8), [0, 1]);
  // A refused call is not a step: both errors name step 2.
  assert.throws(() => f.step(new Float32Array(7), [0, 1]), (e: Error) => e instanceof FusedStepError && /fused step 2, parametric layer 0 \(dense\)/.test(e.message) && /x has 7 floats/.test(e.message));
  assert.throws(() => f.step(new Float32Array(8), [0, 5]), (e: Error) => e instanceof FusedStepError && /fused step 2, parametric layer 1/.test(e.message) && /labels must lie in \[0, classes\): 5/.test(e.message));
  net.dispose();
  opt.dispose();
});

test('a diverging fused run throws the reference path\'s DivergenceError, naming the epoch, batch and layer', { skip }, async () => {
  const data = blobs(64, 1, 4, 3);
  const run = async (fusedPath: boolean): Promise<DivergenceError> => {
    const net = new Network({ inputShape: [4], layers: [{ kind: 'dense', units: 8 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 3 }], seed: 5 });
    try {
      await train(net, data, { epochs: 3, batchSize: 16, optimizer: { lr: 1e12 }, progress: false, alignment: false, fused: fusedPath });
    } catch (e) {
      return e as DivergenceError;
    } finally {
      net.dispose();
    }
    throw new Error('no divergence');
  };
  const before = fusedStepCount();
  const f = await run(true);
  assert.ok(fusedStepCount() > before);
  const r = await run(false);
  assert.ok(f instanceof DivergenceError, String(f));
  assert.deepEqual([f.epoch, f.batch, f.site], [r.epoch, r.batch, r.site]);
  assert.ok(Math.abs(f.loss - r.loss) <= 1e-5 * Math.abs(r.loss), `loss ${f.loss} vs ${r.loss}`);
  assert.match(f.message, /diverged in epoch \d+ \(batch \d+\)/);
  assert.match(f.message, /parametric layer \d \(dense\)/);
});

test('networks and rules outside the fused path say why and train on the reference path', { skip }, () => {
  const opt = new Optimizer({});
  const avg = new Network({ inputShape: [6, 6, 1], layers: [{ kind: 'avgpool', size: 2 }, { kind: 'flatten' }, { kind: 'dense', units: 2 }] });
  assert.match(String(fusedTrainer(avg, opt)), /layer 0 is avgpool/);
  const vec = new Network({ inputShape: [2, 3], layers: [{ kind: 'dense', units: 2 }, { kind: 'flatten' }, { kind: 'dense', units: 2 }] });
  assert.match(String(fusedTrainer(vec, opt)), /vector-valued units/);
  [avg, vec].forEach((n) => n.dispose());
  opt.dispose();
});
