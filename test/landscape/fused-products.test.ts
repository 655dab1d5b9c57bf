/**
 * The fused native curvature product (lib/landscape/fused-products.ts) against
 * the tensor R-operator path (option fused: false) on random dense networks:
 * every activation, with and without biases and activations between layers,
 * size-1 widths and chunks, both losses, H v, G v and (H - G) v. The tensor
 * path itself is checked against a float64 finite-difference Hessian in
 * products.test.ts (which, for its MLPs, now runs the fused path too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, Rng } from '../../lib/core';
import { Network, train } from '../../lib/rules';
import type { LayerSpec } from '../../lib/rules';
import { Curvature, flattenParameters, setParameters } from '../../lib/landscape';
import { compactColumns, compressedRows, densePlan } from '../../lib/landscape/fused-products';

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / den);
};

const ACTS = ['relu', 'tanh', 'sigmoid', 'linear'] as const;

/** A random dense network: widths in 1..7, each gap with an activation or none, biases on or off. */
function randomSpecs(rng: Rng, loss: 'cross-entropy' | 'mse'): { specs: LayerSpec[]; inputShape: number[] } {
  const depth = 1 + Math.floor(rng.uniform() * 3);
  const specs: LayerSpec[] = [];
  const flat = rng.uniform() < 0.3;
  if (flat) specs.push({ kind: 'flatten' });
  for (let l = 0; l < depth; l++) {
    const last = l === depth - 1;
    const units = last ? (loss === 'mse' ? 1 + Math.floor(rng.uniform() * 3) : 2 + Math.floor(rng.uniform() * 3)) : 1 + Math.floor(rng.uniform() * 7);
    specs.push({ kind: 'dense', units, bias: rng.uniform() < 0.8 });
    if (!last && rng.uniform() < 0.85) specs.push({ kind: 'activation', activation: ACTS[Math.floor(rng.uniform() * ACTS.length)] });
  }
  const inputShape = flat ? [2, 1 + Math.floor(rng.uniform() * 3)] : [1 + Math.floor(rng.uniform() * 6)];
  return { specs, inputShape };
}

test('the fused product equals the tensor path on random dense networks (every activation, both losses, H, G, H - G)', { skip: !nativeAddon()?.hvpDense && 'add-on without hvpDense' }, () => {
  const rng = new Rng(2024);
  const before = tf.memory().numTensors;
  let curvedSeen = 0;
  for (let trial = 0; trial < 24; trial++) {
    const loss = trial % 2 ? 'mse' : 'cross-entropy';
    const { specs, inputShape } = randomSpecs(rng, loss);
    const net = new Network({ inputShape, layers: specs, seed: trial, loss });
    assert.ok(typeof densePlan(net) !== 'string', `trial ${trial}: no fused plan for ${JSON.stringify(specs)}`);
    // Spread the weights (Xavier draws are small) so that every curvature term matters; biases nonzero.
    const theta = flattenParameters(net).map((t) => 1.5 * t + 0.3 * rng.normal());
    setParameters(net, theta);
    const rows = 2 + Math.floor(rng.uniform() * 9);
    const size = inputShape.reduce((a, b) => a * b, 1);
    const xData = rng.normalArray(rows * size, 0, 1, 'float32') as Float32Array;
    // Every other trial: sparse inputs (80% zeros, the first column and the first row all zero), which take
    // the first layer's compressed-row and compacted-column products.
    const sparse = trial % 4 >= 2;
    if (sparse) {
      for (let i = 0; i < xData.length; i++) if (i % size === 0 || i < size || rng.uniform() < 0.8) xData[i] = 0;
      assert.ok(compressedRows(xData, rows, size) && (size < 2 || compactColumns(xData, rows, size)), `trial ${trial}: sparse data not taken as sparse`);
    }
    const x = tf.tensor(xData, [rows, ...inputShape]);
    // mse: real-valued targets [rows, C] (C may be 1); cross-entropy: integer labels.
    const y = loss === 'mse'
      ? tf.tensor(rng.normalArray(rows * net.outputSize, 0, 1, 'float32') as Float32Array, [rows, net.outputSize])
      : tf.tensor1d(Array.from({ length: rows }, (_, i) => i % net.outputSize), 'int32');
    // Uneven chunks (batchSize 1..rows) exercise the batch-size weighting of the sums.
    const batchSize = 1 + Math.floor(rng.uniform() * rows);
    const fused = new Curvature(net, { x, y }, { batchSize });
    const reference = new Curvature(net, { x, y }, { batchSize, fused: false });
    const v = rng.normalArray(fused.dim, 0, 1, 'float64') as Float64Array;
    for (const kind of ['hessian', 'gauss-newton', 'residual'] as const) {
      const a = fused.product(v, kind);
      const b = reference.product(v, kind);
      const scale = Math.sqrt(b.reduce((s, t) => s + t * t, 0));
      if (scale === 0) {
        assert.ok(a.every((t) => Math.abs(t) < 1e-7), `trial ${trial} ${kind}: reference is zero, fused is not`);
        continue;
      }
      // (H - G) v is a difference of two products: its error is relative to them, not to itself.
      const tol = kind === 'residual' ? 1e-4 : 2e-5;
      assert.ok(relErr(a, b) < tol, `trial ${trial} ${kind} ${JSON.stringify(specs)} rows ${rows}/${batchSize}: relative difference ${relErr(a, b)}`);
      if (kind === 'residual' && scale > 1e-6) curvedSeen++;
    }
    // Repeated products are bitwise the same (one workspace, no state carried between products).
    assert.deepEqual(fused.product(v), fused.product(v));
    fused.dispose();
    reference.dispose();
    tf.dispose([x, y]);
    net.dispose();
  }
  assert.ok(curvedSeen >= 8, `only ${curvedSeen} trials had H != G: the residual terms were barely tested`);
  assert.equal(tf.memory().numTensors, before, 'tensor count grew');
});

test('wider layers than the random networks\' equal the tensor path (outputs of 3 to 33 units, hidden widths 8 to 21, 13 rows)', { skip: !nativeAddon()?.hvpDense && 'add-on without hvpDense' }, () => {
  // Widths past the vector lengths of the add-on's element-wise loops (8) and outputs wider than a classifier's,
  // both losses, one hidden layer and two.
  const rng = new Rng(77);
  for (const [hidden, out, loss] of [[[21], 10, 'cross-entropy'], [[21], 16, 'mse'], [[21], 17, 'cross-entropy'], [[9, 21], 3, 'mse'], [[21, 8], 33, 'mse']] as const) {
    const layers: LayerSpec[] = [];
    for (const h of hidden) layers.push({ kind: 'dense', units: h }, { kind: 'activation', activation: 'tanh' });
    layers.push({ kind: 'dense', units: out });
    const net = new Network({ inputShape: [6], layers, seed: 3, loss });
    setParameters(net, flattenParameters(net).map((t) => 1.5 * t + 0.3 * rng.normal()));
    const rows = 13;
    const x = tf.tensor(rng.normalArray(rows * 6, 0, 1, 'float32') as Float32Array, [rows, 6]);
    const y = loss === 'mse'
      ? tf.tensor(rng.normalArray(rows * out, 0, 1, 'float32') as Float32Array, [rows, out])
      : tf.tensor1d(Array.from({ length: rows }, (_, i) => i % out), 'int32');
    const fused = new Curvature(net, { x, y });
    const reference = new Curvature(net, { x, y }, { fused: false });
    const v = rng.normalArray(fused.dim, 0, 1, 'float64') as Float64Array;
    for (const kind of ['hessian', 'gauss-newton', 'residual'] as const) {
      const e = relErr(fused.product(v, kind), reference.product(v, kind));
      assert.ok(e < (kind === 'residual' ? 1e-4 : 2e-5), `hidden ${hidden} output ${out} ${loss} ${kind}: relative difference ${e}`);
    }
    fused.dispose();
    reference.dispose();
    tf.dispose([x, y]);
    net.dispose();
  }
});

test('the fused plan covers dense chains only; other networks keep the tensor path', () => {
  const dense = (units: number): LayerSpec => ({ kind: 'dense', units });
  const act = (a: 'relu' | 'tanh'): LayerSpec => ({ kind: 'activation', activation: a });
  const cases: [LayerSpec[], number[], boolean][] = [
    [[dense(3), act('tanh'), dense(2)], [4], true],
    [[{ kind: 'flatten' }, dense(3), dense(2)], [2, 2], true],
    [[dense(3), act('tanh'), { kind: 'flatten' }, dense(2)], [4], false], // a flatten after the first dense layer
    [[dense(3), act('tanh'), act('relu'), dense(2)], [4], false], // two activations in a row
    [[act('tanh'), dense(2)], [4], false], // activation on the input
    [[{ kind: 'conv2d', filters: 2, kernelSize: 2 }, { kind: 'flatten' }, dense(2)], [3, 3, 1], false],
    [[dense(3), { kind: 'flatten' }, dense(2)], [2, 4], false], // vector-valued units (rank-2 examples)
  ];
  for (const [layers, inputShape, fusable] of cases) {
    const net = new Network({ inputShape, layers, seed: 0 });
    assert.equal(typeof densePlan(net) !== 'string', fusable && typeof nativeAddon()?.hvpDense === 'function', JSON.stringify(layers));
    net.dispose();
  }
  const net = new Network({ inputShape: [3], layers: [dense(2)], seed: 0 });
  assert.throws(() => new Curvature(net, { x: tf.zeros([2, 3]), y: tf.tensor1d([0, 1], 'int32') }, { fused: 'yes' as unknown as boolean }), /fused: expected true or false/);
  net.dispose();
});

test('hvpDense checks its arguments and names the one that is wrong', { skip: !nativeAddon()?.hvpDense && 'add-on without hvpDense' }, () => {
  const addon = nativeAddon()!;
  const sizes = Int32Array.from([3, 2]);
  const bias = Int32Array.from([1]);
  const n = 4;
  const work = new Float32Array(addon.hvpDenseWorkspace!(n, sizes, bias));
  const f = (k: number) => new Float32Array(k);
  const call = (over: { inputs?: Float32Array[]; work?: Float32Array; mode?: number; v?: Float64Array; out?: Float64Array }) =>
    addon.hvpDense!(n, sizes, bias, [f(6)], over.inputs ?? [f(n * 3)], [f(n * 2)], [], [], f(n * 2), 0.25, (over.mode ?? 0) as 0 | 1,
      over.v ?? new Float64Array(8), 1, over.out ?? new Float64Array(8), over.work ?? work);
  assert.equal(call({}), -1);
  // v is checked while converted: the first entry that is not finite or beyond float32 comes back, and out stays as it was.
  const out = new Float64Array(8).fill(7);
  assert.equal(call({ v: Float64Array.from([0, 1, 2, 1e39, NaN, 0, 0, 0]), out }), 3);
  assert.equal(call({ v: Float64Array.from([0, 1, -Infinity, 0, 0, 0, 0, 0]), out }), 2);
  assert.equal(call({ v: Float64Array.from([0, 1, 3.4028234663852886e38, 0, 0, 0, 0, 0]), out: new Float64Array(8) }), -1);
  assert.deepEqual(Array.from(out), new Array(8).fill(7));
  assert.throws(() => call({ inputs: [f(n * 3 - 1)] }), /hvpDense: inputs\[0\] has 11 elements, needs 12/);
  assert.throws(() => call({ work: f(work.length - 1) }), /hvpDense: work has/);
  assert.throws(() => call({ mode: 2 }), /hvpDense: mode must be 0/);
  assert.throws(() => call({ v: new Float64Array(7) }), /hvpDense: v has 7 elements, needs 8/);
});

test('a curvature operator follows weights that training changed in place (the fused training path keeps their storage)', async () => {
  const net = new Network({ inputShape: [5], layers: [{ kind: 'dense', units: 4 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 3 }], seed: 4 });
  const rng = new Rng(8);
  const x = tf.tensor(rng.normalArray(12 * 5, 0, 1, 'float32') as Float32Array, [12, 5]);
  const y = tf.tensor1d(Array.from({ length: 12 }, (_, i) => i % 3), 'int32');
  const curvature = new Curvature(net, { x, y });
  const v = rng.normalArray(curvature.dim, 0, 1, 'float64') as Float64Array;
  const before = curvature.product(v);
  const ids = net.paramLayers.map((l) => l.weight.dataId);
  await train(net, { x, y }, { epochs: 3, batchSize: 4, optimizer: { type: 'sgd', lr: 0.5 }, progress: false });
  const inPlace = net.paramLayers.every((l, k) => l.weight.dataId === ids[k]);
  const fresh = new Curvature(net, { x, y });
  const expected = fresh.product(v);
  assert.ok(relErr(expected, before) > 1e-3, 'training did not change the Hessian: the test checks nothing');
  assert.ok(relErr(curvature.product(v), expected) < 1e-6, `stale state after training (weights changed ${inPlace ? 'in place' : 'by assignment'})`);
  assert.ok(relErr(curvature.lossAndGradient().gradient, fresh.lossAndGradient().gradient) < 1e-6, 'stale gradient after training');
  fresh.dispose();
  curvature.dispose();
  tf.dispose([x, y]);
  net.dispose();
});
