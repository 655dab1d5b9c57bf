/** Private to lib/cnmf (the public names are re-exported by index.ts): nonnegative least squares. */
import { ArgumentError, checkInteger, gemm } from '../core';
import { DenseMatrix, DenseMatrixLike, toDenseMatrix } from './model';

// ---------------------------------------------------------------------------
// NNLS by block principal pivoting (Kim & Park 2011, SIAM J. Sci. Comput. 33(6))

export interface NnlsOptions {
  /** Cap on pivoting rounds (default 10 * n + 50; BPP needs a handful in practice). */
  maxIterations?: number;
  /**
   * Warm start (rhs-major like the result): the pivoting starts from the
   * passive sets {i : x_i > 0} of this guess instead of the empty set. In
   * alternating solvers the previous iterate is a good guess and saves most
   * pivoting rounds; the solution is the same.
   */
  initialX?: Float64Array;
}

/**
 * Solves r independent problems  min_x 1/2 x^T G x - c_j^T x  subject to x >= 0
 * for a shared symmetric positive semi-definite G (n x n, row-major) and
 * right-hand sides given rhs-major: C[j*n + i] = c_j[i]. Returns X in the same
 * rhs-major layout. This is NNLS on the normal equations (G = A^T A, c = A^T b).
 * Columns whose passive sets coincide share one Cholesky factorisation.
 */
export function nnlsGram(G: Float64Array, C: Float64Array, n: number, r: number, options: NnlsOptions = {}): Float64Array {
  checkInteger('n', n, 1);
  checkInteger('r', r, 0);
  if (G.length !== n * n) throw new ArgumentError('G', `${n * n} entries (n x n)`, G);
  if (C.length !== n * r) throw new ArgumentError('C', `${n * r} entries (r x n, one right-hand side per row)`, C);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 10 * n + 50, 1);
  const X = new Float64Array(n * r);
  const Y = new Float64Array(n * r); // gradient G x - c
  const passive = new Uint8Array(n * r);
  const alpha = new Int32Array(r).fill(3);
  const beta = new Int32Array(r).fill(n + 1);
  const tol = new Float64Array(r);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, G[i * n + i]);
  for (let j = 0; j < r; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      Y[j * n + i] = -C[j * n + i];
      m = Math.max(m, Math.abs(C[j * n + i]));
    }
    // gradients this small relative to the right-hand side are round-off, not infeasibility
    tol[j] = 1e-12 * Math.max(m, 1e-300);
  }
  if (options.initialX !== undefined) {
    if (options.initialX.length !== n * r) throw new ArgumentError('initialX', `${n * r} entries (r x n)`, options.initialX);
    const all: number[] = [];
    for (let j = 0; j < r; j++) {
      let any = false;
      for (let i = 0; i < n; i++) if (options.initialX[j * n + i] > 0) passive[j * n + i] = 1, any = true;
      if (any) all.push(j);
    }
    solvePassiveGroups(G, C, X, Y, passive, n, all, maxDiag);
  }
  const changed: number[] = [];
  for (let iter = 0; iter < maxIterations; iter++) {
    changed.length = 0;
    for (let j = 0; j < r; j++) {
      const o = j * n;
      let nInfeasible = 0;
      let last = -1;
      for (let i = 0; i < n; i++) {
        if (passive[o + i] ? X[o + i] < 0 : Y[o + i] < -tol[j]) {
          nInfeasible++;
          last = i;
        }
      }
      if (nInfeasible === 0) continue;
      changed.push(j);
      // Kim & Park's backup rule: exchange all infeasible variables while their
      // count keeps falling (or for up to 3 rounds), else only the last one.
      let exchangeAll: boolean;
      if (nInfeasible < beta[j]) {
        beta[j] = nInfeasible;
        alpha[j] = 3;
        exchangeAll = true;
      } else if (alpha[j] >= 1) {
        alpha[j]--;
        exchangeAll = true;
      } else exchangeAll = false;
      if (exchangeAll) {
        for (let i = 0; i < n; i++) if (passive[o + i] ? X[o + i] < 0 : Y[o + i] < -tol[j]) passive[o + i] ^= 1;
      } else passive[o + last] ^= 1;
    }
    if (changed.length === 0) return X;
    solvePassiveGroups(G, C, X, Y, passive, n, changed, maxDiag);
  }
  // Not converged within the cap: the iterate is feasible on its passive set; clip
  // so the caller still gets x >= 0.
  for (let i = 0; i < X.length; i++) if (X[i] < 0) X[i] = 0;
  return X;
}

/** For each column in `cols`: x_F = G_FF^{-1} c_F, x elsewhere 0, y = G x - c (y_F = 0). */
function solvePassiveGroups(G: Float64Array, C: Float64Array, X: Float64Array, Y: Float64Array, passive: Uint8Array, n: number, cols: number[], maxDiag: number): void {
  const groups = new Map<string, number[]>();
  for (const j of cols) {
    let key = '';
    for (let i = 0; i < n; i++) key += passive[j * n + i] ? '1' : '0';
    const g = groups.get(key);
    if (g) g.push(j);
    else groups.set(key, [j]);
  }
  const idx = new Int32Array(n);
  const chol = new Float64Array(n * n);
  const z = new Float64Array(n);
  for (const members of groups.values()) {
    const j0 = members[0];
    let p = 0;
    for (let i = 0; i < n; i++) if (passive[j0 * n + i]) idx[p++] = i;
    if (p > 0) cholesky(G, n, idx, p, chol, maxDiag);
    for (const j of members) {
      const o = j * n;
      X.fill(0, o, o + n);
      if (p > 0) {
        for (let a = 0; a < p; a++) z[a] = C[o + idx[a]];
        cholSolve(chol, p, z);
        for (let a = 0; a < p; a++) X[o + idx[a]] = z[a];
      }
      for (let i = 0; i < n; i++) {
        if (passive[o + i]) {
          Y[o + i] = 0;
          continue;
        }
        let s = -C[o + i];
        for (let a = 0; a < p; a++) s += G[i * n + idx[a]] * z[a];
        Y[o + i] = s;
      }
    }
  }
}

/** Lower Cholesky factor of G[idx, idx] (p x p) into chol; tiny pivots get a ridge so singular G (zero columns) still solves. */
function cholesky(G: Float64Array, n: number, idx: Int32Array, p: number, chol: Float64Array, maxDiag: number): void {
  const floor = 1e-13 * Math.max(maxDiag, 1e-300);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let s = G[idx[a] * n + idx[b]];
      for (let c = 0; c < b; c++) s -= chol[a * p + c] * chol[b * p + c];
      if (a === b) chol[a * p + a] = Math.sqrt(Math.max(s, floor));
      else chol[a * p + b] = s / chol[b * p + b];
    }
  }
}

function cholSolve(chol: Float64Array, p: number, z: Float64Array): void {
  for (let a = 0; a < p; a++) {
    let s = z[a];
    for (let c = 0; c < a; c++) s -= chol[a * p + c] * z[c];
    z[a] = s / chol[a * p + a];
  }
  for (let a = p - 1; a >= 0; a--) {
    let s = z[a];
    for (let c = a + 1; c < p; c++) s -= chol[c * p + a] * z[c];
    z[a] = s / chol[a * p + a];
  }
}

/**
 * Nonnegative least squares  min ||A X - B||_F  subject to X >= 0  (A m x n,
 * B m x r, X n x r), by block principal pivoting on the normal equations.
 */
export function nnls(A: DenseMatrixLike, B: DenseMatrixLike, options: NnlsOptions = {}): DenseMatrix {
  const a = toDenseMatrix('A', A);
  const b = toDenseMatrix('B', B);
  if (b.rows !== a.rows) throw new ArgumentError('B', `${a.rows} rows (as many as A)`, `${b.rows} rows`);
  const n = a.cols;
  const r = b.cols;
  const G = new Float64Array(n * n);
  gemm(n, n, a.rows, a.data, a.data, G, { transA: true });
  const C = new Float64Array(r * n); // rhs-major: (A^T B)^T = B^T A
  gemm(r, n, a.rows, b.data, a.data, C, { transA: true });
  const Xt = nnlsGram(G, C, n, r, options);
  const data = new Float64Array(n * r);
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) data[i * r + j] = Xt[j * n + i];
  return { rows: n, cols: r, data };
}
