/**
 * General matrix product on plain typed arrays, for hot loops that tfjs
 * expresses badly (per-column updates, small solves):
 *
 *   C = alpha * op(A) @ op(B) + beta * C        (row-major; op(X) = X or X^T)
 *
 * op(A) is m x k, op(B) is k x n, C is m x n. A, B and C are all Float32Array
 * or all Float64Array; subarray views are fine. Leading dimensions default to
 * the packed row length. The native BLAS add-on serves the call when it is
 * loaded (see native.ts); otherwise a blocked JavaScript loop does, with the
 * same result up to rounding.
 */
import { ArgumentError, checkInteger, checkNumber } from './validate';

export type FloatArray = Float32Array | Float64Array;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  lda?: number;
  ldb?: number;
  ldc?: number;
}

/** Signature of a native implementation (installed by native.ts). */
export type GemmImpl = (
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, lda: number, b: FloatArray, ldb: number,
  beta: number, c: FloatArray, ldc: number,
) => void;

let nativeImpl: GemmImpl | null = null;

/** Installs (or with null removes) the native implementation. Used by native.ts and tests. */
export function setGemmImpl(impl: GemmImpl | null): void {
  if (impl !== null && typeof impl !== 'function') throw new ArgumentError('impl', 'a gemm function (the add-on\'s) or null', impl);
  nativeImpl = impl;
}

/** True when gemm calls go to the native BLAS. */
export function gemmIsNative(): boolean {
  return nativeImpl !== null;
}

export function gemm(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, options: GemmOptions = {}): void {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const lda = options.lda ?? (transA ? m : k);
  const ldb = options.ldb ?? (transB ? k : n);
  const ldc = options.ldc ?? n;
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? 0;
  checkGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (m === 0 || n === 0) return;
  if (nativeImpl) {
    nativeImpl(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  gemmKernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/** Sizes, leading dimensions, scalars and array types and lengths of a gemm call (O(1): no element is read). */
function checkGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, lda: number, b: FloatArray, ldb: number,
  beta: number, c: FloatArray, ldc: number,
): void {
  checkInteger('m', m, 0);
  checkInteger('n', n, 0);
  checkInteger('k', k, 0);
  checkNumber('alpha', alpha);
  checkNumber('beta', beta);
  const isF32 = a instanceof Float32Array;
  if (!isF32 && !(a instanceof Float64Array)) throw new ArgumentError('a', 'a Float32Array or Float64Array', a);
  for (const [name, x] of [['b', b], ['c', c]] as const) {
    if (isF32 ? !(x instanceof Float32Array) : !(x instanceof Float64Array)) {
      throw new ArgumentError(name, `a ${isF32 ? 'Float32Array' : 'Float64Array'} (same type as a)`, x);
    }
  }
  checkInteger('lda', lda, Math.max(1, transA ? m : k));
  checkInteger('ldb', ldb, Math.max(1, transB ? k : n));
  checkInteger('ldc', ldc, Math.max(1, n));
  const rowsA = transA ? k : m;
  const rowsB = transB ? n : k;
  const needA = rowsA === 0 ? 0 : (rowsA - 1) * lda + (transA ? m : k);
  const needB = rowsB === 0 ? 0 : (rowsB - 1) * ldb + (transB ? k : n);
  const needC = m === 0 ? 0 : (m - 1) * ldc + n;
  if (a.length < needA) throw new ArgumentError('a', `at least ${needA} elements for op(A) ${m}x${k} (lda ${lda})`, a);
  if (b.length < needB) throw new ArgumentError('b', `at least ${needB} elements for op(B) ${k}x${n} (ldb ${ldb})`, b);
  if (c.length < needC) throw new ArgumentError('c', `at least ${needC} elements for C ${m}x${n} (ldc ${ldc})`, c);
}

/** Reference implementation in JavaScript, with gemm's argument checks (i-k-j loop order, float64 accumulation per row). */
export function gemmJs(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, lda: number, b: FloatArray, ldb: number,
  beta: number, c: FloatArray, ldc: number,
): void {
  checkGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  gemmKernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

function gemmKernel(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, lda: number, b: FloatArray, ldb: number,
  beta: number, c: FloatArray, ldc: number,
): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * lda + i] : a[i * lda + p];
      if (aip === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) row[j] += aip * b[j * ldb + p];
      } else {
        const off = p * ldb;
        for (let j = 0; j < n; j++) row[j] += aip * b[off + j];
      }
    }
    const co = i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[co + j] = alpha * row[j];
    else for (let j = 0; j < n; j++) c[co + j] = alpha * row[j] + beta * c[co + j];
  }
}
