/**
 * Study: target-based training of recurrent rate networks, FORCE and full-FORCE
 * (notebooks/force-and-full-force.ipynb; Sussillo & Abbott 2009, "Generating coherent
 * patterns of activity from chaotic neural networks", Neuron 63:544; DePasquale, Cueva,
 * Rajan, Escola & Abbott 2018, "full-FORCE: a target-based method for training recurrent
 * networks", PLoS ONE 13:e0191527, arXiv:1710.03070). The maths is lib/circuits
 * (RateNetwork, couplings, RecursiveLeastSquares, forceRun, fullForceRun); this file holds
 * the tasks, the pool jobs, the published claims, the figures and the table. Time is in
 * units of tau; the full-FORCE tasks take tau = 10 ms, dt = 1 ms = 0.1 tau as the authors' demos.
 *
 *   sum of sines   f(t) = (1.3 / 1.5) (sin(pi t/60) + sin(2 pi t/60)/2 + sin(3 pi t/60)/6 + sin(4 pi t/60)/3)   (Sussillo's Matlab defaults)
 *   FORCE net      N = 1000, J sparse p = 0.1 with N(0, g^2/(pN)), W_fb ~ U(-1, 1), x(0) ~ N(0, 0.25), Euler dt = 0.1,
 *                  RLS every 2 steps, alpha = 1, 1440 tau of training then 1440 tau of testing
 *   oscillation    trials of 2 s (T = 200 tau): input pulse 1 for the first 50 ms, target sin(2 pi F(s)), s = t / T,
 *                  F = s (6 s + 3) for s <= 1/2 and -3 + s (15 - 6 s) after (the demos' trial_osc: a chirp up, then down)
 *   ready-set-go   two pulses (ready, set; 50 ms each) a delay d ~ U(10, 210) tau apart; the output (baseline -0.5)
 *                  must produce a bump -0.5 + 1.5 Beta(4, 4) (0.5 s long) d after set; inter-trial interval
 *                  0.4 s + Exp(mean 2 s), half before, half after (input there -0.5 on the target); hint (teacher only):
 *                  a ramp from 0 to d (seconds) from ready to the middle of set, then back to 0 at the bump
 *   produced interval   time of the output's maximum after set, minus set's end and the bump's 0.25 s rise
 *   test error     100 sum (z - f)^2 / sum f^2 over the test trials (percent), or (FORCE sines) that and the mean |z - f|
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'sinesJob' | 'oscillationJob' | 'readySetGoJob', args }`.
 * Exports: STUDY_MODULE, PAPER_CLAIMS, sumOfSines, oscillationTrial, readySetGoTrial, producedInterval,
 * sinesJob, oscillationJob, readySetGoJob (with argument and result types), convergedFraction, intervalStats,
 * estimatedRunSeconds, trainingFigure, weightChangeFigure, gainFigure, sizeFigure, oscillationTraceFigure,
 * noiseFigure, intervalFigure, intervalTraceFigure, reproductionRows.
 */
import { ArgumentError, JobContext, Rng, checkInteger, checkNumber, formatMedianRange, median, valueRange } from '../core';
import {
  DenseCoupling, RandomRateNetwork, RateNetwork, Readout, RecursiveLeastSquares, forceRun, fullForceRun, normalizedError, sparseRandomCoupling,
} from '../circuits';
import { Figure, LineSeries, line } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/force-and-full-force';

/**
 * The papers' claims that this study measures (from the papers' text and figure captions and the authors' demo
 * code; ../shared/references/network-dynamics.md section 7 lists them with their sources).
 */
export const PAPER_CLAIMS = {
  forceConverges: 'Sussillo & Abbott 2009 Fig 2: FORCE learns the four-sine target (N = 1000, g = 1.5) within ~1000 tau; the weight change |dw/dt| decays to ~0 during training',
  gainWindow: { low: 0.75, high: 1.56, text: 'Sussillo & Abbott 2009 Fig 5: training converges only for 0.75 < g < 1.56 (N = 1000)' },
  fewerUnits: 'DePasquale et al. 2018 Fig 3: on the oscillation task full-FORCE reaches a given test error with fewer units than FORCE',
  noise: 'DePasquale et al. 2018: full-FORCE networks are more robust to noise than FORCE networks',
  hints: 'DePasquale et al. 2018: with a ramp hint to the target network, ready-set-go is learned (produced interval follows the cued one); without, training fails',
} as const;

const DT = 0.1;

/** CPU seconds of this process since `start` (a pool worker runs one job at a time, so this is the job's own cost, load or not). */
function cpuSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

// ---------------------------------------------------------------------------
// Tasks

/** Sussillo & Abbott's four-sine target at time t (tau). */
export function sumOfSines(t: number): number {
  const w = Math.PI / 60;
  return (1.3 / 1.5) * (Math.sin(w * t) + Math.sin(2 * w * t) / 2 + Math.sin(3 * w * t) / 6 + Math.sin(4 * w * t) / 3);
}

/** One oscillation trial (2,000 steps of 0.1 tau): input pulse and chirp target. */
export function oscillationTrial(): { input: Float64Array; target: Float64Array; steps: number } {
  const steps = 2000, T = steps * DT;
  const input = new Float64Array(steps), target = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const t = (i + 1) * DT, s = t / T;
    const F = i < steps / 2 ? s * (6 * s + 3) : -3 + s * (15 - 6 * s);
    target[i] = Math.sin(2 * Math.PI * F);
    if (i < 50) input[i] = 1;
  }
  return { input, target, steps };
}

export interface ReadySetGoTrial {
  /** steps x 2: ready (column 0) and set (column 1) pulses. */
  input: Float64Array;
  target: Float64Array;
  /** steps x 1: the ramp (zeros without the hint). */
  hint: Float64Array;
  steps: number;
  /** The cued interval d, in steps of 0.1 tau. */
  delay: number;
  /** The step at which the set pulse ends. */
  setEnd: number;
}

/** One ready-set-go trial drawn from rng (the demos' trial_ready_set_go, in steps of 1 ms = 0.1 tau). */
export function readySetGoTrial(rng: Rng, hint: boolean): ReadySetGoTrial {
  const delay = Math.round(10 * (10 + 200 * rng.uniform()));                       // steps (0.1 tau)
  const iti = 2 * Math.round(0.5 * (400 - 2000 * Math.log(1 - rng.uniform())));   // steps: 0.4 s + Exp(mean 2 s)
  const half = iti / 2, pulse = 50, bump = 500;
  const steps = iti + 2 * pulse + 2 * delay + bump;
  const input = new Float64Array(steps * 2), target = new Float64Array(steps).fill(-0.5), h = new Float64Array(steps);
  const ready = half, set = half + pulse + delay, go = set + pulse + delay;
  for (let i = 0; i < pulse; i++) { input[(ready + i) * 2] = 1; input[(set + i) * 2 + 1] = 1; }
  const beta = (u: number) => u ** 3 * (1 - u) ** 3;                               // Beta(4, 4) up to its constant
  for (let i = 0; i < bump; i++) target[go + i] = -0.5 + 1.5 * beta(i / (bump - 1)) / beta(0.5);
  if (hint) {
    const amp = delay / 1000;                                                       // d in seconds, as the demos
    const up = delay + pulse / 2, down = delay + pulse / 2;
    for (let i = 0; i < up; i++) h[ready + pulse + i] = amp * (up > 1 ? i / (up - 1) : 1);
    for (let i = 0; i < down; i++) h[ready + pulse + up + i] = amp * (down > 1 ? 1 - i / (down - 1) : 0);
  }
  return { input, target, hint: h, steps, delay, setEnd: set + pulse };
}

/** The produced interval (steps): argmax of z after set's end, minus the bump's rise of 250 steps. */
export function producedInterval(outputs: ArrayLike<number>, setEnd: number): number {
  checkInteger('setEnd', setEnd, 0, outputs.length - 1);
  let best = setEnd;
  for (let t = setEnd; t < outputs.length; t++) if (outputs[t] > outputs[best]) best = t;
  return best - setEnd - 250;
}

// ---------------------------------------------------------------------------
// (a) FORCE on the sum of sines

export interface SinesJobArgs {
  N: number;
  g: number;
  /** Seeds: couplings `seed`, feedback weights and x(0) `seed + 1000`. */
  seed: number;
  trainTime: number;
  testTime: number;
  /** Keep every this many steps of the outputs (0: none). */
  recordEvery?: number;
  p?: number;
  alpha?: number;
  learnEvery?: number;
}

export interface SinesJobResult {
  N: number;
  g: number;
  seed: number;
  /** Test error over the whole test (percent) and mean |z - f|. */
  testError: number;
  testMae: number;
  /** Error over the last 10% of training (percent). */
  lateTrainError: number;
  /** Time axis (tau) and outputs during training and test, every recordEvery steps. */
  trainTime: number[];
  trainOutput: number[];
  testTimes: number[];
  testOutput: number[];
  /** Mean |Delta w| per update in bins of 10 tau over training (bin centres). */
  weightChangeTime: number[];
  weightChange: number[];
  readoutNorm: number;
  seconds: number;
  /** CPU seconds (the job's cost on an idle core). */
  cpuSeconds: number;
}

export async function sinesJob(a: SinesJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<SinesJobResult> {
  const started = Date.now(), cpu = process.cpuUsage();
  const N = checkInteger('N', a.N, 1), g = checkNumber('g', a.g, 0);
  const steps = Math.round(checkNumber('trainTime', a.trainTime, DT) / DT), testSteps = Math.round(checkNumber('testTime', a.testTime, DT) / DT);
  const every = a.recordEvery ?? 0;
  const rng = new Rng(a.seed + 1000);
  const feedbackWeights = rng.uniformArray(N, -1, 1, 'float64') as Float64Array;
  const x = rng.normalArray(N, 0, 0.5, 'float64') as Float64Array;
  const readout = new Readout(1, N);
  const net = new RateNetwork({ coupling: sparseRandomCoupling({ N, p: a.p ?? 0.1, g, seed: a.seed }), readout, feedbackWeights });
  const target = Float64Array.from({ length: steps }, (_, t) => sumOfSines(t * DT));
  const testTarget = Float64Array.from({ length: testSteps }, (_, t) => sumOfSines((steps + t) * DT));
  ctx?.progress?.(0);
  const tr = forceRun(net, x, { dt: DT, steps, target, rls: new RecursiveLeastSquares({ N, alpha: a.alpha ?? 1 }), learnEvery: a.learnEvery ?? 2 });
  ctx?.progress?.(0.6);
  const te = forceRun(net, x, { dt: DT, steps: testSteps, target: testTarget });
  ctx?.progress?.(1);
  const late = Math.max(1, Math.round(steps / 10));
  let mae = 0;
  for (let t = 0; t < testSteps; t++) mae += Math.abs(te.outputs[t] - testTarget[t]);
  const pick = (arr: Float64Array, offset: number) => {
    const times: number[] = [], vals: number[] = [];
    if (every > 0) for (let t = 0; t < arr.length; t += every) { times.push((offset + t) * DT); vals.push(arr[t]); }
    return { times, vals };
  };
  const trainRec = pick(tr.outputs, 0), testRec = pick(te.outputs, steps);
  const bin = Math.round(10 / DT), wcT: number[] = [], wc: number[] = [];
  for (let s = 0; s < steps; s += bin) {
    let sum = 0, n = 0;
    for (let t = s; t < Math.min(steps, s + bin); t++) if (tr.weightChange[t] > 0) { sum += tr.weightChange[t]; n++; }
    wcT.push((s + bin / 2) * DT);
    wc.push(n ? sum / n : 0);
  }
  let norm = 0;
  for (const w of readout.W) norm += w * w;
  return {
    N, g, seed: a.seed,
    testError: normalizedError(te.outputs, testTarget), testMae: mae / testSteps,
    lateTrainError: normalizedError(tr.outputs.subarray(steps - late), target.subarray(steps - late)),
    trainTime: trainRec.times, trainOutput: trainRec.vals, testTimes: testRec.times, testOutput: testRec.vals,
    weightChangeTime: wcT, weightChange: wc, readoutNorm: Math.sqrt(norm), seconds: (Date.now() - started) / 1000, cpuSeconds: cpuSince(cpu),
  };
}

/** Fraction of runs whose test error (percent) is below `threshold`. */
export function convergedFraction(errors: readonly number[], threshold: number): number {
  if (errors.length === 0) throw new ArgumentError('errors', 'at least one test error', errors);
  return errors.filter((e) => e < threshold).length / errors.length;
}

// ---------------------------------------------------------------------------
// (b) full-FORCE against FORCE on the oscillation task

export interface OscillationJobArgs {
  method: 'full-force' | 'force';
  N: number;
  /** Seeds: J_D `seed`; u_in, u_out, x(0) `seed + 1000`; noise `seed + 2000`; RLS schedule `seed + 3000`. */
  seed: number;
  trainTrials: number;
  testTrials: number;
  initTrials: number;
  /** sigma of the white noise on the task network's units (per sqrt tau; default 0). */
  noise?: number;
  /** Gain of J_D (default 1.5). */
  gr?: number;
  /** RLS probability per step (default 1/2, the demos' DTRLS = 2). */
  learnProbability?: number;
  alpha?: number;
  /** Return the last test trial's output (for a figure). */
  keepLastTrial?: boolean;
}

export interface OscillationJobResult {
  method: 'full-force' | 'force';
  N: number;
  seed: number;
  noise: number;
  testError: number;
  lastTrial: number[];
  seconds: number;
  cpuSeconds: number;
}

/** The demos' random draws: J_D = g_r J (J ~ N(0, 1/N)), u_out, u_in (and the hint's) ~ U(-1, 1), x(0) ~ N(0, 1). */
function draws(N: number, seed: number, gr: number, inputs: number, hints: number) {
  const JD = new RandomRateNetwork({ N, g: gr, seed }).coupling();
  const rng = new Rng(seed + 1000);
  const uOut = rng.uniformArray(N, -1, 1, 'float64') as Float64Array;
  const uIn = rng.uniformArray(N * inputs, -1, 1, 'float64') as Float64Array;
  const uHint = rng.uniformArray(N * hints, -1, 1, 'float64') as Float64Array;
  const x0 = rng.normalArray(N, 0, 1, 'float64') as Float64Array;
  return { JD, uOut, uIn, uHint, x0 };
}

export async function oscillationJob(a: OscillationJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<OscillationJobResult> {
  const started = Date.now(), cpu = process.cpuUsage();
  const N = checkInteger('N', a.N, 1), noise = checkNumber('noise', a.noise ?? 0, 0);
  const { JD, uOut, uIn, x0 } = draws(N, a.seed, a.gr ?? 1.5, 1, 0);
  const trial = oscillationTrial();
  const readout = new Readout(1, N);
  const rls = new RecursiveLeastSquares({ N, alpha: a.alpha ?? 1 });
  const schedule = { learnProbability: a.learnProbability ?? 0.5, seed: a.seed + 3000 };
  const total = a.initTrials + a.trainTrials + a.testTrials;
  let err = 0, pow = 0, lastTrial: number[] = [];
  const x = Float64Array.from(x0);
  let runTrial: (phase: 'init' | 'train' | 'test') => Float64Array;
  if (a.method === 'full-force') {
    const teacher = new RateNetwork({ coupling: JD, inputWeights: uOut, inputs: 1 });
    const learner = new RateNetwork({ coupling: new DenseCoupling(new Float64Array(N * N), N), inputWeights: uIn, inputs: 1, readout, noise, seed: a.seed + 2000 });
    const xT = Float64Array.from(x0);
    runTrial = (phase) => fullForceRun(teacher, learner, xT, x, {
      dt: DT, steps: trial.steps, target: trial.target, teacherInputs: trial.target, inputs: trial.input,
      rls: phase === 'train' ? rls : null, teacherForced: phase === 'init', ...schedule,
    }).outputs;
  } else if (a.method === 'force') {
    const net = new RateNetwork({ coupling: JD, inputWeights: uIn, inputs: 1, readout, feedbackWeights: uOut, noise, seed: a.seed + 2000 });
    runTrial = (phase) => forceRun(net, x, {
      dt: DT, steps: trial.steps, target: trial.target, inputs: trial.input, rls: phase === 'train' ? rls : null, teacherForced: phase === 'init', ...schedule,
    }).outputs;
  } else throw new ArgumentError('method', "'full-force' or 'force'", a.method);
  for (let k = 0; k < total; k++) {
    const phase = k < a.initTrials ? 'init' : k < a.initTrials + a.trainTrials ? 'train' : 'test';
    const z = runTrial(phase);
    if (phase === 'test') {
      for (let t = 0; t < trial.steps; t++) { const d = z[t] - trial.target[t]; err += d * d; pow += trial.target[t] ** 2; }
      if (a.keepLastTrial && k === total - 1) lastTrial = Array.from(z);
    }
    ctx?.progress?.((k + 1) / total);
  }
  return { method: a.method, N, seed: a.seed, noise, testError: (100 * err) / pow, lastTrial, seconds: (Date.now() - started) / 1000, cpuSeconds: cpuSince(cpu) };
}

// ---------------------------------------------------------------------------
// (c) ready-set-go with and without a hint

export interface ReadySetGoJobArgs {
  N: number;
  hint: boolean;
  /** Seeds: J_D `seed`; input weights and x(0) `seed + 1000`; trials `seed + 4000`; RLS schedule `seed + 3000`. */
  seed: number;
  trainTrials: number;
  testTrials: number;
  initTrials: number;
  gr?: number;
  /** Default 1 (the demo's DTRLS = 1). */
  learnProbability?: number;
  alpha?: number;
  /** How many test trials to return as traces (default 0). */
  keepExamples?: number;
}

export interface ReadySetGoJobResult {
  N: number;
  hint: boolean;
  seed: number;
  /** Per test trial, in tau. */
  cued: number[];
  produced: number[];
  testError: number;
  /** Error of each training trial (percent, while RLS learns): whether training converges. */
  trainErrors: number[];
  /** The first test trials (up to `keepExamples`), every 10th step (1 tau): output, target, set's end (step). */
  examples: { delay: number; setEnd: number; z: number[]; f: number[] }[];
  seconds: number;
  cpuSeconds: number;
}

export async function readySetGoJob(a: ReadySetGoJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<ReadySetGoJobResult> {
  const started = Date.now(), cpu = process.cpuUsage();
  const N = checkInteger('N', a.N, 1);
  const { JD, uOut, uIn, uHint, x0 } = draws(N, a.seed, a.gr ?? 1.5, 2, 1);
  const teacherIn = new Float64Array(N * 2);
  for (let i = 0; i < N; i++) { teacherIn[2 * i] = uOut[i]; teacherIn[2 * i + 1] = uHint[i]; }
  const teacher = new RateNetwork({ coupling: JD, inputWeights: teacherIn, inputs: 2 });
  const learner = new RateNetwork({ coupling: new DenseCoupling(new Float64Array(N * N), N), inputWeights: uIn, inputs: 2, readout: new Readout(1, N) });
  const rls = new RecursiveLeastSquares({ N, alpha: a.alpha ?? 1 });
  const xT = Float64Array.from(x0), x = Float64Array.from(x0);
  const trials = new Rng(a.seed + 4000);
  const total = a.initTrials + a.trainTrials + a.testTrials;
  const cued: number[] = [], produced: number[] = [], trainErrors: number[] = [];
  const examples: ReadySetGoJobResult['examples'] = [], keep = a.keepExamples ?? 0;
  let err = 0, pow = 0;
  for (let k = 0; k < total; k++) {
    const phase = k < a.initTrials ? 'init' : k < a.initTrials + a.trainTrials ? 'train' : 'test';
    const tr = readySetGoTrial(trials, a.hint);
    const teacherInputs = new Float64Array(tr.steps * 2);
    for (let t = 0; t < tr.steps; t++) { teacherInputs[2 * t] = tr.target[t]; teacherInputs[2 * t + 1] = tr.hint[t]; }
    const z = fullForceRun(teacher, learner, xT, x, {
      dt: DT, steps: tr.steps, target: tr.target, teacherInputs, inputs: tr.input,
      rls: phase === 'train' ? rls : null, teacherForced: phase === 'init', learnProbability: a.learnProbability ?? 1, seed: a.seed + 3000 + k,
    }).outputs;
    if (phase === 'train') trainErrors.push(normalizedError(z, tr.target));
    if (phase === 'test') {
      cued.push(tr.delay * DT);
      produced.push(producedInterval(z, tr.setEnd) * DT);
      for (let t = 0; t < tr.steps; t++) { const d = z[t] - tr.target[t]; err += d * d; pow += tr.target[t] ** 2; }
      if (examples.length < keep) {
        const every10 = (v: Float64Array) => Array.from(v).filter((_, i) => i % 10 === 0);
        examples.push({ delay: tr.delay, setEnd: tr.setEnd, z: every10(z), f: every10(tr.target) });
      }
    }
    ctx?.progress?.((k + 1) / total);
  }
  return { N, hint: a.hint, seed: a.seed, cued, produced, testError: (100 * err) / pow, trainErrors, examples, seconds: (Date.now() - started) / 1000, cpuSeconds: cpuSince(cpu) };
}

// ---------------------------------------------------------------------------
// Run time

/**
 * Rough run time (s) on `workers` idle cores, from the CPU seconds per step of jobs on this machine (2026-12-06,
 * one BLAS thread, the add-on's gemv; CPU time, so the load does not enter): FORCE sines (sparse p = 0.1, RLS every
 * 2 steps) 4e-7 N + 4e-10 N^2 s per step (764 us measured at N = 1,000); oscillation, full-FORCE (two networks, RLS
 * on half the steps) 4e-5 + 1e-9 N^2 s (45 / 65 / 115 us at N = 100 / 200 / 300), FORCE (one network) 2.5e-5 +
 * 6e-10 N^2 s (27 / 44 / 66 us); ready-set-go (RLS every step) 4e-5 + 1.1e-9 N^2 s. A ready-set-go trial averages
 * 5,200 steps. The figures are rounded up: a job's own `cpuSeconds` is the measurement.
 */
export function estimatedRunSeconds(e: {
  sines: { N: number; steps: number }[]; oscillation: { N: number; steps: number; method: 'full-force' | 'force' }[]; readySetGo: { N: number; steps: number }[]; workers: number;
}): number {
  let s = 0;
  for (const r of e.sines) s += r.steps * (4e-7 * r.N + 4e-10 * r.N * r.N);
  for (const r of e.oscillation) s += r.steps * (r.method === 'force' ? 2.5e-5 + 6e-10 * r.N * r.N : 4e-5 + 1e-9 * r.N * r.N);
  for (const r of e.readySetGo) s += r.steps * (4e-5 + 1.1e-9 * r.N * r.N);
  return s / checkInteger('workers', e.workers, 1);
}

// ---------------------------------------------------------------------------
// Figures and the table

/** Output against target during training (first and last 200 tau) and after training (first 200 tau of the test). */
export function trainingFigure(r: SinesJobResult): Figure {
  const series: LineSeries[] = [];
  const sel = (t: number[], v: number[], lo: number, hi: number) => {
    const idx = t.map((_, i) => i).filter((i) => t[i] >= lo && t[i] < hi);
    return { x: idx.map((i) => t[i]), y: idx.map((i) => v[i]) };
  };
  const end = r.trainTime.length ? r.trainTime[r.trainTime.length - 1] : 0;
  const testStart = r.testTimes.length ? r.testTimes[0] : end;
  for (const [lo, hi, what] of [[0, 200, 'training start'], [end - 200, end + 1, 'training end']] as const) {
    const s = sel(r.trainTime, r.trainOutput, lo, hi);
    series.push({ ...s, name: `z, ${what}` });
  }
  const s = sel(r.testTimes, r.testOutput, testStart, testStart + 200);
  series.push({ ...s, name: 'z, after training (no learning)' });
  const all = [...r.trainTime.filter((t) => t < 200 || t >= end - 200), ...s.x];
  series.push({ x: all, y: all.map(sumOfSines), name: 'target f(t)', dash: 'dot', color: '#222', mode: 'markers' });
  return line(series, { title: `FORCE, sum of four sines (N = ${r.N}, g = ${r.g}, seed ${r.seed})`, xLabel: 't (tau)', yLabel: 'z' });
}

/** Mean |Delta w| per update in 10-tau bins over training. */
export function weightChangeFigure(runs: readonly SinesJobResult[]): Figure {
  return line(runs.map((r) => ({ x: r.weightChangeTime, y: r.weightChange, name: `seed ${r.seed}` })), {
    title: 'Readout weight change during FORCE training', xLabel: 't (tau)', yLabel: '|Delta w| per update', logY: true,
  });
}

/** Test error (median and range over seeds) against g, with the paper's window. */
export function gainFigure(runs: readonly SinesJobResult[]): Figure {
  const gs = [...new Set(runs.map((r) => r.g))].sort((a, b) => a - b);
  const per = gs.map((g) => runs.filter((r) => r.g === g).map((r) => Math.max(r.testError, 1e-4)));
  const lo = per.map((v) => valueRange(v)[0]), hi = per.map((v) => valueRange(v)[1]), med = per.map((v) => median(v));
  const top = Math.max(...hi, 100);
  const w = PAPER_CLAIMS.gainWindow;
  return line([
    { x: gs, y: med, band: { lower: lo, upper: hi }, name: 'test error (median, range over seeds)', mode: 'lines+markers' },
    { x: [w.low, w.low, w.high, w.high], y: [1e-4, top, top, 1e-4], name: `paper's window ${w.low} < g < ${w.high}`, dash: 'dash', color: '#888' },
  ], { title: 'FORCE test error against g (sum of four sines)', xLabel: 'g', yLabel: 'test error (% of target power)', logY: true });
}

function byMethod(runs: readonly OscillationJobResult[], key: 'N' | 'noise'): LineSeries[] {
  return (['full-force', 'force'] as const).map((m) => {
    const xs = [...new Set(runs.filter((r) => r.method === m).map((r) => r[key]))].sort((a, b) => a - b);
    const per = xs.map((x) => runs.filter((r) => r.method === m && r[key] === x).map((r) => Math.max(r.testError, 1e-4)));
    return { x: xs, y: per.map((v) => median(v)), band: { lower: per.map((v) => valueRange(v)[0]), upper: per.map((v) => valueRange(v)[1]) },
      name: m === 'full-force' ? 'full-FORCE' : 'FORCE', mode: 'lines+markers' as const };
  });
}

/** Test error against N (median and range over seeds), full-FORCE beside FORCE. */
export function sizeFigure(runs: readonly OscillationJobResult[]): Figure {
  return line(byMethod(runs.filter((r) => r.noise === 0), 'N'), { title: 'Oscillation task: test error against network size', xLabel: 'N', yLabel: 'test error (%)', logY: true });
}

/** The last test trial's output of each run that kept it, against the target. */
export function oscillationTraceFigure(runs: readonly OscillationJobResult[]): Figure {
  const { target } = oscillationTrial();
  const t = Array.from(target, (_, i) => (i + 1) * DT);
  return line([
    ...runs.filter((r) => r.lastTrial.length).map((r) => ({ x: t, y: r.lastTrial, name: `${r.method === 'full-force' ? 'full-FORCE' : 'FORCE'} (N = ${r.N}, seed ${r.seed})` })),
    { x: t, y: Array.from(target), name: 'target', dash: 'dot' as const, color: '#222' },
  ], { title: 'Oscillation task: last test trial', xLabel: 't (tau)', yLabel: 'z' });
}

/** Test error against the noise sigma (runs with sigma > 0, on a log axis; the noise-free runs are the size figure's). */
export function noiseFigure(runs: readonly OscillationJobResult[]): Figure {
  const noisy = runs.filter((r) => r.noise > 0);
  return line(byMethod(noisy, 'noise'), { title: `Oscillation task: test error against noise (N = ${noisy[0]?.N})`, xLabel: 'noise sigma (per sqrt tau)', yLabel: 'test error (%)', logX: true, logY: true });
}

/** Produced against cued intervals, with and without the hint, and the identity. */
export function intervalFigure(runs: readonly ReadySetGoJobResult[]): Figure {
  const all = runs.flatMap((r) => r.cued);
  const lo = Math.min(10, ...all), hi = Math.max(210, ...all);
  return line([
    ...runs.map((r) => ({ x: r.cued, y: r.produced, name: `${r.hint ? 'with' : 'without'} hint (N = ${r.N}, seed ${r.seed})`, mode: 'markers' as const })),
    { x: [lo, hi], y: [lo, hi], name: 'produced = cued', dash: 'dash', color: '#888' },
  ], { title: 'Ready-set-go: produced against cued interval', xLabel: 'cued interval (tau)', yLabel: 'produced interval (tau)' });
}

/** The first example test trial of each run: output and target against time from the trial's start (tau), set's end marked. */
export function intervalTraceFigure(runs: readonly ReadySetGoJobResult[]): Figure {
  const series: LineSeries[] = [];
  const first = runs.find((q) => q.examples.length);
  for (const r of runs) {
    const ex = r.examples[0];
    if (!ex) continue;
    const t = ex.z.map((_, i) => i);
    series.push({ x: t, y: ex.z, name: `z, ${r.hint ? 'with' : 'without'} hint (cued ${(ex.delay * DT).toFixed(0)} tau)` });
    if (r === first) {
      series.push({ x: t, y: ex.f, name: 'target', dash: 'dot', color: '#222' });
      series.push({ x: [ex.setEnd * DT, ex.setEnd * DT], y: [-0.6, 1.1], name: "set's end", dash: 'dash', color: '#888' });
    }
  }
  return line(series, { title: 'Ready-set-go: first test trial', xLabel: 't (tau)', yLabel: 'z' });
}

/**
 * Pearson correlation, least-squares slope of produced on cued, and mean |produced - cued| of one run. The slope
 * tells a timed response (1) from a fixed one (0); the correlation alone can be high for a network that produces
 * one interval for every cue but a shorter one for the shortest cues.
 */
export function intervalStats(r: Pick<ReadySetGoJobResult, 'cued' | 'produced'>): { correlation: number; slope: number; meanAbsError: number } {
  const n = r.cued.length;
  if (n < 2 || r.produced.length !== n) throw new ArgumentError('cued', 'at least 2 trials, as many as produced', n);
  const mx = r.cued.reduce((s, v) => s + v, 0) / n, my = r.produced.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0, mae = 0;
  for (let i = 0; i < n; i++) {
    const dx = r.cued[i] - mx, dy = r.produced[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy; mae += Math.abs(r.produced[i] - r.cued[i]);
  }
  return { correlation: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0, slope: sxx > 0 ? sxy / sxx : 0, meanAbsError: mae / n };
}

/** Paper claims beside measured numbers. */
export function reproductionRows(r: {
  sines: readonly SinesJobResult[]; gainRuns: readonly SinesJobResult[]; oscillation: readonly OscillationJobResult[]; readySetGo: readonly ReadySetGoJobResult[];
  convergedBelow: number; settings: { sines: string; oscillation: string; readySetGo: string };
}): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  const fmt = (v: readonly number[]) => formatMedianRange(v, { digits: 3 });
  if (r.sines.length) {
    rows.push({ claim: PAPER_CLAIMS.forceConverges, measured: `test error ${fmt(r.sines.map((s) => s.testError))} % (mean |z - f| ${fmt(r.sines.map((s) => s.testMae))}) over ${r.sines.length} seeds`, settings: r.sines === undefined ? '' : r.settings.sines });
  }
  if (r.gainRuns.length) {
    const gs = [...new Set(r.gainRuns.map((s) => s.g))].sort((a, b) => a - b);
    const conv = gs.map((g) => `${g}: ${convergedFraction(r.gainRuns.filter((s) => s.g === g).map((s) => s.testError), r.convergedBelow).toFixed(2)}`);
    rows.push({ claim: PAPER_CLAIMS.gainWindow.text, measured: `fraction of seeds with test error < ${r.convergedBelow}% at g = ${conv.join(', ')}`, settings: r.settings.sines });
  }
  const clean = r.oscillation.filter((o) => o.noise === 0);
  if (clean.length) {
    const Ns = [...new Set(clean.map((o) => o.N))].sort((a, b) => a - b);
    const text = Ns.map((N) => `N = ${N}: fF ${fmt(clean.filter((o) => o.N === N && o.method === 'full-force').map((o) => o.testError))}, F ${fmt(clean.filter((o) => o.N === N && o.method === 'force').map((o) => o.testError))}`);
    rows.push({ claim: PAPER_CLAIMS.fewerUnits, measured: `test error (%) ${text.join('; ')}`, settings: r.settings.oscillation });
  }
  const noisy = r.oscillation.filter((o) => o.noise > 0);
  if (noisy.length) {
    const sig = [...new Set(noisy.map((o) => o.noise))].sort((a, b) => a - b);
    const text = sig.map((s) => `sigma ${s}: fF ${fmt(noisy.filter((o) => o.noise === s && o.method === 'full-force').map((o) => o.testError))}, F ${fmt(noisy.filter((o) => o.noise === s && o.method === 'force').map((o) => o.testError))}`);
    rows.push({ claim: PAPER_CLAIMS.noise, measured: `test error (%) ${text.join('; ')}`, settings: `${r.settings.oscillation}, N = ${noisy[0].N}` });
  }
  for (const g of r.readySetGo) {
    const s = intervalStats(g);
    rows.push({ claim: g.hint ? PAPER_CLAIMS.hints : `${PAPER_CLAIMS.hints} (no-hint arm)`, measured: `${g.hint ? 'with' : 'without'} hint (N = ${g.N}, seed ${g.seed}): slope of produced on cued ${s.slope.toFixed(2)}, corr ${s.correlation.toFixed(2)}, mean |produced - cued| ${s.meanAbsError.toFixed(1)} tau, test error ${g.testError.toFixed(1)} % (${g.cued.length} test trials)`, settings: r.settings.readySetGo });
  }
  return rows;
}
