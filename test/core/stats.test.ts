import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Rng, blockStandardError, formatMedianRange, median, passRate, quantile, summarize, valueRange } from '../../lib/core';

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

test('blockStandardError: sd of the block estimates / sqrt(B) by hand, and its square averages sigma^2 / B over independent runs', () => {
  // [1, 2, 3, 4]: mean 2.5, squared deviations 5, sample variance 5/3, standard error sqrt(5/3 / 4)
  assert.ok(Math.abs(blockStandardError([4, 1, 3, 2]) - Math.sqrt(5 / 12)) < 1e-15);
  assert.equal(blockStandardError(Float64Array.of(7, 7, 7)), 0);
  assert.ok(Number.isNaN(blockStandardError([3])) && Number.isNaN(blockStandardError([])));
  assert.ok(Number.isNaN(blockStandardError([1, NaN, 2])));
  // i.i.d. N(0, sigma^2) block means: E[se^2] = sigma^2 / B exactly; relative s.d. of the mean of 4000 se^2: sqrt(2 / 9) / sqrt(4000) = 0.75%
  const r = new Rng(11), B = 10, sigma = 3, runs = 4000;
  let mean = 0;
  for (let t = 0; t < runs; t++) mean += blockStandardError(r.normalArray(B, 5, sigma, 'float64')) ** 2 / runs;
  assert.ok(Math.abs(mean / (sigma * sigma / B) - 1) < 0.03, `mean se^2 ${mean} vs ${sigma * sigma / B}`);
  assert.throws(() => blockStandardError(null as unknown as number[]), ArgumentError);
});
