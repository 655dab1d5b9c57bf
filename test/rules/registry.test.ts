/**
 * The rules registry: a rule added in one file (here, this test file) with
 * one registration trains like a built-in one and does what its equations
 * say; names are registered once; an unknown name is an error that lists
 * the known ones; the public lists and descriptions derive from the table.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import {
  ALL_RULES,
  KernelPathway,
  listRules,
  LOW_RANK_FEEDBACK_RULES,
  mlp,
  Network,
  Optimizer,
  ParamLayer,
  PathwayContext,
  registerRule,
  ruleDefinition,
  RuleName,
  RULES,
  train,
  xavierUniform,
} from '../../lib/rules';
import { randomLabels, randomTensor, relErr, ruleGradients, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

// ---- a new rule: one class and one registration (what a family file holds) ----
interface ScaledFaOptions {
  /** B = scale * (FA's Xavier-uniform draw). */
  scale?: number;
}

class ScaledFeedbackPathway extends KernelPathway {
  readonly rule = 'scaled-fa';
  constructor(layer: ParamLayer, ctx: PathwayContext<ScaledFaOptions>) {
    super(layer, tf.tidy(() => xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, ctx.rng).mul(ctx.options.scale as number)), false);
  }
}

registerRule<ScaledFaOptions>('scaled-fa', {
  family: 'test',
  description: 'feedback alignment with B scaled by a constant (a throwaway rule of this test)',
  defaults: { scale: 1 },
  create: (layer, ctx) => new ScaledFeedbackPathway(layer, ctx),
});
const SCALED_FA = 'scaled-fa' as RuleName; // a rule registered at run time is named with a cast

test('a rule registered in a test file: scale 1 is FA exactly; scale 2 doubles each hidden delta per layer above it (2^depth); it trains a step', async () => {
  const spec = (rule: RuleName, scale?: number) => ({ ...mlp({ inputSize: 9, hidden: [7, 6], classes: 4, seed: 3 }), rule, feedback: scale === undefined ? {} : ({ scale } as object) });
  const x = randomTensor([5, 9], 11);
  const labels = randomLabels(5, 4, 12);
  const fa = new Network(spec('fa'));
  const one = new Network(spec(SCALED_FA));
  const two = new Network(spec(SCALED_FA, 2));
  const gFa = ruleGradients(fa, x, labels);
  const gOne = ruleGradients(one, x, labels);
  const gTwo = ruleGradients(two, x, labels);
  // Same stream, same draw: the default scale 1 is FA bit for bit.
  gFa.forEach((g, k) => assert.deepEqual(Array.from(gOne[k]), Array.from(g), `layer ${k}`));
  // Layer k's delta passes through (2 - k) scaled kernels: gradients 4x, 2x, 1x FA's (powers of two: exact in float32).
  [4, 2, 1].forEach((factor, k) => assert.deepEqual(Array.from(gTwo[k]), Array.from(gFa[k], (v) => factor * v), `layer ${k} x${factor}`));
  // Not FA with a different draw: the feedback is exactly twice FA's B.
  two.pathways.forEach((p, k) => {
    const b2 = p.feedbackKernel() as tf.Tensor;
    const b1 = fa.pathways[k].feedbackKernel() as tf.Tensor;
    assert.ok(relErr(b2, b1.mul(2)) === 0);
    tf.dispose([b1, b2]);
  });
  const before = tf.memory().numTensors;
  const w0 = two.paramLayers.map((l) => l.weight.dataSync().slice());
  const h = await train(two, { x: new Rng(13).normalArray(8 * 9) as Float32Array, y: randomLabels(8, 4, 14), count: 8 }, {
    epochs: 1, batchSize: 8, optimizer: new Optimizer({ type: 'sgd', lr: 0.1 }), progress: false, alignment: false,
  });
  assert.equal(h.rule, SCALED_FA);
  assert.ok(Number.isFinite(h.records[1].trainLoss));
  two.paramLayers.forEach((l, k) => assert.ok(l.weight.dataSync().some((v, i) => v !== w0[k][i]), `layer ${k} moved`));
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked by the step');
  [fa, one, two].forEach((n) => n.dispose());
  x.dispose();
});

test('a name is registered once: a second registration throws an ArgumentError naming `name` and the family that holds it', () => {
  const definition = ruleDefinition('fa');
  assert.throws(() => registerRule('fa', definition), (e: Error) => e.name === 'ArgumentError' && /^name: /.test(e.message) && /"fa", registered by the random-feedback family/.test(e.message));
  assert.throws(() => registerRule('scaled-fa', definition), /^ArgumentError: name: expected a rule name not registered yet, got "scaled-fa", registered by the test family$/);
  assert.throws(() => registerRule('', definition), /name: expected a non-empty string/);
  assert.throws(() => registerRule('another', { ...definition, description: 'two\nlines' }), /definition.description: expected one line/);
  assert.throws(() => registerRule('another', { ...definition, create: undefined as never }), /definition: expected a RuleDefinition/);
  assert.ok(!listRules().some((r) => r.name === 'another'), 'a rejected definition is not registered');
});

test('an unknown rule name throws an ArgumentError naming `rule` and listing every registered rule', () => {
  const check = (e: Error) => {
    assert.equal(e.name, 'ArgumentError');
    assert.match(e.message, /^rule: expected one of /);
    for (const r of [...ALL_RULES, 'scaled-fa']) assert.ok(e.message.includes(`"${r}"`), `lists ${r}: ${e.message}`);
    assert.match(e.message, /got "feedback-alinement"/);
    return true;
  };
  assert.throws(() => ruleDefinition('feedback-alinement'), check);
  assert.throws(() => new Network(mlp({ inputSize: 3, hidden: [2], classes: 2, rule: 'feedback-alinement' as RuleName })), check);
  const net = new Network(mlp({ inputSize: 3, hidden: [2], classes: 2 }));
  assert.throws(() => net.setRule('feedback-alinement' as RuleName), check);
  assert.equal(net.rule, 'bp', 'a failed setRule leaves the rule as it was');
  net.dispose();
});

test('the public lists and listRules derive from the table: names, order, families, one-line descriptions and defaults', () => {
  assert.deepEqual(
    [...RULES],
    ['bp', 'fa', 'dfa', 'usf', 'frsf', 'brsf', 'kolen-pollack', 'weight-mirror', 'information-alignment', 'symmetric-alignment', 'activation-alignment'],
  );
  assert.deepEqual([...LOW_RANK_FEEDBACK_RULES], ['ldfa', 'dldfa']);
  assert.deepEqual([...ALL_RULES], [...RULES, ...LOW_RANK_FEEDBACK_RULES]);
  const rules = listRules();
  assert.deepEqual(rules.map((r) => r.name), [...ALL_RULES, 'scaled-fa']);
  for (const r of rules) assert.ok(r.description.length > 20 && !r.description.includes('\n'), `${r.name}: ${r.description}`);
  const byName = Object.fromEntries(rules.map((r) => [r.name, r]));
  assert.deepEqual(byName['weight-mirror'].defaults, { alpha: 1e-3, beta: 1e-3, noise: 'normal', noiseStd: 1, optimizer: { type: 'sgd', lr: 1e-3, momentum: 0.9 } });
  assert.deepEqual(byName['information-alignment'].defaults, { alpha: 2e-3, beta: 1e-3, gamma: 1e-3, noise: 'none', noiseStd: 1, optimizer: { type: 'sgd', lr: 1e-3, momentum: 0.9 } });
  assert.deepEqual(byName['kolen-pollack'].defaults, { optimizer: 'same' });
  assert.deepEqual(byName.ldfa.defaults, { rank: 'full', ldfaRule: 'raf', ojaOutputSignal: 'labels', optimizer: 'same' });
  assert.deepEqual(
    [...new Set(rules.map((r) => r.family))],
    ['random-feedback', 'sign-symmetric', 'kolen-pollack', 'kunin', 'low-rank', 'test'],
  );
});

test('options the user leaves undefined take the rule defaults; the network keeps what the user gave', () => {
  const net = new Network({ ...mlp({ inputSize: 4, hidden: [3], classes: 2 }), rule: 'information-alignment', feedback: { alpha: 0.5, gamma: undefined } });
  const options = (net.pathways[0] as unknown as { options: object }).options;
  assert.deepEqual(options, { alpha: 0.5, beta: 1e-3, gamma: 1e-3, noise: 'none', noiseStd: 1, optimizer: { type: 'sgd', lr: 1e-3, momentum: 0.9 } });
  assert.deepEqual(net.feedbackOptions, { alpha: 0.5, gamma: undefined });
  net.dispose();
});

// Compile-time checks (typecheck; never called): options are typed per rule.
export function typedOptions(): void {
  mlp({ rule: 'ldfa', feedback: { rank: [2, 'full'], ldfaRule: 'normative' } });
  mlp({ rule: 'weight-mirror', feedback: { alpha: 0.1, noise: 'uniform' } });
  // @ts-expect-error rank is not an option of Kolen-Pollack
  mlp({ rule: 'kolen-pollack', feedback: { rank: 3 } });
  // @ts-expect-error ldfaRule takes the LDFA rule names only
  mlp({ rule: 'ldfa', feedback: { ldfaRule: 'kolen-pollack' } });
  const net = new Network(mlp({}));
  // @ts-expect-error alpha is a Kunin coefficient, not an LDFA option
  net.setRule('dldfa', { alpha: 1 });
  net.dispose();
}
