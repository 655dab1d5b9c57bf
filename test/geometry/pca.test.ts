/**
 * PCA against closed forms: data built from known orthogonal directions with
 * known variances gives those directions, variances and fractions of variance;
 * the projection equals the explicit (x - mean) . v.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import { randomOrthogonal } from '../../lib/dynamics';
import { pca } from '../../lib/geometry';

test('pca of a rotated box of known variances: directions, variance explained, projection', () => {
  const dim = 5;
  const R = randomOrthogonal(dim, 4);
  const sd = [3, 2, 1, 0.5, 0.25];
  // Exactly balanced samples: +-sd_j along direction j (2 dim samples), then the mean shifted.
  const rows: number[] = [];
  const mean = [1, -2, 0.5, 3, 0];
  for (let j = 0; j < dim; j++) for (const s of [1, -1]) rows.push(...mean.map((m, a) => m + s * sd[j] * R[j][a]));
  const m = 2 * dim;
  const p = pca(rows, dim, 3);
  const variances = sd.map((s) => (2 * s * s) / (m - 1));
  const total = variances.reduce((a, b) => a + b, 0);
  for (let r = 0; r < 3; r++) {
    assert.ok(Math.abs(p.variance[r] - variances[r]) < 1e-12, `variance ${r}`);
    assert.ok(Math.abs(p.explainedRatio[r] - variances[r] / total) < 1e-12);
    let dot = 0;
    for (let a = 0; a < dim; a++) dot += p.components[r * dim + a] * R[r][a];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-12, `component ${r} is direction ${r}`);
  }
  assert.ok(Math.abs(p.totalVariance - total) < 1e-12);
  assert.ok(Math.abs(p.cumulativeExplained[2] - (variances[0] + variances[1] + variances[2]) / total) < 1e-12);
  mean.forEach((v, a) => assert.ok(Math.abs(p.mean[a] - v) < 1e-12));
  const x = new Rng(1).normalArray(2 * dim, 0, 1, 'float64');
  const proj = p.project(x);
  for (let i = 0; i < 2; i++) for (let r = 0; r < 3; r++) {
    let s = 0;
    for (let a = 0; a < dim; a++) s += (x[i * dim + a] - mean[a]) * p.components[r * dim + a];
    assert.ok(Math.abs(proj[i * 3 + r] - s) < 1e-12);
  }
  assert.throws(() => pca(rows.slice(1), dim), /rows/);
  assert.throws(() => pca(rows, dim, dim + 1), /k/);
});
