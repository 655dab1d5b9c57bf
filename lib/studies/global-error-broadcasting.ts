/**
 * Study: global error-vector broadcasting (GEVB) in vectorized nonnegative
 * networks (notebooks/global-error-broadcasting.ipynb; Clark, Abbott & Chung,
 * NeurIPS 2021, arXiv 2106.04089). Networks and rule: lib/rules/vectorized.ts.
 *
 * (a) sign match and alignment at initialisation, per example (batches of
 *     one), on MNIST images:
 *       match(layer)    = fraction of the layer's weights with sign(GEVB update) = sign(BP gradient)
 *       opposite(layer) = fraction with opposite signs (both beyond rounding); 0 by the theorem
 *                         in nonnegative dense and locally connected layers
 *       angle           = angle between GEVB's and BP's weight updates, all layers concatenated,
 *                         averaged over the examples (the authors: a batch of 128)
 *     against the width of FC-Vec [w, w/2].
 * (b) test error (%) = 100 (1 - accuracy) on the test subset, median (range)
 *     over seeds, per (architecture, rule, sign), beside the authors' MNIST
 *     table (Fashion-MNIST runs, PAPER mode, have no published numbers here).
 * (c) whether a rule trains the conv layers: the relative change
 *     ||W_end - W_0||_F / ||W_0||_F of the first conv layer, and the test
 *     error with every conv layer frozen at its initial values.
 *
 * Conventional nets (DFA and BP) use tanh by default: with ReLU the
 * project's DFA diverges under Adam on [-1, 1] inputs (the hidden activity
 * grows ~10x in the first epoch and the logits with it; the notebook gives
 * the probe), whatever the learning rate (1e-4 to 1e-3); tanh bounds it.
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'trainingRun' | 'alignmentRun', args }`.
 * Exports: STUDY_MODULE, PAPER_MNIST_ERRORS, RunSpec, runLabel, networkFor,
 * trainingRun, alignmentRun, layerSignSummary, widthSweepFigure,
 * learningCurveFigure, errorRows, filterChangeRows, epochRows, reproductionRows,
 * estimatedRunSeconds.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkOneOf, formatMedianRange, initBackend, median } from '../core';
import { loadFashionMnist, loadMnist } from '../data';
import { Figure, line } from '../plot';
import {
  Classifier, ClassifierData, LayerSpec, compareWithBackprop, fcVec, Network, NetworkOptions, Optimizer, SignConstraint, spatialVec, trainClassifier,
  VectorizedNetwork,
} from '../rules';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/global-error-broadcasting';

/**
 * The authors' MNIST test error (%), 5 runs (Clark, Abbott & Chung 2021,
 * table 1 as transcribed in shared/references/training-rules.md): DF = GEVB
 * for vectorized nets, DFA for conventional ones; '+' = nonnegative.
 */
export const PAPER_MNIST_ERRORS: Readonly<Record<string, { dfPlus: number; bpPlus: number; df: number; bp: number }>> = {
  'FC-Vec': { dfPlus: 1.87, bpPlus: 1.93, df: 2.32, bp: 1.84 },
  FC: { dfPlus: 2.2, bpPlus: 1.36, df: 2.09, bp: 1.29 },
  'Conv-Vec': { dfPlus: 2.33, bpPlus: 1.3, df: 1.83, bp: 0.8 },
  Conv: { dfPlus: 1.56, bpPlus: 0.71, df: 1.64, bp: 0.65 },
  'LC-Vec': { dfPlus: 1.78, bpPlus: 1.64, df: 1.84, bp: 1.44 },
};

export type Arch = 'fc' | 'conv' | 'lc';

/** One training configuration. Vectorized nets take 'gevb' or 'bp', conventional ones 'dfa' or 'bp'. */
export interface RunSpec {
  arch: Arch;
  vectorized: boolean;
  rule: 'gevb' | 'bp' | 'dfa';
  sign: SignConstraint;
  seed: number;
  /** Keep every conv / locally connected layer at its initial values (c). */
  frozen?: boolean;
  /** A conventional net's nonlinearity for this run, overriding TrainSettings' (named in the label). */
  activation?: ConventionalActivation;
}

/** Widths: FC hidden [h1, h2]; conv/LC channels [c1, c2] and dense hidden. */
export interface Widths {
  fcHidden: [number, number];
  channels: [number, number];
  convHidden: number;
}

/** Nonlinearity of the conventional nets (the authors': a +-1 alternating tReLU, in distribution a ReLU). */
export type ConventionalActivation = 'relu' | 'tanh';

export interface TrainSettings {
  /** 'mnist' (default) or 'fashion-mnist'. */
  dataset?: 'mnist' | 'fashion-mnist';
  widths: Widths;
  trainLimit: number;
  testLimit: number;
  /** Which images (the same for every run). */
  subsetSeed: number;
  /** Epochs of the FC nets (every run stops after an epoch at 100% training accuracy, as the authors'). */
  epochs: number;
  /** Epochs of the conv and LC nets (default `epochs`). */
  spatialEpochs?: number;
  batchSize: number;
  lr: number;
  /** Conventional nets' nonlinearity (default 'tanh'). */
  conventionalActivation?: ConventionalActivation;
}

/** The epochs a run of architecture `arch` trains for under `s`. */
export function epochsFor(arch: Arch, s: Pick<TrainSettings, 'epochs' | 'spatialEpochs'>): number {
  return arch === 'fc' ? s.epochs : s.spatialEpochs ?? s.epochs;
}

/** 'FC-Vec GEVB+', 'Conv DFA', 'Conv-Vec BP+ (conv frozen)', 'FC DFA (ReLU)', ... ('+' = nonnegative, as in the paper's table). */
export function runLabel(r: Omit<RunSpec, 'seed'>): string {
  const arch = { fc: 'FC', conv: 'Conv', lc: 'LC' }[r.arch] + (r.vectorized ? '-Vec' : '');
  const rule = { gevb: 'GEVB', bp: 'BP', dfa: 'DFA' }[r.rule] + (r.sign === 'nonnegative' ? '+' : '');
  const activation = r.activation ? ` (${r.activation === 'relu' ? 'ReLU' : 'tanh'})` : '';
  return `${arch} ${rule}${activation}${r.frozen ? ' (conv frozen)' : ''}`;
}

/**
 * The network of a run: a VectorizedNetwork, or a conventional Network with
 * `activation` (default tanh; the authors' conventional gate is a +-1
 * alternating tReLU) whose conv or locally connected layers mirror the Vec
 * nets' (3x3, padding 1, average pool 2).
 */
export function networkFor(r: RunSpec, w: Widths, activation: ConventionalActivation = 'tanh'): VectorizedNetwork | Network {
  if (r.vectorized) {
    if (r.rule === 'dfa') throw new ArgumentError('rule', "'gevb' or 'bp' for a vectorized network", r.rule);
    const common = { sign: r.sign, rule: r.rule, seed: r.seed };
    return new VectorizedNetwork(
      r.arch === 'fc' ? fcVec({ ...common, hidden: w.fcHidden }) : spatialVec({ ...common, form: r.arch === 'conv' ? 'conv2d' : 'locally-connected', channels: w.channels, hidden: w.convHidden }),
    );
  }
  if (r.rule === 'gevb') throw new ArgumentError('rule', "'dfa' or 'bp' for a conventional network", r.rule);
  if (r.sign !== 'mixed') throw new ArgumentError('sign', "'mixed' for a conventional network (nonnegative conventional nets are not built here)", r.sign);
  const f = { kind: 'activation', activation: checkOneOf('activation', activation, ['relu', 'tanh'] as const) } as const;
  const spatial = (filters: number): LayerSpec =>
    r.arch === 'conv' ? { kind: 'conv2d', filters, kernelSize: 3, padding: 1 } : { kind: 'locally-connected', filters, kernelSize: 3, padding: 1 };
  const options: NetworkOptions =
    r.arch === 'fc'
      ? { inputShape: [784], layers: [{ kind: 'dense', units: w.fcHidden[0] }, f, { kind: 'dense', units: w.fcHidden[1] }, f, { kind: 'dense', units: 10 }], seed: r.seed, rule: r.rule }
      : {
          inputShape: [28, 28, 1],
          layers: [
            spatial(w.channels[0]), f, { kind: 'avgpool', size: 2 },
            spatial(w.channels[1]), f, { kind: 'avgpool', size: 2 },
            { kind: 'flatten' }, { kind: 'dense', units: w.convHidden }, f, { kind: 'dense', units: 10 },
          ],
          seed: r.seed,
          rule: r.rule,
        };
  return new Network(options);
}

/** MNIST (or Fashion-MNIST) images in [-1, 1] (the authors' normalisation), flat or [28, 28, 1] rows alike. */
function mnistRows(split: 'train' | 'test', limit: number, seed: number, dataset: 'mnist' | 'fashion-mnist' = 'mnist'): ClassifierData {
  const d = (dataset === 'mnist' ? loadMnist : loadFashionMnist)({ split, limit, seed, normalize: 'unit' });
  return { x: d.images.map((v) => 2 * v - 1), labels: d.labels, count: d.count };
}

/** Parametric layers of a run's network and which of them are spatial (conv or locally connected). */
function paramLayersOf(net: VectorizedNetwork | Network): { weight: tf.Variable; bias: tf.Variable | null; spatial: boolean }[] {
  return net instanceof VectorizedNetwork
    ? net.paramLayers.map((l) => ({ weight: l.weight, bias: l.bias, spatial: l.form !== 'dense' }))
    : net.paramLayers.map((l) => ({ weight: l.weight, bias: l.bias, spatial: l.kind !== 'dense' }));
}

export interface TrainingRunResult {
  spec: RunSpec;
  dataset: 'mnist' | 'fashion-mnist';
  label: string;
  testError: number;
  trainAccuracy: number;
  epochs: number;
  /** ||W_end - W_0||_F / ||W_0||_F of the first spatial layer (null for FC nets). */
  firstConvChange: number | null;
  /** The same after each epoch (absent for FC nets). */
  firstConvChangeByEpoch?: number[];
  seconds: number;
  records: { epoch: number; trainLoss: number; trainAccuracy: number; testAccuracy: number | null }[];
}

/** Pool job: one training run with Adam (the authors' optimiser) on the MNIST subsets. */
export async function trainingRun(args: { spec: RunSpec; settings: TrainSettings }): Promise<TrainingRunResult> {
  await initBackend({ print: false });
  const { spec, settings: s } = args;
  const t0 = performance.now();
  const dataset = checkOneOf('dataset', s.dataset ?? 'mnist', ['mnist', 'fashion-mnist'] as const);
  const train = mnistRows('train', s.trainLimit, s.subsetSeed, dataset);
  const test = mnistRows('test', s.testLimit, s.subsetSeed, dataset);
  const net = networkFor(spec, s.widths, spec.activation ?? s.conventionalActivation);
  const layers = paramLayersOf(net);
  const firstSpatial = layers.find((l) => l.spatial) ?? null;
  const w0 = firstSpatial ? firstSpatial.weight.clone() : null;
  const frozen = spec.frozen ? layers.filter((l) => l.spatial).map((l) => ({ l, w: l.weight.clone(), b: l.bias?.clone() ?? null })) : [];
  // Frozen layers: every step's change is undone (the optimiser's moments for them are never used).
  const classifier: Classifier = {
    inputShape: net.inputShape,
    predict: (x) => net.predict(x),
    oneHot: (y) => net.oneHot(y),
    trainStep: (x, t, opt) => {
      const out = net.trainStep(x, t, opt);
      for (const f of frozen) {
        f.l.weight.assign(f.w);
        if (f.b && f.l.bias) f.l.bias.assign(f.b);
      }
      return out;
    },
  };
  const optimizer = new Optimizer({ type: 'adam', lr: s.lr });
  const change = () => (w0 && firstSpatial ? tf.tidy(() => firstSpatial.weight.sub(w0).norm().div(w0.norm()).dataSync()[0]) : null);
  const changeByEpoch: number[] = [];
  const records = trainClassifier(classifier, train, {
    epochs: epochsFor(spec.arch, s), batchSize: s.batchSize, optimizer, seed: spec.seed, test,
    onEpoch: () => {
      const c = change();
      if (c !== null) changeByEpoch.push(c);
    },
  });
  const last = records[records.length - 1];
  const firstConvChange = change();
  const kept: (tf.Tensor | null)[] = [w0, ...frozen.flatMap((f) => [f.w, f.b])];
  tf.dispose(kept.filter((t): t is tf.Tensor => t !== null));
  optimizer.dispose();
  net.dispose();
  return {
    spec,
    dataset,
    label: runLabel(spec),
    testError: 100 * (1 - (last.testAccuracy as number)),
    trainAccuracy: last.trainAccuracy,
    epochs: records.length,
    firstConvChange,
    ...(firstConvChange !== null ? { firstConvChangeByEpoch: changeByEpoch } : {}),
    seconds: (performance.now() - t0) / 1000,
    records,
  };
}

export interface AlignmentResult {
  arch: Arch;
  sign: SignConstraint;
  width: number;
  seed: number;
  /** Per layer: mean over examples of the sign-match fraction, its minimum, and the largest opposite-sign fraction. */
  matchMean: number[];
  matchMin: number[];
  oppositeMax: number[];
  /** Per layer and all layers together: the mean over examples of the GEVB-BP angle (degrees). */
  angleMean: number[];
  angleAllMean: number;
}

/**
 * Pool job: GEVB against BP at initialisation, per example, on `examples`
 * MNIST test images: FC-Vec [width, width/2], or Conv-Vec / LC-Vec with
 * `widths` (width ignored).
 */
export async function alignmentRun(args: { arch: Arch; sign: SignConstraint; width: number; seed: number; examples: number; widths: Widths }): Promise<AlignmentResult> {
  await initBackend({ print: false });
  const { arch, sign, width, seed } = args;
  checkInteger('examples', args.examples, 1);
  const w: Widths = arch === 'fc' ? { ...args.widths, fcHidden: [checkInteger('width', width, 2), 2 * Math.max(1, Math.round(width / 4))] } : args.widths;
  const net = networkFor({ arch, vectorized: true, rule: 'gevb', sign, seed }, w) as VectorizedNetwork;
  const data = mnistRows('test', args.examples, 1000 + seed);
  const x = tf.tensor(data.x, [data.count, ...net.inputShape]);
  const cmp = compareWithBackprop(net, x, data.labels);
  x.dispose();
  net.dispose();
  const s = layerSignSummary(cmp.signMatch, cmp.signOpposite);
  const layers = cmp.angle[0].length;
  const angleMean = Array.from({ length: layers }, (_, k) => cmp.angle.reduce((a, row) => a + row[k], 0) / cmp.angle.length);
  return { arch, sign, width, seed, ...s, angleMean, angleAllMean: cmp.angleAll.reduce((a, b) => a + b, 0) / cmp.angleAll.length };
}

/** Per layer: mean and minimum over examples of the match fraction, maximum of the opposite fraction. */
export function layerSignSummary(match: readonly (readonly number[])[], opposite: readonly (readonly number[])[]): { matchMean: number[]; matchMin: number[]; oppositeMax: number[] } {
  if (match.length === 0 || match.length !== opposite.length) throw new ArgumentError('match', 'one row per example, as many as opposite', match.length);
  const layers = match[0].length;
  const col = (rows: readonly (readonly number[])[], k: number) => rows.map((r) => r[k]);
  return {
    matchMean: Array.from({ length: layers }, (_, k) => col(match, k).reduce((a, b) => a + b, 0) / match.length),
    matchMin: Array.from({ length: layers }, (_, k) => Math.min(...col(match, k))),
    oppositeMax: Array.from({ length: layers }, (_, k) => Math.max(...col(opposite, k))),
  };
}

/** (a) mean GEVB-BP angle against width: all layers together and per layer, median over seeds with the seed range as a band. */
export function widthSweepFigure(runs: readonly AlignmentResult[], sign: SignConstraint = 'nonnegative'): Figure {
  const fc = runs.filter((r) => r.arch === 'fc' && r.sign === sign);
  const widths = [...new Set(fc.map((r) => r.width))].sort((a, b) => a - b);
  if (widths.length === 0) throw new ArgumentError('runs', `FC-Vec alignment runs (${sign})`, runs.length);
  const layers = fc[0].angleMean.length;
  const series = (pick: (r: AlignmentResult) => number, name: string) => {
    const at = widths.map((w) => fc.filter((r) => r.width === w).map(pick));
    return { x: widths, y: at.map(median), name, mode: 'lines+markers' as const, band: { lower: at.map((v) => Math.min(...v)), upper: at.map((v) => Math.max(...v)) } };
  };
  return line(
    [series((r) => r.angleAllMean, 'all layers'), ...Array.from({ length: layers }, (_, k) => series((r) => r.angleMean[k], `layer ${k + 1}`))],
    { title: `GEVB vs BP at initialisation, FC-Vec [w, w/2] (${sign}), mean per-example angle`, xLabel: 'width w of the first hidden layer', yLabel: 'angle (degrees)', logX: true },
  );
}

/** Test errors by label: "median (min-max)" over seeds. */
function errorsByLabel(runs: readonly TrainingRunResult[]): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const r of runs) by.set(r.label, [...(by.get(r.label) ?? []), r.testError]);
  return by;
}

/** Test error (%) after each epoch of a run. */
function errorCurve(r: TrainingRunResult): number[] {
  return r.records.map((e) => 100 * (1 - (e.testAccuracy as number)));
}

/**
 * How flat a run's end is: its test error at the end minus `span` epochs
 * before (points; negative = still falling), or null for a run of at most
 * `span` epochs.
 */
export function endChange(r: TrainingRunResult, span = 3): number | null {
  checkInteger('span', span, 1);
  const e = errorCurve(r);
  return e.length > span ? e[e.length - 1] - e[e.length - 1 - span] : null;
}

/**
 * (b) one row per trained configuration: test error median (range) over
 * seeds, the seeds' count, epochs run, final training accuracy, and the
 * change of the test error over the last 3 epochs (where a run had more).
 */
export function errorRows(runs: readonly TrainingRunResult[]): Record<string, string>[] {
  const trained = runs.filter((r) => !r.spec.frozen);
  return [...errorsByLabel(trained)].map(([label, errs]) => {
    const mine = trained.filter((r) => r.label === label);
    const changes = mine.map((r) => endChange(r)).filter((c): c is number => c !== null);
    return {
      configuration: label,
      'test error % median (range)': formatMedianRange(errs, 2),
      seeds: String(errs.length),
      epochs: formatMedianRange(mine.map((r) => r.epochs), 0),
      'train accuracy %': formatMedianRange(mine.map((r) => 100 * r.trainAccuracy), 1),
      'error change over the last 3 epochs (points)': changes.length === mine.length ? formatMedianRange(changes, 2) : 'n/a (3 epochs or fewer)',
    };
  });
}

/**
 * Test error (%) against epoch per configuration: the median over seeds of
 * the runs that reached that epoch, the seeds' range as a band (runs stop
 * after an epoch at 100% training accuracy). `labels` picks configurations,
 * frozen-conv ones ('... (conv frozen)') included when named (default every
 * trained one).
 */
export function learningCurveFigure(runs: readonly TrainingRunResult[], labels?: readonly string[]): Figure {
  const trained = runs.filter((r) => (labels ? labels.includes(r.label) : !r.spec.frozen));
  if (trained.length === 0) throw new ArgumentError('runs', `trained runs${labels ? ` labelled ${labels.join(', ')}` : ''}`, runs.length);
  const names = [...new Set(trained.map((r) => r.label))];
  const traces = names.map((name) => {
    const curves = trained.filter((r) => r.label === name).map(errorCurve);
    const epochs = Array.from({ length: Math.max(...curves.map((c) => c.length)) }, (_, i) => i + 1);
    const at = epochs.map((e) => curves.filter((c) => c.length >= e).map((c) => c[e - 1]));
    return { x: epochs, y: at.map(median), name, mode: 'lines+markers' as const, band: { lower: at.map((v) => Math.min(...v)), upper: at.map((v) => Math.max(...v)) } };
  });
  return line(traces, { title: 'MNIST test error during training (median over seeds, range as band)', xLabel: 'epoch', yLabel: 'test error (%)', logY: true });
}

/** (c) per configuration with conv layers: the first conv layer's relative change, and the error trained vs frozen. */
export function filterChangeRows(runs: readonly TrainingRunResult[]): Record<string, string>[] {
  const spatial = runs.filter((r) => r.spec.arch !== 'fc');
  const keys = [...new Set(spatial.map((r) => runLabel({ ...r.spec, frozen: false })))];
  return keys.map((key) => {
    const trained = spatial.filter((r) => !r.spec.frozen && r.label === key);
    const frozen = spatial.filter((r) => r.spec.frozen && runLabel({ ...r.spec, frozen: false }) === key);
    return {
      configuration: key,
      'first conv layer ||W - W0|| / ||W0||': formatMedianRange(trained.map((r) => r.firstConvChange as number), 3),
      'test error % trained': formatMedianRange(trained.map((r) => r.testError), 2),
      'test error % conv frozen': formatMedianRange(frozen.map((r) => r.testError), 2),
    };
  });
}

/**
 * (c) learning curves as a table: one row per epoch, per configuration (frozen
 * ones included) the test error (%) and, for trained spatial nets, the first
 * conv layer's relative change after that epoch; medians over the runs of a
 * label that reached the epoch ('' where none did).
 */
export function epochRows(runs: readonly TrainingRunResult[]): Record<string, string>[] {
  if (runs.length === 0) throw new ArgumentError('runs', 'at least one training run', 0);
  const labels = [...new Set(runs.map((r) => r.label))];
  const epochs = Math.max(...runs.map((r) => r.records.length));
  return Array.from({ length: epochs }, (_, i) => {
    const row: Record<string, string> = { epoch: String(i + 1) };
    for (const label of labels) {
      const mine = runs.filter((r) => r.label === label && r.records.length > i);
      row[`${label} error %`] = mine.length ? median(mine.map((r) => errorCurve(r)[i])).toFixed(2) : '';
      const changes = mine.map((r) => r.firstConvChangeByEpoch?.[i]).filter((c): c is number => c !== undefined);
      if (!runs.some((r) => r.label === label && r.spec.frozen) && runs.some((r) => r.label === label && r.firstConvChangeByEpoch)) {
        row[`${label} conv change`] = changes.length ? median(changes).toFixed(3) : '';
      }
    }
    return row;
  });
}

/** (b) the paper's table beside the measured medians (null where not run). */
export function reproductionRows(runs: readonly TrainingRunResult[], settingsNote: string): Record<string, string>[] {
  const by = errorsByLabel(runs.filter((r) => !r.spec.frozen));
  const cell = (label: string) => {
    const e = by.get(label);
    return e ? formatMedianRange(e, 2) : 'not run';
  };
  return Object.entries(PAPER_MNIST_ERRORS).map(([model, p]) => {
    const vec = model.endsWith('-Vec');
    const df = vec ? 'GEVB' : 'DFA';
    return {
      model,
      [`paper DF+ / BP+ / DF / BP`]: `${p.dfPlus} / ${p.bpPlus} / ${p.df} / ${p.bp}`,
      'measured DF+': cell(`${model} ${df}+`),
      'measured BP+': cell(`${model} BP+`),
      'measured DF': cell(`${model} ${df}`),
      'measured BP': cell(`${model} BP`),
      settings: settingsNote,
    };
  });
}

/**
 * Seconds on idle cores: examples seen (train limit x the architecture's epochs) times the
 * per-example cost of each run's architecture, over `workers` pool workers
 * running side by side (default 1), plus the alignment passes.
 */
export function estimatedRunSeconds(o: {
  runs: readonly { arch: Arch; vectorized: boolean }[];
  trainLimit: number;
  /** FC epochs; `spatialEpochs` those of conv / LC nets (default `epochs`), as in TrainSettings (an upper bound: runs stop at 100% training accuracy). */
  epochs: number;
  spatialEpochs?: number;
  secondsPerExample: Readonly<Record<string, number>>;
  alignmentSeconds: number;
  workers?: number;
}): number {
  checkInteger('trainLimit', o.trainLimit, 1);
  checkInteger('epochs', o.epochs, 1);
  if (o.spatialEpochs !== undefined) checkInteger('spatialEpochs', o.spatialEpochs, 1);
  const workers = checkInteger('workers', o.workers ?? 1, 1);
  return o.alignmentSeconds + o.runs.reduce((s, r) => {
    const key = `${r.arch}${r.vectorized ? '-vec' : ''}`;
    const c = o.secondsPerExample[key];
    if (c === undefined) throw new ArgumentError('secondsPerExample', `a cost for '${key}'`, Object.keys(o.secondsPerExample));
    return s + (c * o.trainLimit * epochsFor(r.arch, o)) / workers;
  }, 0);
}
