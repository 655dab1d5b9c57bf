/**
 * LSTM with state s = [c, h] (2n numbers, as FixedPointFinder does):
 *   [i, f, g, o] = x Wx + h Wh + b,  c' = sigmoid(f + forgetBias) * c + sigmoid(i) * tanh(g),
 *   h' = sigmoid(o) * tanh(c').  Wx [inputSize, 4n], Wh [n, 4n], b [4n], one
 * variable per gate block; forgetBias is the cell's gateBias.
 */
import * as tf from '@tensorflow/tfjs';
import { gemm, rnnElementwise, sigmoid, tanh } from '../../core';
import type { QGradKernel } from '../system';
import {
  BpttBackward, BpttStep, CellDefinition, CellOptions, Jacobians, ParamArrays, RecurrentCell, Scratch,
  defineCell, gateBlockVariables, gatesBackward, gatesForward, inputTerms,
} from './cell';

export class LstmCell extends RecurrentCell {
  readonly kind = 'lstm' as const;
  static init(o: CellOptions): LstmCell {
    return new LstmCell(o.units, o.inputSize, gateBlockVariables(o, 4), o.gateBias ?? 1);
  }
  override get stateSize(): number {
    return 2 * this.units;
  }
  override get hiddenOffset(): number {
    return this.units;
  }

  step(s: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      // Halves of the state through constant selector matrices (a matmul is far cheaper than a column slice on CPU kernels).
      const sel = this.selectors();
      const c = tf.matMul(s, sel.c);
      const h = tf.matMul(s, sel.h);
      const gate = (k: number) => tf.add(tf.add(tf.matMul(x, this.w('Wx', k)), tf.matMul(h, this.w('Wh', k))), this.w('b', k));
      const c2 = tf.add(tf.mul(tf.sigmoid(tf.add(gate(1), this.gateBias)), c), tf.mul(tf.sigmoid(gate(0)), tf.tanh(gate(2))));
      const h2 = tf.mul(tf.sigmoid(gate(3)), tf.tanh(c2));
      // [c', h'] by selector matmuls, not concat: concat's gradient is a column slice.
      return tf.add(tf.matMul(c2, sel.c, false, true), tf.matMul(h2, sel.h, false, true)) as tf.Tensor2D;
    });
  }
  private sel: { c: tf.Tensor2D; h: tf.Tensor2D } | null = null;
  private selectors(): { c: tf.Tensor2D; h: tf.Tensor2D } {
    if (!this.sel) {
      const n = this.units;
      const c = new Float32Array(2 * n * n);
      const h = new Float32Array(2 * n * n);
      for (let i = 0; i < n; i++) {
        c[i * n + i] = 1;
        h[(n + i) * n + i] = 1;
      }
      this.sel = tf.tidy(() => ({ c: tf.keep(tf.tensor2d(c, [2 * n, n])), h: tf.keep(tf.tensor2d(h, [2 * n, n])) }));
    }
    return this.sel;
  }
  override hidden(state: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(state, this.selectors().h);
  }
  override dispose(): void {
    super.dispose();
    this.sel?.c.dispose();
    this.sel?.h.dispose();
    this.sel = null;
  }

  private parts(s: Float64Array, x: Float64Array) {
    this.checkState('state', s, x);
    const n = this.units;
    const { pre, Wx, Wh } = this.gatePreactivationsF64(s.subarray(n), x, 4);
    const si = pre.subarray(0, n).map(sigmoid);
    const sf = pre.subarray(n, 2 * n).map((v) => sigmoid(v + this.gateBias));
    const tg = pre.subarray(2 * n, 3 * n).map(Math.tanh);
    const so = pre.subarray(3 * n, 4 * n).map(sigmoid);
    const c2 = sf.map((f, a) => f * s[a] + si[a] * tg[a]);
    const tc = c2.map(Math.tanh);
    return { si, sf, tg, so, c2, tc, Wx, Wh };
  }

  stepF64(s: Float64Array, x: Float64Array): Float64Array {
    const { so, c2, tc } = this.parts(s, x);
    const out = new Float64Array(2 * this.units);
    out.set(c2, 0);
    out.set(so.map((o, a) => o * tc[a]), this.units);
    return out;
  }

  jacobianF64(s: Float64Array, x: Float64Array): Jacobians {
    const { si, sf, tg, so, tc, Wx, Wh } = this.parts(s, x);
    const n = this.units;
    const m = this.inputSize;
    const S = 2 * n;
    const dState = new Float64Array(S * S);
    const dInput = new Float64Array(S * m);
    // Row a of dc'/d(.) from the gate pre-activation weights W (rows = source units).
    const dcRow = (a: number, W: Float64Array, src: number) =>
      s[a] * sf[a] * (1 - sf[a]) * W[src * 4 * n + n + a] +
      tg[a] * si[a] * (1 - si[a]) * W[src * 4 * n + a] +
      si[a] * (1 - tg[a] * tg[a]) * W[src * 4 * n + 2 * n + a];
    for (let a = 0; a < n; a++) {
      const dhdc = so[a] * (1 - tc[a] * tc[a]);
      const dhdo = tc[a] * so[a] * (1 - so[a]);
      // w.r.t. c (first n state entries): only the forget path.
      dState[a * S + a] = sf[a];
      dState[(n + a) * S + a] = dhdc * sf[a];
      for (let b = 0; b < n; b++) {
        const dc = dcRow(a, Wh, b);
        dState[a * S + n + b] = dc;
        dState[(n + a) * S + n + b] = dhdc * dc + dhdo * Wh[b * 4 * n + 3 * n + a];
      }
      for (let q = 0; q < m; q++) {
        const dc = dcRow(a, Wx, q);
        dInput[a * m + q] = dc;
        dInput[(n + a) * m + q] = dhdc * dc + dhdo * Wx[q * 4 * n + 3 * n + a];
      }
    }
    return { dState, dInput };
  }

  /** Fused kernel: P = h Wh (h: the second half of each state row, lda 2n) + (u Wx + b); one element-wise stage for [c', h'], q and the gate gradients. */
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    const n = this.units;
    const k4 = [0, 1, 2, 3];
    const Wh = Float32Array.from(this.p64().Wh);
    const [ci, cf, cg, co] = inputTerms(u, N, this.inputSize, n, k4.map((k) => this.f32('Wx', k)), k4.map((k) => this.f32('b', k)));
    const forgetBias = this.gateBias;
    const s = new Scratch();
    const ew = rnnElementwise();
    const S = 2 * n;
    return (x, q, grad) => {
      const P = s.get('P', N * 4 * n);
      gemm(N, 4 * n, n, x.subarray(n), Wh, P, { lda: S });
      const gP = s.get('gP', N * 4 * n);
      ew.lstmOutput(N, n, forgetBias, 1 / N, P, ci, cf, cg, co, x, q, grad, gP, s.get('d2', n));
      gemm(N, n, 4 * n, gP, Wh, grad.subarray(n), { transB: true, beta: 1, ldc: S });
    };
  }

  bpttForward(P: ParamArrays, h: Float32Array, x: Float32Array, B: number): BpttStep {
    const n = this.units;
    const I = this.inputSize;
    const S = 2 * n;
    const hp = new Float32Array(B * n);
    const cp = new Float32Array(B * n);
    for (let b = 0; b < B; b++) {
      cp.set(h.subarray(b * S, b * S + n), b * n);
      hp.set(h.subarray(b * S + n, (b + 1) * S), b * n);
    }
    const [si, sf, tg, so] = gatesForward(P, 'Wh', 4, B, n, I, x, hp);
    const tc = new Float32Array(B * n);
    const out = new Float32Array(B * S);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
        const k = b * n + j;
        si[k] = sigmoid(si[k]);
        sf[k] = sigmoid(sf[k] + this.gateBias);
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

  bpttBackward(P: ParamArrays, G: ParamArrays, { gNext, x, cache, gx }: BpttBackward, B: number): Float32Array {
    const n = this.units;
    const [si, sf, tg, so, tc, cp, hp] = cache;
    const S = 2 * n;
    const gs = [0, 1, 2, 3].map(() => new Float32Array(B * n));
    const gPrev = new Float32Array(B * S);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
        const k = b * n + j;
        const gh2 = gNext[b * S + n + j];
        const gc2 = gNext[b * S + j] + gh2 * so[k] * (1 - tc[k] * tc[k]);
        gs[0][k] = gc2 * tg[k] * si[k] * (1 - si[k]);
        gs[1][k] = gc2 * cp[k] * sf[k] * (1 - sf[k]);
        gs[2][k] = gc2 * si[k] * (1 - tg[k] * tg[k]);
        gs[3][k] = gh2 * tc[k] * so[k] * (1 - so[k]);
        gPrev[b * S + j] = gc2 * sf[k];
      }
    }
    const ghp = new Float32Array(B * n);
    gatesBackward(P, G, 'Wh', gs, B, n, this.inputSize, x, hp, ghp, gx);
    for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) gPrev[b * S + n + j] = ghp[b * n + j];
    return gPrev;
  }
}

export const LSTM: CellDefinition<'lstm'> = defineCell('lstm', "LSTM, state [c, h]: c' = sigmoid(f + gateBias) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c')", LstmCell);
