/**
 * lib/studies/neuronal-synaptic-dynamics: the jobs against the domain functions they wrap, the phase
 * classifier, the derived numbers (half-decay, undershoot, unstable angle, boundaries) by hand, the run-time
 * estimate by hand, the figures' traces and the table's rows on hand-made inputs.
 * (The notebook's QUICK run is test/notebooks/smoke.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlasticRateNetwork } from '../../lib/circuits';
import { lyapunovSpectrum } from '../../lib/dynamics';
import { populationAutocovariance } from '../../lib/studies/chaos-and-dimension';
import {
  AutocorrelationJobResult, DmftJobResult, FreezeJobResult, JacobianJobResult, PhaseJobResult, SpectrumJobResult, autocorrelationFigure, autocorrelationGap, autocorrelationJob, dmftSeedSpread,
  averageSimulations, classifyPhase, dmftRowJob, estimatedRunSeconds, fixedPointJob, freezeJob, halfDecayTime, jacobianJob, minimumNormalized, phaseBoundaries, phaseDiagramFigure, pickDmftSolution,
  reproductionRows, spectrumJob, unstableAngle,
} from '../../lib/studies/neuronal-synaptic-dynamics';
import { plasticDmft, stationaryDmft } from '../../lib/meanfield';

test('autocorrelationJob and spectrumJob give the domain functions\' numbers for the same network and seeds', async () => {
  const a = await autocorrelationJob({ N: 20, g: 2, k: 1, tauS: 5, seed: 3, stateSeed: 4, transient: 10, time: 20, sampleEvery: 0.5, maxLag: 3 });
  const net = new PlasticRateNetwork({ N: 20, g: 2, k: 1, tauS: 5, seed: 3 });
  const s = net.initialState(4, 1, 'steady');
  const run = net.run(s, { dt: 0.1, time: 20, transient: 10, sampleEvery: 0.5 });
  assert.deepEqual(a.autocovariance, Array.from(populationAutocovariance(run.states, run.samples, 20, 6)));
  assert.deepEqual(a.lags, [0, 0.5, 1, 1.5, 2, 2.5, 3]);
  // unit means kept: lag 2 (4 samples) by hand
  let raw = 0;
  for (let t = 0; t + 4 < run.samples; t++) for (let i = 0; i < 20; i++) raw += run.states[t * 20 + i] * run.states[(t + 4) * 20 + i];
  assert.ok(Math.abs(a.rawAutocovariance[4] - raw / (20 * (run.samples - 4))) < 1e-12);
  assert.ok(a.rawAutocovariance[0] > a.autocovariance[0]);

  const sp = await spectrumJob({ N: 6, g: 2, k: 1, tauS: 5, seed: 3, stateSeed: 4, transient: 5, exponents: 3, time: 5, frameTransient: 2, frameSeed: 6 });
  const net2 = new PlasticRateNetwork({ N: 6, g: 2, k: 1, tauS: 5, seed: 3 });
  const ly = lyapunovSpectrum(net2.tangentSystem(), net2.initialState(4, 1, 'steady'), { k: 3, time: 5, dt: 0.1, transient: 5, frameTransient: 2, seed: 6, orthonormalizeEvery: 5, progress: false });
  assert.deepEqual(sp.exponents, Array.from(ly.exponents));
});

test('freezeJob halts at sorted seeded times; jacobianJob reports the reduced spectrum', async () => {
  const f = await freezeJob({ N: 10, g: 1.5, k: 2, tauS: 5, seed: 1, stateSeed: 2, transient: 5, halts: 3, window: 10, haltSeed: 7, freezeTime: 20 });
  assert.equal(f.records.length, 3);
  assert.ok(f.records.every((r, i) => i === 0 || r.haltTime >= f.records[i - 1].haltTime));
  const again = await freezeJob({ N: 10, g: 1.5, k: 2, tauS: 5, seed: 1, stateSeed: 2, transient: 5, halts: 3, window: 10, haltSeed: 7, freezeTime: 20 });
  assert.deepEqual(again.records, f.records);
  const j = await jacobianJob({ N: 5, g: 2, k: -1, tauS: 4, seed: 1, stateSeed: 2, transient: 5, states: 2, spacing: 1 });
  assert.equal(j.re.length, 2 * 2 * 5);
  assert.equal(j.synapticValue, -0.25);
  assert.equal(j.synapticMultiplicity, 20);
});

test('phase classes, half-decay, undershoot, unstable angle and boundaries by hand', () => {
  assert.equal(classifyPhase({ rmsX: 1e-4, lambda1: 0.5, lambda1Error: 0, speed: 1 }), 'quiescent');
  assert.equal(classifyPhase({ rmsX: 1, lambda1: 0.05, lambda1Error: 0.01, speed: 1 }), 'chaotic');
  assert.equal(classifyPhase({ rmsX: 1, lambda1: 0.05, lambda1Error: 0.03, speed: 1e-4 }), 'fixed point');
  assert.equal(classifyPhase({ rmsX: 1, lambda1: -0.01, lambda1Error: 0.001, speed: 0.1 }), 'other');
  // C/C0 = 1, 0.8, 0.4: crosses 1/2 three quarters of the way from lag 1 to lag 2
  assert.ok(Math.abs(halfDecayTime([0, 1, 2], [2, 1.6, 0.8]) - 1.75) < 1e-12);
  assert.ok(Number.isNaN(halfDecayTime([0, 1], [1, 0.9])));
  assert.equal(minimumNormalized([2, 1, -0.5, 0]), -0.25);
  // eigenvalues 1 (0 deg), i + 0 excluded (Re = 0), 1 + i (45 deg), -1 (stable, excluded)
  assert.equal(unstableAngle([1, 0, 1, -1], [0, 1, 1, 0]), 22.5);
  assert.ok(Number.isNaN(unstableAngle([-1], [0])));
  const b = phaseBoundaries([
    { g: 1, k: 0, phase: 'q' }, { g: 1, k: 1, phase: 'q' }, { g: 1, k: 2, phase: 'c' },
    { g: 2, k: 0, phase: 'c' }, { g: 2, k: 1, phase: 's' }, { g: 2, k: 2, phase: 's' },
  ]);
  assert.deepEqual(b, { 'c | q': { g: [1], k: [1.5] }, 'c | s': { g: [2], k: [0.5] } });
});

test('run-time estimate by hand', () => {
  // 100 steps x 16 N^2 x (1 + 1 vector), N = 10: 320,000 flops; a DMFT: 2 x 10 x 100 x 5 x 2 = 20,000; at 0.3 GFLOP/s on 2 workers
  const s = estimatedRunSeconds({ runs: [{ N: 10, time: 10, vectors: 1 }], dmft: [{ paths: 10, steps: 100, lags: 5, iterations: 2 }], workers: 2 });
  assert.ok(Math.abs(s - (320000 + 20000) / 0.3e9 / 2) < 1e-15);
});

const ac = (k: number, c: number[]): AutocorrelationJobResult => ({ N: 100, g: 2, k, tauS: 10, seed: 1, stateSeed: 2, lags: c.map((_, i) => i), autocovariance: c, rawAutocovariance: c, synapticRms: 0, seconds: 1 });
const dm = (k: number, c: number[], g = 2, phase: DmftJobResult['phase'] = 'chaotic'): DmftJobResult => ({ g, k, tauS: 10, seed: 1, paths: 10, initialDecay: 1, lags: c.map((_, i) => i), autocovariance: c, phiAutocovariance: c, standardError: c.map(() => 0), tailFraction: 0, phase, converged: true, iterations: 3, change: 0, seconds: 1 });
const ph = (g: number, k: number, phase: PhaseJobResult['phase'], lambda1: number): PhaseJobResult => ({ N: 50, g, k, tauS: 10, seed: 1, lambda1, lambda1Error: 0.001, rmsX: 1, speed: 0, phase, seconds: 1 });

test('figures carry the values given; the table reads direction and presence of each effect', () => {
  const sims = [ac(-1, [1, 0.3, -0.2, 0]), ac(0, [2, 1.2, 0.4, 0.1]), ac(1, [1, 0.9, 0.8, 0.6])];
  const theory = [dm(-1, [1, 0.2, -0.1, 0]), dm(0, [2, 1, 0.4, 0]), dm(1, [1, 0.95, 0.9, 0.8])];
  const f = autocorrelationFigure(sims, theory);
  assert.deepEqual(f.data.find((d) => d.name === 'simulation k = 0 (N = 100)')!.y, [1, 0.6, 0.2, 0.05]);
  assert.deepEqual(f.data.find((d) => d.name === 'DMFT k = 1')!.y, [1, 0.95, 0.9, 0.8]);
  const phases = [ph(0.8, 0, 'quiescent', -0.1), ph(0.8, 1, 'chaotic', 0.02), ph(2, 0, 'chaotic', 0.05), ph(2, 1, 'chaotic', 0.08), ph(2, 2, 'fixed point', -0.1)];
  const pd = phaseDiagramFigure(phases, [dm(0, [1], 0.8, 'quiescent'), dm(1, [1], 0.8, 'chaotic')]);
  assert.deepEqual(pd.data.find((d) => d.name === 'DMFT: chaotic | quiescent')!.y, [0.5]);
  assert.deepEqual(pd.data.find((d) => d.name === 'simulation: chaotic')!.x, [0.8, 2, 2]);
  const spectra: SpectrumJobResult[] = [0, 1, 2].map((k, i) => ({ N: 20, g: 2, k, tauS: 10, seed: 1, exponents: [0.1], standardErrors: [0.01], kaplanYorke: [2, 3, 1][i], seconds: 1 }));
  const freezes: FreezeJobResult[] = [{ N: 50, g: 2, k: 2, tauS: 10, seed: 1, haltSeed: 2, speedAtHalt: [0.1, 0.1], seconds: 1,
    records: [{ haltTime: 1, converged: true, stable: true, maxRealPart: -0.5, distance: 0.01, correlation: 0.99, time: 10 }, { haltTime: 2, converged: true, stable: true, maxRealPart: -0.4, distance: 0.03, correlation: 0.98, time: 10 }] }];
  const jac = (k: number, angle: number): JacobianJobResult => ({ N: 5, g: 2, k, tauS: 10, seed: 1, re: [], im: [], synapticValue: -0.1, synapticMultiplicity: 20, unstable: 1, unstableAngle: angle, seconds: 1 });
  const rows = reproductionRows({
    sims, theory, phases, lambdaByK: phases.filter((p) => p.g === 2).map((p) => ({ k: p.k, lambda1: p.lambda1, error: 0.001 })), spectra, freezes,
    jacobians: [jac(-1, 70), jac(0, 40), jac(1, 10)], settings: { a: 'A', b: 'B', c: 'C', c2: 'C2', d: 'D', e: 'E' },
  });
  const get = (effect: string) => rows.find((r) => r.effect === effect)!;
  assert.equal(get('Hebbian plasticity slows chaotic activity').present, 'yes');  // k = 1 never falls below 1/2 within the lags; k = 0 at 1.25
  assert.equal(get('anti-Hebbian plasticity quickens activity').present, 'yes');
  assert.equal(get('anti-Hebbian plasticity adds an oscillatory component').present, 'yes');
  assert.equal(get('Hebbian plasticity makes a g < 1 network chaotic').present, 'yes');
  assert.equal(get('lambda_max non-monotonic in k (rises, then falls)').present, 'yes');
  assert.equal(get('attractor dimension non-monotonic in k').present, 'yes');
  assert.equal(get('freezable chaos (k = 2)').present, 'yes');
  assert.equal(get('Hebbian pushes unstable modes toward the real axis, anti-Hebbian toward the imaginary axis').present, 'yes');
  // reversed directions read as absent
  const flipped = reproductionRows({ sims: [ac(0, [1, 0.9, 0.8, 0.6]), ac(1, [2, 1.2, 0.4, 0.1])], theory: [], phases: [ph(0.8, 1, 'quiescent', -0.1)], lambdaByK: [], spectra: [], freezes: [], jacobians: [jac(-1, 10), jac(1, 70)], settings: {} });
  assert.equal(flipped.find((r) => r.effect === 'Hebbian plasticity slows chaotic activity')!.present, 'no');
  assert.equal(flipped.find((r) => r.effect === 'Hebbian plasticity makes a g < 1 network chaotic')!.present, 'no');
  // the DMFT's converged chaotic points at g < 1, k > 0 are named in that row; unconverged and g >= 1 points are not
  const withDmft = reproductionRows({ sims: [], theory: [], phases: [], lambdaByK: [], spectra: [], freezes: [], jacobians: [], settings: {}, dmftPhases: [
    { g: 0.9, k: 2, tauS: 2, phase: 'chaotic', converged: true }, { g: 0.95, k: 2, tauS: 2, phase: 'chaotic', converged: false }, { g: 2, k: 1, tauS: 10, phase: 'chaotic', converged: true },
  ] }).find((r) => r.effect === 'Hebbian plasticity makes a g < 1 network chaotic')!;
  assert.ok(withDmft.measured.endsWith('; DMFT (converged) chaotic at g 0.9, k 2, tau_s 2'), withDmft.measured);
  assert.equal(flipped.find((r) => r.effect.startsWith('Hebbian pushes'))!.present, 'no');
});

test('dmftSeedSpread: mean and s.d. over converged solves by hand; autocorrelationGap interpolates the theory', () => {
  const a = dm(1, [2, 1, 0]), b = dm(1, [4, 3, 2]), c = { ...dm(1, [1, 1, 1]), converged: false };
  const s = dmftSeedSpread([a, b, c]);
  assert.equal(s.solves, 3);
  assert.equal(s.converged, 2);
  // normalized: [1, 0.5, 0] and [1, 0.75, 0.5]
  assert.deepEqual(s.mean, [1, 0.625, 0.25]);
  assert.ok(Math.abs(s.sd[1] - Math.SQRT1_2 * 0.25) < 1e-15 && Math.abs(s.sd[2] - Math.SQRT1_2 * 0.5) < 1e-15 && s.sd[0] === 0);
  assert.equal(s.variance, 3);
  assert.ok(Math.abs(s.varianceSd - Math.SQRT2) < 1e-15);
  assert.ok(Number.isNaN(dmftSeedSpread([a]).varianceSd));
  // theory on lags 0, 1, 2 (C/C0 = 1, 0.5, 0); simulation on lags 0, 0.5, 1.5 with C/C0 = 1, 0.7, 0.3: gaps 0, 0.05, 0.05 (theory 0.75, 0.25)
  const g = autocorrelationGap({ lags: [0, 0.5, 1.5], c: [3, 2.1, 0.9] }, { lags: [0, 1, 2], c: [2, 1, 0] }, 10);
  assert.ok(Math.abs(g.maxGap - 0.05) < 1e-12, `${g.maxGap}`);
  assert.ok(Math.abs(g.varianceGap - (2 - 3) / 3) < 1e-15);
  assert.equal(autocorrelationGap({ lags: [0, 0.5, 1.5], c: [3, 2.1, 0.9] }, { lags: [0, 1, 2], c: [2, 1, 0] }, 1).atLag, 0.5);
});

test('fixedPointJob finds the 2^N + 1 stable fixed points of an uncoupled network (g = 0)', async () => {
  // g = 0, k = 3: each unit sits at +-x*, x* = k q tanh x*, or all at 0 (A = 0 there: stable); a unit at 0 among
  // active ones is unstable ((lambda + 1)(tau_s lambda + 1) = k q > 1). So 2^3 sign patterns + the quiescent state.
  const r = await fixedPointJob({ N: 3, g: 0, k: 3, tauS: 10, seed: 1, starts: 60, startSeed: 5, time: 400 });
  assert.equal(r.converged, 60);
  assert.equal(r.distinct, 9);
});

// The phase diagram's DMFT settings (default mode): 150 paths x 80 tau, lags to 20, dt 0.2, seed 1, 40 iterations.
const GRID = { paths: 150, record: 80, maxLag: 20, dt: 0.2, seed: 1, maxIterations: 40 };

test('dmftRowJob: continuation in k from the Gaussian solution converges where the one-point fast start did not (g = 1.3)', async () => {
  // Session 6's grid solved each point alone from C_phi = 0.5 e^{-u}: at g = 1.3, k = 0 it ran out of its 40 iterations
  // (change still 4e-3, variance 0.359). The row starts k = 0 from stationaryDmft's Newton solution and k = 1 from k = 0's.
  // (the old solve: plain path averages; with the control variate, session 9, k = 0 is the exact Gaussian map and converges alone)
  const old = plasticDmft({ g: 1.3, k: 0, tauS: 10, ...GRID, controlVariate: false });
  assert.equal(old.converged, false, 'the old one-point solve converges here now: pick another point for this test');
  // the row with the same plain averages (with the control variate k = 1 from k = 0 needs the fast start here, session 9)
  const row = await dmftRowJob({ g: 1.3, tauS: 10, ks: [1, 0], from: 'zero', ...GRID, controlVariate: false });
  assert.deepEqual(row.map((p) => p.k), [0, 1]);
  assert.deepEqual(row.map((p) => p.start), ['gaussian', 'k = 0']);
  for (const p of row) assert.ok(p.converged, `k ${p.k}: not converged (${p.iterations} iterations, change ${p.change})`);
  // k = 0 against the closed-form (Newton) Gaussian DMFT: measured 0.370 vs 0.393 (-6%; 150 paths, a nearly marginal map)
  const exact = stationaryDmft({ g: 1.3, tableNodes: 65, quadrature: { dz: 0.06 } }).autocovariance[0];
  assert.ok(Math.abs(row[0].autocovariance[0] - exact) < 0.1 * exact, `variance ${row[0].autocovariance[0]} vs ${exact}`);
  // Hebbian k = 1 at g = 1.3 freezes (C_x(20) / C_x(0) measured 0.96) and is much larger than k = 0
  assert.equal(row[1].phase, 'static');
  assert.ok(row[1].autocovariance[0] > 3 * row[0].autocovariance[0]);
});

test('dmftRowJob from the top finds the static branch at strong k below g = 1 and collapses to quiescence at k = 0', async () => {
  const row = await dmftRowJob({ g: 0.6, tauS: 10, ks: [0, 4], from: 'top', initialCphi: 0.8, initialStatic: 0.5, ...GRID });
  assert.deepEqual(row.map((p) => [p.k, p.phase, p.converged, p.start]), [[0, 'quiescent', true, 'k = 4'], [4, 'static', true, 'guess']]);
  // a frozen unit at k = 4 sits near x = +-k q tanh x with q ~ 1: |x| ~ 4 (measured variance 20.3)
  assert.ok(row[1].autocovariance[0] > 9 && row[1].autocovariance[0] < 30, `variance ${row[1].autocovariance[0]}`);
});

test('pickDmftSolution: chaotic over static over quiescent among the converged; the first when none converged', () => {
  const s = (phase: 'quiescent' | 'static' | 'chaotic', converged: boolean, id: number) => ({ phase, converged, id });
  assert.equal(pickDmftSolution([s('quiescent', true, 1), s('static', true, 2), s('chaotic', false, 3)]).id, 2);
  assert.equal(pickDmftSolution([s('static', true, 1), s('chaotic', true, 2), s('quiescent', true, 3)]).id, 2);
  assert.equal(pickDmftSolution([s('quiescent', true, 1), s('quiescent', true, 2)]).id, 1);
  assert.equal(pickDmftSolution([s('chaotic', false, 1), s('static', false, 2)]).id, 1);
  assert.throws(() => pickDmftSolution([]), /solutions/);
});

test('averageSimulations: mean raw autocovariance and its standard error over networks, by hand', () => {
  const sim = (seed: number, raw: number[]) => ({ seed, k: 1, N: 10, rawAutocovariance: raw, lags: raw.map((_, i) => i) }) as unknown as AutocorrelationJobResult;
  const a = averageSimulations([sim(1, [4, 2, 1]), sim(2, [2, 1]), sim(3, [3, 3, 5])]);
  assert.deepEqual(a.rawAutocovariance, [3, 2]); // the shortest run's lags
  assert.deepEqual(a.seeds, [1, 2, 3]);
  // variance: values 4, 2, 3 -> s.d. 1, s.e. 1 / sqrt 3
  assert.ok(Math.abs(a.varianceStandardError - 1 / Math.sqrt(3)) < 1e-12);
  assert.equal(a.variance, 3);
  assert.ok(Number.isNaN(averageSimulations([sim(1, [1, 0])]).varianceStandardError));
  assert.throws(() => averageSimulations([]), /sims/);
});
