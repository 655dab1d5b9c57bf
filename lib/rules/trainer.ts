/**
 * Trainer, evaluation, history and pool jobs. Private to lib/rules; see index.ts.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  backendReport,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkPositive,
  EventLoopYield,
  initBackend,
  interruptRequested,
  InterruptedError,
  jobValues,
  listening,
  Progress,
  Rng,
  runJobs,
  WorkerPool,
} from '../core';
import { FusedTrainer, fusedDisabledByEnv, fusedTrainer } from './fused';
import { LayerAlignment, Network, NetworkOptions } from './network';
import { Optimizer, OptimizerOptions } from './optim';
import { batchIndices, toArrayDataset, type ArrayDataset, type DataInput, type ImageDataset } from '../data';

export interface TrainOptions {
  /** Epochs (default 1). */
  epochs?: number;
  /** Batch size (default 64, BioTorch). */
  batchSize?: number;
  /**
   * Forward-weight optimiser: options (a fresh optimiser, disposed at the
   * end; default SGD lr 0.01) or an Optimizer instance, kept with its
   * momentum/Adam state so a later call continues the same run.
   */
  optimizer?: OptimizerOptions | Optimizer;
  /** Epochs already done (default 0): the schedule and the records continue from here. */
  startEpoch?: number;
  /** Seed of the shuffling and of the alignment probe batch (default 0). */
  seed?: number;
  /** Held-out data evaluated after each epoch. */
  test?: DataInput;
  /** Stop once the held-out (else training) accuracy reaches this fraction. */
  targetAccuracy?: number;
  /** Stop once the held-out (else training) loss falls to this value. */
  targetLoss?: number;
  /** Stop after the epoch during which this many seconds have passed. */
  maxSeconds?: number;
  /** Record per-layer alignment with BP each epoch on a fixed probe batch (default true). */
  alignment?: boolean;
  /** Size of the alignment probe batch (default 256, capped by the data). */
  probeSize?: number;
  /** Weight-norm constraint of Moskovitz et al. 2018 after each step (default false). */
  weightNormConstraint?: boolean;
  /** Only this many batches per epoch (default all). */
  batchesPerEpoch?: number;
  /** Evaluation batch size (default 1000). */
  evalBatchSize?: number;
  /** A batch loss above this (or non-finite) stops training with an error naming the epoch (default 1e4). */
  divergenceLoss?: number;
  /** Progress display: true (default; lib/core Progress), false, or a callback per batch. */
  progress?: boolean | ((info: { epoch: number; batch: number; batches: number; loss: number }) => void);
  /** Label of the progress display (default the rule). */
  label?: string;
  /**
   * Train with the fused native step (lib/rules/fused.ts) where it applies:
   * dense networks, built-in rules, the add-on loaded (default true; LDL_FUSED=0
   * in the environment also turns it off). false: the reference tfjs path.
   * Both give the same numbers to float32 rounding.
   */
  fused?: boolean;
}

export interface EpochRecord {
  /** startEpoch (0) = before training, then startEpoch + 1, ... */
  epoch: number;
  /** Mean batch loss and accuracy over the epoch (NaN at epoch 0). */
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  /** Learning rate used during the epoch. */
  lr: number;
  /** Wall time since training started. */
  seconds: number;
  alignment: LayerAlignment[];
}

export interface History {
  rule: string;
  records: EpochRecord[];
  /** 'interrupt' only on the partial history an interrupted run's InterruptedError carries. */
  stoppedBy: 'epochs' | 'target' | 'time' | 'interrupt';
  seconds: number;
  backend: string;
  /**
   * Set on an interrupted run's partial history: the epoch in progress, the
   * batches of it that finished (the network holds the weights after the
   * last one), and the steps this call finished in all.
   */
  interrupted?: { epoch: number; batch: number; batches: number; steps: number };
}

/**
 * Thrown when a batch loss is non-finite or above `divergenceLoss`; carries
 * the history so far, the learning rate, and `site`: the first parametric
 * layer whose weights (after the step) or gradient (at those weights, on the
 * same batch) are non-finite, or null when all are finite (a large finite loss).
 */
export class DivergenceError extends Error {
  constructor(
    readonly rule: string,
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    readonly history: History,
    readonly learningRate: number = NaN,
    readonly site: { layer: number; kind: string; what: 'weights' | 'gradient' } | null = null,
  ) {
    const where = site
      ? `the ${site.what} of parametric layer ${site.layer} (${site.kind}) went non-finite first`
      : Number.isFinite(loss)
        ? 'a large finite loss: every layer\'s weights and gradient are finite'
        : 'every layer\'s weights and gradient are finite';
    super(`train: rule ${rule} diverged in epoch ${epoch} (batch ${batch}): loss ${loss} at learning rate ${learningRate}; ${where}`);
    this.name = 'DivergenceError';
  }
}

function allFinite(t: tf.Tensor | null): boolean {
  if (!t) return true;
  const d = t.dataSync();
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}

/**
 * Where a diverged step went wrong: the first parametric layer whose weights
 * are non-finite after the step, else the first whose gradient by the rule
 * is non-finite at those weights on the same batch (pathways are not
 * stepped), else null. Runs only once, after a divergence.
 */
function divergenceSite(net: Network, x: tf.Tensor, t: tf.Tensor): DivergenceError['site'] {
  for (let k = 0; k < net.paramLayers.length; k++) {
    const l = net.paramLayers[k];
    if (!allFinite(l.weight) || !allFinite(l.bias ?? null)) return { layer: k, kind: l.kind, what: 'weights' };
  }
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'rule');
  try {
    for (let k = 0; k < net.paramLayers.length; k++) {
      if (!allFinite(g.weights[k]) || !allFinite(g.biases[k])) return { layer: k, kind: net.paramLayers[k].kind, what: 'gradient' };
    }
    return null;
  } finally {
    tf.dispose([loss, error]);
    net.disposeGradients(g);
    net.disposeTrace(trace);
  }
}

type BatchTensors = { x: tf.Tensor; t: tf.Tensor; labels: Int32Array };

function batchTensors(data: Required<ArrayDataset>, net: Network, indices: ArrayLike<number>, start: number, end: number): BatchTensors {
  const size = net.inputShape.reduce((a, b) => a * b, 1);
  const n = end - start;
  const buf = new Float32Array(n * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[start + i];
    buf.set(data.x.subarray(k * size, (k + 1) * size), i * size);
    labels[i] = data.y[k];
  }
  const x = tf.tensor(buf, [n, ...net.inputShape], 'float32');
  return { x, t: net.oneHot(labels), labels };
}

/** Mean loss and accuracy of `net` on `data` (batched forward passes, no updates). */
export function evaluate(net: Network, data: DataInput, batchSize = 1000): { loss: number; accuracy: number } {
  if (net instanceof Network && net.loss === 'poisson') throw new ArgumentError('net', 'a classifier (loss cross-entropy or mse): evaluate a Poisson network with Network.lossAndError', 'loss poisson');
  const d = toArrayDataset(data, net);
  checkInteger('batchSize', batchSize, 1);
  const all = Int32Array.from({ length: d.count }, (_, i) => i);
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < d.count; s += batchSize) {
    const e = Math.min(d.count, s + batchSize);
    const { x, t } = batchTensors(d, net, all, s, e);
    const [l, c] = tf.tidy(() => {
      const z = net.predict(x);
      const { loss } = net.lossAndError(z, t);
      return [loss.mul(e - s), tf.equal(z.argMax(1), t.argMax(1)).sum()];
    });
    lossSum += l.dataSync()[0];
    correct += c.dataSync()[0];
    tf.dispose([x, t, l, c]);
  }
  return { loss: lossSum / d.count, accuracy: correct / d.count };
}

/**
 * Trains `net` with its rule. Shuffling is seeded; data and options are
 * checked before the first step; a diverging run throws a DivergenceError
 * naming the epoch, batch, loss, learning rate and layer; a batch loss over
 * ten times the first one warns once. Returns the history (one record per
 * epoch plus the state before training).
 *
 * Interrupts (lib/core interrupt.ts): the loop yields to the event loop
 * about every 100 ms and checks the interrupt flag before every step; when
 * it is set, training stops there, leaving the network at its last finished
 * step, and throws an InterruptedError whose `partial` is the history so far
 * with `stoppedBy: 'interrupt'` and `interrupted: { epoch, batch, batches,
 * steps }` (also `lastInterruption().partial` in a later notebook cell).
 */
export async function train(net: Network, data: DataInput, options: TrainOptions = {}): Promise<History> {
  if (!(net instanceof Network)) throw new ArgumentError('net', 'a Network', net);
  // Labels and accuracy are a classifier's: a Poisson network (count targets) trains by Network.trainStep.
  if (net.loss === 'poisson') throw new ArgumentError('net', 'a classifier (loss cross-entropy or mse); train a Poisson network with Network.trainStep on count targets', 'loss poisson');
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const epochs = checkInteger('epochs', options.epochs ?? 1, 0);
  const batchSize = checkInteger('batchSize', options.batchSize ?? 64, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
  const probeSize = checkInteger('probeSize', options.probeSize ?? 256, 1);
  const evalBatch = checkInteger('evalBatchSize', options.evalBatchSize ?? 1000, 1);
  const divergence = checkPositive('divergenceLoss', options.divergenceLoss ?? 1e4);
  if (options.targetAccuracy !== undefined) checkNumber('targetAccuracy', options.targetAccuracy, 0, 1);
  if (options.targetLoss !== undefined) checkNumber('targetLoss', options.targetLoss, 0);
  if (options.maxSeconds !== undefined) checkPositive('maxSeconds', options.maxSeconds);
  if (options.batchesPerEpoch !== undefined) checkInteger('batchesPerEpoch', options.batchesPerEpoch, 1);
  const train = toArrayDataset(data, net, 'data');
  const test = options.test ? toArrayDataset(options.test, net, 'test') : null;
  const ownOptimizer = !(options.optimizer instanceof Optimizer);
  const optimizer = options.optimizer instanceof Optimizer ? options.optimizer : new Optimizer(options.optimizer ?? {}, 'optimizer');
  // The fused native step (fused.ts) where it applies, else null: the reference path.
  const fusedOrWhy = options.fused !== false && !fusedDisabledByEnv() ? fusedTrainer(net, optimizer) : null;
  const fused = fusedOrWhy instanceof FusedTrainer ? fusedOrWhy : null;
  const startEpoch = checkInteger('startEpoch', options.startEpoch ?? 0, 0);
  const rng = new Rng(seed);
  const wantAlignment = options.alignment ?? true;
  const probe = wantAlignment ? batchTensors(train, net, rng.child(1).sample(train.count, Math.min(probeSize, train.count)), 0, Math.min(probeSize, train.count)) : null;
  const shuffler = rng.child(0);
  const batchesFull = Math.ceil(train.count / batchSize);
  const batches = Math.min(batchesFull, options.batchesPerEpoch ?? batchesFull);
  const callback = typeof options.progress === 'function' ? options.progress : null;
  const bar = options.progress === false || callback ? null : new Progress({ total: epochs * batches, label: options.label ?? `train ${net.rule}` });

  const t0 = Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  const records: EpochRecord[] = [];
  const snapshot = (epoch: number, trainLoss: number, trainAccuracy: number, lr: number): EpochRecord => {
    const ev = test ? evaluate(net, test, evalBatch) : null;
    return {
      epoch,
      trainLoss,
      trainAccuracy,
      testLoss: ev ? ev.loss : null,
      testAccuracy: ev ? ev.accuracy : null,
      lr,
      seconds: seconds(),
      alignment: probe ? net.alignment(probe.x, probe.t) : [],
    };
  };
  let stoppedBy: History['stoppedBy'] = 'epochs';
  let steps = 0;
  let firstLoss = NaN;
  let warned = false;
  // Leave the caller's synchronous turn before the first step (in tslab, the cell's vm breakOnSigint part), then
  // yield every ~100 ms so that a SIGINT handler can run and set the flag read before each step.
  const pace = new EventLoopYield(100);
  let stopListening = (): void => {};
  try {
    await new Promise((r) => setImmediate(r));
    stopListening = listening();
    optimizer.epoch = startEpoch;
    records.push(snapshot(startEpoch, NaN, NaN, optimizer.learningRate));
    for (let epoch = startEpoch + 1; epoch <= startEpoch + epochs; epoch++) {
      optimizer.epoch = epoch - 1;
      const lr = optimizer.learningRate;
      // lib/data batching draws one permutation per (seed, epoch), so a run continued with startEpoch sees the same orders as an uninterrupted one.
      const order = batchIndices(train.count, { batchSize, seed: shuffler.seed, epoch });
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const wait = pace.due();
        if (wait) await wait;
        if (interruptRequested()) {
          stoppedBy = 'interrupt';
          const interrupted = { epoch, batch: b, batches, steps };
          const partial: History = { rule: net.rule, records: records.slice(), stoppedBy, seconds: seconds(), backend: backendReport()?.backend ?? tf.getBackend(), interrupted };
          throw new InterruptedError('train', `in epoch ${epoch} after batch ${b} of ${batches} (${steps} steps done; the network holds the weights after the last)`, partial);
        }
        const rows = order[b].length;
        // The fused step reads the rows itself; tensors are made for the reference step or a divergence report.
        let batch = fused ? null : batchTensors(train, net, order[b], 0, rows);
        let step: { loss: number; correct: number };
        try {
          const stepOptions = { epoch: epoch - 1, weightNormConstraint: options.weightNormConstraint };
          step = fused ? fused.stepIndices(train, order[b], stepOptions) : net.trainStep((batch as BatchTensors).x, (batch as BatchTensors).t, optimizer, stepOptions);
          if (!Number.isFinite(step.loss) || step.loss > divergence) {
            if (!batch) batch = batchTensors(train, net, order[b], 0, rows);
            const partial: History = { rule: net.rule, records: records.slice(), stoppedBy: 'epochs', seconds: seconds(), backend: backendReport()?.backend ?? tf.getBackend() };
            throw new DivergenceError(net.rule, epoch, b + 1, step.loss, partial, lr, divergenceSite(net, batch.x, batch.t));
          }
        } finally {
          if (batch) tf.dispose([batch.x, batch.t]);
        }
        steps++;
        if (steps === 1) firstLoss = step.loss;
        else if (!warned && step.loss > 10 * firstLoss) {
          warned = true;
          console.warn(`train: rule ${net.rule}: batch loss ${step.loss.toPrecision(4)} in epoch ${epoch} (batch ${b + 1}) is over ten times the first batch's ${firstLoss.toPrecision(4)} at learning rate ${lr}; the run may be diverging`);
        }
        lossSum += step.loss * rows;
        correct += step.correct;
        seen += rows;
        if (callback) callback({ epoch, batch: b + 1, batches, loss: step.loss });
        bar?.update((epoch - startEpoch - 1) * batches + b + 1, `epoch ${epoch} loss ${step.loss.toFixed(4)}`);
      }
      const rec = snapshot(epoch, lossSum / seen, correct / seen, lr);
      records.push(rec);
      const acc = rec.testAccuracy ?? rec.trainAccuracy;
      const loss = rec.testLoss ?? rec.trainLoss;
      if ((options.targetAccuracy !== undefined && acc >= options.targetAccuracy) || (options.targetLoss !== undefined && loss <= options.targetLoss)) {
        stoppedBy = 'target';
        break;
      }
      if (options.maxSeconds !== undefined && seconds() >= options.maxSeconds && epoch < startEpoch + epochs) {
        stoppedBy = 'time';
        break;
      }
    }
  } finally {
    stopListening();
    if (probe) tf.dispose([probe.x, probe.t]);
    if (ownOptimizer) optimizer.dispose();
    const last = records[records.length - 1];
    bar?.finish(stoppedBy === 'interrupt' ? `interrupted after ${steps} steps` : last ? `stopped by ${stoppedBy}; test acc ${last.testAccuracy === null ? 'n/a' : last.testAccuracy.toFixed(4)}` : undefined);
  }
  return { rule: net.rule, records, stoppedBy, seconds: seconds(), backend: backendReport()?.backend ?? tf.getBackend() };
}

/**
 * History as a danfojs DataFrame: one row per epoch with losses, accuracies,
 * learning rate, time, and per layer `updateAngle<k>`, `deltaAngle<k>`,
 * `feedbackAngle<k>` (k = parametric layer index).
 */
export function historyToDataFrame(history: History): unknown {
  const rows = history.records.map((r) => {
    const row: Record<string, number | string | null> = {
      rule: history.rule,
      epoch: r.epoch,
      trainLoss: r.trainLoss,
      trainAccuracy: r.trainAccuracy,
      testLoss: r.testLoss,
      testAccuracy: r.testAccuracy,
      lr: r.lr,
      seconds: r.seconds,
    };
    for (const a of r.alignment) {
      row[`updateAngle${a.layer}`] = a.updateAngle;
      row[`deltaAngle${a.layer}`] = a.deltaAngle;
      row[`feedbackAngle${a.layer}`] = a.feedbackAngle;
    }
    return row;
  });
  // Loaded lazily: danfojs takes a second to import and most users of the trainer do not need it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dfd = require('danfojs-node');
  return new dfd.DataFrame(rows);
}

// ------------------------------------------------------------------ pool jobs

/** A data set named for a job (loaded inside the worker from lib/data). */
export interface JobData {
  dataset: 'mnist' | 'fashion-mnist';
  /** Training examples (default all 60,000) and test examples (default all 10,000). */
  trainLimit?: number;
  testLimit?: number;
  /** Seed of the random subsets (default: the first examples of the files). */
  subsetSeed?: number;
  /** Pixel normalisation (default 'standard', BioTorch's mean/std). */
  normalize?: 'unit' | 'standard' | 'none';
  /** Zero padding per side (2 for LeNet's 32x32). */
  pad?: number;
  /**
   * Hold out this many examples of the training subset (its last ones) as
   * the evaluation set instead of the test split (for tuning without
   * touching the test set).
   */
  holdout?: number;
}

/** One configuration: a network, a rule, data and training options (all structured-cloneable). */
export interface TrainingJob {
  /** Free-form tag returned with the result. */
  label?: string;
  network: NetworkOptions;
  data: JobData | { train: ArrayDataset; test?: ArrayDataset };
  train?: Omit<TrainOptions, 'test' | 'progress' | 'optimizer'> & { optimizer?: OptimizerOptions };
}

export interface TrainingJobResult {
  label: string | null;
  rule: string;
  /** The network seed. */
  seed: number;
  /** The full history, or the history up to the divergence. */
  history: History;
  finalTestAccuracy: number | null;
  /** Set when the run diverged: where, and the message. */
  diverged: { epoch: number; batch: number; loss: number; message: string } | null;
}

function loadJobData(data: JobData): { train: ArrayDataset; test: ArrayDataset } {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const lib = require('../data') as {
    loadMnist(o: object): ImageDataset;
    loadFashionMnist(o: object): ImageDataset;
  };
  checkOneOf('data.dataset', data.dataset, ['mnist', 'fashion-mnist']);
  const load = data.dataset === 'mnist' ? lib.loadMnist : lib.loadFashionMnist;
  const common = { normalize: data.normalize ?? 'standard', pad: data.pad ?? 0 };
  const tr = load({ ...common, split: 'train', limit: data.trainLimit, seed: data.subsetSeed });
  if (data.holdout !== undefined) {
    const h = checkInteger('data.holdout', data.holdout, 1, tr.count - 1);
    const size = tr.height * tr.width;
    const n = tr.count - h;
    return {
      train: { x: tr.images.subarray(0, n * size), y: tr.labels.subarray(0, n), count: n },
      test: { x: tr.images.subarray(n * size), y: tr.labels.subarray(n), count: h },
    };
  }
  const te = load({ ...common, split: 'test', limit: data.testLimit, seed: data.subsetSeed });
  const wrap = (d: ImageDataset): ArrayDataset => ({ x: d.images, y: d.labels, count: d.count });
  return { train: wrap(tr), test: wrap(te) };
}

/** Runs one configuration (the pool's job function; also callable in-process). */
export async function runTrainingJob(job: TrainingJob, ctx?: { progress(fraction: number, message?: string): void }): Promise<TrainingJobResult> {
  await initBackend({ print: false });
  if (!job || typeof job !== 'object' || !job.network || !job.data) throw new ArgumentError('job', 'an object { network, data, train? }', job);
  const data = 'dataset' in job.data ? loadJobData(job.data) : job.data;
  const net = new Network(job.network);
  try {
    const opts = job.train ?? {};
    const epochs = opts.epochs ?? 1;
    let history: History;
    let diverged: TrainingJobResult['diverged'] = null;
    try {
      history = await train(net, data.train, {
        ...opts,
        test: data.test,
        progress: ctx ? (i) => ctx.progress(((i.epoch - (opts.startEpoch ?? 0) - 1) * i.batches + i.batch) / (epochs * i.batches), `epoch ${i.epoch} loss ${i.loss.toFixed(3)}`) : false,
      });
    } catch (e) {
      // A diverging rule is a result (reported with where it diverged), not a crash of the sweep.
      if (!(e instanceof DivergenceError)) throw e;
      history = e.history;
      diverged = { epoch: e.epoch, batch: e.batch, loss: e.loss, message: e.message };
    }
    const last = history.records[history.records.length - 1];
    return { label: job.label ?? null, rule: net.rule, seed: net.seed, history, finalTestAccuracy: diverged ? null : last?.testAccuracy ?? null, diverged };
  } finally {
    net.dispose();
  }
}

/**
 * Runs several configurations (rules, seeds, sweep points) as independent
 * jobs on the worker pool of lib/core; results come back in input order.
 * `pool` reuses an existing pool (left open); otherwise one is created and
 * closed. `inProcess` runs them one after another here instead (debugging).
 */
export async function runConfigurations(
  jobs: TrainingJob[],
  options: { pool?: WorkerPool; size?: number; inProcess?: boolean; progress?: boolean | string } = {},
): Promise<TrainingJobResult[]> {
  if (!Array.isArray(jobs) || jobs.length === 0) throw new ArgumentError('jobs', 'a non-empty array of TrainingJob', jobs);
  // Check every configuration here so a bad one fails before any worker starts.
  jobs.forEach((j, i) => {
    if (!j || typeof j !== 'object' || !j.network || !j.data) throw new ArgumentError(`jobs[${i}]`, 'an object { network, data, train? }', j);
    const probe = new Network(j.network);
    probe.dispose();
  });
  if (options.inProcess) {
    const out: TrainingJobResult[] = [];
    for (const j of jobs) out.push(await runTrainingJob(j));
    return out;
  }
  const list = jobs.map((args) => ({ module: 'lib/rules/trainer', export: 'runTrainingJob', args }));
  const runOptions = { progress: options.progress ?? 'configurations' };
  // Without an explicit pool or size, the shared pool of lib/core: its warm
  // workers are reused across calls instead of starting new ones each time.
  if (!options.pool && !options.size) return jobValues(await runJobs<TrainingJobResult>(list, runOptions));
  const pool = options.pool ?? new WorkerPool({ size: options.size });
  try {
    return jobValues(await pool.run<TrainingJobResult>(list, runOptions));
  } finally {
    if (!options.pool) await pool.close();
  }
}
