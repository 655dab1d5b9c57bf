/**
 * The alignment-loss family of Kunin et al. 2020 ("Two routes to scalable
 * credit assignment without weight symmetry"), a rule family (private to
 * lib/rules, registered in registry.ts). A learned B in W's shape (drawn
 * Xavier-uniform) descends a layer-local loss, a weighted sum of these
 * terms, written for our orientation (examples are rows; for conv layers
 * linear = conv2d and the adjoint = conv2dTranspose, and sums run over
 * positions too). Expectations are batch means (so the stable step size
 * does not depend on the batch size), z = linear(x, W) with W and x
 * constants, N the batch size:
 *   term    loss                                 gradient in B
 *   decay   ||B||^2                              2 B
 *   amp     -mean_n <linear(x_n, B), z_n>         -kernelGradient(x, z) / N
 *   null    mean_n ||adjoint(z_n, B)||^2          2 kernelGradient(adjoint(z, B), z) / N
 *   self    -<B, W>                              -W
 *   sparse  mean_n ||linear(x_n, B)||^2           2 kernelGradient(x, linear(x, B)) / N
 * Each rule is one record of (coefficient, term, default) triples; its loss
 * and its gradient are both sums over that one list (defaults: the authors'
 * code):
 *   weight-mirror          alpha decay (1e-3) + beta amp (1e-3), on noise inputs
 *   information-alignment  alpha amp (2e-3) + beta null (1e-3) + gamma decay (1e-3)
 *   symmetric-alignment    alpha decay (1e-3) + beta self (2e-3)
 *   activation-alignment   alpha sparse (1e-3) + beta amp (2e-3)
 * Noisy updates (Kunin et al. 2020's robustness test; issue 17 item c):
 * `updateNoise` = sigma adds xi ~ N(0, sigma^2), i.i.d. per element and
 * step, to B after each of its optimiser's steps (Optimizer's updateNoise),
 * drawn from the layer's stream's child 1 so that the other draws are
 * unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNumber, checkOneOf, checkPositive, Rng } from '../core';
import { ParamLayer, xavierUniform } from './layers';
import { Optimizer, OptimizerOptions, ResolvedOptimizerOptions } from './optim';
import { KernelPathway, LearnContext, PathwayContext, RuleDefinition } from './pathway';

export interface AlignmentLossOptions {
  /** Coefficients of the rule's loss terms, in the order listed in its record (defaults: the authors' code). */
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
  /** Default 1. */
  noiseStd?: number;
  /** Optimiser of B: default SGD lr 1e-3 momentum 0.9; 'same' = the network optimiser's settings without weight decay. */
  optimizer?: OptimizerOptions | 'same';
  /** Standard deviation of the Gaussian noise added to every element of B after each update (default 0: none). */
  updateNoise?: number;
}

type KuninRule = 'weight-mirror' | 'information-alignment' | 'symmetric-alignment' | 'activation-alignment';
type Coefficient = 'alpha' | 'beta' | 'gamma';
type TermName = 'decay' | 'amp' | 'null' | 'self' | 'sparse';

/** What a term is evaluated on: the layer L, inputs x [N, ...], the feedback B, the weights W and z = linear(x, W). */
interface TermInputs {
  L: ParamLayer;
  x: tf.Tensor;
  B: tf.Tensor;
  W: tf.Tensor;
  z: tf.Tensor;
  n: number;
}

/** Each term's loss and its gradient in B, side by side (the table of the header). */
const TERMS: Record<TermName, { loss(s: TermInputs): tf.Tensor; gradient(s: TermInputs): tf.Tensor }> = {
  decay: { loss: ({ B }) => B.square().sum(), gradient: ({ B }) => B.mul(2) },
  amp: { loss: ({ L, x, B, z, n }) => L.linear(x, B).mul(z).sum().mul(-1 / n), gradient: ({ L, x, z, n }) => L.kernelGradient(x, z).mul(-1 / n) },
  null: { loss: ({ L, B, z, n }) => L.inputAdjoint(z, B).square().sum().div(n), gradient: ({ L, B, z, n }) => L.kernelGradient(L.inputAdjoint(z, B), z).mul(2 / n) },
  self: { loss: ({ B, W }) => B.mul(W).sum().neg(), gradient: ({ W }) => W.neg() },
  sparse: { loss: ({ L, x, B, n }) => L.linear(x, B).square().sum().div(n), gradient: ({ L, x, B, n }) => L.kernelGradient(x, L.linear(x, B)).mul(2 / n) },
};

/** Each rule once: its loss as (coefficient option, term, default coefficient) triples, its default inputs and its line for listRules. */
const KUNIN_RULES: Record<KuninRule, { terms: [Coefficient, TermName, number][]; noise: 'none' | 'normal'; description: string }> = {
  'weight-mirror': {
    terms: [['alpha', 'decay', 1e-3], ['beta', 'amp', 1e-3]],
    noise: 'normal',
    description: 'weight mirror (Akrout et al. 2019; Kunin et al. 2020): B descends alpha ||B||^2 - beta <x B, x W> on noise inputs x',
  },
  'information-alignment': {
    terms: [['alpha', 'amp', 2e-3], ['beta', 'null', 1e-3], ['gamma', 'decay', 1e-3]],
    noise: 'none',
    description: 'information alignment (Kunin et al. 2020): B descends -alpha <x B, x W> + beta ||x W B^T||^2 + gamma ||B||^2',
  },
  'symmetric-alignment': {
    terms: [['alpha', 'decay', 1e-3], ['beta', 'self', 2e-3]],
    noise: 'none',
    description: 'symmetric alignment (Kunin et al. 2020): B descends alpha ||B||^2 - beta <B, W>',
  },
  'activation-alignment': {
    terms: [['alpha', 'sparse', 1e-3], ['beta', 'amp', 2e-3]],
    noise: 'none',
    description: 'activation alignment (Kunin et al. 2020): B descends alpha ||x B||^2 - beta <x B, x W>',
  },
};

class AlignmentLossPathway extends KernelPathway {
  /** The rule's coefficient of each term, in its record's order. */
  private readonly coefficients: number[];
  private readonly noise: 'none' | 'normal' | 'uniform';
  private readonly noiseStd: number;
  private readonly rng: Rng;
  private readonly updateNoise: number;
  /** The options (merged over the defaults); `optimizer` is read when the first batch arrives. */
  readonly options: AlignmentLossOptions;
  constructor(readonly rule: KuninRule, layer: ParamLayer, ctx: PathwayContext<AlignmentLossOptions>) {
    super(layer, xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, ctx.rng), true);
    const o = ctx.options;
    this.rng = ctx.rng;
    this.options = o;
    this.coefficients = KUNIN_RULES[rule].terms.map(([c]) => checkNumber(`${rule}.${c}`, o[c], 0));
    this.noise = checkOneOf(`${rule}.noise`, o.noise, ['none', 'normal', 'uniform']);
    this.noiseStd = checkPositive(`${rule}.noiseStd`, o.noiseStd);
    this.updateNoise = checkNumber(`${rule}.updateNoise`, o.updateNoise ?? 0, 0);
  }
  private ensureOptimizer(main: ResolvedOptimizerOptions): Optimizer {
    if (!this.optimizer) {
      const o = this.options.optimizer as OptimizerOptions | 'same';
      // B's own noise stream (never the network optimiser's settings or seed).
      const noise = { updateNoise: this.updateNoise, noiseSeed: this.rng.child(1).seed };
      this.optimizer = new Optimizer({ ...(o === 'same' ? { ...main, weightDecay: 0 } : o), ...noise }, `${this.rule}.optimizer`);
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
  /** sum_i coefficient_i * term_i's loss or gradient on inputs x (the one place a rule's terms are combined). */
  private combine(x: tf.Tensor, part: 'loss' | 'gradient'): tf.Tensor {
    const L = this.layer;
    const s: TermInputs = { L, x, B: this.B, W: L.weight, z: L.linear(x, L.weight), n: x.shape[0] };
    return KUNIN_RULES[this.rule].terms.map(([, term], i) => TERMS[term][part](s).mul(this.coefficients[i])).reduce((a, b) => a.add(b));
  }
  /** Gradient of the rule's alignment loss with respect to B on inputs x. */
  alignmentGradient(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.combine(x, 'gradient'));
  }
  override alignmentLoss(x: tf.Tensor): number {
    const value = tf.tidy(() => this.combine(x, 'loss'));
    const v = value.dataSync()[0];
    value.dispose();
    return v;
  }
  override learn(ctx: LearnContext): void {
    const opt = this.ensureOptimizer(ctx.mainOptimizer);
    opt.epoch = ctx.epoch;
    const grad = tf.tidy(() => this.alignmentGradient(this.lossInputs(ctx.input)));
    opt.step([this.B], [grad]);
    grad.dispose();
  }
}

function kuninRule(rule: KuninRule): RuleDefinition<AlignmentLossOptions> {
  const r = KUNIN_RULES[rule];
  const coefficients: AlignmentLossOptions = Object.fromEntries(r.terms.map(([c, , value]) => [c, value]));
  return {
    family: 'kunin',
    description: r.description,
    defaults: { ...coefficients, noise: r.noise, noiseStd: 1, optimizer: { type: 'sgd', lr: 1e-3, momentum: 0.9 } },
    create: (layer, ctx) => new AlignmentLossPathway(rule, layer, ctx),
  };
}

export const kuninRules: Record<KuninRule, RuleDefinition<AlignmentLossOptions>> = {
  'weight-mirror': kuninRule('weight-mirror'),
  'information-alignment': kuninRule('information-alignment'),
  'symmetric-alignment': kuninRule('symmetric-alignment'),
  'activation-alignment': kuninRule('activation-alignment'),
};
