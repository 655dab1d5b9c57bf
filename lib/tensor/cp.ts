/**
 * Kruskal (CP) tensors and their fits: CP-ALS (with a mask for missing
 * entries), nonnegative CP by HALS or by ANLS, ensembles over ranks and
 * replicates, and factor similarity. The conveniences follow tensortools
 * (Williams et al. 2018, Neuron 98:1099; neurostatslab/tensortools: cp_als,
 * mcp_als, ncp_hals, ncp_bcd, Ensemble, kruskal_align); the code is this
 * project's own.
 *
 * Kruskal tensor. K = sum_rho a_0^rho o a_1^rho o ... o a_{p-1}^rho with
 * factors A_n (I_n x r, row-major Float64Array; column rho is a_n^rho).
 *   ||K||^2 = sum of the entries of G_0 * G_1 * ... * G_{p-1}, G_n = A_n^T A_n
 *             (* the element-wise product)
 *   weight of component rho: w_rho = prod_n ||a_n^rho||
 *   rebalance: a_n^rho <- a_n^rho w_rho^{1/p} / ||a_n^rho||  (same tensor,
 *             equal column norms across modes; ALS does it before each
 *             sweep, which keeps the normal equations well scaled)
 *
 * CP-ALS. For each mode n in turn, with the others fixed, the least-squares
 * update is the normal equations
 *   A_n V_n = M_n,  V_n = *_{k != n} G_k (r x r),  M_n = mttkrp(T, A, n),
 * solved by Cholesky (a ridge of 1e-12 tr(V)/r where V is singular).
 * Loss: relative error ||T - K|| / ||T|| from
 *   ||T - K||^2 = ||T||^2 - 2 <M_n, A_n> + ||K||^2
 * after the last mode's update (no reconstruction; cancels at ~1e-8, so
 * `exactLoss` forms K instead). Stops when the loss improves by less than
 * `tolerance` in one sweep (tensortools' rule) or at `maxIterations`.
 *
 * Masked CP-ALS (missing entries, mask W in {0, 1}): row i of A_n solves its
 * own normal equations over the observed entries only,
 *   A_n[i] (sum_c W_(n)[i,c] k_c k_c^T) = sum_c W_(n)[i,c] T_(n)[i,c] k_c,
 * k_c the rows of the Khatri-Rao product of the other factors: two GEMMs per
 * mode (the mask unfolding times the rows' outer products, and the masked
 * data's unfolding times the Khatri-Rao product). Entries with W = 0 are
 * replaced by 0 before anything reads them, so their values (even NaN) never
 * reach the fit. Loss over the observed entries: ||W * (T - K)|| / ||W * T||.
 *
 * Nonnegative CP. HALS (tensortools' ncp_hals; Cichocki & Phan 2009): per
 * mode, for each column k in turn,
 *   a_n^k <- max(0, a_n^k + (M_n[:, k] - A_n V_n[:, k]) / V_n[k, k]);
 * ANLS (ncp_bcd's block problem solved exactly): each mode's rows solve
 *   min_{x >= 0} 1/2 x^T V_n x - M_n[i]^T x by lib/core's nnlsGram.
 *
 * Similarity (kruskal_align). The cosine between rank-one tensors is the
 * product of their factors' cosines, so components rho of U and sigma of V
 * score s(rho, sigma) = prod_n cos(u_n^rho, v_n^sigma), times
 * 1 - |w_rho - w_sigma| / max(w_rho, w_sigma) when weights count. The best
 * permutation maximises the summed score (all r! for r <= 8, greedy above);
 * the aligned V has its columns permuted and signs flipped in pairs of modes
 * so that every mode's cosine but possibly the last is >= 0. The similarity
 * is the mean score of the matched pairs: 1 for the same tensor up to
 * permutation and scaling of the factors.
 *
 * Exports: KruskalTensor, kruskalTensor, randomKruskal, kruskalFull, kruskalNorm, componentWeights, rebalance,
 * CpOptions, CpResult, cpAls, NonnegativeCpOptions, cpNonnegative, EnsembleOptions, CpEnsemble, cpEnsemble,
 * FactorSimilarity, factorSimilarity.
 */
import {
  ArgumentError, ConvergenceReport, FloatArray, Progress, ProgressOutput, Rng, checkFinite, checkInteger, checkNumber, checkOneOf,
  convergenceReport, gemm, nnlsGram, solveRows, symEig, throwIfInterrupted,
} from '../core';
import { DenseTensor, checkTensor, khatriRao, mttkrpUnchecked, tensorSize, unfold, unfoldUnchecked } from './dense';

/** A Kruskal tensor: factors A_n (shape[n] x rank, row-major). */
export interface KruskalTensor {
  readonly shape: readonly number[];
  readonly rank: number;
  readonly factors: Float64Array[];
}

/** A checked Kruskal tensor over `factors` (copied to Float64Array). */
export function kruskalTensor(shape: readonly number[], rank: number, factors: readonly ArrayLike<number>[]): KruskalTensor {
  tensorSize(shape);
  checkInteger('rank', rank, 1, 1024);
  if (!Array.isArray(factors) || factors.length !== shape.length) throw new ArgumentError('factors', `${shape.length} factors (one per mode)`, factors);
  const out = factors.map((f, n) => {
    if (f === null || typeof f !== 'object' || typeof (f as ArrayLike<number>).length !== 'number') throw new ArgumentError(`factors[${n}]`, 'an array of numbers', f);
    if (f.length !== shape[n] * rank) throw new ArgumentError(`factors[${n}]`, `${shape[n] * rank} entries (${shape[n]} x rank ${rank})`, `${f.length} entries`);
    const a = Float64Array.from(f);
    checkFinite(`factors[${n}]`, a);
    return a;
  });
  return { shape: [...shape], rank, factors: out };
}

function checkKruskal(name: string, K: KruskalTensor): void {
  if (K === null || typeof K !== 'object' || !Array.isArray(K.factors)) throw new ArgumentError(name, 'a KruskalTensor { shape, rank, factors }', K);
  kruskalTensor(K.shape, K.rank, K.factors);
}

/** A Kruskal tensor with N(0, 1) factors (`nonnegative`: U[0, 1)), seeded. */
export function randomKruskal(shape: readonly number[], rank: number, seed: number, nonnegative = false): KruskalTensor {
  tensorSize(shape);
  checkInteger('rank', rank, 1, 1024);
  const rng = new Rng(seed);
  const factors = shape.map((I) => {
    const a = new Float64Array(I * rank);
    for (let i = 0; i < a.length; i++) a[i] = nonnegative ? rng.uniform() : rng.normal();
    return a;
  });
  return { shape: [...shape], rank, factors };
}

/** The dense tensor of K (Float64Array unless `type` is 'float32'). */
export function kruskalFull(K: KruskalTensor, type: 'float32' | 'float64' = 'float64'): DenseTensor {
  checkKruskal('K', K);
  checkOneOf('type', type, ['float32', 'float64']);
  return fullUnchecked(K, type);
}

function fullUnchecked(K: KruskalTensor, type: 'float32' | 'float64'): DenseTensor {
  // T_(0) = A_0 KR(A_1..)^T: one GEMM
  const { shape, rank, factors } = K;
  const rest = tensorSize(shape) / shape[0];
  const kr = khatriRao(factors.slice(1).length ? factors.slice(1) : [new Float64Array(rank).fill(1)], shape.length > 1 ? shape.slice(1) : [1], rank, 'float64') as Float64Array;
  const out = new Float64Array(shape[0] * rest);
  gemm(shape[0], rest, rank, factors[0], kr, out, { transB: true });
  return { shape: [...shape], data: type === 'float32' ? Float32Array.from(out) : out };
}

function gram(A: Float64Array, I: number, r: number): Float64Array {
  const G = new Float64Array(r * r);
  gemm(r, r, I, A, A, G, { transA: true });
  return G;
}

function hadamardGrams(grams: Float64Array[], skip: number, r: number): Float64Array {
  const V = new Float64Array(r * r).fill(1);
  grams.forEach((G, k) => { if (k !== skip) for (let i = 0; i < r * r; i++) V[i] *= G[i]; });
  return V;
}

/** ||K||_F from the factors' Gram matrices (no reconstruction). */
export function kruskalNorm(K: KruskalTensor): number {
  checkKruskal('K', K);
  const V = hadamardGrams(K.factors.map((A, n) => gram(A, K.shape[n], K.rank)), -1, K.rank);
  let s = 0;
  for (const v of V) s += v;
  return Math.sqrt(Math.max(0, s));
}

/** w_rho = prod_n ||a_n^rho||. */
export function componentWeights(K: KruskalTensor): Float64Array {
  checkKruskal('K', K);
  return weightsOf(K);
}

function columnNorms(A: Float64Array, I: number, r: number): Float64Array {
  const out = new Float64Array(r);
  for (let i = 0; i < I; i++) for (let s = 0; s < r; s++) out[s] += A[i * r + s] * A[i * r + s];
  for (let s = 0; s < r; s++) out[s] = Math.sqrt(out[s]);
  return out;
}

function weightsOf(K: KruskalTensor): Float64Array {
  const w = new Float64Array(K.rank).fill(1);
  K.factors.forEach((A, n) => { const c = columnNorms(A, K.shape[n], K.rank); for (let s = 0; s < K.rank; s++) w[s] *= c[s]; });
  return w;
}

/** The same tensor with each component's factor norms equal across modes (w^{1/p} each); a new KruskalTensor. */
export function rebalance(K: KruskalTensor): KruskalTensor {
  checkKruskal('K', K);
  const out = { shape: [...K.shape], rank: K.rank, factors: K.factors.map((A) => Float64Array.from(A)) };
  rebalanceInPlace(out);
  return out;
}

function rebalanceInPlace(K: KruskalTensor): void {
  const { rank: r, shape, factors } = K;
  const norms = factors.map((A, n) => columnNorms(A, shape[n], r));
  for (let s = 0; s < r; s++) {
    let logw = 0, zero = false;
    for (const c of norms) { if (c[s] === 0) zero = true; else logw += Math.log(c[s]); }
    if (zero) continue; // a zero component stays zero
    const target = Math.exp(logw / shape.length);
    factors.forEach((A, n) => { const f = target / norms[n][s]; for (let i = 0; i < shape[n]; i++) A[i * r + s] *= f; });
  }
}

// ---------------------------------------------------------------------------
// CP-ALS

export interface CpOptions {
  /** Number of components (required). */
  rank: number;
  /** 'random' (default: N(0,1) factors scaled to ||T||), 'svd' (leading left singular vectors of each unfolding), or a KruskalTensor. */
  init?: 'random' | 'svd' | KruskalTensor;
  /** Stop when the relative error improves by less than this in one sweep (default 1e-5). */
  tolerance?: number;
  /** Sweeps at most (default 500). */
  maxIterations?: number;
  /** Seed of the random initialisation (default 0). */
  seed?: number;
  /** Observed entries (1) and missing ones (0), T's shape; missing entries are never read. */
  mask?: DenseTensor;
  /** Compute the loss from the reconstruction (exact, costs one GEMM of |T| r per sweep); default false (Gram formula). */
  exactLoss?: boolean;
  /** Progress display ('silent' by default). */
  progress?: ProgressOutput;
  label?: string;
}

export interface CpResult {
  model: KruskalTensor;
  /** Relative error after each sweep (over the observed entries when masked). */
  lossHistory: number[];
  convergence: ConvergenceReport;
  seconds: number;
}

function initialModel(T: DenseTensor, rank: number, init: CpOptions['init'], seed: number, nonnegative: boolean, normT: number): KruskalTensor {
  let K: KruskalTensor;
  if (init === undefined || init === 'random') K = randomKruskal(T.shape, rank, seed, nonnegative);
  else if (init === 'svd') {
    const rng = new Rng(seed);
    const factors = T.shape.map((I, n) => {
      const U = unfold(T, n);
      const cols = U.length / I;
      const G = new Float64Array(I * I);
      gemm(I, I, cols, U instanceof Float64Array ? U : Float64Array.from(U), U instanceof Float64Array ? U : Float64Array.from(U), G, { transB: true });
      const e = symEig({ rows: I, cols: I, data: G });
      const A = new Float64Array(I * rank);
      for (let i = 0; i < I; i++) {
        for (let s = 0; s < rank; s++) {
          const v = s < I ? e.vectors.get(i, s) * Math.sqrt(Math.max(e.values[s], 0)) : rng.normal();
          A[i * rank + s] = nonnegative ? Math.abs(v) : v;
        }
      }
      return A;
    });
    K = { shape: [...T.shape], rank, factors };
  } else {
    checkKruskal('options.init', init);
    if (init.rank !== rank || init.shape.length !== T.shape.length || init.shape.some((n, k) => n !== T.shape[k])) {
      throw new ArgumentError('options.init', `a KruskalTensor of shape ${T.shape.join(' x ')} and rank ${rank}`, `shape ${init.shape.join(' x ')}, rank ${init.rank}`);
    }
    return { shape: [...init.shape], rank, factors: init.factors.map((a) => Float64Array.from(a)) };
  }
  // scale so that ||K|| = ||T||
  const nk = kruskalNormUnchecked(K);
  if (nk > 0 && normT > 0) {
    const f = Math.pow(normT / nk, 1 / T.shape.length);
    for (const A of K.factors) for (let i = 0; i < A.length; i++) A[i] *= f;
  }
  rebalanceInPlace(K);
  return K;
}

function kruskalNormUnchecked(K: KruskalTensor): number {
  const V = hadamardGrams(K.factors.map((A, n) => gram(A, K.shape[n], K.rank)), -1, K.rank);
  let s = 0;
  for (const v of V) s += v;
  return Math.sqrt(Math.max(0, s));
}

interface FitSetup {
  T: DenseTensor;
  rank: number;
  tolerance: number;
  maxIterations: number;
  exactLoss: boolean;
  progress: Progress;
  label: string;
}

/** Zero-filled copy of T where the mask is 0 (so masked values never enter), and the mask as 0/1 float64. */
function maskedData(T: DenseTensor, mask: DenseTensor): { data: DenseTensor<Float64Array>; mask: DenseTensor<Float64Array> } {
  checkTensor('options.mask', mask);
  if (mask.shape.length !== T.shape.length || mask.shape.some((n, k) => n !== T.shape[k])) throw new ArgumentError('options.mask', `a tensor of T's shape ${T.shape.join(' x ')}`, mask.shape.join(' x '));
  const d = new Float64Array(T.data.length), m = new Float64Array(T.data.length);
  let observed = 0;
  for (let i = 0; i < d.length; i++) {
    const w = mask.data[i];
    if (w !== 0 && w !== 1) throw new ArgumentError('options.mask', 'entries 0 (missing) or 1 (observed)', `${w} at ${i}`);
    if (w === 1) { m[i] = 1; d[i] = T.data[i]; observed++; }
  }
  if (observed === 0) throw new ArgumentError('options.mask', 'at least one observed entry (a 1)', 'all zeros');
  for (let i = 0; i < d.length; i++) if (m[i] === 1 && !Number.isFinite(d[i])) throw new ArgumentError('T.data', 'finite values at observed entries', `${d[i]} at ${i}`);
  return { data: { shape: T.shape, data: d }, mask: { shape: T.shape, data: m } };
}

/**
 * CP decomposition by alternating least squares (tensortools' cp_als; with
 * `mask`, its mcp_als). Long fits show progress and stop on an interrupt
 * (InterruptedError with the current model in `.partial`).
 */
export function cpAls(T: DenseTensor, options: CpOptions): CpResult {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with rank', options);
  const masked = options.mask !== undefined;
  checkTensor('T', T, masked);
  const rank = checkInteger('options.rank', options.rank, 1, 1024);
  checkOneOf('options.init', typeof options.init === 'object' ? 'random' : options.init ?? 'random', ['random', 'svd']);
  const tolerance = checkNumber('options.tolerance', options.tolerance ?? 1e-5, 0);
  const maxIterations = checkInteger('options.maxIterations', options.maxIterations ?? 500, 1);
  const seed = checkInteger('options.seed', options.seed ?? 0, 0, 0xffffffff);
  const label = options.label ?? `cp-als rank ${rank}`;
  const progress = new Progress({ total: maxIterations, label, output: options.progress ?? 'silent' });
  const setup: FitSetup = { T, rank, tolerance, maxIterations, exactLoss: options.exactLoss ?? false, progress, label };
  const started = Date.now();
  if (masked) {
    const { data, mask } = maskedData(T, options.mask!);
    const K = initialModel(data, rank, options.init, seed, false, Math.sqrt(sumSquares(data.data)));
    return maskedAls(setup, data, mask, K, started);
  }
  const normT = Math.sqrt(sumSquares(T.data));
  const K = initialModel(T, rank, options.init, seed, false, normT);
  return alternate(setup, K, normT, started, (n, V, M, A, I) => {
    solveRows(V, M, I, rank);
    A.set(M);
  });
}

function sumSquares(d: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return s;
}

/** The sweep loop shared by CP-ALS and nonnegative CP: `update` sets A_n from V_n and M_n. */
function alternate(
  s: FitSetup, K: KruskalTensor, normT: number, started: number,
  update: (n: number, V: Float64Array, M: Float64Array, A: Float64Array, I: number) => void,
): CpResult {
  const { T, rank: r, tolerance, maxIterations, progress } = s;
  const p = T.shape.length;
  const lossHistory: number[] = [];
  let converged = false, improvement = Infinity, it = 0;
  const scale = normT > 0 ? normT : 1;
  for (it = 0; it < maxIterations; it++) {
    throwIfInterrupted(s.label, () => `after ${it} sweeps`, () => ({ model: K, lossHistory }));
    rebalanceInPlace(K);
    const grams = K.factors.map((A, n) => gram(A, T.shape[n], r));
    let inner = 0;
    for (let n = 0; n < p; n++) {
      const V = hadamardGrams(grams, n, r);
      const M = mttkrpUnchecked(T, K.factors, n, r);
      const A = K.factors[n];
      update(n, V, M.slice(), A, T.shape[n]);
      grams[n] = gram(A, T.shape[n], r);
      if (n === p - 1) for (let i = 0; i < M.length; i++) inner += M[i] * A[i];
    }
    let loss: number;
    if (s.exactLoss) {
      const F = fullUnchecked(K, 'float64');
      let e = 0;
      for (let i = 0; i < F.data.length; i++) { const d = T.data[i] - F.data[i]; e += d * d; }
      loss = Math.sqrt(e) / scale;
    } else {
      let nk = 0;
      for (const v of hadamardGrams(grams, -1, r)) nk += v;
      loss = Math.sqrt(Math.max(0, normT * normT - 2 * inner + nk)) / scale;
    }
    improvement = lossHistory.length ? lossHistory[lossHistory.length - 1] - loss : Infinity;
    lossHistory.push(loss);
    progress.update(it + 1, `relative error ${loss.toExponential(3)}`);
    if (Math.abs(improvement) < tolerance) { converged = true; it++; break; }
  }
  progress.finish(`relative error ${lossHistory[lossHistory.length - 1].toExponential(3)} after ${lossHistory.length} sweeps`);
  return {
    model: K, lossHistory, seconds: (Date.now() - started) / 1000,
    convergence: convergenceReport(lossHistory.length, Math.abs(improvement), tolerance, 'improvement of the relative error in the last sweep', converged),
  };
}

function maskedAls(s: FitSetup, X: DenseTensor<Float64Array>, W: DenseTensor<Float64Array>, K: KruskalTensor, started: number): CpResult {
  const { rank: r, tolerance, maxIterations, progress } = s;
  const shape = X.shape, p = shape.length;
  const lossHistory: number[] = [];
  let normObs = 0;
  for (let i = 0; i < X.data.length; i++) normObs += X.data[i] * X.data[i];
  const scale = normObs > 0 ? Math.sqrt(normObs) : 1;
  const Wn = shape.map((_, n) => unfoldUnchecked(W, n));
  const Xn = shape.map((_, n) => unfoldUnchecked(X, n));
  let converged = false, improvement = Infinity;
  for (let it = 0; it < maxIterations; it++) {
    throwIfInterrupted(s.label, () => `after ${it} sweeps`, () => ({ model: K, lossHistory }));
    rebalanceInPlace(K);
    for (let n = 0; n < p; n++) {
      const I = shape[n], C = X.data.length / I;
      const others = K.factors.filter((_, k) => k !== n), sizes = shape.filter((_, k) => k !== n);
      const kr = (others.length ? khatriRao(others, sizes, r, 'float64') : new Float64Array(r).fill(1)) as Float64Array;
      // rows' outer products k_c k_c^T (C x r^2)
      const outer = new Float64Array(C * r * r);
      for (let c = 0; c < C; c++) for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) outer[(c * r + a) * r + b] = kr[c * r + a] * kr[c * r + b];
      const G = new Float64Array(I * r * r);
      gemm(I, r * r, C, Wn[n], outer, G);
      const M = new Float64Array(I * r);
      gemm(I, r, C, Xn[n], kr, M);
      const A = K.factors[n];
      for (let i = 0; i < I; i++) {
        const row = M.subarray(i * r, (i + 1) * r);
        const Gi = G.subarray(i * r * r, (i + 1) * r * r);
        let any = false;
        for (let a = 0; a < r * r; a++) if (Gi[a] !== 0) { any = true; break; }
        if (!any) continue; // a row with no observed entry keeps its value
        solveRows(Gi, row, 1, r);
        A.set(row, i * r);
      }
    }
    const F = fullUnchecked(K, 'float64');
    let e = 0;
    for (let i = 0; i < F.data.length; i++) { const d = W.data[i] * (X.data[i] - F.data[i]); e += d * d; }
    const loss = Math.sqrt(e) / scale;
    improvement = lossHistory.length ? lossHistory[lossHistory.length - 1] - loss : Infinity;
    lossHistory.push(loss);
    progress.update(it + 1, `relative error (observed) ${loss.toExponential(3)}`);
    if (Math.abs(improvement) < tolerance) { converged = true; break; }
  }
  progress.finish();
  return {
    model: K, lossHistory, seconds: (Date.now() - started) / 1000,
    convergence: convergenceReport(lossHistory.length, Math.abs(improvement), tolerance, 'improvement of the relative error over observed entries in the last sweep', converged),
  };
}

// ---------------------------------------------------------------------------
// Nonnegative CP

export interface NonnegativeCpOptions extends Omit<CpOptions, 'mask'> {
  /** 'hals' (default; tensortools' ncp_hals) or 'anls' (exact nonnegative block solves by lib/core's nnlsGram). */
  solver?: 'hals' | 'anls';
}

/** Nonnegative CP decomposition (all factors >= 0). Random initialisation draws U[0, 1). */
export function cpNonnegative(T: DenseTensor, options: NonnegativeCpOptions): CpResult {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with rank', options);
  checkTensor('T', T);
  const rank = checkInteger('options.rank', options.rank, 1, 1024);
  checkOneOf('options.init', typeof options.init === 'object' ? 'random' : options.init ?? 'random', ['random', 'svd']);
  const solver = checkOneOf('options.solver', options.solver ?? 'hals', ['hals', 'anls']);
  const tolerance = checkNumber('options.tolerance', options.tolerance ?? 1e-5, 0);
  const maxIterations = checkInteger('options.maxIterations', options.maxIterations ?? 500, 1);
  const seed = checkInteger('options.seed', options.seed ?? 0, 0, 0xffffffff);
  const label = options.label ?? `ncp-${solver} rank ${rank}`;
  const progress = new Progress({ total: maxIterations, label, output: options.progress ?? 'silent' });
  const normT = Math.sqrt(sumSquares(T.data));
  const K = initialModel(T, rank, options.init, seed, true, normT);
  for (const A of K.factors) for (let i = 0; i < A.length; i++) if (A[i] < 0) throw new ArgumentError('options.init', 'nonnegative factors', A[i]);
  const setup: FitSetup = { T, rank, tolerance, maxIterations, exactLoss: options.exactLoss ?? false, progress, label };
  const r = rank;
  return alternate(setup, K, normT, Date.now(), (n, V, M, A, I) => {
    if (solver === 'anls') {
      const X = nnlsGram(V, M, r, I, { initialX: A });
      A.set(X);
      return;
    }
    for (let k = 0; k < r; k++) {
      const d = V[k * r + k];
      if (!(d > 0)) continue;
      for (let i = 0; i < I; i++) {
        let g = M[i * r + k];
        for (let j = 0; j < r; j++) g -= A[i * r + j] * V[j * r + k];
        A[i * r + k] = Math.max(0, A[i * r + k] + g / d);
      }
    }
  });
}

// ---------------------------------------------------------------------------
// Similarity and ensembles

export interface FactorSimilarity {
  /** Mean matched score in [-1, 1]: 1 for the same tensor up to permutation and rescaling of factors. */
  score: number;
  /** permutation[rho] = the component of V matched to component rho of U. */
  permutation: number[];
  /** Per matched pair, the score prod_n cos (times the weight term when weights count). */
  pairScores: number[];
  /** Per matched pair (U's order) and mode, the cosine after V's signs were flipped. */
  modeCosines: number[][];
  /** V with columns permuted to U's order and signs flipped in pairs of modes. */
  aligned: KruskalTensor;
}

/** Best-permutation similarity of two Kruskal tensors of one shape and rank (tensortools' kruskal_align score). */
export function factorSimilarity(U: KruskalTensor, V: KruskalTensor, options: { weights?: boolean } = {}): FactorSimilarity {
  checkKruskal('U', U);
  checkKruskal('V', V);
  if (U.rank !== V.rank || U.shape.length !== V.shape.length || U.shape.some((n, k) => n !== V.shape[k])) {
    throw new ArgumentError('V', `a KruskalTensor of U's shape ${U.shape.join(' x ')} and rank ${U.rank}`, `shape ${V.shape.join(' x ')}, rank ${V.rank}`);
  }
  const useWeights = options.weights ?? true;
  const r = U.rank, p = U.shape.length;
  const nu = U.factors.map((A, n) => columnNorms(A, U.shape[n], r)), nv = V.factors.map((A, n) => columnNorms(A, V.shape[n], r));
  const wu = weightsOf(U), wv = weightsOf(V);
  // cos[n][a][b]
  const cos = U.factors.map((A, n) => {
    const C = new Float64Array(r * r);
    gemm(r, r, U.shape[n], A, V.factors[n], C, { transA: true });
    for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) {
      const d = nu[n][a] * nv[n][b];
      C[a * r + b] = d > 0 ? C[a * r + b] / d : 0;
    }
    return C;
  });
  const score = (a: number, b: number) => {
    let s = 1;
    for (let n = 0; n < p; n++) s *= cos[n][a * r + b];
    if (useWeights) { const m = Math.max(wu[a], wv[b]); s *= m > 0 ? 1 - Math.abs(wu[a] - wv[b]) / m : 1; }
    return s;
  };
  const S = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) S[a * r + b] = score(a, b);
  const perm = bestAssignment(S, r);
  const modeCosines: number[][] = [], pairScores: number[] = [];
  const aligned: KruskalTensor = { shape: [...V.shape], rank: r, factors: V.shape.map((I) => new Float64Array(I * r)) };
  for (let a = 0; a < r; a++) {
    const b = perm[a];
    const signs = new Array(p).fill(1);
    for (let n = 0; n < p - 1; n++) if (cos[n][a * r + b] < 0) { signs[n] = -1; signs[p - 1] *= -1; }
    modeCosines.push(signs.map((sg, n) => sg * cos[n][a * r + b]));
    pairScores.push(S[a * r + b]);
    for (let n = 0; n < p; n++) for (let i = 0; i < V.shape[n]; i++) aligned.factors[n][i * r + a] = signs[n] * V.factors[n][i * r + b];
  }
  return { score: pairScores.reduce((x, y) => x + y, 0) / r, permutation: perm, pairScores, modeCosines, aligned };
}

/** argmax over permutations of sum_a S[a, perm[a]]: exhaustive for r <= 8, greedy above. */
function bestAssignment(S: Float64Array, r: number): number[] {
  if (r > 8) {
    const used = new Set<number>(), perm = new Array(r).fill(-1);
    const pairs: [number, number, number][] = [];
    for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) pairs.push([S[a * r + b], a, b]);
    pairs.sort((x, y) => y[0] - x[0]);
    for (const [, a, b] of pairs) if (perm[a] < 0 && !used.has(b)) { perm[a] = b; used.add(b); }
    return perm;
  }
  let best = -Infinity, bestPerm: number[] = [];
  const cur: number[] = [], used = new Array(r).fill(false);
  const rec = (a: number, sum: number) => {
    if (a === r) { if (sum > best) { best = sum; bestPerm = cur.slice(); } return; }
    for (let b = 0; b < r; b++) {
      if (used[b]) continue;
      used[b] = true; cur.push(b);
      rec(a + 1, sum + S[a * r + b]);
      cur.pop(); used[b] = false;
    }
  };
  rec(0, 0);
  return bestPerm;
}

export interface EnsembleOptions {
  /** Ranks to fit (each an integer >= 1). */
  ranks: number[];
  /** Fits per rank from different random starts (default 5). */
  replicates?: number;
  /** 'als' (default), 'ncp-hals' or 'ncp-anls'. */
  method?: 'als' | 'ncp-hals' | 'ncp-anls';
  /** Seed of the first replicate; replicate j of rank index q uses seed + 1000 q + j (default 0). */
  seed?: number;
  tolerance?: number;
  maxIterations?: number;
  progress?: ProgressOutput;
}

export interface CpEnsemble {
  /** Per rank: fits sorted by final loss (best first) and each fit's similarity to the best one (1 for the best). */
  byRank: { rank: number; fits: CpResult[]; losses: number[]; similarities: number[] }[];
}

/** Fits every rank `replicates` times (tensortools' Ensemble): loss and similarity-to-best per replicate, per rank. */
export function cpEnsemble(T: DenseTensor, options: EnsembleOptions): CpEnsemble {
  checkTensor('T', T);
  if (options === null || typeof options !== 'object' || !Array.isArray(options.ranks) || options.ranks.length === 0) throw new ArgumentError('options.ranks', 'a non-empty array of ranks', options?.ranks);
  options.ranks.forEach((q, i) => checkInteger(`options.ranks[${i}]`, q, 1, 1024));
  const replicates = checkInteger('options.replicates', options.replicates ?? 5, 1);
  const method = checkOneOf('options.method', options.method ?? 'als', ['als', 'ncp-hals', 'ncp-anls']);
  const seed = checkInteger('options.seed', options.seed ?? 0, 0, 0xffffffff);
  const tolerance = checkNumber('options.tolerance', options.tolerance ?? 1e-5, 0);
  const maxIterations = checkInteger('options.maxIterations', options.maxIterations ?? 500, 1);
  const progress = new Progress({ total: options.ranks.length * replicates, label: `cp ensemble (${method})`, output: options.progress ?? 'silent' });
  const byRank: CpEnsemble['byRank'] = [];
  options.ranks.forEach((rank, q) => {
    const fits: CpResult[] = [];
    for (let j = 0; j < replicates; j++) {
      throwIfInterrupted('cp ensemble', () => `at rank ${rank}, replicate ${j}`, () => ({ byRank }));
      const o = { rank, seed: seed + 1000 * q + j, tolerance, maxIterations };
      fits.push(method === 'als' ? cpAls(T, o) : cpNonnegative(T, { ...o, solver: method === 'ncp-hals' ? 'hals' : 'anls' }));
      progress.tick(1, `rank ${rank}, replicate ${j + 1}`);
    }
    const last = (f: CpResult) => f.lossHistory[f.lossHistory.length - 1];
    fits.sort((a, b) => last(a) - last(b));
    byRank.push({ rank, fits, losses: fits.map(last), similarities: fits.map((f) => factorSimilarity(fits[0].model, f.model).score) });
  });
  progress.finish();
  return { byRank };
}

