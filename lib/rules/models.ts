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

/**
 * A plain VGG-like conv net (no batch norm): blocks of 3x3 'same'
 * convolutions, each followed by the activation, a 2x2 max pool after every
 * block (skipped once the feature map is smaller than 2x2), then flatten and
 * one dense layer to the classes. The default, for 28x28 inputs, has eight
 * convolutions in four blocks of 32, 64, 128 and 256 channels (28 -> 14 -> 7
 * -> 3 -> 1), the depth of the LDFA paper's VGG-like net (training-rules.md)
 * at a width a CPU trains. Xavier-uniform weights, zero biases.
 */
export function vgg(options: ModelOptions & { inputShape?: [number, number, number]; blocks?: number[][] } = {}): NetworkOptions {
  const classes = checkInteger('classes', options.classes ?? 10, 2);
  const activation = checkOneOf('activation', options.activation ?? 'relu', ACTIVATIONS);
  const inputShape = options.inputShape ?? [28, 28, 1];
  if (!Array.isArray(inputShape) || inputShape.length !== 3) throw new ArgumentError('inputShape', '[height, width, channels]', inputShape);
  inputShape.forEach((n, i) => checkInteger(`inputShape[${i}]`, n, 1));
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0);
  if (options.rule !== undefined) ruleDefinition(options.rule);
  const blocks = options.blocks ?? [[32, 32], [64, 64], [128, 128], [256, 256]];
  if (!Array.isArray(blocks) || blocks.length === 0) throw new ArgumentError('blocks', 'a non-empty array of blocks (arrays of channel counts)', blocks);
  const layers: LayerSpec[] = [];
  let [h, w] = inputShape;
  blocks.forEach((block, b) => {
    if (!Array.isArray(block) || block.length === 0) throw new ArgumentError(`blocks[${b}]`, 'a non-empty array of channel counts', block);
    block.forEach((c, j) => {
      layers.push({ kind: 'conv2d', filters: checkInteger(`blocks[${b}][${j}]`, c, 1), kernelSize: 3, padding: 'same' }, { kind: 'activation', activation });
    });
    if (h >= 2 && w >= 2) {
      layers.push({ kind: 'maxpool', size: 2 });
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  });
  layers.push({ kind: 'flatten' }, { kind: 'dense', units: classes });
  return { inputShape: inputShape.slice(), layers, seed: options.seed ?? 0, rule: options.rule ?? 'bp', feedback: options.feedback ?? {} };
}
