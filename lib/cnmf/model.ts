/** Private to lib/cnmf (the public names are re-exported by index.ts): matrices, validation, and the model's reconstruction, transpose convolution and loss. */
import { ArgumentError, checkFinite, checkInteger, gemm } from '../core';

// ---------------------------------------------------------------------------
// Matrices and validation

/** A dense row-major float64 matrix. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Anything a matrix can be given as: nested arrays, or rows/cols/data (row-major). */
export type DenseMatrixLike = number[][] | { rows: number; cols: number; data: ArrayLike<number> };

/** Copies a matrix-like value into a float64 `DenseMatrix`, naming `name` on bad input. */
export function toDenseMatrix(name: string, x: DenseMatrixLike): DenseMatrix {
  if (Array.isArray(x)) {
    const rows = x.length;
    if (rows === 0 || !Array.isArray(x[0])) throw new ArgumentError(name, 'a non-empty array of rows', x);
    const cols = x[0].length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      if (!Array.isArray(x[i]) || x[i].length !== cols) throw new ArgumentError(name, `rows of equal length ${cols}`, `row ${i} of length ${x[i]?.length}`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = x[i][j];
    }
    return { rows, cols, data };
  }
  if (x == null || typeof x !== 'object' || !('data' in x)) throw new ArgumentError(name, 'a matrix {rows, cols, data} or nested arrays', x);
  checkInteger(`${name}.rows`, x.rows, 1);
  checkInteger(`${name}.cols`, x.cols, 1);
  if (x.data.length !== x.rows * x.cols) throw new ArgumentError(`${name}.data`, `${x.rows * x.cols} entries (${x.rows} x ${x.cols})`, x.data);
  return { rows: x.rows, cols: x.cols, data: Float64Array.from(x.data) };
}

export function checkData(name: string, data: ArrayLike<number>, cols: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0) || v === Infinity) {
      const what = Number.isNaN(v) ? 'NaN' : String(v);
      throw new ArgumentError(name, 'finite nonnegative entries', `${what} at row ${Math.floor(i / cols)}, column ${i % cols}`);
    }
  }
}

/** The data and the model size every fit validates first: X nonnegative and finite, K >= 1, 1 <= L <= T. */
export function checkProblem(X: DenseMatrixLike, options: { K: number; L: number }): { x: DenseMatrix; N: number; T: number; K: number; L: number } {
  const x = toDenseMatrix('X', X);
  checkData('X', x.data, x.cols);
  const K = checkInteger('K', options?.K, 1);
  const L = checkInteger('L', options?.L, 1, x.cols);
  return { x, N: x.rows, T: x.cols, K, L };
}

/** Copies of the caller's initial W and H (both or neither; null for neither), shapes checked against N, K, L, T. */
export function givenFactors(
  N: number, K: number, L: number, T: number, options: { initialW?: Float64Array; initialH?: Float64Array }, hName = 'initialH',
): { W: Float64Array; H: Float64Array } | null {
  if (!options.initialW && !options.initialH) return null;
  if (!options.initialW || !options.initialH) throw new ArgumentError(options.initialW ? 'initialH' : 'initialW', 'given together with the other initial factor', undefined);
  checkFactorShapes(N, K, L, T, options.initialW, options.initialH, 'initialW', hName);
  return { W: Float64Array.from(options.initialW), H: Float64Array.from(options.initialH) };
}

export function checkFactorShapes(N: number, K: number, L: number, T: number, W: Float64Array, H: Float64Array, wName = 'W', hName = 'H'): void {
  checkSizes(N, K, L, T);
  if (W.length !== L * N * K) throw new ArgumentError(wName, `${L * N * K} entries (L ${L} x N ${N} x K ${K}, lag-major)`, W);
  if (H.length !== K * T) throw new ArgumentError(hName, `${K * T} entries (K ${K} x T ${T})`, H);
}

// ---------------------------------------------------------------------------
// Model: reconstruction, transpose convolution, loss

/** Named scratch buffers reused across calls (a solver keeps one; public calls make a fresh one). */
export type Workspace = Record<string, Float64Array>;

export function buffer(ws: Workspace, name: string, size: number): Float64Array {
  let a = ws[name];
  if (!a || a.length !== size) {
    a = new Float64Array(size);
    ws[name] = a;
  }
  return a;
}

/** W unfolded to N x (K L): entry (n, l*K + k) = W_l[n, k]. */
export function unfoldW(W: Float64Array, N: number, K: number, L: number, out: Float64Array): Float64Array {
  const KL = K * L;
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * KL + l * K + k] = W[(l * N + n) * K + k];
  return out;
}

/** Htilde (K L x T): row l*K + k is H_k shifted right by l with zero fill. */
export function stackShifts(H: Float64Array, K: number, L: number, T: number, out: Float64Array): Float64Array {
  out.fill(0);
  for (let l = 0; l < L && l < T; l++) for (let k = 0; k < K; k++) out.set(H.subarray(k * T, k * T + T - l), (l * K + k) * T + l);
  return out;
}

/*
 * Both model products are written as one GEMM with inner or outer dimension
 * K L instead of L GEMMs of width K: with K of 3-10 the per-lag products stream
 * the N x T data once per lag at a few flops per byte, the stacked product
 * streams it once. (Xhat = W_unf Htilde; T(W, Y) = shifted sums of W_unf^T Y.)
 */
export function reconstructInto(W: Float64Array, H: Float64Array, N: number, K: number, L: number, T: number, out: Float64Array, ws: Workspace, beta = 0): void {
  const Wu = unfoldW(W, N, K, L, buffer(ws, 'Wu', N * K * L));
  const Ht = stackShifts(H, K, L, T, buffer(ws, 'HtRecon', K * L * T));
  gemm(N, T, K * L, Wu, Ht, out, { beta });
}

export function transposeConvolveInto(W: Float64Array, Y: Float64Array, N: number, K: number, L: number, T: number, out: Float64Array, ws: Workspace): void {
  const Wu = unfoldW(W, N, K, L, buffer(ws, 'Wu', N * K * L));
  const P = buffer(ws, 'WtY', K * L * T);
  gemm(K * L, T, N, Wu, Y, P, { transA: true });
  out.fill(0);
  for (let l = 0; l < L && l < T; l++) {
    for (let k = 0; k < K; k++) {
      const src = (l * K + k) * T + l;
      const dst = k * T;
      for (let t = 0; t < T - l; t++) out[dst + t] += P[src + t];
    }
  }
}

/** The sizes every public model function takes: N, K, T >= 1 and 1 <= L <= T. */
function checkSizes(N: number, K: number, L: number, T: number): void {
  checkInteger('N', N, 1);
  checkInteger('K', K, 1);
  checkInteger('T', T, 1);
  checkInteger('L', L, 1, T);
}

/** Xhat = sum_l W_l shift_l(H), written into `out` (N x T). */
export function reconstruct(W: Float64Array, H: Float64Array, N: number, K: number, L: number, T: number, out?: Float64Array): Float64Array {
  checkFactorShapes(N, K, L, T, W, H);
  checkFinite('W', W);
  checkFinite('H', H);
  if (out === undefined) out = new Float64Array(N * T);
  else if (out.length !== N * T) throw new ArgumentError('out', `${N * T} entries (N ${N} x T ${T})`, out);
  reconstructInto(W, H, N, K, L, T, out, {});
  return out;
}

/** The transpose convolution T(W, Y)[:, t] = sum_l W_l^T Y[:, t + l] (K x T), written into `out`. */
export function transposeConvolve(W: Float64Array, Y: Float64Array, N: number, K: number, L: number, T: number, out?: Float64Array): Float64Array {
  checkSizes(N, K, L, T);
  if (W.length !== L * N * K) throw new ArgumentError('W', `${L * N * K} entries (L ${L} x N ${N} x K ${K}, lag-major)`, W);
  if (Y.length !== N * T) throw new ArgumentError('Y', `${N * T} entries (N ${N} x T ${T})`, Y);
  checkFinite('W', W);
  checkFinite('Y', Y);
  if (out === undefined) out = new Float64Array(K * T);
  else if (out.length !== K * T) throw new ArgumentError('out', `${K * T} entries (K ${K} x T ${T})`, out);
  transposeConvolveInto(W, Y, N, K, L, T, out, {});
  return out;
}

export function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

export function diffNorm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Relative loss ||Xhat - X||_F / ||X||_F of factors W, H on data X (any finite X, W, H: a NaN would make the loss NaN). */
export function relativeLoss(X: DenseMatrixLike, W: Float64Array, H: Float64Array, K: number, L: number): number {
  const x = toDenseMatrix('X', X);
  checkFinite('X', x.data);
  checkFactorShapes(x.rows, K, L, x.cols, W, H);
  checkFinite('W', W);
  checkFinite('H', H);
  const xhat = reconstruct(W, H, x.rows, K, L, x.cols);
  return diffNorm(xhat, x.data) / Math.sqrt(sumSquares(x.data));
}

/** Motif k as an N x L matrix (neurons by lags), for plotting. */
export function motif(W: Float64Array, N: number, K: number, L: number, k: number): DenseMatrix {
  checkInteger('N', N, 1);
  checkInteger('K', K, 1);
  checkInteger('L', L, 1);
  checkInteger('k', k, 0, K - 1);
  if (W.length !== L * N * K) throw new ArgumentError('W', `${L * N * K} entries (L ${L} x N ${N} x K ${K}, lag-major)`, W);
  checkFinite('W', W);
  const data = new Float64Array(N * L);
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) data[n * L + l] = W[(l * N + n) * K + k];
  return { rows: N, cols: L, data };
}
