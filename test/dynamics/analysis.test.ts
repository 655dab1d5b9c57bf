/**
 * Analysis helpers against hand-built systems with known answers:
 * - line-attractor statistics of a linear map with a line of fixed points
 *   (eigenvalue 1 along a chosen direction, its left eigenvector and the input
 *   directions known by hand);
 * - heldInputFate on a map that runs off on one side and contracts on the other;
 * - the hand-built self-exciting units: an orthogonal rotation, the closed-form
 *   counts C(k, m) 2^(k-m), and fixed points where the closed form puts them.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core';
import { FixedPoints, decompose, heldInputFate, lineAttractorStatistics, randomOrthogonal, selfExcitingUnits, type DynamicalSystem } from '../../lib/dynamics';

// A = V diag(1, 0.5, -0.3) V^-1 with V = [v1 v2 v3] = [[1,0,1],[1,1,0],[0,1,1]] (columns), det 2,
// V^-1 = [[1,1,-1],[-1,1,1],[1,-1,1]] / 2 (checked: V V^-1 = I). Eigenvalue 1: right eigenvector
// v1 = (1,1,0), left eigenvector the first row of V^-1, along l1 = (1,1,-1).
const V = [[1, 0, 1], [1, 1, 0], [0, 1, 1]];
const VI = [[1, 1, -1], [-1, 1, 1], [1, -1, 1]].map((r) => r.map((v) => v / 2));
const A: number[] = [];
for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) A.push([0, 1, 2].reduce((s, k) => s + V[i][k] * [1, 0.5, -0.3][k] * VI[k][j], 0));
// dF/du [3 x 3] (row-major) with columns e1 = (1,0,0), (1,-1,0), (1,1,-1).
const B = [1, 1, 1, /**/ 0, -1, 1, /**/ 0, 0, -1];

function points(rows: number[][]): FixedPoints {
  const n = rows.length;
  const x = Float64Array.from(rows.flat());
  return new FixedPoints({
    stateSize: 3, inputSize: 3, xstar: x, xInit: x.slice(), inputs: new Float64Array(n * 3), Fxstar: x.slice(), qstar: new Float64Array(n),
    dq: new Float64Array(n), nIters: new Int32Array(n), jacobians: rows.map(() => Float64Array.from(A)),
    inputJacobians: rows.map(() => Float64Array.from(B)), eigen: rows.map(() => decompose(Float64Array.from(A), 3)),
  });
}

test('line-attractor statistics of a linear map with a known line', () => {
  // Fixed points of h' = A h (u = 0): the line t v1.
  const onLine = points([-1.2, -0.5, 0.1, 0.4, 1.3].map((t) => [t, t, 0]));
  const s = lineAttractorStatistics(onLine);
  assert.equal(s.n, 5);
  assert.ok(Math.abs(s.lineVariance - 1) < 1e-12, `variance on the line ${s.lineVariance}`);
  assert.ok(Math.abs(Math.abs(s.direction![0] * Math.SQRT1_2 + s.direction![1] * Math.SQRT1_2) - 1) < 1e-12, 'the line is v1 / |v1|');
  for (const v of s.topEigenvalue) assert.ok(Math.abs(v - 1) < 1e-12, `top |lambda| ${v}`);
  for (const v of s.rightAlignment) assert.ok(Math.abs(v - 1) < 1e-12, `|cos(r1, line)| ${v}`);
  // |cos(l1, e1)| = 1/sqrt(3); (1,-1,0) is orthogonal to (1,1,-1); (1,1,-1) is l1 itself.
  assert.equal(s.leftAlignment.length, 3);
  const want = [1 / Math.sqrt(3), 0, 1];
  s.leftAlignment.forEach((col, k) => {
    assert.equal(col.length, 5);
    for (const v of col) assert.ok(Math.abs(v - want[k]) < 1e-12, `column ${k}: ${v} vs ${want[k]}`);
  });
  // Only the requested columns, in the requested order.
  assert.deepEqual(lineAttractorStatistics(onLine, { inputColumns: [2, 1] }).leftAlignment.map((c) => Math.round(c[0] * 1e9) / 1e9), [1, 0]);

  // Points along v2 = (0,1,1) instead: the slow mode (v1) is at |cos(v1, v2)| = 1/2 to that line.
  const across = lineAttractorStatistics(points([-1, 0, 0.7, 2].map((t) => [0, t, t])));
  for (const v of across.rightAlignment) assert.ok(Math.abs(v - 0.5) < 1e-12, `|cos(r1, v2)| ${v}`);

  // A line with spread across it: variance fraction by hand. Points t v1/|v1| + e w, w = (1,-1,0)/sqrt(2) ... use coordinates
  // (a, a, c): along u = (1,1,0)/sqrt 2 the coordinate is a sqrt 2, across it c. a = -1, 0, 1 and c = 0.1, -0.2, 0.1.
  const spread = lineAttractorStatistics(points([[-1, -1, 0.1], [0, 0, -0.2], [1, 1, 0.1]]));
  // Var along u: (2 + 0 + 2) / 2 = 2; across (z): (0.01 + 0.04 + 0.01) / 2 = 0.03; the two are uncorrelated here.
  assert.ok(Math.abs(spread.lineVariance - 2 / 2.03) < 1e-12, `${spread.lineVariance}`);

  const few = lineAttractorStatistics(points([[0, 0, 0], [1, 1, 0]]));
  assert.equal(few.n, 2);
  assert.ok(Number.isNaN(few.lineVariance));
  assert.deepEqual([few.topEigenvalue, few.rightAlignment, few.leftAlignment], [[], [], [[], [], []]]);
  assert.throws(() => lineAttractorStatistics(onLine, { inputColumns: [3] }), /inputColumns\[0\]/);
});

test('hand-built self-exciting units: orthogonal rotation, closed-form counts and fixed points', async () => {
  await initBackend({ print: false });
  const R = randomOrthogonal(4, 11);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
    const d = R[i].reduce((s, v, k) => s + v * R[j][k], 0);
    assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-12, `R R^T [${i},${j}] = ${d}`);
  }
  assert.deepEqual(randomOrthogonal(4, 11), R, 'seeded');
  const sys = selfExcitingUnits({ gains: [2, 3], seed: 4 });
  assert.deepEqual(sys.countsByUnstableModes, [4, 4, 1]);
  const cube = selfExcitingUnits({ seed: 7 });
  assert.deepEqual(cube.countsByUnstableModes, [8, 12, 6, 1]);
  cube.dispose();
  // x* = R^T s with s_i in {0, +-h*_i}, h* = tanh(w h*): F(x*) = x*.
  const hstar = sys.gains.map((w) => {
    let h = 1;
    for (let i = 0; i < 500; i++) h = Math.tanh(w * h);
    return h;
  });
  const xs = [[1, 0], [-1, 1], [0, -1], [1, 1]].map((s) => [0, 1].map((j) => s.reduce((acc, si, i) => acc + sys.rotation[i][j] * si * hstar[i], 0)));
  const F = tf.tidy(() => sys.step(tf.tensor2d(xs), tf.zeros([4, 0])).arraySync()) as number[][];
  xs.forEach((x, k) => x.forEach((v, j) => assert.ok(Math.abs(F[k][j] - v) < 1e-6, `F(x*) = x* at ${k}`)));
  // A point that is not fixed moves.
  const moved = tf.tidy(() => sys.step(tf.tensor2d([[0.3, 0.2]]), tf.zeros([1, 0])).arraySync()) as number[][];
  assert.ok(Math.hypot(moved[0][0] - 0.3, moved[0][1] - 0.2) > 1e-2);
  sys.dispose();
  assert.throws(() => selfExcitingUnits({ gains: [2, 1], seed: 1 }), /gains\[1\]: expected a gain > 1/);
});

test('heldInputFate: on a map whose second coordinate runs off where positive and halves elsewhere, the stopped and running states and the one end are as built', () => {
  // F(x) = [x0 / 2, x1 > 0 ? x1 + 0.01 : x1 / 2]: from x1 <= 0 the state goes to (0, 0); from x1 > 0, x1 grows by 0.01 a step.
  const system: DynamicalSystem = {
    stateSize: 2,
    inputSize: 1,
    step: (s, _u) => tf.tidy(() => {
      const [a, b] = tf.split(s, 2, 1);
      return tf.concat([a.mul(0.5), tf.where(b.greater(0), b.add(0.01), b.mul(0.5))], 1) as tf.Tensor2D;
    }),
    stepF64: (x) => Float64Array.from([x[0] / 2, x[1] > 0 ? x[1] + 0.01 : x[1] / 2]),
  };
  const states = [1, 2, 3, -1, -2, -4, 0.5, 0.3];
  const fate = heldInputFate(system, states, [0], { steps: 100 });
  assert.deepEqual(fate.stopped, [false, true, true, false]);
  assert.deepEqual(fate.endCounts, [2]);
  assert.ok(Math.abs(fate.ends[0]) < 1e-25 && Math.abs(fate.ends[1]) < 1e-25);
  // Running states: speed (0.01^2 + tiny) / 2, and x1 = x1(0) + 100 * 0.01.
  assert.ok(Math.abs(fate.speed[0] - 0.5e-4) < 1e-12 && Math.abs(fate.speed[3] - 0.5e-4) < 1e-12);
  assert.ok(Math.abs(fate.maxAbs[0] - 3) < 1e-9 && Math.abs(fate.maxAbs[3] - 1.3) < 1e-9);
  // The same from the tf map (the float64 map is what runs): the defaults stop the contracting states too.
  assert.deepEqual(heldInputFate(system, states, [0]).stopped, [false, true, true, false]);
  assert.throws(() => heldInputFate(system, [1, 2, 3], [0]), /states: expected rows of 2 values/);
  assert.throws(() => heldInputFate(system, states, [0, 0]), /input: expected 1 values/);
  assert.throws(() => heldInputFate({ ...system, stepF64: undefined }, states, [0]), /system: expected a system with a float64 map/);
});
