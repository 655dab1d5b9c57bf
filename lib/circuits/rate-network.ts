/**
 * Random rate networks (Sompolinsky, Crisanti & Sommers 1988; Clark, Abbott &
 * Litwin-Kumar 2023):
 *
 *   flow        dx/dt = -x + J phi(x)                    (integrated by RK4, step dt)
 *   Euler map   x' = (1 - delta) x + delta J phi(x)      (a map in its own right; delta = 1: x' = J phi(x))
 *   couplings   J_ij ~ N(0, g^2 / N) i.i.d., autapses kept; with `symmetry` eta,
 *               corr(J_ij, J_ji) = eta for i != j: J_ij = (g / sqrt N)(a z1 + b z2), J_ji = (g / sqrt N)(a z1 - b z2),
 *               a^2 = (1 + eta)/2, b^2 = (1 - eta)/2, z1, z2 ~ N(0, 1) per pair
 *
 * Tangent maps, matrix-free (rows of V are tangent vectors, so one GEMM of
 * k x N by N x N per product and never an N x N Jacobian):
 *
 *   flow        V Df^T = -V + (V diag(phi'(x))) J^T
 *   Euler map   V DF^T = (1 - delta) V + delta (V diag(phi'(x))) J^T
 *
 * `tangentSystem` hands either to lib/dynamics' lyapunovSpectrum; `simulate`
 * records x (and phi(x)) along a trajectory. Everything is float64 on the
 * native BLAS (lib/core gemm).
 *
 * `coupling()` hands J to the general RateNetwork below.
 *
 * General rate networks with inputs, a readout and output feedback
 * (Sussillo & Abbott 2009; DePasquale et al. 2018), time in units of tau:
 *
 *   dx/dt = -x + J phi(x) + W_in u(t) + W_fb z + c(t) + sigma xi(t),   z = W_out phi(x)
 *
 * J is any Coupling (dense, sparse, low rank plus dense; coupling.ts), c an
 * extra current per step (a teacher's currents while a learner is forced).
 * With h = J phi(x) + W_in u + W_fb z + c held over a step of length dt:
 *
 *   'euler'              x' = x + dt (h - x)                      order 1
 *   'exponential-euler'  x' = h + (x - h) e^(-dt)                 order 1; exact when h is constant (the leak integrated exactly)
 *   'rk4'                classical Runge-Kutta on f(x) = -x + h(x), u and c held over the step: order 4
 *   noise                + sigma sqrt(dt) xi, xi ~ N(0, I) (Euler-Maruyama; euler and exponential-euler only)
 *
 * Exports: RateNetworkOptions, RateScheme, RandomRateNetwork, Readout, RateNetwork, RateNetworkModel,
 * Integrator, StepOptions.
 */
import { ArgumentError, Rng, checkFinite, checkInteger, checkNumber, checkOneOf, checkPositive, gemm } from '../core';
import { TangentSystem, Trajectory, trajectory } from '../dynamics';
import { Coupling, DenseCoupling } from './coupling';
import { Nonlinearity, NonlinearityName, nonlinearity } from './nonlinearity';

export interface RateNetworkOptions {
  /** Number of neurons. */
  N: number;
  /** Coupling gain: J_ij ~ N(0, g^2 / N). */
  g: number;
  /** Seed of the couplings. */
  seed: number;
  /** phi (default 'tanh'). */
  nonlinearity?: NonlinearityName;
  /** corr(J_ij, J_ji) in [-1, 1] (default 0: independent). */
  symmetry?: number;
}

/** How time advances: the RK4-integrated flow, or the Euler map with step delta. */
export type RateScheme = { scheme: 'flow'; dt: number } | { scheme: 'euler'; delta: number };

export class RandomRateNetwork {
  readonly N: number;
  readonly g: number;
  readonly seed: number;
  readonly symmetry: number;
  readonly phi: Nonlinearity;
  /** Couplings, row-major N x N: J[i * N + j] is the weight from j to i. */
  readonly J: Float64Array;

  constructor(options: RateNetworkOptions) {
    this.N = checkInteger('N', options.N, 1);
    this.g = checkNumber('g', options.g, 0);
    this.seed = checkInteger('seed', options.seed, 0, 0xffffffff);
    this.symmetry = checkNumber('symmetry', options.symmetry ?? 0, -1, 1);
    this.phi = nonlinearity(options.nonlinearity ?? 'tanh');
    const N = this.N, rng = new Rng(this.seed), s = this.g / Math.sqrt(N);
    const J = new Float64Array(N * N);
    if (this.symmetry === 0) {
      for (let i = 0; i < N * N; i++) J[i] = s * rng.normal();
    } else {
      // pairs (z1, z2) -> J_ij = a z1 + b z2, J_ji = a z1 - b z2: var 1, corr a^2 - b^2 = eta
      const a = Math.sqrt((1 + this.symmetry) / 2), b = Math.sqrt((1 - this.symmetry) / 2);
      for (let i = 0; i < N; i++) {
        J[i * N + i] = s * rng.normal();
        for (let j = i + 1; j < N; j++) {
          const z1 = rng.normal(), z2 = rng.normal();
          J[i * N + j] = s * (a * z1 + b * z2);
          J[j * N + i] = s * (a * z1 - b * z2);
        }
      }
    }
    this.J = J;
  }

  /** J as a Coupling for RateNetwork (by reference: the same matrix). */
  coupling(): DenseCoupling {
    return new DenseCoupling(this.J, this.N);
  }

  /** out_i = sum_j J_ij phi(x_j). */
  recurrentInput(x: Float64Array, out: Float64Array, work: Float64Array = new Float64Array(this.N)): void {
    const f = this.phi.phi;
    for (let j = 0; j < this.N; j++) work[j] = f(x[j]);
    gemm(1, this.N, this.N, work, this.J, out, { transB: true });
  }

  /** The network as a TangentSystem for lib/dynamics (lyapunovSpectrum, trajectory). */
  tangentSystem(scheme: RateScheme): TangentSystem {
    const N = this.N, J = this.J, { phi, dphi } = this.phi;
    const work = new Float64Array(N);
    let scaled = new Float64Array(0);
    const scaleRows = (x: Float64Array, V: Float64Array, k: number) => {
      if (scaled.length < k * N) scaled = new Float64Array(k * N);
      for (let j = 0; j < N; j++) work[j] = dphi(x[j]);
      for (let r = 0; r < k; r++) for (let j = 0; j < N; j++) scaled[r * N + j] = V[r * N + j] * work[j];
    };
    if (scheme?.scheme === 'flow') {
      checkNumber('scheme.dt', scheme.dt, Number.MIN_VALUE);
      return {
        dim: N, time: 'continuous',
        evaluate: (x, out) => {
          for (let j = 0; j < N; j++) work[j] = phi(x[j]);
          gemm(1, N, N, work, J, out, { transB: true });
          for (let i = 0; i < N; i++) out[i] -= x[i];
        },
        tangent: (x, V, k, out) => {
          scaleRows(x, V, k);
          out.set(V.subarray(0, k * N));
          gemm(k, N, N, scaled, J, out, { transB: true, alpha: 1, beta: -1 });
        },
      };
    }
    if (scheme?.scheme === 'euler') {
      const d = checkNumber('scheme.delta', scheme.delta, Number.MIN_VALUE, 1);
      return {
        dim: N, time: 'discrete',
        evaluate: (x, out) => {
          for (let j = 0; j < N; j++) work[j] = phi(x[j]);
          gemm(1, N, N, work, J, out, { transB: true, alpha: d });
          for (let i = 0; i < N; i++) out[i] += (1 - d) * x[i];
        },
        tangent: (x, V, k, out) => {
          scaleRows(x, V, k);
          out.set(V.subarray(0, k * N));
          gemm(k, N, N, scaled, J, out, { transB: true, alpha: d, beta: 1 - d });
        },
      };
    }
    throw new ArgumentError('scheme', "{ scheme: 'flow', dt } or { scheme: 'euler', delta }", scheme);
  }

  /** Time per step of a scheme (what lib/dynamics takes as dt or stepTime). */
  static stepOptions(scheme: RateScheme): { dt?: number; stepTime?: number } {
    return scheme.scheme === 'flow' ? { dt: scheme.dt } : { stepTime: scheme.delta };
  }

  /** A seeded initial state x_i ~ N(0, variance). */
  initialState(seed: number, variance = 1): Float64Array {
    return new Rng(seed).normalArray(this.N, 0, Math.sqrt(checkNumber('variance', variance, 0)), 'float64') as Float64Array;
  }

  /**
   * A trajectory: `transient` time, then `time` recorded every `sampleEvery`
   * (units of the neuron time constant; an Euler map step lasts delta).
   */
  simulate(x0: ArrayLike<number>, scheme: RateScheme, options: { time: number; transient?: number; sampleEvery?: number; progress?: boolean; label?: string; onProgress?: (fraction: number) => void }): Trajectory {
    return trajectory(this.tangentSystem(scheme), x0, { ...options, ...RandomRateNetwork.stepOptions(scheme) });
  }

  /** phi applied to every entry of a samples x N array (e.g. a trajectory's states). */
  rates(states: Float64Array): Float64Array {
    const f = this.phi.phi;
    return states.map((v) => f(v));
  }
}

// ---------------------------------------------------------------------------
// General rate networks

/** A linear readout z = W r, W outputs x N (row-major), float64; trained in place by RLS. */
export class Readout {
  readonly outputs: number;
  readonly N: number;
  readonly W: Float64Array;
  /** Zero weights unless `W` (outputs x N entries) is given. */
  constructor(outputs: number, N: number, W?: Float64Array) {
    this.outputs = checkInteger('outputs', outputs, 1);
    this.N = checkInteger('N', N, 1);
    if (W !== undefined) {
      if (!(W instanceof Float64Array) || W.length !== this.outputs * this.N) throw new ArgumentError('W', `a Float64Array of outputs x N = ${this.outputs * this.N} entries`, W instanceof Float64Array ? `${W.length} entries` : W);
      checkFinite('W', W);
    }
    this.W = W ?? new Float64Array(this.outputs * this.N);
  }

  /** z = W r. */
  apply(r: Float64Array, z: Float64Array): void {
    gemm(1, this.outputs, this.N, r, this.W, z, { transB: true });
  }
}

export type Integrator = 'euler' | 'exponential-euler' | 'rk4';
const INTEGRATORS: readonly Integrator[] = ['euler', 'exponential-euler', 'rk4'];

export interface RateNetworkModel {
  /** The recurrent coupling J (its N is the network's). */
  coupling: Coupling;
  /** phi (default 'tanh'). */
  nonlinearity?: NonlinearityName;
  /** W_in, N x inputs row-major (default none). */
  inputWeights?: Float64Array;
  inputs?: number;
  /** The readout z = W_out phi(x) (default none). */
  readout?: Readout;
  /** W_fb, N x readout.outputs row-major: z fed back (default none). */
  feedbackWeights?: Float64Array;
  /** sigma of the white noise (default 0). */
  noise?: number;
  /** Seed of the noise (per network; default 0). */
  seed?: number;
}

export interface StepOptions {
  /** Step length in units of tau (> 0). */
  dt: number;
  scheme: Integrator;
  /** u for this step (`inputs` numbers). */
  input?: ArrayLike<number>;
  /** An extra current c (N numbers) for this step. */
  current?: Float64Array;
  /** Include J phi(x) (default true; false while a teacher's currents replace it). */
  recurrent?: boolean;
  /** Include W_fb z (default true when the network has feedback). */
  feedback?: boolean;
}

/** dx/dt = -x + J phi(x) + W_in u + W_fb z + c + noise; see the file header. */
export class RateNetwork {
  readonly N: number;
  readonly coupling: Coupling;
  readonly phi: Nonlinearity;
  readonly inputs: number;
  readonly inputWeights: Float64Array | null;
  readonly readout: Readout | null;
  readonly feedbackWeights: Float64Array | null;
  readonly noise: number;
  readonly seed: number;
  private readonly rng: Rng;
  private readonly r: Float64Array;
  private readonly h: Float64Array;
  private readonly z: Float64Array;
  private readonly uBuf: Float64Array;
  private rk: Float64Array[] | null = null;

  constructor(model: RateNetworkModel) {
    const c = model?.coupling;
    if (!c || typeof c.apply !== 'function' || !Number.isInteger(c.N)) throw new ArgumentError('coupling', 'a Coupling (DenseCoupling, SparseCoupling, LowRankPlusDenseCoupling)', c);
    this.coupling = c;
    const N = this.N = c.N;
    this.phi = nonlinearity(model.nonlinearity ?? 'tanh');
    this.inputs = model.inputWeights === undefined ? 0 : checkInteger('inputs', model.inputs, 1);
    this.inputWeights = model.inputWeights === undefined ? null : RateNetwork.matrix('inputWeights', model.inputWeights, N * this.inputs, `N x inputs = ${N * this.inputs}`);
    this.readout = model.readout ?? null;
    if (this.readout !== null && (!(this.readout instanceof Readout) || this.readout.N !== N)) throw new ArgumentError('readout', `a Readout over N = ${N} rates`, this.readout instanceof Readout ? `N = ${this.readout.N}` : this.readout);
    if (model.feedbackWeights !== undefined && this.readout === null) throw new ArgumentError('feedbackWeights', 'given together with a readout (feedback carries z)', 'no readout');
    this.feedbackWeights = model.feedbackWeights === undefined ? null
      : RateNetwork.matrix('feedbackWeights', model.feedbackWeights, N * this.readout!.outputs, `N x outputs = ${N * this.readout!.outputs}`);
    this.noise = checkNumber('noise', model.noise ?? 0, 0);
    this.seed = checkInteger('seed', model.seed ?? 0, 0, 0xffffffff);
    this.rng = new Rng(this.seed);
    this.r = new Float64Array(N);
    this.h = new Float64Array(N);
    this.z = new Float64Array(this.readout?.outputs ?? 0);
    this.uBuf = new Float64Array(this.inputs);
  }

  private static matrix(name: string, M: Float64Array, length: number, what: string): Float64Array {
    if (!(M instanceof Float64Array) || M.length !== length) throw new ArgumentError(name, `a Float64Array of ${what} entries`, M instanceof Float64Array ? `${M.length} entries` : M);
    checkFinite(name, M);
    return M;
  }

  /** r = phi(x). */
  rates(x: ArrayLike<number>, r: Float64Array = new Float64Array(this.N)): Float64Array {
    const f = this.phi.phi;
    for (let i = 0; i < this.N; i++) r[i] = f(x[i]);
    return r;
  }

  /** z = W_out phi(x) (needs a readout). */
  output(x: ArrayLike<number>, z: Float64Array = new Float64Array(this.readout?.outputs ?? 0)): Float64Array {
    if (this.readout === null) throw new ArgumentError('readout', 'a network with a readout', null);
    this.readout.apply(this.rates(x, this.r), z);
    return z;
  }

  /** h = J phi(x) + W_in u + W_fb z + c at state x (u already copied into uBuf). */
  private drive(x: Float64Array, h: Float64Array, o: StepOptions, hasInput: boolean): void {
    const r = this.rates(x, this.r);
    if (o.recurrent === false) h.fill(0);
    else this.coupling.apply(r, h);
    if (hasInput) gemm(1, this.N, this.inputs, this.uBuf, this.inputWeights!, h, { transB: true, beta: 1 });
    if (this.feedbackWeights !== null && o.feedback !== false) {
      this.readout!.apply(r, this.z);
      gemm(1, this.N, this.z.length, this.z, this.feedbackWeights, h, { transB: true, beta: 1 });
    }
    if (o.current !== undefined) for (let i = 0; i < this.N; i++) h[i] += o.current[i];
  }

  /** Advances x (N numbers, in place) by one step. */
  step(x: Float64Array, o: StepOptions): void {
    const N = this.N;
    if (!(x instanceof Float64Array) || x.length !== N) throw new ArgumentError('x', `a Float64Array of N = ${N} states`, x instanceof Float64Array ? `${x.length} entries` : x);
    const dt = checkPositive('dt', o?.dt);
    const scheme = checkOneOf('scheme', o.scheme, INTEGRATORS);
    const hasInput = o.input !== undefined;
    if (hasInput) {
      if (this.inputWeights === null || o.input!.length !== this.inputs) throw new ArgumentError('input', `${this.inputs} numbers (the network's inputs)`, o.input!.length);
      for (let k = 0; k < this.inputs; k++) this.uBuf[k] = o.input![k];
    }
    if (o.current !== undefined && o.current.length !== N) throw new ArgumentError('current', `N = ${N} numbers`, o.current.length);
    const h = this.h;
    if (scheme === 'euler') {
      this.drive(x, h, o, hasInput);
      for (let i = 0; i < N; i++) x[i] += dt * (h[i] - x[i]);
    } else if (scheme === 'exponential-euler') {
      this.drive(x, h, o, hasInput);
      const e = Math.exp(-dt);
      for (let i = 0; i < N; i++) x[i] = h[i] + (x[i] - h[i]) * e;
    } else {
      if (this.noise > 0) throw new ArgumentError('scheme', "'euler' or 'exponential-euler' for a noisy network (Euler-Maruyama)", 'rk4');
      if (this.rk === null) this.rk = Array.from({ length: 5 }, () => new Float64Array(N));
      const [k1, k2, k3, k4, y] = this.rk;
      const f = (at: Float64Array, k: Float64Array) => { this.drive(at, k, o, hasInput); for (let i = 0; i < N; i++) k[i] -= at[i]; };
      f(x, k1);
      for (let i = 0; i < N; i++) y[i] = x[i] + 0.5 * dt * k1[i];
      f(y, k2);
      for (let i = 0; i < N; i++) y[i] = x[i] + 0.5 * dt * k2[i];
      f(y, k3);
      for (let i = 0; i < N; i++) y[i] = x[i] + dt * k3[i];
      f(y, k4);
      for (let i = 0; i < N; i++) x[i] += (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    if (this.noise > 0 && scheme !== 'rk4') {
      const s = this.noise * Math.sqrt(dt);
      for (let i = 0; i < N; i++) x[i] += s * this.rng.normal();
    }
  }

  /**
   * `steps` steps from x (in place), input row t of `inputs` (steps x inputs) at step t; records the state every
   * `recordEvery` steps (0: never) as rows of `states`, and the readout after every step as rows of `outputs`.
   */
  run(x: Float64Array, options: { dt: number; steps: number; scheme: Integrator; inputs?: Float64Array; recordEvery?: number }): { states: Float64Array; outputs: Float64Array } {
    const steps = checkInteger('steps', options?.steps, 0);
    const every = checkInteger('recordEvery', options.recordEvery ?? 0, 0);
    if (options.inputs !== undefined && (!(options.inputs instanceof Float64Array) || options.inputs.length !== steps * this.inputs || this.inputs === 0)) {
      throw new ArgumentError('inputs', `a Float64Array of steps x inputs = ${steps * this.inputs} entries`, options.inputs instanceof Float64Array ? `${options.inputs.length} entries` : options.inputs);
    }
    if (!(x instanceof Float64Array) || x.length !== this.N) throw new ArgumentError('x', `a Float64Array of N = ${this.N} states`, x instanceof Float64Array ? `${x.length} entries` : x);
    checkFinite('x', x);
    checkFinite('inputs', options.inputs ?? []);
    const nOut = this.readout?.outputs ?? 0;
    const states = new Float64Array(every > 0 ? Math.floor(steps / every) * this.N : 0);
    const outputs = new Float64Array(steps * nOut);
    const z = new Float64Array(nOut);
    const o: StepOptions = { dt: options.dt, scheme: options.scheme };
    for (let t = 0; t < steps; t++) {
      if (options.inputs !== undefined) o.input = options.inputs.subarray(t * this.inputs, (t + 1) * this.inputs);
      this.step(x, o);
      if (nOut > 0) { this.output(x, z); outputs.set(z, t * nOut); }
      if (every > 0 && (t + 1) % every === 0) states.set(x, ((t + 1) / every - 1) * this.N);
    }
    return { states, outputs };
  }
}
