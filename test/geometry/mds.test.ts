/**
 * Classical MDS recovers a planar configuration up to rotation, reflection and
 * translation: the embedding's pairwise distances equal the originals, the
 * orthogonal Procrustes fit (closed form for 2-D) maps it onto the centred
 * original with zero residual, and the eigenvalues beyond 2 vanish.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import { classicalMds } from '../../lib/geometry';

function distances(pts: Float64Array, n: number, d: number): Float64Array {
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += (pts[i * d + a] - pts[j * d + a]) ** 2;
    D[i * n + j] = Math.sqrt(s);
  }
  return D;
}

test('classical MDS recovers a planar configuration up to rotation and reflection', () => {
  const n = 12;
  const rng = new Rng(3);
  const pts = Float64Array.from({ length: 2 * n }, () => 5 * rng.uniform() + 2);
  const D = distances(pts, n, 2);
  const mds = classicalMds(D, n, 2);
  const E = distances(mds.coordinates, n, 2);
  for (let i = 0; i < n * n; i++) assert.ok(Math.abs(E[i] - D[i]) < 1e-9, `distance ${i}`);
  for (let r = 2; r < n; r++) assert.ok(Math.abs(mds.eigenvalues[r]) < 1e-9 * mds.eigenvalues[0]);
  assert.ok(mds.negativeMass < 1e-12 && Math.abs(mds.explainedRatio - 1) < 1e-12);
  // Procrustes: centre the original; the best rotation or reflection Q (2 x 2) maps the embedding onto it.
  const c = [0, 1].map((a) => pts.filter((_, i) => i % 2 === a).reduce((s, v) => s + v, 0) / n);
  let sxx = 0, sxy = 0, syx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const [u, v] = [mds.coordinates[2 * i], mds.coordinates[2 * i + 1]];
    const [x, y] = [pts[2 * i] - c[0], pts[2 * i + 1] - c[1]];
    sxx += u * x; sxy += u * y; syx += v * x; syy += v * y;
  }
  let best = Infinity;
  for (const reflect of [1, -1]) {
    // Rotation angle maximising tr(Q^T M) for the embedding with its second axis multiplied by `reflect`.
    const th = Math.atan2(sxy - reflect * syx, sxx + reflect * syy);
    let res = 0;
    for (let i = 0; i < n; i++) {
      const u = mds.coordinates[2 * i], v = reflect * mds.coordinates[2 * i + 1];
      const x = Math.cos(th) * u - Math.sin(th) * v, y = Math.sin(th) * u + Math.cos(th) * v;
      res += (x - (pts[2 * i] - c[0])) ** 2 + (y - (pts[2 * i + 1] - c[1])) ** 2;
    }
    best = Math.min(best, res);
  }
  assert.ok(best < 1e-16 * n * 25, `Procrustes residual ${best}`);
});

test('a non-Euclidean dissimilarity shows negative mass; bad matrices name distances', () => {
  // Triangle inequality broken: d(0,2) > d(0,1) + d(1,2).
  const D = [0, 1, 5, 1, 0, 1, 5, 1, 0];
  const mds = classicalMds(D, 3, 1);
  assert.ok(mds.negativeMass > 0.1);
  assert.throws(() => classicalMds([0, 1, 2, 0], 2), /symmetric/);
  assert.throws(() => classicalMds([1, 1, 1, 0], 2), /diagonal/);
  assert.throws(() => classicalMds([0, 1, 1], 2), /distances/);
});
