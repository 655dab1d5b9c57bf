/**
 * Seeded task generators. Each returns plain Float32Arrays laid out
 * [batch, steps, size] (row-major), so batches cross worker boundaries as-is;
 * `taskTensors` turns one into tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, FLOAT32_MAX, Rng, checkFinite, checkInteger, checkNumber, checkOneOf } from '../core';

/** Largest input scale: inputs and targets are float32 (largest 3.4e38), and running sums of scaled normal draws stay far below it. */
const MAX_SCALE = 1e30;

export interface TaskBatch {
  inputs: Float32Array;
  targets: Float32Array;
  batch: number;
  steps: number;
  inputSize: number;
  outputSize: number;
  /** Per-trial labels some analyses need (e.g. the cued context). */
  labels?: Record<string, Float32Array>;
}

/**
 * Checks a task batch given to a public function: counts, array lengths
 * batch x steps x size, finite values, and with `net` its input and output
 * sizes. O(size), once per call (the BPTT step it guards is O(size x units^2)).
 */
export function checkTaskBatch(name: string, b: TaskBatch, net?: { inputSize: number; outputSize: number }): void {
  if (b === null || typeof b !== 'object') throw new ArgumentError(name, 'a TaskBatch { inputs, targets, batch, steps, inputSize, outputSize }', b);
  const B = checkInteger(`${name}.batch`, b.batch, 1);
  const T = checkInteger(`${name}.steps`, b.steps, 1);
  const m = checkInteger(`${name}.inputSize`, b.inputSize, 1);
  const o = checkInteger(`${name}.outputSize`, b.outputSize, 1);
  if (net && m !== net.inputSize) throw new ArgumentError(`${name}.inputSize`, `${net.inputSize} (the network's input size)`, m);
  if (net && o !== net.outputSize) throw new ArgumentError(`${name}.outputSize`, `${net.outputSize} (the network's output size)`, o);
  if (b.inputs?.length !== B * T * m) throw new ArgumentError(`${name}.inputs`, `${B * T * m} values (batch x steps x inputSize)`, b.inputs);
  if (b.targets?.length !== B * T * o) throw new ArgumentError(`${name}.targets`, `${B * T * o} values (batch x steps x outputSize)`, b.targets);
  checkFinite(`${name}.inputs`, b.inputs, 'float32');
  checkFinite(`${name}.targets`, b.targets, 'float32');
}

/** An L2 weight penalty: >= 0 and within float32 range (the loss it scales is float32). */
export function checkL2(l2: number): number {
  return checkNumber('l2', l2, 0, FLOAT32_MAX);
}

export function taskTensors(b: TaskBatch): { inputs: tf.Tensor3D; targets: tf.Tensor3D } {
  checkTaskBatch('b', b);
  return {
    inputs: tf.tensor3d(b.inputs, [b.batch, b.steps, b.inputSize]),
    targets: tf.tensor3d(b.targets, [b.batch, b.steps, b.outputSize]),
  };
}

export interface FlipFlopOptions {
  batch: number;
  /** Steps per trial (default 64). */
  steps?: number;
  /** Number of bits (default 3). */
  bits?: number;
  /** Probability of a pulse on each input at each step (default 0.5, as in FixedPointFinder's example). */
  pulseProbability?: number;
  seed: number;
}

// Each task generator below checks its own options and fills its own input and target
// arrays: parallel by design, one self-contained generator per task.

/**
 * N-bit flip-flop: at each step each input carries a +-1 pulse with
 * probability p (a pulse is forced at t = 0); each output holds the sign of its
 * input's last pulse.
 */
export function flipFlop(o: FlipFlopOptions): TaskBatch {
  const B = checkInteger('batch', o.batch, 1);
  const T = checkInteger('steps', o.steps ?? 64, 1);
  const K = checkInteger('bits', o.bits ?? 3, 1);
  const p = checkNumber('pulseProbability', o.pulseProbability ?? 0.5, 0, 1);
  const rng = new Rng(checkInteger('seed', o.seed, 0, 0xffffffff));
  const inputs = new Float32Array(B * T * K);
  const targets = new Float32Array(B * T * K);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      let held = 0;
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * K + k;
        if (t === 0 || rng.uniform() < p) {
          const s = rng.uniform() < 0.5 ? -1 : 1;
          inputs[i] = s;
          held = s;
        }
        targets[i] = held;
      }
    }
  }
  return { inputs, targets, batch: B, steps: T, inputSize: K, outputSize: K };
}

export interface SineWaveOptions {
  batch: number;
  /** Steps per trial (default 100). */
  steps?: number;
  /** Number of frequencies (default 51); frequency j is omega_j = minOmega + j (maxOmega - minOmega)/(n-1) rad/step. */
  frequencies?: number;
  minOmega?: number;
  maxOmega?: number;
  seed: number;
}

/**
 * Frequency-cued sine wave (Sussillo & Barak 2013): a static input
 * j / frequencies + 0.25 selects the frequency; the target is sin(omega_j t).
 */
export function sineWave(o: SineWaveOptions): TaskBatch {
  const B = checkInteger('batch', o.batch, 1);
  const T = checkInteger('steps', o.steps ?? 100, 1);
  const F = checkInteger('frequencies', o.frequencies ?? 51, 2);
  const lo = checkNumber('minOmega', o.minOmega ?? 0.1, 0);
  const hi = checkNumber('maxOmega', o.maxOmega ?? 0.6, lo);
  const rng = new Rng(checkInteger('seed', o.seed, 0, 0xffffffff));
  const inputs = new Float32Array(B * T);
  const targets = new Float32Array(B * T);
  const omega = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const j = rng.int(F);
    omega[b] = lo + (j * (hi - lo)) / (F - 1);
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = j / F + 0.25;
      targets[b * T + t] = Math.sin(omega[b] * (t + 1));
    }
  }
  return { inputs, targets, batch: B, steps: T, inputSize: 1, outputSize: 1, labels: { omega } };
}

export interface IntegratorOptions {
  batch: number;
  /** Steps per trial (default 25) over a trial of duration 1 (dt = 1/steps). */
  steps?: number;
  /** Bias scale (default 0.01): bias = biasScale * 2 (z - 0.5), z ~ N(0, 1) per trial. */
  biasScale?: number;
  /** Noise scale (default 0.025): noise SD per step = noiseScale / sqrt(dt). */
  noiseScale?: number;
  seed: number;
}

/** Draws one noisy channel [steps] for a trial with the given bias. */
function noisyChannel(rng: Rng, T: number, bias: number, sd: number, out: Float32Array, offset: number, stride: number): void {
  for (let t = 0; t < T; t++) out[offset + t * stride] = bias + sd * rng.normal();
}

/**
 * White-noise integrator (computation-thru-dynamics tutorial settings):
 * input = bias + noise, target = running sum of the input.
 */
export function integrator(o: IntegratorOptions): TaskBatch {
  const B = checkInteger('batch', o.batch, 1);
  const T = checkInteger('steps', o.steps ?? 25, 1);
  const bs = checkNumber('biasScale', o.biasScale ?? 0.01, 0, MAX_SCALE);
  const sd = checkNumber('noiseScale', o.noiseScale ?? 0.025, 0, MAX_SCALE) * Math.sqrt(T);
  const rng = new Rng(checkInteger('seed', o.seed, 0, 0xffffffff));
  const inputs = new Float32Array(B * T);
  const targets = new Float32Array(B * T);
  const bias = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    bias[b] = bs * 2 * (rng.normal() - 0.5);
    noisyChannel(rng, T, bias[b], sd, inputs, b * T, 1);
    let s = 0;
    for (let t = 0; t < T; t++) targets[b * T + t] = s += inputs[b * T + t];
  }
  return { inputs, targets, batch: B, steps: T, inputSize: 1, outputSize: 1, labels: { bias } };
}

/**
 * Context-dependent integration: two independent noisy channels with their
 * own biases (as `integrator`), plus a one-hot context held through the trial
 * (inputs [ch1, ch2, ctx1, ctx2]); the target is the running sum of the cued
 * channel. labels.context is 0 or 1 per trial.
 */
export function contextIntegration(o: IntegratorOptions): TaskBatch {
  const B = checkInteger('batch', o.batch, 1);
  const T = checkInteger('steps', o.steps ?? 25, 1);
  const bs = checkNumber('biasScale', o.biasScale ?? 0.01, 0, MAX_SCALE);
  const sd = checkNumber('noiseScale', o.noiseScale ?? 0.025, 0, MAX_SCALE) * Math.sqrt(T);
  const rng = new Rng(checkInteger('seed', o.seed, 0, 0xffffffff));
  const inputs = new Float32Array(B * T * 4);
  const targets = new Float32Array(B * T);
  const context = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const ctx = rng.uniform() < 0.5 ? 0 : 1;
    context[b] = ctx;
    for (let ch = 0; ch < 2; ch++) noisyChannel(rng, T, bs * 2 * (rng.normal() - 0.5), sd, inputs, b * T * 4 + ch, 4);
    let s = 0;
    for (let t = 0; t < T; t++) {
      const i = (b * T + t) * 4;
      inputs[i + 2 + ctx] = 1;
      targets[b * T + t] = s += inputs[i + ctx];
    }
  }
  return { inputs, targets, batch: B, steps: T, inputSize: 4, outputSize: 1, labels: { context } };
}

/**
 * 1-D white-noise decision task: the input is a noisy channel (as
 * `integrator`); the target at every step is the sign (+-1) of the running
 * sum so far.
 */
export function decision(o: IntegratorOptions): TaskBatch {
  const base = integrator(o);
  const targets = base.targets.map((v) => (v >= 0 ? 1 : -1));
  return { ...base, targets };
}

export type TaskName = 'flipFlop' | 'sineWave' | 'integrator' | 'contextIntegration' | 'decision';
export const TASK_NAMES: readonly TaskName[] = ['flipFlop', 'sineWave', 'integrator', 'contextIntegration', 'decision'];

/** Generates a batch of a task by name (used by pool jobs, whose arguments must be plain data). */
export function generateTask(name: TaskName, options: Record<string, unknown> & { batch: number; seed: number }): TaskBatch {
  switch (checkOneOf('task', name, TASK_NAMES)) {
    case 'flipFlop':
      return flipFlop(options as unknown as FlipFlopOptions);
    case 'sineWave':
      return sineWave(options as unknown as SineWaveOptions);
    case 'integrator':
      return integrator(options as unknown as IntegratorOptions);
    case 'contextIntegration':
      return contextIntegration(options as unknown as IntegratorOptions);
    case 'decision':
      return decision(options as unknown as IntegratorOptions);
  }
}
