/**
 * Logistic regression (lib/core logistic.ts) against independent answers:
 * - one binary feature, no penalty: the closed form sigmoid(c) = mean(y | x = 0), sigmoid(w + c) = mean(y | x = 1);
 * - a random sparse problem with a penalty: Newton's method on the explicit Hessian, written here, in float64;
 * - decisions are X w + c computed by hand; malformed rows and labels throw naming the argument.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng, SparseRows, logisticDecision, logisticRegression } from '../../lib/core';

const logit = (p: number) => Math.log(p / (1 - p));

function csr(dense: number[][]): SparseRows {
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const row of dense) {
    row.forEach((v, j) => { if (v !== 0) { indices.push(j); values.push(v); } });
    indptr.push(indices.length);
  }
  return { rows: dense.length, cols: dense[0].length, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

test('one binary feature without penalty: the closed-form maximum-likelihood fit', () => {
  // x = 0: 3 of 10 positive; x = 1: 8 of 10 positive.
  const x = [...new Array(10).fill(0), ...new Array(10).fill(1)];
  const y = [...[1, 1, 1], ...new Array(7).fill(0), ...new Array(8).fill(1), 0, 0];
  const fit = logisticRegression(csr(x.map((v) => [v])), y, { l2: 0, tolerance: 1e-10 });
  assert.ok(fit.converged);
  assert.ok(Math.abs(fit.bias - logit(0.3)) < 1e-8, `bias ${fit.bias} vs ${logit(0.3)}`);
  assert.ok(Math.abs(fit.weights[0] - (logit(0.8) - logit(0.3))) < 1e-8, `weight ${fit.weights[0]}`);
});

test('a penalised sparse problem: equal to Newton\'s method on the explicit Hessian', () => {
  const rng = new Rng(3);
  const m = 200;
  const d = 6;
  const dense = Array.from({ length: m }, () => Array.from({ length: d }, () => (rng.uniform() < 0.4 ? Math.floor(1 + 3 * rng.uniform()) : 0)));
  const truth = [1.5, -2, 0.5, 0, -0.7, 1];
  const y = dense.map((r) => (rng.uniform() < 1 / (1 + Math.exp(-(r.reduce((s, v, j) => s + v * truth[j], -0.3)))) ? 1 : 0));
  const l2 = 0.05;
  const fit = logisticRegression(csr(dense), y, { l2, tolerance: 1e-8 });
  assert.ok(fit.converged, `converged (max |g| ${fit.gradientNorm})`);
  // Newton: theta = [w, c]; H = (1/m) sum p(1-p) x~ x~^T + l2 diag(1..1, 0).
  const n = d + 1;
  let th = new Array(n).fill(0);
  for (let it = 0; it < 30; it++) {
    const g = new Array(n).fill(0);
    const H = Array.from({ length: n }, () => new Array(n).fill(0));
    dense.forEach((r, i) => {
      const xt = [...r, 1];
      const p = 1 / (1 + Math.exp(-xt.reduce((s, v, j) => s + v * th[j], 0)));
      for (let a = 0; a < n; a++) {
        g[a] += ((p - y[i]) * xt[a]) / m;
        for (let b = 0; b < n; b++) H[a][b] += (p * (1 - p) * xt[a] * xt[b]) / m;
      }
    });
    for (let a = 0; a < d; a++) { g[a] += l2 * th[a]; H[a][a] += l2; }
    // Solve H dx = g by Gaussian elimination with partial pivoting.
    const A = H.map((row, a) => [...row, g[a]]);
    for (let c = 0; c < n; c++) {
      let p = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
      [A[c], A[p]] = [A[p], A[c]];
      for (let r = c + 1; r < n; r++) { const f = A[r][c] / A[c][c]; for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k]; }
    }
    const dx = new Array(n).fill(0);
    for (let r = n - 1; r >= 0; r--) { let s = A[r][n]; for (let k = r + 1; k < n; k++) s -= A[r][k] * dx[k]; dx[r] = s / A[r][r]; }
    th = th.map((v, j) => v - dx[j]);
  }
  for (let j = 0; j < d; j++) assert.ok(Math.abs(fit.weights[j] - th[j]) < 1e-6, `w${j}: ${fit.weights[j]} vs Newton ${th[j]}`);
  assert.ok(Math.abs(fit.bias - th[d]) < 1e-6); // |error| <= max|g| / l2 = 2e-7
  const z = logisticDecision(fit, csr(dense));
  dense.forEach((r, i) => assert.ok(Math.abs(z[i] - r.reduce((s, v, j) => s + v * fit.weights[j], fit.bias)) < 1e-12));
});

test('malformed rows and labels throw naming the argument', () => {
  const X = csr([[1, 0], [0, 2]]);
  assert.throws(() => logisticRegression(X, [1, 2]), /labels/);
  assert.throws(() => logisticRegression(X, [1]), /labels/);
  assert.throws(() => logisticRegression({ ...X, indices: Int32Array.from([0, 5]) }, [0, 1]), /X\.indices/);
  assert.throws(() => logisticRegression({ ...X, values: Float64Array.from([1, NaN]) }, [0, 1]), /X\.values/);
  assert.throws(() => logisticRegression(X, [0, 1], { l2: -1 }), /l2/);
});
