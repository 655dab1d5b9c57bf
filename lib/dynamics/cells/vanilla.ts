/**
 * Vanilla tanh RNN: h' = tanh(h Wh + x Wx + b).
 * Jacobians: dF/dh = diag(1 - F^2) Wh^T, dF/dx = diag(1 - F^2) Wx^T.
 * Wh [n, n], Wx [inputSize, n], b [n].
 */
import * as tf from '@tensorflow/tfjs';
import { gemm, rnnElementwise, tanh } from '../../core';
import type { QGradKernel } from '../system';
import {
  BpttBackward, BpttStep, CellDefinition, CellOptions, Jacobians, ParamArrays, RecurrentCell, Scratch,
  accumulateGateGradients, defineCell, inputGradient, gatePreactivation, initialisation, inputTerms, normalInit, paramVariable, rowTimes,
} from './cell';

export class VanillaCell extends RecurrentCell {
  readonly kind = 'vanilla' as const;
  static init(o: CellOptions): VanillaCell {
    const { rng, n, m, inputStd, recurrentStd } = initialisation(o);
    return new VanillaCell(n, m, {
      Wh: paramVariable([n, n], normalInit(rng, n, n, recurrentStd)),
      Wx: paramVariable([m, n], normalInit(rng, m, n, inputStd)),
      b: paramVariable([n], new Float32Array(n)),
    });
  }

  step(h: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.tanh(tf.add(tf.add(tf.matMul(h, this.w('Wh')), tf.matMul(x, this.w('Wx'))), this.w('b'))) as tf.Tensor2D);
  }

  stepF64(h: Float64Array, x: Float64Array): Float64Array {
    this.checkState('state', h, x);
    const { Wh, Wx, b } = this.p64();
    const n = this.units;
    const pre = Float64Array.from(b);
    rowTimes(h, Wh, n, n, 0, n, pre);
    rowTimes(x, Wx, this.inputSize, n, 0, n, pre);
    return pre.map(Math.tanh);
  }

  jacobianF64(h: Float64Array, x: Float64Array): Jacobians {
    const { Wh, Wx } = this.p64();
    const n = this.units;
    const m = this.inputSize;
    const F = this.stepF64(h, x);
    const dState = new Float64Array(n * n);
    const dInput = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      const a = 1 - F[i] * F[i];
      for (let j = 0; j < n; j++) dState[i * n + j] = a * Wh[j * n + i];
      for (let k = 0; k < m; k++) dInput[i * m + k] = a * Wx[k * n + i];
    }
    return { dState, dInput };
  }

  /** Fused kernel: A = x Wh + (u Wx + b), F = tanh(A); the element-wise stage gives q and dL/dA. */
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    const n = this.units;
    const Wh = this.f32('Wh');
    const [c] = inputTerms(u, N, this.inputSize, n, [this.f32('Wx')], [this.f32('b')]);
    const s = new Scratch();
    const ew = rnnElementwise();
    return (x, q, grad) => {
      const A = s.get('A', N * n);
      A.set(c);
      gemm(N, n, n, x, Wh, A, { beta: 1 });
      const gA = s.get('gA', N * n);
      ew.vanillaOutput(N, n, 1 / N, A, x, q, grad, gA, s.get('d2', n));
      gemm(N, n, n, gA, Wh, grad, { transB: true, beta: 1 });
    };
  }

  bpttForward(P: ParamArrays, h: Float32Array, x: Float32Array, B: number): BpttStep {
    const n = this.units;
    const A = gatePreactivation(B, n, this.inputSize, x, P.Wx, h, P.Wh, P.b, n);
    for (let k = 0; k < A.length; k++) A[k] = tanh(A[k]);
    return { h: A, cache: [] };
  }

  bpttBackward(P: ParamArrays, G: ParamArrays, { gNext, h, hNext, x, gx }: BpttBackward, B: number): Float32Array {
    const n = this.units;
    const gA = new Float32Array(B * n);
    for (let k = 0; k < gA.length; k++) gA[k] = gNext[k] * (1 - hNext[k] * hNext[k]);
    accumulateGateGradients(B, n, this.inputSize, x, h, n, gA, G.Wx, G.Wh, G.b);
    if (gx) inputGradient(B, n, this.inputSize, gA, P.Wx, gx);
    const gh = new Float32Array(B * n);
    gemm(B, n, n, gA, P.Wh, gh, { transB: true });
    return gh;
  }
}

export const VANILLA: CellDefinition<'vanilla'> = defineCell('vanilla', "tanh RNN: h' = tanh(h Wh + x Wx + b)", VanillaCell);
