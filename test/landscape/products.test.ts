/**
 * Curvature products against an independent float64 reference: a scalar
 * reverse-mode tape gives exact float64 gradients of the same network, the
 * Hessian is built by central differences of those gradients, and the
 * Gauss-Newton matrix as (1/N) sum_n J_n^T H_z J_n from per-logit tape
 * gradients. The R-operator products (float32 tfjs) must match to 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { Network } from '../../lib/rules';
import type { LayerSpec } from '../../lib/rules';
import { loadMnist } from '../../lib/data';
import {
  Curvature, accuracy, curvatureOperator, curvatureProduct, flattenParameters, lossAndGradient, parameterCount, setParameters, unflattenParameters,
  logitGradients, eigenpairs, hessianVectorProduct, gaussNewtonVectorProduct,
} from '../../lib/landscape';

// ---------------------------------------------------------------- float64 scalar tape
class Tape {
  val: number[] = [];
  par: number[][] = [];
  dif: number[][] = [];
  leaf(v: number): number {
    this.val.push(v);
    this.par.push([]);
    this.dif.push([]);
    return this.val.length - 1;
  }
  node(v: number, par: number[], dif: number[]): number {
    this.val.push(v);
    this.par.push(par);
    this.dif.push(dif);
    return this.val.length - 1;
  }
  add(a: number, b: number) { return this.node(this.val[a] + this.val[b], [a, b], [1, 1]); }
  mul(a: number, b: number) { return this.node(this.val[a] * this.val[b], [a, b], [this.val[b], this.val[a]]); }
  scale(a: number, s: number) { return this.node(this.val[a] * s, [a], [s]); }
  shift(a: number, s: number) { return this.node(this.val[a] + s, [a], [1]); }
  sum(xs: number[]) { return this.node(xs.reduce((s, i) => s + this.val[i], 0), xs, xs.map(() => 1)); }
  exp(a: number) { const e = Math.exp(this.val[a]); return this.node(e, [a], [e]); }
  log(a: number) { return this.node(Math.log(this.val[a]), [a], [1 / this.val[a]]); }
  act(a: number, f: string) {
    const x = this.val[a];
    if (f === 'tanh') { const t = Math.tanh(x); return this.node(t, [a], [1 - t * t]); }
    if (f === 'sigmoid') { const s = 1 / (1 + Math.exp(-x)); return this.node(s, [a], [s * (1 - s)]); }
    if (f === 'relu') return this.node(Math.max(0, x), [a], [x > 0 ? 1 : 0]);
    return a;
  }
  max(xs: number[]) {
    let best = 0;
    xs.forEach((i, j) => { if (this.val[i] > this.val[xs[best]]) best = j; });
    return this.node(this.val[xs[best]], [xs[best]], [1]);
  }
  grad(out: number, n: number): Float64Array {
    const adj = new Float64Array(this.val.length);
    adj[out] = 1;
    for (let i = out; i >= 0; i--) {
      if (adj[i] === 0) continue;
      const p = this.par[i];
      for (let j = 0; j < p.length; j++) adj[p[j]] += adj[i] * this.dif[i][j];
    }
    return adj.slice(0, n);
  }
}

/** Builds the network's function on the tape: parameters are nodes 0..D-1; returns the logit nodes per example. */
function tapeLogits(t: Tape, specs: LayerSpec[], inputShape: number[], shapes: number[][], theta: Float64Array, xs: Float64Array[]): number[][] {
  for (const v of theta) t.leaf(v);
  const out: number[][] = [];
  for (const x of xs) {
    let shape = inputShape.slice();
    let h: number[] = Array.from(x, (v) => t.leaf(v));
    let o = 0;
    let k = 0;
    for (const s of specs) {
      if (s.kind === 'dense') {
        const [nIn, nOut] = shapes[k++];
        const next: number[] = [];
        for (let j = 0; j < nOut; j++) {
          const terms = h.map((hi, i) => t.mul(hi, o + i * nOut + j));
          next.push(t.add(t.sum(terms), o + nIn * nOut + j));
        }
        o += nIn * nOut + nOut;
        h = next;
        shape = [nOut];
      } else if (s.kind === 'conv2d') {
        const [kh, kw, cin, cout] = shapes[k++];
        const [H, W] = shape;
        const oh = H - kh + 1, ow = W - kw + 1;
        const next: number[] = [];
        for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) for (let f = 0; f < cout; f++) {
          const terms: number[] = [];
          for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let ch = 0; ch < cin; ch++) {
            terms.push(t.mul(h[((r + a) * W + (c + b)) * cin + ch], o + ((a * kw + b) * cin + ch) * cout + f));
          }
          next.push(t.add(t.sum(terms), o + kh * kw * cin * cout + f));
        }
        o += kh * kw * cin * cout + cout;
        h = next;
        shape = [oh, ow, cout];
      } else if (s.kind === 'maxpool') {
        const [H, W, C] = shape;
        const z = s.size;
        const oh = Math.floor(H / z), ow = Math.floor(W / z);
        const next: number[] = [];
        for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) for (let ch = 0; ch < C; ch++) {
          const win: number[] = [];
          for (let a = 0; a < z; a++) for (let b = 0; b < z; b++) win.push(h[((r * z + a) * W + (c * z + b)) * C + ch]);
          next.push(t.max(win));
        }
        h = next;
        shape = [oh, ow, C];
      } else if (s.kind === 'flatten') {
        shape = [h.length];
      } else if (s.kind === 'activation') {
        h = h.map((a) => t.act(a, s.activation));
      }
    }
    out.push(h);
  }
  return out;
}

function tapeLoss(t: Tape, logits: number[][], labels: number[], loss: 'cross-entropy' | 'mse'): number {
  const n = logits.length;
  const perExample = logits.map((z, i) => {
    if (loss === 'mse') {
      return t.scale(t.sum(z.map((zc, c) => { const d = t.shift(zc, c === labels[i] ? -1 : 0); return t.mul(d, d); })), 0.5);
    }
    const m = Math.max(...z.map((zc) => t.val[zc]));
    const lse = t.shift(t.log(t.sum(z.map((zc) => t.exp(t.shift(zc, -m))))), m);
    return t.add(lse, t.scale(z[labels[i]], -1));
  });
  return t.scale(t.sum(perExample), 1 / n);
}

interface Problem { net: Network; specs: LayerSpec[]; inputShape: number[]; shapes: number[][]; xs: Float64Array[]; labels: number[]; x: tf.Tensor; y: tf.Tensor }

function makeProblem(specs: LayerSpec[], inputShape: number[], n: number, loss: 'cross-entropy' | 'mse', seed: number): Problem {
  const net = new Network({ inputShape, layers: specs, seed, loss });
  // Xavier draws are small; spread the weights so curvature terms of every kind matter.
  const rng = new Rng(seed + 100);
  const theta = flattenParameters(net).map((v) => v * 1.5 + 0.1 * rng.normal());
  setParameters(net, Float32Array.from(theta));
  const size = inputShape.reduce((a, b) => a * b, 1);
  const xData = rng.normalArray(n * size, 0, 1, 'float32') as Float32Array;
  const labels = Array.from({ length: n }, (_, i) => i % net.outputSize);
  const xs = Array.from({ length: n }, (_, i) => Float64Array.from(xData.subarray(i * size, (i + 1) * size)));
  const shapes = net.paramLayers.map((l) => l.weight.shape.slice());
  return { net, specs, inputShape, shapes, xs, labels, x: tf.tensor(xData, [n, ...inputShape]), y: tf.tensor1d(labels, 'int32') };
}

function referenceGradient(pb: Problem, theta: Float64Array, loss: 'cross-entropy' | 'mse'): { loss: number; grad: Float64Array } {
  const t = new Tape();
  const z = tapeLogits(t, pb.specs, pb.inputShape, pb.shapes, theta, pb.xs);
  const l = tapeLoss(t, z, pb.labels, loss);
  return { loss: t.val[l], grad: t.grad(l, theta.length) };
}

function referenceHessian(pb: Problem, loss: 'cross-entropy' | 'mse'): Float64Array[] {
  const theta0 = flattenParameters(pb.net);
  const d = theta0.length;
  const eps = 1e-5;
  const cols: Float64Array[] = [];
  for (let i = 0; i < d; i++) {
    const tp = Float64Array.from(theta0); tp[i] += eps;
    const tm = Float64Array.from(theta0); tm[i] -= eps;
    const gp = referenceGradient(pb, tp, loss).grad;
    const gm = referenceGradient(pb, tm, loss).grad;
    cols.push(gp.map((v, j) => (v - gm[j]) / (2 * eps)));
  }
  return cols; // column i = H e_i
}

function referenceGaussNewton(pb: Problem, loss: 'cross-entropy' | 'mse'): Float64Array[] {
  const theta = flattenParameters(pb.net);
  const d = theta.length;
  const n = pb.xs.length;
  const g: Float64Array[] = Array.from({ length: d }, () => new Float64Array(d));
  pb.xs.forEach((x, e) => {
    const t = new Tape();
    const z = tapeLogits(t, pb.specs, pb.inputShape, pb.shapes, theta, [x])[0];
    const J = z.map((zc) => t.grad(zc, d));
    const zv = z.map((zc) => t.val[zc]);
    const C = zv.length;
    const m = Math.max(...zv);
    const ez = zv.map((v) => Math.exp(v - m));
    const p = ez.map((v) => v / ez.reduce((a, b) => a + b, 0));
    const hz = (a: number, b: number) => (loss === 'mse' ? (a === b ? 1 : 0) : (a === b ? p[a] : 0) - p[a] * p[b]);
    for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) {
      const w = hz(a, b) / n;
      if (w === 0) continue;
      for (let i = 0; i < d; i++) {
        const wi = w * J[a][i];
        if (wi === 0) continue;
        const row = g[i];
        const jb = J[b];
        for (let j = 0; j < d; j++) row[j] += wi * jb[j];
      }
    }
  });
  return g;
}

const matVec = (cols: Float64Array[], v: Float64Array) => {
  const out = new Float64Array(v.length);
  cols.forEach((c, i) => { for (let j = 0; j < out.length; j++) out[j] += c[j] * v[i]; });
  return out;
};
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / den);
};

function checkProducts(pb: Problem, loss: 'cross-entropy' | 'mse', label: string): void {
  const H = referenceHessian(pb, loss);
  const G = referenceGaussNewton(pb, loss);
  const d = H.length;
  const data = { x: pb.x, y: pb.y };
  // The gradient is checked too (its float32 path feeds every probe).
  const ref = referenceGradient(pb, flattenParameters(pb.net), loss);
  const lg = lossAndGradient(pb.net, data, { loss, batchSize: 3 });
  assert.ok(Math.abs(lg.loss - ref.loss) < 1e-5 * Math.abs(ref.loss), `${label} loss ${lg.loss} vs ${ref.loss}`);
  assert.ok(relErr(lg.gradient, ref.grad) < 1e-5, `${label} gradient error ${relErr(lg.gradient, ref.grad)}`);
  const rng = new Rng(7);
  for (let trial = 0; trial < 3; trial++) {
    const v = rng.normalArray(d, 0, 1, 'float64') as Float64Array;
    const hv = matVec(H, v);
    const gv = matVec(G, v);
    // batchSize 3 splits the rows into unequal chunks: exercises the weighting.
    const eh = relErr(curvatureProduct(pb.net, data, v, 'hessian', { loss, batchSize: 3 }), hv);
    const eg = relErr(curvatureProduct(pb.net, data, v, 'gauss-newton', { loss, batchSize: 3 }), gv);
    const er = relErr(curvatureProduct(pb.net, data, v, 'residual', { loss }), hv.map((x, i) => x - gv[i]));
    assert.ok(eh < 1e-4, `${label}: Hv relative error ${eh}`);
    assert.ok(eg < 1e-4, `${label}: Gv relative error ${eg}`);
    assert.ok(er < 1e-3, `${label}: (H-G)v relative error ${er}`);
  }
  // H and G really differ here (otherwise the G test would not check the residual terms).
  const v = rng.normalArray(d, 0, 1, 'float64') as Float64Array;
  assert.ok(relErr(matVec(G, v), matVec(H, v)) > 1e-2, `${label}: H and G coincide; test point too trivial`);
}

const mlp = (act: 'tanh' | 'relu' | 'sigmoid'): LayerSpec[] => [
  { kind: 'dense', units: 5 }, { kind: 'activation', activation: act },
  { kind: 'dense', units: 4 }, { kind: 'activation', activation: act },
  { kind: 'dense', units: 3 },
];

for (const act of ['tanh', 'relu', 'sigmoid'] as const) {
  for (const loss of ['cross-entropy', 'mse'] as const) {
    test(`R-operator H v, G v, (H-G) v match the float64 reference: MLP ${act}, ${loss}`, () => {
      const pb = makeProblem(mlp(act), [4], 7, loss, 3);
      const before = tf.memory().numTensors;
      checkProducts(pb, loss, `${act}/${loss}`);
      assert.equal(tf.memory().numTensors, before, 'tensor count grew');
      tf.dispose([pb.x, pb.y]);
      pb.net.dispose();
    });
  }
}

test('R-operator products match the float64 reference for a conv net (conv2d, tanh, maxpool, flatten, dense)', () => {
  const specs: LayerSpec[] = [
    { kind: 'conv2d', filters: 3, kernelSize: 3 }, { kind: 'activation', activation: 'tanh' },
    { kind: 'maxpool', size: 2 }, { kind: 'flatten' },
    { kind: 'dense', units: 3 },
  ];
  for (const loss of ['cross-entropy', 'mse'] as const) {
    const pb = makeProblem(specs, [6, 6, 2], 5, loss, 11);
    checkProducts(pb, loss, `conv/${loss}`);
    tf.dispose([pb.x, pb.y]);
    pb.net.dispose();
  }
});

test('curvature operators leak no tensors, count products, and Lanczos on them finds the explicit top eigenvalue', () => {
  const pb = makeProblem(mlp('tanh'), [4], 6, 'cross-entropy', 5);
  const H = referenceHessian(pb, 'cross-entropy');
  const d = H.length;
  const dense = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => 0.5 * (H[i][j] + H[j][i])));
  const exactTop = Math.max(...(require('../../lib/core').symEig(dense).values as Float64Array));
  const before = tf.memory().numTensors;
  const op = curvatureOperator(pb.net, { x: pb.x, y: pb.y }, 'hessian', { batchSize: 4 });
  const r = eigenpairs(op, 2, { steps: d, seed: 1, progress: 'silent' });
  assert.equal(op.products, r.products);
  assert.ok(Math.abs(r.values[0] - exactTop) < 1e-4 * Math.abs(exactTop), `${r.values[0]} vs ${exactTop}`);
  // The cached forward state follows the parameters: after an assignment the operator gives the new Hessian.
  const v = new Rng(3).normalArray(d, 0, 1, 'float64') as Float64Array;
  const theta = flattenParameters(pb.net);
  setParameters(pb.net, Float32Array.from(theta, (t) => t * 0.7));
  const fresh = curvatureProduct(pb.net, { x: pb.x, y: pb.y }, v, 'hessian');
  const cached = op.apply(v);
  assert.ok(relErr(cached, fresh) < 1e-6, `stale cache: ${relErr(cached, fresh)}`);
  setParameters(pb.net, theta);
  op.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors left after dispose');
  tf.dispose([pb.x, pb.y]);
  pb.net.dispose();
});

test('flatten/unflatten round-trip and logit gradients equal the tape gradient of each logit', () => {
  const pb = makeProblem(mlp('sigmoid'), [4], 2, 'cross-entropy', 9);
  const theta = flattenParameters(pb.net);
  assert.equal(theta.length, parameterCount(pb.net));
  assert.equal(theta.length, pb.net.parameterCount);
  const parts = unflattenParameters(pb.net, theta);
  assert.deepEqual(Array.from(parts[1].weight.dataSync()), Array.from(pb.net.paramLayers[1].weight.dataSync()));
  parts.forEach((p) => tf.dispose([p.weight, p.bias!]));
  const lg = logitGradients(pb.net, pb.x, [0, 2]);
  assert.deepEqual(lg.logit, [0, 2, 0, 2]);
  const t = new Tape();
  const z = tapeLogits(t, pb.specs, pb.inputShape, pb.shapes, theta, [pb.xs[1]])[0];
  assert.ok(relErr(lg.gradients[3], t.grad(z[2], theta.length)) < 1e-5);
  assert.throws(() => curvatureProduct(pb.net, { x: pb.x, y: pb.y }, new Float64Array(3)), /v: expected a vector of length 64/);
  assert.throws(() => curvatureProduct(pb.net, { x: pb.x, y: tf.tensor1d([0, 7], 'int32') }, theta), /data\.y: expected labels in \[0, 2\], got 7/);
  assert.throws(() => curvatureProduct(pb.net, { x: tf.zeros([2, 5]), y: pb.y }, theta), /data\.x: expected shape \[N, 4\]/);
  tf.dispose([pb.x, pb.y]);
  pb.net.dispose();
});

test("a loader's ImageDataset, flat arrays and tensors give the same curvature products (MLP and conv net)", () => {
  const images = loadMnist({ split: 'test', limit: 24 });
  const mlpNet = new Network({ inputShape: [784], layers: [{ kind: 'dense', units: 6 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 10 }], seed: 2 });
  const convNet = new Network({
    inputShape: [28, 28, 1], seed: 3,
    layers: [{ kind: 'conv2d', filters: 2, kernelSize: 5 }, { kind: 'activation', activation: 'relu' }, { kind: 'maxpool', size: 4 }, { kind: 'flatten' }, { kind: 'dense', units: 10 }],
  });
  for (const net of [mlpNet, convNet]) {
    // The equivalent tensors, built here from the raw arrays: x [N, ...inputShape], integer labels or one-hot targets.
    const x = tf.tensor(images.images, [images.count, ...net.inputShape]);
    const labels = tf.tensor1d(images.labels, 'int32');
    const onehot = tf.oneHot(labels, 10).toFloat();
    const v = new Rng(5).normalArray(parameterCount(net), 0, 1, 'float64') as Float64Array;
    const tensors = new Curvature(net, { x, y: labels });
    const hv = tensors.product(v);
    const gv = tensors.product(v, 'gauss-newton');
    const lg = tensors.lossAndGradient();
    tensors.dispose();
    const before = tf.memory().numTensors;
    const fromLoader = new Curvature(net, images);
    const fromArrays = new Curvature(net, { x: images.images, y: Array.from(images.labels), count: images.count });
    assert.deepEqual(fromLoader.product(v), hv);
    assert.deepEqual(fromArrays.product(v), hv);
    assert.deepEqual(fromLoader.product(v, 'gauss-newton'), gv);
    assert.deepEqual(fromLoader.lossAndGradient(), lg);
    assert.deepEqual(curvatureProduct(net, { x, y: onehot }, v), hv);
    assert.equal(accuracy(net, images), accuracy(net, { x, y: labels }));
    fromLoader.dispose();
    fromArrays.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors made from the loader output are freed on dispose');
    // A data set of the wrong size for the network names the argument.
    assert.throws(() => new Curvature(net, { x: images.images.subarray(0, 100), y: images.labels, count: images.count }), /data\.x: expected 24 x/);
    tf.dispose([x, labels, onehot]);
  }
  mlpNet.dispose();
  convNet.dispose();
});

test('a non-finite or float32-overflowing vector, or a non-finite data.x, is an ArgumentError naming it (never an all-NaN product)', () => {
  const pb = makeProblem(mlp('tanh'), [4], 6, 'mse', 13);
  const d = parameterCount(pb.net);
  const op = curvatureOperator(pb.net, { x: pb.x, y: pb.y });
  const gnOp = curvatureOperator(pb.net, { x: pb.x, y: pb.y }, 'gauss-newton');
  const c = new Curvature(pb.net, { x: pb.x, y: pb.y });
  for (const [bad, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [1e39, '1e\\+39']] as const) {
    const v = new Float64Array(d).fill(0.1);
    v[5] = bad;
    const named = new RegExp(`^ArgumentError: v: expected finite values within float32 range \\(\\|x\\| <= 3\\.4028e\\+38\\), got ${shown} at index 5`);
    assert.throws(() => curvatureProduct(pb.net, { x: pb.x, y: pb.y }, v), named);
    assert.throws(() => hessianVectorProduct(pb.net, { x: pb.x, y: pb.y }, v), named);
    assert.throws(() => gaussNewtonVectorProduct(pb.net, { x: pb.x, y: pb.y }, v), named);
    assert.throws(() => op.apply(v), named);
    assert.throws(() => gnOp.apply(v), named);
    assert.throws(() => c.product(v, 'residual'), named);
  }
  // The largest float32 is still a vector (and the limit is not applied to values that round to it).
  const edge = new Float64Array(d);
  edge[0] = 3.4028234663852886e38;
  assert.doesNotThrow(() => c.product(edge));
  op.dispose();
  gnOp.dispose();
  c.dispose();
  // data.x with one NaN pixel: named at construction, before any product.
  const xs = pb.x.arraySync() as number[][];
  xs[3][2] = NaN;
  const xBad = tf.tensor2d(xs);
  const v = new Float64Array(d).fill(0.1);
  assert.throws(() => curvatureOperator(pb.net, { x: xBad, y: pb.y }), /^ArgumentError: data\.x: expected finite values, got NaN at flat index 14/);
  assert.throws(() => curvatureProduct(pb.net, { x: xBad, y: pb.y }, v, 'gauss-newton'), /data\.x: expected finite values, got NaN/);
  assert.throws(() => curvatureProduct(pb.net, { x: Float32Array.from(xBad.dataSync()), y: pb.labels, count: 6 }, v), /data\.x: expected finite values/);
  tf.dispose([xBad, pb.x, pb.y]);
  pb.net.dispose();
});
