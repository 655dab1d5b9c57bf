/**
 * Learned feedback: Kolen-Pollack and weight mirror align B with W; the
 * Kunin et al. alignment gradients equal central differences of their
 * losses (exact for these quadratics) and descending them lowers the loss.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import type { ArrayDataset } from '../../lib/data';
import { angleBetween, listRules, mlp, Network, Optimizer, RuleName, train } from '../../lib/rules';
import { randomTensor, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

/** Inputs N(0, I) labelled by the argmax of a fixed random linear teacher. */
function teacherData(count: number, dim: number, classes: number, seed: number): ArrayDataset {
  const r = new Rng(seed);
  const T = r.normalArray(dim * classes);
  const x = r.normalArray(count * dim) as Float32Array;
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += x[n * dim + i] * T[i * classes + c];
      if (s > best) {
        best = s;
        y[n] = c;
      }
    }
  }
  return { x, y, count };
}

async function finalFeedbackAngles(rule: RuleName, feedback: object, optimizer: object, epochs: number): Promise<{ first: number[]; last: number[]; acc: number }> {
  const net = new Network(mlp({ inputSize: 20, hidden: [32, 32], classes: 4, activation: 'tanh', seed: 4, rule, feedback }));
  const data = teacherData(512, 20, 4, 5);
  const h = await train(net, data, { epochs, batchSize: 32, optimizer, seed: 6, progress: false, probeSize: 128 });
  const angles = (k: number) => h.records[k].alignment.map((a) => a.feedbackAngle as number);
  const out = { first: angles(0), last: angles(h.records.length - 1), acc: h.records[h.records.length - 1].trainAccuracy };
  net.dispose();
  return out;
}

test('Kolen-Pollack drives angle(B, W^T) below 10 degrees', async () => {
  const r = await finalFeedbackAngles('kolen-pollack', {}, { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.02 }, 25);
  r.first.forEach((a) => assert.ok(a > 60, `initial angle ${a}`));
  r.last.forEach((a, k) => assert.ok(a < 10, `layer ${k}: final angles ${r.last}`));
});

test('weight mirror with noise inputs drives angle(B, W^T) below 10 degrees', async () => {
  const r = await finalFeedbackAngles(
    'weight-mirror',
    { alpha: 0.1, beta: 0.1, noise: 'normal', optimizer: { type: 'sgd', lr: 0.1 } },
    { type: 'sgd', lr: 0.01, momentum: 0.9 },
    25,
  );
  r.first.forEach((a) => assert.ok(a > 60, `initial angle ${a}`));
  // The first layer's B never carries a signal but still mirrors; check every layer.
  r.last.forEach((a, k) => assert.ok(a < 10, `layer ${k}: final angles ${r.last}`));
});

test('FA keeps its random B (control: the angle does not close by itself)', async () => {
  const r = await finalFeedbackAngles('fa', {}, { type: 'sgd', lr: 0.05, momentum: 0.9 }, 5);
  r.last.forEach((a) => assert.ok(a > 45, `angle ${a}`));
});

const KUNIN: RuleName[] = ['weight-mirror', 'information-alignment', 'symmetric-alignment', 'activation-alignment'];

test('the Kunin tests below cover every rule of the Kunin family in the registry', () => {
  assert.deepEqual(listRules().filter((r) => r.family === 'kunin').map((r) => r.name), KUNIN);
});

function kuninNet(rule: RuleName, conv: boolean): Network {
  return new Network(
    conv
      ? {
          inputShape: [6, 6, 2],
          layers: [{ kind: 'conv2d', filters: 3, kernelSize: 3 }, { kind: 'activation', activation: 'relu' }, { kind: 'flatten' }, { kind: 'dense', units: 3 }],
          seed: 12,
          rule,
          feedback: { alpha: 0.3, beta: 0.2, gamma: 0.1, noise: 'none' },
        }
      : { ...mlp({ inputSize: 7, hidden: [5], classes: 3, seed: 12, rule }), feedback: { alpha: 0.3, beta: 0.2, gamma: 0.1, noise: 'none' } },
  );
}

test('Kunin alignment gradients equal central differences of their losses (dense and conv)', () => {
  for (const conv of [false, true]) {
    for (const rule of KUNIN) {
      const net = kuninNet(rule, conv);
      const p = net.pathways[0] as unknown as { B: tf.Variable; alignmentGradient(x: tf.Tensor): tf.Tensor };
      const x = randomTensor([4, ...net.inputShape], 81);
      const V = randomTensor(p.B.shape, 82);
      const g = p.alignmentGradient(x);
      const B0 = p.B.clone();
      const eps = 0.05;
      p.B.assign(B0.add(V.mul(eps)));
      const lp = net.pathways[0].alignmentLoss(x)!;
      p.B.assign(B0.sub(V.mul(eps)));
      const lm = net.pathways[0].alignmentLoss(x)!;
      const fd = (lp - lm) / (2 * eps);
      const an = g.mul(V).sum().dataSync()[0];
      assert.ok(Math.abs(fd - an) <= 2e-3 * Math.max(1, Math.abs(an)), `${rule} conv=${conv}: analytic ${an} vs central difference ${fd}`);
      tf.dispose([x, V, g, B0]);
      net.dispose();
    }
  }
});

test('information alignment and the non-local rules decrease their alignment losses (W fixed)', () => {
  for (const conv of [false, true]) {
    for (const rule of KUNIN) {
      const net = kuninNet(rule, conv);
      const path = net.pathways[0];
      const x = randomTensor([16, ...net.inputShape], 91);
      const main = new Optimizer({ type: 'sgd', lr: 0.01 }).options;
      const ctxFor = () => ({ input: x, delta: x, weightGradient: x, outputError: x, targets: x, paramIndex: 0, mainOptimizer: main, epoch: 0 });
      (net.pathways[0] as unknown as { options: { optimizer: object } }).options.optimizer = { type: 'sgd', lr: 2e-3 };
      const l0 = path.alignmentLoss(x)!;
      const W0 = net.paramLayers[0].weight.dataSync().slice();
      let prev = l0;
      for (let i = 0; i < 40; i++) {
        path.learn(ctxFor());
        const l = path.alignmentLoss(x)!;
        assert.ok(l <= prev + 1e-6 * Math.abs(prev), `${rule} conv=${conv} step ${i}: ${l} > ${prev}`);
        prev = l;
      }
      assert.ok(prev < l0 - 1e-3 * Math.abs(l0), `${rule} conv=${conv}: ${l0} -> ${prev}`);
      assert.deepEqual(net.paramLayers[0].weight.dataSync(), W0, 'learn must not move W');
      x.dispose();
      net.dispose();
    }
  }
});

test('symmetric alignment converges to B = (beta / 2 alpha) W (closed form of alpha ||B||^2 - beta tr(B W))', () => {
  const net = new Network({ ...mlp({ inputSize: 6, hidden: [4], classes: 3, seed: 2, rule: 'symmetric-alignment' }), feedback: { alpha: 0.5, beta: 0.4, optimizer: { type: 'sgd', lr: 0.2 } } });
  const path = net.pathways[1];
  const x = randomTensor([3, 4], 5);
  const main = new Optimizer({}).options;
  for (let i = 0; i < 200; i++) path.learn({ input: x, delta: x, weightGradient: x, outputError: x, targets: x, paramIndex: 1, mainOptimizer: main, epoch: 0 });
  const B = path.feedbackKernel()!;
  const expected = net.paramLayers[1].weight.mul(0.4 / (2 * 0.5));
  assert.ok(B.sub(expected).abs().max().dataSync()[0] < 1e-5);
  assert.ok(angleBetween(B, net.paramLayers[1].weight) < 1e-2);
  tf.dispose([x, B, expected]);
  net.dispose();
});
