/**
 * GRU (Cho et al. 2014, the TensorFlow GRUCell form):
 *   z = sigmoid(x Wx_z + h Wh_z + b_z), r = sigmoid(x Wx_r + h Wh_r + b_r),
 *   c = tanh(x Wx_c + (r * h) Whc + b_c),  h' = z * h + (1 - z) * c.
 * Wx is [inputSize, 3n] (blocks z, r, c), Whzr [n, 2n], Whc [n, n], b [3n],
 * stored as one variable per gate block.
 */
import * as tf from '@tensorflow/tfjs';
import { gemm, rnnElementwise, sigmoid } from '../../core';
import type { QGradKernel } from '../system';
import {
  BpttBackward, BpttStep, CellDefinition, CellOptions, Jacobians, ParamArrays, RecurrentCell, Scratch,
  accumulateGateGradients, blendBackward, inputGradient, blendForward, blockVariables, defineCell, gatePreactivation, gatesBackward, gatesForward, initialisation, inputTerms,
  normalInit, paramVariable, rowTimes,
} from './cell';

export class GruCell extends RecurrentCell {
  readonly kind = 'gru' as const;
  static init(o: CellOptions): GruCell {
    const { rng, n, m, inputStd, recurrentStd: g } = initialisation(o);
    const bias = new Float32Array(3 * n);
    // Gate biases start at +1 for z so the initial network tends to hold its state.
    for (let i = 0; i < n; i++) bias[i] = o.gateBias ?? 1;
    return new GruCell(n, m, {
      ...blockVariables('Wx', m, 3, n, normalInit(rng, m, 3 * n, inputStd)),
      ...blockVariables('Whzr', n, 2, n, normalInit(rng, n, 2 * n, g)),
      Whc: paramVariable([n, n], normalInit(rng, n, n, g)),
      ...blockVariables('b', 0, 3, n, bias),
    });
  }

  step(h: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const gate = (k: number) => tf.add(tf.add(tf.matMul(x, this.w('Wx', k)), tf.matMul(h, this.w('Whzr', k))), this.w('b', k));
      const z = tf.sigmoid(gate(0));
      const r = tf.sigmoid(gate(1));
      const c = tf.tanh(tf.add(tf.add(tf.matMul(x, this.w('Wx', 2)), tf.matMul(tf.mul(r, h), this.w('Whc'))), this.w('b', 2)));
      // h' = c + z * (h - c): one fewer op than z*h + (1-z)*c, same value.
      return tf.add(c, tf.mul(z, tf.sub(h, c))) as tf.Tensor2D;
    });
  }

  private parts(h: Float64Array, x: Float64Array) {
    this.checkState('state', h, x);
    const { Wx, Whzr, Whc, b } = this.p64();
    const n = this.units;
    const m = this.inputSize;
    const zr = Float64Array.from(b.subarray(0, 2 * n));
    rowTimes(x, Wx, m, 3 * n, 0, 2 * n, zr);
    rowTimes(h, Whzr, n, 2 * n, 0, 2 * n, zr);
    const z = zr.subarray(0, n).map(sigmoid);
    const r = zr.subarray(n, 2 * n).map(sigmoid);
    const pc = Float64Array.from(b.subarray(2 * n, 3 * n));
    rowTimes(x, Wx, m, 3 * n, 2 * n, n, pc);
    const rh = r.map((ri, i) => ri * h[i]);
    rowTimes(rh, Whc, n, n, 0, n, pc);
    const c = pc.map(Math.tanh);
    return { z, r, c, Wx, Whzr, Whc };
  }

  stepF64(h: Float64Array, x: Float64Array): Float64Array {
    const { z, c } = this.parts(h, x);
    return z.map((zi, i) => zi * h[i] + (1 - zi) * c[i]);
  }

  jacobianF64(h: Float64Array, x: Float64Array): Jacobians {
    const { z, r, c, Wx, Whzr, Whc } = this.parts(h, x);
    const n = this.units;
    const m = this.inputSize;
    // d pc_i / d h_j = r_j Whc[j,i] + sum_k h_k r_k (1 - r_k) Whr[j,k] Whc[k,i]; same with Wx_r for inputs.
    const dState = new Float64Array(n * n);
    const dInput = new Float64Array(n * m);
    const hr = Float64Array.from(r, (rk, k) => h[k] * rk * (1 - rk));
    for (let i = 0; i < n; i++) {
      const dz = (h[i] - c[i]) * z[i] * (1 - z[i]);
      const dc = (1 - z[i]) * (1 - c[i] * c[i]);
      for (let j = 0; j < n; j++) {
        let dpc = r[j] * Whc[j * n + i];
        for (let k = 0; k < n; k++) dpc += hr[k] * Whzr[j * 2 * n + n + k] * Whc[k * n + i];
        dState[i * n + j] = (i === j ? z[i] : 0) + dz * Whzr[j * 2 * n + i] + dc * dpc;
      }
      for (let q = 0; q < m; q++) {
        let dpc = Wx[q * 3 * n + 2 * n + i];
        for (let k = 0; k < n; k++) dpc += hr[k] * Wx[q * 3 * n + n + k] * Whc[k * n + i];
        dInput[i * m + q] = dz * Wx[q * 3 * n + i] + dc * dpc;
      }
    }
    return { dState, dInput };
  }

  /**
   * Fused kernel: ZR = x Whzr + (u Wx + b) for the z and r gates, C = (r*x) Whc
   * + (u Wx_c + b_c), F = c + z (x - c). dL/dx collects d = F - x, the z * x
   * term, and the gate paths through gruReset and the final product with Whzr^T.
   */
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    const n = this.units;
    const Whzr = Float32Array.from(this.p64().Whzr);
    const Whc = this.f32('Whc');
    const [cz, cr, cc] = inputTerms(u, N, this.inputSize, n, [0, 1, 2].map((k) => this.f32('Wx', k)), [0, 1, 2].map((k) => this.f32('b', k)));
    const s = new Scratch();
    const ew = rnnElementwise();
    return (x, q, grad) => {
      const ZR = s.get('ZR', N * 2 * n);
      gemm(N, 2 * n, n, x, Whzr, ZR);
      const z = s.get('z', N * n);
      const zc = s.get('zc', N * n);
      const r = s.get('r', N * n);
      const rc = s.get('rc', N * n);
      const rh = s.get('rh', N * n);
      ew.gruGates(N, n, ZR, cz, cr, x, z, zc, r, rc, rh);
      const C = s.get('C', N * n);
      C.set(cc);
      gemm(N, n, n, rh, Whc, C, { beta: 1 });
      const gAc = s.get('gAc', N * n);
      const gZR = s.get('gZR', N * 2 * n);
      // dL/dx from d = F - x and from F's z * x term here; the gate paths are added by gruReset.
      ew.gruOutput(N, n, 1 / N, C, z, zc, x, q, grad, gAc, gZR, s.get('d2', n));
      // grh = gAc Whc^T; then gr = grh * x (-> r's pre-activation) and dx += grh * r.
      const grh = s.get('grh', N * n);
      gemm(N, n, n, gAc, Whc, grh, { transB: true });
      ew.gruReset(N, n, grh, r, rc, x, grad, gZR);
      gemm(N, n, 2 * n, gZR, Whzr, grad, { transB: true, beta: 1 });
    };
  }

  bpttForward(P: ParamArrays, h: Float32Array, x: Float32Array, B: number): BpttStep {
    const n = this.units;
    const I = this.inputSize;
    const [z, r] = gatesForward(P, 'Whzr', 2, B, n, I, x, h);
    const rh = new Float32Array(B * n);
    for (let k = 0; k < z.length; k++) {
      z[k] = sigmoid(z[k]);
      r[k] = sigmoid(r[k]);
      rh[k] = r[k] * h[k];
    }
    const c = gatePreactivation(B, n, I, x, P['Wx.2'], rh, P.Whc, P['b.2'], n);
    return { h: blendForward(h, z, c), cache: [z, r, rh, c] };
  }

  bpttBackward(P: ParamArrays, G: ParamArrays, { gNext, h, x, cache, gx }: BpttBackward, B: number): Float32Array {
    const n = this.units;
    const I = this.inputSize;
    const [z, r, rh, c] = cache;
    const { gh, gGate: gPz, gCandidate: gPc } = blendBackward(gNext, h, z, c);
    accumulateGateGradients(B, n, I, x, rh, n, gPc, G['Wx.2'], G.Whc, G['b.2']);
    if (gx) inputGradient(B, n, I, gPc, P['Wx.2'], gx);
    const grh = new Float32Array(B * n);
    gemm(B, n, n, gPc, P.Whc, grh, { transB: true });
    const gPr = new Float32Array(B * n);
    for (let k = 0; k < gh.length; k++) {
      gh[k] += grh[k] * r[k];
      gPr[k] = grh[k] * h[k] * r[k] * (1 - r[k]);
    }
    gatesBackward(P, G, 'Whzr', [gPz, gPr], B, n, I, x, h, gh, gx);
    return gh;
  }
}

export const GRU: CellDefinition<'gru'> = defineCell('gru', "GRU: h' = z * h + (1 - z) * tanh(x Wx_c + (r * h) Whc + b_c), gates z, r", GruCell);
