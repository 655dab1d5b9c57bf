/**
 * Vision-transformer layers with explicit backward and forward-mode passes
 * (issue 31): patch embedding, layer norm, GELU, the multi-head
 * self-attention core, and the mean over tokens. Private to lib/rules;
 * exported through index.ts. A pre-norm transformer block is two residual
 * layers (residual.ts) whose bodies are
 *   [layer-norm, dense 3d (qkv), attention, dense d]    and
 *   [layer-norm, dense m, gelu, dense d],
 * so every dense map of the block is an ordinary parametric layer with its
 * own feedback pathway (BP, FA, DFA, LDFA with rank r; the qkv layer's error
 * is 3d wide, and `attentionRanks` (models.ts) gives it 3r as the LDFA
 * authors do). Activations are tokens: a batch is [N, T, d], and a dense
 * layer maps [N, T, in] to [N, T, out] with one kernel shared by the T
 * tokens (its kernel gradient sums over N and T).
 *
 * Patch embedding ('patch-embedding', a parametric layer of kind 'dense':
 * a dense map of each patch). x [N, H, W, C], patch p, T = (H/p)(W/p):
 *   patches(x)[n, t, (i p + j) C + c] = x[n, gy p + i, gx p + j, c],  t = gy (W/p) + gx
 *   y = patches(x) W + E              W [p p C, d], E [T, d]
 * E is the learned position embedding; it plays the bias's part (one
 * vector per token; its gradient is sum_n dy). W is a conv kernel
 * [p, p, C, d] of stride p flattened; its fans are the dense map's (p p C,
 * d). inputAdjoint(dy, K) = patches^T(dy K^T)
 * (patches is a permutation, so its adjoint is its inverse), kernelGradient
 * = patches(x)^T dy, jvp = patches(dx) W + patches(x) V_W + V_E.
 *
 * Layer norm over the last axis (gain g, shift b, parameters outside the
 * feedback contract, trained by their exact gradient from the delivered
 * signal, as batch norm's are):
 *   xh = (x - mean x) / s,  s = sqrt(var x + eps),  y = g xh + b
 *   backward  u = g dy;  dx = (u - mean u - xh mean(u xh)) / s
 *   gradients dg = sum(dy xh),  db = sum(dy)     (over examples and tokens)
 *   jvp       g (dx - mean dx - xh mean(dx xh)) / s + V_g xh + V_b
 *
 * GELU (exact, torch's default): f(a) = a Phi(a) = a (1 + erf(a / sqrt 2)) / 2,
 *   f'(a) = Phi(a) + a phi(a),  f''(a) = phi(a) (2 - a^2)   (phi the normal density).
 *
 * Multi-head self-attention core ('attention', heads H, no parameters): the
 * input is the qkv projection [N, T, 3d], split along the last axis into
 * q | k | v (each d = H dh, head h owning columns h dh .. (h+1) dh - 1);
 * per head, with c = 1 / sqrt(dh):
 *   S = c q k^T,  A = softmax(S) (over keys),  O = A v;  output [N, T, d] = concat_h O_h
 *   backward  dA = dO v^T,  dv = A^T dO,  dS = A * (dA - rowsum(dA * A)),
 *             dq = c dS k,  dk = c dS^T q
 *   jvp       dS = c (dq k^T + q dk^T),  dA = A * (dS - rowsum(A * dS)),  dO = dA v + A dv
 * The output projection is the dense layer after it. forward and backward
 * run per (example, head) on the float32 buffers (`transformerKernels`: the
 * native add-on's loops, native/src/fused_transformer.cc, else the same in
 * JavaScript through lib/core's gemm): the T x T x dh products by sgemm, q, k,
 * v, dq, dk, dv read and written in place by leading dimension 3d, the
 * softmax rows in a loop, GELU likewise; the tfjs-op versions (`forwardOps`,
 * used by jvp and `weights`) are the same equations, differentiable by tfjs,
 * and the tests compare the two.
 * forward carries backward as its tfjs gradient (tf.customGrad), so tf.grad
 * through a network still works. Measured on the 28x28 ViT (batch 64, 49
 * tokens, 4 heads): see bench/vit.bench.ts (`npm run bench -- vit`).
 *
 * Mean over tokens ('token-mean'): [N, T, d] -> [N, d], y = (1/T) sum_t x_t
 * (the readout before the head; no class token).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, borrowedFloat32, checkInteger, checkPositive, gemm, nativeAddon, Rng, tensorOutputFloat32 } from '../core';
import { affineJvp, Dense, LayerSpec, ParamLayer, ParamTangent, KeptStatistics, variableFrom, type Layer } from './layers';

type Spec<K extends LayerSpec['kind']> = Extract<LayerSpec, { kind: K }>;

/**
 * c [..., 1] spread along a last axis of `width`: c 1^T as one matMul. The
 * backends' broadcasting of a column ([R, d] op [R, 1]) takes ~400 times as
 * long as a same-shape op or this outer product (measured on the blas
 * backend at R d = 50,176), so the row statistics of layer norm and softmax
 * are spread this way.
 */
function spread(c: tf.Tensor, width: number): tf.Tensor {
  return tf.tidy(() => tf.matMul(c.reshape([-1, 1]) as tf.Tensor2D, tf.ones([1, width]) as tf.Tensor2D).reshape([...c.shape.slice(0, -1), width]));
}

/** Row-wise mean over the last axis, spread back to the input's shape. */
function rowMean(x: tf.Tensor): tf.Tensor {
  const d = x.shape[x.rank - 1];
  return tf.tidy(() => spread(x.sum(-1, true).div(d), d));
}

/** Softmax over the last axis (rows shifted by their maximum), with spread rather than broadcast row statistics. */
function softmaxRows(s: tf.Tensor): tf.Tensor {
  const d = s.shape[s.rank - 1];
  return tf.tidy(() => {
    const e = tf.exp(s.sub(spread(s.max(-1, true), d)));
    return e.div(spread(e.sum(-1, true), d));
  });
}

/** Checks a token input shape [T, d] (optionally d = multiple of `of`). */
function tokenShape(kind: string, inputShape: number[]): [number, number] {
  if (!Array.isArray(inputShape) || inputShape.length !== 2) throw new ArgumentError(`${kind} input shape`, '[tokens, width]', inputShape);
  return [inputShape[0], inputShape[1]];
}

// ---------------------------------------------------------------- patch embedding
export class PatchEmbedding implements ParamLayer {
  /** A dense map of each patch (the ParamLayer contract's 'dense'); the spec's kind is 'patch-embedding'. */
  readonly kind = 'dense' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  /** The map of one patch, p p C -> d, shared by the tokens (its bias is this layer's: the position embedding). */
  readonly patchMap: Dense;
  /** The position embedding E [T, d] (one bias per token). */
  bias: tf.Variable | null = null;
  readonly patchSize: number;
  constructor(readonly spec: Spec<'patch-embedding'>) {
    this.patchSize = checkInteger('patch-embedding.patchSize', spec.patchSize, 1);
    this.patchMap = new Dense({ kind: 'dense', units: checkInteger('patch-embedding.units', spec.units, 1), bias: false });
  }
  /** W [p p C, d]. */
  get weight(): tf.Variable {
    return this.patchMap.weight;
  }
  /** p p C and d: the fans of the dense map of a patch. */
  get fanIn(): number {
    return this.patchMap.fanIn;
  }
  get fanOut(): number {
    return this.patchMap.fanOut;
  }
  /** Number of patches T. */
  get tokens(): number {
    return this.outputShape[0];
  }
  build(inputShape: number[], rng: Rng): void {
    const p = this.patchSize;
    if (!Array.isArray(inputShape) || inputShape.length !== 3 || inputShape[0] % p !== 0 || inputShape[1] % p !== 0) {
      throw new ArgumentError('patch-embedding input shape', `[height, width, channels] with height and width multiples of the patch size ${p}`, inputShape);
    }
    const [h, w, c] = inputShape;
    this.inputShape = inputShape.slice();
    this.order = null; // patchOrder's table is of the input shape
    const t = (h / p) * (w / p);
    this.patchMap.build([t, p * p * c], rng);
    this.outputShape = this.patchMap.outputShape.slice();
    // The ViT position embedding's usual start: N(0, 0.02^2).
    this.bias = variableFrom(tf.tensor(rng.normalArray(t * this.spec.units, 0, 0.02) as Float32Array, this.outputShape), true);
  }
  /**
   * Where each value of a patch row comes from: order[j] is the offset in an image [H, W, C] of element j of the
   * image's [T, p p C] patch rows (token-major, then the patch's rows, columns and channels).
   */
  private order: Int32Array | null = null;
  private patchOrder(): Int32Array {
    if (this.order) return this.order;
    const [h, w, c] = this.inputShape;
    const p = this.patchSize;
    const order = new Int32Array(h * w * c);
    let j = 0;
    for (let ti = 0; ti < h / p; ti++)
      for (let tj = 0; tj < w / p; tj++)
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let k = 0; k < c; k++) order[j++] = ((ti * p + a) * w + tj * p + b) * c + k;
    return (this.order = order);
  }
  /**
   * y[n, j] = x[n, order[j]] (inverse: y[n, order[j]] = x[n, j]) per example, differentiable by tfjs (its gradient
   * is the other direction). A loop over one index table: tfjs-cpu's rank-6 transpose took 3% of a ViT step.
   */
  private permute(x: tf.Tensor, inverse: boolean, shape: number[]): tf.Tensor {
    const order = this.patchOrder();
    const run = tf.customGrad(((v: tf.Tensor) => {
      const src = float32Data(v);
      const out = tensorOutputFloat32(src.length);
      const m = order.length;
      for (let base = 0; base < src.length; base += m) {
        if (inverse) for (let j = 0; j < m; j++) out[base + order[j]] = src[base + j];
        else for (let j = 0; j < m; j++) out[base + j] = src[base + order[j]];
      }
      return { value: tf.tensor(out, [v.shape[0], ...shape]), gradFunc: (dy: tf.Tensor) => this.permute(dy, !inverse, v.shape.slice(1)) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return run(x);
  }
  /** [N, H, W, C] -> [N, T, p p C]. */
  patches(x: tf.Tensor): tf.Tensor {
    return this.permute(x, false, [this.tokens, this.fanIn]);
  }
  /** The inverse (and adjoint) of `patches`: [N, T, p p C] -> [N, H, W, C]. */
  unpatch(t: tf.Tensor): tf.Tensor {
    return this.permute(t, true, this.inputShape);
  }
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.patchMap.linear(this.patches(x), kernel));
  }
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.unpatch(this.patchMap.inputAdjoint(dy, kernel)));
  }
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.patchMap.kernelGradient(this.patches(x), dy));
  }
  biasGradient(dy: tf.Tensor): tf.Tensor {
    return dy.sum(0);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.linear(x, this.weight).add(this.bias as tf.Variable));
  }
  backward(): tf.Tensor {
    throw new Error('PatchEmbedding.backward: a parametric layer propagates through its feedback pathway (Network.backward)');
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return affineJvp(this, input, dx, t);
  }
}

// ---------------------------------------------------------------- layer norm
export class LayerNorm implements Layer {
  readonly kind = 'layer-norm' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  gain!: tf.Variable;
  shift!: tf.Variable;
  readonly epsilon: number;
  constructor(readonly spec: Spec<'layer-norm'>) {
    this.epsilon = checkPositive('layer-norm.epsilon', spec.epsilon ?? 1e-5);
  }
  build(inputShape: number[]): void {
    if (!Array.isArray(inputShape) || inputShape.length < 1) throw new ArgumentError('layer-norm input shape', 'at least one axis', inputShape);
    this.inputShape = inputShape.slice();
    this.outputShape = inputShape.slice();
    const d = inputShape[inputShape.length - 1];
    this.gain = variableFrom(tf.ones([d]), true);
    this.shift = variableFrom(tf.zeros([d]), true);
  }
  /**
   * xh and 1/s of each row (over the last axis; 1/s spread to the input's
   * shape); in a training pass computed once per step (KeptStatistics) for
   * forward, backward and the gain/shift gradients. xc * xc, not square():
   * the same float32 products on the backend's native multiply.
   */
  private normalise(x: tf.Tensor): { xh: tf.Tensor; inv: tf.Tensor } {
    const d = x.shape[x.rank - 1];
    const compute = (): { xh: tf.Tensor; inv: tf.Tensor } => {
      const xc = x.sub(rowMean(x));
      const inv = spread(tf.rsqrt(xc.mul(xc).sum(-1, true).div(d).add(this.epsilon)), d);
      return { xh: xc.mul(inv), inv };
    };
    return this.training ? this.rows.of(x, compute) : compute();
  }
  private readonly rows = new KeptStatistics<{ xh: tf.Tensor; inv: tf.Tensor }>();
  /** Set by the network before each pass: a training pass keeps its input's statistics, an evaluation pass nothing. */
  private training = false;
  /** Layer norm computes the same in both modes; the mode only says whether statistics are kept (see normalise). */
  setTraining(training: boolean): void {
    this.training = training;
    if (!training) this.rows.clear();
  }
  /** (v - mean v - xh mean(v xh)) / s: the Jacobian of xh (symmetric) applied to v. */
  private project(v: tf.Tensor, xh: tf.Tensor, inv: tf.Tensor): tf.Tensor {
    return v.sub(rowMean(v)).sub(xh.mul(rowMean(v.mul(xh)))).mul(inv);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.normalise(x).xh.mul(this.gain).add(this.shift));
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { xh, inv } = this.normalise(input);
      return this.project(dy.mul(this.gain), xh, inv);
    });
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return tf.tidy(() => {
      const { xh, inv } = this.normalise(input);
      const parts: tf.Tensor[] = [];
      if (dx) parts.push(this.project(dx, xh, inv).mul(this.gain));
      if (t?.weight) parts.push(xh.mul(t.weight));
      if (t?.bias) parts.push(tf.broadcastTo(t.bias, input.shape));
      return parts.length ? tf.addN(parts) : tf.zerosLike(input);
    });
  }
  /** [gain, shift]; a parameter tangent gives the gain's direction as `weight`, the shift's as `bias`. */
  parameters(): tf.Variable[] {
    return [this.gain, this.shift];
  }
  parameterGradients(dy: tf.Tensor, input: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      const d = this.gain.size;
      const rows = dy.reshape([-1, d]);
      return [rows.mul(this.normalise(input).xh.reshape([-1, d])).sum(0), rows.sum(0)];
    });
  }
  stateVariables(): Record<string, tf.Variable> {
    return { gain: this.gain, shift: this.shift };
  }
  dispose(): void {
    this.rows.clear();
    tf.dispose([this.gain, this.shift]);
  }
}

// ---------------------------------------------------------------- GELU
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) by Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7), the formula of
 * tfjs's erf kernel, given e = exp(-x^2) (GELU's derivative shares it).
 */
function erfAS(x: number, e: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * e;
  return x < 0 ? -y : y;
}

/**
 * The loops of attention and GELU on float32 buffers: the native add-on's
 * (native/src/fused_transformer.cc) when it is loaded, else these, which are
 * the reference the native ones are tested against (they agree to float32
 * rounding). Shapes as Attention's: x [N, T, 3d] (q | k | v, head h's columns
 * h dh .. (h + 1) dh - 1 of each), weights A [N, H, T, T], out [N, T, d].
 */
export interface TransformerKernels {
  /** A = softmax(scale q_h k_h^T) per example and head, out[:, h] = A v_h. */
  attentionForward(n: number, t: number, heads: number, d: number, scale: number, x: Float32Array, A: Float32Array, out: Float32Array): void;
  /** dq, dk, dv of every head into their columns of dx, from dy [N, T, d] (A: the forward's weights, or null to recompute them). */
  attentionBackward(n: number, t: number, heads: number, d: number, scale: number, dy: Float32Array, x: Float32Array, A: Float32Array | null, dx: Float32Array): void;
  /** y = x Phi(x). */
  geluForward(n: number, x: Float32Array, y: Float32Array): void;
  /** out = dy (Phi(x) + x phi(x)). */
  geluBackward(n: number, x: Float32Array, dy: Float32Array, out: Float32Array): void;
}

/** Softmax of each row of S [t, t] in place, each row shifted by its maximum (the sums in double precision). */
function softmaxRowsInPlace(S: Float32Array, t: number): void {
  for (let i = 0; i < t; i++) {
    const o = i * t;
    let m = -Infinity;
    for (let j = 0; j < t; j++) if (S[o + j] > m) m = S[o + j];
    let z = 0;
    for (let j = 0; j < t; j++) {
      const e = Math.exp(S[o + j] - m);
      S[o + j] = e;
      z += e;
    }
    const inv = 1 / z;
    for (let j = 0; j < t; j++) S[o + j] *= inv;
  }
}

/** A = softmax(scale q k^T) of example e, head h into `A` [T, T]. */
function attentionWeightsInto(t: number, d: number, dh: number, scale: number, x: Float32Array, e: number, h: number, A: Float32Array): void {
  const base = e * t * 3 * d + h * dh;
  gemm(t, t, dh, x.subarray(base), x.subarray(base + d), A, { transB: true, lda: 3 * d, ldb: 3 * d, alpha: scale });
  softmaxRowsInPlace(A, t);
}

/** The JavaScript kernels (lib/core's gemm per example and head). */
export const transformerKernelsJs: TransformerKernels = {
  attentionForward(n, t, heads, d, scale, x, A, out) {
    const dh = d / heads;
    for (let e = 0; e < n; e++) {
      for (let h = 0; h < heads; h++) {
        const Ah = A.subarray((e * heads + h) * t * t, (e * heads + h + 1) * t * t);
        attentionWeightsInto(t, d, dh, scale, x, e, h, Ah);
        gemm(t, dh, t, Ah, x.subarray(e * t * 3 * d + 2 * d + h * dh), out.subarray(e * t * d + h * dh), { ldb: 3 * d, ldc: d });
      }
    }
  },
  attentionBackward(n, t, heads, d, scale, dy, x, weights, dx) {
    const dh = d / heads;
    let A: Float32Array = new Float32Array(t * t);
    const G = new Float32Array(t * t);
    for (let e = 0; e < n; e++) {
      const base = e * t * 3 * d;
      for (let h = 0; h < heads; h++) {
        if (weights) A = weights.subarray((e * heads + h) * t * t, (e * heads + h + 1) * t * t);
        else attentionWeightsInto(t, d, dh, scale, x, e, h, A);
        const dO = dy.subarray(e * t * d + h * dh);
        const [q, k, v] = [0, 1, 2].map((j) => x.subarray(base + j * d + h * dh));
        // G = dO v^T; dv = A^T dO
        gemm(t, t, dh, dO, v, G, { transB: true, lda: d, ldb: 3 * d });
        gemm(t, dh, t, A, dO, dx.subarray(base + 2 * d + h * dh), { transA: true, ldb: d, ldc: 3 * d });
        // dS = scale A * (G - rowsum(G * A)), in place in G
        for (let i = 0; i < t; i++) {
          const o = i * t;
          let s = 0;
          for (let j = 0; j < t; j++) s += G[o + j] * A[o + j];
          for (let j = 0; j < t; j++) G[o + j] = scale * A[o + j] * (G[o + j] - s);
        }
        // dq = dS k; dk = dS^T q
        gemm(t, dh, t, G, k, dx.subarray(base + h * dh), { ldb: 3 * d, ldc: 3 * d });
        gemm(t, dh, t, G, q, dx.subarray(base + d + h * dh), { transA: true, ldb: 3 * d, ldc: 3 * d });
      }
    }
  },
  geluForward(n, x, y) {
    for (let i = 0; i < n; i++) y[i] = 0.5 * x[i] * (1 + erfAS(x[i] * INV_SQRT2, Math.exp(-0.5 * x[i] * x[i])));
  },
  geluBackward(n, x, dy, out) {
    for (let i = 0; i < n; i++) {
      const a = x[i];
      const e = Math.exp(-0.5 * a * a);
      out[i] = dy[i] * (0.5 * (1 + erfAS(a * INV_SQRT2, e)) + a * INV_SQRT_2PI * e);
    }
  },
};

/** The kernels in use: the add-on's when it has them, else transformerKernelsJs. */
export function transformerKernels(): TransformerKernels {
  const a = nativeAddon() as (Partial<TransformerKernels> & object) | null;
  return a && a.attentionForward && a.attentionBackward && a.geluForward && a.geluBackward ? (a as TransformerKernels) : transformerKernelsJs;
}

/** Exact GELU as an elementwise layer; `derivative` and `secondDerivative` as an activation layer's (R-operator passes). */
export class Gelu implements Layer {
  readonly kind = 'gelu' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  constructor(readonly spec: Spec<'gelu'> = { kind: 'gelu' }) {}
  build(inputShape: number[]): void {
    this.inputShape = inputShape.slice();
    this.outputShape = inputShape.slice();
  }
  /** The forward pass in tfjs ops (differentiable by tfjs; the reference for `forward`). */
  forwardOps(a: tf.Tensor): tf.Tensor {
    return tf.tidy(() => a.mul(tf.erf(a.mul(INV_SQRT2)).add(1)).mul(0.5));
  }
  /** f(a) in one loop (transformerKernels; tfjs's erf, Abramowitz-Stegun 7.1.26, as `forwardOps`); its tfjs gradient is `backward`. */
  forward(a: tf.Tensor): tf.Tensor {
    const run = tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      save([x]);
      const v = float32Data(x);
      const y = tensorOutputFloat32(v.length);
      transformerKernels().geluForward(v.length, v, y);
      return { value: tf.tensor(y, x.shape), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => this.backward(dy, saved[0]) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return run(a);
  }
  /** f'(a) = Phi(a) + a phi(a). */
  derivative(a: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const Phi = tf.erf(a.mul(INV_SQRT2)).add(1).mul(0.5);
      const phi = tf.exp(a.square().mul(-0.5)).mul(INV_SQRT_2PI);
      return Phi.add(a.mul(phi));
    });
  }
  /** f''(a) = phi(a) (2 - a^2). */
  secondDerivative(a: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.exp(a.square().mul(-0.5)).mul(INV_SQRT_2PI).mul(tf.sub(2, a.square())));
  }
  /** dy f'(a) in one loop (transformerKernels). */
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    const g = float32Data(dy), a = float32Data(input);
    const out = tensorOutputFloat32(a.length);
    transformerKernels().geluBackward(a.length, a, g, out);
    return tf.tensor(out, input.shape);
  }
  /** dx f'(a) in tfjs ops (differentiable by tfjs: the R-operator passes differentiate jvp). */
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? tf.tidy(() => dx.mul(this.derivative(input))) : tf.zerosLike(output);
  }
}

// ---------------------------------------------------------------- attention
/** One head's q, k, v [N, T, dh] and its attention weights A = softmax(c q k^T) [N, T, T]. */
interface Head {
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  A: tf.Tensor3D;
}

/** The 0/1 matrix [width, size] with E[offset + c, c] = 1: x E takes columns offset .. offset + size - 1 of x. */
function columnSelector(width: number, offset: number, size: number): tf.Tensor2D {
  const e = new Float32Array(width * size);
  for (let c = 0; c < size; c++) e[(offset + c) * size + c] = 1;
  return tf.tensor2d(e, [width, size]);
}

/** A tensor's values as a Float32Array for reading now (borrowedFloat32; a copy only when it is not float32). */
function float32Data(z: tf.Tensor): Float32Array {
  return z.dtype === 'float32' ? borrowedFloat32(z) : Float32Array.from(z.dataSync() as ArrayLike<number>);
}

export class Attention implements Layer {
  readonly kind = 'attention' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  readonly heads: number;
  /** Width d of the output (the input is 3d) and of one head dh = d / H. */
  width = 0;
  headWidth = 0;
  /**
   * Column selectors: `parts[3 h + j]` [3d, dh] takes head h's q (j = 0), k
   * (1) or v (2) from the input; `outputs[h]` [d, dh] head h's columns of the
   * output. Products with 0/1 matrices are exact, and a column block taken
   * this way costs one small matMul where the tfjs backends' slices and
   * transposes of these shapes took 10-30 times as long (blas, 28x28 ViT).
   */
  private parts: tf.Tensor2D[] = [];
  private outputs: tf.Tensor2D[] = [];
  constructor(readonly spec: Spec<'attention'>) {
    this.heads = checkInteger('attention.heads', spec.heads, 1);
  }
  build(inputShape: number[]): void {
    const [t, w3] = tokenShape('attention', inputShape);
    if (w3 % (3 * this.heads) !== 0) {
      throw new ArgumentError('attention input shape', `[tokens, 3 d] with d a multiple of heads ${this.heads} (q | k | v of a qkv projection)`, inputShape);
    }
    this.inputShape = inputShape.slice();
    this.width = w3 / 3;
    this.headWidth = this.width / this.heads;
    this.outputShape = [t, this.width];
    this.dispose();
    const [d, dh] = [this.width, this.headWidth];
    for (let h = 0; h < this.heads; h++) {
      for (let j = 0; j < 3; j++) this.parts.push(columnSelector(3 * d, j * d + h * dh, dh));
      this.outputs.push(columnSelector(d, h * dh, dh));
    }
  }
  private get scale(): number {
    return 1 / Math.sqrt(this.headWidth);
  }
  /** Head h's part j (0 q, 1 k, 2 v) of x [N, T, 3d], as [N, T, dh]. */
  private part(x: tf.Tensor, h: number, j: number): tf.Tensor3D {
    const [n, t] = x.shape;
    return tf.matMul(x.reshape([n * t, 3 * this.width]) as tf.Tensor2D, this.parts[3 * h + j]).reshape([n, t, this.headWidth]) as tf.Tensor3D;
  }
  /** sum_h o_h placed in head h's output columns: [N, T, dh] per head -> [N, T, width] (E^T: `selectors` [width, dh] per head). */
  private place(o: tf.Tensor[], selectors: tf.Tensor2D[], width: number): tf.Tensor {
    const [n, t] = o[0].shape;
    return tf.addN(o.map((oh, i) => tf.matMul(oh.reshape([n * t, this.headWidth]) as tf.Tensor2D, selectors[i], false, true))).reshape([n, t, width]);
  }
  private head(x: tf.Tensor, h: number): Head {
    const [q, k, v] = [0, 1, 2].map((j) => this.part(x, h, j));
    const A = softmaxRows(tf.matMul(q, k, false, true).mul(this.scale)) as tf.Tensor3D;
    return { q, k, v, A };
  }
  /** The attention weights [N, H, T, T] of a batch (rows: queries). */
  weights(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.stack(Array.from({ length: this.heads }, (_, h) => this.head(x, h).A), 1));
  }
  /** The forward pass in tfjs ops (differentiable by tfjs; the reference for `forward`). */
  forwardOps(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const o = Array.from({ length: this.heads }, (_, h) => {
        const { v, A } = this.head(x, h);
        return tf.matMul(A, v);
      });
      return this.place(o, this.outputs, this.width);
    });
  }
  /**
   * The last forward pass's input tensor and its attention weights [N, H, T, T]:
   * backward on that same (immutable) tensor reuses them instead of
   * recomputing the scores and softmax.
   */
  private cached: { input: tf.Tensor; A: Float32Array } | null = null;
  forward(x: tf.Tensor): tf.Tensor {
    const [n, t] = x.shape;
    const run = tf.customGrad(((input: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      save([input]);
      const A = new Float32Array(n * this.heads * t * t);
      const out = tensorOutputFloat32(n * t * this.width);
      transformerKernels().attentionForward(n, t, this.heads, this.width, this.scale, float32Data(input), A, out);
      const value = tf.tensor3d(out, [n, t, this.width]);
      this.cached = { input: x, A };
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => this.backward(dy, saved[0]),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return run(x);
  }
  /** dS from dA through the softmax rows: A * (dA - rowsum(dA * A)). */
  private softmaxAdjoint(A: tf.Tensor, dA: tf.Tensor): tf.Tensor {
    return A.mul(dA.sub(spread(dA.mul(A).sum(-1, true), A.shape[A.rank - 1])));
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    const [n, t] = dy.shape;
    const weights = this.cached && this.cached.input === input && !input.isDisposed ? this.cached.A : null;
    const dx = tensorOutputFloat32(n * t * 3 * this.width);
    transformerKernels().attentionBackward(n, t, this.heads, this.width, this.scale, float32Data(dy), float32Data(input), weights, dx);
    return tf.tensor3d(dx, [n, t, 3 * this.width]);
  }
  /** The backward pass in tfjs ops (the reference for `backward`). */
  backwardOps(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [n, t] = dy.shape;
      const grads: tf.Tensor[] = [];
      const selectors: tf.Tensor2D[] = [];
      for (let h = 0; h < this.heads; h++) {
        const { q, k, v, A } = this.head(input, h);
        const dO = tf.matMul(dy.reshape([n * t, this.width]) as tf.Tensor2D, this.outputs[h]).reshape([n, t, this.headWidth]) as tf.Tensor3D;
        const dS = this.softmaxAdjoint(A, tf.matMul(dO, v, false, true)).mul(this.scale) as tf.Tensor3D;
        grads.push(tf.matMul(dS, k), tf.matMul(dS, q, true, false), tf.matMul(A, dO, true, false));
        selectors.push(...this.parts.slice(3 * h, 3 * h + 3));
      }
      return this.place(grads, selectors, 3 * this.width);
    });
  }
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    if (!dx) return tf.zerosLike(output);
    return tf.tidy(() => {
      const o = Array.from({ length: this.heads }, (_, h) => {
        const { q, k, v, A } = this.head(input, h);
        const [dq, dk, dv] = [0, 1, 2].map((j) => this.part(dx, h, j));
        const dS = tf.matMul(dq, k, false, true).add(tf.matMul(q, dk, false, true)).mul(this.scale);
        const dA = this.softmaxAdjoint(A, dS) as tf.Tensor3D;
        return tf.matMul(dA, v).add(tf.matMul(A, dv));
      });
      return this.place(o, this.outputs, this.width);
    });
  }
  dispose(): void {
    this.cached = null;
    tf.dispose([...this.parts, ...this.outputs]);
    this.parts = [];
    this.outputs = [];
  }
}

// ---------------------------------------------------------------- mean over tokens
export class TokenMean implements Layer {
  readonly kind = 'token-mean' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  constructor(readonly spec: Spec<'token-mean'> = { kind: 'token-mean' }) {}
  build(inputShape: number[]): void {
    const [, d] = tokenShape('token-mean', inputShape);
    this.inputShape = inputShape.slice();
    this.outputShape = [d];
  }
  /**
   * (1/T) sum_t x_t in a loop (tfjs-cpu's mean over the middle axis transposes first, and the backward's broadcast
   * tiles: together 7% of a ViT step); its tfjs gradient is `backward`.
   */
  forward(x: tf.Tensor): tf.Tensor {
    const run = tf.customGrad(((v: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      save([v]);
      const [n, t, d] = v.shape;
      const src = float32Data(v);
      const out = new Float64Array(n * d);
      for (let e = 0; e < n; e++) for (let i = 0; i < t; i++) for (let c = 0; c < d; c++) out[e * d + c] += src[(e * t + i) * d + c];
      const y = Float32Array.from(out, (s) => s / t);
      return { value: tf.tensor2d(y, [n, d]), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => this.backward(dy, saved[0]) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return run(x);
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    const [n, t, d] = input.shape;
    const g = float32Data(dy);
    const out = tensorOutputFloat32(n * t * d);
    for (let e = 0; e < n; e++) for (let i = 0; i < t; i++) for (let c = 0; c < d; c++) out[(e * t + i) * d + c] = g[e * d + c] / t;
    return tf.tensor3d(out, [n, t, d]);
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? this.forward(dx) : tf.zeros([input.shape[0], ...this.outputShape]);
  }
}
