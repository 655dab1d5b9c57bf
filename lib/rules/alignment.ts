/**
 * Alignment metrics: how close a rule's signals and feedback are to BP's.
 * Private to lib/rules; exported through index.ts. Plain functions of
 * tensors and matrices (no network), so network.ts and the rule families
 * use them without an import circle; the per-network measurements are
 * `Network.alignment` and `errorSubspaceAngles` (subspace-angles.ts).
 *
 *   angle(a, b)        = arccos(<a, b> / (|a| |b|)), a and b flattened (float64 sums)
 *   principal angles   theta_i = arccos(sigma_i(Q_A^T Q_B)), Q_A, Q_B orthonormal
 *                      bases of the column spaces (Bjorck & Golub 1973)
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkFinite, checkInteger, cosine, Matrix, svd, symEig, toMatrix } from '../core';

/** Angle in degrees between two tensors seen as flat vectors (float64 accumulation); NaN if one is zero. */
export function angleBetween(a: tf.Tensor, b: tf.Tensor): number {
  if (a.size !== b.size) throw new ArgumentError('b', `a tensor of ${a.size} entries`, b);
  const c = Math.max(-1, Math.min(1, cosine(a.dataSync(), b.dataSync())));
  return (Math.acos(c) * 180) / Math.PI;
}

/** Orthonormal basis (columns) of the column space of A (thin SVD; columns with s <= 1e-12 s_max dropped). */
export function orthonormalBasis(A: Matrix): Matrix {
  const { u, s } = svd(toMatrix('A', A));
  const keep = s.filter((x) => x > 1e-12 * (s[0] || 1)).length;
  return u.subMatrix(0, u.rows - 1, 0, keep - 1);
}

/**
 * Principal angles (degrees, largest first) between the column spaces of
 * A [n, p] and B [n, q]: the singular values of Q_A^T Q_B are their cosines
 * (Bjorck & Golub 1973), with Q_A, Q_B orthonormal bases.
 */
export function principalAngles(A: Matrix, B: Matrix): number[] {
  if (A.rows !== B.rows) throw new ArgumentError('B', `a matrix with ${A.rows} rows`, `${B.rows} rows`);
  const qa = orthonormalBasis(A);
  const qb = orthonormalBasis(toMatrix('B', B));
  const { s } = svd(qa.transpose().mmul(qb));
  return Array.from(s, (c) => (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI).sort((a, b) => b - a);
}

/** The top-r eigenvectors (columns) of a symmetric matrix. */
export function topEigenvectors(C: Matrix, r: number): Matrix {
  checkInteger('r', r, 1, C.rows);
  const { vectors } = symEig(C);
  return vectors.subMatrix(0, vectors.rows - 1, 0, r - 1);
}

/** Covariance [m, m] of rows of a batch (centred over the rows), float64. */
export function rowCovariance(rows: tf.Tensor): Matrix {
  const m = rows.shape[rows.shape.length - 1];
  const d = rows.dataSync();
  checkFinite('rows', d);
  const n = d.length / m;
  const mean = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j] += d[i * m + j] / n;
  const C = new Matrix(m, m);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < m; a++) {
      const xa = d[i * m + a] - mean[a];
      for (let b = a; b < m; b++) C.set(a, b, C.get(a, b) + (xa * (d[i * m + b] - mean[b])) / n);
    }
  }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) C.set(a, b, C.get(b, a));
  return C;
}
