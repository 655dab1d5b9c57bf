/**
 * Low-dimensional error feedback (LDFA; Hanut & Kadmon, arXiv 2502.20580,
 * first version "Restricted Adaptive Feedback", RAF): each feedback matrix
 * is factorised as B = Q P, P compressing the error to r dimensions, Q
 * expanding it back. A rule family ('ldfa', 'dldfa'; private to lib/rules,
 * registered in registry.ts).
 *
 * Orientation (examples are rows; the papers' columns): a layer's forward
 * kernel W is [in, out] (dense) or [k, k, cin, cout] (conv). P is [r, out]
 * (paper orientation: r x m) and Q has W's shape with its last axis r
 * ([in, r] dense, [k, k, cin, r] conv: a kxk conv from r to cin channels).
 * The effective feedback kernel, stored in W's shape like every kernel of
 * this module, is K = Q P (dense) or K[a,b,ci,co] = sum_j Q[a,b,ci,j] P[j,co]
 * (conv: P acts as a 1x1 conv from cout to r channels). Backward signal:
 * dx = inputAdjoint(dy P^T, Q), i.e. dy P^T Q^T (dense) or
 * conv2dTranspose(conv1x1(dy, P^T), Q) (conv); with r = out, Q = W, P = I it
 * is BP's dx exactly.
 *
 * Rules (`ldfaRule`), G = the layer's weight gradient reshaped [in*, out]:
 *   fixed      P and Q fixed random.
 *   fixed-p    P fixed random; Q Kolen-Pollack-like: grad_Q = G P^T + decay.
 *   raf        P by Oja's subspace rule on the error P compresses (rows =
 *              examples, and positions for conv), centred over the batch and
 *              divided by the largest column standard deviation (+1e-8):
 *              grad_P = -(P C - P C P^T P), C = E^T E / rows; Q as in
 *              fixed-p. Hidden layers: their delta. Where P compresses the
 *              network's output error (the last layer; every layer of the
 *              direct variant), the authors' code feeds Oja's rule the
 *              batch's one-hot targets instead (`ojaOutputSignal: 'labels'`,
 *              the default), so P learns the label-covariance subspace (the
 *              linear theory's Sigma_yy); 'error' uses e. The backward signal
 *              is clamped to [-1, 1] as in that code (`backwardClip`).
 *   normative  descent on 1/2 ||Q P - W||_F^2: grad_Q = D P^T, grad_P = Q^T D,
 *              D = Q P - W; P and Q start from the truncated SVD of W
 *              (Q = U_r S_r^1/2, P = S_r^1/2 V_r^T), the best rank-r B.
 *   local      grad_Q = G P^T, grad_P = Q^T G: products of pre- and
 *              postsynaptic signals only (x^T delta), with decay.
 *
 * Direct variant ('dldfa'): like this module's DFA, each layer's input
 * receives reshape(e P^T Q^T) from the output error e, with P [r, classes]
 * and Q [input size, r] per layer; G = x^T e (x the layer's flattened
 * input). The authors' dRAF applies P to the error at the input of the last
 * layer; here P acts on e itself, as DFA does in this module. 'normative'
 * has no forward kernel to align to in the direct variant and is rejected.
 *
 * The first parametric layer's pathway (paramIndex 0) starts dormant: the
 * network sends no signal below its first parametric layer, so P and Q
 * there would be drawn (or SVD-initialised) and trained every step for
 * nothing. A dormant pathway holds zero-size P and Q, learns nothing,
 * saves nothing and has no feedback kernel (null, as DFA's); the first
 * `propagate` (a network whose first layer with parameters is not
 * parametric, e.g. a layer norm, needs the signal) or a `setState` with P
 * and Q wakes it: P and Q are then made as any layer's, from the same
 * stream.
 *
 * Optimisers: Q's and P's own Optimizer instances. Default 'same': the
 * network optimiser's settings; Q with weight decay (the network's, or 1e-3
 * if that is 0; none for 'normative'), P without. Each draws any update
 * noise from its own stream (copiedOptimizerOptions: streams 2k and 2k + 1
 * of the settings' noiseSeed for parametric layer k), not the network's. Gradients of P and Q are
 * clamped to +-`clip` when set (the later version's code: 10 dense, 0.1 conv).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkOneOf, checkPositive, checkShape, gemm, Matrix, Rng, symEig } from '../core';
import { principalAngles, topEigenvectors } from './alignment';
import { ParamLayer, variableFrom } from './layers';
import { copiedOptimizerOptions, Optimizer, OptimizerOptions } from './optim';
import { feedbackDecay, FeedbackPathway, LearnContext, ownOptimizerOptions, PathwayContext, PropagateContext, RuleDefinition, withDefaults } from './pathway';

export type LowRankRule = 'fixed' | 'fixed-p' | 'raf' | 'normative' | 'local';
export const LOW_RANK_RULES: readonly LowRankRule[] = ['fixed', 'fixed-p', 'raf', 'normative', 'local'];

/** Rank of one layer's feedback: a positive integer (capped at the error's width) or 'full' (= that width). */
export type RankSetting = number | 'full';

/** Options of 'ldfa' and 'dldfa'. */
export interface LowRankOptions {
  /**
   * Feedback rank r, one number for every layer or one entry per parametric
   * layer ('full' = the error's width; larger values are capped at it).
   * Default 'full'.
   */
  rank?: RankSetting | RankSetting[];
  /** How P and Q learn (default 'raf'); see the header. */
  ldfaRule?: LowRankRule;
  /** Clamp P's and Q's gradients to +-clip (default none). */
  clip?: number;
  /**
   * Clamp the backward signal each pathway sends to its layer's input to
   * +-backwardClip. Default 1 for 'raf' (the authors' first-version code
   * clamps it to [-1, 1]), none (null) for the other rules.
   */
  backwardClip?: number | null;
  /**
   * 'raf': what Oja's rule sees where P compresses the network's output
   * error (the last layer's pathway; every pathway of the direct variant):
   * 'labels' (default; the authors' code: the batch's one-hot targets, so P
   * learns the label-covariance subspace, Sigma_yy of the linear theory) or
   * 'error' (the output error e itself).
   */
  ojaOutputSignal?: 'labels' | 'error';
  /** Weight decay of Q (and of P for 'local'): default the network optimiser's, or 1e-3 if that is 0; none for 'normative'. */
  decay?: number;
  /** Optimiser of P and Q (one instance each): 'same' (default; the network optimiser's settings) or their own. */
  optimizer?: OptimizerOptions | 'same';
}

/** Defaults of the options (the registry merges them under the user's; the pathway applies them when built directly). */
const LOW_RANK_DEFAULTS: Readonly<LowRankOptions> = { rank: 'full', ldfaRule: 'raf', ojaOutputSignal: 'labels', optimizer: 'same' };

/** The feedback rank of parametric layer `k` from `options.rank` (a number for all layers, or one entry per layer). */
export function rankOfLayer(options: LowRankOptions, k: number, width: number): number {
  checkInteger('k', k, 0);
  checkInteger('width', width, 1);
  const spec = options.rank ?? 'full';
  const v = Array.isArray(spec) ? spec[k] ?? 'full' : spec;
  if (v === 'full') return width;
  const r = checkPositive(Array.isArray(spec) ? `feedback.rank[${k}]` : 'feedback.rank', v as number);
  if (!Number.isInteger(r)) throw new ArgumentError('feedback.rank', "a positive integer or 'full'", v);
  return Math.min(r, width);
}

function uniform(shape: number[], limit: number, rng: Rng): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.uniformArray(size, -limit, limit) as Float32Array, shape, 'float32');
}

function normal(shape: number[], std: number, rng: Rng): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(size, 0, std) as Float32Array, shape, 'float32');
}

/** Rows of a batch tensor as [rows, width] (conv positions count as rows). */
function asRows(t: tf.Tensor, width: number): tf.Tensor2D {
  return t.reshape([-1, width]) as tf.Tensor2D;
}

/**
 * Oja's subspace-rule gradient (to be descended) for P [r, m] on error rows
 * E [n, m]: the rows are centred over the batch and divided by the largest
 * column standard deviation (+1e-8); C = E^T E / n; returns -(P C - P C P^T P).
 */
export function ojaSubspaceGradient(P: tf.Tensor2D, errors: tf.Tensor2D): tf.Tensor2D {
  checkShape('errors', errors.shape, [-1, -1]);
  checkShape('P', P.shape, [-1, errors.shape[1]]);
  return tf.tidy(() => {
    const n = errors.shape[0];
    const centred = errors.sub(errors.mean(0));
    const std = centred.square().mean(0).sqrt().max();
    const E = centred.div(std.add(1e-8));
    const C = tf.matMul(E, E, true, false).div(n) as tf.Tensor2D;
    const PC = tf.matMul(P, C);
    return PC.sub(tf.matMul(tf.matMul(PC, P, false, true), P)).neg() as tf.Tensor2D;
  });
}

/** The rank-r feedback pathway B = Q P of one parametric layer (layered 'ldfa' or direct 'dldfa'). */
export class LowRankPathway implements FeedbackPathway {
  readonly rule: 'ldfa' | 'dldfa';
  readonly ldfaRule: LowRankRule;
  /** Feedback rank r of this layer. */
  readonly rank: number;
  /** Width of the error P compresses (layered: the layer's out channels; direct: the network output). */
  readonly errorWidth: number;
  /** Rows of Q flattened (layered: in * k * k; direct: the layer's input size). */
  readonly expandWidth: number;
  P: tf.Variable;
  Q: tf.Variable;
  optimizer: Optimizer | null = null;
  pOptimizer: Optimizer | null = null;
  private readonly clip: number | null;
  /** Clamp of the propagated signal (null: none). */
  readonly backwardClip: number | null;
  /** True when Oja's rule of this pathway sees the batch's targets rather than an error (raf, output error, 'labels'). */
  readonly ojaOnLabels: boolean;
  private readonly options: LowRankOptions;
  /** This layer's index among the parametric layers (its optimisers' noise streams). */
  private readonly paramIndex: number;
  private needsSvdInit = false;
  /** The first layer's pathway until a signal reaches it (see the header): zero-size P and Q, nothing learned. */
  private dormantSince: { rng: Rng; qShape: number[]; direct: boolean } | null = null;

  constructor(
    readonly layer: ParamLayer,
    options: { direct: boolean; paramIndex: number; paramCount: number; outputSize: number; rng: Rng; feedback: LowRankOptions },
  ) {
    const fb = withDefaults(LOW_RANK_DEFAULTS, options.feedback);
    this.rule = options.direct ? 'dldfa' : 'ldfa';
    this.ldfaRule = checkOneOf('feedback.ldfaRule', fb.ldfaRule, LOW_RANK_RULES);
    if (options.direct && this.ldfaRule === 'normative') {
      throw new ArgumentError('feedback.ldfaRule', "'fixed', 'fixed-p', 'raf' or 'local' for the direct variant (no forward kernel to align to)", 'normative');
    }
    const wShape = layer.weight.shape;
    const out = wShape[wShape.length - 1];
    this.errorWidth = options.direct ? options.outputSize : out;
    this.expandWidth = options.direct ? layer.inputShape.reduce((a, b) => a * b, 1) : layer.weight.size / out;
    this.rank = rankOfLayer(fb, options.paramIndex, this.errorWidth);
    this.clip = fb.clip === undefined ? null : checkPositive('feedback.clip', fb.clip);
    const bc = fb.backwardClip === undefined ? (this.ldfaRule === 'raf' ? 1 : null) : fb.backwardClip;
    this.backwardClip = bc === null ? null : checkPositive('feedback.backwardClip', bc);
    const ojaSignal = checkOneOf('feedback.ojaOutputSignal', fb.ojaOutputSignal, ['labels', 'error'] as const);
    const compressesOutputError = options.direct || options.paramIndex === options.paramCount - 1;
    this.ojaOnLabels = this.ldfaRule === 'raf' && ojaSignal === 'labels' && compressesOutputError;
    const qShape = options.direct ? [this.expandWidth, this.rank] : [...wShape.slice(0, -1), this.rank];
    this.options = fb;
    this.paramIndex = options.paramIndex;
    if (options.paramIndex === 0) {
      this.dormantSince = { rng: options.rng, qShape, direct: options.direct };
      this.Q = variableFrom(tf.zeros([...qShape.slice(0, -1), 0]), false);
      this.P = variableFrom(tf.zeros([0, this.errorWidth]), false);
    } else [this.P, this.Q] = this.makeFactors(options.rng, qShape, options.direct);
  }

  /** Whether this is the first layer's pathway and no signal has gone through it yet (see the header). */
  get dormant(): boolean {
    return this.dormantSince !== null;
  }

  /** P and Q at their start: zeros until the SVD (normative), else P rows of norm ~1 and Q uniform. */
  private makeFactors(rng: Rng, qShape: number[], direct: boolean): [tf.Variable, tf.Variable] {
    const r = this.rank;
    if (this.ldfaRule === 'normative') {
      // Zeros until first use: the SVD runs in the process that trains (not in a probe that only validates the configuration).
      this.needsSvdInit = true;
      return [variableFrom(tf.zeros([r, this.errorWidth]), true), variableFrom(tf.zeros(qShape), true)];
    }
    // P rows of norm ~1 (near Oja's fixed points); Q scaled so ||QP||_F matches a Xavier-uniform kernel of W's fans.
    const P = variableFrom(normal([r, this.errorWidth], 1 / Math.sqrt(this.errorWidth), rng), this.ldfaRule !== 'fixed');
    const fanIn = direct ? this.errorWidth : this.layer.fanIn;
    const fanOut = direct ? this.expandWidth : this.layer.fanOut;
    const limit = Math.sqrt(6 / (fanIn + fanOut)) * Math.sqrt(this.errorWidth / r);
    return [P, variableFrom(uniform(qShape, limit, rng), this.ldfaRule !== 'fixed')];
  }

  /** Makes P and Q of a dormant pathway (the first signal, or a state to restore). */
  private wake(): void {
    const d = this.dormantSince;
    if (!d) return;
    this.dormantSince = null;
    tf.dispose([this.P, this.Q]);
    [this.P, this.Q] = this.makeFactors(d.rng, d.qShape, d.direct);
  }

  /** The normative rule's start: P, Q from the truncated SVD of W as it is at first use. */
  private ensureInitialised(): void {
    if (!this.needsSvdInit) return;
    this.needsSvdInit = false;
    const [q, p] = truncatedSvdFactors(this.layer.weight, this.rank);
    this.Q.assign(q);
    this.P.assign(p);
    tf.dispose([q, p]);
  }

  /** dx = inputAdjoint(dy P^T, Q) (layered) or reshape(e P^T Q^T) (direct), clamped to +-backwardClip when set. */
  propagate(ctx: PropagateContext): tf.Tensor {
    this.wake();
    this.ensureInitialised();
    const c = this.backwardClip;
    if (c === null) return this.expand(ctx);
    return tf.tidy(() => tf.clipByValue(this.expand(ctx), -c, c));
  }

  private expand(ctx: PropagateContext): tf.Tensor {
    return tf.tidy(() => {
      if (this.rule === 'dldfa') {
        const z = tf.matMul(ctx.outputError as tf.Tensor2D, this.P as tf.Tensor2D, false, true);
        return tf.matMul(z, this.Q as tf.Tensor2D, false, true).reshape(ctx.input.shape);
      }
      const dy = ctx.dy;
      const z = tf.matMul(asRows(dy, this.errorWidth), this.P as tf.Tensor2D, false, true);
      if (this.layer.kind === 'dense') {
        // Dense.inputAdjoint expects the layer's own width; the r-wide signal is expanded here.
        return tf.matMul(z, this.Q as tf.Tensor2D, false, true).reshape(ctx.input.shape);
      }
      return this.layer.inputAdjoint(z.reshape([...dy.shape.slice(0, -1), this.rank]), this.Q);
    });
  }

  beginBatch(): void {}

  /** K = Q P in W's shape (layered); null for the direct variant (no W^T counterpart, as DFA). */
  feedbackKernel(): tf.Tensor | null {
    if (this.rule === 'dldfa' || this.dormant) return null;
    this.ensureInitialised();
    return tf.tidy(() => tf.matMul(this.Q.reshape([this.expandWidth, this.rank]) as tf.Tensor2D, this.P as tf.Tensor2D).reshape(this.layer.weight.shape));
  }

  trainables(): tf.Variable[] {
    if (this.dormant) return [];
    return this.ldfaRule === 'fixed' ? [] : this.ldfaRule === 'fixed-p' ? [this.Q] : [this.Q, this.P];
  }

  private ensureOptimizers(ctx: LearnContext): [Optimizer, Optimizer] {
    if (!this.optimizer || !this.pOptimizer) {
      const base = ownOptimizerOptions(this.options.optimizer, ctx.mainOptimizer);
      const decay = this.ldfaRule === 'normative' ? 0 : feedbackDecay(this.options.decay, ctx.mainOptimizer);
      checkNumber('feedback.decay', decay, 0);
      const k = this.paramIndex;
      this.optimizer = new Optimizer(copiedOptimizerOptions(base, 2 * k, { weightDecay: decay }), `${this.rule}.optimizer (Q)`);
      this.pOptimizer = new Optimizer(copiedOptimizerOptions(base, 2 * k + 1, { weightDecay: this.ldfaRule === 'local' ? decay : 0 }), `${this.rule}.optimizer (P)`);
    }
    return [this.optimizer, this.pOptimizer];
  }

  /** The weight gradient G as [expandWidth, errorWidth] (direct: x^T e). */
  private gradientMatrix(ctx: LearnContext): tf.Tensor2D {
    if (this.rule === 'dldfa') return tf.matMul(asRows(ctx.input, this.expandWidth), ctx.outputError as tf.Tensor2D, true, false);
    return ctx.weightGradient.reshape([this.expandWidth, this.errorWidth]) as tf.Tensor2D;
  }

  learn(ctx: LearnContext): void {
    if (this.ldfaRule === 'fixed' || this.dormant) return;
    this.ensureInitialised();
    const [qOpt, pOpt] = this.ensureOptimizers(ctx);
    qOpt.epoch = ctx.epoch;
    pOpt.epoch = ctx.epoch;
    const P = this.P as tf.Variable<tf.Rank.R2>;
    const grads = tf.tidy((): tf.Tensor[] => {
      const Q2 = this.Q.reshape([this.expandWidth, this.rank]) as tf.Tensor2D;
      let gQ: tf.Tensor;
      let gP: tf.Tensor | null = null;
      if (this.ldfaRule === 'normative') {
        const D = tf.matMul(Q2, P).sub(this.layer.weight.reshape([this.expandWidth, this.errorWidth])) as tf.Tensor2D;
        gQ = tf.matMul(D, P, false, true);
        gP = tf.matMul(Q2, D, true, false);
      } else {
        const G = this.gradientMatrix(ctx);
        gQ = tf.matMul(G, P, false, true);
        if (this.ldfaRule === 'local') gP = tf.matMul(Q2, G, true, false);
        if (this.ldfaRule === 'raf') gP = ojaSubspaceGradient(P, this.ojaRows(ctx.delta, ctx.outputError, ctx.targets));
      }
      const c = this.clip;
      const clamp = (t: tf.Tensor) => (c === null ? t : tf.clipByValue(t, -c, c));
      return gP ? [clamp(gQ.reshape(this.Q.shape)), clamp(gP)] : [clamp(gQ.reshape(this.Q.shape))];
    });
    qOpt.step([this.Q], [grads[0]]);
    if (grads[1]) pOpt.step([this.P], [grads[1]]);
    tf.dispose(grads);
  }

  /** The rows Oja's rule sees: the targets (see ojaOnLabels), else the output error (direct) or the layer's delta. */
  ojaRows(delta: tf.Tensor, outputError: tf.Tensor, targets: tf.Tensor): tf.Tensor2D {
    if (this.ojaOnLabels) return asRows(targets, this.errorWidth);
    return this.rule === 'dldfa' ? (outputError as tf.Tensor2D) : asRows(delta, this.errorWidth);
  }

  alignmentLoss(): number | null {
    return null;
  }

  /** Largest-first principal angles (degrees) between P's row space and the top-r eigen-subspace of a covariance [errorWidth, errorWidth]. */
  subspaceAngles(covariance: Matrix | number[][]): number[] {
    if (this.dormant) throw new ArgumentError('pathway', 'a pathway a signal has reached (the first layer\'s has no P until then)', 'a dormant first-layer pathway');
    this.ensureInitialised();
    const C = covariance instanceof Matrix ? covariance : new Matrix(covariance);
    if (C.rows !== this.errorWidth || C.columns !== this.errorWidth) {
      throw new ArgumentError('covariance', `a ${this.errorWidth}x${this.errorWidth} matrix`, `${C.rows}x${C.columns}`);
    }
    const Pt = new Matrix(Array.from({ length: this.rank }, (_, i) => Array.from(this.P.dataSync().subarray(i * this.errorWidth, (i + 1) * this.errorWidth)))).transpose();
    return principalAngles(Pt, topEigenvectors(C, this.rank));
  }

  state(): Record<string, tf.Tensor> {
    if (this.dormant) return {};
    this.ensureInitialised();
    return { P: this.P, Q: this.Q };
  }

  setState(s: Record<string, tf.Tensor>): void {
    // A dormant pathway saved nothing; given P and Q it wakes to hold them.
    if (this.dormant && !s.P && !s.Q) return;
    this.wake();
    this.needsSvdInit = false;
    for (const [name, v] of [['P', this.P], ['Q', this.Q]] as const) {
      const t = s[name];
      if (!t || t.shape.join() !== v.shape.join()) throw new ArgumentError(`${this.rule} state.${name}`, `shape [${v.shape.join(', ')}]`, t ? `[${t.shape.join(', ')}]` : t);
      if (t !== v) v.assign(t); // assigning a variable to itself corrupts its data in tfjs
    }
  }

  dispose(): void {
    this.optimizer?.dispose();
    this.pOptimizer?.dispose();
    this.P.dispose();
    this.Q.dispose();
  }
}

/**
 * Q = U_r S_r^1/2 (in W's shape with last axis r) and P = S_r^1/2 V_r^T ([r, out]),
 * the truncated SVD of W reshaped [in*, out] in float64. Computed from the
 * eigendecomposition of the smaller Gram matrix (W^T W or W W^T; 2-3x faster
 * than a full SVD at 512 x 512 in ml-matrix); Q P is the best rank-r
 * approximation of W to float64 rounding of the squared spectrum, which is
 * far below the float32 of the kernels. r may reach out (the error's width: the
 * pathway's 'full' rank) where W has fewer rows: the components beyond
 * min(rows, out), whose singular values are 0, are zero rows of P and columns of
 * Q (the normative rule's gradients leave them at zero), and Q P = W.
 */
export function truncatedSvdFactors(W: tf.Tensor, r: number): [tf.Tensor, tf.Tensor] {
  const out = W.shape[W.shape.length - 1];
  const rows = W.size / out;
  if (!Number.isInteger(r) || r < 1 || r > out) throw new ArgumentError('rank', `an integer in [1, ${out}] (the kernel's last dimension)`, r);
  const w = Float64Array.from(W.dataSync());
  checkFinite('W', w);
  const tall = rows >= out;
  const g = tall ? out : rows;
  const gram = new Float64Array(g * g);
  gemm(g, g, tall ? rows : out, w, w, gram, tall ? { transA: true } : { transB: true });
  const gm = new Matrix(g, g);
  for (let a = 0; a < g; a++) for (let b = 0; b < g; b++) gm.set(a, b, 0.5 * (gram[a * g + b] + gram[b * g + a]));
  const { values, vectors } = symEig(gm);
  const q = new Float32Array(rows * r);
  const p = new Float32Array(r * out);
  for (let j = 0; j < Math.min(r, g); j++) {
    const sj = Math.sqrt(Math.max(values[j], 0));
    const h = Math.sqrt(sj);
    // The tall and wide branches mirror each other on purpose: each starts from the eigenvectors of the smaller Gram matrix.
    if (tall) {
      // v_j from the eigenvectors; u_j sqrt(s_j) = W v_j / sqrt(s_j)
      for (let i = 0; i < out; i++) p[j * out + i] = vectors.get(i, j) * h;
      for (let i = 0; i < rows && sj > 0; i++) {
        let acc = 0;
        for (let c = 0; c < out; c++) acc += w[i * out + c] * vectors.get(c, j);
        q[i * r + j] = acc / h;
      }
    } else {
      for (let i = 0; i < rows; i++) q[i * r + j] = vectors.get(i, j) * h;
      for (let c = 0; c < out && sj > 0; c++) {
        let acc = 0;
        for (let i = 0; i < rows; i++) acc += w[i * out + c] * vectors.get(i, j);
        p[j * out + c] = acc / h;
      }
    }
  }
  return [tf.tensor(q, [...W.shape.slice(0, -1), r]), tf.tensor(p, [r, out])];
}

/** The low-rank rules: one pathway class, layered or direct. */
export const lowRankFeedbackRules: Record<'ldfa' | 'dldfa', RuleDefinition<LowRankOptions>> = {
  ldfa: {
    family: 'low-rank',
    description: 'low-dimensional feedback (Hanut & Kadmon 2025, LDFA/RAF): each layer\'s B = Q P of rank r; P and Q learn by `ldfaRule`',
    defaults: LOW_RANK_DEFAULTS,
    create: (layer, ctx) => new LowRankPathway(layer, lowRankContext(false, ctx)),
  },
  dldfa: {
    family: 'low-rank',
    description: 'direct low-dimensional feedback: the output error e reaches each layer\'s input as e P^T Q^T (DFA with rank-r feedback)',
    defaults: LOW_RANK_DEFAULTS,
    create: (layer, ctx) => new LowRankPathway(layer, lowRankContext(true, ctx)),
  },
};

function lowRankContext(direct: boolean, ctx: PathwayContext<LowRankOptions>) {
  const paramIndex = ctx.paramIndex ?? 0;
  return { direct, paramIndex, paramCount: ctx.paramCount ?? paramIndex + 1, outputSize: ctx.outputSize, rng: ctx.rng, feedback: ctx.options };
}
