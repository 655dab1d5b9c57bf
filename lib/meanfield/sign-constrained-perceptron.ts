/**
 * Sign-constrained perceptrons at finite N (Rubin, Abbott & Sompolinsky, PNAS 2017, arXiv 1705.01502;
 * the problems as the authors' ranr01/Rubin2017Balanced QuadProg/max_kappa.py and
 * PerceptronLearning/balanced_perceptron_learning.jl pose them): random patterns, maximal-margin
 * solutions on lib/core's `quadraticProgram`, the noisy perceptron rule with weight decay that
 * finds balanced weights, and noise error rates. The replica theory beside it is perceptron-capacity.ts.
 *
 * Patterns: X (P x N row-major, inputs >= 0), labels y = +-1, signs s_i = +1 (excitatory, w_i >= 0),
 * -1 (inhibitory, w_i <= 0) or 0 (unconstrained). Output sign(w . x - theta).
 * Threshold units (threshold 1, weights u = w / theta) are what is reported:
 *   output margin   kappa_out = min_mu y_mu (u . x_mu - 1)          (robustness to output noise)
 *   input margin    kappa_in  = kappa_out / |u|                      (robustness to input noise)
 *   balance index   IB = mean_mu(u . x_mu) / mean_mu(|u| . x_mu)    (net over total input; small = balanced)
 * Maximal margins:
 *   input   canonical  min 1/2 |w|^2 + L tau  s.t. y_mu (w . x_mu - theta) >= 1 - tau, tau >= 0, signs;
 *           kappa_in = 1/|w|; theta >= 0 with sign constraints (free without them); the authors also
 *           impose |w| <= Gamma theta, not imposed here
 *   output  threshold units  max kappa  s.t. y_mu (u . x_mu - 1) >= kappa, |u| <= Gamma, signs.
 *           For fixed kappa, F(kappa) = min 1/2 |u|^2 + L tau s.t. y_mu u . x_mu >= kappa + y_mu - tau
 *           is convex and nondecreasing in kappa with dF/dkappa = sum of the multipliers; kappa_out is
 *           the root of F(kappa) = Gamma^2 / 2 (safeguarded Newton in a bracket, |step| <= 1e-10).
 * The penalised slack tau (L = `penalty`, default 1e8; the authors use 1e5) keeps every QP feasible;
 * tau > 0 at the solution means no solution of the margin problem (beyond capacity for kappa = 0).
 * A problem with separating weights of canonical norm |w*| is recognised as separable whenever
 * |w*|^2 < 2 L (the penalised optimum then has tau < 1, so every pattern is still classified right).
 *
 * Learning (the authors' Julia rule): per cycle, patterns in a random order; h = w . x - 1 + eta,
 * eta ~ N(0, sigmaIn^2 |w|^2 + sigmaOut^2); on an error (y h < 0) w <- (1 - eps) w + rho y x and
 * weights that crossed their sign are set to 0, else w <- (1 - eps) w. (The Julia script passes
 * sigma_out and sigma_in to the cycle in swapped positions; here the names mean what they say.)
 * Noise errors: with noise of standard deviation s = sqrt(sigmaOut^2 + sigmaIn^2 |u|^2) on the
 * input current, pattern mu flips with probability H(m_mu / s), m_mu = y_mu (u . x_mu - 1).
 *
 * Exports: PerceptronPatterns, randomPatterns, PerceptronSolution, perceptronSolution,
 * maxInputMargin, maxOutputMargin, MarginOptions, separableFraction, capacityFromSeparability,
 * noiseErrorRate, LearningOptions, LearningRecord, balancedPerceptronLearning.
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, quadraticProgram, Rng, type ConvergenceReport } from '../core';
import { gaussianTail } from './perceptron-capacity';

/** P patterns of N inputs (row-major), their labels and the weights' signs. */
export interface PerceptronPatterns {
  N: number;
  P: number;
  X: Float64Array;
  labels: Int8Array;
  signs: Int8Array;
}

export interface RandomPatternOptions {
  N: number;
  P: number;
  /** Fraction of excitatory afferents (default 0.8); 'unconstrained' signs when `constrained` is false. */
  fExc?: number;
  /** Fraction of +1 labels (default 0.5). */
  pOut?: number;
  /** 'binary' inputs (1 with probability fIn, else 0; CV = sqrt((1 - f) / f)) or 'gaussian' N(0, 1) (default 'binary'). */
  inputs?: 'binary' | 'gaussian';
  /** Probability an excitatory input is active (default 0.5). */
  fInExc?: number;
  /** Probability an inhibitory input is active (default fInExc); phi = CV_exc / CV_inh follows. */
  fInInh?: number;
  /** Sign-constrained weights (default true). */
  constrained?: boolean;
  seed: number;
}

/** Random patterns: the first round(fExc N) afferents excitatory, the rest inhibitory; labels +1 with probability pOut. */
export function randomPatterns(o: RandomPatternOptions): PerceptronPatterns {
  const N = checkInteger('N', o.N, 1);
  const P = checkInteger('P', o.P, 1);
  const fExc = checkNumber('fExc', o.fExc ?? 0.8, 0, 1);
  const pOut = checkNumber('pOut', o.pOut ?? 0.5, 0, 1);
  const kind = checkOneOf('inputs', o.inputs ?? 'binary', ['binary', 'gaussian']);
  const fE = checkNumber('fInExc', o.fInExc ?? 0.5, 0, 1);
  const fI = checkNumber('fInInh', o.fInInh ?? fE, 0, 1);
  const rng = new Rng(checkInteger('seed', o.seed, 0));
  const nExc = Math.round(fExc * N);
  const signs = new Int8Array(N);
  for (let i = 0; i < N; i++) signs[i] = o.constrained === false ? 0 : i < nExc ? 1 : -1;
  const X = new Float64Array(N * P);
  for (let mu = 0; mu < P; mu++) {
    for (let i = 0; i < N; i++) X[mu * N + i] = kind === 'gaussian' ? rng.normal() : rng.uniform() < (i < nExc ? fE : fI) ? 1 : 0;
  }
  const labels = new Int8Array(P);
  for (let mu = 0; mu < P; mu++) labels[mu] = rng.uniform() < pOut ? 1 : -1;
  return { N, P, X, labels, signs };
}

function checkPatterns(p: PerceptronPatterns): void {
  if (p === null || typeof p !== 'object') throw new ArgumentError('patterns', 'PerceptronPatterns { N, P, X, labels, signs }', p);
  const N = checkInteger('patterns.N', p.N, 1);
  const P = checkInteger('patterns.P', p.P, 1);
  if (!(p.X instanceof Float64Array) || p.X.length !== N * P) throw new ArgumentError('patterns.X', `a Float64Array of P x N = ${P} x ${N} values`, p.X);
  for (let i = 0; i < p.X.length; i++) if (!(Math.abs(p.X[i]) <= 1e150)) throw new ArgumentError('patterns.X', 'finite values with |x| <= 1e150', `${p.X[i]} at index ${i}`);
  if (p.labels === null || typeof p.labels !== 'object' || p.labels.length !== P) throw new ArgumentError('patterns.labels', `${P} labels of +1 or -1`, p.labels);
  for (let mu = 0; mu < P; mu++) if (p.labels[mu] !== 1 && p.labels[mu] !== -1) throw new ArgumentError('patterns.labels', '+1 or -1', `${p.labels[mu]} at index ${mu}`);
  if (p.signs === null || typeof p.signs !== 'object' || p.signs.length !== N) throw new ArgumentError('patterns.signs', `${N} signs of +1, -1 or 0`, p.signs);
  for (let i = 0; i < N; i++) if (p.signs[i] !== 1 && p.signs[i] !== -1 && p.signs[i] !== 0) throw new ArgumentError('patterns.signs', '+1, -1 or 0', `${p.signs[i]} at index ${i}`);
}

/** Weights in threshold units with their margins and balance (header). */
export interface PerceptronSolution {
  weights: Float64Array;
  kappaOut: number;
  kappaIn: number;
  norm: number;
  /** Net over total input, mean over patterns (header). */
  balanceIndex: number;
  /** Every pattern on its side (kappaOut > 0). */
  separable: boolean;
  /** The penalised slack of the QP (0 when the margin problem has a solution). */
  slack: number;
  /** The canonical threshold (input-margin problem: weights = w / theta); 1 for output-margin solutions. */
  threshold: number;
  convergence: ConvergenceReport;
}

/** Margins, norm and balance index of threshold-unit weights u on the patterns. */
export function perceptronSolution(patterns: PerceptronPatterns, weights: ArrayLike<number>): { kappaOut: number; kappaIn: number; norm: number; balanceIndex: number; separable: boolean } {
  checkPatterns(patterns);
  const { N, P, X, labels } = patterns;
  if (weights === null || typeof weights !== 'object' || weights.length !== N) throw new ArgumentError('weights', `${N} weights`, weights);
  let norm = 0;
  for (let i = 0; i < N; i++) {
    if (!Number.isFinite(weights[i])) throw new ArgumentError('weights', 'finite values', `${weights[i]} at index ${i}`);
    norm += weights[i] * weights[i];
  }
  norm = Math.sqrt(norm);
  let kOut = Infinity, net = 0, total = 0;
  for (let mu = 0; mu < P; mu++) {
    let h = 0, t = 0;
    for (let i = 0; i < N; i++) {
      h += weights[i] * X[mu * N + i];
      t += Math.abs(weights[i]) * X[mu * N + i];
    }
    kOut = Math.min(kOut, labels[mu] * (h - 1));
    net += h;
    total += t;
  }
  return { kappaOut: kOut, kappaIn: norm > 0 ? kOut / norm : -Infinity, norm, balanceIndex: total > 0 ? net / total : 0, separable: kOut > 0 };
}

export interface MarginOptions {
  /**
   * The canonical threshold of the input-margin problem: 'positive' (theta >= 0, the default when any weight
   * is sign-constrained, as the authors' code) or 'free' (the default for unconstrained weights: Cover's problem).
   */
  threshold?: 'positive' | 'free';
  /** Weight of the slack tau (default 1e8). */
  penalty?: number;
  /** The interior-point tolerance (default 1e-9). */
  tolerance?: number;
}

/** Rows y_mu x_mu of the constraints, with extra columns appended by `extra(mu)`. */
function constraintRows(p: PerceptronPatterns, extra: number[][]): Float64Array {
  const n = p.N + extra[0].length;
  const G = new Float64Array(p.P * n);
  for (let mu = 0; mu < p.P; mu++) {
    for (let i = 0; i < p.N; i++) G[mu * n + i] = p.labels[mu] * p.X[mu * p.N + i];
    for (let k = 0; k < extra[mu].length; k++) G[mu * n + p.N + k] = extra[mu][k];
  }
  return G;
}

/**
 * Maximal input-noise margin (header): the canonical QP with a free threshold; returns the
 * threshold-unit weights w / theta (meaningful for theta > 0; the canonical threshold is reported) and
 * `separable` from the canonical solution (every y_mu (w . x_mu - theta) > 0, whatever the sign of theta).
 */
export function maxInputMargin(patterns: PerceptronPatterns, options: MarginOptions = {}): PerceptronSolution {
  checkPatterns(patterns);
  if (options.threshold !== undefined) checkOneOf('threshold', options.threshold, ['positive', 'free']);
  const L = checkNumber('penalty', options.penalty ?? 1e8, Number.MIN_VALUE, 1e150);
  const { N, P, labels } = patterns;
  const n = N + 2; // w, theta, tau
  const G = constraintRows(patterns, Array.from({ length: P }, (_, mu) => [-labels[mu], 1]));
  const Pd = new Float64Array(n);
  Pd.fill(1, 0, N);
  const q = new Float64Array(n);
  q[N + 1] = L;
  const signs = new Int8Array(n);
  signs.set(patterns.signs);
  // a neuron's threshold is positive: theta >= 0 whenever the weights obey Dale's law (as the authors' code
  // imposes); with nonnegative inputs a negative threshold would let an all-inhibitory cell fire at rest
  const constrained = patterns.signs.some((v) => v !== 0);
  signs[N] = (options.threshold ?? (constrained ? 'positive' : 'free')) === 'positive' ? 1 : 0;
  signs[N + 1] = 1;
  const sol = quadraticProgram({ n, P: Pd, q, G, h: new Float64Array(P).fill(1), signs }, { tolerance: options.tolerance ?? 1e-9 });
  const theta = sol.x[N];
  const u = new Float64Array(N);
  for (let i = 0; i < N; i++) u[i] = sol.x[i] / theta;
  const m = perceptronSolution(patterns, u);
  // separability in canonical units: it does not need theta > 0 (unconstrained weights may want a negative threshold)
  let worst = Infinity;
  for (let mu = 0; mu < P; mu++) {
    let h = -theta;
    for (let i = 0; i < N; i++) h += sol.x[i] * patterns.X[mu * N + i];
    worst = Math.min(worst, labels[mu] * h);
  }
  return { weights: u, ...m, separable: worst > 0, slack: Math.max(0, sol.x[N + 1]), threshold: theta, convergence: sol.convergence };
}

/**
 * Maximal output-noise margin with |u| <= gamma in threshold units (header): a safeguarded Newton
 * search on kappa over QPs with the threshold fixed at 1.
 */
export function maxOutputMargin(patterns: PerceptronPatterns, options: MarginOptions & { gamma?: number } = {}): PerceptronSolution {
  checkPatterns(patterns);
  const gamma = checkNumber('gamma', options.gamma ?? 1, Number.MIN_VALUE, 1e75);
  const L = checkNumber('penalty', options.penalty ?? 1e8, Number.MIN_VALUE, 1e150);
  const tol = checkNumber('tolerance', options.tolerance ?? 1e-9, Number.MIN_VALUE, 1);
  const { N, P, labels } = patterns;
  const n = N + 1; // u, tau
  const G = constraintRows(patterns, Array.from({ length: P }, () => [1]));
  const Pd = new Float64Array(n);
  Pd.fill(1, 0, N);
  const q = new Float64Array(n);
  q[N] = L;
  const signs = new Int8Array(n);
  signs.set(patterns.signs);
  signs[N] = 1;
  const target = 0.5 * gamma * gamma;
  const solve = (kappa: number) => {
    const h = new Float64Array(P);
    for (let mu = 0; mu < P; mu++) h[mu] = kappa + labels[mu];
    const s = quadraticProgram({ n, P: Pd, q, G, h, signs }, { tolerance: tol });
    let dual = 0;
    for (let mu = 0; mu < P; mu++) dual += s.z[mu];
    return { s, f: s.objective, df: dual };
  };
  // F(-1) = 0 (u = 0 is optimal): the bracket's low end; double the high end until F exceeds the target
  let lo = -1, hi = 1;
  let best = solve(hi);
  for (let i = 0; best.f < target && i < 200; i++) {
    lo = hi;
    hi *= 2;
    best = solve(hi);
  }
  let kappa = hi, cur = best;
  let iterations = 0;
  for (; iterations < 100 && hi - lo > 1e-10 * Math.max(1, Math.abs(kappa)); iterations++) {
    if (cur.f > target) hi = kappa;
    else lo = kappa;
    let next = cur.df > 0 ? kappa - (cur.f - target) / cur.df : NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - kappa) <= 1e-12 * Math.max(1, Math.abs(kappa))) break;
    kappa = next;
    cur = solve(kappa);
    if (Math.abs(cur.f - target) <= 1e-12 * target) break;
  }
  // report the feasible side: the last iterate is within the bracket's width of the root
  const x = cur.s.x;
  const u = Float64Array.from(x.subarray(0, N));
  const m = perceptronSolution(patterns, u);
  return { weights: u, ...m, slack: Math.max(0, x[N]), threshold: 1, convergence: { ...cur.s.convergence, iterations } };
}

/** The fraction of `trials` random problems (seeds seed, seed + 1, ...) that a sign-constrained perceptron separates. */
export function separableFraction(options: Omit<RandomPatternOptions, 'seed'> & { trials: number; seed: number; penalty?: number }): number {
  const trials = checkInteger('trials', options.trials, 1);
  let ok = 0;
  for (let t = 0; t < trials; t++) {
    const p = randomPatterns({ ...options, seed: options.seed + t });
    if (maxInputMargin(p, { penalty: options.penalty }).separable) ok++;
  }
  return ok / trials;
}

/**
 * The load where the separable fraction crosses 1/2, by linear interpolation between the grid's
 * neighbours (alphas increasing, fractions measured there); null when it never crosses.
 */
export function capacityFromSeparability(alphas: ArrayLike<number>, fractions: ArrayLike<number>): number | null {
  if (alphas === null || typeof alphas !== 'object' || alphas.length < 1) throw new ArgumentError('alphas', 'a non-empty increasing list of loads', alphas);
  if (fractions === null || typeof fractions !== 'object' || fractions.length !== alphas.length) throw new ArgumentError('fractions', `${alphas.length} fractions (one per load)`, fractions);
  for (let i = 0; i < alphas.length; i++) {
    checkNumber(`alphas[${i}]`, alphas[i]);
    checkNumber(`fractions[${i}]`, fractions[i], 0, 1);
    if (i > 0 && !(alphas[i] > alphas[i - 1])) throw new ArgumentError('alphas', 'an increasing list', `${alphas[i]} after ${alphas[i - 1]}`);
  }
  for (let i = 1; i < alphas.length; i++) {
    const a = fractions[i - 1] - 0.5, b = fractions[i] - 0.5;
    if (a >= 0 && b < 0) return alphas[i - 1] + (a / (a - b)) * (alphas[i] - alphas[i - 1]);
  }
  return null;
}

/** Mean probability of a wrong output under output noise sigmaOut and input noise sigmaIn (header). */
export function noiseErrorRate(patterns: PerceptronPatterns, weights: ArrayLike<number>, noise: { sigmaOut?: number; sigmaIn?: number }): number {
  checkPatterns(patterns);
  const so = checkNumber('sigmaOut', noise.sigmaOut ?? 0, 0, 1e150);
  const si = checkNumber('sigmaIn', noise.sigmaIn ?? 0, 0, 1e150);
  const { N, P, X, labels } = patterns;
  const { norm } = perceptronSolution(patterns, weights);
  const s = Math.sqrt(so * so + si * si * norm * norm);
  let err = 0;
  for (let mu = 0; mu < P; mu++) {
    let h = 0;
    for (let i = 0; i < N; i++) h += weights[i] * X[mu * N + i];
    const m = labels[mu] * (h - 1);
    err += s > 0 ? gaussianTail(m / s) : m > 0 ? 0 : m < 0 ? 1 : 0.5;
  }
  return err / P;
}

export interface LearningOptions {
  /** Learning cycles (passes over the patterns in a random order). */
  cycles: number;
  /** Output noise sigma_out (default 0.15) and input noise sigma_in (default 0.1), as the authors' script. */
  sigmaOut?: number;
  sigmaIn?: number;
  /** Learning rate rho (default 0.1 / N) and decay per pattern presentation eps (default 5e-7). */
  rate?: number;
  decay?: number;
  /** Initial weights sigma_init Exp(1) with their signs (default 1e-3). */
  initialScale?: number;
  /** Record every this many cycles (default cycles / 100, at least 1). */
  recordEvery?: number;
  seed: number;
}

/** One record of the learning run. */
export interface LearningRecord {
  cycle: number;
  /** Fraction of presentations in the cycle that erred (under the noise). */
  errors: number;
  balanceIndex: number;
  norm: number;
  kappaOut: number;
  kappaIn: number;
}

/** The authors' noisy perceptron rule with weight decay (header); returns the records and the final weights. */
export function balancedPerceptronLearning(patterns: PerceptronPatterns, options: LearningOptions): { records: LearningRecord[]; weights: Float64Array } {
  checkPatterns(patterns);
  const { N, P, X, labels, signs } = patterns;
  const cycles = checkInteger('cycles', options.cycles, 1);
  const so = checkNumber('sigmaOut', options.sigmaOut ?? 0.15, 0, 1e6);
  const si = checkNumber('sigmaIn', options.sigmaIn ?? 0.1, 0, 1e6);
  const rho = checkNumber('rate', options.rate ?? 0.1 / N, 0, 1e6);
  const eps = checkNumber('decay', options.decay ?? 5e-7, 0, 1);
  const init = checkNumber('initialScale', options.initialScale ?? 1e-3, 0, 1e6);
  const every = checkInteger('recordEvery', options.recordEvery ?? Math.max(1, Math.floor(cycles / 100)), 1);
  const rng = new Rng(checkInteger('seed', options.seed, 0));
  // w = scale * v: the decay multiplies the scale (O(1)), not every weight (O(N)) per presentation
  const v = new Float64Array(N);
  let scale = 1;
  let vv = 0;
  for (let i = 0; i < N; i++) {
    v[i] = init * -Math.log(1 - rng.uniform()) * (signs[i] === 0 ? 1 : signs[i]);
    vv += v[i] * v[i];
  }
  const order = Int32Array.from({ length: P }, (_, i) => i);
  const records: LearningRecord[] = [];
  for (let t = 1; t <= cycles; t++) {
    for (let i = P - 1; i > 0; i--) { // Fisher-Yates
      const j = Math.floor(rng.uniform() * (i + 1));
      const s = order[i]; order[i] = order[j]; order[j] = s;
    }
    let errs = 0;
    for (let k = 0; k < P; k++) {
      const mu = order[k];
      const o = mu * N;
      let dot = 0;
      for (let i = 0; i < N; i++) dot += v[i] * X[o + i];
      const norm2 = scale * scale * vv;
      const h = scale * dot - 1 + Math.sqrt(norm2 * si * si + so * so) * rng.normal();
      scale *= 1 - eps;
      if (labels[mu] * h < 0) {
        errs++;
        const step = (rho * labels[mu]) / scale;
        vv = 0;
        for (let i = 0; i < N; i++) {
          let w = v[i] + step * X[o + i];
          if (signs[i] !== 0 && w * signs[i] < 0) w = 0;
          v[i] = w;
          vv += w * w;
        }
      }
    }
    if (scale < 1e-100 || scale > 1e100) { // renormalise before the scale leaves the float range
      for (let i = 0; i < N; i++) v[i] *= scale;
      vv *= scale * scale;
      scale = 1;
    }
    if (t % every === 0 || t === cycles) {
      const w = Float64Array.from(v, (x) => x * scale);
      const m = perceptronSolution(patterns, w);
      records.push({ cycle: t, errors: errs / P, balanceIndex: m.balanceIndex, norm: m.norm, kappaOut: m.kappaOut, kappaIn: m.kappaIn });
    }
  }
  return { records, weights: Float64Array.from(v, (x) => x * scale) };
}
