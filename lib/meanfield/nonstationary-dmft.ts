/**
 * Non-stationary dynamical mean-field theory of the driven balanced rate network (Engelken, Ingrosso, Khajeh,
 * Goedeke & Abbott 2022; the model of lib/circuits' BalancedNetwork, 'gaussian'):
 *
 *   h_i(n+1) = (1 - dt) h_i(n) + dt [ sum_j J_ij phi(h_j(n)) + sqrt(K) I0 + I1 sin(omega t_n + theta_i) ],
 *   J_ij = -J0 sqrt(K) / N + g z_ij / sqrt(N),   omega = 2 pi f,   t_n = n dt.
 *
 * It is the exact mean-field theory of the Euler map with step dt (the map the simulation integrates), so
 * dt -> 0 gives the flow. Each neuron of phase theta has a deterministic mean mu_theta(n) and a Gaussian
 * fluctuation y(n) driven by the field eta of the disordered couplings, <eta(n) eta(m)> = g^2 Q(n, m):
 *
 *   mu_theta(n+1) = (1 - dt) mu_theta(n) + dt [ sqrt(K) (I0 - J0 nu(n)) + I1 sin(omega t_n + theta) ],
 *   nu(n)         = < E[phi(h_theta(n))] >_theta                      (the population rate)
 *   Q(n, m)       = < E[phi(h_theta(n)) phi(h_theta(m))] >_theta      (uncentred: the mean rates feed the noise)
 *   y(n+1)        = (1 - dt) y(n) + dt eta(n).
 *
 * With c(n, m) = <y(n) y(m)> and R(m, n) = <y(m) eta(n)> (the response of the earlier y to the later field;
 * y(m) depends on eta(k), k < m, only):
 *
 *   R(m+1, n)  = (1 - dt) R(m, n) + dt g^2 Q(m, n)          (forward in m from R = 0 at the band's start)
 *   c(n+1, m)  = (1 - dt) c(n, m) + dt R(m, n)              m <= n
 *   c(n+1,n+1) = (1 - dt) c(n+1, n) + dt R(n+1, n)          = (1-dt)^2 c(n,n) + 2 dt (1-dt) R(n,n) + dt^2 g^2 Q(n,n)
 *
 * so a step needs only the current row c(n, n - B .. n) (banded storage: B = `band` lags, older correlations
 * are taken as 0), the diagonal and the means over the band; Q(m, n) is a pair average over a bivariate
 * Gaussian of variances c(m, m), c(n, n), covariance c(n, m) and means mu(m), mu(n). At a stationary state
 * the recursion reduces to the map's lag equation (1 + b^2) D_k - b (D_{k+1} + D_{k-1}) = dt^2 g^2 C(D_k),
 * b = 1 - dt, which lib/meanfield's stationaryDmft solves.
 *
 * Largest Lyapunov exponent (the anchor's method, RainerEngelken/NonstationaryDynamicMeanFieldTheory): a
 * tangent vector v(n+1) = (1 - dt) v(n) + dt xi(n), <xi(n) xi(m)> = g^2 E[phi'(h(n)) phi'(h(m))] k(n, m), so
 * its correlation k obeys the same recursion with kernel g^2 <E[phi' phi']>_theta k(n, m); k starts at
 * k(s, s) = 1 at step s (default steps / 2), zero before; the row is renormalised every step and
 * lambda_1 = the growth rate of (1/2) log k(n, n) over the last quarter: with input, its growth over a whole number
 * of input periods (exact for a line plus a periodic part; a least-squares slope over one or two periods is not:
 * it was 0.113 against the true 0.078 at f = 0.05 before session 7), without input the least-squares slope. The tangent's mean (common) part is left out, as in the anchor:
 * the O(sqrt K) feedback damps it.
 *
 * Common input: one phase (theta = 0). Independent input (the per-phase variant, not in the anchor): P phases
 * theta_p = 2 pi p / P, each with its own mean; nu, Q and the tangent kernel are averages over the P phases
 * (the trapezoid rule in theta, exact for harmonics below P).
 *
 * Pair averages. ReLU (any means): with x_k = mu_k / sqrt(c_k), rho = c_nm / sqrt(c_n c_m), s = sqrt(1 - rho^2),
 * the truncated bivariate-normal moments (Rosenbaum 1961):
 *   E[phi' phi'] = L = Phi_2(x_n, x_m; rho)
 *                = Phi(x_n) Phi(x_m) + (1/2 pi) int_0^asin(rho) exp(-(x_n^2 - 2 x_n x_m sin t + x_m^2) / (2 cos^2 t)) dt
 *   E[phi phi]   = sqrt(c_n c_m) [ (x_n x_m + rho) L + x_n varphi(x_m) Phi((x_n - rho x_m)/s)
 *                  + x_m varphi(x_n) Phi((x_m - rho x_n)/s) + s varphi(0) varphi(sqrt(x_n^2 - 2 rho x_n x_m + x_m^2) / s) ]
 * (Plackett's identity with r = sin t: a smooth integrand up to rho = 1, by Gauss-Legendre, `nodes` points; the
 * anchor integrates a one-dimensional form by QuadGK at tolerance 1e-2); the one-point averages
 * E[phi] = sqrt(c) G1(x), E[phi^2] = c G2(x), E[phi'] = Phi(x), G1 = x Phi + varphi, G2 = (1 + x^2) Phi + x varphi.
 * Phi uses an erfc approximation of relative error < 1.2e-7 (Numerical Recipes' erfcc). erf (zero means only:
 * J0 = I0 = I1 = 0): the closed forms of lib/meanfield's closedFormPairAverage.
 *
 * Cost: steps x (B + 1) x P pair averages (times 2 with the tangent). The mean mode is stiff (multiplier
 * 1 - dt (1 + sqrt(K) J0 <phi'>)); the Euler mean step is checked against it, and a linearly implicit mean step
 * (the leak and the linearised feedback at n + 1, a Rosenbrock-Euler step; the anchor uses Rosenbrock23) serves
 * large K at the price of no longer being the simulated map's mean exactly.
 *
 * Exports: NonstationaryDmftOptions, NonstationaryDmft, nonstationaryDmft, reluMoments, reluPairAverages.
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, checkPositive, throwIfInterrupted } from '../core';
import { closedFormPairAverage } from './gaussian';

export interface NonstationaryDmftOptions {
  /** Disorder g. */
  g: number;
  /** 'relu' (default) or 'erf' (zero mean only). */
  nonlinearity?: 'relu' | 'erf';
  /** Tightness sqrt(K) of the mean coupling and drive (default 5000, the paper's N; 0 with J0 = I0 = 0 gives no mean). */
  K?: number;
  J0?: number;
  I0?: number;
  /** Input amplitude I1 (default 0), frequency f (default 0.2). */
  amplitude?: number;
  frequency?: number;
  /** 'common' (default) or 'independent' (phase-averaged, P = `phaseCount` phases, default 16). */
  phases?: 'common' | 'independent';
  phaseCount?: number;
  /** Euler step (default 2^-4), steps (default 2^13), band in steps (default 2^9): the anchor's defaults. */
  dt?: number;
  steps?: number;
  band?: number;
  /** Compute lambda_1 (default true), seeding the tangent at `lyapunovStart` (default steps / 2). */
  lyapunov?: boolean;
  lyapunovStart?: number;
  /** Initial variance c(0, 0) (default 1) and mean (default: the mean at which nu = I0 / J0 at that variance). */
  initialVariance?: number;
  initialMean?: number;
  /** Gauss-Legendre nodes of the ReLU orthant integral (default 16). */
  nodes?: number;
  /**
   * The mean's step: 'euler' (default; the simulated map exactly, stable while dt (1 + sqrt(K) J0 <phi'>) < 2, checked)
   * or 'linearly-implicit' (the leak and the linearised O(sqrt K) feedback taken at n + 1: stable at any K).
   */
  meanScheme?: 'euler' | 'linearly-implicit';
  /** Keep every `recordEvery`-th step of the time series (default 1). */
  recordEvery?: number;
}

export interface NonstationaryDmft {
  g: number;
  dt: number;
  steps: number;
  band: number;
  phases: 'common' | 'independent';
  phaseCount: number;
  /** Recorded times t_n and, at each: the mean of phase 0, the variance c(n, n), the population rate nu(n). */
  times: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  rate: Float64Array;
  /** The last row: c(n_end, n_end - k), k = 0..band (lags k dt). */
  lags: Float64Array;
  autocovariance: Float64Array;
  /** lambda_1 (NaN without the tangent), and the fit window's start time. */
  lyapunov: number;
  fitStart: number;
  /** How lambda_1 was read off (1/2) log k(n, n): its growth over whole input periods, a least-squares slope (no input, or no period fits), or 'none'. */
  lyapunovFit: 'whole-periods' | 'least-squares' | 'none';
  /** (1/2) log k(n, n) at the recorded steps from the seed on (empty without the tangent), and their times. */
  halfLogTangent: Float64Array;
  tangentTimes: Float64Array;
}

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erfc(x), relative error < 1.2e-7 (Chebyshev fit of Numerical Recipes, erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
/** Standard normal CDF. */
const normCdf = (x: number) => 0.5 * erfc(-x * SQRT_HALF);
const normPdf = (x: number) => INV_SQRT_2PI * Math.exp(-0.5 * x * x);

/** E[phi], E[phi^2], E[phi'] of ReLU at mean mu and variance c (closed forms). */
export function reluMoments(mu: number, c: number): { phi: number; phi2: number; dphi: number } {
  checkNumber('mu', mu);
  checkNumber('c', c, 0);
  if (c === 0) return { phi: Math.max(mu, 0), phi2: mu > 0 ? mu * mu : 0, dphi: mu > 0 ? 1 : 0 };
  const s = Math.sqrt(c), x = mu / s, P = normCdf(x), p = normPdf(x);
  return { phi: s * (x * P + p), phi2: c * ((1 + x * x) * P + x * p), dphi: P };
}

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton on the Legendre recurrence). */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5)), dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = t;
      for (let k = 2; k <= n; k++) { const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
      dp = (n * (t * p1 - p0)) / (t * t - 1);
      const dt = p1 / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-16) break;
    }
    x[i] = t;
    w[i] = 2 / ((1 - t * t) * dp * dp);
  }
  return { x, w };
}

/** Pair averages of ReLU for (h1, h2) Gaussian with means mu1, mu2, variances c1, c2, covariance c12. */
class ReluPair {
  private readonly gl: { x: Float64Array; w: Float64Array };
  constructor(nodes: number) { this.gl = gaussLegendre(nodes); }

  /** out = [E[phi(h1) phi(h2)], E[phi'(h1) phi'(h2)]] (see the file header). */
  eval(mu1: number, c1: number, mu2: number, c2: number, c12: number, out: Float64Array): void {
    const s1 = Math.sqrt(c1), s2 = Math.sqrt(c2), x1 = mu1 / s1, x2 = mu2 / s2;
    let rho = c12 / (s1 * s2);
    rho = rho > 1 ? 1 : rho < -1 ? -1 : rho;
    const s = Math.sqrt(Math.max(0, 1 - rho * rho));
    const L = this.orthant(x1, x2, rho);
    let A: number, B: number, C: number;
    if (s < 1e-12) {
      // rho = +-1: the conditional laws are points
      A = x1 - rho * x2 > 0 ? 1 : x1 - rho * x2 < 0 ? 0 : 0.5;
      B = x2 - rho * x1 > 0 ? 1 : x2 - rho * x1 < 0 ? 0 : 0.5;
      C = 0;
    } else {
      A = normCdf((x1 - rho * x2) / s);
      B = normCdf((x2 - rho * x1) / s);
      C = (s * INV_SQRT_2PI) * normPdf(Math.sqrt(Math.max(0, x1 * x1 - 2 * rho * x1 * x2 + x2 * x2)) / s);
    }
    out[0] = s1 * s2 * ((x1 * x2 + rho) * L + x1 * normPdf(x2) * A + x2 * normPdf(x1) * B + C);
    out[1] = L;
  }

  /**
   * P(h1 > 0, h2 > 0) = Phi_2(x1, x2; rho) by Plackett's identity with r = sin(t):
   * Phi(x1) Phi(x2) + (1 / 2 pi) int_0^asin(rho) exp(-(x1^2 - 2 x1 x2 sin t + x2^2) / (2 cos^2 t)) dt,
   * whose integrand stays smooth as rho -> 1 (where the z-integral of the step is not).
   */
  private orthant(x1: number, x2: number, rho: number): number {
    const { x, w } = this.gl, top = Math.asin(rho), half = 0.5 * top;
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const t = half * (1 + x[i]), st = Math.sin(t), ct = Math.cos(t);
      sum += w[i] * Math.exp(-(x1 * x1 - 2 * x1 * x2 * st + x2 * x2) / (2 * ct * ct));
    }
    return normCdf(x1) * normCdf(x2) + (half * sum) / (2 * Math.PI);
  }

}

/**
 * E[phi(h1) phi(h2)] and E[phi'(h1) phi'(h2)] of ReLU, (h1, h2) Gaussian with means mu1, mu2, variances c1, c2
 * and covariance c12 (closed forms around Plackett's integral, Gauss-Legendre with `nodes` points; see the file header).
 */
export function reluPairAverages(mu1: number, c1: number, mu2: number, c2: number, c12: number, nodes = 16): { phi: number; dphi: number } {
  for (const [n, v] of [['mu1', mu1], ['mu2', mu2], ['c12', c12]] as const) checkNumber(n, v);
  checkPositive('c1', c1);
  checkPositive('c2', c2);
  if (Math.abs(c12) > Math.sqrt(c1 * c2) * (1 + 1e-12)) throw new ArgumentError('c12', `a covariance with |c12| <= sqrt(c1 c2) = ${Math.sqrt(c1 * c2)}`, c12);
  const out = new Float64Array(2);
  new ReluPair(checkInteger('nodes', nodes, 2, 1000)).eval(mu1, c1, mu2, c2, c12, out);
  return { phi: out[0], dphi: out[1] };
}

/** Solves the two-time DMFT forward in time (see the file header). */
export function nonstationaryDmft(options: NonstationaryDmftOptions): NonstationaryDmft {
  const g = checkNumber('g', options?.g, 0);
  const name = checkOneOf('nonlinearity', options.nonlinearity ?? 'relu', ['relu', 'erf']);
  const K = checkNumber('K', options.K ?? 5000, 0);
  const J0 = checkNumber('J0', options.J0 ?? 1, 0), I0 = checkNumber('I0', options.I0 ?? 1);
  const I1 = checkNumber('amplitude', options.amplitude ?? 0, 0), f = checkNumber('frequency', options.frequency ?? 0.2, 0);
  const phases = checkOneOf('phases', options.phases ?? 'common', ['common', 'independent']);
  const P = phases === 'common' ? 1 : checkInteger('phaseCount', options.phaseCount ?? 16, 2, 4096);
  const dt = checkNumber('dt', options.dt ?? 2 ** -4, Number.MIN_VALUE, 1);
  const steps = checkInteger('steps', options.steps ?? 2 ** 13, 2, 1e8);
  const B = checkInteger('band', options.band ?? 2 ** 9, 1, 1e6);
  const withTangent = options.lyapunov ?? true;
  const seedStep = checkInteger('lyapunovStart', options.lyapunovStart ?? Math.floor(steps / 2), 0, steps - 2);
  const every = checkInteger('recordEvery', options.recordEvery ?? 1, 1);
  const sK = Math.sqrt(K);
  if (name === 'erf' && ((J0 !== 0 && K !== 0) || (I0 !== 0 && K !== 0) || I1 !== 0)) {
    throw new ArgumentError('nonlinearity', "'relu' when there is a mean input (erf is solved for zero means only: K = 0 or J0 = I0 = 0, and no amplitude)", name);
  }
  const meanScheme = checkOneOf('meanScheme', options.meanScheme ?? 'euler', ['euler', 'linearly-implicit']);
  const pair = name === 'relu' ? new ReluPair(checkInteger('nodes', options.nodes ?? 16, 2, 1000)) : null;
  const c0 = checkPositive('initialVariance', options.initialVariance ?? 1);
  let mu0 = 0;
  if (options.initialMean !== undefined) mu0 = checkNumber('initialMean', options.initialMean);
  else if (name === 'relu' && J0 > 0 && I0 > 0) {
    // nu(mu) = I0 / J0 at variance c0 (nu increases with mu): bisection
    let lo = -50 * Math.sqrt(c0) - I0 / J0, hi = 50 * Math.sqrt(c0) + I0 / J0;
    for (let it = 0; it < 200; it++) { const m = 0.5 * (lo + hi); if (reluMoments(m, c0).phi < I0 / J0) lo = m; else hi = m; }
    mu0 = 0.5 * (lo + hi);
  }
  const omega = 2 * Math.PI * f;
  const theta = Float64Array.from({ length: P }, (_, p) => (2 * Math.PI * p) / P);

  // ring buffers over the band: slot of time m is m % W
  const W = B + 1;
  const diag = new Float64Array(W), mean = new Float64Array(W * P), row = new Float64Array(W), krow = new Float64Array(W);
  const R = new Float64Array(B + 2), L = new Float64Array(B + 2), Q = new Float64Array(B + 1), Qd = new Float64Array(B + 1);
  const out = new Float64Array(2), gain = new Float64Array(P);
  diag[0] = c0;
  row[0] = c0;
  for (let p = 0; p < P; p++) mean[p] = mu0;
  const nRec = Math.floor((steps - 1) / every) + 1;
  const times = new Float64Array(nRec), meanRec = new Float64Array(nRec), varRec = new Float64Array(nRec), rateRec = new Float64Array(nRec);
  const logTangent = new Float64Array(steps).fill(NaN);
  let logScale = 0;
  const b = 1 - dt, g2 = g * g;

  for (let n = 0; n < steps; n++) {
    if ((n & 63) === 0) throwIfInterrupted('nonstationaryDmft', () => `at step ${n} of ${steps}`, () => ({}));
    const sn = n % W, cn = diag[sn], lo = Math.max(0, n - B);
    // population rate at n
    let nu = 0, slope = 0;
    if (name === 'relu') {
      for (let p = 0; p < P; p++) { const o = reluMoments(mean[sn * P + p], cn); nu += o.phi; slope += o.dphi; gain[p] = o.dphi; }
      nu /= P;
      slope /= P;
    }
    if (meanScheme === 'euler' && dt * (1 + sK * J0 * slope) >= 2) {
      throw new ArgumentError('dt', `a step with dt (1 + sqrt(K) J0 <phi'>) < 2, here < ${2 / (1 + sK * J0 * slope)} (the stiff mean mode; or meanScheme 'linearly-implicit')`, dt);
    }
    if (n % every === 0) {
      const k = n / every;
      times[k] = n * dt; meanRec[k] = mean[sn * P]; varRec[k] = cn; rateRec[k] = nu;
    }
    if (n === steps - 1) break;
    const tangent = withTangent && n >= seedStep;
    if (tangent && n === seedStep) { krow.fill(0); krow[sn] = 1; logScale = 0; logTangent[n] = 0; }
    // kernels Q(m, n), Qd(m, n) for m = lo..n
    for (let m = lo; m <= n; m++) {
      const sm = m % W, cm = diag[sm], cnm = row[sm];
      let q = 0, qd = 0;
      if (name === 'erf') {
        q = closedFormPairAverage('erf', 'phi', cn, cm, m === n ? cn : cnm);
        if (tangent) qd = closedFormPairAverage('erf', 'dphi', cn, cm, m === n ? cn : cnm);
      } else {
        for (let p = 0; p < P; p++) {
          const mun = mean[sn * P + p], mum = mean[sm * P + p];
          if (m === n) {
            const o = reluMoments(mun, cn);
            q += o.phi2;
            qd += o.dphi;
          } else {
            pair!.eval(mun, cn, mum, cm, cnm, out);
            q += out[0];
            qd += out[1];
          }
        }
        q /= P;
        qd /= P;
      }
      Q[m - lo] = q;
      Qd[m - lo] = qd;
    }
    // responses R(m, n), m = lo..n+1, from R(lo, n) = 0
    R[0] = 0;
    L[0] = 0;
    for (let m = lo; m <= n; m++) {
      R[m - lo + 1] = b * R[m - lo] + dt * g2 * Q[m - lo];
      if (tangent) L[m - lo + 1] = b * L[m - lo] + dt * g2 * Qd[m - lo] * krow[m % W];
    }
    // new row c(n+1, m), m = lo..n (the slot of m = n - B is reused for n + 1 below)
    for (let m = lo; m <= n; m++) {
      const sm = m % W;
      row[sm] = b * row[sm] + dt * R[m - lo];
      if (tangent) krow[sm] = b * krow[sm] + dt * L[m - lo];
    }
    const s1 = (n + 1) % W;
    const cNext = b * row[sn] + dt * R[n - lo + 1];
    let kNext = 0;
    if (tangent) kNext = b * krow[sn] + dt * L[n - lo + 1];
    row[s1] = cNext;
    diag[s1] = cNext;
    if (!(cNext > 0) || !Number.isFinite(cNext)) throw new ArgumentError('dt', 'a step and band giving a positive, finite variance', dt);
    // means at n + 1
    const drive = sK * (I0 - J0 * nu);
    if (meanScheme === 'euler') {
      for (let p = 0; p < P; p++) mean[s1 * P + p] = b * mean[sn * P + p] + dt * (drive + I1 * Math.sin(omega * n * dt + theta[p]));
    } else {
      // nu at n+1 linearised, nu + <phi'_p d_p>, the leak and the feedback implicit:
      // d_p = e (F_p - sqrt(K) J0 S), e = dt / (1 + dt), F_p = -mu_p + drive + I1 sin_p, S = <phi'_p d_p> solved first
      const e = dt / (1 + dt);
      let A = 0;
      for (let p = 0; p < P; p++) A += gain[p] * (-mean[sn * P + p] + drive + I1 * Math.sin(omega * n * dt + theta[p]));
      const S = (e * A / P) / (1 + e * sK * J0 * slope);
      for (let p = 0; p < P; p++) {
        const mu = mean[sn * P + p];
        mean[s1 * P + p] = mu + e * (-mu + drive + I1 * Math.sin(omega * n * dt + theta[p]) - sK * J0 * S);
      }
    }
    if (tangent) {
      krow[s1] = kNext;
      if (!(kNext > 0) || !Number.isFinite(kNext)) throw new ArgumentError('steps', 'a run whose tangent correlation stays positive and finite', steps);
      for (let m = Math.max(0, n + 1 - B); m <= n + 1; m++) krow[m % W] /= kNext;
      logScale += Math.log(kNext);
      logTangent[n + 1] = logScale;
    }
  }

  // autocovariance: the last row
  const nEnd = steps - 1, autocovariance = new Float64Array(B + 1), lags = new Float64Array(B + 1);
  for (let k = 0; k <= B; k++) { lags[k] = k * dt; autocovariance[k] = nEnd - k >= 0 ? row[(nEnd - k) % W] : NaN; }

  let lyapunov = NaN, fitStart = NaN;
  let lyapunovFit: NonstationaryDmft['lyapunovFit'] = 'none';
  const tangentIndices: number[] = [];
  if (withTangent) for (let n = 0; n < steps; n += every) if (n >= seedStep) tangentIndices.push(n);
  const halfLogTangent = Float64Array.from(tangentIndices, (n) => 0.5 * logTangent[n]);
  const tangentTimes = Float64Array.from(tangentIndices, (n) => n * dt);
  if (withTangent) {
    // Window: the last quarter of the steps (at least the seeded part). With input, (1/2) log k(n, n) is a line plus
    // a periodic part of the input's period; a least-squares slope over few periods is biased by that part (by
    // 6 A / (pi T) for a sinusoid of amplitude A over one period T: 0.035 of 0.078 at f = 0.05, N = 1000, I1 = 0.75
    // sqrt N), while the growth over a whole number of periods is exact. So with f > 0: the growth over the most
    // whole periods that fit the window (one period reaching back at most to half-way from the seed to the end when
    // none fits), the start interpolated between steps (the period need not be a whole number of steps).
    // Without input, or when no period fits, the least-squares slope over the window.
    const first = Math.max(seedStep + 1, Math.floor((3 * steps) / 4));
    const period = f > 0 && I1 > 0 ? 1 / (f * dt) : Infinity;
    // (the window may start one step before `first`: a run of 4 whole periods then fits its last one; still >= seedStep)
    let periods = Math.floor((nEnd - first + 1) / period);
    if (periods < 1 && period <= (nEnd - seedStep) / 2) periods = 1;
    if (periods >= 1) {
      const start = nEnd - periods * period, i0 = Math.floor(start), w = start - i0;
      const y0 = 0.5 * ((1 - w) * logTangent[i0] + (w > 0 ? w * logTangent[i0 + 1] : 0));
      lyapunov = (0.5 * logTangent[nEnd] - y0) / (periods * period * dt);
      fitStart = start * dt;
      lyapunovFit = 'whole-periods';
    } else {
      let st = 0, sy = 0, stt = 0, sty = 0, cnt = 0;
      for (let n = first; n <= nEnd; n++) { const t = n * dt, y = 0.5 * logTangent[n]; st += t; sy += y; stt += t * t; sty += t * y; cnt++; }
      lyapunov = (cnt * sty - st * sy) / (cnt * stt - st * st);
      fitStart = first * dt;
      lyapunovFit = 'least-squares';
    }
  }
  return {
    g, dt, steps, band: B, phases, phaseCount: P, times, mean: meanRec, variance: varRec, rate: rateRec, lags, autocovariance,
    lyapunov, fitStart, lyapunovFit, halfLogTangent, tangentTimes,
  };
}
