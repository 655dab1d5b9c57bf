/**
 * Worker-pool entry points: train a network and (optionally) find its fixed
 * points in one job, so populations of networks (seeds x architectures) run on
 * all cores through lib/core's pool. Arguments and results are plain data.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Job, JobContext, JobResult, RunOptions, checkInteger, initBackend, jobValues, runJobs } from '../core';
import { FixedPointFinder, FixedPointFinderOptions } from './finder';
import { FixedPoints } from './fixed-points';
import { NetworkJSON, RecurrentNetworkOptions, RecurrentNetwork } from './network';
import { TaskName, generateTask, taskTensors } from './tasks';
import { RecurrentTrainOptions, RecurrentTrainResult, trainNetwork } from './train';

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

/** Finds fixed points of a trained network from states of its own trajectories (plus noise). */
export function findNetworkFixedPoints(net: RecurrentNetwork, task: TaskName, taskOptions: Record<string, unknown>, o: FixedPointJobOptions, progress?: (f: number, m?: string) => void): FixedPointJobResult[] {
  const trials = checkInteger('trials', o.trials ?? 128, 1);
  const n = checkInteger('initialStates', o.initialStates ?? 1024, 1);
  const noise = o.noise ?? 0.5;
  const batch = taskTensors(generateTask(task, { ...taskOptions, batch: trials, seed: (o.seed + 7777) >>> 0 }));
  const { states, outputs } = net.run(batch.inputs);
  outputs.dispose();
  batch.inputs.dispose();
  batch.targets.dispose();
  const finder = new FixedPointFinder(net.cell, { ...(o.finder ?? {}), progress: false });
  const x0 = finder.sampleStates(states, n, noise, o.seed);
  states.dispose();
  const inputs = o.inputs ?? [new Array(net.inputSize).fill(0)];
  return inputs.map((u, k) => {
    progress?.(k / inputs.length, `fixed points for input ${k + 1}/${inputs.length}`);
    const r = finder.find(x0, u);
    return {
      input: u,
      fixedPoints: r.fixedPoints.toJSON(),
      notConverged: r.notConverged.length,
      outliers: r.outliers.length,
      iterations: r.iterations,
      seconds: r.wallSeconds,
    };
  });
}

/**
 * One pool job: build, train and (with `fixedPoints`) analyse a network.
 * `{ module: DYNAMICS_MODULE, export: 'studyJob', args }`.
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
    const searches = args.fixedPoints
      ? findNetworkFixedPoints(net, args.train.task, args.train.taskOptions ?? {}, args.fixedPoints, ctx ? (f, m) => ctx.progress(share + (1 - share) * f, m) : undefined)
      : [];
    return { network: net.toJSON(), train, searches };
  } finally {
    net.dispose();
    if (tf.memory().numTensors > before) console.warn(`studyJob: ${tf.memory().numTensors - before} tensors left behind`);
  }
}

/** Path of this module's index, for pool jobs. */
export const DYNAMICS_MODULE = path.join(fs.realpathSync(__dirname), 'index.ts');

/**
 * Trains (and analyses) many networks at once on the worker pool; results in
 * job order. Restore networks with RecurrentNetwork.fromJSON and fixed points
 * with FixedPoints.fromJSON.
 */
export async function runStudies(jobs: StudyJobArgs[], options: RunOptions = {}): Promise<StudyJobResult[]> {
  const list: Job<StudyJobArgs>[] = jobs.map((args) => ({ module: DYNAMICS_MODULE, export: 'studyJob', args }));
  const results = (await runJobs<StudyJobResult>(list, { progress: 'networks', ...options })) as JobResult<StudyJobResult>[];
  return jobValues(results);
}

/** Restores the FixedPoints of a search result. */
export function searchFixedPoints(r: FixedPointJobResult): FixedPoints {
  return FixedPoints.fromJSON(r.fixedPoints);
}
