/**
 * Generalization dynamics of deep linear networks on noisy data (Lampinen &
 * Ganguli, ICLR 2019, arXiv 1809.10374), with the spiked-random-matrix facts
 * it rests on (Benaych-Georges & Nadakuditi 2012).
 *
 * Setting: a teacher W_bar = sum_a s_bar_a u_a v_a^T (N3 outputs x N1 inputs,
 * aspect A = N3/N1 <= 1: transpose a task with more outputs than inputs);
 * N1 one-hot training inputs with targets W_bar x + z, z_i ~ N(0, sigma^2/N1).
 * The student sees Sigma31 = W_bar + Z = sum s_hat_a u_hat_a v_hat_a^T. In
 * units of sigma, with x = s_bar / sigma:
 *   s_hat(x)  = sqrt((1 + x^2)(A + x^2)) / x      for x > A^(1/4), else the bulk edge 1 + sqrt(A)
 *   O_out^2   = 1 - A (1 + x^2) / (x^2 (A + x^2))   overlap of u_hat with u (outputs, the short side)
 *   O_in^2    = 1 - (A + x^2) / (x^2 (1 + x^2))     overlap of v_hat with v (inputs)
 *   O = O_out O_in (0 below the threshold A^(1/4))
 *   noise singular values: Marchenko-Pastur, density
 *   rho(s) = sqrt(4A - (s^2 - 1 - A)^2) / (pi A s)  on [1 - sqrt A, 1 + sqrt A].
 * A student of depth D and hidden width N2 >= r from training-aligned small
 * initialisation eps learns each mode of Sigma31 along u(t; s_hat, eps, D)
 * (modes.ts); its N2 modes are the top ones. Errors (r teacher modes, the
 * N3 - r others in the bulk, of which the top fraction f = (N2 - r)/(N3 - r)
 * is learned):
 *   E_test(t)  = [sum_a ((u_a - s_bar_a)^2 + 2 u_a s_bar_a (1 - O_a))
 *                 + (N3 - r) int_top-f u(s)^2 rho(s) ds] / sum_a s_bar_a^2
 *   E_train(t) = [sum_a (u_a - s_hat_a)^2 + (N3 - r)(int_top-f (u - s)^2 rho + int_rest s^2 rho)]
 *                / [sum_a s_hat_a^2 + (N3 - r) int s^2 rho]
 * (noise modes have no overlap with the teacher, so they add u^2 to the test
 * error). With sigma = 0: s_hat = s_bar, O = 1, no bulk, E_test = E_train.
 * Bulk integrals: lambda = s^2 = m + h cos(theta), m = 1 + A, h = 2 sqrt(A),
 * so rho ds = h^2 sin^2(theta) / (2 pi A lambda) dtheta, a smooth integrand on
 * [0, pi] (midpoint rule, `points` nodes, masses renormalised to 1).
 *
 * Optimal shrinkage (the paper's non-gradient algorithm; Gavish & Donoho,
 * arXiv 1405.7511, for A = 1): keep Sigma31's singular vectors, replace each
 * s_hat above the bulk edge by s_bar(s_hat) O(s_bar(s_hat)) and the rest by
 * 0, where x^2 = [(s_hat^2 - 1 - A) + sqrt((s_hat^2 - 1 - A)^2 - 4A)] / 2
 * inverts s_hat(x). Its error is sum s_bar^2 (1 - O^2) / sum s_bar^2.
 *
 * Transfer (rank-1 tasks A and B on the same N1 inputs, input modes with
 * overlap q = v_A . v_B, outputs concatenated: N3 = N3A + N3B, A_joint =
 * N3/N1): the joint teacher has (at most) two modes (sigma_k, left parts
 * a_k on u_A, b_k on u_B, right parts c_k on v_A). Task A's test error of the
 * jointly trained student, with P_A the projection on A's outputs:
 *   E_A(t) = [sum_k (u_k^2 |P_A u_hat_k|^2 - 2 u_k O_out,k O_in,k a_k s_A c_k)
 *             + s_A^2 + (N3 - rank)(N3A/N3) int u(s)^2 rho] / s_A^2,
 *   |P_A u_hat_k|^2 = O_out,k^2 a_k^2 + (1 - O_out,k^2) N3A/N3
 * (the noise part of u_hat is spread evenly over the N3 outputs). The
 * transfer benefit is A's optimal-stopping error alone minus jointly.
 */
import { ArgumentError, checkInteger, checkNumber, checkPositive, Rng, svd } from '../core';
import { checkDense, dense, DenseMatrix, frobeniusDistanceSquared, fromMatrix, matmul, randomOrthonormal, toMlMatrix } from './dense';
import { deepModeStrengths } from './modes';

/** u(t) of a mode s from eps (a mode at or below eps is taken as already learned: u = s). */
function growth(s: number, eps: number, times: readonly number[], D: number): number[] {
  return s > eps ? deepModeStrengths(s, eps, times, D) : times.map(() => s);
}

function checkAspect(aspect: number): number {
  return checkNumber('aspect', aspect, 1e-9, 1);
}

/** The Marchenko-Pastur bulk edge sigma (1 + sqrt A). */
export function bulkEdge(aspect: number, noise = 1): number {
  return checkNumber('noise', noise, 0) * (1 + Math.sqrt(checkAspect(aspect)));
}

/** The detection threshold sigma A^(1/4): weaker teacher modes are lost in the bulk. */
export function detectionThreshold(aspect: number, noise = 1): number {
  return checkNumber('noise', noise, 0) * Math.pow(checkAspect(aspect), 0.25);
}

/** The training data's singular value s_hat of a teacher mode of strength sBar (header). */
export function spikedSingularValue(sBar: number, aspect: number, noise = 1): number {
  checkNumber('sBar', sBar, 0);
  const A = checkAspect(aspect);
  const sigma = checkNumber('noise', noise, 0);
  if (sigma === 0) return sBar;
  const x = sBar / sigma;
  if (!(x > Math.pow(A, 0.25))) return sigma * (1 + Math.sqrt(A));
  return (sigma * Math.sqrt((1 + x * x) * (A + x * x))) / x;
}

export interface SpikedOverlaps {
  /** |u_hat . u| (outputs). */
  output: number;
  /** |v_hat . v| (inputs). */
  input: number;
  /** output * input, the O of the test error. */
  product: number;
}

/** Overlaps of the data's singular vectors with the teacher's (header); 0 below the threshold. */
export function spikedOverlaps(sBar: number, aspect: number, noise = 1): SpikedOverlaps {
  checkNumber('sBar', sBar, 0);
  const A = checkAspect(aspect);
  const sigma = checkNumber('noise', noise, 0);
  if (sigma === 0) return { output: 1, input: 1, product: 1 };
  const x = sBar / sigma;
  if (!(x > Math.pow(A, 0.25))) return { output: 0, input: 0, product: 0 };
  const x2 = x * x;
  const output = Math.sqrt(Math.max(0, 1 - (A * (1 + x2)) / (x2 * (A + x2))));
  const input = Math.sqrt(Math.max(0, 1 - (A + x2) / (x2 * (1 + x2))));
  return { output, input, product: output * input };
}

/** The Marchenko-Pastur density of the noise singular values (header), 0 outside the bulk. */
export function marchenkoPasturDensity(s: number, aspect: number, noise = 1): number {
  checkNumber('s', s, 0);
  const A = checkAspect(aspect);
  const sigma = checkPositive('noise', noise);
  const x = s / sigma;
  const d = 4 * A - (x * x - 1 - A) ** 2;
  if (!(d > 0) || x <= 0) return 0;
  return Math.sqrt(d) / (Math.PI * A * x) / sigma;
}

export interface BulkQuadrature {
  /** Noise singular values at the nodes, largest first. */
  values: Float64Array;
  /** Their probability masses (sum 1). */
  masses: Float64Array;
}

/** Quadrature nodes and masses of the Marchenko-Pastur law (header), largest singular value first. */
export function bulkQuadrature(aspect: number, noise = 1, points = 400): BulkQuadrature {
  const A = checkAspect(aspect);
  const sigma = checkPositive('noise', noise);
  const n = checkInteger('points', points, 4, 1e6);
  const m = 1 + A;
  const h = 2 * Math.sqrt(A);
  const values = new Float64Array(n);
  const masses = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const theta = ((k + 0.5) * Math.PI) / n;
    const lambda = m + h * Math.cos(theta);
    values[k] = sigma * Math.sqrt(lambda);
    masses[k] = (h * h * Math.sin(theta) ** 2) / (2 * Math.PI * A * lambda);
    total += masses[k];
  }
  for (let k = 0; k < n; k++) masses[k] /= total;
  return { values, masses };
}

/** Masses of the top `fraction` of the bulk (the last node partly), the rest zero. */
function topMasses(q: BulkQuadrature, fraction: number): Float64Array {
  const out = new Float64Array(q.masses.length);
  let left = fraction;
  for (let k = 0; k < q.masses.length && left > 0; k++) {
    out[k] = Math.min(q.masses[k], left);
    left -= out[k];
  }
  return out;
}

export interface GeneralizationOptions {
  /** Teacher singular values s_bar (positive). */
  teacher: readonly number[];
  /** N1 inputs (= training examples) and N3 <= N1 outputs. */
  inputs: number;
  outputs: number;
  /** Student hidden width N2 (default outputs) and number of weight matrices D (default 2). */
  hidden?: number;
  depth?: number;
  /** Initial mode strength eps of the training-aligned initialisation (default 1e-5). */
  init?: number;
  /** Noise std sigma (default 1); 0 = noiseless data. */
  noise?: number;
  /** Times (units of tau = 1/lr steps). */
  times: readonly number[];
  /** Bulk quadrature nodes (default 400). */
  points?: number;
}

export interface GeneralizationCurves {
  times: number[];
  train: number[];
  test: number[];
  /** Per teacher mode: s_bar, its s_hat and overlap O. */
  modes: { sBar: number; sHat: number; overlap: number }[];
}

function checkTimes(times: readonly number[]): number[] {
  if (!Array.isArray(times) || times.length === 0) throw new ArgumentError('times', 'a non-empty array of times >= 0', times);
  return times.map((t, i) => checkNumber(`times[${i}]`, t, 0));
}

function checkTeacher(teacher: readonly number[], outputs: number): number[] {
  if (!Array.isArray(teacher) || teacher.length === 0) throw new ArgumentError('teacher', 'a non-empty array of positive singular values', teacher);
  if (teacher.length > outputs) throw new ArgumentError('teacher', `at most outputs = ${outputs} singular values`, `${teacher.length}`);
  return teacher.map((s, i) => checkPositive(`teacher[${i}]`, s)).sort((a, b) => b - a);
}

/** Train and test error against time from the random-matrix theory (header). */
export function generalizationTheory(options: GeneralizationOptions): GeneralizationCurves {
  if (!options || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const N1 = checkInteger('inputs', options.inputs, 1);
  const N3 = checkInteger('outputs', options.outputs, 1, N1);
  const sBar = checkTeacher(options.teacher, N3);
  const N2 = checkInteger('hidden', options.hidden ?? N3, 1);
  const D = checkInteger('depth', options.depth ?? 2, 1, 64);
  const eps = checkPositive('init', options.init ?? 1e-5);
  const sigma = checkNumber('noise', options.noise ?? 1, 0);
  const times = checkTimes(options.times);
  const points = checkInteger('points', options.points ?? 400, 4, 1e6);
  const A = N3 / N1;
  const r = sBar.length;
  const modes = sBar.map((s) => ({ sBar: s, sHat: spikedSingularValue(s, A, sigma), overlap: spikedOverlaps(s, A, sigma).product }));
  const grow = (s: number) => growth(s, eps, times, D);
  const test = new Float64Array(times.length);
  const train = new Float64Array(times.length);
  let testNorm = 0;
  let trainNorm = 0;
  modes.forEach((md, a) => {
    testNorm += md.sBar ** 2;
    trainNorm += md.sHat ** 2;
    const u = a < N2 ? grow(md.sHat) : times.map(() => 0);
    for (let i = 0; i < times.length; i++) {
      test[i] += (u[i] - md.sBar) ** 2 + 2 * u[i] * md.sBar * (1 - md.overlap);
      train[i] += (u[i] - md.sHat) ** 2;
    }
  });
  const bulkCount = N3 - r;
  if (sigma > 0 && bulkCount > 0) {
    const q = bulkQuadrature(A, sigma, points);
    const f = Math.min(1, Math.max(0, (N2 - r) / bulkCount));
    const top = topMasses(q, f);
    for (let k = 0; k < q.values.length; k++) {
      const s = q.values[k];
      trainNorm += bulkCount * q.masses[k] * s * s;
      const rest = q.masses[k] - top[k];
      if (rest > 0) for (let i = 0; i < times.length; i++) train[i] += bulkCount * rest * s * s;
      if (top[k] > 0) {
        const u = grow(s);
        for (let i = 0; i < times.length; i++) {
          test[i] += bulkCount * top[k] * u[i] * u[i];
          train[i] += bulkCount * top[k] * (u[i] - s) ** 2;
        }
      }
    }
  }
  return { times, train: Array.from(train, (v) => v / trainNorm), test: Array.from(test, (v) => v / testNorm), modes };
}

/** The smallest error of a curve and where it is reached (the optimal stopping time). */
export function optimalStopping(times: readonly number[], errors: readonly number[]): { index: number; time: number; error: number } {
  const ts = checkTimes(times);
  if (!Array.isArray(errors) || errors.length !== ts.length) throw new ArgumentError('errors', `an array of ${ts.length} errors (one per time)`, errors);
  let index = 0;
  errors.forEach((e, i) => {
    checkNumber(`errors[${i}]`, e);
    if (e < errors[index]) index = i;
  });
  return { index, time: ts[index], error: errors[index] };
}

// ------------------------------------------------------------------ Monte Carlo counterparts

export interface NoisyTeacherOptions {
  inputs: number;
  outputs: number;
  /** Teacher singular values s_bar. */
  teacher: readonly number[];
  noise?: number;
  seed?: number;
}

export interface NoisyTeacher {
  /** W_bar, outputs x inputs. */
  teacher: DenseMatrix;
  /** Sigma31 = W_bar + Z (one-hot inputs: the training targets, one column per example). */
  data: DenseMatrix;
  /** The teacher's modes u_a (outputs x r) and v_a (inputs x r), orthonormal columns. */
  outputModes: DenseMatrix;
  inputModes: DenseMatrix;
}

/** A teacher with random orthonormal modes and its noisy training data (header's setting). */
export function noisyTeacher(options: NoisyTeacherOptions): NoisyTeacher {
  if (!options || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const N1 = checkInteger('inputs', options.inputs, 1);
  const N3 = checkInteger('outputs', options.outputs, 1);
  const sBar = options.teacher;
  if (!Array.isArray(sBar) || sBar.length === 0 || sBar.length > Math.min(N1, N3)) throw new ArgumentError('teacher', `1 to ${Math.min(N1, N3)} singular values`, sBar);
  sBar.forEach((s, i) => checkNumber(`teacher[${i}]`, s, 0));
  const sigma = checkNumber('noise', options.noise ?? 1, 0);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0));
  const r = sBar.length;
  const U = randomOrthonormal(N3, r, rng.child(0));
  const V = randomOrthonormal(N1, r, rng.child(1));
  const US = dense(N3, r, U.data.map((v, k) => v * sBar[k % r]));
  const teacher = matmul(US, V, false, true);
  const z = rng.child(2).normalArray(N3 * N1, 0, sigma / Math.sqrt(N1), 'float64');
  return { teacher, data: dense(N3, N1, teacher.data.map((v, k) => v + z[k])), outputModes: U, inputModes: V };
}

export interface SpectralStudentOptions {
  /** Number of weight matrices (default 2), hidden width (default: all modes), initial strength (default 1e-5). */
  depth?: number;
  hidden?: number;
  init?: number;
}

/**
 * Train and test error against time of the gradient-flow student from
 * training-aligned initialisation on `data` (each of its top `hidden` modes
 * grows along u(t; s_hat)), against `teacher`, which may be the first rows of
 * the task only (a block of the outputs: task A of a joint training).
 * Train error is over all of `data`, normalised by ||data||^2.
 */
export function spectralStudentErrors(data: DenseMatrix, teacher: DenseMatrix, times: readonly number[], options: SpectralStudentOptions = {}): { train: number[]; test: number[] } {
  const X = checkDense('data', data);
  const T = checkDense('teacher', teacher, undefined, X.cols);
  if (T.rows > X.rows) throw new ArgumentError('teacher', `at most data.rows = ${X.rows} rows`, T.rows);
  const ts = checkTimes(times);
  const D = checkInteger('depth', options.depth ?? 2, 1, 64);
  const eps = checkPositive('init', options.init ?? 1e-5);
  const d = svd(toMlMatrix(X));
  const k = Math.min(checkInteger('hidden', options.hidden ?? d.s.length, 1), d.s.length);
  const U = fromMatrix(d.u);
  const V = fromMatrix(d.v);
  const R = T.rows;
  const TV = matmul(T, V); // R x modes
  const tNorm = frobeniusDistanceSquared(T);
  const xNorm = frobeniusDistanceSquared(X);
  const test = new Float64Array(ts.length).fill(tNorm);
  const train = new Float64Array(ts.length);
  for (let a = 0; a < d.s.length; a++) {
    const s = d.s[a];
    let pu2 = 0; // |P u_hat_a|^2 on the teacher's rows
    let cross = 0; // (P u_hat_a)^T T v_hat_a
    for (let i = 0; i < R; i++) {
      const ui = U.data[i * U.cols + a];
      pu2 += ui * ui;
      cross += ui * TV.data[i * TV.cols + a];
    }
    const u = a < k ? growth(s, eps, ts, D) : ts.map(() => 0);
    for (let i = 0; i < ts.length; i++) {
      test[i] += u[i] * u[i] * pu2 - 2 * u[i] * cross;
      train[i] += (u[i] - s) ** 2;
    }
  }
  return { train: Array.from(train, (v) => v / xNorm), test: Array.from(test, (v) => v / tNorm) };
}

// ------------------------------------------------------------------ optimal shrinkage

/** The optimal shrinkage of one singular value (header); 0 at or below the bulk edge. */
export function shrinkSingularValue(sHat: number, aspect: number, noise = 1): number {
  checkNumber('sHat', sHat, 0);
  const A = checkAspect(aspect);
  const sigma = checkNumber('noise', noise, 0);
  if (sigma === 0) return sHat;
  const y = sHat / sigma;
  if (!(y > 1 + Math.sqrt(A))) return 0;
  const b = y * y - 1 - A;
  const x = Math.sqrt((b + Math.sqrt(Math.max(0, b * b - 4 * A))) / 2);
  return sigma * x * spikedOverlaps(x, A, 1).product;
}

/**
 * The shrinkage estimate of the teacher from noisy data (outputs x inputs,
 * outputs <= inputs; noise entries of variance noise^2 / inputs): the data's
 * singular vectors with shrunken singular values (header).
 */
export function optimalShrinkage(data: DenseMatrix, noise = 1): DenseMatrix {
  const X = checkDense('data', data);
  if (X.rows > X.cols) throw new ArgumentError('data', 'outputs x inputs with outputs <= inputs (transpose it)', `${X.rows} x ${X.cols}`);
  const sigma = checkNumber('noise', noise, 0);
  const d = svd(toMlMatrix(X));
  const A = X.rows / X.cols;
  const U = fromMatrix(d.u);
  const k = d.s.length;
  const US = dense(U.rows, k, U.data.map((v, i) => v * shrinkSingularValue(d.s[i % k], A, sigma)));
  return matmul(US, fromMatrix(d.v), false, true);
}

/** The theory's test error of optimal shrinkage, sum s_bar^2 (1 - O^2) / sum s_bar^2. */
export function shrinkageError(teacher: readonly number[], aspect: number, noise = 1): number {
  const sBar = checkTeacher(teacher, Infinity);
  checkAspect(aspect);
  let num = 0;
  let den = 0;
  for (const s of sBar) {
    const O = spikedOverlaps(s, aspect, noise).product;
    num += s * s * (1 - O * O);
    den += s * s;
  }
  return num / den;
}

// ------------------------------------------------------------------ transfer between two tasks

export interface TransferOptions {
  /** Singular values of the rank-1 teachers of tasks A and B. */
  snrA: number;
  snrB: number;
  /** Input-mode overlap q = v_A . v_B in [-1, 1]. */
  alignment: number;
  inputs: number;
  outputsA: number;
  outputsB: number;
  noise?: number;
  depth?: number;
  init?: number;
  times: readonly number[];
  points?: number;
}

export interface TransferCurves {
  times: number[];
  /** Task A's test error trained alone and jointly with B (normalised by s_A^2). */
  alone: number[];
  joint: number[];
  /** Optimal-stopping error alone minus jointly: > 0 when B helps A. */
  benefit: number;
}

function checkTransfer(o: TransferOptions) {
  if (!o || typeof o !== 'object') throw new ArgumentError('options', 'an options object', o);
  const N1 = checkInteger('inputs', o.inputs, 1);
  const NA = checkInteger('outputsA', o.outputsA, 1);
  const NB = checkInteger('outputsB', o.outputsB, 1);
  if (NA + NB > N1) throw new ArgumentError('outputsB', `outputsA + outputsB at most inputs = ${N1} (aspect <= 1)`, NB);
  return {
    N1, NA, NB,
    sA: checkPositive('snrA', o.snrA),
    sB: checkNumber('snrB', o.snrB, 0),
    q: checkNumber('alignment', o.alignment, -1, 1),
    sigma: checkPositive('noise', o.noise ?? 1),
    D: checkInteger('depth', o.depth ?? 2, 1, 64),
    eps: checkPositive('init', o.init ?? 1e-5),
    times: checkTimes(o.times),
    points: checkInteger('points', o.points ?? 400, 4, 1e6),
  };
}

/** Task A's test error alone and trained jointly with B, from the theory (header). */
export function transferTheory(options: TransferOptions): TransferCurves {
  const { N1, NA, NB, sA, sB, q, sigma, D, eps, times, points } = checkTransfer(options);
  const alone = generalizationTheory({ teacher: [sA], inputs: N1, outputs: NA, depth: D, init: eps, noise: sigma, times, points }).test;
  const N3 = NA + NB;
  const A = N3 / N1;
  // The joint teacher in the bases (u_A, u_B) x (v_A, v_A-perp).
  const M = [[sA, 0], [sB * q, sB * Math.sqrt(Math.max(0, 1 - q * q))]];
  const d = svd(M);
  const joint = new Float64Array(times.length).fill(sA * sA);
  let rank = 0;
  for (let k = 0; k < 2; k++) {
    const s = d.s[k];
    if (!(s > 1e-12 * d.s[0])) continue;
    rank++;
    const a = d.u.get(0, k);
    const c = d.v.get(0, k);
    const o = spikedOverlaps(s, A, sigma);
    const pu2 = o.output ** 2 * a * a + (1 - o.output ** 2) * (NA / N3);
    const cross = o.output * o.input * a * sA * c;
    const sHat = spikedSingularValue(s, A, sigma);
    const u = growth(sHat, eps, times, D);
    for (let i = 0; i < times.length; i++) joint[i] += u[i] * u[i] * pu2 - 2 * u[i] * cross;
  }
  const bulk = bulkQuadrature(A, sigma, points);
  for (let k = 0; k < bulk.values.length; k++) {
    const u = growth(bulk.values[k], eps, times, D);
    for (let i = 0; i < times.length; i++) joint[i] += (N3 - rank) * (NA / N3) * bulk.masses[k] * u[i] * u[i];
  }
  const jointCurve = Array.from(joint, (v) => v / (sA * sA));
  return { times, alone, joint: jointCurve, benefit: optimalStopping(times, alone).error - optimalStopping(times, jointCurve).error };
}

export interface TransferTask {
  /** Task A's teacher (outputsA x inputs). */
  teacherA: DenseMatrix;
  /** Task A's noisy data alone (outputsA x inputs) and the joint data [A; B] ((outputsA + outputsB) x inputs). */
  dataA: DenseMatrix;
  joint: DenseMatrix;
}

/** A pair of rank-1 tasks with input overlap `alignment` and their noisy data (header's transfer setting). */
export function transferTask(options: Omit<TransferOptions, 'times' | 'depth' | 'init' | 'points'> & { seed?: number }): TransferTask {
  const { N1, NA, NB, sA, sB, q, sigma } = checkTransfer({ ...options, times: [0] });
  const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0));
  const V = randomOrthonormal(N1, 2, rng.child(0));
  const uA = randomOrthonormal(NA, 1, rng.child(1)).data;
  const uB = randomOrthonormal(NB, 1, rng.child(2)).data;
  const qq = Math.sqrt(Math.max(0, 1 - q * q));
  const joint = dense(NA + NB, N1);
  const teacherA = dense(NA, N1);
  const z = rng.child(3).normalArray((NA + NB) * N1, 0, sigma / Math.sqrt(N1), 'float64');
  for (let j = 0; j < N1; j++) {
    const vA = V.data[j * 2];
    const vB = q * vA + qq * V.data[j * 2 + 1];
    for (let i = 0; i < NA; i++) {
      teacherA.data[i * N1 + j] = sA * uA[i] * vA;
      joint.data[i * N1 + j] = teacherA.data[i * N1 + j] + z[i * N1 + j];
    }
    for (let i = 0; i < NB; i++) joint.data[(NA + i) * N1 + j] = sB * uB[i] * vB + z[(NA + i) * N1 + j];
  }
  const dataA = dense(NA, N1, joint.data.slice(0, NA * N1));
  return { teacherA, dataA, joint };
}
