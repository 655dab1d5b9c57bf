/**
 * Vectorized networks and global error-vector broadcasting (GEVB; Clark,
 * Abbott & Chung, NeurIPS 2021, arXiv 2106.04089). Private to lib/rules;
 * exported through index.ts. Settings: ../../shared/references/training-rules.md.
 *
 * Units carry K-vectors (K = classes): a batch has shape [N, K, ...unit
 * shape], component k of every unit in slot k. Every parametric layer uses
 * ONE kernel for all K components (its kernel gradient sums over N and K)
 * and a per-category bias [K, ..., out].
 *
 * - First layer, input without a K axis: the input is copied block-
 *   diagonally into K slots (component k sees the image in input block k,
 *   zeros elsewhere), so component k of the output is x W_k with W_k the
 *   k-th input block of the expanded kernel. It is computed without the
 *   zeros: the kernel is stored as the base kernel with K blocks on the
 *   OUTPUT axis (dense [D, K out], conv [kh, kw, cin, K out], locally
 *   connected [P, kh kw cin, K out]; block k = W_k), one product gives
 *   [N, ..., K out], reshaped to [N, K, ..., out]. Its expanded fan-in is
 *   K times the base fan-in.
 * - Gate (tReLU): `g_i = 1[t_i . h_i >= 0]` over the K components,
 *   output `h_i g_i`; t_i in {+-1}^K fixed, drawn per even channel, the odd
 *   channel gets -t (ON/OFF pairs); conv / locally connected maps share t
 *   over positions. The backward pass multiplies by g (g is piecewise
 *   constant in h, so this is the exact derivative almost everywhere).
 * - Output: one unit (vec-dense with 1 unit) whose K-vector is the logits z.
 *
 * Initialisation (the authors' code, training-rules.md):
 *   mixed        first layer N(0, 1/fanIn_expanded) sqrt(K) (std 1/sqrt(base fanIn));
 *                later layers N(0, 2/fanIn)
 *   nonnegative  first layer as mixed but ON/OFF rows: output units 2a, 2a+1 get w and -w;
 *                later layers W ~ N(0, 4/fanIn) of size [in/2, out/2] and, for input pair b
 *                and output pair a, the 2x2 block [[relu W, relu -W], [relu -W, relu W]]
 *                (input 2b+r, output 2a+s holds relu((-1)^(r+s) W[b, a])); the output layer
 *                takes the first block row only (relu((-1)^r W[b, 0])). The authors place the
 *                blocks as four quadrants; pairs of adjacent units are the same matrix up to a
 *                permutation of units, chosen here so that the ON/OFF pairs of the first layer,
 *                of the gates and of every later layer are the same units. Weights past the
 *                first layer are clamped to >= 0 after every step (biases are free).
 *
 * GEVB (rule 'gevb', a FeedbackPathway): every layer's input receives the
 * output error e = softmax(z) - onehot(y) (batch mean) broadcast over its
 * units, `dx[n, k, ...] = e[n, k]`; the gate and pooling below turn it into
 * the delta g_i e_k (times the pooling's positive factor), so
 *   dW[j, i] = sum_n g_ni sum_k e_nk x_nkj,   db[k, i] = sum_n g_ni e_nk
 * as in the paper. In a nonnegative network BP's delta is e_k c_i with
 * c_i >= 0 shared by the K components, so each weight's GEVB update has the
 * sign of the gradient (exactly, per example, for dense and locally
 * connected layers; conv kernels sum positions with different c and g).
 * BP and any registered rule whose pathway uses only the layer's linear
 * maps (bp, fa, dfa) run on the same networks through `ruleDefinition`.
 *
 * Exports: VectorizedNetwork, VecParamLayer, Gate, gevbRules,
 * fcVec, spatialVec (Conv-Vec, LC-Vec), compareWithBackprop,
 * trainClassifier, evaluateClassifier.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, borrowedFloat32, checkFinite, checkInteger, checkOneOf, Rng, tensorOutputFloat32 } from '../core';
import { AvgPool, Conv2d, Dense, LayerSpec, ParamLayer, ParamTangent } from './layers';
import { LocallyConnected2d } from './locally-connected';
import { NoOptions, Pathway, PropagateContext, RuleDefinition, type FeedbackPathway } from './pathway';
import type { Optimizer } from './optim';
import { ruleDefinition, RuleName } from './registry';

export type VecLayerSpec =
  | { kind: 'vec-dense'; units: number }
  | { kind: 'vec-conv2d'; filters: number; kernelSize: number; padding?: number }
  | { kind: 'vec-locally-connected'; filters: number; kernelSize: number; padding?: number }
  | { kind: 'gate' }
  | { kind: 'vec-avgpool'; size: number }
  | { kind: 'vec-flatten' };

export type SignConstraint = 'nonnegative' | 'mixed';
export type VectorizedRule = 'gevb' | RuleName;

/** A layer of a vectorized network: the Layer contract (lib/rules/layers.ts) on [N, K, ...] batches. */
export interface VecLayer {
  readonly kind: VecLayerSpec['kind'];
  inputShape: number[];
  outputShape: number[];
  build(inputShape: number[], rng: Rng): void;
  forward(x: tf.Tensor): tf.Tensor;
  backward(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor): tf.Tensor;
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor;
}

/** The kernel maps a vectorized layer borrows from a conventional one (Dense, Conv2d, LocallyConnected2d). */
interface BaseKernel {
  weight: tf.Variable;
  fanIn: number;
  inputShape: number[];
  outputShape: number[];
  build(inputShape: number[], rng: Rng): void;
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * [A, B, C, D] -> [A, C, B, D] (given as the 4-d view of x), by contiguous
 * block copies, with its own gradient (the inverse swap): tfjs' cpu
 * transpose indexes element by element. Short blocks (a conv layer's few
 * channels) are copied in a plain loop: a subarray per block cost more than
 * the copy.
 */
function swapMiddle(x: tf.Tensor, dims: [number, number, number, number]): tf.Tensor {
  const swap = (v: tf.Tensor, [a, b, c, d]: number[]): tf.Tensor => {
    const src = borrowedFloat32(v);
    const out = tensorOutputFloat32(src.length); // a permutation: every element written
    for (let i = 0; i < a; i++) {
      for (let j = 0; j < b; j++) {
        for (let q = 0; q < c; q++) {
          const from = ((i * b + j) * c + q) * d;
          const to = ((i * c + q) * b + j) * d;
          if (d >= 64) out.set(src.subarray(from, from + d), to);
          else for (let t = 0; t < d; t++) out[to + t] = src[from + t];
        }
      }
    }
    return tf.tensor(out, [a, c, b, d]);
  };
  const f = tf.customGrad(((v: tf.Tensor) => ({
    value: swap(v, dims),
    gradFunc: (dy: tf.Tensor) => swap(dy, [dims[0], dims[2], dims[1], dims[3]]).reshape(v.shape),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** [N, K, ...rest] -> [N K, ...rest]: the K components become examples of the shared kernel. */
function fold(x: tf.Tensor): tf.Tensor {
  return x.reshape([-1, ...x.shape.slice(2)]);
}
function unfold(y: tf.Tensor, k: number): tf.Tensor {
  return y.reshape([-1, k, ...y.shape.slice(1)]);
}

/**
 * Initial kernel values, viewed as [L, cin, cout] (dense L = 1, conv L = kh kw,
 * locally connected L = P kh kw), as described in the header.
 */
function initialKernel(
  l: number, cin: number, cout: number, o: { first: boolean; output: boolean; sign: SignConstraint; baseFanIn: number; blocks: number }, rng: Rng,
): Float32Array {
  const w = new Float32Array(l * cin * cout);
  if (o.first) {
    // cout = blocks * units; ON/OFF rows (units 2a, 2a+1 within each block) for nonnegative nets.
    const std = 1 / Math.sqrt(o.baseFanIn);
    const units = cout / o.blocks;
    const z = rng.normalArray(w.length, 0, std);
    for (let q = 0; q < w.length; q++) {
      const u = (q % cout) % units;
      w[q] = o.sign === 'nonnegative' && u % 2 === 1 ? -w[q - 1] : z[q];
    }
    return w;
  }
  const fanIn = l * cin;
  if (o.sign === 'mixed') return rng.normalArray(w.length, 0, Math.sqrt(2 / fanIn)) as Float32Array;
  const halfOut = o.output ? cout : cout / 2;
  const half = rng.normalArray(l * (cin / 2) * halfOut, 0, Math.sqrt(4 / fanIn));
  for (let p = 0; p < l; p++) {
    for (let b = 0; b < cin / 2; b++) {
      for (let a = 0; a < halfOut; a++) {
        const v = half[(p * (cin / 2) + b) * halfOut + a];
        for (let r = 0; r < 2; r++) {
          const outs = o.output ? [a] : [2 * a, 2 * a + 1];
          outs.forEach((i, s) => {
            w[(p * cin + 2 * b + r) * cout + i] = Math.max(0, (r + s) % 2 === 0 ? v : -v);
          });
        }
      }
    }
  }
  return w;
}

/**
 * A dense, conv or locally connected layer on K-vector units. `expand`: the
 * first layer (input without a K axis, block-diagonal expansion). Its kind
 * for the ParamLayer contract is 'dense' or 'conv2d' (a locally connected
 * layer is a conv with unshared kernels); `form` tells the three apart.
 */
export class VecParamLayer implements ParamLayer {
  readonly kind: 'dense' | 'conv2d';
  readonly form: 'dense' | 'conv2d' | 'locally-connected';
  inputShape: number[] = [];
  outputShape: number[] = [];
  weight!: tf.Variable;
  bias!: tf.Variable;
  fanIn = 0;
  fanOut = 0;
  /** The conventional spec of the same kernel shape (the ParamLayer contract's `spec`); `vecSpec` is the vectorized one. */
  readonly spec: LayerSpec;
  private base!: BaseKernel;
  private units: number;
  constructor(
    readonly vecSpec: Extract<VecLayerSpec, { kind: 'vec-dense' | 'vec-conv2d' | 'vec-locally-connected' }>,
    readonly classes: number,
    readonly expand: boolean,
    readonly sign: SignConstraint,
    readonly isOutput: boolean,
  ) {
    const spec = vecSpec;
    this.spec = spec.kind === 'vec-dense' ? { kind: 'dense', units: spec.units } : { kind: 'conv2d', filters: spec.filters, kernelSize: spec.kernelSize, padding: spec.padding ?? 0 };
    this.form = spec.kind === 'vec-dense' ? 'dense' : spec.kind === 'vec-conv2d' ? 'conv2d' : 'locally-connected';
    this.kind = this.form === 'dense' ? 'dense' : 'conv2d';
    this.units = checkInteger(`${spec.kind}.${this.form === 'dense' ? 'units' : 'filters'}`, spec.kind === 'vec-dense' ? spec.units : spec.filters, 1);
    if (sign === 'nonnegative' && !isOutput && this.units % 2 !== 0) {
      throw new ArgumentError(`${spec.kind} width`, 'an even number (ON/OFF pairs)', this.units);
    }
  }
  /** Whether the kernel is kept nonnegative (every layer after the first in a nonnegative network). */
  get clamped(): boolean {
    return this.sign === 'nonnegative' && !this.expand;
  }
  build(inputShape: number[], rng: Rng): void {
    const k = this.classes;
    if (!this.expand && inputShape[0] !== k) throw new ArgumentError(`${this.vecSpec.kind} input shape`, `[${k}, ...] (K-vector units)`, `[${inputShape.join(', ')}]`);
    const baseIn = this.expand ? inputShape : inputShape.slice(1);
    const out = this.expand ? k * this.units : this.units;
    const s = this.vecSpec;
    this.base =
      s.kind === 'vec-dense'
        ? new Dense({ kind: 'dense', units: out, bias: false })
        : s.kind === 'vec-conv2d'
          ? new Conv2d({ kind: 'conv2d', filters: out, kernelSize: s.kernelSize, padding: s.padding ?? 0, bias: false })
          : new LocallyConnected2d({ kind: 'locally-connected', filters: out, kernelSize: s.kernelSize, padding: s.padding ?? 0, bias: false });
    this.base.build(baseIn, rng.child(0));
    const cin = baseIn[baseIn.length - 1];
    if (this.sign === 'nonnegative' && !this.expand && cin % 2 !== 0) {
      throw new ArgumentError(`${s.kind} input channels`, 'an even number (ON/OFF pairs)', cin);
    }
    const shape = this.base.weight.shape;
    const values = initialKernel(prod(shape) / (cin * out), cin, out, { first: this.expand, output: this.isOutput, sign: this.sign, baseFanIn: this.base.fanIn, blocks: k }, rng.child(1));
    this.base.weight.assign(tf.tensor(values, shape));
    this.weight = this.base.weight;
    const spatial = this.base.outputShape.slice(0, -1);
    this.inputShape = inputShape.slice();
    this.outputShape = [k, ...spatial, this.units];
    this.bias = tf.variable(tf.zeros([k, ...spatial.map(() => 1), this.units]));
    this.fanIn = this.expand ? k * this.base.fanIn : this.base.fanIn;
    this.fanOut = (this.base.fanIn / cin) * this.units;
  }
  /** [N, ..., K out] (base output of the expanded layer) -> [N, K, ..., out], and back. */
  private splitBlocks(y: tf.Tensor): tf.Tensor {
    const sp = y.shape.slice(1, -1);
    return swapMiddle(y, [y.shape[0], prod(sp), this.classes, this.units]).reshape([y.shape[0], this.classes, ...sp, this.units]);
  }
  private joinBlocks(dy: tf.Tensor): tf.Tensor {
    const sp = dy.shape.slice(2, -1);
    return swapMiddle(dy, [dy.shape[0], this.classes, prod(sp), this.units]).reshape([dy.shape[0], ...sp, this.classes * this.units]);
  }
  linear(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => (this.expand ? this.splitBlocks(this.base.linear(x, kernel)) : unfold(this.base.linear(fold(x), kernel), this.classes)));
  }
  /** dy K^T; for the first layer the adjoint of (expand, then the layer): the K components' adjoints summed onto the image. */
  inputAdjoint(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => (this.expand ? this.base.inputAdjoint(this.joinBlocks(dy), kernel) : unfold(this.base.inputAdjoint(fold(dy), kernel), this.classes)));
  }
  kernelGradient(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return tf.tidy(() => (this.expand ? this.base.kernelGradient(x, this.joinBlocks(dy)) : this.base.kernelGradient(fold(x), fold(dy))));
  }
  /** Sum over examples and positions, as products (tfjs' cpu reductions over leading axes transpose first). */
  biasGradient(dy: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const n = dy.shape[0];
      const perExample = tf.matMul(tf.ones([1, n]), dy.reshape([n, -1]));
      const spatial = prod(this.outputShape.slice(1, -1));
      const summed = spatial > 1 ? perExample.reshape([this.classes, spatial, this.units]).sum(1) : perExample;
      return summed.reshape(this.bias.shape);
    });
  }
  /** The bias repeated over positions, [K, ..., out]: adding it to [N, K, ..., out] is a suffix broadcast (tfjs' fast path). */
  private tiledBias(bias: tf.Tensor): tf.Tensor {
    const sp = this.outputShape.slice(1, -1);
    return sp.length ? tf.tile(bias, [1, ...sp, 1]) : bias;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.linear(x, this.weight).add(this.tiledBias(this.bias)));
  }
  backward(): tf.Tensor {
    throw new Error('VecParamLayer.backward: a parametric layer propagates through its feedback pathway');
  }
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null, t?: ParamTangent): tf.Tensor {
    return tf.tidy(() => {
      let out = dx ? this.linear(dx, this.weight) : tf.zeros([input.shape[0], ...this.outputShape]);
      if (t?.weight) out = out.add(this.linear(input, t.weight));
      if (t?.bias) out = out.add(this.tiledBias(t.bias));
      return out;
    });
  }
  /** W <- max(W, 0) for a clamped layer. */
  clamp(): void {
    if (this.clamped) tf.tidy(() => this.weight.assign(tf.relu(this.weight)));
  }
  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
    if (this.base instanceof LocallyConnected2d) this.base.dispose();
  }
}

/** tReLU: h g with g = 1[t . h >= 0] over the K components; t fixed, in +-t pairs of adjacent channels, shared over positions. */
export class Gate implements VecLayer {
  readonly kind = 'gate' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  /** t as [K, 1..., C]. */
  t!: tf.Tensor;
  private tValues!: Float32Array;
  build(inputShape: number[], rng: Rng): void {
    const k = inputShape[0];
    const c = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || c % 2 !== 0) throw new ArgumentError('gate input shape', '[K, ..., C] with C even (+-t pairs)', `[${inputShape.join(', ')}]`);
    const t = new Float32Array(k * c);
    for (let a = 0; a < c / 2; a++) {
      for (let q = 0; q < k; q++) {
        const s = rng.uniform() < 0.5 ? -1 : 1;
        t[q * c + 2 * a] = s;
        t[q * c + 2 * a + 1] = -s;
      }
    }
    this.tValues = t;
    this.t = tf.tensor(t, [k, ...inputShape.slice(1, -1).map(() => 1), c]);
    this.inputShape = inputShape.slice();
    this.outputShape = inputShape.slice();
  }
  /**
   * The gate g of the pre-gate h [N, K, ..., C], repeated over the K
   * components ([N, K, ..., C], a constant: g is piecewise constant in h).
   * Computed in plain loops: tfjs' cpu kernels broadcast over middle axes
   * element by element.
   */
  mask(h: tf.Tensor): tf.Tensor {
    return tf.tensor(Float32Array.from(this.gateValues(h)), h.shape);
  }
  /** The last forward pass's input (by tensor id: tfjs never reuses one) and its gate, one per unit and position [N, ...]: backward on a trace reuses it. */
  private cached: { id: number; g: Uint8Array } | null = null;
  /** g per unit and position, [N, m] (m = positions x channels), from t . h summed over the K components. */
  private unitGates(h: tf.Tensor): Uint8Array {
    if (this.cached && this.cached.id === h.id) return this.cached.g;
    const k = this.inputShape[0];
    const c = this.inputShape[this.inputShape.length - 1];
    const m = prod(this.inputShape.slice(1));
    const n = h.shape[0];
    const hv = borrowedFloat32(h);
    const tv = this.tValues;
    const g = new Uint8Array(n * m);
    const s = new Float64Array(m);
    for (let e = 0; e < n; e++) {
      s.fill(0);
      for (let q = 0; q < k; q++) {
        const base = (e * k + q) * m;
        const tq = q * c;
        // Positions outer, channels inner: no index arithmetic per element.
        for (let p = 0; p < m; p += c) for (let j = 0; j < c; j++) s[p + j] += tv[tq + j] * hv[base + p + j];
      }
      for (let i = 0; i < m; i++) g[e * m + i] = s[i] >= 0 ? 1 : 0;
    }
    this.cached = { id: h.id, g };
    return g;
  }
  /** The gate repeated over the K components, [N K m] values. */
  private gateValues(h: tf.Tensor): Uint8Array {
    const k = this.inputShape[0];
    const m = prod(this.inputShape.slice(1));
    const g = this.unitGates(h);
    const out = new Uint8Array(h.size);
    for (let e = 0; e < h.shape[0]; e++) for (let q = 0; q < k; q++) out.set(g.subarray(e * m, (e + 1) * m), (e * k + q) * m);
    return out;
  }
  /** v * g elementwise with g repeated over the K components (v: h forward, dy backward). */
  private gated(v: tf.Tensor, h: tf.Tensor): tf.Tensor {
    const k = this.inputShape[0];
    const m = prod(this.inputShape.slice(1));
    const g = this.unitGates(h);
    const vv = borrowedFloat32(v);
    const out = tensorOutputFloat32(vv.length); // arbitrary contents: the closed gates' zeros are written too
    for (let e = 0; e < h.shape[0]; e++) {
      for (let q = 0; q < k; q++) {
        const base = (e * k + q) * m;
        const gb = e * m;
        for (let i = 0; i < m; i++) out[base + i] = g[gb + i] ? vv[base + i] : 0;
      }
    }
    return tf.tensor(out, v.shape);
  }
  /** h g as a tfjs product, so that autodiff sees the forward pass (g is a constant). */
  forward(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => h.mul(this.mask(h)));
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return this.gated(dy, input);
  }
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? this.backward(dx, input) : tf.zerosLike(output);
  }
  dispose(): void {
    this.t?.dispose();
  }
}

/** Average pooling of every component's map (the K components folded into the batch). */
class VecAvgPool implements VecLayer {
  readonly kind = 'vec-avgpool' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  private pool: AvgPool;
  constructor(size: number) {
    this.pool = new AvgPool({ kind: 'avgpool', size });
  }
  build(inputShape: number[]): void {
    this.pool.build(inputShape.slice(1));
    this.inputShape = inputShape.slice();
    this.outputShape = [inputShape[0], ...this.pool.outputShape];
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => unfold(this.pool.forward(fold(x)), this.inputShape[0]));
  }
  /** dx = dy / s^2 spread over each s x s window (windows do not overlap: stride = size), in plain loops (tfjs' cpu AvgPoolGrad indexes element by element). */
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    const [h, w, c] = this.inputShape.slice(1);
    const [oh, ow] = this.outputShape.slice(1);
    const s = this.pool.size;
    const rows = input.size / (h * w * c);
    const d = borrowedFloat32(dy);
    const out = tensorOutputFloat32(input.size);
    if (oh * s !== h || ow * s !== w) out.fill(0); // rows and columns no window covers get no gradient
    const scale = 1 / (s * s);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const from = ((r * oh + i) * ow + j) * c;
          for (let a = 0; a < s; a++) {
            for (let b = 0; b < s; b++) {
              const to = ((r * h + i * s + a) * w + j * s + b) * c;
              for (let q = 0; q < c; q++) out[to + q] = d[from + q] * scale;
            }
          }
        }
      }
    }
    return tf.tensor(out, input.shape);
  }
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? this.forward(dx) : tf.zerosLike(output);
  }
}

/** [N, K, H, W, C] -> [N, K, H W C]. */
class VecFlatten implements VecLayer {
  readonly kind = 'vec-flatten' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  build(inputShape: number[]): void {
    this.inputShape = inputShape.slice();
    this.outputShape = [inputShape[0], prod(inputShape.slice(1))];
  }
  forward(x: tf.Tensor): tf.Tensor {
    return x.reshape([x.shape[0], ...this.outputShape]);
  }
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return dy.reshape(input.shape);
  }
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    return dx ? this.forward(dx) : tf.zerosLike(output);
  }
}

// ---------------------------------------------------------------- the rule

/** GEVB: the output error e [N, K] broadcast to every unit of the layer's input [N, K, ...]. */
class GevbPathway extends Pathway {
  readonly rule = 'gevb';
  propagate(ctx: PropagateContext): tf.Tensor {
    const shape = ctx.input.shape;
    const [n, k] = ctx.outputError.shape;
    if (shape.length < 3 || shape[1] !== k || shape[0] !== n) {
      throw new ArgumentError('gevb layer input', `a vectorized batch [${n}, ${k}, ...] (K-vector units; see VectorizedNetwork)`, `[${shape.join(', ')}]`);
    }
    // e[n, k] repeated over the m units (a plain loop: tfjs' cpu broadcast is element by element).
    const m = prod(shape.slice(2));
    const e = borrowedFloat32(ctx.outputError);
    const out = tensorOutputFloat32(n * k * m);
    for (let i = 0; i < n * k; i++) out.fill(e[i], i * m, (i + 1) * m);
    return tf.tensor(out, shape);
  }
  feedbackKernel(): null {
    return null;
  }
}

export const gevbRules: Record<'gevb', RuleDefinition<NoOptions>> = {
  gevb: {
    family: 'global-error-broadcasting',
    description: "global error-vector broadcasting (Clark, Abbott & Chung 2021): the output error e sent to every K-vector unit of a vectorized network's layers",
    defaults: {},
    create: (layer) => new GevbPathway(layer),
  },
};

function vectorizedRuleDefinition(rule: VectorizedRule): RuleDefinition<object> {
  return rule === 'gevb' ? (gevbRules.gevb as RuleDefinition<object>) : ruleDefinition(rule);
}

// ---------------------------------------------------------------- the network

export interface VectorizedNetworkOptions {
  /** Per-example input shape without the K axis: [D] (fully connected) or [H, W, C]. */
  inputShape: number[];
  /** K, the number of classes and of components per unit (default 10). */
  classes?: number;
  /** Layers; the first is parametric (block-diagonal expansion), the last a vec-dense of 1 unit (the logits). */
  layers: VecLayerSpec[];
  /** 'nonnegative' (ON/OFF init, clamped; default) or 'mixed'. */
  sign?: SignConstraint;
  /** 'gevb' (default), or a registered rule whose pathway uses the layer's linear maps (bp, fa, dfa). */
  rule?: VectorizedRule;
  seed?: number;
}

/** What a forward pass recorded: inputs[i] is the input of layer i; output holds the logits [N, K]. */
export interface VecTrace {
  inputs: tf.Tensor[];
  output: tf.Tensor;
}

export interface VecGradients {
  weights: tf.Tensor[];
  biases: tf.Tensor[];
}

export class VectorizedNetwork {
  readonly layers: (VecLayer | VecParamLayer)[];
  readonly paramLayers: VecParamLayer[];
  readonly paramIndex: number[];
  readonly classes: number;
  readonly inputShape: number[];
  readonly sign: SignConstraint;
  readonly seed: number;
  rule: VectorizedRule;
  pathways: FeedbackPathway[] = [];

  constructor(readonly options: VectorizedNetworkOptions) {
    if (!options || typeof options !== 'object') throw new ArgumentError('options', 'an object {inputShape, layers}', options);
    if (!Array.isArray(options.inputShape) || options.inputShape.length === 0) throw new ArgumentError('inputShape', 'a non-empty array of positive integers', options.inputShape);
    options.inputShape.forEach((d, i) => checkInteger(`inputShape[${i}]`, d, 1));
    if (!Array.isArray(options.layers) || options.layers.length < 1) throw new ArgumentError('layers', 'a non-empty array of vectorized layer specs', options.layers);
    this.classes = checkInteger('classes', options.classes ?? 10, 2);
    this.sign = checkOneOf('sign', options.sign ?? 'nonnegative', ['nonnegative', 'mixed'] as const);
    this.seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
    this.inputShape = options.inputShape.slice();
    const specs = options.layers;
    const last = specs[specs.length - 1];
    if (last?.kind !== 'vec-dense' || last.units !== 1) throw new ArgumentError('layers', 'a last layer { kind: "vec-dense", units: 1 } (its K-vector is the logits)', last);
    if (!['vec-dense', 'vec-conv2d', 'vec-locally-connected'].includes(specs[0].kind)) throw new ArgumentError('layers[0]', 'a parametric layer (it expands the input)', specs[0].kind);
    const rng = new Rng(this.seed);
    let shape = this.inputShape;
    this.layers = specs.map((spec, i) => {
      const layer = this.makeLayer(spec, i, i === specs.length - 1);
      try {
        layer.build(shape, rng.child(i));
      } catch (e) {
        throw new ArgumentError(`layers[${i}] (${spec.kind})`, 'an input shape it accepts', (e as Error).message);
      }
      shape = layer.outputShape;
      return layer;
    });
    this.paramIndex = this.layers.map((l, i) => (l instanceof VecParamLayer ? i : -1)).filter((i) => i >= 0);
    this.paramLayers = this.paramIndex.map((i) => this.layers[i] as VecParamLayer);
    this.rule = options.rule ?? 'gevb';
    this.setRule(this.rule);
  }

  private makeLayer(spec: VecLayerSpec, i: number, isOutput: boolean): VecLayer | VecParamLayer {
    if (spec === null || typeof spec !== 'object') throw new ArgumentError(`layers[${i}]`, 'a vectorized layer spec', spec);
    switch (spec.kind) {
      case 'vec-dense':
      case 'vec-conv2d':
      case 'vec-locally-connected':
        return new VecParamLayer(spec, this.classes, i === 0, this.sign, isOutput);
      case 'gate':
        return new Gate();
      case 'vec-avgpool':
        return new VecAvgPool(checkInteger(`layers[${i}].size`, spec.size, 1));
      case 'vec-flatten':
        return new VecFlatten();
      default:
        throw new ArgumentError(`layers[${i}].kind`, '"vec-dense", "vec-conv2d", "vec-locally-connected", "gate", "vec-avgpool" or "vec-flatten"', (spec as { kind: unknown }).kind);
    }
  }

  /** Replaces every layer's pathway: 'gevb' or a registered rule (fresh draws from the seed). */
  setRule(rule: VectorizedRule): void {
    const definition = vectorizedRuleDefinition(rule);
    const rng = new Rng(this.seed).child(1000);
    const fresh = this.paramLayers.map((layer, k) =>
      definition.create(layer, { outputSize: this.classes, rng: rng.child(k), options: { ...definition.defaults }, paramIndex: k, paramCount: this.paramLayers.length }),
    );
    this.pathways.forEach((p) => p.dispose());
    this.pathways = fresh;
    this.rule = rule;
  }

  private checkInput(x: tf.Tensor): void {
    const ok = x.shape.length === this.inputShape.length + 1 && this.inputShape.every((d, i) => x.shape[i + 1] === d);
    if (!ok) throw new ArgumentError('x', `shape [N, ${this.inputShape.join(', ')}]`, `[${x.shape.join(', ')}]`);
  }

  /** The logits [N, K]. */
  predict(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    return tf.tidy(() => {
      const z = this.layers.reduce((h: tf.Tensor, layer) => layer.forward(h), x);
      return z.reshape([x.shape[0], this.classes]);
    });
  }

  forward(x: tf.Tensor): VecTrace {
    this.checkInput(x);
    const inputs: tf.Tensor[] = [];
    let h = x;
    for (const layer of this.layers) {
      inputs.push(h);
      h = layer.forward(h);
    }
    const output = h.reshape([x.shape[0], this.classes]);
    h.dispose();
    return { inputs, output };
  }

  disposeTrace(trace: VecTrace): void {
    for (let i = 1; i < trace.inputs.length; i++) trace.inputs[i].dispose();
    trace.output.dispose();
  }

  oneHot(labels: ArrayLike<number>): tf.Tensor {
    for (let i = 0; i < labels.length; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= this.classes) throw new ArgumentError('labels', `integers in [0, ${this.classes - 1}]`, `${labels[i]} at index ${i}`);
    }
    return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), this.classes).toFloat());
  }

  /** Batch-mean softmax cross-entropy and e = (softmax(z) - y) / N. */
  lossAndError(logits: tf.Tensor, targets: tf.Tensor): { loss: tf.Scalar; error: tf.Tensor } {
    return tf.tidy(() => ({
      loss: tf.logSumExp(logits, 1).sub(logits.mul(targets).sum(1)).mean() as tf.Scalar,
      error: tf.softmax(logits as tf.Tensor2D).sub(targets).div(logits.shape[0]),
    }));
  }

  /** Weight and bias updates: 'rule' through the pathways, 'bp' the exact gradient. New tensors the caller disposes. */
  backward(trace: VecTrace, error: tf.Tensor, mode: 'rule' | 'bp' = 'rule'): VecGradients {
    const nP = this.paramLayers.length;
    const weights: tf.Tensor[] = new Array(nP);
    const biases: tf.Tensor[] = new Array(nP);
    tf.tidy(() => {
      let signal = error.reshape([error.shape[0], this.classes, 1]);
      let k = nP - 1;
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const layer = this.layers[i];
        const input = trace.inputs[i];
        if (layer instanceof VecParamLayer) {
          weights[k] = tf.keep(layer.kernelGradient(input, signal));
          biases[k] = tf.keep(layer.biasGradient(signal));
          if (i === 0) break;
          signal = mode === 'bp' ? layer.inputAdjoint(signal, layer.weight) : this.pathways[k].propagate({ dy: signal, input, outputError: error, paramIndex: k });
          k--;
        } else {
          signal = layer.backward(signal, input, i + 1 < this.layers.length ? trace.inputs[i + 1] : trace.output);
        }
      }
    });
    return { weights, biases };
  }

  disposeGradients(g: VecGradients): void {
    tf.dispose([...g.weights, ...g.biases]);
  }

  /** One step: forward, the rule's updates, the optimiser, then the clamp of the nonnegative layers. */
  trainStep(x: tf.Tensor, targets: tf.Tensor, optimizer: Optimizer): { loss: number; correct: number } {
    const trace = this.forward(x);
    const { loss, error } = this.lossAndError(trace.output, targets);
    const correctT = tf.tidy(() => tf.equal(trace.output.argMax(1), targets.argMax(1)).sum());
    const g = this.backward(trace, error, 'rule');
    const params: tf.Variable[] = [];
    const grads: tf.Tensor[] = [];
    this.paramLayers.forEach((l, k) => {
      params.push(l.weight, l.bias);
      grads.push(g.weights[k], g.biases[k]);
    });
    optimizer.step(params, grads);
    this.paramLayers.forEach((l) => l.clamp());
    const out = { loss: loss.dataSync()[0], correct: correctT.dataSync()[0] };
    tf.dispose([loss, error, correctT]);
    this.disposeGradients(g);
    this.disposeTrace(trace);
    return out;
  }

  get parameterCount(): number {
    return this.paramLayers.reduce((s, l) => s + l.weight.size + l.bias.size, 0);
  }

  dispose(): void {
    this.pathways.forEach((p) => p.dispose());
    this.layers.forEach((l) => (l as { dispose?: () => void }).dispose?.());
  }
}

// ---------------------------------------------------------------- per-example comparison with BP

export interface BackpropComparison {
  /** [example][layer]: fraction of the layer's weights whose rule update has BP's sign (0 counts as a sign). */
  signMatch: number[][];
  /** [example][layer]: fraction whose rule update has the OPPOSITE sign (both beyond rounding: |v| > 1e-6 max |v| of the layer). */
  signOpposite: number[][];
  /** [example][layer]: angle (degrees) between the rule's and BP's weight update. */
  angle: number[][];
  /** [example]: angle (degrees) between all weight updates, every layer concatenated. */
  angleAll: number[];
}

/** Per example (batches of one), each layer's weight update by the network's rule against BP's. */
export function compareWithBackprop(net: VectorizedNetwork, x: tf.Tensor, labels: ArrayLike<number>): BackpropComparison {
  if (x.shape[0] !== labels.length) throw new ArgumentError('labels', `${x.shape[0]} labels (one per example)`, labels.length);
  checkFinite('x', x.dataSync(), 'float32');
  const out: BackpropComparison = { signMatch: [], signOpposite: [], angle: [], angleAll: [] };
  for (let n = 0; n < labels.length; n++) {
    const xn = tf.tidy(() => x.slice(n, 1));
    const t = net.oneHot([labels[n]]);
    const trace = net.forward(xn);
    const { loss, error } = net.lossAndError(trace.output, t);
    const gr = net.backward(trace, error, 'rule');
    const gb = net.backward(trace, error, 'bp');
    const match: number[] = [];
    const opposite: number[] = [];
    const angle: number[] = [];
    let dot = 0;
    let na = 0;
    let nb = 0;
    gr.weights.forEach((w, k) => {
      const a = w.dataSync();
      const b = gb.weights[k].dataSync();
      let maxA = 0;
      let maxB = 0;
      for (let i = 0; i < a.length; i++) {
        maxA = Math.max(maxA, Math.abs(a[i]));
        maxB = Math.max(maxB, Math.abs(b[i]));
      }
      let same = 0;
      let opp = 0;
      let d = 0;
      let sa = 0;
      let sb = 0;
      for (let i = 0; i < a.length; i++) {
        if (Math.sign(a[i]) === Math.sign(b[i])) same++;
        else if (a[i] * b[i] < 0 && Math.abs(a[i]) > 1e-6 * maxA && Math.abs(b[i]) > 1e-6 * maxB) opp++;
        d += a[i] * b[i];
        sa += a[i] * a[i];
        sb += b[i] * b[i];
      }
      match.push(same / a.length);
      opposite.push(opp / a.length);
      angle.push(angleDegrees(d, sa, sb));
      dot += d;
      na += sa;
      nb += sb;
    });
    out.signMatch.push(match);
    out.signOpposite.push(opposite);
    out.angle.push(angle);
    out.angleAll.push(angleDegrees(dot, na, nb));
    tf.dispose([xn, t, loss, error]);
    net.disposeGradients(gr);
    net.disposeGradients(gb);
    net.disposeTrace(trace);
  }
  return out;
}

/** arccos of a cosine from float64 sums; 90 degrees when either vector is zero. */
function angleDegrees(dot: number, aa: number, bb: number): number {
  if (aa === 0 || bb === 0) return 90;
  return (Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(aa * bb)))) * 180) / Math.PI;
}

// ---------------------------------------------------------------- the authors' architectures

export interface VecModelOptions {
  classes?: number;
  sign?: SignConstraint;
  rule?: VectorizedRule;
  seed?: number;
}

/** FC-Vec: input [inputSize] -> hidden... (gated) -> 1 unit. The authors': 784 (7840 expanded) -> 1024 -> 512 -> 1. */
export function fcVec(options: VecModelOptions & { inputSize?: number; hidden?: number[] } = {}): VectorizedNetworkOptions {
  const hidden = options.hidden ?? [1024, 512];
  if (!Array.isArray(hidden) || hidden.length === 0) throw new ArgumentError('hidden', 'a non-empty array of widths', hidden);
  const layers: VecLayerSpec[] = [];
  hidden.forEach((h, i) => layers.push({ kind: 'vec-dense', units: checkInteger(`hidden[${i}]`, h, 2) }, { kind: 'gate' }));
  layers.push({ kind: 'vec-dense', units: 1 });
  return { inputShape: [checkInteger('inputSize', options.inputSize ?? 784, 1)], classes: options.classes ?? 10, layers, sign: options.sign ?? 'nonnegative', rule: options.rule ?? 'gevb', seed: options.seed ?? 0 };
}

/**
 * Conv-Vec (form 'conv2d') or LC-Vec (form 'locally-connected'): 3x3 pad 1
 * layer (channels[0]) - gate - avgpool 2 - 3x3 pad 1 (channels[1]) - gate -
 * avgpool 2 - flatten - dense (hidden) - gate - 1 unit. The authors':
 * channels [64, 32] (LC: [32, 32]), hidden 1024, 28x28 inputs.
 */
export function spatialVec(options: VecModelOptions & { form?: 'conv2d' | 'locally-connected'; channels?: [number, number]; hidden?: number; inputShape?: [number, number, number] } = {}): VectorizedNetworkOptions {
  const form = checkOneOf('form', options.form ?? 'conv2d', ['conv2d', 'locally-connected'] as const);
  const channels = options.channels ?? (form === 'conv2d' ? [64, 32] : [32, 32]);
  if (!Array.isArray(channels) || channels.length !== 2) throw new ArgumentError('channels', 'two channel counts', channels);
  const kind = form === 'conv2d' ? ('vec-conv2d' as const) : ('vec-locally-connected' as const);
  const layers: VecLayerSpec[] = [];
  channels.forEach((c, i) => layers.push({ kind, filters: checkInteger(`channels[${i}]`, c, 2), kernelSize: 3, padding: 1 }, { kind: 'gate' }, { kind: 'vec-avgpool', size: 2 }));
  layers.push({ kind: 'vec-flatten' }, { kind: 'vec-dense', units: checkInteger('hidden', options.hidden ?? 1024, 2) }, { kind: 'gate' }, { kind: 'vec-dense', units: 1 });
  return { inputShape: (options.inputShape ?? [28, 28, 1]).slice(), classes: options.classes ?? 10, layers, sign: options.sign ?? 'nonnegative', rule: options.rule ?? 'gevb', seed: options.seed ?? 0 };
}

// ---------------------------------------------------------------- training (vectorized or conventional)

/** What trainClassifier needs of a network: VectorizedNetwork and Network both have it. */
export interface Classifier {
  readonly inputShape: number[];
  trainStep(x: tf.Tensor, targets: tf.Tensor, optimizer: Optimizer): { loss: number; correct: number };
  predict(x: tf.Tensor): tf.Tensor;
  oneHot(labels: ArrayLike<number>): tf.Tensor;
}

/** Examples as rows: x holds count * prod(inputShape) values. */
export interface ClassifierData {
  x: Float32Array;
  labels: ArrayLike<number>;
  count: number;
}

export interface ClassifierEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number | null;
}

/** Checks sizes (count rows of prod(inputShape) values, count labels) and finite values. */
function checkClassifierData(net: Classifier, data: ClassifierData, name: string): void {
  if (data === null || typeof data !== 'object') throw new ArgumentError(name, 'an object { x, labels, count }', data);
  const count = checkInteger(`${name}.count`, data.count, 1);
  const size = prod(net.inputShape);
  if (!(data.x instanceof Float32Array) || data.x.length !== count * size) throw new ArgumentError(`${name}.x`, `a Float32Array of ${count} x ${size} values`, data.x?.length);
  if (!data.labels || data.labels.length !== count) throw new ArgumentError(`${name}.labels`, `${count} labels`, data.labels?.length);
  checkFinite(`${name}.x`, data.x, 'float32');
}

function batchOf(net: Classifier, data: ClassifierData, idx: ArrayLike<number>, start: number, end: number): { x: tf.Tensor; labels: number[] } {
  const size = prod(net.inputShape);
  const buf = new Float32Array((end - start) * size);
  const labels: number[] = [];
  for (let i = start; i < end; i++) {
    buf.set(data.x.subarray(idx[i] * size, (idx[i] + 1) * size), (i - start) * size);
    labels.push(data.labels[idx[i]]);
  }
  return { x: tf.tensor(buf, [end - start, ...net.inputShape]), labels };
}

/** Fraction of `data` classified correctly (argmax of the logits), in batches. */
export function evaluateClassifier(net: Classifier, data: ClassifierData, batchSize = 500): number {
  checkClassifierData(net, data, 'data');
  checkInteger('batchSize', batchSize, 1);
  const idx = Int32Array.from({ length: data.count }, (_, i) => i);
  let correct = 0;
  for (let s = 0; s < data.count; s += batchSize) {
    const { x, labels } = batchOf(net, data, idx, s, Math.min(data.count, s + batchSize));
    const pred = tf.tidy(() => net.predict(x).argMax(1));
    const p = pred.dataSync();
    for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) correct++;
    tf.dispose([x, pred]);
  }
  return correct / data.count;
}

/**
 * Minibatch training with a seeded shuffle each epoch; stops after an epoch
 * at 100% training accuracy (the authors' criterion). `onEpoch` sees each record.
 */
export function trainClassifier(
  net: Classifier,
  data: ClassifierData,
  options: { epochs: number; batchSize: number; optimizer: Optimizer; seed: number; test?: ClassifierData; onEpoch?: (r: ClassifierEpoch) => void },
): ClassifierEpoch[] {
  checkInteger('epochs', options.epochs, 1);
  checkInteger('batchSize', options.batchSize, 1);
  checkClassifierData(net, data, 'data');
  if (options.test) checkClassifierData(net, options.test, 'test');
  const rng = new Rng(checkInteger('seed', options.seed, 0));
  const records: ClassifierEpoch[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = rng.permutation(data.count);
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < data.count; s += options.batchSize) {
      const end = Math.min(data.count, s + options.batchSize);
      const { x, labels } = batchOf(net, data, order, s, end);
      const t = net.oneHot(labels);
      const step = net.trainStep(x, t, options.optimizer);
      tf.dispose([x, t]);
      loss += step.loss * (end - s);
      correct += step.correct;
    }
    const r = { epoch, trainLoss: loss / data.count, trainAccuracy: correct / data.count, testAccuracy: options.test ? evaluateClassifier(net, options.test) : null };
    records.push(r);
    options.onEpoch?.(r);
    if (r.trainAccuracy === 1) break;
  }
  return records;
}
