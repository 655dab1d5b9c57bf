/**
 * The pool's Slurm executor: `WorkerPool.run(jobs)` (pool.ts) runs the jobs
 * as one Slurm job array instead of local child processes. The executor
 * changes, not the study: `LDL_EXECUTOR=slurm` in the environment, or
 * `setExecutor('slurm', { ... })` in a notebook's parameters cell, and every
 * pool (and `runJobs`) created without an executor of its own uses Slurm.
 *
 * A run lives in a run folder on a filesystem that the compute nodes share:
 *
 *   run.json               the run's key (a hash of the jobs) and its size
 *   args/<j>.bin           job j: { module, export, args }, v8-serialized
 *                          (the pool's structured-clone format)
 *   submit/<s>.json        submission s: members[t] = the job of array task t
 *   submissions.jsonl      one line per sbatch: { jobId, submission, members, array }
 *   results/<j>.bin        job j's outcome, written by the task (temporary file, rename)
 *   progress/<j>.json      job j's latest ctx.progress, written at most once a second
 *   logs/<A>_<t>.out|.err  the task's stdout and stderr (A = array job id)
 *   exit/<A>_<t>           the task's own exit record: "exit <code>" or "signal TERM"
 *   batch.sh               the batch script every task runs
 *
 * Each array task runs `node lib/core/pool-worker.js --slurm-task RUN_DIR s`
 * (the pool's job runner in file mode) with OPENBLAS/OMP threads set to the
 * CPUs Slurm gave it (--cpus-per-task, default 1: then a job gives bitwise
 * the numbers the local pool gives) and the caller's tfjs backend and gemm
 * path. The caller follows the run through `squeue` and the result files and
 * shows the same progress as the local pool. A member that leaves the queue
 * without a result is reported with its Slurm state -- from `scontrol show
 * job` while Slurm still knows the job (MinJobAge, 5 min by default), else
 * from its exit record -- and the tail of its stderr; the others' results are
 * kept. Its JobError's name follows the local pool's (TIMEOUT: TimeoutError,
 * CANCELLED: AbortError, OUT_OF_MEMORY: OutOfMemoryError, others:
 * WorkerExitError) and `slurmState` holds the state itself.
 *
 * Resuming: a run folder is named by a hash of the jobs (module paths and
 * file contents, exports, arguments) unless `runDir` names it. Running the
 * same jobs again reuses the folder: finished results are read back, members
 * still queued or running from an earlier submission (a notebook that was
 * restarted) are followed, and only the rest are submitted; a finished run
 * submits nothing. Delete the folder to compute again (the hash reads each job
 * module's own file, not the files it imports). An abort or interrupt
 * cancels this run's arrays with `scancel`; finished results stay in the folder.
 */
import { execFile, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import type { JobError, JobResult } from './pool';
import { ArgumentError, checkInteger, checkNumber, checkOneOf } from './validate';

// --------------------------------------------------------------------------
// Options

/** Which executor runs a pool's jobs. */
export type ExecutorName = 'local' | 'slurm';

/** How jobs are submitted to Slurm. Unset fields use the cluster's defaults. */
export interface SlurmOptions {
  /** `--partition`. Env LDL_SLURM_PARTITION. */
  partition?: string;
  /** `--time` per member, in Slurm's format ('30' minutes, '2:00:00', '1-00:00:00'). Env LDL_SLURM_TIME. Default: the run's timeoutMs rounded up to minutes, else the partition's default. */
  time?: string;
  /** `--mem` per member, e.g. '4G'. Env LDL_SLURM_MEMORY. */
  memory?: string;
  /** `--cpus-per-task`, and the member's BLAS threads (default 1). Env LDL_SLURM_CPUS. */
  cpusPerTask?: number;
  /** `--account`. Env LDL_SLURM_ACCOUNT. */
  account?: string;
  /** At most this many members run at once (`--array=...%N`). Env LDL_SLURM_THROTTLE. */
  throttle?: number;
  /** More sbatch arguments, e.g. ['--qos=short']. Env LDL_SLURM_ARGS (split on spaces). */
  extraArgs?: string[];
  /** Folder on the shared filesystem that holds the run folders (default <project>/out/slurm). Env LDL_SLURM_DIR. */
  dir?: string;
  /** Node on the compute nodes (default: this process's, process.execPath). Env LDL_SLURM_NODE. */
  node?: string;
  /** How often squeue and the result files are read, ms (default 2000). */
  pollMs?: number;
  /** How long a member that left the queue COMPLETED or FAILED may take to show its result (a shared filesystem's caching), ms (default 15000). */
  resultGraceMs?: number;
}

/** Options as the pool resolves them: the executor and, for Slurm, its options. */
export interface ExecutorSettings {
  executor: ExecutorName;
  slurm: SlurmOptions;
}

const SETTINGS_KEY = Symbol.for('learning-dynamics-lab/executor');

/**
 * Sets the executor of every pool created without one (and of `runJobs`),
 * e.g. in a notebook's parameters cell: `setExecutor('slurm', { partition:
 * 'cpu', time: '1:00:00', memory: '4G' })`. Fields not given come from the
 * environment (LDL_SLURM_*). `setExecutor('local')` goes back to local processes.
 */
export function setExecutor(executor: ExecutorName, slurm: SlurmOptions = {}): void {
  checkOneOf('executor', executor, ['local', 'slurm']);
  checkSlurmOptions(slurm);
  (globalThis as Record<symbol, unknown>)[SETTINGS_KEY] = { executor, slurm: { ...slurm } };
}

/** The executor settings in force: setExecutor's, else the environment's (LDL_EXECUTOR, LDL_SLURM_*), else local. */
export function executorSettings(env: NodeJS.ProcessEnv = process.env): ExecutorSettings {
  const fromEnv = slurmOptionsFromEnv(env);
  const set = (globalThis as Record<symbol, ExecutorSettings | undefined>)[SETTINGS_KEY];
  if (set) return { executor: set.executor, slurm: { ...fromEnv, ...set.slurm } };
  const executor = checkOneOf<ExecutorName>('LDL_EXECUTOR', env.LDL_EXECUTOR || 'local', ['local', 'slurm']);
  return { executor, slurm: fromEnv };
}

/** Slurm options from LDL_SLURM_* variables. */
export function slurmOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SlurmOptions {
  const o: SlurmOptions = {};
  if (env.LDL_SLURM_PARTITION) o.partition = env.LDL_SLURM_PARTITION;
  if (env.LDL_SLURM_TIME) o.time = env.LDL_SLURM_TIME;
  if (env.LDL_SLURM_MEMORY) o.memory = env.LDL_SLURM_MEMORY;
  if (env.LDL_SLURM_CPUS) o.cpusPerTask = checkInteger('LDL_SLURM_CPUS', Number(env.LDL_SLURM_CPUS), 1, 1024);
  if (env.LDL_SLURM_ACCOUNT) o.account = env.LDL_SLURM_ACCOUNT;
  if (env.LDL_SLURM_THROTTLE) o.throttle = checkInteger('LDL_SLURM_THROTTLE', Number(env.LDL_SLURM_THROTTLE), 1, 1e6);
  if (env.LDL_SLURM_ARGS) o.extraArgs = env.LDL_SLURM_ARGS.split(/\s+/).filter(Boolean);
  if (env.LDL_SLURM_DIR) o.dir = env.LDL_SLURM_DIR;
  if (env.LDL_SLURM_NODE) o.node = env.LDL_SLURM_NODE;
  return o;
}

/** Checks Slurm options; throws an ArgumentError naming the field. */
export function checkSlurmOptions(o: SlurmOptions): SlurmOptions {
  if (o === null || typeof o !== 'object') throw new ArgumentError('slurm', 'an options object', o);
  for (const key of ['partition', 'time', 'memory', 'account', 'dir', 'node'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || /\s/.test(v) && key !== 'dir' && key !== 'node')) {
      throw new ArgumentError(`slurm.${key}`, 'a non-empty string without spaces', v);
    }
  }
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d+){0,2}$|^\d+-\d+$/.test(o.time)) {
    throw new ArgumentError('slurm.time', "a Slurm time limit: minutes, 'hh:mm:ss', 'mm:ss', 'd-hh' or 'd-hh:mm:ss'", o.time);
  }
  if (o.cpusPerTask !== undefined) checkInteger('slurm.cpusPerTask', o.cpusPerTask, 1, 1024);
  if (o.throttle !== undefined) checkInteger('slurm.throttle', o.throttle, 1, 1e6);
  if (o.extraArgs !== undefined && (!Array.isArray(o.extraArgs) || o.extraArgs.some((a) => typeof a !== 'string'))) {
    throw new ArgumentError('slurm.extraArgs', 'an array of strings (sbatch arguments)', o.extraArgs);
  }
  if (o.pollMs !== undefined) checkNumber('slurm.pollMs', o.pollMs, 10);
  if (o.resultGraceMs !== undefined) checkNumber('slurm.resultGraceMs', o.resultGraceMs, 0);
  return o;
}

// --------------------------------------------------------------------------
// The run

/** What the run reports to (pool.ts's RunState). */
export interface SlurmRunTracker {
  running: number;
  jobProgress(jobIndex: number, fraction: number, message: string | undefined): void;
  finish(result: JobResult<unknown>, wasRunning: boolean): void;
}

/** One job as the pool resolved it: an absolute module path. */
export interface ResolvedJob {
  module: string;
  export: string;
  args: unknown;
}

interface Submission {
  jobId: string;
  submission: number;
  members: number[];
  array: string;
}

/** Where a member stands: which array task runs it, and since when it is gone from the queue without a result. */
interface Member {
  jobIndex: number;
  task: string; // "<arrayJobId>_<taskId>"
  state: string; // the last squeue state
  goneSince: number | null;
}

/** squeue states of a task that will not (or no longer) run its job to the end. */
const ENDING = new Set(['COMPLETING', 'COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED', 'STOPPED']);

/** JobError name for a Slurm state, matching the local pool's names. */
function errorName(state: string): string {
  if (state === 'TIMEOUT' || state === 'DEADLINE') return 'TimeoutError';
  if (state === 'CANCELLED') return 'AbortError';
  if (state === 'OUT_OF_MEMORY') return 'OutOfMemoryError';
  return 'WorkerExitError';
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 127) : 0;
      resolve({ code, stdout, stderr: stderr || (error && !stderr ? error.message : '') });
    });
  });
}

/** The cluster's MaxArraySize (Slurm's default 1001 when scontrol does not say). */
async function maxArraySize(): Promise<number> {
  const r = await run('scontrol', ['show', 'config']);
  const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(r.stdout);
  return m && Number(m[1]) > 0 ? Number(m[1]) : 1001;
}

function writeAtomically(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${os.hostname()}-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Hash of the jobs and their modules' contents: the default run folder's name. */
export function runKey(jobs: readonly ResolvedJob[]): string {
  const h = createHash('sha256');
  const seen = new Set<string>();
  for (const j of jobs) {
    if (!seen.has(j.module)) {
      seen.add(j.module);
      h.update(j.module).update(fs.readFileSync(j.module));
    }
    h.update(v8.serialize([j.module, j.export, j.args]));
  }
  return h.digest('hex').slice(0, 16);
}

/** Reads a finished member's result file, or null while there is none. */
function readResult(runDir: string, jobIndex: number): JobResult<unknown> | null {
  let data: Buffer;
  try {
    data = fs.readFileSync(path.join(runDir, 'results', `${jobIndex}.bin`));
  } catch {
    return null;
  }
  const r = v8.deserialize(data) as { ok: boolean; value?: unknown; error?: JobError; ms: number; pid: number };
  return r.ok
    ? { ok: true, value: r.value, ms: r.ms, jobIndex, pid: r.pid }
    : { ok: false, error: r.error ?? { name: 'Error', message: 'unknown failure', stack: '' }, ms: r.ms, jobIndex, pid: r.pid };
}

function tail(file: string, chars: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, chars));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * One `run(jobs)` on Slurm. `start()` prepares the run folder, reads back
 * finished results, adopts members still queued from an earlier submission,
 * submits the rest as one array and follows them until every member has a
 * result; `cancel()` scancels the arrays and fails the unfinished members.
 */
export class SlurmArrayRun {
  readonly runDir: string;
  private readonly members = new Map<number, Member>();
  private readonly done = new Set<number>();
  private readonly arrays = new Set<string>();
  private readonly progressSeen = new Map<number, number>();
  private readonly options: Required<Pick<SlurmOptions, 'pollMs' | 'resultGraceMs' | 'cpusPerTask'>> & SlurmOptions;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private polling = false;
  private warnedSqueue = false;

  constructor(
    private readonly jobs: readonly ResolvedJob[],
    options: SlurmOptions,
    private readonly tracker: SlurmRunTracker,
    private readonly env: Record<string, string>,
    runDir: string | undefined,
    private readonly timeoutMs: number,
    private readonly rootDir: string,
  ) {
    checkSlurmOptions(options);
    this.options = { pollMs: 2000, resultGraceMs: 15000, cpusPerTask: 1, ...options };
    const dir = path.resolve(options.dir ?? path.join(rootDir, 'out', 'slurm'));
    this.runDir = runDir === undefined ? path.join(dir, `run-${runKey(jobs)}`) : path.resolve(runDir);
  }

  /** The array indices submitted by this run, per sbatch (for reports and tests). */
  readonly submitted: Submission[] = [];

  async start(): Promise<void> {
    this.prepare();
    for (let i = 0; i < this.jobs.length; i++) {
      const r = readResult(this.runDir, i);
      if (r) this.complete(r);
    }
    if (this.done.size === this.jobs.length) return;
    await this.adopt();
    const missing = [];
    for (let i = 0; i < this.jobs.length; i++) if (!this.done.has(i) && !this.members.has(i)) missing.push(i);
    if (missing.length > 0) {
      // An array holds at most MaxArraySize tasks (indices 0..MaxArraySize-1): more members, more arrays.
      const size = await maxArraySize();
      for (let i = 0; i < missing.length && !this.stopped; i += size) await this.submit(missing.slice(i, i + size));
    }
    if (this.stopped) return;
    this.schedule(0);
  }

  /** Stops following the run and scancels its arrays, leaving its members unfinished (start() failed). */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.arrays.size > 0) spawnSync('scancel', [...this.arrays], { encoding: 'utf8' });
  }

  /** Cancels the run's arrays; unfinished members fail with `name` (finished results are kept in the folder). */
  cancel(why: string, name = 'AbortError'): void {
    if (this.stopped) return;
    this.halt();
    for (let i = 0; i < this.jobs.length; i++) {
      if (this.done.has(i)) continue;
      const r = readResult(this.runDir, i);
      if (r) {
        this.complete(r);
        continue;
      }
      const m = this.members.get(i);
      const started = m !== undefined && m.state !== 'PENDING';
      const where = m ? ` (Slurm task ${m.task} cancelled)` : '';
      this.complete({
        ok: false, ms: 0, jobIndex: i, pid: null,
        error: { name, message: `${why} ${started ? 'while the job ran' : 'before it started'}${where}`, stack: '', slurmState: 'CANCELLED' },
      });
    }
  }

  // ---- the run folder

  private prepare(): void {
    for (const sub of ['args', 'submit', 'results', 'progress', 'logs', 'exit']) fs.mkdirSync(path.join(this.runDir, sub), { recursive: true });
    const key = runKey(this.jobs);
    const manifest = path.join(this.runDir, 'run.json');
    if (fs.existsSync(manifest)) {
      const old = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { key: string; total: number };
      if (old.key !== key) {
        throw new ArgumentError('runDir', `a run folder of these jobs or a new one (${this.runDir} holds a run of other jobs or other code, key ${old.key} against ${key}; delete it or choose another)`, this.runDir);
      }
    } else {
      writeAtomically(manifest, JSON.stringify({ key, total: this.jobs.length, created: new Date().toISOString() }, null, 1));
    }
    for (let i = 0; i < this.jobs.length; i++) {
      const file = path.join(this.runDir, 'args', `${i}.bin`);
      if (!fs.existsSync(file)) writeAtomically(file, v8.serialize(this.jobs[i]));
    }
  }

  private submissions(): Submission[] {
    try {
      return fs.readFileSync(path.join(this.runDir, 'submissions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Submission);
    } catch {
      return [];
    }
  }

  /** Members of earlier submissions that Slurm still has queued or running are followed, not submitted again. */
  private async adopt(): Promise<void> {
    const earlier = this.submissions();
    if (earlier.length === 0) return;
    const states = await this.queueStates(earlier.map((s) => s.jobId));
    if (states === null) throw new Error(`squeue failed; cannot tell whether earlier submissions of ${this.runDir} still run`);
    for (const s of earlier) {
      s.members.forEach((jobIndex, t) => {
        const task = `${s.jobId}_${t}`;
        const state = states.get(task);
        // A task cancelled or ending now is not followed: its member is submitted again unless it left a result.
        if (state === undefined || ENDING.has(state) || this.done.has(jobIndex)) return;
        this.members.set(jobIndex, { jobIndex, task, state, goneSince: null });
        this.arrays.add(s.jobId);
      });
    }
  }

  private batchScript(): string {
    const nodeBin = this.options.node ?? process.execPath;
    const worker = path.join(__dirname, 'pool-worker.js');
    const exports = Object.entries(this.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    return [
      '#!/bin/bash',
      '# Written by lib/core/slurm.ts: one member of a job array of the pool. Argument: the submission number.',
      'threads="${SLURM_CPUS_PER_TASK:-1}"',
      'export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"',
      ...exports,
      `cd ${shellQuote(process.cwd())} 2>/dev/null || cd ${shellQuote(this.rootDir)}`,
      `record=${shellQuote(path.join(this.runDir, 'exit'))}/"\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"`,
      // The exit record tells the caller how the task ended after Slurm has forgotten the job.
      'note() { printf "%s\\n" "$1" > "$record.tmp" && mv "$record.tmp" "$record"; }',
      'trap \'note "signal TERM"; kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143\' TERM',
      `${shellQuote(nodeBin)} ${shellQuote(worker)} --slurm-task ${shellQuote(this.runDir)} "$1" &`,
      'child=$!',
      'wait "$child"',
      'code=$?',
      'note "exit $code"',
      'exit "$code"',
      '',
    ].join('\n');
  }

  private async submit(missing: number[]): Promise<void> {
    const number = this.submissions().reduce((m, s) => Math.max(m, s.submission + 1), 0);
    writeAtomically(path.join(this.runDir, 'submit', `${number}.json`), JSON.stringify({ members: missing }));
    const script = path.join(this.runDir, 'batch.sh');
    writeAtomically(script, this.batchScript());
    fs.chmodSync(script, 0o755);
    const o = this.options;
    const array = `0-${missing.length - 1}${o.throttle ? `%${o.throttle}` : ''}`;
    const time = o.time ?? (Number.isFinite(this.timeoutMs) ? String(Math.max(1, Math.ceil(this.timeoutMs / 60000))) : undefined);
    const args = [
      '--parsable', `--array=${array}`, `--job-name=ldl-${path.basename(this.runDir)}`,
      `--cpus-per-task=${o.cpusPerTask}`, '--ntasks=1',
      `--output=${path.join(this.runDir, 'logs', '%A_%a.out')}`, `--error=${path.join(this.runDir, 'logs', '%A_%a.err')}`,
      ...(o.partition ? [`--partition=${o.partition}`] : []),
      ...(time ? [`--time=${time}`] : []),
      ...(o.memory ? [`--mem=${o.memory}`] : []),
      ...(o.account ? [`--account=${o.account}`] : []),
      ...(o.extraArgs ?? []),
      script, String(number),
    ];
    const r = await run('sbatch', args);
    if (r.code !== 0) {
      const why = r.code === 127 ? 'sbatch was not found (is this a Slurm login node? is PATH set?)' : r.stderr.trim();
      throw new Error(`WorkerPool.run (slurm): sbatch failed: ${why}\n  command: sbatch ${args.join(' ')}`);
    }
    const jobId = r.stdout.trim().split(';')[0];
    const sub: Submission = { jobId, submission: number, members: missing, array };
    fs.appendFileSync(path.join(this.runDir, 'submissions.jsonl'), `${JSON.stringify(sub)}\n`);
    this.submitted.push(sub);
    this.arrays.add(jobId);
    missing.forEach((jobIndex, t) => this.members.set(jobIndex, { jobIndex, task: `${jobId}_${t}`, state: 'PENDING', goneSince: null }));
    // An abort while sbatch ran could not cancel what it did not know yet.
    if (this.stopped) spawnSync('scancel', [jobId], { encoding: 'utf8' });
  }

  // ---- following the run

  /** squeue's state of every array task of these jobs ("A_t" -> state), or null when squeue failed. */
  private async queueStates(jobIds: string[]): Promise<Map<string, string> | null> {
    const states = new Map<string, string>();
    if (jobIds.length === 0) return states;
    const r = await run('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T']);
    if (r.code !== 0) {
      // squeue says so when every one of the jobs has left the controller.
      if (/Invalid job id/i.test(r.stderr)) return states;
      if (!this.warnedSqueue) console.error(`WorkerPool (slurm): squeue failed, retrying: ${r.stderr.trim()}`);
      this.warnedSqueue = true;
      return null;
    }
    for (const line of r.stdout.split('\n')) {
      const [id, state] = line.trim().split('|');
      if (id && state) states.set(id, state);
    }
    return states;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.poll().catch((e) => console.error(`WorkerPool (slurm): following the run failed: ${(e as Error).message}`)).finally(() => {
        if (this.done.size < this.jobs.length) this.schedule(this.options.pollMs);
      });
    }, ms);
  }

  private complete(result: JobResult<unknown>): void {
    if (this.done.has(result.jobIndex)) return;
    this.done.add(result.jobIndex);
    this.members.delete(result.jobIndex);
    this.tracker.finish(result, false);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const states = await this.queueStates([...this.arrays]);
      if (this.stopped) return;
      let running = 0;
      // One listing per poll rather than one failed open per waiting member (thousands, on a network filesystem).
      const present = new Set(fs.readdirSync(path.join(this.runDir, 'results')));
      for (const m of [...this.members.values()]) {
        const result = present.has(`${m.jobIndex}.bin`) ? readResult(this.runDir, m.jobIndex) : null;
        if (result) {
          this.complete(result);
          continue;
        }
        if (states === null) continue;
        const state = states.get(m.task);
        if (state !== undefined) {
          m.state = state;
          m.goneSince = null;
          if (state === 'RUNNING' || state === 'COMPLETING') {
            running++;
            this.readProgress(m.jobIndex);
          }
          continue;
        }
        m.goneSince ??= Date.now();
        await this.reportGone(m);
      }
      this.tracker.running = running;
    } finally {
      this.polling = false;
    }
  }

  private readProgress(jobIndex: number): void {
    const file = path.join(this.runDir, 'progress', `${jobIndex}.json`);
    try {
      const mtime = fs.statSync(file).mtimeMs;
      if (this.progressSeen.get(jobIndex) === mtime) return;
      this.progressSeen.set(jobIndex, mtime);
      const p = JSON.parse(fs.readFileSync(file, 'utf8')) as { fraction: number; message?: string };
      this.tracker.jobProgress(jobIndex, p.fraction, p.message);
    } catch {
      // none yet, or replaced while read: the next poll reads it
    }
  }

  /** A member left the queue without a result: find out how it ended and fail it (after a grace for results still on their way). */
  private async reportGone(m: Member): Promise<void> {
    let state = '';
    let detail = '';
    const q = await run('scontrol', ['show', 'job', '-o', m.task]);
    const fields = new Map(q.code === 0 ? q.stdout.trim().split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]) : []);
    if (fields.has('JobState')) {
      state = fields.get('JobState') as string;
      detail = `Reason=${fields.get('Reason') ?? '?'} ExitCode=${fields.get('ExitCode') ?? '?'}`;
      if (state === 'TIMEOUT') detail += ` TimeLimit=${fields.get('TimeLimit') ?? '?'}`;
    } else {
      // Slurm has forgotten the job: the task's own exit record says how it ended.
      let record = '';
      try {
        record = fs.readFileSync(path.join(this.runDir, 'exit', m.task), 'utf8').trim();
      } catch {
        // none: killed before it could write one
      }
      if (record === 'exit 0') state = 'COMPLETED';
      else if (record.startsWith('exit ')) state = 'FAILED';
      else if (record === 'signal TERM') state = 'TERMINATED';
      else state = 'UNKNOWN';
      detail = record ? `exit record: ${record}` : 'no exit record';
    }
    // Only a member that ran to its end can have a result on its way.
    const mayHaveResult = state === 'COMPLETED' || state === 'FAILED' || state === 'UNKNOWN' || state === 'COMPLETING';
    if (mayHaveResult && Date.now() - (m.goneSince as number) < this.options.resultGraceMs) return;
    const result = readResult(this.runDir, m.jobIndex);
    if (result) {
      this.complete(result);
      return;
    }
    const [arrayId, t] = m.task.split('_');
    const err = tail(path.join(this.runDir, 'logs', `${arrayId}_${t}.err`), 1500);
    const message = `job ${m.jobIndex} (Slurm task ${m.task}) ended ${state} without a result (${detail})` +
      (err ? `; its stderr ended with:\n${err}` : '; its stderr is empty');
    this.complete({ ok: false, ms: 0, jobIndex: m.jobIndex, pid: null, error: { name: errorName(state), message, stack: '', slurmState: state } });
  }
}
