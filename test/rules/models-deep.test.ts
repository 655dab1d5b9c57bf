/**
 * The depth models of issue 17 and the training options the sign-symmetry
 * recipe uses: plainConvNet (depth 2, 4, 8, 16), resnet (8, 14) and
 * vggBatchNorm against their stated layer lists and closed-form parameter
 * counts; the weight-norm constraint (Moskovitz et al. 2018) keeps every
 * layer's Frobenius norm at its initial value to float32 precision, on the
 * fused path (plain conv net) and the reference path (ResNet); Batch
 * Manhattan with momentum off moves every weight by exactly the learning
 * rate, up to the float32 rounding of w - lr sign(g), on both paths; the
 * networks the fused path does not cover fall back to the reference path.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mlp, Network, Optimizer, plainConvNet, resnet, train, vggBatchNorm, type NetworkOptions } from '../../lib/rules';
import { FusedTrainer, fusedTrainer } from '../../lib/rules/fused';
import { randomLabels, randomTensor, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const count = (o: NetworkOptions, kind: string) => o.layers.filter((l) => l.kind === kind).length;

test('plainConvNet: depth 2, 4, 8, 16 convolutions in stages of w, 2w, 4w channels; parameter count in closed form', () => {
  const stages: Record<number, number[]> = { 2: [1, 1], 4: [2, 1, 1], 8: [3, 3, 2], 16: [6, 5, 5] };
  for (const depth of [2, 4, 8, 16]) {
    const o = plainConvNet({ depth, width: 4 });
    assert.equal(count(o, 'conv2d'), depth);
    assert.equal(count(o, 'maxpool'), stages[depth].length);
    const channels = [1, ...stages[depth].flatMap((n, j) => new Array(n).fill(4 << j))];
    const net = new Network(o);
    const side = [14, 7, 3][stages[depth].length - 1];
    let expected = side * side * channels[channels.length - 1] * 10 + 10;
    for (let i = 1; i < channels.length; i++) expected += (9 * channels[i - 1] + 1) * channels[i];
    assert.equal(net.parameterCount, expected, `depth ${depth}`);
    net.dispose();
  }
  const bn = plainConvNet({ depth: 4, width: 4, batchNorm: true });
  assert.equal(count(bn, 'batchnorm'), 4);
  assert.throws(() => plainConvNet({ depth: 0 }), /depth/);
});

test('resnet: depth 6n + 2 (8, 14) with option-A shortcuts, 28 -> 14 -> 7, global average pooling; vggBatchNorm: six conv - batch norm - relu layers of 32-64-128', () => {
  for (const [depth, n] of [[8, 1], [14, 2]]) {
    const o = resnet({ depth, width: 16 });
    const net = new Network(o);
    assert.equal(net.paramLayers.length, depth);
    const blocks = net.layers.filter((l) => l.kind === 'residual');
    assert.equal(blocks.length, 3 * n);
    assert.deepEqual(blocks.map((b) => b.outputShape[0]), [...new Array(n).fill(28), ...new Array(n).fill(14), ...new Array(n).fill(7)]);
    // Convolutions without bias; batch norm after each (2 per channel); the dense head 64 -> 10.
    const convs = [[1, 16], ...[16, 32, 64].flatMap((c, s) => new Array(2 * n).fill(0).map((_, j) => [j === 0 ? (s === 0 ? 16 : c / 2) : c, c]))];
    const expected = convs.reduce((a, [i, o2]) => a + 9 * i * o2 + 2 * o2, 0) + 64 * 10 + 10;
    assert.equal(net.parameterCount, expected);
    net.dispose();
  }
  assert.throws(() => resnet({ depth: 10 }), /depth: expected 6 n \+ 2/);
  const v = new Network(vggBatchNorm());
  assert.deepEqual(v.paramLayers.map((l) => l.weight.shape[3] ?? l.weight.shape[1]), [32, 32, 64, 64, 128, 128, 10]);
  assert.equal(v.layers.filter((l) => l.kind === 'batchnorm').length, 6);
  assert.deepEqual(v.layers[v.layers.length - 1].inputShape, [1152]);
  v.dispose();
});

const data = (shape: number[], n: number, seed: number) => ({
  x: Float32Array.from(randomTensor([n, ...shape], seed).dataSync()),
  y: Array.from(randomLabels(n, 10, seed + 1)),
  count: n,
});

test('the weight-norm constraint keeps every layer\'s norm at its initial value to float32 precision (fused plain conv net, reference-path ResNet); without it the norms move', async () => {
  for (const make of [() => plainConvNet({ depth: 4, width: 3, inputShape: [12, 12, 1], seed: 1 }), () => resnet({ depth: 8, width: 2, inputShape: [12, 12, 1], seed: 1 })]) {
    const norms: number[][] = [];
    for (const constrained of [true, false]) {
      const net = new Network(make());
      const initial = net.paramLayers.map((l) => tf.tidy(() => l.weight.norm().dataSync()[0]));
      await train(net, data([12, 12, 1], 16, 3), { epochs: 3, batchSize: 8, seed: 0, progress: false, alignment: false, weightNormConstraint: constrained, optimizer: { lr: 0.05, momentum: 0.9 } });
      norms.push(net.paramLayers.map((l, k) => Math.abs(tf.tidy(() => l.weight.norm().dataSync()[0]) / initial[k] - 1)));
      net.dispose();
    }
    assert.ok(Math.max(...norms[0]) < 1e-6, `constrained: largest relative change ${Math.max(...norms[0])}`);
    assert.ok(Math.max(...norms[1]) > 1e-4, `unconstrained: largest relative change ${Math.max(...norms[1])}`);
  }
});

/** float32 spacing at |x| (ulp). */
function ulp(x: number): number {
  const e = Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126)));
  return 2 ** (e - 23);
}

test('Batch Manhattan (momentum off) moves every weight, bias, gamma and beta by exactly the learning rate, on the fused and the reference path', () => {
  const lr = 2 ** -9;
  const cases: [string, NetworkOptions, number[]][] = [
    ['fused MLP', mlp({ inputSize: 6, hidden: [5, 4], classes: 10, activation: 'tanh', seed: 2 }), [6]],
    ['fused plain conv net with batch norm', plainConvNet({ depth: 2, width: 2, batchNorm: true, inputShape: [8, 8, 1], activation: 'tanh', seed: 2 }), [8, 8, 1]],
    ['reference ResNet', resnet({ depth: 8, width: 2, inputShape: [8, 8, 1], activation: 'tanh', seed: 2 }), [8, 8, 1]],
  ];
  for (const [name, o, shape] of cases) {
    const net = new Network(o);
    const opt = new Optimizer({ type: 'sgd', lr, momentum: 0, manhattan: true });
    const fused = fusedTrainer(net, opt);
    assert.equal(fused instanceof FusedTrainer, name.startsWith('fused'), `${name}: ${typeof fused === 'string' ? fused : 'fused'}`);
    const params = net.parameterPairs({ weights: net.paramLayers.map((l) => l.weight), biases: net.paramLayers.map((l) => l.bias), deltas: [], extra: net.extraParameters }).params;
    const beforeValues = params.map((p) => Float64Array.from(p.dataSync()));
    const d = data(shape, 6, 4);
    if (fused instanceof FusedTrainer) fused.stepIndices(d as never, Int32Array.from([0, 1, 2, 3, 4, 5]), { epoch: 0 });
    else {
      const x = tf.tensor(d.x, [6, ...shape]);
      const t = net.oneHot(d.y);
      net.trainStep(x, t, opt);
      tf.dispose([x, t]);
    }
    let moved = 0;
    params.forEach((p, i) => {
      const after = p.dataSync();
      after.forEach((w, j) => {
        const step = Math.abs(w - beforeValues[i][j]);
        assert.ok(Math.abs(step - lr) <= ulp(w) / 2, `${name} parameter ${i}[${j}]: moved ${step}, lr ${lr}`);
        moved++;
      });
    });
    assert.equal(moved, net.parameterCount);
    opt.dispose();
    net.dispose();
  }
});
