#!/usr/bin/env node
/**
 * npm run reproduce [-- <name>...]: executes notebooks headless through the
 * real Jupyter stack (nbclient, the engine of `jupyter nbconvert --execute`,
 * driven by scripts/execute_notebook.py, with the kernel named in each
 * notebook's metadata: tslab) and writes the executed copy to
 * out/<name>/<name>.ipynb -- also when a cell fails, so the failure can be
 * read in context. The notebook itself writes out/<name>/results.json
 * (lib/core writeResults).
 *
 * The kernel runs in notebooks/ (nbconvert starts it in the notebook's folder),
 * so `./lib/...` imports resolve through the notebooks/lib symlink exactly as
 * in Jupyter. The mode comes from the environment, passed through untouched:
 * QUICK=1 (about a minute each), default, PAPER=1.
 *
 * Without names: every notebooks/*.ipynb. Exit status 1 if any notebook fails;
 * the failing cell and its error are printed.
 *
 * Env: REPRODUCE_CELL_TIMEOUT seconds per cell (default 600 with QUICK=1,
 * 3600 otherwise, none with PAPER=1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, jupyterEnv, jupyterPython, registerKernel } from './kernel.mjs';
import { stopTree } from './proc.mjs';

const notebooksDir = path.join(projectRoot, 'notebooks');
const outRoot = process.env.LDL_OUT_DIR ? path.resolve(process.env.LDL_OUT_DIR) : path.join(projectRoot, 'out');
const on = (v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
const mode = on(process.env.QUICK) ? 'quick' : on(process.env.PAPER) ? 'paper' : 'default';

function cellTimeout() {
  const env = process.env.REPRODUCE_CELL_TIMEOUT;
  if (env !== undefined && env !== '') {
    const t = Number(env);
    if (!Number.isFinite(t)) throw new Error(`REPRODUCE_CELL_TIMEOUT: expected seconds (a number, -1 for none), got ${JSON.stringify(env)}`);
    return t;
  }
  return mode === 'quick' ? 600 : mode === 'paper' ? -1 : 3600;
}

function listNotebooks(names) {
  const all = readdirSync(notebooksDir)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
    .map((f) => f.slice(0, -'.ipynb'.length))
    .sort();
  if (names.length === 0) return all;
  const wanted = names.map((n) => path.basename(n).replace(/\.ipynb$/, ''));
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length) {
    throw new Error(`no notebook named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in notebooks/ (have: ${all.join(', ') || 'none'})`);
  }
  return wanted;
}

/** What the runner printed about the failure (the failing cell, its stderr and error), without Python's debugger noise. */
function failureReport(stderr) {
  const lines = stderr.split('\n').filter((l) => !/Debugger warning|frozen modules|PYDEVD_DISABLE|Xfrozen_modules|Debugging will proceed/.test(l));
  return lines.slice(-80).join('\n').trim();
}

let current = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.error(`\nreproduce: ${sig}, stopping the running notebook`);
    if (current) await stopTree(current.pid, 5000);
    process.exit(130);
  });
}

function execute(name, timeout) {
  const outDir = path.join(outRoot, name);
  mkdirSync(outDir, { recursive: true });
  const args = [
    path.join(projectRoot, 'scripts', 'execute_notebook.py'),
    path.join(notebooksDir, `${name}.ipynb`),
    path.join(outDir, `${name}.ipynb`),
    String(timeout),
  ];
  return new Promise((resolve) => {
    const child = spawn(jupyterPython, args, {
      cwd: notebooksDir,
      env: { ...jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    let stderr = '';
    child.stdout.on('data', (d) => (stderr += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      current = null;
      resolve({ code: code ?? 1, signal, stderr });
    });
  });
}

async function main() {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const setup = path.join(projectRoot, 'scripts', 'setup.mjs');
  if (existsSync(setup) && !process.argv.includes('--no-setup')) {
    const r = spawnSync(process.execPath, [setup, '--if-needed'], { stdio: 'inherit', cwd: projectRoot });
    if (r.status !== 0) console.error(`reproduce: setup reported a problem (exit ${r.status}); trying anyway`);
  }
  registerKernel({ ifMissing: true });
  const notebooks = listNotebooks(names);
  if (notebooks.length === 0) throw new Error('no notebooks in notebooks/');
  const timeout = cellTimeout();
  console.log(`reproduce: ${notebooks.length} notebook(s), mode ${mode}, cell timeout ${timeout < 0 ? 'none' : `${timeout} s`}`);
  const failed = [];
  const t0 = Date.now();
  for (const name of notebooks) {
    const start = Date.now();
    process.stdout.write(`  ${name} ... `);
    const r = await execute(name, timeout);
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    const results = path.join(outRoot, name, 'results.json');
    const fresh = existsSync(results) && statSync(results).mtimeMs >= start;
    if (r.code === 0) {
      console.log(`ok (${seconds} s) -> ${path.relative(projectRoot, path.join(outRoot, name, `${name}.ipynb`))}` + (fresh ? ', results.json' : ', WARNING: no results.json written'));
    } else {
      failed.push(name);
      console.log(`FAILED (${seconds} s, exit ${r.code}${r.signal ? `, ${r.signal}` : ''}); executed copy in ${path.relative(projectRoot, path.join(outRoot, name, `${name}.ipynb`))}`);
      console.log(failureReport(r.stderr).replace(/^/gm, '    | '));
    }
  }
  const total = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`reproduce: ${notebooks.length - failed.length}/${notebooks.length} ok in ${total} s` + (failed.length ? `; failed: ${failed.join(', ')}` : ''));
  if (failed.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`reproduce: ${e.message}`);
  process.exit(2);
});
