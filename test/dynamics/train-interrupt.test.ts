/**
 * Interrupting `trainNetwork` (lib/core interrupt.ts), against an independent
 * reference: a run interrupted after step k holds bitwise the weights of an
 * uninterrupted run of exactly k steps with the same seed, for both engines
 * and both batch sources (fresh batches, a fixed training set sampled by Rng).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { clearInterrupt, initBackend, InterruptedError, lastInterruption, requestInterrupt } from '../../lib/core';
import { RecurrentNetwork, RecurrentTrainOptions, SequenceClassifier, trainNetwork, trainSequenceClassifier } from '../../lib/dynamics';

const make = () => RecurrentNetwork.create({ kind: 'gru', units: 6, inputSize: 3, outputSize: 3, seed: 3 });
const weightsOf = (net: RecurrentNetwork) => net.trainableVariables().map((v) => v.dataSync().slice() as Float32Array);

test('an interrupt from onProgress after step k stops trainNetwork there: the weights equal a k-step run, the partial result says where', async () => {
  await initBackend({ print: false });
  const k = 5;
  for (const engine of ['fused', 'autodiff'] as const) {
    for (const trainingTrials of [0, 32]) {
      const opts: RecurrentTrainOptions = { task: 'flipFlop', taskOptions: { steps: 8 }, steps: 12, batchSize: 8, trainingTrials, learningRate: 0.02, clipNorm: 1, seed: 7, progress: false, engine, reportEvery: 1 };
      const net = make();
      const ref = make();
      const before = tf.memory().numTensors;
      try {
        let e: unknown = null;
        try {
          trainNetwork(net, { ...opts, onProgress: (i) => { if (i.step === k) requestInterrupt(); } });
        } catch (x) {
          e = x;
        }
        const label = `${engine}, trainingTrials ${trainingTrials}`;
        assert.ok(e instanceof InterruptedError, `${label}: ${String(e)}`);
        assert.equal(lastInterruption(), e);
        assert.equal(e.what, 'trainNetwork');
        assert.match(e.message, /trainNetwork was interrupted before step 6 of 12 \(5 steps done/);
        assert.equal(tf.memory().numTensors, before, `${label}: an interrupted run leaves no tensors behind`);
        const partial = e.partial as ReturnType<typeof trainNetwork>;
        assert.equal(partial.stoppedBy, 'interrupt');
        assert.deepEqual(partial.interrupted, { step: k, steps: 12 });
        assert.equal(partial.steps, k);
        // The flag stays until cleared: another run stops before its first step and changes nothing.
        const held = weightsOf(net);
        assert.throws(() => trainNetwork(net, opts), (x: unknown) => x instanceof InterruptedError && (x.partial as typeof partial).steps === 0 && (x.partial as typeof partial).losses.length === 0);
        assert.deepEqual(weightsOf(net), held);
        clearInterrupt();
        // The reference: an uninterrupted run of exactly k steps.
        const r = trainNetwork(ref, { ...opts, steps: k });
        assert.equal(r.stoppedBy, 'steps');
        assert.deepEqual(weightsOf(net), weightsOf(ref), `${label}: weights after the interrupt vs a ${k}-step run`);
        assert.deepEqual(partial.losses, r.losses);
        assert.equal(partial.finalLoss, r.finalLoss);
      } finally {
        clearInterrupt();
        net.dispose();
        ref.dispose();
      }
    }
  }
});

test('an interrupt after update k stops trainSequenceClassifier there: the weights equal a run of exactly those k updates', async () => {
  await initBackend({ print: false });
  // 64 sequences in batches of 16: one epoch is 4 updates; interrupt after update 4, compare with a 1-epoch run.
  const count = 64;
  const T = 6;
  const sequences = Int32Array.from({ length: count * T }, (_, i) => ((i * 7919) % 13 < 3 ? 0 : 1 + ((i * 31) % 9)));
  const data = { sequences, labels: Int32Array.from({ length: count }, (_, i) => (i * 5) % 2), count, maxLength: T };
  const make2 = () => SequenceClassifier.create({ kind: 'lstm', units: 4, embeddingSize: 3, vocabSize: 10, seed: 5 });
  const opts = { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 2, progress: false, reportEvery: 1 };
  const model = make2();
  const ref = make2();
  try {
    let e: unknown = null;
    try {
      trainSequenceClassifier(model, data, { ...opts, onProgress: (i) => { if (i.step === 4) requestInterrupt(); } });
    } catch (x) {
      e = x;
    }
    assert.ok(e instanceof InterruptedError, String(e));
    const partial = e.partial as ReturnType<typeof trainSequenceClassifier>;
    assert.equal(partial.stoppedBy, 'interrupt');
    assert.deepEqual(partial.interrupted, { step: 4, steps: 12 });
    clearInterrupt();
    const r = trainSequenceClassifier(ref, data, { ...opts, epochs: 1 });
    assert.equal(r.stoppedBy, 'epochs');
    assert.deepEqual(partial.losses, r.losses);
    assert.deepEqual(partial.epochLoss, r.epochLoss);
    const w = (m: SequenceClassifier) => m.trainableVariables().map((v) => v.dataSync().slice() as Float32Array);
    assert.deepEqual(w(model), w(ref));
  } finally {
    clearInterrupt();
    model.dispose();
    ref.dispose();
  }
});
