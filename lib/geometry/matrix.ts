/**
 * Shared conventions of lib/geometry: a data matrix is a flat row-major array
 * of `samples x dim` values -- one row per sample (a condition, a time point,
 * a trial), one column per feature (a neuron, a unit). Centering removes each
 * column's mean over the samples. Products of data matrices are float64 GEMMs
 * on lib/core's native BLAS (sums of many products cancel after centering).
 * Private to the module.
 */
import { ArgumentError, checkFinite, checkInteger, gemm } from '../core';

/** Checks a flat `samples x dim` matrix and returns its number of samples. */
export function sampleCount(name: string, x: ArrayLike<number>, dim: number, dimName = 'dim', minSamples = 1): number {
  checkInteger(dimName, dim, 1);
  if (x == null || typeof x.length !== 'number' || x.length === 0 || x.length % dim !== 0) {
    throw new ArgumentError(name, `a flat row-major array of samples x ${dim} values`, x);
  }
  const m = x.length / dim;
  if (m < minSamples) throw new ArgumentError(name, `at least ${minSamples} samples (rows of ${dim} values)`, `${m} samples`);
  checkFinite(name, x);
  return m;
}

/** Column means of a samples x dim matrix (float64). */
export function columnMeans(x: ArrayLike<number>, m: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < m; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= m;
  return mean;
}

/** The first m rows of x with each column's mean over them removed, as a new float64 array. */
export function centered(x: ArrayLike<number>, m: number, dim: number): Float64Array {
  const mean = columnMeans(x, m, dim);
  const out = new Float64Array(m * dim);
  for (let i = 0; i < m; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = x[i * dim + j] - mean[j];
  return out;
}

/** A^T B for A (m x p) and B (m x q), both float64 row-major: a p x q matrix, times `alpha`. */
export function crossProduct(a: Float64Array, p: number, b: Float64Array, q: number, m: number, alpha = 1): Float64Array {
  const c = new Float64Array(p * q);
  gemm(p, q, m, a, b, c, { transA: true, alpha });
  return c;
}

/** Squared Frobenius norm. */
export function frobeniusSquared(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}
