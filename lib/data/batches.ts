/**
 * Mini-batches and tensors. Shuffling is seeded per epoch: epoch e of seed s
 * uses the permutation of `new Rng(s).child(e)`, so an epoch's order depends
 * only on (seed, epoch) -- not on how many epochs ran before -- and a run can
 * resume at any epoch with the same batches. Every epoch/minibatch loop of
 * the library goes through `batchIndices` (one epoch) or `epochBatches` /
 * `tensorBatches` (several epochs, numbered steps), so all of them shuffle
 * the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng, checkFinite, checkInteger } from '../core';
import type { ImageDataset } from './images';
import { oneHot } from './images';
import { isTensorDataset, targetsOf, type TensorDataset } from './datasets';

export interface BatchOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Seed of the shuffle; required when shuffling. */
  seed?: number;
  /** Epoch number (default 0): selects the epoch's permutation. */
  epoch?: number;
  /** Shuffle the order (default true); false keeps dataset order. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** The index batches of one epoch over `count` examples. */
export function batchIndices(count: number, options: BatchOptions): Int32Array[] {
  checkInteger('count', count, 0);
  const { batchSize, shuffle, dropLast, epoch, seed } = checkBatchOptions(options);
  let order: Int32Array;
  if (shuffle) {
    order = new Rng(seed as number).child(epoch).permutation(count);
  } else {
    order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
  }
  const out: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (dropLast && end - start < batchSize) break;
    out.push(order.slice(start, end));
  }
  return out;
}

/** Batches in one epoch over `count` examples: ceil(count / batchSize), or floor with dropLast. */
export function batchesPerEpoch(count: number, options: Pick<BatchOptions, 'batchSize' | 'dropLast'>): number {
  checkInteger('count', count, 0);
  const batchSize = checkInteger('batchSize', options?.batchSize, 1);
  return options.dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

export interface EpochBatchOptions extends Omit<BatchOptions, 'epoch'> {
  /** Epochs to run. */
  epochs: number;
  /** Number of the first epoch (default 0); epoch e uses the permutation of (seed, e). */
  startEpoch?: number;
  /** Stop after this many batches in all (default: every batch of every epoch). */
  maxSteps?: number;
}

/** One minibatch of a multi-epoch loop. */
export interface IndexBatch {
  /** Epoch number (startEpoch, startEpoch + 1, ...). */
  epoch: number;
  /** Position of the batch in its epoch (0-based) and the epoch's number of batches. */
  batch: number;
  batches: number;
  /** Batches yielded before this one (0-based, across epochs). */
  step: number;
  /** Example positions in the batch. */
  indices: Int32Array;
}

/**
 * The index batches of `epochs` epochs over `count` examples, each epoch
 * shuffled as `batchIndices` does, stopping early after `maxSteps` batches.
 */
export function epochBatches(count: number, options: EpochBatchOptions): Generator<IndexBatch> {
  // Checked here, not inside the generator, so a bad option fails at the call rather than at the first batch.
  checkInteger('count', count, 0);
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with batchSize and epochs', options);
  const epochs = checkInteger('epochs', options.epochs, 0);
  const start = checkInteger('startEpoch', options.startEpoch ?? 0, 0);
  const maxSteps = options.maxSteps === undefined ? Infinity : checkInteger('maxSteps', options.maxSteps, 0);
  checkBatchOptions({ ...options, epoch: start });
  return (function* () {
    let step = 0;
    for (let epoch = start; epoch < start + epochs && step < maxSteps; epoch++) {
      const list = batchIndices(count, { ...options, epoch });
      for (let batch = 0; batch < list.length && step < maxSteps; batch++) {
        yield { epoch, batch, batches: list.length, step, indices: list[batch] };
        step++;
      }
    }
  })();
}

/** Rows `indices` of a tensor data set (new tensors; the caller disposes them). */
export function takeTensors(data: TensorDataset, indices: ArrayLike<number>): TensorDataset {
  if (!isTensorDataset(data)) throw new ArgumentError('data', 'tensors {x, y}', data);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') throw new ArgumentError('indices', 'an array of example positions', indices);
  const n = data.x.shape[0];
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new ArgumentError('indices', `integers in [0, ${n - 1}]`, `${i} at position ${b}`);
  }
  return tf.tidy(() => {
    const i = tf.tensor1d(Int32Array.from(indices), 'int32');
    return { x: tf.gather(data.x, i), y: tf.gather(data.y, i) };
  });
}

/** A minibatch of a tensor data set: its position in the loop and its rows. */
export interface TensorBatch extends IndexBatch {
  x: tf.Tensor;
  /** The rows of data.y, or with `classes` float targets [B, classes] (labels one-hot encoded). */
  y: tf.Tensor;
}

/**
 * The minibatches of `epochs` epochs of a tensor data set, shuffled as
 * `epochBatches` does. With `classes` (a network's output size), y is float
 * targets [B, classes]. A batch's tensors are disposed when the loop moves
 * on or leaves (clone them to keep them).
 */
export function tensorBatches(data: TensorDataset, options: EpochBatchOptions & { classes?: number }): Generator<TensorBatch> {
  if (!isTensorDataset(data)) throw new ArgumentError('data', 'tensors {x, y} (see toTensorDataset)', data);
  const classes = options?.classes === undefined ? undefined : checkInteger('classes', options.classes, 1);
  if (data.y.shape[0] !== data.x.shape[0]) throw new ArgumentError('data.y', `${data.x.shape[0]} rows (one per row of data.x)`, `shape [${data.y.shape.join(', ')}]`);
  const batches = epochBatches(data.x.shape[0], options);
  return (function* () {
    for (const b of batches) {
      const rows = takeTensors(data, b.indices);
      let y = rows.y;
      if (classes !== undefined) {
        y = tf.tidy(() => targetsOf(rows.y, classes));
        rows.y.dispose();
      }
      try {
        yield { ...b, x: rows.x, y };
      } finally {
        tf.dispose([rows.x, y]);
      }
    }
  })();
}

function checkBatchOptions(options: BatchOptions): Required<BatchOptions> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object with batchSize', options);
  const batchSize = checkInteger('batchSize', options.batchSize, 1);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new ArgumentError('shuffle', 'a boolean', shuffle);
  const dropLast = options.dropLast ?? false;
  if (typeof dropLast !== 'boolean') throw new ArgumentError('dropLast', 'a boolean', dropLast);
  const epoch = checkInteger('epoch', options.epoch ?? 0, 0);
  if (shuffle && options.seed === undefined) throw new ArgumentError('seed', 'an integer seed (shuffling is always seeded; pass shuffle: false for dataset order)', undefined);
  const seed = options.seed === undefined ? 0 : checkInteger('seed', options.seed, 0, 0xffffffff);
  return { batchSize, shuffle, dropLast, epoch, seed };
}

export interface ImageBatch {
  /** size * height * width values, row-major, normalised like the dataset. */
  images: Float32Array;
  labels: Int32Array;
  /** Positions of these examples in the dataset. */
  indices: Int32Array;
  size: number;
  height: number;
  width: number;
  classes: number;
}

/** Copies the examples at `indices` out of an image dataset. */
export function takeImages(dataset: ImageDataset, indices: ArrayLike<number>): ImageBatch {
  checkImageDataset(dataset);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') throw new ArgumentError('indices', 'an array of example positions', indices);
  const pixels = dataset.height * dataset.width;
  const size = indices.length;
  const images = new Float32Array(size * pixels);
  const labels = new Int32Array(size);
  const idx = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= dataset.count) {
      throw new ArgumentError('indices', `integers in [0, ${dataset.count - 1}]`, `${i} at position ${b}`);
    }
    images.set(dataset.images.subarray(i * pixels, (i + 1) * pixels), b * pixels);
    labels[b] = dataset.labels[i];
    idx[b] = i;
  }
  return { images, labels, indices: idx, size, height: dataset.height, width: dataset.width, classes: dataset.classes };
}

/** The batches of one epoch (see BatchOptions), as typed arrays. */
export function* imageBatches(dataset: ImageDataset, options: BatchOptions): Generator<ImageBatch> {
  checkImageDataset(dataset);
  for (const indices of batchIndices(dataset.count, options)) yield takeImages(dataset, indices);
}

export interface TensorOptions {
  /** 'nhwc' (default): images [n, h, w, 1] for convolutions; 'flat': [n, h * w] for MLPs. */
  layout?: 'nhwc' | 'flat';
  /** Also return one-hot labels [n, classes] (float32). */
  oneHot?: boolean;
}

export interface ImageTensors<T extends tf.Tensor> {
  images: T;
  /** int32 [n]. */
  labels: tf.Tensor1D;
  /** float32 [n, classes], only when requested. */
  labelsOneHot?: tf.Tensor2D;
}

/**
 * tfjs tensors of a dataset or batch. The caller owns them: dispose them
 * (or create them inside tf.tidy) when done.
 */
export function toTensors(data: ImageDataset | ImageBatch, options?: TensorOptions & { layout?: 'nhwc' }): ImageTensors<tf.Tensor4D>;
export function toTensors(data: ImageDataset | ImageBatch, options: TensorOptions & { layout: 'flat' }): ImageTensors<tf.Tensor2D>;
export function toTensors(data: ImageDataset | ImageBatch, options: TensorOptions = {}): ImageTensors<tf.Tensor4D | tf.Tensor2D> {
  if (data === null || typeof data !== 'object' || !(data.images instanceof Float32Array) || !(data.labels instanceof Int32Array)) {
    throw new ArgumentError('data', 'an ImageDataset or ImageBatch', data);
  }
  const n = 'count' in data ? data.count : data.size;
  const { height: h, width: w, classes } = data;
  if (data.images.length !== n * h * w || data.labels.length !== n) {
    throw new ArgumentError('data', `images of length ${n}*${h}*${w} and ${n} labels`, `images of length ${data.images.length} and ${data.labels.length} labels`);
  }
  const layout = options.layout ?? 'nhwc';
  if (layout !== 'nhwc' && layout !== 'flat') throw new ArgumentError('layout', '"nhwc" or "flat"', layout);
  // Loaders give finite pixels; an edited or hand-built set may not, and a NaN pixel turns every product downstream NaN.
  checkFinite('data.images', data.images);
  const images = layout === 'flat' ? tf.tensor2d(data.images, [n, h * w]) : tf.tensor4d(data.images, [n, h, w, 1]);
  const labels = tf.tensor1d(data.labels, 'int32');
  const out: ImageTensors<tf.Tensor4D | tf.Tensor2D> = { images, labels };
  if (options.oneHot) out.labelsOneHot = tf.tensor2d(oneHot(data.labels, classes), [n, classes]);
  return out;
}

function checkImageDataset(dataset: ImageDataset): void {
  if (dataset === null || typeof dataset !== 'object' || !(dataset.images instanceof Float32Array) || typeof dataset.count !== 'number') {
    throw new ArgumentError('dataset', 'an ImageDataset (from loadMnist or loadFashionMnist)', dataset);
  }
}
