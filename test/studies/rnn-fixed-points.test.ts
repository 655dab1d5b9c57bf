/**
 * The rnn-fixed-points study's functions against hand-made answers:
 * - cube-edge counting on hand-built graphs (a cube's 12 edges; a missing walk; extra edges);
 * - counts by unstable modes and the cube test on hand-written arrays;
 * - memory labels against the readout computed by hand;
 * - the linearisation R^2 against its Taylor order: 1 - R^2 grows as spread^2 at a point where F is not odd;
 * - the context statistics on a linear system with a known line;
 * - pool jobs: a network trained in a worker equals the same job run in this process.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { closeDefaultPool, initBackend } from '../../lib/core';
import { FixedPointFinder, FixedPoints, RecurrentNetwork, decompose, flipFlop, networkLossF64 } from '../../lib/dynamics';
import {
  CUBE_COUNTS, StudyJobArgs, countCubeEdges, flipFlopCounts, integrationStatistics, memoryLabels, restoreStudy, runStudies,
  stableLinearisationR2, studyJob, unstableModeCounts,
} from '../../lib/studies/rnn-fixed-points';

/** A cube's graph: nodes 0..7 corners labelled by 3 signs (stable), then one 1-mode saddle per edge with a walk to each end. */
function cubeGraph() {
  const labels: string[] = [];
  for (let c = 0; c < 8; c++) labels.push([0, 1, 2].map((b) => ((c >> b) & 1 ? '+' : '-')).join(''));
  const numUnstable: number[] = new Array(8).fill(0);
  const edges: { from: number; to: number }[] = [];
  for (let a = 0; a < 8; a++) for (let b = 0; b < 3; b++) {
    const c = a ^ (1 << b);
    if (c < a) continue;
    const saddle = numUnstable.length;
    numUnstable.push(1);
    labels.push('');
    edges.push({ from: saddle, to: a }, { from: saddle, to: c });
  }
  const isStable = numUnstable.map((k) => k === 0);
  return { labels, numUnstable, edges, isStable };
}

test('cube-edge counting: 12 on a cube, one fewer per broken walk, none for extra or wrong edges', () => {
  const g = cubeGraph();
  assert.equal(g.numUnstable.length, 20);
  assert.equal(countCubeEdges(g.edges, g.numUnstable, g.isStable, g.labels), 12);
  // A walk that reached no fixed point (to = -1): that edge is lost.
  const missing = g.edges.map((e, i) => (i === 0 ? { ...e, to: -1 } : e));
  assert.equal(countCubeEdges(missing, g.numUnstable, g.isStable, g.labels), 11);
  // A walk that ends at another saddle instead of a stable point: lost too.
  const toSaddle = g.edges.map((e, i) => (i === 2 ? { ...e, to: 9 } : e));
  assert.equal(countCubeEdges(toSaddle, g.numUnstable, g.isStable, g.labels), 11);
  // An extra saddle joining a diagonal (two bits differ) and a second saddle on an existing edge: still 12.
  const extra = { ...g, numUnstable: [...g.numUnstable, 1, 1], labels: [...g.labels, '', ''], isStable: [...g.isStable, false, false] };
  const diagonal = { from: 20, to: 0 };
  const edges = [...g.edges, diagonal, { from: 20, to: 3 }, { from: 21, to: 0 }, { from: 21, to: 1 }];
  assert.equal(countCubeEdges(edges, extra.numUnstable, extra.isStable, extra.labels), 12);
  // A saddle with a third walk to a stable point is ambiguous: not counted.
  const third = [...g.edges, { from: 8, to: 7 }];
  assert.equal(countCubeEdges(third, g.numUnstable, g.isStable, g.labels), 11);
  // Both walks reaching the same memory: not an edge.
  const same = g.edges.map((e, i) => (i === 1 ? { ...e, to: g.edges[0].to } : e));
  assert.equal(countCubeEdges(same, g.numUnstable, g.isStable, g.labels), 11);
  // A 2-mode point joining two adjacent corners does not count (only 1-mode saddles are edges).
  const twoMode = g.numUnstable.map((k, i) => (i === 8 ? 2 : k));
  assert.equal(countCubeEdges(g.edges, twoMode, g.isStable, g.labels), 11);
});

test('counts by unstable modes and the cube test', () => {
  assert.deepEqual(unstableModeCounts([0, 1, 1, 3, 5, 0, 2, 4]), { byModes: [2, 2, 1, 1], more: 2 });
  assert.deepEqual(unstableModeCounts([], 3), { byModes: [0, 0, 0, 0], more: 0 });
  assert.deepEqual(unstableModeCounts([0, 2, 1], 1), { byModes: [1, 1], more: 1 });
  assert.deepEqual([...CUBE_COUNTS], [8, 12, 6, 1]);
  assert.deepEqual(flipFlopCounts(FixedPoints.empty(4, 3)), { total: 0, byModes: [0, 0, 0, 0], more: 0, cube: false, eightStable: false });
});

/** Linearised points of F(h) = A h + B u (u = 0): FixedPoints with J = A, dF/du = B at every point. */
function linearPoints(points: number[][], A: number[], B: number[], I: number): FixedPoints {
  const S = points[0].length;
  const n = points.length;
  const flat = Float64Array.from(points.flat());
  return new FixedPoints({
    stateSize: S, inputSize: I, xstar: flat, xInit: flat.slice(), inputs: new Float64Array(n * I), Fxstar: flat.slice(),
    qstar: new Float64Array(n), dq: new Float64Array(n), nIters: new Int32Array(n),
    jacobians: points.map(() => Float64Array.from(A)), inputJacobians: points.map(() => Float64Array.from(B)),
    eigen: points.map(() => decompose(Float64Array.from(A), S)),
  });
}

test('context statistics: cued and ignored input columns per context on a linear system with a known line', () => {
  // A = V diag(1, 0.5, -0.3) V^-1, V = [v1 v2 v3] = [[1,0,1],[1,1,0],[0,1,1]], V^-1 = [[1,1,-1],[-1,1,1],[1,-1,1]] / 2.
  // Right eigenvector of 1: v1 = (1,1,0); left: first row of V^-1, along (1,1,-1).
  const V = [[1, 0, 1], [1, 1, 0], [0, 1, 1]];
  const Vi = [[1, 1, -1], [-1, 1, 1], [1, -1, 1]].map((r) => r.map((v) => v / 2));
  const lam = [1, 0.5, -0.3];
  const A: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) A.push([0, 1, 2].reduce((s, k) => s + V[i][k] * lam[k] * Vi[k][j], 0));
  // Input columns (4 inputs, as the task): 0 = (1,1,-1) (along l1), 1 = (1,-1,0) (orthogonal to l1), 2 and 3 unused.
  const B = [1, 1, 0, 0, /**/ 1, -1, 0, 0, /**/ -1, 0, 0, 0];
  const line = [-1, -0.4, 0.3, 0.9].map((t) => [t, t, 0]);
  const stats = integrationStatistics([linearPoints(line, A, B, 4), linearPoints(line, A, B, 4)]);
  // Context 1 cues input 0 (cos 1) and ignores input 1 (cos 0); context 2 the other way round.
  for (const v of stats[0].leftCued) assert.ok(Math.abs(v - 1) < 1e-12);
  for (const v of stats[0].leftOther) assert.ok(Math.abs(v) < 1e-12);
  for (const v of stats[1].leftCued) assert.ok(Math.abs(v) < 1e-12);
  for (const v of stats[1].leftOther) assert.ok(Math.abs(v - 1) < 1e-12);
  for (const c of stats) {
    assert.equal(c.n, 4);
    assert.ok(Math.abs(c.lineVariance - 1) < 1e-12);
    c.topEig.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-12));
    c.rightAlign.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-12));
  }
});

test('memory labels are the signs of the readout at stable points', async () => {
  await initBackend({ print: false });
  const net = RecurrentNetwork.create({ kind: 'lstm', units: 3, inputSize: 3, outputSize: 3, seed: 5 });
  // Two points with the identity as Jacobian / 2 (stable) and one with 2 I (unstable); state [c, h] of 6.
  const pts = [[0.1, 0.2, 0.3, 0.5, -0.7, 0.2], [0, 0, 0, -0.3, 0.4, -0.9], [0, 0, 0, 1, 1, 1]];
  const half = Float64Array.from({ length: 36 }, (_, k) => (k % 7 === 0 ? 0.5 : 0));
  const two = half.map((v) => 4 * v);
  const flat = Float64Array.from(pts.flat());
  const fp = new FixedPoints({
    stateSize: 6, inputSize: 3, xstar: flat, xInit: flat, inputs: new Float64Array(9), Fxstar: flat, qstar: new Float64Array(3), dq: new Float64Array(3),
    nIters: new Int32Array(3), jacobians: [half, half, two], inputJacobians: null, eigen: [half, half, two].map((J) => decompose(J, 6)),
  });
  const W = net.Wout.arraySync() as number[][];
  const b = net.bout.arraySync() as number[];
  const byHand = pts.slice(0, 2).map((p) => [0, 1, 2].map((o) => (b[o] + [0, 1, 2].reduce((s, j) => s + p[3 + j] * W[j][o], 0) >= 0 ? '+' : '-')).join(''));
  assert.deepEqual(memoryLabels(net, fp), [...byHand, '']);
  net.dispose();
});

test('linearisation R^2 near a stable point: 1 - R^2 grows as the square of the spread', async () => {
  await initBackend({ print: false });
  const net = RecurrentNetwork.create({ kind: 'vanilla', units: 4, inputSize: 1, outputSize: 1, seed: 3, recurrentScale: 0.5 });
  // A bias makes the fixed point leave the origin, where tanh's second derivative vanishes.
  net.cell.params.b.assign(tf.tensor1d([0.4, -0.3, 0.2, 0.5]));
  net.cell.invalidate();
  const fp = new FixedPointFinder(net.cell, { progress: false }).find(Float32Array.from({ length: 8 * 4 }, (_, k) => 0.1 * Math.sin(k)), [0]).fixedPoints;
  assert.equal(fp.length, 1);
  const r2 = (spread: number) => stableLinearisationR2(net, fp, { points: 64, spread, seed: 9 })!;
  const small = 1 - r2(0.01);
  const large = 1 - r2(0.04);
  assert.ok(small > 0 && small < 1e-3, `1 - R^2 = ${small}`);
  // Second-order remainder over a first-order signal: ratio (0.04 / 0.01)^2 = 16 for the same directions (same seed).
  assert.ok(large / small > 12 && large / small < 20, `ratio ${large / small}`);
  net.dispose();
});

test('runStudies trains and analyses networks in workers, identical to the in-process job', async () => {
  await initBackend({ print: false });
  const job = (kind: 'vanilla' | 'gru', seed: number): StudyJobArgs => ({
    network: { kind, units: 6, inputSize: 3, outputSize: 3, seed },
    train: { task: 'flipFlop', taskOptions: { steps: 12 }, steps: 15, batchSize: 8, learningRate: 0.02, seed },
    fixedPoints: { trials: 8, initialStates: 16, noise: 0.1, seed, finder: { maxIters: 50 } },
  });
  try {
    const jobs = [job('vanilla', 1), job('gru', 2)];
    const remote = await runStudies(jobs, { progress: false });
    assert.equal(remote.length, 2);
    const local = await studyJob(jobs[1]);
    assert.deepEqual(remote[1].train.losses, local.train.losses, 'worker and main process give the same training curve');
    const a = restoreStudy(remote[1]);
    const b = restoreStudy(local);
    const batch = flipFlop({ batch: 4, steps: 12, seed: 9 });
    assert.equal(networkLossF64(a.net, batch), networkLossF64(b.net, batch));
    assert.deepEqual(Array.from(a.fps[0].qstar), Array.from(b.fps[0].qstar));
    assert.deepEqual(remote[1].searches[0].input, [0, 0, 0]);
    a.net.dispose();
    b.net.dispose();
  } finally {
    await closeDefaultPool();
  }
});
