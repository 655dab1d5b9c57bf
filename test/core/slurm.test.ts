/**
 * The pool's Slurm executor (lib/core/slurm.ts) on a real one-node Slurm
 * cluster that this file starts (scripts/slurm-cluster.mjs) and stops. No
 * mocks: sbatch, squeue, scontrol and scancel are Slurm's own. Skips, saying
 * why, where Slurm is not installed or the test does not run as root.
 *
 * The cluster allows arrays of at most 5 tasks, so that eight jobs take two
 * arrays, and declares one CPU slot more than the machine has cores: the
 * time-limit member only sleeps, and it runs beside the other tests from the
 * start because Slurm enforces limits in whole minutes (and checks them every
 * 30 s), which sets this file's duration (~1.5 min).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerPool, initBackend, jobValues, requestInterrupt, clearInterrupt, InterruptedError, runJobs, closeDefaultPool, setExecutor, executorSettings, type Job, type JobResult, type PoolProgressReport } from '../../lib/core';
import { mlp, type TrainingJob, type TrainingJobResult } from '../../lib/rules';
import { blobs } from '../rules/helpers';
import { slurmSkipReason, startTestCluster, type TestCluster } from './slurm-cluster';

const skip = slurmSkipReason();
const POOL_JOBS = 'test/core/fixtures/pool-jobs';
const SLURM_JOBS = 'test/core/fixtures/slurm-jobs';

let cluster: TestCluster;
let runs: string;
let slurm: WorkerPool;
let timeoutRun: Promise<JobResult[]>;

/** Eight seeded training jobs: an MLP per seed on Gaussian blobs, through the trainer's own pool job. */
function trainingJobs(): Job<TrainingJob>[] {
  const data = { train: blobs(240, 3), test: blobs(90, 4) };
  return Array.from({ length: 8 }, (_, seed) => ({
    module: 'lib/rules/trainer',
    export: 'runTrainingJob',
    args: {
      label: `seed ${seed}`,
      network: mlp({ inputSize: 10, hidden: [12], classes: 3, seed }),
      data,
      train: { epochs: 3, batchSize: 24, seed, optimizer: { type: 'sgd' as const, lr: 0.05 }, alignment: false },
    },
  }));
}

/** A training result without its wall times, which no two runs share. */
function timeless(r: TrainingJobResult): unknown {
  const { seconds: _s, ...history } = r.history;
  return { ...r, history: { ...history, records: history.records.map(({ seconds: _t, ...rec }) => rec) } };
}

function failure(r: JobResult): NonNullable<JobResult['error']> {
  assert.equal(r.ok, false, `job ${r.jobIndex} was expected to fail`);
  return r.error as NonNullable<JobResult['error']>;
}

/** The array jobs submitted to a run folder, as its submissions.jsonl lists them. */
function submissions(runDir: string): { jobId: string; members: number[]; array: string }[] {
  return fs.readFileSync(path.join(runDir, 'submissions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Array tasks of one array job that Slurm actually started (each leaves its stderr log). */
function tasksStarted(runDir: string, jobId: string): number {
  return fs.readdirSync(path.join(runDir, 'logs')).filter((f) => f.startsWith(`${jobId}_`) && f.endsWith('.err')).length;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let localReference: TrainingJobResult[];

before(async () => {
  if (skip) return;
  await initBackend({ print: false });
  cluster = startTestCluster(os.availableParallelism() + 1, 5);
  runs = path.join(cluster.dir, 'runs');
  slurm = new WorkerPool({ executor: 'slurm', output: 'silent', slurm: { dir: runs, pollMs: 250, resultGraceMs: 1000 } });
  // Started now, awaited by its test: a member sleeping past a one-minute limit, and one that finishes.
  const limited = new WorkerPool({ executor: 'slurm', slurm: { dir: runs, pollMs: 500, time: '1' } });
  timeoutRun = limited.run([
    { module: SLURM_JOBS, export: 'sleeps', args: { ms: 150000 } },
    { module: SLURM_JOBS, export: 'sleeps', args: { ms: 10 } },
  ], { progress: false });
  timeoutRun.catch(() => undefined);
});

after(async () => {
  if (skip) return;
  await slurm.close();
  const pids = Object.values(cluster.pids()).filter((p): p is number => p !== null);
  cluster.stop();
  assert.equal(pids.length, 3, 'munged, slurmctld and slurmd were running');
  assert.deepEqual(pids.filter(isAlive), [], 'the daemons are stopped');
});

test('eight seeded training jobs through Slurm return bitwise the values the local pool returns; a finished run submits nothing', { skip }, async () => {
  const jobs = trainingJobs();
  const local = new WorkerPool({ executor: 'local', size: 2, output: 'silent' });
  try {
    localReference = jobValues(await local.run<TrainingJobResult>(jobs, { progress: false }));
  } finally {
    await local.close();
  }
  const reports: PoolProgressReport[] = [];
  const results = await slurm.run<TrainingJobResult>(jobs, { progress: false, onProgress: (r) => reports.push(r) });
  assert.deepEqual(results.map((r) => r.jobIndex), [0, 1, 2, 3, 4, 5, 6, 7], 'results in job order');
  for (const r of results) assert.ok(r.ok && typeof r.pid === 'number' && r.ms > 0, `job ${r.jobIndex}: ${r.error?.message}`);
  const values = jobValues(results);
  // deepStrictEqual compares numbers with Object.is: every loss and accuracy bit for bit.
  assert.deepStrictEqual(values.map(timeless), localReference.map(timeless));
  // The comparison can fail: the seeds give different losses.
  assert.notEqual(values[0].history.records[3].trainLoss, values[1].history.records[3].trainLoss);
  assert.equal(reports.at(-1)?.completed, 8);
  assert.equal(reports.at(-1)?.fraction, 1);

  const runDir = path.join(runs, fs.readdirSync(runs).find((d) => fs.existsSync(path.join(runs, d, 'results', '7.bin'))) as string);
  assert.deepEqual(submissions(runDir).map((s) => [s.members, s.array]), [[[0, 1, 2, 3, 4], '0-4'], [[5, 6, 7], '0-2']], 'eight members in arrays of at most MaxArraySize = 5');
  const again = await slurm.run<TrainingJobResult>(jobs, { progress: false });
  assert.equal(submissions(runDir).length, 2, 'running a finished run again submits nothing');
  assert.deepStrictEqual(jobValues(again).map(timeless), localReference.map(timeless));
});

test('a member that throws is reported with its error, one that dies with its Slurm state and stderr; the others\' results and progress arrive', { skip }, async () => {
  const reports: PoolProgressReport[] = [];
  const results = await slurm.run<number>([
    { module: POOL_JOBS, export: 'squareWithProgress', args: { x: 3, steps: 4, stepMs: 700 } },
    { module: POOL_JOBS, export: 'throwsError', args: { text: 'member 1' } },
    { module: SLURM_JOBS, export: 'failsLoudly', args: { code: 3, line: 'member 2 gives up' } },
    { module: POOL_JOBS, export: 'squareWithProgress', args: { x: 5, steps: 1, stepMs: 1 } },
  ], { progress: false, onProgress: (r) => reports.push(r) });
  assert.equal(results[0].value, 9);
  assert.equal(results[3].value, 25);
  const thrown = failure(results[1]);
  assert.equal(thrown.name, 'RangeError');
  assert.match(thrown.message, /deliberate failure: member 1/);
  assert.match(thrown.stack, /throwsError/, 'the stack comes from the member');
  const died = failure(results[2]);
  assert.equal(died.slurmState, 'FAILED');
  assert.equal(died.name, 'WorkerExitError');
  assert.match(died.message, /job 2 \(Slurm task \d+_2\) ended FAILED without a result .*ExitCode=3:0/);
  assert.match(died.message, /member 2 gives up/, 'the tail of its stderr');
  // Progress files of the running member reach onProgress: a fraction strictly between 0 and 1.
  assert.ok(reports.some((r) => r.jobIndex === 0 && r.jobFraction > 0 && r.jobFraction < 1 && /step \d of 4/.test(r.message ?? '')),
    'a progress report of job 0 in mid-run');
});

test('an aborted run scancels its array and keeps the finished results; running it again submits only the missing members and equals an uninterrupted run', { skip }, async () => {
  const jobs = trainingJobs();
  const runDir = path.join(cluster.dir, 'resumed');
  const controller = new AbortController();
  const first = await slurm.run<TrainingJobResult>(jobs, {
    runDir, progress: false, signal: controller.signal,
    onProgress: (r) => { if (r.completed >= 2) controller.abort(); },
  });
  const finished = first.filter((r) => r.ok).map((r) => r.jobIndex);
  assert.ok(finished.length >= 2 && finished.length < 8, `finished before the abort: ${finished}`);
  for (const r of first.filter((x) => !x.ok)) {
    assert.equal(failure(r).name, 'AbortError');
    assert.equal(failure(r).slurmState, 'CANCELLED');
  }
  const firstArrays = submissions(runDir);
  assert.equal(firstArrays.length, 2);
  // scancel ended the arrays: Slurm no longer runs any of their tasks.
  const q = spawnSync('squeue', ['-h', '-j', firstArrays.map((s) => s.jobId).join(','), '-t', 'PENDING,RUNNING'], { encoding: 'utf8' });
  assert.equal(q.stdout.trim(), '', `tasks of the cancelled arrays still queued or running: ${q.stdout}`);

  const withResult = fs.readdirSync(path.join(runDir, 'results')).filter((f) => /^\d+\.bin$/.test(f)).map((f) => Number(f.split('.')[0])).sort((a, b) => a - b);
  const missing = jobs.map((_, i) => i).filter((i) => !withResult.includes(i));
  const second = await slurm.run<TrainingJobResult>(jobs, { runDir, progress: false });
  const resumed = submissions(runDir).slice(firstArrays.length);
  assert.deepEqual(resumed.flatMap((s) => s.members), missing, 'only the members without a result are submitted');
  for (const s of resumed) assert.equal(s.array, `0-${s.members.length - 1}`);
  assert.equal(resumed.reduce((n, s) => n + tasksStarted(runDir, s.jobId), 0), missing.length, 'array tasks that ran after the resubmission');
  assert.deepStrictEqual(jobValues(second).map(timeless), localReference.map(timeless));
});

test('a caller killed mid-run (a restarted kernel): running it again follows the members still queued or running instead of submitting them again', { skip }, async () => {
  const runDir = path.join(cluster.dir, 'adopted');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/core/fixtures/slurm-caller.ts', runDir], {
    cwd: path.join(__dirname, '..', '..'), stdio: 'ignore', env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  const end = Date.now() + 60000;
  while (!fs.existsSync(path.join(runDir, 'submissions.jsonl')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGKILL');
  const [sub] = submissions(runDir);
  const jobs = [0, 1].map((i) => ({ module: SLURM_JOBS, export: 'sleeps', args: { ms: 4000 + i } }));
  const results = await slurm.run<number>(jobs, { runDir, progress: false });
  assert.deepEqual(jobValues(results), [4000, 4001]);
  assert.deepEqual(submissions(runDir), [sub], 'nothing submitted again');
  assert.equal(tasksStarted(runDir, sub.jobId), 2);
});

test('study code does not change: runJobs goes to Slurm with LDL_EXECUTOR=slurm, and setExecutor() chooses over the environment', { skip }, async () => {
  const dir = path.join(cluster.dir, 'from-env');
  const saved = { ...process.env };
  Object.assign(process.env, { LDL_EXECUTOR: 'slurm', LDL_SLURM_DIR: dir, LDL_SLURM_TIME: '5', LDL_SLURM_CPUS: '1' });
  try {
    assert.deepEqual(executorSettings().slurm, { dir, time: '5', cpusPerTask: 1 });
    const [r] = await runJobs<{ jobIndex: number }>([{ module: POOL_JOBS, export: 'identity', args: { via: 'env' } }], { progress: false });
    assert.equal(r.value?.jobIndex, 0);
    const [runDir] = fs.readdirSync(dir);
    assert.equal(submissions(path.join(dir, runDir)).length, 1, 'the job went through sbatch');
    setExecutor('local');
    const [local] = await runJobs([{ module: POOL_JOBS, export: 'identity', args: { via: 'local' } }], { progress: false });
    assert.ok(local.ok);
    assert.deepEqual(fs.readdirSync(dir), [runDir], 'no new run folder: the local pool ran it');
  } finally {
    for (const k of ['LDL_EXECUTOR', 'LDL_SLURM_DIR', 'LDL_SLURM_TIME', 'LDL_SLURM_CPUS']) if (saved[k] === undefined) delete process.env[k];
    await closeDefaultPool();
  }
});

test('the daemons a suite starts are stopped at its end also when a test of it fails', { skip }, () => {
  const pidsFile = path.join(cluster.dir, 'failing-suite-pids.json');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/core/fixtures/slurm-failing-suite.ts'], {
    cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', env: { ...process.env, LDL_TEST_PIDS_FILE: pidsFile, NODE_TEST_CONTEXT: undefined },
  });
  assert.notEqual(r.status, 0, 'the suite failed');
  assert.match(r.stdout, /deliberate failure/);
  const pids = Object.values(JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as Record<string, number | null>);
  assert.equal(pids.filter((p) => p !== null).length, 3, 'it had started munged, slurmctld and slurmd');
  assert.deepEqual(pids.filter((p) => p !== null && isAlive(p)), []);
});

test('a member over its one-minute time limit is reported as TIMEOUT; the other member\'s result is returned', { skip, timeout: 180000 }, async () => {
  const [late, quick] = await timeoutRun;
  assert.equal(quick.value, 10);
  const e = failure(late);
  assert.equal(e.slurmState, 'TIMEOUT');
  assert.equal(e.name, 'TimeoutError');
  assert.match(e.message, /job 0 \(Slurm task \d+_0\) ended TIMEOUT without a result .*TimeLimit=00:01:00/);
});

// After the time-limit test: an interrupt stops every run of the process, that one's too.
test('an interrupt (lib/core requestInterrupt) scancels the run and rejects with the finished results kept', { skip }, async () => {
  const runDir = path.join(cluster.dir, 'interrupted');
  const jobs = [0, 1, 2].map((ms) => ({ module: SLURM_JOBS, export: 'sleeps', args: { ms: ms === 0 ? 10 : 60000 + ms } }));
  let raised = false;
  const running = slurm.run<number>(jobs, {
    runDir, progress: false,
    // Once: a later report with one job done must not raise it again after the test cleared it.
    onProgress: (r) => { if (r.completed === 1 && !raised) { raised = true; setTimeout(() => requestInterrupt(), 300); } },
  });
  try {
    await assert.rejects(running, (e: unknown) => {
      assert.ok(e instanceof InterruptedError);
      const partial = e.partial as JobResult<number>[];
      assert.equal(partial[0].value, 10);
      assert.equal(failure(partial[1]).name, 'InterruptedError');
      assert.equal(failure(partial[2]).slurmState, 'CANCELLED');
      return true;
    });
  } finally {
    clearInterrupt();
  }
  const [sub] = submissions(runDir);
  const q = spawnSync('squeue', ['-h', '-j', sub.jobId, '-t', 'PENDING,RUNNING'], { encoding: 'utf8' });
  assert.equal(q.stdout.trim(), '', 'no task of the interrupted array is left running');
});

test('closing the pool scancels its Slurm runs: unfinished members fail with PoolClosedError', { skip }, async () => {
  const pool = new WorkerPool({ executor: 'slurm', output: 'silent', slurm: { dir: runs, pollMs: 250 } });
  const runDir = path.join(cluster.dir, 'closed');
  const running = pool.run([{ module: SLURM_JOBS, export: 'sleeps', args: { ms: 60000 } }], { runDir, progress: false });
  const end = Date.now() + 60000;
  while (!fs.existsSync(path.join(runDir, 'submissions.jsonl')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  await pool.close();
  const [r] = await running;
  assert.equal(failure(r).name, 'PoolClosedError');
  const [sub] = submissions(runDir);
  const q = spawnSync('squeue', ['-h', '-j', sub.jobId, '-t', 'PENDING,RUNNING'], { encoding: 'utf8' });
  assert.equal(q.stdout.trim(), '', 'the array was cancelled');
});

test('bad executor options name the argument', () => {
  assert.throws(() => new WorkerPool({ executor: 'pbs' as 'slurm' }), /executor/);
  assert.throws(() => new WorkerPool({ executor: 'slurm', slurm: { time: 'an hour' } }), (e: Error) => /slurm\.time/.test(e.message));
  assert.throws(() => new WorkerPool({ executor: 'slurm', slurm: { cpusPerTask: 0 } }), (e: Error) => /slurm\.cpusPerTask/.test(e.message));
});
