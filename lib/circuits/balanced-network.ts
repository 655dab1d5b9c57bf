/**
 * Balanced rate networks: strong couplings (entries O(1/sqrt K)) and a strong external drive (O(sqrt K)) whose
 * large excitatory and inhibitory currents cancel dynamically (van Vreeswijk & Sompolinsky 1996), driven by a
 * sinusoid that is common to all neurons or has an independent phase per neuron (Engelken, Ingrosso, Khajeh,
 * Goedeke & Abbott 2022):
 *
 *   dh_i/dt = -h_i + sum_j J_ij phi(h_j) + sqrt(K) I_i + I1 sin(2 pi f t + theta_i)
 *
 * Two coupling models, both held as one dense N x N DenseCoupling (by reference, so a trainer may edit
 * `coupling.J` in place; autapses removed); K is the tightness:
 *
 *   'gaussian'  one population (Engelken et al.):   J_ij = -J0 sqrt(K) / N + g z_ij / sqrt(N),  z ~ N(0, 1),
 *               I_i = I0.  K = N is the paper's model (-J0 / sqrt N and sqrt(N) I0); a smaller K weakens the
 *               mean coupling and the drive together (the paper's "tightness of balance", Fig 3B).
 *   'dale'      excitatory neurons 0 .. N_E - 1 (N_E = round(f N)), then inhibitory ones, Dale's signs per
 *               presynaptic column: neuron i of population a draws K excitatory and K inhibitory partners
 *               (distinct, no autapse; van Vreeswijk & Sompolinsky's convention) with
 *                 J_ij = +w_aE / sqrt(K)  (j in E),   J_ij = -w_aI / sqrt(K)  (j in I),   I_i = I_a,
 *               so population b adds sqrt(K) w_ab nu_b to the mean input of population a (nu_b: b's mean rate).
 *               The disorder is the random choice of partners (each row's K entries are equal within a block).
 *
 * Balance: the O(sqrt K) terms cancel only if sqrt(K) (I - W nu) stays O(1), so to leading order nu solves
 * W nu = I ('gaussian': nu = I0 / J0; 'dale' with the default weights W = [[1, 2], [1, 1.8]] (E, I columns
 * as magnitudes) and I = (1, 0.8): nu_E = nu_I = 1, inside van Vreeswijk & Sompolinsky's balanced region
 * I_E / I_I > w_EI / w_II > w_EE / w_IE). The currents are read apart by `currents`: the recurrent input through
 * positive entries (excitatory), through negative entries (inhibitory), and the external input.
 *
 * Input phases: 'common' theta_i = 0; 'independent' theta_i ~ U[0, 2 pi) i.i.d. (seeded); 'independent-even'
 * theta_i = 2 pi k / N, k a seeded permutation, so the population mean of the input is 0 to rounding.
 *
 * Integration: the Euler map h' = h + dt (-h + J phi(h) + c(t)), c the external input at the step's start, by
 * RateNetwork.step with c as its `current`. The largest Lyapunov exponent of that map (Engelken's defaults):
 * one tangent vector v' = (1 - dt) v + dt J (phi'(h) v), carried with the state by one two-row GEMM per step,
 * renormalised every `renormalizeEvery` (time 1 by default), after a state transient (100) and a tangent
 * transient (time / 10). The mean mode is stiff: its multiplier is 1 - dt (1 + sqrt(K) J0 <phi'>), so keep
 * dt (1 + sqrt(K) J0) < 2.
 *
 * Exports: BalancedNetworkOptions, BalancedModel, InputPhases, SineInput, BalancedCurrents, BalancedRun,
 * LargestLyapunovOptions, LargestLyapunov, BalancedNetwork, inputPhases.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, checkOneOf, checkPositive, gemm } from '../core';
import { DenseCoupling } from './coupling';
import { Nonlinearity, NonlinearityName, nonlinearity } from './nonlinearity';
import { RateNetwork, StepOptions } from './rate-network';

export type BalancedModel = 'gaussian' | 'dale';
export type InputPhases = 'common' | 'independent' | 'independent-even';

export interface BalancedNetworkOptions {
  N: number;
  /** Tightness: 'gaussian' scales J0 and the drive by sqrt(K) / sqrt(N) against the paper's model (default N); 'dale': partners from each population (required, < min(N_E, N_I)). */
  K?: number;
  /** 'gaussian' (default) or 'dale'. */
  model?: BalancedModel;
  /** Seed of the couplings. */
  seed: number;
  /** phi (default 'relu'). */
  nonlinearity?: NonlinearityName;
  /** 'gaussian': disorder g (default 2), mean coupling J0 (default 1), drive I0 (default 1). */
  g?: number;
  J0?: number;
  I0?: number;
  /** 'dale': excitatory fraction f (default 0.8). */
  excitatoryFraction?: number;
  /** 'dale': effective weight magnitudes w_ab, a receiving, b sending (defaults EE 1, EI 2, IE 1, II 1.8). */
  weights?: { EE?: number; EI?: number; IE?: number; II?: number };
  /** 'dale': drives I_E (default 1) and I_I (default 0.8). */
  drive?: { E?: number; I?: number };
}

/** The sinusoid I1 sin(2 pi f t + theta_i). */
export interface SineInput {
  amplitude: number;
  frequency: number;
  phases: InputPhases;
  /** Seed of the phases (default 0; unused for 'common'). */
  seed?: number;
}

export interface BalancedCurrents {
  /** sum_j J_ij^+ phi(h_j): the recurrent input through positive entries (Dale: excitatory neurons). */
  excitatory: Float64Array;
  /** sum_j J_ij^- phi(h_j) (<= 0): through negative entries (Dale: inhibitory neurons). */
  inhibitory: Float64Array;
  /** sqrt(K) I_i + I1 sin(2 pi f t + theta_i). */
  external: Float64Array;
  /** The sum of the three: the input the neuron integrates. */
  total: Float64Array;
}

export interface BalancedRun {
  /** The state after the run (the array passed in, advanced). */
  state: Float64Array;
  /** Population mean rate after each step. */
  meanRate: Float64Array;
  /** States every `recordEvery` steps (rows of N), if asked. */
  states: Float64Array;
  /** Time at the end of the run. */
  time: number;
}

export interface LargestLyapunovOptions {
  /** Euler step (default 0.05). */
  dt?: number;
  /** Averaging time. */
  time: number;
  /** Time the state runs alone first (default 100). */
  transient?: number;
  /** Time the tangent vector runs before averaging (default time / 10). */
  tangentTransient?: number;
  /** Time between renormalisations (default 1). */
  renormalizeEvery?: number;
  /** Seed of the initial tangent vector (default 0). */
  seed?: number;
  /** Time at the start (default 0; the input's clock). */
  t0?: number;
}

export interface LargestLyapunov {
  exponent: number;
  /** Growth rate over each renormalisation interval of the averaging time, and the interval's start time. */
  localExponents: Float64Array;
  localTimes: Float64Array;
  /** Population mean rate at each renormalisation. */
  meanRate: Float64Array;
  /** The state at the end. */
  state: Float64Array;
}

/** Phases theta_i of `N` neurons (see the file header). */
export function inputPhases(N: number, phases: InputPhases, seed = 0): Float64Array {
  checkInteger('N', N, 1);
  checkOneOf('phases', phases, ['common', 'independent', 'independent-even']);
  const theta = new Float64Array(N);
  if (phases === 'common') return theta;
  const rng = new Rng(checkInteger('seed', seed, 0, 0xffffffff));
  if (phases === 'independent') for (let i = 0; i < N; i++) theta[i] = 2 * Math.PI * rng.uniform();
  else { const p = rng.permutation(N); for (let i = 0; i < N; i++) theta[i] = (2 * Math.PI * p[i]) / N; }
  return theta;
}

export class BalancedNetwork {
  readonly N: number;
  readonly K: number;
  readonly model: BalancedModel;
  readonly seed: number;
  readonly phi: Nonlinearity;
  /** J (row-major, J[i * N + j] from j to i), by reference: `coupling.J` is the matrix the network uses. */
  readonly coupling: DenseCoupling;
  /** +1 for an excitatory column, -1 for an inhibitory one ('dale'); 0 for mixed signs ('gaussian'). */
  readonly columnSigns: Int8Array;
  /** Number of excitatory neurons (indices 0 .. excitatory - 1; 0 for 'gaussian'). */
  readonly excitatory: number;
  /** The constant drive sqrt(K) I_i per neuron. */
  readonly drive: Float64Array;
  /** The leading-order balanced rates: [I0 / J0] ('gaussian') or [nu_E, nu_I] ('dale'). */
  readonly balancedRates: number[];
  /** The underlying RateNetwork (Euler steps with the external input as its current). */
  readonly network: RateNetwork;
  private amplitude = 0;
  private omega = 0;
  private theta: Float64Array;
  private readonly ext: Float64Array;

  constructor(options: BalancedNetworkOptions) {
    const N = this.N = checkInteger('N', options?.N, 2);
    this.model = checkOneOf('model', options.model ?? 'gaussian', ['gaussian', 'dale']);
    this.seed = checkInteger('seed', options.seed, 0, 0xffffffff);
    this.phi = nonlinearity(options.nonlinearity ?? 'relu');
    const rng = new Rng(this.seed);
    const J = new Float64Array(N * N);
    this.columnSigns = new Int8Array(N);
    this.drive = new Float64Array(N);
    if (this.model === 'gaussian') {
      this.K = checkNumber('K', options.K ?? N, Number.MIN_VALUE);
      const g = checkNumber('g', options.g ?? 2, 0), J0 = checkNumber('J0', options.J0 ?? 1, 0), I0 = checkNumber('I0', options.I0 ?? 1);
      const mean = (-J0 * Math.sqrt(this.K)) / N, s = g / Math.sqrt(N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) { const z = rng.normal(); if (i !== j) J[i * N + j] = mean + s * z; }
      this.drive.fill(Math.sqrt(this.K) * I0);
      this.excitatory = 0;
      this.balancedRates = [J0 > 0 ? I0 / J0 : NaN];
    } else {
      const f = checkNumber('excitatoryFraction', options.excitatoryFraction ?? 0.8, 0, 1);
      const NE = this.excitatory = Math.round(f * N), NI = N - NE;
      if (NE < 1 || NI < 1) throw new ArgumentError('excitatoryFraction', `a fraction giving at least one E and one I neuron among N = ${N}`, f);
      if (options.K === undefined) throw new ArgumentError('K', "partners per population (required for 'dale')", undefined);
      const K = this.K = checkInteger('K', options.K, 1, Math.min(NE, NI) - 1);
      const KE = K, KI = K;
      const w = options.weights ?? {}, d = options.drive ?? {};
      const wEE = checkNumber('weights.EE', w.EE ?? 1, 0), wEI = checkNumber('weights.EI', w.EI ?? 2, 0);
      const wIE = checkNumber('weights.IE', w.IE ?? 1, 0), wII = checkNumber('weights.II', w.II ?? 1.8, 0);
      const IE = checkNumber('drive.E', d.E ?? 1), II = checkNumber('drive.I', d.I ?? 0.8);
      const sK = Math.sqrt(K);
      for (let i = 0; i < N; i++) {
        const isE = i < NE;
        const jE = (isE ? wEE : wIE) / sK, jI = (isE ? wEI : wII) / sK;
        // partners drawn among the population without i itself: indices past i shift by one
        const own = isE ? i : -1;
        for (const k of rng.sample(NE - (own >= 0 ? 1 : 0), KE)) J[i * N + (own >= 0 && k >= own ? k + 1 : k)] = jE;
        const ownI = isE ? -1 : i - NE;
        for (const k of rng.sample(NI - (ownI >= 0 ? 1 : 0), KI)) J[i * N + NE + (ownI >= 0 && k >= ownI ? k + 1 : k)] = -jI;
        this.drive[i] = sK * (isE ? IE : II);
      }
      this.columnSigns.fill(1, 0, NE);
      this.columnSigns.fill(-1, NE);
      // I + W nu = 0 with the signed W = [[wEE, -wEI], [wIE, -wII]]
      const det = -wEE * wII + wEI * wIE;
      this.balancedRates = det === 0 ? [NaN, NaN] : [(IE * wII - wEI * II) / det, (wIE * IE - wEE * II) / det];
    }
    this.coupling = new DenseCoupling(J, N);
    this.network = new RateNetwork({ coupling: this.coupling, nonlinearity: this.phi.name });
    this.theta = new Float64Array(N);
    this.ext = new Float64Array(N);
  }

  /** Sets the sinusoidal input (amplitude 0 removes it). Returns the phases theta_i. */
  setInput(input: SineInput): Float64Array {
    this.amplitude = checkNumber('amplitude', input?.amplitude, 0);
    this.omega = 2 * Math.PI * checkNumber('frequency', input.frequency, 0);
    this.theta = inputPhases(this.N, input.phases, input.seed ?? 0);
    return this.theta;
  }

  /** The phases theta_i of the input now set. */
  get phases(): Float64Array {
    return this.theta;
  }

  /** out_i = sqrt(K) I_i + I1 sin(2 pi f t + theta_i). */
  externalInput(t: number, out: Float64Array = new Float64Array(this.N)): Float64Array {
    const a = this.amplitude, w = this.omega;
    for (let i = 0; i < this.N; i++) out[i] = this.drive[i] + (a === 0 ? 0 : a * Math.sin(w * t + this.theta[i]));
    return out;
  }

  /** The input currents at state h and time t, split by the sign of the coupling (see BalancedCurrents). */
  currents(h: ArrayLike<number>, t = 0): BalancedCurrents {
    const N = this.N, J = this.coupling.J;
    this.checkState(h);
    const r = this.network.rates(h);
    const excitatory = new Float64Array(N), inhibitory = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let e = 0, s = 0;
      for (let j = 0; j < N; j++) { const v = J[i * N + j] * r[j]; if (v > 0) e += v; else s += v; }
      excitatory[i] = e;
      inhibitory[i] = s;
    }
    const external = this.externalInput(t);
    const total = excitatory.map((e, i) => e + inhibitory[i] + external[i]);
    return { excitatory, inhibitory, external, total };
  }

  /** A seeded initial state h_i ~ N(mean, variance). */
  initialState(seed: number, variance = 1, mean = 0): Float64Array {
    return new Rng(checkInteger('seed', seed, 0, 0xffffffff)).normalArray(this.N, checkNumber('mean', mean), Math.sqrt(checkNumber('variance', variance, 0)), 'float64') as Float64Array;
  }

  /** Euler steps of length dt for `time` from t0 (h advanced in place); the mean rate after each step, the state every `recordEvery` steps. */
  run(h: Float64Array, options: { dt?: number; time: number; t0?: number; recordEvery?: number }): BalancedRun {
    this.checkState(h);
    const dt = checkPositive('dt', options?.dt ?? 0.05);
    const steps = Math.round(checkNumber('time', options.time, 0) / dt);
    const every = checkInteger('recordEvery', options.recordEvery ?? 0, 0);
    let t = checkNumber('t0', options.t0 ?? 0);
    const meanRate = new Float64Array(steps), states = new Float64Array(every > 0 ? Math.floor(steps / every) * this.N : 0);
    const o: StepOptions = { dt, scheme: 'euler', current: this.ext };
    const r = new Float64Array(this.N);
    for (let n = 0; n < steps; n++) {
      this.externalInput(t, this.ext);
      this.network.step(h, o);
      t += dt;
      this.network.rates(h, r);
      let s = 0;
      for (let i = 0; i < this.N; i++) s += r[i];
      meanRate[n] = s / this.N;
      if (every > 0 && (n + 1) % every === 0) states.set(h, ((n + 1) / every - 1) * this.N);
    }
    return { state: h, meanRate, states, time: t };
  }

  /** The largest Lyapunov exponent of the Euler map with the input now set (see the file header). */
  largestLyapunov(h0: ArrayLike<number>, options: LargestLyapunovOptions): LargestLyapunov {
    const N = this.N, J = this.coupling.J, { phi, dphi } = this.phi;
    this.checkState(h0);
    const dt = checkPositive('dt', options?.dt ?? 0.05);
    const time = checkPositive('time', options.time);
    const transient = checkNumber('transient', options.transient ?? 100, 0);
    const tangentTransient = checkNumber('tangentTransient', options.tangentTransient ?? time / 10, 0);
    const every = Math.max(1, Math.round(checkPositive('renormalizeEvery', options.renormalizeEvery ?? 1) / dt));
    const h = Float64Array.from(h0);
    const run = this.run(h, { dt, time: transient, t0: options.t0 ?? 0 });
    let t = run.time;
    const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0, 0xffffffff));
    // rows: [phi(h); phi'(h) v] -> one GEMM gives [J phi(h); J phi'(h) v]
    const A = new Float64Array(2 * N), B = new Float64Array(2 * N);
    const v = A.subarray(N); // phi'(h) * tangent
    const tangent = new Float64Array(N);
    let norm = 0;
    for (let i = 0; i < N; i++) { tangent[i] = rng.normal(); norm += tangent[i] * tangent[i]; }
    norm = Math.sqrt(norm);
    for (let i = 0; i < N; i++) tangent[i] /= norm;
    /** `steps` fused Euler steps of state and tangent; returns log of the tangent's growth (renormalised to 1). */
    const advance = (steps: number): number => {
      for (let n = 0; n < steps; n++) {
        this.externalInput(t, this.ext);
        for (let i = 0; i < N; i++) { A[i] = phi(h[i]); v[i] = dphi(h[i]) * tangent[i]; }
        gemm(2, N, N, A, J, B, { transB: true });
        for (let i = 0; i < N; i++) {
          h[i] += dt * (B[i] + this.ext[i] - h[i]);
          tangent[i] = (1 - dt) * tangent[i] + dt * B[N + i];
        }
        t += dt;
      }
      let s = 0;
      for (let i = 0; i < N; i++) s += tangent[i] * tangent[i];
      s = Math.sqrt(s);
      if (!(s > 0) || !Number.isFinite(s)) throw new ArgumentError('dt', 'a step that keeps the state and tangent vector finite and nonzero', dt);
      for (let i = 0; i < N; i++) tangent[i] /= s;
      return Math.log(s);
    };
    for (let left = Math.round(tangentTransient / dt); left > 0; left -= every) advance(Math.min(every, left));
    const intervals = Math.max(1, Math.round(time / dt / every));
    const localExponents = new Float64Array(intervals), localTimes = new Float64Array(intervals), meanRate = new Float64Array(intervals);
    let sum = 0;
    for (let k = 0; k < intervals; k++) {
      localTimes[k] = t;
      const log = advance(every);
      localExponents[k] = log / (every * dt);
      sum += log;
      let m = 0;
      for (let i = 0; i < N; i++) m += phi(h[i]);
      meanRate[k] = m / N;
    }
    return { exponent: sum / (intervals * every * dt), localExponents, localTimes, meanRate, state: h };
  }

  private checkState(h: ArrayLike<number>): void {
    if (!h || h.length !== this.N) throw new ArgumentError('h', `N = ${this.N} states`, h ? `${h.length} entries` : h);
    for (let i = 0; i < this.N; i++) if (!Number.isFinite(h[i])) throw new ArgumentError('h', 'finite states', h[i]);
  }
}
