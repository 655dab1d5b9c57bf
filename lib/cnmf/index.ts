/**
 * lib/cnmf: convolutive nonnegative matrix factorisation.
 *
 *   X (N x T) ~ Xhat = sum_{l=0}^{L-1} W_l shift_l(H),   W_l = W[:, :, l] (N x K),  H (K x T)
 *
 * shift_l moves H right by l columns with zero fill. Three solvers as Degleris,
 * Antin, Ganguli & Williams (2019, arXiv 1907.00139) built them -- multiplicative
 * updates (MU), HALS with the residual kept in memory, ANLS with block principal
 * pivoting NNLS -- plus seqNMF (Mackevicius, Bahle et al. 2019, eLife 8:e38471):
 * x-ortho and orthogonality penalties, a cross-validation mask, factor shifting
 * and normalisation, and its significance test. The NNLS solver is public.
 *
 * Layouts (all row-major Float64Array):
 *   X      N x T, entry (n, t) at n*T + t
 *   W      lag-major L x N x K, entry (n, k, l) at (l*N + n)*K + k, so that each
 *          W_l is a contiguous N x K matrix the GEMM takes directly
 *   H      K x T, entry (k, t) at k*T + t
 *
 * Precision: everything is float64. NNLS (ANLS) solves normal equations whose
 * condition number is the square of the data's, and HALS updates its residual
 * by millions of rank-one corrections without recomputing it; in float32 both
 * drift by ~1e-4 relative, visibly above the loss differences the solvers are
 * compared on. The BLAS runs dgemm, about half of sgemm's speed.
 */
import {
  ArgumentError, Budget, checkInteger, checkNumber, checkOneOf, gemm, Progress, ProgressOutput, Rng,
} from '../core';

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

function checkData(name: string, data: ArrayLike<number>, cols: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0) || v === Infinity) {
      const what = Number.isNaN(v) ? 'NaN' : String(v);
      throw new ArgumentError(name, 'finite nonnegative entries', `${what} at row ${Math.floor(i / cols)}, column ${i % cols}`);
    }
  }
}

function checkFactorShapes(N: number, K: number, L: number, T: number, W: Float64Array, H: Float64Array, wName = 'W', hName = 'H'): void {
  if (W.length !== L * N * K) throw new ArgumentError(wName, `${L * N * K} entries (L ${L} x N ${N} x K ${K}, lag-major)`, W);
  if (H.length !== K * T) throw new ArgumentError(hName, `${K * T} entries (K ${K} x T ${T})`, H);
}

// ---------------------------------------------------------------------------
// Model: reconstruction, transpose convolution, loss

/** Named scratch buffers reused across calls (a solver keeps one; public calls make a fresh one). */
type Workspace = Record<string, Float64Array>;

function buffer(ws: Workspace, name: string, size: number): Float64Array {
  let a = ws[name];
  if (!a || a.length !== size) {
    a = new Float64Array(size);
    ws[name] = a;
  }
  return a;
}

/** W unfolded to N x (K L): entry (n, l*K + k) = W_l[n, k]. */
function unfoldW(W: Float64Array, N: number, K: number, L: number, out: Float64Array): Float64Array {
  const KL = K * L;
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * KL + l * K + k] = W[(l * N + n) * K + k];
  return out;
}

/** Htilde (K L x T): row l*K + k is H_k shifted right by l with zero fill. */
function stackShifts(H: Float64Array, K: number, L: number, T: number, out: Float64Array): Float64Array {
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
function reconstructInto(W: Float64Array, H: Float64Array, N: number, K: number, L: number, T: number, out: Float64Array, ws: Workspace, beta = 0): void {
  const Wu = unfoldW(W, N, K, L, buffer(ws, 'Wu', N * K * L));
  const Ht = stackShifts(H, K, L, T, buffer(ws, 'HtRecon', K * L * T));
  gemm(N, T, K * L, Wu, Ht, out, { beta });
}

function transposeConvolveInto(W: Float64Array, Y: Float64Array, N: number, K: number, L: number, T: number, out: Float64Array, ws: Workspace): void {
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

/** Xhat = sum_l W_l shift_l(H), written into `out` (N x T). */
export function reconstruct(W: Float64Array, H: Float64Array, N: number, K: number, L: number, T: number, out: Float64Array = new Float64Array(N * T)): Float64Array {
  reconstructInto(W, H, N, K, L, T, out, {});
  return out;
}

/** The transpose convolution T(W, Y)[:, t] = sum_l W_l^T Y[:, t + l] (K x T), written into `out`. */
export function transposeConvolve(W: Float64Array, Y: Float64Array, N: number, K: number, L: number, T: number, out = new Float64Array(K * T)): Float64Array {
  transposeConvolveInto(W, Y, N, K, L, T, out, {});
  return out;
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

function diffNorm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Relative loss ||Xhat - X||_F / ||X||_F of factors W, H on data X. */
export function relativeLoss(X: DenseMatrixLike, W: Float64Array, H: Float64Array, K: number, L: number): number {
  const x = toDenseMatrix('X', X);
  checkFactorShapes(x.rows, K, L, x.cols, W, H);
  const xhat = reconstruct(W, H, x.rows, K, L, x.cols);
  return diffNorm(xhat, x.data) / Math.sqrt(sumSquares(x.data));
}

/** Motif k as an N x L matrix (neurons by lags), for plotting. */
export function motif(W: Float64Array, N: number, K: number, L: number, k: number): DenseMatrix {
  checkInteger('k', k, 0, K - 1);
  const data = new Float64Array(N * L);
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) data[n * L + l] = W[(l * N + n) * K + k];
  return { rows: N, cols: L, data };
}

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

// ---------------------------------------------------------------------------
// Solvers

export type CnmfSolver = 'mu' | 'hals' | 'anls';

export interface CnmfOptions {
  /** Number of motifs (>= 1). */
  K: number;
  /** Motif length in columns (1 <= L <= T). */
  L: number;
  /** 'mu', 'hals' (default) or 'anls'. */
  solver?: CnmfSolver;
  /** Iteration cap (default 100). */
  maxIterations?: number;
  /** Wall-time budget in seconds (default unbounded). */
  timeLimit?: number;
  /** Stop when the relative loss falls by less than this for `patience` iterations in a row (default 0: off). */
  tolerance?: number;
  /** See `tolerance` (default 3). */
  patience?: number;
  /** Stop as soon as the relative loss reaches this value (default 0: off). Used to time a solver to a loss. */
  targetLoss?: number;
  /** Seed of the random initialisation (default 0). Same seed, same data: same initial W and H for every solver. */
  seed?: number;
  /** Initial W (L x N x K lag-major) and H (K x T); both or neither. */
  initialW?: Float64Array;
  initialH?: Float64Array;
  /**
   * Penalties on W and on H (default 0). Every solver descends the same objective
   * 1/2 ||Xhat - X||_F^2 + l1W sum W + l2W ||W||_F^2 + l1H sum H + l2H ||H||_F^2.
   */
  l1W?: number;
  l1H?: number;
  l2W?: number;
  l2H?: number;
  /** Progress display ('silent' by default so library calls stay quiet; 'auto' for a bar or notebook line). */
  progress?: ProgressOutput;
  /** Called after every iteration with its number, the relative loss and the seconds since the start. */
  onIteration?: (iteration: number, loss: number, seconds: number) => void;
}

export interface CnmfResult {
  N: number;
  K: number;
  L: number;
  T: number;
  solver: CnmfSolver;
  /** Motifs, L x N x K lag-major. */
  W: Float64Array;
  /** Loadings, K x T. */
  H: Float64Array;
  /** Relative loss after 0, 1, 2, ... iterations (entry 0: the initialisation). */
  lossHistory: number[];
  /** Wall seconds since the solve began at each entry of lossHistory (loss evaluation included). */
  timeHistory: number[];
  iterations: number;
  stopReason: 'iterations' | 'time' | 'tolerance' | 'target';
}

/** Floor for denominators and for multiplicatively updated entries (so a zero never locks). */
const EPS = 1e-12;

/**
 * Random initialisation: W, H uniform on [0, 1), both scaled by sqrt(alpha) with
 * alpha = <X, Xhat> / ||Xhat||^2 (the least-squares scale of the reconstruction).
 */
export function initialFactors(X: DenseMatrixLike, K: number, L: number, seed = 0): { W: Float64Array; H: Float64Array } {
  const x = toDenseMatrix('X', X);
  checkInteger('K', K, 1);
  checkInteger('L', L, 1, x.cols);
  return initialFactorsChecked(x, K, L, seed);
}

function initialFactorsChecked(x: DenseMatrix, K: number, L: number, seed: number): { W: Float64Array; H: Float64Array } {
  const N = x.rows;
  const T = x.cols;
  const rng = new Rng(checkInteger('seed', seed, 0, 0xffffffff));
  const W = rng.uniformArray(L * N * K, 0, 1, 'float64') as Float64Array;
  const H = rng.uniformArray(K * T, 0, 1, 'float64') as Float64Array;
  const xhat = reconstruct(W, H, N, K, L, T);
  let dot = 0;
  for (let i = 0; i < xhat.length; i++) dot += xhat[i] * x.data[i];
  const alpha = dot / Math.max(sumSquares(xhat), 1e-300);
  const s = Math.sqrt(Math.max(alpha, 0));
  for (let i = 0; i < W.length; i++) W[i] *= s;
  for (let i = 0; i < H.length; i++) H[i] *= s;
  return { W, H };
}

interface Penalties {
  l1W: number;
  l1H: number;
  l2W: number;
  l2H: number;
}

/** State shared by the solvers: data, factors, and the reconstruction (MU) or residual Xhat - X (HALS, ANLS). */
interface SolverState {
  N: number;
  K: number;
  L: number;
  T: number;
  X: Float64Array;
  W: Float64Array;
  H: Float64Array;
  /** MU: Xhat. HALS/ANLS: R = Xhat - X. */
  buf: Float64Array;
  normX: number;
  pen: Penalties;
  scratch: Record<string, Float64Array>;
}

function scratch(s: SolverState, name: string, size: number): Float64Array {
  return buffer(s.scratch, name, size);
}

/** One MU iteration: all W_l from the same Xhat, then Xhat, then H, then Xhat again (kept for the loss and the next W step). */
function muIteration(s: SolverState): void {
  const { N, K, L, T, X, W, H, pen } = s;
  const KL = K * L;
  const xhat = s.buf;
  const ws = s.scratch;
  // numerators X_{:, l:} H_{:, :T-l}^T and denominators (with Xhat) of every lag at once: X Htilde^T, Xhat Htilde^T
  const Ht = stackShifts(H, K, L, T, buffer(ws, 'Htilde', KL * T));
  const num = buffer(ws, 'muNum', N * KL);
  const den = buffer(ws, 'muDen', N * KL);
  gemm(N, KL, T, X, Ht, num, { transB: true });
  gemm(N, KL, T, xhat, Ht, den, { transB: true });
  for (let l = 0; l < L; l++) {
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const idx = (l * N + n) * K + k;
        const j = n * KL + l * K + k;
        const w = W[idx];
        const v = (w * num[j]) / (den[j] + pen.l1W + 2 * pen.l2W * w + EPS);
        W[idx] = v > EPS ? v : EPS;
      }
    }
  }
  const Wu = unfoldW(W, N, K, L, buffer(ws, 'Wu', N * KL));
  gemm(N, T, KL, Wu, Ht, xhat);
  const hNum = buffer(ws, 'muHNum', K * T);
  const hDen = buffer(ws, 'muHDen', K * T);
  transposeConvolveInto(W, X, N, K, L, T, hNum, ws);
  transposeConvolveInto(W, xhat, N, K, L, T, hDen, ws);
  for (let i = 0; i < K * T; i++) {
    const h = H[i];
    const v = (h * hNum[i]) / (hDen[i] + pen.l1H + 2 * pen.l2H * h + EPS);
    H[i] = v > EPS ? v : EPS;
  }
  reconstructInto(W, H, N, K, L, T, xhat, ws);
}

/** Htilde of the current H in the solver's workspace. */
function stackedShifts(s: SolverState): Float64Array {
  return stackShifts(s.H, s.K, s.L, s.T, buffer(s.scratch, 'Htilde', s.K * s.L * s.T));
}

/**
 * HALS W step. Coordinate j = l*K + k (lags outer, motifs inner): remove
 * w_kl htilde_j^T from R = Xhat - X, set w_kl = max(0, (-R htilde_j - l1) /
 * (||htilde_j||^2 + eps + l2)), add it back. Instead of reading R twice per
 * coordinate, R Htilde^T is formed once and kept current by the Gram matrix
 * of the shifted copies (R changes by delta_j htilde_j^T, so R htilde_i
 * changes by delta_j <htilde_j, htilde_i>); R takes all changes in one
 * product at the end. The iterates are those of the one-at-a-time updates.
 */
function halsUpdateW(s: SolverState): void {
  const { N, K, L, T, W, pen } = s;
  const R = s.buf;
  const KL = K * L;
  const Ht = stackedShifts(s);
  const gram = scratch(s, 'halsGram', KL * KL);
  gemm(KL, KL, T, Ht, Ht, gram, { transB: true });
  const RHt = scratch(s, 'halsRHt', N * KL);
  gemm(N, KL, T, R, Ht, RHt, { transB: true });
  const delta = scratch(s, 'halsDelta', N * KL);
  const dj = scratch(s, 'halsDj', N);
  for (let j = 0; j < KL; j++) {
    const hn = gram[j * KL + j];
    const den = hn + EPS + 2 * pen.l2W;
    const l = Math.floor(j / K);
    const k = j - l * K;
    let any = false;
    for (let n = 0; n < N; n++) {
      const idx = (l * N + n) * K + k;
      const w = W[idx];
      // -R' h with R' = R - w h^T (the entry removed) is w ||h||^2 - R h
      const v = Math.max(0, (w * hn - RHt[n * KL + j] - pen.l1W) / den);
      const d = v - w;
      delta[n * KL + j] = d;
      dj[n] = d;
      if (d !== 0) any = true;
      W[idx] = v;
    }
    if (any && j + 1 < KL) gemm(N, KL - j - 1, 1, dj, gram.subarray(j * KL + j + 1), RHt.subarray(j + 1), { lda: 1, ldb: KL, ldc: KL, beta: 1 });
  }
  gemm(N, T, KL, delta, Ht, R, { beta: 1 });
}

/**
 * Lag Gram tables for the H steps. Changing h_{k', t'} by d adds d W_{k'} to
 * R's columns t'..t'+L-1, which changes the inner product of R with the window
 * of (k, t) by d * Q[k][k'][t' - t](min(L, T - t)), where
 * Q[..](a) = sum_{a' < a} sum_n W[n, k, a'] W[n, k', a' - (t' - t)]. With these
 * the H steps keep every inner product current without re-reading R.
 */
interface LagGram {
  /** Q at index ((k*K + k')*(2L-1) + (delta + L - 1))*(L + 1) + a. */
  Q: Float64Array;
  K: number;
  L: number;
}

function lagGram(s: SolverState): LagGram {
  const { N, K, L, W } = s;
  const LK = L * K;
  const Wnk = scratch(s, 'Wnk', N * LK); // N x (L K): row n holds W[n, k, a] at a*K + k
  for (let a = 0; a < L; a++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) Wnk[n * LK + a * K + k] = W[(a * N + n) * K + k];
  const G = scratch(s, 'lagG', LK * LK);
  gemm(LK, LK, N, Wnk, Wnk, G, { transA: true });
  const D = 2 * L - 1;
  const Q = scratch(s, 'lagQ', K * K * D * (L + 1));
  for (let k = 0; k < K; k++) {
    for (let k2 = 0; k2 < K; k2++) {
      for (let dl = -(L - 1); dl <= L - 1; dl++) {
        const o = ((k * K + k2) * D + dl + L - 1) * (L + 1);
        Q[o] = 0;
        for (let a = 0; a < L; a++) {
          const b = a - dl;
          Q[o + a + 1] = Q[o + a] + (b >= 0 && b < L ? G[(a * K + k) * LK + b * K + k2] : 0);
        }
      }
    }
  }
  return { Q, K, L };
}

/** inner[k, t] += d * (change of <W_k window at t, R>) for a change d of h_{k2, t2}, for k in [kFrom, K). */
function correctInner(g: LagGram, inner: Float64Array, T: number, k2: number, t2: number, d: number, kFrom: number): void {
  const { Q, K, L } = g;
  const D = 2 * L - 1;
  const tLo = Math.max(0, t2 - L + 1);
  const tHi = Math.min(T - 1, t2 + L - 1);
  for (let k = kFrom; k < K; k++) {
    const ok = k * T;
    const qk = (k * K + k2) * D;
    for (let t = tLo; t <= tHi; t++) {
      const q = (qk + t2 - t + L - 1) * (L + 1);
      inner[ok + t] += d * Q[q + Math.min(L, T - t)];
    }
  }
}

/**
 * HALS H step. h_kt contributes h_kt W_k[:, :len] to R's columns t..t+len-1;
 * for each k the entries with equal t mod L touch disjoint columns and form
 * one block of independent updates, taken block after block. The inner
 * products <W_k window, R> start as the transpose convolution T(W, R) and are
 * kept current by the lag Gram tables; R takes all changes at the end in one
 * reconstruction of the change of H.
 */
function halsUpdateH(s: SolverState): void {
  const { N, K, L, T, W, H, pen } = s;
  const R = s.buf;
  const g = lagGram(s);
  const D = 2 * L - 1;
  const inner = scratch(s, 'inner', K * T);
  transposeConvolveInto(W, R, N, K, L, T, inner, s.scratch);
  const oldH = scratch(s, 'oldH', K * T);
  oldH.set(H);
  for (let k = 0; k < K; k++) {
    const q0 = ((k * K + k) * D + L - 1) * (L + 1); // Q[k][k][0](len) = ||W_k[:, :len]||^2
    for (let r = 0; r < L && r < T; r++) {
      for (let t = r; t < T; t += L) {
        const wn = g.Q[q0 + Math.min(L, T - t)];
        const h = H[k * T + t];
        const v = Math.max(0, (h * wn - inner[k * T + t] - pen.l1H) / (wn + EPS + 2 * pen.l2H));
        if (v === h) continue;
        H[k * T + t] = v;
        correctInner(g, inner, T, k, t, v - h, k);
      }
    }
  }
  for (let i = 0; i < K * T; i++) oldH[i] = H[i] - oldH[i];
  reconstructInto(W, oldH, N, K, L, T, R, s.scratch, 1); // R += Xhat(dH)
}

function residual(s: SolverState): void {
  reconstructInto(s.W, s.H, s.N, s.K, s.L, s.T, s.buf, s.scratch);
  for (let i = 0; i < s.buf.length; i++) s.buf[i] -= s.X[i];
}

/**
 * ANLS W step: one NNLS with many right-hand sides. With Htilde the stacked
 * shifted copies of H (row l*K + k = H_k shifted by l), W_unf (N x KL) solves
 * min ||X - W_unf Htilde||; the Gram matrix Htilde Htilde^T is shared by all N rows.
 */
function anlsUpdateW(s: SolverState): void {
  const { N, K, L, T, X, W, pen } = s;
  const KL = K * L;
  const Ht = stackedShifts(s);
  const G = scratch(s, 'anlsG', KL * KL);
  gemm(KL, KL, T, Ht, Ht, G, { transB: true });
  for (let i = 0; i < KL; i++) G[i * KL + i] += 2 * pen.l2W;
  const C = scratch(s, 'anlsC', N * KL); // rhs-major: row n is (Htilde X^T)[:, n]
  gemm(N, KL, T, X, Ht, C, { transB: true });
  if (pen.l1W) for (let i = 0; i < C.length; i++) C[i] -= pen.l1W;
  // warm start from the current W (same layout as the solution: sol[n*KL + l*K + k] is W_l[n, k])
  const sol = nnlsGram(G, C, KL, N, { initialX: unfoldW(W, N, K, L, scratch(s, 'anlsW0', N * KL)) });
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) W[(l * N + n) * K + k] = sol[n * KL + l * K + k];
  residual(s);
}

/**
 * ANLS H step in L interleaved blocks: the columns t = r, r+L, ... have
 * disjoint windows, so each block is one multi-right-hand-side NNLS against
 * the unfolded W ((N L) x K) with the block's own contributions removed:
 * rhs_t = W_win^T (-R_win) + G_len h_t. The products W_win^T R_win start as
 * T(W, R) and are kept current by the lag Gram tables; columns whose window is
 * cut by the end of the data use the Gram matrix of their first len lags.
 */
function anlsUpdateH(s: SolverState): void {
  const { N, K, L, T, W, H, pen } = s;
  const R = s.buf;
  const g = lagGram(s);
  const D = 2 * L - 1;
  const inner = scratch(s, 'inner', K * T);
  transposeConvolveInto(W, R, N, K, L, T, inner, s.scratch);
  const startH = scratch(s, 'oldH', K * T);
  startH.set(H);
  const Jmax = Math.ceil(T / L) + 1;
  const rhs = scratch(s, 'anlsRhs', Jmax * K);
  const G = new Float64Array(K * K);
  const gramOf = (len: number, out: Float64Array) => {
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) out[a * K + b] = g.Q[((a * K + b) * D + L - 1) * (L + 1) + len] + (a === b ? 2 * pen.l2H : 0);
    return out;
  };
  for (let r = 0; r < L && r < T; r++) {
    const J = Math.floor((T - 1 - r) / L) + 1;
    for (let j = 0; j < J; j++) {
      const t = r + j * L;
      gramOf(Math.min(L, T - t), G);
      for (let a = 0; a < K; a++) {
        let acc = -inner[a * T + t] - pen.l1H;
        for (let b = 0; b < K; b++) acc += (G[a * K + b] - (a === b ? 2 * pen.l2H : 0)) * H[b * T + t];
        rhs[j * K + a] = acc;
      }
    }
    // full windows share one Gram matrix; a cut window (only the last column can have one) is solved alone
    const lastCut = r + (J - 1) * L + L > T;
    const Jfull = lastCut ? J - 1 : J;
    const sol = new Float64Array(J * K);
    const guess = new Float64Array(J * K); // warm start from the current columns
    for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) guess[j * K + k] = H[k * T + r + j * L];
    if (Jfull > 0) sol.set(nnlsGram(gramOf(L, G), rhs.subarray(0, Jfull * K), K, Jfull, { initialX: guess.subarray(0, Jfull * K) }));
    if (lastCut) sol.set(nnlsGram(gramOf(T - (r + (J - 1) * L), new Float64Array(K * K)), rhs.slice((J - 1) * K, J * K), K, 1, { initialX: guess.slice((J - 1) * K) }), (J - 1) * K);
    for (let j = 0; j < J; j++) {
      const t = r + j * L;
      for (let k = 0; k < K; k++) {
        const d = sol[j * K + k] - H[k * T + t];
        if (d === 0) continue;
        H[k * T + t] = sol[j * K + k];
        correctInner(g, inner, T, k, t, d, 0);
      }
    }
  }
  for (let i = 0; i < K * T; i++) startH[i] = H[i] - startH[i];
  reconstructInto(W, startH, N, K, L, T, R, s.scratch, 1); // R += Xhat(dH)
}

function stateLoss(s: SolverState, solver: CnmfSolver): number {
  const v = solver === 'mu' ? diffNorm(s.buf, s.X) : Math.sqrt(sumSquares(s.buf));
  return v / s.normX;
}

/**
 * Fits a convolutive NMF  X ~ sum_l W_l shift_l(H)  with MU, HALS or ANLS.
 * Stops at the first of: `maxIterations`, `timeLimit` seconds, `targetLoss`,
 * or `tolerance` with `patience`.
 */
export function cnmf(X: DenseMatrixLike, options: CnmfOptions): CnmfResult {
  const x = toDenseMatrix('X', X);
  const N = x.rows;
  const T = x.cols;
  checkData('X', x.data, T);
  const K = checkInteger('K', options?.K, 1);
  const L = checkInteger('L', options?.L, 1, T);
  const solver = checkOneOf('solver', options.solver ?? 'hals', ['mu', 'hals', 'anls'] as const);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 100, 0);
  const timeLimit = options.timeLimit === undefined ? undefined : checkNumber('timeLimit', options.timeLimit, 0);
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0, 0);
  const patience = checkInteger('patience', options.patience ?? 3, 1);
  const targetLoss = checkNumber('targetLoss', options.targetLoss ?? 0, 0);
  const pen: Penalties = {
    l1W: checkNumber('l1W', options.l1W ?? 0, 0),
    l1H: checkNumber('l1H', options.l1H ?? 0, 0),
    l2W: checkNumber('l2W', options.l2W ?? 0, 0),
    l2H: checkNumber('l2H', options.l2H ?? 0, 0),
  };
  let W: Float64Array;
  let H: Float64Array;
  if (options.initialW || options.initialH) {
    if (!options.initialW || !options.initialH) throw new ArgumentError(options.initialW ? 'initialH' : 'initialW', 'given together with the other initial factor', undefined);
    checkFactorShapes(N, K, L, T, options.initialW, options.initialH, 'initialW', 'initialH');
    checkData('initialW', options.initialW, N * K);
    checkData('initialH', options.initialH, T);
    W = Float64Array.from(options.initialW);
    H = Float64Array.from(options.initialH);
  } else ({ W, H } = initialFactorsChecked(x, K, L, options.seed ?? 0));
  const normX = Math.sqrt(sumSquares(x.data));
  if (normX === 0) throw new ArgumentError('X', 'at least one positive entry', 'all zeros');

  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  const s: SolverState = { N, K, L, T, X: x.data, W, H, buf: new Float64Array(N * T), normX, pen, scratch: {} };
  if (solver === 'mu') reconstructInto(W, H, N, K, L, T, s.buf, s.scratch);
  else residual(s);
  const lossHistory = [stateLoss(s, solver)];
  const timeHistory = [seconds()];
  const budget = new Budget({ maxIterations, timeLimitMs: timeLimit === undefined ? undefined : timeLimit * 1000 });
  const progress = new Progress({ total: maxIterations, label: `cnmf ${solver}`, output: options.progress ?? 'silent' });
  let stopReason: CnmfResult['stopReason'] = 'iterations';
  let stalled = 0;
  let iterations = 0;
  for (;;) {
    const loss = lossHistory[lossHistory.length - 1];
    if (targetLoss > 0 && loss <= targetLoss) {
      stopReason = 'target';
      break;
    }
    const why = budget.exhausted(iterations);
    if (why) {
      stopReason = why;
      break;
    }
    if (solver === 'mu') muIteration(s);
    else if (solver === 'hals') {
      halsUpdateW(s);
      halsUpdateH(s);
    } else {
      anlsUpdateW(s);
      anlsUpdateH(s);
    }
    iterations++;
    const newLoss = stateLoss(s, solver);
    lossHistory.push(newLoss);
    timeHistory.push(seconds());
    progress.update(iterations, `loss ${newLoss.toFixed(4)}`);
    options.onIteration?.(iterations, newLoss, timeHistory[timeHistory.length - 1]);
    if (tolerance > 0) {
      stalled = loss - newLoss < tolerance * loss ? stalled + 1 : 0;
      if (stalled >= patience) {
        stopReason = 'tolerance';
        break;
      }
    }
  }
  progress.finish(`loss ${lossHistory[lossHistory.length - 1].toFixed(4)} after ${iterations} iterations (${stopReason})`);
  return { N, K, L, T, solver, W, H, lossHistory, timeHistory, iterations, stopReason };
}

/**
 * One iteration of a solver from given factors, returning the new factors and
 * the residual Xhat - X as the solver kept it (incrementally for HALS and
 * ANLS's H step), so tests can compare it to a recomputation.
 */
export function cnmfStep(
  X: DenseMatrixLike, W: Float64Array, H: Float64Array, K: number, L: number, solver: CnmfSolver,
  penalties: Partial<Pick<CnmfOptions, 'l1W' | 'l1H' | 'l2W' | 'l2H'>> = {},
): { W: Float64Array; H: Float64Array; residual: Float64Array } {
  const x = toDenseMatrix('X', X);
  checkData('X', x.data, x.cols);
  checkOneOf('solver', solver, ['mu', 'hals', 'anls'] as const);
  checkFactorShapes(x.rows, K, L, x.cols, W, H);
  const s: SolverState = {
    N: x.rows, K, L, T: x.cols, X: x.data, W: Float64Array.from(W), H: Float64Array.from(H), buf: new Float64Array(x.rows * x.cols),
    normX: 1,
    pen: {
      l1W: checkNumber('l1W', penalties.l1W ?? 0, 0), l1H: checkNumber('l1H', penalties.l1H ?? 0, 0),
      l2W: checkNumber('l2W', penalties.l2W ?? 0, 0), l2H: checkNumber('l2H', penalties.l2H ?? 0, 0),
    },
    scratch: {},
  };
  if (solver === 'mu') {
    reconstruct(s.W, s.H, s.N, K, L, s.T, s.buf);
    muIteration(s);
    for (let i = 0; i < s.buf.length; i++) s.buf[i] -= s.X[i];
  } else {
    residual(s);
    if (solver === 'hals') {
      halsUpdateW(s);
      halsUpdateH(s);
    } else {
      anlsUpdateW(s);
      anlsUpdateH(s);
    }
  }
  return { W: s.W, H: s.H, residual: s.buf };
}

// ---------------------------------------------------------------------------
// Worker-pool jobs (lib/core's pool calls fn(args, ctx) in a child process)

export interface CnmfJobArgs {
  /** The data, or the options of `syntheticSequences` to generate it inside the worker (saves copying large X). */
  X?: DenseMatrix;
  synthetic?: SyntheticOptions;
  /** cnmf options (functions cannot cross to a worker: no onIteration). */
  options: Omit<CnmfOptions, 'onIteration' | 'progress'>;
  /** Run one untimed iteration first so the timed run does not pay for JIT compilation (default true). */
  warmup?: boolean;
}

/** `cnmf` as a pool job: `{ module: 'lib/cnmf/index', export: 'cnmfJob', args }`. Reports progress by iterations or time, whichever is further. */
export function cnmfJob(args: CnmfJobArgs, ctx?: { progress(fraction: number, message?: string): void }): CnmfResult {
  const X = args.X ?? (args.synthetic ? syntheticSequences(args.synthetic).X : undefined);
  if (!X) throw new ArgumentError('args', 'X or synthetic', args);
  if (args.warmup ?? true) cnmf(X, { ...args.options, maxIterations: 1, timeLimit: undefined, targetLoss: undefined, tolerance: undefined });
  const maxIterations = args.options.maxIterations ?? 100;
  const timeLimit = args.options.timeLimit ?? Infinity;
  return cnmf(X, {
    ...args.options,
    onIteration: (it, loss, seconds) => ctx?.progress(Math.min(1, Math.max(it / maxIterations, seconds / timeLimit)), `${args.options.solver ?? 'hals'} loss ${loss.toFixed(4)}`),
  });
}

/** `seqNMF` as a pool job: `{ module: 'lib/cnmf/index', export: 'seqNmfJob', args: { X, options } }`. */
export function seqNmfJob(args: { X: DenseMatrix; options: Omit<SeqNmfOptions, 'progress'> }): SeqNmfResult {
  return seqNMF(args.X, args.options);
}

// ---------------------------------------------------------------------------
// Synthetic sequences (the generator of Degleris et al.'s code)

export interface SyntheticOptions {
  N: number;
  T: number;
  K: number;
  L: number;
  /** Dirichlet concentration spreading each unit's weight over the K motifs (default 0.1). */
  dirichletAlpha?: number;
  /** Width (sd) of each Gaussian bump on the lag axis linspace(-1, 1, L) (default 0.2). */
  bumpWidth?: number;
  /** Probability that an H entry is nonzero (default 0.1); nonzero entries are Exponential(1). */
  pH?: number;
  /** Standard deviation of the additive Gaussian noise before clipping at 0 (default 0.1). */
  noise?: number;
  seed?: number;
}

function gammaSample(rng: Rng, shape: number): number {
  // Marsaglia & Tsang (2000); shape < 1 by the boost Gamma(a) = Gamma(a + 1) U^(1/a)
  if (shape < 1) return gammaSample(rng, shape + 1) * Math.pow(rng.uniform() || 1e-300, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v0 = 1 + c * z;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform();
    if (Math.log(u || 1e-300) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Planted sequences: returns the data X and the true W (lag-major) and H. */
export function syntheticSequences(options: SyntheticOptions): { X: DenseMatrix; W: Float64Array; H: Float64Array } {
  const N = checkInteger('N', options.N, 1);
  const T = checkInteger('T', options.T, 1);
  const K = checkInteger('K', options.K, 1);
  const L = checkInteger('L', options.L, 1, T);
  const a = checkNumber('dirichletAlpha', options.dirichletAlpha ?? 0.1, 1e-6);
  const width = checkNumber('bumpWidth', options.bumpWidth ?? 0.2, 1e-6);
  const pH = checkNumber('pH', options.pH ?? 0.1, 0, 1);
  const noise = checkNumber('noise', options.noise ?? 0.1, 0);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0, 0xffffffff));
  const W = new Float64Array(L * N * K);
  const g = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    let total = 0;
    for (let k = 0; k < K; k++) total += (g[k] = gammaSample(rng, a));
    for (let k = 0; k < K; k++) {
      const weight = total > 0 ? g[k] / total : 1 / K;
      const centre = rng.uniformIn(-1, 1);
      for (let l = 0; l < L; l++) {
        const u = L === 1 ? 0 : -1 + (2 * l) / (L - 1);
        const pdf = Math.exp(-0.5 * ((u - centre) / width) ** 2) / (width * Math.sqrt(2 * Math.PI));
        W[(l * N + n) * K + k] = weight * pdf;
      }
    }
  }
  const H = new Float64Array(K * T);
  for (let i = 0; i < H.length; i++) H[i] = rng.uniform() < pH ? -Math.log(1 - rng.uniform()) : 0;
  const X = reconstruct(W, H, N, K, L, T);
  if (noise > 0) for (let i = 0; i < X.length; i++) X[i] = Math.max(0, X[i] + noise * rng.normal());
  return { X: { rows: N, cols: T, data: X }, W, H };
}

// ---------------------------------------------------------------------------
// seqNMF (Mackevicius, Bahle et al. 2019)

export interface SeqNmfOptions {
  K: number;
  L: number;
  /** x-ortho penalty weight (default 0.001). */
  lambda?: number;
  lambdaL1W?: number;
  lambdaL1H?: number;
  lambdaOrthoW?: number;
  lambdaOrthoH?: number;
  /** Iterations (default 100); the last one runs with lambda = 0. */
  maxIterations?: number;
  /** Wall-time budget in seconds. */
  timeLimit?: number;
  /** Stop when the reconstruction error changes by less than this (default 0: off). */
  tolerance?: number;
  /** Re-centre each factor at its centre of mass along the lags (default true). */
  shift?: boolean;
  /** Zero-pad X by L columns on both sides so motifs can hang over the ends (default true). */
  pad?: boolean;
  /** N x T mask: 1 = observed, 0 = held out (replaced by the reconstruction each iteration). */
  mask?: DenseMatrixLike;
  seed?: number;
  /** Initial W (L x N x K lag-major) and H (K x T, or K x (T + 2L) when padding). */
  initialW?: Float64Array;
  initialH?: Float64Array;
  progress?: ProgressOutput;
}

export interface SeqNmfResult {
  N: number;
  K: number;
  L: number;
  T: number;
  W: Float64Array;
  /** K x T (padding removed). */
  H: Float64Array;
  /** Root-mean-square error sqrt(mean((X - Xhat)^2)) after each iteration (on the padded data when padding). */
  costHistory: number[];
  iterations: number;
}

/** Moving sum over 2L-1 columns centred on each column (conv with ones(1, 2L-1), 'same'). */
function smoothRows(A: Float64Array, rows: number, T: number, L: number, out: Float64Array): Float64Array {
  const prefix = new Float64Array(T + 1);
  for (let i = 0; i < rows; i++) {
    const o = i * T;
    for (let t = 0; t < T; t++) prefix[t + 1] = prefix[t] + A[o + t];
    for (let t = 0; t < T; t++) out[o + t] = prefix[Math.min(T, t + L)] - prefix[Math.max(0, t - L + 1)];
  }
  return out;
}

/** Re-centres each factor: W_k moved along the lags so its centre of mass sits at lag floor(L/2), H_k moved the other way. */
export function shiftFactors(W: Float64Array, H: Float64Array, N: number, K: number, L: number, T: number): void {
  if (L <= 1) return;
  const centre = Math.floor(L / 2);
  const Wk = new Float64Array(N * L);
  const Hk = new Float64Array(T);
  for (let k = 0; k < K; k++) {
    let mass = 0;
    let moment = 0;
    for (let l = 0; l < L; l++) {
      let c = 0;
      for (let n = 0; n < N; n++) c += W[(l * N + n) * K + k];
      mass += c;
      moment += c * l;
    }
    if (!(mass > 0)) continue;
    const cmass = Math.floor(moment / mass);
    const d = centre - cmass; // W moves right by d, H left by d (so Xhat is kept wherever nothing falls off)
    if (d === 0) continue;
    for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) Wk[n * L + l] = W[(l * N + n) * K + k];
    for (let l = 0; l < L; l++) {
      const src = l - d;
      for (let n = 0; n < N; n++) W[(l * N + n) * K + k] = src >= 0 && src < L ? Wk[n * L + src] : 0;
    }
    // circular in H, as seqNMF does (the padding makes the wrap-around land on zeros)
    for (let t = 0; t < T; t++) Hk[t] = H[k * T + t];
    for (let t = 0; t < T; t++) H[k * T + t] = Hk[(((t + d) % T) + T) % T];
  }
}

/**
 * seqNMF: multiplicative updates with the x-ortho penalty
 * lambda ||(W (x)^T X) S H^T||_{1, off-diagonal} (S: ones over 2L-1 columns),
 * L1 and orthogonality penalties, a mask, factor shifting and normalisation of
 * H's rows. H is updated first, then all W_l from one reconstruction. Shifts
 * use zero fill, as the model's reconstruction does.
 */
export function seqNMF(X: DenseMatrixLike, options: SeqNmfOptions): SeqNmfResult {
  const x = toDenseMatrix('X', X);
  const N = x.rows;
  const T0 = x.cols;
  checkData('X', x.data, T0);
  const K = checkInteger('K', options?.K, 1);
  const L = checkInteger('L', options?.L, 1, T0);
  const lambda0 = checkNumber('lambda', options.lambda ?? 0.001, 0);
  const l1W = checkNumber('lambdaL1W', options.lambdaL1W ?? 0, 0);
  const l1H = checkNumber('lambdaL1H', options.lambdaL1H ?? 0, 0);
  const orthoW = checkNumber('lambdaOrthoW', options.lambdaOrthoW ?? 0, 0);
  const orthoH = checkNumber('lambdaOrthoH', options.lambdaOrthoH ?? 0, 0);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 100, 1);
  const timeLimit = options.timeLimit === undefined ? undefined : checkNumber('timeLimit', options.timeLimit, 0);
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0, 0);
  const doShift = options.shift ?? true;
  const pad = options.pad ?? true;
  let mask: DenseMatrix | null = null;
  if (options.mask !== undefined) {
    mask = toDenseMatrix('mask', options.mask);
    if (mask.rows !== N || mask.cols !== T0) throw new ArgumentError('mask', `shape [${N}, ${T0}] (as X)`, `shape [${mask.rows}, ${mask.cols}]`);
  }
  const P = pad ? L : 0;
  const T = T0 + 2 * P;
  const Xp = new Float64Array(N * T);
  for (let n = 0; n < N; n++) Xp.set(x.data.subarray(n * T0, (n + 1) * T0), n * T + P);
  let Mp: Uint8Array | null = null;
  if (mask) {
    Mp = new Uint8Array(N * T).fill(1);
    for (let n = 0; n < N; n++) for (let t = 0; t < T0; t++) Mp[n * T + P + t] = mask.data[n * T0 + t] !== 0 ? 1 : 0;
  }
  let maxX = 0;
  for (let i = 0; i < x.data.length; i++) maxX = Math.max(maxX, x.data[i]);
  let W: Float64Array;
  let H: Float64Array;
  if (options.initialW || options.initialH) {
    if (!options.initialW || !options.initialH) throw new ArgumentError(options.initialW ? 'initialH' : 'initialW', 'given together with the other initial factor', undefined);
    checkFactorShapes(N, K, L, T, options.initialW, options.initialH, 'initialW', pad ? 'initialH (K x (T + 2L) when padding)' : 'initialH');
    W = Float64Array.from(options.initialW);
    H = Float64Array.from(options.initialH);
  } else {
    // seqNMF's initial scale: W ~ max(X) U, H ~ max(X) U / sqrt(T/3)
    const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0, 0xffffffff));
    W = rng.uniformArray(L * N * K, 0, maxX, 'float64') as Float64Array;
    H = rng.uniformArray(K * T, 0, maxX / Math.sqrt(T / 3), 'float64') as Float64Array;
  }
  const xhat = new Float64Array(N * T);
  const wtx = new Float64Array(K * T);
  const wtxhat = new Float64Array(K * T);
  const smooth = new Float64Array(Math.max(K, N) * T);
  const num = new Float64Array(N * K);
  const den = new Float64Array(N * K);
  const xsHt = new Float64Array(N * K);
  const ws: Workspace = {};
  const numAll = new Float64Array(N * K * L);
  const denAll = new Float64Array(N * K * L);
  const xsAll = new Float64Array(lambda0 > 0 ? N * K * L : 0);
  const xs = lambda0 > 0 ? new Float64Array(N * T) : null;
  const wflat = new Float64Array(N * K);
  const costHistory: number[] = [];
  const budget = new Budget({ maxIterations, timeLimitMs: timeLimit === undefined ? undefined : timeLimit * 1000 });
  const progress = new Progress({ total: maxIterations, label: 'seqNMF', output: options.progress ?? 'silent' });
  const smallnum = maxX * 1e-6;
  let iterations = 0;
  let lastCost = Infinity;
  reconstructInto(W, H, N, K, L, T, xhat, ws);
  for (;;) {
    const converged = tolerance > 0 && costHistory.length > 1 && Math.abs(costHistory[costHistory.length - 2] - lastCost) <= tolerance;
    const last = iterations === maxIterations - 1 || converged || budget.exhausted(iterations + 1) !== null;
    const lambda = last ? 0 : lambda0;
    if (Mp) for (let i = 0; i < Xp.length; i++) if (!Mp[i]) Xp[i] = xhat[i];
    // H step
    transposeConvolveInto(W, Xp, N, K, L, T, wtx, ws);
    transposeConvolveInto(W, xhat, N, K, L, T, wtxhat, ws);
    const dRdH = new Float64Array(K * T).fill(l1H);
    if (lambda > 0) addOffDiagonalRowSums(smoothRows(wtx, K, T, L, smooth), K, T, lambda, dRdH);
    if (orthoH > 0) addOffDiagonalRowSums(smoothRows(H, K, T, L, smooth), K, T, orthoH, dRdH);
    for (let i = 0; i < K * T; i++) H[i] = (H[i] * wtx[i]) / (wtxhat[i] + dRdH[i] + EPS);
    if (doShift) {
      shiftFactors(W, H, N, K, L, T);
      for (let i = 0; i < W.length; i++) W[i] += smallnum;
    }
    // unit-norm rows of H, W rescaled so that Xhat is unchanged
    for (let k = 0; k < K; k++) {
      let s2 = 0;
      for (let t = 0; t < T; t++) s2 += H[k * T + t] ** 2;
      const norm = Math.sqrt(s2);
      for (let t = 0; t < T; t++) H[k * T + t] /= norm + EPS;
      for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) W[(l * N + n) * K + k] *= norm;
    }
    reconstructInto(W, H, N, K, L, T, xhat, ws);
    // W step (all lags from the same Xhat)
    if (lambda > 0) smoothRows(Xp, N, T, L, xs!);
    if (orthoW > 0) {
      wflat.fill(0);
      for (let l = 0; l < L; l++) for (let i = 0; i < N * K; i++) wflat[i] += W[l * N * K + i];
    }
    // X_{:, l:} H_{:, :T-l}^T for every lag at once (and with Xhat, and with the smoothed X)
    const KL = K * L;
    const Ht = stackShifts(H, K, L, T, buffer(ws, 'Htilde', KL * T));
    gemm(N, KL, T, Xp, Ht, numAll, { transB: true });
    gemm(N, KL, T, xhat, Ht, denAll, { transB: true });
    if (lambda > 0) gemm(N, KL, T, xs!, Ht, xsAll, { transB: true });
    const lagBlock = (all: Float64Array, l: number, out: Float64Array) => {
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = all[n * KL + l * K + k];
      return out;
    };
    for (let l = 0; l < L; l++) {
      lagBlock(numAll, l, num);
      lagBlock(denAll, l, den);
      const dRdW = new Float64Array(N * K).fill(l1W);
      if (lambda > 0) addOffDiagonalRowSums(lagBlock(xsAll, l, xsHt), N, K, lambda, dRdW, true);
      if (orthoW > 0) addOffDiagonalRowSums(wflat, N, K, orthoW, dRdW, true);
      const o = l * N * K;
      for (let i = 0; i < N * K; i++) W[o + i] = (W[o + i] * num[i]) / (den[i] + dRdW[i] + EPS);
    }
    reconstructInto(W, H, N, K, L, T, xhat, ws);
    iterations++;
    let se = 0;
    for (let i = 0; i < xhat.length; i++) se += (Xp[i] - xhat[i]) ** 2;
    lastCost = Math.sqrt(se / xhat.length);
    costHistory.push(lastCost);
    progress.update(iterations, `rmse ${lastCost.toExponential(3)}`);
    if (last) break;
  }
  progress.finish();
  const Hout = new Float64Array(K * T0);
  for (let k = 0; k < K; k++) Hout.set(H.subarray(k * T + P, k * T + P + T0), k * T0);
  return { N, K, L, T: T0, W, H: Hout, costHistory, iterations };
}

/**
 * out += weight * A (1 - I) along the K axis: with `columns` false, A is K x T
 * and out[k, t] += weight * sum_{j != k} A[j, t]; with `columns` true, A is
 * rows x K and out[i, k] += weight * sum_{j != k} A[i, j].
 */
function addOffDiagonalRowSums(A: Float64Array, a: number, b: number, weight: number, out: Float64Array, columns = false): void {
  if (!columns) {
    const K = a;
    const T = b;
    for (let t = 0; t < T; t++) {
      let total = 0;
      for (let k = 0; k < K; k++) total += A[k * T + t];
      for (let k = 0; k < K; k++) out[k * T + t] += weight * (total - A[k * T + t]);
    }
  } else {
    const K = b;
    for (let i = 0; i < a; i++) {
      let total = 0;
      for (let k = 0; k < K; k++) total += A[i * K + k];
      for (let k = 0; k < K; k++) out[i * K + k] += weight * (total - A[i * K + k]);
    }
  }
}

/**
 * seqNMF's two costs for a lambda sweep: the reconstruction error ||X - Xhat||_F^2
 * and the x-ortho correlation cost ||(W (x)^T X) S H^T||_{1, off-diagonal}.
 */
export function seqNmfCosts(X: DenseMatrixLike, W: Float64Array, H: Float64Array, K: number, L: number): { reconstruction: number; correlation: number } {
  const x = toDenseMatrix('X', X);
  const N = x.rows;
  const T = x.cols;
  checkFactorShapes(N, K, L, T, W, H);
  const xhat = reconstruct(W, H, N, K, L, T);
  const d = diffNorm(xhat, x.data);
  const wtx = transposeConvolve(W, x.data, N, K, L, T);
  const ws = smoothRows(wtx, K, T, L, new Float64Array(K * T));
  const M = new Float64Array(K * K);
  gemm(K, K, T, ws, H, M, { transB: true });
  let c = 0;
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) if (i !== j) c += Math.abs(M[i * K + j]);
  return { reconstruction: d * d, correlation: c };
}

function skewness(a: Float64Array, offset: number, n: number): number {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[offset + i];
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = a[offset + i] - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  if (m2 === 0) return 0;
  const g1 = m3 / Math.pow(m2, 1.5);
  // bias-corrected sample skewness (a monotone factor: p-values do not depend on it)
  return n > 2 ? (g1 * Math.sqrt(n * (n - 1))) / (n - 2) : g1;
}

export interface SignificanceOptions {
  /** Number of null motif sets (default ceil(K / pThreshold) * 2, as seqNMF). */
  nNull?: number;
  /** Family-wise level; a factor is significant when p <= pThreshold / K (default 0.05). */
  pThreshold?: number;
  seed?: number;
}

export interface SignificanceResult {
  /** Skewness of each row of W (x)^T Xtest. */
  skewness: number[];
  /** p = min(1, (1 + #null >= observed) / nNull) per factor (an empty factor ties with every null and gets 1). */
  pValues: number[];
  isSignificant: boolean[];
  nNull: number;
}

/**
 * seqNMF's test on held-out data: a factor that captures a repeated sequence
 * gives a skewed (sparse, large-peaked) row of W (x)^T X; null motifs shift
 * each neuron's row of W_k circularly along the lags by a random lag, which
 * keeps each neuron's weights but breaks the sequence.
 */
export function significanceTest(Xtest: DenseMatrixLike, W: Float64Array, K: number, L: number, options: SignificanceOptions = {}): SignificanceResult {
  const x = toDenseMatrix('Xtest', Xtest);
  const N = x.rows;
  const T = x.cols;
  checkData('Xtest', x.data, T);
  checkInteger('K', K, 1);
  checkInteger('L', L, 1, T);
  if (W.length !== L * N * K) throw new ArgumentError('W', `${L * N * K} entries (L ${L} x N ${N} x K ${K})`, W);
  const pThreshold = checkNumber('pThreshold', options.pThreshold ?? 0.05, 1e-12, 1);
  const nNull = checkInteger('nNull', options.nNull ?? Math.ceil(K / pThreshold) * 2, 1);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0, 0xffffffff));
  const observedWtx = transposeConvolve(W, x.data, N, K, L, T);
  const observed = Array.from({ length: K }, (_, k) => skewness(observedWtx, k * T, T));
  const countAbove = new Array<number>(K).fill(0);
  const Wnull = new Float64Array(W.length);
  const out = new Float64Array(K * T);
  for (let i = 0; i < nNull; i++) {
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) {
        const lag = rng.int(L);
        for (let l = 0; l < L; l++) Wnull[(((l + lag) % L) * N + n) * K + k] = W[(l * N + n) * K + k];
      }
    }
    transposeConvolve(Wnull, x.data, N, K, L, T, out);
    for (let k = 0; k < K; k++) if (skewness(out, k * T, T) >= observed[k]) countAbove[k]++;
  }
  const pValues = countAbove.map((c) => Math.min(1, (1 + c) / nNull));
  return { skewness: observed, pValues, isSignificant: pValues.map((p) => p <= pThreshold / K), nNull };
}
