/**
 * Lyapunov spectra against systems with known exponents: linear maps and
 * flows (log moduli / real parts of the eigenvalues), the Lorenz system
 * (published values), the Henon map, and the Chirikov standard map (area
 * preserving: the exponents sum to 0); the QR against an explicit
 * Gram-Schmidt; the two-trajectory lambda_1 against the QR's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterruptedError, clearInterrupt, requestInterrupt } from '../../lib/core';
import {
  DynamicalSystem, TangentSystem, entropyRate, kaplanYorkeDimension, largestExponentByTwoTrajectories, lyapunovSpectrum,
  tangentSystemFromMap, trajectory,
} from '../../lib/dynamics';

/** Dense matrix helpers for the hand-built systems (row-major n x n). */
function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r.reduce((s, v, p) => s + v * b[p][j], 0)));
}
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) if (r !== c) { const f = m[r][c]; for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j]; }
  }
  return m.map((r) => r.slice(n));
}

/** A = S B S^{-1}: B block-diagonal with a rotation-scaling pair r(cos w, -sin w; sin w, cos w) and real entries. */
function similar(r: number, w: number, reals: number[]): number[][] {
  const n = 2 + reals.length;
  const B = Array.from({ length: n }, () => new Array(n).fill(0));
  B[0][0] = r * Math.cos(w); B[0][1] = -r * Math.sin(w); B[1][0] = r * Math.sin(w); B[1][1] = r * Math.cos(w);
  reals.forEach((v, i) => { B[2 + i][2 + i] = v; });
  // a fixed, well-conditioned, non-orthogonal S
  const S = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : 0) + Math.sin(1 + 3 * i + 7 * j) * 0.6));
  return matmul(matmul(S, B), inverse(S));
}

function linearSystem(A: number[][], time: 'discrete' | 'continuous'): TangentSystem {
  const n = A.length;
  const apply = (x: ArrayLike<number>, out: Float64Array, off = 0) => {
    for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += A[i][j] * x[off + j]; out[off + i] = s; }
  };
  return {
    dim: n, time,
    evaluate: (x, out) => apply(x, out),
    tangent: (_x, V, k, out) => { for (let r = 0; r < k; r++) apply(V, out, r * n); },
  };
}

test('a linear map through the DynamicalSystem seam: exponents are the log moduli of its eigenvalues', () => {
  const A = similar(1.2, 0.7, [0.5, -0.3]);
  const n = A.length;
  const sys: DynamicalSystem = {
    stateSize: n, inputSize: 1,
    step: () => { throw new Error('tfjs step is not used'); },
    stepF64: (x) => Float64Array.from(A.map((r) => r.reduce((s, v, j) => s + v * x[j], 0))),
    jacobianF64: () => ({ dState: Float64Array.from(A.flat()), dInput: new Float64Array(n) }),
  };
  const r = lyapunovSpectrum(tangentSystemFromMap(sys), [1, 0, 0, 0], { time: 4000, progress: false, seed: 3 });
  const expected = [Math.log(1.2), Math.log(1.2), Math.log(0.5), Math.log(0.3)];
  expected.forEach((e, i) => assert.ok(Math.abs(r.exponents[i] - e) < 2e-3, `lambda_${i + 1} ${r.exponents[i]} vs ${e}`));
  // stepTime rescales to per-unit-time exponents
  const r2 = lyapunovSpectrum(tangentSystemFromMap(sys), [1, 0, 0, 0], { time: 400, stepTime: 0.1, progress: false, seed: 3 });
  assert.ok(Math.abs(r2.exponents[2] - Math.log(0.5) / 0.1) < 2e-2);
});

test('a linear flow: exponents are the real parts of its eigenvalues (RK4), leading k alone agree', () => {
  // eigenvalues 0.3 +- 2i, -0.5, -1.5
  const M = similar(Math.hypot(0.3, 2), Math.atan2(2, 0.3), [-0.5, -1.5]);
  const sys = linearSystem(M, 'continuous');
  const r = lyapunovSpectrum(sys, [1, 1, 0, 0], { time: 600, dt: 0.02, progress: false, frameTransient: 5 });
  [0.3, 0.3, -0.5, -1.5].forEach((e, i) => assert.ok(Math.abs(r.exponents[i] - e) < 3e-3, `lambda_${i + 1} ${r.exponents[i]} vs ${e}`));
  const lead = lyapunovSpectrum(sys, [1, 1, 0, 0], { k: 3, time: 600, dt: 0.02, progress: false, frameTransient: 5 });
  assert.equal(lead.exponents.length, 3);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(lead.exponents[i] - r.exponents[i]) < 3e-3);
});

const lorenz: TangentSystem = {
  dim: 3, time: 'continuous',
  evaluate: (x, o) => { o[0] = 10 * (x[1] - x[0]); o[1] = x[0] * (28 - x[2]) - x[1]; o[2] = x[0] * x[1] - (8 / 3) * x[2]; },
  tangent: (x, V, k, o) => {
    for (let r = 0; r < k; r++) {
      const v0 = V[3 * r], v1 = V[3 * r + 1], v2 = V[3 * r + 2];
      o[3 * r] = 10 * (v1 - v0);
      o[3 * r + 1] = (28 - x[2]) * v0 - v1 - x[0] * v2;
      o[3 * r + 2] = x[1] * v0 + x[0] * v1 - (8 / 3) * v2;
    }
  },
};

test('Lorenz (10, 28, 8/3): spectrum 0.9056, 0, -14.5723 to two digits; sum = -(sigma + 1 + beta); KY ~ 2.06', () => {
  const r = lyapunovSpectrum(lorenz, [1, 1, 20], { time: 600, dt: 0.01, transient: 20, frameTransient: 10, progress: false });
  // Published values (e.g. Sprott, Chaos and Time-Series Analysis, 2003): 0.9056, 0, -14.5723.
  assert.ok(Math.abs(r.exponents[0] - 0.9056) < 0.02, `lambda_1 ${r.exponents[0]}`);
  assert.ok(Math.abs(r.exponents[1]) < 0.01, `lambda_2 ${r.exponents[1]}`);
  assert.ok(Math.abs(r.exponents[2] + 14.5723) < 0.02, `lambda_3 ${r.exponents[2]}`);
  const sum = r.exponents[0] + r.exponents[1] + r.exponents[2];
  assert.ok(Math.abs(sum + (10 + 1 + 8 / 3)) < 1e-3, `sum ${sum}`);
  assert.ok(Math.abs(r.kaplanYorke - 2.062) < 0.003, `KY ${r.kaplanYorke}`);
  assert.ok(Math.abs(r.entropyRate - r.exponents[0]) < 0.01);
  assert.ok(r.standardErrors[0] > 0 && r.standardErrors[0] < 0.05);
  assert.equal(r.running.estimates.at(-1)![0], r.exponents[0]);
  // direct simulation of two nearby trajectories, no Jacobian
  const d = largestExponentByTwoTrajectories(lorenz, [1, 1, 20], { time: 600, dt: 0.01, transient: 20, directionTransient: 10, renormalizeEvery: 10 });
  assert.ok(Math.abs(d.lambda1 - r.exponents[0]) < 4 * Math.hypot(d.standardError, r.standardErrors[0]) + 0.01, `two-trajectory ${d.lambda1} vs QR ${r.exponents[0]}`);
  assert.ok(Math.abs(d.lambda1 - 0.9056) < 0.03);
});

test('Henon map (1.4, 0.3): lambda_1 = 0.4192, lambda_1 + lambda_2 = log 0.3', () => {
  const henon: TangentSystem = {
    dim: 2, time: 'discrete',
    evaluate: (x, o) => { o[0] = 1 - 1.4 * x[0] * x[0] + x[1]; o[1] = 0.3 * x[0]; },
    tangent: (x, V, k, o) => { for (let r = 0; r < k; r++) { const a = V[2 * r], b = V[2 * r + 1]; o[2 * r] = -2.8 * x[0] * a + b; o[2 * r + 1] = 0.3 * a; } },
  };
  const r = lyapunovSpectrum(henon, [0.1, 0.1], { time: 60000, transient: 1000, frameTransient: 100, progress: false });
  assert.ok(Math.abs(r.exponents[0] - 0.41922) < 3e-3, `lambda_1 ${r.exponents[0]}`);
  assert.ok(Math.abs(r.exponents[0] + r.exponents[1] - Math.log(0.3)) < 1e-9);
});

test('Chirikov standard map (Hamiltonian, area preserving): the exponents sum to 0, lambda_1 > 0 in the chaotic sea', () => {
  const K = 6;
  const standard: TangentSystem = {
    dim: 2, time: 'discrete',
    // p' = p + K sin(theta), theta' = theta + p' (unwrapped: the Jacobian does not see the torus)
    evaluate: (x, o) => { const p = x[1] + K * Math.sin(x[0]); o[0] = x[0] + p; o[1] = p; },
    tangent: (x, V, k, o) => {
      const c = K * Math.cos(x[0]);
      for (let r = 0; r < k; r++) { const a = V[2 * r], b = V[2 * r + 1]; o[2 * r + 1] = c * a + b; o[2 * r] = a + c * a + b; }
    },
  };
  const r = lyapunovSpectrum(standard, [0.5, 0.3], { time: 20000, progress: false });
  assert.ok(Math.abs(r.exponents[0] + r.exponents[1]) < 1e-10, `sum ${r.exponents[0] + r.exponents[1]}`);
  assert.ok(r.exponents[0] > 0.8 && r.exponents[0] < 1.3, `lambda_1 ${r.exponents[0]} (about log(K/2) = ${Math.log(K / 2).toFixed(3)})`);
});

test('Kaplan-Yorke dimension and entropy rate by hand', () => {
  assert.ok(Math.abs(kaplanYorkeDimension([0.9056, 0, -14.5723]) - (2 + 0.9056 / 14.5723)) < 1e-12);
  assert.equal(kaplanYorkeDimension([-0.1, -1]), 0);
  assert.ok(Math.abs(kaplanYorkeDimension([1, 0.5, -1, -2]) - (3 + 0.5 / 2)) < 1e-12);
  assert.equal(kaplanYorkeDimension([1, 0.5]), 2); // too short: a lower bound
  assert.equal(entropyRate([1, 0.5, -1, -2]), 1.5);
});

test('trajectory samples a flow at the requested times (exponential decay)', () => {
  const sys = linearSystem([[-1]], 'continuous');
  const t = trajectory(sys, [1], { time: 2, dt: 0.01, sampleEvery: 0.5, transient: 1 });
  assert.equal(t.samples, 5);
  for (let s = 0; s < 5; s++) assert.ok(Math.abs(t.states[s] - Math.exp(-(1 + 0.5 * s))) < 1e-9);
  // onProgress: whole percents, increasing, ending at 1 (300 steps: transient 100, then 4 x 50).
  const seen: number[] = [];
  trajectory(sys, [1], { time: 2, dt: 0.01, sampleEvery: 0.5, transient: 1, onProgress: (f) => seen.push(f) });
  assert.equal(seen.at(-1), 1);
  assert.ok(seen.every((f, i) => i === 0 || f > seen[i - 1]), JSON.stringify(seen));
  assert.ok(seen.length >= 30 && seen.length <= 100, String(seen.length));
  assert.ok(Math.abs(seen[0] - 0.01) < 1e-12);
});

test('bad arguments name themselves; an interrupt stops with the partial estimate', () => {
  const sys = linearSystem([[0.5]], 'continuous');
  assert.throws(() => lyapunovSpectrum(sys, [1], { time: 1, progress: false }), /dt/);
  assert.throws(() => lyapunovSpectrum(sys, [1, 2], { time: 1, dt: 0.1, progress: false }), /x0/);
  assert.throws(() => lyapunovSpectrum(sys, [1], { time: 1, dt: 0.1, k: 2, progress: false }), /\bk\b/);
  requestInterrupt();
  try {
    assert.throws(() => lyapunovSpectrum(sys, [1], { time: 1, dt: 0.1, progress: false }), (e: unknown) => e instanceof InterruptedError);
  } finally {
    clearInterrupt();
  }
});

test('initialFrame continues a run: two halves from the saved state and frame average to the whole run', () => {
  const henon: TangentSystem = {
    dim: 2, time: 'discrete',
    evaluate: (x, o) => { o[0] = 1 - 1.4 * x[0] * x[0] + x[1]; o[1] = 0.3 * x[0]; },
    tangent: (x, V, k, o) => { for (let r = 0; r < k; r++) { const a = V[2 * r], b = V[2 * r + 1]; o[2 * r] = -2.8 * x[0] * a + b; o[2 * r + 1] = 0.3 * a; } },
  };
  const whole = lyapunovSpectrum(henon, [0.1, 0.1], { time: 2000, transient: 100, progress: false, seed: 4 });
  const first = lyapunovSpectrum(henon, [0.1, 0.1], { time: 1000, transient: 100, progress: false, seed: 4 });
  const second = lyapunovSpectrum(henon, first.state, { time: 1000, initialFrame: first.frame, progress: false });
  for (let i = 0; i < 2; i++) assert.ok(Math.abs((first.exponents[i] + second.exponents[i]) / 2 - whole.exponents[i]) < 1e-9);
  assert.throws(() => lyapunovSpectrum(henon, [0.1, 0.1], { time: 10, initialFrame: [1, 0, 0], progress: false }), /initialFrame/);
});
