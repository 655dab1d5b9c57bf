/**
 * The base of every recurrent cell, and the pieces the cells share. A cell is
 * a discrete-time map h' = F(h, x) and owns, in its own file:
 *   - `step` on tfjs tensors (float32, batched, differentiable) for training
 *     by autodiff and for user-level analysis,
 *   - `stepF64` on plain Float64Array: an independent float64 reference of the
 *     same map (q and the Jacobians without float32 rounding),
 *   - `jacobianF64`: dF/dh and dF/dx written out in closed form,
 *   - `qGradKernel`: the fused float32 kernel of the fixed-point search, q and
 *     the gradient of mean(q), (1/N) (J^T d - d) with d = F(x) - x, written out
 *     on Float32Arrays (matrix products through lib/core's gemm, element-wise
 *     stages through lib/core's rnnElementwise),
 *   - `bpttForward` / `bpttBackward`: one step of backpropagation through time
 *     on Float32Arrays, used by `fusedLossAndGradients`.
 * Batched tensors are row vectors: h is [batch, stateSize], x is [batch, inputSize].
 * Cells are registered by kind in ./table.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng, gemm } from '../../core';
import type { DynamicalSystem, QGradKernel } from '../system';
import { ownedVariable } from '../variables';
import type { CellKind } from './table';

export interface CellOptions {
  /** Number of units (LSTM: the state holds 2 * units numbers). */
  units: number;
  inputSize: number;
  /** Seed of the weight initialisation. */
  seed: number;
  /** Scale of the recurrent weights: entries N(0, (g^2)/units) (default 1). */
  recurrentScale?: number;
  /** Scale of the input weights: entries N(0, (s^2)/inputSize) (default 1). */
  inputScale?: number;
  /** LSTM forget-gate bias added inside the sigmoid (default 1); UGRNN gate bias (default 1); GRU update-gate bias init (default 1). */
  gateBias?: number;
}

export interface CellJSON {
  kind: CellKind;
  units: number;
  inputSize: number;
  gateBias: number;
  params: Record<string, { shape: number[]; values: number[] }>;
}

export interface Jacobians {
  /** dF/dh, row-major [stateSize x stateSize]. */
  dState: Float64Array;
  /** dF/dx, row-major [stateSize x inputSize]. */
  dInput: Float64Array;
}

/** Parameters (or their gradients) by variable name, as flat float32 arrays. */
export type ParamArrays = Record<string, Float32Array>;

/** What a BPTT forward step keeps for its backward step. */
export interface BpttStep {
  /** Next state [B x stateSize]. */
  h: Float32Array;
  /** Intermediate values the backward step needs (cell-specific). */
  cache: Float32Array[];
}

/** The arguments of one BPTT backward step. */
export interface BpttBackward {
  /** Gradient of the loss with respect to the next state [B x stateSize]. */
  gNext: Float32Array;
  /** State before and after the step, the step's input [B x inputSize] and the forward cache. */
  h: Float32Array;
  hNext: Float32Array;
  x: Float32Array;
  cache: Float32Array[];
}

/** y[j] += sum_i v[i] W[i, c0 + j] for j < len, W row-major [rows, cols]. */
export function rowTimes(v: ArrayLike<number>, W: Float64Array, rows: number, cols: number, c0: number, len: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    const base = i * cols + c0;
    for (let j = 0; j < len; j++) out[j] += vi * W[base + j];
  }
}

/**
 * Base class: owns the tf.Variables, their float64 copies (refreshed lazily
 * when the variables change), and serialisation.
 */
export abstract class RecurrentCell implements DynamicalSystem {
  abstract readonly kind: CellKind;
  readonly units: number;
  readonly inputSize: number;
  readonly gateBias: number;
  /** Trainable parameters by name. */
  readonly params: Record<string, tf.Variable>;
  private f64: Record<string, Float64Array> | null = null;

  protected constructor(units: number, inputSize: number, gateBias: number, params: Record<string, tf.Variable>) {
    this.units = units;
    this.inputSize = inputSize;
    this.gateBias = gateBias;
    this.params = params;
  }

  /** Size of the state vector (units, or 2 * units for the LSTM). */
  get stateSize(): number {
    return this.units;
  }

  /** The part of the state a readout sees ([B, stateSize] -> [B, units]). */
  hidden(state: tf.Tensor2D): tf.Tensor2D {
    return state;
  }

  /** Index range of the hidden part inside the state vector. */
  get hiddenOffset(): number {
    return 0;
  }

  abstract step(state: tf.Tensor2D, input: tf.Tensor2D): tf.Tensor2D;
  abstract stepF64(state: Float64Array, input: Float64Array): Float64Array;
  abstract jacobianF64(state: Float64Array, input: Float64Array): Jacobians;
  abstract qGradKernel(u: Float32Array, N: number): QGradKernel;
  /** One forward step of BPTT on a batch of B states h with inputs x; P holds the parameters by name. */
  abstract bpttForward(P: ParamArrays, h: Float32Array, x: Float32Array, B: number): BpttStep;
  /** The matching backward step: adds the parameter gradients into G and returns the gradient with respect to the state before the step. */
  abstract bpttBackward(P: ParamArrays, G: ParamArrays, step: BpttBackward, B: number): Float32Array;

  /** Float64 copies of the parameters (call `invalidate()` after changing the variables). */
  protected p64(): Record<string, Float64Array> {
    if (!this.f64) {
      // Gate blocks are stored as separate variables "W.0", "W.1", ...; the float64
      // code works on the combined row-major matrices [rows, blocks * n].
      const groups = new Map<string, { k: number; v: tf.Variable }[]>();
      for (const [key, v] of Object.entries(this.params)) {
        const m = /^(.*)\.(\d+)$/.exec(key);
        const name = m ? m[1] : key;
        const list = groups.get(name) ?? [];
        list.push({ k: m ? Number(m[2]) : 0, v });
        groups.set(name, list);
      }
      const out: Record<string, Float64Array> = {};
      for (const [name, list] of groups) {
        list.sort((a, b) => a.k - b.k);
        const rows = list[0].v.rank === 1 ? 1 : list[0].v.shape[0];
        const widths = list.map((e) => e.v.shape[e.v.rank - 1]);
        const total = widths.reduce((a, b) => a + b, 0);
        const arr = new Float64Array(rows * total);
        let c0 = 0;
        list.forEach((e, i) => {
          const d = e.v.dataSync();
          for (let r = 0; r < rows; r++) for (let j = 0; j < widths[i]; j++) arr[r * total + c0 + j] = d[r * widths[i] + j];
          c0 += widths[i];
        });
        out[name] = arr;
      }
      this.f64 = out;
    }
    return this.f64;
  }

  /** Variable `name` (or gate block `k` of it). */
  protected w(name: string, k?: number): tf.Tensor2D {
    const v = this.params[k === undefined ? name : `${name}.${k}`];
    if (!v) throw new Error(`${this.kind} cell: no parameter ${name}${k === undefined ? '' : '.' + k}`);
    return v as unknown as tf.Tensor2D;
  }

  /** Float32 copy of a parameter (or gate block) for the fused kernels. */
  protected f32(name: string, k?: number): Float32Array {
    return Float32Array.from(this.w(name, k).dataSync());
  }

  /** Drops the cached float64 parameters (training calls this after each update). */
  invalidate(): void {
    this.f64 = null;
  }

  checkState(name: string, state: Float64Array, input: Float64Array): void {
    if (state.length !== this.stateSize) throw new ArgumentError(name, `a state of length ${this.stateSize}`, state);
    if (input.length !== this.inputSize) throw new ArgumentError('input', `an input of length ${this.inputSize}`, input);
  }

  toJSON(): CellJSON {
    const params: CellJSON['params'] = {};
    for (const [k, v] of Object.entries(this.params)) params[k] = { shape: v.shape.slice(), values: Array.from(v.dataSync()) };
    return { kind: this.kind, units: this.units, inputSize: this.inputSize, gateBias: this.gateBias, params };
  }

  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/** A trainable float32 variable of the given shape and values. */
export function paramVariable(shape: number[], values: Float32Array | number[]): tf.Variable {
  return ownedVariable(tf.tensor(values, shape, 'float32'), true);
}

/** Variables for every entry of a cell's JSON parameters. */
export function variablesFromJSON(params: CellJSON['params']): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [k, p] of Object.entries(params)) out[k] = paramVariable(p.shape, p.values);
  return out;
}

/**
 * Variables for the gate blocks of a combined matrix [rows, blocks * n]
 * (row-major; `rows` 0 means a bias vector [blocks * n]): "name.0", "name.1", ...
 * Separate variables per gate keep column slices of activations and weights
 * out of the step (slices are slow on tfjs' CPU kernels; matmuls are not).
 */
export function blockVariables(name: string, rows: number, blocks: number, n: number, values: Float32Array): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  const r = Math.max(rows, 1);
  for (let k = 0; k < blocks; k++) {
    const v = new Float32Array(r * n);
    for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) v[i * n + j] = values[i * blocks * n + k * n + j];
    out[`${name}.${k}`] = paramVariable(rows === 0 ? [n] : [rows, n], v);
  }
  return out;
}

/** rows x cols entries N(0, std^2), float32. */
export function normalInit(rng: Rng, rows: number, cols: number, std: number): Float32Array {
  return rng.normalArray(rows * cols, 0, std) as Float32Array;
}

/** Scratch buffers of a fused kernel, reused across iterations (sized for the last batch). */
export class Scratch {
  private bufs = new Map<string, Float32Array>();
  get(name: string, size: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length !== size) {
      b = new Float32Array(size);
      this.bufs.set(name, b);
    }
    return b;
  }
}

/** Input contribution u W + b of each weight block, [N x n] each: constant during a fixed-point search, so computed once. */
export function inputTerms(u: Float32Array, N: number, I: number, n: number, Wx: Float32Array[], b: Float32Array[]): Float32Array[] {
  return Wx.map((W, k) => {
    const out = new Float32Array(N * n);
    for (let i = 0; i < N; i++) out.set(b[k], i * n);
    if (I > 0) gemm(N, n, I, u, W, out, { beta: 1 });
    return out;
  });
}

/** One gate's pre-activation for BPTT: x W + h U + bias ([B x n]; U has hRows rows). */
export function gatePreactivation(B: number, n: number, I: number, x: Float32Array, W: Float32Array, h: Float32Array, U: Float32Array, bias: Float32Array, hRows: number): Float32Array {
  const out = new Float32Array(B * n);
  for (let i = 0; i < B; i++) out.set(bias, i * n);
  if (I > 0) gemm(B, n, I, x, W, out, { beta: 1 });
  gemm(B, n, hRows, h, U, out, { beta: 1 });
  return out;
}

/** Accumulates the gradients of one gate's W (x^T g), U (h^T g) and bias (column sums of g). */
export function accumulateGateGradients(B: number, n: number, I: number, x: Float32Array, h: Float32Array, hRows: number, g: Float32Array, gW: Float32Array, gU: Float32Array, gb: Float32Array): void {
  if (I > 0) gemm(I, n, B, x, g, gW, { transA: true, beta: 1 });
  gemm(hRows, n, B, h, g, gU, { transA: true, beta: 1 });
  for (let i = 0; i < B; i++) for (let j = 0; j < n; j++) gb[j] += g[i * n + j];
}

/**
 * One entry of the cell table (./table.ts): everything the library needs to
 * make a cell of this kind by name. The cell's maths lives on its class.
 */
export interface CellDefinition<K extends string = string> {
  kind: K;
  /** One line: the map F(h, x). */
  description: string;
  /** A freshly initialised cell (options already validated). */
  init(options: CellOptions): RecurrentCell;
  /** A cell around variables restored from `toJSON()` output. */
  restore(json: CellJSON, params: Record<string, tf.Variable>): RecurrentCell;
}
