/**
 * The loss-landscape study as worker-pool jobs (Fort & Ganguli 2019 and the
 * probes around it): each function takes plain, structured-cloneable
 * settings, loads its own data, builds its own network and returns numbers,
 * so seeds and sweep points run in parallel on the pool of lib/core and give
 * the same numbers in a worker as in the main process.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, checkInteger, checkOneOf, type JobContext } from '../core';
import { loadFashionMnist, loadMnist } from '../data';
import { Network, Optimizer, type LayerSpec, type NetworkOptions } from '../rules';
import { eigenpairs, norm, spectralDensity } from './spectrum';
import { Curvature, flattenParameters, setParameters, type Dataset } from './products';
import {
  accuracy, curvatureAtRadius, gradientOverlap, logitGradientCosines, projectedSgd, subspacePersistence, trainInSubspace,
} from './probes';

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
        { kind: 'flatten' }, { kind: 'dense', units: 10 },
      ],
      seed: m.seed,
    };
  }
  const layers: LayerSpec[] = [];
  for (const h of m.hidden ?? [200, 200]) layers.push({ kind: 'dense', units: h }, act);
  layers.push({ kind: 'dense', units: 10 });
  return { inputShape: [784], layers, seed: m.seed };
}

/** Training and test tensors (caller disposes). The training subset is drawn with the model seed. */
export function studyData(m: StudyModel): { train: Dataset; test: Dataset } {
  const load = m.dataset === 'fashion-mnist' ? loadFashionMnist : loadMnist;
  const tr = load({ split: 'train', limit: checkInteger('trainSamples', m.trainSamples, 10), seed: m.seed });
  const te = load({ split: 'test', limit: checkInteger('testSamples', m.testSamples, 10), seed: 12345 });
  const shape = m.model === 'conv' ? [28, 28, 1] : [784];
  const toSet = (d: typeof tr): Dataset => ({ x: tf.tensor(d.images, [d.count, ...shape], 'float32'), y: tf.tensor1d(d.labels, 'int32') });
  return { train: toSet(tr), test: toSet(te) };
}

function subset(data: Dataset, rows: number, seed: number): Dataset {
  const n = data.x.shape[0];
  const idx = Array.from(new Rng(seed).sample(n, Math.min(rows, n))).sort((a, b) => a - b);
  return tf.tidy(() => {
    const i = tf.tensor1d(idx, 'int32');
    return { x: tf.gather(data.x, i), y: tf.gather(data.y, i) };
  });
}

function disposeSet(...sets: Dataset[]): void {
  sets.forEach((s) => tf.dispose([s.x, s.y]));
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
  /** Top-k subspace (default 10 = number of classes). */
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
  densityH: { grid: number[]; density: number[]; sigma: number } | null;
  densityG: { grid: number[]; density: number[]; sigma: number } | null;
  finalTestAccuracy: number;
  seconds: number;
}

function cosineSummary(net: Network, data: Dataset, perClass: number, seed: number): CosineSummary | null {
  if (perClass <= 0) return null;
  const r = logitGradientCosines(net, data, { perClass, seed });
  return { matrix: r.matrix, rowClass: r.rowClass, rowLogit: r.rowLogit, byClass: r.byClass, sameClassMean: r.sameClassMean, differentClassMean: r.differentClassMean };
}

/**
 * Trains with SGD (momentum optional) on `trainSamples` rows and probes the
 * Hessian at the checkpoints: top eigenvalues, gradient overlap with the
 * top-k subspace, subspace persistence; logit-gradient cosines at
 * initialisation and at the end; spectra of H and G at the end.
 */
export async function trainingProbeJob(args: TrainingProbeArgs, ctx?: JobContext): Promise<TrainingProbeResult> {
  const t0 = Date.now();
  const k = args.k ?? 10;
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args);
  const probe = subset(train, args.hessianSamples, args.seed + 1);
  const optimizer = new Optimizer({ type: 'sgd', lr: args.lr, momentum: args.momentum ?? 0 });
  const rows = train.x.shape[0];
  const perEpoch = Math.ceil(rows / args.batchSize);
  const total = perEpoch * args.epochs;
  const checkpoints = [...new Set(args.checkpoints.filter((c) => c <= total))].sort((a, b) => a - b);
  const results: Checkpoint[] = [];
  let previous: Float64Array[] | null = null;
  const rng = new Rng(args.seed + 2);
  const curvature = new Curvature(net, probe, { batchSize: 1024 });
  const probeAt = (step: number) => {
    const op = curvature.operator('hessian');
    const eig = eigenpairs(op, k + 2, { steps: Math.min(op.dim, args.lanczosSteps), seed: step + 1, progress: 'silent' });
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
      overlapSquared: ov.squared,
      overlapUnsquared: ov.unsquared,
      baselineSquared: ov.baselineSquared,
      persistence: previous ? subspacePersistence(previous, top) : null,
    });
    previous = top;
  };
  const cosinesInit = cosineSummary(net, train, args.cosinePerClass, args.seed);
  let step = 0;
  let next = 0;
  if (checkpoints[next] === 0) (probeAt(0), next++);
  for (let e = 0; e < args.epochs; e++) {
    const perm = rng.permutation(rows);
    for (let b = 0; b < perEpoch; b++) {
      const idx = Array.from(perm.subarray(b * args.batchSize, Math.min(rows, (b + 1) * args.batchSize)));
      const { x, t } = tf.tidy(() => {
        const i = tf.tensor1d(idx, 'int32');
        return { x: tf.gather(train.x, i), t: tf.oneHot(tf.gather(train.y, i), 10).toFloat() };
      });
      const r = net.trainStep(x, t, optimizer, { epoch: e });
      tf.dispose([x, t]);
      if (!Number.isFinite(r.loss)) throw new Error(`training diverged at epoch ${e}, step ${step}: loss ${r.loss}`);
      step++;
      if (checkpoints[next] === step) (probeAt(step), next++);
      ctx?.progress(step / total, `step ${step}/${total}`);
    }
  }
  const cosinesEnd = cosineSummary(net, train, args.cosinePerClass, args.seed);
  const hop = curvature.operator('hessian');
  const gop = curvature.operator('gauss-newton');
  const steps = Math.min(hop.dim, args.lanczosSteps);
  const endH = eigenpairs(hop, k + 2, { steps, seed: 7, residuals: false, progress: 'silent' });
  const endG = eigenpairs(gop, k + 2, { steps, seed: 7, residuals: false, progress: 'silent' });
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
  disposeSet(train, test, probe);
  const parameters = flattenParameters(net).length;
  net.dispose();
  return {
    parameters, checkpoints: results, cosinesInit, cosinesEnd,
    endHessianTop: Array.from(endH.values), endGaussNewtonTop: Array.from(endG.values), endResidualRatio,
    densityH, densityG, finalTestAccuracy, seconds: (Date.now() - t0) / 1000,
  };
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

/** Accuracy of training in a random d-dimensional affine subspace (d = 0: all parameters, Adam). */
export async function subspaceJob(args: SubspaceArgs, ctx?: JobContext): Promise<{ d: number; accuracy: number; parameters: number; radius: number; seconds: number }> {
  const t0 = Date.now();
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args);
  const theta = flattenParameters(net);
  const r0 = norm(theta);
  if (args.radius !== undefined) setParameters(net, theta.map((t) => (t * args.radius!) / r0));
  const dim = theta.length;
  let acc: number;
  if (args.d === 0) {
    const opt = new Optimizer({ type: 'adam', lr: args.lr });
    const rng = new Rng(args.seed + 5);
    const rows = train.x.shape[0];
    const perEpoch = Math.ceil(rows / args.batchSize);
    for (let e = 0; e < args.epochs; e++) {
      const perm = rng.permutation(rows);
      for (let b = 0; b < perEpoch; b++) {
        const idx = Array.from(perm.subarray(b * args.batchSize, Math.min(rows, (b + 1) * args.batchSize)));
        const { x, t } = tf.tidy(() => {
          const i = tf.tensor1d(idx, 'int32');
          return { x: tf.gather(train.x, i), t: tf.oneHot(tf.gather(train.y, i), 10).toFloat() };
        });
        net.trainStep(x, t, opt, { epoch: e });
        tf.dispose([x, t]);
        ctx?.progress((e * perEpoch + b + 1) / (args.epochs * perEpoch));
      }
    }
    acc = accuracy(net, test);
  } else {
    const r = trainInSubspace(net, train, args.d, {
      epochs: args.epochs, batchSize: args.batchSize, learningRate: args.lr, optimizer: 'adam', seed: args.seed + 5,
      subspaceSeed: args.subspaceSeed, subspaceKind: 'sparse', test, progress: 'silent',
    });
    acc = r.accuracy;
  }
  disposeSet(train, test);
  net.dispose();
  return { d: args.d, accuracy: acc, parameters: dim, radius: args.radius ?? r0, seconds: (Date.now() - t0) / 1000 };
}

// ---------------------------------------------------------------- curvature versus radius

export interface RadiusArgs extends StudyModel {
  radius: number;
  hessianSamples: number;
  traceSamples: number;
  /** Dimension of the random plane whose restricted Hessian is measured. */
  planeDimension: number;
}

/** Tr(H)/||H||_F (Hutchinson) and the restricted Hessian of a random plane at initialisation radius r. */
export async function radiusJob(args: RadiusArgs): Promise<{ radius: number; trace: number; traceError: number; frobenius: number; frobeniusError: number; ratio: number; ratioError: number; planeRatio: number; planePositiveExcess: number }> {
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args);
  const probe = subset(train, args.hessianSamples, args.seed + 1);
  const p = curvatureAtRadius(net, probe, args.radius, { samples: args.traceSamples, d: args.planeDimension, seed: args.seed });
  disposeSet(train, test, probe);
  net.dispose();
  return {
    radius: args.radius, trace: p.trace.value, traceError: p.trace.standardError, frobenius: p.frobeniusNorm.value, frobeniusError: p.frobeniusNorm.standardError,
    ratio: p.traceOverFrobenius.value, ratioError: p.traceOverFrobenius.standardError, planeRatio: p.restricted.traceOverFrobenius, planePositiveExcess: p.restricted.positiveExcess,
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

/** SGD projected onto / away from the top-k Hessian subspace (Song, Ahn & Yun 2025). */
export async function projectedSgdJob(args: ProjectedArgs): Promise<{ mode: string; accuracy: number; curve: { step: number; accuracy: number; loss: number }[]; recomputations: number; recomputeEvery: number }> {
  const net = new Network(studyNetworkOptions(args));
  const { train, test } = studyData(args);
  const r = projectedSgd(net, train, {
    mode: args.mode, k: args.k, recomputeEvery: args.recomputeEvery, hessianSamples: args.hessianSamples, lanczosSteps: args.lanczosSteps,
    epochs: args.epochs, batchSize: args.batchSize, learningRate: args.lr, optimizer: 'sgd', seed: args.seed, test, evaluateEvery: args.evaluateEvery, progress: 'silent',
  });
  disposeSet(train, test);
  net.dispose();
  return { mode: r.mode, accuracy: r.accuracy, curve: r.curve, recomputations: r.recomputations, recomputeEvery: r.recomputeEvery };
}
