/**
 * Classical (Torgerson) multidimensional scaling: points whose Euclidean
 * distances best match a given distance matrix D (n x n, symmetric, zero
 * diagonal). With J = I - 11^T / n,
 *
 *   B = -1/2 J (D o D) J   (the Gram matrix of centred points when D is Euclidean)
 *   B = V diag(l) V^T,  l descending;  coordinates X_k = V_k diag(sqrt(max(l_k, 0)))
 *
 * The embedding is centred (its columns sum to 0) and defined up to a rotation
 * or reflection (and a sign per axis). A Euclidean D of points in R^k is
 * reproduced exactly by k coordinates, with eigenvalues beyond k zero; negative
 * eigenvalues measure how far D is from Euclidean (`negativeMass`).
 *
 * Exports: classicalMds, Mds.
 */
import { ArgumentError, checkFinite, checkInteger, symEig } from '../core';

export interface Mds {
  /** Coordinates [n x k], row i the point of item i. */
  coordinates: Float64Array;
  n: number;
  k: number;
  /** All eigenvalues of B, descending. */
  eigenvalues: Float64Array;
  /** Fraction of sum_i max(l_i, 0) carried by the k kept dimensions. */
  explainedRatio: number;
  /** sum |negative l_i| / sum |l_i|: 0 for a Euclidean distance matrix. */
  negativeMass: number;
}

/** Classical MDS of a flat n x n distance matrix into k dimensions (default 2). */
export function classicalMds(distances: ArrayLike<number>, n: number, k = 2): Mds {
  checkInteger('n', n, 1);
  checkInteger('k', k, 1, n);
  if (distances == null || distances.length !== n * n) throw new ArgumentError('distances', `a flat n x n = ${n * n} matrix`, distances);
  checkFinite('distances', distances);
  const scale = Math.max(...Array.from(distances, Math.abs), 0);
  for (let i = 0; i < n; i++) {
    if (distances[i * n + i] !== 0) throw new ArgumentError('distances', 'a zero diagonal', `d[${i}][${i}] = ${distances[i * n + i]}`);
    for (let j = 0; j < n; j++) {
      const d = distances[i * n + j];
      if (d < 0) throw new ArgumentError('distances', 'non-negative entries', `d[${i}][${j}] = ${d}`);
      if (Math.abs(d - distances[j * n + i]) > 1e-12 * scale) throw new ArgumentError('distances', 'a symmetric matrix', `d[${i}][${j}] = ${d}, d[${j}][${i}] = ${distances[j * n + i]}`);
    }
  }
  // Double centring of -1/2 D^2 (symmetrised so the eigensolver sees exact symmetry).
  const b = new Float64Array(n * n);
  const rowMean = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const v = -0.25 * (distances[i * n + j] ** 2 + distances[j * n + i] ** 2);
    b[i * n + j] = v;
    rowMean[i] += v / n;
  }
  for (let i = 0; i < n; i++) all += rowMean[i] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] += all - rowMean[i] - rowMean[j];
  const e = symEig({ data: b, rows: n, cols: n });
  const coordinates = new Float64Array(n * k);
  for (let r = 0; r < k; r++) {
    const s = Math.sqrt(Math.max(0, e.values[r]));
    for (let i = 0; i < n; i++) coordinates[i * k + r] = e.vectors.get(i, r) * s;
  }
  let pos = 0, neg = 0, kept = 0;
  e.values.forEach((l, i) => {
    if (l > 0) pos += l;
    else neg -= l;
    if (i < k && l > 0) kept += l;
  });
  return { coordinates, n, k, eigenvalues: Float64Array.from(e.values), explainedRatio: pos > 0 ? kept / pos : 0, negativeMass: pos + neg > 0 ? neg / (pos + neg) : 0 };
}
