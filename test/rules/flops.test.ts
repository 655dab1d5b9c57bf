/**
 * FLOP counts of lib/rules/flops.ts against counts done by hand here for a
 * dense network, a conv network and an attention layer (the conventions of
 * the module's header: a multiply-add 2 FLOPs, other operations 1), and
 * epochs to 90% of the final accuracy on a hand-built curve.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { epochsToAccuracy, epochsToFraction, mlp, trainingFlops, type NetworkOptions } from '../../lib/rules';
import { testBackend } from './helpers';

before(async () => {
  await testBackend();
});

test('dense network 6-5-3: forward, weight gradients and signal by hand; LDFA r = 2 signal and normative P, Q learning', () => {
  const net = mlp({ inputSize: 6, hidden: [5], classes: 3 });
  const bp = trainingFlops(net);
  // dense 6 -> 5 with bias: 2*6*5 + 5 = 65 forward, 65 weight gradient, no signal (first layer)
  assert.deepEqual(bp.layers[0], { index: '0', kind: 'dense', forward: 65, backwardSignal: 0, weightGradient: 65, feedbackLearning: 0 });
  // relu on 5 units: 5 and 5
  assert.deepEqual([bp.layers[1].forward, bp.layers[1].backwardSignal], [5, 5]);
  // dense 5 -> 3: 2*5*3 + 3 = 33 forward and weight gradient, signal 2*5*3 = 30
  assert.deepEqual([bp.layers[2].forward, bp.layers[2].weightGradient, bp.layers[2].backwardSignal], [33, 33, 30]);
  assert.equal(bp.forward, 103);
  assert.equal(bp.backward, 65 + 5 + 33 + 30);
  assert.equal(bp.feedbackLearning, 0);
  const ldfa = trainingFlops(net, { rule: 'ldfa', rank: 2, ldfaRule: 'normative', batchSize: 4 });
  // signal dy P^T Q^T: 2*2*(5 + 3) = 32; P, Q learning (6*5*2*3 + 5*3) / 4 = 48.75; the first layer's pathway is dormant
  assert.equal(ldfa.layers[2].backwardSignal, 32);
  assert.equal(ldfa.layers[2].feedbackLearning, 48.75);
  assert.equal(ldfa.layers[0].feedbackLearning, 0);
  assert.equal(ldfa.total, 103 + 65 + 5 + 33 + 32 + 48.75);
  // rank above the error's width is capped at it: r = 7 counts as 3
  assert.equal(trainingFlops(net, { rule: 'ldfa', rank: [7, 7], batchSize: 4 }).layers[2].backwardSignal, 2 * 3 * (5 + 3));
  // other rules for P and Q: fixed-p 2 in out r / B, local twice that, fixed nothing
  assert.equal(trainingFlops(net, { rule: 'ldfa', rank: 2, ldfaRule: 'fixed-p', batchSize: 4 }).layers[2].feedbackLearning, (2 * 5 * 3 * 2) / 4);
  assert.equal(trainingFlops(net, { rule: 'ldfa', rank: 2, ldfaRule: 'local', batchSize: 4 }).layers[2].feedbackLearning, (4 * 5 * 3 * 2) / 4);
  assert.equal(trainingFlops(net, { rule: 'ldfa', rank: 2, ldfaRule: 'fixed', batchSize: 4 }).feedbackLearning, 0);
  // raf: G P^T 2*5*3*2 = 60, Oja C over R = B rows 2*4*9 = 72, P C 2*2*9 = 36, (P C P^T) P 4*4*3 = 48
  assert.equal(trainingFlops(net, { rule: 'ldfa', rank: 2, ldfaRule: 'raf', batchSize: 4 }).layers[2].feedbackLearning, (60 + 72 + 36 + 48) / 4);
});

test('conv network: a valid 3x3 conv with bias, then a same 3x3 conv without, by hand; batch norm per element', () => {
  const net: NetworkOptions = {
    inputShape: [6, 6, 2],
    layers: [
      { kind: 'conv2d', filters: 3, kernelSize: 3 }, // -> 4 x 4 x 3
      { kind: 'batchnorm' },
      { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', bias: false }, // -> 4 x 4 x 4
      { kind: 'flatten' },
      { kind: 'dense', units: 2 },
    ],
  };
  const bp = trainingFlops(net);
  // conv 1: 16 positions x (3*3*2 = 18) x 3 outputs: 2*16*18*3 = 1728 (+ 48 bias)
  assert.deepEqual([bp.layers[0].forward, bp.layers[0].weightGradient, bp.layers[0].backwardSignal], [1776, 1776, 0]);
  // batch norm on 48 elements: 7 and 11 per element
  assert.deepEqual([bp.layers[1].forward, bp.layers[1].backwardSignal], [7 * 48, 11 * 48]);
  // conv 2: 16 positions x 27 x 4 = 2*16*27*4 = 3456, no bias; BP's signal (a conv transpose) the same
  assert.deepEqual([bp.layers[2].forward, bp.layers[2].weightGradient, bp.layers[2].backwardSignal], [3456, 3456, 3456]);
  const ldfa = trainingFlops(net, { rule: 'ldfa', rank: [3, 2, 2], batchSize: 8 });
  // 1x1 conv 4 -> 2 then conv transpose 2 -> 2 channels (3x3): 2*16*2*(27 + 4) = 1984; normative (6*27*2*4 + 27*4) / 8
  assert.equal(ldfa.layers[2].backwardSignal, 1984);
  assert.equal(ldfa.layers[2].feedbackLearning, (6 * 27 * 2 * 4 + 27 * 4) / 8);
});

test('attention layer (5 tokens, width 8, 2 heads) by hand; patch embedding as a dense map of each patch with the position embedding', () => {
  const net: NetworkOptions = {
    inputShape: [4, 4, 1],
    layers: [
      { kind: 'patch-embedding', patchSize: 2, units: 8 }, // 4 tokens of 2*2*1 = 4 -> 8
      { kind: 'dense', units: 24, bias: false },
      { kind: 'attention', heads: 2 },
      { kind: 'token-mean' },
      { kind: 'dense', units: 3 },
    ],
  };
  const f = trainingFlops(net);
  // patch embedding: 2*4*4*8 = 256 plus the position embedding 4*8 = 32
  assert.equal(f.layers[0].forward, 288);
  // qkv: 4 tokens, 2*4*8*24 = 1536 forward, signal 1536
  assert.deepEqual([f.layers[1].forward, f.layers[1].backwardSignal], [1536, 1536]);
  // attention, T = 4, d = 8, H = 2: q k^T 2*T*T*d = 256, scale H T^2 = 32, softmax 5 H T^2 = 160, A v 256  -> 704
  // backward: dO v^T, A^T dO, dS k, dS^T q 4 * 256 = 1024, softmax adjoint 5 H T^2 = 160 -> 1184
  assert.deepEqual([f.layers[2].forward, f.layers[2].backwardSignal, f.layers[2].weightGradient], [704, 1184, 0]);
  // the same under LDFA (no parameters)
  const l = trainingFlops(net, { rule: 'ldfa', rank: 1 });
  assert.deepEqual([l.layers[2].forward, l.layers[2].backwardSignal], [704, 1184]);
  // token mean: 32 in, 32 back
  assert.deepEqual([f.layers[3].forward, f.layers[3].backwardSignal], [32, 32]);
  assert.throws(() => trainingFlops(net, { rule: 'ldfa', rank: [1, 2] }), /one rank per parametric layer/);
});

test('epochs to a fixed accuracy on hand-built curves: the first epoch at or above it, never entry 0, null if never', () => {
  assert.equal(epochsToAccuracy([0.1, 0.5, 0.8, 0.85, 0.9], 0.85), 3);
  assert.equal(epochsToAccuracy([0.9, 0.5, 0.88, 0.86], 0.88), 2); // a dip after reaching it does not undo it
  assert.equal(epochsToAccuracy([0.95, 0.5, 0.6], 0.9), null); // entry 0 is before training
  assert.throws(() => epochsToAccuracy([0.1, 0.2], Number.NaN), /target/);
});

test('epochs to 90% of the final accuracy on a hand-built curve', () => {
  // final 0.9: the threshold 0.81 is first reached at epoch 3 (0.8 at epoch 2 is below)
  assert.equal(epochsToFraction([0.1, 0.5, 0.8, 0.85, 0.9]), 3);
  // exactly at the threshold counts; entry 0 (before training) never does
  assert.equal(epochsToFraction([0.95, 0.45, 0.5], 0.9), 1);
  assert.equal(epochsToFraction([0.1, 0.2, 0.25, 0.4], 0.75), 3);
  assert.equal(epochsToFraction([0.3]), null);
  assert.equal(epochsToFraction([0.3, 0]), null);
  assert.throws(() => epochsToFraction([0.1, 0.2], 1.5), /fraction/);
});
