/**
 * Backpropagation through time written out for the built-in cells, on plain
 * Float32Arrays (matrix products through lib/core's gemm). Same loss as
 * `networkLoss` -- mean squared error over trials, steps and outputs plus
 * l2/2 times the squared weight matrices -- and its gradient with respect to
 * every trainable variable. At flip-flop sizes tfjs spends most of a training
 * step on per-op overhead of the unrolled graph; this pass has none. Tested
 * against tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { gemm, sigmoid, tanh } from '../core';
import { RecurrentNetwork } from './network';
import { TaskBatch } from './tasks';

type Params = Record<string, Float32Array>;


/** out = x W + h U + bias for one gate ([B x n]). */
function gate(B: number, n: number, I: number, x: Float32Array, W: Float32Array, h: Float32Array, U: Float32Array, bias: Float32Array, hRows: number): Float32Array {
  const out = new Float32Array(B * n);
  for (let i = 0; i < B; i++) out.set(bias, i * n);
  if (I > 0) gemm(B, n, I, x, W, out, { beta: 1 });
  gemm(B, n, hRows, h, U, out, { beta: 1 });
  return out;
}

/** Accumulates the gradients of one gate's W (x^T g), U (h^T g) and bias (column sums of g). */
function gateGrads(B: number, n: number, I: number, x: Float32Array, h: Float32Array, hRows: number, g: Float32Array, gW: Float32Array, gU: Float32Array, gb: Float32Array): void {
  if (I > 0) gemm(I, n, B, x, g, gW, { transA: true, beta: 1 });
  gemm(hRows, n, B, h, g, gU, { transA: true, beta: 1 });
  for (let i = 0; i < B; i++) for (let j = 0; j < n; j++) gb[j] += g[i * n + j];
}

/** Forward and backward for one batch; returns the loss and a gradient per trainable variable. */
export function fusedLossAndGradients(net: RecurrentNetwork, batch: TaskBatch, l2 = 0): { loss: number; grads: Map<tf.Variable, Float32Array> } {
  const cell = net.cell;
  const n = cell.units;
  const S = cell.stateSize;
  const I = cell.inputSize;
  const O = net.outputSize;
  const B = batch.batch;
  const T = batch.steps;
  const P: Params = {};
  const G: Params = {};
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
    const { h, cache } = forwardStep(cell.kind, P, hs[t], xs[t], B, n, I, cell.gateBias);
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
    gh = backwardStep(cell.kind, P, G, gh, hs[t], hs[t + 1], xs[t], caches[t], B, n, I);
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

function forwardStep(kind: string, P: Params, h: Float32Array, x: Float32Array, B: number, n: number, I: number, gateBias: number): { h: Float32Array; cache: Float32Array[] } {
  if (kind === 'vanilla') {
    const A = gate(B, n, I, x, P.Wx, h, P.Wh, P.b, n);
    for (let k = 0; k < A.length; k++) A[k] = tanh(A[k]);
    return { h: A, cache: [] };
  }
  if (kind === 'gru') {
    const z = gate(B, n, I, x, P['Wx.0'], h, P['Whzr.0'], P['b.0'], n);
    const r = gate(B, n, I, x, P['Wx.1'], h, P['Whzr.1'], P['b.1'], n);
    const rh = new Float32Array(B * n);
    for (let k = 0; k < z.length; k++) {
      z[k] = sigmoid(z[k]);
      r[k] = sigmoid(r[k]);
      rh[k] = r[k] * h[k];
    }
    const c = gate(B, n, I, x, P['Wx.2'], rh, P.Whc, P['b.2'], n);
    const out = new Float32Array(B * n);
    for (let k = 0; k < c.length; k++) {
      c[k] = tanh(c[k]);
      out[k] = c[k] + z[k] * (h[k] - c[k]);
    }
    return { h: out, cache: [z, r, rh, c] };
  }
  if (kind === 'ugrnn') {
    const u = gate(B, n, I, x, P['Wx.0'], h, P['Wh.0'], P['b.0'], n);
    const c = gate(B, n, I, x, P['Wx.1'], h, P['Wh.1'], P['b.1'], n);
    const out = new Float32Array(B * n);
    for (let k = 0; k < u.length; k++) {
      u[k] = sigmoid(u[k] + gateBias);
      c[k] = tanh(c[k]);
      out[k] = c[k] + u[k] * (h[k] - c[k]);
    }
    return { h: out, cache: [u, c] };
  }
  // lstm: state rows [c, h]
  const S = 2 * n;
  const hp = new Float32Array(B * n);
  const cp = new Float32Array(B * n);
  for (let b = 0; b < B; b++) {
    cp.set(h.subarray(b * S, b * S + n), b * n);
    hp.set(h.subarray(b * S + n, (b + 1) * S), b * n);
  }
  const si = gate(B, n, I, x, P['Wx.0'], hp, P['Wh.0'], P['b.0'], n);
  const sf = gate(B, n, I, x, P['Wx.1'], hp, P['Wh.1'], P['b.1'], n);
  const tg = gate(B, n, I, x, P['Wx.2'], hp, P['Wh.2'], P['b.2'], n);
  const so = gate(B, n, I, x, P['Wx.3'], hp, P['Wh.3'], P['b.3'], n);
  const tc = new Float32Array(B * n);
  const out = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      const k = b * n + j;
      si[k] = sigmoid(si[k]);
      sf[k] = sigmoid(sf[k] + gateBias);
      tg[k] = tanh(tg[k]);
      so[k] = sigmoid(so[k]);
      const c2 = sf[k] * cp[k] + si[k] * tg[k];
      tc[k] = tanh(c2);
      out[b * S + j] = c2;
      out[b * S + n + j] = so[k] * tc[k];
    }
  }
  return { h: out, cache: [si, sf, tg, so, tc, cp, hp] };
}

function backwardStep(kind: string, P: Params, G: Params, gF: Float32Array, h: Float32Array, hNext: Float32Array, x: Float32Array, cache: Float32Array[], B: number, n: number, I: number): Float32Array {
  if (kind === 'vanilla') {
    const gA = new Float32Array(B * n);
    for (let k = 0; k < gA.length; k++) gA[k] = gF[k] * (1 - hNext[k] * hNext[k]);
    gateGrads(B, n, I, x, h, n, gA, G.Wx, G.Wh, G.b);
    const gh = new Float32Array(B * n);
    gemm(B, n, n, gA, P.Wh, gh, { transB: true });
    return gh;
  }
  if (kind === 'gru') {
    const [z, r, rh, c] = cache;
    const gh = new Float32Array(B * n);
    const gPz = new Float32Array(B * n);
    const gPc = new Float32Array(B * n);
    for (let k = 0; k < gh.length; k++) {
      gh[k] = gF[k] * z[k];
      gPz[k] = gF[k] * (h[k] - c[k]) * z[k] * (1 - z[k]);
      gPc[k] = gF[k] * (1 - z[k]) * (1 - c[k] * c[k]);
    }
    gateGrads(B, n, I, x, rh, n, gPc, G['Wx.2'], G.Whc, G['b.2']);
    const grh = new Float32Array(B * n);
    gemm(B, n, n, gPc, P.Whc, grh, { transB: true });
    const gPr = new Float32Array(B * n);
    for (let k = 0; k < gh.length; k++) {
      gh[k] += grh[k] * r[k];
      gPr[k] = grh[k] * h[k] * r[k] * (1 - r[k]);
    }
    gateGrads(B, n, I, x, h, n, gPz, G['Wx.0'], G['Whzr.0'], G['b.0']);
    gateGrads(B, n, I, x, h, n, gPr, G['Wx.1'], G['Whzr.1'], G['b.1']);
    gemm(B, n, n, gPz, P['Whzr.0'], gh, { transB: true, beta: 1 });
    gemm(B, n, n, gPr, P['Whzr.1'], gh, { transB: true, beta: 1 });
    return gh;
  }
  if (kind === 'ugrnn') {
    const [u, c] = cache;
    const gh = new Float32Array(B * n);
    const gPu = new Float32Array(B * n);
    const gPc = new Float32Array(B * n);
    for (let k = 0; k < gh.length; k++) {
      gh[k] = gF[k] * u[k];
      gPu[k] = gF[k] * (h[k] - c[k]) * u[k] * (1 - u[k]);
      gPc[k] = gF[k] * (1 - u[k]) * (1 - c[k] * c[k]);
    }
    gateGrads(B, n, I, x, h, n, gPu, G['Wx.0'], G['Wh.0'], G['b.0']);
    gateGrads(B, n, I, x, h, n, gPc, G['Wx.1'], G['Wh.1'], G['b.1']);
    gemm(B, n, n, gPu, P['Wh.0'], gh, { transB: true, beta: 1 });
    gemm(B, n, n, gPc, P['Wh.1'], gh, { transB: true, beta: 1 });
    return gh;
  }
  // lstm
  const [si, sf, tg, so, tc, cp, hp] = cache;
  const S = 2 * n;
  const gs = [0, 1, 2, 3].map(() => new Float32Array(B * n));
  const gPrev = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      const k = b * n + j;
      const gh2 = gF[b * S + n + j];
      const gc2 = gF[b * S + j] + gh2 * so[k] * (1 - tc[k] * tc[k]);
      gs[0][k] = gc2 * tg[k] * si[k] * (1 - si[k]);
      gs[1][k] = gc2 * cp[k] * sf[k] * (1 - sf[k]);
      gs[2][k] = gc2 * si[k] * (1 - tg[k] * tg[k]);
      gs[3][k] = gh2 * tc[k] * so[k] * (1 - so[k]);
      gPrev[b * S + j] = gc2 * sf[k];
    }
  }
  const ghp = new Float32Array(B * n);
  for (let g = 0; g < 4; g++) {
    gateGrads(B, n, I, x, hp, n, gs[g], G[`Wx.${g}`], G[`Wh.${g}`], G[`b.${g}`]);
    gemm(B, n, n, gs[g], P[`Wh.${g}`], ghp, { transB: true, beta: 1 });
  }
  for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) gPrev[b * S + n + j] = ghp[b * n + j];
  return gPrev;
}
