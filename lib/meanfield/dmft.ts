/**
 * Stationary dynamical mean-field theory of the random rate network
 * dx/dt = -x + J phi(x), J_ij ~ N(0, g^2/N) (Sompolinsky, Crisanti & Sommers
 * 1988), and of its Euler map x' = (1 - delta) x + delta J phi(x), for odd phi
 * (tanh, erf). Each unit sees Gaussian noise of covariance g^2 C_phi, so the
 * autocovariance Delta(tau) = <x(t) x(t + tau)> obeys the lag equation
 *
 *   flow   Delta(tau) - Delta''(tau) = g^2 C_phi(Delta(tau); Delta(0))
 *   map    (1 + b^2) D_k - b (D_{k+1} + D_{k-1}) = delta^2 g^2 C_phi(D_k; D_0),  b = 1 - delta
 *
 * with C_phi(c; q) = E[phi(x) phi(y)], var x = var y = q, cov c. Both are solved
 * as one discrete system on a lag grid (step h = 0.025 for the flow, one map
 * step for the map):
 *
 *   (1 + 2a) D_k - a (D_{k+1} + D_{k-1}) = g^2 C_phi(D_k; D_0),  a = 1/h^2 (flow), b/delta^2 (map),
 *   D_{-1} = D_1, D_M = 0 at t_max (80 for g > 2, 160 for 1.4 <= g <= 2, 320 below: rnn-lyapunov's dmft.py).
 *
 * Procedure: (1) the flow's variance q from SCS energy conservation,
 * q^2/2 = g^2 [E Phi^2 - (E Phi)^2], Phi the primitive of phi, at variance q;
 * no positive root (g <= 1) means the quiescent solution Delta = 0.
 * (2) An initial profile by shooting Delta'' = Delta - g^2 C_phi(Delta; q) from
 * Delta(0) = q. (3) Newton on the tridiagonal system with q frozen in a table
 * of C_phi(c; q) and dC/dc = E[phi' phi'] (Price's theorem) on c in [0, q]
 * (cubic Hermite; C_phi is odd in c for odd phi), row 0 using the exact
 * one-point average E[phi^2] at variance D_0 and its derivative
 * E[phi'^2 + phi phi'']. (4) The secant method on q until D_0 = q: a new
 * table and Newton per step, until |D_0 - q| and the largest residual are
 * below `tolerance` (the flow's energy root is already within O(h^2)).
 * The power spectrum of Delta must be non-negative: its minimum is reported.
 *
 * Long work: every table node and Newton step checks lib/core's interrupt flag.
 *
 * Exports: StationaryDmftOptions, StationaryDmft, stationaryDmft, defaultLagTime, energyVariance.
 */
import { ArgumentError, checkInteger, checkNumber, checkPositive, throwIfInterrupted } from '../core';
import { Nonlinearity, NonlinearityName, nonlinearity } from '../circuits';
import { QuadratureOptions, normalGrid } from './gaussian';
import { evenSpectrum } from './fft';

export interface StationaryDmftOptions {
  g: number;
  /** Odd nonlinearity (default 'tanh'). */
  nonlinearity?: NonlinearityName;
  /** Euler map step; omit for the flow. */
  delta?: number;
  /** Lag step of the flow (default 0.025). */
  lagStep?: number;
  /** Largest lag (default `defaultLagTime(g)`), in time units (a map: steps x delta). */
  tMax?: number;
  /** Largest residual and |D_0 - q| accepted (default 1e-10). */
  tolerance?: number;
  /** Newton steps per table (default 30) and tables (default 10). */
  maxNewton?: number;
  maxOuter?: number;
  /** Nodes of the C_phi table on [0, q] (default 129). */
  tableNodes?: number;
  quadrature?: QuadratureOptions;
}

export interface StationaryDmft {
  g: number;
  nonlinearity: NonlinearityName;
  /** Map step, or null for the flow. */
  delta: number | null;
  /** Lag times tau_k (k = 0..M; Delta = 0 at tau_M). */
  lags: Float64Array;
  /** Delta(tau_k): the autocovariance of x. */
  delta0: number;
  autocovariance: Float64Array;
  /** C_phi(tau_k) = E[phi(x(t)) phi(x(t + tau_k))]. */
  phiAutocovariance: Float64Array;
  /** <phi'> at variance Delta(0). */
  meanSlope: number;
  quiescent: boolean;
  /** Largest |residual| of the lag equation on the grid, with the last table. */
  residual: number;
  newtonSteps: number;
  tables: number;
  /** |Delta(0) - q|: the self-consistency of the variance in the table (below tolerance when converged). */
  varianceMismatch: number;
  /** Smallest value of the power spectrum of Delta (relative to its largest); negative values mean a bad solution. */
  spectrumMinimum: number;
}

/** rnn-lyapunov's lag range: 80 for g > 2, 160 for 1.4 <= g <= 2, 320 below. */
export function defaultLagTime(g: number): number {
  return g > 2 ? 80 : g >= 1.4 ? 160 : 320;
}

/** One-point averages of phi-derived functions at variance q, on a fixed grid. */
function onePoint(f: Nonlinearity, q: number, grid: { z: Float64Array; w: Float64Array }) {
  const s = Math.sqrt(q);
  let phi2 = 0, dphi = 0, dphi2 = 0, phiDdphi = 0, P = 0, P2 = 0;
  for (let i = 0; i < grid.z.length; i++) {
    const x = s * grid.z[i], w = grid.w[i];
    const p = f.phi(x), d = f.dphi(x), pr = f.primitive(x);
    phi2 += w * p * p;
    dphi += w * d;
    dphi2 += w * d * d;
    phiDdphi += w * p * f.ddphi(x);
    P += w * pr;
    P2 += w * pr * pr;
  }
  return { phi2, dphi, dphi2, phiDdphi, primitiveVariance: P2 - P * P };
}

/**
 * The flow's stationary variance q > 0 from energy conservation,
 * q^2/2 = g^2 Var[Phi(sqrt(q) z)], or 0 when there is no positive root (quiescent).
 */
export function energyVariance(g: number, name: NonlinearityName = 'tanh', quadrature: QuadratureOptions = {}): number {
  checkNumber('g', g, 0);
  const f = nonlinearity(name);
  if (!f.odd) throw new ArgumentError('nonlinearity', 'an odd nonlinearity (tanh, erf)', name);
  const grid = normalGrid(quadrature);
  const E = (q: number) => g * g * onePoint(f, q, grid).primitiveVariance - 0.5 * q * q;
  // E(q) ~ (g^2 phi'(0)^2 - 1) q^2/2 near 0 and -q^2/2 at large q: scan up for the sign change
  let lo = 1e-6, hi = lo;
  if (!(E(lo) > 0)) return 0;
  while (E(hi) > 0) {
    lo = hi;
    hi *= 2;
    if (hi > 1e8) throw new ArgumentError('g', 'a gain with a finite stationary variance', g);
  }
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (E(mid) > 0) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** C_phi(c; q) and dC/dc = E[phi'(x) phi'(y)] on nodes c_j = j q / (K - 1), j = 0..K-1. */
class PairTable {
  readonly C: Float64Array;
  readonly D: Float64Array;
  readonly step: number;
  constructor(f: Nonlinearity, readonly q: number, readonly K: number, grid: { z: Float64Array; w: Float64Array }) {
    this.C = new Float64Array(K);
    this.D = new Float64Array(K);
    this.step = q / (K - 1);
    const { z, w } = grid, n = z.length, s = Math.sqrt(q);
    const px = new Float64Array(n), dx = new Float64Array(n), tanh = f.name === 'tanh';
    for (let i = 0; i < n; i++) { px[i] = f.phi(s * z[i]); dx[i] = f.dphi(s * z[i]); }
    for (let j = 0; j < K; j++) {
      throwIfInterrupted('stationaryDmft', () => `building the C_phi table at node ${j} of ${K}`, () => ({}));
      const rho = Math.min(1, j / (K - 1));
      const a = rho * s, b = s * Math.sqrt(Math.max(0, 1 - rho * rho));
      let C = 0, D = 0;
      for (let i = 0; i < n; i++) {
        const m = a * z[i];
        let ip = 0, id = 0;
        if (tanh) {
          // one tanh per node for both phi and phi' (the table is the solver's cost)
          for (let l = 0; l < n; l++) {
            const t = Math.tanh(m + b * z[l]);
            ip += w[l] * t;
            id += w[l] * (1 - t * t);
          }
        } else {
          for (let l = 0; l < n; l++) {
            const y = m + b * z[l];
            ip += w[l] * f.phi(y);
            id += w[l] * f.dphi(y);
          }
        }
        C += w[i] * px[i] * ip;
        D += w[i] * dx[i] * id;
      }
      this.C[j] = C;
      this.D[j] = D;
    }
  }

  /** C(c) and dC/dc by cubic Hermite interpolation; odd in c; linear beyond |c| = q. */
  eval(c: number): [number, number] {
    const sgn = c < 0 ? -1 : 1, a = Math.abs(c), K = this.K;
    if (a >= this.q) return [sgn * (this.C[K - 1] + this.D[K - 1] * (a - this.q)), this.D[K - 1]];
    const u = a / this.step, j = Math.min(K - 2, Math.floor(u)), t = u - j, h = this.step;
    const c0 = this.C[j], c1 = this.C[j + 1], d0 = this.D[j] * h, d1 = this.D[j + 1] * h;
    const t2 = t * t, t3 = t2 * t;
    const val = (2 * t3 - 3 * t2 + 1) * c0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * c1 + (t3 - t2) * d1;
    const der = ((6 * t2 - 6 * t) * c0 + (3 * t2 - 4 * t + 1) * d0 + (-6 * t2 + 6 * t) * c1 + (3 * t2 - 2 * t) * d1) / h;
    return [sgn * val, der];
  }
}

/** Solves the stationary DMFT (see the file header). */
export function stationaryDmft(options: StationaryDmftOptions): StationaryDmft {
  const g = checkNumber('g', options.g, 0);
  const name = options.nonlinearity ?? 'tanh';
  const f = nonlinearity(name);
  if (!f.odd) throw new ArgumentError('nonlinearity', 'an odd nonlinearity (tanh, erf): the zero-mean theory', name);
  const isMap = options.delta !== undefined;
  const delta = isMap ? checkNumber('delta', options.delta, Number.MIN_VALUE, 1) : null;
  const h = isMap ? delta! : checkPositive('lagStep', options.lagStep ?? 0.025);
  const tMax = checkPositive('tMax', options.tMax ?? defaultLagTime(g));
  const M = Math.max(2, Math.round(tMax / h));
  if (M > 1e7) throw new ArgumentError('tMax', `at most 10^7 lags of ${h} (tMax / lagStep)`, tMax);
  const tol = checkPositive('tolerance', options.tolerance ?? 1e-10);
  const maxNewton = checkInteger('maxNewton', options.maxNewton ?? 30, 1);
  const maxOuter = checkInteger('maxOuter', options.maxOuter ?? 10, 1);
  const K = checkInteger('tableNodes', options.tableNodes ?? 129, 3);
  const grid = normalGrid(options.quadrature);
  const a = isMap ? (1 - delta!) / (delta! * delta!) : 1 / (h * h);
  const lags = Float64Array.from({ length: M + 1 }, (_, k) => k * h);
  const g2 = g * g;
  const D = new Float64Array(M + 1);
  const result = (quiescent: boolean, residual: number, newtonSteps: number, tables: number, table: PairTable | null): Omit<StationaryDmft, 'varianceMismatch'> => {
    const cphi = new Float64Array(M + 1);
    if (table) {
      cphi[0] = onePoint(f, D[0], grid).phi2;
      for (let k = 1; k <= M; k++) cphi[k] = table.eval(D[k])[0];
    }
    let spectrumMinimum = 0;
    if (!quiescent) {
      let L = 1;
      while (L < 2 * M) L <<= 1;
      const S = evenSpectrum(D, L);
      let lo = Infinity, hi = -Infinity;
      for (const v of S) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      spectrumMinimum = lo / hi;
    }
    return {
      g, nonlinearity: name, delta, lags, delta0: D[0], autocovariance: D, phiAutocovariance: cphi,
      meanSlope: onePoint(f, D[0], grid).dphi, quiescent, residual, newtonSteps, tables, spectrumMinimum,
    };
  };

  let q = energyVariance(g, name, options.quadrature);
  if (q === 0) return { ...result(true, 0, 0, 0, null), varianceMismatch: 0 };

  // Initial profile: shoot Delta'' = Delta - g^2 C(Delta; q) from (q, 0) by RK4 (step h), until it turns or crosses 0.
  // A coarse map (delta > 1/2) starts from D_k = 0 for k >= 1 instead: its lags are nearly white, and a start near
  // D_k = q could lead Newton to the frozen root D_k = q of D = g^2 C(D; q).
  let table = new PairTable(f, q, K, grid);
  D[0] = q;
  if (!(isMap && delta! > 0.5)) {
    const acc = (x: number) => x - g2 * table.eval(x)[0];
    let x = q, v = 0;
    D[0] = x;
    const hs = h; // lag step in time units
    for (let k = 1; k <= M; k++) {
      const k1x = v, k1v = acc(x);
      const k2x = v + 0.5 * hs * k1v, k2v = acc(x + 0.5 * hs * k1x);
      const k3x = v + 0.5 * hs * k2v, k3v = acc(x + 0.5 * hs * k2x);
      const k4x = v + hs * k3v, k4v = acc(x + hs * k3x);
      x += (hs / 6) * (k1x + 2 * k2x + 2 * k3x + k4x);
      v += (hs / 6) * (k1v + 2 * k2v + 2 * k3v + k4v);
      if (x <= 0 || v >= 0) break;
      D[k] = x;
    }
    D[M] = 0;
  }

  const diag = new Float64Array(M), rhs = new Float64Array(M), cp = new Float64Array(M);
  let newtonSteps = 0, tables = 1, residual = Infinity;
  /** Newton on the lag equation with q frozen in `table`, from the current D; returns the largest residual. */
  const newton = (): number => {
    let res = Infinity;
    for (let it = 0; it <= maxNewton; it++) {
      throwIfInterrupted('stationaryDmft', () => `at Newton step ${it} with table ${tables}`, () => ({ autocovariance: Float64Array.from(D), lags }));
      res = 0;
      const p0 = onePoint(f, D[0], grid);
      rhs[0] = (1 + 2 * a) * D[0] - 2 * a * D[1] - g2 * p0.phi2;
      diag[0] = 1 + 2 * a - g2 * (p0.dphi2 + p0.phiDdphi);
      for (let k = 1; k < M; k++) {
        const [C, dC] = table.eval(D[k]);
        rhs[k] = (1 + 2 * a) * D[k] - a * (D[k - 1] + D[k + 1]) - g2 * C;
        diag[k] = 1 + 2 * a - g2 * dC;
      }
      for (let k = 0; k < M; k++) res = Math.max(res, Math.abs(rhs[k]));
      if (!(res >= tol) || it === maxNewton) break; // converged (or NaN: the caller rejects it)
      // Thomas algorithm: sub-diagonal -a (rows k >= 1), super-diagonal -2a (row 0) or -a
      newtonSteps++;
      cp[0] = (M > 1 ? -2 * a : 0) / diag[0];
      rhs[0] /= diag[0];
      for (let k = 1; k < M; k++) {
        const m = diag[k] + a * cp[k - 1];
        cp[k] = k < M - 1 ? -a / m : 0;
        rhs[k] = (rhs[k] + a * rhs[k - 1]) / m;
      }
      for (let k = M - 2; k >= 0; k--) rhs[k] -= cp[k] * rhs[k + 1];
      for (let k = 0; k < M; k++) D[k] -= rhs[k];
    }
    return res;
  };
  // Self-consistency D_0 = q by the secant method on F(q) = D_0(q) - q (each F: a table at q and Newton):
  // simply iterating q <- D_0 diverges, F being steep (slope ~ 10) near its root.
  const start = Float64Array.from(D);
  let qPrev = NaN, fPrev = NaN;
  let mismatch = Infinity;
  for (let outer = 0; outer < maxOuter; outer++) {
    residual = newton();
    if (!(D[0] > 0) || !D.every(Number.isFinite)) {
      throw new ArgumentError('g', 'a gain whose DMFT Newton iteration converges (try a longer tMax or a smaller lagStep)', g);
    }
    const F = D[0] - q;
    mismatch = Math.abs(F);
    if (mismatch < tol * Math.max(1, q) && residual < tol) break;
    const qNext = Number.isFinite(fPrev) && F !== fPrev ? q - (F * (q - qPrev)) / (F - fPrev) : D[0];
    qPrev = q;
    fPrev = F;
    q = qNext;
    table = new PairTable(f, q, K, grid);
    tables++;
    // restart Newton from the first profile rescaled to the new q (a far q may have moved D to another root)
    for (let k = 0; k <= M; k++) D[k] = start[k] * (q / start[0]);
  }
  const quiescent = D[0] < 1e-12;
  return { ...result(quiescent, residual, newtonSteps, tables, table), varianceMismatch: mismatch };
}
