/**
 * A locally connected 2-d layer: a convolution whose kernel is NOT shared
 * over positions (one [kh kw cin, cout] matrix per output position p).
 * Private to lib/rules; exported through index.ts. NHWC layout, square
 * kernel, stride s, symmetric zero padding.
 *
 *   patches   P[n, p, f]     = x[n, oh s + i - pad, ow s + j - pad, c],  f = (i kw + j) cin + c
 *   forward   y[n, p, o]     = sum_f P[n, p, f] W[p, f, o] + b[p, o]
 *   adjoint   dP[n, p, f]    = sum_o dy[n, p, o] W[p, f, o];  dx = patches^T(dP)
 *   kernel    dW[p, f, o]    = sum_n P[n, p, f] dy[n, p, o]
 *   jvp       dy = lc(dx, W) + lc(x, V_W) + V_b
 *
 * Patch extraction is a convolution with a fixed 0/1 kernel E [kh, kw, cin,
 * kh kw cin] (E[i, j, c, f] = 1 iff f = (i kw + j) cin + c), so its adjoint
 * is conv2dTranspose with the same E; the per-position products are one
 * batched matMul over the P positions. Weights are stored as [P, kh kw cin,
 * cout] (P = OH OW), biases per position and channel [OH, OW, cout] (as
 * Keras' LocallyConnected2D). fanIn = kh kw cin, fanOut = kh kw cout (torch's
 * convention for the conv layer of the same shape).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, Rng } from '../core';
import { LayerSpec, ParamLayer, ParamTangent, variableFrom, xavierUniform } from './layers';

/** { kind: 'locally-connected', filters, kernelSize, stride?, padding? (zero padding on every side, default 0), bias? } */
export type LocallyConnectedSpec = Extract<LayerSpec, { kind: 'locally-connected' }>;

/** The 0/1 kernel whose convolution lays out every kh x kw x cin patch along the channel axis. */
export function patchKernel(kernelSize: number, channels: number): tf.Tensor4D {
  checkInteger('kernelSize', kernelSize, 1);
  checkInteger('channels', channels, 1);
  const f = kernelSize * kernelSize * channels;
  const e = new Float32Array(f * f);
  // Row-major [kh, kw, cin, f]: position ((i kw + j) cin + c) of the first three axes is exactly f's index.
  for (let q = 0; q < f; q++) e[q * f + q] = 1;
  return tf.tensor4d(e, [kernelSize, kernelSize, channels, f]);
}

/**
 * A parametric layer of the network (kind 'locally-connected'): every rule's
 * pathway uses only the three linear maps below (BP: inputAdjoint with W;
 * DFA: the output error projected onto the input), so BP, FA and DFA train
 * it; the fused path does not cover it (such networks train on the reference path).
 */
export class LocallyConnected2d implements ParamLayer {
  readonly kind = 'locally-connected' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  weight!: tf.Variable;
  bias: tf.Variable | null = null;
  fanIn = 0;
  fanOut = 0;
  readonly stride: number;
  readonly padding: number;
  private patch: tf.Tensor4D | null = null;
  constructor(readonly spec: LocallyConnectedSpec) {
    checkInteger('locally-connected.filters', spec.filters, 1);
    checkInteger('locally-connected.kernelSize', spec.kernelSize, 1);
    this.stride = checkInteger('locally-connected.stride', spec.stride ?? 1, 1);
    this.padding = checkInteger('locally-connected.padding', spec.padding ?? 0, 0);
  }
  /** Number of output positions OH OW. */
  get positions(): number {
    return this.outputShape[0] * this.outputShape[1];
  }
  /** Length of one patch, kh kw cin. */
  get patchSize(): number {
    return this.fanIn;
  }
  build(inputShape: number[], rng: Rng): void {
    if (!Array.isArray(inputShape) || inputShape.length !== 3) {
      throw new ArgumentError('locally-connected input shape', '[height, width, channels]', inputShape);
    }
    const [h, w, c] = inputShape;
    const k = this.spec.kernelSize;
    const oh = Math.floor((h + 2 * this.padding - k) / this.stride) + 1;
    const ow = Math.floor((w + 2 * this.padding - k) / this.stride) + 1;
    if (oh < 1 || ow < 1) throw new ArgumentError('locally-connected input shape', `height and width + 2 padding >= kernel size ${k}`, `[${inputShape.join(', ')}]`);
    this.inputShape = inputShape.slice();
    this.outputShape = [oh, ow, this.spec.filters];
    this.fanIn = k * k * c;
    this.fanOut = k * k * this.spec.filters;
    this.patch?.dispose();
    this.patch = patchKernel(k, c);
    this.weight = variableFrom(xavierUniform([oh * ow, this.fanIn, this.spec.filters], this.fanIn, this.fanOut, rng), true);
    this.bias = this.spec.bias === false ? null : variableFrom(tf.zeros([oh, ow, this.spec.filters]), true);
  }
  /** [N, H, W, C] -> the patches by position, [P, N, kh kw cin]. */
  patches(x: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      const p = tf.conv2d(x as tf.Tensor4D, this.patch as tf.Tensor4D, this.stride, this.padding as unknown as 'valid');
      return p.reshape([x.shape[0], this.positions, this.fanIn]).transpose([1, 0, 2]) as tf.Tensor3D;
    });
  }
  /** [P, N, m] -> [N, OH, OW, m]. */
  private toMap(t: tf.Tensor, m: number): tf.Tensor {
    const [oh, ow] = this.outputShape;
    return t.transpose([1, 0, 2]).reshape([t.shape[1] as number, oh, ow, m]);
  }
  /** [N, OH, OW, m] -> [P, N, m]. */
  private byPosition(dy: tf.Tensor): tf.Tensor3D {
    const m = dy.shape[3] as number;
    return dy.reshape([dy.shape[0], this.positions, m]).transpose([1, 0, 2]) as tf.Tensor3D;
  }
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.toMap(tf.matMul(this.patches(x), kernel as tf.Tensor3D), kernel.shape[2] as number));
  }
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const dP = this.toMap(tf.matMul(this.byPosition(dy), kernel as tf.Tensor3D, false, true), this.fanIn);
      const [h, w, c] = this.inputShape;
      return tf.conv2dTranspose(dP as tf.Tensor4D, this.patch as tf.Tensor4D, [dy.shape[0], h, w, c], this.stride, this.padding as unknown as 'valid');
    });
  }
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.matMul(this.patches(x), this.byPosition(dy), true, false));
  }
  biasGradient(dy: tf.Tensor): tf.Tensor {
    return dy.sum(0);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const a = this.linear(x, this.weight);
      return this.bias ? a.add(this.bias) : a;
    });
  }
  backward(): tf.Tensor {
    throw new Error('LocallyConnected2d.backward: a parametric layer propagates through its feedback pathway');
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      if (dx) parts.push(this.linear(dx, this.weight));
      if (t?.weight) parts.push(this.linear(input, t.weight));
      if (t?.bias) parts.push(tf.broadcastTo(t.bias, [input.shape[0], ...this.outputShape]));
      return parts.length ? tf.addN(parts) : tf.zeros([input.shape[0], ...this.outputShape]);
    });
  }
  dispose(): void {
    this.patch?.dispose();
    this.weight?.dispose();
    this.bias?.dispose();
  }
}
