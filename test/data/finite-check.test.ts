/**
 * toArrayDataset's check for NaN and infinite inputs (lib/data/datasets.ts,
 * firstNonFinite): screened by float64 column sums in the add-on or by a
 * block sum of x * 0 in JS, both must find exactly what Number.isFinite on
 * every value finds (brute force), wherever the bad value sits; a loader's
 * data set with one NaN pixel is refused, naming the example; values whose
 * float32 column sums overflow are still accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon, Rng } from '../../lib/core';
import { toArrayDataset } from '../../lib/data';
import { firstNonFinite } from '../../lib/data/datasets';

const addon = nativeAddon();
const screens: [string, typeof addon][] = [['JS block sums', null]];
if (addon) screens.push(['add-on column sums', addon]);

function bruteForce(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

test('the screens find the first non-finite value as a per-value test does', () => {
  const rng = new Rng(11);
  for (const [label, a] of screens) {
    for (let trial = 0; trial < 60; trial++) {
      const rows = 1 + rng.int(40);
      const cols = 1 + rng.int(300);
      const x = rng.normalArray(rows * cols, 0, 3) as Float32Array;
      const bad = trial % 6;
      const where: number[] = [];
      if (bad > 0) for (let b = 0; b < bad; b++) where.push(b === 0 && trial % 4 === 0 ? x.length - 1 : rng.int(x.length));
      for (const w of where) x[w] = [NaN, Infinity, -Infinity][rng.int(3)];
      assert.equal(firstNonFinite(x, rows, cols, a), bruteForce(x), `${label}, trial ${trial}: ${rows} x ${cols}, bad at ${where.join(', ')}`);
    }
    // Finite values whose float32 column sums overflow (3e38 + 3e38) are not taken for non-finite ones.
    const big = new Float32Array(4 * 5).fill(3e38);
    assert.equal(firstNonFinite(big, 4, 5, a), -1, label);
    // +Infinity and -Infinity in one column sum to NaN: still found.
    const pair = new Float32Array([Infinity, 1, -Infinity, 2]);
    assert.equal(firstNonFinite(pair, 2, 2, a), 0, label);
  }
});

test('a NaN pixel in a loader-shaped data set is refused, naming the example', () => {
  const count = 50;
  const images = new Rng(3).uniformArray(count * 784, 0, 1) as Float32Array;
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  const net = { inputShape: [784], outputSize: 10 };
  assert.equal(toArrayDataset({ images, labels, count, height: 28, width: 28 } as never, net).count, count);
  images[37 * 784 + 400] = NaN;
  assert.throws(() => toArrayDataset({ images, labels, count, height: 28, width: 28 } as never, net), /data\.x: expected finite values only, got NaN at example 37/);
  images[37 * 784 + 400] = 0.5;
  images[count * 784 - 1] = -Infinity;
  assert.throws(() => toArrayDataset({ x: images, y: labels, count }, net, 'train'), /train\.x: expected finite values only, got -Infinity at example 49/);
});
