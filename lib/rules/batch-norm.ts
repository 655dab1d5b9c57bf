/**
 * Batch normalisation (Ioffe & Szegedy 2015, arXiv 1502.03167) over every
 * axis but the last: per feature of a dense layer's [N, F] output, per
 * channel of a conv layer's [N, H, W, C] output. Private to lib/rules;
 * exported through index.ts. With m the number of values per channel
 * (N, or N H W), gamma and beta per channel:
 *
 *   train   mu = mean(x), v = mean((x - mu)^2) (biased), s = sqrt(v + eps)
 *           xh = (x - mu) / s,  y = gamma xh + beta
 *   eval    xh = (x - rm) / sqrt(rv + eps), y = gamma xh + beta
 *   running rm <- (1 - momentum) rm + momentum mu
 *           rv <- (1 - momentum) rv + momentum v m / (m - 1)   (unbiased, as torch)
 *           from rm = 0, rv = 1; only Network.trainStep updates them
 *   backward (train) dx = (gamma / s) (dy - mean(dy) - xh mean(dy xh))
 *            (eval)  dx = gamma dy / sqrt(rv + eps)
 *   gradients        dgamma = sum(dy xh), dbeta = sum(dy)
 *   jvp (train)      dy = (gamma / s) (dx - mean(dx) - xh mean(dx xh)) + V_gamma xh + V_beta
 *       (eval)       dy = gamma dx / sqrt(rv + eps) + V_gamma xh + V_beta
 * (means and sums over the m values of each channel). The train-mode
 * Jacobian (gamma / s)(I - 1 1^T / m - xh xh^T / m) is symmetric, so its
 * backward and jvp are the same map. The backward pass is exact under every
 * rule, as in the sign-symmetry papers (Liao et al. 2016; Moskovitz et al.
 * 2018; Xiao et al. 2018): the layer has no feedback pathway. The mode is
 * the network's: a traced forward pass (training, alignment) uses the batch
 * statistics, `Network.predict` the running ones. Defaults momentum 0.1 and
 * epsilon 1e-5 (torch's).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber, checkPositive } from '../core';
import { KeptStatistics, LayerSpec, ParamTangent, variableFrom, type Layer } from './layers';

type BatchNormSpec = Extract<LayerSpec, { kind: 'batchnorm' }>;
type BatchStatistics = { mean: tf.Tensor; variance: tf.Tensor; xh: tf.Tensor; inv: tf.Tensor };

export class BatchNorm implements Layer {
  readonly kind = 'batchnorm' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  gamma!: tf.Variable;
  beta!: tf.Variable;
  runningMean!: tf.Variable;
  runningVar!: tf.Variable;
  readonly momentum: number;
  readonly epsilon: number;
  /** Batch statistics (true) or running statistics (false); set by the network before each pass. */
  training = false;
  private readonly batch = new KeptStatistics<BatchStatistics>();
  constructor(readonly spec: BatchNormSpec) {
    this.momentum = checkNumber('batchnorm.momentum', spec.momentum ?? 0.1, 0, 1);
    this.epsilon = checkPositive('batchnorm.epsilon', spec.epsilon ?? 1e-5);
  }
  build(inputShape: number[]): void {
    if (!Array.isArray(inputShape) || inputShape.length < 1) throw new ArgumentError('batchnorm input shape', 'at least one axis', inputShape);
    this.inputShape = inputShape.slice();
    this.outputShape = inputShape.slice();
    const c = inputShape[inputShape.length - 1];
    this.gamma = variableFrom(tf.ones([c]), true);
    this.beta = variableFrom(tf.zeros([c]), true);
    this.runningMean = variableFrom(tf.zeros([c]), false);
    this.runningVar = variableFrom(tf.ones([c]), false);
  }
  /** The axes reduced over: all but the channel axis. */
  private axes(x: tf.Tensor): number[] {
    return Array.from({ length: x.rank - 1 }, (_, i) => i);
  }
  /** Values per channel in a batch x. */
  private count(x: tf.Tensor): number {
    return x.size / x.shape[x.rank - 1];
  }
  /** Per-channel mean as a sum (the blas backend sums natively; tf.mean and tf.moments ran 100x slower there). */
  private channelMean(x: tf.Tensor): tf.Tensor {
    return x.sum(this.axes(x)).div(this.count(x));
  }
  /**
   * Per-channel mean, biased variance, xh and 1/s of a training batch x,
   * computed once per step (KeptStatistics) instead of in forward, backward,
   * parameter gradients and the statistics update each. d * d, not square():
   * the same float32 products, on the backend's native multiply instead of the
   * cpu backend's generic kernel.
   */
  private batchStatistics(x: tf.Tensor): BatchStatistics {
    return this.batch.of(x, () => {
      const mean = this.channelMean(x);
      const d = x.sub(mean);
      const variance = this.channelMean(d.mul(d));
      const inv = tf.rsqrt(variance.add(this.epsilon));
      return { mean, variance, inv, xh: d.mul(inv) };
    });
  }
  /** xh and 1/s of the current mode. */
  private normalise(x: tf.Tensor): { xh: tf.Tensor; inv: tf.Tensor } {
    if (this.training) return this.batchStatistics(x);
    const inv = tf.rsqrt(this.runningVar.add(this.epsilon));
    return { xh: x.sub(this.runningMean).mul(inv), inv };
  }
  /** Evaluation mode also frees the last training batch's statistics: a training pass has ended. */
  setTraining(training: boolean): void {
    if (!training) this.batch.clear();
    this.training = training;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.normalise(x).xh.mul(this.gamma).add(this.beta));
  }
  /** The Jacobian of the current mode applied to v (symmetric, so backward and jvp alike); xh and 1/s from x. */
  private apply(v: tf.Tensor, x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { xh, inv } = this.normalise(x);
      const scale = inv.mul(this.gamma);
      if (!this.training) return v.mul(scale);
      return v.sub(this.channelMean(v)).sub(xh.mul(this.channelMean(v.mul(xh)))).mul(scale);
    });
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return this.apply(dy, input);
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      if (dx) parts.push(this.apply(dx, input));
      if (t?.weight) parts.push(this.normalise(input).xh.mul(t.weight));
      if (t?.bias) parts.push(tf.broadcastTo(t.bias, input.shape));
      return parts.length ? tf.addN(parts) : tf.zerosLike(input);
    });
  }
  parameters(): tf.Variable[] {
    return [this.gamma, this.beta];
  }
  parameterGradients(dy: tf.Tensor, input: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      const axes = this.axes(input);
      return [dy.mul(this.normalise(input).xh).sum(axes), dy.sum(axes)];
    });
  }
  /** Running statistics <- (1 - momentum) running + momentum batch (variance unbiased), from a training batch. */
  updateStatistics(input: tf.Tensor): void {
    const m = this.count(input);
    tf.tidy(() => {
      const { mean, variance } = this.batchStatistics(input);
      const unbiased = m > 1 ? variance.mul(m / (m - 1)) : variance;
      const a = this.momentum;
      this.runningMean.assign(this.runningMean.mul(1 - a).add(mean.mul(a)));
      this.runningVar.assign(this.runningVar.mul(1 - a).add(unbiased.mul(a)));
    });
  }
  stateVariables(): Record<string, tf.Variable> {
    return { gamma: this.gamma, beta: this.beta, runningMean: this.runningMean, runningVar: this.runningVar };
  }
  dispose(): void {
    this.batch.clear();
    tf.dispose([this.gamma, this.beta, this.runningMean, this.runningVar]);
  }
}
