/**
 * Probes of loss-landscape geometry built on the curvature products and
 * estimators: gradient overlap with the top Hessian subspace (Gur-Ari,
 * Roberts & Dyer 2018), subspace persistence, the logit-gradient cosine
 * matrix (Fort & Ganguli 2019), the Hessian restricted to a random subspace,
 * training in a random affine subspace theta0 + P theta_d and the
 * intrinsic-dimension sweep (Li et al. 2018), curvature versus
 * initialisation radius (Fort & Scherlis 2018), and SGD projected onto or
 * away from the dominant subspace (Song, Ahn & Yun 2025).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ConvergenceReport, FLOAT32_MAX, Progress, ProgressOutput, Rng, checkFinite, checkInteger, checkNumber, checkOneOf, describe, gemm, notConvergedMessage, symEig, throwIfInterrupted } from '../core';
import { LinearOperator, applyChecked, checkOperator, dot, eigenpairs, hutchinson, norm, Estimate } from './spectrum';
import {
  batchesPerEpoch, disposeConverted, labelsOf, takeTensors, tensorBatches, toTensorDataset, type DataInput, type TensorDataset,
} from '../data';
import {
  CurvatureNetwork, CurvatureLoss, curvatureOperator, flattenParameters, lossAndGradient, logitGradients, parameterCount, saveRunningStatistics, setModes, setParameters,
} from './products';

// ---------------------------------------------------------------- subspace overlap

export interface GradientOverlap {
  /** ||P g||^2 / ||g||^2 (Gur-Ari et al.'s f_top). */
  squared: number;
  /** ||P g|| / ||g||. */
  unsquared: number;
  /** What a random direction gives: k / D. */
  baselineSquared: number;
  /** sqrt(k / D). */
  baselineUnsquared: number;
  k: number;
  dim: number;
}

function checkOrthonormal(name: string, vectors: readonly Float64Array[], dim: number): void {
  if (!Array.isArray(vectors) || vectors.length === 0) throw new ArgumentError(name, 'a non-empty array of vectors', describe(vectors));
  vectors.forEach((v, i) => {
    if (!v || v.length !== dim) throw new ArgumentError(`${name}[${i}]`, `a vector of length ${dim}`, describe(v));
    checkFinite(`${name}[${i}]`, v);
  });
  if (vectors.length > dim) throw new ArgumentError(name, `at most ${dim} vectors`, vectors.length);
  for (let i = 0; i < vectors.length; i++) {
    for (let j = 0; j <= i; j++) {
      const p = dot(vectors[i], vectors[j]);
      if (Math.abs(p - (i === j ? 1 : 0)) > 1e-6) throw new ArgumentError(name, 'orthonormal vectors (e.g. Lanczos eigenvectors)', `<v${i}, v${j}> = ${p}`);
    }
  }
}

/** Fraction of a gradient inside span(vectors) (orthonormal), beside the random baseline k/D. */
export function gradientOverlap(gradient: ArrayLike<number>, vectors: readonly Float64Array[]): GradientOverlap {
  const dim = gradient.length;
  checkFinite('gradient', gradient);
  checkOrthonormal('vectors', vectors, dim);
  const gn2 = dot(gradient, gradient);
  if (!(gn2 > 0)) throw new ArgumentError('gradient', 'a non-zero finite vector', `squared norm ${gn2}`);
  let p2 = 0;
  for (const v of vectors) p2 += dot(v, gradient) ** 2;
  const k = vectors.length;
  return { squared: p2 / gn2, unsquared: Math.sqrt(p2 / gn2), baselineSquared: k / dim, baselineUnsquared: Math.sqrt(k / dim), k, dim };
}

/** Subspace persistence tr(P1 P2) / k = ||V1^T V2||_F^2 / k (1: same subspace; random: about k/D). */
export function subspacePersistence(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  if (!a?.length || !b?.length) throw new ArgumentError('a, b', 'non-empty arrays of orthonormal vectors', `${a?.length} and ${b?.length} vectors`);
  const dim = a[0].length;
  checkOrthonormal('a', a, dim);
  checkOrthonormal('b', b, dim);
  if (a.length !== b.length) throw new ArgumentError('b', `${a.length} vectors (as many as a)`, b.length);
  let s = 0;
  for (const u of a) for (const v of b) s += dot(u, v) ** 2;
  return s / a.length;
}

// ---------------------------------------------------------------- logit gradients

export interface LogitGradientCosines {
  /** Cosine similarity between every pair of rows (logit gradients). */
  matrix: number[][];
  /** Per row: the class of its example and which logit it differentiates; rows ordered by logit, then example class. */
  rowClass: number[];
  rowLogit: number[];
  /** Mean cosine between rows with the same logit, by (class of example a, class of example b), off-diagonal pairs only: C x C; NaN where there is no such pair (a class with one example). */
  byClass: number[][];
  /** Mean cosine by (logit a, logit b) over all example pairs: C x C. */
  byLogit: number[][];
  /** Mean cosine of same-logit pairs whose examples share their class, and of those that do not (NaN when there are none). */
  sameClassMean: number;
  differentClassMean: number;
}

/**
 * Cosine-similarity matrix of the parameter gradients of the logits,
 * grad_theta z_c(x), for `perClass` examples of each class (Fort & Ganguli
 * 2019, Fig. 2). Memory: (C * perClass * C) vectors of length D in float32.
 */
export function logitGradientCosines(net: CurvatureNetwork, data: DataInput, options: { perClass?: number; seed?: number; maxBytes?: number } = {}): LogitGradientCosines {
  const perClass = checkInteger('perClass', options.perClass ?? 3, 1);
  const c = net.outputSize;
  const tensors = toTensorDataset(data, net);
  const labels = Array.from(labelsOf(tensors.y));
  const d = parameterCount(net);
  const bytes = c * perClass * c * d * 4;
  const maxBytes = checkNumber('maxBytes', options.maxBytes ?? 1.5e9, 1);
  if (bytes > maxBytes) throw new ArgumentError('perClass', `at most ${Math.floor(maxBytes / (c * c * d * 4))} (memory bound maxBytes = ${maxBytes})`, perClass);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0));
  const chosen: number[] = [];
  const chosenClass: number[] = [];
  for (let k = 0; k < c; k++) {
    const idx = labels.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
    if (idx.length < perClass) {
      disposeConverted(tensors, data);
      throw new ArgumentError('data', `at least ${perClass} examples of class ${k}`, `${idx.length}`);
    }
    for (const j of rng.sample(idx.length, perClass)) {
      chosen.push(idx[j]);
      chosenClass.push(k);
    }
  }
  const sel = takeTensors(tensors, chosen);
  disposeConverted(tensors, data);
  const lg = logitGradients(net, sel.x);
  tf.dispose([sel.x, sel.y]);
  // Order rows by logit, then by class of the example.
  const rows = lg.gradients.map((g, r) => ({ g: g as Float32Array | null, logit: lg.logit[r], cls: chosenClass[lg.example[r]] }));
  rows.sort((p, q) => p.logit - q.logit || p.cls - q.cls);
  const n = rows.length;
  // Gram matrix by one gemm on the packed rows (native BLAS when loaded): n^2 D/2 multiply-adds
  // in a JS loop take tens of seconds for D ~ 2e5. Rows are released as they are packed.
  const packed = new Float32Array(n * d);
  rows.forEach((r, i) => {
    packed.set(r.g!, i * d);
    r.g = null;
  });
  lg.gradients.length = 0;
  const gram = new Float32Array(n * n);
  gemm(n, n, d, packed, packed, gram, { transB: true });
  const norms = Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(gram[i * n + i], 0)));
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const cos = gram[i * n + j] / (norms[i] * norms[j] || 1e-300);
      matrix[i][j] = matrix[j][i] = cos;
    }
  }
  const mean = () => Array.from({ length: c }, () => ({ s: Array(c).fill(0) as number[], n: Array(c).fill(0) as number[] }));
  const cls = mean();
  const lgt = mean();
  let same = 0, sameN = 0, diff = 0, diffN = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      lgt[rows[i].logit].s[rows[j].logit] += matrix[i][j];
      lgt[rows[i].logit].n[rows[j].logit]++;
      if (rows[i].logit !== rows[j].logit) continue;
      cls[rows[i].cls].s[rows[j].cls] += matrix[i][j];
      cls[rows[i].cls].n[rows[j].cls]++;
      if (rows[i].cls === rows[j].cls) ((same += matrix[i][j]), sameN++);
      else ((diff += matrix[i][j]), diffN++);
    }
  }
  const finish = (m: ReturnType<typeof mean>) => m.map((r) => r.s.map((s, j) => (r.n[j] ? s / r.n[j] : NaN)));
  return {
    matrix,
    rowClass: rows.map((r) => r.cls),
    rowLogit: rows.map((r) => r.logit),
    byClass: finish(cls),
    byLogit: finish(lgt),
    sameClassMean: sameN ? same / sameN : NaN,
    differentClassMean: diffN ? diff / diffN : NaN,
  };
}

// ---------------------------------------------------------------- random subspaces

/**
 * A fixed D x d random matrix P with unit-norm columns (Li et al. 2018).
 * 'dense': N(0,1) entries (stored in float32, D*d*4 bytes). 'sparse': each
 * entry is nonzero (+-1) with probability 1/sqrt(D) (Li, Hastie & Church
 * 2006), which keeps columns nearly orthogonal at a fraction of the memory
 * and is what makes d in the thousands affordable for D ~ 2e5.
 */
export class RandomSubspace {
  readonly dim: number;
  readonly d: number;
  readonly kind: 'dense' | 'sparse';
  private readonly dense: Float32Array[] = [];
  private readonly rows: Int32Array[] = [];
  private readonly vals: Float32Array[] = [];

  constructor(dim: number, d: number, options: { seed?: number; kind?: 'dense' | 'sparse' } = {}) {
    this.dim = checkInteger('dim', dim, 1);
    this.d = checkInteger('d', d, 1, dim);
    this.kind = checkOneOf('kind', options.kind ?? 'sparse', ['dense', 'sparse']);
    const rng = new Rng(checkInteger('seed', options.seed ?? 0));
    if (this.kind === 'dense') {
      for (let j = 0; j < d; j++) {
        const col = rng.child(j).normalArray(dim, 0, 1, 'float32') as Float32Array;
        const s = 1 / norm(col);
        for (let i = 0; i < dim; i++) col[i] *= s;
        this.dense.push(col);
      }
    } else {
      const p = Math.min(1, 1 / Math.sqrt(dim));
      for (let j = 0; j < d; j++) {
        const r = rng.child(j);
        const idx: number[] = [];
        const val: number[] = [];
        for (let i = 0; i < dim; i++) {
          if (r.uniform() < p) {
            idx.push(i);
            val.push(r.uniform() < 0.5 ? -1 : 1);
          }
        }
        if (idx.length === 0) ((idx[0] = r.int(dim)), (val[0] = 1));
        const s = 1 / Math.sqrt(idx.length);
        this.rows.push(Int32Array.from(idx));
        this.vals.push(Float32Array.from(val, (v) => v * s));
      }
    }
  }

  /** P theta_d (length D). */
  project(thetaD: ArrayLike<number>): Float64Array {
    if (thetaD.length !== this.d) throw new ArgumentError('thetaD', `a vector of length ${this.d}`, describe(thetaD));
    const out = new Float64Array(this.dim);
    for (let j = 0; j < this.d; j++) {
      const t = thetaD[j];
      if (t === 0) continue;
      if (this.kind === 'dense') {
        const col = this.dense[j];
        for (let i = 0; i < this.dim; i++) out[i] += t * col[i];
      } else {
        const r = this.rows[j];
        const v = this.vals[j];
        for (let q = 0; q < r.length; q++) out[r[q]] += t * v[q];
      }
    }
    return out;
  }

  /** P^T g (length d). */
  projectTranspose(g: ArrayLike<number>): Float64Array {
    if (g.length !== this.dim) throw new ArgumentError('g', `a vector of length ${this.dim}`, describe(g));
    const out = new Float64Array(this.d);
    for (let j = 0; j < this.d; j++) {
      let s = 0;
      if (this.kind === 'dense') {
        const col = this.dense[j];
        for (let i = 0; i < this.dim; i++) s += col[i] * g[i];
      } else {
        const r = this.rows[j];
        const v = this.vals[j];
        for (let q = 0; q < r.length; q++) s += v[q] * g[r[q]];
      }
      out[j] = s;
    }
    return out;
  }

  /** Column j of P as a float64 vector. */
  column(j: number): Float64Array {
    checkInteger('j', j, 0, this.d - 1);
    const e = new Float64Array(this.d);
    e[j] = 1;
    return this.project(e);
  }
}

export interface RestrictedHessian {
  /** P^T A P (d x d, symmetrised), exact from d products. */
  matrix: number[][];
  /** Its eigenvalues, descending. */
  eigenvalues: Float64Array;
  trace: number;
  frobeniusNorm: number;
  /** Tr / ||.||_F (Fort & Scherlis' Goldilocks measure). */
  traceOverFrobenius: number;
  /** Fraction of positive eigenvalues minus fraction of negative ones. */
  positiveExcess: number;
  products: number;
}

/** The operator restricted to span(P): P^T A P, from d products A p_j. */
export function restrictedHessian(op: LinearOperator, subspace: RandomSubspace | readonly Float64Array[]): RestrictedHessian {
  checkOperator('op', op);
  const cols: Float64Array[] = subspace instanceof RandomSubspace ? Array.from({ length: subspace.d }, (_, j) => subspace.column(j)) : subspace.slice();
  cols.forEach((c, j) => {
    if (c.length !== op.dim) throw new ArgumentError(`subspace[${j}]`, `a vector of length ${op.dim}`, describe(c));
    checkFinite(`subspace[${j}]`, c);
  });
  const d = cols.length;
  const ap = cols.map((c) => applyChecked(op, c));
  const m = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => 0.5 * (dot(cols[i], ap[j]) + dot(cols[j], ap[i]))));
  const eig = symEig(m).values;
  const trace = eig.reduce((a, b) => a + b, 0);
  const frob = Math.sqrt(eig.reduce((a, b) => a + b * b, 0));
  const pos = eig.filter((x) => x > 0).length;
  const neg = eig.filter((x) => x < 0).length;
  return { matrix: m, eigenvalues: eig, trace, frobeniusNorm: frob, traceOverFrobenius: frob > 0 ? trace / frob : NaN, positiveExcess: (pos - neg) / d, products: d };
}

// ---------------------------------------------------------------- training helpers

/** Fraction of rows whose argmax logit equals the label, in evaluation mode as Network.predict (batch norm's running statistics, no noise). */
export function accuracy(net: CurvatureNetwork, data: DataInput, batchSize = 2000): number {
  checkInteger('batchSize', batchSize, 1);
  setModes(net, false);
  const t = toTensorDataset(data, net);
  const n = t.x.shape[0];
  const labels = labelsOf(t.y);
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const pred = tf.tidy(() => {
      const xb = tf.slice(t.x, [s, ...t.x.shape.slice(1).map(() => 0)], [m, ...t.x.shape.slice(1)]);
      return net.layers.reduce((h: tf.Tensor, l) => l.forward(h), xb).argMax(1);
    });
    const p = pred.dataSync();
    for (let i = 0; i < m; i++) if (p[i] === labels[s + i]) correct++;
    pred.dispose();
  }
  disposeConverted(t, data);
  return correct / n;
}

export interface SgdOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** 'sgd' (plain) or 'adam' (Li et al. train theta_d with Adam). Default 'adam'. */
  optimizer?: 'sgd' | 'adam';
  seed?: number;
  loss?: CurvatureLoss;
  /** Stop after this many steps in total. */
  maxSteps?: number;
  progress?: ProgressOutput;
  label?: string;
}

class Adam {
  private m: Float64Array;
  private v: Float64Array;
  private t = 0;
  constructor(n: number, readonly lr: number, readonly b1 = 0.9, readonly b2 = 0.999, readonly eps = 1e-8) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  step(theta: Float64Array, g: Float64Array): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    for (let i = 0; i < theta.length; i++) {
      this.m[i] = this.b1 * this.m[i] + (1 - this.b1) * g[i];
      this.v[i] = this.b2 * this.v[i] + (1 - this.b2) * g[i] * g[i];
      theta[i] -= (this.lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + this.eps);
    }
  }
}

function resolveSgd(o: SgdOptions) {
  return {
    epochs: checkInteger('epochs', o.epochs ?? 1, 1),
    batchSize: checkInteger('batchSize', o.batchSize ?? 128, 1),
    optimizer: checkOneOf('optimizer', o.optimizer ?? 'adam', ['sgd', 'adam']),
    // At most float32's largest value: the parameters are float32, and a larger rate overflows them on the first step.
    learningRate: checkNumber('learningRate', o.learningRate ?? (o.optimizer === 'sgd' ? 0.1 : 1e-3), Number.MIN_VALUE, FLOAT32_MAX),
    seed: checkInteger('seed', o.seed ?? 0, 0, 0xffffffff),
    maxSteps: o.maxSteps === undefined ? Infinity : checkInteger('maxSteps', o.maxSteps, 1),
  };
}

/**
 * Minibatch descent on a parameter vector `theta` (length n), batches from
 * lib/data's `tensorBatches` (epoch e shuffled by the permutation of
 * (seed, e)): `gradient(batch, step)` returns dL/dtheta for the batch at the
 * current theta.
 */
function minibatchLoop(
  n: number,
  train: TensorDataset,
  o: SgdOptions,
  theta: Float64Array,
  gradient: (batch: TensorDataset, step: number) => { gradient: Float64Array; loss: number },
): { steps: number; losses: number[] } {
  const r = resolveSgd(o);
  const perEpoch = batchesPerEpoch(train.x.shape[0], r);
  const total = Math.min(r.maxSteps, perEpoch * r.epochs);
  const adam = r.optimizer === 'adam' ? new Adam(n, r.learningRate) : null;
  const progress = new Progress({ total, label: o.label ?? 'training', output: o.progress ?? 'auto' });
  const losses: number[] = [];
  let steps = 0;
  for (const batch of tensorBatches(train, { batchSize: r.batchSize, seed: r.seed, epochs: r.epochs, maxSteps: total })) {
    const { gradient: g, loss } = gradient(batch, batch.step);
    losses.push(loss);
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${batch.step}: loss ${loss}`);
    if (adam) adam.step(theta, g);
    else for (let i = 0; i < n; i++) theta[i] -= r.learningRate * g[i];
    steps = batch.step + 1;
    progress.update(steps, `loss ${loss.toFixed(4)}`);
    // An interrupt (lib/core) stops before the next step with the parameters after this one.
    throwIfInterrupted(o.label ?? 'training', () => `after step ${steps} of ${total}`, () => ({ steps, losses: losses.slice(), theta: theta.slice() }));
  }
  progress.finish();
  return { steps, losses };
}

export interface SubspaceTrainingResult {
  d: number;
  /** Accuracy on `test` (or on the training data when no test set is given). */
  accuracy: number;
  trainLoss: number;
  steps: number;
  /** theta_d at the end. */
  thetaD: Float64Array;
}

/**
 * Trains only theta_d in theta = theta0 + P theta_d (Li et al. 2018);
 * theta0 is the network's parameters on entry. Batch norm's running
 * statistics follow the training batches (as Network.trainStep), so the
 * accuracy is evaluation mode's after this training. The network is
 * restored to theta0 and its running statistics on entry before returning.
 */
export function trainInSubspace(
  net: CurvatureNetwork,
  train: DataInput,
  d: number,
  options: SgdOptions & { test?: DataInput; subspaceSeed?: number; subspaceKind?: 'dense' | 'sparse' } = {},
): SubspaceTrainingResult {
  const dim = parameterCount(net);
  checkInteger('d', d, 1, dim);
  const trainTensors = toTensorDataset(train, net, 'train');
  const theta0 = flattenParameters(net);
  const P = new RandomSubspace(dim, d, { seed: options.subspaceSeed ?? options.seed ?? 0, kind: options.subspaceKind ?? 'sparse' });
  const thetaD = new Float64Array(d);
  const place = () => {
    const p = P.project(thetaD);
    for (let i = 0; i < dim; i++) p[i] += theta0[i];
    setParameters(net, p);
  };
  let lastLoss = NaN;
  const restoreStatistics = saveRunningStatistics(net);
  try {
    const run = minibatchLoop(d, trainTensors, { label: `subspace d=${d}`, ...options }, thetaD, (batch) => {
      place();
      const lg = lossAndGradient(net, batch, { loss: options.loss, batchSize: batch.x.shape[0], updateStatistics: true });
      lastLoss = lg.loss;
      return { gradient: P.projectTranspose(lg.gradient), loss: lg.loss };
    });
    place();
    const acc = accuracy(net, options.test ?? trainTensors);
    return { d, accuracy: acc, trainLoss: lastLoss, steps: run.steps, thetaD };
  } finally {
    setParameters(net, theta0);
    restoreStatistics();
    disposeConverted(trainTensors, train);
  }
}

export interface IntrinsicDimension {
  ds: number[];
  accuracies: number[];
  /** Reference: accuracy of full training (given or measured). */
  fullAccuracy: number;
  /** 90% of fullAccuracy. */
  threshold: number;
  /** Smallest d of the sweep reaching the threshold (null if none). */
  dInt90: number | null;
  /** Linear interpolation in log d between the bracketing sweep points (null if not bracketed). */
  dInt90Interpolated: number | null;
}

/** d_int90 from a sweep of subspace dimensions (accuracies measured by the caller or by trainInSubspace). */
export function intrinsicDimension(ds: number[], accuracies: number[], fullAccuracy: number): IntrinsicDimension {
  if (!Array.isArray(ds) || ds.length === 0 || ds.length !== accuracies.length) {
    throw new ArgumentError('accuracies', `an array as long as ds (${ds?.length})`, describe(accuracies));
  }
  checkNumber('fullAccuracy', fullAccuracy, 0, 1);
  checkFinite('ds', ds);
  checkFinite('accuracies', accuracies);
  const order = ds.map((d, i) => [d, accuracies[i]] as const).sort((a, b) => a[0] - b[0]);
  const threshold = 0.9 * fullAccuracy;
  const hit = order.findIndex(([, a]) => a >= threshold);
  let interp: number | null = null;
  if (hit > 0) {
    const [d0, a0] = order[hit - 1];
    const [d1, a1] = order[hit];
    const f = (threshold - a0) / (a1 - a0);
    interp = Math.exp(Math.log(d0) + f * (Math.log(d1) - Math.log(d0)));
  } else if (hit === 0) interp = order[0][0];
  return { ds: order.map((o) => o[0]), accuracies: order.map((o) => o[1]), fullAccuracy, threshold, dInt90: hit >= 0 ? order[hit][0] : null, dInt90Interpolated: interp };
}

// ---------------------------------------------------------------- curvature versus radius

export interface RadiusPoint {
  radius: number;
  /** Hutchinson estimates on the full Hessian. */
  trace: Estimate;
  frobeniusNorm: Estimate;
  traceOverFrobenius: Estimate;
  /** The Hessian restricted to a random d-dimensional subspace. */
  restricted: { traceOverFrobenius: number; positiveExcess: number; d: number };
}

/**
 * Fort & Scherlis 2018: rescale the initial parameter vector to norm
 * `radius`, then measure Tr(H)/||H||_F (Hutchinson, with errors) and the
 * restricted Hessian of a random d-plane through that point. The network
 * is restored afterwards.
 */
export function curvatureAtRadius(
  net: CurvatureNetwork,
  data: DataInput,
  radius: number,
  options: { samples?: number; d?: number; seed?: number; loss?: CurvatureLoss; progress?: ProgressOutput } = {},
): RadiusPoint {
  checkPositive('radius', radius);
  // The perturbed parameters are float32: a radius beyond float32's range would make them infinite.
  if (radius > FLOAT32_MAX) throw new ArgumentError('radius', 'a radius within float32 range (<= 3.4028e+38)', radius);
  const theta0 = flattenParameters(net);
  const r0 = norm(theta0);
  const seed = checkInteger('seed', options.seed ?? 0);
  const d = checkInteger('d', options.d ?? 10, 1);
  try {
    setParameters(net, theta0.map((x) => (x * radius) / r0));
    const op = curvatureOperator(net, data, 'hessian', { loss: options.loss });
    let h: ReturnType<typeof hutchinson>;
    let rh: RestrictedHessian;
    try {
      h = hutchinson(op, { samples: options.samples ?? 20, seed, progress: options.progress ?? 'silent' });
      rh = restrictedHessian(op, new RandomSubspace(op.dim, d, { seed: seed + 1, kind: 'dense' }));
    } finally {
      op.dispose();
    }
    return {
      radius,
      trace: h.trace,
      frobeniusNorm: h.frobeniusNorm,
      traceOverFrobenius: h.traceOverFrobenius,
      restricted: { traceOverFrobenius: rh.traceOverFrobenius, positiveExcess: rh.positiveExcess, d },
    };
  } finally {
    setParameters(net, theta0);
  }
}

function checkPositive(name: string, x: number): number {
  return checkNumber(name, x, Number.MIN_VALUE);
}

// ---------------------------------------------------------------- projected SGD

export interface ProjectedSgdOptions extends SgdOptions {
  /** 'full' (plain SGD), 'dominant' (g -> V V^T g), 'bulk' (g -> g - V V^T g). */
  mode: 'full' | 'dominant' | 'bulk';
  /** Dimension of the dominant subspace (default: number of classes). */
  k?: number;
  /** Recompute the top-k Hessian eigenvectors every this many steps (default 50). */
  recomputeEvery?: number;
  /** Rows of the fixed batch on which the Hessian is taken (default 1024). */
  hessianSamples?: number;
  /** Lanczos steps per recomputation (default 3k + 20). */
  lanczosSteps?: number;
  test?: DataInput;
  /** Evaluate test accuracy every this many steps (default: each recomputation). */
  evaluateEvery?: number;
}

export interface ProjectedSgdResult {
  mode: 'full' | 'dominant' | 'bulk';
  /** Test (else training) accuracy at the end. */
  accuracy: number;
  /** (step, accuracy, loss) along training; loss is the last minibatch's, NaN at step 0 (no step taken yet). */
  curve: { step: number; accuracy: number; loss: number }[];
  /** How many times the subspace was recomputed, and every how many steps. */
  recomputations: number;
  recomputeEvery: number;
  steps: number;
  /** Each recomputation's eigenpairs convergence report, in order (empty for mode 'full'); an unconverged one means that step projected on a subspace whose vectors were not yet accurate. */
  subspaceConvergence: ConvergenceReport[];
}

/**
 * SGD with each step projected onto the top-k Hessian subspace, away from
 * it, or not at all (Song, Ahn & Yun, ICLR 2025). The network's parameters
 * and batch norm's running statistics (from each training batch, as
 * Network.trainStep) are updated in place (train a fresh copy per mode).
 */
export function projectedSgd(net: CurvatureNetwork, train: DataInput, options: ProjectedSgdOptions): ProjectedSgdResult {
  const mode = checkOneOf('mode', options?.mode, ['full', 'dominant', 'bulk']);
  const k = checkInteger('k', options.k ?? net.outputSize, 1);
  const every = checkInteger('recomputeEvery', options.recomputeEvery ?? 50, 1);
  const evalEvery = checkInteger('evaluateEvery', options.evaluateEvery ?? every, 1);
  const hs = checkInteger('hessianSamples', options.hessianSamples ?? 1024, 1);
  const theta = flattenParameters(net);
  const dim = theta.length;
  checkInteger('k', k, 1, dim);
  const trainTensors = toTensorDataset(train, net, 'train');
  const testTensors = options.test ? toTensorDataset(options.test, net, 'test') : null;
  const rows = trainTensors.x.shape[0];
  const hessRows = Array.from(new Rng((options.seed ?? 0) + 7).sample(rows, Math.min(hs, rows)));
  const hessData = takeTensors(trainTensors, hessRows);
  let V: Float64Array[] = [];
  let recomputations = 0;
  const subspaceConvergence: ConvergenceReport[] = [];
  let lastLoss = NaN;
  const curve: ProjectedSgdResult['curve'] = [];
  const evalSet = testTensors ?? trainTensors;
  try {
    const run = minibatchLoop(dim, trainTensors, { optimizer: 'sgd', label: `SGD (${mode})`, ...options }, theta, (batch, step) => {
      setParameters(net, theta);
      if (mode !== 'full' && step % every === 0) {
        const op = curvatureOperator(net, hessData, 'hessian', { loss: options.loss });
        try {
          // One warning for the whole run (below), not one per recomputation.
          const pairs = eigenpairs(op, k, { steps: options.lanczosSteps ?? Math.min(dim, 3 * k + 20), seed: step, residuals: false, progress: 'silent', warn: false });
          V = pairs.vectors;
          subspaceConvergence.push(pairs.convergence);
        } finally {
          op.dispose();
        }
        recomputations++;
      }
      if (step % evalEvery === 0) curve.push({ step, accuracy: accuracy(net, evalSet), loss: lastLoss });
      const lg = lossAndGradient(net, batch, { loss: options.loss, batchSize: batch.x.shape[0], updateStatistics: true });
      lastLoss = lg.loss;
      const g = lg.gradient;
      if (mode === 'full') return { gradient: g, loss: lg.loss };
      const proj = new Float64Array(dim);
      for (const v of V) {
        const c = dot(v, g);
        for (let i = 0; i < dim; i++) proj[i] += c * v[i];
      }
      if (mode !== 'dominant') for (let i = 0; i < dim; i++) proj[i] = g[i] - proj[i];
      return { gradient: proj, loss: lg.loss };
    });
    setParameters(net, theta);
    const acc = accuracy(net, evalSet);
    curve.push({ step: run.steps, accuracy: acc, loss: lastLoss });
    const unconverged = subspaceConvergence.filter((r) => !r.converged);
    if (unconverged.length > 0) {
      const worst = unconverged.reduce((a, b) => (b.residual > a.residual ? b : a));
      console.warn(notConvergedMessage(`projectedSgd (${mode}, k = ${k}): ${unconverged.length} of ${subspaceConvergence.length} subspace recomputations`, worst, 'raise lanczosSteps; the worst is shown'));
    }
    return { mode, accuracy: acc, curve, recomputations, recomputeEvery: every, steps: run.steps, subspaceConvergence };
  } finally {
    tf.dispose([hessData.x, hessData.y]);
    disposeConverted(trainTensors, train);
    if (testTensors) disposeConverted(testTensors, options.test!);
  }
}
