/**
 * The fused training path of dense networks (issue 14): a training step as a
 * few calls into the native add-on per layer (native/src/fused_dense.cc) on
 * buffers reused from step to step, instead of one tfjs kernel, one fresh
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
 *              raf, local: ldfaGradients) learn in place once their first
 *              `learn` has created their optimisers
 *   update     W_k, b_k in place by the Optimizer's settings and its slots
 *              (Optimizer.slotOf), so either path continues the other's run  optimizerStep
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
 * values. Buffers for activations, errors and gradients are allocated for
 * the largest batch seen and reused: the steady state allocates nothing.
 *
 * Where it applies (`fusedPlan` says why not otherwise): the native add-on
 * with the fused kernels is loaded and the tfjs backend is `blas` or `cpu`;
 * the network is dense layers on flat inputs, each followed by at most one
 * activation (relu, tanh, sigmoid, linear), flatten layers anywhere (a no-op
 * on contiguous rows); every pathway is a built-in rule listed above. Every
 * other network (conv, pooling, vector-valued units, layers other issues
 * add) and every run-time registered rule runs on the reference path,
 * unchanged.
 *
 * Threads (issue 14, item 3). OpenBLAS's thread count is process-global and
 * two threads give different float32 sums than one, so the count of a step
 * is a fixed function of its shape and the caller's setting, never of
 * timings, and a seeded run repeats bitwise: a step whose largest GEMM has
 * at least TWO_THREAD_MIN_PRODUCT multiply-adds (rows x the largest
 * nIn x nOut) runs on the caller's count (blasThreads(): OpenBLAS's default
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
 *
 * How a layer joins (see CONTRIBUTING.md): give it kernels for its forward
 * pass (output into a caller's buffer) and its backward pass (delta from the
 * incoming signal, parameter gradients into buffers, the signal to its input
 * through each pathway mode it supports), add its case to `planLayers`
 * below, and extend test/rules/fused.test.ts's comparison with the reference
 * path to it.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, nativeAddon, type NativeAddon } from '../core';
import type { ArrayDataset } from '../data';
import { Activation, type ActivationName, type ParamLayer } from './layers';
import { LowRankPathway } from './low-rank';
import type { Network } from './network';
import type { Optimizer, SlotState } from './optim';
import { KernelPathway, type FeedbackPathway } from './pathway';

const ACT_CODE: Record<ActivationName, number> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3 };
const OPT_CODE = { sgd: 0, adam: 1, adamw: 2 } as const;

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

interface FusedLayer {
  /** Index among the network's parametric layers. */
  index: number;
  layer: ParamLayer;
  pathway: FeedbackPathway;
  nIn: number;
  nOut: number;
  act: number;
  mode: Mode;
  /** Whether the pathway learns (its `learn` is called with tensor views of the step's buffers). */
  learns: boolean;
  /** usf's scale (frsf/brsf use M). */
  scale: number;
  /** Layered LDFA with rule fixed-p, raf or local: Q's and P's gradients in native code (0, 1, 2), else -1 (the pathway's own learn). */
  ldfaRule: number;
}

/** Kernels and tfjs data access the fused path needs. */
type FusedKernels = Required<Pick<NativeAddon, 'denseForward' | 'denseBackward' | 'lossAndError' | 'optimizerStep' | 'ldfaGradients' | 'setThreads' | 'getThreads'>>;

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
  const a = nativeAddon();
  if (!a) return 'the native add-on is not loaded';
  if (!a.denseForward || !a.denseBackward || !a.lossAndError || !a.optimizerStep || !a.ldfaGradients) return 'the native add-on predates the fused kernels (rebuild: node scripts/build-native.mjs)';
  return a as FusedKernels;
}

/** The layers of `net` as fused layers, or the reason the fused path does not apply. */
function planLayers(net: Network): FusedLayer[] | string {
  const out: FusedLayer[] = [];
  let k = 0;
  for (let i = 0; i < net.layers.length; i++) {
    const l = net.layers[i];
    if (l.kind === 'flatten') continue;
    if (l.kind !== 'dense') return `layer ${i} is ${l.kind} (the fused path has dense layers only)`;
    const layer = l as ParamLayer;
    if (layer.inputShape.length !== 1) return `layer ${i} (dense) has vector-valued units (input shape [${layer.inputShape.join(', ')}])`;
    const next = net.layers[i + 1];
    let act = 'linear' as ActivationName;
    if (next && next.kind === 'activation') {
      act = (next as Activation).activation;
      const after = net.layers[i + 2];
      if (after && after.kind === 'activation') return `layers ${i + 1} and ${i + 2} are two activations in a row`;
      i++;
    } else if (next && next.kind !== 'dense' && next.kind !== 'flatten') {
      return `layer ${i + 1} is ${next.kind}`;
    }
    const pathway = net.pathways[k];
    const mode = pathwayMode(pathway);
    if (mode === null) return `parametric layer ${k}'s rule ${pathway.rule} has no fused pathway`;
    out.push({
      index: k,
      layer,
      pathway,
      nIn: layer.inputShape[0],
      nOut: layer.outputShape[0],
      act: ACT_CODE[act],
      mode,
      learns: pathway.trainables().length > 0,
      scale: Math.sqrt(2 / (layer.fanIn + layer.fanOut)),
      ldfaRule: pathway instanceof LowRankPathway && pathway.rule === 'ldfa' ? ['fixed-p', 'raf', 'local'].indexOf(pathway.ldfaRule) : -1,
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

/** The typed array holding a float32 tensor's data on a CPU-memory backend (no copy). */
function dataOf(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** The array of variable `v` for writing in place; `v` first gets a private copy when another tensor shares its data. */
function writableData(v: tf.Variable): Float32Array {
  const backend = tf.backend() as unknown as { refCount(id: tf.DataId): number };
  if (backend.refCount(v.dataId) > 1) {
    tf.tidy(() => v.assign(tf.tensor(Float32Array.from(dataOf(v)), v.shape, 'float32')));
  }
  return dataOf(v);
}

/** An error of a fused step, naming the parametric layer and the step. */
export class FusedStepError extends Error {
  constructor(readonly layer: number | null, readonly step: number, message: string) {
    super(`fused step ${step}${layer === null ? '' : `, parametric layer ${layer} (dense)`}: ${message}`);
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
  /** h[k]: layer k's output (logits for the last); d[k]: the signal at layer k's output (d[L-1] is e). */
  private h: Float32Array[];
  private d: Float32Array[];
  private gW: Float32Array[];
  private gb: Float32Array[];
  private scratch: Float32Array[];
  /** Layered LDFA learning natively: gradients of Q and P, and Oja's scratch (rows-dependent). */
  private gQ: Float32Array[];
  private gP: Float32Array[];
  private ojaScratch: Float32Array[];
  private readonly result = new Float64Array(2);
  private readonly inputSize: number;
  private readonly classes: number;
  /** The largest nIn x nOut of the layers: rows times it is the step's largest GEMM. */
  private readonly widestProduct: number;
  private readonly poolWorker = process.env.LDL_POOL_WORKER === '1';

  constructor(readonly net: Network, readonly optimizer: Optimizer, private readonly layers: FusedLayer[], private readonly k: FusedKernels) {
    this.inputSize = net.inputShape.reduce((a, b) => a * b, 1);
    this.classes = net.outputSize;
    this.widestProduct = Math.max(...layers.map((l) => l.nIn * l.nOut));
    this.h = layers.map(() => new Float32Array(0));
    this.d = layers.map(() => new Float32Array(0));
    this.gW = layers.map((l) => new Float32Array(l.nIn * l.nOut));
    this.gb = layers.map((l) => new Float32Array(l.layer.bias ? l.nOut : 0));
    this.scratch = layers.map((l) => new Float32Array(l.mode === Mode.Sign ? l.nIn * l.nOut : 0));
    const rankOf = (l: FusedLayer) => (l.pathway instanceof LowRankPathway ? l.pathway.rank : 0);
    this.gQ = layers.map((l) => new Float32Array(l.ldfaRule >= 0 ? l.nIn * rankOf(l) : 0));
    this.gP = layers.map((l) => new Float32Array(l.ldfaRule >= 0 ? rankOf(l) * l.nOut : 0));
    this.ojaScratch = layers.map(() => new Float32Array(0));
    // The normative LDFA rule draws its P, Q from W's SVD at first use; state() triggers it before any kernel reads them.
    for (const l of layers) if (l.pathway instanceof LowRankPathway) l.pathway.state();
  }

  private reserve(rows: number): void {
    if (rows <= this.rows) return;
    this.rows = rows;
    this.x = ensure(this.x, rows * this.inputSize);
    if (this.labels.length < rows) this.labels = new Int32Array(rows);
    this.onehot = ensure(this.onehot, rows * this.classes);
    this.e = ensure(this.e, rows * this.classes);
    this.layers.forEach((l, k) => {
      this.h[k] = ensure(this.h[k], rows * l.nOut);
      this.d[k] = ensure(this.d[k], rows * l.nOut);
      if (l.pathway instanceof LowRankPathway) {
        const r = l.pathway.rank;
        this.scratch[k] = ensure(this.scratch[k], rows * r);
        if (l.ldfaRule === 1) this.ojaScratch[k] = ensure(this.ojaScratch[k], rows * l.nOut + r * rows + r * l.nOut + r * r);
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
      throw new FusedStepError(0, this.steps + 1, `x has ${x.length} floats; expected rows (${n}, one per label) times the input size ${this.inputSize}`);
    }
    this.reserve(n);
    this.x.set(x);
    for (let i = 0; i < n; i++) this.labels[i] = labels[i];
    return this.run(n, options);
  }

  private run(n: number, options: FusedStepOptions): { loss: number; correct: number } {
    const step = ++this.steps;
    fusedSteps++;
    const { net, optimizer, layers, k } = this;
    const L = layers.length;
    const epoch = options.epoch ?? 0;
    optimizer.epoch = epoch;
    const lr = optimizer.learningRate;
    for (const l of layers) l.pathway.beginBatch();
    const caller = this.poolWorker ? null : k.getThreads();
    const threads = stepThreads(n * this.widestProduct, caller, this.poolWorker);
    if (threads !== null && threads !== caller) k.setThreads(threads);
    // The parametric layer being worked on, for the error message of anything that throws.
    let where = 0;
    let targets: tf.Tensor | null = null;
    let outputError: tf.Tensor | null = null;
    try {
      for (let i = 0; i < L; i++) {
        const l = layers[i];
        where = l.index;
        k.denseForward(l.act, n, l.nIn, l.nOut, i === 0 ? this.x : this.h[i - 1], dataOf(l.layer.weight), l.layer.bias ? dataOf(l.layer.bias) : null, this.h[i]);
      }
      k.lossAndError(n, this.classes, this.h[L - 1], this.labels, this.e, net.loss === 'mse', this.result);
      for (let i = L - 1; i >= 0; i--) {
        const l = layers[i];
        where = l.index;
        const input = i === 0 ? this.x : this.h[i - 1];
        const delta = i === L - 1 ? this.e : this.d[i];
        this.backward(i, n, input, delta);
        // Native LDFA learning once the pathway's first learn (the reference code) has created its optimisers.
        const lowRank = l.pathway as LowRankPathway;
        if (l.ldfaRule >= 0 && lowRank.optimizer && lowRank.pOptimizer) this.learnLowRank(i, n, delta, epoch);
        else if (l.pathway.rule === 'kolen-pollack' && l.pathway.optimizer) {
          // Kolen-Pollack's learn is B's own optimiser step on W's gradient x^T delta: in place, as for W.
          const o = l.pathway.optimizer;
          o.epoch = epoch;
          this.update(o, (l.pathway as KernelPathway).B, this.gW[i], o.learningRate);
        } else if (l.learns) {
          if (!outputError) {
            outputError = tf.tensor(this.e.subarray(0, n * this.classes), [n, this.classes], 'float32');
            targets = tf.tensor(this.oneHot(n), [n, this.classes], 'float32');
          }
          this.learn(l, n, input, delta, i, outputError, targets as tf.Tensor, epoch);
        }
        this.update(optimizer, l.layer.weight, this.gW[i], lr);
        if (l.layer.bias) this.update(optimizer, l.layer.bias, this.gb[i], lr);
      }
    } catch (e) {
      throw e instanceof FusedStepError ? e : new FusedStepError(where, step, (e as Error).message);
    } finally {
      if (threads !== null && threads !== caller) k.setThreads(caller as number);
      if (targets) tf.dispose([targets, outputError as tf.Tensor]);
    }
    if (options.weightNormConstraint) net.constrainWeightNorms();
    return { loss: this.result[0], correct: this.result[1] };
  }

  /** The pathway's `learn` on tensors viewing this step's buffers (no copies), as Network.trainStep calls it. */
  private learn(l: FusedLayer, n: number, input: Float32Array, delta: Float32Array, i: number, outputError: tf.Tensor, targets: tf.Tensor, epoch: number): void {
    const views = [
      tf.tensor(input.subarray(0, n * l.nIn), [n, l.nIn], 'float32'),
      tf.tensor(delta.subarray(0, n * l.nOut), [n, l.nOut], 'float32'),
      tf.tensor(this.gW[i], [l.nIn, l.nOut], 'float32'),
    ];
    try {
      l.pathway.learn({ input: views[0], delta: views[1], weightGradient: views[2], outputError, targets, paramIndex: l.index, mainOptimizer: this.optimizer.options, epoch });
    } finally {
      tf.dispose(views);
    }
  }

  /** Layer i's backward pass; the first layer sends no signal further. */
  private backward(i: number, n: number, input: Float32Array, delta: Float32Array): void {
    const l = this.layers[i];
    const mode = i === 0 ? Mode.None : l.mode;
    const dx = i === 0 ? null : this.d[i - 1];
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
        k1 = dataOf(p.rule === 'bp' ? l.layer.weight : (p as KernelPathway).B);
        break;
      case Mode.Sign: {
        k1 = dataOf(l.layer.weight);
        const M = (p as FeedbackPathway & { M: tf.Tensor | null }).M;
        k2 = M ? dataOf(M) : null;
        break;
      }
      case Mode.Direct:
        k1 = dataOf((p as KernelPathway).B);
        e = this.e;
        break;
      case Mode.LowRank:
      case Mode.DirectLowRank: {
        const lr = p as LowRankPathway;
        k1 = dataOf(lr.Q);
        k2 = dataOf(lr.P);
        rank = lr.rank;
        clip = lr.backwardClip ?? 0;
        if (mode === Mode.DirectLowRank) e = this.e;
        break;
      }
      default:
        break;
    }
    this.k.denseBackward(l.act, n, l.nIn, l.nOut, input, h, delta, this.gW[i], gb, mode, dx, k1, k2, e, rank, this.classes, this.scratch[i].length ? this.scratch[i] : null, l.scale, clip);
  }

  /**
   * LowRankPathway.learn for layered LDFA (fixed-p, raf, local) in native code: Q's and P's gradients
   * (ldfaGradients), then each by its own optimiser, Q first, as the pathway does.
   */
  private learnLowRank(i: number, n: number, delta: Float32Array, epoch: number): void {
    const l = this.layers[i];
    const p = l.pathway as LowRankPathway;
    const qOpt = p.optimizer as Optimizer;
    const pOpt = p.pOptimizer as Optimizer;
    const raf = l.ldfaRule === 1;
    const E = raf ? (p.ojaOnLabels ? this.oneHot(n) : delta) : null;
    // The pathway's gradient clamp is private to it; read, not changed.
    const clip = (p as unknown as { clip: number | null }).clip ?? 0;
    const withP = l.ldfaRule !== 0;
    this.k.ldfaGradients(l.ldfaRule, l.nIn, l.nOut, p.rank, n, this.gW[i], dataOf(p.P), dataOf(p.Q), E, this.gQ[i], withP ? this.gP[i] : null, raf ? this.ojaScratch[i] : null, clip);
    qOpt.epoch = epoch;
    pOpt.epoch = epoch;
    this.update(qOpt, p.Q, this.gQ[i], qOpt.learningRate);
    if (withP) this.update(pOpt, p.P, this.gP[i], pOpt.learningRate);
  }

  private update(opt: Optimizer, p: tf.Variable, g: Float32Array, lr: number): void {
    const o = opt.options;
    const s: SlotState = opt.slotOf(p);
    s.t += 1;
    this.k.optimizerStep(OPT_CODE[o.type], p.size, writableData(p), g, s.m ? writableData(s.m) : null, s.v ? writableData(s.v) : null, lr, o.momentum, o.nesterov, o.beta1, o.beta2, o.epsilon, o.weightDecay, o.manhattan, s.t);
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
  const layers = planLayers(net);
  if (typeof layers === 'string') return layers;
  return new FusedTrainer(net, optimizer, layers, k);
}
