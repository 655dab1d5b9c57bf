/**
 * Sequential networks with explicit forward/backward passes and one feedback
 * pathway per parametric layer. Private to lib/rules; see index.ts.
 * A layer may hold layers (a residual block's body): the passes walk into
 * it (sequence.ts), its parametric layers get pathways like any other (in
 * pre-order), and layers with parameters outside the feedback contract
 * (batch norm's scale and shift) are trained by their exact gradients
 * (`Gradients.extra`, `extraParameters`). Mode: a traced `forward` (training,
 * alignment, gradients) uses batch statistics, `predict` the running ones;
 * `trainStep` folds each batch's statistics into the running ones.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkOneOf, readJsonFile, Rng, writeJsonFile } from '../core';
import { angleBetween } from './alignment';
import { layerFromSpec } from './layer-table';
import { Layer, LayerSpec, ParamLayer, isParamLayer } from './layers';
import { Optimizer } from './optim';
import type { FeedbackPathway } from './pathway';
import { poissonLossAndError } from './poisson';
import { createPathway, FeedbackOptions, RuleName, RuleOptions } from './registry';
import { backwardSequence, disposeSequenceTrace, flattenLayers, forwardSequence, SequenceTrace, visitSequence } from './sequence';

/** Output losses: softmax cross-entropy and MSE on one-hot targets (classifiers); Poisson likelihood of softplus rates (poisson.ts: counts, a regression). */
export type LossName = 'cross-entropy' | 'mse' | 'poisson';
const LOSSES: readonly LossName[] = ['cross-entropy', 'mse', 'poisson'];

/**
 * A network: its architecture, and the feedback rule of every parametric
 * layer with that rule's options. This is the stored form (saved files,
 * pool jobs), so `feedback` may hold options of any rule (each rule reads
 * its own); the model builders (`lenet`, `mlp`) and `setRule` take the
 * per-rule typed form (RuleSetting).
 */
export interface NetworkOptions {
  /** Per-example input shape, e.g. [784] or [32, 32, 1]. */
  inputShape: number[];
  layers: LayerSpec[];
  /** Seed of weights and feedback draws (default 0). */
  seed?: number;
  /** Feedback rule of every parametric layer (default 'bp'). */
  rule?: RuleName;
  /** The rule's options (default: the rule's defaults; see listRules()). */
  feedback?: FeedbackOptions;
  /**
   * Output loss: softmax cross-entropy (default) or mean squared error on
   * one-hot targets, or 'poisson': the Poisson likelihood of rates
   * softplus(z) for count targets (poisson.ts). A Poisson network is a
   * regression: its `trainStep` reports `correct` NaN (not applicable).
   */
  loss?: LossName;
}

/** What a forward pass recorded: inputs[i] is the input of layer i (for an activation layer, its pre-activation); inner[i] the trace of layer i's body (residual blocks). */
export type Trace = SequenceTrace;

/** Per parametric layer (in order): dL/dW, dL/db, and the delta dL/da delivered by the rule. */
export interface Gradients {
  weights: tf.Tensor[];
  biases: (tf.Tensor | null)[];
  deltas: tf.Tensor[];
  /** Exact gradients of `Network.extraParameters` (batch norm's scale and shift), in that order; absent when there are none. */
  extra?: tf.Tensor[];
}

export interface LayerAlignment {
  /** Index among parametric layers (0 = first). */
  layer: number;
  kind: ParamLayer['kind'];
  /** Angle (degrees) between the rule's weight gradient and BP's on the same batch. */
  updateAngle: number;
  /** Angle (degrees) between the rule's delta dL/da and BP's. */
  deltaAngle: number;
  /** Angle (degrees) between the feedback kernel B and W (= angle(B, W^T) of the papers); null for DFA. */
  feedbackAngle: number | null;
  /** ||B||_F / ||W||_F; null for DFA. */
  normRatio: number | null;
}

export interface StepOptions {
  epoch?: number;
  /** Moskovitz et al. 2018: rescale each W to its initial Frobenius norm after the step. */
  weightNormConstraint?: boolean;
}

const FORMAT = 'learning-dynamics-lab/rules-network';

function encodeTensor(t: tf.Tensor): { shape: number[]; data: string } {
  const d = t.dataSync() as Float32Array;
  return { shape: t.shape.slice(), data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') };
}

function decodeTensor(e: { shape: number[]; data: string }, name: string): tf.Tensor {
  if (!e || !Array.isArray(e.shape) || typeof e.data !== 'string') throw new ArgumentError(name, 'an encoded tensor {shape, data}', e);
  const buf = Buffer.from(e.data, 'base64');
  const arr = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return tf.tensor(arr, e.shape, 'float32');
}

export class Network {
  readonly layers: Layer[];
  readonly paramLayers: ParamLayer[];
  /** Index in `layers` of each parametric layer (of the layer holding it, for one in a residual block's body). */
  readonly paramIndex: number[];
  /** Parameters outside the feedback contract (batch norm's gamma, beta), in pre-order; trained by their exact gradient. */
  readonly extraParameters: tf.Variable[];
  /** Every layer in pre-order (a residual block, then its body's layers). */
  private readonly nested: Layer[];
  /** Whether a layer with extra parameters precedes the first parametric layer (then its signal to its input is needed). */
  private readonly signalBelowFirst: boolean;
  readonly inputShape: number[];
  readonly outputShape: number[];
  readonly outputSize: number;
  readonly seed: number;
  readonly loss: LossName;
  rule: RuleName = 'bp';
  feedbackOptions: FeedbackOptions = {};
  pathways: FeedbackPathway[] = [];
  private initialNorms: number[] = [];

  constructor(readonly options: NetworkOptions) {
    if (!options || typeof options !== 'object') throw new ArgumentError('options', 'an object {inputShape, layers}', options);
    if (!Array.isArray(options.inputShape) || options.inputShape.length === 0) {
      throw new ArgumentError('inputShape', 'a non-empty array of positive integers', options.inputShape);
    }
    options.inputShape.forEach((d, i) => checkInteger(`inputShape[${i}]`, d, 1));
    if (!Array.isArray(options.layers) || options.layers.length === 0) throw new ArgumentError('layers', 'a non-empty array of layer specs', options.layers);
    this.seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
    this.loss = checkOneOf('loss', options.loss ?? 'cross-entropy', LOSSES);
    this.inputShape = options.inputShape.slice();
    const rng = new Rng(this.seed);
    this.layers = options.layers.map(layerFromSpec);
    let shape = this.inputShape;
    this.layers.forEach((layer, i) => {
      try {
        layer.build(shape, rng.child(i));
      } catch (e) {
        throw new ArgumentError(`layers[${i}] (${layer.kind})`, 'an input shape it accepts', `${(e as Error).message}`);
      }
      shape = layer.outputShape;
    });
    this.outputShape = shape;
    if (shape.length !== 1) {
      throw new ArgumentError('layers', 'a last layer with a flat output [classes] (add a flatten)', `output shape [${shape.join(', ')}]`);
    }
    this.outputSize = shape[0];
    this.nested = flattenLayers(this.layers);
    this.paramLayers = this.nested.filter(isParamLayer);
    if (this.paramLayers.length === 0) throw new ArgumentError('layers', 'at least one dense or conv2d layer', 'none');
    this.paramIndex = this.layers.flatMap((l, i) => flattenLayers([l]).filter(isParamLayer).map(() => i));
    this.extraParameters = this.nested.flatMap((l) => l.parameters?.() ?? []);
    this.signalBelowFirst = this.nested.slice(0, this.nested.indexOf(this.paramLayers[0])).some((l) => l.parameters);
    if (!isParamLayer(this.layers[this.layers.length - 1])) {
      // The output error e is dL/da of the last layer; a trailing nonlinearity would hide it.
      throw new ArgumentError('layers', 'a dense or conv2d last layer (logits; the loss applies the softmax)', this.layers[this.layers.length - 1].kind);
    }
    this.recordInitialNorms();
    this.setRule(options.rule ?? 'bp', options.feedback ?? {});
  }

  /** Replaces every layer's feedback pathway (fresh random draws from the network seed); the rule's defaults fill what `feedback` leaves out. */
  setRule<R extends RuleName>(rule: R, feedback: RuleOptions[R] = {}): void {
    const rng = new Rng(this.seed).child(1000);
    const fresh = this.paramLayers.map((layer, k) =>
      createPathway(rule, layer, { outputSize: this.outputSize, rng: rng.child(k), options: feedback, paramIndex: k, paramCount: this.paramLayers.length }),
    );
    this.pathways.forEach((p) => p.dispose());
    this.pathways = fresh;
    this.rule = rule;
    this.feedbackOptions = { ...feedback };
  }

  /** Training (batch statistics) or evaluation (running statistics) mode for every layer that has one; the layers keep the last pass's mode. */
  private setTraining(training: boolean): void {
    this.layers.forEach((l) => l.setTraining?.(training));
  }

  /** Forward pass without a trace, in evaluation mode (batch norm: running statistics): the logits. */
  predict(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    this.setTraining(false);
    return tf.tidy(() => this.layers.reduce((h, layer) => layer.forward(h), x));
  }

  /** Forward pass in training mode (batch norm: batch statistics) recording every layer's input; dispose the trace with `disposeTrace`. */
  forward(x: tf.Tensor): Trace {
    this.checkInput(x);
    this.setTraining(true);
    return forwardSequence(this.layers, x);
  }

  disposeTrace(trace: Trace): void {
    disposeSequenceTrace(trace);
  }

  /** The input of every parametric layer in the trace, in their order. */
  private paramInputs(trace: Trace): tf.Tensor[] {
    const out: tf.Tensor[] = [];
    visitSequence(this.layers, trace, (l, input) => isParamLayer(l) && out.push(input));
    return out;
  }

  private checkInput(x: tf.Tensor): void {
    const ok = x.shape.length === this.inputShape.length + 1 && this.inputShape.every((d, i) => x.shape[i + 1] === d);
    if (!ok) throw new ArgumentError('x', `shape [N, ${this.inputShape.join(', ')}]`, `[${x.shape.join(', ')}]`);
  }

  /**
   * Batch-mean loss and the output error e = dL/dz: softmax(z) - onehot(y)
   * (cross-entropy) or z - onehot(y) (MSE, loss = mean of 1/2 ||z - y||^2),
   * divided by the batch size; Poisson: (1 - y / r) sigmoid(z) / N with
   * r = softplus(z), loss the mean over examples of sum(r - y log r)
   * (poisson.ts; log y! dropped).
   */
  lossAndError(logits: tf.Tensor, targets: tf.Tensor): { loss: tf.Scalar; error: tf.Tensor } {
    if (this.loss === 'poisson') return poissonLossAndError(logits, targets);
    return tf.tidy(() => {
      const n = logits.shape[0];
      if (this.loss === 'mse') {
        const diff = logits.sub(targets);
        return { loss: diff.square().sum().div(2 * n) as tf.Scalar, error: diff.div(n) };
      }
      const lse = tf.logSumExp(logits, 1);
      const loss = lse.sub(logits.mul(targets).sum(1)).mean() as tf.Scalar;
      const error = tf.softmax(logits as tf.Tensor2D).sub(targets).div(n);
      return { loss, error };
    });
  }

  /** One-hot targets for integer labels, checking their range. */
  oneHot(labels: ArrayLike<number>): tf.Tensor {
    const c = this.outputSize;
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      if (!Number.isInteger(y) || y < 0 || y >= c) throw new ArgumentError('labels', `integers in [0, ${c - 1}]`, `${y} at index ${i}`);
    }
    return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), c).toFloat());
  }

  /**
   * Backward pass from the output error. mode 'rule' sends each layer's
   * signal to its input through its feedback pathway; 'bp' uses W (exact
   * gradient) whatever the rule. Returns new tensors the caller disposes.
   */
  backward(trace: Trace, error: tf.Tensor, mode: 'rule' | 'bp' = 'rule'): Gradients {
    const nP = this.paramLayers.length;
    const weights: tf.Tensor[] = new Array(nP);
    const biases: (tf.Tensor | null)[] = new Array(nP).fill(null);
    const deltas: tf.Tensor[] = new Array(nP);
    const extra: tf.Tensor[] = [];
    // Pre-order positions: the walk meets the layers in reverse.
    let k = nP;
    let e = this.extraParameters.length;
    this.setTraining(true);
    tf.tidy(() => {
      backwardSequence(
        this.layers,
        trace,
        error,
        (layer, input, signal) => {
          k--;
          deltas[k] = tf.keep(signal.clone());
          weights[k] = tf.keep(layer.kernelGradient(input, signal));
          if (layer.bias) biases[k] = tf.keep(layer.biasGradient(signal));
          if (k === 0 && !this.signalBelowFirst) return null; // nothing trainable below
          return mode === 'bp' ? layer.inputAdjoint(signal, layer.weight) : this.pathways[k].propagate({ dy: signal, input, outputError: error, paramIndex: k });
        },
        (layer, input, signal) => {
          const grads = (layer.parameterGradients as NonNullable<Layer['parameterGradients']>)(signal, input);
          e -= grads.length;
          grads.forEach((g, j) => (extra[e + j] = tf.keep(g)));
        },
      );
    });
    return this.extraParameters.length ? { weights, biases, deltas, extra } : { weights, biases, deltas };
  }

  disposeGradients(g: Gradients): void {
    g.weights.forEach((t) => t.dispose());
    g.biases.forEach((t) => t?.dispose());
    g.deltas.forEach((t) => t.dispose());
    g.extra?.forEach((t) => t?.dispose());
  }

  /** Trainable forward parameters and their gradients in matching order. */
  parameterPairs(g: Gradients): { params: tf.Variable[]; grads: tf.Tensor[] } {
    const params: tf.Variable[] = [];
    const grads: tf.Tensor[] = [];
    this.paramLayers.forEach((l, k) => {
      params.push(l.weight);
      grads.push(g.weights[k]);
      if (l.bias && g.biases[k]) {
        params.push(l.bias);
        grads.push(g.biases[k] as tf.Tensor);
      }
    });
    if (g.extra) {
      params.push(...this.extraParameters);
      grads.push(...g.extra);
    }
    return { params, grads };
  }

  /**
   * One training step on a batch: pathways refresh, forward, backward by the
   * rule, pathways learn (before W moves, so KP's B sees the same gradient),
   * the optimiser updates W and b, optional weight-norm constraint.
   * Returns the batch loss and the number of correct predictions (NaN for
   * the Poisson loss, a regression: no class is predicted).
   */
  trainStep(x: tf.Tensor, targets: tf.Tensor, optimizer: Optimizer, options: StepOptions = {}): { loss: number; correct: number } {
    const epoch = options.epoch ?? 0;
    optimizer.epoch = epoch;
    this.pathways.forEach((p) => p.beginBatch());
    const trace = this.forward(x);
    visitSequence(this.layers, trace, (l, input) => l.updateStatistics?.(input));
    const { loss, error } = this.lossAndError(trace.output, targets);
    const correctT = this.loss === 'poisson' ? null : tf.tidy(() => tf.equal(trace.output.argMax(1), targets.argMax(1)).sum());
    const g = this.backward(trace, error, 'rule');
    const inputs = this.paramInputs(trace);
    this.pathways.forEach((p, k) =>
      p.learn({
        input: inputs[k],
        delta: g.deltas[k],
        weightGradient: g.weights[k],
        outputError: error,
        targets,
        paramIndex: k,
        mainOptimizer: optimizer.options,
        epoch,
      }),
    );
    const { params, grads } = this.parameterPairs(g);
    optimizer.step(params, grads);
    if (options.weightNormConstraint) this.constrainWeightNorms();
    const lossValue = loss.dataSync()[0];
    const correct = correctT ? correctT.dataSync()[0] : NaN;
    tf.dispose([loss, error]);
    correctT?.dispose();
    this.disposeGradients(g);
    this.disposeTrace(trace);
    return { loss: lossValue, correct };
  }

  private recordInitialNorms(): void {
    this.initialNorms = this.paramLayers.map((l) => tf.tidy(() => l.weight.norm().dataSync()[0]));
  }

  /** W <- W ||W_0||_F / ||W||_F for every weight kernel (Moskovitz et al. 2018); the layer's pathway hears of the factor first (weightRescaled). */
  constrainWeightNorms(): void {
    this.paramLayers.forEach((l, k) =>
      tf.tidy(() => {
        const n = l.weight.norm().dataSync()[0];
        if (n <= 0) return;
        const factor = this.initialNorms[k] / n;
        this.pathways[k]?.weightRescaled?.(factor);
        l.weight.assign(l.weight.mul(factor));
      }),
    );
  }

  /** Per-layer alignment of the rule with BP on one batch (no parameter changes). */
  alignment(x: tf.Tensor, targets: tf.Tensor): LayerAlignment[] {
    const trace = this.forward(x);
    const { loss, error } = this.lossAndError(trace.output, targets);
    const gr = this.backward(trace, error, 'rule');
    const gb = this.backward(trace, error, 'bp');
    const out = this.paramLayers.map((l, k) => {
      const B = this.pathways[k].feedbackKernel();
      let feedbackAngle: number | null = null;
      let normRatio: number | null = null;
      if (B) {
        feedbackAngle = angleBetween(B, l.weight);
        normRatio = tf.tidy(() => B.norm().div(l.weight.norm()).dataSync()[0]);
        B.dispose();
      }
      return {
        layer: k,
        kind: l.kind,
        updateAngle: angleBetween(gr.weights[k], gb.weights[k]),
        deltaAngle: angleBetween(gr.deltas[k], gb.deltas[k]),
        feedbackAngle,
        normRatio,
      };
    });
    tf.dispose([loss, error]);
    this.disposeGradients(gr);
    this.disposeGradients(gb);
    this.disposeTrace(trace);
    return out;
  }

  /** Number of forward parameters. */
  get parameterCount(): number {
    return this.paramLayers.reduce((s, l) => s + l.weight.size + (l.bias ? l.bias.size : 0), 0) + this.extraParameters.reduce((s, p) => s + p.size, 0);
  }

  /** A plain object holding the architecture, parameters, rule and feedback state. */
  toJSON(): object {
    return {
      format: FORMAT,
      version: 1,
      options: { ...this.options, rule: this.rule, feedback: this.feedbackOptions },
      weights: this.paramLayers.map((l) => ({ weight: encodeTensor(l.weight), bias: l.bias ? encodeTensor(l.bias) : null })),
      initialNorms: this.initialNorms,
      layerStates: this.nested.filter((l) => l.stateVariables).map((l) => Object.fromEntries(Object.entries(l.stateVariables!()).map(([k, t]) => [k, encodeTensor(t)]))),
      pathways: this.pathways.map((p) => {
        const s = p.state();
        return Object.fromEntries(Object.entries(s).map(([k, t]) => [k, encodeTensor(t)]));
      }),
    };
  }

  static fromJSON(obj: unknown): Network {
    const o = obj as {
      format?: string;
      options: NetworkOptions;
      weights: { weight: { shape: number[]; data: string }; bias: { shape: number[]; data: string } | null }[];
      initialNorms: number[];
      layerStates?: Record<string, { shape: number[]; data: string }>[];
      pathways: Record<string, { shape: number[]; data: string }>[];
    };
    if (!o || o.format !== FORMAT) throw new ArgumentError('network file', `format "${FORMAT}"`, o?.format);
    const net = new Network(o.options);
    net.paramLayers.forEach((l, k) => {
      const w = decodeTensor(o.weights[k].weight, `weights[${k}].weight`);
      if (w.shape.join() !== l.weight.shape.join()) throw new ArgumentError(`weights[${k}].weight`, `shape [${l.weight.shape}]`, `[${w.shape}]`);
      l.weight.assign(w);
      w.dispose();
      const b = o.weights[k].bias;
      if (l.bias && b) {
        const bt = decodeTensor(b, `weights[${k}].bias`);
        l.bias.assign(bt);
        bt.dispose();
      }
    });
    net.nested.filter((l) => l.stateVariables).forEach((l, j) => {
      const saved = o.layerStates?.[j];
      if (!saved) return;
      for (const [name, v] of Object.entries(l.stateVariables!())) {
        if (!saved[name]) continue;
        const t = decodeTensor(saved[name], `layerStates[${j}].${name}`);
        if (t.shape.join() !== v.shape.join()) throw new ArgumentError(`layerStates[${j}].${name}`, `shape [${v.shape}]`, `[${t.shape}]`);
        v.assign(t);
        t.dispose();
      }
    });
    net.initialNorms = o.initialNorms.slice();
    net.pathways.forEach((p, k) => {
      const state = Object.fromEntries(Object.entries(o.pathways[k] ?? {}).map(([n, e]) => [n, decodeTensor(e, `pathways[${k}].${n}`)]));
      p.setState(state);
      tf.dispose(Object.values(state));
    });
    return net;
  }

  /** Writes the network to a JSON file (creating its folder). */
  save(file: string): void {
    writeJsonFile(file, this.toJSON());
  }

  static load(file: string): Network {
    return Network.fromJSON(readJsonFile(file, 'an existing network file'));
  }

  dispose(): void {
    this.pathways.forEach((p) => p.dispose());
    this.paramLayers.forEach((l) => {
      l.weight.dispose();
      l.bias?.dispose();
    });
    this.nested.forEach((l) => !isParamLayer(l) && l.dispose?.());
  }
}
