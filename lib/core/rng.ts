/**
 * Seeded pseudo-random numbers. Every random draw in the library goes through
 * an `Rng` so that one seed gives the same numbers twice, in the main thread
 * and in a pool worker alike.
 *
 * Generator: sfc32 (Small Fast Counting, 128-bit state), seeded through
 * splitmix32 so that nearby integer seeds give unrelated streams. Normal
 * variates by the Box-Muller transform in float64.
 */
import { ArgumentError, checkInteger, checkNumber } from './validate';

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  /** @param seed an integer in [0, 2^32); the stream is fully determined by it. */
  constructor(seed: number) {
    checkInteger('seed', seed, 0, 0xffffffff);
    this.seed = seed;
    const sm = splitmix32(seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal (or N(mean, std^2)) by Box-Muller. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number {
    checkInteger('n', n, 1, 0x100000000);
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Shuffles `array` in place (Fisher-Yates) and returns it. */
  shuffle<T, A extends { length: number; [i: number]: T }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    checkInteger('n', n, 0);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle<number, Int32Array>(p);
  }

  /** `k` distinct indices from 0..n-1, in random order. */
  sample(n: number, k: number): Int32Array {
    checkInteger('n', n, 0);
    checkInteger('k', k, 0, n);
    return this.permutation(n).slice(0, k);
  }

  /** Float32Array (default) or Float64Array of N(mean, std^2) draws. */
  normalArray(length: number, mean = 0, std = 1, type: 'float32' | 'float64' = 'float32'): Float32Array | Float64Array {
    checkInteger('length', length, 0);
    checkNumber('std', std, 0);
    const out = type === 'float64' ? new Float64Array(length) : new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Float32Array (default) or Float64Array of U[low, high) draws. */
  uniformArray(length: number, low = 0, high = 1, type: 'float32' | 'float64' = 'float32'): Float32Array | Float64Array {
    checkInteger('length', length, 0);
    if (!(high > low)) throw new ArgumentError('high', `a number > low (${low})`, high);
    const out = type === 'float64' ? new Float64Array(length) : new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.uniformIn(low, high);
    return out;
  }

  /**
   * An independent child generator for stream `index` (e.g. one per layer or
   * per job), determined by this generator's seed and `index` only -- not by
   * how many numbers were drawn before.
   */
  child(index: number): Rng {
    checkInteger('index', index, 0);
    const sm = splitmix32((this.seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    return new Rng(sm());
  }

  /** A 32-bit integer seed for APIs that take one (e.g. tf.randomNormal). */
  nextSeed(): number {
    return this.nextUint32();
  }
}

/** Convenience: a new generator for `seed`. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
