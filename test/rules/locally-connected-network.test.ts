/**
 * The conventional locally connected layer as a layer kind of `Network`
 * ({ kind: 'locally-connected' }, lib/rules/locally-connected.ts through the
 * layer table): BP's gradients through two LC layers equal tfjs autodiff and
 * central differences of a float64 forward pass written here in loops; under
 * DFA the LC layers' weight gradients equal a float64 hand computation
 * (delta = relu'(a) * reshape(e B), dW[p, f, o] = sum_n patch x delta); a
 * saved network loads back with the same weights.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isParamLayer, LocallyConnected2d, Network, NetworkOptions } from '../../lib/rules';
import { autodiffGradients, lcTaps, randomLabels, randomTensor, relErr, ruleGradients, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const OPTIONS: NetworkOptions = {
  inputShape: [6, 5, 2],
  layers: [
    { kind: 'locally-connected', filters: 4, kernelSize: 3, padding: 1 },
    { kind: 'activation', activation: 'relu' },
    { kind: 'locally-connected', filters: 3, kernelSize: 3, stride: 2 },
    { kind: 'activation', activation: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', units: 4 },
  ],
  seed: 5,
};

/** Float64 forward of one LC layer: y[p, o] = sum_f patch(x)[p, f] W[p, f, o] + b[p, o] (zero padding), one example. */
function lcForward64(lc: LocallyConnected2d, x: Float64Array, w: Float64Array, b: Float64Array): Float64Array {
  const o = lc.outputShape[2];
  const y = Float64Array.from(b);
  for (const { p, f, input } of lcTaps(lc)) for (let u = 0; u < o; u++) y[p * o + u] += x[input] * w[(p * lc.fanIn + f) * o + u];
  return y;
}

/** The patch vector of example x at position p of layer lc (float64, zero padding). */
function patch64(lc: LocallyConnected2d, x: ArrayLike<number>, p: number): Float64Array {
  const out = new Float64Array(lc.fanIn);
  for (const t of lcTaps(lc)) if (t.p === p) out[t.f] = x[t.input];
  return out;
}

/** Mean softmax cross-entropy of the network in float64 with the given parameters (one Float64Array per weight and bias, in paramLayers order). */
function loss64(net: Network, params: Float64Array[], xs: Float32Array, labels: Int32Array): number {
  const size = net.inputShape.reduce((a, b) => a * b, 1);
  let total = 0;
  for (let n = 0; n < labels.length; n++) {
    let h: Float64Array = Float64Array.from(xs.subarray(n * size, (n + 1) * size));
    let j = 0;
    for (const layer of net.layers) {
      if (layer instanceof LocallyConnected2d) {
        h = lcForward64(layer, h, params[j], params[j + 1]);
        j += 2;
      } else if (isParamLayer(layer)) {
        const [nIn, nOut] = layer.weight.shape;
        const w = params[j];
        const b = params[j + 1];
        const y = Float64Array.from(b);
        for (let a = 0; a < nIn; a++) for (let u = 0; u < nOut; u++) y[u] += h[a] * w[a * nOut + u];
        h = y;
        j += 2;
      } else if (layer.kind === 'activation') h = h.map((v) => Math.max(v, 0));
    }
    const m = Math.max(...h);
    const lse = m + Math.log(h.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - h[labels[n]];
  }
  return total / labels.length;
}

test('BP through locally connected layers equals tfjs autodiff and float64 central differences', () => {
  const net = new Network(OPTIONS);
  assert.deepEqual(net.paramLayers.map((l) => l.kind), ['locally-connected', 'locally-connected', 'dense']);
  assert.deepEqual(net.paramLayers[1].outputShape, [2, 2, 3]);
  // Nonzero biases so that their gradients and the bias path are tested too.
  net.paramLayers.forEach((l, k) => tf.tidy(() => l.bias!.assign(randomTensor(l.bias!.shape, 20 + k, 0.3))));
  const n = 5;
  const x = randomTensor([n, 6, 5, 2], 3);
  const labels = randomLabels(n, 4, 4);
  const t = net.oneHot(labels);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'bp');
  const auto = autodiffGradients(net, x, t);
  net.paramLayers.forEach((_, k) => {
    assert.ok(relErr(g.weights[k], auto[2 * k]) < 1e-4, `weight ${k} vs autodiff: ${relErr(g.weights[k], auto[2 * k])}`);
    assert.ok(relErr(g.biases[k] as tf.Tensor, auto[2 * k + 1]) < 1e-4, `bias ${k} vs autodiff`);
  });
  // Central differences in float64 on every weight of a few output positions and a few bias entries.
  const params = net.paramLayers.flatMap((l) => [Float64Array.from(l.weight.dataSync()), Float64Array.from(l.bias!.dataSync())]);
  const xs = x.dataSync() as Float32Array;
  const eps = 1e-5;
  const central = (j: number, i: number) => {
    const v = params[j][i];
    params[j][i] = v + eps;
    const up = loss64(net, params, xs, labels);
    params[j][i] = v - eps;
    const down = loss64(net, params, xs, labels);
    params[j][i] = v;
    return (up - down) / (2 * eps);
  };
  assert.ok(Math.abs(loss64(net, params, xs, labels) - loss.dataSync()[0]) < 1e-5, 'the float64 forward is the same network');
  for (const [k, entries] of [
    [0, [0, 7, 40, 4 * 18 * 5 + 3, 29 * 18 * 4 + 17]],
    [1, [0, 5, 2 * 36 * 3 + 11, 3 * 36 * 3 + 100]],
  ] as const) {
    const gw = g.weights[k].dataSync();
    const fd = entries.map((i) => central(2 * k, i));
    const got = entries.map((i) => gw[i]);
    assert.ok(relErr(got, fd) < 1e-3, `layer ${k} weights: ${got} vs ${fd}`);
    const gb = (g.biases[k] as tf.Tensor).dataSync();
    assert.ok(relErr([gb[0], gb[gb.length - 1]], [central(2 * k + 1, 0), central(2 * k + 1, gb.length - 1)]) < 1e-3, `layer ${k} biases`);
  }
  tf.dispose([x, t, loss, error, ...auto]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

test('DFA trains locally connected layers: each weight gradient equals the float64 hand computation from e B', () => {
  const net = new Network({ ...OPTIONS, rule: 'dfa' });
  const n = 4;
  const x = randomTensor([n, 6, 5, 2], 7);
  const labels = randomLabels(n, 4, 8);
  const t = net.oneHot(labels);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'rule');
  const e = error.dataSync();
  for (const k of [0, 1]) {
    const lc = net.paramLayers[k] as unknown as LocallyConnected2d;
    const at = net.paramIndex[k];
    // The DFA signal reaches the input of the next parametric layer (after relu): e B_{k+1}; delta_k = relu'(a_k) * that.
    const B = net.pathways[k + 1].state().B;
    const b = B.dataSync();
    const a = trace.inputs[at + 1].dataSync(); // the pre-activation a_k (input of the relu)
    const inputs = trace.inputs[at].dataSync();
    const size = a.length / n;
    const inSize = inputs.length / n;
    const [oh, ow, o] = lc.outputShape;
    const expect = new Float64Array(lc.weight.size);
    for (let s = 0; s < n; s++) {
      const delta = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        let v = 0;
        for (let c = 0; c < 4; c++) v += e[s * 4 + c] * b[c * size + i];
        delta[i] = a[s * size + i] > 0 ? v : 0;
      }
      for (let p = 0; p < oh * ow; p++) {
        const pv = patch64(lc, inputs.subarray(s * inSize, (s + 1) * inSize), p);
        for (let f = 0; f < lc.fanIn; f++) for (let u = 0; u < o; u++) expect[(p * lc.fanIn + f) * o + u] += pv[f] * delta[p * o + u];
      }
    }
    assert.ok(relErr(g.weights[k], expect) < 1e-4, `LC layer ${k} under DFA: ${relErr(g.weights[k], expect)}`);
  }
  // ruleGradients (the helper every rule test uses) sees the same gradients.
  assert.ok(relErr(ruleGradients(net, x, labels)[0], g.weights[0]) < 1e-6);
  tf.dispose([x, t, loss, error]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

test('a network with locally connected layers saves and loads with the same weights and predictions', () => {
  const net = new Network(OPTIONS);
  const copy = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
  const x = randomTensor([3, 6, 5, 2], 11);
  const a = net.predict(x);
  const b = copy.predict(x);
  assert.equal(relErr(a, b), 0);
  tf.dispose([x, a, b]);
  net.dispose();
  copy.dispose();
});
