/**
 * Principal component analysis of a data matrix X (samples x dim, one row
 * per sample; see matrix.ts). Columns are centred over the samples; the
 * covariance is C = Xc^T Xc / (m - 1) (a float64 GEMM on the native BLAS),
 * diagonalised by lib/core's symmetric eigensolver:
 *
 *   C = V diag(l) V^T,  l descending;  component r = column r of V (unit length)
 *   variance explained by component r = l_r / sum_i l_i   (negative rounding clipped to 0)
 *   projection of a row x = V_k^T (x - mean)
 *
 * Exports: pca, Pca.
 */
import { ArgumentError, checkInteger, symEig } from '../core';
import { centered, crossProduct, sampleCount } from './matrix';

export interface Pca {
  mean: Float64Array;
  /** Components as rows [k x dim] (unit vectors, by decreasing variance). */
  components: Float64Array;
  k: number;
  dim: number;
  /** Variance along each of the k components, and its fraction of the total variance. */
  variance: Float64Array;
  explainedRatio: Float64Array;
  /** Cumulative fraction of the total variance explained by the first 1..k components. */
  cumulativeExplained: Float64Array;
  /** Total variance (trace of the covariance). */
  totalVariance: number;
  /** Projects rows [n x dim] onto the components -> [n x k]. */
  project(rows: ArrayLike<number>): Float64Array;
}

/** PCA of rows [m x dim] (e.g. all states of all trials), keeping the top k components (default 3). */
export function pca(rows: ArrayLike<number>, dim: number, k = 3): Pca {
  checkInteger('dim', dim, 1);
  checkInteger('k', k, 1, dim);
  const m = sampleCount('rows', rows, dim);
  const c = centered(rows, m, dim);
  const mean = new Float64Array(dim);
  for (let j = 0; j < dim; j++) mean[j] = rows[j] - c[j];
  const cov = crossProduct(c, dim, c, dim, m, 1 / Math.max(1, m - 1));
  // GEMM's two triangles can differ in the last bit; symEig wants exact symmetry.
  for (let a = 0; a < dim; a++) for (let b = a + 1; b < dim; b++) cov[b * dim + a] = cov[a * dim + b];
  const e = symEig({ data: cov, rows: dim, cols: dim });
  const all = Float64Array.from(e.values, (v) => Math.max(0, v));
  const total = all.reduce((s, v) => s + v, 0);
  const components = new Float64Array(k * dim);
  for (let r = 0; r < k; r++) for (let j = 0; j < dim; j++) components[r * dim + j] = e.vectors.get(j, r);
  const variance = all.slice(0, k);
  const explainedRatio = variance.map((v) => (total > 0 ? v / total : 0));
  let run = 0;
  const cumulativeExplained = explainedRatio.map((v) => (run += v));
  return {
    mean, components, k, dim, variance, explainedRatio, cumulativeExplained, totalVariance: total,
    project(x: ArrayLike<number>): Float64Array {
      if (x == null || x.length % dim !== 0) throw new ArgumentError('rows', `a flat array of n x ${dim} values`, x);
      const n = x.length / dim;
      const out = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let r = 0; r < k; r++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += (x[i * dim + j] - mean[j]) * components[r * dim + j];
        out[i * k + r] = s;
      }
      return out;
    },
  };
}
