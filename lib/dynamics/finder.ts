/**
 * Fixed-point finder (Sussillo & Barak 2013; the procedure and defaults of
 * FixedPointFinder, Golub & Sussillo 2018): minimise q(h) = 1/2 ||F(h,u) - h||^2
 * for a batch of initial states jointly, with Adam on mean(q), an adaptive
 * learning rate and adaptive gradient-norm clipping; then keep converged
 * points, deduplicate, drop distance outliers, and linearise.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError, Budget, Progress, Rng, checkFinite, checkInteger, checkNumber, convergenceReport, eig, lstsq, rnnElementwise, throwIfInterrupted, type ConvergenceReport,
} from '../core';
import { DynamicalSystem, QGradKernel } from './system';
import { FixedPoints, MARGINAL_TOLERANCE, PointEigen } from './fixed-points';
import { AdaptiveGradNormClip, AdaptiveLearningRate } from './schedules';
import { ownedVariable } from './variables';

export interface FixedPointFinderOptions {
  /** Stop a point once q < tolQ (default 1e-12). */
  tolQ?: number;
  /** ... or once |dq| < tolDq * learning rate (default 1e-20). */
  tolDq?: number;
  /** Iteration bound (default 5000). */
  maxIters?: number;
  /** Initial learning rate of the adaptive schedule (default 1). */
  learningRate?: number;
  /** Adam epsilon (default 0.01), beta1 (0.9), beta2 (0.999). */
  adamEpsilon?: number;
  adamBeta1?: number;
  adamBeta2?: number;
  /** Gradient-norm clip at this percentile (95) of the last `clipWindow` (128) norms. */
  clipPercentile?: number;
  clipWindow?: number;
  /** Points closer than this in [x*, u] are duplicates (default 1e-3). */
  tolUnique?: number;
  /** Drop points whose distance to the initial states' centroid over the initial states' mean distance is >= this (default 10; Infinity keeps all). */
  outlierDistance?: number;
  /** Re-optimise points with q > qOutlierFactor * median(q) once more (default false; factor 10). */
  rerunQOutliers?: boolean;
  qOutlierFactor?: number;
  /**
   * Largest q accepted as a (slow) fixed point (default tolQ). A point is
   * accepted when q <= max(acceptQ, its float32 floor); see `float32QFloor`.
   */
  acceptQ?: number;
  /**
   * Newton refinement after the Adam search: up to this many float64 Newton
   * steps per point, (J - I) dx = -(F(x) - x) with the closed-form Jacobian,
   * each step halved until q decreases. Reaches the float64 floor where a fixed
   * point is near; leaves a point where q stops decreasing. Only for systems with
   * stepF64 and jacobianF64 (the built-in cells).
   * Default: 20 for such systems when the search is for fixed points
   * (acceptQ not above tolQ), else 0 -- for any other system (FixedPointFinder
   * has no Newton step) and for a slow-point search (acceptQ > tolQ), where
   * Newton would move slow points towards the nearest true fixed point.
   * Why on by default: float32 Adam stalls near slow modes (|lambda| ~ 0.997) at
   * q ~ 1e-7 to 1e-6, above acceptQ. Measured (2026-12-06, GRU on the 3-bit
   * flip-flop, Adam lr 0.01, 512 initial states from 128 trials + noise 0.5):
   * 32 units after 500 training steps gave 0 points with no Newton steps (0 also
   * with maxIters 20000 or acceptQ 1e-10), 12 with 5 steps, 26 with 20
   * (8 stable, 12 with one unstable mode, 6 with two); 16 units after 300 steps
   * gave 1, 18 and 22. 20 steps cost 11 s against 2.2 s for the 32-unit search.
   * A slow-point search with acceptQ = tolQ should pass 0 itself.
   */
  newtonSteps?: number;
  /** Compute Jacobians and their eigendecompositions (default true). */
  computeJacobians?: boolean;
  /** | |lambda| - 1 | at or below this is a marginal mode (default 1e-5; see FixedPoints). */
  marginalTolerance?: number;
  /** Wall-time bound of the optimisation in seconds (default Infinity). */
  timeLimitSeconds?: number;
  /** Progress display (default true). */
  progress?: boolean;
  label?: string;
}

export interface FixedPointSearch {
  /** Converged, unique, non-outlier points, linearised. */
  fixedPoints: FixedPoints;
  /** Points whose q stayed above the acceptance level: reported, never returned as fixed points. */
  notConverged: FixedPoints;
  /** Converged points dropped as distance outliers. */
  outliers: FixedPoints;
  /** Number of converged points before deduplication. */
  convergedCount: number;
  /** Optimiser iterations run, and why it stopped. */
  iterations: number;
  stoppedBy: 'converged' | 'iterations' | 'time';
  /**
   * The search's report: iterations; residual = the number of initial states short of the stopping
   * rule (q < tolQ or |dq| < tolDq lr) at the last evaluation, tolerance 0; converged when none was.
   * Per point: `nIters` (maxIters where the rule was never met) and `qstar` of each set of points.
   */
  convergence: ConvergenceReport;
  /** Wall time of the optimisation and of the whole search. */
  optimiseSeconds: number;
  wallSeconds: number;
}

/** A user-written system: a batched tfjs step function and the sizes. */
export interface StepSystem {
  step: (state: tf.Tensor2D, input: tf.Tensor2D) => tf.Tensor2D;
  stateSize: number;
  inputSize: number;
}

const EPS32 = 2 ** -23;

/** Newton steps per point by default for systems with float64 step and Jacobian (see `newtonSteps`). */
const DEFAULT_NEWTON_STEPS = 20;

/**
 * The q a float32 search can be expected to reach at x with F(x): a few
 * float32 ulps of error per coordinate, 1/2 sum_j (2 eps32 (|x_j| + |F_j|))^2.
 * q near 1e-12 is at this floor for states of tens of units.
 */
export function float32QFloor(x: ArrayLike<number>, Fx: ArrayLike<number>): number {
  if (Fx.length !== x.length) throw new ArgumentError('Fx', `${x.length} values (as many as x)`, Fx);
  checkFinite('x', x);
  checkFinite('Fx', Fx);
  let s = 0;
  for (let j = 0; j < x.length; j++) s += (2 * EPS32 * (Math.abs(x[j]) + Math.abs(Fx[j]))) ** 2;
  return 0.5 * s;
}

/**
 * States as one flat row-major array with their number: `count` x stateSize
 * values. A bare flat array is not accepted -- 24 numbers for a 3-unit cell
 * could be 8 states or a mistake, and nothing could tell which.
 */
export interface StateArray {
  values: Float32Array | Float64Array;
  count: number;
}

function isStateArray(value: unknown): value is StateArray {
  return value != null && typeof value === 'object' && !ArrayBuffer.isView(value) && 'values' in value && 'count' in value;
}

/** The values of a { values, count } after checking count x width against their length. */
function stateArrayValues(name: string, value: StateArray, width: number): Float32Array | Float64Array {
  const count = checkInteger(`${name}.count`, value.count, 1);
  if (!(value.values instanceof Float32Array || value.values instanceof Float64Array)) {
    throw new ArgumentError(`${name}.values`, 'a Float32Array or Float64Array', value.values);
  }
  if (value.values.length !== count * width) {
    throw new ArgumentError(name, `{ values, count } with count x ${width} = ${count * width} values`, `${value.values.length} values`);
  }
  return value.values;
}

function toRows(name: string, value: unknown, width: number): Float32Array {
  if (value instanceof tf.Tensor) {
    if (value.rank !== 2 || value.shape[1] !== width) throw new ArgumentError(name, `a tensor of shape [n, ${width}]`, value);
    return Float32Array.from(value.dataSync());
  }
  if (isStateArray(value)) return Float32Array.from(stateArrayValues(name, value, width));
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ArgumentError(name, 'a non-empty array', value);
    const out = new Float32Array(value.length * width);
    value.forEach((row, i) => {
      if (!row || (row as ArrayLike<number>).length !== width) throw new ArgumentError(`${name}[${i}]`, `a state of length ${width}`, row);
      out.set(row as ArrayLike<number>, i * width);
    });
    return out;
  }
  throw new ArgumentError(name, `states as a tensor [n, ${width}], an array of rows or { values, count } (a flat array needs its count of states)`, value);
}

export class FixedPointFinder {
  readonly system: DynamicalSystem;
  readonly options: Required<Omit<FixedPointFinderOptions, 'label'>> & { label: string };

  constructor(system: DynamicalSystem | StepSystem, options: FixedPointFinderOptions = {}) {
    if (!system || typeof (system as StepSystem).step !== 'function') throw new ArgumentError('system', 'a cell or an object { step(state, input), stateSize, inputSize }', system);
    checkInteger('system.stateSize', system.stateSize, 1);
    checkInteger('system.inputSize', system.inputSize, 0);
    this.system = system;
    const o = options;
    const tolQ = checkNumber('tolQ', o.tolQ ?? 1e-12, 0);
    this.options = {
      tolQ,
      tolDq: checkNumber('tolDq', o.tolDq ?? 1e-20, 0),
      maxIters: checkInteger('maxIters', o.maxIters ?? 5000, 1),
      learningRate: checkNumber('learningRate', o.learningRate ?? 1, 0),
      adamEpsilon: checkNumber('adamEpsilon', o.adamEpsilon ?? 0.01, 0),
      adamBeta1: checkNumber('adamBeta1', o.adamBeta1 ?? 0.9, 0, 1),
      adamBeta2: checkNumber('adamBeta2', o.adamBeta2 ?? 0.999, 0, 1),
      clipPercentile: checkNumber('clipPercentile', o.clipPercentile ?? 95, 0, 100),
      clipWindow: checkInteger('clipWindow', o.clipWindow ?? 128, 1),
      tolUnique: checkNumber('tolUnique', o.tolUnique ?? 1e-3, 0),
      outlierDistance: o.outlierDistance === Infinity ? Infinity : checkNumber('outlierDistance', o.outlierDistance ?? 10, 0),
      rerunQOutliers: o.rerunQOutliers ?? false,
      qOutlierFactor: checkNumber('qOutlierFactor', o.qOutlierFactor ?? 10, 1),
      acceptQ: checkNumber('acceptQ', o.acceptQ ?? tolQ, 0),
      newtonSteps: checkInteger('newtonSteps', o.newtonSteps ?? ((system as DynamicalSystem).stepF64 && (system as DynamicalSystem).jacobianF64 && !((o.acceptQ ?? tolQ) > tolQ) ? DEFAULT_NEWTON_STEPS : 0), 0),
      computeJacobians: o.computeJacobians ?? true,
      marginalTolerance: checkNumber('marginalTolerance', o.marginalTolerance ?? MARGINAL_TOLERANCE, 0, 1),
      timeLimitSeconds: o.timeLimitSeconds === undefined ? Infinity : checkNumber('timeLimitSeconds', o.timeLimitSeconds, 0),
      progress: o.progress ?? true,
      label: o.label ?? 'fixed points',
    };
  }

  /**
   * Initial states for the search: `n` states drawn uniformly (with
   * replacement) from `states` ([trials, steps, stateSize] or [m, stateSize]
   * as a tensor, or flat rows with their count { values, count }) plus
   * N(0, noise^2) per coordinate; returned as { values, count: n } for `find`.
   */
  sampleStates(states: tf.Tensor | StateArray, n: number, noise: number, seed: number): StateArray & { values: Float32Array } {
    checkInteger('n', n, 1);
    checkNumber('noise', noise, 0);
    const S = this.system.stateSize;
    let flat: Float32Array | Float64Array;
    if (states instanceof tf.Tensor) {
      if (states.shape[states.rank - 1] !== S || states.size === 0) throw new ArgumentError('states', `a non-empty tensor whose last axis is the state size ${S}`, states);
      flat = states.dataSync() as Float32Array;
    } else if (isStateArray(states)) flat = stateArrayValues('states', states, S);
    else throw new ArgumentError('states', `a tensor [..., ${S}] or { values, count } (a flat array needs its count of states)`, states);
    checkFinite('states', flat);
    const m = flat.length / S;
    const rng = new Rng(checkInteger('seed', seed, 0, 0xffffffff));
    const out = new Float32Array(n * S);
    for (let i = 0; i < n; i++) {
      const r = rng.int(m);
      for (let j = 0; j < S; j++) out[i * S + j] = flat[r * S + j] + (noise > 0 ? noise * rng.normal() : 0);
    }
    return { values: out, count: n };
  }

  /** Checks the step function on a probe: it must map [n, S] and [n, I] to [n, S]. */
  private probeStep(): void {
    const S = this.system.stateSize;
    const I = this.system.inputSize;
    const out = tf.tidy(() => {
      const y = this.system.step(tf.zeros([2, S]) as tf.Tensor2D, tf.zeros([2, I]) as tf.Tensor2D);
      return y instanceof tf.Tensor ? y : tf.scalar(NaN);
    });
    const shape = out.rank === 0 && out.dataSync()[0] !== out.dataSync()[0] ? null : out.shape.slice();
    out.dispose();
    if (!shape || shape.length !== 2 || shape[0] !== 2 || shape[1] !== S) {
      throw new ArgumentError('step', `a function mapping states [n, ${S}] and inputs [n, ${I}] to next states [n, ${S}]`, shape ? `output of shape [${shape.join(', ')}]` : 'a non-tensor output');
    }
  }

  /**
   * Runs the search from `initialStates` (a tensor [n, stateSize], n rows, or
   * { values, count: n } with n x stateSize values) with `inputs` (one
   * input [inputSize] held at every point, or one per point [n, inputSize];
   * default zeros).
   */
  find(initialStates: tf.Tensor2D | StateArray | ArrayLike<number>[], inputs?: ArrayLike<number> | ArrayLike<number>[] | tf.Tensor): FixedPointSearch {
    const t0 = Date.now();
    const S = this.system.stateSize;
    const I = this.system.inputSize;
    const x0 = toRows('initialStates', initialStates, S);
    checkFinite('initialStates', x0);
    const n = x0.length / S;
    let u: Float32Array;
    if (inputs === undefined) u = new Float32Array(n * I);
    else if (inputs instanceof tf.Tensor || Array.isArray(inputs) && Array.isArray(inputs[0])) {
      u = toRows('inputs', inputs, I);
      if (u.length !== n * I) throw new ArgumentError('inputs', `${n} inputs (one per initial state) or one input of length ${I}`, `${u.length / I} inputs`);
    } else {
      const one = inputs as ArrayLike<number>;
      if (one.length === n * I && n > 1 && I > 0 && one.length !== I) u = Float32Array.from(one);
      else {
        if (one.length !== I) throw new ArgumentError('inputs', `one input of length ${I} or ${n} x ${I} values`, one);
        u = new Float32Array(n * I);
        for (let i = 0; i < n; i++) u.set(one, i * I);
      }
    }
    checkFinite('inputs', u);
    this.probeStep();

    const opt = this.optimise(x0, u, n);
    let { x, q, dq, nIters } = opt;
    if (this.options.rerunQOutliers && n > 1) {
      const med = Array.from(q).sort((a, b) => a - b)[Math.floor(n / 2)];
      const idx = Array.from({ length: n }, (_, i) => i).filter((i) => q[i] > this.options.qOutlierFactor * med);
      if (idx.length > 0) {
        const xs = new Float32Array(idx.length * S);
        const us = new Float32Array(idx.length * I);
        idx.forEach((i, k) => {
          xs.set(x.subarray(i * S, (i + 1) * S), k * S);
          us.set(u.subarray(i * I, (i + 1) * I), k * I);
        });
        const again = this.optimise(xs, us, idx.length);
        idx.forEach((i, k) => {
          if (again.q[k] < q[i]) {
            x.set(again.x.subarray(k * S, (k + 1) * S), i * S);
            q[i] = again.q[k];
            dq[i] = again.dq[k];
            nIters[i] += again.nIters[k];
          }
        });
      }
    }

    // Evaluate F and q at the float32 points, in float64 when the system has a reference.
    const xs64 = Float64Array.from(x);
    if (this.options.newtonSteps > 0) this.newton(xs64, Float64Array.from(u), n);
    const u64 = Float64Array.from(u);
    const F64 = this.evaluate(xs64, u64, n);
    const q64 = new Float64Array(n);
    const accepted: number[] = [];
    const rejected: number[] = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < S; j++) s += (F64[i * S + j] - xs64[i * S + j]) ** 2;
      q64[i] = 0.5 * s;
      const floor = float32QFloor(xs64.subarray(i * S, (i + 1) * S), F64.subarray(i * S, (i + 1) * S));
      if (Number.isFinite(q64[i]) && q64[i] <= Math.max(this.options.acceptQ, floor)) accepted.push(i);
      else rejected.push(i);
    }
    const all = new FixedPoints({
      stateSize: S, inputSize: I, xstar: xs64, xInit: Float64Array.from(x0), inputs: u64, Fxstar: F64,
      qstar: q64, dq: Float64Array.from(dq), nIters: Int32Array.from(nIters), jacobians: null, inputJacobians: null, eigen: null,
      marginalTolerance: this.options.marginalTolerance,
    });
    const converged = all.index(accepted);
    const unique = converged.unique(this.options.tolUnique);

    // Distance outliers, relative to the spread of the initial states.
    const centroid = new Float64Array(S);
    for (let i = 0; i < n; i++) for (let j = 0; j < S; j++) centroid[j] += x0[i * S + j] / n;
    const dist = (arr: ArrayLike<number>, i: number) => {
      let s = 0;
      for (let j = 0; j < S; j++) s += (arr[i * S + j] - centroid[j]) ** 2;
      return Math.sqrt(s);
    };
    let meanDist = 0;
    for (let i = 0; i < n; i++) meanDist += dist(x0, i) / n;
    const keep: number[] = [];
    const drop: number[] = [];
    for (let i = 0; i < unique.length; i++) {
      const ratio = meanDist > 0 ? dist(unique.xstar, i) / meanDist : 0;
      (ratio >= this.options.outlierDistance ? drop : keep).push(i);
    }
    let fixedPoints = unique.index(keep);
    if (this.options.computeJacobians && fixedPoints.length > 0) fixedPoints = this.linearise(fixedPoints);
    return {
      fixedPoints,
      notConverged: all.index(rejected),
      outliers: unique.index(drop),
      convergedCount: accepted.length,
      iterations: opt.iterations,
      stoppedBy: opt.stoppedBy,
      convergence: convergenceReport(opt.iterations, opt.unmet, 0, 'initial states short of the stopping rule q < tolQ or |dq| < tolDq lr at the last evaluation'),
      optimiseSeconds: opt.seconds,
      wallSeconds: (Date.now() - t0) / 1000,
    };
  }

  /** Float64 Newton refinement of each point in place (see `newtonSteps`). */
  private newton(x: Float64Array, u: Float64Array, n: number): void {
    const sys = this.system;
    if (!sys.stepF64 || !sys.jacobianF64) throw new ArgumentError('newtonSteps', '0 for systems without stepF64 and jacobianF64', this.options.newtonSteps);
    const S = sys.stateSize;
    const I = sys.inputSize;
    const qOf = (p: Float64Array, ui: Float64Array) => {
      const F = sys.stepF64!(p, ui);
      let q = 0;
      for (let j = 0; j < S; j++) q += (F[j] - p[j]) ** 2;
      return { F, q: 0.5 * q };
    };
    for (let i = 0; i < n; i++) {
      const p = Float64Array.from(x.subarray(i * S, (i + 1) * S));
      const ui = u.subarray(i * I, (i + 1) * I);
      let cur = qOf(p, ui);
      for (let it = 0; it < this.options.newtonSteps && cur.q > 0; it++) {
        const J = sys.jacobianF64(p, ui).dState;
        const A: number[][] = [];
        for (let a = 0; a < S; a++) A.push(Array.from(J.subarray(a * S, (a + 1) * S), (v, b) => v - (a === b ? 1 : 0)));
        let dx: number[];
        try {
          dx = lstsq(A, Array.from(cur.F, (f, j) => p[j] - f)).to1DArray();
        } catch {
          break;
        }
        if (!dx.every(Number.isFinite)) break;
        let accepted = false;
        for (let h = 0, scale = 1; h < 20; h++, scale /= 2) {
          const trial = Float64Array.from(p, (v, j) => v + scale * dx[j]);
          const next = qOf(trial, ui);
          if (next.q < cur.q) {
            p.set(trial);
            cur = next;
            accepted = true;
            break;
          }
        }
        if (!accepted) break;
      }
      x.set(p, i * S);
    }
  }

  /** F at each point, float64 (reference) when available, else float32 through tfjs. */
  private evaluate(x: Float64Array, u: Float64Array, n: number): Float64Array {
    const S = this.system.stateSize;
    const I = this.system.inputSize;
    const ref = this.system.stepF64?.bind(this.system);
    if (ref) {
      const out = new Float64Array(n * S);
      for (let i = 0; i < n; i++) out.set(ref(x.subarray(i * S, (i + 1) * S), u.subarray(i * I, (i + 1) * I)), i * S);
      return out;
    }
    const y = tf.tidy(() => this.system.step(tf.tensor2d(Float32Array.from(x), [n, S]), tf.tensor2d(Float32Array.from(u), [n, I])));
    const out = Float64Array.from(y.dataSync());
    y.dispose();
    return out;
  }

  /**
   * The joint Adam minimisation of mean(q) in float32: the one search loop
   * (stopping rule per point, adaptive learning rate, adaptive gradient-norm
   * clipping, bias-corrected Adam step sizes, budget, progress) over the
   * system's search primitive: its fused kernel when it has one, else tfjs
   * autodiff of its step.
   */
  private optimise(x0: Float32Array, u: Float32Array, n: number) {
    const o = this.options;
    const b1 = o.adamBeta1;
    const b2 = o.adamBeta2;
    const search = this.system.qGradKernel
      ? fusedSearch(this.system.qGradKernel(u, n), x0, n, b1, b2, o.adamEpsilon)
      : autodiffSearch(this.system, x0, u, n, b1, b2, o.adamEpsilon);
    const lrCtl = new AdaptiveLearningRate(o.learningRate);
    const clipper = new AdaptiveGradNormClip(o.clipPercentile, o.clipWindow);
    const budget = new Budget({ maxIterations: o.maxIters, timeLimitMs: Number.isFinite(o.timeLimitSeconds) ? o.timeLimitSeconds * 1000 : undefined });
    const progress = o.progress ? new Progress({ total: o.maxIters, label: o.label }) : null;
    const qPrev = new Float64Array(n).fill(NaN);
    const dq = new Float64Array(n).fill(Infinity);
    const nIters = new Int32Array(n).fill(o.maxIters);
    const done = new Uint8Array(n);
    let q: Float32Array = new Float32Array(n);
    let lr = o.learningRate;
    let iter = 0;
    let stoppedBy: FixedPointSearch['stoppedBy'] = 'iterations';
    // Points short of the stopping rule at the last evaluation (the convergence report's residual).
    let unmet = n;
    const t0 = Date.now();
    try {
      // Until every point meets the stopping rule (break: 'converged') or the budget runs out.
      let exhausted = budget.exhausted(iter);
      while (!exhausted) {
        // An interrupt (lib/core) stops the search here with the states after the last finished Adam step.
        throwIfInterrupted('FixedPointFinder.find', () => `at iteration ${iter} of at most ${o.maxIters}`, () => ({ states: Float32Array.from(search.states()), iterations: iter, pointCount: n }));
        const at = search.evaluate();
        q = at.q;
        let meanQ = 0;
        for (let i = 0; i < n; i++) meanQ += q[i];
        meanQ /= n;
        if (!Number.isFinite(meanQ)) throw new Error(`FixedPointFinder: q became ${meanQ} at iteration ${iter}; the step function diverges from these initial states`);
        // Stopping rule, per point: q < tolQ or |dq| < tolDq * lr.
        let all = true;
        unmet = 0;
        for (let i = 0; i < n; i++) {
          if (iter > 0) dq[i] = Math.abs(q[i] - qPrev[i]);
          qPrev[i] = q[i];
          const ok = q[i] < o.tolQ || dq[i] < o.tolDq * lr;
          if (ok && !done[i]) {
            done[i] = 1;
            nIters[i] = iter;
          }
          if (!ok) (all = false), unmet++;
        }
        if (all) {
          stoppedBy = 'converged';
          break;
        }
        if (iter > 0) lr = lrCtl.update(meanQ);
        const scale = clipper.scale(Math.sqrt(at.gradNormSq));
        const t = iter + 1;
        search.adamStep(scale, lr / (1 - Math.pow(b1, t)), 1 - Math.pow(b2, t));
        progress?.update(iter + 1, `mean q ${meanQ.toExponential(2)}, lr ${lr.toExponential(2)}`);
        exhausted = budget.exhausted(++iter);
      }
      if (exhausted) stoppedBy = exhausted === 'time' ? 'time' : 'iterations';
      const x = Float32Array.from(search.states());
      progress?.finish(`${iter} iterations (${stoppedBy})`);
      return { x, q: Float32Array.from(q), dq, nIters, iterations: iter, stoppedBy, unmet, seconds: (Date.now() - t0) / 1000 };
    } finally {
      search.dispose();
    }
  }

  /** Jacobians (closed form in float64 when the system provides it, else tfjs autodiff) and eigendecompositions. */
  linearise(fp: FixedPoints): FixedPoints {
    const S = fp.stateSize;
    const I = fp.inputSize;
    const n = fp.length;
    const jac: Float64Array[] = [];
    const jin: Float64Array[] = [];
    if (this.system.jacobianF64) {
      for (let i = 0; i < n; i++) {
        const { dState, dInput } = this.system.jacobianF64(fp.point(i), I > 0 ? fp.input(i) : new Float64Array(0));
        jac.push(dState);
        jin.push(dInput);
      }
    } else {
      const { dState, dInput } = jacobiansByAutodiff(this.system, fp.xstar, fp.inputs, n);
      jac.push(...dState);
      jin.push(...dInput);
    }
    const eigen = jac.map((J) => decompose(J, S));
    return new FixedPoints({ ...fp, stateSize: S, inputSize: I, xstar: fp.xstar, xInit: fp.xInit, inputs: fp.inputs, Fxstar: fp.Fxstar, qstar: fp.qstar, dq: fp.dq, nIters: fp.nIters, jacobians: jac, inputJacobians: jin, eigen });
  }
}

/**
 * The primitive the search loop runs on, for a batch of states: q per point
 * and the gradient of mean(q) at the current states, and the Adam move of the
 * states along the last gradient. The loop owns the bookkeeping (moments'
 * bias corrections, learning rate, clipping, stopping); the primitive owns
 * where the states live.
 */
interface SearchPrimitive {
  /** q at the current states [n] (float32) and the squared norm of the gradient of mean(q). */
  evaluate(): { q: Float32Array; gradNormSq: number };
  /**
   * With g = scale * (last gradient): m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
   * x -= stepSize m / (sqrt(v / c2) + eps), where stepSize = lr / (1 - b1^t), c2 = 1 - b2^t.
   */
  adamStep(scale: number, stepSize: number, c2: number): void;
  /** The current states [n x stateSize]. */
  states(): Float32Array;
  dispose(): void;
}

// The element-wise Adam update exists twice on purpose, once per place the states live:
// plain arrays (lib/core's adamStep, native when loaded) and tfjs tensors (a user's
// system stays on its backend). Each is the exact arithmetic of its path before the
// two search loops became one, so results are bit-identical.

/** The primitive on plain Float32Arrays with a system's fused q-and-gradient kernel (the cells of the table). */
function fusedSearch(kernel: QGradKernel, x0: Float32Array, n: number, b1: number, b2: number, eps: number): SearchPrimitive {
  const x = Float32Array.from(x0);
  const m = new Float32Array(x.length);
  const v = new Float32Array(x.length);
  const g = new Float32Array(x.length);
  const q = new Float32Array(n);
  const ew = rnnElementwise();
  return {
    evaluate() {
      kernel(x, q, g);
      return { q, gradNormSq: ew.sumSquares(g) };
    },
    adamStep(scale, stepSize, c2) {
      // Native when the add-on is loaded: in JS this loop was a sixth of the search.
      ew.adamStep(g.length, scale, b1, b2, stepSize, 1 / c2, eps, g, m, v, x);
    },
    states: () => x,
    dispose() {},
  };
}

/** The primitive for any step function: q and its gradient by tfjs autodiff, the states and moments as tf.Variables. */
function autodiffSearch(system: DynamicalSystem, x0: Float32Array, u: Float32Array, n: number, b1: number, b2: number, eps: number): SearchPrimitive {
  const S = system.stateSize;
  const x = ownedVariable(tf.tensor2d(x0, [n, S]), true);
  const m = ownedVariable(tf.zeros([n, S]), false);
  const v = ownedVariable(tf.zeros([n, S]), false);
  const U = tf.tensor2d(u, [n, system.inputSize]);
  let grad: tf.Tensor | null = null;
  const dropGrad = () => {
    grad?.dispose();
    grad = null;
  };
  return {
    evaluate() {
      dropGrad();
      // One read-back per iteration: q per point followed by the squared gradient norm.
      const packed = tf.tidy(() => {
        let qv: tf.Tensor1D | null = null;
        const { grads } = tf.variableGrads(() => {
          const d = tf.sub(system.step(x as unknown as tf.Tensor2D, U), x);
          qv = tf.keep(tf.mul(tf.sum(tf.square(d), 1), 0.5)) as tf.Tensor1D;
          return tf.mean(qv) as tf.Scalar;
        }, [x]);
        const g = grads[x.name];
        const out = tf.concat([qv!, tf.reshape(tf.sum(tf.square(g)), [1])]);
        (qv as unknown as tf.Tensor).dispose();
        return { out: tf.keep(out), g: tf.keep(g) };
      });
      const vals = packed.out.dataSync() as Float32Array;
      packed.out.dispose();
      grad = packed.g;
      return { q: vals.slice(0, n), gradNormSq: vals[n] };
    },
    adamStep(scale, stepSize, c2) {
      const last = grad!;
      tf.tidy(() => {
        const g = scale === 1 ? last : tf.mul(last, scale);
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        x.assign(tf.sub(x, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(tf.div(v, c2)), eps))));
      });
      dropGrad();
    },
    states: () => Float32Array.from(x.dataSync()),
    dispose() {
      dropGrad();
      x.dispose();
      m.dispose();
      v.dispose();
      U.dispose();
    },
  };
}

/** Eigendecomposition of a row-major S x S Jacobian into flat arrays. */
export function decompose(J: Float64Array, S: number): PointEigen {
  checkInteger('S', S, 1);
  if (J.length !== S * S) throw new ArgumentError('J', `${S * S} values (S x S, row-major)`, J);
  checkFinite('J', J);
  const e = eig({ data: J, rows: S, cols: S });
  const flat = (m: { to1DArray(): number[] } | null) => (m ? Float64Array.from(m.to1DArray()) : null);
  return { re: e.re, im: e.im, rightRe: flat(e.rightRe)!, rightIm: flat(e.rightIm)!, leftRe: flat(e.leftRe), leftIm: flat(e.leftIm) };
}

/**
 * Jacobians of any tfjs step function by autodiff, batched: each point is
 * repeated S times and row i of its Jacobian is the gradient of output i.
 */
export function jacobiansByAutodiff(system: DynamicalSystem, xstar: Float64Array, inputs: Float64Array, n: number): { dState: Float64Array[]; dInput: Float64Array[] } {
  const S = system.stateSize;
  const I = system.inputSize;
  checkInteger('n', n, 0);
  if (xstar.length !== n * S) throw new ArgumentError('xstar', `${n * S} values (n x stateSize)`, xstar);
  if (inputs.length !== n * I) throw new ArgumentError('inputs', `${n * I} values (n x inputSize)`, inputs);
  checkFinite('xstar', xstar);
  checkFinite('inputs', inputs);
  const dState: Float64Array[] = [];
  const dInput: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const [gx, gu] = tf.tidy(() => {
      const X = tf.tile(tf.tensor2d(Float32Array.from(xstar.subarray(i * S, (i + 1) * S)), [1, S]), [S, 1]) as tf.Tensor2D;
      const Uv = tf.tile(tf.tensor2d(Float32Array.from(inputs.subarray(i * I, (i + 1) * I)), [1, I]), [S, 1]) as tf.Tensor2D;
      const E = tf.eye(S);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(system.step(a as tf.Tensor2D, b as tf.Tensor2D), E));
      const dx = tf.grad((a: tf.Tensor) => f(a, Uv))(X);
      let du: tf.Tensor;
      try {
        du = I > 0 ? tf.grad((b: tf.Tensor) => f(X, b))(Uv) : tf.zeros([S, 0]);
      } catch {
        // The step does not use its input at all: dF/du is zero.
        du = tf.zeros([S, I]);
      }
      return [dx, du];
    });
    dState.push(Float64Array.from(gx.dataSync()));
    dInput.push(Float64Array.from(gu.dataSync()));
    gx.dispose();
    gu.dispose();
  }
  return { dState, dInput };
}
