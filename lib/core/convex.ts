/**
 * Convex solvers: nonnegative and sign-constrained least squares, batched over
 * right-hand sides that share one Gram matrix. The home of every convex solve
 * in the project (CNMF's ANLS steps, sign-constrained regressions such as
 * Dale's-law weight fits, small QPs); a study builds on these, not beside them.
 *
 * The problem. For a symmetric positive semi-definite G (n x n) and r
 * right-hand sides c_1..c_r (each of length n), solve independently
 *
 *   min_x  1/2 x^T G x - c_j^T x   subject to  x >= 0,                j = 1..r.
 *
 * With G = A^T A and c_j = A^T b_j this is nonnegative least squares
 * min ||A x - b_j||_2, x >= 0; with G + 2 lambda I (ridge) or c - mu (L1) it
 * is the penalised problem; any strictly convex QP with bounds x_i >= 0 on
 * some coordinates and none on others is this problem with "free" coordinates.
 * The solution is the unique point satisfying the KKT conditions
 *
 *   y = G x - c,   x >= 0,   y >= 0,   x_i y_i = 0   (y_i = 0 for a free i).
 *
 * Method: block principal pivoting (Kim & Park 2011, SIAM J. Sci. Comput.
 * 33(6)). A passive set F holds the coordinates assumed positive; x_F solves
 * G_FF x_F = c_F (Cholesky) and x is 0 elsewhere. Every infeasible coordinate
 * (x_i < 0 in F, y_i < 0 outside F) changes sides at once while their number
 * keeps falling, else only the last one (the backup rule that guarantees
 * termination). Right-hand sides whose passive sets coincide share one
 * factorisation, which is what makes thousands of small problems cheap.
 *
 * Sign constraints. x_i >= 0, x_i <= 0 or x_i free, one sign per coefficient
 * shared by all right-hand sides: with D = diag(s_i) (s_i = -1 for a
 * nonpositive coefficient, +1 otherwise), x = D y turns the problem into
 * min 1/2 y^T (D G D) y - (D c)^T y with y_i >= 0 for constrained i; free
 * coordinates stay in the passive set from the start and are never exchanged.
 *
 * Layouts (row-major Float64Array):
 *   G  n x n, entry (i, k) at i*n + k
 *   C  rhs-major r x n: C[j*n + i] = c_j[i]   (one right-hand side per row)
 *   X  the solution in C's layout: X[j*n + i] = x_j[i]
 * The matrix front ends (`nnls`, `signConstrainedLstsq`) take A (m x n) and
 * B (m x r) and return X as an n x r row-major matrix { rows, cols, data }.
 */
import { gemm } from './gemm';
import { MatrixLike, toMatrix } from './linalg';
import { convergenceReport, type ConvergenceReport } from './convergence';
import { ArgumentError, checkFinite, checkInteger, describe } from './validate';

export interface NnlsOptions {
  /** Cap on pivoting rounds (default 10 * n + 50; BPP needs a handful in practice). */
  maxIterations?: number;
  /**
   * Warm start (rhs-major like the result): the pivoting starts from the
   * passive sets {i : x_i > 0} of this guess instead of the empty set. In
   * alternating solvers the previous iterate is a good guess and saves most
   * pivoting rounds; the solution is the same. (For `signConstrainedGram`:
   * {i : s_i x_i > 0}, i.e. a guess in the original signs.)
   */
  initialX?: Float64Array;
}

/**
 * A solution array with the pivoting's convergence report: iterations = pivoting rounds; residual = the
 * KKT violations left over all right-hand sides (x_i < 0 in the passive set, y_i < 0 outside it), tolerance 0.
 * Unconverged only when `maxIterations` stopped it: then x is clipped to its bounds, not optimal.
 */
export type SolvedArray = Float64Array & { convergence: ConvergenceReport };

/**
 * Solves r independent problems  min_x 1/2 x^T G x - c_j^T x  subject to x >= 0
 * for a shared symmetric positive semi-definite G (n x n, row-major) and
 * right-hand sides given rhs-major: C[j*n + i] = c_j[i]. Returns X in the same
 * rhs-major layout. This is NNLS on the normal equations (G = A^T A, c = A^T b).
 * Columns whose passive sets coincide share one Cholesky factorisation.
 */
export function nnlsGram(G: Float64Array, C: Float64Array, n: number, r: number, options: NnlsOptions = {}): SolvedArray {
  checkGramProblem(G, C, n, r);
  return pivot(G, C, n, r, options, null);
}

function checkGramProblem(G: Float64Array, C: Float64Array, n: number, r: number): void {
  checkInteger('n', n, 1);
  checkInteger('r', r, 0);
  if (G.length !== n * n) throw new ArgumentError('G', `${n * n} entries (n x n)`, G);
  if (C.length !== n * r) throw new ArgumentError('C', `${n * r} entries (r x n, one right-hand side per row)`, C);
  // A NaN or infinity would pass through the pivoting into every coefficient (O(n^2 + nr), beside O(n^3 + n^2 r) to solve).
  checkFinite('G', G);
  checkFinite('C', C);
}

/** Block principal pivoting; `free` (or null) marks coordinates without a bound, kept passive throughout. */
function pivot(G: Float64Array, C: Float64Array, n: number, r: number, options: NnlsOptions, free: Uint8Array | null): SolvedArray {
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
  // the columns whose pivoting starts from a non-empty passive set: a warm start's positive entries, the free coordinates
  const start: number[] = [];
  if (options.initialX !== undefined && options.initialX.length !== n * r) throw new ArgumentError('initialX', `${n * r} entries (r x n)`, options.initialX);
  for (let j = 0; j < r; j++) {
    let any = false;
    for (let i = 0; i < n; i++) {
      if ((options.initialX !== undefined && options.initialX[j * n + i] > 0) || (free !== null && free[i] === 1)) passive[j * n + i] = 1, any = true;
    }
    if (any) start.push(j);
  }
  if (start.length > 0) solvePassiveGroups(G, C, X, Y, passive, n, start, maxDiag);
  // x_i < 0 on the passive set or y_i < 0 off it; a free coordinate is never infeasible
  const infeasible = (o: number, i: number, tolj: number) => (free !== null && free[i] === 1 ? false : passive[o + i] ? X[o + i] < 0 : Y[o + i] < -tolj);
  const changed: number[] = [];
  const measure = 'KKT violations left over all right-hand sides (x < 0 in the passive set, gradient < 0 outside it)';
  for (let iter = 0; iter < maxIterations; iter++) {
    changed.length = 0;
    for (let j = 0; j < r; j++) {
      const o = j * n;
      let nInfeasible = 0;
      let last = -1;
      for (let i = 0; i < n; i++) {
        if (infeasible(o, i, tol[j])) {
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
        for (let i = 0; i < n; i++) if (infeasible(o, i, tol[j])) passive[o + i] ^= 1;
      } else passive[o + last] ^= 1;
    }
    if (changed.length === 0) return Object.assign(X, { convergence: convergenceReport(iter, 0, 0, measure) });
    solvePassiveGroups(G, C, X, Y, passive, n, changed, maxDiag);
  }
  // What the cap left: the violations after the last solve.
  let violations = 0;
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) if (infeasible(j * n, i, tol[j])) violations++;
  // Not converged within the cap: the iterate is feasible on its passive set; clip
  // so the caller still gets x >= 0 on the bounded coordinates.
  for (let i = 0; i < X.length; i++) if (X[i] < 0 && !(free !== null && free[i % n] === 1)) X[i] = 0;
  return Object.assign(X, { convergence: convergenceReport(maxIterations, violations, 0, measure, violations === 0) });
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
 * Sign constraints, one per coefficient: +1 (x_i >= 0), -1 (x_i <= 0) or 0
 * (free). Solves r problems  min 1/2 x^T G x - c_j^T x  with those signs, in
 * `nnlsGram`'s layouts, by x = D y (D = diag of the signs, 1 for free ones)
 * and block principal pivoting with the free coordinates always passive.
 * A free coordinate needs G positive definite on the free block for a unique x.
 */
export function signConstrainedGram(G: Float64Array, C: Float64Array, n: number, r: number, signs: ArrayLike<number>, options: NnlsOptions = {}): SolvedArray {
  checkGramProblem(G, C, n, r);
  const d = checkSigns(signs, n);
  const free = new Uint8Array(n);
  for (let i = 0; i < n; i++) free[i] = signs[i] === 0 ? 1 : 0;
  const Gs = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) Gs[i * n + k] = d[i] * d[k] * G[i * n + k];
  const flip = (V: Float64Array) => {
    const out = new Float64Array(V.length);
    for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) out[j * n + i] = d[i] * V[j * n + i];
    return out;
  };
  if (options.initialX !== undefined && options.initialX.length !== n * r) throw new ArgumentError('initialX', `${n * r} entries (r x n)`, options.initialX);
  const Y = pivot(Gs, flip(C), n, r, { ...options, initialX: options.initialX && flip(options.initialX) }, free);
  return Object.assign(flip(Y), { convergence: Y.convergence });
}

/** D = diag(s) with free coordinates mapped to 1; validates s in {-1, 0, 1}. */
function checkSigns(signs: ArrayLike<number>, n: number): Float64Array {
  if (signs === null || typeof signs !== 'object' || signs.length !== n) throw new ArgumentError('signs', `${n} entries, one per coefficient`, signs);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = signs[i];
    if (s !== 1 && s !== -1 && s !== 0) throw new ArgumentError('signs', '+1 (x >= 0), -1 (x <= 0) or 0 (free) for each coefficient', `${describe(s)} at index ${i}`);
    d[i] = s === -1 ? -1 : 1;
  }
  return d;
}

/** A^T A and the rhs-major A^T B (both row-major) of the matrix front ends, B given as a matrix or one vector. */
function normalEquations(A: MatrixLike, B: MatrixLike | number[]): { G: Float64Array; C: Float64Array; n: number; r: number } {
  const a = toMatrix('A', A);
  const b = Array.isArray(B) && !Array.isArray(B[0]) ? toMatrix('B', (B as number[]).map((v) => [v])) : toMatrix('B', B as MatrixLike);
  if (b.rows !== a.rows) throw new ArgumentError('B', `${a.rows} rows (as many as A)`, `${b.rows} rows`);
  const m = a.rows;
  const n = a.columns;
  const r = b.columns;
  const ad = Float64Array.from(a.to1DArray());
  const bd = Float64Array.from(b.to1DArray());
  const G = new Float64Array(n * n);
  gemm(n, n, m, ad, ad, G, { transA: true });
  const C = new Float64Array(r * n); // rhs-major: (A^T B)^T = B^T A
  gemm(r, n, m, bd, ad, C, { transA: true });
  return { G, C, n, r };
}

/** The solution of a matrix front end: X (n x r, row-major) and the pivoting's convergence report. */
export interface ConstrainedSolution {
  rows: number;
  cols: number;
  data: Float64Array;
  convergence: ConvergenceReport;
}

/** The rhs-major solution as an n x r row-major matrix. */
function toColumns(Xt: SolvedArray, n: number, r: number): ConstrainedSolution {
  const data = new Float64Array(n * r);
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) data[i * r + j] = Xt[j * n + i];
  return { rows: n, cols: r, data, convergence: Xt.convergence };
}

/**
 * Nonnegative least squares  min ||A X - B||_F  subject to X >= 0  (A m x n,
 * B m x r or one vector of length m, X n x r), by block principal pivoting on
 * the normal equations. Returns X row-major as { rows: n, cols: r, data } with the pivoting's `convergence`.
 */
export function nnls(A: MatrixLike, B: MatrixLike | number[], options: NnlsOptions = {}): ConstrainedSolution {
  const { G, C, n, r } = normalEquations(A, B);
  return toColumns(nnlsGram(G, C, n, r, options), n, r);
}

/**
 * Sign-constrained least squares  min ||A X - B||_F  with each coefficient
 * (row i of X, for every column) of sign signs[i]: +1 nonnegative, -1
 * nonpositive, 0 free. Layouts as `nnls`.
 */
export function signConstrainedLstsq(A: MatrixLike, B: MatrixLike | number[], signs: ArrayLike<number>, options: NnlsOptions = {}): ConstrainedSolution {
  const { G, C, n, r } = normalEquations(A, B);
  return toColumns(signConstrainedGram(G, C, n, r, signs, options), n, r);
}
