/**
 * Planted receptive fields: the two shapes the retinal-bottleneck claims are
 * about. Private to lib/vision; see index.ts. Row-major size x size, centred
 * at ((size - 1) / 2, (size - 1) / 2), coordinates in pixels.
 *
 *   difference of Gaussians  exp(-r^2 / 2 sc^2) - k (sc/ss)^2 exp(-r^2 / 2 ss^2)
 *                            (k = 1: the surround cancels the centre's sum)
 *   Gabor                    exp(-(u^2 + (aspect v)^2) / 2 sigma^2) cos(2 pi u' / wavelength + phase)
 *                            with u along the carrier (angle theta), v across it,
 *                            the envelope elongated along the stripes for aspect < 1.
 */
import { checkInteger, checkNumber, checkPositive } from '../core';

/** A difference of Gaussians (centre-surround) field. */
export function differenceOfGaussians(size: number, centreSigma: number, surroundSigma: number, surroundWeight = 1): Float64Array {
  checkInteger('size', size, 1);
  checkPositive('centreSigma', centreSigma);
  checkPositive('surroundSigma', surroundSigma);
  checkNumber('surroundWeight', surroundWeight, 0);
  const m = (size - 1) / 2, out = new Float64Array(size * size);
  const ratio = (centreSigma / surroundSigma) ** 2;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const d2 = (r - m) ** 2 + (c - m) ** 2;
      out[r * size + c] = Math.exp(-d2 / (2 * centreSigma ** 2)) - surroundWeight * ratio * Math.exp(-d2 / (2 * surroundSigma ** 2));
    }
  }
  return out;
}

export interface GaborOptions {
  /** Envelope width along the carrier (pixels). */
  sigma: number;
  /** Carrier wavelength (pixels). */
  wavelength: number;
  /** Carrier direction (radians; 0 = varies along columns, i.e. vertical stripes). */
  theta?: number;
  phase?: number;
  /** Envelope width along the carrier over width along the stripes (default 1: round; < 1 elongates along the stripes). */
  aspect?: number;
}

/** A Gabor field (header). */
export function gabor(size: number, o: GaborOptions): Float64Array {
  checkInteger('size', size, 1);
  const sigma = checkPositive('sigma', o.sigma);
  const wavelength = checkPositive('wavelength', o.wavelength);
  const theta = checkNumber('theta', o.theta ?? 0), phase = checkNumber('phase', o.phase ?? 0);
  const aspect = checkPositive('aspect', o.aspect ?? 1);
  const m = (size - 1) / 2, out = new Float64Array(size * size);
  const ct = Math.cos(theta), st = Math.sin(theta);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const x = c - m, y = r - m;
      const u = x * ct + y * st, v = -x * st + y * ct;
      out[r * size + c] = Math.exp(-(u * u + (aspect * v) ** 2) / (2 * sigma * sigma)) * Math.cos((2 * Math.PI * u) / wavelength + phase);
    }
  }
  return out;
}
