/**
 * The loops of lib/rules that write tensor outputs into recycled arrays (tensorOutputFloat32: the ViT's attention,
 * GELU, patches and token mean; the vectorized nets' gates, block swap, pooling gradient and error broadcast) write
 * every element: with each recycled array filled with NaN before it is handed out (poisonRecycledArrays), training
 * steps give the same losses and parameters, bit for bit, as with the pool left as it is. A loop that skips the
 * elements it means to be zero (seen failing: the gate's closed units, left unwritten) turns them into NaN. The fused
 * path reads its weights, feedback matrices and batch-norm parameters as lent arrays (borrowedFloat32) every step: a
 * lent array read after its tensor was disposed (parked arrays are NaN-filled too) turns up NaN there (seen failing
 * with the dense weights read through a disposed copy).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon } from '../../lib/core';
import { poisonRecycledArrays } from '../../lib/core/blas-backend';
import { Network, Optimizer, spatialVec, VectorizedNetwork, vgg, vit, type Classifier } from '../../lib/rules';
import { fusedOf, randomLabels, randomTensor, testBackend } from './helpers';

let backend = '';
before(async () => {
  backend = await testBackend();
});
after(() => poisonRecycledArrays(false));

type Trainable = Classifier;

/** Losses of 4 Adam steps and the predictions after (they depend on every parameter), from a fresh network; with the pool poisoned or not. */
function steps(make: () => Trainable, shape: number[], classes: number, poison: boolean): { losses: number[]; predictions: Float32Array } {
  const net = make();
  const opt = new Optimizer({ type: 'adam', lr: 1e-2 });
  const x = randomTensor(shape, 3);
  const t = net.oneHot(randomLabels(shape[0], classes, 4));
  poisonRecycledArrays(poison);
  try {
    const losses = Array.from({ length: 4 }, () => net.trainStep(x, t, opt).loss);
    return { losses, predictions: tf.tidy(() => Float32Array.from(net.predict(x).dataSync())) };
  } finally {
    poisonRecycledArrays(false);
    opt.dispose();
    tf.dispose([x, t]);
  }
}

function sameSteps(label: string, make: () => Trainable, shape: number[], classes: number): void {
  steps(make, shape, classes, false); // fills the pool with arrays of this network's lengths
  const plain = steps(make, shape, classes, false);
  const poisoned = steps(make, shape, classes, true);
  assert.ok(plain.losses.every(Number.isFinite), `${label}: losses ${plain.losses}`);
  assert.deepEqual(poisoned.losses, plain.losses, `${label}: losses differ with NaN-filled recycled arrays`);
  assert.deepEqual(poisoned.predictions, plain.predictions, `${label}: predictions after the steps differ with NaN-filled recycled arrays`);
}

test('ViT and vectorized-net training steps write every element of their recycled output arrays', (t) => {
  if (backend !== 'blas') return t.skip(`the recycling pool is the blas backend's (backend: ${backend})`);
  sameSteps('ViT', () => new Network(vit({ seed: 1, width: 16, depth: 2, heads: 2, mlpWidth: 32 })), [16, 28, 28, 1], 10);
  // 9x9 input: the 2x2 pooling leaves a row and a column that no window covers
  sameSteps('Conv-Vec', () => new VectorizedNetwork({ ...spatialVec({ channels: [4, 4], hidden: 8, classes: 4, inputShape: [9, 9, 1] }), rule: 'gevb', seed: 2 }), [16, 9, 9, 1], 4);
  sameSteps('Conv-Vec BP', () => new VectorizedNetwork({ ...spatialVec({ channels: [4, 4], hidden: 8, classes: 4, inputShape: [9, 9, 1] }), rule: 'bp', seed: 2 }), [16, 9, 9, 1], 4);
});

/**
 * Losses of 4 fused Adam steps and the predictions after, from a fresh small VGG with batch norm (its dense weights,
 * 14 x 14 x 8 x 10, long enough for the pool); with the pool poisoned or not.
 */
function fusedSteps(rule: 'bp' | 'fa' | 'ldfa', poison: boolean): { losses: number[]; predictions: Float32Array } {
  const net = new Network(vgg({ rule, feedback: rule === 'ldfa' ? { rank: 2 } : {}, blocks: [[4, 8]], batchNorm: true, seed: 5 }));
  const opt = new Optimizer({ type: 'adam', lr: 1e-2 });
  const x = randomTensor([8, 28, 28, 1], 6);
  const labels = randomLabels(8, 10, 7);
  poisonRecycledArrays(poison);
  try {
    const fused = fusedOf(net, opt);
    const xs = Float32Array.from(x.dataSync());
    const losses = Array.from({ length: 4 }, () => fused.step(xs, labels).loss);
    return { losses, predictions: tf.tidy(() => Float32Array.from(net.predict(x).dataSync())) };
  } finally {
    poisonRecycledArrays(false);
    opt.dispose();
    net.dispose();
    x.dispose();
  }
}

test('fused training steps read no array the pool has taken back (BP, FA, LDFA on a VGG with batch norm)', (t) => {
  if (backend !== 'blas') return t.skip(`the recycling pool is the blas backend's (backend: ${backend})`);
  if (!(nativeAddon() as { batchNormForward?: unknown } | null)?.batchNormForward) return t.skip('the native add-on with the fused kernels is not built');
  for (const rule of ['bp', 'fa', 'ldfa'] as const) {
    fusedSteps(rule, false);
    const plain = fusedSteps(rule, false);
    const poisoned = fusedSteps(rule, true);
    assert.ok(plain.losses.every(Number.isFinite), `${rule}: losses ${plain.losses}`);
    assert.deepEqual(poisoned.losses, plain.losses, `${rule}: fused losses differ with NaN-filled recycled arrays`);
    assert.deepEqual(poisoned.predictions, plain.predictions, `${rule}: predictions after fused steps differ with NaN-filled recycled arrays`);
  }
});
