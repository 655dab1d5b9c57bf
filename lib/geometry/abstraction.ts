/**
 * Abstraction (disentangling) scores of a population's responses to conditions built from binary variables
 * (S. Bernardi, M. K. Benna, M. Rigotti, J. Munuera, S. Fusi & C. D. Salzman, "The geometry of abstraction in
 * the hippocampus and prefrontal cortex", Cell 183:954, 2020), and representational similarity analysis
 * (N. Kriegeskorte, M. Mur & P. Bandettini, Front Syst Neurosci 2:4, 2008). Reviewed with manifold capacity in
 * Chung & Abbott 2021 (arXiv 2104.07059).
 *
 * Data: rows (samples x dim, see matrix.ts) and `factors`, one array per binary variable holding each sample's
 * value 0 or 1. The conditions are the combinations of the variables' values.
 *
 *   crossConditionGeneralisation  for the dichotomy of variable `target`, for each other variable k and value
 *       v: a linear decoder (lib/core's L2 logistic regression) of target is trained on the samples with
 *       k = v and tested on those with k = 1 - v; the score is the mean test accuracy (chance 1/2). This is
 *       the variable-aligned form of Bernardi's CCGP (train in one context, test in the other); Bernardi
 *       also hold out condition subsets of arbitrary dichotomies.
 *   parallelismScore  coding vectors of `target`, one per combination c of the other variables:
 *       mean(x | target = 1, c) - mean(x | target = 0, c); the score is the mean cosine over all pairs of
 *       coding vectors (1: parallel, an abstract variable; about 0 for random condition means). For a
 *       variable-aligned dichotomy the pairing of conditions is the one the factors give (Bernardi maximise
 *       over pairings for arbitrary dichotomies).
 *   representationalSimilarity  RSA: the representational dissimilarity matrices (1 - Pearson correlation
 *       of two conditions' patterns) of two representations of the same n conditions, compared by the
 *       Spearman correlation of their upper triangles.
 *
 * Exports: crossConditionGeneralisation, parallelismScore, representationalSimilarity, dissimilarityMatrix.
 */
import { ArgumentError, checkInteger, logisticDecision, logisticRegression, type SparseRows } from '../core';
import { sampleCount } from './matrix';

function checkFactors(factors: ArrayLike<number>[], m: number): void {
  if (!Array.isArray(factors) || factors.length < 2) throw new ArgumentError('factors', 'an array of at least 2 binary variables (one 0/1 value per sample each)', factors);
  factors.forEach((f, k) => {
    if (f == null || f.length !== m) throw new ArgumentError(`factors[${k}]`, `${m} values 0 or 1 (one per sample)`, f);
    for (let i = 0; i < m; i++) if (f[i] !== 0 && f[i] !== 1) throw new ArgumentError(`factors[${k}]`, 'values 0 or 1', `${f[i]} at ${i}`);
  });
}

/** The selected rows as dense CSR (lib/core's logistic regression takes sparse rows). */
function denseRows(rows: ArrayLike<number>, dim: number, select: number[]): SparseRows {
  const n = select.length;
  const indptr = new Int32Array(n + 1), indices = new Int32Array(n * dim), values = new Float64Array(n * dim);
  select.forEach((s, i) => {
    indptr[i + 1] = (i + 1) * dim;
    for (let k = 0; k < dim; k++) { indices[i * dim + k] = k; values[i * dim + k] = rows[s * dim + k]; }
  });
  return { rows: n, cols: dim, indptr, indices, values };
}

/** Cross-condition generalisation of variable `target` (see the header): mean held-out-context accuracy. */
export function crossConditionGeneralisation(rows: ArrayLike<number>, dim: number, factors: ArrayLike<number>[], target: number, options: { l2?: number } = {}): number {
  const m = sampleCount('rows', rows, dim);
  checkFactors(factors, m);
  checkInteger('target', target, 0, factors.length - 1);
  const accuracies: number[] = [];
  for (let k = 0; k < factors.length; k++) {
    if (k === target) continue;
    for (const v of [0, 1]) {
      const trainIdx: number[] = [], testIdx: number[] = [];
      for (let i = 0; i < m; i++) (factors[k][i] === v ? trainIdx : testIdx).push(i);
      if (trainIdx.length === 0 || testIdx.length === 0) continue;
      const labels = trainIdx.map((i) => factors[target][i]);
      if (!labels.includes(0) || !labels.includes(1)) continue;
      const fit = logisticRegression(denseRows(rows, dim, trainIdx), labels, { l2: options.l2 ?? 1e-3, maxIterations: 500 });
      const z = logisticDecision(fit, denseRows(rows, dim, testIdx));
      let correct = 0;
      testIdx.forEach((i, q) => { if ((z[q] > 0 ? 1 : 0) === factors[target][i]) correct++; });
      accuracies.push(correct / testIdx.length);
    }
  }
  if (accuracies.length === 0) throw new ArgumentError('factors', 'both values of the target in some context of another variable', 'no such context');
  return accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
}

/** Parallelism score of variable `target` (see the header): mean pairwise cosine of its coding vectors. */
export function parallelismScore(rows: ArrayLike<number>, dim: number, factors: ArrayLike<number>[], target: number): number {
  const m = sampleCount('rows', rows, dim);
  checkFactors(factors, m);
  checkInteger('target', target, 0, factors.length - 1);
  // condition means keyed by the other variables' values, split by the target's value
  const sums = new Map<string, { s: Float64Array[]; n: number[] }>();
  for (let i = 0; i < m; i++) {
    const key = factors.map((f, k) => (k === target ? '' : String(f[i]))).join('');
    let e = sums.get(key);
    if (!e) { e = { s: [new Float64Array(dim), new Float64Array(dim)], n: [0, 0] }; sums.set(key, e); }
    const v = factors[target][i];
    for (let k = 0; k < dim; k++) e.s[v][k] += rows[i * dim + k];
    e.n[v]++;
  }
  const coding: Float64Array[] = [];
  for (const e of sums.values()) {
    if (e.n[0] === 0 || e.n[1] === 0) continue;
    coding.push(e.s[1].map((x, k) => x / e.n[1] - e.s[0][k] / e.n[0]));
  }
  if (coding.length < 2) throw new ArgumentError('factors', 'at least two contexts holding both values of the target', `${coding.length}`);
  let total = 0, pairs = 0;
  for (let a = 0; a < coding.length; a++) {
    for (let b = a + 1; b < coding.length; b++) {
      let d = 0, na = 0, nb = 0;
      for (let k = 0; k < dim; k++) { d += coding[a][k] * coding[b][k]; na += coding[a][k] ** 2; nb += coding[b][k] ** 2; }
      total += na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
      pairs++;
    }
  }
  return total / pairs;
}

/** Representational dissimilarity matrix (n x n, 1 - Pearson correlation of rows) of n condition patterns. */
export function dissimilarityMatrix(patterns: ArrayLike<number>, dim: number): Float64Array {
  const n = sampleCount('patterns', patterns, dim, 'dim', 2);
  const z = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < dim; k++) mean += patterns[i * dim + k] / dim;
    let ss = 0;
    for (let k = 0; k < dim; k++) { z[i * dim + k] = patterns[i * dim + k] - mean; ss += z[i * dim + k] ** 2; }
    const s = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let k = 0; k < dim; k++) z[i * dim + k] *= s;
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let d = 0; for (let k = 0; k < dim; k++) d += z[i * dim + k] * z[j * dim + k]; out[i * n + j] = i === j ? 0 : 1 - d; }
  return out;
}

/** Average ranks (ties share their mean rank). */
function ranks(v: number[]): number[] {
  const order = v.map((x, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Array<number>(v.length);
  for (let q = 0; q < order.length;) {
    let e = q;
    while (e + 1 < order.length && v[order[e + 1]] === v[order[q]]) e++;
    for (let k = q; k <= e; k++) r[order[k]] = (q + e) / 2;
    q = e + 1;
  }
  return r;
}

/** RSA: Spearman correlation of the upper triangles of the two representations' RDMs over the same n conditions. */
export function representationalSimilarity(a: ArrayLike<number>, aDim: number, b: ArrayLike<number>, bDim: number): number {
  const n = sampleCount('a', a, aDim, 'aDim', 3);
  const nb = sampleCount('b', b, bDim, 'bDim', 3);
  if (nb !== n) throw new ArgumentError('b', `${n} conditions (a's rows)`, `${nb}`);
  const da = dissimilarityMatrix(a, aDim), db = dissimilarityMatrix(b, bDim);
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { x.push(da[i * n + j]); y.push(db[i * n + j]); }
  const rx = ranks(x), ry = ranks(y);
  const mx = rx.reduce((s, v) => s + v, 0) / rx.length, my = ry.reduce((s, v) => s + v, 0) / ry.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let q = 0; q < rx.length; q++) { sxy += (rx[q] - mx) * (ry[q] - my); sxx += (rx[q] - mx) ** 2; syy += (ry[q] - my) ** 2; }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}
