/**
 * Labelled data sets in the forms the library takes, and the conversions
 * between them. Every module that takes a data set accepts a `DataInput` and
 * reads it through `toArrayDataset` (flat rows for loops in plain JS) or
 * `toTensorDataset` (tfjs tensors), checked against the network's shapes:
 *
 *   ImageDataset   what loadMnist / loadFashionMnist return: images [count * h * w], labels [count]
 *   ArrayDataset   x [count * prod(shape)] row-major, y labels [count]
 *   TensorDataset  x [N, ...inputShape]; y labels [N] (integers) or targets [N, C] (one-hot or regression)
 *
 * Example k is row k in every form; converting only reshapes it to the
 * network's per-example input shape (a loader's 28 x 28 image is [784] for an
 * MLP and [28, 28, 1] for a conv net), so the numbers are the same whichever
 * form a caller passes.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, describe, nativeAddon, type NativeAddon } from '../core';
import type { ImageDataset } from './images';

/** Examples as rows of a flat Float32Array; `shape` is the per-example shape (default: the network's). */
export interface ArrayDataset {
  x: Float32Array;
  y: Int32Array | number[];
  count: number;
  shape?: number[];
}

/** Examples as tensors: x [N, ...inputShape]; y integer labels [N] or targets [N, C]. */
export interface TensorDataset {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** What a module that takes labelled data accepts: a loader's result, flat arrays, or tensors. */
export type DataInput = ImageDataset | ArrayDataset | TensorDataset;

/** The shapes a network declares (a lib/rules Network has both): per-example input shape and output size (classes). */
export interface NetworkShape {
  readonly inputShape: readonly number[];
  readonly outputSize: number;
}

/** True for tensors {x, y} (as opposed to typed-array data sets). */
export function isTensorDataset(data: unknown): data is TensorDataset {
  const d = data as Partial<TensorDataset> | null;
  return d !== null && typeof d === 'object' && d.x instanceof tf.Tensor && d.y instanceof tf.Tensor;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function checkNet(net: NetworkShape): void {
  if (!net || !Array.isArray(net.inputShape) || !Number.isInteger(net.outputSize)) {
    throw new ArgumentError('net', 'a network with inputShape and outputSize (e.g. a lib/rules Network)', describe(net));
  }
}

/**
 * The index of the first NaN or infinite value of rows x [rows * cols], or
 * -1. Every call checks every value (train() calls this once per run, 47 M
 * values for Fashion-MNIST): a cheap screen first, the exact per-value test
 * only where the screen fails. With the add-on the screen is its column sums
 * in float64 (sumRows): no sum of finite float32 values can overflow a
 * float64, and a NaN or an infinity makes its column's sum NaN or infinite,
 * so the sums are all finite exactly when the values are (rounding a sum to
 * float32 may overflow; that only sends the check to the exact loop).
 * Without the add-on, x * 0 summed per block of 4096 (0 for finite values,
 * NaN otherwise). Measured on Fashion-MNIST's training images at load ~9:
 * 16 ms (sumRows) or 45 ms (the block screen) of CPU, against 112 ms for
 * Number.isFinite on each value.
 */
export function firstNonFinite(x: Float32Array, rows: number, cols: number, addon: NativeAddon | null = nativeAddon()): number {
  if (addon && rows * cols === x.length && cols > 0) {
    const sums = new Float32Array(cols);
    addon.sumRows(x, rows, cols, sums, true);
    let finite = true;
    for (let j = 0; j < cols && finite; j++) finite = Number.isFinite(sums[j]);
    if (finite) return -1;
  }
  const block = 4096;
  for (let s = 0; s < x.length; s += block) {
    const e = Math.min(x.length, s + block);
    // Two accumulators so that the additions need not wait on each other.
    let a = 0;
    let b = 0;
    let i = s;
    for (; i + 1 < e; i += 2) {
      a += x[i] * 0;
      b += x[i + 1] * 0;
    }
    if (i < e) a += x[i] * 0;
    if (a + b !== 0) for (let j = s; j < e; j++) if (!Number.isFinite(x[j])) return j;
  }
  return -1;
}

function checkLabels(name: string, y: ArrayLike<number>, count: number, classes: number): void {
  if (y.length !== count) throw new ArgumentError(name, `${count} labels`, `${y.length}`);
  for (let i = 0; i < count; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw new ArgumentError(name, `labels in [0, ${classes - 1}]`, `${v} at example ${i}`);
  }
}

/**
 * Any `DataInput` as validated flat rows for `net`: x holds count rows of
 * prod(net.inputShape) finite values, y integer labels in [0, outputSize).
 * Tensors are copied out (one-hot targets [N, C] become their argmax).
 * Typed arrays are not copied.
 */
export function toArrayDataset(data: DataInput, net: NetworkShape, name = 'data'): Required<ArrayDataset> {
  checkNet(net);
  if (!data || typeof data !== 'object') throw new ArgumentError(name, 'a dataset {x, y, count}, {images, labels, count} or tensors {x, y}', data);
  const size = sizeOf(net.inputShape);
  let x: unknown;
  let y: unknown;
  let count: number;
  if (isTensorDataset(data)) {
    const t = toTensorDataset(data, net, name);
    count = t.x.shape[0];
    x = (t.x.dataSync() as Float32Array).slice();
    y = labelsOf(t.y);
  } else {
    const d = data as Partial<ArrayDataset & ImageDataset>;
    x = d.x ?? d.images;
    y = d.y ?? d.labels;
    count = checkInteger(`${name}.count`, d.count, 1);
  }
  if (!(x instanceof Float32Array)) throw new ArgumentError(`${name}.x`, 'a Float32Array', x);
  if (!y || typeof (y as ArrayLike<number>).length !== 'number') throw new ArgumentError(`${name}.y`, 'an Int32Array or number[] of labels', y);
  const labels = y as Int32Array | number[];
  if (x.length !== count * size) {
    throw new ArgumentError(`${name}.x`, `${count} x ${size} = ${count * size} values for input shape [${net.inputShape.join(', ')}]`, `${x.length} values`);
  }
  const bad = firstNonFinite(x, count, size);
  if (bad >= 0) throw new ArgumentError(`${name}.x`, 'finite values only', `${x[bad]} at example ${Math.floor(bad / size)}`);
  checkLabels(`${name}.y`, labels, count, net.outputSize);
  return { x, y: labels instanceof Int32Array ? labels : Int32Array.from(labels), count, shape: net.inputShape.slice() };
}

/**
 * Any `DataInput` as tensors for `net`: x [N, ...net.inputShape]; y as given
 * when already a tensor (labels [N] in [0, C) or targets [N, C], C = the
 * network's outputSize), else int32 labels [N]. Tensors passed in are
 * returned as they are (the same object); for any other input the tensors
 * are new and the caller disposes them -- `disposeConverted(result, data)`
 * frees exactly those.
 */
export function toTensorDataset(data: DataInput, net: NetworkShape, name = 'data'): TensorDataset {
  checkNet(net);
  if (!isTensorDataset(data)) {
    const a = toArrayDataset(data, net, name);
    return { x: tf.tensor(a.x, [a.count, ...net.inputShape], 'float32'), y: tf.tensor1d(a.y, 'int32') };
  }
  const { x, y } = data;
  const okX = x.rank === net.inputShape.length + 1 && net.inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!okX) throw new ArgumentError(`${name}.x`, `shape [N, ${net.inputShape.join(', ')}]`, `[${x.shape.join(', ')}]`);
  const n = x.shape[0];
  if (n < 1) throw new ArgumentError(`${name}.x`, 'at least one row', `[${x.shape.join(', ')}]`);
  const c = net.outputSize;
  if (y.rank === 1) {
    if (y.shape[0] !== n) throw new ArgumentError(`${name}.y`, `${n} labels (one per row of x)`, `[${y.shape.join(', ')}]`);
    checkLabels(`${name}.y`, y.dataSync(), n, c);
  } else if (y.rank !== 2 || y.shape[0] !== n || y.shape[1] !== c) {
    throw new ArgumentError(`${name}.y`, `one-hot targets [${n}, ${c}] or labels [${n}]`, `[${y.shape.join(', ')}]`);
  }
  return data;
}

/** Frees the tensors `toTensorDataset(data, ...)` made (none when `data` already was tensors). */
export function disposeConverted(converted: TensorDataset, data: DataInput): void {
  if (converted !== data) tf.dispose([converted.x, converted.y]);
}

/**
 * Targets [N, classes] (float32) of tensor labels: integer labels [N] become
 * one-hot rows; targets that are already [N, classes] are returned as they
 * are (a new handle in a tidy scope). Call inside tf.tidy.
 */
export function targetsOf(y: tf.Tensor, classes: number): tf.Tensor2D {
  checkInteger('classes', classes, 1);
  if (y.rank === 1) return tf.oneHot(y.toInt() as tf.Tensor1D, classes).toFloat() as tf.Tensor2D;
  if (y.rank === 2 && y.shape[1] === classes) return y.toFloat() as tf.Tensor2D;
  throw new ArgumentError('y', `labels [N] or targets [N, ${classes}]`, `[${y.shape.join(', ')}]`);
}

/** Integer labels of tensor targets: labels [N] as they are, the argmax of targets [N, C]. */
export function labelsOf(y: tf.Tensor): Int32Array {
  if (y.rank === 1) return Int32Array.from(y.dataSync());
  if (y.rank !== 2) throw new ArgumentError('y', 'labels [N] or targets [N, C]', `[${y.shape.join(', ')}]`);
  const am = tf.tidy(() => y.argMax(1));
  const out = Int32Array.from(am.dataSync());
  am.dispose();
  return out;
}
