/** Fuzz table of lib/data (see harness.ts for the kinds of bad input and what passes). */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { FuzzEntry, Table } from './harness';
import { findSongbirdMat, loadImdb, loadMnist, type ImageDataset, type ImdbDataset } from '../../lib/data';

let mnist: ImageDataset;
let imdb: ImdbDataset;
const net = { inputShape: [4], outputSize: 3 };
const arrays = () => ({ x: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]), y: [0, 2, 1], count: 3 });
const tensors = () => ({ x: tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1, 1.1, 1.2]]), y: tf.tensor1d([0, 2, 1], 'int32') });
/** IDX file of three unsigned bytes: magic 0x00000801 (ubyte, one dimension), dimension 3, data. */
const idx = () => new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
const all = (g: unknown) => Array.from(g as Iterable<unknown>);
const drain = (fn: (...a: unknown[]) => unknown, a: unknown[]) => all(fn(...a));
const fileError = ['DataNotFoundError', 'DataFormatError'];

const entries: FuzzEntry[] = [
  { name: 'batchIndices', valid: () => [10, { batchSize: 4, seed: 1 }], targets: [{ path: [0], kind: 'count', names: ['count'] }, { path: [1, 'batchSize'], kind: 'count', names: ['options'] }, { path: [1, 'seed'], kind: 'count', names: ['options'] }, { path: [1, 'epoch'], kind: 'count', names: ['options'] }] },
  { name: 'batchesPerEpoch', valid: () => [10, { batchSize: 4, dropLast: true }], targets: [{ path: [0], kind: 'count', names: ['count'] }, { path: [1, 'batchSize'], kind: 'count', names: ['options'] }] },
  {
    name: 'epochBatches', valid: () => [10, { batchSize: 4, seed: 1, epochs: 2 }], call: drain,
    targets: [{ path: [0], kind: 'count', names: ['count'] }, { path: [1, 'epochs'], kind: 'count', names: ['options'] }, { path: [1, 'maxSteps'], kind: 'count', names: ['options'] }, { path: [1, 'startEpoch'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'tensorBatches', valid: () => [tensors(), { batchSize: 2, seed: 1, epochs: 1, classes: 3 }], call: drain,
    targets: [{ path: [0, 'x'], kind: 'tensor', names: ['data'] }, { path: [0, 'y'], kind: 'tensor', sized: true, skip: ['value'], names: ['data'] }, { path: [1, 'classes'], kind: 'count', names: ['options'] }, { path: [1, 'batchSize'], kind: 'count', names: ['options'] }],
  },
  { name: 'imageBatches', valid: () => [mnist, { batchSize: 4, seed: 1 }], call: drain, targets: [{ path: [1, 'batchSize'], kind: 'count', names: ['options'] }] },
  { name: 'takeImages', valid: () => [mnist, [0, 3, 5]], targets: [{ path: [1], kind: 'numbers', names: ['indices'] }] },
  {
    name: 'takeTensors',
    // A row selection (the per-batch gather of tensorBatches): it returns the rows as given, without reading them back;
    // toTensorDataset, through which every trainer and probe takes data, checks the values.
    documented: (_r, c) => / entry = /.test(c.what),
    valid: () => [tensors(), [0, 2]], targets: [{ path: [1], kind: 'numbers', names: ['indices'] }, { path: [0, 'x'], kind: 'tensor', names: ['data'] }] },
  { name: 'takeSequences', valid: () => [imdb, [0, 1]], targets: [{ path: [1], kind: 'numbers', names: ['indices'] }] },
  { name: 'toTensors', valid: () => [mnist, { layout: 'flat', oneHot: true }], targets: [{ path: [1, 'layout'], kind: 'enum', names: ['options'] }, { path: [0, 'images'], kind: 'numbers', names: ['data'] }] },
  {
    name: 'toArrayDataset', valid: () => [arrays(), net],
    targets: [{ path: [0, 'x'], kind: 'numbers', sized: true, names: ['data'] }, { path: [0, 'y'], kind: 'numbers', sized: true, names: ['data'] }, { path: [0, 'count'], kind: 'count', names: ['data'] }],
  },
  {
    name: 'toTensorDataset', valid: () => [arrays(), net],
    targets: [{ path: [0, 'x'], kind: 'numbers', sized: true, names: ['data'] }, { path: [0, 'y'], kind: 'numbers', sized: true, names: ['data'] }, { path: [0, 'count'], kind: 'count', names: ['data'] }],
  },
  { name: 'isTensorDataset', valid: () => [tensors()], targets: [] },
  { name: 'disposeConverted', valid: () => [tensors(), arrays()], targets: [] },
  { name: 'targetsOf', valid: () => [tf.tensor1d([0, 2, 1], 'int32'), 3], targets: [{ path: [0], kind: 'tensor', names: ['y'] }, { path: [1], kind: 'count', names: ['classes'] }] },
  { name: 'labelsOf', valid: () => [tf.tensor1d([0, 2, 1], 'int32')], targets: [{ path: [0], kind: 'tensor', names: ['y'] }] },
  { name: 'oneHot', valid: () => [[0, 2, 1], 3], targets: [{ path: [0], kind: 'numbers', names: ['labels'] }, { path: [1], kind: 'count', names: ['classes'] }] },
  {
    name: 'loadMnist', valid: () => [{ limit: 8, seed: 1, normalize: 'standard', pad: 2 }], documentedErrors: fileError,
    targets: [{ path: [0, 'limit'], kind: 'count', names: ['options'] }, { path: [0, 'pad'], kind: 'count', names: ['options'] }, { path: [0, 'normalize'], kind: 'enum', names: ['options'] }, { path: [0, 'split'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'loadFashionMnist', valid: () => [{ limit: 8, seed: 1 }], documentedErrors: fileError,
    targets: [{ path: [0, 'limit'], kind: 'count', names: ['options'] }, { path: [0, 'seed'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'loadImdb', valid: () => [{ limit: 8, seed: 1, vocabSize: 100, maxLength: 20 }], documentedErrors: fileError,
    targets: [{ path: [0, 'limit'], kind: 'count', names: ['options'] }, { path: [0, 'vocabSize'], kind: 'count', names: ['options'] }, { path: [0, 'maxLength'], kind: 'count', names: ['options'] },
      { path: [0, 'padding'], kind: 'enum', names: ['options'] }, { path: [0, 'truncating'], kind: 'enum', names: ['options'] }],
  },
  { name: 'loadImdbReviews', valid: () => [], targets: [] },
  {
    name: 'imdbBagOfWords', valid: () => [{ split: 'test', limit: 8, vocabSize: 100, binary: false }], documentedErrors: fileError,
    targets: [{ path: [0, 'split'], kind: 'enum', names: ['options'] }, { path: [0, 'limit'], kind: 'count', names: ['options'] }, { path: [0, 'vocabSize'], kind: 'count', names: ['options'] }, { path: [0, 'testFraction'], kind: 'number', names: ['options'] }],
  },
  { name: 'imdbSplitIndices', valid: () => [[0, 1, 1, 0, 1], 3, 0.4], targets: [{ path: [0], kind: 'numbers', names: ['labels'] }, { path: [1], kind: 'count', names: ['splitSeed'] }, { path: [2], kind: 'number', names: ['testFraction'] }] },
  { name: 'tokenize', valid: () => ['A fine film, really.'], targets: [] },
  { name: 'buildVocabulary', valid: () => [['a b c', 'a b'], 4], targets: [{ path: [1], kind: 'count', names: ['size'] }] },
  { name: 'encode', valid: () => ['a b', imdb.vocab], targets: [] },
  { name: 'decode', valid: () => [[2, 3, 1], imdb.vocab], targets: [{ path: [0], kind: 'numbers', names: ['ids'] }] },
  { name: 'parseIdx', valid: () => [idx()], documentedErrors: fileError, targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['value'], names: ['bytes'] }] },
  { name: 'readIdx', valid: () => { fs.mkdirSync('/tmp/ldl-fuzz', { recursive: true }); fs.writeFileSync('/tmp/ldl-fuzz/x.idx', idx()); return ['/tmp/ldl-fuzz/x.idx']; }, documentedErrors: fileError, targets: [{ path: [0], kind: 'path', names: ['file'] }] },
  noArgs('clearIdxCache'), noArgs('idxCacheSize'),
  { name: 'parseMat', valid: () => [new Uint8Array(fs.readFileSync(findSongbirdMat()))], documentedErrors: fileError, targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['value', 'long'], names: ['bytes'] }] },
  { name: 'readMat', valid: () => [findSongbirdMat(), { unsupported: 'skip' }], documentedErrors: fileError, targets: [{ path: [0], kind: 'path', names: ['file'] }, { path: [1, 'unsupported'], kind: 'enum', names: ['options'] }] },
  { name: 'loadSongbird', valid: () => [{}], documentedErrors: fileError, targets: [{ path: [0, 'file'], kind: 'path', names: ['options'] }] },
  { name: 'findSongbirdMat', valid: () => [], documentedErrors: fileError, targets: [{ path: [0], kind: 'path', names: ['file'] }] },
  noArgs('songbirdCandidates'),
];

function noArgs(name: string): FuzzEntry {
  return { name, valid: () => [], targets: [] };
}

export const table: Table = {
  module: 'data',
  entries,
  setup() {
    mnist = loadMnist({ limit: 16, seed: 0 });
    imdb = loadImdb({ limit: 8, vocabSize: 100, maxLength: 20 });
  },
  exempt: {
    DataNotFoundError: 'class: an error type the loaders throw (a documented result here)',
    DataFormatError: 'class: an error type the parsers throw (a documented result here)',
    MatArray: 'class: built by parseMat/readMat from a file, fuzzed there',
    MatFile: 'class: built by parseMat/readMat from a file, fuzzed there',
    MNIST_CLASS_NAMES: 'constant: class names',
    FASHION_MNIST_CLASS_NAMES: 'constant: class names',
    FASHION_MNIST_SYSTEM_DIR: 'constant: a path',
    PIXEL_STATISTICS: 'constant: published pixel means and deviations',
    PAD_ID: 'constant: a token id',
    UNKNOWN_ID: 'constant: a token id',
    PAD_TOKEN: 'constant: a token',
    UNKNOWN_TOKEN: 'constant: a token',
  },
};
