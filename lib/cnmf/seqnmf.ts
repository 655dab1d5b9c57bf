/** Private to lib/cnmf (the public names are re-exported by index.ts): seqNMF, its costs, factor shifting and the significance test. */
import {
  ArgumentError, Budget, checkFinite, checkInteger, checkNumber, convergenceReport, gemm, Progress, ProgressOutput, Rng, throwIfInterrupted, type ConvergenceReport,
} from '../core';
import {
  buffer, checkData, checkFactorShapes, checkProblem, DenseMatrix, DenseMatrixLike, diffNorm, givenFactors, reconstruct,
  reconstructInto, stackShifts, toDenseMatrix, transposeConvolve, transposeConvolveInto, Workspace,
} from './model';
import { EPS } from './solvers';

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
  /**
   * Iterations; residual: the change of the rms error between the last two iterations; tolerance:
   * `tolerance`; converged when the change fell to the tolerance (then one last lambda = 0 iteration
   * ran, so the residual is that iteration's change) -- never with tolerance 0.
   */
  convergence: ConvergenceReport;
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
  checkInteger('N', N, 1);
  checkInteger('K', K, 1);
  checkInteger('T', T, 1);
  checkInteger('L', L, 1, T);
  checkFactorShapes(N, K, L, T, W, H);
  checkFinite('W', W);
  checkFinite('H', H);
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
  const { x, N, T: T0, K, L } = checkProblem(X, options);
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
  const given = givenFactors(N, K, L, T, options, pad ? 'initialH (K x (T + 2L) when padding)' : 'initialH');
  if (given) ({ W, H } = given);
  else {
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
  let metTolerance = false;
  reconstructInto(W, H, N, K, L, T, xhat, ws);
  const unpadded = (): Float64Array => {
    const out = new Float64Array(K * T0);
    for (let k = 0; k < K; k++) out.set(H.subarray(k * T + P, k * T + P + T0), k * T0);
    return out;
  };
  for (;;) {
    // An interrupt (lib/core) stops here with the factors after the last finished iteration.
    throwIfInterrupted('seqNMF', () => `after ${iterations} of at most ${maxIterations} iterations`, () => ({ N, K, L, T: T0, W: W.slice(), H: unpadded(), costHistory: costHistory.slice(), iterations }));
    const converged = tolerance > 0 && costHistory.length > 1 && Math.abs(costHistory[costHistory.length - 2] - lastCost) <= tolerance;
    const last = iterations === maxIterations - 1 || converged || budget.exhausted(iterations + 1) !== null;
    metTolerance = converged;
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
  const change = costHistory.length > 1 ? Math.abs(costHistory[costHistory.length - 2] - lastCost) : Infinity;
  const convergence = convergenceReport(iterations, change, tolerance, 'change of the rms error between the last two iterations (converged: it fell to tolerance before a last lambda = 0 iteration)', metTolerance);
  return { N, K, L, T: T0, W, H: unpadded(), costHistory, iterations, convergence };
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
  checkFinite('X', x.data);
  checkInteger('K', K, 1);
  checkInteger('L', L, 1, T);
  checkFactorShapes(N, K, L, T, W, H);
  checkFinite('W', W);
  checkFinite('H', H);
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
  checkFinite('W', W);
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
