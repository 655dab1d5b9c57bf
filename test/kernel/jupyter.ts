/**
 * Cells run in a real Jupyter kernel -- the project's tslab as Jupyter starts it (its kernelspec, the
 * launcher scripts/tslab-kernel.cjs), or Python's ipykernel -- through jupyter_client
 * (fixtures/jupyter-cells.py). Shared by the kernel tests and `npm run bench -- notebook`.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

export const root = path.resolve(__dirname, '..', '..');
const DRIVER = path.join(root, 'test', 'kernel', 'fixtures', 'jupyter-cells.py');

export interface KernelCell {
  status: 'ok' | 'error' | 'aborted' | 'timeout';
  stdout: string;
  stderr: string;
  /** `ename: evalue` of the cell's error output, if any. */
  error: string;
  /** From the execute request to the kernel's idle after it. */
  seconds: number;
  /** CPU seconds of the kernel's process meanwhile (all threads), or null where /proc is missing. */
  cpu: number | null;
}
export interface KernelRun {
  /** Seconds from starting the kernel until it answered. */
  ready: number;
  cells: KernelCell[];
}

interface KernelModule {
  kernelRegistered(): boolean;
  jupyterEnv(): NodeJS.ProcessEnv;
  jupyterPython: string;
}
const kernelModule = (): Promise<KernelModule> => import(path.join(root, 'scripts', 'kernel.mjs'));

/** Why cells cannot run in the tslab kernel here (not registered: no setup, no Jupyter), or false. */
export async function noKernel(): Promise<string | false> {
  return (await kernelModule()).kernelRegistered() ? false : 'the tslab kernel is not registered (npm run setup)';
}

/** Runs `cells` one after another in a fresh kernel started in `cwd`; throws when the driver fails. */
export async function runCells(cells: string[], o: { kernel?: string; cwd: string; env?: Record<string, string>; timeoutS?: number }): Promise<KernelRun> {
  const k = await kernelModule();
  const spec = { kernel: o.kernel ?? 'tslab', cwd: o.cwd, cells, env: { LDL_PROGRESS: 'silent', ...o.env }, timeout: o.timeoutS ?? 300 };
  const r = spawnSync(k.jupyterPython, [DRIVER, JSON.stringify(spec)], { env: { ...k.jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1' }, encoding: 'utf8', timeout: 1000 * (60 + (o.timeoutS ?? 300) * Math.max(1, cells.length)) });
  const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`jupyter-cells.py gave no result (exit ${r.status}, ${r.error?.message ?? ''}):\n${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(line) as KernelRun & { failure?: string };
  if (out.failure) throw new Error(`jupyter-cells.py: ${out.failure}\n${r.stderr}`);
  return out;
}
