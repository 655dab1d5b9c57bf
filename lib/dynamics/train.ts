/**
 * Training by backpropagation through time: the network is unrolled over the
 * trial on tfjs tensors and tfjs autodiff gives the gradient of the mean
 * squared error (+ L2); updates are Adam with a learning-rate schedule and
 * gradient-norm clipping. `trainSequenceClassifier` trains an embedding and
 * network on padded token sequences by the masked BPTT of bptt.ts, in epochs
 * over a fixed data set, batches of similar length together.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Budget, InterruptedError, Progress, Rng, checkFinite, checkInteger, checkNumber, checkOneOf, checkShape, interruptRequested } from '../core';
import { RecurrentNetwork } from './network';
import { LearningRateSchedule, makeSchedule } from './schedules';
import { ownedVariable } from './variables';
import { TaskBatch, TaskName, checkL2, checkTaskBatch, generateTask } from './tasks';
import { TokenBatch, checkTokenBatch, fusedLossAndGradients, sequenceLogits, sequenceLossAndGradients } from './bptt';
import { SequenceClassifier } from './network';

/**
 * Loss of a batch: mean over trials, steps and outputs of (y - target)^2,
 * plus l2/2 times the sum of squared weights (matrices only, not biases or h0).
 */
export function networkLoss(net: RecurrentNetwork, inputs: tf.Tensor3D, targets: tf.Tensor3D, l2 = 0): tf.Scalar {
  checkShape('inputs', inputs.shape, [-1, -1, net.cell.inputSize]);
  checkShape('targets', targets.shape, [inputs.shape[0], inputs.shape[1], net.outputSize]);
  checkL2(l2);
  return networkLossTimeMajor(net, timeMajor(inputs, 'inputs'), timeMajor(targets, 'targets'), l2, true);
}

/** [B, T, k] -> [T, B, k] by a JS copy (constants only: inputs and targets need no gradient); the copy checks the values are finite. */
function timeMajor(t: tf.Tensor3D, name: string): tf.Tensor3D {
  const [B, T, k] = t.shape;
  const data = t.dataSync() as Float32Array;
  checkFinite(name, data);
  return timeMajorTensor(data, B, T, k);
}

function timeMajorTensor(src: Float32Array, B: number, T: number, k: number): tf.Tensor3D {
  const out = new Float32Array(src.length);
  for (let b = 0; b < B; b++) for (let s = 0; s < T; s++) for (let j = 0; j < k; j++) out[(s * B + b) * k + j] = src[(b * T + s) * k + j];
  return tf.tensor3d(out, [T, B, k]);
}

/** The loss on time-major inputs [T, B, I] and targets [T, B, O] (`dispose` frees them afterwards). */
function networkLossTimeMajor(net: RecurrentNetwork, inputs: tf.Tensor3D, targets: tf.Tensor3D, l2: number, dispose: boolean): tf.Scalar {
  try {
    return tf.tidy(() => {
      const { outputs } = net.runTimeMajor(inputs);
      // sum * (1/size) rather than mean: same value, cheaper on the CPU kernels.
      let loss = tf.mul(tf.sum(tf.squaredDifference(outputs, targets)), 1 / targets.size) as tf.Scalar;
      if (l2 > 0) {
        const mats = [...Object.values(net.cell.params).filter((v) => v.rank === 2), net.Wout];
        const sq = tf.addN(mats.map((w) => tf.sum(tf.square(w))));
        loss = tf.add(loss, tf.mul(0.5 * l2, sq)) as tf.Scalar;
      }
      return loss;
    });
  } finally {
    if (dispose) {
      inputs.dispose();
      targets.dispose();
    }
  }
}

/** Loss and its gradient with respect to every trainable variable (by BPTT via tfjs autodiff). */
export function lossAndGradients(net: RecurrentNetwork, inputs: tf.Tensor3D, targets: tf.Tensor3D, l2 = 0): { loss: number; grads: Map<tf.Variable, tf.Tensor> } {
  const vars = net.trainableVariables();
  const { value, grads } = tf.variableGrads(() => networkLoss(net, inputs, targets, l2), vars);
  const loss = value.dataSync()[0];
  value.dispose();
  const out = new Map<tf.Variable, tf.Tensor>();
  for (const v of vars) out.set(v, grads[v.name]);
  return { loss, grads: out };
}

/** Float64 reference of `networkLoss` (plain JS forward pass, for gradient checks). */
export function networkLossF64(net: RecurrentNetwork, batch: TaskBatch, l2 = 0): number {
  checkTaskBatch('batch', batch, { inputSize: net.cell.inputSize, outputSize: net.outputSize });
  checkL2(l2);
  const { steps: T, inputSize: m, outputSize: o } = batch;
  let sum = 0;
  for (let b = 0; b < batch.batch; b++) {
    const x = Float64Array.from(batch.inputs.subarray(b * T * m, (b + 1) * T * m));
    const { outputs } = net.runF64(x, T);
    for (let t = 0; t < T; t++) for (let j = 0; j < o; j++) sum += (outputs[t][j] - batch.targets[(b * T + t) * o + j]) ** 2;
  }
  let loss = sum / (batch.batch * T * o);
  if (l2 > 0) {
    const mats = [...Object.values(net.cell.params).filter((v) => v.rank === 2), net.Wout];
    let sq = 0;
    for (const w of mats) for (const v of w.dataSync()) sq += v * v;
    loss += 0.5 * l2 * sq;
  }
  return loss;
}

/** Adam's and the penalty's options, shared by both trainers. */
export interface AdamTrainingOptions {
  /** Learning rate or schedule, by update (default constant 1e-3). */
  learningRate?: LearningRateSchedule | number;
  adamBeta1?: number;
  adamBeta2?: number;
  /** Adam epsilon (default 1e-8). */
  adamEpsilon?: number;
  /** Clip the global gradient norm to this (default Infinity, no clipping, for trainNetwork; 10 for trainSequenceClassifier). */
  clipNorm?: number;
  /** L2 penalty coefficient on weight matrices (default 0). */
  l2?: number;
}

/** The checked Adam settings, penalty and schedule of either trainer (`defaultClip` when clipNorm is not given). */
function adamSettings(o: AdamTrainingOptions, defaultClip: number) {
  const beta1 = checkNumber('adamBeta1', o.adamBeta1 ?? 0.9, 0, 1);
  const beta2 = checkNumber('adamBeta2', o.adamBeta2 ?? 0.999, 0, 1);
  const epsilon = checkNumber('adamEpsilon', o.adamEpsilon ?? 1e-8, 0);
  const clipNorm = o.clipNorm ?? defaultClip;
  if (!(clipNorm > 0)) throw new ArgumentError('clipNorm', 'a number > 0', clipNorm);
  const l2 = checkNumber('l2', o.l2 ?? 0, 0);
  return { adam: { beta1, beta2, epsilon, clipNorm }, l2, schedule: makeSchedule(o.learningRate ?? 1e-3) };
}

export interface RecurrentTrainOptions extends AdamTrainingOptions {
  /** Task by name and its generator options (batch is set from batchSize). */
  task: TaskName;
  taskOptions?: Record<string, unknown>;
  /** Maximum number of updates. */
  steps: number;
  batchSize: number;
  /**
   * Train on a fixed set of this many trials (sampled batches from it each
   * step), as FixedPointFinder's flip-flop example (512); 0 (default) draws a
   * fresh batch every step.
   */
  trainingTrials?: number;
  /** Stop once the training loss is below this (default 0: never). */
  stopLoss?: number;
  /** Wall-time bound in seconds (default Infinity). */
  timeLimitSeconds?: number;
  seed: number;
  /**
   * 'fused' (default): the written-out BPTT of the built-in cells on Float32Arrays
   * with Adam in plain JS (no tfjs per-op overhead); 'autodiff': tfjs autodiff
   * through the unrolled network with Adam on tensors. Same loss, same gradient
   * up to float32 rounding (tested).
   */
  engine?: 'fused' | 'autodiff';
  /** Progress display (default true: notebook line / terminal bar / log). */
  progress?: boolean;
  /** Label of the progress display. */
  label?: string;
  /** Called every `reportEvery` steps (pool jobs forward this to the parent). */
  onProgress?: (info: { step: number; steps: number; loss: number; learningRate: number }) => void;
  reportEvery?: number;
}

export interface RecurrentTrainResult {
  losses: number[];
  steps: number;
  finalLoss: number;
  wallSeconds: number;
  /** 'interrupt' only on the partial result an interrupted run's InterruptedError carries. */
  stoppedBy: 'steps' | 'loss' | 'time' | 'interrupt';
  /** Where an interrupted run stopped: `step` updates done of `steps` asked for (only on that partial result). */
  interrupted?: { step: number; steps: number };
}

/**
 * Trains `net` in place.
 *
 * Interrupts (lib/core interrupt.ts): the loop is synchronous (its steps are
 * plain-JS BPTT or tfjs CPU ops; yielding would make it async, a change of
 * signature for every caller) and reads the interrupt flag before every step.
 * When it is set, training stops there, leaving the network at its last
 * finished step, and throws an InterruptedError whose `partial` is this
 * result so far with `stoppedBy: 'interrupt'` and `interrupted: { step,
 * steps }`. Being synchronous, it hears an interrupt requested before the
 * call or from its own callback (`onProgress`); a SIGINT (Jupyter's Kernel >
 * Interrupt) that arrives while it runs reaches it only through such a
 * callback, as for the other synchronous loops in that file's header.
 */
export function trainNetwork(net: RecurrentNetwork, o: RecurrentTrainOptions): RecurrentTrainResult {
  const steps = checkInteger('steps', o.steps, 0);
  const B = checkInteger('batchSize', o.batchSize, 1);
  const fixed = checkInteger('trainingTrials', o.trainingTrials ?? 0, 0);
  const { adam: adamOptions, l2, schedule } = adamSettings(o, Infinity);
  const { beta1: b1, beta2: b2, epsilon: eps, clipNorm: clip } = adamOptions;
  const stopLoss = checkNumber('stopLoss', o.stopLoss ?? 0, 0);
  checkInteger('seed', o.seed, 0, 0xffffffff);
  const budget = new Budget({ maxIterations: steps, timeLimitMs: o.timeLimitSeconds === undefined ? undefined : checkNumber('timeLimitSeconds', o.timeLimitSeconds, 0) * 1000 });
  const progress = o.progress ?? true ? new Progress({ total: steps, label: o.label ?? `train ${net.kind}` }) : null;
  const reportEvery = checkInteger('reportEvery', o.reportEvery ?? 50, 1);
  const engine = checkOneOf('engine', o.engine ?? 'fused', ['fused', 'autodiff'] as const);

  const taskOpts = { ...(o.taskOptions ?? {}) };
  const probe = generateTask(o.task, { ...taskOpts, batch: 1, seed: 0 });
  if (probe.inputSize !== net.inputSize) throw new ArgumentError('task', `a task with ${net.inputSize} inputs (the network's)`, `${o.task} with ${probe.inputSize}`);
  if (probe.outputSize !== net.outputSize) throw new ArgumentError('task', `a task with ${net.outputSize} outputs (the network's)`, `${o.task} with ${probe.outputSize}`);
  // A fixed training set (FixedPointFinder's flip-flop example: 512 trials) from which batches are sampled.
  const pool = fixed > 0 ? generateTask(o.task, { ...taskOpts, batch: fixed, seed: o.seed }) : null;
  const sampler = new Rng(o.seed).child(2);
  const nextBatch = (step: number): TaskBatch => {
    if (!pool) return generateTask(o.task, { ...taskOpts, batch: B, seed: (o.seed * 1000003 + step + 1) >>> 0 });
    const per = pool.steps * pool.inputSize;
    const perOut = pool.steps * pool.outputSize;
    const inputs = new Float32Array(B * per);
    const targets = new Float32Array(B * perOut);
    for (let b = 0; b < B; b++) {
      const r = sampler.int(fixed);
      inputs.set(pool.inputs.subarray(r * per, (r + 1) * per), b * per);
      targets.set(pool.targets.subarray(r * perOut, (r + 1) * perOut), b * perOut);
    }
    return { ...pool, batch: B, inputs, targets };
  };

  const vars = net.trainableVariables();
  const m = vars.map((v) => ownedVariable(tf.zerosLike(v), false));
  const s = vars.map((v) => ownedVariable(tf.zerosLike(v), false));
  // Adam on plain arrays for the fused engine.
  const adam = engine === 'fused' ? new ArrayAdam(vars, adamOptions) : null;
  const fusedStep = (step: number, lr: number): number => {
    const { loss, grads } = fusedLossAndGradients(net, nextBatch(step), l2);
    adam!.step(grads, lr);
    return loss;
  };
  const losses: number[] = [];
  const start = Date.now();
  let stoppedBy: RecurrentTrainResult['stoppedBy'] = 'steps';
  let lastLoss = NaN;
  let step = 0;
  try {
    for (; ; step++) {
      const why = budget.exhausted(step);
      if (why) {
        stoppedBy = why === 'time' ? 'time' : 'steps';
        break;
      }
      if (interruptRequested()) {
        stoppedBy = 'interrupt';
        const partial: RecurrentTrainResult = { losses: losses.slice(), steps: step, finalLoss: lastLoss, wallSeconds: (Date.now() - start) / 1000, stoppedBy, interrupted: { step, steps } };
        progress?.finish(`interrupted after ${step} steps`);
        throw new InterruptedError('trainNetwork', `before step ${step + 1} of ${steps} (${step} steps done; the network holds the weights after the last)`, partial);
      }
      const lr = schedule.rate(step, lastLoss);
      const loss = engine === 'fused' ? fusedStep(step, lr) : tf.tidy(() => {
        const batch = nextBatch(step);
        const inputs = timeMajorTensor(batch.inputs, B, batch.steps, batch.inputSize);
        const targets = timeMajorTensor(batch.targets, B, batch.steps, batch.outputSize);
        const { value, grads } = tf.variableGrads(() => networkLossTimeMajor(net, inputs, targets, l2, false), vars);
        const gs = vars.map((v) => grads[v.name]);
        const norm = Math.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))).dataSync()[0]);
        const scale = norm > clip ? clip / norm : 1;
        const t = step + 1;
        const c1 = 1 - Math.pow(b1, t);
        const c2 = 1 - Math.pow(b2, t);
        vars.forEach((v, i) => {
          const g = scale === 1 ? gs[i] : tf.mul(gs[i], scale);
          m[i].assign(tf.add(tf.mul(m[i], b1), tf.mul(g, 1 - b1)));
          s[i].assign(tf.add(tf.mul(s[i], b2), tf.mul(tf.square(g), 1 - b2)));
          const upd = tf.div(tf.mul(m[i], lr / c1), tf.add(tf.sqrt(tf.div(s[i], c2)), eps));
          v.assign(tf.sub(v, upd));
        });
        return value.dataSync()[0];
      });
      net.cell.invalidate();
      if (!Number.isFinite(loss)) throw new Error(`trainNetwork: loss became ${loss} at step ${step}; lower the learning rate or clip gradients (clipNorm)`);
      losses.push(loss);
      lastLoss = loss;
      if (progress) progress.update(step + 1, `loss ${loss.toExponential(3)} lr ${lr.toExponential(2)}`);
      if (o.onProgress && (step % reportEvery === 0 || step + 1 === steps)) o.onProgress({ step: step + 1, steps, loss, learningRate: lr });
      if (loss < stopLoss) {
        stoppedBy = 'loss';
        step++;
        break;
      }
    }
  } finally {
    m.forEach((v) => v.dispose());
    s.forEach((v) => v.dispose());
  }
  progress?.finish(`loss ${lastLoss.toExponential(3)} (${stoppedBy})`);
  return { losses, steps: step, finalLoss: lastLoss, wallSeconds: (Date.now() - start) / 1000, stoppedBy };
}

/**
 * Adam on plain Float32Array gradients (the fused engines): the global
 * gradient norm is clipped to `clipNorm`, then for each variable
 * m = b1 m + (1 - b1) g, s = b2 s + (1 - b2) g^2,
 * w -= lr / (1 - b1^t) m / (sqrt(s / (1 - b2^t)) + eps), written back to the variable.
 */
export class ArrayAdam {
  private readonly vars: tf.Variable[];
  private readonly m: Float32Array[];
  private readonly s: Float32Array[];
  private t = 0;
  constructor(vars: tf.Variable[], private readonly o: { beta1: number; beta2: number; epsilon: number; clipNorm: number }) {
    this.vars = vars;
    this.m = vars.map((v) => new Float32Array(v.size));
    this.s = vars.map((v) => new Float32Array(v.size));
  }

  /** One update with learning rate `lr`; returns the gradient norm before clipping. */
  step(grads: Map<tf.Variable, Float32Array>, lr: number): number {
    const { beta1: b1, beta2: b2, epsilon: eps, clipNorm: clip } = this.o;
    let g2 = 0;
    for (const g of grads.values()) for (let k = 0; k < g.length; k++) g2 += g[k] * g[k];
    const norm = Math.sqrt(g2);
    const scale = norm > clip ? clip / norm : 1;
    const t = ++this.t;
    const a = lr / (1 - Math.pow(b1, t));
    const c2 = 1 / (1 - Math.pow(b2, t));
    this.vars.forEach((v, i) => {
      const g = grads.get(v);
      if (!g) throw new Error(`ArrayAdam: no gradient for variable ${v.name}`);
      const w = Float32Array.from(v.dataSync());
      const mi = this.m[i];
      const si = this.s[i];
      for (let k = 0; k < w.length; k++) {
        const gk = g[k] * scale;
        mi[k] = b1 * mi[k] + (1 - b1) * gk;
        si[k] = b2 * si[k] + (1 - b2) * gk * gk;
        w[k] -= (a * mi[k]) / (Math.sqrt(si[k] * c2) + eps);
      }
      tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
    });
    return norm;
  }
}

/** Padded token sequences with labels: lib/data's ImdbDataset has this shape. */
export interface SequenceDataset {
  /** count x maxLength token ids, row-major; 0 is padding. */
  sequences: Int32Array;
  labels: ArrayLike<number>;
  count: number;
  maxLength: number;
}

export interface SequenceTrainOptions extends AdamTrainingOptions {
  /** Passes over the data set. */
  epochs: number;
  batchSize: number;
  /**
   * Batches of similar length (default true): the shuffled data set is cut into
   * windows of 50 batches, each window sorted by number of real tokens before it
   * is cut into batches, and the batches shuffled. With pre-padding a batch then
   * costs about its own length, not the longest review's.
   */
  bucketByLength?: boolean;
  /** Wall-time bound in seconds (default Infinity): training stops after the update that passes it. */
  timeLimitSeconds?: number;
  seed: number;
  progress?: boolean;
  label?: string;
  onProgress?: (info: { step: number; steps: number; loss: number; learningRate: number }) => void;
  reportEvery?: number;
}

export interface SequenceTrainResult {
  /** Loss of every update. */
  losses: number[];
  steps: number;
  /** Mean training loss and accuracy of each finished epoch (on the batches as they were trained). */
  epochLoss: number[];
  epochAccuracy: number[];
  wallSeconds: number;
  /** 'interrupt' only on the partial result an interrupted run's InterruptedError carries. */
  stoppedBy: 'epochs' | 'time' | 'interrupt';
  /** Where an interrupted run stopped: `step` updates done of `steps` planned (only on that partial result). */
  interrupted?: { step: number; steps: number };
}

/** Number of real (non-pad) tokens of each row of a data set. */
function realLengths(d: SequenceDataset): Int32Array {
  const out = new Int32Array(d.count);
  for (let i = 0; i < d.count; i++) {
    let c = 0;
    for (let t = 0; t < d.maxLength; t++) if (d.sequences[i * d.maxLength + t] !== 0) c++;
    out[i] = c;
  }
  return out;
}

/** Rows `idx` of a data set as a TokenBatch. */
function takeRows(d: SequenceDataset, idx: ArrayLike<number>): TokenBatch {
  const T = d.maxLength;
  const sequences = new Int32Array(idx.length * T);
  const labels = new Int32Array(idx.length);
  for (let b = 0; b < idx.length; b++) {
    sequences.set(d.sequences.subarray(idx[b] * T, (idx[b] + 1) * T), b * T);
    labels[b] = d.labels[idx[b]];
  }
  return { sequences, labels, size: idx.length, maxLength: T };
}

/** The batches of one epoch (see `bucketByLength`). */
function epochBatches(lengths: Int32Array, batchSize: number, rng: Rng, bucket: boolean): Int32Array[] {
  const order = rng.permutation(lengths.length);
  const window = bucket ? batchSize * 50 : batchSize;
  const batches: Int32Array[] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window);
    if (bucket) chunk.sort((a, b) => lengths[a] - lengths[b] || a - b);
    for (let k = 0; k < chunk.length; k += batchSize) batches.push(chunk.slice(k, k + batchSize));
  }
  const perm = rng.permutation(batches.length);
  return Array.from(perm, (k) => batches[k]);
}

function checkSequenceDataset(name: string, d: SequenceDataset, vocabSize: number): void {
  if (d === null || typeof d !== 'object') throw new ArgumentError(name, 'a data set { sequences, labels, count, maxLength }', d);
  const count = checkInteger(`${name}.count`, d.count, 1);
  checkTokenBatch(name, { sequences: d.sequences, labels: d.labels, size: count, maxLength: d.maxLength }, vocabSize, true);
}

/**
 * Trains a sequence classifier in place by masked BPTT (bptt.ts) and Adam,
 * `epochs` passes over `data`. Synchronous; reads the interrupt flag before
 * every update and stops as `trainNetwork` does (InterruptedError with the
 * partial result).
 */
export function trainSequenceClassifier(model: SequenceClassifier, data: SequenceDataset, o: SequenceTrainOptions): SequenceTrainResult {
  checkSequenceDataset('data', data, model.vocabSize);
  const epochs = checkInteger('epochs', o.epochs, 0);
  const B = checkInteger('batchSize', o.batchSize, 1);
  const { adam: adamOptions, l2, schedule } = adamSettings(o, 10);
  checkInteger('seed', o.seed, 0, 0xffffffff);
  const timeLimitMs = o.timeLimitSeconds === undefined ? Infinity : checkNumber('timeLimitSeconds', o.timeLimitSeconds, 0) * 1000;
  const reportEvery = checkInteger('reportEvery', o.reportEvery ?? 50, 1);
  const bucket = o.bucketByLength ?? true;
  const lengths = realLengths(data);
  const rng = new Rng(o.seed);
  const perEpoch = Math.ceil(data.count / B);
  const total = epochs * perEpoch;
  const progress = o.progress ?? true ? new Progress({ total, label: o.label ?? `train ${model.kind}` }) : null;
  const adam = new ArrayAdam(model.trainableVariables(), adamOptions);
  const losses: number[] = [];
  const epochLoss: number[] = [];
  const epochAccuracy: number[] = [];
  const start = Date.now();
  let step = 0;
  let stoppedBy: SequenceTrainResult['stoppedBy'] = 'epochs';
  let lastLoss = NaN;
  outer: for (let e = 0; e < epochs; e++) {
    let sum = 0;
    let correct = 0;
    let seen = 0;
    for (const idx of epochBatches(lengths, B, rng.child(e), bucket)) {
      if (Date.now() - start >= timeLimitMs) {
        stoppedBy = 'time';
        break outer;
      }
      if (interruptRequested()) {
        const partial: SequenceTrainResult = { losses: losses.slice(), steps: step, epochLoss: epochLoss.slice(), epochAccuracy: epochAccuracy.slice(), wallSeconds: (Date.now() - start) / 1000, stoppedBy: 'interrupt', interrupted: { step, steps: total } };
        progress?.finish(`interrupted after ${step} steps`);
        throw new InterruptedError('trainSequenceClassifier', `before update ${step + 1} of ${total} (the model holds the weights after the last)`, partial);
      }
      const batch = takeRows(data, idx);
      const lr = schedule.rate(step, lastLoss);
      const { loss, grads, logits } = sequenceLossAndGradients(model, batch, l2);
      if (!Number.isFinite(loss)) throw new Error(`trainSequenceClassifier: loss became ${loss} at update ${step}; lower the learning rate or clipNorm`);
      adam.step(grads, lr);
      model.cell.invalidate();
      for (let b = 0; b < batch.size; b++) if ((logits[b] > 0 ? 1 : 0) === batch.labels[b]) correct++;
      sum += loss * batch.size;
      seen += batch.size;
      losses.push(loss);
      lastLoss = loss;
      step++;
      progress?.update(step, `epoch ${e + 1} loss ${(sum / seen).toFixed(4)} acc ${(correct / seen).toFixed(3)}`);
      if (o.onProgress && (step % reportEvery === 0 || step === total)) o.onProgress({ step, steps: total, loss, learningRate: lr });
    }
    epochLoss.push(sum / seen);
    epochAccuracy.push(correct / seen);
  }
  progress?.finish(`loss ${lastLoss.toFixed(4)} (${stoppedBy})`);
  return { losses, steps: step, epochLoss, epochAccuracy, wallSeconds: (Date.now() - start) / 1000, stoppedBy };
}

/** Accuracy and mean cross-entropy of a classifier on a data set (batches of `batchSize`, similar lengths together). */
export function evaluateSequenceClassifier(model: SequenceClassifier, data: SequenceDataset, o: { batchSize?: number } = {}): { accuracy: number; loss: number; logits: Float32Array } {
  checkSequenceDataset('data', data, model.vocabSize);
  const B = checkInteger('batchSize', o.batchSize ?? 256, 1);
  const lengths = realLengths(data);
  const order = Int32Array.from({ length: data.count }, (_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const logits = new Float32Array(data.count);
  for (let k = 0; k < data.count; k += B) {
    const idx = order.subarray(k, k + B);
    const y = sequenceLogits(model, takeRows(data, idx));
    idx.forEach((i, b) => { logits[i] = y[b]; });
  }
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < data.count; i++) {
    const y = logits[i];
    if ((y > 0 ? 1 : 0) === data.labels[i]) correct++;
    loss += Math.max(y, 0) + Math.log1p(Math.exp(-Math.abs(y))) - data.labels[i] * y;
  }
  return { accuracy: correct / data.count, loss: loss / data.count, logits };
}
