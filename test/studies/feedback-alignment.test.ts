/**
 * lib/studies/feedback-alignment: job builders against hand-written jobs, the
 * learning-rate choice and the statistics over seeds on hand-made result sets
 * (ties, diverged runs, even seed counts), figures and table rows read back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core';
import { Figure } from '../../lib/plot';
import { EpochRecord, LayerAlignment, lenet, mlp, TrainingJobResult } from '../../lib/rules';
import {
  estimatedRunSeconds, FeedbackAlignmentSettings, finalAngleRows, finalErrors, largestGapToBp, medianErrors, modelJob, modelLabel, perRunRecords,
  reproductionRows, runsOf, selectLearningRates, testErrorFigure, trainingJob, trainingJobs, trainingStepSeconds, TuningRecord, tuningJobs, tuningRecords,
  updateAngleFigure,
} from '../../lib/studies/feedback-alignment';

const S: FeedbackAlignmentSettings = { trainLimit: 600, testLimit: 500, subsetSeed: 3, batchSize: 64, momentum: 0.9, weightDecay: 1e-3, mlpHidden: [20, 30], probeSize: 16 };

function alignment(update: number[], feedback: (number | null)[]): LayerAlignment[] {
  return update.map((u, k) => ({ layer: k, kind: 'dense', updateAngle: u, deltaAngle: u, feedbackAngle: feedback[k], normRatio: null }));
}

/** A finished (or diverged) run with test accuracy per epoch (epoch 0 first) and per-epoch alignment. */
function run(label: string, acc: number[], opts: { diverged?: boolean; angles?: number[][]; feedback?: (number | null)[][] } = {}): TrainingJobResult {
  const records: EpochRecord[] = acc.map((a, e) => ({
    epoch: e, trainLoss: NaN, trainAccuracy: NaN, testLoss: null, testAccuracy: a, lr: 0.01, seconds: e,
    alignment: alignment(opts.angles?.[e] ?? [0, 0, 0], opts.feedback?.[e] ?? [null, null, null]),
  }));
  const [, , rule, seed] = label.split('/');
  return {
    label, rule, seed: Number(seed),
    history: { rule, records, stoppedBy: 'epochs', seconds: 7, backend: 'cpu' },
    finalTestAccuracy: opts.diverged ? null : acc[acc.length - 1],
    diverged: opts.diverged ? { epoch: 1, batch: 2, loss: Infinity, message: 'boom' } : null,
  };
}

test('modelJob: LeNet gets 32x32 inputs (pad 2), the MLP flat 784 inputs; the rest passes through', () => {
  const train = { epochs: 2, batchSize: 8, seed: 5 };
  const data = { dataset: 'mnist' as const, trainLimit: 100, testLimit: 50, subsetSeed: 1 };
  assert.deepEqual(modelJob({ label: 'a', model: 'lenet', hidden: [7], rule: 'fa', seed: 5, data, train }), {
    label: 'a', network: lenet({ rule: 'fa', seed: 5 }), data: { dataset: 'mnist', trainLimit: 100, testLimit: 50, subsetSeed: 1, pad: 2 }, train,
  });
  const fb = { rank: 3, ldfaRule: 'raf' as const };
  const j = modelJob({ label: 'b', model: 'mlp', hidden: [7, 9], rule: 'ldfa', feedback: fb, seed: 2, data, train });
  assert.deepEqual(j, { label: 'b', network: mlp({ rule: 'ldfa', feedback: fb, seed: 2, hidden: [7, 9] }), data: { ...data, pad: 0 }, train });
  assert.deepEqual(j.network.inputShape, [784]);
  assert.deepEqual(j.network.layers.filter((l) => l.kind === 'dense').map((l) => (l as { units: number }).units), [7, 9, 10]);
});

test('trainingJob: BioTorch SGD schedule, standard normalisation, hold-out only when asked', () => {
  const expected = {
    label: 'mlp/fashion-mnist/usf/4',
    network: mlp({ inputSize: 784, hidden: [20, 30], rule: 'usf', seed: 4 }),
    data: { dataset: 'fashion-mnist', trainLimit: 600, testLimit: 500, subsetSeed: 3, normalize: 'standard', pad: 0 },
    train: {
      epochs: 5, batchSize: 64, seed: 4, probeSize: 16,
      optimizer: { type: 'sgd', lr: 0.03, momentum: 0.9, weightDecay: 1e-3, schedule: { type: 'step', milestones: [3, 4], gamma: 0.1 } },
    },
  };
  assert.deepEqual(trainingJob(S, { model: 'mlp', dataset: 'fashion-mnist', rule: 'usf', seed: 4, lr: 0.03, epochs: 5, milestones: [3, 4] }), expected);
  assert.deepEqual(trainingJob(S, { model: 'mlp', dataset: 'fashion-mnist', rule: 'usf', seed: 4, lr: 0.03, epochs: 5, milestones: [3, 4], holdout: 0 }), expected);
  const held = trainingJob(S, { model: 'lenet', dataset: 'mnist', rule: 'fa', seed: 0, lr: 0.1, epochs: 2, milestones: [], holdout: 100 });
  assert.deepEqual(held.data, { dataset: 'mnist', trainLimit: 600, testLimit: 500, subsetSeed: 3, normalize: 'standard', pad: 2, holdout: 100 });
  assert.deepEqual(held.network, lenet({ rule: 'fa', seed: 0 }));
});

test('trainingJobs: model, data set, rule, seed order, each with its model and rule\'s rate', () => {
  const lr = { lenet: { bp: 0.1, fa: 0.2 }, mlp: { bp: 0.3, fa: 0.4 } };
  const jobs = trainingJobs(S, { models: ['lenet', 'mlp'], datasets: ['mnist', 'fashion-mnist'], rules: ['bp', 'fa'], seeds: [0, 1], lr, epochs: 3, milestones: [2] });
  assert.equal(jobs.length, 16);
  assert.deepEqual(jobs.slice(0, 5).map((j) => j.label), ['lenet/mnist/bp/0', 'lenet/mnist/bp/1', 'lenet/mnist/fa/0', 'lenet/mnist/fa/1', 'lenet/fashion-mnist/bp/0']);
  assert.equal(jobs[15].label, 'mlp/fashion-mnist/fa/1');
  assert.deepEqual(jobs.map((j) => j.train!.optimizer!.lr), [0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.3, 0.3, 0.4, 0.4]);
  assert.throws(() => trainingJobs(S, { models: ['mlp'], datasets: ['mnist'], rules: ['dfa'], seeds: [0], lr, epochs: 1, milestones: [] }), /lr\.mlp\.dfa/);
});

test('tuningJobs: every model x rule x rate on MNIST, seed 0, no rate drops, held-out evaluation', () => {
  const t = tuningJobs(S, { models: ['lenet', 'mlp'], rules: ['bp', 'dfa'], candidates: [0.001, 0.01, 0.1], epochs: 2, holdout: 100 });
  assert.equal(t.length, 12);
  assert.deepEqual(t[4].key, { model: 'lenet', rule: 'dfa', lr: 0.01 });
  assert.deepEqual(t[4].job, trainingJob(S, { model: 'lenet', dataset: 'mnist', rule: 'dfa', seed: 0, lr: 0.01, epochs: 2, milestones: [], holdout: 100 }));
  assert.deepEqual(tuningJobs(S, { models: ['mlp'], rules: ['bp'], candidates: [], epochs: 2, holdout: 0 }), []);
});

test('tuningRecords: a diverged run has no held-out accuracy and keeps its message', () => {
  const keys = [{ key: { model: 'mlp' as const, rule: 'fa' as const, lr: 0.1 } }, { key: { model: 'mlp' as const, rule: 'fa' as const, lr: 1 } }];
  const recs = tuningRecords(keys, [run('mlp/mnist/fa/0', [0.1, 0.8]), run('mlp/mnist/fa/0', [0.1, 0.9], { diverged: true })]);
  assert.deepEqual(recs, [
    { model: 'mlp', rule: 'fa', lr: 0.1, heldOutAccuracy: 0.8, diverged: null },
    { model: 'mlp', rule: 'fa', lr: 1, heldOutAccuracy: null, diverged: 'boom' },
  ]);
  assert.throws(() => tuningRecords(keys, []), /results/);
});

test('selectLearningRates: best held-out accuracy; diverged runs never win; a tie goes to the first listed; fallback when all diverged', () => {
  const rec = (model: 'lenet' | 'mlp', rule: 'bp' | 'fa' | 'dfa', lr: number, acc: number | null): TuningRecord => ({ model, rule, lr, heldOutAccuracy: acc, diverged: acc === null ? 'x' : null });
  const tuning = [
    rec('lenet', 'bp', 0.001, 0.70), rec('lenet', 'bp', 0.01, 0.92), rec('lenet', 'bp', 0.1, 0.85),
    rec('lenet', 'fa', 0.001, 0.60), rec('lenet', 'fa', 0.01, 0.80), rec('lenet', 'fa', 0.1, 0.80), // tie: 0.01 first
    rec('lenet', 'dfa', 0.001, null), rec('lenet', 'dfa', 0.01, null),                              // all diverged
    rec('mlp', 'bp', 0.001, null), rec('mlp', 'bp', 0.01, 0.5), rec('mlp', 'bp', 0.1, 0.4),          // diverged first
    rec('mlp', 'fa', 0.1, 0.3), rec('mlp', 'fa', 0.01, 0.3),                                         // tie, listed 0.1 first
  ];
  assert.deepEqual(selectLearningRates(tuning, ['lenet', 'mlp'], ['bp', 'fa', 'dfa'], 0.005), {
    lenet: { bp: 0.01, fa: 0.01, dfa: 0.005 },
    mlp: { bp: 0.01, fa: 0.1, dfa: 0.005 },
  });
  assert.deepEqual(selectLearningRates([], ['mlp'], ['bp'], 0.01), { mlp: { bp: 0.01 } });
});

// A hand-made result set: LeNet on MNIST, three seeds per rule, errors (%) known by construction.
const R: TrainingJobResult[] = [
  run('lenet/mnist/bp/0', [0.1, 0.90, 0.98]), run('lenet/mnist/bp/1', [0.1, 0.88, 0.96]), run('lenet/mnist/bp/2', [0.1, 0.92, 0.97]),
  run('lenet/mnist/fa/0', [0.1, 0.70, 0.80]), run('lenet/mnist/fa/1', [0.1, 0.60, 0.85], { diverged: true }), run('lenet/mnist/fa/2', [0.1, 0.50, 0.90]),
  run('lenet/mnist/dfa/0', [0.1, 0.5, 0.9], { diverged: true }), run('lenet/mnist/dfa/1', [0.1, 0.5, 0.9], { diverged: true }),
  run('lenet/mnist/kolen-pollack/0', [0.1, 0.80, 0.85]), run('lenet/mnist/kolen-pollack/1', [0.1, 0.80, 0.95]),
  run('mlp/mnist/bp/0', [0.1, 0.5, 0.5]), run('lenet/fashion-mnist/bp/0', [0.1, 0.5, 0.6]),
];

test('runsOf and finalErrors: the exact model/data/rule, in order; error = 100 (1 - accuracy) of finished runs', () => {
  assert.deepEqual(runsOf(R, 'lenet', 'mnist', 'bp').map((r) => r.label), ['lenet/mnist/bp/0', 'lenet/mnist/bp/1', 'lenet/mnist/bp/2']);
  assert.deepEqual(runsOf(R, 'lenet', 'mnist', 'kolen').length, 0);
  assert.equal(runsOf([{ ...R[0], label: null }], 'lenet', 'mnist', 'bp').length, 0);
  const e = finalErrors(runsOf(R, 'lenet', 'mnist', 'fa'));
  assert.equal(e.length, 2);
  assert.ok(Math.abs(e[0] - 20) < 1e-9 && Math.abs(e[1] - 10) < 1e-9);
  assert.deepEqual(finalErrors(runsOf(R, 'lenet', 'mnist', 'dfa')), []);
});

test('largestGapToBp: the rule with the highest median error, its gap to BP\'s median; null without BP', () => {
  const g = largestGapToBp(R, 'lenet', 'mnist', ['bp', 'fa', 'dfa', 'kolen-pollack'])!;
  // BP errors 2, 4, 3 -> 3; FA 20, 10 -> 15; Kolen-Pollack 15, 5 -> 10; DFA all diverged (skipped)
  assert.equal(g.rule, 'fa');
  assert.ok(Math.abs(g.bp - 3) < 1e-9 && Math.abs(g.gap - 12) < 1e-9);
  const tie = [run('mlp/mnist/bp/0', [0, 0.9]), run('mlp/mnist/fa/0', [0, 0.8]), run('mlp/mnist/dfa/0', [0, 0.8])];
  assert.equal(largestGapToBp(tie, 'mlp', 'mnist', ['bp', 'fa', 'dfa'])!.rule, 'fa');
  assert.equal(largestGapToBp(R, 'mlp', 'fashion-mnist', ['bp']), null);
});

test('medianErrors: median over finished seeds (mean of the middle two for two), null when every seed diverged', () => {
  const m = medianErrors(R, ['lenet'], ['mnist'], ['bp', 'fa', 'dfa', 'kolen-pollack']);
  assert.deepEqual(Object.keys(m), ['lenet/mnist/bp', 'lenet/mnist/fa', 'lenet/mnist/dfa', 'lenet/mnist/kolen-pollack']);
  assert.ok(Math.abs(m['lenet/mnist/bp']! - 3) < 1e-9);
  assert.ok(Math.abs(m['lenet/mnist/fa']! - 15) < 1e-9);
  assert.equal(m['lenet/mnist/dfa'], null);
  assert.ok(Math.abs(m['lenet/mnist/kolen-pollack']! - 10) < 1e-9);
});

test('perRunRecords: errors per epoch in %, null for a diverged run\'s final error', () => {
  const [a, b] = perRunRecords([R[0], R[4]]);
  assert.equal(a.label, 'lenet/mnist/bp/0');
  assert.deepEqual((a.testErrorByEpoch as number[]).map((v) => Number(v.toFixed(9))), [90, 10, 2]);
  assert.ok(Math.abs((a.testError as number) - 2) < 1e-9);
  assert.equal(b.testError, null);
  assert.deepEqual(b.diverged, R[4].diverged);
  assert.equal(a.seconds, 7);
});

const trace = (fig: Figure, name: string) => {
  const t = fig.data.find((d) => d.name === name);
  assert.ok(t, `trace ${name}`);
  return t as { x: number[]; y: number[] };
};
const close = (a: number[], b: number[]) => assert.ok(a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-9), `${a} vs ${b}`);

test('testErrorFigure: median error per epoch over finished seeds, band from best to worst seed', () => {
  const fig = testErrorFigure(R, 'lenet', 'mnist', ['bp', 'fa', 'dfa'], [1]);
  close(trace(fig, 'BP').y, [90, 10, 3]);
  close(trace(fig, 'BP (upper)').y, [90, 12, 4]);
  close(trace(fig, 'BP (lower)').y, [90, 8, 2]);
  close(trace(fig, 'FA').y, [90, 40, 15]);    // seed 1 diverged: seeds 0 and 2
  assert.deepEqual(trace(fig, 'DFA').y, [null]); // every seed diverged: one empty point (plotly's gap)
  assert.deepEqual(trace(fig, 'BP').x, [0, 1, 2]);
});

// Alignment per epoch for three parametric layers (the last is the output layer).
const A: TrainingJobResult[] = [
  run('mlp/mnist/bp/0', [0.1, 0.9], { angles: [[0, 0, 0], [0, 0, 0]] }),
  run('mlp/mnist/fa/0', [0.1, 0.9], { angles: [[90, 88, 0], [60, 50, 0]], feedback: [[90, 90, 0], [80, 70, 0]] }),
  run('mlp/mnist/fa/1', [0.1, 0.9], { angles: [[92, 86, 0], [70, 40, 0]], feedback: [[90, 90, 0], [84, 72, 0]] }),
  run('mlp/mnist/fa/2', [0.1, 0.9], { angles: [[0, 0, 0], [0, 0, 0]], diverged: true }),
  run('mlp/mnist/dfa/0', [0.1, 0.9], { angles: [[89, 91, 0], [75.04, 65, 0]] }),
];

test('updateAngleFigure: one curve per rule and hidden layer, median over finished seeds; no BP, no output layer', () => {
  const fig = updateAngleFigure(A, 'mlp', ['bp', 'fa', 'dfa'], [5, 5]);
  assert.deepEqual(fig.data.map((d) => d.name), ['FA fc1', 'FA fc2', 'DFA fc1', 'DFA fc2']);
  close(trace(fig, 'FA fc1').y, [91, 65]);
  close(trace(fig, 'FA fc2').y, [87, 45]);
  close(trace(fig, 'DFA fc2').y, [91, 65]);
});

test('finalAngleRows: last epoch\'s medians to one decimal; B vs W^T null where the rule has no B', () => {
  assert.deepEqual(finalAngleRows(A, 'mlp', ['bp', 'fa', 'dfa'], [5, 5]), [
    { model: 'MLP 784-5-5-10', rule: 'FA', layer: 'fc1', 'update vs BP (deg)': 65, 'B vs W^T (deg)': 82 },
    { model: 'MLP 784-5-5-10', rule: 'FA', layer: 'fc2', 'update vs BP (deg)': 45, 'B vs W^T (deg)': 71 },
    { model: 'MLP 784-5-5-10', rule: 'DFA', layer: 'fc1', 'update vs BP (deg)': 75, 'B vs W^T (deg)': null },
    { model: 'MLP 784-5-5-10', rule: 'DFA', layer: 'fc2', 'update vs BP (deg)': 65, 'B vs W^T (deg)': null },
  ]);
  assert.equal(modelLabel('lenet', [5]), 'LeNet');
});

test('reproductionRows: BioTorch\'s LeNet numbers only, measured median (range), diverged seeds counted, settings', () => {
  const rows = reproductionRows(R, {
    datasets: ['mnist'], models: ['lenet', 'mlp'], rules: ['bp', 'fa', 'dfa', 'kolen-pollack'],
    lr: { lenet: { bp: 0.01, fa: 0.003, dfa: 0.001, 'kolen-pollack': 0.03 }, mlp: { bp: 0.1, fa: 0.1, dfa: 0.1, 'kolen-pollack': 0.1 } },
    settings: S, epochs: 5, milestones: [3, 4], seeds: 3,
  });
  assert.equal(rows.length, 8);
  assert.deepEqual(rows[0], {
    dataset: 'MNIST', model: 'LeNet', rule: 'BP', 'BioTorch error (%)': 0.91, 'measured error (%)': '3.00 (2.00-4.00)',
    settings: '600 train / 500 test images, 5 epochs (lr/10 at 3, 4), SGD lr 0.01 m 0.9 wd 0.001, batch 64, 3 seed(s)',
  });
  assert.equal(rows[1]['measured error (%)'], '15.00 (10.00-20.00) [1 diverged]');
  assert.equal(rows[2]['measured error (%)'], 'diverged [2 diverged]');
  assert.equal(rows[2]['BioTorch error (%)'], 1.61);
  assert.equal(rows[3]['BioTorch error (%)'], '-');
  assert.equal(rows[4]['BioTorch error (%)'], '-');
  assert.equal(rows[4]['measured error (%)'], '50.00');
  assert.match(rows[4].settings as string, /SGD lr 0\.1 /);
  const none = reproductionRows(R, { datasets: ['mnist'], models: ['lenet'], rules: ['bp'], lr: { lenet: { bp: 1 }, mlp: {} }, settings: S, epochs: 1, milestones: [], seeds: 1 });
  assert.match(none[0].settings as string, /lr\/10 at -\)/);
});

test('estimatedRunSeconds: 1.25 x epochs x batches x summed step time / workers', () => {
  assert.ok(Math.abs(estimatedRunSeconds({ stepSeconds: [0.01, 0.03], runEpochs: 10, batchesPerEpoch: 5, workers: 2 }) - 1.25) < 1e-12);
  assert.throws(() => estimatedRunSeconds({ stepSeconds: [1], runEpochs: 1, batchesPerEpoch: 1, workers: 0 }), /workers/);
});

test('trainingStepSeconds: leaves no tensors behind and rejects a bad batch size', async () => {
  await initBackend({ print: false });
  const before = tf.memory().numTensors;
  const s = await trainingStepSeconds(mlp({ inputSize: 12, hidden: [8], seed: 0 }), 4, 2);
  assert.ok(s >= 0);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(() => trainingStepSeconds(mlp({ inputSize: 12, hidden: [8] }), 0), /batchSize/);
});
