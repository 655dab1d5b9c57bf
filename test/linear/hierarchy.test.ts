/**
 * lib/linear hierarchical data: the tree's level contrasts are orthonormal
 * eigenvectors of the expected item covariance built by brute force from the
 * lowest common ancestors, with the level eigenvalues of the closed form; the
 * sampled data's SVD has the tree's level structure (singular values grouped
 * and ordered by level, each group spanning its level's contrasts, near
 * sqrt(F lambda_l)); exceptions are the stated features.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { svd } from '../../lib/core';
import { hierarchicalData, matmul, toMlMatrix, treeLevelEigenvalues, treeModes } from '../../lib/linear';

/** Depth of the lowest common ancestor of leaves i and j. */
function lcaDepth(i: number, j: number, depth: number, B: number): number {
  let k = depth;
  while (i !== j) { i = Math.floor(i / B); j = Math.floor(j / B); k--; }
  return k;
}

test('treeModes are orthonormal eigenvectors of E[y_i y_j] = rho^(2(D - lca)), with treeLevelEigenvalues by level', () => {
  for (const [D, B, eps] of [[3, 2, 0.15], [2, 3, 0.1]] as const) {
    const P = B ** D, rho = 1 - 2 * eps;
    const C = Array.from({ length: P }, (_, i) => Array.from({ length: P }, (_, j) => rho ** (2 * (D - lcaDepth(i, j, D, B)))));
    const { vectors, levels } = treeModes(D, B);
    const lambda = treeLevelEigenvalues(D, B, eps);
    const VtV = matmul(vectors, vectors, true, false);
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) assert.ok(Math.abs(VtV.data[a * P + b] - (a === b ? 1 : 0)) < 1e-12);
    for (let c = 0; c < P; c++) {
      for (let i = 0; i < P; i++) {
        let Cv = 0;
        for (let j = 0; j < P; j++) Cv += C[i][j] * vectors.data[j * P + c];
        assert.ok(Math.abs(Cv - lambda[levels[c]] * vectors.data[i * P + c]) < 1e-12, `D ${D}, B ${B}, column ${c} (level ${levels[c]})`);
      }
    }
    for (let l = 1; l <= D; l++) assert.ok(lambda[l] < lambda[l - 1], 'eigenvalues fall with level');
    assert.deepEqual(levels.filter((l) => l === D).length, B ** (D - 1) * (B - 1));
  }
});

test('the sampled item-feature matrix\'s SVD has the tree\'s level structure (F = 4000, depth 3, binary)', () => {
  const D = 3, B = 2, eps = 0.15, F = 4000;
  const data = hierarchicalData({ depth: D, branching: B, features: F, flipProb: eps, seed: 7 });
  const d = svd(toMlMatrix(data.features));
  const { vectors, levels } = treeModes(D, B);
  const lambda = treeLevelEigenvalues(D, B, eps);
  const P = data.items;
  // Singular pairs sorted by value; the level-l group is the next count(l) of them.
  let start = 0;
  for (let l = 0; l <= D; l++) {
    const cols = levels.map((lv, c) => (lv === l ? c : -1)).filter((c) => c >= 0);
    for (let a = start; a < start + cols.length; a++) {
      // Fraction of the right singular vector inside the level's contrast span.
      let inside = 0;
      for (const c of cols) {
        let dot = 0;
        for (let i = 0; i < P; i++) dot += d.v.get(i, a) * vectors.data[i * P + c];
        inside += dot * dot;
      }
      assert.ok(inside > 0.9, `level ${l}, singular pair ${a}: ${inside} of its norm in the level's span`);
      const ratio = d.s[a] ** 2 / (F * lambda[l]);
      assert.ok(Math.abs(ratio - 1) < 0.15, `level ${l}, pair ${a}: s^2 / (F lambda) = ${ratio}`);
    }
    if (start > 0) assert.ok(d.s[start - 1] > d.s[start], 'groups ordered by level');
    start += cols.length;
  }
});

test('exceptions: +1 on the item\'s category except -1 on the item, -1 elsewhere; sampled features are +-1', () => {
  const data = hierarchicalData({ depth: 3, branching: 2, features: 5, seed: 1, exceptions: [{ item: 2, level: 1 }, { item: 5, level: 2 }] });
  const P = 8, Y = data.features;
  assert.deepEqual(data.exceptionRows, [5, 6]);
  assert.deepEqual(Array.from(Y.data.subarray(5 * P, 6 * P)), [1, 1, -1, 1, -1, -1, -1, -1]);
  assert.deepEqual(Array.from(Y.data.subarray(6 * P, 7 * P)), [-1, -1, -1, -1, 1, -1, -1, -1]);
  assert.ok(Array.from(Y.data.subarray(0, 5 * P)).every((v) => v === 1 || v === -1));
  const again = hierarchicalData({ depth: 3, branching: 2, features: 5, seed: 1 });
  assert.deepEqual(Array.from(again.features.data), Array.from(Y.data.subarray(0, 5 * P)), 'seeded');
});
