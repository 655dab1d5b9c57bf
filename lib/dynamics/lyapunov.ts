/**
 * Lyapunov spectra of any dynamical system, discrete (a map x' = F(x)) or
 * continuous (a flow dx/dt = f(x)), by tangent-space QR (Benettin et al. 1980;
 * Shimada & Nagashima 1979), in float64 on the native BLAS.
 *
 * A `TangentSystem` gives the state update and the product of its Jacobian
 * with a block of k tangent vectors, stored as the ROWS of a k x dim matrix V
 * (each vector contiguous):
 *
 *   discrete    x_{n+1} = F(x_n),        V_{n+1} = V_n DF(x_n)^T
 *   continuous  dx/dt = f(x),            dV/dt  = V Df(x)^T, integrated with x by RK4
 *               (the tangent of the RK4 map itself: stages use Df at the stage states)
 *
 * so rate networks apply J diag(phi') to V without ever forming the Jacobian
 * (lib/circuits). Every `orthonormalizeEvery` steps V = L Q with L lower
 * triangular (Gram-Schmidt in row order) and rows of Q orthonormal; the
 * exponents are the time averages of log L_ii:
 *
 *   lambda_i = (1 / t) sum_over_QRs log L_ii
 *
 * The QR is lib/core's orthonormalizeRows: CholeskyQR2 on the BLAS (G = V V^T = L L^T, Q = L^{-1} V, twice),
 * orthogonal to rounding while cond(V) < 1e7; a worse-conditioned block (a long
 * interval between QRs) falls back to twice-repeated modified Gram-Schmidt.
 *
 * Burn-in: `transient` time moves the state alone onto the attractor; then
 * `frameTransient` time evolves and re-orthonormalises the frame without
 * accumulating, so it aligns with the leading Lyapunov vectors; then `time`
 * is accumulated. The run is cut into `blocks` equal parts: the spread of the
 * exponents is the standard error of the block means (sd / sqrt(blocks)), and
 * `running` holds the cumulative estimates at up to `record` checkpoints.
 *
 *   Kaplan-Yorke dimension  D = j + (lambda_1 + ... + lambda_j) / |lambda_{j+1}|,
 *                           j the largest index with a non-negative partial sum
 *   entropy rate            h = sum of the positive exponents (Pesin's upper bound)
 *
 * The direct check of lambda_1 (`largestExponentByTwoTrajectories`) integrates
 * a second trajectory at distance eps, renormalised to eps every `renormalizeEvery`
 * steps, and averages log(d / eps): it uses no Jacobian at all.
 *
 * Units: exponents are per unit time. A map's step lasts `stepTime` (default 1;
 * an Euler map of a flow with step delta passes stepTime = delta).
 *
 * Exports: TangentSystem, LyapunovOptions, LyapunovSpectrum, lyapunovSpectrum,
 * TwoTrajectoryOptions, TwoTrajectoryEstimate, largestExponentByTwoTrajectories,
 * kaplanYorkeDimension, entropyRate, tangentSystemFromMap,
 * TrajectoryOptions, Trajectory, trajectory (the state alone, sampled).
 */
import { ArgumentError, Progress, blockStandardError, Rng, orthonormalizeRows, qrWorkspace, checkFinite, checkInteger, checkNumber, checkOneOf, checkPositive, gemm, throwIfInterrupted } from '../core';
import type { DynamicalSystem } from './system';

/** What the Lyapunov code needs of a system: its update and its tangent map. */
export interface TangentSystem {
  readonly dim: number;
  readonly time: 'discrete' | 'continuous';
  /** out = F(x) (discrete) or out = f(x) = dx/dt (continuous); out never aliases x. */
  evaluate(x: Float64Array, out: Float64Array): void;
  /** Rows of V (k x dim) are tangent vectors v; out row i = DF(x) v_i (or Df(x) v_i). out never aliases V. */
  tangent(x: Float64Array, V: Float64Array, k: number, out: Float64Array): void;
}

export interface LyapunovOptions {
  /** Number of leading exponents (default dim). */
  k?: number;
  /** Time over which the exponents are averaged (a map: steps x stepTime). */
  time: number;
  /** RK4 step of a continuous system (required there). */
  dt?: number;
  /** Duration of one step of a discrete system (default 1). */
  stepTime?: number;
  /** Time the state runs alone before the frame starts (default 0). */
  transient?: number;
  /** Time the frame is evolved and re-orthonormalised before averaging (default 0). */
  frameTransient?: number;
  /** Steps between two QRs (default 1). */
  orthonormalizeEvery?: number;
  /** Seed of the random initial frame (default 0). */
  seed?: number;
  /** An initial frame (k x dim rows, orthonormalised here) instead of a random one, e.g. a previous run's `frame`. */
  initialFrame?: ArrayLike<number>;
  /** Equal parts of the run whose means give the spread (default 10). */
  blocks?: number;
  /** Number of checkpoints of the running estimates kept (default 200). */
  record?: number;
  /** Progress display (default true) and its label. */
  progress?: boolean;
  label?: string;
}

export interface LyapunovSpectrum {
  /** The k exponents in Gram-Schmidt order (descending up to noise), per unit time. */
  exponents: Float64Array;
  /** Standard errors: sd of the block estimates / sqrt(blocks). */
  standardErrors: Float64Array;
  /** Per-block estimates, blocks x k (row-major). */
  blockEstimates: Float64Array;
  /** Cumulative estimates at checkpoints: times[c] and estimates[c] (k values). */
  running: { times: number[]; estimates: Float64Array[] };
  kaplanYorke: number;
  entropyRate: number;
  /** The state and orthonormal frame (k x dim rows) at the end. */
  state: Float64Array;
  frame: Float64Array;
  /** Steps accumulated, QRs done, fallbacks from CholeskyQR2 to Gram-Schmidt. */
  steps: number;
  orthonormalizations: number;
  gramSchmidtFallbacks: number;
  wallSeconds: number;
}

/**
 * Kaplan-Yorke (Lyapunov) dimension of a spectrum sorted in descending order.
 * 0 when lambda_1 < 0; when every partial sum is non-negative the spectrum is
 * too short to tell and the number of exponents given (a lower bound) is returned.
 */
export function kaplanYorkeDimension(exponents: ArrayLike<number>): number {
  checkFinite('exponents', exponents);
  const n = exponents.length;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const next = sum + exponents[j];
    if (next < 0) return j + sum / Math.abs(exponents[j]);
    sum = next;
  }
  return n;
}

/** Sum of the positive exponents: the Kolmogorov-Sinai entropy rate by Pesin's formula (an upper bound). */
export function entropyRate(exponents: ArrayLike<number>): number {
  checkFinite('exponents', exponents);
  let s = 0;
  for (let i = 0; i < exponents.length; i++) if (exponents[i] > 0) s += exponents[i];
  return s;
}

/**
 * A discrete TangentSystem from lib/dynamics' `DynamicalSystem` seam with its
 * float64 step and closed-form Jacobian (dState[i * n + j] = dF_i/dh_j), the
 * input held at `input` (default zeros). The tangent step is a dense product.
 */
export function tangentSystemFromMap(system: DynamicalSystem, input?: ArrayLike<number>): TangentSystem {
  const { stepF64, jacobianF64 } = system;
  if (!stepF64 || !jacobianF64) {
    throw new ArgumentError('system', 'a DynamicalSystem with stepF64 and jacobianF64', 'one without them');
  }
  const n = system.stateSize;
  const u = input === undefined ? new Float64Array(system.inputSize) : Float64Array.from(input);
  if (u.length !== system.inputSize) throw new ArgumentError('input', `${system.inputSize} values`, `${u.length}`);
  return {
    dim: n,
    time: 'discrete',
    evaluate: (x, out) => out.set(stepF64.call(system, x, u)),
    tangent: (x, V, k, out) => {
      const D = jacobianF64.call(system, x, u).dState;
      gemm(k, n, n, V, D, out, { transB: true }); // rows: (D v_i)^T = v_i^T D^T
    },
  };
}

// ---------------------------------------------------------------------------
// ---------------------------------------------------------------------------
// Stepping

/** Advances state and (optionally) a tangent block by one step of the system. */
class Stepper {
  private readonly f1: Float64Array; private readonly f2: Float64Array; private readonly f3: Float64Array; private readonly f4: Float64Array;
  private readonly xs: Float64Array;
  private K1: Float64Array | null = null; private K2: Float64Array | null = null; private K3: Float64Array | null = null; private K4: Float64Array | null = null;
  private Vs: Float64Array | null = null;

  constructor(private readonly sys: TangentSystem, private readonly dt: number, k: number) {
    const n = sys.dim;
    this.f1 = new Float64Array(n); this.f2 = new Float64Array(n); this.f3 = new Float64Array(n); this.f4 = new Float64Array(n);
    this.xs = new Float64Array(n);
    if (k > 0) {
      const m = k * n;
      this.K1 = new Float64Array(m);
      if (sys.time === 'continuous') {
        this.K2 = new Float64Array(m); this.K3 = new Float64Array(m); this.K4 = new Float64Array(m); this.Vs = new Float64Array(m);
      }
    }
  }

  /** x <- step(x); with V, V <- tangent step (V may be null for the state alone). */
  step(x: Float64Array, V: Float64Array | null, k: number): void {
    const s = this.sys, n = s.dim;
    if (s.time === 'discrete') {
      if (V) {
        s.tangent(x, V, k, this.K1!);
        V.set(this.K1!);
      }
      s.evaluate(x, this.f1);
      x.set(this.f1);
      return;
    }
    const h = this.dt, { f1, f2, f3, f4, xs } = this;
    const K1 = this.K1!, K2 = this.K2!, K3 = this.K3!, K4 = this.K4!, Vs = this.Vs!;
    const m = k * n;
    s.evaluate(x, f1);
    if (V) s.tangent(x, V, k, K1);
    for (let i = 0; i < n; i++) xs[i] = x[i] + 0.5 * h * f1[i];
    if (V) for (let i = 0; i < m; i++) Vs[i] = V[i] + 0.5 * h * K1[i];
    s.evaluate(xs, f2);
    if (V) s.tangent(xs, Vs, k, K2);
    for (let i = 0; i < n; i++) xs[i] = x[i] + 0.5 * h * f2[i];
    if (V) for (let i = 0; i < m; i++) Vs[i] = V[i] + 0.5 * h * K2[i];
    s.evaluate(xs, f3);
    if (V) s.tangent(xs, Vs, k, K3);
    for (let i = 0; i < n; i++) xs[i] = x[i] + h * f3[i];
    if (V) for (let i = 0; i < m; i++) Vs[i] = V[i] + h * K3[i];
    s.evaluate(xs, f4);
    if (V) s.tangent(xs, Vs, k, K4);
    for (let i = 0; i < n; i++) x[i] += (h / 6) * (f1[i] + 2 * f2[i] + 2 * f3[i] + f4[i]);
    if (V) for (let i = 0; i < m; i++) V[i] += (h / 6) * (K1[i] + 2 * K2[i] + 2 * K3[i] + K4[i]);
  }
}

function checkSystem(system: TangentSystem): void {
  if (system === null || typeof system !== 'object' || typeof system.evaluate !== 'function' || typeof system.tangent !== 'function') {
    throw new ArgumentError('system', 'a TangentSystem { dim, time, evaluate, tangent }', system);
  }
  checkInteger('system.dim', system.dim, 1);
  checkOneOf('system.time', system.time, ['discrete', 'continuous']);
}

/** Step duration and step counts of a run: time units -> whole steps. */
function stepTimeOf(system: TangentSystem, dt: number | undefined, stepTime: number | undefined): number {
  if (system.time === 'continuous') {
    if (dt === undefined) throw new ArgumentError('dt', 'an RK4 step > 0 for a continuous system', dt);
    return checkPositive('dt', dt);
  }
  return checkPositive('stepTime', stepTime ?? 1);
}

function stepsFor(name: string, t: number, h: number): number {
  checkNumber(name, t, 0);
  // A bound on the loop, not on physics: beyond 2^31 - 1 steps a run would not end (and sample arrays could not hold it).
  if (Math.round(t / h) > 2 ** 31 - 1) throw new ArgumentError(name, `at most 2^31 - 1 steps of ${h}`, t);
  return Math.round(t / h);
}

/** Checks the system and turns the run's times into a step length h and a step count. */
function stepsOf(system: TangentSystem, options: { time: number; dt?: number; stepTime?: number }, atLeastOne: boolean): { n: number; h: number; steps: number } {
  checkSystem(system);
  const h = stepTimeOf(system, options.dt, options.stepTime);
  const steps = stepsFor('time', options.time, h);
  if (atLeastOne && steps < 1) throw new ArgumentError('time', `at least one step (${h})`, options.time);
  return { n: system.dim, h, steps };
}

function checkState(x0: ArrayLike<number>, dim: number): Float64Array {
  if (!x0 || x0.length !== dim) throw new ArgumentError('x0', `an initial state of ${dim} values`, x0 ? `${x0.length} values` : x0);
  const x = Float64Array.from(x0);
  if (!x.every(Number.isFinite)) throw new ArgumentError('x0', 'finite values', 'a non-finite value');
  return x;
}

/**
 * The leading k Lyapunov exponents of `system` from the initial state x0 (see
 * the file header for the procedure, burn-in, spread and units).
 */
export function lyapunovSpectrum(system: TangentSystem, x0: ArrayLike<number>, options: LyapunovOptions): LyapunovSpectrum {
  const { n, h, steps } = stepsOf(system, options, true);
  const k = checkInteger('k', options.k ?? n, 1, n);
  const transientSteps = stepsFor('transient', options.transient ?? 0, h);
  const frameSteps = stepsFor('frameTransient', options.frameTransient ?? 0, h);
  const every = checkInteger('orthonormalizeEvery', options.orthonormalizeEvery ?? 1, 1);
  const blocks = checkInteger('blocks', options.blocks ?? 10, 1, Math.max(1, Math.floor(steps / every)));
  const record = checkInteger('record', options.record ?? 200, 1);
  const started = Date.now();
  const x = checkState(x0, n);
  const stepper = new Stepper(system, h, k);
  const label = options.label ?? 'Lyapunov spectrum';
  const progress = options.progress ?? true ? new Progress({ total: transientSteps + frameSteps + steps, label }) : null;
  let done = 0;
  const where = (phase: string, i: number, total: number) => () => `in the ${phase} after ${i} of ${total} steps`;

  for (let i = 0; i < transientSteps; i++) {
    throwIfInterrupted(label, where('state transient', i, transientSteps), () => ({ state: Float64Array.from(x) }));
    stepper.step(x, null, 0);
    progress?.update(++done, 'state transient');
  }

  // Random orthonormal initial frame (seeded), or the one given.
  let V: Float64Array;
  if (options.initialFrame !== undefined) {
    if (options.initialFrame.length !== k * n) throw new ArgumentError('initialFrame', `k x dim = ${k * n} values`, options.initialFrame.length);
    V = Float64Array.from(options.initialFrame);
  } else V = new Rng(options.seed ?? 0).normalArray(k * n, 0, 1, 'float64') as Float64Array;
  const work = qrWorkspace(k, n);
  const scratch = new Float64Array(k);
  let fallbacks = orthonormalizeRows(V, k, n, scratch, work) ? 1 : 0;
  let qrs = 1;
  for (let i = 0; i < frameSteps; i++) {
    throwIfInterrupted(label, where('frame transient', i, frameSteps), () => ({ state: Float64Array.from(x) }));
    stepper.step(x, V, k);
    if ((i + 1) % every === 0 || i === frameSteps - 1) {
      scratch.fill(0);
      if (orthonormalizeRows(V, k, n, scratch, work)) fallbacks++;
      qrs++;
    }
    progress?.update(++done, 'frame transient');
  }

  const sums = new Float64Array(k);
  const blockSums = new Float64Array(blocks * k);
  const blockSteps = new Float64Array(blocks);
  const running: { times: number[]; estimates: Float64Array[] } = { times: [], estimates: [] };
  const recordEvery = Math.max(every, Math.ceil(steps / record / every) * every);
  const logDiag = new Float64Array(k);
  let lastQr = 0;
  const partial = (s: number) => () => ({ exponents: sums.map((v) => v / Math.max(1, lastQr) / h), steps: s, state: Float64Array.from(x), running });
  for (let s = 1; s <= steps; s++) {
    throwIfInterrupted(label, where('accumulation', s - 1, steps), partial(s - 1));
    stepper.step(x, V, k);
    if (s % every === 0 || s === steps) {
      logDiag.fill(0);
      if (orthonormalizeRows(V, k, n, logDiag, work)) fallbacks++;
      qrs++;
      // the QR's growth is attributed to the block holding the interval's last step
      const b = Math.min(blocks - 1, Math.floor(((s - 1) * blocks) / steps));
      for (let i = 0; i < k; i++) {
        sums[i] += logDiag[i];
        blockSums[b * k + i] += logDiag[i];
      }
      blockSteps[b] += s - lastQr;
      lastQr = s;
      if (s % recordEvery === 0 || s === steps) {
        running.times.push(s * h);
        running.estimates.push(sums.map((v) => v / (s * h)));
      }
    }
    progress?.update(++done, `lambda_1 ${(sums[0] / (Math.max(lastQr, 1) * h)).toFixed(4)}`);
  }
  const T = steps * h;
  const exponents = sums.map((v) => v / T);
  const blockEstimates = new Float64Array(blocks * k);
  const standardErrors = new Float64Array(k);
  for (let b = 0; b < blocks; b++) for (let i = 0; i < k; i++) blockEstimates[b * k + i] = blockSums[b * k + i] / (blockSteps[b] * h);
  const column = new Float64Array(blocks);
  for (let i = 0; i < k; i++) {
    for (let b = 0; b < blocks; b++) column[b] = blockEstimates[b * k + i];
    standardErrors[i] = blockStandardError(column);
  }
  progress?.finish(`lambda_1 ${exponents[0].toFixed(4)}`);
  return {
    exponents, standardErrors, blockEstimates, running,
    kaplanYorke: kaplanYorkeDimension(exponents), entropyRate: entropyRate(exponents),
    state: x, frame: V, steps, orthonormalizations: qrs, gramSchmidtFallbacks: fallbacks,
    wallSeconds: (Date.now() - started) / 1000,
  };
}

export interface TwoTrajectoryOptions {
  /** Time over which log(d / eps) is averaged. */
  time: number;
  dt?: number;
  stepTime?: number;
  /** State-only burn-in before the perturbation (default 0). */
  transient?: number;
  /** Burn-in of the perturbation direction, renormalising but not averaging (default 0). */
  directionTransient?: number;
  /** Initial and renormalised distance (default 1e-8). */
  epsilon?: number;
  /** Steps between renormalisations (default 1). */
  renormalizeEvery?: number;
  /** Seed of the perturbation's direction (default 0). */
  seed?: number;
  blocks?: number;
}

export interface TwoTrajectoryEstimate {
  lambda1: number;
  standardError: number;
  steps: number;
}

/**
 * lambda_1 by direct simulation: a second trajectory at distance eps from
 * the first, renormalised back to eps along the current separation every
 * `renormalizeEvery` steps; lambda_1 = mean log(d / eps) per unit time. No
 * Jacobian is used, so it checks `tangent` independently.
 */
export function largestExponentByTwoTrajectories(system: TangentSystem, x0: ArrayLike<number>, options: TwoTrajectoryOptions): TwoTrajectoryEstimate {
  const { n, h, steps } = stepsOf(system, options, true);
  const transient = stepsFor('transient', options.transient ?? 0, h);
  const dirSteps = stepsFor('directionTransient', options.directionTransient ?? 0, h);
  const eps = checkPositive('epsilon', options.epsilon ?? 1e-8);
  const every = checkInteger('renormalizeEvery', options.renormalizeEvery ?? 1, 1);
  const blocks = checkInteger('blocks', options.blocks ?? 10, 1);
  const x = checkState(x0, n);
  const st = new Stepper(system, h, 0);
  for (let i = 0; i < transient; i++) {
    throwIfInterrupted('two-trajectory lambda_1', () => `in the transient after ${i} steps`, () => ({}));
    st.step(x, null, 0);
  }
  const dir = new Rng(options.seed ?? 0).normalArray(n, 0, 1, 'float64') as Float64Array;
  const y = new Float64Array(n);
  const place = (scale: number) => {
    for (let i = 0; i < n; i++) y[i] = x[i] + scale * dir[i];
  };
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  place(eps / norm(dir));
  const sep = () => {
    for (let i = 0; i < n; i++) dir[i] = y[i] - x[i];
    return norm(dir);
  };
  let sum = 0;
  const blockSums = new Float64Array(blocks);
  const blockSteps = new Float64Array(blocks);
  let last = 0;
  for (let s = 1; s <= dirSteps + steps; s++) {
    throwIfInterrupted('two-trajectory lambda_1', () => `after ${s - 1} steps`, () => ({ lambda1: sum / Math.max(1, (last - dirSteps) * h) }));
    st.step(x, null, 0);
    st.step(y, null, 0);
    if (s % every === 0 || s === dirSteps + steps) {
      const d = sep();
      if (!(d > 0) || !Number.isFinite(d)) throw new ArgumentError('epsilon', 'a separation that stays finite and non-zero', d);
      if (s > dirSteps) {
        const g = Math.log(d / eps);
        const b = Math.min(blocks - 1, Math.floor(((s - dirSteps - 1) * blocks) / steps));
        sum += g;
        blockSums[b] += g;
        blockSteps[b] += s - Math.max(last, dirSteps);
      }
      last = s;
      place(eps / d);
    }
  }
  const lambda1 = sum / (steps * h);
  return { lambda1, standardError: blockStandardError(Array.from(blockSums, (b, i) => b / (blockSteps[i] * h))), steps };
}

export interface TrajectoryOptions {
  /** Time recorded after the transient. */
  time: number;
  dt?: number;
  stepTime?: number;
  /** Time run before recording starts (default 0). */
  transient?: number;
  /** Time between two recorded states (default: every step); rounded to whole steps. */
  sampleEvery?: number;
  /** Progress display (default false) and its label. */
  progress?: boolean;
  label?: string;
  /** Called with the fraction done, at most once per percent: how a pool job reports a long simulation. */
  onProgress?: (fraction: number) => void;
}

export interface Trajectory {
  /** Recorded states, samples x dim (row-major): the first is the state after the transient. */
  states: Float64Array;
  samples: number;
  /** Time between two samples. */
  sampleTime: number;
  /** The state at the end. */
  state: Float64Array;
}

/**
 * Integrates a TangentSystem's state alone (a map step by step, a flow by
 * RK4 with step dt) and records it every `sampleEvery` time units.
 */
export function trajectory(system: TangentSystem, x0: ArrayLike<number>, options: TrajectoryOptions): Trajectory {
  const { n, h, steps } = stepsOf(system, options, false);
  const transient = stepsFor('transient', options.transient ?? 0, h);
  const stride = Math.max(1, stepsFor('sampleEvery', options.sampleEvery ?? h, h));
  const samples = Math.floor(steps / stride) + 1;
  const x = checkState(x0, n);
  const st = new Stepper(system, h, 0);
  const states = new Float64Array(samples * n);
  const label = options.label ?? 'trajectory';
  const total = transient + (samples - 1) * stride;
  const progress = options.progress ? new Progress({ total, label }) : null;
  let done = 0;
  let reported = 0; // percent last given to onProgress
  const report = options.onProgress
    ? (d: number) => { const pct = Math.floor((100 * d) / Math.max(1, total)); if (pct > reported) options.onProgress!((reported = pct) / 100); }
    : null;
  for (let i = 0; i < transient; i++) {
    throwIfInterrupted(label, () => `in the transient after ${i} of ${transient} steps`, () => ({ state: Float64Array.from(x) }));
    st.step(x, null, 0);
    done++; // not inside progress?.update(...): optional chaining skips its arguments when progress is null
    progress?.update(done);
    report?.(done);
  }
  states.set(x, 0);
  for (let s = 1; s < samples; s++) {
    throwIfInterrupted(label, () => `after ${s} of ${samples} samples`, () => ({ states: states.slice(0, s * n), samples: s, sampleTime: stride * h, state: Float64Array.from(x) }));
    for (let i = 0; i < stride; i++) st.step(x, null, 0);
    states.set(x, s * n);
    done += stride;
    progress?.update(done);
    report?.(done);
  }
  progress?.finish();
  return { states, samples, sampleTime: stride * h, state: x };
}
