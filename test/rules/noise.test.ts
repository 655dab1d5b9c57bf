/**
 * The Gaussian noise layer (lib/rules/noise.ts): in training mode the added
 * values have mean 0 and variance sigma^2 within sampling error; evaluation
 * mode is the identity; the draws are reproducible from the seed (the
 * layer's own or the network's) and differ between seeds; backward and jvp
 * are the identity; in a network, a traced forward pass adds noise and
 * predict does not, and the backward pass through the layer equals tfjs
 * autodiff with the same noise. Time folding (lib/rules/time-fold.ts)
 * against explicit indices.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { foldTime, GaussianNoise, layerFromSpec, Network, type NetworkOptions } from '../../lib/rules';
import { randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

function noiseLayer(sigma: number, seed: number, shape: number[]): GaussianNoise {
  const l = layerFromSpec({ kind: 'gaussian-noise', sigma }) as GaussianNoise;
  l.build(shape, new Rng(seed));
  return l;
}

test('training mode adds N(0, sigma^2): sample mean and variance within sampling error', () => {
  const sigma = 0.7;
  const l = noiseLayer(sigma, 4, [50, 20]);
  l.setTraining(true);
  const x = randomTensor([40, 50, 20], 9);
  const d = l.forward(x).sub(x).dataSync();
  const n = d.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += d[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (d[i] - m) ** 2;
  v /= n - 1;
  // Standard errors: sigma / sqrt(n) for the mean, sigma^2 sqrt(2 / (n - 1)) for the variance (normal draws); 4 of them.
  assert.ok(Math.abs(m) < 4 * sigma / Math.sqrt(n), `mean ${m}`);
  assert.ok(Math.abs(v - sigma * sigma) < 4 * sigma * sigma * Math.sqrt(2 / (n - 1)), `variance ${v} vs ${sigma * sigma} (n = ${n})`);
});

test('evaluation mode is the identity; backward and jvp are the identity in both modes', () => {
  const l = noiseLayer(0.5, 1, [3, 4]);
  const x = randomTensor([5, 3, 4], 2);
  const dy = randomTensor([5, 3, 4], 3);
  for (const training of [false, true]) {
    l.setTraining(training);
    const y = l.forward(x);
    if (!training) assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
    else assert.ok(relErr(y, x) > 0.1, 'training mode must add noise');
    assert.deepEqual(Array.from(l.backward(dy).dataSync()), Array.from(dy.dataSync()));
    assert.deepEqual(Array.from(l.jvp(x, y, dy).dataSync()), Array.from(dy.dataSync()));
    assert.deepEqual(Array.from(l.jvp(x, y, null).dataSync()), new Array(60).fill(0));
  }
});

test('the draws are reproducible from the seed and differ between seeds', () => {
  const x = tf.zeros([2, 8]);
  const draws = (seed: number, specSeed?: number) => {
    const l = layerFromSpec(specSeed === undefined ? { kind: 'gaussian-noise', sigma: 1 } : { kind: 'gaussian-noise', sigma: 1, seed: specSeed }) as GaussianNoise;
    l.build([8], new Rng(seed));
    l.setTraining(true);
    return [Array.from(l.forward(x).dataSync()), Array.from(l.forward(x).dataSync())];
  };
  const a = draws(5);
  assert.deepEqual(draws(5), a);
  assert.notDeepEqual(a[0], a[1], 'each pass draws fresh noise');
  assert.notDeepEqual(draws(6)[0], a[0]);
  // The spec's own seed overrides the network's stream.
  assert.deepEqual(draws(5, 77), draws(6, 77));
  assert.notDeepEqual(draws(5, 77)[0], a[0]);
});

const noisyNet = (seed: number): NetworkOptions => ({
  inputShape: [6],
  seed,
  layers: [{ kind: 'dense', units: 5 }, { kind: 'gaussian-noise', sigma: 0.3 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 3 }],
});

test('in a network: forward adds the seeded noise, predict does not, backward equals autodiff with the same noise', () => {
  const x = randomTensor([7, 6], 12);
  const a = new Network(noisyNet(3));
  const b = new Network(noisyNet(3));
  const ta = a.forward(x);
  const tb = b.forward(x);
  assert.deepEqual(Array.from(ta.output.dataSync()), Array.from(tb.output.dataSync()), 'same options, same noise');
  const noise = ta.inputs[2].sub(ta.inputs[1]);
  assert.ok(noise.abs().max().dataSync()[0] > 0.05, 'the traced pass adds noise');
  // predict: the same weights without noise, deterministic.
  const p = a.predict(x);
  const [d1, , d2] = [a.paramLayers[0], null, a.paramLayers[1]];
  const clean = tf.tidy(() => tf.tanh(x.matMul(d1.weight).add(d1.bias!)).matMul(d2.weight).add(d2.bias!));
  assert.ok(relErr(p, clean) < 1e-6, 'predict is noise-free');
  // BP gradient of the first kernel against autodiff of the same function with the recorded noise.
  const targets = tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0, 2, 2], 'int32'), 3).toFloat();
  const { error } = a.lossAndError(ta.output, targets);
  const g = a.backward(ta, error, 'bp');
  const lossOf = (w1: tf.Tensor) => {
    const z = tf.tanh(x.matMul(w1).add(d1.bias!).add(noise)).matMul(d2.weight).add(d2.bias!);
    return tf.losses.softmaxCrossEntropy(targets, z);
  };
  const auto = tf.grad(lossOf)(d1.weight);
  assert.ok(relErr(g.weights[0], auto) < 1e-5, `relative error ${relErr(g.weights[0], auto)}`);
  a.dispose();
  b.dispose();
});

test('bad noise specs name the argument', () => {
  assert.throws(() => layerFromSpec({ kind: 'gaussian-noise', sigma: -1 }), /sigma/);
  assert.throws(() => layerFromSpec({ kind: 'gaussian-noise', sigma: NaN }), /sigma/);
  assert.throws(() => layerFromSpec({ kind: 'gaussian-noise', sigma: 1, seed: 1.5 }), /seed/);
});

test('foldTime: example n, channel k holds frame n + k (oldest first); bad input names the argument', () => {
  const [F, H, W, T] = [7, 2, 3, 4];
  const movie = Float32Array.from({ length: F * H * W }, (_, q) => {
    const t = Math.floor(q / (H * W));
    const i = Math.floor((q % (H * W)) / W);
    return 100 * t + 10 * i + (q % W);
  });
  const f = foldTime(movie, [F, H, W], T);
  assert.deepEqual(f.shape, [F - T + 1, H, W, T]);
  assert.deepEqual(Array.from(f.times), [3, 4, 5, 6]);
  for (let n = 0; n < F - T + 1; n++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        for (let k = 0; k < T; k++) assert.equal(f.x[((n * H + i) * W + j) * T + k], 100 * (n + k) + 10 * i + j);
      }
    }
  }
  assert.throws(() => foldTime(movie, [F, H, W], F + 1), /window/);
  assert.throws(() => foldTime(movie, [F, H, W + 1], T), /movie/);
  assert.throws(() => foldTime(movie, [F, H], T), /shape/);
  assert.throws(() => foldTime(Float32Array.from(movie, (v, q) => (q === 5 ? NaN : v)), [F, H, W], T), /movie/);
});
