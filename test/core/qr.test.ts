/**
 * lib/core's QR (orthonormalizeRows): against explicit classical Gram-Schmidt in
 * plain arithmetic, and the Gram-Schmidt fallback on a nearly dependent block.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orthonormalizeRows, qrWorkspace } from '../../lib/core';

test('orthonormalizeRows: V = L Q with Q orthonormal, L_ii those of Gram-Schmidt; ill-conditioned blocks fall back', () => {
  const k = 3, n = 6;
  const V0 = Float64Array.from({ length: k * n }, (_, i) => Math.sin(1.3 * i + 0.2) + (i % 5 === 0 ? 1 : 0));
  // explicit classical Gram-Schmidt in plain arithmetic
  const rows = Array.from({ length: k }, (_, i) => Array.from(V0.subarray(i * n, (i + 1) * n)));
  const q: number[][] = [];
  const diag: number[] = [];
  for (const v of rows) {
    const w = [...v];
    for (const u of q) { const c = u.reduce((s, a, j) => s + a * v[j], 0); for (let j = 0; j < n; j++) w[j] -= c * u[j]; }
    const nr = Math.hypot(...w);
    diag.push(nr);
    q.push(w.map((a) => a / nr));
  }
  const V = Float64Array.from(V0);
  const logDiag = new Float64Array(k);
  assert.equal(orthonormalizeRows(V, k, n, logDiag), false);
  for (let i = 0; i < k; i++) {
    assert.ok(Math.abs(logDiag[i] - Math.log(diag[i])) < 1e-12);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(V[i * n + j] - q[i][j]) < 1e-12);
  }
  // nearly dependent rows (cond ~ 1e9): Gram-Schmidt fallback, still orthonormal, same log-volume
  const W = Float64Array.from(V0);
  for (let j = 0; j < n; j++) W[n + j] = W[j] + 1e-9 * W[2 * n + j];
  const rowsW = [0, 1, 2].map((i) => Array.from(W.subarray(i * n, (i + 1) * n)));
  const ld = new Float64Array(k);
  assert.equal(orthonormalizeRows(W, k, n, ld), true);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    const dot = Array.from({ length: n }, (_, j) => W[a * n + j] * W[b * n + j]).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9, `Q Q^T [${a}, ${b}] = ${dot}`);
  }
  // log L_00 is the first row's norm exactly
  assert.ok(Math.abs(ld[0] - Math.log(Math.hypot(...rowsW[0]))) < 1e-12);
});

test('orthonormalizeRows: a reused workspace gives the same factors; a workspace of another size is refused by name', () => {
  const k = 2, n = 5;
  const V0 = Float64Array.from({ length: k * n }, (_, i) => Math.cos(0.7 * i) + 0.1 * i);
  const a = Float64Array.from(V0), b = Float64Array.from(V0);
  const la = new Float64Array(k), lb = new Float64Array(k);
  orthonormalizeRows(a, k, n, la);
  orthonormalizeRows(b, k, n, lb, qrWorkspace(k, n));
  assert.deepEqual(Array.from(b), Array.from(a));
  assert.deepEqual(Array.from(lb), Array.from(la));
  assert.throws(() => orthonormalizeRows(Float64Array.from(V0), k, n, new Float64Array(k), qrWorkspace(k, n + 1)), /work/);
  assert.throws(() => orthonormalizeRows(new Float64Array(k * n), k, n, new Float64Array(k)), /V.*linearly independent/);
});
