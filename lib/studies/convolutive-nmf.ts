/**
 * Study: which convolutive-NMF solver finds sequences fastest, and which
 * sequences are real (notebooks/convolutive-nmf.ipynb; Degleris, Antin,
 * Ganguli & Williams 2019, arXiv:1907.00139; Mackevicius, Bahle et al. 2019,
 * eLife 8:e38471). The maths of the model and solvers is lib/cnmf; this file
 * holds what the notebook computes around the calls: the pool jobs, the
 * readings of a loss history, the statistics over seeds, the figures and the
 * reproduction-table rows.
 *
 *   loss at time s        lossAt(r, s)     = loss[i*], i* = max{ i : time[i] <= s }
 *                                            (the initial loss when nothing was recorded by s)
 *   time to a loss        timeToLoss(r, l) = time[i*], i* = min{ i : loss[i] <= l }, null if never
 *   band over seeds       on a time grid: median, min and max over seeds of lossAt(r, t)
 *   scaled costs          c01 = (c - min c) / (max c - min c) over the lambda sweep (0 if constant)
 *   crossing lambda       first sign change of d = recon01 - corr01 between sweep points i, i+1,
 *                         interpolated linearly in log10(lambda): f = d_i / (d_i - d_{i+1})
 *
 * Jobs: the pool addresses them as `{ module: 'lib/studies/convolutive-nmf', export: 'cnmfJob' | 'seqNmfJob' }`.
 *
 * Exports: cnmfJob, seqNmfJob, CnmfJobArgs, STUDY_MODULE, syntheticJobs, songbirdJobs,
 * groupResults, lossAt, timeToLoss, thinned, lossBand, syntheticMeasured, songbirdMeasured,
 * splitColumns, bestFit, activeBins, motifsSideBySide, factorsToShow, scaleToUnit,
 * costCrossing, estimatedRunSeconds, the figure builders (syntheticLossFigure, songbirdLossFigure, songbirdMotifsFigure,
 * loadingsFigure, spectrogramFigure, lambdaSweepFigure, seqNmfMotifsFigure) and reproductionRows,
 * with PAPER_LOSS (the authors' figures read off).
 */
import { ArgumentError, checkInteger, checkNumber, formatMedianRange, Job, median, valueRange } from '../core';
import {
  cnmf, CnmfOptions, CnmfResult, CnmfSolver, CNMF_SOLVERS, DenseMatrix, motif, seqNMF, SeqNmfOptions, SeqNmfResult,
  SyntheticOptions, syntheticSequences,
} from '../cnmf';
import { Figure, heatmap, line, LineSeries } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/convolutive-nmf';

// ---------------------------------------------------------------------------
// Worker-pool jobs (lib/core's pool calls fn(args, ctx) in a child process)

export interface CnmfJobArgs {
  /** The data, or the options of `syntheticSequences` to generate it inside the worker (saves copying large X). */
  X?: DenseMatrix;
  synthetic?: SyntheticOptions;
  /** cnmf options (functions cannot cross to a worker: no onIteration). */
  options: Omit<CnmfOptions, 'onIteration' | 'progress'>;
  /** Run one untimed iteration first so the timed run does not pay for JIT compilation (default true). */
  warmup?: boolean;
}

/** `cnmf` as a pool job: `{ module: STUDY_MODULE, export: 'cnmfJob', args }`. Reports progress by iterations or time, whichever is further. */
export function cnmfJob(args: CnmfJobArgs, ctx?: { progress(fraction: number, message?: string): void }): CnmfResult {
  const X = args.X ?? (args.synthetic ? syntheticSequences(args.synthetic).X : undefined);
  if (!X) throw new ArgumentError('args', 'X or synthetic', args);
  if (args.warmup ?? true) cnmf(X, { ...args.options, maxIterations: 1, timeLimit: undefined, targetLoss: undefined, tolerance: undefined });
  const maxIterations = args.options.maxIterations ?? 100;
  const timeLimit = args.options.timeLimit ?? Infinity;
  return cnmf(X, {
    ...args.options,
    onIteration: (it, loss, seconds) => ctx?.progress(Math.min(1, Math.max(it / maxIterations, seconds / timeLimit)), `${args.options.solver ?? 'hals'} loss ${loss.toFixed(4)}`),
  });
}

/** `seqNMF` as a pool job: `{ module: STUDY_MODULE, export: 'seqNmfJob', args: { X, options } }`. */
export function seqNmfJob(args: { X: DenseMatrix; options: Omit<SeqNmfOptions, 'progress'> }): SeqNmfResult {
  return seqNMF(args.X, args.options);
}

/** A job with the place its result takes: the data size T (part a) or the seed (part b), and the solver. */
export interface KeyedJob {
  key: number;
  solver: CnmfSolver;
  job: Job<CnmfJobArgs>;
}

/**
 * Part (a): one job per data size T and solver, all from one data seed and one
 * shared initialisation, each run to its T's budget (seconds). Longest budgets
 * first (a stable sort, so equal budgets keep T-then-solver order), so two
 * workers finish together.
 */
export function syntheticJobs(
  s: { N: number; K: number; L: number; T: readonly number[]; budgets: readonly number[]; dataSeed: number; initSeed: number },
  solvers: readonly CnmfSolver[] = CNMF_SOLVERS,
): KeyedJob[] {
  if (s.budgets.length !== s.T.length) throw new ArgumentError('budgets', `${s.T.length} budgets (one per T)`, s.budgets);
  const jobs: (KeyedJob & { budget: number })[] = [];
  s.T.forEach((T, i) => {
    for (const solver of solvers) {
      jobs.push({
        key: T, solver, budget: checkNumber('budgets', s.budgets[i], 0),
        job: {
          module: STUDY_MODULE, export: 'cnmfJob',
          args: {
            synthetic: { N: s.N, T, K: s.K, L: s.L, seed: s.dataSeed },
            options: { K: s.K, L: s.L, solver, seed: s.initSeed, maxIterations: 10000000, timeLimit: s.budgets[i] },
          },
        },
      });
    }
  });
  return jobs.sort((a, b) => b.budget - a.budget).map(({ key, solver, job }) => ({ key, solver, job }));
}

/** Part (b): one job per seed and solver on the data X, each run for `budget` seconds; seed-major order. */
export function songbirdJobs(X: DenseMatrix, s: { K: number; L: number; seeds: readonly number[]; budget: number }, solvers: readonly CnmfSolver[] = CNMF_SOLVERS): KeyedJob[] {
  const jobs: KeyedJob[] = [];
  for (const seed of s.seeds) {
    for (const solver of solvers) {
      jobs.push({ key: seed, solver, job: { module: STUDY_MODULE, export: 'cnmfJob', args: { X, options: { K: s.K, L: s.L, solver, seed, maxIterations: 10000000, timeLimit: s.budget } } } });
    }
  }
  return jobs;
}

/**
 * The results of keyed jobs (`results[i]` from `jobs[i]`) grouped two ways:
 * `byKey.get(key)[solver]` (part a: key T), and `bySolver[solver]`, the runs in
 * the order the keys first appear among the jobs (part b: one per seed, in the
 * order of the seeds given to `songbirdJobs`).
 */
export function groupResults<R>(jobs: readonly KeyedJob[], results: readonly R[]): { byKey: Map<number, Record<CnmfSolver, R>>; bySolver: Record<CnmfSolver, R[]> } {
  if (results.length !== jobs.length) throw new ArgumentError('results', `${jobs.length} results (one per job)`, results);
  const byKey = new Map<number, Record<CnmfSolver, R>>();
  for (const k of new Set(jobs.map((j) => j.key))) byKey.set(k, {} as Record<CnmfSolver, R>);
  jobs.forEach((j, i) => (byKey.get(j.key)![j.solver] = results[i]));
  const bySolver = {} as Record<CnmfSolver, R[]>;
  for (const s of CNMF_SOLVERS) {
    const runs = [...byKey.values()].filter((rec) => s in rec).map((rec) => rec[s]);
    if (runs.length > 0) bySolver[s] = runs;
  }
  return { byKey, bySolver };
}

// ---------------------------------------------------------------------------
// Reading a loss history

/** A loss history with the wall time of each entry (a `CnmfResult` is one). */
export interface LossHistory {
  lossHistory: readonly number[];
  timeHistory: readonly number[];
}

function checkHistory(r: LossHistory): void {
  if (!r || !Array.isArray(r.lossHistory) || r.lossHistory.length === 0 || r.timeHistory?.length !== r.lossHistory.length) {
    throw new ArgumentError('r', 'lossHistory and timeHistory of equal, nonzero length', r);
  }
}

/** The loss at `seconds`: the last one recorded by then (the initial loss when nothing was). */
export function lossAt(r: LossHistory, seconds: number): number {
  checkHistory(r);
  let v = r.lossHistory[0];
  for (let i = 0; i < r.timeHistory.length && r.timeHistory[i] <= seconds; i++) v = r.lossHistory[i];
  return v;
}

/** The first time the loss is at or below `target`, or null if it never is. */
export function timeToLoss(r: LossHistory, target: number): number | null {
  checkHistory(r);
  for (let i = 0; i < r.lossHistory.length; i++) if (r.lossHistory[i] <= target) return r.timeHistory[i];
  return null;
}

/**
 * Loss against time with at most `maxPoints` points (>= 2): the first, every
 * stride-th entry with stride = ceil((n - 1) / (maxPoints - 1)), and always the
 * last one (a 60 s MU run on small data records tens of thousands of iterations).
 */
export function thinned(r: LossHistory, maxPoints = 1500): { x: number[]; y: number[] } {
  checkHistory(r);
  checkInteger('maxPoints', maxPoints, 2);
  const n = r.lossHistory.length;
  const stride = Math.max(1, Math.ceil((n - 1) / (maxPoints - 1)));
  const keep = r.lossHistory.map((_, i) => i).filter((i) => i % stride === 0 || i === n - 1);
  return { x: keep.map((i) => r.timeHistory[i]), y: keep.map((i) => r.lossHistory[i]) };
}

/** On each grid time: the median, min and max over runs of `lossAt(run, t)`. */
export function lossBand(runs: readonly LossHistory[], grid: readonly number[]): { median: number[]; lower: number[]; upper: number[] } {
  if (runs.length === 0) throw new ArgumentError('runs', 'at least one run', runs);
  const atGrid = grid.map((t) => runs.map((r) => lossAt(r, t)));
  return { median: atGrid.map((v) => median(v)), lower: atGrid.map((v) => valueRange(v)[0]), upper: atGrid.map((v) => valueRange(v)[1]) };
}

// ---------------------------------------------------------------------------
// Statistics

/** Part (a) at one T: per solver the loss at the budget, the iterations, and the first time it reached MU's loss at the budget. */
export function syntheticMeasured(runs: Record<CnmfSolver, CnmfResult>, budget: number): Record<CnmfSolver, { lossAtBudget: number; iterations: number; timeToMuFinalLoss: number | null }> {
  const muFinal = lossAt(runs.mu, budget);
  const out = {} as Record<CnmfSolver, { lossAtBudget: number; iterations: number; timeToMuFinalLoss: number | null }>;
  for (const s of Object.keys(runs) as CnmfSolver[]) out[s] = { lossAtBudget: lossAt(runs[s], budget), iterations: runs[s].iterations, timeToMuFinalLoss: timeToLoss(runs[s], muFinal) };
  return out;
}

/** What part (b) reports per solver, one entry per seed. */
export interface SongbirdMeasured {
  lossAtBudget: number[];
  lossAt10s: number[];
  /** Seconds to the loss MU reached with the same seed at its full budget. */
  timeToMuFinalLoss: (number | null)[];
  timeTo056: (number | null)[];
}

/** Part (b): runs[solver][i] is seed i's run; `timeToMuFinalLoss` pairs each run with MU's run of the same seed. */
export function songbirdMeasured(runs: Record<CnmfSolver, readonly LossHistory[]>, budget: number): Record<CnmfSolver, SongbirdMeasured> {
  const out = {} as Record<CnmfSolver, SongbirdMeasured>;
  for (const s of Object.keys(runs) as CnmfSolver[]) {
    out[s] = {
      lossAtBudget: runs[s].map((r) => lossAt(r, budget)),
      lossAt10s: runs[s].map((r) => lossAt(r, Math.min(10, budget))),
      timeToMuFinalLoss: runs[s].map((r, i) => timeToLoss(r, lossAt(runs.mu[i], budget))),
      timeTo056: runs[s].map((r) => timeToLoss(r, 0.56)),
    };
  }
  return out;
}

/** Columns [0, at) and [at, T) of X (train on the first, test on the second). */
export function splitColumns(X: DenseMatrix, at: number): { train: DenseMatrix; test: DenseMatrix } {
  checkInteger('at', at, 1, X.cols - 1);
  const columns = (a: number, b: number) => {
    const d = new Float64Array(X.rows * (b - a));
    for (let n = 0; n < X.rows; n++) d.set(X.data.subarray(n * X.cols + a, n * X.cols + b), n * (b - a));
    return { rows: X.rows, cols: b - a, data: d };
  };
  return { train: columns(0, at), test: columns(at, X.cols) };
}

/** The run with the lowest final loss (the first of equals). */
export function bestFit<R extends CnmfResult>(runs: readonly R[]): R {
  if (runs.length === 0) throw new ArgumentError('runs', 'at least one run', runs);
  return runs.reduce((a, b) => (a.lossHistory[a.iterations] <= b.lossHistory[b.iterations] ? a : b));
}

/** Per row k of H (K x T): how many entries exceed `threshold`. */
export function activeBins(H: ArrayLike<number>, K: number, T: number, threshold = 1e-3): number[] {
  if (H.length !== K * T) throw new ArgumentError('H', `${K * T} entries (K x T)`, H);
  return Array.from({ length: K }, (_, k) => {
    let c = 0;
    for (let t = 0; t < T; t++) if (H[k * T + t] > threshold) c++;
    return c;
  });
}

/** The motifs `ks` of W (L x N x K lag-major) side by side as one N-row image, `gap` zero columns between them. */
export function motifsSideBySide(W: Float64Array, N: number, K: number, L: number, ks: readonly number[], gap: number): number[][] {
  checkInteger('gap', gap, 0);
  const wide = Array.from({ length: N }, () => [] as number[]);
  ks.forEach((k, i) => {
    const m = motif(W, N, K, L, k);
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) wide[n].push(m.data[n * L + l]);
      if (i < ks.length - 1) for (let g = 0; g < gap; g++) wide[n].push(0);
    }
  });
  return wide;
}

/**
 * The factors to show: the significant ones in order of p-value; when none
 * is, the `fallback` with the lowest p-values (`significant` false).
 */
export function factorsToShow(pValues: readonly number[], isSignificant: readonly boolean[], fallback = 3): { factors: number[]; significant: boolean } {
  const order = [...pValues.keys()].sort((a, b) => pValues[a] - pValues[b]);
  const shown = order.filter((k) => isSignificant[k]);
  return shown.length > 0 ? { factors: shown, significant: true } : { factors: order.slice(0, fallback), significant: false };
}

/** (v - min v) / (max v - min v); all zeros when v is constant. */
export function scaleToUnit(v: readonly number[]): number[] {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
}

/**
 * Where two curves a(x), b(x) sampled at x (e.g. the scaled costs over a lambda
 * sweep) first cross: a sweep point where they are equal, or the log-linear
 * interpolation between the first pair of points where a - b changes sign;
 * null when they never do. x must be positive.
 */
export function costCrossing(x: readonly number[], a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== x.length || b.length !== x.length) throw new ArgumentError('a, b', `${x.length} values each (one per x)`, `${a.length} and ${b.length}`);
  for (let i = 0; i + 1 < x.length; i++) {
    const d0 = a[i] - b[i];
    const d1 = a[i + 1] - b[i + 1];
    if (d0 === 0) return x[i];
    if (d0 * d1 < 0) {
      const f = d0 / (d0 - d1);
      return 10 ** (Math.log10(x[i]) + f * (Math.log10(x[i + 1]) - Math.log10(x[i])));
    }
  }
  return null;
}

/**
 * The notebook's run-time estimate in seconds: the solver runs take their
 * budgets (part a: every T's budget for each solver; part b: seeds x solvers x
 * budget), the seqNMF fits about 0.03 s per iteration, all shared by `workers`,
 * plus 30 s for loading and the significance tests.
 */
export function estimatedRunSeconds(e: {
  syntheticBudgets: readonly number[]; solvers: number; songSeeds: number; songBudget: number; seqFits: number; seqIterations: number; workers: number;
}): number {
  checkInteger('workers', e.workers, 1);
  const solverSeconds = e.syntheticBudgets.reduce((a, b) => a + b, 0) * e.solvers + e.songSeeds * e.solvers * e.songBudget;
  return solverSeconds / e.workers + (e.seqFits * e.seqIterations * 0.03) / e.workers + 30;
}

// ---------------------------------------------------------------------------
// Figures and the table

/** The losses read off the authors' figures (references/cnmf.md): relative loss at `budget` seconds. */
export const PAPER_LOSS: Readonly<Record<string, { budget: number; mu: number; hals: number; anls: number }>> = {
  'synthetic T=500': { budget: 60, mu: 0.03, hals: 0.03, anls: 0.06 },
  'synthetic T=10000': { budget: 400, mu: 0.095, hals: 0.05, anls: 0.04 },
  'synthetic T=50000': { budget: 1000, mu: 0.33, hals: 0.105, anls: 0.055 },
  'songbird': { budget: 60, mu: 0.575, hals: 0.555, anls: 0.545 },
};

function paperMarkers(ref: { budget: number; mu: number; hals: number; anls: number }, name: string): LineSeries {
  return { x: [ref.budget, ref.budget, ref.budget], y: [ref.mu, ref.hals, ref.anls], name, mode: 'markers', color: '#444' };
}

/** Part (a) at one T: each solver's loss against wall time (thinned), and the paper's read-off losses at its budget where it has some. */
export function syntheticLossFigure(runs: Record<CnmfSolver, CnmfResult>, s: { N: number; T: number; K: number; L: number }): Figure {
  const series: LineSeries[] = (Object.keys(runs) as CnmfSolver[]).map((solver) => ({ ...thinned(runs[solver]), name: solver.toUpperCase() }));
  const ref = PAPER_LOSS[`synthetic T=${s.T}`];
  if (ref) series.push(paperMarkers(ref, `paper at ${ref.budget} s (MU, HALS, ANLS)`));
  return line(series, { title: `Synthetic N=${s.N}, T=${s.T}, K=${s.K}, L=${s.L}: loss vs time`, xLabel: 'wall time (s)', yLabel: 'relative loss', logY: true });
}

/** Part (b): per solver the median over seeds of the loss reached by each time (201 grid points up to the budget), the band its range. */
export function songbirdLossFigure(runs: Record<CnmfSolver, readonly LossHistory[]>, s: { K: number; L: number; budget: number }): Figure {
  const grid = Array.from({ length: 201 }, (_, i) => (s.budget * i) / 200);
  const series: LineSeries[] = (Object.keys(runs) as CnmfSolver[]).map((solver) => {
    const b = lossBand(runs[solver], grid);
    return { x: grid, y: b.median, name: `${solver.toUpperCase()} (median of ${runs[solver].length} seeds)`, band: { lower: b.lower, upper: b.upper } };
  });
  const ref = PAPER_LOSS.songbird;
  if (s.budget >= ref.budget) series.push(paperMarkers(ref, 'paper at 60 s (MU, HALS, ANLS)'));
  return line(series, { title: `Songbird SONG, K=${s.K}, L=${s.L}: loss vs time`, xLabel: 'wall time (s)', yLabel: 'relative loss' });
}

/** Part (b): all K motifs of a fit side by side (frequency x lag), 3 empty columns between them. */
export function songbirdMotifsFigure(W: Float64Array, s: { F: number; K: number; L: number; fs: number }): Figure {
  const wide = motifsSideBySide(W, s.F, s.K, s.L, [...Array(s.K).keys()], 3);
  const motifs = Array.from({ length: s.K }, (_, k) => `motif ${k + 1}`).join(' | ');
  return heatmap(wide, { title: `The ${s.K} HALS motifs side by side (each ${s.L} bins = ${(1000 * s.L / s.fs).toFixed(0)} ms)`, xLabel: `lag bins (${motifs})`, yLabel: 'frequency bin', origin: 'bottom', colorscale: 'Greys' });
}

/** Rows `rows` of H (K x T) against time at sampling rate fs, each named by `name(k)`. */
export function loadingsFigure(H: Float64Array, T: number, fs: number, rows: readonly number[], name: (k: number) => string, title: string, yLabel: string): Figure {
  const seconds = Array.from({ length: T }, (_, t) => t / fs);
  return line(rows.map((k) => ({ x: seconds, y: H.subarray(k * T, (k + 1) * T), name: name(k) })), { title, xLabel: 'time (s)', yLabel, height: 300 });
}

/** The spectrogram X (F x T at fs), every `step`-th bin. */
export function spectrogramFigure(X: DenseMatrix, fs: number, step: number): Figure {
  checkInteger('step', step, 1);
  const F = X.rows;
  const T = X.cols;
  const spec = Array.from({ length: F }, (_, f) => Array.from({ length: Math.ceil(T / step) }, (_, j) => X.data[f * T + j * step]));
  return heatmap(spec, { title: 'Spectrogram SONG', x: Array.from({ length: spec[0].length }, (_, j) => (j * step) / fs), xLabel: 'time (s)', yLabel: 'frequency bin', origin: 'bottom', colorscale: 'Greys', height: 300 });
}

/** Part (c): the two scaled costs over the lambda sweep and the demo's lambda. */
export function lambdaSweepFigure(lambdas: readonly number[], recon01: readonly number[], corr01: readonly number[], chosen: number): Figure {
  return line([
    { x: lambdas, y: recon01, name: 'reconstruction cost (scaled)', mode: 'lines+markers' },
    { x: lambdas, y: corr01, name: 'correlation cost (scaled)', mode: 'lines+markers' },
    { x: [chosen, chosen], y: [0, 1], name: `demo's lambda = ${chosen}`, dash: 'dot', color: '#444' },
  ], { title: 'seqNMF lambda sweep on NEURAL (training frames)', xLabel: 'lambda', yLabel: 'cost scaled to [0, 1]', logX: true });
}

/** Part (c): the motifs of `factors` side by side (neuron x lag), 2 empty columns between them. */
export function seqNmfMotifsFigure(W: Float64Array, s: { N: number; K: number; L: number; seed: number }, factors: readonly number[], significant: boolean): Figure {
  const wide = motifsSideBySide(W, s.N, s.K, s.L, factors, 2);
  return heatmap(wide, { title: `seed ${s.seed}: motifs of factors ${factors.map((k) => k + 1).join(', ')} (${significant ? 'significant' : 'none significant; lowest p shown'})`, xLabel: 'lag frames, factor by factor', yLabel: 'neuron', colorscale: 'Greys' });
}

/** What the closing table reads. */
export interface ReproductionInputs {
  T: readonly number[];
  budgets: readonly number[];
  synthetic: { N: number; K: number; L: number; measured: Record<string, Record<CnmfSolver, { lossAtBudget: number }>> };
  songbird: { K: number; L: number; seeds: number; budget: number; measured: Record<CnmfSolver, SongbirdMeasured> };
  seqnmf: { lambda: number; lambdas: number; iterations: number; K: number; crossing: number | null; significantPerSeed: readonly number[]; seeds: number };
  solvers?: readonly CnmfSolver[];
}

/** The reproduction table: paper value, measured value (median and range over seeds where there are seeds) and settings. */
export function reproductionRows(r: ReproductionInputs): Record<string, string | number>[] {
  const solvers = r.solvers ?? CNMF_SOLVERS;
  const rows: Record<string, string | number>[] = [];
  r.T.forEach((T, i) => {
    const ref = PAPER_LOSS[`synthetic T=${T}`];
    for (const s of solvers) {
      rows.push({
        experiment: `synthetic T=${T}`, solver: s.toUpperCase(), quantity: 'relative loss at budget', paper: ref ? `${ref[s]} at ${ref.budget} s` : '-',
        measured: `${r.synthetic.measured[`T=${T}`][s].lossAtBudget.toFixed(4)} at ${r.budgets[i]} s`, settings: `N=${r.synthetic.N} K=${r.synthetic.K} L=${r.synthetic.L}, 1 init, 1 core per run`,
      });
    }
  });
  const b = r.songbird;
  const pb = PAPER_LOSS.songbird;
  for (const s of solvers) {
    rows.push({ experiment: 'songbird SONG', solver: s.toUpperCase(), quantity: 'relative loss at budget', paper: `${pb[s]} at 60 s`, measured: `${formatMedianRange(b.measured[s].lossAtBudget, 3)} at ${b.budget} s`, settings: `K=${b.K} L=${b.L}, ${b.seeds} seeds` });
  }
  rows.push({ experiment: 'songbird SONG', solver: 'HALS', quantity: 'loss at 10 s', paper: '~0.57', measured: formatMedianRange(b.measured.hals.lossAt10s, 3), settings: `${b.seeds} seeds` });
  rows.push({ experiment: 'songbird SONG', solver: 'MU', quantity: 'loss at 10 s', paper: '~0.68', measured: formatMedianRange(b.measured.mu.lossAt10s, 3), settings: `${b.seeds} seeds` });
  const q = r.seqnmf;
  rows.push({ experiment: 'seqNMF NEURAL', solver: 'MU + x-ortho', quantity: 'lambda where the scaled costs cross', paper: `demo picks ${q.lambda} (just above it)`, measured: q.crossing === null ? 'no crossing' : q.crossing.toExponential(2), settings: `${q.lambdas} lambdas x ${q.iterations} it` });
  rows.push({ experiment: 'seqNMF NEURAL', solver: 'MU + x-ortho', quantity: `significant factors of ${q.K}`, paper: '-', measured: formatMedianRange(q.significantPerSeed, 0), settings: `lambda ${q.lambda}, ${q.seeds} seeds, 400 nulls` });
  return rows;
}
