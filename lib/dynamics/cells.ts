/**
 * Recurrent cells behind one interface. Every cell is a discrete-time map
 * h' = F(h, x) with
 *   - `step` on tfjs tensors (float32, batched, differentiable) for training
 *     and the fixed-point search,
 *   - `stepF64` on plain Float64Array: an independent float64 reference of the
 *     same map (used to evaluate q and the Jacobians without float32 rounding),
 *   - `jacobianF64`: dF/dh and dF/dx written out in closed form.
 * Batched tensors are row vectors: h is [batch, stateSize], x is [batch, inputSize].
 * LSTM state is [c, h] concatenated (size 2 * units), as FixedPointFinder does.
 */
import * as tf from '@tensorflow/tfjs';
import { ownedVariable } from './variables';
import { QGradKernel, gruKernel, lstmKernel, ugrnnKernel, vanillaKernel } from './fused';
import { ArgumentError, Rng, checkInteger, checkNumber, checkOneOf } from '../core';

export type CellKind = 'vanilla' | 'gru' | 'lstm' | 'ugrnn';
export const CELL_KINDS: readonly CellKind[] = ['vanilla', 'gru', 'lstm', 'ugrnn'];

/** Anything the fixed-point finder can analyse: a map of state and input. */
export interface DynamicalSystem {
  readonly stateSize: number;
  readonly inputSize: number;
  /** One step on a batch: state [B, stateSize], input [B, inputSize] -> next state [B, stateSize]. */
  step(state: tf.Tensor2D, input: tf.Tensor2D): tf.Tensor2D;
  /** Optional float64 reference of the same map, for one state. */
  stepF64?(state: Float64Array, input: Float64Array): Float64Array;
  /** Optional closed-form Jacobians (row-major, [stateSize x stateSize] and [stateSize x inputSize]). */
  jacobianF64?(state: Float64Array, input: Float64Array): { dState: Float64Array; dInput: Float64Array };
  /**
   * Optional fused float32 kernel for the fixed-point search: for N states with
   * inputs u [N x inputSize] held fixed, returns a function filling q [N] and
   * the gradient of mean(q) [N x stateSize] for states x.
   */
  qGradKernel?(u: Float32Array, N: number): QGradKernel;
}

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
  /** LSTM forget-gate bias added inside the sigmoid (default 1); UGRNN gate bias (default 1). */
  gateBias?: number;
}

export interface CellJSON {
  kind: CellKind;
  units: number;
  inputSize: number;
  gateBias: number;
  params: Record<string, { shape: number[]; values: number[] }>;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** y[j] = sum_i v[i] W[i, j] + b[j] (+ into out), W row-major [rows, cols], only columns [c0, c0+len). */
function rowTimes(v: ArrayLike<number>, W: Float64Array, rows: number, cols: number, c0: number, len: number, out: Float64Array): void {
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
  abstract jacobianF64(state: Float64Array, input: Float64Array): { dState: Float64Array; dInput: Float64Array };
  abstract qGradKernel(u: Float32Array, N: number): QGradKernel;

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

function makeVar(name: string, shape: number[], values: Float32Array | number[]): tf.Variable {
  // tfjs names variables uniquely itself; `name` is kept for readability of the call sites.
  void name;
  return ownedVariable(tf.tensor(values, shape, 'float32'), true);
}

/**
 * Variables for the gate blocks of a combined matrix [rows, blocks * n]
 * (row-major; `rows` 0 means a bias vector [blocks * n]): "name.0", "name.1", ...
 * Separate variables per gate keep column slices of activations and weights
 * out of the step (slices are slow on tfjs' CPU kernels; matmuls are not).
 */
function blockVars(name: string, rows: number, blocks: number, n: number, values: Float32Array): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  const r = Math.max(rows, 1);
  for (let k = 0; k < blocks; k++) {
    const v = new Float32Array(r * n);
    for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) v[i * n + j] = values[i * blocks * n + k * n + j];
    out[`${name}.${k}`] = makeVar(`${name}.${k}`, rows === 0 ? [n] : [rows, n], v);
  }
  return out;
}

function normalInit(rng: Rng, rows: number, cols: number, std: number): Float32Array {
  return rng.normalArray(rows * cols, 0, std) as Float32Array;
}

/** Vanilla tanh RNN: h' = tanh(h Wh + x Wx + b). */
export class VanillaCell extends RecurrentCell {
  readonly kind = 'vanilla' as const;
  constructor(units: number, inputSize: number, params: Record<string, tf.Variable>) {
    super(units, inputSize, 0, params);
  }
  static init(o: CellOptions): VanillaCell {
    const rng = new Rng(o.seed);
    const n = o.units;
    const m = o.inputSize;
    return new VanillaCell(n, m, {
      Wh: makeVar('Wh', [n, n], normalInit(rng, n, n, (o.recurrentScale ?? 1) / Math.sqrt(n))),
      Wx: makeVar('Wx', [m, n], normalInit(rng, m, n, (o.inputScale ?? 1) / Math.sqrt(m))),
      b: makeVar('b', [n], new Float32Array(n)),
    });
  }
  step(h: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.tanh(tf.add(tf.add(tf.matMul(h, this.w('Wh')), tf.matMul(x, this.w('Wx'))), this.w('b'))) as tf.Tensor2D);
  }
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    return vanillaKernel(this.f32('Wh'), this.f32('Wx'), this.f32('b'), this.units, this.inputSize, u, N);
  }
  stepF64(h: Float64Array, x: Float64Array): Float64Array {
    this.checkState('state', h, x);
    const { Wh, Wx, b } = this.p64();
    const n = this.units;
    const pre = Float64Array.from(b);
    rowTimes(h, Wh, n, n, 0, n, pre);
    rowTimes(x, Wx, this.inputSize, n, 0, n, pre);
    return pre.map(Math.tanh);
  }
  jacobianF64(h: Float64Array, x: Float64Array): { dState: Float64Array; dInput: Float64Array } {
    const { Wh, Wx } = this.p64();
    const n = this.units;
    const m = this.inputSize;
    const F = this.stepF64(h, x);
    const dState = new Float64Array(n * n);
    const dInput = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      const a = 1 - F[i] * F[i];
      for (let j = 0; j < n; j++) dState[i * n + j] = a * Wh[j * n + i];
      for (let k = 0; k < m; k++) dInput[i * m + k] = a * Wx[k * n + i];
    }
    return { dState, dInput };
  }
}

/**
 * GRU (Cho et al. 2014, the TensorFlow GRUCell form):
 *   z = sigmoid(x Wx_z + h Wh_z + b_z), r = sigmoid(x Wx_r + h Wh_r + b_r),
 *   c = tanh(x Wx_c + (r * h) Whc + b_c),  h' = z * h + (1 - z) * c.
 * Wx is [inputSize, 3n] (blocks z, r, c), Whzr [n, 2n], Whc [n, n], b [3n].
 */
export class GruCell extends RecurrentCell {
  readonly kind = 'gru' as const;
  constructor(units: number, inputSize: number, params: Record<string, tf.Variable>) {
    super(units, inputSize, 0, params);
  }
  static init(o: CellOptions): GruCell {
    const rng = new Rng(o.seed);
    const n = o.units;
    const m = o.inputSize;
    const g = (o.recurrentScale ?? 1) / Math.sqrt(n);
    const bias = new Float32Array(3 * n);
    // Gate biases start at +1 for z so the initial network tends to hold its state.
    for (let i = 0; i < n; i++) bias[i] = o.gateBias ?? 1;
    return new GruCell(n, m, {
      ...blockVars('Wx', m, 3, n, normalInit(rng, m, 3 * n, (o.inputScale ?? 1) / Math.sqrt(m))),
      ...blockVars('Whzr', n, 2, n, normalInit(rng, n, 2 * n, g)),
      Whc: makeVar('Whc', [n, n], normalInit(rng, n, n, g)),
      ...blockVars('b', 0, 3, n, bias),
    });
  }
  step(h: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const gate = (k: number) => tf.add(tf.add(tf.matMul(x, this.w('Wx', k)), tf.matMul(h, this.w('Whzr', k))), this.w('b', k));
      const z = tf.sigmoid(gate(0));
      const r = tf.sigmoid(gate(1));
      const c = tf.tanh(tf.add(tf.add(tf.matMul(x, this.w('Wx', 2)), tf.matMul(tf.mul(r, h), this.w('Whc'))), this.w('b', 2)));
      // h' = c + z * (h - c): one fewer op than z*h + (1-z)*c, same value.
      return tf.add(c, tf.mul(z, tf.sub(h, c))) as tf.Tensor2D;
    });
  }
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    const n = this.units;
    const Whzr = Float32Array.from(this.p64().Whzr);
    return gruKernel(Whzr, this.f32('Whc'), [0, 1, 2].map((k) => this.f32('Wx', k)), [0, 1, 2].map((k) => this.f32('b', k)), n, this.inputSize, u, N);
  }
  private parts(h: Float64Array, x: Float64Array) {
    this.checkState('state', h, x);
    const { Wx, Whzr, Whc, b } = this.p64();
    const n = this.units;
    const m = this.inputSize;
    const zr = Float64Array.from(b.subarray(0, 2 * n));
    rowTimes(x, Wx, m, 3 * n, 0, 2 * n, zr);
    rowTimes(h, Whzr, n, 2 * n, 0, 2 * n, zr);
    const z = zr.subarray(0, n).map(sigmoid);
    const r = zr.subarray(n, 2 * n).map(sigmoid);
    const pc = Float64Array.from(b.subarray(2 * n, 3 * n));
    rowTimes(x, Wx, m, 3 * n, 2 * n, n, pc);
    const rh = r.map((ri, i) => ri * h[i]);
    rowTimes(rh, Whc, n, n, 0, n, pc);
    const c = pc.map(Math.tanh);
    return { z, r, c, Wx, Whzr, Whc };
  }
  stepF64(h: Float64Array, x: Float64Array): Float64Array {
    const { z, c } = this.parts(h, x);
    return z.map((zi, i) => zi * h[i] + (1 - zi) * c[i]);
  }
  jacobianF64(h: Float64Array, x: Float64Array): { dState: Float64Array; dInput: Float64Array } {
    const { z, r, c, Wx, Whzr, Whc } = this.parts(h, x);
    const n = this.units;
    const m = this.inputSize;
    // d pc_i / d h_j = r_j Whc[j,i] + sum_k h_k r_k (1 - r_k) Whr[j,k] Whc[k,i]; same with Wx_r for inputs.
    const dState = new Float64Array(n * n);
    const dInput = new Float64Array(n * m);
    const hr = Float64Array.from(r, (rk, k) => h[k] * rk * (1 - rk));
    for (let i = 0; i < n; i++) {
      const dz = (h[i] - c[i]) * z[i] * (1 - z[i]);
      const dc = (1 - z[i]) * (1 - c[i] * c[i]);
      for (let j = 0; j < n; j++) {
        let dpc = r[j] * Whc[j * n + i];
        for (let k = 0; k < n; k++) dpc += hr[k] * Whzr[j * 2 * n + n + k] * Whc[k * n + i];
        dState[i * n + j] = (i === j ? z[i] : 0) + dz * Whzr[j * 2 * n + i] + dc * dpc;
      }
      for (let q = 0; q < m; q++) {
        let dpc = Wx[q * 3 * n + 2 * n + i];
        for (let k = 0; k < n; k++) dpc += hr[k] * Wx[q * 3 * n + n + k] * Whc[k * n + i];
        dInput[i * m + q] = dz * Wx[q * 3 * n + i] + dc * dpc;
      }
    }
    return { dState, dInput };
  }
}

/**
 * LSTM with state s = [c, h] (2n numbers):
 *   [i, f, g, o] = x Wx + h Wh + b,  c' = sigmoid(f + forgetBias) * c + sigmoid(i) * tanh(g),
 *   h' = sigmoid(o) * tanh(c').  Wx [inputSize, 4n], Wh [n, 4n], b [4n].
 */
export class LstmCell extends RecurrentCell {
  readonly kind = 'lstm' as const;
  constructor(units: number, inputSize: number, gateBias: number, params: Record<string, tf.Variable>) {
    super(units, inputSize, gateBias, params);
  }
  static init(o: CellOptions): LstmCell {
    const rng = new Rng(o.seed);
    const n = o.units;
    const m = o.inputSize;
    return new LstmCell(n, m, o.gateBias ?? 1, {
      ...blockVars('Wx', m, 4, n, normalInit(rng, m, 4 * n, (o.inputScale ?? 1) / Math.sqrt(m))),
      ...blockVars('Wh', n, 4, n, normalInit(rng, n, 4 * n, (o.recurrentScale ?? 1) / Math.sqrt(n))),
      ...blockVars('b', 0, 4, n, new Float32Array(4 * n)),
    });
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
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    const k4 = [0, 1, 2, 3];
    return lstmKernel(Float32Array.from(this.p64().Wh), k4.map((k) => this.f32('Wx', k)), k4.map((k) => this.f32('b', k)), this.gateBias, this.units, this.inputSize, u, N);
  }
  private parts(s: Float64Array, x: Float64Array) {
    this.checkState('state', s, x);
    const { Wx, Wh, b } = this.p64();
    const n = this.units;
    const pre = Float64Array.from(b);
    rowTimes(x, Wx, this.inputSize, 4 * n, 0, 4 * n, pre);
    rowTimes(s.subarray(n), Wh, n, 4 * n, 0, 4 * n, pre);
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
  jacobianF64(s: Float64Array, x: Float64Array): { dState: Float64Array; dInput: Float64Array } {
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
}

/**
 * UGRNN (Collins et al. 2017): u = sigmoid(x Wx_u + h Wh_u + b_u + gateBias),
 * c = tanh(x Wx_c + h Wh_c + b_c), h' = u * h + (1 - u) * c.
 * Wx [inputSize, 2n] (blocks u, c), Wh [n, 2n], b [2n].
 */
export class UgrnnCell extends RecurrentCell {
  readonly kind = 'ugrnn' as const;
  constructor(units: number, inputSize: number, gateBias: number, params: Record<string, tf.Variable>) {
    super(units, inputSize, gateBias, params);
  }
  static init(o: CellOptions): UgrnnCell {
    const rng = new Rng(o.seed);
    const n = o.units;
    const m = o.inputSize;
    return new UgrnnCell(n, m, o.gateBias ?? 1, {
      ...blockVars('Wx', m, 2, n, normalInit(rng, m, 2 * n, (o.inputScale ?? 1) / Math.sqrt(m))),
      ...blockVars('Wh', n, 2, n, normalInit(rng, n, 2 * n, (o.recurrentScale ?? 1) / Math.sqrt(n))),
      ...blockVars('b', 0, 2, n, new Float32Array(2 * n)),
    });
  }
  step(h: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const gate = (k: number) => tf.add(tf.add(tf.matMul(x, this.w('Wx', k)), tf.matMul(h, this.w('Wh', k))), this.w('b', k));
      const u = tf.sigmoid(tf.add(gate(0), this.gateBias));
      const c = tf.tanh(gate(1));
      return tf.add(c, tf.mul(u, tf.sub(h, c))) as tf.Tensor2D;
    });
  }
  qGradKernel(u: Float32Array, N: number): QGradKernel {
    return ugrnnKernel(Float32Array.from(this.p64().Wh), [0, 1].map((k) => this.f32('Wx', k)), [0, 1].map((k) => this.f32('b', k)), this.gateBias, this.units, this.inputSize, u, N);
  }
  private parts(h: Float64Array, x: Float64Array) {
    this.checkState('state', h, x);
    const { Wx, Wh, b } = this.p64();
    const n = this.units;
    const pre = Float64Array.from(b);
    rowTimes(x, Wx, this.inputSize, 2 * n, 0, 2 * n, pre);
    rowTimes(h, Wh, n, 2 * n, 0, 2 * n, pre);
    const u = pre.subarray(0, n).map((v) => sigmoid(v + this.gateBias));
    const c = pre.subarray(n, 2 * n).map(Math.tanh);
    return { u, c, Wx, Wh };
  }
  stepF64(h: Float64Array, x: Float64Array): Float64Array {
    const { u, c } = this.parts(h, x);
    return u.map((ui, i) => ui * h[i] + (1 - ui) * c[i]);
  }
  jacobianF64(h: Float64Array, x: Float64Array): { dState: Float64Array; dInput: Float64Array } {
    const { u, c, Wx, Wh } = this.parts(h, x);
    const n = this.units;
    const m = this.inputSize;
    const dState = new Float64Array(n * n);
    const dInput = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      const du = (h[i] - c[i]) * u[i] * (1 - u[i]);
      const dc = (1 - u[i]) * (1 - c[i] * c[i]);
      for (let j = 0; j < n; j++) dState[i * n + j] = (i === j ? u[i] : 0) + du * Wh[j * 2 * n + i] + dc * Wh[j * 2 * n + n + i];
      for (let q = 0; q < m; q++) dInput[i * m + q] = du * Wx[q * 2 * n + i] + dc * Wx[q * 2 * n + n + i];
    }
    return { dState, dInput };
  }
}

/** Creates a freshly initialised cell of the given kind. */
export function createCell(kind: CellKind, options: CellOptions): RecurrentCell {
  checkOneOf('kind', kind, CELL_KINDS);
  checkInteger('units', options.units, 1);
  checkInteger('inputSize', options.inputSize, 1);
  checkInteger('seed', options.seed, 0, 0xffffffff);
  if (options.recurrentScale !== undefined) checkNumber('recurrentScale', options.recurrentScale, 0);
  if (options.inputScale !== undefined) checkNumber('inputScale', options.inputScale, 0);
  if (options.gateBias !== undefined) checkNumber('gateBias', options.gateBias);
  switch (kind) {
    case 'vanilla':
      return VanillaCell.init(options);
    case 'gru':
      return GruCell.init(options);
    case 'lstm':
      return LstmCell.init(options);
    case 'ugrnn':
      return UgrnnCell.init(options);
  }
}

/** Rebuilds a cell from `toJSON()` output. */
export function cellFromJSON(json: CellJSON): RecurrentCell {
  checkOneOf('json.kind', json?.kind, CELL_KINDS);
  const params: Record<string, tf.Variable> = {};
  for (const [k, p] of Object.entries(json.params)) params[k] = makeVar(k, p.shape, p.values);
  switch (json.kind) {
    case 'vanilla':
      return new VanillaCell(json.units, json.inputSize, params);
    case 'gru':
      return new GruCell(json.units, json.inputSize, params);
    case 'lstm':
      return new LstmCell(json.units, json.inputSize, json.gateBias, params);
    case 'ugrnn':
      return new UgrnnCell(json.units, json.inputSize, json.gateBias, params);
  }
}
