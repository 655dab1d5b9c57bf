/**
 * lib/studies/tour: the per-class pixel table, class-mean images and cosines,
 * checked on hand-built 2x2 images whose answers are worked out by hand.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ImageDataset } from '../../lib/data';
import { classPixelSummary, classMeanImages, cosineSimilarities, mostSimilarPair } from '../../lib/studies/tour';

/** Three 2x2 images: two of class 0, one of class 2; class 1 is empty. */
function handSet(): ImageDataset {
  const images = Float32Array.from([
    1, 0, 0, 0, // class 0: mean 0.25, one pixel of ink
    1, 1, 0.5, 0, // class 0: mean 0.625, two pixels above 0.5 (0.5 itself is not ink)
    0.25, 0.25, 0.75, 0.75, // class 2: mean 0.5, two pixels of ink
  ]);
  return {
    name: 'mnist', split: 'test', images, labels: Int32Array.from([0, 0, 2]), count: 3, height: 2, width: 2,
    channels: 1, classes: 3 as 10, classNames: ['a', 'b', 'c'], pad: 0, indices: Int32Array.from([0, 1, 2]), source: 'hand',
    normalization: undefined as unknown as ImageDataset['normalization'],
  };
}

test('classPixelSummary: counts, mean pixel and ink fraction per class, and the set mean', () => {
  const { rows, meanPixel } = classPixelSummary(handSet());
  assert.deepEqual(rows.map((r) => [r.class, r.images]), [['a', 2], ['b', 0], ['c', 1]]);
  assert.equal(rows[0].meanPixel, (1 + 2.5) / 8);
  assert.equal(rows[0].inkFraction, 3 / 8);
  assert.ok(Number.isNaN(rows[1].meanPixel)); // no images: 0/0
  assert.equal(rows[2].meanPixel, 0.5);
  assert.equal(rows[2].inkFraction, 0.5);
  assert.equal(rows[0].dataset, 'mnist');
  // The whole set: (1 + 2.5 + 2) / 12 pixels; the empty class adds nothing.
  assert.ok(Math.abs(meanPixel - 5.5 / 12) < 1e-15);
  const full = handSet();
  full.labels = Int32Array.from([0, 1, 2]);
  const s = classPixelSummary(full);
  assert.deepEqual(s.rows.map((r) => r.meanPixel), [0.25, 0.625, 0.5]);
  assert.ok(Math.abs(s.meanPixel - 1.375 / 3) < 1e-15);
  assert.equal(classPixelSummary(full, 0.2).rows[2].inkFraction, 1);
});

test('classMeanImages and cosineSimilarities: known means and angles', () => {
  const means = classMeanImages(handSet());
  assert.deepEqual([...means[0]], [1, 0.5, 0.25, 0]);
  assert.ok(means[1].every((v) => Number.isNaN(v)));
  assert.deepEqual([...means[2]], [0.25, 0.25, 0.75, 0.75]);
  // e1, e1 + e2 (45 degrees), e2 (90 degrees), 3 e1 (parallel)
  const cos = cosineSimilarities([[1, 0], [1, 1], [0, 1], [3, 0]]);
  const expected = [
    [1, Math.SQRT1_2, 0, 1],
    [Math.SQRT1_2, 1, Math.SQRT1_2, Math.SQRT1_2],
    [0, Math.SQRT1_2, 1, 0],
    [1, Math.SQRT1_2, 0, 1],
  ];
  cos.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) < 1e-15, `cos[${i}][${j}] = ${v}`)));
  assert.deepEqual(mostSimilarPair(cos), [0, 3]);
  assert.deepEqual(mostSimilarPair([[1, 0.2, 0.9], [0.2, 1, 0.95], [0.9, 0.95, 1]]), [1, 2]);
  assert.throws(() => cosineSimilarities([[1, 2], [1]]), /vectors\[1\]: expected a vector of length 2/);
  assert.throws(() => mostSimilarPair([[1]]), /similarity: expected a square matrix/);
});
