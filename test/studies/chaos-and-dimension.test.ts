/**
 * lib/studies/chaos-and-dimension: each job against the domain functions it
 * wraps, the autocovariance against a brute-force sum, the figures' traces and
 * the table's rows against hand-made inputs, the run-time estimate by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RandomRateNetwork } from '../../lib/circuits';
import { lyapunovSpectrum } from '../../lib/dynamics';
import { crossBlockParticipationRatio } from '../../lib/geometry';
import { participationRatioTheory, stationaryDmft } from '../../lib/meanfield';
import {
  DimensionJobResult, PUBLISHED_PR, SpectrumJobResult, publishedMean, TheoryJobResult, dimensionFigure, dimensionJob, estimatedRunSeconds, lambda1Figure,
  populationAutocovariance, reproductionRows, spectrumJob, theoryJob,
} from '../../lib/studies/chaos-and-dimension';

test('populationAutocovariance equals the brute-force mean over units of lagged products', () => {
  const samples = 7, N = 3;
  const X = Float64Array.from({ length: samples * N }, (_, i) => Math.sin(0.7 * i) + (i % 3));
  const ac = populationAutocovariance(X, samples, N, 3);
  for (let l = 0; l <= 3; l++) {
    let total = 0;
    for (let i = 0; i < N; i++) {
      const xs = Array.from({ length: samples }, (_, t) => X[t * N + i]);
      const m = xs.reduce((s, v) => s + v, 0) / samples;
      let s = 0;
      for (let t = 0; t + l < samples; t++) s += (xs[t] - m) * (xs[t + l] - m);
      total += s / (samples - l);
    }
    assert.ok(Math.abs(ac[l] - total / N) < 1e-14);
  }
  assert.throws(() => populationAutocovariance(X, samples, N, samples), /maxLag/);
});

test('spectrumJob gives lyapunovSpectrum\'s numbers for the same network and seeds', async () => {
  const args = { N: 30, g: 2, seed: 1, stateSeed: 2, frameSeed: 3, k: 4, time: 20, transient: 10, frameTransient: 5 };
  const r = await spectrumJob(args, { progress: () => {} });
  const net = new RandomRateNetwork({ N: 30, g: 2, seed: 1 });
  const d = lyapunovSpectrum(net.tangentSystem({ scheme: 'flow', dt: 0.1 }), net.initialState(2), {
    k: 4, time: 20, dt: 0.1, transient: 10, frameTransient: 5, seed: 3, progress: false,
  });
  assert.deepEqual(r.exponents, Array.from(d.exponents));
  assert.equal(r.kaplanYorke, d.kaplanYorke);
});

test('dimensionJob gives the cross-block PR / N of the same simulation; theoryJob the DMFT\'s', async () => {
  const args = { N: 24, g: 2.5, seed: 5, stateSeed: 6, time: 60, transient: 20, sampleEvery: 0.5, blocks: 4, maxLag: 5 };
  const r = await dimensionJob(args, { progress: () => {} });
  const net = new RandomRateNetwork({ N: 24, g: 2.5, seed: 5 });
  const tr = net.simulate(net.initialState(6), { scheme: 'flow', dt: 0.1 }, { time: 60, transient: 20, sampleEvery: 0.5 });
  const e = crossBlockParticipationRatio(tr.states, tr.samples, 24, { blocks: 4 });
  assert.equal(r.prX, e.pr / 24);
  assert.equal(r.lags.length, 11);
  assert.equal(r.autocovariance[0], populationAutocovariance(tr.states, tr.samples, 24, 10)[0]);

  const t = await theoryJob({ g: 2, tableNodes: 33, dz: 0.08, lagEvery: 0.5, maxLag: 2 });
  const d = stationaryDmft({ g: 2, tableNodes: 33, quadrature: { dz: 0.08 } });
  assert.equal(t.prX, participationRatioTheory(d).prX);
  assert.deepEqual(t.lags, [0, 0.5, 1, 1.5, 2]);
  assert.equal(t.autocovariance[2], d.autocovariance[40]); // lag 1 on the 0.025 grid
});

const spectra: SpectrumJobResult[] = [
  { N: 100, g: 0.5, seed: 0, time: 50, exponents: [-0.3, -0.4], standardErrors: [0.01, 0.01], kaplanYorke: 0, entropyRate: 0, seconds: 1 },
  { N: 100, g: 2, seed: 0, time: 100, exponents: [0.1, 0.05], standardErrors: [0.02, 0.01], kaplanYorke: 2, entropyRate: 0.15, seconds: 1 },
];
const theory: TheoryJobResult[] = [
  { g: 2, quiescent: false, variance: 1.9, prX: 0.0159, prPhi: 0.0197, residual: 0, lags: [0, 1], autocovariance: [1.9, 1], seconds: 1 },
];
const sims: DimensionJobResult[] = [
  { N: 500, g: 2, seed: 0, prX: 0.017, prXError: 0.001, prPhi: 0.021, prPhiError: 0.002, naiveX: 0.01, naivePhi: 0.01, lags: [0, 1], autocovariance: [1.8, 1.1], seconds: 1 },
];

test('figures carry the values given (lambda_1 with 2 s.e., PR theory, simulation and published)', () => {
  const f = lambda1Figure(spectra);
  const tr = f.data.find((d) => d.name === 'lambda_1, N = 100')!;
  assert.deepEqual(tr.y, [-0.3, 0.1]);
  assert.deepEqual((tr.error_y as { array: number[] }).array, [0.02, 0.04]);
  const g = dimensionFigure(theory, sims);
  assert.deepEqual(g.data.find((d) => d.name === 'theory, x')!.y, [0.0159]);
  assert.deepEqual(g.data.find((d) => d.name === 'simulation, phi(x)')!.y, [0.021]);
  assert.deepEqual(g.data.find((d) => d.name === 'published (N = 16384, 2 seeds), x')!.y, Object.values(PUBLISHED_PR).map((p) => (p.x[0] + p.x[1]) / 2));
  assert.equal(publishedMean(2, 'phi'), (0.019242 + 0.019775) / 2);
  assert.equal(publishedMean(7, 'x'), null);
});

test('reproduction rows format the paper, theory and measured numbers; run-time estimate by hand', () => {
  const rows = reproductionRows({ theory, sims, spectra, simSettings: 'N={N}', spectrumSettings: 'N={N}, k={k}, T {T}' });
  const x2 = rows.find((r) => r.quantity === 'PR/N of x, g = 2')!;
  assert.deepEqual(x2, { quantity: 'PR/N of x, g = 2', paper: '0.0155 / 0.0159 (simulations, N = 16384, seeds 0 / 1)', theory: '0.0159', measured: '0.0170 +- 0.0010', settings: 'N=500' });
  assert.equal(rows.filter((r) => r.quantity.startsWith('PR/N')).length, 2); // only g = 2 has inputs
  const l = rows.find((r) => r.quantity === 'lambda_1, g = 0.5')!;
  assert.equal(l.measured, '-0.3000 +- 0.0100 (KY dimension 0.0)');
  assert.equal(l.settings, 'N=100, k=2, T 50'); // each spectrum's own recorded time
  // 100 steps x 4 x 2 N^2 k at 1 GFLOP/s, one worker: N = 100, k = 50 -> 0.4 s; no simulations; 2 DMFTs x 3 s
  assert.ok(Math.abs(estimatedRunSeconds({ spectra: [{ N: 100, k: 50, time: 10 }], simulations: [], theoryGains: 2, workers: 1, gflops: 1 }) - (0.4 + 6)) < 1e-12);
});
