/**
 * Silhouette against values worked out by hand on points of a line, and its
 * limits: two far-apart tight clusters give ~1, labels that cut across the
 * clusters give a negative score, all-zero distances give 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silhouette } from '../../lib/geometry';

const lineDistances = (x: number[]) => Float64Array.from({ length: x.length ** 2 }, (_, k) => Math.abs(x[Math.floor(k / x.length)] - x[k % x.length]));

test('silhouette by hand on a line: points 0, 1 (A) and 4, 6 (B)', () => {
  const s = silhouette(lineDistances([0, 1, 4, 6]), 4, ['A', 'A', 'B', 'B']);
  // s(0): a = 1, b = (4 + 6)/2 = 5 -> 4/5. s(1): a = 1, b = (3 + 5)/2 = 4 -> 3/4.
  // s(2): a = 2, b = (4 + 3)/2 = 3.5 -> 1.5/3.5. s(3): a = 2, b = (6 + 5)/2 = 5.5 -> 3.5/5.5.
  const expected = [4 / 5, 3 / 4, 1.5 / 3.5, 3.5 / 5.5];
  expected.forEach((e, i) => assert.ok(Math.abs(s.perItem[i] - e) < 1e-15, `item ${i}`));
  assert.ok(Math.abs(s.score - expected.reduce((a, b) => a + b, 0) / 4) < 1e-15);
  const far = silhouette(lineDistances([0, 0.01, 100, 100.01]), 4, [1, 1, 2, 2]);
  assert.ok(far.score > 0.999);
  const across = silhouette(lineDistances([0, 0.01, 100, 100.01]), 4, [1, 2, 1, 2]);
  // Each item: a = distance to its far partner (~100), b = mean over the other label (~50): s ~ -1/2.
  assert.ok(Math.abs(across.score + 0.5) < 1e-3, `${across.score}`);
  assert.equal(silhouette(new Float64Array(9), 3, ['a', 'b', 'b']).score, 0);
  assert.throws(() => silhouette(lineDistances([0, 1]), 2, ['a', 'a']), /labels/);
  assert.throws(() => silhouette(lineDistances([0, 1, 2]), 3, ['a', 'b']), /labels/);
});
