/**
 * Backend selection. Order (design.md): the native `tensorflow` backend when a
 * real @tensorflow/tfjs-node is installed, else the project's own `blas`
 * backend (tfjs cpu kernels with GEMM and convolutions on the system BLAS
 * through the add-on in native/), else `wasm`, else `cpu`. The choice is
 * printed once as one line and recorded in every results.json.
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'path';
import { checkOneOf } from './validate';
import { registerBlasBackend } from './blas-backend';

export type BackendName = 'tensorflow' | 'blas' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'blas', 'wasm', 'cpu'];

export interface BackendReport {
  /** The tfjs backend in use. */
  backend: BackendName;
  /** One line for humans, e.g. "backend: blas (OpenBLAS 0.3.21, 2 threads) -- tfjs 4.22.0". */
  line: string;
  /** Why each faster backend was skipped. */
  skipped: { backend: BackendName; reason: string }[];
  tfjsVersion: string;
  /** Details of the native path when it is in use (library, threads). */
  detail?: string;
}

export interface BackendOptions {
  /** Force a backend ('auto' picks the fastest available). Env: LDL_BACKEND. */
  prefer?: 'auto' | BackendName;
  /** Print the one-line report (default true, once per process). */
  print?: boolean;
}

let current: BackendReport | null = null;

async function tryTensorflow(): Promise<string | null> {
  // danfojs' install override puts plain tfjs at node_modules/@tensorflow/tfjs-node,
  // so a successful require proves nothing: only a registered `tensorflow`
  // backend means the real native binding loaded.
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require('@tensorflow/tfjs-node');
  } catch (e) {
    return `@tensorflow/tfjs-node not installed (${(e as Error).message.split('\n')[0]})`;
  }
  if (tf.findBackend('tensorflow') == null) return '@tensorflow/tfjs-node resolves to plain tfjs (no native binary)';
  await tf.setBackend('tensorflow');
  await tf.ready();
  return null;
}

async function tryBlas(): Promise<{ reason: string | null; detail?: string }> {
  const r = registerBlasBackend();
  if (!r.ok) return { reason: r.reason ?? 'native add-on unavailable' };
  const ok = await tf.setBackend('blas');
  if (!ok) return { reason: 'blas backend failed to initialise' };
  await tf.ready();
  return { reason: null, detail: r.detail };
}

async function tryWasm(): Promise<string | null> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    const ok = await tf.setBackend('wasm');
    if (!ok) return 'wasm backend failed to initialise';
    await tf.ready();
    return null;
  } catch (e) {
    return `wasm backend unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

/**
 * Selects and initialises the tfjs backend; idempotent (the first call decides,
 * later calls return the same report unless `prefer` names another backend).
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendReport> {
  const envPrefer = process.env.LDL_BACKEND;
  const prefer = checkOneOf('prefer', options.prefer ?? envPrefer ?? 'auto', ['auto', ...BACKEND_ORDER]);
  if (current && (prefer === 'auto' || prefer === current.backend)) return current;

  const skipped: { backend: BackendName; reason: string }[] = [];
  const candidates = prefer === 'auto' ? BACKEND_ORDER : [prefer];
  let chosen: BackendName | null = null;
  let detail: string | undefined;
  for (const name of candidates) {
    let reason: string | null;
    if (name === 'tensorflow') reason = await tryTensorflow();
    else if (name === 'blas') {
      const r = await tryBlas();
      reason = r.reason;
      detail = r.detail;
    } else if (name === 'wasm') reason = await tryWasm();
    else {
      await tf.setBackend('cpu');
      await tf.ready();
      reason = null;
    }
    if (reason === null) {
      chosen = name;
      break;
    }
    skipped.push({ backend: name, reason });
  }
  if (chosen === null) {
    throw new Error(`initBackend: backend ${JSON.stringify(prefer)} is not available: ${skipped.map((s) => s.reason).join('; ')}`);
  }
  const notice = skipped
    .filter((s) => s.backend !== 'tensorflow' || prefer !== 'auto')
    .map((s) => `${s.backend} skipped: ${s.reason}`)
    .join('; ');
  const line =
    `backend: ${chosen}${detail ? ` (${detail})` : ''} -- tfjs ${tf.version.tfjs}` + (notice ? ` [${notice}]` : '');
  current = { backend: chosen, line, skipped, tfjsVersion: tf.version.tfjs, detail };
  if (options.print ?? true) console.log(line);
  return current;
}

/** The report of the backend chosen by `initBackend`, or null before it ran. */
export function backendReport(): BackendReport | null {
  return current;
}
