/**
 * Analysis of fixed points: the data of the 3-D figure (on a lib/geometry PCA of trajectories)
 * (stable and unstable points, lines along unstable modes), the linearised
 * one-step prediction, the topology graph obtained by following unstable
 * modes from every saddle, and the line-attractor statistics of a set of slow
 * points (Maheswaranathan et al. 2019): with J = dF/dh = R diag(lambda) L^H
 * and B = dF/du at each point,
 *   |lambda_1|                      (near 1 along a line attractor),
 *   |cos(Re r_1, line)|             (the slow mode follows the line: its first PC),
 *   |cos(Re l_1, B e_k)|            (the left eigenvector selects which input column k is integrated).
 * And where states go under a held input (`heldInputFate`): iterate x <- F(x, u) in float64 from each
 * state for a fixed number of steps and sort the ends into those that stopped (speed
 * (1/S)||F(x) - x||^2 at or below a tolerance; distinct ends counted) and those still moving -- the
 * question a fixed-point search cannot answer when it finds nothing: is there no attractor, or is the
 * state running off (an LSTM cell state under a forget gate of 0.9999 grows without bound).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkFinite, checkInteger, checkNumber, cosine } from '../core';
import { Pca, pca } from '../geometry';
import { DynamicalSystem } from './system';
import { FixedPoints } from './fixed-points';

export interface FixedPointFigureData {
  stable: { x: number[]; y: number[]; z: number[] };
  unstable: { x: number[]; y: number[]; z: number[] };
  /** Points of class 'marginal' (an eigenvalue within the tolerance of |lambda| = 1, none beyond it). */
  marginal: { x: number[]; y: number[]; z: number[] };
  /** Line segments x* +- scale |lambda| Re(r) along unstable modes, in PC coordinates. */
  modeLines: { x: number[]; y: number[]; z: number[] }[];
}

/**
 * Coordinates for the 3-D figure: fixed points projected on the first three
 * PCs of `p`, stable, marginal and unstable separately (FixedPoints' classes),
 * and a line along each unstable mode (the top `modesPerPoint` of each
 * unstable point): x* +- scale |lambda| Re(v).
 */
export function fixedPointFigureData(fp: FixedPoints, p: Pca, o: { scale?: number; modesPerPoint?: number } = {}): FixedPointFigureData {
  if (p.k < 3) throw new ArgumentError('p', 'a PCA with at least 3 components', `${p.k}`);
  if (p.dim !== fp.stateSize) throw new ArgumentError('p', `a PCA of ${fp.stateSize}-D states`, `${p.dim}-D`);
  const scale = checkNumber('scale', o.scale ?? 0.25, 0);
  const perPoint = checkInteger('modesPerPoint', o.modesPerPoint ?? 3, 0);
  const S = fp.stateSize;
  const proj = p.project(fp.xstar);
  const stable = { x: [] as number[], y: [] as number[], z: [] as number[] };
  const unstable = { x: [] as number[], y: [] as number[], z: [] as number[] };
  const marginal = { x: [] as number[], y: [] as number[], z: [] as number[] };
  const modeLines: FixedPointFigureData['modeLines'] = [];
  const classes = fp.stabilityClass;
  const mags = (i: number) => fp.eigenvalueMagnitudes(i);
  for (let i = 0; i < fp.length; i++) {
    const dst = { stable, marginal, unstable }[classes[i]];
    dst.x.push(proj[i * p.k]);
    dst.y.push(proj[i * p.k + 1]);
    dst.z.push(proj[i * p.k + 2]);
    if (classes[i] !== 'unstable') continue;
    const e = fp.eigen![i];
    const mag = mags(i);
    for (let j = 0; j < Math.min(perPoint, S) && mag[j] > 1 + fp.marginalTolerance; j++) {
      const ends = [-1, 1].map((sgn) => {
        const pt = new Float64Array(S);
        for (let a = 0; a < S; a++) pt[a] = fp.xstar[i * S + a] + sgn * scale * mag[j] * e.rightRe[a * S + j];
        return p.project(pt);
      });
      modeLines.push({ x: [ends[0][0], ends[1][0]], y: [ends[0][1], ends[1][1]], z: [ends[0][2], ends[1][2]] });
    }
  }
  return { stable, unstable, marginal, modeLines };
}

/**
 * Linearised one-step prediction around fixed point `index`:
 * F(h, u) ~ x* + J (h - x*) + B (u - u*), compared with the true step at the
 * given states [m x S] (and inputs [m x I], default u*). Returns the true and
 * predicted displacement from x*, and R^2 of the prediction of F(h) - x*.
 */
export function linearisedPrediction(system: DynamicalSystem, fp: FixedPoints, index: number, states: ArrayLike<number>, inputs?: ArrayLike<number>) {
  checkInteger('index', index, 0, fp.length - 1);
  if (!fp.jacobians || !fp.inputJacobians) throw new Error('linearisedPrediction: the fixed points carry no Jacobians');
  const S = fp.stateSize;
  const I = fp.inputSize;
  if (states.length === 0 || states.length % S !== 0) throw new ArgumentError('states', `a flat array of m x ${S} values`, states);
  const m = states.length / S;
  if (inputs && inputs.length !== m * I) throw new ArgumentError('inputs', `${m * I} values (m x ${I})`, inputs);
  checkFinite('states', states);
  if (inputs) checkFinite('inputs', inputs, 'float32');
  const xs = fp.point(index);
  const us = fp.input(index);
  const J = fp.jacobians[index];
  const B = fp.inputJacobians[index];
  const U = new Float32Array(m * I);
  for (let i = 0; i < m; i++) for (let k = 0; k < I; k++) U[i * I + k] = inputs ? inputs[i * I + k] : us[k];
  const trueNext = tf.tidy(() => system.step(tf.tensor2d(Float32Array.from(states), [m, S]), tf.tensor2d(U, [m, I])).dataSync());
  const actual = new Float64Array(m * S);
  const predicted = new Float64Array(m * S);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < S; a++) {
      let s = 0;
      for (let b = 0; b < S; b++) s += J[a * S + b] * (states[i * S + b] - xs[b]);
      for (let k = 0; k < I; k++) s += B[a * I + k] * (U[i * I + k] - us[k]);
      predicted[i * S + a] = s;
      actual[i * S + a] = trueNext[i * S + a] - xs[a];
      ssRes += (actual[i * S + a] - s) ** 2;
      ssTot += actual[i * S + a] ** 2;
    }
  }
  return { actual, predicted, r2: ssTot > 0 ? 1 - ssRes / ssTot : NaN };
}

export interface TopologyEdge {
  /** Index (in the FixedPoints) of the saddle the walk starts from. */
  from: number;
  /** Which unstable mode (index into the sorted eigenvalues) and which sign. */
  mode: number;
  sign: 1 | -1;
  /** First fixed point the trajectory came within `radius` of (-1: none). */
  to: number;
  /** The stable point the trajectory ended nearest to (-1: ended farther than `radius` from every stable point). */
  reachedStable: number;
}

export interface TopologyGraph {
  edges: TopologyEdge[];
  radius: number;
  /** Number of unstable modes per point. */
  numUnstable: Int32Array;
}

/**
 * The topology graph: from each unstable point, start at x* +- eps r_j along
 * each unstable eigenvector (real part, unit length), iterate the step with the
 * point's input, and record the first fixed point the trajectory passes within
 * `radius` of, and the stable point it ends at. `radius` defaults to a quarter
 * of the smallest distance between two points.
 */
export function topologyGraph(system: DynamicalSystem, fp: FixedPoints, o: { eps?: number; steps?: number; radius?: number } = {}): TopologyGraph {
  const S = fp.stateSize;
  const I = fp.inputSize;
  const eps = checkNumber('eps', o.eps ?? 1e-3, 0);
  const steps = checkInteger('steps', o.steps ?? 500, 1);
  const n = fp.length;
  const numUnstable = fp.numUnstable;
  const isStable = fp.isStable;
  let radius = o.radius;
  if (radius === undefined) {
    let minD = Infinity;
    for (let i = 0; i < n; i++) for (let k = i + 1; k < n; k++) {
      let d = 0;
      for (let a = 0; a < S; a++) d += (fp.xstar[i * S + a] - fp.xstar[k * S + a]) ** 2;
      minD = Math.min(minD, Math.sqrt(d));
    }
    radius = Number.isFinite(minD) ? minD / 4 : 1;
  }
  checkNumber('radius', radius, 0);
  const starts: { from: number; mode: number; sign: 1 | -1 }[] = [];
  for (let i = 0; i < n; i++) {
    const e = fp.eigen![i];
    for (let j = 0; j < numUnstable[i]; j++) {
      // Complex pairs share one real plane: follow only the first of a pair.
      if (j > 0 && e.im[j] !== 0 && e.im[j] === -e.im[j - 1]) continue;
      for (const sign of [1, -1] as const) starts.push({ from: i, mode: j, sign });
    }
  }
  if (starts.length === 0) return { edges: [], radius, numUnstable };
  const K = starts.length;
  const x0 = new Float32Array(K * S);
  const u = new Float32Array(K * I);
  starts.forEach((s, k) => {
    const e = fp.eigen![s.from];
    let norm = 0;
    for (let a = 0; a < S; a++) norm += e.rightRe[a * S + s.mode] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let a = 0; a < S; a++) x0[k * S + a] = fp.xstar[s.from * S + a] + (s.sign * eps * e.rightRe[a * S + s.mode]) / norm;
    u.set(fp.inputs.subarray(s.from * I, (s.from + 1) * I), k * I);
  });
  const firstHit = new Int32Array(K).fill(-1);
  const nearestTo = (traj: Float32Array, k: number, onlyStable: boolean, exclude: number) => {
    let best = -1;
    let bestD = radius!;
    for (let i = 0; i < n; i++) {
      if (i === exclude || (onlyStable && !isStable[i])) continue;
      let d = 0;
      for (let a = 0; a < S; a++) d += (traj[k * S + a] - fp.xstar[i * S + a]) ** 2;
      d = Math.sqrt(d);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  };
  let h = tf.tensor2d(x0, [K, S]);
  const U = tf.tensor2d(u, [K, I]);
  try {
    for (let t = 0; t < steps; t++) {
      const next = tf.tidy(() => system.step(h as tf.Tensor2D, U));
      h.dispose();
      h = next;
      if (firstHit.includes(-1)) {
        const cur = h.dataSync() as Float32Array;
        for (let k = 0; k < K; k++) if (firstHit[k] === -1) firstHit[k] = nearestTo(cur, k, false, starts[k].from);
      }
    }
    const end = h.dataSync() as Float32Array;
    const edges = starts.map((s, k) => ({ ...s, to: firstHit[k], reachedStable: nearestTo(end, k, true, -1) }));
    return { edges, radius, numUnstable };
  } finally {
    h.dispose();
    U.dispose();
  }
}

export interface LineAttractorStatistics {
  /** Number of points. */
  n: number;
  /** The line: the first principal component of the points [stateSize] (null below `minPoints`). */
  direction: Float64Array | null;
  /** Fraction of the points' variance along that component (NaN below `minPoints`). */
  lineVariance: number;
  /** Per point: |lambda_1|, the largest eigenvalue magnitude of dF/dh. */
  topEigenvalue: number[];
  /** Per point: |cos(Re r_1, line)|, r_1 the right eigenvector of lambda_1. */
  rightAlignment: number[];
  /**
   * Per requested input column k (in the order of `inputColumns`), per point
   * with left eigenvectors: |cos(Re l_1, dF/du e_k)|, l_1 the left eigenvector of lambda_1.
   */
  leftAlignment: number[][];
}

/**
 * Line-attractor statistics of linearised slow points (see the module header).
 * Needs the points' Jacobians and eigendecompositions (the finder computes them
 * by default). Below `minPoints` (default 3) points no line is defined: `n`
 * only, empty per-point lists.
 */
export function lineAttractorStatistics(fp: FixedPoints, o: { inputColumns?: readonly number[]; minPoints?: number } = {}): LineAttractorStatistics {
  const S = fp.stateSize;
  const I = fp.inputSize;
  const columns = (o.inputColumns ?? Array.from({ length: I }, (_, k) => k)).map((k, j) => checkInteger(`inputColumns[${j}]`, k, 0, I - 1));
  const minPoints = checkInteger('minPoints', o.minPoints ?? 3, 2);
  const n = fp.length;
  const leftAlignment = columns.map(() => [] as number[]);
  if (n < minPoints) return { n, direction: null, lineVariance: NaN, topEigenvalue: [], rightAlignment: [], leftAlignment };
  if (!fp.eigen || !fp.inputJacobians) throw new ArgumentError('fp', 'fixed points with Jacobians and eigendecompositions (computeJacobians: true)', 'points without them');
  const line = pca(fp.xstar, S, 1);
  const direction = line.components.subarray(0, S);
  const topEigenvalue: number[] = [];
  const rightAlignment: number[] = [];
  const column = new Float64Array(S);
  for (let i = 0; i < n; i++) {
    const e = fp.eigen[i];
    topEigenvalue.push(Math.hypot(e.re[0], e.im[0]));
    rightAlignment.push(Math.abs(cosine(Float64Array.from({ length: S }, (_, a) => e.rightRe[a * S]), direction)));
    if (!e.leftRe) continue;
    const l1 = Float64Array.from({ length: S }, (_, a) => e.leftRe![a * S]);
    const B = fp.inputJacobians[i];
    columns.forEach((k, j) => {
      for (let a = 0; a < S; a++) column[a] = B[a * I + k];
      leftAlignment[j].push(Math.abs(cosine(l1, column)));
    });
  }
  return { n, direction, lineVariance: line.explainedRatio[0], topEigenvalue, rightAlignment, leftAlignment };
}

export interface HeldInputFate {
  /** Steps run from every state. */
  steps: number;
  /** Each state's speed (1/S)||F(x) - x||^2 after the steps. */
  speed: Float64Array;
  /** Whether each state stopped (speed <= tolerance). */
  stopped: boolean[];
  /** The distinct end points of the stopped states [k x S] (two ends closer than `uniqueDistance` are one). */
  ends: Float64Array;
  /** How many stopped states ended at each distinct end. */
  endCounts: number[];
  /** Largest |x_a| over each state's end (a running-off state shows as a growing value). */
  maxAbs: Float64Array;
}

/**
 * Iterates x <- F(x, u) (the system's float64 map) from each of `states` for
 * `steps` steps with the input held at `input`, and sorts the ends (see the
 * module header). Defaults: 2,000 steps, tolerance 1e-16 (squared speed per
 * coordinate: a float64 fixed point), unique distance 1e-3.
 */
export function heldInputFate(system: DynamicalSystem, states: ArrayLike<number>, input: ArrayLike<number>,
  o: { steps?: number; tolerance?: number; uniqueDistance?: number } = {}): HeldInputFate {
  if (!system.stepF64) throw new ArgumentError('system', 'a system with a float64 map (stepF64)', 'a system without one');
  const S = system.stateSize;
  if (states == null || states.length === 0 || states.length % S !== 0) throw new ArgumentError('states', `rows of ${S} values (flat, a multiple of ${S})`, `${states?.length} values`);
  if (input == null || input.length !== system.inputSize) throw new ArgumentError('input', `${system.inputSize} values`, `${input?.length} values`);
  checkFinite('states', states);
  checkFinite('input', input);
  const steps = checkInteger('steps', o.steps ?? 2000, 1);
  const tolerance = checkNumber('tolerance', o.tolerance ?? 1e-16, 0);
  const uniqueDistance = checkNumber('uniqueDistance', o.uniqueDistance ?? 1e-3, 0);
  const u = Float64Array.from(input);
  const n = states.length / S;
  const speed = new Float64Array(n);
  const maxAbs = new Float64Array(n);
  const stopped: boolean[] = [];
  const ends: Float64Array[] = [];
  const endCounts: number[] = [];
  for (let i = 0; i < n; i++) {
    let x: Float64Array = Float64Array.from({ length: S }, (_, a) => states[i * S + a]);
    for (let t = 0; t < steps; t++) x = system.stepF64!(x, u);
    const next = system.stepF64!(x, u);
    let q = 0;
    let m = 0;
    for (let a = 0; a < S; a++) ((q += (next[a] - x[a]) ** 2), (m = Math.max(m, Math.abs(x[a]))));
    speed[i] = q / S;
    maxAbs[i] = m;
    stopped.push(speed[i] <= tolerance);
    if (!stopped[i]) continue;
    const j = ends.findIndex((e) => Math.hypot(...Array.from(e, (v, a) => v - x[a])) < uniqueDistance);
    if (j >= 0) endCounts[j]++;
    else (ends.push(x), endCounts.push(1));
  }
  const flat = new Float64Array(ends.length * S);
  ends.forEach((e, k) => flat.set(e, k * S));
  return { steps, speed, stopped, ends: flat, endCounts, maxAbs };
}
