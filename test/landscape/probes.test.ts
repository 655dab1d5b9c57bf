import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { clearInterrupt, InterruptedError, requestInterrupt, Rng, symEig } from '../../lib/core';
import { Network } from '../../lib/rules';
import {
  RandomSubspace, accuracy, curvatureAtRadius, curvatureOperator, denseOperator, diagonalOperator, eigenpairs, flattenParameters,
  gradientOverlap, intrinsicDimension, logitGradientCosines, lossAndGradient, materialize, projectedSgd, restrictedHessian,
  setParameters, subspacePersistence, trainInSubspace,
} from '../../lib/landscape';

const unit = (n: number, i: number) => { const e = new Float64Array(n); e[i] = 1; return e; };

test('gradient overlap: hand-computed fractions and the k/D baseline', () => {
  const o = gradientOverlap(Float64Array.from([3, 4, 0, 0]), [unit(4, 0)]);
  assert.ok(Math.abs(o.squared - 9 / 25) < 1e-15);
  assert.ok(Math.abs(o.unsquared - 3 / 5) < 1e-15);
  assert.equal(o.baselineSquared, 1 / 4);
  assert.equal(o.baselineUnsquared, 0.5);
  // A random direction in D = 2000 has about k/D in a fixed k-plane.
  const rng = new Rng(1);
  const fr: number[] = [];
  for (let t = 0; t < 50; t++) fr.push(gradientOverlap(rng.normalArray(2000, 0, 1, 'float64'), [0, 1, 2, 3, 4].map((i) => unit(2000, i))).squared);
  const mean = fr.reduce((a, b) => a + b) / fr.length;
  assert.ok(Math.abs(mean - 5 / 2000) < 1e-3, `random overlap ${mean}`);
  assert.throws(() => gradientOverlap([1, 0], [Float64Array.from([1, 1])]), /vectors: expected orthonormal/);
});

test('subspace persistence: 1 for the same subspace, cos^2 for a tilted line, 0 for orthogonal', () => {
  const a = [unit(3, 0), unit(3, 1)];
  const s = Math.SQRT1_2;
  const rotated = [Float64Array.from([s, s, 0]), Float64Array.from([s, -s, 0])];
  assert.ok(Math.abs(subspacePersistence(a, rotated) - 1) < 1e-12);
  const th = 0.3;
  assert.ok(Math.abs(subspacePersistence([unit(3, 0)], [Float64Array.from([Math.cos(th), Math.sin(th), 0])]) - Math.cos(th) ** 2) < 1e-12);
  assert.equal(subspacePersistence([unit(3, 0)], [unit(3, 2)]), 0);
});

test('random subspace: unit columns, P and P^T are adjoint, dense and sparse', () => {
  for (const kind of ['dense', 'sparse'] as const) {
    const P = new RandomSubspace(900, 7, { seed: 3, kind });
    for (let j = 0; j < 7; j++) {
      const c = P.column(j);
      assert.ok(Math.abs(Math.hypot(...c) - 1) < 1e-6, `${kind} column ${j} norm`);
    }
    const rng = new Rng(2);
    const a = rng.normalArray(7, 0, 1, 'float64');
    const g = rng.normalArray(900, 0, 1, 'float64');
    const pa = P.project(a);
    const ptg = P.projectTranspose(g);
    const lhs = pa.reduce((s, x, i) => s + x * g[i], 0);
    const rhs = ptg.reduce((s, x, i) => s + x * a[i], 0);
    assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.abs(lhs), `${kind}: <Pa,g> ${lhs} vs <a,P^T g> ${rhs}`);
  }
  assert.throws(() => new RandomSubspace(10, 11), /d: expected an integer in \[1, 10\]/);
});

test('restricted Hessian equals the explicit P^T A P; Goldilocks measures by hand', () => {
  const n = 12;
  const rng = new Rng(4);
  const A = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i][j] = A[j][i] = rng.normal();
  const P = new RandomSubspace(n, 4, { seed: 5, kind: 'dense' });
  const r = restrictedHessian(denseOperator(A), P);
  const cols = [0, 1, 2, 3].map((j) => P.column(j));
  for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += cols[a][i] * A[i][j] * cols[b][j];
    assert.ok(Math.abs(r.matrix[a][b] - s) < 1e-10, `(${a},${b})`);
  }
  const d = restrictedHessian(diagonalOperator([1, -1, 2]), [unit(3, 0), unit(3, 1), unit(3, 2)]);
  assert.ok(Math.abs(d.trace - 2) < 1e-12 && Math.abs(d.frobeniusNorm - Math.sqrt(6)) < 1e-12);
  assert.ok(Math.abs(d.positiveExcess - 1 / 3) < 1e-12);
});

test('intrinsic dimension: threshold, smallest d and log interpolation', () => {
  const r = intrinsicDimension([1000, 100, 300], [0.95, 0.5, 0.85], 1.0);
  assert.equal(r.threshold, 0.9);
  assert.equal(r.dInt90, 1000);
  const f = (0.9 - 0.85) / (0.95 - 0.85);
  assert.ok(Math.abs(r.dInt90Interpolated! - Math.exp(Math.log(300) + f * Math.log(1000 / 300))) < 1e-9);
  assert.equal(intrinsicDimension([10], [0.1], 0.9).dInt90, null);
});

/** A linear model z = x W + b (one dense layer) on blobs: logit gradients and the MSE Hessian have closed forms. */
function linearProblem(n: number, loss: 'cross-entropy' | 'mse', seed: number) {
  const net = new Network({ inputShape: [3], layers: [{ kind: 'dense', units: 3 }], seed, loss });
  const rng = new Rng(seed);
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const centers = [[2, 0, 0], [0, 2, 0], [0, 0, 2]];
  const x = new Float32Array(n * 3);
  labels.forEach((l, i) => { for (let j = 0; j < 3; j++) x[i * 3 + j] = centers[l][j] + 0.5 * rng.normal(); });
  return { net, x, labels, data: { x: tf.tensor2d(x, [n, 3]), y: tf.tensor1d(labels, 'int32') } };
}

test('logit-gradient cosines of a linear model equal the closed form [c = c\'] (x.x\' + 1)/sqrt(...)', () => {
  const { net, x, labels, data } = linearProblem(12, 'cross-entropy', 1);
  const r = logitGradientCosines(net, data, { perClass: 2, seed: 0 });
  assert.equal(r.matrix.length, 3 * 2 * 3);
  // Rows are ordered by logit then class; find the examples by matching each row's class is not enough, so check
  // the structure: different logits are exactly orthogonal, same-logit cosines are (x.x'+1)/(|x~||x~'|) in (0, 1].
  for (let i = 0; i < r.matrix.length; i++) {
    assert.ok(Math.abs(r.matrix[i][i] - 1) < 1e-6);
    for (let j = 0; j < r.matrix.length; j++) if (r.rowLogit[i] !== r.rowLogit[j]) assert.ok(Math.abs(r.matrix[i][j]) < 1e-7);
  }
  // Same-logit block: a Gram matrix of augmented inputs [x, 1], identical for every logit.
  const block = (c: number) => r.matrix.filter((_, i) => r.rowLogit[i] === c).map((row) => row.filter((_, j) => r.rowLogit[j] === c));
  const b0 = block(0);
  const b2 = block(2);
  for (let i = 0; i < b0.length; i++) for (let j = 0; j < b0.length; j++) assert.ok(Math.abs(b0[i][j] - b2[i][j]) < 1e-6);
  // Independent: those cosines are those of the augmented inputs of the chosen examples; check that every entry of b0
  // is the cosine of some pair of augmented inputs of the right classes.
  const aug = labels.map((_, i) => [x[3 * i], x[3 * i + 1], x[3 * i + 2], 1]);
  const cos = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k], 0) / Math.hypot(...a) / Math.hypot(...b);
  const rowsOfClass = (c: number) => labels.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0);
  const cls = r.rowClass.filter((_, i) => r.rowLogit[i] === 0);
  for (let i = 0; i < b0.length; i++) for (let j = 0; j < b0.length; j++) {
    const candidates = rowsOfClass(cls[i]).flatMap((p) => rowsOfClass(cls[j]).map((q) => cos(aug[p], aug[q])));
    assert.ok(candidates.some((c) => Math.abs(c - b0[i][j]) < 1e-5), `entry (${i},${j}) = ${b0[i][j]}`);
  }
  // Blobs: same-class inputs are more similar than different-class ones.
  assert.ok(r.sameClassMean > r.differentClassMean);
  tf.dispose([data.x, data.y]);
  net.dispose();
});

test('curvature versus radius: for a linear MSE model H = (1/N) X~^T X~ (x) I at every radius', () => {
  const { net, x, labels, data } = linearProblem(30, 'mse', 2);
  const n = labels.length;
  // H over (W [3x3] row-major, b [3]): H[(i,c),(j,c')] = [c=c'] (1/N) sum x_i x_j, bias as x = 1.
  const gram = Array.from({ length: 4 }, () => new Float64Array(4));
  for (let r = 0; r < n; r++) {
    const a = [x[3 * r], x[3 * r + 1], x[3 * r + 2], 1];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) gram[i][j] += (a[i] * a[j]) / n;
  }
  let tr = 0, fr2 = 0;
  for (let i = 0; i < 4; i++) { tr += 3 * gram[i][i]; for (let j = 0; j < 4; j++) fr2 += 3 * gram[i][j] ** 2; }
  const hop = curvatureOperator(net, data, 'hessian');
  const explicit = materialize(hop);
  hop.dispose();
  let e2 = 0;
  explicit.forEach((row) => row.forEach((v) => (e2 += v * v)));
  assert.ok(Math.abs(Math.sqrt(e2) - Math.sqrt(fr2)) < 1e-4 * Math.sqrt(fr2));
  const theta = flattenParameters(net);
  const tensors = tf.memory().numTensors;
  for (const radius of [0.5, 5]) {
    const p = curvatureAtRadius(net, data, radius, { samples: 200, d: 4, seed: 1 });
    assert.ok(Math.abs(p.trace.value - tr) < 3 * p.trace.standardError + 1e-9, `trace ${p.trace.value} vs ${tr}`);
    assert.ok(p.restricted.positiveExcess === 1, 'a PSD Hessian restricts to a PSD matrix');
  }
  assert.deepEqual(Array.from(flattenParameters(net)), Array.from(theta), 'parameters restored');
  assert.equal(tf.memory().numTensors, tensors, 'curvatureAtRadius leaked tensors');
  tf.dispose([data.x, data.y]);
  net.dispose();
});

test('subspace training: the theta_d gradient equals finite differences of L(theta0 + P theta_d); training learns', () => {
  const { net, data } = linearProblem(60, 'cross-entropy', 3);
  const theta0 = flattenParameters(net);
  const D = theta0.length;
  const P = new RandomSubspace(D, 5, { seed: 9, kind: 'dense' });
  const thetaD = Float64Array.from([0.3, -0.2, 0.1, 0.5, -0.4]);
  const at = (td: Float64Array) => { setParameters(net, P.project(td).map((v, i) => v + theta0[i])); return lossAndGradient(net, data); };
  const g = P.projectTranspose(at(thetaD).gradient);
  for (let j = 0; j < 5; j++) {
    const h = 1e-2;
    const tp = Float64Array.from(thetaD); tp[j] += h;
    const tm = Float64Array.from(thetaD); tm[j] -= h;
    const fd = (at(tp).loss - at(tm).loss) / (2 * h);
    assert.ok(Math.abs(fd - g[j]) < 2e-3 * Math.max(1, Math.abs(g[j])), `d${j}: ${fd} vs ${g[j]}`);
  }
  setParameters(net, theta0);
  const before = accuracy(net, data);
  const tensors = tf.memory().numTensors;
  const r = trainInSubspace(net, data, 6, { epochs: 30, batchSize: 20, learningRate: 0.05, seed: 1, subspaceSeed: 2, progress: 'silent' });
  assert.ok(r.accuracy >= 0.9, `subspace accuracy ${r.accuracy} (before ${before})`);
  assert.deepEqual(Array.from(flattenParameters(net)), Array.from(theta0), 'network restored to theta0');
  assert.equal(tf.memory().numTensors, tensors, 'subspace training leaked tensors');
  tf.dispose([data.x, data.y]);
  net.dispose();
});

test('projected SGD: steps lie in (dominant) or orthogonal to (bulk) the top-k Hessian eigenvectors', () => {
  const { net, data } = linearProblem(30, 'cross-entropy', 5);
  const theta0 = flattenParameters(net);
  const hop = curvatureOperator(net, data, 'hessian');
  const Hm = materialize(hop);
  hop.dispose();
  const exact = symEig(Hm.map((r, i) => Array.from(r, (v, j) => 0.5 * (v + Hm[j][i]))));
  // A clear gap after the top 2, so the dominant subspace is well defined.
  assert.ok(exact.values[1] - exact.values[2] > 0.1 * exact.values[1], `eigenvalues ${Array.from(exact.values.slice(0, 4))}`);
  const top = [0, 1].map((c) => Float64Array.from({ length: theta0.length }, (_, i) => exact.vectors.get(i, c)));
  for (const mode of ['dominant', 'bulk'] as const) {
    setParameters(net, theta0);
    const tensors = tf.memory().numTensors;
    const r = projectedSgd(net, data, { mode, k: 2, recomputeEvery: 1, hessianSamples: 30, lanczosSteps: 12, maxSteps: 1, batchSize: 30, learningRate: 0.5, seed: 0, progress: 'silent' });
    assert.equal(r.recomputations, 1);
    // The recomputation's Lanczos report is passed on; converged, as the projection checks below need.
    assert.equal(r.subspaceConvergence.length, 1);
    assert.ok(r.subspaceConvergence[0].converged && r.subspaceConvergence[0].residual <= r.subspaceConvergence[0].tolerance, JSON.stringify(r.subspaceConvergence[0]));
    assert.equal(tf.memory().numTensors, tensors, 'projected SGD leaked tensors');
    const step = flattenParameters(net).map((v, i) => v - theta0[i]);
    const along = top.map((v) => v.reduce((s, x, i) => s + x * step[i], 0));
    const inTop = Math.hypot(...along);
    const total = Math.hypot(...step);
    assert.ok(total > 1e-4, 'the step moved the parameters');
    if (mode === 'dominant') assert.ok(Math.abs(inTop - total) < 1e-3 * total, `dominant: ${inTop} of ${total}`);
    else assert.ok(inTop < 1e-3 * total, `bulk: ${inTop} of ${total}`);
  }
  tf.dispose([data.x, data.y]);
  net.dispose();
});

test('an interrupt stops subspace training after the step in progress, with its parameters, and leaves the network at theta0', () => {
  const { net, data } = linearProblem(60, 'cross-entropy', 3);
  const theta0 = flattenParameters(net);
  const tensors = tf.memory().numTensors;
  const opts = { epochs: 30, batchSize: 20, learningRate: 0.05, seed: 1, subspaceSeed: 2, progress: 'silent' as const };
  requestInterrupt();
  let e: unknown = null;
  try {
    trainInSubspace(net, data, 6, opts);
  } catch (x) {
    e = x;
  } finally {
    clearInterrupt();
  }
  assert.ok(e instanceof InterruptedError, String(e));
  assert.match((e as Error).message, /subspace d=6 was interrupted after step 1 of 90/);
  const partial = (e as InterruptedError<{ steps: number; theta: Float64Array }>).partial;
  assert.equal(partial.steps, 1);
  assert.deepEqual(partial.theta, trainInSubspace(net, data, 6, { ...opts, maxSteps: 1 }).thetaD, 'the parameters of a one-step run');
  assert.deepEqual(Array.from(flattenParameters(net)), Array.from(theta0), 'network restored to theta0');
  assert.equal(tf.memory().numTensors, tensors, 'no tensors leaked');
  tf.dispose([data.x, data.y]);
  net.dispose();
});

test("batch norm under the probes' own training: running statistics follow each batch as Network.trainStep's, accuracy in evaluation mode with them; trainInSubspace puts them back", () => {
  // dense 3 -> 4, batch norm, dense 4 -> 3, inputs far from zero mean and unit scale so that stale statistics (0, 1) mislead.
  const net = new Network({ inputShape: [3], layers: [{ kind: 'dense', units: 4 }, { kind: 'batchnorm' }, { kind: 'dense', units: 3 }], seed: 4 });
  const n = 40, steps = 5, rng = new Rng(6);
  const x = Float64Array.from({ length: n * 3 }, () => 5 + 3 * rng.normal());
  const [W1, b1, W2, b2] = [net.paramLayers[0].weight, net.paramLayers[0].bias!, net.paramLayers[1].weight, net.paramLayers[1].bias!].map((t) => Float64Array.from(t.dataSync()));
  // Float64 by hand: a = x W1 + b1 (the batch norm's input); the parameters do not move at learning rate 1e-10 (below float32's step).
  const a = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) { let s = b1[j]; for (let c = 0; c < 3; c++) s += x[i * 3 + c] * W1[c * 4 + j]; a[i * 4 + j] = s; }
  // Every step's batch is the whole set (batchSize n): after S steps of momentum 0.1 from (0, 1),
  // rm = (1 - 0.9^S) mean(a), rv = 0.9^S + (1 - 0.9^S) var(a) (unbiased).
  const keep = 0.9 ** steps;
  const rm = [0, 1, 2, 3].map((j) => { let s = 0; for (let i = 0; i < n; i++) s += a[i * 4 + j]; return (1 - keep) * (s / n); });
  const rv = [0, 1, 2, 3].map((j) => {
    const m = rm[j] / (1 - keep);
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i * 4 + j] - m) ** 2;
    return keep + (1 - keep) * (s / (n - 1));
  });
  const predict = (mean: number[], variance: number[]) => Array.from({ length: n }, (_, i) => {
    const z = Array.from(b2);
    for (let j = 0; j < 4; j++) {
      const h = (a[i * 4 + j] - mean[j]) / Math.sqrt(variance[j] + 1e-5);
      for (let c = 0; c < 3; c++) z[c] += h * W2[j * 3 + c];
    }
    return z.indexOf(Math.max(...z));
  });
  // Labels: evaluation mode's prediction with the statistics training makes; the stale ones get most of them wrong.
  const labels = predict(rm, rv);
  const stale = predict([0, 0, 0, 0], [1, 1, 1, 1]).filter((p, i) => p === labels[i]).length / n;
  assert.ok(stale < 0.8, `stale statistics agree on ${stale}`);
  const data = { x: tf.tensor2d(Float32Array.from(x), [n, 3]), y: tf.tensor1d(labels, 'int32') };
  const bn = net.layers[1] as unknown as { runningMean: tf.Variable; runningVar: tf.Variable };
  const opts = { epochs: steps, batchSize: n, learningRate: 1e-10, seed: 1, progress: 'silent' as const };
  const tensors = tf.memory().numTensors;
  const sub = trainInSubspace(net, data, 2, opts);
  assert.equal(sub.steps, steps);
  assert.equal(sub.accuracy, 1, `subspace training's accuracy ${sub.accuracy} (stale statistics: ${stale})`);
  assert.deepEqual([Array.from(bn.runningMean.dataSync()), Array.from(bn.runningVar.dataSync())], [[0, 0, 0, 0], [1, 1, 1, 1]], 'statistics on entry restored');
  assert.equal(tf.memory().numTensors, tensors, 'subspace training leaked tensors');
  const r = projectedSgd(net, data, { mode: 'full', ...opts, maxSteps: steps });
  assert.equal(r.accuracy, 1, `projected SGD's accuracy ${r.accuracy}`);
  assert.ok(relative(bn.runningMean.dataSync(), rm) < 1e-5 && relative(bn.runningVar.dataSync(), rv) < 1e-5,
    `running statistics ${bn.runningMean.dataSync()} / ${bn.runningVar.dataSync()} vs ${rm} / ${rv}`);
  tf.dispose([data.x, data.y]);
  net.dispose();
});

/** Largest |a - b| relative to the largest |b|. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return d / s;
}

test('lossAndGradient({ updateStatistics }) names the argument when running statistics cannot move: running-statistics mode, several chunks, not a boolean', () => {
  const net = new Network({ inputShape: [3], layers: [{ kind: 'dense', units: 4 }, { kind: 'batchnorm' }, { kind: 'dense', units: 3 }], seed: 4 });
  const data = { x: tf.randomNormal([8, 3], 0, 1, 'float32', 1), y: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32') };
  assert.throws(() => lossAndGradient(net, data, { batchStatistics: false, updateStatistics: true }), /updateStatistics.*batchStatistics: true/s);
  assert.throws(() => lossAndGradient(net, data, { batchSize: 4, updateStatistics: true }), /updateStatistics.*one chunk/s);
  assert.throws(() => lossAndGradient(net, data, { updateStatistics: 1 as unknown as boolean }), /updateStatistics.*true or false/s);
  const bn = net.layers[1] as unknown as { runningMean: tf.Variable };
  assert.deepEqual(Array.from(bn.runningMean.dataSync()), [0, 0, 0, 0], 'a rejected call moved the statistics');
  tf.dispose([data.x, data.y]);
  net.dispose();
});
