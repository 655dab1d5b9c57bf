import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  WorkerPool, runJobs, closeDefaultPool, defaultPool, jobValues, JobFailedError, initBackend, nativeAvailable,
  setBlasThreads, blasThreads, ArgumentError, PROJECT_ROOT, setGemmImpl, nativeAddon, InterruptedError, requestInterrupt, clearInterrupt,
  type Job, type JobResult, type PoolProgressReport, type NativeAddon,
} from '../../lib/core';
import { seededComputation, type SeededResult } from './fixtures/pool-jobs';

const JOBS = 'test/core/fixtures/pool-jobs';
const job = (exportName: string, args?: unknown): Job => ({ module: JOBS, export: exportName, args });

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilDead(pids: number[], ms = 3000): Promise<number[]> {
  const end = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    alive = alive.filter(isAlive);
  }
  return alive;
}

function failure<T>(r: JobResult<T>): { name: string; message: string } {
  assert.equal(r.ok, false, `job ${r.jobIndex} was expected to fail`);
  return (r as Extract<JobResult<T>, { ok: false }>).error;
}

let pool: WorkerPool;
const seenPids = new Set<number>();

before(async () => {
  await initBackend({ print: false });
  pool = new WorkerPool({ size: 2, output: 'silent' });
});

after(async () => {
  await pool.close();
  await closeDefaultPool();
});

test('results come back in job order with structured-cloned values (typed arrays, maps) from other processes', async () => {
  const jobs = Array.from({ length: 7 }, (_, i) =>
    job('identity', { i, data: Float64Array.from([i, i / 3, -i]), tags: new Map([['seed', i]]) }),
  );
  const results = await pool.run<{ args: { i: number; data: Float64Array; tags: Map<string, number> }; jobIndex: number; pid: number }>(jobs, { progress: false });
  assert.equal(results.length, 7);
  const values = jobValues(results);
  values.forEach((v, i) => {
    assert.equal(results[i].jobIndex, i);
    assert.equal(v.jobIndex, i);
    assert.equal(v.args.i, i);
    assert.ok(v.args.data instanceof Float64Array);
    assert.deepEqual(Array.from(v.args.data), [i, i / 3, -i]);
    assert.ok(v.args.tags instanceof Map && v.args.tags.get('seed') === i);
    assert.notEqual(v.pid, process.pid);
    seenPids.add(v.pid);
  });
  assert.ok(new Set(values.map((v) => v.pid)).size <= 2, 'at most `size` worker processes');
});

/**
 * The bytes of a typed array's own view. A typed array received from a worker
 * may be a view into the whole IPC message buffer (Node's deserializer does
 * that when the offset happens to be aligned), so `.buffer` alone is not it.
 */
function bytesOf(x: Float32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

test('a seeded job (Rng + tfjs ops + core gemm) gives bitwise the same numbers in a worker as in this process', async () => {
  // The contract holds against a main process whose BLAS is pinned to one thread, like the workers'.
  const mainThreads = blasThreads();
  if (nativeAvailable()) setBlasThreads(1);
  try {
    const argsList = [
      { seed: 11, m: 37, n: 23, k: 41 },
      { seed: 12, m: 64, n: 65, k: 129 },
    ];
    const local: SeededResult[] = [];
    for (const a of argsList) local.push(await seededComputation(a));
    const remote = jobValues(await pool.run<SeededResult>(argsList.map((a) => job('seededComputation', a)), { progress: false }));
    for (let i = 0; i < argsList.length; i++) {
      const [l, r] = [local[i], remote[i]];
      assert.equal(r.backend, l.backend, 'the worker uses the parent backend');
      if (nativeAvailable()) assert.equal(r.blasThreads, 1, 'the worker BLAS is pinned to one thread');
      assert.ok(r.viaTfjs instanceof Float32Array && r.viaGemm instanceof Float32Array);
      assert.equal(r.viaTfjs.length, argsList[i].m * argsList[i].n + argsList[i].m);
      assert.ok(bytesOf(r.viaTfjs).equals(bytesOf(l.viaTfjs)), 'tfjs output bytes differ');
      assert.ok(bytesOf(r.viaGemm).equals(bytesOf(l.viaGemm)), 'gemm output bytes differ');
      assert.ok(Object.is(r.normalSum, l.normalSum));
    }
    // The comparison can fail: another seed changes the bytes.
    assert.notDeepEqual(Array.from(remote[0].viaGemm.slice(0, 10)), Array.from(local[1].viaGemm.slice(0, 10)));

    // Where the parent runs gemm in JavaScript (the add-on did not load there), the workers follow it.
    if (nativeAvailable()) {
      const native = nativeAddon() as NativeAddon;
      setGemmImpl(null);
      try {
        const localJs = await seededComputation(argsList[1]);
        const [remoteJs] = jobValues(await pool.run<SeededResult>([job('seededComputation', argsList[1])], { progress: false }));
        assert.ok(bytesOf(remoteJs.viaGemm).equals(bytesOf(localJs.viaGemm)), 'JS gemm bytes differ');
        assert.ok(!bytesOf(localJs.viaGemm).equals(bytesOf(local[1].viaGemm)), 'JS and BLAS gemm should differ in the last bits');
      } finally {
        setGemmImpl(native.gemm);
      }
    }
  } finally {
    if (nativeAvailable() && mainThreads !== null) setBlasThreads(mainThreads);
  }
});

test('a throwing job and crashing workers (exit, abort) report errors; the other results are kept and the pool goes on', async () => {
  const jobs = [
    job('identity', 0), job('throwsError', { text: 'job one' }), job('identity', 2),
    job('exitsProcess', { code: 7 }), job('abortsProcess'), job('identity', 5),
    job('returnsFunction'), job('returnsTensor'),
  ];
  const results = await pool.run<{ args: number }>(jobs, { progress: false });
  for (const i of [0, 2, 5]) {
    assert.equal(results[i].ok, true, `job ${i}`);
    assert.equal((results[i] as { value: { args: number } }).value.args, i);
  }
  const thrown = failure(results[1]);
  assert.equal(thrown.name, 'RangeError');
  assert.match(thrown.message, /deliberate failure: job one/);
  assert.match((results[1] as { error: { stack: string } }).error.stack, /pool-jobs\.ts/);
  const exited = failure(results[3]);
  assert.equal(exited.name, 'WorkerExitError');
  assert.match(exited.message, /exited with code 7 while running job 3/);
  const aborted = failure(results[4]);
  assert.equal(aborted.name, 'WorkerExitError');
  assert.match(aborted.message, /killed by SIGABRT while running job 4/);
  assert.match(failure(results[6]).message, /is a function/);
  assert.match(failure(results[7]).message, /tf\.Tensor/);
  assert.throws(() => jobValues(results), (e: unknown) => e instanceof JobFailedError && /5 of 8 jobs failed/.test(e.message));
  // Dead workers were replaced: the pool still runs jobs, on at most `size` live processes.
  const again = jobValues(await pool.run<{ args: number }>([job('identity', 10), job('identity', 11)], { progress: false }));
  assert.deepEqual(again.map((v) => v.args), [10, 11]);
  assert.ok(pool.pids().length <= 2);
  pool.pids().forEach((p) => seenPids.add(p));
});

test('progress messages arrive and aggregate into an overall fraction', async () => {
  const reports: PoolProgressReport[] = [];
  const progressPool = new WorkerPool({ size: 2, output: 'silent', progressIntervalMs: 0 });
  try {
    const results = await progressPool.run<number>(
      [0, 1, 2].map((x) => job('squareWithProgress', { x: x + 1, steps: 4, stepMs: 20 })),
      { onProgress: (r) => reports.push(r), progress: false },
    );
    assert.deepEqual(jobValues(results), [1, 4, 9]);
  } finally {
    await progressPool.close();
  }
  for (let j = 0; j < 3; j++) {
    const messages = reports.filter((r) => r.jobIndex === j).map((r) => r.message);
    assert.deepEqual(messages, ['step 1 of 4', 'step 2 of 4', 'step 3 of 4', 'step 4 of 4', 'done'], `job ${j}`);
  }
  // Overall fraction = mean of per-job fractions: recompute it from the reports themselves.
  const latest = [0, 0, 0];
  for (const r of reports) {
    latest[r.jobIndex] = r.jobFraction;
    assert.ok(Math.abs(r.fraction - (latest[0] + latest[1] + latest[2]) / 3) < 1e-12);
    assert.equal(r.total, 3);
  }
  const last = reports[reports.length - 1];
  assert.equal(last.fraction, 1);
  assert.equal(last.completed, 3);
  assert.equal(last.failed, 0);
});

test('a job over its time limit fails with TimeoutError; an aborted run keeps finished results', async () => {
  const t0 = Date.now();
  const timed = await pool.run<number>([job('spins', { ms: 20000 }), job('identity', 1)], { timeoutMs: 500, progress: false });
  assert.equal(failure(timed[0]).name, 'TimeoutError');
  assert.equal(timed[1].ok, true);
  assert.ok(Date.now() - t0 < 10000, 'the stuck worker was killed, not waited for');

  const controller = new AbortController();
  const pending = pool.run<number>([job('identity', 0), job('spins', { ms: 20000 }), job('spins', { ms: 20000 }), job('identity', 3)], {
    signal: controller.signal,
    progress: false,
    onProgress: (r) => {
      if (r.completed >= 1) controller.abort();
    },
  });
  const results = await pending;
  assert.equal(results[0].ok, true);
  for (const i of [1, 2, 3]) assert.equal(failure(results[i]).name, 'AbortError', `job ${i}`);
});

test('an interrupt cancels the queue, kills the workers running the run\'s jobs and rejects with every result, the finished ones kept', async () => {
  const jobs = [job('identity', 0), job('spins', { ms: 20000 }), job('spins', { ms: 20000 }), job('identity', 3), job('identity', 4)];
  let busyPids: number[] = [];
  const e = await pool
    .run<number>(jobs, {
      progress: false,
      onProgress: (r) => {
        if (r.completed >= 1 && r.running >= 1) {
          busyPids = pool.pids();
          requestInterrupt();
        }
      },
    })
    .catch((x) => x);
  try {
    assert.ok(e instanceof InterruptedError, String(e));
    assert.equal(e.what, 'WorkerPool.run');
    const results = e.partial as JobResult<number>[];
    assert.equal(results.length, 5);
    assert.equal(results[0].ok, true);
    const stopped = results.filter((r) => !r.ok && r.error.name === 'InterruptedError');
    assert.ok(stopped.length >= 2, 'the spinning jobs were stopped');
    assert.match(e.message, /WorkerPool.run was interrupted after \d of 5 jobs had finished \(jobs 0[,)]/);
    // Stopped while running (a 20 s spin cannot have finished) and never started, each said so.
    assert.ok(stopped.some((r) => r.error!.message.endsWith('while the job ran')), 'a running job was stopped');
    assert.ok(stopped.some((r) => r.error!.message.endsWith('before it started')), 'a queued job was cancelled');
    assert.ok(busyPids.length > 0);
    // The workers that ran the spinning jobs are gone; the flag stays until cleared, so a new run stops at once.
    assert.ok((await waitUntilDead(busyPids.filter((p) => !pool.pids().includes(p)))).length === 0);
    await assert.rejects(pool.run([job('identity', 1)], { progress: false }), /WorkerPool.run was interrupted after 0 of 1 jobs/);
  } finally {
    clearInterrupt();
  }
  assert.equal((await pool.run<{ args: number }>([job('identity', 1)], { progress: false }))[0].ok, true, 'the pool goes on after the interrupt is cleared');
});

test('a worker killed by SIGINT (Jupyter and terminals signal the whole process group) fails its job as interrupted, not as a crash', async () => {
  let signalled = false;
  const [r] = await pool.run<number>([job('squareWithProgress', { x: 2, steps: 400, stepMs: 50 })], {
    progress: false,
    // Once the job runs, signal the workers as a process group would.
    onProgress: () => {
      if (!signalled) for (const pid of pool.pids()) process.kill(pid, 'SIGINT');
      signalled = true;
    },
  });
  const e = failure(r);
  assert.equal(e.name, 'InterruptedError');
  assert.match(e.message, /was killed by SIGINT while running job 0/);
});

test('bad arguments throw errors that name the argument', async () => {
  await assert.rejects(pool.run('x' as unknown as Job[]), (e: unknown) => e instanceof ArgumentError && e.argument === 'jobs');
  await assert.rejects(pool.run([job('identity'), null as unknown as Job]), /jobs\[1\]: expected an object/);
  await assert.rejects(
    pool.run([job('identity'), { module: 'test/core/fixtures/no-such-module', export: 'f' }]),
    (e: unknown) => e instanceof ArgumentError && e.argument === 'jobs[1].module' && /no-such-module\.ts/.test(e.message),
  );
  await assert.rejects(pool.run([{ module: JOBS, export: '' }]), /jobs\[0\]\.export: expected the name of an exported function/);
  await assert.rejects(
    pool.run([job('identity'), job('notAFunction')]),
    (e: unknown) => e instanceof ArgumentError && e.argument === 'jobs[1].export' && /its functions: .*seededComputation/.test(e.message),
  );
  await assert.rejects(pool.run([job('noSuchExport')]), /jobs\[0\]\.export: expected the name of a function exported by/);
  await assert.rejects(pool.run([job('identity', { f: () => 1 })]), /jobs\[0\]\.args: expected a structured-cloneable value \(jobs\[0\]\.args\["f"\] is a function\)/);
  await assert.rejects(
    pool.run([{ module: 'test/core/fixtures/pool-broken-module', export: 'neverReached' }]),
    (e: unknown) => e instanceof Error && e.name === 'ModuleLoadError' && /fails on purpose/.test(e.message),
  );
  assert.throws(() => new WorkerPool({ size: 0 }), /size: expected an integer in \[1, 1024\], got 0/);
  assert.throws(() => new WorkerPool({ timeoutMs: -5 }), /timeoutMs: expected a finite number/);
  assert.throws(() => new WorkerPool({ backend: 'gpu' as 'cpu' }), /backend: expected one of/);
  await assert.rejects(pool.run([job('identity')], { timeoutMs: 0 }), /timeoutMs/);
  assert.deepEqual(await pool.run([]), []);
});

test('workers that cannot start (unavailable backend) fail the run with the reason instead of retrying forever', async () => {
  const broken = new WorkerPool({ size: 1, output: 'silent', backend: 'tensorflow' });
  try {
    await assert.rejects(broken.run([job('identity', 1)], { progress: false }), (e: unknown) =>
      e instanceof Error && e.name === 'WorkerStartError' && /could not start: .*backend "tensorflow" is not available/.test(e.message));
  } finally {
    await broken.close();
  }
});

test('an idle worker whose job module was edited is replaced, so the new code runs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-pool-'));
  const file = path.join(dir, 'edited.ts');
  try {
    fs.writeFileSync(file, 'export function version(): number { return 1; }\n');
    const small = new WorkerPool({ size: 1, output: 'silent' });
    try {
      const first = jobValues(await small.run<number>([{ module: file, export: 'version' }], { progress: false }));
      fs.writeFileSync(file, 'export function version(): number { return 2; }\n');
      const later = new Date(Date.now() + 5000);
      fs.utimesSync(file, later, later);
      const second = jobValues(await small.run<number>([{ module: file, export: 'version' }], { progress: false }));
      assert.deepEqual([first[0], second[0]], [1, 2]);
    } finally {
      await small.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runJobs uses a shared pool; a script that never closes it still exits and leaves no worker behind', async () => {
  const values = jobValues(await runJobs<{ args: number }>([job('identity', 1), job('identity', 2)], { progress: false }));
  assert.deepEqual(values.map((v) => v.args), [1, 2]);
  const shared = defaultPool().pids();
  assert.ok(shared.length >= 1);
  await closeDefaultPool();
  assert.deepEqual(await waitUntilDead(shared), []);

  const script = [
    `const { runJobs } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'lib/core'))});`,
    `runJobs([{ module: ${JSON.stringify(JOBS)}, export: 'identity', args: 1 }], { progress: false })`,
    `  .then((r) => console.log(JSON.stringify({ ok: r[0].ok, pid: r[0].value.pid, at: Date.now() })));`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30000 });
  assert.equal(child.status, 0, child.stderr);
  const out = JSON.parse(child.stdout.trim().split('\n').pop() as string);
  assert.equal(out.ok, true);
  // Timed from the result to the exit, so a slow start on a loaded machine does not count.
  assert.ok(Date.now() - out.at < 5000, `the script waited ${Date.now() - out.at} ms after its result: not the 10 s idle shutdown`);
  assert.deepEqual(await waitUntilDead([out.pid]), [], 'the worker outlived its parent');
});

// The kernel loads lib-build/ (scripts/build-lib.cjs), whose core holds .js files only; its copy of the worker must still start and configure lib/core.
const buildLib = require(path.join(PROJECT_ROOT, 'scripts', 'build-lib.cjs')) as { buildDir: string; buildState(): { fresh: boolean; reason?: string } };
const built = buildLib.buildState();
test('a worker started from the precompiled lib-build/core runs jobs with lib/core\'s sources, not a second core', { skip: built.fresh ? false : `lib-build/ is not fresh (${built.reason}); setup builds it` }, async () => {
  const child = fork(path.join(buildLib.buildDir, 'core', 'pool-worker.js'), [], {
    execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, LDL_POOL_WORKER: '1' },
  });
  try {
    const [ready] = (await once(child, 'message')) as [{ type: string; error?: { message: string } }];
    assert.equal(ready.type, 'ready', `the worker did not start: ${ready.error?.message}`);
    child.send({ type: 'run', id: 1, jobIndex: 0, module: path.join(PROJECT_ROOT, `${JOBS}.ts`), export: 'identity', args: 5, progressIntervalMs: 100 });
    const [result] = (await once(child, 'message')) as [{ ok: boolean; value: { args: number }; loaded: [string, number][] }];
    assert.equal(result.ok, true);
    assert.equal(result.value.args, 5);
    const files = result.loaded.map(([f]) => f);
    assert.ok(files.includes(path.join(PROJECT_ROOT, 'lib', 'core', 'gemm.ts')), 'lib/core/gemm.ts is loaded');
    assert.deepEqual(files.filter((f) => f.startsWith(buildLib.buildDir)), [], 'nothing of lib-build/ besides the worker itself');
  } finally {
    child.kill('SIGKILL');
  }
});

test('close() ends every worker process', async () => {
  const pids = pool.pids();
  pids.forEach((p) => seenPids.add(p));
  await pool.close();
  assert.deepEqual(pool.pids(), []);
  assert.deepEqual(await waitUntilDead([...seenPids]), []);
  await assert.rejects(pool.run([job('identity')]), /the pool is closed/);
});
