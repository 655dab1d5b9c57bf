/**
 * Spectral estimators on any symmetric linear operator: Lanczos (with full
 * reorthogonalisation, float64 recurrence), top/bottom eigenpairs with
 * residual norms, deflated power iteration, stochastic Lanczos quadrature
 * (SLQ) spectral density, and Hutchinson estimates of Tr(A) and Tr(A^2).
 *
 * The operator is anything with `dim` and `apply(v)`: a Hessian or
 * Gauss-Newton product of a network (products.ts), a dense matrix, or a
 * user's own function. All recurrences and bases are float64 because
 * Lanczos in float32 loses orthogonality and shows ghost copies of
 * converged eigenvalues (Paige 1976; loss-landscape.md).
 */
import {
  ArgumentError, Budget, InterruptedError, Progress, ProgressOutput, Rng, checkFinite, checkInteger, checkNumber, checkPositive, convergenceReport, describe, gemm, notConvergedMessage, symEig,
  throwIfInterrupted, type ConvergenceReport,
} from '../core';

/** A symmetric linear map on R^dim. `apply` must not modify its argument. */
export interface LinearOperator {
  readonly dim: number;
  apply(v: Float64Array): Float64Array | Float32Array;
  /** Optional label used in error messages. */
  readonly name?: string;
}

/** Checks the operator's shape once. */
export function checkOperator(name: string, op: unknown): LinearOperator {
  const o = op as LinearOperator;
  if (o == null || typeof o.apply !== 'function' || typeof o.dim !== 'number') {
    throw new ArgumentError(name, 'a LinearOperator { dim: number, apply(v) }', describe(op));
  }
  checkInteger(`${name}.dim`, o.dim, 1);
  return o;
}

/**
 * Applies `op` to `v` and checks the result: length `dim`, finite entries.
 * Returns a fresh Float64Array.
 */
export function applyChecked(op: LinearOperator, v: Float64Array): Float64Array {
  const label = op.name ?? 'operator';
  if (v.length !== op.dim) throw new ArgumentError('v', `a vector of length ${op.dim} (the dimension of ${label})`, describe(v));
  checkFinite('v', v);
  const out = op.apply(v);
  if (out == null || (!(out instanceof Float64Array) && !(out instanceof Float32Array))) {
    throw new ArgumentError(`${label}.apply(v)`, 'a Float64Array or Float32Array', describe(out));
  }
  if (out.length !== op.dim) throw new ArgumentError(`${label}.apply(v)`, `a vector of length ${op.dim}`, describe(out));
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new ArgumentError(`${label}.apply(v)`, 'finite values (the operator returned a non-finite entry)', `${out[i]} at index ${i}`);
    }
  }
  // Always a copy: callers update the result in place and an operator may reuse its output buffer.
  return Float64Array.from(out);
}

// ---------------------------------------------------------------- helpers

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ArgumentError('b', `a vector of length ${a.length} (as long as a)`, describe(b));
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  // Checked on the sum, so that Krylov loops pay nothing: only a non-finite sum looks for its cause.
  if (!Number.isFinite(s)) {
    checkFinite('a', a);
    checkFinite('b', b);
    throw new ArgumentError('a', 'vectors whose dot product is finite in float64', `a sum of ${s}`);
  }
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** y += alpha * x, in place. */
function axpy(alpha: number, x: ArrayLike<number>, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

function scaleInPlace(x: Float64Array, s: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= s;
}

/** Rademacher (+-1) vector, the lowest-variance start for trace estimates. */
export function rademacher(dim: number, rng: Rng): Float64Array {
  checkInteger('dim', dim, 0);
  const v = new Float64Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rng.uniform() < 0.5 ? -1 : 1;
  return v;
}

/** Removes the components of `v` along the orthonormal `basis`, twice (Gram-Schmidt twice is enough; Giraud et al. 2005). */
function orthogonalise(v: Float64Array, basis: readonly Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) axpy(-dot(q, v), q, v);
  }
}

/**
 * The same against the first `count` rows of a packed row-major basis
 * (count x n): two matrix-vector products per pass through gemm, which the
 * native BLAS serves when loaded (this is most of a Lanczos step's own cost).
 */
function orthogonalisePacked(v: Float64Array, packed: Float64Array, count: number, n: number, scratch: Float64Array): void {
  if (count === 0) return;
  const c = scratch.subarray(0, count);
  for (let pass = 0; pass < 2; pass++) {
    gemm(count, 1, n, packed, v, c);
    gemm(n, 1, count, packed, c, v, { transA: true, alpha: -1, beta: 1, lda: n });
  }
}

function makeProgress(output: ProgressOutput | undefined, total: number, label: string): Progress {
  return new Progress({ total, label, output: output ?? 'auto' });
}

// ---------------------------------------------------------------- Lanczos

export interface LanczosOptions {
  /** Number of Lanczos steps m (the size of the tridiagonal); at most dim. Default min(dim, 80). */
  steps?: number;
  /** Full reorthogonalisation against every earlier basis vector (Gram-Schmidt twice). Default true. */
  reorthogonalize?: boolean;
  /** Seed of the random start vector (Rademacher). Default 0. */
  seed?: number;
  /** Start vector instead of a random one (normalised internally). */
  start?: Float64Array;
  /** What to do when beta falls to ~0 (an invariant subspace was found): 'restart' with a new vector orthogonal to the basis (default, for eigenpairs), or 'stop' (for quadrature). */
  onBreakdown?: 'restart' | 'stop';
  /** Breakdown threshold relative to the largest |alpha|, |beta| seen. Default 1e-10. */
  breakdownTolerance?: number;
  /** Keep the basis vectors (needed for Ritz vectors). Default true. */
  keepBasis?: boolean;
  /** Wall-time bound in ms; the run stops early (fewer steps) when reached. */
  timeLimitMs?: number;
  progress?: ProgressOutput;
}

export interface LanczosResult {
  /** Diagonal of the tridiagonal T (length steps). */
  alpha: Float64Array;
  /** Off-diagonal of T (length steps - 1); 0 where a restart decoupled T. */
  beta: Float64Array;
  /** Orthonormal Lanczos vectors q_1..q_m (empty when keepBasis is false). */
  basis: Float64Array[];
  /** Steps actually done. */
  steps: number;
  /** Operator products used. */
  products: number;
  /** Number of restarts after breakdown. */
  restarts: number;
  /** Why the run ended before `steps` requested, or null. */
  stoppedEarly: 'breakdown' | 'time' | null;
  /** ||r_m||, the norm of the next (unnormalised) Lanczos vector: the Ritz residuals are nextBeta |e_m^T s_i|. */
  nextBeta: number;
  /** Steps run; residual ||r_m|| / max(|alpha|, beta); converged when the Krylov space is invariant (breakdown or m = dim). */
  convergence: ConvergenceReport;
}

/**
 * The Lanczos recurrence as a process that can be extended: `extendTo(m)`
 * runs steps until the basis has m vectors, and a later call continues the
 * same recurrence (the Krylov space grows; nothing is recomputed). After
 * each step the norm of the next residual vector, `nextBeta`, is known, so
 * the Ritz residuals ||A y - theta y|| = nextBeta |e_m^T s| are free
 * (Parlett, The Symmetric Eigenvalue Problem, sec. 13.2).
 */
class LanczosProcess {
  readonly n: number;
  readonly alpha: number[] = [];
  readonly beta: number[] = [];
  /** Views into `packed`, one per step (kept whenever needBasis). */
  basis: Float64Array[] = [];
  products = 0;
  restarts = 0;
  stoppedEarly: 'breakdown' | 'time' | null = null;
  /** ||r_m||, the norm of the residual vector after the last step (0 after a breakdown). */
  nextBeta = 0;
  private packed: Float64Array;
  private scratch: Float64Array;
  private q: Float64Array | null;
  private prev: Float64Array | null = null;
  private prevBeta = 0;
  private scale = 0;
  private pendingRestart = false;
  private readonly needBasis: boolean;

  constructor(
    private readonly op: LinearOperator,
    start: Float64Array,
    private readonly rng: Rng,
    private readonly reorth: boolean,
    private readonly onBreakdown: 'restart' | 'stop',
    private readonly tol: number,
    keepBasis: boolean,
    capacity: number,
    private readonly budget: Budget,
  ) {
    this.n = op.dim;
    // Full reorthogonalisation and restarts need every vector; the plain recurrence needs only the last two.
    this.needBasis = keepBasis || reorth || onBreakdown === 'restart';
    // The basis lives in one packed m x n array so that reorthogonalisation is two gemv calls.
    this.packed = this.needBasis ? new Float64Array(capacity * this.n) : new Float64Array(0);
    this.scratch = new Float64Array(this.needBasis ? capacity : 0);
    this.q = start;
  }

  get steps(): number {
    return this.alpha.length;
  }

  /** False once the process cannot continue (a breakdown with 'stop', or no fresh vector, or the time limit). */
  get canContinue(): boolean {
    return this.stoppedEarly === null && this.steps < this.n;
  }

  /** The tridiagonal's entries as arrays (beta of length steps - 1). */
  tridiagonal(): { alpha: Float64Array; beta: Float64Array } {
    return { alpha: Float64Array.from(this.alpha), beta: Float64Array.from(this.beta.slice(0, Math.max(0, this.steps - 1))) };
  }

  private grow(capacity: number): void {
    if (!this.needBasis || capacity * this.n <= this.packed.length) return;
    const packed = new Float64Array(capacity * this.n);
    packed.set(this.packed);
    this.packed = packed;
    this.scratch = new Float64Array(capacity);
    const hadPrev = this.prev !== null;
    this.basis = this.basis.map((_, j) => packed.subarray(j * this.n, (j + 1) * this.n));
    if (hadPrev) this.prev = this.basis[this.basis.length - 1];
  }

  /** Runs steps until there are `m` (or the process stops); `label` and `partial` serve the interrupt. */
  extendTo(m: number, progress: Progress, interruptLabel: string, partial: () => unknown): void {
    const n = this.n;
    this.grow(m);
    while (this.steps < m && this.canContinue) {
      const j = this.steps;
      // An interrupt (lib/core) stops before the next product; the partial run is a valid shorter Lanczos run.
      throwIfInterrupted(interruptLabel, () => `after ${j} of ${m} steps (${this.products} products)`, partial);
      if (j > 0) {
        if (this.budget.exhausted(0) === 'time') {
          this.stoppedEarly = 'time';
          break;
        }
        if (this.pendingRestart && this.onBreakdown === 'stop') {
          this.stoppedEarly = 'breakdown';
          break;
        }
        if (this.pendingRestart) {
          // Invariant subspace found: continue in its orthogonal complement; T decouples (beta = 0).
          this.restarts++;
          let fresh: Float64Array | null = null;
          for (let attempt = 0; attempt < 5 && !fresh; attempt++) {
            const r = rademacher(n, this.rng);
            orthogonalisePacked(r, this.packed, this.basis.length, n, this.scratch);
            const rn = norm(r);
            if (rn > 1e-8 * Math.sqrt(n)) fresh = (scaleInPlace(r, 1 / rn), r);
          }
          if (!fresh) {
            this.stoppedEarly = 'breakdown';
            break;
          }
          this.pendingRestart = false;
          this.beta.push(0);
          this.prev = null;
          this.prevBeta = 0;
          this.q = fresh;
        } else this.beta.push(this.prevBeta);
      }
      let q = this.q as Float64Array;
      if (this.needBasis) {
        const slot = this.packed.subarray(j * n, (j + 1) * n);
        slot.set(q);
        q = slot;
        this.basis.push(q);
      }
      const w = applyChecked(this.op, q);
      this.products++;
      const a = dot(q, w);
      this.alpha.push(a);
      this.scale = Math.max(this.scale, Math.abs(a), this.prevBeta);
      axpy(-a, q, w);
      if (this.prev) axpy(-this.prevBeta, this.prev, w);
      if (this.reorth) orthogonalisePacked(w, this.packed, this.basis.length, n, this.scratch);
      progress.update(j + 1);
      const b = norm(w);
      if (b <= this.tol * Math.max(this.scale, 1e-300)) {
        // Only a further step needs a way out: 'stop' ends there, 'restart' takes a fresh vector.
        this.nextBeta = 0;
        this.pendingRestart = true;
        this.q = null;
      } else {
        this.nextBeta = b;
        scaleInPlace(w, 1 / b);
        this.prev = q;
        this.prevBeta = b;
        this.q = w;
      }
    }
  }
}

interface LanczosSetup {
  process: LanczosProcess;
  steps: number;
  keepBasis: boolean;
  breakdownTolerance: number;
}

/** Checks the options shared by `lanczos` and `eigenpairs` and starts a process with room for `capacity` vectors. */
function startLanczos(op: LinearOperator, options: LanczosOptions, defaultSteps: number, minSteps: number, capacityFor: (steps: number) => number): LanczosSetup {
  checkOperator('op', op);
  const n = op.dim;
  const m = checkInteger('steps', options.steps ?? defaultSteps, minSteps, n);
  const reorth = options.reorthogonalize ?? true;
  const rng = new Rng(checkInteger('seed', options.seed ?? 0));
  const onBreakdown = options.onBreakdown ?? 'restart';
  if (onBreakdown !== 'restart' && onBreakdown !== 'stop') throw new ArgumentError('onBreakdown', '"restart" or "stop"', onBreakdown);
  const tol = checkNumber('breakdownTolerance', options.breakdownTolerance ?? 1e-10, 0);
  const keepBasis = options.keepBasis ?? true;
  const budget = new Budget(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs });
  let q: Float64Array;
  if (options.start) {
    if (options.start.length !== n) throw new ArgumentError('start', `a vector of length ${n}`, describe(options.start));
    checkFinite('start', options.start);
    q = Float64Array.from(options.start);
  } else q = rademacher(n, rng);
  const q0norm = norm(q);
  if (!(q0norm > 0) || !Number.isFinite(q0norm)) throw new ArgumentError('start', 'a finite non-zero vector', `norm ${q0norm}`);
  scaleInPlace(q, 1 / q0norm);
  const process = new LanczosProcess(op, q, rng, reorth, onBreakdown, tol, keepBasis, capacityFor(m), budget);
  return { process, steps: m, keepBasis, breakdownTolerance: tol };
}

function lanczosResult(p: LanczosProcess, keepBasis: boolean, breakdownTolerance: number): LanczosResult {
  const { alpha, beta } = p.tridiagonal();
  let scale = 0;
  for (const a of alpha) scale = Math.max(scale, Math.abs(a));
  for (const b of beta) scale = Math.max(scale, b);
  // Converged means the Krylov space is invariant (breakdown, or the whole space): then T's eigenvalues are A's.
  const invariant = p.nextBeta <= breakdownTolerance * Math.max(scale, 1e-300) || p.steps === p.n;
  return {
    alpha, beta, basis: keepBasis ? p.basis.slice(0, p.steps) : [], steps: p.steps, products: p.products, restarts: p.restarts, stoppedEarly: p.stoppedEarly,
    nextBeta: p.nextBeta,
    convergence: convergenceReport(p.steps, scale > 0 ? p.nextBeta / scale : p.nextBeta, breakdownTolerance, '||r_m|| / max(|alpha|, beta), the residual of the Krylov space (0: invariant, Ritz values exact)', invariant),
  };
}

/**
 * m-step Lanczos tridiagonalisation Q^T A Q = T. With full
 * reorthogonalisation the Ritz values are free of ghost copies; without it
 * (the textbook three-term recurrence) converged eigenvalues reappear.
 * Its convergence report says whether the Krylov space became invariant
 * (then T's eigenvalues are A's); `eigenpairs` judges individual pairs.
 */
export function lanczos(op: LinearOperator, options: LanczosOptions = {}): LanczosResult {
  const { process: p, steps: m, keepBasis, breakdownTolerance } = startLanczos(op, options, Math.min(op?.dim, 80), 1, (s) => s);
  const progress = makeProgress(options.progress, m, 'lanczos');
  p.extendTo(m, progress, 'lanczos', () => {
    const { alpha, beta } = p.tridiagonal();
    return { alpha, beta, basis: keepBasis ? p.basis.slice(0, p.steps) : [], steps: p.steps, products: p.products, restarts: p.restarts, stoppedEarly: null };
  });
  progress.finish();
  return lanczosResult(p, keepBasis, breakdownTolerance);
}

/** Eigendecomposition of the symmetric tridiagonal T (values descending, vectors as columns). */
export function tridiagonalEig(alpha: Float64Array, beta: Float64Array): { values: Float64Array; vectors: number[][] } {
  const m = alpha.length;
  if (beta.length !== Math.max(0, m - 1)) throw new ArgumentError('beta', `length ${Math.max(0, m - 1)} (alpha.length - 1)`, describe(beta));
  checkFinite('alpha', alpha);
  checkFinite('beta', beta);
  const t: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    t[i][i] = alpha[i];
    if (i + 1 < m) t[i][i + 1] = t[i + 1][i] = beta[i];
  }
  const e = symEig(t);
  return { values: e.values, vectors: e.vectors.to2DArray() };
}

// ---------------------------------------------------------------- eigenpairs

export interface EigenpairOptions extends Omit<LanczosOptions, 'keepBasis' | 'onBreakdown'> {
  /** 'largest' (algebraically, default) or 'smallest'. */
  which?: 'largest' | 'smallest';
  /** Compute residual norms ||A v - lambda v|| with k extra products (default true). */
  residuals?: boolean;
  /** Lanczos steps of the first pass, before the first convergence test. Default min(dim, max(2k + 20, 3k)). */
  steps?: number;
  /**
   * The step limit: the run continues the same Lanczos recurrence past `steps` until the k pairs meet
   * `tolerance` or this many steps were run. Default min(dim, max(4 steps, steps + 60)); set it to `steps`
   * for a fixed-size run.
   */
  maxSteps?: number;
  /** Residual tolerance: every requested pair needs ||A y - theta y|| <= tolerance max_i |theta_i|. Default 1e-3. */
  tolerance?: number;
  /** One console warning when the run stops unconverged (default true). */
  warn?: boolean;
}

export interface Eigenpairs {
  /** Eigenvalue estimates (Ritz values), largest first for 'largest', smallest first for 'smallest'. */
  values: Float64Array;
  /** Unit Ritz vectors, one per value. */
  vectors: Float64Array[];
  /** ||A v - lambda v|| per pair (NaN when residuals: false). */
  residuals: Float64Array;
  /** All Ritz values of the run, descending (useful to see ghosts or the bulk). */
  ritzValues: Float64Array;
  /** Operator products used, residual checks included. */
  products: number;
  steps: number;
  restarts: number;
  /** Iterations (Lanczos steps or power iterations), the largest relative residual or change at the end, its tolerance, converged. */
  convergence: ConvergenceReport;
}

/** How far a Lanczos run is from the k wanted pairs: max_i nextBeta |e_m^T s_i| / max|theta|, the Ritz values and vectors of T. */
function ritzConvergence(p: LanczosProcess, k: number, which: 'largest' | 'smallest'): { relative: number; values: Float64Array; vectors: number[][]; columns: number[] } {
  const { alpha, beta } = p.tridiagonal();
  const { values, vectors } = tridiagonalEig(alpha, beta);
  const m = values.length;
  const kk = Math.min(k, m);
  const columns = which === 'largest' ? Array.from({ length: kk }, (_, i) => i) : Array.from({ length: kk }, (_, i) => m - 1 - i);
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (const c of columns) worst = Math.max(worst, Math.abs(p.nextBeta * vectors[m - 1][c]));
  return { relative: scale > 0 ? worst / scale : worst, values, vectors, columns };
}

/**
 * The k algebraically largest (or smallest) eigenpairs by Lanczos with full
 * reorthogonalisation. A first pass of `steps` steps is extended (the same
 * recurrence, a larger Krylov space) until every requested Ritz pair has
 * ||A y - theta y|| <= tolerance max|theta| -- read off the tridiagonal as
 * nextBeta |e_m^T s| at no extra products -- or `maxSteps` is reached; then
 * one warning says so. `convergence` reports the outcome, `residuals` the
 * residual norms recomputed with the operator.
 */
export function eigenpairs(op: LinearOperator, k: number, options: EigenpairOptions = {}): Eigenpairs {
  checkOperator('op', op);
  checkInteger('k', k, 1, op.dim);
  const which = options.which ?? 'largest';
  if (which !== 'largest' && which !== 'smallest') throw new ArgumentError('which', '"largest" or "smallest"', which);
  const first = checkInteger('steps', options.steps ?? Math.min(op.dim, Math.max(2 * k + 20, 3 * k)), k, op.dim);
  const maxSteps = checkInteger('maxSteps', options.maxSteps ?? Math.min(op.dim, Math.max(4 * first, first + 60)), first, op.dim);
  const tolerance = checkNumber('tolerance', options.tolerance ?? 1e-3, 0);
  const { process: p } = startLanczos(op, { ...options, steps: first, keepBasis: true, onBreakdown: 'restart' }, first, k, (s) => s);
  const progress = makeProgress(options.progress, maxSteps, 'lanczos');
  const partial = () => {
    const { alpha, beta } = p.tridiagonal();
    return { alpha, beta, basis: p.basis.slice(0, p.steps), steps: p.steps, products: p.products, restarts: p.restarts, stoppedEarly: null };
  };
  p.extendTo(first, progress, 'lanczos', partial);
  // Each extension adds a tenth of the limit (at least k steps): few tridiagonal solves, little overshoot.
  const increment = Math.max(k, Math.ceil(maxSteps / 10));
  let ritz = ritzConvergence(p, k, which);
  while (ritz.relative > tolerance && p.steps < maxSteps && p.canContinue) {
    p.extendTo(Math.min(maxSteps, p.steps + increment), progress, 'lanczos', partial);
    ritz = ritzConvergence(p, k, which);
  }
  progress.finish();
  const m = p.steps;
  if (m < k) throw new ArgumentError('k', `at most the ${m} Lanczos steps that could be run`, k);
  // A run that spanned an invariant subspace (no fresh vector) has exact Ritz pairs.
  const convergence = convergenceReport(m, ritz.relative, tolerance, 'max_i ||A y_i - theta_i y_i|| / max|theta| over the requested pairs (Lanczos estimate)', ritz.relative <= tolerance || p.stoppedEarly === 'breakdown');
  if (!convergence.converged && (options.warn ?? true)) {
    const why = p.stoppedEarly === 'time' ? `the time limit stopped it at ${m} steps` : `raise maxSteps (${maxSteps}) or tolerance`;
    console.warn(notConvergedMessage(`eigenpairs (k = ${k}, ${which}, ${op.name ?? 'operator'} of dim ${op.dim})`, convergence, why));
  }
  const { values, vectors, columns } = ritz;
  const outValues = new Float64Array(k);
  const outVectors: Float64Array[] = [];
  const res = new Float64Array(k).fill(NaN);
  let products = p.products;
  columns.forEach((col, idx) => {
    const v = new Float64Array(op.dim);
    for (let j = 0; j < m; j++) axpy(vectors[j][col], p.basis[j], v);
    scaleInPlace(v, 1 / norm(v));
    outValues[idx] = values[col];
    outVectors.push(v);
    if (options.residuals ?? true) {
      throwIfInterrupted('eigenpairs', () => `while computing residuals, after ${idx} of ${k} (${products} products)`, () => ({ values: outValues.slice(0, idx), vectors: outVectors.slice(0, idx), residuals: res.slice(0, idx), ritzValues: values, products, steps: m, restarts: p.restarts, convergence }));
      const av = applyChecked(op, v);
      products++;
      axpy(-values[col], v, av);
      res[idx] = norm(av);
    }
  });
  return { values: outValues, vectors: outVectors, residuals: res, ritzValues: values, products, steps: m, restarts: p.restarts, convergence };
}

// ---------------------------------------------------------------- power iteration

export interface PowerIterationOptions {
  /** Iterations per eigenpair at most. Default 200. */
  maxIterations?: number;
  /** Stop when the relative change of the Rayleigh quotient is below this. Default 1e-8. */
  tolerance?: number;
  seed?: number;
  timeLimitMs?: number;
  progress?: ProgressOutput;
}

/**
 * The k eigenpairs of largest |lambda| by power iteration with deflation
 * (each new vector is kept orthogonal to those found). It finds the largest
 * magnitude, which early in training can be a negative eigenvalue: use
 * `eigenpairs` for the algebraically largest.
 */
export function powerIteration(op: LinearOperator, k: number, options: PowerIterationOptions = {}): Eigenpairs {
  checkOperator('op', op);
  checkInteger('k', k, 1, op.dim);
  const maxIt = checkInteger('maxIterations', options.maxIterations ?? 200, 1);
  const tol = checkNumber('tolerance', options.tolerance ?? 1e-8, 0);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0));
  const budget = new Budget(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs });
  const found: Float64Array[] = [];
  const values = new Float64Array(k);
  const residuals = new Float64Array(k);
  let products = 0;
  let iterations = 0;
  // The largest final relative change of the Rayleigh quotient over the pairs, and whether every pair met the tolerance.
  let worstChange = 0;
  let allConverged = true;
  const progress = makeProgress(options.progress, k, 'power iteration');
  for (let e = 0; e < k; e++) {
    let v = rademacher(op.dim, rng);
    orthogonalise(v, found);
    scaleInPlace(v, 1 / norm(v));
    let lambda = 0;
    // An interrupt (lib/core) stops before a product, with the eigenpairs already found.
    const stopIfInterrupted = (): void =>
      throwIfInterrupted('powerIteration', () => `at eigenpair ${e + 1} of ${k} (${products} products)`, () => ({
        values: values.slice(0, e), vectors: found.slice(), residuals: residuals.slice(0, e), ritzValues: values.slice(0, e), products, steps: products, restarts: 0,
        convergence: convergenceReport(iterations, worstChange, tol, 'max over the pairs found of the last relative change of the Rayleigh quotient', allConverged),
      }));
    stopIfInterrupted();
    let av = applyChecked(op, v);
    products++;
    let change = Infinity;
    for (let it = 0; it < maxIt; it++) {
      orthogonalise(av, found);
      const next = av;
      const nn = norm(next);
      if (nn === 0) {
        // A v = 0 in the complement of the pairs found: lambda = 0 exactly.
        lambda = 0;
        change = 0;
        break;
      }
      scaleInPlace(next, 1 / nn);
      v = next;
      stopIfInterrupted();
      av = applyChecked(op, v);
      products++;
      iterations++;
      const newLambda = dot(v, av);
      change = Math.abs(newLambda - lambda) / Math.max(Math.abs(newLambda), 1e-300);
      lambda = newLambda;
      if (change <= tol || budget.exhausted(0) === 'time') break;
    }
    worstChange = Math.max(worstChange, change);
    allConverged &&= change <= tol;
    const r = Float64Array.from(av);
    axpy(-lambda, v, r);
    values[e] = lambda;
    residuals[e] = norm(r);
    found.push(v);
    progress.update(e + 1, `lambda ${lambda.toPrecision(5)}`);
  }
  progress.finish();
  const convergence = convergenceReport(iterations, worstChange, tol, 'max over pairs of the last relative change of the Rayleigh quotient', allConverged);
  return { values, vectors: found, residuals, ritzValues: Float64Array.from(values), products, steps: products, restarts: 0, convergence };
}

// ---------------------------------------------------------------- SLQ density

export interface DensityOptions {
  /** Independent Rademacher start vectors. Default 10. */
  runs?: number;
  /** Lanczos steps per run. Default min(dim, 90). */
  steps?: number;
  seed?: number;
  /** Standard deviation of the Gaussian smoothing. Default sqrt(1e-5 * max(1, range)) as in Ghorbani et al. 2019. */
  sigma?: number;
  /** Grid points; default enough for 4 points per sigma, at least 500, at most 20,000. */
  gridSize?: number;
  /** Grid range [low, high]; default the node range widened by 5 sigma. */
  range?: [number, number];
  /** Precision the convergence report holds the runs to: standard error of the trace estimate / |estimate|. Default 0.05. */
  tolerance?: number;
  timeLimitMs?: number;
  progress?: ProgressOutput;
}

export interface SpectralDensity {
  /** Ritz values of each run (quadrature nodes). */
  nodes: Float64Array[];
  /** Squared first components of the Ritz vectors per run (each sums to 1). */
  weights: Float64Array[];
  grid: Float64Array;
  /** Smoothed density on the grid (integrates to 1 over the real line). */
  density: Float64Array;
  /** The Gaussian width used. */
  sigma: number;
  runs: number;
  steps: number;
  products: number;
  /**
   * Runs done; residual: the standard error over runs of their trace estimates n sum_i tau_i theta_i
   * (= v^T A v, the quadrature's first moment) relative to the mean; converged when at most `tolerance`.
   * Each run's quadrature has a fixed size: this says whether the runs agree, not whether `steps` suffice.
   */
  convergence: ConvergenceReport;
}

/**
 * Spectral density by stochastic Lanczos quadrature: for each Rademacher
 * start v, Lanczos gives Gauss quadrature nodes theta_i and weights
 * tau_i = (e_1^T y_i)^2 with sum_i tau_i f(theta_i) ~ v^T f(A) v / ||v||^2;
 * the average over runs estimates (1/n) sum_j f(lambda_j).
 */
export function spectralDensity(op: LinearOperator, options: DensityOptions = {}): SpectralDensity {
  // Same shape as hutchinson's preamble on purpose: each estimator checks its own options and seeds its own probes.
  checkOperator('op', op);
  const runs = checkInteger('runs', options.runs ?? 10, 1);
  const steps = checkInteger('steps', options.steps ?? Math.min(op.dim, 90), 1, op.dim);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0));
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0.05, 0);
  const nodes: Float64Array[] = [];
  const weights: Float64Array[] = [];
  let products = 0;
  const progress = makeProgress(options.progress, runs, 'SLQ density');
  for (let r = 0; r < runs; r++) {
    // Breakdown ends the quadrature: the Krylov space is invariant and the rule is already exact.
    let run: LanczosResult;
    try {
      run = lanczos(op, { steps, reorthogonalize: true, seed: rng.nextSeed(), onBreakdown: 'stop', keepBasis: false, progress: 'silent', timeLimitMs: options.timeLimitMs });
    } catch (e) {
      // An interrupt inside a run: report the finished runs' quadrature nodes and weights.
      if (e instanceof InterruptedError) throw new InterruptedError('spectralDensity', `in run ${r + 1} of ${runs} (${products + (e.partial as LanczosResult).products} products)`, { nodes, weights, runs: r, steps, products });
      throw e;
    }
    products += run.products;
    const { values, vectors } = tridiagonalEig(run.alpha, run.beta);
    nodes.push(values);
    weights.push(Float64Array.from(values, (_, i) => vectors[0][i] * vectors[0][i]));
    progress.update(r + 1);
  }
  progress.finish();
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of nodes) for (const x of n) ((lo = Math.min(lo, x)), (hi = Math.max(hi, x)));
  const spread = hi - lo;
  const sigma = options.sigma === undefined ? Math.sqrt(1e-5 * Math.max(1, spread)) : checkNumber('sigma', options.sigma, Number.MIN_VALUE);
  let [g0, g1] = options.range ?? [lo - 5 * sigma, hi + 5 * sigma];
  checkNumber('range[0]', g0);
  checkNumber('range[1]', g1);
  if (!(g1 > g0)) throw new ArgumentError('range', '[low, high] with high > low', `[${g0}, ${g1}]`);
  const gridSize = checkInteger('gridSize', options.gridSize ?? Math.min(20000, Math.max(500, Math.ceil((4 * (g1 - g0)) / sigma))), 2);
  const grid = Float64Array.from({ length: gridSize }, (_, i) => g0 + ((g1 - g0) * i) / (gridSize - 1));
  const density = smoothedDensity(grid, nodes, weights, sigma);
  const traces = nodes.map((ns, r) => op.dim * dot(ns, weights[r]));
  const convergence = relativeErrorReport(traces, tolerance, 'standard error / |mean| of the runs\' trace estimates n sum_i tau_i theta_i');
  return { nodes, weights, grid, density, sigma, runs, steps, products, convergence };
}

/** Average over runs of sum_i w_i N(x; theta_i, sigma^2), evaluated on a grid. */
export function smoothedDensity(grid: Float64Array, nodes: Float64Array[], weights: Float64Array[], sigma: number): Float64Array {
  checkFinite('grid', grid);
  checkPositive('sigma', sigma);
  if (!Array.isArray(nodes) || !Array.isArray(weights) || nodes.length !== weights.length) throw new ArgumentError('weights', `one array per run of nodes (${nodes?.length})`, describe(weights));
  nodes.forEach((ns, r) => {
    if (weights[r]?.length !== ns.length) throw new ArgumentError(`weights[${r}]`, `${ns.length} weights (one per node)`, describe(weights[r]));
    checkFinite(`nodes[${r}]`, ns);
    checkFinite(`weights[${r}]`, weights[r]);
  });
  const out = new Float64Array(grid.length);
  const c = 1 / (Math.sqrt(2 * Math.PI) * sigma * nodes.length);
  const cutoff = 8 * sigma; // exp(-32) is below double rounding of the sum
  const step = grid.length > 1 ? grid[1] - grid[0] : 1;
  nodes.forEach((ns, r) => {
    ns.forEach((theta, i) => {
      const w = weights[r][i] * c;
      const first = Math.max(0, Math.ceil((theta - cutoff - grid[0]) / step));
      const last = Math.min(grid.length - 1, Math.floor((theta + cutoff - grid[0]) / step));
      for (let g = first; g <= last; g++) {
        const z = (grid[g] - theta) / sigma;
        out[g] += w * Math.exp(-0.5 * z * z);
      }
    });
  });
  return out;
}

// ---------------------------------------------------------------- Hutchinson

export interface TraceOptions {
  /** Rademacher probes. Default 100. */
  samples?: number;
  /** Precision the convergence report holds the estimate to: standard error of Tr(A) / |Tr(A)|. Default 0.05. */
  tolerance?: number;
  seed?: number;
  timeLimitMs?: number;
  progress?: ProgressOutput;
}

export interface Estimate {
  value: number;
  /** Standard error of the mean over probes. */
  standardError: number;
}

export interface TraceEstimates {
  /** Tr(A) = E[v^T A v]. */
  trace: Estimate;
  /** Tr(A^2) = ||A||_F^2 = E[||A v||^2] (A symmetric). */
  traceOfSquare: Estimate;
  /** ||A||_F = sqrt(Tr(A^2)), error by the delta method. */
  frobeniusNorm: Estimate;
  /** Tr(A)/||A||_F, error by the delta method ignoring the covariance of the two. */
  traceOverFrobenius: Estimate;
  samples: number;
  products: number;
  /** Probes used; residual: standard error of Tr(A) / |Tr(A)|; converged when at most `tolerance` (the estimate does not stop early). */
  convergence: ConvergenceReport;
}

/** Hutchinson estimates of Tr(A) and Tr(A^2) from the same Rademacher probes, with standard errors. */
export function hutchinson(op: LinearOperator, options: TraceOptions = {}): TraceEstimates {
  checkOperator('op', op);
  const samples = checkInteger('samples', options.samples ?? 100, 2);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0));
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0.05, 0);
  const budget = new Budget(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs });
  const quad: number[] = [];
  const sq: number[] = [];
  const progress = makeProgress(options.progress, samples, 'Hutchinson');
  for (let s = 0; s < samples; s++) {
    // An interrupt (lib/core) stops before the next product with the probes' values so far.
    throwIfInterrupted('hutchinson', () => `after ${s} of ${samples} samples`, () => ({ samples: s, quadraticForms: quad.slice(), squaredNorms: sq.slice() }));
    const v = rademacher(op.dim, rng);
    const av = applyChecked(op, v);
    quad.push(dot(v, av));
    sq.push(dot(av, av));
    progress.update(s + 1);
    if (quad.length >= 2 && budget.exhausted(0) === 'time') break;
  }
  progress.finish();
  const trace = meanWithError(quad);
  const traceOfSquare = meanWithError(sq);
  const f = Math.sqrt(Math.max(traceOfSquare.value, 0));
  const frobeniusNorm = { value: f, standardError: f > 0 ? traceOfSquare.standardError / (2 * f) : NaN };
  const ratio = f > 0 ? trace.value / f : NaN;
  const ratioErr = f > 0 ? Math.abs(ratio) * Math.hypot(trace.standardError / (Math.abs(trace.value) || 1e-300), frobeniusNorm.standardError / f) : NaN;
  const convergence = relativeErrorReport(quad, tolerance, 'standard error / |mean| of the probes\' v^T A v');
  return { trace, traceOfSquare, frobeniusNorm, traceOverFrobenius: { value: ratio, standardError: ratioErr }, samples: quad.length, products: quad.length, convergence };
}

/** The report of a Monte Carlo mean: samples, relative standard error (Infinity for a zero mean or one sample), tolerance. */
function relativeErrorReport(xs: number[], tolerance: number, measure: string): ConvergenceReport {
  const e = xs.length >= 2 ? meanWithError(xs) : { value: xs[0] ?? 0, standardError: Infinity };
  const relative = e.value !== 0 ? e.standardError / Math.abs(e.value) : Infinity;
  return convergenceReport(xs.length, relative, tolerance, measure);
}

function meanWithError(xs: number[]): Estimate {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  return { value: mean, standardError: Math.sqrt(variance / n) };
}

// ---------------------------------------------------------------- simple operators

/** The operator of a dense symmetric matrix (rows as arrays, or row-major with n). */
export function denseOperator(matrix: ArrayLike<number>[] | Float64Array, n?: number): LinearOperator {
  let rows: Float64Array[];
  if (Array.isArray(matrix)) {
    const size = matrix.length;
    rows = matrix.map((r, i) => {
      if (r.length !== size) throw new ArgumentError(`matrix[${i}]`, `a row of length ${size} (square matrix)`, describe(r));
      checkFinite(`matrix[${i}]`, r);
      return Float64Array.from(r);
    });
    if (size === 0) throw new ArgumentError('matrix', 'a non-empty square matrix', 'no rows');
  } else {
    const size = checkInteger('n', n, 1);
    if (matrix.length !== size * size) throw new ArgumentError('matrix', `${size * size} entries (n x n)`, describe(matrix));
    checkFinite('matrix', matrix);
    rows = Array.from({ length: size }, (_, i) => matrix.subarray(i * size, (i + 1) * size));
  }
  return { dim: rows.length, name: 'dense matrix', apply: (v) => Float64Array.from(rows, (r) => dot(r, v)) };
}

/** Diagonal operator diag(values). */
export function diagonalOperator(values: ArrayLike<number>): LinearOperator {
  const d = Float64Array.from(values);
  if (d.length === 0) throw new ArgumentError('values', 'a non-empty array', describe(values));
  checkFinite('values', d);
  return { dim: d.length, name: 'diagonal operator', apply: (v) => Float64Array.from(v, (x, i) => x * d[i]) };
}

/** Explicit matrix of an operator by dim products (columns A e_i); for small dims and tests. */
export function materialize(op: LinearOperator): Float64Array[] {
  checkOperator('op', op);
  const cols: Float64Array[] = [];
  const e = new Float64Array(op.dim);
  for (let i = 0; i < op.dim; i++) {
    e[i] = 1;
    cols.push(applyChecked(op, e));
    e[i] = 0;
  }
  // Row i of A = column i for symmetric A; return rows by transposing to be safe for any A.
  return Array.from({ length: op.dim }, (_, r) => Float64Array.from(cols, (c) => c[r]));
}
