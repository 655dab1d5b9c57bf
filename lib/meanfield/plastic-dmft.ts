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
 *      (negative ones set to 0), one complex FFT per two independent paths. C_phi beyond
 *      `maxLag` follows the tail model: from its means c_mid, c_end over the windows (a tenth of
 *      the lags) ending at maxLag/2 and maxLag, the exponential continuation at the measured rate,
 *      r = min(1, c_end / c_mid) per (maxLag/2) -- a flat (static, frozen-unit) tail is held, a slow
 *      decay continues -- ramped to 0 as c_end falls from 0.06 to 0.02 C_phi(0) (Monte-Carlo noise at
 *      large lags, ~1% of C_phi(0), would otherwise act as a static field). `tailFraction` = c_end/C_phi(0)
 *      says whether the lag window held the decay.
 *   2. `paths` single-site paths of T = (burnIn + record)/dt steps, by the exponential
 *      integrator with eta linear over a step and the memory held:
 *        x' = e x + (1 - e)(eta_n + m_n) + (eta_{n+1} - eta_n)(1 - (1 - e)/dt),  e = e^{-dt},
 *      m_n = dt sum_l w_l K_l phi_{n-l}, K_l = (k/tau_s) e^{-l dt/tau_s} C_phi(l dt), w_0 = 1/2: lags up to
 *      `kernelLag` (default 6 tau_s; the kernel's e^{-u/tau_s} is 2.5e-3 there) by the sum, beyond by a
 *      one-term recursion with C_phi held at its kernelLag value.
 *   3. C_x and C_phi over lags 0..maxLag from the recorded part of every path (time and path averages;
 *      the lag products by one zero-padded complex FFT per path, x in the real and phi in the imaginary
 *      part, so long lags cost O(T log T)); the paths fall in `batches` groups whose spread gives the
 *      standard errors of one map evaluation. The next C_phi by Anderson mixing (depth 5) of the damped
 *      update C_phi + damping (C_phi_new - C_phi) with the previous residuals (Walker & Ni 2011).
 *      When a residual grows threefold the mixing history is cleared.
 *   4. Repeat until max_l |C_phi_new - C_phi| <= tolerance * C_phi_new(0), or until C_phi(0) < 1e-3 has fallen
 *      three iterations in a row (the quiescent solution, approached geometrically: a relative change stays large).
 *
 * The same white-noise draws (one seed) are used in every iteration, so the iteration is a deterministic
 * map of C_phi and converges to a fixed point of that map. Its distance from the true solution is the
 * Monte-Carlo error, which `paths` and `record` set and which a nearly marginal map amplifies: the
 * per-evaluation `standardError` understates it, so compare solves from independent seeds (the study's
 * dmftSeedSpread does).
 *
 * Hebbian k > 0 (scratch runs 2026-12-06 at g = 2, k = 1, tau_s = 10, dt 0.2; session 5 with lags to 30, session 6
 * with lags to 300): the memory kernel is proportional to C_phi itself, so an iterate whose C_phi undershoots zero
 * gets a kernel with a negative lobe, a delayed negative feedback that deepens the undershoot. From the default
 * fast start C_phi = 0.5 e^{-u} the iterates pass through such oscillating shapes and wander (400 paths x 1000 tau,
 * lags to 300: largest change still 2.8% after 40 iterations, C_x/C_x(0) -0.16 at lag 20). The map is smooth but
 * nearly marginal (power iteration at lags to 30: leading eigenvalue ~0.93, its mode the slow part of C_phi):
 * a slowly decaying noise is followed almost adiabatically, so nearly any slow tail reproduces itself. With lags
 * to 30 the truncation forced the slow decay down (or, with a held plateau, turned it into a static part), giving
 * start-dependent stops. With lags to 300 and the tail model, from a slow start (initialCphi 0.6, initialDecay 80)
 * seed 1 converged in 19 iterations to C_x(0) 3.85 and C_x/C_x(0) 0.83 / 0.46 / 0.22 / -0.06 at lags 10 / 30 / 50 / 100,
 * near an N = 400 simulation's 4.09 and 0.86 / 0.49 / 0.23 / -0.06 (unit means kept; an N = 200 network is much
 * slower, 4.55 and 0.91 / 0.69 / 0.54 / 0.42, so N = 200 is not yet large here). The study reports the spread over seeds and starts.
 *
 * Continuation: `initial` starts the iteration from a given C_phi (a neighbouring parameter's solution), which the
 * study's phase diagram uses along each row of k (the one-point fast start left 16 of 60 grid points unconverged in
 * session 6; by continuation all 60 converge, session 8). The slow mode's gain is ~1 - 1/tau_c^2 (at k = 0
 * the large-lag decay of C obeys C'' = (1 - g^2 <phi'>^2) C, and the iteration's zero-frequency gain is g^2 <phi'>^2), so a
 * short-lag, few-path solve carries a large error in C's tail: at g = 2, k = 0 with 150 paths x 80 tau and lags to 20 the
 * converged C_x(20) is -0.2 C_x(0) where the exact solution is ~0 (the variance is within 2.3%).
 *
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
  /** Largest lag estimated (default 30; at most record / 2); C_phi beyond it follows the tail model (header). */
  maxLag?: number;
  /** Longest lag of the memory kernel summed exactly (default min(maxLag, 6 tau_s)); beyond it C_phi is held at its value there. */
  kernelLag?: number;
  /** Groups the paths are split into for the standard errors (default 8). */
  batches?: number;
  /** Anderson mixing depth (default 5; 0: damped iteration). */
  andersonDepth?: number;
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
  /** Start from this C_phi instead (e.g. a neighbouring parameter's solution: continuation), given at `lags` and interpolated
   *  linearly onto this solve's lag grid; beyond its last lag it is continued by the tail model. Overrides initialCphi/Static/Decay. */
  initial?: { lags: ArrayLike<number>; phiAutocovariance: ArrayLike<number> };
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
  /** Standard errors of C_x(u) and C_phi(u) over `batches` groups of the last map evaluation's paths: the sampling error of
   *  one evaluation of the map, not of its fixed point (a nearly marginal map amplifies it; compare independent seeds). */
  standardError: Float64Array;
  phiStandardError: Float64Array;
  variance: number;
  iterations: number;
  /** Largest relative change of C_phi in the last iteration; the history of it. */
  change: number;
  changes: number[];
  converged: boolean;
  phase: PlasticDmftPhase;
  /** C_x(maxLag) / C_x(0). */
  plateau: number;
  /** C_phi over the last tenth of the lags / C_phi(0) at the last iteration: near 0 the lag window holds the decay. */
  tailFraction: number;
  seconds: number;
}

/**
 * C_phi beyond the largest lag M (the tail model, see the header): from the means c_mid and c_end of C_phi over
 * windows ending at M/2 and at M, the exponential c_end r^{(l - l_end)/(l_end - l_mid)}, r = min(1, c_end / c_mid), so a
 * slow decay continues at its measured rate and a flat (static) tail is held; weighted by a ramp from 0 at
 * c_end = 0.02 C_phi(0) to 1 at 0.06 C_phi(0), so Monte-Carlo noise at large lags (~1% of C_phi(0)) does not act as a
 * static field. Writes ext[l] for l = 0..ext.length-1 (ext[l] = c[l] for l <= M) and returns c_end / C_phi(0).
 */
function extendTail(c: Float64Array, ext: Float64Array): number {
  const M = c.length - 1, w = Math.max(1, Math.round(M / 10));
  const mean = (to: number) => { let s = 0; for (let l = to - w + 1; l <= to; l++) s += c[Math.max(0, l)]; return s / w; };
  const lEnd = M - (w - 1) / 2, lMid = Math.floor(M / 2) - (w - 1) / 2;
  const cEnd = mean(M), cMid = mean(Math.floor(M / 2)), c0 = Math.max(c[0], 1e-300);
  const ramp = Math.min(1, Math.max(0, (cEnd / c0 - 0.02) / 0.04));
  const r = cEnd > 0 && cMid > 0 ? Math.min(1, cEnd / cMid) : 0;
  const rate = r > 0 ? -Math.log(r) / Math.max(1, lEnd - lMid) : Infinity;
  for (let l = 0; l < ext.length; l++) ext[l] = l <= M ? c[l] : ramp > 0 && r > 0 ? ramp * cEnd * Math.exp(-rate * (l - lEnd)) : 0;
  return cEnd / c0;
}

/** A given C_phi (at its own lags) on this solve's lags: linear interpolation, the tail model beyond its last lag. */
function startFrom(init: { lags: ArrayLike<number>; phiAutocovariance: ArrayLike<number> }, lags: Float64Array): Float64Array {
  const u = init.lags, c = init.phiAutocovariance, n = u.length;
  if (n < 2 || c.length !== n || u[0] !== 0) throw new ArgumentError('initial', 'lags from 0 (at least 2) with a C_phi value at each', `${n} lags, ${c.length} values`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(c[i]) || !(i === 0 || u[i] > u[i - 1])) throw new ArgumentError('initial', 'increasing lags and finite C_phi', `lag ${u[i]}, C_phi ${c[i]}`);
  }
  const ext = new Float64Array(2 * n + Math.ceil(lags[lags.length - 1] / (u[n - 1] - u[n - 2])) + 1);
  extendTail(Float64Array.from(c), ext); // on the given grid, continued past its end at its spacing (near-uniform grids)
  const h = u[n - 1] - u[n - 2];
  return Float64Array.from(lags, (t) => {
    if (t >= u[n - 1]) return ext[Math.min(ext.length - 1, n - 1 + Math.round((t - u[n - 1]) / h))];
    let i = 0;
    while (u[i + 1] < t) i++;
    return c[i] + (c[i + 1] - c[i]) * (t - u[i]) / (u[i + 1] - u[i]);
  });
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
    if (!Number.isFinite(trace) || !b.every(Number.isFinite)) { this.reset(); return out; } // overflowed residuals: the damped step
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
  const batches = checkInteger('batches', options.batches ?? 8, 2, 1000);
  const paths = 2 * Math.ceil(Math.max(batches, checkInteger('paths', options.paths ?? 1000, 2, 1e6)) / 2);
  const burnIn = checkNumber('burnIn', options.burnIn ?? Math.max(20, 4 * tauS), 0);
  const record = checkPositive('record', options.record ?? 100);
  const maxLagTime = checkPositive('maxLag', options.maxLag ?? 30);
  if (maxLagTime > record / 2) throw new ArgumentError('maxLag', `at most record / 2 = ${record / 2}`, maxLagTime);
  const kernelLagTime = checkPositive('kernelLag', options.kernelLag ?? Math.min(maxLagTime, 6 * tauS));
  if (kernelLagTime > maxLagTime) throw new ArgumentError('kernelLag', `at most maxLag = ${maxLagTime}`, kernelLagTime);
  const damping = checkNumber('damping', options.damping ?? 0.5, Number.MIN_VALUE, 1);
  const depth = checkInteger('andersonDepth', options.andersonDepth ?? 5, 0, 50);
  const tol = checkPositive('tolerance', options.tolerance ?? 2e-3);
  const maxIt = checkInteger('maxIterations', options.maxIterations ?? 100, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
  const memory = options.memory ?? true;
  const c0 = checkNumber('initialCphi', options.initialCphi ?? 0.5, 0);
  const s0 = checkNumber('initialStatic', options.initialStatic ?? 0, 0, 1);
  const d0 = checkPositive('initialDecay', options.initialDecay ?? 1);
  const started = performance.now();

  const M = Math.max(1, Math.round(maxLagTime / dt)), MK = Math.max(0, Math.min(M, Math.round(kernelLagTime / dt)));
  const n0 = Math.round(burnIn / dt), T = n0 + Math.round(record / dt) + 1, R = T - n0;
  if (T > 1 << 22) throw new ArgumentError('record', 'fewer than 2^22 steps per path ((burnIn + record) / dt)', T);
  let L = 1;
  while (L < 2 * T) L <<= 1;
  let L2 = 1; // zero-padded length of the lag products: lags up to M do not wrap
  while (L2 < R + M + 1) L2 <<= 1;
  const lags = Float64Array.from({ length: M + 1 }, (_, l) => l * dt);
  let cphi: Float64Array = options.initial ? startFrom(options.initial, lags) : Float64Array.from(lags, (u) => c0 * ((1 - s0) * Math.exp(-u / d0) + s0));
  let cx: Float64Array = new Float64Array(M + 1);

  const e = Math.exp(-dt), a1 = 1 - e, a2 = 1 - (1 - e) / dt;
  const decay = Math.exp(-dt / tauS), tailStart = Math.exp(-(MK + 1) * dt / tauS);
  const sqrtEig = new Float64Array(L), re = new Float64Array(L), im = new Float64Array(L), ext = new Float64Array(L / 2 + 1);
  const fr = new Float64Array(L2), fi = new Float64Array(L2);
  const K = new Float64Array(MK + 1);
  const x = new Float64Array(T), p = new Float64Array(T);
  const bx = Array.from({ length: batches }, () => new Float64Array(M + 1)), bp = Array.from({ length: batches }, () => new Float64Array(M + 1));
  const perBatch = Array.from({ length: batches }, (_, b) => Math.floor(paths / batches) + (b < paths % batches ? 1 : 0));
  let lastPhi: Float64Array = cphi;
  const changes: number[] = [];
  const anderson = new AndersonMixer(damping, depth);
  let converged = false, iterations = 0, change = Infinity, tailFraction = 0;
  let shrinking = 0, lastC0 = Infinity;

  for (let it = 0; it < maxIt; it++) {
    iterations = it + 1;
    // 1. circulant embedding of g^2 C_phi, continued beyond maxLag by the tail model
    tailFraction = extendTail(cphi, ext);
    for (let j = 0; j < L; j++) { re[j] = g * g * ext[Math.min(j, L - j)]; im[j] = 0; }
    fft(re, im);
    for (let j = 0; j < L; j++) sqrtEig[j] = Math.sqrt(Math.max(0, re[j]) / L);
    // 2. memory kernel on lags 0..MK (trapezoid weight 1/2 at lag 0); beyond MK C_phi held at ext[MK], by recursion
    for (let l = 0; l <= MK; l++) K[l] = (memory ? (k / tauS) * Math.exp(-l * dt / tauS) * ext[l] : 0) * dt * (l === 0 ? 0.5 : 1);
    const tailWeight = memory ? (k / tauS) * ext[MK] * dt : 0;
    for (let b = 0; b < batches; b++) { bx[b].fill(0); bp[b].fill(0); }
    const rng = new Rng(seed); // the same draws every iteration: a deterministic map of C_phi
    for (let pair = 0; pair < paths / 2; pair++) {
      if (pair % 50 === 0) throwIfInterrupted('plasticDmft', () => `iteration ${it + 1}, path ${2 * pair} of ${paths}`, () => ({ lags, phiAutocovariance: Float64Array.from(cphi) }));
      for (let j = 0; j < L; j++) { re[j] = sqrtEig[j] * rng.normal(); im[j] = sqrtEig[j] * rng.normal(); }
      fft(re, im);
      for (let half = 0; half < 2; half++) {
        const eta = half === 0 ? re : im;
        x[0] = eta[0];
        let tail = 0;
        for (let n = 0; n < T - 1; n++) {
          p[n] = f.phi(x[n]);
          let m = 0;
          const top = Math.min(n, MK);
          for (let l = 0; l <= top; l++) m += K[l] * p[n - l];
          if (n > MK) tail = decay * tail + tailStart * p[n - MK - 1]; // sum over l > MK of e^{-l dt/tau_s} phi_{n-l}
          m += tailWeight * tail;
          x[n + 1] = e * x[n] + a1 * (eta[n] + m) + a2 * (eta[n + 1] - eta[n]);
        }
        p[T - 1] = f.phi(x[T - 1]);
        // 3. lag products of the recorded part by one zero-padded complex FFT (x real part, phi imaginary part):
        // |X|^2 and |P|^2 from Z_j and conj(Z_{-j}), both real and even, so one more forward FFT gives both sums
        fr.fill(0); fi.fill(0);
        for (let n = 0; n < R; n++) { fr[n] = x[n0 + n]; fi[n] = p[n0 + n]; }
        fft(fr, fi);
        for (let j = 0; j <= L2 / 2; j++) {
          const q = (L2 - j) & (L2 - 1);
          const ar = fr[j], ai = fi[j], br = fr[q], bi = fi[q];
          const xx = ((ar + br) ** 2 + (ai - bi) ** 2) / 4, pp = ((ai + bi) ** 2 + (ar - br) ** 2) / 4;
          fr[j] = xx; fi[j] = pp; fr[q] = xx; fi[q] = pp;
        }
        fft(fr, fi);
        const b = (2 * pair + half) % batches, tx = bx[b], tp = bp[b];
        for (let l = 0; l <= M; l++) { const c = L2 * (R - l); tx[l] += fr[l] / c; tp[l] += fi[l] / c; }
      }
    }
    const sx = new Float64Array(M + 1), sp = new Float64Array(M + 1);
    for (let b = 0; b < batches; b++) for (let l = 0; l <= M; l++) { sx[l] += bx[b][l]; sp[l] += bp[b][l]; }
    for (let l = 0; l <= M; l++) { sx[l] /= paths; sp[l] /= paths; }
    change = 0;
    for (let l = 0; l <= M; l++) change = Math.max(change, Math.abs(sp[l] - cphi[l]));
    change /= Math.max(sp[0], 1e-12);
    changes.push(change);
    cx = sx;
    lastPhi = sp;
    // Quiescent: near C = 0 the map is linear in C (tanh x ~ x, the memory term is O(C^2)), so C_phi(0) falling below
    // 1e-3 by a factor every iteration, three in a row, is convergence to C = 0; the relative change cannot get small there.
    shrinking = sp[0] < 1e-3 && sp[0] < 0.99 * lastC0 ? shrinking + 1 : 0;
    lastC0 = sp[0];
    const done = change <= tol || sp[0] < 1e-10 || shrinking >= 3;
    if (done) { cphi = sp; converged = true; break; }
    if (changes.length > 1 && change > 3 * changes[changes.length - 2]) anderson.reset();
    cphi = anderson.next(cphi, sp);
  }
  // standard errors over the batches of the last map evaluation (its paths split into `batches` groups)
  const se = (arr: Float64Array[], mean: Float64Array) => Float64Array.from(mean, (m, l) => {
    let s = 0;
    arr.forEach((a, b) => { s += (a[l] / perBatch[b] - m) ** 2; });
    return Math.sqrt(s / (batches - 1) / batches);
  });
  const standardError = se(bx, cx), phiStandardError = se(bp, lastPhi);
  // |k| or g so large that the paths overflow the lag products (x ~ k): say so rather than return Infinity
  if (![cx, cphi, standardError, phiStandardError].every((a) => a.every(Number.isFinite))) {
    throw new ArgumentError('options', 'g and k small enough for finite single-site autocovariances', `g ${g}, k ${k}`);
  }
  const variance = cx[0];
  const plateauRatio = variance > 0 ? cx[M] / variance : 0;
  const phase: PlasticDmftPhase = variance < 1e-4 || shrinking >= 3 ? 'quiescent' : plateauRatio > 0.8 ? 'static' : 'chaotic';
  return {
    g, k, tauS, nonlinearity: name, lags, autocovariance: cx, phiAutocovariance: cphi, standardError, phiStandardError, variance, iterations, change, changes,
    converged, phase, plateau: plateauRatio, tailFraction, seconds: (performance.now() - started) / 1000,
  };
}
