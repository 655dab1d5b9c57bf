/**
 * lib/studies/balanced-predictive-coding: the power-law fit against exact and
 * hand-computed cases, the step rule, the job against the network it wraps,
 * the theory glue against lib/meanfield, the critical balance against the
 * critical loop gain, the figures' traces and the table's rows against
 * hand-made inputs, and the run-time estimate by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictiveCodingNetwork } from '../../lib/circuits';
import { criticalLoopGain, decoderFluctuations, predictiveCodingMeanField } from '../../lib/meanfield';
import {
  SimulationResult, balanceFigure, criticalBalance, delayFigure, estimatedRunSeconds, groupMedians, powerLawFit, reproductionRows, scalingFigure, simulationJob, stepFor,
  theoryFor, transferFigure,
} from '../../lib/studies/balanced-predictive-coding';

test('powerLawFit recovers an exact power law, and its interval matches the t-based slope error by hand', () => {
  const xs = [100, 400, 1600, 6400];
  const exact = powerLawFit(xs, xs.map((x) => 3 * x ** -0.75));
  assert.ok(Math.abs(exact.exponent + 0.75) < 1e-12 && Math.abs(exact.prefactor - 3) < 1e-9);
  assert.ok(exact.interval[1] - exact.interval[0] < 1e-9);
  // log-log points (0, 0), (1, 1), (2, 3): slope 1.5, residuals -1/6, 1/3, -1/6 -> s.e. sqrt((1/6) / 2) = 0.2887; t(1) = 12.706
  const e = Math.E;
  const f = powerLawFit([1, e, e * e], [1, e, e ** 3]);
  assert.ok(Math.abs(f.exponent - 1.5) < 1e-12);
  assert.ok(Math.abs((f.interval[1] - f.exponent) - 12.706 * Math.sqrt(1 / 12)) < 1e-9);
  assert.throws(() => powerLawFit([1, 2], [1, 0]), /ys/);
  assert.throws(() => powerLawFit([2, 2], [1, 3]), /xs/);
});

test('stepFor resolves the loop and divides the delay', () => {
  assert.equal(stepFor(0, { dtMax: 0.05, resolution: 0.05 }), 0.05);
  assert.ok(Math.abs(stepFor(9, { dtMax: 0.05, resolution: 0.05 }) - 0.005) < 1e-15);
  const dt = stepFor(3, { dtMax: 0.05, resolution: 1, delay: 0.13 });
  assert.ok(dt <= 0.05 && Math.abs(0.13 / dt - Math.round(0.13 / dt)) < 1e-9);
});

test('simulationJob gives the network\'s numbers for the same seeds, and theoryFor lib/meanfield\'s', async () => {
  const args = { N: 50, b: 3, g: 0, noise: 0.5, delay: 0, x: 0.2, seed: 4, dt: 0.02, time: 4, transient: 1 };
  const r = await simulationJob(args);
  const net = new PredictiveCodingNetwork({ N: 50, b: 3, noise: 0.5, seed: 4, noiseSeed: 5 });
  const d = net.run({ x: 0.2, dt: 0.02, time: 4, transient: 1 });
  assert.equal(r.mean, d.mean);
  assert.equal(r.sd, Math.sqrt(d.variance));
  assert.equal(r.rmse, d.rmse);
  const t = theoryFor(args);
  const mf = predictiveCodingMeanField({ x: 0.2, b: 3, noise: 0.5 });
  assert.equal(t.sd, decoderFluctuations(mf, { N: 50 }).sd);
  assert.equal(t.xhatMean, mf.xhatMean);
});

test('criticalBalance is the b whose loop gain is the critical loop gain', () => {
  const s = { g: 0, noise: 0.75, x: 0.2, delay: 0.1 };
  const b = criticalBalance(s);
  const gain = predictiveCodingMeanField({ x: 0.2, b, noise: 0.75 }).loopGain;
  assert.ok(Math.abs(gain - criticalLoopGain(0.1)) < 1e-6 * gain);
  assert.throws(() => criticalBalance({ ...s, delay: 0 }), /delay/);
});

const fake = (o: Partial<SimulationResult>): SimulationResult => ({
  N: 100, b: 1, g: 0, noise: 0.5, delay: 0, x: 0.2, seed: 1, dt: 0.01, time: 1, transient: 0, mean: 0.1, sd: 0.01, bias: 0.1, rmse: 0.1, diverged: false, seconds: 0, ...o,
});

test('groupMedians and the figures carry the medians over seeds and the theory given', () => {
  const sims = [fake({ N: 100, sd: 1 }), fake({ N: 100, sd: 3, seed: 2 }), fake({ N: 400, sd: 0.5 })];
  assert.deepEqual(groupMedians(sims, (s) => s.N, (s) => s.sd), [{ key: 100, median: 2, min: 1, max: 3 }, { key: 400, median: 0.5, min: 0.5, max: 0.5 }]);
  const sc = scalingFigure([{ label: 'noise', sims, theory: [{ N: 100, value: 1.5 }, { N: 400, value: 0.7 }] }], 'sd');
  const simTrace = sc.data.find((t) => t.name === 'noise (simulation)') as { x: number[]; y: number[] };
  assert.deepEqual(simTrace.y, [2, 0.5]);
  assert.deepEqual((sc.data.find((t) => t.name === 'noise (theory)') as { y: number[] }).y, [1.5, 0.7]);
  const tf = transferFigure([{ b: 4, x: [-1, 0, 1], xhat: [-0.9, 0, 0.9] }], [fake({ b: 4, x: 0.5, mean: 0.25 }), fake({ b: 4, x: 0.5, mean: 0.75, seed: 2 })]);
  assert.deepEqual((tf.data.find((t) => t.name === 'simulation b = 4') as { y: number[] }).y, [0.5]);
  const bf = balanceFigure([{ label: 'chaos', sims: [fake({ b: 2, bias: -0.05 })], theory: [{ b: 2, bias: -0.04, sd: 0.01 }] }]);
  assert.deepEqual((bf.data.find((t) => t.name === 'chaos: bias (simulation)') as { y: number[] }).y, [0.05]);
  const df = delayFigure([{ delay: 0.1, sims: [fake({ b: 3, rmse: 0.02 })], theory: [{ b: 3, rmse: 0.03 }, { b: 20, rmse: Infinity }], criticalB: 15 }]);
  assert.deepEqual((df.data.find((t) => t.name === 'd = 0.1 (theory)') as { x: number[] }).x, [3]);
  assert.deepEqual((df.data.find((t) => t.name === 'd = 0.1: b_c') as { x: number[] }).x, [15, 15]);
});

test('reproductionRows format the numbers given; estimatedRunSeconds by hand', () => {
  const fit = { exponent: -0.5, interval: [-0.6, -0.4] as [number, number], prefactor: 1, points: 4 };
  const rows = reproductionRows({
    transfer: [{ b: 4, maxGapTheory: 0.0512, maxGapSim: 0.0534 }],
    balance: [{ label: 'noise', theory: fit, sim: fit, bRange: [4, 32] }],
    scaling: [{ label: 'noise, fixed b', measure: 'sd', theory: fit, sim: fit, settings: 's' }],
    delay: [{ delay: 0.1, criticalB: 20.04, bestTheory: 8.01, bestSim: 7.5, unstableSim: 'x' }],
    settings: 'N = 1400',
  });
  assert.equal(rows.length, 4);
  assert.equal(rows[0].theory, '0.051');
  assert.equal(rows[1].measured, '-0.50 [-0.60, -0.40]');
  assert.equal(rows[2].paper, '-0.5 (classical)');
  assert.equal(rows[3].theory, '20.0 / 8.0');
  const s = estimatedRunSeconds([{ N: 10, g: 0, dt: 0.1, time: 1, transient: 0 }, { N: 10, g: 1.5, dt: 0.5, time: 1, transient: 1 }], { workers: 2, unitSeconds: 1, entrySeconds: 2 });
  assert.equal(s, (10 * 10 + 4 * (10 + 200)) / 2);
});
