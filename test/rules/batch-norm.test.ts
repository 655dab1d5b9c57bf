/**
 * Batch normalisation (lib/rules/batch-norm.ts) against independent
 * references: a float64 hand computation of its forward pass, float64
 * central differences of that hand computation, and tfjs autodiff of the
 * textbook formula, in training (batch statistics) and evaluation (running
 * statistics) mode; its running statistics after Network.trainStep against a
 * hand computation from the layer's inputs; its jvp against finite
 * differences; a network with batch norm: BP gradients (weights, biases,
 * gamma, beta) equal autodiff, the backward pass through batch norm is exact
 * under FA, saving keeps the statistics. The fused path's batch norm:
 * fused-norm.test.ts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BatchNorm, layerFromSpec, Network, Optimizer, vggBatchNorm, type NetworkOptions } from '../../lib/rules';
import { randomLabels, randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const EPS = 1e-5;

/** Float64 batch norm of x (rows of `c` channels): y and the per-channel mean and biased variance used. */
function bnF64(x: Float64Array, c: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, stats?: { mean: ArrayLike<number>; variance: ArrayLike<number> }) {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  if (stats) {
    mean.set(stats.mean);
    variance.set(stats.variance);
  } else {
    for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / m;
    for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / m;
  }
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = (gamma[i % c] * (x[i] - mean[i % c])) / Math.sqrt(variance[i % c] + EPS) + beta[i % c];
  return { y, mean, variance };
}

/** A built batch-norm layer with gamma, beta (and running statistics) set. */
function bnLayer(shape: number[], seed: number): BatchNorm {
  const bn = layerFromSpec({ kind: 'batchnorm' }) as BatchNorm;
  bn.build(shape);
  const c = shape[shape.length - 1];
  tf.tidy(() => {
    bn.gamma.assign(randomTensor([c], seed, 0.5).add(1));
    bn.beta.assign(randomTensor([c], seed + 1, 0.5));
    bn.runningMean.assign(randomTensor([c], seed + 2, 0.3));
    bn.runningVar.assign(randomTensor([c], seed + 3, 0.3).abs().add(0.5));
  });
  return bn;
}

const f64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

for (const shape of [[6, 4], [3, 4, 5, 3]]) {
  for (const training of [true, false]) {
    const mode = training ? 'train' : 'eval';
    test(`batch norm ${mode} [${shape}]: forward equals float64; backward equals autodiff and float64 central differences; gamma/beta gradients equal autodiff`, () => {
      const before = tf.memory().numTensors;
      const c = shape[shape.length - 1];
      const bn = bnLayer(shape.slice(1), 10);
      bn.setTraining(training);
      const x = tf.tidy(() => randomTensor(shape, 20, 2).add(0.7));
      const u = randomTensor(shape, 21);
      const gamma = f64(bn.gamma);
      const beta = f64(bn.beta);
      const stats = training ? undefined : { mean: f64(bn.runningMean), variance: f64(bn.runningVar) };
      const y = bn.forward(x);
      const ref = bnF64(f64(x), c, gamma, beta, stats);
      assert.ok(relErr(y, ref.y) < 1e-6, `forward ${relErr(y, ref.y)}`);

      // Autodiff of the textbook formula in tfjs ops, d<u, y>/d(x, gamma, beta).
      const axes = shape.slice(0, -1).map((_, i) => i);
      const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const mean = training ? xx.mean(axes) : bn.runningMean;
        const variance = training ? xx.sub(xx.mean(axes)).square().mean(axes) : bn.runningVar;
        return xx.sub(mean).div(variance.add(EPS).sqrt()).mul(g).add(b).mul(u).sum() as tf.Scalar;
      };
      const [gx, gg, gb] = tf.grads(f)([x, bn.gamma, bn.beta]);
      const dx = bn.backward(u, x);
      const [dg, db] = bn.parameterGradients(u, x);
      assert.ok(relErr(dx, gx) < 1e-5, `dx vs autodiff ${relErr(dx, gx)}`);
      assert.ok(relErr(dg, gg) < 1e-5 && relErr(db, gb) < 1e-5, `dgamma ${relErr(dg, gg)}, dbeta ${relErr(db, gb)}`);

      // Float64 central differences of <u, y(x)> on the hand computation, at every entry.
      const x64 = f64(x);
      const u64 = f64(u);
      const h = 1e-5;
      const fd = x64.map((_, i) => {
        const xp = x64.slice();
        const xm = x64.slice();
        xp[i] += h;
        xm[i] -= h;
        return (dot(u64, bnF64(xp, c, gamma, beta, stats).y) - dot(u64, bnF64(xm, c, gamma, beta, stats).y)) / (2 * h);
      });
      assert.ok(relErr(dx, fd) < 1e-5, `dx vs finite differences ${relErr(dx, fd)}`);
      tf.dispose([x, u, y, gx, gg, gb, dx, dg, db]);
      bn.dispose();
      assert.equal(tf.memory().numTensors, before);
    });

    test(`batch norm ${mode} [${shape}]: jvp (input and gamma/beta tangents) equals float64 central differences and is the adjoint of backward`, () => {
      const c = shape[shape.length - 1];
      const bn = bnLayer(shape.slice(1), 30);
      bn.setTraining(training);
      const x = randomTensor(shape, 40, 1.5);
      const v = randomTensor(shape, 41);
      const vg = randomTensor([c], 42);
      const vb = randomTensor([c], 43);
      const u = randomTensor(shape, 44);
      const y = bn.forward(x);
      const jv = bn.jvp(x, y, v, { weight: vg, bias: vb });
      const gamma = f64(bn.gamma);
      const beta = f64(bn.beta);
      const stats = training ? undefined : { mean: f64(bn.runningMean), variance: f64(bn.runningVar) };
      const [x64, v64, g64, b64] = [x, v, vg, vb].map(f64);
      const h = 1e-6;
      const at = (s: number) =>
        bnF64(x64.map((xi, i) => xi + s * v64[i]), c, gamma.map((g, i) => g + s * g64[i]), beta.map((b, i) => b + s * b64[i]), stats).y;
      const yp = at(h);
      const ym = at(-h);
      const fd = yp.map((p, i) => (p - ym[i]) / (2 * h));
      assert.ok(relErr(jv, fd) < 1e-5, `jvp vs finite differences ${relErr(jv, fd)}`);
      // <J v, u> = <v, J^T u> for the input part.
      const jx = bn.jvp(x, y, v);
      const jtu = bn.backward(u, x);
      const lhs = dot(f64(jx), f64(u));
      const rhs = dot(v64, f64(jtu));
      assert.ok(Math.abs(lhs - rhs) < 1e-4 * (Math.abs(lhs) + 1), `${lhs} vs ${rhs}`);
      tf.dispose([x, v, vg, vb, u, y, jv, jx, jtu]);
      bn.dispose();
    });
  }
}

/** dense 5 - batchnorm - tanh - dense 3 on 4 inputs. */
const denseBn = (rule: 'bp' | 'fa' = 'bp', momentum?: number): NetworkOptions => ({
  inputShape: [4],
  layers: [{ kind: 'dense', units: 5 }, { kind: 'batchnorm', momentum }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 3 }],
  seed: 3,
  rule,
});

test('a training batch\'s statistics are computed once per input tensor: another batch, a disposed one or a new tensor of other values gets its own', () => {
  const shape = [6, 3, 3, 4];
  const bn = bnLayer(shape.slice(1), 11);
  const fresh = bnLayer(shape.slice(1), 11); // the same gamma, beta, running statistics; no earlier batch
  bn.setTraining(true);
  fresh.setTraining(true);
  const x1 = randomTensor(shape, 21, 1);
  const x2 = randomTensor(shape, 22, 2).add(0.5);
  const dy = randomTensor(shape, 23, 1);
  tf.dispose(bn.forward(x1)); // x1's statistics now kept
  const pairs: [tf.Tensor, tf.Tensor][] = [
    [bn.forward(x2), fresh.forward(x2)],
    [bn.backward(dy, x1), fresh.backward(dy, x1)],
    [bn.backward(dy, x2), fresh.backward(dy, x2)],
    ...bn.parameterGradients(dy, x1).map((g, i): [tf.Tensor, tf.Tensor] => [g, fresh.parameterGradients(dy, x1)[i]]),
  ];
  for (const [a, b] of pairs) assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  // autodiff through a batch whose statistics are kept: recomputed on the tape, so the gradient sees their dependence on x
  tf.dispose(bn.forward(x1));
  const auto = tf.grad((z: tf.Tensor) => bn.forward(z).mul(dy).sum())(x1);
  assert.ok(relErr(auto, pairs[1][1]) < 1e-5, `autodiff through kept statistics: ${relErr(auto, pairs[1][1])}`);
  tf.dispose(auto);
  // x1 disposed, a tensor of other values in its place: never x1's statistics
  const before = tf.memory().numTensors;
  x1.dispose();
  const x3 = randomTensor(shape, 24, 3);
  assert.deepEqual(Array.from(bn.forward(x3).dataSync()), Array.from(fresh.forward(x3).dataSync()));
  // one batch's statistics kept per layer (mean, variance, 1/s, xh): replacing them leaks nothing
  for (let k = 0; k < 3; k++) tf.dispose(bn.forward(x2));
  assert.ok(tf.memory().numTensors <= before + 8, `tensors ${tf.memory().numTensors} against ${before}`);
  const count = tf.memory().numTensors;
  bn.setTraining(false); // evaluation mode ends the training pass: the kept statistics go
  assert.equal(tf.memory().numTensors, count - 4);
  bn.setTraining(true);
  tf.dispose(bn.forward(x2));
  bn.dispose();
  assert.equal(tf.memory().numTensors, count - 8); // gamma, beta, running mean and variance, and the kept statistics
  tf.dispose([x2, x3, dy]);
  fresh.dispose();
});

test('running statistics after two training steps equal a hand computation from the layer inputs (unbiased variance, momentum 0.2); predict uses them', () => {
  const net = new Network(denseBn('bp', 0.2));
  const bn = net.layers[1] as BatchNorm;
  const opt = new Optimizer({ lr: 0.1 });
  const rm = new Float64Array(5);
  const rv = new Float64Array(5).fill(1);
  for (let step = 0; step < 2; step++) {
    const x = randomTensor([7, 4], 50 + step);
    const t = net.oneHot(randomLabels(7, 3, 60 + step));
    // The layer's input in float64 from the weights before the step: a = x W + b.
    const W = f64(net.paramLayers[0].weight);
    const b = f64(net.paramLayers[0].bias as tf.Variable);
    const x64 = f64(x);
    for (let c = 0; c < 5; c++) {
      const a = Array.from({ length: 7 }, (_, n) => b[c] + [0, 1, 2, 3].reduce((s, i) => s + x64[n * 4 + i] * W[i * 5 + c], 0));
      const mean = a.reduce((s, v) => s + v, 0) / 7;
      const unbiased = a.reduce((s, v) => s + (v - mean) ** 2, 0) / 6;
      rm[c] = 0.8 * rm[c] + 0.2 * mean;
      rv[c] = 0.8 * rv[c] + 0.2 * unbiased;
    }
    net.trainStep(x, t, opt);
    tf.dispose([x, t]);
  }
  assert.ok(relErr(bn.runningMean, rm) < 1e-5, `running mean ${relErr(bn.runningMean, rm)}`);
  assert.ok(relErr(bn.runningVar, rv) < 1e-5, `running variance ${relErr(bn.runningVar, rv)}`);
  // Evaluation mode: predict normalises by the running statistics (hand computation through the whole net).
  const x = randomTensor([3, 4], 70);
  const z = net.predict(x);
  const [d0, d1] = net.paramLayers;
  const a = tf.tidy(() => x.matMul(d0.weight).add(d0.bias as tf.Tensor));
  const ref = bnF64(f64(a), 5, f64(bn.gamma), f64(bn.beta), { mean: rm, variance: rv }).y.map(Math.tanh);
  const zRef = tf.tidy(() => tf.tensor2d(Float32Array.from(ref), [3, 5]).matMul(d1.weight).add(d1.bias as tf.Tensor));
  assert.ok(relErr(z, zRef) < 1e-5, `predict ${relErr(z, zRef)}`);
  // A traced forward pass uses the batch statistics instead: different logits on the same batch.
  const trace = net.forward(x);
  assert.ok(relErr(trace.output, zRef) > 1e-2, 'the traced pass uses batch statistics');
  net.disposeTrace(trace);
  tf.dispose([x, z, a, zRef]);
  opt.dispose();
  net.dispose();
});

/** Reference loss of a sequential net with batch norm, written with tfjs ops over explicit parameters (textbook batch norm). */
function referenceLoss(net: Network, x: tf.Tensor, targets: tf.Tensor) {
  return (...ps: tf.Tensor[]) => {
    let j = 0;
    let h = x;
    const weights = ps.slice(0, ps.length - net.extraParameters.length);
    const extra = ps.slice(weights.length);
    let e = 0;
    for (const layer of net.layers) {
      if (layer.kind === 'dense' || layer.kind === 'conv2d') {
        const l = net.paramLayers[net.paramLayers.indexOf(layer as never)];
        h = l.linear(h, weights[j++]);
        if (l.bias) h = h.add(weights[j++]);
      } else if (layer.kind === 'batchnorm') {
        const axes = h.shape.slice(0, -1).map((_, i) => i);
        const mean = h.mean(axes);
        h = h.sub(mean).div(h.sub(mean).square().mean(axes).add(EPS).sqrt()).mul(extra[e++]).add(extra[e++]);
      } else h = layer.forward(h);
    }
    return tf.logSumExp(h, 1).sub(h.mul(targets).sum(1)).mean() as tf.Scalar;
  };
}

test('a conv net with batch norm (vggBatchNorm-style, small): BP gradients of every weight, gamma and beta equal autodiff', () => {
  const options = vggBatchNorm({ seed: 2, inputShape: [8, 8, 1] });
  // Narrow the six convolutions so the test takes a fraction of a second.
  const layers = options.layers.map((l) => (l.kind === 'conv2d' ? { ...l, filters: 3 } : l));
  const net = new Network({ ...options, layers });
  net.extraParameters.forEach((p, i) => p.assign(randomTensor(p.shape, 80 + i, 0.3).add(i % 2 ? 0 : 1)));
  const x = randomTensor([5, 8, 8, 1], 90);
  const t = net.oneHot(randomLabels(5, 10, 91));
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'bp');
  const { params, grads } = net.parameterPairs(g);
  assert.equal(params.length, net.paramLayers.length + 1 + net.extraParameters.length, 'conv layers have no bias; the dense layer has one');
  const auto = tf.grads(referenceLoss(net, x, t))(params);
  grads.forEach((gr, i) => assert.ok(relErr(gr, auto[i]) < 1e-4, `parameter ${i}: ${relErr(gr, auto[i])}`));
  tf.dispose([x, t, loss, error, ...auto]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

test('under FA the backward pass through batch norm is exact: delta of layer 0 = BN^T(tanh\'(.) * (e B^T)), B the feedback matrix', () => {
  const net = new Network(denseBn('fa'));
  const bn = net.layers[1] as BatchNorm;
  const x = randomTensor([6, 4], 100);
  const t = net.oneHot(randomLabels(6, 3, 101));
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'rule');
  const B = net.pathways[1].feedbackKernel() as tf.Tensor;
  const expected = tf.tidy(() => {
    const s = error.matMul(B, false, true).mul(tf.sub(1, trace.inputs[3].square()));
    bn.setTraining(true);
    return bn.backward(s, trace.inputs[1]);
  });
  assert.ok(relErr(g.deltas[0], expected) < 1e-6, `${relErr(g.deltas[0], expected)}`);
  // gamma and beta get their exact gradients from the signal FA delivers.
  const [dg, db] = bn.parameterGradients(tf.tidy(() => error.matMul(B, false, true).mul(tf.sub(1, trace.inputs[3].square()))), trace.inputs[1]);
  assert.ok(relErr((g.extra as tf.Tensor[])[0], dg) < 1e-6 && relErr((g.extra as tf.Tensor[])[1], db) < 1e-6);
  tf.dispose([x, t, loss, error, B, expected, dg, db]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

test('saving and loading a network keeps gamma, beta and the running statistics', () => {
  const net = new Network(denseBn());
  const opt = new Optimizer({ lr: 0.1 });
  const x = randomTensor([8, 4], 110);
  const t = net.oneHot(randomLabels(8, 3, 111));
  net.trainStep(x, t, opt);
  const copy = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
  const a = net.predict(x);
  const b = copy.predict(x);
  assert.equal(relErr(b, a), 0);
  const [s1, s2] = [net, copy].map((n) => (n.layers[1] as BatchNorm).runningVar.dataSync());
  assert.deepEqual(Array.from(s2), Array.from(s1));
  tf.dispose([x, t, a, b]);
  opt.dispose();
  net.dispose();
  copy.dispose();
});

