/**
 * Sequence classification by masked BPTT (lib/dynamics bptt.ts, train.ts) against independent answers:
 * - a padded batch (padding before, after, or inside the sequences) gives the loss and every gradient
 *   of its sequences run one by one without padding, averaged (float32 rounding: 1e-6 + 1e-5 x scale);
 * - every gradient (cell, readout, embedding rows) equals central differences of the float64 loss;
 * - an all-padding sequence reads the zero state; states are collected at real tokens only;
 * - training separates a counting task that needs the recurrence; tensors do not grow.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '../../lib/core';
import {
  CELL_KINDS, SequenceClassifier, TokenBatch, evaluateSequenceClassifier, sequenceLogits, sequenceLossAndGradients, sequenceLossF64,
  sequenceStates, trainSequenceClassifier,
} from '../../lib/dynamics';

const VOCAB = 7;

/** Sequences of ids in [1, VOCAB) with the given lengths, and 0/1 labels. */
function rawSequences(lengths: number[], seed: number): { ids: number[][]; labels: number[] } {
  const rng = new Rng(seed);
  return { ids: lengths.map((L) => Array.from({ length: L }, () => 1 + rng.int(VOCAB - 1))), labels: lengths.map((_, i) => i % 2) };
}

/** Pads to T: 'pre' (pads first), 'post' (pads last) or 'inside' (a pad after every real token, the rest at the end). */
function pad(ids: number[][], labels: number[], T: number, where: 'pre' | 'post' | 'inside'): TokenBatch {
  const sequences = new Int32Array(ids.length * T);
  ids.forEach((s, b) => {
    const row = where === 'inside' ? s.flatMap((w) => [w, 0]) : s;
    const start = where === 'pre' ? T - row.length : 0;
    row.forEach((w, t) => { sequences[b * T + start + t] = w; });
  });
  return { sequences, labels: Int32Array.from(labels), size: ids.length, maxLength: T };
}

test('masked BPTT on a padded batch equals BPTT on the unpadded sequences one by one (loss and gradients)', async () => {
  await initBackend({ print: false });
  const lengths = [5, 1, 3, 6];
  const { ids, labels } = rawSequences(lengths, 4);
  for (const kind of CELL_KINDS) {
    const model = SequenceClassifier.create({ kind, units: 4, embeddingSize: 3, vocabSize: VOCAB, seed: 11, recurrentScale: 1.3 });
    model.network.bout.assign(tf.tensor1d([0.2]));
    const vars = model.trainableVariables();
    // Reference: each sequence alone, unpadded (B = 1, T = its length), gradients averaged.
    let refLoss = 0;
    const ref = vars.map((v) => new Float64Array(v.size));
    ids.forEach((s, b) => {
      const one = sequenceLossAndGradients(model, { sequences: Int32Array.from(s), labels: [labels[b]], size: 1, maxLength: s.length });
      refLoss += one.loss / ids.length;
      vars.forEach((v, i) => one.grads.get(v)!.forEach((g, k) => { ref[i][k] += g / ids.length; }));
    });
    for (const where of ['pre', 'post', 'inside'] as const) {
      const batch = pad(ids, labels, 12, where);
      const { loss, grads } = sequenceLossAndGradients(model, batch);
      assert.ok(Math.abs(loss - refLoss) < 1e-6 + 1e-5 * refLoss, `${kind} ${where}: loss ${loss} vs one by one ${refLoss}`);
      vars.forEach((v, i) => {
        const g = grads.get(v)!;
        let worst = 0;
        let scale = 0;
        for (let k = 0; k < g.length; k++) {
          worst = Math.max(worst, Math.abs(g[k] - ref[i][k]));
          scale = Math.max(scale, Math.abs(ref[i][k]));
        }
        assert.ok(scale > 0 || v === model.network.h0, `${kind}: the gradient of ${v.name} is not all zero`);
        assert.ok(worst < 1e-6 + 1e-5 * scale, `${kind} ${where} ${v.name}: max |padded - one by one| = ${worst.toExponential(2)} (scale ${scale.toExponential(2)})`);
      });
    }
    model.dispose();
  }
});

test('sequence gradients (cell, readout, embedding) equal central differences of the float64 loss', async () => {
  await initBackend({ print: false });
  const { ids, labels } = rawSequences([4, 2, 5], 9);
  const batch = pad(ids, labels, 6, 'pre');
  for (const kind of CELL_KINDS) {
    const model = SequenceClassifier.create({ kind, units: 3, embeddingSize: 2, vocabSize: VOCAB, seed: 5, recurrentScale: 1.2 });
    const l2 = 1e-2;
    const { loss, grads } = sequenceLossAndGradients(model, batch, l2);
    assert.ok(Math.abs(loss - sequenceLossF64(model, batch, l2)) < 1e-5 * Math.max(1, loss), `${kind}: float32 and float64 losses agree`);
    for (const v of model.trainableVariables()) {
      if (v === model.network.h0) continue;
      const g = grads.get(v)!;
      const vals = Float32Array.from(v.dataSync());
      const d = 1e-3;
      let worst = 0;
      let scale = 0;
      for (let k = 0; k < vals.length; k++) {
        const orig = vals[k];
        const at = (x: number) => {
          vals[k] = x;
          v.assign(tf.tensor(vals, v.shape));
          model.cell.invalidate();
          return sequenceLossF64(model, batch, l2);
        };
        const hi = orig + d;
        const lo = orig - d;
        const fd = (at(hi) - at(lo)) / (Math.fround(hi) - Math.fround(lo));
        at(orig);
        worst = Math.max(worst, Math.abs(fd - g[k]));
        scale = Math.max(scale, Math.abs(fd));
      }
      assert.ok(scale > 0, `${kind}: ${v.name} moves the loss`);
      assert.ok(worst < 1e-4 + 2e-3 * scale, `${kind} ${v.name}: max |BPTT - FD| = ${worst.toExponential(2)} (scale ${scale.toExponential(2)})`);
    }
    // The pad row (id 0) never enters a sequence: its embedding gradient is exactly zero.
    const gE = grads.get(model.embedding)!;
    assert.deepEqual(Array.from(gE.subarray(0, 2)), [0, 0]);
    model.dispose();
  }
});

test('an all-padding sequence reads the zero state; states are kept at real tokens only', async () => {
  await initBackend({ print: false });
  const model = SequenceClassifier.create({ kind: 'gru', units: 3, embeddingSize: 2, vocabSize: VOCAB, seed: 2 });
  model.network.bout.assign(tf.tensor1d([0.37]));
  const batch: TokenBatch = { sequences: Int32Array.from([0, 0, 0, 0, 0, 3, 0, 4]), labels: [0, 1], size: 2, maxLength: 4 };
  const y = sequenceLogits(model, batch);
  assert.ok(Math.abs(y[0] - 0.37) < 1e-7, 'zero state: the logit is the bias');
  const { states, lengths } = sequenceStates(model, batch);
  assert.deepEqual(Array.from(lengths), [0, 2]);
  // The second state equals two float64 steps from zero on ids 3 then 4.
  let h: Float64Array = new Float64Array(3);
  for (const w of [3, 4]) h = model.cell.stepF64(h, model.embed([w]));
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(states[3 + j] - h[j]) < 1e-6);
  assert.throws(() => sequenceLogits(model, { ...batch, sequences: Int32Array.from([0, 0, 0, 9, 0, 3, 0, 4]) }), /batch\.sequences/);
  model.dispose();
});

test('training separates "more 2s than 3s" (needs the recurrence to count); tensors do not grow', async () => {
  await initBackend({ print: false });
  const rng = new Rng(17);
  const make = (count: number, T: number) => {
    const sequences = new Int32Array(count * T);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const L = 4 + rng.int(T - 4);
      let diff = 0;
      for (let t = 0; t < L; t++) {
        const w = 2 + rng.int(4); // ids 2..5; 4 and 5 are neutral
        if (w === 2) diff++;
        if (w === 3) diff--;
        sequences[i * T + T - L + t] = w;
      }
      if (diff === 0) sequences[i * T + T - 1] = (diff++, 2);
      labels[i] = diff > 0 ? 1 : 0;
    }
    return { sequences, labels, count, maxLength: T };
  };
  const train = make(512, 12);
  const testSet = make(256, 12);
  const model = SequenceClassifier.create({ kind: 'gru', units: 8, embeddingSize: 4, vocabSize: 6, seed: 3 });
  const before = evaluateSequenceClassifier(model, testSet);
  const tensors = tf.memory().numTensors;
  const r = trainSequenceClassifier(model, train, { epochs: 30, batchSize: 32, learningRate: 1e-2, seed: 1, progress: false });
  assert.equal(tf.memory().numTensors, tensors);
  const after = evaluateSequenceClassifier(model, testSet);
  assert.equal(r.steps, 30 * 16);
  assert.ok(r.epochLoss[29] < r.epochLoss[0], 'the training loss fell');
  assert.ok(after.accuracy > 0.9 && after.accuracy > before.accuracy + 0.2, `test accuracy ${before.accuracy} -> ${after.accuracy}`);
  model.dispose();
});
