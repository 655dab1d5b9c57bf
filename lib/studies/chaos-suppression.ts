/**
 * Study: suppressing chaos with input in balanced networks, common against independent drive
 * (notebooks/chaos-suppression.ipynb; Engelken, Ingrosso, Khajeh, Goedeke & Abbott 2022, "Input correlations
 * impede suppression of chaos and learning in balanced firing-rate networks", PLoS CB 18:e1010590,
 * arXiv:2201.09916). The network is lib/circuits' BalancedNetwork ('gaussian', ReLU, K = N):
 *
 *   dh_i/dt = -h_i + sum_j J_ij phi(h_j) + sqrt(N) I0 + I1 sin(2 pi f t + theta_i),  J_ij = -J0/sqrt(N) + g z_ij/sqrt(N)
 *
 * integrated by the Euler map with step dt = min(0.05, 1.8 / (1 + sqrt N)) (the mean mode's multiplier
 * 1 - dt (1 + sqrt(N) J0 <phi'>) must stay inside (-1, 1) even when the input activates every neuron), and its
 * theory is lib/meanfield's nonstationaryDmft of the same map (same dt). Here:
 *
 *   simulationJob   lambda_1 of one network and input (one tangent vector, renormalised every tau), mean rate
 *   theoryJob       lambda_1, mean rate and variance from the non-stationary DMFT at one input
 *   quasiStaticJob  the stationary (no-input) DMFT's lambda_1 at a frozen input sqrt(N) I0 + I1 sin(phase)
 *   mechanismJob    a slow common input: the population rate and the local exponent along the cycle
 *   cycleStatisticsJob  a simulation's population mean and variance of h and mean rate, folded onto the input cycle
 *                   (set beside the DMFT's m(t), c(t, t), nu(t): theoryJob with `bins`)
 *   criticalAmplitude   the zero crossing of lambda_1(I1) by linear interpolation between bracketing amplitudes
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'simulationJob' | 'theoryJob' | 'quasiStaticJob' | 'mechanismJob', args }`.
 * Exports: STUDY_MODULE, PAPER_SETTINGS, stepFor, SimulationArgs, SimulationResult, simulationJob, TheoryArgs,
 * TheoryResult, theoryJob, quasiStaticJob, MechanismArgs, MechanismResult, mechanismJob, CycleArgs, CycleStatistics,
 * cycleStatisticsJob, criticalAmplitude, averagedCrossing, networkCrossings, meanAndError, estimatedRunSeconds, amplitudeFigure,
 * criticalFigure, frequencyFigure, mechanismFigure, cycleFigure, reproductionRows.
 */
import { ArgumentError, blockStandardError, checkInteger, checkNumber } from '../core';
import { BalancedNetwork, InputPhases } from '../circuits';
import { nonstationaryDmft } from '../meanfield';
import { Figure, LineSeries, line } from '../plot';
import { PowerLawFit } from './balanced-predictive-coding';

export const STUDY_MODULE = 'lib/studies/chaos-suppression';

/** The paper's settings (figure captions): N = 5000, g = 2, I0 = J0 = 1, f = 0.2 / tau (Fig 2, 3A), 10 networks. */
export const PAPER_SETTINGS = { N: 5000, g: 2, I0: 1, J0: 1, f: 0.2, slowF: 0.01, realisations: 10 } as const;

/** The Euler step used at size N (theory and simulation alike). */
export function stepFor(N: number): number {
  return Math.min(0.05, 1.8 / (1 + Math.sqrt(checkNumber('N', N, 1))));
}

// ---------------------------------------------------------------------------
// Pool jobs

export interface SimulationArgs {
  N: number;
  g: number;
  /** Input amplitude I1 (absolute units), frequency, phases ('common' or 'independent'). */
  I1: number;
  f: number;
  phases: InputPhases;
  /** Seeds of the couplings, the initial state, the tangent vector and the phases. */
  seed: number;
  stateSeed: number;
  /** Averaging time, state transient, tangent transient (tau). */
  time: number;
  transient: number;
  tangentTransient: number;
  /** Euler step (default stepFor(N)). */
  dt?: number;
}

export interface SimulationResult extends SimulationArgs {
  lambda1: number;
  /** Standard error of lambda_1 over 10 blocks of the averaging time. */
  lambda1Error: number;
  meanRate: number;
  dt: number;
  seconds: number;
}

/** lambda_1 of one balanced network under one input. */
export async function simulationJob(a: SimulationArgs): Promise<SimulationResult> {
  const started = performance.now();
  const dt = a.dt ?? stepFor(a.N);
  const net = new BalancedNetwork({ N: a.N, g: a.g, seed: a.seed });
  net.setInput({ amplitude: a.I1, frequency: a.f, phases: a.phases, seed: a.stateSeed + 1000 });
  const r = net.largestLyapunov(net.initialState(a.stateSeed), { dt, time: a.time, transient: a.transient, tangentTransient: a.tangentTransient, seed: a.stateSeed + 2000 });
  // 10 blocks of whole 1-tau intervals (the last length mod 10 left out of the error, not of lambda_1).
  const blocks = 10, per = Math.floor(r.localExponents.length / blocks);
  const means: number[] = [];
  for (let b = 0; b < blocks && per > 0; b++) { let s = 0; for (let k = b * per; k < (b + 1) * per; k++) s += r.localExponents[k]; means.push(s / per); }
  return {
    ...a, dt, lambda1: r.exponent, lambda1Error: blockStandardError(means),
    meanRate: r.meanRate.reduce((s, v) => s + v, 0) / r.meanRate.length, seconds: (performance.now() - started) / 1000,
  };
}

export interface TheoryArgs {
  /** The network size (K = N: the mean coupling and drive scale as sqrt N). */
  N: number;
  g: number;
  I1: number;
  f: number;
  phases: 'common' | 'independent';
  /** Phases averaged for independent input (default 8). */
  phaseCount?: number;
  /** Steps and band of the two-time grid (step stepFor(N) unless dt is given). */
  steps: number;
  band: number;
  dt?: number;
  /** Constant drive I0 (default 1). */
  I0?: number;
  /** With f > 0: also fold the last input period's m(t) (phase 0), c(t, t) and nu(t) into this many phase bins. */
  bins?: number;
}

/** Population statistics folded onto the input cycle: bin centres (radians) and the bin means. */
export interface CycleFold {
  phase: number[];
  mean: number[];
  variance: number[];
  rate: number[];
}

export interface TheoryResult extends TheoryArgs {
  lambda1: number;
  dt: number;
  /** Mean population rate and mean variance c(t, t) over the last quarter. */
  meanRate: number;
  variance: number;
  /** With `bins`: the last period folded (see CycleFold). */
  cycle?: CycleFold;
  seconds: number;
}

/** Bin means of values at times `t` by the phase of period `period` (bins of equal width from phase 0). */
function fold(t: ArrayLike<number>, series: ArrayLike<number>[], period: number, bins: number, from: number): { phase: number[]; values: number[][] } {
  const sums = series.map(() => new Array(bins).fill(0)), count = new Array(bins).fill(0);
  for (let k = 0; k < t.length; k++) {
    if (t[k] < from - 1e-9) continue;
    // (a sample on a bin edge goes to the later bin despite rounding)
    const b = Math.floor(((((t[k] / period) % 1) + 1) % 1) * bins + 1e-9) % bins;
    series.forEach((v, j) => { sums[j][b] += v[k]; });
    count[b]++;
  }
  return { phase: Array.from({ length: bins }, (_, b) => (2 * Math.PI * (b + 0.5)) / bins), values: sums.map((v) => v.map((x, b) => (count[b] ? x / count[b] : NaN))) };
}

/** lambda_1 from the non-stationary DMFT at one input. */
export async function theoryJob(a: TheoryArgs): Promise<TheoryResult> {
  const started = performance.now();
  const dt = a.dt ?? stepFor(a.N);
  const d = nonstationaryDmft({
    g: a.g, K: a.N, I0: a.I0 ?? 1, J0: 1, amplitude: a.I1, frequency: a.f, phases: a.phases, phaseCount: a.phaseCount ?? 8, dt, steps: a.steps, band: a.band,
  });
  const from = Math.floor((3 * d.rate.length) / 4);
  let rate = 0, variance = 0;
  for (let k = from; k < d.rate.length; k++) { rate += d.rate[k]; variance += d.variance[k]; }
  const n = d.rate.length - from;
  let cycle: CycleFold | undefined;
  if (a.bins !== undefined) {
    const period = 1 / checkNumber('f', a.f, Number.MIN_VALUE), end = d.times[d.times.length - 1];
    const r = fold(d.times, [d.mean, d.variance, d.rate], period, checkInteger('bins', a.bins, 1), end - period + dt / 2);   // one whole period of samples
    cycle = { phase: r.phase, mean: r.values[0], variance: r.values[1], rate: r.values[2] };
  }
  return { ...a, dt, lambda1: d.lyapunov, meanRate: rate / n, variance: variance / n, ...(cycle ? { cycle } : {}), seconds: (performance.now() - started) / 1000 };
}

/** The quasi-static exponent: the no-input DMFT at the frozen drive sqrt(N) I0 + I1 sin(phase), i.e. I0' = I0 + I1 sin(phase) / sqrt(N). */
export async function quasiStaticJob(a: { N: number; g: number; I1: number; phase: number; steps: number; band: number }): Promise<{ phase: number; lambda1: number; meanRate: number; seconds: number }> {
  const started = performance.now();
  const I0 = 1 + (a.I1 * Math.sin(a.phase)) / Math.sqrt(a.N);
  if (I0 <= 0) return { phase: a.phase, lambda1: -1, meanRate: 0, seconds: (performance.now() - started) / 1000 }; // silenced: h relaxes at rate 1
  const r = await theoryJob({ N: a.N, g: a.g, I1: 0, f: 0, phases: 'common', steps: a.steps, band: a.band, I0 });
  return { phase: a.phase, lambda1: r.lambda1, meanRate: r.meanRate, seconds: (performance.now() - started) / 1000 };
}

/** A network under common sinusoidal input, run over whole input periods folded onto phase bins (mechanismJob: after one period of transient). */
export interface MechanismArgs {
  N: number;
  g: number;
  I1: number;
  f: number;
  /** Seeds of the couplings and the initial state. */
  seed: number;
  stateSeed: number;
  /** Input periods recorded and phase bins per period. */
  cycles: number;
  bins: number;
}

export interface MechanismResult {
  N: number;
  I1: number;
  f: number;
  /** Phase of the input (radians) at each bin's centre; cycle-averaged population rate and local exponent. */
  phase: number[];
  rate: number[];
  localLambda: number[];
  lambda1: number;
  seconds: number;
}

/** Slow common input: the rate and the local exponent (1-tau renormalisation intervals) folded onto the cycle. */
export async function mechanismJob(a: MechanismArgs): Promise<MechanismResult> {
  const started = performance.now();
  const period = 1 / checkNumber('f', a.f, Number.MIN_VALUE);
  const bins = checkInteger('bins', a.bins, 2);
  const net = new BalancedNetwork({ N: a.N, g: a.g, seed: a.seed });
  net.setInput({ amplitude: a.I1, frequency: a.f, phases: 'common' });
  const r = net.largestLyapunov(net.initialState(a.stateSeed), {
    dt: stepFor(a.N), time: a.cycles * period, transient: period, tangentTransient: Math.min(20, period / 2), seed: a.stateSeed + 2000,
  });
  const rate = new Array(bins).fill(0), loc = new Array(bins).fill(0), count = new Array(bins).fill(0);
  for (let k = 0; k < r.localTimes.length; k++) {
    // the interval [t, t + 1): its middle's phase
    const ph = (((r.localTimes[k] + 0.5) / period) % 1 + 1) % 1;
    const b = Math.min(bins - 1, Math.floor(ph * bins));
    rate[b] += r.meanRate[k]; loc[b] += r.localExponents[k]; count[b]++;
  }
  return {
    N: a.N, I1: a.I1, f: a.f, phase: Array.from({ length: bins }, (_, b) => (2 * Math.PI * (b + 0.5)) / bins),
    rate: rate.map((v, b) => (count[b] ? v / count[b] : NaN)), localLambda: loc.map((v, b) => (count[b] ? v / count[b] : NaN)),
    lambda1: r.exponent, seconds: (performance.now() - started) / 1000,
  };
}

export interface CycleArgs extends MechanismArgs {
  /** Whole input periods run first (the `cycles` after them recorded every half tau). */
  transientCycles: number;
}

export interface CycleStatistics extends CycleFold {
  N: number;
  I1: number;
  f: number;
  seed: number;
  seconds: number;
}

/**
 * A simulated network under common input: the population mean and variance (over neurons) of h and the mean rate,
 * every half tau, folded onto the input cycle -- the quantities the DMFT calls m(t), c(t, t) and nu(t).
 */
export async function cycleStatisticsJob(a: CycleArgs): Promise<CycleStatistics> {
  const started = performance.now();
  const period = 1 / checkNumber('f', a.f, Number.MIN_VALUE), dt = stepFor(a.N);
  const net = new BalancedNetwork({ N: a.N, g: a.g, seed: a.seed });
  net.setInput({ amplitude: a.I1, frequency: a.f, phases: 'common' });
  const h = net.initialState(a.stateSeed), N = a.N;
  const from = checkNumber('transientCycles', a.transientCycles, 0) * period, end = from + checkNumber('cycles', a.cycles, Number.MIN_VALUE) * period;
  const t: number[] = [], mean: number[] = [], variance: number[] = [], rate: number[] = [];
  // steps of the half-tau chunks: whole Euler steps, so the clock is n dt exactly
  const chunk = Math.max(1, Math.round(0.5 / dt));
  for (let n = 0; n * dt < end - 1e-9; n += chunk) {
    net.run(h, { dt, time: chunk * dt, t0: n * dt });
    const time = (n + chunk) * dt;   // the clock at the chunk's end, without the run's summed rounding
    if (time <= from + 1e-9) continue;
    let m = 0, q = 0, v = 0;
    for (let i = 0; i < N; i++) { m += h[i]; q += Math.max(h[i], 0); }
    m /= N;
    for (let i = 0; i < N; i++) v += (h[i] - m) ** 2;
    t.push(time); mean.push(m); variance.push(v / N); rate.push(q / N);
  }
  const r = fold(t, [mean, variance, rate], period, checkInteger('bins', a.bins, 1), from);
  return { N: a.N, I1: a.I1, f: a.f, seed: a.seed, phase: r.phase, mean: r.values[0], variance: r.values[1], rate: r.values[2], seconds: (performance.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// Analysis

/** The first zero crossing (from positive to negative) of lambda(I1), interpolated linearly; null if none is bracketed. */
export function criticalAmplitude(points: readonly { I1: number; lambda1: number }[]): number | null {
  const p = [...points].sort((a, b) => a.I1 - b.I1);
  for (const q of p) if (!Number.isFinite(q.I1) || !Number.isFinite(q.lambda1)) throw new ArgumentError('points', 'finite amplitudes and exponents', q);
  for (let i = 0; i + 1 < p.length; i++) {
    const a = p[i], b = p[i + 1];
    if (a.lambda1 > 0 && b.lambda1 <= 0) return a.I1 + (a.lambda1 * (b.I1 - a.I1)) / (a.lambda1 - b.lambda1);
  }
  return null;
}

/** The crossing of the network-averaged lambda_1 (mean over networks at each amplitude) for one input type. */
export function averagedCrossing(sims: readonly SimulationResult[], phases: InputPhases): number | null {
  return criticalAmplitude(groupBy(sims.filter((r) => r.phases === phases), (r) => r.I1).map((g) => ({ I1: g.key, lambda1: g.mean })));
}

/** Each network's crossing (its own lambda_1(I1) at one N), per N and network seed, for one input type. */
export function networkCrossings(sims: readonly SimulationResult[], phases: InputPhases): { N: number; seed: number; I1c: number | null }[] {
  const rows = sims.filter((r) => r.phases === phases);
  const keys = [...new Set(rows.map((r) => `${r.N}/${r.seed}`))];
  return keys.map((k) => {
    const [N, seed] = k.split('/').map(Number);
    return { N, seed, I1c: criticalAmplitude(rows.filter((r) => r.N === N && r.seed === seed).map((r) => ({ I1: r.I1, lambda1: r.lambda1 }))) };
  }).sort((a, b) => a.N - b.N || a.seed - b.seed);
}

/** Mean, sample s.d. and standard error of the mean of `values` (s.d. and error NaN for one value). */
export function meanAndError(values: readonly number[]): { mean: number; sd: number; error: number; n: number } {
  if (!values.length) throw new ArgumentError('values', 'at least one value', values);
  const n = values.length, mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, error: sd / Math.sqrt(n), n };
}

/** Rough idle run time: simulation steps at ~2 N^2 flops (one two-row GEMM) at `gflops`, plus DMFT seconds, over `workers`. */
export function estimatedRunSeconds(e: { simulations: { N: number; time: number }[]; theorySeconds: number; workers: number; gflops?: number }): number {
  const rate = (e.gflops ?? 2) * 1e9;
  let flops = 0;
  for (const s of e.simulations) flops += (s.time / stepFor(s.N)) * 4 * s.N * s.N;
  return (flops / rate + e.theorySeconds) / checkInteger('workers', e.workers, 1);
}

// ---------------------------------------------------------------------------
// Figures and the table

const COLOURS = { common: '#2a9d3f', independent: '#7b3fa0' } as const;

/** lambda_1 against I1: DMFT lines, simulations (mean +- 2 s.d. over networks) as markers, per input type. */
export function amplitudeFigure(theory: readonly TheoryResult[], sims: readonly SimulationResult[], scaleCommon: number): Figure {
  const series: LineSeries[] = [];
  for (const phases of ['common', 'independent'] as const) {
    const s = scaleCommon > 0 && phases === 'common' ? scaleCommon : 1;
    const t = theory.filter((r) => r.phases === phases).sort((a, b) => a.I1 - b.I1);
    series.push({ x: t.map((r) => r.I1 / s), y: t.map((r) => r.lambda1), name: `DMFT, ${phases}`, mode: 'lines', dash: 'dash', color: COLOURS[phases] });
    const groups = groupBy(sims.filter((r) => r.phases === phases), (r) => r.I1);
    series.push({
      x: groups.map((g) => g.key / s), y: groups.map((g) => g.mean), error: groups.map((g) => 2 * g.sd),
      name: `simulation, ${phases}`, mode: 'markers', color: COLOURS[phases],
    });
  }
  const all = [...theory.map((r) => r.I1), ...sims.map((r) => r.I1)];
  series.push({ x: [0, Math.max(...all, 1)], y: [0, 0], name: 'zero', color: '#888', dash: 'dot' });
  return line(series, {
    title: 'Largest Lyapunov exponent against input amplitude', xLabel: scaleCommon > 0 ? `I1 (independent) and I1 / ${scaleCommon.toFixed(1)} (common, / sqrt N)` : 'I1',
    yLabel: 'lambda_1 (1 / tau)',
  });
}

/** The critical amplitude against N (log-log), per input type, with the fitted power laws. */
export function criticalFigure(cases: readonly { phases: string; points: { N: number; I1c: number }[]; fit: PowerLawFit | null; theory?: { N: number; I1c: number }[] }[]): Figure {
  const series: LineSeries[] = [];
  for (const c of cases) {
    const colour = COLOURS[c.phases as keyof typeof COLOURS];
    series.push({ x: c.points.map((p) => p.N), y: c.points.map((p) => p.I1c), name: `simulation, ${c.phases}`, mode: 'markers', color: colour });
    if (c.theory?.length) series.push({ x: c.theory.map((p) => p.N), y: c.theory.map((p) => p.I1c), name: `DMFT, ${c.phases}`, mode: 'lines', dash: 'dash', color: colour });
    if (c.fit) {
      const Ns = c.points.map((p) => p.N), lo = Math.min(...Ns), hi = Math.max(...Ns);
      series.push({ x: [lo, hi], y: [c.fit.prefactor * lo ** c.fit.exponent, c.fit.prefactor * hi ** c.fit.exponent], name: `fit N^${c.fit.exponent.toFixed(2)}, ${c.phases}`, mode: 'lines', color: colour, dash: 'dot' });
    }
  }
  return line(series, { title: 'Critical input amplitude against network size', xLabel: 'N', yLabel: 'I1 at lambda_1 = 0', logX: true, logY: true });
}

/** lambda_1 against the input frequency, per input type: DMFT lines and simulation markers. */
export function frequencyFigure(theory: readonly TheoryResult[], sims: readonly SimulationResult[]): Figure {
  const series: LineSeries[] = [];
  for (const phases of ['common', 'independent'] as const) {
    const t = theory.filter((r) => r.phases === phases).sort((a, b) => a.f - b.f);
    if (t.length) series.push({ x: t.map((r) => r.f), y: t.map((r) => r.lambda1), name: `DMFT, ${phases} (I1 = ${fmt(t[0].I1, 1)})`, mode: 'lines', dash: 'dash', color: COLOURS[phases] });
    const g = groupBy(sims.filter((r) => r.phases === phases), (r) => r.f);
    if (g.length) series.push({ x: g.map((v) => v.key), y: g.map((v) => v.mean), error: g.map((v) => 2 * v.sd), name: `simulation, ${phases}`, mode: 'markers', color: COLOURS[phases] });
  }
  return line(series, { title: 'Largest Lyapunov exponent against input frequency', xLabel: 'f (1 / tau)', yLabel: 'lambda_1 (1 / tau)', logX: true });
}

/** The slow-input mechanism: cycle-averaged rate and local exponent against the input phase, with the quasi-static exponent. */
export function mechanismFigure(m: MechanismResult, quasi: readonly { phase: number; lambda1: number }[]): Figure {
  const q = [...quasi].sort((a, b) => a.phase - b.phase);
  return line([
    { x: m.phase, y: m.rate, name: 'population rate nu (simulation)', mode: 'lines+markers' },
    { x: m.phase, y: m.localLambda, name: 'local lambda (simulation, 1-tau intervals)', mode: 'lines+markers' },
    { x: q.map((v) => v.phase), y: q.map((v) => v.lambda1), name: 'quasi-static lambda (stationary DMFT at the frozen input)', mode: 'lines', dash: 'dash' },
    { x: m.phase, y: m.phase.map((p) => Math.sin(p)), name: 'sin(input phase)', mode: 'lines', dash: 'dot', color: '#888' },
  ], { title: `Slow common input (f = ${m.f}, I1 = ${fmt(m.I1, 1)}, N = ${m.N})`, xLabel: 'input phase (rad)', yLabel: 'rate / local lambda (1 / tau)' });
}

/** DMFT m(t), c(t, t) / 10 and nu(t) over the input cycle (lines) beside simulated networks' folded statistics (markers), per N. */
export function cycleFigure(sims: readonly CycleStatistics[], theory: readonly TheoryResult[]): Figure {
  const series: LineSeries[] = [];
  const dash = ['dash', 'dot', 'dashdot'] as const;
  theory.filter((r) => r.cycle).forEach((r, i) => {
    const c = r.cycle!;
    series.push({ x: c.phase, y: c.variance.map((v) => v / 10), name: `DMFT c(t,t) / 10, N = ${r.N}`, mode: 'lines', dash: dash[i % 3], color: '#1f77b4' });
    series.push({ x: c.phase, y: c.mean, name: `DMFT m(t), N = ${r.N}`, mode: 'lines', dash: dash[i % 3], color: '#d62728' });
    series.push({ x: c.phase, y: c.rate, name: `DMFT nu(t), N = ${r.N}`, mode: 'lines', dash: dash[i % 3], color: '#2a9d3f' });
  });
  for (const s of sims) {
    series.push({ x: s.phase, y: s.variance.map((v) => v / 10), name: `network N = ${s.N} (seed ${s.seed}): variance / 10`, mode: 'markers', color: '#1f77b4' });
    series.push({ x: s.phase, y: s.mean, name: `network N = ${s.N}: mean h`, mode: 'markers', color: '#d62728' });
    series.push({ x: s.phase, y: s.rate, name: `network N = ${s.N}: mean rate`, mode: 'markers', color: '#2a9d3f' });
  }
  const f = sims[0]?.f ?? theory[0]?.f;
  const fig = line(series, { title: `Population statistics over the input cycle (common input, f = ${f})`, xLabel: 'input phase (rad)', yLabel: 'variance / 10, mean input, rate' });
  // one marker shape per network (its three series share it), the colour per quantity
  const first = 3 * theory.filter((r) => r.cycle).length, symbols = ['circle', 'square', 'diamond', 'triangle-up'];
  sims.forEach((_, j) => { for (let q = 0; q < 3; q++) fig.data[first + 3 * j + q].marker = { ...(fig.data[first + 3 * j + q].marker as object), symbol: symbols[j % symbols.length] }; });
  return fig;
}

/** Paper against measured. */
export function reproductionRows(r: {
  critical: readonly { phases: string; fit: PowerLawFit | null; values: string }[];
  amplitude: { N: number; theory: Record<string, number | null>; sim: Record<string, number | null> };
  mechanism: MechanismResult | null;
  settings: string;
}): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const phases of ['common', 'independent']) {
    rows.push({
      quantity: `I1_crit (${phases}), N = ${r.amplitude.N}`, paper: phases === 'common' ? 'much larger than for independent input (Fig 2)' : 'small (Fig 2)',
      theory: r.amplitude.theory[phases] === null ? 'not bracketed' : fmt(r.amplitude.theory[phases]!, 2),
      measured: r.amplitude.sim[phases] === null ? 'not bracketed' : fmt(r.amplitude.sim[phases]!, 2), settings: r.settings,
    });
  }
  for (const c of r.critical) {
    rows.push({
      quantity: `I1_crit ~ N^p (${c.phases})`, paper: c.phases === 'common' ? 'p = 1/2 (Fig 3A)' : 'p = 0 (Fig 3A)', theory: '-',
      measured: c.fit ? `p = ${fmt(c.fit.exponent, 2)} [${fmt(c.fit.interval[0], 2)}, ${fmt(c.fit.interval[1], 2)}] (${c.fit.points} points)` : 'no fit', settings: c.values,
    });
  }
  if (r.mechanism) {
    const m = r.mechanism;
    const minRate = Math.min(...m.rate.filter(Number.isFinite)), minLoc = Math.min(...m.localLambda.filter(Number.isFinite));
    rows.push({
      quantity: `slow common input (f = ${m.f})`, paper: 'the input silences the network once per cycle; the local lambda turns negative there (Fig 4)', theory: '-',
      measured: `lowest cycle-averaged rate ${fmt(minRate, 3)}, lowest local lambda ${fmt(minLoc, 2)}, lambda_1 ${fmt(m.lambda1, 3)}`, settings: `N = ${m.N}, I1 = ${fmt(m.I1, 1)}`,
    });
  }
  return rows;
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** Mean and sample s.d. of `value` per key, sorted by key. */
function groupBy<T extends { lambda1: number }>(rows: readonly T[], key: (r: T) => number): { key: number; mean: number; sd: number; n: number }[] {
  const m = new Map<number, number[]>();
  for (const r of rows) { const k = key(r); if (!m.has(k)) m.set(k, []); m.get(k)!.push(r.lambda1); }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => {
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
    return { key: k, mean, sd, n: v.length };
  });
}
