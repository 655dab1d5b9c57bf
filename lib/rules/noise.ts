/**
 * Gaussian noise layer (McIntosh et al. 2016; the authors' BN-CNN puts one
 * after each batch norm, sigma 0.05 in baccuslab/torch-deep-retina):
 *
 *   train   y = x + sigma eps,  eps ~ N(0, 1) elementwise, fresh each pass
 *   eval    y = x
 *   backward dx = dy,  jvp dy = dx   (in both modes: the noise does not depend on x)
 *
 * Mode is the network's (as batch norm's): a traced `Network.forward`
 * (training, gradients) adds noise, `Network.predict` does not. The draws
 * come from the layer's own seeded stream: `spec.seed` when given, else the
 * network's (its seed and the layer's index), advanced by every training
 * pass; two networks built from the same options draw the same noise in the
 * same order. Private to lib/rules; exported through index.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkNumber, Rng } from '../core';
import type { Layer, LayerSpec } from './layers';

type NoiseSpec = Extract<LayerSpec, { kind: 'gaussian-noise' }>;

export class GaussianNoise implements Layer {
  readonly kind = 'gaussian-noise' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  readonly sigma: number;
  /** Adds noise (true) or passes x through (false); set by the network before each pass. */
  training = false;
  private rng: Rng | null = null;
  constructor(readonly spec: NoiseSpec) {
    this.sigma = checkNumber('gaussian-noise.sigma', spec.sigma, 0, Number.MAX_VALUE);
    if (spec.seed !== undefined) checkInteger('gaussian-noise.seed', spec.seed, 0, 0xffffffff);
  }
  build(inputShape: number[], rng: Rng): void {
    if (!Array.isArray(inputShape) || inputShape.length < 1) throw new ArgumentError('gaussian-noise input shape', 'at least one axis', inputShape);
    this.inputShape = inputShape.slice();
    this.outputShape = inputShape.slice();
    this.rng = this.spec.seed !== undefined ? new Rng(this.spec.seed) : rng;
  }
  setTraining(training: boolean): void {
    this.training = training;
  }
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.sigma === 0) return x.clone();
    if (!this.rng) throw new Error('GaussianNoise.forward: build the layer first');
    const eps = this.rng.normalArray(x.size, 0, this.sigma) as Float32Array;
    return tf.tidy(() => x.add(tf.tensor(eps, x.shape, 'float32')));
  }
  backward(dy: tf.Tensor): tf.Tensor {
    return dy.clone();
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? dx.clone() : tf.zerosLike(input);
  }
}
