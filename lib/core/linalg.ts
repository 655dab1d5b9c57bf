/**
 * Small dense float64 linear algebra on ml-matrix: symmetric and general
 * eigendecompositions (complex eigenvalues, right and left eigenvectors),
 * SVD and least squares. For the sizes these serve (Jacobians of a few
 * hundred units, Lanczos tridiagonals, Gram matrices) plain float64 JS is
 * accurate and fast enough; heavy batched work stays in tfjs.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition, inverse, solve } from 'ml-matrix';
import { nativeAddon } from './native';
import { ArgumentError, checkFinite, checkInteger } from './validate';

export { Matrix };

/** Cosine of the angle between two vectors of equal length, float64 sums; NaN when either is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ArgumentError('b', `a vector of length ${a.length}`, `length ${b.length}`);
  checkFinite('a', a);
  checkFinite('b', b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 || bb === 0) return NaN;
  return ab / Math.sqrt(aa * bb);
}

/** Anything convertible to a dense float64 matrix. */
export type MatrixLike = Matrix | number[][] | { data: ArrayLike<number>; rows: number; cols: number };

/** Converts to an ml-matrix `Matrix` (copying), validating shape and finiteness. */
export function toMatrix(name: string, a: MatrixLike): Matrix {
  let m: Matrix;
  if (a instanceof Matrix) m = a.clone();
  else if (Array.isArray(a)) {
    if (a.length === 0 || !Array.isArray(a[0])) throw new ArgumentError(name, 'a non-empty array of rows', a);
    const cols = a[0].length;
    a.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new ArgumentError(`${name}[${i}]`, `a row of length ${cols}`, row);
      }
    });
    m = new Matrix(a);
  } else if (a && typeof a === 'object' && 'data' in a) {
    checkInteger(`${name}.rows`, a.rows, 1);
    checkInteger(`${name}.cols`, a.cols, 1);
    if (a.data.length !== a.rows * a.cols) {
      throw new ArgumentError(`${name}.data`, `${a.rows * a.cols} values (rows x cols, row-major)`, a.data);
    }
    m = new Matrix(a.rows, a.cols);
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]);
  } else {
    throw new ArgumentError(name, 'a Matrix, an array of rows or { data, rows, cols }', a);
  }
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.columns; j++) {
      if (!Number.isFinite(m.get(i, j))) throw new ArgumentError(name, 'finite entries', `${m.get(i, j)} at (${i}, ${j})`);
    }
  }
  return m;
}

function checkSquare(name: string, m: Matrix): void {
  if (!m.isSquare()) throw new ArgumentError(name, 'a square matrix', `a ${m.rows}x${m.columns} matrix`);
}

export interface SymEig {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns, in the order of `values`. */
  vectors: Matrix;
}

/**
 * Cholesky factor of a k x k symmetric matrix in place: G (row-major, at least
 * k * k values) gets L in its lower triangle, G = L L^T; the upper triangle is
 * left as it was. Returns false -- G then partly overwritten -- at the first
 * pivot that is not positive, or when an entry read is not finite. Plain
 * JavaScript in float64 for the small Gram matrices of CholeskyQR (lib/dynamics)
 * and the CP/AMP solves (lib/tensor), where a BLAS call costs more than the work.
 */
export function choleskyInPlace(G: Float64Array, k: number): boolean {
  checkInteger('k', k, 0);
  if (!(G instanceof Float64Array) || G.length < k * k) throw new ArgumentError('G', `a Float64Array of at least k * k = ${k * k} values`, G);
  for (let j = 0; j < k; j++) {
    let d = G[j * k + j];
    for (let p = 0; p < j; p++) d -= G[j * k + p] * G[j * k + p];
    // d > 0 is false for NaN; an infinite pivot would spread NaN through L.
    if (!(d > 0 && d < Infinity)) return false;
    const ljj = Math.sqrt(d);
    G[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let s = G[i * k + j];
      for (let p = 0; p < j; p++) s -= G[i * k + p] * G[j * k + p];
      if (!Number.isFinite(s)) return false;
      G[i * k + j] = s / ljj;
    }
  }
  return true;
}

/**
 * Solves X V = M for each of `rows` rows of M (rows x r, row-major) with V
 * (r x r) symmetric positive definite, by Cholesky; X overwrites M. A V that
 * is only semidefinite gets a ridge of 1e-12 x its mean diagonal; if that
 * fails too, X is 0. Small r (a rank, a few units): plain float64 JavaScript,
 * as choleskyInPlace.
 */
export function solveRows(V: Float64Array, M: Float64Array, rows: number, r: number): void {
  checkInteger('rows', rows, 0);
  checkInteger('r', r, 0);
  if (!(V instanceof Float64Array) || V.length < r * r) throw new ArgumentError('V', `a Float64Array of at least r * r = ${r * r} values`, V);
  if (!(M instanceof Float64Array) || M.length < rows * r) throw new ArgumentError('M', `a Float64Array of at least rows * r = ${rows * r} values`, M);
  checkFinite('V', V.subarray(0, r * r));
  checkFinite('M', M.subarray(0, rows * r));
  let L = Float64Array.from(V);
  if (!choleskyInPlace(L, r)) {
    let tr = 0;
    for (let i = 0; i < r; i++) tr += V[i * r + i];
    const ridge = Math.max(1e-12 * tr / r, 1e-300);
    L = Float64Array.from(V);
    for (let i = 0; i < r; i++) L[i * r + i] += ridge;
    if (!choleskyInPlace(L, r)) { M.fill(0); return; }
  }
  for (let q = 0; q < rows; q++) {
    const o = q * r;
    // L y = m, then L^T x = y
    for (let i = 0; i < r; i++) {
      let s = M[o + i];
      for (let k = 0; k < i; k++) s -= L[i * r + k] * M[o + k];
      M[o + i] = s / L[i * r + i];
    }
    for (let i = r - 1; i >= 0; i--) {
      let s = M[o + i];
      for (let k = i + 1; k < r; k++) s -= L[k * r + i] * M[o + k];
      M[o + i] = s / L[i * r + i];
    }
  }
}

/** From this size symEig runs LAPACK's dsyevd in the add-on where it has one (a 512 x 512 matrix: seconds in JavaScript). */
export const SYM_EIG_NATIVE_MIN = 64;

/**
 * Eigendecomposition of a symmetric matrix, eigenvalues descending. The input
 * is symmetrised as (A + A^T)/2 after checking that its asymmetry is at
 * rounding level. From SYM_EIG_NATIVE_MIN rows LAPACK's divide and conquer
 * (dsyevd, in the add-on's OpenBLAS) solves it; smaller matrices, or no
 * add-on, take ml-matrix's tridiagonal QL. Eigenvector signs are whatever the
 * solver gives.
 */
export function symEig(a: MatrixLike): SymEig {
  const m = toMatrix('a', a);
  checkSquare('a', m);
  const n = m.rows;
  let asym = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      asym = Math.max(asym, Math.abs(m.get(i, j) - m.get(j, i)));
      scale = Math.max(scale, Math.abs(m.get(i, j)));
    }
  }
  if (asym > 1e-8 * Math.max(scale, 1e-300)) {
    throw new ArgumentError('a', 'a symmetric matrix (use eig for general ones)', `max |A - A^T| = ${asym.toExponential(3)}`);
  }
  const sym = m.clone().add(m.transpose()).mul(0.5);
  const addon = n >= SYM_EIG_NATIVE_MIN ? nativeAddon() : null;
  if (addon?.symEig) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = sym.get(i, j);
    const w = new Float64Array(n);
    const info = addon.symEig(n, a, w);
    if (info === 0) {
      const values = new Float64Array(n);
      const vectors = new Matrix(n, n);
      for (let dst = 0; dst < n; dst++) {
        const src = n - 1 - dst;
        values[dst] = w[src];
        for (let i = 0; i < n; i++) vectors.set(i, dst, a[src * n + i]);
      }
      return { values, vectors };
    }
    // A LAPACK failure to converge (info > 0) falls through to the JavaScript solver.
  }
  const evd = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]);
  const values = Float64Array.from(order, ([v]) => v);
  const vectors = new Matrix(n, n);
  const V = evd.eigenvectorMatrix;
  order.forEach(([, src], dst) => {
    for (let i = 0; i < n; i++) vectors.set(i, dst, V.get(i, src));
  });
  return { values, vectors };
}

export interface Eig {
  /** Real and imaginary parts of the eigenvalues, sorted by descending magnitude (ties: larger real part, then positive imaginary part first). */
  re: Float64Array;
  im: Float64Array;
  /** Right eigenvectors (columns; A r_j = lambda_j r_j), unit Euclidean norm. */
  rightRe: Matrix;
  rightIm: Matrix;
  /**
   * Left eigenvectors (columns; l_j^H A = lambda_j l_j^H), normalised so that
   * l_j^H r_k = delta_jk. Null when the matrix is defective (right eigenvectors not a basis).
   */
  leftRe: Matrix | null;
  leftIm: Matrix | null;
  /** Magnitudes |lambda_j|. */
  abs: Float64Array;
}

/**
 * Eigendecomposition of a general real square matrix with complex eigenvalues
 * and right and left eigenvectors. Left eigenvectors come from the inverse of
 * the right-eigenvector matrix (L^H = R^{-1}), which makes them biorthonormal
 * to the right ones -- the normalisation linearised-dynamics analyses need
 * (projection of inputs onto modes).
 */
export function eig(a: MatrixLike): Eig {
  const m = toMatrix('a', a);
  checkSquare('a', m);
  const n = m.rows;
  const evd = new EigenvalueDecomposition(m);
  const dr = evd.realEigenvalues;
  const di = evd.imaginaryEigenvalues;
  const V = evd.eigenvectorMatrix;
  // ml-matrix (JAMA layout) stores a complex pair (a +- bi) in adjacent columns
  // j, j+1 as the real and imaginary parts of the eigenvector of d[j] + i e[j].
  const Rre = new Matrix(n, n);
  const Rim = new Matrix(n, n);
  for (let j = 0; j < n; j++) {
    if (di[j] === 0) {
      for (let i = 0; i < n; i++) Rre.set(i, j, V.get(i, j));
    } else if (j + 1 < n && di[j] === -di[j + 1]) {
      const s = Math.sign(di[j]) || 1;
      for (let i = 0; i < n; i++) {
        Rre.set(i, j, V.get(i, j));
        Rim.set(i, j, s * V.get(i, j + 1));
        Rre.set(i, j + 1, V.get(i, j));
        Rim.set(i, j + 1, -s * V.get(i, j + 1));
      }
      j++;
    }
  }
  // Verify the pairing convention once (cheap) rather than trusting it: fix sign if needed.
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => {
    const ax = Math.hypot(dr[x], di[x]);
    const ay = Math.hypot(dr[y], di[y]);
    if (Math.abs(ax - ay) > 1e-12 * Math.max(ax, ay, 1)) return ay - ax;
    if (dr[x] !== dr[y]) return dr[y] - dr[x];
    return di[y] - di[x];
  });
  const re = Float64Array.from(order, (j) => dr[j]);
  const im = Float64Array.from(order, (j) => di[j]);
  const rightRe = new Matrix(n, n);
  const rightIm = new Matrix(n, n);
  order.forEach((src, dst) => {
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Rre.get(i, src) ** 2 + Rim.get(i, src) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) {
      rightRe.set(i, dst, Rre.get(i, src) / norm);
      rightIm.set(i, dst, Rim.get(i, src) / norm);
    }
  });
  fixPairingSign(m, re, im, rightRe, rightIm);
  const left = leftFromRight(rightRe, rightIm);
  return {
    re,
    im,
    rightRe,
    rightIm,
    leftRe: left ? left.re : null,
    leftIm: left ? left.im : null,
    abs: Float64Array.from(re, (r, j) => Math.hypot(r, im[j])),
  };
}

/** If A r = conj(lambda) r holds better than A r = lambda r, conjugate r (guards the storage convention). */
function fixPairingSign(a: Matrix, re: Float64Array, im: Float64Array, Rre: Matrix, Rim: Matrix): void {
  const n = a.rows;
  for (let j = 0; j < n; j++) {
    if (im[j] === 0) continue;
    let errPlus = 0;
    let errMinus = 0;
    for (let i = 0; i < n; i++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < n; k++) {
        sr += a.get(i, k) * Rre.get(k, j);
        si += a.get(i, k) * Rim.get(k, j);
      }
      // lambda r with lambda = re + i im
      const lr = re[j] * Rre.get(i, j) - im[j] * Rim.get(i, j);
      const li = re[j] * Rim.get(i, j) + im[j] * Rre.get(i, j);
      errPlus += (sr - lr) ** 2 + (si - li) ** 2;
      const cr = re[j] * Rre.get(i, j) + im[j] * Rim.get(i, j);
      const ci = re[j] * Rim.get(i, j) - im[j] * Rre.get(i, j);
      errMinus += (sr - cr) ** 2 + (si - ci) ** 2;
    }
    if (errMinus < errPlus) for (let i = 0; i < n; i++) Rim.set(i, j, -Rim.get(i, j));
  }
}

/** L with L^H = R^{-1}, via the real 2n x 2n embedding of the complex inverse. */
function leftFromRight(Rre: Matrix, Rim: Matrix): { re: Matrix; im: Matrix } | null {
  const n = Rre.rows;
  const big = new Matrix(2 * n, 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      big.set(i, j, Rre.get(i, j));
      big.set(i, j + n, -Rim.get(i, j));
      big.set(i + n, j, Rim.get(i, j));
      big.set(i + n, j + n, Rre.get(i, j));
    }
  }
  const svd = new SingularValueDecomposition(big, { computeLeftSingularVectors: false, computeRightSingularVectors: false });
  const sv = svd.diagonal;
  const cond = sv[0] / sv[sv.length - 1];
  if (!Number.isFinite(cond) || cond > 1e12) return null;
  const inv = inverse(big);
  // inv = [[X, -Y], [Y, X]] with R^{-1} = X + iY; L = (R^{-1})^H = X^T - i Y^T.
  const re = new Matrix(n, n);
  const im = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      re.set(j, i, inv.get(i, j));
      im.set(j, i, -inv.get(i + n, j));
    }
  }
  return { re, im };
}

export interface Svd {
  /** Left singular vectors, m x r (r = min(m, n)). */
  u: Matrix;
  /** Singular values, descending, length r. */
  s: Float64Array;
  /** Right singular vectors, n x r. */
  v: Matrix;
}

/** Thin singular value decomposition A = U diag(s) V^T. */
export function svd(a: MatrixLike): Svd {
  const m = toMatrix('a', a);
  const wide = m.columns > m.rows;
  const work = wide ? m.transpose() : m;
  const d = new SingularValueDecomposition(work, { autoTranspose: false });
  const r = Math.min(m.rows, m.columns);
  const order = d.diagonal.slice(0, r).map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]);
  const U0 = d.leftSingularVectors;
  const V0 = d.rightSingularVectors;
  const pick = (src: Matrix) => {
    const out = new Matrix(src.rows, r);
    order.forEach(([, k], dst) => {
      for (let i = 0; i < src.rows; i++) out.set(i, dst, src.get(i, k));
    });
    return out;
  };
  const s = Float64Array.from(order, ([v]) => v);
  return wide ? { u: pick(V0), s, v: pick(U0) } : { u: pick(U0), s, v: pick(V0) };
}

/** Least-squares solution of A x = b (b a vector or a matrix of right-hand sides). */
export function lstsq(a: MatrixLike, b: MatrixLike | number[]): Matrix {
  const A = toMatrix('a', a);
  if (Array.isArray(b) && !Array.isArray(b[0])) checkFinite('b', b as number[]);
  const B = Array.isArray(b) && !Array.isArray(b[0]) ? Matrix.columnVector(b as number[]) : toMatrix('b', b as MatrixLike);
  if (B.rows !== A.rows) throw new ArgumentError('b', `${A.rows} rows (as many as a)`, `${B.rows} rows`);
  return solve(A, B, A.rows !== A.columns);
}
