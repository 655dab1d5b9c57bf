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
 *      standard errors of one map evaluation.
 *   3b. Gaussian control variate (`controlVariate`, default true; session 9): each path has a memory-free twin driven by the
 *      same eta, xg' = e xg + (1 - e) eta_n + (eta_{n+1} - eta_n)(1 - (1 - e)/dt), a linear filter of the sampled Gaussian noise
 *      whose C_x is known exactly (the circulant's eigenvalues times |H(e^{i theta})|^2 of that step, one more FFT) and whose C_phi
 *      is the Gaussian pair average E[phi(x) phi(y)] at that C_x (a 129-node table in the covariance with Price's derivative,
 *      cubic Hermite). The estimate is  sampled(paths) - sampled(twins) + exact(twins):  unbiased for any k (the twins' sampled
 *      and exact averages have the same expectation), exact at k = 0 or `memory: false` (paths and twins coincide, so no
 *      paths are sampled: the map is the discretized Gaussian DMFT's), and of much smaller variance at small k (the paths and
 *      their twins differ only through the memory term). The batches' spread is that of the sampled differences.
 *      The next C_phi by Anderson mixing (depth 5) of the damped
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
 * session 6; by continuation all 60 converge, session 8).
 *
 * Why the control variate (session 9 probes at g = 2, k = 0 against stationaryDmft: C_x/C_x(0) = 0.883 / 0.537 / 0.182 /
 * 0.059 / 0.019 at lags 2 / 5 / 10 / 15 / 20, variance 1.925). The map's slow (zero-frequency) mode has gain g^2 <phi'>^2
 * (= 0.948 at g = 2: at k = 0 the large-lag decay obeys C'' = (1 - g^2 <phi'>^2) C), so with common random numbers the
 * fixed point carries the sampling error of C's slow part amplified ~1 / (1 - 0.948) ~ 19x, and the tail model turns a
 * positive excursion at the window's end into a held static field. The map itself is unbiased (one evaluation at the exact
 * solution with 2,000 paths x 200 tau returns it within its standard error, 0.5% of C_x(0)), but the plain solves' fixed
 * points were far off: 150 paths x 80 tau, lags to 20 (the study's phase diagram): C_x/C_x(0) at lag 15 -0.44 (seed 1) and
 * +0.38 (seed 2, a spurious plateau); 400 x 200, lags to 30: -0.10 at 15, variance 1.86; 1,000 x 200, lags to 40: -0.19 at
 * lag 30. Neither more paths within seconds nor a longer window fixes that (the error falls as 1/sqrt(paths x time)). With
 * the control variate the k = 0 map is exact and 150 x 80, lags to 40 gives 0.884 / 0.539 / 0.184 / 0.059 / 0.019, variance
 * 1.925, at tolerance 1e-4. Two smaller effects remain and are the caller's to set: the tolerance (the distance to the
 * fixed point is ~ change / (1 - gain), so the default 2e-3 leaves ~0.01 C_x(0) at lags 15-20: 0.050 / 0.009 there) and a
 * window that ends in the decay (lags to 20: the tail model drops C_phi below 0.02 C_phi(0), C_x(20)/C_x(0) 0.008). At g = 2,
 * k = 0.5 and 1 from the Gaussian solution one evaluation's standard error of C_x falls ~10x and ~6x (400 paths x 300 tau).
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
import { normalGrid } from './gaussian';

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
  /** Gaussian control variate (default true; header, step 3b): each path's memory-free twin, driven by the same noise, has
   *  its sampled lag products replaced by their exact expectation. false: the plain path averages. */
  controlVariate?: boolean;
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
 * E[phi(x) phi(y)] for (x, y) ~ N(0, [[q, c], [c, q]]) at every c in `cx` (q = cx[0]): a table on 129 nodes of c in [0, q]
 * (trapezoid rule in standard-normal units, step 0.1 to 8 s.d.) with its derivative E[phi'(x) phi'(y)] (Price's theorem),
 * read by cubic Hermite interpolation; odd in c (odd phi). Returns C_phi(0) = E[phi(x)^2] exactly at lag 0.
 */
function gaussianPhiCovariance(f: { phi: (x: number) => number; dphi: (x: number) => number }, cx: Float64Array, out: Float64Array): void {
  const q = Math.max(cx[0], 0), K = 129, { z, w } = normalGrid({ dz: 0.1, zMax: 8 }), n = z.length, s = Math.sqrt(q);
  if (q < 1e-300) { out.fill(0); return; }
  const C = new Float64Array(K), D = new Float64Array(K), px = new Float64Array(n), dx = new Float64Array(n);
  for (let i = 0; i < n; i++) { px[i] = f.phi(s * z[i]); dx[i] = f.dphi(s * z[i]); }
  for (let j = 0; j < K; j++) {
    const rho = j / (K - 1), a = rho * s, b = s * Math.sqrt(Math.max(0, 1 - rho * rho));
    let cs = 0, ds = 0;
    for (let i = 0; i < n; i++) {
      const m = a * z[i];
      let ip = 0, id = 0;
      for (let l = 0; l < n; l++) { const y = m + b * z[l]; ip += w[l] * f.phi(y); id += w[l] * f.dphi(y); }
      cs += w[i] * px[i] * ip; ds += w[i] * dx[i] * id;
    }
    C[j] = cs; D[j] = ds;
  }
  const h = q / (K - 1);
  for (let l = 0; l < cx.length; l++) {
    const c = Math.max(-q, Math.min(q, cx[l])), sgn = c < 0 ? -1 : 1, u = Math.abs(c) / h, j = Math.min(K - 2, Math.floor(u)), t = u - j;
    const t2 = t * t, t3 = t2 * t;
    out[l] = sgn * ((2 * t3 - 3 * t2 + 1) * C[j] + (t3 - 2 * t2 + t) * D[j] * h + (-2 * t3 + 3 * t2) * C[j + 1] + (t3 - t2) * D[j + 1] * h);
  }
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
  const controlVariate = options.controlVariate ?? true;
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
  const x = new Float64Array(T), p = new Float64Array(T), xg = new Float64Array(T), pg = new Float64Array(T);
  const bx = Array.from({ length: batches }, () => new Float64Array(M + 1)), bp = Array.from({ length: batches }, () => new Float64Array(M + 1));
  const perBatch = Array.from({ length: batches }, (_, b) => Math.floor(paths / batches) + (b < paths % batches ? 1 : 0));
  // the control variate: twin paths sampled only with memory (k != 0); without it the paths are their own twins (exact map)
  const twins = controlVariate && memory && k !== 0, exactOnly = controlVariate && !twins;
  const cxG = new Float64Array(M + 1), cphiG = new Float64Array(M + 1);
  // |H(e^{i theta})|^2 of the step x' = e x + (a1 - a2) eta_n + a2 eta_{n+1}: the memory-free path's filter of eta
  const H2 = Float64Array.from({ length: L }, (_, j) => {
    const cs = Math.cos((2 * Math.PI * j) / L);
    return (a2 * a2 + (a1 - a2) ** 2 + 2 * a2 * (a1 - a2) * cs) / (1 + e * e - 2 * e * cs);
  });
  let lastPhi: Float64Array = cphi;
  const changes: number[] = [];
  const anderson = new AndersonMixer(damping, depth);
  let converged = false, iterations = 0, change = Infinity, tailFraction = 0;
  let shrinking = 0, lastC0 = Infinity;

  /** Adds sign x the lag products (lags 0..M, divided by R - l) of the recorded part of xs and ps to tx and tp: one zero-padded
   *  complex FFT (xs real part, ps imaginary part); |X|^2 and |P|^2 from Z_j and conj(Z_{-j}), both real and even, so one more
   *  forward FFT gives both sums. */
  const addLagProducts = (xs: Float64Array, ps: Float64Array, sign: number, tx: Float64Array, tp: Float64Array) => {
    fr.fill(0); fi.fill(0);
    for (let n = 0; n < R; n++) { fr[n] = xs[n0 + n]; fi[n] = ps[n0 + n]; }
    fft(fr, fi);
    for (let j = 0; j <= L2 / 2; j++) {
      const q = (L2 - j) & (L2 - 1);
      const ar = fr[j], ai = fi[j], br = fr[q], bi = fi[q];
      const xx = ((ar + br) ** 2 + (ai - bi) ** 2) / 4, pp = ((ai + bi) ** 2 + (ar - br) ** 2) / 4;
      fr[j] = xx; fi[j] = pp; fr[q] = xx; fi[q] = pp;
    }
    fft(fr, fi);
    for (let l = 0; l <= M; l++) { const c = sign / (L2 * (R - l)); tx[l] += fr[l] * c; tp[l] += fi[l] * c; }
  };

  for (let it = 0; it < maxIt; it++) {
    iterations = it + 1;
    // 1. circulant embedding of g^2 C_phi, continued beyond maxLag by the tail model
    tailFraction = extendTail(cphi, ext);
    for (let j = 0; j < L; j++) { re[j] = g * g * ext[Math.min(j, L - j)]; im[j] = 0; }
    fft(re, im);
    for (let j = 0; j < L; j++) sqrtEig[j] = Math.sqrt(Math.max(0, re[j]) / L);
    // 3b. the memory-free path's exact C_x (the sampled eta's spectrum through the step's filter) and C_phi (Gaussian pair average)
    if (controlVariate) {
      for (let j = 0; j < L; j++) { re[j] = sqrtEig[j] * sqrtEig[j] * H2[j]; im[j] = 0; }
      fft(re, im);
      for (let l = 0; l <= M; l++) cxG[l] = re[l];
      gaussianPhiCovariance(f, cxG, cphiG);
    }
    // 2. memory kernel on lags 0..MK (trapezoid weight 1/2 at lag 0); beyond MK C_phi held at ext[MK], by recursion
    for (let l = 0; l <= MK; l++) K[l] = (memory ? (k / tauS) * Math.exp(-l * dt / tauS) * ext[l] : 0) * dt * (l === 0 ? 0.5 : 1);
    const tailWeight = memory ? (k / tauS) * ext[MK] * dt : 0;
    for (let b = 0; b < batches; b++) { bx[b].fill(0); bp[b].fill(0); }
    const rng = new Rng(seed); // the same draws every iteration: a deterministic map of C_phi
    for (let pair = 0; pair < (exactOnly ? 0 : paths / 2); pair++) {
      if (pair % 50 === 0) throwIfInterrupted('plasticDmft', () => `iteration ${it + 1}, path ${2 * pair} of ${paths}`, () => ({ lags, phiAutocovariance: Float64Array.from(cphi) }));
      for (let j = 0; j < L; j++) { re[j] = sqrtEig[j] * rng.normal(); im[j] = sqrtEig[j] * rng.normal(); }
      fft(re, im);
      for (let half = 0; half < 2; half++) {
        const eta = half === 0 ? re : im;
        x[0] = eta[0];
        xg[0] = eta[0];
        let tail = 0;
        for (let n = 0; n < T - 1; n++) {
          p[n] = f.phi(x[n]);
          let m = 0;
          const top = Math.min(n, MK);
          for (let l = 0; l <= top; l++) m += K[l] * p[n - l];
          if (n > MK) tail = decay * tail + tailStart * p[n - MK - 1]; // sum over l > MK of e^{-l dt/tau_s} phi_{n-l}
          m += tailWeight * tail;
          x[n + 1] = e * x[n] + a1 * (eta[n] + m) + a2 * (eta[n + 1] - eta[n]);
          if (twins) xg[n + 1] = e * xg[n] + a1 * eta[n] + a2 * (eta[n + 1] - eta[n]);
        }
        p[T - 1] = f.phi(x[T - 1]);
        // 3. lag products of the recorded part (minus the twin's, whose expectation is added back after the loop)
        const b = (2 * pair + half) % batches;
        addLagProducts(x, p, 1, bx[b], bp[b]);
        if (twins) {
          for (let n = n0; n < T; n++) pg[n] = f.phi(xg[n]);
          addLagProducts(xg, pg, -1, bx[b], bp[b]);
        }
      }
    }
    const sx = new Float64Array(M + 1), sp = new Float64Array(M + 1);
    for (let b = 0; b < batches; b++) for (let l = 0; l <= M; l++) { sx[l] += bx[b][l]; sp[l] += bp[b][l]; }
    for (let l = 0; l <= M; l++) { sx[l] /= paths; sp[l] /= paths; }
    if (controlVariate) for (let l = 0; l <= M; l++) { sx[l] += cxG[l]; sp[l] += cphiG[l]; }
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
  // (with the control variate the batches hold the sampled differences from the twins: their mean is C minus the exact part)
  const se = (arr: Float64Array[], mean: Float64Array, exactPart: Float64Array) => Float64Array.from(mean, (m, l) => {
    let s = 0;
    arr.forEach((a, b) => { s += (a[l] / perBatch[b] - (m - exactPart[l])) ** 2; });
    return Math.sqrt(s / (batches - 1) / batches);
  });
  const none = new Float64Array(M + 1);
  const standardError = se(bx, cx, controlVariate ? cxG : none), phiStandardError = se(bp, lastPhi, controlVariate ? cphiG : none);
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
