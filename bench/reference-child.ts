/**
 * Runs a reference script of bench/ (PyTorch, NumPy) in a child process on
 * one core (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS = 1), returning the JSON
 * object its last stdout line holds, or why it failed (its last stderr lines).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const PYTHON = process.env.LDL_PYTHON ?? '/usr/bin/python3';

export function runReference(script: string, args: string[]): { result: Record<string, unknown> | null; error: string | null } {
  const py = spawnSync(PYTHON, [path.join(__dirname, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
  });
  if (py.status !== 0) return { result: null, error: (py.stderr || py.error?.message || 'failed').trim().split('\n').slice(-3).join(' | ') };
  return { result: JSON.parse(py.stdout.trim().split('\n').pop() as string), error: null };
}
