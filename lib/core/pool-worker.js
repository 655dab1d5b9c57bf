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
 */
'use strict';

// BLAS thread pools are sized when the library loads, so pin them before
// anything native can load (the parent also sets these in our environment).
process.env.OPENBLAS_NUM_THREADS = '1';
process.env.OMP_NUM_THREADS = '1';
process.env.LDL_POOL_WORKER = '1';

const fs = require('fs');
const path = require('path');

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

const coreDir = __dirname;

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
      if (typeof native.setBlasThreads === 'function') native.setBlasThreads(1);
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

async function runJob(msg) {
  const { id, jobIndex, progressIntervalMs } = msg;
  // Progress is throttled here so a job may call ctx.progress every step
  // without flooding the IPC channel; the latest value is always delivered.
  let lastSent = 0;
  let pending = null;
  let timer = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending) send(pending);
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
      pending = { type: 'progress', id, fraction, message: message === undefined ? undefined : String(message) };
      const wait = progressIntervalMs - (Date.now() - lastSent);
      if (wait <= 0) flush();
      else if (!timer) timer = setTimeout(flush, wait);
    },
  };
  const t0 = process.hrtime.bigint();
  let reply;
  try {
    const fn = loadExport(msg.module, msg.export);
    const value = await fn(msg.args, ctx);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const bad = uncloneableReason(value, 'the returned value', 0);
    if (bad) {
      const e = new Error(`job ${jobIndex}: ${bad}; a job must return a structured-cloneable value`);
      e.name = 'DataCloneError';
      throw e;
    }
    reply = { type: 'result', id, ok: true, value, ms, loaded: loadedFiles() };
  } catch (e) {
    reply = { type: 'result', id, ok: false, error: serializeError(e), ms: Number(process.hrtime.bigint() - t0) / 1e6, loaded: loadedFiles() };
  }
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

const started = start();
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
