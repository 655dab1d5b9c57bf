/**
 * Integrated gradients (lib/rules/attribution.ts): on a linear model the
 * attributions are (x - x0) times the weight column exactly, for every rule
 * and step count, to the inputs and (path 'layer') to a hidden layer; on a
 * smooth (tanh) network the completeness gap falls as m^-2 for the
 * trapezoid and midpoint rules and as m^-1 for the left and right Riemann
 * sums, to the inputs and to hidden units along either path; the hidden
 * attributions equal an independent quadrature built from tfjs autodiff and
 * finite steps of h along the path; conv activations with a function target
 * (a softplus rate): completeness and the per-channel sums over space; the
 * network's noise is off (evaluation mode); bad options name the argument.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { integratedGradients, INTEGRATION_RULES, Network, quadratureNodes, softplus, type LayerSpec } from '../../lib/rules';
import { randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const tanhMlp = (extra: LayerSpec[] = []): Network =>
  new Network({
    inputShape: [6],
    seed: 3,
    layers: [{ kind: 'dense', units: 8 }, { kind: 'activation', activation: 'tanh' }, ...extra, { kind: 'dense', units: 8 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 2 }],
  });
const totalGap = (g: Float64Array) => g.reduce((a, b) => a + Math.abs(b), 0);

test('quadrature nodes integrate polynomials to their order', () => {
  for (const rule of INTEGRATION_RULES) {
    const { alphas, weights } = quadratureNodes(rule, 4);
    const integral = (p: number) => alphas.reduce((s, a, k) => s + weights[k] * a ** p, 0);
    assert.ok(Math.abs(integral(0) - 1) < 1e-15, `${rule}: weights sum to 1`);
    if (rule === 'trapezoid' || rule === 'midpoint') assert.ok(Math.abs(integral(1) - 0.5) < 1e-15, `${rule} integrates alpha exactly`);
  }
});

test('a linear model: attributions equal (x - x0) times the weight column exactly, inputs and hidden layer', () => {
  const net = new Network({ inputShape: [5], seed: 1, layers: [{ kind: 'dense', units: 4 }, { kind: 'dense', units: 3 }] });
  net.paramLayers.forEach((l, k) => l.bias!.assign(randomTensor(l.bias!.shape, 40 + k)));
  const x = randomTensor([4, 5], 2);
  const x0 = randomTensor([5], 3);
  const [W1, W2] = net.paramLayers.map((l) => l.weight);
  const c = 2;
  const wEff = W1.matMul(W2).slice([0, c], [5, 1]).reshape([5]); // the model is x W1 W2 + const
  const expected = x.sub(x0).mul(wEff);
  const h = x.matMul(W1).add(net.paramLayers[0].bias!);
  const h0 = randomTensor([4, 4], 5);
  const expectedHidden = h.sub(h0).mul(W2.slice([0, c], [4, 1]).reshape([4]));
  for (const rule of INTEGRATION_RULES) {
    for (const steps of [1, 3]) {
      const r = integratedGradients(net, x, { target: c, baseline: x0, steps, rule });
      assert.ok(relErr(r.attributions, expected) < 1e-6, `${rule}, m = ${steps}: relative error ${relErr(r.attributions, expected)}`);
      assert.ok(r.maxAbsGap < 1e-5, `${rule}, m = ${steps}: gap ${r.maxAbsGap}`);
      const rh = integratedGradients(net, x, { target: c, layer: 0, path: 'layer', baseline: h0, steps, rule });
      assert.ok(relErr(rh.attributions, expectedHidden) < 1e-6, `hidden, ${rule}, m = ${steps}: relative error ${relErr(rh.attributions, expectedHidden)}`);
    }
  }
});

test('completeness gap falls as m^-2 (trapezoid, midpoint) and m^-1 (left, right), to inputs and hidden units', () => {
  const net = tanhMlp();
  const x = randomTensor([5, 6], 7);
  const settings = [{ layer: 'input' as const, path: 'input' as const }, { layer: 1, path: 'input' as const }, { layer: 1, path: 'layer' as const }];
  for (const s of settings) {
    for (const rule of INTEGRATION_RULES) {
      const gaps = [8, 16, 32, 64].map((steps) => totalGap(integratedGradients(net, x, { target: 0, steps, rule, ...s }).gap));
      const order = rule === 'trapezoid' || rule === 'midpoint' ? 2 : 1;
      for (let i = 1; i < gaps.length; i++) {
        const ratio = gaps[i - 1] / gaps[i];
        assert.ok(Math.abs(Math.log2(ratio) - order) < 0.2, `layer ${s.layer}, path ${s.path}, ${rule}: gaps ${gaps.map((g) => g.toExponential(2))} fall by ${ratio.toFixed(2)} per doubling, expected ${2 ** order}`);
      }
    }
  }
});

test('hidden-unit attributions (path input) equal an independent quadrature from autodiff and finite steps of h', () => {
  const net = tanhMlp();
  const x = randomTensor([3, 6], 8);
  const [d1, d2, d3] = net.paramLayers;
  const lower = (v: tf.Tensor) => tf.tanh(v.matMul(d1.weight).add(d1.bias!));
  const upper = (h: tf.Tensor) => tf.tanh(h.matMul(d2.weight).add(d2.bias!)).matMul(d3.weight).add(d3.bias!).slice([0, 1], [-1, 1]).sum();
  const grad = tf.grad(upper);
  // A_j = sum over M panels of dF/dh_j at the panel's middle times the step of h_j across it (telescopes; O(M^-2)).
  const M = 400;
  const ref = new Float64Array(3 * 8);
  let hPrev = lower(x.mul(0)).dataSync();
  for (let k = 0; k < M; k++) {
    const hNext = lower(x.mul((k + 1) / M)).dataSync();
    const g = grad(lower(x.mul((k + 0.5) / M))).dataSync();
    for (let i = 0; i < ref.length; i++) ref[i] += g[i] * (hNext[i] - hPrev[i]);
    hPrev = hNext;
  }
  const r = integratedGradients(net, x, { target: 1, layer: 1, steps: 200 });
  assert.ok(relErr(r.attributions, ref) < 1e-4, `relative error ${relErr(r.attributions, ref)}`);
  assert.ok(r.relativeGap < 1e-4, `relative gap ${r.relativeGap}`);
});

test('conv activations with a function target: completeness, per-channel sums over space, noise off', () => {
  const net = new Network({
    inputShape: [6, 6, 3],
    seed: 5,
    layers: [
      { kind: 'conv2d', filters: 4, kernelSize: 3 }, { kind: 'gaussian-noise', sigma: 0.5 }, { kind: 'activation', activation: 'tanh' },
      { kind: 'conv2d', filters: 2, kernelSize: 3 }, { kind: 'activation', activation: 'tanh' }, { kind: 'flatten' }, { kind: 'dense', units: 2 },
    ],
  });
  const x = randomTensor([3, 6, 6, 3], 9);
  const rate = (z: tf.Tensor) => softplus(z.slice([0, 0], [-1, 1])).reshape([-1]);
  for (const path of ['input', 'layer'] as const) {
    const r = integratedGradients(net, x, { target: rate, layer: 2, path, steps: 64 });
    assert.deepEqual(r.attributions.shape, [3, 4, 4, 4]);
    // F(x) - F(baseline) by hand in evaluation mode (no noise): the rate at x minus the rate at the zero input / zero activations.
    const f = (v: tf.Tensor, from: number) => rate(net.layers.slice(from).reduce((h, l) => l.forward(h), v)).dataSync();
    net.layers.forEach((l) => l.setTraining?.(false));
    const start = path === 'input' ? f(tf.zeros(x.shape), 0) : f(tf.zeros([3, 4, 4, 4]), 3);
    const end = f(x, 0);
    for (let e = 0; e < 3; e++) assert.ok(Math.abs(r.outputDifference[e] - (end[e] - start[e])) < 1e-5, `${path}: output difference ${r.outputDifference[e]} vs ${end[e] - start[e]}`);
    assert.ok(r.relativeGap < 1e-3, `${path}: relative gap ${r.relativeGap}`);
    const bySpace = r.attributions.sum([1, 2]).arraySync() as number[][];
    bySpace.forEach((row, e) => row.forEach((v, c) => assert.ok(Math.abs(v - r.channelSums[e][c]) < 1e-5, `channel sum [${e}][${c}]`)));
    // Deterministic: evaluation mode draws no noise.
    const again = integratedGradients(net, x, { target: rate, layer: 2, path, steps: 64 });
    assert.deepEqual(Array.from(again.attributions.dataSync()), Array.from(r.attributions.dataSync()));
  }
});

test('bad options name the argument', () => {
  const net = tanhMlp();
  const x = randomTensor([2, 6], 1);
  assert.throws(() => integratedGradients(net, x, { target: 2 }), /target/);
  assert.throws(() => integratedGradients(net, x, { target: (z) => z }), /target/);
  assert.throws(() => integratedGradients(net, x, { target: 0, layer: 5 }), /layer/);
  assert.throws(() => integratedGradients(net, x, { target: 0, steps: 0 }), /steps/);
  assert.throws(() => integratedGradients(net, x, { target: 0, rule: 'simpson' as 'midpoint' }), /rule/);
  assert.throws(() => integratedGradients(net, x, { target: 0, path: 'hidden' as 'layer' }), /path/);
  assert.throws(() => integratedGradients(net, x, { target: 0, baseline: tf.zeros([5]) }), /baseline/);
  assert.throws(() => integratedGradients(net, x, { target: 0, layer: 1, path: 'layer', baseline: tf.zeros([6]) }), /baseline/);
  assert.throws(() => integratedGradients(net, randomTensor([2, 5], 1), { target: 0 }), /\bx\b/);
});
