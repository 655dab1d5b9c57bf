/**
 * Layers with explicit forward, backward and forward-mode (tangent) passes.
 * Private to lib/rules; the contract is documented in index.ts.
 *
 * Orientation: examples are rows. A dense layer computes `a = x W + b` with
 * W of shape [in, out]; a conv layer computes `a = conv2d(x, K) + b` with K
 * of shape [kh, kw, inChannels, outChannels] (tfjs NHWC layout).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkOneOf, Rng } from '../core';

export type LayerKind = 'dense' | 'conv2d' | 'locally-connected' | 'maxpool' | 'avgpool' | 'flatten' | 'activation' | 'batchnorm' | 'residual' | 'layer-norm' | 'gelu' | 'attention' | 'token-mean' | 'gaussian-noise';
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'linear';
export const ACTIVATIONS: readonly ActivationName[] = ['relu', 'tanh', 'sigmoid', 'linear'];

/** Serialisable description of a layer (what save/load and the worker pool pass around). */
export type LayerSpec =
  | { kind: 'dense'; units: number; bias?: boolean }
  | { kind: 'conv2d'; filters: number; kernelSize: number; stride?: number; padding?: 'valid' | 'same' | number; bias?: boolean }
  /** A convolution whose kernel is not shared over positions (locally-connected.ts); padding in pixels on every side. */
  | { kind: 'locally-connected'; filters: number; kernelSize: number; stride?: number; padding?: number; bias?: boolean }
  | { kind: 'maxpool'; size: number; stride?: number }
  | { kind: 'avgpool'; size: number; stride?: number }
  | { kind: 'flatten' }
  | { kind: 'activation'; activation: ActivationName }
  /** Batch normalisation over every axis but the last (batch-norm.ts); torch's defaults momentum 0.1, epsilon 1e-5. */
  | { kind: 'batchnorm'; momentum?: number; epsilon?: number }
  /** y = body(x) + S(x), S the parameter-free shortcut: identity, or strided subsampling and zero channels (residual.ts). */
  | { kind: 'residual'; body: LayerSpec[] }
  /** Vision-transformer layers (transformer.ts): a dense map of each p x p patch plus a position embedding (a parametric layer of kind 'dense'). */
  | { kind: 'patch-embedding'; patchSize: number; units: number }
  /** Layer norm over the last axis with gain and shift (torch's epsilon 1e-5). */
  | { kind: 'layer-norm'; epsilon?: number }
  | { kind: 'gelu' }
  /** Multi-head self-attention on a qkv projection [tokens, 3 d] -> [tokens, d] (no parameters). */
  | { kind: 'attention'; heads: number }
  /** Mean over tokens: [tokens, d] -> [d]. */
  | { kind: 'token-mean' }
  /** x + N(0, sigma^2) noise in training mode, identity in evaluation (noise.ts); seed: its own stream (default: the network's). */
  | { kind: 'gaussian-noise'; sigma: number; seed?: number };

/** Every layer. Shapes are per example (no batch axis). */
export interface Layer {
  readonly kind: LayerKind;
  readonly spec: LayerSpec;
  inputShape: number[];
  outputShape: number[];
  /** Fixes shapes from the input shape and draws parameters. */
  build(inputShape: number[], rng: Rng): void;
  /** y = layer(x) for a batch x of shape [N, ...inputShape]. Pure. */
  forward(x: tf.Tensor): tf.Tensor;
  /** Backward through a parameter-free layer: dL/dx from dL/dy, the layer's input and output. */
  backward(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor): tf.Tensor;
  /** Forward-mode derivative: dy = J_x dx (+ the parameter tangent for parametric layers). */
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null, paramTangent?: ParamTangent): tf.Tensor;
  // Optional hooks (batch-norm.ts, residual.ts); the network's passes (sequence.ts) call each where present.
  /** Layers inside this one, in forward order (a residual block's body): the network walks into them, so their parametric layers get pathways. */
  readonly body?: Layer[];
  /** With `body`: the layer's output from the body's output and the layer's input (residual: body + S(x)). */
  mergeBody?(bodyOutput: tf.Tensor, input: tf.Tensor): tf.Tensor;
  /** With `body`: the signal reaching the input around the body, exact under every rule (residual: S^T dy). */
  bypass?(dy: tf.Tensor): tf.Tensor;
  /** Training (batch statistics) or evaluation (running statistics) mode; the network sets it before each pass. */
  setTraining?(training: boolean): void;
  /** Folds a training batch's statistics into the running ones (Network.trainStep, once per step). */
  updateStatistics?(input: tf.Tensor): void;
  /** Parameters outside the feedback contract (batch norm's scale and shift): always trained by their exact gradient. */
  parameters?(): tf.Variable[];
  /** Exact gradients of `parameters()` from the signal at the output, in the same order. */
  parameterGradients?(dy: tf.Tensor, input: tf.Tensor): tf.Tensor[];
  /** Variables saved with the network (batch norm: the parameters and running statistics), by name. */
  stateVariables?(): Record<string, tf.Variable>;
  dispose?(): void;
}

/** Directions for a layer's weight and bias (forward-mode / R-operator passes). */
export interface ParamTangent {
  weight?: tf.Tensor;
  bias?: tf.Tensor;
}

/**
 * A layer with a weight kernel. Its three linear maps are all that backward
 * passes, feedback pathways and alignment losses need, for dense and conv
 * layers alike:
 *   linear(x, K)          x K              (conv2d(x, K))
 *   inputAdjoint(dy, K)   dy K^T           (conv2dTranspose(dy, K)): BP uses K = W, FA K = B
 *   kernelGradient(x, dy) x^T dy           (Conv2DBackpropFilter): the weight update
 */
export interface ParamLayer extends Layer {
  readonly kind: 'dense' | 'conv2d' | 'locally-connected';
  weight: tf.Variable;
  bias: tf.Variable | null;
  /** Fan-in and fan-out as in torch (conv: times the kernel area). */
  fanIn: number;
  fanOut: number;
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor;
  biasGradient(dy: tf.Tensor): tf.Tensor;
}

export function isParamLayer(layer: Layer): layer is ParamLayer {
  return layer.kind === 'dense' || layer.kind === 'conv2d' || layer.kind === 'locally-connected';
}

/** Xavier (Glorot) uniform draws, limit sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(shape: number[], fanIn: number, fanOut: number, rng: Rng): tf.Tensor {
  if (!Array.isArray(shape)) throw new ArgumentError('shape', 'an array of dimensions', shape);
  shape.forEach((d, i) => checkInteger(`shape[${i}]`, d, 1));
  checkInteger('fanIn', fanIn, 1);
  checkInteger('fanOut', fanOut, 1);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.uniformArray(size, -limit, limit) as Float32Array, shape, 'float32');
}

/**
 * Whether tfjs is recording operations for a gradient (inside tf.grad,
 * tf.variableGrads and the like): reads the engine's gradient depth
 * (tfjs-core's own isTapeOn test; tfjs is pinned at 4.22).
 */
function recordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  return state.gradientDepth > 0;
}

/**
 * Statistics a normalising layer (batch norm, layer norm) computes from its
 * input, kept for the last input tensor: forward, backward and parameter
 * gradients of one training step need them for the same x, so they are
 * computed once. Keyed on the tensor object (tfjs tensors are immutable: the
 * same live object holds the same values); the layer clears them when a
 * training pass ends (evaluation mode) and on dispose. Never kept or reused
 * while a gradient is recorded: tensors computed off the tape would hide
 * their dependence on the input from autodiff.
 */
export class KeptStatistics<T extends Record<string, tf.Tensor>> {
  private kept: { x: tf.Tensor; values: T } | null = null;
  /** compute()'s tensors for x: the kept ones when x is the last input, else computed (and kept, outside a gradient). */
  of(x: tf.Tensor, compute: () => T): T {
    const recording = recordingGradients();
    if (recording) return compute();
    if (this.kept && this.kept.x === x && !x.isDisposed) return this.kept.values;
    this.clear();
    const values = tf.tidy(compute);
    Object.values(values).forEach((t) => tf.keep(t));
    this.kept = { x, values };
    return values;
  }
  clear(): void {
    if (this.kept) tf.dispose(Object.values(this.kept.values));
    this.kept = null;
  }
}

/** A variable holding `initial`'s values; `initial` is disposed (tf.variable copies it). */
export function variableFrom(initial: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Collapses leading per-example axes (vector-valued units) into the batch axis. */
function asRows(x: tf.Tensor, trailing: number[]): tf.Tensor {
  return x.reshape([-1, ...trailing]);
}

// ---------------------------------------------------------------- dense
/** x K + b for any parametric layer (dense: matMul; conv: conv2d), through its own `linear`. */
function affineForward(layer: ParamLayer, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const a = layer.linear(x, layer.weight);
    return layer.bias ? a.add(layer.bias) : a;
  });
}

/** Forward-mode derivative of x K + b: dx K + x V_K + V_b (the layer is linear in each of x, K and b; b may broadcast, e.g. per token). */
export function affineJvp(layer: ParamLayer, input: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
  return tf.tidy(() => {
    let out: tf.Tensor = dx ? layer.linear(dx, layer.weight) : tf.zeros([input.shape[0], ...layer.outputShape]);
    if (t?.weight) out = out.add(layer.linear(input, t.weight));
    if (t?.bias) out = out.add(t.bias);
    return out;
  });
}

export class Dense implements ParamLayer {
  readonly kind = 'dense' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  weight!: tf.Variable;
  bias: tf.Variable | null = null;
  fanIn = 0;
  fanOut = 0;
  constructor(readonly spec: Extract<LayerSpec, { kind: 'dense' }>) {
    checkInteger('dense.units', spec.units, 1);
  }
  build(inputShape: number[], rng: Rng): void {
    if (inputShape.length < 1) throw new ArgumentError('dense input shape', 'at least one axis', `[${inputShape}]`);
    const nIn = inputShape[inputShape.length - 1];
    this.inputShape = inputShape.slice();
    // Leading axes (e.g. K components of vector-valued units) share the weight matrix.
    this.outputShape = [...inputShape.slice(0, -1), this.spec.units];
    this.fanIn = nIn;
    this.fanOut = this.spec.units;
    this.weight = variableFrom(xavierUniform([nIn, this.spec.units], nIn, this.spec.units, rng), true);
    this.bias = this.spec.bias === false ? null : variableFrom(tf.zeros([this.spec.units]), true);
  }
  private restore(x: tf.Tensor, y2: tf.Tensor, units: number): tf.Tensor {
    return y2.reshape([x.shape[0], ...this.inputShape.slice(0, -1), units]);
  }
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.restore(x, tf.matMul(asRows(x, [this.fanIn]) as tf.Tensor2D, kernel as tf.Tensor2D), this.spec.units));
  }
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      this.restore(dy, tf.matMul(asRows(dy, [this.spec.units]) as tf.Tensor2D, kernel as tf.Tensor2D, false, true), this.fanIn),
    );
  }
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.matMul(asRows(x, [this.fanIn]) as tf.Tensor2D, asRows(dy, [this.spec.units]) as tf.Tensor2D, true, false));
  }
  biasGradient(dy: tf.Tensor): tf.Tensor {
    return tf.tidy(() => asRows(dy, [this.spec.units]).sum(0));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return affineForward(this, x);
  }
  backward(): tf.Tensor {
    throw new Error('Dense.backward: a parametric layer propagates through its feedback pathway (Network.backward)');
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return affineJvp(this, input, dx, t);
  }
}

// ---------------------------------------------------------------- conv2d
function convOutSize(n: number, k: number, s: number, pad: 'valid' | 'same' | number): number {
  if (pad === 'same') return Math.ceil(n / s);
  const p = pad === 'valid' ? 0 : pad;
  return Math.floor((n + 2 * p - k) / s) + 1;
}

/**
 * Filter gradient of a square conv2d from products of strided slices:
 * dK[i, j] = sum over examples and output positions of x[p s + i, q s + j]^T dy[p, q],
 * one [C, N*OH*OW] x [N*OH*OW, O] product per kernel offset. Used where the
 * backend lacks the Conv2DBackpropFilter kernel (wasm).
 */
export function conv2dFilterGradient(x: tf.Tensor, dy: tf.Tensor, k: number, stride: number, padding: 'valid' | 'same' | number): tf.Tensor {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [, oh, ow, o] = dy.shape;
    const pads = (size: number, out: number): [number, number] => {
      if (padding === 'valid') return [0, 0];
      if (typeof padding === 'number') return [padding, padding];
      const total = Math.max((out - 1) * stride + k - size, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const ph = pads(h, oh);
    const pw = pads(w, ow);
    const xp = ph[0] || ph[1] || pw[0] || pw[1] ? tf.pad(x, [[0, 0], ph, pw, [0, 0]]) : x;
    const dy2 = dy.reshape([n * oh * ow, o]) as tf.Tensor2D;
    const blocks: tf.Tensor[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const patch = tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * stride + 1, j + (ow - 1) * stride + 1, c], [1, stride, stride, 1]);
        blocks.push(tf.matMul(patch.reshape([n * oh * ow, c]) as tf.Tensor2D, dy2, true, false));
      }
    }
    return tf.stack(blocks).reshape([k, k, c, o]);
  });
}

export class Conv2d implements ParamLayer {
  readonly kind = 'conv2d' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  weight!: tf.Variable;
  bias: tf.Variable | null = null;
  fanIn = 0;
  fanOut = 0;
  readonly stride: number;
  readonly padding: 'valid' | 'same' | number;
  constructor(readonly spec: Extract<LayerSpec, { kind: 'conv2d' }>) {
    checkInteger('conv2d.filters', spec.filters, 1);
    checkInteger('conv2d.kernelSize', spec.kernelSize, 1);
    this.stride = checkInteger('conv2d.stride', spec.stride ?? 1, 1);
    const p = spec.padding ?? 'valid';
    this.padding = typeof p === 'number' ? checkInteger('conv2d.padding', p, 0) : checkOneOf<'valid' | 'same'>('conv2d.padding', p, ['valid', 'same']);
  }
  build(inputShape: number[], rng: Rng): void {
    if (inputShape.length !== 3) {
      throw new ArgumentError('conv2d input shape', '[height, width, channels]', `[${inputShape.join(', ')}]`);
    }
    const [h, w, c] = inputShape;
    const k = this.spec.kernelSize;
    const oh = convOutSize(h, k, this.stride, this.padding);
    const ow = convOutSize(w, k, this.stride, this.padding);
    if (oh < 1 || ow < 1) {
      throw new ArgumentError('conv2d input shape', `height and width >= kernel size ${k}`, `[${inputShape.join(', ')}]`);
    }
    this.inputShape = inputShape.slice();
    this.outputShape = [oh, ow, this.spec.filters];
    this.fanIn = k * k * c;
    this.fanOut = k * k * this.spec.filters;
    this.weight = variableFrom(xavierUniform([k, k, c, this.spec.filters], this.fanIn, this.fanOut, rng), true);
    this.bias = this.spec.bias === false ? null : variableFrom(tf.zeros([this.spec.filters]), true);
  }
  private pad(): 'valid' | 'same' | number {
    return this.padding;
  }
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, this.stride, this.pad() as 'valid');
  }
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    const [h, w, c] = this.inputShape;
    return tf.conv2dTranspose(dy as tf.Tensor4D, kernel as tf.Tensor4D, [dy.shape[0], h, w, c], this.stride, this.pad() as 'valid');
  }
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    // wasm has no Conv2DBackpropFilter kernel: fall back to products of strided slices.
    if (!tf.getKernel('Conv2DBackpropFilter', tf.getBackend())) {
      return conv2dFilterGradient(x, dy, this.spec.kernelSize, this.stride, this.padding);
    }
    // No public op for the filter gradient in tfjs 4.22: call the registered kernel
    // (the blas backend overrides it with native code).
    return tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: [this.stride, this.stride], pad: this.pad(), dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: this.weight.shape } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
  }
  biasGradient(dy: tf.Tensor): tf.Tensor {
    return dy.sum([0, 1, 2]);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return affineForward(this, x);
  }
  backward(): tf.Tensor {
    throw new Error('Conv2d.backward: a parametric layer propagates through its feedback pathway (Network.backward)');
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return affineJvp(this, input, dx, t);
  }
}

// ---------------------------------------------------------------- pooling
abstract class Pool implements Layer {
  abstract readonly kind: 'maxpool' | 'avgpool';
  inputShape: number[] = [];
  outputShape: number[] = [];
  readonly size: number;
  readonly stride: number;
  constructor(readonly spec: Extract<LayerSpec, { kind: 'maxpool' | 'avgpool' }>) {
    this.size = checkInteger(`${spec.kind}.size`, spec.size, 1);
    this.stride = checkInteger(`${spec.kind}.stride`, spec.stride ?? spec.size, 1);
  }
  build(inputShape: number[]): void {
    if (inputShape.length !== 3 || inputShape[0] < this.size || inputShape[1] < this.size) {
      throw new ArgumentError(`${this.kind} input shape`, `[height, width, channels] with height, width >= ${this.size}`, `[${inputShape.join(', ')}]`);
    }
    const [h, w, c] = inputShape;
    this.inputShape = inputShape.slice();
    this.outputShape = [Math.floor((h - this.size) / this.stride) + 1, Math.floor((w - this.size) / this.stride) + 1, c];
  }
  abstract forward(x: tf.Tensor): tf.Tensor;
  abstract backward(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor): tf.Tensor;
  abstract jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor;
  /** The registered pooling-gradient kernel (no public op in tfjs 4.22; the blas backend overrides them natively). */
  protected gradientKernel(kernel: 'MaxPoolGrad' | 'AvgPoolGrad', inputs: tf.NamedTensorMap): tf.Tensor {
    return tf.engine().runKernel(kernel, inputs, { filterSize: this.size, strides: this.stride, pad: 'valid' } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
}

/** Forward-mode derivative of a layer linear in its input (average pooling, flatten): the layer applied to dx. */
function linearJvp(layer: Layer, input: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
  return dx ? layer.forward(dx) : tf.zeros([input.shape[0], ...layer.outputShape]);
}

export class MaxPool extends Pool {
  readonly kind = 'maxpool' as const;
  forward(x: tf.Tensor): tf.Tensor {
    return tf.maxPool(x as tf.Tensor4D, this.size, this.stride, 'valid');
  }
  backward(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor): tf.Tensor {
    return this.gradientKernel('MaxPoolGrad', { dy, input, output });
  }
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    if (!dx) return tf.zeros([input.shape[0], ...this.outputShape]);
    if (this.stride !== this.size) {
      throw new Error('MaxPool.jvp: only non-overlapping windows (stride == size) are supported');
    }
    // The selection matrix S routes each window's maximum; backward is S^T, so
    // S^T 1 marks the argmax entries and S dx = sum-pool(mask * dx).
    return tf.tidy(() => {
      const mask = this.backward(tf.onesLike(output), input, output);
      return tf.avgPool((mask.mul(dx) as tf.Tensor4D), this.size, this.stride, 'valid').mul(this.size * this.size);
    });
  }
}

export class AvgPool extends Pool {
  readonly kind = 'avgpool' as const;
  forward(x: tf.Tensor): tf.Tensor {
    return tf.avgPool(x as tf.Tensor4D, this.size, this.stride, 'valid');
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return this.gradientKernel('AvgPoolGrad', { dy, input });
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return linearJvp(this, input, dx);
  }
}

// ---------------------------------------------------------------- flatten
// Flatten's backward/jvp have the shape of AvgPool's on purpose: each kind implements the Layer contract itself.
export class Flatten implements Layer {
  readonly kind = 'flatten' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  constructor(readonly spec: Extract<LayerSpec, { kind: 'flatten' }> = { kind: 'flatten' }) {}
  build(inputShape: number[]): void {
    this.inputShape = inputShape.slice();
    this.outputShape = [prod(inputShape)];
  }
  forward(x: tf.Tensor): tf.Tensor {
    return x.reshape([x.shape[0], this.outputShape[0]]);
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return dy.reshape(input.shape);
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return linearJvp(this, input, dx);
  }
}

// ---------------------------------------------------------------- activations
/**
 * Elementwise nonlinearity h = f(a). Its input in a trace is the
 * pre-activation a; `derivative` and `secondDerivative` give f'(a) and
 * f''(a) for R-operator (Hessian-vector) passes.
 */
export class Activation implements Layer {
  readonly kind = 'activation' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  readonly activation: ActivationName;
  constructor(readonly spec: Extract<LayerSpec, { kind: 'activation' }>) {
    this.activation = checkOneOf('activation', spec.activation, ACTIVATIONS);
  }
  build(inputShape: number[]): void {
    this.inputShape = inputShape.slice();
    this.outputShape = inputShape.slice();
  }
  forward(a: tf.Tensor): tf.Tensor {
    switch (this.activation) {
      case 'relu':
        return tf.relu(a);
      case 'tanh':
        return tf.tanh(a);
      case 'sigmoid':
        return tf.sigmoid(a);
      case 'linear':
        return a.clone();
    }
  }
  /** f'(a); `h = f(a)` may be passed to save recomputing it. */
  derivative(a: tf.Tensor, h?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      switch (this.activation) {
        case 'relu':
          return tf.step(a, 0);
        case 'tanh': {
          const t = h ?? tf.tanh(a);
          return tf.sub(1, t.square());
        }
        case 'sigmoid': {
          const s = h ?? tf.sigmoid(a);
          return s.mul(tf.sub(1, s));
        }
        case 'linear':
          return tf.onesLike(a);
      }
    });
  }
  /** f''(a) (relu: 0 almost everywhere). */
  secondDerivative(a: tf.Tensor, h?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      switch (this.activation) {
        case 'relu':
        case 'linear':
          return tf.zerosLike(a);
        case 'tanh': {
          const t = h ?? tf.tanh(a);
          return t.mul(tf.sub(1, t.square())).mul(-2);
        }
        case 'sigmoid': {
          const s = h ?? tf.sigmoid(a);
          return s.mul(tf.sub(1, s)).mul(tf.sub(1, s.mul(2)));
        }
      }
    });
  }
  backward(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor): tf.Tensor {
    return tf.tidy(() => dy.mul(this.derivative(input, output)));
  }
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? this.backward(dx, input, output) : tf.zerosLike(output);
  }
}

/** A layer object from its spec, for the kinds of this file; the public `layerFromSpec` (layer-table.ts) adds the kinds defined in their own files. */
export function layerFromSpec(spec: LayerSpec): Layer {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('layer spec', 'an object with a kind', spec);
  switch (spec.kind) {
    case 'dense':
      return new Dense(spec);
    case 'conv2d':
      return new Conv2d(spec);
    case 'maxpool':
      return new MaxPool(spec);
    case 'avgpool':
      return new AvgPool(spec);
    case 'flatten':
      return new Flatten(spec);
    case 'activation':
      return new Activation(spec);
    default:
      throw new ArgumentError('layer spec kind', '"dense", "conv2d", "maxpool", "avgpool", "flatten", "activation", "batchnorm" or "residual"', (spec as { kind: unknown }).kind);
  }
}
