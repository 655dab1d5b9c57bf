/**
 * Backpropagation through time written out for the cells of the cell table,
 * on plain Float32Arrays (matrix products through lib/core's gemm); each
 * cell's own bpttForward/bpttBackward makes one step. Same loss as
 * `networkLoss` -- mean squared error over trials, steps and outputs plus
 * l2/2 times the squared weight matrices -- and its gradient with respect to
 * every trainable variable. At flip-flop sizes tfjs spends most of a training
 * step on per-op overhead of the unrolled graph; this pass has none. Tested
 * against tfjs autodiff.
 *
 * Sequence classification (`SequenceClassifier`, network.ts), padded and
 * masked: for token ids s[b, t] (0 = padding) and mask m[b, t] = [s[b, t] != 0],
 *   x_t = E[s_t],  h_t = m_t F(h_{t-1}, x_t) + (1 - m_t) h_{t-1},  h_0 = 0,
 *   y_b = hid(h_T) Wout + bout,  L = (1/B) sum_b [softplus(y_b) - label_b y_b] + l2/2 sum ||W||^2,
 * so a pad step is the identity and h_T is the state after the last real token,
 * wherever the padding sits (before, after, between). Backward:
 *   dL/dh_{t-1} = m_t (dF/dh)^T g_t + (1 - m_t) g_t,
 * with the cell's step run on g_t m_t (so pad rows add nothing to the parameter
 * gradients), and dL/dE[w] = sum over (b, t) with s[b, t] = w of (dF/dx)^T (m g)_t.
 * Steps where every row is padding are skipped, so a batch of pre-padded
 * sequences costs its longest member's length. Tested: a padded batch gives the
 * loss and gradients of its sequences run one by one, unpadded; the gradient
 * equals central differences of the float64 loss (`sequenceLossF64`).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, gemm } from '../core';
import { ParamArrays, RecurrentCell } from './cells/cell';
import { cellDefinition } from './cells/table';
import { RecurrentNetwork, SEQUENCE_PAD_ID, SequenceClassifier } from './network';
import { TaskBatch, checkL2, checkTaskBatch } from './tasks';

/** Each cell parameter as a flat float32 array (the variables' data), and zeroed gradient buffers beside them. */
function paramArrays(cell: RecurrentCell): { P: ParamArrays; G: ParamArrays } {
  const P: ParamArrays = {};
  const G: ParamArrays = {};
  for (const [k, v] of Object.entries(cell.params)) {
    P[k] = v.dataSync() as Float32Array;
    G[k] = new Float32Array(P[k].length);
  }
  return { P, G };
}

/**
 * The L2 term of both losses: adds l2 W to the gradient of every weight matrix
 * (the cell's and the readout's; biases and h0 are not penalised), sets the
 * cell gradients, the readout's and its bias's into `grads`, and returns
 * l2/2 sum ||W||^2.
 */
function l2AndGradients(net: RecurrentNetwork, l2: number, P: ParamArrays, G: ParamArrays, gWout: Float32Array, gbout: Float32Array, grads: Map<tf.Variable, Float32Array>): number {
  let sq = 0;
  const add = (W: Float32Array, g: Float32Array) => {
    for (let k = 0; k < W.length; k++) {
      sq += W[k] * W[k];
      g[k] += l2 * W[k];
    }
  };
  for (const [k, v] of Object.entries(net.cell.params)) {
    if (l2 > 0 && v.rank === 2) add(P[k], G[k]);
    grads.set(v, G[k]);
  }
  if (l2 > 0) add(net.Wout.dataSync() as Float32Array, gWout);
  grads.set(net.Wout, gWout);
  grads.set(net.bout, gbout);
  return 0.5 * l2 * sq;
}

/** Forward and backward for one batch; returns the loss and a gradient per trainable variable. */
export function fusedLossAndGradients(net: RecurrentNetwork, batch: TaskBatch, l2 = 0): { loss: number; grads: Map<tf.Variable, Float32Array> } {
  const cell = net.cell;
  // Only cells of the table have a written-out step; anything else is rejected here, never run through another cell's code.
  cellDefinition(cell.kind, 'net.cell.kind');
  checkTaskBatch('batch', batch, { inputSize: cell.inputSize, outputSize: net.outputSize });
  checkL2(l2);
  const n = cell.units;
  const S = cell.stateSize;
  const I = cell.inputSize;
  const O = net.outputSize;
  const B = batch.batch;
  const T = batch.steps;
  const { P, G } = paramArrays(cell);
  const Wout = net.Wout.dataSync() as Float32Array;
  const bout = net.bout.dataSync() as Float32Array;
  const gWout = new Float32Array(Wout.length);
  const gbout = new Float32Array(O);
  const off = cell.hiddenOffset;
  // Time-major inputs, one [B x I] array per step.
  const xs = Array.from({ length: T }, (_, t) => {
    const a = new Float32Array(B * I);
    for (let b = 0; b < B; b++) a.set(batch.inputs.subarray((b * T + t) * I, (b * T + t + 1) * I), b * I);
    return a;
  });
  const h0 = net.h0.dataSync() as Float32Array;
  const hs: Float32Array[] = [new Float32Array(B * S)];
  for (let b = 0; b < B; b++) hs[0].set(h0, b * S);
  const caches: Float32Array[][] = [];
  const hidden = (h: Float32Array) => {
    if (off === 0 && S === n) return h;
    const out = new Float32Array(B * n);
    for (let b = 0; b < B; b++) out.set(h.subarray(b * S + off, b * S + off + n), b * n);
    return out;
  };
  // ---- forward
  for (let t = 0; t < T; t++) {
    const { h, cache } = cell.bpttForward(P, hs[t], xs[t], B);
    hs.push(h);
    caches.push(cache);
  }
  let sum = 0;
  const scale = 2 / (B * T * O);
  const gys: Float32Array[] = [];
  for (let t = 0; t < T; t++) {
    const hid = hidden(hs[t + 1]);
    const y = new Float32Array(B * O);
    for (let b = 0; b < B; b++) y.set(bout, b * O);
    gemm(B, O, n, hid, Wout, y, { beta: 1 });
    const gy = new Float32Array(B * O);
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        const d = y[b * O + o] - batch.targets[(b * T + t) * O + o];
        sum += d * d;
        gy[b * O + o] = scale * d;
      }
    }
    gemm(n, O, B, hid, gy, gWout, { transA: true, beta: 1 });
    for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) gbout[o] += gy[b * O + o];
    gys.push(gy);
  }
  let loss = sum / (B * T * O);
  // ---- backward through time
  let gh: Float32Array = new Float32Array(B * S);
  for (let t = T - 1; t >= 0; t--) {
    // The readout's gradient enters the hidden part of the state.
    const gHid = new Float32Array(B * n);
    gemm(B, n, O, gys[t], Wout, gHid, { transB: true });
    for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) gh[b * S + off + j] += gHid[b * n + j];
    gh = cell.bpttBackward(P, G, { gNext: gh, h: hs[t], hNext: hs[t + 1], x: xs[t], cache: caches[t] }, B);
  }
  const grads = new Map<tf.Variable, Float32Array>();
  loss += l2AndGradients(net, l2, P, G, gWout, gbout, grads);
  if (net.trainInitialState) {
    const g0 = new Float32Array(S);
    for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) g0[j] += gh[b * S + j];
    grads.set(net.h0, g0);
  }
  return { loss, grads };
}

/** Padded token sequences with binary labels (lib/data's loadImdb / takeSequences give these). */
export interface TokenBatch {
  /** size x maxLength token ids, row-major; id 0 is padding. */
  sequences: Int32Array;
  /** 0 or 1 per sequence (only read by the loss). */
  labels: ArrayLike<number>;
  size: number;
  maxLength: number;
}

/** Checks a batch's shapes and ids against the model; labels too when `withLabels`. */
export function checkTokenBatch(name: string, batch: TokenBatch, vocabSize: number, withLabels: boolean): void {
  if (batch === null || typeof batch !== 'object' || !(batch.sequences instanceof Int32Array)) throw new ArgumentError(name, 'a token batch { sequences: Int32Array, labels, size, maxLength }', batch);
  const B = checkInteger(`${name}.size`, batch.size, 1);
  const T = checkInteger(`${name}.maxLength`, batch.maxLength, 1);
  if (batch.sequences.length !== B * T) throw new ArgumentError(`${name}.sequences`, `${B * T} ids (size x maxLength)`, `${batch.sequences.length}`);
  const seq = batch.sequences;
  for (let k = 0; k < seq.length; k++) {
    if (seq[k] < 0 || seq[k] >= vocabSize) throw new ArgumentError(`${name}.sequences`, `ids in [0, ${vocabSize - 1}] (the embedding's rows)`, `${seq[k]} at index ${k}`);
  }
  if (withLabels) {
    if (batch.labels === null || typeof batch.labels !== 'object' || batch.labels.length !== B) throw new ArgumentError(`${name}.labels`, `${B} labels`, batch.labels);
    for (let b = 0; b < B; b++) if (batch.labels[b] !== 0 && batch.labels[b] !== 1) throw new ArgumentError(`${name}.labels`, 'labels 0 or 1', `${batch.labels[b]} at index ${b}`);
  }
}

interface MaskedRun {
  /** The steps run (those with at least one real token), in order. */
  steps: number[];
  /** State before each run step and after the last: hs[k] precedes steps[k]. */
  hs: Float32Array[];
  /** Forward caches, inputs and row masks of each run step. */
  caches: Float32Array[][];
  xs: Float32Array[];
  masks: Uint8Array[];
  /** The hidden part of the final state, [B x units]. */
  hidden: Float32Array;
  logits: Float32Array;
}

/** Forward pass of the masked recurrence (see the header); `onStep(t, h)` sees the state after each run step. */
function maskedForward(model: SequenceClassifier, batch: TokenBatch, keep: boolean, onStep?: (t: number, h: Float32Array, mask: Uint8Array) => void): MaskedRun {
  const net = model.network;
  const cell = net.cell;
  const n = cell.units;
  const S = cell.stateSize;
  const D = cell.inputSize;
  const B = batch.size;
  const T = batch.maxLength;
  const { P } = paramArrays(cell);
  const E = model.embedding.dataSync() as Float32Array;
  let h: Float32Array = new Float32Array(B * S);
  const run: MaskedRun = { steps: [], hs: [h], caches: [], xs: [], masks: [], hidden: new Float32Array(B * n), logits: new Float32Array(B) };
  for (let t = 0; t < T; t++) {
    const mask = new Uint8Array(B);
    let any = false;
    for (let b = 0; b < B; b++) if (batch.sequences[b * T + t] !== SEQUENCE_PAD_ID) mask[b] = 1, any = true;
    if (!any) continue;
    const x = new Float32Array(B * D);
    for (let b = 0; b < B; b++) if (mask[b]) x.set(E.subarray(batch.sequences[b * T + t] * D, (batch.sequences[b * T + t] + 1) * D), b * D);
    const step = cell.bpttForward(P, h, x, B);
    const next = step.h;
    for (let b = 0; b < B; b++) if (!mask[b]) next.set(h.subarray(b * S, (b + 1) * S), b * S);
    onStep?.(t, next, mask);
    h = next;
    if (keep) {
      run.steps.push(t);
      run.hs.push(h);
      run.caches.push(step.cache);
      run.xs.push(x);
      run.masks.push(mask);
    }
  }
  if (!keep) run.hs = [h];
  const off = cell.hiddenOffset;
  for (let b = 0; b < B; b++) run.hidden.set(h.subarray(b * S + off, b * S + off + n), b * n);
  const W = net.Wout.dataSync();
  const bo = net.bout.dataSync()[0];
  for (let b = 0; b < B; b++) {
    let y = bo;
    for (let j = 0; j < n; j++) y += run.hidden[b * n + j] * W[j];
    run.logits[b] = y;
  }
  return run;
}

/** Binary cross-entropy of a logit, softplus(y) - label y, computed without overflow. */
function logitLoss(y: number, label: number): number {
  return Math.max(y, 0) + Math.log1p(Math.exp(-Math.abs(y))) - label * y;
}

/** Logits of a batch of padded sequences (read at each one's last real token). */
export function sequenceLogits(model: SequenceClassifier, batch: TokenBatch): Float32Array {
  checkTokenBatch('batch', batch, model.vocabSize, false);
  return maskedForward(model, batch, false).logits;
}

/**
 * The states after every real token: `states` [sum of lengths x stateSize],
 * sequence after sequence in time order, and each sequence's number of real tokens.
 */
export function sequenceStates(model: SequenceClassifier, batch: TokenBatch): { states: Float32Array; lengths: Int32Array; logits: Float32Array } {
  checkTokenBatch('batch', batch, model.vocabSize, false);
  const S = model.cell.stateSize;
  const collected: Float32Array[][] = Array.from({ length: batch.size }, () => []);
  const { logits } = maskedForward(model, batch, false, (t, h, mask) => {
    for (let b = 0; b < batch.size; b++) if (mask[b]) collected[b].push(h.slice(b * S, (b + 1) * S));
  });
  const lengths = Int32Array.from(collected, (c) => c.length);
  const states = new Float32Array(lengths.reduce((a, b) => a + b, 0) * S);
  let k = 0;
  for (const c of collected) for (const h of c) states.set(h, S * k++);
  return { states, lengths, logits };
}

/** Mean binary cross-entropy of a batch (+ l2/2 sum of squared weight matrices), its gradient per trainable variable, and the logits. */
export function sequenceLossAndGradients(model: SequenceClassifier, batch: TokenBatch, l2 = 0): { loss: number; grads: Map<tf.Variable, Float32Array>; logits: Float32Array } {
  checkTokenBatch('batch', batch, model.vocabSize, true);
  checkL2(l2);
  const net = model.network;
  const cell = net.cell;
  cellDefinition(cell.kind, 'model.cell.kind');
  const n = cell.units;
  const S = cell.stateSize;
  const D = cell.inputSize;
  const B = batch.size;
  const T = batch.maxLength;
  const run = maskedForward(model, batch, true);
  const { P, G } = paramArrays(cell);
  const Wout = net.Wout.dataSync() as Float32Array;
  const gWout = new Float32Array(n);
  let gbout = 0;
  const gE = new Float32Array(model.vocabSize * D);
  let sum = 0;
  let gh: Float32Array = new Float32Array(B * S);
  const off = cell.hiddenOffset;
  for (let b = 0; b < B; b++) {
    const y = run.logits[b];
    sum += logitLoss(y, batch.labels[b]);
    const gy = (1 / (1 + Math.exp(-y)) - batch.labels[b]) / B;
    gbout += gy;
    for (let j = 0; j < n; j++) {
      gWout[j] += gy * run.hidden[b * n + j];
      gh[b * S + off + j] = gy * Wout[j];
    }
  }
  let loss = sum / B;
  for (let k = run.steps.length - 1; k >= 0; k--) {
    const mask = run.masks[k];
    const gm = new Float32Array(B * S);
    for (let b = 0; b < B; b++) if (mask[b]) gm.set(gh.subarray(b * S, (b + 1) * S), b * S);
    const gx = new Float32Array(B * D);
    const prev = cell.bpttBackward(P, G, { gNext: gm, h: run.hs[k], hNext: run.hs[k + 1], x: run.xs[k], cache: run.caches[k], gx }, B);
    for (let b = 0; b < B; b++) {
      if (!mask[b]) {
        prev.set(gh.subarray(b * S, (b + 1) * S), b * S);
        continue;
      }
      const w = batch.sequences[b * T + run.steps[k]];
      for (let j = 0; j < D; j++) gE[w * D + j] += gx[b * D + j];
    }
    gh = prev;
  }
  const grads = new Map<tf.Variable, Float32Array>();
  loss += l2AndGradients(net, l2, P, G, gWout, Float32Array.of(gbout), grads);
  grads.set(model.embedding, gE);
  return { loss, grads, logits: run.logits };
}

/**
 * Float64 reference of `sequenceLossAndGradients`' loss: each sequence run
 * alone through the cell's float64 step over its real tokens only.
 */
export function sequenceLossF64(model: SequenceClassifier, batch: TokenBatch, l2 = 0): number {
  checkTokenBatch('batch', batch, model.vocabSize, true);
  checkL2(l2);
  const net = model.network;
  const cell = net.cell;
  const n = cell.units;
  const off = cell.hiddenOffset;
  const W = Float64Array.from(net.Wout.dataSync());
  const bo = net.bout.dataSync()[0];
  const T = batch.maxLength;
  let sum = 0;
  for (let b = 0; b < batch.size; b++) {
    let h: Float64Array = new Float64Array(cell.stateSize);
    for (let t = 0; t < T; t++) {
      const w = batch.sequences[b * T + t];
      if (w === SEQUENCE_PAD_ID) continue;
      h = cell.stepF64(h, model.embed([w]));
    }
    let y = bo;
    for (let j = 0; j < n; j++) y += h[off + j] * W[j];
    sum += logitLoss(y, batch.labels[b]);
  }
  let loss = sum / batch.size;
  if (l2 > 0) {
    let sq = 0;
    for (const v of [...Object.values(cell.params).filter((p) => p.rank === 2), net.Wout]) for (const x of v.dataSync()) sq += x * x;
    loss += 0.5 * l2 * sq;
  }
  return loss;
}
