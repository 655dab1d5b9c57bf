/**
 * The pool of the blas backend recycles float32 arrays; with poisonRecycledArrays it fills each with NaN when it hands
 * one out and when it takes one back. Training steps must then give the same losses and parameters, bit for bit, as
 * with the pool left as it is:
 * - the loops of lib/rules that write tensor outputs into recycled arrays (tensorOutputFloat32: the ViT's attention,
 *   GELU, patches and token mean; the vectorized nets' gates, block swap, pooling gradient and error broadcast) write
 *   every element; a loop that skips the elements it means to be zero turns them into NaN (seen failing: the gate's
 *   closed units, left unwritten);
 * - the fused path, which reads its weights, feedback matrices and batch-norm parameters as lent arrays
 *   (borrowedFloat32) every step, reads no array after its tensor was disposed (seen failing with the dense weights
 *   read through a disposed copy).
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

interface StepsResult {
  losses: number[];
  predictions: Float32Array;
}

/** Runs `steps` from a fresh network with the pool poisoned or not: once to fill the pool with arrays of its lengths, then plain and poisoned; the two must agree bit for bit. */
function sameSteps(label: string, steps: () => StepsResult): void {
  const run = (poison: boolean): StepsResult => {
    poisonRecycledArrays(poison);
    try {
      return steps();
    } finally {
      poisonRecycledArrays(false);
    }
  };
  run(false);
  const plain = run(false);
  const poisoned = run(true);
  assert.ok(plain.losses.every(Number.isFinite), `${label}: losses ${plain.losses}`);
  assert.deepEqual(poisoned.losses, plain.losses, `${label}: losses differ with NaN-filled recycled arrays`);
  assert.deepEqual(poisoned.predictions, plain.predictions, `${label}: predictions after the steps differ with NaN-filled recycled arrays`);
}

/** Losses of 4 Adam steps and the predictions after (they depend on every parameter), from a fresh network. */
function trainSteps(make: () => Classifier & { dispose(): void }, shape: number[], classes: number): () => StepsResult {
  return () => {
    const net = make();
    const opt = new Optimizer({ type: 'adam', lr: 1e-2 });
    const x = randomTensor(shape, 3);
    const t = net.oneHot(randomLabels(shape[0], classes, 4));
    try {
      const losses = Array.from({ length: 4 }, () => net.trainStep(x, t, opt).loss);
      return { losses, predictions: tf.tidy(() => Float32Array.from(net.predict(x).dataSync())) };
    } finally {
      opt.dispose();
      net.dispose();
      tf.dispose([x, t]);
    }
  };
}

test('ViT and vectorized-net training steps write every element of their recycled output arrays', (t) => {
  if (backend !== 'blas') return t.skip(`the recycling pool is the blas backend's (backend: ${backend})`);
  sameSteps('ViT', trainSteps(() => new Network(vit({ seed: 1, width: 16, depth: 2, heads: 2, mlpWidth: 32 })), [16, 28, 28, 1], 10));
  // 9x9 input: the 2x2 pooling leaves a row and a column that no window covers
  for (const rule of ['gevb', 'bp'] as const) {
    const make = () => new VectorizedNetwork({ ...spatialVec({ channels: [4, 4], hidden: 8, classes: 4, inputShape: [9, 9, 1] }), rule, seed: 2 });
    sameSteps(`Conv-Vec ${rule}`, trainSteps(make, [16, 9, 9, 1], 4));
  }
});

/**
 * Losses of 4 fused Adam steps and the predictions after, from a fresh small VGG with batch norm (its dense weights,
 * 14 x 14 x 8 x 10, long enough for the pool).
 */
function fusedSteps(rule: 'bp' | 'fa' | 'ldfa'): StepsResult {
  const net = new Network(vgg({ rule, feedback: rule === 'ldfa' ? { rank: 2 } : {}, blocks: [[4, 8]], batchNorm: true, seed: 5 }));
  const opt = new Optimizer({ type: 'adam', lr: 1e-2 });
  const x = randomTensor([8, 28, 28, 1], 6);
  const labels = randomLabels(8, 10, 7);
  try {
    const fused = fusedOf(net, opt);
    const xs = Float32Array.from(x.dataSync());
    const losses = Array.from({ length: 4 }, () => fused.step(xs, labels).loss);
    return { losses, predictions: tf.tidy(() => Float32Array.from(net.predict(x).dataSync())) };
  } finally {
    opt.dispose();
    net.dispose();
    x.dispose();
  }
}

test('fused training steps read no array the pool has taken back (BP, FA, LDFA on a VGG with batch norm)', (t) => {
  if (backend !== 'blas') return t.skip(`the recycling pool is the blas backend's (backend: ${backend})`);
  if (!(nativeAddon() as { batchNormForward?: unknown } | null)?.batchNormForward) return t.skip('the native add-on with the fused kernels is not built');
  for (const rule of ['bp', 'fa', 'ldfa'] as const) sameSteps(`fused ${rule}`, () => fusedSteps(rule));
});
