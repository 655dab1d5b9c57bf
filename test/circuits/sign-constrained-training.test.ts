/**
 * lib/circuits/sign-constrained-training: the batched sign-constrained fit against a brute-force active-set
 * enumeration on small problems and against the KKT conditions on a larger one; the accumulated statistics
 * (forgetting factor, relative error) against direct sums; the training loop's signs at every interval and
 * its recovery of a sign-consistent teacher.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import { SignConstrainedFit, signViolations, trainByTarget } from '../../lib/circuits';

const randomProblem = (T: number, n: number, M: number, seed: number) => {
  const rng = new Rng(seed);
  const R = Float64Array.from({ length: T * n }, () => rng.normal() + 0.5);
  const H = Float64Array.from({ length: T * M }, () => rng.normal());
  return { R, H };
};

/** Solves the k x k system A x = b (Gaussian elimination with partial pivoting), independent of lib/core. */
const solveSmall = (A: number[][], b: number[]): number[] => {
  const k = b.length, a = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = c + 1; r < k; r++) { const f = a[r][c] / a[c][c]; for (let q = c; q <= k; q++) a[r][q] -= f * a[c][q]; }
  }
  const x = new Array(k).fill(0);
  for (let r = k - 1; r >= 0; r--) { let s = a[r][k]; for (let q = r + 1; q < k; q++) s -= a[r][q] * x[q]; x[r] = s / a[r][r]; }
  return x;
};

/** Direct normal equations from the samples: G = R^T R / T + lambda I, c_i = sum_t h_i r / T. */
const direct = (R: Float64Array, H: Float64Array, T: number, n: number, M: number, ridge: number) => {
  const G = Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => { let s = 0; for (let t = 0; t < T; t++) s += R[t * n + a] * R[t * n + b]; return s / T + (a === b ? ridge : 0); }));
  const C = Array.from({ length: M }, (_, i) => Array.from({ length: n }, (_, a) => { let s = 0; for (let t = 0; t < T; t++) s += H[t * M + i] * R[t * n + a]; return s / T; }));
  return { G, C };
};

test('the batched fit equals a brute-force active-set solution on small problems', () => {
  for (const seed of [1, 2, 3]) {
    const n = 6, M = 5, T = 25, ridge = seed === 1 ? 0 : 0.05;
    const signs = [1, 1, 1, -1, -1, 0];
    const { R, H } = randomProblem(T, n, M, seed);
    const fit = new SignConstrainedFit({ inputs: n, outputs: M, signs, ridge });
    fit.accumulate(R, H, T);
    const W = fit.solve();
    assert.equal(W.convergence.converged, true);
    const { G, C } = direct(R, H, T, n, M, ridge);
    const constrained = [0, 1, 2, 3, 4];
    for (let i = 0; i < M; i++) {
      // every subset of the constrained coefficients held at 0; the rest solve the unconstrained equations
      let best = Infinity, bestW: number[] = [];
      for (let mask = 0; mask < 1 << constrained.length; mask++) {
        const F = [...constrained.filter((_, q) => !(mask & (1 << q))), 5];
        const wF = solveSmall(F.map((a) => F.map((b) => G[a][b])), F.map((a) => C[i][a]));
        if (F.some((a, q) => signs[a] * wF[q] < -1e-12)) continue;
        const w = new Array(n).fill(0);
        F.forEach((a, q) => (w[a] = wF[q]));
        let obj = 0;
        for (let a = 0; a < n; a++) { obj -= C[i][a] * w[a]; for (let b = 0; b < n; b++) obj += 0.5 * w[a] * G[a][b] * w[b]; }
        if (obj < best - 1e-14) { best = obj; bestW = w; }
      }
      for (let a = 0; a < n; a++) assert.ok(Math.abs(W[i * n + a] - bestW[a]) < 1e-9, `seed ${seed} row ${i} coefficient ${a}: ${W[i * n + a]} vs ${bestW[a]}`);
    }
  }
});

test('the solution satisfies the KKT conditions (n = 60 inputs, M = 40 outputs)', () => {
  const n = 60, M = 40, T = 200;
  const signs = Array.from({ length: n }, (_, j) => (j < 45 ? 1 : -1));
  const { R, H } = randomProblem(T, n, M, 7);
  const fit = new SignConstrainedFit({ inputs: n, outputs: M, signs, ridge: 0.01 });
  fit.accumulate(R, H, T);
  const W = fit.solve();
  const { G, C } = direct(R, H, T, n, M, 0.01);
  let active = 0;
  for (let i = 0; i < M; i++) {
    for (let a = 0; a < n; a++) {
      let g = -C[i][a];
      for (let b = 0; b < n; b++) g += G[a][b] * W[i * n + b];
      const w = W[i * n + a];
      assert.ok(signs[a] * w >= 0, 'primal feasibility');
      if (w !== 0) assert.ok(Math.abs(g) < 1e-9, `stationarity on the passive set: ${g}`);
      else { active++; assert.ok(signs[a] * g >= -1e-9, `dual feasibility: ${signs[a] * g}`); }
    }
  }
  assert.ok(active > 0 && active < n * M, `the constraints bind for some but not all coefficients (${active})`);
  assert.equal(signViolations(W, signs), 0);
});

test('accumulate with a forgetting factor weights the old sums; relativeError equals the direct residual', () => {
  const n = 4, M = 3, T = 10, f = 0.5;
  const a = randomProblem(T, n, M, 11), b = randomProblem(T, n, M, 12);
  const fit = new SignConstrainedFit({ inputs: n, outputs: M, signs: [1, 1, -1, 0], forgetting: f });
  fit.accumulate(a.R, a.H, T);
  fit.accumulate(b.R, b.H, T);
  assert.equal(fit.samples, f * T + T);
  const { G, C } = fit.normalEquations();
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += f * a.R[t * n + p] * a.R[t * n + q] + b.R[t * n + p] * b.R[t * n + q];
    assert.ok(Math.abs(G[p * n + q] - s / (f * T + T)) < 1e-12);
  }
  const W = fit.solve();
  let err = 0, tot = 0;
  for (const [w, d] of [[f, a], [1, b]] as const) {
    for (let t = 0; t < T; t++) for (let i = 0; i < M; i++) {
      let z = 0;
      for (let p = 0; p < n; p++) z += W[i * n + p] * d.R[t * n + p];
      err += w * (z - d.H[t * M + i]) ** 2;
      tot += w * d.H[t * M + i] ** 2;
    }
  }
  assert.ok(Math.abs(fit.relativeError(W) - err / tot) < 1e-10);
  assert.ok(C.length === M * n);
  // a warm start from the solution gives the same solution in zero pivoting rounds
  const again = fit.solve(Float64Array.from(W));
  assert.deepEqual(Array.from(again), Array.from(W));
  assert.equal(again.convergence.iterations, 0);
});

test('trainByTarget: signs hold at every interval and a sign-consistent teacher is recovered', () => {
  const n = 30, M = 20, NE = 24, T = 50;
  const signs = Array.from({ length: n }, (_, j) => (j < NE ? 1 : -1));
  const rng = new Rng(5);
  // teacher weights obeying the signs, some exactly 0
  const Wt = Float64Array.from({ length: M * n }, (_, k) => (rng.uniform() < 0.3 ? 0 : signs[k % n] * rng.uniform()));
  let calls = 0;
  const collect = () => {
    calls++;
    const R = Float64Array.from({ length: T * n }, () => rng.uniform() * 2);
    const H = new Float64Array(T * M);
    for (let t = 0; t < T; t++) for (let i = 0; i < M; i++) { let s = 0; for (let j = 0; j < n; j++) s += Wt[i * n + j] * R[t * n + j]; H[t * M + i] = s; }
    return { R, H, T };
  };
  const applied: number[] = [];
  const fit = new SignConstrainedFit({ inputs: n, outputs: M, signs });
  const res = trainByTarget({ fit, intervals: 3, collect, apply: (_W, k) => applied.push(k) });
  assert.equal(calls, 3);
  assert.deepEqual(applied, [0, 1, 2]);
  for (const r of res.records) assert.equal(r.signViolations, 0);
  for (let k = 0; k < Wt.length; k++) assert.ok(Math.abs(res.W[k] - Wt[k]) < 1e-8, `coefficient ${k}: ${res.W[k]} vs ${Wt[k]}`);
  assert.ok(res.records[2].relativeError < 1e-16);
  // a teacher that breaks the signs: the fit cannot follow, but its weights still keep them
  const Wbad = Float64Array.from(Wt, (v, k) => (k % n === 0 ? -1 : v));
  const fit2 = new SignConstrainedFit({ inputs: n, outputs: M, signs });
  const R = Float64Array.from({ length: T * n }, () => rng.uniform() * 2);
  const H = new Float64Array(T * M);
  for (let t = 0; t < T; t++) for (let i = 0; i < M; i++) { let s = 0; for (let j = 0; j < n; j++) s += Wbad[i * n + j] * R[t * n + j]; H[t * M + i] = s; }
  const res2 = trainByTarget({ fit: fit2, intervals: 1, collect: () => ({ R, H, T }) });
  assert.equal(res2.records[0].signViolations, 0);
  assert.ok(res2.records[0].relativeError > 1e-4);
  for (let i = 0; i < M; i++) assert.equal(res2.W[i * n], 0); // the excitatory column the teacher made negative sits at its bound
});

test('signViolations counts coefficients against their column sign', () => {
  assert.equal(signViolations([1, -1, 0, -2, 3, 5], [1, -1, 0]), 2); // row 2: -2 under +1 is wrong, 3 under -1 is wrong
});
