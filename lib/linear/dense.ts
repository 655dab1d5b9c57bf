/**
 * Small dense float64 matrices for the linear-network theory: row-major
 * `{ rows, cols, data: Float64Array }` (lib/core's `MatrixLike` accepts it),
 * products through lib/core `gemm` (the native BLAS when loaded). Mode
 * strengths are compared at the 1e-3 level after thousands of steps and
 * the error sums cancel, hence float64 throughout.
 *
 * Also the quantities every linear-network calculation shares:
 *   loss       L(W) = 1/2 [tr Syy - 2 tr(W Syx^T) + tr(W Sxx W^T)]      (Sxx null: identity)
 *   modes      a_j = (U^T W V)_jj, the product's strength along the j-th singular pair of Syx
 *   Eckart-Young: min over rank-r W of L = 1/2 [tr Syy - sum_{j<=r} sigma_j^2],
 *              sigma_j the singular values of Syx Sxx^-1/2.
 */
import { ArgumentError, checkFinite, checkInteger, gemm, Matrix, Rng, svd, symEig } from '../core';

/** A dense float64 matrix, row-major. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A rows x cols matrix (zeros, or the given row-major values, not copied). */
export const dense = (rows: number, cols: number, data = new Float64Array(rows * cols)): DenseMatrix => ({ rows, cols, data });

/** Checks a DenseMatrix argument (shape, length, finite entries). */
export function checkDense(name: string, a: DenseMatrix, rows?: number, cols?: number): DenseMatrix {
  if (!a || typeof a !== 'object' || !(a.data instanceof Float64Array || Array.isArray(a.data))) throw new ArgumentError(name, 'a { rows, cols, data } float64 matrix', a);
  checkInteger(`${name}.rows`, a.rows, 1);
  checkInteger(`${name}.cols`, a.cols, 1);
  if (a.data.length !== a.rows * a.cols) throw new ArgumentError(`${name}.data`, `${a.rows * a.cols} values (rows x cols, row-major)`, `${a.data.length} values`);
  if (rows !== undefined && a.rows !== rows) throw new ArgumentError(`${name}.rows`, `${rows}`, a.rows);
  if (cols !== undefined && a.cols !== cols) throw new ArgumentError(`${name}.cols`, `${cols}`, a.cols);
  checkFinite(`${name}.data`, a.data);
  return a.data instanceof Float64Array ? a : dense(a.rows, a.cols, Float64Array.from(a.data));
}

/** C = alpha op(A) op(B). */
export function matmul(a: DenseMatrix, b: DenseMatrix, transA = false, transB = false, alpha = 1): DenseMatrix {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const kb = transB ? b.cols : b.rows;
  if (kb !== k) throw new ArgumentError('b', `a matrix with inner size ${k}`, `inner size ${kb}`);
  const c = dense(m, n);
  gemm(m, n, k, a.data, b.data, c.data, { transA, transB, alpha });
  return c;
}

export function transpose(x: DenseMatrix): DenseMatrix {
  const t = dense(x.cols, x.rows);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) t.data[j * x.rows + i] = x.data[i * x.cols + j];
  return t;
}

/** Entries N(0, std^2) from `rng` (drawn in float32 and widened, so the LDFA theory's draws are unchanged). */
export function randomNormal(rows: number, cols: number, std: number, rng: Rng): DenseMatrix {
  return dense(rows, cols, Float64Array.from(rng.normalArray(rows * cols, 0, std)));
}

export const fromMatrix = (x: Matrix): DenseMatrix => dense(x.rows, x.columns, Float64Array.from(x.to1DArray()));
export const toMlMatrix = (x: DenseMatrix): Matrix => new Matrix(Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols))));

/** Full orthonormal basis [V, V_perp] of R^n from V's columns (the rest from the eigenvectors of I - V V^T). */
export function completeBasis(V: Matrix, n: number): Matrix {
  if (V.columns >= n) return V;
  const proj = Matrix.eye(n).sub(V.mmul(V.transpose()));
  const rest = symEig(proj).vectors.subMatrix(0, n - 1, 0, n - V.columns - 1);
  const full = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < V.columns; j++) full.set(i, j, V.get(i, j));
    for (let j = 0; j < n - V.columns; j++) full.set(i, V.columns + j, rest.get(i, j));
  }
  return full;
}

/** tr of a square matrix. */
export function trace(a: DenseMatrix): number {
  let t = 0;
  for (let i = 0; i < Math.min(a.rows, a.cols); i++) t += a.data[i * a.cols + i];
  return t;
}

/** Squared Frobenius norm of a - b (b omitted: of a). */
export function frobeniusDistanceSquared(a: DenseMatrix, b?: DenseMatrix): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - (b ? b.data[i] : 0);
    s += d * d;
  }
  return s;
}

/** The squared loss of a linear map W from the covariances (see the header; Sxx null = identity). */
export function quadraticLoss(W: DenseMatrix, Syx: DenseMatrix, Syy: DenseMatrix, Sxx: DenseMatrix | null): number {
  let cross = 0;
  for (let i = 0; i < W.data.length; i++) cross += W.data[i] * Syx.data[i];
  const WS = Sxx ? matmul(W, Sxx) : W;
  let quad = 0;
  for (let i = 0; i < W.data.length; i++) quad += WS.data[i] * W.data[i];
  return 0.5 * (trace(Syy) - 2 * cross + quad);
}

/** Normalised mode strengths (U^T W V)_jj / s_j of the first `modes` modes (U, V null: W is already in the singular basis). */
export function modeProjections(W: DenseMatrix, U: DenseMatrix | null, V: DenseMatrix | null, singularValues: ArrayLike<number>, modes: number): number[] {
  const P = U && V ? matmul(matmul(U, W, true, false), V) : W;
  return Array.from({ length: modes }, (_, j) => P.data[j * P.cols + j] / singularValues[j]);
}

/** The Eckart-Young loss floor of a rank-r product (header); Sxx null = identity. */
export function rankOptimalLoss(Syx: DenseMatrix, Syy: DenseMatrix, Sxx: DenseMatrix | null, r: number, sxxArgument = 'Sxx'): number {
  let M = Syx;
  if (Sxx) {
    const { values, vectors } = symEig(toMlMatrix(Sxx));
    const n = Sxx.rows;
    const inv = new Matrix(n, n);
    for (let j = 0; j < n; j++) {
      if (!(values[j] > 0)) throw new ArgumentError(sxxArgument, 'a positive definite Sigma_xx', `eigenvalue ${values[j]}`);
      const w = 1 / Math.sqrt(values[j]);
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) inv.set(a, b, inv.get(a, b) + w * vectors.get(a, j) * vectors.get(b, j));
    }
    M = matmul(Syx, fromMatrix(inv));
  }
  const sigma = svd(toMlMatrix(M)).s;
  let kept = 0;
  for (let j = 0; j < Math.min(r, sigma.length); j++) kept += sigma[j] * sigma[j];
  return 0.5 * (trace(Syy) - kept);
}

/** A random orthonormal n x k frame (k <= n): the Q of a Gaussian matrix's QR, signs fixed by R's diagonal (Haar-distributed). */
export function randomOrthonormal(n: number, k: number, rng: Rng): DenseMatrix {
  const q = dense(n, k, Float64Array.from(rng.normalArray(n * k, 0, 1, 'float64')));
  // Modified Gram-Schmidt by columns, twice for orthogonality to rounding.
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q.data[i * k + j] * q.data[i * k + p];
        for (let i = 0; i < n; i++) q.data[i * k + j] -= d * q.data[i * k + p];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += q.data[i * k + j] ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) q.data[i * k + j] /= norm;
    }
  }
  return q;
}
