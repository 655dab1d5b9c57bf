/**
 * The one worker pool of the project (design.md): independent jobs -- seeds,
 * sweep points, members of a population of networks -- run on all cores.
 *
 * A job names a function in a module: `{ module, export, args }`. A worker
 * process loads the module (TypeScript works: the worker registers tsx) and
 * calls `fn(args, ctx)`; the value it returns comes back to the caller.
 *
 * Why child processes, not worker_threads: OpenBLAS's thread count is
 * process-global, so only a separate process can pin its BLAS to one thread
 * while the main process keeps all of them; and a crash in native code kills
 * one worker, never the Jupyter kernel. Each worker starts with
 * OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1 and the same tfjs backend as the
 * parent, so a job gives bitwise the same numbers in a worker as in a main
 * process whose BLAS is pinned to one thread.
 *
 * An interrupt (interrupt.ts: the kernel's SIGINT, Ctrl-C with
 * installInterruptHandler, requestInterrupt) stops a run at once: queued jobs
 * are cancelled, workers running its jobs are killed, and `run` rejects with
 * an InterruptedError whose `partial` holds every result, the finished ones
 * kept. The parent hears it because it only awaits messages while jobs run.
 *
 * Executors. Where the jobs run is the pool's executor, chosen without
 * changing the code that calls `run`: 'local' (the default; the child
 * processes above) or 'slurm' (slurm.ts: one `sbatch --array` per run, the
 * jobs and their results as files in a run folder on a shared filesystem,
 * followed through `squeue`; a run is resumable, an interrupt scancels it).
 * A pool takes `executor`/`slurm` options; otherwise every run reads the
 * process-wide choice of `setExecutor()` or the environment (LDL_EXECUTOR=slurm,
 * LDL_SLURM_PARTITION, LDL_SLURM_TIME, ...), so a study runs on a cluster
 * unchanged. Results have the same shape, order and progress display either way.
 *
 * Messages travel with the 'advanced' (structured clone) serialization:
 * typed arrays, Maps, nested objects survive; functions, class prototypes
 * and tf.Tensors do not (pass `await t.data()` and the shape instead).
 */
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { backendReport, BACKEND_ORDER, type BackendName } from './backend';
import { gemmIsNative } from './gemm';
import { InterruptedError, interruptRequested, listening, onInterrupt } from './interrupt';
import { Progress } from './progress';
import { SlurmArrayRun, checkSlurmOptions, executorSettings, type ExecutorName, type ExecutorSettings, type SlurmOptions } from './slurm';
import { ArgumentError, checkInteger, checkNumber, checkOneOf } from './validate';

// --------------------------------------------------------------------------
// Public types

/** One unit of independent work. */
export interface Job<A = unknown> {
  /** Path of a .ts or .js module, absolute or relative to the project root; the extension may be omitted. */
  module: string;
  /** Name of an exported function of that module, called as `fn(args, ctx)` (it may be async). */
  export: string;
  /** The function's first argument; must be structured-cloneable (typed arrays are fine, tensors are not). */
  args?: A;
}

/** Second argument of a job function. */
export interface JobContext {
  /** Position of this job in the array given to `run`. */
  readonly jobIndex: number;
  /** Reports how far the job is, `fraction` in [0, 1]; cheap to call every step (sends are throttled). */
  progress(fraction: number, message?: string): void;
}

/** The signature a job function must have. */
export type JobFunction<A = unknown, T = unknown> = (args: A, ctx: JobContext) => T | Promise<T>;

/**
 * Why a job failed. `name` is the thrown error's name, or one of the pool's:
 * 'WorkerExitError' (the worker process died), 'TimeoutError', 'AbortError',
 * 'InterruptedError' (an interrupt stopped the run, or SIGINT killed the
 * worker), 'PoolClosedError', 'WorkerStartError' (workers could not start).
 */
export interface JobError {
  name: string;
  message: string;
  stack: string;
  /** Slurm executor: the member's Slurm state when it ended without a result (TIMEOUT, FAILED, CANCELLED, OUT_OF_MEMORY, ...). */
  slurmState?: string;
}

/**
 * Outcome of one job; results are returned in job order. `ms` is the job's run
 * time. Each variant names the other's field as undefined so that code also
 * compiles in tslab, which type-checks without strictNullChecks and there
 * narrows a union only on `r.ok === false`, not on `!r.ok`.
 */
export type JobResult<T = unknown> =
  | { ok: true; value: T; error?: undefined; ms: number; jobIndex: number; pid: number }
  | { ok: false; error: JobError; value?: undefined; ms: number; jobIndex: number; pid: number | null };

/** What `onProgress` receives after every progress message or finished job. */
export interface PoolProgressReport {
  /** Overall fraction done: the mean over jobs of their last reported fraction (finished jobs count 1). */
  fraction: number;
  /** Jobs finished successfully / with an error / running now / in total. */
  completed: number;
  failed: number;
  running: number;
  total: number;
  elapsedMs: number;
  /** The job this report is about, its fraction and its latest message. */
  jobIndex: number;
  jobFraction: number;
  message?: string;
}

export interface WorkerPoolOptions {
  /** Number of worker processes (default os.availableParallelism(); 1 inside a pool worker, to avoid oversubscription). */
  size?: number;
  /** Per-job time limit in ms (default Infinity); a job over it has its worker killed and fails with 'TimeoutError'. */
  timeoutMs?: number;
  /** Idle workers are shut down after this many ms without work (default Infinity; the pool restarts them on demand). */
  idleCloseMs?: number;
  /** 'forward' (default) prints workers' stdout/stderr lines prefixed with the job index; 'silent' drops them. */
  output?: 'forward' | 'silent';
  /** tfjs backend of the workers (default: the parent's, from backendReport(), else LDL_BACKEND, else 'auto'). */
  backend?: 'auto' | BackendName;
  /** Minimum ms between two progress messages of one job (default 100). */
  progressIntervalMs?: number;
  /** Where jobs run: 'local' child processes or a 'slurm' job array (default: setExecutor's choice, else LDL_EXECUTOR, else 'local'). */
  executor?: ExecutorName;
  /** Slurm executor: partition, time, memory, CPUs per task, account, throttle, extra sbatch arguments, run folders' location (slurm.ts). Unset fields come from setExecutor and LDL_SLURM_*. */
  slurm?: SlurmOptions;
}

export interface RunOptions {
  /** Called with the aggregated progress after every progress message or finished job. */
  onProgress?: (report: PoolProgressReport) => void;
  /** Show a Progress display (lib/core/progress.ts); a string sets its label (default true, label 'jobs'). */
  progress?: boolean | string;
  /** Aborting kills the running jobs of this run; unfinished jobs fail with 'AbortError', finished results are kept. */
  signal?: AbortSignal;
  /** Per-job time limit in ms for this run (default: the pool's). On Slurm it is `--time` rounded up to minutes unless `slurm.time` is set. */
  timeoutMs?: number;
  /** Slurm executor: this run's folder (default: a folder named by a hash of the jobs under `slurm.dir`); running the same folder again resumes it. */
  runDir?: string;
}

/** Thrown by `jobValues` when some jobs failed; `results` holds every outcome. */
export class JobFailedError extends Error {
  constructor(readonly results: JobResult<unknown>[]) {
    const failed = results.filter((r): r is Extract<JobResult<unknown>, { ok: false }> => !r.ok);
    const list = failed.slice(0, 5).map((r) => `job ${r.jobIndex}: ${r.error.name}: ${r.error.message}`).join('; ');
    super(`${failed.length} of ${results.length} jobs failed: ${list}${failed.length > 5 ? '; ...' : ''}`);
    this.name = 'JobFailedError';
  }
}

/** The values of all jobs in order, or a JobFailedError naming the failures. */
export function jobValues<T>(results: JobResult<T>[]): T[] {
  if (results.some((r) => !r.ok)) throw new JobFailedError(results as JobResult<unknown>[]);
  return results.map((r) => (r as Extract<JobResult<T>, { ok: true }>).value);
}

// --------------------------------------------------------------------------
// Locations

function realDirname(): string {
  // In tslab this file is reached through notebooks/lib -> ../lib.
  try {
    return fs.realpathSync(__dirname);
  } catch {
    return __dirname;
  }
}

const CORE_DIR = realDirname();
/** The worker entry point (plain JavaScript, beside this file). */
export const POOL_WORKER_ENTRY = path.join(CORE_DIR, 'pool-worker.js');

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '..', '..');
    dir = up;
  }
}

/** Job module paths that are not absolute are resolved against this folder. */
export const PROJECT_ROOT = findProjectRoot(CORE_DIR);

/** Absolute real path of a job module, or null with the candidates that were tried. */
function resolveModule(spec: string): { file: string | null; tried: string[] } {
  const base = path.isAbsolute(spec) ? spec : path.resolve(PROJECT_ROOT, spec);
  const tried = [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts'), path.join(base, 'index.js')];
  for (const candidate of tried) {
    try {
      if (fs.statSync(candidate).isFile()) return { file: fs.realpathSync(candidate), tried };
    } catch {
      // not there; try the next
    }
  }
  return { file: null, tried };
}

/** Describes why a value cannot travel to or from a worker intact, or returns null. */
function uncloneableReason(value: unknown, where: string, depth: number): string | null {
  if (typeof value === 'function') return `${where} is a function`;
  if (typeof value === 'symbol') return `${where} is a symbol`;
  if (depth > 6 || value === null || typeof value !== 'object') return null;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return null;
  if ('dataId' in value && 'shape' in value && 'dtype' in value) {
    return `${where} is a tf.Tensor (pass its data, e.g. await t.data(), and its shape)`;
  }
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? [...value.slice(0, 1000).entries()]
    : Object.entries(value).slice(0, 1000);
  for (const [k, v] of entries) {
    const r = uncloneableReason(v, `${where}[${JSON.stringify(k)}]`, depth + 1);
    if (r) return r;
  }
  return null;
}

function checkCloneable(name: string, value: unknown): void {
  const reason = uncloneableReason(value, name, 0);
  if (reason) throw new ArgumentError(name, `a structured-cloneable value (${reason})`, value);
  try {
    v8.serialize(value);
  } catch (e) {
    throw new ArgumentError(name, `a structured-cloneable value (${(e as Error).message})`, value);
  }
}

function checkTimeout(name: string, value: unknown): number {
  if (value === Infinity) return Infinity;
  return checkNumber(name, value, 1);
}

// --------------------------------------------------------------------------
// Internals

interface WorkerMessage {
  type: 'ready' | 'startup-error' | 'checked' | 'progress' | 'result';
  id?: number;
  backend?: string;
  gemmNative?: boolean;
  ok?: boolean;
  value?: unknown;
  error?: JobError;
  ms?: number;
  fraction?: number;
  message?: string;
  loaded?: [string, number][];
  problems?: CheckProblem[];
}

interface CheckProblem {
  item: number;
  kind: 'load' | 'export';
  message: string;
  stack: string;
  available: string[];
}

interface CheckItem {
  module: string;
  export: string;
}

interface RunTask {
  kind: 'run';
  id: number;
  run: RunState;
  jobIndex: number;
  module: string;
  exportName: string;
  args: unknown;
}

interface CheckTask {
  kind: 'check';
  id: number;
  items: CheckItem[];
  done: (outcome: CheckProblem[] | JobError) => void;
}

type Task = RunTask | CheckTask;

type SlotState = 'starting' | 'idle' | 'busy' | 'exiting' | 'dead';

interface WorkerSlot {
  child: ChildProcess;
  pid: number | null;
  state: SlotState;
  task: Task | null;
  taskStart: number;
  timer: NodeJS.Timeout | null;
  stderrTail: string;
  startupError: JobError | null;
  /** The backend asked for at spawn ('auto' possible), then the one the worker reported. */
  backend: string;
  /** Whether the parent's core gemm was native when this worker started (the worker follows it). */
  parentGemmNative: boolean;
  loaded: [string, number][];
  exited: Promise<void>;
}

class RunState {
  readonly results: (JobResult<unknown> | undefined)[];
  readonly fractions: Float64Array;
  readonly t0 = Date.now();
  remaining: number;
  completed = 0;
  failed = 0;
  running = 0;
  private settled = false;
  private progressErrorShown = false;

  constructor(
    readonly total: number,
    readonly timeoutMs: number,
    private readonly onProgress: ((r: PoolProgressReport) => void) | undefined,
    private readonly display: Progress | null,
    private readonly resolve: (results: JobResult<unknown>[]) => void,
  ) {
    this.results = new Array(total);
    this.fractions = new Float64Array(total);
    this.remaining = total;
  }

  jobProgress(jobIndex: number, fraction: number, message: string | undefined): void {
    this.fractions[jobIndex] = fraction;
    this.emit(jobIndex, message);
  }

  finish(result: JobResult<unknown>, wasRunning: boolean): void {
    if (this.results[result.jobIndex] !== undefined) return;
    this.results[result.jobIndex] = result;
    this.fractions[result.jobIndex] = 1;
    if (wasRunning) this.running--;
    if (result.ok) this.completed++;
    else this.failed++;
    this.remaining--;
    this.emit(result.jobIndex, result.ok ? 'done' : `failed: ${result.error.name}`);
    // A callback may abort the run from inside emit(), finishing the rest re-entrantly: resolve once.
    if (this.remaining === 0 && !this.settled) {
      this.settled = true;
      if (this.display) {
        this.display.update(this.total);
        this.display.finish(`${this.completed} ok, ${this.failed} failed`);
      }
      this.resolve(this.results as JobResult<unknown>[]);
    }
  }

  private emit(jobIndex: number, message: string | undefined): void {
    let sum = 0;
    for (let i = 0; i < this.total; i++) sum += this.fractions[i];
    const report: PoolProgressReport = {
      fraction: this.total === 0 ? 1 : sum / this.total,
      completed: this.completed,
      failed: this.failed,
      running: this.running,
      total: this.total,
      elapsedMs: Date.now() - this.t0,
      jobIndex,
      jobFraction: this.fractions[jobIndex],
      message,
    };
    if (this.display && this.remaining > 0) {
      const info = `${(100 * report.fraction).toFixed(0)}% of the work, ${this.running} running` +
        (this.failed ? `, ${this.failed} failed` : '') + (message ? ` | job ${jobIndex}: ${message}` : '');
      this.display.update(this.completed + this.failed, info);
    }
    if (this.onProgress) {
      // A faulty callback must not break the pool's bookkeeping (it runs inside an IPC handler).
      try {
        this.onProgress(report);
      } catch (e) {
        if (!this.progressErrorShown) console.error(`WorkerPool: onProgress threw: ${(e as Error).message}`);
        this.progressErrorShown = true;
      }
    }
  }
}

function poolError(name: string, message: string): JobError {
  return { name, message, stack: '' };
}

/** Where an interrupted run stopped: which jobs finished, which were stopped running, which never started. */
function describeInterrupted(results: readonly JobResult<unknown>[]): string {
  const list = (xs: number[]) => (xs.length === 0 ? 'none' : xs.length > 12 ? `${xs.slice(0, 12).join(', ')}, ...` : xs.join(', '));
  const finished = results.filter((r) => r.ok || r.error.name !== 'InterruptedError').map((r) => r.jobIndex);
  const unstarted = results.filter((r) => !r.ok && r.error.name === 'InterruptedError' && r.error.message.endsWith('before it started')).length;
  const stopped = results.filter((r) => !r.ok && r.error.name === 'InterruptedError' && !r.error.message.endsWith('before it started')).map((r) => r.jobIndex);
  return `after ${finished.length} of ${results.length} jobs had finished (jobs ${list(finished)}); running jobs stopped: ${list(stopped)}; ${unstarted} had not started`;
}

const TAIL_CHARS = 4000;

// --------------------------------------------------------------------------
// The pool

/**
 * A set of worker processes that run jobs. Idle workers do not keep the
 * parent process alive, and they exit when the parent does; `close()` stops
 * them at once.
 *
 * ```ts
 * // study/jobs.ts:  export async function trainSeed(args: { seed: number }, ctx: JobContext) { ...; return accuracy; }
 * const pool = new WorkerPool();
 * const results = await pool.run<number>(seeds.map((seed) => ({ module: 'study/jobs', export: 'trainSeed', args: { seed } })));
 * const accuracies = jobValues(results); // or inspect results[i].ok / .error per job
 * await pool.close();
 *
 * Jobs should be functions of their arguments only: a worker runs many jobs
 * one after another and keeps its loaded modules between them. Send
 * descriptions of data (a data set name, a subset seed) rather than large
 * arrays: a 16 MB typed array takes ~0.2 s to travel there and back here.
 * ```
 */
export class WorkerPool {
  readonly size: number;
  readonly timeoutMs: number;
  readonly idleCloseMs: number;
  readonly output: 'forward' | 'silent';
  readonly progressIntervalMs: number;
  private readonly backendOption: 'auto' | BackendName | undefined;
  private readonly executorOption: ExecutorName | undefined;
  private readonly slurmOption: SlurmOptions | undefined;
  /** Slurm runs in progress: close() cancels them as it stops local jobs. */
  private readonly slurmRuns = new Set<SlurmArrayRun>();
  private readonly workers: WorkerSlot[] = [];
  private readonly queue: Task[] = [];
  private nextTaskId = 1;
  private closedFlag = false;
  private startupFailures = 0;
  private warnedGemm = false;
  private idleTimer: NodeJS.Timeout | null = null;
  /** (module, export) pairs already checked, with the module's mtime at the time. */
  private readonly verified = new Map<string, number>();
  private readonly exitHook = (): void => {
    // The parent is exiting: a worker stuck in a long job would never see the disconnect.
    for (const w of this.workers) if (w.state !== 'dead') w.child.kill('SIGKILL');
  };

  constructor(options: WorkerPoolOptions = {}) {
    const inWorker = process.env.LDL_POOL_WORKER === '1';
    const defaultSize = inWorker ? 1 : os.availableParallelism();
    this.size = checkInteger('size', options.size ?? defaultSize, 1, 1024);
    this.timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? Infinity);
    this.idleCloseMs = options.idleCloseMs === undefined ? Infinity : checkTimeout('idleCloseMs', options.idleCloseMs);
    this.output = checkOneOf('output', options.output ?? 'forward', ['forward', 'silent']);
    this.progressIntervalMs = checkNumber('progressIntervalMs', options.progressIntervalMs ?? 100, 0);
    this.backendOption = options.backend === undefined ? undefined : checkOneOf<'auto' | BackendName>('backend', options.backend, ['auto', ...BACKEND_ORDER]);
    this.executorOption = options.executor === undefined ? undefined : checkOneOf<ExecutorName>('executor', options.executor, ['local', 'slurm']);
    this.slurmOption = options.slurm === undefined ? undefined : { ...checkSlurmOptions(options.slurm) };
    process.on('exit', this.exitHook);
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** The executor a run started now would use, with its Slurm options (the pool's, over setExecutor's and the environment's). */
  executor(): ExecutorSettings {
    const outer = executorSettings();
    return { executor: this.executorOption ?? outer.executor, slurm: { ...outer.slurm, ...this.slurmOption } };
  }

  /** Process ids of the live worker processes. */
  pids(): number[] {
    return this.workers.filter((w) => w.state !== 'dead' && w.pid !== null).map((w) => w.pid as number);
  }

  /**
   * Runs the jobs on the pool's workers and resolves with one result per job,
   * in job order. A job that throws, times out or kills its worker gives an
   * `{ ok: false, error }` result; the other jobs' results are kept and a dead
   * worker is replaced. Throws an ArgumentError at once for a malformed job, a
   * module that does not exist or an export that is not a function. An
   * interrupt rejects with an InterruptedError (see the file header).
   */
  async run<T = unknown>(jobs: readonly Job[], options: RunOptions = {}): Promise<JobResult<T>[]> {
    if (this.closedFlag) throw new Error('WorkerPool.run: the pool is closed (create a new WorkerPool)');
    if (!Array.isArray(jobs)) throw new ArgumentError('jobs', 'an array of { module, export, args } objects', jobs);
    if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw new ArgumentError('onProgress', 'a function', options.onProgress);
    }
    if (options.progress !== undefined && typeof options.progress !== 'boolean' && typeof options.progress !== 'string') {
      throw new ArgumentError('progress', 'a boolean or a label string', options.progress);
    }
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new ArgumentError('signal', 'an AbortSignal', options.signal);
    }
    const timeoutMs = options.timeoutMs === undefined ? this.timeoutMs : checkTimeout('timeoutMs', options.timeoutMs);
    if (options.runDir !== undefined && (typeof options.runDir !== 'string' || options.runDir.length === 0)) {
      throw new ArgumentError('runDir', 'the path of a run folder', options.runDir);
    }
    const settings = this.executor();

    const resolved = this.validateJobs(jobs);
    if (jobs.length === 0) return [];
    this.retireStaleWorkers();
    await this.checkExports(jobs, resolved);
    if (options.signal?.aborted) {
      return jobs.map((_, jobIndex) => ({ ok: false, error: poolError('AbortError', 'aborted before it started'), ms: 0, jobIndex, pid: null }));
    }
    if (interruptRequested()) {
      const none = jobs.map((_, jobIndex): JobResult<T> => ({ ok: false, error: poolError('InterruptedError', 'interrupted before it started'), ms: 0, jobIndex, pid: null }));
      throw new InterruptedError('WorkerPool.run', describeInterrupted(none), none);
    }

    const label = typeof options.progress === 'string' ? options.progress : 'jobs';
    const display = options.progress === false ? null : new Progress({ total: jobs.length, label });
    return new Promise<JobResult<T>[]>((resolve, reject) => {
      let onAbort: (() => void) | null = null;
      let interrupted = false;
      let unsubscribe = (): void => {};
      const stopListening = listening();
      let array: SlurmArrayRun | null = null;
      const cleanUp = (): void => {
        if (array) this.slurmRuns.delete(array);
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
        unsubscribe();
        stopListening();
      };
      const run = new RunState(jobs.length, timeoutMs, options.onProgress, display, (results) => {
        cleanUp();
        if (interrupted) reject(new InterruptedError('WorkerPool.run', describeInterrupted(results), results as JobResult<T>[]));
        else resolve(results as JobResult<T>[]);
      });
      let stop: (why: string, name?: string) => void;
      if (settings.executor === 'slurm') {
        array = new SlurmArrayRun(
          jobs.map((j, i) => ({ module: resolved[i], export: j.export, args: j.args })), settings.slurm, run,
          { LDL_BACKEND: this.workerBackend(), LDL_POOL_PARENT_GEMM: gemmIsNative() ? 'native' : 'js', LDL_PROGRESS: 'silent', LDL_POOL_WORKER: '1' },
          options.runDir, timeoutMs, PROJECT_ROOT,
        );
        const slurmRun = array;
        this.slurmRuns.add(slurmRun);
        stop = (why, name) => slurmRun.cancel(why, name);
        slurmRun.start().catch((e: Error) => {
          slurmRun.halt();
          cleanUp();
          display?.finish(`not submitted: ${e.message.split('\n')[0]}`);
          reject(e);
        });
      } else {
        for (let i = 0; i < jobs.length; i++) {
          this.queue.push({ kind: 'run', id: this.nextTaskId++, run, jobIndex: i, module: resolved[i], exportName: jobs[i].export, args: jobs[i].args });
        }
        stop = (why, name) => this.abortRun(run, why, name);
      }
      unsubscribe = onInterrupt(() => {
        interrupted = true;
        stop('the run was interrupted', 'InterruptedError');
      });
      if (options.signal) {
        onAbort = () => stop('the run was aborted');
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      if (settings.executor === 'local') this.pump();
    });
  }

  /** Stops all workers (running jobs fail with 'PoolClosedError'; Slurm runs are scancelled) and waits until their processes have exited. */
  async close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
      for (const task of this.queue.splice(0)) this.failTask(task, poolError('PoolClosedError', 'the pool was closed before the job ran'), null, false);
      for (const r of [...this.slurmRuns]) r.cancel('the pool was closed', 'PoolClosedError');
      for (const w of this.workers) {
        if (w.task) {
          const task = w.task;
          w.task = null;
          this.failTask(task, poolError('PoolClosedError', 'the pool was closed while the job ran'), w, true);
        }
        this.retire(w);
      }
    }
    await Promise.all(this.workers.map((w) => w.exited));
    process.removeListener('exit', this.exitHook);
  }

  // ---- validation

  private validateJobs(jobs: readonly Job[]): string[] {
    const cache = new Map<string, string>();
    const resolved: string[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as unknown;
      if (job === null || typeof job !== 'object' || Array.isArray(job)) {
        throw new ArgumentError(`jobs[${i}]`, 'an object { module, export, args }', job);
      }
      const { module: spec, export: exportName, args } = job as Job;
      if (typeof spec !== 'string' || spec.length === 0) {
        throw new ArgumentError(`jobs[${i}].module`, 'the path of a .ts or .js module (absolute or relative to the project root)', spec);
      }
      let file = cache.get(spec);
      if (file === undefined) {
        const r = resolveModule(spec);
        if (r.file === null) {
          throw new ArgumentError(`jobs[${i}].module`, `an existing module file (tried ${r.tried.join(', ')})`, spec);
        }
        file = r.file;
        cache.set(spec, file);
      }
      resolved.push(file);
      if (typeof exportName !== 'string' || exportName.length === 0) {
        throw new ArgumentError(`jobs[${i}].export`, 'the name of an exported function', exportName);
      }
      checkCloneable(`jobs[${i}].args`, args);
    }
    return resolved;
  }

  /** Loads each distinct (module, export) pair in a worker once and throws if an export is not a function. */
  private async checkExports(jobs: readonly Job[], resolved: string[]): Promise<void> {
    const firstJob = new Map<string, number>();
    const items: CheckItem[] = [];
    const itemJob: number[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const key = `${resolved[i]}\0${jobs[i].export}`;
      if (firstJob.has(key)) continue;
      firstJob.set(key, i);
      const mtime = fs.statSync(resolved[i]).mtimeMs;
      if (this.verified.get(key) === mtime) continue;
      items.push({ module: resolved[i], export: jobs[i].export });
      itemJob.push(i);
    }
    if (items.length === 0) return;
    const outcome = await new Promise<CheckProblem[] | JobError>((done) => {
      this.queue.unshift({ kind: 'check', id: this.nextTaskId++, items, done });
      this.pump();
    });
    if (!Array.isArray(outcome)) {
      const err = new Error(outcome.name === 'WorkerStartError'
        ? `WorkerPool.run: ${outcome.message}`
        : `WorkerPool.run: loading the job module(s) ${[...new Set(items.map((it) => it.module))].join(', ')} in a worker failed: ${outcome.message}`);
      err.name = outcome.name;
      throw err;
    }
    if (outcome.length > 0) {
      const p = outcome[0];
      const i = itemJob[p.item];
      if (p.kind === 'export') {
        const names = p.available.length ? p.available.join(', ') : 'none';
        throw new ArgumentError(`jobs[${i}].export`, `the name of a function exported by ${items[p.item].module} (its functions: ${names})`, jobs[i].export);
      }
      const err = new Error(`jobs[${i}].module: ${items[p.item].module} failed to load in a worker: ${p.message}`);
      err.name = 'ModuleLoadError';
      err.stack = `${err.name}: ${err.message}\n--- in the worker:\n${p.stack}`;
      throw err;
    }
    for (const it of items) this.verified.set(`${it.module}\0${it.export}`, fs.statSync(it.module).mtimeMs);
  }

  // ---- workers

  private workerBackend(): string {
    return this.backendOption ?? backendReport()?.backend ?? process.env.LDL_BACKEND ?? 'auto';
  }

  private spawnWorker(): void {
    const backend = this.workerBackend();
    const child = fork(POOL_WORKER_ENTRY, [], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        OPENBLAS_NUM_THREADS: '1',
        OMP_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
        LDL_BACKEND: backend,
        LDL_POOL_WORKER: '1',
        LDL_POOL_PARENT_GEMM: gemmIsNative() ? 'native' : 'js',
        // The pool aggregates job progress; a display inside a worker would only add noise.
        LDL_PROGRESS: 'silent',
      },
      // The parent may run under tsx, tslab or `node --test`; the worker registers tsx itself.
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let markExited: () => void = () => undefined;
    const slot: WorkerSlot = {
      child,
      pid: child.pid ?? null,
      state: 'starting',
      task: null,
      taskStart: 0,
      timer: null,
      stderrTail: '',
      startupError: null,
      backend,
      parentGemmNative: gemmIsNative(),
      loaded: [],
      exited: new Promise<void>((res) => (markExited = res)),
    };
    this.workers.push(slot);
    this.forwardOutput(slot, 'stdout');
    this.forwardOutput(slot, 'stderr');
    child.on('message', (msg: WorkerMessage) => this.onMessage(slot, msg));
    child.on('error', (e) => {
      slot.stderrTail = (slot.stderrTail + `\n[pool] ${e.message}`).slice(-TAIL_CHARS);
      if (child.pid === undefined) this.onExit(slot, null, null, markExited);
    });
    // 'exit' rather than 'close': after the parent disconnects the IPC channel, 'close' may never come.
    // A crash message is wanted in full, so wait briefly for stderr to drain first.
    child.on('exit', (code, signal) => {
      const finish = (): void => this.onExit(slot, code, signal, markExited);
      const err = child.stderr;
      if (!err || err.closed || err.destroyed) return finish();
      let waiting = true;
      const go = (): void => {
        if (!waiting) return;
        waiting = false;
        clearTimeout(fallback);
        finish();
      };
      const fallback = setTimeout(go, 500);
      err.once('close', go);
    });
  }

  private forwardOutput(slot: WorkerSlot, which: 'stdout' | 'stderr'): void {
    const stream = slot.child[which];
    if (!stream) return;
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk: string) => {
      if (which === 'stderr') slot.stderrTail = (slot.stderrTail + chunk).slice(-TAIL_CHARS);
      if (this.output === 'silent') return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      const prefix = slot.task?.kind === 'run' ? `[job ${slot.task.jobIndex}] ` : `[worker ${slot.pid}] `;
      for (const line of lines) (which === 'stdout' ? console.log : console.error)(prefix + line);
    });
  }

  /** Keeps the parent alive only while a worker is starting, working or shutting down. */
  private setRef(slot: WorkerSlot, ref: boolean): void {
    const c = slot.child;
    const targets: { ref(): void; unref(): void }[] = [c];
    if (c.channel) targets.push(c.channel);
    const out = c.stdout as unknown as { ref?(): void; unref?(): void } | null;
    const err = c.stderr as unknown as { ref?(): void; unref?(): void } | null;
    for (const s of [out, err]) if (s && s.ref && s.unref) targets.push(s as { ref(): void; unref(): void });
    for (const t of targets) (ref ? t.ref() : t.unref());
  }

  private onMessage(slot: WorkerSlot, msg: WorkerMessage): void {
    switch (msg.type) {
      case 'ready':
        if (slot.state !== 'starting') return;
        slot.state = 'idle';
        slot.backend = msg.backend ?? slot.backend;
        slot.loaded = msg.loaded ?? [];
        this.startupFailures = 0;
        if (gemmIsNative() && msg.gemmNative === false && !this.warnedGemm) {
          this.warnedGemm = true;
          console.warn('WorkerPool: the native BLAS add-on loads here but not in the workers; core gemm results will differ in the last bits');
        }
        this.pump();
        return;
      case 'startup-error':
        slot.startupError = msg.error ?? null;
        return;
      case 'progress': {
        const task = slot.task;
        if (task && task.kind === 'run' && task.id === msg.id) task.run.jobProgress(task.jobIndex, msg.fraction ?? 0, msg.message);
        return;
      }
      case 'result':
      case 'checked': {
        const task = slot.task;
        if (!task || task.id !== msg.id) return;
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        slot.task = null;
        slot.state = 'idle';
        slot.loaded = msg.loaded ?? slot.loaded;
        if (task.kind === 'check') task.done(msg.problems ?? []);
        else {
          const ms = msg.ms ?? Date.now() - slot.taskStart;
          const result: JobResult<unknown> = msg.ok
            ? { ok: true, value: msg.value, ms, jobIndex: task.jobIndex, pid: slot.pid as number }
            : { ok: false, error: msg.error ?? poolError('Error', 'unknown failure'), ms, jobIndex: task.jobIndex, pid: slot.pid };
          task.run.finish(result, true);
        }
        this.pump();
        return;
      }
    }
  }

  private onExit(slot: WorkerSlot, code: number | null, signal: NodeJS.Signals | null, markExited: () => void): void {
    if (slot.state === 'dead') return;
    const previous = slot.state;
    slot.state = 'dead';
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const index = this.workers.indexOf(slot);
    if (index >= 0) this.workers.splice(index, 1);
    markExited();
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = slot.stderrTail.trim() ? `; its last stderr output: ${slot.stderrTail.trim().slice(-1000)}` : '';
    if (slot.task) {
      const task = slot.task;
      slot.task = null;
      const what = task.kind === 'run' ? `running job ${task.jobIndex}` : 'loading the job modules';
      // SIGINT reaches the workers too when Jupyter or a terminal signals the whole process group: an interrupt, not a crash.
      const name = signal === 'SIGINT' ? 'InterruptedError' : 'WorkerExitError';
      this.failTask(task, poolError(name, `worker process ${slot.pid} ${how} while ${what}${tail}`), slot, true);
    } else if (previous === 'starting') {
      this.startupFailures++;
      const reason = slot.startupError
        ? `${slot.startupError.name}: ${slot.startupError.message}`
        : `worker process ${slot.pid} ${how} during start-up${tail}`;
      // Two failed starts in a row mean starting again will not help: fail what is waiting.
      if (this.startupFailures >= 2 && !this.workers.some((w) => w.state === 'idle' || w.state === 'busy')) {
        for (const task of this.queue.splice(0)) {
          this.failTask(task, poolError('WorkerStartError', `pool workers could not start: ${reason}`), null, false);
        }
      }
    }
    this.pump();
  }

  private failTask(task: Task, error: JobError, slot: WorkerSlot | null, wasRunning: boolean): void {
    if (task.kind === 'check') {
      task.done(error);
      return;
    }
    const ms = slot && wasRunning ? Date.now() - slot.taskStart : 0;
    task.run.finish({ ok: false, error, ms, jobIndex: task.jobIndex, pid: slot?.pid ?? null }, wasRunning);
  }

  /** Asks a worker to exit; kills it if it has not after a grace period (e.g. stuck in a loop). */
  private retire(slot: WorkerSlot): void {
    if (slot.state === 'dead' || slot.state === 'exiting') return;
    slot.state = 'exiting';
    this.setRef(slot, true);
    try {
      if (slot.child.connected) {
        slot.child.send({ type: 'close' });
        slot.child.disconnect();
      }
    } catch {
      // already gone
    }
    const killer = setTimeout(() => {
      if (slot.state !== 'dead') slot.child.kill('SIGKILL');
    }, 2000);
    killer.unref();
  }

  private kill(slot: WorkerSlot): void {
    if (slot.state === 'dead') return;
    slot.state = 'exiting';
    this.setRef(slot, true);
    slot.child.kill('SIGKILL');
  }

  /** Idle or starting workers whose loaded code changed on disk, or whose backend or gemm path differs from the parent's, are replaced. */
  private retireStaleWorkers(): void {
    const wanted = this.workerBackend();
    const mtimes = new Map<string, number>();
    const mtimeOf = (file: string): number => {
      let m = mtimes.get(file);
      if (m === undefined) {
        try {
          m = fs.statSync(file).mtimeMs;
        } catch {
          m = -2;
        }
        mtimes.set(file, m);
      }
      return m;
    };
    for (const w of [...this.workers]) {
      // A starting worker has no task yet but may have been started with settings now stale.
      if (w.state !== 'idle' && w.state !== 'starting') continue;
      const wrongBackend = wanted !== 'auto' && w.backend !== 'auto' && w.backend !== wanted;
      const wrongGemm = w.parentGemmNative !== gemmIsNative();
      const edited = w.loaded.some(([file, mtime]) => mtimeOf(file) !== mtime);
      if (wrongBackend || wrongGemm || edited) this.retire(w);
    }
  }

  private abortRun(run: RunState, why: string, name = 'AbortError'): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const task = this.queue[i];
      if (task.kind === 'run' && task.run === run) {
        this.queue.splice(i, 1);
        this.failTask(task, poolError(name, `${why} before it started`), null, false);
      }
    }
    for (const w of [...this.workers]) {
      const task = w.task;
      if (task && task.kind === 'run' && task.run === run) {
        w.task = null;
        if (w.timer) clearTimeout(w.timer);
        w.timer = null;
        this.failTask(task, poolError(name, `${why} while the job ran`), w, true);
        this.kill(w);
      }
    }
  }

  private assign(slot: WorkerSlot, task: Task): void {
    slot.state = 'busy';
    slot.task = task;
    slot.taskStart = Date.now();
    this.setRef(slot, true);
    try {
      if (task.kind === 'check') {
        slot.child.send({ type: 'check', id: task.id, items: task.items });
        return;
      }
      task.run.running++;
      slot.child.send({
        type: 'run', id: task.id, jobIndex: task.jobIndex, module: task.module, export: task.exportName,
        args: task.args, progressIntervalMs: this.progressIntervalMs,
      });
    } catch (e) {
      // The arguments were checked up front, so this is a channel that closed under us.
      slot.task = null;
      this.failTask(task, poolError('WorkerExitError', `could not send the job to worker ${slot.pid}: ${(e as Error).message}`), slot, true);
      this.kill(slot);
      return;
    }
    if (Number.isFinite(task.run.timeoutMs)) {
      slot.timer = setTimeout(() => {
        if (slot.task !== task) return;
        slot.task = null;
        slot.timer = null;
        this.failTask(task, poolError('TimeoutError', `job ${task.jobIndex} exceeded its time limit of ${task.run.timeoutMs} ms`), slot, true);
        this.kill(slot);
      }, task.run.timeoutMs);
    }
  }

  private pump(): void {
    if (this.closedFlag) return;
    for (const slot of this.workers) {
      if (this.queue.length === 0) break;
      if (slot.state === 'idle') this.assign(slot, this.queue.shift() as Task);
    }
    const starting = this.workers.filter((w) => w.state === 'starting').length;
    const live = this.workers.filter((w) => w.state === 'starting' || w.state === 'idle' || w.state === 'busy').length;
    const toStart = Math.min(this.queue.length - starting, this.size - live);
    for (let i = 0; i < toStart; i++) this.spawnWorker();
    for (const w of this.workers) {
      if (w.state === 'idle') this.setRef(w, false);
    }
    this.scheduleIdleClose();
  }

  private scheduleIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const busy = this.workers.some((w) => w.state === 'busy' || w.state === 'starting') || this.queue.length > 0;
    if (busy || !Number.isFinite(this.idleCloseMs) || this.workers.length === 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      for (const w of [...this.workers]) if (w.state === 'idle') this.retire(w);
    }, this.idleCloseMs);
    this.idleTimer.unref();
  }
}

// --------------------------------------------------------------------------
// The shared pool

let sharedPool: WorkerPool | null = null;

/** The process-wide pool used by `runJobs`: created on first use, its workers shut down after 10 s idle. */
export function defaultPool(): WorkerPool {
  if (!sharedPool || sharedPool.closed) sharedPool = new WorkerPool({ idleCloseMs: 10000 });
  return sharedPool;
}

/** Runs jobs on the shared pool (see `WorkerPool.run`). */
export function runJobs<T = unknown>(jobs: readonly Job[], options: RunOptions = {}): Promise<JobResult<T>[]> {
  return defaultPool().run<T>(jobs, options);
}

/** Stops the shared pool's workers now (it is recreated on the next `runJobs`). */
export async function closeDefaultPool(): Promise<void> {
  const pool = sharedPool;
  sharedPool = null;
  if (pool) await pool.close();
}

/** Human-readable one-line summary of results, e.g. "4 jobs: 3 ok, 1 failed (job 2: TimeoutError)". */
export function describeResults(results: readonly JobResult<unknown>[]): string {
  const failed = results.filter((r) => !r.ok) as Extract<JobResult<unknown>, { ok: false }>[];
  const detail = failed.slice(0, 3).map((r) => `job ${r.jobIndex}: ${r.error.name}`).join(', ');
  return `${results.length} jobs: ${results.length - failed.length} ok, ${failed.length} failed` + (detail ? ` (${detail}${failed.length > 3 ? ', ...' : ''})` : '');
}
