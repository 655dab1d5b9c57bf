/**
 * Study: low-rank tensor decomposition by Bayesian AMP, its state evolution
 * and phase transitions, and AMP against CP-ALS
 * (notebooks/tensor-decomposition.ipynb; Kadmon & Ganguli, "Statistical
 * mechanics of low-rank tensor decomposition", NeurIPS 2018,
 * arXiv:1810.10065; tensor component analysis: Williams et al., Neuron 2018).
 * The maths is in lib/tensor; this file holds the pool jobs around it, the
 * synthetic neuron x time x trial data, the figures and the table.
 *
 *   overlap of a mode    M_a = x-hat_a . x*_a / |x*_a|^2  (per unit squared norm of the drawn truth, so that
 *                        it estimates state evolution's M for E[x^2] = 1 without the sample's norm noise)
 *   cosine of a mode     |cos(x-hat_a, x*_a)| after the best permutation and signs (rank r)
 *   reconstruction error |S-hat - S| / |S|, S = s sum_rho o_a x*_a^rho (the signal tensor), from the
 *                        factors' Gram matrices (no dense tensor)
 *
 * Jobs (`{ module: STUDY_MODULE, export, args }`): trajectoryJob (AMP's overlap per step beside state
 * evolution from the same start), ampPointJob (one AMP run's final overlap, informed or random start),
 * seDiagramJob (both state-evolution branches and the phase along an SNR grid, one prior and shape),
 * thresholdJob (phase thresholds for one prior and shape), comparisonJob (AMP and CP-ALS on one planted
 * tensor), neuralDataJob (the synthetic neuron x time x trial example).
 * Exports: STUDY_MODULE, the jobs and their argument/result types, synthetic neural data (neuralTensor),
 * signalError, estimatedRunSeconds, trajectoryFigure, hysteresisFigure, phaseHeatmap, thresholdFigure,
 * comparisonFigure, factorFigure, reproductionRows, REFERENCE_VALUES.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, gemm } from '../core';
import { Figure, LineSeries, heatmap, line } from '../plot';
import {
  KruskalTensor, Phase, Prior, amp, cpAls, cpEnsemble, cpNonnegative, factorSimilarity, phasePoint, phaseThresholds, plantedTensor,
  scalarChannel, stateEvolution,
} from '../tensor';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/tensor-decomposition';

/**
 * Theory values this project derives (lib/tensor/state-evolution.ts header; test/tensor/amp.test.ts):
 * for the cubic order-3 tensor with the N(0, 1) prior, the informative fixed point first appears at
 * lambda = 4 with m = 1/2 (the reference notes' unit-test value; the paper's figures were not readable
 * here, so the paper's own numbers are not quoted), and its free energy crosses the uninformative one's
 * at lambda = 4.3673 (bisection of 3 psi(lambda m^2) = lambda m^3, psi(a) = a/2 - log(1 + a)/2).
 */
export const REFERENCE_VALUES = { spinodal: 4, spinodalOverlap: 0.5, informationTheoretic: 4.3673 } as const;

const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

/** Overlaps per unit squared norm of the truth, one per mode (rank 1). */
function normalisedOverlaps(xh: Float64Array[], truth: Float64Array[]): number[] {
  return xh.map((x, a) => dot(x, truth[a]) / dot(truth[a], truth[a]));
}

// ---------------------------------------------------------------------------
// (a) trajectories

export interface TrajectoryJobArgs {
  N: number;
  snr: number;
  prior: Prior;
  seed: number;
  /** Informed start: the scalar channel's SNR a0 (M0 = m(a0)). */
  a0: number;
  steps: number;
}

export interface TrajectoryJobResult {
  N: number;
  snr: number;
  seed: number;
  /** Mode-averaged normalised overlap at steps 0..steps (AMP) and state evolution from M0 = m(a0). */
  amp: number[];
  se: number[];
  seconds: number;
}

/** AMP's overlap at every step on one planted cube, and state evolution from the same start. */
export async function trajectoryJob(a: TrajectoryJobArgs): Promise<TrajectoryJobResult> {
  const started = Date.now();
  const shape = [a.N, a.N, a.N];
  const pt = plantedTensor({ shape, snr: a.snr, priors: a.prior, seed: a.seed });
  const r = amp(pt.tensor, { snr: a.snr, priors: a.prior, init: { informed: a.a0 }, truth: pt.factors, seed: a.seed, maxIterations: a.steps, tolerance: 0 });
  const norms = pt.factors.map((x) => dot(x, x));
  const ampTraj = r.overlaps.map((o) => o.reduce((s, m, k) => s + (m[0] * a.N) / norms[k], 0) / 3);
  while (ampTraj.length < a.steps + 1) ampTraj.push(ampTraj[ampTraj.length - 1]);
  const m0 = scalarChannel(a.prior, a.a0).overlap;
  const se = stateEvolution({ snr: a.snr, priors: a.prior, init: [m0, m0, m0], maxIterations: a.steps, tolerance: 0 }).overlaps.map((o) => o[0]);
  return { N: a.N, snr: a.snr, seed: a.seed, amp: ampTraj, se, seconds: (Date.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// (b) phase diagrams

export interface AmpPointJobArgs {
  shape: number[];
  snr: number;
  prior: Prior;
  seed: number;
  init: 'random' | 'informed';
  /** Informed start's a0 (default 10). */
  a0?: number;
  maxIterations: number;
  damping?: number;
}

export interface AmpPointJobResult {
  shape: number[];
  snr: number;
  seed: number;
  init: 'random' | 'informed';
  /** Mode-averaged normalised overlap at the end, and per mode. */
  overlap: number;
  modes: number[];
  iterations: number;
  converged: boolean;
  seconds: number;
}

/** One AMP run to convergence (or the cap) from a random or an informed start. */
export async function ampPointJob(a: AmpPointJobArgs): Promise<AmpPointJobResult> {
  const started = Date.now();
  const pt = plantedTensor({ shape: a.shape, snr: a.snr, priors: a.prior, seed: a.seed });
  const r = amp(pt.tensor, {
    snr: a.snr, priors: a.prior, seed: a.seed, maxIterations: a.maxIterations, tolerance: 1e-6, damping: a.damping ?? 0,
    init: a.init === 'random' ? 'random' : { informed: a.a0 ?? 10 }, truth: a.init === 'random' ? undefined : pt.factors,
  });
  const modes = normalisedOverlaps(r.factors, pt.factors);
  return {
    shape: a.shape, snr: a.snr, seed: a.seed, init: a.init, overlap: modes.reduce((s, v) => s + v, 0) / modes.length, modes,
    iterations: r.convergence.iterations, converged: r.convergence.converged, seconds: (Date.now() - started) / 1000,
  };
}

export interface SeDiagramJobArgs {
  /** A label for the row (e.g. "mu = 0.2"). */
  label: string;
  prior: Prior;
  aspectRatios?: number[];
  snrs: number[];
  randomOverlap?: number;
}

export interface SeDiagramJobResult {
  label: string;
  snrs: number[];
  /** Mode-averaged fixed points from the informed and the random start, their free energies, and the phase. */
  informed: number[];
  random: number[];
  informedFreeEnergy: number[];
  randomFreeEnergy: number[];
  phases: Phase[];
  seconds: number;
}

/** Both state-evolution branches along an SNR grid for one prior and shape. */
export async function seDiagramJob(a: SeDiagramJobArgs): Promise<SeDiagramJobResult> {
  const started = Date.now();
  const out: SeDiagramJobResult = { label: a.label, snrs: a.snrs, informed: [], random: [], informedFreeEnergy: [], randomFreeEnergy: [], phases: [], seconds: 0 };
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  for (const snr of a.snrs) {
    const p = phasePoint(snr, { priors: a.prior, aspectRatios: a.aspectRatios, randomOverlap: a.randomOverlap });
    out.informed.push(mean(p.informed));
    out.random.push(mean(p.random));
    out.informedFreeEnergy.push(p.informedFreeEnergy);
    out.randomFreeEnergy.push(p.randomFreeEnergy);
    out.phases.push(p.phase);
  }
  out.seconds = (Date.now() - started) / 1000;
  return out;
}

export interface ThresholdJobArgs {
  label: string;
  prior: Prior;
  aspectRatios: number[];
  snrMax?: number;
}

export interface ThresholdJobResult {
  label: string;
  aspectRatios: number[];
  spinodal: number | null;
  informationTheoretic: number | null;
  algorithmic: number | null;
  seconds: number;
}

/** The three thresholds for one prior and shape. */
export async function thresholdJob(a: ThresholdJobArgs): Promise<ThresholdJobResult> {
  const started = Date.now();
  const t = phaseThresholds({ priors: a.prior, aspectRatios: a.aspectRatios, snrMin: 0.1, snrMax: a.snrMax ?? 200, relativeTolerance: 1e-4 });
  return { label: a.label, aspectRatios: a.aspectRatios, ...t, seconds: (Date.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// (c) AMP against ALS

/** |S-hat - S| / |S| for Kruskal tensors given by (scale, factors), from Gram matrices. */
export function signalError(est: { scale: number; factors: Float64Array[]; rank: number }, truth: { scale: number; factors: Float64Array[]; rank: number }, shape: number[]): number {
  const cross = (A: { scale: number; factors: Float64Array[]; rank: number }, B: { scale: number; factors: Float64Array[]; rank: number }) => {
    const V = new Float64Array(A.rank * B.rank).fill(A.scale * B.scale);
    A.factors.forEach((F, n) => {
      const G = new Float64Array(A.rank * B.rank);
      gemm(A.rank, B.rank, shape[n], F, B.factors[n], G, { transA: true });
      for (let i = 0; i < G.length; i++) V[i] *= G[i];
    });
    return V.reduce((s, v) => s + v, 0);
  };
  const ss = cross(truth, truth);
  return Math.sqrt(Math.max(0, cross(est, est) - 2 * cross(est, truth) + ss) / ss);
}

export interface ComparisonJobArgs {
  N: number;
  rank: number;
  snr: number;
  prior: Prior;
  seed: number;
  alsMaxIterations: number;
  ampMaxIterations: number;
}

export interface ComparisonJobResult {
  N: number;
  rank: number;
  snr: number;
  seed: number;
  /** Per mode, mean over components of |cos| after alignment. */
  ampCosine: number[];
  alsCosine: number[];
  ampError: number;
  alsError: number;
  /** ALS's relative fit error to the noisy data (it fits the noise: below the noise floor means overfitting). */
  alsDataError: number;
  ampIterations: number;
  alsIterations: number;
  seconds: number;
}

/** AMP (random start, the true prior and SNR) and CP-ALS (random start) on one planted cube. */
export async function comparisonJob(a: ComparisonJobArgs): Promise<ComparisonJobResult> {
  const started = Date.now();
  const shape = [a.N, a.N, a.N];
  const pt = plantedTensor({ shape, rank: a.rank, snr: a.snr, priors: a.prior, seed: a.seed });
  const truthK: KruskalTensor = { shape, rank: a.rank, factors: pt.factors };
  const r = amp(pt.tensor, { snr: a.snr, priors: a.prior, rank: a.rank, seed: a.seed, maxIterations: a.ampMaxIterations, tolerance: 1e-6 });
  const als = cpAls(pt.tensor, { rank: a.rank, seed: a.seed, tolerance: 1e-7, maxIterations: a.alsMaxIterations });
  const cosines = (K: KruskalTensor) => {
    const s = factorSimilarity(truthK, K, { weights: false });
    return shape.map((_, n) => s.modeCosines.reduce((acc, row) => acc + Math.abs(row[n]), 0) / a.rank);
  };
  const ampK: KruskalTensor = { shape, rank: a.rank, factors: r.factors };
  return {
    N: a.N, rank: a.rank, snr: a.snr, seed: a.seed,
    ampCosine: cosines(ampK), alsCosine: cosines(als.model),
    ampError: signalError({ scale: pt.scale, factors: r.factors, rank: a.rank }, { scale: pt.scale, factors: pt.factors, rank: a.rank }, shape),
    alsError: signalError({ scale: 1, factors: als.model.factors, rank: a.rank }, { scale: pt.scale, factors: pt.factors, rank: a.rank }, shape),
    alsDataError: als.lossHistory[als.lossHistory.length - 1],
    ampIterations: r.convergence.iterations, alsIterations: als.convergence.iterations, seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------
// (d) synthetic neuron x time x trial data

export interface NeuralTensor {
  shape: number[];
  /** The planted factors (neurons, time, trials), columns scaled to mean square 1 (E[x^2] = 1 as the model assumes). */
  factors: Float64Array[];
  data: Float64Array;
  scale: number;
}

/**
 * Planted TCA-style data, rank 3: neuron factors sparse and nonnegative
 * (a third of the cells per component, exponential weights), time factors
 * Gaussian bumps at three latencies, trial factors: one constant, one ramp
 * (learning), one switching on half-way; T = s sum + N(0, 1) noise with
 * s = sqrt(snr / N^2), N the geometric mean of the sizes.
 */
export function neuralTensor(o: { neurons: number; time: number; trials: number; snr: number; seed: number }): NeuralTensor {
  const I = checkInteger('neurons', o.neurons, 3), T = checkInteger('time', o.time, 3), K = checkInteger('trials', o.trials, 2);
  const snr = checkNumber('snr', o.snr, 0);
  const rng = new Rng(checkInteger('seed', o.seed, 0));
  const r = 3;
  const A = new Float64Array(I * r), B = new Float64Array(T * r), C = new Float64Array(K * r);
  for (let i = 0; i < I; i++) for (let s = 0; s < r; s++) A[i * r + s] = rng.uniform() < 1 / 3 ? -Math.log(1 - rng.uniform()) : 0;
  const centres = [0.2, 0.45, 0.7], width = 0.07;
  for (let t = 0; t < T; t++) for (let s = 0; s < r; s++) B[t * r + s] = Math.exp(-0.5 * ((t / (T - 1) - centres[s]) / width) ** 2);
  for (let k = 0; k < K; k++) {
    C[k * r] = 1;
    C[k * r + 1] = 0.1 + k / (K - 1);
    C[k * r + 2] = k >= K / 2 ? 1 : 0.05;
  }
  const sizes = [I, T, K];
  const factors = [A, B, C].map((F, n) => {
    for (let s = 0; s < r; s++) {
      let ss = 0;
      for (let i = 0; i < sizes[n]; i++) ss += F[i * r + s] ** 2;
      const f = ss > 0 ? Math.sqrt(sizes[n] / ss) : 0;
      for (let i = 0; i < sizes[n]; i++) F[i * r + s] *= f;
    }
    return F;
  });
  const N = Math.cbrt(I * T * K), scale = Math.sqrt(snr / (N * N));
  const data = new Float64Array(I * T * K);
  for (let i = 0; i < I; i++) for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) {
    let v = 0;
    for (let s = 0; s < r; s++) v += A[i * r + s] * B[t * r + s] * C[k * r + s];
    data[(i * T + t) * K + k] = scale * v + rng.normal();
  }
  return { shape: sizes, factors, data, scale };
}

export interface NeuralDataJobArgs { neurons: number; time: number; trials: number; snr: number; seed: number; replicates: number; maxIterations: number }

export interface NeuralFit {
  method: string;
  /** Aligned factors (to the truth's component order and signs), each column scaled to mean square 1. */
  factors: number[][];
  similarity: number;
  modeCosines: number[][];
}

export interface NeuralDataJobResult {
  shape: number[];
  truth: number[][];
  fits: NeuralFit[];
  /** CP-ALS ensemble: per rank, the best loss and the mean similarity of the replicates to the best one. */
  ensemble: { rank: number; bestLoss: number; meanSimilarity: number }[];
  seconds: number;
}

/** CP-ALS (best of replicates), nonnegative CP (HALS) and AMP (nonnegative prior) on the synthetic data, aligned to the truth. */
export async function neuralDataJob(a: NeuralDataJobArgs): Promise<NeuralDataJobResult> {
  const started = Date.now();
  const d = neuralTensor(a);
  const T = { shape: d.shape, data: d.data };
  const truth: KruskalTensor = { shape: d.shape, rank: 3, factors: d.factors };
  const ens = cpEnsemble(T, { ranks: [1, 2, 3, 4], replicates: a.replicates, seed: a.seed, tolerance: 1e-7, maxIterations: a.maxIterations });
  const best3 = ens.byRank.find((e) => e.rank === 3)!.fits[0].model;
  const ncp = [0, 1, 2].map((j) => cpNonnegative(T, { rank: 3, seed: a.seed + j, tolerance: 1e-7, maxIterations: a.maxIterations }))
    .sort((x, y) => x.lossHistory[x.lossHistory.length - 1] - y.lossHistory[y.lossHistory.length - 1])[0].model;
  const r = amp(T, { snr: a.snr, priors: { kind: 'nonnegative' }, rank: 3, seed: a.seed, maxIterations: 300, tolerance: 1e-7, damping: 0.3 });
  const fit = (method: string, K: KruskalTensor): NeuralFit => {
    const s = factorSimilarity(truth, K, { weights: false });
    const factors = s.aligned.factors.map((F, n) => normaliseColumns(F, d.shape[n], 3));
    return { method, factors, similarity: s.score, modeCosines: s.modeCosines };
  };
  return {
    shape: d.shape, truth: d.factors.map((F) => Array.from(F)),
    fits: [fit('CP-ALS', best3), fit('nonnegative CP (HALS)', ncp), fit('AMP (nonnegative prior)', { shape: d.shape, rank: 3, factors: r.factors })],
    ensemble: ens.byRank.map((e) => ({ rank: e.rank, bestLoss: e.losses[0], meanSimilarity: e.similarities.reduce((s, v) => s + v, 0) / e.similarities.length })),
    seconds: (Date.now() - started) / 1000,
  };
}

function normaliseColumns(F: Float64Array, I: number, r: number): number[] {
  const out = Array.from(F);
  for (let s = 0; s < r; s++) {
    let ss = 0;
    for (let i = 0; i < I; i++) ss += F[i * r + s] ** 2;
    const f = ss > 0 ? Math.sqrt(I / ss) : 0;
    for (let i = 0; i < I; i++) out[i * r + s] *= f;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Run time

/**
 * Rough run time in seconds shared by `workers`: AMP and ALS cost 3 MTTKRPs a
 * step (2 N^3 r flops each) at `gflops` (default 2: the MTTKRP reads the whole
 * tensor once, so it is memory-bound), plus planting the tensor (N^3 normal
 * draws at ~5e7 per s), plus `seSeconds` of state evolution.
 */
export function estimatedRunSeconds(e: { runs: { N: number; rank: number; steps: number }[]; seSeconds: number; workers: number; gflops?: number }): number {
  const rate = (e.gflops ?? 2) * 1e9;
  let s = e.seSeconds;
  for (const r of e.runs) s += (r.steps * 3 * 2 * r.N ** 3 * r.rank) / rate + r.N ** 3 / 5e7;
  return s / checkInteger('workers', e.workers, 1);
}

// ---------------------------------------------------------------------------
// Figures and the table

const medianOf = (v: number[]) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/** AMP's mode-averaged overlap per step (median over seeds, range as a band) beside state evolution, per SNR. */
export function trajectoryFigure(runs: readonly TrajectoryJobResult[]): Figure {
  const snrs = [...new Set(runs.map((r) => r.snr))].sort((a, b) => a - b);
  const series: LineSeries[] = [];
  for (const snr of snrs) {
    const rs = runs.filter((r) => r.snr === snr);
    const steps = rs[0].amp.length;
    const x = Array.from({ length: steps }, (_, t) => t);
    const at = (t: number) => rs.map((r) => r.amp[t]);
    series.push({ x, y: rs[0].se, name: `state evolution, lambda = ${snr}`, mode: 'lines' });
    series.push({
      x, y: x.map((t) => medianOf(at(t))), name: `AMP, N = ${rs[0].N}, lambda = ${snr} (median of ${rs.length} seeds, range)`, mode: 'markers',
      band: { lower: x.map((t) => Math.min(...at(t))), upper: x.map((t) => Math.max(...at(t))) },
    });
  }
  return line(series, { title: 'AMP at finite N follows the state-evolution trajectory', xLabel: 'step t', yLabel: 'overlap M (mode average)' });
}

/** Both state-evolution branches against lambda, with finite-N AMP points from informed and random starts. */
export function hysteresisFigure(se: SeDiagramJobResult, points: readonly AmpPointJobResult[]): Figure {
  const series: LineSeries[] = [
    { x: se.snrs, y: se.informed, name: 'state evolution, informed start', mode: 'lines' },
    { x: se.snrs, y: se.random, name: 'state evolution, random start', mode: 'lines', dash: 'dash' },
  ];
  for (const init of ['informed', 'random'] as const) {
    const ps = points.filter((p) => p.init === init);
    const snrs = [...new Set(ps.map((p) => p.snr))].sort((a, b) => a - b);
    if (!snrs.length) continue;
    const at = (l: number) => ps.filter((p) => p.snr === l).map((p) => p.overlap);
    series.push({
      x: snrs, y: snrs.map((l) => medianOf(at(l))), mode: 'markers', name: `AMP N = ${ps[0].shape[0]}, ${init} start (median, range)`,
      error: snrs.map((l) => (Math.max(...at(l)) - Math.min(...at(l))) / 2),
    });
  }
  return line(series, { title: `Hysteresis: informed and random starts (${se.label})`, xLabel: 'SNR lambda', yLabel: 'overlap M' });
}

const PHASE_CODE: Record<Phase, number> = { impossible: 0, hard: 1, easy: 2 };

/** Phase (0 impossible, 1 hard, 2 easy) over the SNR grid (columns) and the rows' labels. */
export function phaseHeatmap(rows: readonly SeDiagramJobResult[], title: string, yLabel: string): Figure {
  if (rows.length === 0) throw new ArgumentError('rows', 'at least one diagram row', rows);
  const snrs = rows[0].snrs;
  return heatmap(rows.map((r) => r.phases.map((p) => PHASE_CODE[p])), {
    x: snrs, y: rows.map((r) => r.label), title: `${title} (0 impossible, 1 hard, 2 easy)`, xLabel: 'SNR lambda', yLabel, zmin: 0, zmax: 2,
  });
}

/** Thresholds against the aspect-ratio parameter, one line per threshold and family. */
export function thresholdFigure(families: readonly { family: string; x: number[]; results: ThresholdJobResult[] }[]): Figure {
  const series: LineSeries[] = [];
  for (const f of families) {
    for (const [key, name] of [['spinodal', 'spinodal (informed start recovers)'], ['informationTheoretic', 'information-theoretic']] as const) {
      series.push({ x: f.x, y: f.results.map((r) => r[key] ?? NaN), name: `${f.family}: ${name}`, mode: 'lines+markers', dash: key === 'spinodal' ? 'solid' : 'dash' });
    }
  }
  return line(series, { title: 'Thresholds against the aspect ratios', xLabel: 'aspect parameter rho', yLabel: 'SNR lambda' });
}

/** Mode-averaged cosine (left) or reconstruction error (right) against the noise 1/lambda, AMP and ALS, median and range over seeds. */
export function comparisonFigure(runs: readonly ComparisonJobResult[], which: 'cosine' | 'error'): Figure {
  const snrs = [...new Set(runs.map((r) => r.snr))].sort((a, b) => b - a);
  const x = snrs.map((l) => 1 / l);
  const get = (r: ComparisonJobResult, m: 'amp' | 'als') => (which === 'cosine' ? (m === 'amp' ? r.ampCosine : r.alsCosine).reduce((s, v) => s + v, 0) / 3 : m === 'amp' ? r.ampError : r.alsError);
  const series: LineSeries[] = (['amp', 'als'] as const).map((m) => {
    const vals = snrs.map((l) => runs.filter((r) => r.snr === l).map((r) => get(r, m)));
    return { x, y: vals.map(medianOf), name: m === 'amp' ? 'AMP (prior, random start)' : 'CP-ALS (random start)', mode: 'lines+markers' as const, band: { lower: vals.map((v) => Math.min(...v)), upper: vals.map((v) => Math.max(...v)) } };
  });
  return line(series, {
    title: which === 'cosine' ? 'Per-mode cosine with the planted factors' : 'Reconstruction error of the signal tensor',
    xLabel: 'noise 1 / lambda', yLabel: which === 'cosine' ? 'mean |cos| over modes and components' : '|S-hat - S| / |S|',
  });
}

/** One mode's factors: the truth (lines) and each fit (markers), component by component. */
export function factorFigure(r: NeuralDataJobResult, mode: number, label: string): Figure {
  const I = r.shape[mode];
  const x = Array.from({ length: I }, (_, i) => i);
  const series: LineSeries[] = [];
  for (let s = 0; s < 3; s++) {
    series.push({ x, y: x.map((i) => r.truth[mode][i * 3 + s] + 4 * s), name: `component ${s + 1}: planted`, mode: 'lines', color: '#444' });
    r.fits.forEach((f, k) => series.push({ x, y: x.map((i) => f.factors[mode][i * 3 + s] + 4 * s), name: `component ${s + 1}: ${f.method}`, mode: k === 0 ? 'lines' : 'markers', dash: k === 0 ? 'dot' : undefined }));
  }
  return line(series, { title: `${label} factors (components offset by 4)`, xLabel: label, yLabel: 'factor (mean square 1)' });
}

/** Paper claims against this run's numbers. */
export function reproductionRows(r: {
  spinodal: number | null; informationTheoretic: number | null; trajectoryGap: number; trajectorySettings: string;
  hysteresis: string; aspect: string; comparison: string; neural: string;
}): Record<string, string>[] {
  const f = (v: number | null) => (v === null ? 'none below the scan limit' : v.toFixed(4));
  return [
    { quantity: 'cubic p = 3, N(0, 1) prior: spinodal lambda and overlap', paper: 'hard phase: informed starts recover, random ones do not (qualitative)', reference: `lambda = ${REFERENCE_VALUES.spinodal}, m = ${REFERENCE_VALUES.spinodalOverlap} (derived)`, measured: `state evolution: lambda = ${f(r.spinodal)}` },
    { quantity: 'cubic p = 3, N(0, 1) prior: free-energy crossing', paper: 'hard / impossible boundary from the Bethe free energy', reference: `${REFERENCE_VALUES.informationTheoretic} (derived)`, measured: f(r.informationTheoretic) },
    { quantity: 'finite-N AMP against state evolution', paper: 'excellent match with simulations', reference: '-', measured: `largest gap of the median trajectory ${r.trajectoryGap.toFixed(3)} (${r.trajectorySettings})` },
    { quantity: 'hysteresis in the hard region', paper: 'informed and random starts differ', reference: '-', measured: r.hysteresis },
    { quantity: 'thresholds against the aspect ratios', paper: 'depend on the shape (qualitative surprise against the cube)', reference: '-', measured: r.aspect },
    { quantity: 'AMP against ALS under noise', paper: 'AMP significantly outperforms ALS', reference: '-', measured: r.comparison },
    { quantity: 'synthetic neuron x time x trial data', paper: '- (tensortools-style example)', reference: '-', measured: r.neural },
  ];
}
