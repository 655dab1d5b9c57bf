/**
 * Sign-symmetric feedback (Liao, Leibo & Poggio 2016; BioTorch's variants),
 * a rule family (private to lib/rules, registered in registry.ts). B
 * follows sign(W) of the current weights:
 *   usf:  B = scale * sign(W), scale = sqrt(2 / (fanIn + fanOut)) (Xavier std)
 *   frsf: B = |M| * sign(W), M fixed random (Xavier uniform)
 *   brsf: B = |M| * sign(W), M redrawn before every batch
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core';
import { ParamLayer, xavierUniform } from './layers';
import { checkStateShape, NoOptions, Pathway, PropagateContext, RuleDefinition } from './pathway';

type SignSymmetricRule = 'usf' | 'frsf' | 'brsf';

class SignSymmetricPathway extends Pathway {
  M: tf.Tensor | null = null;
  private readonly scale: number;
  constructor(readonly rule: SignSymmetricRule, layer: ParamLayer, private readonly rng: Rng) {
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

const signSymmetric = (rule: SignSymmetricRule, description: string): RuleDefinition<NoOptions> => ({
  family: 'sign-symmetric',
  description,
  defaults: {},
  create: (layer, ctx) => new SignSymmetricPathway(rule, layer, ctx.rng),
});

export const signSymmetricRules: Record<SignSymmetricRule, RuleDefinition<NoOptions>> = {
  usf: signSymmetric('usf', 'uniform sign-concordant feedback (Liao et al. 2016): B = sign(W) times the Xavier std'),
  frsf: signSymmetric('frsf', 'fixed random-magnitude sign-concordant feedback: B = |M| sign(W), M fixed random'),
  brsf: signSymmetric('brsf', 'batchwise random-magnitude sign-concordant feedback: B = |M| sign(W), M redrawn every batch'),
};
