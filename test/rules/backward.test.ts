/**
 * Explicit backward passes against tfjs autodiff, feedback pathways against
 * their definitions, DFA against a hand calculation, forward-mode products
 * against autodiff through the adjoint identity.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Activation, lenet, mlp, Network, Optimizer, RULES } from '../../lib/rules';
import { conv2dFilterGradient } from '../../lib/rules/layers';
import { autodiffGradients, randomLabels, randomTensor, relErr, ruleGradients, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

function bpMatchesAutodiff(net: Network, x: tf.Tensor, labels: Int32Array): number {
  const t = net.oneHot(labels);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'rule');
  const ref = autodiffGradients(net, x, t);
  const { grads } = net.parameterPairs(g);
  let worst = 0;
  grads.forEach((gr, i) => (worst = Math.max(worst, relErr(gr, ref[i]))));
  tf.dispose([t, loss, error, ...ref]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  return worst;
}

test('bp: explicit backward equals autodiff for MLPs with each activation', () => {
  for (const activation of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    const net = new Network(mlp({ inputSize: 20, hidden: [16, 12], classes: 5, activation, seed: 3 }));
    const x = randomTensor([8, 20], 11);
    const err = bpMatchesAutodiff(net, x, randomLabels(8, 5, 12));
    assert.ok(err < 1e-4, `${activation}: relative error ${err}`);
    x.dispose();
    net.dispose();
  }
});

test('bp: explicit backward equals autodiff for BioTorch LeNet (conv, maxpool, flatten)', () => {
  const net = new Network(lenet({ seed: 5 }));
  const x = randomTensor([3, 32, 32, 1], 21);
  const err = bpMatchesAutodiff(net, x, randomLabels(3, 10, 22));
  assert.ok(err < 1e-4, `relative error ${err}`);
  x.dispose();
  net.dispose();
});

test('bp: avgpool, padded strided conv and vector-valued dense units match autodiff', () => {
  const conv = new Network({
    inputShape: [9, 9, 2],
    layers: [
      { kind: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 1 },
      { kind: 'activation', activation: 'tanh' },
      { kind: 'avgpool', size: 2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 4 },
    ],
    seed: 2,
  });
  const x = randomTensor([5, 9, 9, 2], 31);
  assert.ok(bpMatchesAutodiff(conv, x, randomLabels(5, 4, 32)) < 1e-4);
  // K = 3 components share one weight matrix (GEVB-style vector units).
  const vec = new Network({
    inputShape: [3, 6],
    layers: [{ kind: 'dense', units: 5 }, { kind: 'activation', activation: 'relu' }, { kind: 'dense', units: 1 }, { kind: 'flatten' }, { kind: 'dense', units: 3 }],
    seed: 4,
  });
  const xv = randomTensor([4, 3, 6], 33);
  assert.ok(bpMatchesAutodiff(vec, xv, randomLabels(4, 3, 34)) < 1e-4);
  tf.dispose([x, xv]);
  conv.dispose();
  vec.dispose();
});

test('fa with B set to W gives exactly the BP update (dense and conv)', () => {
  for (const spec of [mlp({ inputSize: 12, hidden: [10, 8], classes: 4, seed: 1 }), lenet({ seed: 2 })]) {
    const net = new Network(spec);
    const x = spec.inputShape.length === 1 ? randomTensor([6, 12], 41) : randomTensor([2, 32, 32, 1], 41);
    const labels = randomLabels(x.shape[0], net.outputSize, 42);
    const bp = ruleGradients(net, x, labels);
    net.setRule('fa');
    const fa0 = ruleGradients(net, x, labels);
    // random B: hidden-layer updates differ from BP
    assert.ok(relErr(fa0[0], bp[0]) > 0.1);
    net.pathways.forEach((p, k) => p.setState({ B: net.paramLayers[k].weight }));
    const fa = ruleGradients(net, x, labels);
    fa.forEach((g, k) => assert.deepEqual(Array.from(g), Array.from(bp[k]), `layer ${k}`));
    x.dispose();
    net.dispose();
  }
});

test('sign-symmetric feedback has W signs; brSF redraws magnitudes each batch, frSF keeps them', () => {
  const net = new Network(lenet({ seed: 7, rule: 'usf' }));
  const check = (rule: 'usf' | 'frsf' | 'brsf') => {
    net.setRule(rule);
    const before = net.pathways.map((p) => p.feedbackKernel()!.dataSync().slice());
    net.pathways.forEach((p) => p.beginBatch());
    const after = net.pathways.map((p) => p.feedbackKernel()!.dataSync().slice());
    net.paramLayers.forEach((l, k) => {
      const w = l.weight.dataSync();
      for (let i = 0; i < w.length; i++) {
        assert.equal(Math.sign(before[k][i]), Math.sign(w[i]), `${rule} layer ${k} entry ${i}`);
        assert.equal(Math.sign(after[k][i]), Math.sign(w[i]));
      }
      const changed = before[k].some((v, i) => v !== after[k][i]);
      assert.equal(changed, rule === 'brsf', `${rule} layer ${k}: magnitudes changed = ${changed}`);
      if (rule === 'usf') {
        const scale = Math.sqrt(2 / (l.fanIn + l.fanOut));
        for (let i = 0; i < w.length; i++) assert.ok(Math.abs(Math.abs(before[k][i]) - scale) < 1e-7);
      }
    });
  };
  check('usf');
  check('frsf');
  check('brsf');
  net.dispose();
});

test('DFA: the first SGD update of a one-hidden-layer net equals a hand calculation', () => {
  const nIn = 3;
  const nH = 4;
  const nOut = 2;
  const N = 5;
  const net = new Network({
    inputShape: [nIn],
    layers: [{ kind: 'dense', units: nH }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: nOut }],
    seed: 9,
    rule: 'dfa',
  });
  const x = randomTensor([N, nIn], 51);
  const labels = Int32Array.from([0, 1, 1, 0, 1]);
  const X = Array.from(x.dataSync());
  const W1 = Array.from(net.paramLayers[0].weight.dataSync());
  const W2 = Array.from(net.paramLayers[1].weight.dataSync());
  const b1 = [0.1, -0.2, 0.3, 0.05];
  const b2 = [0.2, -0.1];
  net.paramLayers[0].bias!.assign(tf.tensor1d(b1));
  net.paramLayers[1].bias!.assign(tf.tensor1d(b2));
  // DFA matrix of the hidden layer: the pathway of the output layer, shape [nOut, nH].
  const B = Array.from((net.pathways[1].state().B as tf.Tensor).dataSync());
  assert.equal(B.length, nOut * nH);
  // Hand calculation in float64.
  const lr = 0.5;
  const dW1 = new Array(nIn * nH).fill(0);
  const dW2 = new Array(nH * nOut).fill(0);
  const db1 = new Array(nH).fill(0);
  const db2 = new Array(nOut).fill(0);
  for (let n = 0; n < N; n++) {
    const a1 = Array.from({ length: nH }, (_, j) => b1[j] + X.slice(n * nIn, n * nIn + nIn).reduce((s, xi, i) => s + xi * W1[i * nH + j], 0));
    const h = a1.map(Math.tanh);
    const z = Array.from({ length: nOut }, (_, o) => b2[o] + h.reduce((s, hj, j) => s + hj * W2[j * nOut + o], 0));
    const m = Math.max(...z);
    const ex = z.map((v) => Math.exp(v - m));
    const sum = ex.reduce((a, b) => a + b, 0);
    const e = ex.map((v, o) => (v / sum - (o === labels[n] ? 1 : 0)) / N);
    // delta1 = f'(a1) * (e B)
    const d1 = h.map((hj, j) => (1 - hj * hj) * e.reduce((s, eo, o) => s + eo * B[o * nH + j], 0));
    for (let i = 0; i < nIn; i++) for (let j = 0; j < nH; j++) dW1[i * nH + j] += X[n * nIn + i] * d1[j];
    for (let j = 0; j < nH; j++) for (let o = 0; o < nOut; o++) dW2[j * nOut + o] += h[j] * e[o];
    d1.forEach((v, j) => (db1[j] += v));
    e.forEach((v, o) => (db2[o] += v));
  }
  const opt = new Optimizer({ type: 'sgd', lr });
  const t = net.oneHot(labels);
  net.trainStep(x, t, opt);
  const expectW1 = W1.map((w, i) => w - lr * dW1[i]);
  const expectW2 = W2.map((w, i) => w - lr * dW2[i]);
  assert.ok(relErr(net.paramLayers[0].weight, expectW1) < 1e-6);
  assert.ok(relErr(net.paramLayers[1].weight, expectW2) < 1e-6);
  assert.ok(relErr(net.paramLayers[0].bias!, b1.map((b, j) => b - lr * db1[j])) < 1e-6);
  assert.ok(relErr(net.paramLayers[1].bias!, b2.map((b, o) => b - lr * db2[o])) < 1e-6);
  tf.dispose([x, t]);
  opt.dispose();
  net.dispose();
});

test('DFA on a conv net projects the output error onto each layer input feature map', () => {
  const net = new Network(lenet({ seed: 3, rule: 'dfa' }));
  const shapes = net.pathways.map((p) => (p.state().B as tf.Tensor).shape);
  assert.deepEqual(shapes, [
    [10, 32 * 32 * 1],
    [10, 14 * 14 * 6],
    [10, 5 * 5 * 16],
    [10, 120],
    [10, 84],
  ]);
  net.dispose();
});

test('every rule runs on LeNet and MLP without leaking tensors', () => {
  for (const spec of [lenet({ seed: 1 }), mlp({ inputSize: 30, hidden: [20], classes: 10, seed: 1 })]) {
    const net = new Network(spec);
    const x = spec.inputShape.length === 1 ? randomTensor([4, 30], 61) : randomTensor([2, 32, 32, 1], 61);
    const t = net.oneHot(randomLabels(x.shape[0], 10, 62));
    const opt = new Optimizer({ type: 'sgd', lr: 0.01, momentum: 0.9 });
    for (const rule of RULES) {
      net.setRule(rule);
      net.trainStep(x, t, opt); // first step creates optimiser state
      const before = tf.memory().numTensors;
      const r = net.trainStep(x, t, opt);
      assert.ok(Number.isFinite(r.loss), rule);
      assert.equal(tf.memory().numTensors, before, `${rule}: tensor count grew`);
    }
    tf.dispose([x, t]);
    opt.dispose();
    net.dispose();
  }
});

test('jvp of every layer is the adjoint of autodiff: <J v, u> = <v, J^T u>', () => {
  const net = new Network({
    inputShape: [8, 8, 2],
    layers: [
      { kind: 'conv2d', filters: 3, kernelSize: 3 },
      { kind: 'activation', activation: 'sigmoid' },
      { kind: 'maxpool', size: 2 },
      { kind: 'conv2d', filters: 2, kernelSize: 1 },
      { kind: 'avgpool', size: 3 },
      { kind: 'flatten' },
      { kind: 'dense', units: 3 },
    ],
    seed: 8,
  });
  const x = randomTensor([2, 8, 8, 2], 71);
  const trace = net.forward(x);
  net.layers.forEach((layer, i) => {
    const input = trace.inputs[i];
    const output = i + 1 < net.layers.length ? trace.inputs[i + 1] : trace.output;
    const v = randomTensor(input.shape, 100 + i);
    const u = randomTensor(output.shape, 200 + i);
    const Jv = layer.jvp(input, output, v);
    const JTu = tf.grad((inp: tf.Tensor) => layer.forward(inp).mul(u).sum())(input);
    const lhs = Jv.mul(u).sum().dataSync()[0];
    const rhs = v.mul(JTu).sum().dataSync()[0];
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(rhs)), `layer ${i} ${layer.kind}: ${lhs} vs ${rhs}`);
    if (layer instanceof Activation) {
      // f'(a) against a central difference in the input
      const eps = 1e-2;
      const fd = tf.tidy(() => layer.forward(input.add(eps)).sub(layer.forward(input.sub(eps))).div(2 * eps));
      assert.ok(relErr(layer.derivative(input), fd) < 1e-3);
      const fd2 = tf.tidy(() => layer.derivative(input.add(eps)).sub(layer.derivative(input.sub(eps))).div(2 * eps));
      assert.ok(relErr(layer.secondDerivative(input), fd2) < 1e-2, `f'' of ${layer.activation}`);
    }
    tf.dispose([v, u, Jv, JTu]);
  });
  net.disposeTrace(trace);
  x.dispose();
  net.dispose();
});

test('the slice-product filter gradient (wasm fallback) equals the Conv2DBackpropFilter kernel', () => {
  const cases: [number, number, number, 'valid' | 'same' | number][] = [
    [7, 3, 1, 'valid'],
    [8, 3, 2, 'same'],
    [9, 5, 2, 1],
    [6, 1, 1, 'valid'],
  ];
  cases.forEach(([size, k, stride, pad], i) => {
    const x = randomTensor([2, size, size, 3], 300 + i) as tf.Tensor4D;
    const y = tf.conv2d(x, tf.zeros([k, k, 3, 4]) as tf.Tensor4D, stride, pad as 'valid');
    const dy = randomTensor(y.shape, 400 + i);
    const ref = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [stride, stride], pad, dataFormat: 'NHWC', filterShape: [k, k, 3, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const got = conv2dFilterGradient(x, dy, k, stride, pad);
    assert.ok(relErr(got, ref) < 1e-5, `case ${i}: ${relErr(got, ref)}`);
    tf.dispose([x, y, dy, ref, got]);
  });
});

test('creating, switching rules on, saving state of and disposing networks leaves no tensors behind', () => {
  const before = tf.memory().numTensors;
  for (const rule of RULES) {
    const net = new Network(lenet({ seed: 1, rule }));
    net.setRule('fa');
    net.setRule(rule);
    net.pathways.forEach((p) => p.beginBatch());
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('DFA on LeNet: a conv layer receives d<pool(relu(a)), e B>/da (autodiff through the layers between)', () => {
  const net = new Network(lenet({ seed: 4, rule: 'dfa' }));
  const x = randomTensor([3, 32, 32, 1], 501);
  const t = net.oneHot([1, 5, 9]);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error);
  // conv2 is layer 3 (param 1); its pre-activation is the input of layer 4; conv3 (param 2) reads layer 6's input.
  const B = net.pathways[2].state().B;
  const a = trace.inputs[4];
  const G = tf.matMul(error as tf.Tensor2D, B as tf.Tensor2D).reshape(trace.inputs[6].shape);
  const expected = tf.grad((z: tf.Tensor) => tf.maxPool(tf.relu(z) as tf.Tensor4D, 2, 2, 'valid').mul(G).sum())(a);
  assert.ok(relErr(g.deltas[1], expected) < 1e-6, `${relErr(g.deltas[1], expected)}`);
  // and the last hidden layer (fc1, param 3) gets relu'(a) * (e B) with B of the output layer
  const a4 = trace.inputs[10];
  const e4 = tf.matMul(error as tf.Tensor2D, net.pathways[4].state().B as tf.Tensor2D).mul(tf.step(a4, 0));
  assert.ok(relErr(g.deltas[3], e4) < 1e-6);
  tf.dispose([x, t, loss, error, G, expected, e4]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});
