/**
 * CCA, SVCCA and linear CKA against answers known in closed form:
 * - a matrix against a rotated, scaled (and, for CCA/SVCCA, arbitrarily
 *   linearly mixed) copy of itself: every canonical correlation 1, SVCCA 1, CKA 1;
 * - independent Gaussian matrices: the mean squared canonical correlation
 *   averages to the exact max(p, q) / (m - 1) over seeds, and CKA to
 *   sqrt(pq / ((n + p + 1)(n + q + 1))), n = m - 1 (both near 0 at these sizes);
 * - a one-column construction whose single canonical correlation is known;
 * - CKA against a brute-force sample-space formula (tr(K L) with centred Gram
 *   matrices, n x n).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import { randomOrthogonal } from '../../lib/dynamics';
import { cca, ccaNullMeanSquare, ckaNullExpectation, linearCka, svcca } from '../../lib/geometry';

/** X (m x p) times a p x q matrix M given as rows. */
function times(x: Float64Array, m: number, p: number, M: number[][], scale = 1): Float64Array {
  const q = M[0].length;
  const out = new Float64Array(m * q);
  for (let i = 0; i < m; i++) for (let a = 0; a < p; a++) for (let b = 0; b < q; b++) out[i * q + b] += scale * x[i * p + a] * M[a][b];
  return out;
}

/** m samples of p features with decaying variances (a low-dimensional representation plus small noise). */
function representation(m: number, p: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(m * p);
  for (let i = 0; i < m; i++) for (let a = 0; a < p; a++) x[i * p + a] = rng.normal() * Math.pow(0.7, a) + 0.3;
  return x;
}

test('a rotated, scaled copy: CCA correlations 1, SVCCA 1, CKA 1; a mixed copy: CCA and SVCCA 1, CKA below 1', () => {
  const m = 300, p = 8;
  const x = representation(m, p, 1);
  const y = times(x, m, p, randomOrthogonal(p, 2), 3.7);
  const c = cca(x, p, y, p);
  assert.equal(c.correlations.length, p);
  for (const r of c.correlations) assert.ok(Math.abs(r - 1) < 1e-9, `correlation ${r}`);
  const s = svcca(x, p, y, p);
  assert.ok(Math.abs(s.similarity - 1) < 1e-9 && Math.abs(s.distance) < 1e-9, `svcca ${s.similarity}`);
  assert.equal(s.dimsX, s.dimsY); // the same spectrum keeps the same number of components
  assert.ok(s.dimsX < p, 'varianceKept 0.99 drops the smallest components');
  assert.ok(Math.abs(linearCka(x, p, y, p) - 1) < 1e-12);
  // A general (non-orthogonal) invertible mix into more columns: CCA does not see it, CKA does.
  const rng = new Rng(3);
  const M = Array.from({ length: p }, () => Array.from({ length: p + 2 }, () => rng.normal()));
  const z = times(x, m, p, M);
  const cz = cca(x, p, z, p + 2);
  assert.equal(cz.rankY, p);
  for (const r of cz.correlations) assert.ok(Math.abs(r - 1) < 1e-8);
  assert.ok(linearCka(x, p, z, p + 2) < 0.99);
});

test('one known canonical correlation: y = x_0 cos(t) + noise sin(t) has rho = |cos t| with x = [x_0, independent]', () => {
  const m = 4000, t = 0.9;
  const rng = new Rng(5);
  const x = new Float64Array(m * 2), y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    x[2 * i] = rng.normal();
    x[2 * i + 1] = rng.normal();
    y[i] = Math.cos(t) * x[2 * i] + Math.sin(t) * rng.normal();
  }
  const c = cca(x, 2, y, 1);
  assert.equal(c.correlations.length, 1);
  // Sampling error of a correlation ~ (1 - rho^2)/sqrt(m) = 0.01.
  assert.ok(Math.abs(c.correlations[0] - Math.cos(t)) < 0.03, `rho ${c.correlations[0]}`);
  // The canonical variate of y is y itself (one column): corr(x a, y) is the correlation.
  const a = c.xWeights;
  const u = Float64Array.from({ length: m }, (_, i) => x[2 * i] * a[0] + x[2 * i + 1] * a[1]);
  const mean = (v: Float64Array) => v.reduce((s, w) => s + w, 0) / v.length;
  const mu = mean(u), my = mean(y);
  let uy = 0, uu = 0, yy = 0;
  for (let i = 0; i < m; i++) { uy += (u[i] - mu) * (y[i] - my); uu += (u[i] - mu) ** 2; yy += (y[i] - my) ** 2; }
  assert.ok(Math.abs(Math.abs(uy) / Math.sqrt(uu * yy) - c.correlations[0]) < 1e-10);
  assert.ok(Math.abs(uu - 1) < 1e-9, 'canonical variates have unit norm');
});

test('independent Gaussian matrices: mean rho^2 and CKA average to their closed forms, near 0 (m = 500, p = 10, q = 20)', () => {
  const m = 500, p = 10, q = 20, seeds = 20;
  let rho2 = 0, cka = 0, sv = 0;
  for (let s = 0; s < seeds; s++) {
    const rng = new Rng(100 + s);
    const x = rng.normalArray(m * p, 0, 1, 'float64');
    const y = rng.normalArray(m * q, 0, 1, 'float64');
    const c = cca(x, p, y, q);
    rho2 += c.correlations.reduce((a, r) => a + r * r, 0) / c.correlations.length / seeds;
    cka += linearCka(x, p, y, q) / seeds;
    sv += svcca(x, p, y, q, { dims: p }).similarity / seeds;
  }
  const e2 = ccaNullMeanSquare(m, p, q);
  assert.ok(Math.abs(e2 - 20 / 499) < 1e-15);
  assert.ok(Math.abs(rho2 - e2) < 0.05 * e2, `mean rho^2 ${rho2} vs exact ${e2}`);
  const ek = ckaNullExpectation(m, p, q);
  assert.ok(Math.abs(cka - ek) < 0.08 * ek, `CKA ${cka} vs ${ek}`);
  assert.ok(ek < 0.06 && e2 < 0.05);
  // SVCCA keeps all 10 of x's (isotropic) components: mean rho lies below sqrt(mean rho^2) (Jensen), above mean rho^2.
  assert.ok(sv < Math.sqrt(e2) && sv > e2 && sv < 0.2, `svcca ${sv}`);
});

test('linear CKA equals the sample-space formula tr(Kc Lc) / (|Kc| |Lc|) with Gram matrices', () => {
  const m = 40, p = 3, q = 5;
  const rng = new Rng(9);
  const x = rng.normalArray(m * p, 0, 1, 'float64') as Float64Array;
  const y = Float64Array.from(rng.normalArray(m * q, 0, 1, 'float64'), (v, i) => v + 0.8 * x[Math.floor(i / q) * p + ((i % q) % p)]);
  const gram = (z: Float64Array, d: number) => {
    const K = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) for (let a = 0; a < d; a++) K[i * m + j] += z[i * d + a] * z[j * d + a];
    // H K H, H = I - 11^T / m
    const r = new Float64Array(m), all = { v: 0 };
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) r[i] += K[i * m + j] / m;
    for (let i = 0; i < m; i++) all.v += r[i] / m;
    return K.map((k, ij) => k - r[Math.floor(ij / m)] - r[ij % m] + all.v);
  };
  const K = gram(x, p), L = gram(y, q);
  let kl = 0, kk = 0, ll = 0;
  for (let i = 0; i < m * m; i++) { kl += K[i] * L[i]; kk += K[i] * K[i]; ll += L[i] * L[i]; }
  const brute = kl / Math.sqrt(kk * ll);
  assert.ok(Math.abs(linearCka(x, p, y, q) - brute) < 1e-12, `${linearCka(x, p, y, q)} vs ${brute}`);
  assert.ok(brute > 0.2 && brute < 0.95, `CKA ${brute}`);
});

test('errors name the argument', () => {
  const x = new Float64Array(30).map((_, i) => Math.sin(i));
  assert.throws(() => cca(x, 3, x.subarray(0, 27), 3), /y/);
  assert.throws(() => linearCka(x, 4, x, 3), /x/);
  assert.throws(() => linearCka(new Float64Array(30).fill(1), 3, x, 3), /x.*vary|constant/);
  assert.throws(() => svcca(x, 3, x, 3, { varianceKept: 2 }), /varianceKept/);
});
