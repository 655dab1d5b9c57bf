/**
 * The public-API fuzz harness (issue 32). Each exported function has one entry
 * in a module's table (table-<module>.ts): how to build valid arguments and
 * which of them to corrupt, each corruptible argument with the name the user
 * knows it by and its kind. For every (function, argument, kind of bad value)
 * fast-check draws a few concrete bad inputs from a fixed seed:
 *
 *   numbers   NaN, +-Infinity or +-1e39 (beyond float32) at a drawn index;
 *             with `sized`, also one element too few or too many, and empty
 *   count     a negative, fractional, NaN or infinite count
 *   number    NaN, +-Infinity, +-1e39
 *   enum      an unknown string, or a number where a name belongs
 *   tensor    a non-finite / beyond-float32 entry; with `sized`, an extra
 *             leading axis (wrong rank) and one row too few
 *   matrix    (number[][] or a DenseMatrix-like) a non-finite entry; with
 *             `sized`, a ragged row and an empty matrix
 *   path      a file that does not exist
 *
 * A case passes when the call throws an ArgumentError whose `argument` names
 * the corrupted argument (its full path `options.steps`, its leaf `steps`, or
 * either followed by `.`, `[`, ` `), or returns a result holding no NaN or
 * infinite number anywhere (scanned through arrays, typed arrays, tensors and
 * plain fields), or a result the entry documents (`documented`). A shape
 * corruption (`sized`) and a bad count or enum must throw: a finite result
 * there is a wrong shape or a silently rounded count. Anything else fails:
 * another error type, a non-finite number in the result, a hang (the parent
 * kills the case's process at a deadline), or a crash of the process.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../../lib/core';

export const FUZZ_SEED = 32;
/** Draws per (function, argument, kind); FUZZ_RUNS raises it for a longer search. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 2);

export type Kind = 'numbers' | 'count' | 'number' | 'enum' | 'tensor' | 'matrix' | 'path';

export interface Target {
  /** Where the argument sits in the argument list: [index, field, field...]. */
  path: (string | number)[];
  kind: Kind;
  /** Wrong lengths / ranks must throw (the length is tied to another argument). */
  sized?: boolean;
  /** An empty array must throw (a sample, a list that needs one element). */
  nonEmpty?: boolean;
  /**
   * Kinds of corruption to leave out: 'fraction' (a count that may be real), 'infinity' (a limit where Infinity means none;
   * -Infinity is drawn instead), 'long' (a buffer may be longer), 'rank' (a tensor read flat), 'rows' (any row count fits), 'value'.
   */
  skip?: string[];
  /**
   * The user's name for the positional argument (`options`, `x`); an
   * ArgumentError may name it, or its fields below it (`options.steps`).
   * Further names: other arguments an error may name instead, e.g. the
   * argument a wrong length is measured against.
   */
  names?: string[];
}

export interface Corruption {
  target: Target;
  what: string;
  /** Must the call throw (a finite result is not enough)? */
  mustThrow: boolean;
  apply(args: unknown[]): void;
}

export interface FuzzEntry {
  name: string;
  /** Fresh valid arguments for one call. */
  valid(): unknown[] | Promise<unknown[]>;
  /** Calls the function (default: the export called with the arguments). */
  call?(fn: (...a: unknown[]) => unknown, args: unknown[]): unknown;
  targets: Target[];
  /** A result the function documents for a bad input (e.g. NaN for an empty sample). */
  documented?(result: unknown, c: Corruption): boolean;
  /** Errors other than ArgumentError the function documents (e.g. DataNotFoundError for a missing file). */
  documentedErrors?: string[];
  /** Why the valid call is left out (it would start a browser: seconds); the bad inputs must fail before that. */
  skipValid?: string;
  /** Non-finite numbers a valid result may hold by design (e.g. null-like NaN gaps), with why. */
  nonFiniteOk?: string;
  /** With nonFiniteOk: only result paths matching this may hold them (e.g. /records\[0\]\.trainLoss/). */
  nonFinitePaths?: RegExp;
}

export interface Table {
  module: string;
  entries: FuzzEntry[];
  /** Exported names not fuzzed, each with the reason. */
  exempt: Record<string, string>;
  /** Runs once in the child before the cases (backend, fixtures). */
  setup?(): Promise<void> | void;
}

const NONFINITE = [NaN, Infinity, -Infinity, 1e39, -1e39];

function getAt(args: unknown[], path: (string | number)[]): unknown {
  let v: unknown = args;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}
function setAt(args: unknown[], path: (string | number)[], value: unknown): void {
  let v: unknown = args;
  for (const p of path.slice(0, -1)) v = (v as Record<string | number, unknown>)[p];
  (v as Record<string | number, unknown>)[path[path.length - 1]] = value;
}

/** Copies an array-like into a mutable plain/typed array of the same kind. */
function copyArray(a: unknown): number[] | Float64Array | Float32Array {
  if (a instanceof Float32Array) return new Float32Array(a);
  if (ArrayBuffer.isView(a)) return new Float64Array(a as unknown as ArrayLike<number>);
  return [...(a as number[])];
}

/** A typed-array value that can hold the bad value (an Int32Array cannot hold NaN). */
function withValue(a: unknown, i: number, value: number): unknown {
  const isTyped = ArrayBuffer.isView(a);
  const c = isTyped && !(a instanceof Float32Array) && !(a instanceof Float64Array) ? Array.from(a as unknown as ArrayLike<number>) : copyArray(a);
  (c as number[])[i] = value;
  return c;
}

function resized(a: unknown, delta: number | 'empty'): unknown {
  const src = Array.from(a as ArrayLike<number>);
  const out = delta === 'empty' ? [] : delta < 0 ? src.slice(0, Math.max(0, src.length + delta)) : [...src, ...new Array(delta).fill(src[0] ?? 0.5)];
  if (a instanceof Float32Array) return new Float32Array(out);
  if (ArrayBuffer.isView(a)) return new Float64Array(out);
  return out;
}

function isDenseLike(v: unknown): v is { data: ArrayLike<number>; rows: number; cols: number } {
  return typeof v === 'object' && v !== null && 'data' in v && 'rows' in v && 'cols' in v;
}

/** The arbitrary of corruptions of one target. */
export function corruptions(t: Target): fc.Arbitrary<Corruption>[] {
  const skip = new Set(t.skip ?? []);
  const out: fc.Arbitrary<Corruption>[] = [];
  const c = (what: string, mustThrow: boolean, apply: (args: unknown[]) => void): Corruption => ({ target: t, what, mustThrow, apply });
  const at = (args: unknown[]) => getAt(args, t.path);
  const label = t.path.join('.');
  switch (t.kind) {
    case 'numbers':
      if (!skip.has('value')) {
        out.push(fc.record({ i: fc.nat(), v: fc.constantFrom(...NONFINITE) }).map(({ i, v }) => c(`${label}[i] = ${v}`, false, (args) => {
          const a = at(args) as ArrayLike<number>;
          setAt(args, t.path, withValue(a, i % Math.max(1, a.length), v));
        })));
      }
      if (t.sized || t.nonEmpty) {
        out.push(fc.constantFrom<number | 'empty'>(...(t.sized ? [-1, ...(skip.has('long') ? [] : [1]), 'empty' as const] : ['empty' as const])).map((d) => c(`${label} ${d === 'empty' ? 'empty' : d < 0 ? 'one element short' : 'one element long'}`, true, (args) => {
          setAt(args, t.path, resized(at(args), d));
        })));
      }
      break;
    case 'count':
      out.push(fc.oneof(
        fc.integer({ min: -5, max: -1 }),
        ...(skip.has('fraction') ? [] : [fc.double({ min: 0.1, max: 9.9, noNaN: true }).filter((x) => !Number.isInteger(x))]),
        fc.constantFrom(NaN, ...(skip.has('infinity') ? [-Infinity] : [Infinity])),
      ).map((v) => c(`${label} = ${v}`, true, (args) => setAt(args, t.path, v))));
      break;
    case 'number':
      out.push(fc.constantFrom(...NONFINITE).map((v) => c(`${label} = ${v}`, false, (args) => setAt(args, t.path, v))));
      break;
    case 'enum':
      out.push(fc.oneof(
        fc.string({ minLength: 1, maxLength: 8 }).map((s) => `no-such-${s}`),
        fc.constant(42 as unknown as string),
      ).map((v) => c(`${label} = ${JSON.stringify(v)}`, true, (args) => setAt(args, t.path, v))));
      break;
    case 'path':
      out.push(fc.string({ minLength: 1, maxLength: 8 }).map((s) => c(`${label} = a missing file`, true, (args) => {
        setAt(args, t.path, `/nonexistent-ldl-fuzz/${encodeURIComponent(s)}.bin`);
      })));
      break;
    case 'tensor':
      if (!skip.has('value')) {
        out.push(fc.record({ i: fc.nat(), v: fc.constantFrom(...NONFINITE) }).map(({ i, v }) => c(`${label} entry = ${v}`, false, (args) => {
          const x = at(args) as tf.Tensor;
          const data = Float32Array.from(x.dataSync());
          // 1e39 cannot enter a float32 tensor: it arrives as Infinity, which is what a user's overflow gives.
          data[i % Math.max(1, data.length)] = v;
          setAt(args, t.path, tf.tensor(data, x.shape, x.dtype === 'int32' ? 'float32' : x.dtype));
        })));
      }
      if (t.sized) {
        out.push(fc.constantFrom(...['rank', 'rows'].filter((h) => !skip.has(h))).map((how) => c(`${label} ${how === 'rank' ? 'with an extra leading axis' : 'one row short'}`, true, (args) => {
          const x = at(args) as tf.Tensor;
          setAt(args, t.path, how === 'rank' ? x.expandDims(0) : x.slice(0, Math.max(0, x.shape[0]! - 1)));
        })));
      }
      break;
    case 'matrix':
      if (!skip.has('value')) {
        out.push(fc.record({ i: fc.nat(), v: fc.constantFrom(...NONFINITE) }).map(({ i, v }) => c(`${label} entry = ${v}`, false, (args) => {
          const m = at(args);
          if (isDenseLike(m)) {
            setAt(args, t.path, { ...m, data: withValue(m.data, i % Math.max(1, m.data.length), v) });
          } else {
            const rows = (m as number[][]).map((r) => [...r]);
            const r = i % rows.length;
            rows[r][i % rows[r].length] = v;
            setAt(args, t.path, rows);
          }
        })));
      }
      if (t.sized) {
        out.push(fc.constantFrom('ragged', 'empty').map((how) => c(`${label} ${how}`, true, (args) => {
          const m = at(args);
          if (isDenseLike(m)) {
            setAt(args, t.path, how === 'empty' ? { rows: 0, cols: 0, data: new Float64Array(0) } : { ...m, data: resized(m.data, -1) });
          } else {
            const rows = (m as number[][]).map((r) => [...r]);
            if (how === 'empty') setAt(args, t.path, []);
            else { rows[rows.length - 1].pop(); setAt(args, t.path, rows); }
          }
        })));
      }
      break;
  }
  return out;
}

/** The concrete bad inputs of one entry, drawn from the fixed seed. */
export function casesOf(entry: FuzzEntry, seed = FUZZ_SEED): Corruption[] {
  const out: Corruption[] = [];
  entry.targets.forEach((t, ti) => {
    corruptions(t).forEach((arb, ki) => {
      out.push(...fc.sample(arb, { seed: seed + 1000 * ti + 17 * ki, numRuns: RUNS }));
    });
  });
  return out;
}

/** The names an ArgumentError may use for a target. */
export function acceptedNames(t: Target): string[] {
  const strs = t.path.filter((p): p is string => typeof p === 'string');
  const names = new Set<string>(t.names ?? []);
  if (strs.length > 0) {
    names.add(strs.join('.'));
    names.add(strs[strs.length - 1]);
    for (const root of t.names ?? []) names.add(`${root}.${strs.join('.')}`);
  }
  return [...names];
}

function namesTarget(argument: string, t: Target): boolean {
  return acceptedNames(t).some((n) => argument === n || argument.startsWith(`${n}.`) || argument.startsWith(`${n}[`) || argument.startsWith(`${n} `));
}

/** Where a result holds a NaN or infinite number (a path), or null. */
export function nonFinitePath(value: unknown, path = 'result', seen = new Set<unknown>(), depth = 0, bad = (x: number) => !Number.isFinite(x), allowed?: RegExp): string | null {
  if (typeof value === 'number') return bad(value) && !allowed?.test(path) ? `${path} = ${value}` : null;
  if (value === null || typeof value !== 'object' || depth > 6 || seen.has(value)) return null;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    if (value.isDisposed || value.dtype === 'string' || value.dtype === 'bool') return null;
    const d = value.dataSync();
    for (let i = 0; i < d.length; i++) if (bad(d[i]) && !allowed?.test(`${path}[${i}]`)) return `${path}[${i}] = ${d[i]}`;
    return null;
  }
  if (ArrayBuffer.isView(value)) {
    const d = value as unknown as ArrayLike<number>;
    if (typeof d.length !== 'number') return null;
    for (let i = 0; i < d.length; i++) if (typeof d[i] === 'number' && bad(d[i]) && !allowed?.test(`${path}[${i}]`)) return `${path}[${i}] = ${d[i]}`;
    return null;
  }
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) {
    let i = 0;
    for (const v of value instanceof Map ? value.values() : value) {
      const p = nonFinitePath(v, `${path}[${i++}]`, seen, depth + 1, bad, allowed);
      if (p) return p;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'function') continue;
    const p = nonFinitePath(v, `${path}.${k}`, seen, depth + 1, bad, allowed);
    if (p) return p;
  }
  return null;
}

/** Where a result holds a NaN (infinities allowed), or null. */
export const nanPath = (value: unknown): string | null => nonFinitePath(value, 'result', new Set(), 0, Number.isNaN);

/** A documented result for a function that passes an infinite input value through (an order statistic): no NaN. */
export const infinityPassesThrough = (r: unknown, c: Corruption): boolean => /Infinity$/.test(c.what) && nanPath(r) === null;

export type Outcome = { ok: true; how: string } | { ok: false; why: string };

/** Judges one call's outcome against the rules above. */
export function judge(entry: FuzzEntry, c: Corruption | null, result: { value?: unknown; error?: unknown }): Outcome {
  if ('error' in result && result.error !== undefined) {
    const e = result.error as Error;
    if (c && e instanceof ArgumentError) {
      return namesTarget(e.argument, c.target)
        ? { ok: true, how: 'ArgumentError' }
        : { ok: false, why: `ArgumentError names "${e.argument}", not the corrupted argument (${acceptedNames(c.target).join(' / ')}): ${e.message}` };
    }
    if (c && entry.documentedErrors?.includes(e?.name)) return { ok: true, how: e.name };
    return { ok: false, why: `threw ${e?.name ?? typeof e}: ${String(e?.message ?? e).split('\n')[0].slice(0, 300)}` };
  }
  if (c && entry.documented?.(result.value, c)) return { ok: true, how: 'documented result' };
  if (c?.mustThrow) return { ok: false, why: 'returned a result instead of throwing an ArgumentError' };
  if (!entry.nonFiniteOk || entry.nonFinitePaths) {
    const p = nonFinitePath(result.value, 'result', new Set(), 0, (x) => !Number.isFinite(x), entry.nonFinitePaths);
    if (p) return { ok: false, why: `silent non-finite result: ${p}` };
  }
  return { ok: true, how: 'finite result' };
}
