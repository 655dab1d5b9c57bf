/**
 * Current-based leaky integrate-and-fire (LIF) networks with exponential synapses, refractoriness and Poisson
 * inputs; the filtered spike trains they carry are the features a target-based fit regresses on
 * (Ingrosso & Abbott 2019, PLoS ONE 14:e0220547; the spiking model of references/network-dynamics.md section 6
 * and building block 7). Time is in seconds, voltage in units of the threshold above rest:
 *
 *   tau_m dV_i/dt = -V_i + I_i(t)                         (V_rest = 0, threshold theta, reset V_r)
 *   I_i = sum_j J_ij s_j(t) + w_X s^X_i(t) + b_i + c_i(t)  (recurrent, external Poisson, bias, extra current)
 *   tau_s ds_j/dt = -s_j + tau_s sum_k delta(t - t_j^k)    (so s_j = sum_k (1/tau_s) e^{-(t - t_j^k)/tau_s}: unit area,
 *                                                           s_j in spikes per second, the filtered spike train)
 *   s^X_i: the same filter on a Poisson train of rate nu_X (one independent train per neuron)
 *   V_i >= theta  ->  spike, V_i = V_r, held at V_r for t_ref
 *
 * Step (fixed dt, 0.1 ms by default): the current I is held over the step and V integrated exactly,
 * V' = I + (V - I) e^{-dt/tau_m}; a neuron spikes when V' >= theta at the end of a step (so an ISI is a
 * whole number of steps), then stays at V_r for round(t_ref / dt) steps. The synaptic traces decay by
 * e^{-dt/tau_s} per step and jump by 1/tau_s at each spike, exactly as the filter above sampled at the
 * step ends. The recurrent current J s is kept up to date incrementally (decay, plus column j of J / tau_s
 * per spike of j), O(N) per step and O(N) per spike, instead of a product J s per step; its excitatory
 * (columns j < NE, plus the external input) and inhibitory (columns j >= NE) parts are kept apart so the
 * balance can be read.
 *
 * Closed forms the tests use: under constant I > theta (no synapses) the neuron fires at
 * rate 1 / (t_ref + tau_m ln((I - V_r) / (I - theta))), never above 1 / t_ref.
 *
 * Spike statistics: ISI coefficient of variation per neuron, spike-count Fano factor per neuron over
 * consecutive windows.
 *
 * Exports: LifNetwork, LifNetworkOptions, LifRunOptions, LifRun, lifRate, isiCv, spikeCountFano.
 */
import { ArgumentError, Rng, checkFinite, checkInteger, checkNumber, checkPositive, gemm } from '../core';

export interface LifNetworkOptions {
  /** Number of neurons. */
  N: number;
  /** Recurrent weights, N x N row-major: J[i * N + j] from j to i (current per unit of s_j). Default none (zeros). */
  coupling?: Float64Array;
  /** The first NE neurons are excitatory (their currents count as E), the rest inhibitory (default N). */
  NE?: number;
  /** Membrane time constant tau_m in seconds (default 0.02). */
  tauM?: number;
  /** Synaptic time constant tau_s in seconds (default 0.02). */
  tauS?: number;
  /** Threshold theta (default 1). */
  threshold?: number;
  /** Reset V_r (default 0). */
  reset?: number;
  /** Refractory period in seconds (default 0.002). */
  refractory?: number;
  /** Time step in seconds (default 1e-4). */
  dt?: number;
  /** Constant current b per neuron (N numbers) or one for all (default 0). */
  bias?: number | Float64Array;
  /** Rate nu_X (Hz) of each neuron's external Poisson train (default 0: none). */
  externalRate?: number;
  /** Weight w_X of the external train, one for all or one per neuron (default 0). */
  externalWeight?: number | Float64Array;
  /** Seed of the Poisson inputs and of the initial voltages. */
  seed?: number;
}

export interface LifRunOptions {
  /** Number of steps. */
  steps: number;
  /** Record the traces s (and the currents) every this many steps (default 0: never). */
  recordEvery?: number;
  /** Extra current c(t) for step t (written into `out`, N numbers, zeroed before the call). */
  current?: (step: number, out: Float64Array) => void;
  /** Also record the excitatory and inhibitory currents at the recorded steps (default false). */
  recordCurrents?: boolean;
}

export interface LifRun {
  /** Spike times (seconds, from the start of this run: step end) and neurons, in time order. */
  spikeTimes: Float64Array;
  spikeNeurons: Int32Array;
  /** Recorded rows (one per recorded step, N each): the filtered spike trains s. */
  traces: Float64Array;
  /** Recorded rows: the recurrent current J s (before the extra current). */
  recurrent: Float64Array;
  /** With recordCurrents: excitatory (E columns + external + positive bias) and inhibitory (I columns + negative bias) currents, rows like `traces`. */
  excitatory?: Float64Array;
  inhibitory?: Float64Array;
  /** Number of recorded rows. */
  samples: number;
  /** Simulated time in seconds. */
  duration: number;
}

/** Rate of a LIF neuron under constant current I (closed form above; 0 when I <= theta). */
export function lifRate(I: number, options: { tauM?: number; threshold?: number; reset?: number; refractory?: number } = {}): number {
  checkNumber('I', I);
  const tauM = checkPositive('tauM', options.tauM ?? 0.02), th = checkNumber('threshold', options.threshold ?? 1);
  const vr = checkNumber('reset', options.reset ?? 0, -Infinity, th), tRef = checkNumber('refractory', options.refractory ?? 0.002, 0);
  if (I <= th) return 0;
  return 1 / (tRef + tauM * Math.log((I - vr) / (I - th)));
}

/** A number for every neuron, or N numbers (copied). */
function perNeuron(name: string, v: number | Float64Array, N: number): Float64Array {
  if (typeof v === 'number') return new Float64Array(N).fill(checkNumber(name, v));
  if (!(v instanceof Float64Array) || v.length !== N) throw new ArgumentError(name, `a number or a Float64Array of N = ${N} values`, v);
  checkFinite(name, v);
  return Float64Array.from(v);
}

/** One Poisson draw of mean m (Knuth's product of uniforms; m is small here, rate x dt). */
function poisson(rng: Rng, m: number): number {
  const L = Math.exp(-m);
  let k = 0, p = rng.uniform();
  while (p > L) { k++; p *= rng.uniform(); }
  return k;
}

export class LifNetwork {
  readonly N: number;
  readonly NE: number;
  readonly tauM: number;
  readonly tauS: number;
  readonly threshold: number;
  readonly reset: number;
  readonly refractory: number;
  readonly dt: number;
  readonly externalRate: number;
  /** w_X per neuron. */
  readonly externalWeight: Float64Array;
  readonly bias: Float64Array;
  /** Membrane potentials, filtered spike trains s, external traces s^X (float64, read/write). */
  readonly V: Float64Array;
  readonly s: Float64Array;
  readonly sX: Float64Array;
  /** Steps left in the refractory period, per neuron. */
  readonly refractoryLeft: Int32Array;
  private J: Float64Array;
  /** Column-major copy of J (column j contiguous) for the per-spike update. */
  private JT: Float64Array;
  private readonly recE: Float64Array;
  private readonly recI: Float64Array;
  private readonly rng: Rng;
  private readonly refSteps: number;

  constructor(options: LifNetworkOptions) {
    const N = this.N = checkInteger('N', options?.N, 1);
    this.NE = checkInteger('NE', options.NE ?? N, 0, N);
    this.tauM = checkPositive('tauM', options.tauM ?? 0.02);
    this.tauS = checkPositive('tauS', options.tauS ?? 0.02);
    this.threshold = checkNumber('threshold', options.threshold ?? 1);
    this.reset = checkNumber('reset', options.reset ?? 0, -Infinity, this.threshold);
    this.refractory = checkNumber('refractory', options.refractory ?? 0.002, 0);
    this.dt = checkPositive('dt', options.dt ?? 1e-4);
    if (this.dt > Math.min(this.tauM, this.tauS)) throw new ArgumentError('dt', `at most min(tauM, tauS) = ${Math.min(this.tauM, this.tauS)}`, this.dt);
    this.externalRate = checkNumber('externalRate', options.externalRate ?? 0, 0);
    // Knuth's sampler draws about rate * dt + 1 uniforms per step; past ~30 spikes per step use a smaller dt
    if (this.externalRate * this.dt > 30) throw new ArgumentError('externalRate', `at most 30 / dt = ${30 / this.dt} Hz`, this.externalRate);
    this.externalWeight = perNeuron('externalWeight', options.externalWeight ?? 0, N);
    this.bias = perNeuron('bias', options.bias ?? 0, N);
    this.refSteps = Math.round(this.refractory / this.dt);
    this.rng = new Rng(checkInteger('seed', options.seed ?? 0, 0, 0xffffffff));
    this.V = new Float64Array(N);
    this.s = new Float64Array(N);
    this.sX = new Float64Array(N);
    this.refractoryLeft = new Int32Array(N);
    this.recE = new Float64Array(N);
    this.recI = new Float64Array(N);
    this.J = new Float64Array(N * N);
    this.JT = new Float64Array(N * N);
    if (options.coupling !== undefined) this.setCoupling(options.coupling);
  }

  /** The recurrent weights (a copy, N x N row-major). */
  coupling(): Float64Array {
    return Float64Array.from(this.J);
  }

  /** Replaces J (N x N row-major, copied) and recomputes the recurrent currents J s from the present traces. */
  setCoupling(J: Float64Array): void {
    const N = this.N;
    if (!(J instanceof Float64Array) || J.length !== N * N) throw new ArgumentError('coupling', `a Float64Array of N x N = ${N * N} entries`, J instanceof Float64Array ? `${J.length} entries` : J);
    checkFinite('coupling', J);
    this.J = Float64Array.from(J);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) this.JT[j * N + i] = J[i * N + j];
    // E and I parts of J s, each by one product over its block of columns
    const sE = new Float64Array(N), sI = new Float64Array(N);
    for (let j = 0; j < N; j++) (j < this.NE ? sE : sI)[j] = this.s[j];
    gemm(1, N, N, sE, this.J, this.recE, { transB: true });
    gemm(1, N, N, sI, this.J, this.recI, { transB: true });
  }

  /** Voltages drawn uniformly in [V_r, theta) from this network's generator (an asynchronous start). */
  randomizeVoltages(): void {
    for (let i = 0; i < this.N; i++) this.V[i] = this.reset + (this.threshold - this.reset) * this.rng.uniform();
  }

  /** The recurrent current J s (N numbers). */
  recurrentCurrent(out: Float64Array = new Float64Array(this.N)): Float64Array {
    for (let i = 0; i < this.N; i++) out[i] = this.recE[i] + this.recI[i];
    return out;
  }

  /** Runs `steps` steps from the present state; see LifRun. */
  run(options: LifRunOptions): LifRun {
    const N = this.N, NE = this.NE, dt = this.dt;
    const steps = checkInteger('steps', options?.steps, 0);
    const every = checkInteger('recordEvery', options.recordEvery ?? 0, 0);
    if (options.current !== undefined && typeof options.current !== 'function') throw new ArgumentError('current', 'a function (step, out) => void', options.current);
    const withCurrents = options.recordCurrents === true;
    const samples = every > 0 ? Math.floor(steps / every) : 0;
    const traces = new Float64Array(samples * N), recurrent = new Float64Array(samples * N);
    const excitatory = withCurrents ? new Float64Array(samples * N) : undefined, inhibitory = withCurrents ? new Float64Array(samples * N) : undefined;
    const times: number[] = [], neurons: number[] = [];
    const { V, s, sX, refractoryLeft: ref, recE, recI, JT, bias } = this;
    const eM = Math.exp(-dt / this.tauM), eS = Math.exp(-dt / this.tauS), jump = 1 / this.tauS;
    const th = this.threshold, vr = this.reset, wX = this.externalWeight, mX = this.externalRate * dt;
    const c = new Float64Array(N);
    const spiked: number[] = [];
    for (let t = 0; t < steps; t++) {
      if (options.current !== undefined) { c.fill(0); options.current(t, c); }
      spiked.length = 0;
      for (let i = 0; i < N; i++) {
        if (ref[i] > 0) { ref[i]--; V[i] = vr; continue; }
        const I = recE[i] + recI[i] + wX[i] * sX[i] + bias[i] + c[i];
        const v = I + (V[i] - I) * eM;
        if (v >= th) { V[i] = vr; ref[i] = this.refSteps; spiked.push(i); } else V[i] = v;
      }
      for (let i = 0; i < N; i++) { s[i] *= eS; recE[i] *= eS; recI[i] *= eS; sX[i] *= eS; }
      const time = (t + 1) * dt;
      for (const j of spiked) {
        s[j] += jump;
        const rec = j < NE ? recE : recI, o = j * N;
        for (let i = 0; i < N; i++) rec[i] += jump * JT[o + i];
        times.push(time); neurons.push(j);
      }
      if (mX > 0) for (let i = 0; i < N; i++) { const k = poisson(this.rng, mX); if (k > 0) sX[i] += k * jump; }
      if (every > 0 && (t + 1) % every === 0) {
        const row = ((t + 1) / every - 1) * N;
        traces.set(s, row);
        for (let i = 0; i < N; i++) recurrent[row + i] = recE[i] + recI[i];
        if (withCurrents) {
          for (let i = 0; i < N; i++) {
            const b = bias[i] + c[i];
            excitatory![row + i] = recE[i] + wX[i] * sX[i] + (b > 0 ? b : 0);
            inhibitory![row + i] = recI[i] + (b < 0 ? b : 0);
          }
        }
      }
    }
    return { spikeTimes: Float64Array.from(times), spikeNeurons: Int32Array.from(neurons), traces, recurrent, excitatory, inhibitory, samples, duration: steps * dt };
  }
}

/** Spike times of each of N neurons from a run's (times, neurons) lists, in time order. */
function splitTrains(times: ArrayLike<number>, neurons: ArrayLike<number>, N: number): number[][] {
  if (times.length !== neurons.length) throw new ArgumentError('spikeNeurons', `${times.length} entries (as many as spikeTimes)`, neurons.length);
  checkFinite('spikeTimes', times);
  const trains: number[][] = Array.from({ length: N }, () => []);
  for (let k = 0; k < times.length; k++) {
    const j = neurons[k];
    if (!Number.isInteger(j) || j < 0 || j >= N) throw new ArgumentError('spikeNeurons', `integers in [0, ${N})`, j);
    trains[j].push(times[k]);
  }
  return trains;
}

/**
 * ISI coefficient of variation (s.d. / mean of the intervals, population s.d.) of each neuron with at least
 * `minSpikes` spikes (default 3); NaN for the others.
 */
export function isiCv(spikeTimes: ArrayLike<number>, spikeNeurons: ArrayLike<number>, N: number, minSpikes = 3): Float64Array {
  checkInteger('N', N, 1);
  checkInteger('minSpikes', minSpikes, 3);
  const out = new Float64Array(N).fill(NaN);
  splitTrains(spikeTimes, spikeNeurons, N).forEach((tr, i) => {
    if (tr.length < minSpikes) return;
    const m = tr.length - 1;
    let mean = 0;
    for (let k = 1; k < tr.length; k++) mean += tr[k] - tr[k - 1];
    mean /= m;
    let v = 0;
    for (let k = 1; k < tr.length; k++) v += (tr[k] - tr[k - 1] - mean) ** 2;
    out[i] = Math.sqrt(v / m) / mean;
  });
  return out;
}

/**
 * Spike-count Fano factor (variance / mean of the counts, population variance) of each neuron over the
 * consecutive windows of length `window` covering [start, end); NaN for a neuron with no spike there.
 */
export function spikeCountFano(spikeTimes: ArrayLike<number>, spikeNeurons: ArrayLike<number>, N: number, window: number, start: number, end: number): Float64Array {
  checkInteger('N', N, 1);
  checkPositive('window', window);
  checkNumber('start', start);
  checkNumber('end', end, start + window);
  const W = Math.floor((end - start) / window);
  if (W * N > 1e8) throw new ArgumentError('end', `at most 1e8 / N windows of length ${window} after start`, end);
  const counts = new Float64Array(N * W);
  splitTrains(spikeTimes, spikeNeurons, N).forEach((tr, i) => {
    for (const t of tr) { const w = Math.floor((t - start) / window); if (w >= 0 && w < W) counts[i * W + w]++; }
  });
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let m = 0;
    for (let w = 0; w < W; w++) m += counts[i * W + w];
    m /= W;
    let v = 0;
    for (let w = 0; w < W; w++) v += (counts[i * W + w] - m) ** 2;
    out[i] = m > 0 ? v / W / m : NaN;
  }
  return out;
}
