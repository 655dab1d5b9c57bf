/**
 * Study: coupled neuronal-synaptic dynamics (notebooks/neuronal-synaptic-dynamics.ipynb;
 * Clark & Abbott 2024, "Theory of coupled neuronal-synaptic dynamics", PRX, arXiv:2302.08985).
 * The network is lib/circuits' PlasticRateNetwork,
 *
 *   dx/dt = -x + (g J0 + A) tanh(x),   tau_s dA/dt = -A + (k/N) tanh(x) tanh(x)^T,
 *
 * integrated jointly by RK4 (dt 0.1); the theory is lib/meanfield's plasticDmft (Monte-Carlo
 * single-site DMFT with the Hebbian self-coupling), the exponents lib/dynamics' lyapunovSpectrum
 * on the joint tangent map. This file holds the pool jobs, the figures and the table:
 *
 *   autocorrelationJob  one simulation: unit-averaged autocovariance of x (each unit's mean removed)
 *   dmftJob             plasticDmft at one (g, k): C_x(tau), C_phi(tau), its phase and per-evaluation standard errors
 *   dmftRowJob          the phase diagram's DMFT along a row of k by continuation (each k from its neighbour's solution;
 *                       g > 1 from k = 0's Gaussian solution, g <= 1 from the largest k down); pickDmftSolution: one per point
 *   dmftSeedSpread      converged solves at one (g, k) over seeds / starts: mean and s.d. of C_x (the DMFT's error bar)
 *   autocorrelationGap  simulation against DMFT: largest gap of C_x/C_x(0) over lags, relative variance gap
 *   phaseJob            one (g, k) grid point: lambda_1 of the joint system (one tangent vector)
 *                       and the final state's speed and size -> quiescent / fixed point / chaotic / other
 *   spectrumJob         leading Lyapunov exponents of the joint system: lambda_1, Kaplan-Yorke dimension
 *   freezeJob           halts plasticity at random times along a trajectory (PlasticRateNetwork.freeze)
 *   fixedPointJob       distinct fixed points of the joint system reached from random starts (counts against N)
 *   jacobianJob         the joint Jacobian's reduced spectrum at states along a trajectory
 *
 * Jobs: `{ module: STUDY_MODULE, export: '<name>Job', args }`. Every draw is seeded (network seed,
 * initial-state seed, frame seed, halt-time seed) and the seeds are in each result.
 *
 * Exports: STUDY_MODULE, the jobs with their argument and result types, pickDmftSolution, averageSimulations, dmftSeedSpread, autocorrelationGap, classifyPhase, unstableAngle,
 * halfDecayTime, minimumNormalized, phaseBoundaries, estimatedRunSeconds, the figure builders and reproductionRows.
 */
import { ArgumentError, JobContext, Rng, checkInteger, checkNumber, median } from '../core';
import { PlasticRateNetwork } from '../circuits';
import { kaplanYorkeDimension, lyapunovSpectrum } from '../dynamics';
import { PlasticDmft, PlasticDmftOptions, PlasticDmftPhase, plasticDmft, stationaryDmft } from '../meanfield';
import { Figure, LineSeries, PALETTE, line, scatter } from '../plot';
import { populationAutocovariance } from './chaos-and-dimension';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/neuronal-synaptic-dynamics';

const DT = 0.1;

export interface NetworkArgs {
  N: number;
  g: number;
  k: number;
  tauS: number;
  /** Seed of J0 and of the initial state. */
  seed: number;
  stateSeed: number;
  /** Variance of the initial x (A starts at its steady value (k/N) phi phi^T for that x). */
  initialVariance?: number;
  /** Time run before anything is recorded. */
  transient: number;
}

function network(a: NetworkArgs): { net: PlasticRateNetwork; state: Float64Array } {
  const net = new PlasticRateNetwork({ N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed });
  return { net, state: net.initialState(a.stateSeed, a.initialVariance ?? 1, 'steady') };
}

// ---------------------------------------------------------------------------
// (a) autocorrelations

export interface AutocorrelationJobArgs extends NetworkArgs {
  time: number;
  sampleEvery: number;
  /** Largest lag in time units. */
  maxLag: number;
}

export interface AutocorrelationJobResult {
  N: number; g: number; k: number; tauS: number; seed: number; stateSeed: number;
  lags: number[];
  autocovariance: number[];
  /** The same without removing each unit's time mean: the DMFT's C_x (odd phi: zero ensemble mean), which a slow
   *  network's finite run biases less than the mean-removed estimate (that one loses ~2 tau_c / T of C_x(0)). */
  rawAutocovariance: number[];
  /** Root-mean-square of A's entries averaged over the samples. */
  synapticRms: number;
  seconds: number;
}

export async function autocorrelationJob(a: AutocorrelationJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<AutocorrelationJobResult> {
  const started = Date.now();
  const { net, state } = network(a);
  ctx?.progress(0, `k ${a.k}`);
  const run = net.run(state, { dt: DT, time: a.time, transient: a.transient, sampleEvery: a.sampleEvery, label: `plastic network k = ${a.k}` });
  const maxLag = Math.min(run.samples - 1, Math.round(a.maxLag / a.sampleEvery));
  const ac = populationAutocovariance(run.states, run.samples, a.N, maxLag);
  const raw = new Float64Array(maxLag + 1), X = run.states, N = a.N;
  for (let l = 0; l <= maxLag; l++) {
    let sum = 0;
    for (let t = 0; t + l < run.samples; t++) for (let i = 0; i < N; i++) sum += X[t * N + i] * X[(t + l) * N + i];
    raw[l] = sum / (N * (run.samples - l));
  }
  let rms = 0;
  for (const v of run.synapticRms) rms += v / run.samples;
  return {
    N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, stateSeed: a.stateSeed,
    lags: Array.from(ac, (_, l) => l * a.sampleEvery), autocovariance: Array.from(ac), rawAutocovariance: Array.from(raw), synapticRms: rms, seconds: (Date.now() - started) / 1000,
  };
}

export interface DmftJobArgs {
  g: number; k: number; tauS: number; paths: number; record: number; maxLag: number; dt: number; seed: number; maxIterations?: number;
  /** Passed to plasticDmft when given (its defaults otherwise). */
  burnIn?: number; kernelLag?: number; tolerance?: number; initialCphi?: number; initialDecay?: number; controlVariate?: boolean;
}
export interface DmftJobResult {
  g: number; k: number; tauS: number; seed: number; paths: number; initialDecay: number;
  lags: number[]; autocovariance: number[]; phiAutocovariance: number[];
  /** Standard error of C_x over 8 groups of one map evaluation's paths (not of the fixed point: see dmftSeedSpread). */
  standardError: number[];
  tailFraction: number;
  phase: PlasticDmftPhase; converged: boolean; iterations: number; change: number; seconds: number;
}

export async function dmftJob(a: DmftJobArgs): Promise<DmftJobResult> {
  const r = plasticDmft({
    g: a.g, k: a.k, tauS: a.tauS, paths: a.paths, record: a.record, maxLag: a.maxLag, dt: a.dt, seed: a.seed, maxIterations: a.maxIterations ?? 60,
    burnIn: a.burnIn, kernelLag: a.kernelLag, tolerance: a.tolerance, initialCphi: a.initialCphi, initialDecay: a.initialDecay, controlVariate: a.controlVariate,
  });
  return {
    g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, paths: a.paths, initialDecay: a.initialDecay ?? 1,
    lags: Array.from(r.lags), autocovariance: Array.from(r.autocovariance), phiAutocovariance: Array.from(r.phiAutocovariance),
    standardError: Array.from(r.standardError), tailFraction: r.tailFraction,
    phase: r.phase, converged: r.converged, iterations: r.iterations, change: r.change, seconds: r.seconds,
  };
}

/**
 * The phase diagram's DMFT along one row of k at fixed g (and tau_s) by continuation: each k starts from the converged
 * C_phi of its neighbour in k, so the solve begins near its own fixed point (the fast default start at one point at a time
 * left 16 of 60 grid points unconverged in session 6: the map is nearly marginal in its slow mode, gain ~1 - 1/tau_c^2,
 * and from far away the Anderson iterates wander).
 *
 *   from 'zero': the row starts at the k nearest 0 and sweeps outward both ways. At k = 0 the start is the Gaussian DMFT
 *                that lib/meanfield's stationaryDmft solves by Newton (g > 1; below g = 1 the quiescent C = 0, an exact
 *                solution for every k: the memory term is O(C^2)).
 *   from 'top':  the row starts at its largest k from a large, slow guess (initialCphi, initialDecay) and sweeps down,
 *                looking for a non-quiescent solution that coexists with the quiescent one (Hebbian-induced chaos at g < 1).
 *
 * Each k continues from the last converged solution of the sweep. A step that does not converge within maxIterations is
 * retried from the same start with smaller, deeper-history steps (damping 0.25, Anderson depth 10, twice the iterations),
 * then from the next start in its list: the row's own first start (the Gaussian solution, or the large guess for 'top'), then the fast default start
 * C_phi = 0.5 e^{-u} (the old one-point-at-a-time solve); the result says which start converged and how many were tried.
 * A step whose neighbour collapsed to the quiescent solution starts from the large guess again (so 'top' keeps looking
 * below a collapse).
 */
export interface DmftRowJobArgs {
  g: number; tauS: number; ks: number[]; paths: number; record: number; maxLag: number; dt: number; seed: number;
  maxIterations?: number; burnIn?: number; tolerance?: number;
  /** plasticDmft's Gaussian control variate (default true; false: the plain path averages of sessions 6-8). */
  controlVariate?: boolean;
  from: 'zero' | 'top';
  /** The large guess of 'top' (defaults 0.6, 0 and 5): C_phi(u) = initialCphi ((1 - s) e^{-u/initialDecay} + s), s = initialStatic. */
  initialCphi?: number; initialStatic?: number; initialDecay?: number;
}

export interface DmftRowPoint extends DmftJobResult {
  from: 'zero' | 'top';
  /** The start that converged (the last one tried when none did): 'gaussian' (stationaryDmft), 'quiescent', 'guess' (the
   *  large slow guess), 'fast' (C_phi = 0.5 e^{-u}) or 'k = <neighbour>', with ' (patient)' for the smaller steps; the solves tried. */
  start: string;
  attempts: number;
}

function dmftPoint(r: PlasticDmft, a: DmftRowJobArgs, start: string, attempts: number, seconds: number): DmftRowPoint {
  return {
    g: a.g, k: r.k, tauS: a.tauS, seed: a.seed, paths: a.paths, initialDecay: a.initialDecay ?? 5, from: a.from, start, attempts,
    lags: Array.from(r.lags), autocovariance: Array.from(r.autocovariance), phiAutocovariance: Array.from(r.phiAutocovariance),
    standardError: Array.from(r.standardError), tailFraction: r.tailFraction,
    phase: r.phase, converged: r.converged, iterations: r.iterations, change: r.change, seconds,
  };
}

export async function dmftRowJob(a: DmftRowJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<DmftRowPoint[]> {
  const ks = [...a.ks].sort((p, q) => p - q);
  const base: PlasticDmftOptions = {
    g: a.g, k: 0, tauS: a.tauS, paths: a.paths, record: a.record, maxLag: a.maxLag, dt: a.dt, seed: a.seed, burnIn: a.burnIn,
    tolerance: a.tolerance, maxIterations: a.maxIterations ?? 60, controlVariate: a.controlVariate,
  };
  const guess = { initialCphi: a.initialCphi ?? 0.6, initialStatic: a.initialStatic ?? 0, initialDecay: a.initialDecay ?? 5 };
  type Start = [Partial<PlasticDmftOptions>, string];
  const fast: Start = [{}, 'fast'], large: Start = [guess, 'guess'];
  const patient = { damping: 0.25, andersonDepth: 10, maxIterations: 2 * (base.maxIterations ?? 60) };
  const solve = (k: number, starts: Start[]): DmftRowPoint => {
    const t0 = performance.now();
    const tried = starts.filter(([, label], i) => starts.findIndex(([, l]) => l === label) === i); // each start once
    // the first (the neighbour's solution, near the fixed point) also with smaller, deeper-history steps before moving on
    const plan: Start[] = tried.flatMap(([start, name], i) => (i === 0 && tried.length > 1 ? [[start, name], [{ ...start, ...patient }, `${name} (patient)`]] : [[start, name]]) as Start[]);
    let r: PlasticDmft | null = null, label = '', attempts = 0;
    for (const [start, name] of plan) {
      r = plasticDmft({ ...base, ...start, k });
      label = name; attempts++;
      if (r.converged) break;
    }
    return dmftPoint(r!, a, label, attempts, (performance.now() - t0) / 1000);
  };
  const neighbour = (p: DmftRowPoint): Start => (p.phase === 'quiescent' && a.from === 'top'
    ? large : [{ initial: { lags: p.lags, phiAutocovariance: p.phiAutocovariance } }, `k = ${p.k}`]);
  const out: DmftRowPoint[] = [];
  if (a.from === 'top') {
    let prev: DmftRowPoint | null = null;
    for (let i = ks.length - 1; i >= 0; i--) {
      ctx?.progress((ks.length - 1 - i) / ks.length, `g ${a.g}, k ${ks[i]} (from the top)`);
      const p = solve(ks[i], prev ? [neighbour(prev), large, fast] : [large, fast]);
      if (p.converged) prev = p; // continue from the last converged solution
      out.unshift(p);
    }
    return out;
  }
  const i0 = ks.reduce((b, k, i) => (Math.abs(k) < Math.abs(ks[b]) ? i : b), 0);
  const own: Start = a.g > 1 && ks[i0] === 0
    ? (() => { const e = stationaryDmft({ g: a.g, tableNodes: 65, quadrature: { dz: 0.06 } }); return [{ initial: { lags: e.lags, phiAutocovariance: e.phiAutocovariance } }, 'gaussian'] as Start; })()
    : a.g <= 1 ? [{ initialCphi: 0 }, 'quiescent'] : fast;
  const first = solve(ks[i0], [own, fast]);
  out[i0] = first;
  for (const dir of [1, -1]) {
    let prev = first;
    for (let i = i0 + dir; i >= 0 && i < ks.length; i += dir) {
      ctx?.progress(out.filter(Boolean).length / ks.length, `g ${a.g}, k ${ks[i]}`);
      const p = solve(ks[i], [neighbour(prev), own, fast]);
      if (p.converged) prev = p; // continue from the last converged solution
      out[i] = p;
    }
  }
  return out;
}

const PHASE_RANK: Record<PlasticDmftPhase, number> = { chaotic: 2, static: 1, quiescent: 0 };

/**
 * One DMFT answer per grid point from the solutions of several sweeps there (coexisting solutions: the quiescent one
 * below g = 1, fixed-point-like static ones at strong Hebbian k, chaotic ones): among the converged solutions the chaotic
 * one if any, else a static one, else the quiescent one -- the DMFT counterpart of a simulation started from a large,
 * chaotic-looking state. With no converged solution, the first one (its `converged` false says so).
 */
export function pickDmftSolution<T extends { phase: PlasticDmftPhase; converged: boolean }>(solutions: readonly T[]): T {
  if (!solutions.length) throw new ArgumentError('solutions', 'at least one solution', 0);
  const ok = solutions.filter((s) => s.converged);
  if (!ok.length) return solutions[0];
  return ok.reduce((b, s) => (PHASE_RANK[s.phase] > PHASE_RANK[b.phase] ? s : b));
}

export interface DmftSpread {
  g: number; k: number; solves: number; converged: number;
  lags: number[];
  /** Mean and standard deviation over the solves of C_x(u) / C_x(0), and of C_x(0). */
  mean: number[]; sd: number[];
  variance: number; varianceSd: number;
}

/**
 * The spread of converged DMFT solutions at one (g, k) over independent seeds (and starts): each seed's map is
 * deterministic (common random numbers), so its fixed point carries that seed's Monte-Carlo error times the
 * near-marginal map's amplification; the spread over seeds measures that error, which the per-evaluation
 * standard error does not. Only converged solves count (at least 2 needed for a s.d.; NaN otherwise).
 */
export function dmftSeedSpread(solves: readonly DmftJobResult[]): DmftSpread {
  const ok = solves.filter((t) => t.converged);
  const first = solves[0];
  const M = Math.min(...ok.map((t) => t.lags.length));
  const norm = ok.map((t) => t.autocovariance.slice(0, M).map((v) => v / t.autocovariance[0]));
  const stats = (v: number[]) => {
    const m = v.reduce((p, q) => p + q, 0) / v.length;
    return { m, sd: v.length > 1 ? Math.sqrt(v.reduce((p, q) => p + (q - m) ** 2, 0) / (v.length - 1)) : NaN };
  };
  const per = Array.from({ length: ok.length ? M : 0 }, (_, l) => stats(norm.map((c) => c[l])));
  const vs = stats(ok.map((t) => t.autocovariance[0]));
  return {
    g: first?.g ?? NaN, k: first?.k ?? NaN, solves: solves.length, converged: ok.length, lags: ok.length ? first.lags.slice(0, M) : [],
    mean: per.map((q) => q.m), sd: per.map((q) => q.sd), variance: ok.length ? vs.m : NaN, varianceSd: vs.sd,
  };
}

export interface SimulationAverage {
  k: number; N: number; networks: number; seeds: number[];
  lags: number[];
  /** The networks' mean raw autocovariance (unit means kept) and its standard error over networks at each lag. */
  rawAutocovariance: number[]; standardError: number[];
  variance: number; varianceStandardError: number;
}

/**
 * Several simulated networks at one (N, k): the mean of their raw autocovariances and the standard error over networks
 * (s.d. / sqrt(networks); NaN for one network). Single networks at g = 2 differ from each other by more than the DMFT's
 * error bar (slow, partly frozen states), so the comparison needs the average over networks with its own error bar.
 */
export function averageSimulations(sims: readonly AutocorrelationJobResult[]): SimulationAverage {
  if (!sims.length) throw new ArgumentError('sims', 'at least one simulation', 0);
  const L = Math.min(...sims.map((s) => s.rawAutocovariance.length)), n = sims.length;
  const mean = Array.from({ length: L }, (_, l) => sims.reduce((a, s) => a + s.rawAutocovariance[l], 0) / n);
  const se = mean.map((m, l) => (n > 1 ? Math.sqrt(sims.reduce((a, s) => a + (s.rawAutocovariance[l] - m) ** 2, 0) / (n - 1) / n) : NaN));
  return {
    k: sims[0].k, N: sims[0].N, networks: n, seeds: sims.map((s) => s.seed), lags: sims[0].lags.slice(0, L),
    rawAutocovariance: mean, standardError: se, variance: mean[0], varianceStandardError: se[0],
  };
}

/**
 * Simulation against theory on the lags both have: the largest |C_sim/C_sim(0) - C_th/C_th(0)| over lags up to
 * `upTo` (the theory interpolated linearly onto the simulation's lags) and the relative variance gap.
 */
export function autocorrelationGap(sim: { lags: readonly number[]; c: readonly number[] }, theory: { lags: readonly number[]; c: readonly number[] }, upTo: number): { maxGap: number; atLag: number; varianceGap: number } {
  const dt = theory.lags[1] - theory.lags[0];
  let maxGap = 0, atLag = 0;
  for (let i = 0; i < sim.lags.length && sim.lags[i] <= upTo; i++) {
    const u = sim.lags[i] / dt, l = Math.floor(u);
    if (l + 1 >= theory.c.length) break;
    const th = (theory.c[l] + (u - l) * (theory.c[l + 1] - theory.c[l])) / theory.c[0];
    const gap = Math.abs(sim.c[i] / sim.c[0] - th);
    if (gap > maxGap) { maxGap = gap; atLag = sim.lags[i]; }
  }
  return { maxGap, atLag, varianceGap: (theory.c[0] - sim.c[0]) / sim.c[0] };
}

// ---------------------------------------------------------------------------
// (b) phase diagram and (c) exponents

export type SimulatedPhase = 'quiescent' | 'fixed point' | 'chaotic' | 'other';

/**
 * quiescent: rms x < 1e-3; chaotic: lambda_1 > max(0.005, 2 s.e.); fixed point: max |dx/dt| < 1e-3 at the end;
 * other (a limit cycle, or a transient too slow for the run): everything else.
 */
export function classifyPhase(r: { rmsX: number; lambda1: number; lambda1Error: number; speed: number }): SimulatedPhase {
  if (r.rmsX < 1e-3) return 'quiescent';
  if (r.lambda1 > Math.max(0.005, 2 * r.lambda1Error)) return 'chaotic';
  if (r.speed < 1e-3) return 'fixed point';
  return 'other';
}

export interface PhaseJobArgs extends NetworkArgs { time: number; frameTransient: number; frameSeed: number }
export interface PhaseJobResult {
  N: number; g: number; k: number; tauS: number; seed: number;
  lambda1: number; lambda1Error: number; rmsX: number; speed: number; phase: SimulatedPhase; seconds: number;
}

export async function phaseJob(a: PhaseJobArgs): Promise<PhaseJobResult> {
  const started = Date.now();
  const { net, state } = network(a);
  const ly = lyapunovSpectrum(net.tangentSystem(), state, {
    k: 1, time: a.time, dt: DT, transient: a.transient, frameTransient: a.frameTransient, seed: a.frameSeed, orthonormalizeEvery: 10, progress: false,
  });
  const s = ly.state, d = new Float64Array(net.dim);
  net.derivative(s, d);
  let rms = 0, speed = 0;
  for (let i = 0; i < a.N; i++) { rms += s[i] * s[i] / a.N; speed = Math.max(speed, Math.abs(d[i])); }
  const r = { lambda1: ly.exponents[0], lambda1Error: ly.standardErrors[0], rmsX: Math.sqrt(rms), speed };
  return { N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, ...r, phase: classifyPhase(r), seconds: (Date.now() - started) / 1000 };
}

export interface SpectrumJobArgs extends NetworkArgs { exponents: number; time: number; frameTransient: number; frameSeed: number }
export interface SpectrumJobResult {
  N: number; g: number; k: number; tauS: number; seed: number;
  exponents: number[]; standardErrors: number[]; kaplanYorke: number; seconds: number;
}

export async function spectrumJob(a: SpectrumJobArgs): Promise<SpectrumJobResult> {
  const started = Date.now();
  const { net, state } = network(a);
  const ly = lyapunovSpectrum(net.tangentSystem(), state, {
    k: a.exponents, time: a.time, dt: DT, transient: a.transient, frameTransient: a.frameTransient, seed: a.frameSeed, orthonormalizeEvery: 5, progress: false,
  });
  return {
    N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, exponents: Array.from(ly.exponents), standardErrors: Array.from(ly.standardErrors),
    kaplanYorke: kaplanYorkeDimension(ly.exponents), seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------
// (d) freezing

export interface FreezeJobArgs extends NetworkArgs {
  /** Number of halts, at times drawn uniformly in [0, window] after the transient (seeded by haltSeed). */
  halts: number;
  window: number;
  haltSeed: number;
  /** Longest neuronal run after a halt. */
  freezeTime: number;
}

export interface FreezeRecord {
  haltTime: number;
  converged: boolean;
  stable: boolean;
  maxRealPart: number;
  distance: number;
  correlation: number;
  time: number;
}

export interface FreezeJobResult {
  N: number; g: number; k: number; tauS: number; seed: number; haltSeed: number;
  records: FreezeRecord[];
  /** lambda_1 would need another run; the speed of x just before each halt shows the state was moving. */
  speedAtHalt: number[];
  seconds: number;
}

export async function freezeJob(a: FreezeJobArgs): Promise<FreezeJobResult> {
  const started = Date.now();
  checkInteger('halts', a.halts, 1);
  checkNumber('window', a.window, DT);
  const { net, state } = network(a);
  net.run(state, { dt: DT, time: 0, transient: a.transient });
  const rng = new Rng(a.haltSeed);
  const times = Array.from({ length: a.halts }, () => Math.round((rng.uniform() * a.window) / DT) * DT).sort((p, q) => p - q);
  const records: FreezeRecord[] = [], speedAtHalt: number[] = [];
  const d = new Float64Array(net.dim);
  let t = 0;
  for (const h of times) {
    const steps = Math.round((h - t) / DT);
    for (let i = 0; i < steps; i++) net.step(state, { dt: DT });
    t = h;
    net.derivative(state, d);
    let sp = 0;
    for (let i = 0; i < a.N; i++) sp = Math.max(sp, Math.abs(d[i]));
    speedAtHalt.push(sp);
    const r = net.freeze(state, { dt: DT, time: a.freezeTime, tolerance: 1e-7 });
    records.push({ haltTime: h, converged: r.converged, stable: r.stable, maxRealPart: r.maxRealPart, distance: r.distance, correlation: r.correlation, time: r.time });
  }
  return { N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, haltSeed: a.haltSeed, records, speedAtHalt, seconds: (Date.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// (d') stable fixed points against N

export interface FixedPointJobArgs {
  N: number; g: number; k: number; tauS: number; seed: number;
  /** Random starts x ~ N(0, initialVariance) with A at its steady value (seeds startSeed + i). */
  starts: number; startSeed: number; initialVariance?: number;
  /** Longest run per start; a start counts as converged when max |d(x, A)/dt| < 1e-7. */
  time: number;
}
export interface FixedPointJobResult { N: number; g: number; k: number; tauS: number; seed: number; starts: number; converged: number; distinct: number; seconds: number }

/**
 * Distinct fixed points of the joint system reached from random starts (a lower bound on the number of stable
 * ones: an end point of the flow from a random start is attracting almost surely). Two end points are the same
 * when their x differ by less than 1e-4 in every unit (the flow converges to 1e-7).
 */
export async function fixedPointJob(a: FixedPointJobArgs): Promise<FixedPointJobResult> {
  const started = Date.now();
  checkInteger('starts', a.starts, 1);
  const net = new PlasticRateNetwork({ N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed });
  const d = new Float64Array(net.dim), found: Float64Array[] = [];
  let converged = 0;
  for (let s = 0; s < a.starts; s++) {
    const state = net.initialState(a.startSeed + s, a.initialVariance ?? 4, 'steady');
    let speed = Infinity;
    for (let t = 0; t < a.time && speed >= 1e-7; t += 10) {
      net.run(state, { dt: DT, time: 0, transient: 10 });
      net.derivative(state, d);
      speed = 0;
      for (let i = 0; i < net.dim; i++) speed = Math.max(speed, Math.abs(d[i]));
    }
    if (speed >= 1e-7) continue;
    converged++;
    const x = state.subarray(0, a.N);
    if (!found.some((f) => f.every((v, i) => Math.abs(v - x[i]) < 1e-4))) found.push(Float64Array.from(x));
  }
  return { N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, starts: a.starts, converged, distinct: found.length, seconds: (Date.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// (e) joint Jacobian spectra

/**
 * Among eigenvalues with positive real part, the mean of |arg(lambda)| in degrees (0: on the real
 * axis, 90: on the imaginary axis); NaN when none is unstable.
 */
export function unstableAngle(re: ArrayLike<number>, im: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < re.length; i++) if (re[i] > 0) { s += Math.abs(Math.atan2(im[i], re[i])) * 180 / Math.PI; n++; }
  return n ? s / n : NaN;
}

export interface JacobianJobArgs extends NetworkArgs { states: number; spacing: number }
export interface JacobianJobResult {
  N: number; g: number; k: number; tauS: number; seed: number;
  /** The 2N non-trivial eigenvalues at each state (states x 2N, concatenated). */
  re: number[]; im: number[];
  synapticValue: number; synapticMultiplicity: number;
  unstable: number; unstableAngle: number; seconds: number;
}

export async function jacobianJob(a: JacobianJobArgs): Promise<JacobianJobResult> {
  const started = Date.now();
  const { net, state } = network(a);
  net.run(state, { dt: DT, time: 0, transient: a.transient });
  const re: number[] = [], im: number[] = [];
  let sv = 0, sm = 0;
  for (let s = 0; s < a.states; s++) {
    if (s > 0) net.run(state, { dt: DT, time: a.spacing });
    const e = net.jointSpectrum(state);
    re.push(...e.re); im.push(...e.im);
    sv = e.synapticValue; sm = e.synapticMultiplicity;
  }
  return {
    N: a.N, g: a.g, k: a.k, tauS: a.tauS, seed: a.seed, re, im, synapticValue: sv, synapticMultiplicity: sm,
    unstable: re.filter((v) => v > 0).length / a.states, unstableAngle: unstableAngle(re, im), seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------
// Derived numbers, estimate, figures, table

/** First lag where C(tau)/C(0) falls below 1/2 (linear interpolation), or NaN. */
export function halfDecayTime(lags: ArrayLike<number>, c: ArrayLike<number>): number {
  for (let l = 1; l < c.length; l++) {
    const a = c[l - 1] / c[0], b = c[l] / c[0];
    if (b < 0.5) return lags[l - 1] + (lags[l] - lags[l - 1]) * (a - 0.5) / (a - b);
  }
  return NaN;
}

/** Smallest C(tau)/C(0) over the lags (negative: an oscillatory undershoot). */
export function minimumNormalized(c: ArrayLike<number>): number {
  let m = Infinity;
  for (let l = 0; l < c.length; l++) m = Math.min(m, c[l] / c[0]);
  return m;
}

/**
 * Phase boundaries along k at each g: midpoints between adjacent grid values of k where the phase
 * changes, one line per kind of change ('a|b' sorted by name).
 */
export function phaseBoundaries<P extends string>(points: readonly { g: number; k: number; phase: P }[]): Record<string, { g: number[]; k: number[] }> {
  const out: Record<string, { g: number[]; k: number[] }> = {};
  const gs = [...new Set(points.map((p) => p.g))].sort((a, b) => a - b);
  for (const g of gs) {
    const row = points.filter((p) => p.g === g).sort((a, b) => a.k - b.k);
    for (let i = 1; i < row.length; i++) {
      if (row[i].phase === row[i - 1].phase) continue;
      const key = [row[i - 1].phase, row[i].phase].sort().join(' | ');
      (out[key] ??= { g: [], k: [] });
      out[key].g.push(g);
      out[key].k.push((row[i].k + row[i - 1].k) / 2);
    }
  }
  return out;
}

export interface RunPlan {
  /** Simulated time (transients included) per network and its N, with the number of tangent vectors (0: none). */
  runs: { N: number; time: number; vectors: number }[];
  /** DMFT solves: paths x steps per path x lags, and iterations. */
  dmft: { paths: number; steps: number; lags: number; iterations: number }[];
  workers: number;
}

/**
 * Estimated seconds on an idle machine: a step of the joint RK4 costs ~4 x 4 N^2 flops plus ~4 x 4 N^2
 * per tangent vector (JS loops and GEMV, taken at 0.3 GFLOP/s); a DMFT iteration ~2 x paths x steps x lags
 * (at 0.3 GFLOP/s); divided over the workers.
 */
export function estimatedRunSeconds(p: RunPlan): number {
  const rate = 0.3e9;
  let flops = 0;
  for (const r of p.runs) flops += (r.time / DT) * 16 * r.N * r.N * (1 + r.vectors);
  for (const d of p.dmft) flops += 2 * d.paths * d.steps * d.lags * d.iterations;
  return flops / rate / Math.max(1, p.workers);
}

export function autocorrelationFigure(sims: readonly AutocorrelationJobResult[], theory: readonly DmftJobResult[]): Figure {
  const series: LineSeries[] = [];
  sims.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    series.push({ x: s.lags, y: s.autocovariance.map((v) => v / s.autocovariance[0]), name: `simulation k = ${s.k} (N = ${s.N})`, color });
    const t = theory.find((d) => d.k === s.k && d.g === s.g);
    if (t) series.push({ x: t.lags, y: t.autocovariance.map((v) => v / t.autocovariance[0]), name: `DMFT k = ${t.k}`, color, dash: 'dash' });
  });
  return line(series, { title: 'Autocorrelation of x: Hebbian (k > 0) slows, anti-Hebbian (k < 0) quickens and oscillates', xLabel: 'lag tau', yLabel: 'C_x(tau) / C_x(0)' });
}

/** Hebbian DMFT (mean over seeds, s.d. as error bars) beside the simulations' raw autocovariance (unit means kept). */
export function hebbianFigure(sims: readonly AutocorrelationJobResult[], spreads: readonly DmftSpread[], every = 10): Figure {
  const series: LineSeries[] = [];
  const ks = [...new Set([...sims.map((s) => s.k), ...spreads.map((s) => s.k)])].sort((a, b) => a - b);
  ks.forEach((k, i) => {
    const color = PALETTE[i % PALETTE.length];
    for (const s of sims.filter((q) => q.k === k).sort((a, b) => a.N - b.N)) {
      series.push({ x: s.lags, y: s.rawAutocovariance.map((v) => v / s.rawAutocovariance[0]), name: `simulation k = ${k}, N = ${s.N}`, color, dash: s.N === Math.max(...sims.filter((q) => q.k === k).map((q) => q.N)) ? undefined : 'dot' });
    }
    const d = spreads.find((q) => q.k === k);
    if (d && d.converged > 0) {
      const idx = d.lags.map((_, l) => l).filter((l) => l % every === 0);
      series.push({ x: idx.map((l) => d.lags[l]), y: idx.map((l) => d.mean[l]), error: idx.map((l) => (Number.isFinite(d.sd[l]) ? d.sd[l] : 0)), name: `DMFT k = ${k} (${d.converged} solves, s.d.)`, color, dash: 'dash', mode: 'lines+markers' });
    }
  });
  return line(series, { title: 'Hebbian plasticity: DMFT (mean +- s.d. over seeds) beside simulations (unit means kept)', xLabel: 'lag tau', yLabel: 'C_x(tau) / C_x(0)' });
}

const PHASE_COLORS: Record<string, string> = { quiescent: '#888888', 'fixed point': '#1f77b4', chaotic: '#d62728', other: '#2ca02c', static: '#1f77b4' };

export function phaseDiagramFigure(points: readonly PhaseJobResult[], theory: readonly DmftJobResult[], title = 'Phase diagram (simulation markers, DMFT boundaries as lines)'): Figure {
  const kinds: SimulatedPhase[] = ['quiescent', 'fixed point', 'chaotic', 'other'];
  const groups = kinds.map((phase) => ({ phase, pts: points.filter((p) => p.phase === phase) })).filter((x) => x.pts.length > 0);
  const fig = scatter(groups.map(({ phase, pts }) => ({
    x: pts.map((p) => p.g), y: pts.map((p) => p.k), name: `simulation: ${phase}`, color: PHASE_COLORS[phase], size: 11,
    text: pts.map((p) => `lambda_1 ${p.lambda1.toFixed(3)} +- ${p.lambda1Error.toFixed(3)}`),
  })), { title, xLabel: 'g', yLabel: 'k' });
  const bounds = phaseBoundaries(theory.map((t) => ({ g: t.g, k: t.k, phase: t.phase })));
  Object.entries(bounds).forEach(([key, b], i) => {
    fig.data.push({ type: 'scatter', mode: 'lines+markers', x: b.g, y: b.k, name: `DMFT: ${key}`, line: { dash: 'dash', color: PALETTE[(i + 4) % PALETTE.length] }, marker: { symbol: 'x' } });
  });
  return fig;
}

export function lyapunovFigure(points: readonly { k: number; lambda1: number; error: number; N: number }[], label: string): Figure {
  return line([{ x: points.map((p) => p.k), y: points.map((p) => p.lambda1), error: points.map((p) => 2 * p.error), name: label, mode: 'lines+markers' }],
    { title: 'Largest Lyapunov exponent of the joint system against k (2 s.e.)', xLabel: 'k', yLabel: 'lambda_1 (per tau)' });
}

export function dimensionFigure(spectra: readonly SpectrumJobResult[]): Figure {
  return line([{ x: spectra.map((s) => s.k), y: spectra.map((s) => s.kaplanYorke), name: `Kaplan-Yorke dimension (N = ${spectra[0]?.N}, ${spectra[0]?.exponents.length} exponents)`, mode: 'lines+markers' }],
    { title: 'Attractor dimension against k', xLabel: 'k', yLabel: 'Kaplan-Yorke dimension' });
}

export function freezeFigure(runs: readonly FreezeJobResult[]): Figure {
  return scatter(runs.map((r, i) => ({
    x: r.records.map((q) => q.correlation), y: r.records.map((q) => q.maxRealPart), name: `k = ${r.k}`, color: PALETTE[i % PALETTE.length], size: 9,
    text: r.records.map((q) => `halt at ${q.haltTime.toFixed(1)}: ${q.converged ? 'converged' : 'not converged'}, distance ${q.distance.toFixed(3)}`),
  })), { title: 'Halting plasticity: where the neurons end (corr with x at the halt) and the stability there', xLabel: 'corr(x*, x(t_halt))', yLabel: 'max Re eigenvalue of -I + J diag(phi\'(x*))' });
}

export function jacobianFigure(runs: readonly JacobianJobResult[]): Figure {
  return scatter(runs.map((r, i) => ({ x: r.re, y: r.im, name: `k = ${r.k}`, color: PALETTE[i % PALETTE.length], size: 4 })),
    { title: 'Joint neuron-synapse Jacobian spectra (2N non-trivial eigenvalues; the rest at -1/tau_s)', xLabel: 'Re lambda', yLabel: 'Im lambda' });
}

export interface ReproductionRow { effect: string; paper: string; measured: string; present: string; settings: string }

const sign = (v: number) => (v > 0 ? 'yes' : 'no');

/** Qualitative rows: the direction and presence of each effect, from this run's numbers. */
export function reproductionRows(o: {
  sims: readonly AutocorrelationJobResult[]; theory: readonly DmftJobResult[]; phases: readonly PhaseJobResult[];
  lambdaByK: readonly { k: number; lambda1: number; error: number }[]; spectra: readonly SpectrumJobResult[];
  freezes: readonly FreezeJobResult[]; jacobians: readonly JacobianJobResult[]; settings: Record<string, string>;
  /** Hebbian DMFT (seed spread) against the largest-N simulation at each k, with the tolerance the row is read at. */
  dmftChecks?: readonly { k: number; N: number; spread: DmftSpread; gap: ReturnType<typeof autocorrelationGap>; upTo: number; tolerance: number }[];
  /** The phase diagram's DMFT, one answer per grid point (pickDmftSolution): its chaotic points at g < 1, k > 0 join that row. */
  dmftPhases?: readonly { g: number; k: number; tauS: number; phase: PlasticDmftPhase; converged: boolean }[];
}): ReproductionRow[] {
  const rows: ReproductionRow[] = [];
  for (const c of o.dmftChecks ?? []) {
    const sd = Math.max(...c.spread.sd.filter((v) => Number.isFinite(v)), 0);
    rows.push({ effect: `Hebbian DMFT = large-N simulation (k = ${c.k})`, paper: 'DMFT solves the N -> infinity limit',
      measured: `${c.spread.converged} of ${c.spread.solves} solves converged; C_x/C_x(0) within ${c.gap.maxGap.toFixed(3)} of N = ${c.N} up to lag ${c.upTo} (largest at ${c.gap.atLag}), variance ${c.spread.variance.toFixed(2)} +- ${c.spread.varianceSd.toFixed(2)} (${(100 * c.gap.varianceGap).toFixed(1)}% from the simulation), seed s.d. of C_x/C_x(0) up to ${sd.toFixed(3)}`,
      present: c.spread.converged >= 2 && c.gap.maxGap <= c.tolerance && Math.abs(c.gap.varianceGap) <= c.tolerance ? `yes (within ${c.tolerance})` : `no (tolerance ${c.tolerance})`, settings: o.settings.a2 ?? o.settings.a });
  }
  const by = (k: number) => o.sims.find((s) => s.k === k);
  const zero = by(0), heb = o.sims.filter((s) => s.k > 0).sort((a, b) => a.k - b.k)[0], anti = o.sims.filter((s) => s.k < 0).sort((a, b) => b.k - a.k)[0];
  const half = (s: AutocorrelationJobResult | undefined) => (s ? halfDecayTime(s.lags, s.autocovariance) : NaN);
  const dm = (k: number | undefined) => o.theory.find((t) => t.k === k && t.g === (zero?.g ?? t.g));
  const dHalf = (t: DmftJobResult | undefined) => (t ? halfDecayTime(t.lags, t.autocovariance) : NaN);
  if (zero && heb) {
    rows.push({ effect: 'Hebbian plasticity slows chaotic activity', paper: 'longer C_x decay for k > 0',
      measured: `half-decay time ${half(heb).toFixed(2)} at k = ${heb.k} vs ${half(zero).toFixed(2)} at k = 0 (DMFT ${dHalf(dm(heb.k)).toFixed(2)} vs ${dHalf(dm(0)).toFixed(2)})`,
      // a half-decay beyond the largest lag (NaN) counts as slower than any measured one
      present: sign((Number.isNaN(half(heb)) ? Infinity : half(heb)) - half(zero)), settings: o.settings.a });
  }
  if (zero && anti) {
    const m0 = minimumNormalized(zero.autocovariance), ma = minimumNormalized(anti.autocovariance);
    rows.push({ effect: 'anti-Hebbian plasticity quickens activity', paper: 'shorter C_x decay for k < 0',
      measured: `half-decay time ${half(anti).toFixed(2)} at k = ${anti.k} vs ${half(zero).toFixed(2)} (DMFT ${dHalf(dm(anti.k)).toFixed(2)} vs ${dHalf(dm(0)).toFixed(2)})`,
      present: sign(half(zero) - half(anti)), settings: o.settings.a });
    const ta = dm(anti.k), t0 = dm(0);
    rows.push({ effect: 'anti-Hebbian plasticity adds an oscillatory component', paper: 'C_x(tau) undershoots below 0',
      measured: `min C_x/C_x(0) ${ma.toFixed(3)} at k = ${anti.k} vs ${m0.toFixed(3)} at k = 0${ta && t0 ? ` (DMFT ${minimumNormalized(ta.autocovariance).toFixed(3)} vs ${minimumNormalized(t0.autocovariance).toFixed(3)})` : ''}`,
      present: ma < Math.min(0, m0) ? 'yes' : 'no', settings: o.settings.a });
  }
  const induced = o.phases.filter((p) => p.g < 1 && p.k > 0 && p.phase === 'chaotic');
  const quiet = o.phases.filter((p) => p.g < 1 && p.k === 0);
  const dmftInduced = (o.dmftPhases ?? []).filter((p) => p.g < 1 && p.k > 0 && p.phase === 'chaotic' && p.converged);
  const dmftNote = o.dmftPhases ? `; DMFT (converged) chaotic at ${dmftInduced.map((p) => `g ${p.g}, k ${p.k}, tau_s ${p.tauS}`).join('; ') || 'no g < 1 point'}` : '';
  rows.push({ effect: 'Hebbian plasticity makes a g < 1 network chaotic', paper: 'a chaotic region at g < 1, k > k_c(g)',
    measured: `${induced.length} of ${o.phases.filter((p) => p.g < 1 && p.k > 0).length} grid points with g < 1, k > 0 chaotic (${induced.map((p) => `g ${p.g}, k ${p.k}, tau_s ${p.tauS}: lambda_1 ${p.lambda1.toFixed(3)} +- ${p.lambda1Error.toFixed(3)}`).join('; ') || 'none'}); k = 0 at g < 1: ${quiet.map((p) => p.phase).join(', ') || '-'}${dmftNote}`,
    present: induced.length > 0 ? 'yes' : 'no', settings: o.settings.b });
  const fixed = o.phases.filter((p) => p.phase === 'fixed point' && p.k > 0);
  rows.push({ effect: 'strong Hebbian plasticity gives stable fixed points', paper: 'exponentially many stable fixed points at large k',
    measured: `${fixed.length} grid points with k > 0 end at a fixed point (smallest k ${fixed.length ? Math.min(...fixed.map((p) => p.k)) : '-'})`, present: fixed.length > 0 ? 'yes (a fixed point reached; not counted)' : 'no', settings: o.settings.b });
  if (o.lambdaByK.length >= 3) {
    const ks = [...o.lambdaByK].sort((a, b) => a.k - b.k), l0 = ks.find((p) => p.k === 0);
    const peak = ks.reduce((a, b) => (b.lambda1 > a.lambda1 ? b : a));
    const nonmono = peak.k > 0 && l0 !== undefined && peak.lambda1 > l0.lambda1 && ks[ks.length - 1].lambda1 < peak.lambda1;
    rows.push({ effect: 'lambda_max non-monotonic in k (rises, then falls)', paper: 'rises then falls with Hebbian k',
      measured: ks.map((p) => `k ${p.k}: ${p.lambda1.toFixed(3)}`).join(', '), present: nonmono ? 'yes' : 'no', settings: o.settings.c });
  }
  if (o.spectra.length >= 3) {
    const ks = [...o.spectra].sort((a, b) => a.k - b.k), d0 = ks.find((p) => p.k === 0);
    const peak = ks.reduce((a, b) => (b.kaplanYorke > a.kaplanYorke ? b : a));
    const nonmono = peak.k > 0 && d0 !== undefined && peak.kaplanYorke > d0.kaplanYorke && ks[ks.length - 1].kaplanYorke < peak.kaplanYorke;
    rows.push({ effect: 'attractor dimension non-monotonic in k', paper: 'rises then falls with Hebbian k',
      measured: ks.map((p) => `k ${p.k}: ${p.kaplanYorke.toFixed(1)}`).join(', '), present: nonmono ? 'yes' : 'no', settings: o.settings.c2 });
  }
  for (const f of o.freezes) {
    const st = f.records.filter((r) => r.stable);
    const near = st.filter((r) => r.correlation > 0.9);
    rows.push({ effect: `freezable chaos (k = ${f.k})`, paper: 'strong k: halting plasticity leaves a stable fixed point near the current state',
      measured: `${st.length} of ${f.records.length} halts reach a stable fixed point, ${near.length} with corr(x*, x) > 0.9 (median distance ${(st.length ? median(st.map((r) => r.distance)) : NaN).toFixed(3)})`,
      present: f.k > 0 ? (near.length > f.records.length / 2 ? 'yes' : 'no') : (st.length < f.records.length / 2 ? 'yes (fails, as expected)' : 'no'), settings: o.settings.d });
  }
  const jh = o.jacobians.find((j) => j.k > 0), ja = o.jacobians.find((j) => j.k < 0), j0 = o.jacobians.find((j) => j.k === 0);
  if (jh && ja) {
    rows.push({ effect: 'Hebbian pushes unstable modes toward the real axis, anti-Hebbian toward the imaginary axis', paper: 'mean |arg| of unstable eigenvalues: Hebbian < k = 0 < anti-Hebbian',
      measured: `mean |arg| of unstable eigenvalues ${jh.unstableAngle.toFixed(1)} deg (k = ${jh.k}), ${j0 ? `${j0.unstableAngle.toFixed(1)} deg (k = 0), ` : ''}${ja.unstableAngle.toFixed(1)} deg (k = ${ja.k})`,
      present: jh.unstableAngle < ja.unstableAngle && (!j0 || (jh.unstableAngle <= j0.unstableAngle && j0.unstableAngle <= ja.unstableAngle)) ? 'yes' : 'no', settings: o.settings.e });
  }
  return rows;
}
