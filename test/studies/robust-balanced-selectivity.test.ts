/**
 * lib/studies/robust-balanced-selectivity: each job against the lib/meanfield calls it wraps, the
 * figures' traces against medians and ranges computed by hand from made-up results, the table rows and
 * the run-time estimate by hand. (The notebook's QUICK run is test/notebooks/smoke.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median } from '../../lib/core';
import {
  balancedPerceptronLearning, buildMemoryNetwork, capacityFromSeparability, maxInputMargin, maxOutputMargin, noiseErrorRate, randomMemories, randomPatterns,
  retrievalFraction, separableFraction,
} from '../../lib/meanfield';
import {
  capacityFigure, capacityJob, estimatedRunSeconds, formatDuration, learningFigure, learningJob, marginFigure, marginJob, memoryBasinFigure, memoryJob, memoryNoiseFigure,
  noiseFigure, reproductionRows, type LearningJobResult, type MarginJobResult, type MemoryJobResult, type SolutionSummary,
} from '../../lib/studies/robust-balanced-selectivity';

type Trace = { x: number[]; y: number[]; name?: string };

test('capacityJob gives separableFraction per load (seed + 1000 k) and the crossing of 1/2', async () => {
  const a = { N: 12, alphas: [0.5, 1.5, 2.5], trials: 3, fExc: 0.8, pOut: 0.5, inputs: 'binary' as const, fInExc: 0.5, fInInh: 0.5, constrained: true, seed: 4 };
  const r = await capacityJob(a);
  const want = a.alphas.map((al, k) => separableFraction({ ...a, P: Math.round(al * a.N), seed: a.seed + 1000 * k }));
  assert.deepEqual(r.fractions, want);
  assert.equal(r.capacity, capacityFromSeparability(a.alphas, want));
});

test('marginJob summarises maxOutputMargin and maxInputMargin of the same problem, with their noise error rates', async () => {
  const a = { N: 20, alpha: 0.4, fExc: 0.8, pOut: 0.5, gamma: 2, sigmas: [0, 0.3], seed: 3 };
  const r = await marginJob(a);
  const p = randomPatterns({ N: 20, P: 8, fExc: 0.8, pOut: 0.5, seed: 3 });
  const so = maxOutputMargin(p, { gamma: 2 }), si = maxInputMargin(p);
  assert.equal(r.maxOut.kappaOut, so.kappaOut);
  assert.equal(r.maxIn.kappaIn, si.kappaIn);
  assert.equal(r.maxOut.balanceIndex, so.balanceIndex);
  assert.equal(r.maxOut.outputNoise[1], noiseErrorRate(p, so.weights, { sigmaOut: 0.3 }));
  assert.equal(r.maxIn.inputNoise[1], noiseErrorRate(p, si.weights, { sigmaIn: 0.3 }));
});

test('learningJob is balancedPerceptronLearning on randomPatterns(seed) with noise seed + 1', async () => {
  const a = { N: 30, P: 10, fExc: 0.8, pOut: 0.5, sigmaOut: 0.15, sigmaIn: 0.1, cycles: 20, decay: 5e-7, seed: 2 };
  const r = await learningJob(a);
  const p = randomPatterns({ N: 30, P: 10, fExc: 0.8, pOut: 0.5, seed: 2 });
  const want = balancedPerceptronLearning(p, { cycles: 20, sigmaOut: 0.15, sigmaIn: 0.1, decay: 5e-7, seed: 3, recordEvery: 1 });
  assert.deepEqual(r.records, want.records);
});

const summary = (v: number): SolutionSummary => ({ kappaOut: v, kappaIn: v / 2, norm: 10 * v, balanceIndex: v / 10, slack: 0, outputNoise: [v, 2 * v], inputNoise: [3 * v, 4 * v] });
const fakeMargins = (): MarginJobResult[] => [
  [0.2, 1], [0.2, 3], [0.2, 2], [0.6, 5], [0.6, 7],
].map(([alpha, v], k) => ({ N: 10, alpha, fExc: 0.8, pOut: 0.5, gamma: 1, sigmas: [0.1, 0.2], seed: k, maxOut: summary(v), maxIn: summary(v + 100) }));

test('marginFigure: medians and ranges per load, the max kappa_in medians, and alpha_b, alpha_c as vertical lines', () => {
  const fig = marginFigure(fakeMargins(), 'kappaOut', 0.75, 1);
  const t = fig.data as Trace[];
  // band upper, band lower, median line, max kappa_in line, alpha_b, alpha_c
  assert.deepEqual(Array.from(t[0].y), [3, 7]);
  assert.deepEqual(Array.from(t[1].y), [1, 5]);
  assert.deepEqual(Array.from(t[2].y), [2, 6]);
  assert.deepEqual(Array.from(t[3].y), [102, 106]);
  assert.deepEqual(Array.from(t[4].x), [0.75, 0.75]);
  assert.deepEqual(Array.from(t[5].x), [1, 1]);
});

test('noiseFigure: median error per noise level at one load, both solutions', () => {
  const t = noiseFigure(fakeMargins(), 0.2, 'inputNoise').data as Trace[];
  assert.deepEqual(Array.from(t[0].x), [0.1, 0.2]);
  assert.deepEqual(Array.from(t[0].y), [6, 8]);
  assert.deepEqual(Array.from(t[1].y), [306, 408]);
});

test('learningFigure: one median line per output-noise level', () => {
  const rec = (cycle: number, b: number) => ({ cycle, errors: 0, balanceIndex: b, norm: 1, kappaOut: 0, kappaIn: 0 });
  const run = (sigmaOut: number, seed: number, bs: number[]): LearningJobResult => ({ N: 1, P: 1, fExc: 0.8, pOut: 0.5, sigmaOut, sigmaIn: 0.1, cycles: 2, decay: 0, seed, records: bs.map((b, i) => rec(i + 1, b)) });
  const t = learningFigure([run(0.15, 1, [0.5, 0.2]), run(0.15, 2, [0.7, 0.4]), run(0, 1, [0.9, 0.8])], 'balanceIndex').data as Trace[];
  assert.equal(t.length, 2);
  assert.deepEqual(Array.from(t[0].y), [0.9, 0.8]); // sigma_out 0 first (sorted)
  assert.ok(Math.abs(t[1].y[0] - 0.6) < 1e-15 && Math.abs(t[1].y[1] - 0.3) < 1e-15);
});

test('capacityFigure: theory lines as given, one marker series per N holding the crossings', () => {
  const theory = { fExc: [0.2, 0.5], alphaC: [1.6, 1.9], alphaB: [1.6, 1.8] };
  const finite = [0.8, 0.2].map((fExc, k) => ({ N: 50, alphas: [1, 2], trials: 4, fExc, pOut: 0.1, inputs: 'binary' as const, fInExc: 0.5, fInInh: 0.3, constrained: true, seed: 1, fractions: [1, 0], capacity: 1.5 + k }));
  const t = capacityFigure(theory, finite, 'x').data as Trace[];
  assert.deepEqual(Array.from(t[1].y), [1.6, 1.8]);
  assert.deepEqual(Array.from(t[2].x), [0.2, 0.8]);
  assert.deepEqual(Array.from(t[2].y), [2.5, 1.5]);
});

test('estimatedRunSeconds and reproductionRows by hand', () => {
  // one QP of N = 100, P = 100: 20 (1e6 + 1e6) / 2e8 = 0.2 s; learning 2 * 100 * 10 * 1000 / 5e8 = 0.004 s; two workers halve it
  assert.ok(Math.abs(estimatedRunSeconds({ qps: [{ N: 100, P: 100, count: 1 }], learning: [{ N: 100, P: 10, cycles: 1000 }], workers: 2 }) - 0.102) < 1e-12);
  const rows = reproductionRows({ capacityHalf: 'a', cover: 'b', constrained: 'c', balance: 'd', learning: 'e', noise: 'f', memory: 'g', basins: 'h' });
  assert.deepEqual(rows.map((r) => r.measured), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  assert.ok(rows[0].paper.includes('1'));
  assert.deepEqual([59.6, 600, 3 * 3600, 5 * 86400].map(formatDuration), ['60 s', '10.0 min', '3.0 h', '5.00 days']);
});

test('memoryJob: buildMemoryNetwork on randomMemories(seed) and retrievalFraction with its documented settings and seeds', async () => {
  const a = { N: 24, alpha: 0.25, fExc: 0.8, fActExc: 0.3, fActInh: 0.3, kind: 'unbalanced' as const, gamma: 5, distortions: [0, 0.2], basinRepeats: 2, basinMemories: 3, basinSigmas: [0, 0.05], sigmas: [0.1, 1], stabilityMemories: 4, sweeps: 30, seed: 6 };
  const r = await memoryJob(a);
  const mem = randomMemories({ N: 24, P: 6, fExc: 0.8, fActExc: 0.3, fActInh: 0.3, seed: 6 });
  const net = buildMemoryNetwork(mem, { kind: 'unbalanced', progress: false });
  assert.equal(r.P, 6);
  assert.equal(r.redrawn, mem.redrawn);
  assert.equal(r.memoriesFixed, net.memoriesFixed);
  assert.equal(r.kappaOut, median(Array.from(net.kappaOut)));
  const b = retrievalFraction(net, mem, { distortion: 0.2, sigma: 0.05, sweeps: 50, escapeDistance: 0.15, retrievedDistance: 0.05, memories: 3, repeats: 2, seed: 6 + 1000 + 100000 });
  assert.deepEqual(r.basins[1][1], { fraction: b.fraction, initialDistance: b.initialDistance });
  assert.equal(r.basins[0][0].initialDistance, 0);
  assert.equal(r.stability[1], retrievalFraction(net, mem, { sigma: 1, sweeps: 30, escapeDistance: 0.1, retrievedDistance: 0.1, memories: 4, seed: 6 + 2000 }).fraction);
});

const fakeMemory = (kind: 'balanced' | 'unbalanced', seed: number, v: number): MemoryJobResult => ({
  N: 10, alpha: 0.25, fExc: 0.8, fActExc: 0.3, fActInh: 0.15, kind, gamma: 1, distortions: [0.1, 0.2], basinRepeats: 1, basinSigmas: [0, 0.3], sigmas: [0.1, 1], stabilityMemories: 2, sweeps: 5, seed,
  P: 2, redrawn: 0, memoriesFixed: true, kappaOut: v, kappaIn: v, balanceIndex: v, norm: v, unitsAtMostOne: 0,
  basins: [[{ fraction: v, initialDistance: 0.1 * v }, { fraction: 2 * v, initialDistance: 0.2 * v }], [{ fraction: 3 * v, initialDistance: 0.3 }, { fraction: 4 * v, initialDistance: 0.4 }]],
  stability: [5 * v, 6 * v],
});

test('memoryBasinFigure and memoryNoiseFigure: means over networks per kind (and per basin noise level)', () => {
  const runs = [fakeMemory('balanced', 1, 0.1), fakeMemory('balanced', 2, 0.3), fakeMemory('unbalanced', 1, 0.05)];
  const t = memoryBasinFigure(runs).data as Trace[];
  assert.equal(t.length, 4); // 2 kinds x 2 noise levels
  assert.ok(Math.abs(t[0].y[1] - 0.4) < 1e-12 && Math.abs(t[0].x[0] - 0.02) < 1e-12);
  assert.ok(Math.abs(t[1].y[0] - 0.6) < 1e-12);
  assert.ok(Math.abs(t[2].y[1] - 0.1) < 1e-12);
  const n = memoryNoiseFigure(runs).data as Trace[];
  assert.deepEqual(Array.from(n[0].x), [0.1, 1]);
  assert.ok(Math.abs(n[0].y[1] - 1.2) < 1e-12 && Math.abs(n[1].y[0] - 0.25) < 1e-12);
});
