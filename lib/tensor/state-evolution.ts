/**
 * State evolution (Kadmon & Ganguli's dynamic mean-field theory of AMP) for
 * rank 1, its fixed points' Bethe free energy, and the phase thresholds.
 *
 * Scalar channel. For a prior P and an SNR a >= 0, y = a x* + sqrt(a) z
 * (x* ~ P, z ~ N(0, 1)) and f, Z the posterior mean and normaliser of
 * P(x) exp(y x - a x^2 / 2) (lib/tensor priors):
 *
 *   m(a)   = E[f(a, y) x*]     the overlap (= E[f^2] on the Nishimori line)
 *   psi(a) = E[log Z(a, y)]    the free entropy, with psi'(a) = m(a) / 2
 *
 * by the trapezoid rule over x* (the prior's nodes) and z (lib/meanfield's
 * normal grid), or in closed form for the Gaussian prior N(mu, v):
 *   m(a)   = (a (v + mu^2) + mu^2 / v) / (a + 1 / v)
 *   psi(a) = E[h^2] / (2 P) - log(v P) / 2 - mu^2 / (2 v),  P = a + 1/v,
 *            E[h^2] = a^2 (v + mu^2) + a + 2 a mu^2 / v + mu^2 / v^2.
 *
 * State evolution. Mode sizes N_a = n_a N (n normalised to prod n_a = 1),
 * overlaps M_a = x-hat_a . x*_a / N_a:
 *
 *   A_a^t = lambda prod_{b != a} n_b M_b^t,    M_a^{t+1} = m_a(A_a^t)
 *
 * (parallel, like lib/tensor's amp; damping mixes the old M in).
 * For the Gaussian prior N(mu, 1) on a cube (n_a = 1, p = 3, all M equal):
 * m' = (lambda m^2 (1 + mu^2) + mu^2) / (1 + lambda m^2). At mu = 0,
 * m' = lambda m^2 / (1 + lambda m^2): m = 0 is always a stable fixed point,
 * and the informative ones solve lambda m^2 - lambda m + 1 = 0,
 * m = (1 +- sqrt(1 - 4 / lambda)) / 2, which first exist at lambda = 4 with
 * m = 1/2 (the spinodal: informed starts recover above it, random ones never).
 *
 * Bethe free energy of a fixed point (minus the replica-symmetric free
 * entropy per N), stationary exactly at the fixed points of the map above:
 *
 *   F(M) = -sum_a n_a psi_a(A_a(M)) + (p - 1)/2 lambda prod_a n_a M_a.
 *
 * (d/dM_c of the sum is sum_{a != c} n_a m_a(A_a) A_a / (2 M_c) =
 * (p - 1) lambda prod n M / (2 M_c) when m_a(A_a) = M_a, the derivative of
 * the second term.) F = 0 at M = 0 for zero-mean priors. Of two stable
 * fixed points the lower F is the Bayes-optimal one.
 *
 * Phases at one lambda, from a random start (M_a = m_a(0) + randomOverlap)
 * and an informed one (M_a = E[x^2], the truth): 'easy' when both reach the
 * same fixed point (within 1e-3 E[x^2]) and it is informative (in some mode
 * at least half-way from m(0), the prior mean's overlap, to E[x^2]: a
 * convention that only matters where the overlap rises continuously, as for
 * priors with a mean); 'hard' when they differ and the informed fixed point
 * is informative with the lower F; 'impossible' otherwise. The thresholds (lowest lambda of
 * each phase, assumed monotone in lambda) are bisected on that test.
 *
 * Exports: ScalarChannel, scalarChannel, StateEvolutionOptions, StateEvolutionResult, stateEvolution,
 * betheFreeEnergy, Phase, PhasePoint, phasePoint, PhaseThresholds, phaseThresholds.
 */
import { ArgumentError, ConvergenceReport, checkInteger, checkNumber, checkOneOf, convergenceReport } from '../core';
import { priorsPerMode } from './amp';
import { FullPrior, Prior, momentsOf, priorNodes, scalarPosterior } from './priors';
import { normalGrid } from '../meanfield';

export interface QuadratureSettings {
  /** Step of the trapezoid grids in standard deviations (default 0.1; the rule is spectrally accurate for these smooth integrands). */
  dz?: number;
  /** Half-width (default 7). */
  zMax?: number;
}

export interface ScalarChannel {
  /** m(a) = E[x-hat x*]. */
  overlap: number;
  /** E[x-hat^2] (equal to the overlap on the Nishimori line; a check of the quadrature). */
  selfOverlap: number;
  /** E[x^2] - m(a). */
  mmse: number;
  /** psi(a) = E[log Z]. */
  freeEntropy: number;
}

interface Grids { px: Float64Array; pw: Float64Array; z: Float64Array; zw: Float64Array }

const gridCache = new Map<string, Grids>();

function grids(p: FullPrior, q: QuadratureSettings): Grids {
  const dz = checkNumber('quadrature.dz', q.dz ?? 0.1, 1e-4, 1);
  const zMax = checkNumber('quadrature.zMax', q.zMax ?? 7, 2, 38);
  const key = `${p.kind}:${p.mean}:${p.variance}:${p.density}:${dz}:${zMax}`;
  let g = gridCache.get(key);
  if (!g) {
    const nodes = priorNodes(p, dz, zMax);
    const zg = normalGrid({ dz, zMax });
    let tot = 0;
    for (const w of zg.w) tot += w;
    g = { px: nodes.x, pw: nodes.w, z: zg.z, zw: zg.w.map((w) => w / tot) };
    if (gridCache.size > 64) gridCache.clear();
    gridCache.set(key, g);
  }
  return g;
}

function channel(p: FullPrior, a: number, q: QuadratureSettings, method: 'auto' | 'quadrature'): ScalarChannel {
  const { second } = momentsOf(p);
  if (a === 0) {
    const m = scalarPosterior(p, 0, 0).mean;
    return { overlap: m * momentsOf(p).mean, selfOverlap: m * m, mmse: second - m * momentsOf(p).mean, freeEntropy: 0 };
  }
  if (method === 'auto' && (p.kind === 'gaussian' || (p.kind === 'gauss-bernoulli' && p.density === 1))) {
    const { mean: mu, variance: v } = p, P = a + 1 / v;
    const m = (a * (v + mu * mu) + (mu * mu) / v) / P;
    const h2 = a * a * (v + mu * mu) + a + (2 * a * mu * mu) / v + (mu * mu) / (v * v);
    return { overlap: m, selfOverlap: m, mmse: second - m, freeEntropy: h2 / (2 * P) - 0.5 * Math.log(v * P) - (mu * mu) / (2 * v) };
  }
  const g = grids(p, q);
  const sa = Math.sqrt(a);
  let m = 0, qq = 0, psi = 0;
  for (let i = 0; i < g.px.length; i++) {
    const x = g.px[i], wx = g.pw[i];
    if (wx === 0) continue;
    let sm = 0, sq = 0, sp = 0;
    for (let k = 0; k < g.z.length; k++) {
      const post = scalarPosterior(p, a, a * x + sa * g.z[k]);
      const w = g.zw[k];
      sm += w * post.mean;
      sq += w * post.mean * post.mean;
      sp += w * post.logZ;
    }
    m += wx * sm * x;
    qq += wx * sq;
    psi += wx * sp;
  }
  return { overlap: m, selfOverlap: qq, mmse: second - m, freeEntropy: psi };
}

/**
 * m(a) and psi(a) of a non-Gaussian prior tabulated once per prior and
 * quadrature: a = 0 and 40 points per decade on [1e-5, 1e5], cubic
 * (Catmull-Rom) interpolation in log a (linear below 1e-5). State evolution
 * then costs microseconds a step instead of a double quadrature; the table's
 * error against the quadrature is checked in test/tensor (below 1e-6).
 */
interface ChannelTable { loga: Float64Array; m: Float64Array; psi: Float64Array; m0: number }

const tableCache = new Map<string, ChannelTable>();
const TABLE_LO = -5, TABLE_HI = 5, PER_DECADE = 40;

function channelTable(p: FullPrior, q: QuadratureSettings): ChannelTable {
  const key = `${p.kind}:${p.mean}:${p.variance}:${p.density}:${q.dz ?? ''}:${q.zMax ?? ''}`;
  let t = tableCache.get(key);
  if (t) return t;
  const n = (TABLE_HI - TABLE_LO) * PER_DECADE + 1;
  const loga = new Float64Array(n), m = new Float64Array(n), psi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    loga[k] = (TABLE_LO + k / PER_DECADE) * Math.LN10;
    const c = channel(p, Math.exp(loga[k]), q, 'quadrature');
    m[k] = c.overlap;
    psi[k] = c.freeEntropy;
  }
  t = { loga, m, psi, m0: channel(p, 0, q, 'quadrature').overlap };
  if (tableCache.size > 256) tableCache.clear();
  tableCache.set(key, t);
  return t;
}

function interpolate(t: ChannelTable, a: number, which: 'm' | 'psi'): number {
  const y = t[which];
  const y0 = which === 'm' ? t.m0 : 0;
  if (a <= 0) return y0;
  const la = Math.log(a);
  if (la <= t.loga[0]) return y0 + (y[0] - y0) * (a / Math.exp(t.loga[0]));
  const h = t.loga[1] - t.loga[0], n = y.length;
  if (la >= t.loga[n - 1]) return y[n - 1];
  const k = Math.min(n - 2, Math.floor((la - t.loga[0]) / h));
  const u = (la - t.loga[k]) / h;
  const p0 = y[Math.max(k - 1, 0)], p1 = y[k], p2 = y[k + 1], p3 = y[Math.min(k + 2, n - 1)];
  return p1 + 0.5 * u * (p2 - p0 + u * (2 * p0 - 5 * p1 + 4 * p2 - p3 + u * (3 * (p1 - p2) + p3 - p0)));
}

/** The channel as state evolution uses it: closed form (Gaussian), else the table (or the quadrature when `exact`). */
function channelFast(p: FullPrior, a: number, q: QuadratureSettings, exact: boolean): { overlap: number; freeEntropy: number } {
  if (p.kind === 'gaussian' || (p.kind === 'gauss-bernoulli' && p.density === 1) || exact || a === 0) return channel(p, a, q, 'auto');
  const t = channelTable(p, q);
  return { overlap: interpolate(t, a, 'm'), freeEntropy: interpolate(t, a, 'psi') };
}

/** m(a), psi(a) and the MMSE of the scalar channel (closed form for Gaussian priors unless method = 'quadrature'). */
export function scalarChannel(prior: Prior, a: number, options: { quadrature?: QuadratureSettings; method?: 'auto' | 'quadrature' } = {}): ScalarChannel {
  const p = priorsPerMode(prior, 1, 'prior')[0];
  checkNumber('a', a, 0, 1e12);
  const method = checkOneOf('options.method', options.method ?? 'auto', ['auto', 'quadrature']);
  return channel(p, a, options.quadrature ?? {}, method);
}

export interface StateEvolutionOptions {
  /** lambda. */
  snr: number;
  /** One prior or one per mode. */
  priors: Prior | Prior[];
  /** Order p (default 3, or the aspect ratios' length). */
  order?: number;
  /** n_a, normalised here to a geometric mean of 1 (default all 1: a cube). */
  aspectRatios?: number[];
  /** 'random' (M = m(0) + randomOverlap), 'informed' (M = E[x^2]) or the starting overlaps (default 'informed'). */
  init?: 'random' | 'informed' | number[];
  /** Added to m(0) at a random start (default 0; use ~1/sqrt(N) to mimic a finite system). */
  randomOverlap?: number;
  /** Steps at most (default 2000). */
  maxIterations?: number;
  /** Stop when max_a |M_a^{t+1} - M_a^t| < tolerance (default 1e-10). */
  tolerance?: number;
  /** Mix this much of the old M in (default 0). */
  damping?: number;
  quadrature?: QuadratureSettings;
  /** Evaluate m(a) by quadrature at every step instead of the tabulated interpolant (non-Gaussian priors; default false). */
  exactChannel?: boolean;
}

export interface StateEvolutionResult {
  /** overlaps[t][a] = M_a^t (t = 0 the start). */
  overlaps: number[][];
  /** The last M. */
  fixedPoint: number[];
  /** The normalised aspect ratios used. */
  aspectRatios: number[];
  /** Bethe free energy of the last M (meaningful when converged). */
  freeEnergy: number;
  convergence: ConvergenceReport;
}

interface SeSetup { snr: number; priors: FullPrior[]; n: number[]; p: number; q: QuadratureSettings; exact: boolean }

function setupOf(o: { snr: number; priors: Prior | Prior[]; order?: number; aspectRatios?: number[]; quadrature?: QuadratureSettings; exactChannel?: boolean }): SeSetup {
  if (o === null || typeof o !== 'object') throw new ArgumentError('options', 'an options object with snr and priors', o);
  const snr = checkNumber('options.snr', o.snr, 0, 1e9);
  let p: number;
  if (o.aspectRatios !== undefined) {
    if (!Array.isArray(o.aspectRatios) || o.aspectRatios.length < 2) throw new ArgumentError('options.aspectRatios', 'an array of at least 2 positive numbers', o.aspectRatios);
    p = o.aspectRatios.length;
    if (o.order !== undefined && o.order !== p) throw new ArgumentError('options.order', `the aspect ratios' length ${p}`, o.order);
  } else p = checkInteger('options.order', o.order ?? 3, 2, 16);
  const raw = (o.aspectRatios ?? new Array(p).fill(1)).map((v, a) => checkNumber(`options.aspectRatios[${a}]`, v, 1e-6, 1e6));
  const g = Math.exp(raw.reduce((s, v) => s + Math.log(v), 0) / p);
  const n = raw.map((v) => v / g);
  return { snr, priors: priorsPerMode(o.priors, p), n, p, q: o.quadrature ?? {}, exact: o.exactChannel ?? false };
}

function snrsOf(s: SeSetup, M: number[]): number[] {
  return M.map((_, a) => {
    let A = s.snr;
    for (let b = 0; b < s.p; b++) if (b !== a) A *= s.n[b] * M[b];
    return Math.max(A, 0);
  });
}

function freeEnergyOf(s: SeSetup, M: number[]): number {
  const A = snrsOf(s, M);
  let F = 0, prod = s.snr;
  for (let a = 0; a < s.p; a++) { F -= s.n[a] * channelFast(s.priors[a], A[a], s.q, s.exact).freeEntropy; prod *= s.n[a] * M[a]; }
  return F + ((s.p - 1) / 2) * prod;
}

/** Iterates the state-evolution map from a start to a fixed point (rank 1). */
export function stateEvolution(options: StateEvolutionOptions): StateEvolutionResult {
  const s = setupOf(options);
  const maxIterations = checkInteger('options.maxIterations', options.maxIterations ?? 2000, 1);
  const tolerance = checkNumber('options.tolerance', options.tolerance ?? 1e-10, 0);
  const damping = checkNumber('options.damping', options.damping ?? 0, 0, 0.999);
  const eps = checkNumber('options.randomOverlap', options.randomOverlap ?? 0, 0, 1e3);
  const init = options.init ?? 'informed';
  let M: number[];
  if (Array.isArray(init)) {
    if (init.length !== s.p) throw new ArgumentError('options.init', `${s.p} starting overlaps`, init);
    M = init.map((v, a) => checkNumber(`options.init[${a}]`, v, -1e6, 1e6));
  } else {
    checkOneOf('options.init', init, ['random', 'informed']);
    M = s.priors.map((p) => (init === 'informed' ? momentsOf(p).second : channel(p, 0, s.q, 'auto').overlap + eps));
  }
  const overlaps = [M.slice()];
  let change = Infinity, converged = false;
  const cache = new Map<string, number>();
  for (let t = 0; t < maxIterations; t++) {
    const A = snrsOf(s, M);
    const next = A.map((a, k) => {
      const key = `${k === 0 || s.priors[k] !== s.priors[0] ? k : 0}:${a}`;
      let v = cache.get(key);
      if (v === undefined) { v = channelFast(s.priors[k], a, s.q, s.exact).overlap; if (cache.size > 4096) cache.clear(); cache.set(key, v); }
      return (1 - damping) * v + damping * M[k];
    });
    change = Math.max(...next.map((v, k) => Math.abs(v - M[k])));
    M = next;
    overlaps.push(M.slice());
    if (change < tolerance) { converged = true; break; }
  }
  return {
    overlaps, fixedPoint: M, aspectRatios: s.n, freeEnergy: freeEnergyOf(s, M),
    convergence: convergenceReport(overlaps.length - 1, change, tolerance, 'largest change of an overlap in the last step', converged),
  };
}

/** The Bethe free energy F(M) of overlaps M (rank 1; see the header). */
export function betheFreeEnergy(options: { snr: number; priors: Prior | Prior[]; order?: number; aspectRatios?: number[]; quadrature?: QuadratureSettings; exactChannel?: boolean }, overlaps: number[]): number {
  const s = setupOf(options);
  if (!Array.isArray(overlaps) || overlaps.length !== s.p) throw new ArgumentError('overlaps', `${s.p} overlaps (one per mode)`, overlaps);
  overlaps.forEach((v, a) => checkNumber(`overlaps[${a}]`, v, -1e6, 1e6));
  return freeEnergyOf(s, overlaps);
}

export type Phase = 'easy' | 'hard' | 'impossible';

export interface PhasePoint {
  snr: number;
  phase: Phase;
  /** Fixed points (per mode) reached from the random and the informed start, and their free energies. */
  random: number[];
  informed: number[];
  randomFreeEnergy: number;
  informedFreeEnergy: number;
  /** Both runs converged. */
  converged: boolean;
}

export interface PhaseOptions {
  priors: Prior | Prior[];
  order?: number;
  aspectRatios?: number[];
  randomOverlap?: number;
  maxIterations?: number;
  tolerance?: number;
  quadrature?: QuadratureSettings;
  exactChannel?: boolean;
}

/** Both branches of state evolution at one SNR and the phase they imply. */
export function phasePoint(snr: number, options: PhaseOptions): PhasePoint {
  checkNumber('snr', snr, 0, 1e9);
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with priors', options);
  const base = { ...options, snr, tolerance: options.tolerance ?? 1e-9, maxIterations: options.maxIterations ?? 5000 };
  const rnd = stateEvolution({ ...base, init: 'random' });
  const inf = stateEvolution({ ...base, init: 'informed' });
  const s = setupOf({ ...options, snr });
  const m0 = s.priors.map((p) => channel(p, 0, s.q, 'auto').overlap);
  const scale = s.priors.map((p) => momentsOf(p).second);
  const gap = 1e-3;
  // informative: half-way or more from the prior-mean overlap m(0) to perfect recovery E[x^2] in some mode
  const informative = (M: number[]) => M.some((v, a) => v - m0[a] > 0.5 * (scale[a] - m0[a]));
  const same = rnd.fixedPoint.every((v, a) => Math.abs(v - inf.fixedPoint[a]) <= gap * scale[a]);
  let phase: Phase;
  if (same) phase = informative(inf.fixedPoint) ? 'easy' : 'impossible';
  else phase = informative(inf.fixedPoint) && inf.freeEnergy < rnd.freeEnergy ? 'hard' : 'impossible';
  return {
    snr, phase, random: rnd.fixedPoint, informed: inf.fixedPoint, randomFreeEnergy: rnd.freeEnergy, informedFreeEnergy: inf.freeEnergy,
    converged: rnd.convergence.converged && inf.convergence.converged,
  };
}

export interface PhaseThresholds {
  /** Lowest lambda at which the informed start ends on an informative fixed point (null: none below snrMax). */
  spinodal: number | null;
  /** Lowest lambda at which the informative fixed point has the lower free energy (hard or easy). */
  informationTheoretic: number | null;
  /** Lowest lambda at which a random start recovers (easy). */
  algorithmic: number | null;
}

/** Bisects the three thresholds on [snrMin, snrMax] (defaults 0.01 and 100) to a relative width of `relativeTolerance` (1e-4). */
export function phaseThresholds(options: PhaseOptions & { snrMin?: number; snrMax?: number; relativeTolerance?: number }): PhaseThresholds {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with priors', options);
  const lo0 = checkNumber('options.snrMin', options.snrMin ?? 0.01, 0, 1e9);
  const hi0 = checkNumber('options.snrMax', options.snrMax ?? 100, lo0, 1e9);
  const rel = checkNumber('options.relativeTolerance', options.relativeTolerance ?? 1e-4, 1e-12, 1);
  const s = setupOf({ ...options, snr: 1 });
  const m0 = s.priors.map((p) => channel(p, 0, s.q, 'auto').overlap);
  const scale = s.priors.map((p) => momentsOf(p).second);
  const base = { ...options, tolerance: options.tolerance ?? 1e-9, maxIterations: options.maxIterations ?? 5000 };
  const tests: ((l: number) => boolean)[] = [
    (l) => stateEvolution({ ...base, snr: l, init: 'informed' }).fixedPoint.some((v, a) => v - m0[a] > 1e-3 * scale[a]),
    (l) => phasePoint(l, options).phase !== 'impossible',
    (l) => phasePoint(l, options).phase === 'easy',
  ];
  const [spinodal, informationTheoretic, algorithmic] = tests.map((test) => {
    if (!test(hi0)) return null;
    if (test(lo0)) return lo0;
    let lo = lo0, hi = hi0;
    while (hi - lo > rel * hi) {
      const mid = 0.5 * (lo + hi);
      if (test(mid)) hi = mid; else lo = mid;
    }
    return 0.5 * (lo + hi);
  });
  return { spinodal, informationTheoretic, algorithmic };
}
