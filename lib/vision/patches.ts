/**
 * Patches, standardisation, whitening and spectra of grayscale images.
 * Private to lib/vision; see index.ts.
 *
 * Whitening (Olshausen & Field 1996, Nature 381:607): in the Fourier domain,
 *   I_w(k) = I(k) |k| exp(-(|k| / k0)^4),   |k| in cycles per pixel,
 * which flattens the 1/|k|^2 power spectrum of natural images; the quartic
 * low-pass (k0 = cutoff x 0.5, the Nyquist frequency times `cutoff`) keeps the
 * corner frequencies, where noise and aliasing live, from being amplified
 * (cutoff Infinity: the pure ramp |k|). The image is mean-subtracted and
 * mirror-extended to power-of-two sides for the FFT (lib/meanfield's radix-2
 * fft), then cropped back.
 *
 * Radial power spectrum: |I(k)|^2 / (h w) of the centred power-of-two square
 * crop, averaged over rings of integer radius (in FFT bins), frequencies in
 * cycles per pixel.
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkPositive, Rng } from '../core';
import type { ArrayDataset } from '../data';
import { fft } from '../meanfield';
import { checkImage, type GrayImage } from './images';

export interface PatchOptions {
  /** Side of the square patches (default 32). */
  size?: number;
  /** Patches per image (default 100). */
  perImage?: number;
  /** Horizontal band of each image the patches lie in, as fractions of its width [from, to) (default [0, 1]): disjoint bands give a held-out split. */
  band?: [number, number];
  /** Seed of the patch positions (default 0). */
  seed?: number;
}

/**
 * Square patches drawn uniformly from each image's band; the label of a patch
 * is the index of its image ("which photograph", a task for the network).
 * x holds count * size * size values in [N, size, size, 1] order.
 */
export function samplePatches(images: readonly GrayImage[], options: PatchOptions = {}): ArrayDataset & { shape: number[] } {
  if (!Array.isArray(images) || images.length === 0) throw new ArgumentError('images', 'a non-empty array of GrayImage', images);
  const size = checkInteger('size', options.size ?? 32, 1);
  const perImage = checkInteger('perImage', options.perImage ?? 100, 1);
  const [from, to] = options.band ?? [0, 1];
  checkNumber('band[0]', from, 0, 1);
  checkNumber('band[1]', to, 0, 1);
  if (!(to > from)) throw new ArgumentError('band', '[from, to] with from < to', options.band);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0));
  images.forEach((img, k) => checkImage(`images[${k}]`, img));
  const count = images.length * perImage;
  const x = new Float32Array(count * size * size);
  const y = new Int32Array(count);
  images.forEach((img, k) => {
    const c0 = Math.ceil(from * img.width), c1 = Math.floor(to * img.width) - size; // left edges c0..c1
    if (c1 < c0 || img.height < size) {
      throw new ArgumentError(`images[${k}]`, `an image whose band [${from}, ${to}) holds a ${size}x${size} patch`, `${img.width}x${img.height} (${img.source})`);
    }
    for (let p = 0; p < perImage; p++) {
      const n = k * perImage + p;
      const r = rng.int(img.height - size + 1), c = c0 + rng.int(c1 - c0 + 1);
      for (let i = 0; i < size; i++) {
        const src = (r + i) * img.width + c;
        x.set(img.pixels.subarray(src, src + size), (n * size + i) * size);
      }
      y[n] = k;
    }
  });
  return { x, y, count, shape: [size, size, 1] };
}

/** Mean and standard deviation of all values (float64 sums). */
export function pixelStatistics(x: ArrayLike<number>): { mean: number; std: number } {
  if (!x || x.length === 0) throw new ArgumentError('x', 'a non-empty array', x);
  checkFinite('x', x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / x.length) };
}

/** (x - mean) / std in place, with the statistics given (e.g. the training set's) or computed from x; returns them. */
export function standardize(x: Float32Array, stats?: { mean: number; std: number }): { mean: number; std: number } {
  if (!(x instanceof Float32Array) || x.length === 0) throw new ArgumentError('x', 'a non-empty Float32Array', x);
  const s = stats ?? pixelStatistics(x);
  checkNumber('stats.mean', s.mean);
  checkPositive('stats.std', s.std);
  if (stats) checkFinite('x', x);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - s.mean) / s.std;
  return s;
}

export const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));

/** 2-D FFT in place of an h x w complex array (both powers of two), rows then columns; inverse by conjugation. */
export function fft2(re: Float64Array, im: Float64Array, h: number, w: number, inverse = false): void {
  const sign = inverse ? -1 : 1;
  const rr = new Float64Array(w), ri = new Float64Array(w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) { rr[c] = re[r * w + c]; ri[c] = sign * im[r * w + c]; }
    fft(rr, ri);
    for (let c = 0; c < w; c++) { re[r * w + c] = rr[c]; im[r * w + c] = sign * ri[c]; }
  }
  const cr = new Float64Array(h), ci = new Float64Array(h);
  for (let c = 0; c < w; c++) {
    for (let r = 0; r < h; r++) { cr[r] = re[r * w + c]; ci[r] = sign * im[r * w + c]; }
    fft(cr, ci);
    for (let r = 0; r < h; r++) { re[r * w + c] = cr[r]; im[r * w + c] = sign * ci[r]; }
  }
  if (inverse) {
    const n = h * w;
    for (let i = 0; i < n; i++) { re[i] /= n; im[i] /= n; }
  }
}

/** |k| in cycles per pixel of FFT bin (i, j) of an h x w transform. */
export const radius = (i: number, j: number, h: number, w: number) => Math.hypot((i <= h / 2 ? i : i - h) / h, (j <= w / 2 ? j : j - w) / w);

/** Mirror index into [0, n): ... 2 1 0 | 0 1 2 ... n-1 | n-1 n-2 ... */
function mirror(i: number, n: number): number {
  const period = 2 * n;
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - 1 - m;
  return m;
}

export interface WhitenOptions {
  /** Low-pass corner as a fraction of the Nyquist frequency (default 0.8; Infinity: no low-pass). */
  cutoff?: number;
}

/** The image whitened by the filter |k| exp(-(|k|/k0)^4) (header); zero mean, same size. */
export function whitenImage(image: GrayImage, options: WhitenOptions = {}): GrayImage {
  const cutoff = options.cutoff ?? 0.8;
  if (cutoff !== Infinity) checkPositive('cutoff', cutoff);
  checkImage('image', image);
  const { width: w0, height: h0 } = image;
  const h = nextPow2(h0), w = nextPow2(w0);
  let mean = 0;
  for (let i = 0; i < image.pixels.length; i++) mean += image.pixels[i];
  mean /= image.pixels.length;
  const re = new Float64Array(h * w), im = new Float64Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) re[r * w + c] = image.pixels[mirror(r, h0) * w0 + mirror(c, w0)] - mean;
  fft2(re, im, h, w);
  const k0 = 0.5 * cutoff;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const k = radius(i, j, h, w);
      const g = k * (cutoff === Infinity ? 1 : Math.exp(-((k / k0) ** 4)));
      re[i * w + j] *= g;
      im[i * w + j] *= g;
    }
  }
  fft2(re, im, h, w, true);
  const out = new Float32Array(h0 * w0);
  for (let r = 0; r < h0; r++) for (let c = 0; c < w0; c++) out[r * w0 + c] = re[r * w + c];
  return { width: w0, height: h0, pixels: out, source: `${image.source} (whitened)` };
}

/** Radially averaged power spectrum of the centred power-of-two square crop (header). */
export function radialPowerSpectrum(image: GrayImage): { frequency: Float64Array; power: Float64Array } {
  checkImage('image', image);
  const side = 2 ** Math.floor(Math.log2(Math.min(image.width, image.height)));
  if (side < 4) throw new ArgumentError('image', 'an image at least 4 pixels on its short side', `${image.width}x${image.height}`);
  const r0 = Math.floor((image.height - side) / 2), c0 = Math.floor((image.width - side) / 2);
  const re = new Float64Array(side * side), im = new Float64Array(side * side);
  let mean = 0;
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) mean += (re[r * side + c] = image.pixels[(r0 + r) * image.width + c0 + c]);
  mean /= side * side;
  for (let i = 0; i < re.length; i++) re[i] -= mean;
  fft2(re, im, side, side);
  const bins = side / 2;
  const sum = new Float64Array(bins), n = new Float64Array(bins);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const b = Math.round(radius(i, j, side, side) * side);
      if (b < 1 || b > bins) continue;
      sum[b - 1] += (re[i * side + j] ** 2 + im[i * side + j] ** 2) / (side * side);
      n[b - 1]++;
    }
  }
  const frequency = new Float64Array(bins), power = new Float64Array(bins);
  for (let b = 0; b < bins; b++) { frequency[b] = (b + 1) / side; power[b] = sum[b] / n[b]; }
  return { frequency, power };
}

/** Least-squares slope of log power against log frequency over [fMin, fMax] cycles/pixel (-2 for natural images, 0 when white). */
export function spectralSlope(spectrum: { frequency: ArrayLike<number>; power: ArrayLike<number> }, fMin = 0.02, fMax = 0.25): number {
  if (!spectrum || !spectrum.frequency || !spectrum.power || spectrum.frequency.length !== spectrum.power.length) {
    throw new ArgumentError('spectrum', '{frequency, power} of equal lengths', spectrum);
  }
  checkFinite('spectrum.frequency', spectrum.frequency);
  checkFinite('spectrum.power', spectrum.power);
  checkNumber('fMin', fMin, 0);
  checkNumber('fMax', fMax, fMin);
  let sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (let i = 0; i < spectrum.frequency.length; i++) {
    const f = spectrum.frequency[i];
    if (f < fMin || f > fMax || !(spectrum.power[i] > 0)) continue;
    const lx = Math.log(f), ly = Math.log(spectrum.power[i]);
    sx += lx; sy += ly; sxx += lx * lx; sxy += lx * ly; m++;
  }
  if (m < 2) throw new ArgumentError('spectrum', `at least two frequencies in [${fMin}, ${fMax}]`, m);
  return (m * sxy - sx * sy) / (m * sxx - sx * sx);
}
