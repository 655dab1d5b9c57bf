/**
 * The fused training path of dense and conv networks (issue 14): a training
 * step as a few calls into the native add-on per layer
 * (native/src/fused_dense.cc, fused_conv.cc) on buffers reused from step to step, instead of one tfjs kernel, one fresh
 * output tensor and one JavaScript/add-on crossing per elementwise op.
 * Private to lib/rules; `train` picks it by itself (`fusedTrainer`), and
 * `TrainOptions.fused: false` or LDL_FUSED=0 keeps the reference path.
 *
 * One step on a batch x [N, in] with integer labels y, per parametric layer
 * k = 0..L-1 (W_k [in, out], b_k, f_k the activation after it, or none):
 *   forward    h_k = f_k(h_{k-1} W_k + b_k)                    denseForward
 *   loss       e = dL/dz (softmax cross-entropy or MSE, / N)    lossAndError
 *   backward   from k = L-1 down, with d_{L-1} = e:
 *              delta_k = d_k * f_k'(h_k), gW = h_{k-1}^T delta_k, gb = sum_n delta_k,
 *              d_{k-1} = the pathway's signal (k > 0):            denseBackward
 *                bp: delta W^T; fa, kolen-pollack, Kunin family: delta B^T;
 *                usf/frsf/brsf: delta (s sign(W))^T; dfa: e B;
 *                ldfa: clip(delta P^T Q^T); dldfa: clip(e P^T Q^T)
 *   learn      a pathway with trainable parameters gets its `learn` call
 *              (tfjs, on tensors viewing the step's buffers) after its own
 *              layer's backward and before W_k moves, as in Network.trainStep;
 *              Kolen-Pollack (B's optimiser on gW) and layered LDFA (fixed-p,
 *              raf, local, normative: ldfaGradients) learn in place once their first
 *              `learn` has created their optimisers
 *   update     W_k, b_k in place by the Optimizer's settings and its slots
 *              (Optimizer.stepInPlace: optimizerStep, RMSprop in JS, on the slots
 *              Optimizer.step keeps), so either path continues the other's run
 * A conv2d layer is the same with im2col rows (examples x output positions)
 * in place of examples: h_k = f_k(im2col(h_{k-1}) W_k + b_k) (convForward),
 * gW = im2col(h_{k-1})^T delta_k and d_{k-1} = col2im(delta_k K^T) for the
 * kernel, sign and low-rank pathways, the direct ones (dfa, dldfa) on the
 * flat input as for a dense layer (convBackward); im2col is built a chunk of
 * images at a time into one scratch buffer shared by the conv layers. A
 * max-pooling layer keeps its windows' argmax from the forward pass (the
 * add-on's maxPool) and routes the signal back through it (maxPoolBackward);
 * a flatten layer is a no-op on contiguous NHWC rows. A batch-norm layer
 * (batch-norm.ts; native/src/fused_norm.cc) normalises by the batch's
 * statistics, accumulated in double, keeps xh and 1/s for its backward pass
 * (exact under every rule, as on the reference path), moves its running
 * statistics as BatchNorm.updateStatistics does, and its gamma and beta take
 * the network's optimiser step after its backward.
 * Layer k's pathway reads W_k before W_k moves and layer k-1's backward needs
 * nothing of layer k but d_{k-1}, so updating each layer right after its
 * backward gives the reference path's numbers (to float32 rounding: sums may
 * be ordered differently).
 *
 * State: weights, biases, feedback matrices and optimiser moments stay in
 * their tf.Variables; the kernels read and write those variables' own
 * arrays (the `blas`/`cpu` backends keep tensor data as JavaScript typed
 * arrays). A variable whose data another tensor shares (a clone taken
 * before the step) is first given a private copy, so the clone keeps its
 * values. Buffers for activations, errors, gradients, arg-maxima and im2col
 * are allocated for the largest batch seen and reused: the steady state
 * allocates nothing.
 *
 * Where it applies (`fusedTrainer` says why not otherwise): the native
 * add-on with the fused kernels is loaded and the tfjs backend is `blas` or
 * `cpu`; the network is dense layers on flat inputs and conv2d layers (any
 * padding and stride) and batch-norm layers after the first of them, each
 * followed by at most one activation (relu, tanh, sigmoid, linear),
 * max-pooling layers and flatten layers anywhere; every pathway is a built-in
 * rule listed above. So lenet(), vgg() and vggBatchNorm() train on it with
 * every built-in rule. Every other network (average pooling, an activation
 * not right after a dense, conv2d or batch-norm layer, vector-valued units,
 * residual blocks, layers other issues add) and every run-time registered
 * rule runs on the reference path, unchanged.
 *
 * Threads (issue 14, item 3). OpenBLAS's thread count is process-global and
 * two threads give different float32 sums than one, so the count of a step
 * is a fixed function of its shape and the caller's setting, never of
 * timings, and a seeded run repeats bitwise: a step whose largest GEMM has
 * at least TWO_THREAD_MIN_PRODUCT multiply-adds (rows x the largest
 * nIn x nOut, or positions x taps x filters for a conv layer) runs on the caller's count (blasThreads(): OpenBLAS's default
 * is one per core); a smaller step runs on one thread, where the second
 * thread's start and join cost more than it computes; the caller's count is
 * set back when the step ends, thrown or not. Nothing is changed in a pool
 * worker (LDL_POOL_WORKER=1: the pool pins each worker to one thread so its
 * two workers share the two cores), when the caller's count is one
 * (OPENBLAS_NUM_THREADS=1 or setBlasThreads(1): one core wanted) or unknown
 * (not OpenBLAS). The threshold, 2^24 = 16.8 M, sits between measurements
 * (bench/README.md, "two threads"): idle, two threads ran the GEMM
 * 128x784 @ 784x256 (25.7 M, batch 128's largest) at 1.8-2.0x one thread's
 * GFLOP/s (the `core` row, 2026-11-23); loaded (load 6-9 on the 2-core
 * machine, 2026-12-06), the whole 784-256-256-10 step on two threads ran at
 * 0.25-0.53x one thread's speed at batch 16-64 (3.2-12.8 M) in one run and
 * at 0.99-1.20x in two others, and at 0.77-1.09x at batch 128-512. Under
 * load there is no free core to give at any size: a caller on a busy
 * machine pins one thread (setBlasThreads(1)), which the step keeps.
 * Within a step on two or more threads, a product with a dimension under 32
 * (the classifier layer's) runs on one (native/src/fused_common.h,
 * kThinDimension), and the element-wise stages of 2^15 elements or more
 * (activation, derivative with the bias sums, optimiser update) are split in
 * two, the second half on a helper thread, each element or column computed by
 * one thread as on one thread: the same bits, so only the GEMMs' sums depend on
 * the count. At batch 256 on one thread (784-256-256-10, perf samples) the
 * split stages took about 0.37 ms of the step's 4.4 ms of CPU and the OpenBLAS
 * calls 3.7 ms (bench/README.md, "two threads").
 *
 * How a layer joins (see CONTRIBUTING.md): give it kernels for its forward
 * pass (output into a caller's buffer) and its backward pass (delta from the
 * incoming signal, parameter gradients into buffers, the signal to its input
 * through each pathway mode it supports; a parameter-free layer only routes
 * the signal back, as maxPoolBackward), add its node to `planLayers` and its
 * calls to FusedTrainer's `forward` and `run`, and extend the comparison with
 * the reference path (test/rules/fused.test.ts, fused-conv.test.ts) to it.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, borrowedFloat32, nativeAddon, writableFloat32, type NativeAddon } from '../core';
import type { ArrayDataset } from '../data';
import type { BatchNorm } from './batch-norm';
import { Activation, type ActivationName, type Conv2d, type MaxPool, type ParamLayer } from './layers';
import { LowRankPathway } from './low-rank';
import type { Network } from './network';
import type { Optimizer } from './optim';
import { KernelPathway, type FeedbackPathway } from './pathway';

const ACT_CODE: Record<ActivationName, number> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3 };

/** How a pathway carries the signal to its layer's input (the kernel's mode numbers). */
const enum Mode {
  None = 0,
  Kernel = 1,
  Sign = 2,
  Direct = 3,
  LowRank = 4,
  DirectLowRank = 5,
}

/** Rules whose pathway is `delta K^T` with K their variable B (KernelPathway's own propagate). */
const KERNEL_B_RULES = new Set(['fa', 'kolen-pollack', 'weight-mirror', 'information-alignment', 'symmetric-alignment', 'activation-alignment']);
const SIGN_RULES = new Set(['usf', 'frsf', 'brsf']);

/** A conv layer's geometry as the kernels take it (NHWC; square kernel and stride; pads above and left of the input). */
interface ConvGeometry {
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  OC: number;
  k: number;
  stride: number;
  padTop: number;
  padLeft: number;
  /** x is its own im2col matrix (1x1 at stride 1 unpadded, or one window covering the whole unpadded input): no cols buffer. */
  identity: boolean;
}

/** A dense or conv2d layer with the activation after it (or none). */
interface FusedLayer {
  type: 'param';
  /** Index among the network's parametric layers. */
  index: number;
  /** Index in net.layers. */
  at: number;
  kind: 'dense' | 'conv2d';
  layer: ParamLayer;
  pathway: FeedbackPathway;
  /** Floats per example of the input and of the output. */
  inSize: number;
  outSize: number;
  /** W as a matrix [taps, nOut]: dense [in, out], conv [k*k*C, OC]. */
  taps: number;
  nOut: number;
  /** Rows of the layer's products per example: output positions (conv OH*OW, dense 1). */
  positions: number;
  conv: ConvGeometry | null;
  act: number;
  mode: Mode;
  /** Whether the pathway learns (its `learn` is called with tensor views of the step's buffers). */
  learns: boolean;
  /** usf's scale (frsf/brsf use M). */
  scale: number;
  /** Layered LDFA with rule fixed-p, raf or local: Q's and P's gradients in native code (0, 1, 2), else -1 (the pathway's own learn). */
  ldfaRule: number;
}

/** A max-pooling layer (NHWC, 'valid' windows): its window maxima and their argmax, kept for the backward pass. */
interface FusedPool {
  type: 'pool';
  /** Index in net.layers. */
  at: number;
  inSize: number;
  outSize: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  size: number;
  stride: number;
}

/**
 * A batch-norm layer (training-batch statistics) with the activation after it (or none): its per-channel
 * statistics and normalised input xh kept from the forward pass for the backward pass.
 */
interface FusedNorm {
  type: 'norm';
  /** Index in net.layers. */
  at: number;
  layer: BatchNorm;
  /** Floats per example (input and output). */
  inSize: number;
  outSize: number;
  /** Channels (the last axis) and values per channel per example. */
  C: number;
  positions: number;
  act: number;
}

type FusedNode = FusedLayer | FusedPool | FusedNorm;

/** The conv and pooling kernels of native/src/fused_conv.cc (declared here: only this file calls them). */
interface ConvKernels {
  convForward(act: number, rows: number, H: number, W: number, C: number, OH: number, OW: number, OC: number, k: number, stride: number,
    padTop: number, padLeft: number, x: Float32Array, w: Float32Array, b: Float32Array | null, cols: Float32Array | null, a: Float32Array): void;
  convBackward(act: number, rows: number, H: number, W: number, C: number, OH: number, OW: number, OC: number, k: number, stride: number,
    padTop: number, padLeft: number, x: Float32Array, cols: Float32Array | null, kept: boolean, h: Float32Array | null, delta: Float32Array, gW: Float32Array,
    gb: Float32Array | null, mode: number, dx: Float32Array | null, k1: Float32Array | null, k2: Float32Array | null,
    e: Float32Array | null, rank: number, classes: number, scratch: Float32Array | null, scale: number, clip: number): void;
  maxPoolBackward(rows: number, inSize: number, outSize: number, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
}

/** The batch-norm kernels of native/src/fused_norm.cc (declared here: only this file and its tests call them). */
export interface NormKernels {
  batchNormForward(act: number, m: number, C: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number,
    mean: Float32Array, variance: Float32Array, inv: Float32Array, xh: Float32Array, y: Float32Array): void;
  batchNormBackward(act: number, m: number, C: number, y: Float32Array | null, dy: Float32Array, xh: Float32Array, inv: Float32Array,
    gamma: Float32Array, dgamma: Float32Array, dbeta: Float32Array, dx: Float32Array | null): void;
}

/** Kernels and tfjs data access the fused path needs. */
type FusedKernels = Required<Pick<NativeAddon, 'denseForward' | 'denseBackward' | 'lossAndError' | 'optimizerStep' | 'ldfaGradients' | 'setThreads' | 'getThreads' | 'maxPool'>> & ConvKernels & Partial<NormKernels>;

/** A step's largest GEMM (m n k multiply-adds) from which it runs on the caller's BLAS threads rather than one (header: Threads). */
export const TWO_THREAD_MIN_PRODUCT = 1 << 24;

/**
 * The BLAS threads for a fused step whose largest GEMM has `product`
 * multiply-adds, given the caller's count (null: unknown): null to leave the
 * count as it is (a pool worker, a caller at one thread, not OpenBLAS).
 */
export function stepThreads(product: number, callerThreads: number | null, poolWorker = process.env.LDL_POOL_WORKER === '1'): number | null {
  if (poolWorker || callerThreads === null || callerThreads <= 1) return null;
  return product >= TWO_THREAD_MIN_PRODUCT ? callerThreads : 1;
}

function kernels(): FusedKernels | string {
  const a = nativeAddon() as (NativeAddon & Partial<ConvKernels>) | null;
  if (!a) return 'the native add-on is not loaded';
  if (!a.denseForward || !a.denseBackward || !a.lossAndError || !a.optimizerStep || !a.ldfaGradients || !a.convForward || !a.convBackward || !a.maxPoolBackward) {
    return 'the native add-on predates the fused kernels (rebuild: node scripts/build-native.mjs)';
  }
  return a as FusedKernels;
}

/** Pads above and left of the input, as tfjs places them ('same': the smaller half first). */
function leadingPad(padding: 'valid' | 'same' | number, size: number, out: number, k: number, stride: number): number {
  if (padding === 'valid') return 0;
  if (typeof padding === 'number') return padding;
  return Math.floor(Math.max((out - 1) * stride + k - size, 0) / 2);
}

function convGeometry(layer: Conv2d): ConvGeometry {
  const [H, W, C] = layer.inputShape;
  const [OH, OW, OC] = layer.outputShape;
  const k = layer.spec.kernelSize;
  const stride = layer.stride;
  const padTop = leadingPad(layer.padding, H, OH, k, stride);
  const padLeft = leadingPad(layer.padding, W, OW, k, stride);
  const unpadded = padTop === 0 && padLeft === 0;
  // As ConvArgs::identity() in fused_conv.cc.
  const identity = unpadded && ((k === 1 && stride === 1 && OH === H && OW === W) || (OH === 1 && OW === 1 && k === H && k === W));
  return { H, W, C, OH, OW, OC, k, stride, padTop, padLeft, identity };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Floats of the conv kernels' im2col scratch per layer: as many whole images' column matrices as fit in 2^18
 * floats (1 MB, the chunk of ldl_native.cc's tfjs conv kernels), at least one. The kernels take as many images
 * per chunk as the buffer holds; a chunk that stays in cache between im2col and its products beat one im2col of
 * the whole batch (VGG's second layer: 58 MB) by 20-30% per layer (measured 2026-12-06).
 */
const COLS_CHUNK_FLOATS = 1 << 18;
/**
 * A conv layer whose whole batch's im2col has at most this many floats (8 MB) keeps it from the forward pass in a
 * buffer of its own, and its backward pass skips rebuilding it (LeNet's layers at batch 64, vgg()'s first and
 * 7x7/3x3 layers); a larger one is rebuilt chunk by chunk in the shared scratch, which measured faster for the
 * VGG net's 28x28 and 14x14 layers (15-58 MB).
 */
const KEEP_COLS_FLOATS = 1 << 21;
function colsChunk(l: FusedLayer): number {
  const perImage = l.positions * l.taps;
  return perImage * Math.max(1, Math.floor(COLS_CHUNK_FLOATS / perImage));
}

/** The code of the activation right after layer i (linear when none), or why the fused path cannot take it. */
function activationAfter(net: Network, i: number): number | { why: string } {
  const next = net.layers[i + 1];
  if (!next || next.kind !== 'activation') return ACT_CODE.linear;
  if (net.layers[i + 2]?.kind === 'activation') return { why: `layers ${i + 1} and ${i + 2} are two activations in a row` };
  return ACT_CODE[(next as Activation).activation];
}

/** The layers of `net` as fused nodes (flatten layers dropped: a no-op on contiguous rows), or the reason the fused path does not apply. */
function planLayers(net: Network): FusedNode[] | string {
  const out: FusedNode[] = [];
  let k = 0;
  for (let i = 0; i < net.layers.length; i++) {
    const l = net.layers[i];
    if (l.kind === 'flatten') continue;
    if (l.kind === 'maxpool') {
      const p = l as MaxPool;
      const [H, W, C] = p.inputShape;
      const [OH, OW] = p.outputShape;
      out.push({ type: 'pool', at: i, inSize: size(p.inputShape), outSize: size(p.outputShape), H, W, C, OH, OW, size: p.size, stride: p.stride });
      continue;
    }
    if (l.kind === 'activation') return `layer ${i} (activation) does not follow a dense, conv2d or batchnorm layer`;
    if (l.kind === 'batchnorm') {
      // Below the first parametric layer its gradients would need that layer's signal, which the step does not send.
      if (k === 0) return `layer ${i} (batchnorm) comes before the first dense or conv2d layer`;
      const b = l as BatchNorm;
      const act = activationAfter(net, i);
      if (typeof act !== 'number') return act.why;
      const C = b.inputShape[b.inputShape.length - 1];
      out.push({ type: 'norm', at: i, layer: b, inSize: size(b.inputShape), outSize: size(b.outputShape), C, positions: size(b.inputShape) / C, act });
      if (net.layers[i + 1]?.kind === 'activation') i++;
      continue;
    }
    if (l.kind !== 'dense' && l.kind !== 'conv2d') return `layer ${i} is ${l.kind} (the fused path has dense, conv2d, batchnorm, maxpool and flatten layers)`;
    const layer = l as ParamLayer;
    if (l.kind === 'dense' && layer.inputShape.length !== 1) return `layer ${i} (dense) has vector-valued units (input shape [${layer.inputShape.join(', ')}])`;
    const at = i;
    const act = activationAfter(net, i);
    if (typeof act !== 'number') return act.why;
    if (net.layers[i + 1]?.kind === 'activation') i++;
    const pathway = net.pathways[k];
    const mode = pathwayMode(pathway);
    if (mode === null) return `parametric layer ${k}'s rule ${pathway.rule} has no fused pathway`;
    const conv = l.kind === 'conv2d' ? convGeometry(l as Conv2d) : null;
    const nOut = layer.weight.shape[layer.weight.shape.length - 1];
    out.push({
      type: 'param',
      index: k,
      at,
      kind: l.kind,
      layer,
      pathway,
      inSize: size(layer.inputShape),
      outSize: size(layer.outputShape),
      taps: layer.weight.size / nOut,
      nOut,
      positions: conv ? conv.OH * conv.OW : 1,
      conv,
      act,
      mode,
      learns: pathway.trainables().length > 0,
      scale: Math.sqrt(2 / (layer.fanIn + layer.fanOut)),
      ldfaRule: pathway instanceof LowRankPathway && pathway.rule === 'ldfa' ? ['fixed-p', 'raf', 'local', 'normative'].indexOf(pathway.ldfaRule) : -1,
    });
    k++;
  }
  return out;
}

function pathwayMode(p: FeedbackPathway): Mode | null {
  if (p.rule === 'bp') return Mode.Kernel;
  if (KERNEL_B_RULES.has(p.rule) && p instanceof KernelPathway) return Mode.Kernel;
  if (p.rule === 'dfa' && p instanceof KernelPathway) return Mode.Direct;
  if (SIGN_RULES.has(p.rule)) return Mode.Sign;
  if (p instanceof LowRankPathway) return p.rule === 'ldfa' ? Mode.LowRank : Mode.DirectLowRank;
  return null;
}

/** Where in the network a node sits, for error messages: "parametric layer 1 (conv2d)" or "layer 2 (maxpool)". */
function siteOf(node: FusedNode): string {
  return node.type === 'param' ? `parametric layer ${node.index} (${node.kind})` : `layer ${node.at} (${node.type === 'pool' ? 'maxpool' : 'batchnorm'})`;
}

/** An error of a fused step, naming the layer (the parametric index; null for a pooling layer or none) and the step. */
export class FusedStepError extends Error {
  constructor(readonly layer: number | null, readonly step: number, message: string, site: string | null = layer === null ? null : `parametric layer ${layer} (dense)`) {
    super(`fused step ${step}${site === null ? '' : `, ${site}`}: ${message}`);
    this.name = 'FusedStepError';
  }
}

/** Grows a buffer to at least n floats (only when the batch grows: none in the steady state). */
function ensure(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(n);
}

export interface FusedStepOptions {
  /** 0-based epoch: the learning-rate schedule's argument (default 0). */
  epoch?: number;
  /** Rescale each W to its initial norm after the step (Network.constrainWeightNorms; tfjs ops). */
  weightNormConstraint?: boolean;
}

/**
 * The fused training step of one network and optimiser. Build with
 * `fusedTrainer` (null with a reason where the path does not apply).
 */
export class FusedTrainer {
  /** Steps taken (for error messages). */
  steps = 0;
  private rows = 0;
  private x: Float32Array = new Float32Array(0);
  private labels = new Int32Array(0);
  private onehot: Float32Array = new Float32Array(0);
  private e: Float32Array = new Float32Array(0);
  /** Per node: h[i] its output (logits for the last); d[i] the signal at its output (the last node's is e). */
  private h: Float32Array[];
  private d: Float32Array[];
  /** Per pooling node: the argmax of every window maximum. */
  private argmax: Int32Array[];
  /** Per batch-norm node: the batch's per-channel statistics, xh (rows-dependent) and the gradients of gamma and beta. */
  private norm: ({ mean: Float32Array; variance: Float32Array; inv: Float32Array; xh: Float32Array; dgamma: Float32Array; dbeta: Float32Array } | null)[];
  /**
   * The conv kernels' im2col scratch, shared by every conv layer: a chunk of images' column matrix (forward,
   * and the weight gradient's), then the chunk's signal rows before col2im (backward). Sized by COLS_CHUNK_FLOATS.
   */
  private cols: Float32Array;
  /** Per conv node: the whole batch's im2col, kept from the forward pass for the backward pass (KEEP_COLS_FLOATS). */
  private keptCols: Float32Array[];
  private gW: Float32Array[];
  private gb: Float32Array[];
  private scratch: Float32Array[];
  /** Layered LDFA learning natively: gradients of Q and P, and Oja's scratch (rows-dependent). */
  private gQ: Float32Array[];
  private gP: Float32Array[];
  private ldfaScratch: Float32Array[];
  private readonly result = new Float64Array(2);
  private readonly inputSize: number;
  private readonly classes: number;
  /** The largest per-example GEMM of the layers (positions x taps x outputs): rows times it is the step's largest. */
  private readonly widestProduct: number;
  /** Index of the first parametric node: the backward pass stops there (nothing before it learns). */
  private readonly first: number;
  private readonly poolWorker = process.env.LDL_POOL_WORKER === '1';

  constructor(readonly net: Network, readonly optimizer: Optimizer, private readonly nodes: FusedNode[], private readonly k: FusedKernels) {
    this.inputSize = size(net.inputShape);
    this.classes = net.outputSize;
    const params = nodes.filter((n): n is FusedLayer => n.type === 'param');
    this.widestProduct = Math.max(...params.map((l) => l.positions * l.taps * l.nOut));
    this.first = nodes.findIndex((n) => n.type === 'param');
    const perParam = <T>(f: (l: FusedLayer) => T, none: T): T[] => nodes.map((n) => (n.type === 'param' ? f(n) : none));
    const empty = new Float32Array(0);
    this.h = nodes.map(() => empty);
    this.d = nodes.map(() => empty);
    this.cols = new Float32Array(Math.max(0, ...params.map((l) => (l.conv && !l.conv.identity ? colsChunk(l) : 0))));
    this.argmax = nodes.map(() => new Int32Array(0));
    this.norm = nodes.map((n) => {
      if (n.type !== 'norm') return null;
      const c = () => new Float32Array(n.C);
      return { mean: c(), variance: c(), inv: c(), xh: empty, dgamma: c(), dbeta: c() };
    });
    this.keptCols = nodes.map(() => empty);
    this.gW = perParam((l) => new Float32Array(l.taps * l.nOut), empty);
    this.gb = perParam((l) => new Float32Array(l.layer.bias ? l.nOut : 0), empty);
    this.scratch = perParam((l) => new Float32Array(l.mode === Mode.Sign ? l.taps * l.nOut : 0), empty);
    const rankOf = (l: FusedLayer) => (l.pathway instanceof LowRankPathway ? l.pathway.rank : 0);
    this.gQ = perParam((l) => new Float32Array(l.ldfaRule >= 0 ? l.taps * rankOf(l) : 0), empty);
    this.gP = perParam((l) => new Float32Array(l.ldfaRule >= 0 ? rankOf(l) * l.nOut : 0), empty);
    this.ldfaScratch = nodes.map(() => empty);
    // The normative LDFA rule draws its P, Q from W's SVD at first use; state() triggers it before any kernel reads them.
    for (const l of params) if (l.pathway instanceof LowRankPathway) l.pathway.state();
  }

  private reserve(rows: number): void {
    if (rows <= this.rows) return;
    this.rows = rows;
    this.x = ensure(this.x, rows * this.inputSize);
    if (this.labels.length < rows) this.labels = new Int32Array(rows);
    this.onehot = ensure(this.onehot, rows * this.classes);
    this.e = ensure(this.e, rows * this.classes);
    this.nodes.forEach((node, i) => {
      this.h[i] = ensure(this.h[i], rows * node.outSize);
      this.d[i] = ensure(this.d[i], rows * node.outSize);
      if (node.type === 'pool') {
        if (this.argmax[i].length < rows * node.outSize) this.argmax[i] = new Int32Array(rows * node.outSize);
        return;
      }
      if (node.type === 'norm') {
        const b = this.norm[i] as NonNullable<FusedTrainer['norm'][number]>;
        b.xh = ensure(b.xh, rows * node.outSize);
        return;
      }
      const l = node;
      const positions = rows * l.positions;
      if (l.conv && !l.conv.identity) {
        const images = Math.min(rows, Math.floor(KEEP_COLS_FLOATS / (l.positions * l.taps)));
        if (images > 0) this.keptCols[i] = ensure(this.keptCols[i], images * l.positions * l.taps);
      }
      if (l.pathway instanceof LowRankPathway) {
        const r = l.pathway.rank;
        this.scratch[i] = ensure(this.scratch[i], (l.mode === Mode.DirectLowRank ? rows : positions) * r);
        if (l.ldfaRule === 1) this.ldfaScratch[i] = ensure(this.ldfaScratch[i], positions * l.nOut + r * positions + r * l.nOut + r * r);
        if (l.ldfaRule === 3) this.ldfaScratch[i] = ensure(this.ldfaScratch[i], l.taps * l.nOut);
      }
    });
  }

  /** One step on the examples `indices` of `data` (the trainer's batches). */
  stepIndices(data: Required<ArrayDataset>, indices: ArrayLike<number>, options: FusedStepOptions = {}): { loss: number; correct: number } {
    const n = indices.length;
    this.reserve(n);
    const size = this.inputSize;
    for (let i = 0; i < n; i++) {
      const k = indices[i];
      this.x.set(data.x.subarray(k * size, (k + 1) * size), i * size);
      this.labels[i] = data.y[k];
    }
    return this.run(n, options);
  }

  /** One step on rows x [rows * input size] with integer labels [rows]. */
  step(x: Float32Array, labels: ArrayLike<number>, options: FusedStepOptions = {}): { loss: number; correct: number } {
    if (!(x instanceof Float32Array)) throw new ArgumentError('x', 'a Float32Array', x);
    const n = labels.length;
    if (n < 1 || x.length !== n * this.inputSize) {
      // The input's layer: a pooling layer may come before the first parametric one.
      const input = this.nodes[0];
      throw new FusedStepError(input.type === 'param' ? input.index : null, this.steps + 1, `x has ${x.length} floats; expected rows (${n}, one per label) times the input size ${this.inputSize}`, siteOf(input));
    }
    this.reserve(n);
    this.x.set(x);
    for (let i = 0; i < n; i++) this.labels[i] = labels[i];
    return this.run(n, options);
  }

  private run(n: number, options: FusedStepOptions): { loss: number; correct: number } {
    const step = ++this.steps;
    fusedSteps++;
    const { net, optimizer, nodes, k } = this;
    const last = nodes.length - 1;
    const epoch = options.epoch ?? 0;
    optimizer.epoch = epoch;
    const lr = optimizer.learningRate;
    for (const node of nodes) if (node.type === 'param') node.pathway.beginBatch();
    const caller = this.poolWorker ? null : k.getThreads();
    const threads = stepThreads(n * this.widestProduct, caller, this.poolWorker);
    if (threads !== null && threads !== caller) k.setThreads(threads);
    // The node being worked on, for the error message of anything that throws.
    let where = 0;
    let targets: tf.Tensor | null = null;
    let outputError: tf.Tensor | null = null;
    try {
      for (let i = 0; i <= last; i++) {
        where = i;
        this.forward(i, n, i === 0 ? this.x : this.h[i - 1]);
      }
      k.lossAndError(n, this.classes, this.h[last], this.labels, this.e, net.loss === 'mse', this.result);
      for (let i = last; i >= this.first; i--) {
        where = i;
        const node = nodes[i];
        const input = i === 0 ? this.x : this.h[i - 1];
        const signal = i === last ? this.e : this.d[i];
        if (node.type === 'pool') {
          k.maxPoolBackward(n, node.inSize, node.outSize, signal, this.argmax[i], this.d[i - 1]);
          continue;
        }
        if (node.type === 'norm') {
          // Batch norm's backward is exact under every rule (batch-norm.ts); a parametric node precedes it (planLayers).
          const b = this.norm[i] as NonNullable<FusedTrainer['norm'][number]>;
          const bn = node.layer;
          (k.batchNormBackward as NormKernels['batchNormBackward'])(node.act, n * node.positions, node.C, node.act === ACT_CODE.linear ? null : this.h[i],
            signal, b.xh, b.inv, borrowedFloat32(bn.gamma), b.dgamma, b.dbeta, this.d[i - 1]);
          optimizer.stepInPlace(bn.gamma, b.dgamma, lr);
          optimizer.stepInPlace(bn.beta, b.dbeta, lr);
          continue;
        }
        const l = node;
        this.backward(i, n, input, signal);
        // Native LDFA learning once the pathway's first learn (the reference code) has created its optimisers.
        const lowRank = l.pathway as LowRankPathway;
        if (l.ldfaRule >= 0 && lowRank.optimizer && lowRank.pOptimizer) this.learnLowRank(i, n, signal, epoch);
        else if (l.pathway.rule === 'kolen-pollack' && l.pathway.optimizer) {
          // Kolen-Pollack's learn is B's own optimiser step on W's gradient x^T delta: in place, as for W.
          const o = l.pathway.optimizer;
          o.epoch = epoch;
          o.stepInPlace((l.pathway as KernelPathway).B, this.gW[i], o.learningRate);
        } else if (l.learns) {
          if (!outputError) {
            outputError = tf.tensor(this.e.subarray(0, n * this.classes), [n, this.classes], 'float32');
            targets = tf.tensor(this.oneHot(n), [n, this.classes], 'float32');
          }
          this.learn(l, n, input, signal, i, outputError, targets as tf.Tensor, epoch);
        }
        optimizer.stepInPlace(l.layer.weight, this.gW[i], lr);
        if (l.layer.bias) optimizer.stepInPlace(l.layer.bias, this.gb[i], lr);
      }
    } catch (e) {
      if (e instanceof FusedStepError) throw e;
      const node = nodes[where];
      throw new FusedStepError(node.type === 'param' ? node.index : null, step, (e as Error).message, siteOf(node));
    } finally {
      if (threads !== null && threads !== caller) k.setThreads(caller as number);
      if (targets) tf.dispose([targets, outputError as tf.Tensor]);
    }
    if (options.weightNormConstraint) net.constrainWeightNorms();
    return { loss: this.result[0], correct: this.result[1] };
  }

  /** Node i's forward pass from `input` into h[i] (a pooling node also records its argmax). */
  private forward(i: number, n: number, input: Float32Array): void {
    const node = this.nodes[i];
    const k = this.k;
    if (node.type === 'pool') {
      const p = node;
      k.maxPool(input, this.h[i], this.argmax[i], n, p.H, p.W, p.C, p.OH, p.OW, p.size, p.size, p.stride, p.stride, 1, 1, 0, 0);
      return;
    }
    if (node.type === 'norm') {
      this.normForward(i, node, n, input);
      return;
    }
    const l = node;
    const w = borrowedFloat32(l.layer.weight);
    const b = l.layer.bias ? borrowedFloat32(l.layer.bias) : null;
    const g = l.conv;
    if (g) k.convForward(l.act, n, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.k, g.stride, g.padTop, g.padLeft, input, w, b, this.colsOf(i, n), this.h[i]);
    else k.denseForward(l.act, n, l.taps, l.nOut, input, w, b, this.h[i]);
  }

  /**
   * Batch norm's forward pass on the batch's statistics, and its running statistics moved as
   * BatchNorm.updateStatistics moves them (the same float32 operations: (1 - a) r + a s, the variance unbiased).
   */
  private normForward(i: number, node: FusedNorm, n: number, input: Float32Array): void {
    const b = this.norm[i] as NonNullable<FusedTrainer['norm'][number]>;
    const bn = node.layer;
    const m = n * node.positions;
    (this.k.batchNormForward as NormKernels['batchNormForward'])(node.act, m, node.C, input, borrowedFloat32(bn.gamma), borrowedFloat32(bn.beta), bn.epsilon,
      b.mean, b.variance, b.inv, b.xh, this.h[i]);
    const f = Math.fround;
    const a = f(bn.momentum), keep = f(1 - bn.momentum), unbias = f(m / (m - 1));
    const rm = writableFloat32(bn.runningMean), rv = writableFloat32(bn.runningVar);
    for (let c = 0; c < node.C; c++) {
      rm[c] = f(f(rm[c] * keep) + f(b.mean[c] * a));
      const v = m > 1 ? f(b.variance[c] * unbias) : b.variance[c];
      rv[c] = f(f(rv[c] * keep) + f(v * a));
    }
  }

  /** Whether conv layer `l` keeps a batch of n rows' im2col from its forward pass (a function of n only: a seeded run repeats). */
  private keeps(l: FusedLayer, n: number): boolean {
    return !!l.conv && !l.conv.identity && n * l.positions * l.taps <= KEEP_COLS_FLOATS;
  }

  /** The im2col buffer conv node i uses at n rows: its own kept one, the shared chunk scratch, or none (identity). */
  private colsOf(i: number, n: number): Float32Array | null {
    const l = this.nodes[i] as FusedLayer;
    if (!l.conv || l.conv.identity) return null;
    return this.keeps(l, n) ? this.keptCols[i] : this.cols;
  }

  /** The pathway's `learn` on tensors viewing this step's buffers (no copies), as Network.trainStep calls it. */
  private learn(l: FusedLayer, n: number, input: Float32Array, delta: Float32Array, i: number, outputError: tf.Tensor, targets: tf.Tensor, epoch: number): void {
    const views = [
      tf.tensor(input.subarray(0, n * l.inSize), [n, ...l.layer.inputShape], 'float32'),
      tf.tensor(delta.subarray(0, n * l.outSize), [n, ...l.layer.outputShape], 'float32'),
      tf.tensor(this.gW[i], l.layer.weight.shape, 'float32'),
    ];
    try {
      l.pathway.learn({ input: views[0], delta: views[1], weightGradient: views[2], outputError, targets, paramIndex: l.index, mainOptimizer: this.optimizer.options, epoch });
    } finally {
      tf.dispose(views);
    }
  }

  /** Node i's backward pass (a parametric layer); the first parametric layer sends no signal further. */
  private backward(i: number, n: number, input: Float32Array, delta: Float32Array): void {
    const l = this.nodes[i] as FusedLayer;
    const mode = i === this.first ? Mode.None : l.mode;
    const dx = i === this.first ? null : this.d[i - 1];
    const h = l.act === ACT_CODE.linear ? null : this.h[i];
    const gb = l.layer.bias ? this.gb[i] : null;
    let k1: Float32Array | null = null;
    let k2: Float32Array | null = null;
    let e: Float32Array | null = null;
    let rank = 0;
    let clip = 0;
    const p = l.pathway;
    switch (mode) {
      case Mode.Kernel:
        k1 = borrowedFloat32(p.rule === 'bp' ? l.layer.weight : (p as KernelPathway).B);
        break;
      case Mode.Sign: {
        k1 = borrowedFloat32(l.layer.weight);
        const M = (p as FeedbackPathway & { M: tf.Tensor | null }).M;
        k2 = M ? borrowedFloat32(M) : null;
        break;
      }
      case Mode.Direct:
        k1 = borrowedFloat32((p as KernelPathway).B);
        e = this.e;
        break;
      case Mode.LowRank:
      case Mode.DirectLowRank: {
        const lr = p as LowRankPathway;
        k1 = borrowedFloat32(lr.Q);
        k2 = borrowedFloat32(lr.P);
        rank = lr.rank;
        clip = lr.backwardClip ?? 0;
        if (mode === Mode.DirectLowRank) e = this.e;
        break;
      }
      default:
        break;
    }
    const scratch = this.scratch[i].length ? this.scratch[i] : null;
    const g = l.conv;
    if (!g) {
      this.k.denseBackward(l.act, n, l.taps, l.nOut, input, h, delta, this.gW[i], gb, mode, dx, k1, k2, e, rank, this.classes, scratch, l.scale, clip);
      return;
    }
    this.k.convBackward(l.act, n, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.k, g.stride, g.padTop, g.padLeft, input, this.colsOf(i, n), this.keeps(l, n), h, delta,
      this.gW[i], gb, mode, dx, k1, k2, e, rank, this.classes, scratch, l.scale, clip);
  }

  /**
   * LowRankPathway.learn for layered LDFA (fixed-p, raf, local, normative) in native code: Q's and P's gradients
   * (ldfaGradients; a conv layer's rows are its examples x positions), then each by its own optimiser, Q first, as the pathway does.
   */
  private learnLowRank(i: number, n: number, delta: Float32Array, epoch: number): void {
    const l = this.nodes[i] as FusedLayer;
    const p = l.pathway as LowRankPathway;
    const qOpt = p.optimizer as Optimizer;
    const pOpt = p.pOptimizer as Optimizer;
    const raf = l.ldfaRule === 1;
    const E = raf ? (p.ojaOnLabels ? this.oneHot(n) : delta) : null;
    // The pathway's gradient clamp is private to it; read, not changed.
    const clip = (p as unknown as { clip: number | null }).clip ?? 0;
    const withP = l.ldfaRule !== 0;
    const rows = p.ojaOnLabels ? n : n * l.positions;
    const normative = l.ldfaRule === 3;
    this.k.ldfaGradients(l.ldfaRule, l.taps, l.nOut, p.rank, rows, this.gW[i], borrowedFloat32(p.P), borrowedFloat32(p.Q), E, this.gQ[i], withP ? this.gP[i] : null,
      raf || normative ? this.ldfaScratch[i] : null, clip, normative ? borrowedFloat32(l.layer.weight) : null);
    qOpt.epoch = epoch;
    pOpt.epoch = epoch;
    qOpt.stepInPlace(p.Q, this.gQ[i], qOpt.learningRate);
    if (withP) pOpt.stepInPlace(p.P, this.gP[i], pOpt.learningRate);
  }

  private oneHot(n: number): Float32Array {
    const c = this.classes;
    const t = this.onehot.subarray(0, n * c);
    t.fill(0);
    for (let i = 0; i < n; i++) t[i * c + this.labels[i]] = 1;
    return t;
  }
}

let fusedSteps = 0;

/** Fused steps taken in this process (tells a test or a benchmark which path a run took). */
export function fusedStepCount(): number {
  return fusedSteps;
}

/** Whether the fused path is switched off by the environment (LDL_FUSED=0). */
export function fusedDisabledByEnv(): boolean {
  return process.env.LDL_FUSED === '0';
}

/**
 * The fused step of `net` with `optimizer`, or the reason it does not apply
 * (a string): no add-on, another backend, a layer or rule it does not cover.
 */
export function fusedTrainer(net: Network, optimizer: Optimizer): FusedTrainer | string {
  const k = kernels();
  if (typeof k === 'string') return k;
  const backend = tf.getBackend();
  if (backend !== 'blas' && backend !== 'cpu') return `the tfjs backend is ${backend} (the fused path needs blas or cpu)`;
  // The reference path draws a network optimiser's update noise in parameter order, this one updates last layer first.
  if (optimizer.options.updateNoise > 0) return 'the optimiser adds update noise (updateNoise) to the network\'s parameters, drawn in the reference path\'s order';
  if (net.loss === 'poisson') return 'the loss is poisson (the fused path has cross-entropy and MSE)';
  const layers = planLayers(net);
  if (typeof layers === 'string') return layers;
  if (layers.some((n) => n.type === 'norm') && (!k.batchNormForward || !k.batchNormBackward)) {
    return 'the native add-on predates the batch-norm kernels (rebuild: node scripts/build-native.mjs)';
  }
  return new FusedTrainer(net, optimizer, layers, k);
}
