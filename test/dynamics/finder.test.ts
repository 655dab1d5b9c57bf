/**
 * Fixed-point finder against cases with known answers: the hand-built
 * three-unit network of rnn-fixed-points.md (27 fixed points in closed form,
 * cube topology) and a linear map with a known fixed point.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { clearInterrupt, initBackend, InterruptedError, requestInterrupt, Rng } from '../../lib/core';
import { FixedPointFinder, FixedPoints, StepSystem, cellFromJSON, createCell, fixedPointFigureData, float32QFloor, randomOrthogonal, selfExcitingUnits, topologyGraph } from '../../lib/dynamics';
import type { CellJSON } from '../../lib/dynamics';
import { pca } from '../../lib/geometry';

// Self-excitation per unit: tanh(w h) = h has the roots 0 (unstable, slope w) and +-h*(w).
// Distinct gains make every Jacobian's eigenvalues distinct, so its eigenvectors
// (the directions the topology walk follows) are unique; equal gains would leave
// any basis of a degenerate eigenspace valid.
const W = [2, 2.5, 3];
const HSTAR = W.map((w) => {
  let h = 1;
  for (let i = 0; i < 300; i++) h = Math.tanh(w * h);
  return h;
});

test('hand-built 3-unit network: exactly its 27 fixed points, 8/12/6/1 by unstable modes, cube topology', async () => {
  await initBackend({ print: false });
  // The library's hand-built system; the expected points below come from its rotation and the closed form.
  const sys = selfExcitingUnits({ gains: W, seed: 7 });
  const R = sys.rotation;
  const before = tf.memory().numTensors;
  const rng = new Rng(1);
  const n = 512;
  const x0 = new Float32Array(n * 3).map(() => rng.uniformIn(-1.3, 1.3));
  const finder = new FixedPointFinder(sys, { progress: false, maxIters: 5000 });
  const res = finder.find({ values: x0, count: n });
  const fp = res.fixedPoints;
  assert.equal(fp.length, 27, fp.summary());
  // Every point met the stopping rule: the convergence report says so, with the search's iteration count.
  assert.deepEqual({ ...res.convergence, measure: '' }, { iterations: res.iterations, residual: 0, tolerance: 0, converged: true, measure: '' });
  assert.equal(res.stoppedBy, 'converged');
  // Closed form: x* = R^T (s h*) for s in {-1,0,1}^3, with s_i = 0 unstable (slope W).
  const expected: { x: number[]; unstable: number; s: number[] }[] = [];
  for (const a of [-1, 0, 1]) for (const b of [-1, 0, 1]) for (const c of [-1, 0, 1]) {
    const s = [a, b, c];
    const x = [0, 1, 2].map((j) => s.reduce((acc, si, i) => acc + R[i][j] * si * HSTAR[i], 0));
    expected.push({ x, unstable: s.filter((v) => v === 0).length, s });
  }
  const match: number[] = [];
  for (let i = 0; i < 27; i++) {
    const p = fp.point(i);
    const k = expected.findIndex((e) => Math.hypot(e.x[0] - p[0], e.x[1] - p[1], e.x[2] - p[2]) < 1e-5);
    assert.ok(k >= 0, `point ${Array.from(p)} is none of the 27 closed-form fixed points`);
    match.push(k);
    assert.equal(fp.numUnstable[i], expected[k].unstable, `unstable modes of point ${k}`);
    // Eigenvalues in closed form: w_i for s_i = 0, w_i (1 - h*_i^2) otherwise.
    const mags = Array.from(fp.eigenvalueMagnitudes(i));
    const want = expected[k].s.map((v, u) => (v === 0 ? W[u] : W[u] * (1 - HSTAR[u] ** 2))).sort((a, b) => b - a);
    mags.forEach((m, j) => assert.ok(Math.abs(m - want[j]) < 1e-4, `|lambda_${j}| = ${m}, want ${want[j]}`));
  }
  assert.equal(new Set(match).size, 27, 'every closed-form point found once');
  const counts = [0, 1, 2, 3].map((k) => Array.from(fp.numUnstable).filter((v) => v === k).length);
  assert.deepEqual(counts, [8, 12, 6, 1]);
  assert.equal(fp.isStable.filter(Boolean).length, 8);

  // Topology: following unstable modes goes one level down the cube's face lattice.
  const g = topologyGraph(sys, fp);
  const sOf = (i: number) => expected[match[i]].s;
  const cubeEdges = new Set<string>();
  for (const e of g.edges) {
    assert.ok(e.to >= 0, `walk from ${sOf(e.from)} along mode ${e.mode} reached no fixed point`);
    const from = sOf(e.from);
    const to = sOf(e.to);
    // The target keeps every nonzero coordinate of the source and fixes exactly one zero one.
    assert.equal(to.filter((v) => v === 0).length, from.filter((v) => v === 0).length - 1, `${from} -> ${to}`);
    from.forEach((v, i) => v !== 0 && assert.equal(to[i], v, `${from} -> ${to}`));
    assert.ok(e.reachedStable >= 0 && fp.isStable[e.reachedStable]);
    if (fp.numUnstable[e.from] === 1) cubeEdges.add(to.join(',') + '|' + from.join(','));
  }
  // 12 edge saddles x 2 directions = 24 walks, whose corner pairs are the 12 edges of the cube.
  assert.equal(g.edges.filter((e) => fp.numUnstable[e.from] === 1).length, 24);
  const pairs = new Set<string>();
  for (const e of g.edges.filter((e) => fp.numUnstable[e.from] === 1)) {
    const others = g.edges.filter((f) => f.from === e.from).map((f) => sOf(f.to).join(',')).sort();
    assert.equal(others.length, 2);
    const diff = sOf(e.from).filter((v) => v === 0).length;
    assert.equal(diff, 1);
    pairs.add(others.join('|'));
  }
  assert.equal(pairs.size, 12);
  for (const p of pairs) {
    const [a, b] = p.split('|').map((s) => s.split(',').map(Number));
    assert.equal(a.filter((v, i) => v !== b[i]).length, 1, `corners ${a} and ${b} differ in one sign`);
  }
  // Faces reach their 4 edge saddles, the centre its 6 face saddles.
  for (let i = 0; i < 27; i++) {
    const k = fp.numUnstable[i];
    if (k < 2) continue;
    const targets = new Set(g.edges.filter((e) => e.from === i).map((e) => e.to));
    assert.equal(targets.size, 2 * k, `point with ${k} unstable modes reaches ${targets.size} saddles`);
  }
  assert.equal(tf.memory().numTensors, before, 'the search and the walks leave no tensors behind');
  sys.dispose();
});

test('linear map with a known fixed point is solved to the float32 floor', async () => {
  await initBackend({ print: false });
  // F(h) = A h + b with A = 0.5 Q diag(...) Q^T-like (spectral radius < 1): x* = (I - A)^{-1} b.
  const S = 8;
  const rng = new Rng(3);
  const A = Array.from({ length: S }, () => Array.from({ length: S }, () => rng.normal() * 0.6 / Math.sqrt(S)));
  const b = Array.from({ length: S }, () => rng.normal());
  // Solve (I - A) x = b in float64 by Gaussian elimination: the independent reference.
  const M = A.map((row, i) => row.map((v, j) => (i === j ? 1 : 0) - v).concat([b[i]]));
  for (let c = 0; c < S; c++) {
    let p = c;
    for (let r = c + 1; r < S; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < S; r++) if (r !== c) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= S; k++) M[r][k] -= f * M[c][k];
    }
  }
  const xstar = M.map((row, i) => row[S] / row[i]);
  const At = tf.tensor2d(A).transpose();
  const bt = tf.tensor1d(b);
  const sys: StepSystem = { stateSize: S, inputSize: 0, step: (h) => tf.tidy(() => tf.add(tf.matMul(h, At), bt) as tf.Tensor2D) };
  const x0 = new Float32Array(16 * S).map(() => rng.normal() * 2);
  const res = new FixedPointFinder(sys, { progress: false, maxIters: 20000 }).find({ values: x0, count: 16 });
  const fp = res.fixedPoints;
  assert.equal(fp.length, 1, `one unique fixed point (got ${fp.length}; not converged ${res.notConverged.length})`);
  const p = fp.point(0);
  const err = Math.max(...xstar.map((v, j) => Math.abs(p[j] - v)));
  const scale = Math.max(...xstar.map(Math.abs));
  // The float32 floor: a few ulps of the largest coordinate, times the conditioning of I - A (small here).
  assert.ok(err < 16 * 2 ** -24 * scale * 4, `max |x - x*| = ${err.toExponential(3)} (scale ${scale.toFixed(3)})`);
  assert.ok(fp.qstar[0] <= Math.max(1e-12, float32QFloor(p, fp.Fxstar.subarray(0, S))));
  // The Jacobian by autodiff equals A; the eigenvalues of A are those of the Jacobian.
  const J = fp.jacobians![0];
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) assert.ok(Math.abs(J[i * S + j] - A[i][j]) < 1e-6);
  At.dispose();
  bt.dispose();
});

test('FixedPoints: unique, index, concatenate, save/restore round trip, summary', async () => {
  await initBackend({ print: false });
  const mk = (xs: number[][], qs: number[]) => new FixedPoints({
    stateSize: 2, inputSize: 1, xstar: Float64Array.from(xs.flat()), xInit: Float64Array.from(xs.flat()),
    inputs: new Float64Array(xs.length), Fxstar: Float64Array.from(xs.flat()), qstar: Float64Array.from(qs),
    dq: new Float64Array(xs.length), nIters: new Int32Array(xs.length), jacobians: null, inputJacobians: null, eigen: null,
  });
  const a = mk([[0, 0], [1, 1], [0, 0.0005]], [1e-13, 1e-14, 1e-15]);
  // [0,0] and [0,0.0005] are within 1e-3: the smaller-q one ([0,0.0005]) is kept.
  const u = a.unique(1e-3);
  assert.equal(u.length, 2);
  assert.deepEqual(Array.from(u.xstar), [1, 1, 0, 0.0005]);
  const c = FixedPoints.concatenate([a, a.index([1])]);
  assert.equal(c.length, 4);
  assert.deepEqual(Array.from(c.point(3)), [1, 1]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fp-')), 'fp.json');
  c.save(file);
  const r = FixedPoints.restore(file);
  assert.deepEqual(Array.from(r.xstar), Array.from(c.xstar));
  assert.deepEqual(Array.from(r.qstar), Array.from(c.qstar));
  assert.match(r.summary(), /4 points/);
  assert.throws(() => FixedPoints.concatenate([]), /list/);
});

test('bad input throws clear errors', async () => {
  await initBackend({ print: false });
  const sys: StepSystem = { stateSize: 3, inputSize: 1, step: (h) => tf.tidy(() => tf.tanh(h)) };
  const f = new FixedPointFinder(sys, { progress: false, maxIters: 10 });
  // A bare flat array cannot say how many states it holds (24 numbers: 8 states of 3, or 3 of 8?): it needs its count.
  assert.throws(() => f.find(new Float32Array(24) as never), /initialStates: expected states as a tensor \[n, 3\], an array of rows or \{ values, count \}.*got a Float32Array of length 24/);
  assert.throws(() => f.find({ values: new Float32Array(24), count: 6 }), /initialStates: expected \{ values, count \} with count x 3 = 18 values, got 24 values/);
  assert.throws(() => f.find({ values: new Float32Array(24), count: 2.5 }), /initialStates\.count: expected an integer/);
  assert.throws(() => f.find([[0, 0]]), /initialStates\[0\]: expected a state of length 3/);
  assert.throws(() => f.find({ values: Float32Array.from([0, NaN, 0]), count: 1 }), /initialStates: expected finite values only, got NaN at flat index 1/);
  assert.throws(() => f.find({ values: new Float32Array(3), count: 1 }, [1, 2]), /inputs: expected one input of length 1/);
  assert.throws(() => f.sampleStates(new Float32Array(24) as never, 4, 0, 1), /states: expected a tensor \[\.\.\., 3\] or \{ values, count \}/);
  assert.throws(() => f.sampleStates({ values: new Float32Array(24), count: 6 }, 4, 0, 1), /states: expected \{ values, count \} with count x 3 = 18 values, got 24 values/);
  const bad: StepSystem = { stateSize: 3, inputSize: 1, step: (h) => tf.tidy(() => tf.concat([h, h], 1) as tf.Tensor2D) };
  assert.throws(() => new FixedPointFinder(bad, { progress: false }).find([[0, 0, 0]]), /step: expected a function mapping states \[n, 3\].*got output of shape \[2, 6\]/);
  assert.throws(() => new FixedPointFinder({ stateSize: 3 } as unknown as StepSystem), /system: expected/);
  assert.throws(() => new FixedPointFinder(sys, { tolQ: -1 }), /tolQ/);
});

test('sampleStates draws trajectory rows plus seeded noise; re-running q outliers lowers their q', async () => {
  await initBackend({ print: false });
  const sys: StepSystem = { stateSize: 2, inputSize: 0, step: (h) => tf.tidy(() => tf.mul(tf.tanh(h), 0.5) as tf.Tensor2D) };
  const f = new FixedPointFinder(sys, { progress: false, maxIters: 40, computeJacobians: false });
  const rows = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const sampled = f.sampleStates({ values: rows, count: 3 }, 50, 0, 1);
  assert.equal(sampled.count, 50);
  const exact = sampled.values;
  for (let i = 0; i < 50; i++) {
    const r = [0, 1, 2].find((k) => exact[2 * i] === rows[2 * k] && exact[2 * i + 1] === rows[2 * k + 1]);
    assert.ok(r !== undefined, `sample ${i} is one of the rows`);
  }
  const noisy = f.sampleStates(tf.tensor3d(rows, [1, 3, 2]), 50, 0.1, 1);
  assert.deepEqual(noisy, f.sampleStates({ values: rows, count: 3 }, 50, 0.1, 1), 'same seed, same samples (a tensor [trials, steps, S] or flat rows with their count)');
  assert.notDeepEqual(noisy.values, exact);
  // One far-away start makes a q outlier after 40 iterations; the re-run continues it.
  const x0 = { values: Float32Array.from([0.01, 0.02, -0.01, 0.03, 0.02, -0.02, 8, -9]), count: 4 };
  const once = new FixedPointFinder(sys, { progress: false, maxIters: 40, computeJacobians: false, acceptQ: 1e3, outlierDistance: Infinity, tolUnique: 0 }).find(x0);
  const again = new FixedPointFinder(sys, { progress: false, maxIters: 40, computeJacobians: false, acceptQ: 1e3, outlierDistance: Infinity, tolUnique: 0, rerunQOutliers: true }).find(x0);
  const worst = (r: typeof once) => Math.max(...r.fixedPoints.qstar);
  // 40 iterations leave the far start short of the stopping rule: the report counts it among the points short of it.
  const neverMet = [once.fixedPoints, once.notConverged, once.outliers].reduce((a, p) => a + p.nIters.filter((k) => k === 40).length, 0);
  assert.ok(neverMet >= 1);
  assert.equal(once.stoppedBy, 'iterations');
  assert.deepEqual({ ...once.convergence, residual: 0, measure: '' }, { iterations: 40, residual: 0, tolerance: 0, converged: false, measure: '' });
  assert.ok(once.convergence.residual >= neverMet && once.convergence.residual <= 4, `${once.convergence.residual} points short, ${neverMet} never met the rule`);
  assert.ok(worst(again) < worst(once), `max q ${worst(again).toExponential(2)} after the re-run vs ${worst(once).toExponential(2)}`);
});

test('Newton refinement takes built-in cells\' fixed points to the float64 floor', async () => {
  await initBackend({ print: false });
  const { createCell } = await import('../../lib/dynamics');
  const cell = createCell('vanilla', { units: 6, inputSize: 1, seed: 4, recurrentScale: 2 });
  const rng = new Rng(5);
  const x0 = { values: Float32Array.from({ length: 64 * 6 }, () => rng.normal() * 0.8), count: 64 };
  const plain = new FixedPointFinder(cell, { progress: false, maxIters: 3000, newtonSteps: 0 }).find(x0, [0]);
  const refined = new FixedPointFinder(cell, { progress: false, maxIters: 3000, newtonSteps: 10 }).find(x0, [0]);
  assert.ok(refined.fixedPoints.length >= plain.fixedPoints.length && refined.fixedPoints.length > 0);
  for (let i = 0; i < refined.fixedPoints.length; i++) {
    // q recomputed here from the float64 reference step, not taken from the result.
    const p = refined.fixedPoints.point(i);
    const F = cell.stepF64(p, Float64Array.of(0));
    const q = 0.5 * F.reduce((s, f, j) => s + (f - p[j]) ** 2, 0);
    assert.ok(q < 1e-26, `q = ${q.toExponential(2)} after Newton`);
  }
  const sys: StepSystem = { stateSize: 2, inputSize: 0, step: (h) => tf.tidy(() => tf.tanh(h)) };
  assert.throws(() => new FixedPointFinder(sys, { progress: false, maxIters: 5, newtonSteps: 2 }).find([[0, 0]]), /newtonSteps: expected 0 for systems without stepF64/);
  cell.dispose();
});

test('an interrupt stops the search at an iteration with the states of a run of exactly that many iterations', async () => {
  await initBackend({ print: false });
  const A = tf.tensor2d([[0.5, 0.2], [-0.1, 0.7]]);
  const b = tf.tensor1d([0.3, -0.4]);
  let calls = 0;
  // The interrupt is requested from inside the search (the step function's 10th call), as a callback would.
  const sys: StepSystem = { stateSize: 2, inputSize: 0, step: (h) => { if (++calls === 10) requestInterrupt(); return tf.tidy(() => tf.add(tf.matMul(h, A), b) as tf.Tensor2D); } };
  const x0 = [[3, -2]];
  const options = { progress: false, computeJacobians: false, tolQ: 0, tolDq: 0, acceptQ: 1e30, outlierDistance: Infinity, tolUnique: 0 };
  try {
    const e = (() => {
      try {
        new FixedPointFinder(sys, { ...options, maxIters: 1000 }).find(x0);
      } catch (x) {
        return x;
      }
    })() as InterruptedError<{ states: Float32Array; iterations: number; pointCount: number }>;
    assert.ok(e instanceof InterruptedError, String(e));
    const { states, iterations, pointCount } = e.partial;
    assert.equal(pointCount, 1);
    assert.ok(iterations > 0 && iterations < 20, `stopped at iteration ${iterations}`);
    assert.match(e.message, new RegExp(`FixedPointFinder.find was interrupted at iteration ${iterations} of at most 1000`));
    clearInterrupt();
    const ref = new FixedPointFinder(sys, { ...options, maxIters: iterations }).find(x0);
    assert.equal(ref.iterations, iterations);
    assert.deepEqual(Array.from(states), Array.from(ref.fixedPoints.point(0)));
  } finally {
    clearInterrupt();
    tf.dispose([A, b]);
  }
});

test('a linear RNN with an exact line attractor: every point found on the line is marginal, none stable or unstable', async () => {
  await initBackend({ print: false });
  // h' = h A^T with A = R^T diag(1, 0.6, 0.3) R: the line {c R[0]} is fixed, eigenvalue exactly 1 along it.
  // The Jacobian comes from float32 autodiff, so |lambda_1| = 1 only to ~1e-7: without the tolerance the
  // points would be called stable or unstable by rounding.
  const R = randomOrthogonal(3, 11);
  const d = [1, 0.6, 0.3];
  const A = R.map((_, i) => R.map((__, j) => d.reduce((s, dk, k) => s + R[k][i] * dk * R[k][j], 0)));
  const At = tf.tensor2d(A.map((row, i) => row.map((_, j) => A[j][i])));
  const sys: StepSystem = { stateSize: 3, inputSize: 0, step: (h) => tf.matMul(h, At) as tf.Tensor2D };
  const rng = new Rng(2);
  const x0 = { values: Float32Array.from({ length: 64 * 3 }, () => rng.uniformIn(-2, 2)), count: 64 };
  const r = new FixedPointFinder(sys, { progress: false, maxIters: 3000, tolUnique: 0.05 }).find(x0);
  const fp = r.fixedPoints;
  assert.ok(fp.length >= 10, `${fp.length} points along the line`);
  for (let i = 0; i < fp.length; i++) {
    // On the line: x* is parallel to R[0] (closed form), not only a q minimum.
    const p = fp.point(i);
    const along = p.reduce((s, v, a) => s + v * R[0][a], 0);
    const off = Math.hypot(...Array.from(p, (v, a) => v - along * R[0][a]));
    assert.ok(off < 1e-4, `point ${i} is ${off} off the line`);
    assert.ok(Math.abs(fp.eigenvalueMagnitudes(i)[0] - 1) < 1e-5);
  }
  assert.deepEqual(fp.stabilityCounts, { stable: 0, marginal: fp.length, unstable: 0 });
  assert.ok(fp.stabilityClass.every((c) => c === 'marginal'));
  assert.ok(Array.from(fp.numUnstable).every((k) => k === 0) && Array.from(fp.numMarginal).every((k) => k === 1));
  assert.ok(fp.isStable.every((s) => !s));
  // The 3-D figure data draws them as marginal, with no unstable-mode lines.
  const fig = fixedPointFigureData(fp, pca(x0.values, 3, 3));
  assert.deepEqual([fig.stable.x.length, fig.marginal.x.length, fig.unstable.x.length, fig.modeLines.length], [0, fp.length, 0, 0]);
  assert.match(fp.summary(), new RegExp(`stable: 0, marginal: ${fp.length}, unstable: 0 \\(marginal: \\| \\|lambda\\| - 1 \\| <= 0.00001\\)`));
  // The tolerance travels with the points (index, JSON) and can be changed: at 0.5 the 0.6 mode is marginal too.
  assert.equal(FixedPoints.fromJSON(JSON.parse(JSON.stringify(fp.toJSON()))).marginalTolerance, 1e-5);
  assert.deepEqual(Array.from(fp.withMarginalTolerance(0.5).numMarginal), new Array(fp.length).fill(2));
  // A fixed point with |lambda| = 1.3 beyond the tolerance is unstable; one at 0.6 stable.
  const decomposition = (mags: number[]) => ({ re: Float64Array.from(mags), im: new Float64Array(mags.length), rightRe: new Float64Array(mags.length ** 2), rightIm: new Float64Array(mags.length ** 2), leftRe: null, leftIm: null });
  const two = new FixedPoints({ ...fp.index([0, 1]), eigen: [decomposition([1.3, 1, 0.2]), decomposition([0.6, 0.5, 0.2])], jacobians: null, inputJacobians: null } as never);
  assert.deepEqual(two.stabilityClass, ['unstable', 'stable']);
  At.dispose();
});

test('asking an empty result for its stability names the real cause (no points), not computeJacobians', async () => {
  await initBackend({ print: false });
  // tanh(h) + 1 has no fixed point at all: every search point is rejected.
  const sys: StepSystem = { stateSize: 2, inputSize: 0, step: (h) => tf.tidy(() => tf.add(tf.tanh(h), 1) as tf.Tensor2D) };
  const r = new FixedPointFinder(sys, { progress: false, maxIters: 50 }).find([[0, 0], [1, 1]]);
  assert.equal(r.fixedPoints.length, 0);
  assert.equal(r.notConverged.length, 2);
  for (const get of [() => r.fixedPoints.isStable, () => r.fixedPoints.numUnstable, () => r.fixedPoints.stabilityCounts]) {
    assert.throws(get, (e: Error) => /holds no points/.test(e.message) && !/computeJacobians/.test(e.message));
  }
  // With points but no Jacobians the message is about computeJacobians.
  const lin: StepSystem = { stateSize: 2, inputSize: 0, step: (h) => tf.tidy(() => tf.mul(h, 0.5) as tf.Tensor2D) };
  const noJ = new FixedPointFinder(lin, { progress: false, maxIters: 2000, computeJacobians: false }).find([[1, 1]]);
  assert.equal(noJ.fixedPoints.length, 1);
  assert.throws(() => noJ.fixedPoints.isStable, /computeJacobians: false/);
});

/**
 * A GRU whose fixed points are known in closed form: no input, Whz = Whr = 0 (gates constant,
 * z = sigmoid(bz), r = sigmoid(br)), Whc = diag(w_i / r), b_c = 0. Then F_i(h) = z h_i + (1 - z) tanh(w_i h_i):
 * fixed points tanh(w_i h_i) = h_i (0 and +-h*_i per unit, 27 for 3 units) and a diagonal Jacobian
 * z + (1 - z) w_i (1 - h_i^2). With z = sigmoid(4) = 0.982 every mode is slow, as in a lightly trained GRU.
 */
function handBuiltGru(gains: readonly number[], bz: number, br: number) {
  const n = gains.length;
  const json = createCell('gru', { units: n, inputSize: 1, seed: 1 }).toJSON() as CellJSON;
  const r = 1 / (1 + Math.exp(-br));
  for (const [name, p] of Object.entries(json.params)) {
    p.values = p.values.map(() => 0);
    if (name === 'Whc') gains.forEach((w, i) => (p.values[i * n + i] = w / r));
    if (name === 'b.0') p.values = p.values.map(() => bz);
    if (name === 'b.1') p.values = p.values.map(() => br);
  }
  return cellFromJSON(json);
}

test('a hand-built GRU with 27 known fixed points: all found with default options, 8/12/6/1 by unstable modes', async () => {
  await initBackend({ print: false });
  const cell = handBuiltGru(W, 4, 0.5);
  const z = 1 / (1 + Math.exp(-4));
  const rng = new Rng(3);
  const x0 = { values: Float32Array.from({ length: 256 * 3 }, () => rng.uniformIn(-1.2, 1.2)), count: 256 };
  const finder = new FixedPointFinder(cell, { progress: false });
  // The default Newton steps: 20 for a built-in cell's fixed-point search, 0 for a slow-point search or a user's step.
  assert.equal(finder.options.newtonSteps, 20);
  assert.equal(new FixedPointFinder(cell, { acceptQ: 1e-8 }).options.newtonSteps, 0);
  assert.equal(new FixedPointFinder({ stateSize: 1, inputSize: 0, step: (h) => h }).options.newtonSteps, 0);
  const r = finder.find(x0, [0]);
  const fp = r.fixedPoints;
  assert.equal(fp.length, 27, fp.summary());
  const seen = new Set<string>();
  for (let i = 0; i < fp.length; i++) {
    const p = fp.point(i);
    // Each coordinate is 0 or +-h*_i (closed form), and the eigenvalues are z + (1 - z) w_i (1 - h_i^2).
    const key = Array.from(p, (v, a) => {
      const k = Math.abs(v) < 1e-6 ? 0 : Math.sign(v);
      assert.ok(Math.abs(v - k * HSTAR[a]) < 1e-6, `unit ${a}: ${v} vs ${k * HSTAR[a]}`);
      return k;
    }).join(',');
    seen.add(key);
    const expected = Array.from(p, (v, a) => z + (1 - z) * W[a] * (1 - v * v)).sort((a, b) => b - a);
    const mags = fp.eigenvalueMagnitudes(i);
    // 1e-6: the weights w_i / r are stored in float32.
    expected.forEach((e, j) => assert.ok(Math.abs(mags[j] - e) < 1e-6, `eigenvalue ${j}: ${mags[j]} vs ${e}`));
  }
  assert.equal(seen.size, 27);
  const counts = [0, 0, 0, 0];
  for (const k of fp.numUnstable) counts[k]++;
  assert.deepEqual(counts, [8, 12, 6, 1]);
  assert.deepEqual(fp.stabilityCounts, { stable: 8, marginal: 0, unstable: 19 });
  cell.dispose();
});
