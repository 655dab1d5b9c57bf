/**
 * Curvature products through every layer kind lib/rules builds beyond the
 * dense/conv/pool networks of products.test.ts: batch norm (batch and
 * running statistics), residual blocks with conv and batch-norm bodies,
 * layer norm, GELU, attention, patch embedding, token mean, a locally
 * connected layer, Gaussian noise (evaluation mode) and the Poisson loss.
 *
 * Independent reference: the loss written from each layer's `forward` and
 * differentiated by tfjs autodiff (tf.variableGrads over Network.paramLayers'
 * weights and biases, then Network.extraParameters: lib/rules' own order),
 * and H v as central differences of that gradient, Richardson-extrapolated:
 *   D(h) = (g(t + h v) - g(t - h v)) / 2h,  Hv ~ (4 D(h/2) - D(h)) / 3,
 * truncation O(h^4) (h = 0.02, ||v|| = 1). Both sides are float32: the
 * gradient's rounding (~1e-7 relative) divided by 2h gives ~1e-5, the
 * parameters' rounding at t +- h v about as much; measured agreement is
 * 1.7e-5..7.3e-5 (relative 2-norm, every net here), so the tolerance is 2e-3.
 * The errors it guards against are far larger: without the layers' psi
 * terms (products.ts header) H v was off by 6.2e-1 (batch norm), 8.7e-2
 * (residual conv body), 4.5e-1 (layer norm + GELU), 1.05e-1 (attention);
 * the Poisson curvature without its y terms by 2.4e-1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { Network, resnet, vit } from '../../lib/rules';
import type { LayerSpec, LossName, NetworkOptions } from '../../lib/rules';
import { Curvature, flattenParameters, parameterCount, setParameters, curvatureProduct, type CurvatureNetwork } from '../../lib/landscape';

const TOL = 2e-3;

interface Problem {
  net: Network;
  x: tf.Tensor;
  y: tf.Tensor;
  loss: LossName;
}

function problem(inputShape: number[], layers: LayerSpec[], loss: LossName = 'cross-entropy', seed = 1, n = 8): Problem {
  return problemOf({ inputShape, layers, seed, loss }, n);
}

function problemOf(options: NetworkOptions, n: number): Problem {
  const net = new Network(options);
  const { inputShape, loss = 'cross-entropy', seed = 0 } = options;
  const rng = new Rng(seed + 100);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(rng.normalArray(n * size, 0, 1) as Float32Array, [n, ...inputShape]);
  const c = net.outputSize;
  const y = loss === 'poisson'
    ? tf.tensor2d(Float32Array.from({ length: n * c }, () => Math.floor(rng.uniform() * 4)), [n, c])
    : tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % c), 'int32'), c).toFloat();
  // Move the parameters off their initial values (unit gains, zero shifts) so that every term is generic.
  const theta = flattenParameters(net);
  const jitter = new Rng(seed + 200);
  setParameters(net, theta.map((t) => t + 0.3 * jitter.normal()));
  return { net, x, y, loss };
}

function nested(layers: readonly CurvatureNetwork['layers'][number][]): CurvatureNetwork['layers'][number][] {
  return layers.flatMap((l) => (l.body ? [l, ...nested(l.body)] : [l]));
}

/** The reference gradient (see the header): lib/rules' parameter order, tfjs autodiff of the layers' forward passes. */
function referenceGradient(p: Problem, batchStatistics: boolean): Float64Array {
  for (const l of nested(p.net.layers)) l.setTraining?.(l.kind === 'gaussian-noise' ? false : batchStatistics);
  const vars = [...p.net.paramLayers.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]), ...p.net.extraParameters];
  const n = p.x.shape[0];
  const { grads, value } = tf.variableGrads(() => {
    const z = p.net.layers.reduce((h: tf.Tensor, l) => l.forward(h), p.x);
    if (p.loss === 'mse') return z.sub(p.y).square().sum().div(2 * n) as tf.Scalar;
    if (p.loss === 'poisson') {
      const r = tf.softplus(z);
      return r.sub(p.y.mul(tf.log(r))).sum().div(n) as tf.Scalar;
    }
    return tf.logSoftmax(z as tf.Tensor2D).mul(p.y).sum().neg().div(n) as tf.Scalar;
  }, vars);
  const out = new Float64Array(vars.reduce((a, v) => a + v.size, 0));
  let o = 0;
  for (const v of vars) {
    out.set(grads[v.name].dataSync(), o);
    o += v.size;
  }
  tf.dispose([...Object.values(grads), value]);
  return out;
}

function fdHessianProduct(p: Problem, v: Float64Array, batchStatistics: boolean, h = 0.02): Float64Array {
  const theta = flattenParameters(p.net);
  const diff = (step: number) => {
    setParameters(p.net, theta.map((t, i) => t + step * v[i]));
    const gp = referenceGradient(p, batchStatistics);
    setParameters(p.net, theta.map((t, i) => t - step * v[i]));
    const gm = referenceGradient(p, batchStatistics);
    return gp.map((g, i) => (g - gm[i]) / (2 * step));
  };
  const d1 = diff(h);
  const d2 = diff(h / 2);
  setParameters(p.net, theta);
  return d2.map((d, i) => (4 * d - d1[i]) / 3);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0;
  for (let i = 0; i < a.length; i++) num += (a[i] - b[i]) ** 2;
  return Math.sqrt(num / dot(b, b));
};

function unitVector(d: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const v = Float64Array.from({ length: d }, () => rng.normal());
  const s = Math.sqrt(dot(v, v));
  return v.map((x) => x / s);
}

/** H v (tensor path) against differences, the gradient against autodiff, the parameter count; returns H v's relative error. */
function checkProblem(p: Problem, batchStatistics: boolean, label: string): number {
  const d = parameterCount(p.net);
  assert.equal(d, p.net.parameterCount, `${label}: parameterCount`);
  // Order: lib/rules' parameterPairs (paramLayers' weight, bias, then extraParameters).
  const pairs = [...p.net.paramLayers.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]), ...p.net.extraParameters];
  assert.deepEqual(Array.from(flattenParameters(p.net)), pairs.flatMap((t) => Array.from(t.dataSync())), `${label}: parameter order`);
  const c = new Curvature(p.net, { x: p.x, y: p.y }, { batchStatistics });
  try {
    const { gradient } = c.lossAndGradient();
    const gRef = referenceGradient(p, batchStatistics);
    assert.ok(relErr(gradient, gRef) < 1e-4, `${label}: gradient relative error ${relErr(gradient, gRef)}`);
    const v = unitVector(d, 7);
    const hv = c.product(v, 'hessian');
    const ref = fdHessianProduct(p, v, batchStatistics);
    const err = relErr(hv, ref);
    assert.ok(err < TOL, `${label}: H v relative error ${err.toExponential(2)} against differences`);
    return err;
  } finally {
    c.dispose();
  }
}

/** G is symmetric and PSD, H symmetric, and H - G is the residual product. */
function checkSymmetry(p: Problem, batchStatistics: boolean, label: string): void {
  const c = new Curvature(p.net, { x: p.x, y: p.y }, { batchStatistics });
  try {
    const u = unitVector(c.dim, 11);
    const v = unitVector(c.dim, 12);
    c.product(u, 'hessian');
    const tensors = tf.memory().numTensors;
    const gu = c.product(u, 'gauss-newton');
    const gv = c.product(v, 'gauss-newton');
    const scale = Math.sqrt(dot(gu, gu) * dot(gv, gv)) ** 0.5;
    assert.ok(Math.abs(dot(u, gv) - dot(v, gu)) < 1e-4 * scale, `${label}: u^T G v ${dot(u, gv)} vs v^T G u ${dot(v, gu)}`);
    assert.ok(dot(v, gv) >= -1e-6 * scale && dot(u, gu) >= -1e-6 * scale, `${label}: v^T G v ${dot(v, gv)} < 0`);
    const hu = c.product(u, 'hessian');
    const hv = c.product(v, 'hessian');
    assert.ok(Math.abs(dot(u, hv) - dot(v, hu)) < 1e-4 * Math.sqrt(dot(hu, hu) + dot(hv, hv)), `${label}: u^T H v vs v^T H u`);
    const rv = c.product(v, 'residual');
    assert.ok(relErr(rv, hv.map((h, i) => h - gv[i])) < 1e-4, `${label}: residual product`);
    assert.equal(tf.memory().numTensors, tensors, `${label}: tensors leaked by the products`);
  } finally {
    c.dispose();
  }
}

function done(p: Problem): void {
  tf.dispose([p.x, p.y]);
  p.net.dispose();
}

test('batch norm (batch and running statistics) and a noise layer: exact H v, symmetric PSD G, full parameter vector', () => {
  const p = problem([5], [
    { kind: 'dense', units: 6 }, { kind: 'batchnorm' }, { kind: 'gaussian-noise', sigma: 0.5 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 3 },
  ]);
  const bn = p.net.layers[1] as unknown as { runningMean: tf.Variable; runningVar: tf.Variable };
  bn.runningMean.assign(tf.tensor1d([0.1, -0.2, 0.3, 0, 0.2, -0.1]));
  bn.runningVar.assign(tf.tensor1d([0.5, 1.5, 1, 2, 0.8, 1.2]));
  checkProblem(p, true, 'batch norm, batch statistics');
  checkProblem(p, false, 'batch norm, running statistics');
  checkSymmetry(p, true, 'batch norm');
  done(p);
});

test('a residual block with a conv - batch norm - tanh - conv body, and a strided one: exact H v, full parameter vector', () => {
  const p = problem([4, 4, 2], [
    { kind: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' },
    { kind: 'residual', body: [{ kind: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' }, { kind: 'batchnorm' }, { kind: 'activation', activation: 'tanh' }, { kind: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' }] },
    { kind: 'residual', body: [{ kind: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 'same' }, { kind: 'activation', activation: 'tanh' }] },
    { kind: 'flatten' }, { kind: 'dense', units: 3 },
  ], 'cross-entropy', 2, 6);
  checkProblem(p, true, 'residual conv');
  checkSymmetry(p, true, 'residual conv');
  done(p);
});

test('layer norm and GELU on tokens, and an attention block on patch embeddings: exact H v, symmetric PSD G', () => {
  const ln = problem([4, 3], [
    { kind: 'dense', units: 5 }, { kind: 'layer-norm' }, { kind: 'gelu' }, { kind: 'dense', units: 4 }, { kind: 'token-mean' }, { kind: 'dense', units: 3 },
  ], 'cross-entropy', 3);
  checkProblem(ln, true, 'layer norm + gelu');
  done(ln);
  const att = problem([4, 4, 1], [
    { kind: 'patch-embedding', patchSize: 2, units: 4 },
    { kind: 'residual', body: [{ kind: 'layer-norm' }, { kind: 'dense', units: 12 }, { kind: 'attention', heads: 2 }, { kind: 'dense', units: 4 }] },
    { kind: 'residual', body: [{ kind: 'layer-norm' }, { kind: 'dense', units: 6 }, { kind: 'gelu' }, { kind: 'dense', units: 4 }] },
    { kind: 'token-mean' }, { kind: 'dense', units: 3 },
  ], 'mse', 4, 6);
  checkProblem(att, true, 'attention block');
  checkSymmetry(att, true, 'attention block');
  done(att);
});

test('a locally connected layer, and the Poisson loss: exact H v; G symmetric PSD under the Poisson loss', () => {
  const lc = problem([5, 5, 1], [
    { kind: 'locally-connected', filters: 2, kernelSize: 3 }, { kind: 'activation', activation: 'sigmoid' }, { kind: 'flatten' }, { kind: 'dense', units: 3 },
  ], 'cross-entropy', 5);
  checkProblem(lc, true, 'locally connected');
  done(lc);
  const po = problem([5], [{ kind: 'dense', units: 6 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 3 }], 'poisson', 6);
  checkProblem(po, true, 'poisson');
  checkSymmetry(po, true, 'poisson');
  const c = new Curvature(po.net, { x: po.x, y: po.y });
  assert.match(c.path, /^tensor: the poisson loss/);
  c.dispose();
  done(po);
});

test("lib/rules' model builders: a ResNet (conv - batch norm bodies, strided shortcuts) and a ViT give exact H v", () => {
  const res = problemOf(resnet({ depth: 8, width: 2, inputShape: [8, 8, 1], classes: 3, activation: 'tanh', seed: 7 }), 6);
  checkProblem(res, true, 'resnet');
  done(res);
  const vt = problemOf(vit({ inputShape: [8, 8, 1], patchSize: 4, width: 4, depth: 1, heads: 2, mlpWidth: 6, classes: 3, seed: 8 }), 6);
  checkProblem(vt, true, 'vit');
  checkSymmetry(vt, true, 'vit');
  done(vt);
});

test('a layer kind without exact products is refused by name and index; the fused path names why it does not apply', () => {
  const p = problem([5], [{ kind: 'dense', units: 4 }, { kind: 'batchnorm' }, { kind: 'dense', units: 3 }]);
  const mystery = { kind: 'softsign', outputShape: [4], forward: (x: tf.Tensor) => x, backward: (d: tf.Tensor) => d, jvp: (_x: tf.Tensor, y: tf.Tensor) => y };
  const odd: CurvatureNetwork = { layers: [p.net.layers[0], mystery, p.net.layers[2]], inputShape: [5], outputSize: 3, loss: 'cross-entropy' };
  assert.throws(() => parameterCount(odd), /net\.layers\[1\] \(softsign\): expected a layer kind with exact curvature products: dense, conv2d, locally-connected, .*batchnorm, layer-norm, attention, residual, got kind "softsign"/);
  const inBody: CurvatureNetwork = { layers: [p.net.layers[0], { ...mystery, kind: 'residual', body: [mystery], mergeBody: (a: tf.Tensor) => a, bypass: (d: tf.Tensor) => d }, p.net.layers[2]], inputShape: [5], outputSize: 3, loss: 'cross-entropy' };
  assert.throws(() => curvatureProduct(inBody, { x: p.x, y: p.y }, new Float64Array(39)), /net\.layers\[1\]\.body\[0\] \(softsign\): expected a layer kind/);
  const c = new Curvature(p.net, { x: p.x, y: p.y });
  assert.match(c.path, /^tensor: (layers\[1\] \(batchnorm\): the fused code takes|the native add-on has no hvpDense)/);
  c.dispose();
  done(p);
});
