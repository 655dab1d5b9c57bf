/**
 * Binary logistic regression with an L2 penalty -- a convex solve, beside
 * convex.ts' least-squares solvers -- on sparse feature rows (bag-of-words
 * counts: almost every entry zero), in float64:
 *
 *   minimise  f(w, c) = (1/m) sum_i [softplus(z_i) - y_i z_i] + (l2/2) ||w||^2,   z_i = x_i . w + c,
 *   gradient  df/dw = (1/m) X^T (sigmoid(z) - y) + l2 w,   df/dc = (1/m) sum_i (sigmoid(z_i) - y_i),
 *
 * labels y_i in {0, 1}, the bias c not penalised. f is convex (strictly, in w,
 * for l2 > 0), so any stationary point is the minimum. Method: L-BFGS (Nocedal
 * & Wright 2006, algorithm 7.4: the two-loop recursion over the last `memory`
 * pairs) with a backtracking Armijo line search (sufficient decrease 1e-4,
 * halving); stops when max |gradient| <= tolerance, or after maxIterations.
 *
 * Features are compressed rows (CSR): row i holds values[k] at column
 * indices[k] for k in [indptr[i], indptr[i + 1]).
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber } from './validate';

/** A sparse matrix in compressed rows (CSR). */
export interface SparseRows {
  rows: number;
  cols: number;
  /** rows + 1 offsets into indices/values, indptr[0] = 0. */
  indptr: Int32Array;
  /** Column of each stored value, in [0, cols). */
  indices: Int32Array;
  values: Float32Array | Float64Array;
}

export interface LogisticRegressionOptions {
  /** L2 penalty on the weights (default 1e-4). */
  l2?: number;
  /** Stop when max |gradient| <= this (default 1e-6). */
  tolerance?: number;
  /** Iteration bound (default 1000). */
  maxIterations?: number;
  /** L-BFGS memory, pairs kept (default 10). */
  memory?: number;
}

export interface LogisticRegression {
  weights: Float64Array;
  bias: number;
  /** f at the solution, its max |gradient|, the iterations run, and whether the tolerance was met. */
  loss: number;
  gradientNorm: number;
  iterations: number;
  converged: boolean;
  l2: number;
}

/** Checks a CSR matrix's structure (offsets increasing, columns in range, values finite). */
export function checkSparseRows(name: string, X: SparseRows): void {
  if (X === null || typeof X !== 'object' || !(X.indptr instanceof Int32Array) || !(X.indices instanceof Int32Array) || !(X.values instanceof Float32Array || X.values instanceof Float64Array)) {
    throw new ArgumentError(name, 'compressed rows { rows, cols, indptr: Int32Array, indices: Int32Array, values: Float32Array | Float64Array }', X);
  }
  const rows = checkInteger(`${name}.rows`, X.rows, 1);
  const cols = checkInteger(`${name}.cols`, X.cols, 1);
  if (X.indptr.length !== rows + 1 || X.indptr[0] !== 0) throw new ArgumentError(`${name}.indptr`, `${rows + 1} offsets starting at 0`, X.indptr);
  for (let i = 0; i < rows; i++) if (X.indptr[i + 1] < X.indptr[i]) throw new ArgumentError(`${name}.indptr`, 'non-decreasing offsets', `${X.indptr[i + 1]} after ${X.indptr[i]} at row ${i}`);
  const nnz = X.indptr[rows];
  if (X.indices.length !== nnz || X.values.length !== nnz) throw new ArgumentError(`${name}.indices`, `${nnz} columns and values (indptr's last offset)`, `${X.indices.length} and ${X.values.length}`);
  for (let k = 0; k < nnz; k++) {
    if (!(X.indices[k] >= 0 && X.indices[k] < cols)) throw new ArgumentError(`${name}.indices`, `columns in [0, ${cols - 1}]`, `${X.indices[k]} at ${k}`);
    if (!Number.isFinite(X.values[k])) throw new ArgumentError(`${name}.values`, 'finite values', `${X.values[k]} at ${k}`);
  }
}

/** z = X w + c for every row. */
export function logisticDecision(model: Pick<LogisticRegression, 'weights' | 'bias'>, X: SparseRows): Float64Array {
  checkSparseRows('X', X);
  if (!(model?.weights instanceof Float64Array) || model.weights.length !== X.cols) throw new ArgumentError('model.weights', `${X.cols} weights (X's columns)`, model?.weights);
  checkFinite('model.weights', model.weights);
  checkNumber('model.bias', model.bias);
  return decision(model.weights, model.bias, X);
}

function decision(w: Float64Array, c: number, X: SparseRows): Float64Array {
  const z = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let s = c;
    for (let k = X.indptr[i]; k < X.indptr[i + 1]; k++) s += X.values[k] * w[X.indices[k]];
    z[i] = s;
  }
  return z;
}

/** Fits the model of the header. */
export function logisticRegression(X: SparseRows, labels: ArrayLike<number>, o: LogisticRegressionOptions = {}): LogisticRegression {
  checkSparseRows('X', X);
  if (labels === null || typeof labels !== 'object' || labels.length !== X.rows) throw new ArgumentError('labels', `${X.rows} labels (X's rows)`, labels);
  for (let i = 0; i < X.rows; i++) if (labels[i] !== 0 && labels[i] !== 1) throw new ArgumentError('labels', 'labels 0 or 1', `${labels[i]} at ${i}`);
  const l2 = checkNumber('l2', o.l2 ?? 1e-4, 0);
  const tol = checkNumber('tolerance', o.tolerance ?? 1e-6, 0);
  const maxIterations = checkInteger('maxIterations', o.maxIterations ?? 1000, 0);
  const memory = checkInteger('memory', o.memory ?? 10, 1);
  const m = X.rows;
  const d = X.cols;
  const n = d + 1; // the weights, then the bias
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    const z = decision(theta.subarray(0, d) as Float64Array, theta[d], X);
    grad.fill(0);
    let f = 0;
    for (let i = 0; i < m; i++) {
      const zi = z[i];
      f += Math.max(zi, 0) + Math.log1p(Math.exp(-Math.abs(zi))) - labels[i] * zi;
      const r = (1 / (1 + Math.exp(-zi)) - labels[i]) / m;
      grad[d] += r;
      for (let k = X.indptr[i]; k < X.indptr[i + 1]; k++) grad[X.indices[k]] += r * X.values[k];
    }
    f /= m;
    for (let j = 0; j < d; j++) {
      f += 0.5 * l2 * theta[j] * theta[j];
      grad[j] += l2 * theta[j];
    }
    return f;
  };
  const maxAbs = (v: Float64Array) => v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[j] * b[j];
    return s;
  };
  let theta = new Float64Array(n);
  let grad = new Float64Array(n);
  let f = evaluate(theta, grad);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const dir = new Float64Array(n);
  let iterations = 0;
  while (maxAbs(grad) > tol && iterations < maxIterations) {
    // Two-loop recursion: dir = -H grad.
    dir.set(grad);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dot(S[k], dir) / dot(Y[k], S[k]);
      alpha[k] = a;
      for (let j = 0; j < n; j++) dir[j] -= a * Y[k][j];
    }
    const gamma = S.length > 0 ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    for (let j = 0; j < n; j++) dir[j] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const b = dot(Y[k], dir) / dot(Y[k], S[k]);
      for (let j = 0; j < n; j++) dir[j] += S[k][j] * (alpha[k] - b);
    }
    for (let j = 0; j < n; j++) dir[j] = -dir[j];
    let slope = dot(grad, dir);
    if (!(slope < 0)) {
      // Not a descent direction (rounding): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      for (let j = 0; j < n; j++) dir[j] = -grad[j];
      slope = -dot(grad, grad);
    }
    let step = 1;
    const next = new Float64Array(n);
    const gNext = new Float64Array(n);
    let fNext = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let j = 0; j < n; j++) next[j] = theta[j] + step * dir[j];
      fNext = evaluate(next, gNext);
      if (fNext <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    iterations++;
    if (!(fNext < f)) break; // no decrease at rounding level: the minimum to float64 precision
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      s[j] = next[j] - theta[j];
      y[j] = gNext[j] - grad[j];
    }
    if (dot(s, y) > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s);
      Y.push(y);
      if (S.length > memory) {
        S.shift();
        Y.shift();
      }
    }
    theta = next;
    grad = gNext;
    f = fNext;
  }
  const gradientNorm = maxAbs(grad);
  return { weights: theta.slice(0, d), bias: theta[d], loss: f, gradientNorm, iterations, converged: gradientNorm <= tol, l2 };
}
