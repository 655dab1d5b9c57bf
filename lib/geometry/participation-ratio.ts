/**
 * The participation ratio of a covariance C (the effective dimension of
 * activity; Gao et al. 2017, Litwin-Kumar et al. 2017):
 *
 *   PR = (Tr C)^2 / Tr(C^2) = (sum_i l_i)^2 / sum_i l_i^2,   l_i the eigenvalues of C
 *
 * Plugging a sample covariance into it is biased low: Tr(C_hat^2) carries
 * sampling noise of order (Tr C)^2 / T, which at N^2 entries swamps the
 * O(N) signal unless T >> N tau_c. The cross-block estimator (as in Clark,
 * Abbott & Litwin-Kumar 2023) splits the samples into B contiguous blocks,
 * takes each block's covariance C_a (block mean removed, divided by n_a - 1,
 * so E C_a = C for independent samples) and uses only products of DIFFERENT
 * blocks, whose expectations are exact when blocks are independent:
 *
 *   E[Tr C_a Tr C_b] = (Tr C)^2,   E[Tr(C_a C_b)] = Tr(C^2)      (a != b)
 *   PR_hat = sum_{a != b} Tr C_a Tr C_b / sum_{a != b} Tr(C_a C_b)
 *
 * Numerator and denominator are unbiased; their ratio is unbiased to O(1/B)
 * of its (small) relative variance. The pair sums need only S = sum_a C_a:
 * sum_{a != b} Tr(C_a C_b) = Tr(S^2) - sum_a Tr(C_a^2). The standard error is
 * the leave-one-block-out jackknife, which needs Tr(S C_a) (a second pass).
 * Samples beyond B x floor(T / B) are left out. Block covariances are GEMMs on
 * the native BLAS (lib/core).
 *
 * Exports: participationRatioOfSpectrum, ParticipationRatioEstimate,
 * CrossBlockOptions, crossBlockParticipationRatio.
 */
import { ArgumentError, checkFinite, checkInteger, gemm, throwIfInterrupted } from '../core';

/** (sum l)^2 / sum l^2 of a spectrum (or of any non-negative weights). */
export function participationRatioOfSpectrum(eigenvalues: ArrayLike<number>): number {
  checkFinite('eigenvalues', eigenvalues);
  let s = 0, s2 = 0;
  for (let i = 0; i < eigenvalues.length; i++) { s += eigenvalues[i]; s2 += eigenvalues[i] * eigenvalues[i]; }
  if (!(s2 > 0)) throw new ArgumentError('eigenvalues', 'a spectrum with a non-zero entry', eigenvalues.length);
  return (s * s) / s2;
}

export interface CrossBlockOptions {
  /** Number of contiguous blocks (default 8, at least 2). */
  blocks?: number;
  /** Also the plug-in estimate from the whole sample's covariance (default true; one more GEMM). */
  naive?: boolean;
}

export interface ParticipationRatioEstimate {
  /** The cross-block PR. */
  pr: number;
  /** Jackknife standard error over blocks. */
  standardError: number;
  /** Unbiased estimates of Tr C, (Tr C)^2 and Tr(C^2). */
  trace: number;
  traceSquared: number;
  traceOfSquare: number;
  /** The plug-in (biased) PR of the whole sample's covariance, or null. */
  naive: number | null;
  blocks: number;
  samplesPerBlock: number;
}

/** Covariance of rows [start, start + n) of X (samples x dim), mean removed, over n - 1; into C (dim x dim). */
function blockCovariance(X: Float64Array, dim: number, start: number, n: number, C: Float64Array, work: Float64Array): void {
  const mean = new Float64Array(dim);
  for (let s = 0; s < n; s++) for (let j = 0; j < dim; j++) mean[j] += X[(start + s) * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let s = 0; s < n; s++) for (let j = 0; j < dim; j++) work[s * dim + j] = X[(start + s) * dim + j] - mean[j];
  gemm(dim, dim, n, work, work, C, { transA: true, alpha: 1 / (n - 1) });
}

/**
 * The cross-block participation ratio of the samples in X (samples x dim,
 * row-major, one time point per row), with a jackknife standard error.
 */
export function crossBlockParticipationRatio(X: Float64Array, samples: number, dim: number, options: CrossBlockOptions = {}): ParticipationRatioEstimate {
  checkInteger('samples', samples, 4);
  checkInteger('dim', dim, 1);
  if (!(X instanceof Float64Array) || X.length < samples * dim) throw new ArgumentError('X', `a Float64Array of samples x dim = ${samples * dim} values`, X);
  checkFinite('X', X.subarray(0, samples * dim));
  const B = checkInteger('blocks', options.blocks ?? 8, 2, Math.floor(samples / 2));
  const n = Math.floor(samples / B);
  const C = new Float64Array(dim * dim), S = new Float64Array(dim * dim), work = new Float64Array(n * dim);
  const tr = new Float64Array(B), tr2 = new Float64Array(B), trSC = new Float64Array(B);
  for (let a = 0; a < B; a++) {
    throwIfInterrupted('crossBlockParticipationRatio', () => `at block ${a} of ${B}`, () => ({}));
    blockCovariance(X, dim, a * n, n, C, work);
    let t = 0, f = 0;
    for (let i = 0; i < dim; i++) t += C[i * dim + i];
    for (let i = 0; i < dim * dim; i++) { f += C[i] * C[i]; S[i] += C[i]; }
    tr[a] = t;
    tr2[a] = f;
  }
  for (let a = 0; a < B; a++) {
    throwIfInterrupted('crossBlockParticipationRatio', () => `in the jackknife at block ${a} of ${B}`, () => ({}));
    blockCovariance(X, dim, a * n, n, C, work);
    let s = 0;
    for (let i = 0; i < dim * dim; i++) s += S[i] * C[i]; // Tr(S C_a), both symmetric
    trSC[a] = s;
  }
  let sumTr = 0, sumTr2 = 0, sumSq = 0, trS2 = 0;
  for (let a = 0; a < B; a++) { sumTr += tr[a]; sumTr2 += tr2[a]; sumSq += tr[a] * tr[a]; }
  for (let i = 0; i < dim * dim; i++) trS2 += S[i] * S[i];
  const pairs = B * (B - 1);
  const num = sumTr * sumTr - sumSq, den = trS2 - sumTr2;
  const pr = num / den;
  // leave-one-block-out jackknife
  const loo = new Float64Array(B);
  for (let a = 0; a < B; a++) {
    const numA = (sumTr - tr[a]) ** 2 - (sumSq - tr[a] * tr[a]);
    const denA = trS2 - 2 * trSC[a] + tr2[a] - (sumTr2 - tr2[a]);
    loo[a] = numA / denA;
  }
  const mLoo = loo.reduce((s, v) => s + v, 0) / B;
  const se = Math.sqrt(((B - 1) / B) * loo.reduce((s, v) => s + (v - mLoo) ** 2, 0));
  let naive: number | null = null;
  if (options.naive ?? true) {
    const all = new Float64Array(n * B * dim);
    blockCovariance(X, dim, 0, n * B, C, all);
    let t = 0, f = 0;
    for (let i = 0; i < dim; i++) t += C[i * dim + i];
    for (let i = 0; i < dim * dim; i++) f += C[i] * C[i];
    naive = (t * t) / f;
  }
  return { pr, standardError: se, trace: sumTr / B, traceSquared: num / pairs, traceOfSquare: den / pairs, naive, blocks: B, samplesPerBlock: n };
}
