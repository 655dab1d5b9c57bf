/**
 * Bayesian approximate message passing (AMP) for low-rank tensors of any
 * order, shape and rank buried in Gaussian noise (Kadmon & Ganguli, NeurIPS
 * 2018, arXiv:1810.10065; the matrix case is Lesieur, Krzakala & Zdeborova's
 * low-rank AMP), and the planted model it is run on.
 *
 * Model. Order p, mode sizes N_a = n_a N with N the geometric mean of the
 * sizes (so prod_a n_a = 1), rank r, factors X_a (N_a x r) with iid rows
 * from the prior P_a:
 *
 *   T = s sum_rho x_0^rho o ... o x_{p-1}^rho + W,   s = sqrt(lambda / N^{p-1}),  W iid N(0, 1).
 *
 * Each mode's signal contraction then carries an O(1) SNR: contracting T with
 * the true factors of every other mode gives lambda prod_{b != a} n_b (x_b^T x_b / N_b)
 * times x_a, so lambda is the SNR per mode for a cube with E[x^2] = 1.
 *
 * AMP (parallel updates; x-hat^t, sigma-hat^t the posterior means and the
 * sum over rows of the posterior covariances of each mode at step t):
 *
 *   G_b   = x-hat_b^T x-hat_b                                    (r x r Gram)
 *   A_a   = s^2 *_{b != a} G_b                                   (* element-wise)
 *   C_c   = x-hat_c^{t-1 T} x-hat_c^t                             (r x r, across steps)
 *   O_a   = s^2 sum_{b != a} [ sigma-hat_b * (*_{c != a, b} C_c) ] (Onsager matrix)
 *   B_a   = s mttkrp(T, x-hat, a) - x-hat_a^{t-1} O_a
 *   x-hat_a^{t+1}, sigma-hat_a^{t+1} = posterior mean and covariance under P_a(x) exp(B_a,i^T x - x^T A_a x / 2)
 *
 * with x-hat^{-1} = 0 (no reaction to subtract in the first step, whose
 * estimates do not depend on W). The reaction of x-hat_b^t to W_ijk runs
 * through B_b^{t-1}, which holds x-hat_a^{t-1} and x-hat_c^{t-1}: hence the
 * Gram across steps C_c (with G_c in its place AMP drifts off state evolution
 * at once and oscillates when the iterates are still moving; as in
 * Lesieur et al.'s symmetric-tensor AMP, arXiv:1701.08010). Damping d: x-hat <- (1 - d) x-hat_new + d x-hat.
 *
 * The channel's A. The textbook A_a above (option channel: 'gram') sets the
 * denoiser's SNR from the estimates' norms Q = |x-hat|^2 / N. Off the
 * Nishimori line (Q != M, which finite N always seeds) that feedback has,
 * for the Gaussian prior, the gain dlog Q' / dlog Q_b = (1 - 2n) / (1 + n)
 * per other mode, n = lambda prod Q (from Q' = (S^2 + n) / (1 + n)^2 with
 * S = lambda prod M = n): summed over the p - 1 other modes the gain is
 * below -1 once n > 1 at p = 3 (the informative fixed point for lambda > 4
 * has n = lambda m^2 > 1), and the norms oscillate with period 2 and grow
 * (seen here at lambda = 6 and 10, N = 60-150). The default (channel: 'moment') instead takes A from the channel
 * B_a = A x* + A^{1/2} z itself: its second moment is A E[x x^T] A + A, so
 *   A_a solves  A E[x x^T] A + A = B_a^T B_a / N_a
 * (closed form by two r x r eigendecompositions). The fixed points and the
 * state evolution are the same (on the Nishimori line both A's agree up to
 * O(N^{-1/2})); the norm feedback is gone (x-hat ~ B / A is scale free).
 *
 * One step costs p MTTKRPs (one GEMM each, 2 |T| r flops) and the
 * denoisers (O(N r^3), 2^r r^2 for the sparse prior).
 *
 * Starts. 'random': x-hat = prior mean + initScale sqrt(variance) g, g iid
 * N(0, 1), sigma-hat = the prior's variance. { informed: a0 }: x-hat is the
 * posterior mean of a scalar Gaussian channel y = a0 x* + sqrt(a0) z of the
 * truth, and sigma-hat its posterior variance, so that the overlap and the
 * estimates' norm agree (M = Q = m(a0)) as state evolution assumes.
 * Overlaps with the truth (when `truth` is given): M_a = x-hat_a^T x*_a / N_a
 * (r x r) at every step, including the start.
 *
 * Exports: PlantedOptions, PlantedTensor, plantedTensor, AmpOptions, AmpResult, amp.
 */
import {
  ArgumentError, ConvergenceReport, Progress, ProgressOutput, Rng, checkFinite, checkInteger, checkNumber, checkOneOf, convergenceReport, gemm,
  symEig, throwIfInterrupted,
} from '../core';
import { DenseTensor, checkTensor, khatriRao, mttkrpUnchecked, tensorSize } from './dense';
import { FullPrior, Prior, checkPrior, drawInto, denoiseRows, momentsOf, scalarPosterior } from './priors';

/** Priors per mode from one prior or an array (one per mode). */
export function priorsPerMode(priors: Prior | Prior[], p: number, name = 'options.priors'): FullPrior[] {
  if (Array.isArray(priors)) {
    if (priors.length !== p) throw new ArgumentError(name, `one prior, or ${p} (one per mode)`, `${priors.length} priors`);
    return priors.map((q, a) => checkPrior(`${name}[${a}]`, q));
  }
  const q = checkPrior(name, priors);
  return new Array(p).fill(q);
}

/** Geometric mean of the sizes (the N of the model's scaling). */
export function geometricMean(shape: readonly number[]): number {
  return Math.exp(shape.reduce((s, n) => s + Math.log(n), 0) / shape.length);
}

export interface PlantedOptions {
  shape: number[];
  /** Rank r (default 1). */
  rank?: number;
  /** lambda >= 0. */
  snr: number;
  priors: Prior | Prior[];
  seed: number;
  /** Array type of the tensor (default 'float64'). */
  type?: 'float32' | 'float64';
}

export interface PlantedTensor {
  tensor: DenseTensor;
  /** The true factors X_a (N_a x r). */
  factors: Float64Array[];
  /** s = sqrt(lambda / N^{p-1}). */
  scale: number;
}

/** Draws factors from the priors and the noise, both seeded, and forms T. */
export function plantedTensor(o: PlantedOptions): PlantedTensor {
  if (o === null || typeof o !== 'object') throw new ArgumentError('options', 'an options object', o);
  const size = tensorSize(o.shape, 'options.shape');
  const p = o.shape.length;
  const r = checkInteger('options.rank', o.rank ?? 1, 1, 64);
  const snr = checkNumber('options.snr', o.snr, 0, 1e12);
  const priors = priorsPerMode(o.priors, p);
  const seed = checkInteger('options.seed', o.seed, 0, 0xffffffff);
  if (o.type !== undefined && o.type !== 'float32' && o.type !== 'float64') throw new ArgumentError('options.type', "'float32' or 'float64'", o.type);
  const rng = new Rng(seed);
  const factors = o.shape.map((N, a) => {
    const x = new Float64Array(N * r);
    drawInto(priors[a], x, rng.child(a));
    return x;
  });
  const scale = Math.sqrt(snr / Math.pow(geometricMean(o.shape), p - 1));
  const rest = size / o.shape[0];
  const kr = (p > 1 ? khatriRao(factors.slice(1), o.shape.slice(1), r) : new Float64Array(r).fill(1)) as Float64Array;
  const signal = new Float64Array(size);
  gemm(o.shape[0], rest, r, factors[0], kr, signal, { transB: true, alpha: scale });
  const noise = rng.child(p);
  const data = o.type === 'float32' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = signal[i] + noise.normal();
  return { tensor: { shape: [...o.shape], data }, factors, scale };
}

export interface AmpOptions {
  /** lambda, the SNR of the model (AMP is Bayes-optimal when it is the true one). */
  snr: number;
  /** One prior for every mode or one per mode. */
  priors: Prior | Prior[];
  /** Rank r (default 1). */
  rank?: number;
  /** d in [0, 1): x-hat <- (1 - d) new + d old (default 0). */
  damping?: number;
  /**
   * How A_a is formed: 'moment' (default) solves A E[x x^T] A + A = B_a^T B_a / N_a, the channel's second moment;
   * 'gram' is the textbook A_a = s^2 *_{b != a} G_b (see the header: unstable at high SNR for p >= 3 without damping).
   */
  channel?: 'moment' | 'gram';
  /** Steps at most (default 200). */
  maxIterations?: number;
  /** Stop when the RMS change of x-hat per entry, largest over modes, is below this (default 1e-7). */
  tolerance?: number;
  /** 'random' (default), { informed: a0 } (needs `truth`), or the starting factors. */
  init?: 'random' | { informed: number } | Float64Array[];
  /** Size of the random start around the prior mean, in prior standard deviations (default 0.01). */
  initScale?: number;
  seed?: number;
  /** The true factors: overlaps are recorded every step. */
  truth?: Float64Array[];
  progress?: ProgressOutput;
  label?: string;
}

export interface AmpResult {
  /** Posterior means x-hat_a (N_a x r). */
  factors: Float64Array[];
  /** Per mode, the posterior covariance averaged over rows (r x r). */
  variances: Float64Array[];
  /** With `truth`: overlaps[t][a] = x-hat_a^T x*_a / N_a (r x r, row-major) at step t (t = 0 the start). */
  overlaps: Float64Array[][];
  /** RMS change of x-hat per step (largest over modes). */
  changes: number[];
  convergence: ConvergenceReport;
  seconds: number;
}

function overlapsWith(xh: Float64Array[], truth: Float64Array[], shape: readonly number[], r: number): Float64Array[] {
  return xh.map((x, a) => {
    const M = new Float64Array(r * r);
    gemm(r, r, shape[a], x, truth[a], M, { transA: true, alpha: 1 / shape[a] });
    return M;
  });
}

/** Bayesian AMP on T (Kadmon & Ganguli's algorithm; see the file header). */
export function amp(T: DenseTensor, options: AmpOptions): AmpResult {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with snr and priors', options);
  checkTensor('T', T);
  const shape = T.shape, p = shape.length;
  const snr = checkNumber('options.snr', options.snr, 0, 1e12);
  const priors = priorsPerMode(options.priors, p);
  const r = checkInteger('options.rank', options.rank ?? 1, 1, 64);
  const damping = checkNumber('options.damping', options.damping ?? 0, 0, 0.999);
  const maxIterations = checkInteger('options.maxIterations', options.maxIterations ?? 200, 1);
  const tolerance = checkNumber('options.tolerance', options.tolerance ?? 1e-7, 0);
  const initScale = checkNumber('options.initScale', options.initScale ?? 0.01, 0, 1e6);
  const seed = checkInteger('options.seed', options.seed ?? 0, 0, 0xffffffff);
  const checkFactors = (name: string, f: unknown): Float64Array[] => {
    if (!Array.isArray(f) || f.length !== p) throw new ArgumentError(name, `${p} factors (one per mode)`, f);
    return f.map((x, a) => {
      if (!(x instanceof Float64Array) || x.length !== shape[a] * r) throw new ArgumentError(`${name}[${a}]`, `a Float64Array of ${shape[a] * r} entries (${shape[a]} x rank ${r})`, x);
      checkFinite(`${name}[${a}]`, x);
      return x;
    });
  };
  const channelEstimate = checkOneOf('options.channel', options.channel ?? 'moment', ['moment', 'gram']);
  const secondMoments = priors.map((q) => {
    const m = momentsOf(q), S = new Float64Array(r * r).fill(m.mean * m.mean);
    for (let k = 0; k < r; k++) S[k * r + k] = m.second;
    return S;
  });
  const truth = options.truth === undefined ? null : checkFactors('options.truth', options.truth);
  const s = Math.sqrt(snr / Math.pow(geometricMean(shape), p - 1));
  // a stream of its own: plantedTensor(seed) draws its factors from Rng(seed).child(a), which must not reappear here
  const rng = new Rng(seed).child(1 << 20);
  // the start
  let xh: Float64Array[];
  let cov: Float64Array[]; // sum over rows of the posterior covariances
  const init = options.init ?? 'random';
  if (init === 'random') {
    xh = shape.map((N, a) => {
      const q = priors[a], m = scalarPosterior(q, 0, 0).mean, sd = Math.sqrt(q.variance);
      const child = rng.child(a);
      return Float64Array.from({ length: N * r }, () => m + initScale * sd * child.normal());
    });
    cov = shape.map((N, a) => {
      const C = new Float64Array(r * r), v = scalarPosterior(priors[a], 0, 0).variance;
      for (let k = 0; k < r; k++) C[k * r + k] = N * v;
      return C;
    });
  } else if (Array.isArray(init)) {
    xh = checkFactors('options.init', init).map((x) => Float64Array.from(x));
    cov = shape.map((N, a) => {
      const C = new Float64Array(r * r), v = scalarPosterior(priors[a], 0, 0).variance;
      for (let k = 0; k < r; k++) C[k * r + k] = N * v;
      return C;
    });
  } else if (typeof init === 'object' && init !== null && 'informed' in init) {
    const a0 = checkNumber('options.init.informed', init.informed, 0, 1e12);
    if (!truth) throw new ArgumentError('options.truth', 'the true factors (an informed start needs them)', undefined);
    cov = [];
    xh = shape.map((N, a) => {
      const child = rng.child(a), x = new Float64Array(N * r), C = new Float64Array(r * r);
      for (let i = 0; i < N * r; i++) {
        const q = scalarPosterior(priors[a], a0, a0 * truth[a][i] + Math.sqrt(a0) * child.normal());
        x[i] = q.mean;
        C[(i % r) * r + (i % r)] += q.variance;
      }
      cov.push(C);
      return x;
    });
  } else {
    throw new ArgumentError('options.init', "'random', { informed: a0 } or the starting factors", init);
  }
  let prev: Float64Array[] = shape.map((N) => new Float64Array(N * r));
  const overlaps: Float64Array[][] = truth ? [overlapsWith(xh, truth, shape, r)] : [];
  const changes: number[] = [];
  const label = options.label ?? `amp rank ${r}`;
  const progress = new Progress({ total: maxIterations, label, output: options.progress ?? 'silent' });
  const started = Date.now();
  let converged = false, last = Infinity, diverged = false;
  for (let t = 0; t < maxIterations; t++) {
    throwIfInterrupted(label, () => `after ${t} steps`, () => ({ factors: xh, overlaps, changes }));
    const grams = xh.map((x, a) => { const G = new Float64Array(r * r); gemm(r, r, shape[a], x, x, G, { transA: true }); return G; });
    // the reaction runs through x-hat^{t-1}: cross[c][sigma, rho] = sum_k x-hat_c^{t-1}[k, sigma] x-hat_c^t[k, rho]
    const cross = xh.map((x, a) => { const C = new Float64Array(r * r); gemm(r, r, shape[a], prev[a], x, C, { transA: true }); return C; });
    const next: Float64Array[] = [], nextCov: Float64Array[] = [];
    for (let a = 0; a < p; a++) {
      let A: Float64Array = new Float64Array(r * r).fill(s * s);
      for (let b = 0; b < p; b++) if (b !== a) for (let k = 0; k < r * r; k++) A[k] *= grams[b][k];
      const O = new Float64Array(r * r);
      for (let b = 0; b < p; b++) {
        if (b === a) continue;
        const term = Float64Array.from(cov[b]);
        for (let c = 0; c < p; c++) if (c !== a && c !== b) for (let k = 0; k < r * r; k++) term[k] *= cross[c][k];
        for (let k = 0; k < r * r; k++) O[k] += s * s * term[k];
      }
      const B = mttkrpUnchecked(T, xh, a, r);
      for (let k = 0; k < B.length; k++) B[k] *= s;
      // B[i, rho] -= sum_sigma x-hat_a^{t-1}[i, sigma] O[sigma, rho]
      gemm(shape[a], r, r, prev[a], O, B, { alpha: -1, beta: 1 });
      if (channelEstimate === 'moment') A = momentChannel(B, shape[a], r, secondMoments[a]);
      const d = denoiseRows(priors[a], A, B, shape[a], r);
      next.push(d.mean);
      nextCov.push(d.covSum);
    }
    let change = 0;
    for (let a = 0; a < p; a++) {
      const x = xh[a], y = next[a];
      let c = 0;
      for (let k = 0; k < x.length; k++) {
        const v = (1 - damping) * y[k] + damping * x[k];
        c += (v - x[k]) * (v - x[k]);
        y[k] = v;
      }
      for (let k = 0; k < r * r; k++) nextCov[a][k] = (1 - damping) * nextCov[a][k] + damping * cov[a][k];
      change = Math.max(change, Math.sqrt(c / x.length));
    }
    prev = xh;
    xh = next;
    cov = nextCov;
    changes.push(change);
    last = change;
    if (truth) overlaps.push(overlapsWith(xh, truth, shape, r));
    progress.update(t + 1, `change ${change.toExponential(2)}`);
    if (!Number.isFinite(change)) { diverged = true; break; }
    if (change < tolerance) { converged = true; break; }
  }
  progress.finish();
  return {
    factors: xh, variances: cov.map((C, a) => C.map((v) => v / shape[a])), overlaps, changes, seconds: (Date.now() - started) / 1000,
    convergence: convergenceReport(changes.length, last, tolerance, diverged ? 'RMS change of x-hat per entry (diverged: non-finite)' : 'RMS change of x-hat per entry, largest over modes', converged),
  };
}

/**
 * A solving A S A + A = B^T B / N (S = E[x x^T] under the prior): on the
 * Nishimori line B = A x* + A^{1/2} z row by row, whose second moment is
 * exactly that. With S^{1/2}: (S^{1/2} A S^{1/2})^2 + S^{1/2} A S^{1/2} = S^{1/2} (B^T B / N) S^{1/2},
 * so A = S^{-1/2} (sqrt(I + 4 C) - I) / 2 S^{-1/2}, C the right-hand side.
 */
function momentChannel(B: Float64Array, N: number, r: number, S: Float64Array): Float64Array {
  const BB = new Float64Array(r * r);
  gemm(r, r, N, B, B, BB, { transA: true, alpha: 1 / N });
  if (r === 1) return Float64Array.of((Math.sqrt(1 + 4 * S[0] * BB[0]) - 1) / (2 * S[0]));
  const e = symEig({ rows: r, cols: r, data: S });
  const half = new Float64Array(r * r), inv = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let h = 0, v = 0;
    for (let k = 0; k < r; k++) {
      const lam = Math.max(e.values[k], 1e-300), u = e.vectors.get(i, k) * e.vectors.get(j, k);
      h += u * Math.sqrt(lam);
      v += u / Math.sqrt(lam);
    }
    half[i * r + j] = h;
    inv[i * r + j] = v;
  }
  const C = sandwich(half, BB, r);
  const ec = symEig({ rows: r, cols: r, data: C });
  const At = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let v = 0;
    for (let k = 0; k < r; k++) v += ec.vectors.get(i, k) * ec.vectors.get(j, k) * (Math.sqrt(1 + 4 * Math.max(ec.values[k], 0)) - 1) / 2;
    At[i * r + j] = v;
  }
  return sandwich(inv, At, r);
}

/** X M X for symmetric r x r X and M. */
function sandwich(X: Float64Array, M: Float64Array, r: number): Float64Array {
  const T = new Float64Array(r * r), out = new Float64Array(r * r);
  gemm(r, r, r, X, M, T);
  gemm(r, r, r, T, X, out);
  for (let i = 0; i < r; i++) for (let j = i + 1; j < r; j++) { const v = 0.5 * (out[i * r + j] + out[j * r + i]); out[i * r + j] = v; out[j * r + i] = v; }
  return out;
}
