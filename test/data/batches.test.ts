import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchIndices, imageBatches, takeImages, toTensors, loadMnist } from '../../lib/data';
import { ArgumentError } from '../../lib/core';

test('an epoch visits every index exactly once; (seed, epoch) fixes the order', () => {
  const a = batchIndices(103, { batchSize: 10, seed: 4, epoch: 2 });
  assert.equal(a.length, 11);
  assert.deepEqual(a.map((b) => b.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  const all = a.flatMap((b) => Array.from(b)).sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 103 }, (_, i) => i));
  assert.deepEqual(batchIndices(103, { batchSize: 10, seed: 4, epoch: 2 }), a);
  assert.notDeepEqual(batchIndices(103, { batchSize: 10, seed: 4, epoch: 3 }), a);
  assert.notDeepEqual(batchIndices(103, { batchSize: 10, seed: 5, epoch: 2 }), a);
  // The order is not the identity (a shuffle happened).
  assert.notDeepEqual(a.flatMap((b) => Array.from(b)), all);
  assert.equal(batchIndices(103, { batchSize: 10, seed: 4, dropLast: true }).length, 10);
  assert.deepEqual(batchIndices(5, { batchSize: 2, shuffle: false }).map((b) => Array.from(b)), [[0, 1], [2, 3], [4]]);
});

test('batch options are validated; shuffling needs a seed', () => {
  assert.throws(() => batchIndices(10, { batchSize: 0, seed: 1 }), (e: Error) => e instanceof ArgumentError && /batchSize/.test(e.message));
  assert.throws(() => batchIndices(10, { batchSize: 2 }), /seed/);
  assert.throws(() => batchIndices(-1, { batchSize: 2, seed: 1 }), /count/);
  assert.throws(() => batchIndices(10, { batchSize: 2, seed: 1, epoch: -1 }), /epoch/);
});

test('image batches hold the dataset rows they index', () => {
  const ds = loadMnist({ split: 'test', limit: 50 });
  const batches = [...imageBatches(ds, { batchSize: 16, seed: 9 })];
  assert.equal(batches.reduce((s, b) => s + b.size, 0), 50);
  for (const b of batches) {
    for (let k = 0; k < b.size; k++) {
      const i = b.indices[k];
      assert.equal(b.labels[k], ds.labels[i]);
      assert.deepEqual(b.images.subarray(k * 784, (k + 1) * 784), ds.images.subarray(i * 784, (i + 1) * 784));
    }
  }
  assert.throws(() => takeImages(ds, [50]), /indices/);
});

test('toTensors: [n,h,w,1] or [n,h*w] images, int32 labels, one-hot; no tensors leak', () => {
  const ds = loadMnist({ split: 'test', limit: 7, pad: 2 });
  const before = tf.memory().numTensors;
  const t = toTensors(ds, { oneHot: true });
  assert.deepEqual(t.images.shape, [7, 32, 32, 1]);
  assert.equal(t.labels.dtype, 'int32');
  assert.deepEqual(Array.from(t.labels.dataSync()), Array.from(ds.labels));
  assert.deepEqual(t.images.dataSync(), ds.images);
  const hot = t.labelsOneHot!.arraySync();
  hot.forEach((row, i) => row.forEach((v, c) => assert.equal(v, c === ds.labels[i] ? 1 : 0)));
  // Pixel (r, c) of image k is images[k, r, c, 0].
  assert.equal(t.images.bufferSync().get(3, 10, 12, 0), ds.images[(3 * 32 + 10) * 32 + 12]);
  tf.dispose([t.images, t.labels, t.labelsOneHot!]);
  const flat = toTensors(takeImages(ds, [1, 2]), { layout: 'flat' });
  assert.deepEqual(flat.images.shape, [2, 1024]);
  assert.equal(flat.labelsOneHot, undefined);
  tf.dispose([flat.images, flat.labels]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => toTensors({} as never), /data/);
});
