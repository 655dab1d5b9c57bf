/**
 * Gaussian averages for mean-field theory.
 *
 *   one-point  E[f(x)],          x ~ N(0, q)
 *   two-point  E[f(x) h(y)],     (x, y) ~ N(0, [[q1, c], [c, q2]])
 *
 * by the trapezoid rule in standard normal z on [-zMax, zMax] with step dz
 * (default 9 and 0.04, as davidclark1/rnn-lyapunov; Gauss-Hermite is not
 * accurate enough at large q), the pair through x = sqrt(q1) z1,
 * y = rho sqrt(q2) z1 + sqrt(q2 (1 - rho^2)) z2, rho = c / sqrt(q1 q2).
 * The trapezoid rule is spectrally accurate for analytic integrands (tanh,
 * erf); for ReLU's kink it is first order, so use the closed forms:
 *
 *   ReLU  E[x+] = sqrt(q / 2 pi), E[x+^2] = q / 2,
 *         E[x+ y+] = sqrt(q1 q2) (sin t + (pi - t) cos t) / 2 pi,  t = arccos rho
 *         E[H(x) H(y)] = (pi - t) / 2 pi                          (phi' = the step H)
 *   erf   phi(x) = erf(sqrt(pi) x / 2) (phi'(0) = 1):
 *         E[phi(x) phi(y)] = (2 / pi) arcsin( (pi/2) c / sqrt((1 + pi q1 / 2)(1 + pi q2 / 2)) )
 *         E[phi'(x) phi'(y)] = 1 / sqrt((1 + pi q1 / 2)(1 + pi q2 / 2) - (pi c / 2)^2)
 *         E[phi'(x)] = 1 / sqrt(1 + pi q / 2),  E[phi(x)] = 0
 *
 * Exports: QuadratureOptions, gaussianAverage, gaussianPairAverage,
 * ClosedFormName, closedFormAverage, closedFormPairAverage, normalGrid.
 */
import { ArgumentError, checkNumber, checkOneOf, checkPositive } from '../core';

export interface QuadratureOptions {
  /** Step in standard-normal units (default 0.04). */
  dz?: number;
  /** Half-width of the grid in standard deviations (default 9). */
  zMax?: number;
}

/** Trapezoid nodes z and weights w (sum of w ~ 1) for a standard normal. */
export function normalGrid(options: QuadratureOptions = {}): { z: Float64Array; w: Float64Array } {
  const dz = checkPositive('dz', options.dz ?? 0.04);
  // Beyond 38 standard deviations exp(-z^2/2) underflows double: a larger zMax adds only nodes of weight 0.
  const zMax = checkNumber('zMax', options.zMax ?? 9, Number.MIN_VALUE, 38);
  if (dz > zMax) throw new ArgumentError('dz', `a step <= zMax (${zMax})`, dz);
  if (zMax / dz > 5e6) throw new ArgumentError('dz', `a step >= zMax / 5e6 (at most 10^7 nodes)`, dz);
  const n = 2 * Math.round(zMax / dz) + 1;
  const z = new Float64Array(n), w = new Float64Array(n);
  const half = (n - 1) / 2, norm = dz / Math.sqrt(2 * Math.PI);
  for (let i = 0; i < n; i++) {
    z[i] = (i - half) * dz;
    // the end weights are halved, but exp(-81/2) makes that immaterial
    w[i] = norm * Math.exp(-0.5 * z[i] * z[i]) * (i === 0 || i === n - 1 ? 0.5 : 1);
  }
  return { z, w };
}

/** E[f(x)], x ~ N(0, q). */
export function gaussianAverage(f: (x: number) => number, q: number, options: QuadratureOptions = {}): number {
  checkNumber('q', q, 0);
  const { z, w } = normalGrid(options);
  const s = Math.sqrt(q);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += w[i] * f(s * z[i]);
  return sum;
}

function checkCovariance(q1: number, q2: number, c: number): number {
  checkNumber('q1', q1, 0);
  checkNumber('q2', q2, 0);
  checkNumber('c', c);
  const bound = Math.sqrt(q1 * q2);
  if (Math.abs(c) > bound * (1 + 1e-12)) throw new ArgumentError('c', `a covariance with |c| <= sqrt(q1 q2) = ${bound}`, c);
  return bound === 0 ? 0 : Math.max(-1, Math.min(1, c / bound));
}

/** E[f(x) h(y)], (x, y) zero-mean Gaussian with variances q1, q2 and covariance c. */
export function gaussianPairAverage(
  f: (x: number) => number, h: (y: number) => number, q1: number, q2: number, c: number, options: QuadratureOptions = {},
): number {
  const rho = checkCovariance(q1, q2, c);
  const { z, w } = normalGrid(options);
  const s1 = Math.sqrt(q1), a = rho * Math.sqrt(q2), b = Math.sqrt(q2 * Math.max(0, 1 - rho * rho));
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    const fx = f(s1 * z[i]);
    if (fx === 0) continue;
    const m = a * z[i];
    let inner = 0;
    for (let j = 0; j < z.length; j++) inner += w[j] * h(m + b * z[j]);
    sum += w[i] * fx * inner;
  }
  return sum;
}

export type ClosedFormName = 'relu' | 'erf';

/** E[phi(x)], E[phi'(x)] or E[phi(x)^2] (which = 'phi', 'dphi', 'phi2') in closed form, x ~ N(0, q). */
export function closedFormAverage(name: ClosedFormName, which: 'phi' | 'dphi' | 'phi2', q: number): number {
  checkOneOf('name', name, ['relu', 'erf']);
  checkOneOf('which', which, ['phi', 'dphi', 'phi2']);
  checkNumber('q', q, 0);
  if (name === 'relu') return which === 'phi' ? Math.sqrt(q / (2 * Math.PI)) : which === 'dphi' ? 0.5 : q / 2;
  if (which === 'phi') return 0;
  if (which === 'dphi') return 1 / Math.sqrt(1 + (Math.PI * q) / 2);
  return (2 / Math.PI) * Math.asin(((Math.PI / 2) * q) / (1 + (Math.PI * q) / 2));
}

/** E[phi(x) phi(y)] (which = 'phi') or E[phi'(x) phi'(y)] (which = 'dphi') in closed form. */
export function closedFormPairAverage(name: ClosedFormName, which: 'phi' | 'dphi', q1: number, q2: number, c: number): number {
  checkOneOf('name', name, ['relu', 'erf']);
  checkOneOf('which', which, ['phi', 'dphi']);
  const rho = checkCovariance(q1, q2, c);
  if (name === 'relu') {
    const t = Math.acos(rho);
    return which === 'phi' ? (Math.sqrt(q1 * q2) * (Math.sin(t) + (Math.PI - t) * Math.cos(t))) / (2 * Math.PI) : (Math.PI - t) / (2 * Math.PI);
  }
  const a1 = 1 + (Math.PI * q1) / 2, a2 = 1 + (Math.PI * q2) / 2, pc = (Math.PI * c) / 2;
  return which === 'phi' ? (2 / Math.PI) * Math.asin(pc / Math.sqrt(a1 * a2)) : 1 / Math.sqrt(a1 * a2 - pc * pc);
}
