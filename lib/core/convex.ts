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
import { choleskyInPlace, MatrixLike, toMatrix } from './linalg';
import { convergenceReport, type ConvergenceReport } from './convergence';
import { ArgumentError, checkFinite, checkInteger, checkNumber, describe } from './validate';

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

/**
 * A convex quadratic program with linear inequalities and sign bounds:
 *
 *   min_x  1/2 x^T P x + q^T x   subject to   G x >= h   and   s_i x_i >= 0 for s_i = +-1,
 *
 * P (n x n, or its diagonal as n values, or absent for a linear program) positive semi-definite,
 * G m x n row-major. Used for sign-constrained max-margin perceptrons (lib/meanfield) and any small
 * QP a study needs; nnlsGram stays the solver for the bound-only (NNLS) case.
 */
export interface QuadraticProgram {
  n: number;
  /** n x n row-major, or n diagonal entries; omitted = 0 (a linear program). */
  P?: Float64Array;
  q: Float64Array;
  /** m x n row-major (m = h.length). */
  G: Float64Array;
  h: Float64Array;
  /** Per variable: +1 (x_i >= 0), -1 (x_i <= 0), 0 (free); omitted = all free. */
  signs?: ArrayLike<number>;
}

export interface QuadraticProgramOptions {
  /** Relative tolerance on the primal and dual residuals and the duality gap (default 1e-9). */
  tolerance?: number;
  /** Interior-point iterations cap (default 100). */
  maxIterations?: number;
}

/** The solution: x, the multipliers z >= 0 of G x >= h and u >= 0 of the sign bounds, and the convergence report. */
export interface QuadraticProgramSolution {
  x: Float64Array;
  /** Multipliers of G x >= h (KKT: P x + q = G^T z + s o u, z o (G x - h) = 0). */
  z: Float64Array;
  /** Multipliers of the bounds s_i x_i >= 0 (0 for free variables). */
  u: Float64Array;
  objective: number;
  convergence: ConvergenceReport;
}

/**
 * Solves a `QuadraticProgram` by a primal-dual interior-point method with Mehrotra's
 * predictor-corrector (Nocedal & Wright 2006, section 16.6; the same scheme as cvxopt's coneqp on
 * the nonnegative orthant). With slacks r = G x - h >= 0 (bounds: r_i = s_i x_i) and multipliers
 * z >= 0 the KKT system  P x + q - G^T z = 0,  G x - r - h = 0,  r o z = mu  is followed as mu -> 0;
 * each Newton step solves the reduced system (P + G^T diag(z / r) G) dx = rhs by Cholesky in float64
 * (gemm for G^T D G: O(m n^2 + n^3) per iteration, about 10-30 iterations). The start is infeasible
 * (x = 0, r = z = 1). Stops when the residuals, each relative to 1 + the size of its data, and the
 * mean complementarity relative to 1 + |objective| are all <= tolerance. An infeasible or unbounded
 * problem does not converge (report says so): bound a possibly infeasible problem with a penalised
 * slack variable, as the max-margin solvers of lib/meanfield do.
 */
export function quadraticProgram(problem: QuadraticProgram, options: QuadraticProgramOptions = {}): QuadraticProgramSolution {
  if (problem === null || typeof problem !== 'object') throw new ArgumentError('problem', 'an object { n, P?, q, G, h, signs? }', problem);
  const n = checkInteger('problem.n', problem.n, 1);
  const { q, G, h } = problem;
  if (!(q instanceof Float64Array) || q.length !== n) throw new ArgumentError('problem.q', `a Float64Array of n = ${n} values`, q);
  if (!(h instanceof Float64Array)) throw new ArgumentError('problem.h', 'a Float64Array (one entry per row of G)', h);
  const m = h.length;
  if (!(G instanceof Float64Array) || G.length !== m * n) throw new ArgumentError('problem.G', `a Float64Array of m x n = ${m} x ${n} values`, G);
  const P = problem.P;
  if (P !== undefined && (!(P instanceof Float64Array) || (P.length !== n && P.length !== n * n))) throw new ArgumentError('problem.P', `a Float64Array of n = ${n} (diagonal) or n x n = ${n * n} values`, P);
  // the Newton system squares the data: entries beyond 1e150 would overflow it
  checkModerate('problem.q', q);
  checkModerate('problem.G', G);
  checkModerate('problem.h', h);
  if (P !== undefined) checkModerate('problem.P', P);
  const sgn = problem.signs === undefined ? new Float64Array(n) : Float64Array.from(checkSigns(problem.signs, n), (d, i) => (problem.signs![i] === 0 ? 0 : d));
  const tol = checkNumber('tolerance', options.tolerance ?? 1e-9, Number.MIN_VALUE, 1);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 100, 1);
  const bounded: number[] = [];
  for (let i = 0; i < n; i++) if (sgn[i] !== 0) bounded.push(i);
  const nb = bounded.length;
  const mt = m + nb; // rows G, then one per bound
  const x = new Float64Array(n);
  const r = new Float64Array(mt).fill(1);
  const z = new Float64Array(mt).fill(1);
  const Px = (v: Float64Array, out: Float64Array) => {
    if (P === undefined) out.fill(0);
    else if (P.length === n) for (let i = 0; i < n; i++) out[i] = P[i] * v[i];
    else gemm(n, 1, n, P, v, out);
  };
  const Gx = (v: Float64Array, out: Float64Array) => { // full rows: G v, then s_i v_i
    if (m > 0) gemm(m, 1, n, G, v, out);
    for (let k = 0; k < nb; k++) out[m + k] = sgn[bounded[k]] * v[bounded[k]];
  };
  const GTx = (v: Float64Array, out: Float64Array) => { // G^T v_G + s o v_b
    if (m > 0) gemm(n, 1, m, G, v, out, { transA: true });
    else out.fill(0);
    for (let k = 0; k < nb; k++) out[bounded[k]] += sgn[bounded[k]] * v[m + k];
  };
  const normInf = (v: Float64Array) => { let s = 0; for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i])); return s; };
  const scaleD = 1 + normInf(q), scaleP = 1 + normInf(h);
  const rd = new Float64Array(n), rp = new Float64Array(mt), tmpN = new Float64Array(n), tmpM = new Float64Array(mt);
  const Gs = new Float64Array(m * n), M = new Float64Array(n * n);
  const dx = new Float64Array(n), dz = new Float64Array(mt), dr = new Float64Array(mt);
  const dxA = new Float64Array(n), dzA = new Float64Array(mt), drA = new Float64Array(mt), rc = new Float64Array(mt);
  let objective = 0;
  let residual = Infinity;
  const measure = 'max of the primal residual / (1 + |h|), the dual residual / (1 + |q|) and the mean complementarity / (1 + |objective|)';
  /** M = P + G^T diag(d) G (bound rows on the diagonal), factorised in place; false if not positive definite. */
  const factorReduced = (d: Float64Array): boolean => {
    if (P === undefined) M.fill(0);
    else if (P.length === n) { M.fill(0); for (let i = 0; i < n; i++) M[i * n + i] = P[i]; } else M.set(P);
    for (let k = 0; k < m; k++) {
      const s = Math.sqrt(d[k]);
      for (let i = 0; i < n; i++) Gs[k * n + i] = s * G[k * n + i];
    }
    if (m > 0) gemm(n, n, m, Gs, Gs, M, { transA: true, beta: 1 });
    for (let k = 0; k < nb; k++) M[bounded[k] * n + bounded[k]] += d[m + k];
    // a ridge at rounding level of each diagonal entry keeps the factorisation defined (a ridge scaled by the
    // largest entry would swamp the small ones: z / r grows without bound on active constraints)
    for (let i = 0; i < n; i++) M[i * n + i] = M[i * n + i] * (1 + 1e-13) + 1e-300;
    return choleskyInPlace(M, n);
  };
  // Starting point (Mehrotra's heuristic, Nocedal & Wright 2006 section 14.2, with cvxopt's least-squares primal):
  // x from min 1/2 x^T P x + q^T x + 1/2 |G x - h|^2, r = G x - h, z the least-squares multipliers of
  // G^T z = P x + q; both shifted into the positive orthant and balanced so that r o z is centred.
  tmpM.fill(1);
  if (factorReduced(tmpM)) {
    const hFull = new Float64Array(mt);
    hFull.set(h);
    GTx(hFull, x);
    for (let i = 0; i < n; i++) x[i] -= q[i];
    cholSolve(M, n, x);
    Gx(x, r);
    for (let k = 0; k < m; k++) r[k] -= h[k];
    Px(x, tmpN);
    for (let i = 0; i < n; i++) tmpN[i] += q[i];
    cholSolve(M, n, tmpN);
    Gx(tmpN, z);
    let minR = Infinity, minZ = Infinity;
    for (let k = 0; k < mt; k++) minR = Math.min(minR, r[k]), minZ = Math.min(minZ, z[k]);
    const shiftR = Math.max(-1.5 * minR, 0), shiftZ = Math.max(-1.5 * minZ, 0);
    let rz = 0, sr = 0, sz = 0;
    for (let k = 0; k < mt; k++) {
      r[k] += shiftR;
      z[k] += shiftZ;
      rz += r[k] * z[k];
      sr += r[k];
      sz += z[k];
    }
    const dR = sz > 0 ? (0.5 * rz) / sz : 0, dZ = sr > 0 ? (0.5 * rz) / sr : 0;
    for (let k = 0; k < mt; k++) {
      r[k] = Math.max(r[k] + dR, 1e-8);
      z[k] = Math.max(z[k] + dZ, 1e-8);
    }
    if (!allFinite(x) || !allFinite(r) || !allFinite(z)) x.fill(0), r.fill(1), z.fill(1);
  }
  for (let iter = 0; iter < maxIterations; iter++) {
    // residuals: rd = P x + q - G^T z, rp = G x - r - h
    Px(x, rd);
    GTx(z, tmpN);
    for (let i = 0; i < n; i++) rd[i] += q[i] - tmpN[i];
    Gx(x, rp);
    for (let k = 0; k < mt; k++) rp[k] -= r[k] + (k < m ? h[k] : 0);
    let gap = 0;
    for (let k = 0; k < mt; k++) gap += r[k] * z[k];
    const mu = mt > 0 ? gap / mt : 0;
    Px(x, tmpN);
    objective = 0;
    for (let i = 0; i < n; i++) objective += 0.5 * x[i] * tmpN[i] + q[i] * x[i];
    residual = Math.max(normInf(rp) / scaleP, normInf(rd) / scaleD, mu / (1 + Math.abs(objective)));
    if (residual <= tol) return finishQp(x, z, m, nb, bounded, objective, convergenceReport(iter, residual, tol, measure));
    for (let k = 0; k < mt; k++) tmpM[k] = z[k] / r[k];
    if (!factorReduced(tmpM)) break;
    const solveDirection = (rcIn: Float64Array, ox: Float64Array, oz: Float64Array, or: Float64Array) => {
      // rhs = -rd - G^T (D rp + rc / r);  dz = D (-rp - G dx) - rc / r;  dr = G dx + rp
      for (let k = 0; k < mt; k++) tmpM[k] = (z[k] * rp[k] + rcIn[k]) / r[k];
      GTx(tmpM, tmpN);
      for (let i = 0; i < n; i++) ox[i] = -rd[i] - tmpN[i];
      cholSolve(M, n, ox);
      Gx(ox, tmpM);
      for (let k = 0; k < mt; k++) {
        or[k] = tmpM[k] + rp[k];
        oz[k] = (-z[k] * or[k] - rcIn[k]) / r[k];
      }
    };
    // predictor (affine scaling): rc = r o z
    for (let k = 0; k < mt; k++) rc[k] = r[k] * z[k];
    solveDirection(rc, dxA, dzA, drA);
    const aA = Math.min(1, maxStep(r, drA), maxStep(z, dzA));
    let muAff = 0;
    for (let k = 0; k < mt; k++) muAff += (r[k] + aA * drA[k]) * (z[k] + aA * dzA[k]);
    muAff /= Math.max(mt, 1);
    const sigma = mu > 0 ? Math.pow(Math.min(1, muAff / mu), 3) : 0;
    // corrector: rc = r o z + dr_aff o dz_aff - sigma mu
    for (let k = 0; k < mt; k++) rc[k] = r[k] * z[k] + drA[k] * dzA[k] - sigma * mu;
    solveDirection(rc, dx, dz, dr);
    // data near the float64 range can overflow the Newton system: keep the last finite iterate (reported unconverged)
    if (!allFinite(dx) || !allFinite(dz) || !allFinite(dr)) break;
    // one step length for primal and dual: P x couples them in the dual residual (separate lengths stall QPs)
    const step = Math.min(1, 0.99 * Math.min(maxStep(r, dr), maxStep(z, dz)));
    for (let i = 0; i < n; i++) x[i] += step * dx[i];
    for (let k = 0; k < mt; k++) {
      r[k] += step * dr[k];
      z[k] += step * dz[k];
    }
    if (!(normInf(x) < 1e300)) break;
  }
  return finishQp(x, z, m, nb, bounded, objective, convergenceReport(maxIterations, residual, tol, measure, false));
}

function checkModerate(name: string, v: Float64Array): void {
  for (let i = 0; i < v.length; i++) if (!(Math.abs(v[i]) <= 1e150)) throw new ArgumentError(name, 'finite values with |x| <= 1e150', `${v[i]} at index ${i}`);
}

function allFinite(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** The largest step a <= 1e300 (Infinity capped) keeping v + a dv >= 0. */
function maxStep(v: Float64Array, dv: Float64Array): number {
  let a = Infinity;
  for (let k = 0; k < v.length; k++) if (dv[k] < 0) a = Math.min(a, -v[k] / dv[k]);
  return Math.min(a, 1e300);
}

function finishQp(x: Float64Array, z: Float64Array, m: number, nb: number, bounded: number[], objective: number, convergence: ConvergenceReport): QuadraticProgramSolution {
  const u = new Float64Array(x.length);
  for (let k = 0; k < nb; k++) u[bounded[k]] = z[m + k];
  return { x: Float64Array.from(x), z: Float64Array.from(z.subarray(0, m)), u, objective, convergence };
}
