/**
 * Residual blocks (lib/rules/residual.ts, sequence.ts) against independent
 * references: a block's exact backward pass against tfjs autodiff of a
 * forward pass written with other ops (strided slice and channel padding for
 * the shortcut); a ResNet's BP gradients (every weight, bias, gamma and beta)
 * against autodiff; under FA the skip path's signal reaching the layer below
 * the block against a hand computation (with the body's feedback zeroed the
 * input receives S^T g alone; with it, S^T g plus the body's fed-back
 * signal); the jvp against central differences and as the adjoint of the
 * backward pass.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { layerFromSpec, Network, Residual, resnet, type LayerSpec, type NetworkOptions } from '../../lib/rules';
import { randomLabels, randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const f64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** A downsampling block body: conv 3x3 stride 2 pad 1 to `c` channels - batch norm - tanh - conv 3x3 pad 1. */
const downBody = (c: number): LayerSpec[] => [
  { kind: 'conv2d', filters: c, kernelSize: 3, stride: 2, padding: 1 },
  { kind: 'batchnorm' },
  { kind: 'activation', activation: 'tanh' },
  { kind: 'conv2d', filters: c, kernelSize: 3, padding: 1 },
];

function block(body: LayerSpec[], inputShape: number[], seed: number): Residual {
  const r = layerFromSpec({ kind: 'residual', body }) as Residual;
  r.build(inputShape, new Rng(seed));
  r.setTraining(true);
  return r;
}

/** The shortcut written independently: every s-th position, then zero channels up to `cout`. */
function shortcutRef(x: tf.Tensor4D, s: number, cout: number): tf.Tensor {
  const [, h, w, c] = x.shape;
  const every = (size: number) => tf.tensor1d(Array.from({ length: Math.ceil(size / s) }, (_, i) => i * s), 'int32');
  const sub = tf.gather(tf.gather(x, every(h), 1), every(w), 2);
  return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [0, cout - c]]);
}

/** A body's forward pass with tfjs ops: param layers through their linear map, batch norm by its textbook formula. */
function bodyRef(layers: readonly { kind: string }[], x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const l of layers as never[]) {
    const layer = l as unknown as { kind: string; linear?: (x: tf.Tensor, k: tf.Tensor) => tf.Tensor; weight?: tf.Variable; bias?: tf.Variable | null; gamma?: tf.Variable; beta?: tf.Variable; forward(x: tf.Tensor): tf.Tensor };
    if (layer.kind === 'conv2d' || layer.kind === 'dense') {
      h = layer.linear!(h, layer.weight!);
      if (layer.bias) h = h.add(layer.bias);
    } else if (layer.kind === 'batchnorm') {
      const axes = h.shape.slice(0, -1).map((_, i) => i);
      const mean = h.mean(axes);
      h = h.sub(mean).div(h.sub(mean).square().mean(axes).add(1e-5).sqrt()).mul(layer.gamma!).add(layer.beta!);
    } else h = layer.forward(h);
  }
  return h;
}

test('a downsampling residual block (stride 2, 3 -> 5 channels): forward and exact backward equal autodiff of body(x) + pad(x[::2, ::2])', () => {
  const before = tf.memory().numTensors;
  const r = block(downBody(5), [6, 7, 3], 1);
  assert.deepEqual(r.outputShape, [3, 4, 5]);
  assert.equal(r.stride, 2);
  const x = randomTensor([2, 6, 7, 3], 2);
  const u = randomTensor([2, 3, 4, 5], 3);
  const ref = (xx: tf.Tensor) => bodyRef(r.body, xx).add(shortcutRef(xx as tf.Tensor4D, 2, 5));
  const y = r.forward(x);
  const yRef = tf.tidy(() => ref(x));
  assert.ok(relErr(y, yRef) < 1e-6, `forward ${relErr(y, yRef)}`);
  const auto = tf.grad((xx: tf.Tensor) => ref(xx).mul(u).sum())(x);
  const dx = r.backward(u, x);
  assert.ok(relErr(dx, auto) < 1e-5, `backward ${relErr(dx, auto)}`);
  // The skip path alone is S^T u: u's first 3 channels at the even positions, zeros elsewhere.
  const skip = r.bypass(u);
  const s = skip.arraySync() as number[][][][];
  const uu = u.arraySync() as number[][][][];
  for (let n = 0; n < 2; n++) for (let i = 0; i < 6; i++) for (let j = 0; j < 7; j++) for (let c = 0; c < 3; c++) {
    assert.equal(s[n][i][j][c], i % 2 === 0 && j % 2 === 0 ? uu[n][i / 2][j / 2][c] : 0);
  }
  tf.dispose([x, u, y, yRef, auto, dx, skip]);
  r.body.forEach((l) => (l as { weight?: tf.Variable }).weight?.dispose());
  r.body.forEach((l) => (l as { bias?: tf.Variable | null }).bias?.dispose());
  r.body.forEach((l) => l.kind === 'batchnorm' && l.dispose?.());
  r.dispose();
  assert.equal(tf.memory().numTensors, before);
});

/** Reference loss of a network whose layers may be residual blocks, over explicit parameters (autodiff target). */
function referenceLoss(net: Network, x: tf.Tensor, targets: tf.Tensor) {
  return (...ps: tf.Tensor[]) => {
    // Swap the network's variables for the traced tensors by running the reference with them in place.
    const { params } = pairsOf(net);
    const lookup = new Map(params.map((p, i) => [p, ps[i]]));
    const run = (layers: readonly { kind: string }[], h0: tf.Tensor): tf.Tensor => {
      let h = h0;
      for (const l of layers as never[]) {
        const layer = l as unknown as Residual & { kind: string; linear?: (x: tf.Tensor, k: tf.Tensor) => tf.Tensor; weight?: tf.Variable; bias?: tf.Variable | null; gamma?: tf.Variable; beta?: tf.Variable };
        if (layer.kind === 'residual') {
          const [, hh, ww, c] = h.shape;
          const [oh, , oc] = layer.outputShape;
          const s = Math.round(hh / oh) || 1;
          h = run(layer.body, h).add(oc === c && oh === hh && ww === layer.outputShape[1] ? h : shortcutRef(h as tf.Tensor4D, s, oc));
        } else if (layer.kind === 'conv2d' || layer.kind === 'dense') {
          h = layer.linear!(h, lookup.get(layer.weight!)!);
          if (layer.bias) h = h.add(lookup.get(layer.bias)!);
        } else if (layer.kind === 'batchnorm') {
          const axes = h.shape.slice(0, -1).map((_, i) => i);
          const mean = h.mean(axes);
          h = h.sub(mean).div(h.sub(mean).square().mean(axes).add(1e-5).sqrt()).mul(lookup.get(layer.gamma!)!).add(lookup.get(layer.beta!)!);
        } else h = (layer as unknown as { forward(x: tf.Tensor): tf.Tensor }).forward(h);
      }
      return h;
    };
    const z = run(net.layers, x);
    return tf.logSumExp(z, 1).sub(z.mul(targets).sum(1)).mean() as tf.Scalar;
  };
}

/** Every forward parameter of the network in parameterPairs' order (weights, biases, then gamma/beta). */
function pairsOf(net: Network): { params: tf.Variable[] } {
  const params: tf.Variable[] = [];
  net.paramLayers.forEach((l) => {
    params.push(l.weight);
    if (l.bias) params.push(l.bias);
  });
  return { params: [...params, ...net.extraParameters] };
}

test('resnet (depth 8, tanh, 8x8 inputs): BP gradients of every weight, gamma and beta equal autodiff; depth 14 has 6n + 2 = 14 parametric layers', () => {
  const net = new Network(resnet({ depth: 8, width: 2, inputShape: [8, 8, 1], activation: 'tanh', seed: 4 }));
  assert.equal(net.paramLayers.length, 8);
  net.extraParameters.forEach((p, i) => tf.tidy(() => p.assign(randomTensor(p.shape, 10 + i, 0.3).add(i % 2 ? 0 : 1))));
  const x = randomTensor([4, 8, 8, 1], 5);
  const t = net.oneHot(randomLabels(4, 10, 6));
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'bp');
  const { params, grads } = net.parameterPairs(g);
  assert.deepEqual(params, pairsOf(net).params);
  const auto = tf.grads(referenceLoss(net, x, t))(params);
  grads.forEach((gr, i) => assert.ok(relErr(gr, auto[i]) < 1e-4, `parameter ${i}: ${relErr(gr, auto[i])}`));
  tf.dispose([x, t, loss, error, ...auto]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
  const deep = new Network(resnet({ depth: 14, width: 2, inputShape: [8, 8, 1] }));
  assert.equal(deep.paramLayers.length, 14);
  assert.equal(deep.layers.filter((l) => l.kind === 'residual').length, 6);
  deep.dispose();
});

/** conv 4 - tanh - residual [conv 6 stride 2 - tanh - conv 6] - tanh - flatten - dense 3, on 6x6x1, under FA. */
const faNet = (): NetworkOptions => ({
  inputShape: [6, 6, 1],
  layers: [
    { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 1 },
    { kind: 'activation', activation: 'tanh' },
    { kind: 'residual', body: [{ kind: 'conv2d', filters: 6, kernelSize: 3, stride: 2, padding: 1 }, { kind: 'activation', activation: 'tanh' }, { kind: 'conv2d', filters: 6, kernelSize: 3, padding: 1 }] },
    { kind: 'activation', activation: 'tanh' },
    { kind: 'flatten' },
    { kind: 'dense', units: 3 },
  ],
  seed: 7,
  rule: 'fa',
});

test('under FA the skip path carries the exact signal: with the body\'s feedback zeroed the layer below gets tanh\'(a) S^T g exactly; with it, S^T g plus the body\'s fed-back signal', () => {
  const net = new Network(faNet());
  const x = randomTensor([3, 6, 6, 1], 8);
  const t = net.oneHot(randomLabels(3, 3, 9));
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  // g: the signal at the block's output (FA through the dense layer, then tanh').
  const B3 = net.pathways[3].feedbackKernel() as tf.Tensor;
  const r = trace.inputs[3];
  const g = tf.tidy(() => error.matMul(B3, false, true).reshape(r.shape).mul(tf.sub(1, trace.inputs[4].square())));
  const a0 = f64(trace.inputs[1]);
  const g64 = g.arraySync() as number[][][][];
  // S^T g by hand: g's first 4 channels at the even positions of a 6x6 grid.
  const skip = new Float64Array(3 * 6 * 6 * 4);
  for (let n = 0; n < 3; n++) for (let i = 0; i < 6; i += 2) for (let j = 0; j < 6; j += 2) for (let c = 0; c < 4; c++) skip[((n * 6 + i) * 6 + j) * 4 + c] = g64[n][i / 2][j / 2][c];
  const h0 = a0.map(Math.tanh);

  // Body feedback zeroed: only the skip reaches layer 0.
  net.pathways[1].setState({ B: tf.zerosLike(net.paramLayers[1].weight) });
  net.pathways[2].setState({ B: tf.zerosLike(net.paramLayers[2].weight) });
  const g0 = net.backward(trace, error, 'rule');
  const expected0 = skip.map((s, i) => s * (1 - h0[i] ** 2));
  assert.ok(relErr(g0.deltas[0], expected0) < 1e-6, `skip only: ${relErr(g0.deltas[0], expected0)}`);
  // BP on the same trace differs (the body's true signal adds to it).
  const gb = net.backward(trace, error, 'bp');
  assert.ok(relErr(gb.deltas[0], expected0) > 0.05, 'the body contributes under BP');

  // Default FA feedback restored: skip plus the body's FA signal, built by hand from the B's.
  net.setRule('fa');
  const g1 = net.backward(trace, error, 'rule');
  const [B1, B2] = [1, 2].map((k) => net.pathways[k].feedbackKernel() as tf.Tensor);
  const bodySignal = tf.tidy(() => {
    const conv1 = net.paramLayers[1];
    const conv2 = net.paramLayers[2];
    const inner = trace.inner?.[2] as { inputs: tf.Tensor[] };
    const d1 = conv2.inputAdjoint(g, B2).mul(tf.sub(1, inner.inputs[2].square()));
    return conv1.inputAdjoint(d1, B1);
  });
  const body64 = f64(bodySignal);
  const expected1 = skip.map((s, i) => (s + body64[i]) * (1 - h0[i] ** 2));
  assert.ok(relErr(g1.deltas[0], expected1) < 1e-5, `skip + body: ${relErr(g1.deltas[0], expected1)}`);
  tf.dispose([x, t, loss, error, B3, g, B1, B2, bodySignal]);
  [g0, gb, g1].forEach((gg) => net.disposeGradients(gg));
  net.disposeTrace(trace);
  net.dispose();
});

for (const training of [true, false]) {
  test(`residual block jvp (${training ? 'batch' : 'running'} statistics) equals central differences of its forward pass and is the adjoint of its backward pass`, () => {
    for (const [body, shape, outShape] of [
      [downBody(5), [6, 7, 3], [3, 4, 5]],
      [[{ kind: 'dense', units: 6 }, { kind: 'batchnorm' }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 6 }], [4], [6]],
    ] as [LayerSpec[], number[], number[]][]) {
      const r = block(body, shape, 11);
      r.setTraining(training);
      const x = randomTensor([3, ...shape], 12);
      const v = randomTensor([3, ...shape], 13);
      const u = randomTensor([3, ...outShape], 14);
      const y = r.forward(x);
      const jv = r.jvp(x, y, v);
      const h = 1e-2;
      const [yp, ym] = [h, -h].map((s) => tf.tidy(() => r.forward(x.add(v.mul(s)))));
      const fd = tf.tidy(() => yp.sub(ym).div(2 * h));
      assert.ok(relErr(jv, fd) < 2e-3, `jvp vs finite differences [${shape}]: ${relErr(jv, fd)}`);
      const jtu = r.backward(u, x);
      const lhs = dot(f64(jv), f64(u));
      const rhs = dot(f64(v), f64(jtu));
      assert.ok(Math.abs(lhs - rhs) < 1e-4 * (Math.abs(lhs) + 1), `[${shape}] <Jv, u> ${lhs} vs <v, J^T u> ${rhs}`);
      tf.dispose([x, v, u, y, jv, yp, ym, fd, jtu]);
      r.dispose();
    }
  });
}

test('a body whose output the shortcut cannot reach is refused by name', () => {
  assert.throws(() => block([{ kind: 'conv2d', filters: 2, kernelSize: 3, padding: 1 }], [5, 5, 4], 1), /residual\.body/);
  assert.throws(() => layerFromSpec({ kind: 'residual', body: [] }), /residual\.body/);
});
