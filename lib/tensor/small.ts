/**
 * Inverse and log-determinant of a small symmetric positive definite r x r
 * matrix for the AMP updates (r is the rank: a few to a few tens), in float64
 * plain JavaScript on lib/core's Cholesky (solves of many right-hand sides
 * against one such matrix are lib/core's solveRows).
 */
import { choleskyInPlace } from '../core';

/** Inverse and log-determinant of a symmetric positive definite r x r matrix; null when not positive definite. */
export function inverseSpd(V: Float64Array, r: number): { inverse: Float64Array; logDet: number } | null {
  const L = Float64Array.from(V);
  if (!choleskyInPlace(L, r)) return null;
  let logDet = 0;
  for (let i = 0; i < r; i++) logDet += 2 * Math.log(L[i * r + i]);
  const inv = new Float64Array(r * r);
  const col = new Float64Array(r);
  for (let j = 0; j < r; j++) {
    col.fill(0);
    col[j] = 1;
    for (let i = 0; i < r; i++) {
      let s = col[i];
      for (let k = 0; k < i; k++) s -= L[i * r + k] * col[k];
      col[i] = s / L[i * r + i];
    }
    for (let i = r - 1; i >= 0; i--) {
      let s = col[i];
      for (let k = i + 1; k < r; k++) s -= L[k * r + i] * col[k];
      col[i] = s / L[i * r + i];
    }
    for (let i = 0; i < r; i++) inv[i * r + j] = col[i];
  }
  return { inverse: inv, logDet };
}
