/**
 * lib/vision simulated retina, against closed forms on stripped-down circuits (one pixel, one subunit):
 * - the biphasic filter against its gamma formula written out here, and its sum against the gamma integrals, 1 - w;
 * - issue 29's Verify item: a linear biphasic bipolar plus a threshold answers a flash train with an omitted last
 *   flash by max(0, (c/|k|) sum_f k(t - t_f) - theta) at every frame; after the omission that sum runs over the
 *   earlier flashes only, and for dark flashes on an ON filter it peaks argmax k frames after the EXPECTED flash
 *   (the comb sum of the earlier flashes is nearly flat), whatever the period: the omitted-stimulus response's
 *   latency is locked to the missing flash, not to the last one; the full default circuit shows the same;
 * - depression's steady state (1/tau) / (1/tau + u y) and the amacrine low-pass and subtraction, by hand;
 * - Poisson counts with mean sum(rate dt), one seed one train;
 * - RetinaStream: a movie pushed in uneven chunks (some shorter than the filter) gives simulateRetina's response bit
 *   for bit, holding at most filterLength - 1 frames of state between pushes;
 * - an LN cell is explained by fitLnModel (R^2 ~ 1 held out) while the default circuit's cells are not;
 * - the LN fit and prediction on a movie in uneven chunks (fitLnModels, LnFitter, lnRates) equal fitLnModel and
 *   predictLn on the whole movie bit for bit; StreamingPearson equals pearson to rounding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import {
  biphasicFilter, cellColumn, chunksWithHistory, defaultRetinaCircuit, FAST_FILTER, fitLnModel, fitLnModels, flashTrain, LnFitter, lnRates, type Movie, pearson, predictLn, type RetinaCircuit,
  RetinaStream, simulateRetina, StreamingPearson, type TemporalFilter, varianceExplained, whiteNoiseMovie,
} from '../../lib/vision';

const dt = 0.01;
/** The filter written out independently of the library: dt t^3 e^{-t/tau} / (3! tau^4), two lobes. */
function kernel(f: TemporalFilter, L: number): number[] {
  const g = (t: number, tau: number) => (dt * t ** 3 * Math.exp(-t / tau)) / (6 * tau ** 4);
  return Array.from({ length: L }, (_, i) => g(i * dt, f.tau1) - f.weight * g(i * dt, f.tau2));
}

/** One pixel, one ON subunit, optional rectification/depression/amacrine, one ganglion cell with relu output. */
function stripped(o: { theta: number; bipolarThreshold?: number | null; depression?: RetinaCircuit['depression']; amacrine?: boolean; amacrineWeight?: number }): RetinaCircuit {
  return {
    height: 1, width: 1, dt, filterLength: 30, subunitStride: 1, subunitSigma: 0,
    bipolarTypes: [{ name: 'on', polarity: 1, filter: FAST_FILTER }], bipolarGain: 1,
    bipolarThreshold: o.bipolarThreshold ?? null, depression: o.depression ?? null,
    amacrine: o.amacrine ? { stride: 1, sigma: 1, inputs: ['on'], tau: 0.05, threshold: 0.1 } : null,
    ganglion: [{ name: 'g', row: 0, col: 0, sigma: 0, weights: { on: 1 }, amacrineWeight: o.amacrineWeight ?? 0, amacrineSigma: 1, threshold: o.theta, gain: 1, output: 'relu' }],
  };
}

test('biphasicFilter: the gamma formula sample by sample; its sum is 1 - w (the two lobes integrate to 1 and w)', () => {
  const k = biphasicFilter(FAST_FILTER, dt, 30), want = kernel(FAST_FILTER, 30);
  for (let i = 0; i < 30; i++) assert.ok(Math.abs(k[i] - want[i]) < 1e-12, `tap ${i}`);
  const fine = biphasicFilter({ tau1: 0.01, tau2: 0.03, weight: 0.7 }, 1e-4, 20000);
  assert.ok(Math.abs(fine.reduce((a, b) => a + b, 0) - 0.3) < 1e-3);
  const i1 = k.indexOf(Math.max(...k)), i2 = k.indexOf(Math.min(...k));
  assert.ok(i1 < i2 && k[i1] > 0 && k[i2] < 0, 'positive lobe first, then negative');
});

test('Verify (issue 29): flash train with an omission on linear filter + threshold: closed form, latency locked to the omitted flash', () => {
  const L = 30, k = kernel(FAST_FILTER, L), norm = Math.sqrt(k.reduce((a, b) => a + b * b, 0)), theta = 0.05, c = -1;
  const peakLag = k.indexOf(Math.max(...k)); // 3 frames for the fast filter: the hand-computed latency
  const lastFlashLatency: number[] = [];
  for (const P of [3, 4, 5]) {
    const f = flashTrain({ frames: 200, height: 1, width: 1, period: P, count: 20, first: 5, contrast: c });
    const r = simulateRetina(f, stripped({ theta }));
    for (let t = 0; t < 200; t++) {
      let lin = 0;
      for (const t0 of f.onsets) if (t - t0 >= 0 && t - t0 < L) lin += (c / norm) * k[t - t0];
      assert.ok(Math.abs(r.rates[t] - Math.max(0, lin - theta)) < 1e-6, `P ${P}: frame ${t}`); // float32 storage of the bipolar signal
    }
    const om = f.omitted!;
    let best = om;
    for (let t = om; t < om + L; t++) if (r.rates[t] > r.rates[best]) best = t;
    // the omission response peaks near argmax k after the EXPECTED flash (the earlier flashes' comb sum is smooth)
    assert.ok(Math.abs(best - om - peakLag) <= 1, `P ${P}: peak ${best - om} frames after the omitted flash, argmax k = ${peakLag}`);
    let trainMax = 0;
    for (let t = f.onsets[5]; t < om; t++) trainMax = Math.max(trainMax, r.rates[t]);
    assert.ok(r.rates[best] > 2 * trainMax, `P ${P}: the omission (${r.rates[best]}) answers more than the train (${trainMax})`);
    lastFlashLatency.push(best - f.onsets[f.onsets.length - 1]);
  }
  assert.ok(lastFlashLatency[2] - lastFlashLatency[0] >= 1, `latency after the LAST flash grows with the period (${lastFlashLatency})`);
});

test('the default circuit: an ON cell answers the omitted dark flash 1-3 frames after it was due, above its train response', () => {
  const circuit = defaultRetinaCircuit({ height: 8, width: 8 }), G = circuit.ganglion.length;
  const on = circuit.ganglion.findIndex((g) => g.name === 'on-1');
  for (const P of [5, 6]) {
    const f = flashTrain({ frames: 160, height: 8, width: 8, period: P, count: 20, first: 10, contrast: -1 });
    const rate = cellColumn(simulateRetina(f, circuit).rates, G, on), om = f.omitted!;
    let best = om;
    for (let t = om; t < om + 15; t++) if (rate[t] > rate[best]) best = t;
    let trainMax = 0;
    for (let t = f.onsets[10]; t < om; t++) trainMax = Math.max(trainMax, rate[t]);
    assert.ok(best - om >= 1 && best - om <= 3, `P ${P}: peak ${best - om} frames after the omitted flash`);
    assert.ok(rate[best] > 1.3 * trainMax, `P ${P}: omission ${rate[best]} vs train ${trainMax}`);
  }
});

test('depression: a constant input releases y (1/tau) / (1/tau + u y) at steady state; amacrine low-pass and subtraction by hand', () => {
  const T = 400, step: Movie = { frames: T, height: 1, width: 1, dt, data: new Float32Array(T).fill(0.8) };
  const k = kernel(FAST_FILTER, 30), norm = Math.sqrt(k.reduce((a, b) => a + b * b, 0));
  const y = (0.8 * k.reduce((a, b) => a + b, 0)) / norm - 0.02; // bipolar threshold 0.02, constant once t >= 30
  const dep = { tau: 0.2, rate: 5 };
  const r = simulateRetina(step, stripped({ theta: -10, bipolarThreshold: 0.02, depression: dep, amacrine: true, amacrineWeight: 0.5 }));
  const release = y * (1 / dep.tau) / (1 / dep.tau + dep.rate * y);
  assert.ok(Math.abs(r.bipolar.on[T - 1] - release) < 1e-6, `release ${r.bipolar.on[T - 1]} vs ${release}`);
  // amacrine: z <- z + (dt/tau)(u - z) on the recorded bipolar output, a = max(0, z - 0.1); ganglion = relu(out - 0.5 a + 10)
  let z = 0;
  for (let t = 0; t < T; t++) {
    z += (dt / 0.05) * (r.bipolar.on[t] - z);
    const a = Math.max(0, z - 0.1);
    assert.ok(Math.abs(r.amacrine![t] - a) < 1e-6, `amacrine at ${t}`);
    assert.ok(Math.abs(r.rates[t] - Math.max(0, r.bipolar.on[t] - 0.5 * a + 10)) < 1e-5, `ganglion at ${t}`);
  }
});

test('Poisson spikes: total count near sum(rate dt), one seed one spike train', () => {
  const circuit = defaultRetinaCircuit({ height: 8, width: 8 });
  const m = whiteNoiseMovie({ frames: 3000, height: 8, width: 8, seed: 1 });
  const a = simulateRetina(m, circuit, { seed: 7 }), b = simulateRetina(m, circuit, { seed: 7 }), c = simulateRetina(m, circuit, { seed: 8 });
  assert.deepEqual(a.spikes, b.spikes);
  assert.notDeepEqual(a.spikes, c.spikes);
  const mean = a.rates.reduce((s, v) => s + v * dt, 0), count = a.spikes!.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(count - mean) < 4 * Math.sqrt(mean), `count ${count} vs expected ${mean}`);
  assert.equal(simulateRetina(m, circuit).spikes, null, 'no seed: rates only');
});

test('fitLnModel: an LN cell is explained held out; the default circuit is not (rectified subunits, depression, amacrine)', () => {
  const train = whiteNoiseMovie({ frames: 6000, height: 1, width: 1, seed: 2 }), test = whiteNoiseMovie({ frames: 2000, height: 1, width: 1, seed: 3 });
  const ln = stripped({ theta: 0.3 });
  const fit = fitLnModel(train, simulateRetina(train, ln).rates, { lags: 25 });
  const r2 = varianceExplained(predictLn(fit, test), simulateRetina(test, ln).rates);
  assert.ok(r2 > 0.95, `LN cell: R^2 ${r2}`);

  const circuit = defaultRetinaCircuit({ height: 8, width: 8 }), G = circuit.ganglion.length;
  const big = whiteNoiseMovie({ frames: 6000, height: 8, width: 8, seed: 2 }), held = whiteNoiseMovie({ frames: 2000, height: 8, width: 8, seed: 3 });
  const rTrain = simulateRetina(big, circuit, { record: false }), rTest = simulateRetina(held, circuit, { record: false });
  for (let g = 0; g < G; g++) {
    const m = fitLnModel(big, cellColumn(rTrain.rates, G, g), { lags: 20 });
    const v = varianceExplained(predictLn(m, held), cellColumn(rTest.rates, G, g));
    assert.ok(v < (circuit.ganglion[g].name.startsWith('on-off') ? 0.2 : 0.75), `${circuit.ganglion[g].name}: LN explains ${v} of the held-out rate variance`);
  }
});

test('RetinaStream: uneven chunks put end to end equal simulateRetina on the whole movie, bit for bit; state bounded by the filter', () => {
  const circuit = defaultRetinaCircuit({ height: 10, width: 10 }), G = circuit.ganglion.length, HW = 100;
  const m = whiteNoiseMovie({ frames: 130, height: 10, width: 10, checker: 2, seed: 5 });
  const whole = simulateRetina(m, circuit, { seed: 11 });
  const stream = new RetinaStream(circuit, { seed: 11 });
  const cuts = [0, 1, 8, 21, 61, 62, 130]; // chunks of 1, 7, 13, 40, 1, 68 frames: shorter and longer than filterLength 20
  const rates: number[] = [], spikes: number[] = [], amacrine: number[] = [], onFast: number[] = [];
  for (let q = 0; q + 1 < cuts.length; q++) {
    const [a, b] = [cuts[q], cuts[q + 1]];
    const r = stream.push({ ...m, frames: b - a, data: m.data.slice(a * HW, b * HW) });
    assert.equal(r.frames, b - a);
    rates.push(...r.rates); spikes.push(...r.spikes!); amacrine.push(...r.amacrine!); onFast.push(...r.bipolar['on-fast']);
    assert.equal(stream.framesDone, b);
    assert.equal(stream.heldFrames, Math.min(circuit.filterLength - 1, b), 'held state: the last filterLength - 1 frames at most');
  }
  assert.deepEqual(Float64Array.from(rates), whole.rates);
  assert.deepEqual(Float32Array.from(spikes), whole.spikes);
  assert.deepEqual(Float32Array.from(amacrine), whole.amacrine);
  assert.deepEqual(Float32Array.from(onFast), whole.bipolar['on-fast']);
  assert.equal(rates.length, 130 * G);
  assert.throws(() => stream.push(whiteNoiseMovie({ frames: 5, height: 8, width: 8, seed: 1 })), /chunk/);
});

test('fitLnModels / LnFitter: uneven chunks give fitLnModel per cell bit for bit; lnRates chunk by chunk is predictLn; order and history checked', () => {
  const circuit = defaultRetinaCircuit({ height: 8, width: 8 }), G = circuit.ganglion.length, HW = 64;
  const train = whiteNoiseMovie({ frames: 160, height: 8, width: 8, checker: 2, seed: 3 }), held = whiteNoiseMovie({ frames: 90, height: 8, width: 8, checker: 2, seed: 4 });
  const rates = simulateRetina(train, circuit, { record: false }).rates;
  const cut = (m: Movie, cuts: number[]) => cuts.slice(0, -1).map((a, q) => ({ ...m, frames: cuts[q + 1] - a, data: m.data.slice(a * HW, cuts[q + 1] * HW) }));
  // chunks of 1, 6, 33, 2, 118 frames: shorter and longer than the 12 lags
  const models = fitLnModels(() => cut(train, [0, 1, 7, 40, 42, 160]), rates, G, { lags: 12, bins: 9 });
  assert.equal(models.length, G);
  models.forEach((m, g) => {
    const one = fitLnModel(train, cellColumn(rates, G, g), { lags: 12, bins: 9 });
    assert.deepEqual(m.filter, one.filter, `cell ${g}: filter`);
    assert.deepEqual(m.generator, one.generator, `cell ${g}: generator bins`);
    assert.deepEqual(m.rate, one.rate, `cell ${g}: rate bins`);
  });
  const streamed: number[][] = models.map(() => []);
  for (const c of chunksWithHistory(cut(held, [0, 5, 6, 50, 90]), 11)) lnRates(models, c).forEach((r, g) => streamed[g].push(...r));
  models.forEach((m, g) => assert.deepEqual(Float64Array.from(streamed[g]), predictLn(m, held), `cell ${g}: LN rates chunk by chunk`));
  // misuse: a chunk out of order, too little history, the second pass before the first is complete
  const fit = new LnFitter(G, 160, { lags: 12 });
  const chunks = [...chunksWithHistory(cut(train, [0, 20, 160]), 11)];
  assert.throws(() => fit.addStaChunk(chunks[1], rates.subarray(20 * G)), /c\.start/);
  fit.addStaChunk(chunks[0], rates.subarray(0, 20 * G));
  assert.throws(() => fit.addGeneratorChunk(chunks[0]), /second pass/);
  assert.throws(() => fit.addStaChunk({ ...chunks[1], held: 3, data: chunks[1].data.subarray(8 * HW) }, rates.subarray(20 * G)), /held/);
  assert.throws(() => lnRates(models, { ...chunks[1], held: 3, data: chunks[1].data.subarray(8 * HW) }), /held/);
  assert.throws(() => fitLnModels(() => cut(train, [0, 100]), rates, G, { lags: 12 }), /play/);
});

test('StreamingPearson: pearson to rounding pair by pair, also far from zero mean; NaN for a constant series', () => {
  const rng = new Rng(8), a = Float64Array.from({ length: 5000 }, () => rng.normal()), b = Float64Array.from(a, (v) => 1e4 + 0.3 * v + rng.normal());
  const acc = new StreamingPearson();
  for (let i = 0; i < a.length; i++) acc.add(a[i], b[i]);
  assert.equal(acc.n, 5000);
  assert.ok(Math.abs(acc.r - pearson(a, b)) < 1e-12, `${acc.r} vs ${pearson(a, b)}`);
  assert.ok(acc.r > 0.2 && acc.r < 0.4);
  const flat = new StreamingPearson();
  for (let i = 0; i < 10; i++) flat.add(2, i);
  assert.ok(Number.isNaN(flat.r));
  assert.ok(Number.isNaN(new StreamingPearson().r));
});
