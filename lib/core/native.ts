/**
 * The native BLAS add-on (native/, built by `npm run setup` through
 * scripts/build-native.mjs). Loading it installs the native path into
 * `gemm` and makes the `blas` tfjs backend available. Without it (no compiler
 * or BLAS on the machine) everything still works through the JS and wasm paths;
 * `nativeLoadError()` says why.
 *
 * Threads: OpenBLAS reads OPENBLAS_NUM_THREADS when it starts (the worker pool
 * sets it to 1 in its child processes, so a job gives the same numbers in a
 * worker as in the main thread); a positive value is also applied explicitly
 * here, so a BLAS loaded earlier by someone else is pinned too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { setGemmImpl, type FloatArray } from './gemm';
import { checkInteger } from './validate';

/** The functions the compiled add-on exports (see native/src/ldl_native.cc). */
export interface NativeAddon {
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: FloatArray, lda: number,
    b: FloatArray, ldb: number, beta: number, c: FloatArray, ldc: number): void;
  sgemmBatched(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, aOffsets: Int32Array,
    b: Float32Array, bOffsets: Int32Array, c: Float32Array): void;
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, ...geometry: number[]): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, ...geometry: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, ...geometry: number[]): void;
  maxPool(x: Float32Array, y: Float32Array, argmax: Int32Array, ...geometry: number[]): void;
  scatterAdd(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array, leading: boolean): void;
  // LAPACK dsyevd: eigenvalues ascending into w, row j of a the eigenvector of w[j]; returns LAPACK's info.
  // Optional: absent where the BLAS library has no LAPACK (lib/core/linalg.ts then keeps its JavaScript solver).
  symEig?(n: number, a: Float64Array, w: Float64Array): number;
  // Element-wise RNN stages and the Adam step; signatures in rnn-elementwise.ts (rnnElementwiseJs).
  gruGates?: (...args: never[]) => void;
  // Fused dense-layer training kernels (src/fused_dense.cc, used by lib/rules/fused.ts); absent from an older build.
  // act: 0 linear, 1 relu, 2 tanh, 3 sigmoid. mode: 0 none, 1 kernel, 2 sign, 3 direct, 4 low rank, 5 direct low rank.
  denseForward?: (act: number, rows: number, nIn: number, nOut: number, x: Float32Array, w: Float32Array, b: Float32Array | null, a: Float32Array) => void;
  denseBackward?: (act: number, rows: number, nIn: number, nOut: number, x: Float32Array, h: Float32Array | null, delta: Float32Array,
    gW: Float32Array, gb: Float32Array | null, mode: number, dx: Float32Array | null, k1: Float32Array | null, k2: Float32Array | null,
    e: Float32Array | null, rank: number, classes: number, scratch: Float32Array | null, scale: number, clip: number) => void;
  lossAndError?: (rows: number, classes: number, z: Float32Array, labels: Int32Array, e: Float32Array, mse: boolean, out: Float64Array) => void;
  optimizerStep?: (type: number, len: number, p: Float32Array, g: Float32Array, m: Float32Array | null, v: Float32Array | null, lr: number,
    momentum: number, nesterov: boolean, beta1: number, beta2: number, epsilon: number, weightDecay: number, manhattan: boolean, t: number) => void;
  // rule: 0 fixed-p, 1 raf, 2 local, 3 normative (lib/rules/low-rank.ts); W: the layer's weight, normative only.
  ldfaGradients?: (rule: number, nIn: number, m: number, r: number, rows: number, G: Float32Array, P: Float32Array, Q: Float32Array,
    E: Float32Array | null, gQ: Float32Array, gP: Float32Array | null, scratch: Float32Array | null, clip: number, W: Float32Array | null) => void;
  // Fused curvature-vector products of dense networks (fused_landscape.cc; used by lib/landscape/fused-products.ts).
  // hvpDense returns -1, or the index of v's first non-finite or beyond-float32 entry (then nothing is computed).
  // Optional: an add-on built before them lacks them, and the product then takes the tensor path.
  hvpDense?(n: number, sizes: Int32Array, bias: Int32Array, weights: Float32Array[], inputs: Float32Array[], grads: Float32Array[],
    d1: (Float32Array | null)[], d2g: (Float32Array | null)[], p: Float32Array | null, scale: number, mode: 0 | 1,
    v: Float64Array, alpha: number, out: Float64Array, work: Float32Array, ptr?: Int32Array | null, col?: Int32Array | null,
    val?: Float32Array | null, keep?: Int32Array | null, xc?: Float32Array | null): number;
  hvpDenseWorkspace?(n: number, sizes: Int32Array, bias: Int32Array): number;
  setThreads(n: number): boolean;
  getThreads(): number | null;
  info(): { openblas: boolean; config: string | null; corename: string | null; canSetThreads: boolean };
}

/** Where the build puts the add-on (relative to this file: lib/core -> native/build/Release). */
// Resolved through symlinks: in a notebook this file is reached as notebooks/lib/core.
export const NATIVE_ADDON_PATH = path.resolve(realDir(__dirname), '..', '..', 'native', 'build', 'Release', 'ldl_native.node');

function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

let addon: NativeAddon | null = null;
let loadError: string | null = null;

function load(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addon = require(NATIVE_ADDON_PATH) as NativeAddon;
  } catch (e) {
    addon = null;
    const msg = (e as Error).message.split('\n')[0];
    loadError = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
      ? `native add-on not built (run npm run setup): ${NATIVE_ADDON_PATH} is missing`
      : `native add-on failed to load: ${msg}`;
    return;
  }
  const env = process.env.OPENBLAS_NUM_THREADS;
  if (env !== undefined && /^\d+$/.test(env.trim()) && Number(env) > 0) addon.setThreads(Number(env));
  setGemmImpl(addon.gemm);
}
load();

/** True when the add-on loaded (gemm and the `blas` backend then run on the system BLAS). */
export function nativeAvailable(): boolean {
  return addon !== null;
}

/** Why the add-on did not load, or null when it did. */
export function nativeLoadError(): string | null {
  return loadError;
}

/** The loaded add-on, or null. For lib/core's own kernels; other modules use `gemm`. */
export function nativeAddon(): NativeAddon | null {
  return addon;
}

/**
 * One line describing the BLAS, e.g. "OpenBLAS 0.3.21 (Haswell), 2 threads";
 * null when the add-on is not loaded.
 */
export function blasInfo(): string | null {
  if (!addon) return null;
  const info = addon.info();
  const threads = addon.getThreads();
  const t = threads === null ? 'threads unknown' : `${threads} thread${threads === 1 ? '' : 's'}`;
  if (!info.openblas) return `CBLAS (not OpenBLAS), ${t}`;
  const version = /OpenBLAS\s+([\d.]+)/.exec(info.config ?? '');
  const core = info.corename ? ` (${info.corename})` : '';
  return `OpenBLAS${version ? ' ' + version[1] : ''}${core}, ${t}`;
}

/** Sets the BLAS thread count; returns false when the BLAS cannot be told (not OpenBLAS) or is not loaded. */
export function setBlasThreads(n: number): boolean {
  checkInteger('n', n, 1);
  if (!addon) return false;
  return addon.setThreads(n);
}

/** The BLAS thread count, or null when unknown (add-on not loaded or not OpenBLAS). */
export function blasThreads(): number | null {
  return addon ? addon.getThreads() : null;
}
