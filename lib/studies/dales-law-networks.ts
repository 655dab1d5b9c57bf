/**
 * Study: training dynamically balanced excitatory-inhibitory networks that obey Dale's law
 * (notebooks/dales-law-networks.ipynb; A. Ingrosso & L. F. Abbott, "Training dynamically balanced
 * excitatory-inhibitory networks", PLoS ONE 14:e0220547, 2019, arXiv 1812.11424; no public code).
 *
 * Model (references/network-dynamics.md section 6; [R] = reconstructed, not read from the paper's Methods):
 *
 *   rate      dx/dt = -x + J phi(x) + sqrt(K) I_a (+ u f(t) while teaching),  phi = relu,  J Dale-signed per column,
 *             entries O(1/sqrt K), the drive O(sqrt K) (lib/circuits BalancedNetwork, model 'dale')
 *   spiking   the LIF network of lib/circuits (tau_m 20 ms, refractory 2 ms, dt 0.1 ms) with the same sparse Dale
 *             coupling scaled by tau_m (J s with s the filtered spike trains in Hz), and the drive sqrt(K) I_a
 *             delivered as Poisson input (one train of rate nu_X per neuron, weight sqrt(K) I_a / nu_X)
 *
 * Target-based training [R, as full-FORCE]. Rate network: the teacher is the untrained network J0 driven by u f(t)
 * (u_i uniform in [-a, a], seeded); its target currents are h(t) = J0 r(t) + u f(t), r = phi(x). Spiking network,
 * two teachers:
 *   'rate' (default; a rate network as teacher, as DePasquale, Churchland & Abbott 2016 train spiking networks):
 *             a tanh network tau_T dx/dt = -x + q, q = J_T tanh(x) + u f(t), J_T ~ N(0, g_T^2 / N), driven into a
 *             periodic orbit (rateTeacherCurrents); LIF neuron i is to produce the recurrent current
 *             h_i(t) = m_i + A q_i(t) / rms(q), m_i its mean recurrent current in the untrained balanced network
 *             (so the balanced operating point is kept) and A in threshold units. While teaching, the LIF network
 *             has no recurrent weights and receives h(t) itself (teacher forcing), with the same Poisson drive.
 *   'spiking' (full-FORCE with a spiking teacher): the untrained LIF network J0 driven by u f(t); h = J0 s + u f.
 * Over learning intervals of length Delta t_L the (features, h) are accumulated and the recurrent weights solved by
 * lib/circuits' SignConstrainedFit (Dale's signs per presynaptic column, ridge lambda, exact batched NNLS after sign
 * flips, warm-started), the readout w (free signs, ridge) by the same solver on z = w . r ~ f. The trained network
 * then runs alone (no teaching input) from the teacher's last state. Why the rate teacher works where the spiking
 * one did not: its targets are smooth and exactly periodic, so what the network is asked to produce from its own
 * spikes is reproducible; a spiking teacher's J0 s carries its own spike noise, which the trained network cannot
 * regenerate.
 *
 *   output error      sqrt(mean (z - f)^2) / sqrt(mean (f - mean f)^2) over the test run
 *   currents          E = drive + positive part of J r, I = negative part, net = E + I (population means and
 *                     single neurons); balance index |net| / E
 *   variability       ISI CV per neuron, spike-count Fano factor per neuron (windows of `fanoWindow`)
 *   frequency         upward crossings of z - mean(z) per unit time after a transient
 *   linearisation     the fixed point x0 of dx/dt = -x + g J phi(x) + d (Newton), eigenvalues of g J phi'(x0);
 *                     the pair with the largest real part predicts the frequency |Im lambda| / 2 pi; the same read
 *                     off the cycle-averaged Jacobian g J diag(<phi'(x(t))>) over the simulated oscillation; and the
 *                     fraction of units whose relu state along the cycle differs from x0's (how far the cycle is
 *                     from where the fixed-point linearisation holds) (scanPoint)
 *
 * Jobs (`{ module: STUDY_MODULE, export, args }`): rateJob (build, train, test, currents, eigenvalues and the
 * frequency against g_test), spikingJob (build, train, test, raster, currents, CV and Fano against the untrained
 * network).
 * Exports: STUDY_MODULE, PAPER_SETTINGS, smoothSquare, sawtooth, normalizedRmse, crossingFrequency, scoreTest (TestRun), leadingPair,
 * balancedFixedPoint, scanPoint, rateTeacherCurrents, rateJob, spikingJob, their args and results, estimatedRunSeconds,
 * the figure builders (trainingFigure, outputFigure, currentsFigure, eigenFigure, frequencyFigure, rasterFigure,
 * variabilityFigure), spread and reproductionRows.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, checkPositive, eig, gemm, lstsq, median } from '../core';
import { BalancedNetwork, LifNetwork, SignConstrainedFit, isiCv, spikeCountFano, trainByTarget, type TargetTrainingRecord } from '../circuits';
import { Figure, LineSeries, line, scatter } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/dales-law-networks';

/**
 * The paper's settings seen in its figure captions ([V] in references/network-dynamics.md section 6):
 * Fig 5A spiking N = 300, a 1 Hz sawtooth; rate N = 500 (half-tanh, frequency-modulated sine, Delta t_L = 1 s);
 * Fig 5B rate N = 200, sigmoid, square wave f = 0.04 (tau = 1), g_test 0.8 and 1.0; Fig 3 spiking, 4 sines,
 * 2 ms synaptic currents, ISI CV near 1 after training.
 */
export const PAPER_SETTINGS = {
  spiking: { N: 300, targetHz: 1, learningInterval: 1 },
  rateSquare: { N: 200, frequency: 0.04, gTest: [0.8, 1.0] },
  rateFm: { N: 500 },
  headline: { isiCv: 'near 1 after training (Fig 3)', balance: 'large E and I currents cancel (Fig 3)', signs: "Dale's law at every step" },
} as const;

/** tanh(k sin(2 pi f t)) / tanh(k): a square wave with rounded edges (k = 3), period 1 / f. */
export function smoothSquare(t: number, f: number, k = 3): number {
  return Math.tanh(k * Math.sin(2 * Math.PI * f * t)) / Math.tanh(k);
}

/** A sawtooth rising from -1 to 1 over each period 1 / f. */
export function sawtooth(t: number, f: number): number {
  const p = t * f;
  return 2 * (p - Math.floor(p)) - 1;
}

/** sqrt(mean (z - f)^2) / (s.d. of f). */
export function normalizedRmse(z: ArrayLike<number>, f: ArrayLike<number>): number {
  if (z.length !== f.length || z.length < 2) throw new ArgumentError('z', `${f.length} (>= 2) values, as many as f`, z.length);
  let m = 0;
  for (let t = 0; t < f.length; t++) m += f[t];
  m /= f.length;
  let e = 0, v = 0;
  for (let t = 0; t < f.length; t++) { e += (z[t] - f[t]) ** 2; v += (f[t] - m) ** 2; }
  return Math.sqrt(e / v);
}

/**
 * Frequency of an oscillating series sampled every `dt`: (number of upward crossings of its mean - 1) over the
 * time between the first and last crossing (crossing times by linear interpolation); 0 with fewer than 2.
 * A crossing counts only after the series has been below mean - hysteresis (so noise near the mean is one crossing).
 */
export function crossingFrequency(z: ArrayLike<number>, dt: number, hysteresis = 0.1): number {
  checkPositive('dt', dt);
  let m = 0, lo = Infinity, hi = -Infinity;
  for (let t = 0; t < z.length; t++) { m += z[t]; lo = Math.min(lo, z[t]); hi = Math.max(hi, z[t]); }
  m /= z.length;
  const band = hysteresis * (hi - lo);
  const times: number[] = [];
  let armed = false;
  for (let t = 1; t < z.length; t++) {
    if (z[t] < m - band) armed = true;
    if (armed && z[t - 1] < m && z[t] >= m) { times.push((t - 1 + (m - z[t - 1]) / (z[t] - z[t - 1])) * dt); armed = false; }
  }
  return times.length < 2 ? 0 : (times.length - 1) / (times[times.length - 1] - times[0]);
}

/** The eigenvalue with the largest real part among those with |Im| > tol (a complex pair), or null. */
export function leadingPair(re: ArrayLike<number>, im: ArrayLike<number>, tol = 1e-9): { re: number; im: number } | null {
  let best: { re: number; im: number } | null = null;
  for (let k = 0; k < re.length; k++) if (Math.abs(im[k]) > tol && (best === null || re[k] > best.re)) best = { re: re[k], im: Math.abs(im[k]) };
  return best;
}

/**
 * The fixed point of dx/dt = -x + g J relu(x) + d by Newton's method from x (the relu's active set is
 * re-read every iteration, so this is an active-set iteration that ends when the set repeats and F = 0).
 * Returns x0 and the max |F(x0)|; null when 50 iterations do not bring max |F| below 1e-9 (1 + max |d|).
 */
export function balancedFixedPoint(J: Float64Array, N: number, g: number, d: Float64Array, x: Float64Array): { x: Float64Array; residual: number } | null {
  checkInteger('N', N, 1);
  checkNumber('g', g);
  if (J.length !== N * N) throw new ArgumentError('J', `${N * N} entries`, J.length);
  if (d.length !== N || x.length !== N) throw new ArgumentError('x', `${N} entries (as d)`, x.length);
  const xs = Float64Array.from(x);
  let dmax = 0;
  for (let i = 0; i < N; i++) dmax = Math.max(dmax, Math.abs(d[i]));
  const F = new Float64Array(N);
  const res = () => {
    let r = 0;
    for (let i = 0; i < N; i++) {
      let s = d[i] - xs[i];
      for (let j = 0; j < N; j++) if (xs[j] > 0) s += g * J[i * N + j] * xs[j];
      F[i] = s;
      r = Math.max(r, Math.abs(s));
    }
    return r;
  };
  let r = res();
  for (let it = 0; it < 50 && r > 1e-9 * (1 + dmax); it++) {
    // Newton: (-I + g J D) delta = -F, D = diag(x > 0)
    const A = Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => (xs[j] > 0 ? g * J[i * N + j] : 0) - (i === j ? 1 : 0)));
    const delta = lstsq(A, Array.from(F, (v) => -v)).getColumn(0);
    for (let i = 0; i < N; i++) xs[i] += delta[i];
    r = res();
  }
  return r <= 1e-9 * (1 + dmax) ? { x: xs, residual: r } : null;
}

// ---------------------------------------------------------------------------------------------------
// Rate network

export interface RateJobArgs {
  N: number;
  /** Partners per population (BalancedNetwork 'dale'). */
  K: number;
  seed: number;
  /** Target: smoothSquare at this frequency (1 / tau). */
  frequency: number;
  /** Teacher input weights u_i uniform in [-amplitude, amplitude]. */
  amplitude: number;
  /** Learning intervals and their length Delta t_L (tau). */
  intervals: number;
  intervalTime: number;
  /** Euler step (tau). */
  dt: number;
  /** Ridge of the recurrent fit and of the readout. */
  ridge: number;
  readoutRidge: number;
  /** Teacher transient before the first interval, test run length (tau). */
  transient: number;
  testTime: number;
  /** g_test values for the frequency scan, and the time each runs (after a transient of testTransient). */
  gTests: number[];
  scanTime: number;
  scanTransient: number;
  /** Neurons whose currents are returned (indices). */
  showNeurons: number[];
}

export interface CurrentTraces {
  /** Sample times. */
  t: number[];
  /** Population means of E, I and net input at each sample. */
  meanE: number[];
  meanI: number[];
  meanNet: number[];
  /** The shown neurons' E, I and net inputs (one array per neuron). */
  neuronE: number[][];
  neuronI: number[][];
  neuronNet: number[][];
}

/** The trained network run alone: output z against target f at times t; errors and frequency as in the file header. */
export interface TestRun {
  t: number[];
  z: number[];
  f: number[];
  /** Normalised rmse over the whole test run. */
  error: number;
  /** Normalised rmse over the first target period (before any phase drift accumulates). */
  firstPeriodError: number;
  /** Output frequency (crossingFrequency). */
  frequency: number;
}

/** Fills a TestRun's error, first-period error and frequency from its samples (spaced `dt`, target frequency f0). */
export function scoreTest(test: Pick<TestRun, 't' | 'z' | 'f'>, dt: number, f0: number): TestRun {
  const n = Math.min(test.z.length, Math.max(2, Math.round(1 / (f0 * dt))));
  return { ...test, error: normalizedRmse(test.z, test.f), firstPeriodError: normalizedRmse(test.z.slice(0, n), test.f.slice(0, n)), frequency: crossingFrequency(test.z, dt) };
}

export interface FrequencyPoint {
  g: number;
  /** Frequency of the simulated output (0: no oscillation). */
  simulated: number;
  /** |Im lambda| / 2 pi of the leading complex pair at the fixed point (null: no fixed point found or no pair). */
  predicted: number | null;
  leadingRe: number | null;
  /**
   * The same read off the cycle-averaged Jacobian -1 + g J diag(<phi'(x(t))>_t) (relu: each unit's fraction of
   * time active over the simulated cycle), a linearisation about the oscillation itself rather than the fixed point.
   */
  predictedCycle: number | null;
  leadingReCycle: number | null;
  /** Mean over the cycle of the fraction of units whose relu state (active or not) differs from the fixed point's (null: no fixed point). */
  stateChange: number | null;
  /** Relative amplitude of the output (its s.d. over the target's) during the scan. */
  amplitude: number;
}

export interface RateJobResult {
  args: RateJobArgs;
  records: TargetTrainingRecord[];
  /** Relative error of the readout on the teacher's samples (open loop). */
  readoutError: number;
  /** The initial coupling's balance before training: population means of E, I, net inputs over the teacher's first interval. */
  trainSeconds: number;
  /** Test run: times, output z, target f, normalised error (whole run, and its first target period), output frequency. */
  test: TestRun;
  currents: CurrentTraces;
  /** Mean over the test of the population means: E, I, net, and |net| / E. */
  balance: { E: number; I: number; net: number; index: number };
  /** Fraction of trained weights at 0 in the E and I columns; the mean E and I weight before and after. */
  weights: { zeroE: number; zeroI: number; meanE0: number; meanI0: number; meanE: number; meanI: number };
  /** Signs of trained weights against the columns' (must be 0). */
  signViolations: number;
  /** Eigenvalues of g J phi'(x0) at the first two g_test values (re, im). */
  spectra: { g: number; re: number[]; im: number[] }[];
  frequency: FrequencyPoint[];
  /** The target's frequency. */
  targetFrequency: number;
}

/** Sign-respecting random input weights u_i in [-a, a] (seeded). */
function inputWeights(N: number, a: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: N }, () => a * (2 * rng.uniform() - 1));
}

/** The balanced rate network trained to a smoothed square wave; see the file header. */
export function rateJob(args: RateJobArgs): RateJobResult {
  const N = checkInteger('N', args?.N, 4), K = checkInteger('K', args.K, 1), seed = checkInteger('seed', args.seed, 0);
  const dt = checkPositive('dt', args.dt), f0 = checkPositive('frequency', args.frequency);
  const intervals = checkInteger('intervals', args.intervals, 1);
  const net = new BalancedNetwork({ N, K, model: 'dale', seed, nonlinearity: 'relu' });
  const J0 = Float64Array.from(net.coupling.J);
  const signs = net.columnSigns, NE = net.excitatory, drive = net.drive;
  const u = inputWeights(N, args.amplitude, seed + 1);
  const f = (t: number) => smoothSquare(t, f0);
  const rn = net.network;
  const x = net.initialState(seed + 2, 0.25, 0);
  const c = new Float64Array(N), r = new Float64Array(N), h0 = new Float64Array(N);
  let t = 0;
  const teacherStep = () => {
    for (let i = 0; i < N; i++) c[i] = drive[i] + u[i] * f(t);
    rn.step(x, { dt, scheme: 'euler', current: c });
    t += dt;
  };
  // the teacher runs on J0 (the network's own coupling until training ends)
  for (let s = Math.round(args.transient / dt); s > 0; s--) teacherStep();
  const fit = new SignConstrainedFit({ inputs: N, outputs: N, signs, ridge: args.ridge });
  const readout = new SignConstrainedFit({ inputs: N, outputs: 1, signs: new Int8Array(N), ridge: args.readoutRidge });
  const steps = Math.round(args.intervalTime / dt);
  const started = performance.now();
  const training = trainByTarget({
    fit, intervals,
    collect: () => {
      const R = new Float64Array(steps * N), H = new Float64Array(steps * N), F = new Float64Array(steps);
      for (let s = 0; s < steps; s++) {
        teacherStep();
        rn.rates(x, r);
        // target current: the teacher's recurrent input plus its teaching input, at the new state and time
        const ft = f(t);
        rn.coupling.apply(r, h0);
        for (let i = 0; i < N; i++) H[s * N + i] = h0[i] + u[i] * ft;
        R.set(r, s * N);
        F[s] = ft;
      }
      readout.accumulate(R, F, steps);
      return { R, H, T: steps };
    },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const W = training.W;
  const w = readout.solve();
  const readoutError = readout.relativeError(w);
  // the trained network alone, from the teacher's last state
  net.coupling.J.set(W);
  const testSteps = Math.round(args.testTime / dt);
  const every = Math.max(1, Math.round(0.5 / dt));
  const raw = { t: [] as number[], z: [] as number[], f: [] as number[] };
  const cur: CurrentTraces = { t: [], meanE: [], meanI: [], meanNet: [], neuronE: args.showNeurons.map(() => []), neuronI: args.showNeurons.map(() => []), neuronNet: args.showNeurons.map(() => []) };
  const t0 = t;
  let sumE = 0, sumI = 0, sumNet = 0, nCur = 0;
  for (let s = 0; s < testSteps; s++) {
    rn.step(x, { dt, scheme: 'euler', current: drive });
    t += dt;
    rn.rates(x, r);
    let z = 0;
    for (let i = 0; i < N; i++) z += w[i] * r[i];
    raw.t.push(t - t0); raw.z.push(z); raw.f.push(f(t));
    if ((s + 1) % every === 0) {
      const cs = net.currents(x, 0); // external = drive (no sine input is set)
      let e = 0, inh = 0;
      for (let i = 0; i < N; i++) { e += cs.excitatory[i] + cs.external[i]; inh += cs.inhibitory[i]; }
      e /= N; inh /= N;
      cur.t.push(t - t0); cur.meanE.push(e); cur.meanI.push(inh); cur.meanNet.push(e + inh);
      args.showNeurons.forEach((i, k) => { const ei = cs.excitatory[i] + cs.external[i]; cur.neuronE[k].push(ei); cur.neuronI[k].push(cs.inhibitory[i]); cur.neuronNet[k].push(ei + cs.inhibitory[i]); });
      sumE += e; sumI += inh; sumNet += Math.abs(e + inh); nCur++;
    }
  }
  const test = scoreTest(raw, dt, f0);
  // weights before and after, by column type
  let zE = 0, zI = 0, mE0 = 0, mI0 = 0, mE = 0, mI = 0;
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    const q = i * N + j;
    if (j < NE) { if (W[q] === 0) zE++; mE += W[q]; mE0 += J0[q]; } else { if (W[q] === 0) zI++; mI += W[q]; mI0 += J0[q]; }
  }
  const nE = N * NE, nI = N * (N - NE);
  // linearisation and frequency against g_test, from the end of the test run
  const xEnd = Float64Array.from(x);
  const zStd = std(raw.f);
  const spectra: RateJobResult['spectra'] = [];
  const frequency: FrequencyPoint[] = [];
  for (const g of args.gTests) {
    const p = scanPoint(W, N, g, drive, xEnd, w, { dt, time: args.scanTime, transient: args.scanTransient, targetStd: zStd });
    frequency.push(p.point);
    if (p.spectrum !== null && spectra.length < 2) spectra.push({ g, ...p.spectrum });
  }
  net.coupling.J.set(W);
  return {
    args, records: training.records, trainSeconds, readoutError, test, currents: cur,
    balance: { E: sumE / nCur, I: sumI / nCur, net: sumNet / nCur, index: sumNet / sumE },
    weights: { zeroE: zE / nE, zeroI: zI / nI, meanE0: mE0 / nE, meanI0: mI0 / nI, meanE: mE / nE, meanI: mI / nI },
    signViolations: training.records[training.records.length - 1].signViolations,
    spectra, frequency, targetFrequency: f0,
  };
}

/**
 * One g_test point of item 3c for the relu network dx/dt = -x + g J relu(x) + d with readout z = w . relu(x):
 * the fixed point from `x` (balancedFixedPoint) and the spectrum of g J phi'(x0) with its leading pair; then Euler
 * steps (dt) from `x` for transient + time, the output's crossing frequency over `time`, each unit's fraction of time
 * active, the cycle-averaged Jacobian's leading pair, and how often a unit's relu state differs from x0's.
 */
export function scanPoint(J: Float64Array, N: number, g: number, d: Float64Array, x: Float64Array, w: ArrayLike<number>,
  o: { dt: number; time: number; transient: number; targetStd: number }): { point: FrequencyPoint; spectrum: { re: number[]; im: number[] } | null } {
  const dt = checkPositive('dt', o?.dt), targetStd = checkPositive('targetStd', o.targetStd);
  if (w.length !== N) throw new ArgumentError('w', `${N} readout weights`, w.length);
  const fp = balancedFixedPoint(J, N, g, d, x);
  let predicted: number | null = null, leadingRe: number | null = null, spectrum: { re: number[]; im: number[] } | null = null;
  if (fp !== null) {
    const ev = eig(Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => (fp.x[j] > 0 ? g * J[i * N + j] : 0))));
    const pair = leadingPair(ev.re, ev.im);
    if (pair !== null) { predicted = pair.im / (2 * Math.PI); leadingRe = pair.re - 1; }
    spectrum = { re: Array.from(ev.re), im: Array.from(ev.im) };
  }
  const Jg = Float64Array.from(J, (v) => g * v);
  const xs = Float64Array.from(x), r = new Float64Array(N), h = new Float64Array(N), active = new Float64Array(N);
  const zs: number[] = [];
  let changed = 0;
  const steps = Math.round((checkNumber('transient', o.transient, 0) + checkPositive('time', o.time)) / dt), skip = Math.round(o.transient / dt);
  for (let s = 0; s < steps; s++) {
    for (let j = 0; j < N; j++) r[j] = xs[j] > 0 ? xs[j] : 0;
    gemm(1, N, N, r, Jg, h, { transB: true });
    for (let i = 0; i < N; i++) xs[i] += dt * (h[i] + d[i] - xs[i]);
    if (s >= skip) {
      let z = 0;
      for (let i = 0; i < N; i++) {
        if (xs[i] > 0) { z += w[i] * xs[i]; active[i]++; }
        if (fp !== null && (xs[i] > 0) !== (fp.x[i] > 0)) changed++;
      }
      zs.push(z);
    }
  }
  const samples = steps - skip;
  const cyc = eig(Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => (Jg[i * N + j] * active[j]) / samples)));
  const cpair = leadingPair(cyc.re, cyc.im);
  return {
    point: {
      g, simulated: crossingFrequency(zs, dt), predicted, leadingRe,
      predictedCycle: cpair === null ? null : cpair.im / (2 * Math.PI), leadingReCycle: cpair === null ? null : cpair.re - 1,
      stateChange: fp === null ? null : changed / (samples * N), amplitude: std(zs) / targetStd,
    },
    spectrum,
  };
}

function std(v: ArrayLike<number>): number {
  let m = 0;
  for (let t = 0; t < v.length; t++) m += v[t];
  m /= v.length;
  let s = 0;
  for (let t = 0; t < v.length; t++) s += (v[t] - m) ** 2;
  return Math.sqrt(s / v.length);
}

// ---------------------------------------------------------------------------------------------------
// Spiking network

export interface SpikingJobArgs {
  N: number;
  K: number;
  seed: number;
  /** Target: sawtooth at this frequency (Hz). */
  frequency: number;
  /** Teacher input weights u_i uniform in [-amplitude, amplitude] (threshold units for 'spiking'; teacher units for 'rate'). */
  amplitude: number;
  /**
   * The teacher (see the file header): 'rate' (default), a tanh rate network driven by the target whose smooth,
   * periodic currents the LIF neurons are trained to produce; 'spiking', the untrained LIF network driven by u f(t)
   * (full-FORCE with a spiking teacher).
   */
  teacher?: 'rate' | 'spiking';
  /** Rate teacher: gain g_T of its Gaussian coupling N(0, g_T^2 / N), time constant tau_T (s), target amplitude A (threshold units). */
  teacherGain?: number;
  teacherTau?: number;
  targetAmplitude?: number;
  /** Synaptic time constant (s). */
  tauS: number;
  /** Mean balanced rate nu_0 (Hz): the drive is (1, 0.8) x nu_0 tau_m, BalancedNetwork's default weights. */
  rate: number;
  /** Rate of each neuron's external Poisson train (Hz). */
  externalRate: number;
  intervals: number;
  /** Delta t_L (s). */
  intervalTime: number;
  ridge: number;
  readoutRidge: number;
  /** Transient (s) before training, test length (s), record every (steps). */
  transient: number;
  testTime: number;
  recordEvery: number;
  /** Raster: this many neurons (the first E ones and the first I ones in proportion). */
  rasterNeurons: number;
  /** Fano windows (s). */
  fanoWindow: number;
  showNeurons: number[];
}

export interface SpikeStats {
  /** Median over neurons with >= 3 spikes of the ISI CV, and how many neurons count. */
  cvMedian: number;
  cvNeurons: number;
  /** Per-neuron CVs (finite ones). */
  cv: number[];
  /** Median Fano factor over neurons with spikes. */
  fanoMedian: number;
  fano: number[];
  /** Mean rates (Hz) of E and I neurons. */
  rateE: number;
  rateI: number;
}

export interface SpikingJobResult {
  args: SpikingJobArgs;
  /** Rate teacher: relative change of its currents between two consecutive target periods (0: exactly periodic); NaN for 'spiking'. */
  teacherPeriodicity: number;
  records: TargetTrainingRecord[];
  trainSeconds: number;
  /** Relative error of the readout on the teacher's samples (open loop). */
  readoutError: number;
  test: TestRun;
  currents: CurrentTraces;
  balance: { E: number; I: number; net: number; index: number };
  signViolations: number;
  /** Raster of the test run: spike times (s) and row index (0 .. rasterNeurons - 1). */
  raster: { t: number[]; row: number[]; rowsE: number };
  trained: SpikeStats;
  untrained: SpikeStats;
}

function spikeStats(run: { spikeTimes: Float64Array; spikeNeurons: Int32Array; duration: number }, N: number, NE: number, window: number): SpikeStats {
  const cvAll = isiCv(run.spikeTimes, run.spikeNeurons, N);
  const cv = Array.from(cvAll).filter((v) => Number.isFinite(v));
  const fano = Array.from(spikeCountFano(run.spikeTimes, run.spikeNeurons, N, window, 0, run.duration)).filter((v) => Number.isFinite(v));
  let nE = 0, nI = 0;
  for (const j of run.spikeNeurons) (j < NE ? nE++ : nI++);
  return { cvMedian: cv.length ? median(cv) : NaN, cvNeurons: cv.length, cv, fanoMedian: fano.length ? median(fano) : NaN, fano, rateE: nE / NE / run.duration, rateI: nI / (N - NE) / run.duration };
}

/**
 * The rate teacher's currents over one target period, sampled every `dT` (P = round(1 / (f0 dT)) rows of N): a tanh
 * network tau_T dx/dt = -x + q, q = J_T tanh(x) + u f(t), J_T ~ N(0, g_T^2 / N) (seeded), Euler steps of dT from x = 0
 * for 5 periods, then one recorded period (row k: q at time k dT of a period) and one more to measure periodicity.
 */
export function rateTeacherCurrents(N: number, o: { gain: number; tau: number; frequency: number; amplitude: number; seed: number; dT?: number }): { Q: Float64Array; P: number; dT: number; rms: number; periodicity: number } {
  checkInteger('N', N, 1);
  const gT = checkNumber('gain', o?.gain, 0), tauT = checkPositive('tau', o.tau), f0 = checkPositive('frequency', o.frequency);
  const dT = checkPositive('dT', o.dT ?? 1e-3);
  const P = Math.max(2, Math.round(1 / (f0 * dT)));
  const rng = new Rng(checkInteger('seed', o.seed, 0));
  const JT = Float64Array.from({ length: N * N }, () => (rng.normal() * gT) / Math.sqrt(N));
  const u = Float64Array.from({ length: N }, () => o.amplitude * (2 * rng.uniform() - 1));
  const x = new Float64Array(N), r = new Float64Array(N), q = new Float64Array(N);
  const Q = new Float64Array(P * N), Q2 = new Float64Array(P * N);
  const k0 = dT / tauT;
  const step = (k: number, out: Float64Array | null) => {
    // the phase from the integer step within the period, so rounding never moves a sample across the reset
    const ft = sawtooth((k % P) * dT, f0);
    for (let j = 0; j < N; j++) r[j] = Math.tanh(x[j]);
    gemm(1, N, N, r, JT, q, { transB: true });
    for (let i = 0; i < N; i++) { q[i] += u[i] * ft; x[i] += k0 * (q[i] - x[i]); }
    if (out !== null) out.set(q, (k % P) * N);
  };
  let k = 0;
  for (; k < 5 * P; k++) step(k, null);
  for (; k < 6 * P; k++) step(k, Q);
  for (; k < 7 * P; k++) step(k, Q2);
  let d = 0, n = 0;
  for (let m = 0; m < P * N; m++) { d += (Q2[m] - Q[m]) ** 2; n += Q2[m] ** 2; }
  return { Q: Q2, P, dT, rms: Math.sqrt(n / (P * N)), periodicity: Math.sqrt(d / n) };
}

/** The balanced LIF network trained to a sawtooth; see the file header. */
export function spikingJob(args: SpikingJobArgs): SpikingJobResult {
  const N = checkInteger('N', args?.N, 4), K = checkInteger('K', args.K, 1), seed = checkInteger('seed', args.seed, 0);
  const tauM = 0.02, nu = checkPositive('rate', args.rate), f0 = checkPositive('frequency', args.frequency);
  const teacher = args.teacher ?? 'rate';
  if (teacher !== 'rate' && teacher !== 'spiking') throw new ArgumentError('teacher', "'rate' or 'spiking'", teacher);
  // the balanced rate network's sparse Dale coupling and drive, in units where its rates are nu tau_m
  const bal = new BalancedNetwork({ N, K, model: 'dale', seed, drive: { E: nu * tauM, I: 0.8 * nu * tauM } });
  const NE = bal.excitatory, signs = bal.columnSigns;
  const J0 = Float64Array.from(bal.coupling.J, (v) => v * tauM);
  const wX = Float64Array.from(bal.drive, (d) => d / args.externalRate);
  const make = (J: Float64Array | undefined, s: number) => {
    const n = new LifNetwork({ N, NE, coupling: J, tauM, tauS: args.tauS, refractory: 0.002, dt: 1e-4, externalRate: args.externalRate, externalWeight: wX, seed: s });
    n.randomizeVoltages();
    return n;
  };
  const dt = 1e-4, every = checkInteger('recordEvery', args.recordEvery, 1);
  const testSteps = Math.round(args.testTime / dt);
  // the untrained network (J0), same Poisson input statistics, no teaching input: variability baseline, and (rate
  // teacher) each neuron's mean recurrent current m_i in the balanced state
  const before = make(J0, seed + 4);
  before.run({ steps: Math.round(args.transient / dt) });
  const runBefore = before.run({ steps: testSteps, recordEvery: every });
  const mBal = new Float64Array(N);
  for (let k = 0; k < runBefore.samples; k++) for (let i = 0; i < N; i++) mBal[i] += runBefore.recurrent[k * N + i] / runBefore.samples;
  let teacherPeriodicity = NaN;
  // target(t, out): the recurrent current each neuron is to produce at time t; the net is driven by it while teaching
  let target: (t: number, out: Float64Array) => void;
  let net: LifNetwork;
  if (teacher === 'rate') {
    const A = checkPositive('targetAmplitude', args.targetAmplitude ?? 1);
    const T = rateTeacherCurrents(N, { gain: args.teacherGain ?? 1.2, tau: args.teacherTau ?? 0.05, frequency: f0, amplitude: args.amplitude, seed: seed + 5 });
    teacherPeriodicity = T.periodicity;
    const scale = A / T.rms;
    target = (t, out) => {
      const k = ((Math.floor(t / T.dT + 1e-9) % T.P) + T.P) % T.P;
      for (let i = 0; i < N; i++) out[i] = mBal[i] + scale * T.Q[k * N + i];
    };
    // teacher forcing: no recurrent weights while teaching, the target currents instead
    net = make(undefined, seed + 3);
  } else {
    const u = inputWeights(N, args.amplitude, seed + 1);
    target = (t, out) => { const ft = sawtooth(t, f0); for (let i = 0; i < N; i++) out[i] = u[i] * ft; };
    net = make(J0, seed + 3);
  }
  let t = 0;
  // rate teacher: the current is the whole target; spiking teacher: u f(t) on top of J0 s
  const teach = (steps: number, record: boolean) => {
    const t0 = t;
    const run = net.run({ steps, recordEvery: record ? every : 0, current: (k, out) => target(t0 + k * dt, out) });
    t += steps * dt;
    return { run, t0 };
  };
  teach(Math.round(args.transient / dt), false);
  const fit = new SignConstrainedFit({ inputs: N, outputs: N, signs, ridge: args.ridge });
  const readout = new SignConstrainedFit({ inputs: N, outputs: 1, signs: new Int8Array(N), ridge: args.readoutRidge });
  const steps = Math.round(args.intervalTime / dt);
  const started = performance.now();
  const h = new Float64Array(N);
  const training = trainByTarget({
    fit, intervals: checkInteger('intervals', args.intervals, 1),
    collect: () => {
      const { run, t0 } = teach(steps, true);
      const T = run.samples, H = new Float64Array(T * N), F = new Float64Array(T);
      for (let k = 0; k < T; k++) {
        // sample k is taken at the end of step (k + 1) every - 1, after that step's current was applied
        const tk = t0 + ((k + 1) * every - 1) * dt;
        target(tk, h);
        if (teacher === 'rate') H.set(h, k * N);
        else for (let i = 0; i < N; i++) H[k * N + i] = run.recurrent[k * N + i] + h[i];
        F[k] = sawtooth(tk, f0);
      }
      readout.accumulate(run.traces, F, T);
      return { R: run.traces, H, T };
    },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const W = training.W, w = readout.solve();
  const readoutError = readout.relativeError(w);
  net.setCoupling(W);
  const t0 = t;
  const run = net.run({ steps: testSteps, recordEvery: every, recordCurrents: true });
  const raw = { t: [] as number[], z: [] as number[], f: [] as number[] };
  const cur: CurrentTraces = { t: [], meanE: [], meanI: [], meanNet: [], neuronE: args.showNeurons.map(() => []), neuronI: args.showNeurons.map(() => []), neuronNet: args.showNeurons.map(() => []) };
  let sumE = 0, sumI = 0, sumNet = 0;
  for (let k = 0; k < run.samples; k++) {
    const tk = (k + 1) * every * dt;
    let z = 0, e = 0, inh = 0;
    for (let i = 0; i < N; i++) { z += w[i] * run.traces[k * N + i]; e += run.excitatory![k * N + i]; inh += run.inhibitory![k * N + i]; }
    e /= N; inh /= N;
    raw.t.push(tk); raw.z.push(z); raw.f.push(sawtooth(t0 + tk, f0));
    cur.t.push(tk); cur.meanE.push(e); cur.meanI.push(inh); cur.meanNet.push(e + inh);
    args.showNeurons.forEach((i, q) => { const ei = run.excitatory![k * N + i], ii = run.inhibitory![k * N + i]; cur.neuronE[q].push(ei); cur.neuronI[q].push(ii); cur.neuronNet[q].push(ei + ii); });
    sumE += e; sumI += inh; sumNet += Math.abs(e + inh);
  }
  const test = scoreTest(raw, every * dt, f0);
  // raster rows: E neurons 0.. and I neurons NE.. in proportion
  const rowsE = Math.round((args.rasterNeurons * NE) / N), rowsI = args.rasterNeurons - rowsE;
  const raster = { t: [] as number[], row: [] as number[], rowsE };
  for (let k = 0; k < run.spikeTimes.length; k++) {
    const j = run.spikeNeurons[k];
    const row = j < rowsE ? j : j >= NE && j < NE + rowsI ? rowsE + j - NE : -1;
    if (row >= 0) { raster.t.push(run.spikeTimes[k]); raster.row.push(row); }
  }
  return {
    args, teacherPeriodicity, records: training.records, trainSeconds, readoutError, test, currents: cur,
    balance: { E: sumE / run.samples, I: sumI / run.samples, net: sumNet / run.samples, index: sumNet / sumE },
    signViolations: training.records[training.records.length - 1].signViolations,
    raster,
    trained: spikeStats(run, N, NE, args.fanoWindow),
    untrained: spikeStats(runBefore, N, NE, args.fanoWindow),
  };
}

// ---------------------------------------------------------------------------------------------------
// Run time, figures and the table

/**
 * Seconds the jobs take, from this machine's measurements at load 9-15 (2026-12-06): a rate Euler step about
 * 2e-9 N^2 s, a learning interval's solve about 1.5e-7 N^3 s (warm-started pivoting), a g_test point about 2e-6 N^3 s
 * (two of lib/core's eig, 17 s each at N = 300, and up to 50 Newton steps by QR); a simulated second of the LIF
 * network about 4.3e-3 N s. `counts` rate and spiking jobs (default one each) share `workers` cores: the estimate is
 * their total over the workers, and never less than the longest single job.
 */
export function estimatedRunSeconds(rate: Pick<RateJobArgs, 'N' | 'intervals' | 'intervalTime' | 'dt' | 'transient' | 'testTime' | 'gTests' | 'scanTime' | 'scanTransient'>,
  spiking: Pick<SpikingJobArgs, 'N' | 'intervals' | 'intervalTime' | 'transient' | 'testTime'>, o: { workers: number; counts?: { rate: number; spiking: number } }): number {
  const workers = checkInteger('workers', o?.workers, 1);
  const cr = checkInteger('counts.rate', o.counts?.rate ?? 1, 0), cs = checkInteger('counts.spiking', o.counts?.spiking ?? 1, 0);
  const rSteps = (rate.transient + rate.intervals * rate.intervalTime + rate.testTime + rate.gTests.length * (rate.scanTime + rate.scanTransient)) / rate.dt;
  const rs = rSteps * rate.N ** 2 * 2e-9 + rate.intervals * rate.N ** 3 * 1.5e-7 + rate.gTests.length * rate.N ** 3 * 2e-6;
  const simSeconds = 2 * spiking.transient + spiking.intervals * spiking.intervalTime + 2 * spiking.testTime;
  const ss = simSeconds * spiking.N * 4.3e-3 + spiking.intervals * spiking.N ** 3 * 1.5e-7;
  const longest = Math.max(cr > 0 ? rs : 0, cs > 0 ? ss : 0);
  return Math.max((cr * rs + cs * ss) / workers, longest);
}

/** Relative training error (log scale) and the fraction of constrained weights at 0, per learning interval. */
export function trainingFigure(runs: readonly { label: string; records: readonly TargetTrainingRecord[] }[]): Figure {
  return line(runs.map((r) => ({ x: r.records.map((q) => q.interval + 1), y: r.records.map((q) => q.relativeError), name: `${r.label}: relative current error`, mode: 'lines+markers' as const })),
    { title: 'Fit of the target currents over learning intervals (Dale signs enforced)', xLabel: 'learning interval', yLabel: 'relative error', logY: true, xInteger: true });
}

/** Output z against target f over the test run. */
export function outputFigure(test: { t: readonly number[]; z: readonly number[]; f: readonly number[] }, o: { title: string; timeLabel: string }): Figure {
  return line([{ x: test.t, y: test.f, name: 'target f(t)', color: '#888888', dash: 'dash' }, { x: test.t, y: test.z, name: 'output z(t)', color: '#1f77b4' }],
    { title: o.title, xLabel: o.timeLabel, yLabel: 'output' });
}

/** Population-mean E, I and net input, and one neuron's (dotted) over the test run. */
export function currentsFigure(c: CurrentTraces, o: { title: string; timeLabel: string; neuron?: number }): Figure {
  const k = o.neuron ?? 0;
  const s = [
    { x: c.t, y: c.meanE, name: 'E (mean)', color: '#d62728' }, { x: c.t, y: c.meanI, name: 'I (mean)', color: '#1f77b4' }, { x: c.t, y: c.meanNet, name: 'net (mean)', color: '#000000' },
  ];
  if (c.neuronE.length > k) {
    s.push({ x: c.t, y: c.neuronE[k], name: 'E (one neuron)', color: '#ff9896' }, { x: c.t, y: c.neuronI[k], name: 'I (one neuron)', color: '#aec7e8' }, { x: c.t, y: c.neuronNet[k], name: 'net (one neuron)', color: '#7f7f7f' });
  }
  return line(s, { title: o.title, xLabel: o.timeLabel, yLabel: 'input current' });
}

/** Eigenvalues of g J phi'(x0) in the complex plane for each g, with the line Re = 1 (where -1 + lambda crosses 0). */
export function eigenFigure(spectra: readonly { g: number; re: readonly number[]; im: readonly number[] }[]): Figure {
  const series: LineSeries[] = spectra.map((s) => ({ x: s.re, y: s.im, name: `g_test = ${s.g}`, mode: 'markers' as const }));
  const ims = spectra.flatMap((s) => s.im);
  const top = ims.length ? Math.max(...ims.map(Math.abs)) : 1;
  series.push({ x: [1, 1], y: [-top, top], name: 'Re = 1 (instability)', color: '#888888', dash: 'dot' });
  return line(series, { title: "Spectrum of g_test J phi'(x0) at the fixed point", xLabel: 'Re lambda', yLabel: 'Im lambda' });
}

/** Output frequency against g_test: simulated beside the leading pair's |Im lambda| / 2 pi, and the target's. */
export function frequencyFigure(points: readonly FrequencyPoint[], targetFrequency: number): Figure {
  const withPred = points.filter((p) => p.predicted !== null), withCycle = points.filter((p) => p.predictedCycle !== null);
  const series: LineSeries[] = [
    { x: points.map((p) => p.g), y: points.map((p) => p.simulated), name: 'simulated', mode: 'lines+markers' },
    { x: withPred.map((p) => p.g), y: withPred.map((p) => p.predicted as number), name: 'fixed point: |Im lambda_1| / 2 pi', mode: 'lines+markers', dash: 'dash' },
    { x: withCycle.map((p) => p.g), y: withCycle.map((p) => p.predictedCycle as number), name: 'cycle-averaged Jacobian: |Im lambda_1| / 2 pi', mode: 'lines+markers', dash: 'dot' },
    { x: [points[0].g, points[points.length - 1].g], y: [targetFrequency, targetFrequency], name: 'target', color: '#888888', dash: 'dot' },
  ].filter((q) => q.x.length > 0) as LineSeries[];
  return line(series, { title: 'Output frequency when the trained coupling is scaled by g_test', xLabel: 'g_test', yLabel: 'frequency (1 / tau)' });
}

/** Spike raster: E rows below, I rows above. */
export function rasterFigure(r: { t: readonly number[]; row: readonly number[]; rowsE: number }, title: string): Figure {
  const pick = (e: boolean) => r.t.map((t, k) => ({ t, row: r.row[k] })).filter((p) => (p.row < r.rowsE) === e);
  const E = pick(true), I = pick(false);
  return scatter([{ x: E.map((p) => p.t), y: E.map((p) => p.row), name: 'E', color: '#d62728', size: 3 }, { x: I.map((p) => p.t), y: I.map((p) => p.row), name: 'I', color: '#1f77b4', size: 3 }],
    { title, xLabel: 'time (s)', yLabel: 'neuron' });
}

/** Empirical distribution (sorted values against their rank fraction) of ISI CVs and Fano factors, trained beside untrained. */
export function variabilityFigure(trained: SpikeStats, untrained: SpikeStats): Figure {
  const cdf = (v: readonly number[]) => { const s = [...v].sort((a, b) => a - b); return { x: s, y: s.map((_, i) => (i + 1) / s.length) }; };
  const series: LineSeries[] = [
    { ...cdf(trained.cv), name: 'ISI CV, trained', color: '#d62728' }, { ...cdf(untrained.cv), name: 'ISI CV, untrained', color: '#d62728', dash: 'dash' },
    { ...cdf(trained.fano), name: 'Fano, trained', color: '#1f77b4' }, { ...cdf(untrained.fano), name: 'Fano, untrained', color: '#1f77b4', dash: 'dash' },
  ].filter((q) => q.y.length > 0) as LineSeries[];
  // a silent network has no CV or Fano factor: say so rather than draw nothing
  if (series.length === 0) series.push({ x: [0], y: [0], name: 'no neuron fired 3 spikes', mode: 'markers' });
  return line(series, { title: 'Response variability: distribution over neurons', xLabel: 'ISI CV or spike-count Fano factor', yLabel: 'fraction of neurons' });
}

export interface ReproductionRow {
  claim: string;
  paper: string;
  measured: string;
}

/** "mean (min-max over n)" of finite values, to `digits` decimals; '-' when none. */
export function spread(values: readonly (number | null)[], digits = 3): string {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return '-';
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return v.length === 1 ? m.toFixed(digits) : `${m.toFixed(digits)} (${Math.min(...v).toFixed(digits)}-${Math.max(...v).toFixed(digits)} over ${v.length})`;
}

/**
 * The closing table: the paper's claims beside this run's numbers, as mean (min-max) over the seeds of `rates`
 * (rate networks) and `spikings` (spiking networks, rate teacher); `contrast`: spiking runs with other settings
 * (their label and result), one row each.
 */
export function reproductionRows(rates: readonly RateJobResult[], spikings: readonly SpikingJobResult[], contrast: readonly { label: string; result: SpikingJobResult }[] = []): ReproductionRow[] {
  if (rates.length === 0 || spikings.length === 0) throw new ArgumentError('rates', 'at least one rate and one spiking result', `${rates.length} and ${spikings.length}`);
  const all = [...spikings, ...contrast.map((c) => c.result)];
  const viol = Math.max(...rates.flatMap((r) => r.records.map((q) => q.signViolations)), ...all.flatMap((r) => r.records.map((q) => q.signViolations)));
  const solves = rates.reduce((a, r) => a + r.records.length, 0) + all.reduce((a, r) => a + r.records.length, 0);
  const gs = rates[0].frequency.map((p) => p.g);
  const at = (g: number, key: 'simulated' | 'predicted' | 'predictedCycle' | 'stateChange') => spread(rates.map((r) => r.frequency.find((p) => p.g === g)?.[key] ?? null), key === 'stateChange' ? 2 : 4);
  const spk = (r: SpikingJobResult) => `nrmse ${r.test.error.toFixed(3)} (first period ${r.test.firstPeriodError.toFixed(3)}), ${r.test.frequency.toFixed(3)} Hz`;
  const seeds = (v: readonly { args: { seed: number } }[]) => v.map((r) => r.args.seed).join(', ');
  return [
    { claim: "Dale's signs kept by training", paper: 'at every step [V: abstract]', measured: `${viol} wrong-signed weights after any of ${solves} interval solves (all networks)` },
    { claim: `rate network (smoothed square wave), seeds ${seeds(rates)}`, paper: 'trained to complex patterns [V: Fig 5]', measured: `normalised rmse ${spread(rates.map((r) => r.test.error))} over ${rates[0].args.testTime} tau, ${spread(rates.map((r) => r.test.firstPeriodError))} over the first period; frequency ${spread(rates.map((r) => r.test.frequency), 4)} vs ${rates[0].targetFrequency}` },
    { claim: 'rate network balance: mean E, I, |net| input', paper: 'large E and I cancel [V: Fig 3]', measured: `${spread(rates.map((r) => r.balance.E), 2)}; ${spread(rates.map((r) => r.balance.I), 2)}; ${spread(rates.map((r) => r.balance.net), 2)}` },
    { claim: 'frequency vs g_test: simulated / fixed-point pair / cycle-averaged pair', paper: 'explained by the spectrum [V: Fig 5B]', measured: gs.map((g) => `g ${g}: ${at(g, 'simulated')} / ${at(g, 'predicted')} / ${at(g, 'predictedCycle')}`).join('; ') },
    { claim: 'units whose relu state differs from the fixed point, along the cycle', paper: '-', measured: gs.map((g) => `g ${g}: ${at(g, 'stateChange')}`).join('; ') },
    { claim: `spiking network (1 Hz sawtooth, rate teacher), seeds ${seeds(spikings)}`, paper: 'N = 300 produces a 1 Hz sawtooth [V: Fig 5A]', measured: `normalised rmse ${spread(spikings.map((r) => r.test.error))} over ${spikings[0].args.testTime} s, ${spread(spikings.map((r) => r.test.firstPeriodError))} over the first period; frequency ${spread(spikings.map((r) => r.test.frequency))} Hz vs ${spikings[0].args.frequency} Hz` },
    ...contrast.map((c) => ({ claim: `spiking network, ${c.label}, seed ${c.result.args.seed}`, paper: '-', measured: spk(c.result) })),
    { claim: 'spiking balance: mean E, I, |net| input', paper: 'large E and I cancel [V: Fig 3]', measured: `${spread(spikings.map((r) => r.balance.E), 2)}; ${spread(spikings.map((r) => r.balance.I), 2)}; ${spread(spikings.map((r) => r.balance.net), 2)}` },
    { claim: 'ISI CV median: trained / untrained', paper: 'irregular firing kept, CV near 1 [V: Fig 3]', measured: `${spread(spikings.map((r) => r.trained.cvMedian), 2)} / ${spread(spikings.map((r) => r.untrained.cvMedian), 2)}` },
    { claim: 'Fano factor median: trained / untrained', paper: 'variability kept [V: abstract]', measured: `${spread(spikings.map((r) => r.trained.fanoMedian), 2)} / ${spread(spikings.map((r) => r.untrained.fanoMedian), 2)} (windows ${spikings[0].args.fanoWindow} s)` },
  ];
}
