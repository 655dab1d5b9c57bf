/**
 * lib/tensor dense operations against naive loops over multi-indices on
 * random small tensors: unfolding (and fold as its inverse), Khatri-Rao,
 * MTTKRP in every mode and order 2-4 (float64 and float32), mode products.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Rng } from '../../lib/core';
import { denseTensor, fold, innerProduct, khatriRao, modeProduct, mttkrp, tensorNorm, unfold } from '../../lib/tensor';

/** Every multi-index of `shape` in row-major order (the last index fastest). */
function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[]) => {
    if (prefix.length === shape.length) { out.push(prefix.slice()); return; }
    for (let i = 0; i < shape[prefix.length]; i++) rec([...prefix, i]);
  };
  rec([]);
  return out;
}

/** Flat offset by explicit strides. */
function offset(shape: readonly number[], idx: readonly number[]): number {
  let o = 0;
  for (let k = 0; k < shape.length; k++) o = o * shape[k] + idx[k];
  return o;
}

function randomTensor(shape: number[], seed: number, type: 'float32' | 'float64' = 'float64') {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return denseTensor(shape, rng.normalArray(n, 0, 1, type));
}

const SHAPES = [[3, 4], [4, 3, 5], [2, 3, 4, 3], [5, 1, 3]];

test('unfold(T, n)[i_n, j] equals T at the multi-index whose other indices, row-major, number j; fold inverts it', () => {
  for (const shape of SHAPES) {
    const T = randomTensor(shape, shape.length);
    for (let n = 0; n < shape.length; n++) {
      const U = unfold(T, n);
      const others = shape.filter((_, k) => k !== n);
      const cols = others.reduce((a, b) => a * b, 1);
      for (const idx of indices(shape)) {
        const rest = idx.filter((_, k) => k !== n);
        const j = rest.length ? offset(others, rest) : 0;
        assert.equal(U[idx[n] * cols + j], T.data[offset(shape, idx)], `shape ${shape}, mode ${n}, index ${idx}`);
      }
      assert.deepEqual(fold(U, n, shape).data, T.data);
    }
  }
});

test('khatriRao rows are element-wise products of the factors\' rows (first factor slowest)', () => {
  const rng = new Rng(3);
  const sizes = [3, 2, 4], r = 3;
  const F = sizes.map((I) => rng.normalArray(I * r, 0, 1, 'float64'));
  const K = khatriRao(F, sizes, r);
  for (const idx of indices(sizes)) {
    for (let s = 0; s < r; s++) {
      const want = F[0][idx[0] * r + s] * F[1][idx[1] * r + s] * F[2][idx[2] * r + s];
      assert.ok(Math.abs(K[offset(sizes, idx) * r + s] - want) < 1e-15);
    }
  }
});

test('mttkrp equals the naive sum over all other indices, every mode, orders 2-4, float64 and float32', () => {
  for (const type of ['float64', 'float32'] as const) {
    for (const shape of SHAPES) {
      const T = randomTensor(shape, 10 + shape.length, type);
      for (const r of [1, 3]) {
        const rng = new Rng(20 + r);
        const F = shape.map((I) => rng.normalArray(I * r, 0, 1, type));
        for (let n = 0; n < shape.length; n++) {
          const M = mttkrp(T, F, n, r);
          const want = new Float64Array(shape[n] * r);
          for (const idx of indices(shape)) {
            for (let s = 0; s < r; s++) {
              let v = T.data[offset(shape, idx)];
              for (let k = 0; k < shape.length; k++) if (k !== n) v *= F[k][idx[k] * r + s];
              want[idx[n] * r + s] += v;
            }
          }
          const tol = type === 'float64' ? 1e-12 : 1e-4;
          for (let i = 0; i < want.length; i++) assert.ok(Math.abs(M[i] - want[i]) < tol * (1 + Math.abs(want[i])), `${type} shape ${shape} mode ${n} r ${r}: ${M[i]} vs ${want[i]}`);
        }
      }
    }
  }
});

test('modeProduct(T, n, U) equals sum_i U[j, i] T[.., i, ..]; norm and inner product by definition', () => {
  for (const shape of SHAPES) {
    const T = randomTensor(shape, 30 + shape.length);
    for (let n = 0; n < shape.length; n++) {
      const J = 2;
      const U = new Rng(40 + n).normalArray(J * shape[n], 0, 1, 'float64') as Float64Array;
      const P = modeProduct(T, n, U, J);
      const outShape = shape.map((v, k) => (k === n ? J : v));
      assert.deepEqual(P.shape, outShape);
      for (const idx of indices(outShape)) {
        let want = 0;
        for (let i = 0; i < shape[n]; i++) {
          const src = idx.slice();
          src[n] = i;
          want += U[idx[n] * shape[n] + i] * T.data[offset(shape, src)];
        }
        assert.ok(Math.abs(P.data[offset(outShape, idx)] - want) < 1e-12);
      }
    }
    let ss = 0;
    for (const v of T.data) ss += v * v;
    assert.ok(Math.abs(tensorNorm(T) - Math.sqrt(ss)) < 1e-12);
    assert.ok(Math.abs(innerProduct(T, T) - ss) < 1e-12);
  }
});

test('bad shapes and modes throw ArgumentErrors naming the argument', () => {
  assert.throws(() => denseTensor([2, 3], new Float64Array(5)), (e: unknown) => e instanceof ArgumentError && e.argument === 'data');
  const T = randomTensor([2, 3], 1);
  assert.throws(() => unfold(T, 2), (e: unknown) => e instanceof ArgumentError && e.argument === 'mode');
  assert.throws(() => mttkrp(T, [new Float64Array(2), new Float64Array(2)], 0, 1), (e: unknown) => e instanceof ArgumentError && e.argument === 'factors[1]');
});
