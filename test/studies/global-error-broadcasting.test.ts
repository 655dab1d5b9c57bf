/**
 * The GEVB study module: labels, summaries, tables and the figure against
 * hand-built runs; the pool jobs called directly with tiny settings against
 * the functions they wrap; the width sweep's angle falling with width.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../lib/data';
import { Activation, compareWithBackprop, Network, VectorizedNetwork } from '../../lib/rules';
import {
  alignmentRun, AlignmentResult, endChange, epochRows, epochsFor, errorRows, estimatedRunSeconds, filterChangeRows, layerSignSummary, learningCurveFigure, networkFor,
  PAPER_MNIST_ERRORS, reproductionRows, RunSpec, runLabel, trainingRun, TrainingRunResult, widthSweepFigure, Widths,
} from '../../lib/studies/global-error-broadcasting';
import { testBackend } from '../rules/helpers';

before(async () => {
  await testBackend();
});

const WIDTHS: Widths = { fcHidden: [8, 4], channels: [2, 2], convHidden: 4 };

test('runLabel names architecture, rule, sign (+ = nonnegative) and freezing as the paper table does', () => {
  assert.equal(runLabel({ arch: 'fc', vectorized: true, rule: 'gevb', sign: 'nonnegative' }), 'FC-Vec GEVB+');
  assert.equal(runLabel({ arch: 'conv', vectorized: false, rule: 'dfa', sign: 'mixed' }), 'Conv DFA');
  assert.equal(runLabel({ arch: 'lc', vectorized: true, rule: 'bp', sign: 'mixed', frozen: true }), 'LC-Vec BP (conv frozen)');
  assert.equal(runLabel({ arch: 'fc', vectorized: false, rule: 'dfa', sign: 'mixed', activation: 'relu' }), 'FC DFA (ReLU)');
});

test('networkFor refuses combinations the study does not define, naming the argument', () => {
  assert.throws(() => networkFor({ arch: 'fc', vectorized: true, rule: 'dfa', sign: 'nonnegative', seed: 1 }, WIDTHS), /rule/);
  assert.throws(() => networkFor({ arch: 'fc', vectorized: false, rule: 'gevb', sign: 'mixed', seed: 1 }, WIDTHS), /rule/);
  assert.throws(() => networkFor({ arch: 'fc', vectorized: false, rule: 'bp', sign: 'nonnegative', seed: 1 }, WIDTHS), /sign/);
  assert.throws(() => networkFor({ arch: 'fc', vectorized: false, rule: 'bp', sign: 'mixed', seed: 1 }, WIDTHS, 'sigmoid' as 'tanh'), /activation/);
  const net = networkFor({ arch: 'conv', vectorized: true, rule: 'gevb', sign: 'nonnegative', seed: 1 }, WIDTHS) as VectorizedNetwork;
  assert.deepEqual(net.paramLayers.map((l) => l.form), ['conv2d', 'conv2d', 'dense', 'dense']);
  net.dispose();
});

test('networkFor: conventional FC, Conv and LC nets with tanh by default or ReLU, conv / LC layers mirroring the Vec nets', () => {
  const kinds = (n: Network) => n.layers.map((l) => (l instanceof Activation ? l.activation : l.kind));
  const lc = networkFor({ arch: 'lc', vectorized: false, rule: 'dfa', sign: 'mixed', seed: 1 }, WIDTHS) as Network;
  assert.deepEqual(kinds(lc), ['locally-connected', 'tanh', 'avgpool', 'locally-connected', 'tanh', 'avgpool', 'flatten', 'dense', 'tanh', 'dense']);
  assert.deepEqual(lc.paramLayers[1].outputShape, [14, 14, 2]);
  assert.equal(lc.rule, 'dfa');
  const conv = networkFor({ arch: 'conv', vectorized: false, rule: 'bp', sign: 'mixed', seed: 1 }, WIDTHS, 'relu') as Network;
  assert.deepEqual(kinds(conv), ['conv2d', 'relu', 'avgpool', 'conv2d', 'relu', 'avgpool', 'flatten', 'dense', 'relu', 'dense']);
  lc.dispose();
  conv.dispose();
});

test('layerSignSummary: per-layer mean and minimum of the match, maximum of the opposite fraction', () => {
  const s = layerSignSummary([[1, 0.5], [0.8, 0.7]], [[0, 0.1], [0, 0.3]]);
  assert.deepEqual(s.matchMean, [0.9, 0.6]);
  assert.deepEqual(s.matchMin, [0.8, 0.5]);
  assert.deepEqual(s.oppositeMax, [0, 0.3]);
  assert.throws(() => layerSignSummary([], []), /match/);
});

/** A run whose test error went through `curve` (%), ending at testError. */
function fakeRun(spec: RunSpec, testError: number, firstConvChange: number | null = null, curve: number[] = [testError]): TrainingRunResult {
  const records = curve.map((e, i) => ({ epoch: i + 1, trainLoss: 1, trainAccuracy: 0.9, testAccuracy: 1 - e / 100 }));
  return { spec, dataset: 'mnist', label: runLabel(spec), testError, trainAccuracy: 0.9, epochs: curve.length, firstConvChange, seconds: 1, records };
}

const RUNS: TrainingRunResult[] = [
  fakeRun({ arch: 'fc', vectorized: true, rule: 'gevb', sign: 'nonnegative', seed: 1 }, 3, null, [20, 10, 6, 4, 3]),
  fakeRun({ arch: 'fc', vectorized: true, rule: 'gevb', sign: 'nonnegative', seed: 2 }, 5, null, [30, 12, 8, 6, 5.5, 5]),
  fakeRun({ arch: 'fc', vectorized: true, rule: 'gevb', sign: 'nonnegative', seed: 3 }, 4, null, [25, 9, 5, 4]),
  fakeRun({ arch: 'conv', vectorized: false, rule: 'dfa', sign: 'mixed', seed: 1 }, 10, 0.001),
  fakeRun({ arch: 'conv', vectorized: false, rule: 'dfa', sign: 'mixed', seed: 2 }, 12, 0.003),
  fakeRun({ arch: 'conv', vectorized: false, rule: 'dfa', sign: 'mixed', seed: 1, frozen: true }, 11, 0),
  fakeRun({ arch: 'conv', vectorized: false, rule: 'dfa', sign: 'mixed', seed: 2, frozen: true }, 13, 0),
];

test('errorRows: median (range) over seeds per configuration with epochs and the end change, frozen runs left out', () => {
  const rows = errorRows(RUNS);
  assert.deepEqual(rows, [
    {
      configuration: 'FC-Vec GEVB+', 'test error % median (range)': '4.00 (3.00-5.00)', seeds: '3', epochs: '5 (4-6)', 'train accuracy %': '90.0 (90.0-90.0)',
      // 3 - 10, 5 - 8, 4 - 25
      'error change over the last 3 epochs (points)': '-7.00 (-21.00--3.00)',
    },
    { configuration: 'Conv DFA', 'test error % median (range)': '11.00 (10.00-12.00)', seeds: '2', epochs: '1 (1-1)', 'train accuracy %': '90.0 (90.0-90.0)', 'error change over the last 3 epochs (points)': 'n/a (3 epochs or fewer)' },
  ]);
  assert.ok(Math.abs((endChange(RUNS[1], 1) as number) + 0.5) < 1e-9);
  assert.equal(endChange(RUNS[0], 5), null);
});

test('learningCurveFigure: per configuration, the median over the seeds that reached each epoch, their range as a band', () => {
  const fig = learningCurveFigure(RUNS, ['FC-Vec GEVB+']);
  const traces = fig.data as { name?: string; x?: number[]; y?: number[] }[];
  const t = traces.find((c) => c.name === 'FC-Vec GEVB+')!;
  assert.deepEqual(t.x, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(t.y!.map((v) => Math.round(v * 1e9) / 1e9), [25, 10, 6, 4, 4.25, 5]);
  assert.throws(() => learningCurveFigure(RUNS, ['LC BP']), /runs/);
});

test('filterChangeRows: the first conv layer change of the trained runs beside the errors trained and frozen', () => {
  assert.deepEqual(filterChangeRows(RUNS), [
    { configuration: 'Conv DFA', 'first conv layer ||W - W0|| / ||W0||': '0.002 (0.001-0.003)', 'test error % trained': '11.00 (10.00-12.00)', 'test error % conv frozen': '12.00 (11.00-13.00)' },
  ]);
});

test('epochRows: per epoch the median error of every configuration (frozen included) and the trained conv runs\' first-layer change; blank past a label\'s last epoch', () => {
  const conv = { arch: 'conv', vectorized: false, rule: 'dfa', sign: 'mixed' } as const;
  const withChanges = (r: TrainingRunResult, changes: number[]): TrainingRunResult => ({ ...r, firstConvChangeByEpoch: changes });
  const runs = [
    withChanges(fakeRun({ ...conv, seed: 1 }, 10, 0.3, [30, 20, 10]), [0.1, 0.2, 0.3]),
    withChanges(fakeRun({ ...conv, seed: 2 }, 14, 0.5, [40, 14]), [0.3, 0.5]),
    withChanges(fakeRun({ ...conv, seed: 1, frozen: true }, 12, 0, [25, 12]), [0, 0]),
  ];
  assert.deepEqual(epochRows(runs), [
    { epoch: '1', 'Conv DFA error %': '35.00', 'Conv DFA conv change': '0.200', 'Conv DFA (conv frozen) error %': '25.00' },
    { epoch: '2', 'Conv DFA error %': '17.00', 'Conv DFA conv change': '0.350', 'Conv DFA (conv frozen) error %': '12.00' },
    { epoch: '3', 'Conv DFA error %': '10.00', 'Conv DFA conv change': '0.300', 'Conv DFA (conv frozen) error %': '' },
  ]);
  assert.throws(() => epochRows([]), /runs/);
  // a frozen configuration is drawn when named (and only then)
  const names = (labels?: string[]) => (learningCurveFigure(runs, labels).data as { name?: string }[]).map((t) => t.name);
  assert.ok(names(['Conv DFA (conv frozen)']).includes('Conv DFA (conv frozen)'));
  assert.ok(!names().includes('Conv DFA (conv frozen)'));
});

test('reproductionRows: the paper numbers beside the measured cells, "not run" where absent', () => {
  const rows = reproductionRows(RUNS, 'note');
  assert.equal(rows.length, Object.keys(PAPER_MNIST_ERRORS).length);
  const fcVec = rows.find((r) => r.model === 'FC-Vec')!;
  assert.equal(fcVec['paper DF+ / BP+ / DF / BP'], '1.87 / 1.93 / 2.32 / 1.84');
  assert.equal(fcVec['measured DF+'], '4.00 (3.00-5.00)');
  assert.equal(fcVec['measured BP+'], 'not run');
  assert.equal(rows.find((r) => r.model === 'Conv')!['measured DF'], '11.00 (10.00-12.00)');
});

test('widthSweepFigure: one trace per layer and one for all layers, medians over seeds with the seed range as a band', () => {
  const run = (width: number, seed: number, all: number, l1: number): AlignmentResult => ({
    arch: 'fc', sign: 'nonnegative', width, seed, matchMean: [1], matchMin: [1], oppositeMax: [0], angleMean: [l1], angleAllMean: all,
  });
  const fig = widthSweepFigure([run(64, 1, 30, 20), run(16, 1, 50, 40), run(16, 2, 60, 44), run(64, 2, 34, 22), run(16, 3, 52, 41)]);
  const traces = fig.data as { name?: string; x?: number[]; y?: number[] }[];
  const all = traces.find((t) => t.name === 'all layers')!;
  assert.deepEqual(all.x, [16, 64]);
  assert.deepEqual(all.y, [52, 32]);
  const l1 = traces.find((t) => t.name === 'layer 1')!;
  assert.deepEqual(l1.y, [41, 21]);
  assert.throws(() => widthSweepFigure([]), /runs/);
});

test('estimatedRunSeconds: per-example cost x examples seen, summed over runs, plus the alignment passes', () => {
  const s = estimatedRunSeconds({
    runs: [{ arch: 'fc', vectorized: true }, { arch: 'conv', vectorized: false }], trainLimit: 100, epochs: 2,
    secondsPerExample: { 'fc-vec': 0.001, conv: 0.01 }, alignmentSeconds: 5,
  });
  assert.ok(Math.abs(s - (5 + 0.2 + 2)) < 1e-12);
  const two = estimatedRunSeconds({ runs: [{ arch: 'fc', vectorized: true }], trainLimit: 100, epochs: 2, secondsPerExample: { 'fc-vec': 0.001 }, alignmentSeconds: 5, workers: 2 });
  assert.ok(Math.abs(two - (5 + 0.1)) < 1e-12, 'two workers halve the training part only');
  assert.throws(() => estimatedRunSeconds({ runs: [{ arch: 'lc', vectorized: true }], trainLimit: 1, epochs: 1, secondsPerExample: {}, alignmentSeconds: 0 }), /secondsPerExample/);
  const spatial = estimatedRunSeconds({
    runs: [{ arch: 'fc', vectorized: false }, { arch: 'conv', vectorized: true }], trainLimit: 100, epochs: 10, spatialEpochs: 3,
    secondsPerExample: { fc: 0.001, 'conv-vec': 0.01 }, alignmentSeconds: 0,
  });
  assert.ok(Math.abs(spatial - (1 + 3)) < 1e-12, 'conv nets train spatialEpochs');
  assert.equal(epochsFor('lc', { epochs: 10 }), 10);
  assert.equal(epochsFor('fc', { epochs: 10, spatialEpochs: 2 }), 10);
});

test('alignmentRun equals compareWithBackprop on the same network and images; GEVB never opposes BP in a nonnegative FC-Vec', async () => {
  const r = await alignmentRun({ arch: 'fc', sign: 'nonnegative', width: 16, seed: 3, examples: 6, widths: WIDTHS });
  const net = networkFor({ arch: 'fc', vectorized: true, rule: 'gevb', sign: 'nonnegative', seed: 3 }, { ...WIDTHS, fcHidden: [16, 8] }) as VectorizedNetwork;
  const d = loadMnist({ split: 'test', limit: 6, seed: 1003, normalize: 'unit' });
  const x = tf.tensor(d.images.map((v) => 2 * v - 1), [6, 784]);
  const cmp = compareWithBackprop(net, x, d.labels);
  assert.ok(Math.abs(r.angleAllMean - cmp.angleAll.reduce((a, b) => a + b, 0) / 6) < 1e-9);
  assert.deepEqual(r.oppositeMax, [0, 0, 0]);
  x.dispose();
  net.dispose();
});

test('the width sweep: the mean per-example GEVB-BP angle at initialisation falls with width (seeds 1, 2; 32 MNIST images)', async () => {
  const angle = async (width: number) => {
    const rs = await Promise.all([1, 2].map((seed) => alignmentRun({ arch: 'fc', sign: 'nonnegative', width, seed, examples: 32, widths: WIDTHS })));
    return rs.reduce((a, r) => a + r.angleAllMean, 0) / rs.length;
  };
  const a = [await angle(16), await angle(64), await angle(256)];
  assert.ok(a[0] > a[1] + 5 && a[1] > a[2] + 5, `angles ${a}`);
});

test('trainingRun: the reported error is the last epoch test error; frozen conv layers do not move, trained ones do', async () => {
  const settings = { widths: WIDTHS, trainLimit: 128, testLimit: 64, subsetSeed: 1, epochs: 1, batchSize: 32, lr: 1e-3 };
  const spec: RunSpec = { arch: 'conv', vectorized: true, rule: 'gevb', sign: 'nonnegative', seed: 1 };
  const trained = await trainingRun({ spec, settings });
  const frozen = await trainingRun({ spec: { ...spec, frozen: true }, settings });
  assert.ok(Math.abs(trained.testError - 100 * (1 - (trained.records[0].testAccuracy as number))) < 1e-9);
  assert.ok((trained.firstConvChange as number) > 0);
  assert.equal(frozen.firstConvChange, 0);
  assert.equal(frozen.label, 'Conv-Vec GEVB+ (conv frozen)');
});
