/**
 * lib/data datasets.ts: the three forms of a labelled data set hold the same
 * examples; conversions check shapes and labels against the network and say
 * which argument is wrong; tensors made by a conversion are the caller's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  loadMnist, toArrayDataset, toTensorDataset, disposeConverted, isTensorDataset, targetsOf, labelsOf,
} from '../../lib/data';
import { Network, evaluate, train } from '../../lib/rules';

const mlp = { inputShape: [784], outputSize: 10 };
const conv = { inputShape: [28, 28, 1], outputSize: 10 };

test('a loader result becomes tensors [N, ...inputShape] with the same pixels and labels, for an MLP and a conv net', () => {
  const ds = loadMnist({ split: 'test', limit: 7 });
  for (const net of [mlp, conv]) {
    const t = toTensorDataset(ds, net);
    assert.deepEqual(t.x.shape, [7, ...net.inputShape]);
    assert.deepEqual(t.y.shape, [7]);
    assert.equal(t.y.dtype, 'int32');
    // Example 3, pixel (row 10, column 15) is images[3 * 784 + 10 * 28 + 15] in the loader's layout.
    const xi = t.x.dataSync();
    assert.equal(xi[3 * 784 + 10 * 28 + 15], ds.images[3 * 784 + 10 * 28 + 15]);
    assert.deepEqual(Array.from(t.x.dataSync()), Array.from(ds.images));
    assert.deepEqual(Int32Array.from(t.y.dataSync()), ds.labels);
    disposeConverted(t, ds);
  }
});

test('tensors pass through unchanged; arrays and loader output agree; tensors convert back to the same rows', () => {
  const ds = loadMnist({ split: 'test', limit: 5 });
  const x = tf.tensor2d(ds.images, [5, 784]);
  const y = tf.oneHot(tf.tensor1d(ds.labels, 'int32'), 10).toFloat();
  const given = { x, y };
  assert.equal(toTensorDataset(given, mlp), given, 'tensors are returned as they are');
  const before = tf.memory().numTensors;
  disposeConverted(given, given);
  assert.equal(tf.memory().numTensors, before, 'disposeConverted frees nothing that was passed in');
  // Back to flat rows: one-hot targets become their argmax labels.
  const back = toArrayDataset(given, mlp);
  assert.deepEqual(back.y, ds.labels);
  assert.deepEqual(Array.from(back.x), Array.from(ds.images));
  assert.equal(back.count, 5);
  assert.deepEqual(back.shape, [784]);
  // A flat ArrayDataset with number[] labels and the loader output give the same validated rows.
  const flat = toArrayDataset({ x: ds.images, y: Array.from(ds.labels), count: 5 }, conv);
  assert.deepEqual(flat.y, toArrayDataset(ds, conv).y);
  assert.deepEqual(flat.shape, [28, 28, 1]);
  assert.ok(isTensorDataset(given) && !isTensorDataset(ds) && !isTensorDataset(null));
  tf.dispose([x, y]);
});

test('bad data names the argument: sizes, labels out of range, non-finite values, wrong tensor shapes', () => {
  const ds = loadMnist({ split: 'test', limit: 4 });
  assert.throws(() => toArrayDataset(ds, { inputShape: [100], outputSize: 10 }), /data\.x: expected 4 x 100 = 400 values/);
  assert.throws(() => toArrayDataset({ ...ds, labels: Int32Array.from([0, 1, 12, 3]) }, mlp, 'test'), /test\.y: expected labels in \[0, 9\], got 12 at example 2/);
  const bad = ds.images.slice();
  bad[784 + 5] = NaN;
  assert.throws(() => toArrayDataset({ x: bad, y: ds.labels, count: 4 }, mlp), /data\.x: expected finite values only, got NaN at example 1/);
  assert.throws(() => toArrayDataset({ x: ds.images, y: ds.labels, count: 0 }, mlp), /data\.count/);
  const x = tf.zeros([4, 28, 28]);
  const y = tf.tensor1d([0, 1, 2, 3], 'int32');
  assert.throws(() => toTensorDataset({ x, y }, conv), /data\.x: expected shape \[N, 28, 28, 1\]/);
  const x2 = tf.zeros([4, 784]);
  assert.throws(() => toTensorDataset({ x: x2, y: tf.tensor1d([0, 1, 2], 'int32') }, mlp), /data\.y: expected 4 labels/);
  assert.throws(() => toTensorDataset({ x: x2, y: tf.zeros([4, 3]) }, mlp), /data\.y: expected one-hot targets \[4, 10\]/);
  assert.throws(() => toArrayDataset(ds, {} as never), /net/);
  tf.dispose([x, y, x2]);
});

test('targetsOf one-hot encodes labels and keeps [N, C] targets; labelsOf inverts it', () => {
  const t = tf.tidy(() => targetsOf(tf.tensor1d([2, 0, 1], 'int32'), 3));
  assert.deepEqual(t.arraySync(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  assert.deepEqual(labelsOf(t), Int32Array.from([2, 0, 1]));
  const soft = tf.tensor2d([[0.1, 0.9], [0.8, 0.2]]);
  const same = tf.tidy(() => targetsOf(soft, 2));
  assert.deepEqual(same.arraySync(), soft.arraySync());
  assert.deepEqual(labelsOf(soft), Int32Array.from([1, 0]));
  assert.throws(() => tf.tidy(() => targetsOf(soft, 3)), /y: expected labels \[N\] or targets \[N, 3\]/);
  tf.dispose([t, soft, same]);
});

test("lib/rules's evaluate and train take a loader result, flat arrays or tensors alike", async () => {
  const ds = loadMnist({ split: 'test', limit: 30 });
  const net = new Network({ inputShape: [784], layers: [{ kind: 'dense', units: 5 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 10 }], seed: 1 });
  const x = tf.tensor2d(ds.images, [30, 784]);
  const y = tf.tensor1d(ds.labels, 'int32');
  const ref = evaluate(net, ds);
  assert.deepEqual(evaluate(net, { x, y }), ref);
  assert.deepEqual(evaluate(net, { x: ds.images, y: ds.labels, count: 30 }), ref);
  const a = new Network({ inputShape: [784], layers: [{ kind: 'dense', units: 10 }], seed: 2 });
  const b = new Network({ inputShape: [784], layers: [{ kind: 'dense', units: 10 }], seed: 2 });
  const ha = await train(a, ds, { epochs: 1, batchSize: 10, seed: 0, progress: false, alignment: false });
  const hb = await train(b, { x, y }, { epochs: 1, batchSize: 10, seed: 0, progress: false, alignment: false });
  assert.deepEqual(ha.records.map((r) => r.trainLoss), hb.records.map((r) => r.trainLoss));
  tf.dispose([x, y]);
  [net, a, b].forEach((n) => n.dispose());
});
