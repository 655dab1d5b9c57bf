/**
 * Single-neuron nonlinearities of rate circuits, each with the derivatives
 * and primitive that simulations, tangent maps and mean-field theory need:
 *
 *   name   phi(x)                 phi'(x)              phi''(x)                    Phi(x) = int_0^x phi
 *   tanh   tanh x                 1 - tanh^2 x         -2 tanh x (1 - tanh^2 x)    log cosh x
 *   erf    erf(sqrt(pi) x / 2)    exp(-pi x^2 / 4)     -(pi x / 2) exp(-pi x^2/4)  x phi(x) + (2/pi)(exp(-pi x^2/4) - 1)
 *   relu   max(x, 0)              H(x)                 0 (a.e.)                    max(x, 0)^2 / 2
 *
 * erf is scaled so that phi'(0) = 1, like tanh (Clark & Abbott's choice; its
 * Gaussian averages have closed forms, lib/meanfield). `erf` below is
 * accurate to ~1e-15: a Taylor series for |x| < 2.5, the continued fraction of
 * erfc beyond.
 *
 * Exports: NONLINEARITY_NAMES, NonlinearityName, Nonlinearity, nonlinearity, erf.
 */
import { checkOneOf } from '../core';

export const NONLINEARITY_NAMES = ['tanh', 'erf', 'relu'] as const;
export type NonlinearityName = typeof NONLINEARITY_NAMES[number];

export interface Nonlinearity {
  readonly name: NonlinearityName;
  /** True when phi(-x) = -phi(x) (then a zero-mean Gaussian input gives zero-mean output). */
  readonly odd: boolean;
  phi(x: number): number;
  dphi(x: number): number;
  ddphi(x: number): number;
  /** The primitive Phi with Phi(0) = 0. */
  primitive(x: number): number;
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** The error function, to ~1e-15 relative. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    // erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x, sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (a > 6) return Math.sign(x);
  // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated bottom-up
  let f = a;
  for (let n = 120; n >= 1; n--) f = a + n / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const HALF_SQRT_PI = Math.sqrt(Math.PI) / 2;

const TABLE: Record<NonlinearityName, Nonlinearity> = {
  tanh: {
    name: 'tanh', odd: true,
    phi: Math.tanh,
    dphi: (x) => { const t = Math.tanh(x); return 1 - t * t; },
    ddphi: (x) => { const t = Math.tanh(x); return -2 * t * (1 - t * t); },
    // log cosh x = |x| + log(1 + exp(-2|x|)) - log 2, stable for large |x|
    primitive: (x) => { const a = Math.abs(x); return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2; },
  },
  erf: {
    name: 'erf', odd: true,
    phi: (x) => erf(HALF_SQRT_PI * x),
    dphi: (x) => Math.exp(-Math.PI * x * x / 4),
    ddphi: (x) => -(Math.PI * x / 2) * Math.exp(-Math.PI * x * x / 4),
    primitive: (x) => x * erf(HALF_SQRT_PI * x) + (2 / Math.PI) * (Math.exp(-Math.PI * x * x / 4) - 1),
  },
  relu: {
    name: 'relu', odd: false,
    phi: (x) => (x > 0 ? x : 0),
    dphi: (x) => (x > 0 ? 1 : 0),
    ddphi: () => 0,
    primitive: (x) => (x > 0 ? 0.5 * x * x : 0),
  },
};

/** The nonlinearity called `name` (an unknown name throws, listing the known ones). */
export function nonlinearity(name: NonlinearityName): Nonlinearity {
  return TABLE[checkOneOf('nonlinearity', name, NONLINEARITY_NAMES)];
}
