/**
 * UGRNN (Collins et al. 2017): u = sigmoid(x Wx_u + h Wh_u + b_u + gateBias),
 * c = tanh(x Wx_c + h Wh_c + b_c), h' = u * h + (1 - u) * c.
 * Wx [inputSize, 2n] (blocks u, c), Wh [n, 2n], b [2n], one variable per block.
 */
import * as tf from '@tensorflow/tfjs';
import { gemm, rnnElementwise, sigmoid } from '../../core';
import type { QGradKernel } from '../system';
import {
  BpttBackward, BpttStep, CellDefinition, CellOptions, Jacobians, ParamArrays, RecurrentCell, Scratch,
  blendBackward, blendForward, defineCell, gateBlockVariables, gatesBackward, gatesForward, inputTerms,
} from './cell';

export class UgrnnCell extends RecurrentCell {
  readonly kind = 'ugrnn' as const;
  static init(o: CellOptions): UgrnnCell {
    return new UgrnnCell(o.units, o.inputSize, gateBlockVariables(o, 2), o.gateBias ?? 1);
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
    const n = this.units;
    const { pre, Wx, Wh } = this.gatePreactivationsF64(h, x, 2);
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
    const [u, c] = gatesForward(P, 'Wh', 2, B, n, I, x, h);
    for (let k = 0; k < u.length; k++) u[k] = sigmoid(u[k] + this.gateBias);
    return { h: blendForward(h, u, c), cache: [u, c] };
  }

  bpttBackward(P: ParamArrays, G: ParamArrays, { gNext, h, x, cache, gx }: BpttBackward, B: number): Float32Array {
    const n = this.units;
    const I = this.inputSize;
    const [u, c] = cache;
    const { gh, gGate: gPu, gCandidate: gPc } = blendBackward(gNext, h, u, c);
    gatesBackward(P, G, 'Wh', [gPu, gPc], B, n, I, x, h, gh, gx);
    return gh;
  }
}

export const UGRNN: CellDefinition<'ugrnn'> = defineCell('ugrnn', "UGRNN (Collins et al. 2017): h' = u * h + (1 - u) * tanh(x Wx_c + h Wh_c + b_c), one update gate u", UgrnnCell);
