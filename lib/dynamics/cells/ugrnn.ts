/**
 * UGRNN (Collins et al. 2017): u = sigmoid(x Wx_u + h Wh_u + b_u + gateBias),
 * c = tanh(x Wx_c + h Wh_c + b_c), h' = u * h + (1 - u) * c.
 * Wx [inputSize, 2n] (blocks u, c), Wh [n, 2n], b [2n], one variable per block.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, gemm, rnnElementwise, sigmoid, tanh } from '../../core';
import type { QGradKernel } from '../system';
import {
  BpttBackward, BpttStep, CellDefinition, CellOptions, Jacobians, ParamArrays, RecurrentCell, Scratch,
  accumulateGateGradients, blockVariables, gatePreactivation, inputTerms, normalInit, rowTimes,
} from './cell';

export class UgrnnCell extends RecurrentCell {
  readonly kind = 'ugrnn' as const;
  constructor(units: number, inputSize: number, gateBias: number, params: Record<string, tf.Variable>) {
    super(units, inputSize, gateBias, params);
  }
  static init(o: CellOptions): UgrnnCell {
    const rng = new Rng(o.seed);
    const n = o.units;
    const m = o.inputSize;
    return new UgrnnCell(n, m, o.gateBias ?? 1, {
      ...blockVariables('Wx', m, 2, n, normalInit(rng, m, 2 * n, (o.inputScale ?? 1) / Math.sqrt(m))),
      ...blockVariables('Wh', n, 2, n, normalInit(rng, n, 2 * n, (o.recurrentScale ?? 1) / Math.sqrt(n))),
      ...blockVariables('b', 0, 2, n, new Float32Array(2 * n)),
    });
  }

  step(h: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const gate = (k: number) => tf.add(tf.add(tf.matMul(x, this.w('Wx', k)), tf.matMul(h, this.w('Wh', k))), this.w('b', k));
      const u = tf.sigmoid(tf.add(gate(0), this.gateBias));
      const c = tf.tanh(gate(1));
      return tf.add(c, tf.mul(u, tf.sub(h, c))) as tf.Tensor2D;
    });
  }

  private parts(h: Float64Array, x: Float64Array) {
    this.checkState('state', h, x);
    const { Wx, Wh, b } = this.p64();
    const n = this.units;
    const pre = Float64Array.from(b);
    rowTimes(x, Wx, this.inputSize, 2 * n, 0, 2 * n, pre);
    rowTimes(h, Wh, n, 2 * n, 0, 2 * n, pre);
    const u = pre.subarray(0, n).map((v) => sigmoid(v + this.gateBias));
    const c = pre.subarray(n, 2 * n).map(Math.tanh);
    return { u, c, Wx, Wh };
  }

  stepF64(h: Float64Array, x: Float64Array): Float64Array {
    const { u, c } = this.parts(h, x);
    return u.map((ui, i) => ui * h[i] + (1 - ui) * c[i]);
  }

  jacobianF64(h: Float64Array, x: Float64Array): Jacobians {
    const { u, c, Wx, Wh } = this.parts(h, x);
    const n = this.units;
    const m = this.inputSize;
    const dState = new Float64Array(n * n);
    const dInput = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      const du = (h[i] - c[i]) * u[i] * (1 - u[i]);
      const dc = (1 - u[i]) * (1 - c[i] * c[i]);
      for (let j = 0; j < n; j++) dState[i * n + j] = (i === j ? u[i] : 0) + du * Wh[j * 2 * n + i] + dc * Wh[j * 2 * n + n + i];
      for (let q = 0; q < m; q++) dInput[i * m + q] = du * Wx[q * 2 * n + i] + dc * Wx[q * 2 * n + n + i];
    }
    return { dState, dInput };
  }

  /** Fused kernel: P = h Wh + (u Wx + b) for both blocks, F = c + u (h - c); one element-wise stage for q and the gate gradients. */
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    const n = this.units;
    const gateBias = this.gateBias;
    const Wh = Float32Array.from(this.p64().Wh);
    const [cu, cc] = inputTerms(u, N, this.inputSize, n, [0, 1].map((k) => this.f32('Wx', k)), [0, 1].map((k) => this.f32('b', k)));
    const s = new Scratch();
    const ew = rnnElementwise();
    return (x, q, grad) => {
      const P = s.get('P', N * 2 * n);
      gemm(N, 2 * n, n, x, Wh, P);
      const gP = s.get('gP', N * 2 * n);
      ew.ugrnnOutput(N, n, gateBias, 1 / N, P, cu, cc, x, q, grad, gP, s.get('d2', n));
      gemm(N, n, 2 * n, gP, Wh, grad, { transB: true, beta: 1 });
    };
  }

  bpttForward(P: ParamArrays, h: Float32Array, x: Float32Array, B: number): BpttStep {
    const n = this.units;
    const I = this.inputSize;
    const u = gatePreactivation(B, n, I, x, P['Wx.0'], h, P['Wh.0'], P['b.0'], n);
    const c = gatePreactivation(B, n, I, x, P['Wx.1'], h, P['Wh.1'], P['b.1'], n);
    const out = new Float32Array(B * n);
    for (let k = 0; k < u.length; k++) {
      u[k] = sigmoid(u[k] + this.gateBias);
      c[k] = tanh(c[k]);
      out[k] = c[k] + u[k] * (h[k] - c[k]);
    }
    return { h: out, cache: [u, c] };
  }

  bpttBackward(P: ParamArrays, G: ParamArrays, { gNext, h, x, cache }: BpttBackward, B: number): Float32Array {
    const n = this.units;
    const I = this.inputSize;
    const [u, c] = cache;
    const gh = new Float32Array(B * n);
    const gPu = new Float32Array(B * n);
    const gPc = new Float32Array(B * n);
    for (let k = 0; k < gh.length; k++) {
      gh[k] = gNext[k] * u[k];
      gPu[k] = gNext[k] * (h[k] - c[k]) * u[k] * (1 - u[k]);
      gPc[k] = gNext[k] * (1 - u[k]) * (1 - c[k] * c[k]);
    }
    accumulateGateGradients(B, n, I, x, h, n, gPu, G['Wx.0'], G['Wh.0'], G['b.0']);
    accumulateGateGradients(B, n, I, x, h, n, gPc, G['Wx.1'], G['Wh.1'], G['b.1']);
    gemm(B, n, n, gPu, P['Wh.0'], gh, { transB: true, beta: 1 });
    gemm(B, n, n, gPc, P['Wh.1'], gh, { transB: true, beta: 1 });
    return gh;
  }
}

export const UGRNN: CellDefinition<'ugrnn'> = {
  kind: 'ugrnn',
  description: "UGRNN (Collins et al. 2017): h' = u * h + (1 - u) * tanh(x Wx_c + h Wh_c + b_c), one update gate u",
  init: (o) => UgrnnCell.init(o),
  restore: (json, params) => new UgrnnCell(json.units, json.inputSize, json.gateBias, params),
};
