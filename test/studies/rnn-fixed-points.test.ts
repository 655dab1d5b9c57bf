/**
 * The rnn-fixed-points study's functions against hand-made answers:
 * - cube-edge counting on hand-built graphs (a cube's 12 edges; a missing walk; extra edges);
 * - counts by unstable modes and the cube test on hand-written arrays;
 * - memory labels against the readout computed by hand;
 * - the linearisation R^2 against its Taylor order: 1 - R^2 grows as spread^2 at a point where F is not odd;
 * - the context statistics and the eigenvalue-along-the-line figure on a linear system with a known line;
 * - rates over seeds, job plans, results.json medians, table rows and the counts figure from hand-made inputs;
 * - pool jobs: a network trained in a worker equals the same job run in this process.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { closeDefaultPool, initBackend } from '../../lib/core';
import { FixedPointFinder, FixedPoints, RecurrentNetwork, decompose, flipFlop, networkLossF64 } from '../../lib/dynamics';
import {
  CUBE_COUNTS, StudyJobArgs, countCubeEdges, flipFlopCounts, integrationStatistics, lineEigenvalueFigure, memoryLabels, restoreStudy, runStudies,
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
  // The eigenvalue-along-the-line figure: positions sorted along the line, |lambda_1| = 1 at each; none without points.
  const fig = lineEigenvalueFigure([linearPoints(line, A, B, 4), FixedPoints.empty(3, 4)])!;
  assert.equal(fig.data.length, 1);
  const { x, y } = fig.data[0] as { x: number[]; y: number[] };
  // Positions are projections on the line's unit direction, sorted: gaps between t = -1, -0.4, 0.3, 0.9 times |v1| = sqrt 2
  // (0.6, 0.7, 0.6: the same read from either end, so the direction's sign does not matter).
  [0.6, 0.7, 0.6].forEach((gap, i) => assert.ok(Math.abs(x[i + 1] - x[i] - gap * Math.SQRT2) < 1e-12, `gap ${i}: ${x[i + 1] - x[i]}`));
  y.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-12));
  assert.equal(lineEigenvalueFigure([FixedPoints.empty(3, 4)]), null);
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
  const fp = new FixedPointFinder(net.cell, { progress: false }).find({ values: Float32Array.from({ length: 8 * 4 }, (_, k) => 0.1 * Math.sin(k)), count: 8 }, [0]).fixedPoints;
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

test('rates, target mean square, job plans, results and table rows from hand-made inputs', async () => {
  const {
    flipFlopRates, targetMeanSquare, flipFlopJobs, integrationJobs, integrationMeasured, reproductionRows, unstableModeCountsFigure,
  } = await import('../../lib/studies/rnn-fixed-points');
  const c = (byModes: number[], arch: string) => ({ arch, total: byModes.reduce((a, b) => a + b, 0), byModes, more: 0, cube: byModes.join() === '8,12,6,1', eightStable: byModes[0] === 8 });
  const rows = [c([8, 12, 6, 1], 'gru'), c([8, 11, 6, 1], 'gru'), c([7, 12, 6, 1], 'gru'), c([8, 12, 6, 1], 'lstm')];
  assert.deepEqual(flipFlopRates(rows, ['gru', 'lstm']), { passRate: { gru: 1 / 3, lstm: 1 }, eightStableRate: { gru: 2 / 3, lstm: 1 } });
  assert.equal(targetMeanSquare({ inputs: new Float32Array(2), targets: Float32Array.from([1, -2, 3, 0]), batch: 1, steps: 4, inputSize: 0, outputSize: 1 }), 14 / 4);

  const ff = flipFlopJobs({
    archs: ['vanilla', 'lstm'], seeds: [0, 3], units: { vanilla: 16, lstm: 8 }, stepsPerTrial: 32, trainingTrials: 512, batch: 64, trainSteps: 10,
    stopLoss: 1e-4, learningRate: 0.02, initialStates: 64, noise: 0.5, maxIters: 100, newtonSteps: 5,
  });
  assert.deepEqual(ff.map((j) => [j.key.arch, j.key.seed, j.job.network.units, j.job.network.seed, j.job.train.seed, j.job.fixedPoints!.seed]),
    [['vanilla', 0, 16, 1000, 2000, 3000], ['vanilla', 3, 16, 1003, 2003, 3003], ['lstm', 0, 8, 1000, 2000, 3000], ['lstm', 3, 8, 1003, 2003, 3003]]);
  const ci = integrationJobs({ archs: ['gru'], seeds: [2], units: 100, g: 0.8, batch: 128, trainSteps: 5, initialStates: 32, noise: 0.01, maxIters: 10, slowQ: 1e-7 });
  assert.deepEqual(ci[0].job.fixedPoints!.inputs, [[0, 0, 1, 0], [0, 0, 0, 1]], 'one search per context');
  assert.deepEqual([ci[0].job.network.seed, ci[0].job.train.seed, ci[0].job.fixedPoints!.seed], [5002, 6002, 7002]);

  // Context statistics: medians per context, NaN (null in JSON) for a context without statistics.
  const stats = [[
    { n: 4, lineVariance: 0.9, topEig: [1, 0.98, 1.02, 0.99], rightAlign: [0.9, 0.8, 1], leftCued: [0.5, 0.7], leftOther: [0.1] },
    { n: 2, lineVariance: NaN, topEig: [], rightAlign: [], leftCued: [], leftOther: [] },
  ]];
  const train = { losses: [1], steps: 1, finalLoss: 0.25, wallSeconds: 0, stoppedBy: 'steps' as const };
  const m = integrationMeasured([{ arch: 'vanilla', seed: 0, train }], stats);
  assert.deepEqual(m.perNetwork[0].contexts[0], { slowPoints: 4, lineVarianceFraction: 0.9, topEigMedian: 0.995, rightAlignMedian: 0.9, leftCuedMedian: 0.6, leftIgnoredMedian: 0.1 });
  assert.ok(Number.isNaN(m.perNetwork[0].contexts[1].topEigMedian));

  const table = reproductionRows({
    handBuilt: { fixedPoints: 27, byModes: [8, 12, 6, 1], states: 512 },
    flipFlop: [{ arch: 'gru', units: 32, seeds: 3, states: 1024, counts: rows.slice(0, 3), cubeEdges: [12, 11, 9] }],
    integration: [{ arch: 'vanilla', units: 100, seeds: 1, trainSteps: 150, stats }],
  });
  const measured = (quantity: string) => table.find((r) => r.quantity === quantity)!.measured;
  assert.equal(measured('fixed points: total; 0/1/2/3 unstable modes'), '27; 8/12/6/1');
  assert.equal(measured('stable fixed points'), '8 (7-8)');
  assert.equal(measured('saddles with 1 / 2 / 3 unstable modes'), '12 (11-12) / 6 (6-6) / 1 (1-1)');
  assert.equal(measured('networks with exactly 8/12/6/1'), '1/3');
  assert.equal(measured('cube edges from 1-mode saddles'), '11 (9-12)');
  // Only the context with statistics enters the integration rows.
  assert.equal(measured('top |lambda| at slow points (median per context)'), '0.995');
  assert.equal(measured('|cos(left eigvec, ignored input)|'), '0.10');

  // The counts figure: one marker per network and mode, architectures side by side, and the cube's counts.
  const fig = unstableModeCountsFigure(rows, ['gru', 'lstm']);
  const gru = fig.data[0] as { x: number[]; y: number[] };
  assert.deepEqual(gru.y, [8, 12, 6, 1, 8, 11, 6, 1, 7, 12, 6, 1]);
  assert.deepEqual(gru.x.slice(0, 4), [-0.15, 0.85, 1.85, 2.85]);
  assert.deepEqual((fig.data[2] as { y: number[] }).y, [8, 12, 6, 1]);
});
