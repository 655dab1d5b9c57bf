/**
 * Backpropagation through time written out for the cells of the cell table,
 * on plain Float32Arrays (matrix products through lib/core's gemm); each
 * cell's own bpttForward/bpttBackward makes one step. Same loss as
 * `networkLoss` -- mean squared error over trials, steps and outputs plus
 * l2/2 times the squared weight matrices -- and its gradient with respect to
 * every trainable variable. At flip-flop sizes tfjs spends most of a training
 * step on per-op overhead of the unrolled graph; this pass has none. Tested
 * against tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { gemm } from '../core';
import { ParamArrays } from './cells/cell';
import { cellDefinition } from './cells/table';
import { RecurrentNetwork } from './network';
import { TaskBatch, checkL2, checkTaskBatch } from './tasks';

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
  const P: ParamArrays = {};
  const G: ParamArrays = {};
  for (const [k, v] of Object.entries(cell.params)) {
    P[k] = v.dataSync() as Float32Array;
    G[k] = new Float32Array(P[k].length);
  }
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
  const addL2 = (W: Float32Array, g: Float32Array) => {
    let sq = 0;
    for (let k = 0; k < W.length; k++) {
      sq += W[k] * W[k];
      g[k] += l2 * W[k];
    }
    return sq;
  };
  let sq = 0;
  for (const [k, v] of Object.entries(cell.params)) {
    if (l2 > 0 && v.rank === 2) sq += addL2(P[k], G[k]);
    grads.set(v, G[k]);
  }
  if (l2 > 0) sq += addL2(Wout, gWout);
  loss += 0.5 * l2 * sq;
  grads.set(net.Wout, gWout);
  grads.set(net.bout, gbout);
  if (net.trainInitialState) {
    const g0 = new Float32Array(S);
    for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) g0[j] += gh[b * S + j];
    grads.set(net.h0, g0);
  }
  return { loss, grads };
}
