/**
 * Small dense r x r solves for the CP and AMP updates (r is the rank: a few
 * to a few tens), in float64 plain JavaScript: Cholesky in place, solves of
 * many right-hand sides against one matrix, inverse and log-determinant of a
 * symmetric positive definite matrix.
 */
import { choleskyInPlace } from '../core';

/** Solves X V = M for each of `rows` rows of M (rows x r) with V symmetric positive (semi)definite; X overwrites M. */
export function solveRows(V: Float64Array, M: Float64Array, rows: number, r: number): void {
  let L = Float64Array.from(V);
  if (!choleskyInPlace(L, r)) {
    let tr = 0;
    for (let i = 0; i < r; i++) tr += V[i * r + i];
    const ridge = Math.max(1e-12 * tr / r, 1e-300);
    L = Float64Array.from(V);
    for (let i = 0; i < r; i++) L[i * r + i] += ridge;
    if (!choleskyInPlace(L, r)) { M.fill(0); return; }
  }
  for (let q = 0; q < rows; q++) {
    const o = q * r;
    // L y = m, then L^T x = y
    for (let i = 0; i < r; i++) {
      let s = M[o + i];
      for (let k = 0; k < i; k++) s -= L[i * r + k] * M[o + k];
      M[o + i] = s / L[i * r + i];
    }
    for (let i = r - 1; i >= 0; i--) {
      let s = M[o + i];
      for (let k = i + 1; k < r; k++) s -= L[k * r + i] * M[o + k];
      M[o + i] = s / L[i * r + i];
    }
  }
}

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
