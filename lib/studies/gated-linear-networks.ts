/**
 * Study: the implicit bias of gradient descent on gated linear networks
 * (Lippl, Abbott & Chung 2022, arXiv 2202.02649; notebooks/gated-linear-networks.ipynb).
 * The networks and the max-margin solvers are lib/rules/gated-linear's.
 *
 * Data: binary MNIST, digits 0-4 (y = +1) against 5-9 (y = -1). MNIST's
 * 60,000 training images are permuted once (split seed 0); the first
 * `validation` are the held-out set (the authors carve 12,000 from the
 * training file too), the training examples are the first n of the rest
 * after a second permutation by the run's seed (so smaller sets are nested
 * in larger ones). Features: pixels p in [0, 1] averaged over
 * downsample x downsample blocks, mapped to 2p - 1, a constant 1 appended,
 * all divided by sqrt(d) (d = inputs + 1). Gates: the authors' "median
 * init" -- random normals, each threshold at the median of a . x over the
 * training examples (lib/rules medianGates), so every hyperplane halves
 * the training set.
 *
 * glnJob trains one network by full-batch GD on the logistic loss and solves
 * the max-margin problem(s) its architecture predicts, on the same data:
 *   shallow  one unit, k hyperplanes: GD beside the L2 max margin;
 *   deep     H units, k hyperplanes: GD beside the group-norm ("GLN") max
 *            margin, and the plain L2 norm on the same features (SVM-L2);
 *   relu     bias-free ReLU net of width H: GD beside the group-norm max
 *            margin of its own final activation pattern taken as gates.
 * Read as: validation error = fraction of sign(f(x)) != y; agreement = the
 * fraction of validation examples on which GD and the max-margin function
 * predict the same sign.
 *
 * Exports: STUDY_MODULE, PAPER_VALUES, mnistFeatures, binaryMnist, errorRate,
 * agreement, glnJob, seedSummary, sizeFigure, widthFigure, agreementFigure,
 * estimatedRunSeconds, reproductionRows.
 */
import { ArgumentError, checkInteger, formatMedianRange, median, Rng } from '../core';
import { loadMnist } from '../data';
import { Figure, line, LineSeries } from '../plot';
import { gatedLinearNetwork, glnMaxMargin, glnMaxMarginOutputs, glnOutputs, medianGates, randomGates, reluGates, reluLossAndGradients, reluNetwork, trainGln, trainRelu } from '../rules/gated-linear'; // not the rules index: a pool worker need not load tfjs

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/gated-linear-networks';

/**
 * The authors' figure values (validation error, binary MNIST 0-4 vs 5-9), as
 * read off figures 2c, 2d and 3 in `../shared/references/learning-theory.md`
 * section 3 (read from the plotted figures, not checked against the authors'
 * metric CSVs; approximate to about a point). null where the figure gives none.
 */
export const PAPER_VALUES = {
  /** Fig. 2c, n = 2000 and n = 500: shallow GLN (GD, L2 max margin). */
  shallow: { 2000: { gd: 0.14, svm: 0.155 }, 500: { gd: null, svm: 0.205 } },
  /** Fig. 2c: deep GLN, GD = SVM-GLN; the L2-norm SVM on the same features. */
  deep: { 2000: { gd: 0.08, svmGroup: 0.08, svmL2: 0.1 }, 500: { gd: 0.1375, svmGroup: 0.1375, svmL2: 0.138 } },
  /** Fig. 2d, 2000 examples: SVM-L2 at 10 units; GD and SVM-GLN at 100 units. */
  width: { svmL2At10: 0.325, gdAt100: 0.08, svmGroupAt100: 0.08 },
  /** Fig. 2a/b: per-example disagreement between finite-time GD and the SVM. */
  disagreement: '10-35% of examples (fig. 2a/b); repo example: shallow, k = 3, 2000 examples, 75% agreement',
  /** Fig. 3, ReLU with 100 hidden units: GD error by n; the learned-gates SVM at 2000. */
  relu: { gd: { 2000: 0.055, 1000: 0.075, 500: 0.11 }, svmLearnedGates2000: 0.053, disagreement: '< 1%' },
} as const;

// ------------------------------------------------------------------ data

/**
 * Features of `count` 28 x 28 images with pixels in [0, 1] (header): block
 * means over downsample x downsample, 2p - 1, a constant 1, all / sqrt(d).
 */
export function mnistFeatures(images: Float32Array | Float64Array, count: number, downsample: 1 | 2 | 4): { X: Float64Array; dim: number } {
  checkInteger('count', count, 1);
  if (downsample !== 1 && downsample !== 2 && downsample !== 4) throw new ArgumentError('downsample', '1, 2 or 4', downsample);
  if (images.length < count * 784) throw new ArgumentError('images', `at least ${count} x 784 pixels`, images.length);
  const side = 28 / downsample;
  const dim = side * side + 1;
  const scale = 1 / Math.sqrt(dim);
  const X = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
      let s = 0;
      for (let a = 0; a < downsample; a++) for (let b = 0; b < downsample; b++) s += images[i * 784 + (r * downsample + a) * 28 + c * downsample + b];
      X[i * dim + r * side + c] = (2 * s / (downsample * downsample) - 1) * scale;
    }
    X[i * dim + dim - 1] = scale;
  }
  return { X, dim };
}

export interface BinaryMnist {
  X: Float64Array; y: Float64Array; n: number;
  Xval: Float64Array; yval: Float64Array; nval: number;
  dim: number;
  /** Positions in MNIST's training file of the training and validation images. */
  trainIndices: Int32Array; valIndices: Int32Array;
}

/** The split of the header: `validation` held out by split seed 0, then n training examples by `seed`. */
export function binaryMnist(o: { n: number; validation: number; downsample: 1 | 2 | 4; seed: number }): BinaryMnist {
  const n = checkInteger('n', o.n, 1);
  const validation = checkInteger('validation', o.validation, 1);
  if (n + validation > 60000) throw new ArgumentError('n', `at most ${60000 - validation} training examples beside ${validation} validation images`, n);
  const ds = loadMnist({ split: 'train', normalize: 'unit' });
  const order = new Rng(0).permutation(ds.count);
  const valIndices = Int32Array.from(order.slice(0, validation));
  const rest = order.slice(validation);
  const pick = new Rng(checkInteger('seed', o.seed, 0)).permutation(rest.length);
  const trainIndices = Int32Array.from({ length: n }, (_, i) => rest[pick[i]]);
  const gather = (idx: Int32Array) => {
    const imgs = new Float32Array(idx.length * 784);
    idx.forEach((k, i) => imgs.set(ds.images.subarray(k * 784, (k + 1) * 784), i * 784));
    return { ...mnistFeatures(imgs, idx.length, o.downsample), y: Float64Array.from(idx, (k) => (ds.labels[k] <= 4 ? 1 : -1)) };
  };
  const tr = gather(trainIndices);
  const va = gather(valIndices);
  return { X: tr.X, y: tr.y, n, Xval: va.X, yval: va.y, nval: validation, dim: tr.dim, trainIndices, valIndices };
}

// ------------------------------------------------------------------ readers

/** Fraction of outputs whose sign disagrees with the +-1 label (f = 0 counts as an error). */
export function errorRate(f: ArrayLike<number>, y: ArrayLike<number>): number {
  if (f.length !== y.length || f.length === 0) throw new ArgumentError('y', `${f.length} labels (one per output)`, y.length);
  let wrong = 0;
  for (let i = 0; i < f.length; i++) if (!(f[i] * y[i] > 0)) wrong++;
  return wrong / f.length;
}

/** Fraction of examples on which two classifiers' outputs have the same sign. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new ArgumentError('b', `${a.length} outputs (as many as a)`, b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (Math.sign(a[i]) === Math.sign(b[i])) same++;
  return same / a.length;
}

// ------------------------------------------------------------------ the job

export interface GlnJobArgs {
  model: 'shallow' | 'deep' | 'relu';
  n: number;
  /** Hidden units H (deep, relu; 1 for shallow). */
  units: number;
  /** Hyperplanes per unit k (shallow, deep; contexts 2^k). */
  hyperplanes: number;
  seed: number;
  epochs: number;
  lr: number;
  validation: number;
  downsample: 1 | 2 | 4;
  /** Reweighting iterations of the group-norm solve. */
  groupIterations: number;
}

export interface SvmResult {
  /** 'l2', 'group' (the architecture's GLN norm), or 'group' on the ReLU's learned gates. */
  kind: 'l2' | 'group' | 'learned-gates';
  valError: number;
  /** Per-example sign agreement with the trained network on the validation set. */
  agreement: number;
  margin: number;
  iterations: number;
  /** Whether the reweighting stopped on its tolerance (eta moved < 1e-4) before `groupIterations` (always for 'l2'). */
  converged: boolean;
}

export interface GlnJobResult {
  args: GlnJobArgs;
  trainError: number;
  valError: number;
  /** Logistic loss at the first and last epoch. */
  loss: [number, number];
  svm: SvmResult[];
  /** Error message of a max-margin solve that failed (inseparable training set), if any. */
  svmFailure: string | null;
  seconds: number;
}

/** Pool job: one network trained by GD and its max-margin prediction(s) (header). */
export function glnJob(args: GlnJobArgs): GlnJobResult {
  const t0 = Date.now();
  const data = binaryMnist({ n: args.n, validation: args.validation, downsample: args.downsample, seed: args.seed });
  let valOut: Float64Array = new Float64Array(0), losses: number[], trainError = 1;
  const svm: SvmResult[] = [];
  let svmFailure: string | null = null;
  const solve = (gates: ReturnType<typeof randomGates>, norm: 'l2' | 'group', kind: SvmResult['kind']) => {
    // GD reaching zero training error shows the set separable in these features (the ReLU net with its pattern frozen is
    // the GLN on reluGates); without that the hard-margin dual may be unbounded, and nnlsGram's pivoting then runs long.
    if (trainError > 0) { svmFailure = `${kind}: not solved, GD left training error ${trainError} (separability not shown)`; return; }
    try {
      const sol = glnMaxMargin(gates, data.X, data.y, { norm, maxIterations: args.groupIterations, tolerance: 1e-4 });
      const f = glnMaxMarginOutputs(gates, sol, data.Xval);
      svm.push({ kind, valError: errorRate(f, data.yval), agreement: agreement(f, valOut), margin: sol.margin, iterations: Math.max(1, sol.iterations), converged: norm === 'l2' || sol.iterations < args.groupIterations });
    } catch (e) {
      svmFailure = `${kind}: ${(e as Error).message}`;
    }
  };
  if (args.model === 'relu') {
    const net = reluNetwork(args.units, data.dim, { initStd: args.units ** -0.25, seed: 2000 + args.seed });
    losses = trainRelu(net, data.X, data.y, { lr: args.lr, epochs: args.epochs });
    trainError = errorRate(reluLossAndGradients(net, data.X, data.y).outputs, data.y);
    valOut = reluLossAndGradients(net, data.Xval, data.yval).outputs;
    solve(reluGates(net), 'group', 'learned-gates');
  } else {
    const units = args.model === 'shallow' ? 1 : args.units;
    const gates = medianGates(randomGates({ units, hyperplanes: args.hyperplanes, dim: data.dim, normalStd: 36, seed: 1000 + args.seed }), data.X);
    const net = gatedLinearNetwork(args.model, gates, { initStd: units ** -0.25, seed: 2000 + args.seed });
    losses = trainGln(net, data.X, data.y, { lr: args.lr, epochs: args.epochs });
    trainError = errorRate(glnOutputs(net, data.X), data.y);
    valOut = glnOutputs(net, data.Xval);
    if (args.model === 'shallow') solve(gates, 'l2', 'l2');
    else { solve(gates, 'group', 'group'); solve(gates, 'l2', 'l2'); }
  }
  return {
    args, trainError, valError: errorRate(valOut, data.yval),
    loss: [losses[0] ?? NaN, losses[losses.length - 1] ?? NaN], svm, svmFailure, seconds: (Date.now() - t0) / 1000,
  };
}

// ------------------------------------------------------------------ statistics and figures

/** The quantity a reader picks from one run (null: absent, e.g. a failed solve). */
export type RunReader = (r: GlnJobResult) => number | null;

/** Readers for the curves: GD's validation error, and each max-margin solution's error and agreement. */
export const readers = {
  gd: (r: GlnJobResult) => r.valError,
  svm: (kind: SvmResult['kind']) => (r: GlnJobResult) => r.svm.find((s) => s.kind === kind)?.valError ?? null,
  agreement: (kind: SvmResult['kind']) => (r: GlnJobResult) => r.svm.find((s) => s.kind === kind)?.agreement ?? null,
};

/** The values of `read` over the runs (seeds) matching `where`, nulls dropped. */
export function seedSummary(runs: readonly GlnJobResult[], where: Partial<Pick<GlnJobArgs, 'model' | 'n' | 'units'>>, read: RunReader): number[] {
  const out: number[] = [];
  for (const r of runs) {
    if (where.model !== undefined && r.args.model !== where.model) continue;
    if (where.n !== undefined && r.args.n !== where.n) continue;
    if (where.units !== undefined && r.args.model !== 'shallow' && r.args.units !== where.units) continue;
    const v = read(r);
    if (v !== null && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** Median over seeds with the seed range as a band, against x. */
function curve(xs: readonly number[], values: (x: number) => number[], name: string, style: Partial<LineSeries>): LineSeries {
  const pts = xs.map((x) => ({ x, v: values(x) })).filter((p) => p.v.length > 0);
  return {
    x: pts.map((p) => p.x), y: pts.map((p) => median(p.v)), name, mode: 'lines+markers', ...style,
    band: { lower: pts.map((p) => Math.min(...p.v)), upper: pts.map((p) => Math.max(...p.v)) },
  };
}

/** The curves of one architecture at fixed width (x = n) or fixed n (x = width). */
function modelCurves(runs: readonly GlnJobResult[], xs: readonly number[], at: (x: number) => Partial<GlnJobArgs>, models: readonly GlnJobArgs['model'][], read: 'error' | 'agreement'): LineSeries[] {
  const series: LineSeries[] = [];
  const label = { shallow: 'shallow GLN', deep: 'deep GLN', relu: 'ReLU' } as const;
  const kinds = { shallow: ['l2'], deep: ['group', 'l2'], relu: ['learned-gates'] } as const;
  const kindLabel = { l2: 'L2 max margin', group: 'GLN-norm max margin', 'learned-gates': 'max margin, learned gates' } as const;
  const push = (c: LineSeries) => { if (c.y.length > 0) series.push(c); }; // a curve with no finished run (every solve failed) is left out
  for (const m of models) {
    if (read === 'error') push(curve(xs, (x) => seedSummary(runs, { model: m, ...at(x) }, readers.gd), `${label[m]}: GD`, {}));
    for (const k of kinds[m]) {
      const reader = read === 'error' ? readers.svm(k) : readers.agreement(k);
      push(curve(xs, (x) => seedSummary(runs, { model: m, ...at(x) }, reader), `${label[m]}: ${kindLabel[k]}`, { dash: read === 'error' ? 'dash' : 'solid' }));
    }
  }
  return series;
}

/** Validation error against the number of training examples at width `units`: GD solid, max margin dashed. */
export function sizeFigure(runs: readonly GlnJobResult[], sizes: readonly number[], units: number): Figure {
  return line(modelCurves(runs, sizes, (n) => ({ n, units }), ['shallow', 'deep', 'relu'], 'error'), { title: `Validation error against training-set size (width ${units}; median and range over seeds)`, xLabel: 'training examples n', yLabel: 'validation error' });
}

/** Validation error against width at `n` examples. */
export function widthFigure(runs: readonly GlnJobResult[], widths: readonly number[], n: number): Figure {
  return line(modelCurves(runs, widths, (units) => ({ n, units }), ['deep', 'relu'], 'error'), { title: `Validation error against width (n = ${n}; median and range over seeds)`, xLabel: 'hidden units H', yLabel: 'validation error' });
}

/** Per-example agreement of GD with each max-margin solution against n, at width `units`. */
export function agreementFigure(runs: readonly GlnJobResult[], sizes: readonly number[], units: number): Figure {
  return line(modelCurves(runs, sizes, (n) => ({ n, units }), ['shallow', 'deep', 'relu'], 'agreement'), { title: `Agreement of trained networks with their max-margin prediction (width ${units})`, xLabel: 'training examples n', yLabel: 'fraction of validation examples with the same sign' });
}

/**
 * Seconds on two idle cores: GD multiply-adds (2 n H C d per epoch) at
 * `macsPerSecond` (default 4e9: gemm's two products on two workers), and
 * each dual solve as n^3 / `solvePerSecond` (default 1.5e9, from nnlsGram at
 * n = 1000: 2.2-2.6 s at load 11-14 on this machine).
 */
export function estimatedRunSeconds(runs: readonly Pick<GlnJobArgs, 'model' | 'n' | 'units' | 'hyperplanes' | 'epochs' | 'groupIterations'>[], dim: number, o: { macsPerSecond?: number; solvePerSecond?: number } = {}): number {
  let macs = 0, cubes = 0;
  for (const r of runs) {
    const H = r.model === 'shallow' ? 1 : r.units;
    const C = r.model === 'relu' ? 1 : 2 ** r.hyperplanes;
    macs += 2 * r.n * H * C * dim * r.epochs;
    const solves = r.model === 'shallow' ? 1 : r.model === 'deep' ? r.groupIterations + 1 : r.groupIterations;
    cubes += solves * r.n ** 3;
  }
  return macs / (o.macsPerSecond ?? 4e9) + cubes / (o.solvePerSecond ?? 1.5e9);
}

/** Reproduction-table rows: paper value (or claim), measured median (range) over seeds, settings. */
export function reproductionRows(runs: readonly GlnJobResult[], o: { sizes: readonly number[]; widths: readonly number[]; settings: string }): { quantity: string; paper: string; measured: string; settings: string }[] {
  const fmt = (v: number[]) => (v.length ? formatMedianRange(v.map((x) => 100 * x), { digits: 1 }) + '%' : 'not run');
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  const nMax = Math.max(...o.sizes), hMax = Math.max(...o.widths), hMin = Math.min(...o.widths);
  const P = PAPER_VALUES;
  const paperAt = <T>(table: Record<number, T>, n: number): T | undefined => table[n];
  const rows: { quantity: string; paper: string; measured: string; settings: string }[] = [];
  for (const n of o.sizes) {
    const sh = paperAt<{ gd: number | null; svm: number }>(P.shallow, n);
    rows.push({ quantity: `shallow GLN (k = 3), n = ${n}: GD | L2 max margin`, paper: sh ? `${pct(sh.gd)} | ${pct(sh.svm)}` : `(figure values at n = 500, 2000 only)`, measured: `${fmt(seedSummary(runs, { model: 'shallow', n }, readers.gd))} | ${fmt(seedSummary(runs, { model: 'shallow', n }, readers.svm('l2')))}`, settings: o.settings });
    const dp = paperAt<{ gd: number; svmGroup: number; svmL2: number }>(P.deep, n);
    rows.push({ quantity: `deep GLN, H = ${hMax}, n = ${n}: GD | GLN-norm | L2 max margin`, paper: dp ? `${pct(dp.gd)} | ${pct(dp.svmGroup)} | ${pct(dp.svmL2)} (H = 100)` : '(figure values at n = 500, 2000 only)', measured: `${fmt(seedSummary(runs, { model: 'deep', n, units: hMax }, readers.gd))} | ${fmt(seedSummary(runs, { model: 'deep', n, units: hMax }, readers.svm('group')))} | ${fmt(seedSummary(runs, { model: 'deep', n, units: hMax }, readers.svm('l2')))}`, settings: o.settings });
    const rl = paperAt<number>(P.relu.gd, n);
    rows.push({ quantity: `ReLU, H = ${hMax}, n = ${n}: GD | learned-gates max margin`, paper: rl !== undefined ? `${pct(rl)} | ${n === 2000 ? pct(P.relu.svmLearnedGates2000) : '-'} (H = 100)` : '(figure values at n = 500, 1000, 2000)', measured: `${fmt(seedSummary(runs, { model: 'relu', n, units: hMax }, readers.gd))} | ${fmt(seedSummary(runs, { model: 'relu', n, units: hMax }, readers.svm('learned-gates')))}`, settings: o.settings });
  }
  rows.push({ quantity: `width: deep GLN L2 max margin at H = ${hMin} | GLN-norm at H = ${hMax} (n = ${nMax})`, paper: `${pct(P.width.svmL2At10)} at H = 10 | ${pct(P.width.svmGroupAt100)} at H = 100 (n = 2000)`, measured: `${fmt(seedSummary(runs, { model: 'deep', n: nMax, units: hMin }, readers.svm('l2')))} | ${fmt(seedSummary(runs, { model: 'deep', n: nMax, units: hMax }, readers.svm('group')))}`, settings: o.settings });
  rows.push({ quantity: `per-example disagreement, GD vs max margin (n = ${nMax}, H = ${hMax}): shallow | deep (GLN norm) | ReLU (learned gates)`, paper: `${P.disagreement}; ReLU ${P.relu.disagreement}`, measured: ['shallow', 'deep', 'relu'].map((m, j) => fmt(seedSummary(runs, { model: m as GlnJobArgs['model'], n: nMax, units: hMax }, readers.agreement((['l2', 'group', 'learned-gates'] as const)[j])).map((a) => 1 - a))).join(' | '), settings: o.settings });
  return rows;
}
