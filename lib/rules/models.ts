/**
 * Ready-made architectures as NetworkOptions (plain objects, so they travel
 * to pool workers and into saved files). Private to lib/rules; see index.ts.
 */
import { ArgumentError, checkInteger, checkOneOf } from '../core';
import { ActivationName, ACTIVATIONS, LayerSpec } from './layers';
import { NetworkOptions } from './network';
import { ruleDefinition, RuleSetting } from './registry';

/** Size, activation and seed of a ready-made model, and its rule with that rule's options (`rule`, `feedback`; default BP). */
export type ModelOptions = {
  classes?: number;
  activation?: ActivationName;
  seed?: number;
} & RuleSetting;

/**
 * BioTorch's LeNet (arXiv 2108.13446) on 32x32 inputs: conv 6@5x5 - act -
 * maxpool 2 - conv 16@5x5 - act - maxpool 2 - conv 120@5x5 - act - flatten
 * (120) - dense 84 - act - dense classes. Xavier-uniform weights, zero biases.
 */
export function lenet(options: ModelOptions & { inputShape?: [number, number, number] } = {}): NetworkOptions {
  const classes = checkInteger('classes', options.classes ?? 10, 2);
  const activation = checkOneOf('activation', options.activation ?? 'relu', ACTIVATIONS);
  const inputShape = options.inputShape ?? [32, 32, 1];
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0);
  if (options.rule !== undefined) ruleDefinition(options.rule);
  const act: LayerSpec = { kind: 'activation', activation };
  return {
    inputShape: inputShape.slice(),
    layers: [
      { kind: 'conv2d', filters: 6, kernelSize: 5 },
      act,
      { kind: 'maxpool', size: 2 },
      { kind: 'conv2d', filters: 16, kernelSize: 5 },
      act,
      { kind: 'maxpool', size: 2 },
      { kind: 'conv2d', filters: 120, kernelSize: 5 },
      act,
      { kind: 'flatten' },
      { kind: 'dense', units: 84 },
      act,
      { kind: 'dense', units: classes },
    ],
    seed: options.seed ?? 0,
    rule: options.rule ?? 'bp',
    feedback: options.feedback ?? {},
  };
}

/** A multilayer perceptron inputSize - hidden... - classes with one activation throughout. */
export function mlp(options: ModelOptions & { inputSize?: number; hidden?: number[] } = {}): NetworkOptions {
  const classes = checkInteger('classes', options.classes ?? 10, 2);
  const inputSize = checkInteger('inputSize', options.inputSize ?? 784, 1);
  const activation = checkOneOf('activation', options.activation ?? 'relu', ACTIVATIONS);
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0);
  if (options.rule !== undefined) ruleDefinition(options.rule);
  const hidden = options.hidden ?? [256, 256];
  if (!Array.isArray(hidden)) throw new ArgumentError('hidden', 'an array of layer widths', hidden);
  const layers: LayerSpec[] = [];
  hidden.forEach((h, i) => {
    layers.push({ kind: 'dense', units: checkInteger(`hidden[${i}]`, h, 1) }, { kind: 'activation', activation });
  });
  layers.push({ kind: 'dense', units: classes });
  return { inputShape: [inputSize], layers, seed: options.seed ?? 0, rule: options.rule ?? 'bp', feedback: options.feedback ?? {} };
}
