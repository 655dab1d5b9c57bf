import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, solve } from 'ml-matrix';
import { nnls, nnlsGram, Rng, signConstrainedGram, signConstrainedLstsq } from '../../lib/core';

/** NNLS by enumerating every support: the optimum is the unconstrained LS solution on the support that is feasible with the lowest objective. */
function bruteForceNnls(A: number[][], b: number[]): number[] {
  const n = A[0].length;
  let best: number[] = new Array(n).fill(0);
  let bestObj = b.reduce((s, v) => s + v * v, 0);
  for (let mask = 1; mask < 1 << n; mask++) {
    const cols = [...Array(n).keys()].filter((i) => mask & (1 << i));
    const As = new Matrix(A.map((row) => cols.map((c) => row[c])));
    const xs = solve(As, Matrix.columnVector(b), true).to1DArray();
    if (xs.some((v) => v < 0)) continue;
    const x = new Array(n).fill(0);
    cols.forEach((c, i) => (x[c] = xs[i]));
    const obj = A.reduce((s, row, i) => s + (row.reduce((a, v, j) => a + v * x[j], 0) - b[i]) ** 2, 0);
    if (obj < bestObj) {
      bestObj = obj;
      best = x;
    }
  }
  return best;
}

test('NNLS equals brute-force enumeration of supports on small random problems', () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 30; trial++) {
    const m = 6 + rng.int(5);
    const n = 2 + rng.int(5);
    const r = 1 + rng.int(3);
    const A = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
    const B = Array.from({ length: m }, () => Array.from({ length: r }, () => rng.normal()));
    const X = nnls(A, B);
    // a warm start from a random guess (some entries zero) must land on the same solution
    const guess = Float64Array.from({ length: n * r }, () => Math.max(0, rng.normal()));
    const Xwarm = nnls(A, B, { initialX: guess });
    for (let j = 0; j < r; j++) {
      const expected = bruteForceNnls(A, B.map((row) => row[j]));
      for (let i = 0; i < n; i++) {
        assert.ok(Math.abs(X.data[i * r + j] - expected[i]) < 1e-9, `trial ${trial} x[${i},${j}] ${X.data[i * r + j]} vs ${expected[i]}`);
        assert.ok(Math.abs(Xwarm.data[i * r + j] - expected[i]) < 1e-9, `warm start, trial ${trial} x[${i},${j}]`);
      }
    }
  }
});

test('NNLS satisfies the KKT conditions on larger problems', () => {
  const rng = new Rng(3);
  const [m, n, r] = [80, 40, 12];
  const A = { rows: m, cols: n, data: rng.normalArray(m * n, 0, 1, 'float64') };
  const B = { rows: m, cols: r, data: rng.normalArray(m * r, 0, 1, 'float64') };
  const X = nnls(A, B);
  const Am = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Am.set(i, j, A.data[i * n + j]);
  const Bm = new Matrix(m, r);
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) Bm.set(i, j, B.data[i * r + j]);
  const Xm = new Matrix(n, r);
  for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) Xm.set(i, j, X.data[i * r + j]);
  const grad = Am.transpose().mmul(Am.mmul(Xm).sub(Bm)); // A^T (A X - B)
  let active = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) {
      const x = Xm.get(i, j);
      const g = grad.get(i, j);
      assert.ok(x >= 0, 'x >= 0');
      assert.ok(g > -1e-9, `gradient ${g} >= 0`);
      assert.ok(Math.abs(x * g) < 1e-9, `complementarity ${x} * ${g}`);
      if (x === 0) active++;
    }
  }
  assert.ok(active > 0 && active < n * r, 'the problem has both active and free variables');
});

/**
 * Sign-constrained least squares by enumerating supports: free coefficients are
 * always in the support; the optimum is the unconstrained LS solution on the
 * support whose signs hold, with the lowest objective.
 */
function bruteForceSigned(A: number[][], b: number[], signs: number[]): number[] {
  const n = A[0].length;
  const bounded = [...Array(n).keys()].filter((i) => signs[i] !== 0);
  const free = [...Array(n).keys()].filter((i) => signs[i] === 0);
  let best: number[] | null = null;
  let bestObj = Infinity;
  for (let mask = 0; mask < 1 << bounded.length; mask++) {
    const cols = [...free, ...bounded.filter((_, j) => mask & (1 << j))].sort((p, q) => p - q);
    const x = new Array(n).fill(0);
    if (cols.length > 0) {
      const As = new Matrix(A.map((row) => cols.map((c) => row[c])));
      const xs = solve(As, Matrix.columnVector(b), true).to1DArray();
      if (cols.some((c, i) => signs[c] * xs[i] < 0)) continue;
      cols.forEach((c, i) => (x[c] = xs[i]));
    }
    const obj = A.reduce((s, row, i) => s + (row.reduce((a, v, j) => a + v * x[j], 0) - b[i]) ** 2, 0);
    if (obj < bestObj) {
      bestObj = obj;
      best = x;
    }
  }
  return best!;
}

test('sign-constrained least squares equals brute-force enumeration of supports', () => {
  const rng = new Rng(5);
  let sawNegative = 0;
  let sawFreeNegative = 0;
  for (let trial = 0; trial < 40; trial++) {
    const m = 8 + rng.int(5);
    const n = 2 + rng.int(5);
    const r = 1 + rng.int(3);
    const signs = Array.from({ length: n }, () => [1, -1, 0][rng.int(3)]);
    const A = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
    const B = Array.from({ length: m }, () => Array.from({ length: r }, () => rng.normal()));
    const X = signConstrainedLstsq(A, B, signs);
    // a warm start in the original signs must land on the same solution
    const guess = Float64Array.from({ length: n * r }, () => rng.normal());
    const Xwarm = signConstrainedLstsq(A, B, signs, { initialX: guess });
    for (let j = 0; j < r; j++) {
      const expected = bruteForceSigned(A, B.map((row) => row[j]), signs);
      for (let i = 0; i < n; i++) {
        const x = X.data[i * r + j];
        assert.ok(Math.abs(x - expected[i]) < 1e-9, `trial ${trial} signs ${signs} x[${i},${j}] ${x} vs ${expected[i]}`);
        assert.ok(Math.abs(Xwarm.data[i * r + j] - expected[i]) < 1e-9, `warm start, trial ${trial} x[${i},${j}]`);
        if (signs[i] === -1 && x < 0) sawNegative++;
        if (signs[i] === 0 && x < 0) sawFreeNegative++;
      }
    }
  }
  assert.ok(sawNegative > 0 && sawFreeNegative > 0, 'the trials reach negative nonpositive and negative free coefficients');
});

test('sign-constrained least squares: all +1 is NNLS, all -1 its mirror, all free the unconstrained solution', () => {
  const rng = new Rng(6);
  const [m, n, r] = [30, 6, 4];
  const A = { rows: m, cols: n, data: rng.normalArray(m * n, 0, 1, 'float64') };
  const B = { rows: m, cols: r, data: rng.normalArray(m * r, 0, 1, 'float64') };
  const plus = signConstrainedLstsq(A, B, new Array(n).fill(1));
  const ref = nnls(A, B);
  for (let i = 0; i < n * r; i++) assert.ok(Math.abs(plus.data[i] - ref.data[i]) < 1e-12);
  // x <= 0 for A, B is -(x >= 0 for A, -B)
  const minusB = { rows: m, cols: r, data: B.data.map((v) => -v) };
  const minus = signConstrainedLstsq(A, B, new Array(n).fill(-1));
  const mirrored = nnls(A, minusB);
  for (let i = 0; i < n * r; i++) assert.ok(Math.abs(minus.data[i] + mirrored.data[i]) < 1e-12);
  const free = signConstrainedLstsq(A, B, new Array(n).fill(0));
  const Am = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Am.set(i, j, A.data[i * n + j]);
  const Bm = new Matrix(m, r);
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) Bm.set(i, j, B.data[i * r + j]);
  const ls = solve(Am, Bm, true);
  for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) assert.ok(Math.abs(free.data[i * r + j] - ls.get(i, j)) < 1e-9);
});

test('nnlsGram solves the Gram form: a hand-made 2 x 2 problem with a known answer', () => {
  // min 1/2 x^T G x - c^T x, G = [[2, 1], [1, 2]]: c = (3, 3) gives x = (1, 1) (interior);
  // c = (4, -1) gives x = (2, 0) (x_2 bound, gradient y_2 = 2 - (-1) = 3 >= 0); c = (-1, -1) gives 0.
  const G = Float64Array.from([2, 1, 1, 2]);
  const X = nnlsGram(G, Float64Array.from([3, 3, 4, -1, -1, -1]), 2, 3);
  [1, 1, 2, 0, 0, 0].forEach((v, i) => assert.ok(Math.abs(X[i] - v) < 1e-12, `x ${[...X]}`));
  // with x_2 <= 0 and c = (4, -1): the unconstrained optimum (3, -2) already has the right signs
  const Y = signConstrainedGram(G, Float64Array.from([4, -1]), 2, 1, [1, -1]);
  assert.ok(Math.abs(Y[0] - 3) < 1e-12 && Math.abs(Y[1] + 2) < 1e-12, `${Y}`);
});

test('bad input to the convex solvers throws an error naming the argument', () => {
  assert.throws(() => nnls([[1, 2], [3, 4]], [[1], [2], [3]]), /B: expected 2 rows/);
  assert.throws(() => nnlsGram(new Float64Array(3), new Float64Array(2), 2, 1), /G: expected 4 entries/);
  assert.throws(() => nnlsGram(new Float64Array(4), new Float64Array(3), 2, 1), /C: expected 2 entries/);
  assert.throws(() => nnlsGram(new Float64Array(4), new Float64Array(2), 2, 1, { initialX: new Float64Array(1) }), /initialX: expected 2 entries/);
  assert.throws(() => signConstrainedLstsq([[1, 0], [0, 1]], [1, 2], [1, 2]), /signs: expected \+1 \(x >= 0\), -1 \(x <= 0\) or 0 \(free\) for each coefficient, got 2 at index 1/);
  assert.throws(() => signConstrainedLstsq([[1, 0], [0, 1]], [1, 2], [1]), /signs: expected 2 entries/);
});

test('NNLS convergence report: unconverged at a one-round cap (the KKT violations left), converged by default with the KKT conditions met', () => {
  const rng = new Rng(8);
  const [m, n, r] = [60, 30, 5];
  const A = { rows: m, cols: n, data: rng.normalArray(m * n, 0, 1, 'float64') };
  const B = { rows: m, cols: r, data: rng.normalArray(m * r, 0, 1, 'float64') };
  // KKT violations of x (n x r row-major), counted here from A and B: x < 0, or x = 0 with gradient A^T (A x - b) < 0.
  const violations = (x: Float64Array) => {
    let count = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < r; j++) {
        let g = 0;
        for (let k = 0; k < m; k++) {
          let ax = 0;
          for (let l = 0; l < n; l++) ax += A.data[k * n + l] * x[l * r + j];
          g += A.data[k * n + i] * (ax - B.data[k * r + j]);
        }
        if (x[i * r + j] < 0 || (x[i * r + j] === 0 && g < -1e-9)) count++;
      }
    }
    return count;
  };
  const capped = nnls(A, B, { maxIterations: 1 });
  assert.equal(capped.convergence.converged, false);
  assert.equal(capped.convergence.iterations, 1);
  assert.ok(capped.convergence.residual > 0 && violations(capped.data) > 0, `${capped.convergence.residual} violations reported, ${violations(capped.data)} counted`);
  const full = nnls(A, B);
  assert.equal(violations(full.data), 0);
  assert.deepEqual({ ...full.convergence, iterations: 0, measure: '' }, { iterations: 0, residual: 0, tolerance: 0, converged: true, measure: '' });
  assert.ok(full.convergence.iterations > 1 && full.convergence.iterations < 10 * n + 50);
  // The Gram forms carry the same report on the array they return.
  const signs = Array.from({ length: n }, (_, i) => (i % 3) - 1);
  assert.equal(signConstrainedLstsq(A, B, signs).convergence.converged, true);
  assert.equal(signConstrainedLstsq(A, B, signs, { maxIterations: 1 }).convergence.converged, false);
});
