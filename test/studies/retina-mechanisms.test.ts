/**
 * lib/studies/retina-mechanisms (issue 29): the CNN's layout by hand; interneuronMatch on hidden units built from
 * known interneuron signals (r = 1 for the planted type, ~0 for an independent one); the reduction against the
 * network run by hand with the dropped channels replaced by their means, and the weights restored; the phenomenon
 * indices on the simulated retina; and one tiny QUICK run of the whole pipeline (its IG completeness gap small, its
 * table and headline numbers complete). PAPER=1's streamed batches: with one chunk they are the materialised path's
 * batches bit for bit; in chunks they are the materialised movie's examples and spikes in the order the chunk rule
 * gives, re-derived here from the materialised arrays; what the stream holds is bounded by the chunk, not the movie.
 * PAPER=1's streamed analysis: the held-out movie made in parts is heldOutMovie bit for bit, the streamed LN fit is
 * fitLnModel's per cell bit for bit, and the streamed held-out measures (accuracy, interneuron matches, amacrine-free
 * r, channel means) equal the materialised ones to float rounding, holding one chunk whatever the movie's length.
 * The l2 option: the step's gradient is cells x the finite-difference gradient of the authors' objective (Poisson loss
 * averaged over batch and cells, written out here, plus l2 / 2 |p|^2 over every trained parameter).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { clearInterrupt, initBackend, InterruptedError, requestInterrupt, Rng } from '../../lib/core';
import { Network, Optimizer } from '../../lib/rules';
import { cellColumn, concatMovies, defaultRetinaCircuit, fitLnModel, loadPhotographs, predictLn, simulateRetina, whiteNoiseMovie } from '../../lib/vision';
import {
  alignedMean, type Batch, cnnRateTrace, defaultSettings, type HeldOutMeasures, type HeldOutStreamStats, heldOutMeasures, heldOutMovie, heldOutSegments, LATENCY_CONTRASTS, materializedBatches,
  responseLatency, retinaOptimizerOptions, foldedExamples, HIDDEN_LAYERS, hiddenActivations, interneuronMatch, measuredHeadlines, phenomena, reproductionRows, retinaCnn, runStudy, type StreamStats, streamedBatches,
  streamedHeldOut, streamedLnModels, trainingMovie, trainStreamed, withReducedChannels,
} from '../../lib/studies/retina-mechanisms';
import { photoCacheDir } from '../../lib/studies/retinal-bottleneck';

const small = { ...defaultSettings(), size: 12, window: 6, kernels: [5, 3] as [number, number], channels: 3 };

test('retinaCnn: conv, batch norm, noise, relu twice (valid), flatten, dense(cells); Poisson loss', async () => {
  await initBackend({ print: false });
  const o = retinaCnn(small, 4);
  assert.deepEqual(o.layers.map((l) => l.kind), ['conv2d', 'batchnorm', 'gaussian-noise', 'activation', 'conv2d', 'batchnorm', 'gaussian-noise', 'activation', 'flatten', 'dense']);
  assert.equal(o.loss, 'poisson');
  const net = new Network(o);
  assert.deepEqual(net.layers[HIDDEN_LAYERS.conv1].outputShape, [8, 8, 3]);
  assert.deepEqual(net.layers[HIDDEN_LAYERS.conv2].outputShape, [6, 6, 3]);
  assert.equal(net.outputSize, 4);
  net.dispose();
  assert.throws(() => retinaCnn({ ...small, kernels: [9, 7] }, 4), /kernels/);
});

test('interneuronMatch: a channel that copies the nearest subunit of one type has r = 1 with it, ~0 with an independent type', () => {
  const N = 400, h = 4, w = 4, C = 2, offset = 2;
  const cellsAt: { row: number; col: number }[] = [];
  for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) cellsAt.push({ row: r, col: c });
  const M = cellsAt.length, T = N + 5;
  const a = Float32Array.from({ length: T * M }, (_, i) => Math.sin(0.37 * i) + Math.cos(1.91 * i * i));
  const b = Float32Array.from({ length: T * M }, (_, i) => Math.sin(2.3 * i + 0.5 * Math.sin(0.13 * i * i)));
  const times = Int32Array.from({ length: N }, (_, n) => n + 5);
  const values = new Float32Array(N * h * w * C);
  for (let n = 0; n < N; n++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    const m = (i + offset) * 8 + (j + offset); // the subunit at the window centre
    values[((n * h + i) * w + j) * C] = a[times[n] * M + m];
    values[((n * h + i) * w + j) * C + 1] = -2 * b[times[n] * M + m] + 1;
  }
  const res = interneuronMatch({ values, shape: [N, h, w, C] }, offset, { a, b }, cellsAt, times, 2);
  assert.ok(Math.abs(res.r[0][0] - 1) < 1e-6 && Math.abs(res.r[1][1] + 1) < 1e-6, `planted r ${res.r[0][0]}, ${res.r[1][1]}`);
  assert.ok(Math.abs(res.r[0][1]) < 0.2 && Math.abs(res.r[1][0]) < 0.2, `independent r ${res.r[0][1]}, ${res.r[1][0]}`);
  assert.deepEqual(res.best.map((x) => x.type), ['a', 'b']);
  // pooled: a channel that is the Gaussian-weighted mean of type a around its window centre has r = 1 with the pooled signal
  const sigma = 1.5, pooledValues = new Float32Array(N * h * w * C);
  for (let n = 0; n < N; n++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    let num = 0, den = 0;
    cellsAt.forEach((p, m) => { const g = Math.exp(-((p.row - i - offset) ** 2 + (p.col - j - offset) ** 2) / (2 * sigma * sigma)); num += g * a[times[n] * M + m]; den += g; });
    pooledValues[((n * h + i) * w + j) * C] = num / den;
    pooledValues[((n * h + i) * w + j) * C + 1] = b[times[n] * M + (i + offset) * 8 + j + offset];
  }
  const pooled = interneuronMatch({ values: pooledValues, shape: [N, h, w, C] }, offset, { a, b }, cellsAt, times, 2, sigma);
  assert.ok(Math.abs(pooled.r[0][0] - 1) < 1e-5, `pooled r ${pooled.r[0][0]}`);
  assert.ok(interneuronMatch({ values: pooledValues, shape: [N, h, w, C] }, offset, { a, b }, cellsAt, times, 2).r[0][0] < 0.9, 'the nearest subunit alone is not the pooled signal');
});

test('withReducedChannels: equals the network run by hand with the dropped channels at their means; weights restored', async () => {
  await initBackend({ print: false });
  const net = new Network(retinaCnn(small, 2));
  const movie = whiteNoiseMovie({ frames: 40, height: 12, width: 12, seed: 3 });
  const ex = foldedExamples(movie, small.window);
  const means = [0.3, 0.7, 0.1], kept = [1];
  const before = net.paramLayers[1].weight.dataSync().slice();
  const reduced = withReducedChannels(net, kept, means, () => cnnRateTrace(net, movie, small.window, 1));
  assert.deepEqual(net.paramLayers[1].weight.dataSync(), before, 'weights restored');
  const h1 = hiddenActivations(net, ex, HIDDEN_LAYERS.conv1);
  const [N, h, w, C] = h1.shape;
  for (let q = 0; q < h1.values.length; q++) if ((q % C) !== 1) h1.values[q] = means[q % C];
  const z = tf.tidy(() => net.layers.slice(HIDDEN_LAYERS.conv1 + 1).reduce((x, l) => l.forward(x), tf.tensor(h1.values, [N, h, w, C]) as tf.Tensor).dataSync());
  ex.times.forEach((t, n) => {
    const want = Math.log1p(Math.exp(z[n * 2 + 1]));
    assert.ok(Math.abs(reduced[t] - want) < 1e-4 * (1 + want), `frame ${t}: ${reduced[t]} vs ${want}`);
  });
  const full = cnnRateTrace(net, movie, small.window, 1);
  assert.ok(full.some((v, t) => Number.isFinite(v) && Math.abs(v - reduced[t]) > 1e-4), 'the reduction changes the output');
  net.dispose();
});

test('responseLatency: centre of mass of the excess over the baseline, by hand; NaN when nothing exceeds it', () => {
  // excess 0, 1, 3, 0 at onset + 0..3 (baseline 2): (1 x 1 + 3 x 2) / 4 = 1.75; a symmetric bump centred 4 frames on gives 4
  const r = [9, 9, 2, 3, 5, 1, 9];
  assert.equal(responseLatency(r, 2, 4, 2), 1.75);
  const bump = Array.from({ length: 20 }, (_, t) => Math.max(0, 3 - Math.abs(t - 9)) + 0.5);
  assert.ok(Math.abs(responseLatency(bump, 5, 10, 0.5) - 4) < 1e-12);
  assert.ok(Number.isNaN(responseLatency(bump, 5, 10, 10)));
  assert.throws(() => responseLatency(bump, 15, 10, 0), /rate/);
});

test('alignedMean: the trial-aligned average by hand', () => {
  const r = [0, 1, 2, 3, 4, 5, 6, 7];
  assert.deepEqual(Array.from(alignedMean(r, [1, 4], 3)), [2.5, 3.5, 4.5]);
  assert.throws(() => alignedMean(r, [6], 3), /at\[0\]/);
});

test('latency coding on a stripped-down circuit: a rectified linear cell keeps its latency, depression shortens it', () => {
  // one OFF bipolar type, no amacrine, a relu ganglion cell without threshold: the rate is the rectified filter
  // response times the contrast, whose centre of mass does not depend on the contrast (index 0); depression
  // cuts the late part of a strong response more, so the strong flash's latency is shorter (index > 0)
  const base = defaultRetinaCircuit();
  const lin = { ...base, depression: null, amacrine: null, bipolarTypes: [base.bipolarTypes[1]], ganglion: [{ ...base.ganglion[2], weights: { 'off-fast': 1 }, threshold: 0, output: 'relu' as const, amacrineWeight: 0 }] };
  const p = phenomena(base, 20).find((q) => q.name === 'latency-coding')!;
  assert.equal(LATENCY_CONTRASTS.length, 5);
  const idx = (c: typeof base) => p.index(cellColumn(simulateRetina(p.movie, c, { record: false }).rates, 1, 0));
  assert.ok(Math.abs(idx(lin)) < 1e-6, // bipolar outputs are float32
    `linear-rectified cell: ${idx(lin)}`);
  assert.ok(idx({ ...lin, depression: base.depression }) > 0.3, `with depression: ${idx({ ...lin, depression: base.depression })}`);
});

test('phenomena: the simulated retina shows each (index above its threshold) on its cell', () => {
  const circuit = defaultRetinaCircuit(), G = circuit.ganglion.length;
  for (const p of phenomena(circuit, 20)) {
    const gi = circuit.ganglion.findIndex((g) => g.name === p.cell);
    const r = cellColumn(simulateRetina(p.movie, circuit, { record: false }).rates, G, gi);
    const f = p.control ? cellColumn(simulateRetina(p.control, circuit, { record: false }).rates, G, gi) : undefined;
    assert.ok(p.index(r, f) > p.threshold, `${p.name}: ${p.index(r, f)}`);
    // a cell without the mechanism does not: the OFF cell has no omitted-stimulus response to dark flashes
    if (p.name === 'omitted-stimulus') assert.ok(p.index(cellColumn(simulateRetina(p.movie, circuit, { record: false }).rates, G, 2), undefined) < p.threshold);
  }
});

test('runStudy (QUICK-sized): every part runs; IG completeness holds; table and headlines complete', async () => {
  await initBackend({ print: false });
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const r = await runStudy(photos, { ...defaultSettings(), trainFrames: 600, testFrames: 300, epochs: 1 }, { igSteps: 4, progress: false });
  assert.equal(r.accuracy.length, 8);
  assert.equal(r.conv1.r.length, 8);
  assert.deepEqual(r.conv1.types, ['on-fast', 'off-fast', 'on-slow', 'off-slow']);
  assert.equal(r.phenomena.length, 5);
  for (const a of r.phenomena) {
    assert.ok(a.relativeGap < 0.5, `${a.name}: IG gap ${a.relativeGap}`);
    assert.equal(a.kept.length, a.smallest !== null && a.smallest < 8 ? a.smallest : 2);
    assert.ok(Math.abs(a.byKept[7] - a.cnn) < 1e-6 * (1 + Math.abs(a.cnn)), `${a.name}: all 8 channels kept is the full CNN (${a.byKept[7]} vs ${a.cnn})`);
    assert.equal(a.byKept[a.kept.length - 1], a.reduced);
    assert.ok(a.kept.every((c) => a.importance[c] >= Math.max(...a.importance.filter((_, k) => !a.kept.includes(k)))), 'kept the largest');
  }
  assert.equal(reproductionRows([r]).length, 7);
  const m = measuredHeadlines([r]);
  assert.ok(Number.isFinite(m.medianCnnR) && Number.isFinite(m.omittedStimulusRetina) && Number.isFinite(m.latencyCodingRetina) && Number.isFinite(m.motionReversalRetina));
  assert.equal(r.amacrineFreeR.length, 8);
  // the curves agree with the indices: latency at the weakest minus the strongest flash; peak after the reversal over the sweep's
  const lat = r.phenomena.find((a) => a.name === 'latency-coding')!, rev = r.phenomena.find((a) => a.name === 'motion-reversal')!;
  assert.ok(Math.abs(lat.curve!.truth[0] - lat.curve!.truth[4] - lat.truth) < 1e-12);
  const after = (v: number[]) => Math.max(...v.filter((_, k) => rev.curve!.x[k] >= 0 && rev.curve!.x[k] < 40));
  assert.ok(Math.abs(after(rev.curve!.truth) / after(rev.curve!.control!.truth) - rev.truth) < 1e-12);
  assert.deepEqual(r.conv2Ganglion.types, ['ganglion']);
  assert.ok(Number.isFinite(m.medianConv2AmacrineNaturalR) && Number.isFinite(m.medianConv2AmacrineNoiseR));
  // over seeds: the median of the per-seed medians, their range, and flags counted
  const shifted = { ...r, accuracy: r.accuracy.map((a) => ({ ...a, cnn: a.cnn + 1 })), phenomena: r.phenomena.map((a) => ({ ...a, matches: !a.matches })) };
  const two = measuredHeadlines([r, shifted]);
  assert.ok(Math.abs(two.medianCnnR - (m.medianCnnR + 0.5)) < 1e-12 && two.medianCnnRMin === m.medianCnnR && Math.abs(two.medianCnnRMax - (m.medianCnnR + 1)) < 1e-12);
  assert.equal(two.omittedStimulusTypesMatchSeeds, 1);
  assert.equal(two.seeds, 2);
  assert.match(reproductionRows([r, shifted])[0].measured, /\(/, 'median (range) over two seeds');
});

test('trainingMovie: the requested frames, one seed one movie; full-field flashes only when probe segments are asked for', () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const uniformNonzero = (m: { frames: number; data: Float32Array }, px: number) => {
    let n = 0;
    for (let t = 0; t < m.frames; t++) {
      const f = m.data.subarray(t * px, (t + 1) * px);
      if (f[0] !== 0 && f.every((v) => v === f[0])) n++;
    }
    return n;
  };
  const a = trainingMovie(photos, 1000, 10, 0, 4), b = trainingMovie(photos, 1000, 10, 0, 4), probes = trainingMovie(photos, 1000, 10, 1, 4);
  assert.equal(a.frames, 1000);
  assert.equal(a.data.length, 1000 * 100);
  assert.deepEqual(a.data, b.data);
  assert.equal(uniformNonzero(a, 100), 0, 'no flashes without probe segments');
  assert.ok(uniformNonzero(probes, 100) > 0, 'flash-train segments among the probe segments');
});

/** Every batch of a generator, copied (the generator reuses its arrays). */
const drain = (g: Iterable<Batch>) => Array.from(g, (b) => ({ epoch: b.epoch, index: b.index, x: b.x.slice(), y: b.y.slice() }));
const tiny = { ...small, trainFrames: 700, batchSize: 16, epochs: 2, seed: 3 };

test('streamedBatches with one chunk: materializedBatches (the default path) bit for bit', () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const movie = trainingMovie(photos, tiny.trainFrames, tiny.size, tiny.probeFraction, tiny.seed);
  const response = simulateRetina(movie, defaultRetinaCircuit({ height: tiny.size, width: tiny.size }), { seed: tiny.seed + 100, record: false });
  const want = drain(materializedBatches(foldedExamples(movie, tiny.window), response, tiny));
  const got = drain(streamedBatches(photos, tiny, tiny.trainFrames));
  assert.equal(want.length, 2 * Math.floor((700 - 6 + 1) / 16));
  assert.equal(got.length, want.length);
  got.forEach((b, k) => {
    assert.equal(b.epoch, want[k].epoch);
    assert.deepEqual(b.x, want[k].x, `batch ${k}: x`);
    assert.deepEqual(b.y, want[k].y, `batch ${k}: y`);
  });
});

test("streamedBatches in chunks: the materialised movie's folded examples and spikes, in the chunk rule's order (re-derived by hand)", () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const chunk = 150, Tw = tiny.window, F = tiny.trainFrames, bs = tiny.batchSize;
  const movie = trainingMovie(photos, F, tiny.size, tiny.probeFraction, tiny.seed);
  const circuit = defaultRetinaCircuit({ height: tiny.size, width: tiny.size }), G = circuit.ganglion.length;
  const spikes = simulateRetina(movie, circuit, { seed: tiny.seed + 100, record: false }).spikes!;
  const ex = foldedExamples(movie, Tw), d = ex.shape[1] * ex.shape[2] * Tw;
  // the rule: per chunk, the examples ending in it join those carried over; a permutation of the pool; full batches; the rest carried
  const rng = new Rng(tiny.seed + 1), want: number[][] = [];
  for (let e = 0; e < tiny.epochs; e++) {
    let carried: number[] = [];
    for (let c0 = 0; c0 < F; c0 += chunk) {
      const c1 = Math.min(F, c0 + chunk), tLo = Math.max(c0, Tw - 1);
      if (c1 <= tLo) continue;
      const pool = [...carried, ...Array.from({ length: c1 - tLo }, (_, i) => tLo + i - (Tw - 1))];
      const order = Array.from(rng.permutation(pool.length), (i) => pool[i]), nb = Math.floor(pool.length / bs);
      for (let q = 0; q < nb; q++) want.push(order.slice(q * bs, (q + 1) * bs));
      carried = order.slice(nb * bs);
    }
  }
  const got = drain(streamedBatches(photos, tiny, chunk));
  assert.equal(got.length, want.length);
  assert.equal(got.length, tiny.epochs * Math.floor((F - Tw + 1) / bs), 'floor(N / batchSize) batches an epoch');
  got.forEach((b, k) => {
    const x = new Float32Array(bs * d), y = new Float32Array(bs * G);
    want[k].forEach((n, i) => { x.set(ex.x.subarray(n * d, (n + 1) * d), i * d); y.set(spikes.subarray(ex.times[n] * G, (ex.times[n] + 1) * G), i * G); });
    assert.deepEqual(b.x, x, `batch ${k}: x`);
    assert.deepEqual(b.y, y, `batch ${k}: y`);
  });
  assert.ok(got.some((b, k) => !want[k].every((n, i) => i === 0 || n > want[k][i - 1])), 'shuffled within the pool');
});

test('streamedBatches: one seed, one stream of batches (movie, spikes and order all seeded); another seed, another', () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const one = { ...tiny, epochs: 1 };
  const a = drain(streamedBatches(photos, one, 150)), b = drain(streamedBatches(photos, one, 150)), c = drain(streamedBatches(photos, { ...one, seed: 4 }, 150));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0].x, c[0].x);
});

test("streamedBatches: what it holds is bounded by the chunk, whatever the movie's length", () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const chunk = 150, held = (frames: number) => {
    const st: StreamStats = { maxFramesHeld: 0, maxChunkFrames: 0, maxCarried: 0, maxRetinaHeld: 0, chunks: 0 };
    let n = 0;
    for (const b of streamedBatches(photos, { ...tiny, trainFrames: frames, epochs: 1 }, chunk, st)) { assert.equal(b.x.length, tiny.batchSize * 12 * 12 * tiny.window); n++; }
    return { ...st, n };
  };
  const short = held(700), long = held(2800);
  assert.equal(long.chunks, Math.ceil(2800 / chunk));
  for (const st of [short, long]) {
    assert.equal(st.maxChunkFrames, chunk);
    assert.equal(st.maxFramesHeld, chunk + tiny.window - 1, "one chunk plus the window's history");
    assert.ok(st.maxCarried <= tiny.batchSize - 1, `carried ${st.maxCarried}`);
    assert.equal(st.maxRetinaHeld, defaultRetinaCircuit().filterLength - 1);
  }
  assert.ok(long.n > 3 * short.n, 'four times the movie, four times the batches, the same held sizes');
});

test('trainStreamed: a time budget stops it after a step or more, with the steps, the planned steps and the held sizes', async () => {
  await initBackend({ print: false });
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const r = await trainStreamed(photos, { ...tiny, epochs: 50 }, { chunkFrames: 150, timeLimitMs: 300, progress: false });
  assert.equal(r.stopped, 'time');
  assert.ok(r.steps >= 1 && r.steps < r.planned, `${r.steps} of ${r.planned}`);
  assert.equal(r.planned, 50 * Math.floor(695 / 16));
  assert.equal(r.stream.maxChunkFrames, 150);
  const all = await trainStreamed(photos, { ...tiny, epochs: 1 }, { chunkFrames: 150, progress: false });
  assert.equal(all.stopped, null);
  assert.equal(all.steps, all.planned);
  assert.equal(all.records.length, 1);
  assert.ok(Number.isFinite(all.records[0].loss) && all.records[0].batches === undefined, 'a whole epoch');
  // an interrupt stops it at its next yield to the event loop (every 100 ms) with an InterruptedError
  requestInterrupt();
  try {
    await assert.rejects(trainStreamed(photos, { ...tiny, epochs: 50 }, { chunkFrames: 150, progress: false }), (e: unknown) => e instanceof InterruptedError && /step \d+ of 2150/.test(e.message));
  } finally {
    clearInterrupt();
  }
});

test('heldOutSegments: the held-out movie made in parts of any size is heldOutMovie bit for bit', () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const whole = heldOutMovie(photos, 301, 12, 4);
  for (const part of [1, 70, 150, 301]) {
    const parts = [...heldOutSegments(photos, 301, 12, 4, part)];
    assert.ok(parts.every((m) => m.frames <= part));
    assert.deepEqual(concatMovies(parts).data, whole.data, `parts of ${part}`);
  }
  assert.notDeepEqual(heldOutMovie(photos, 301, 12, 5).data, whole.data, 'another seed, another movie');
});

test("streamedLnModels: the LN fit on the training movie played in chunks is runStudy's fitLnModel per cell bit for bit", async () => {
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const circuit = defaultRetinaCircuit({ height: 12, width: 12 }), G = circuit.ganglion.length;
  const movie = trainingMovie(photos, tiny.trainFrames, 12, tiny.probeFraction, tiny.seed);
  const rates = simulateRetina(movie, circuit, { seed: tiny.seed + 100, record: false }).rates;
  const models = await streamedLnModels(photos, tiny, 97);
  assert.equal(models.length, G);
  models.forEach((m, g) => {
    const one = fitLnModel(movie, cellColumn(rates, G, g), { lags: tiny.window });
    assert.deepEqual([m.filter, m.generator, m.rate], [one.filter, one.generator, one.rate], `cell ${g}`);
  });
});

test('streamedHeldOut: the materialised held-out measures to float rounding (chunks of 70 frames, 23 examples at a time); bounded by the chunk', async () => {
  await initBackend({ print: false });
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const s = { ...tiny, testFrames: 300 }, circuit = defaultRetinaCircuit({ height: 12, width: 12 }), G = circuit.ganglion.length;
  const movie = trainingMovie(photos, s.trainFrames, 12, s.probeFraction, s.seed);
  const rates = simulateRetina(movie, circuit, { seed: s.seed + 100, record: false }).rates;
  const fits = circuit.ganglion.map((_, g) => fitLnModel(movie, cellColumn(rates, G, g), { lags: s.window }));
  const held = heldOutMovie(photos, s.testFrames, 12, s.seed), heldResponse = simulateRetina(held, circuit, { seed: s.seed + 200 });
  const net = new Network(retinaCnn(s, G));
  try {
    const want = heldOutMeasures(net, s, circuit, held, heldResponse, foldedExamples(held, s.window), fits.map((f) => predictLn(f, held)));
    const stats: HeldOutStreamStats = { maxFramesHeld: 0, maxChunkFrames: 0, maxPartFrames: 0, maxExamplesHeld: 0, maxRetinaHeld: 0, chunks: 0 };
    const got = await streamedHeldOut(net, photos, s, fits, 70, { evalBatch: 23, stats });
    // the CNN's activations are float32 (tfjs) and may round differently in batches of 23 than of 500: 1e-6 on
    // everything, 1e-12 on what involves no network (LN, spikes and the amacrine-free retina against the true rate)
    const close = (a: unknown, b: unknown, tol: number, path: string): void => {
      if (typeof a === 'number' && typeof b === 'number') {
        assert.ok(Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= tol, `${path}: streamed ${b}, materialised ${a}`);
      } else if (a !== null && typeof a === 'object') {
        assert.deepEqual(Object.keys(b as object), Object.keys(a));
        for (const k of Object.keys(a)) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${path}.${k}`);
      } else assert.equal(b, a, path);
    };
    close(want, got, 1e-6, 'measures');
    want.accuracy.forEach((a, g) => { close(a.ln, got.accuracy[g].ln, 1e-12, `ln ${g}`); close(a.ceiling, got.accuracy[g].ceiling, 1e-12, `ceiling ${g}`); });
    close(want.amacrineFreeR, got.amacrineFreeR, 1e-12, 'amacrineFreeR');
    assert.ok(want.accuracy.every((a) => Number.isFinite(a.cnn) && Number.isFinite(a.ln!)) && want.conv1.r.flat().every(Number.isFinite), 'the numbers compared are numbers');
    assert.deepEqual(got.conv1.best.map((b) => b.type), want.conv1.best.map((b) => b.type));
    assert.equal(stats.chunks, Math.ceil(300 / 70));
    assert.equal(stats.maxFramesHeld, 70 + s.window - 1, "one chunk plus the window's history");
    // longer movie, same held sizes
    const longer: HeldOutStreamStats = { maxFramesHeld: 0, maxChunkFrames: 0, maxPartFrames: 0, maxExamplesHeld: 0, maxRetinaHeld: 0, chunks: 0 };
    const m: HeldOutMeasures = await streamedHeldOut(net, photos, { ...s, testFrames: 1200 }, null, 70, { evalBatch: 23, stats: longer });
    assert.ok(m.accuracy.every((a) => a.ln === null && Number.isFinite(a.cnn)));
    assert.equal(longer.chunks, Math.ceil(1200 / 70));
    for (const st of [stats, longer]) {
      assert.equal(st.maxChunkFrames, 70);
      assert.equal(st.maxPartFrames, 70, 'the movie made in parts no longer than a chunk');
      assert.equal(st.maxFramesHeld, 70 + s.window - 1);
      assert.equal(st.maxExamplesHeld, 23);
      assert.equal(st.maxRetinaHeld, circuit.filterLength - 1);
    }
  } finally {
    net.dispose();
  }
});

test('runStudy with stream (PAPER=1 at a tiny size): trains, fits, measures and analyses every phenomenon streamed', async () => {
  await initBackend({ print: false });
  const photos = loadPhotographs({ cacheDir: photoCacheDir() });
  const r = await runStudy(photos, { ...tiny, epochs: 1, testFrames: 300 }, { keep: 2, igSteps: 2, progress: false, stream: { chunkFrames: 150, evalBatch: 50 } });
  assert.ok(r.streamed, 'the streamed run says what it held');
  assert.equal(r.streamed!.steps, r.streamed!.planned);
  assert.equal(r.streamed!.heldOut.maxFramesHeld, 150 + tiny.window - 1);
  assert.equal(r.streamed!.stream.maxFramesHeld, 150 + tiny.window - 1);
  assert.equal(r.accuracy.length, 8);
  assert.ok(r.accuracy.every((a) => Number.isFinite(a.cnn) && Number.isFinite(a.ln!)));
  assert.equal(r.phenomena.length, 5);
  assert.ok(r.phenomena.every((a) => Number.isFinite(a.truth) && a.kept.length >= 1));
  assert.ok(reproductionRows([r]).length >= 7 && Number.isFinite(measuredHeadlines([r]).medianCnnR));
});

test("l2 (retinaOptimizerOptions): the gradient a step uses is cells x the finite differences of the authors' penalised objective", async () => {
  await initBackend({ print: false });
  const s = { ...small, noise: 0, l2: 0.05 }, G = 8, N = 6;
  const net = new Network(retinaCnn(s, G));
  try {
    const rng = new Rng(12), x = tf.tensor(rng.normalArray(N * 12 * 12 * s.window), [N, 12, 12, s.window]);
    const y = tf.tensor(Float32Array.from({ length: N * G }, () => rng.int(3)), [N, G]), yv = y.dataSync();
    const params = [...net.paramLayers.flatMap((l) => (l.bias ? [l.weight, l.bias] : [l.weight])), ...net.extraParameters];
    assert.ok(params.length >= 8, 'conv, dense and batch-norm parameters');
    // the authors' objective: PoissonNLLLoss(log_input=False) with mean reduction over batch and cells, + l2 / 2 |p|^2
    const objective = () => {
      const trace = net.forward(x), z = trace.output.dataSync();
      net.disposeTrace(trace);
      let loss = 0;
      for (let q = 0; q < N * G; q++) { const r = z[q] > 30 ? z[q] : Math.log1p(Math.exp(z[q])); loss += r - yv[q] * Math.log(r); }
      let sq = 0;
      for (const p of params) for (const v of p.dataSync()) sq += v * v;
      return loss / (N * G) + (s.l2 / 2) * sq;
    };
    const h = 1e-3, picks: { k: number; i: number; fd: number }[] = [];
    params.forEach((p, k) => {
      for (const i of [0, Math.floor(p.size / 2)]) {
        const v = p.dataSync().slice(), at = (d: number) => { const w = v.slice(); w[i] += d; p.assign(tf.tensor(w, p.shape)); return objective(); };
        const fd = (at(h) - at(-h)) / (2 * h);
        p.assign(tf.tensor(v, p.shape));
        picks.push({ k, i, fd });
      }
    });
    const before = params.map((p) => p.dataSync().slice()), lr = 1e-4;
    const opt = new Optimizer({ ...retinaOptimizerOptions(s, G), type: 'sgd', lr });
    assert.equal(retinaOptimizerOptions(s, G).type, 'adam');
    net.trainStep(x, y, opt);
    let worst = 0;
    for (const { k, i, fd } of picks) {
      const used = (before[k][i] - params[k].dataSync()[i]) / lr;
      worst = Math.max(worst, Math.abs(used - G * fd) / (1e-2 + Math.abs(G * fd)));
    }
    assert.ok(worst < 0.02, `worst relative gap ${worst}`);
    assert.ok(picks.some((q) => Math.abs(s.l2 * G * before[q.k][q.i]) > 0.2 * Math.abs(G * q.fd)), 'the penalty is a visible part of the gradients compared');
    opt.dispose();
    tf.dispose([x, y]);
  } finally {
    net.dispose();
  }
  assert.deepEqual(retinaOptimizerOptions(small, 8), { type: 'adam', lr: small.lr }, 'no l2: the optimiser of the default mode as before');
  assert.throws(() => retinaOptimizerOptions({ ...small, l2: -1 }, 8), /l2/);
});
