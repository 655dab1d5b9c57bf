/**
 * Symmetric alignment (Kunin et al. 2020): B descends
 *   alpha ||B||^2 - beta <B, W>,   gradient 2 alpha B - beta W
 * (the authors' primitives: decay = sum of squares, self = -sum W o B), so
 * with W held fixed B - (beta / 2 alpha) W is multiplied by the same scalar
 * each step: (1 - 2 alpha lr) without momentum; with SGD momentum mu (torch's
 * buffer, the first step's buffer = the gradient) the scalar follows the
 * heavy-ball recursion m <- mu m + 2 alpha r, r <- r - lr m, computed here in
 * float64. At the authors' code defaults (alpha 1e-3, beta 2e-3, lr 1e-3,
 * momentum 0.9) the distance to W shrinks by about 2e-5 per step: 1.1% over
 * the 563 steps of issue 17's session-7 default run, time constant about
 * 50,000 steps.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { KernelPathway, Network, resolveOptimizerOptions, type NetworkOptions } from '../../lib/rules';
import { testBackend } from './helpers';

before(async () => {
  await testBackend();
});

/** A one-layer network whose pathway learns `steps` times with W held fixed; returns d_0 = B_0 - c W and d_T (c = beta / 2 alpha). */
function relax(feedback: Record<string, unknown>, steps: number): { d0: Float64Array; dT: Float64Array } {
  const spec: NetworkOptions = { inputShape: [6], layers: [{ kind: 'dense', units: 4 }], seed: 2, rule: 'symmetric-alignment', feedback, loss: 'mse' };
  const net = new Network(spec);
  const p = net.pathways[0] as KernelPathway;
  const W = net.paramLayers[0].weight;
  const o = p as unknown as { options: { alpha: number; beta: number } };
  const c = o.options.beta / (2 * o.options.alpha);
  const diff = () => {
    const b = p.B.dataSync();
    const w = W.dataSync();
    return Float64Array.from(b, (v, i) => v - c * w[i]);
  };
  const d0 = diff();
  const x = tf.ones([3, 6]);
  const zeros = tf.zeros([3, 4]);
  const main = resolveOptimizerOptions({ type: 'sgd', lr: 0.02, momentum: 0.9 });
  const ctx = { input: x, delta: zeros, weightGradient: tf.zeros([6, 4]), outputError: zeros, targets: zeros, paramIndex: 0, mainOptimizer: main, epoch: 0 };
  for (let s = 0; s < steps; s++) p.learn(ctx);
  const dT = diff();
  tf.dispose([x, zeros, ctx.weightGradient]);
  net.dispose();
  return { d0, dT };
}

/** The scalar r_T with d_T = r_T d_0: heavy-ball on curvature 2 alpha (torch momentum semantics; mu = 0: plain SGD). */
function factor(alpha: number, lr: number, mu: number, steps: number): number {
  let r = 1;
  let m = 0;
  for (let t = 1; t <= steps; t++) {
    const g = 2 * alpha * r;
    m = t === 1 ? g : mu * m + g;
    r -= lr * m;
  }
  return r;
}

function assertScaled(d: { d0: Float64Array; dT: Float64Array }, r: number, what: string): void {
  d.d0.forEach((v, i) => assert.ok(Math.abs(d.dT[i] - r * v) < 2e-5 * (1 + Math.abs(v)), `${what}: element ${i}: ${d.dT[i]} vs ${r * v}`));
}

test('symmetric alignment without momentum: B - (beta / 2 alpha) W shrinks by (1 - 2 alpha lr) per step', () => {
  const alpha = 0.05;
  const lr = 0.5;
  const d = relax({ alpha, beta: 0.2, optimizer: { type: 'sgd', lr } }, 7);
  assertScaled(d, Math.pow(1 - 2 * alpha * lr, 7), 'SGD');
});

test("symmetric alignment at the authors' defaults (lr 1e-3, momentum 0.9): B relaxes to W by about 2e-5 per step, 1.1% in 563 steps", () => {
  const steps = 563;
  const d = relax({}, steps);
  const r = factor(1e-3, 1e-3, 0.9, steps);
  assertScaled(d, r, 'defaults');
  // The closed form's reading: 2 alpha lr / (1 - mu) per step once the momentum has built up.
  assert.ok(Math.abs(1 - r - 0.0111) < 0.0005, `1 - r = ${1 - r}`);
});
