/**
 * Orthonormalisation of the rows of a k x dim block (k <= dim), V = L Q with
 * L lower triangular, positive diagonal, and rows of Q orthonormal: the QR of
 * V^T, i.e. Gram-Schmidt in row order. The project's one QR: Lyapunov spectra
 * (lib/dynamics) re-orthonormalise tangent frames with it, manifold capacity
 * (lib/geometry) retracts onto the Stiefel manifold with it.
 *
 * CholeskyQR2 on the BLAS (G = V V^T = L L^T, Q = L^{-1} V, twice) is
 * orthogonal to rounding while cond(V) < 1e7; a worse-conditioned block falls
 * back to twice-repeated modified Gram-Schmidt. log L_ii is accumulated into
 * `logDiag` (the Lyapunov exponents are its time averages).
 *
 * Exports: QrWorkspace, qrWorkspace, orthonormalizeRows.
 */
import { gemm } from './gemm';
import { choleskyInPlace } from './linalg';
import { ArgumentError, checkFinite, checkInteger } from './validate';

/** Inverse of a lower-triangular L (row-major k x k), written to `out` (zeros above the diagonal). */
function invertLower(L: Float64Array, k: number, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j < k; j++) {
    out[j * k + j] = 1 / L[j * k + j];
    for (let i = j + 1; i < k; i++) {
      let s = 0;
      for (let p = j; p < i; p++) s -= L[i * k + p] * out[p * k + j];
      out[i * k + j] = s / L[i * k + i];
    }
  }
}

/** Workspace of `orthonormalizeRows` for k rows of length dim, reused across calls of one size. */
export interface QrWorkspace { readonly k: number; readonly dim: number; G: Float64Array; Linv: Float64Array; tmp: Float64Array }

/** A workspace for repeated `orthonormalizeRows` calls on k x dim blocks (the Lyapunov QR steps). */
export function qrWorkspace(k: number, dim: number): QrWorkspace {
  checkInteger('dim', dim, 1);
  checkInteger('k', k, 1, dim);
  return { k, dim, G: new Float64Array(k * k), Linv: new Float64Array(k * k), tmp: new Float64Array(k * dim) };
}

/** One CholeskyQR pass: V <- L^{-1} V, logDiag += log L_ii. False (V unchanged) when ill-conditioned. */
function choleskyPass(V: Float64Array, k: number, dim: number, logDiag: Float64Array, w: QrWorkspace): boolean {
  gemm(k, k, dim, V, V, w.G, { transB: true });
  if (!choleskyInPlace(w.G, k)) return false;
  let lo = Infinity, hi = 0;
  for (let i = 0; i < k; i++) {
    const d = w.G[i * k + i];
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  if (lo < 1e-7 * hi) return false; // cond(V) ~ hi/lo: beyond 1e7 CholeskyQR2 loses orthogonality
  invertLower(w.G, k, w.Linv);
  gemm(k, dim, k, w.Linv, V, w.tmp);
  V.set(w.tmp);
  for (let i = 0; i < k; i++) logDiag[i] += Math.log(w.G[i * k + i]);
  return true;
}

/** Twice-repeated modified Gram-Schmidt on rows (robust fallback). */
function gramSchmidtRows(V: Float64Array, k: number, dim: number, logDiag: Float64Array): void {
  for (let i = 0; i < k; i++) {
    const vi = V.subarray(i * dim, (i + 1) * dim);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const vj = V.subarray(j * dim, (j + 1) * dim);
        let r = 0;
        for (let p = 0; p < dim; p++) r += vj[p] * vi[p];
        for (let p = 0; p < dim; p++) vi[p] -= r * vj[p];
      }
    }
    let nrm = 0;
    for (let p = 0; p < dim; p++) nrm += vi[p] * vi[p];
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0)) throw new ArgumentError('V', 'linearly independent rows', `row ${i} collapsed to norm ${nrm}`);
    for (let p = 0; p < dim; p++) vi[p] /= nrm;
    logDiag[i] += Math.log(nrm);
  }
}

/**
 * Orthonormalises the k rows of V (k x dim) in place, V_old = L V_new with L
 * lower triangular and positive diagonal; adds log L_ii to `logDiag`. Returns
 * true when it had to fall back to Gram-Schmidt. `work` (from `qrWorkspace(k, dim)`) saves
 * the allocations when the same size is orthonormalised many times.
 */
export function orthonormalizeRows(V: Float64Array, k: number, dim: number, logDiag: Float64Array, work?: QrWorkspace): boolean {
  checkInteger('dim', dim, 1);
  checkInteger('k', k, 1, dim);
  if (V?.length !== k * dim) throw new ArgumentError('V', `${k * dim} values (k x dim, row-major)`, V);
  if (logDiag?.length !== k) throw new ArgumentError('logDiag', `${k} values (one per row)`, logDiag);
  checkFinite('V', V);
  if (work !== undefined && (work.k !== k || work.dim !== dim)) throw new ArgumentError('work', `a qrWorkspace(${k}, ${dim})`, `qrWorkspace(${work.k}, ${work.dim})`);
  const w = work ?? qrWorkspace(k, dim);
  if (choleskyPass(V, k, dim, logDiag, w) && choleskyPass(V, k, dim, logDiag, w)) return false;
  // A failed pass leaves V as it was before that pass and logDiag holding the factors of the passes that
  // succeeded, so Gram-Schmidt of the current V completes the same factorisation.
  gramSchmidtRows(V, k, dim, logDiag);
  return true;
}
