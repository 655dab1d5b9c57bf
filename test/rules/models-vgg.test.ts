/**
 * The VGG-like model builder (lib/rules/models.ts vgg): its layer list, the
 * feature-map sizes through the blocks and the parameter count against the
 * closed form sum over layers of (3 * 3 * c_in + 1) c_out, plus the dense head.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network, vgg } from '../../lib/rules';

test('vgg: eight 3x3 same convolutions in four pooled blocks on 28x28, parameter count in closed form', () => {
  const spec = vgg();
  const kinds = spec.layers.map((l) => l.kind);
  assert.equal(kinds.filter((k) => k === 'conv2d').length, 8);
  assert.equal(kinds.filter((k) => k === 'maxpool').length, 4);
  assert.deepEqual(kinds.slice(-2), ['flatten', 'dense']);
  const net = new Network(spec);
  const pools = net.layers.filter((l) => l.kind === 'maxpool').map((l) => l.outputShape);
  assert.deepEqual(pools, [[14, 14, 32], [7, 7, 64], [3, 3, 128], [1, 1, 256]]);
  const channels = [1, 32, 32, 64, 64, 128, 128, 256, 256];
  let expected = 256 * 10 + 10;
  for (let i = 1; i < channels.length; i++) expected += (9 * channels[i - 1] + 1) * channels[i];
  assert.equal(net.parameterCount, expected);
  const z = tf.tidy(() => net.layers.reduce((h: tf.Tensor, l) => l.forward(h), tf.zeros([2, 28, 28, 1])));
  assert.deepEqual(z.shape, [2, 10]);
  z.dispose();
  net.dispose();
});

test('vgg: pools stop once the map is below 2x2; options and errors name the argument', () => {
  const spec = vgg({ inputShape: [4, 4, 3], blocks: [[2], [3], [4]], classes: 3, activation: 'tanh', seed: 5 });
  assert.deepEqual(spec.layers.map((l) => l.kind), [
    'conv2d', 'activation', 'maxpool', 'conv2d', 'activation', 'maxpool', 'conv2d', 'activation', 'flatten', 'dense',
  ]);
  const net = new Network(spec);
  assert.deepEqual(net.layers[net.layers.length - 2].outputShape, [4]);
  assert.equal(net.parameterCount, (27 + 1) * 2 + (18 + 1) * 3 + (27 + 1) * 4 + 4 * 3 + 3);
  net.dispose();
  assert.throws(() => vgg({ blocks: [[]] }), /blocks\[0\]: expected a non-empty array/);
  assert.throws(() => vgg({ blocks: [[8, 0]] }), /blocks\[0\]\[1\]/);
  assert.throws(() => vgg({ inputShape: [28, 28] as unknown as [number, number, number] }), /inputShape: expected \[height, width, channels\]/);
  assert.throws(() => vgg({ classes: 1 }), /classes/);
});
