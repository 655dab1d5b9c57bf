/**
 * Mean-field theory of the balanced predictive-coding network of
 * lib/circuits/predictive-coding.ts (Kadmon, Timcheck & Ganguli 2020,
 * arXiv:2006.14178; the paper's Eq. 6 could not be read, so this is the theory
 * of the reconstructed model, derived here):
 *
 *   dh_i/dt = -h_i + b w_i (x - xhat(t - d)) + g (J0 phi(h))_i + sigma xi_i,   xhat = (1/N) sum_j w_j phi(h_j),  w_j = +-1
 *
 * Bias. At large N xhat is self-averaging; with w = +-1 and odd phi every unit
 * is equivalent to one with w = +1 and input m + u(t), m = b e, e = x - <xhat>,
 * u a stationary Gaussian of variance Delta0 (sigma^2 / 2 from the noise, the
 * DMFT's Delta(0) from the disorder). So e solves the one-dimensional equation
 *
 *   x - e = E_z[ phi(b e + sqrt(Delta0) z) ]                      (strictly monotone in e: bisection)
 *
 * and e = O(1/b) at large b: the transfer curve <xhat>(x) tends to the identity.
 *
 * Fluctuations. xhat = <xhat> + xi(t) + (feedback), xi = (1/N) sum_i w_i (phi(h_i) - <phi>) the open-loop
 * rate fluctuations (variance O(1/N); cross-unit covariances along the random w are of lower order).
 * The feedback enters every unit along w through the leak filter 1/(1 + i omega) and the delay; linearised
 * with the mean slope beta = E[phi'(m + sqrt(Delta0) z)] (loop gain a = b beta):
 *
 *   dxhat(omega) = xi(omega) / (1 + a e^{-i omega d} / (1 + i omega))
 *   var xhat     = (1/N) int d omega / 2 pi  S(omega) |1 + i omega|^2 / |1 + i omega + a e^{-i omega d}|^2
 *
 * S is the spectrum of one unit's rate phi(m + u(t)):
 *   noise (g = 0): u is an Ornstein-Uhlenbeck process, corr e^{-|tau|}; Mehler's expansion gives
 *                  C(tau) = sum_{k>=1} c_k e^{-k|tau|}, c_k = E[phi(m + sqrt(Delta0) z) He_k(z)]^2 / k!,
 *                  S = sum_k c_k 2k / (k^2 + omega^2); at d = 0 each term integrates in closed form:
 *                  var = (1/N) sum_k c_k (1 + k A) / (A (k + A)),  A = 1 + a
 *                  (so var ~ (sum_k k c_k) / (N b beta): variance suppressed as 1/b, s.d. as 1/sqrt(N b));
 *   chaos (sigma = 0, g > 1): C(tau) is the stationary DMFT's phi autocovariance (lib/meanfield/dmft.ts)
 *                  computed at m = 0 -- an approximation: the mean input b e (about 0.3 at x = 0.2) is
 *                  left out of the chaotic statistics -- and S its Fourier transform (FFT on the lag grid).
 *                  Slow chaotic fluctuations are suppressed as 1/b in s.d. once a exceeds their bandwidth.
 * Other combinations (noise with disorder) are refused.
 *
 * Delay. The loop's characteristic equation s + 1 + a e^{-s d} = 0 has roots crossing the imaginary axis
 * at a_c = sqrt(1 + omega_c^2), omega_c the root of tan(omega d) = -omega in (pi/(2d), pi/d) (a_c ~ pi/(2d)
 * for small d): beyond it the decoder oscillates (variance Infinity here). The error
 * rmse^2 = e^2 + var xhat falls with b (bias ~ 1/b) until the delayed loop's resonance grows: `optimalBalance`.
 *
 * Exports: PredictiveCodingMeanFieldOptions, PredictiveCodingMeanField, predictiveCodingMeanField,
 * DecoderFluctuations, decoderFluctuations, criticalLoopGain, optimalBalance.
 */
import { ArgumentError, checkInteger, checkNumber, checkPositive } from '../core';
import { NonlinearityName, nonlinearity } from '../circuits';
import { StationaryDmft, stationaryDmft } from './dmft';
import { evenSpectrum } from './fft';
import { QuadratureOptions, normalGrid } from './gaussian';

export interface PredictiveCodingMeanFieldOptions {
  /** The (constant) input x. */
  x: number;
  /** Balance b >= 0. */
  b: number;
  /** Disorder g (default 0); g > 1 with noise 0 is the chaotic case. */
  g?: number;
  /** Private noise sigma (default 0). */
  noise?: number;
  /** Odd phi (default 'tanh'). */
  nonlinearity?: NonlinearityName;
  /** A solved DMFT at this g to reuse (default: solved here). */
  dmft?: StationaryDmft;
  /** Hermite terms of the noise case's rate autocovariance (default 40). */
  terms?: number;
  quadrature?: QuadratureOptions;
}

export interface PredictiveCodingMeanField {
  x: number;
  b: number;
  g: number;
  noise: number;
  nonlinearity: NonlinearityName;
  source: 'none' | 'noise' | 'chaos';
  /** e = x - <xhat> (the decoder's bias). */
  error: number;
  /** <xhat> = x - e. */
  xhatMean: number;
  /** A unit's mean input m = b e (w = +1). */
  meanInput: number;
  /** Variance Delta0 of a unit's fluctuating input u. */
  inputVariance: number;
  /** beta = E[phi'(m + u)], and the loop gain a = b beta. */
  slope: number;
  loopGain: number;
  /** Var phi(m + u): one unit's rate variance (the open-loop variance of xhat is this / N). */
  rateVariance: number;
  /** Noise case: c_k, k = 1..terms (index k - 1). */
  hermite: Float64Array | null;
  /** Chaos case: the rate autocovariance on its lag grid. */
  lags: Float64Array | null;
  rateAutocovariance: Float64Array | null;
}

/** One-point averages at mean m and variance q on the quadrature grid. */
function averages(f: ReturnType<typeof nonlinearity>, m: number, q: number, grid: { z: Float64Array; w: Float64Array }) {
  const s = Math.sqrt(q);
  let p = 0, p2 = 0, d = 0;
  for (let i = 0; i < grid.z.length; i++) {
    const v = m + s * grid.z[i], wt = grid.w[i], phi = f.phi(v);
    p += wt * phi; p2 += wt * phi * phi; d += wt * f.dphi(v);
  }
  return { mean: p, variance: Math.max(0, p2 - p * p), slope: d };
}

/** The bias equation and the statistics of the file header. */
export function predictiveCodingMeanField(o: PredictiveCodingMeanFieldOptions): PredictiveCodingMeanField {
  const x = checkNumber('x', o?.x);
  const b = checkNumber('b', o.b, 0);
  const g = checkNumber('g', o.g ?? 0, 0);
  const sigma = checkNumber('noise', o.noise ?? 0, 0);
  const name = o.nonlinearity ?? 'tanh';
  const f = nonlinearity(name);
  if (!f.odd) throw new ArgumentError('nonlinearity', 'an odd nonlinearity (tanh, erf)', name);
  const terms = checkInteger('terms', o.terms ?? 40, 1, 200);
  if (g > 0 && sigma > 0) throw new ArgumentError('g', 'g = 0 with noise, or noise = 0 with g > 1 (noise and disorder together are not covered)', g);
  if (g > 0 && g <= 1) throw new ArgumentError('g', 'g > 1 (chaos) or g = 0 (below 1 the disorder only rescales a quiescent network)', g);
  const grid = normalGrid(o.quadrature);
  let source: PredictiveCodingMeanField['source'] = 'none', q = 0, dmft: StationaryDmft | null = null;
  if (sigma > 0) { source = 'noise'; q = sigma * sigma / 2; }
  if (g > 0) {
    source = 'chaos';
    dmft = o.dmft ?? stationaryDmft({ g, nonlinearity: name });
    if (dmft.g !== g || dmft.nonlinearity !== name || dmft.delta !== null) throw new ArgumentError('dmft', `the flow's DMFT at g = ${g}, ${name}`, `g = ${dmft.g}, ${dmft.nonlinearity}`);
    q = dmft.delta0;
  }
  // x - e - E phi(b e + sqrt(q) z) decreases strictly in e; |phi| <= 1 brackets the root in [x - 1, x + 1]
  const F = (e: number) => x - e - averages(f, b * e, q, grid).mean;
  let lo = x - 1, hi = x + 1;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(x)); it++) {
    const mid = 0.5 * (lo + hi);
    if (F(mid) > 0) lo = mid; else hi = mid;
  }
  const e = 0.5 * (lo + hi), m = b * e;
  const a = averages(f, m, q, grid);
  let hermite: Float64Array | null = null;
  if (source === 'noise') {
    // c_k = E[phi(m + sqrt q z) h_k(z)]^2 with the normalised Hermite polynomials h_k = He_k / sqrt(k!)
    hermite = new Float64Array(terms);
    const s = Math.sqrt(q);
    for (let i = 0; i < grid.z.length; i++) {
      const z = grid.z[i], v = grid.w[i] * f.phi(m + s * z);
      let hPrev = 1, h = z;
      for (let k = 1; k <= terms; k++) {
        hermite[k - 1] += v * h;
        const next = (z * h - Math.sqrt(k) * hPrev) / Math.sqrt(k + 1);
        hPrev = h; h = next;
      }
    }
    for (let k = 0; k < terms; k++) hermite[k] *= hermite[k];
  }
  return {
    x, b, g, noise: sigma, nonlinearity: name, source,
    error: e, xhatMean: x - e, meanInput: m, inputVariance: q,
    slope: a.slope, loopGain: b * a.slope, rateVariance: a.variance,
    hermite,
    lags: dmft ? dmft.lags : null,
    rateAutocovariance: dmft ? dmft.phiAutocovariance : null,
  };
}

/**
 * The loop gain a_c at which s + 1 + a e^{-s d} = 0 first has a root on the imaginary axis
 * (Infinity for d = 0: the undelayed loop is stable at every a >= 0).
 */
export function criticalLoopGain(delay: number): number {
  const d = checkNumber('delay', delay, 0);
  if (d === 0) return Infinity;
  // omega cos(omega d) + sin(omega d) = 0 on (pi/(2d), pi/d): positive at the left end, negative at the right
  let lo = Math.PI / (2 * d), hi = Math.PI / d;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid * Math.cos(mid * d) + Math.sin(mid * d) > 0) lo = mid; else hi = mid;
  }
  const w = 0.5 * (lo + hi);
  return Math.sqrt(1 + w * w);
}

export interface DecoderFluctuations {
  /** var xhat, its square root, the bias e, and sqrt(e^2 + var). */
  variance: number;
  sd: number;
  bias: number;
  rmse: number;
  /** False when the loop gain is at or beyond criticalLoopGain(delay) (then variance = Infinity). */
  stable: boolean;
}

/** |1 + i omega|^2 / |1 + i omega + a e^{-i omega d}|^2: the closed loop's power gain. */
function loopPowerGain(w: number, a: number, d: number): number {
  const re = 1 + a * Math.cos(w * d), im = w - a * Math.sin(w * d);
  return (1 + w * w) / (re * re + im * im);
}

/** The decoder's variance at N units and delay d (file header), with the bias beside it. */
export function decoderFluctuations(mf: PredictiveCodingMeanField, o: { N: number; delay?: number }): DecoderFluctuations {
  if (mf === null || typeof mf !== 'object' || typeof mf.loopGain !== 'number') throw new ArgumentError('mf', 'a predictiveCodingMeanField result', mf);
  const N = checkPositive('N', o?.N);
  // beyond 100 tau the integrand's period 2 pi / d in omega would need millions of nodes
  const d = checkNumber('delay', o.delay ?? 0, 0, 100);
  const a = mf.loopGain, e = mf.error;
  if (d > 0 && a >= criticalLoopGain(d)) return { variance: Infinity, sd: Infinity, bias: e, rmse: Infinity, stable: false };
  let v = 0;
  if (mf.source === 'noise') {
    const c = mf.hermite!;
    if (d === 0) {
      const A = 1 + a;
      for (let k = 1; k <= c.length; k++) v += c[k - 1] * (1 + k * A) / (A * (k + A));
    } else {
      // (1/pi) int_0^Omega S G d omega by Simpson, plus the tail beyond Omega with G ~ 1 (its O(a/omega) part oscillates)
      let K = 0;
      for (let k = 1; k <= c.length; k++) if (c[k - 1] > 1e-14 * mf.rateVariance) K = k;
      const S = (w: number) => { let s = 0; for (let k = 1; k <= K; k++) s += c[k - 1] * 2 * k / (k * k + w * w); return s; };
      const Omega = 50 * (1 + a) + 10 * K;
      let tail = 0;
      for (let k = 1; k <= K; k++) tail += c[k - 1] * 2 * (Math.PI / 2 - Math.atan(Omega / k));
      const step = Math.min(0.02, 2 * Math.PI / (64 * d));
      const n = 2 * Math.ceil(Omega / step / 2), h = Omega / n;
      let sum = 0;
      for (let i = 0; i <= n; i++) {
        const w = i * h, wt = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
        sum += wt * S(w) * loopPowerGain(w, a, d);
      }
      v = (sum * h / 3 + tail) / Math.PI;
    }
  } else if (mf.source === 'chaos') {
    const lags = mf.lags!, C = mf.rateAutocovariance!;
    const h = lags[1] - lags[0], M = C.length - 1;
    let L = 1;
    while (L < Math.max(2 * M, 1 << 16)) L <<= 1;
    const F = evenSpectrum(C, L);
    // S(omega_k) = h F_k at omega_k = 2 pi k / (L h), up to the grid's Nyquist pi / h; trapezoid in omega
    const dw = 2 * Math.PI / (L * h);
    let sum = 0;
    for (let k = 0; k <= L / 2; k++) {
      const wt = k === 0 || k === L / 2 ? 0.5 : 1;
      sum += wt * h * F[k] * loopPowerGain(k * dw, a, d);
    }
    v = sum * dw / Math.PI;
  }
  v /= N;
  return { variance: v, sd: Math.sqrt(v), bias: e, rmse: Math.sqrt(e * e + v), stable: true };
}

/** The b on a log grid in [bMin, bMax] with the least theoretical rmse at N and delay d. */
export function optimalBalance(o: Omit<PredictiveCodingMeanFieldOptions, 'b'> & { N: number; delay: number; bMin?: number; bMax?: number; points?: number }): { b: number; rmse: number; bias: number; sd: number; criticalB: number } {
  const bMin = checkPositive('bMin', o?.bMin ?? 0.1);
  const bMax = checkNumber('bMax', o.bMax ?? 1000, bMin);
  const points = checkInteger('points', o.points ?? 121, 2);
  const N = checkPositive('N', o.N);
  const delay = checkNumber('delay', o.delay, 0, 100);
  const dmft = (o.g ?? 0) > 0 ? (o.dmft ?? stationaryDmft({ g: o.g!, nonlinearity: o.nonlinearity ?? 'tanh' })) : undefined;
  let best = { b: NaN, rmse: Infinity, bias: NaN, sd: NaN };
  let criticalB = Infinity;
  const ac = criticalLoopGain(delay);
  for (let i = 0; i < points; i++) {
    const b = bMin * Math.pow(bMax / bMin, i / (points - 1));
    const mf = predictiveCodingMeanField({ ...o, b, dmft });
    if (mf.loopGain >= ac && criticalB === Infinity) criticalB = b;
    const fl = decoderFluctuations(mf, { N, delay });
    if (fl.rmse < best.rmse) best = { b, rmse: fl.rmse, bias: fl.bias, sd: fl.sd };
  }
  return { ...best, criticalB };
}
