/**
 * Study: does attribution plus model reduction recover a retina's circuit?
 * A METHOD VALIDATION on a simulated retina whose circuit is known (lib/vision
 * simulateRetina), not a replication: no retinal recording is used
 * (notebooks/retina-mechanisms.ipynb; the method is Tanaka, Nayebi,
 * Maheswaranathan, McIntosh, Baccus & Ganguli, NeurIPS 2019, arXiv 1912.06207;
 * architecture and defaults from baccuslab/torch-deep-retina as summarised in
 * ../shared/references/learning-theory.md section 5; issue 29).
 *
 * Data: one movie of `trainFrames` frames (10 ms) of size x size pixels made
 * of segments (`trainingMovie`): jittered windows on the 23 photographs
 * (saccade every 100 frames), Gaussian white noise (checker 2) and, a fraction
 * `probeFraction`, instances of the probe families (four flash trains of 50
 * frames per segment, each with its last flash omitted, random period 4-8, contrast 0.3-3,
 * polarity and duration; bars with random speed, width, polarity and
 * reversal; contrast steps) with seeds other than the probes'. The simulated retina
 * (defaultRetinaCircuit: 8 ganglion cells) answers with Poisson counts; the
 * CNN sees the last `window` frames folded into channels (lib/rules foldTime)
 * and predicts every cell's count.
 *
 * CNN (`retinaCnn`, the authors' BN-CNN reduced): conv(channels, k1, valid)
 * -> batch norm -> Gaussian noise (sigma 0.05) -> ReLU -> conv(channels, k2,
 * valid) -> batch norm -> noise -> ReLU -> flatten -> dense(cells); rates
 * softplus(z), Poisson loss (lib/rules 'poisson'), Adam (with `l2`, the authors' weight decay:
 * retinaOptimizerOptions). Authors': 50x50
 * pixels, 40 frames, kernels 15 and 11, 8 channels, lr 1e-3, l2 1e-2, noise
 * 0.05, BN momentum 0.01 [verify]. Layer indices: 3 is conv1's ReLU (the
 * "bipolar-like" layer), 7 conv2's ReLU ("amacrine-like").
 *
 * Measures:
 *   accuracy     Pearson r of the CNN's rate with the retina's true rate per cell on a held-out
 *                movie (natural and white noise); beside it the LN model's r (STA + binned
 *                nonlinearity fitted to the training white noise) and the single-trial ceiling
 *                r(spikes, rate)
 *   interneurons for each conv1 channel and bipolar type: the mean over central positions of
 *                r(channel unit at (i, j), the type's subunits pooled by a Gaussian of width
 *                POOL_SIGMA = 2 pixels around the centre of its input window) on the held-out
 *                movie; the best type per channel; likewise conv2 channels against the
 *                nearest amacrine cell
 *
 * Phenomena (`phenomena`, indices defined there): omitted-stimulus response, motion
 * anticipation, contrast adaptation, latency coding, motion reversal. For each (`analysePhenomenon`): integrated
 * gradients of the cell's rate to conv1's channels (summed over space) on the
 * analysed frames; the k channels with the largest summed |attribution| kept,
 * the others held at their mean activation, for k = 1..8; the reduced circuit
 * is the smallest k that still shows the phenomenon; the phenomenon index of
 * the retina, the CNN and the reduced CNN; the kept channels' best-matching
 * bipolar types against the generating circuit's inputs of that cell.
 *
 * PAPER=1 (the authors' sizes): the folded training movie (300,000 examples of
 * 50 x 50 x 40 floats, ~120 GB) is never held. `streamedBatches` plays the
 * training movie from its seed in chunks (trainingSegments through lib/vision
 * movieChunks), lets the retina answer chunk by chunk (lib/vision
 * RetinaStream, state carried), folds each batch's examples as it draws them
 * and shuffles within a chunk's pool (order rule there); `trainStreamed`
 * trains on that stream within a wall-time budget. QUICK and default keep the
 * materialised path (trainingMovie, simulateRetina, foldedExamples,
 * materializedBatches): their batches are the ones before streaming existed,
 * and with one chunk the stream gives the same batches (tests). The analysis
 * is streamed too (runStudy with `stream`): the LN models are fitted on the
 * training movie played twice in chunks (`streamedLnModels`, lib/vision
 * LnFitter; bit for bit the materialised fit), and `streamedHeldOut` makes
 * the held-out movie in parts (`heldOutSegments`), plays it in chunks with
 * the retina answering per chunk, folds `evalBatch` examples at a time and
 * accumulates every correlation in float64 (lib/vision StreamingPearson;
 * equal to `heldOutMeasures`, the materialised path, to float rounding). The
 * phenomena are short probe movies and are analysed as in the default path.
 *
 * Exports: PAPER_CLAIMS, HIDDEN_LAYERS, defaultSettings, trainingSegments, trainingMovie, heldOutMovie, heldOutSegments,
 * retinaCnn, foldedExamples, materializedBatches, streamedBatches, retinaOptimizerOptions, trainOnBatches, trainCnn, trainStreamed, predictRates, hiddenActivations, evaluateAccuracy,
 * interneuronMatch, heldOutMeasures, streamedHeldOut, streamedLnModels, circuitInputs, phenomena, responseLatency, alignedMean, LATENCY_CONTRASTS, REVERSAL_OFFSETS, cnnRateTrace, withReducedChannels, analysePhenomenon, runStudy,
 * accuracyFigure, matchFigure, attributionFigure, traceFigure, curveFigure, reproductionRows, measuredHeadlines.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError, Budget, checkInteger, checkNumber, checkPositive, EventLoopYield, formatMedianRange, listening, median, Progress, Rng, throwIfInterrupted, yieldToEventLoop,
} from '../core';
import { type Figure, heatmap, line, type LineSeries } from '../plot';
import { foldTime, integratedGradients, Network, Optimizer } from '../rules';
import type { NetworkOptions, OptimizerOptions } from '../rules';
import {
  cellColumn, chunksWithHistory, concatMovies, contrastSteps, defaultRetinaCircuit, fitLnModel, flashTrain, type GrayImage, LnFitter, type LnModel, lnRates, type Movie, movieChunks, movingBar,
  naturalMovie, naturalMovieParts, pearson, predictLn, type RetinaCircuit, type RetinaResponse, RetinaStream, simulateRetina, StreamingPearson, whiteNoiseMovie, whiteNoiseParts,
} from '../vision';

/** What Tanaka et al. report (from the references' summary, not checked against the paper [verify]). */
export const PAPER_CLAIMS = {
  accuracy: 'the 3-layer CNN predicts held-out ganglion-cell rates well (r ~ 0.7-0.8 on natural scenes)',
  interneurons: "the CNN's hidden units correlate with intracellularly recorded bipolar and amacrine cells never used in training",
  reduction: 'per phenomenon (OSR, latency coding, motion reversal, motion anticipation) a reduced circuit of 2-3 interneuron types reproduces it',
} as const;

/** Every setting of a run (defaultSettings gives the default mode's). */
export interface StudySettings {
  /** Field side in pixels (authors' 50). */
  size: number;
  /** Frames folded into channels (authors' 40). */
  window: number;
  channels: number;
  kernels: [number, number];
  trainFrames: number;
  testFrames: number;
  /** Fraction of the training movie made of probe-family segments. */
  probeFraction: number;
  epochs: number;
  batchSize: number;
  lr: number;
  noise: number;
  /** Batch-norm momentum (lib/rules' convention: the weight of the new batch). */
  bnMomentum: number;
  seed: number;
  /**
   * The authors' l2 penalty (absent or 0: none; the default and QUICK modes have none; PAPER=1 the authors' 1e-2):
   * baccuslab/torch-deep-retina trains with torch.optim.Adam(model.parameters(), weight_decay=l2), so
   * l2 p is added to the gradient of every parameter (conv and dense weights and biases, batch-norm scale and shift)
   * of its PoissonNLLLoss, a mean over the batch AND the cells (retinaOptimizerOptions).
   */
  l2?: number;
}

/** The default mode's settings (the notebook's parameters cell overrides them). */
export function defaultSettings(): StudySettings {
  return {
    size: 20, window: 20, channels: 8, kernels: [9, 7], trainFrames: 40000, testFrames: 4000, probeFraction: 0.2, epochs: 8, batchSize: 128, lr: 1e-3,
    noise: 0.05, bnMomentum: 0.1, seed: 1,
  };
}

/**
 * The training movie's segments in order (header): natural, white noise and
 * probe families, drawn from the seed as they are asked for, until `frames`
 * frames are covered (the last segment may run past `frames`; trainingMovie
 * and movieChunks cut it).
 */
export function* trainingSegments(photos: readonly GrayImage[], frames: number, size: number, probeFraction: number, seed: number): Generator<Movie> {
  checkInteger('frames', frames, 100);
  checkInteger('size', size, 4);
  checkNumber('probeFraction', probeFraction, 0, 1);
  const rng = new Rng(checkInteger('seed', seed, 0));
  const seg = 200;
  const dims = { frames: seg, height: size, width: size };
  for (let k = 0; k * seg < frames; k++) {
    const u = rng.uniform(), s = rng.nextSeed();
    if (u < probeFraction) {
      const kind = rng.int(3);
      if (kind === 0) {
        // four short trains per segment, each ending in an omission (more omitted-flash events per frame)
        // contrast magnitude 0.3-3: the latency probe flashes 0.25-3 (the authors' intensities 0-3)
        const period = 4 + rng.int(5), contrast = (rng.uniform() < 0.5 ? -1 : 1) * (0.3 + 2.7 * rng.uniform()), duration = 1 + rng.int(2), sub = seg / 4;
        const count = Math.floor((sub - 25) / period);
        for (let q = 0; q < 4; q++) yield flashTrain({ ...dims, frames: sub, period, count, first: 5, contrast, duration });
      } else if (kind === 1) {
        const speed = (rng.uniform() < 0.5 ? -1 : 1) * (0.2 + 0.4 * rng.uniform());
        yield movingBar({ ...dims, speed, barWidth: 2 + rng.int(3), start: speed > 0 ? -2 : size + 1, reverseAt: rng.uniform() < 0.5 ? 40 + rng.int(100) : undefined, contrast: rng.uniform() < 0.5 ? -1 : 1 });
      } else {
        yield contrastSteps({ ...dims, contrasts: [0.2 + 0.3 * rng.uniform(), 1], stepEvery: 100, checker: 2, seed: s });
      }
    } else if (u < probeFraction + (1 - probeFraction) * 0.5) {
      yield naturalMovie(photos, { ...dims, contrast: 0.35, saccadeEvery: 100, seed: s });
    } else {
      yield whiteNoiseMovie({ ...dims, checker: 2, seed: s });
    }
  }
}

/** A training movie of segments (trainingSegments), held whole: QUICK and default mode. */
export function trainingMovie(photos: readonly GrayImage[], frames: number, size: number, probeFraction: number, seed: number): Movie {
  const all = concatMovies([...trainingSegments(photos, frames, size, probeFraction, seed)]);
  return { ...all, frames, data: all.data.subarray(0, frames * size * size) };
}

/** A held-out movie: half natural, half white noise, seeds apart from training's (heldOutSegments held whole). */
export function heldOutMovie(photos: readonly GrayImage[], frames: number, size: number, seed: number): Movie {
  checkInteger('frames', frames, 2);
  return concatMovies([...heldOutSegments(photos, frames, size, seed, frames)]);
}

/**
 * The held-out movie's parts, lazily: its natural half, then its white-noise
 * half, each made in parts of at most `partFrames` frames (lib/vision
 * naturalMovieParts, whiteNoiseParts); put end to end they are heldOutMovie
 * bit for bit, whatever `partFrames` (PAPER=1's analysis plays them through
 * movieChunks without holding the movie).
 */
export function* heldOutSegments(photos: readonly GrayImage[], frames: number, size: number, seed: number, partFrames: number): Generator<Movie> {
  checkInteger('frames', frames, 2);
  checkInteger('partFrames', partFrames, 1);
  const half = Math.floor(frames / 2);
  yield* naturalMovieParts(photos, { frames: half, height: size, width: size, contrast: 0.35, saccadeEvery: 100, seed: 7919 + seed }, partFrames);
  yield* whiteNoiseParts({ frames: frames - half, height: size, width: size, checker: 2, seed: 104729 + seed }, partFrames);
}

/** The reduced BN-CNN (header). */
export function retinaCnn(s: StudySettings, cells: number): NetworkOptions {
  checkInteger('cells', cells, 1);
  const [k1, k2] = s.kernels;
  if (s.size - k1 - k2 + 2 < 1) throw new ArgumentError('kernels', `two kernels that fit a ${s.size}-pixel field`, s.kernels);
  return {
    inputShape: [s.size, s.size, checkInteger('window', s.window, 1)], loss: 'poisson', seed: s.seed,
    layers: [
      { kind: 'conv2d', filters: s.channels, kernelSize: k1 }, { kind: 'batchnorm', momentum: s.bnMomentum }, { kind: 'gaussian-noise', sigma: s.noise },
      { kind: 'activation', activation: 'relu' },
      { kind: 'conv2d', filters: s.channels, kernelSize: k2 }, { kind: 'batchnorm', momentum: s.bnMomentum }, { kind: 'gaussian-noise', sigma: s.noise },
      { kind: 'activation', activation: 'relu' },
      { kind: 'flatten' }, { kind: 'dense', units: cells },
    ],
  };
}

/** Width (pixels) of the Gaussian pooling of bipolar subunits a conv1 unit is compared with (interneuronMatch). */
export const POOL_SIGMA = 2;

/** conv1's and conv2's ReLU (see the header). */
export const HIDDEN_LAYERS = { conv1: 3, conv2: 7 } as const;

/** A movie folded into examples and the targets of each example (the frame it ends at). */
export interface Examples {
  x: Float32Array;
  shape: [number, number, number, number];
  times: Int32Array;
}

/** The movie's windows as examples (lib/rules foldTime). */
export function foldedExamples(movie: Movie, window: number): Examples {
  const f = foldTime(movie.data, [movie.frames, movie.height, movie.width], window);
  return { x: f.x, shape: f.shape, times: f.times };
}

/** Rows `times` of a [frames, cells] array as a [N, cells] float32 block. */
function rowsAt(values: ArrayLike<number>, cells: number, times: Int32Array, scale = 1): Float32Array {
  const out = new Float32Array(times.length * cells);
  for (let n = 0; n < times.length; n++) for (let c = 0; c < cells; c++) out[n * cells + c] = values[times[n] * cells + c] * scale;
  return out;
}

export interface TrainRecord {
  epoch: number;
  loss: number;
  seconds: number;
  /** Batches averaged in `loss` when the epoch was cut short (a time budget); absent for a whole epoch. */
  batches?: number;
}

/**
 * One training batch: `x` the examples folded [batchSize, size, size, window]
 * and `y` their spike counts [batchSize, cells], flat. The arrays are reused:
 * valid until the next batch is drawn.
 */
export interface Batch {
  epoch: number;
  /** Index of the batch within its epoch. */
  index: number;
  x: Float32Array;
  y: Float32Array;
}

/**
 * The batches of a materialised training set (QUICK and default mode): per
 * epoch a permutation of the N examples from Rng(seed + 1), floor(N /
 * batchSize) batches in that order (the last N mod batchSize examples of the
 * permutation unused).
 */
export function* materializedBatches(ex: Examples, response: RetinaResponse, s: StudySettings): Generator<Batch> {
  if (!response.spikes) throw new ArgumentError('response', 'a response with spikes (simulateRetina with a seed)', null);
  const G = response.cells.length, [N, H, W, T] = ex.shape, d = H * W * T;
  const y = rowsAt(response.spikes, G, ex.times);
  const rng = new Rng(s.seed + 1), bs = checkInteger('batchSize', s.batchSize, 1);
  const batches = Math.floor(N / bs);
  const xb = new Float32Array(bs * d), yb = new Float32Array(bs * G);
  for (let e = 0; e < checkInteger('epochs', s.epochs, 1); e++) {
    const order = rng.permutation(N);
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < bs; i++) {
        const n = order[b * bs + i];
        xb.set(ex.x.subarray(n * d, (n + 1) * d), i * d);
        yb.set(y.subarray(n * G, (n + 1) * G), i * G);
      }
      yield { epoch: e, index: b, x: xb, y: yb };
    }
  }
}

/** The most a batch stream held at once (streamedBatches): checks of its memory bound. */
export interface StreamStats {
  /** Movie frames held for folding (the window's history plus one chunk): at most chunkFrames + window - 1. */
  maxFramesHeld: number;
  /** Frames of the largest chunk simulated at once (at most chunkFrames). */
  maxChunkFrames: number;
  /** Examples carried folded from one chunk to the next (at most batchSize - 1). */
  maxCarried: number;
  /** Frames of subunit input the retina kept between chunks (at most its filterLength - 1). */
  maxRetinaHeld: number;
  chunks: number;
}

/**
 * The training batches made on the fly (PAPER=1; issue 29): per epoch the
 * training movie is played again from its seed in chunks of `chunkFrames`
 * frames (trainingSegments through lib/vision movieChunks), the simulated
 * retina answers each chunk with Poisson spikes (lib/vision RetinaStream,
 * seed + 100 as in runStudy), and the examples ending in the chunk (window
 * folded into channels as foldTime does, target the spikes of its last frame)
 * join the fewer than batchSize examples carried over from the previous chunk
 * in a pool; a permutation of the pool from Rng(seed + 1) gives floor(pool /
 * batchSize) batches, and the rest is carried on (folded). Every epoch sees
 * the same movie and spikes; the carried examples are dropped at the end of an
 * epoch, so an epoch has floor(N / batchSize) batches, N = trainFrames - window + 1.
 * With one chunk (chunkFrames >= trainFrames) the batches are
 * materializedBatches' bit for bit. It holds one chunk of movie and responses, the window's
 * history, the carried examples and one batch: nothing grows with trainFrames
 * (`stats` records the most it held).
 */
export function* streamedBatches(photos: readonly GrayImage[], s: StudySettings, chunkFrames: number, stats?: StreamStats): Generator<Batch> {
  checkInteger('chunkFrames', chunkFrames, 1);
  const circuit = defaultRetinaCircuit({ height: s.size, width: s.size }), G = circuit.ganglion.length;
  const Tw = checkInteger('window', s.window, 1), HW = s.size * s.size, d = HW * Tw, bs = checkInteger('batchSize', s.batchSize, 1);
  checkInteger('trainFrames', s.trainFrames, Tw);
  const rng = new Rng(s.seed + 1);
  const xb = new Float32Array(bs * d), yb = new Float32Array(bs * G);
  // the carried examples, double-buffered (a batch may read the old ones while the new ones are written)
  let carried = { x: new Float32Array((bs - 1) * d), y: new Float32Array((bs - 1) * G) }, spare = { x: new Float32Array((bs - 1) * d), y: new Float32Array((bs - 1) * G) };
  const note = (k: keyof Omit<StreamStats, 'chunks'>, v: number) => { if (stats) stats[k] = Math.max(stats[k], v); };
  if (stats) Object.assign(stats, { maxFramesHeld: 0, maxChunkFrames: 0, maxCarried: 0, maxRetinaHeld: 0, chunks: 0 });
  for (let e = 0; e < checkInteger('epochs', s.epochs, 1); e++) {
    const retina = new RetinaStream(circuit, { seed: s.seed + 100, record: false });
    let nCarried = 0, b = 0;
    // frames held: the window's history (the last Tw - 1 frames before the chunk), then the chunk; held[0] is frame start
    for (const { chunk, start: c0, held: keep, data: held } of chunksWithHistory(movieChunks(trainingSegments(photos, s.trainFrames, s.size, s.probeFraction, s.seed), chunkFrames, s.trainFrames), Tw - 1)) {
      const spikes = retina.push(chunk).spikes!;
      const start = c0 - keep;
      if (stats) { stats.chunks++; note('maxFramesHeld', keep + chunk.frames); note('maxChunkFrames', chunk.frames); note('maxRetinaHeld', retina.heldFrames); }
      // the examples ending in this chunk: frames t in [tLo, c0 + chunk.frames)
      const from = c0, tLo = Math.max(from, Tw - 1), fresh = Math.max(0, from + chunk.frames - tLo);
      const put = (q: number, x: Float32Array, y: Float32Array, i: number) => {
        if (q < nCarried) {
          x.set(carried.x.subarray(q * d, (q + 1) * d), i * d);
          y.set(carried.y.subarray(q * G, (q + 1) * G), i * G);
          return;
        }
        const t = tLo + q - nCarried, f0 = t - Tw + 1 - start;
        for (let k = 0; k < Tw; k++) {
          const src = (f0 + k) * HW, dst = i * d + k;
          // pixel p of frame t - Tw + 1 + k goes to channel k of pixel p (foldTime's layout)
          for (let p = 0; p < HW; p++) x[dst + p * Tw] = held[src + p];
        }
        y.set(spikes.subarray((t - from) * G, (t - from + 1) * G), i * G);
      };
      if (fresh === 0) continue;
      const pool = nCarried + fresh, order = rng.permutation(pool), batches = Math.floor(pool / bs);
      for (let q = 0; q < batches; q++) {
        for (let i = 0; i < bs; i++) put(order[q * bs + i], xb, yb, i);
        yield { epoch: e, index: b++, x: xb, y: yb };
      }
      const rest = pool - batches * bs;
      for (let i = 0; i < rest; i++) put(order[batches * bs + i], spare.x, spare.y, i);
      [carried, spare] = [spare, carried];
      nCarried = rest;
      note('maxCarried', rest);
    }
  }
}

/** What a training run did (trainOnBatches). */
export interface TrainRun {
  records: TrainRecord[];
  /** Optimizer steps taken, and planned (epochs x batches per epoch). */
  steps: number;
  planned: number;
  /** Why it stopped before `planned` steps ('time': the budget), or null. */
  stopped: 'time' | 'iterations' | null;
  /** Wall seconds of the loop, drawing the batches included. */
  seconds: number;
}

/**
 * The training loop: Adam on the Poisson loss over the batches `source`
 * yields (materializedBatches or streamedBatches), `perEpoch` batches an
 * epoch, until the source ends or `budget` (lib/core Budget: steps, wall
 * time) is spent. Asynchronous: it yields to the event loop every 100 ms, so
 * a notebook kernel keeps answering (a kernel blocked for minutes is taken
 * for dead: two default runs died 3.5-4 min into the synchronous loop) and an
 * interrupt stops it (InterruptedError, the epochs so far its partial).
 */
export async function trainOnBatches(
  net: Network, source: Iterable<Batch>, s: StudySettings, options: { perEpoch: number; progress?: boolean; label?: string; budget?: Budget },
): Promise<TrainRun> {
  const G = net.outputSize, bs = checkInteger('batchSize', s.batchSize, 1), perEpoch = checkInteger('perEpoch', options.perEpoch, 1);
  const opt = new Optimizer(retinaOptimizerOptions(s, G), 'optimizer');
  const planned = checkInteger('epochs', s.epochs, 1) * perEpoch, records: TrainRecord[] = [], t0 = performance.now();
  const bar = options.progress ?? true ? new Progress({ total: planned, label: options.label ?? 'train CNN' }) : null;
  const pace = new EventLoopYield(100), seconds = () => (performance.now() - t0) / 1000;
  let sum = 0, count = 0, steps = 0, epoch = 0, stopped: TrainRun['stopped'] = null;
  const stopListening = listening(); // a SIGINT (installInterruptHandler, the kernel) stops it at its next yield
  try {
    for (const b of source) {
      const xt = tf.tensor(b.x, [bs, s.size, s.size, s.window]), yt = tf.tensor(b.y, [bs, G]);
      sum += net.trainStep(xt, yt, opt, { epoch: b.epoch }).loss;
      tf.dispose([xt, yt]);
      count++; steps++; epoch = b.epoch;
      if (count === perEpoch) { records.push({ epoch: b.epoch + 1, loss: sum / count, seconds: seconds() }); sum = 0; count = 0; }
      bar?.tick(1, records.length ? `loss ${records[records.length - 1].loss.toFixed(4)}` : undefined);
      stopped = options.budget?.exhausted(steps) ?? null;
      if (stopped) break;
      const due = pace.due();
      if (due) { await due; throwIfInterrupted('trainCnn', () => `in epoch ${b.epoch + 1} after batch ${b.index + 1} (step ${steps} of ${planned})`, () => records); }
    }
    if (count > 0) records.push({ epoch: epoch + 1, loss: sum / count, seconds: seconds(), batches: count });
  } finally {
    stopListening();
    bar?.finish(stopped ? `stopped by the ${stopped} budget after ${steps} of ${planned} steps` : undefined);
    opt.dispose();
  }
  return { records, steps, planned, stopped, seconds: seconds() };
}

/**
 * The CNN's optimiser: Adam at `s.lr` and, with `s.l2` > 0, the authors' l2
 * as weight decay on every parameter the network trains (lib/rules Optimizer:
 * Adam with L2 in the gradient, torch's semantics). The authors' loss is a
 * mean over the batch and the cells; lib/rules' 'poisson' is a mean over the
 * batch of the sum over cells, `cells` times theirs, so the decay is
 * l2 x cells: the gradient is then `cells` times theirs, g + l2 cells p =
 * cells (g_theirs + l2 p), which Adam's steps do not see (they are invariant to
 * the gradient's scale, up to epsilon). The penalised objective is
 * cells x (their loss + l2 / 2 |p|^2) (test: finite differences).
 */
export function retinaOptimizerOptions(s: StudySettings, cells: number): OptimizerOptions {
  const l2 = s.l2 === undefined ? 0 : checkNumber('l2', s.l2, 0);
  return { type: 'adam', lr: checkPositive('lr', s.lr), ...(l2 > 0 ? { weightDecay: l2 * checkInteger('cells', cells, 1) } : {}) };
}

/**
 * Trains the CNN on the Poisson counts of a materialised training set
 * (materializedBatches through trainOnBatches; QUICK and default mode).
 */
export async function trainCnn(net: Network, ex: Examples, response: RetinaResponse, s: StudySettings, progress = true): Promise<TrainRecord[]> {
  if (!response.spikes) throw new ArgumentError('response', 'a response with spikes (simulateRetina with a seed)', null);
  const perEpoch = Math.floor(ex.shape[0] / checkInteger('batchSize', s.batchSize, 1));
  if (perEpoch < 1) throw new ArgumentError('batchSize', `at most the ${ex.shape[0]} examples`, s.batchSize);
  return (await trainOnBatches(net, materializedBatches(ex, response, s), s, { perEpoch, progress })).records;
}

/** The streamed run's measurements (trainStreamed). */
export interface StreamedTraining extends TrainRun {
  settings: StudySettings;
  chunkFrames: number;
  /** Seconds per optimizer step (the batches drawn on the fly included), over the steps after the first. */
  secondsPerStep: number;
  stream: StreamStats;
}

/**
 * PAPER=1's training alone (issue 29): a new CNN trained on batches drawn
 * from streamedBatches (trainStreamedOn), then disposed; runStudy with
 * `stream` trains the same way and goes on to the streamed analysis.
 */
export async function trainStreamed(
  photos: readonly GrayImage[], s: StudySettings, options: { chunkFrames?: number; timeLimitMs?: number; progress?: boolean } = {},
): Promise<StreamedTraining> {
  const net = new Network(retinaCnn(s, defaultRetinaCircuit({ height: s.size, width: s.size }).ganglion.length));
  try {
    return await trainStreamedOn(net, photos, s, options);
  } finally {
    net.dispose();
  }
}

/**
 * Trains `net` on batches drawn from streamedBatches, within `timeLimitMs`
 * of wall time (lib/core Budget), with progress; interruptible like
 * trainOnBatches. The network stays the caller's.
 */
async function trainStreamedOn(
  net: Network, photos: readonly GrayImage[], s: StudySettings, options: { chunkFrames?: number; timeLimitMs?: number; progress?: boolean } = {},
): Promise<StreamedTraining> {
  const chunkFrames = checkInteger('chunkFrames', options.chunkFrames ?? 2000, 1);
  const perEpoch = Math.floor((s.trainFrames - s.window + 1) / checkInteger('batchSize', s.batchSize, 1));
  if (perEpoch < 1) throw new ArgumentError('batchSize', `at most the ${s.trainFrames - s.window + 1} examples`, s.batchSize);
  const stream = { maxFramesHeld: 0, maxChunkFrames: 0, maxCarried: 0, maxRetinaHeld: 0, chunks: 0 };
  const budget = new Budget(options.timeLimitMs === undefined ? {} : { timeLimitMs: checkNumber('timeLimitMs', options.timeLimitMs, 0) });
  let first = 0;
  const timed = function* (src: Iterable<Batch>) {
    const t = performance.now();
    for (const b of src) { yield b; if (first === 0) first = (performance.now() - t) / 1000; }
  };
  const run = await trainOnBatches(net, timed(streamedBatches(photos, s, chunkFrames, stream)), s, { perEpoch, progress: options.progress, label: 'train CNN (streamed)', budget });
  return { ...run, settings: s, chunkFrames, secondsPerStep: run.steps > 1 ? (run.seconds - first) / (run.steps - 1) : NaN, stream };
}

/** Runs examples through `layers` [0, upTo] in evaluation mode in batches; returns the output, flat. */
function forwardTo(net: Network, ex: Examples, upTo: number, batch = 500): { values: Float32Array; perExample: number } {
  const [N, H, W, T] = ex.shape, d = H * W * T;
  const parts: Float32Array[] = [];
  let per = 0;
  for (let n0 = 0; n0 < N; n0 += batch) {
    const m = Math.min(batch, N - n0);
    const out = tf.tidy(() => {
      net.layers.forEach((l) => l.setTraining?.(false));
      return net.layers.slice(0, upTo + 1).reduce((h, l) => l.forward(h), tf.tensor(ex.x.subarray(n0 * d, (n0 + m) * d), [m, H, W, T]) as tf.Tensor);
    });
    per = out.size / m;
    parts.push(out.dataSync() as Float32Array);
    out.dispose();
  }
  const values = new Float32Array(N * per);
  let o = 0;
  for (const p of parts) { values.set(p, o); o += p.length; }
  return { values, perExample: per };
}

/** The CNN's rate softplus(z) per example and cell, [N, cells], in counts per frame. */
export function predictRates(net: Network, ex: Examples): Float64Array {
  const { values } = forwardTo(net, ex, net.layers.length - 1);
  return Float64Array.from(values, (z) => (z > 30 ? z : Math.log1p(Math.exp(z))));
}

/** A hidden layer's activations for every example, [N, h, w, channels] flat (evaluation mode). */
export function hiddenActivations(net: Network, ex: Examples, layer: number): { values: Float32Array; shape: [number, number, number, number] } {
  checkInteger('layer', layer, 0, net.layers.length - 1);
  const { values } = forwardTo(net, ex, layer);
  const [h, w, c] = net.layers[layer].outputShape;
  return { values, shape: [ex.shape[0], h, w, c] };
}

export interface AccuracyRow {
  cell: string;
  /** r(CNN rate, true rate), r(LN rate, true rate) and the single-trial ceiling r(spikes, true rate). */
  cnn: number;
  ln: number | null;
  ceiling: number;
}

/** Per-cell Pearson r on the held-out examples (header). */
export function evaluateAccuracy(cnnRates: Float64Array, response: RetinaResponse, times: Int32Array, lnRates: Float64Array[] | null): AccuracyRow[] {
  const G = response.cells.length;
  return response.cells.map((cell, g) => {
    const truth = Float64Array.from(times, (t) => response.rates[t * G + g]);
    const cnn = pearson(cellColumn(cnnRates, G, g), truth);
    const ln = lnRates ? pearson(Float64Array.from(times, (t) => lnRates[g][t]), truth) : null;
    const ceiling = response.spikes ? pearson(Float64Array.from(times, (t) => response.spikes![t * G + g]), truth) : NaN;
    return { cell, cnn, ln, ceiling };
  });
}

export interface InterneuronMatch {
  /** r[channel][type]: mean over central positions of r(channel unit, nearest interneuron). */
  r: number[][];
  types: string[];
  /** Per channel: the type with the largest |r| and that r. */
  best: { type: string; r: number }[];
}

/**
 * Correlates each channel of a hidden layer with each interneuron signal
 * (bipolar types on the subunit grid, or the amacrine cells): a unit at
 * output position (i, j) sees the input window centred at pixel
 * (i + offset, j + offset); it is compared, over the held-out times, for the
 * central `span` x `span` positions, with the interneuron nearest that pixel
 * (poolSigma 0) or with the interneurons' Gaussian-weighted mean around it
 * (weights exp(-d^2 / 2 poolSigma^2), summing to 1: a unit whose window covers
 * several subunits is compared with their pooled signal).
 */
export function interneuronMatch(
  hidden: { values: Float32Array; shape: [number, number, number, number] }, offset: number, signals: Record<string, Float32Array>,
  cellsAt: { row: number; col: number }[], times: Int32Array, span = 3, poolSigma = 0,
): InterneuronMatch {
  const [N, h, w, C] = hidden.shape;
  if (times.length !== N) throw new ArgumentError('times', `${N} times (one per example)`, times.length);
  const types = Object.keys(signals), { positions, weights } = matchLayout(h, w, offset, cellsAt, span, poolSigma), M = cellsAt.length;
  const pooled = (sig: Float32Array, q: number) => Float64Array.from(times, (t) => pooledAt(weights[q], sig, t, M));
  const r = Array.from({ length: C }, () => new Array<number>(types.length).fill(0));
  for (let c = 0; c < C; c++) {
    types.forEach((type, b) => {
      let sum = 0, count = 0;
      positions.forEach(([i, j], q) => {
        const unit = Float64Array.from({ length: N }, (_, n) => hidden.values[((n * h + i) * w + j) * C + c]);
        const sig = pooled(signals[type], q);
        const v = pearson(unit, sig);
        if (Number.isFinite(v)) { sum += v; count++; }
      });
      r[c][b] = count > 0 ? sum / count : NaN;
    });
  }
  return { r, types, best: bestTypes(r, types) };
}

/** The central span x span positions of an h x w layer and, per position, the interneurons' weights (interneuronMatch). */
function matchLayout(h: number, w: number, offset: number, cellsAt: { row: number; col: number }[], span: number, poolSigma: number): { positions: [number, number][]; weights: Float64Array[] } {
  checkNumber('poolSigma', poolSigma, 0);
  const M = cellsAt.length, positions: [number, number][] = [];
  const i0 = Math.floor((h - span) / 2), j0 = Math.floor((w - span) / 2);
  for (let i = i0; i < i0 + span; i++) for (let j = j0; j < j0 + span; j++) positions.push([i, j]);
  const d2 = (p: { row: number; col: number }, i: number, j: number) => (p.row - i - offset) ** 2 + (p.col - j - offset) ** 2;
  const weights = positions.map(([i, j]) => {
    const wts = new Float64Array(M);
    if (poolSigma === 0) {
      let best = 0;
      cellsAt.forEach((p, m) => { if (d2(p, i, j) < d2(cellsAt[best], i, j)) best = m; });
      wts[best] = 1;
    } else {
      let sum = 0;
      cellsAt.forEach((p, m) => { wts[m] = Math.exp(-d2(p, i, j) / (2 * poolSigma * poolSigma)); sum += wts[m]; });
      for (let m = 0; m < M; m++) wts[m] /= sum;
    }
    return wts;
  });
  return { positions, weights };
}

/** The pooled interneuron signal at row t of a [rows, M] signal (weights from matchLayout). */
function pooledAt(wts: Float64Array, sig: Float32Array, t: number, M: number): number {
  let v = 0;
  for (let m = 0; m < M; m++) if (wts[m] > 1e-9) v += wts[m] * sig[t * M + m];
  return v;
}

/** Per channel: the type with the largest |r| and that r. */
function bestTypes(r: number[][], types: string[]): { type: string; r: number }[] {
  return r.map((row) => {
    let b = 0;
    row.forEach((v, k) => { if (Math.abs(v) > Math.abs(row[b]) || !Number.isFinite(row[b])) b = k; });
    return { type: types[b], r: row[b] };
  });
}

/**
 * interneuronMatch accumulated example by example (streamedHeldOut): one
 * StreamingPearson per channel, type and position; `add` takes one
 * example's activations [h, w, C] and the signals' rows, `result` the
 * match. Equal to interneuronMatch on the whole series to rounding.
 */
class MatchStream {
  private readonly layout: { positions: [number, number][]; weights: Float64Array[] };
  private readonly acc: StreamingPearson[][][];
  private readonly M: number;

  constructor(private readonly shape: readonly number[], offset: number, private readonly types: string[], cellsAt: { row: number; col: number }[], span = 3, poolSigma = 0) {
    this.layout = matchLayout(shape[0], shape[1], offset, cellsAt, span, poolSigma);
    this.M = cellsAt.length;
    this.acc = Array.from({ length: shape[2] }, () => types.map(() => this.layout.positions.map(() => new StreamingPearson())));
  }

  add(unit: Float32Array, at: number, signals: Record<string, Float32Array>, row: number): void {
    const [, w, C] = this.shape;
    this.types.forEach((type, b) => {
      this.layout.positions.forEach(([i, j], q) => {
        const sig = pooledAt(this.layout.weights[q], signals[type], row, this.M), base = at + (i * w + j) * C;
        for (let c = 0; c < C; c++) this.acc[c][b][q].add(unit[base + c], sig);
      });
    });
  }

  result(): InterneuronMatch {
    const r = this.acc.map((byType) => byType.map((byPos) => {
      let sum = 0, count = 0;
      for (const a of byPos) { const v = a.r; if (Number.isFinite(v)) { sum += v; count++; } }
      return count > 0 ? sum / count : NaN;
    }));
    return { r, types: this.types, best: bestTypes(r, this.types) };
  }
}

/** The generating circuit's bipolar inputs of each ganglion cell (types with nonzero weight). */
export function circuitInputs(circuit: RetinaCircuit): Record<string, string[]> {
  return Object.fromEntries(circuit.ganglion.map((g) => [g.name, Object.entries(g.weights).filter(([, w]) => w !== 0).map(([n]) => n)]));
}


/**
 * A phenomenon probe: a movie (preceded by `window` grey frames so the CNN
 * sees all of it), the ganglion cell it is read from, the frames analysed and
 * its index computed from a rate trace (one value per movie frame).
 *
 *   omitted-stimulus     dark full-field flash train (period 5, 1-frame flashes), last flash omitted:
 *                        index = peak rate in the 10 frames from the omitted onset / peak rate over
 *                        the last 3 periods of the train; present when > 1.3
 *   motion-anticipation  a bright bar (width 2) at 0.5 px/frame crossing the cell's column: index =
 *                        the flash latency (peak after a bar flashed at the cell's column) minus the
 *                        moving bar's lag (peak minus the frame the bar's centre crosses the column),
 *                        frames; present when > 0 (the moving bar is seen ahead of its delay)
 *   contrast-adaptation  white noise (checker 2) stepping 0.3 -> 1 every 150 frames: index = mean
 *                        rate over the first 30 frames of a high-contrast epoch / over its last 30;
 *                        present when > 1.2
 *   latency-coding       single dark 2-frame full-field flashes of contrast LATENCY_CONTRASTS (0.25-3), 30 grey
 *                        frames apart (the authors': 20 ms flashes of intensity 0 to 3): latency = centre of
 *                        mass of the OFF cell's rate above its pre-flash baseline over 25 frames
 *                        (responseLatency); index = latency at the weakest minus at the strongest flash,
 *                        frames; present when > 0.5 (5 ms earlier at high contrast)
 *   motion-reversal      a dark bar (width 2, 0.25 px/frame) reversing at REVERSAL_OFFSETS pixels from the ON
 *                        cell's centre, one trial each; control: the same bar sweeping on (the authors' motion
 *                        sweep, motion_reversal.py): index = peak over the 40 frames after the reversal of the
 *                        trial-aligned mean rate (alignedMean) / the same for the sweep; present when > 1.2
 *                        (a burst locked to the reversal, Schwartz et al. 2007)
 */
export interface Phenomenon {
  name: 'omitted-stimulus' | 'motion-anticipation' | 'contrast-adaptation' | 'latency-coding' | 'motion-reversal';
  cell: string;
  movie: Movie;
  /** Frames of `movie` whose responses are attributed. */
  frames: [number, number];
  /** The index from a rate trace over every frame of `movie` (and, for anticipation, a second trace for the flashed bar). */
  index(rate: Float64Array, flashRate?: Float64Array): number;
  threshold: number;
  /** The control movie: the flashed bar (motion anticipation), the bar sweeping on without reversing (motion reversal). */
  control?: Movie;
  /** The phenomenon's curve read from a rate trace: latency per flash contrast, or the trial-aligned mean rate after the reversal. */
  curve?: { x: number[]; xLabel: string; yLabel: string; of(rate: Float64Array): number[] };
}

/**
 * Response latency (frames after `onset`): the centre of mass of the rate's
 * excess over `baseline`, sum_t (t - onset) max(0, r_t - b) / sum_t max(0, r_t - b)
 * over t in [onset, onset + length) (the authors' reading: the centre of mass
 * of the response above a threshold); NaN when nothing exceeds the baseline.
 */
export function responseLatency(rate: ArrayLike<number>, onset: number, length: number, baseline: number): number {
  checkInteger('onset', onset, 0);
  checkInteger('length', length, 1);
  if (!rate || onset + length > rate.length) throw new ArgumentError('rate', `at least onset + length = ${onset + length} values`, rate?.length);
  checkNumber('baseline', baseline);
  let num = 0, den = 0;
  for (let t = onset; t < onset + length; t++) {
    const e = rate[t] - baseline;
    if (e > 0) { num += e * (t - onset); den += e; }
  }
  return den > 0 ? num / den : NaN;
}

/** The mean over trials of rate[at_k + tau], tau = 0..length-1 (trial-aligned average). */
export function alignedMean(rate: ArrayLike<number>, at: readonly number[], length: number): Float64Array {
  checkInteger('length', length, 1);
  if (!Array.isArray(at) || at.length === 0) throw new ArgumentError('at', 'a non-empty array of frames', at);
  at.forEach((a, k) => checkInteger(`at[${k}]`, a, 0, rate.length - length));
  const out = new Float64Array(length);
  for (const a of at) for (let tau = 0; tau < length; tau++) out[tau] += rate[a + tau] / at.length;
  return out;
}

/** Flash contrasts (dark) of the latency probe: the authors' intensities ran 0 to 3 (latency_encoding.py). */
export const LATENCY_CONTRASTS = [0.25, 0.5, 1, 2, 3] as const;
/** Reversal points of the motion-reversal probe, pixels from the cell's centre (the authors' -9..2 on a 50-pixel field). */
export const REVERSAL_OFFSETS = [-4, -3, -2, -1, 0, 1] as const;

function padFront(m: Movie, frames: number): Movie {
  return concatMovies([{ frames, height: m.height, width: m.width, dt: m.dt, data: new Float32Array(frames * m.height * m.width) }, m]);
}

const argmaxIn = (v: Float64Array, a: number, b: number) => {
  let k = a;
  for (let t = a; t < b; t++) if (v[t] > v[k]) k = t;
  return k;
};

/** The three probes for a circuit (cells by name from its ganglion list). */
export function phenomena(circuit: RetinaCircuit, window: number): Phenomenon[] {
  const size = circuit.height, dims = { height: size, width: circuit.width, dt: circuit.dt };
  const P = 5, first = 20, count = 16;
  const flashes = padFront(flashTrain({ ...dims, frames: first + count * P + 40, period: P, count, first, contrast: -1 }), window);
  const tOmit = window + first + (count - 1) * P;
  const osr: Phenomenon = {
    name: 'omitted-stimulus', cell: 'on-1', movie: flashes, frames: [tOmit - 3 * P, tOmit + 15], threshold: 1.3,
    index: (r) => Math.max(...r.subarray(tOmit, tOmit + 10)) / Math.max(...r.subarray(tOmit - 3 * P, tOmit)),
  };
  const g = circuit.ganglion.find((c) => c.name === 'on-1');
  if (!g) throw new ArgumentError('circuit', "a ganglion cell named 'on-1'", circuit.ganglion.map((c) => c.name));
  const speed = 0.5, start = -2, bar = padFront(movingBar({ ...dims, frames: Math.ceil((circuit.width + 4) / speed), speed, start, barWidth: 2 }), window);
  const cross = window + Math.round((g.col - start) / speed);
  const flashBar = padFront(concatMovies([movingBar({ ...dims, frames: 4, speed: 0, start: g.col, barWidth: 2 }),
    { frames: 40, ...dims, data: new Float32Array(40 * size * circuit.width) }]), window);
  const anticipation: Phenomenon = {
    name: 'motion-anticipation', cell: 'on-1', movie: bar, control: flashBar, frames: [cross - 15, cross + 10], threshold: 0,
    index: (r, f) => {
      if (!f) throw new ArgumentError('flashRate', 'the rate trace of the flashed bar', f);
      const flashLatency = argmaxIn(f, window, window + 30) - window;
      return flashLatency - (argmaxIn(r, window, r.length) - cross);
    },
  };
  const steps = padFront(contrastSteps({ ...dims, frames: 600, contrasts: [0.3, 1], stepEvery: 150, checker: 2, seed: 424242 }), window);
  const up = window + 150;
  const adaptation: Phenomenon = {
    name: 'contrast-adaptation', cell: 'off-1', movie: steps, frames: [up - 10, up + 30], threshold: 1.2,
    index: (r) => {
      let a = 0, b = 0;
      for (const e of [0, 300]) for (let t = 0; t < 30; t++) { a += r[up + e + t]; b += r[up + e + 120 + t]; }
      return a / b;
    },
  };
  // latency coding: single dark 2-frame flashes of rising contrast, 30 grey frames before each, 30 after
  const lead = 30, tail = 30, onsets: number[] = [];
  const flashesUp = padFront(concatMovies(LATENCY_CONTRASTS.map((c, k) => {
    onsets.push(window + k * (lead + tail) + lead);
    return flashTrain({ ...dims, frames: lead + tail, period: lead + tail, count: 1, omit: -1, first: lead, duration: 2, contrast: -c });
  })), window);
  const latencies = (r: Float64Array) => onsets.map((o) => responseLatency(r, o, 25, r.subarray(o - 5, o).reduce((a, b) => a + b, 0) / 5));
  const latency: Phenomenon = {
    name: 'latency-coding', cell: 'off-1', movie: flashesUp, frames: [onsets[0] - 5, onsets[onsets.length - 1] + 25], threshold: 0.5,
    index: (r) => { const l = latencies(r); return l[0] - l[l.length - 1]; },
    curve: { x: [...LATENCY_CONTRASTS], xLabel: 'dark flash contrast', yLabel: 'latency (frames of 10 ms)', of: latencies },
  };
  // motion reversal: a dark bar (width 2, 0.25 px/frame) reversing at REVERSAL_OFFSETS from the cell's centre, one
  // trial each after window + 5 grey frames; the control sweeps on without reversing (the authors' motion sweep)
  const speedR = 0.25, grey = (n: number): Movie => ({ frames: n, ...dims, data: new Float32Array(n * size * circuit.width) });
  const reversals: number[] = [], revParts: Movie[] = [], sweepParts: Movie[] = [];
  let offset = 0;
  for (const dx of REVERSAL_OFFSETS) {
    const rev = Math.round((g.col + dx - start) / speedR), frames = rev + 45, pad = window + 5;
    revParts.push(grey(pad), movingBar({ ...dims, frames, speed: speedR, start, barWidth: 2, reverseAt: rev, contrast: -1 }));
    sweepParts.push(grey(pad), movingBar({ ...dims, frames, speed: speedR, start, barWidth: 2, contrast: -1 }));
    reversals.push(offset + pad + rev);
    offset += pad + frames;
  }
  const mid = reversals[Math.floor(reversals.length / 2)];
  const reversal: Phenomenon = {
    name: 'motion-reversal', cell: 'on-1', movie: concatMovies(revParts), control: concatMovies(sweepParts), frames: [mid - 10, mid + 35], threshold: 1.2,
    index: (r, sweep) => {
      if (!sweep) throw new ArgumentError('flashRate', 'the rate trace of the sweeping bar', sweep);
      return Math.max(...alignedMean(r, reversals, 40)) / Math.max(...alignedMean(sweep, reversals, 40));
    },
    curve: { x: Array.from({ length: 50 }, (_, k) => k - 10), xLabel: 'frames after the reversal', yLabel: 'trial-aligned mean rate (counts per frame)', of: (r) => Array.from(alignedMean(r, reversals.map((t) => t - 10), 50)) },
  };
  return [osr, anticipation, adaptation, latency, reversal];
}

/** The CNN's rate (counts per frame) over every frame of a movie (frames before the window: NaN). */
export function cnnRateTrace(net: Network, movie: Movie, window: number, cell: number): Float64Array {
  const ex = foldedExamples(movie, window), rates = predictRates(net, ex), G = net.outputSize;
  const out = new Float64Array(movie.frames).fill(NaN);
  ex.times.forEach((t, n) => { out[t] = rates[n * G + cell]; });
  return out;
}

/**
 * Runs `fn` on the reduced network: conv1 channels not in `kept` held at
 * their mean activation `channelMeans[c]` (their conv2 weights zeroed, their
 * mean contribution sum_{kh,kw} K[kh, kw, c, :] mean_c added to conv2's bias:
 * exact for 'valid' convolutions, where every output sees the whole kernel).
 * The weights are restored afterwards, also when `fn` throws.
 */
export function withReducedChannels<R>(net: Network, kept: readonly number[], channelMeans: readonly number[], fn: () => R): R {
  const conv2 = net.paramLayers[1];
  if (!conv2 || conv2.kind !== 'conv2d') throw new ArgumentError('net', 'a retinaCnn network (its second parametric layer a conv2d)', conv2?.kind);
  const C = conv2.weight.shape[2];
  if (channelMeans.length !== C) throw new ArgumentError('channelMeans', `one mean per conv1 channel (${C})`, channelMeans.length);
  kept.forEach((c, i) => checkInteger(`kept[${i}]`, c, 0, C - 1));
  const saved = { w: conv2.weight.clone(), b: conv2.bias ? conv2.bias.clone() : null };
  try {
    tf.tidy(() => {
      const mask = tf.tensor(Array.from({ length: C }, (_, c) => (kept.includes(c) ? 1 : 0)), [1, 1, C, 1]);
      const held = tf.tensor(Array.from({ length: C }, (_, c) => (kept.includes(c) ? 0 : channelMeans[c])), [1, 1, C, 1]);
      if (conv2.bias) conv2.bias.assign(conv2.bias.add(conv2.weight.mul(held).sum([0, 1, 2])));
      conv2.weight.assign(conv2.weight.mul(mask));
    });
    return fn();
  } finally {
    conv2.weight.assign(saved.w);
    if (conv2.bias && saved.b) conv2.bias.assign(saved.b);
    saved.w.dispose();
    saved.b?.dispose();
  }
}

/** Attribution, reduction and the circuit match of one phenomenon (see analysePhenomenon). */
export interface PhenomenonAnalysis {
  name: Phenomenon['name'];
  cell: string;
  threshold: number;
  /** The phenomenon index of the simulated retina's rate, the CNN's and the reduced CNN's. */
  truth: number;
  cnn: number;
  reduced: number;
  /** Movie frames attributed and, per frame, each conv1 channel's attribution (summed over space). */
  frames: number[];
  attribution: number[][];
  /** Per channel: sum over the frames of |attribution|. */
  importance: number[];
  /** byKept[k - 1]: the index with the k most important channels kept (k = C: the full CNN). */
  byKept: number[];
  /** The fewest channels whose reduced network shows the phenomenon (null: none, not even all of them). */
  smallest: number | null;
  /** The channels of the reduced circuit: the `smallest` most important (or `keep` when smallest is null or all). */
  kept: number[];
  /** The bipolar type each kept channel matches best (interneuronMatch), with its r. */
  keptTypes: { type: string; r: number }[];
  /** The generating circuit's bipolar inputs of the cell, and the amacrine cells' inputs. */
  directInputs: string[];
  amacrineInputs: string[];
  /** Every kept channel's type among the cell's direct or amacrine-mediated inputs. */
  matches: boolean;
  /** The most important channel's type is one of the cell's direct bipolar inputs. */
  topDirect: boolean;
  /** The integrated gradients' completeness gap relative to the output differences (lib/rules relativeGap). */
  relativeGap: number;
  /** Rate traces over the movie (counts per frame): retina (rate dt), CNN, reduced CNN. */
  traces: { truth: number[]; cnn: number[]; reduced: number[] };
  /** The phenomenon's curve (Phenomenon.curve) of each trace, and of the control movie's traces (the sweep) where there is one. */
  curve: { x: number[]; xLabel: string; yLabel: string; truth: number[]; cnn: number[]; reduced: number[]; control?: { truth: number[]; cnn: number[]; reduced: number[] } } | null;
}

/**
 * Integrated gradients of the cell's rate softplus(z) to conv1's channels on
 * every analysed frame (path from the grey movie, `steps` trapezoid steps,
 * lib/rules integratedGradients), the channels ranked by summed |attribution|;
 * the k most important kept, the others held at their mean activation
 * (`channelMeans`, folded into conv2's bias: withReducedChannels), and the
 * phenomenon measured again for k = 1..C. The reduced circuit is the smallest
 * k that still shows it (the authors prune until the phenomenon breaks);
 * `keep` channels when no k < C does. The weights are restored afterwards.
 */
export function analysePhenomenon(
  net: Network, circuit: RetinaCircuit, p: Phenomenon, match: InterneuronMatch, channelMeans: number[], window: number, keep: number, steps: number,
): PhenomenonAnalysis {
  const G = circuit.ganglion.length, gi = circuit.ganglion.findIndex((g) => g.name === p.cell);
  if (gi < 0) throw new ArgumentError('p.cell', `a ganglion cell of the circuit (${circuit.ganglion.map((g) => g.name).join(', ')})`, p.cell);
  checkInteger('keep', keep, 1, channelMeans.length);
  const truthOf = (m: Movie) => Float64Array.from(cellColumn(simulateRetina(m, circuit, { record: false }).rates, G, gi), (r) => r * circuit.dt);
  const truth = truthOf(p.movie), truthControl = p.control ? truthOf(p.control) : undefined;
  const cnn = cnnRateTrace(net, p.movie, window, gi), cnnControl = p.control ? cnnRateTrace(net, p.control, window, gi) : undefined;

  const ex = foldedExamples(p.movie, window), [, H, W, T] = ex.shape, d = H * W * T;
  const frames: number[] = [];
  for (let t = p.frames[0]; t < p.frames[1]; t++) frames.push(t);
  const n = frames.length, xs = new Float32Array(n * d);
  frames.forEach((t, k) => xs.set(ex.x.subarray((t - window + 1) * d, (t - window + 2) * d), k * d));
  const x = tf.tensor(xs, [n, H, W, T]);
  const ig = integratedGradients(net, x, {
    target: (z: tf.Tensor) => tf.softplus(z.slice([0, gi], [z.shape[0], 1]).reshape([z.shape[0]])), layer: HIDDEN_LAYERS.conv1, steps,
  });
  x.dispose();
  ig.attributions.dispose();
  const attribution = ig.channelSums;
  const C = channelMeans.length;
  const importance = Array.from({ length: C }, (_, c) => attribution.reduce((s, row) => s + Math.abs(row[c]), 0));
  const ranked = importance.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0]).map(([, c]) => c);
  // the index with the top k channels, k = 1..C (k = C is the full network)
  const reducedRun = (k: number) => withReducedChannels(net, ranked.slice(0, k), channelMeans, () =>
    [cnnRateTrace(net, p.movie, window, gi), p.control ? cnnRateTrace(net, p.control, window, gi) : undefined] as const);
  const byKept: number[] = [];
  for (let k = 1; k <= C; k++) { const [r, rc] = reducedRun(k); byKept.push(p.index(r, rc)); }
  const smallest = byKept.findIndex((v) => v > p.threshold) + 1;
  const chosen = smallest > 0 && smallest < C ? smallest : keep;
  const kept = ranked.slice(0, chosen);
  const [reduced, reducedControl] = reducedRun(chosen);
  const g = circuit.ganglion[gi];
  const directInputs = Object.entries(g.weights).filter(([, w]) => w !== 0).map(([k]) => k);
  const amacrineInputs = circuit.amacrine && g.amacrineWeight !== 0 ? circuit.amacrine.inputs.slice() : [];
  const keptTypes = kept.map((c) => match.best[c]);
  const nan = (v: Float64Array) => Array.from(v, (x) => (Number.isFinite(x) ? x : 0));
  return {
    name: p.name, cell: p.cell, threshold: p.threshold,
    truth: p.index(truth, truthControl), cnn: p.index(cnn, cnnControl), reduced: p.index(reduced, reducedControl),
    frames, attribution, importance, kept, keptTypes, directInputs, amacrineInputs, byKept, smallest: smallest > 0 ? smallest : null,
    matches: keptTypes.every((k) => directInputs.includes(k.type) || amacrineInputs.includes(k.type)),
    topDirect: directInputs.includes(keptTypes[0].type),
    relativeGap: ig.relativeGap,
    traces: { truth: Array.from(truth), cnn: nan(cnn), reduced: nan(reduced) },
    curve: p.curve ? {
      x: p.curve.x, xLabel: p.curve.xLabel, yLabel: p.curve.yLabel, truth: p.curve.of(truth), cnn: p.curve.of(cnn), reduced: p.curve.of(reduced),
      control: truthControl && cnnControl && reducedControl && p.name === 'motion-reversal'
        ? { truth: p.curve.of(truthControl), cnn: p.curve.of(cnnControl), reduced: p.curve.of(reducedControl) } : undefined,
    } : null,
  };
}

/** What the held-out analysis measures of a trained CNN (heldOutMeasures on the held movie; streamedHeldOut chunk by chunk). */
export interface HeldOutMeasures {
  accuracy: AccuracyRow[];
  /** conv1 channels against the bipolar types, conv2 channels against the amacrine cells. */
  conv1: InterneuronMatch;
  conv2: InterneuronMatch;
  /** Probe of why conv2 need not match the amacrine cells: conv2 channels against the nearest ganglion cell's true rate. */
  conv2Ganglion: InterneuronMatch;
  /** conv2 against the amacrine cells within each half of the held-out movie (photographs, white noise): r without the contrast step between them. */
  conv2Within: { natural: InterneuronMatch; noise: InterneuronMatch };
  /** Per ganglion cell, r(true rate, the rate with the amacrine inhibition removed) on the held-out movie: how much the amacrine term shapes what the CNN is fitted to. */
  amacrineFreeR: number[];
  /** conv1's mean activation per channel over the held-out examples and positions (where the reduction holds the dropped channels). */
  channelMeans: number[];
}

/** Everything a run measures (runStudy). */
export interface StudyResult extends Omit<HeldOutMeasures, 'channelMeans'> {
  settings: StudySettings;
  training: TrainRecord[];
  phenomena: PhenomenonAnalysis[];
  /** Streamed runs (PAPER=1): data is 0 (the movies are made inside training and analysis), analysis includes the streamed LN fit. */
  seconds: { data: number; train: number; analysis: number; total: number };
  /** Streamed runs only (runStudy with `stream`): the training's steps and budget and what the streams held. */
  streamed?: StreamedRun;
}

/** A streamed run's training and the most its streams held (runStudy with `stream`). */
export interface StreamedRun extends Omit<StreamedTraining, 'settings' | 'records'> {
  /** The held-out stream (streamedHeldOut). */
  heldOut: HeldOutStreamStats;
  /** Seconds of the streamed LN fit (two passes over the training movie) and of the held-out pass. */
  lnSeconds: number;
  heldOutSeconds: number;
}

/**
 * The held-out measures on a materialised held-out movie (QUICK and default
 * mode): the CNN's and LN models' accuracy (evaluateAccuracy), conv1 and
 * conv2 against the interneurons (interneuronMatch), conv2 within each half
 * and against the ganglion cells, the amacrine-free retina's r, and conv1's
 * channel means. `lnRates`: each cell's LN rate over every held-out frame.
 */
export function heldOutMeasures(
  net: Network, s: StudySettings, circuit: RetinaCircuit, held: Movie, heldResponse: RetinaResponse, test: Examples, lnRates: Float64Array[] | null,
): HeldOutMeasures {
  const G = circuit.ganglion.length;
  const accuracy = evaluateAccuracy(predictRates(net, test), heldResponse, test.times, lnRates);
  const h1 = hiddenActivations(net, test, HIDDEN_LAYERS.conv1), h2 = hiddenActivations(net, test, HIDDEN_LAYERS.conv2);
  const [k1, k2] = s.kernels;
  const conv1 = interneuronMatch(h1, (k1 - 1) / 2, heldResponse.bipolar, heldResponse.subunits, test.times, 3, POOL_SIGMA);
  const conv2 = interneuronMatch(h2, (k1 - 1) / 2 + (k2 - 1) / 2, { amacrine: heldResponse.amacrine! }, heldResponse.amacrineCells, test.times);
  // the held-out movie's halves apart: the amacrine signal steps with the contrast between them (0.35 vs 1)
  const half = test.times.findIndex((t) => t >= Math.floor(s.testFrames / 2)), per = h2.values.length / h2.shape[0];
  const part = (lo: number, hi: number) => interneuronMatch({ values: h2.values.subarray(lo * per, hi * per), shape: [hi - lo, h2.shape[1], h2.shape[2], h2.shape[3]] },
    (k1 - 1) / 2 + (k2 - 1) / 2, { amacrine: heldResponse.amacrine! }, heldResponse.amacrineCells, test.times.subarray(lo, hi));
  const conv2Within = { natural: part(0, half), noise: part(half, test.times.length) };
  const conv2Ganglion = interneuronMatch(h2, (k1 - 1) / 2 + (k2 - 1) / 2, { ganglion: Float32Array.from(heldResponse.rates) }, circuit.ganglion, test.times);
  const noAmacrine = simulateRetina(held, amacrineFree(circuit), { record: false });
  const amacrineFreeR = circuit.ganglion.map((_, g) => pearson(cellColumn(noAmacrine.rates, G, g), cellColumn(heldResponse.rates, G, g)));
  const [N, h, w, C] = h1.shape;
  const channelMeans = Array.from({ length: C }, (_, c) => {
    let sum = 0;
    for (let q = c; q < h1.values.length; q += C) sum += h1.values[q];
    return sum / (N * h * w);
  });
  return { accuracy, conv1, conv2, conv2Ganglion, conv2Within, amacrineFreeR, channelMeans };
}

/** The circuit without its amacrine inhibition of the ganglion cells. */
const amacrineFree = (circuit: RetinaCircuit): RetinaCircuit => ({ ...circuit, ganglion: circuit.ganglion.map((g) => ({ ...g, amacrineWeight: 0 })) });

/** The most the held-out stream held at once (streamedHeldOut): checks of its memory bound. */
export interface HeldOutStreamStats {
  /** Movie frames held: the window's history plus one chunk (at most chunkFrames + window - 1). */
  maxFramesHeld: number;
  /** Frames of the largest chunk (at most chunkFrames) and of the largest part the movie was made in (at most chunkFrames). */
  maxChunkFrames: number;
  maxPartFrames: number;
  /** Examples folded at once (at most evalBatch). */
  maxExamplesHeld: number;
  /** Frames of subunit input each retina kept between chunks (at most its filterLength - 1). */
  maxRetinaHeld: number;
  chunks: number;
}

/** Runs m examples through the layers up to the last of `layers` (ascending) in evaluation mode; each named layer's output, flat. */
function forwardLayers(net: Network, x: Float32Array, shape: [number, number, number, number], layers: readonly number[]): Float32Array[] {
  const outs = tf.tidy(() => {
    net.layers.forEach((l) => l.setTraining?.(false));
    const kept: tf.Tensor[] = [];
    let h = tf.tensor(x, shape) as tf.Tensor;
    for (let l = 0; l <= layers[layers.length - 1]; l++) {
      h = net.layers[l].forward(h);
      if (layers.includes(l)) kept.push(h);
    }
    return kept;
  });
  const data = outs.map((o) => o.dataSync() as Float32Array);
  tf.dispose(outs);
  return data;
}

/**
 * heldOutMeasures without holding the held-out movie (PAPER=1; issue 29):
 * the movie is made in parts and played in chunks of `chunkFrames` frames
 * (heldOutSegments through lib/vision movieChunks and chunksWithHistory,
 * the window's history carried), the simulated retina answers each chunk
 * (lib/vision RetinaStream, seed + 200 as in runStudy; a second one without
 * the amacrine inhibition), the LN models' rates come chunk by chunk
 * (lnRates), and the examples ending in the chunk are folded `evalBatch` at
 * a time and run through the CNN once (conv1, conv2 and the output). Every
 * correlation is accumulated pair by pair in float64 (StreamingPearson; the
 * interneuron matches per channel, type and position as interneuronMatch
 * pools them) and conv1's channel sums in the order heldOutMeasures adds
 * them; nothing held grows with testFrames (`stats`). Equal to
 * heldOutMeasures on the materialised movie to rounding (test). Asynchronous:
 * it yields to the event loop every 100 ms and stops on an interrupt.
 */
export async function streamedHeldOut(
  net: Network, photos: readonly GrayImage[], s: StudySettings, lnModels: LnModel[] | null, chunkFrames: number, options: { evalBatch?: number; stats?: HeldOutStreamStats; progress?: boolean } = {},
): Promise<HeldOutMeasures> {
  checkInteger('chunkFrames', chunkFrames, 1);
  const evalBatch = checkInteger('evalBatch', options.evalBatch ?? 500, 1), stats = options.stats;
  const bar = options.progress ? new Progress({ total: s.testFrames, label: 'held-out analysis (streamed)' }) : null;
  const circuit = defaultRetinaCircuit({ height: s.size, width: s.size }), G = circuit.ganglion.length;
  const Tw = checkInteger('window', s.window, 1), HW = s.size * s.size, d = HW * Tw;
  checkInteger('testFrames', s.testFrames, Math.max(2, Tw));
  if (lnModels !== null && (!Array.isArray(lnModels) || lnModels.length !== G)) throw new ArgumentError('lnModels', `null or one LnModel per ganglion cell (${G})`, lnModels);
  if (lnModels && lnModels.some((m) => m.lags > Tw)) throw new ArgumentError('lnModels', `models of at most ${Tw} lags (the window's history is what is carried)`, lnModels.map((m) => m.lags));
  const retina = new RetinaStream(circuit, { seed: s.seed + 200 }), free = new RetinaStream(amacrineFree(circuit), { record: false });
  const [k1, k2] = s.kernels, off1 = (k1 - 1) / 2, off2 = off1 + (k2 - 1) / 2;
  const L1 = HIDDEN_LAYERS.conv1, L2 = HIDDEN_LAYERS.conv2, last = net.layers.length - 1;
  const shape1 = net.layers[L1].outputShape, shape2 = net.layers[L2].outputShape;
  const per1 = shape1.reduce((a, b) => a * b, 1), per2 = shape2.reduce((a, b) => a * b, 1), C1 = shape1[2];
  const m1 = new MatchStream(shape1, off1, circuit.bipolarTypes.map((b) => b.name), retina.subunits, 3, POOL_SIGMA);
  const m2 = new MatchStream(shape2, off2, ['amacrine'], retina.amacrineCells);
  const m2natural = new MatchStream(shape2, off2, ['amacrine'], retina.amacrineCells), m2noise = new MatchStream(shape2, off2, ['amacrine'], retina.amacrineCells);
  const m2ganglion = new MatchStream(shape2, off2, ['ganglion'], circuit.ganglion);
  const acc = circuit.ganglion.map(() => ({ cnn: new StreamingPearson(), ln: new StreamingPearson(), ceiling: new StreamingPearson() }));
  const freeR = circuit.ganglion.map(() => new StreamingPearson());
  const sums = new Float64Array(C1), half = Math.floor(s.testFrames / 2);
  let examples = 0;
  const note = (k: keyof Omit<HeldOutStreamStats, 'chunks'>, v: number) => { if (stats) stats[k] = Math.max(stats[k], v); };
  if (stats) Object.assign(stats, { maxFramesHeld: 0, maxChunkFrames: 0, maxPartFrames: 0, maxExamplesHeld: 0, maxRetinaHeld: 0, chunks: 0 });
  const parts = function* () {
    for (const p of heldOutSegments(photos, s.testFrames, s.size, s.seed, chunkFrames)) { note('maxPartFrames', p.frames); yield p; }
  };
  const x = new Float32Array(Math.min(evalBatch, s.testFrames) * d), pace = new EventLoopYield(100), stopListening = listening();
  try {
    for (const c of chunksWithHistory(movieChunks(parts(), chunkFrames, s.testFrames), Tw - 1)) {
      const { chunk, start, held } = c, T = chunk.frames;
      const resp = retina.push(chunk), noAm = free.push(chunk), ln = lnModels ? lnRates(lnModels, c) : null;
      if (stats) { stats.chunks++; note('maxFramesHeld', held + T); note('maxChunkFrames', T); note('maxRetinaHeld', Math.max(retina.heldFrames, free.heldFrames)); }
      for (let tl = 0; tl < T; tl++) for (let g = 0; g < G; g++) freeR[g].add(noAm.rates[tl * G + g], resp.rates[tl * G + g]);
      const amacrine = { amacrine: resp.amacrine! }, ganglion = { ganglion: Float32Array.from(resp.rates) };
      for (let t0 = Math.max(start, Tw - 1); t0 < start + T; t0 += evalBatch) {
        const m = Math.min(evalBatch, start + T - t0);
        note('maxExamplesHeld', m);
        for (let n = 0; n < m; n++) {
          // the window ending at frame t0 + n, folded as foldTime does: pixel p of frame t - Tw + 1 + k to channel k of pixel p
          const f0 = t0 + n - Tw + 1 - (start - held);
          for (let k = 0; k < Tw; k++) {
            const src = (f0 + k) * HW, dst = n * d + k;
            for (let p = 0; p < HW; p++) x[dst + p * Tw] = c.data[src + p];
          }
        }
        const [h1, h2, z] = forwardLayers(net, x.subarray(0, m * d), [m, s.size, s.size, Tw], [L1, L2, last]);
        for (let n = 0; n < m; n++) {
          const t = t0 + n, tl = t - start;
          for (let g = 0; g < G; g++) {
            const v = z[n * G + g], rate = v > 30 ? v : Math.log1p(Math.exp(v)), truth = resp.rates[tl * G + g];
            acc[g].cnn.add(rate, truth);
            if (ln) acc[g].ln.add(ln[g][tl], truth);
            acc[g].ceiling.add(resp.spikes![tl * G + g], truth);
          }
          m1.add(h1, n * per1, resp.bipolar, tl);
          m2.add(h2, n * per2, amacrine, tl);
          (t < half ? m2natural : m2noise).add(h2, n * per2, amacrine, tl);
          m2ganglion.add(h2, n * per2, ganglion, tl);
          for (let q = 0; q < per1; q++) sums[q % C1] += h1[n * per1 + q];
        }
        examples += m;
        bar?.update(t0 + m);
        const due = pace.due();
        if (due) { await due; throwIfInterrupted('streamedHeldOut', () => `at held-out frame ${t0 + m} of ${s.testFrames}`, () => null); }
      }
    }
  } finally {
    stopListening();
    bar?.finish();
  }
  const accuracy = circuit.ganglion.map((g, i) => ({ cell: g.name, cnn: acc[i].cnn.r, ln: lnModels ? acc[i].ln.r : null, ceiling: acc[i].ceiling.r }));
  return {
    accuracy, conv1: m1.result(), conv2: m2.result(), conv2Ganglion: m2ganglion.result(), conv2Within: { natural: m2natural.result(), noise: m2noise.result() },
    amacrineFreeR: freeR.map((a) => a.r), channelMeans: Array.from(sums, (v) => v / (examples * shape1[0] * shape1[1])),
  };
}

/**
 * Each ganglion cell's LN model fitted to the training movie and its true
 * rates without holding the movie (PAPER=1): the movie played twice in
 * chunks from its seed (trainingSegments through movieChunks and
 * chunksWithHistory), the retina's rates streamed (RetinaStream) in the
 * first pass, lib/vision LnFitter's two passes. Bit for bit runStudy's
 * fitLnModel per cell on the materialised movie (test); yields to the event
 * loop after each chunk and stops on an interrupt.
 */
export async function streamedLnModels(photos: readonly GrayImage[], s: StudySettings, chunkFrames: number, progress = false): Promise<LnModel[]> {
  checkInteger('chunkFrames', chunkFrames, 1);
  const bar = progress ? new Progress({ total: 2 * s.trainFrames, label: 'LN fit (streamed, two passes)' }) : null;
  const circuit = defaultRetinaCircuit({ height: s.size, width: s.size }), G = circuit.ganglion.length;
  const fit = new LnFitter(G, s.trainFrames, { lags: s.window });
  const play = () => chunksWithHistory(movieChunks(trainingSegments(photos, s.trainFrames, s.size, s.probeFraction, s.seed), chunkFrames, s.trainFrames), s.window - 1);
  const retina = new RetinaStream(circuit, { record: false }), stopListening = listening();
  try {
    const step = async (pass: string, c: { start: number; chunk: Movie }) => {
      bar?.tick(c.chunk.frames);
      await yieldToEventLoop();
      throwIfInterrupted('streamedLnModels', () => `${pass} pass at training frame ${c.start} of ${s.trainFrames}`, () => null);
    };
    for (const c of play()) { fit.addStaChunk(c, retina.push(c.chunk).rates); await step('first', c); }
    for (const c of play()) { fit.addGeneratorChunk(c); await step('second', c); }
  } finally {
    stopListening();
    bar?.finish();
  }
  return fit.models();
}

/**
 * The whole study for one seed: movies, the simulated retina's spikes, the
 * CNN trained on them, accuracy against the true rates (beside an LN model of
 * each cell fitted to the training movie and its true rates: STA plus binned
 * nonlinearity, lags = window), the hidden units against the interneurons,
 * and every phenomenon's attribution and reduction. With `stream` (PAPER=1)
 * nothing that grows with the movies is held: the CNN trains on
 * streamedBatches within `timeLimitMs` (trainStreamed's loop), the LN models
 * are fitted by streamedLnModels and the held-out measures made by
 * streamedHeldOut, all in chunks of `chunkFrames` frames; the phenomena are
 * short probe movies and run as in the default path.
 */
export async function runStudy(
  photos: readonly GrayImage[], s: StudySettings, options: { keep?: number; igSteps?: number; progress?: boolean; stream?: { chunkFrames: number; timeLimitMs?: number; evalBatch?: number } } = {},
): Promise<StudyResult> {
  const t0 = performance.now();
  const circuit = defaultRetinaCircuit({ height: s.size, width: s.size });
  const G = circuit.ganglion.length;
  const net = new Network(retinaCnn(s, G));
  try {
    let measures: HeldOutMeasures, training: TrainRecord[], tData: number, tTrain: number, streamed: StreamedRun | undefined;
    if (options.stream) {
      const chunkFrames = checkInteger('stream.chunkFrames', options.stream.chunkFrames, 1);
      tData = performance.now();
      const run = await trainStreamedOn(net, photos, s, { chunkFrames, timeLimitMs: options.stream.timeLimitMs, progress: options.progress });
      tTrain = performance.now();
      training = run.records;
      const lnModels = await streamedLnModels(photos, s, chunkFrames, options.progress ?? true), tLn = performance.now();
      const heldOut: HeldOutStreamStats = { maxFramesHeld: 0, maxChunkFrames: 0, maxPartFrames: 0, maxExamplesHeld: 0, maxRetinaHeld: 0, chunks: 0 };
      measures = await streamedHeldOut(net, photos, s, lnModels, chunkFrames, { evalBatch: options.stream.evalBatch, stats: heldOut, progress: options.progress ?? true });
      const { settings: _s, records: _r, ...rest } = run;
      streamed = { ...rest, heldOut, lnSeconds: (tLn - tTrain) / 1000, heldOutSeconds: (performance.now() - tLn) / 1000 };
    } else {
      const movie = trainingMovie(photos, s.trainFrames, s.size, s.probeFraction, s.seed);
      const response = simulateRetina(movie, circuit, { seed: s.seed + 100, record: false });
      const train = foldedExamples(movie, s.window);
      const held = heldOutMovie(photos, s.testFrames, s.size, s.seed);
      const heldResponse = simulateRetina(held, circuit, { seed: s.seed + 200 });
      const test = foldedExamples(held, s.window);
      tData = performance.now();
      training = await trainCnn(net, train, response, s, options.progress ?? true);
      tTrain = performance.now();
      const lnRates: Float64Array[] = [];
      for (let g = 0; g < G; g++) {
        lnRates.push(predictLn(fitLnModel(movie, cellColumn(response.rates, G, g), { lags: s.window }), held));
        await yieldToEventLoop(); // seconds per cell: let the kernel answer between them
      }
      measures = heldOutMeasures(net, s, circuit, held, heldResponse, test, lnRates);
    }
    const { channelMeans, ...held } = measures;
    const results: PhenomenonAnalysis[] = [];
    for (const p of phenomena(circuit, s.window)) {
      results.push(analysePhenomenon(net, circuit, p, held.conv1, channelMeans, s.window, options.keep ?? 2, options.igSteps ?? 16));
      await yieldToEventLoop();
    }
    const tEnd = performance.now();
    return {
      settings: s, training, ...held, phenomena: results,
      seconds: { data: (tData - t0) / 1000, train: (tTrain - tData) / 1000, analysis: (tEnd - tTrain) / 1000, total: (tEnd - t0) / 1000 },
      ...(streamed ? { streamed } : {}),
    };
  } finally {
    net.dispose();
  }
}

/** Per cell: r of the CNN, the LN model and single-trial spikes with the true rate (held out). */
export function accuracyFigure(rows: AccuracyRow[]): Figure {
  const x = rows.map((_, i) => i);
  return line([
    { x, y: rows.map((r) => r.cnn), name: 'CNN', mode: 'lines+markers' },
    { x, y: rows.map((r) => r.ln ?? NaN), name: 'LN model', mode: 'lines+markers' },
    { x, y: rows.map((r) => r.ceiling), name: 'one trial of spikes', mode: 'lines+markers', dash: 'dot' },
  ], { title: `Held-out correlation with the true rate (cells ${rows.map((r) => r.cell).join(', ')})`, xLabel: 'cell', yLabel: 'Pearson r' });
}

/** Channels x interneuron types: mean r (interneuronMatch). */
export function matchFigure(m: InterneuronMatch, title: string): Figure {
  return heatmap(m.r, { x: m.types, y: m.r.map((_, c) => `ch ${c}`), colorscale: 'RdBu', zmid: 0, title, xLabel: 'interneuron type', yLabel: 'CNN channel' });
}

/** Attribution time course of every conv1 channel for one phenomenon (kept channels solid). */
export function attributionFigure(a: PhenomenonAnalysis): Figure {
  const C = a.importance.length;
  return line(Array.from({ length: C }, (_, c) => ({
    x: a.frames, y: a.attribution.map((row) => row[c]), name: `ch ${c}${a.kept.includes(c) ? ' (kept)' : ''}`, dash: a.kept.includes(c) ? 'solid' as const : 'dot' as const,
  })), { title: `${a.name} (${a.cell}): integrated gradients to conv1 channels, summed over space`, xLabel: 'frame (10 ms)', yLabel: 'attribution (counts per frame)' });
}

/** Rate traces: retina, CNN, reduced CNN over the analysed frames (with a margin). */
export function traceFigure(a: PhenomenonAnalysis): Figure {
  const lo = Math.max(0, a.frames[0] - 20), hi = Math.min(a.traces.truth.length, a.frames[a.frames.length - 1] + 20);
  const x = Array.from({ length: hi - lo }, (_, i) => lo + i);
  return line([
    { x, y: a.traces.truth.slice(lo, hi), name: 'simulated retina' },
    { x, y: a.traces.cnn.slice(lo, hi), name: 'CNN' },
    { x, y: a.traces.reduced.slice(lo, hi), name: `reduced CNN (channels ${a.kept.join(', ')})`, dash: 'dash' },
  ], { title: `${a.name} (${a.cell}): index retina ${a.truth.toFixed(2)}, CNN ${a.cnn.toFixed(2)}, reduced ${a.reduced.toFixed(2)}`, xLabel: 'frame (10 ms)', yLabel: 'rate (counts per frame)' });
}

/** The phenomenon's curve (latency per contrast; the reversal-aligned rate beside the sweep's): retina, CNN, reduced CNN. */
export function curveFigure(a: PhenomenonAnalysis): Figure {
  if (!a.curve) throw new ArgumentError('a', 'a PhenomenonAnalysis with a curve (latency-coding, motion-reversal)', a.name);
  const { x, control } = a.curve, mode = a.name === 'latency-coding' ? 'lines+markers' as const : 'lines' as const;
  const series: LineSeries[] = [
    { x, y: a.curve.truth, name: 'simulated retina', mode }, { x, y: a.curve.cnn, name: 'CNN', mode },
    { x, y: a.curve.reduced, name: `reduced CNN (channels ${a.kept.join(', ')})`, dash: 'dash' as const, mode },
  ];
  if (control) series.push({ x, y: control.truth, name: 'simulated retina, sweep (no reversal)', dash: 'dot' as const, mode }, { x, y: control.cnn, name: 'CNN, sweep', dash: 'dot' as const, mode });
  return line(series, { title: `${a.name} (${a.cell})`, xLabel: a.curve.xLabel, yLabel: a.curve.yLabel });
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const medianOf = (v: number[]) => { const s = v.filter(Number.isFinite).sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };

/** Median (range) over seeds, or the one value. */
const overSeeds = (v: number[], d = 2) => { const f = v.filter(Number.isFinite); return f.length ? formatMedianRange(f, d) : 'n/a'; };

/** How often each verdict occurred over seeds: "yes (2/3); no (1/3)". */
const tally = (verdicts: string[]) => [...new Set(verdicts)].map((v) => `${v} (${verdicts.filter((x) => x === v).length}/${verdicts.length})`).join('; ');

/**
 * The claims table over seeds: the paper's claim, what this method validation
 * measured (median (range) over the runs' seeds) and how often it held.
 */
export function reproductionRows(runs: readonly StudyResult[]): { claim: string; paper: string; measured: string; holds: string }[] {
  if (!Array.isArray(runs as unknown) || runs.length === 0) throw new ArgumentError('runs', 'a non-empty array of StudyResult (one per seed)', runs);
  const per = (f: (r: StudyResult) => number) => runs.map(f);
  const cnn = per((r) => medianOf(r.accuracy.map((a) => a.cnn))), ln = per((r) => medianOf(r.accuracy.map((a) => a.ln ?? NaN)));
  const bip = per((r) => medianOf(r.conv1.best.map((b) => Math.abs(b.r)))), ama = per((r) => medianOf(r.conv2.best.map((b) => Math.abs(b.r))));
  const gan = per((r) => medianOf(r.conv2Ganglion.best.map((b) => Math.abs(b.r))));
  const seeds = `${runs.length} seed${runs.length > 1 ? 's' : ''}`;
  const rows: { claim: string; paper: string; measured: string; holds: string }[] = [
    {
      claim: 'CNN predicts held-out responses', paper: PAPER_CLAIMS.accuracy,
      measured: `median r over cells ${overSeeds(cnn)} (LN model ${overSeeds(ln)}) against the true rate, ${seeds}`, holds: tally(runs.map((_, i) => (cnn[i] > ln[i] ? 'yes, better than LN' : 'no'))),
    },
    {
      claim: 'hidden units resemble interneurons', paper: PAPER_CLAIMS.interneurons,
      measured: `conv1 vs bipolar types: median best |r| ${overSeeds(bip)}; conv2 vs amacrine: ${overSeeds(ama)} (within the photograph half ${overSeeds(per((r) => medianOf(r.conv2Within.natural.best.map((b) => Math.abs(b.r)))))}, the noise half ${overSeeds(per((r) => medianOf(r.conv2Within.noise.best.map((b) => Math.abs(b.r)))))}; conv2 vs the nearest ganglion cell's rate: ${overSeeds(gan)}), ${seeds}`,
      holds: tally(runs.map((_, i) => (bip[i] > 0.5 ? 'yes' : 'partly or no'))),
    },
  ];
  runs[0].phenomena.forEach((a0, q) => {
    const all = runs.map((r) => r.phenomena[q]);
    const shown = (a: PhenomenonAnalysis, v: number) => v > a.threshold;
    const verdict = (a: PhenomenonAnalysis) => !shown(a, a.truth) ? 'retina lacks it' : !shown(a, a.cnn) ? 'CNN lacks it' : shown(a, a.reduced) ? (a.matches ? 'yes, types match' : 'reduced yes, types do not match') : 'no (reduced loses it)';
    rows.push({
      claim: `reduced circuit reproduces ${a0.name}`, paper: PAPER_CLAIMS.reduction,
      measured: `index retina ${fmt(a0.truth)}, CNN ${overSeeds(all.map((a) => a.cnn))}, reduced ${overSeeds(all.map((a) => a.reduced))} with ${overSeeds(all.map((a) => a.kept.length), 0)} channels (present above ${a0.threshold}); kept types ${all.map((a) => a.keptTypes.map((k) => k.type).join('+')).join(' | ')}; true inputs ${a0.directInputs.join(', ')}${a0.amacrineInputs.length ? ` + amacrine from ${a0.amacrineInputs.join(', ')}` : ''}`,
      holds: tally(all.map(verdict)),
    });
  });
  return rows;
}

/** One run's headline numbers (scalars). */
function runHeadlines(r: StudyResult): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {
    medianCnnR: medianOf(r.accuracy.map((a) => a.cnn)), medianLnR: medianOf(r.accuracy.map((a) => a.ln ?? NaN)),
    medianSpikeCeilingR: medianOf(r.accuracy.map((a) => a.ceiling)),
    medianConv1BipolarR: medianOf(r.conv1.best.map((b) => Math.abs(b.r))), medianConv2AmacrineR: medianOf(r.conv2.best.map((b) => Math.abs(b.r))),
    medianConv2GanglionR: medianOf(r.conv2Ganglion.best.map((b) => Math.abs(b.r))),
    medianConv2AmacrineNaturalR: medianOf(r.conv2Within.natural.best.map((b) => Math.abs(b.r))), medianConv2AmacrineNoiseR: medianOf(r.conv2Within.noise.best.map((b) => Math.abs(b.r))), medianAmacrineFreeR: medianOf(r.amacrineFreeR),
    finalTrainLoss: r.training[r.training.length - 1].loss, trainSeconds: r.seconds.train, analysisSeconds: r.seconds.analysis,
  };
  for (const a of r.phenomena) {
    const k = a.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    out[`${k}Retina`] = a.truth;
    out[`${k}Cnn`] = a.cnn;
    out[`${k}Reduced`] = a.reduced;
    out[`${k}Kept`] = a.kept.length;
    out[`${k}TypesMatch`] = a.matches;
    out[`${k}TopDirect`] = a.topDirect;
    out[`${k}IgRelativeGap`] = a.relativeGap;
  }
  return out;
}

/**
 * Headline numbers for results.json (scalars, outside arrays): each number's
 * median over the runs' seeds (and, with several seeds, its Min and Max);
 * each flag as the count of seeds where it held (`...Seeds`).
 */
export function measuredHeadlines(runs: readonly StudyResult[]): Record<string, number> {
  if (!Array.isArray(runs as unknown) || runs.length === 0) throw new ArgumentError('runs', 'a non-empty array of StudyResult (one per seed)', runs);
  const each = runs.map(runHeadlines), out: Record<string, number> = { seeds: runs.length };
  for (const key of Object.keys(each[0])) {
    const vals = each.map((h) => h[key]);
    if (typeof vals[0] === 'boolean') { out[`${key}Seeds`] = vals.filter((v) => v === true).length; continue; }
    const nums = (vals as number[]).filter(Number.isFinite);
    if (nums.length === 0) continue;
    out[key] = median(nums);
    if (runs.length > 1) { out[`${key}Min`] = Math.min(...nums); out[`${key}Max`] = Math.max(...nums); }
  }
  return out;
}
