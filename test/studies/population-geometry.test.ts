/**
 * lib/studies/population-geometry: the data designs against their definitions (rank of the synthetic manifolds,
 * untransformed exemplar copies, a hand forward pass for the layer representations, the participation ratio
 * against an eigendecomposition), each job against the lib/geometry calls it wraps with its documented seeds, the
 * figures' traces, the estimate by hand and the table. (The notebook's QUICK run is test/notebooks/smoke.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend, rng, symEig } from '../../lib/core';
import { loadFashionMnist } from '../../lib/data';
import { crossConditionGeneralisation, manifoldCapacity, parallelismScore, simulatedCapacity } from '../../lib/geometry';
import { Network, mlp } from '../../lib/rules';
import {
  abstractionFigure, abstractionJob, estimatedRunSeconds, exemplarImages, factorisedTask, layerFigure, layerGeometry, networkGeometryJob, representationLayers,
  randomManifoldsJob, reproductionRows, syntheticManifolds, theoryFigure, theoryVsSimulationJob, type NetworkJobResult, type TheoryJobResult,
} from '../../lib/studies/population-geometry';

type Trace = { x: number[]; y: number[]; name?: string };

test('syntheticManifolds: each manifold spans D dimensions around its centre, and one seed gives the same data', () => {
  const amb = 60, M = 9, D = 3;
  for (const kind of ['ball', 'cloud'] as const) {
    const X = syntheticManifolds({ kind, P: 2, M, D, radius: 0.7, ambient: amb, seed: 4 });
    assert.deepEqual(X, syntheticManifolds({ kind, P: 2, M, D, radius: 0.7, ambient: amb, seed: 4 }));
    // the centred points' Gram matrix has rank D (M - 1 > D)
    const x = X[0], mean = new Float64Array(amb);
    for (let j = 0; j < M; j++) for (let k = 0; k < amb; k++) mean[k] += x[j * amb + k] / M;
    const G = Array.from({ length: M }, (_, a) => Array.from({ length: M }, (_, b) => { let s = 0; for (let k = 0; k < amb; k++) s += (x[a * amb + k] - mean[k]) * (x[b * amb + k] - mean[k]); return s; }));
    const ev = symEig(G).values;
    assert.ok(ev[D - 1] > 1e-3 && ev[D] < 1e-12 * ev[0], `${kind}: ${Array.from(ev).slice(0, D + 1)}`);
  }
});

test('theoryVsSimulationJob is manifoldCapacity (seed + 1, no centre step) and simulatedCapacity (seed + 2) on syntheticManifolds, at P / (factor x theory)', async () => {
  const a = { kind: 'cloud' as const, P: 6, M: 4, D: 2, radius: 0.5, ambient: 40, seed: 3, loadFactors: [0.7, 1.3], trials: 3, nT: 20 };
  const r = await theoryVsSimulationJob(a);
  const X = syntheticManifolds(a);
  const th = manifoldCapacity(X, 40, { nT: 20, seed: 4, centreCorrelation: false });
  assert.equal(r.theory.capacity, th.capacity);
  const dims = [0.7, 1.3].map((f) => Math.max(2, Math.round(6 / (f * th.capacity)))).sort((x, y) => x - y);
  assert.deepEqual(r.simulated, simulatedCapacity(X, 40, dims, { trials: 3, seed: 5 }));
});

test('exemplarImages: the identity transform copies the drawn images; representationLayers match a forward pass by hand', async () => {
  await initBackend({ print: false });
  const data = loadFashionMnist({ split: 'test', limit: 40, seed: 1, normalize: 'standard' });
  const b = exemplarImages(data, { P: 3, M: 2, rotate: 0, scale: 0, shift: 0, noise: 0, seed: 5 });
  assert.equal(b.count, 6);
  const hw = 784;
  for (let p = 0; p < 3; p++) {
    // both copies of manifold p are one image of the data set
    const copy = b.images.subarray(2 * p * hw, (2 * p + 1) * hw);
    assert.deepEqual(copy, b.images.subarray((2 * p + 1) * hw, (2 * p + 2) * hw));
    let found = false;
    for (let i = 0; i < data.count && !found; i++) found = data.images.subarray(i * hw, (i + 1) * hw).every((v, k) => Math.abs(v - copy[k]) < 1e-6);
    assert.ok(found, `manifold ${p}`);
  }
  const net = new Network(mlp({ inputSize: 784, hidden: [7], seed: 2 }));
  try {
    const reps = representationLayers(net, b.images, 6, 4);
    assert.deepEqual(reps.map((r) => [r.name, r.width]), [['input', 784], ['act1', 7], ['logits', 10]]);
    assert.deepEqual(reps[0].values, b.images);
    const W = (net.paramLayers[0] as unknown as { weight: tf.Variable }).weight.dataSync(), bias = (net.paramLayers[0] as unknown as { bias: tf.Variable }).bias.dataSync();
    for (let i = 0; i < 6; i++) for (let u = 0; u < 7; u++) {
      let s = bias[u];
      for (let k = 0; k < 784; k++) s += b.images[i * 784 + k] * W[k * 7 + u];
      assert.ok(Math.abs(reps[1].values[i * 7 + u] - Math.max(s, 0)) < 1e-4, `unit ${u} of image ${i}`);
    }
    const logits = net.predict(tf.tensor(b.images, [6, 784]));
    Array.from(logits.dataSync()).forEach((v, q) => assert.ok(Math.abs(v - reps[2].values[q]) < 1e-5));
    logits.dispose();
  } finally {
    net.dispose();
  }
});

test('layerGeometry: manifoldCapacity with its seeds, and the participation ratio of the covariance spectrum', () => {
  const P = 4, M = 5, width = 6;
  const values = Float32Array.from({ length: P * M * width }, (_, i) => Math.sin(1.3 * i) + (Math.floor(i / (M * width)) === (i % width) ? 2 : 0));
  const g = layerGeometry({ name: 'x', width, values }, P, M, { maxDim: 100, nT: 30, nReps: 1, seed: 7 });
  const X = Float64Array.from(values);
  const mc = manifoldCapacity(Array.from({ length: P }, (_, p) => X.subarray(p * M * width, (p + 1) * M * width)), width, { nT: 30, seed: 7, centreCorrelation: { nReps: 1, seed: 8 } });
  assert.equal(g.capacity, mc.capacity);
  assert.equal(g.N, width);
  const n = P * M, mean = Array.from({ length: width }, (_, k) => Array.from({ length: n }, (_, i) => X[i * width + k]).reduce((s, v) => s + v, 0) / n);
  const C = Array.from({ length: width }, (_, a) => Array.from({ length: width }, (_, b) => Array.from({ length: n }, (_, i) => (X[i * width + a] - mean[a]) * (X[i * width + b] - mean[b])).reduce((s, v) => s + v, 0)));
  const ev = Array.from(symEig(C).values);
  const pr = ev.reduce((s, v) => s + v, 0) ** 2 / ev.reduce((s, v) => s + v * v, 0);
  assert.ok(Math.abs(g.participationRatio - pr) < 1e-9 * pr);
  // wider than maxDim: projected to maxDim features
  assert.equal(layerGeometry({ name: 'x', width, values }, P, M, { maxDim: 5, nT: 10, nReps: 1, seed: 7 }).N, 5);
});

test('networkGeometryJob: its untrained record is layerGeometry of the same network built by hand; later records follow training', async () => {
  const man = { kind: 'exemplar' as const, P: 3, M: 4, rotate: 10, scale: 0.1, shift: 1, noise: 0.1, seed: 2 };
  const a = {
    model: 'mlp' as const, dataset: 'fashion-mnist' as const, rule: 'bp' as const, hidden: [8], seed: 1, epochs: 1, measureAt: [0, 1], trainLimit: 128, testLimit: 100,
    batchSize: 32, optimizer: { type: 'adam' as const, lr: 1e-3 }, manifolds: man, maxDim: 500, nT: 10, nReps: 1,
  };
  const r = await networkGeometryJob(a);
  assert.deepEqual(r.records.map((q) => q.epoch), [0, 1]);
  const probe = loadFashionMnist({ split: 'test', normalize: 'standard' });
  const batch = exemplarImages(probe, man);
  const net = new Network(mlp({ inputSize: 784, hidden: [8], seed: 1 }));
  try {
    const reps = representationLayers(net, batch.images, batch.count);
    reps.forEach((rep, k) => assert.equal(r.records[0].layers[k].capacity, layerGeometry(rep, 3, 4, { maxDim: 500, nT: 10, nReps: 1, seed: 100 + k }).capacity));
  } finally {
    net.dispose();
  }
  // the pixels do not change with training; the hidden layer does
  assert.equal(r.records[1].layers[0].capacity, r.records[0].layers[0].capacity);
  assert.notEqual(r.records[1].layers[1].capacity, r.records[0].layers[1].capacity);
  assert.ok(r.records[1].testAccuracy !== null && r.records[1].testAccuracy > 0.1);
});

test('factorisedTask and abstractionJob: mix 0 without noise is perfectly parallel; the job is the lib/geometry calls', async () => {
  const t = factorisedTask(3, 20, 2, 0, 0, 5);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(parallelismScore(t.rows, 20, t.factors, i) - 1) < 1e-12);
  const a = { variables: 3, dim: 20, reps: 4, noise: 0.3, mixes: [0.5], nT: 20, seed: 2 };
  const r = await abstractionJob(a);
  const u = factorisedTask(3, 20, 4, 0.3, 0.5, 2);
  assert.equal(r.points[0].ccgp, [0, 1, 2].reduce((s, i) => s + crossConditionGeneralisation(u.rows, 20, u.factors, i), 0) / 3);
  const man = Array.from({ length: 8 }, (_, c) => u.rows.subarray(c * 80, (c + 1) * 80));
  assert.equal(r.points[0].capacity, manifoldCapacity(man, 20, { nT: 20, seed: 4, centreCorrelation: false }).capacity);
  const fig = abstractionFigure(r).data as Trace[];
  assert.deepEqual(Array.from(fig[0].y), [r.points[0].ccgp]);
});

test('theoryFigure and layerFigure traces; estimatedRunSeconds and reproductionRows by hand', () => {
  const run = (radius: number, cap: number): TheoryJobResult => ({
    kind: 'ball', P: 10, M: 5, D: 3, radius, ambient: 50, seed: 1, loadFactors: [1], trials: 1, nT: 1,
    theory: { capacity: cap, radius: 1, dimension: 2 }, ball: cap / 2, ballOfGeometry: cap / 3, simulated: { dims: [5], alphas: [2], fractions: [1], capacity: cap + 1 },
  });
  const t = theoryFigure([run(2, 0.2), run(1, 0.4)], 'radius', 'ball').data as Trace[];
  assert.deepEqual(Array.from(t[0].x), [1, 2]);
  assert.deepEqual(Array.from(t[0].y), [0.4, 0.2]);
  assert.deepEqual(Array.from(t[1].y), [1.4, 1.2]);
  assert.deepEqual(Array.from(t[3].y), [0.2, 0.1]);
  const layer = (name: string, capacity: number) => ({ name, width: 1, N: 1, capacity, radius: 0, dimension: 0, K: 1, centreCorrelation: 0, participationRatio: 0 });
  const res = { records: [{ epoch: 0, testAccuracy: null, layers: [layer('input', 0.1), layer('logits', 0.2)] }, { epoch: 2, testAccuracy: 0.8, layers: [layer('input', 0.1), layer('logits', 0.5)] }] } as unknown as NetworkJobResult;
  const l = layerFigure([{ label: 'a', result: res, epoch: 2 }, { label: 'b', result: res, epoch: 0 }], 'capacity').data as Trace[];
  assert.deepEqual(Array.from(l[0].y), [0.1, 0.5]);
  assert.deepEqual(Array.from(l[1].y), [0.1, 0.2]);
  // one analysis P 10, M 10, N 100, nT 30: 2e-9 * 10 * (1e4 + 1e4) + 0.05 = 0.0504; LP n 10, m 20: 30 * (2000 + 333.3) / 2e9; epoch 1 s per 1e4 images x 2e4; 2 workers
  const s = estimatedRunSeconds({ analyses: [{ P: 10, M: 10, N: 100, nT: 30, count: 1 }], lps: [{ n: 10, m: 20, count: 1 }], epochs: [{ images: 20000, epochSeconds: 1, count: 1 }], workers: 2 });
  assert.ok(Math.abs(s - (0.0504 + (30 * (2000 + 1000 / 3)) / 2e9 + 2) / 2) < 1e-12);
  const rows = reproductionRows({ readme: 'a', theory: 'b', untangling: 'c', untrained: 'd', rules: 'e', abstraction: 'f' });
  assert.deepEqual(rows.map((r) => r.measured), ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('randomManifoldsJob: manifoldCapacity of rng(seed).child(i) Gaussian manifolds with its seeds', async () => {
  const r = await randomManifoldsJob({ P: 4, M: 3, N: 10, nT: 10, nReps: 1, seed: 6 });
  const X = Array.from({ length: 4 }, (_, i) => rng(6).child(i).normalArray(30, 0, 1, 'float64'));
  const want = manifoldCapacity(X, 10, { nT: 10, seed: 7, centreCorrelation: { nReps: 1, seed: 8 } });
  assert.equal(r.capacity, want.capacity);
  assert.equal(r.K, want.K);
});
