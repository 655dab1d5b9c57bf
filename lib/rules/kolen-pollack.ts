/**
 * Kolen-Pollack feedback (Akrout et al. 2019), a rule family of one
 * (private to lib/rules, registered in registry.ts): a learned B in W's
 * shape (drawn Xavier-uniform) receives the rule's weight gradient,
 *   grad_B = x^T delta = grad_W,
 * and B and W both decay, so B - W shrinks geometrically and B aligns with W:
 * with SGD (no momentum), rate eta and a common decay lambda,
 *   W <- W - eta (grad_W + lambda W),   B <- B - eta (grad_W + lambda B),
 *   B - W <- (1 - eta lambda) (B - W)   (Akrout et al. 2019; with momentum the
 *   difference follows the heavy-ball recursion of the decay term alone).
 * W decays only by the network optimiser's weightDecay: B's `decay` defaults
 * to it, so the two decay alike; where it is 0, B's decay falls back to 1e-3
 * while W does not decay (then B - W no longer contracts to 0: set the
 * network's weightDecay for Akrout et al.'s rule).
 * The weight-norm constraint (W <- c W after the step, c = ||W_0|| / ||W||)
 * is a change of W outside the optimiser: B is multiplied by the same c
 * (weightRescaled), so B - W <- c (B - W) keeps contracting. Without it, B
 * kept the whole growth that the constraint takes from W: with batch norm
 * (grad_W orthogonal to W, so SGD inflates ||W||) ||B|| / ||W|| rose 2-3x per
 * layer within 300 steps and the backward signal of the lower layers grew
 * by their product (a depth-4 conv net, issue 17's default run: 49-59% test
 * error against BP's 18%).
 * Noisy updates (Kunin et al. 2020; issue 17 item c): `updateNoise` = sigma
 * adds xi ~ N(0, sigma^2), i.i.d. per element and step, to B after each of
 * its optimiser's steps (Optimizer's updateNoise), drawn from the layer's
 * stream's child 1 (the other draws unchanged); W's updates stay noise-free.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNumber } from '../core';
import { ParamLayer, xavierUniform } from './layers';
import { Optimizer, OptimizerOptions, ResolvedOptimizerOptions } from './optim';
import { feedbackDecay, KernelPathway, LearnContext, ownOptimizerOptions, PathwayContext, RuleDefinition } from './pathway';

export interface KolenPollackOptions {
  /** Weight decay of B (default the network optimiser's, or 1e-3 if that is 0). */
  decay?: number;
  /** Optimiser of B: 'same' (default; a separate instance with the network optimiser's settings, so B and W receive identical updates) or its own. */
  optimizer?: OptimizerOptions | 'same';
  /** Standard deviation of the Gaussian noise added to every element of B after each update (default 0: none). */
  updateNoise?: number;
}

class KolenPollackPathway extends KernelPathway {
  readonly rule = 'kolen-pollack';
  private readonly options: KolenPollackOptions;
  private readonly noise: { updateNoise: number; noiseSeed: number };
  constructor(layer: ParamLayer, ctx: PathwayContext<KolenPollackOptions>) {
    super(layer, xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, ctx.rng), true);
    this.options = ctx.options;
    if (this.options.decay !== undefined) checkNumber('kolen-pollack.decay', this.options.decay, 0);
    // B's own noise stream (never the network optimiser's settings or seed).
    this.noise = { updateNoise: checkNumber('kolen-pollack.updateNoise', this.options.updateNoise ?? 0, 0), noiseSeed: ctx.rng.child(1).seed };
  }
  private ensureOptimizer(main: ResolvedOptimizerOptions): Optimizer {
    if (!this.optimizer) {
      const decay = feedbackDecay(this.options.decay, main);
      this.optimizer = new Optimizer({ ...ownOptimizerOptions(this.options.optimizer, main), weightDecay: decay, ...this.noise }, `${this.rule}.optimizer`);
    }
    return this.optimizer;
  }
  /** The norm constraint scales W by `factor`: B follows (B - W <- factor (B - W)). */
  weightRescaled(factor: number): void {
    tf.tidy(() => this.B.assign(this.B.mul(factor)));
  }
  override learn(ctx: LearnContext): void {
    const opt = this.ensureOptimizer(ctx.mainOptimizer);
    opt.epoch = ctx.epoch;
    opt.step([this.B], [ctx.weightGradient]);
  }
}

export const kolenPollackRules: Record<'kolen-pollack', RuleDefinition<KolenPollackOptions>> = {
  'kolen-pollack': {
    family: 'kolen-pollack',
    description: "Kolen-Pollack (Akrout et al. 2019): a learned B receives W's update and both decay, so B - W shrinks geometrically",
    defaults: { optimizer: 'same' },
    create: (layer, ctx) => new KolenPollackPathway(layer, ctx),
  },
};
