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
 *            margin (Newton, to a relative duality gap of `groupTolerance`),
 *            the authors' architecture-only baseline (their Prop. A.1 norm),
 *            and the plain L2 norm on the same features;
 *   relu     bias-free ReLU net of width H: GD beside the group-norm max
 *            margin of its own final activation pattern taken as gates, and
 *            the authors' readout-only problem (L2 max-margin readout of the
 *            frozen hidden layer).
 * Read as: validation error = fraction of sign(f(x)) != y; agreement = the
 * fraction of validation examples on which GD and the max-margin function
 * predict the same sign.
 *
 * Exports: STUDY_MODULE, AUTHORS_VALUES, PAPER_CLAIMS, mnistFeatures, binaryMnist, errorRate,
 * agreement, glnJob, readers, seedSummary, sizeFigure, widthFigure, agreementFigure,
 * estimatedRunSeconds, reproductionRows.
 */
import { ArgumentError, checkInteger, convergenceReport, formatMedianRange, median, Rng, type ConvergenceReport } from '../core';
import { loadMnist } from '../data';
import { Figure, line, LineSeries } from '../plot';
import { gatedLinearNetwork, glnMaxMargin, glnMaxMarginOutputs, glnOutputs, medianGates, randomGates, reluGates, reluLossAndGradients, reluNetwork, reluReadoutMaxMargin, trainGln, trainRelu, type Gates, type GlnNorm } from '../rules/gated-linear'; // not the rules index: a pool worker need not load tfjs

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/gated-linear-networks';

/**
 * The authors' own measurements, from the metric files committed with their
 * code (sflippl/implicit-bias-glns, commit 002054c, folder data/), at the
 * settings closest to this study's: median-init gates, momentum 0, shallow
 * k = 5 (shd_5), deep k = 1 (shd_1). Each value is the median over the
 * context seeds 1-3 (ReLU: init seeds 1-3) whose files exist, of 1 - accuracy
 * on their 12,000 validation images: `gd` the last epoch's val_acc in
 * metrics.csv; the max-margin errors 1 - `val` and the disagreements
 * 1 - `comparison` in accs.csv (GLN norm: constraints_implicit_bias; L2:
 * constraints_architecture). ReLU: `learnedGates`/`disagree` from
 * learned_contexts (the group norm on the trained net's gates, as here but
 * with weights on the active side of each gate only), `readoutOnly` from
 * hidden_layer (an L2 max-margin readout of the frozen hidden layer, the
 * "< 2% disagreement" of fig. 3). null where no file exists.
 * Their `l2` is their code's architecture objective (functions/train_convex.py,
 * "Prop. A.1"), the squared norm of C beta_(h,c) - sum_c' beta_(h,c') +
 * (1/(HC)) sum_(h',c') beta_(h',c'): this study's 'architecture' column
 * (lib/rules glnMaxMargin norm 'architecture'), not its plain-L2 one.
 * Their networks see 784 pixels and are trained by SGD (batch 128, lr 0.04,
 * lr x 0.25 at half time).
 */
export const AUTHORS_VALUES: {
  shallow: { n: number; gd: number; l2: number; disagreeL2: number }[];
  deep: { units: number; n: number; gd: number; group: number; l2: number; disagreeGroup: number; disagreeL2: number }[];
  relu: { units: number; n: number; gd: number; learnedGates: number | null; disagree: number | null; readoutOnly: number | null; readoutDisagree: number | null }[];
} = {
  shallow: [
    { n: 500, gd: 0.2624, l2: 0.2532, disagreeL2: 0.3444 },
    { n: 1000, gd: 0.2064, l2: 0.2067, disagreeL2: 0.3065 },
    { n: 2000, gd: 0.1719, l2: 0.171, disagreeL2: 0.2731 },
  ],
  deep: [
    { units: 10, n: 500, gd: 0.161, group: 0.1653, l2: 0.3063, disagreeGroup: 0.1713, disagreeL2: 0.3221 },
    { units: 10, n: 1000, gd: 0.1364, group: 0.1438, l2: 0.2923, disagreeGroup: 0.1422, disagreeL2: 0.3177 },
    { units: 10, n: 2000, gd: 0.1172, group: 0.1263, l2: 0.3508, disagreeGroup: 0.1298, disagreeL2: 0.3598 },
    { units: 20, n: 500, gd: 0.1549, group: 0.147, l2: 0.2396, disagreeGroup: 0.1704, disagreeL2: 0.3041 },
    { units: 20, n: 1000, gd: 0.1253, group: 0.1228, l2: 0.2402, disagreeGroup: 0.1675, disagreeL2: 0.2963 },
    { units: 20, n: 2000, gd: 0.1034, group: 0.1014, l2: 0.2487, disagreeGroup: 0.1438, disagreeL2: 0.2789 },
    { units: 50, n: 500, gd: 0.1477, group: 0.1369, l2: 0.1736, disagreeGroup: 0.1527, disagreeL2: 0.2215 },
    { units: 50, n: 1000, gd: 0.1058, group: 0.0954, l2: 0.1458, disagreeGroup: 0.1218, disagreeL2: 0.1827 },
    { units: 50, n: 2000, gd: 0.0867, group: 0.0778, l2: 0.1414, disagreeGroup: 0.1118, disagreeL2: 0.1805 },
    { units: 100, n: 500, gd: 0.1473, group: 0.137, l2: 0.1416, disagreeGroup: 0.1814, disagreeL2: 0.2198 },
    { units: 100, n: 1000, gd: 0.1056, group: 0.098, l2: 0.1137, disagreeGroup: 0.1244, disagreeL2: 0.1736 },
    { units: 100, n: 2000, gd: 0.0843, group: 0.076, l2: 0.0999, disagreeGroup: 0.127, disagreeL2: 0.1514 },
  ],
  relu: [
    { units: 10, n: 500, gd: 0.1507, learnedGates: 0.1432, disagree: 0.0833, readoutOnly: 0.1446, readoutDisagree: 0.0132 },
    { units: 10, n: 1000, gd: 0.1029, learnedGates: 0.1082, disagree: 0.0643, readoutOnly: null, readoutDisagree: null },
    { units: 10, n: 2000, gd: 0.0798, learnedGates: 0.0954, disagree: 0.0579, readoutOnly: null, readoutDisagree: null },
    { units: 20, n: 500, gd: 0.1204, learnedGates: 0.1404, disagree: 0.0807, readoutOnly: 0.1221, readoutDisagree: 0.0165 },
    { units: 20, n: 1000, gd: 0.0882, learnedGates: 0.1, disagree: 0.0561, readoutOnly: 0.0932, readoutDisagree: 0.0248 },
    { units: 20, n: 2000, gd: 0.0707, learnedGates: 0.0778, disagree: 0.0497, readoutOnly: null, readoutDisagree: null },
    { units: 50, n: 500, gd: 0.1127, learnedGates: 0.1328, disagree: 0.0776, readoutOnly: 0.1129, readoutDisagree: 0.0151 },
    { units: 50, n: 1000, gd: 0.0782, learnedGates: 0.0889, disagree: 0.0506, readoutOnly: 0.0806, readoutDisagree: 0.0142 },
    { units: 50, n: 2000, gd: 0.0638, learnedGates: 0.0678, disagree: 0.0437, readoutOnly: 0.0663, readoutDisagree: 0.0212 },
    { units: 100, n: 500, gd: 0.112, learnedGates: 0.1358, disagree: 0.0864, readoutOnly: 0.1128, readoutDisagree: 0.0144 },
    { units: 100, n: 1000, gd: 0.0763, learnedGates: 0.0919, disagree: 0.0618, readoutOnly: 0.0774, readoutDisagree: 0.0113 },
    { units: 100, n: 2000, gd: 0.0602, learnedGates: null, disagree: null, readoutOnly: 0.0621, readoutDisagree: 0.0153 },
  ],
};

/** The paper's qualitative claims (Lippl, Abbott & Chung 2022, figs. 2-3). */
export const PAPER_CLAIMS = {
  gln: 'the max-margin solution in the norm of the architecture predicts the error of GD-trained GLNs across n and width; a norm set by the architecture alone (their Prop. A.1) does not (fig. 2c, 2d)',
  agreement: 'finite-time GD and the max-margin solution disagree on a fraction of examples (10-35%, fig. 2a/b)',
  relu: 'a max-margin readout of the frozen hidden layer gives the ReLU net\'s labels almost exactly (< ~2% disagreement); the GLN-norm problem on its learned gates captures much but not all of its bias (fig. 3)',
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
  /** Cap on Newton steps of the group-norm solve, and its relative duality-gap tolerance. */
  groupIterations: number;
  groupTolerance: number;
}

export interface SvmResult {
  /**
   * 'l2' (plain), 'group' (the architecture's GLN norm), 'architecture' (the authors' Prop. A.1 norm), 'learned-gates'
   * (the group norm on the ReLU's learned gates), 'readout' (L2 max-margin readout of the ReLU's frozen hidden layer).
   */
  kind: 'l2' | 'group' | 'architecture' | 'learned-gates' | 'readout';
  valError: number;
  /** Per-example sign agreement with the trained network on the validation set. */
  agreement: number;
  margin: number;
  /** Newton steps (group norms) or 1. */
  iterations: number;
  /** The solve's stopping test: the relative duality gap for group norms, |min margin - 1| for one exact dual solve. */
  residual: number;
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
  // GD reaching zero training error shows the set separable in these features (the ReLU net with its pattern frozen is
  // the GLN on reluGates; its hidden layer then separates it too); without that the hard-margin dual may be unbounded.
  const solve = (kind: SvmResult['kind'], run: () => { f: Float64Array; margin: number; convergence: ConvergenceReport }) => {
    const fail = (why: string) => { svmFailure = `${svmFailure ? svmFailure + '; ' : ''}${kind}: ${why}`; };
    if (trainError > 0) { fail(`not solved, GD left training error ${trainError} (separability not shown)`); return; }
    try {
      const { f, margin, convergence } = run();
      svm.push({ kind, valError: errorRate(f, data.yval), agreement: agreement(f, valOut), margin, iterations: convergence.iterations, residual: convergence.residual, converged: convergence.converged });
    } catch (e) {
      fail((e as Error).message);
    }
  };
  const gln = (gates: Gates, norm: GlnNorm) => () => {
    const sol = glnMaxMargin(gates, data.X, data.y, { norm, maxIterations: args.groupIterations, tolerance: args.groupTolerance });
    return { f: glnMaxMarginOutputs(gates, sol, data.Xval), margin: sol.margin, convergence: sol.convergence };
  };
  if (args.model === 'relu') {
    const net = reluNetwork(args.units, data.dim, { initStd: args.units ** -0.25, seed: 2000 + args.seed });
    losses = trainRelu(net, data.X, data.y, { lr: args.lr, epochs: args.epochs });
    trainError = errorRate(reluLossAndGradients(net, data.X, data.y).outputs, data.y);
    valOut = reluLossAndGradients(net, data.Xval, data.yval).outputs;
    solve('learned-gates', gln(reluGates(net), 'group'));
    solve('readout', () => {
      const sol = reluReadoutMaxMargin(net, data.X, data.y);
      const f = reluLossAndGradients({ ...net, readout: sol.readout }, data.Xval, data.yval).outputs;
      return { f, margin: sol.margin, convergence: convergenceReport(1, 0, 0, 'one exact dual solve (min margin checked by maxMarginDual)') };
    });
  } else {
    const units = args.model === 'shallow' ? 1 : args.units;
    const gates = medianGates(randomGates({ units, hyperplanes: args.hyperplanes, dim: data.dim, normalStd: 36, seed: 1000 + args.seed }), data.X);
    const net = gatedLinearNetwork(args.model, gates, { initStd: units ** -0.25, seed: 2000 + args.seed });
    losses = trainGln(net, data.X, data.y, { lr: args.lr, epochs: args.epochs });
    trainError = errorRate(glnOutputs(net, data.X), data.y);
    valOut = glnOutputs(net, data.Xval);
    if (args.model === 'shallow') solve('l2', gln(gates, 'l2'));
    else { solve('group', gln(gates, 'group')); solve('architecture', gln(gates, 'architecture')); solve('l2', gln(gates, 'l2')); }
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
  const kinds = { shallow: ['l2'], deep: ['group', 'architecture', 'l2'], relu: ['learned-gates', 'readout'] } as const;
  const kindLabel = { l2: 'L2 max margin', group: 'GLN-norm max margin', architecture: 'Prop. A.1-norm max margin', 'learned-gates': 'max margin, learned gates', readout: 'max-margin readout, frozen hidden layer' } as const;
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
 * each cold dual solve as n^3 / `solvePerSecond` (default 1.5e9, from
 * nnlsGram at n = 1000: 2.2-2.6 s at load 11-14 on this machine). A
 * group-norm solve (about 10 warm-started Newton evaluations) costs about
 * GROUP_SOLVE_COST cold solves (8 s against 2.7 s at n = 1000, H = 50, load 2);
 * the ReLU readout one cold solve.
 */
export const GROUP_SOLVE_COST = 3;

export function estimatedRunSeconds(runs: readonly Pick<GlnJobArgs, 'model' | 'n' | 'units' | 'hyperplanes' | 'epochs'>[], dim: number, o: { macsPerSecond?: number; solvePerSecond?: number } = {}): number {
  let macs = 0, cubes = 0;
  for (const r of runs) {
    const H = r.model === 'shallow' ? 1 : r.units;
    const C = r.model === 'relu' ? 1 : 2 ** r.hyperplanes;
    macs += 2 * r.n * H * C * dim * r.epochs;
    const solves = r.model === 'shallow' ? 1 : r.model === 'deep' ? GROUP_SOLVE_COST + 2 : GROUP_SOLVE_COST + 1;
    cubes += solves * r.n ** 3;
  }
  return macs / (o.macsPerSecond ?? 4e9) + cubes / (o.solvePerSecond ?? 1.5e9);
}

/** Reproduction-table rows: the authors' value at the same n and width (AUTHORS_VALUES) beside the median (range) over seeds. */
export function reproductionRows(runs: readonly GlnJobResult[], o: { sizes: readonly number[]; widths: readonly number[]; settings: string }): { quantity: string; paper: string; measured: string; settings: string }[] {
  const fmt = (v: number[]) => (v.length ? formatMedianRange(v.map((x) => 100 * x), { digits: 1 }) + '%' : 'not run');
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const none = 'no value at this n, H';
  const nMax = Math.max(...o.sizes), hMax = Math.max(...o.widths);
  const m = (model: GlnJobArgs['model'], n: number, units: number, read: RunReader) => fmt(seedSummary(runs, { model, n, units }, read));
  const dis = (kind: SvmResult['kind']) => (r: GlnJobResult) => { const a = readers.agreement(kind)(r); return a === null ? null : 1 - a; };
  const rows: { quantity: string; paper: string; measured: string; settings: string }[] = [];
  const deepRow = (n: number, h: number) => {
    const a = AUTHORS_VALUES.deep.find((r) => r.n === n && r.units === h);
    rows.push({
      quantity: `deep GLN, H = ${h}, n = ${n}: GD | GLN-norm max margin | Prop. A.1-norm max margin | plain-L2 max margin | disagreement GD vs GLN norm`,
      paper: a ? [a.gd, a.group, a.l2, null, a.disagreeGroup].map(pct).join(' | ') : none,
      measured: [m('deep', n, h, readers.gd), m('deep', n, h, readers.svm('group')), m('deep', n, h, readers.svm('architecture')), m('deep', n, h, readers.svm('l2')), m('deep', n, h, dis('group'))].join(' | '),
      settings: o.settings,
    });
  };
  for (const n of o.sizes) {
    const a = AUTHORS_VALUES.shallow.find((r) => r.n === n);
    rows.push({ quantity: `shallow GLN (k = 5), n = ${n}: GD | L2 max margin | disagreement`, paper: a ? [a.gd, a.l2, a.disagreeL2].map(pct).join(' | ') : none, measured: [m('shallow', n, 1, readers.gd), m('shallow', n, 1, readers.svm('l2')), m('shallow', n, 1, dis('l2'))].join(' | '), settings: o.settings });
    deepRow(n, hMax);
    const r = AUTHORS_VALUES.relu.find((x) => x.n === n && x.units === hMax);
    rows.push({
      quantity: `ReLU, H = ${hMax}, n = ${n}: GD | learned-gates max margin | disagreement | readout-only max margin | disagreement`,
      paper: r ? [r.gd, r.learnedGates, r.disagree, r.readoutOnly, r.readoutDisagree].map(pct).join(' | ') : none,
      measured: [m('relu', n, hMax, readers.gd), m('relu', n, hMax, readers.svm('learned-gates')), m('relu', n, hMax, dis('learned-gates')), m('relu', n, hMax, readers.svm('readout')), m('relu', n, hMax, dis('readout'))].join(' | '),
      settings: o.settings,
    });
  }
  for (const h of o.widths) if (h !== hMax) deepRow(nMax, h);
  return rows;
}
