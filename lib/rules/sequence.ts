/**
 * Passes over a sequence of layers in which a layer may hold a sequence of
 * its own (a residual block's body, the `body` hook of layers.ts). Private
 * to lib/rules: Network's forward and backward passes and a residual
 * block's own exact backward and jvp are these walks.
 *
 *   forward   h_{i+1} = layer_i(h_i); a layer with a body records the body's
 *             trace and gives mergeBody(body(h_i), h_i)
 *   backward  from the output signal down: a parametric layer hands its
 *             signal to the caller's visitor (the rule's pathway, or W^T
 *             for an exact pass), which returns the signal to its input, or
 *             null when nothing below needs one (the walk stops); a layer
 *             with a body sends dy through the body and adds bypass(dy);
 *             any other layer uses its exact `backward` (and, with
 *             `parameters`, reports its exact parameter gradients first)
 *   jvp       the tangent through every layer's jvp with the parameters
 *             fixed; a body's tangent is merged as its output is (mergeBody is
 *             linear in both arguments: residual body + S(x))
 * The order of parametric layers everywhere (pathways, gradients, saved
 * weights) is the pre-order of these walks: forward order, a body's layers
 * in their place.
 */
import * as tf from '@tensorflow/tfjs';
import { isParamLayer, type Layer, type ParamLayer } from './layers';

/** What a forward pass recorded: inputs[i] is the input of layer i (for an activation, its pre-activation); inner[i] the trace of layer i's body. */
export interface SequenceTrace {
  inputs: tf.Tensor[];
  output: tf.Tensor;
  /** Per layer, the trace of its body, or null; absent when no layer has a body. */
  inner?: (SequenceTrace | null)[];
}

/** The signal to a parametric layer's input from the signal at its output (and records what the caller needs), or null: none needed below. */
export type ParamVisitor = (layer: ParamLayer, input: tf.Tensor, dy: tf.Tensor) => tf.Tensor | null;
/** Called at a layer with `parameters` before its backward, with its input and the signal at its output. */
export type ParameterVisitor = (layer: Layer, input: tf.Tensor, dy: tf.Tensor) => void;

/** Every layer in pre-order: each layer, then its body's layers. */
export function flattenLayers(layers: readonly Layer[]): Layer[] {
  return layers.flatMap((l) => (l.body ? [l, ...flattenLayers(l.body)] : [l]));
}

/** The forward pass recording every layer's input (tensors the caller disposes with `disposeSequenceTrace`). */
export function forwardSequence(layers: readonly Layer[], x: tf.Tensor): SequenceTrace {
  const inputs: tf.Tensor[] = [];
  const inner: (SequenceTrace | null)[] = [];
  let h = x;
  for (const layer of layers) {
    inputs.push(h);
    if (layer.body && layer.mergeBody) {
      const sub = forwardSequence(layer.body, h);
      inner.push(sub);
      h = layer.mergeBody(sub.output, h);
    } else {
      inner.push(null);
      h = layer.forward(h);
    }
  }
  return inner.some((t) => t) ? { inputs, output: h, inner } : { inputs, output: h };
}

/** Disposes a trace's tensors except its input (inputs[0], the caller's; a body's inputs[0] is its holder's input). */
export function disposeSequenceTrace(trace: SequenceTrace): void {
  for (let i = 1; i < trace.inputs.length; i++) trace.inputs[i].dispose();
  trace.output.dispose();
  trace.inner?.forEach((t) => t && disposeSequenceTrace(t));
}

/** Calls `fn` with every layer (pre-order) and its input in the trace. */
export function visitSequence(layers: readonly Layer[], trace: SequenceTrace, fn: (layer: Layer, input: tf.Tensor) => void): void {
  layers.forEach((layer, i) => {
    fn(layer, trace.inputs[i]);
    const sub = trace.inner?.[i];
    if (layer.body && sub) visitSequence(layer.body, sub, fn);
  });
}

/** The backward pass from the signal `dy` at the output (see the header); the signal at the input, or null. Call inside tf.tidy. */
export function backwardSequence(
  layers: readonly Layer[],
  trace: SequenceTrace,
  dy: tf.Tensor,
  visitParam: ParamVisitor,
  visitParameters?: ParameterVisitor,
): tf.Tensor | null {
  let signal: tf.Tensor | null = dy;
  for (let i = layers.length - 1; i >= 0 && signal; i--) {
    const layer = layers[i];
    const input = trace.inputs[i];
    const output = i + 1 < layers.length ? trace.inputs[i + 1] : trace.output;
    if (isParamLayer(layer)) {
      signal = visitParam(layer, input, signal);
    } else if (layer.body && layer.bypass) {
      const sub = trace.inner?.[i];
      if (!sub) throw new Error(`backwardSequence: layer ${i} (${layer.kind}) has no body trace`);
      const through = backwardSequence(layer.body, sub, signal, visitParam, visitParameters);
      signal = through ? through.add(layer.bypass(signal)) : null;
    } else {
      if (layer.parameters && visitParameters) visitParameters(layer, input, signal);
      signal = layer.backward(signal, input, output);
    }
  }
  return signal;
}

/** Exact backpropagation to the input (W^T at every parametric layer). Call inside tf.tidy. */
export function exactBackward(layers: readonly Layer[], trace: SequenceTrace, dy: tf.Tensor): tf.Tensor {
  return backwardSequence(layers, trace, dy, (layer, _input, d) => layer.inputAdjoint(d, layer.weight)) as tf.Tensor;
}

/** The tangent of the output for the input tangent `dx`, every parameter fixed. Call inside tf.tidy. */
export function jvpSequence(layers: readonly Layer[], trace: SequenceTrace, dx: tf.Tensor): tf.Tensor {
  let t = dx;
  layers.forEach((layer, i) => {
    const output = i + 1 < layers.length ? trace.inputs[i + 1] : trace.output;
    const sub = trace.inner?.[i];
    t = layer.body && layer.mergeBody && sub ? layer.mergeBody(jvpSequence(layer.body, sub, t), t) : layer.jvp(trace.inputs[i], output, t);
  });
  return t;
}
