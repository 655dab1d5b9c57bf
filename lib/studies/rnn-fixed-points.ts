/**
 * Study: fixed points of trained recurrent networks -- the 3-bit flip-flop's
 * cube and the line attractors of context-dependent integration
 * (notebooks/rnn-fixed-points.ipynb; Sussillo & Barak 2013; Golub & Sussillo
 * 2018; Maheswaranathan et al. 2019, arXiv:1907.08549). The maths is
 * lib/dynamics (cells, training, finder, linearisation, topology graph,
 * line-attractor statistics); this file holds what the notebook computes
 * around the calls:
 *
 *   pool jobs          studyJob: build, train and search one network; runStudies runs many
 *   unstable modes     counts of points with m = 0..3 unstable modes (|lambda| > 1), and more
 *   cube test          a network passes when its counts are exactly 8 / 12 / 6 / 1
 *   memory labels      stable point -> the signs of the readout there ('+-+': the 3 bits it holds)
 *   cube edges         pairs of memories differing in one bit joined by a 1-mode saddle whose
 *                      two walks (topologyGraph) end at two differently labelled stable points
 *   linearisation R^2  one-step linear prediction around the first stable point, on states
 *                      x* + spread (U - 1/2), U ~ uniform[0, 1) per coordinate (seeded Rng)
 *   line attractors    per context: lineAttractorStatistics with the cued and the ignored
 *                      input column; medians per context for the table
 *
 * Jobs: the pool addresses them as `{ module: 'lib/studies/rnn-fixed-points', export: 'studyJob' }`.
 *
 * Exports: STUDY_MODULE, studyJob, runStudies, searchFixedPoints, restoreStudy, flipFlopJobs,
 * integrationJobs (with their argument and result types), CUBE_COUNTS, unstableModeCounts,
 * flipFlopCounts, flipFlopRates, memoryLabels, countCubeEdges, transitionGraphSummary,
 * stableLinearisationR2, targetMeanSquare, integrationStatistics, the figure builders
 * (unstableModeCountsFigure, flipFlopStateFigure, transitionGraphFigure, lineAttractorFigure,
 * lineEigenvalueFigure), flipFlopMeasured, integrationMeasured and reproductionRows.
 */
import * as tf from '@tensorflow/tfjs';
import { Job, JobContext, JobResult, Rng, RunOptions, checkInteger, checkNumber, formatMedianRange, initBackend, jobValues, median, runJobs } from '../core';
import {
  CellKind, FixedPointFinderOptions, FixedPoints, FixedPointSearch, NetworkJSON, RecurrentNetwork, RecurrentNetworkOptions,
  RecurrentTrainOptions, RecurrentTrainResult, TaskBatch, TopologyEdge, TopologyGraph, findNetworkFixedPoints,
  fixedPointFigureData, lineAttractorStatistics, linearisedPrediction, topologyGraph, trainNetwork, trajectoryStates,
} from '../dynamics';
import { pca } from '../geometry';
import { Figure, Scatter3dSeries, line, polylines3d, scatter, scatter3d } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/rnn-fixed-points';

// ---------------------------------------------------------------------------
// Worker-pool jobs

export interface FixedPointJobOptions {
  /** Trials of the training task whose states seed the search (default 128). */
  trials?: number;
  /** Number of initial states (default 1024) and the SD of the noise added to them (default 0.5). */
  initialStates?: number;
  noise?: number;
  /** Inputs to hold during the search, one search per input (default: one all-zero input). */
  inputs?: number[][];
  seed: number;
  finder?: Omit<FixedPointFinderOptions, 'progress'>;
}

export interface StudyJobArgs {
  network: RecurrentNetworkOptions;
  train: Omit<RecurrentTrainOptions, 'onProgress' | 'progress'>;
  fixedPoints?: FixedPointJobOptions;
}

export interface FixedPointJobResult {
  input: number[];
  /** FixedPoints.toJSON() of the converged, unique, non-outlier points. */
  fixedPoints: object;
  notConverged: number;
  outliers: number;
  iterations: number;
  seconds: number;
}

export interface StudyJobResult {
  network: NetworkJSON;
  train: RecurrentTrainResult;
  searches: FixedPointJobResult[];
}

/** A search as plain data (what crosses from a worker). */
function searchResult(input: number[], r: FixedPointSearch): FixedPointJobResult {
  return {
    input,
    fixedPoints: r.fixedPoints.toJSON(),
    notConverged: r.notConverged.length,
    outliers: r.outliers.length,
    iterations: r.iterations,
    seconds: r.wallSeconds,
  };
}

/**
 * One pool job: build, train and (with `fixedPoints`) search one network,
 * from states of its own trajectories on the training task.
 * `{ module: STUDY_MODULE, export: 'studyJob', args }`.
 */
export async function studyJob(args: StudyJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<StudyJobResult> {
  await initBackend({ print: false });
  const before = tf.memory().numTensors;
  const net = RecurrentNetwork.create(args.network);
  try {
    const share = args.fixedPoints ? 0.8 : 1;
    const train = trainNetwork(net, {
      ...args.train,
      progress: false,
      onProgress: ctx ? (i) => ctx.progress((share * i.step) / i.steps, `${net.kind} loss ${i.loss.toExponential(2)}`) : undefined,
    });
    const fp = args.fixedPoints;
    const searches = fp
      ? findNetworkFixedPoints(
        net, { ...fp, task: args.train.task, taskOptions: args.train.taskOptions },
        ctx ? (f, m) => ctx.progress(share + (1 - share) * f, m) : undefined,
      ).map((r, k) => searchResult(fp.inputs ? fp.inputs[k] : new Array(net.inputSize).fill(0), r))
      : [];
    return { network: net.toJSON(), train, searches };
  } finally {
    net.dispose();
    if (tf.memory().numTensors > before) console.warn(`studyJob: ${tf.memory().numTensors - before} tensors left behind`);
  }
}

/**
 * Trains (and analyses) many networks at once on the worker pool; results in
 * job order. Restore them with `restoreStudy`.
 */
export async function runStudies(jobs: StudyJobArgs[], options: RunOptions = {}): Promise<StudyJobResult[]> {
  const list: Job<StudyJobArgs>[] = jobs.map((args) => ({ module: STUDY_MODULE, export: 'studyJob', args }));
  const results = (await runJobs<StudyJobResult>(list, { progress: 'networks', ...options })) as JobResult<StudyJobResult>[];
  return jobValues(results);
}

/** Restores the FixedPoints of a search result. */
export function searchFixedPoints(r: FixedPointJobResult): FixedPoints {
  return FixedPoints.fromJSON(r.fixedPoints);
}

/** A job result as objects: the network, its training record, the fixed points and record of each search. */
export function restoreStudy(r: StudyJobResult): { net: RecurrentNetwork; train: RecurrentTrainResult; fps: FixedPoints[]; searches: FixedPointJobResult[] } {
  return { net: RecurrentNetwork.fromJSON(r.network), train: r.train, fps: r.searches.map(searchFixedPoints), searches: r.searches };
}

/** One job per (architecture, seed), keyed by both. */
function jobPlan(archs: readonly CellKind[], seeds: readonly number[], job: (arch: CellKind, seed: number) => StudyJobArgs): { key: { arch: CellKind; seed: number }; job: StudyJobArgs }[] {
  return archs.flatMap((arch) => seeds.map((seed) => ({ key: { arch, seed }, job: job(arch, seed) })));
}

export interface FlipFlopSettings {
  archs: readonly CellKind[];
  seeds: readonly number[];
  units: Record<string, number>;
  /** Steps per trial, trials in the training set, batch, training steps, stop loss, initial learning rate. */
  stepsPerTrial: number;
  trainingTrials: number;
  batch: number;
  trainSteps: number;
  stopLoss: number;
  learningRate: number;
  /** Fixed-point search: initial states, their noise, iterations, Newton steps. */
  initialStates: number;
  noise: number;
  maxIters: number;
  newtonSteps: number;
}

/**
 * One job per (architecture, seed) for the 3-bit flip-flop: network seed
 * 1000 + s, training seed 2000 + s, search seed 3000 + s; FixedPointFinder's
 * adaptive learning rate (Adam eps 1e-3, clip 1) and a search from 128 trials' states.
 */
export function flipFlopJobs(p: FlipFlopSettings): { key: { arch: CellKind; seed: number }; job: StudyJobArgs }[] {
  return jobPlan(p.archs, p.seeds, (arch, seed) => ({
    network: { kind: arch, units: p.units[arch], inputSize: 3, outputSize: 3, seed: 1000 + seed },
    train: {
      task: 'flipFlop', taskOptions: { steps: p.stepsPerTrial, bits: 3, pulseProbability: 0.5 }, steps: p.trainSteps, batchSize: p.batch,
      trainingTrials: p.trainingTrials, learningRate: { kind: 'adaptive', rate: p.learningRate, minRate: 1e-5 }, adamEpsilon: 1e-3, clipNorm: 1,
      stopLoss: p.stopLoss, seed: 2000 + seed,
    },
    fixedPoints: { trials: 128, initialStates: p.initialStates, noise: p.noise, seed: 3000 + seed, finder: { maxIters: p.maxIters, newtonSteps: p.newtonSteps } },
  }));
}

export interface IntegrationSettings {
  archs: readonly CellKind[];
  seeds: readonly number[];
  units: number;
  /** Recurrent gain g, batch, training batches. */
  g: number;
  batch: number;
  trainSteps: number;
  /** Search: initial states, noise, iterations, and the q below which a point counts as slow (stop and accept). */
  initialStates: number;
  noise: number;
  maxIters: number;
  slowQ: number;
}

/**
 * One job per (architecture, seed) for context-dependent integration
 * (computation-thru-dynamics settings: Adam eps 0.1, lr 0.025 x 0.99975^step,
 * clip 10, L2 2e-4): network seed 5000 + s, training 6000 + s, search 7000 + s,
 * one search per context with the channels at zero and that context's input on.
 */
export function integrationJobs(p: IntegrationSettings): { key: { arch: CellKind; seed: number }; job: StudyJobArgs }[] {
  return jobPlan(p.archs, p.seeds, (arch, seed) => ({
    network: { kind: arch, units: p.units, inputSize: 4, outputSize: 1, seed: 5000 + seed, recurrentScale: p.g, trainInitialState: false },
    train: {
      task: 'contextIntegration', steps: p.trainSteps, batchSize: p.batch, learningRate: { kind: 'exponential', rate: 0.025, decay: 0.99975 },
      adamEpsilon: 0.1, clipNorm: 10, l2: 2e-4, seed: 6000 + seed,
    },
    fixedPoints: {
      trials: 128, initialStates: p.initialStates, noise: p.noise, seed: 7000 + seed, inputs: [[0, 0, 1, 0], [0, 0, 0, 1]],
      // newtonSteps 0: a slow-point search (Newton would move slow points to true fixed points; the finder's default is 20).
      finder: { maxIters: p.maxIters, tolQ: p.slowQ, acceptQ: p.slowQ, tolUnique: 1e-3, newtonSteps: 0 },
    },
  }));
}

// ---------------------------------------------------------------------------
// Flip-flop: counts, cube edges, linearisation

/** The cube's fixed points by number of unstable modes: 8 corners, 12 edges, 6 faces, 1 centre. */
export const CUBE_COUNTS: readonly number[] = [8, 12, 6, 1];

/** How many points have m = 0..maxModes unstable modes (`byModes`) and how many have more. */
export function unstableModeCounts(numUnstable: ArrayLike<number>, maxModes = 3): { byModes: number[]; more: number } {
  checkInteger('maxModes', maxModes, 0);
  const byModes = new Array<number>(maxModes + 1).fill(0);
  let more = 0;
  for (let i = 0; i < numUnstable.length; i++) {
    const k = numUnstable[i];
    if (k > maxModes) more++;
    else byModes[k]++;
  }
  return { byModes, more };
}

export interface FlipFlopCounts {
  total: number;
  byModes: number[];
  more: number;
  /** Exactly 8 / 12 / 6 / 1 and nothing else. */
  cube: boolean;
  /** Exactly 8 stable points. */
  eightStable: boolean;
}

/** A network's fixed points against the cube. */
export function flipFlopCounts(fp: FixedPoints): FlipFlopCounts {
  const { byModes, more } = unstableModeCounts(fp.length ? fp.numUnstable : []);
  return { total: fp.length, byModes, more, cube: byModes.every((c, i) => c === CUBE_COUNTS[i]) && more === 0, eightStable: byModes[0] === 8 };
}

/** Per architecture: the fraction of networks with the cube's counts and with 8 stable points. */
export function flipFlopRates(rows: readonly (FlipFlopCounts & { arch: string })[], archs: readonly string[]): { passRate: Record<string, number>; eightStableRate: Record<string, number> } {
  const passRate: Record<string, number> = {};
  const eightStableRate: Record<string, number> = {};
  for (const arch of archs) {
    const mine = rows.filter((c) => c.arch === arch);
    passRate[arch] = mine.filter((c) => c.cube).length / mine.length;
    eightStableRate[arch] = mine.filter((c) => c.eightStable).length / mine.length;
  }
  return { passRate, eightStableRate };
}

/** Per point: the signs of the readout at a stable point, one '+' or '-' per output ('' for unstable points). */
export function memoryLabels(net: RecurrentNetwork, fp: FixedPoints): string[] {
  const W = net.Wout.dataSync();
  const b = net.bout.dataSync();
  const n = net.cell.units;
  const off = net.cell.hiddenOffset;
  const S = fp.stateSize;
  const O = net.outputSize;
  const stable = fp.length ? fp.isStable : [];
  return Array.from({ length: fp.length }, (_, i) => {
    if (!stable[i]) return '';
    let label = '';
    for (let o = 0; o < O; o++) {
      let y = b[o];
      for (let j = 0; j < n; j++) y += fp.xstar[i * S + off + j] * W[j * O + o];
      label += y >= 0 ? '+' : '-';
    }
    return label;
  });
}

/**
 * Cube edges recovered by a topology graph: the distinct pairs of labels
 * joined by a point with exactly one unstable mode whose walks reach exactly
 * two stable points (`to` of its edges) with labels that differ in one position.
 */
export function countCubeEdges(edges: readonly Pick<TopologyEdge, 'from' | 'to'>[], numUnstable: ArrayLike<number>, isStable: readonly boolean[], labels: readonly string[]): number {
  const pairs = new Set<string>();
  for (let i = 0; i < numUnstable.length; i++) {
    if (numUnstable[i] !== 1) continue;
    const ends = edges.filter((e) => e.from === i && e.to >= 0 && isStable[e.to]).map((e) => labels[e.to]);
    if (ends.length !== 2 || ends[0] === ends[1] || ends[0].length !== ends[1].length) continue;
    let diff = 0;
    for (let k = 0; k < ends[0].length; k++) if (ends[0][k] !== ends[1][k]) diff++;
    if (diff === 1) pairs.add([...ends].sort().join('|'));
  }
  return pairs.size;
}

/** The topology graph of a flip-flop network and what it shows: cube edges, distinct memories among stable points, walks. */
export function transitionGraphSummary(net: RecurrentNetwork, fp: FixedPoints): { cubeEdges: number; distinctMemories: number; edges: number; graph: TopologyGraph | null } {
  if (fp.length === 0) return { cubeEdges: 0, distinctMemories: 0, edges: 0, graph: null };
  const graph = topologyGraph(net.cell, fp);
  const labels = memoryLabels(net, fp);
  return {
    cubeEdges: countCubeEdges(graph.edges, fp.numUnstable, fp.isStable, labels),
    distinctMemories: new Set(labels.filter((l) => l)).size,
    edges: graph.edges.length,
    graph,
  };
}

/**
 * R^2 of the linearised one-step prediction around the first stable point, on
 * `points` states x* + spread (U - 1/2) (U uniform per coordinate, seeded);
 * undefined when no point is stable.
 */
export function stableLinearisationR2(net: RecurrentNetwork, fp: FixedPoints, o: { points?: number; spread?: number; seed: number }): number | undefined {
  const points = checkInteger('points', o.points ?? 64, 1);
  const spread = checkNumber('spread', o.spread ?? 0.05, 0);
  const st = fp.length ? fp.isStable.indexOf(true) : -1;
  if (st < 0) return undefined;
  const S = fp.stateSize;
  const rng = new Rng(o.seed);
  const near = Float64Array.from({ length: points * S }, (_, k) => fp.xstar[st * S + (k % S)] + spread * (rng.uniform() - 0.5));
  return linearisedPrediction(net.cell, fp, st, near).r2;
}

// ---------------------------------------------------------------------------
// Context-dependent integration: line attractors

/** Mean square of a batch's targets (to read a loss as a fraction of it). */
export function targetMeanSquare(batch: TaskBatch): number {
  let s = 0;
  for (const v of batch.targets) s += v * v;
  return s / batch.targets.length;
}

export interface ContextStatistics {
  n: number;
  lineVariance: number;
  topEig: number[];
  rightAlign: number[];
  leftCued: number[];
  leftOther: number[];
}

/**
 * Per context (search k held context k's input on): the line-attractor
 * statistics of its slow points, with the left eigenvector compared to the
 * cued channel's input column (k) and the ignored one (1 - k).
 */
export function integrationStatistics(fps: readonly FixedPoints[]): ContextStatistics[] {
  return fps.map((fp, ctx) => {
    const s = lineAttractorStatistics(fp, { inputColumns: [ctx, 1 - ctx] });
    return { n: s.n, lineVariance: s.lineVariance, topEig: s.topEigenvalue, rightAlign: s.rightAlignment, leftCued: s.leftAlignment[0], leftOther: s.leftAlignment[1] };
  });
}

/** The median, or NaN (null in results.json) when a context had too few points for statistics. */
function medianOrNaN(v: readonly number[]): number {
  return v.length ? median(v) : NaN;
}

// ---------------------------------------------------------------------------
// Figures

const MODE_COLORS = ['#000000', '#ff7f0e', '#2ca02c', '#d62728'];
const CONTEXT_COLORS = ['#1f77b4', '#ff7f0e'];

/** Counts by number of unstable modes, one marker per network (architectures side by side), beside the cube's. */
export function unstableModeCountsFigure(rows: readonly (FlipFlopCounts & { arch: string })[], archs: readonly string[]): Figure {
  const offset = (a: number) => (archs.length > 1 ? -0.15 + (0.3 * a) / (archs.length - 1) : 0);
  const series = archs.map((arch, a) => {
    const mine = rows.filter((c) => c.arch === arch);
    return { x: mine.flatMap(() => [0, 1, 2, 3].map((m) => m + offset(a))), y: mine.flatMap((c) => c.byModes.slice(0, 4)), name: arch, size: 8 };
  });
  return scatter([...series, { x: [0, 1, 2, 3], y: [...CUBE_COUNTS], name: 'cube 8/12/6/1', size: 14, color: '#000' }],
    { title: 'Flip-flop: fixed points by number of unstable modes (one marker per network)', xLabel: 'number of unstable modes', xInteger: true, yLabel: 'count', yInteger: true });
}

/** Points `idx` of projected rows [m x 3] as a 3-D point set. */
function pointsAt(xy: Float64Array, idx: readonly number[]): { x: number[]; y: number[]; z: number[] } {
  return { x: idx.map((i) => xy[3 * i]), y: idx.map((i) => xy[3 * i + 1]), z: idx.map((i) => xy[3 * i + 2]) };
}

/**
 * The fixed points in the space of the first three PCs of the network's
 * trajectories (`trials` flip-flop trials of `steps` steps, seeded): the
 * trajectories (grey), stable points (black), unstable ones (red) and a line
 * along each unstable mode, x* +- 0.25 |lambda| Re(r).
 */
export function flipFlopStateFigure(net: RecurrentNetwork, fp: FixedPoints, o: { trials: number; steps: number; seed: number; label: string }): Figure {
  const S = net.stateSize;
  const traj = trajectoryStates(net, 'flipFlop', { trials: o.trials, seed: o.seed, taskOptions: { steps: o.steps } });
  const p = pca(traj, S, 3);
  const fig = fixedPointFigureData(fp, p, { scale: 0.25 });
  const series: Scatter3dSeries[] = [
    polylines3d({ rows: p.project(traj), pathLength: o.steps }, { name: 'trajectories', color: '#bbbbbb' }),
    { ...fig.stable, name: `stable (${fig.stable.x.length})`, color: '#000000', size: 5 },
    { ...fig.unstable, name: `unstable (${fig.unstable.x.length})`, color: '#d62728', size: 4 },
  ];
  if (fig.modeLines.length) series.push(polylines3d(fig.modeLines, { name: 'unstable modes', color: '#d62728' }));
  const explained = (100 * p.explainedRatio.reduce((a, b) => a + b, 0)).toFixed(0);
  return scatter3d(series, { title: `${o.label}: fixed points in PC space (PCs explain ${explained}% of variance)`, xLabel: 'PC1', yLabel: 'PC2', zLabel: 'PC3' });
}

/** The topology graph in the PC space of the network's trajectories: each walk from a saddle to the first fixed point it reached, points by unstable modes. */
export function transitionGraphFigure(net: RecurrentNetwork, fp: FixedPoints, graph: TopologyGraph, o: { trials: number; steps: number; seed: number; title: string }): Figure {
  const S = net.stateSize;
  const p = pca(trajectoryStates(net, 'flipFlop', { trials: o.trials, seed: o.seed, taskOptions: { steps: o.steps } }), S, 3);
  const xy = p.project(fp.xstar);
  const walks = graph.edges.filter((e) => e.to >= 0).map((e) => pointsAt(xy, [e.from, e.to]));
  const modes = Array.from(fp.numUnstable);
  const series: Scatter3dSeries[] = walks.length ? [polylines3d(walks, { name: 'saddle -> first fixed point reached', color: '#1f77b4' })] : [];
  [0, 1, 2, 3].forEach((m) => {
    const idx = modes.flatMap((v, i) => (v === m ? [i] : []));
    series.push({ ...pointsAt(xy, idx), name: m === 0 ? 'stable' : `${m} unstable mode${m > 1 ? 's' : ''}`, color: MODE_COLORS[m], size: m === 0 ? 6 : 5 });
  });
  return scatter3d(series, { title: o.title, xLabel: 'PC1', yLabel: 'PC2', zLabel: 'PC3' });
}

/**
 * Slow points of each context in the PC space of the network's trajectories
 * (`trials` integration trials, both contexts, seeded), with a short segment
 * x* +- 0.5 Re(r_1) along the top right eigenvector of about 40 points per
 * context. Null when no context has points.
 */
export function lineAttractorFigure(net: RecurrentNetwork, fps: readonly FixedPoints[], o: { trials: number; seed: number; title: string }): Figure | null {
  const S = net.stateSize;
  const p = pca(trajectoryStates(net, 'contextIntegration', { trials: o.trials, seed: o.seed }), S, 3);
  const series: Scatter3dSeries[] = [];
  fps.forEach((fp, ctx) => {
    if (fp.length === 0) return;
    const color = CONTEXT_COLORS[ctx % 2];
    series.push({ ...pointsAt(p.project(fp.xstar), Array.from({ length: fp.length }, (_, i) => i)), name: `context ${ctx + 1} slow points (${fp.length})`, color, size: 3 });
    const segments: { x: number[]; y: number[]; z: number[] }[] = [];
    for (let i = 0; i < fp.length; i += Math.max(1, Math.floor(fp.length / 40))) {
      const e = fp.eigen![i];
      const ends = Float64Array.from({ length: 2 * S }, (_, k) => fp.xstar[i * S + (k % S)] + (k < S ? -1 : 1) * 0.5 * e.rightRe[(k % S) * S]);
      segments.push(pointsAt(p.project(ends), [0, 1]));
    }
    series.push(polylines3d(segments, { name: `context ${ctx + 1}: top right eigenvectors`, color }));
  });
  return series.length ? scatter3d(series, { title: o.title, xLabel: 'PC1', yLabel: 'PC2', zLabel: 'PC3' }) : null;
}

/** |lambda_1| at each slow point against its position along its context's line (first PC of the points). Null when no context has points. */
export function lineEigenvalueFigure(fps: readonly FixedPoints[]): Figure | null {
  const series = fps.flatMap((fp, ctx) => {
    if (fp.length === 0) return [];
    const pos = pca(fp.xstar, fp.stateSize, 1).project(fp.xstar);
    const order = Array.from({ length: fp.length }, (_, i) => i).sort((a, c) => pos[a] - pos[c]);
    return [{ x: order.map((i) => pos[i]), y: order.map((i) => fp.eigenvalueMagnitudes(i)[0]), name: `context ${ctx + 1}`, mode: 'markers' as const, color: CONTEXT_COLORS[ctx % 2] }];
  });
  return series.length ? line(series, { title: 'Top eigenvalue magnitude along each line', xLabel: 'position along the line (first PC of the slow points)', yLabel: '|lambda_1|' }) : null;
}

// ---------------------------------------------------------------------------
// results.json and the reproduction table

export interface FlipFlopRun {
  arch: CellKind;
  seed: number;
  train: RecurrentTrainResult;
  search: FixedPointJobResult;
}

/** The flip-flop part of results.json's `measured`. */
export function flipFlopMeasured(runs: readonly FlipFlopRun[], counts: readonly FlipFlopCounts[], graphs: readonly { cubeEdges: number; distinctMemories: number }[], archs: readonly string[], linearisedR2: Record<string, number | undefined>) {
  const rows = runs.map((r, i) => ({ arch: r.arch, seed: r.seed, ...counts[i] }));
  const { passRate, eightStableRate } = flipFlopRates(rows, archs);
  return {
    passRate, eightStableRate,
    perNetwork: rows.map((c, i) => ({
      ...c, cubeEdges: graphs[i].cubeEdges, distinctMemories: graphs[i].distinctMemories, finalLoss: runs[i].train.finalLoss,
      trainSteps: runs[i].train.steps, searchIterations: runs[i].search.iterations, notConverged: runs[i].search.notConverged,
    })),
    linearisedR2,
  };
}

/** The integration part of results.json's `measured`: per network and context, the slow points and the medians of their statistics. */
export function integrationMeasured(runs: readonly { arch: CellKind; seed: number; train: RecurrentTrainResult }[], stats: readonly ContextStatistics[][]) {
  return {
    perNetwork: runs.map((r, i) => ({
      arch: r.arch, seed: r.seed, finalLoss: r.train.finalLoss,
      contexts: stats[i].map((c) => ({
        slowPoints: c.n, lineVarianceFraction: c.lineVariance, topEigMedian: medianOrNaN(c.topEig), rightAlignMedian: medianOrNaN(c.rightAlign),
        leftCuedMedian: medianOrNaN(c.leftCued), leftIgnoredMedian: medianOrNaN(c.leftOther),
      })),
    })),
  };
}

export interface ReproductionInput {
  handBuilt: { fixedPoints: number; byModes: number[]; states: number };
  flipFlop: { arch: string; units: number; seeds: number; states: number; counts: FlipFlopCounts[]; cubeEdges: number[] }[];
  integration: { arch: string; units: number; seeds: number; trainSteps: number; stats: ContextStatistics[][] }[];
}

/** The closing table: paper value (qualitative, the cube's counts exact), measured median (range) over seeds or pass rate, settings. */
export function reproductionRows(r: ReproductionInput): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  const fmt = (v: number[], digits = 2) => formatMedianRange(v, digits);
  rows.push({
    study: 'hand-built 3-unit network', arch: 'selfExcitingUnits step function', quantity: 'fixed points: total; 0/1/2/3 unstable modes',
    paper: '27; 8/12/6/1 (closed form)', measured: `${r.handBuilt.fixedPoints}; ${r.handBuilt.byModes.join('/')}`, settings: `${r.handBuilt.states} uniform initial states`,
  });
  for (const f of r.flipFlop) {
    const settings = `${f.units} units, ${f.seeds} seeds, ${f.states} states`;
    const row = (quantity: string, paper: string | number, measured: string) => rows.push({ study: 'flip-flop', arch: f.arch, quantity, paper, measured, settings });
    row('stable fixed points', 8, fmt(f.counts.map((x) => x.byModes[0]), 0));
    row('saddles with 1 / 2 / 3 unstable modes', '12 / 6 / 1', [1, 2, 3].map((m) => fmt(f.counts.map((x) => x.byModes[m]), 0)).join(' / '));
    row('networks with exactly 8/12/6/1', 'all (cube topology)', `${f.counts.filter((x) => x.cube).length}/${f.counts.length}`);
    row('cube edges from 1-mode saddles', 12, fmt(f.cubeEdges, 0));
  }
  for (const g of r.integration) {
    const per = (f: (c: ContextStatistics) => number[]) => g.stats.flatMap((contexts) => contexts.map((c) => medianOrNaN(f(c)))).filter((v) => Number.isFinite(v));
    const settings = `${g.units} units, ${g.seeds} seeds x 2 contexts, ${g.trainSteps} batches`;
    const row = (quantity: string, paper: string, measured: string) => rows.push({ study: 'integration', arch: g.arch, quantity, paper, measured, settings });
    row('top |lambda| at slow points (median per context)', '~1', fmt(per((c) => c.topEig), 3));
    row('|cos(right eigvec, line)|', 'aligned (~1)', fmt(per((c) => c.rightAlign)));
    row('|cos(left eigvec, cued input)|', 'selects cued input', fmt(per((c) => c.leftCued)));
    row('|cos(left eigvec, ignored input)|', '~0', fmt(per((c) => c.leftOther)));
  }
  return rows;
}
