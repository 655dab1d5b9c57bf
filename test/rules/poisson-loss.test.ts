/**
 * The Poisson loss of softplus rates (lib/rules/poisson.ts, Network loss
 * 'poisson') against an independent float64 computation in plain
 * JavaScript (Math.log1p, Math.exp): the loss value, its gradient against
 * float64 central differences of that computation, and both at |z| up to
 * 200 where a naive log(softplus(z)) underflows in float32; a network with
 * the loss: the same error through Network.lossAndError, `correct` NaN, the
 * fused path, train and evaluate (classifiers') refused, and a Poisson GLM
 * fitted by trainStep recovers the weights that generated its counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { evaluate, Network, Optimizer, poissonLossAndError, softplus, train } from '../../lib/rules';
import { fusedTrainer } from '../../lib/rules/fused';
import { testBackend } from './helpers';

before(async () => {
  await testBackend();
});

/** Float64 softplus, stable for either sign. */
const sp64 = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
/** Float64 batch-mean loss: (1/n) sum of softplus(z) - y log softplus(z). */
function loss64(z: ArrayLike<number>, y: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    const r = sp64(z[i]);
    s += r - y[i] * Math.log(r);
  }
  return s / n;
}

/** Poisson draw by Knuth's product of uniforms (small rates). */
function poisson(rng: Rng, rate: number): number {
  const l = Math.exp(-rate);
  let k = 0;
  let p = rng.uniform();
  while (p > l) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

function check(zs: number[], ys: number[], shape: [number, number], tol: number): void {
  const z = tf.tensor2d(zs, shape);
  const y = tf.tensor2d(ys, shape);
  const { loss, error } = poissonLossAndError(z, y);
  const n = shape[0];
  // z as float32 sees it: the reference evaluates at the same points.
  const zf = Float64Array.from(z.dataSync());
  const l64 = loss64(zf, ys, n);
  const l = loss.dataSync()[0];
  assert.ok(Math.abs(l - l64) <= tol * Math.max(1, Math.abs(l64)), `loss ${l} vs float64 ${l64}`);
  const e = error.dataSync();
  for (let i = 0; i < zf.length; i++) {
    const h = 1e-6 * Math.max(1, Math.abs(zf[i]));
    const zp = zf.slice();
    const zm = zf.slice();
    zp[i] += h;
    zm[i] -= h;
    const fd = (loss64(zp, ys, n) - loss64(zm, ys, n)) / (2 * h);
    assert.ok(Math.abs(e[i] - fd) <= tol * Math.max(Math.abs(fd), 1 / n), `dL/dz[${i}] at z = ${zf[i]}, y = ${ys[i]}: ${e[i]} vs central difference ${fd}`);
  }
  tf.dispose([z, y, loss, error]);
}

test('Poisson loss and dL/dz equal a float64 computation and its central differences', () => {
  const rng = new Rng(3);
  const zs = Array.from({ length: 24 }, () => rng.normal(0, 3));
  const ys = Array.from({ length: 24 }, () => rng.int(6));
  check(zs, ys, [6, 4], 2e-6);
});

test('Poisson loss stays exact for |z| up to 200 (log softplus underflows in float32 below z = -87)', () => {
  const zs = [-200, -150, -90, -40, -21, -19, 19, 40, 90, 200, -200, 200];
  const ys = [0, 2, 1, 3, 1, 0, 4, 0, 7, 2, 5, 0];
  check(zs, ys, [3, 4], 2e-6);
  // The naive float32 log(softplus(z)) is -inf at z = -200: the loss there is y * 200 by the limit.
  const { loss } = poissonLossAndError(tf.tensor2d([[-200]]), tf.tensor2d([[3]]));
  assert.ok(Math.abs(loss.dataSync()[0] - 600) < 1e-3, `loss ${loss.dataSync()[0]}`);
  assert.equal(tf.log(softplus(tf.scalar(-200))).dataSync()[0], -Infinity, 'float32 softplus(-200) underflows (what the limit branch is for)');
});

test('softplus is stable and accurate for either sign', () => {
  const zs = [-100, -30, -1, 0, 1e-4, 2, 30, 100, 1e4];
  const r = softplus(tf.tensor1d(zs)).dataSync();
  zs.forEach((z, i) => assert.ok(Math.abs(r[i] - sp64(z)) <= 1e-6 * Math.max(sp64(z), 1e-30), `softplus(${z}) = ${r[i]} vs ${sp64(z)}`));
});

test('bad arguments name the argument', () => {
  assert.throws(() => poissonLossAndError(tf.zeros([2, 3]), tf.zeros([2, 2])), /targets/);
  assert.throws(() => poissonLossAndError([1, 2] as unknown as tf.Tensor, tf.zeros([2])), /\bz\b/);
  assert.throws(() => new Network({ inputShape: [2], layers: [{ kind: 'dense', units: 1 }], loss: 'poison' as 'poisson' }), /loss/);
});

test('train and evaluate (class labels, accuracy) refuse a Poisson network by name', async () => {
  const net = new Network({ inputShape: [2], layers: [{ kind: 'dense', units: 2 }], loss: 'poisson' });
  const data = { x: new Float32Array([0, 1, 1, 0]), y: [1, 0], count: 2 };
  await assert.rejects(() => train(net, data, { epochs: 1 }), /net.*trainStep/s);
  assert.throws(() => evaluate(net, data), /net.*lossAndError/s);
  net.dispose();
});

test('a Poisson network: the same error through Network, correct NaN, no fused path, and a fitted GLM recovers its weights', () => {
  const inputs = 4;
  const wTrue = [0.6, -0.8, 0.3, 0.0];
  const bTrue = 0.4;
  const n = 4000;
  const rng = new Rng(11);
  const xs = new Float32Array(n * inputs);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = bTrue;
    for (let j = 0; j < inputs; j++) {
      xs[i * inputs + j] = rng.normal();
      z += wTrue[j] * xs[i * inputs + j];
    }
    ys[i] = poisson(rng, sp64(z));
  }
  const net = new Network({ inputShape: [inputs], layers: [{ kind: 'dense', units: 1 }], loss: 'poisson', seed: 2 });
  const x = tf.tensor2d(xs, [n, inputs]);
  const y = tf.tensor2d(ys, [n, 1]);
  const z = net.predict(x);
  const a = net.lossAndError(z, y);
  const b = poissonLossAndError(z, y);
  assert.equal(a.loss.dataSync()[0], b.loss.dataSync()[0]);
  assert.deepEqual(Array.from(a.error.dataSync()), Array.from(b.error.dataSync()));
  const opt = new Optimizer({ type: 'adam', lr: 0.05 });
  assert.equal(typeof fusedTrainer(net, opt), 'string', 'the fused path (cross-entropy / MSE only) must refuse the Poisson loss');
  let last = { loss: NaN, correct: 0 };
  for (let s = 0; s < 300; s++) last = net.trainStep(x, y, opt);
  assert.ok(Number.isNaN(last.correct), 'correct is not applicable to a regression');
  const w = net.paramLayers[0].weight.dataSync();
  const bias = net.paramLayers[0].bias!.dataSync()[0];
  // Maximum likelihood on 4000 counts: standard errors about 0.02.
  wTrue.forEach((wt, j) => assert.ok(Math.abs(w[j] - wt) < 0.08, `w[${j}] = ${w[j]} vs ${wt}`));
  assert.ok(Math.abs(bias - bTrue) < 0.08, `b = ${bias} vs ${bTrue}`);
  tf.dispose([x, y, z, a.loss, a.error, b.loss, b.error]);
  opt.dispose?.();
  net.dispose();
});
