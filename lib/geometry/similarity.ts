/**
 * Similarity of two representations of the same samples: X (m x p) and
 * Y (m x q), one row per sample in the same order (matrix.ts), columns
 * centred over the samples first. All sums in float64; X^T X, Y^T Y and X^T Y
 * are GEMMs on lib/core's native BLAS.
 *
 * CCA (Hotelling 1936): with C_xx = Xc^T Xc, C_yy, C_xy, whiten each side on
 * its numerical range (eigenvalues above rankTolerance x the largest),
 * W_x = V_x diag(l_x^-1/2); the canonical correlations are the singular
 * values of W_x^T C_xy W_y (descending, in [0, 1]); canonical weights
 * a_i = W_x u_i, b_i = W_y v_i. Invariant to any invertible linear map of
 * either side. Meaningful only with m > p + q (else the correlations are 1
 * by construction).
 *
 * SVCCA (Raghu et al. 2017): reduce each side to its top principal
 * components (enough to keep `varianceKept` of the variance, default 0.99,
 * or exactly `dims`), then CCA; similarity = mean canonical correlation,
 * distance = 1 - similarity (Maheswaranathan et al. 2019, arXiv 1907.08549).
 *
 * Linear CKA (Kornblith et al. 2019): ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F),
 * in [0, 1], invariant to rotations and isotropic scaling of either side, not
 * to general linear maps.
 *
 * Expected values for independent Gaussian X and Y (n = m - 1 after centering):
 *   sum_i rho_i^2 = tr(P_x P_y), random subspaces of dimensions p and q in R^n:
 *   E[mean over min(p, q) of rho_i^2] = max(p, q) / n                        (exact)
 *   E||Xc^T Yc||_F^2 = p q n,  E||Xc^T Xc||_F^2 = p n (n + p + 1)  (Wishart), so
 *   CKA ~ sqrt(p q / ((n + p + 1)(n + q + 1)))              (ratio of expectations)
 *
 * Exports: cca, svcca, linearCka, ccaNullMeanSquare, ckaNullExpectation and
 * their option and result types.
 */
import { ArgumentError, checkInteger, checkNumber, svd, symEig } from '../core';
import { centered, crossProduct, frobeniusSquared, sampleCount } from './matrix';
import { pca } from './pca';

export interface CcaOptions {
  /** Directions whose covariance eigenvalue is below this times the largest are dropped as null (default 1e-10). */
  rankTolerance?: number;
}

export interface Cca {
  /** Canonical correlations, descending, min(rankX, rankY) of them. */
  correlations: Float64Array;
  rankX: number;
  rankY: number;
  /** Canonical weights [p x r] and [q x r], row-major: Xc a_i and Yc b_i are the i-th canonical variates, each of unit Euclidean norm. */
  xWeights: Float64Array;
  yWeights: Float64Array;
}

/** Whitening of a p x p Gram matrix on its numerical range: W = V_r diag(l_r^-1/2) (p x r, row-major). */
function whitening(gram: Float64Array, p: number, tol: number): { w: Float64Array; r: number } {
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) gram[b * p + a] = gram[a * p + b];
  const e = symEig({ data: gram, rows: p, cols: p });
  const top = e.values[0];
  let r = 0;
  while (r < p && top > 0 && e.values[r] > tol * top) r++;
  const w = new Float64Array(p * r);
  for (let j = 0; j < r; j++) {
    const s = 1 / Math.sqrt(e.values[j]);
    for (let a = 0; a < p; a++) w[a * r + j] = e.vectors.get(a, j) * s;
  }
  return { w, r };
}

/** CCA of the samples in x (m x xDim) and y (m x yDim). */
export function cca(x: ArrayLike<number>, xDim: number, y: ArrayLike<number>, yDim: number, o: CcaOptions = {}): Cca {
  const m = sampleCount('x', x, xDim, 'xDim', 2);
  const my = sampleCount('y', y, yDim, 'yDim', 2);
  if (my !== m) throw new ArgumentError('y', `${m} samples (as many rows as x)`, `${my} samples`);
  const tol = checkNumber('rankTolerance', o.rankTolerance ?? 1e-10, 0, 1);
  const xc = centered(x, m, xDim);
  const yc = centered(y, m, yDim);
  const wx = whitening(crossProduct(xc, xDim, xc, xDim, m), xDim, tol);
  const wy = whitening(crossProduct(yc, yDim, yc, yDim, m), yDim, tol);
  const r = Math.min(wx.r, wy.r);
  if (r === 0) throw new ArgumentError(wx.r === 0 ? 'x' : 'y', 'samples that vary (a non-zero centred matrix)', 'a constant matrix');
  // M = Wx^T Cxy Wy, (rx x ry)
  const cxy = crossProduct(xc, xDim, yc, yDim, m);
  const t = crossProduct(wx.w, wx.r, cxy, yDim, xDim); // Wx^T Cxy: rx x q
  const mm = new Float64Array(wx.r * wy.r);
  for (let i = 0; i < wx.r; i++) for (let k = 0; k < yDim; k++) {
    const v = t[i * yDim + k];
    if (v !== 0) for (let j = 0; j < wy.r; j++) mm[i * wy.r + j] += v * wy.w[k * wy.r + j];
  }
  const d = svd({ data: mm, rows: wx.r, cols: wy.r });
  const correlations = Float64Array.from(d.s.subarray(0, r), (s) => Math.min(1, Math.max(0, s)));
  const xWeights = new Float64Array(xDim * r);
  const yWeights = new Float64Array(yDim * r);
  for (let i = 0; i < r; i++) {
    for (let a = 0; a < xDim; a++) { let s = 0; for (let j = 0; j < wx.r; j++) s += wx.w[a * wx.r + j] * d.u.get(j, i); xWeights[a * r + i] = s; }
    for (let a = 0; a < yDim; a++) { let s = 0; for (let j = 0; j < wy.r; j++) s += wy.w[a * wy.r + j] * d.v.get(j, i); yWeights[a * r + i] = s; }
  }
  return { correlations, rankX: wx.r, rankY: wy.r, xWeights, yWeights };
}

export interface SvccaOptions extends CcaOptions {
  /** Keep the fewest top principal components that explain this fraction of each side's variance (default 0.99). */
  varianceKept?: number;
  /** Or keep exactly this many on each side (at most the side's dimension); overrides varianceKept. */
  dims?: number;
}

export interface Svcca {
  /** Mean canonical correlation of the reduced representations, in [0, 1]. */
  similarity: number;
  /** 1 - similarity. */
  distance: number;
  correlations: Float64Array;
  /** Principal components kept on each side. */
  dimsX: number;
  dimsY: number;
}

/** The samples projected on their top principal components (enough for varianceKept, or exactly dims). */
function reduce(name: string, x: ArrayLike<number>, dim: number, o: SvccaOptions): { z: Float64Array; k: number } {
  const p = pca(x, dim, dim);
  let k: number;
  if (o.dims !== undefined) k = Math.min(dim, checkInteger('dims', o.dims, 1));
  else {
    const keep = checkNumber('varianceKept', o.varianceKept ?? 0.99, 0, 1);
    k = 1;
    while (k < dim && p.cumulativeExplained[k - 1] < keep) k++;
  }
  const full = p.project(x);
  const m = x.length / dim;
  const z = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) z[i * k + j] = full[i * dim + j];
  if (!(p.totalVariance > 0)) throw new ArgumentError(name, 'samples that vary (a non-zero centred matrix)', 'a constant matrix');
  return { z, k };
}

/** SVCCA of the samples in x (m x xDim) and y (m x yDim); see the header. */
export function svcca(x: ArrayLike<number>, xDim: number, y: ArrayLike<number>, yDim: number, o: SvccaOptions = {}): Svcca {
  const m = sampleCount('x', x, xDim, 'xDim', 2);
  const my = sampleCount('y', y, yDim, 'yDim', 2);
  if (my !== m) throw new ArgumentError('y', `${m} samples (as many rows as x)`, `${my} samples`);
  const rx = reduce('x', x, xDim, o);
  const ry = reduce('y', y, yDim, o);
  const c = cca(rx.z, rx.k, ry.z, ry.k, o);
  const similarity = c.correlations.reduce((s, v) => s + v, 0) / c.correlations.length;
  return { similarity, distance: 1 - similarity, correlations: c.correlations, dimsX: rx.k, dimsY: ry.k };
}

/** Linear CKA of the samples in x (m x xDim) and y (m x yDim); see the header. */
export function linearCka(x: ArrayLike<number>, xDim: number, y: ArrayLike<number>, yDim: number): number {
  const m = sampleCount('x', x, xDim, 'xDim', 2);
  const my = sampleCount('y', y, yDim, 'yDim', 2);
  if (my !== m) throw new ArgumentError('y', `${m} samples (as many rows as x)`, `${my} samples`);
  const xc = centered(x, m, xDim);
  const yc = centered(y, m, yDim);
  const xx = frobeniusSquared(crossProduct(xc, xDim, xc, xDim, m));
  const yy = frobeniusSquared(crossProduct(yc, yDim, yc, yDim, m));
  if (!(xx > 0)) throw new ArgumentError('x', 'samples that vary (a non-zero centred matrix)', 'a constant matrix');
  if (!(yy > 0)) throw new ArgumentError('y', 'samples that vary (a non-zero centred matrix)', 'a constant matrix');
  return frobeniusSquared(crossProduct(xc, xDim, yc, yDim, m)) / Math.sqrt(xx * yy);
}

/** Exact E[mean of rho_i^2] over the min(p, q) canonical correlations of independent Gaussian samples: max(p, q) / (m - 1). */
export function ccaNullMeanSquare(samples: number, p: number, q: number): number {
  const m = checkInteger('samples', samples, 2);
  checkInteger('p', p, 1, m - 1);
  checkInteger('q', q, 1, m - 1);
  return Math.max(p, q) / (m - 1);
}

/** Linear CKA expected for independent Gaussian samples (ratio of expectations; see the header). */
export function ckaNullExpectation(samples: number, p: number, q: number): number {
  const n = checkInteger('samples', samples, 2) - 1;
  checkInteger('p', p, 1);
  checkInteger('q', q, 1);
  return Math.sqrt((p * q) / ((n + p + 1) * (n + q + 1)));
}
