/**
 * lib/linear mode dynamics and gradient descent: simulated GD from small
 * aligned initialisation against the closed-form u(t), with an error that
 * halves with the learning rate (Euler's first order); the depth >= 3
 * quadrature against an independent Runge-Kutta integration of
 * du/dt = D u^(2-2/D) (s - u); transition times; random small
 * initialisation's learning order; the hidden similarity matrix against
 * V A(t) V^T and across seeds and widths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deepModeStrengths, dense, DenseMatrix, matmul, modeSimilarity, modeStrength, modeTransitionTime, quadraticLoss, representationalSimilarity, shallowModeStrength,
  similarityDistance, simulateLinearNetwork,
} from '../../lib/linear';

/** Syx with singular values 3, 2, 1 along rotated bases (so alignment is not trivial). */
function rotatedSyx(): { Syx: DenseMatrix; s: number[] } {
  const c = Math.cos(0.4), s = Math.sin(0.4);
  const U = dense(3, 3, Float64Array.from([c, -s, 0, s, c, 0, 0, 0, 1]));
  const V = dense(4, 3, Float64Array.from([1, 0, 0, 0, c, -s, 0, s, c, 0, 0, 0]));
  const US = dense(3, 3, U.data.map((v, k) => v * [3, 2, 1][k % 3]));
  return { Syx: matmul(US, V, false, true), s: [3, 2, 1] };
}

/** max_t max_j |u_j(t) - theory_j(t)| of a GD run. */
function maxGap(lr: number, hidden: number[], theory: (s: number, times: number[]) => number[], T: number, u0 = 1e-3): number {
  const { Syx, s } = rotatedSyx();
  const r = simulateLinearNetwork({ Syx, hidden, lr, steps: Math.round(T / lr), init: 'aligned', initScale: u0, recordEvery: Math.round(0.05 / lr), modes: 3 });
  const times = r.records.map((x) => x.time);
  let gap = 0;
  s.forEach((sv, j) => theory(sv, times).forEach((u, i) => { gap = Math.max(gap, Math.abs(r.records[i].modeStrengths[j] - u)); }));
  return gap;
}

test('two-layer GD from small aligned init matches a(t) = s e^{2st}/(e^{2st} - 1 + s/u0) within lr * s_max^2, halving with lr', () => {
  const closed = (s: number, times: number[]) => times.map((t) => modeStrength(s, 1e-3, t));
  const gaps = [0.02, 0.01, 0.005].map((lr) => maxGap(lr, [5], closed, 6));
  gaps.forEach((g, i) => assert.ok(g <= [0.02, 0.01, 0.005][i] * 9, `lr ${[0.02, 0.01, 0.005][i]}: gap ${g}`));
  assert.ok(gaps[1] / gaps[0] < 0.6 && gaps[2] / gaps[1] < 0.6, `gap shrinks with lr: ${gaps}`);
  assert.ok(gaps[0] > 1e-3, 'the discretisation error is visible at lr 0.02 (the comparison can fail)');
});

test('a shallow network (no hidden layer) follows s + (u0 - s) e^-t, and depth 3 the quadrature, both to first order in lr', () => {
  const shallow = (s: number, times: number[]) => times.map((t) => shallowModeStrength(s, 1e-3, t));
  const g1 = [0.02, 0.01].map((lr) => maxGap(lr, [], shallow, 5));
  assert.ok(g1[0] < 0.1 && g1[1] / g1[0] < 0.6, `shallow gaps ${g1}`);
  const deep = (s: number, times: number[]) => deepModeStrengths(s, 1e-3, times, 3);
  const g3 = [0.01, 0.005].map((lr) => maxGap(lr, [4, 5], deep, 14));
  assert.ok(g3[0] < 0.2 && g3[1] / g3[0] < 0.6, `depth-3 gaps ${g3}`);
});

test('deepModeStrengths (quadrature in z = ln(u/(s-u))) agrees with RK4 on du/dt = D u^(2-2/D)(s - u); depth 2 with the closed form', () => {
  for (const D of [3, 4, 6]) {
    const s = 1.7, u0 = 1e-3, h = 1e-3;
    const f = (u: number) => D * Math.pow(u, 2 - 2 / D) * (s - u);
    const checkpoints = [0, 1, 2, 4, 8, 16, 40];
    const theory = deepModeStrengths(s, u0, checkpoints, D);
    let u = u0, t = 0;
    checkpoints.forEach((tc, i) => {
      while (t < tc - 1e-12) {
        const k1 = f(u), k2 = f(u + (h / 2) * k1), k3 = f(u + (h / 2) * k2), k4 = f(u + h * k3);
        u += (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
        t += h;
      }
      assert.ok(Math.abs(theory[i] - u) < 1e-5 * s, `D ${D}, t ${tc}: quadrature ${theory[i]}, RK4 ${u}`);
    });
  }
  const d2 = deepModeStrengths(2, 1e-4, [0, 1, 3], 2);
  [0, 1, 3].forEach((t, i) => assert.equal(d2[i], modeStrength(2, 1e-4, t)));
});

test('transition times: u(t_half) = s/2 at every depth; depth 2 is ln(s/u0 - 1)/(2s); stronger modes first for D >= 2, one timescale for D = 1', () => {
  for (const D of [1, 2, 3, 5]) {
    for (const s of [0.5, 2]) {
      const th = modeTransitionTime(s, 1e-4, D);
      assert.ok(Math.abs(deepModeStrengths(s, 1e-4, [th], D)[0] - s / 2) < 1e-6 * s, `D ${D}, s ${s}`);
    }
  }
  assert.ok(Math.abs(modeTransitionTime(2, 1e-4, 2) - Math.log(2 / 1e-4 - 1) / 4) < 1e-12);
  assert.ok(modeTransitionTime(3, 1e-4, 2) < modeTransitionTime(1, 1e-4, 2) / 2.5);
  assert.ok(Math.abs(modeTransitionTime(3, 1e-4, 1) - modeTransitionTime(1, 1e-4, 1)) < 1e-3);
});

test('the recorded loss is 1/2 ||Syx - W||^2 with one-hot inputs, and the hidden similarity is W1^T W1 = V A(t) V^T for the balanced aligned start', () => {
  const { Syx } = rotatedSyx();
  const r = simulateLinearNetwork({ Syx, hidden: [6], lr: 0.005, steps: 800, init: 'aligned', initScale: 1e-3, recordEvery: 200, similarityLayer: 1 });
  const W = matmul(r.weights[1], r.weights[0]);
  let direct = 0;
  for (let i = 0; i < W.data.length; i++) direct += 0.5 * (Syx.data[i] - W.data[i]) ** 2;
  const last = r.records[r.records.length - 1];
  assert.ok(Math.abs(last.loss - direct) < 1e-10, `${last.loss} vs ${direct}`);
  assert.ok(Math.abs(quadraticLoss(W, Syx, matmul(Syx, Syx, false, true), null) - direct) < 1e-10);
  assert.ok(similarityDistance(last.similarity!, representationalSimilarity(r.weights[0])) < 1e-12);
  // V A V^T with V the right singular vectors (rows of the rotated basis) and A the recorded strengths.
  const c = Math.cos(0.4), s = Math.sin(0.4);
  const V = dense(4, 3, Float64Array.from([1, 0, 0, 0, c, -s, 0, s, c, 0, 0, 0]));
  assert.ok(similarityDistance(last.similarity!, modeSimilarity(V, last.modeStrengths)) < 1e-9);
});

test('from small random init: modes are learned strongest first, and the hidden similarity at a matched stage agrees across seeds and widths', () => {
  const { Syx } = rotatedSyx();
  const run = (seed: number, width: number) => simulateLinearNetwork({ Syx, hidden: [width], lr: 0.01, steps: 900, init: 'random', initScale: 1e-3, seed, recordEvery: 5, similarityLayer: 1 });
  const a = run(1, 8), b = run(2, 8), c = run(3, 30);
  const half = (res: typeof a, j: number) => res.records.find((x) => x.modeStrengths[j] > [3, 2, 1][j] / 2)!.time;
  assert.ok(half(a, 0) < half(a, 1) && half(a, 1) < half(a, 2));
  // Matched stage: the first record with loss below 1.5 (loss 7 at the start, 2.5 with mode 1 learned, 0.5 with mode 2):
  // mid-way through mode 2's transition, where the similarity changes fastest.
  const at = (res: typeof a, loss = 1.5) => res.records.find((x) => x.loss < loss)!.similarity!;
  assert.ok(similarityDistance(at(a), at(b)) < 0.05, `seeds: ${similarityDistance(at(a), at(b))}`);
  assert.ok(similarityDistance(at(a), at(c)) < 0.05, `widths: ${similarityDistance(at(a), at(c))}`);
  assert.ok(similarityDistance(at(a, 4), at(a)) > 0.3, `the similarity changes between stages: ${similarityDistance(at(a, 4), at(a))}`);
});
