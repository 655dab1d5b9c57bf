/**
 * Receptive fields of one unit of a network: the input pattern that drives it.
 * Private to lib/vision; see index.ts.
 *
 * A unit is a function u(x) from a batch of images [N, H, W, C] to one value
 * per image (`networkUnit`: one channel at one position of a layer's output).
 *
 * Gradient RF (Lindsey et al. 2019 take one baseline, the blank image):
 *   RF = mean over baselines b of du/dx (b),
 * the baselines being the zero image and `random` Gaussian images N(0, scale^2).
 * A ReLU unit silent at the blank image has zero gradient there (the trap the
 * authors' notebook warns of), so the random baselines carry the estimate; the
 * count of baselines with an all-zero gradient is reported.
 *
 * Spike-triggered average (white Gaussian stimuli x_i ~ N(0, scale^2 I); several
 * units share the stimuli, `spikeTriggeredAverages`):
 *   STA = sum_i u(x_i) (x_i - xbar) / sum_i u(x_i).
 * For u = relu(w.x - theta) both estimates are proportional to w: by Stein's
 * lemma E[u(x) x] = scale^2 E[grad u(x)] = scale^2 P(w.x > theta) w, so for
 * Gaussian baselines the gradient average and the STA agree in expectation.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkPositive, Rng } from '../core';
import type { Network } from '../rules';

/** One value per image of a batch [N, H, W, C]. */
export type UnitFunction = (x: tf.Tensor) => tf.Tensor;

/**
 * The unit at (row, col, channel) of the output of `net.layers[layer]`
 * (default position: the centre, floor(H/2), floor(W/2)).
 */
export function networkUnit(net: Network, layer: number, channel: number, position?: [number, number]): UnitFunction {
  const units = networkUnits(net, layer, position);
  const shape = net.layers[layer].outputShape;
  checkInteger('channel', channel, 0, shape[2] - 1);
  return (x) => tf.tidy(() => units(x).slice([0, channel], [-1, 1]).reshape([-1]));
}

/** Every channel at (row, col) of the output of `net.layers[layer]` (default the centre): images to [N, C]. */
export function networkUnits(net: Network, layer: number, position?: [number, number]): UnitFunction {
  checkInteger('layer', layer, 0, net.layers.length - 1);
  const shape = net.layers[layer].outputShape;
  if (shape.length !== 3) throw new ArgumentError('layer', 'a layer with an [H, W, C] output', `[${shape}]`);
  const [r, c] = position ?? [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2)];
  checkInteger('position[0]', r, 0, shape[0] - 1);
  checkInteger('position[1]', c, 0, shape[1] - 1);
  const layers = net.layers.slice(0, layer + 1);
  return (x) => tf.tidy(() => {
    const out = layers.reduce((h, l) => l.forward(h), x);
    return out.slice([0, r, c, 0], [-1, 1, 1, shape[2]]).reshape([-1, shape[2]]);
  });
}

export interface ReceptiveFieldOptions {
  /** Random Gaussian baselines besides the blank image (gradient), or stimuli (STA) (defaults 32, 4096). */
  count?: number;
  /** Standard deviation of the random images (default 1: standardised pixels). */
  scale?: number;
  /** Images per forward pass (default 256). */
  batch?: number;
  seed?: number;
}

export interface ReceptiveField {
  /** H * W * C values, row-major [H, W, C]. */
  field: Float64Array;
  shape: [number, number, number];
  /** Gradient: images whose gradient was all zero (the blank image included); STA: images with zero response. */
  silent: number;
  /** Images used. */
  count: number;
}

function checkShape(shape: readonly number[]): [number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 3) throw new ArgumentError('inputShape', '[H, W, C]', shape);
  shape.forEach((d, i) => checkInteger(`inputShape[${i}]`, d, 1));
  return [shape[0], shape[1], shape[2]];
}

/** The arguments both estimates share, checked, with their defaults. */
function checkArguments(unit: UnitFunction, inputShape: readonly number[], options: ReceptiveFieldOptions, defaultCount: number, minCount: number) {
  if (typeof unit !== 'function') throw new ArgumentError('unit', 'a function from images [N, H, W, C] to [N] (or [N, U])', unit);
  const shape = checkShape(inputShape);
  return {
    shape, d: shape[0] * shape[1] * shape[2],
    count: checkInteger('count', options.count ?? defaultCount, minCount),
    scale: checkPositive('scale', options.scale ?? 1),
    batch: checkInteger('batch', options.batch ?? 256, 1),
    rng: new Rng(checkInteger('seed', options.seed ?? 0, 0)),
  };
}

/** Gradient RF averaged over the blank image and `count` random baselines (header). */
export function gradientReceptiveField(unit: UnitFunction, inputShape: readonly number[], options: ReceptiveFieldOptions = {}): ReceptiveField {
  const { shape, count, scale, batch, rng, d } = checkArguments(unit, inputShape, options, 32, 0);
  const field = new Float64Array(d);
  const grad = tf.grad((x: tf.Tensor) => unit(x).sum());
  let silent = 0;
  const total = count + 1;
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      if (start + i === 0) continue; // the blank image
      data.set(rng.normalArray(d, 0, scale) as Float32Array, i * d);
    }
    const g = tf.tidy(() => grad(tf.tensor(data, [n, ...shape])));
    const gd = g.dataSync();
    g.dispose();
    for (let i = 0; i < n; i++) {
      let any = false;
      for (let k = 0; k < d; k++) {
        const v = gd[i * d + k];
        if (v !== 0) any = true;
        field[k] += v;
      }
      if (!any) silent++;
    }
  }
  for (let k = 0; k < d; k++) field[k] /= total;
  return { field, shape, silent, count: total };
}

/**
 * Spike-triggered averages of several units at once over the same `count`
 * white Gaussian images (header): `units` maps images [N, H, W, C] to
 * responses [N, U] (or [N] for one unit); one field per unit. Responses must be >= 0.
 */
export function spikeTriggeredAverages(units: UnitFunction, inputShape: readonly number[], options: ReceptiveFieldOptions = {}): ReceptiveField[] {
  const { shape, count, scale, batch, rng, d } = checkArguments(units, inputShape, options, 4096, 1);
  let U = -1;
  let weighted: Float64Array[] = [], sumR: Float64Array = new Float64Array(0), silent: Int32Array = new Int32Array(0);
  const mean = new Float64Array(d);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const data = rng.normalArray(n * d, 0, scale) as Float32Array;
    const r = tf.tidy(() => units(tf.tensor(data, [n, ...shape])));
    const u: number = r.rank === 1 ? 1 : (r.shape[1] as number);
    if (r.shape[0] !== n || r.rank > 2) { r.dispose(); throw new ArgumentError('unit', `responses of shape [N] or [N, U] (N = ${n})`, `[${r.shape}]`); }
    const rd = r.dataSync();
    r.dispose();
    if (U < 0) {
      U = u;
      weighted = Array.from({ length: U }, () => new Float64Array(d));
      sumR = new Float64Array(U);
      silent = new Int32Array(U);
    }
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) mean[k] += data[i * d + k];
      for (let j = 0; j < U; j++) {
        const ri = rd[i * U + j];
        if (!(ri >= 0)) throw new ArgumentError('unit', 'non-negative responses (a rectified unit) for a spike-triggered average', ri);
        if (ri === 0) { silent[j]++; continue; }
        sumR[j] += ri;
        const w = weighted[j];
        for (let k = 0; k < d; k++) w[k] += ri * data[i * d + k];
      }
    }
  }
  return weighted.map((w, j) => {
    const field = new Float64Array(d);
    if (sumR[j] > 0) for (let k = 0; k < d; k++) field[k] = w[k] / sumR[j] - mean[k] / count;
    return { field, shape, silent: silent[j], count };
  });
}

/** Spike-triggered average of one unit (responses [N], >= 0) over `count` white Gaussian images (header). */
export function spikeTriggeredAverage(unit: UnitFunction, inputShape: readonly number[], options: ReceptiveFieldOptions = {}): ReceptiveField {
  const fields = spikeTriggeredAverages(unit, inputShape, options);
  if (fields.length !== 1) throw new ArgumentError('unit', 'one response per image (shape [N]); spikeTriggeredAverages takes several units', `${fields.length} per image`);
  return fields[0];
}
