/**
 * Vision transformers as Networks (lib/rules/transformer.ts layers in
 * residual blocks, models.ts `vit`): BP's gradients against tfjs autodiff of
 * the whole network; 20 BP steps against PyTorch's loss curve and final
 * weights on the same weights and data (the fixture written by
 * bench/transformer_torch.py); LDFA at full rank with P = I, Q = W equal to
 * BP; every registered rule trains it, LDFA's qkv layers at rank 3r.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ALL_RULES, attentionRanks, LowRankPathway, Network, Optimizer, vit, type FeedbackOptions } from '../../lib/rules';
import { randomLabels, randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const tiny = (o: Partial<Parameters<typeof vit>[0]> = {}) =>
  vit({ inputShape: [8, 8, 1], patchSize: 4, width: 8, depth: 2, heads: 2, mlpWidth: 16, classes: 3, seed: 3, ...o } as Parameters<typeof vit>[0]);

/** Every forward parameter of the network: the parametric layers' kernels and biases, then the layer norms' gains and shifts. */
function allParameters(net: Network): tf.Variable[] {
  return [...net.paramLayers.flatMap((l) => (l.bias ? [l.weight, l.bias] : [l.weight])), ...net.extraParameters];
}

/** The network's gradients in `allParameters` order. */
function flatGradients(g: ReturnType<Network['backward']>): tf.Tensor[] {
  return [...g.weights.flatMap((w, k) => (g.biases[k] ? [w, g.biases[k] as tf.Tensor] : [w])), ...(g.extra ?? [])];
}

test('vit(): the architecture (pre-norm blocks of attention and MLP, layer norm, mean over tokens) and its parameter count by hand', () => {
  const net = new Network(tiny());
  // patch 16x8 + E 4x8; per block: LN 2x8, qkv 8x24, proj 8x8+8, LN 2x8, fc1 8x16+16, fc2 16x8+8; head LN 2x8, dense 8x3+3
  const block = 16 + 192 + 72 + 16 + 144 + 136;
  assert.equal(net.parameterCount, 128 + 32 + 2 * block + 16 + 27);
  assert.deepEqual(net.paramLayers.map((l) => l.weight.shape.join('x')), ['16x8', '8x24', '8x8', '8x16', '16x8', '8x24', '8x8', '8x16', '16x8', '8x3']);
  assert.deepEqual(attentionRanks(tiny(), 2), [2, 6, 2, 2, 2, 6, 2, 2, 2, 2]);
  net.dispose();
  assert.throws(() => vit({ width: 10, heads: 4 }), /width/);
});

test('BP through a ViT equals tfjs autodiff of its loss (every kernel, bias, position embedding and layer-norm parameter)', () => {
  const net = new Network(tiny());
  const x = randomTensor([5, 8, 8, 1], 1);
  const t = net.oneHot(randomLabels(5, 3, 2));
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'bp');
  const params = allParameters(net);
  const auto = tf.variableGrads(() => net.lossAndError(net.predict(x), t).loss, params);
  const mine = flatGradients(g);
  assert.equal(mine.length, params.length);
  params.forEach((p, i) => assert.ok(relErr(mine[i], auto.grads[p.name]) < 1e-4, `parameter ${i} [${p.shape}]: ${relErr(mine[i], auto.grads[p.name])}`));
  tf.dispose([x, t, loss, error, auto.value, ...Object.values(auto.grads)]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

test("a ViT trained by BP follows PyTorch's loss curve for 20 SGD steps on the same weights and data (fixture from bench/transformer_torch.py)", () => {
  const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'transformer-torch.json'), 'utf8'));
  const m = fx.model;
  const net = new Network(vit({ inputShape: m.inputShape, patchSize: m.patchSize, width: m.width, depth: m.depth, heads: m.heads, mlpWidth: m.mlpWidth, classes: m.classes }));
  // the fixture's names in allParameters order (parametric layers in pre-order, then the layer norms)
  const names = ['patch.W', 'patch.E', 'qkv.W', 'proj.W', 'proj.b', 'fc1.W', 'fc1.b', 'fc2.W', 'fc2.b', 'head.W', 'head.b', 'ln1.g', 'ln1.b', 'ln2.g', 'ln2.b', 'lnh.g', 'lnh.b'];
  const params = allParameters(net);
  assert.equal(params.length, names.length);
  params.forEach((p, i) => {
    const init = fx.initial[names[i]];
    assert.deepEqual(p.shape, init.shape, names[i]);
    p.assign(tf.tensor(init.data, init.shape));
  });
  const x = tf.tensor(fx.x, [fx.train.batch, ...m.inputShape]);
  const t = net.oneHot(fx.labels);
  const opt = new Optimizer({ type: 'sgd', lr: fx.train.lr, momentum: fx.train.momentum });
  const losses: number[] = [];
  for (let s = 0; s < fx.train.steps; s++) losses.push(net.trainStep(x, t, opt).loss);
  const gaps = losses.map((l, s) => Math.abs(l - fx.losses[s]));
  assert.ok(Math.max(...gaps) < 1e-6, `loss gaps ${gaps.map((v) => v.toExponential(1)).join(' ')}; ours ${losses[19]}, torch ${fx.losses[19]}`);
  assert.ok(fx.losses[19] < 0.5 * fx.losses[0], 'the curve must fall (the test would be weak on a flat one)');
  params.forEach((p, i) => assert.ok(relErr(p, fx.final[names[i]]) < 5e-6, `${names[i]} after 20 steps: ${relErr(p, fx.final[names[i]])}`));
  tf.dispose([x, t]);
  opt.dispose();
  net.dispose();
});

test('LDFA at full rank with P = I and Q = W equals BP in transformer blocks (every delta, kernel and layer-norm gradient)', () => {
  const net = new Network({ ...tiny(), rule: 'ldfa', feedback: { rank: 'full', ldfaRule: 'fixed' } });
  net.paramLayers.forEach((l, k) => {
    const p = net.pathways[k] as LowRankPathway;
    if (k === 0) return assert.ok(p.dormant); // nothing is sent below the first layer
    const out = l.weight.shape[l.weight.shape.length - 1];
    assert.equal(p.rank, out);
    const eye = tf.eye(out);
    p.setState({ P: eye, Q: l.weight });
    eye.dispose();
  });
  const x = randomTensor([4, 8, 8, 1], 5);
  const t = net.oneHot(randomLabels(4, 3, 6));
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const gr = net.backward(trace, error, 'rule');
  const gb = net.backward(trace, error, 'bp');
  const [a, b] = [flatGradients(gr), flatGradients(gb)];
  a.forEach((v, i) => assert.ok(relErr(v, b[i]) < 1e-5, `gradient ${i}: ${relErr(v, b[i])}`));
  gr.deltas.forEach((d, k) => assert.ok(relErr(d, gb.deltas[k]) < 1e-5, `delta ${k}`));
  // and a random rank-2 P, Q does differ (the check can fail)
  net.setRule('ldfa', { rank: 2, ldfaRule: 'fixed' });
  const g2 = net.backward(trace, error, 'rule');
  assert.ok(relErr(g2.weights[1], gb.weights[1]) > 0.1);
  tf.dispose([x, t, loss, error]);
  [gr, gb, g2].forEach((g) => net.disposeGradients(g));
  net.disposeTrace(trace);
  net.dispose();
});

test('every registered rule trains a ViT (each step moves every parameter, no tensor leaks); LDFA gives the qkv layers rank 3r', () => {
  const spec = tiny({ depth: 1 });
  const net = new Network(spec);
  const x = randomTensor([6, 8, 8, 1], 7);
  const t = net.oneHot(randomLabels(6, 3, 8));
  const ranks = attentionRanks(spec, 2);
  for (const rule of ALL_RULES) {
    const feedback: FeedbackOptions = rule === 'ldfa' || rule === 'dldfa' ? { rank: ranks } : {};
    net.setRule(rule, feedback);
    if (rule === 'ldfa') assert.deepEqual(net.pathways.map((p) => (p as LowRankPathway).rank), [2, 6, 2, 2, 2, 2]);
    const opt = new Optimizer({ type: 'adam', lr: 1e-3 });
    net.trainStep(x, t, opt);
    const before = tf.memory().numTensors;
    const params = allParameters(net);
    const old = params.map((p) => p.dataSync().slice());
    const r = net.trainStep(x, t, opt);
    assert.ok(Number.isFinite(r.loss), rule);
    params.forEach((p, i) => assert.ok(p.dataSync().some((v, j) => v !== old[i][j]), `${rule}: parameter ${i} did not move`));
    assert.equal(tf.memory().numTensors, before, `${rule}: tensor count grew`);
    opt.dispose();
  }
  tf.dispose([x, t]);
  net.dispose();
});
