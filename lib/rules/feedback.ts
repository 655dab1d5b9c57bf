/**
 * Feedback pathways: what carries a parametric layer's error signal to its
 * input. Private to lib/rules; the contract is documented in index.ts.
 *
 * Storage convention: a feedback kernel B is stored in the SHAPE OF THE
 * FORWARD KERNEL W ([in, out] dense, [kh, kw, cin, cout] conv) and used in
 * W's place in the backward product: dx = dy B^T (dense), conv2dTranspose(dy, B)
 * (conv). The B of the papers (shape of W^T) is this B transposed, so
 * angle(B, W^T) of the papers is the angle between the stored B and W.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber, checkOneOf, checkPositive, Rng } from '../core';
import { ParamLayer, variableFrom, xavierUniform } from './layers';
import { LowRankPathway } from './low-rank';
import { Optimizer, OptimizerOptions, ResolvedOptimizerOptions } from './optim';

export type RuleName =
  | 'bp'
  | 'fa'
  | 'dfa'
  | 'usf'
  | 'frsf'
  | 'brsf'
  | 'kolen-pollack'
  | 'weight-mirror'
  | 'information-alignment'
  | 'symmetric-alignment'
  | 'activation-alignment'
  | 'ldfa'
  | 'dldfa';

export const RULES: readonly RuleName[] = [
  'bp',
  'fa',
  'dfa',
  'usf',
  'frsf',
  'brsf',
  'kolen-pollack',
  'weight-mirror',
  'information-alignment',
  'symmetric-alignment',
  'activation-alignment',
];

/** Low-dimensional feedback B = Q P (low-rank.ts): layered and direct. Kept out of RULES, whose list the regression fixture pins. */
export const LOW_RANK_FEEDBACK_RULES: readonly RuleName[] = ['ldfa', 'dldfa'];

/** Every rule a Network accepts. */
export const ALL_RULES: readonly RuleName[] = [...RULES, ...LOW_RANK_FEEDBACK_RULES];

/** Options of a feedback rule; unused fields are ignored by rules that do not need them. */
export interface FeedbackOptions {
  /**
   * Alignment-loss coefficients (Kunin et al. 2020; defaults are the authors'
   * code defaults): weight-mirror alpha=decay 1e-3, beta=amp 1e-3;
   * information-alignment alpha=amp 2e-3, beta=null 1e-3, gamma=decay 1e-3;
   * symmetric-alignment alpha=decay 1e-3, beta=self 2e-3;
   * activation-alignment alpha=sparse 1e-3, beta=amp 2e-3.
   */
  alpha?: number;
  beta?: number;
  gamma?: number;
  /**
   * Inputs of the alignment loss: the layer's real inputs ('none', the
   * default except for weight-mirror) or noise of the input's shape:
   * 'normal' N(0, noiseStd^2) (weight-mirror's default) or 'uniform' on
   * +-sqrt(3) noiseStd.
   */
  noise?: 'none' | 'normal' | 'uniform';
  noiseStd?: number;
  /** Kolen-Pollack: weight decay of B (default the network optimiser's, or 1e-3 if that is 0). */
  decay?: number;
  /**
   * Optimiser of the pathway's own parameters. Default: Kolen-Pollack 'same'
   * (a separate instance with the network optimiser's settings, so B and W
   * receive identical updates); Kunin family SGD lr 1e-3 momentum 0.9.
   */
  optimizer?: OptimizerOptions | 'same';
  /**
   * LDFA ('ldfa', 'dldfa'): feedback rank r, one number for every layer or
   * one entry per parametric layer ('full' = the error's width; larger
   * values are capped at it). Default 'full'.
   */
  rank?: number | 'full' | (number | 'full')[];
  /** LDFA: how P and Q learn (default 'raf'); see low-rank.ts. */
  ldfaRule?: 'fixed' | 'fixed-p' | 'raf' | 'normative' | 'local';
  /** LDFA: clamp P's and Q's gradients to +-clip (default none). */
  clip?: number;
  /**
   * LDFA: clamp the backward signal each pathway sends to its layer's input
   * to +-backwardClip. Default 1 for 'raf' (the authors' first-version code
   * clamps it to [-1, 1]), none (null) for the other rules.
   */
  backwardClip?: number | null;
  /**
   * LDFA 'raf': what Oja's rule sees where P compresses the network's output
   * error (the last layer's pathway; every pathway of the direct variant):
   * 'labels' (default; the authors' code: the batch's one-hot targets, so P
   * learns the label-covariance subspace, Sigma_yy of the linear theory) or
   * 'error' (the output error e itself).
   */
  ojaOutputSignal?: 'labels' | 'error';
}

export interface PropagateContext {
  /** Error signal at the layer's output (its pre-activation): dL/da. */
  dy: tf.Tensor;
  /** The layer's input in the forward pass of this batch. */
  input: tf.Tensor;
  /** The network's output error e = dL/dz (batch-mean), for direct pathways. */
  outputError: tf.Tensor;
  /** Index of the layer among the network's parametric layers. */
  paramIndex: number;
}

export interface LearnContext {
  /** The layer's input of this batch. */
  input: tf.Tensor;
  /** The layer's error signal dL/da of this batch (as delivered by the rule). */
  delta: tf.Tensor;
  /** The rule's weight gradient x^T delta (before weight decay). */
  weightGradient: tf.Tensor;
  /** The network's output error e = dL/dz of this batch (e.g. for learning an error subspace). */
  outputError: tf.Tensor;
  /** The batch's targets (one-hot for classification), rows = examples. */
  targets: tf.Tensor;
  /** Index of the layer among the network's parametric layers. */
  paramIndex: number;
  /** Settings of the network's optimiser and the current epoch. */
  mainOptimizer: ResolvedOptimizerOptions;
  epoch: number;
}

/**
 * A feedback pathway of one parametric layer. The network calls
 * `beginBatch` before each training batch, `propagate` in the backward pass,
 * and `learn` after the backward pass and before the forward weights move.
 * A pathway with trainable parameters owns them and its optimiser.
 */
export interface FeedbackPathway {
  readonly rule: RuleName;
  readonly layer: ParamLayer;
  /** dL/dx sent to the layer's input (replaces dy W^T). */
  propagate(ctx: PropagateContext): tf.Tensor;
  /** Per-batch refresh (brSF redraws its magnitudes). */
  beginBatch(): void;
  /** The feedback kernel in W's shape now (a new tensor the caller disposes), or null (DFA: no W^T counterpart). */
  feedbackKernel(): tf.Tensor | null;
  /** Parameters the pathway learns (empty for fixed pathways). */
  trainables(): tf.Variable[];
  /** Updates the trainable parameters from the batch (no-op for fixed pathways). */
  learn(ctx: LearnContext): void;
  /** The rule's layer-local alignment loss on inputs x (Kunin family), else null. */
  alignmentLoss(x: tf.Tensor): number | null;
  /** The pathway's optimiser once created (null for fixed pathways). */
  readonly optimizer: Optimizer | null;
  /** Tensors that define the pathway (for saving), by name. */
  state(): Record<string, tf.Tensor>;
  /** Restores tensors saved by `state`. */
  setState(state: Record<string, tf.Tensor>): void;
  dispose(): void;
}

export interface PathwayContext {
  /** Size of the network's output (the error e's width), for DFA. */
  outputSize: number;
  rng: Rng;
  options: FeedbackOptions;
  /** Index of the layer among the network's parametric layers (LDFA's per-layer rank). */
  paramIndex?: number;
  /** Number of parametric layers (LDFA: whether this layer's P compresses the output error). */
  paramCount?: number;
}

function checkStateShape(rule: string, name: string, t: tf.Tensor | undefined, shape: number[]): tf.Tensor {
  if (!t) throw new ArgumentError(`${rule} state.${name}`, 'a tensor', t);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ArgumentError(`${rule} state.${name}`, `shape [${shape.join(', ')}]`, `[${t.shape.join(', ')}]`);
  }
  return t;
}

abstract class Pathway implements FeedbackPathway {
  abstract readonly rule: RuleName;
  optimizer: Optimizer | null = null;
  constructor(readonly layer: ParamLayer) {}
  abstract propagate(ctx: PropagateContext): tf.Tensor;
  beginBatch(): void {}
  abstract feedbackKernel(): tf.Tensor | null;
  trainables(): tf.Variable[] {
    return [];
  }
  learn(_ctx: LearnContext): void {}
  alignmentLoss(_x: tf.Tensor): number | null {
    return null;
  }
  state(): Record<string, tf.Tensor> {
    return {};
  }
  setState(_s: Record<string, tf.Tensor>): void {}
  dispose(): void {
    this.optimizer?.dispose();
  }
}

/** Backpropagation: the forward kernel itself. */
class BackpropPathway extends Pathway {
  readonly rule = 'bp' as const;
  propagate(ctx: PropagateContext): tf.Tensor {
    return this.layer.inputAdjoint(ctx.dy, this.layer.weight);
  }
  feedbackKernel(): tf.Tensor {
    return this.layer.weight.clone();
  }
}

/** Feedback alignment (Lillicrap et al. 2016): fixed random B, Xavier-uniform as in BioTorch. */
class FixedRandomPathway extends Pathway {
  readonly rule = 'fa' as const;
  B: tf.Variable;
  constructor(layer: ParamLayer, rng: Rng) {
    super(layer);
    this.B = variableFrom(xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, rng), false);
  }
  propagate(ctx: PropagateContext): tf.Tensor {
    return this.layer.inputAdjoint(ctx.dy, this.B);
  }
  feedbackKernel(): tf.Tensor {
    return this.B.clone();
  }
  override state(): Record<string, tf.Tensor> {
    return { B: this.B };
  }
  override setState(s: Record<string, tf.Tensor>): void {
    this.B.assign(checkStateShape(this.rule, 'B', s.B, this.B.shape));
  }
  override dispose(): void {
    this.B.dispose();
  }
}

/**
 * Direct feedback alignment (Nokland 2016): the output error e is projected
 * by a fixed random matrix straight onto the layer's input (the feature map
 * entering this layer, after pooling/flatten of the block below):
 * dx = reshape(e B), B of shape [outputSize, size of the input]. The
 * activation and pooling below then apply f'(a) (and the pooling routing),
 * so hidden layer l receives f'(a_l) * (e B_l) as in the paper. The last
 * layer's own delta is e, as in every rule.
 */
class DirectPathway extends Pathway {
  readonly rule = 'dfa' as const;
  B: tf.Variable;
  readonly inputSize: number;
  constructor(layer: ParamLayer, ctx: PathwayContext) {
    super(layer);
    this.inputSize = layer.inputShape.reduce((a, b) => a * b, 1);
    this.B = variableFrom(xavierUniform([ctx.outputSize, this.inputSize], ctx.outputSize, this.inputSize, ctx.rng), false);
  }
  propagate(ctx: PropagateContext): tf.Tensor {
    return tf.tidy(() => tf.matMul(ctx.outputError as tf.Tensor2D, this.B as tf.Tensor2D).reshape(ctx.input.shape));
  }
  feedbackKernel(): null {
    return null;
  }
  override state(): Record<string, tf.Tensor> {
    return { B: this.B };
  }
  override setState(s: Record<string, tf.Tensor>): void {
    this.B.assign(checkStateShape(this.rule, 'B', s.B, this.B.shape));
  }
  override dispose(): void {
    this.B.dispose();
  }
}

/**
 * Sign-symmetric feedback (Liao, Leibo & Poggio 2016; BioTorch's variants),
 * B follows sign(W) of the current weights:
 *   usf:  B = scale * sign(W), scale = sqrt(2 / (fanIn + fanOut)) (Xavier std)
 *   frsf: B = |M| * sign(W), M fixed random (Xavier uniform)
 *   brsf: B = |M| * sign(W), M redrawn before every batch
 */
class SignSymmetricPathway extends Pathway {
  M: tf.Tensor | null = null;
  private readonly scale: number;
  constructor(readonly rule: 'usf' | 'frsf' | 'brsf', layer: ParamLayer, private readonly rng: Rng) {
    super(layer);
    this.scale = Math.sqrt(2 / (layer.fanIn + layer.fanOut));
    if (rule !== 'usf') this.M = tf.keep(this.drawMagnitudes());
  }
  private drawMagnitudes(): tf.Tensor {
    return tf.tidy(() => xavierUniform(this.layer.weight.shape, this.layer.fanIn, this.layer.fanOut, this.rng).abs());
  }
  override beginBatch(): void {
    if (this.rule === 'brsf') {
      this.M?.dispose();
      this.M = tf.keep(this.drawMagnitudes());
    }
  }
  feedbackKernel(): tf.Tensor {
    return tf.tidy(() => {
      const s = tf.sign(this.layer.weight);
      return this.M ? s.mul(this.M) : s.mul(this.scale);
    });
  }
  propagate(ctx: PropagateContext): tf.Tensor {
    return tf.tidy(() => this.layer.inputAdjoint(ctx.dy, this.feedbackKernel()));
  }
  override state(): Record<string, tf.Tensor> {
    return this.M ? { M: this.M } : {};
  }
  override setState(s: Record<string, tf.Tensor>): void {
    if (this.rule === 'usf') return;
    const m = checkStateShape(this.rule, 'M', s.M, this.layer.weight.shape);
    this.M?.dispose();
    this.M = tf.keep(m.clone());
  }
  override dispose(): void {
    this.M?.dispose();
  }
}

type LearnedRule = 'kolen-pollack' | 'weight-mirror' | 'information-alignment' | 'symmetric-alignment' | 'activation-alignment';

/**
 * Learned feedback kernel B (same shape as W, drawn Xavier-uniform),
 * updated by its own optimiser after each backward pass.
 *
 * Kolen-Pollack (Akrout et al. 2019): gradient of B = the rule's weight
 * gradient, both with weight decay, so B - W decays geometrically.
 *
 * Kunin et al. 2020 family: B descends a layer-local loss built from these
 * primitives, written for our orientation (examples are rows; for conv
 * layers linear = conv2d and the adjoint = conv2dTranspose, and sums run
 * over positions too). Expectations are batch means (so the stable step
 * size does not depend on the batch size), z = linear(x, W) with W and x
 * constants, N the batch size:
 *   decay  ||B||^2                       grad 2 B
 *   amp    -mean_n <linear(x_n, B), z_n>  grad -kernelGradient(x, z) / N
 *   null   mean_n ||adjoint(z_n, B)||^2  grad 2 kernelGradient(adjoint(z, B), z) / N
 *   self   -<B, W>                       grad -W
 *   sparse mean_n ||linear(x_n, B)||^2   grad 2 kernelGradient(x, linear(x, B)) / N
 * Rules: weight-mirror alpha*decay + beta*amp (noise inputs);
 * information-alignment alpha*amp + beta*null + gamma*decay;
 * symmetric-alignment alpha*decay + beta*self;
 * activation-alignment alpha*sparse + beta*amp.
 */
class LearnedPathway extends Pathway {
  B: tf.Variable;
  private readonly alpha: number;
  private readonly beta: number;
  private readonly gamma: number;
  private readonly noise: 'none' | 'normal' | 'uniform';
  private readonly noiseStd: number;
  constructor(readonly rule: LearnedRule, layer: ParamLayer, private readonly rng: Rng, private readonly options: FeedbackOptions) {
    super(layer);
    this.B = variableFrom(xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, rng), true);
    const defaults: Record<LearnedRule, [number, number, number]> = {
      'kolen-pollack': [0, 0, 0],
      'weight-mirror': [1e-3, 1e-3, 0],
      'information-alignment': [2e-3, 1e-3, 1e-3],
      'symmetric-alignment': [1e-3, 2e-3, 0],
      'activation-alignment': [1e-3, 2e-3, 0],
    };
    const [a, b, g] = defaults[rule];
    this.alpha = checkNumber(`${rule}.alpha`, options.alpha ?? a, 0);
    this.beta = checkNumber(`${rule}.beta`, options.beta ?? b, 0);
    this.gamma = checkNumber(`${rule}.gamma`, options.gamma ?? g, 0);
    this.noise = checkOneOf(`${rule}.noise`, options.noise ?? (rule === 'weight-mirror' ? 'normal' : 'none'), ['none', 'normal', 'uniform']);
    this.noiseStd = checkPositive(`${rule}.noiseStd`, options.noiseStd ?? 1);
    if (options.decay !== undefined) checkNumber(`${rule}.decay`, options.decay, 0);
  }
  propagate(ctx: PropagateContext): tf.Tensor {
    return this.layer.inputAdjoint(ctx.dy, this.B);
  }
  feedbackKernel(): tf.Tensor {
    return this.B.clone();
  }
  override trainables(): tf.Variable[] {
    return [this.B];
  }
  private ensureOptimizer(main: ResolvedOptimizerOptions): Optimizer {
    if (this.optimizer) return this.optimizer;
    const o = this.options.optimizer;
    if (this.rule === 'kolen-pollack') {
      const base = o && o !== 'same' ? o : { ...main };
      const decay = this.options.decay ?? (main.weightDecay > 0 ? main.weightDecay : 1e-3);
      this.optimizer = new Optimizer({ ...base, weightDecay: decay }, `${this.rule}.optimizer`);
    } else {
      const base = o === 'same' ? { ...main, weightDecay: 0 } : o ?? { type: 'sgd' as const, lr: 1e-3, momentum: 0.9 };
      this.optimizer = new Optimizer(base, `${this.rule}.optimizer`);
    }
    return this.optimizer;
  }
  /** The alignment-loss inputs: the real inputs or noise of their shape. */
  private lossInputs(x: tf.Tensor): tf.Tensor {
    if (this.noise === 'none') return x.clone();
    const size = x.size;
    const s = this.noiseStd;
    const data =
      this.noise === 'normal' ? this.rng.normalArray(size, 0, s) : this.rng.uniformArray(size, -Math.sqrt(3) * s, Math.sqrt(3) * s);
    return tf.tensor(data as Float32Array, x.shape, 'float32');
  }
  /** Gradient of the rule's alignment loss with respect to B on inputs x (for Kunin's rules). */
  alignmentGradient(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const L = this.layer;
      const W = L.weight;
      const B = this.B;
      const z = L.linear(x, W);
      const n = x.shape[0];
      const decay = () => B.mul(2);
      const amp = () => L.kernelGradient(x, z).mul(-1 / n);
      const nul = () => L.kernelGradient(L.inputAdjoint(z, B), z).mul(2 / n);
      const self = () => W.neg();
      const sparse = () => L.kernelGradient(x, L.linear(x, B)).mul(2 / n);
      switch (this.rule) {
        case 'weight-mirror':
          return decay().mul(this.alpha).add(amp().mul(this.beta));
        case 'information-alignment':
          return amp().mul(this.alpha).add(nul().mul(this.beta)).add(decay().mul(this.gamma));
        case 'symmetric-alignment':
          return decay().mul(this.alpha).add(self().mul(this.beta));
        case 'activation-alignment':
          return sparse().mul(this.alpha).add(amp().mul(this.beta));
        default:
          throw new Error(`alignmentGradient: ${this.rule} has no alignment loss`);
      }
    });
  }
  override alignmentLoss(x: tf.Tensor): number | null {
    if (this.rule === 'kolen-pollack') return null;
    const value = tf.tidy(() => {
      const L = this.layer;
      const W = L.weight;
      const B = this.B;
      const z = L.linear(x, W);
      const n = x.shape[0];
      const decay = () => B.square().sum();
      const amp = () => L.linear(x, B).mul(z).sum().mul(-1 / n);
      const nul = () => L.inputAdjoint(z, B).square().sum().div(n);
      const self = () => B.mul(W).sum().neg();
      const sparse = () => L.linear(x, B).square().sum().div(n);
      switch (this.rule) {
        case 'weight-mirror':
          return decay().mul(this.alpha).add(amp().mul(this.beta));
        case 'information-alignment':
          return amp().mul(this.alpha).add(nul().mul(this.beta)).add(decay().mul(this.gamma));
        case 'symmetric-alignment':
          return decay().mul(this.alpha).add(self().mul(this.beta));
        default:
          return sparse().mul(this.alpha).add(amp().mul(this.beta));
      }
    });
    const v = value.dataSync()[0];
    value.dispose();
    return v;
  }
  override learn(ctx: LearnContext): void {
    const opt = this.ensureOptimizer(ctx.mainOptimizer);
    opt.epoch = ctx.epoch;
    if (this.rule === 'kolen-pollack') {
      opt.step([this.B], [ctx.weightGradient]);
      return;
    }
    const grad = tf.tidy(() => {
      const x = this.lossInputs(ctx.input);
      return this.alignmentGradient(x);
    });
    opt.step([this.B], [grad]);
    grad.dispose();
  }
  override state(): Record<string, tf.Tensor> {
    return { B: this.B };
  }
  override setState(s: Record<string, tf.Tensor>): void {
    this.B.assign(checkStateShape(this.rule, 'B', s.B, this.B.shape));
  }
  override dispose(): void {
    super.dispose();
    this.B.dispose();
  }
}

/** Creates the pathway of `rule` for one parametric layer. */
export function createPathway(rule: RuleName, layer: ParamLayer, ctx: PathwayContext): FeedbackPathway {
  checkOneOf('rule', rule, ALL_RULES);
  switch (rule) {
    case 'ldfa':
    case 'dldfa':
      return new LowRankPathway(layer, { direct: rule === 'dldfa', paramIndex: ctx.paramIndex ?? 0, paramCount: ctx.paramCount ?? (ctx.paramIndex ?? 0) + 1, outputSize: ctx.outputSize, rng: ctx.rng, feedback: ctx.options });
    case 'bp':
      return new BackpropPathway(layer);
    case 'fa':
      return new FixedRandomPathway(layer, ctx.rng);
    case 'dfa':
      return new DirectPathway(layer, ctx);
    case 'usf':
    case 'frsf':
    case 'brsf':
      return new SignSymmetricPathway(rule, layer, ctx.rng);
    default:
      return new LearnedPathway(rule, layer, ctx.rng, ctx.options);
  }
}

/** Angle in degrees between two tensors seen as flat vectors (float64 accumulation); NaN if one is zero. */
export function angleBetween(a: tf.Tensor, b: tf.Tensor): number {
  if (a.size !== b.size) throw new ArgumentError('b', `a tensor of ${a.size} entries`, b);
  const x = a.dataSync();
  const y = b.dataSync();
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  if (xx === 0 || yy === 0) return NaN;
  const c = Math.max(-1, Math.min(1, xy / Math.sqrt(xx * yy)));
  return (Math.acos(c) * 180) / Math.PI;
}
