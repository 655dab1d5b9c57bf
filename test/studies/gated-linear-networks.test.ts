/**
 * lib/studies/gated-linear-networks: the feature map on hand-built images,
 * the split against MNIST's own labels, the readers and figure builders on
 * hand-written runs, the estimate by hand, and the pool job against the
 * lib/rules calls it wraps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../lib/data';
import { gatedLinearNetwork, glnMaxMargin, glnMaxMarginOutputs, glnOutputs, medianGates, randomGates, trainGln } from '../../lib/rules';
import * as study from '../../lib/studies/gated-linear-networks';

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol;

test('mnistFeatures: 2 x 2 block means mapped to [-1, 1], a constant 1, all over sqrt(d)', () => {
  const img = new Float32Array(784);
  img[0] = img[1] = img[28] = img[29] = 1; // block (0, 0) fully on
  img[27 * 28 + 27] = 1; // one pixel of block (13, 13): mean 1/4
  const { X, dim } = study.mnistFeatures(img, 1, 2);
  assert.equal(dim, 197);
  const s = 1 / Math.sqrt(197);
  assert.ok(close(X[0], s) && close(X[1], -s) && close(X[13 * 14 + 13], (2 * 0.25 - 1) * s) && close(X[196], s), `${X[0]} ${X[1]} ${X[13 * 14 + 13]} ${X[196]}`);
  const full = study.mnistFeatures(img, 1, 1);
  assert.equal(full.dim, 785);
  assert.ok(close(full.X[27 * 28 + 27], 1 / Math.sqrt(785)) && close(full.X[2], -1 / Math.sqrt(785)));
  assert.throws(() => study.mnistFeatures(img, 2, 2), /images/);
  assert.throws(() => study.mnistFeatures(img, 1, 3 as 2), /downsample/);
});

test('binaryMnist: validation and training disjoint, labels +1 for digits 0-4, smaller training sets nested in larger ones', () => {
  const a = study.binaryMnist({ n: 30, validation: 50, downsample: 2, seed: 3 });
  const b = study.binaryMnist({ n: 10, validation: 50, downsample: 2, seed: 3 });
  const val = new Set(a.valIndices);
  assert.equal(val.size, 50);
  assert.ok(Array.from(a.trainIndices).every((k) => !val.has(k)));
  assert.deepEqual(Array.from(b.trainIndices), Array.from(a.trainIndices).slice(0, 10));
  assert.deepEqual(Array.from(b.valIndices), Array.from(a.valIndices));
  const ds = loadMnist({ split: 'train' });
  assert.deepEqual(Array.from(a.y), Array.from(a.trainIndices, (k) => (ds.labels[k] <= 4 ? 1 : -1)));
  assert.deepEqual(Array.from(a.yval), Array.from(a.valIndices, (k) => (ds.labels[k] <= 4 ? 1 : -1)));
  const k = a.trainIndices[7];
  const row = study.mnistFeatures(ds.images.subarray(k * 784, (k + 1) * 784), 1, 2).X;
  assert.deepEqual(Array.from(a.X.subarray(7 * 197, 8 * 197)), Array.from(row));
  const other = study.binaryMnist({ n: 10, validation: 50, downsample: 2, seed: 4 });
  assert.notDeepEqual(Array.from(other.trainIndices), Array.from(b.trainIndices), 'the seed picks the training subset');
});

test('errorRate counts wrong signs and zeros; agreement counts equal signs', () => {
  assert.equal(study.errorRate([1, -2, 0, 3], [1, 1, 1, -1]), 0.75);
  assert.equal(study.errorRate([0.5, -0.1], [1, -1]), 0);
  assert.equal(study.agreement([1, -2, 0, 3], [2, -1, 0, -3]), 0.75);
  assert.throws(() => study.errorRate([1], [1, -1]), /y/);
});

/** A hand-written run: GD error `gd`, and one solve per kind given. */
function fakeRun(model: study.GlnJobArgs['model'], n: number, units: number, seed: number, gd: number, svm: Partial<Record<study.SvmResult['kind'], [number, number]>>): study.GlnJobResult {
  return {
    args: { model, n, units, hyperplanes: 1, seed, epochs: 1, lr: 1, validation: 10, downsample: 2, groupIterations: 1, groupTolerance: 1e-6 },
    trainError: 0, valError: gd, loss: [1, 0.1], svmFailure: null, seconds: 0,
    svm: Object.entries(svm).map(([kind, [valError, agreement]]) => ({ kind: kind as study.SvmResult['kind'], valError, agreement, margin: 1, iterations: 1, residual: 0, converged: true })),
  };
}

const runs = [
  fakeRun('deep', 100, 10, 0, 0.2, { group: [0.18, 0.9], l2: [0.22, 0.8], architecture: [0.3, 0.7] }),
  fakeRun('deep', 100, 10, 1, 0.3, { group: [0.2, 0.7], l2: [0.24, 0.85] }),
  fakeRun('deep', 100, 10, 2, 0.1, { group: [0.16, 0.8] }), // its L2 solve failed
  fakeRun('deep', 200, 10, 0, 0.12, { group: [0.1, 0.95], l2: [0.11, 0.9] }),
  fakeRun('deep', 100, 20, 0, 0.5, { group: [0.5, 0.5], l2: [0.5, 0.5] }),
  fakeRun('shallow', 100, 1, 0, 0.25, { l2: [0.26, 0.88] }),
  fakeRun('relu', 100, 10, 0, 0.09, { 'learned-gates': [0.08, 0.99], readout: [0.07, 0.98] }),
];

test('seedSummary picks the runs by model, n and width (width ignored for the shallow GLN) and drops absent values', () => {
  assert.deepEqual(study.seedSummary(runs, { model: 'deep', n: 100, units: 10 }, study.readers.gd), [0.2, 0.3, 0.1]);
  assert.deepEqual(study.seedSummary(runs, { model: 'deep', n: 100, units: 10 }, study.readers.svm('l2')), [0.22, 0.24]);
  assert.deepEqual(study.seedSummary(runs, { model: 'shallow', n: 100, units: 10 }, study.readers.agreement('l2')), [0.88]);
  assert.deepEqual(study.seedSummary(runs, { model: 'relu', n: 200 }, study.readers.gd), []);
});

test('sizeFigure: median over seeds with the seed range as the band; curves without values left out', () => {
  const fig = study.sizeFigure(runs, [100, 200], 10);
  const data = (fig as unknown as { data: { name?: string; x?: number[]; y?: number[] }[] }).data;
  const gd = data.find((t) => t.name === 'deep GLN: GD')!;
  assert.deepEqual(Array.from(gd.x!), [100, 200]);
  assert.ok(close(gd.y![0], 0.2) && close(gd.y![1], 0.12), `${gd.y}`);
  const band = data.filter((t) => Array.isArray(t.y) && t.y.length === 2 && close(t.y[0], 0.3) && close(t.y[1], 0.12));
  assert.ok(band.length >= 1, 'the upper edge of the band is the largest seed (0.3 at n = 100)');
  const l2 = data.find((t) => t.name === 'deep GLN: L2 max margin')!;
  assert.ok(close(l2.y![0], 0.23), 'median of the two finished L2 solves');
  const agree = study.agreementFigure(runs, [100, 200], 10) as unknown as { data: { name?: string; y?: number[] }[] };
  assert.ok(close(agree.data.find((t) => t.name === 'deep GLN: GLN-norm max margin')!.y![0], 0.8));
  const width = study.widthFigure(runs, [10, 20], 100) as unknown as { data: { name?: string; y?: number[] }[] };
  assert.deepEqual(width.data.find((t) => t.name === 'deep GLN: GD')!.y!.map((v) => +v.toFixed(12)), [0.2, 0.5]);
  assert.ok(!width.data.some((t) => t.name === 'shallow GLN: GD'), 'the width figure has no shallow curve');
});

test('reproductionRows: the authors\' value at the same n and width beside median (range) over seeds in percent', () => {
  const rows = study.reproductionRows(runs, { sizes: [100, 500], widths: [10, 20], settings: 's' });
  assert.equal(rows.find((r) => r.quantity.startsWith('deep GLN, H = 10, n = 100')), undefined, 'by n at the largest width only; by width at the largest n');
  assert.equal(rows.find((r) => r.quantity.startsWith('deep GLN, H = 20, n = 100'))!.measured, '50.0% | 50.0% | not run | 50.0% | 50.0%');
  assert.equal(rows.length, 3 * 2 + 1);
  const d = study.reproductionRows(runs, { sizes: [100], widths: [10], settings: 's' }).find((r) => r.quantity.startsWith('deep GLN, H = 10, n = 100'))!;
  // GD 0.2/0.3/0.1; GLN norm 0.18/0.2/0.16; Prop. A.1 0.3 (one run); L2 0.22/0.24 (one solve failed); disagreement 1 - 0.9/0.7/0.8.
  assert.equal(d.measured, '20.0 (10.0-30.0)% | 18.0 (16.0-20.0)% | 30.0% | 23.0 (22.0-24.0)% | 20.0 (10.0-30.0)%');
  assert.equal(d.paper, 'no value at this n, H');
  const a500 = rows.find((r) => r.quantity.startsWith('deep GLN, H = 20, n = 500'))!;
  const ref = study.AUTHORS_VALUES.deep.find((r) => r.units === 20 && r.n === 500)!;
  assert.equal(a500.paper, [ref.gd, ref.group, ref.l2].map((x) => `${(100 * x).toFixed(1)}%`).join(' | ') + ` | - | ${(100 * ref.disagreeGroup).toFixed(1)}%`);
  assert.match(a500.measured, /^not run/);
  assert.ok(rows.some((r) => r.quantity.startsWith('deep GLN, H = 10, n = 500')), 'the width row at the largest n');
  const relu = study.reproductionRows(runs, { sizes: [100], widths: [10], settings: 's' }).find((r) => r.quantity.startsWith('ReLU'))!;
  assert.equal(relu.measured, '9.0% | 8.0% | 1.0% | 7.0% | 2.0%');
  const sh = study.reproductionRows(runs, { sizes: [100], widths: [10], settings: 's' }).find((r) => r.quantity.startsWith('shallow'))!;
  assert.equal(sh.measured, '25.0% | 26.0% | 12.0%');
});

test('estimatedRunSeconds adds GD multiply-adds and n^3 per cold dual solve by hand (a group-norm solve counted as GROUP_SOLVE_COST)', () => {
  const runsArgs = [
    { model: 'deep' as const, n: 10, units: 3, hyperplanes: 1, epochs: 5 },
    { model: 'relu' as const, n: 20, units: 2, hyperplanes: 1, epochs: 1 },
    { model: 'shallow' as const, n: 10, units: 99, hyperplanes: 2, epochs: 1 },
  ];
  const macs = 2 * 10 * 3 * 2 * 7 * 5 + 2 * 20 * 2 * 1 * 7 * 1 + 2 * 10 * 1 * 4 * 7 * 1;
  // deep: group + Prop. A.1 + plain L2; relu: learned gates + readout; shallow: L2.
  const cubes = (study.GROUP_SOLVE_COST + 2) * 1000 + (study.GROUP_SOLVE_COST + 1) * 8000 + 1 * 1000;
  assert.ok(close(study.estimatedRunSeconds(runsArgs, 7, { macsPerSecond: 1, solvePerSecond: 1 }), macs + cubes));
});

test('glnJob is trainGln and glnMaxMargin on binaryMnist with median gates; without a separated training set no solve is attempted', () => {
  const args = { model: 'deep' as const, n: 40, units: 3, hyperplanes: 1, seed: 5, epochs: 300, lr: 4, validation: 60, downsample: 4 as const, groupIterations: 30, groupTolerance: 1e-6 };
  const r = study.glnJob(args);
  const data = study.binaryMnist({ n: 40, validation: 60, downsample: 4, seed: 5 });
  const gates = medianGates(randomGates({ units: 3, hyperplanes: 1, dim: data.dim, normalStd: 36, seed: 1005 }), data.X);
  const net = gatedLinearNetwork('deep', gates, { initStd: 3 ** -0.25, seed: 2005 });
  const losses = trainGln(net, data.X, data.y, { lr: 4, epochs: 300 });
  assert.equal(r.trainError, study.errorRate(glnOutputs(net, data.X), data.y));
  assert.equal(r.trainError, 0, 'separated (otherwise the solve below is skipped)');
  assert.equal(r.valError, study.errorRate(glnOutputs(net, data.Xval), data.yval));
  assert.deepEqual(r.loss, [losses[0], losses[299]]);
  for (const norm of ['group', 'architecture', 'l2'] as const) {
    const sol = glnMaxMargin(gates, data.X, data.y, { norm, maxIterations: 30, tolerance: 1e-6 });
    const f = glnMaxMarginOutputs(gates, sol, data.Xval);
    const g = r.svm.find((s) => s.kind === norm)!;
    assert.equal(g.valError, study.errorRate(f, data.yval), norm);
    assert.equal(g.agreement, study.agreement(f, glnOutputs(net, data.Xval)), norm);
    assert.equal(g.residual, sol.convergence.residual, norm);
    assert.ok(g.converged, norm);
  }
  const early = study.glnJob({ ...args, epochs: 0 });
  assert.deepEqual(early.svm, []);
  assert.match(early.svmFailure ?? '', /not solved/);
});
