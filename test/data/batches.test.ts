import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchIndices, batchesPerEpoch, epochBatches, imageBatches, takeImages, takeTensors, tensorBatches, toTensors, loadMnist } from '../../lib/data';
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

test('epochBatches: epoch e is batchIndices of (seed, e); steps count across epochs; maxSteps and startEpoch', () => {
  const all = [...epochBatches(23, { batchSize: 10, seed: 6, epochs: 2 })];
  assert.deepEqual(all.map((b) => [b.epoch, b.batch, b.batches, b.step]), [[0, 0, 3, 0], [0, 1, 3, 1], [0, 2, 3, 2], [1, 0, 3, 3], [1, 1, 3, 4], [1, 2, 3, 5]]);
  for (const e of [0, 1]) {
    assert.deepEqual(all.filter((b) => b.epoch === e).map((b) => Array.from(b.indices)), batchIndices(23, { batchSize: 10, seed: 6, epoch: e }).map((b) => Array.from(b)));
  }
  assert.notDeepEqual(Array.from(all[0].indices), Array.from(all[3].indices), 'each epoch draws its own permutation');
  assert.equal([...epochBatches(23, { batchSize: 10, seed: 6, epochs: 5, maxSteps: 4 })].length, 4);
  const resumed = [...epochBatches(23, { batchSize: 10, seed: 6, epochs: 1, startEpoch: 1 })];
  assert.deepEqual(resumed.map((b) => Array.from(b.indices)), all.slice(3).map((b) => Array.from(b.indices)));
  assert.equal(batchesPerEpoch(23, { batchSize: 10 }), 3);
  assert.equal(batchesPerEpoch(23, { batchSize: 10, dropLast: true }), 2);
  // Options are checked at the call, before any batch is asked for.
  assert.throws(() => epochBatches(23, { batchSize: 10, epochs: 1 }), /seed/);
  assert.throws(() => epochBatches(23, { batchSize: 10, seed: 1, epochs: -1 }), /epochs/);
});

test('tensorBatches: the rows of each index batch, one-hot targets with classes, and no tensor left behind', () => {
  const x = tf.tensor2d(Array.from({ length: 14 }, (_, i) => [i, 10 * i]));
  const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1], 'int32');
  const before = tf.memory().numTensors;
  const idx = [...epochBatches(14, { batchSize: 4, seed: 2, epochs: 2 })];
  let n = 0;
  for (const b of tensorBatches({ x, y }, { batchSize: 4, seed: 2, epochs: 2, classes: 3 })) {
    assert.deepEqual(Array.from(b.indices), Array.from(idx[n].indices));
    assert.deepEqual(b.x.arraySync(), Array.from(b.indices).map((i) => [i, 10 * i]));
    assert.deepEqual(b.y.arraySync(), Array.from(b.indices).map((i) => [0, 1, 2].map((c) => (c === i % 3 ? 1 : 0))));
    n++;
  }
  assert.equal(n, 8);
  assert.equal(tf.memory().numTensors, before, 'every batch is freed as the loop moves on');
  // Leaving the loop early frees the current batch too; without classes y is the gathered labels.
  for (const b of tensorBatches({ x, y }, { batchSize: 4, seed: 2, epochs: 1 })) {
    assert.deepEqual(Array.from(b.y.dataSync()), Array.from(b.indices).map((i) => i % 3));
    break;
  }
  assert.equal(tf.memory().numTensors, before);
  const rows = takeTensors({ x, y }, [13, 0]);
  assert.deepEqual(rows.x.arraySync(), [[13, 130], [0, 0]]);
  assert.throws(() => takeTensors({ x, y }, [14]), /indices: expected integers in \[0, 13\]/);
  tf.dispose([x, y, rows.x, rows.y]);
});
