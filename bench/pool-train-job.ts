/**
 * The job of bench/pool.bench.ts: train a small MLP with tfjs on seeded
 * synthetic data (labels from a random linear teacher) for a fixed number of
 * SGD steps. CPU-bound and independent of every other job, like one seed of a
 * study. Runs unchanged in the main process or in a pool worker.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type JobContext } from '../lib/core';

export interface TrainMlpArgs {
  seed: number;
  steps: number;
  batch: number;
  inputs: number;
  hidden: number;
  classes: number;
  samples: number;
  learningRate: number;
}

export interface TrainMlpResult {
  /** Cross-entropy of each step's batch. */
  losses: Float32Array;
  seconds: number;
}

function glorot(rng: Rng, rows: number, cols: number): tf.Variable {
  const scale = Math.sqrt(2 / (rows + cols));
  const values = rng.normalArray(rows * cols, 0, scale) as Float32Array;
  // The initial tensor would outlive the variable that copies it: build it inside tidy.
  return tf.tidy(() => tf.variable(tf.tensor2d(values, [rows, cols])));
}

function zerosVariable(n: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros([n])));
}

export async function trainMlp(args: TrainMlpArgs, ctx?: JobContext): Promise<TrainMlpResult> {
  const t0 = performance.now();
  const rng = new Rng(args.seed);
  const x = rng.normalArray(args.samples * args.inputs) as Float32Array;
  const teacher = rng.normalArray(args.inputs * args.classes) as Float32Array;
  const [xs, ys] = tf.tidy(() => {
    const xt = tf.tensor2d(x, [args.samples, args.inputs]);
    const labels = tf.matMul(xt, tf.tensor2d(teacher, [args.inputs, args.classes])).argMax(1);
    return [xt, tf.oneHot(labels, args.classes).toFloat()];
  });
  const params = [
    glorot(rng, args.inputs, args.hidden), zerosVariable(args.hidden),
    glorot(rng, args.hidden, args.hidden), zerosVariable(args.hidden),
    glorot(rng, args.hidden, args.classes), zerosVariable(args.classes),
  ];
  const [w1, b1, w2, b2, w3, b3] = params;
  const optimizer = tf.train.sgd(args.learningRate);
  const losses = new Float32Array(args.steps);
  const batchesPerEpoch = Math.floor(args.samples / args.batch);
  for (let step = 0; step < args.steps; step++) {
    const start = (step % batchesPerEpoch) * args.batch;
    const loss = optimizer.minimize(() => {
      const xb = xs.slice([start, 0], [args.batch, args.inputs]);
      const yb = ys.slice([start, 0], [args.batch, args.classes]);
      const h1 = tf.relu(tf.add(tf.matMul(xb, w1), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
      const logits = tf.add(tf.matMul(h2, w3), b3);
      return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
    }, true) as tf.Scalar;
    losses[step] = (await loss.data())[0];
    loss.dispose();
    ctx?.progress((step + 1) / args.steps, `loss ${losses[step].toFixed(4)}`);
  }
  optimizer.dispose();
  tf.dispose([xs, ys, ...params]);
  return { losses, seconds: (performance.now() - t0) / 1000 };
}
