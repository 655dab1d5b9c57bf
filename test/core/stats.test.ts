import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Rng, formatMedianRange, median, passRate, quantile, summarize, valueRange } from '../../lib/core';

test('the median splits random samples in halves, whatever their order; quantile(0.5) is the median', () => {
  const r = new Rng(3);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + Math.floor(r.uniform() * 9);
    const v = Array.from({ length: n }, () => Math.round(r.normal() * 100) / 10);
    const m = median(v);
    // defining property: at most half the values lie strictly below and at most half strictly above
    assert.ok(v.filter((x) => x < m).length <= n / 2 && v.filter((x) => x > m).length <= n / 2, `median ${m} of ${v}`);
    assert.equal(median(Float64Array.from(v).reverse()), m);
    assert.ok(Math.abs(quantile(v, 0.5) - m) <= 1e-12 * (1 + Math.abs(m)));
    assert.deepEqual(valueRange(v), [Math.min(...v), Math.max(...v)]);
    assert.equal(quantile(v, 0), Math.min(...v));
    assert.equal(quantile(v, 1), Math.max(...v));
  }
  assert.equal(median([5, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test('quantile interpolates linearly between order statistics (NumPy linear: quantile([1,2,3,4], 0.25) = 1.75)', () => {
  assert.equal(quantile([4, 1, 3, 2], 0.25), 1.75);
  assert.equal(quantile([10, 20], 0.1), 11);
});

test('summarize gives count, median, range and mean', () => {
  assert.deepEqual(summarize([3, 1, 2, 10]), { n: 4, median: 2.5, min: 1, max: 10, mean: 4 });
});

test('formatMedianRange: median (min-max); one value alone; a placeholder for none', () => {
  assert.equal(formatMedianRange([0.3, 0.1, 0.2], 2), '0.20 (0.10-0.30)');
  assert.equal(formatMedianRange([1.234], { digits: 1 }), '1.2');
  assert.equal(formatMedianRange([], { empty: 'diverged' }), 'diverged');
  assert.equal(formatMedianRange([]), 'n/a');
  assert.equal(passRate([true, false, true]), '2/3');
});

test('empty input, NaN and non-arrays are errors that name the argument', () => {
  assert.throws(() => median([]), (e: unknown) => e instanceof ArgumentError && e.argument === 'values' && /empty/.test(e.message));
  assert.throws(() => median([1, NaN]), (e: unknown) => e instanceof ArgumentError && /index 1/.test(e.message));
  assert.throws(() => quantile([1], 1.5), (e: unknown) => e instanceof ArgumentError && e.argument === 'q');
  assert.throws(() => median(3 as unknown as number[]), (e: unknown) => e instanceof ArgumentError && e.argument === 'values');
  assert.throws(() => passRate([1] as unknown as boolean[]), (e: unknown) => e instanceof ArgumentError && e.argument === 'flags');
});
