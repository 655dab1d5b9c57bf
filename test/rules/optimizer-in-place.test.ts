/**
 * Optimizer.step in place (lib/rules/optim.ts: the add-on's optimizerStep, RMSprop in JavaScript) against the same
 * update by tfjs ops (`stepWithOps`), bit for bit: every optimiser type and option over 30 steps whose gradients
 * depend on the weights (so a one-ulp difference compounds), on a parameter large enough for the kernel's two-thread
 * split; a tensor sharing a parameter's data keeps the old values, as after `assign`; a gradient of the wrong size is
 * refused with its index named. (The recurrences themselves are checked against float64 formulas in trainer.test.ts
 * and rmsprop.test.ts, through `step`.)
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng } from '../../lib/core';
import { Optimizer, type OptimizerOptions } from '../../lib/rules';
import { testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const CASES: OptimizerOptions[] = [
  { type: 'sgd', lr: 0.05 },
  { type: 'sgd', lr: 0.05, momentum: 0.9 },
  { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-2 },
  { type: 'sgd', lr: 1e-3, momentum: 0.5, manhattan: true },
  { type: 'adam', lr: 1e-2 },
  { type: 'adam', lr: 1e-2, weightDecay: 4e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  { type: 'adamw', lr: 1e-2, weightDecay: 0.05 },
  { type: 'adam', lr: 1e-3, manhattan: true },
  { type: 'rmsprop', lr: 1e-2 },
  { type: 'rmsprop', lr: 1e-3, alpha: 0.9, epsilon: 1e-7, weightDecay: 1e-3, manhattan: true },
  { type: 'adam', lr: 1e-2, updateNoise: 1e-3, noiseSeed: 4 },
  { type: 'adam', lr: 1e-2, schedule: { type: 'exponential', gamma: 0.5 } },
];

/** Steps of `opt` on parameters of `sizes` from gradients g = w - c + 0.1 w^3 (weight-dependent), by `how`; the parameters and moments after. */
function run(options: OptimizerOptions, how: 'step' | 'ops', sizes: number[]): { w: Float32Array[]; m: (Float32Array | null)[]; v: (Float32Array | null)[] } {
  const opt = new Optimizer(options);
  opt.epoch = 2; // a schedule's lr at epoch 2, not its base lr
  const ps = sizes.map((n, k) => tf.variable(tf.tensor1d(new Rng(10 + k).normalArray(n, 0, 1) as Float32Array, 'float32')));
  const cs = sizes.map((n, k) => tf.tensor1d(new Rng(20 + k).normalArray(n, 0, 1) as Float32Array, 'float32'));
  for (let t = 0; t < 30; t++) {
    const gs = ps.map((p, k) => tf.tidy(() => p.sub(cs[k]).add(p.pow(3).mul(0.1))));
    if (how === 'step') opt.step(ps, gs);
    else opt.stepWithOps(ps, gs);
    tf.dispose(gs);
  }
  const out = {
    w: ps.map((p) => Float32Array.from(p.dataSync() as Float32Array)),
    m: ps.map((p) => { const m = opt.slotOf(p).m; return m && Float32Array.from(m.dataSync() as Float32Array); }),
    v: ps.map((p) => { const v = opt.slotOf(p).v; return v && Float32Array.from(v.dataSync() as Float32Array); }),
  };
  opt.dispose();
  tf.dispose([...ps, ...cs]);
  return out;
}

test('Optimizer.step in place takes the same steps as by tfjs ops, bit for bit, for every optimiser and option', () => {
  const opt = new Optimizer({ type: 'adam' });
  assert.ok(opt.canStepInPlace(), `the in-place step must apply on the test backend (${tf.getBackend()}; is the native add-on built?)`);
  const sizes = [7, 40000]; // the second above the kernel's two-thread split (1 << 15 elements)
  for (const o of CASES) {
    const a = run(o, 'step', sizes), b = run(o, 'ops', sizes);
    for (let k = 0; k < sizes.length; k++) {
      const moved = Math.max(...Array.from(a.w[k].subarray(0, 7), (x, i) => Math.abs(x - new Rng(10 + k).normalArray(7, 0, 1)[i])));
      assert.ok(moved > 1e-3, `${JSON.stringify(o)}: the steps moved the weights by only ${moved}`);
      assert.deepEqual(a.w[k], b.w[k], `${JSON.stringify(o)}, parameter ${k}: weights differ`);
      assert.deepEqual(a.m[k], b.m[k], `${JSON.stringify(o)}, parameter ${k}: first moments differ`);
      assert.deepEqual(a.v[k], b.v[k], `${JSON.stringify(o)}, parameter ${k}: second moments differ`);
    }
  }
});

test('a tensor sharing a parameter\'s data keeps the old values after an in-place step, as after assign', () => {
  const opt = new Optimizer({ type: 'adam', lr: 0.1 });
  const p = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
  const view = p.reshape([4]); // shares p's data
  const g = tf.ones([2, 2]);
  opt.step([p], [g]);
  assert.deepEqual(Array.from(view.dataSync()), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(p.dataSync(), (x) => Math.round(x * 1e5) / 1e5), [0.9, 1.9, 2.9, 3.9]);
  opt.dispose();
  tf.dispose([p, view, g]);
});

test('a gradient of another shape than its parameter is refused, naming its index, on both paths', () => {
  const opt = new Optimizer({ type: 'adam' });
  const p = tf.variable(tf.zeros([3])), q = tf.variable(tf.zeros([2])), r = tf.variable(tf.zeros([2, 3]));
  const g = tf.ones([3]), one = tf.ones([1]), flat = tf.ones([6]);
  const named = (index: number, shape: string) => (e: unknown) => e instanceof ArgumentError && e.message.includes(`grads[${index}]`) && e.message.includes(shape);
  for (const step of [(ps: tf.Variable[], gs: tf.Tensor[]) => opt.step(ps, gs), (ps: tf.Variable[], gs: tf.Tensor[]) => opt.stepWithOps(ps, gs)]) {
    assert.throws(() => step([p, q], [g, g]), named(1, 'shape [2]'));
    // tfjs ops would broadcast these two silently: a [1] gradient over [3], a [6] one of the same size as [2, 3]
    assert.throws(() => step([p], [one]), named(0, 'shape [3]'));
    assert.throws(() => step([r], [flat]), named(0, 'shape [2,3]'));
    assert.throws(() => step([p], [g, g]), (e: unknown) => e instanceof ArgumentError && /grads/.test(e.message));
  }
  assert.deepEqual(Array.from(p.dataSync()), [0, 0, 0], 'a refused step changes nothing');
  opt.dispose();
  tf.dispose([p, q, r, g, one, flat]);
});
