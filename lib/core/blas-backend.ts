/**
 * The `blas` tfjs backend: tfjs's `cpu` backend (plain JavaScript) with the
 * kernels that dominate training on the system BLAS through the native add-on
 * (native/, see native.ts):
 *
 *   BatchMatMul, _FusedMatMul          one sgemm per matrix (every transpose flag,
 *                                      batch broadcasting), bias + activation fused
 *   Conv2D, FusedConv2D,               im2col + sgemm (NHWC; strides, dilations,
 *   Conv2DBackpropInput,               'same'/'valid'/explicit pads); NCHW and
 *   Conv2DBackpropFilter               other dtypes go to the cpu kernels
 *   MaxPool, MaxPoolGrad               one pass in C (window max + arg-max scatter)
 *   Add, Sub, Multiply, RealDiv        float32 with same shapes or repeated (suffix)
 *                                      broadcasts, e.g. bias adds, optimizer updates
 *   Relu, Step (ReLU's gradient)       one C loop
 *   Sum                                over leading or trailing axes, no transpose
 *
 * Every other kernel is the cpu backend's own, registered again under `blas`.
 * Tensor data stay the cpu backend's JavaScript typed arrays: the add-on reads
 * inputs and writes outputs in place, so nothing is copied across (a copy in
 * and out would add memory passes as large as an elementwise kernel's whole work).
 * Output arrays that never left the backend are recycled (see BlasBackend).
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { blasInfo, nativeAddon, nativeLoadError, type NativeAddon } from './native';
import { ArgumentError, checkInteger } from './validate';

export interface BlasBackendStatus {
  ok: boolean;
  reason?: string;
  detail?: string;
}

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;
interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: MathBackendCPU;
  attrs?: Attrs;
}
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** Tests: fill each recycled array with NaN when parked and again when handed out (poisonRecycledArrays). */
let poisonRecycled = false;

/**
 * For tests: while on, every array the pool takes back is filled with NaN, and
 * again when it is handed out, so that a kernel or loop that leaves part of its
 * output unwritten (reading what an earlier tensor left there), or that reads a
 * lent array (borrowedFloat32) after its tensor was disposed, shows it.
 */
export function poisonRecycledArrays(on: boolean): void {
  poisonRecycled = on;
}

/** Outputs smaller than this many floats are not recycled (V8 allocates those cheaply). */
const POOL_MIN_FLOATS = 4096;
/**
 * Upper bound on the memory parked in the pool. Sized for a tf.tidy that keeps
 * ~16 [4096 x 200] intermediates alive at once (a Hessian-vector product of an
 * MLP over 4,096 rows): with 8 per length and 64 MB, half of them were fresh
 * 3.2 MB arrays in every product, and the external-memory pressure they put on
 * V8 (a mark-compact per product) made it ~30% slower.
 */
const POOL_MAX_BYTES = 128 * 2 ** 20;
/** At most this many parked arrays per length. */
const POOL_MAX_PER_LENGTH = 32;

/**
 * cpu's backend class plus recycling of the float32 arrays its native kernels
 * allocate. A fresh zeroed array for every large output (page faults,
 * zeroing, GC) cost about as much as the elementwise arithmetic it holds;
 * recycling took ~10% off an MLP training step.
 *
 * An array goes back to the pool only when it is certain nobody else can see
 * it: it was allocated by a kernel here (never a user's array given to
 * tf.tensor), its tensor data were released, and it never escaped -- it was
 * never returned by a read (dataSync, data, arraySync, buffer, moving to
 * another backend) and no other tensor was made from it or from a view into
 * its memory (cpu's Slice can return subarray views).
 */
class BlasBackend extends MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  private readonly owned = new WeakSet<Float32Array>();
  private readonly live = new WeakSet<object>();
  private readonly escaped = new WeakSet<ArrayBufferLike>();
  /** Buffers that more than one tensor's data use (a second tensor on an array, a view into one): never written in place. */
  private readonly shared = new WeakSet<ArrayBufferLike>();

  constructor() {
    super();
    // MathBackendCPU suggests installing tfjs-node on its first write in Node;
    // that advice is wrong for this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A float32 array of length n for a kernel output; its contents are arbitrary (every kernel writes all of it). */
  allocFloat32(n: number): Float32Array {
    if (n >= POOL_MIN_FLOATS) {
      const parked = this.pool.get(n);
      const a = parked?.pop();
      if (a) {
        this.pooledBytes -= a.byteLength;
        if (poisonRecycled) a.fill(NaN);
        return a;
      }
    }
    const a = new Float32Array(n);
    this.owned.add(a);
    return a;
  }

  private noteRegistered(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const view = values as ArrayBufferView;
    if (view.byteOffset !== 0 || view.byteLength !== view.buffer.byteLength || this.live.has(view)) {
      // a view into an array, or a second tensor on the same one
      this.escaped.add(view.buffer);
      this.shared.add(view.buffer);
    } else this.live.add(view);
  }
  /**
   * A float32 tensor's array as `readSync` returns it, but lent rather than
   * given: it stays recyclable once its tensor data are released, so the
   * borrower must use it only while the tensor is alive and keep no
   * reference (borrowedFloat32).
   */
  borrowSync(dataId: tf.DataId): ReturnType<MathBackendCPU['readSync']> {
    return super.readSync(dataId);
  }
  /** Whether another tensor's data may use this data id's memory: its reference count above 1, or its buffer shared (noteRegistered). */
  mayShare(dataId: tf.DataId): boolean {
    if (this.refCount(dataId) > 1) return true;
    const v = this.data.get(dataId)?.values;
    return ArrayBuffer.isView(v) && this.shared.has((v as ArrayBufferView).buffer);
  }

  override write(values: Parameters<MathBackendCPU['write']>[0], shape: number[], dtype: tf.DataType): ReturnType<MathBackendCPU['write']> {
    this.noteRegistered(values);
    return super.write(values, shape, dtype);
  }

  override readSync(dataId: tf.DataId): ReturnType<MathBackendCPU['readSync']> {
    const values = super.readSync(dataId);
    if (ArrayBuffer.isView(values)) this.escaped.add((values as ArrayBufferView).buffer);
    return values;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array && !this.data.has(dataId)) this.recycle(values);
    return released;
  }

  private recycle(a: Float32Array): void {
    this.live.delete(a);
    if (!this.owned.has(a) || this.escaped.has(a.buffer) || a.length < POOL_MIN_FLOATS) return;
    if (this.pooledBytes + a.byteLength > POOL_MAX_BYTES) return;
    let parked = this.pool.get(a.length);
    if (!parked) this.pool.set(a.length, (parked = []));
    if (parked.length >= POOL_MAX_PER_LENGTH) return;
    if (poisonRecycled) a.fill(NaN);
    parked.push(a);
    this.pooledBytes += a.byteLength;
  }

  override dispose(): void {
    this.pool.clear();
    this.pooledBytes = 0;
    super.dispose();
  }
}

/**
 * The values of float32 tensor `t` without a copy, for code that reads them
 * synchronously while `t` is alive and keeps no reference to the array (a
 * native kernel's input, a loop). On the blas backend the array stays
 * recyclable after `t` is disposed, where `dataSync` would hand it to the
 * caller for good; on other backends it is `dataSync`'s array (a copy where
 * that copies). Refused for other dtypes.
 */
export function borrowedFloat32(t: tf.Tensor, name = 'tensor'): Float32Array {
  if (!(t instanceof tf.Tensor)) throw new ArgumentError(name, 'a float32 tensor', t);
  if (t.dtype !== 'float32') throw new ArgumentError(name, 'a float32 tensor', `dtype ${t.dtype}`);
  const backend = tf.backend();
  const v = backend instanceof BlasBackend ? backend.borrowSync(t.dataId) : t.dataSync();
  // cpu keeps float32 tensors in Float32Array; anything else (a rare cast leftover) is converted, as f32 does
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/**
 * The array of float32 variable `v` for writing in place, on a backend that
 * keeps tensor data in CPU memory (blas, cpu): `v` first gets a private copy
 * when another tensor may see its memory (its data id counted twice, e.g. a
 * reshape; on blas also a tensor on a view of its buffer, e.g. a slice), so
 * that the other keeps the old values, as after `assign`. Lent as by
 * `borrowedFloat32`.
 */
export function writableFloat32(v: tf.Variable, name = 'variable'): Float32Array {
  if (!(v instanceof tf.Variable)) throw new ArgumentError(name, 'a tf.Variable (in-place writes go to a variable)', v);
  const backend = tf.backend();
  if (!(backend instanceof MathBackendCPU)) throw new ArgumentError(name, 'a variable on the blas or cpu backend (in-place writes need CPU memory)', `backend ${tf.getBackend()}`);
  // a float32 variable held in another array type would take the writes in a converted copy: give it its own array too
  const own = backend.data.get(v.dataId)?.values instanceof Float32Array;
  const shared = !own || (backend instanceof BlasBackend ? backend.mayShare(v.dataId) : backend.refCount(v.dataId) > 1);
  if (shared) tf.tidy(() => v.assign(tf.tensor(Float32Array.from(borrowedFloat32(v, name)), v.shape, 'float32')));
  return borrowedFloat32(v, name);
}

/**
 * An array of n floats for the values of one new tensor made by the caller
 * (tf.tensor(array, shape)): on the blas backend a recycled kernel output
 * where one of that length is free, which returns to the pool when that
 * tensor is disposed; else a new array. Its contents are arbitrary: write
 * every element, and keep no reference once the tensor is made.
 */
export function tensorOutputFloat32(n: number): Float32Array {
  checkInteger('n', n, 0);
  const backend = tf.backend();
  return backend instanceof BlasBackend ? backend.allocFloat32(n) : new Float32Array(n);
}

/** Output array for a kernel on this backend (recycled when possible). */
function alloc(backend: MathBackendCPU, n: number): Float32Array {
  return backend instanceof BlasBackend ? backend.allocFloat32(n) : new Float32Array(n);
}

const { backend_util, broadcast_util, util } = tf;

/** The cpu backend's kernel (registered again under `blas`), for delegation. */
function cpuKernel(name: string): KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`blas backend: the cpu backend has no kernel ${name}`);
  return k.kernelFunc as unknown as KernelFunc;
}

function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  // cpu stores float32 tensors as Float32Array; anything else (a rare cast
  // leftover) is converted rather than misread.
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

function single(r: TensorInfo | TensorInfo[]): TensorInfo {
  return Array.isArray(r) ? r[0] : r;
}

// ---------------------------------------------------------------- matmul

/** out = op(a) op(b) over broadcast batch dims; both float32. */
function matMulNative(addon: NativeAddon, backend: MathBackendCPU, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): { shape: number[]; values: Float32Array } {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const innerA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const innerB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  util.assert(innerA === innerB, () =>
    `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
    `and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const k = innerA;
  const batch = util.sizeFromShape(outer);
  const values = alloc(backend, batch * m * n);
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const shape = [...outer, m, n];
  if (batch === 0 || m === 0 || n === 0) return { shape, values };
  if (k === 0) return { shape, values: values.fill(0) }; // an empty sum; recycled arrays hold old data
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  if (batch === 1) {
    addon.gemm(transposeA, transposeB, m, n, k, 1, av, transposeA ? m : k, bv, transposeB ? k : n, 0, values, n);
    return { shape, values };
  }
  // Offsets of each output batch's A and B matrices under numpy broadcasting.
  const aOff = new Int32Array(batch);
  const bOff = new Int32Array(batch);
  if (batchA === batch && batchB === batch) {
    for (let i = 0; i < batch; i++) { aOff[i] = i * m * k; bOff[i] = i * k * n; }
  } else if (batchA === 1 || batchB === 1) {
    for (let i = 0; i < batch; i++) {
      aOff[i] = (batchA === 1 ? 0 : i) * m * k;
      bOff[i] = (batchB === 1 ? 0 : i) * k * n;
    }
  } else {
    // General numpy broadcasting: walk the output batch index from the last
    // dim, skipping the dims where an operand has size 1.
    const rank = outer.length;
    const padA = new Array<number>(rank - outerA.length).fill(1).concat(outerA);
    const padB = new Array<number>(rank - outerB.length).fill(1).concat(outerB);
    for (let i = 0; i < batch; i++) {
      let rem = i;
      let ia = 0;
      let ib = 0;
      let sa = 1;
      let sb = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const idx = rem % outer[d];
        rem = Math.floor(rem / outer[d]);
        if (padA[d] !== 1) ia += idx * sa;
        if (padB[d] !== 1) ib += idx * sb;
        sa *= padA[d];
        sb *= padB[d];
      }
      aOff[i] = ia * m * k;
      bOff[i] = ib * k * n;
    }
  }
  addon.sgemmBatched(transposeA, transposeB, m, n, k, av, aOff, bv, bOff, values);
  return { shape, values };
}

function isFloatPair(a: TensorInfo, b: TensorInfo): boolean {
  return a.dtype === 'float32' && b.dtype === 'float32';
}

function batchMatMul(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('BatchMatMul');
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!isFloatPair(a, b)) return fallback(args);
    const r = matMulNative(addon, args.backend, a, b, !!transposeA, !!transposeB);
    return args.backend.makeTensorInfo(r.shape, 'float32', r.values);
  };
}

/**
 * Adds the bias and applies the activation as cpu's fused kernels do. The
 * usual cases (bias of one value per output channel, linear or relu) run in
 * place on the fresh output; the rest go through the cpu kernels.
 */
function biasAndActivation(
  backend: MathBackendCPU, out: TensorInfo, values: Float32Array, bias: TensorInfo | undefined,
  activation: string | undefined, prelu: TensorInfo | undefined, leakyreluAlpha: number | undefined,
): TensorInfo {
  let result = out;
  const channels = out.shape[out.shape.length - 1] ?? 1;
  if (bias) {
    if (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === channels && bias.shape.every((d, i) => i === bias.shape.length - 1 || d === 1) && bias.shape.length <= out.shape.length) {
      const bv = f32(backend, bias);
      for (let o = 0; o < values.length; o += channels) for (let j = 0; j < channels; j++) values[o + j] += bv[j];
    } else {
      const added = single(cpuKernel('Add')({ inputs: { a: result, b: bias }, backend }));
      backend.disposeIntermediateTensorInfo(result);
      result = added;
    }
  }
  const act = activation ?? 'linear';
  if (act === 'linear') return result;
  if (act === 'relu' && result === out) {
    for (let i = 0; i < values.length; i++) values[i] = Math.max(0, values[i]);
    return result;
  }
  let activated: TensorInfo;
  if (act === 'relu') activated = single(cpuKernel('Relu')({ inputs: { x: result }, backend }));
  else if (act === 'relu6') activated = single(cpuKernel('Relu6')({ inputs: { x: result }, backend }));
  else if (act === 'elu') activated = single(cpuKernel('Elu')({ inputs: { x: result }, backend }));
  else if (act === 'sigmoid') activated = single(cpuKernel('Sigmoid')({ inputs: { x: result }, backend }));
  else if (act === 'leakyrelu') activated = single(cpuKernel('LeakyRelu')({ inputs: { x: result }, backend, attrs: { alpha: leakyreluAlpha } }));
  else if (act === 'prelu') {
    if (!prelu) throw new Error('blas backend: activation prelu needs preluActivationWeights');
    activated = single(cpuKernel('Prelu')({ inputs: { x: result, alpha: prelu }, backend }));
  } else throw new Error(`Activation ${act} has not been implemented for the blas backend.`);
  backend.disposeIntermediateTensorInfo(result);
  return activated;
}

function fusedMatMul(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('_FusedMatMul');
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as
      { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
    if (!a || !b || !isFloatPair(a, b)) return fallback(args);
    const r = matMulNative(addon, args.backend, a, b, !!transposeA, !!transposeB);
    const out = args.backend.makeTensorInfo(r.shape, 'float32', r.values);
    return biasAndActivation(args.backend, out, r.values, bias, activation, preluActivationWeights, leakyreluAlpha);
  };
}

// ---------------------------------------------------------------- convolution

type ConvInfo = ReturnType<typeof backend_util.computeConv2DInfo>;

function geometry(ci: ConvInfo): number[] {
  return [
    ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels, ci.outHeight, ci.outWidth, ci.outChannels,
    ci.filterHeight, ci.filterWidth, ci.strideHeight, ci.strideWidth, ci.dilationHeight, ci.dilationWidth,
    ci.padInfo.top, ci.padInfo.left,
  ];
}

function conv2dInfo(x: TensorInfo, filter: TensorInfo, attrs: Attrs): ConvInfo {
  const dataFormat = backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations as number | [number, number]) ?? 1,
    attrs.pad as 'valid' | 'same' | number, attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false, dataFormat);
}

/** NCHW layouts and non-float dtypes stay on the cpu kernels. */
function nativeConvOk(attrs: Attrs, ...ts: TensorInfo[]): boolean {
  const df = attrs.dataFormat as string | undefined;
  return (df === undefined || df === 'NHWC') && ts.every((t) => t.dtype === 'float32');
}

function conv2d(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('Conv2D');
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs ?? {};
    if (!nativeConvOk(attrs, x, filter)) return fallback(args);
    const ci = conv2dInfo(x, filter, attrs);
    const y = alloc(args.backend, util.sizeFromShape(ci.outShape));
    addon.conv2d(f32(args.backend, x), f32(args.backend, filter), y, ...geometry(ci));
    return args.backend.makeTensorInfo(ci.outShape, 'float32', y);
  };
}

function fusedConv2d(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('FusedConv2D');
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs ?? {};
    if (!x || !filter || !nativeConvOk(attrs, x, filter)) return fallback(args);
    const ci = conv2dInfo(x, filter, attrs);
    const y = alloc(args.backend, util.sizeFromShape(ci.outShape));
    addon.conv2d(f32(args.backend, x), f32(args.backend, filter), y, ...geometry(ci));
    const out = args.backend.makeTensorInfo(ci.outShape, 'float32', y);
    return biasAndActivation(args.backend, out, y, bias, attrs.activation as string | undefined, preluActivationWeights, attrs.leakyreluAlpha as number | undefined);
  };
}

// conv2d, conv2dBackpropInput and conv2dBackpropFilter read alike on purpose: each binds one tfjs kernel
// (its own inputs, attrs and shape check, as tfjs's cpu kernel does) to one add-on entry point.
function conv2dBackpropInput(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('Conv2DBackpropInput');
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs ?? {};
    if (!nativeConvOk(attrs, dy, filter)) return fallback(args);
    const inputShape = attrs.inputShape as [number, number, number, number];
    const ci = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number],
      attrs.strides as number | [number, number], 1, attrs.pad as 'valid' | 'same' | number,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast');
    util.assert(util.arraysEqual(ci.outShape, dy.shape), () =>
      `Error in conv2dDerInput: dy shape ${dy.shape} does not match the convolution output shape ${ci.outShape} ` +
      `of input shape ${inputShape} and filter shape ${filter.shape}.`);
    const dx = alloc(args.backend, util.sizeFromShape(inputShape));
    addon.conv2dBackpropInput(f32(args.backend, dy), f32(args.backend, filter), dx, ...geometry(ci));
    return args.backend.makeTensorInfo(inputShape, 'float32', dx);
  };
}

function conv2dBackpropFilter(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('Conv2DBackpropFilter');
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs ?? {};
    if (!nativeConvOk(attrs, x, dy)) return fallback(args);
    const filterShape = attrs.filterShape as [number, number, number, number];
    const ci = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape,
      attrs.strides as number | [number, number], 1, attrs.pad as 'valid' | 'same' | number,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast');
    util.assert(util.arraysEqual(ci.outShape, dy.shape), () =>
      `Error in conv2dDerFilter: dy shape ${dy.shape} does not match the convolution output shape ${ci.outShape} ` +
      `of input shape ${x.shape} and filter shape ${filterShape}.`);
    const dw = alloc(args.backend, util.sizeFromShape(filterShape));
    addon.conv2dBackpropFilter(f32(args.backend, x), f32(args.backend, dy), dw, ...geometry(ci));
    return args.backend.makeTensorInfo(filterShape, 'float32', dw);
  };
}

// ---------------------------------------------------------------- max pooling

type PoolInfo = ReturnType<typeof backend_util.computePool2DInfo>;

function poolInfo(xShape: number[], attrs: Attrs): PoolInfo {
  return backend_util.computePool2DInfo(xShape as [number, number, number, number],
    attrs.filterSize as number | [number, number], attrs.strides as number | [number, number], 1,
    attrs.pad as 'valid' | 'same' | number, attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined);
}

function poolGeometry(pi: PoolInfo): number[] {
  return [
    pi.batchSize, pi.inHeight, pi.inWidth, pi.inChannels, pi.outHeight, pi.outWidth,
    pi.filterHeight, pi.filterWidth, pi.strideHeight, pi.strideWidth, pi.dilationHeight, pi.dilationWidth,
    pi.padInfo.top, pi.padInfo.left,
  ];
}

function maxPool(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('MaxPool');
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs ?? {};
    if (x.dtype !== 'float32' || x.shape.length !== 4) return fallback(args);
    const pi = poolInfo(x.shape, attrs);
    // A 1x1 window with stride 1 is the identity; cpu returns the input itself.
    if (pi.filterWidth === 1 && pi.filterHeight === 1 && util.arraysEqual(pi.inShape, pi.outShape)) return fallback(args);
    const size = util.sizeFromShape(pi.outShape);
    const y = alloc(args.backend, size);
    addon.maxPool(f32(args.backend, x), y, new Int32Array(size), ...poolGeometry(pi));
    return args.backend.makeTensorInfo(pi.outShape, 'float32', y);
  };
}

function maxPoolGrad(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('MaxPoolGrad');
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const attrs = args.attrs ?? {};
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return fallback(args);
    const pi = poolInfo(input.shape, attrs);
    util.assert(util.arraysEqual(pi.outShape, dy.shape), () =>
      `Error in maxPoolGrad: dy shape ${dy.shape} does not match the pooling output shape ${pi.outShape}.`);
    // The arg-max is recomputed from the input (one cheap pass) rather than
    // cached from the forward call, so it can never be stale.
    const size = util.sizeFromShape(pi.outShape);
    const argmax = new Int32Array(size);
    addon.maxPool(f32(args.backend, input), new Float32Array(size), argmax, ...poolGeometry(pi));
    const dx = alloc(args.backend, util.sizeFromShape(input.shape));
    addon.scatterAdd(f32(args.backend, dy), argmax, dx);
    return args.backend.makeTensorInfo(input.shape, 'float32', dx);
  };
}

// ---------------------------------------------------------------- elementwise and sums

const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

/** True when `small` broadcasts against `out` by plain repetition (its shape, without leading 1s, is a suffix of out's). */
function repeatsAsSuffix(small: number[], out: number[]): boolean {
  let start = 0;
  while (start < small.length && small[start] === 1) start++;
  const core = small.slice(start);
  if (core.length > out.length) return false;
  const tail = out.slice(out.length - core.length);
  return core.every((d, i) => d === tail[i]);
}

function binary(addon: NativeAddon, name: keyof typeof BINARY_OPS): KernelFunc {
  const fallback = cpuKernel(name);
  const op = BINARY_OPS[name];
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (!isFloatPair(a, b)) return fallback(args);
    const outShape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = util.sizeFromShape(outShape);
    const na = util.sizeFromShape(a.shape);
    const nb = util.sizeFromShape(b.shape);
    const ok = n > 0 && ((na === n && (nb === n || repeatsAsSuffix(b.shape, outShape))) || (nb === n && repeatsAsSuffix(a.shape, outShape)));
    if (!ok) return fallback(args);
    const out = alloc(args.backend, n);
    addon.binary(op, f32(args.backend, a), f32(args.backend, b), out);
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
}

function unary(addon: NativeAddon, name: 'Relu' | 'Step'): KernelFunc {
  const fallback = cpuKernel(name);
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return fallback(args);
    const out = alloc(args.backend, util.sizeFromShape(x.shape));
    addon.unary(name === 'Relu' ? 0 : 1, f32(args.backend, x), out, name === 'Step' ? ((args.attrs?.alpha as number) ?? 0) : 0);
    return args.backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/** Sum over a leading or a trailing block of axes in one pass (cpu transposes first for leading axes). */
function sum(addon: NativeAddon): KernelFunc {
  const fallback = cpuKernel('Sum');
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = (args.attrs ?? {}) as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return fallback(args);
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).slice().sort((p, q) => p - q);
    if (axes.length === 0 || new Set(axes).size !== axes.length) return fallback(args);
    const contiguous = axes.every((d, i) => i === 0 || d === axes[i - 1] + 1);
    const leading = contiguous && axes[0] === 0;
    const trailing = contiguous && axes[axes.length - 1] === rank - 1;
    if (!leading && !trailing) return fallback(args);
    const reduced = axes.reduce((p, d) => p * x.shape[d], 1);
    const kept = util.sizeFromShape(x.shape) / (reduced || 1);
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = alloc(args.backend, util.sizeFromShape(outShape));
    if (reduced === 0) out.fill(0);
    else if (out.length > 0) {
      // Trailing axes are tried first so that a full reduction takes the simple row loop.
      if (trailing) addon.sumRows(f32(args.backend, x), kept, reduced, out, false);
      else addon.sumRows(f32(args.backend, x), reduced, kept, out, true);
    }
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
}

// ---------------------------------------------------------------- registration

/** Names of the kernels that run natively on this backend (the rest are cpu's). */
export const BLAS_NATIVE_KERNELS = [
  'BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter',
  'MaxPool', 'MaxPoolGrad', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Relu', 'Step', 'Sum',
] as const;

let status: BlasBackendStatus | null = null;

/**
 * Registers the `blas` backend with tfjs (idempotent). Returns ok:false with
 * the reason when the native add-on is not available.
 */
export function registerBlasBackend(): BlasBackendStatus {
  if (status?.ok) return { ...status, detail: blasInfo() ?? status.detail };
  const addon = nativeAddon();
  if (!addon) return (status = { ok: false, reason: nativeLoadError() ?? 'native add-on unavailable' });
  if (tf.findBackendFactory('blas') == null) {
    const overrides: Record<string, KernelFunc> = {
      BatchMatMul: batchMatMul(addon),
      _FusedMatMul: fusedMatMul(addon),
      Conv2D: conv2d(addon),
      FusedConv2D: fusedConv2d(addon),
      Conv2DBackpropInput: conv2dBackpropInput(addon),
      Conv2DBackpropFilter: conv2dBackpropFilter(addon),
      MaxPool: maxPool(addon),
      MaxPoolGrad: maxPoolGrad(addon),
      Add: binary(addon, 'Add'),
      Sub: binary(addon, 'Sub'),
      Multiply: binary(addon, 'Multiply'),
      RealDiv: binary(addon, 'RealDiv'),
      Relu: unary(addon, 'Relu'),
      Step: unary(addon, 'Step'),
      Sum: sum(addon),
    };
    for (const config of tf.getKernelsForBackend('cpu')) {
      if (tf.getKernel(config.kernelName, 'blas')) continue;
      const native = overrides[config.kernelName];
      tf.registerKernel({
        ...config,
        backendName: 'blas',
        kernelFunc: (native ?? config.kernelFunc) as unknown as tf.KernelFunc,
      });
    }
    tf.registerBackend('blas', () => new BlasBackend(), 1);
  }
  return (status = { ok: true, detail: blasInfo() ?? undefined });
}
