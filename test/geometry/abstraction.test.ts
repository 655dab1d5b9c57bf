/**
 * lib/geometry/abstraction: parallelism and cross-condition generalisation on hand-built geometries whose
 * answers are known (a factorised embedding, a context-flipped code, random condition means), and RSA
 * against a hand-computed dissimilarity matrix, Spearman ranks and invariances.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng } from '../../lib/core';
import { crossConditionGeneralisation, dissimilarityMatrix, parallelismScore, representationalSimilarity } from '../../lib/geometry';

/** Samples of 3 binary variables (8 conditions x reps), responses mean(condition) + noise in `dim` dimensions. */
function task(mean: (f: number[]) => number[], dim: number, reps: number, noise: number, seed: number) {
  const r = rng(seed), rows: number[] = [], factors: number[][] = [[], [], []];
  for (let c = 0; c < 8; c++) {
    const f = [c & 1, (c >> 1) & 1, (c >> 2) & 1];
    const mu = mean(f);
    for (let q = 0; q < reps; q++) {
      f.forEach((v, k) => factors[k].push(v));
      for (let k = 0; k < dim; k++) rows.push(mu[k] + noise * r.normal());
    }
  }
  return { rows, factors };
}

test('parallelismScore: 1 for a factorised embedding, the cosine by hand for two coding vectors, near 0 for random means', () => {
  const dim = 20, r = rng(1), u = [0, 1, 2].map(() => Array.from({ length: dim }, () => r.normal()));
  const lin = task((f) => u[0].map((_, k) => f.reduce((s, v, j) => s + (2 * v - 1) * u[j][k], 0)), dim, 5, 0, 2);
  for (const t of [0, 1, 2]) assert.ok(Math.abs(parallelismScore(lin.rows, dim, lin.factors, t) - 1) < 1e-12);
  // two variables in 2-D: target 0's coding vector is (1, 0) when variable 1 is 0 and (1, 1) when it is 1: cos 45 deg
  const rows = [0, 0, 1, 0, 0, 5, 1, 6], factors = [[0, 1, 0, 1], [0, 0, 1, 1]];
  assert.ok(Math.abs(parallelismScore(rows, 2, factors, 0) - Math.SQRT1_2) < 1e-12);
  const rand = task(() => Array.from({ length: 200 }, () => r.normal()), 200, 3, 0, 3);
  assert.ok(Math.abs(parallelismScore(rand.rows, 200, rand.factors, 0)) < 0.25);
});

test('crossConditionGeneralisation: near 1 for a factorised code, near 0 where the code flips with the context', () => {
  const dim = 10, r = rng(4), u = [0, 1, 2].map(() => Array.from({ length: dim }, () => r.normal()));
  const lin = task((f) => u[0].map((_, k) => f.reduce((s, v, j) => s + (2 * v - 1) * u[j][k], 0)), dim, 10, 0.3, 5);
  assert.ok(crossConditionGeneralisation(lin.rows, dim, lin.factors, 0) > 0.95);
  // target 0 coded along u0 with a sign set by variable 1 (an XOR-like code): a decoder trained where
  // variable 1 = 0 is inverted where it is 1 (score ~0 in both contexts of variable 1); in the contexts of
  // variable 2 the training set holds both signs (no linear decoder: ~1/2). Mean ~1/4, well below chance
  const flip = task((f) => u[0].map((_, k) => (2 * f[0] - 1) * (2 * f[1] - 1) * u[0][k] + (2 * f[1] - 1) * u[1][k] + (2 * f[2] - 1) * u[2][k]), dim, 10, 0.3, 6);
  const c = crossConditionGeneralisation(flip.rows, dim, flip.factors, 0);
  assert.ok(c > 0.1 && c < 0.4, `flip ${c}`);
  // with variable 1 the only context the score is the two inverted contexts alone
  const two = { rows: flip.rows, factors: [flip.factors[0], flip.factors[1]] };
  assert.ok(crossConditionGeneralisation(two.rows, dim, two.factors, 0) < 0.05);
});

test('dissimilarityMatrix and representationalSimilarity against hand values and invariances', () => {
  // three patterns: a, 2a + 1 (correlation 1), and -a (correlation -1)
  const a = [1, 2, 4], rows = [...a, ...a.map((x) => 2 * x + 1), ...a.map((x) => -x)];
  const d = dissimilarityMatrix(rows, 3);
  const want = [0, 0, 2, 0, 0, 2, 2, 2, 0];
  d.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12, `rdm ${i}: ${x}`));
  const r = rng(7), n = 8, dim = 12, X = Array.from({ length: n * dim }, () => r.normal());
  // scaling and offsetting the patterns leaves the correlation RDM, so RSA = 1
  const Y = X.map((x) => 3 * x + 2);
  assert.ok(Math.abs(representationalSimilarity(X, dim, Y, dim) - 1) < 1e-12);
  const dx = dissimilarityMatrix(X, dim);
  const upper: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upper.push(dx[i * n + j]);
  // Spearman by hand on a second random representation
  const Z = Array.from({ length: n * dim }, () => r.normal()), dz = dissimilarityMatrix(Z, dim), uz: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) uz.push(dz[i * n + j]);
  const rank = (v: number[]) => v.map((x) => v.filter((y) => y < x).length);
  const rx = rank(upper), rz = rank(uz), mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(rx), mz = mean(rz);
  const rho = rx.reduce((s, x, q) => s + (x - mx) * (rz[q] - mz), 0) / Math.sqrt(rx.reduce((s, x) => s + (x - mx) ** 2, 0) * rz.reduce((s, x) => s + (x - mz) ** 2, 0));
  assert.ok(Math.abs(representationalSimilarity(X, dim, Z, dim) - rho) < 1e-12);
});
