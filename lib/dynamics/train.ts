/**
 * Training by backpropagation through time: the network is unrolled over the
 * trial on tfjs tensors and tfjs autodiff gives the gradient of the mean
 * squared error (+ L2); updates are Adam with a learning-rate schedule and
 * gradient-norm clipping.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Budget, InterruptedError, Progress, Rng, checkFinite, checkInteger, checkNumber, checkOneOf, checkShape, interruptRequested } from '../core';
import { RecurrentNetwork } from './network';
import { LearningRateSchedule, makeSchedule } from './schedules';
import { ownedVariable } from './variables';
import { TaskBatch, TaskName, checkL2, checkTaskBatch, generateTask } from './tasks';
import { fusedLossAndGradients } from './bptt';

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

export interface RecurrentTrainOptions {
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
  /** Learning rate or schedule (default constant 1e-3). */
  learningRate?: LearningRateSchedule | number;
  adamBeta1?: number;
  adamBeta2?: number;
  /** Adam epsilon (default 1e-8). */
  adamEpsilon?: number;
  /** Clip the global gradient norm to this (default Infinity: no clipping). */
  clipNorm?: number;
  /** L2 penalty coefficient on weight matrices (default 0). */
  l2?: number;
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
  const b1 = checkNumber('adamBeta1', o.adamBeta1 ?? 0.9, 0, 1);
  const b2 = checkNumber('adamBeta2', o.adamBeta2 ?? 0.999, 0, 1);
  const eps = checkNumber('adamEpsilon', o.adamEpsilon ?? 1e-8, 0);
  const clip = o.clipNorm ?? Infinity;
  if (!(clip > 0)) throw new ArgumentError('clipNorm', 'a number > 0', clip);
  const l2 = checkNumber('l2', o.l2 ?? 0, 0);
  const stopLoss = checkNumber('stopLoss', o.stopLoss ?? 0, 0);
  checkInteger('seed', o.seed, 0, 0xffffffff);
  const schedule = makeSchedule(o.learningRate ?? 1e-3);
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
  // Adam moments of the fused engine, as plain arrays.
  const mJ = engine === 'fused' ? vars.map((v) => new Float32Array(v.size)) : [];
  const sJ = engine === 'fused' ? vars.map((v) => new Float32Array(v.size)) : [];
  const fusedStep = (step: number, lr: number): number => {
    const { loss, grads } = fusedLossAndGradients(net, nextBatch(step), l2);
    let g2 = 0;
    for (const g of grads.values()) for (let k = 0; k < g.length; k++) g2 += g[k] * g[k];
    const norm = Math.sqrt(g2);
    const scale = norm > clip ? clip / norm : 1;
    const t = step + 1;
    const a = lr / (1 - Math.pow(b1, t));
    const c2 = 1 / (1 - Math.pow(b2, t));
    vars.forEach((v, i) => {
      const g = grads.get(v)!;
      const w = Float32Array.from(v.dataSync());
      const mi = mJ[i];
      const si = sJ[i];
      for (let k = 0; k < w.length; k++) {
        const gk = g[k] * scale;
        mi[k] = b1 * mi[k] + (1 - b1) * gk;
        si[k] = b2 * si[k] + (1 - b2) * gk * gk;
        w[k] -= (a * mi[k]) / (Math.sqrt(si[k] * c2) + eps);
      }
      tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
    });
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
