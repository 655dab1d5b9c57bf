/**
 * Replica capacity of sign-constrained perceptrons (Rubin, Abbott & Sompolinsky, PNAS 2017,
 * arXiv 1705.01502, SI "Capacity and balanced capacity"; the equations as the authors' theory code
 * ranr01/Rubin2017Balanced, Theory/critical_solutions.py, solves them at kappa = 0).
 *
 * A perceptron y = sign(w . x - theta) with N afferents, a fraction fExc excitatory (w >= 0) and
 * the rest inhibitory (w <= 0), nonnegative inputs whose coefficients of variation give
 * phi = CV_exc / CV_inh, and P = alpha N random labels, a fraction pOut of them +1.
 *
 *   Dt = exp(-t^2/2) / sqrt(2 pi) dt,   H(x) = int_x^inf Dt,
 *   M(a) = int_a^inf (t - a) Dt = phi(a) - a H(a),   J(a) = int_a^inf (t - a)^2 Dt = (1 + a^2) H(a) - a phi(a)
 *
 * Unconstrained (Gardner 1988) capacity at margin k with the optimal threshold: Delta solves
 *   (1 - pOut) M(Delta - k) = pOut M(-(Delta + k))          (SI eq. S94; decreasing in Delta)
 *   alpha_u(k, pOut) = 1 / (pOut J(-Delta - k) + (1 - pOut) J(Delta - k))   (S90); alpha_u(0, 1/2) = 2 (Cover)
 *
 * Sign constraints (S84-S96 at kappa = 0, where the Z factors are 1): with the truncated moments
 *   g+(x) = J(x) / 2,   g-(x) = J(-x) / 2,
 *   C(B) = fExc g+(B) + (1 - fExc) g-(B phi),
 *   dC/dB = fExc g+'(B) + (1 - fExc) phi g-'(B phi)   (minus the numerator of theta-tilde, S93)
 * C is convex in the order parameter B (g+'' = H(x) > 0, g-'' = H(-x) > 0), so dC/dB has one root B*.
 *   balanced capacity  alpha_b = 2 alpha_u(0, pOut) C(B*)        = 2 alpha_u min_B C(B)
 *   capacity           alpha_c = 2 alpha_u(0, pOut) C(min(B*, 0)) = 2 alpha_u min_{B <= 0} C(B)
 * At capacity the solution is unbalanced (B = 0, theta-tilde > 0) exactly when dC/dB(0) < 0, i.e.
 * fExc > (1 - fExc) phi; then alpha_c = alpha_u / 2 (C(0) = 1/4), half the unconstrained value, and
 * alpha_b < alpha_c. Otherwise alpha_c = alpha_b. At pOut = 1/2, fExc = 1/2, phi = 1: alpha_c = 1.
 *
 * Numerics: every root by bisection on a bracket where the function changes sign, to
 * |bracket| <= 1e-13 (relative to max(1, |root|)); H by erf for |x| < 3 and the Mills-ratio continued
 * fraction beyond (1e-15 relative). The results match the authors' code to 1e-10 (test/meanfield).
 *
 * Exports: gaussianTail, gardnerCapacity, capacityOrderParameter, signConstrainedCapacity,
 * capacityAgainstExcitatoryFraction.
 */
import { ArgumentError, checkNumber } from '../core';
import { erf } from '../circuits';

const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const density = (x: number) => INV_SQRT_2PI * Math.exp(-0.5 * x * x);

/** H(x) = P(t > x) for a standard normal t, accurate in both tails (about 1e-15 relative). */
export function gaussianTail(x: number): number {
  checkNumber('x', x);
  return tail(x);
}

function tail(x: number): number {
  if (x < 0) return 1 - tail(-x);
  if (x < 3) return 0.5 * (1 - erf(x / SQRT2));
  if (x > 38) return 0;
  // Mills ratio R(x) = H(x) / phi(x) = 1 / (x + 1 / (x + 2 / (x + 3 / (x + ...)))), evaluated from the bottom
  let f = x;
  for (let n = 200; n >= 1; n--) f = x + n / f;
  return density(x) / f;
}

/** M(a) = int_a^inf (t - a) Dt. */
const firstMoment = (a: number) => density(a) - a * tail(a);
/** J(a) = int_a^inf (t - a)^2 Dt. */
const secondMoment = (a: number) => (1 + a * a) * tail(a) - a * density(a);

/** Root of an increasing (sign = 1) or decreasing (-1) function on [lo, hi] by bisection. */
function bisect(f: (x: number) => number, lo: number, hi: number, what: string): number {
  let flo = f(lo), fhi = f(hi);
  if (flo === 0) return lo;
  if (fhi === 0) return hi;
  if (Math.sign(flo) === Math.sign(fhi)) throw new Error(`${what}: no sign change on [${lo}, ${hi}] (${flo}, ${fhi})`);
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(lo)); i++) {
    const mid = 0.5 * (lo + hi), fm = f(mid);
    if (fm === 0) return mid;
    if (Math.sign(fm) === Math.sign(flo)) lo = mid, flo = fm;
    else hi = mid, fhi = fm;
  }
  return 0.5 * (lo + hi);
}

function checkFraction(name: string, v: number): number {
  checkNumber(name, v);
  if (!(v > 0 && v < 1)) throw new ArgumentError(name, 'a fraction in (0, 1)', v);
  return v;
}

/**
 * Gardner's capacity of an unconstrained perceptron with an optimal threshold at margin kappa
 * (in units of the weight norm times the inputs' standard deviation) and a fraction pOut of +1 labels;
 * also Delta, the optimal threshold's order parameter. gardnerCapacity(1/2) = 2 (Cover 1965).
 */
export function gardnerCapacity(pOut: number, kappa = 0): { alpha: number; delta: number } {
  const p = checkFraction('pOut', pOut);
  const k = checkNumber('kappa', kappa, 0, 30);
  const delta = bisect((d) => (1 - p) * firstMoment(d - k) - p * firstMoment(-(d + k)), -40, 40, 'gardnerCapacity delta');
  return { alpha: 1 / (p * secondMoment(-delta - k) + (1 - p) * secondMoment(delta - k)), delta };
}

/** Order parameters of the sign-constrained problem at kappa = 0 (see the header). */
export interface CapacityOrderParameter {
  /** The minimiser B* of C(B) (the balanced branch's order parameter). */
  bBalanced: number;
  /** C(B*) and C(min(B*, 0)). */
  cBalanced: number;
  cCapacity: number;
  /** Whether the solution at capacity is balanced (B* <= 0; else it is unbalanced, B = 0). */
  balancedAtCapacity: boolean;
}

/** C(B) and its minimiser for an excitatory fraction fExc and phi = CV_exc / CV_inh. */
export function capacityOrderParameter(fExc: number, phi: number): CapacityOrderParameter {
  const f = checkFraction('fExc', fExc);
  const ph = checkNumber('phi', phi, Number.MIN_VALUE, 1e6);
  const c = (b: number) => 0.5 * (f * secondMoment(b) + (1 - f) * secondMoment(-b * ph));
  // dC/dB: g+'(x) = -M(x), g-'(x) = M(-x)
  const dc = (b: number) => -f * firstMoment(b) + (1 - f) * ph * firstMoment(-b * ph);
  let lo = -1, hi = 1;
  while (dc(lo) > 0) lo *= 2;
  while (dc(hi) < 0) hi *= 2;
  const b = bisect(dc, lo, hi, 'capacityOrderParameter B');
  return { bBalanced: b, cBalanced: c(b), cCapacity: c(Math.min(b, 0)), balancedAtCapacity: b <= 0 };
}

/** The capacity alpha_c and balanced capacity alpha_b of the header, with their order parameters. */
export interface SignConstrainedCapacity extends CapacityOrderParameter {
  alphaC: number;
  alphaB: number;
  /** The unconstrained capacity alpha_u(0, pOut) (2 at pOut = 1/2). */
  alphaUnconstrained: number;
}

/**
 * Capacity alpha_c and balanced capacity alpha_b of a sign-constrained perceptron (header):
 * excitatory fraction fExc in (0, 1), fraction pOut of +1 outputs in (0, 1), phi = CV_exc / CV_inh
 * of the inputs (default 1: both kinds alike). fExc = 0 or 1 are limits the equations do not reach
 * (the authors set them by hand: alpha_c(1) = alpha_c just below 1, alpha_b(1) = 0).
 */
export function signConstrainedCapacity(fExc: number, pOut: number, phi = 1): SignConstrainedCapacity {
  const op = capacityOrderParameter(fExc, phi);
  const au = gardnerCapacity(pOut).alpha;
  return { ...op, alphaC: 2 * au * op.cCapacity, alphaB: 2 * au * op.cBalanced, alphaUnconstrained: au };
}

/** alpha_c and alpha_b on a grid of excitatory fractions (each in (0, 1)). */
export function capacityAgainstExcitatoryFraction(fExc: ArrayLike<number>, pOut: number, phi = 1): { fExc: number[]; alphaC: number[]; alphaB: number[] } {
  if (fExc === null || typeof fExc !== 'object' || fExc.length === 0) throw new ArgumentError('fExc', 'a non-empty list of fractions in (0, 1)', fExc);
  const au = gardnerCapacity(pOut).alpha;
  const out = { fExc: [] as number[], alphaC: [] as number[], alphaB: [] as number[] };
  for (let i = 0; i < fExc.length; i++) {
    const op = capacityOrderParameter(checkFraction(`fExc[${i}]`, fExc[i]), phi);
    out.fExc.push(fExc[i]);
    out.alphaC.push(2 * au * op.cCapacity);
    out.alphaB.push(2 * au * op.cBalanced);
  }
  return out;
}
