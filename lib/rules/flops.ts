/**
 * Floating-point operations of one training step per example (issue 31, the
 * LDFA paper's compute to convergence): forward pass, backward pass (the
 * signal each layer sends to its input, and the weight gradients) and the
 * learning of the feedback pathway (LDFA's P and Q), layer by layer, for BP
 * (FA costs the same: one kernel of W's shape) and LDFA at rank r. Private
 * to lib/rules; exported through index.ts.
 *
 * Conventions: a multiply-add is 2 FLOPs; every other arithmetic operation
 * (add, compare, exp, erf, divide, square root) is 1. Per-batch work (P and
 * Q updates, batch statistics' reductions over the batch are per element
 * already) is divided by the batch size B. Not counted: the loss and its
 * softmax, the optimiser's update of the weights (the same for every rule),
 * the optimiser arithmetic on P and Q, data movement.
 *
 * Parametric layers, with `in` the kernel's fan-in (dense: the input width;
 * conv: k k cin; patch embedding: p p C), `out` its outputs per position, M
 * the positions per example (tokens T, or output pixels H'W'), r LDFA's rank
 * capped at `out`:
 *   forward               2 M in out  (+ M out with a bias; patch embedding: the position embedding)
 *   weight gradient       2 M in out  (+ M out for the bias)
 *   input signal, BP/FA   2 M in out
 *   input signal, LDFA    2 M r (in + out)      (dy P^T, then Q^T; conv: a 1x1 conv, then a conv transpose)
 *   P, Q learning (per batch, / B), LDFA rule:
 *     normative   6 in r out + in out           (D = Q P - W; Q's gradient D P^T; P's Q^T D)
 *     fixed-p     2 in out r                    (Q's gradient G P^T)
 *     local       4 in out r                    (G P^T and Q^T G)
 *     raf         2 in out r + 2 R out^2 + 2 r out^2 + 4 r^2 out   (G P^T; Oja: C = E^T E over the
 *                 R = B M rows of the error, P C, (P C P^T) P)
 *     fixed       0
 * The first parametric layer sends no signal (the network sends nothing
 * below it) and its LDFA pathway is dormant: no input signal, no P, Q
 * learning, for every rule.
 *
 * Other layers (E the output elements, E_in the input elements per example):
 *   attention (T tokens, width d, H heads)
 *     forward   4 T^2 d + 6 H T^2    (c q k^T, the scale, softmax as 5 per entry, A v)
 *     backward  8 T^2 d + 5 H T^2    (dO v^T, A^T dO, the softmax adjoint as 5 per entry, dS k, dS^T q)
 *   batch norm, layer norm   forward 7 E (mean, centre, square and sum, normalise, gain, shift)
 *                            backward 11 E (gain and shift gradients 3, the projection 8)
 *   activation   forward E, backward E;   GELU   forward 5 E, backward 10 E
 *   max / average pool (window s)   forward s^2 per output, backward E_in
 *   token mean   forward E_in, backward E_in;  flatten, noise 0
 *   residual     its body, plus E for the sum (forward) and E for the shortcut's gradient (backward)
 * Attention, norms, pools and activations cost the same under every rule:
 * their backward is exact (the feedback contract covers parametric layers).
 *
 * Compute to convergence (`epochsToFraction`): the first epoch k >= 1 of a
 * test-accuracy curve (entry 0: before training) with acc_k >= fraction x
 * acc_final; times the FLOPs per epoch (examples x per-example FLOPs).
 */
import { ArgumentError, checkInteger, checkOneOf } from '../core';
import type { Layer } from './layers';
import type { RankSetting, LowRankRule } from './low-rank';
import { LOW_RANK_RULES } from './low-rank';
import { Network, NetworkOptions } from './network';
import type { Residual } from './residual';

/** One layer's FLOPs per example (pre-order; a residual block's own row holds only its sum). */
export interface LayerFlops {
  /** Position in pre-order, e.g. '3' or '3.1' (body layer 1 of layer 3). */
  index: string;
  kind: string;
  forward: number;
  /** The signal to the layer's input (0 for the first parametric layer). */
  backwardSignal: number;
  /** Weight (and bias) gradients; for norms, their gain and shift gradients are in backwardSignal. */
  weightGradient: number;
  /** LDFA's P and Q learning per example (0 under BP). */
  feedbackLearning: number;
}

export interface TrainingFlops {
  layers: LayerFlops[];
  forward: number;
  backward: number;
  feedbackLearning: number;
  /** forward + backward + feedbackLearning, per example. */
  total: number;
}

export interface FlopsOptions {
  /** 'bp' (default; 'fa' costs the same) or 'ldfa'. */
  rule?: 'bp' | 'fa' | 'ldfa';
  /** LDFA's rank: one for all parametric layers or one per parametric layer (pre-order); default 'full'. */
  rank?: RankSetting | RankSetting[];
  /** LDFA's rule for P and Q (default 'normative'). */
  ldfaRule?: LowRankRule;
  /** Batch size B dividing the per-batch P, Q work (default 32). */
  batchSize?: number;
}

const ELEMENTWISE: Record<string, [number, number]> = {
  activation: [1, 1],
  gelu: [5, 10],
  batchnorm: [7, 11],
  'layer-norm': [7, 11],
};

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** P and Q learning FLOPs per batch of one parametric layer (see the header). */
function feedbackLearningPerBatch(rule: LowRankRule, fanIn: number, out: number, r: number, rows: number): number {
  switch (rule) {
    case 'normative': return 6 * fanIn * r * out + fanIn * out;
    case 'fixed-p': return 2 * fanIn * out * r;
    case 'local': return 4 * fanIn * out * r;
    case 'raf': return 2 * fanIn * out * r + 2 * rows * out * out + 2 * r * out * out + 4 * r * r * out;
    default: return 0;
  }
}

/**
 * FLOPs per example of one training step of `network` under BP or LDFA
 * (see the header for what is counted). The network is built once (as BP)
 * to read its layers' shapes, then disposed.
 */
export function trainingFlops(network: NetworkOptions, options: FlopsOptions = {}): TrainingFlops {
  const rule = checkOneOf('rule', options.rule ?? 'bp', ['bp', 'fa', 'ldfa'] as const);
  const ldfaRule = checkOneOf('ldfaRule', options.ldfaRule ?? 'normative', LOW_RANK_RULES);
  const batch = checkInteger('batchSize', options.batchSize ?? 32, 1);
  const rankOption = options.rank ?? 'full';
  const net = new Network({ ...network, rule: 'bp', feedback: {} });
  try {
    const ranks = Array.isArray(rankOption) ? rankOption : null;
    if (ranks && ranks.length !== net.paramLayers.length) throw new ArgumentError('rank', `one rank per parametric layer (${net.paramLayers.length})`, ranks);
    const rankOf = (p: number): RankSetting => (ranks ? ranks[p] : rankOption as RankSetting);
    let param = 0;
    const rows: LayerFlops[] = [];
    const walk = (layers: Layer[], prefix: string) => layers.forEach((layer, i) => {
      const index = prefix + String(i);
      const kind = layer.spec.kind;
      const E = size(layer.outputShape), Ein = size(layer.inputShape);
      const row: LayerFlops = { index, kind, forward: 0, backwardSignal: 0, weightGradient: 0, feedbackLearning: 0 };
      if (kind === 'dense' || kind === 'conv2d' || kind === 'patch-embedding') {
        const out = layer.outputShape[layer.outputShape.length - 1];
        const M = E / out;
        const fanIn = kind === 'conv2d'
          ? (layer.spec as { kernelSize: number }).kernelSize ** 2 * layer.inputShape[layer.inputShape.length - 1]
          : kind === 'patch-embedding' ? Ein / M : layer.inputShape[layer.inputShape.length - 1];
        const bias = kind === 'patch-embedding' || (layer.spec as { bias?: boolean }).bias !== false;
        const macs = 2 * M * fanIn * out;
        row.forward = macs + (bias ? E : 0);
        row.weightGradient = macs + (bias ? E : 0);
        if (param > 0) {
          if (rule === 'ldfa') {
            const rs = rankOf(param);
            const r = rs === 'full' ? out : Math.min(checkInteger(`rank[${param}]`, rs, 1), out);
            row.backwardSignal = 2 * M * r * (fanIn + out);
            row.feedbackLearning = feedbackLearningPerBatch(ldfaRule, fanIn, out, r, batch * M) / batch;
          } else row.backwardSignal = macs;
        }
        param++;
      } else if (kind === 'attention') {
        const [T, d] = layer.outputShape;
        const H = (layer.spec as { heads: number }).heads;
        row.forward = 4 * T * T * d + 6 * H * T * T;
        row.backwardSignal = 8 * T * T * d + 5 * H * T * T;
      } else if (kind in ELEMENTWISE) {
        row.forward = ELEMENTWISE[kind][0] * E;
        row.backwardSignal = ELEMENTWISE[kind][1] * E;
      } else if (kind === 'maxpool' || kind === 'avgpool') {
        row.forward = (layer.spec as { size: number }).size ** 2 * E;
        row.backwardSignal = Ein;
      } else if (kind === 'token-mean') {
        row.forward = Ein;
        row.backwardSignal = Ein;
      } else if (kind === 'residual') {
        row.forward = E;
        row.backwardSignal = E;
        rows.push(row);
        walk((layer as Residual).body, `${index}.`);
        return;
      } else if (kind !== 'flatten' && kind !== 'gaussian-noise') {
        throw new ArgumentError(`layers[${index}]`, 'a layer kind whose FLOPs are counted (dense, conv2d, patch-embedding, attention, norms, activations, pools, token-mean, residual, flatten)', kind);
      }
      rows.push(row);
    });
    walk(net.layers, '');
    const sum = (f: (r: LayerFlops) => number) => rows.reduce((a, r) => a + f(r), 0);
    const forward = sum((r) => r.forward);
    const backward = sum((r) => r.backwardSignal + r.weightGradient);
    const feedbackLearning = sum((r) => r.feedbackLearning);
    return { layers: rows, forward, backward, feedbackLearning, total: forward + backward + feedbackLearning };
  } finally {
    net.dispose();
  }
}

/**
 * The first epoch k >= 1 whose accuracy reaches `target` (an absolute
 * accuracy, as the curve's; curve[0]: before training), or null if none does.
 * Time to a fixed accuracy compares runs whose final accuracies differ, where
 * a fraction of each run's own final does not.
 */
export function epochsToAccuracy(curve: readonly number[], target: number): number | null {
  if (!Array.isArray(curve)) throw new ArgumentError('curve', 'an array of accuracies, entry 0 before training', curve);
  if (!Number.isFinite(target)) throw new ArgumentError('target', 'a finite accuracy', target);
  for (let k = 1; k < curve.length; k++) if (curve[k] >= target) return k;
  return null;
}

/**
 * The first epoch k >= 1 whose accuracy reaches `fraction` of the final
 * one (curve[0]: before training; the final is the last entry), or null
 * (fewer than two entries, or a final accuracy that is not positive).
 */
export function epochsToFraction(curve: readonly number[], fraction = 0.9): number | null {
  if (!Array.isArray(curve)) throw new ArgumentError('curve', 'an array of accuracies, entry 0 before training', curve);
  if (!(fraction > 0 && fraction <= 1)) throw new ArgumentError('fraction', 'a number in (0, 1]', fraction);
  if (curve.length < 2) return null;
  const final = curve[curve.length - 1];
  if (!(final > 0)) return null;
  for (let k = 1; k < curve.length; k++) if (curve[k] >= fraction * final) return k;
  return null;
}
