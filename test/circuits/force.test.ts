/**
 * General rate networks, couplings, RLS and FORCE: the integrators' orders on a
 * linear system with a closed-form solution; sparse and low-rank couplings
 * against the explicit matrix; Euler-Maruyama's stationary variance against
 * its closed form; RLS against batch least squares and the shared P against
 * per-row RLS; FORCE learning a sinusoid on fixed seeds; errors naming the
 * argument.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, lstsq, symEig } from '../../lib/core';
import {
  DenseCoupling, LowRankPlusDenseCoupling, RandomRateNetwork, RateNetwork, Readout, RecursiveLeastSquares, forceRun, fullForceRun, normalizedError,
  sparseRandomCoupling, type Integrator,
} from '../../lib/circuits';

// A 2-unit ReLU network whose state stays positive, so phi(x) = x and dx/dt = A x + b with A = J - I
// (symmetric, Metzler: off-diagonals >= 0 keep x > 0). Closed form x(t) = x* + V e^(Lambda t) V^T (x0 - x*).
const J2 = [[0.3, 0.4], [0.4, -0.2]];
const b = [1, 1];
const x0 = [1, 2];
function exact(t: number): number[] {
  const A = [[J2[0][0] - 1, J2[0][1]], [J2[1][0], J2[1][1] - 1]];
  const det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
  const xs = [-(A[1][1] * b[0] - A[0][1] * b[1]) / det, -(-A[1][0] * b[0] + A[0][0] * b[1]) / det];
  const { values, vectors } = symEig(A);
  const d = [x0[0] - xs[0], x0[1] - xs[1]];
  const out = [...xs];
  for (let k = 0; k < 2; k++) {
    const v = [vectors.get(0, k), vectors.get(1, k)];
    const c = (v[0] * d[0] + v[1] * d[1]) * Math.exp(values[k] * t);
    out[0] += c * v[0];
    out[1] += c * v[1];
  }
  return out;
}

function integrate(scheme: Integrator, dt: number, T: number, J = J2): number[] {
  const net = new RateNetwork({ coupling: new DenseCoupling(J), nonlinearity: 'relu', inputWeights: Float64Array.from([1, 0, 0, 1]), inputs: 2 });
  const x = Float64Array.from(x0);
  const steps = Math.round(T / dt);
  for (let s = 0; s < steps; s++) net.step(x, { dt, scheme, input: b });
  return Array.from(x);
}

test('integrators: Euler has order 1, RK4 order 4, exponential Euler order 1 and exact for a constant drive (closed form)', () => {
  const T = 2, want = exact(T);
  const err = (scheme: Integrator, dt: number) => { const x = integrate(scheme, dt, T); return Math.hypot(x[0] - want[0], x[1] - want[1]); };
  const order = (scheme: Integrator, dt: number) => Math.log2(err(scheme, dt) / err(scheme, dt / 2));
  for (const dt of [0.1, 0.05]) {
    assert.ok(Math.abs(order('euler', dt) - 1) < 0.1, `Euler order at dt ${dt}: ${order('euler', dt)}`);
    assert.ok(Math.abs(order('exponential-euler', dt) - 1) < 0.1, `exponential Euler order at dt ${dt}: ${order('exponential-euler', dt)}`);
    assert.ok(Math.abs(order('rk4', dt) - 4) < 0.15, `RK4 order at dt ${dt}: ${order('rk4', dt)}`);
  }
  assert.ok(err('rk4', 0.05) < 1e-7);
  // J = 0: dx/dt = -x + b, so x(t) = b + (x0 - b) e^-t, and exponential Euler is exact at any step
  const x = integrate('exponential-euler', 0.5, 2, [[0, 0], [0, 0]]);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(x[i] - (b[i] + (x0[i] - b[i]) * Math.exp(-2))) < 1e-14);
});

test('sparse and low-rank-plus-dense couplings give the explicit matrix\'s product; the dense one shares RandomRateNetwork\'s J', () => {
  const N = 40, rng = new Rng(3);
  const r = rng.normalArray(N, 0, 1, 'float64') as Float64Array;
  const explicit = (M: Float64Array) => Array.from({ length: N }, (_, i) => { let s = 0; for (let j = 0; j < N; j++) s += M[i * N + j] * r[j]; return s; });
  const sp = sparseRandomCoupling({ N, p: 0.2, g: 1.5, seed: 4 });
  const out = new Float64Array(N);
  sp.apply(r, out);
  explicit(sp.toDense()).forEach((v, i) => assert.ok(Math.abs(out[i] - v) < 1e-13));
  assert.ok(sp.nonzeros > 0.1 * N * N && sp.nonzeros < 0.3 * N * N);
  // entries: variance g^2 / (p N) for the stored ones
  let s2 = 0;
  for (const v of sp.values) s2 += v * v;
  assert.ok(Math.abs(s2 / sp.nonzeros / (1.5 ** 2 / (0.2 * N)) - 1) < 0.15);

  const D = rng.normalArray(N * N, 0, 0.1, 'float64') as Float64Array, rank = 3;
  const U = rng.normalArray(N * rank, 0, 1, 'float64') as Float64Array, V = rng.normalArray(N * rank, 0, 1, 'float64') as Float64Array;
  const full = Float64Array.from(D);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let k = 0; k < rank; k++) full[i * N + j] += U[i * rank + k] * V[j * rank + k];
  const lr = new LowRankPlusDenseCoupling(D, U, V, rank);
  out.fill(1);
  lr.apply(r, out, true);
  explicit(full).forEach((v, i) => assert.ok(Math.abs(out[i] - 1 - v) < 1e-12));

  const net = new RandomRateNetwork({ N, g: 2, seed: 1 });
  assert.equal(net.coupling().J, net.J);
});

test('Euler-Maruyama noise: seeded, and the stationary variance of dx = -x dt + sigma dW is sigma^2 / (2 - dt) per step', () => {
  const N = 2000, sigma = 0.7, dt = 0.1;
  const net = new RateNetwork({ coupling: new DenseCoupling(new Float64Array(N * N), N), noise: sigma, seed: 9 });
  const x = new Float64Array(N);
  let sum = 0, sum2 = 0, n = 0;
  for (let s = 0; s < 600; s++) {
    net.step(x, { dt, scheme: 'euler' });
    if (s >= 100 && s % 10 === 0) for (let i = 0; i < N; i++) { sum += x[i]; sum2 += x[i] * x[i]; n++; }
  }
  const variance = sum2 / n - (sum / n) ** 2;
  assert.ok(Math.abs(variance / (sigma * sigma / (2 - dt)) - 1) < 0.03, `variance ${variance}`);
  const again = new RateNetwork({ coupling: new DenseCoupling(new Float64Array(4 * 4), 4), noise: sigma, seed: 9 });
  const once = new RateNetwork({ coupling: new DenseCoupling(new Float64Array(4 * 4), 4), noise: sigma, seed: 9 });
  const a = new Float64Array(4), c = new Float64Array(4);
  again.step(a, { dt, scheme: 'exponential-euler' });
  once.step(c, { dt, scheme: 'exponential-euler' });
  assert.deepEqual(a, c);
  assert.throws(() => again.step(a, { dt, scheme: 'rk4' }), /scheme/);
});

test('RLS equals batch least squares (data stacked over sqrt(alpha) I) to float64 precision; P = (alpha I + R^T R)^-1; shared P = per-row RLS', () => {
  const N = 8, T = 40, rows = 3, alpha = 0.5, rng = new Rng(11);
  const R = Array.from({ length: T }, () => Array.from({ length: N }, () => rng.uniformIn(-1, 1)));
  const F = Array.from({ length: T }, () => Array.from({ length: rows }, () => rng.normal()));
  const shared = new RecursiveLeastSquares({ N, alpha, symmetrizeEvery: 7 });
  const W = new Float64Array(rows * N);
  const single = Array.from({ length: rows }, () => ({ rls: new RecursiveLeastSquares({ N, alpha, symmetrizeEvery: 7 }), w: new Float64Array(N) }));
  for (let t = 0; t < T; t++) {
    const r = Float64Array.from(R[t]);
    shared.update(r, [{ W, rows, target: F[t] }]);
    single.forEach((s, m) => s.rls.update(r, [{ W: s.w, rows: 1, target: [F[t][m]] }]));
  }
  const A = [...R, ...Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => (i === j ? Math.sqrt(alpha) : 0)))];
  for (let m = 0; m < rows; m++) {
    const w = lstsq(A, [...F.map((f) => f[m]), ...new Array(N).fill(0)]);
    for (let j = 0; j < N; j++) {
      assert.ok(Math.abs(W[m * N + j] - w.get(j, 0)) < 1e-12 * Math.max(1, Math.abs(w.get(j, 0))), `row ${m}, ${j}: ${W[m * N + j]} vs ${w.get(j, 0)}`);
      assert.ok(Math.abs(single[m].w[j] - W[m * N + j]) < 1e-14);
    }
  }
  // P against the explicit inverse: (alpha I + R^T R) P = I
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < N; k++) {
      let g = i === k ? alpha : 0;
      for (let t = 0; t < T; t++) g += R[t][i] * R[t][k];
      s += g * shared.P[k * N + j];
    }
    assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
  }
});

/** FORCE on sin(2 pi t / 50): N = 300, sparse p = 0.1, g = 1.5, Euler dt 0.1, RLS every 2 steps, alpha 1. */
function forceSine(seed: number): { train: number; test: number } {
  const N = 300, dt = 0.1, trainSteps = 5000, testSteps = 3000;
  const f = (t: number) => Math.sin((2 * Math.PI * t * dt) / 50);
  const rng = new Rng(seed + 1000);
  const net = new RateNetwork({
    coupling: sparseRandomCoupling({ N, p: 0.1, g: 1.5, seed }), readout: new Readout(1, N), feedbackWeights: rng.uniformArray(N, -1, 1, 'float64') as Float64Array,
  });
  const x = rng.normalArray(N, 0, 0.5, 'float64') as Float64Array;
  const target = Float64Array.from({ length: trainSteps }, (_, t) => f(t));
  const tr = forceRun(net, x, { dt, steps: trainSteps, target, rls: new RecursiveLeastSquares({ N, alpha: 1 }), learnEvery: 2 });
  const testTarget = Float64Array.from({ length: testSteps }, (_, t) => f(trainSteps + t));
  const te = forceRun(net, x, { dt, steps: testSteps, target: testTarget });
  return { train: normalizedError(tr.outputs.subarray(trainSteps - 500), target.subarray(trainSteps - 500)), test: normalizedError(te.outputs, testTarget) };
}

test('FORCE learns a sinusoid: test error < 1% of the target power after 500 tau of training, seeds 1-3 (N = 300)', () => {
  for (const seed of [1, 2, 3]) {
    const e = forceSine(seed);
    assert.ok(e.test < 1, `seed ${seed}: test error ${e.test}% (late training ${e.train}%)`);
  }
});

test('full-FORCE learns a sinusoid from its teacher (N = 100, seeds 1-2: test error < 1%); a teacher-forced learner copies the teacher\'s state', () => {
  const N = 100, dt = 0.1, trainSteps = 4000, testSteps = 2000;
  const f = (t: number) => Math.sin((2 * Math.PI * t * dt) / 20);
  for (const seed of [1, 2]) {
    const rng = new Rng(seed + 1000);
    const teacher = new RateNetwork({ coupling: new RandomRateNetwork({ N, g: 1.5, seed }).coupling(), inputWeights: rng.uniformArray(N, -1, 1, 'float64') as Float64Array, inputs: 1 });
    const learner = new RateNetwork({ coupling: new DenseCoupling(new Float64Array(N * N), N), readout: new Readout(1, N) });
    const xT = rng.normalArray(N, 0, 1, 'float64') as Float64Array, xL = Float64Array.from(xT);
    const target = Float64Array.from({ length: trainSteps }, (_, t) => f(t));
    const forced = fullForceRun(teacher, learner, xT, xL, { dt, steps: 200, target: target.subarray(0, 200), teacherInputs: target.subarray(0, 200), teacherForced: true, scheme: 'exponential-euler' });
    assert.equal(forced.updates, 0);
    for (let i = 0; i < N; i++) assert.ok(Math.abs(xT[i] - xL[i]) < 1e-12, 'forced learner = teacher');
    fullForceRun(teacher, learner, xT, xL, { dt, steps: trainSteps, target, teacherInputs: target, rls: new RecursiveLeastSquares({ N }), learnProbability: 0.5, seed });
    const testTarget = Float64Array.from({ length: testSteps }, (_, t) => f(trainSteps + 200 + t));
    const te = fullForceRun(teacher, learner, xT, xL, { dt, steps: testSteps, target: testTarget, teacherInputs: testTarget });
    const e = normalizedError(te.outputs, testTarget);
    assert.ok(e < 1, `seed ${seed}: full-FORCE test error ${e}%`);
  }
});

test('bad input: a non-square coupling, a negative time step, NaN targets get errors naming the argument', () => {
  assert.throws(() => new DenseCoupling([[1, 2, 3], [4, 5, 6]]), /J.*square/);
  assert.throws(() => new DenseCoupling(new Float64Array(12)), /J.*square/);
  assert.throws(() => new DenseCoupling(new Float64Array(12), 3), /J/);
  const net = new RateNetwork({ coupling: new DenseCoupling([[0, 1], [1, 0]]), readout: new Readout(1, 2), feedbackWeights: Float64Array.from([1, 1]) });
  const x = new Float64Array(2);
  assert.throws(() => net.step(x, { dt: -0.1, scheme: 'euler' }), /dt/);
  assert.throws(() => net.step(x, { dt: 0.1, scheme: 'midpoint' as Integrator }), /scheme/);
  const target = Float64Array.from([0.1, NaN, 0.2]);
  assert.throws(() => forceRun(net, x, { dt: 0.1, steps: 3, target, rls: new RecursiveLeastSquares({ N: 2 }) }), /target/);
  assert.throws(() => new RecursiveLeastSquares({ N: 2 }).update(Float64Array.from([1, 2]), [{ W: new Float64Array(2), rows: 1, target: [NaN] }]), /target/);
  assert.throws(() => new RecursiveLeastSquares({ N: 2, alpha: 0 }), /alpha/);
  assert.throws(() => new RateNetwork({ coupling: new DenseCoupling([[0, 1], [1, 0]]), feedbackWeights: Float64Array.from([1, 1]) }), /feedbackWeights/);
  assert.throws(() => new RateNetwork({ coupling: new DenseCoupling([[0, 1], [1, 0]]), readout: new Readout(1, 3) }), /readout/);
});
