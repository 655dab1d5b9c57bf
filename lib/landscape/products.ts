/**
 * Exact curvature-vector products for the networks of lib/rules: Hessian
 * H v, Gauss-Newton G v and their difference (H - G) v, by Pearlmutter's
 * R-operator (1994) -- one forward pass, one tangent (R) forward pass, and
 * one backward pass carrying both the gradient g and its directional
 * derivative R{g}. Nothing nests tf.grad over the network (tfjs drops
 * curvature through softmaxCrossEntropy and throws through logSumExp).
 *
 * Per layer, with x its input, y its output, g = dL/dy, R{x} the input's
 * tangent, V the direction of the layer's own parameters:
 *   parametric (dense, conv2d, locally-connected, patch embedding), bilinear in x and W:
 *     R{y}         = jvp: R{x} W + x V + u
 *     (Hv)_W       = x^T R{g} + R{x}^T g                (kernelGradient twice)
 *     (Hv)_b       = colsum R{g}
 *     R{dL/dx}     = R{g} W^T + g V^T                   (inputAdjoint twice)
 *   elementwise h = f(a) (activation, gelu):
 *     R{dL/da}     = f'(a) R{g} + f''(a) R{a} g
 *   linear, parameter-free (flatten, pools, token-mean, gaussian-noise in
 *     evaluation mode, i.e. the identity): R{dL/dx} = backward(R{g})
 *     (max pool: the routing fixed at x, second derivative 0 a.e.)
 *   residual block y = body(x) + S(x): R{y} = R{body} + S(R{x});
 *     R{dL/dx} = (the body's R backward of R{g}) + S^T R{g}
 *   any other layer (batch norm in either mode, layer norm, attention), with
 *     J_x, J_p its Jacobians in x and in its parameters p (gamma, beta; gain,
 *     shift; none for attention) and psi(x, p) = <g, J_x(x, p) R{x} + J_p(x, p) V>:
 *     R{dL/dx}     = J_x^T R{g} + d psi / dx            (backward + second-order term)
 *     (Hv)_p       = J_p^T R{g} + d psi / dp            (parameterGradients + second-order term)
 *     The second-order terms are the layer's backward differentiated along
 *     (R{x}, V); by symmetry of second derivatives they equal the gradient of
 *     the scalar psi, which is one first-order tf.variableGrads through the
 *     layer's own (hand-written) jvp. Exact to float32 rounding: no finite step.
 *   output z:  cross-entropy g_z = (p - y)/N, R{g_z} = (p * R{z} - p <p, R{z}>)/N
 *              mse (1/2N sum ||z - y||^2): g_z = (z - y)/N, R{g_z} = R{z}/N
 *              poisson (r = softplus z, s = sigmoid z, q = s / r; poisson.ts):
 *                g_z = (s - y q)/N,  R{g_z} = (s (1 - s) (1 - y q / s) + y q^2) R{z} / N
 *                (l = r - y log r is convex in z, so this h_z >= 0 and G is PSD)
 * The Gauss-Newton product keeps only the terms not multiplied by a
 * residual (drops R{x}^T g, g V^T, f'' and the psi terms), i.e.
 * G v = J^T H_z J v.
 *
 * Modes. Batch norm differentiates the loss the network trains: batch
 * statistics of each chunk (option `batchStatistics`, default true; the
 * chunk is then the batch, so batchSize matters), or the running statistics
 * (false). Gaussian noise layers are always the identity here (evaluation
 * mode): the products are of the noise-free loss. The modes are set on the
 * layers before every pass (lib/rules' Network sets its own before each of its passes).
 * logitGradients (one row at a time) and probes.ts' accuracy use the running statistics.
 *
 * Parameter vectors are flat float64 in the order of Network.parameterPairs:
 * every parametric layer in pre-order (a residual block's body in its
 * place), each weight (row-major in its tfjs shape) then its bias; then
 * every layer with parameters outside the feedback contract
 * (Network.extraParameters: batch norm's gamma, beta; layer norm's gain,
 * shift), in pre-order. Attention's projections are the dense layers around
 * it. A layer kind not listed above is refused by name (ArgumentError).
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
  // residual blocks, normalisation layers (lib/rules layers.ts' optional hooks)
  readonly body?: readonly CurvatureLayer[];
  mergeBody?(bodyOutput: tf.Tensor, input: tf.Tensor): tf.Tensor;
  bypass?(dy: tf.Tensor): tf.Tensor;
  setTraining?(training: boolean): void;
  parameters?(): tf.Variable[];
  parameterGradients?(dy: tf.Tensor, input: tf.Tensor): tf.Tensor[];
  stateVariables?(): Record<string, tf.Variable>;
  // not read by the products: probes.ts' training loops move batch norm's running statistics with it
  updateStatistics?(input: tf.Tensor): void;
}

/** A lib/rules Network (or anything with the same sequential layers and loss). */
export interface CurvatureNetwork {
  readonly layers: readonly CurvatureLayer[];
  readonly inputShape: number[];
  readonly outputSize: number;
  /** The products differentiate 'cross-entropy', 'mse' and 'poisson' (softplus rates, lib/rules poisson.ts). */
  readonly loss: string;
}

export type CurvatureLoss = 'cross-entropy' | 'mse' | 'poisson';
export type CurvatureKind = 'hessian' | 'gauss-newton' | 'residual';

export interface ProductOptions {
  /** Loss to differentiate (default: the network's own). */
  loss?: CurvatureLoss;
  /** Rows per chunk; products over more rows are batch-size-weighted sums of chunks. Default 1024. */
  batchSize?: number;
  /**
   * Dense networks take the fused native product (fused-products.ts) when the add-on has it (default true);
   * false forces the tensor path, e.g. to compare the two. `Curvature.path` says which one ran and why.
   */
  fused?: boolean;
  /**
   * Batch norm with each chunk's batch statistics (true, default: the training loss; set batchSize to the
   * training batch size to differentiate that loss) or its running statistics (false). No effect without batch norm.
   */
  batchStatistics?: boolean;
}

const PARAM_KINDS = ['dense', 'conv2d', 'locally-connected'];
/** Elementwise layers with f' and f'' (`derivative`, `secondDerivative`). */
const ELEMENTWISE_KINDS = ['activation', 'gelu'];
/** Parameter-free layers linear in x (max pool: piecewise). */
const LINEAR_KINDS = ['flatten', 'maxpool', 'avgpool', 'token-mean', 'gaussian-noise'];
/** Layers whose second-order term is the gradient of psi (see the header), checked against finite differences in test/landscape. */
const CURVED_KINDS = ['batchnorm', 'layer-norm', 'attention'];
const SUPPORTED = [...PARAM_KINDS, ...ELEMENTWISE_KINDS, ...LINEAR_KINDS, ...CURVED_KINDS, 'residual'];

const isParam = (l: CurvatureLayer) => PARAM_KINDS.includes(l.kind) && l.weight != null;
const isElementwise = (l: CurvatureLayer) => ELEMENTWISE_KINDS.includes(l.kind) && typeof l.derivative === 'function' && typeof l.secondDerivative === 'function';
const hasBody = (l: CurvatureLayer) => Array.isArray(l.body) && typeof l.mergeBody === 'function' && typeof l.bypass === 'function';

/** One layer's block of the flat parameter vector: a parametric layer's [weight, bias?], or another layer's parameters(). */
interface Slot {
  layer: CurvatureLayer;
  tensors: tf.Variable[];
}

/** Every layer in pre-order (a body's layers after their holder). */
function nestedLayers(layers: readonly CurvatureLayer[]): CurvatureLayer[] {
  return layers.flatMap((l) => (l.body ? [l, ...nestedLayers(l.body)] : [l]));
}

/** Refuses a layer the products cannot differentiate exactly, naming it. */
function checkKinds(layers: readonly CurvatureLayer[], where: string): void {
  layers.forEach((l, i) => {
    const name = `${where}[${i}]`;
    const known = SUPPORTED.includes(l.kind) &&
      (!PARAM_KINDS.includes(l.kind) || (l.weight != null && typeof l.kernelGradient === 'function' && typeof l.inputAdjoint === 'function')) &&
      (!ELEMENTWISE_KINDS.includes(l.kind) || isElementwise(l)) &&
      (l.kind !== 'residual' || hasBody(l)) &&
      (!l.parameters || (CURVED_KINDS.includes(l.kind) && l.parameters().length <= 2 && typeof l.parameterGradients === 'function'));
    if (!known) {
      throw new ArgumentError(`${name} (${l.kind})`, `a layer kind with exact curvature products: ${SUPPORTED.join(', ')}`, `kind "${l.kind}"`);
    }
    if (l.body) checkKinds(l.body, `${name}.body`);
  });
}

/** The blocks of the flat parameter vector in Network.parameterPairs' order (see the header). */
function slots(net: CurvatureNetwork): Slot[] {
  const all = nestedLayers(net.layers);
  return [
    ...all.filter(isParam).map((l) => ({ layer: l, tensors: [l.weight!, ...(l.bias ? [l.bias] : [])] })),
    ...all.filter((l) => !isParam(l) && l.parameters).map((l) => ({ layer: l, tensors: l.parameters!() })),
  ];
}

function checkNetwork(net: unknown): CurvatureNetwork {
  const n = net as CurvatureNetwork;
  if (!n || !Array.isArray(n.layers) || n.layers.length === 0) {
    throw new ArgumentError('net', 'a lib/rules Network (an object with layers)', describe(net));
  }
  checkKinds(n.layers, 'net.layers');
  if (!nestedLayers(n.layers).some(isParam)) throw new ArgumentError('net', 'a network with at least one dense, conv2d or locally-connected layer', 'none');
  return n;
}

/** Sets every layer's mode for the products: batch norm as asked, noise off (pre-order, so a body's layers override their block's setting). */
export function setModes(net: CurvatureNetwork, batchStatistics: boolean): void {
  for (const l of nestedLayers(net.layers)) l.setTraining?.(l.kind === 'gaussian-noise' ? false : batchStatistics);
}

// ---------------------------------------------------------------- flat parameters

/** Number of trainable parameters D (as Network.parameterCount: weights, biases, batch/layer norm's scales and shifts). */
export function parameterCount(net: CurvatureNetwork): number {
  checkNetwork(net);
  return slots(net).reduce((s, b) => s + b.tensors.reduce((a, t) => a + t.size, 0), 0);
}

/** Current parameters as one float64 vector (order: see the header). */
export function flattenParameters(net: CurvatureNetwork): Float64Array {
  const out = new Float64Array(parameterCount(net));
  let o = 0;
  for (const b of slots(net)) {
    for (const t of b.tensors) {
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

/** Per block (each parametric layer, then each layer with other parameters: see the header), tensors shaped like its parameters. */
function splitParameters(net: CurvatureNetwork, flat: ArrayLike<number>, name: string): tf.Tensor[][] {
  const d = parameterCount(net);
  if (flat == null || flat.length !== d) throw new ArgumentError(name, `a vector of length ${d} (the number of parameters)`, describe(flat));
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
  return slots(net).map((b) => b.tensors.map((t) => take(t.shape)));
}

/**
 * Splits a flat vector into tensors shaped like each block's parameters (caller disposes): one entry per
 * parametric layer {weight, bias}, then one per layer with other parameters (batch norm: {weight: gamma,
 * bias: beta}; layer norm: gain, shift). Non-finite entries are an error naming `name`.
 */
export function unflattenParameters(net: CurvatureNetwork, flat: ArrayLike<number>, name = 'v'): { weight: tf.Tensor; bias: tf.Tensor | null }[] {
  return splitParameters(net, flat, name).map((ts) => ({ weight: ts[0], bias: ts[1] ?? null }));
}

/** Writes a flat vector into the network's parameters. */
export function setParameters(net: CurvatureNetwork, flat: ArrayLike<number>): void {
  const parts = splitParameters(net, flat, 'flat');
  slots(net).forEach((b, k) => b.tensors.forEach((t, j) => t.assign(parts[k][j])));
  tf.dispose(parts.flat());
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
 * current parameters, per sequence (the network's, and each residual
 * body's): every layer's input x_i (xs[L] the output), the gradient
 * g_i = dL/dx_{i+1} at every layer's output, f'(a) and f''(a) * g at each
 * elementwise layer. Computing it once and reusing it across the products
 * of a Krylov run halves their cost (PyHessian likewise keeps the first
 * backward graph).
 */
interface SequenceState {
  layers: readonly CurvatureLayer[];
  xs: tf.Tensor[];
  /** dL/dx_{i+1} for layer i (null below the lowest layer with parameters). */
  gOut: (tf.Tensor | null)[];
  /** f'(a) for elementwise layer i. */
  d1: (tf.Tensor | null)[];
  /** f''(a) * dL/dh for elementwise layer i. */
  d2g: (tf.Tensor | null)[];
  /** The state of layer i's body, or null. */
  inner: (SequenceState | null)[];
}

/**
 * A chunk's state, plus the loss Hessian's ingredients at the output. Every
 * per-example term is divided by `total` (rows of the whole data set), so
 * chunk results add up to the batch-size-weighted mean.
 */
interface ChunkState extends SequenceState {
  /** Softmax probabilities (cross-entropy) or null. */
  p: tf.Tensor | null;
  /** The Poisson loss's d^2 l / dz^2 (elementwise), or null. */
  hz: tf.Tensor | null;
  lossSum: tf.Scalar;
  /** Flat loss gradient of this chunk (length D). */
  gradient: tf.Tensor;
  total: number;
  loss: CurvatureLoss;
  /** The lowest top-level layer holding parameters: nothing below it is differentiated. */
  lowest: number;
}

/** Per layer, its block of a flat vector or of a product (see `slots`). */
type Blocks = Map<CurvatureLayer, tf.Tensor[]>;

function forwardState(layers: readonly CurvatureLayer[], x: tf.Tensor): SequenceState {
  const xs = [x];
  const inner: (SequenceState | null)[] = [];
  for (const layer of layers) {
    const h = xs[xs.length - 1];
    if (layer.body) {
      const sub = forwardState(layer.body, h);
      inner.push(sub);
      xs.push(layer.mergeBody!(sub.xs[sub.xs.length - 1], h));
    } else {
      inner.push(null);
      xs.push(layer.forward(h));
    }
  }
  const n = layers.length;
  return { layers, xs, inner, gOut: new Array(n).fill(null), d1: new Array(n).fill(null), d2g: new Array(n).fill(null) };
}

/** Whether any layer of the network (or of a residual body) keeps running statistics. */
function keepsRunningStatistics(net: CurvatureNetwork): boolean {
  return nestedLayers(net.layers).some((l) => typeof l.updateStatistics === 'function');
}

/** Gives every layer that keeps running statistics its input of the forward pass `s` (made with batch statistics). */
function moveRunningStatistics(s: SequenceState): void {
  s.layers.forEach((l, i) => {
    const inner = s.inner[i];
    if (inner) moveRunningStatistics(inner);
    else l.updateStatistics?.(s.xs[i]);
  });
}

/** Copies of every running statistic (a layer's state variables that are not its parameters) and a function that writes them back and frees the copies. */
export function saveRunningStatistics(net: CurvatureNetwork): () => void {
  const saved: [tf.Variable, tf.Tensor][] = [];
  for (const l of nestedLayers(net.layers)) {
    if (typeof l.updateStatistics !== 'function' || !l.stateVariables) continue;
    const params = new Set(l.parameters?.() ?? []);
    for (const v of Object.values(l.stateVariables())) if (!params.has(v)) saved.push([v, tf.clone(v)]);
  }
  return () => {
    for (const [v, t] of saved) v.assign(t);
    tf.dispose(saved.map(([, t]) => t));
  };
}

/** Whether a layer or its body holds parameters. */
function holdsParameters(l: CurvatureLayer): boolean {
  return isParam(l) || !!l.parameters || (!!l.body && l.body.some(holdsParameters));
}

/**
 * Backward pass from g at the sequence's output, filling gOut, d1, d2g and the
 * parameter gradients; layers below `stop` are skipped, and the signal to
 * layer `stop`'s input is formed only when `needInput` (a body's holder needs it).
 */
function backwardState(s: SequenceState, g: tf.Tensor, grads: Blocks, stop: number, needInput: boolean): tf.Tensor | null {
  let signal: tf.Tensor | null = g;
  for (let i = s.layers.length - 1; i >= stop; i--) {
    const layer = s.layers[i];
    const x = s.xs[i];
    const y = s.xs[i + 1];
    const gi: tf.Tensor = signal!;
    const propagate = i > stop || needInput;
    s.gOut[i] = gi;
    if (isParam(layer)) {
      grads.set(layer, [layer.kernelGradient!(x, gi), ...(layer.bias ? [layer.biasGradient!(gi)] : [])]);
      signal = propagate ? layer.inputAdjoint!(gi, layer.weight!) : null;
    } else if (isElementwise(layer)) {
      s.d1[i] = layer.derivative!(x, y);
      s.d2g[i] = layer.secondDerivative!(x, y).mul(gi);
      signal = gi.mul(s.d1[i]!);
    } else if (layer.body) {
      signal = backwardState(s.inner[i]!, gi, grads, 0, true)!.add(layer.bypass!(gi));
    } else {
      if (layer.parameters) grads.set(layer, layer.parameterGradients!(gi, x));
      signal = propagate ? layer.backward(gi, x, y) : null;
    }
  }
  return signal;
}

/** The blocks of `parts` concatenated in the flat order (zeros for a block with no entry). */
function concatBlocks(net: CurvatureNetwork, parts: Blocks): tf.Tensor {
  return tf.concat(slots(net).flatMap((b) => {
    const ts = parts.get(b.layer);
    return b.tensors.map((t, j) => (ts?.[j] ?? tf.zeros(t.shape)).reshape([-1]));
  }));
}

/** Forward and backward pass recording the chunk state (see ChunkState). Call inside tf.tidy (or keep the result); the layers' modes set by the caller. */
function chunkState(net: CurvatureNetwork, x: tf.Tensor, y: tf.Tensor, total: number, loss: CurvatureLoss): ChunkState {
  const seq = forwardState(net.layers, x);
  const z = seq.xs[seq.xs.length - 1];
  let lossSum: tf.Scalar;
  let g: tf.Tensor;
  let p: tf.Tensor | null = null;
  let hz: tf.Tensor | null = null;
  if (loss === 'mse') {
    const diff = z.sub(y);
    lossSum = diff.square().sum().div(2) as tf.Scalar;
    g = diff.div(total);
  } else if (loss === 'poisson') {
    // As lib/rules poisson.ts (same small-z limits): r = softplus z, log r -> z and q = s / r -> 1 below z = -20.
    const r = tf.relu(z).add(tf.log1p(tf.exp(tf.abs(z).neg())));
    const small = z.less(-20);
    const logR = tf.where(small, z, tf.log(r));
    const s = tf.sigmoid(z);
    const q = tf.where(small, tf.onesLike(z), s.div(r));
    lossSum = r.sub(y.mul(logR)).sum() as tf.Scalar;
    g = s.sub(y.mul(q)).div(total);
    const oneMinus = tf.sub(1, s);
    hz = s.mul(oneMinus).sub(y.mul(q).mul(oneMinus)).add(y.mul(q.square()));
  } else {
    const logp = tf.logSoftmax(z as tf.Tensor2D);
    lossSum = logp.mul(y).sum().neg() as tf.Scalar;
    p = logp.exp();
    g = p.sub(y).div(total);
  }
  const lowest = net.layers.findIndex(holdsParameters);
  const grads: Blocks = new Map();
  backwardState(seq, g, grads, lowest, false);
  return { ...seq, p, hz, lossSum, gradient: concatBlocks(net, grads), total, loss, lowest };
}

/** Every tensor a state owns (its xs[0] is the caller's, or the holder's input). */
function stateTensors(s: SequenceState): tf.Tensor[] {
  const own = [...s.xs.slice(1), ...s.gOut, ...s.d1, ...s.d2g].filter((t): t is tf.Tensor => t != null);
  return [...own, ...s.inner.flatMap((t) => (t ? stateTensors(t) : []))];
}

function chunkTensors(s: ChunkState): tf.Tensor[] {
  return [...stateTensors(s), s.p, s.hz, s.lossSum, s.gradient].filter((t): t is tf.Tensor => t != null);
}

function keepState(s: ChunkState): ChunkState {
  chunkTensors(s).forEach((t) => tf.keep(t));
  return s;
}

function disposeState(s: ChunkState): void {
  tf.dispose(chunkTensors(s));
}

/** Tangents R{x_i} of a sequence (rx[L] the output's) and of its bodies. */
interface Tangents {
  rx: (tf.Tensor | null)[];
  inner: (Tangents | null)[];
}

const tangentOf = (ts: tf.Tensor[] | undefined) => (ts ? { weight: ts[0], bias: ts[1] } : undefined);

function rForward(s: SequenceState, r0: tf.Tensor | null, dir: Blocks): Tangents {
  const rx: (tf.Tensor | null)[] = [r0];
  const inner: (Tangents | null)[] = [];
  s.layers.forEach((layer, i) => {
    const x = s.xs[i];
    const y = s.xs[i + 1];
    const rIn = rx[i];
    const v = dir.get(layer);
    inner.push(null);
    if (layer.body) {
      const sub = rForward(s.inner[i]!, rIn, dir);
      inner[i] = sub;
      const rb = sub.rx[sub.rx.length - 1];
      rx.push(rb || rIn ? layer.mergeBody!(rb ?? tf.zerosLike(y), rIn ?? tf.zerosLike(x)) : null);
    } else if (!rIn && !v) {
      rx.push(null);
    } else if (isElementwise(layer)) {
      rx.push(rIn!.mul(s.d1[i]!));
    } else {
      rx.push(layer.jvp(x, y, rIn, tangentOf(v)));
    }
  });
  return { rx, inner };
}

/**
 * The second-order terms of a layer's backward pass along (R{x}, V): the gradients in x and in the
 * layer's parameters of psi = <g, jvp(x; R{x}, V)> (see the header), by one first-order tf.variableGrads.
 */
function secondOrder(layer: CurvatureLayer, x: tf.Tensor, y: tf.Tensor, g: tf.Tensor, rIn: tf.Tensor | null, v: tf.Tensor[] | undefined): { dx: tf.Tensor; dp: tf.Tensor[] } {
  const xv = tf.variable(x, true);
  try {
    const params = layer.parameters?.() ?? [];
    const { grads } = tf.variableGrads(() => tf.sum(g.mul(layer.jvp(xv, y, rIn, tangentOf(v)))) as tf.Scalar, [xv, ...params]);
    const dx = grads[xv.name] ?? tf.zerosLike(x);
    return { dx, dp: params.map((p) => grads[p.name] ?? tf.zerosLike(p)) };
  } finally {
    xv.dispose();
  }
}

/**
 * R backward from R{g} at a sequence's output, writing each layer's block of (H or G) v into `out`;
 * the same `stop` and `needInput` as backwardState.
 */
function rBackward(s: SequenceState, t: Tangents, rg0: tf.Tensor, dir: Blocks, full: boolean, out: Blocks, stop: number, needInput: boolean): tf.Tensor | null {
  let rg: tf.Tensor | null = rg0;
  for (let i = s.layers.length - 1; i >= stop; i--) {
    const layer = s.layers[i];
    const x = s.xs[i];
    const y = s.xs[i + 1];
    const g = s.gOut[i]!;
    const rIn = t.rx[i];
    const v = dir.get(layer);
    const r: tf.Tensor = rg!;
    const propagate = i > stop || needInput;
    if (isParam(layer)) {
      let hw = layer.kernelGradient!(x, r);
      if (full && rIn) hw = hw.add(layer.kernelGradient!(rIn, g));
      out.set(layer, [hw, ...(layer.bias ? [layer.biasGradient!(r)] : [])]);
      if (propagate) {
        let next = layer.inputAdjoint!(r, layer.weight!);
        if (full) next = next.add(layer.inputAdjoint!(g, v![0]));
        rg = next;
      } else rg = null;
    } else if (isElementwise(layer)) {
      let next = r.mul(s.d1[i]!);
      if (full && rIn) next = next.add(s.d2g[i]!.mul(rIn));
      rg = next;
    } else if (layer.body) {
      rg = rBackward(s.inner[i]!, t.inner[i]!, r, dir, full, out, 0, true)!.add(layer.bypass!(r));
    } else if (LINEAR_KINDS.includes(layer.kind)) {
      rg = propagate ? layer.backward(r, x, y) : null;
    } else {
      // batch norm, layer norm, attention: first-order part J^T R{g}, plus the second-order part in the Hessian.
      const second = full && (rIn || v) ? secondOrder(layer, x, y, g, rIn, v) : null;
      if (layer.parameters) {
        const first = layer.parameterGradients!(r, x);
        out.set(layer, second ? first.map((f, j) => f.add(second.dp[j])) : first);
      }
      if (propagate) {
        const first = layer.backward(r, x, y);
        rg = second ? first.add(second.dx) : first;
      } else rg = null;
    }
  }
  return rg;
}

/**
 * R forward and R backward through a chunk state: the flat product
 * (H or G) v for this chunk. Call inside tf.tidy.
 */
function rPass(net: CurvatureNetwork, s: ChunkState, dir: Blocks, kind: 'hessian' | 'gauss-newton'): tf.Tensor {
  const t = rForward(s, null, dir);
  const rz = t.rx[t.rx.length - 1]!;
  let rg: tf.Tensor;
  if (s.loss === 'mse') rg = rz.div(s.total);
  else if (s.loss === 'poisson') rg = s.hz!.mul(rz).div(s.total);
  else {
    // p * (Rz - <p, Rz>) with the row sums spread by a rank-1 product: the [N, 1] x [N, C]
    // broadcast multiply is a slow generic loop on the cpu-derived backends (10-17 ms at N = 4096).
    const rowSums = s.p!.mul(rz).sum(1, true);
    const spread = tf.matMul(rowSums as tf.Tensor2D, tf.ones([1, rz.shape[1]!]) as tf.Tensor2D);
    rg = s.p!.mul(rz.sub(spread)).div(s.total);
  }
  const out: Blocks = new Map();
  rBackward(s, t, rg, dir, kind === 'hessian', out, s.lowest, false);
  return concatBlocks(net, out);
}

/** A flat vector as blocks keyed by layer (tensors the caller disposes). */
function directionBlocks(net: CurvatureNetwork, v: ArrayLike<number>): Blocks {
  const parts = splitParameters(net, v, 'v');
  return new Map(slots(net).map((b, k) => [b.layer, parts[k]]));
}

function checkedOptions(net: CurvatureNetwork, options: ProductOptions): { loss: CurvatureLoss; batchSize: number; fused: boolean; batchStatistics: boolean } {
  const loss = checkOneOf('loss', options.loss ?? net.loss ?? 'cross-entropy', ['cross-entropy', 'mse', 'poisson']);
  const batchSize = checkInteger('batchSize', options.batchSize ?? 1024, 1);
  const fused = options.fused ?? true;
  if (typeof fused !== 'boolean') throw new ArgumentError('fused', 'true or false', describe(fused));
  const batchStatistics = options.batchStatistics ?? true;
  if (typeof batchStatistics !== 'boolean') throw new ArgumentError('batchStatistics', 'true or false', describe(batchStatistics));
  return { loss, batchSize, fused, batchStatistics };
}

/** Every variable the products read: the parameters, then state such as batch norm's running statistics. */
function watchedVariables(net: CurvatureNetwork): tf.Variable[] {
  const params = slots(net).flatMap((b) => b.tensors);
  const seen = new Set(params);
  const state = nestedLayers(net.layers).flatMap((l) => Object.values(l.stateVariables?.() ?? {})).filter((t) => !seen.has(t));
  return [...params, ...state];
}

/** Identity of every watched tensor's storage: tf.Variable.assign swaps it, so a change means new parameters. */
function parameterIdentity(net: CurvatureNetwork): unknown[] {
  return watchedVariables(net).map((t) => t.dataId);
}

/**
 * Whether the watched variables still hold the values in `snapshot` (written there when `write`). Training
 * that updates weights in place (lib/rules' fused path) keeps their storage, which identity alone
 * would miss; one pass over D floats, well under 1% of a product.
 */
function sameParameterValues(net: CurvatureNetwork, snapshot: Float32Array, write: boolean): boolean {
  // Bit patterns compared as bytes: exact (NaN, -0).
  let o = 0;
  for (const t of watchedVariables(net)) {
    const d = t.dataSync() as Float32Array;
    if (write) snapshot.set(d, o);
    // Buffer.equals compares bytes (memcmp): ~0.1 ms for 200,000 floats where a typed-array loop took ~0.5.
    else if (!Buffer.from(d.buffer, d.byteOffset, d.byteLength).equals(Buffer.from(snapshot.buffer, snapshot.byteOffset + 4 * o, d.byteLength))) return false;
    o += d.length;
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
  /** Which path the products take: 'fused', or 'tensor: <why not fused>'. */
  readonly path: string;
  /** Batch norm's statistics: the chunk's (true) or the running ones (false); see ProductOptions. */
  readonly batchStatistics: boolean;
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
    this.batchStatistics = o.batchStatistics;
    // The fused native code knows dense layers, four activations, and the cross-entropy and MSE output curvatures.
    const plan = !o.fused ? 'fused: false' : o.loss === 'poisson' ? 'the poisson loss (the fused code has no softplus curvature)' : densePlan(net);
    this.plan = typeof plan === 'string' ? null : plan;
    this.path = typeof plan === 'string' ? `tensor: ${plan}` : 'fused';
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
      setModes(this.net, this.batchStatistics);
      this.states = this.slices.map(({ x, y }) => {
        let st: ChunkState | null = null;
        tf.tidy(() => {
          st = keepState(chunkState(this.net, x, y, this.rows, this.loss));
        });
        return st!;
      });
      this.identity = id;
      this.snapshot ??= new Float32Array(watchedVariables(this.net).reduce((a, t) => a + t.size, 0));
      sameParameterValues(this.net, this.snapshot, true);
    }
    return this.states!;
  }

  private release(): void {
    this.states?.forEach(disposeState);
    this.states = null;
  }

  /**
   * Mean loss and gradient over the data. With `updateStatistics`, batch norm's running statistics then move as
   * Network.trainStep moves them for a training batch equal to the data, from this pass's layer inputs (no second
   * forward pass): for training loops outside Network (probes.ts). It needs batch statistics and a single chunk.
   */
  lossAndGradient(options: { updateStatistics?: boolean } = {}): { loss: number; gradient: Float64Array } {
    const update = options.updateStatistics ?? false;
    if (typeof update !== 'boolean') throw new ArgumentError('updateStatistics', 'true or false', describe(update));
    const states = this.state();
    if (update && keepsRunningStatistics(this.net)) {
      if (!this.batchStatistics) throw new ArgumentError('updateStatistics', 'batchStatistics: true (running statistics move from batch statistics)', 'batchStatistics: false');
      if (states.length !== 1) throw new ArgumentError('updateStatistics', `the data in one chunk (batchSize >= ${this.rows} rows)`, `batchSize ${this.batchSize}`);
      tf.tidy(() => moveRunningStatistics(states[0]));
    }
    const grad = new Float64Array(this.dim);
    let lossSum = 0;
    for (const s of states) {
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
    setModes(this.net, this.batchStatistics);
    const t = tf.tidy(() => {
      const dir = directionBlocks(this.net, v);
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
export function lossAndGradient(net: CurvatureNetwork, data: DataInput, options: ProductOptions & { updateStatistics?: boolean } = {}): { loss: number; gradient: Float64Array } {
  const c = new Curvature(net, data, options);
  try {
    return c.lossAndGradient({ updateStatistics: options.updateStatistics });
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
  // One row has no batch statistics: batch norm takes its running ones here.
  setModes(net, false);
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
