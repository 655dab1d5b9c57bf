/**
 * Fixed points of a trained network the way FixedPointFinder's examples find
 * them: initial states sampled from the network's own trajectories on its task
 * (trial and time uniformly, with replacement) plus Gaussian noise, one search
 * per input held constant.
 */
import * as tf from '@tensorflow/tfjs';
import { FLOAT32_MAX, checkInteger, checkNumber } from '../core';
import { FixedPointFinder, FixedPointFinderOptions, FixedPointSearch } from './finder';
import { RecurrentNetwork } from './network';
import { TaskName, generateTask, taskTensors } from './tasks';

/** States of `net` over `trials` fresh trials of a task: flat [trials x steps x stateSize], trial-major. */
export function trajectoryStates(net: RecurrentNetwork, task: TaskName, o: { trials: number; seed: number; taskOptions?: Record<string, unknown> }): Float32Array {
  const trials = checkInteger('trials', o.trials, 1);
  const batch = taskTensors(generateTask(task, { ...(o.taskOptions ?? {}), batch: trials, seed: o.seed }));
  const { states, outputs } = net.run(batch.inputs);
  const out = Float32Array.from(states.dataSync());
  tf.dispose([states, outputs, batch.inputs, batch.targets]);
  return out;
}

export interface NetworkFixedPointOptions {
  /** The task whose trials give the initial states, and its generator options. */
  task: TaskName;
  taskOptions?: Record<string, unknown>;
  /** Trials run to collect states (default 128), drawn with seed + 7777 (a stream apart from the sampling's). */
  trials?: number;
  /** Number of initial states (default 1024) and the SD of the noise added to them (default 0.5). */
  initialStates?: number;
  noise?: number;
  /** Inputs to hold during the search, one search per input (default: one all-zero input). */
  inputs?: number[][];
  /** Seed of the sampling and the noise. */
  seed: number;
  /** Finder options (progress defaults to false here: a population runs many searches). */
  finder?: FixedPointFinderOptions;
}

/**
 * Finds fixed points of `net` from states of its own trajectories plus noise,
 * one search per input in `inputs` (the same initial states for each).
 * `onProgress(fraction, message)` is called before each search.
 */
export function findNetworkFixedPoints(net: RecurrentNetwork, o: NetworkFixedPointOptions, onProgress?: (fraction: number, message: string) => void): FixedPointSearch[] {
  const n = checkInteger('initialStates', o.initialStates ?? 1024, 1);
  // The noisy states are float32: a noise SD beyond float32's range would make them infinite.
  const noise = checkNumber('noise', o.noise ?? 0.5, 0, FLOAT32_MAX);
  const seed = checkInteger('seed', o.seed, 0, 0xffffffff);
  const states = trajectoryStates(net, o.task, { trials: o.trials ?? 128, seed: (seed + 7777) >>> 0, taskOptions: o.taskOptions });
  const finder = new FixedPointFinder(net.cell, { progress: false, ...(o.finder ?? {}) });
  // trajectoryStates gives whole states, trials x steps of them.
  const x0 = finder.sampleStates({ values: states, count: states.length / net.stateSize }, n, noise, seed);
  const inputs = o.inputs ?? [new Array(net.inputSize).fill(0)];
  return inputs.map((u, k) => {
    onProgress?.(k / inputs.length, `fixed points for input ${k + 1}/${inputs.length}`);
    return finder.find(x0, u);
  });
}
