/**
 * Exact curvature-vector products for the sequential networks of lib/rules:
 * Hessian H v, Gauss-Newton G v and their difference (H - G) v, by
 * Pearlmutter's R-operator (1994) -- one forward pass, one tangent (R)
 * forward pass, and one backward pass carrying both the gradient g and its
 * directional derivative R{g}. Nothing nests tf.grad (tfjs drops curvature
 * through softmaxCrossEntropy and throws through logSumExp).
 *
 * Per layer, with x_l its input, g = dL/dx_{l+1}, V the weight direction:
 *   parametric (dense, conv2d), linear in x and W:
 *     R{x_{l+1}}   = jvp: R{x_l} W + x_l V + u
 *     (Hv)_W       = x_l^T R{g} + R{x_l}^T g           (kernelGradient twice)
 *     (Hv)_b       = colsum R{g}
 *     R{dL/dx_l}   = R{g} W^T + g V^T                   (inputAdjoint twice)
 *   activation h = f(a):
 *     R{dL/da}     = f'(a) R{g} + f''(a) R{a} g
 *   flatten, pools (linear, or piecewise linear for max): R{dL/dx} = backward(R{g})
 *   output z:  cross-entropy g_z = (p - y)/N, R{g_z} = (p * R{z} - p <p, R{z}>)/N
 *              mse (1/2N sum ||z - y||^2): g_z = (z - y)/N, R{g_z} = R{z}/N
 * The Gauss-Newton product keeps only the terms not multiplied by a
 * residual (drops R{x}^T g, g V^T and f''), i.e. G v = J^T H_z J v.
 *
 * Parameter vectors are flat float64, ordered as the network's parametric
 * layers, each weight (row-major in its tfjs shape) then its bias -- the
 * order of Network.parameterPairs.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkFinite, checkInteger, checkOneOf, checkShape, describe } from '../core';
import { targetsOf, toTensorDataset, type DataInput } from '../data';
import { densePlan, fusedChunkProduct, fusedWorkspaceLength, type DensePlan } from './fused-products';
import { LinearOperator } from './spectrum';

// ---------------------------------------------------------------- the contract used from lib/rules

/** The members of a lib/rules layer that the R-operator uses (see lib/rules index.ts). */
export interface CurvatureLayer {
  readonly kind: string;
  outputShape: number[];
  forward(x: tf.Tensor): tf.Tensor;
  backward(dy: tf.Tensor, input: tf.Tensor, output: tf.Tensor): tf.Tensor;
  jvp(input: tf.Tensor, output: tf.Tensor, dx: tf.Tensor | null, paramTangent?: { weight?: tf.Tensor; bias?: tf.Tensor }): tf.Tensor;
  // parametric layers
  weight?: tf.Variable;
  bias?: tf.Variable | null;
  inputAdjoint?(dy: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  kernelGradient?(x: tf.Tensor, dy: tf.Tensor): tf.Tensor;
  biasGradient?(dy: tf.Tensor): tf.Tensor;
  // activations
  derivative?(a: tf.Tensor, h?: tf.Tensor): tf.Tensor;
  secondDerivative?(a: tf.Tensor, h?: tf.Tensor): tf.Tensor;
}

/** A lib/rules Network (or anything with the same sequential layers and loss). */
export interface CurvatureNetwork {
  readonly layers: readonly CurvatureLayer[];
  readonly inputShape: number[];
  readonly outputSize: number;
  /** The products differentiate 'cross-entropy' and 'mse' (another loss, e.g. a Poisson network's, is refused by name unless `options.loss` picks one). */
  readonly loss: string;
}

export type CurvatureLoss = 'cross-entropy' | 'mse';
export type CurvatureKind = 'hessian' | 'gauss-newton' | 'residual';

export interface ProductOptions {
  /** Loss to differentiate (default: the network's own). */
  loss?: CurvatureLoss;
  /** Rows per chunk; products over more rows are batch-size-weighted sums of chunks. Default 1024. */
  batchSize?: number;
  /**
   * Dense networks take the fused native product (fused-products.ts) when the add-on has it (default true);
   * false forces the tensor path, e.g. to compare the two.
   */
  fused?: boolean;
}

const isParam = (l: CurvatureLayer) => (l.kind === 'dense' || l.kind === 'conv2d') && l.weight != null;

function paramLayers(net: CurvatureNetwork): CurvatureLayer[] {
  return net.layers.filter(isParam);
}

function checkNetwork(net: unknown): CurvatureNetwork {
  const n = net as CurvatureNetwork;
  if (!n || !Array.isArray(n.layers) || n.layers.length === 0) {
    throw new ArgumentError('net', 'a lib/rules Network (an object with layers)', describe(net));
  }
  if (paramLayers(n).length === 0) throw new ArgumentError('net', 'a network with at least one dense or conv2d layer', 'none');
  return n;
}

// ---------------------------------------------------------------- flat parameters

/** Number of trainable parameters D (weights and biases of every parametric layer). */
export function parameterCount(net: CurvatureNetwork): number {
  checkNetwork(net);
  return paramLayers(net).reduce((s, l) => s + l.weight!.size + (l.bias ? l.bias.size : 0), 0);
}

/** Current parameters as one float64 vector (order: per layer weight, then bias). */
export function flattenParameters(net: CurvatureNetwork): Float64Array {
  const out = new Float64Array(parameterCount(net));
  let o = 0;
  for (const l of paramLayers(net)) {
    for (const t of [l.weight!, l.bias].filter((t): t is tf.Variable => t != null)) {
      out.set(t.dataSync() as Float32Array, o);
      o += t.size;
    }
  }
  return out;
}

/** The largest finite float32; a float64 beyond it becomes Infinity in the tensors. */
const FLOAT32_MAX = 3.4028234663852886e38;

function checkedEntry(flat: ArrayLike<number>, i: number, name: string): number {
  const x = flat[i];
  if (!(Math.abs(x) <= FLOAT32_MAX)) throw new ArgumentError(name, 'finite values within float32 range (|x| <= 3.4028e+38)', `${x} at index ${i}`);
  return x;
}

/** Splits a flat vector into tensors shaped like each layer's weight and bias (caller disposes); non-finite entries are an error naming `name`. */
export function unflattenParameters(net: CurvatureNetwork, flat: ArrayLike<number>, name = 'v'): { weight: tf.Tensor; bias: tf.Tensor | null }[] {
  const d = parameterCount(net);
  if (flat.length !== d) throw new ArgumentError(name, `a vector of length ${d} (the number of parameters)`, describe(flat));
  let o = 0;
  const take = (shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    // A plain loop: Float32Array.from with a map function costs ~17 ms for 2e5 entries, a third of a product.
    // The copy to float32 is where NaN, Infinity and |x| > float32 max would enter every product: checked here, once per call.
    const buf = new Float32Array(size);
    for (let i = 0; i < size; i++) buf[i] = checkedEntry(flat, o + i, name);
    const t = tf.tensor(buf, shape, 'float32');
    o += size;
    return t;
  };
  return paramLayers(net).map((l) => ({ weight: take(l.weight!.shape), bias: l.bias ? take(l.bias.shape) : null }));
}

/** Writes a flat vector into the network's weights and biases. */
export function setParameters(net: CurvatureNetwork, flat: ArrayLike<number>): void {
  const parts = unflattenParameters(net, flat, 'flat');
  paramLayers(net).forEach((l, k) => {
    l.weight!.assign(parts[k].weight);
    if (l.bias && parts[k].bias) l.bias.assign(parts[k].bias!);
  });
  parts.forEach((p) => tf.dispose([p.weight, p.bias ?? []].flat()));
}

// ---------------------------------------------------------------- data

interface Prepared {
  x: tf.Tensor;
  /** One-hot (or regression) targets [N, C], always owned. */
  y: tf.Tensor;
  n: number;
  /** Whether x was made from the caller's data (and is freed with it). */
  ownX: boolean;
}

/**
 * The data as x [N, ...inputShape] and targets [N, C]: loader output and
 * flat arrays become new tensors (owned, freed on dispose); tensors given
 * are used as they are, integer labels one-hot encoded.
 */
function prepare(net: CurvatureNetwork, data: DataInput): Prepared {
  const t = toTensorDataset(data, net);
  // One NaN pixel makes every product NaN: checked once per data set here, not in the products.
  // A plain loop over the values: tf.isFinite + tf.all took ~0.1 s on 1024 x 784 (a fifth of a first product).
  const xs = t.x.dataSync();
  let at = -1;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) {
      at = i;
      break;
    }
  }
  if (at >= 0) {
    if (t.x !== (data as { x?: unknown }).x) t.x.dispose();
    if (t.y !== (data as { y?: unknown }).y) t.y.dispose();
    throw new ArgumentError('data.x', 'finite values', `${xs[at]} at flat index ${at}`);
  }
  const ownX = t.x !== (data as { x?: unknown }).x;
  const y = tf.tidy(() => targetsOf(t.y, net.outputSize));
  if (t.y !== (data as { y?: unknown }).y) t.y.dispose();
  return { x: t.x, y, n: t.x.shape[0], ownX };
}

function chunks(n: number, batchSize: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += batchSize) out.push([s, Math.min(batchSize, n - s)]);
  return out;
}

function sliceRows(t: tf.Tensor, start: number, size: number): tf.Tensor {
  if (start === 0 && size === t.shape[0]) return t;
  return tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]);
}

// ---------------------------------------------------------------- one chunk: forward state, then R passes

/**
 * What does not depend on the direction v, for one chunk of rows at the
 * current parameters: every layer's input x_i, the gradient g_i = dL/dx_{i+1}
 * at each parametric layer's output, f'(a) and f''(a) * g at each
 * activation, and the loss Hessian's ingredients at the output. Computing it
 * once and reusing it across the products of a Krylov run halves their cost
 * (PyHessian likewise keeps the first backward graph).
 * Every per-example term is divided by `total` (rows of the whole data
 * set), so chunk results add up to the batch-size-weighted mean.
 */
interface ChunkState {
  xs: tf.Tensor[];
  /** dL/dx_{i+1} for parametric layer i (null elsewhere). */
  gOut: (tf.Tensor | null)[];
  /** f'(a) for activation layer i. */
  d1: (tf.Tensor | null)[];
  /** f''(a) * dL/dh for activation layer i. */
  d2g: (tf.Tensor | null)[];
  /** Softmax probabilities (cross-entropy) or null (mse). */
  p: tf.Tensor | null;
  lossSum: tf.Scalar;
  /** Flat loss gradient of this chunk (length D). */
  gradient: tf.Tensor;
  total: number;
  loss: CurvatureLoss;
}

const isActivation = (l: CurvatureLayer) => l.kind === 'activation' && typeof l.derivative === 'function';

/** Forward and backward pass recording the chunk state. Call inside tf.tidy (or keep the result). */
function chunkState(net: CurvatureNetwork, x: tf.Tensor, y: tf.Tensor, total: number, loss: CurvatureLoss): ChunkState {
  const layers = net.layers;
  const L = layers.length;
  const xs: tf.Tensor[] = [x];
  for (const layer of layers) xs.push(layer.forward(xs[xs.length - 1]));
  const z = xs[L];
  let lossSum: tf.Scalar;
  let g: tf.Tensor;
  let p: tf.Tensor | null = null;
  if (loss === 'mse') {
    const diff = z.sub(y);
    lossSum = diff.square().sum().div(2) as tf.Scalar;
    g = diff.div(total);
  } else {
    const logp = tf.logSoftmax(z as tf.Tensor2D);
    lossSum = logp.mul(y).sum().neg() as tf.Scalar;
    p = logp.exp();
    g = p.sub(y).div(total);
  }
  const gOut: (tf.Tensor | null)[] = new Array(L).fill(null);
  const d1: (tf.Tensor | null)[] = new Array(L).fill(null);
  const d2g: (tf.Tensor | null)[] = new Array(L).fill(null);
  const gradParts: tf.Tensor[][] = [];
  const firstParam = layers.findIndex(isParam);
  for (let i = L - 1; i >= firstParam; i--) {
    const layer = layers[i];
    if (isParam(layer)) {
      gOut[i] = g;
      const parts = [layer.kernelGradient!(xs[i], g).reshape([-1])];
      if (layer.bias) parts.push(layer.biasGradient!(g).reshape([-1]));
      gradParts.unshift(parts);
      if (i > firstParam) g = layer.inputAdjoint!(g, layer.weight!);
    } else if (isActivation(layer)) {
      d1[i] = layer.derivative!(xs[i], xs[i + 1]);
      d2g[i] = layer.secondDerivative!(xs[i], xs[i + 1]).mul(g);
      g = g.mul(d1[i]!);
    } else {
      g = layer.backward(g, xs[i], xs[i + 1]);
    }
  }
  return { xs, gOut, d1, d2g, p, lossSum, gradient: tf.concat(gradParts.flat()), total, loss };
}

function keepState(s: ChunkState): ChunkState {
  const keep = <T extends tf.Tensor | null>(t: T) => (t ? tf.keep(t) : t);
  s.xs.slice(1).forEach(keep);
  s.gOut.forEach(keep);
  s.d1.forEach(keep);
  s.d2g.forEach(keep);
  keep(s.p);
  keep(s.lossSum);
  keep(s.gradient);
  return s;
}

function disposeState(s: ChunkState): void {
  // xs[0] is a view of the caller's data (or a slice owned by the chunk list): disposed by its owner.
  tf.dispose([...s.xs.slice(1), ...s.gOut, ...s.d1, ...s.d2g, s.p, s.lossSum, s.gradient].filter((t): t is tf.Tensor => t != null));
}

/**
 * R forward and R backward through a chunk state: the flat product
 * (H or G) v for this chunk. Call inside tf.tidy.
 */
function rPass(net: CurvatureNetwork, s: ChunkState, direction: { weight: tf.Tensor; bias: tf.Tensor | null }[], kind: 'hessian' | 'gauss-newton'): tf.Tensor {
  const layers = net.layers;
  const L = layers.length;
  const full = kind === 'hessian';
  const xs = s.xs;
  const rx: (tf.Tensor | null)[] = [null];
  let k = 0;
  layers.forEach((layer, i) => {
    if (isParam(layer)) {
      const t = direction[k++];
      rx.push(layer.jvp(xs[i], xs[i + 1], rx[i], { weight: t.weight, bias: t.bias ?? undefined }));
    } else if (!rx[i]) {
      rx.push(null);
    } else if (isActivation(layer)) {
      rx.push(rx[i]!.mul(s.d1[i]!));
    } else {
      rx.push(layer.jvp(xs[i], xs[i + 1], rx[i]));
    }
  });
  const rz = rx[L]!;
  let rg: tf.Tensor;
  if (s.loss === 'mse') rg = rz.div(s.total);
  else {
    // p * (Rz - <p, Rz>) with the row sums spread by a rank-1 product: the [N, 1] x [N, C]
    // broadcast multiply is a slow generic loop on the cpu-derived backends (10-17 ms at N = 4096).
    const rowSums = s.p!.mul(rz).sum(1, true);
    const spread = tf.matMul(rowSums as tf.Tensor2D, tf.ones([1, rz.shape[1]!]) as tf.Tensor2D);
    rg = s.p!.mul(rz.sub(spread)).div(s.total);
  }
  const parts: tf.Tensor[][] = [];
  k = direction.length - 1;
  const firstParam = layers.findIndex(isParam);
  for (let i = L - 1; i >= firstParam; i--) {
    const layer = layers[i];
    const rIn = rx[i];
    if (isParam(layer)) {
      const g = s.gOut[i]!;
      let hw = layer.kernelGradient!(xs[i], rg);
      if (full && rIn) hw = hw.add(layer.kernelGradient!(rIn, g));
      const layerParts = [hw.reshape([-1])];
      if (layer.bias) layerParts.push(layer.biasGradient!(rg).reshape([-1]));
      parts.unshift(layerParts);
      if (i > firstParam) {
        let next = layer.inputAdjoint!(rg, layer.weight!);
        if (full) next = next.add(layer.inputAdjoint!(g, direction[k].weight));
        rg = next;
      }
      k--;
    } else if (isActivation(layer)) {
      let next = rg.mul(s.d1[i]!);
      if (full && rIn) next = next.add(s.d2g[i]!.mul(rIn));
      rg = next;
    } else {
      // flatten, avg pool: linear; max pool: linear with the routing fixed at x (second derivative 0 a.e.).
      rg = layer.backward(rg, xs[i], xs[i + 1]);
    }
  }
  return tf.concat(parts.flat());
}

function checkedOptions(net: CurvatureNetwork, options: ProductOptions): { loss: CurvatureLoss; batchSize: number; fused: boolean } {
  const loss = checkOneOf('loss', options.loss ?? net.loss ?? 'cross-entropy', ['cross-entropy', 'mse']);
  const batchSize = checkInteger('batchSize', options.batchSize ?? 1024, 1);
  const fused = options.fused ?? true;
  if (typeof fused !== 'boolean') throw new ArgumentError('fused', 'true or false', describe(fused));
  return { loss, batchSize, fused };
}

/** Identity of every parameter tensor's storage: tf.Variable.assign swaps it, so a change means new parameters. */
function parameterIdentity(net: CurvatureNetwork): unknown[] {
  return paramLayers(net).flatMap((l) => [l.weight!.dataId, l.bias ? l.bias.dataId : null]);
}

/**
 * Whether the parameters still hold the values in `snapshot` (written there when `write`). Training
 * that updates weights in place (lib/rules' fused path) keeps their storage, which identity alone
 * would miss; one pass over D floats, well under 1% of a product.
 */
function sameParameterValues(net: CurvatureNetwork, snapshot: Float32Array, write: boolean): boolean {
  // Bit patterns compared as bytes: exact (NaN, -0).
  let o = 0;
  for (const l of paramLayers(net)) {
    for (const t of [l.weight!, l.bias].filter((t): t is tf.Variable => t != null)) {
      const d = t.dataSync() as Float32Array;
      if (write) snapshot.set(d, o);
      // Buffer.equals compares bytes (memcmp): ~0.1 ms for 200,000 floats where a typed-array loop took ~0.5.
      else if (!Buffer.from(d.buffer, d.byteOffset, d.byteLength).equals(Buffer.from(snapshot.buffer, snapshot.byteOffset + 4 * o, d.byteLength))) return false;
      o += d.length;
    }
  }
  return true;
}

/**
 * Curvature of the mean loss over a fixed data set, with the per-chunk
 * state cached while the parameters stay the same (checked at every use:
 * assigning a weight or changing its values in place invalidates it). Dispose when done.
 */
export class Curvature {
  readonly dim: number;
  readonly rows: number;
  readonly loss: CurvatureLoss;
  readonly batchSize: number;
  private readonly prepared: Prepared;
  private readonly slices: { x: tf.Tensor; y: tf.Tensor }[];
  private states: ChunkState[] | null = null;
  private identity: unknown[] = [];
  /** The parameter values the cached state was built at. */
  private snapshot: Float32Array | null = null;
  private disposed = false;
  /** The fused native product's plan (dense networks, add-on present, option fused) or null: the tensor path. */
  private readonly plan: DensePlan | null;
  /** Its workspace, sized for the largest chunk and kept for the operator's lifetime. */
  private work: Float32Array | null = null;
  /** Products computed so far and the milliseconds they took (state building included). */
  products = 0;
  milliseconds = 0;

  constructor(readonly net: CurvatureNetwork, data: DataInput, options: ProductOptions = {}) {
    checkNetwork(net);
    const o = checkedOptions(net, options);
    this.loss = o.loss;
    this.batchSize = o.batchSize;
    this.plan = o.fused ? densePlan(net) : null;
    this.dim = parameterCount(net);
    this.prepared = prepare(net, data);
    this.rows = this.prepared.n;
    this.slices = chunks(this.rows, this.batchSize).map(([s, m]) => ({ x: sliceRows(this.prepared.x, s, m), y: sliceRows(this.prepared.y, s, m) }));
  }

  private state(): ChunkState[] {
    if (this.disposed) throw new Error('Curvature: used after dispose()');
    const id = parameterIdentity(this.net);
    const same = this.states && id.length === this.identity.length && id.every((d, i) => d === this.identity[i]) &&
      sameParameterValues(this.net, this.snapshot!, false);
    if (!same) {
      this.release();
      this.states = this.slices.map(({ x, y }) => {
        let st: ChunkState | null = null;
        tf.tidy(() => {
          st = keepState(chunkState(this.net, x, y, this.rows, this.loss));
        });
        return st!;
      });
      this.identity = id;
      this.snapshot ??= new Float32Array(this.dim);
      sameParameterValues(this.net, this.snapshot, true);
    }
    return this.states!;
  }

  private release(): void {
    this.states?.forEach(disposeState);
    this.states = null;
  }

  /** Mean loss and gradient over the data. */
  lossAndGradient(): { loss: number; gradient: Float64Array } {
    const grad = new Float64Array(this.dim);
    let lossSum = 0;
    for (const s of this.state()) {
      lossSum += s.lossSum.dataSync()[0];
      const gd = s.gradient.dataSync();
      for (let i = 0; i < grad.length; i++) grad[i] += gd[i];
    }
    return { loss: lossSum / this.rows, gradient: grad };
  }

  /** (H v, G v or (H - G) v) over the data. */
  product(v: ArrayLike<number>, kind: CurvatureKind = 'hessian'): Float64Array {
    checkOneOf('kind', kind, ['hessian', 'gauss-newton', 'residual']);
    if (v == null || v.length !== this.dim) throw new ArgumentError('v', `a vector of length ${this.dim} (the number of parameters)`, describe(v));
    const t0 = Date.now();
    const states = this.state();
    const out = new Float64Array(this.dim);
    if (this.plan) {
      this.fusedProduct(states, v, kind, out);
      this.products++;
      this.milliseconds += Date.now() - t0;
      return out;
    }
    const t = tf.tidy(() => {
      const dir = unflattenParameters(this.net, v);
      let acc: tf.Tensor | null = null;
      for (const s of states) {
        let chunk: tf.Tensor;
        if (kind === 'residual') {
          // Only the terms multiplied by residuals: H v - G v in one tensor expression per chunk.
          chunk = rPass(this.net, s, dir, 'hessian').sub(rPass(this.net, s, dir, 'gauss-newton'));
        } else chunk = rPass(this.net, s, dir, kind);
        acc = acc ? acc.add(chunk) : chunk;
      }
      return acc!;
    });
    const d = t.dataSync();
    for (let i = 0; i < this.dim; i++) out[i] = d[i];
    t.dispose();
    this.products++;
    this.milliseconds += Date.now() - t0;
    return out;
  }

  /** The fused native product: out = sum over chunks of (H v, G v or H v - G v), accumulated in float64. */
  private fusedProduct(states: ChunkState[], v: ArrayLike<number>, kind: CurvatureKind, out: Float64Array): void {
    const plan = this.plan!;
    const dir = v instanceof Float64Array ? v : Float64Array.from(v);
    this.work ??= new Float32Array(fusedWorkspaceLength(plan, Math.min(this.batchSize, this.rows)));
    let first = true;
    for (const s of states) {
      for (const mode of kind === 'hessian' ? [0] as const : kind === 'gauss-newton' ? [1] as const : [0, 1] as const) {
        const bad = fusedChunkProduct(this.net, plan, s, dir, mode, kind === 'residual' && mode === 1 ? -1 : 1, out, this.work);
        // The native call checks v (NaN, Infinity, beyond float32) while converting it, before computing anything:
        // a pass here cost ~0.4 ms of a ~58 ms product.
        if (first && bad !== -1) {
          if (typeof bad === 'number') checkedEntry(dir, bad, 'v');
          else for (let i = 0; i < dir.length; i++) checkedEntry(dir, i, 'v');   // an add-on built before the check
        }
        first = false;
      }
    }
  }

  /** A LinearOperator view (H, G or H - G) for the estimators of spectrum.ts. */
  operator(kind: CurvatureKind = 'hessian'): CurvatureOperator {
    checkOneOf('kind', kind, ['hessian', 'gauss-newton', 'residual']);
    const self = this;
    const op: CurvatureOperator = {
      dim: this.dim,
      kind,
      name: `${kind} operator`,
      products: 0,
      milliseconds: 0,
      apply(v: Float64Array) {
        const t0 = Date.now();
        const out = self.product(v, kind);
        op.products++;
        op.milliseconds += Date.now() - t0;
        return out;
      },
      dispose: () => self.dispose(),
    };
    return op;
  }

  /** Frees the cached state and any tensors made from the data (the data set itself stays). */
  dispose(): void {
    if (this.disposed) return;
    this.release();
    this.work = null;
    this.slices.forEach(({ x, y }) => {
      if (x !== this.prepared.x) x.dispose();
      if (y !== this.prepared.y) y.dispose();
    });
    this.prepared.y.dispose();
    if (this.prepared.ownX) this.prepared.x.dispose();
    this.disposed = true;
  }
}

// ---------------------------------------------------------------- public products

/** Mean loss and its gradient over the data set (batch-size-weighted over chunks). */
export function lossAndGradient(net: CurvatureNetwork, data: DataInput, options: ProductOptions = {}): { loss: number; gradient: Float64Array } {
  const c = new Curvature(net, data, options);
  try {
    return c.lossAndGradient();
  } finally {
    c.dispose();
  }
}

/**
 * One curvature-vector product over the data set: 'hessian' H v,
 * 'gauss-newton' G v, or 'residual' (H - G) v. For many products at the
 * same parameters use `curvatureOperator` (or `Curvature`), which reuses
 * the forward state.
 */
export function curvatureProduct(net: CurvatureNetwork, data: DataInput, v: ArrayLike<number>, kind: CurvatureKind = 'hessian', options: ProductOptions = {}): Float64Array {
  checkNetwork(net);
  checkOneOf('kind', kind, ['hessian', 'gauss-newton', 'residual']);
  const d = parameterCount(net);
  if (v == null || v.length !== d) throw new ArgumentError('v', `a vector of length ${d} (the number of parameters)`, describe(v));
  const c = new Curvature(net, data, options);
  try {
    return c.product(v, kind);
  } finally {
    c.dispose();
  }
}

/** Convenience: H v. */
export function hessianVectorProduct(net: CurvatureNetwork, data: DataInput, v: ArrayLike<number>, options: ProductOptions = {}): Float64Array {
  return curvatureProduct(net, data, v, 'hessian', options);
}

/** Convenience: G v (generalised Gauss-Newton). */
export function gaussNewtonVectorProduct(net: CurvatureNetwork, data: DataInput, v: ArrayLike<number>, options: ProductOptions = {}): Float64Array {
  return curvatureProduct(net, data, v, 'gauss-newton', options);
}

/** A curvature operator with a product counter, for the estimators of spectrum.ts. */
export interface CurvatureOperator extends LinearOperator {
  readonly kind: CurvatureKind;
  /** Products applied so far ('residual' counts 1 per application). */
  products: number;
  /** Total milliseconds spent in `apply`. */
  milliseconds: number;
  /** Frees the cached forward state (call when done with the operator). */
  dispose(): void;
}

/**
 * The Hessian (or G, or H - G) of the mean loss over `data` at the
 * network's current parameters, as a LinearOperator of dimension D. The
 * data are fixed for the operator's lifetime (keep the batch fixed across a
 * Krylov run). The forward state is cached and rebuilt whenever a weight
 * has been assigned or changed in place since the last product. Call `dispose()` when done.
 */
export function curvatureOperator(net: CurvatureNetwork, data: DataInput, kind: CurvatureKind = 'hessian', options: ProductOptions = {}): CurvatureOperator {
  checkOneOf('kind', kind, ['hessian', 'gauss-newton', 'residual']);
  return new Curvature(net, data, options).operator(kind);
}

/** Parameter-space gradients of each logit z_c for each example: rows (example n, logit c) -> Float32Array of length D. */
export function logitGradients(net: CurvatureNetwork, x: tf.Tensor, logits?: readonly number[]): { gradients: Float32Array[]; example: number[]; logit: number[] } {
  checkNetwork(net);
  const c = net.outputSize;
  const which = logits ?? Array.from({ length: c }, (_, i) => i);
  which.forEach((l, i) => checkInteger(`logits[${i}]`, l, 0, c - 1));
  checkShape('x', x.shape, [-1, ...net.inputShape]);
  checkFinite('x', x.dataSync());
  const n = x.shape[0];
  const gradients: Float32Array[] = [];
  const example: number[] = [];
  const logit: number[] = [];
  // MSE on one row with target y = z - e_c has output gradient g_z = e_c, so its parameter gradient is that of z_c.
  for (let i = 0; i < n; i++) {
    const xi = tf.tidy(() => sliceRows(x, i, 1));
    for (const l of which) {
      const t = tf.tidy(() => {
        const z = net.layers.reduce((h: tf.Tensor, layer) => layer.forward(h), xi);
        const target = z.sub(tf.oneHot([l], c).toFloat());
        return chunkState(net, xi, target, 1, 'mse').gradient;
      });
      gradients.push(t.dataSync() as Float32Array);
      t.dispose();
      example.push(i);
      logit.push(l);
    }
    if (xi !== x) xi.dispose();
  }
  return { gradients, example, logit };
}
