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
 * A plain VGG-like conv net: blocks of 3x3 'same' convolutions, each
 * followed by the activation (with `batchNorm`, by batch normalisation then
 * the activation, the convolution without bias), a 2x2 max pool after every
 * block (skipped once the feature map is smaller than 2x2), then flatten and
 * one dense layer to the classes. The default, for 28x28 inputs, has eight
 * convolutions in four blocks of 32, 64, 128 and 256 channels (28 -> 14 -> 7
 * -> 3 -> 1), the depth of the LDFA paper's VGG-like net (training-rules.md)
 * at a width a CPU trains. Xavier-uniform weights, zero biases.
 */
export function vgg(options: ModelOptions & { inputShape?: [number, number, number]; blocks?: number[][]; batchNorm?: boolean } = {}): NetworkOptions {
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
      const filters = checkInteger(`blocks[${b}][${j}]`, c, 1);
      if (options.batchNorm) layers.push({ kind: 'conv2d', filters, kernelSize: 3, padding: 'same', bias: false }, { kind: 'batchnorm' });
      else layers.push({ kind: 'conv2d', filters, kernelSize: 3, padding: 'same' });
      layers.push({ kind: 'activation', activation });
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

/**
 * The VGG-like net with batch normalisation scaled for 28x28 inputs (issue
 * 31; the LDFA paper's 8-conv VGG-like net, training-rules.md, at a width a
 * CPU trains): six 3x3 convolutions of 32, 32, 64, 64, 128, 128 channels,
 * each conv - batch norm - activation, a 2x2 max pool after each pair
 * (28 -> 14 -> 7 -> 3), flatten (1152) and a dense layer to the classes.
 */
export function vggBatchNorm(options: ModelOptions & { inputShape?: [number, number, number] } = {}): NetworkOptions {
  return vgg({ ...options, blocks: [[32, 32], [64, 64], [128, 128]], batchNorm: true });
}

/** Convolutions per stage of a plain conv net of `depth` layers: over min(depth, 3) stages, the first stages one more when 3 does not divide it. */
function stageDepths(depth: number): number[] {
  const stages = Math.min(depth, 3);
  return Array.from({ length: stages }, (_, j) => Math.floor(depth / stages) + (j < depth % stages ? 1 : 0));
}

/**
 * A plain (no skip) conv net of `depth` 3x3 convolutions for 28x28 inputs
 * (depth standing in for scale, Moskovitz et al. 2018 on Fashion-MNIST; issue
 * 17): the convolutions split over min(depth, 3) stages of `width`, 2 `width`
 * and 4 `width` channels (depth 2: 1 + 1, 4: 2 + 1 + 1, 8: 3 + 3 + 2, 16:
 * 6 + 5 + 5), each conv followed by the activation (with `batchNorm`: batch
 * norm, then the activation), a 2x2 max pool after each stage (28 -> 14 -> 7
 * -> 3), flatten and a dense layer to the classes. Default width 16. It is
 * `vgg` with those blocks.
 */
export function plainConvNet(
  options: ModelOptions & { depth?: number; width?: number; batchNorm?: boolean; inputShape?: [number, number, number] } = {},
): NetworkOptions {
  const depth = checkInteger('depth', options.depth ?? 4, 1);
  const width = checkInteger('width', options.width ?? 16, 1);
  return vgg({ ...options, blocks: stageDepths(depth).map((n, j) => new Array(n).fill(width << j)) });
}

/**
 * A small ResNet for 28x28 inputs in the form of He et al.'s CIFAR networks
 * (arXiv 1512.03385, section 4.2): depth 6n + 2 (8: n = 1, 14: n = 2). A
 * 3x3 conv of `width` channels - batch norm - activation; three stages of n
 * residual blocks of `width`, 2 `width` and 4 `width` channels, each block
 * [conv 3x3 - batch norm - activation - conv 3x3 - batch norm] plus the
 * parameter-free shortcut (option A: identity, or subsampling by 2 and zero
 * channels where a stage starts with a stride-2 conv), then the activation;
 * global average pooling (7x7 at 28x28), flatten, a dense layer to the
 * classes. Convolutions pad 1 (torch's) and have no bias (batch norm
 * follows). Default depth 8, width 16.
 */
export function resnet(options: ModelOptions & { depth?: number; width?: number; inputShape?: [number, number, number] } = {}): NetworkOptions {
  const classes = checkInteger('classes', options.classes ?? 10, 2);
  const activation = checkOneOf('activation', options.activation ?? 'relu', ACTIVATIONS);
  const depth = checkInteger('depth', options.depth ?? 8, 8);
  if ((depth - 2) % 6 !== 0) throw new ArgumentError('depth', '6 n + 2 (8, 14, 20, ...)', depth);
  const width = checkInteger('width', options.width ?? 16, 1);
  const inputShape = options.inputShape ?? [28, 28, 1];
  if (!Array.isArray(inputShape) || inputShape.length !== 3) throw new ArgumentError('inputShape', '[height, width, channels]', inputShape);
  inputShape.forEach((n, i) => checkInteger(`inputShape[${i}]`, n, i < 2 ? 4 : 1));
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0);
  if (options.rule !== undefined) ruleDefinition(options.rule);
  const act: LayerSpec = { kind: 'activation', activation };
  const conv = (filters: number, stride = 1): LayerSpec => ({ kind: 'conv2d', filters, kernelSize: 3, stride, padding: 1, bias: false });
  const layers: LayerSpec[] = [conv(width), { kind: 'batchnorm' }, act];
  let [h, w] = inputShape;
  for (let stage = 0; stage < 3; stage++) {
    for (let b = 0; b < (depth - 2) / 6; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      if (stride === 2) {
        h = Math.floor((h - 1) / 2) + 1;
        w = Math.floor((w - 1) / 2) + 1;
      }
      const c = width << stage;
      layers.push({ kind: 'residual', body: [conv(c, stride), { kind: 'batchnorm' }, act, conv(c), { kind: 'batchnorm' }] }, act);
    }
  }
  layers.push({ kind: 'avgpool', size: Math.min(h, w) }, { kind: 'flatten' }, { kind: 'dense', units: classes });
  return { inputShape: inputShape.slice(), layers, seed: options.seed ?? 0, rule: options.rule ?? 'bp', feedback: options.feedback ?? {} };
}

/** Options of `vit`: sizes, seed, and the rule with its options (`rule`, `feedback`; default BP). The MLP's nonlinearity is GELU. */
export type VitOptions = {
  classes?: number;
  seed?: number;
  /** Image shape [height, width, channels] (default [28, 28, 1]); height and width multiples of the patch size. */
  inputShape?: [number, number, number];
  /** Patch side p (default 4: 49 tokens at 28x28). */
  patchSize?: number;
  /** Token width d (default 64). */
  width?: number;
  /** Number of transformer blocks (default 4). */
  depth?: number;
  /** Attention heads; d must be a multiple (default 4). */
  heads?: number;
  /** Hidden width of each block's MLP (default 2 d). */
  mlpWidth?: number;
} & RuleSetting;

/**
 * One pre-norm transformer block as two residual layers (transformer.ts):
 * h + proj(attention(qkv(LN h))) with qkv a dense map to 3d without bias,
 * then h + fc2(gelu(fc1(LN h))).
 */
export function transformerBlock(width: number, heads: number, mlpWidth: number): LayerSpec[] {
  const d = checkInteger('width', width, 1);
  checkInteger('heads', heads, 1);
  if (d % heads !== 0) throw new ArgumentError('width', `a multiple of heads (${heads})`, d);
  const m = checkInteger('mlpWidth', mlpWidth, 1);
  return [
    { kind: 'residual', body: [{ kind: 'layer-norm' }, { kind: 'dense', units: 3 * d, bias: false }, { kind: 'attention', heads }, { kind: 'dense', units: d }] },
    { kind: 'residual', body: [{ kind: 'layer-norm' }, { kind: 'dense', units: m }, { kind: 'gelu' }, { kind: 'dense', units: d }] },
  ];
}

/**
 * A small vision transformer (Dosovitskiy et al. 2021, arXiv 2010.11929):
 * patch embedding (p x p patches to width d, a learned position
 * embedding), `depth` pre-norm transformer blocks (`transformerBlock`),
 * layer norm, the mean over tokens (no class token) and a dense head. The
 * default, for 28x28 images, is patch 4, width 64, depth 4, 4 heads, MLP
 * width 128 -- issue 31's scale of the LDFA authors' CIFAR-10 ViT (patch 4,
 * width 384, depth 8, 8 heads; training-rules.md). Xavier-uniform kernels,
 * zero biases, position embedding N(0, 0.02^2). For LDFA with the authors'
 * rank 3r at the qkv layers, pass `feedback: { rank: attentionRanks(spec, r) }`.
 */
export function vit(options: VitOptions = {}): NetworkOptions {
  const classes = checkInteger('classes', options.classes ?? 10, 2);
  const inputShape = options.inputShape ?? [28, 28, 1];
  if (!Array.isArray(inputShape) || inputShape.length !== 3) throw new ArgumentError('inputShape', '[height, width, channels]', inputShape);
  inputShape.forEach((n, i) => checkInteger(`inputShape[${i}]`, n, 1));
  const p = checkInteger('patchSize', options.patchSize ?? 4, 1);
  if (inputShape[0] % p !== 0 || inputShape[1] % p !== 0) throw new ArgumentError('patchSize', `a divisor of the image height and width (${inputShape[0]}, ${inputShape[1]})`, p);
  const width = checkInteger('width', options.width ?? 64, 1);
  const depth = checkInteger('depth', options.depth ?? 4, 1);
  const heads = checkInteger('heads', options.heads ?? 4, 1);
  const mlpWidth = checkInteger('mlpWidth', options.mlpWidth ?? 2 * width, 1);
  if (options.seed !== undefined) checkInteger('seed', options.seed, 0);
  if (options.rule !== undefined) ruleDefinition(options.rule);
  const layers: LayerSpec[] = [{ kind: 'patch-embedding', patchSize: p, units: width }];
  for (let b = 0; b < depth; b++) layers.push(...transformerBlock(width, heads, mlpWidth));
  layers.push({ kind: 'layer-norm' }, { kind: 'token-mean' }, { kind: 'dense', units: classes });
  return { inputShape: inputShape.slice(), layers, seed: options.seed ?? 0, rule: options.rule ?? 'bp', feedback: options.feedback ?? {} };
}

/**
 * LDFA ranks per parametric layer (pre-order, the order of
 * `Network.paramLayers`) for a network with attention: 3r for a qkv
 * projection (a parametric layer followed by an attention layer), r for
 * every other, as the LDFA authors' ViT; use as `feedback.rank` (each is
 * capped at its layer's error width).
 */
export function attentionRanks(network: NetworkOptions, r: number): number[] {
  if (!network || !Array.isArray(network.layers)) throw new ArgumentError('network', 'NetworkOptions with layers', network);
  checkInteger('r', r, 1);
  const ranks: number[] = [];
  const walk = (specs: LayerSpec[]) =>
    specs.forEach((s, i) => {
      if (s.kind === 'dense' || s.kind === 'conv2d' || s.kind === 'patch-embedding') ranks.push(specs[i + 1]?.kind === 'attention' ? 3 * r : r);
      else if (s.kind === 'residual') walk(s.body);
    });
  walk(network.layers);
  return ranks;
}
