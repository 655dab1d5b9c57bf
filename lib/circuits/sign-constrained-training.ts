/**
 * Sign-constrained (Dale's law) least squares for every neuron of a network at once, and the target-based
 * training loop around it (Ingrosso & Abbott 2019, PLoS ONE 14:e0220547; references/network-dynamics.md
 * section 6).
 *
 * The problem. Samples t = 1..T of presynaptic features r(t) (n numbers: rates, or filtered spike trains)
 * and target currents h(t) (one per postsynaptic neuron i = 1..M). Each row w_i of W (M x n) solves
 *
 *   min_w  (1/T) sum_t (w . r(t) - h_i(t))^2 + lambda |w|^2    subject to  s_j w_j >= 0 for s_j = +-1
 *
 * with one sign s_j per PRESYNAPTIC j (Dale's law: +1 excitatory, -1 inhibitory, 0 free). Every neuron sees
 * the same r(t), so all M problems share one Gram matrix and differ only in their right-hand sides:
 *
 *   G = (1/T) sum_t r r^T + lambda I   (n x n),    c_i = (1/T) sum_t h_i(t) r(t),    min 1/2 w^T G w - c_i^T w.
 *
 * That is lib/core's `signConstrainedGram` exactly: the sign flips w = D y (D = diag s) turn it into batched
 * NNLS, solved by block principal pivoting (Kim & Park 2011) with one Cholesky factorisation per distinct
 * passive set. Stopping rule (that solver's): stop when no KKT condition is violated, i.e. every
 * coefficient in the passive set has its sign and every coefficient held at 0 has a gradient
 * (G w - c)_j pointing outward (s_j (G w - c)_j >= -1e-12 max|c|); each pivoting round exchanges all
 * violators while their count falls (else only the last one, which guarantees termination); a cap of
 * 10 n + 50 rounds reports non-convergence. The solution is exact (to round-off), not an iterate.
 *
 * Online. The sums behind G and c (and sum h^2, for the error) are accumulated over learning intervals of
 * length Delta t_L; after each interval the problem is solved again, warm-started from the previous W (the
 * pivoting starts from its sign pattern, so few rounds are needed). An optional forgetting factor
 * (0 < f <= 1) multiplies the old sums before each new interval is added (f = 1: all data weighted alike).
 * The paper's "fast online constrained optimization" could not be read (its Methods were not in the stored
 * copies); this exact warm-started re-solve on accumulated statistics is this library's method.
 *
 * The training loop (`trainByTarget`): for k = 1..K intervals, `collect(k)` runs the network driven by its
 * teacher (the caller's business: rate or spiking) and returns its features and target currents; they are
 * accumulated, W solved and handed to `apply(W, k)`. The loop stops after K intervals, or earlier when the
 * relative training error changes by less than `tolerance` (relative) between two intervals. Each interval's
 * record holds the relative error, the pivoting rounds, and the number of coefficients whose sign differs
 * from the constraint (0 always, checked, not assumed).
 *
 * Exports: SignConstrainedFit, SignConstrainedFitOptions, signViolations, trainByTarget, TargetTrainingOptions,
 * TargetTrainingRecord, TargetTrainingResult.
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, gemm, signConstrainedGram, type SolvedArray } from '../core';

export interface SignConstrainedFitOptions {
  /** n: features per sample (presynaptic neurons, plus any free inputs). */
  inputs: number;
  /** M: target currents per sample (postsynaptic neurons). */
  outputs: number;
  /** One sign per input: +1 (weights >= 0), -1 (<= 0), 0 (free). */
  signs: ArrayLike<number>;
  /** Ridge lambda (default 0; > 0 makes G positive definite). */
  ridge?: number;
  /** Forgetting factor f in (0, 1] applied to the old sums before each `accumulate` (default 1). */
  forgetting?: number;
}

/** Accumulated statistics of a sign-constrained regression shared by M outputs, and its exact solve. */
export class SignConstrainedFit {
  readonly inputs: number;
  readonly outputs: number;
  readonly signs: Int8Array;
  readonly ridge: number;
  readonly forgetting: number;
  /** Weighted sample count, sum_t r r^T (n x n), sum_t h r^T (M x n, rhs-major) and sum_t h_i^2 (M). */
  private count = 0;
  private readonly RR: Float64Array;
  private readonly HR: Float64Array;
  private readonly HH: Float64Array;

  constructor(options: SignConstrainedFitOptions) {
    const n = this.inputs = checkInteger('inputs', options?.inputs, 1);
    this.outputs = checkInteger('outputs', options.outputs, 1);
    const s = options.signs;
    if (s === null || typeof s !== 'object' || s.length !== n) throw new ArgumentError('signs', `${n} entries (one per input)`, s);
    this.signs = new Int8Array(n);
    for (let j = 0; j < n; j++) {
      if (s[j] !== 1 && s[j] !== -1 && s[j] !== 0) throw new ArgumentError('signs', '+1, -1 or 0 for each input', `${s[j]} at index ${j}`);
      this.signs[j] = s[j];
    }
    this.ridge = checkNumber('ridge', options.ridge ?? 0, 0);
    this.forgetting = checkNumber('forgetting', options.forgetting ?? 1, Number.MIN_VALUE, 1);
    this.RR = new Float64Array(n * n);
    this.HR = new Float64Array(this.outputs * n);
    this.HH = new Float64Array(this.outputs);
  }

  /** Number of samples accumulated (weighted by the forgetting factor). */
  get samples(): number {
    return this.count;
  }

  /** Adds T samples: R is T x n (row t = r(t)), H is T x M (row t = h(t)), both row-major. */
  accumulate(R: Float64Array, H: Float64Array, T: number): void {
    const n = this.inputs, M = this.outputs;
    checkInteger('T', T, 1);
    if (!(R instanceof Float64Array) || R.length !== T * n) throw new ArgumentError('R', `a Float64Array of T x inputs = ${T * n} entries`, R instanceof Float64Array ? `${R.length} entries` : R);
    if (!(H instanceof Float64Array) || H.length !== T * M) throw new ArgumentError('H', `a Float64Array of T x outputs = ${T * M} entries`, H instanceof Float64Array ? `${H.length} entries` : H);
    checkFinite('R', R);
    checkFinite('H', H);
    const f = this.count > 0 ? this.forgetting : 1;
    gemm(n, n, T, R, R, this.RR, { transA: true, beta: f });
    gemm(M, n, T, H, R, this.HR, { transA: true, beta: f });
    for (let i = 0; i < M; i++) this.HH[i] *= f;
    for (let t = 0; t < T; t++) for (let i = 0; i < M; i++) this.HH[i] += H[t * M + i] ** 2;
    this.count = f * this.count + T;
  }

  /** G = RR / count + lambda I and C = HR / count: the shared Gram matrix and the right-hand sides. */
  normalEquations(): { G: Float64Array; C: Float64Array } {
    if (this.count === 0) throw new ArgumentError('samples', 'at least one accumulated sample before a solve', 0);
    const n = this.inputs, inv = 1 / this.count;
    const G = Float64Array.from(this.RR, (v) => v * inv);
    for (let j = 0; j < n; j++) G[j * n + j] += this.ridge;
    return { G, C: Float64Array.from(this.HR, (v) => v * inv) };
  }

  /**
   * The exact constrained solution W (M x n row-major: row i = weights onto output i) with the pivoting's
   * convergence report; `initial` (M x n) warm-starts the pivoting from its sign pattern.
   */
  solve(initial?: Float64Array): SolvedArray {
    const { G, C } = this.normalEquations();
    if (initial !== undefined) {
      if (!(initial instanceof Float64Array) || initial.length !== this.outputs * this.inputs) throw new ArgumentError('initial', `a Float64Array of outputs x inputs = ${this.outputs * this.inputs} entries`, initial);
      checkFinite('initial', initial);
    }
    return signConstrainedGram(G, C, this.inputs, this.outputs, this.signs, { initialX: initial });
  }

  /** Relative training error sum_i sum_t (w_i . r - h_i)^2 / sum_i sum_t h_i^2 of W on the accumulated samples. */
  relativeError(W: Float64Array): number {
    const n = this.inputs, M = this.outputs;
    if (!(W instanceof Float64Array) || W.length !== M * n) throw new ArgumentError('W', `a Float64Array of outputs x inputs = ${M * n} entries`, W);
    // sum_t (w.r - h)^2 = w^T RR w - 2 w.HR + HH, per output; the quadratic term by one product
    const WRR = new Float64Array(M * n);
    gemm(M, n, n, W, this.RR, WRR);
    let err = 0, tot = 0;
    for (let i = 0; i < M; i++) {
      let q = 0, l = 0;
      for (let j = 0; j < n; j++) { q += WRR[i * n + j] * W[i * n + j]; l += W[i * n + j] * this.HR[i * n + j]; }
      err += q - 2 * l + this.HH[i];
      tot += this.HH[i];
    }
    return tot > 0 ? Math.max(err, 0) / tot : 0;
  }
}

/** Coefficients of W (rows of `signs.length` inputs) whose sign contradicts their input's sign (+1: w < 0, -1: w > 0). */
export function signViolations(W: ArrayLike<number>, signs: ArrayLike<number>): number {
  const n = signs.length;
  if (n === 0 || W.length === 0 || W.length % n !== 0) throw new ArgumentError('W', `a positive multiple of signs.length = ${n} entries`, W.length);
  checkFinite('W', W);
  let bad = 0;
  for (let k = 0; k < W.length; k++) {
    const s = signs[k % n];
    if ((s === 1 && W[k] < 0) || (s === -1 && W[k] > 0)) bad++;
  }
  return bad;
}

export interface TargetTrainingOptions {
  /** The fit whose statistics the intervals accumulate into. */
  fit: SignConstrainedFit;
  /** Maximum number of learning intervals K. */
  intervals: number;
  /** Runs learning interval k (0-based) and returns its T samples: features R (T x n) and target currents H (T x M). */
  collect: (k: number) => { R: Float64Array; H: Float64Array; T: number };
  /** Receives the solved W after interval k (for instance to load it into the network). */
  apply?: (W: Float64Array, k: number) => void;
  /** Warm start for the first solve (M x n). */
  initial?: Float64Array;
  /** Stop once the relative error changes by less than this fraction between intervals (default 0: run all K). */
  tolerance?: number;
}

export interface TargetTrainingRecord {
  interval: number;
  samples: number;
  /** Relative training error of the new W on all accumulated samples. */
  relativeError: number;
  /** Pivoting rounds of the solve. */
  pivotRounds: number;
  converged: boolean;
  /** Coefficients with the wrong sign after this interval's solve (Dale's law check). */
  signViolations: number;
  /** Fraction of the constrained coefficients at exactly 0. */
  zeroFraction: number;
}

export interface TargetTrainingResult {
  W: Float64Array;
  records: TargetTrainingRecord[];
}

/** The target-based training loop; see the file header. */
export function trainByTarget(options: TargetTrainingOptions): TargetTrainingResult {
  const fit = options?.fit;
  if (!(fit instanceof SignConstrainedFit)) throw new ArgumentError('fit', 'a SignConstrainedFit', fit);
  const K = checkInteger('intervals', options.intervals, 1);
  if (typeof options.collect !== 'function') throw new ArgumentError('collect', 'a function (k) => { R, H, T }', options.collect);
  const tol = checkNumber('tolerance', options.tolerance ?? 0, 0);
  const constrained = Array.from(fit.signs).filter((s) => s !== 0).length * fit.outputs;
  let W = options.initial;
  const records: TargetTrainingRecord[] = [];
  for (let k = 0; k < K; k++) {
    const { R, H, T } = options.collect(k);
    fit.accumulate(R, H, T);
    const sol = fit.solve(W);
    W = Float64Array.from(sol);
    let zeros = 0;
    for (let q = 0; q < W.length; q++) if (W[q] === 0 && fit.signs[q % fit.inputs] !== 0) zeros++;
    const rec: TargetTrainingRecord = {
      interval: k, samples: fit.samples, relativeError: fit.relativeError(W), pivotRounds: sol.convergence.iterations, converged: sol.convergence.converged,
      signViolations: signViolations(W, fit.signs), zeroFraction: constrained > 0 ? zeros / constrained : 0,
    };
    records.push(rec);
    options.apply?.(W, k);
    const prev = records.length > 1 ? records[records.length - 2].relativeError : NaN;
    if (tol > 0 && Number.isFinite(prev) && Math.abs(rec.relativeError - prev) <= tol * Math.max(prev, Number.MIN_VALUE)) break;
  }
  return { W: W!, records };
}
