/**
 * The sentiment-line-attractor study's functions against hand-made answers:
 * - time constants against the closed form tau = 1 / |ln |lambda||;
 * - word projections against the explicit product l^T B E[w];
 * - the linearised network against the closed-form sum of a diagonal linear system, and against a cell's own
 *   step where the cell is linear (a vanilla cell with tiny weights, tanh ~ identity);
 * - word groups, group means and the slow mode's orientation on hand-written numbers;
 * - the bag-of-words baseline equals a fit of lib/core's logisticRegression at the l2 it picked;
 * - a pool job with tiny settings runs end to end, its numbers consistent with the definitions (the notebook's
 *   QUICK run is the smoke test in test/notebooks/smoke.test.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, logisticDecision, logisticRegression } from '../../lib/core';
import { imdbBagOfWords } from '../../lib/data';
import { SequenceClassifier, sequenceLogits } from '../../lib/dynamics';
import {
  PAPER_TEST_ACCURACY, QSTAR_PAPER, bowBaseline, byKind, estimatedJobSeconds, estimatedRunSeconds, groupMeans, linearisedLogits, networkNumbers, orientSlowMode,
  reproductionRows, seedSummaries, sentimentJob, timeConstant, wordGroups, wordProjections,
} from '../../lib/studies/sentiment-line-attractor';

test('time constants: tau = 1 / |ln |lambda||', () => {
  assert.ok(Math.abs(timeConstant(Math.exp(-1 / 100)) - 100) < 1e-9);
  assert.ok(Math.abs(timeConstant(Math.exp(1 / 250)) - 250) < 1e-9);
  assert.equal(timeConstant(1), Infinity);
  assert.throws(() => timeConstant(-1), /magnitude/);
});

test('word projections equal l^T B E[w] computed entry by entry', () => {
  const S = 3;
  const D = 2;
  const l = [1, -2, 0.5];
  const B = [1, 2, 3, 4, 5, 6]; // [S x D]
  const E = [0, 0, 1, 0, 0, 1, 2, -1]; // 4 words
  const got = wordProjections(l, B, E, S, D);
  for (let w = 0; w < 4; w++) {
    let s = 0;
    for (let i = 0; i < S; i++) for (let j = 0; j < D; j++) s += l[i] * B[i * D + j] * E[w * D + j];
    assert.ok(Math.abs(got[w] - s) < 1e-12, `word ${w}`);
  }
  // l^T B = [1 - 6 + 2.5, 2 - 8 + 3] = [-2.5, -3]: word 3 = 2 (-2.5) - (-3) = -2.
  assert.ok(Math.abs(got[3] + 2) < 1e-12);
  assert.throws(() => wordProjections([1], B, E, S, D), /\bl\b/);
});

test('the linearised network: a diagonal linear system in closed form', () => {
  // J = diag(0.5, 0.9), B = I, h* = (1, -1), h0 = (0, 0), readout (1, 2), bias 0.3.
  const J = [0.5, 0, 0, 0.9];
  const B = [1, 0, 0, 1];
  const E = [0, 0, 1, 2, -1, 0.5]; // id 0 pad, id 1 = (1, 2), id 2 = (-1, 0.5)
  const sequences = Int32Array.from([0, 1, 2, 1, /* row 2 */ 2, 0, 0, 0]);
  const y = linearisedLogits({ J, B, hstar: [1, -1], h0: [0, 0], readout: [1, 2], bias: 0.3, E, D: 2, sequences, rows: 2, maxLength: 4 });
  // Row 1: tokens 1, 2, 1 after d0 = h0 - h* = (-1, 1): d_3 = J^3 d0 + J^2 x1 + J x2 + x3 per coordinate.
  const coord = (a: number, d0: number, xs: number[]) => xs.reduce((d, x) => a * d + x, d0);
  const d1 = [coord(0.5, -1, [1, -1, 1]), coord(0.9, 1, [2, 0.5, 2])];
  const d2 = [coord(0.5, -1, [-1]), coord(0.9, 1, [0.5])];
  const logit = (d: number[]) => 0.3 + (1 + d[0]) + 2 * (-1 + d[1]);
  assert.ok(Math.abs(y[0] - logit(d1)) < 1e-12);
  assert.ok(Math.abs(y[1] - logit(d2)) < 1e-12);
});

test('the linearised network equals the network itself where the cell is (nearly) linear', async () => {
  await initBackend({ print: false });
  // A vanilla cell with weights scaled down: tanh(a) = a + O(a^3), so F is linear to ~1e-9 near 0, and its
  // only fixed point with zero input is h* = 0 with J = Wh^T, B = Wx^T.
  const model = SequenceClassifier.create({ kind: 'vanilla', units: 3, embeddingSize: 2, vocabSize: 5, seed: 4, recurrentScale: 1, inputScale: 1, embeddingScale: 1e-4 });
  const P = model.cell.params;
  const Wh = P.Wh.dataSync();
  const Wx = P.Wx.dataSync();
  const J = Float64Array.from({ length: 9 }, (_, k) => Wh[(k % 3) * 3 + Math.floor(k / 3)]);
  const B = Float64Array.from({ length: 6 }, (_, k) => Wx[(k % 2) * 3 + Math.floor(k / 2)]);
  const batch = { sequences: Int32Array.from([0, 1, 2, 3, 4, 4, 1, 2]), labels: [0, 1], size: 2, maxLength: 4 };
  const full = sequenceLogits(model, batch);
  const W = model.network.Wout.dataSync();
  const lin = linearisedLogits({ J, B, hstar: [0, 0, 0], h0: [0, 0, 0], readout: Array.from(W), bias: model.network.bout.dataSync()[0], E: model.embedding.dataSync(), D: 2, sequences: batch.sequences, rows: 2, maxLength: 4 });
  // The cubic term of tanh is a relative a^2 / 3 ~ 1e-8 here; float32 rounding ~1e-7 relative.
  for (let r = 0; r < 2; r++) assert.ok(Math.abs(lin[r] - full[r]) < 1e-6 * Math.abs(full[r]), `row ${r}: ${lin[r]} vs ${full[r]}`);
  assert.ok(Math.abs(full[0]) > 1e-6, 'the logits are not trivially zero');
  model.dispose();
});

test('word groups, group means and the slow mode orientation on hand-written numbers', () => {
  const weights = [0, 0, 3, -2, 0.1, -0.05, 5, 1, -4, 0.01];
  const counts = [0, 99, 100, 100, 500, 400, 10, 100, 100, 300];
  const g = wordGroups(weights, counts, { size: 2, minCount: 50, frequent: 4 });
  assert.deepEqual(g.positive, [2, 7]); // id 6 (weight 5) is too rare
  assert.deepEqual(g.negative, [8, 3]);
  // The 4 most frequent: 4 (500), 5 (400), 9 (300), then 2 (100, lowest id of the ties); smallest |weight|: 9, 5.
  assert.deepEqual(g.neutral, [9, 5]);
  const m = groupMeans(weights, g);
  assert.equal(m.positive, 2);
  assert.equal(m.negative, -3);
  assert.ok(Math.abs(m.neutral - -0.02) < 1e-12);
  assert.equal(orientSlowMode([1, -1], [0.2, 0.5]), -1);
  assert.equal(orientSlowMode([1, -1], [0.5, 0.2]), 1);
});

test('the bag-of-words baseline is lib/core\'s logistic regression at the l2 it picked (2,000 reviews per split)', () => {
  const bow = bowBaseline({ vocabSize: 2000, limit: 2000, l2Grid: [1e-3, 1e-2] });
  const best = bow.validation.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  assert.equal(bow.l2, best.l2);
  const tr = imdbBagOfWords({ split: 'train', vocabSize: 2000, limit: 2000, seed: 0 });
  const te = imdbBagOfWords({ split: 'test', vocabSize: 2000, limit: 2000, seed: 1 });
  assert.ok(tr.labels.reduce((a, b) => a + b, 0) > 800 && te.labels.reduce((a, b) => a + b, 0) > 800, 'both classes in both subsets');
  const fit = logisticRegression(tr.features, tr.labels, { l2: bow.l2, tolerance: 1e-5, maxIterations: 500 });
  const z = logisticDecision(fit, te.features);
  const acc = z.reduce((a, v, i) => a + ((v > 0 ? 1 : 0) === te.labels[i] ? 1 : 0), 0) / z.length;
  assert.equal(bow.testAccuracy, acc);
  assert.ok(bow.testAccuracy > 0.75, `a bag of words separates reviews (${bow.testAccuracy})`);
  const words = (ids: number[]) => ids.map((i) => bow.words[i]);
  const g = wordGroups(bow.weights, bow.counts, { size: 20, minCount: 20 });
  assert.ok(words(g.positive).some((w) => ['great', 'excellent', 'best', 'wonderful', 'perfect', 'loved', 'amazing'].includes(w)), words(g.positive).join(' '));
  assert.ok(words(g.negative).some((w) => ['worst', 'bad', 'awful', 'waste', 'boring', 'terrible', 'poor'].includes(w)), words(g.negative).join(' '));
});

test('a sentiment pool job with tiny settings: numbers consistent with their definitions; no tensors left', async () => {
  await initBackend({ print: false });
  const tensors = tf.memory().numTensors;
  const settings = {
    vocabSize: 500, maxLength: 30, trainReviews: 200, testReviews: 100, analysisReviews: 40, units: 8, embeddingSize: 4, embeddingScale: 0.1, epochs: 1, batchSize: 32,
    learningRate: 5e-3, initialStates: 64, finderMaxIters: 300, finderNoise: 0.01, dataSeed: 0, curveReviews: 100, fateStates: 12, fateSteps: 300,
  };
  const r = await sentimentJob({ kind: 'gru', seed: 2, settings });
  // The learning curve's last point is the trained network on the whole test subset here (curveReviews = testReviews).
  assert.equal(r.train.epochTestAccuracy.length, 1);
  assert.equal(r.train.epochTestAccuracy[0], r.testAccuracy);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(r.train.steps, Math.ceil(200 / 32));
  assert.equal(r.stateSize, 8);
  assert.equal(r.pcaTrained.length, 8);
  assert.ok(Math.abs(r.pcaTrained.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'all 8 PCs explain all the variance');
  assert.ok(r.fixedPoints.qMax <= (QSTAR_PAPER * 8) / 2 || r.fixedPoints.count === 0);
  assert.equal(r.fixedPoints.logits.length, r.fixedPoints.count);
  // Zero-input fate: every stopped state is counted at one end, each end has its logit.
  const z = r.zeroInputFate;
  assert.deepEqual([z.states, z.steps], [12, 300]);
  assert.equal(z.endCounts.reduce((a, b) => a + b, 0), z.stopped);
  assert.equal(z.endLogits.length, z.endCounts.length);
  assert.ok(z.stopped === z.states ? Number.isNaN(z.movingMedianSpeed) : z.movingMedianSpeed > 1e-16);
  if (r.centre) {
    const mag = Math.hypot(r.centre.eigenRe[0], r.centre.eigenIm[0]);
    assert.equal(r.centre.tau[0], timeConstant(mag));
    assert.equal(r.wordProjection.length, 500);
    assert.equal(r.linearised!.reviews, 40);
  }
  const groups = { positive: [2], negative: [3], neutral: [4] };
  const rows = reproductionRows([r], { ...bowStub(), testAccuracy: 0.8 }, groups, 'tiny');
  assert.equal(rows[0].paper, `${(100 * PAPER_TEST_ACCURACY.bow).toFixed(2)}%`);
  assert.equal(rows[1].measured, `${(100 * r.testAccuracy).toFixed(2)}%`);

  // Several seeds of one architecture: one group of rows listing every seed with the median (range) over them.
  const r2 = { ...structuredClone(r), seed: 99, testAccuracy: 0.25 };
  const r3 = { ...structuredClone(r), kind: 'lstm' as const, seed: 7, testAccuracy: 0.5 };
  assert.deepEqual(byKind([r, r3, r2]).map((g) => [g.kind, g.runs.map((x) => x.seed)]), [['gru', [2, 99]], ['lstm', [7]]]);
  const rows2 = reproductionRows([r, r3, r2], { ...bowStub(), testAccuracy: 0.8 }, groups, 'tiny');
  assert.equal(rows2.length, 1 + 2 * 6, 'one group of rows per architecture, not per seed');
  const a = 100 * r.testAccuracy;
  const [lo, hi] = [Math.min(a, 25), Math.max(a, 25)];
  assert.equal(rows2[1].measured, `seed 2: ${a.toFixed(2)}% | seed 99: 25.00%; median ${((a + 25) / 2).toFixed(2)} (${lo.toFixed(2)}-${hi.toFixed(2)})%`);
  assert.match(String(rows2[1].settings), /seeds 2, 99$/);
  assert.equal(rows2[7].measured, '50.00%');
  const summary = seedSummaries([r, r3, r2], bowStub(), groups) as { kind: string; seeds: number[]; testAccuracy: { n: number; median: number; min: number; max: number } }[];
  assert.deepEqual(summary.map((x) => [x.kind, x.seeds]), [['gru', [2, 99]], ['lstm', [7]]]);
  assert.equal(summary[0].testAccuracy.n, 2);
  assert.ok(Math.abs(summary[0].testAccuracy.median - (r.testAccuracy + 0.25) / 2) < 1e-15);
  assert.equal(summary[0].testAccuracy.min, Math.min(r.testAccuracy, 0.25));
  const nn = networkNumbers(r, bowStub(), groups);
  assert.equal(nn.seed, 2);
  assert.ok(Math.abs(nn.pcaTop3Trained - (r.pcaTrained[0] + r.pcaTrained[1] + r.pcaTrained[2])) < 1e-15);
  assert.equal(nn.fixedPoints, r.fixedPoints.count);
});

test('the run estimate: jobs to two workers longest first, plus the baseline', () => {
  const s = {
    vocabSize: 500, maxLength: 100, trainReviews: 1000, testReviews: 300, analysisReviews: 30, units: 64, embeddingSize: 64, embeddingScale: 0.1, epochs: 2, batchSize: 32,
    learningRate: 5e-3, initialStates: 64, finderMaxIters: 300, finderNoise: 0.01, dataSeed: 0,
  };
  const gru = estimatedJobSeconds('gru', s, 80);
  const lstm4 = estimatedJobSeconds('lstm', { ...s, epochs: 4 }, 80);
  // Training scales with the epochs: 4 epochs cost twice the training part of 2.
  const lstm2 = estimatedJobSeconds('lstm', s, 80);
  const evalAndAnalysis = estimatedJobSeconds('lstm', { ...s, epochs: 0 }, 80);
  assert.ok(Math.abs((lstm4 - evalAndAnalysis) - 2 * (lstm2 - evalAndAnalysis)) < 1e-9);
  // Reviews longer than maxLength are cut: meanTokens above it costs the same.
  assert.equal(estimatedJobSeconds('gru', s, 500), estimatedJobSeconds('gru', s, 100));
  // Longest first on 2 workers: {lstm4}, {lstm2, gru, gru} for these sizes, or whichever the greedy rule gives.
  const jobs = [{ kind: 'gru' as const, settings: s }, { kind: 'lstm' as const, settings: { ...s, epochs: 4 } }, { kind: 'gru' as const, settings: s }, { kind: 'lstm' as const, settings: s }];
  const costs = [gru, lstm4, gru, lstm2].sort((x, y) => y - x);
  const load = [0, 0];
  for (const c of costs) load[load[0] <= load[1] ? 0 : 1] += c;
  assert.ok(Math.abs(estimatedRunSeconds({ jobs, meanTokens: 80, workers: 2 }) - (Math.max(...load) + 60)) < 1e-9);
  assert.ok(Math.abs(estimatedRunSeconds({ jobs, meanTokens: 80, workers: 1 }) - (gru + lstm4 + gru + lstm2 + 60)) < 1e-9);
  // Given shortest first, the longest still goes first: {lstm4} and {gru, gru}, not {gru, lstm4} and {gru}.
  assert.ok(lstm4 > gru);
  const threeJobs = [{ kind: 'gru' as const, settings: s }, { kind: 'gru' as const, settings: s }, { kind: 'lstm' as const, settings: { ...s, epochs: 4 } }];
  assert.ok(Math.abs(estimatedRunSeconds({ jobs: threeJobs, meanTokens: 80, workers: 2 }) - (Math.max(lstm4, 2 * gru) + 60)) < 1e-9);
  assert.throws(() => estimatedRunSeconds({ jobs: [], meanTokens: 80, workers: 2 }), /jobs/);
});

function bowStub() {
  return { vocabSize: 500, l2: 1e-3, validation: [], trainReviews: 1, testReviews: 1, testAccuracy: 0, weights: new Array(500).fill(0).map((_, i) => i % 7 - 3), counts: [], words: [], iterations: 1, converged: true };
}
