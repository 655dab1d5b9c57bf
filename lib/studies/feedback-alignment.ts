/**
 * Study: feedback alignment and its relatives beside backprop
 * (notebooks/feedback-alignment.ipynb; Sanfiz & Akrout 2021, arXiv:2108.13446).
 *
 * BP, FA, DFA, uSF, brSF, frSF and Kolen-Pollack train BioTorch's LeNet and an
 * MLP on MNIST and Fashion-MNIST with BioTorch's SGD schedule; each rule's
 * learning rate is tuned per model on MNIST examples held out from the
 * training subset. This file holds what the notebook computes around the
 * calls: the training jobs, the learning-rate choice, statistics over seeds,
 * the figures and the reproduction-table rows.
 *
 *   test error (%)        e = 100 (1 - accuracy)
 *   learning rate         lr*(model, rule) = argmax_lr held-out accuracy(lr), over the
 *                         candidates that did not diverge; the first candidate wins a tie,
 *                         and the fallback stands when every candidate diverged
 *   update angle          angle(dW_rule, dW_BP) on the same probe batch (trainer metric)
 *   run-time estimate     1.25 (sum of epochs over runs) (batches per epoch) (sum of step
 *                         times over models) / workers  (the 1.25: evaluation and probes)
 *
 * Exports: modelJob (shared with low-dimensional-feedback), trainingJob,
 * trainingJobs, tuningJobs, tuningRecords, selectLearningRates, runsOf, finalErrors,
 * largestGapToBp, testErrorFigure, updateAngleFigure, finalAngleRows,
 * reproductionRows, medianErrors, perRunRecords, trainingStepSeconds,
 * estimatedRunSeconds, and the display names and BioTorch's numbers.
 */
import { ArgumentError, checkInteger, checkPositive, formatMedianRange, median } from '../core';
import { Figure, line, LineSeries, PALETTE } from '../plot';
import { FeedbackOptions, JobData, lenet, mlp, Network, NetworkOptions, RuleName, train, TrainingJob, TrainingJobResult } from '../rules';

export type Model = 'lenet' | 'mlp';
export type DatasetName = 'mnist' | 'fashion-mnist';

/** How each rule, data set and layer is named in figures and tables. */
export const RULE_LABEL: Readonly<Record<string, string>> = { bp: 'BP', fa: 'FA', dfa: 'DFA', usf: 'uSF', brsf: 'brSF', frsf: 'frSF', 'kolen-pollack': 'Kolen-Pollack' };
export const DATASET_LABEL: Readonly<Record<DatasetName, string>> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };
/** Parametric layers of each model, in order. */
export const LAYER_LABELS: Readonly<Record<Model, readonly string[]>> = { lenet: ['conv1', 'conv2', 'conv3', 'fc1', 'fc2'], mlp: ['fc1', 'fc2', 'fc3'] };

/** 'LeNet', or 'MLP 784-<hidden>-10'. */
export function modelLabel(model: Model, mlpHidden: readonly number[]): string {
  return model === 'lenet' ? 'LeNet' : `MLP 784-${mlpHidden.join('-')}-10`;
}

/** BioTorch's top-1 test error (%), LeNet, 100 epochs, full data (no Kolen-Pollack, no MLP numbers). */
export const BIOTORCH_ERRORS: Readonly<Record<DatasetName, Readonly<Record<string, number>>>> = {
  mnist: { bp: 0.91, fa: 1.7, dfa: 1.61, usf: 0.94, brsf: 0.91, frsf: 0.97 },
  'fashion-mnist': { bp: 9.2, fa: 13.06, dfa: 12.81, usf: 9.69, brsf: 10.02, frsf: 9.61 },
};

// ------------------------------------------------------------------ jobs

/** One run of LeNet or an MLP on MNIST / Fashion-MNIST, as both studies describe it. */
export interface ModelJobSpec {
  label: string;
  model: Model;
  /** MLP hidden widths (ignored for LeNet). */
  hidden: number[];
  rule: RuleName;
  feedback?: FeedbackOptions;
  seed: number;
  /** Everything of the data but the padding, which follows the model. */
  data: Omit<JobData, 'pad'>;
  train: NonNullable<TrainingJob['train']>;
}

/**
 * The TrainingJob of one run: LeNet takes 28x28 images zero-padded to 32x32
 * (pad 2, BioTorch), the MLP flat 784-pixel images.
 */
export function modelJob(spec: ModelJobSpec): TrainingJob {
  const common = { rule: spec.rule, seed: spec.seed, ...(spec.feedback ? { feedback: spec.feedback } : {}) };
  return {
    label: spec.label,
    network: spec.model === 'lenet' ? lenet(common) : mlp({ ...common, inputSize: 784, hidden: spec.hidden }),
    data: { ...spec.data, pad: spec.model === 'lenet' ? 2 : 0 },
    train: spec.train,
  };
}

/** The settings shared by every run of this study. */
export interface FeedbackAlignmentSettings {
  trainLimit: number;
  testLimit: number;
  /** Which training / test images (the same for every run). */
  subsetSeed: number;
  batchSize: number;
  momentum: number;
  weightDecay: number;
  mlpHidden: number[];
  /** Batch on which alignment with BP is measured each epoch. */
  probeSize: number;
}

/** One run: which model, data, rule and seed, and its SGD schedule. */
export interface RunSpec {
  model: Model;
  dataset: DatasetName;
  rule: RuleName;
  seed: number;
  lr: number;
  epochs: number;
  /** 0-based epochs from which the learning rate is divided by 10. */
  milestones: number[];
  /** Training examples held out as the evaluation set (tuning); 0 or absent: the test split. */
  holdout?: number;
}

/** The TrainingJob of one run, labelled 'model/dataset/rule/seed'; BioTorch's SGD with momentum, weight decay and step decay. */
export function trainingJob(s: FeedbackAlignmentSettings, run: RunSpec): TrainingJob {
  const holdout = run.holdout ?? 0;
  return modelJob({
    label: `${run.model}/${run.dataset}/${run.rule}/${run.seed}`,
    model: run.model,
    hidden: s.mlpHidden,
    rule: run.rule,
    seed: run.seed,
    data: { dataset: run.dataset, trainLimit: s.trainLimit, testLimit: s.testLimit, subsetSeed: s.subsetSeed, normalize: 'standard', ...(holdout > 0 ? { holdout } : {}) },
    train: {
      epochs: run.epochs, batchSize: s.batchSize, seed: run.seed, probeSize: s.probeSize,
      optimizer: { type: 'sgd', lr: run.lr, momentum: s.momentum, weightDecay: s.weightDecay, schedule: { type: 'step', milestones: run.milestones, gamma: 0.1 } },
    },
  });
}

/**
 * Every run of the study, model by model (LeNet first), then data set, rule
 * and seed, each rule with its model's tuned rate.
 */
export function trainingJobs(
  s: FeedbackAlignmentSettings,
  o: {
    models: readonly Model[]; datasets: readonly DatasetName[]; rules: readonly RuleName[]; seeds: readonly number[];
    lr: Record<Model, Record<string, number>>; epochs: number; milestones: number[];
  },
): TrainingJob[] {
  const jobs: TrainingJob[] = [];
  for (const model of o.models) for (const dataset of o.datasets) for (const rule of o.rules) for (const seed of o.seeds) {
    const lr = o.lr[model]?.[rule];
    if (typeof lr !== 'number') throw new ArgumentError(`lr.${model}.${rule}`, 'a learning rate', lr);
    jobs.push(trainingJob(s, { model, dataset, rule, seed, lr, epochs: o.epochs, milestones: o.milestones }));
  }
  return jobs;
}

// ------------------------------------------------------------------ learning rate

/** One tuning run: which model, rule and rate. */
export interface TuningKey {
  model: Model;
  rule: RuleName;
  lr: number;
}

/** A tuning run's outcome: held-out accuracy, or null and the message when it diverged. */
export interface TuningRecord extends TuningKey {
  heldOutAccuracy: number | null;
  diverged: string | null;
}

/**
 * The tuning runs: every model x rule x candidate rate on MNIST, seed 0,
 * `epochs` epochs without rate drops, evaluated on the last `holdout`
 * training examples.
 */
export function tuningJobs(
  s: FeedbackAlignmentSettings,
  o: { models: readonly Model[]; rules: readonly RuleName[]; candidates: readonly number[]; epochs: number; holdout: number },
): { key: TuningKey; job: TrainingJob }[] {
  const out: { key: TuningKey; job: TrainingJob }[] = [];
  for (const model of o.models) for (const rule of o.rules) for (const lr of o.candidates) {
    out.push({ key: { model, rule, lr }, job: trainingJob(s, { model, dataset: 'mnist', rule, seed: 0, lr, epochs: o.epochs, milestones: [], holdout: o.holdout }) });
  }
  return out;
}

/** Each tuning run's key beside its held-out accuracy (null when it diverged). */
export function tuningRecords(runs: readonly { key: TuningKey }[], results: readonly TrainingJobResult[]): TuningRecord[] {
  if (results.length !== runs.length) throw new ArgumentError('results', `one result per tuning run (${runs.length})`, `${results.length} results`);
  return results.map((r, i) => ({ ...runs[i].key, heldOutAccuracy: r.diverged ? null : r.finalTestAccuracy, diverged: r.diverged?.message ?? null }));
}

/**
 * The rate per model and rule with the best held-out accuracy among the runs
 * that did not diverge (the first listed wins a tie); `fallback` where no
 * run of that model and rule finished.
 */
export function selectLearningRates(
  tuning: readonly TuningRecord[],
  models: readonly Model[],
  rules: readonly RuleName[],
  fallback: number,
): Record<Model, Record<string, number>> {
  const lr = {} as Record<Model, Record<string, number>>;
  for (const model of models) {
    lr[model] = {};
    for (const rule of rules) {
      let best: TuningRecord | null = null;
      for (const t of tuning) {
        if (t.model !== model || t.rule !== rule || t.heldOutAccuracy === null) continue;
        if (best === null || t.heldOutAccuracy > (best.heldOutAccuracy as number)) best = t;
      }
      lr[model][rule] = best === null ? fallback : best.lr;
    }
  }
  return lr;
}

// ------------------------------------------------------------------ statistics over seeds

/** The runs of one model, data set and rule (labels 'model/dataset/rule/seed'), in the order given. */
export function runsOf(results: readonly TrainingJobResult[], model: Model, dataset: DatasetName, rule: string): TrainingJobResult[] {
  const prefix = `${model}/${dataset}/${rule}`;
  return results.filter((r) => typeof r.label === 'string' && r.label.split('/').slice(0, 3).join('/') === prefix);
}

/** Final test error (%) of each run that finished (diverged runs have none). */
export function finalErrors(runs: readonly TrainingJobResult[]): number[] {
  return runs.filter((r) => r.finalTestAccuracy !== null).map((r) => 100 * (1 - (r.finalTestAccuracy as number)));
}

/**
 * The rule whose median final error is furthest above BP's (the first listed
 * wins a tie), with BP's median and the gap in points; null when BP has no
 * finished run.
 */
export function largestGapToBp(
  results: readonly TrainingJobResult[],
  model: Model,
  dataset: DatasetName,
  rules: readonly string[],
): { bp: number; rule: string; gap: number } | null {
  const bpErrors = finalErrors(runsOf(results, model, dataset, 'bp'));
  if (bpErrors.length === 0) return null;
  const bp = median(bpErrors);
  let worst: { rule: string; err: number } | null = null;
  for (const rule of rules) {
    const e = finalErrors(runsOf(results, model, dataset, rule));
    if (e.length === 0) continue;
    const m = median(e);
    if (worst === null || m > worst.err) worst = { rule, err: m };
  }
  const w = worst as { rule: string; err: number };
  return { bp, rule: w.rule, gap: w.err - bp };
}

/** Median test error (%) per 'model/dataset/rule' (null where every seed diverged). */
export function medianErrors(
  results: readonly TrainingJobResult[],
  models: readonly Model[],
  datasets: readonly DatasetName[],
  rules: readonly string[],
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const model of models) for (const dataset of datasets) for (const rule of rules) {
    const e = finalErrors(runsOf(results, model, dataset, rule));
    out[`${model}/${dataset}/${rule}`] = e.length ? median(e) : null;
  }
  return out;
}

/** What results.json keeps of each run: errors per epoch (%), per-layer alignment per epoch, divergence, time. */
export function perRunRecords(results: readonly TrainingJobResult[]): Record<string, unknown>[] {
  return results.map((r) => ({
    label: r.label, rule: r.rule, seed: r.seed,
    testError: r.finalTestAccuracy === null ? null : 100 * (1 - r.finalTestAccuracy),
    testErrorByEpoch: r.history.records.map((e) => e.testAccuracy === null ? null : 100 * (1 - e.testAccuracy)),
    alignmentByEpoch: r.history.records.map((e) => e.alignment),
    diverged: r.diverged, seconds: r.history.seconds,
  }));
}

// ------------------------------------------------------------------ figures and tables

/** Figure 1: test error over epochs per rule, median over the finished seeds, band from best to worst seed. */
export function testErrorFigure(
  results: readonly TrainingJobResult[],
  model: Model,
  dataset: DatasetName,
  rules: readonly string[],
  mlpHidden: readonly number[],
): Figure {
  const series: LineSeries[] = rules.map((rule, i) => {
    const runs = runsOf(results, model, dataset, rule).filter((r) => !r.diverged);
    const epochs = runs.length ? runs[0].history.records.map((e) => e.epoch) : [0];
    const at = (k: number) => runs.map((r) => 100 * (1 - (r.history.records[k].testAccuracy as number)));
    return {
      name: RULE_LABEL[rule] ?? rule, color: PALETTE[i % PALETTE.length], mode: 'lines+markers' as const,
      x: epochs, y: epochs.map((_, k) => runs.length ? median(at(k)) : NaN),
      band: runs.length > 1 ? { lower: epochs.map((_, k) => Math.min(...at(k))), upper: epochs.map((_, k) => Math.max(...at(k))) } : undefined,
    };
  });
  return line(series, { title: `${modelLabel(model, mlpHidden)}, ${DATASET_LABEL[dataset]}: test error`, xLabel: 'epoch', xInteger: true, yLabel: 'test error (%)' });
}

const DASHES = ['solid', 'dash', 'dot', 'dashdot'] as const;

/** Each non-BP rule's finished MNIST runs with its colour index (the index counts rules without runs too). */
function alignedRules(results: readonly TrainingJobResult[], model: Model, rules: readonly string[]): { rule: string; index: number; runs: TrainingJobResult[] }[] {
  return rules.filter((r) => r !== 'bp')
    .map((rule, index) => ({ rule, index, runs: runsOf(results, model, 'mnist', rule).filter((r) => !r.diverged) }))
    .filter((x) => x.runs.length > 0);
}

/**
 * Figure 2: per rule and hidden layer (the output layer, which receives the
 * true error under every rule, is left out), the median over seeds of the
 * angle between the rule's update and BP's at each epoch, MNIST. Colour =
 * rule, dash = layer.
 */
export function updateAngleFigure(results: readonly TrainingJobResult[], model: Model, rules: readonly string[], mlpHidden: readonly number[]): Figure {
  const series: LineSeries[] = [];
  for (const { rule, index, runs } of alignedRules(results, model, rules)) {
    const recs = runs[0].history.records;
    for (let k = 0; k < recs[0].alignment.length - 1; k++) {
      series.push({
        name: `${RULE_LABEL[rule] ?? rule} ${LAYER_LABELS[model][k]}`, color: PALETTE[(index + 1) % PALETTE.length], dash: DASHES[k % DASHES.length],
        x: recs.map((r) => r.epoch), y: recs.map((_, e) => median(runs.map((r) => r.history.records[e].alignment[k].updateAngle))),
      });
    }
  }
  return line(series, { title: `${modelLabel(model, mlpHidden)}, MNIST: angle between the rule's update and BP's`, xLabel: 'epoch', xInteger: true, yLabel: 'angle (degrees)', yRange: [0, 120] });
}

/**
 * After the last epoch, per rule and hidden layer (MNIST, median over seeds,
 * one decimal): the update angle to BP and the angle between B and W^T (null
 * for DFA, which has no B of W's shape).
 */
export function finalAngleRows(results: readonly TrainingJobResult[], model: Model, rules: readonly string[], mlpHidden: readonly number[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const { rule, runs } of alignedRules(results, model, rules)) {
    const recs = runs[0].history.records;
    const last = recs.length - 1;
    for (let k = 0; k < recs[0].alignment.length - 1; k++) {
      const fb = runs.map((r) => r.history.records[last].alignment[k].feedbackAngle).filter((v): v is number => v !== null);
      rows.push({
        model: modelLabel(model, mlpHidden), rule: RULE_LABEL[rule] ?? rule, layer: LAYER_LABELS[model][k],
        'update vs BP (deg)': Number(median(runs.map((r) => r.history.records[last].alignment[k].updateAngle)).toFixed(1)),
        'B vs W^T (deg)': fb.length ? Number(median(fb).toFixed(1)) : null,
      });
    }
  }
  return rows;
}

/**
 * The reproduction table: per data set, model and rule, BioTorch's error
 * (LeNet only; '-' where it reports none), the measured error as "median
 * (min-max)" over the finished seeds ('diverged' when none finished, with the
 * count of diverged seeds), and the settings used.
 */
export function reproductionRows(
  results: readonly TrainingJobResult[],
  o: {
    datasets: readonly DatasetName[]; models: readonly Model[]; rules: readonly RuleName[];
    lr: Record<Model, Record<string, number>>; settings: FeedbackAlignmentSettings; epochs: number; milestones: readonly number[]; seeds: number;
  },
): Record<string, unknown>[] {
  const s = o.settings;
  const rows: Record<string, unknown>[] = [];
  for (const dataset of o.datasets) for (const model of o.models) for (const rule of o.rules) {
    const runs = runsOf(results, model, dataset, rule);
    const nDiv = runs.filter((r) => r.diverged).length;
    const paper = BIOTORCH_ERRORS[dataset][rule];
    rows.push({
      dataset: DATASET_LABEL[dataset], model: modelLabel(model, s.mlpHidden), rule: RULE_LABEL[rule] ?? rule,
      'BioTorch error (%)': model === 'lenet' && paper !== undefined ? paper : '-',
      'measured error (%)': formatMedianRange(finalErrors(runs), { digits: 2, empty: 'diverged' }) + (nDiv ? ` [${nDiv} diverged]` : ''),
      settings: `${s.trainLimit} train / ${s.testLimit} test images, ${o.epochs} epochs (lr/10 at ${o.milestones.join(', ') || '-'}), ` +
        `SGD lr ${o.lr[model][rule]} m ${s.momentum} wd ${s.weightDecay}, batch ${s.batchSize}, ${o.seeds} seed(s)`,
    });
  }
  return rows;
}

// ------------------------------------------------------------------ run-time estimate

/**
 * Seconds per training step of `network` at `batchSize` on this machine, as
 * `train()` takes it (the fused native step where it applies, else the
 * reference path): one epoch of `steps` batches of random rows, timed after
 * a one-batch warm-up epoch (first-call allocation and kernel set-up).
 */
export async function trainingStepSeconds(network: NetworkOptions, batchSize: number, steps = 4): Promise<number> {
  checkInteger('batchSize', batchSize, 1);
  checkInteger('steps', steps, 1);
  const net = new Network(network);
  const classes = net.outputShape[net.outputShape.length - 1];
  const width = net.inputShape.reduce((a, b) => a * b, 1);
  const rows = batchSize * steps;
  const x = new Float32Array(rows * width);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 0.5;   // fixed values: timing only
  const y = Int32Array.from({ length: rows }, (_, i) => i % classes);
  const options = { epochs: 1, batchSize, seed: 0, alignment: false, progress: false, optimizer: { type: 'sgd' as const, lr: 0.001 } };
  try {
    await train(net, { x: x.subarray(0, batchSize * width), y: y.subarray(0, batchSize), count: batchSize, shape: [...net.inputShape] }, options);
    const t0 = Date.now();
    await train(net, { x, y, count: rows, shape: [...net.inputShape] }, options);
    return (Date.now() - t0) / (1000 * steps);
  } finally {
    net.dispose();
  }
}

/**
 * Estimated wall time (s): 1.25 x (epochs summed over every run of one model)
 * x batches per epoch x (one step of each model, summed) / workers -- each
 * run is made for every model; the 1.25 covers evaluation and alignment probes.
 */
export function estimatedRunSeconds(o: { stepSeconds: readonly number[]; runEpochs: number; batchesPerEpoch: number; workers: number }): number {
  checkPositive('workers', o.workers);
  let step = 0;
  for (const s of o.stepSeconds) step += s;
  return 1.25 * o.runEpochs * o.batchesPerEpoch * step / o.workers;
}
