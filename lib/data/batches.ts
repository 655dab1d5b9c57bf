/**
 * Mini-batches and tensors. Shuffling is seeded per epoch: epoch e of seed s
 * uses the permutation of `new Rng(s).child(e)`, so an epoch's order depends
 * only on (seed, epoch) -- not on how many epochs ran before -- and a run can
 * resume at any epoch with the same batches.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng, checkInteger } from '../core';
import type { ImageDataset } from './images';
import { oneHot } from './images';

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
