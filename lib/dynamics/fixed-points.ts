/**
 * `FixedPoints`: the result of a fixed-point search, one entry per point,
 * stored as flat float64 arrays (row-major). Unique, index, concatenate,
 * save/restore and a printed summary.
 *
 * Stability (discrete time), with eigenvalues lambda of dF/dh at the point and
 * the tolerance tol = `marginalTolerance` (default 1e-5):
 *   unstable mode   |lambda| > 1 + tol
 *   marginal mode   | |lambda| - 1 | <= tol
 *   point class     'unstable' if it has an unstable mode, else 'marginal' if it has a
 *                   marginal mode, else 'stable' (every |lambda| < 1 - tol)
 * Why a tolerance: on a line or ring attractor an eigenvalue is exactly 1 and
 * rounding alone would call the point stable or unstable. 1e-5 sits above the
 * eigenvalue error of a point located to float32 precision (q ~ 1e-12 puts x*
 * within ~1e-6 of the true point, and |lambda| moves by about as much) and
 * corresponds to a time constant 1 / |ln |lambda|| of 1e5 steps, far beyond
 * any trial: a slower mode is a memory for every practical purpose.
 */
import { ArgumentError, checkInteger, checkNumber, readJsonFile, writeJsonFile } from '../core';

/** Eigendecomposition of one Jacobian: eigenvalues sorted by |lambda| (descending); vectors row-major [S x S], column j belongs to eigenvalue j. */
export interface PointEigen {
  re: Float64Array;
  im: Float64Array;
  rightRe: Float64Array;
  rightIm: Float64Array;
  /** Left eigenvectors normalised so that l_j^H r_k = delta_jk; null if the Jacobian is defective. */
  leftRe: Float64Array | null;
  leftIm: Float64Array | null;
}

export interface FixedPointsData {
  stateSize: number;
  inputSize: number;
  /** Fixed points [n x stateSize]. */
  xstar: Float64Array;
  /** Where each point's optimisation started [n x stateSize]. */
  xInit: Float64Array;
  /** Input held at each point [n x inputSize]. */
  inputs: Float64Array;
  /** F(x*) [n x stateSize]. */
  Fxstar: Float64Array;
  /** q(x*) = 1/2 ||F(x*) - x*||^2 (float64 evaluation when the system has a float64 reference). */
  qstar: Float64Array;
  /** |q change| at the last optimiser step (Infinity for a point that met the stopping rule before its first step). */
  dq: Float64Array;
  /** Iterations each point needed to meet the stopping rule (max iterations if it never did). */
  nIters: Int32Array;
  /** dF/dh at each point, [stateSize x stateSize] row-major, or null when not computed. */
  jacobians: Float64Array[] | null;
  /** dF/du at each point, [stateSize x inputSize] row-major, or null. */
  inputJacobians: Float64Array[] | null;
  eigen: PointEigen[] | null;
  /** | |lambda| - 1 | at or below this is a marginal mode (default MARGINAL_TOLERANCE, 1e-5); see the header. */
  marginalTolerance?: number;
}

/** Default tolerance on | |lambda| - 1 | for a marginal mode (see the header for why 1e-5). */
export const MARGINAL_TOLERANCE = 1e-5;

/** A point's stability class (see the header). */
export type StabilityClass = 'stable' | 'marginal' | 'unstable';

function take(src: Float64Array, width: number, idx: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length * width);
  idx.forEach((i, k) => out.set(src.subarray(i * width, (i + 1) * width), k * width));
  return out;
}

export class FixedPoints implements FixedPointsData {
  readonly stateSize: number;
  readonly inputSize: number;
  readonly xstar: Float64Array;
  readonly xInit: Float64Array;
  readonly inputs: Float64Array;
  readonly Fxstar: Float64Array;
  readonly qstar: Float64Array;
  readonly dq: Float64Array;
  readonly nIters: Int32Array;
  readonly jacobians: Float64Array[] | null;
  readonly inputJacobians: Float64Array[] | null;
  readonly eigen: PointEigen[] | null;
  readonly marginalTolerance: number;

  constructor(d: FixedPointsData) {
    const n = d.qstar.length;
    const S = d.stateSize;
    const I = d.inputSize;
    const check = (name: string, a: ArrayLike<number>, len: number) => {
      if (a.length !== len) throw new ArgumentError(name, `${len} values`, a);
    };
    check('xstar', d.xstar, n * S);
    check('xInit', d.xInit, n * S);
    check('inputs', d.inputs, n * I);
    check('Fxstar', d.Fxstar, n * S);
    check('dq', d.dq, n);
    check('nIters', d.nIters, n);
    if (d.jacobians && d.jacobians.length !== n) throw new ArgumentError('jacobians', `${n} matrices`, d.jacobians);
    if (d.eigen && d.eigen.length !== n) throw new ArgumentError('eigen', `${n} decompositions`, d.eigen);
    this.stateSize = S;
    this.inputSize = I;
    this.xstar = d.xstar;
    this.xInit = d.xInit;
    this.inputs = d.inputs;
    this.Fxstar = d.Fxstar;
    this.qstar = d.qstar;
    this.dq = d.dq;
    this.nIters = d.nIters;
    this.jacobians = d.jacobians;
    this.inputJacobians = d.inputJacobians;
    this.eigen = d.eigen;
    this.marginalTolerance = checkNumber('marginalTolerance', d.marginalTolerance ?? MARGINAL_TOLERANCE, 0, 1);
  }

  static empty(stateSize: number, inputSize: number): FixedPoints {
    return new FixedPoints({
      stateSize, inputSize, xstar: new Float64Array(0), xInit: new Float64Array(0), inputs: new Float64Array(0),
      Fxstar: new Float64Array(0), qstar: new Float64Array(0), dq: new Float64Array(0), nIters: new Int32Array(0),
      jacobians: null, inputJacobians: null, eigen: null,
    });
  }

  /** Number of points. */
  get length(): number {
    return this.qstar.length;
  }

  /** Point i as a Float64Array view [stateSize]. */
  point(i: number): Float64Array {
    checkInteger('i', i, 0, this.length - 1);
    return this.xstar.subarray(i * this.stateSize, (i + 1) * this.stateSize);
  }

  /** Input held at point i. */
  input(i: number): Float64Array {
    checkInteger('i', i, 0, this.length - 1);
    return this.inputs.subarray(i * this.inputSize, (i + 1) * this.inputSize);
  }

  /** Magnitudes |lambda| of point i's eigenvalues, descending. */
  eigenvalueMagnitudes(i: number): Float64Array {
    const e = this.requireEigen('eigenvalueMagnitudes')[i];
    return Float64Array.from(e.re, (r, j) => Math.hypot(r, e.im[j]));
  }

  /** Number of unstable modes (|lambda| > 1 + marginalTolerance, discrete time) per point. */
  get numUnstable(): Int32Array {
    const tol = this.marginalTolerance;
    return Int32Array.from(this.requireEigen('numUnstable'), (e) => e.re.reduce((c, r, j) => c + (Math.hypot(r, e.im[j]) > 1 + tol ? 1 : 0), 0));
  }

  /** Number of marginal modes (| |lambda| - 1 | <= marginalTolerance) per point. */
  get numMarginal(): Int32Array {
    const tol = this.marginalTolerance;
    return Int32Array.from(this.requireEigen('numMarginal'), (e) => e.re.reduce((c, r, j) => c + (Math.abs(Math.hypot(r, e.im[j]) - 1) <= tol ? 1 : 0), 0));
  }

  /** Each point's class: 'unstable' (an unstable mode), else 'marginal' (a marginal mode), else 'stable'. */
  get stabilityClass(): StabilityClass[] {
    const unstable = this.numUnstable;
    const marginal = this.numMarginal;
    return Array.from(unstable, (u, i) => (u > 0 ? 'unstable' : marginal[i] > 0 ? 'marginal' : 'stable'));
  }

  /** Number of points in each class. */
  get stabilityCounts(): Record<StabilityClass, number> {
    const counts = { stable: 0, marginal: 0, unstable: 0 };
    for (const c of this.stabilityClass) counts[c]++;
    return counts;
  }

  /** Stable iff every |lambda| < 1 - marginalTolerance (discrete time): class 'stable'. */
  get isStable(): boolean[] {
    return this.stabilityClass.map((c) => c === 'stable');
  }

  /** The same points with another marginal tolerance (arrays shared, not copied). */
  withMarginalTolerance(tol: number): FixedPoints {
    return new FixedPoints({ ...this.data(), marginalTolerance: checkNumber('tol', tol, 0, 1) });
  }

  private data(): FixedPointsData {
    const { stateSize, inputSize, xstar, xInit, inputs, Fxstar, qstar, dq, nIters, jacobians, inputJacobians, eigen, marginalTolerance } = this;
    return { stateSize, inputSize, xstar, xInit, inputs, Fxstar, qstar, dq, nIters, jacobians, inputJacobians, eigen, marginalTolerance };
  }

  private requireEigen(what: string): PointEigen[] {
    if (this.length === 0) {
      throw new Error(`FixedPoints.${what}: the result holds no points, so there is no stability to report (the search accepted none: see its notConverged points and their q, and the finder's acceptQ, maxIters and newtonSteps)`);
    }
    if (!this.eigen) throw new Error(`FixedPoints.${what}: no eigendecompositions (the search ran with computeJacobians: false)`);
    return this.eigen;
  }

  /** The points at `indices` (in that order). */
  index(indices: readonly number[] | Int32Array): FixedPoints {
    const idx = Array.from(indices);
    idx.forEach((i, k) => checkInteger(`indices[${k}]`, i, 0, this.length - 1));
    const S = this.stateSize;
    return new FixedPoints({
      stateSize: S,
      inputSize: this.inputSize,
      xstar: take(this.xstar, S, idx),
      xInit: take(this.xInit, S, idx),
      inputs: take(this.inputs, this.inputSize, idx),
      Fxstar: take(this.Fxstar, S, idx),
      qstar: Float64Array.from(idx, (i) => this.qstar[i]),
      dq: Float64Array.from(idx, (i) => this.dq[i]),
      nIters: Int32Array.from(idx, (i) => this.nIters[i]),
      jacobians: this.jacobians ? idx.map((i) => this.jacobians![i]) : null,
      inputJacobians: this.inputJacobians ? idx.map((i) => this.inputJacobians![i]) : null,
      eigen: this.eigen ? idx.map((i) => this.eigen![i]) : null,
      marginalTolerance: this.marginalTolerance,
    });
  }

  /**
   * Indices of the unique points: two points are the same when the L2 norm of
   * the difference of [x*, u] is <= tol; of each group the one with the
   * smallest q is kept. Greedy in order of increasing q.
   */
  uniqueIndices(tol = 1e-3): number[] {
    checkNumber('tol', tol, 0);
    const S = this.stateSize;
    const I = this.inputSize;
    const order = Array.from({ length: this.length }, (_, i) => i).sort((a, b) => this.qstar[a] - this.qstar[b]);
    const kept: number[] = [];
    const tol2 = tol * tol;
    for (const i of order) {
      let dup = false;
      for (const k of kept) {
        let d = 0;
        for (let j = 0; j < S && d <= tol2; j++) d += (this.xstar[i * S + j] - this.xstar[k * S + j]) ** 2;
        for (let j = 0; j < I && d <= tol2; j++) d += (this.inputs[i * I + j] - this.inputs[k * I + j]) ** 2;
        if (d <= tol2) {
          dup = true;
          break;
        }
      }
      if (!dup) kept.push(i);
    }
    return kept.sort((a, b) => a - b);
  }

  unique(tol = 1e-3): FixedPoints {
    return this.index(this.uniqueIndices(tol));
  }

  /** Joins several results (same state and input sizes). */
  static concatenate(list: readonly FixedPoints[]): FixedPoints {
    if (!Array.isArray(list) || list.length === 0) throw new ArgumentError('list', 'a non-empty array of FixedPoints', list);
    const S = list[0].stateSize;
    const I = list[0].inputSize;
    list.forEach((f, k) => {
      if (!(f instanceof FixedPoints)) throw new ArgumentError(`list[${k}]`, 'a FixedPoints', f);
      if (f.stateSize !== S || f.inputSize !== I) throw new ArgumentError(`list[${k}]`, `state size ${S} and input size ${I}`, `${f.stateSize} and ${f.inputSize}`);
    });
    const cat = (get: (f: FixedPoints) => Float64Array) => {
      const parts = list.map(get);
      const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    const all = <T>(get: (f: FixedPoints) => T[] | null): T[] | null => (list.every((f) => get(f)) ? list.flatMap((f) => get(f)!) : null);
    return new FixedPoints({
      stateSize: S,
      inputSize: I,
      xstar: cat((f) => f.xstar),
      xInit: cat((f) => f.xInit),
      inputs: cat((f) => f.inputs),
      Fxstar: cat((f) => f.Fxstar),
      qstar: cat((f) => f.qstar),
      dq: cat((f) => f.dq),
      nIters: Int32Array.from(list.flatMap((f) => Array.from(f.nIters))),
      jacobians: all((f) => f.jacobians),
      inputJacobians: all((f) => f.inputJacobians),
      eigen: all((f) => f.eigen),
      marginalTolerance: list[0].marginalTolerance,
    });
  }

  toJSON(): object {
    const arr = (a: ArrayLike<number> | null) => (a ? Array.from(a) : null);
    return {
      format: 'FixedPoints/1',
      stateSize: this.stateSize,
      inputSize: this.inputSize,
      marginalTolerance: this.marginalTolerance,
      xstar: arr(this.xstar),
      xInit: arr(this.xInit),
      inputs: arr(this.inputs),
      Fxstar: arr(this.Fxstar),
      qstar: arr(this.qstar),
      dq: arr(this.dq),
      nIters: arr(this.nIters),
      jacobians: this.jacobians ? this.jacobians.map(arr) : null,
      inputJacobians: this.inputJacobians ? this.inputJacobians.map(arr) : null,
      eigen: this.eigen
        ? this.eigen.map((e) => ({ re: arr(e.re), im: arr(e.im), rightRe: arr(e.rightRe), rightIm: arr(e.rightIm), leftRe: arr(e.leftRe), leftIm: arr(e.leftIm) }))
        : null,
    };
  }

  static fromJSON(j: any): FixedPoints {
    if (!j || j.format !== 'FixedPoints/1') throw new ArgumentError('json', 'an object written by FixedPoints.toJSON() (format "FixedPoints/1")', j);
    const f = (a: number[] | null) => (a ? Float64Array.from(a) : null);
    return new FixedPoints({
      stateSize: j.stateSize,
      inputSize: j.inputSize,
      xstar: f(j.xstar)!,
      xInit: f(j.xInit)!,
      inputs: f(j.inputs)!,
      Fxstar: f(j.Fxstar)!,
      qstar: f(j.qstar)!,
      dq: f(j.dq)!,
      nIters: Int32Array.from(j.nIters),
      jacobians: j.jacobians ? j.jacobians.map((a: number[]) => f(a)!) : null,
      inputJacobians: j.inputJacobians ? j.inputJacobians.map((a: number[]) => f(a)!) : null,
      eigen: j.eigen
        ? j.eigen.map((e: any) => ({ re: f(e.re)!, im: f(e.im)!, rightRe: f(e.rightRe)!, rightIm: f(e.rightIm)!, leftRe: f(e.leftRe), leftIm: f(e.leftIm) }))
        : null,
      marginalTolerance: j.marginalTolerance ?? MARGINAL_TOLERANCE,
    });
  }

  /** Writes the points as JSON (float64 values survive exactly: JSON numbers round-trip doubles). */
  save(file: string): void {
    writeJsonFile(file, this.toJSON());
  }

  static restore(file: string): FixedPoints {
    return FixedPoints.fromJSON(readJsonFile(file, 'an existing file written by FixedPoints.save()'));
  }

  /** A printed summary: count, q range, stability and unstable-mode counts. */
  summary(): string {
    const n = this.length;
    if (n === 0) return 'FixedPoints: 0 points';
    const q = Array.from(this.qstar).sort((a, b) => a - b);
    const lines = [
      `FixedPoints: ${n} point${n === 1 ? '' : 's'} in ${this.stateSize}-D state space (input size ${this.inputSize})`,
      `  q: min ${q[0].toExponential(2)}, median ${q[Math.floor(n / 2)].toExponential(2)}, max ${q[n - 1].toExponential(2)}`,
      `  iterations: median ${Array.from(this.nIters).sort((a, b) => a - b)[Math.floor(n / 2)]}`,
    ];
    if (this.eigen) {
      const counts = new Map<number, number>();
      for (const k of this.numUnstable) counts.set(k, (counts.get(k) ?? 0) + 1);
      const keys = [...counts.keys()].sort((a, b) => a - b);
      const c = this.stabilityCounts;
      lines.push(`  stable: ${c.stable}, marginal: ${c.marginal}, unstable: ${c.unstable} (marginal: | |lambda| - 1 | <= ${this.marginalTolerance})`);
      lines.push(`  by number of unstable modes: ${keys.map((k) => `${k}: ${counts.get(k)}`).join(', ')}`);
      const top = this.eigen.map((e) => Math.hypot(e.re[0], e.im[0])).sort((a, b) => b - a);
      lines.push(`  max |lambda|: largest ${top[0].toFixed(4)}, smallest ${top[n - 1].toFixed(4)}`);
    }
    return lines.join('\n');
  }

  toString(): string {
    return this.summary();
  }
}
