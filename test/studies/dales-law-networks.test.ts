/**
 * lib/studies/dales-law-networks: the targets, error and frequency measures against hand values and closed forms,
 * the fixed point against plain iteration of a contracting map, the leading pair on a hand list, the two jobs on
 * tiny networks (signs, currents adding up, the prediction read off the returned spectrum), the figures' traces, the
 * run-time estimate by hand and the table rows. (The notebook's QUICK run is test/notebooks/smoke.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import {
  balancedFixedPoint, crossingFrequency, rateTeacherCurrents, scanPoint, spread, currentsFigure, estimatedRunSeconds, frequencyFigure, leadingPair, normalizedRmse, rasterFigure, rateJob, reproductionRows, sawtooth, scoreTest,
  smoothSquare, spikingJob, type RateJobArgs, type SpikingJobArgs,
} from '../../lib/studies/dales-law-networks';

type Trace = { x: number[]; y: number[]; name?: string };

test('targets: smoothSquare and sawtooth at hand-picked times', () => {
  assert.equal(smoothSquare(0, 0.04), 0);
  assert.ok(Math.abs(smoothSquare(6.25, 0.04) - 1) < 1e-15); // a quarter period: sin = 1
  assert.ok(Math.abs(smoothSquare(18.75, 0.04) + 1) < 1e-15);
  assert.equal(sawtooth(0, 1), -1);
  assert.ok(Math.abs(sawtooth(0.25, 1) + 0.5) < 1e-15);
  assert.ok(Math.abs(sawtooth(1.75, 1) - 0.5) < 1e-12);
  assert.ok(Math.abs(sawtooth(0.125, 2) + 0.5) < 1e-15);
});

test('normalizedRmse, crossingFrequency and scoreTest against hand values and a sampled sine', () => {
  // f = (1, -1, 1, -1): s.d. 1; z off by 0.5 everywhere: rmse 0.5
  assert.ok(Math.abs(normalizedRmse([1.5, -0.5, 1.5, -0.5], [1, -1, 1, -1]) - 0.5) < 1e-15);
  const dt = 0.01, f0 = 0.3;
  const z = Array.from({ length: 5000 }, (_, t) => Math.sin(2 * Math.PI * f0 * t * dt) + 0.2);
  assert.ok(Math.abs(crossingFrequency(z, dt) - f0) < 1e-4);
  assert.equal(crossingFrequency(new Array(100).fill(1), dt), 0);
  // first period = round(1 / (f0 dt)) = 333 samples: an error only after it leaves firstPeriodError at 0
  const f = z.map((v) => v - 0.2);
  const zz = f.map((v, t) => (t < 333 ? v : v + 1));
  const s = scoreTest({ t: f.map((_, t) => t * dt), z: zz, f }, dt, f0);
  assert.equal(s.firstPeriodError, 0);
  assert.ok(s.error > 0.5);
});

test('leadingPair takes the complex eigenvalue with the largest real part', () => {
  assert.deepEqual(leadingPair([3, 1, 1, 2, 2], [0, 0.5, -0.5, -0.25, 0.25]), { re: 2, im: 0.25 });
  assert.equal(leadingPair([1, 2], [0, 0]), null);
});

test('balancedFixedPoint equals plain iteration of a contracting relu map', () => {
  const N = 6, g = 0.5, rng = new Rng(2);
  const J = Float64Array.from({ length: N * N }, () => (rng.uniform() - 0.5) * 0.6);
  const d = Float64Array.from({ length: N }, (_, i) => (i % 2 ? 1 : -0.3));
  let x = new Float64Array(N);
  for (let it = 0; it < 2000; it++) x = Float64Array.from({ length: N }, (_, i) => { let s = d[i]; for (let j = 0; j < N; j++) s += g * J[i * N + j] * Math.max(x[j], 0); return s; });
  const fp = balancedFixedPoint(J, N, g, d, new Float64Array(N).fill(0.1));
  assert.ok(fp !== null);
  for (let i = 0; i < N; i++) assert.ok(Math.abs(fp.x[i] - x[i]) < 1e-9, `${fp.x[i]} vs ${x[i]}`);
});

test('scanPoint on a hand-built 2-unit E/I relu oscillator: both linearisations give the closed-form frequency sqrt(6) / 2 pi', () => {
  // g W = [[3, -5], [2, -1]]: trace 2, det 7, eigenvalues 1 +- i sqrt 6, so the Jacobian -1 + g W has a centre at
  // +- i sqrt 6; x0 = (1, 1) with d = (I - g W) x0 = (3, 0). Started 0.1 off x0 the orbit stays where both units are
  // active, so the relu network is exactly linear and oscillates at sqrt(6) / 2 pi (Euler at dt 1e-3: ~1e-6 off).
  const g = 1.25;
  const W = Float64Array.from([3, -5, 2, -1], (v) => v / g);
  const p = scanPoint(W, 2, g, Float64Array.from([3, 0]), Float64Array.from([1.1, 1]), [1, 0], { dt: 1e-3, time: 30, transient: 1, targetStd: 1 });
  const f = Math.sqrt(6) / (2 * Math.PI);
  assert.ok(Math.abs(p.point.predicted! - f) < 1e-9, `${p.point.predicted}`);
  assert.ok(Math.abs(p.point.leadingRe!) < 1e-9);
  assert.ok(Math.abs(p.point.predictedCycle! - f) < 1e-9, `${p.point.predictedCycle}`);
  assert.equal(p.point.stateChange, 0);
  assert.ok(Math.abs(p.point.simulated - f) < 1e-3 * f, `${p.point.simulated} vs ${f}`);
  // E unit pushed through 0 for part of the cycle (started far from x0): the relu clips it, the cycle-averaged
  // Jacobian sees it active only part of the time, and the state-change fraction is positive
  const q = scanPoint(W, 2, g, Float64Array.from([3, 0]), Float64Array.from([3, 1]), [1, 0], { dt: 1e-3, time: 30, transient: 1, targetStd: 1 });
  assert.ok(q.point.stateChange! > 0);
  assert.equal(q.point.predicted, p.point.predicted);
});

test('rateTeacherCurrents: with no coupling the currents are exactly u f(t), periodic', () => {
  const T = rateTeacherCurrents(5, { gain: 0, tau: 0.05, frequency: 2, amplitude: 1, seed: 3, dT: 0.01 });
  assert.equal(T.P, 50);
  assert.equal(T.periodicity, 0);
  // row 0 is at f = -1, so u = -Q[0]; every row is u f(k dT) to rounding
  for (let k = 0; k < T.P; k++) for (let i = 0; i < 5; i++) assert.ok(Math.abs(T.Q[k * 5 + i] + T.Q[i] * sawtooth(k * 0.01, 2)) < 1e-12);
  assert.ok(Math.abs(T.Q[0]) > 0.01);
  // coupled: the rms is positive and two consecutive periods agree closely (driven, not chaotic, at g_T = 1.2)
  const C = rateTeacherCurrents(40, { gain: 1.2, tau: 0.05, frequency: 1, amplitude: 1, seed: 3 });
  assert.ok(C.rms > 0.1 && C.periodicity < 1e-2, `${C.rms} ${C.periodicity}`);
});

const rateArgs: RateJobArgs = {
  N: 40, K: 5, seed: 3, frequency: 0.04, amplitude: 3, dt: 0.05, ridge: 0.1, readoutRidge: 1e-3, intervals: 2, intervalTime: 20, transient: 5, testTime: 20,
  gTests: [0.9, 1.0], scanTime: 20, scanTransient: 5, showNeurons: [0, 39],
};

test('rateJob: Dale signs after every solve, E + I = net, the prediction is the returned spectrum\'s leading pair', () => {
  const r = rateJob(rateArgs);
  assert.equal(r.records.length, 2);
  for (const q of r.records) assert.equal(q.signViolations, 0);
  assert.equal(r.test.z.length, Math.round(20 / 0.05));
  for (let k = 0; k < r.currents.t.length; k++) {
    assert.ok(Math.abs(r.currents.meanE[k] + r.currents.meanI[k] - r.currents.meanNet[k]) < 1e-12);
    assert.ok(r.currents.meanE[k] > 0 && r.currents.meanI[k] <= 0);
  }
  for (const s of r.spectra) {
    const p = r.frequency.find((q) => q.g === s.g)!;
    const pair = leadingPair(s.re, s.im);
    assert.equal(p.predicted, pair === null ? null : pair.im / (2 * Math.PI));
  }
  // the fit reproduces the teacher's currents far better than zero weights would (relative error 1)
  assert.ok(r.records[1].relativeError < 0.1);
});

const spikingArgs: SpikingJobArgs = {
  N: 50, K: 6, seed: 4, frequency: 1, amplitude: 1, tauS: 0.1, rate: 10, externalRate: 2000, ridge: 0.1, readoutRidge: 0.1, intervals: 1, intervalTime: 0.3,
  transient: 0.1, testTime: 0.3, recordEvery: 10, rasterNeurons: 10, fanoWindow: 0.1, showNeurons: [0],
};

test('spikingJob: Dale signs, raster rows in range and ordered E then I, E + I = net', () => {
  const r = spikingJob(spikingArgs);
  assert.equal(r.signViolations, 0);
  assert.equal(r.test.z.length, Math.round(0.3 / 1e-3));
  assert.equal(r.raster.rowsE, 8);
  for (const row of r.raster.row) assert.ok(row >= 0 && row < 10);
  for (let k = 0; k < r.currents.t.length; k++) assert.ok(Math.abs(r.currents.meanE[k] + r.currents.meanI[k] - r.currents.meanNet[k]) < 1e-12);
});

test('figures hold the traces they are given', () => {
  const c = { t: [0, 1], meanE: [3, 4], meanI: [-2, -3], meanNet: [1, 1], neuronE: [[5, 6]], neuronI: [[-4, -5]], neuronNet: [[1, 1]] };
  const t = currentsFigure(c, { title: 'x', timeLabel: 't' }).data as Trace[];
  assert.equal(t.length, 6);
  assert.deepEqual(Array.from(t[2].y), [1, 1]);
  assert.deepEqual(Array.from(t[3].y), [5, 6]);
  const none = { predictedCycle: null, leadingReCycle: null, stateChange: null };
  const fr = frequencyFigure([{ g: 0.8, simulated: 0.04, predicted: null, leadingRe: null, amplitude: 1, ...none }, { g: 1, simulated: 0.05, predicted: 0.06, leadingRe: 0.1, amplitude: 1, ...none }], 0.04).data as Trace[];
  assert.deepEqual(Array.from(fr[1].x), [1]); // the g without a prediction is left out
  const ra = rasterFigure({ t: [0.1, 0.2, 0.3], row: [0, 5, 1], rowsE: 2 }, 'r').data as Trace[];
  assert.deepEqual(Array.from(ra[0].x), [0.1, 0.3]);
  assert.deepEqual(Array.from(ra[1].y), [5]);
});

test('estimatedRunSeconds by hand; reproductionRows read the results', () => {
  const ra = { N: 100, intervals: 2, intervalTime: 10, dt: 0.1, transient: 5, testTime: 10, gTests: [1], scanTime: 10, scanTransient: 5 };
  const sa = { N: 100, intervals: 2, intervalTime: 1, transient: 0.5, testTime: 1 };
  const rs = ((5 + 20 + 10 + 15) / 0.1) * 1e4 * 2e-9 + 2 * 1e6 * 1.5e-7 + 1e6 * 2e-6;
  const ss = (1 + 2 + 2) * 100 * 4.3e-3 + 2 * 1e6 * 1.5e-7;
  assert.ok(Math.abs(estimatedRunSeconds(ra, sa, { workers: 1 }) - (rs + ss)) < 1e-9);
  assert.ok(Math.abs(estimatedRunSeconds(ra, sa, { workers: 2 }) - Math.max(rs, ss)) < 1e-9); // one job each: the longest rules
  assert.ok(Math.abs(estimatedRunSeconds(ra, sa, { workers: 2, counts: { rate: 3, spiking: 4 } }) - (3 * rs + 4 * ss) / 2) < 1e-9);
  const rate = rateJob(rateArgs), spiking = spikingJob(spikingArgs), other = spikingJob({ ...spikingArgs, teacher: 'spiking' });
  assert.equal(other.signViolations, 0);
  assert.ok(Number.isNaN(other.teacherPeriodicity) && spiking.teacherPeriodicity < 1e-2);
  const rows = reproductionRows([rate, rate], [spiking], [{ label: 'spiking teacher', result: other }]);
  assert.equal(rows.length, 10);
  assert.ok(rows[0].measured.startsWith('0 wrong-signed weights after any of 6 interval solves'));
  // two copies of one result: the mean is the value and min = max
  const e = rate.test.error.toFixed(3);
  assert.ok(rows[1].measured.includes(`${e} (${e}-${e} over 2)`), rows[1].measured);
  assert.ok(rows[6].measured.includes(other.test.error.toFixed(3)));
  assert.ok(rows[8].measured.includes(spiking.trained.cvMedian.toFixed(2)) || !Number.isFinite(spiking.trained.cvMedian));
  assert.equal(spread([1, null, 3, NaN]), '2.000 (1.000-3.000 over 2)');
  assert.equal(spread([null]), '-');
});
