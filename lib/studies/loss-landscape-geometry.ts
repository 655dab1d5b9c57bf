/**
 * The loss-landscape-geometry study (notebooks/loss-landscape-geometry.ipynb):
 * Fort & Ganguli 2019 and the probes around it -- Hessian outliers and the
 * Gauss-Newton part, the gradient's fraction ||P_k g||^2 / ||g||^2 in the
 * top-k eigenspace (Gur-Ari et al. 2018), the top eigenvalue over training,
 * training in theta_0 + P theta_d and d_int90 (Li et al. 2018), Tr(H)/||H||_F
 * against the initialisation radius (Fort & Scherlis 2018), and SGD projected
 * onto or away from the top-k subspace (Song, Ahn & Yun 2025).
 *
 * What is here, in the notebook's order:
 * - settings: `StudyModel`, `studyModel`, `studyNetworkOptions`, `studyData`,
 *   `timeHessianProduct`, `estimateRunSeconds`;
 * - pool jobs (module 'lib/studies/loss-landscape-geometry'; each loads its
 *   own data, builds its own network and returns plain numbers, so a job
 *   gives the same numbers in a worker as in the main process):
 *   `trainingProbeJob`, `subspaceJob`, `radiusJob`, `projectedSgdJob`, their
 *   argument builders (`probeJobArgs`, `subspaceJobArgs`, `radiusJobArgs`,
 *   `projectedJobArgs`) and `runStudyJobs`;
 * - statistics over seeds (median and range, lib/core's stats): `seedBand`,
 *   `medianOfFinite`, `formatFinite`, `outlierCount`, `groupByConfig`,
 *   `cosineStatistics`, `outlierCounts`, `overlapAfterInit`,
 *   `persistenceAtEnd`, `topEigenvalueStatistics`, `lanczosConvergence`, `checkpointCurve`,
 *   `subspaceAccuracy`, `intrinsicDimensionBySeed`, `radiusSummary`,
 *   `projectedSummary`;
 * - figures (lib/plot `Figure`s): `cosineFigure`, `densityFigure`,
 *   `topEigenvaluesFigure`, `gradientOverlapFigure`, `topEigenvalueFigure`,
 *   `intrinsicDimensionFigure`, `goldilocksCurvatureFigure`,
 *   `goldilocksAccuracyFigure`, `projectedSgdFigure`;
 * - the reproduction table: `reproductionRows`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError, Rng, checkInteger, checkOneOf, formatMedianRange, jobValues, median, valueRange, type JobContext, type WorkerPool,
} from '../core';
import { loadFashionMnist, loadMnist, takeTensors, tensorBatches, toTensorDataset, batchesPerEpoch, type TensorDataset } from '../data';
import { heatmap, line, type Figure, type LineSeries } from '../plot';
import { Network, Optimizer, type LayerSpec, type NetworkOptions } from '../rules';
import {
  Curvature, accuracy, curvatureAtRadius, curvatureOperator, eigenpairs, flattenParameters, gradientOverlap, intrinsicDimension,
  logitGradientCosines, norm, projectedSgd, setParameters, spectralDensity, subspacePersistence, trainInSubspace, type IntrinsicDimension,
} from '../landscape';

/** The pool's address of this file's jobs. */
export const STUDY_MODULE = 'lib/studies/loss-landscape-geometry';

/** MNIST and Fashion-MNIST both have 10 classes: the networks' output size. */
const CLASSES = 10;

// ---------------------------------------------------------------- settings

export interface StudyModel {
  dataset: 'mnist' | 'fashion-mnist';
  /** 'mlp' (784-hidden...-10) or 'conv' (a small conv net without batch norm). */
  model: 'mlp' | 'conv';
  /** Hidden widths of the MLP (default [200, 200]: 199,210 parameters). */
  hidden?: number[];
  activation: 'tanh' | 'relu';
  /** Network and data-subset seed. */
  seed: number;
  trainSamples: number;
  testSamples: number;
}

/** The data and network sizes of a run of the study (the notebook's parameters). */
export interface StudySettings {
  dataset: 'mnist' | 'fashion-mnist';
  hidden: number[];
  /** Training images of the MLP runs and of the conv-net runs; test images of both. */
  trainSamples: number;
  convTrainSamples: number;
  testSamples: number;
}

/** The model description of one run: the conv net trains on `convTrainSamples`, the MLP on `trainSamples`. */
export function studyModel(s: StudySettings, model: 'mlp' | 'conv', activation: 'tanh' | 'relu', seed: number): StudyModel {
  checkOneOf('model', model, ['mlp', 'conv']);
  return {
    dataset: s.dataset, model, hidden: s.hidden, activation, seed,
    trainSamples: model === 'conv' ? s.convTrainSamples : s.trainSamples, testSamples: s.testSamples,
  };
}

/** The small conv net (no batch norm): conv 5x5x8, act, maxpool 2, conv 5x5x16, act, maxpool 2, flatten, dense 10. */
export function studyNetworkOptions(m: StudyModel): NetworkOptions {
  checkOneOf('model', m.model, ['mlp', 'conv']);
  const act: LayerSpec = { kind: 'activation', activation: m.activation };
  if (m.model === 'conv') {
    return {
      inputShape: [28, 28, 1],
      layers: [
        { kind: 'conv2d', filters: 8, kernelSize: 5 }, act, { kind: 'maxpool', size: 2 },
        { kind: 'conv2d', filters: 16, kernelSize: 5 }, act, { kind: 'maxpool', size: 2 },
        { kind: 'flatten' }, { kind: 'dense', units: CLASSES },
      ],
      seed: m.seed,
    };
  }
  const layers: LayerSpec[] = [];
  for (const h of m.hidden ?? [200, 200]) layers.push({ kind: 'dense', units: h }, act);
  layers.push({ kind: 'dense', units: CLASSES });
  return { inputShape: [784], layers, seed: m.seed };
}

/** Training and test tensors shaped for `net` (caller disposes). The training subset is drawn with the model seed. */
export function studyData(m: StudyModel, net: Network): { train: TensorDataset; test: TensorDataset } {
  const load = m.dataset === 'fashion-mnist' ? loadFashionMnist : loadMnist;
  const tr = load({ split: 'train', limit: checkInteger('trainSamples', m.trainSamples, 10), seed: m.seed });
  const te = load({ split: 'test', limit: checkInteger('testSamples', m.testSamples, 10), seed: 12345 });
  return { train: toTensorDataset(tr, net, 'train'), test: toTensorDataset(te, net, 'test') };
}

/** `rows` rows of `data` drawn without replacement by `seed`, kept in data order (the fixed Hessian batch). */
function subset(data: TensorDataset, rows: number, seed: number): TensorDataset {
  const n = data.x.shape[0];
  return takeTensors(data, Array.from(new Rng(seed).sample(n, Math.min(rows, n))).sort((a, b) => a - b));
}

function disposeSets(...sets: TensorDataset[]): void {
  sets.forEach((s) => tf.dispose([s.x, s.y]));
}

/**
 * Size of the study's MLP (parameters D and the norm of its Xavier
 * initialisation) and the seconds one Hessian-vector product takes on
 * `rows` random inputs (after one untimed product), for the run-time
 * estimate printed before the work starts.
 */
export function timeHessianProduct(m: StudyModel, rows: number, repeats = 3): { parameters: number; radius: number; productSeconds: number } {
  checkInteger('rows', rows, 1);
  checkInteger('repeats', repeats, 1);
  const net = new Network(studyNetworkOptions(m));
  const theta = flattenParameters(net);
  const x = tf.randomNormal([rows, ...net.inputShape], 0, 1, 'float32', 1);
  const y = tf.tensor1d(Array.from({ length: rows }, (_, i) => i % net.outputSize), 'int32');
  const op = curvatureOperator(net, { x, y });
  const v = new Rng(0).normalArray(theta.length, 0, 1, 'float64') as Float64Array;
  op.apply(v);
  // performance.now(), not Date.now(): a small product takes under a millisecond, which Date.now() reads as 0.
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) op.apply(v);
  const productSeconds = (performance.now() - t0) / (1000 * repeats);
  op.dispose();
  tf.dispose([x, y]);
  net.dispose();
  return { parameters: theta.length, radius: norm(theta), productSeconds };
}

/** What the run-time estimate needs: the notebook's parameters and two measured costs. */
export interface EstimateInput {
  seeds: number;
  checkpoints: number;
  lanczosSteps: number;
  k: number;
  slq: { runs: number; steps: number };
  subspaceDims: number;
  subspaceEpochs: number;
  subspaceBatch: number;
  trainSamples: number;
  radii: number;
  traceProbes: number;
  planeDimension: number;
  radiusRows: number;
  hessianRows: number;
  stepsPerEpoch: number;
  projectedEvery: number;
  projectedLanczos: number;
  projectedRows: number;
  /** Seconds of one Hessian-vector product on `hessianRows` rows, and of one training step (about 0.03). */
  productSeconds: number;
  stepSeconds?: number;
  workers: number;
}

/**
 * Estimated seconds of the study's MLP work on `workers` workers: products
 * counted per job (a product's cost scales with its rows), steps at
 * `stepSeconds` each. Conv-net runs, evaluation and start-up are not counted.
 *   probe runs (tanh, relu):  2 S [C (L + k + 2) + 2 L + 2 runs steps] p
 *     (L the first Lanczos pass: eigenpairs extends it, up to 4 L, until converged, so this is a lower bound)
 *   subspace sweep:           S (|d| + 1) E_sub ceil(N / B_sub) s
 *   radii:                    S R [(T + d_plane) p rows_R / rows_H + E_sub ceil(N / B_sub) s]
 *   projected SGD (3 modes):  3 S [steps s + ceil(steps / every) (L_proj + 1) p rows_P / rows_H]
 */
export function estimateRunSeconds(e: EstimateInput): number {
  const s = e.stepSeconds ?? 0.03;
  const p = e.productSeconds;
  const subSteps = e.subspaceEpochs * Math.ceil(e.trainSamples / e.subspaceBatch);
  const productsPerProbeRun = e.checkpoints * (e.lanczosSteps + e.k + 2) + 2 * e.lanczosSteps + 2 * e.slq.runs * e.slq.steps;
  return (2 * e.seeds * productsPerProbeRun * p
    + e.seeds * (e.subspaceDims + 1) * subSteps * s
    + e.seeds * e.radii * ((e.traceProbes + e.planeDimension) * p * e.radiusRows / e.hessianRows + subSteps * s)
    + 3 * e.seeds * (e.stepsPerEpoch * s + Math.ceil(e.stepsPerEpoch / e.projectedEvery) * (e.projectedLanczos + 1) * p * e.projectedRows / e.hessianRows)) / e.workers;
}

/** Runs one of this file's jobs for every argument object on the pool; values in input order. */
export async function runStudyJobs<T>(pool: WorkerPool, job: 'trainingProbeJob' | 'subspaceJob' | 'radiusJob' | 'projectedSgdJob', args: object[], label: string): Promise<T[]> {
  checkOneOf('job', job, ['trainingProbeJob', 'subspaceJob', 'radiusJob', 'projectedSgdJob']);
  return jobValues(await pool.run<T>(args.map((a) => ({ module: STUDY_MODULE, export: job, args: a })), { progress: label }));
}

// ---------------------------------------------------------------- training with probes

export interface TrainingProbeArgs extends StudyModel {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum?: number;
  /** Steps at which to probe (0 = initialisation); steps past the end are dropped. */
  checkpoints: number[];
  /** Rows of the fixed batch on which H, G and the probe gradient are taken. */
  hessianSamples: number;
  /** Top-k subspace (default: the number of classes). */
  k?: number;
  lanczosSteps: number;
  /** SLQ density of H and G at the end (runs x steps); 0 runs to skip. */
  densityRuns: number;
  densitySteps: number;
  /** Examples per class in the logit-gradient cosine matrix (0 to skip). */
  cosinePerClass: number;
}

export interface Checkpoint {
  step: number;
  epoch: number;
  trainLoss: number;
  testAccuracy: number;
  /** Top eigenvalues of H on the probe batch (k + 2 of them, descending). */
  topEigenvalues: number[];
  residuals: number[];
  /** Lanczos steps the eigenpairs took (the first pass `lanczosSteps`, extended until converged or 4x that) and whether they converged. */
  lanczosSteps: number;
  converged: boolean;
  /** Fraction of the probe-batch gradient in the top-k subspace, squared and unsquared, and k/D. */
  overlapSquared: number;
  overlapUnsquared: number;
  baselineSquared: number;
  /** tr(P_prev P_now)/k with the previous checkpoint (null at the first). */
  persistence: number | null;
}

export interface CosineSummary {
  matrix: number[][];
  rowClass: number[];
  rowLogit: number[];
  byClass: number[][];
  sameClassMean: number;
  differentClassMean: number;
}

export interface TrainingProbeResult {
  parameters: number;
  checkpoints: Checkpoint[];
  cosinesInit: CosineSummary | null;
  cosinesEnd: CosineSummary | null;
  /** At the end: top eigenvalues of H and of G (k + 2 each) and their SLQ densities. */
  endHessianTop: number[];
  endGaussNewtonTop: number[];
  endResidualRatio: number;
  /** Lanczos steps and convergence of the end eigenpairs of H and of G. */
  endLanczosSteps: [number, number];
  endConverged: [boolean, boolean];
  densityH: { grid: number[]; density: number[]; sigma: number } | null;
  densityG: { grid: number[]; density: number[]; sigma: number } | null;
  finalTestAccuracy: number;
  seconds: number;
}

function cosineSummary(net: Network, data: TensorDataset, perClass: number, seed: number): CosineSummary | null {
  if (perClass <= 0) return null;
  const r = logitGradientCosines(net, data, { perClass, seed });
  return { matrix: r.matrix, rowClass: r.rowClass, rowLogit: r.rowLogit, byClass: r.byClass, sameClassMean: r.sameClassMean, differentClassMean: r.differentClassMean };
}

/**
 * Trains with SGD (momentum optional) on `trainSamples` rows and probes the
 * Hessian at the checkpoints: top eigenvalues, gradient overlap with the
 * top-k subspace, subspace persistence; logit-gradient cosines at
 * initialisation and at the end; spectra of H and G at the end. Minibatches
 * come from lib/data's `tensorBatches` (epoch e shuffled by (seed + 2, e)).
 */
export async function trainingProbeJob(args: TrainingProbeArgs, ctx?: JobContext): Promise<TrainingProbeResult> {
  const t0 = Date.now();
  const net = new Network(studyNetworkOptions(args));
  const k = args.k ?? net.outputSize;
  const { train, test } = studyData(args, net);
  const probe = subset(train, args.hessianSamples, args.seed + 1);
  const optimizer = new Optimizer({ type: 'sgd', lr: args.lr, momentum: args.momentum ?? 0 });
  const perEpoch = batchesPerEpoch(train.x.shape[0], args);
  const total = perEpoch * args.epochs;
  const checkpoints = [...new Set(args.checkpoints.filter((c) => c <= total))].sort((a, b) => a - b);
  const results: Checkpoint[] = [];
  let previous: Float64Array[] | null = null;
  const curvature = new Curvature(net, probe, { batchSize: 1024 });
  const probeAt = (step: number) => {
    const op = curvature.operator('hessian');
    // warn: false -- the convergence of every checkpoint is returned and the notebook reports it.
    const eig = eigenpairs(op, k + 2, { steps: Math.min(op.dim, args.lanczosSteps), seed: step + 1, progress: 'silent', warn: false });
    const top = eig.vectors.slice(0, k);
    const { loss, gradient } = curvature.lossAndGradient();
    const ov = gradientOverlap(gradient, top);
    results.push({
      step,
      epoch: step / perEpoch,
      trainLoss: loss,
      testAccuracy: accuracy(net, test),
      topEigenvalues: Array.from(eig.values),
      residuals: Array.from(eig.residuals),
      lanczosSteps: eig.steps,
      converged: eig.convergence.converged,
      overlapSquared: ov.squared,
      overlapUnsquared: ov.unsquared,
      baselineSquared: ov.baselineSquared,
      persistence: previous ? subspacePersistence(previous, top) : null,
    });
    previous = top;
  };
  const cosinesInit = cosineSummary(net, train, args.cosinePerClass, args.seed);
  let next = 0;
  if (checkpoints[next] === 0) (probeAt(0), next++);
  for (const batch of tensorBatches(train, { batchSize: args.batchSize, seed: args.seed + 2, epochs: args.epochs, classes: net.outputSize })) {
    const r = net.trainStep(batch.x, batch.y, optimizer, { epoch: batch.epoch });
    if (!Number.isFinite(r.loss)) throw new Error(`training diverged at epoch ${batch.epoch}, step ${batch.step}: loss ${r.loss}`);
    const step = batch.step + 1;
    if (checkpoints[next] === step) (probeAt(step), next++);
    ctx?.progress(step / total, `step ${step}/${total}`);
  }
  const cosinesEnd = cosineSummary(net, train, args.cosinePerClass, args.seed);
  const hop = curvature.operator('hessian');
  const gop = curvature.operator('gauss-newton');
  const steps = Math.min(hop.dim, args.lanczosSteps);
  const endH = eigenpairs(hop, k + 2, { steps, seed: 7, residuals: false, progress: 'silent', warn: false });
  const endG = eigenpairs(gop, k + 2, { steps, seed: 7, residuals: false, progress: 'silent', warn: false });
  // ||(H - G) v|| / ||H v|| on a random direction: how far H is from its Gauss-Newton part.
  const v = new Rng(3).normalArray(hop.dim, 0, 1, 'float64') as Float64Array;
  const hv = curvature.product(v, 'hessian');
  const rv = curvature.product(v, 'residual');
  const endResidualRatio = norm(rv) / norm(hv);
  const dens = (op: typeof hop) => {
    if (args.densityRuns <= 0) return null;
    const d = spectralDensity(op, { runs: args.densityRuns, steps: Math.min(op.dim, args.densitySteps), seed: 11, progress: 'silent' });
    return { grid: Array.from(d.grid), density: Array.from(d.density), sigma: d.sigma };
  };
  const densityH = dens(hop);
  const densityG = dens(gop);
  const finalTestAccuracy = accuracy(net, test);
  curvature.dispose();
  disposeSets(train, test, probe);
  optimizer.dispose();
  const parameters = flattenParameters(net).length;
  net.dispose();
  return {
    parameters, checkpoints: results, cosinesInit, cosinesEnd,
    endHessianTop: Array.from(endH.values), endGaussNewtonTop: Array.from(endG.values), endResidualRatio,
    endLanczosSteps: [endH.steps, endG.steps], endConverged: [endH.convergence.converged, endG.convergence.converged],
    densityH, densityG, finalTestAccuracy, seconds: (Date.now() - t0) / 1000,
  };
}

/** The probe runs of the study: MLP tanh, MLP relu and the conv net (relu). */
export const PROBE_CONFIGS = [
  { key: 'mlp-tanh', kind: 'mlp', activation: 'tanh' },
  { key: 'mlp-relu', kind: 'mlp', activation: 'relu' },
  { key: 'conv-relu', kind: 'conv', activation: 'relu' },
] as const;
export type ProbeConfigKey = (typeof PROBE_CONFIGS)[number]['key'];

export interface ProbeSettings {
  seeds: number[];
  /** Seeds of the conv-net runs (QUICK: one). */
  convSeeds: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  /** Checkpoints of the MLP runs; the conv runs keep those within their shorter run and add their last step. */
  checkpoints: number[];
  hessianSamples: number;
  k: number;
  lanczosSteps: number;
  slq: { runs: number; steps: number };
  cosinePerClass: number;
}

/**
 * One TrainingProbeArgs per configuration and seed, in PROBE_CONFIGS order.
 * The conv net skips the SLQ densities and the cosine matrix.
 */
export function probeJobArgs(s: StudySettings, p: ProbeSettings): TrainingProbeArgs[] {
  const out: TrainingProbeArgs[] = [];
  const convSteps = batchesPerEpoch(s.convTrainSamples, p) * p.epochs;
  for (const c of PROBE_CONFIGS) {
    const conv = c.kind === 'conv';
    for (const seed of conv ? p.convSeeds : p.seeds) {
      out.push({
        ...studyModel(s, c.kind, c.activation, seed), epochs: p.epochs, batchSize: p.batchSize, lr: p.lr,
        checkpoints: conv ? p.checkpoints.filter((st) => st <= convSteps).concat([convSteps]) : p.checkpoints,
        hessianSamples: p.hessianSamples, k: p.k, lanczosSteps: p.lanczosSteps, densityRuns: conv ? 0 : p.slq.runs, densitySteps: p.slq.steps,
        cosinePerClass: conv ? 0 : p.cosinePerClass,
      });
    }
  }
  return out;
}

/** The results of each configuration (key `${model}-${activation}`), in seed order. */
export function groupByConfig<T>(args: readonly StudyModel[], results: readonly T[]): Record<ProbeConfigKey, T[]> {
  if (args.length !== results.length) throw new ArgumentError('results', `${args.length} results (one per job)`, results.length);
  const out = Object.fromEntries(PROBE_CONFIGS.map((c) => [c.key, [] as T[]])) as Record<ProbeConfigKey, T[]>;
  args.forEach((a, i) => out[`${a.model}-${a.activation}` as ProbeConfigKey]?.push(results[i]));
  return out;
}

// ---------------------------------------------------------------- subspace training

export interface SubspaceArgs extends StudyModel {
  /** Subspace dimension, or 0 for full training of all D parameters (the reference). */
  d: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Rescale the initial parameters to this norm before training (Fort & Scherlis); omit to keep Xavier's. */
  radius?: number;
  subspaceSeed: number;
}

export interface SubspaceResult {
  d: number;
  accuracy: number;
  parameters: number;
  radius: number;
  seconds: number;
}

/**
 * Accuracy of training in a random d-dimensional affine subspace (d = 0: all
 * parameters, Adam). Both go through lib/data batching with seed + 5.
 */
export async function subspaceJob(args: SubspaceArgs, ctx?: JobContext): Promise<SubspaceResult> {
  const t0 = Date.now();
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args, net);
  const theta = flattenParameters(net);
  const r0 = norm(theta);
  if (args.radius !== undefined) setParameters(net, theta.map((t) => (t * args.radius!) / r0));
  const dim = theta.length;
  let acc: number;
  if (args.d === 0) {
    const opt = new Optimizer({ type: 'adam', lr: args.lr });
    const total = batchesPerEpoch(train.x.shape[0], args) * args.epochs;
    for (const batch of tensorBatches(train, { batchSize: args.batchSize, seed: args.seed + 5, epochs: args.epochs, classes: net.outputSize })) {
      net.trainStep(batch.x, batch.y, opt, { epoch: batch.epoch });
      ctx?.progress((batch.step + 1) / total);
    }
    opt.dispose();
    acc = accuracy(net, test);
  } else {
    const r = trainInSubspace(net, train, args.d, {
      epochs: args.epochs, batchSize: args.batchSize, learningRate: args.lr, optimizer: 'adam', seed: args.seed + 5,
      subspaceSeed: args.subspaceSeed, subspaceKind: 'sparse', test, progress: 'silent',
    });
    acc = r.accuracy;
  }
  disposeSets(train, test);
  net.dispose();
  return { d: args.d, accuracy: acc, parameters: dim, radius: args.radius ?? r0, seconds: (Date.now() - t0) / 1000 };
}

/** Subspace-training settings: epochs, batch, Adam learning rates for theta_d and for full training (d = 0). */
export interface SubspaceSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  fullLr: number;
}

/** The d-sweep on the relu MLP: for each seed, full training (d = 0) then each d; subspace seed 100 + seed. */
export function subspaceJobArgs(s: StudySettings, seeds: number[], ds: number[], o: SubspaceSettings): SubspaceArgs[] {
  const out: SubspaceArgs[] = [];
  for (const seed of seeds) {
    for (const d of [0, ...ds]) {
      out.push({ ...studyModel(s, 'mlp', 'relu', seed), d, epochs: o.epochs, batchSize: o.batchSize, lr: d === 0 ? o.fullLr : o.lr, subspaceSeed: 100 + seed });
    }
  }
  return out;
}

/** The accuracy of the run with this seed and d (d = 0: full training). */
export function subspaceAccuracy(args: readonly SubspaceArgs[], results: readonly SubspaceResult[], seed: number, d: number): number {
  const i = args.findIndex((a, j) => a.seed === seed && results[j]?.d === d);
  if (i < 0) throw new ArgumentError('d', `a dimension run with seed ${seed}`, d);
  return results[i].accuracy;
}

/** d_int90 of each seed from its sweep against its own full-training accuracy. */
export function intrinsicDimensionBySeed(args: readonly SubspaceArgs[], results: readonly SubspaceResult[], seeds: number[], ds: number[]): IntrinsicDimension[] {
  return seeds.map((seed) => intrinsicDimension(ds, ds.map((d) => subspaceAccuracy(args, results, seed, d)), subspaceAccuracy(args, results, seed, 0)));
}

// ---------------------------------------------------------------- curvature versus radius

export interface RadiusArgs extends StudyModel {
  radius: number;
  hessianSamples: number;
  traceSamples: number;
  /** Dimension of the random plane whose restricted Hessian is measured. */
  planeDimension: number;
}

export interface RadiusResult {
  radius: number;
  trace: number;
  traceError: number;
  frobenius: number;
  frobeniusError: number;
  ratio: number;
  ratioError: number;
  planeRatio: number;
  planePositiveExcess: number;
}

/** Tr(H)/||H||_F (Hutchinson) and the restricted Hessian of a random plane at initialisation radius r. */
export async function radiusJob(args: RadiusArgs): Promise<RadiusResult> {
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args, net);
  const probe = subset(train, args.hessianSamples, args.seed + 1);
  const p = curvatureAtRadius(net, probe, args.radius, { samples: args.traceSamples, d: args.planeDimension, seed: args.seed });
  disposeSets(train, test, probe);
  net.dispose();
  return {
    radius: args.radius, trace: p.trace.value, traceError: p.trace.standardError, frobenius: p.frobeniusNorm.value, frobeniusError: p.frobeniusNorm.standardError,
    ratio: p.traceOverFrobenius.value, ratioError: p.traceOverFrobenius.standardError, planeRatio: p.restricted.traceOverFrobenius, planePositiveExcess: p.restricted.positiveExcess,
  };
}

export interface RadiusSettings {
  hessianSamples: number;
  traceSamples: number;
  planeDimension: number;
  /** Subspace dimension of the subspace-training runs, and their settings. */
  subspaceDimension: number;
  subspace: Omit<SubspaceSettings, 'fullLr'>;
}

/** For each seed and radius (tanh MLP): a curvature job and a subspace-training job (subspace seed 200 + seed). */
export function radiusJobArgs(s: StudySettings, seeds: number[], radii: number[], o: RadiusSettings): { curvature: RadiusArgs[]; training: SubspaceArgs[] } {
  const curvature: RadiusArgs[] = [];
  const training: SubspaceArgs[] = [];
  for (const seed of seeds) {
    for (const radius of radii) {
      curvature.push({ ...studyModel(s, 'mlp', 'tanh', seed), radius, hessianSamples: o.hessianSamples, traceSamples: o.traceSamples, planeDimension: o.planeDimension });
      training.push({
        ...studyModel(s, 'mlp', 'tanh', seed), d: o.subspaceDimension, radius, epochs: o.subspace.epochs, batchSize: o.subspace.batchSize, lr: o.subspace.lr, subspaceSeed: 200 + seed,
      });
    }
  }
  return { curvature, training };
}

export interface RadiusSummary {
  radii: number[];
  /** Per radius, medians over seeds: Tr(H)/||H||_F, its standard error, the plane's ratio and positive excess. */
  ratio: number[];
  ratioError: number[];
  planeRatio: number[];
  planePositiveExcess: number[];
  /** Per radius, the subspace-training accuracy of each seed. */
  accuracy: number[][];
  /** The radius of the largest median ratio and of the best median accuracy (first one on ties). */
  bestRatioRadius: number;
  bestAccuracyRadius: number;
}

/** Medians over seeds per radius of the curvature and subspace-training jobs. */
export function radiusSummary(radii: number[], curvatureArgs: readonly RadiusArgs[], curvature: readonly RadiusResult[], trainingArgs: readonly SubspaceArgs[], training: readonly SubspaceResult[]): RadiusSummary {
  const at = <T>(results: readonly T[], args: readonly { radius?: number }[], r: number) => results.filter((_, i) => args[i].radius === r);
  const med = (pick: (x: RadiusResult) => number) => radii.map((r) => median(at(curvature, curvatureArgs, r).map(pick)));
  const ratio = med((x) => x.ratio);
  const accuracy = radii.map((r) => at(training, trainingArgs, r).map((x) => x.accuracy));
  const accMed = accuracy.map((a) => median(a));
  return {
    radii, ratio, ratioError: med((x) => x.ratioError), planeRatio: med((x) => x.planeRatio), planePositiveExcess: med((x) => x.planePositiveExcess), accuracy,
    bestRatioRadius: radii[ratio.indexOf(Math.max(...ratio))], bestAccuracyRadius: radii[accMed.indexOf(Math.max(...accMed))],
  };
}

// ---------------------------------------------------------------- projected SGD

export interface ProjectedArgs extends StudyModel {
  mode: 'full' | 'dominant' | 'bulk';
  epochs: number;
  batchSize: number;
  lr: number;
  k: number;
  recomputeEvery: number;
  hessianSamples: number;
  lanczosSteps: number;
  evaluateEvery: number;
}

export interface ProjectedResult {
  mode: string;
  accuracy: number;
  curve: { step: number; accuracy: number; loss: number }[];
  recomputations: number;
  recomputeEvery: number;
  /** Recomputations whose Lanczos run stopped short of the eigenpair tolerance (projectedSgd's subspaceConvergence). */
  unconvergedRecomputations: number;
}

/** SGD projected onto / away from the top-k Hessian subspace (Song, Ahn & Yun 2025). */
export async function projectedSgdJob(args: ProjectedArgs): Promise<ProjectedResult> {
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args, net);
  const r = projectedSgd(net, train, {
    mode: args.mode, k: args.k, recomputeEvery: args.recomputeEvery, hessianSamples: args.hessianSamples, lanczosSteps: args.lanczosSteps,
    epochs: args.epochs, batchSize: args.batchSize, learningRate: args.lr, optimizer: 'sgd', seed: args.seed, test, evaluateEvery: args.evaluateEvery, progress: 'silent',
  });
  disposeSets(train, test);
  net.dispose();
  return { mode: r.mode, accuracy: r.accuracy, curve: r.curve, recomputations: r.recomputations, recomputeEvery: r.recomputeEvery,
    unconvergedRecomputations: r.subspaceConvergence.filter((c) => !c.converged).length };
}

export const PROJECTION_MODES = ['full', 'dominant', 'bulk'] as const;

/** One epoch of each mode for each seed (tanh MLP); the subspace is recomputed and accuracy evaluated every `every` steps. */
export function projectedJobArgs(
  s: StudySettings, seeds: number[], o: { batchSize: number; lr: number; k: number; every: number; hessianSamples: number; lanczosSteps: number },
): ProjectedArgs[] {
  const out: ProjectedArgs[] = [];
  for (const mode of PROJECTION_MODES) {
    for (const seed of seeds) {
      out.push({
        ...studyModel(s, 'mlp', 'tanh', seed), mode, epochs: 1, batchSize: o.batchSize, lr: o.lr, k: o.k, recomputeEvery: o.every,
        hessianSamples: o.hessianSamples, lanczosSteps: o.lanczosSteps, evaluateEvery: o.every,
      });
    }
  }
  return out;
}

/** Final accuracies by mode and, per mode, the accuracy curve's median and range over seeds. */
export function projectedSummary(results: readonly ProjectedResult[]): { accuracy: Record<string, number[]>; series: LineSeries[] } {
  const accuracy: Record<string, number[]> = {};
  const series: LineSeries[] = [];
  for (const m of PROJECTION_MODES) {
    const rs = results.filter((r) => r.mode === m);
    if (rs.length === 0) continue;
    accuracy[m] = rs.map((r) => r.accuracy);
    const steps = rs[0].curve.map((c) => c.step);
    series.push({ x: steps, ...seedBand(steps.map((_, i) => rs.map((r) => r.curve[i].accuracy))), name: m });
  }
  return { accuracy, series };
}

// ---------------------------------------------------------------- statistics over seeds

/** Per point, the median over seeds (the line) and the range (the band). */
export function seedBand(valuesPerPoint: readonly (readonly number[])[]): { y: number[]; band: { lower: number[]; upper: number[] } } {
  const ranges = valuesPerPoint.map((v) => valueRange(v));
  return { y: valuesPerPoint.map((v) => median(v)), band: { lower: ranges.map((r) => r[0]), upper: ranges.map((r) => r[1]) } };
}

/** The median of the finite values; NaN when there are none (e.g. d_int90 not reached by any seed). */
export function medianOfFinite(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? median(finite) : NaN;
}

/** "median (min-max)" of the finite values; `empty` when none is finite. */
export function formatFinite(values: readonly number[], digits = 3, empty = 'n/a'): string {
  return formatMedianRange(values.filter(Number.isFinite), { digits, empty });
}

/**
 * The number of outliers read from descending top eigenvalues: the position
 * i (1-based) after which the ratio lambda_i / lambda_{i+1} is largest (a
 * non-positive next value counts as an infinite ratio; the first such wins).
 */
export function outlierCount(values: readonly number[]): number {
  let best = 0;
  let at = 1;
  for (let i = 0; i + 1 < values.length; i++) {
    const r = values[i + 1] > 0 ? values[i] / values[i + 1] : Infinity;
    if (r > best) ((best = r), (at = i + 1));
  }
  return at;
}

/** Outlier counts of H and G at the end of each run. */
export function outlierCounts(runs: readonly TrainingProbeResult[]): { h: number[]; g: number[] } {
  return { h: runs.map((r) => outlierCount(r.endHessianTop)), g: runs.map((r) => outlierCount(r.endGaussNewtonTop)) };
}

/** Same-logit cosine means (same class, different class) at initialisation and at the end, per run. */
export function cosineStatistics(runs: readonly TrainingProbeResult[]): { initSame: number[]; initDiff: number[]; endSame: number[]; endDiff: number[] } {
  const pick = (f: (r: TrainingProbeResult) => number) => runs.map(f);
  return {
    initSame: pick((r) => r.cosinesInit!.sameClassMean), initDiff: pick((r) => r.cosinesInit!.differentClassMean),
    endSame: pick((r) => r.cosinesEnd!.sameClassMean), endDiff: pick((r) => r.cosinesEnd!.differentClassMean),
  };
}

/** Per run, the median over the checkpoints after initialisation of the gradient fraction in the top-k subspace. */
export function overlapAfterInit(runs: readonly TrainingProbeResult[]): number[] {
  return runs.map((r) => median(r.checkpoints.slice(1).map((p) => p.overlapSquared)));
}

/** Per run, the subspace persistence between the last two checkpoints (NaN with a single checkpoint). */
export function persistenceAtEnd(runs: readonly TrainingProbeResult[]): number[] {
  return runs.map((r) => r.checkpoints[r.checkpoints.length - 1].persistence ?? NaN);
}

/** Per run, the top eigenvalue at initialisation, its largest value, the step of that largest value (first), and at the end. */
export function topEigenvalueStatistics(runs: readonly TrainingProbeResult[]): { init: number[]; max: number[]; argmax: number[]; end: number[] } {
  const traj = runs.map((r) => r.checkpoints.map((p) => p.topEigenvalues[0]));
  return {
    init: traj.map((t) => t[0]),
    max: traj.map((t) => Math.max(...t)),
    argmax: runs.map((r, i) => r.checkpoints[traj[i].indexOf(Math.max(...traj[i]))].step),
    end: traj.map((t) => t[t.length - 1]),
  };
}

/**
 * How the Lanczos eigen-solves of some runs ended (every checkpoint and the
 * end spectra of H and G): how many met eigenpairs' residual tolerance, of
 * how many, and the fewest and most Lanczos steps taken.
 */
export function lanczosConvergence(runs: readonly TrainingProbeResult[]): { converged: number; total: number; minSteps: number; maxSteps: number } {
  const steps: number[] = [];
  let converged = 0;
  for (const r of runs) {
    r.checkpoints.forEach((c) => (steps.push(c.lanczosSteps), (converged += c.converged ? 1 : 0)));
    r.endLanczosSteps.forEach((st, i) => (steps.push(st), (converged += r.endConverged[i] ? 1 : 0)));
  }
  return { converged, total: steps.length, minSteps: Math.min(...steps), maxSteps: Math.max(...steps) };
}

/**
 * A quantity along the checkpoints (median and range over runs), with step 0
 * placed at 0.5 for a log x axis. The runs share their checkpoint steps.
 */
export function checkpointCurve(runs: readonly TrainingProbeResult[], pick: (c: Checkpoint) => number): { x: number[]; y: number[]; band: { lower: number[]; upper: number[] } } {
  if (runs.length === 0) throw new ArgumentError('runs', 'at least one run', 0);
  const steps = runs[0].checkpoints.map((c) => c.step);
  return { x: steps.map((s) => Math.max(s, 0.5)), ...seedBand(steps.map((_, i) => runs.map((r) => pick(r.checkpoints[i])))) };
}

// ---------------------------------------------------------------- figures

/** Figure 1: the logit-gradient cosine matrix of one run, at initialisation or after training. */
export function cosineFigure(matrix: number[][], key: string, when: 'initialisation' | 'after training'): Figure {
  return heatmap(matrix, { title: `${key}: logit-gradient cosines, ${when}`, zmid: 0, colorscale: 'RdBu', height: 420, width: 460 });
}

/** Figure 2a: SLQ densities of H and G of one run (log y, floored at 1e-6); null when the run has none. */
export function densityFigure(run: TrainingProbeResult): Figure | null {
  if (!run.densityH || !run.densityG) return null;
  const floor = 1e-6;
  return line([
    { x: run.densityH.grid, y: run.densityH.density.map((v) => Math.max(v, floor)), name: 'H' },
    { x: run.densityG.grid, y: run.densityG.density.map((v) => Math.max(v, floor)), name: 'G (Gauss-Newton)', dash: 'dash' },
  ], { title: 'Spectral density (SLQ), MLP tanh, end of training', xLabel: 'eigenvalue', yLabel: 'density', logY: true });
}

/** Figure 2b: median over seeds of the i-th top eigenvalue of H and of G at the end, per configuration. */
export function topEigenvaluesFigure(runs: Record<string, readonly TrainingProbeResult[]>): Figure {
  const series: LineSeries[] = [];
  for (const [key, rs] of Object.entries(runs)) {
    if (rs.length === 0) continue;
    const idx = rs[0].endHessianTop.map((_, i) => i + 1);
    series.push({ x: idx, y: idx.map((_, i) => median(rs.map((r) => r.endHessianTop[i]))), name: `${key} H`, mode: 'lines+markers' });
    series.push({ x: idx, y: idx.map((_, i) => median(rs.map((r) => r.endGaussNewtonTop[i]))), name: `${key} G`, mode: 'lines+markers', dash: 'dash' });
  }
  return line(series, { title: 'Top eigenvalues at the end of training (median over seeds)', xLabel: 'index', yLabel: 'eigenvalue', logY: true });
}

/** Figure 3: gradient fraction in the top-k subspace over training per configuration, beside k/D. */
export function gradientOverlapFigure(runs: Record<string, readonly TrainingProbeResult[]>, totalSteps: number): Figure {
  const entries = Object.entries(runs).filter(([, rs]) => rs.length > 0);
  const series: LineSeries[] = entries.map(([key, rs]) => ({ ...checkpointCurve(rs, (p) => p.overlapSquared), name: key }));
  for (const [key, rs] of entries) {
    const base = rs[0].checkpoints[0].baselineSquared;
    series.push({ x: [0.5, Math.max(totalSteps, 1)], y: [base, base], name: `k/D ${key}`, dash: 'dot' });
  }
  return line(series, { title: 'Gradient fraction in the top-10 Hessian subspace', xLabel: 'SGD step (0 plotted at 0.5)', yLabel: '||P g||^2 / ||g||^2', logX: true, logY: true });
}

/** Figure 4: the top Hessian eigenvalue over training per configuration. */
export function topEigenvalueFigure(runs: Record<string, readonly TrainingProbeResult[]>): Figure {
  const series = Object.entries(runs).filter(([, rs]) => rs.length > 0).map(([key, rs]) => ({ ...checkpointCurve(rs, (p) => p.topEigenvalues[0]), name: key }));
  return line(series, { title: 'Top Hessian eigenvalue over training', xLabel: 'SGD step (0 plotted at 0.5)', yLabel: 'lambda_1', logX: true });
}

/** Figure 5: subspace-training accuracy against d (median, range over seeds), the 90% threshold and the paper's d_int90. */
export function intrinsicDimensionFigure(ds: number[], accuracyBySeed: readonly (readonly number[])[], threshold: number, paperDInt90: number): Figure {
  const perD = ds.map((_, j) => accuracyBySeed.map((a) => a[j]));
  return line([
    { x: ds, ...seedBand(perD), name: 'subspace training', mode: 'lines+markers' },
    { x: [ds[0], ds[ds.length - 1]], y: [threshold, threshold], name: '90% of full training', dash: 'dash' },
    { x: [paperDInt90, paperDInt90], y: [0, 1], name: `Li et al. d_int90 = ${paperDInt90}`, dash: 'dot' },
  ], { title: 'Test accuracy of training in a random d-dimensional subspace', xLabel: 'd', yLabel: 'test accuracy', logX: true, yRange: [0, 1] });
}

/** Figure 6a: curvature ratios against the initialisation radius (medians over seeds). */
export function goldilocksCurvatureFigure(s: RadiusSummary, planeDimension: number): Figure {
  return line([
    { x: s.radii, y: s.ratio, name: 'Tr(H)/||H||_F (full, Hutchinson)', mode: 'lines+markers', error: s.ratioError },
    { x: s.radii, y: s.planeRatio, name: `Tr/||.||_F of P^T H P (d = ${planeDimension})`, mode: 'lines+markers' },
    { x: s.radii, y: s.planePositiveExcess, name: 'excess of positive eigenvalues in the plane', mode: 'lines+markers', dash: 'dot' },
  ], { title: 'Curvature versus initialisation radius (median over seeds)', xLabel: 'radius ||theta_0||', yLabel: 'ratio', logX: true });
}

/** Figure 6b: subspace-training accuracy against the initialisation radius (median, range over seeds). */
export function goldilocksAccuracyFigure(s: RadiusSummary, subspaceDimension: number): Figure {
  return line([{ x: s.radii, ...seedBand(s.accuracy), name: `subspace training, d = ${subspaceDimension}`, mode: 'lines+markers' }],
    { title: 'Subspace-training accuracy versus initialisation radius', xLabel: 'radius ||theta_0||', yLabel: 'test accuracy', logX: true, yRange: [0, 1] });
}

/** Figure 7: test accuracy along projected SGD per mode (median, range over seeds). */
export function projectedSgdFigure(series: LineSeries[]): Figure {
  return line(series, { title: 'Projected SGD (MLP tanh)', xLabel: 'SGD step', yLabel: 'test accuracy', yRange: [0, 1] });
}

// ---------------------------------------------------------------- reproduction table

export interface TableInput {
  settings: string;
  k: number;
  parameters: number;
  xavierRadius: number;
  ds: number[];
  probes: Record<ProbeConfigKey, readonly TrainingProbeResult[]>;
  outliers: Record<string, { h: number[]; g: number[] }>;
  overlapAfter: Record<string, number[]>;
  topEigenvalue: Record<string, { init: number[]; max: number[]; end: number[] }>;
  cosines: Record<string, { endSame: number[]; endDiff: number[] }>;
  dInt90: number[];
  dInt90Interpolated: number[];
  /** Accuracy at the largest d of the sweep, and of full training, per seed. */
  accuracyAtLargestD: number[];
  fullAccuracy: number[];
  radius: RadiusSummary;
  projectedAccuracy: Record<string, number[]>;
}

/** Rows of the paper-versus-measured table: quantity, paper value, measured median (range), settings. */
export function reproductionRows(t: TableInput): { quantity: string; paper: string; measured: string; settings: string }[] {
  const lastD = t.ds[t.ds.length - 1];
  const fmt = formatFinite;
  const top = t.topEigenvalue['mlp-tanh'];
  return [
    { quantity: 'number of Hessian outliers (MLP tanh / relu / conv)', paper: 'C = 10 (or C - 1 = 9)', measured: PROBE_CONFIGS.map((c) => t.outliers[c.key].h.join('/')).join(' | ') },
    {
      quantity: 'H and G share the outliers (lambda_1 of G / lambda_1 of H, MLP tanh)', paper: 'outliers coincide',
      measured: fmt(t.probes['mlp-tanh'].map((r) => r.endGaussNewtonTop[0] / r.endHessianTop[0]), 2),
    },
    {
      quantity: `gradient fraction in top-${t.k} subspace (MLP tanh, after init)`, paper: 'most of the gradient; k/D random',
      measured: `${fmt(t.overlapAfter['mlp-tanh'])} vs k/D ${(t.k / t.parameters).toExponential(1)}`,
    },
    {
      quantity: 'top eigenvalue rises then falls (MLP tanh: init, peak, end)', paper: 'rises, then falls',
      measured: `${median(top.init).toFixed(2)}, ${median(top.max).toFixed(2)}, ${median(top.end).toFixed(2)}`,
    },
    {
      quantity: 'logit-gradient cosine, same vs different class (MLP tanh, end)', paper: 'clustered by class',
      measured: `${fmt(t.cosines['mlp-tanh'].endSame, 2)} vs ${fmt(t.cosines['mlp-tanh'].endDiff, 2)}`,
    },
    { quantity: 'd_int90 (MLP relu)', paper: '750', measured: `${fmt(t.dInt90Interpolated, 0, 'not reached')} (sweep: ${t.dInt90.join('/')})` },
    { quantity: `accuracy at d = ${lastD}`, paper: lastD === 1500 ? '0.92-0.93' : '-', measured: fmt(t.accuracyAtLargestD) },
    { quantity: 'full training accuracy', paper: '0.98 (to convergence)', measured: fmt(t.fullAccuracy) },
    {
      quantity: 'Goldilocks: radius of max Tr(H)/||H|| / of best subspace training', paper: 'a band of radii, coinciding',
      measured: `${(t.radius.bestRatioRadius / t.xavierRadius).toFixed(2)} / ${(t.radius.bestAccuracyRadius / t.xavierRadius).toFixed(2)} x Xavier`,
    },
    {
      quantity: 'projected SGD accuracy: full / dominant / bulk', paper: 'dominant stops learning; bulk ~ SGD',
      measured: `${fmt(t.projectedAccuracy.full ?? [])} / ${fmt(t.projectedAccuracy.dominant ?? [])} / ${fmt(t.projectedAccuracy.bulk ?? [])}`,
    },
  ].map((r) => ({ ...r, settings: t.settings }));
}
