/**
 * Study: credit assignment without weight transport, at depth
 * (notebooks/weight-symmetry-at-depth.ipynb; issue 17). Moskovitz,
 * Litwin-Kumar & Abbott 2018 (arXiv 1812.06488): plain feedback alignment
 * fails on deep conv nets, sign-concordant feedback with Batch Manhattan,
 * batch norm and a weight-norm constraint comes close to BP. Kunin et al.
 * 2020 (ICML, arXiv 2003.01513, "two routes"): the weight mirror is
 * sensitive to its metaparameters and does not transfer across
 * architectures, information alignment is more robust, the gap to BP widens
 * with depth, the non-local rules (symmetric, activation alignment) match BP.
 * No CIFAR or ImageNet here: plain conv nets of growing depth on
 * Fashion-MNIST stand in for scale (lib/rules plainConvNet).
 *
 *   test error (%)       e = 100 (1 - final test accuracy); a diverged run has none
 *   gap to BP            median_seeds e(rule) - median_seeds e(BP), same depth, width
 *                        and optimiser variant (SGD or Batch Manhattan, norm constraint
 *                        on or off)
 *   hidden update angle  mean over the parametric layers below the output layer of
 *                        angle(dW_rule, dW_BP) on the trainer's probe batch at the
 *                        last epoch (the output layer gets the true error: 0 degrees)
 *   feedback angle       mean over the parametric layers above the first of angle(B, W)
 *                        at the last epoch (layer k's B carries the signal to layer k-1,
 *                        so the first layer's B is unused): whether a learned B aligned
 *   grid                 coefficients (alpha, beta) = defaults x factors (log-spaced,
 *                        stated before running); the best setting is the one with the
 *                        highest median test accuracy (first listed wins a tie)
 *   spread               max - min of the grid's test accuracies (points): sensitivity
 *   noisy updates        item (c): the learned feedback B of symmetric / activation
 *                        alignment and Kolen-Pollack gets xi ~ N(0, sigma^2) added to
 *                        every element after each of its updates (the rules'
 *                        updateNoise; our reading of Kunin et al.'s noisy updates as
 *                        noise in the weight-estimation process, not checked against
 *                        their code); a run's key carries sigma (absent = none)
 *
 * Every run is a lib/rules TrainingJob (runConfigurations runs them on the
 * worker pool); `runRecords` pairs each job's key with its result.
 * Exports: RULE_LABEL, CLAIMS, studyJob, depthRuns, gridCoefficients, gridRuns,
 * nonLocalRuns, runRecords, gapToBp, meanHiddenAngle, meanFeedbackAngle, gridAccuracy, bestGridSetting,
 * gridSpread, gapFigure, angleFigure, gridFigure, claimRows, variantLabel,
 * estimatedSeconds.
 *
 *   Kolen-Pollack        the network optimiser of its runs has weight decay 1e-3
 *                        (kolenPollackDecay), which B's decay follows, so W and B get
 *                        the same update (Akrout et al. 2019); B follows the norm
 *                        constraint's rescaling of W (lib/rules kolen-pollack.ts)
 *
 *   run-time estimate    1.25 sum over runs of epochs x batches per epoch x the step time
 *                        of the run's network, / workers (the 1.25: evaluation and probes)
 */
import { ArgumentError, checkInteger, checkNumber, checkPositive, median } from '../core';
import { Figure, heatmap, line, LineSeries, PALETTE } from '../plot';
import { plainConvNet, resnet, ruleDefinition, RuleName, TrainingJob, TrainingJobResult } from '../rules';

/** How rules are named in figures and tables. */
export const RULE_LABEL: Readonly<Record<string, string>> = {
  bp: 'BP', fa: 'FA', dfa: 'DFA', usf: 'uSF', brsf: 'brSF', frsf: 'frSF', 'kolen-pollack': 'Kolen-Pollack',
  'weight-mirror': 'weight mirror', 'information-alignment': 'information alignment', 'symmetric-alignment': 'symmetric alignment', 'activation-alignment': 'activation alignment',
};

/** The two papers' claims this study puts beside its measurements (claimRows). */
export const CLAIMS = {
  faFailsWithDepth: 'Moskovitz et al. 2018: plain FA fails to scale (ImageNet ResNet-18 top-1 error FA 85.3% vs BP 30.4%, BioTorch replication)',
  signCloses: 'Moskovitz et al. 2018: sign-concordant feedback with Batch Manhattan, batch norm and norm control comes close to BP (ResNet-18: uSF 35.0%, frSF 36.5% vs BP 30.4%)',
  mirrorSensitive: 'Kunin et al. 2020: the weight mirror is highly sensitive to its metaparameters; information alignment is more robust',
  mirrorTransfer: 'Kunin et al. 2020: the best weight-mirror setting does not transfer across architectures',
  gapWidens: 'Kunin et al. 2020: information alignment\'s gap to BP widens with depth (ImageNet ResNet-18 to ResNet-50)',
  nonLocalMatch: 'Kunin et al. 2020: the non-local rules (symmetric and activation alignment; Kolen-Pollack alongside) match BP',
  noiseTolerant: 'Kunin et al. 2020: the non-local rules operate effectively with noisy updates',
} as const;

/** Settings shared by every run. */
export interface StudySettings {
  dataset: 'mnist' | 'fashion-mnist';
  trainLimit: number;
  testLimit: number;
  subsetSeed: number;
  /** Channels of the first stage (plainConvNet's width; the ResNet's too). */
  width: number;
  batchNorm: boolean;
  epochs: number;
  batchSize: number;
  momentum: number;
  /** SGD learning rate, and the Batch Manhattan one (every weight moves by lr per step before momentum). */
  lr: number;
  manhattanLr: number;
  probeSize: number;
  /**
   * Weight decay of the network optimiser in Kolen-Pollack runs (default 1e-3,
   * the authors' KP coefficient): B's decay defaults to the network's, so W and
   * B decay alike, as Akrout et al. 2019 specify; the other rules run without.
   */
  kolenPollackDecay?: number;
}

/** The optimiser variant of a run. */
export interface Variant {
  manhattan: boolean;
  normConstraint: boolean;
}

/** One run: which part of the study, architecture, rule, variant, seed and (grid) the rule's two coefficients. */
export interface RunKey {
  part: 'depth' | 'grid' | 'transfer' | 'non-local';
  model: 'plain' | 'resnet';
  depth: number;
  rule: RuleName;
  variant: Variant;
  seed: number;
  coefficients?: { alpha: number; beta: number };
  /** Item (c): standard deviation of the Gaussian noise added to every element of B after each update (absent or 0: none). */
  updateNoise?: number;
}

/** 'SGD' / 'BM', with ' + norm' when the norm constraint is on. */
export function variantLabel(v: Variant): string {
  return `${v.manhattan ? 'BM' : 'SGD'}${v.normConstraint ? ' + norm' : ''}`;
}

const keyLabel = (k: RunKey) =>
  `${k.part}/${k.model}${k.depth}/${k.rule}/${variantLabel(k.variant)}/${k.seed}${k.coefficients ? `/a${k.coefficients.alpha}-b${k.coefficients.beta}` : ''}${k.updateNoise ? `/noise${k.updateNoise}` : ''}`;

/** The TrainingJob of one run: the network, the data subset, and SGD (momentum) or Batch Manhattan with or without the norm constraint. */
export function studyJob(s: StudySettings, key: RunKey): TrainingJob {
  checkInteger('depth', key.depth, 1);
  const feedback = { ...(key.coefficients ?? {}), ...(key.updateNoise ? { updateNoise: checkPositive('updateNoise', key.updateNoise) } : {}) };
  const common = { rule: key.rule, seed: key.seed, width: s.width, ...(Object.keys(feedback).length ? { feedback } : {}) };
  const network = key.model === 'resnet' ? resnet({ ...common, depth: key.depth } as Parameters<typeof resnet>[0]) : plainConvNet({ ...common, depth: key.depth, batchNorm: s.batchNorm } as Parameters<typeof plainConvNet>[0]);
  const v = key.variant;
  return {
    label: keyLabel(key),
    network,
    data: { dataset: s.dataset, trainLimit: s.trainLimit, testLimit: s.testLimit, subsetSeed: s.subsetSeed, normalize: 'standard' },
    train: {
      epochs: s.epochs, batchSize: s.batchSize, seed: key.seed, probeSize: s.probeSize, weightNormConstraint: v.normConstraint,
      optimizer: {
        type: 'sgd', lr: checkPositive(v.manhattan ? 'manhattanLr' : 'lr', v.manhattan ? s.manhattanLr : s.lr), momentum: s.momentum, manhattan: v.manhattan,
        ...(key.rule === 'kolen-pollack' ? { weightDecay: checkNumber('kolenPollackDecay', s.kolenPollackDecay ?? 1e-3, 0) } : {}),
      },
    },
  };
}

/** Item (a): every depth x rule x variant x seed of plain conv nets. */
export function depthRuns(o: { depths: readonly number[]; rules: readonly RuleName[]; variants: readonly Variant[]; seeds: readonly number[] }): RunKey[] {
  const out: RunKey[] = [];
  for (const depth of o.depths) for (const rule of o.rules) for (const variant of o.variants) for (const seed of o.seeds) {
    out.push({ part: 'depth', model: 'plain', depth, rule, variant: { ...variant }, seed });
  }
  return out;
}

/** The grid of a Kunin rule's two leading coefficients: its defaults (the authors' code) times each factor. */
export function gridCoefficients(rule: RuleName, factors: readonly number[]): { alphas: number[]; betas: number[] } {
  const d = ruleDefinition(rule).defaults as { alpha?: number; beta?: number };
  if (typeof d.alpha !== 'number' || typeof d.beta !== 'number') throw new ArgumentError('rule', 'a rule with alpha and beta coefficients (the Kunin family)', rule);
  if (!Array.isArray(factors) || factors.length === 0) throw new ArgumentError('factors', 'a non-empty array of positive factors', factors);
  factors.forEach((f, i) => checkPositive(`factors[${i}]`, f));
  // Rounded to 3 significant digits so that labels and tables read as the grid was stated.
  const scaled = (x: number) => factors.map((f) => Number((x * f).toPrecision(3)));
  return { alphas: scaled(d.alpha), betas: scaled(d.beta) };
}

/** Item (b): the grid of each rule at one depth (one seed), with the variant given. */
export function gridRuns(o: { rules: readonly RuleName[]; factors: readonly number[]; depth: number; variant: Variant; seed: number }): RunKey[] {
  const out: RunKey[] = [];
  for (const rule of o.rules) {
    const { alphas, betas } = gridCoefficients(rule, o.factors);
    for (const beta of betas) for (const alpha of alphas) out.push({ part: 'grid', model: 'plain', depth: o.depth, rule, variant: { ...o.variant }, seed: o.seed, coefficients: { alpha, beta } });
  }
  return out;
}

/** Item (c): each non-local rule at one depth, without noise and with each of `noises` (standard deviations), every seed. */
export function nonLocalRuns(o: { rules: readonly RuleName[]; depth: number; variant: Variant; seeds: readonly number[]; noises: readonly number[] }): RunKey[] {
  o.noises.forEach((x, i) => checkPositive(`noises[${i}]`, x));
  const out: RunKey[] = [];
  for (const rule of o.rules) for (const noise of [0, ...o.noises]) for (const seed of o.seeds) {
    out.push({ part: 'non-local', model: 'plain', depth: o.depth, rule, variant: { ...o.variant }, seed, ...(noise ? { updateNoise: noise } : {}) });
  }
  return out;
}

/** A run's key, its test error (%, null if diverged) and its final per-layer update angles to BP. */
export interface RunRecord {
  key: RunKey;
  error: number | null;
  angles: number[];
  /** Per-layer angle (degrees) between the feedback kernel B and W at the last epoch; null for DFA (and BP's W itself: 0). */
  feedbackAngles: (number | null)[];
  diverged: boolean;
  seconds: number;
}

/** Pairs each key with the result of its job (results in the jobs' order, as runConfigurations returns them). */
export function runRecords(keys: readonly RunKey[], results: readonly TrainingJobResult[]): RunRecord[] {
  if (keys.length !== results.length) throw new ArgumentError('results', `${keys.length} results (one per key)`, results.length);
  return keys.map((key, i) => {
    const r = results[i];
    if (r.label !== keyLabel(key)) throw new ArgumentError(`results[${i}].label`, keyLabel(key), r.label);
    const last = r.history.records[r.history.records.length - 1];
    return {
      key,
      error: r.finalTestAccuracy === null ? null : 100 * (1 - r.finalTestAccuracy),
      angles: last ? last.alignment.map((a) => a.updateAngle) : [],
      feedbackAngles: last ? last.alignment.map((a) => a.feedbackAngle) : [],
      diverged: r.diverged !== null,
      seconds: r.history.seconds,
    };
  });
}

/** Mean angle(B, W) (degrees) over the parametric layers above the first (whose B carries no signal); null without angles. */
export function meanFeedbackAngle(record: RunRecord): number | null {
  const a = record.feedbackAngles.slice(1).filter((x): x is number => x !== null);
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : null;
}

const sameVariant = (a: Variant, b: Variant) => a.manhattan === b.manhattan && a.normConstraint === b.normConstraint;

/** The finished records of one part, model, depth, rule, variant and update noise (0: none). */
function select(records: readonly RunRecord[], part: RunKey['part'], model: RunKey['model'], depth: number, rule: string, variant: Variant, noise = 0): RunRecord[] {
  return records.filter((r) => r.key.part === part && r.key.model === model && r.key.depth === depth && r.key.rule === rule && sameVariant(r.key.variant, variant) && (r.key.updateNoise ?? 0) === noise);
}

const errorsOf = (rs: readonly RunRecord[]) => rs.filter((r) => r.error !== null).map((r) => r.error as number);

/** Median test error of `rule` (with update noise `updateNoise`, default none) minus BP's (points), same depth and variant, BP from the 'depth' part; null without finished runs of either. */
export function gapToBp(records: readonly RunRecord[], o: { depth: number; rule: string; variant: Variant; model?: RunKey['model']; part?: RunKey['part']; updateNoise?: number }): number | null {
  const model = o.model ?? 'plain';
  const e = errorsOf(select(records, o.part ?? 'depth', model, o.depth, o.rule, o.variant, o.updateNoise ?? 0));
  const bp = errorsOf(select(records, 'depth', model, o.depth, 'bp', o.variant));
  return e.length && bp.length ? median(e) - median(bp) : null;
}

/** Mean update angle (degrees) over the layers below the output layer; null without angles. */
export function meanHiddenAngle(record: RunRecord): number | null {
  const hidden = record.angles.slice(0, -1);
  return hidden.length ? hidden.reduce((a, b) => a + b, 0) / hidden.length : null;
}

/** Test accuracy (%) over the grid of `rule`: rows beta, columns alpha (NaN where the run diverged). */
export function gridAccuracy(records: readonly RunRecord[], rule: string, alphas: readonly number[], betas: readonly number[]): number[][] {
  return betas.map((beta) => alphas.map((alpha) => {
    const r = records.find((x) => x.key.part === 'grid' && x.key.rule === rule && x.key.coefficients?.alpha === alpha && x.key.coefficients?.beta === beta);
    return r && r.error !== null ? 100 - r.error : NaN;
  }));
}

/** The grid setting of `rule` with the highest test accuracy (the first in grid order wins a tie); null if every run diverged. */
export function bestGridSetting(records: readonly RunRecord[], rule: string): { alpha: number; beta: number; accuracy: number } | null {
  let best: { alpha: number; beta: number; accuracy: number } | null = null;
  for (const r of records) {
    if (r.key.part !== 'grid' || r.key.rule !== rule || r.error === null || !r.key.coefficients) continue;
    const accuracy = 100 - r.error;
    if (best === null || accuracy > best.accuracy) best = { ...r.key.coefficients, accuracy };
  }
  return best;
}

/** Max - min test accuracy (points) over the finished grid runs of `rule` (a diverged run counts as chance, `chance` %); null without runs. */
export function gridSpread(records: readonly RunRecord[], rule: string, chance = 10): number | null {
  const acc = records.filter((r) => r.key.part === 'grid' && r.key.rule === rule).map((r) => (r.error === null ? chance : 100 - r.error));
  return acc.length ? Math.max(...acc) - Math.min(...acc) : null;
}

const DASHES = ['solid', 'dash', 'dot', 'dashdot'] as const;

/** One line per (rule, variant): y(depth) from the records, median over seeds. */
function perDepthSeries(depths: readonly number[], rules: readonly string[], variants: readonly Variant[], y: (depth: number, rule: string, v: Variant) => number | null): LineSeries[] {
  const series: LineSeries[] = [];
  rules.forEach((rule, i) => variants.forEach((v, j) => {
    series.push({
      name: `${RULE_LABEL[rule] ?? rule}, ${variantLabel(v)}`, color: PALETTE[i % PALETTE.length], dash: DASHES[j % DASHES.length], mode: 'lines+markers',
      x: depths.slice(), y: depths.map((d) => y(d, rule, v) ?? NaN),
    });
  }));
  return series;
}

/** Figure (a1): the gap to BP against depth, one line per rule and variant (colour = rule, dash = variant). */
export function gapFigure(records: readonly RunRecord[], depths: readonly number[], rules: readonly string[], variants: readonly Variant[]): Figure {
  const series = perDepthSeries(depths, rules.filter((r) => r !== 'bp'), variants, (depth, rule, variant) => gapToBp(records, { depth, rule, variant }));
  return line(series, { title: 'Test error above BP against depth (median over seeds)', xLabel: 'conv layers', yLabel: 'gap to BP (points)' });
}

/** Figure (a2): the mean hidden-layer update angle to BP against depth (median over seeds). */
export function angleFigure(records: readonly RunRecord[], depths: readonly number[], rules: readonly string[], variants: readonly Variant[]): Figure {
  const series = perDepthSeries(depths, rules.filter((r) => r !== 'bp'), variants, (depth, rule, variant) => {
    const a = select(records, 'depth', 'plain', depth, rule, variant).map(meanHiddenAngle).filter((x): x is number => x !== null);
    return a.length ? median(a) : null;
  });
  return line(series, { title: 'Angle between the rule\'s update and BP\'s, mean over hidden layers', xLabel: 'conv layers', yLabel: 'update angle (deg)', yRange: [0, 90] });
}

/** Figure (b): test accuracy over a rule's coefficient grid. */
export function gridFigure(records: readonly RunRecord[], rule: string, alphas: readonly number[], betas: readonly number[]): Figure {
  return heatmap(gridAccuracy(records, rule, alphas, betas), {
    x: alphas.map(String), y: betas.map(String), title: `${RULE_LABEL[rule] ?? rule}: test accuracy (%) over its coefficients`,
    xLabel: 'alpha', yLabel: 'beta', colorbarTitle: 'accuracy (%)', zmin: 0, zmax: 100,
  });
}

const fmt = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

/**
 * Item (d): each claim beside what was measured. `deep` and `shallow` are
 * the deepest and shallowest depths run; `variant` the variant the claims
 * are read at (the sign-concordant one with Batch Manhattan where run).
 */
export function claimRows(
  records: readonly RunRecord[],
  o: { shallow: number; deep: number; sgd: Variant; manhattan: Variant | null; reductions: string },
): Record<string, string>[] {
  const gap = (rule: string, depth: number, variant: Variant, part: RunKey['part'] = 'depth') => gapToBp(records, { depth, rule, variant, part });
  const rows: Record<string, string>[] = [];
  rows.push({ claim: CLAIMS.faFailsWithDepth, measured: `FA's gap to BP: ${fmt(gap('fa', o.shallow, o.sgd))} points at depth ${o.shallow}, ${fmt(gap('fa', o.deep, o.sgd))} at depth ${o.deep} (${variantLabel(o.sgd)})`, reductions: o.reductions });
  if (o.manhattan) {
    const v = o.manhattan;
    rows.push({ claim: CLAIMS.signCloses, measured: `at depth ${o.deep} with ${variantLabel(v)}: uSF ${fmt(gap('usf', o.deep, v))}, frSF ${fmt(gap('frsf', o.deep, v))} points above BP (${variantLabel(v)}); FA ${fmt(gap('fa', o.deep, v))}`, reductions: o.reductions });
  }
  const wm = gridSpread(records, 'weight-mirror');
  const ia = gridSpread(records, 'information-alignment');
  rows.push({ claim: CLAIMS.mirrorSensitive, measured: `test-accuracy spread over the grid at depth ${o.shallow}: weight mirror ${fmt(wm)} points, information alignment ${fmt(ia)}`, reductions: o.reductions });
  const transfer = (rule: string) => {
    const r = records.find((x) => x.key.part === 'transfer' && x.key.rule === rule);
    return r ? `${RULE_LABEL[rule]} ${fmt(gap(rule, r.key.depth, r.key.variant, 'transfer'))} points above BP at depth ${r.key.depth}` : `${RULE_LABEL[rule]} not run`;
  };
  rows.push({ claim: CLAIMS.mirrorTransfer, measured: `best shallow setting on the deep net: ${transfer('weight-mirror')}; ${transfer('information-alignment')}`, reductions: o.reductions });
  // Information alignment's gap at its best shallow setting (one seed) against the same setting's gap at depth.
  const iaBest = bestGridSetting(records, 'information-alignment');
  const bpShallow = errorsOf(select(records, 'depth', 'plain', o.shallow, 'bp', o.sgd));
  const iaShallowGap = iaBest && bpShallow.length ? 100 - iaBest.accuracy - median(bpShallow) : null;
  rows.push({ claim: CLAIMS.gapWidens, measured: `information alignment's best grid setting: ${fmt(iaShallowGap)} points above BP at depth ${o.shallow}; ${transfer('information-alignment')} (one seed each)`, reductions: o.reductions });
  const nonLocal = records.filter((r) => r.key.part === 'non-local');
  const rulesRun = [...new Set(nonLocal.map((r) => r.key.rule))];
  const nonLocalGap = (rule: string, noise: number) => {
    const k = nonLocal.find((r) => r.key.rule === rule)!.key;
    return gapToBp(records, { depth: k.depth, rule, variant: k.variant, part: 'non-local', updateNoise: noise });
  };
  const depthOf = (rule: string) => nonLocal.find((r) => r.key.rule === rule)!.key.depth;
  rows.push({
    claim: CLAIMS.nonLocalMatch,
    measured: rulesRun.length ? rulesRun.map((rule) => `${RULE_LABEL[rule] ?? rule} ${fmt(nonLocalGap(rule, 0))} points above BP at depth ${depthOf(rule)}`).join('; ') : 'not run',
    reductions: o.reductions,
  });
  const noises = [...new Set(nonLocal.map((r) => r.key.updateNoise ?? 0).filter((x) => x > 0))];
  rows.push({
    claim: CLAIMS.noiseTolerant,
    measured: noises.length ? rulesRun.map((rule) => `${RULE_LABEL[rule] ?? rule} ${fmt(nonLocalGap(rule, 0))} without noise, ${noises.map((x) => `${fmt(nonLocalGap(rule, x))} with sigma ${x}`).join(', ')} (points above BP)`).join('; ') : 'not run',
    reductions: `${o.reductions}${noises.length ? `; noise on B's updates only, variance ${noises.map((x) => (x * x).toExponential(2)).join(', ')} per element per step` : ''}`,
  });
  return rows;
}

/** Estimated wall time (s) of the runs `keys`: 1.25 x sum of epochs x batches per epoch x stepSeconds(key) / workers. */
export function estimatedSeconds(keys: readonly RunKey[], o: { stepSeconds: (key: RunKey) => number; epochs: number; batchesPerEpoch: number; workers: number }): number {
  checkPositive('workers', o.workers);
  checkInteger('epochs', o.epochs, 0);
  checkInteger('batchesPerEpoch', o.batchesPerEpoch, 1);
  return (1.25 * keys.reduce((sum, k) => sum + o.epochs * o.batchesPerEpoch * o.stepSeconds(k), 0)) / o.workers;
}
