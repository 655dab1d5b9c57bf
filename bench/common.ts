/**
 * Pieces the benches share: their --quick / --reps and other --name value
 * options, per-step wall and CPU timing, and running a reference script
 * (PyTorch, NumPy) in a child process on one core.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
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

/** The value after `--name` in argv, else `fallback`. */
export function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

/** Per-step seconds of repeated timings: wall clock and process CPU (user + system). */
export interface StepSamples {
  wall: number[];
  cpu: number[];
}

/** Per-step wall and CPU seconds of one call of `run` (which takes `steps` steps), appended to `into`. */
export function timeInto(into: StepSamples, steps: number, run: () => void): void {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  run();
  into.wall.push((performance.now() - w0) / 1e3 / steps);
  const c = process.cpuUsage(c0);
  into.cpu.push((c.user + c.system) / 1e6 / steps);
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

/**
 * `rounds` rounds alternating between our side (`ours`, which times itself) and the reference script run by
 * runReference with `args`, printing progress to stderr: the results of the rounds whose reference came back, the
 * last failure's reason, and the 1-minute load average before the first round and after each.
 */
export function alternatingRounds(rounds: number, ours: () => void, script: string, args: string[]): { results: Record<string, unknown>[]; error: string | null; loads: number[] } {
  const results: Record<string, unknown>[] = [];
  const loads = [os.loadavg()[0]];
  let error: string | null = null;
  for (let round = 0; round < rounds; round++) {
    ours();
    process.stderr.write(`  round ${round + 1}: ours done, reference ... `);
    const ref = runReference(script, args);
    loads.push(os.loadavg()[0]);
    if (ref.result) results.push(ref.result);
    else error = ref.error;
    process.stderr.write(ref.result ? 'done\n' : `failed: ${ref.error}\n`);
  }
  return { results, error, loads };
}
