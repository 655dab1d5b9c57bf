/**
 * Statistics over seeds and their formatting, written once for every study.
 *
 * design.md: a result that depends on a seed is reported over several seeds
 * as a median and a range (or a pass rate), never one chosen seed. These are
 * the helpers every notebook and lib/studies file uses for that:
 *
 *   median(v)          the middle value (mean of the two middle ones for even n)
 *   quantile(v, q)     linear interpolation between order statistics (NumPy's default)
 *   valueRange(v)      [min, max]
 *   summarize(v)       { n, median, min, max, mean }
 *   formatMedianRange  "median (min-max)", one value alone, a placeholder for none
 *   passRate(flags)    "k/n"
 *   blockStandardError the standard error of a time average from its B block (batch) estimates e_b:
 *                      sqrt(sum_b (e_b - mean e)^2 / (B (B - 1))), NaN for B < 2 (Lyapunov exponents, chaos-suppression)
 *
 * Empty input: `median`, `quantile`, `valueRange` throw (a median of nothing
 * would be a silent NaN); `formatMedianRange` prints its placeholder, because
 * "every seed diverged" is a result a table must be able to show. NaN throws;
 * +-Infinity is a value like any other (a diverged loss), so an order
 * statistic or mean that reaches it is infinite, never NaN: `summarize`
 * throws for a sample holding both -Infinity and Infinity (no mean).
 * `blockStandardError` computes with IEEE semantics instead: a NaN estimate (a block with no samples) gives NaN.
 */
import { ArgumentError, checkInteger, checkNumber, describe } from './validate';

/** Numbers as a plain array or a typed array. */
export type Values = ArrayLike<number>;

function sortedCopy(name: string, values: Values): number[] {
  if (values === null || typeof values !== 'object' || typeof (values as Values).length !== 'number') {
    throw new ArgumentError(name, 'an array of numbers', values);
  }
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number' || Number.isNaN(x)) throw new ArgumentError(name, 'numbers (no NaN)', `${describe(x)} at index ${i}`);
    out[i] = x;
  }
  return out.sort((a, b) => a - b);
}

function nonEmpty(name: string, values: Values): number[] {
  const s = sortedCopy(name, values);
  if (s.length === 0) throw new ArgumentError(name, 'at least one value', 'an empty array');
  return s;
}

/** The median; for an even count the mean of the two middle values. */
export function median(values: Values): number {
  const s = nonEmpty('values', values);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile (0 <= q <= 1), interpolating linearly between order statistics (NumPy's default 'linear'). */
export function quantile(values: Values, q: number): number {
  checkNumber('q', q, 0, 1);
  const s = nonEmpty('values', values);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  // Between an infinite order statistic and its neighbour the interpolation is that infinity, not inf - inf = NaN.
  if (pos === lo || s[lo] === s[hi]) return s[lo];
  if (!Number.isFinite(s[lo]) || !Number.isFinite(s[hi])) return s[lo] === -Infinity ? s[lo] : s[hi];
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/** [min, max]. */
export function valueRange(values: Values): [number, number] {
  const s = nonEmpty('values', values);
  return [s[0], s[s.length - 1]];
}

/** What a table reports of a quantity measured over seeds. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
}

/** Count, median, range and mean of the values. */
export function summarize(values: Values): Summary {
  const s = nonEmpty('values', values);
  if (s[0] === -Infinity && s[s.length - 1] === Infinity) throw new ArgumentError('values', 'not both -Infinity and Infinity (their mean is undefined)', 'both');
  let sum = 0;
  for (const x of s) sum += x;
  const m = s.length >> 1;
  return { n: s.length, median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1], mean: sum / s.length };
}

export interface FormatOptions {
  /** Digits after the decimal point (default 2). */
  digits?: number;
  /** What to print for no values (default 'n/a'). */
  empty?: string;
}

/**
 * "median (min-max)" with `digits` decimals; a single value alone; `empty`
 * (default 'n/a') for none. `digits` may also be passed as a number.
 */
export function formatMedianRange(values: Values, options: FormatOptions | number = {}): string {
  const o = typeof options === 'number' ? { digits: options } : options;
  const digits = o.digits === undefined ? 2 : checkInteger('digits', o.digits, 0, 20);
  const s = sortedCopy('values', values);
  if (s.length === 0) return o.empty ?? 'n/a';
  if (s.length === 1) return s[0].toFixed(digits);
  const m = s.length >> 1;
  const med = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  return `${med.toFixed(digits)} (${s[0].toFixed(digits)}-${s[s.length - 1].toFixed(digits)})`;
}

/** "k/n": how many of the flags are true, of how many. */
export function passRate(flags: ArrayLike<boolean>): string {
  if (flags === null || typeof flags !== 'object' || typeof flags.length !== 'number') throw new ArgumentError('flags', 'an array of booleans', flags);
  let k = 0;
  for (let i = 0; i < flags.length; i++) {
    if (typeof flags[i] !== 'boolean') throw new ArgumentError('flags', 'booleans only', `${describe(flags[i])} at index ${i}`);
    if (flags[i]) k++;
  }
  return `${k}/${flags.length}`;
}

/**
 * Standard error of a mean over a run from its B block estimates (batch means: the run cut into B parts,
 * each part's estimate, their sample s.d. / sqrt(B)); NaN for fewer than two blocks. Accumulates in float64.
 */
export function blockStandardError(estimates: Values): number {
  if (estimates === null || typeof estimates !== 'object' || typeof estimates.length !== 'number') throw new ArgumentError('estimates', 'an array of numbers', estimates);
  const B = estimates.length;
  if (B < 2) return NaN;
  let m = 0;
  for (let b = 0; b < B; b++) m += estimates[b];
  m /= B;
  let v = 0;
  for (let b = 0; b < B; b++) v += (estimates[b] - m) ** 2;
  return Math.sqrt(v / (B - 1) / B);
}
