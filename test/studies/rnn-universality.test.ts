/**
 * The rnn-universality study's functions against independent answers:
 * - hiddenStates picks h (not c) of the LSTM state: h Wout + b equals the network's own outputs;
 * - sineAngles and slowModeCount on hand-written eigenvalues;
 * - sineCues against the sineWave generator's inputs and frequencies;
 * - svccaDistances: 0 for a rotated, scaled copy, symmetric;
 * - the member job called directly equals the domain calls it wraps (training loss, probe states, the
 *   fixed points of its search, the graph's nodes);
 * - estimatedRunSeconds arithmetic and the table rows from hand-made inputs.
 * (The notebook's QUICK run is the smoke test in test/notebooks/smoke.test.ts:
 * `SMOKE_NOTEBOOKS=rnn-universality node --import tsx --test test/notebooks/smoke.test.ts`.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '../../lib/core';
import {
  FixedPoints, RecurrentNetwork, findNetworkFixedPoints, flipFlop, randomOrthogonal, sineWave, taskTensors, trainNetwork, trajectoryStates,
} from '../../lib/dynamics';
import {
  TaskSettings, computeMember, estimatedRunSeconds, hiddenStates, reproductionRows, sineAngles, sineCues, slowModeCount, svccaDistances,
} from '../../lib/studies/rnn-universality';

test('hiddenStates takes h of an LSTM state [c, h]: h Wout + b reproduces the outputs', async () => {
  await initBackend({ print: false });
  const net = RecurrentNetwork.create({ kind: 'lstm', units: 5, inputSize: 3, outputSize: 3, seed: 2 });
  const ff = taskTensors(flipFlop({ batch: 2, steps: 6, seed: 1 }));
  const { states, outputs } = net.run(ff.inputs);
  const h = hiddenStates(states.dataSync(), net.stateSize, 5);
  const W = (net.toJSON() as { Wout: number[]; bout: number[] });
  const y = outputs.dataSync();
  for (let r = 0; r < 12; r++) for (let o = 0; o < 3; o++) {
    let s = W.bout[o];
    for (let j = 0; j < 5; j++) s += h[r * 5 + j] * W.Wout[j * 3 + o];
    assert.ok(Math.abs(s - y[r * 3 + o]) < 1e-5, `row ${r} output ${o}`);
  }
  tf.dispose([states, outputs, ff.inputs, ff.targets]);
  net.dispose();
  assert.deepEqual(Array.from(hiddenStates([1, 2, 3, 4, 5, 6], 3, 2)), [2, 3, 5, 6]);
  assert.throws(() => hiddenStates([1, 2, 3], 2, 1), /states/);
});

/** FixedPoints with the given eigenvalues per point (vectors unused). */
function withEigenvalues(points: [number, number][][]): FixedPoints {
  const S = points[0].length;
  const n = points.length;
  const z = (k: number) => new Float64Array(k);
  return new FixedPoints({
    stateSize: S, inputSize: 0, xstar: z(n * S), xInit: z(n * S), inputs: z(0), Fxstar: z(n * S), qstar: z(n), dq: z(n), nIters: new Int32Array(n),
    jacobians: null, inputJacobians: null,
    eigen: points.map((ev) => ({ re: Float64Array.from(ev, (e) => e[0]), im: Float64Array.from(ev, (e) => e[1]), rightRe: z(S * S), rightIm: z(S * S), leftRe: null, leftIm: null })),
  });
}

test('sineAngles: the complex top mode with the largest |lambda|; slowModeCount: |lambda| > exp(-1/T)', () => {
  // Point 0: real 1.2 first, then 0.9 +- 0.3i; point 1: 1.05 +- 0.2i. The largest complex pair is point 1's.
  const fp = withEigenvalues([[[1.2, 0], [0.9, 0.3], [0.9, -0.3]], [[1.05, 0.2], [1.05, -0.2], [0.1, 0]]]);
  assert.ok(Math.abs(sineAngles(fp)! - Math.atan2(0.2, 1.05)) < 1e-15);
  assert.ok(Math.abs(sineAngles(fp.index([0]))! - Math.atan2(0.3, 0.9)) < 1e-15);
  assert.equal(sineAngles(withEigenvalues([[[0.5, 0], [0.2, 0]]])), null);
  // exp(-1/25) = 0.9608: 0.99 and 0.97 are slow, 0.95 is not.
  const slow = withEigenvalues([[[0.99, 0], [0.97, 0], [0.95, 0]]]);
  assert.equal(slowModeCount(slow, 0, 25), 2);
  assert.equal(slowModeCount(slow, 0, 10), 3); // exp(-1/10) = 0.905
});

test('sineCues match the sineWave generator: input j / F + 0.25 comes with omega_j', () => {
  const b = sineWave({ batch: 40, steps: 3, seed: 4 });
  const omega = (b.labels as { omega: Float32Array }).omega;
  for (let i = 0; i < 40; i++) {
    const j = Math.round(((omega[i] - 0.1) * 50) / 0.5);
    const c = sineCues([j]);
    assert.ok(Math.abs(c.inputs[0][0] - b.inputs[i * 3]) < 1e-7);
    assert.ok(Math.abs(c.omega[0] - omega[i]) < 1e-6);
  }
});

test('svccaDistances: a rotated, scaled copy is at distance 0, noise far, the matrix symmetric', () => {
  const rng = new Rng(1);
  const m = 200, p = 4;
  const x = Float64Array.from({ length: m * p }, (_, i) => rng.normal() * (1 + (i % p)));
  const R = randomOrthogonal(p, 3);
  const y = new Float64Array(m * p);
  for (let i = 0; i < m; i++) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) y[i * p + b] += 2.5 * x[i * p + a] * R[a][b];
  const noise = Array.from(rng.normalArray(m * p, 0, 1, 'float64'));
  const D = svccaDistances([{ states: Array.from(x), units: p }, { states: Array.from(y), units: p }, { states: noise, units: p }]);
  assert.ok(D[1] < 1e-9, `copy ${D[1]}`);
  assert.ok(D[2] > 0.7, `noise ${D[2]}`);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.equal(D[i * 3 + j], D[j * 3 + i]);
});

test('the member job equals the domain calls it wraps', async () => {
  await initBackend({ print: false });
  const s: TaskSettings = {
    task: 'flipFlop', taskOptions: { steps: 10, bits: 3, pulseProbability: 0.5 }, units: 8, trainSteps: 15, batch: 16, trainingTrials: 64, learningRate: 0.02, stopLoss: 0,
    probeTrials: 3, probeSeed: 5, searchTrials: 8, initialStates: 32, noise: 0.5, maxIters: 300, inputs: [[0, 0, 0]], graphInput: 0,
  };
  const r = await computeMember({ task: 'flipFlop', arch: 'gru', nonlinearity: 'tanh', seed: 1 }, s);
  const net = RecurrentNetwork.create({ kind: 'gru', units: 8, inputSize: 3, outputSize: 3, seed: 101 });
  const train = trainNetwork(net, {
    task: 'flipFlop', taskOptions: s.taskOptions, steps: 15, batchSize: 16, trainingTrials: 64, learningRate: { kind: 'adaptive', rate: 0.02, minRate: 1e-5 },
    adamEpsilon: 1e-3, clipNorm: 1, stopLoss: 0, seed: 201, progress: false,
  });
  assert.equal(r.finalLoss, train.finalLoss);
  assert.deepEqual(r.states, Array.from(trajectoryStates(net, 'flipFlop', { trials: 3, seed: 5, taskOptions: s.taskOptions })));
  const [search] = findNetworkFixedPoints(net, { task: 'flipFlop', taskOptions: s.taskOptions, trials: 8, initialStates: 32, noise: 0.5, seed: 301, inputs: [[0, 0, 0]], finder: { maxIters: 300 } });
  assert.equal(r.searches[0].points, search.fixedPoints.length);
  assert.deepEqual(r.searches[0].counts, search.fixedPoints.length ? search.fixedPoints.stabilityCounts : { stable: 0, marginal: 0, unstable: 0 });
  assert.equal(r.graph.labels.length, search.fixedPoints.length);
  net.dispose();
});

test('estimatedRunSeconds and the table rows', () => {
  assert.equal(estimatedRunSeconds({ members: 300, memberSeconds: 60, workers: 2 }), 9000);
  const member = (arch: 'vanilla' | 'gru', stable: number, angle: number | null, slow: number | null) => ({
    task: 'flipFlop' as const, arch, seed: 0, finalLoss: 0, trainSteps: 1, trainSeconds: 1, states: [], units: 1, graph: { labels: [], edges: [] }, seconds: 1,
    searches: [{ input: [0], points: 1, counts: { stable, marginal: 0, unstable: 0 }, angle, slowModes: slow }],
  });
  const analysis = { archs: ['vanilla' as const], svcca: { distances: new Float64Array(1), mds: new Float64Array(2), silhouette: 0.61 }, topology: { distances: new Float64Array(1), mds: new Float64Array(2), silhouette: -0.05 } };
  const rows = reproductionRows({
    analyses: { flipFlop: analysis }, members: { flipFlop: [member('vanilla', 8, null, null), member('gru', 6, null, null)], sineWave: [member('gru', 0, 0.22, null)], contextIntegration: [member('vanilla', 0, null, 1), member('gru', 0, null, 3)] },
    sineOmega: [0.2], settings: 'x',
  });
  const byQ = Object.fromEntries(rows.map((r) => [r.quantity, r.measured]));
  assert.equal(byQ['flipFlop: silhouette by architecture, SVCCA'], '0.610');
  assert.equal(byQ['flipFlop: silhouette by architecture, topology'], '-0.050');
  assert.equal(byQ['flipFlop: stable fixed points per network'], '7.000 (6.000-8.000)');
  assert.match(byQ['sineWave: |arg lambda_1 - omega| / omega'], /^0\.100 over 1 /);
  assert.equal(byQ['contextIntegration: slow modes, gru'], '3.000');
});
