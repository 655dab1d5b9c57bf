/**
 * lib/vision receptive fields and measures, against planted answers: a rectified unit relu(w.x - theta) silent at
 * the blank image whose gradient average and spike-triggered average recover a planted difference of Gaussians and
 * Gabor; the exact kernel of a one-layer linear conv net at its centre unit; the orientedness index on isotropic and
 * elongated fields, and the authors' bar measure (barOrientedness) against the same planted fields and a brute-force
 * bar bank; Fourier whitening of synthetic 1/f images to a flat spectrum; ridge R^2 against its closed form
 * for Gaussian data; separability of separable and of random labels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cosine, initBackend, Rng } from '../../lib/core';
import { fft } from '../../lib/meanfield';
import { Network } from '../../lib/rules';
import {
  barOrientedness, differenceOfGaussians, gabor, gradientReceptiveField, linearSeparability, networkUnit, orientedness, radialPowerSpectrum, ridgeLinearity,
  networkUnits, spectralSlope, spikeTriggeredAverage, spikeTriggeredAverages, whitenImage,
} from '../../lib/vision';

const S = 16;

/** relu(w.x - theta) per image, theta = 0.5 ||w||: silent at the blank image, active on a third of Gaussian images. */
function plantedUnit(w: Float64Array) {
  const norm = Math.hypot(...w);
  const wt = tf.tensor2d(Float32Array.from(w), [w.length, 1]);
  return (x: tf.Tensor) => tf.tidy(() => tf.relu(tf.matMul(x.reshape([-1, w.length]) as tf.Tensor2D, wt).reshape([-1]).sub(0.5 * norm)));
}

test('gradient average and spike-triggered average recover a planted difference of Gaussians and a Gabor; the blank image alone gives nothing', async () => {
  await initBackend({ print: false });
  const planted = { dog: differenceOfGaussians(S, 1.5, 3), gabor: gabor(S, { sigma: 2.5, wavelength: 5, theta: 0.6 }) };
  for (const [name, w] of Object.entries(planted)) {
    const unit = plantedUnit(w);
    const blank = gradientReceptiveField(unit, [S, S, 1], { count: 0 });
    assert.equal(blank.silent, 1, `${name}: the blank image is silent`);
    assert.ok(blank.field.every((v) => v === 0), `${name}: zero gradient at the blank image`);
    const g = gradientReceptiveField(unit, [S, S, 1], { count: 600, seed: 1 });
    assert.ok(g.silent >= 1 && g.silent < g.count, `${name}: silent ${g.silent} of ${g.count}`);
    const sta = spikeTriggeredAverage(unit, [S, S, 1], { count: 8000, seed: 2 });
    assert.ok(cosine(g.field, w) > 0.97, `${name}: gradient cosine ${cosine(g.field, w)}`);
    assert.ok(cosine(sta.field, w) > 0.9, `${name}: STA cosine ${cosine(sta.field, w)}`);
  }
});

test('networkUnit: the gradient of a linear one-conv network\'s centre unit is its kernel, placed around the centre', async () => {
  await initBackend({ print: false });
  const net = new Network({ inputShape: [S, S, 1], layers: [{ kind: 'conv2d', filters: 2, kernelSize: 5, padding: 'same' }, { kind: 'flatten' }, { kind: 'dense', units: 2 }], seed: 4 });
  const K = net.paramLayers[0].weight.arraySync() as number[][][][]; // [5, 5, 1, 2]
  for (const channel of [0, 1]) {
    const rf = gradientReceptiveField(networkUnit(net, 0, channel), [S, S, 1], { count: 3 });
    const c = S / 2;
    for (let r = 0; r < S; r++) {
      for (let q = 0; q < S; q++) {
        const i = r - c + 2, j = q - c + 2;
        const want = i >= 0 && i < 5 && j >= 0 && j < 5 ? K[i][j][0][channel] : 0;
        assert.ok(Math.abs(rf.field[r * S + q] - want) < 1e-6, `channel ${channel} (${r}, ${q}): ${rf.field[r * S + q]} vs ${want}`);
      }
    }
  }
  assert.throws(() => networkUnit(net, 1, 0), /layer/);
  // both channels' STAs from shared stimuli equal each channel's own (same seed: same stimuli)
  const relu = (f: (x: tf.Tensor) => tf.Tensor) => (x: tf.Tensor) => tf.tidy(() => tf.relu(f(x)));
  const both = spikeTriggeredAverages(relu(networkUnits(net, 0)), [S, S, 1], { count: 300, seed: 9, batch: 128 });
  assert.equal(both.length, 2);
  for (const channel of [0, 1]) {
    const one = spikeTriggeredAverage(relu(networkUnit(net, 0, channel)), [S, S, 1], { count: 300, seed: 9, batch: 128 });
    for (let k = 0; k < S * S; k++) assert.ok(Math.abs(one.field[k] - both[channel].field[k]) < 1e-9);
    assert.equal(one.silent, both[channel].silent);
  }
  assert.throws(() => spikeTriggeredAverage(networkUnits(net, 0), [S, S, 1], { count: 4 }), /unit/);
});

test('orientedness: near 0 for isotropic fields, near 1 for elongated ones and Gabors, whatever their angle', () => {
  assert.ok(orientedness(differenceOfGaussians(S, 1.5, 3), S, S) < 0.05);
  assert.ok(orientedness(differenceOfGaussians(S, 2, 2.0001, 0), S, S) < 0.05); // a round Gaussian
  const rng = new Rng(5);
  assert.ok(orientedness(Float64Array.from({ length: S * S }, () => rng.normal()), S, S) < 0.25); // white noise
  const values = [0, 0.4, 1.1, 2].map((theta) => orientedness(gabor(S, { sigma: 2.5, wavelength: 5, theta }), S, S));
  for (const v of values) assert.ok(v > 0.8 && Math.abs(v - values[0]) < 0.05, `Gabor ${values}`);
  // elongated Gaussian blobs with no carrier, widths 1.2 r and 1.2: the structure tensor's closed form
  // (r^2 - 1) / (r^2 + 1) (0, 0.6, 0.923, 0.980) in a 64 window that holds them (2.7 widths along a 10:1 bar)
  for (const ratio of [1, 2, 5, 10]) {
    const o = orientedness(gabor(64, { sigma: 1.2, wavelength: 1e9, theta: 0.3, aspect: 1 / ratio }), 64, 64);
    assert.ok(Math.abs(o - (ratio ** 2 - 1) / (ratio ** 2 + 1)) < 0.005, `bar ${ratio}:1: O = ${o}`);
  }
  // in the 32 window the 10:1 bar is cut at 1.3 widths along its length: 0.88, still the most oriented
  const cut = [5, 10].map((ratio) => orientedness(gabor(32, { sigma: 1.2, wavelength: 1e9, theta: 0.3, aspect: 1 / ratio }), 32, 32));
  assert.ok(cut[0] > 0.9 && cut[1] > 0.85, `bars cut by a 32 window: ${cut}`);
});

/** Brute force: max over half-pixel offsets p of |sum_x (f - mean f) overlap([n_x - 1/2, n_x + 1/2], [p, p + w])| / (H W). */
function bruteBarProfile(f: Float64Array, n: number, w: number, orientations: number): number[] {
  const mean = f.reduce((a, b) => a + b, 0) / f.length, c = (n - 1) / 2;
  return Array.from({ length: orientations }, (_, j) => {
    const th = (Math.PI * j) / orientations;
    let best = 0;
    for (let p = -2 * n; p <= 2 * n; p += 0.5) {
      let s = 0;
      for (let r = 0; r < n; r++) {
        for (let q = 0; q < n; q++) {
          const nx = (q - c) * Math.cos(th) + (r - c) * Math.sin(th);
          s += (f[r * n + q] - mean) * Math.max(0, Math.min(nx + 0.5, p + w) - Math.max(nx - 0.5, p));
        }
      }
      best = Math.max(best, Math.abs(s));
    }
    return best / (n * n);
  });
}

test('barOrientedness (the authors\' bar bank): 0 for centre-surround fields, > 0.9 for Gabors at any angle, which it finds; rises with elongation', () => {
  const N = 32;
  // isotropic: centred (exactly 0 by the grid's 90-degree symmetry), off-centre crops, a round Gaussian, a noisy DoG
  const big = differenceOfGaussians(48, 1.5, 3);
  const crop = (r0: number, c0: number) => Float64Array.from({ length: N * N }, (_, i) => big[(r0 + Math.floor(i / N)) * 48 + c0 + (i % N)]);
  const rng = new Rng(3);
  const iso = [differenceOfGaussians(N, 1.5, 3), differenceOfGaussians(N, 3, 6), crop(5, 11), crop(12, 3), crop(10, 7), differenceOfGaussians(N, 2, 2.0001, 0),
    differenceOfGaussians(N, 1.5, 3).map((v) => v + 0.02 * rng.normal())];
  for (const f of iso) {
    const b = barOrientedness(f, N, N);
    assert.ok(b.index < 0.05 && b.index >= 0, `isotropic: ${b.index}`);
    assert.ok(b.spread < 0.05, `isotropic spread ${b.spread}`);
  }
  // oriented: Gabors (cosine and sine phase), preferred angle = the carrier direction (bank step pi/24)
  for (const theta of [0, 0.4, Math.PI / 4, 1.1, 2, 2.4]) {
    for (const phase of [0, Math.PI / 2]) {
      const b = barOrientedness(gabor(N, { sigma: 2.5, wavelength: 5, theta, phase }), N, N);
      assert.ok(b.index > 0.9, `Gabor theta ${theta} phase ${phase}: ${b.index}`);
      assert.ok(Math.abs(b.ratio - 1 / (1 - b.index)) < 1e-9 * b.ratio);
      const miss = Math.abs(b.angle - theta) % Math.PI;
      assert.ok(Math.min(miss, Math.PI - miss) < 0.14, `Gabor theta ${theta}: angle ${b.angle}`);
    }
  }
  // elongated Gaussian blobs: the index rises with the aspect ratio, a 10:1 bar above 0.9; sign and scale do not matter
  const bars = [1, 2, 3, 5, 10].map((r) => barOrientedness(gabor(N, { sigma: 1.5, wavelength: 1e9, theta: 0.3, aspect: 1 / r }), N, N).index);
  assert.ok(bars[0] < 0.05 && bars[4] > 0.9, `bars ${bars}`);
  for (let i = 1; i < bars.length; i++) assert.ok(bars[i] > bars[i - 1] + 0.1, `bars ${bars}`);
  const g = gabor(N, { sigma: 3, wavelength: 8, theta: 0.7 });
  assert.ok(Math.abs(barOrientedness(g.map((v) => -3 * v), N, N).index - barOrientedness(g, N, N).index) < 1e-12);
  // a constant field: 0
  assert.equal(barOrientedness(new Float64Array(N * N).fill(2), N, N).index, 0);
  // the profile against a brute-force bar bank (interval overlaps, every half-pixel offset), no smoothing, 9x9 and 12x12
  for (const [n, f] of [[9, gabor(9, { sigma: 2, wavelength: 4, theta: 0.5 })], [12, differenceOfGaussians(12, 1, 2).map((v, i) => v + 0.1 * Math.cos(i))]] as const) {
    const b = barOrientedness(f, n, n, { orientations: 8, smoothing: 1 });
    const brute = bruteBarProfile(f, n, b.width, 8), top = Math.max(...brute);
    brute.forEach((v, j) => assert.ok(Math.abs(v / top - b.profile[j]) < 1e-9, `${n}x${n} orientation ${j}: ${b.profile[j]} vs ${v / top}`));
    const j = brute.indexOf(top);
    assert.ok(Math.abs(b.index - (1 - brute[(j + 4) % 8] / top)) < 1e-9);
  }
  assert.throws(() => barOrientedness(g, N, N, { orientations: 7 }), /orientations/);
  assert.throws(() => barOrientedness(g, N, N, { widths: [2.3] }), /widths\[0\]/);
  assert.throws(() => barOrientedness(g, N, N, { smoothing: 2 }), /smoothing/);
});

/** A 1/f-amplitude random image (power 1/f^2), periodic, n x n. */
function pinkImage(n: number, seed: number) {
  const r = new Rng(seed);
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) re[i] = r.normal();
  const fft2 = (sign: number) => {
    const a = new Float64Array(n), b = new Float64Array(n);
    for (let pass = 0; pass < 2; pass++) {
      for (let u = 0; u < n; u++) {
        for (let v = 0; v < n; v++) { const k = pass ? v * n + u : u * n + v; a[v] = re[k]; b[v] = sign * im[k]; }
        fft(a, b);
        for (let v = 0; v < n; v++) { const k = pass ? v * n + u : u * n + v; re[k] = a[v]; im[k] = sign * b[v]; }
      }
    }
  };
  fft2(1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const f = Math.hypot((i <= n / 2 ? i : i - n) / n, (j <= n / 2 ? j : j - n) / n);
      const g = f === 0 ? 0 : 1 / f;
      re[i * n + j] *= g; im[i * n + j] *= g;
    }
  }
  fft2(-1);
  return { width: n, height: n, pixels: Float32Array.from(re, (v) => v / (n * n)), source: 'pink' };
}

test('whitening: synthetic 1/f images (power slope -2) come out flat (slope ~0), with and without the low-pass', () => {
  const img = pinkImage(128, 6);
  const before = spectralSlope(radialPowerSpectrum(img), 0.02, 0.3);
  assert.ok(Math.abs(before + 2) < 0.2, `before ${before}`);
  const flat = spectralSlope(radialPowerSpectrum(whitenImage(img, { cutoff: Infinity })), 0.02, 0.45);
  assert.ok(Math.abs(flat) < 0.15, `ramp only: ${flat}`);
  const low = spectralSlope(radialPowerSpectrum(whitenImage(img)), 0.02, 0.2);
  assert.ok(Math.abs(low) < 0.2, `with the low-pass, below its corner: ${low}`);
  // a sinusoid of 8 cycles per 128 pixels peaks in bin 8
  const sine = { width: 128, height: 128, pixels: Float32Array.from({ length: 128 * 128 }, (_, i) => Math.sin((2 * Math.PI * 8 * (i % 128)) / 128)), source: 'sine' };
  const sp = radialPowerSpectrum(sine);
  assert.equal(sp.power.indexOf(Math.max(...sp.power)), 7);
});

test('ridgeLinearity: held-out R^2 near var(signal) / var(y) for a linear unit, near 0 for a quadratic one', () => {
  const r = new Rng(7), n = 3000, d = 20;
  const X = Float64Array.from({ length: n * d }, () => r.normal());
  const w = Float64Array.from({ length: d }, () => r.normal() / Math.sqrt(d));
  const lin = new Float64Array(n), quad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += w[k] * X[i * d + k];
    lin[i] = s + 0.5 * r.normal(); // var(signal) ~ |w|^2 ~ 1, noise 0.25
    quad[i] = s * s;
  }
  const norm2 = w.reduce((a, b) => a + b * b, 0);
  const fit = ridgeLinearity(X, lin, d, { seed: 1 });
  assert.ok(Math.abs(fit.r2Test - norm2 / (norm2 + 0.25)) < 0.04, `${fit.r2Test} vs ${norm2 / (norm2 + 0.25)}`);
  assert.ok(Math.abs(ridgeLinearity(X, quad, d, { seed: 1 }).r2Test) < 0.05);
});

test('linearSeparability: ~1 for linearly separable classes, ~chance for random labels', () => {
  const r = new Rng(8), n = 600, d = 10;
  const X = new Float64Array(n * d), y = new Int32Array(n), random = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    random[i] = r.int(3);
    for (let k = 0; k < d; k++) X[i * d + k] = r.normal() + (k === y[i] ? 4 : 0);
  }
  const sep = linearSeparability(X, y, d, { seed: 2 });
  assert.ok(sep.testAccuracy > 0.97, `${sep.testAccuracy}`);
  assert.equal(sep.classes, 3);
  const chance = linearSeparability(X, random, d, { seed: 2 });
  assert.ok(chance.testAccuracy < 0.5, `${chance.testAccuracy}`);
});
