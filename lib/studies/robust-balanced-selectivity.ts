/**
 * Study: noise-robust selectivity needs balanced excitation and inhibition
 * (notebooks/robust-balanced-selectivity.ipynb; R. Rubin, L. F. Abbott & H. Sompolinsky, "Balanced
 * excitation and inhibition are required for high-capacity, noise-robust neuronal selectivity",
 * PNAS 114:E9366, 2017, arXiv 1705.01502; authors' code ranr01/Rubin2017Balanced).
 * The maths is in lib/meanfield (perceptron-capacity.ts: replica capacity alpha_c and balanced
 * capacity alpha_b; sign-constrained-perceptron.ts: max-margin solutions on lib/core's
 * quadraticProgram, the noisy learning rule, noise error rates; attractor-memory.ts: networks built from one
 * perceptron solve per unit, their dynamics and retrieval). This file holds the pool jobs, the figures and
 * the table.
 *
 *   separable fraction   share of random problems a sign-constrained perceptron separates
 *   finite-N capacity    load where that share crosses 1/2 (linear interpolation)
 *   balance index IB     mean net input / mean total (E + |I|) input; small = balanced
 *
 * Jobs (`{ module: STUDY_MODULE, export, args }`): capacityJob (separable fractions on a load grid),
 * marginJob (max kappa_out and max kappa_in solutions at one load, their margins, balance and noise
 * error rates), learningJob (the authors' noisy perceptron rule), memoryJob (one attractor network of one
 * kind on one memory set: its units' margins and balance, basins from distorted starts, stability under
 * output noise).
 * Exports: STUDY_MODULE, PAPER_SETTINGS, the jobs and their types, estimatedRunSeconds, formatDuration, capacityFigure,
 * coverFigure, marginFigure, learningFigure, noiseFigure, memoryBasinFigure, memoryNoiseFigure, reproductionRows.
 */
import { checkInteger, median } from '../core';
import { Figure, LineSeries, line } from '../plot';
import {
  balancedPerceptronLearning, buildMemoryNetwork, capacityFromSeparability, maxInputMargin, maxOutputMargin, noiseErrorRate, randomMemories,
  randomPatterns, retrievalFraction, separableFraction, type LearningRecord,
} from '../meanfield';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/robust-balanced-selectivity';

/**
 * The paper's settings, from the authors' code (ranr01/Rubin2017Balanced): Fig 2A theory phi = 1/sqrt 2,
 * p_out = 0.1 (Theory/Solution_to_SP_equations.ipynb); Fig 3 f_exc = 0.8, Gamma = 1, phi = sqrt 2, p_out = 0.1,
 * N = 2000 (same notebook); learning N = 3000, P = 900, f_exc = 0.8, f_in = 0.5, p_out = 0.5, sigma_out = 0.15,
 * sigma_in = 0.1, rho = 0.1 / N, eps = 5e-7, 10^4 cycles (PerceptronLearning/balanced_perceptron_learning.jl).
 * memory networks N = 2000, alpha = 0.25, 80% E units, coding levels 0.3 (E) / 0.15 (I), Gamma = 10 for the
 * max kappa_out weights; stability under output noise: 500 sweeps, escape at distance 0.1, 100 memories x 10
 * networks at 50 noise levels (10^-1 to 10^1 for max kappa_out, 10^-3 to 10^-1.3 for max kappa_in); basins:
 * noiseless, at most 50 sweeps, escape 0.15, exact return, distortion 0.02-0.29 in steps of 0.01 (28 levels), 10
 * starts x 10 memories x 10 networks (Recurrent/Associative_Memeory_simulations.ipynb with associative_memory.py).
 * Headline: alpha_c = 1 at p_out = 1/2 with sign constraints (half of Cover's 2).
 */
export const PAPER_SETTINGS = {
  capacityFigure: { phi: Math.SQRT1_2, pOut: 0.1 },
  marginFigure: { fExc: 0.8, gamma: 1, phi: Math.SQRT2, pOut: 0.1, N: 2000 },
  learning: { N: 3000, P: 900, fExc: 0.8, fIn: 0.5, pOut: 0.5, sigmaOut: 0.15, sigmaIn: 0.1, rateTimesN: 0.1, decay: 5e-7, cycles: 10000 },
  memory: {
    N: 2000, alpha: 0.25, fExc: 0.8, fActExc: 0.3, fActInh: 0.15, gamma: 10, sweeps: 500, stabilityEscape: 0.1, stabilityMemories: 100, noiseLevels: 50,
    basinSweeps: 50, basinEscape: 0.15, basinDistortions: { from: 0.02, to: 0.29, levels: 28 }, basinRepeats: 10, basinMemories: 10, networks: 10,
  },
} as const;

export interface CapacityJobArgs {
  N: number;
  alphas: number[];
  trials: number;
  fExc: number;
  pOut: number;
  inputs: 'binary' | 'gaussian';
  fInExc: number;
  fInInh: number;
  constrained: boolean;
  seed: number;
}

export interface CapacityJobResult extends CapacityJobArgs {
  fractions: number[];
  capacity: number | null;
}

/** Separable fractions on a load grid (seeds seed + 1000 k + t for load k, trial t) and the crossing of 1/2. */
export async function capacityJob(a: CapacityJobArgs): Promise<CapacityJobResult> {
  const fractions = a.alphas.map((alpha, k) => separableFraction({
    N: a.N, P: Math.max(1, Math.round(alpha * a.N)), fExc: a.fExc, pOut: a.pOut, inputs: a.inputs, fInExc: a.fInExc, fInInh: a.fInInh,
    constrained: a.constrained, trials: a.trials, seed: a.seed + 1000 * k,
  }));
  return { ...a, fractions, capacity: capacityFromSeparability(a.alphas, fractions) };
}

export interface MarginJobArgs {
  N: number;
  alpha: number;
  fExc: number;
  pOut: number;
  gamma: number;
  /** Output-noise and input-noise levels for the error-rate curves. */
  sigmas: number[];
  seed: number;
}

export interface SolutionSummary {
  kappaOut: number;
  kappaIn: number;
  norm: number;
  balanceIndex: number;
  slack: number;
  /** Error rates under output noise sigma (u unchanged) and input noise sigma, one per `sigmas`. */
  outputNoise: number[];
  inputNoise: number[];
}

export interface MarginJobResult extends MarginJobArgs {
  maxOut: SolutionSummary;
  maxIn: SolutionSummary;
}

/** The max kappa_out (|u| <= gamma) and max kappa_in solutions of one random problem, summarised. */
export async function marginJob(a: MarginJobArgs): Promise<MarginJobResult> {
  const p = randomPatterns({ N: a.N, P: Math.max(1, Math.round(a.alpha * a.N)), fExc: a.fExc, pOut: a.pOut, seed: a.seed });
  const summary = (s: ReturnType<typeof maxInputMargin>): SolutionSummary => ({
    kappaOut: s.kappaOut, kappaIn: s.kappaIn, norm: s.norm, balanceIndex: s.balanceIndex, slack: s.slack,
    outputNoise: a.sigmas.map((sg) => noiseErrorRate(p, s.weights, { sigmaOut: sg })),
    inputNoise: a.sigmas.map((sg) => noiseErrorRate(p, s.weights, { sigmaIn: sg })),
  });
  return { ...a, maxOut: summary(maxOutputMargin(p, { gamma: a.gamma })), maxIn: summary(maxInputMargin(p)) };
}

export interface LearningJobArgs {
  N: number;
  P: number;
  fExc: number;
  pOut: number;
  sigmaOut: number;
  sigmaIn: number;
  cycles: number;
  decay: number;
  seed: number;
}

export interface LearningJobResult extends LearningJobArgs {
  records: LearningRecord[];
}

/** One run of the noisy perceptron rule with decay (rate 0.1 / N) from the authors' initial weights. */
export async function learningJob(a: LearningJobArgs): Promise<LearningJobResult> {
  const p = randomPatterns({ N: a.N, P: a.P, fExc: a.fExc, pOut: a.pOut, seed: a.seed });
  const run = balancedPerceptronLearning(p, { cycles: a.cycles, sigmaOut: a.sigmaOut, sigmaIn: a.sigmaIn, decay: a.decay, seed: a.seed + 1, recordEvery: Math.max(1, Math.floor(a.cycles / 50)) });
  return { ...a, records: run.records };
}

export interface MemoryJobArgs {
  N: number;
  alpha: number;
  fExc: number;
  fActExc: number;
  fActInh: number;
  kind: 'balanced' | 'unbalanced';
  /** Norm bound of the balanced (max kappa_out) weights, threshold units. */
  gamma: number;
  /** Basins: distortion levels p, starts per memory, and the output noise levels they run at (0: the authors' test). */
  distortions: number[];
  basinRepeats: number;
  /** Memories tested for basins: the first basinMemories (default all P; the authors' code tests 10). */
  basinMemories?: number;
  basinSigmas: number[];
  /** Stability: output-noise levels, memories tested (one start each, at the memory), sweeps. */
  sigmas: number[];
  stabilityMemories: number;
  sweeps: number;
  seed: number;
}

export interface MemoryJobResult extends MemoryJobArgs {
  P: number;
  /** Memories randomMemories redrew for having no active E or no active I unit (its small-N condition). */
  redrawn: number;
  memoriesFixed: boolean;
  /** Medians over units: output margin, input margin, balance index, |J_i|; units with kappa_out <= 1 (no margin beyond the threshold's). */
  kappaOut: number;
  kappaIn: number;
  balanceIndex: number;
  norm: number;
  unitsAtMostOne: number;
  /** basins[s][k]: retrieval at basinSigmas[s], distortions[k]; initial distance measured. */
  basins: { fraction: number; initialDistance: number }[][];
  /** stability[k]: share of memories still within distance 0.1 after `sweeps` sweeps at sigmas[k]. */
  stability: number[];
}

/**
 * One network of one kind on the memories of `seed` (the same memories for both kinds; a memory with no active E
 * or I unit redrawn, lib/meanfield's small-N condition): basins (the first basinMemories memories; at most 50
 * sweeps, escape at distance 0.15; retrieved = exact return without noise, within 0.05 with noise; seeds
 * seed + 1000 + 100000 s) and stability (escape and retrieved at 0.1; seeds seed + 2000).
 */
export async function memoryJob(a: MemoryJobArgs): Promise<MemoryJobResult> {
  const P = Math.max(1, Math.round(a.alpha * a.N));
  const mem = randomMemories({ N: a.N, P, fExc: a.fExc, fActExc: a.fActExc, fActInh: a.fActInh, seed: a.seed });
  const net = buildMemoryNetwork(mem, { kind: a.kind, gamma: a.gamma, progress: false });
  const norms = Array.from({ length: a.N }, (_, i) => {
    let s = 0;
    for (let j = 0; j < a.N; j++) s += net.J[i * a.N + j] ** 2;
    return Math.sqrt(s);
  });
  const basins = a.basinSigmas.map((sg, s) => a.distortions.map((p) => {
    const r = retrievalFraction(net, mem, { distortion: p, sigma: sg, sweeps: 50, escapeDistance: 0.15, retrievedDistance: sg > 0 ? 0.05 : 0, memories: Math.min(P, a.basinMemories ?? P), repeats: a.basinRepeats, seed: a.seed + 1000 + 100000 * s });
    return { fraction: r.fraction, initialDistance: r.initialDistance };
  }));
  const stability = a.sigmas.map((sg) => retrievalFraction(net, mem, { sigma: sg, sweeps: a.sweeps, escapeDistance: 0.1, retrievedDistance: 0.1, memories: Math.min(P, a.stabilityMemories), seed: a.seed + 2000 }).fraction);
  return {
    ...a, P, redrawn: mem.redrawn ?? 0, memoriesFixed: net.memoriesFixed, kappaOut: median(Array.from(net.kappaOut)), kappaIn: median(Array.from(net.kappaIn)),
    balanceIndex: median(Array.from(net.balanceIndex)), norm: median(norms), unitsAtMostOne: net.kappaOut.filter((k) => k <= 1 + 1e-9).length, basins, stability,
  };
}

/**
 * Estimated wall time: one max-margin QP costs about c (P N^2 + N^3) flops-equivalents with c calibrated on
 * this machine (20 interior-point iterations, about 2e8 effective flop/s in the JavaScript parts);
 * maxOutputMargin runs about 8 QPs; learning costs 2 N P cycles multiply-adds at about 5e8/s.
 */
export function estimatedRunSeconds(e: { qps: { N: number; P: number; count: number }[]; learning: { N: number; P: number; cycles: number }[]; workers: number }): number {
  let s = 0;
  for (const q of e.qps) s += (q.count * 20 * (q.P * q.N * q.N + q.N ** 3)) / 2e8;
  for (const l of e.learning) s += (2 * l.N * l.P * l.cycles) / 5e8;
  return s / checkInteger('workers', e.workers, 1);
}

/** A run time in the unit that reads best: seconds, minutes, hours or days. */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toPrecision(3)} days`;
}

/** alpha_c and alpha_b against f_exc (theory lines) with finite-N capacities (markers) from separability. */
export function capacityFigure(theory: { fExc: number[]; alphaC: number[]; alphaB: number[] }, finite: readonly CapacityJobResult[], title: string): Figure {
  const series: LineSeries[] = [
    { x: theory.fExc, y: theory.alphaC, name: 'capacity alpha_c (replica theory)', mode: 'lines' },
    { x: theory.fExc, y: theory.alphaB, name: 'balanced capacity alpha_b (replica theory)', mode: 'lines', dash: 'dash' },
  ];
  const Ns = [...new Set(finite.map((r) => r.N))].sort((a, b) => a - b);
  for (const N of Ns) {
    const rs = finite.filter((r) => r.N === N && r.capacity !== null).sort((a, b) => a.fExc - b.fExc);
    if (rs.length) series.push({ x: rs.map((r) => r.fExc), y: rs.map((r) => r.capacity as number), name: `separable half, N = ${N} (${rs[0].trials} problems per load)`, mode: 'markers' });
  }
  return line(series, { title, xLabel: 'excitatory fraction f_exc', yLabel: 'load alpha = P / N' });
}

/** Unconstrained capacity from separability against N, with Cover's 2. */
export function coverFigure(runs: readonly CapacityJobResult[]): Figure {
  const rs = runs.filter((r) => r.capacity !== null).sort((a, b) => a.N - b.N);
  return line([
    { x: rs.map((r) => r.N), y: rs.map((r) => r.capacity as number), name: 'load where half the problems are separable', mode: 'lines+markers' },
    { x: rs.map((r) => r.N), y: rs.map(() => 2), name: "Cover's capacity 2", mode: 'lines', dash: 'dash' },
  ], { title: 'Unconstrained perceptron (Gaussian inputs, threshold learned)', xLabel: 'N', yLabel: 'capacity estimate' });
}

const byAlpha = (runs: readonly MarginJobResult[]) => [...new Set(runs.map((r) => r.alpha))].sort((a, b) => a - b);

/** A per-load statistic of the max kappa_out solutions (median over seeds, range band), with alpha_b and alpha_c as vertical lines. */
export function marginFigure(runs: readonly MarginJobResult[], which: 'kappaOut' | 'balanceIndex' | 'norm', alphaB: number, alphaC: number): Figure {
  const alphas = byAlpha(runs);
  const vals = alphas.map((al) => runs.filter((r) => r.alpha === al).map((r) => r.maxOut[which]));
  const vIn = alphas.map((al) => runs.filter((r) => r.alpha === al).map((r) => r.maxIn[which]));
  const all = [...vals.flat(), ...vIn.flat()].filter(Number.isFinite);
  const lo = Math.min(0, ...all), hi = Math.max(...all);
  const label = { kappaOut: 'max output margin kappa_out (threshold units)', balanceIndex: 'balance index IB (net / total input)', norm: '|u| (threshold units)' }[which];
  return line([
    { x: alphas, y: vals.map((v) => median(v)), name: 'max kappa_out solution (median over seeds, range)', mode: 'lines+markers', band: { lower: vals.map((v) => Math.min(...v)), upper: vals.map((v) => Math.max(...v)) } },
    { x: alphas, y: vIn.map((v) => median(v)), name: 'max kappa_in solution (median)', mode: 'lines+markers', dash: 'dot' },
    { x: [alphaB, alphaB], y: [lo, hi], name: `alpha_b = ${alphaB.toFixed(3)} (theory)`, mode: 'lines', dash: 'dash' },
    { x: [alphaC, alphaC], y: [lo, hi], name: `alpha_c = ${alphaC.toFixed(3)} (theory)`, mode: 'lines', dash: 'dashdot' },
  ], { title: `${label} against the load, N = ${runs[0].N}`, xLabel: 'load alpha = P / N', yLabel: label });
}

/** Balance index, |w| and output margin during learning, one line per output-noise level (median over seeds). */
export function learningFigure(runs: readonly LearningJobResult[], which: 'balanceIndex' | 'norm' | 'kappaOut' | 'errors'): Figure {
  const levels = [...new Set(runs.map((r) => r.sigmaOut))].sort((a, b) => a - b);
  const series: LineSeries[] = levels.map((so) => {
    const rs = runs.filter((r) => r.sigmaOut === so);
    const x = rs[0].records.map((q) => q.cycle);
    return { x, y: x.map((_, t) => median(rs.map((r) => r.records[t][which]))), name: `sigma_out = ${so} (median of ${rs.length} seeds)`, mode: 'lines' as const };
  });
  const label = { balanceIndex: 'balance index IB', norm: '|w|', kappaOut: 'output margin kappa_out (noise-free)', errors: 'training errors per presentation (with noise)' }[which];
  return line(series, { title: `Learning with noise: ${label}`, xLabel: 'cycle', yLabel: label });
}

/** Error rate against noise for the max kappa_out and max kappa_in solutions at one load (median over seeds). */
export function noiseFigure(runs: readonly MarginJobResult[], alpha: number, kind: 'outputNoise' | 'inputNoise'): Figure {
  const rs = runs.filter((r) => r.alpha === alpha);
  const sig = rs[0].sigmas;
  return line([
    { x: sig, y: sig.map((_, k) => median(rs.map((r) => r.maxOut[kind][k]))), name: 'max kappa_out (balanced below alpha_b)', mode: 'lines+markers' },
    { x: sig, y: sig.map((_, k) => median(rs.map((r) => r.maxIn[kind][k]))), name: 'max kappa_in', mode: 'lines+markers', dash: 'dash' },
  ], { title: `${kind === 'outputNoise' ? 'Output' : 'Input'} noise at alpha = ${alpha} (N = ${rs[0].N})`, xLabel: kind === 'outputNoise' ? 'sigma_out (threshold units)' : 'sigma_in (per input)', yLabel: 'error probability' });
}

const kindName = { balanced: 'balanced (max kappa_out)', unbalanced: 'unbalanced (max kappa_in)' } as const;

/** Retrieval from distorted starts against the measured initial distance, one line per kind and noise level (means over networks). */
export function memoryBasinFigure(runs: readonly MemoryJobResult[]): Figure {
  const series: LineSeries[] = [];
  for (const kind of ['balanced', 'unbalanced'] as const) {
    const rs = runs.filter((r) => r.kind === kind);
    if (!rs.length) continue;
    rs[0].basinSigmas.forEach((sg, s) => {
      const mean = (f: (r: MemoryJobResult) => number) => rs.reduce((acc, r) => acc + f(r), 0) / rs.length;
      series.push({
        x: rs[0].distortions.map((_, k) => mean((r) => r.basins[s][k].initialDistance)),
        y: rs[0].distortions.map((_, k) => mean((r) => r.basins[s][k].fraction)),
        name: `${kindName[kind]}, sigma_out ${sg}${sg > 0 ? ' (ends within 0.05)' : ' (exact return)'}`, mode: 'lines+markers', dash: sg > 0 ? 'dash' : undefined,
      });
    });
  }
  return line(series, { title: `Basins: retrieval from distorted memories (N = ${runs[0].N}, alpha = ${runs[0].alpha})`, xLabel: 'initial distance (fraction of units differing)', yLabel: 'fraction retrieved' });
}

/** The share of memories kept for `sweeps` sweeps against output noise, one line per kind (mean over networks). */
export function memoryNoiseFigure(runs: readonly MemoryJobResult[]): Figure {
  const series: LineSeries[] = [];
  for (const kind of ['balanced', 'unbalanced'] as const) {
    const rs = runs.filter((r) => r.kind === kind);
    if (!rs.length) continue;
    series.push({ x: rs[0].sigmas, y: rs[0].sigmas.map((_, k) => rs.reduce((acc, r) => acc + r.stability[k], 0) / rs.length), name: kindName[kind], mode: 'lines+markers' });
  }
  return line(series, { title: `Memories kept under output noise (${runs[0].sweeps} sweeps, N = ${runs[0].N})`, xLabel: 'output noise sigma_out (threshold units)', yLabel: 'fraction of memories within distance 0.1', logX: true });
}

/** The paper's claims against this run's numbers. */
export function reproductionRows(r: { capacityHalf: string; cover: string; constrained: string; balance: string; learning: string; noise: string; memory: string; basins: string }): Record<string, string>[] {
  return [
    { quantity: 'capacity with sign constraints, p_out = 1/2', paper: 'alpha_c = 1 (half of Cover\'s 2)', measured: r.capacityHalf },
    { quantity: 'capacity without sign constraints', paper: "Cover's 2", measured: r.cover },
    { quantity: 'alpha_c, alpha_b against f_exc (Fig 2A)', paper: 'theory curves (authors\' code)', measured: r.constrained },
    { quantity: 'max kappa_out solutions below / above alpha_b (Fig 3)', paper: 'balanced below alpha_b, unbalanced between alpha_b and alpha_c', measured: r.balance },
    { quantity: 'learning with output noise (Fig 5)', paper: 'weights grow and balance (IB falls) with output noise', measured: r.learning },
    { quantity: 'robustness to noise', paper: 'balanced solutions robust to output noise', measured: r.noise },
    { quantity: 'attractor memory from balanced perceptrons', paper: 'balanced networks keep memories under output noise', measured: r.memory },
    { quantity: 'attractor basins (noiseless, distorted starts)', paper: 'measured in the authors\' code (max kappa_in against max kappa_out networks)', measured: r.basins },
  ];
}
