/**
 * The feedback-pathway contract: what carries a parametric layer's error
 * signal to its input, and what a rule registers to provide one. Private to
 * lib/rules; the contract is documented in index.ts. Depends on no rule, so
 * every family file and the registry can import it without a circle.
 *
 * Storage convention: a feedback kernel B is stored in the SHAPE OF THE
 * FORWARD KERNEL W ([in, out] dense, [kh, kw, cin, cout] conv) and used in
 * W's place in the backward product: dx = dy B^T (dense), conv2dTranspose(dy, B)
 * (conv). The B of the papers (shape of W^T) is this B transposed, so
 * angle(B, W^T) of the papers is the angle between the stored B and W.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng } from '../core';
import { ParamLayer, variableFrom } from './layers';
import { Optimizer, OptimizerOptions, ResolvedOptimizerOptions } from './optim';

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
  /** The name its rule is registered under. */
  readonly rule: string;
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
  /**
   * Optional: the weight-norm constraint is about to multiply W by `factor`
   * outside the optimiser (Kolen-Pollack scales its B alike, so B - W keeps
   * contracting).
   */
  weightRescaled?(factor: number): void;
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

/** What a rule's factory receives for one parametric layer; `options` are the user's merged over the rule's defaults. */
export interface PathwayContext<O extends object = object> {
  /** Size of the network's output (the error e's width), for direct pathways. */
  outputSize: number;
  /** The layer's own stream: draw feedback weights from it, in a fixed order (results are seeded by it). */
  rng: Rng;
  options: O;
  /** Index of the layer among the network's parametric layers (LDFA's per-layer rank). */
  paramIndex?: number;
  /** Number of parametric layers (LDFA: whether this layer's P compresses the output error). */
  paramCount?: number;
}

/**
 * A registered rule: its factory, its default options and a one-line
 * description (what `listRules()` prints). A family file exports one of
 * these per rule; the registry (registry.ts) lists the families.
 */
export interface RuleDefinition<O extends object = object> {
  /** The family (the file that defines the rule), e.g. 'sign-symmetric'. */
  readonly family: string;
  /** One line: what carries the error, and the paper. */
  readonly description: string;
  /**
   * Default options, merged under the user's before `create` (a field the
   * user leaves undefined takes its default). Defaults that depend on the
   * network (e.g. Kolen-Pollack's decay) are documented on the option and
   * resolved by the pathway.
   */
  readonly defaults: Readonly<O>;
  /** The pathway of one parametric layer. */
  create(layer: ParamLayer, ctx: PathwayContext<O>): FeedbackPathway;
}

/** Options of a rule that takes none. */
export type NoOptions = {};

/** `options` over `defaults`: a field the user leaves out or sets to undefined takes its default. */
export function withDefaults<O extends object>(defaults: Readonly<O>, options: O): O {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) merged[k] = v;
  return merged as O;
}

/** Checks a tensor restored by `setState` against the shape it replaces. */
export function checkStateShape(rule: string, name: string, t: tf.Tensor | undefined, shape: number[]): tf.Tensor {
  if (!t) throw new ArgumentError(`${rule} state.${name}`, 'a tensor', t);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ArgumentError(`${rule} state.${name}`, `shape [${shape.join(', ')}]`, `[${t.shape.join(', ')}]`);
  }
  return t;
}

/** Settings of a pathway's own optimiser: the network optimiser's (`'same'`, a separate instance) or the given ones. */
export function ownOptimizerOptions(option: OptimizerOptions | 'same' | undefined, main: ResolvedOptimizerOptions): OptimizerOptions {
  return option && option !== 'same' ? option : { ...main };
}

/** Weight decay of a learned feedback matrix (Kolen-Pollack's B, LDFA's Q): the option, else the network optimiser's, or 1e-3 if that is 0. */
export function feedbackDecay(decay: number | undefined, main: ResolvedOptimizerOptions): number {
  return decay ?? (main.weightDecay > 0 ? main.weightDecay : 1e-3);
}

/** Defaults of the optional members of the contract: no per-batch refresh, nothing to learn, no alignment loss, no state. */
export abstract class Pathway implements FeedbackPathway {
  abstract readonly rule: string;
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

/**
 * A pathway holding one feedback matrix B (saved as state 'B'). By default B
 * has W's shape and carries the error in W's place, dx = inputAdjoint(dy, B)
 * (FA, Kolen-Pollack, the Kunin family); DFA overrides `propagate` and
 * `feedbackKernel` for its [outputSize, input size] B. A trainable B is
 * returned by `trainables()` for the subclass's `learn` to update.
 */
export abstract class KernelPathway extends Pathway {
  readonly B: tf.Variable;
  /** `initial` becomes B (and is disposed). */
  constructor(layer: ParamLayer, initial: tf.Tensor, trainable: boolean) {
    super(layer);
    this.B = variableFrom(initial, trainable);
  }
  propagate(ctx: PropagateContext): tf.Tensor {
    return this.layer.inputAdjoint(ctx.dy, this.B);
  }
  feedbackKernel(): tf.Tensor | null {
    return this.B.clone();
  }
  override trainables(): tf.Variable[] {
    return this.B.trainable ? [this.B] : [];
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
