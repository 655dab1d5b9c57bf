/**
 * Entry point of one worker process of the pool (lib/core/pool.ts).
 *
 * Plain JavaScript on purpose: it runs under bare `node` (the parent may be
 * tslab, tsx or plain node) and registers TypeScript itself through tsx's
 * CommonJS API so that jobs can be .ts modules.
 *
 * Protocol (IPC with 'advanced' serialization, so typed arrays survive):
 *   parent -> worker  { type: 'check', id, items: [{ module, export }] }
 *                     { type: 'run', id, jobIndex, module, export, args, progressIntervalMs }
 *   worker -> parent  { type: 'ready', backend, pid, blasThreads, gemmNative, loaded }
 *                     { type: 'startup-error', error }
 *                     { type: 'checked', id, problems: [{ item, kind, message, available }], loaded }
 *                     { type: 'progress', id, fraction, message }
 *                     { type: 'result', id, ok, value | error, ms, loaded }
 *
 * File mode, for the Slurm executor (slurm.ts): `node pool-worker.js
 * --slurm-task RUN_DIR SUBMISSION` runs one member of a job array. No IPC:
 * it reads submit/SUBMISSION.json (the job index of each array task),
 * args/<job>.bin (the job, v8-serialized), writes progress/<job>.json now and
 * then, and results/<job>.bin (v8-serialized { ok, value | error, ms, jobIndex,
 * pid, host }) through a temporary file and a rename, so the caller never
 * reads half a result. Its BLAS gets the CPUs Slurm gave the task.
 */
'use strict';

// BLAS thread pools are sized when the library loads, so pin them before
// anything native can load (the parent also sets these in our environment).
const slurmTask = process.argv[2] === '--slurm-task';
// A Slurm task uses the CPUs it was given (SLURM_CPUS_PER_TASK); a local worker one thread.
const blasThreadsWanted = slurmTask ? Math.max(1, Number(process.env.SLURM_CPUS_PER_TASK) || 1) : 1;
process.env.OPENBLAS_NUM_THREADS = String(blasThreadsWanted);
process.env.OMP_NUM_THREADS = String(blasThreadsWanted);
process.env.LDL_POOL_WORKER = '1';

const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');

function serializeError(e) {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack || '' };
  return { name: 'Error', message: `non-Error value thrown: ${String(e)}`, stack: '' };
}

function send(message) {
  // With a callback a write to a parent that has just gone away (EPIPE) is
  // not an uncaught 'error' event; the 'disconnect' handler then exits.
  if (process.connected) process.send(message, undefined, {}, () => undefined);
}

/** Describes why a value cannot travel back to the parent intact, or returns null. */
function uncloneableReason(value, where, depth) {
  if (depth > 6 || value === null || typeof value !== 'object') {
    if (typeof value === 'function') return `${where} is a function`;
    if (typeof value === 'symbol') return `${where} is a symbol`;
    return null;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return null;
  // A tf.Tensor would arrive as a plain object holding a dangling dataId.
  if ('dataId' in value && 'shape' in value && 'dtype' in value) {
    return `${where} is a tf.Tensor (return its data, e.g. await t.data(), and shape instead)`;
  }
  const entries = Array.isArray(value) ? value.slice(0, 1000).entries() : Object.entries(value).slice(0, 1000);
  for (const [k, v] of entries) {
    const r = uncloneableReason(v, `${where}[${JSON.stringify(k)}]`, depth + 1);
    if (r) return r;
  }
  return null;
}

// The core this worker configures (BLAS threads, gemm path, backend) must be the copy its jobs
// import. Jobs are lib/ sources, so when this file runs from the kernel's precompiled copy
// (lib-build/core, scripts/build-lib.cjs), it still loads lib/core's sources, which sit at the
// same depth: lib-build holds no .ts files, and a second copy of core would not be the jobs'.
const sourceCore = path.join(__dirname, '..', '..', 'lib', 'core');
const coreDir = fs.existsSync(path.join(sourceCore, 'gemm.ts')) ? sourceCore : __dirname;

/**
 * Project files (not node_modules) this process has loaded, with their
 * modification times: the parent retires a warm worker whose code was edited
 * since (a notebook user changing a job module and running the cell again).
 */
function loadedFiles() {
  const out = [];
  for (const file of Object.keys(require.cache)) {
    if (file.includes(`${path.sep}node_modules${path.sep}`) || file === __filename) continue;
    try {
      out.push([file, fs.statSync(file).mtimeMs]);
    } catch {
      // deleted since it loaded: an impossible mtime marks it stale
      out.push([file, -1]);
    }
  }
  return out;
}

async function start() {
  require('tsx/cjs/api').register();

  let blasThreads = null;
  const nativePath = path.join(coreDir, 'native.ts');
  if (fs.existsSync(nativePath)) {
    // The native add-on is optional; when it is there, pin it explicitly too.
    const native = require(nativePath);
    if (typeof native.nativeAvailable === 'function' && native.nativeAvailable()) {
      if (typeof native.setBlasThreads === 'function') native.setBlasThreads(blasThreadsWanted);
      if (typeof native.blasThreads === 'function') blasThreads = native.blasThreads();
    }
  }

  // Core gemm must take the same path as in the parent, or the numbers differ
  // in the last bits: when the parent runs it in JavaScript (no add-on there),
  // so does this worker.
  const gemmModule = require(path.join(coreDir, 'gemm.ts'));
  if (process.env.LDL_POOL_PARENT_GEMM === 'js') gemmModule.setGemmImpl(null);
  const gemmNative = gemmModule.gemmIsNative();

  const { initBackend } = require(path.join(coreDir, 'backend.ts'));
  const prefer = process.env.LDL_BACKEND || 'auto';
  const report = await initBackend({ prefer, print: false });
  return { backend: report.backend, blasThreads, gemmNative };
}

function loadExport(modulePath, exportName) {
  let mod;
  try {
    mod = require(modulePath);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(`loading ${modulePath} threw ${String(e)}`);
    err.poolProblem = 'load';
    throw err;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const available = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    const err = new Error(
      `export ${JSON.stringify(exportName)} of ${modulePath} is ${fn === undefined ? 'missing' : `a ${typeof fn}, not a function`}` +
        ` (exported functions: ${available.length ? available.join(', ') : 'none'})`,
    );
    err.name = 'ArgumentError';
    err.poolProblem = 'export';
    err.available = available;
    throw err;
  }
  return fn;
}

/**
 * The job's context: ctx.progress is throttled to one `deliver` per
 * `intervalMs` so a job may call it every step; `flush` delivers the latest.
 */
function jobContext(jobIndex, intervalMs, deliver) {
  let lastSent = 0;
  let pending = null;
  let timer = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending) deliver(pending);
    pending = null;
    lastSent = Date.now();
  };
  const ctx = {
    jobIndex,
    progress(fraction, message) {
      if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
        const e = new Error(`ctx.progress: fraction: expected a number in [0, 1], got ${String(fraction)}`);
        e.name = 'ArgumentError';
        throw e;
      }
      pending = { fraction, message: message === undefined ? undefined : String(message) };
      const wait = intervalMs - (Date.now() - lastSent);
      if (wait <= 0) flush();
      else if (!timer) timer = setTimeout(flush, wait);
    },
  };
  return { ctx, flush };
}

/** Calls the job's function: { ok: true, value, ms } or { ok: false, error, ms }. */
async function callJob(modulePath, exportName, args, ctx) {
  const t0 = process.hrtime.bigint();
  try {
    const fn = loadExport(modulePath, exportName);
    const value = await fn(args, ctx);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const bad = uncloneableReason(value, 'the returned value', 0);
    if (bad) {
      const e = new Error(`job ${ctx.jobIndex}: ${bad}; a job must return a structured-cloneable value`);
      e.name = 'DataCloneError';
      throw e;
    }
    return { ok: true, value, ms };
  } catch (e) {
    return { ok: false, error: serializeError(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }
}

async function runJob(msg) {
  const { id, jobIndex, progressIntervalMs } = msg;
  const { ctx, flush } = jobContext(jobIndex, progressIntervalMs, (p) => send({ type: 'progress', id, ...p }));
  const outcome = await callJob(msg.module, msg.export, msg.args, ctx);
  const reply = { type: 'result', id, ...outcome, loaded: loadedFiles() };
  flush();
  try {
    send(reply);
  } catch (e) {
    // Structured clone refused the value (e.g. a function deep inside it).
    send({ type: 'result', id, ok: false, error: serializeError(e), ms: reply.ms, loaded: reply.loaded });
  }
}

function checkExports(msg) {
  const problems = [];
  for (let i = 0; i < msg.items.length; i++) {
    try {
      loadExport(msg.items[i].module, msg.items[i].export);
    } catch (e) {
      problems.push({
        item: i,
        kind: e.poolProblem || 'load',
        message: e.message,
        stack: e.stack || '',
        available: e.available || [],
      });
    }
  }
  send({ type: 'checked', id: msg.id, problems, loaded: loadedFiles() });
}

/** Writes `data` to `file` through a temporary file and a rename: readers see all of it or nothing. */
function writeAtomically(file, data) {
  const tmp = `${file}.tmp-${os.hostname()}-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** File mode: one member of a Slurm job array (see the header). Exits 0 when the job returned, 1 when it threw. */
async function runSlurmTask(runDir, submission) {
  const members = JSON.parse(fs.readFileSync(path.join(runDir, 'submit', `${submission}.json`), 'utf8')).members;
  const task = Number(process.env.SLURM_ARRAY_TASK_ID);
  const jobIndex = members[task];
  if (!Number.isInteger(jobIndex)) throw new Error(`array task ${process.env.SLURM_ARRAY_TASK_ID} is not in submission ${submission} (${members.length} members)`);
  const job = v8.deserialize(fs.readFileSync(path.join(runDir, 'args', `${jobIndex}.bin`)));
  const progressFile = path.join(runDir, 'progress', `${jobIndex}.json`);
  // The caller polls files, so a write a second is plenty.
  const { ctx, flush } = jobContext(jobIndex, 1000, (p) => {
    try {
      writeAtomically(progressFile, JSON.stringify(p));
    } catch {
      // progress is best effort; the result is what counts
    }
  });
  await started;
  const outcome = await callJob(job.module, job.export, job.args, ctx);
  flush();
  const record = { ...outcome, jobIndex, pid: process.pid, host: os.hostname() };
  let data;
  try {
    data = v8.serialize(record);
  } catch (e) {
    data = v8.serialize({ ok: false, error: serializeError(e), ms: outcome.ms, jobIndex, pid: process.pid, host: os.hostname() });
  }
  writeAtomically(path.join(runDir, 'results', `${jobIndex}.bin`), data);
  process.exit(outcome.ok ? 0 : 1);
}

const started = start();
if (slurmTask) {
  runSlurmTask(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(2);
  });
} else {
  startIpc();
}

function startIpc() {
  // Jobs run one at a time, after start-up; messages that arrive meanwhile wait in order.
  let chain = started.then(() => undefined, () => undefined);
  process.on('message', (msg) => {
    if (msg.type === 'close') {
      process.exit(0);
    } else if (msg.type === 'check') {
      chain = chain.then(() => checkExports(msg));
    } else if (msg.type === 'run') {
      chain = chain.then(() => runJob(msg));
    }
  });
  // The parent went away (closed the pool, exited or crashed): nothing left to do.
  process.on('disconnect', () => process.exit(0));

  started.then(
    (info) => send({ type: 'ready', pid: process.pid, ...info, loaded: loadedFiles() }),
    (e) => {
      send({ type: 'startup-error', error: serializeError(e) });
      process.exit(1);
    },
  );
}
