/**
 * Private to lib/cnmf (the public names are re-exported by index.ts): the MU,
 * HALS and ANLS solvers, their table, and the one driver loop.
 *
 * A solver is one entry of `SOLVER_TABLE`, keyed by its `CnmfSolver` name: what
 * the state's buffer holds between iterations and one iteration in place.
 * `cnmf` (the loop: loss and time history, budget, progress, stopping) and
 * `cnmfStep` (one iteration, for tests) look the entry up and never switch on
 * the name. Adding a solver is one update function and one table line.
 */
import {
  ArgumentError, Budget, checkInteger, checkNumber, checkOneOf, convergenceReport, gemm, nnlsGram, Progress, ProgressOutput, Rng, throwIfInterrupted,
  type ConvergenceReport,
} from '../core';
import {
  buffer, checkData, checkFactorShapes, checkProblem, DenseMatrix, DenseMatrixLike, diffNorm, givenFactors, reconstruct, reconstructInto,
  stackShifts, sumSquares, toDenseMatrix, transposeConvolveInto, unfoldW,
} from './model';

// ---------------------------------------------------------------------------
// Solvers

/** The solvers' names, the keys of the solver table. */
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
  /**
   * Iterations; residual: the last relative decrease of the loss (loss_{i-1} - loss_i) / loss_{i-1};
   * tolerance: `tolerance`; converged when the stopping test ended the run (the decrease stayed below
   * tolerance for `patience` iterations, or the loss reached `targetLoss`) -- never with tolerance 0 and no target.
   */
  convergence: ConvergenceReport;
}

/** Floor for denominators and for multiplicatively updated entries (so a zero never locks). */
export const EPS = 1e-12;

/**
 * Random initialisation: W, H uniform on [0, 1), both scaled by sqrt(alpha) with
 * alpha = <X, Xhat> / ||Xhat||^2 (the least-squares scale of the reconstruction).
 */
export function initialFactors(X: DenseMatrixLike, K: number, L: number, seed = 0): { W: Float64Array; H: Float64Array } {
  const x = toDenseMatrix('X', X);
  checkData('X', x.data, x.cols);
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
  const { K, L, T, H, pen } = s;
  updateHTracked(s, (g, inner) => {
    const D = 2 * L - 1;
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
  });
}

/**
 * The frame the HALS and ANLS H steps share: the lag Gram tables of the
 * current W, the inner products <W_k window at t, R> = T(W, R)[k, t], which
 * `update` keeps current (by `correctInner`) while it changes H in place, and
 * afterwards R = Xhat - X brought up to date by one reconstruction of the
 * change of H (R += Xhat(W, H_new - H_old)).
 */
function updateHTracked(s: SolverState, update: (g: LagGram, inner: Float64Array) => void): void {
  const { N, K, L, T, W, H } = s;
  const R = s.buf;
  const g = lagGram(s);
  const inner = scratch(s, 'inner', K * T);
  transposeConvolveInto(W, R, N, K, L, T, inner, s.scratch);
  const dH = scratch(s, 'oldH', K * T);
  dH.set(H);
  update(g, inner);
  for (let i = 0; i < K * T; i++) dH[i] = H[i] - dH[i];
  reconstructInto(W, dH, N, K, L, T, R, s.scratch, 1);
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
  const { K, L, T, H, pen } = s;
  updateHTracked(s, (g, inner) => {
    const D = 2 * L - 1;
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
  });
}

// ---------------------------------------------------------------------------
// The solver table and the driver

interface SolverEntry {
  /**
   * What the state's buffer holds between iterations: MU keeps Xhat (its
   * updates are ratios of products with X and with Xhat); HALS and ANLS keep
   * the residual R = Xhat - X and update it in place with each factor.
   */
  keeps: 'reconstruction' | 'residual';
  /** One iteration in place: W, then H, then the buffer brought up to date. */
  iterate(s: SolverState): void;
}

const SOLVER_TABLE: Readonly<Record<CnmfSolver, SolverEntry>> = {
  mu: { keeps: 'reconstruction', iterate: muIteration },
  hals: { keeps: 'residual', iterate: (s) => { halsUpdateW(s); halsUpdateH(s); } },
  anls: { keeps: 'residual', iterate: (s) => { anlsUpdateW(s); anlsUpdateH(s); } },
};

/** The solver names in table order. */
export const CNMF_SOLVERS: readonly CnmfSolver[] = Object.freeze(Object.keys(SOLVER_TABLE) as CnmfSolver[]);

/** The table entry of a solver name; an unknown name throws an ArgumentError listing the known ones. */
function solverEntry(name: unknown): SolverEntry {
  return SOLVER_TABLE[checkOneOf('solver', name, CNMF_SOLVERS)];
}

/** Fills the state's buffer with what the solver keeps, from the current W and H. */
function fillBuffer(s: SolverState, entry: SolverEntry): void {
  if (entry.keeps === 'residual') residual(s);
  else reconstructInto(s.W, s.H, s.N, s.K, s.L, s.T, s.buf, s.scratch);
}

/** ||Xhat - X||_F / ||X||_F from the buffer. */
function bufferLoss(s: SolverState, entry: SolverEntry): number {
  const v = entry.keeps === 'reconstruction' ? diffNorm(s.buf, s.X) : Math.sqrt(sumSquares(s.buf));
  return v / s.normX;
}

function checkPenalties(options: Partial<Penalties>): Penalties {
  return {
    l1W: checkNumber('l1W', options.l1W ?? 0, 0),
    l1H: checkNumber('l1H', options.l1H ?? 0, 0),
    l2W: checkNumber('l2W', options.l2W ?? 0, 0),
    l2H: checkNumber('l2H', options.l2H ?? 0, 0),
  };
}

/**
 * Fits a convolutive NMF  X ~ sum_l W_l shift_l(H)  with MU, HALS or ANLS.
 * Stops at the first of: `maxIterations`, `timeLimit` seconds, `targetLoss`,
 * or `tolerance` with `patience`.
 */
export function cnmf(X: DenseMatrixLike, options: CnmfOptions): CnmfResult {
  const { x, N, T, K, L } = checkProblem(X, options);
  const solver = options.solver ?? 'hals';
  const entry = solverEntry(solver);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 100, 0);
  const timeLimit = options.timeLimit === undefined ? undefined : checkNumber('timeLimit', options.timeLimit, 0);
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0, 0);
  const patience = checkInteger('patience', options.patience ?? 3, 1);
  const targetLoss = checkNumber('targetLoss', options.targetLoss ?? 0, 0);
  const pen = checkPenalties(options);
  let W: Float64Array;
  let H: Float64Array;
  const given = givenFactors(N, K, L, T, options);
  if (given) {
    checkData('initialW', given.W, N * K);
    checkData('initialH', given.H, T);
    ({ W, H } = given);
  } else ({ W, H } = initialFactorsChecked(x, K, L, options.seed ?? 0));
  const normX = Math.sqrt(sumSquares(x.data));
  if (normX === 0) throw new ArgumentError('X', 'at least one positive entry', 'all zeros');

  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  const s: SolverState = { N, K, L, T, X: x.data, W, H, buf: new Float64Array(N * T), normX, pen, scratch: {} };
  fillBuffer(s, entry);
  const lossHistory = [bufferLoss(s, entry)];
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
    // An interrupt (lib/core) stops here with the factors after the last finished iteration.
    throwIfInterrupted(`cnmf ${solver}`, () => `after ${iterations} of at most ${maxIterations} iterations`, () => ({ N, K, L, T, solver, W: W.slice(), H: H.slice(), lossHistory: lossHistory.slice(), timeHistory: timeHistory.slice(), iterations }));
    entry.iterate(s);
    iterations++;
    const newLoss = bufferLoss(s, entry);
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
  const h = lossHistory;
  const decrease = h.length > 1 ? (h[h.length - 2] - h[h.length - 1]) / h[h.length - 2] : Infinity;
  const convergence = convergenceReport(iterations, decrease, tolerance, 'relative decrease of the loss in the last iteration (converged: below tolerance for patience iterations, or targetLoss reached)', stopReason === 'tolerance' || stopReason === 'target');
  return { N, K, L, T, solver, W, H, lossHistory, timeHistory, iterations, stopReason, convergence };
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
  const entry = solverEntry(solver);
  checkFactorShapes(x.rows, K, L, x.cols, W, H);
  const s: SolverState = {
    N: x.rows, K, L, T: x.cols, X: x.data, W: Float64Array.from(W), H: Float64Array.from(H), buf: new Float64Array(x.rows * x.cols),
    normX: 1, pen: checkPenalties(penalties), scratch: {},
  };
  fillBuffer(s, entry);
  entry.iterate(s);
  if (entry.keeps === 'reconstruction') for (let i = 0; i < s.buf.length; i++) s.buf[i] -= s.X[i];
  return { W: s.W, H: s.H, residual: s.buf };
}
