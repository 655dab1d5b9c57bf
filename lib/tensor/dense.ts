/**
 * Dense order-p tensors on flat row-major typed arrays (Float32Array or
 * Float64Array), and the contractions CP-ALS and AMP are made of, each done as
 * one GEMM on the native BLAS (lib/core gemm).
 *
 * Layout. Shape (I_0, ..., I_{p-1}); entry (i_0, ..., i_{p-1}) sits at
 * sum_k i_k S_k with strides S_k = prod_{m>k} I_m (the last index fastest).
 *
 * Unfolding. unfold(T, n) is the I_n x (prod_{k != n} I_k) matrix whose row
 * i_n holds the entries with that index, columns ordered by the remaining
 * indices in row-major order (the last index fastest). This is the
 * transpose-free row-major counterpart of Kolda & Bader's mode-n
 * matricization (theirs orders the columns first-index-fastest); every
 * product below uses the matching Khatri-Rao order, so the algebra is the
 * same: T_(n) = A_n (KR_{k != n} A_k)^T for a Kruskal tensor.
 *
 * Khatri-Rao. khatriRao([A, B, ...]) for factors A (I_a x r), B (I_b x r) is
 * the (I_a I_b ...) x r matrix with row (i_a, i_b, ...) (last fastest)
 * = A[i_a, :] * B[i_b, :] * ... (element-wise).
 *
 * MTTKRP (the core of both algorithms). For mode n and factors A_k (I_k x r):
 *
 *   M[i_n, rho] = sum_{i_k, k != n} T[i_0..i_{p-1}] prod_{k != n} A_k[i_k, rho]
 *               = (T_(n) KR_{k != n} A_k)[i_n, rho].
 *
 * Viewing T as (L, I_n, R) with L = prod_{k<n} I_k and R = prod_{k>n} I_k,
 * one GEMM contracts the larger of the two sides with its Khatri-Rao product
 * ((L I_n) x R times R x r, or L x (I_n R) transposed times L x r) and a
 * loop of L I_n r (or I_n R r) multiply-adds contracts the other. With r = 1
 * this is the contraction of T with one vector in every mode but n.
 *
 * Mode product. modeProduct(T, n, U) for U (J x I_n) is T x_n U: the tensor
 * of shape I with I_n replaced by J, (T x_n U)[.., j, ..] = sum_i U[j, i]
 * T[.., i, ..]; L GEMMs of (J x I_n)(I_n x R).
 *
 * Exports: DenseTensor, denseTensor, tensorSize, unfold, fold, khatriRao, mttkrp, modeProduct, tensorNorm, innerProduct.
 */
import { ArgumentError, FloatArray, checkFinite, checkInteger, gemm } from '../core';

/** An order-p tensor: shape and row-major entries (last index fastest). */
export interface DenseTensor<A extends FloatArray = FloatArray> {
  readonly shape: readonly number[];
  readonly data: A;
}

/** Number of entries of a shape (checked: positive integer sizes, order >= 1). */
export function tensorSize(shape: readonly number[], name = 'shape'): number {
  if (!Array.isArray(shape) || shape.length < 1) throw new ArgumentError(name, 'an array of at least one mode size', shape);
  let n = 1;
  for (let k = 0; k < shape.length; k++) n *= checkInteger(`${name}[${k}]`, shape[k], 1);
  return n;
}

/** A checked dense tensor over `data` (not copied); a Float64Array of zeros when data is omitted. */
export function denseTensor<A extends FloatArray = Float64Array>(shape: readonly number[], data?: A): DenseTensor<A> {
  const n = tensorSize(shape);
  if (data === undefined) return { shape: [...shape], data: new Float64Array(n) as A };
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) throw new ArgumentError('data', 'a Float32Array or Float64Array', data);
  if (data.length !== n) throw new ArgumentError('data', `${n} entries (the product of shape ${shape.join(' x ')})`, `${data.length} entries`);
  checkFinite('data', data, data instanceof Float32Array ? 'float32' : 'float64');
  return { shape: [...shape], data };
}

/** Checks a tensor argument (shape, entries' count and type, finiteness unless `allowNonFinite`). */
export function checkTensor(name: string, T: DenseTensor, allowNonFinite = false): void {
  if (T === null || typeof T !== 'object' || !('shape' in T) || !('data' in T)) throw new ArgumentError(name, 'a DenseTensor { shape, data }', T);
  const n = tensorSize(T.shape, `${name}.shape`);
  if (!(T.data instanceof Float32Array) && !(T.data instanceof Float64Array)) throw new ArgumentError(`${name}.data`, 'a Float32Array or Float64Array', T.data);
  if (T.data.length !== n) throw new ArgumentError(`${name}.data`, `${n} entries (shape ${T.shape.join(' x ')})`, `${T.data.length} entries`);
  if (!allowNonFinite) checkFinite(`${name}.data`, T.data, T.data instanceof Float32Array ? 'float32' : 'float64');
}

function sideSizes(shape: readonly number[], n: number): { L: number; I: number; R: number } {
  let L = 1, R = 1;
  for (let k = 0; k < n; k++) L *= shape[k];
  for (let k = n + 1; k < shape.length; k++) R *= shape[k];
  return { L, I: shape[n], R };
}

function checkMode(T: DenseTensor, mode: number): number {
  return checkInteger('mode', mode, 0, T.shape.length - 1);
}

/** The mode-n unfolding (I_n x prod of the other sizes, row-major, remaining indices last-fastest), in T's array type. */
export function unfold<A extends FloatArray>(T: DenseTensor<A>, mode: number): A {
  checkTensor('T', T);
  return unfoldUnchecked(T, mode);
}

/** unfold without the finiteness check (the masked fit unfolds its zero-filled copy and mask). */
export function unfoldUnchecked<A extends FloatArray>(T: DenseTensor<A>, mode: number): A {
  checkMode(T, mode);
  const { L, I, R } = sideSizes(T.shape, mode);
  const out = new (T.data.constructor as { new(n: number): A })(T.data.length);
  const src = T.data;
  // column index of (l, r) is l * R + r; T[l, i, r] at (l * I + i) * R + r
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < I; i++) {
      const from = (l * I + i) * R, to = i * L * R + l * R;
      for (let r = 0; r < R; r++) out[to + r] = src[from + r];
    }
  }
  return out;
}

/** The inverse of `unfold`: the tensor of `shape` whose mode-n unfolding is `matrix`. */
export function fold<A extends FloatArray>(matrix: A, mode: number, shape: readonly number[]): DenseTensor<A> {
  const size = tensorSize(shape);
  if (!(matrix instanceof Float32Array) && !(matrix instanceof Float64Array)) throw new ArgumentError('matrix', 'a Float32Array or Float64Array', matrix);
  if (matrix.length !== size) throw new ArgumentError('matrix', `${size} entries (shape ${shape.join(' x ')})`, `${matrix.length} entries`);
  checkInteger('mode', mode, 0, shape.length - 1);
  checkFinite('matrix', matrix, matrix instanceof Float32Array ? 'float32' : 'float64');
  const { L, I, R } = sideSizes(shape, mode);
  const out = new (matrix.constructor as { new(n: number): A })(size);
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < I; i++) {
      const to = (l * I + i) * R, from = i * L * R + l * R;
      for (let r = 0; r < R; r++) out[to + r] = matrix[from + r];
    }
  }
  return { shape: [...shape], data: out };
}

/**
 * Khatri-Rao product of factors (each I_k x r, row-major): (prod I_k) x r,
 * row (i_0, i_1, ...) (last fastest) = the element-wise product of the rows.
 * The result has the type of `type` (Float64Array by default).
 */
export function khatriRao(factors: readonly FloatArray[], sizes: readonly number[], rank: number, type: 'float32' | 'float64' = 'float64'): FloatArray {
  checkInteger('rank', rank, 1, 1024);
  if (!Array.isArray(sizes)) throw new ArgumentError('sizes', 'an array of mode sizes', sizes);
  if (!Array.isArray(factors) || factors.length < 1 || factors.length !== sizes.length) throw new ArgumentError('factors', `one factor per size (${sizes.length})`, factors);
  let rows = 1;
  for (let k = 0; k < factors.length; k++) {
    const I = checkInteger(`sizes[${k}]`, sizes[k], 1);
    if (!(factors[k] instanceof Float32Array) && !(factors[k] instanceof Float64Array)) throw new ArgumentError(`factors[${k}]`, 'a Float32Array or Float64Array', factors[k]);
    if (factors[k].length !== I * rank) throw new ArgumentError(`factors[${k}]`, `${I * rank} entries (${I} x rank ${rank})`, `${factors[k].length} entries`);
    checkFinite(`factors[${k}]`, factors[k]);
    rows *= I;
  }
  return khatriRaoUnchecked(factors, sizes, rank, rows, type);
}

function khatriRaoUnchecked(factors: readonly FloatArray[], sizes: readonly number[], rank: number, rows: number, type: 'float32' | 'float64'): FloatArray {
  const out = type === 'float32' ? new Float32Array(rows * rank) : new Float64Array(rows * rank);
  if (factors.length === 0) { out.fill(1); return out; }
  // build up from the last factor: rows of the partial product are contiguous blocks
  let cur: Float64Array = Float64Array.from(factors[factors.length - 1]);
  let curRows = sizes[sizes.length - 1];
  for (let k = factors.length - 2; k >= 0; k--) {
    const I = sizes[k], A = factors[k];
    const next = new Float64Array(I * curRows * rank);
    for (let i = 0; i < I; i++) {
      for (let q = 0; q < curRows; q++) {
        const o = (i * curRows + q) * rank, c = q * rank, a = i * rank;
        for (let s = 0; s < rank; s++) next[o + s] = A[a + s] * cur[c + s];
      }
    }
    cur = next;
    curRows *= I;
  }
  out.set(cur);
  return out;
}

/**
 * MTTKRP: M (I_n x r) = T_(n) (KR_{k != n} A_k), the contraction of T with
 * the factors of every mode but n (`factors[n]` is not read and may be null).
 * One GEMM in T's precision (the Khatri-Rao side is formed in it); M is
 * returned as a Float64Array.
 */
export function mttkrp(T: DenseTensor, factors: readonly (FloatArray | null)[], mode: number, rank: number): Float64Array {
  checkTensor('T', T);
  checkMode(T, mode);
  checkInteger('rank', rank, 1, 1024);
  if (!Array.isArray(factors) || factors.length !== T.shape.length) throw new ArgumentError('factors', `${T.shape.length} factors (one per mode)`, factors);
  for (let k = 0; k < factors.length; k++) {
    if (k === mode) continue;
    const f = factors[k];
    if (!(f instanceof Float32Array) && !(f instanceof Float64Array)) throw new ArgumentError(`factors[${k}]`, 'a Float32Array or Float64Array', f);
    if (f.length !== T.shape[k] * rank) throw new ArgumentError(`factors[${k}]`, `${T.shape[k] * rank} entries (${T.shape[k]} x rank ${rank})`, `${f.length} entries`);
    checkFinite(`factors[${k}]`, f);
  }
  return mttkrpUnchecked(T, factors, mode, rank);
}

/** mttkrp without argument checks (the solvers' inner loop; their entry points check once). */
export function mttkrpUnchecked(T: DenseTensor, factors: readonly (FloatArray | null)[], mode: number, rank: number): Float64Array {
  const { shape } = T;
  const { L, I, R } = sideSizes(shape, mode);
  const type = T.data instanceof Float32Array ? 'float32' : 'float64';
  const left = factors.slice(0, mode) as FloatArray[], right = factors.slice(mode + 1) as FloatArray[];
  const out = new Float64Array(I * rank);
  if (R >= L) {
    // Y (L I x r) = T viewed as (L I) x R times KR(right) (R x r); then M[i] = sum_l Y[l, i] * KR(left)[l]
    const krR = khatriRaoUnchecked(right, shape.slice(mode + 1), rank, R, type);
    const Y = type === 'float32' ? new Float32Array(L * I * rank) : new Float64Array(L * I * rank);
    gemm(L * I, rank, R, T.data, krR, Y);
    if (L === 1) { out.set(Y); return out; }
    const krL = khatriRaoUnchecked(left, shape.slice(0, mode), rank, L, 'float64');
    for (let l = 0; l < L; l++) {
      for (let i = 0; i < I; i++) {
        const y = (l * I + i) * rank, o = i * rank, c = l * rank;
        for (let s = 0; s < rank; s++) out[o + s] += Y[y + s] * krL[c + s];
      }
    }
    return out;
  }
  // Y (I R x r) = T viewed as L x (I R), transposed, times KR(left) (L x r); then M[i] = sum_q Y[i, q] * KR(right)[q]
  const krL = khatriRaoUnchecked(left, shape.slice(0, mode), rank, L, type);
  const Y = type === 'float32' ? new Float32Array(I * R * rank) : new Float64Array(I * R * rank);
  gemm(I * R, rank, L, T.data, krL, Y, { transA: true });
  if (R === 1) { out.set(Y); return out; }
  const krR = khatriRaoUnchecked(right, shape.slice(mode + 1), rank, R, 'float64');
  for (let i = 0; i < I; i++) {
    for (let q = 0; q < R; q++) {
      const y = (i * R + q) * rank, o = i * rank, c = q * rank;
      for (let s = 0; s < rank; s++) out[o + s] += Y[y + s] * krR[c + s];
    }
  }
  return out;
}

/** T x_n U for U (J x I_n, row-major, same array type as T): the tensor with mode n of size J. */
export function modeProduct<A extends FloatArray>(T: DenseTensor<A>, mode: number, U: A, rows: number): DenseTensor<A> {
  checkTensor('T', T);
  checkMode(T, mode);
  const J = checkInteger('rows', rows, 1);
  const { L, I, R } = sideSizes(T.shape, mode);
  if (!(U instanceof (T.data.constructor as typeof Float32Array | typeof Float64Array))) throw new ArgumentError('U', `a ${T.data.constructor.name} (T's type)`, U);
  if (U.length !== J * I) throw new ArgumentError('U', `${J * I} entries (rows ${J} x I_${mode} = ${I})`, `${U.length} entries`);
  checkFinite('U', U);
  const out = new (T.data.constructor as { new(n: number): A })(L * J * R);
  for (let l = 0; l < L; l++) {
    gemm(J, R, I, U, T.data.subarray(l * I * R, (l + 1) * I * R) as A, out.subarray(l * J * R, (l + 1) * J * R) as A);
  }
  const shape = [...T.shape];
  shape[mode] = J;
  return { shape, data: out };
}

/** Frobenius norm, accumulated in float64. */
export function tensorNorm(T: DenseTensor): number {
  checkTensor('T', T);
  let s = 0;
  const d = T.data;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return Math.sqrt(s);
}

/** Sum of the element-wise product of two tensors of one shape, in float64. */
export function innerProduct(A: DenseTensor, B: DenseTensor): number {
  checkTensor('A', A);
  checkTensor('B', B);
  if (A.shape.length !== B.shape.length || A.shape.some((n, k) => n !== B.shape[k])) throw new ArgumentError('B', `a tensor of shape ${A.shape.join(' x ')} (A's)`, B.shape.join(' x '));
  let s = 0;
  for (let i = 0; i < A.data.length; i++) s += A.data[i] * B.data[i];
  return s;
}
