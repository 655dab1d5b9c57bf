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
import { ArgumentError, Rng, gemm, tanh } from '../../core';
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
  /**
   * When given, dL/dx [B x inputSize] is added into it (the gradient that
   * reaches an embedding table; see bptt.ts' sequence classifier).
   */
  gx?: Float32Array;
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

  /** A cell around existing variables (`gateBias` 0 for cells without one). */
  constructor(units: number, inputSize: number, params: Record<string, tf.Variable>, gateBias = 0) {
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

  /**
   * Float64 pre-activations of all gate blocks at once, b + x Wx + h Wh
   * ([blocks * units]), for cells whose gates all read x and h (LSTM, UGRNN).
   */
  protected gatePreactivationsF64(h: Float64Array, x: Float64Array, blocks: number): { pre: Float64Array; Wx: Float64Array; Wh: Float64Array } {
    const { Wx, Wh, b } = this.p64();
    const n = this.units;
    const pre = Float64Array.from(b);
    rowTimes(x, Wx, this.inputSize, blocks * n, 0, blocks * n, pre);
    rowTimes(h, Wh, n, blocks * n, 0, blocks * n, pre);
    return { pre, Wx, Wh };
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

/**
 * What every cell's initialisation shares: the stream seeded by `seed`, the sizes,
 * and the SDs of input weights, inputScale / sqrt(inputSize), and recurrent
 * weights, recurrentScale / sqrt(units).
 */
export function initialisation(o: CellOptions): { rng: Rng; n: number; m: number; inputStd: number; recurrentStd: number } {
  return { rng: new Rng(o.seed), n: o.units, m: o.inputSize, inputStd: (o.inputScale ?? 1) / Math.sqrt(o.inputSize), recurrentStd: (o.recurrentScale ?? 1) / Math.sqrt(o.units) };
}

/** rows x cols entries N(0, std^2), float32. */
export function normalInit(rng: Rng, rows: number, cols: number, std: number): Float32Array {
  return rng.normalArray(rows * cols, 0, std) as Float32Array;
}

/** Pre-activations x Wx.k + h U.k + b.k of gates k < blocks for BPTT ([B x n] each); `U` names the recurrent blocks. */
export function gatesForward(P: ParamArrays, U: string, blocks: number, B: number, n: number, I: number, x: Float32Array, h: Float32Array): Float32Array[] {
  return Array.from({ length: blocks }, (_, k) => gatePreactivation(B, n, I, x, P[`Wx.${k}`], h, P[`${U}.${k}`], P[`b.${k}`], n));
}

/**
 * Backward through gate pre-activations p_k = x Wx.k + h U.k + b.k given their
 * gradients gs[k]: accumulates the gradients of Wx.k, U.k and b.k into G and
 * adds gs[k] U.k^T into gh (and gs[k] Wx.k^T into gx when given), gate after
 * gate. `U` names the recurrent blocks ('Wh', 'Whzr').
 */
export function gatesBackward(P: ParamArrays, G: ParamArrays, U: string, gs: readonly Float32Array[], B: number, n: number, I: number, x: Float32Array, h: Float32Array, gh: Float32Array, gx?: Float32Array): void {
  gs.forEach((g, k) => {
    accumulateGateGradients(B, n, I, x, h, n, g, G[`Wx.${k}`], G[`${U}.${k}`], G[`b.${k}`]);
    gemm(B, n, n, g, P[`${U}.${k}`], gh, { transB: true, beta: 1 });
    if (gx) inputGradient(B, n, I, g, P[`Wx.${k}`], gx);
  });
}

/** gx += g W^T: the gradient reaching the input x [B x I] through a pre-activation x W (W [I x n], g [B x n]). */
export function inputGradient(B: number, n: number, I: number, g: Float32Array, W: Float32Array, gx: Float32Array): void {
  if (I > 0) gemm(B, I, n, g, W, gx, { transB: true, beta: 1 });
}

/** The table entry of a cell class: its kind, one line, and how to make and restore it. */
export function defineCell<K extends string>(
  kind: K, description: string,
  cls: { new (units: number, inputSize: number, params: Record<string, tf.Variable>, gateBias?: number): RecurrentCell; init(options: CellOptions): RecurrentCell },
): CellDefinition<K> {
  return { kind, description, init: (o) => cls.init(o), restore: (json, params) => new cls(json.units, json.inputSize, params, json.gateBias) };
}

/**
 * The gate blocks of a cell whose every gate reads x and h through its own
 * block: "Wx.k" [inputSize, n] ~ N(0, inputScale^2 / inputSize), then "Wh.k"
 * [n, n] ~ N(0, recurrentScale^2 / n), "b.k" = 0, for k < blocks (LSTM, UGRNN).
 */
export function gateBlockVariables(o: CellOptions, blocks: number): Record<string, tf.Variable> {
  const { rng, n, m, inputStd, recurrentStd } = initialisation(o);
  return {
    ...blockVariables('Wx', m, blocks, n, normalInit(rng, m, blocks * n, inputStd)),
    ...blockVariables('Wh', n, blocks, n, normalInit(rng, n, blocks * n, recurrentStd)),
    ...blockVariables('b', 0, blocks, n, new Float32Array(blocks * n)),
  };
}

/** Forward of a gated blend (GRU, UGRNN): c = tanh(pc) in place (the cache keeps it), h' = c + z (h - c). */
export function blendForward(h: Float32Array, z: Float32Array, c: Float32Array): Float32Array {
  const out = new Float32Array(c.length);
  for (let k = 0; k < c.length; k++) {
    c[k] = tanh(c[k]);
    out[k] = c[k] + z[k] * (h[k] - c[k]);
  }
  return out;
}

/**
 * BPTT through a gated blend h' = c + z (h - c) with z = sigmoid(pz), c = tanh(pc)
 * (GRU, UGRNN): from dL/dh' the direct term dL/dh = dL/dh' z and the
 * gradients of the two pre-activations pz and pc.
 */
export function blendBackward(gNext: Float32Array, h: Float32Array, z: Float32Array, c: Float32Array): { gh: Float32Array; gGate: Float32Array; gCandidate: Float32Array } {
  const gh = new Float32Array(gNext.length);
  const gGate = new Float32Array(gNext.length);
  const gCandidate = new Float32Array(gNext.length);
  for (let k = 0; k < gh.length; k++) {
    gh[k] = gNext[k] * z[k];
    gGate[k] = gNext[k] * (h[k] - c[k]) * z[k] * (1 - z[k]);
    gCandidate[k] = gNext[k] * (1 - z[k]) * (1 - c[k] * c[k]);
  }
  return { gh, gGate, gCandidate };
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
