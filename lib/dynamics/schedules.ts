/**
 * Learning-rate schedules and adaptive gradient-norm clipping, shared by
 * network training and the fixed-point search. The adaptive rules follow the
 * behaviour FixedPointFinder documents (Golub & Sussillo 2018).
 */
import { ArgumentError, FLOAT32_MAX, checkInteger, checkNumber, checkOneOf } from '../core';

export type LearningRateSchedule =
  | { kind: 'constant'; rate: number }
  /** rate * decay^step (computation-thru-dynamics: 0.025 * 0.99975^step). */
  | { kind: 'exponential'; rate: number; decay: number; minRate?: number }
  /** rate * factor^floor(step / every). */
  | { kind: 'step'; rate: number; factor: number; every: number }
  /** Adaptive on the loss (see AdaptiveLearningRate). */
  | { kind: 'adaptive'; rate: number; decreaseFactor?: number; increaseFactor?: number; window?: number; minRate?: number; maxRate?: number };

export interface RateController {
  /** Rate to use at `step` (0-based); `loss` is the loss measured at the previous step (NaN at step 0). */
  rate(step: number, loss: number): number;
}

/**
 * Adaptive learning rate: x decreaseFactor (0.95) when the loss is worse than
 * each of the last `window` (5) losses, x increaseFactor (1/0.95) after
 * `window` straight decreases, with at least `window` steps between changes.
 */
export class AdaptiveLearningRate implements RateController {
  private current: number;
  private readonly history: number[] = [];
  private sinceChange = 0;
  readonly decreaseFactor: number;
  readonly increaseFactor: number;
  readonly window: number;
  readonly minRate: number;
  readonly maxRate: number;

  constructor(initial = 1, o: { decreaseFactor?: number; increaseFactor?: number; window?: number; minRate?: number; maxRate?: number } = {}) {
    this.current = checkNumber('rate', initial, 0);
    this.decreaseFactor = checkNumber('decreaseFactor', o.decreaseFactor ?? 0.95, 0, 1);
    this.increaseFactor = checkNumber('increaseFactor', o.increaseFactor ?? 1 / 0.95, 1);
    this.window = checkInteger('window', o.window ?? 5, 1);
    this.minRate = checkNumber('minRate', o.minRate ?? 0, 0);
    this.maxRate = o.maxRate ?? Infinity;
  }

  /** Records the loss of the step just taken and returns the rate for the next one. */
  update(loss: number): number {
    const w = this.window;
    const h = this.history;
    this.sinceChange++;
    if (h.length >= w && this.sinceChange >= w && Number.isFinite(loss)) {
      const last = h.slice(-w);
      if (last.every((v) => loss > v)) {
        this.current *= this.decreaseFactor;
        this.sinceChange = 0;
      } else {
        // w straight decreases: the last w losses and this one strictly decrease.
        const seq = [...last, loss];
        let down = true;
        for (let i = 1; i < seq.length; i++) if (!(seq[i] < seq[i - 1])) down = false;
        if (down) {
          this.current *= this.increaseFactor;
          this.sinceChange = 0;
        }
      }
    }
    h.push(loss);
    if (h.length > w + 1) h.shift();
    this.current = Math.min(this.maxRate, Math.max(this.minRate, this.current));
    return this.current;
  }

  get value(): number {
    return this.current;
  }

  rate(step: number, loss: number): number {
    return step === 0 || !Number.isFinite(loss) ? this.current : this.update(loss);
  }
}

/** Builds a controller from a schedule spec (a number means constant). */
export function makeSchedule(spec: LearningRateSchedule | number): RateController {
  if (typeof spec === 'number') spec = { kind: 'constant', rate: spec };
  if (!spec || typeof spec !== 'object') throw new ArgumentError('learningRate', 'a number or a schedule object', spec);
  const kind = checkOneOf('learningRate.kind', spec.kind, ['constant', 'exponential', 'step', 'adaptive'] as const);
  // At most float32's largest value: the weights are float32, and a larger rate overflows them on the first step.
  const rate0 = checkNumber('learningRate.rate', spec.rate, 0, FLOAT32_MAX);
  switch (kind) {
    case 'constant':
      return { rate: () => rate0 };
    case 'exponential': {
      const s = spec as Extract<LearningRateSchedule, { kind: 'exponential' }>;
      const decay = checkNumber('learningRate.decay', s.decay, 0, 1);
      const min = s.minRate ?? 0;
      return { rate: (step) => Math.max(min, rate0 * Math.pow(decay, step)) };
    }
    case 'step': {
      const s = spec as Extract<LearningRateSchedule, { kind: 'step' }>;
      const f = checkNumber('learningRate.factor', s.factor, 0);
      const every = checkInteger('learningRate.every', s.every, 1);
      return { rate: (step) => rate0 * Math.pow(f, Math.floor(step / every)) };
    }
    case 'adaptive': {
      const s = spec as Extract<LearningRateSchedule, { kind: 'adaptive' }>;
      return new AdaptiveLearningRate(rate0, s);
    }
  }
}

/**
 * Adaptive gradient-norm clipping: the bound is the `percentile` (95th) of
 * the last `window` (128) gradient norms seen before this one; no clipping
 * until one norm has been seen.
 */
export class AdaptiveGradNormClip {
  private readonly norms: number[] = [];
  constructor(readonly percentile = 95, readonly window = 128) {
    checkNumber('percentile', percentile, 0, 100);
    checkInteger('window', window, 1);
  }
  /** Returns the factor (<= 1) to scale a gradient of norm `norm` by, and records the norm. */
  scale(norm: number): number {
    let bound = Infinity;
    if (this.norms.length > 0) {
      const sorted = [...this.norms].sort((a, b) => a - b);
      const pos = (this.percentile / 100) * (sorted.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      bound = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
    if (Number.isFinite(norm)) {
      this.norms.push(norm);
      if (this.norms.length > this.window) this.norms.shift();
    }
    return norm > bound && norm > 0 ? bound / norm : 1;
  }
}

