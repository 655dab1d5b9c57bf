/**
 * The tour (notebooks/tour.ipynb): not a study of a paper but the walk
 * through what every study stands on. This file holds the little it computes
 * around the library calls, so the notebook defines no maths:
 *
 *   per class c of a data set with S pixels per image,
 *     images_c        number of images labelled c
 *     meanPixel_c     (sum of the pixels of class c) / (images_c S)
 *     inkFraction_c   #{pixels of class c > threshold} / (images_c S)
 *     meanPixel       (sum_c meanPixel_c images_c) / count     (the whole set; empty classes add 0)
 *   class-mean image  m_c = (1 / images_c) sum_{k in c} x_k
 *   cosine            cos(a, b) = a.b / (|a| |b|)   (lib/core's cosine)
 *
 * Exports: classPixelSummary, classMeanImages, cosineSimilarities, mostSimilarPair.
 */
import { ArgumentError, checkNumber, cosine } from '../core';
import type { ImageDataset } from '../data';

/** One row of the per-class table. */
export interface ClassPixelRow {
  dataset: string;
  class: string;
  images: number;
  meanPixel: number;
  inkFraction: number;
}

export interface ClassPixelSummary {
  /** One row per class, in label order. */
  rows: ClassPixelRow[];
  /** Mean pixel value over the whole set (the rows' means weighted by their image counts). */
  meanPixel: number;
}

/** Per class: image count, mean pixel value and the fraction of pixels above `inkThreshold` (default 0.5). */
export function classPixelSummary(set: ImageDataset, inkThreshold = 0.5): ClassPixelSummary {
  checkNumber('inkThreshold', inkThreshold);
  const size = set.height * set.width;
  const count = new Array(set.classes).fill(0), sum = new Array(set.classes).fill(0), ink = new Array(set.classes).fill(0);
  for (let k = 0; k < set.count; k++) {
    const c = set.labels[k];
    count[c]++;
    for (let p = k * size; p < (k + 1) * size; p++) {
      sum[c] += set.images[p];
      if (set.images[p] > inkThreshold) ink[c]++;
    }
  }
  const rows = count.map((n, c) => ({ dataset: set.name, class: set.classNames[c], images: n, meanPixel: sum[c] / (n * size), inkFraction: ink[c] / (n * size) }));
  // A class without images has a NaN mean (0/0) and adds nothing to the whole set's.
  return { rows, meanPixel: rows.reduce((s, r) => (r.images === 0 ? s : s + r.meanPixel * r.images), 0) / set.count };
}

/** The mean image of each class (float64, `height x width` values each), in label order; a class without images gives NaN. */
export function classMeanImages(set: ImageDataset): Float64Array[] {
  const size = set.height * set.width;
  return set.classNames.map((_, c) => {
    const m = new Float64Array(size);
    let n = 0;
    for (let k = 0; k < set.count; k++) {
      if (set.labels[k] !== c) continue;
      n++;
      for (let p = 0; p < size; p++) m[p] += set.images[k * size + p];
    }
    return m.map((v) => v / n);
  });
}

/** The matrix of cosines between every pair of vectors (all the same length; a zero vector gives NaN). */
export function cosineSimilarities(vectors: ArrayLike<number>[]): number[][] {
  if (!Array.isArray(vectors) || vectors.length === 0) throw new ArgumentError('vectors', 'a non-empty array of vectors', vectors);
  const n = vectors[0].length;
  vectors.forEach((v, i) => {
    if (v === null || typeof v !== 'object' || v.length !== n) throw new ArgumentError(`vectors[${i}]`, `a vector of length ${n}`, v);
  });
  return vectors.map((a) => vectors.map((b) => cosine(a, b)));
}

/** The pair [i, j] (i < j) with the largest off-diagonal entry of a square matrix; the first such pair on a tie. */
export function mostSimilarPair(similarity: number[][]): [number, number] {
  const n = similarity.length;
  if (n < 2 || similarity.some((row) => row.length !== n)) throw new ArgumentError('similarity', 'a square matrix of at least 2 x 2', `${n} rows`);
  let best: [number, number] = [0, 1];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (similarity[i][j] > similarity[best[0]][best[1]]) best = [i, j];
  return best;
}
