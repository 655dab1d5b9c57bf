/**
 * lib/rules gated linear networks: the max-margin dual (lib/core nnlsGram)
 * against a brute-force search over directions on a separable toy set; a GLN
 * with all gates open against a hand-written two-layer linear network (same
 * outputs, same gradients, same GD trajectory); gradients of a gated network
 * against central differences; the group-norm solution's margin against the
 * L2 one's, both in the group norm; GD's direction approaching the L2
 * max-margin of the shallow GLN; median-init thresholds on hand-built
 * projections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/core';
import {
  gateContexts, gatedLinearNetwork, glnLossAndGradients, glnMaxMargin, glnMaxMarginOutputs, glnOutputs, maxMarginDual, medianGates, randomGates, reluGates, reluLossAndGradients, reluNetwork, trainGln, trainRelu,
} from '../../lib/rules';

/** A separable 2-D set (no bias): labels by the sign of u . x with a gap. */
function toySet(n: number, seed: number): { X: Float64Array; y: number[] } {
  const rng = new Rng(seed);
  const X: number[] = [];
  const y: number[] = [];
  while (y.length < n) {
    const a = rng.normal(), b = rng.normal();
    const s = 0.8 * a + 0.6 * b;
    if (Math.abs(s) < 0.3) continue;
    X.push(a, b);
    y.push(s > 0 ? 1 : -1);
  }
  return { X: Float64Array.from(X), y };
}

test('maxMarginDual (nnlsGram on the hard-margin dual) matches a brute-force search over directions', () => {
  for (const seed of [1, 2, 3]) {
    const { X, y } = toySet(30, seed);
    const n = y.length;
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * n + j] = X[2 * i] * X[2 * j] + X[2 * i + 1] * X[2 * j + 1];
    const sol = maxMarginDual(K, y, n);
    // Brute force: the margin of every unit direction on a grid of 20,000 angles, then 20,000 more around the best.
    const marginAt = (th: number) => { let m = Infinity; for (let i = 0; i < n; i++) m = Math.min(m, y[i] * (Math.cos(th) * X[2 * i] + Math.sin(th) * X[2 * i + 1])); return m; };
    let best = -Infinity, bestTh = 0;
    const step = (2 * Math.PI) / 20000;
    for (let k = 0; k < 20000; k++) { const m = marginAt(k * step); if (m > best) { best = m; bestTh = k * step; } }
    for (let k = -10000; k <= 10000; k++) best = Math.max(best, marginAt(bestTh + (k * step) / 10000));
    assert.ok(Math.abs(sol.margin - best) < 1e-6 * Math.max(1, best) + 1e-9, `seed ${seed}: dual ${sol.margin}, brute force ${best}`);
    // w = sum a_i y_i x_i attains margin 1 on the support vectors.
    const w = [0, 0];
    for (let i = 0; i < n; i++) { w[0] += sol.alpha[i] * y[i] * X[2 * i]; w[1] += sol.alpha[i] * y[i] * X[2 * i + 1]; }
    const minMargin = Math.min(...y.map((yi, i) => yi * (w[0] * X[2 * i] + w[1] * X[2 * i + 1])));
    assert.ok(Math.abs(minMargin - 1) < 1e-8, `min y w.x = ${minMargin}`);
  }
  assert.throws(() => maxMarginDual(Float64Array.from([1, 1, 1, 1]), [1, -1], 2), /separable/);
});

test('a deep GLN with every gate open is the two-layer linear network v^T W x: outputs, gradients and GD trajectory', () => {
  const d = 4, H = 3, n = 12;
  const rng = new Rng(5);
  const X = Float64Array.from(rng.normalArray(n * d, 0, 1, 'float64'));
  const y = Array.from({ length: n }, (_, i) => (X[i * d] + 0.5 * X[i * d + 1] > 0 ? 1 : -1));
  const gates = randomGates({ units: H, hyperplanes: 0, dim: d, seed: 1 });
  const net = gatedLinearNetwork('deep', gates, { initStd: 0.3, seed: 2 });
  // The reference: W (H x d) and v, hand-written logistic GD.
  const W = Float64Array.from(net.weights), v = Float64Array.from(net.readout);
  const refStep = (lr: number) => {
    const gW = new Float64Array(H * d), gv = new Float64Array(H);
    for (let i = 0; i < n; i++) {
      const h = Array.from({ length: H }, (_, a) => { let s = 0; for (let q = 0; q < d; q++) s += W[a * d + q] * X[i * d + q]; return s; });
      const f = h.reduce((s, hv, a) => s + v[a] * hv, 0);
      const g = -y[i] / (1 + Math.exp(y[i] * f)) / n;
      for (let a = 0; a < H; a++) { gv[a] += g * h[a]; for (let q = 0; q < d; q++) gW[a * d + q] += g * v[a] * X[i * d + q]; }
    }
    for (let q = 0; q < W.length; q++) W[q] -= lr * gW[q];
    for (let a = 0; a < H; a++) v[a] -= lr * gv[a];
  };
  const out = glnOutputs(net, X);
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let a = 0; a < H; a++) { let s = 0; for (let q = 0; q < d; q++) s += W[a * d + q] * X[i * d + q]; f += v[a] * s; }
    assert.ok(Math.abs(out[i] - f) < 1e-14);
  }
  trainGln(net, X, y, { lr: 0.5, epochs: 50 });
  for (let e = 0; e < 50; e++) refStep(0.5);
  for (let q = 0; q < W.length; q++) assert.ok(Math.abs(net.weights[q] - W[q]) < 1e-12);
  for (let a = 0; a < H; a++) assert.ok(Math.abs(net.readout[a] - v[a]) < 1e-12);
  assert.deepEqual(Array.from(gateContexts(gates, X)), new Array(n * H).fill(0), 'one context');
});

test('gradients of a gated deep network match central differences of the loss', () => {
  const d = 3, n = 10;
  const rng = new Rng(9);
  const X = Float64Array.from(rng.normalArray(n * d, 0, 1, 'float64'));
  const y = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1));
  const gates = randomGates({ units: 2, hyperplanes: 2, dim: d, seed: 4 });
  const net = gatedLinearNetwork('deep', gates, { initStd: 0.5, seed: 3 });
  const g = glnLossAndGradients(net, X, y);
  const h = 1e-6;
  for (const [arr, grad] of [[net.weights, g.weights], [net.readout, g.readout]] as const) {
    for (let q = 0; q < arr.length; q++) {
      const keep = arr[q];
      arr[q] = keep + h; const lp = glnLossAndGradients(net, X, y).loss;
      arr[q] = keep - h; const lm = glnLossAndGradients(net, X, y).loss;
      arr[q] = keep;
      assert.ok(Math.abs((lp - lm) / (2 * h) - grad[q]) < 1e-7, `parameter ${q}: ${(lp - lm) / (2 * h)} vs ${grad[q]}`);
    }
  }
  assert.ok(new Set(gateContexts(gates, X)).size > 1, 'the gates split the data');
});

test('max-margin functions: the group-norm solution has the larger margin in the group norm; GD on a shallow GLN turns toward the L2 max margin', () => {
  const d = 3, n = 24;
  const rng = new Rng(11);
  const X = Float64Array.from(rng.normalArray(n * d, 0, 1, 'float64'));
  const y = Array.from({ length: n }, (_, i) => (X[i * d] * X[i * d + 1] > 0 ? 1 : -1)); // XOR-like: not linearly separable, separable with gates
  const deepGates = randomGates({ units: 4, hyperplanes: 2, dim: d, seed: 7 });
  const l2 = glnMaxMargin(deepGates, X, y, { norm: 'l2' });
  const group = glnMaxMargin(deepGates, X, y, { norm: 'group' });
  const groupNorm = (b: Float64Array) => { let s = 0; const per = b.length / 4; for (let h = 0; h < 4; h++) { let t = 0; for (let q = 0; q < per; q++) t += b[h * per + q] ** 2; s += Math.sqrt(t); } return s; };
  const minM = (f: Float64Array) => Math.min(...Array.from(f, (v, i) => v * y[i]));
  const mGroup = minM(glnMaxMarginOutputs(deepGates, group, X)) / groupNorm(group.beta);
  const mL2 = minM(glnMaxMarginOutputs(deepGates, l2, X)) / groupNorm(l2.beta);
  assert.ok(mGroup >= mL2 * (1 - 1e-6), `group-norm margin ${mGroup} vs the L2 solution's ${mL2}`);
  assert.ok(Math.abs(group.margin - mGroup) < 1e-9);

  // The shallow GLN (4 contexts in 3-D) cannot separate the XOR-like labels (maxMarginDual says so); a tilted plane it can.
  const gates = randomGates({ units: 1, hyperplanes: 2, dim: d, seed: 7 });
  assert.throws(() => glnMaxMargin(gates, X, y, { norm: 'l2' }), /separable/);
  const yLinear = Array.from({ length: n }, (_, i) => (X[i * d] + 0.3 * X[i * d + 1] > 0 ? 1 : -1));
  const mm = glnMaxMargin(gates, X, yLinear, { norm: 'l2' });
  assert.ok(mm.margin > 0);
  const net = gatedLinearNetwork('shallow', gates, { initStd: 0.01, seed: 1 });
  const cos = () => { let ab = 0, aa = 0, bb = 0; for (let q = 0; q < mm.beta.length; q++) { ab += mm.beta[q] * net.weights[q]; aa += mm.beta[q] ** 2; bb += net.weights[q] ** 2; } return ab / Math.sqrt(aa * bb); };
  trainGln(net, X, yLinear, { lr: 1, epochs: 200 });
  const early = cos();
  trainGln(net, X, yLinear, { lr: 1, epochs: 20000 });
  const late = cos();
  // Convergence in direction is logarithmic in time (Soudry et al. 2018): 0.75 -> 0.96 over these epochs.
  assert.ok(late > early + 0.15 && late > 0.95, `cosine to the max-margin weights: ${early} after 200 epochs, ${late} after 20,200`);
});

test('ReLU net: gradients against central differences; with its own activation pattern frozen as gates it is the GLN with context-1 weights w_h and context-0 weights 0', () => {
  const d = 3, n = 16, H = 4;
  const rng = new Rng(13);
  const X = Float64Array.from(rng.normalArray(n * d, 0, 1, 'float64'));
  const y = Array.from({ length: n }, (_, i) => (X[i * d] * X[i * d + 2] > 0 ? 1 : -1));
  const net = reluNetwork(H, d, { initStd: 0.7, seed: 2 });
  const g = reluLossAndGradients(net, X, y);
  const h = 1e-6;
  for (const [arr, grad] of [[net.weights, g.weights], [net.readout, g.readout]] as const) {
    for (let q = 0; q < arr.length; q++) {
      const keep = arr[q];
      arr[q] = keep + h; const lp = reluLossAndGradients(net, X, y).loss;
      arr[q] = keep - h; const lm = reluLossAndGradients(net, X, y).loss;
      arr[q] = keep;
      assert.ok(Math.abs((lp - lm) / (2 * h) - grad[q]) < 1e-7, `parameter ${q}`);
    }
  }
  trainRelu(net, X, y, { lr: 0.5, epochs: 300 });
  const gates = reluGates(net);
  const gln = gatedLinearNetwork('deep', gates);
  gln.readout.set(net.readout);
  gln.weights.fill(0);
  for (let u = 0; u < H; u++) for (let q = 0; q < d; q++) gln.weights[(u * 2 + 1) * d + q] = net.weights[u * d + q];
  const relu = reluLossAndGradients(net, X, y).outputs;
  const gated = glnOutputs(gln, X);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(relu[i] - gated[i]) < 1e-12);
  const ctx = gateContexts(gates, X);
  for (let i = 0; i < n; i++) for (let u = 0; u < H; u++) {
    let a = 0;
    for (let q = 0; q < d; q++) a += net.weights[u * d + q] * X[i * d + q];
    assert.equal(ctx[i * H + u], a > 0 ? 1 : 0);
  }
});

test('medianGates puts each threshold at the median projection of the data, so every hyperplane halves it', () => {
  // Unit 0 projects on the first coordinate (1, 2, 3, 10: median 2.5), unit 1 on minus the second (-4, -1, 0, -9: median -2.5).
  const X = Float64Array.from([1, 4, 2, 1, 3, 0, 10, 9]);
  const gates = { units: 2, hyperplanes: 1, dim: 2, normals: Float64Array.from([1, 0, 0, -1]), thresholds: Float64Array.from([100, 100]) };
  const m = medianGates(gates, X);
  assert.deepEqual(Array.from(m.thresholds), [2.5, -2.5]);
  assert.deepEqual(Array.from(gateContexts(m, X)), [0, 0, 0, 1, 1, 1, 1, 0]);
  assert.equal(gates.thresholds[0], 100, 'the input gates are left as they were');
  assert.throws(() => medianGates(gates, Float64Array.from([1, 2, 3])), /X/);
});
