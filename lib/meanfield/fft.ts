/**
 * In-place radix-2 complex FFT (private to lib/meanfield): X_k = sum_n x_n e^{-2 pi i k n / L}.
 * Used for the spectra of stationary lag functions (even sequences, so the
 * transforms are real up to rounding).
 */
import { ArgumentError } from '../core';

export function fft(re: Float64Array, im: Float64Array): void {
  const L = re.length;
  if (L !== im.length || L < 1 || (L & (L - 1)) !== 0) throw new ArgumentError('re', 'a power-of-two length equal to im\'s', L);
  for (let i = 1, j = 0; i < L; i++) {
    let bit = L >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (let len = 2; len <= L; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < L; i += len) {
      let cr = 1, ci = 0;
      for (let j = 0; j < len / 2; j++) {
        const ar = re[i + j + len / 2], ai = im[i + j + len / 2];
        const tr = ar * cr - ai * ci, ti = ar * ci + ai * cr;
        re[i + j + len / 2] = re[i + j] - tr; im[i + j + len / 2] = im[i + j] - ti;
        re[i + j] += tr; im[i + j] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/**
 * The real spectrum of an even lag sequence s_0..s_M (s_{-n} = s_n, zero
 * beyond M), zero-padded to length L (a power of two >= 2M): F_k = sum_n s_n e^{-2 pi i k n / L}.
 */
export function evenSpectrum(s: Float64Array, L: number): Float64Array {
  const M = s.length - 1;
  if (L < 2 * M) throw new ArgumentError('L', `a length >= 2M = ${2 * M}`, L);
  const re = new Float64Array(L), im = new Float64Array(L);
  re[0] = s[0];
  for (let n = 1; n <= M; n++) { re[n] = s[n]; re[L - n] = s[n]; }
  fft(re, im);
  return re;
}
