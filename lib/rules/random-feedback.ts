/**
 * Backpropagation and the fixed random feedback rules (a rule family;
 * private to lib/rules, registered in registry.ts):
 *   bp   dx = inputAdjoint(dy, W)                     the forward kernel itself
 *   fa   dx = inputAdjoint(dy, B), B fixed            Lillicrap et al. 2016; B Xavier-uniform as in BioTorch
 *   dfa  dx = reshape(e B), B [outputSize, in size]   Nokland 2016; e the output error
 * DFA injects at the input of each parametric layer (the feature map
 * entering it, after pooling/flatten of the block below); the activation
 * and pooling below then apply f'(a) (and the pooling routing), so hidden
 * layer l receives f'(a_l) * (e B_l) as in the paper. The last layer's own
 * delta is e, as in every rule.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamLayer, xavierUniform } from './layers';
import { KernelPathway, NoOptions, Pathway, PathwayContext, PropagateContext, RuleDefinition } from './pathway';

/** Backpropagation: the forward kernel itself. */
class BackpropPathway extends Pathway {
  readonly rule = 'bp';
  propagate(ctx: PropagateContext): tf.Tensor {
    return this.layer.inputAdjoint(ctx.dy, this.layer.weight);
  }
  feedbackKernel(): tf.Tensor {
    return this.layer.weight.clone();
  }
}

/** Feedback alignment: fixed random B in W's shape (the KernelPathway default propagation). */
class FixedRandomPathway extends KernelPathway {
  readonly rule = 'fa';
  constructor(layer: ParamLayer, ctx: PathwayContext) {
    super(layer, xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, ctx.rng), false);
  }
}

/** Direct feedback alignment: the output error e projected by a fixed random B [outputSize, size of the input]. */
class DirectPathway extends KernelPathway {
  readonly rule = 'dfa';
  constructor(layer: ParamLayer, ctx: PathwayContext) {
    const inputSize = layer.inputShape.reduce((a, b) => a * b, 1);
    super(layer, xavierUniform([ctx.outputSize, inputSize], ctx.outputSize, inputSize, ctx.rng), false);
  }
  override propagate(ctx: PropagateContext): tf.Tensor {
    return tf.tidy(() => tf.matMul(ctx.outputError as tf.Tensor2D, this.B as tf.Tensor2D).reshape(ctx.input.shape));
  }
  override feedbackKernel(): null {
    return null;
  }
}

export const randomFeedbackRules: Record<'bp' | 'fa' | 'dfa', RuleDefinition<NoOptions>> = {
  bp: {
    family: 'random-feedback',
    description: 'backpropagation: the forward kernel W carries the error (the reference every rule is measured against)',
    defaults: {},
    create: (layer) => new BackpropPathway(layer),
  },
  fa: {
    family: 'random-feedback',
    description: 'feedback alignment (Lillicrap et al. 2016): a fixed random B in place of W, Xavier-uniform',
    defaults: {},
    create: (layer, ctx) => new FixedRandomPathway(layer, ctx),
  },
  dfa: {
    family: 'random-feedback',
    description: "direct feedback alignment (Nokland 2016): the output error projected by a fixed random matrix onto each layer's input",
    defaults: {},
    create: (layer, ctx) => new DirectPathway(layer, ctx),
  },
};
