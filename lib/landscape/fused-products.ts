/**
 * The fused path of the curvature products (products.ts) for dense networks:
 * the R forward and R backward passes of one chunk of rows in one native call
 * (`hvpDense`, native/src/fused_landscape.cc, whose header has the equations),
 * on the same cached forward state as the tensor path, into a workspace
 * allocated once per operator. Same products to float32 rounding; the tensor
 * path dispatched ~40 tfjs ops per product, each allocating its output, and
 * added the two terms of every cross product separately.
 *
 * It applies to networks of the form
 *   [flatten] dense [activation] dense [activation] ... dense
 * (each dense layer on rank-1 examples, at most one activation between two
 * dense layers, the last layer dense) when the add-on has `hvpDense`; any
 * other network (conv, pools, an output activation) and `fused: false` take
 * the tensor path. A layer kind joins by getting its R passes in native code.
 *
 * Sparse input: when at most SPARSE_INPUT_DENSITY of a chunk's input entries
 * are nonzero (MNIST pixels: 19%), its rows are stored once in compressed
 * form and x V for the first layer skips the zeros; x^T R{g} (where a sparse
 * scatter is no faster than the GEMM) runs on the columns of x that hold any
 * nonzero (MNIST: 649 of 784 pixels), stored once compacted when at most
 * KEPT_COLUMNS of them remain. Those two products are over half of an MLP's
 * product FLOPs. Same numbers up to float32 summation order.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeAddon } from '../core';
import type { CurvatureLayer, CurvatureNetwork } from './products';

/** Which layers the fused product reads, fixed per network. */
export interface DensePlan {
  /** Widths s_0 .. s_L. */
  sizes: Int32Array;
  /** 1 where dense layer l has a bias. */
  bias: Int32Array;
  /** Layer index of each dense layer. */
  dense: number[];
  /** Layer index of the activation after dense layer l (l < L - 1), or -1 for none. */
  activation: number[];
  /** Whether that activation has f'' != 0 (tanh, sigmoid): only then does H v carry the f'' g term. */
  curved: boolean[];
}

/** The part of a chunk's cached state the fused product reads (products.ts ChunkState). */
export interface FusedState {
  xs: tf.Tensor[];
  gOut: (tf.Tensor | null)[];
  d1: (tf.Tensor | null)[];
  d2g: (tf.Tensor | null)[];
  p: tf.Tensor | null;
  total: number;
}

/** Largest fraction of nonzero inputs for which the first layer's products go sparse (below ~0.5 they are faster). */
export const SPARSE_INPUT_DENSITY = 0.3;

/** Largest fraction of the first layer's input columns kept for which its x^T R{g} runs on a compacted copy. */
export const KEPT_COLUMNS = 0.9;

const activationName = (l: CurvatureLayer) => (l as { activation?: string }).activation;

/** The fused plan for `net`, or why the network or the add-on does not allow it (then the products take the tensor path). */
export function densePlan(net: CurvatureNetwork): DensePlan | string {
  const addon = nativeAddon();
  if (!addon || typeof addon.hvpDense !== 'function' || typeof addon.hvpDenseWorkspace !== 'function') return 'the native add-on has no hvpDense';
  const dense: number[] = [];
  const activation: number[] = [];
  const curved: boolean[] = [];
  let pending = -1; // activation seen since the last dense layer
  for (let i = 0; i < net.layers.length; i++) {
    const l = net.layers[i];
    if (l.kind === 'flatten' && dense.length === 0) continue;
    if (l.kind === 'dense' && l.weight != null && l.weight.shape.length === 2 && l.outputShape.length === 1) {
      if (dense.length > 0) {
        activation.push(pending);
        curved.push(pending >= 0 && ['tanh', 'sigmoid'].includes(activationName(net.layers[pending]) ?? ''));
      } else if (pending >= 0) return `layers[${pending}]: an activation on the input`;
      dense.push(i);
      pending = -1;
      continue;
    }
    const known = ['relu', 'tanh', 'sigmoid', 'linear'].includes(activationName(l) ?? '');
    if (l.kind === 'activation' && known && typeof l.derivative === 'function' && dense.length > 0 && pending < 0) {
      pending = i;
      continue;
    }
    return `layers[${i}] (${l.kind}${l.kind === 'activation' ? ` ${activationName(l)}` : ''}): the fused code takes [flatten] dense [activation] ... dense on flat rows, activations relu, tanh, sigmoid, linear`;
  }
  if (dense.length === 0 || pending >= 0) return 'a last layer other than dense';
  const weights = dense.map((i) => net.layers[i].weight!);
  const sizes = Int32Array.from([weights[0].shape[0] as number, ...weights.map((w) => w.shape[1] as number)]);
  const bias = Int32Array.from(dense, (i) => (net.layers[i].bias ? 1 : 0));
  return { sizes, bias, dense, activation, curved };
}

/** Floats of workspace a product over `rows` rows needs. */
export function fusedWorkspaceLength(plan: DensePlan, rows: number): number {
  return nativeAddon()!.hvpDenseWorkspace!(rows, plan.sizes, plan.bias);
}

interface StateArrays {
  inputs: Float32Array[];
  grads: Float32Array[];
  d1: (Float32Array | null)[];
  d2g: (Float32Array | null)[];
  p: Float32Array | null;
  weights: Float32Array[];
  /** The first layer's input in compressed rows, when sparse enough. */
  csr: { ptr: Int32Array; col: Int32Array; val: Float32Array } | null;
  /** The first layer's input restricted to its nonzero columns, when few enough remain. */
  compact: { keep: Int32Array; x: Float32Array } | null;
}

/** x [rows, cols] restricted to the columns holding a nonzero, or null when more than KEPT_COLUMNS of them do. */
export function compactColumns(x: Float32Array, rows: number, cols: number): { keep: Int32Array; x: Float32Array } | null {
  const used = new Uint8Array(cols);
  for (let r = 0, o = 0; r < rows; r++) for (let c = 0; c < cols; c++, o++) if (x[o] !== 0) used[c] = 1;
  const keep = Int32Array.from(Array.from(used.keys()).filter((c) => used[c]));
  if (keep.length > KEPT_COLUMNS * cols) return null;
  const out = new Float32Array(rows * keep.length);
  for (let r = 0, o = 0; r < rows; r++) for (const c of keep) out[o++] = x[r * cols + c];
  return { keep, x: out };
}

/** Compressed rows of x [rows, cols], or null when more than SPARSE_INPUT_DENSITY of it is nonzero. */
export function compressedRows(x: Float32Array, rows: number, cols: number): { ptr: Int32Array; col: Int32Array; val: Float32Array } | null {
  let nnz = 0;
  for (let i = 0; i < rows * cols; i++) if (x[i] !== 0) nnz++;
  if (nnz > SPARSE_INPUT_DENSITY * rows * cols) return null;
  const ptr = new Int32Array(rows + 1);
  const col = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0, o = r * cols; c < cols; c++, o++) {
      if (x[o] !== 0) ((col[k] = c), (val[k] = x[o]), k++);
    }
    ptr[r + 1] = k;
  }
  return { ptr, col, val };
}

// The typed arrays behind a state's tensors, read once per state (the state is rebuilt,
// and so re-read, whenever a parameter is assigned; see Curvature.state).
const arraysOf = new WeakMap<FusedState, StateArrays>();

function stateArrays(net: CurvatureNetwork, plan: DensePlan, s: FusedState): StateArrays {
  let a = arraysOf.get(s);
  if (!a) {
    const read = (t: tf.Tensor | null) => (t ? (t.dataSync() as Float32Array) : null);
    const inputs = plan.dense.map((i) => read(s.xs[i])!);
    a = {
      inputs,
      csr: compressedRows(inputs[0], s.xs[0].shape[0], plan.sizes[0]),
      compact: compactColumns(inputs[0], s.xs[0].shape[0], plan.sizes[0]),
      grads: plan.dense.map((i) => read(s.gOut[i])!),
      d1: plan.activation.map((i) => (i >= 0 ? read(s.d1[i]) : null)),
      d2g: plan.activation.map((i, l) => (i >= 0 && plan.curved[l] ? read(s.d2g[i]) : null)),
      p: read(s.p),
      weights: plan.dense.map((i) => net.layers[i].weight!.dataSync() as Float32Array),
    };
    arraysOf.set(s, a);
  }
  return a;
}

/**
 * out += alpha * (H v) (mode 0) or alpha * (G v) (mode 1) over one chunk's
 * rows, v and out flat float64 in products.ts's parameter order. Returns -1,
 * or the index of v's first entry that is not finite or beyond float32
 * range, in which case nothing was computed.
 */
export function fusedChunkProduct(net: CurvatureNetwork, plan: DensePlan, s: FusedState, v: Float64Array, mode: 0 | 1, alpha: number,
  out: Float64Array, work: Float32Array): number {
  const a = stateArrays(net, plan, s);
  const rows = s.xs[0].shape[0];
  return nativeAddon()!.hvpDense!(rows, plan.sizes, plan.bias, a.weights, a.inputs, a.grads, a.d1, a.d2g, a.p, 1 / s.total, mode, v, alpha, out, work,
    a.csr?.ptr ?? null, a.csr?.col ?? null, a.csr?.val ?? null, a.compact?.keep ?? null, a.compact?.x ?? null);
}
