import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, Rng, SYM_EIG_NATIVE_MIN, choleskyInPlace, solveRows, cosine, eig, lstsq, nativeAddon, svd, symEig } from '../../lib/core';

function randomMatrix(rng: Rng, m: number, n: number): Matrix {
  const a = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a.set(i, j, rng.normal());
  return a;
}

test('eig of a rotation-scaling block has the closed-form eigenvalues r(cos t +- i sin t)', () => {
  const r = 0.9, t = 0.3;
  const a = [[r * Math.cos(t), -r * Math.sin(t), 0], [r * Math.sin(t), r * Math.cos(t), 0], [0, 0, 0.5]];
  const e = eig(a);
  assert.ok(Math.abs(e.re[0] - r * Math.cos(t)) < 1e-12 && Math.abs(Math.abs(e.im[0]) - r * Math.sin(t)) < 1e-12);
  assert.ok(e.im[0] > 0 && Math.abs(e.im[0] + e.im[1]) < 1e-12, 'conjugate pair, positive imaginary part first');
  assert.ok(Math.abs(e.re[2] - 0.5) < 1e-12 && e.im[2] === 0);
  assert.ok(Math.abs(e.abs[0] - r) < 1e-12);
});

for (const n of [1, 2, 5, 12]) {
  test(`eig of a random ${n}x${n} matrix: A r = lambda r, l^H A = lambda l^H, l^H r = I`, () => {
    const rng = new Rng(100 + n);
    const A = randomMatrix(rng, n, n);
    const e = eig(A);
    assert.ok(e.leftRe && e.leftIm);
    for (let j = 0; j < n; j++) {
      if (j > 0) assert.ok(e.abs[j] <= e.abs[j - 1] + 1e-12, 'sorted by magnitude');
      for (let i = 0; i < n; i++) {
        let ar = 0, ai = 0, lr = 0, li = 0;
        for (let k = 0; k < n; k++) {
          ar += A.get(i, k) * e.rightRe.get(k, j);
          ai += A.get(i, k) * e.rightIm.get(k, j);
          // (l^H A)_i = sum_k conj(l_k) A_ki
          lr += e.leftRe!.get(k, j) * A.get(k, i);
          li += -e.leftIm!.get(k, j) * A.get(k, i);
        }
        const rr = e.rightRe.get(i, j), ri = e.rightIm.get(i, j);
        assert.ok(Math.abs(ar - (e.re[j] * rr - e.im[j] * ri)) < 1e-9);
        assert.ok(Math.abs(ai - (e.re[j] * ri + e.im[j] * rr)) < 1e-9);
        const cl = e.leftRe!.get(i, j), clI = -e.leftIm!.get(i, j); // conj(l_i)
        assert.ok(Math.abs(lr - (e.re[j] * cl - e.im[j] * clI)) < 1e-9);
        assert.ok(Math.abs(li - (e.re[j] * clI + e.im[j] * cl)) < 1e-9);
      }
      for (let k = 0; k < n; k++) {
        let pr = 0, pi = 0;
        for (let i = 0; i < n; i++) {
          const a_ = e.leftRe!.get(i, j), b_ = -e.leftIm!.get(i, j);
          const c_ = e.rightRe.get(i, k), d_ = e.rightIm.get(i, k);
          pr += a_ * c_ - b_ * d_;
          pi += a_ * d_ + b_ * c_;
        }
        assert.ok(Math.abs(pr - (j === k ? 1 : 0)) < 1e-9 && Math.abs(pi) < 1e-9, `l_${j}^H r_${k}`);
      }
    }
  });
}

test('eig of a defective (Jordan) matrix reports no left eigenvectors instead of garbage', () => {
  const e = eig([[1, 1], [0, 1]]);
  assert.equal(e.leftRe, null);
});

test('symEig reconstructs Q D Q^T with a planted spectrum', () => {
  const rng = new Rng(3);
  const n = 8;
  const { u: Q } = svd(randomMatrix(rng, n, n));
  const planted = [5, 3, 2, 1, 0.5, -0.25, -1, -4];
  const A = Q.mmul(Matrix.diag(planted)).mmul(Q.transpose());
  const { values, vectors } = symEig(A);
  planted.forEach((v, i) => assert.ok(Math.abs(values[i] - v) < 1e-10));
  const R = vectors.mmul(Matrix.diag(Array.from(values))).mmul(vectors.transpose());
  assert.ok(R.sub(A).norm() < 1e-10);
  assert.throws(() => symEig([[1, 2], [0, 1]]), /a: expected a symmetric matrix/);
});

test('symEig from SYM_EIG_NATIVE_MIN rows (LAPACK in the add-on): planted spectrum with a repeated eigenvalue, orthonormal vectors', () => {
  const n = SYM_EIG_NATIVE_MIN + 36;
  const rng = new Rng(11);
  const { u: Q } = svd(randomMatrix(rng, n, n));
  // Descending, with a triple eigenvalue (only its eigenspace is defined) and negatives.
  const planted = Array.from({ length: n }, (_, i) => (i >= 10 && i < 13 ? 2 : 7 - 0.13 * i)).sort((a, b) => b - a);
  const A = Q.mmul(Matrix.diag(planted)).mmul(Q.transpose());
  const { values, vectors } = symEig(A);
  planted.forEach((v, i) => assert.ok(Math.abs(values[i] - v) < 1e-10, `value ${i}: ${values[i]} against ${v}`));
  assert.ok(vectors.transpose().mmul(vectors).sub(Matrix.eye(n)).norm() < 1e-10, 'orthonormal');
  // A v_j = lambda_j v_j column by column (the reconstruction alone would not catch a permuted pairing).
  assert.ok(A.mmul(vectors).sub(vectors.mmul(Matrix.diag(Array.from(values)))).norm() < 1e-9);
  // Which solver ran: the add-on's where it is built with LAPACK (setup links OpenBLAS, which has it).
  if (nativeAddon()) assert.equal(typeof nativeAddon()!.symEig, 'function');
});

test('solveRows: X V = M row by row for a random SPD V (X V multiplied back), and names bad arguments', () => {
  const r = 5, rows = 7;
  const B = randomMatrix(new Rng(21), r, r);
  const Vm = B.transpose().mmul(B).add(Matrix.eye(r));
  const V = Float64Array.from(Vm.to1DArray());
  const Mm = randomMatrix(new Rng(22), rows, r);
  const X = Float64Array.from(Mm.to1DArray());
  solveRows(V, X, rows, r);
  const back = new Matrix(rows, r);
  for (let i = 0; i < rows; i++) for (let j = 0; j < r; j++) back.set(i, j, X[i * r + j]);
  assert.ok(back.mmul(Vm).sub(Mm).norm() < 1e-10 * Mm.norm());
  assert.throws(() => solveRows(V, new Float64Array(3), rows, r), /M/);
  assert.throws(() => solveRows(Float64Array.from(V).fill(NaN, 0, 1), Float64Array.from(Mm.to1DArray()), rows, r), /V/);
});

for (const [m, n] of [[6, 4], [4, 6], [5, 5], [1, 3]]) {
  test(`svd of a ${m}x${n} matrix: orthonormal factors, reconstruction, s^2 = eig(A^T A)`, () => {
    const A = randomMatrix(new Rng(m * 10 + n), m, n);
    const { u, s, v } = svd(A);
    const r = Math.min(m, n);
    assert.equal(s.length, r);
    assert.ok(u.transpose().mmul(u).sub(Matrix.eye(r)).norm() < 1e-10);
    assert.ok(v.transpose().mmul(v).sub(Matrix.eye(r)).norm() < 1e-10);
    assert.ok(u.mmul(Matrix.diag(Array.from(s))).mmul(v.transpose()).sub(A).norm() < 1e-10);
    const g = symEig(A.transpose().mmul(A).add(A.transpose().mmul(A).transpose()).mul(0.5));
    for (let i = 0; i < r; i++) assert.ok(Math.abs(s[i] ** 2 - g.values[i]) < 1e-9);
  });
}

test('lstsq solves an overdetermined consistent system exactly', () => {
  const A = randomMatrix(new Rng(9), 10, 3);
  const x = [1, -2, 0.5];
  const b = A.mmul(Matrix.columnVector(x)).to1DArray();
  const sol = lstsq(A, b).to1DArray();
  x.forEach((xi, i) => assert.ok(Math.abs(sol[i] - xi) < 1e-10));
});

test('bad input names the argument', () => {
  assert.throws(() => eig([[1, 2, 3], [4, 5, 6]]), /a: expected a square matrix, got a 2x3 matrix/);
  assert.throws(() => eig([[1, NaN], [0, 1]]), /a: expected finite entries, got NaN at \(0, 1\)/);
  assert.throws(() => svd({ data: [1, 2, 3], rows: 2, cols: 2 }), /a.data: expected 4 values/);
});

test('cosine: hand-picked vectors at 0, 60, 90 and 180 degrees; scale-free; NaN for a zero vector; lengths must match', () => {
  assert.equal(cosine([2, 0], [5, 0]), 1);
  assert.ok(Math.abs(cosine([1, 0], [0.5, Math.sqrt(3) / 2]) - 0.5) < 1e-15);
  assert.equal(cosine([1, 2, 0], [-2, 1, 7]), 0);
  assert.equal(cosine([1, -3], [-2, 6]), -1);
  assert.ok(Number.isNaN(cosine([0, 0], [1, 2])));
  assert.throws(() => cosine([1, 2], [1, 2, 3]), /^ArgumentError: b: expected a vector of length 2/);
});


test('choleskyInPlace: L L^T rebuilds a random SPD matrix, the upper triangle is untouched; false for indefinite, singular or non-finite input', () => {
  const rng = new Rng(5);
  for (const k of [1, 2, 7]) {
    // G = A A^T + k I is SPD.
    const A = Array.from({ length: k * k }, () => rng.normal());
    const G = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      let s = i === j ? k : 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * A[j * k + p];
      G[i * k + j] = s;
    }
    const L = G.slice();
    assert.equal(choleskyInPlace(L, k), true);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      if (j > i) { assert.equal(L[i * k + j], G[i * k + j], 'upper triangle kept'); continue; }
      let s = 0;
      for (let p = 0; p <= j; p++) s += L[i * k + p] * L[j * k + p];
      assert.ok(Math.abs(s - G[i * k + j]) < 1e-12 * k * k, `k=${k} (${i},${j}): ${s} vs ${G[i * k + j]}`);
    }
    for (let i = 0; i < k; i++) assert.ok(L[i * k + i] > 0);
  }
  assert.equal(choleskyInPlace(Float64Array.of(1, 2, 2, 1), 2), false, 'indefinite (eigenvalues 3, -1)');
  assert.equal(choleskyInPlace(Float64Array.of(1, 1, 1, 1), 2), false, 'singular');
  assert.equal(choleskyInPlace(Float64Array.of(Infinity, 0, 0, 1), 2), false, 'infinite pivot');
  assert.equal(choleskyInPlace(Float64Array.of(4, NaN, NaN, 3), 2), false, 'NaN off the diagonal');
  assert.throws(() => choleskyInPlace(new Float64Array(3), 2), /G: expected a Float64Array of at least k \* k = 4 values/);
});
