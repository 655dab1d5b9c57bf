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
import { ArgumentError, ProgressOutput, checkInteger, checkOneOf, describe } from '../core';
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
  readonly loss: 'cross-entropy' | 'mse';
}

export type CurvatureLoss = 'cross-entropy' | 'mse';
export type CurvatureKind = 'hessian' | 'gauss-newton' | 'residual';

/** Inputs and targets: x [N, ...inputShape]; y one-hot [N, C] (float) or integer labels [N]. */
export interface Dataset {
  x: tf.Tensor;
  y: tf.Tensor;
}

export interface ProductOptions {
  /** Loss to differentiate (default: the network's own). */
  loss?: CurvatureLoss;
  /** Rows per chunk; products over more rows are batch-size-weighted sums of chunks. Default 1024. */
  batchSize?: number;
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

/** Splits a flat vector into tensors shaped like each layer's weight and bias (caller disposes). */
export function unflattenParameters(net: CurvatureNetwork, flat: ArrayLike<number>, name = 'v'): { weight: tf.Tensor; bias: tf.Tensor | null }[] {
  const d = parameterCount(net);
  if (flat.length !== d) throw new ArgumentError(name, `a vector of length ${d} (the number of parameters)`, describe(flat));
  let o = 0;
  const take = (shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(Float32Array.from({ length: size }, (_, i) => flat[o + i]), shape, 'float32');
    o += size;
    return t;
  };
  return paramLayers(net).map((l) => ({ weight: take(l.weight!.shape), bias: l.bias ? take(l.bias.shape) : null }));
}

/** Writes a flat vector into the network's weights and biases. */
export function setParameters(net: CurvatureNetwork, flat: ArrayLike<number>): void {
  const parts = unflattenParameters(net, flat, 'parameters');
  paramLayers(net).forEach((l, k) => {
    l.weight!.assign(parts[k].weight);
    if (l.bias && parts[k].bias) l.bias.assign(parts[k].bias!);
  });
  parts.forEach((p) => tf.dispose([p.weight, p.bias ?? []].flat()));
}

// ---------------------------------------------------------------- data

interface Prepared {
  x: tf.Tensor;
  /** One-hot (or regression) targets [N, C]. */
  y: tf.Tensor;
  n: number;
  owned: boolean;
}

function prepare(net: CurvatureNetwork, data: Dataset): Prepared {
  if (!data || !(data.x instanceof tf.Tensor) || !(data.y instanceof tf.Tensor)) {
    throw new ArgumentError('data', 'an object {x: tf.Tensor, y: tf.Tensor}', describe(data));
  }
  const { x, y } = data;
  const okX = x.shape.length === net.inputShape.length + 1 && net.inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!okX) throw new ArgumentError('data.x', `shape [N, ${net.inputShape.join(', ')}]`, `[${x.shape.join(', ')}]`);
  const n = x.shape[0];
  if (n < 1) throw new ArgumentError('data.x', 'at least one row', `[${x.shape.join(', ')}]`);
  const c = net.outputSize;
  if (y.shape.length === 1) {
    if (y.shape[0] !== n) throw new ArgumentError('data.y', `${n} labels (one per row of x)`, `[${y.shape.join(', ')}]`);
    const labels = y.dataSync();
    for (let i = 0; i < labels.length; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= c) throw new ArgumentError('data.y', `integer labels in [0, ${c - 1}]`, `${labels[i]} at index ${i}`);
    }
    return { x, y: tf.tidy(() => tf.oneHot(y.toInt(), c).toFloat()), n, owned: true };
  }
  if (y.shape.length !== 2 || y.shape[0] !== n || y.shape[1] !== c) {
    throw new ArgumentError('data.y', `one-hot targets [${n}, ${c}] or labels [${n}]`, `[${y.shape.join(', ')}]`);
  }
  return { x, y, n, owned: false };
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

// ---------------------------------------------------------------- one chunk

/**
 * Loss gradient and (optionally) a curvature product on one chunk; every
 * per-example term is divided by `total` (the rows of the whole data set),
 * so chunk results add up to the batch-size-weighted mean.
 * Returns [gradient?, product?] as flat float32 tensors of length D.
 * Call inside tf.tidy: the intermediates are left to the caller's scope.
 */
function chunkPass(
  net: CurvatureNetwork,
  x: tf.Tensor,
  y: tf.Tensor,
  total: number,
  loss: CurvatureLoss,
  direction: { weight: tf.Tensor; bias: tf.Tensor | null }[] | null,
  kind: 'hessian' | 'gauss-newton',
  wantGradient: boolean,
): { lossSum: tf.Scalar; gradient: tf.Tensor | null; product: tf.Tensor | null } {
  {
    const layers = net.layers;
    const xs: tf.Tensor[] = [x];
    for (const layer of layers) xs.push(layer.forward(xs[xs.length - 1]));
    const z = xs[layers.length];
    const full = kind === 'hessian';

    // R forward: tangent of every layer's input along the parameter direction.
    const rx: (tf.Tensor | null)[] = [null];
    if (direction) {
      let k = 0;
      layers.forEach((layer, i) => {
        if (isParam(layer)) {
          const t = direction[k++];
          rx.push(layer.jvp(xs[i], xs[i + 1], rx[i], { weight: t.weight, bias: t.bias ?? undefined }));
        } else {
          rx.push(rx[i] ? layer.jvp(xs[i], xs[i + 1], rx[i]) : null);
        }
      });
    }

    // Output: loss, g_z and R{g_z} (the loss Hessian in z applied to R{z}).
    let lossSum: tf.Scalar;
    let g: tf.Tensor;
    let rg: tf.Tensor | null = null;
    const rz = direction ? rx[layers.length] : null;
    if (loss === 'mse') {
      const diff = z.sub(y);
      lossSum = diff.square().sum().div(2) as tf.Scalar;
      g = diff.div(total);
      if (rz) rg = rz.div(total);
    } else {
      const logp = tf.logSoftmax(z as tf.Tensor2D);
      lossSum = logp.mul(y).sum().neg() as tf.Scalar;
      const p = logp.exp();
      g = p.sub(y).div(total);
      if (rz) {
        const prz = p.mul(rz);
        rg = prz.sub(p.mul(prz.sum(1, true))).div(total);
      }
    }

    // Backward, carrying g = dL/dx_{i+1} and rg = R{g}.
    const nP = direction ? direction.length : layers.filter(isParam).length;
    const gradParts: tf.Tensor[][] = new Array(nP);
    const prodParts: tf.Tensor[][] = new Array(nP);
    let k = nP - 1;
    const firstParam = layers.findIndex(isParam);
    for (let i = layers.length - 1; i >= firstParam; i--) {
      const layer = layers[i];
      const input = xs[i];
      const output = xs[i + 1];
      const rIn = rx[i] ?? null;
      if (isParam(layer)) {
        if (wantGradient) {
          gradParts[k] = [layer.kernelGradient!(input, g).reshape([-1])];
          if (layer.bias) gradParts[k].push(layer.biasGradient!(g).reshape([-1]));
        }
        if (direction && rg) {
          let hw = layer.kernelGradient!(input, rg);
          if (full && rIn) hw = hw.add(layer.kernelGradient!(rIn, g));
          prodParts[k] = [hw.reshape([-1])];
          if (layer.bias) prodParts[k].push(layer.biasGradient!(rg).reshape([-1]));
        }
        if (i > firstParam) {
          const w = layer.weight!;
          if (direction && rg) {
            let nextRg = layer.inputAdjoint!(rg, w);
            if (full) nextRg = nextRg.add(layer.inputAdjoint!(g, direction[k].weight));
            rg = nextRg;
          }
          g = layer.inputAdjoint!(g, w);
        }
        k--;
      } else if (layer.kind === 'activation' && layer.derivative) {
        const d1 = layer.derivative(input, output);
        if (direction && rg) {
          let nextRg = rg.mul(d1);
          if (full && rIn) nextRg = nextRg.add(layer.secondDerivative!(input, output).mul(rIn).mul(g));
          rg = nextRg;
        }
        g = g.mul(d1);
      } else {
        // flatten, avg pool: linear; max pool: linear with the routing fixed at x (its second derivative is 0 a.e.).
        if (direction && rg) rg = layer.backward(rg, input, output);
        g = layer.backward(g, input, output);
      }
    }
    const gradient = wantGradient ? tf.concat(gradParts.flat()) : null;
    const product = direction ? tf.concat(prodParts.flat()) : null;
    return { lossSum, gradient, product };
  }
}

function checkedOptions(net: CurvatureNetwork, options: ProductOptions): { loss: CurvatureLoss; batchSize: number } {
  const loss = checkOneOf('loss', options.loss ?? net.loss ?? 'cross-entropy', ['cross-entropy', 'mse']);
  const batchSize = checkInteger('batchSize', options.batchSize ?? 1024, 1);
  return { loss, batchSize };
}

// ---------------------------------------------------------------- public products

/** Mean loss and its gradient over the data set (batch-size-weighted over chunks). */
export function lossAndGradient(net: CurvatureNetwork, data: Dataset, options: ProductOptions = {}): { loss: number; gradient: Float64Array } {
  checkNetwork(net);
  const { loss, batchSize } = checkedOptions(net, options);
  const p = prepare(net, data);
  try {
    const grad = new Float64Array(parameterCount(net));
    let lossSum = 0;
    for (const [s, m] of chunks(p.n, batchSize)) {
      const r = tf.tidy(() => {
        const out = chunkPass(net, sliceRows(p.x, s, m), sliceRows(p.y, s, m), p.n, loss, null, 'hessian', true);
        return [out.lossSum, out.gradient!];
      });
      lossSum += r[0].dataSync()[0];
      const gd = r[1].dataSync();
      for (let i = 0; i < grad.length; i++) grad[i] += gd[i];
      tf.dispose(r);
    }
    return { loss: lossSum / p.n, gradient: grad };
  } finally {
    if (p.owned) p.y.dispose();
  }
}

/**
 * One curvature-vector product over the data set: 'hessian' H v,
 * 'gauss-newton' G v, or 'residual' (H - G) v (two passes).
 */
export function curvatureProduct(net: CurvatureNetwork, data: Dataset, v: ArrayLike<number>, kind: CurvatureKind = 'hessian', options: ProductOptions = {}): Float64Array {
  checkNetwork(net);
  checkOneOf('kind', kind, ['hessian', 'gauss-newton', 'residual']);
  const { loss, batchSize } = checkedOptions(net, options);
  const d = parameterCount(net);
  if (v == null || v.length !== d) throw new ArgumentError('v', `a vector of length ${d} (the number of parameters)`, describe(v));
  const p = prepare(net, data);
  const dir = unflattenParameters(net, v);
  try {
    const out = new Float64Array(d);
    const passes: ['hessian' | 'gauss-newton', number][] = kind === 'residual' ? [['hessian', 1], ['gauss-newton', -1]] : [[kind, 1]];
    for (const [k, sign] of passes) {
      for (const [s, m] of chunks(p.n, batchSize)) {
        const t = tf.tidy(() => {
          const r = chunkPass(net, sliceRows(p.x, s, m), sliceRows(p.y, s, m), p.n, loss, dir, k, false);
          return r.product!;
        });
        const pd = t.dataSync();
        for (let i = 0; i < d; i++) out[i] += sign * pd[i];
        t.dispose();
      }
    }
    return out;
  } finally {
    dir.forEach((t) => tf.dispose([t.weight, t.bias ?? []].flat()));
    if (p.owned) p.y.dispose();
  }
}

/** Convenience: H v. */
export function hessianVectorProduct(net: CurvatureNetwork, data: Dataset, v: ArrayLike<number>, options: ProductOptions = {}): Float64Array {
  return curvatureProduct(net, data, v, 'hessian', options);
}

/** Convenience: G v (generalised Gauss-Newton). */
export function gaussNewtonVectorProduct(net: CurvatureNetwork, data: Dataset, v: ArrayLike<number>, options: ProductOptions = {}): Float64Array {
  return curvatureProduct(net, data, v, 'gauss-newton', options);
}

/** A curvature operator with a product counter, for the estimators of spectrum.ts. */
export interface CurvatureOperator extends LinearOperator {
  readonly kind: CurvatureKind;
  /** Products applied so far ('residual' counts 1 per application). */
  products: number;
  /** Total milliseconds spent in `apply`. */
  milliseconds: number;
}

/**
 * The Hessian (or G, or H - G) of the mean loss over `data` at the
 * network's current parameters, as a LinearOperator of dimension D. The
 * data are fixed for the operator's lifetime (keep the batch fixed across a
 * Krylov run); the network's parameters are read at every product.
 */
export function curvatureOperator(net: CurvatureNetwork, data: Dataset, kind: CurvatureKind = 'hessian', options: ProductOptions & { progress?: ProgressOutput } = {}): CurvatureOperator {
  checkNetwork(net);
  checkOneOf('kind', kind, ['hessian', 'gauss-newton', 'residual']);
  checkedOptions(net, options);
  prepare(net, data); // validate now, not at the first product
  const op: CurvatureOperator = {
    dim: parameterCount(net),
    kind,
    name: `${kind} operator`,
    products: 0,
    milliseconds: 0,
    apply(v: Float64Array) {
      const t0 = Date.now();
      const out = curvatureProduct(net, data, v, kind, options);
      op.products++;
      op.milliseconds += Date.now() - t0;
      return out;
    },
  };
  return op;
}

/** Parameter-space gradients of each logit z_c for each example: rows (example n, logit c) -> Float32Array of length D. */
export function logitGradients(net: CurvatureNetwork, x: tf.Tensor, logits?: readonly number[]): { gradients: Float32Array[]; example: number[]; logit: number[] } {
  checkNetwork(net);
  const c = net.outputSize;
  const which = logits ?? Array.from({ length: c }, (_, i) => i);
  which.forEach((l, i) => checkInteger(`logits[${i}]`, l, 0, c - 1));
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
        return chunkPass(net, xi, target, 1, 'mse', null, 'hessian', true).gradient!;
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
