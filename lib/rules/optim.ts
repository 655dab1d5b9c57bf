/**
 * Optimisers (SGD with momentum, Adam, AdamW, RMSprop), weight decay,
 * learning-rate schedules and the Batch Manhattan option. Private to
 * lib/rules; exported through index.ts.
 *
 * RMSprop follows torch (torch.optim.RMSprop without momentum or centring;
 * Keras' RMSprop is the same recurrence with rho for alpha):
 *   v <- alpha v + (1 - alpha) g^2,   w <- w - lr g / (sqrt(v) + epsilon),
 * v starting at 0, no bias correction.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, borrowedFloat32, checkInteger, checkNumber, checkOneOf, checkPositive, nativeAddon, Rng, writableFloat32 } from '../core';

export type Schedule =
  | { type: 'constant' }
  /** lr * gamma^(number of milestones <= epoch); BioTorch: milestones [50, 75], gamma 0.1. */
  | { type: 'step'; milestones: number[]; gamma?: number }
  /** lr * gamma^epoch (e.g. 0.975 per epoch in the LDFA FC experiments). */
  | { type: 'exponential'; gamma: number };

export interface OptimizerOptions {
  /** 'sgd' (torch semantics: L2 decay added to the gradient), 'adam' (L2 in the gradient), 'adamw' (decoupled decay), 'rmsprop' (L2 in the gradient; header). */
  type?: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  /** Learning rate at epoch 0. Default 0.01. */
  lr?: number;
  /** SGD momentum (default 0; SGD only: RMSprop with momentum is refused). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Adam betas and epsilon (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** RMSprop's smoothing constant of the squared gradients (torch's alpha, Keras' rho; default 0.99, torch's; Keras: 0.9). */
  alpha?: number;
  /** Weight decay coefficient (default 0). */
  weightDecay?: number;
  /**
   * Batch Manhattan (Liao, Leibo & Poggio 2016): the gradient (after weight
   * decay) is replaced by its elementwise sign before momentum/Adam.
   */
  manhattan?: boolean;
  /** Learning-rate schedule over epochs (default constant). */
  schedule?: Schedule;
  /**
   * Noisy updates (Kunin et al. 2020, item c of issue 17): after each step
   * every element of every parameter gets xi ~ N(0, updateNoise^2) added,
   * i.i.d. over elements and steps, in parameter units (not scaled by the
   * learning rate): the update's variance grows by updateNoise^2. Drawn in
   * float64 from an Rng seeded by `noiseSeed`, one parameter after another
   * in the order `step` receives them. Default 0: no draw, the step
   * bit-identical to one without the option.
   */
  updateNoise?: number;
  /** Seed of the update noise's stream (default 0). An optimiser made from another's settings by `copiedOptimizerOptions` gets its own stream. */
  noiseSeed?: number;
}

export type ResolvedOptimizerOptions = Required<Omit<OptimizerOptions, 'schedule'>> & { schedule: Schedule };

export function resolveOptimizerOptions(o: OptimizerOptions = {}, name = 'optimizer'): ResolvedOptimizerOptions {
  if (o === null || typeof o !== 'object') throw new ArgumentError(name, 'an options object', o);
  const r: ResolvedOptimizerOptions = {
    type: checkOneOf(`${name}.type`, o.type ?? 'sgd', ['sgd', 'adam', 'adamw', 'rmsprop']),
    lr: checkPositive(`${name}.lr`, o.lr ?? 0.01),
    momentum: checkNumber(`${name}.momentum`, o.momentum ?? 0, 0, 1),
    nesterov: !!o.nesterov,
    beta1: checkNumber(`${name}.beta1`, o.beta1 ?? 0.9, 0, 0.999999),
    beta2: checkNumber(`${name}.beta2`, o.beta2 ?? 0.999, 0, 0.99999999),
    epsilon: checkPositive(`${name}.epsilon`, o.epsilon ?? 1e-8),
    alpha: checkNumber(`${name}.alpha`, o.alpha ?? 0.99, 0, 0.99999999),
    weightDecay: checkNumber(`${name}.weightDecay`, o.weightDecay ?? 0, 0),
    manhattan: !!o.manhattan,
    schedule: o.schedule ?? { type: 'constant' },
    updateNoise: checkNumber(`${name}.updateNoise`, o.updateNoise ?? 0, 0),
    noiseSeed: checkInteger(`${name}.noiseSeed`, o.noiseSeed ?? 0, 0, 0xffffffff),
  };
  if (r.type === 'rmsprop' && r.momentum > 0) throw new ArgumentError(`${name}.momentum`, '0 with RMSprop (not implemented)', r.momentum);
  learningRateAt(r, 0); // validates the schedule
  return r;
}

/**
 * The settings of an optimiser copied from `parent`'s (e.g. a learned feedback
 * matrix's optimiser made from the network's), with `overrides` applied, and
 * its own update-noise stream: noiseSeed = the seed of child `stream` of
 * Rng(parent's noiseSeed) (Rng.child), unless `overrides` sets one. Copies
 * with distinct streams draw distinct noise, unrelated to the parent's own
 * stream, each reproducible from the parent's seed; spreading the parent's
 * settings instead would make every copy repeat the parent's draws.
 */
export function copiedOptimizerOptions(parent: OptimizerOptions, stream: number, overrides: OptimizerOptions = {}): OptimizerOptions {
  if (parent === null || typeof parent !== 'object') throw new ArgumentError('parent', 'an options object', parent);
  checkInteger('stream', stream, 0);
  if (overrides === null || typeof overrides !== 'object') throw new ArgumentError('overrides', 'an options object', overrides);
  const seed = checkInteger('parent.noiseSeed', parent.noiseSeed ?? 0, 0, 0xffffffff);
  const own = overrides.noiseSeed === undefined ? new Rng(seed).child(stream).seed : checkInteger('overrides.noiseSeed', overrides.noiseSeed, 0, 0xffffffff);
  return { ...parent, ...overrides, noiseSeed: own };
}

/** The learning rate of `options` at (0-based) `epoch`. */
export function learningRateAt(options: { lr: number; schedule: Schedule }, epoch: number): number {
  checkNumber('lr', options.lr);
  if (!Number.isInteger(epoch) || epoch < 0) throw new ArgumentError('epoch', 'an integer >= 0', epoch);
  const s = options.schedule;
  switch (s.type) {
    case 'constant':
      return options.lr;
    case 'step': {
      if (!Array.isArray(s.milestones)) throw new ArgumentError('schedule.milestones', 'an array of epochs', s.milestones);
      const gamma = checkPositive('schedule.gamma', s.gamma ?? 0.1);
      const passed = s.milestones.filter((m) => epoch >= m).length;
      return options.lr * Math.pow(gamma, passed);
    }
    case 'exponential':
      return options.lr * Math.pow(checkPositive('schedule.gamma', s.gamma), epoch);
    default:
      throw new ArgumentError('schedule.type', '"constant", "step" or "exponential"', (s as { type: unknown }).type);
  }
}

/** One parameter's optimiser state: first and second moments (null until used) and the steps taken. */
export interface SlotState {
  m: tf.Variable | null;
  v: tf.Variable | null;
  t: number;
}

/**
 * A stateful optimiser over tf.Variables. `step` applies one update from
 * gradients (dL/dparam, i.e. descent direction is minus these).
 */
export class Optimizer {
  readonly options: ResolvedOptimizerOptions;
  private slots = new Map<tf.Variable, SlotState>();
  private noiseRng: Rng | null = null;
  epoch = 0;

  constructor(options: OptimizerOptions = {}, name = 'optimizer') {
    this.options = resolveOptimizerOptions(options, name);
  }

  get learningRate(): number {
    return learningRateAt(this.options, this.epoch);
  }

  /**
   * The state of `p`, created when missing, with the moments the settings use
   * allocated as zeros (SGD with momentum: m; Adam, AdamW: m and v; RMSprop: v). For
   * lib/rules/fused.ts, which updates them in place, so that the fused and
   * the reference path continue one another's runs.
   */
  slotOf(p: tf.Variable): SlotState {
    let s = this.slots.get(p);
    if (!s) {
      s = { m: null, v: null, t: 0 };
      this.slots.set(p, s);
    }
    const o = this.options;
    // In a tidy so the zeros are released and the variable holds the only reference to its data.
    if (!s.m && (o.type === 'adam' || o.type === 'adamw' || o.momentum > 0)) s.m = tf.tidy(() => tf.variable(tf.zeros(p.shape), false));
    if (!s.v && o.type !== 'sgd') s.v = tf.tidy(() => tf.variable(tf.zeros(p.shape), false));
    return s;
  }

  /** The noise to add to one parameter of `size` elements after its step (float32 of N(0, updateNoise^2) draws), or null when updateNoise is 0. */
  updateNoiseDraw(size: number): Float32Array | null {
    const o = this.options;
    if (o.updateNoise === 0) return null;
    this.noiseRng ??= new Rng(o.noiseSeed);
    return Float32Array.from(this.noiseRng.normalArray(size, 0, o.updateNoise, 'float64'));
  }

  /**
   * One update of each of `params` from its gradient in `grads`. On a
   * CPU-memory backend (blas, cpu) the update runs in place on the
   * variables' arrays (`stepInPlace`: the add-on's optimizerStep, RMSprop in
   * JavaScript), otherwise by tfjs ops (`stepWithOps`); both round the same
   * float32 operations in the same order, so they take the same steps, and
   * the in-place one spares a dozen small tensors per parameter.
   */
  step(params: tf.Variable[], grads: tf.Tensor[]): void {
    checkGradients(params, grads);
    if (!this.canStepInPlace() || params.some((p, i) => p.dtype !== 'float32' || grads[i].dtype !== 'float32')) {
      this.updateWithOps(params, grads);
      return;
    }
    const lr = this.learningRate;
    for (let i = 0; i < params.length; i++) {
      this.stepInPlace(params[i], borrowedFloat32(grads[i], `grads[${i}]`), lr);
    }
  }

  /** Whether `stepInPlace` applies: a backend keeping tensors in CPU memory and, except for RMSprop, the native add-on's optimizerStep. */
  canStepInPlace(): boolean {
    const backend = tf.getBackend();
    if (backend !== 'blas' && backend !== 'cpu') return false;
    return this.options.type === 'rmsprop' || typeof nativeAddon()?.optimizerStep === 'function';
  }

  /**
   * One update of `p` from gradient `g` (float32, p's size) at learning rate
   * `lr`, in place on p's array (only where `canStepInPlace()`): the
   * recurrences of `stepWithOps`, each operation rounded to float32 in its
   * order; then the update noise, one float32 rounding per element as there.
   */
  stepInPlace(p: tf.Variable, g: Float32Array, lr: number = this.learningRate): void {
    const o = this.options;
    const s = this.slotOf(p);
    s.t += 1;
    const w = writableFloat32(p);
    if (o.type === 'rmsprop') rmspropStep(w, g, writableFloat32(s.v!), lr, o.alpha, o.epsilon, o.weightDecay, o.manhattan);
    else {
      nativeAddon()!.optimizerStep!(NATIVE_OPTIMIZER[o.type], p.size, w, g, s.m ? writableFloat32(s.m) : null, s.v ? writableFloat32(s.v) : null, lr, o.momentum, o.nesterov,
        o.beta1, o.beta2, o.epsilon, o.weightDecay, o.manhattan, s.t);
    }
    const noise = this.updateNoiseDraw(p.size);
    if (noise) for (let j = 0; j < w.length; j++) w[j] += noise[j];
  }

  /** `step` by tfjs ops, on any backend. */
  stepWithOps(params: tf.Variable[], grads: tf.Tensor[]): void {
    checkGradients(params, grads);
    this.updateWithOps(params, grads);
  }

  /** `stepWithOps` on gradients already checked (`step` checks them once). */
  private updateWithOps(params: tf.Variable[], grads: tf.Tensor[]): void {
    const o = this.options;
    const lr = this.learningRate;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const s = this.slotOf(p);
      s.t += 1;
      tf.tidy(() => {
        let g = grads[i];
        if (o.weightDecay > 0 && o.type !== 'adamw') g = g.add(p.mul(o.weightDecay));
        if (o.manhattan) g = tf.sign(g);
        if (o.type === 'sgd') {
          if (o.momentum > 0) {
            // torch: buf = momentum*buf + g (the first step sets buf = g)
            const buf = s.t === 1 ? g : s.m!.mul(o.momentum).add(g);
            s.m!.assign(buf);
            g = o.nesterov ? g.add(buf.mul(o.momentum)) : buf;
          }
          p.assign(p.sub(g.mul(lr)));
        } else if (o.type === 'rmsprop') {
          const v = s.v!.mul(o.alpha).add(g.square().mul(1 - o.alpha));
          s.v!.assign(v);
          p.assign(p.sub(g.div(v.sqrt().add(o.epsilon)).mul(lr)));
        } else {
          const m = s.m!.mul(o.beta1).add(g.mul(1 - o.beta1));
          const v = s.v!.mul(o.beta2).add(g.square().mul(1 - o.beta2));
          s.m!.assign(m);
          s.v!.assign(v);
          const mHat = m.div(1 - Math.pow(o.beta1, s.t));
          const vHat = v.div(1 - Math.pow(o.beta2, s.t));
          let next = p.sub(mHat.div(vHat.sqrt().add(o.epsilon)).mul(lr));
          if (o.type === 'adamw' && o.weightDecay > 0) next = next.sub(p.mul(lr * o.weightDecay));
          p.assign(next);
        }
        const noise = this.updateNoiseDraw(p.size);
        if (noise) p.assign(p.add(tf.tensor(noise, p.shape, 'float32')));
      });
    }
  }

  /** Forgets the state of variables no longer trained (e.g. after a rule change). */
  dispose(): void {
    for (const s of this.slots.values()) {
      s.m?.dispose();
      s.v?.dispose();
    }
    this.slots.clear();
  }
}

/** One gradient per parameter, of its shape: tfjs ops would broadcast a smaller one silently. */
function checkGradients(params: tf.Variable[], grads: tf.Tensor[]): void {
  if (params.length !== grads.length) throw new ArgumentError('grads', `${params.length} gradients`, grads.length);
  for (let i = 0; i < params.length; i++) {
    const [p, g] = [params[i], grads[i]];
    if (!(g instanceof tf.Tensor)) throw new ArgumentError(`grads[${i}]`, `a tensor of shape [${p.shape}]`, g);
    if (g.rank !== p.rank || g.shape.some((d, k) => d !== p.shape[k])) throw new ArgumentError(`grads[${i}]`, `shape [${p.shape}] (the parameter's)`, `shape [${g.shape}]`);
  }
}

/** The add-on's optimizerStep codes (native/src/fused_dense.cc). */
const NATIVE_OPTIMIZER = { sgd: 0, adam: 1, adamw: 2 } as const;

/**
 * RMSprop in place (`stepWithOps`' recurrence), each operation rounded to
 * float32 in that order so that both take the same steps.
 */
function rmspropStep(w: Float32Array, grad: Float32Array, v: Float32Array, lr: number, alpha: number, epsilon: number, weightDecay: number, manhattan: boolean): void {
  const f = Math.fround;
  const a = f(alpha), b = f(1 - alpha), e = f(epsilon), l = f(lr), wd = f(weightDecay);
  for (let i = 0; i < w.length; i++) {
    let g = grad[i];
    if (wd > 0) g = f(g + f(w[i] * wd));
    if (manhattan) g = Math.sign(g);
    const vi = f(f(v[i] * a) + f(f(g * g) * b));
    v[i] = vi;
    w[i] = f(w[i] - f(f(g / f(f(Math.sqrt(vi)) + e)) * l));
  }
}
