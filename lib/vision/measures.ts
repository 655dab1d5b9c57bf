/**
 * Measures of receptive fields and of layers' representations. Private to
 * lib/vision; see index.ts.
 *
 * Orientedness index (defined here; the authors' notebook measure differs:
 * it correlates the field with a bank of bars of every orientation, width and
 * phase and compares the best bar's score at the preferred and the orthogonal
 * orientation): the coherence of the field's gradient structure tensor
 * J = sum_x grad f grad f^T, computed in Fourier space as
 * J = sum_k P(k) k k^T with P(k) = |F(k)|^2 (the field zero-padded to twice
 * its side, frequencies beyond Nyquist left out):
 *   O = (l1 - l2) / (l1 + l2) = | sum_k P(k) |k|^2 e^{2 i theta_k} | / sum_k P(k) |k|^2   in [0, 1],
 * the resultant length of the orientations of the gradient energy (doubled
 * angles, since k and -k are one orientation). An isotropic field (difference
 * of Gaussians) has O ~ 0; an elongated Gaussian with widths s_long and s_short
 * has O = (r^2 - 1)/(r^2 + 1), r = s_long / s_short (0.98 at 10:1) when the
 * window holds it; a Gabor's carrier gives O near 1. (Session 6 weighted P(k)
 * without |k|^2: the near-isotropic power around k = 0 held a 10:1 bar at
 * 0.83 however large the window.)
 *
 * Linearity (Lindsey et al. 2019, Fig. 3): the fraction of a unit's variance
 * on held-out images explained by ridge regression on the input,
 *   w = (X^T X + lambda I)^{-1} X^T y  (X, y centred on the training split),
 *   R^2 = 1 - sum (y - yhat)^2 / sum (y - mean y)^2  on the held-out split,
 * lambda = alpha trace(X^T X) / d. Float64 throughout; the solve is lib/core's
 * Cholesky (solveRows).
 *
 * Linear separability: held-out accuracy of one-vs-rest L2 logistic
 * regressions (lib/core's logisticRegression) on standardised features, the
 * class with the largest decision value winning (the authors used a linear SVM).
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkPositive, logisticDecision, logisticRegression, Rng, solveRows, type SparseRows } from '../core';
import { fft2, nextPow2 } from './patches';

/** The orientedness index O of an h x w field (header). */
export function orientedness(field: ArrayLike<number>, height: number, width: number): number {
  checkInteger('height', height, 1);
  checkInteger('width', width, 1);
  if (!field || field.length !== height * width) throw new ArgumentError('field', `${height * width} values (height x width)`, field?.length);
  checkFinite('field', field);
  const n = nextPow2(2 * Math.max(height, width));
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) re[r * n + c] = field[r * width + c];
  fft2(re, im, n, n);
  let sx = 0, sy = 0, total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const ky = (i <= n / 2 ? i : i - n) / n, kx = (j <= n / 2 ? j : j - n) / n;
      const k2 = kx * kx + ky * ky;
      if (k2 === 0 || k2 > 0.25) continue;
      // gradient energy |k|^2 P(k) times cos 2 theta, sin 2 theta (from kx, ky without an angle)
      const p = re[i * n + j] ** 2 + im[i * n + j] ** 2;
      sx += p * (kx * kx - ky * ky);
      sy += p * (2 * kx * ky);
      total += p * k2;
    }
  }
  return total > 0 ? Math.hypot(sx, sy) / total : 0;
}

/** Row indices split into training and held-out sets by a seeded permutation (testFraction of the rows held out). */
export function heldOutSplit(rows: number, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  checkInteger('rows', rows, 2);
  checkNumber('testFraction', testFraction, 0, 1);
  const nTest = Math.round(rows * testFraction);
  if (nTest < 1 || nTest > rows - 1) throw new ArgumentError('testFraction', `a fraction leaving both splits non-empty for ${rows} rows`, testFraction);
  const perm = new Rng(checkInteger('seed', seed, 0)).permutation(rows);
  return { test: perm.slice(0, nTest), train: perm.slice(nTest) };
}

export interface RidgeOptions {
  /** Ridge penalty relative to trace(X^T X)/d (default 1e-3). */
  alpha?: number;
  /** Fraction held out (default 0.2, the authors' 80/20 split). */
  testFraction?: number;
  seed?: number;
}

export interface RidgeFit {
  /** Variance explained on the held-out rows, and on the training rows. */
  r2Test: number;
  r2Train: number;
  weights: Float64Array;
  bias: number;
  lambda: number;
}

function checkRows(X: ArrayLike<number>, dim: number, name = 'X'): number {
  checkInteger('dim', dim, 1);
  if (!X || X.length === 0 || X.length % dim !== 0) throw new ArgumentError(name, `a row-major array of rows x ${dim} values`, X?.length);
  checkFinite(name, X);
  return X.length / dim;
}

const r2 = (y: ArrayLike<number>, yhat: Float64Array, idx: Int32Array) => {
  let m = 0;
  for (const i of idx) m += y[i];
  m /= idx.length;
  let ss = 0, res = 0;
  idx.forEach((i, q) => { ss += (y[i] - m) ** 2; res += (y[i] - yhat[q]) ** 2; });
  return ss > 0 ? 1 - res / ss : NaN;
};

/** Ridge regression of y on the rows of X (rows x dim) with a held-out split; R^2 on both splits (header). */
export function ridgeLinearity(X: ArrayLike<number>, y: ArrayLike<number>, dim: number, options: RidgeOptions = {}): RidgeFit {
  const rows = checkRows(X, dim);
  if (!y || y.length !== rows) throw new ArgumentError('y', `${rows} values (X's rows)`, y?.length);
  checkFinite('y', y);
  const alpha = checkNumber('alpha', options.alpha ?? 1e-3, 0);
  const { train, test } = heldOutSplit(rows, options.testFraction ?? 0.2, options.seed ?? 0);
  const mx = new Float64Array(dim);
  let my = 0;
  for (const i of train) { for (let k = 0; k < dim; k++) mx[k] += X[i * dim + k]; my += y[i]; }
  for (let k = 0; k < dim; k++) mx[k] /= train.length;
  my /= train.length;
  const G = new Float64Array(dim * dim), b = new Float64Array(dim), xc = new Float64Array(dim);
  for (const i of train) {
    for (let k = 0; k < dim; k++) xc[k] = X[i * dim + k] - mx[k];
    const yc = y[i] - my;
    for (let k = 0; k < dim; k++) {
      const v = xc[k];
      if (v === 0) continue;
      b[k] += v * yc;
      const row = k * dim;
      for (let l = 0; l <= k; l++) G[row + l] += v * xc[l];
    }
  }
  let trace = 0;
  for (let k = 0; k < dim; k++) { trace += G[k * dim + k]; for (let l = 0; l < k; l++) G[l * dim + k] = G[k * dim + l]; }
  const lambda = alpha * trace / dim;
  for (let k = 0; k < dim; k++) G[k * dim + k] += lambda;
  solveRows(G, b, 1, dim); // b <- w
  const bias = my - b.reduce((s, w, k) => s + w * mx[k], 0);
  const predict = (idx: Int32Array) => Float64Array.from(idx, (i) => { let s = bias; for (let k = 0; k < dim; k++) s += b[k] * X[i * dim + k]; return s; });
  return { r2Test: r2(y, predict(test), test), r2Train: r2(y, predict(train), train), weights: b, bias, lambda };
}

export interface SeparabilityOptions {
  /** L2 penalty of each logistic regression (default 1e-3). */
  l2?: number;
  /** Fraction held out (default 0.2). */
  testFraction?: number;
  /** L-BFGS iterations per class (default 300). */
  maxIterations?: number;
  seed?: number;
}

function denseRows(X: ArrayLike<number>, idx: Int32Array, dim: number, mean: Float64Array, std: Float64Array): SparseRows {
  const values = new Float64Array(idx.length * dim), indices = new Int32Array(idx.length * dim), indptr = new Int32Array(idx.length + 1);
  idx.forEach((i, q) => {
    for (let k = 0; k < dim; k++) { values[q * dim + k] = (X[i * dim + k] - mean[k]) / std[k]; indices[q * dim + k] = k; }
    indptr[q + 1] = (q + 1) * dim;
  });
  return { rows: idx.length, cols: dim, indptr, indices, values };
}

/** Held-out accuracy of one-vs-rest logistic regression on the rows of X (header); also the chance level 1/classes. */
export function linearSeparability(X: ArrayLike<number>, labels: ArrayLike<number>, dim: number, options: SeparabilityOptions = {}): { testAccuracy: number; trainAccuracy: number; classes: number; chance: number } {
  const rows = checkRows(X, dim);
  if (!labels || labels.length !== rows) throw new ArgumentError('labels', `${rows} labels (X's rows)`, labels?.length);
  let classes = 0;
  for (let i = 0; i < rows; i++) {
    checkInteger(`labels[${i}]`, labels[i], 0, rows - 1); // more classes than rows cannot be learnt
    classes = Math.max(classes, labels[i] + 1);
  }
  if (classes < 2) throw new ArgumentError('labels', 'at least two classes', classes);
  const l2 = checkPositive('l2', options.l2 ?? 1e-3);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 300, 1);
  const { train, test } = heldOutSplit(rows, options.testFraction ?? 0.2, options.seed ?? 0);
  const mean = new Float64Array(dim), std = new Float64Array(dim);
  for (const i of train) for (let k = 0; k < dim; k++) mean[k] += X[i * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= train.length;
  for (const i of train) for (let k = 0; k < dim; k++) std[k] += (X[i * dim + k] - mean[k]) ** 2;
  // a constant feature (a silent unit) gets std 1: it stays 0 after centring
  for (let k = 0; k < dim; k++) std[k] = Math.sqrt(std[k] / train.length) || 1;
  const Xtr = denseRows(X, train, dim, mean, std), Xte = denseRows(X, test, dim, mean, std);
  const scoresTr = new Float64Array(train.length * classes), scoresTe = new Float64Array(test.length * classes);
  for (let c = 0; c < classes; c++) {
    const model = logisticRegression(Xtr, Int32Array.from(train, (i) => (labels[i] === c ? 1 : 0)), { l2, maxIterations, tolerance: 1e-5 });
    logisticDecision(model, Xtr).forEach((v, q) => { scoresTr[q * classes + c] = v; });
    logisticDecision(model, Xte).forEach((v, q) => { scoresTe[q * classes + c] = v; });
  }
  const accuracy = (scores: Float64Array, idx: Int32Array) => {
    let ok = 0;
    idx.forEach((i, q) => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (scores[q * classes + c] > scores[q * classes + best]) best = c;
      if (best === labels[i]) ok++;
    });
    return ok / idx.length;
  };
  return { testAccuracy: accuracy(scoresTe, test), trainAccuracy: accuracy(scoresTr, train), classes, chance: 1 / classes };
}
