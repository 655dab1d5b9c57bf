/**
 * Regression: every rule trains one epoch on a fixed 2,000-example MNIST
 * subset (an MLP and a small conv net) and its test accuracy on a fixed
 * 1,000-example test subset must stay within 1 point of the committed
 * fixture, so any change in a rule's behaviour is caught.
 *
 * Regenerate (only after an intended change, and say why in the commit):
 *   UPDATE_FIXTURES=1 node --import tsx --test test/rules/regression.test.ts
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { backendReport, initBackend } from '../../lib/core';
import { loadMnist } from '../../lib/data';
import { FeedbackOptions, mlp, Network, NetworkOptions, RULES, RuleName, train } from '../../lib/rules';

const FIXTURE = path.join(__dirname, 'fixtures', 'regression.json');

const SETTINGS = {
  data: { dataset: 'mnist', trainLimit: 2000, testLimit: 1000, subsetSeed: 0, normalize: 'standard' },
  train: { epochs: 1, batchSize: 64, seed: 2, optimizer: { type: 'sgd' as const, lr: 0.02, momentum: 0.9, weightDecay: 1e-3 } },
  networkSeed: 1,
  // Faster alignment than the authors' defaults so one epoch shows each rule's own effect.
  kuninFeedback: { optimizer: { type: 'sgd' as const, lr: 0.01, momentum: 0.9 } },
};

function model(kind: 'mlp' | 'cnn', rule: RuleName): NetworkOptions {
  const feedback: FeedbackOptions = ['weight-mirror', 'information-alignment', 'symmetric-alignment', 'activation-alignment'].includes(rule)
    ? SETTINGS.kuninFeedback
    : {};
  if (kind === 'mlp') return mlp({ inputSize: 784, hidden: [256, 256], classes: 10, rule, seed: SETTINGS.networkSeed, feedback });
  return {
    inputShape: [28, 28, 1],
    layers: [
      { kind: 'conv2d', filters: 8, kernelSize: 5, stride: 2 },
      { kind: 'activation', activation: 'relu' },
      { kind: 'conv2d', filters: 16, kernelSize: 3 },
      { kind: 'activation', activation: 'relu' },
      { kind: 'maxpool', size: 2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 10 },
    ],
    seed: SETTINGS.networkSeed,
    rule,
    feedback,
  };
}

before(async () => {
  // The project backend as users get it (wasm works too: conv filter gradients fall back to slice products).
  await initBackend({ print: false });
});

test('each rule, one epoch on 2,000 MNIST examples: test accuracy within 1 point of the fixture', async () => {
  const common = { normalize: 'standard' as const, seed: SETTINGS.data.subsetSeed };
  const trainData = loadMnist({ ...common, split: 'train', limit: SETTINGS.data.trainLimit });
  const testData = loadMnist({ ...common, split: 'test', limit: SETTINGS.data.testLimit });
  const measured: Record<string, number> = {};
  for (const kind of ['mlp', 'cnn'] as const) {
    for (const rule of RULES) {
      const net = new Network(model(kind, rule));
      const h = await train(net, trainData, { ...SETTINGS.train, test: testData, alignment: false, progress: false });
      measured[`${kind}/${rule}`] = h.records[h.records.length - 1].testAccuracy as number;
      net.dispose();
    }
  }
  if (process.env.UPDATE_FIXTURES === '1') {
    fs.mkdirSync(path.dirname(FIXTURE), { recursive: true });
    const fixture = { generated: new Date().toISOString(), backend: backendReport()?.line ?? 'unknown', settings: SETTINGS, testAccuracy: measured };
    fs.writeFileSync(FIXTURE, JSON.stringify(fixture, null, 2) + '\n');
    console.log(`wrote ${FIXTURE}`);
    return;
  }
  const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { testAccuracy: Record<string, number> };
  const off = Object.entries(measured)
    .filter(([k, v]) => !(Math.abs(v - fixture.testAccuracy[k]) <= 0.01))
    .map(([k, v]) => `${k}: measured ${(100 * v).toFixed(1)}%, fixture ${(100 * fixture.testAccuracy[k]).toFixed(1)}%`);
  assert.deepEqual(off, [], off.join('; '));
  // The fixture itself must separate the rules (else the test could not catch a rule turning into another).
  assert.ok(fixture.testAccuracy['mlp/bp'] - fixture.testAccuracy['mlp/fa'] > 0.03);
});
