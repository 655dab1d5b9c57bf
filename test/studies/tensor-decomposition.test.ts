/**
 * lib/studies/tensor-decomposition: each job against the lib/tensor calls it
 * wraps, the signal error against a dense computation, the synthetic neural
 * tensor against its definition, figures' traces and the table against
 * hand-made inputs, the run-time estimate by hand. (The notebook's QUICK run
 * is test/notebooks/smoke.test.ts, which finds every notebook.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amp, cpAls, factorSimilarity, kruskalFull, plantedTensor, scalarChannel, stateEvolution } from '../../lib/tensor';
import {
  REFERENCE_VALUES, TrajectoryJobResult, ampPointJob, comparisonJob, estimatedRunSeconds, neuralTensor, reproductionRows, signalError, trajectoryFigure,
  trajectoryJob,
} from '../../lib/studies/tensor-decomposition';

const G = { kind: 'gaussian' as const };
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

test('trajectoryJob gives amp\'s overlaps per unit truth norm and state evolution from m(a0)', async () => {
  const r = await trajectoryJob({ N: 12, snr: 8, prior: G, seed: 3, a0: 1, steps: 4 });
  const pt = plantedTensor({ shape: [12, 12, 12], snr: 8, priors: G, seed: 3 });
  const a = amp(pt.tensor, { snr: 8, priors: G, init: { informed: 1 }, truth: pt.factors, seed: 3, maxIterations: 4, tolerance: 0 });
  for (let t = 0; t <= 4; t++) {
    const want = a.overlaps[t].reduce((s, m, k) => s + (m[0] * 12) / dot(pt.factors[k], pt.factors[k]), 0) / 3;
    assert.ok(Math.abs(r.amp[t] - want) < 1e-14);
  }
  const m0 = scalarChannel(G, 1).overlap;
  assert.equal(m0, 0.5);
  assert.deepEqual(r.se, stateEvolution({ snr: 8, priors: G, init: [m0, m0, m0], maxIterations: 4, tolerance: 0 }).overlaps.map((o) => o[0]));
});

test('ampPointJob: a random start stays uninformative in the hard phase, an informed one recovers (N = 30, lambda = 12)', async () => {
  const inf = await ampPointJob({ shape: [30, 30, 30], snr: 12, prior: G, seed: 2, init: 'informed', maxIterations: 100 });
  const rnd = await ampPointJob({ shape: [30, 30, 30], snr: 12, prior: G, seed: 2, init: 'random', maxIterations: 100 });
  assert.ok(inf.overlap > 0.8, `informed ${inf.overlap}`);
  assert.ok(Math.abs(rnd.overlap) < 0.1, `random ${rnd.overlap}`);
  assert.equal(inf.modes.length, 3);
  assert.ok(Math.abs(inf.overlap - inf.modes.reduce((s, v) => s + v, 0) / 3) < 1e-15);
});

test('signalError equals the dense relative error of the two Kruskal tensors', () => {
  const shape = [4, 3, 5];
  const pt = plantedTensor({ shape, rank: 2, snr: 3, priors: G, seed: 1 });
  const other = plantedTensor({ shape, rank: 2, snr: 3, priors: G, seed: 2 });
  const A = kruskalFull({ shape, rank: 2, factors: pt.factors }), B = kruskalFull({ shape, rank: 2, factors: other.factors });
  let e = 0, n = 0;
  for (let i = 0; i < A.data.length; i++) { e += (0.7 * B.data[i] - pt.scale * A.data[i]) ** 2; n += (pt.scale * A.data[i]) ** 2; }
  const got = signalError({ scale: 0.7, factors: other.factors, rank: 2 }, { scale: pt.scale, factors: pt.factors, rank: 2 }, shape);
  assert.ok(Math.abs(got - Math.sqrt(e / n)) < 1e-12);
  assert.equal(signalError({ scale: pt.scale, factors: pt.factors, rank: 2 }, { scale: pt.scale, factors: pt.factors, rank: 2 }, shape), 0);
});

test('comparisonJob\'s ALS cosines are factorSimilarity\'s for cpAls on the same planted tensor', async () => {
  const r = await comparisonJob({ N: 10, rank: 1, snr: 3, prior: { kind: 'gaussian', mean: 1 }, seed: 4, alsMaxIterations: 50, ampMaxIterations: 50 });
  const pt = plantedTensor({ shape: [10, 10, 10], rank: 1, snr: 3, priors: { kind: 'gaussian', mean: 1 }, seed: 4 });
  const als = cpAls(pt.tensor, { rank: 1, seed: 4, tolerance: 1e-7, maxIterations: 50 });
  const s = factorSimilarity({ shape: [10, 10, 10], rank: 1, factors: pt.factors }, als.model, { weights: false });
  s.modeCosines[0].forEach((c, n) => assert.ok(Math.abs(Math.abs(c) - r.alsCosine[n]) < 1e-12));
  assert.equal(r.alsDataError, als.lossHistory[als.lossHistory.length - 1]);
});

test('neuralTensor: columns of mean square 1, the planted shapes, and N(0, 1) noise around s times the signal', () => {
  const d = neuralTensor({ neurons: 40, time: 30, trials: 20, snr: 50, seed: 7 });
  d.factors.forEach((F, n) => {
    for (let s = 0; s < 3; s++) {
      let ss = 0;
      for (let i = 0; i < d.shape[n]; i++) ss += F[i * 3 + s] ** 2;
      assert.ok(Math.abs(ss / d.shape[n] - 1) < 1e-12);
    }
  });
  const C = d.factors[2];
  for (let k = 1; k < 20; k++) { assert.equal(C[k * 3], C[0]); assert.ok(C[k * 3 + 1] > C[(k - 1) * 3 + 1]); }
  for (const v of d.factors[0]) assert.ok(v >= 0);
  const S = kruskalFull({ shape: d.shape, rank: 3, factors: d.factors });
  let m = 0, v = 0;
  for (let i = 0; i < S.data.length; i++) { const e = d.data[i] - d.scale * S.data[i]; m += e; v += e * e; }
  m /= S.data.length; v /= S.data.length;
  assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `noise mean ${m}, variance ${v}`);
  assert.ok(Math.abs(d.scale - Math.sqrt(50 / Math.cbrt(40 * 30 * 20) ** 2)) < 1e-15);
});

test('trajectoryFigure holds state evolution and the median and range of AMP over seeds', () => {
  const runs: TrajectoryJobResult[] = [
    { N: 5, snr: 6, seed: 1, amp: [0.5, 0.6, 0.9], se: [0.5, 0.7, 0.8], seconds: 0 },
    { N: 5, snr: 6, seed: 2, amp: [0.5, 0.8, 0.7], se: [0.5, 0.7, 0.8], seconds: 0 },
    { N: 5, snr: 6, seed: 3, amp: [0.5, 0.7, 0.8], se: [0.5, 0.7, 0.8], seconds: 0 },
  ];
  const fig = trajectoryFigure(runs);
  const traces = fig.data as { y: number[]; name?: string }[];
  const se = traces.find((t) => t.name?.startsWith('state evolution'))!;
  assert.deepEqual(se.y, [0.5, 0.7, 0.8]);
  const med = traces.find((t) => t.name?.startsWith('AMP') && !/\((upper|lower)\)$/.test(t.name))!;
  assert.deepEqual(med.y, [0.5, 0.7, 0.8]);
  const upper = traces.find((t) => t.name?.endsWith('(upper)'))!;
  assert.deepEqual(upper.y, [0.5, 0.8, 0.9]);
});

test('reproductionRows carry the reference values and the measured strings; estimatedRunSeconds by hand', () => {
  const rows = reproductionRows({ spinodal: 4.0001, informationTheoretic: null, trajectoryGap: 0.0123, trajectorySettings: 'S', hysteresis: 'H', aspect: 'A', comparison: 'C', neural: 'D' });
  assert.match(rows[0].reference, /lambda = 4, m = 0.5/);
  assert.equal(rows[0].measured, 'state evolution: lambda = 4.0001');
  assert.equal(rows[1].measured, 'none below the scan limit');
  assert.equal(rows[2].measured, 'largest gap of the median trajectory 0.012 (S)');
  assert.deepEqual(rows.slice(3).map((r) => r.measured), ['H', 'A', 'C', 'D']);
  assert.equal(REFERENCE_VALUES.spinodal, 4);
  const s = estimatedRunSeconds({ runs: [{ N: 100, rank: 1, steps: 10 }], seSeconds: 4, workers: 2, gflops: 1 });
  assert.ok(Math.abs(s - (4 + (10 * 3 * 2 * 1e6) / 1e9 + 1e6 / 5e7) / 2) < 1e-12);
});
