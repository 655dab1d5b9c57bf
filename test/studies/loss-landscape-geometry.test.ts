/**
 * lib/studies/loss-landscape-geometry.ts: every statistic, figure builder,
 * argument builder and table row is checked on hand-made inputs with known
 * answers; the training job against a hand-written loop over lib/data's
 * batches, and the run-time estimate against hand arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PROJECT_ROOT, type WorkerPool } from '../../lib/core';
import { tensorBatches } from '../../lib/data';
import { accuracy } from '../../lib/landscape';
import { Network, Optimizer } from '../../lib/rules';
import {
  STUDY_MODULE, studyModel, studyNetworkOptions, studyData, timeHessianProduct, estimateRunSeconds, runStudyJobs, probeJobArgs, groupByConfig,
  subspaceJobArgs, subspaceAccuracy, intrinsicDimensionBySeed, radiusJobArgs, radiusSummary, projectedJobArgs, projectedSummary, seedBand,
  medianOfFinite, formatFinite, outlierCount, outlierCounts, cosineStatistics, overlapAfterInit, persistenceAtEnd, topEigenvalueStatistics, lanczosConvergence,
  checkpointCurve, cosineFigure, densityFigure, topEigenvaluesFigure, gradientOverlapFigure, topEigenvalueFigure, intrinsicDimensionFigure,
  goldilocksCurvatureFigure, goldilocksAccuracyFigure, projectedSgdFigure, reproductionRows, trainingProbeJob,
  type Checkpoint, type TrainingProbeResult, type StudySettings, type SubspaceResult, type RadiusResult, type ProjectedResult,
} from '../../lib/studies/loss-landscape-geometry';

const SETTINGS: StudySettings = { dataset: 'mnist', hidden: [32, 32], trainSamples: 500, convTrainSamples: 300, testSamples: 200 };

/** A checkpoint with the given step, top eigenvalue, overlap and persistence (other fields fixed). */
function cp(step: number, top: number, overlap: number, persistence: number | null = null): Checkpoint {
  return {
    step, epoch: 0, trainLoss: 1, testAccuracy: 0.5, topEigenvalues: [top, top / 2], residuals: [0.01, 0.02], lanczosSteps: 40, converged: true,
    overlapSquared: overlap, overlapUnsquared: Math.sqrt(overlap), baselineSquared: 0.001, persistence,
  };
}

/** A probe result with hand-set checkpoints and end spectra. */
function run(checkpoints: Checkpoint[], endH: number[], endG: number[], cos?: { initSame: number; initDiff: number; endSame: number; endDiff: number }): TrainingProbeResult {
  const summary = (same: number, diff: number) => ({ matrix: [[1, same], [same, 1]], rowClass: [0, 0], rowLogit: [0, 0], byClass: [[same]], sameClassMean: same, differentClassMean: diff });
  return {
    parameters: 1000, checkpoints, cosinesInit: cos ? summary(cos.initSame, cos.initDiff) : null, cosinesEnd: cos ? summary(cos.endSame, cos.endDiff) : null,
    endHessianTop: endH, endGaussNewtonTop: endG, endResidualRatio: 0.1, endLanczosSteps: [40, 40], endConverged: [true, true],
    densityH: { grid: [0, 1, 2], density: [0.5, 1e-9, 0.2], sigma: 0.1 }, densityG: { grid: [0, 1, 2], density: [0.4, 0.3, 1e-8], sigma: 0.2 },
    finalTestAccuracy: 0.8, seconds: 1,
  };
}

// ---------------------------------------------------------------- settings

test('studyModel: the conv net trains on convTrainSamples, the MLP on trainSamples; both share the test set and hidden widths', () => {
  assert.deepEqual(studyModel(SETTINGS, 'mlp', 'tanh', 3), { dataset: 'mnist', model: 'mlp', hidden: [32, 32], activation: 'tanh', seed: 3, trainSamples: 500, testSamples: 200 });
  assert.equal(studyModel(SETTINGS, 'conv', 'relu', 1).trainSamples, 300);
  assert.throws(() => studyModel(SETTINGS, 'rnn' as 'mlp', 'tanh', 0), /model/);
});

test("the study's MLP 784-200-200-10 has Li et al.'s 199,210 parameters; its conv net has no batch norm", () => {
  const m = { dataset: 'mnist' as const, model: 'mlp' as const, activation: 'relu' as const, seed: 0, trainSamples: 100, testSamples: 100 };
  const net = new Network(studyNetworkOptions(m));
  assert.equal(net.parameterCount, 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10);
  assert.equal(net.parameterCount, 199210);
  net.dispose();
  const conv = studyNetworkOptions({ ...m, model: 'conv' });
  assert.deepEqual(conv.layers.map((l) => l.kind), ['conv2d', 'activation', 'maxpool', 'conv2d', 'activation', 'maxpool', 'flatten', 'dense']);
});

test('studyData: tensors shaped for the network; the MLP and conv net see the same pixels of the same seeded subset', () => {
  const m = studyModel(SETTINGS, 'mlp', 'tanh', 4);
  const mlp = new Network(studyNetworkOptions(m));
  const conv = new Network(studyNetworkOptions({ ...m, model: 'conv' }));
  const a = studyData(m, mlp);
  const b = studyData(m, conv);
  assert.deepEqual(a.train.x.shape, [500, 784]);
  assert.deepEqual(b.train.x.shape, [500, 28, 28, 1]);
  assert.deepEqual(a.test.x.shape, [200, 784]);
  assert.deepEqual(Array.from(a.train.x.dataSync()), Array.from(b.train.x.dataSync()));
  assert.deepEqual(Array.from(a.train.y.dataSync()), Array.from(b.train.y.dataSync()));
  assert.ok(Array.from(a.train.y.dataSync()).every((y) => Number.isInteger(y) && y >= 0 && y < 10));
  // Another seed draws another subset.
  const c = studyData({ ...m, seed: 5 }, mlp);
  assert.notDeepEqual(Array.from(c.train.y.dataSync()), Array.from(a.train.y.dataSync()));
  [a, b, c].forEach((d) => tf.dispose([d.train.x, d.train.y, d.test.x, d.test.y]));
  mlp.dispose();
  conv.dispose();
});

test('timeHessianProduct: D of 784-32-32-10 by hand, and the Xavier radius equals the norm of the weights read from the network', () => {
  const m = studyModel(SETTINGS, 'mlp', 'tanh', 0);
  const t = timeHessianProduct(m, 16, 1);
  assert.equal(t.parameters, 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10);
  const net = new Network(studyNetworkOptions(m));
  let sum = 0;
  for (const l of net.paramLayers) for (const v of [l.weight, l.bias]) if (v) for (const x of v.dataSync()) sum += x * x;
  net.dispose();
  assert.ok(Math.abs(t.radius - Math.sqrt(sum)) < 1e-9 * t.radius, `${t.radius} vs ${Math.sqrt(sum)}`);
  assert.ok(t.productSeconds > 0);
});

test('estimateRunSeconds: each term against hand arithmetic', () => {
  const base = {
    seeds: 1, checkpoints: 0, lanczosSteps: 0, k: 0, slq: { runs: 0, steps: 0 }, subspaceDims: 0, subspaceEpochs: 0, subspaceBatch: 10, trainSamples: 100,
    radii: 0, traceProbes: 0, planeDimension: 0, radiusRows: 100, hessianRows: 100, stepsPerEpoch: 0, projectedEvery: 1, projectedLanczos: 0,
    projectedRows: 100, productSeconds: 1, stepSeconds: 0.5, workers: 1,
  };
  // Probe runs: 2 seeds-configs x [C (L + k + 2) + 2L + 2 runs steps] products = 2 * (2 * (3 + 1 + 2) + 6 + 2 * 1 * 4) = 52.
  assert.equal(estimateRunSeconds({ ...base, checkpoints: 2, lanczosSteps: 3, k: 1, slq: { runs: 1, steps: 4 } }), 52);
  // Subspace sweep: (|d| + 1) runs x 2 epochs x ceil(100 / 10) steps x 0.5 s = 3 * 20 * 0.5 = 30.
  assert.equal(estimateRunSeconds({ ...base, subspaceDims: 2, subspaceEpochs: 2 }), 30);
  // Radii: 2 x [(T + d) products at 50/100 of the rows + 1 epoch of 10 steps] = 2 * ((3 + 1) * 0.5 + 5) = 14, plus the
  // sweep's full-training reference run, which one subspace epoch also prices: 1 x 10 steps x 0.5 = 5.
  assert.equal(estimateRunSeconds({ ...base, radii: 2, traceProbes: 3, planeDimension: 1, radiusRows: 50, subspaceEpochs: 1 }), 19);
  // Projected SGD: 3 modes x [7 steps x 0.5 + ceil(7 / 3) (2 + 1) products x 2 (rows ratio)] = 3 * (3.5 + 18) = 64.5.
  assert.equal(estimateRunSeconds({ ...base, stepsPerEpoch: 7, projectedEvery: 3, projectedLanczos: 2, projectedRows: 200 }), 64.5);
  // Seeds multiply, workers divide.
  assert.equal(estimateRunSeconds({ ...base, checkpoints: 2, lanczosSteps: 3, k: 1, slq: { runs: 1, steps: 4 }, seeds: 3, workers: 2 }), 78);
});

test('runStudyJobs addresses this file on the pool, in order, and returns the values', async () => {
  const seen: { module: string; export: string; args: unknown }[] = [];
  const pool = {
    run: async (jobs: { module: string; export: string; args: unknown }[]) => {
      seen.push(...jobs);
      return jobs.map((j, i) => ({ ok: true, value: (j.args as { n: number }).n * 10, ms: 0, jobIndex: i, pid: 0 }));
    },
  } as unknown as WorkerPool;
  assert.deepEqual(await runStudyJobs<number>(pool, 'radiusJob', [{ n: 1 }, { n: 2 }], 'x'), [10, 20]);
  assert.deepEqual(seen.map((j) => [j.module, j.export]), [[STUDY_MODULE, 'radiusJob'], [STUDY_MODULE, 'radiusJob']]);
  assert.ok(fs.existsSync(path.join(PROJECT_ROOT, `${STUDY_MODULE}.ts`)), 'the pool module path names this file');
  await assert.rejects(runStudyJobs(pool, 'noSuchJob' as 'radiusJob', [], 'x'), /job/);
});

// ---------------------------------------------------------------- job arguments and grouping

test('probeJobArgs: configurations in order; the conv net keeps its reachable checkpoints plus its last step and skips SLQ and cosines', () => {
  const args = probeJobArgs(SETTINGS, {
    seeds: [0, 1], convSeeds: [7], epochs: 1, batchSize: 50, lr: 0.05, checkpoints: [0, 2, 8, 10], hessianSamples: 64, k: 10, lanczosSteps: 12,
    slq: { runs: 2, steps: 9 }, cosinePerClass: 3,
  });
  assert.deepEqual(args.map((a) => `${a.model}-${a.activation}-${a.seed}`), ['mlp-tanh-0', 'mlp-tanh-1', 'mlp-relu-0', 'mlp-relu-1', 'conv-relu-7']);
  // 300 conv images / batch 50 = 6 steps: checkpoints 0, 2 and then 6.
  assert.deepEqual(args[4].checkpoints, [0, 2, 6]);
  assert.deepEqual([args[4].densityRuns, args[4].cosinePerClass, args[4].trainSamples], [0, 0, 300]);
  assert.deepEqual(args[0].checkpoints, [0, 2, 8, 10]);
  assert.deepEqual([args[0].densityRuns, args[0].densitySteps, args[0].cosinePerClass, args[0].trainSamples], [2, 9, 3, 500]);
});

test('groupByConfig: results go to their `${model}-${activation}` key in job order; a length mismatch throws', () => {
  const args = probeJobArgs(SETTINGS, {
    seeds: [0, 1], convSeeds: [0], epochs: 1, batchSize: 50, lr: 0.05, checkpoints: [0], hessianSamples: 64, k: 10, lanczosSteps: 12, slq: { runs: 0, steps: 0 }, cosinePerClass: 0,
  });
  const g = groupByConfig(args, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(g, { 'mlp-tanh': ['a', 'b'], 'mlp-relu': ['c', 'd'], 'conv-relu': ['e'] });
  assert.throws(() => groupByConfig(args, ['a']), /results/);
});

test('subspace sweep: job order, accuracy lookup, and d_int90 per seed against its own full-training accuracy', () => {
  const args = subspaceJobArgs(SETTINGS, [0, 1], [10, 100], { epochs: 1, batchSize: 64, lr: 1e-2, fullLr: 1e-3 });
  assert.deepEqual(args.map((a) => [a.seed, a.d, a.lr, a.subspaceSeed]), [[0, 0, 1e-3, 100], [0, 10, 1e-2, 100], [0, 100, 1e-2, 100], [1, 0, 1e-3, 101], [1, 10, 1e-2, 101], [1, 100, 1e-2, 101]]);
  assert.ok(args.every((a) => a.model === 'mlp' && a.activation === 'relu'));
  // Seed 0: full 0.9, threshold 0.81: d = 10 gives 0.5, d = 100 gives 0.9 -> d_int90 = 100, interpolated in log d at
  // (0.81 - 0.5) / (0.9 - 0.5) = 0.775 of the way: 10^(1 + 0.775). Seed 1: never reaches 0.9 * 1.0.
  const acc = [0.9, 0.5, 0.9, 1.0, 0.2, 0.3];
  const results: SubspaceResult[] = args.map((a, i) => ({ d: a.d, accuracy: acc[i], parameters: 100, radius: 1, seconds: 0 }));
  assert.equal(subspaceAccuracy(args, results, 1, 10), 0.2);
  assert.equal(subspaceAccuracy(args, results, 0, 0), 0.9);
  assert.throws(() => subspaceAccuracy(args, results, 0, 50), /d/);
  const dint = intrinsicDimensionBySeed(args, results, [0, 1], [10, 100]);
  assert.equal(dint[0].dInt90, 100);
  assert.ok(Math.abs(dint[0].dInt90Interpolated! - 10 ** 1.775) < 1e-9);
  assert.equal(dint[1].dInt90, null);
  assert.ok(Math.abs(dint[1].threshold - 0.9) < 1e-15);
});

test('radius jobs and their summary: medians per radius over seeds, and the radii of the largest ratio and the best accuracy', () => {
  const radii = [1, 2, 4];
  const jobs = radiusJobArgs(SETTINGS, [0, 1, 2], radii, { hessianSamples: 64, traceSamples: 4, planeDimension: 5, subspaceDimension: 20, subspace: { epochs: 1, batchSize: 64, lr: 0.01 } });
  assert.equal(jobs.curvature.length, 9);
  assert.deepEqual(jobs.training.map((a) => [a.seed, a.radius, a.d, a.subspaceSeed]).slice(0, 4), [[0, 1, 20, 200], [0, 2, 20, 200], [0, 4, 20, 200], [1, 1, 20, 201]]);
  assert.ok(jobs.curvature.every((a) => a.model === 'mlp' && a.activation === 'tanh' && a.planeDimension === 5));
  // ratio of seed s at radius r: r-th row below; median over seeds per radius = [0.2, 0.5, 0.1].
  const ratio: Record<number, number[]> = { 1: [0.1, 0.2, 0.9], 2: [0.5, 0.4, 0.6], 4: [0.1, 0.0, 0.3] };
  const accuracy: Record<number, number[]> = { 1: [0.7, 0.8, 0.9], 2: [0.2, 0.3, 0.1], 4: [0.5, 0.5, 0.5] };
  const curvature: RadiusResult[] = jobs.curvature.map((a) => {
    const s = a.seed;
    const r = ratio[a.radius][s];
    return { radius: a.radius, trace: 0, traceError: 0, frobenius: 1, frobeniusError: 0, ratio: r, ratioError: r / 10, planeRatio: -r, planePositiveExcess: s };
  });
  const training: SubspaceResult[] = jobs.training.map((a) => ({ d: 20, accuracy: accuracy[a.radius!][a.seed], parameters: 1, radius: a.radius!, seconds: 0 }));
  const s = radiusSummary(radii, jobs.curvature, curvature, jobs.training, training);
  assert.deepEqual(s.ratio, [0.2, 0.5, 0.1]);
  assert.deepEqual(s.planeRatio, [-0.2, -0.5, -0.1]);
  assert.deepEqual(s.planePositiveExcess, [1, 1, 1]);
  assert.ok(Math.abs(s.ratioError[1] - 0.05) < 1e-15);
  assert.deepEqual(s.accuracy, [[0.7, 0.8, 0.9], [0.2, 0.3, 0.1], [0.5, 0.5, 0.5]]);
  assert.equal(s.bestRatioRadius, 2);
  assert.equal(s.bestAccuracyRadius, 1);
  const fig = goldilocksCurvatureFigure(s, 5);
  assert.deepEqual(fig.data.map((t) => t.y), [[0.2, 0.5, 0.1], [-0.2, -0.5, -0.1], [1, 1, 1]]);
  assert.match(String(fig.data[1].name), /d = 5/);
  const acc = goldilocksAccuracyFigure(s, 20);
  // Band traces (upper, lower) then the median line.
  assert.deepEqual(acc.data.map((t) => t.y), [[0.9, 0.3, 0.5], [0.7, 0.1, 0.5], [0.8, 0.2, 0.5]]);
});

test('projected SGD: job order by mode then seed; summary accuracies by mode and the median curve with its range', () => {
  const args = projectedJobArgs(SETTINGS, [0, 1], { batchSize: 50, lr: 0.05, k: 10, every: 5, hessianSamples: 64, lanczosSteps: 16 });
  assert.deepEqual(args.map((a) => `${a.mode}-${a.seed}`), ['full-0', 'full-1', 'dominant-0', 'dominant-1', 'bulk-0', 'bulk-1']);
  assert.ok(args.every((a) => a.epochs === 1 && a.recomputeEvery === 5 && a.evaluateEvery === 5));
  const res = (mode: string, accs: number[]): ProjectedResult => ({
    mode, accuracy: accs[accs.length - 1], curve: accs.map((a, i) => ({ step: 5 * i, accuracy: a, loss: 1 })), recomputations: 2, recomputeEvery: 5, unconvergedRecomputations: 0,
  });
  const results = [res('full', [0.1, 0.6]), res('full', [0.1, 0.8]), res('dominant', [0.1, 0.1]), res('dominant', [0.1, 0.2]), res('bulk', [0.1, 0.5]), res('bulk', [0.1, 0.7])];
  const s = projectedSummary(results);
  assert.deepEqual(s.accuracy, { full: [0.6, 0.8], dominant: [0.1, 0.2], bulk: [0.5, 0.7] });
  assert.deepEqual(s.series.map((x) => x.name), ['full', 'dominant', 'bulk']);
  assert.deepEqual(Array.from(s.series[0].x!), [0, 5]);
  assert.ok(Math.abs((s.series[0].y as number[])[1] - 0.7) < 1e-15);
  assert.deepEqual(s.series[0].band, { lower: [0.1, 0.6], upper: [0.1, 0.8] });
  const fig = projectedSgdFigure(s.series);
  assert.equal(fig.data.length, 9, 'three series, each with two band traces');
});

// ---------------------------------------------------------------- statistics

test('seedBand: per point the median and the range over seeds', () => {
  assert.deepEqual(seedBand([[3, 1, 2], [5, 4], [7]]), { y: [2, 4.5, 7], band: { lower: [1, 4, 7], upper: [3, 5, 7] } });
});

test('medianOfFinite and formatFinite skip NaN (a d_int90 not reached) and say so when nothing is left', () => {
  assert.equal(medianOfFinite([NaN, 4, 1, NaN, 2]), 2);
  assert.ok(Number.isNaN(medianOfFinite([NaN, NaN])));
  assert.equal(formatFinite([0.5, NaN, 0.25, 0.75]), '0.500 (0.250-0.750)');
  assert.equal(formatFinite([852.4, 965, 822], 0), '852 (822-965)');
  assert.equal(formatFinite([NaN, NaN], 0, 'not reached'), 'not reached');
});

test('outlierCount: the position after which consecutive eigenvalues drop by the largest factor', () => {
  // Ratios 10/9.5, 9.5/9, 9/1 (largest), 1/0.9: three outliers.
  assert.equal(outlierCount([10, 9.5, 9, 1, 0.9]), 3);
  assert.equal(outlierCount([8, 1, 0.9, 0.8]), 1);
  // A non-positive next eigenvalue is an infinite ratio; the first such position wins.
  assert.equal(outlierCount([5, 4, 3, -0.1, -0.2]), 3);
  assert.equal(outlierCount([5, 4, 0, 0]), 2);
  assert.equal(outlierCount([5]), 1);
  assert.deepEqual(outlierCounts([run([cp(0, 1, 0.1)], [10, 9, 1], [10, 1, 0.5])]), { h: [2], g: [1] });
});

test('per-run statistics of the probe runs: cosines, overlap after init, persistence at the end, top-eigenvalue trajectory', () => {
  const a = run([cp(0, 4, 0.5), cp(2, 9, 0.1, 0.7), cp(10, 6, 0.3, 0.9)], [1], [1], { initSame: 0.5, initDiff: 0.3, endSame: 0.6, endDiff: 0.2 });
  const b = run([cp(0, 5, 0.2), cp(2, 3, 0.4, 0.6), cp(10, 7, 0.2, 0.8)], [1], [1], { initSame: 0.4, initDiff: 0.35, endSame: 0.7, endDiff: 0.1 });
  assert.deepEqual(cosineStatistics([a, b]), { initSame: [0.5, 0.4], initDiff: [0.3, 0.35], endSame: [0.6, 0.7], endDiff: [0.2, 0.1] });
  // Medians of the checkpoints after step 0: a: (0.1, 0.3) -> 0.2; b: (0.4, 0.2) -> 0.3.
  const ov = overlapAfterInit([a, b]);
  assert.ok(Math.abs(ov[0] - 0.2) < 1e-15 && Math.abs(ov[1] - 0.3) < 1e-15, `${ov}`);
  assert.deepEqual(persistenceAtEnd([a, b]), [0.9, 0.8]);
  assert.ok(Number.isNaN(persistenceAtEnd([run([cp(0, 1, 0.1)], [1], [1])])[0]));
  // a peaks at step 2 (9), b at step 10 (7).
  assert.deepEqual(topEigenvalueStatistics([a, b]), { init: [4, 5], max: [9, 7], argmax: [2, 10], end: [6, 7] });
  // Lanczos convergence over every checkpoint and both end spectra: 2 runs x (3 + 2) solves, one unconverged at 160 steps.
  b.checkpoints[1] = { ...b.checkpoints[1], lanczosSteps: 160, converged: false };
  a.endLanczosSteps = [40, 56];
  assert.deepEqual(lanczosConvergence([a, b]), { converged: 9, total: 10, minSteps: 40, maxSteps: 160 });
});

test('checkpointCurve: step 0 placed at 0.5, median and range over runs at each checkpoint', () => {
  const a = run([cp(0, 4, 0.5), cp(2, 9, 0.1), cp(10, 6, 0.3)], [1], [1]);
  const b = run([cp(0, 5, 0.2), cp(2, 3, 0.4), cp(10, 7, 0.2)], [1], [1]);
  const c = run([cp(0, 6, 0.3), cp(2, 1, 0.2), cp(10, 8, 0.1)], [1], [1]);
  const curve = checkpointCurve([a, b, c], (p) => p.topEigenvalues[0]);
  assert.deepEqual(curve, { x: [0.5, 2, 10], y: [5, 3, 7], band: { lower: [4, 1, 6], upper: [6, 9, 8] } });
  assert.throws(() => checkpointCurve([], (p) => p.step), /runs/);
});

// ---------------------------------------------------------------- figures and table

test('figure builders carry the medians, bands and reference lines they are given', () => {
  const a = run([cp(0, 4, 0.5), cp(2, 9, 0.1)], [10, 5, 1], [9, 4, 2]);
  const b = run([cp(0, 6, 0.3), cp(2, 3, 0.3)], [20, 7, 3], [11, 6, 1]);
  const probes = { 'mlp-tanh': [a, b], 'mlp-relu': [], 'conv-relu': [a] };
  const cos = cosineFigure([[1, 0.2], [0.2, 1]], 'mlp-tanh', 'initialisation');
  assert.deepEqual(cos.data[0].z, [[1, 0.2], [0.2, 1]]);
  assert.equal(cos.data[0].zmid, 0);
  const dens = densityFigure(a)!;
  assert.deepEqual(dens.data.map((t) => t.y), [[0.5, 1e-6, 0.2], [0.4, 0.3, 1e-6]], 'densities floored at 1e-6');
  assert.equal(densityFigure({ ...a, densityH: null }), null);
  const tops = topEigenvaluesFigure(probes);
  assert.deepEqual(tops.data.map((t) => t.name), ['mlp-tanh H', 'mlp-tanh G', 'conv-relu H', 'conv-relu G']);
  assert.deepEqual(tops.data.map((t) => t.y), [[15, 6, 2], [10, 5, 1.5], [10, 5, 1], [9, 4, 2]]);
  const ov = gradientOverlapFigure(probes, 40);
  // Two curves with bands (2 traces each before the line), then one k/D line per configuration.
  const lines = ov.data.filter((t) => !String(t.name ?? '').includes('(upper)') && !String(t.name ?? '').includes('(lower)'));
  assert.deepEqual(lines.map((t) => t.name), ['mlp-tanh', 'conv-relu', 'k/D mlp-tanh', 'k/D conv-relu']);
  assert.deepEqual(lines[0].y, [0.4, 0.2]);
  assert.deepEqual(lines[2].x, [0.5, 40]);
  assert.deepEqual(lines[2].y, [0.001, 0.001]);
  const top = topEigenvalueFigure(probes);
  assert.deepEqual(top.data.filter((t) => t.name === 'mlp-tanh').map((t) => t.y), [[5, 6]]);
  const idf = intrinsicDimensionFigure([10, 100], [[0.2, 0.8], [0.4, 0.6], [0.3, 0.9]], 0.75, 750);
  assert.deepEqual(idf.data.map((t) => t.y), [[0.4, 0.9], [0.2, 0.6], [0.3, 0.8], [0.75, 0.75], [0, 1]]);
  assert.deepEqual(idf.data[4].x, [750, 750]);
});

test('reproductionRows: each measured cell from the given numbers', () => {
  const a = run([cp(0, 4, 0.5)], [10, 1], [8, 1]);
  const b = run([cp(0, 4, 0.5)], [20, 1], [12, 1]);
  const radius = { radii: [1, 2], ratio: [0.1, 0.3], ratioError: [0, 0], planeRatio: [0, 0], planePositiveExcess: [0, 0], accuracy: [[0.5], [0.4]], bestRatioRadius: 2, bestAccuracyRadius: 1 };
  const rows = reproductionRows({
    settings: 'S', k: 10, parameters: 1000, xavierRadius: 2, ds: [10, 1500], probes: { 'mlp-tanh': [a, b], 'mlp-relu': [], 'conv-relu': [] },
    outliers: { 'mlp-tanh': { h: [9, 9], g: [9, 10] }, 'mlp-relu': { h: [10], g: [10] }, 'conv-relu': { h: [3], g: [4] } },
    overlapAfter: { 'mlp-tanh': [0.2, 0.4] }, topEigenvalue: { 'mlp-tanh': { init: [1, 3], max: [5, 7], end: [4, 4] } },
    cosines: { 'mlp-tanh': { endSame: [0.5, 0.7], endDiff: [0.1, 0.3] } }, dInt90: [NaN, 1000], dInt90Interpolated: [NaN, 852.4],
    accuracyAtLargestD: [0.9, 0.92, 0.91], fullAccuracy: [0.95], radius, projectedAccuracy: { full: [0.8, 0.9], dominant: [0.1, 0.2], bulk: [0.85] },
  });
  const cell = (q: RegExp) => rows.find((r) => q.test(r.quantity))!.measured;
  assert.equal(cell(/number of Hessian outliers/), '9/9 | 10 | 3');
  assert.equal(cell(/lambda_1 of G/), '0.70 (0.60-0.80)');
  assert.equal(cell(/gradient fraction/), '0.300 (0.200-0.400) vs k/D 1.0e-2');
  assert.equal(cell(/rises then falls/), '2.00, 6.00, 4.00');
  assert.equal(cell(/cosine/), '0.60 (0.50-0.70) vs 0.20 (0.10-0.30)');
  assert.equal(cell(/d_int90/), '852 (sweep: NaN/1000)');
  assert.equal(cell(/accuracy at d = 1500/), '0.910 (0.900-0.920)');
  assert.equal(rows.find((r) => /accuracy at d/.test(r.quantity))!.paper, '0.92-0.93');
  assert.equal(cell(/full training/), '0.950');
  assert.equal(cell(/Goldilocks/), '1.00 / 0.50 x Xavier');
  assert.equal(cell(/projected SGD/), '0.850 (0.800-0.900) / 0.150 (0.100-0.200) / 0.850');
  assert.ok(rows.every((r) => r.settings === 'S'));
});

// ---------------------------------------------------------------- a job

test('trainingProbeJob trains on the minibatches of lib/data batching (seed + 2, classes from the network) and probes at the checkpoints', async () => {
  const args = {
    ...studyModel({ ...SETTINGS, hidden: [8], trainSamples: 100, testSamples: 60 }, 'mlp', 'tanh', 3),
    epochs: 2, batchSize: 40, lr: 0.1, checkpoints: [0, 3, 99], hessianSamples: 32, k: 3, lanczosSteps: 12, densityRuns: 0, densitySteps: 4, cosinePerClass: 0,
  };
  const tensors = tf.memory().numTensors;
  const r = await trainingProbeJob(args);
  assert.equal(tf.memory().numTensors, tensors, 'the job leaks no tensors');
  // 100 rows / 40 = 3 batches per epoch, 6 steps: checkpoint 99 is dropped.
  assert.deepEqual(r.checkpoints.map((c) => [c.step, c.epoch]), [[0, 0], [3, 1]]);
  assert.equal(r.checkpoints[0].persistence, null);
  assert.ok(r.checkpoints[1].persistence! > 0 && r.checkpoints[1].persistence! <= 1 + 1e-12);
  assert.equal(r.checkpoints[0].topEigenvalues.length, 5);
  assert.ok(Math.abs(r.checkpoints[0].baselineSquared - 3 / r.parameters) < 1e-15);
  // The same training written out here: SGD over tensorBatches(train, seed + 2) gives the same final test accuracy.
  const net = new Network(studyNetworkOptions(args));
  const { train, test: testSet } = studyData(args, net);
  const opt = new Optimizer({ type: 'sgd', lr: args.lr, momentum: 0 });
  for (const b of tensorBatches(train, { batchSize: args.batchSize, seed: args.seed + 2, epochs: args.epochs, classes: 10 })) net.trainStep(b.x, b.y, opt, { epoch: b.epoch });
  assert.equal(r.finalTestAccuracy, accuracy(net, testSet));
  // ... and another shuffle seed gives other weights (the check above can fail).
  const other = new Network(studyNetworkOptions(args));
  const opt2 = new Optimizer({ type: 'sgd', lr: args.lr, momentum: 0 });
  for (const b of tensorBatches(train, { batchSize: args.batchSize, seed: args.seed + 9, epochs: args.epochs, classes: 10 })) other.trainStep(b.x, b.y, opt2, { epoch: b.epoch });
  const w1 = Array.from(net.paramLayers[0].weight.dataSync());
  const w2 = Array.from(other.paramLayers[0].weight.dataSync());
  assert.notDeepEqual(w1, w2);
  tf.dispose([train.x, train.y, testSet.x, testSet.y]);
  [opt, opt2].forEach((o) => o.dispose());
  net.dispose();
  other.dispose();
});
