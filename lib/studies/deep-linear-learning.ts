/**
 * Study: exact learning dynamics of deep linear networks -- semantic
 * development (Saxe, McClelland & Ganguli, PNAS 2019, arXiv 1810.10531; the
 * mode solution from Saxe et al. 2014, arXiv 1312.6120) and generalization
 * and transfer (Lampinen & Ganguli, ICLR 2019, arXiv 1809.10374)
 * (notebooks/deep-linear-learning.ipynb). The theory is lib/linear's.
 *
 * (a) modeJob: gradient descent (lr, t = lr * step) on Syx = U diag(s) V^T
 *     with random orthonormal U, V; deep (D = 2, 3) and shallow (D = 1)
 *     networks, aligned or random small initialisation; theory u(t) of
 *     modes.ts. Read as: max_t |u_sim - u_theory| / s_max; transition time
 *     t_half (first record with u >= s/2, linearly interpolated) against
 *     ln(s/u0 - 1)/(2s).
 * (b) treeJob: branching-diffusion items (lib/linear hierarchicalData), Syx =
 *     Y / sqrt(F), one exception feature; records mode strengths, the hidden
 *     similarity and the exception's prediction. Read as:
 *     level half-times (mean over the level's modes of t_half);
 *     category split: d_l(t) = mean distance between items whose lowest
 *       common ancestor is at depth l - 1 (d_ij^2 = S_ii + S_jj - 2 S_ij),
 *       over its final value; the time it reaches 1/2, per level;
 *     illusion: max_t (-sign(y) (y_hat(t) - y_hat(0))) / |y| for the exception
 *       entry (> 0: the prediction moved the wrong way), 0 when it never did;
 *     similarity across seeds and widths at matched stages: the first record
 *       with loss <= L_end + f (L_0 - L_end), f = 1/2, 1/4, 1/10; the largest
 *       ||S_a - S_b||_F / ||S_b||_F over pairs of runs, and the distance to
 *       V A V^T (A the recorded strengths, V the item modes).
 * (c) generalizationJob: a noisy rank-r teacher (lib/linear noisyTeacher),
 *     GD from training-aligned or random small init, train and test error
 *     against time beside generalizationTheory; the optimal stopping time
 *     and error; optimal shrinkage's error (theory and this draw).
 *     transferJob: task A's optimal-stopping error alone and jointly with B
 *     (Monte Carlo, the spectral gradient-flow student) beside transferTheory.
 *
 * Exports: STUDY_MODULE, randomModesSyx, modeJob, halfTime, treeJob,
 * levelDistances, matchedStageIndex, illusionDepth, similarityAgreement, modeGap,
 * generalizationJob,
 * transferJob, shrinkageComparison, shrinkageFigure, estimatedRunSeconds, modeFigure, transitionFigure,
 * levelFigure, illusionFigure, mdsFigure, generalizationFigure,
 * transferFigure, reproductionRows, PAPER_CLAIMS.
 */
import { ArgumentError, checkInteger, checkPositive, formatMedianRange, Rng, svd } from '../core';
import { classicalMds } from '../geometry';
import {
  deepModeStrengths, dense, DenseMatrix, generalizationTheory, hierarchicalData, matmul, modeSimilarity, modeTransitionTime, noisyTeacher, optimalShrinkage,
  frobeniusDistanceSquared, optimalStopping, randomOrthonormal, shrinkageError, TransferOptions, similarityDistance, simulateLinearNetwork, spectralStudentErrors, transferTask, treeModes,
} from '../linear';
import { Figure, line, LineSeries, scatter } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/deep-linear-learning';

/**
 * What the papers claim, for the reproduction table (qualitative claims; the
 * papers' figures carry no tables of numbers to compare with).
 */
export const PAPER_CLAIMS = {
  modes: 'simulated GD from small init follows the sigmoid a(t); transition time ~ (1/2s) ln(s/a0) (Saxe et al. 2014, 2019)',
  shallow: 'a shallow network learns every mode on one timescale, 1 - e^-t (Saxe et al. 2019)',
  levels: 'modes of tree data are learned level by level, coarse first; hidden similarity splits coarse categories first (Saxe et al. 2019)',
  illusion: 'transient illusions (non-monotone predictions) in the deep network, none in the shallow one (Saxe et al. 2019)',
  rsm: 'the similarity matrix at a matched stage is the same across networks (Saxe et al. 2019)',
  generalization: 'train/test error of GD from TA init follow the random-matrix theory; test error is U-shaped (Lampinen & Ganguli 2019, fig. 3)',
  shrinkage: 'the non-gradient shrinkage algorithm beats optimally stopped GD at every SNR (Lampinen & Ganguli 2019)',
  transfer: 'transfer to a weak task A grows with the input alignment q; a misaligned B can hurt (Lampinen & Ganguli 2019, fig. 5)',
} as const;

// ------------------------------------------------------------------ (a) mode dynamics

/** Syx = U diag(s) V^T with random orthonormal U (m x k), V (n x k), k = s.length. */
export function randomModesSyx(s: readonly number[], outputs: number, inputs: number, seed: number): { Syx: DenseMatrix; U: DenseMatrix; V: DenseMatrix } {
  if (!Array.isArray(s) || s.length === 0 || s.length > Math.min(outputs, inputs)) throw new ArgumentError('s', `1 to ${Math.min(outputs, inputs)} singular values`, s);
  const rng = new Rng(seed);
  const U = randomOrthonormal(outputs, s.length, rng.child(0));
  const V = randomOrthonormal(inputs, s.length, rng.child(1));
  const US = dense(outputs, s.length, U.data.map((v, k) => v * s[k % s.length]));
  return { Syx: matmul(US, V, false, true), U, V };
}

/** A GD run's network and schedule, shared by the (a) and (b) jobs. */
export interface RunSchedule {
  /** Hidden widths ([] shallow). */
  hidden: number[];
  init: 'aligned' | 'random';
  /** aligned: u0; random: entry std. */
  initScale: number;
  lr: number;
  time: number;
  seed: number;
  recordEvery: number;
}

export interface ModeJobArgs extends RunSchedule {
  s: number[];
  outputs: number;
  inputs: number;
}

export interface ModeJobResult {
  args: ModeJobArgs;
  depth: number;
  times: number[];
  /** Per mode, the simulated strength at each recorded time. */
  strengths: number[][];
}

/** Pool job: one GD run on randomModesSyx (header (a)). */
export function modeJob(args: ModeJobArgs): ModeJobResult {
  const { Syx } = randomModesSyx(args.s, args.outputs, args.inputs, 1000 + args.seed);
  const steps = Math.round(args.time / args.lr);
  const r = simulateLinearNetwork({ Syx, hidden: args.hidden, lr: args.lr, steps, init: args.init, initScale: args.initScale, seed: args.seed, recordEvery: args.recordEvery, modes: args.s.length });
  const times = r.records.map((x) => x.time);
  return { args, depth: args.hidden.length + 1, times, strengths: args.s.map((_, j) => r.records.map((x) => x.modeStrengths[j])) };
}

/** First time a curve reaches `level` (linear interpolation between records), or null. */
export function halfTime(times: readonly number[], values: readonly number[], level: number): number | null {
  for (let i = 0; i < values.length; i++) {
    if (values[i] >= level) {
      if (i === 0) return times[0];
      const f = (level - values[i - 1]) / (values[i] - values[i - 1]);
      return times[i - 1] + f * (times[i] - times[i - 1]);
    }
  }
  return null;
}

/** max_t max_j |u_sim - u_theory| / max s, theory from u0 = initScale (aligned runs). */
export function modeGap(r: ModeJobResult): number {
  const smax = Math.max(...r.args.s);
  let gap = 0;
  r.args.s.forEach((s, j) => {
    const th = deepModeStrengths(s, r.args.initScale, r.times, r.depth);
    th.forEach((u, i) => { gap = Math.max(gap, Math.abs(r.strengths[j][i] - u)); });
  });
  return gap / smax;
}

export function modeFigure(runs: readonly ModeJobResult[], title: string): Figure {
  const series: LineSeries[] = [];
  for (const r of runs) {
    r.args.s.forEach((s, j) => {
      series.push({ x: r.times, y: r.strengths[j].map((u) => u / s), name: `D=${r.depth} sim s=${s}`, mode: 'markers' });
      if (r.args.init === 'aligned') series.push({ x: r.times, y: deepModeStrengths(s, r.args.initScale, r.times, r.depth).map((u) => u / s), name: `D=${r.depth} theory s=${s}`, dash: 'dash' });
    });
  }
  return line(series, { title, xLabel: 't = lr * step', yLabel: 'u(t) / s' });
}

/** Simulated t_half against theory for each run's modes. */
export function transitionFigure(runs: readonly ModeJobResult[]): Figure {
  const series = runs.map((r) => {
    const xs: number[] = [];
    const ys: number[] = [];
    r.args.s.forEach((s, j) => {
      const t = halfTime(r.times, r.strengths[j], s / 2);
      if (t !== null) { xs.push(s); ys.push(t); }
    });
    return { x: xs, y: ys, name: `D=${r.depth} ${r.args.init} (sim)`, mode: 'markers' as const };
  });
  const aligned = runs.find((r) => r.args.init === 'aligned' && r.depth === 2);
  if (aligned) {
    const s = [...aligned.args.s].sort((a, b) => a - b);
    series.push({ x: s, y: s.map((v) => modeTransitionTime(v, aligned.args.initScale, 2)), name: 'ln(s/u0 - 1)/(2s)', mode: 'lines' as never });
  }
  return line(series, { title: 'Transition time against singular value', xLabel: 'singular value s', yLabel: 't_half', logY: true });
}

// ------------------------------------------------------------------ (b) tree data

export interface TreeJobArgs extends RunSchedule {
  depth: number;
  branching: number;
  features: number;
  flipProb: number;
  dataSeed: number;
  /** The exception: item and the level of its category. */
  exception: { item: number; level: number };
}

export interface TreeJobResult {
  args: TreeJobArgs;
  times: number[];
  losses: number[];
  /** Per mode of Syx (descending s), strength over time, and its tree level. */
  strengths: number[][];
  singularValues: number[];
  modeLevels: number[];
  /** Hidden similarity (items x items, row-major) per record; empty for a shallow net. */
  similarity: number[][];
  /** The exception entry's prediction over time and its target. */
  exceptionPrediction: number[];
  exceptionTarget: number;
  /** Item-side singular vectors of Syx (items x modes, row-major), in the order of `strengths`. */
  itemModes: number[];
}

/** Pool job: one GD run on tree data (header (b)). */
export function treeJob(args: TreeJobArgs): TreeJobResult {
  const data = hierarchicalData({ depth: args.depth, branching: args.branching, features: args.features, flipProb: args.flipProb, seed: args.dataSeed, exceptions: [args.exception] });
  const F = data.features.rows;
  const Syx = dense(F, data.items, data.features.data.map((v) => v / Math.sqrt(args.features)));
  const P = data.items;
  const row = data.exceptionRows[0];
  const r = simulateLinearNetwork({
    Syx, hidden: args.hidden, lr: args.lr, steps: Math.round(args.time / args.lr), init: args.init, initScale: args.initScale, seed: args.seed,
    recordEvery: args.recordEvery, modes: Math.min(P, F), similarityLayer: args.hidden.length ? 1 : 0, entries: [[row, args.exception.item]],
  });
  // Level of each singular mode: the tree level whose contrast span holds most of its item vector.
  const { vectors, levels } = treeModes(args.depth, args.branching);
  const d = svd(Syx); // the same decomposition, hence the same mode order, as simulateLinearNetwork's
  const k = d.s.length;
  const svdModes = dense(P, k, Float64Array.from(d.v.to1DArray()));
  const modeLevels = Array.from({ length: k }, (_, a) => {
    const weight = new Array(args.depth + 1).fill(0);
    for (let c = 0; c < P; c++) {
      let dot = 0;
      for (let i = 0; i < P; i++) dot += svdModes.data[i * k + a] * vectors.data[i * P + c];
      weight[levels[c]] += dot * dot;
    }
    return weight.indexOf(Math.max(...weight));
  });
  return {
    args,
    times: r.records.map((x) => x.time),
    losses: r.records.map((x) => x.loss),
    strengths: Array.from({ length: k }, (_, j) => r.records.map((x) => x.modeStrengths[j])),
    singularValues: r.singularValues.slice(0, k),
    modeLevels,
    similarity: r.records.map((x) => (x.similarity ? Array.from(x.similarity.data) : [])),
    exceptionPrediction: r.records.map((x) => x.entries![0]),
    exceptionTarget: Syx.data[row * P + args.exception.item],
    itemModes: Array.from(svdModes.data),
  };
}

/** Per level l = 1..D: d_l(t) = mean distance between items whose lowest common ancestor is at depth l - 1 (header (b)). */
export function levelDistances(similarity: readonly number[], items: number, depth: number, branching: number): number[] {
  checkInteger('items', items, 1);
  if (similarity.length !== items * items) throw new ArgumentError('similarity', `${items * items} values`, similarity.length);
  const sums = new Array(depth).fill(0);
  const counts = new Array(depth).fill(0);
  for (let i = 0; i < items; i++) for (let j = i + 1; j < items; j++) {
    let a = i, b = j, k = depth;
    while (a !== b) { a = Math.floor(a / branching); b = Math.floor(b / branching); k--; }
    const d2 = similarity[i * items + i] + similarity[j * items + j] - 2 * similarity[i * items + j];
    sums[k] += Math.sqrt(Math.max(0, d2));
    counts[k]++;
  }
  return sums.map((s, k) => s / counts[k]);
}

/** First record with loss <= L_end + f (L_0 - L_end) (header (b)). */
export function matchedStageIndex(losses: readonly number[], fraction: number): number {
  checkPositive('fraction', fraction);
  const target = losses[losses.length - 1] + fraction * (losses[0] - losses[losses.length - 1]);
  const i = losses.findIndex((l) => l <= target);
  return i < 0 ? losses.length - 1 : i;
}

/** max_t (-sign(y) (y_hat(t) - y_hat(0))) / |y|, floored at 0 (header (b)): how far the prediction moved the wrong way. */
export function illusionDepth(predictions: readonly number[], target: number): number {
  if (target === 0) throw new ArgumentError('target', 'a non-zero target', target);
  if (!predictions.length) throw new ArgumentError('predictions', 'at least one prediction', predictions);
  return Math.max(0, ...predictions.map((p) => (-Math.sign(target) * (p - predictions[0])) / Math.abs(target)));
}

export function levelFigure(r: TreeJobResult): Figure {
  const D = r.args.depth;
  const series: LineSeries[] = [];
  for (let l = 0; l <= D; l++) {
    const idx = r.modeLevels.map((lv, a) => (lv === l ? a : -1)).filter((a) => a >= 0);
    if (!idx.length) continue;
    const y = r.times.map((_, i) => idx.reduce((acc, a) => acc + r.strengths[a][i] / r.singularValues[a], 0) / idx.length);
    series.push({ x: r.times, y, name: `level ${l} (sim)`, mode: 'markers' });
    const sMean = idx.reduce((acc, a) => acc + r.singularValues[a], 0) / idx.length;
    if (r.args.init === 'aligned') series.push({ x: r.times, y: deepModeStrengths(sMean, r.args.initScale, r.times, r.args.hidden.length + 1).map((u) => u / sMean), name: `level ${l} theory`, dash: 'dash' });
  }
  return line(series, { title: `Tree modes by level (D = ${r.args.hidden.length + 1})`, xLabel: 't', yLabel: 'mean u/s over the level' });
}

export function illusionFigure(deep: TreeJobResult, shallow: TreeJobResult): Figure {
  return line([
    { x: deep.times, y: deep.exceptionPrediction.map((p) => p / Math.abs(deep.exceptionTarget)), name: 'deep (D = 2)' },
    { x: shallow.times, y: shallow.exceptionPrediction.map((p) => p / Math.abs(shallow.exceptionTarget)), name: 'shallow (D = 1)' },
    { x: deep.times, y: deep.times.map(() => Math.sign(deep.exceptionTarget)), name: 'target', dash: 'dot' },
  ], { title: 'The exception item\'s feature: prediction / |target|', xLabel: 't', yLabel: 'y_hat / |y|' });
}

/** Classical MDS (lib/geometry) of the hidden similarity at the given records, side by side. */
export function mdsFigure(r: TreeJobResult, recordIndices: readonly number[]): Figure {
  const P = Math.pow(r.args.branching, r.args.depth);
  const series = recordIndices.map((ri, k) => {
    const S = r.similarity[ri];
    const dist = new Float64Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) dist[i * P + j] = i === j ? 0 : Math.sqrt(Math.max(0, S[i * P + i] + S[j * P + j] - 2 * S[i * P + j]));
    const m = classicalMds(dist, P, 2);
    const scale = Math.max(1e-300, ...Array.from(m.coordinates, Math.abs));
    return { x: Array.from({ length: P }, (_, i) => m.coordinates[i * 2] / scale + 2.5 * k), y: Array.from({ length: P }, (_, i) => m.coordinates[i * 2 + 1] / scale), name: `t = ${r.times[ri].toFixed(1)}` };
  });
  return scatter(series, { title: 'Hidden representations (MDS, each stage scaled to unit size, shifted right)', xLabel: 'MDS 1 (+ offset per stage)', yLabel: 'MDS 2' });
}

/**
 * At each matched stage: the largest pairwise similarity distance over runs,
 * the largest distance of a run's similarity to V A V^T (its own recorded A),
 * and, for scale, the distance between this stage and the previous one in
 * the first run (the change the stage match must resolve).
 */
export function similarityAgreement(runs: readonly TreeJobResult[], fractions: readonly number[]): { fraction: number; maxPairDistance: number; maxTheoryDistance: number; stageChange: number | null }[] {
  const at = (r: TreeJobResult, i: number) => { const P = Math.pow(r.args.branching, r.args.depth); return dense(P, P, Float64Array.from(r.similarity[i])); };
  return fractions.map((f, fi) => {
    const mats = runs.map((r) => {
      const i = matchedStageIndex(r.losses, f);
      // itemModes are the columns of lib/core svd's V, in the order of the recorded mode strengths.
      const V = dense(Math.pow(r.args.branching, r.args.depth), r.singularValues.length, Float64Array.from(r.itemModes));
      return { S: at(r, i), th: modeSimilarity(V, r.strengths.map((u) => u[i])) };
    });
    let pair = 0;
    for (let a = 0; a < mats.length; a++) for (let b = a + 1; b < mats.length; b++) pair = Math.max(pair, similarityDistance(mats[a].S, mats[b].S));
    const stageChange = fi === 0 ? null : similarityDistance(mats[0].S, at(runs[0], matchedStageIndex(runs[0].losses, fractions[fi - 1])));
    return { fraction: f, maxPairDistance: pair, maxTheoryDistance: Math.max(...mats.map((m) => similarityDistance(m.S, m.th))), stageChange };
  });
}

// ------------------------------------------------------------------ (c) generalization and transfer

export interface GeneralizationJobArgs {
  teacher: number[];
  inputs: number;
  outputs: number;
  hidden: number;
  init: 'aligned' | 'random';
  initScale: number;
  lr: number;
  time: number;
  recordEvery: number;
  seed: number;
}

export interface GeneralizationJobResult {
  args: GeneralizationJobArgs;
  times: number[];
  train: number[];
  test: number[];
  /** This draw's optimal shrinkage error. */
  shrinkage: number;
}

/** Pool job: GD on one noisy teacher draw, recording train and test error (header (c)). */
export function generalizationJob(args: GeneralizationJobArgs): GeneralizationJobResult {
  const t = noisyTeacher({ inputs: args.inputs, outputs: args.outputs, teacher: args.teacher, seed: args.seed });
  // Random init: entries N(0, initScale^2 / width) so the product starts near initScale in each direction.
  const r = simulateLinearNetwork({
    Syx: t.data, hidden: [args.hidden], lr: args.lr, steps: Math.round(args.time / args.lr), init: args.init,
    initScale: args.init === 'aligned' ? args.initScale : Math.sqrt(args.initScale / Math.sqrt(args.hidden)), seed: 500 + args.seed, recordEvery: args.recordEvery, modes: 1, teacher: t.teacher,
  });
  const norm = frobeniusDistanceSquared(t.data);
  const shrink = optimalShrinkage(t.data, 1);
  return {
    args,
    times: r.records.map((x) => x.time),
    train: r.records.map((x) => (2 * x.loss) / norm),
    test: r.records.map((x) => x.testError as number),
    shrinkage: frobeniusDistanceSquared(shrink, t.teacher) / frobeniusDistanceSquared(t.teacher),
  };
}

export type TransferJobArgs = Pick<TransferOptions, 'snrA' | 'snrB' | 'alignment' | 'inputs' | 'outputsA' | 'outputsB'> & { times: number[]; seed: number };

/** Pool job: task A's optimal-stopping test error alone and jointly with B, on one draw (spectral gradient-flow student, eps 1e-5). */
export function transferJob(args: TransferJobArgs): { args: TransferJobArgs; alone: number; joint: number } {
  const task = transferTask({ ...args });
  const alone = spectralStudentErrors(task.dataA, task.teacherA, args.times).test;
  const joint = spectralStudentErrors(task.joint, task.teacherA, args.times).test;
  return { args, alone: optimalStopping(args.times, alone).error, joint: optimalStopping(args.times, joint).error };
}

export function generalizationFigure(runs: readonly GeneralizationJobResult[], theoryTimes: readonly number[]): Figure {
  const series: LineSeries[] = [];
  const first = new Map<string, GeneralizationJobResult>();
  for (const r of runs) if (r.args.init === 'aligned' && !first.has(key(r.args))) first.set(key(r.args), r);
  for (const [k, r] of first) {
    const th = generalizationTheory({ teacher: r.args.teacher, inputs: r.args.inputs, outputs: r.args.outputs, hidden: r.args.hidden, init: r.args.initScale, times: [...theoryTimes] });
    series.push({ x: r.times, y: r.test, name: `${k} test (sim)`, mode: 'markers' });
    series.push({ x: [...theoryTimes], y: th.test, name: `${k} test theory`, dash: 'dash' });
    series.push({ x: r.times, y: r.train, name: `${k} train (sim)`, mode: 'markers' });
    series.push({ x: [...theoryTimes], y: th.train, name: `${k} train theory`, dash: 'dot' });
  }
  return line(series, { title: 'Train and test error against time (TA init), theory dashed', xLabel: 't', yLabel: 'normalised error', logY: true });
}

const key = (a: GeneralizationJobArgs) => `s=${a.teacher.join('/')} N1=${a.inputs}`;

export function transferFigure(alignments: readonly number[], curves: readonly { snrA: number; benefit: number[] }[], mc: readonly { snrA: number; alignment: number; benefit: number }[]): Figure {
  const series: LineSeries[] = curves.map((c) => ({ x: [...alignments], y: c.benefit, name: `theory s_A = ${c.snrA}` }));
  for (const c of curves) {
    const pts = mc.filter((p) => p.snrA === c.snrA);
    if (pts.length) series.push({ x: pts.map((p) => p.alignment), y: pts.map((p) => p.benefit), name: `Monte Carlo s_A = ${c.snrA}`, mode: 'markers' });
  }
  return line(series, { title: 'Transfer benefit to A from joint training with B', xLabel: 'input alignment q', yLabel: 'E*_A alone - E*_A joint' });
}

/**
 * Theory of optimally stopped gradient flow (TA init, width = outputs) beside
 * optimal shrinkage, for teachers sBar * profile (profile [1] rank 1,
 * [1, 1/2, 1/4] rank 3), at each SNR multiplier.
 */
export function shrinkageComparison(snrs: readonly number[], profile: readonly number[], inputs: number, outputs: number, times: readonly number[], init = 1e-5): { snr: number; stoppedGd: number; stopTime: number; shrinkage: number }[] {
  return snrs.map((snr) => {
    const teacher = profile.map((p) => p * snr);
    const th = generalizationTheory({ teacher, inputs, outputs, init, times: [...times] });
    const stop = optimalStopping(times, th.test);
    return { snr, stoppedGd: stop.error, stopTime: stop.time, shrinkage: shrinkageError(teacher, outputs / inputs) };
  });
}

export function shrinkageFigure(rows: readonly { label: string; points: readonly { snr: number; stoppedGd: number; shrinkage: number }[] }[], draws: readonly { snr: number; label: string; stoppedGd: number; shrinkage: number }[]): Figure {
  const series: LineSeries[] = [];
  for (const r of rows) {
    series.push({ x: r.points.map((p) => p.snr), y: r.points.map((p) => p.stoppedGd), name: `${r.label}: optimally stopped GD (theory)` });
    series.push({ x: r.points.map((p) => p.snr), y: r.points.map((p) => p.shrinkage), name: `${r.label}: shrinkage (theory)`, dash: 'dash' });
    const pts = draws.filter((d) => d.label === r.label);
    if (pts.length) {
      series.push({ x: pts.map((p) => p.snr), y: pts.map((p) => p.stoppedGd), name: `${r.label}: stopped GD (simulated)`, mode: 'markers' });
      series.push({ x: pts.map((p) => p.snr), y: pts.map((p) => p.shrinkage), name: `${r.label}: shrinkage (draws)`, mode: 'markers' });
    }
  }
  return line(series, { title: 'Optimal shrinkage against optimally stopped gradient descent', xLabel: 'SNR (largest teacher singular value)', yLabel: 'test error', logY: true });
}

/**
 * Run time from the multiply-adds of the GD runs and the number of SVDs: 1e9 multiply-adds per second of small
 * float64 GEMMs through gemm from JS and 0.15 s per 100 x 100 SVD (ml-matrix), calibrated on the default run
 * (267 s measured at load 12-18, 278 s estimated), so an idle machine should beat it.
 */
export function estimatedRunSeconds(e: { gdMacs: number; spectralSvds: number; svdSize: number }): number {
  return e.gdMacs / 1e9 + e.spectralSvds * 0.15 * (e.svdSize / 100) ** 3;
}

/** Reproduction-table rows: paper claim, measured value, settings. */
export function reproductionRows(m: {
  modeGap: { depth: number; gap: number }[];
  transitionError: number;
  levelOrder: boolean;
  levelHalfTimes: number[];
  splitTimes: number[];
  illusion: { deep: number[]; shallow: number[] };
  rsm: { fraction: number; maxPairDistance: number; maxTheoryDistance: number; stageChange: number | null }[];
  generalization: { label: string; theoryStop: number; theoryError: number; simStop: number[]; simError: number[]; shrinkTheory: number; shrinkSim: number[] }[];
  transfer: { snrA: number; alignment: number; theory: number; mc: number[] }[];
  settings: Record<string, string>;
}): { quantity: string; paper: string; measured: string; settings: string }[] {
  const f3 = (x: number) => x.toFixed(3);
  const rows = [
    ...m.modeGap.map((g) => ({ quantity: `mode strengths, D = ${g.depth}, aligned init`, paper: PAPER_CLAIMS.modes, measured: `max |u_sim - u_theory| / s_max = ${g.gap.toExponential(2)}`, settings: m.settings.modes })),
    { quantity: 'transition time vs s', paper: PAPER_CLAIMS.modes, measured: `largest relative error of t_half against ln(s/u0 - 1)/(2s): ${(100 * m.transitionError).toFixed(2)}%`, settings: m.settings.modes },
    { quantity: 'tree modes by level', paper: PAPER_CLAIMS.levels, measured: `level half-times ${m.levelHalfTimes.map(f3).join(' < ')} (${m.levelOrder ? 'ordered' : 'NOT ordered'}); category split times ${m.splitTimes.map(f3).join(', ')}`, settings: m.settings.tree },
    { quantity: 'transient illusion', paper: PAPER_CLAIMS.illusion, measured: `deep: ${formatMedianRange(m.illusion.deep, { digits: 3 })}; shallow: ${formatMedianRange(m.illusion.shallow, { digits: 3 })} (wrong-sign excursion / |target|, over seeds)`, settings: m.settings.tree },
    ...m.rsm.map((r) => ({ quantity: `similarity at stage f = ${r.fraction}`, paper: PAPER_CLAIMS.rsm, measured: `max over pairs of runs ${f3(r.maxPairDistance)}; to V A V^T ${f3(r.maxTheoryDistance)}${r.stageChange === null ? '' : `; change from the previous stage ${f3(r.stageChange)}`}`, settings: m.settings.tree })),
    ...m.generalization.map((g) => ({
      quantity: `optimal stopping, ${g.label}`, paper: PAPER_CLAIMS.generalization,
      measured: `theory t* ${f3(g.theoryStop)}, E* ${f3(g.theoryError)}; GD t* ${formatMedianRange(g.simStop, { digits: 3 })}, E* ${formatMedianRange(g.simError, { digits: 3 })}`, settings: m.settings.generalization,
    })),
    ...m.generalization.map((g) => ({
      quantity: `shrinkage vs stopped GD, ${g.label}`, paper: PAPER_CLAIMS.shrinkage,
      measured: `shrinkage ${f3(g.shrinkTheory)} (theory), ${formatMedianRange(g.shrinkSim, { digits: 3 })} (draws) vs stopped GD ${f3(g.theoryError)}`, settings: m.settings.generalization,
    })),
    ...m.transfer.map((t) => ({ quantity: `transfer benefit, s_A = ${t.snrA}, q = ${t.alignment}`, paper: PAPER_CLAIMS.transfer, measured: `theory ${f3(t.theory)}; Monte Carlo ${formatMedianRange(t.mc, { digits: 3 })}`, settings: m.settings.transfer })),
  ];
  return rows;
}
