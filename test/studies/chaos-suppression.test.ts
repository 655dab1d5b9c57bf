/**
 * lib/studies/chaos-suppression: each job against the lib/circuits / lib/meanfield calls it wraps, the
 * quasi-static job's silenced branch, the zero crossing against hand-made lines, the slow input silencing a small
 * network, the figures' traces against means computed by hand, the table and the run-time estimate by hand.
 * (The notebook's QUICK run is test/notebooks/smoke.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BalancedNetwork } from '../../lib/circuits';
import { nonstationaryDmft } from '../../lib/meanfield';
import {
  amplitudeFigure, averagedCrossing, criticalAmplitude, cycleFigure, cycleStatisticsJob, estimatedRunSeconds, meanAndError, networkCrossings, mechanismJob, quasiStaticJob,
  reproductionRows, simulationJob, stepFor, theoryJob, type SimulationResult, type TheoryResult,
} from '../../lib/studies/chaos-suppression';

type Trace = { x: number[]; y: number[]; name?: string; error_y?: { array: number[] } };

test('simulationJob gives BalancedNetwork.largestLyapunov for the same seeds; theoryJob gives nonstationaryDmft', async () => {
  const args = { N: 60, g: 2, I1: 1.5, f: 0.2, phases: 'independent' as const, seed: 3, stateSeed: 4, time: 10, transient: 5, tangentTransient: 2 };
  const r = await simulationJob(args);
  const net = new BalancedNetwork({ N: 60, g: 2, seed: 3 });
  net.setInput({ amplitude: 1.5, frequency: 0.2, phases: 'independent', seed: 1004 });
  const d = net.largestLyapunov(net.initialState(4), { dt: stepFor(60), time: 10, transient: 5, tangentTransient: 2, seed: 2004 });
  assert.equal(r.lambda1, d.exponent);
  assert.equal(r.dt, 0.05);
  const t = await theoryJob({ N: 400, g: 2, I1: 5, f: 0.2, phases: 'common', steps: 400, band: 40 });
  const n = nonstationaryDmft({ g: 2, K: 400, I0: 1, J0: 1, amplitude: 5, frequency: 0.2, dt: stepFor(400), steps: 400, band: 40 });
  assert.equal(t.lambda1, n.lyapunov);
  assert.ok(Math.abs(stepFor(5000) - 1.8 / (1 + Math.sqrt(5000))) < 1e-15 && stepFor(100) === 0.05);
});

test('quasiStaticJob: a frozen negative drive silences the network (lambda = -1); otherwise the no-input DMFT at I0 + I1 sin(phase) / sqrt N', async () => {
  const silent = await quasiStaticJob({ N: 100, g: 2, I1: 20, phase: -Math.PI / 2, steps: 200, band: 20 });
  assert.deepEqual([silent.lambda1, silent.meanRate], [-1, 0]);
  const q = await quasiStaticJob({ N: 100, g: 2, I1: 5, phase: Math.PI / 6, steps: 300, band: 30 });
  const t = await theoryJob({ N: 100, g: 2, I1: 0, f: 0, phases: 'common', steps: 300, band: 30, I0: 1 + 5 * 0.5 / 10 });
  assert.ok(Math.abs(q.lambda1 - t.lambda1) < 1e-12);
});

test('criticalAmplitude interpolates the first positive-to-negative crossing linearly', () => {
  assert.ok(Math.abs(criticalAmplitude([{ I1: 2, lambda1: -0.1 }, { I1: 0, lambda1: 0.1 }, { I1: 1, lambda1: 0.05 }])! - (1 + 0.05 * 1 / 0.15)) < 1e-12);
  assert.equal(criticalAmplitude([{ I1: 0, lambda1: -0.1 }, { I1: 1, lambda1: -0.2 }]), null);
  assert.throws(() => criticalAmplitude([{ I1: NaN, lambda1: 1 }]), /points/);
});

test('averagedCrossing uses the mean over networks; networkCrossings one crossing per (N, network)', () => {
  const r = (N: number, seed: number, I1: number, lambda1: number, phases = 'common') => ({ N, seed, I1, lambda1, phases }) as unknown as SimulationResult;
  const sims = [r(100, 1, 0, 0.2), r(100, 1, 10, -0.2), r(100, 2, 0, 0.1), r(100, 2, 10, 0.05), r(400, 1, 20, 0.1), r(400, 1, 40, -0.1), r(100, 1, 5, 0.3, 'independent')];
  // means at N = 100 only (the N = 400 amplitudes differ): 0.15 at 0, -0.075 at 10 -> 0 at 10 * 0.15 / 0.225
  assert.ok(Math.abs(averagedCrossing(sims.filter((x) => x.N === 100), 'common')! - 10 * 0.15 / 0.225) < 1e-12);
  assert.deepEqual(networkCrossings(sims, 'common'), [{ N: 100, seed: 1, I1c: 5 }, { N: 100, seed: 2, I1c: null }, { N: 400, seed: 1, I1c: 30 }]);
  assert.deepEqual(networkCrossings(sims, 'independent'), [{ N: 100, seed: 1, I1c: null }]);
});

test('mechanismJob: a common input beyond the drive silences a small network once per cycle', async () => {
  const m = await mechanismJob({ N: 100, g: 2, I1: 20, f: 0.05, seed: 1, stateSeed: 2, cycles: 2, bins: 10 });
  assert.equal(m.phase.length, 10);
  // the external input 10 + 20 sin(phase) is negative for phase in (7 pi / 6, 11 pi / 6): a bin there has rate 0
  const b = m.phase.findIndex((p) => p > 1.4 * Math.PI && p < 1.6 * Math.PI);
  assert.equal(m.rate[b], 0);
  assert.ok(m.localLambda[b] < -0.9, `local lambda while silent: ${m.localLambda[b]}`);
  assert.ok(Math.max(...m.rate) > 1);
});

test('amplitudeFigure: DMFT lines and simulation means with 2 s.d., common amplitudes divided by sqrt N; rows and estimate', () => {
  const sim = (phases: 'common' | 'independent', I1: number, lambda1: number) => ({ phases, I1, lambda1 }) as unknown as SimulationResult;
  const th = (phases: 'common' | 'independent', I1: number, lambda1: number) => ({ phases, I1, lambda1 }) as unknown as TheoryResult;
  const fig = amplitudeFigure([th('common', 10, 0.1), th('common', 0, 0.2), th('independent', 1, 0.05)],
    [sim('common', 10, 0.1), sim('common', 10, 0.3), sim('independent', 2, -0.1)], 10) as unknown as { data: Trace[] };
  const [dmftCommon, simCommon] = fig.data;
  assert.deepEqual(dmftCommon.x, [0, 1]);
  assert.deepEqual(dmftCommon.y, [0.2, 0.1]);
  assert.deepEqual(simCommon.x, [1]);
  assert.ok(Math.abs(simCommon.y[0] - 0.2) < 1e-12);
  assert.ok(Math.abs(simCommon.error_y!.array[0] - 2 * Math.sqrt(0.02)) < 1e-12);
  const rows = reproductionRows({
    critical: [{ phases: 'common', fit: { exponent: 0.5, interval: [0.4, 0.6], prefactor: 1, points: 4 }, values: '' }],
    amplitude: { N: 1000, theory: { common: 25, independent: 3.2 }, sim: { common: null, independent: 3 } }, mechanism: null, settings: 's',
  });
  assert.equal(rows[0].theory, '25.00');
  assert.equal(rows[0].measured, 'not bracketed');
  assert.match(rows[2].measured, /p = 0\.50 \[0\.40, 0\.60\]/);
  // 100 tau at N = 1000, dt 0.05: 2000 steps of 4 N^2 flops at 2 GFLOP/s, plus 10 s of DMFT, on 2 workers
  assert.ok(Math.abs(estimatedRunSeconds({ simulations: [{ N: 1000, time: 100 }], theorySeconds: 10, workers: 2 }) - (2000 * 4e6 / 2e9 + 10) / 2) < 1e-9);
});

test("cycleStatisticsJob folds a network's population mean, variance and rate by the input phase; theoryJob folds the DMFT alike", async () => {
  const args = { N: 60, g: 2, I1: 8, f: 0.1, seed: 5, stateSeed: 6, transientCycles: 1, cycles: 2, bins: 4 };
  const c = await cycleStatisticsJob(args);
  // by hand: the same network, half-tau chunks (10 Euler steps), the samples after the first period binned by quarter periods
  const net = new BalancedNetwork({ N: 60, g: 2, seed: 5 });
  net.setInput({ amplitude: 8, frequency: 0.1, phases: 'common' });
  const h = net.initialState(6), sums = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
  for (let n = 0; n < 30 * 20; n += 10) {
    net.run(h, { dt: 0.05, time: 0.5, t0: n * 0.05 });
    const t = (n + 10) * 0.05;
    if (t <= 10 + 1e-9) continue;
    const m = h.reduce((a, v) => a + v, 0) / 60, v = h.reduce((a, x) => a + (x - m) ** 2, 0) / 60, r = h.reduce((a, x) => a + Math.max(x, 0), 0) / 60;
    const b = Math.floor(((t % 10) / 10) * 4 + 1e-9) % 4;
    sums[b][0] += m; sums[b][1] += v; sums[b][2] += r; sums[b][3]++;
  }
  for (let b = 0; b < 4; b++) {
    assert.equal(sums[b][3], 10);
    assert.ok(Math.abs(c.mean[b] - sums[b][0] / 10) < 1e-9 && Math.abs(c.variance[b] - sums[b][1] / 10) < 1e-9 && Math.abs(c.rate[b] - sums[b][2] / 10) < 1e-9, `bin ${b}`);
  }
  assert.deepEqual(c.phase, [0.25, 0.75, 1.25, 1.75].map((x) => x * Math.PI));
  const t = await theoryJob({ N: 100, g: 2, I1: 5, f: 0.5, phases: 'common', steps: 200, band: 20, bins: 2 });
  const d = nonstationaryDmft({ g: 2, K: 100, I0: 1, J0: 1, amplitude: 5, frequency: 0.5, dt: 0.05, steps: 200, band: 20, lyapunov: false });
  // the last period (40 steps): t = 8.0 .. 9.95, steps 160..199; phase bin 0 holds (t mod 2) < 1
  let s0 = 0, n0 = 0;
  for (let k = 160; k < 200; k++) if ((k * 0.05) % 2 < 1 - 1e-9) { s0 += d.variance[k]; n0++; }
  assert.ok(Math.abs(t.cycle!.variance[0] - s0 / n0) < 1e-9, `${t.cycle!.variance[0]} vs ${s0 / n0}`);
  const fig = cycleFigure([c], [t]) as unknown as { data: Trace[] };
  assert.deepEqual(fig.data[0].y, t.cycle!.variance.map((v) => v / 10));
  assert.deepEqual(fig.data[3].y, c.variance.map((v) => v / 10));
  assert.equal((fig.data[3] as unknown as { marker: { symbol: string } }).marker.symbol, 'circle');
  const e = meanAndError([1, 2, 6]);
  assert.deepEqual([e.mean, e.sd, e.n], [3, Math.sqrt(7), 3]);
  assert.ok(Math.abs(e.error - Math.sqrt(7 / 3)) < 1e-12);
  assert.throws(() => meanAndError([]), /values/);
});
