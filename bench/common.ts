/**
 * Pieces the benches share: their --quick / --reps options, and running a
 * reference script (PyTorch, NumPy) in a child process on one core.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const PYTHON = process.env.LDL_PYTHON ?? '/usr/bin/python3';

/** --quick (or LDL_BENCH_QUICK=1) and --reps N (default 2 quick, 5 otherwise). */
export function quickAndReps(argv: string[]): { quick: boolean; reps: number } {
  const quick = argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1';
  const repsArg = argv.indexOf('--reps');
  const reps = repsArg >= 0 ? Number(argv[repsArg + 1]) : quick ? 2 : 5;
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${argv[repsArg + 1]}`);
  return { quick, reps };
}

/**
 * Runs bench/<script> on one core (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS = 1), returning the JSON
 * object its last stdout line holds, or why it failed (its last stderr lines).
 */
export function runReference(script: string, args: string[]): { result: Record<string, unknown> | null; error: string | null } {
  const py = spawnSync(PYTHON, [path.join(__dirname, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
  });
  if (py.status !== 0) return { result: null, error: (py.stderr || py.error?.message || 'failed').trim().split('\n').slice(-3).join(' | ') };
  return { result: JSON.parse(py.stdout.trim().split('\n').pop() as string), error: null };
}
