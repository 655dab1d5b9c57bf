/**
 * lib/studies/retinal-bottleneck: the network's layout by hand; one tiny real run (Fashion-MNIST, width 2) whose
 * measures are checked against lib/vision called directly on a network rebuilt from the same seed; summaries,
 * field scaling, figures, claims and the run-time estimate on hand-made runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend } from '../../lib/core';
import { Network } from '../../lib/rules';
import { barOrientedness } from '../../lib/vision';
import {
  accuracyFigure, compactFields, estimatedRunSeconds, fieldImages, linearityFigure, measuredHeadlines, orientednessFigure, reproductionRows, retinaJobs, retinaNetwork, retinaRun,
  photoCacheDir, RetinaRunResult, rfFigure, STUDY_MODULE, studyOptimizer, summarizeRuns,
} from '../../lib/studies/retinal-bottleneck';
import { projectRoot } from '../../lib/core';
import * as path from 'node:path';

test('retinaNetwork: conv(width) relu conv(bottleneck) relu, depth x (conv(width) relu), flatten, dense, relu, dense(classes); same padding', () => {
  const o = retinaNetwork({ inputShape: [12, 12, 1], width: 3, bottleneck: 1, depth: 2, kernel: 5, dense: 7, classes: 4, seed: 2 });
  assert.deepEqual(o.layers.map((l) => l.kind), ['conv2d', 'activation', 'conv2d', 'activation', 'conv2d', 'activation', 'conv2d', 'activation', 'flatten', 'dense', 'activation', 'dense']);
  assert.deepEqual(o.layers.filter((l) => l.kind === 'conv2d').map((l) => (l as { filters: number }).filters), [3, 1, 3, 3]);
  assert.ok(o.layers.filter((l) => l.kind === 'conv2d').every((l) => (l as { padding: string; kernelSize: number }).padding === 'same' && (l as { kernelSize: number }).kernelSize === 5));
  const net = new Network(o);
  assert.deepEqual(net.layers[3].outputShape, [12, 12, 1]);
  assert.deepEqual(net.layers[5].outputShape, [12, 12, 3]);
  assert.equal(net.outputSize, 4);
  net.dispose();
  assert.equal(retinaNetwork({ inputShape: [8, 8, 1], width: 2, bottleneck: 2, depth: 0, kernel: 3, dense: 4, classes: 2, seed: 0 }).layers.length, 8);
  assert.throws(() => retinaNetwork({ inputShape: [8, 8, 3] as unknown as [number, number, 1], width: 2, bottleneck: 2, depth: 0, kernel: 3, dense: 4, classes: 2, seed: 0 }), /inputShape/);
  assert.throws(() => retinaNetwork({ inputShape: [8, 8, 1], width: 2, bottleneck: 0, depth: 0, kernel: 3, dense: 4, classes: 2, seed: 0 }), /bottleneck/);
});

test('studyOptimizer: the authors\' Keras RMSprop (rho 0.9, epsilon 1e-7) or Adam; others refused', () => {
  assert.deepEqual(studyOptimizer('rmsprop', 1e-4), { type: 'rmsprop', lr: 1e-4, alpha: 0.9, epsilon: 1e-7 });
  assert.deepEqual(studyOptimizer('adam', 1e-3), { type: 'adam', lr: 1e-3 });
  assert.throws(() => studyOptimizer('sgd' as 'adam', 1e-3), /optimizer/);
});

test('photoCacheDir: out/cache/photographs under the project root (git-ignored out/)', () => {
  assert.equal(photoCacheDir(), path.join(projectRoot(), 'out', 'cache', 'photographs'));
});

test('retinaJobs: dataset, bottleneck, depth, seed order; `only` drops configurations', () => {
  const base = { data: { photoTrainPerImage: 1, photoTestPerImage: 1, photoShortSide: 64, fashionTrain: 10, fashionTest: 10 }, architecture: { width: 4, kernel: 3, dense: 8 }, epochs: 1, batchSize: 8, optimizer: 'adam' as const, lr: 1e-3, rfBaselines: 1, staImages: 0, analysisImages: 10 };
  const jobs = retinaJobs(base, { datasets: ['photos', 'fashion-mnist'], bottlenecks: [1, 4], depths: [0, 2], seeds: [0, 1], only: (b, d) => d === 2 || b === 1 });
  assert.equal(jobs.length, 2 * 3 * 2);
  assert.ok(jobs.every((j) => j.module === STUDY_MODULE && j.export === 'retinaRun'));
  const keys = jobs.map((j) => { const a = j.args as { dataset: string; seed: number; architecture: { bottleneck: number; depth: number } }; return `${a.dataset}/${a.architecture.bottleneck}/${a.architecture.depth}/${a.seed}`; });
  assert.deepEqual(keys.slice(0, 6), ['photos/1/0/0', 'photos/1/0/1', 'photos/1/2/0', 'photos/1/2/1', 'photos/4/2/0', 'photos/4/2/1']);
});

test('retinaRun on a tiny Fashion-MNIST network: one field per channel, measures in range, accuracy above chance after training', async () => {
  await initBackend({ print: false });
  const r = await retinaRun({
    dataset: 'fashion-mnist', data: { photoTrainPerImage: 1, photoTestPerImage: 1, photoShortSide: 64, fashionTrain: 1500, fashionTest: 200 },
    architecture: { width: 2, bottleneck: 1, depth: 1, kernel: 3, dense: 16 }, seed: 3, epochs: 1, batchSize: 25, optimizer: 'rmsprop', lr: 3e-3, rfBaselines: 4, staImages: 64, analysisImages: 120,
  });
  assert.deepEqual(r.shape, [28, 28]);
  assert.equal(r.retina.fields.length, 1);
  assert.equal(r.retina.sta.length, 1);
  assert.equal(r.cortex!.fields.length, 2);
  assert.equal(r.retina.fields[0].length, 28 * 28);
  // a 3x3 retina's centre unit sees a 5x5 window: the gradient is zero outside it
  const f = r.retina.fields[0];
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) if (Math.abs(i - 14) > 2 || Math.abs(j - 14) > 2) assert.equal(f[i * 28 + j], 0);
  for (const o of [...r.retina.orientedness, ...r.cortex!.orientedness]) assert.ok(o === null || (o >= 0 && o <= 1));
  // the bar index of each live field is lib/vision's, on that field (gradient and STA at the retina, gradient at the cortex)
  const bars = [[r.retina.fields, r.retina.barOrientedness], [r.retina.sta, r.retina.staBarOrientedness], [r.cortex!.fields, r.cortex!.barOrientedness]] as const;
  for (const [fields, b] of bars) {
    assert.equal(b.length, fields.length);
    fields.forEach((fld, c) => { if (b[c] !== null) assert.equal(b[c], barOrientedness(fld, 28, 28).index); });
  }
  assert.ok(r.retina.barOrientedness.some((v) => v !== null));
  // compact fields: 4 significant digits, within 5e-4 of each value relatively, the same counts and layout
  const cf = compactFields(r);
  assert.deepEqual(cf.shape, [28, 28]);
  assert.equal(cf.retina.length, 1);
  assert.equal(cf.retinaSta.length, 1);
  assert.equal(cf.cortex!.length, 2);
  const pairs = [[cf.retina, r.retina.fields], [cf.retinaSta, r.retina.sta], [cf.cortex!, r.cortex!.fields]] as const;
  for (const [kept, full] of pairs) {
    kept.forEach((k, c) => {
      assert.equal(k.length, 28 * 28);
      k.forEach((v, i) => {
        assert.ok(Math.abs(v - full[c][i]) <= 5e-4 * Math.abs(full[c][i]), `${v} vs ${full[c][i]}`);
        assert.equal(Number(v.toPrecision(4)), v);
      });
    });
  }
  assert.ok(cf.retina[0].some((v, i) => v !== r.retina.fields[0][i]), 'rounded, not copied');
  assert.equal(JSON.stringify(compactFields(r, 2).retina[0]).length < JSON.stringify(cf.retina[0]).length, true);
  assert.ok(r.testAccuracy > 0.25, `accuracy ${r.testAccuracy} (chance 0.1)`);
  assert.equal(r.separability.chance, 0.1);
  assert.ok(r.separability.pixels > 0.4);
  assert.ok(r.retina.linearity.every((v) => v === null || v <= 1));
});

test('retinaRun: `rule` and `feedback` train by that rule (default and explicit BP identical; LDFA at rank 1 in the first cortical layer differs)', async () => {
  await initBackend({ print: false });
  const args = {
    dataset: 'fashion-mnist' as const, data: { photoTrainPerImage: 1, photoTestPerImage: 1, photoShortSide: 64, fashionTrain: 200, fashionTest: 60 },
    architecture: { width: 3, bottleneck: 1, depth: 1, kernel: 3, dense: 12 }, seed: 1, epochs: 1, batchSize: 20, optimizer: 'rmsprop' as const, lr: 3e-3, rfBaselines: 2, staImages: 0, analysisImages: 40,
  };
  const plain = await retinaRun(args);
  const bp = await retinaRun({ ...args, rule: 'bp', feedback: {} });
  const ldfa = await retinaRun({ ...args, rule: 'ldfa', feedback: { rank: ['full', 'full', 1, 'full', 'full'], ldfaRule: 'normative' } });
  assert.deepEqual(Array.from(bp.retina.fields[0]), Array.from(plain.retina.fields[0]));
  assert.equal(bp.trainLoss, plain.trainLoss);
  // the retina learns only through the first cortical layer's feedback, rank 1 of 3 here
  assert.notDeepEqual(Array.from(ldfa.retina.fields[0]), Array.from(plain.retina.fields[0]));
  assert.notEqual(ldfa.trainLoss, plain.trainLoss);
  await assert.rejects(() => retinaRun({ ...args, rule: 'ldfa', feedback: { rank: [0] } }), /rank/);
});

/** A hand-made run whose retinal channels have the given orientedness and linearity. */
function fakeRun(o: Partial<RetinaRunResult> & {
  dataset: 'photos' | 'fashion-mnist'; bottleneck: number; depth: number; seed: number; ro: (number | null)[]; co: (number | null)[] | null; lin: (number | null)[]; acc: number;
  rb?: (number | null)[]; cb?: (number | null)[];
}): RetinaRunResult {
  const zeros = () => new Float64Array(4);
  // bar indices: given, or 0.05 below the structure-tensor ones (so that a test can tell which index a row read)
  const lower = (v: (number | null)[]) => v.map((x) => (x === null ? null : x - 0.05));
  return {
    dataset: o.dataset, width: 4, bottleneck: o.bottleneck, depth: o.depth, seed: o.seed, testAccuracy: o.acc, trainAccuracy: o.acc, trainLoss: 1,
    retina: {
      fields: o.ro.map(zeros), sta: o.ro.map(zeros), orientedness: o.ro, barOrientedness: o.rb ?? lower(o.ro), staOrientedness: o.ro, staBarOrientedness: o.rb ?? lower(o.ro),
      silent: o.ro.filter((v) => v === null).length, linearity: o.lin,
    },
    cortex: o.co ? { fields: o.co.map(zeros), orientedness: o.co, barOrientedness: o.cb ?? lower(o.co), silent: 0 } : null,
    separability: { retina: o.bottleneck === 1 ? 0.5 : null, pixels: 0.4, chance: 0.1 }, shape: [2, 2], trainSeconds: 1, seconds: 2,
  };
}

const RUNS: RetinaRunResult[] = [
  fakeRun({ dataset: 'photos', bottleneck: 1, depth: 2, seed: 0, ro: [0.1], co: [0.7, 0.9, null], lin: [0.8], acc: 0.5 }),
  fakeRun({ dataset: 'photos', bottleneck: 1, depth: 2, seed: 1, ro: [0.2], co: [0.6, 0.8], lin: [0.9], acc: 0.6 }),
  fakeRun({ dataset: 'photos', bottleneck: 4, depth: 2, seed: 0, ro: [0.6, 0.8, 0.7, null], co: [0.5], lin: [0.5, 0.4, 0.6, null], acc: 0.7 }),
  fakeRun({ dataset: 'photos', bottleneck: 4, depth: 2, seed: 1, ro: [0.9, 0.7], co: [0.5], lin: [0.3, 0.5], acc: 0.8 }),
  fakeRun({ dataset: 'photos', bottleneck: 1, depth: 0, seed: 0, ro: [0.1], co: null, lin: [0.2], acc: 0.3 }),
  fakeRun({ dataset: 'photos', bottleneck: 1, depth: 0, seed: 1, ro: [null], co: null, lin: [null], acc: 0.35 }),
];

test('summarizeRuns: per configuration and seed, medians over live channels (null when all are silent)', () => {
  const s = summarizeRuns(RUNS);
  assert.equal(s.length, 3);
  const wide = s.find((x) => x.bottleneck === 4)!;
  assert.deepEqual(wide.retinaOrientedness, [0.7, 0.8]);
  assert.deepEqual(wide.retinaLinearity, [0.5, 0.4]);
  assert.deepEqual(wide.silentRetinaChannels, [1, 0]);
  const narrow = s.find((x) => x.bottleneck === 1 && x.depth === 2)!;
  assert.deepEqual(narrow.cortexOrientedness, [0.8, 0.7]);
  assert.deepEqual(narrow.testAccuracy, [0.5, 0.6]);
  const shallow = s.find((x) => x.depth === 0)!;
  assert.deepEqual(shallow.retinaOrientedness, [0.1, null]);
  assert.deepEqual(shallow.cortexOrientedness, [null, null]);
  // an undefined R^2 (NaN: a unit constant on the held-out split) counts as not measured
  const nan = summarizeRuns([fakeRun({ dataset: 'photos', bottleneck: 2, depth: 2, seed: 0, ro: [0.3, 0.5], co: null, lin: [NaN, 0.4], acc: 0.5 }), fakeRun({ dataset: 'photos', bottleneck: 2, depth: 2, seed: 1, ro: [0.3], co: null, lin: [NaN], acc: 0.5 })]);
  assert.deepEqual(nan[0].retinaLinearity, [0.4, null]);
  const h = measuredHeadlines(s);
  assert.equal(h.photos_bn4_vvs2_retinaOrientedness, 0.75);
  assert.ok(Math.abs(h.photos_bn4_vvs2_retinaBarOrientedness! - 0.7) < 1e-12);
  assert.deepEqual(narrow.cortexBarOrientedness.map((v) => Math.round(v! * 100)), [75, 65]);
  assert.equal(h.photos_bn1_vvs2_testAccuracy, 0.55);
});

test('reproductionRows: the thresholds stated (isotropic < 0.3, oriented > 0.5 in every seed; rises = larger median)', () => {
  const rows = reproductionRows(summarizeRuns(RUNS), { narrow: 1, wide: 4, depth: 2 });
  assert.equal(rows.length, 10);
  const holds = Object.fromEntries(rows.map((r) => [r.claim, r.holds]));
  assert.equal(holds['narrow: retinal output isotropic'], 'yes');
  assert.equal(holds['narrow: first cortical layer oriented'], 'yes');
  assert.equal(holds['wide: retinal output oriented'], 'yes');
  assert.equal(holds['orientedness rises with the bottleneck'], 'yes');
  assert.equal(holds['linearity rises with cortical depth'], 'yes'); // 0.2 at depth 0 -> 0.85 at depth 2
  assert.equal(holds['the bottleneck costs accuracy'], 'yes');
  const flipped = RUNS.map((r) => (r.bottleneck === 1 && r.depth === 2 ? { ...r, retina: { ...r.retina, orientedness: [0.35] } } : r));
  assert.equal(reproductionRows(summarizeRuns(flipped), { narrow: 1, wide: 4, depth: 2 }).find((r) => r.claim === 'narrow: retinal output isotropic')!.holds, 'no');
  // the bar-index rows read the bar index: 0.05 below, the same verdicts here; a narrow retina oriented on the bar index only flips its own row
  for (const claim of ['narrow: retinal output isotropic', 'narrow: first cortical layer oriented', 'wide: retinal output oriented', 'orientedness rises with the bottleneck']) {
    assert.equal(holds[`${claim} (bar index)`], 'yes', claim);
  }
  assert.match(rows.find((r) => r.claim === 'wide: retinal output oriented (bar index)')!.measured, /^B = 0\.70/);
  const barOnly = RUNS.map((r) => (r.bottleneck === 1 && r.depth === 2 ? { ...r, retina: { ...r.retina, barOrientedness: [0.6] } } : r));
  const after = Object.fromEntries(reproductionRows(summarizeRuns(barOnly), { narrow: 1, wide: 4, depth: 2 }).map((r) => [r.claim, r.holds]));
  assert.equal(after['narrow: retinal output isotropic (bar index)'], 'no');
  assert.equal(after['narrow: retinal output isotropic'], 'yes');
});

test('fieldImages scales each field to max |value| 1; figures carry the per-seed points and medians', () => {
  const img = fieldImages([Float64Array.from([2, -4, 1, 0]), new Float64Array(4)]);
  assert.deepEqual(Array.from(img), [0.5, -1, 0.25, 0, 0, 0, 0, 0]);
  assert.throws(() => fieldImages([new Float64Array(4), new Float64Array(3)]), /fields\[1\]/);
  assert.ok(rfFigure([Float64Array.from([1, 0, 0, -1])], [0.2], [2, 2], 't').data.length >= 1);
  const s = summarizeRuns(RUNS);
  const of = orientednessFigure(s, 'photos', 2);
  const retina = of.data.find((d) => d.name === 'retinal output (gradient)') as { y: number[] };
  assert.deepEqual(retina.y, [0.1, 0.2, 0.7, 0.8]);
  const barFig = orientednessFigure(s, 'photos', 2, 'bar').data.find((d) => d.name === 'retinal output (gradient)') as { y: number[] };
  assert.deepEqual(barFig.y.map((v) => Math.round(v * 100)), [5, 15, 65, 75]);
  assert.throws(() => orientednessFigure(s, 'photos', 2, 'other' as 'bar'), /index/);
  const lf = linearityFigure(s);
  const narrow = lf.data.find((d) => d.name === 'photos, N_BN = 1') as { x: number[]; y: number[] };
  assert.deepEqual(narrow.x, [0, 2]);
  assert.equal(narrow.y[0], 0.2);
  assert.ok(Math.abs(narrow.y[1] - 0.85) < 1e-12);
  const af = accuracyFigure(s);
  const depth2 = af.data.find((d) => d.name === 'photos, N_VVS = 2') as { x: number[]; y: number[] };
  assert.deepEqual(depth2.y, [0.55, 0.75]);
});

test('estimatedRunSeconds: steps x step time + analysis per run, times seeds, over workers, plus 20 s', () => {
  const e = estimatedRunSeconds({ runs: [{ bottleneck: 1, depth: 0, steps: 10 }, { bottleneck: 4, depth: 2, steps: 5 }], stepSeconds: (b, d) => 0.1 * b + d, seeds: 3, workers: 2, analysisSeconds: 4 });
  assert.ok(Math.abs(e - ((10 * 0.1 + 4 + 5 * 2.4 + 4) * 3) / 2 - 20) < 1e-9);
});
