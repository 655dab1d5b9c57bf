/**
 * Integrated gradients (Sundararajan, Taly & Yan 2017, arXiv 1703.01365) to
 * the inputs or to the hidden units of any lib/rules Network, as Tanaka et
 * al. (2019) use them to find which model interneurons drive a ganglion
 * cell's response. Exported through index.ts; usable by every study.
 *
 * F is a scalar of the network's outputs z per example: one output unit z_c,
 * or a function of z (e.g. the rate softplus(z_c) of a Poisson network).
 * The network is split at a layer: h = lower(x) the activations that layer
 * outputs (the input itself for layer 'input'), F = upper(h). Along a path
 * h(alpha), alpha in [0, 1], from the baseline to the example,
 *
 *   A_j = integral_0^1 dF/dh_j (h(alpha)) dh_j/dalpha dalpha,
 *   sum_j A_j = F(end) - F(start)                       (completeness)
 *
 * by the chain rule, exactly for any path. Two paths:
 *   'input' (default): x(alpha) = x0 + alpha (x - x0) in input space (x0 the
 *           baseline input, default zeros), h(alpha) = lower(x(alpha)), so
 *           dh/dalpha = J_lower(x(alpha)) (x - x0), one forward-mode (jvp)
 *           pass; the hidden attributions of one example are then the
 *           integrated-gradient path's share through each unit (Dhamdhere et
 *           al. 2018 call this conductance) and sum to F(x) - F(x0) however
 *           the layer is chosen. For layer 'input' it is plain IG. The
 *           authors' integrated_gradient (baccuslab/torch-deep-retina,
 *           alpha_steps = 5 by default) integrates this path too, from a zero
 *           stimulus, as a right-endpoint sum over alpha_steps - 1 intervals
 *           with h's step across each interval in place of the jvp: an
 *           O(1/m) rule at m = 4, hence the reference's completeness trap.
 *   'layer': h(alpha) = h0 + alpha (h(x) - h0) in the layer's own space (h0
 *           the baseline activations, default zeros): plain IG of the upper
 *           network; sums to F(x) - upper(h0).
 * Every path is evaluated in evaluation mode (batch norm's running
 * statistics, no noise), with the exact gradient (W^T at every parametric
 * layer) whatever the network's feedback rule.
 *
 * Quadrature with m steps (nodes alpha_k, weights w_k):
 *   'trapezoid' (default) alpha = 0, 1/m, .., 1; w = 1/m, 1/(2m) at the ends   error O(1/m^2)
 *   'midpoint'            alpha = (k + 1/2)/m, k < m; w = 1/m                    error O(1/m^2)
 *   'left' / 'right'      alpha = k/m, k < m / k = 1..m; w = 1/m (the IG paper) error O(1/m)
 * (orders for a smooth integrand, e.g. tanh or softplus networks; a ReLU
 * network's integrand jumps where a unit switches along the path, which
 * leaves O(1/m) for every rule). The reported gap, sum of attributions minus
 * the output difference, is the integration error plus float32 rounding;
 * float32 passes, float64 accumulation over steps, units and space.
 * `channelSums` sums each example's attributions over every axis but the
 * last (conv activations [H, W, C]: over space per channel, the paper's
 * per-cell-type attribution; dense activations are their own channels).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkFinite, checkInteger, checkOneOf, describe } from '../core';
import type { Layer } from './layers';
import { Network } from './network';
import { exactBackward, forwardSequence, jvpSequence, type SequenceTrace } from './sequence';

export type IntegrationRule = 'trapezoid' | 'midpoint' | 'left' | 'right';
export const INTEGRATION_RULES: readonly IntegrationRule[] = ['trapezoid', 'midpoint', 'left', 'right'];

export interface IntegratedGradientsOptions {
  /** F: an output unit's index (its raw output z_c), or a function of the outputs [N, outputs] giving one value per example [N] (differentiated by tfjs autodiff). */
  target: number | ((z: tf.Tensor) => tf.Tensor);
  /** Whose attributions: 'input' (default) or i, the activations net.layers[i] outputs (e.g. the relu after the first conv). */
  layer?: 'input' | number;
  /** Straight path in input space (default) or in the chosen layer's space (see the header). */
  path?: 'input' | 'layer';
  /** Start of the path: in input space for path 'input', in the layer's space for 'layer'; a number fills it, a tensor is one example's shape or [N, ...]; default 0. */
  baseline?: number | tf.Tensor;
  /** Number m of quadrature steps (default 50). */
  steps?: number;
  /** Quadrature rule (default 'trapezoid'). */
  rule?: IntegrationRule;
}

export interface IntegratedGradientsResult {
  /** Per example, the attribution of every unit of the chosen layer: [N, ...the layer's output shape] (float32 from float64 sums). */
  attributions: tf.Tensor;
  /** Per example and channel (the last axis), the attributions summed over the other axes (space). */
  channelSums: number[][];
  /** Per example, F at the end of the path minus F at its start. */
  outputDifference: Float64Array;
  /** Per example, the sum of all attributions. */
  attributionSum: Float64Array;
  /** Per example, attributionSum - outputDifference: the completeness gap (integration error plus rounding). */
  gap: Float64Array;
  /** max |gap| over examples. */
  maxAbsGap: number;
  /** sum |gap| / sum |outputDifference| (0 when both are 0). */
  relativeGap: number;
  layer: 'input' | number;
  path: 'input' | 'layer';
  steps: number;
  rule: IntegrationRule;
}

/** Nodes and weights of an m-step rule on [0, 1]. */
export function quadratureNodes(rule: IntegrationRule, steps: number): { alphas: number[]; weights: number[] } {
  const r = checkOneOf('rule', rule, INTEGRATION_RULES);
  const m = checkInteger('steps', steps, 1, 1e6);
  const alphas: number[] = [];
  const weights: number[] = [];
  if (r === 'trapezoid') {
    for (let k = 0; k <= m; k++) {
      alphas.push(k / m);
      weights.push(k === 0 || k === m ? 0.5 / m : 1 / m);
    }
  } else {
    const shift = r === 'midpoint' ? 0.5 : r === 'left' ? 0 : 1;
    for (let k = 0; k < m; k++) {
      alphas.push((k + shift) / m);
      weights.push(1 / m);
    }
  }
  return { alphas, weights };
}

/** The part of a trace covering layers [from, to): inputs, output and bodies. */
function subTrace(trace: SequenceTrace, from: number, to: number): SequenceTrace {
  const output = to < trace.inputs.length ? trace.inputs[to] : trace.output;
  const inner = trace.inner?.slice(from, to);
  return inner ? { inputs: trace.inputs.slice(from, to), output, inner } : { inputs: trace.inputs.slice(from, to), output };
}

/** A baseline tensor of `shape` [N, ...] from a number or a tensor of one example's shape or the batch's. */
function baselineOf(baseline: number | tf.Tensor | undefined, shape: number[], name: string): tf.Tensor {
  if (baseline === undefined) return tf.zeros(shape);
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline) || Math.abs(baseline) > 3.4e38) throw new ArgumentError(name, 'a finite number or a tensor', baseline);
    return tf.fill(shape, baseline);
  }
  if (!(baseline instanceof tf.Tensor)) throw new ArgumentError(name, 'a number or a tf.Tensor', describe(baseline));
  const one = shape.slice(1).join();
  if (baseline.shape.join() !== one && baseline.shape.join() !== shape.join()) {
    throw new ArgumentError(name, `shape [${shape.slice(1).join(', ')}] or [${shape.join(', ')}]`, `[${baseline.shape.join(', ')}]`);
  }
  checkFinite(name, baseline.dataSync(), 'float32');
  return tf.broadcastTo(baseline, shape);
}

/**
 * Integrated gradients of F (an output unit, or a function of the outputs)
 * to the inputs or a hidden layer of `net` for a batch `x` [N, ...inputShape],
 * with the completeness gap of every example (see the header).
 */
export function integratedGradients(net: Network, x: tf.Tensor, options: IntegratedGradientsOptions): IntegratedGradientsResult {
  if (!(net instanceof Network)) throw new ArgumentError('net', 'a lib/rules Network', describe(net));
  if (!(x instanceof tf.Tensor)) throw new ArgumentError('x', `a tf.Tensor [N, ${net.inputShape.join(', ')}]`, describe(x));
  if (x.rank !== net.inputShape.length + 1 || net.inputShape.some((d, i) => x.shape[i + 1] !== d) || x.shape[0] < 1) {
    throw new ArgumentError('x', `shape [N, ${net.inputShape.join(', ')}]`, `[${x.shape.join(', ')}]`);
  }
  checkFinite('x', x.dataSync(), 'float32');
  if (!options || typeof options !== 'object') throw new ArgumentError('options', 'an object with a target', options);
  const { target } = options;
  if (typeof target !== 'function') checkInteger('target', target, 0, net.outputSize - 1);
  const layerOpt = options.layer ?? 'input';
  const L = net.layers.length;
  const cut = layerOpt === 'input' ? 0 : checkInteger('layer', layerOpt, 0, L - 1) + 1; // layers [0, cut) are below the attributed activations
  const path = checkOneOf('path', options.path ?? 'input', ['input', 'layer'] as const);
  const rule = checkOneOf('rule', options.rule ?? 'trapezoid', INTEGRATION_RULES);
  const steps = checkInteger('steps', options.steps ?? 50, 1, 1e6);
  const { alphas, weights } = quadratureNodes(rule, steps);
  const n = x.shape[0];
  const lower: Layer[] = net.layers.slice(0, cut);
  const upper: Layer[] = net.layers.slice(cut);
  const hShape = cut === 0 ? net.inputShape : net.layers[cut - 1].outputShape;
  const unitsPer = hShape.reduce((a, b) => a * b, 1);
  const channels = hShape[hShape.length - 1];

  /** F per example [N] from the outputs z. */
  const fOf = (z: tf.Tensor): tf.Tensor => {
    if (typeof target !== 'function') return z.reshape([n, -1]).slice([0, target], [n, 1]).reshape([n]);
    const f = target(z);
    if (!(f instanceof tf.Tensor) || f.shape.join() !== String(n)) {
      throw new ArgumentError('target', `a function of the outputs [${n}, ${net.outputSize}] returning one value per example [${n}]`, f instanceof tf.Tensor ? `shape [${f.shape.join(', ')}]` : describe(f));
    }
    return f;
  };
  /** dF/dz [N, outputs]. */
  const dFdz = (z: tf.Tensor): tf.Tensor =>
    typeof target === 'function' ? tf.grad((zz: tf.Tensor) => fOf(zz).sum())(z) : tf.oneHot(tf.fill([n], target, 'int32'), net.outputSize).toFloat();
  const through = (layers: Layer[], h: tf.Tensor): tf.Tensor => layers.reduce((a, l) => l.forward(a), h);

  // Evaluation mode for every layer that has one (the network's next pass sets its own).
  net.layers.forEach((l) => l.setTraining?.(false));

  const acc = new Float64Array(n * unitsPer);
  const fEnd = new Float64Array(n);
  const fStart = new Float64Array(n);
  tf.tidy(() => {
    const x0 = path === 'input' ? baselineOf(options.baseline, x.shape, 'baseline') : null;
    const h1 = path === 'layer' ? through(lower, x) : null;
    const h0 = path === 'layer' ? baselineOf(options.baseline, [n, ...hShape], 'baseline') : null;
    const start = path === 'input' ? (x0 as tf.Tensor) : (h0 as tf.Tensor);
    const end = path === 'input' ? x : (h1 as tf.Tensor);
    const stack = path === 'input' ? net.layers : upper;
    fEnd.set(fOf(through(stack, end)).dataSync());
    fStart.set(fOf(through(stack, start)).dataSync());
    const delta = end.sub(start);
    alphas.forEach((alpha, k) =>
      tf.tidy(() => {
        const point = start.add(delta.mul(alpha));
        const trace = forwardSequence(stack, point);
        // Path 'input': h and dh/dalpha from the lower layers' part of the trace (jvp); path 'layer': h is the point, dh/dalpha = delta.
        const lowerEnd = path === 'input' ? cut : 0;
        const dh = lowerEnd === 0 ? delta : jvpSequence(lower, subTrace(trace, 0, lowerEnd), delta);
        const g = exactBackward(stack.slice(lowerEnd), subTrace(trace, lowerEnd, stack.length), dFdz(trace.output));
        const v = g.mul(dh).dataSync();
        const w = weights[k];
        for (let i = 0; i < v.length; i++) acc[i] += w * v[i];
      }),
    );
  });

  const outputDifference = new Float64Array(n);
  const attributionSum = new Float64Array(n);
  const gap = new Float64Array(n);
  const channelSums: number[][] = [];
  let maxAbsGap = 0;
  let gapTotal = 0;
  let diffTotal = 0;
  for (let e = 0; e < n; e++) {
    const sums = new Array<number>(channels).fill(0);
    let s = 0;
    for (let u = 0; u < unitsPer; u++) {
      const a = acc[e * unitsPer + u];
      sums[u % channels] += a;
      s += a;
    }
    channelSums.push(sums);
    outputDifference[e] = fEnd[e] - fStart[e];
    attributionSum[e] = s;
    gap[e] = s - outputDifference[e];
    maxAbsGap = Math.max(maxAbsGap, Math.abs(gap[e]));
    gapTotal += Math.abs(gap[e]);
    diffTotal += Math.abs(outputDifference[e]);
  }
  return {
    attributions: tf.tensor(Float32Array.from(acc), [n, ...hShape], 'float32'),
    channelSums,
    outputDifference,
    attributionSum,
    gap,
    maxAbsGap,
    relativeGap: gapTotal === 0 ? 0 : gapTotal / diffTotal,
    layer: layerOpt,
    path,
    steps,
    rule,
  };
}
