/**
 * Argument validation. Every public function of the library checks its
 * input with these so that a bad call fails at once with a message naming
 * the argument, what was expected and what was given -- never a silent NaN
 * or a wrong shape three calls later.
 */

/** Error thrown for a bad argument; `argument` names the offending one. */
export class ArgumentError extends Error {
  constructor(readonly argument: string, expected: string, given: unknown) {
    // A string `given` is the caller's own description of what was given.
    super(`${argument}: expected ${expected}, got ${typeof given === 'string' ? given : describe(given)}`);
    this.name = 'ArgumentError';
  }
}

/** Short, human-readable description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const ctor = (value as object).constructor.name;
    const len = (value as unknown as { length?: number }).length;
    return `a ${ctor} of length ${len ?? (value as ArrayBufferView).byteLength}`;
  }
  const shape = (value as { shape?: unknown }).shape;
  if (Array.isArray(shape)) return `a tensor of shape [${shape.join(', ')}]`;
  if (typeof value === 'function') return 'a function';
  return `a ${(value as object).constructor?.name ?? 'object'}`;
}

export function checkInteger(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = rangeText(min, max);
    throw new ArgumentError(name, `an integer${range}`, value);
  }
  return value;
}

export function checkNumber(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ArgumentError(name, `a finite number${rangeText(min, max)}`, value);
  }
  return value;
}

export function checkPositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(name, 'a finite number > 0', value);
  }
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ArgumentError(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, describe(value));
  }
  return value as T;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new ArgumentError(name, 'a non-empty string', describe(value));
  return value;
}

/** The largest finite float32 (2^128 - 2^104): a bound for values bound for float32 arrays, tensors and weights. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Checks that every entry of an array-like is finite (no NaN, no Infinity);
 * with 'float32', also within float32's range, for values bound for a
 * float32 tensor or array, where 1e39 would become Infinity.
 */
export function checkFinite(name: string, values: ArrayLike<number>, range: 'float64' | 'float32' = 'float64'): void {
  if (range === 'float32') {
    for (let i = 0; i < values.length; i++) {
      if (!(Math.abs(values[i]) <= FLOAT32_MAX)) {
        throw new ArgumentError(name, 'finite values within float32 range (|x| <= 3.4028e+38)', `${values[i]} at flat index ${i}`);
      }
    }
    return;
  }
  if (range !== 'float64') throw new ArgumentError('range', '"float64" or "float32"', describe(range));
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ArgumentError(name, 'finite values only', `${values[i]} at flat index ${i}`);
    }
  }
}

/** Checks a shape against an expected one; `-1` in `expected` matches any size. */
export function checkShape(name: string, shape: readonly number[], expected: readonly number[]): void {
  const ok = shape.length === expected.length && expected.every((e, i) => e === -1 || e === shape[i]);
  if (!ok) {
    const fmt = (s: readonly number[]) => `[${s.map((d) => (d === -1 ? '*' : d)).join(', ')}]`;
    throw new ArgumentError(name, `shape ${fmt(expected)}`, `shape ${fmt(shape)}`);
  }
}

function rangeText(min: number, max: number): string {
  if (min === -Infinity && max === Infinity) return '';
  if (max === Infinity) return ` >= ${min}`;
  if (min === -Infinity) return ` <= ${max}`;
  return ` in [${min}, ${max}]`;
}
