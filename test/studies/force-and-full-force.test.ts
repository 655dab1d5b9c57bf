/**
 * lib/studies/force-and-full-force: the tasks against their definitions worked
 * by hand, the interval read-out and statistics on hand-built outputs, each job
 * against the lib/circuits calls it wraps (tiny sizes), the figures' traces and
 * the table's rows against hand-made results, the run-time estimate by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import { RateNetwork, Readout, RecursiveLeastSquares, forceRun, normalizedError, sparseRandomCoupling } from '../../lib/circuits';
import {
  OscillationJobResult, PAPER_CLAIMS, ReadySetGoJobResult, SinesJobResult, convergedFraction, estimatedRunSeconds, gainFigure, intervalStats, noiseFigure,
  oscillationJob, oscillationTrial, producedInterval, readySetGoJob, readySetGoTrial, reproductionRows, sinesJob, sizeFigure, sumOfSines,
} from '../../lib/studies/force-and-full-force';

test('sumOfSines and oscillationTrial follow their definitions', () => {
  assert.equal(sumOfSines(0), 0);
  // t = 30: sin(pi/2) + sin(pi)/2 + sin(3 pi/2)/6 + sin(2 pi)/3 = 1 - 1/6
  assert.ok(Math.abs(sumOfSines(30) - (1.3 / 1.5) * (1 - 1 / 6)) < 1e-15);
  assert.ok(Math.abs(sumOfSines(17) - sumOfSines(17 + 120)) < 1e-12); // period 120 tau
  const o = oscillationTrial();
  assert.equal(o.steps, 2000);
  assert.equal(o.input.reduce((s, v) => s + v, 0), 50);
  assert.equal(o.input[49], 1);
  assert.equal(o.input[50], 0);
  // step 499: t = 50 tau, s = 1/4, F = (1/4)(6/4 + 3) = 9/8; step 1499: s = 3/4, F = -3 + (3/4)(15 - 4.5) = 4.875
  assert.ok(Math.abs(o.target[499] - Math.sin(2 * Math.PI * 9 / 8)) < 1e-12);
  assert.ok(Math.abs(o.target[1499] - Math.sin(2 * Math.PI * 4.875)) < 1e-12);
});

test('readySetGoTrial: pulses a delay apart, the bump peaks 25 tau after the delay, the hint ramps to d in seconds', () => {
  for (let k = 0; k < 5; k++) {
    const hinted = readySetGoTrial(new Rng(10 + k), true), plain = readySetGoTrial(new Rng(10 + k), false);
    const tr = hinted;
    assert.ok(tr.delay >= 100 && tr.delay <= 2100);
    const ready = [], set = [];
    for (let t = 0; t < tr.steps; t++) { if (tr.input[2 * t]) ready.push(t); if (tr.input[2 * t + 1]) set.push(t); }
    assert.equal(ready.length, 50);
    assert.equal(set.length, 50);
    assert.equal(set[0] - ready[0], 50 + tr.delay);
    assert.equal(tr.setEnd, set[49] + 1);
    let peak = 0;
    for (let t = 0; t < tr.steps; t++) if (tr.target[t] > tr.target[peak]) peak = t;
    assert.ok(Math.abs(peak - (tr.setEnd + tr.delay + 250)) <= 1, `peak at ${peak}`);
    assert.ok(Math.abs(tr.target[peak] - 1) < 1e-3);
    assert.equal(producedInterval(tr.target, tr.setEnd), peak - tr.setEnd - 250);
    assert.ok(Math.abs(Math.max(...tr.hint) - tr.delay / 1000) < 1e-12);
    assert.deepEqual(plain.target, hinted.target);
    assert.equal(Math.max(...plain.hint), 0);
  }
});

test('producedInterval, intervalStats and convergedFraction on hand-built numbers', () => {
  const z = new Float64Array(1000).fill(-0.5);
  z[700] = 1;
  assert.equal(producedInterval(z, 100), 700 - 100 - 250);
  z[50] = 2; // before set: ignored
  assert.equal(producedInterval(z, 100), 350);
  assert.throws(() => producedInterval(z, 1000), /setEnd/);
  const s = intervalStats({ cued: [10, 20, 30], produced: [12, 18, 33] });
  assert.ok(Math.abs(s.meanAbsError - 7 / 3) < 1e-12);
  // corr by hand: dx = -10, 0, 10; dy = -9, -3, 12 (mean 21): sxy = 210, sxx = 200, syy = 234
  assert.ok(Math.abs(s.correlation - 210 / Math.sqrt(200 * 234)) < 1e-12);
  assert.ok(Math.abs(s.slope - 210 / 200) < 1e-12);
  // one interval for every cue but the shortest: correlation high, slope near 0
  const fixed = intervalStats({ cued: [10, 50, 100, 150, 200], produced: [5, 60, 60, 60, 60] });
  assert.ok(fixed.correlation > 0.6 && Math.abs(fixed.slope - 0.22) < 0.01, JSON.stringify(fixed));
  assert.equal(convergedFraction([0.5, 2, 0.1, 30], 1), 0.5);
  assert.throws(() => convergedFraction([], 1), /errors/);
});

test('sinesJob runs forceRun on the seeded network: same test error as the direct calls', async () => {
  const N = 60, g = 1.5, seed = 4, trainTime = 40, testTime = 20;
  const r = await sinesJob({ N, g, seed, trainTime, testTime, recordEvery: 10 });
  const rng = new Rng(seed + 1000);
  const feedbackWeights = rng.uniformArray(N, -1, 1, 'float64') as Float64Array;
  const x = rng.normalArray(N, 0, 0.5, 'float64') as Float64Array;
  const net = new RateNetwork({ coupling: sparseRandomCoupling({ N, p: 0.1, g, seed }), readout: new Readout(1, N), feedbackWeights });
  const target = Float64Array.from({ length: 400 }, (_, t) => sumOfSines(t * 0.1));
  forceRun(net, x, { dt: 0.1, steps: 400, target, rls: new RecursiveLeastSquares({ N }), learnEvery: 2 });
  const testTarget = Float64Array.from({ length: 200 }, (_, t) => sumOfSines((400 + t) * 0.1));
  const te = forceRun(net, x, { dt: 0.1, steps: 200, target: testTarget });
  assert.equal(r.testError, normalizedError(te.outputs, testTarget));
  assert.equal(r.trainOutput.length, 40);
  assert.deepEqual(r.testTimes.slice(0, 2), [40, 41]);
  assert.equal(r.weightChange.length, 4);
  assert.ok(r.weightChange.every((v) => v > 0));
});

test('oscillationJob and readySetGoJob: seeded (twice the same), test errors measured over the test trials only', async () => {
  const args = { N: 30, seed: 2, trainTrials: 1, testTrials: 1, initTrials: 1 };
  for (const method of ['full-force', 'force'] as const) {
    const a = await oscillationJob({ ...args, method, keepLastTrial: true });
    const b = await oscillationJob({ ...args, method, keepLastTrial: true });
    assert.equal(a.testError, b.testError);
    assert.equal(a.lastTrial.length, 2000);
    assert.ok(Math.abs(a.testError - normalizedError(a.lastTrial, oscillationTrial().target)) < 1e-9);
  }
  await assert.rejects(oscillationJob({ ...args, method: 'echo' as never }), /method/);
  const r = await readySetGoJob({ N: 20, hint: true, seed: 1, trainTrials: 1, testTrials: 2, initTrials: 0, keepExamples: 1 });
  assert.equal(r.cued.length, 2);
  assert.equal(r.trainErrors.length, 1);
  assert.equal(r.examples.length, 1);
  assert.equal(r.examples[0].f[Math.floor(r.examples[0].setEnd / 10)], -0.5);
  assert.equal(r.examples[0].delay * 0.1, r.cued[0]);
  assert.equal(r.examples[0].z.length, r.examples[0].f.length);
  assert.ok(r.cpuSeconds > 0);
  // the test trials are the 2nd and 3rd trials drawn from seed + 4000
  const trials = new Rng(1 + 4000);
  readySetGoTrial(trials, true);
  assert.equal(r.cued[0], readySetGoTrial(trials, true).delay * 0.1);
});

test('figures hold the medians and ranges over seeds; rows print the numbers given; the estimate by hand', () => {
  const sines = [1, 2, 3].map((seed) => ({ g: 1.5, seed, testError: seed, testMae: 0.1 * seed } as SinesJobResult));
  const fig = gainFigure([...sines, { g: 0.8, seed: 1, testError: 50 } as SinesJobResult]);
  // a series with a band draws its upper and lower edges first, then its line
  const main = fig.data.filter((t) => (t as { name?: string }).name?.startsWith('test error')).pop() as unknown as { x: number[]; y: number[] };
  assert.deepEqual(main.x, [0.8, 1.5]);
  assert.deepEqual(main.y, [50, 2]);
  const osc = [[1, 'full-force', 300, 0.5], [2, 'full-force', 300, 1.5], [1, 'force', 300, 90], [2, 'force', 300, 110]]
    .map(([seed, method, N, testError]) => ({ seed, method, N, testError, noise: 0, lastTrial: [], seconds: 0 } as unknown as OscillationJobResult));
  const sf = sizeFigure(osc);
  const lineOf = (name: string) => (sf.data.filter((t) => (t as { name?: string }).name === name).pop() as unknown as { y: number[] }).y[0];
  assert.deepEqual([lineOf('full-FORCE'), lineOf('FORCE')], [1, 100]);
  const rsg = [{ N: 300, hint: true, seed: 1, cued: [10, 20, 30], produced: [12, 18, 33], testError: 5, seconds: 0 }] as ReadySetGoJobResult[];
  const rows = reproductionRows({ sines, gainRuns: sines, oscillation: osc, readySetGo: rsg, convergedBelow: 2.5, settings: { sines: 's', oscillation: 'o', readySetGo: 'r' } });
  assert.equal(rows.length, 4);
  assert.match(rows[0].measured, /^test error 2\.000 \(1\.000-3\.000\) %/);
  assert.match(rows[1].measured, /1\.5: 0\.67/);
  assert.match(rows[2].measured, /N = 300: fF 1\.000 \(0\.500-1\.500\), F 100\.000 \(90\.000-110\.000\)/);
  assert.match(rows[3].measured, /N = 300, seed 1\): slope of produced on cued 1\.05, corr 0\.97/);
  assert.equal(rows[1].claim, PAPER_CLAIMS.gainWindow.text);
  const est = estimatedRunSeconds({
    sines: [{ N: 1000, steps: 1000 }], oscillation: [{ N: 100, steps: 100, method: 'full-force' }, { N: 100, steps: 100, method: 'force' }],
    readySetGo: [{ N: 100, steps: 10 }], workers: 2,
  });
  assert.ok(Math.abs(est - (1000 * (4e-4 + 4e-4) + 100 * (4e-5 + 1e-5) + 100 * (2.5e-5 + 6e-6) + 10 * (4e-5 + 1.1e-5)) / 2) < 1e-12);
  // the noise figure: sigma > 0 only, on a log axis
  const nf = noiseFigure([...osc, { ...osc[0], noise: 0.01, testError: 3 }, { ...osc[2], noise: 0.01, testError: 80 }]);
  assert.deepEqual((nf.data.filter((t) => (t as { name?: string }).name === 'full-FORCE').pop() as unknown as { x: number[] }).x, [0.01]);
  assert.equal((nf.layout as { xaxis: { type?: string } }).xaxis.type, 'log');
});
