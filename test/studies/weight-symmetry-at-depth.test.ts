/**
 * lib/studies/weight-symmetry-at-depth.ts against hand-built cases: the
 * coefficient grid from the Kunin rules' defaults, the training job of a run
 * (network = plainConvNet of the same settings, the optimiser variant), the
 * statistics (gap to BP, hidden-layer angle, best grid setting, spread) on
 * fake results with known answers, the figures' traces, the claims table and
 * the run-time estimate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainConvNet, type TrainingJobResult } from '../../lib/rules';
import {
  bestGridSetting, claimRows, depthRuns, estimatedSeconds, gapFigure, gapToBp, gridAccuracy, gridCoefficients, gridRuns, gridSpread, meanFeedbackAngle, meanHiddenAngle, nonLocalRuns, runRecords,
  studyJob, type RunKey, type StudySettings, type Variant,
} from '../../lib/studies/weight-symmetry-at-depth';

const SETTINGS: StudySettings = {
  dataset: 'fashion-mnist', trainLimit: 100, testLimit: 50, subsetSeed: 0, width: 4, batchNorm: true, epochs: 2, batchSize: 10, momentum: 0.9, lr: 0.02, manhattanLr: 1e-3, probeSize: 16,
};
const SGD: Variant = { manhattan: false, normConstraint: true };
const BM: Variant = { manhattan: true, normConstraint: true };

test('gridCoefficients: the Kunin rules\' defaults (authors\' code) times the factors; a rule without them is refused by name', () => {
  assert.deepEqual(gridCoefficients('weight-mirror', [0.1, 10]), { alphas: [1e-4, 1e-2], betas: [1e-4, 1e-2] });
  assert.deepEqual(gridCoefficients('information-alignment', [0.1, 1, 10]), { alphas: [2e-4, 2e-3, 2e-2], betas: [1e-4, 1e-3, 1e-2] });
  assert.throws(() => gridCoefficients('fa', [1]), /rule/);
  assert.throws(() => gridCoefficients('weight-mirror', [0]), /factors\[0\]/);
  const keys = gridRuns({ rules: ['weight-mirror'], factors: [0.1, 10], depth: 2, variant: SGD, seed: 0 });
  assert.deepEqual(keys.map((k) => k.coefficients), [{ alpha: 1e-4, beta: 1e-4 }, { alpha: 1e-2, beta: 1e-4 }, { alpha: 1e-4, beta: 1e-2 }, { alpha: 1e-2, beta: 1e-2 }]);
});

test('studyJob: the plain conv net of the settings, SGD or Batch Manhattan at its own rate, the norm constraint; the grid coefficients reach the rule', () => {
  const [sgd, bm] = depthRuns({ depths: [4], rules: ['usf'], variants: [SGD, BM], seeds: [3] });
  const j = studyJob(SETTINGS, sgd);
  assert.deepEqual(j.network, plainConvNet({ depth: 4, width: 4, batchNorm: true, rule: 'usf', seed: 3 }));
  assert.deepEqual(j.train?.optimizer, { type: 'sgd', lr: 0.02, momentum: 0.9, manhattan: false });
  assert.equal(j.train?.weightNormConstraint, true);
  assert.equal(studyJob(SETTINGS, bm).train?.optimizer?.lr, 1e-3);
  assert.equal(studyJob(SETTINGS, bm).train?.optimizer?.manhattan, true);
  const [g] = gridRuns({ rules: ['information-alignment'], factors: [10], depth: 2, variant: SGD, seed: 0 });
  assert.deepEqual(studyJob(SETTINGS, g).network.feedback, { alpha: 0.02, beta: 0.01 });
  // Kolen-Pollack: the network optimiser decays W at 1e-3 (B's decay follows it), the others not at all.
  const [kp] = nonLocalRuns({ rules: ['kolen-pollack'], depth: 4, variant: SGD, seeds: [0], noises: [] });
  assert.equal(studyJob(SETTINGS, kp).train?.optimizer?.weightDecay, 1e-3);
  assert.equal(studyJob({ ...SETTINGS, kolenPollackDecay: 5e-4 }, kp).train?.optimizer?.weightDecay, 5e-4);
  assert.throws(() => studyJob({ ...SETTINGS, kolenPollackDecay: -1 }, kp), /kolenPollackDecay/);
});

/** A fake result of `key`: final accuracy (null: diverged) and final per-layer update angles. */
function fake(key: RunKey, accuracy: number | null, angles: number[]): TrainingJobResult {
  return {
    label: studyJob(SETTINGS, key).label as string, rule: key.rule, seed: key.seed, finalTestAccuracy: accuracy,
    diverged: accuracy === null ? { epoch: 1, batch: 0, loss: 1e5, message: 'diverged' } : null,
    history: { records: [{ epoch: 1, alignment: angles.map((a, layer) => ({ layer, kind: 'conv2d', updateAngle: a, deltaAngle: a, feedbackAngle: a / 2, normRatio: null })) }], seconds: 1 },
  } as unknown as TrainingJobResult;
}

test('runRecords, gapToBp, meanHiddenAngle on fake runs: medians over seeds per depth and variant, diverged runs left out', () => {
  const keys = depthRuns({ depths: [2, 4], rules: ['bp', 'fa'], variants: [SGD, BM], seeds: [0, 1, 2] });
  // Error (%) = depth + seed for BP; FA adds 5 x depth (SGD) or depth (BM); FA at depth 4, BM, seed 2 diverges.
  const results = keys.map((k) => {
    const err = k.depth + k.seed + (k.rule === 'fa' ? (k.variant.manhattan ? k.depth : 5 * k.depth) : 0);
    const diverged = k.rule === 'fa' && k.depth === 4 && k.variant.manhattan && k.seed === 2;
    return fake(k, diverged ? null : 1 - err / 100, [80, 60, 0]);
  });
  const records = runRecords(keys, results);
  assert.ok(Math.abs((gapToBp(records, { depth: 2, rule: 'fa', variant: SGD }) as number) - 10) < 1e-9);
  assert.ok(Math.abs((gapToBp(records, { depth: 4, rule: 'fa', variant: SGD }) as number) - 20) < 1e-9);
  // BM at depth 4: FA errors 8, 9 (seed 2 diverged) -> median 8.5; BP 4, 5, 6 -> 5; gap 3.5.
  assert.ok(Math.abs((gapToBp(records, { depth: 4, rule: 'fa', variant: BM }) as number) - 3.5) < 1e-9);
  assert.equal(gapToBp(records, { depth: 8, rule: 'fa', variant: SGD }), null);
  assert.equal(meanHiddenAngle(records[0]), 70);
  // Feedback angles a / 2 = 40, 30, 0: the first layer's B is left out, (30 + 0) / 2.
  assert.equal(meanFeedbackAngle(records[0]), 15);
  assert.equal(records.filter((r) => r.diverged).length, 1);
  assert.throws(() => runRecords(keys, results.slice(1)), /results/);
  assert.throws(() => runRecords(keys.slice().reverse(), results), /label/);
  // The gap figure holds the same numbers: FA, SGD + norm over depths 2 and 4.
  const fig = gapFigure(records, [2, 4], ['bp', 'fa'], [SGD, BM]);
  const ys = (fig.data as { y: number[]; name: string }[]).map((t) => [t.name, t.y.map((y) => Math.round(y * 10) / 10)]);
  assert.deepEqual(ys, [['FA, SGD + norm', [10, 20]], ['FA, BM + norm', [2, 3.5]]]);
  // Claims read the same gaps.
  const rows = claimRows(records, { shallow: 2, deep: 4, sgd: SGD, manhattan: BM, reductions: 'test' });
  assert.match(rows[0].measured, /10\.0 points at depth 2, 20\.0 at depth 4/);
  assert.match(rows[5].measured, /not run/);
  assert.match(rows[6].measured, /not run/);
});

test('nonLocalRuns and the noisy-update runs: sigma reaches the rule, labels differ, gapToBp reads each noise level apart, the claims table says both', () => {
  const keys = nonLocalRuns({ rules: ['symmetric-alignment', 'kolen-pollack'], depth: 4, variant: SGD, seeds: [0, 1], noises: [2e-3] });
  assert.equal(keys.length, 8);
  assert.deepEqual(keys.slice(0, 4).map((k) => k.updateNoise), [undefined, undefined, 2e-3, 2e-3]);
  assert.deepEqual(studyJob(SETTINGS, keys[2]).network.feedback, { updateNoise: 2e-3 });
  assert.ok(!('updateNoise' in (studyJob(SETTINGS, keys[0]).network.feedback ?? {})));
  assert.notEqual(studyJob(SETTINGS, keys[0]).label, studyJob(SETTINGS, keys[2]).label);
  assert.throws(() => nonLocalRuns({ rules: ['kolen-pollack'], depth: 4, variant: SGD, seeds: [0], noises: [-1] }), /noises\[0\]/);
  // BP at depth 4: errors 10, 12; symmetric alignment 11, 13 without noise, 15, 17 with; Kolen-Pollack 10, 10 / 30, 40.
  const bp = depthRuns({ depths: [4], rules: ['bp'], variants: [SGD], seeds: [0, 1] });
  const err: Record<string, number[]> = { 'symmetric-alignment/0': [11, 13], 'symmetric-alignment/0.002': [15, 17], 'kolen-pollack/0': [10, 10], 'kolen-pollack/0.002': [30, 40] };
  const results = [...bp.map((k) => fake(k, 1 - (10 + 2 * k.seed) / 100, [45, 0])), ...keys.map((k) => fake(k, 1 - err[`${k.rule}/${k.updateNoise ?? 0}`][k.seed] / 100, [30, 0]))];
  const records = runRecords([...bp, ...keys], results);
  const g = (rule: string, updateNoise?: number) => gapToBp(records, { depth: 4, rule, variant: SGD, part: 'non-local', updateNoise }) as number;
  assert.ok(Math.abs(g('symmetric-alignment') - 1) < 1e-9);
  assert.ok(Math.abs(g('symmetric-alignment', 2e-3) - 5) < 1e-9);
  assert.ok(Math.abs(g('kolen-pollack') + 1) < 1e-9);
  assert.ok(Math.abs(g('kolen-pollack', 2e-3) - 24) < 1e-9);
  const rows = claimRows(records, { shallow: 2, deep: 4, sgd: SGD, manhattan: null, reductions: 'test' });
  const noisy = rows.find((r) => /noisy updates/.test(r.claim)) as Record<string, string>;
  assert.match(noisy.measured, /symmetric alignment 1\.0 without noise, 5\.0 with sigma 0\.002/);
  assert.match(noisy.measured, /Kolen-Pollack -1\.0 without noise, 24\.0 with sigma 0\.002/);
  assert.match(noisy.reductions, /variance 4\.00e-6/);
});

test('bestGridSetting, gridSpread, gridAccuracy: the best accuracy (first wins a tie), max - min with a diverged run at chance, the grid as rows of beta', () => {
  const keys = gridRuns({ rules: ['weight-mirror'], factors: [0.1, 10], depth: 2, variant: SGD, seed: 0 });
  const acc = [0.5, 0.8, 0.8, null];
  const records = runRecords(keys, keys.map((k, i) => fake(k, acc[i], [])));
  assert.deepEqual(bestGridSetting(records, 'weight-mirror'), { alpha: 1e-2, beta: 1e-4, accuracy: 80 });
  assert.equal(gridSpread(records, 'weight-mirror'), 70);
  const grid = gridAccuracy(records, 'weight-mirror', [1e-4, 1e-2], [1e-4, 1e-2]);
  assert.deepEqual(grid[0].map(Math.round), [50, 80]);
  assert.equal(Math.round(grid[1][0]), 80);
  assert.ok(Number.isNaN(grid[1][1]));
  assert.equal(bestGridSetting(records, 'information-alignment'), null);
});

test('estimatedSeconds: 1.25 x sum of epochs x batches x step time / workers', () => {
  const keys = depthRuns({ depths: [2, 4], rules: ['bp'], variants: [SGD], seeds: [0] });
  assert.equal(estimatedSeconds(keys, { stepSeconds: (k) => k.depth / 100, epochs: 2, batchesPerEpoch: 10, workers: 2 }), (1.25 * (2 * 10 * 0.02 + 2 * 10 * 0.04)) / 2);
  assert.throws(() => estimatedSeconds(keys, { stepSeconds: () => 1, epochs: 1, batchesPerEpoch: 1, workers: 0 }), /workers/);
});
