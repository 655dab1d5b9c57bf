/**
 * Kolen-Pollack (Akrout et al. 2019) against its defining equations on a
 * hand-built two-layer linear network (4 -> 3 -> 2, MSE loss), computed here
 * in float64 from the network's weights before the step:
 *   h = x W1 + b1, y = h W2 + b2, e = (y - t) / N,
 *   grad_W2 = h^T e, delta_1 = e B2^T, grad_W1 = x^T delta_1,
 *   W <- W - eta (grad_W + lambda W), B <- B - eta (grad_W + lambda B),
 * so B - W <- (1 - eta lambda) (B - W) exactly (SGD without momentum, the
 * network's weight decay lambda, which B's decay defaults to). With the
 * weight-norm constraint, W <- c W after the step (c = ||W_0|| / ||W||) and
 * B <- c B, so B - W <- c (1 - eta lambda) (B - W); before B followed the
 * constraint this failed (B kept the growth the constraint takes from W).
 * Reference (tfjs) and fused (native) path alike.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, Rng } from '../../lib/core';
import { KernelPathway, Network, Optimizer, type NetworkOptions } from '../../lib/rules';
import { fusedOf, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const SPEC: NetworkOptions = { inputShape: [4], layers: [{ kind: 'dense', units: 3 }, { kind: 'dense', units: 2 }], seed: 3, rule: 'kolen-pollack', feedback: {}, loss: 'mse' };
const ETA = 0.1;
const LAMBDA = 0.05;
const ROWS = 5;

type M = number[][];
const mat = (t: tf.Tensor, rows: number, cols: number): M => {
  const d = t.dataSync();
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => d[i * cols + j]));
};
const mul = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const lin = (a: M, b: M, s = 1): M => a.map((r, i) => r.map((v, j) => v + s * b[i][j]));
const scale = (a: M, s: number): M => a.map((r) => r.map((v) => v * s));
const norm = (a: M) => Math.sqrt(a.flat().reduce((s, v) => s + v * v, 0));
const maxAbs = (a: M) => Math.max(...a.flat().map(Math.abs));

/** W1, b1 (as a row), W2, b2, B1, B2 of the network now, in float64. */
function state(net: Network) {
  const [l1, l2] = net.paramLayers;
  const [p1, p2] = net.pathways as KernelPathway[];
  return {
    W1: mat(l1.weight, 4, 3), b1: mat(l1.bias!, 1, 3), W2: mat(l2.weight, 3, 2), b2: mat(l2.bias!, 1, 2),
    B1: mat(p1.B, 4, 3), B2: mat(p2.B, 3, 2),
  };
}

/** The step's expected W1, W2, B1, B2 (float64), before any norm constraint. */
function expectedStep(s: ReturnType<typeof state>, x: M, t: M) {
  const ones = x.map(() => [1]);
  const h = lin(mul(x, s.W1), mul(ones, s.b1));
  const y = lin(mul(h, s.W2), mul(ones, s.b2));
  const e = scale(lin(y, t, -1), 1 / x.length);
  const gW2 = mul(tr(h), e);
  const gW1 = mul(tr(x), mul(e, tr(s.B2)));
  const step = (P: M, g: M) => lin(P, lin(g, scale(P, LAMBDA)), -ETA);
  return { W1: step(s.W1, gW1), W2: step(s.W2, gW2), B1: step(s.B1, gW1), B2: step(s.B2, gW2) };
}

function batch(rng: Rng): { x: Float32Array; labels: Int32Array; X: M; T: M } {
  const x = rng.normalArray(ROWS * 4, 0, 1) as Float32Array;
  const labels = Int32Array.from({ length: ROWS }, () => rng.int(2));
  const X = Array.from({ length: ROWS }, (_, i) => Array.from(x.subarray(i * 4, i * 4 + 4)));
  const T = Array.from(labels, (c) => [c === 0 ? 1 : 0, c === 1 ? 1 : 0]);
  return { x, labels, X, T };
}

/** Runs `steps` steps on the reference or fused path; checks every step against the equations. */
function check(fused: boolean, constraint: boolean, steps: number): void {
  const net = new Network(SPEC);
  const opt = new Optimizer({ type: 'sgd', lr: ETA, weightDecay: LAMBDA });
  const f = fused ? fusedOf(net, opt) : null;
  const rng = new Rng(11);
  const what = `${fused ? 'fused' : 'reference'}${constraint ? ', norm constraint' : ''}`;
  const w0 = state(net);
  const n0 = [norm(w0.W1), norm(w0.W2)];
  for (let s = 0; s < steps; s++) {
    const before = state(net);
    const { x, labels, X, T } = batch(rng);
    const want = expectedStep(before, X, T);
    if (f) f.step(x, labels, { epoch: 0, weightNormConstraint: constraint });
    else {
      const xt = tf.tensor(x, [ROWS, 4]);
      const tt = net.oneHot(labels);
      net.trainStep(xt, tt, opt, { epoch: 0, weightNormConstraint: constraint });
      tf.dispose([xt, tt]);
    }
    const after = state(net);
    const c = constraint ? [n0[0] / norm(want.W1), n0[1] / norm(want.W2)] : [1, 1];
    // The forward update is the rule's gradient (B2 carries e to layer 1) plus decay, then the constraint.
    assert.ok(maxAbs(lin(after.W1, scale(want.W1, c[0]), -1)) < 1e-5, `${what}, step ${s}: W1`);
    assert.ok(maxAbs(lin(after.W2, scale(want.W2, c[1]), -1)) < 1e-5, `${what}, step ${s}: W2`);
    // The difference contracts by (1 - eta lambda) c, whatever the gradient.
    const pairs: [M, M, M, M, number][] = [[after.B1, after.W1, before.B1, before.W1, c[0]], [after.B2, after.W2, before.B2, before.W2, c[1]]];
    pairs.forEach(([Ba, Wa, Bb, Wb, ck], k) => {
      const d = lin(Ba, Wa, -1);
      const dWant = scale(lin(Bb, Wb, -1), (1 - ETA * LAMBDA) * ck);
      assert.ok(maxAbs(lin(d, dWant, -1)) < 1e-5 * (1 + maxAbs(dWant)), `${what}, step ${s}, layer ${k + 1}: B - W ${d.flat()} vs ${dWant.flat()}`);
    });
    if (constraint) assert.ok(Math.abs(norm(after.W1) - n0[0]) < 1e-5 * n0[0] && Math.abs(norm(after.W2) - n0[1]) < 1e-5 * n0[1], `${what}: norms kept`);
  }
  net.dispose();
  opt.dispose();
}

test('Kolen-Pollack, SGD with decay: W moves by the rule gradient plus decay, B - W shrinks by (1 - eta lambda) per step', () => {
  check(false, false, 6);
});

test('Kolen-Pollack with the weight-norm constraint: B is rescaled with W, so B - W shrinks by c (1 - eta lambda) per step', () => {
  check(false, true, 6);
});

test('Kolen-Pollack on the fused path: the same equations, with and without the norm constraint', { skip: nativeAddon() === null ? 'native add-on not built' : false }, () => {
  check(true, false, 6);
  check(true, true, 6);
});
