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
 * Bar orientedness (after the authors' Quantify_Orientedness notebook,
 * ganguli-lab/RetinalResources; their Fig. 4): the field's covariance with a
 * bank of bars. A bar of orientation theta (its normal; the Gabor's carrier
 * direction), width w and offset p is the strip p <= n < p + w of
 * n = x cos theta + y sin theta (x, y from the field's centre), each pixel
 * counted by the fraction of its unit width along n inside the strip
 * (anti-aliased: a hard strip holds 4 columns at 0 degrees but 5-6 diagonals
 * at 45; on a 32 x 32 difference of Gaussians the unsmoothed profile's spread
 * is 0.010 anti-aliased against 0.037 hard-edged). Score
 *   S(theta, w, p) = | sum_x (f(x) - mean f) G(x) | / (H W)
 * (the absolute covariance of field and bar), computed from the cumulative
 * projection F(t) = sum_x (f - mean f) clamp(t - n_x + 1/2, 0, 1) on a
 * half-pixel grid as |F(p + w) - F(p)|. The profile P_w(theta) = max_p S is
 * averaged over `smoothing` neighbouring orientations (circularly); the
 * preferred (theta*, w*) maximises it, and
 *   index = 1 - P_w*(theta* + 90 deg) / P_w*(theta*)   in [0, 1]
 * (0: the orthogonal bar fits as well, isotropic; 1: it does not fit at all).
 * The authors report the ratio P(theta*) / P(orthogonal) = 1 / (1 - index)
 * (their quantification 1) and the standard deviation of the normalised
 * profile over orientations (quantification 2, `spread`). Defaults follow
 * their bank: 25 orientations per half turn there (7.2 degrees; 24 here, so
 * that the orthogonal one is in the bank), widths 4, 6, ..., N/2 for an N x N
 * field, and their 5-orientation smoothing. Where this differs from their
 * notebook: their bars are hard-edged, their phase shifts both x and y (so at
 * 135 degrees the bar cannot move), and they also smooth over widths and
 * phases.
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

export interface BarOrientednessOptions {
  /** Bar orientations over half a turn (default 24; even, so that each one's orthogonal is in the bank). */
  orientations?: number;
  /** Bar widths in pixels, multiples of 1/2 (default 4, 6, ..., 2 floor(min(height, width) / 4), at least [4]). */
  widths?: readonly number[];
  /** Neighbouring orientations averaged before the preferred one is taken (odd; default 5; 1: none). */
  smoothing?: number;
}

export interface BarOrientedness {
  /** 1 - P(orthogonal) / P(preferred), in [0, 1] (header); 0 for a constant field. */
  index: number;
  /** P(preferred) / P(orthogonal) (the authors' quantification 1; Infinity when the orthogonal bar scores 0). */
  ratio: number;
  /** Standard deviation over orientations of the profile scaled to its maximum (the authors' quantification 2). */
  spread: number;
  /** The preferred bar's normal direction (radians in [0, pi); the Gabor's theta) and width. */
  angle: number;
  width: number;
  /** The smoothed profile at the preferred width, scaled to its maximum, orientation k at k pi / orientations. */
  profile: Float64Array;
}

/** The bar orientedness of an h x w field (header). */
export function barOrientedness(field: ArrayLike<number>, height: number, width: number, options: BarOrientednessOptions = {}): BarOrientedness {
  checkInteger('height', height, 1);
  checkInteger('width', width, 1);
  if (!field || field.length !== height * width) throw new ArgumentError('field', `${height * width} values (height x width)`, field?.length);
  checkFinite('field', field);
  const M = checkInteger('orientations', options.orientations ?? 24, 2);
  if (M % 2 !== 0) throw new ArgumentError('orientations', 'an even count (the orthogonal of each in the bank)', M);
  const smoothing = checkInteger('smoothing', options.smoothing ?? 5, 1, M - 1);
  if (smoothing % 2 !== 1) throw new ArgumentError('smoothing', 'an odd count of orientations', smoothing);
  const top = Math.max(2, Math.floor(Math.min(height, width) / 4));
  const widths = options.widths ?? Array.from({ length: top - 1 }, (_, i) => 2 * (i + 2));
  if (!Array.isArray(widths) || widths.length === 0) throw new ArgumentError('widths', 'a non-empty array of bar widths', widths);
  widths.forEach((w, i) => {
    checkPositive(`widths[${i}]`, w);
    if (!Number.isInteger(2 * w)) throw new ArgumentError(`widths[${i}]`, 'a multiple of 1/2 pixel', w);
  });
  const d = height * width;
  let mean = 0;
  for (let i = 0; i < d; i++) mean += field[i];
  mean /= d;
  const f = Float64Array.from(field, (v) => v - mean);
  const cy = (height - 1) / 2, cx = (width - 1) / 2;
  const reach = Math.hypot(cy, cx) + 0.5, wMax = Math.max(...widths);
  // F on the grid t_k = t0 + k / 2, from below the field less the widest bar to above it
  const t0 = Math.floor(-reach - wMax) - 1, K = Math.ceil(2 * (2 * reach + wMax)) + 4;
  const F = new Float64Array(K + 1), n = new Float64Array(d);
  const P = widths.map(() => new Float64Array(M)); // P[width][orientation] = max over offsets
  for (let j = 0; j < M; j++) {
    const th = (Math.PI * j) / M, c = Math.cos(th), s = Math.sin(th);
    for (let r = 0; r < height; r++) for (let q = 0; q < width; q++) n[r * width + q] = (q - cx) * c + (r - cy) * s;
    for (let k = 0; k <= K; k++) {
      const t = t0 + k / 2;
      let sum = 0;
      for (let i = 0; i < d; i++) {
        const part = t - n[i] + 0.5;
        if (part > 0) sum += f[i] * (part < 1 ? part : 1);
      }
      F[k] = sum;
    }
    widths.forEach((w, wi) => {
      const dk = 2 * w;
      let best = 0;
      for (let k = 0; k + dk <= K; k++) best = Math.max(best, Math.abs(F[k + dk] - F[k]));
      P[wi][j] = best / d;
    });
  }
  const h = (smoothing - 1) / 2;
  const smooth = P.map((row) => Float64Array.from(row, (_, j) => {
    let s = 0;
    for (let o = -h; o <= h; o++) s += row[(j + o + M) % M];
    return s / smoothing;
  }));
  let bw = 0, bj = 0;
  smooth.forEach((row, wi) => row.forEach((v, j) => { if (v > smooth[bw][bj]) { bw = wi; bj = j; } }));
  const row = smooth[bw], peak = row[bj];
  if (!(peak > 0)) return { index: 0, ratio: 1, spread: 0, angle: 0, width: widths[0], profile: new Float64Array(M).fill(1) };
  const orth = row[(bj + M / 2) % M];
  const profile = Float64Array.from(row, (v) => v / peak);
  const pm = profile.reduce((a, b) => a + b, 0) / M;
  const spread = Math.sqrt(profile.reduce((a, b) => a + (b - pm) ** 2, 0) / M);
  return { index: 1 - orth / peak, ratio: orth > 0 ? peak / orth : Infinity, spread, angle: (Math.PI * bj) / M, width: widths[bw], profile };
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
