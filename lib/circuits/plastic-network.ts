/**
 * Rate networks with plastic couplings: neurons and synapses as coupled
 * dynamical variables (Clark & Abbott 2024, "Theory of coupled neuronal-synaptic
 * dynamics", PRX, arXiv:2302.08985). Time in units of the neuron time constant:
 *
 *   dx/dt        = -x + J(t) phi(x),        J(t) = g J0 + A(t),   J0_ij ~ N(0, 1/N) i.i.d. (quenched)
 *   tau_s dA/dt  = -A + (k / N) phi(x) phi(x)^T                     (k > 0 Hebbian, k < 0 anti-Hebbian)
 *
 * so the couplings fluctuate around the quenched g J0. The form and scalings are
 * the project's reconstruction (references/network-dynamics.md section 1): the paper's
 * Sec. II could not be read, so treat the 1/N and 1/tau_s placements as this library's choice.
 *
 * State: one Float64Array s of N + N^2 numbers, s[0..N) = x, s[N + i N + j] = A_ij.
 * `step` advances x and A jointly by RK4 (the neuron rate 1 is the fastest, so dt = 0.1 is
 * stable for any tau_s >= dt; tau_s >> 1 only lengthens the runs); `plastic: false` halts the
 * synapses (dA/dt = 0, "freezing"), `neurons: false` holds x fixed (A then relaxes exactly as
 * A(t) = A_inf + (A(0) - A_inf) e^{-t/tau_s}, A_inf = (k/N) phi phi^T: the integrator test).
 *
 * Joint Jacobian at (x, A), D = diag(phi'(x)), phi = phi(x):
 *
 *   d(dx)/dt    = (-I + J D) dx + dA phi
 *   d(dA)/dt    = (-dA + (k/N)(D dx phi^T + phi (D dx)^T)) / tau_s
 *
 * `jointJacobian` writes it out (dimension N + N^2, small N only). Its spectrum
 * (`jointSpectrum`) reduces exactly: for lambda != -1/tau_s the synaptic block
 * solves to dA phi = k/(N (tau_s lambda + 1)) M D dx, M = |phi|^2 I + phi phi^T, so
 *
 *   tau_s lambda^2 dx + lambda (I - tau_s B) dx - (B + (k/N) M D) dx = 0,   B = -I + J D,
 *
 * a quadratic eigenproblem whose 2N roots are the eigenvalues of the companion matrix
 * [[0, I], [(B + (k/N) M D)/tau_s, B - I/tau_s]]; the other N^2 - N eigenvalues are
 * -1/tau_s (synaptic perturbations with dA phi = 0). At k = 0 the roots are eig(B) and -1/tau_s.
 *
 * `tangentSystem` hands the joint flow and its matrix-free tangent map to lib/dynamics'
 * lyapunovSpectrum. `freeze` halts plasticity, runs the neurons alone with J frozen, and
 * reports the fixed point reached and the spectrum of -I + J diag(phi'(x*)).
 *
 * Exports: PlasticNetworkOptions, PlasticRateNetwork, PlasticStepOptions, PlasticRun, FreezeOptions, FreezeResult.
 */
import { ArgumentError, Rng, checkFinite, checkInteger, checkNumber, checkPositive, eig, gemm, throwIfInterrupted } from '../core';
import type { TangentSystem } from '../dynamics';
import { Nonlinearity, NonlinearityName, nonlinearity } from './nonlinearity';

export interface PlasticNetworkOptions {
  N: number;
  /** Gain of the quenched couplings g J0. */
  g: number;
  /** Plasticity strength k (> 0 Hebbian, < 0 anti-Hebbian, 0: the plain random network). */
  k: number;
  /** Synaptic time constant tau_s (units of the neuron time constant; default 10). */
  tauS?: number;
  /** Seed of J0 (J0_ij = z / sqrt N, drawn as lib/circuits' RandomRateNetwork draws J / g). */
  seed?: number;
  /** J0 given (N x N row-major) instead of drawn: hand-built networks. */
  couplings?: Float64Array;
  /** phi (default 'tanh'). */
  nonlinearity?: NonlinearityName;
}

export interface PlasticStepOptions {
  dt: number;
  /** false halts the synapses: dA/dt = 0 (default true). */
  plastic?: boolean;
  /** false holds the neurons: dx/dt = 0 (default true). */
  neurons?: boolean;
}

export interface PlasticRun {
  /** Sample times (after the transient). */
  times: Float64Array;
  /** x at each sample, samples x N row-major. */
  states: Float64Array;
  /** Root-mean-square of A's entries at each sample. */
  synapticRms: Float64Array;
  samples: number;
}

export interface FreezeOptions {
  /** RK4 step (default 0.1). */
  dt?: number;
  /** Longest neuronal run after the halt (default 500). */
  time?: number;
  /** Converged when max |dx/dt| < tolerance (default 1e-8). */
  tolerance?: number;
}

export interface FreezeResult {
  /** x at the halt and where the neurons end. */
  x0: Float64Array;
  xStar: Float64Array;
  converged: boolean;
  /** max |dx/dt| at the end, and the time run. */
  speed: number;
  time: number;
  /** ||x* - x0|| / ||x0|| and the correlation of x* with x0. */
  distance: number;
  correlation: number;
  /** Eigenvalues of -I + (g J0 + A) diag(phi'(x*)); stable when the largest real part is < 0. */
  eigenRe: Float64Array;
  eigenIm: Float64Array;
  maxRealPart: number;
  stable: boolean;
}

/** The joint plastic network; see the file header. */
export class PlasticRateNetwork {
  readonly N: number;
  readonly g: number;
  readonly k: number;
  readonly tauS: number;
  readonly seed: number;
  readonly phi: Nonlinearity;
  /** J0, N x N row-major (J0[i N + j]: from j to i). */
  readonly J0: Float64Array;
  /** The state's length N + N^2. */
  readonly dim: number;
  private readonly work: { phi: Float64Array; J: Float64Array; stages: Float64Array[] | null; sd: Float64Array };

  constructor(options: PlasticNetworkOptions) {
    const N = this.N = checkInteger('N', options?.N, 1);
    if (N > 4096) throw new ArgumentError('N', 'at most 4096 (A holds N^2 doubles)', N);
    this.g = checkNumber('g', options.g, 0);
    this.k = checkNumber('k', options.k);
    this.tauS = checkPositive('tauS', options.tauS ?? 10);
    this.seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
    this.phi = nonlinearity(options.nonlinearity ?? 'tanh');
    if (options.couplings !== undefined) {
      if (!(options.couplings instanceof Float64Array) || options.couplings.length !== N * N) {
        throw new ArgumentError('couplings', `a Float64Array of N x N = ${N * N} entries`, options.couplings instanceof Float64Array ? `${options.couplings.length} entries` : options.couplings);
      }
      checkFinite('couplings', options.couplings);
      this.J0 = Float64Array.from(options.couplings);
    } else {
      const rng = new Rng(this.seed), s = 1 / Math.sqrt(N);
      this.J0 = new Float64Array(N * N);
      for (let i = 0; i < N * N; i++) this.J0[i] = s * rng.normal();
    }
    this.dim = N + N * N;
    this.work = { phi: new Float64Array(N), J: new Float64Array(N * N), stages: null, sd: new Float64Array(N) };
  }

  /** x_i ~ N(0, variance) (seeded); A = 0, or with `synapses: 'steady'` A = (k/N) phi(x) phi(x)^T, its value for x held. */
  initialState(seed: number, variance = 1, synapses: 'zero' | 'steady' = 'zero'): Float64Array {
    checkInteger('seed', seed, 0, 0xffffffff);
    const sd = Math.sqrt(checkNumber('variance', variance, 0));
    if (synapses !== 'zero' && synapses !== 'steady') throw new ArgumentError('synapses', "'zero' or 'steady'", synapses);
    const N = this.N, s = new Float64Array(this.dim), rng = new Rng(seed);
    for (let i = 0; i < N; i++) s[i] = sd * rng.normal();
    if (synapses === 'steady') {
      const p = this.rates(s.subarray(0, N)), c = this.k / N;
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) s[N + i * N + j] = c * p[i] * p[j];
    }
    return s;
  }

  /** The neurons x (a view into the state). */
  neurons(state: Float64Array): Float64Array { return this.checkState(state).subarray(0, this.N); }
  /** The plastic part A, N x N (a view into the state). */
  synapses(state: Float64Array): Float64Array { return this.checkState(state).subarray(this.N); }

  /** phi(x). */
  rates(x: ArrayLike<number>, out: Float64Array = new Float64Array(this.N)): Float64Array {
    const f = this.phi.phi;
    for (let i = 0; i < this.N; i++) out[i] = f(x[i]);
    return out;
  }

  /** J = g J0 + A at a state (N x N). */
  couplingAt(state: Float64Array, out: Float64Array = new Float64Array(this.N * this.N)): Float64Array {
    const N = this.N, g = this.g, J0 = this.J0;
    this.checkState(state);
    for (let i = 0; i < N * N; i++) out[i] = g * J0[i] + state[N + i];
    return out;
  }

  private checkState(state: Float64Array): Float64Array {
    if (!(state instanceof Float64Array) || state.length !== this.dim) {
      throw new ArgumentError('state', `a Float64Array of N + N^2 = ${this.dim} numbers (x, then A row-major)`, state instanceof Float64Array ? `${state.length} numbers` : state);
    }
    return state;
  }

  /** out = d(state)/dt; `plastic: false` zeroes dA/dt, `neurons: false` zeroes dx/dt. */
  derivative(state: Float64Array, out: Float64Array, plastic = true, neurons = true): void {
    const N = this.N, p = this.work.phi, c = this.k / N, r = 1 / this.tauS;
    this.rates(state, p);
    if (neurons) {
      // g J0 phi + A phi, both by GEMM (A is the state's tail)
      gemm(1, N, N, p, this.J0, out, { transB: true, alpha: this.g });
      gemm(1, N, N, p, state.subarray(N), out, { transB: true, beta: 1 });
      for (let i = 0; i < N; i++) out[i] -= state[i];
    } else {
      out.fill(0, 0, N);
    }
    if (plastic) {
      for (let i = 0; i < N; i++) {
        const row = N + i * N, pi = c * p[i];
        for (let j = 0; j < N; j++) out[row + j] = r * (pi * p[j] - state[row + j]);
      }
    } else {
      out.fill(0, N);
    }
  }

  /** One RK4 step of the joint system, in place. */
  step(state: Float64Array, options: PlasticStepOptions): void {
    this.checkState(state);
    const dt = checkPositive('dt', options?.dt);
    const plastic = options.plastic ?? true, neurons = options.neurons ?? true;
    const n = this.dim;
    if (this.work.stages === null) this.work.stages = Array.from({ length: 5 }, () => new Float64Array(n));
    const [k1, k2, k3, k4, y] = this.work.stages;
    this.derivative(state, k1, plastic, neurons);
    for (let i = 0; i < n; i++) y[i] = state[i] + 0.5 * dt * k1[i];
    this.derivative(y, k2, plastic, neurons);
    for (let i = 0; i < n; i++) y[i] = state[i] + 0.5 * dt * k2[i];
    this.derivative(y, k3, plastic, neurons);
    for (let i = 0; i < n; i++) y[i] = state[i] + dt * k3[i];
    this.derivative(y, k4, plastic, neurons);
    for (let i = 0; i < n; i++) state[i] += (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }

  /**
   * Runs `transient` then `time` (RK4 step dt), recording x every `sampleEvery`; plasticity halts at
   * time `haltAt` (counted from the start, transient included; default never). The state advances in place.
   */
  run(state: Float64Array, options: { dt: number; time: number; transient?: number; sampleEvery?: number; haltAt?: number; label?: string }): PlasticRun {
    this.checkState(state);
    checkFinite('state', state);
    const dt = checkPositive('dt', options?.dt);
    const time = checkNumber('time', options.time, 0);
    const transient = checkNumber('transient', options.transient ?? 0, 0);
    const every = Math.max(1, Math.round(checkPositive('sampleEvery', options.sampleEvery ?? dt) / dt));
    const haltAt = options.haltAt === undefined ? Infinity : checkNumber('haltAt', options.haltAt, 0);
    const label = options.label ?? 'plastic network';
    const N = this.N, transientSteps = Math.round(transient / dt), steps = Math.round(time / dt);
    const samples = Math.floor(steps / every) + 1;
    if (!(samples * N <= 2 ** 28) || !(transientSteps <= 1e9)) throw new ArgumentError('time', `a run of at most 2^28 recorded numbers (samples x N) and 1e9 transient steps`, `${time} (transient ${transient})`);
    const states = new Float64Array(samples * N), times = new Float64Array(samples), synapticRms = new Float64Array(samples);
    const rms = () => { let s = 0; for (let i = N; i < this.dim; i++) s += state[i] * state[i]; return Math.sqrt(s / (N * N)); };
    let n = 0;
    const advance = () => { this.step(state, { dt, plastic: n * dt < haltAt - 1e-9 }); n++; };
    for (let i = 0; i < transientSteps; i++) {
      if (i % 200 === 0) throwIfInterrupted(label, () => `in the transient after ${i} of ${transientSteps} steps`, () => ({ state: Float64Array.from(state) }));
      advance();
    }
    states.set(state.subarray(0, N), 0);
    synapticRms[0] = rms();
    for (let s = 1; s < samples; s++) {
      throwIfInterrupted(label, () => `after ${s} of ${samples} samples`, () => ({ states: states.slice(0, s * N) }));
      for (let i = 0; i < every; i++) advance();
      states.set(state.subarray(0, N), s * N);
      times[s] = s * every * dt;
      synapticRms[s] = rms();
    }
    return { times, states, synapticRms, samples };
  }

  /** The joint flow as a lib/dynamics TangentSystem (dimension N + N^2; tangent vectors are rows of V). */
  tangentSystem(): TangentSystem {
    const N = this.N, dim = this.dim, c = this.k / N, r = 1 / this.tauS;
    const p = new Float64Array(N), d = new Float64Array(N), J = new Float64Array(N * N);
    let scaled = new Float64Array(0);
    const { phi, dphi } = this.phi;
    return {
      dim, time: 'continuous',
      evaluate: (s, out) => this.derivative(s, out),
      tangent: (s, V, kv, out) => {
        for (let j = 0; j < N; j++) { p[j] = phi(s[j]); d[j] = dphi(s[j]); }
        this.couplingAt(s, J);
        if (scaled.length < kv * N) scaled = new Float64Array(kv * N);
        for (let q = 0; q < kv; q++) for (let j = 0; j < N; j++) scaled[q * N + j] = V[q * dim + j] * d[j];
        for (let q = 0; q < kv; q++) {
          const o = q * dim, sx = scaled.subarray(q * N, (q + 1) * N), ox = out.subarray(o, o + N);
          // (-I + J D) dx + dA phi
          gemm(1, N, N, sx, J, ox, { transB: true });
          gemm(1, N, N, p, V.subarray(o + N, o + dim), ox, { transB: true, beta: 1 });
          for (let i = 0; i < N; i++) ox[i] -= V[o + i];
          // (-dA + (k/N)(D dx phi^T + phi (D dx)^T)) / tau_s
          for (let i = 0; i < N; i++) {
            const row = o + N + i * N, a = c * sx[i], b = c * p[i];
            for (let j = 0; j < N; j++) out[row + j] = r * (a * p[j] + b * sx[j] - V[row + j]);
          }
        }
      },
    };
  }

  /** -I + (g J0 + A) diag(phi'(x)): the neurons' Jacobian with the synapses frozen (N x N). */
  neuronalJacobian(state: Float64Array): Float64Array {
    const N = this.N, M = this.couplingAt(state), dphi = this.phi.dphi;
    for (let j = 0; j < N; j++) { const d = dphi(state[j]); for (let i = 0; i < N; i++) M[i * N + j] *= d; }
    for (let i = 0; i < N; i++) M[i * N + i] -= 1;
    return M;
  }

  /** The full joint Jacobian, (N + N^2) x (N + N^2) row-major, for N <= 40 (see the header). */
  jointJacobian(state: Float64Array): Float64Array {
    const N = this.N, n = this.dim;
    if (N > 40) throw new ArgumentError('N', 'at most 40 for the explicit joint Jacobian (use jointSpectrum)', N);
    const B = this.neuronalJacobian(state), p = this.rates(state), dphi = this.phi.dphi, c = this.k / (N * this.tauS);
    const out = new Float64Array(n * n);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) out[i * n + j] = B[i * N + j];
      for (let j = 0; j < N; j++) out[i * n + N + i * N + j] = p[j]; // dx_i/dt depends on A_ij phi_j
    }
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const row = (N + i * N + j) * n;
        out[row + i] += c * dphi(state[i]) * p[j];
        out[row + j] += c * p[i] * dphi(state[j]);
        out[row + N + i * N + j] = -1 / this.tauS;
      }
    }
    return out;
  }

  /**
   * Spectrum of the joint Jacobian by the exact reduction in the header: the 2N roots of the quadratic
   * eigenproblem (sorted by descending real part) and the multiplicity N^2 - N of -1/tau_s.
   */
  jointSpectrum(state: Float64Array): { re: Float64Array; im: Float64Array; synapticValue: number; synapticMultiplicity: number } {
    const N = this.N, B = this.neuronalJacobian(state), p = this.rates(state), dphi = this.phi.dphi, ts = this.tauS;
    let p2 = 0;
    for (let i = 0; i < N; i++) p2 += p[i] * p[i];
    const C = Array.from({ length: 2 * N }, () => new Array<number>(2 * N).fill(0));
    for (let i = 0; i < N; i++) {
      C[i][N + i] = 1;
      for (let j = 0; j < N; j++) {
        const MD = (this.k / N) * ((i === j ? p2 : 0) + p[i] * p[j]) * dphi(state[j]);
        C[N + i][j] = (B[i * N + j] + MD) / ts;
        C[N + i][N + j] = B[i * N + j] - (i === j ? 1 / ts : 0);
      }
    }
    const e = eig(C);
    const order = Array.from({ length: 2 * N }, (_, i) => i).sort((a, b) => e.re[b] - e.re[a] || e.im[b] - e.im[a]);
    return { re: Float64Array.from(order, (i) => e.re[i]), im: Float64Array.from(order, (i) => e.im[i]), synapticValue: -1 / ts, synapticMultiplicity: N * N - N };
  }

  /**
   * Freezing: halts plasticity at `state` (A frozen at its value), runs the neurons alone from x until
   * max |dx/dt| < tolerance or `time` has passed, and reports the fixed point and its stability.
   */
  freeze(state: Float64Array, options: FreezeOptions = {}): FreezeResult {
    this.checkState(state);
    checkFinite('state', state);
    const dt = checkPositive('dt', options.dt ?? 0.1);
    const time = checkPositive('time', options.time ?? 500);
    const tol = checkPositive('tolerance', options.tolerance ?? 1e-8);
    const N = this.N, s = Float64Array.from(state), der = new Float64Array(this.dim);
    const x0 = Float64Array.from(state.subarray(0, N));
    const maxSteps = Math.round(time / dt);
    let speed = Infinity, n = 0;
    for (; n <= maxSteps; n++) {
      if (n % 10 === 0) {
        this.derivative(s, der, false, true);
        speed = 0;
        for (let i = 0; i < N; i++) speed = Math.max(speed, Math.abs(der[i]));
        if (speed < tol || n === maxSteps) break;
        if (n % 1000 === 0) throwIfInterrupted('freeze', () => `after ${n} of ${maxSteps} steps`, () => ({ state: Float64Array.from(s) }));
      }
      this.step(s, { dt, plastic: false });
    }
    const xStar = Float64Array.from(s.subarray(0, N));
    let dd = 0, n0 = 0, sxy = 0, sxx = 0, syy = 0, mx = 0, my = 0;
    for (let i = 0; i < N; i++) { mx += x0[i] / N; my += xStar[i] / N; }
    for (let i = 0; i < N; i++) {
      dd += (xStar[i] - x0[i]) ** 2; n0 += x0[i] ** 2;
      sxy += (x0[i] - mx) * (xStar[i] - my); sxx += (x0[i] - mx) ** 2; syy += (xStar[i] - my) ** 2;
    }
    const Jn = this.neuronalJacobian(s);
    const rows = Array.from({ length: N }, (_, i) => Array.from(Jn.subarray(i * N, (i + 1) * N)));
    const e = eig(rows);
    let maxRe = -Infinity;
    for (let i = 0; i < N; i++) maxRe = Math.max(maxRe, e.re[i]);
    return {
      x0, xStar, converged: speed < tol, speed, time: n * dt,
      distance: Math.sqrt(dd / Math.max(n0, Number.MIN_VALUE)), correlation: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN,
      eigenRe: Float64Array.from(e.re), eigenIm: Float64Array.from(e.im), maxRealPart: maxRe, stable: speed < tol && maxRe < 0,
    };
  }
}
