/**
 * Monte-Carlo single-site dynamical mean-field theory of the plastic random
 * network of lib/circuits' PlasticRateNetwork (Clark & Abbott 2024, arXiv:2302.08985):
 *
 *   dx/dt = -x + (g J0 + A) phi(x),   tau_s dA/dt = -A + (k/N) phi(x) phi(x)^T.
 *
 * At large N each unit sees the Gaussian field eta of the quenched couplings,
 * <eta(t) eta(s)> = g^2 C_phi(t - s), plus the plastic part, which sums to a
 * self-coupling through its own past (A_ij phi_j summed over j averages to C_phi):
 *
 *   dx/dt = -x + eta(t) + (k / tau_s) int_0^inf du e^{-u/tau_s} C_phi(u) phi(x(t - u)),
 *   C_phi(u) = <phi(x(t)) phi(x(t + u))>.
 *
 * The memory term makes x non-Gaussian, so the self-consistency is solved by
 * sampling (the form of the single-site equation is the project's reconstruction,
 * references/network-dynamics.md section 1; the paper's text could not be read):
 *
 *   1. eta paths from the current g^2 C_phi by circulant embedding (Dietrich & Newsam 1997):
 *      the covariance's first row on a circle of L >= 2T points, its FFT's eigenvalues
 *      (negative ones set to 0), one complex FFT per two independent paths;
 *      C_phi beyond `maxLag` is held at its plateau (below; frozen states keep one).
 *   2. `paths` single-site paths of T = (burnIn + record)/dt steps, by the exponential
 *      integrator with eta linear over a step and the memory held:
 *        x' = e x + (1 - e)(eta_n + m_n) + (eta_{n+1} - eta_n)(1 - (1 - e)/dt),  e = e^{-dt},
 *      m_n = dt sum_l w_l K_l phi_{n-l}, K_l = (k/tau_s) e^{-l dt/tau_s} C_phi(l dt), w_0 = 1/2:
 *      lags below maxLag by the sum, the plateau's tail beyond by a one-term recursion.
 *   3. C_x and C_phi re-estimated over lags 0..maxLag from the recorded part of every
 *      path (time and path averages); the next C_phi by Anderson mixing (depth 5) of the
 *      damped update C_phi + damping (C_phi_new - C_phi) with the previous residuals (Walker &
 *      Ni 2011): plain damped iteration needs ~100 steps near g = 2, where the map is nearly marginal.
 *   Plateau: the mean s of C_phi over the last quarter of its lags (a static part: frozen units),
 *   weighted by a ramp from 0 at s = 0.05 C_phi(0) to 1 at 0.15 C_phi(0) -- the Monte-Carlo noise of
 *   C_phi at large lags (~1% of C_phi(0)) would otherwise act as a spurious static field; the ramp
 *   keeps the map continuous. When a residual grows threefold the mixing history is cleared.
 *   4. Repeat until max_l |C_phi_new - C_phi| <= tolerance * C_phi_new(0), or until C_phi(0) < 1e-3 has fallen
 *      three iterations in a row (the quiescent solution, approached geometrically: a relative change stays large).
 *
 * Hebbian k > 0 (not solved; scratch runs of 2026-12-06 at g = 2, k = 1, tau_s = 10, 400 paths x 200 tau,
 * dt 0.2, maxLag 30, seed 1): the memory kernel is proportional to C_phi itself, so an iterate whose C_phi
 * undershoots zero gets a kernel with a negative lobe, a delayed negative feedback that deepens the undershoot;
 * from e^{-u} the iterates pass through such oscillating C_phi and wander (largest change 1-5% after 40-60
 * iterations with damping 0.5 or 1, Anderson depth 5 or 10, maxLag 30, 60 or 80, with or without the plateau).
 * The map is smooth there (finite differences at eps 1e-2..1e-4 agree within 3%) but nearly marginal: power
 * iteration on its Jacobian at the 30th iterate gave a leading eigenvalue ~0.93, its mode the C_phi amplitude
 * at lags 10-30. So the stopping rule (a small change) does not bound the distance to the fixed point: started
 * from slow guesses (initialDecay 10 / 15) the solve "converges" in 10-11 iterations to C_x(30)/C_x(0) = 0.01 /
 * 0.20 (variance 2.90 / 2.96; 0.02 / 0.15 at tolerance 2e-4), and with seed 2 from initialDecay 10 it does not
 * converge in 40. The plateau splits them (a slow tail over lags 22-30 is held as a static part): without it both
 * starts stop at one solution, but seeds 1 and 2 then differ by 10% in C_x(0) (2.93 / 3.24) and 0.2 in C_x(20)/C_x(0):
 * Monte-Carlo error amplified ~1/(1 - 0.93). A simulation at N = 200 has C_x(0) = 4.38 and C_x(30)/C_x(0) = 0.68
 * (the study notebook, section (a)).
 *
 * The same white-noise draws (one seed) are used in every iteration, so the
 * iteration is a deterministic map of C_phi and converges to a fixed point of it
 * (Monte-Carlo error is then a matter of `paths` and `record`, not of the tolerance).
 * `memory: false` drops the self-coupling: the Gaussian DMFT of the plain network
 * (lib/meanfield's stationaryDmft solves that one by Newton on the lag equation).
 *
 * Phase of a solution: 'quiescent' when C_x(0) < 1e-4 or stopped by the quiescent rule of step 4, 'static' (frozen
 * fixed-point-like states) when C_x(maxLag) > 0.8 C_x(0), else 'chaotic'.
 *
 * Exports: PlasticDmftOptions, PlasticDmft, PlasticDmftPhase, plasticDmft.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, checkPositive, solveRows, throwIfInterrupted } from '../core';
import { NonlinearityName, nonlinearity } from '../circuits';
import { fft } from './fft';

export type PlasticDmftPhase = 'quiescent' | 'static' | 'chaotic';

export interface PlasticDmftOptions {
  g: number;
  /** Plasticity strength (> 0 Hebbian). */
  k: number;
  /** Synaptic time constant (default 10). */
  tauS?: number;
  /** phi (default 'tanh'; odd, so zero-mean fields). */
  nonlinearity?: NonlinearityName;
  /** Step of the single-site paths and lag grid (default 0.1). */
  dt?: number;
  /** Single-site paths per iteration (default 1000; rounded up to even). */
  paths?: number;
  /** Time discarded at the start of each path (default max(20, 4 tau_s)) and time recorded after it (default 100). */
  burnIn?: number;
  record?: number;
  /** Largest lag estimated (default 30; at most record / 2). */
  maxLag?: number;
  /** Weight of the new estimate in each (Anderson-mixed) update (default 0.5). */
  damping?: number;
  /** Stop when the largest change of C_phi is below tolerance x C_phi(0) (default 2e-3). */
  tolerance?: number;
  maxIterations?: number;
  seed?: number;
  /** Include the plastic self-coupling (default true; false: the Gaussian DMFT). */
  memory?: boolean;
  /** Start from C_phi(u) = initialCphi ((1 - s) e^{-u/d} + s), s = initialStatic, d = initialDecay (defaults 0.5, 0 and 1:
   *  a chaotic guess, so a chaotic solution is found where one exists; s near 1 looks for a static one; a larger d
   *  starts near a slow Hebbian solution, but see the header: at g = 2, k = 1 the result then depends on d). */
  initialCphi?: number;
  initialStatic?: number;
  initialDecay?: number;
}

export interface PlasticDmft {
  g: number;
  k: number;
  tauS: number;
  nonlinearity: NonlinearityName;
  /** Lags u_l = l dt, l = 0..maxLag/dt. */
  lags: Float64Array;
  /** C_x(u) and C_phi(u) from the last iteration's paths. */
  autocovariance: Float64Array;
  phiAutocovariance: Float64Array;
  variance: number;
  iterations: number;
  /** Largest relative change of C_phi in the last iteration; the history of it. */
  change: number;
  changes: number[];
  converged: boolean;
  phase: PlasticDmftPhase;
  /** C_x(maxLag) / C_x(0). */
  plateau: number;
  seconds: number;
}

/** Mean s of C_phi over its last quarter of lags, ramped to 0 below 0.15 C_phi(0) (see the header). */
function plateauOf(c: Float64Array): number {
  const M = c.length - 1, from = Math.floor(0.75 * M);
  let s = 0;
  for (let l = from; l <= M; l++) s += c[l];
  s /= M - from + 1;
  // a continuous ramp from 0 (s <= 0.05 C(0)) to s (s >= 0.15 C(0)): a switch would make the map discontinuous
  const w = Math.min(1, Math.max(0, (s / Math.max(c[0], 1e-300) - 0.05) / 0.1));
  return s * w;
}

/**
 * Anderson mixing of a fixed-point map c -> F(c): from residuals r_i = F(c_i) - c_i, the next iterate
 * c + beta r - sum_j gamma_j (dC_j + beta dR_j), gamma the least-squares fit of r by the last `depth`
 * residual differences dR (normal equations with a small ridge, solved by lib/core's solveRows).
 */
class AndersonMixer {
  private readonly dC: Float64Array[] = [];
  private readonly dR: Float64Array[] = [];
  private prevC: Float64Array | null = null;
  private prevR: Float64Array | null = null;
  constructor(private readonly beta: number, private readonly depth: number) {}

  reset(): void { this.dC.length = 0; this.dR.length = 0; this.prevC = null; this.prevR = null; }

  next(c: Float64Array, Fc: Float64Array): Float64Array {
    const n = c.length, r = Float64Array.from(Fc, (v, i) => v - c[i]);
    if (this.prevC && this.prevR) {
      this.dC.push(Float64Array.from(c, (v, i) => v - this.prevC![i]));
      this.dR.push(Float64Array.from(r, (v, i) => v - this.prevR![i]));
      if (this.dC.length > this.depth) { this.dC.shift(); this.dR.shift(); }
    }
    this.prevC = Float64Array.from(c);
    this.prevR = r;
    const m = this.dR.length, out = Float64Array.from(c, (v, i) => v + this.beta * r[i]);
    if (m === 0) return out;
    const G = new Float64Array(m * m), b = new Float64Array(m);
    let trace = 0;
    for (let a = 0; a < m; a++) {
      for (let q = 0; q < m; q++) { let s = 0; for (let i = 0; i < n; i++) s += this.dR[a][i] * this.dR[q][i]; G[a * m + q] = s; }
      let s = 0; for (let i = 0; i < n; i++) s += this.dR[a][i] * r[i]; b[a] = s;
      trace += G[a * m + a];
    }
    for (let a = 0; a < m; a++) G[a * m + a] += 1e-10 * trace + 1e-300;
    const gamma = Float64Array.from(b);
    solveRows(G, gamma, 1, m); // G is symmetric: x G = b is G x = b
    for (let a = 0; a < m; a++) for (let i = 0; i < n; i++) out[i] -= gamma[a] * (this.dC[a][i] + this.beta * this.dR[a][i]);
    return out;
  }
}

/** Solves the single-site problem by Monte-Carlo sampling (see the file header). */
export function plasticDmft(options: PlasticDmftOptions): PlasticDmft {
  const g = checkNumber('g', options?.g, 0);
  const k = checkNumber('k', options.k);
  const tauS = checkPositive('tauS', options.tauS ?? 10);
  const name = options.nonlinearity ?? 'tanh';
  const f = nonlinearity(name);
  if (!f.odd) throw new ArgumentError('nonlinearity', 'an odd nonlinearity (tanh, erf): the zero-mean theory', name);
  const dt = checkPositive('dt', options.dt ?? 0.1);
  const paths = 2 * Math.ceil(checkInteger('paths', options.paths ?? 1000, 2, 1e6) / 2);
  const burnIn = checkNumber('burnIn', options.burnIn ?? Math.max(20, 4 * tauS), 0);
  const record = checkPositive('record', options.record ?? 100);
  const maxLagTime = checkPositive('maxLag', options.maxLag ?? 30);
  if (maxLagTime > record / 2) throw new ArgumentError('maxLag', `at most record / 2 = ${record / 2}`, maxLagTime);
  const damping = checkNumber('damping', options.damping ?? 0.5, Number.MIN_VALUE, 1);
  const tol = checkPositive('tolerance', options.tolerance ?? 2e-3);
  const maxIt = checkInteger('maxIterations', options.maxIterations ?? 100, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
  const memory = options.memory ?? true;
  const c0 = checkNumber('initialCphi', options.initialCphi ?? 0.5, 0);
  const s0 = checkNumber('initialStatic', options.initialStatic ?? 0, 0, 1);
  const d0 = checkPositive('initialDecay', options.initialDecay ?? 1);
  const started = Date.now();

  const M = Math.max(1, Math.round(maxLagTime / dt));
  const n0 = Math.round(burnIn / dt), T = n0 + Math.round(record / dt) + 1;
  if (T > 1 << 22) throw new ArgumentError('record', 'fewer than 2^22 steps per path ((burnIn + record) / dt)', T);
  let L = 1;
  while (L < 2 * T) L <<= 1;
  const lags = Float64Array.from({ length: M + 1 }, (_, l) => l * dt);
  let cphi: Float64Array = Float64Array.from(lags, (u) => c0 * ((1 - s0) * Math.exp(-u / d0) + s0));
  let cx: Float64Array = new Float64Array(M + 1);

  const e = Math.exp(-dt), a1 = 1 - e, a2 = 1 - (1 - e) / dt;
  const decay = Math.exp(-dt / tauS), tailStart = Math.exp(-(M + 1) * dt / tauS);
  const sqrtEig = new Float64Array(L), re = new Float64Array(L), im = new Float64Array(L);
  const K = new Float64Array(M + 1);
  const x = new Float64Array(T), p = new Float64Array(T);
  const changes: number[] = [];
  const anderson = new AndersonMixer(damping, 5);
  let converged = false, iterations = 0, change = Infinity;
  let shrinking = 0, lastC0 = Infinity;

  for (let it = 0; it < maxIt; it++) {
    iterations = it + 1;
    // 1. circulant embedding of g^2 C_phi, held at the plateau beyond maxLag
    const plateau = plateauOf(cphi);
    re.fill(0); im.fill(0);
    for (let j = 0; j < L; j++) { const l = Math.min(j, L - j); re[j] = g * g * (l <= M ? cphi[l] : plateau); }
    fft(re, im);
    for (let j = 0; j < L; j++) sqrtEig[j] = Math.sqrt(Math.max(0, re[j]) / L);
    // 2. memory kernel on lags 0..M (trapezoid weight 1/2 at lag 0), plateau tail by recursion
    for (let l = 0; l <= M; l++) K[l] = (memory ? (k / tauS) * Math.exp(-l * dt / tauS) * cphi[l] : 0) * dt * (l === 0 ? 0.5 : 1);
    const tailWeight = memory ? (k / tauS) * plateau * dt : 0;
    const sx = new Float64Array(M + 1), sp = new Float64Array(M + 1);
    let counted = 0;
    const rng = new Rng(seed);
    for (let pair = 0; pair < paths / 2; pair++) {
      if (pair % 50 === 0) throwIfInterrupted('plasticDmft', () => `iteration ${it + 1}, path ${2 * pair} of ${paths}`, () => ({ lags, phiAutocovariance: Float64Array.from(cphi) }));
      for (let j = 0; j < L; j++) { re[j] = sqrtEig[j] * rng.normal(); im[j] = sqrtEig[j] * rng.normal(); }
      fft(re, im);
      for (const eta of [re, im]) {
        x[0] = eta[0];
        let tail = 0;
        for (let n = 0; n < T - 1; n++) {
          p[n] = f.phi(x[n]);
          let m = 0;
          const top = Math.min(n, M);
          for (let l = 0; l <= top; l++) m += K[l] * p[n - l];
          if (n > M) tail = decay * tail + tailStart * p[n - M - 1]; // sum over l > M of e^{-l dt/tau_s} phi_{n-l}
          m += tailWeight * tail;
          x[n + 1] = e * x[n] + a1 * (eta[n] + m) + a2 * (eta[n + 1] - eta[n]);
        }
        p[T - 1] = f.phi(x[T - 1]);
        // 3. time-averaged lag products over the recorded part
        for (let l = 0; l <= M; l++) {
          let s1 = 0, s2 = 0;
          for (let n = n0; n + l < T; n++) { s1 += x[n] * x[n + l]; s2 += p[n] * p[n + l]; }
          const c = T - l - n0;
          sx[l] += s1 / c; sp[l] += s2 / c;
        }
        counted++;
      }
    }
    for (let l = 0; l <= M; l++) { sx[l] /= counted; sp[l] /= counted; }
    change = 0;
    for (let l = 0; l <= M; l++) change = Math.max(change, Math.abs(sp[l] - cphi[l]));
    change /= Math.max(sp[0], 1e-12);
    changes.push(change);
    cx = sx;
    // Quiescent: near C = 0 the map is linear in C (tanh x ~ x, the memory term is O(C^2)), so C_phi(0) falling below
    // 1e-3 by a factor every iteration, three in a row, is convergence to C = 0; the relative change cannot get small there.
    shrinking = sp[0] < 1e-3 && sp[0] < 0.99 * lastC0 ? shrinking + 1 : 0;
    lastC0 = sp[0];
    const done = change <= tol || sp[0] < 1e-10 || shrinking >= 3;
    if (done) { cphi = sp; converged = true; break; }
    if (changes.length > 1 && change > 3 * changes[changes.length - 2]) anderson.reset();
    cphi = anderson.next(cphi, sp);
  }
  const variance = cx[0];
  const plateauRatio = variance > 0 ? cx[M] / variance : 0;
  const phase: PlasticDmftPhase = variance < 1e-4 || shrinking >= 3 ? 'quiescent' : plateauRatio > 0.8 ? 'static' : 'chaotic';
  return {
    g, k, tauS, nonlinearity: name, lags, autocovariance: cx, phiAutocovariance: cphi, variance, iterations, change, changes, converged,
    phase, plateau: plateauRatio, seconds: (Date.now() - started) / 1000,
  };
}
