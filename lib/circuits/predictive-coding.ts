/**
 * The balanced predictive-coding rate network (Kadmon, Timcheck & Ganguli,
 * "Predictive coding in balanced neural networks with noise, chaos and
 * delays", NeurIPS 2020, arXiv:2006.14178). The paper's equations could not be
 * read from the stored copies (only its abstract and the Fig. 1 caption); the
 * form used here is the reconstruction of ../shared/references/network-dynamics.md,
 * section 5, time in units of tau:
 *
 *   dh_i/dt = -h_i + b w_i (x(t) - xhat(t - d)) + g sum_j J0_ij phi(h_j) + sigma xi_i(t)
 *   xhat(t) = (1/N) sum_j w_j phi(h_j)                       (the decoder)
 *
 * i.e. recurrent coupling -(b/N) w w^T + g J0 and feedforward drive b w x:
 * balance b (a strong drive cancelled by a strong rank-one feedback) and
 * disorder g are separate knobs. w_i = +-1 (seeded signs; with an odd phi
 * every unit is then equivalent, which makes the mean-field theory
 * one-dimensional, lib/meanfield/predictive-coding.ts); g J0 is
 * RandomRateNetwork's coupling (J_ij ~ N(0, g^2/N), autapses kept, same seed,
 * same matrix); xi is white noise of unit intensity. A delay d > 0 feeds back
 * xhat from d earlier through a ring buffer (`DelayLine`), so d must be a
 * whole number D of steps.
 *
 * Integrators (step dt; r = phi(h), xhat_k = w.r/N, v = w phi'(h) / N, R the noise sigma sqrt(dt) xi):
 *
 *   'euler'     h' = h + dt (g J0 r + b w (x - xhat_{k-D}) - h) + R        (explicit; Euler-Maruyama)
 *   'implicit'  d = 0: linearly implicit (Rosenbrock-) Euler on the leak and the rank-one feedback:
 *                 (1 + dt) h' + dt b w (v.h') = h + dt (g J0 r + b w (x - xhat_k + v.h)) + R,
 *               solved in O(N) by Sherman-Morrison:
 *                 s = v.P / (1 + dt + dt b w.v),  h' = (P - dt b w s) / (1 + dt),  P the right side;
 *               d > 0: the delayed feedback is a known input (read from the buffer), the leak implicit:
 *                 h' = (h + dt (g J0 r + b w (x - xhat_{k-D})) + R) / (1 + dt).
 *
 * The stiff direction is w: its rate is 1 + b <phi'> (the feedback's Jacobian
 * -(b/N) w w^T diag(phi') is rank one with eigenvalue -b w.v), so explicit
 * Euler needs dt (1 + b <phi'>) < 2 while the implicit step is stable at any
 * dt for d = 0. With a delay the loop's instability at large b is the
 * network's own (delayed negative feedback), not the integrator's.
 * Cost per step: O(N) at g = 0, one N x N product (native GEMM) at g > 0.
 * At b = 0 with 'euler' the step is RateNetwork's Euler step on the coupling
 * g J0 (the same operations and noise draws, so the same numbers).
 *
 * Exports: DelayLine, PredictiveCodingNetwork, PredictiveCodingOptions, PredictiveCodingScheme,
 * PredictiveCodingRunOptions, PredictiveCodingRun.
 */
import { ArgumentError, Rng, checkFinite, checkInteger, checkNumber, checkOneOf, checkPositive } from '../core';
import { DenseCoupling } from './coupling';
import { Nonlinearity, NonlinearityName, nonlinearity } from './nonlinearity';
import { RandomRateNetwork } from './rate-network';

/** A ring buffer of scalars: `shift(v)` stores v and returns the value stored `length` calls earlier. */
export class DelayLine {
  readonly length: number;
  private readonly buffer: Float64Array;
  private head = 0;
  /** `length` steps of delay (0: `shift` returns its argument); the first `length` calls return `initial`. */
  constructor(length: number, initial = 0) {
    this.length = checkInteger('length', length, 0);
    checkNumber('initial', initial);
    this.buffer = new Float64Array(this.length).fill(initial);
  }

  shift(value: number): number {
    if (this.length === 0) return value;
    const out = this.buffer[this.head];
    this.buffer[this.head] = value;
    this.head = (this.head + 1) % this.length;
    return out;
  }

  /** Every slot back to `value` (a fresh history). */
  fill(value: number): void {
    this.buffer.fill(checkNumber('value', value));
    this.head = 0;
  }
}

export interface PredictiveCodingOptions {
  N: number;
  /** Balance b >= 0. */
  b: number;
  /** Disorder g >= 0 (default 0: the coupling is rank one and a step costs O(N)). */
  g?: number;
  /** Private noise sigma >= 0 (default 0). */
  noise?: number;
  /** Synaptic delay d >= 0 of the feedback (default 0). */
  delay?: number;
  /** phi (default 'tanh'). */
  nonlinearity?: NonlinearityName;
  /** Seed of J0 (as RandomRateNetwork) and of the decoder signs. */
  seed: number;
  /** Seed of the noise (default seed + 1). */
  noiseSeed?: number;
}

export type PredictiveCodingScheme = 'implicit' | 'euler';
const SCHEMES: readonly PredictiveCodingScheme[] = ['implicit', 'euler'];

export interface PredictiveCodingRunOptions {
  /** The input x: a constant or a function of time. */
  x: number | ((t: number) => number);
  dt: number;
  /** Recorded time after the transient (at least one step). */
  time: number;
  /** Time run before recording (default 0). */
  transient?: number;
  /** Default 'implicit'. */
  scheme?: PredictiveCodingScheme;
  /** Initial state (default zeros); not modified. */
  h0?: Float64Array;
  /** Record xhat every this many steps (default 1). */
  recordEvery?: number;
  /** Stop (and report `diverged`) when |xhat| or a state exceeds this (default 1e6). */
  divergence?: number;
}

export interface PredictiveCodingRun {
  /** xhat at the recorded steps (after the transient), and their times. */
  xhat: Float64Array;
  times: Float64Array;
  /** The final state. */
  h: Float64Array;
  /** Time averages over the recorded steps: <xhat>, var xhat, <x - xhat>, sqrt <(x - xhat)^2>. */
  mean: number;
  variance: number;
  bias: number;
  rmse: number;
  /** True when the run stopped at `divergence`. */
  diverged: boolean;
  steps: number;
}

/** The network of the file header. */
export class PredictiveCodingNetwork {
  readonly N: number;
  readonly b: number;
  readonly g: number;
  readonly noise: number;
  readonly delay: number;
  readonly seed: number;
  readonly noiseSeed: number;
  readonly phi: Nonlinearity;
  /** Decoder (and feedforward) weights w_i = +-1. */
  readonly w: Float64Array;
  /** g J0 as a coupling, or null at g = 0. */
  readonly disorder: DenseCoupling | null;

  constructor(o: PredictiveCodingOptions) {
    this.N = checkInteger('N', o?.N, 1);
    this.b = checkNumber('b', o.b, 0);
    this.g = checkNumber('g', o.g ?? 0, 0);
    this.noise = checkNumber('noise', o.noise ?? 0, 0);
    this.delay = checkNumber('delay', o.delay ?? 0, 0);
    this.seed = checkInteger('seed', o.seed, 0, 0xffffffff);
    this.noiseSeed = checkInteger('noiseSeed', o.noiseSeed ?? (this.seed + 1) % 0x100000000, 0, 0xffffffff);
    this.phi = nonlinearity(o.nonlinearity ?? 'tanh');
    // the signs take their own stream, so J0 is RandomRateNetwork's matrix for the same seed
    const rng = new Rng((this.seed ^ 0x5bd1e995) >>> 0);
    this.w = new Float64Array(this.N);
    for (let i = 0; i < this.N; i++) this.w[i] = rng.uniform() < 0.5 ? -1 : 1;
    this.disorder = this.g > 0 ? new RandomRateNetwork({ N: this.N, g: this.g, seed: this.seed, nonlinearity: this.phi.name }).coupling() : null;
  }

  /** xhat = (1/N) sum_j w_j phi(h_j). */
  decode(h: ArrayLike<number>): number {
    const f = this.phi.phi;
    let s = 0;
    for (let i = 0; i < this.N; i++) s += this.w[i] * f(h[i]);
    return s / this.N;
  }

  /** The number of steps of the delay at step dt (d must be a whole number of steps). */
  delaySteps(dt: number): number {
    checkPositive('dt', dt);
    const D = Math.round(this.delay / dt);
    if (Math.abs(D * dt - this.delay) > 1e-9 * Math.max(1, this.delay)) throw new ArgumentError('dt', `a step that divides the delay d = ${this.delay}`, dt);
    return D;
  }

  /** Integrates from h0 (default zeros) for transient + time; see the file header. */
  run(o: PredictiveCodingRunOptions): PredictiveCodingRun {
    const N = this.N;
    const dt = checkPositive('dt', o?.dt);
    const time = checkNumber('time', o.time, 0);
    const transient = checkNumber('transient', o.transient ?? 0, 0);
    const scheme = checkOneOf('scheme', o.scheme ?? 'implicit', SCHEMES);
    const every = checkInteger('recordEvery', o.recordEvery ?? 1, 1);
    const limit = checkPositive('divergence', o.divergence ?? 1e6);
    const xOf = typeof o.x === 'function' ? o.x : (() => { const c = checkNumber('x', o.x as number); return () => c; })();
    const D = this.delaySteps(dt);
    const h = new Float64Array(N);
    if (o.h0 !== undefined) {
      if (!(o.h0 instanceof Float64Array) || o.h0.length !== N) throw new ArgumentError('h0', `a Float64Array of N = ${N} states`, o.h0 instanceof Float64Array ? `${o.h0.length} entries` : o.h0);
      checkFinite('h0', o.h0);
      h.set(o.h0);
    }
    const burn = Math.round(transient / dt), rec = Math.round(time / dt);
    if (rec < 1) throw new ArgumentError('time', `at least one step dt = ${dt} (something to record)`, time);
    if (burn + rec > 2 ** 31) throw new ArgumentError('time', `transient + time of at most 2^31 steps of dt = ${dt}`, transient + time);
    const total = burn + rec;
    const nRec = Math.floor(rec / every);
    const xhat = new Float64Array(nRec), times = new Float64Array(nRec);
    const r = new Float64Array(N), dr = new Float64Array(N), J = new Float64Array(N);
    const rng = new Rng(this.noiseSeed);
    const s = this.noise * Math.sqrt(dt);
    const { b, w } = this;
    const f = this.phi.phi, df = this.phi.dphi, tanh = this.phi.name === 'tanh';
    const implicit = scheme === 'implicit';
    const line = new DelayLine(D, 0);
    let mean = 0, m2 = 0, err2 = 0, count = 0, diverged = false, k = 0;
    for (; k < total; k++) {
      const t = k * dt, x = xOf(t);
      let dec = 0, wv = 0, vh = 0;
      for (let i = 0; i < N; i++) {
        const ri = f(h[i]);
        r[i] = ri;
        dec += w[i] * ri;
      }
      dec /= N;
      if (!(Math.abs(dec) <= limit)) { diverged = true; break; }
      if (k >= burn && (k - burn) % every === 0 && (k - burn) / every < nRec) {
        const j = (k - burn) / every;
        xhat[j] = dec; times[j] = t;
      }
      if (k >= burn) {
        // Welford: the variance is ~1e-8 of the squared mean at large N and b
        count++;
        const dm = dec - mean;
        mean += dm / count;
        m2 += dm * (dec - mean);
        err2 += (x - dec) * (x - dec);
      }
      const fed = line.shift(dec);
      if (this.disorder !== null) this.disorder.apply(r, J);
      else J.fill(0);
      if (!implicit) {
        const e = b * (x - fed);
        for (let i = 0; i < N; i++) h[i] += dt * (J[i] + w[i] * e - h[i]);
        if (s > 0) for (let i = 0; i < N; i++) h[i] += s * rng.normal();
      } else if (D === 0 && b > 0) {
        // v_i = w_i phi'(h_i) / N: the decoder's linearisation around h
        for (let i = 0; i < N; i++) {
          const d = tanh ? 1 - r[i] * r[i] : df(h[i]);
          dr[i] = w[i] * d / N;
          wv += w[i] * dr[i];
          vh += dr[i] * h[i];
        }
        const e = b * (x - dec + vh);
        let vp = 0;
        for (let i = 0; i < N; i++) {
          let p = h[i] + dt * (J[i] + w[i] * e);
          if (s > 0) p += s * rng.normal();
          J[i] = p;
          vp += dr[i] * p;
        }
        const sh = vp / (1 + dt + dt * b * wv), c = dt * b * sh, inv = 1 / (1 + dt);
        for (let i = 0; i < N; i++) h[i] = (J[i] - c * w[i]) * inv;
      } else {
        const e = b * (x - fed), inv = 1 / (1 + dt);
        for (let i = 0; i < N; i++) {
          let p = h[i] + dt * (J[i] + w[i] * e);
          if (s > 0) p += s * rng.normal();
          h[i] = p * inv;
        }
      }
    }
    return {
      xhat, times, h, mean: count > 0 ? mean : NaN,
      variance: count > 1 ? m2 / (count - 1) : NaN,
      bias: typeof o.x === 'number' && count > 0 ? o.x - mean : NaN,
      rmse: count > 0 ? Math.sqrt(err2 / count) : NaN,
      diverged: diverged || !h.every(Number.isFinite) || h.some((v) => Math.abs(v) > limit),
      steps: k,
    };
  }
}
