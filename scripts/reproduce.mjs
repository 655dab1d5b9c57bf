#!/usr/bin/env node
/**
 * npm run reproduce [-- <name|file.ipynb>...]: executes notebooks headless
 * through the real Jupyter stack (nbclient, the engine of `jupyter nbconvert
 * --execute`, driven by scripts/execute_notebook.py, with the kernel named in
 * each notebook's metadata: tslab) and writes the executed copy to
 * out/reproduce/<name>/<name>.ipynb -- also when a cell fails, so the failure
 * can be read in context. The notebook itself writes results.json and its
 * figures into the same folder: the kernel gets LDL_RUN=reproduce, which
 * lib/core resultsDir reads, so a reproduction never overwrites the
 * out/<name>/ of an interactive Jupyter session. LDL_OUT_DIR moves both to
 * <LDL_OUT_DIR>/<name>/.
 *
 * While a notebook runs, its progress is shown: execute_notebook.py forwards
 * the running cell, every redraw of an updatable display (lib/core Progress
 * in a kernel) and the last line each cell prints, as JSON lines on a pipe of
 * their own. On a terminal that is one status line per notebook, redrawn in
 * place; otherwise (CI logs, pipes) a plain line at most every
 * REPRODUCE_LOG_INTERVAL seconds (default 5) per notebook, always carrying
 * the latest state, and at least one a minute. The run ends with a table: notebook, mode, wall time,
 * status (ok / failed at cell N) and headline numbers from each results.json.
 *
 * The kernel runs in the notebook's folder (nbconvert starts it there), so
 * `./lib/...` imports resolve through the notebooks/lib symlink exactly as in
 * Jupyter; a notebook given as a path elsewhere needs a `lib` beside it. The
 * mode comes from the environment, passed through untouched: QUICK=1 (about a
 * minute each), default, PAPER=1.
 *
 * Without names: every notebooks/*.ipynb. Exit status 1 if any notebook fails;
 * the failing cell and its error are printed.
 *
 * --html: also write out/reproduce/<name>/<name>.html, a static page of the
 * executed copy whose figures draw offline (the project's nbconvert template,
 * scripts/nbconvert/, inlines plotly.js once; the notebook itself only loads
 * it from the Jupyter server). --no-setup skips the setup check.
 *
 * Env: REPRODUCE_CELL_TIMEOUT seconds per cell (default 600 with QUICK=1,
 * 3600 otherwise, none with PAPER=1); REPRODUCE_LOG_INTERVAL seconds between
 * two progress lines of a notebook when output is not a terminal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { projectRoot, jupyterEnv, jupyterPython, registerKernel } from './kernel.mjs';
import { stopTree } from './proc.mjs';

const notebooksDir = path.join(projectRoot, 'notebooks');
// The same rule as lib/core resultsDir under LDL_RUN=reproduce (test/project/reproduce.test.ts checks both agree).
const outRoot = process.env.LDL_OUT_DIR ? path.resolve(process.env.LDL_OUT_DIR) : path.join(projectRoot, 'out', 'reproduce');
const on = (v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
const mode = on(process.env.QUICK) ? 'quick' : on(process.env.PAPER) ? 'paper' : 'default';
const tty = Boolean(process.stdout.isTTY);

function seconds(name, fallback) {
  const env = process.env[name];
  if (env === undefined || env === '') return fallback;
  const t = Number(env);
  if (!Number.isFinite(t)) throw new Error(`${name}: expected seconds (a number), got ${JSON.stringify(env)}`);
  return t;
}

function cellTimeout() {
  return seconds('REPRODUCE_CELL_TIMEOUT', mode === 'quick' ? 600 : mode === 'paper' ? -1 : 3600);
}

/** [{ name, file }] for the names (notebooks/<name>.ipynb) or .ipynb paths given; every notebook when none. */
function listNotebooks(args) {
  const all = readdirSync(notebooksDir)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
    .map((f) => f.slice(0, -'.ipynb'.length))
    .sort();
  const inDir = (name) => ({ name, file: path.join(notebooksDir, `${name}.ipynb`) });
  if (args.length === 0) return all.map(inDir);
  const unknown = [];
  const list = args.map((a) => {
    if (a.endsWith('.ipynb') && existsSync(a) && statSync(a).isFile()) return { name: path.basename(a, '.ipynb'), file: path.resolve(a) };
    const name = path.basename(a).replace(/\.ipynb$/, '');
    if (!all.includes(name)) unknown.push(a);
    return inDir(name);
  });
  if (unknown.length) {
    throw new Error(`no notebook named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in notebooks/ (have: ${all.join(', ') || 'none'}), and no such .ipynb file`);
  }
  return list;
}

/** What the runner printed about the failure (the failing cell, its stderr and error), without Python's debugger noise. */
function failureReport(stderr) {
  const lines = stderr.split('\n').filter((l) => !/Debugger warning|frozen modules|PYDEVD_DISABLE|Xfrozen_modules|Debugging will proceed/.test(l));
  return lines.slice(-80).join('\n').trim();
}

function formatDuration(s) {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A path as the user can open it: relative inside the project, absolute outside. */
const shown = (p) => (path.relative(projectRoot, p).startsWith('..') ? p : path.relative(projectRoot, p) || '.');

/** In a log, the longest a running notebook stays without a line (a cell that prints nothing for minutes). */
const HEARTBEAT_MS = 60_000;

const clip = (s, width) => (s.length <= width ? s : s.slice(0, Math.max(0, width - 1)) + '…');

/**
 * The status of one running notebook, shown as one line: redrawn in place on
 * a terminal, else printed at most every `interval` ms (a trailing timer
 * prints the latest state, so the last word of a long cell is not lost).
 */
class StatusLine {
  constructor(name, interval) {
    this.name = name;
    this.interval = interval;
    this.start = Date.now();
    this.cell = null;
    this.cells = null;
    this.text = '';
    this.lastShown = tty ? 0 : this.start; // in a log, the "started" line below counts as shown
    this.shownText = null;
    this.timer = null;
    // On a terminal the elapsed time moves every second; in a log a silent cell still gets a line a minute.
    this.ticker = tty ? setInterval(() => this.show(), 1000) : setInterval(() => Date.now() - this.lastShown >= HEARTBEAT_MS && this.show(true), 5000);
    if (!tty) console.log(`  ${name}: started`);
    else this.show();
  }

  line() {
    const where = this.cell ? `cell ${this.cell}/${this.cells ?? '?'}` : 'starting the kernel';
    return `${this.name}  ${formatDuration((Date.now() - this.start) / 1000)}  ${where}${this.text ? `  ${this.text}` : ''}`;
  }

  event(e) {
    if (e.event === 'cell') {
      this.cell = e.cell;
      this.cells = e.cells;
      this.text = '';
    } else if (e.event === 'progress' || e.event === 'output') {
      this.text = String(e.text ?? '');
    } else return;
    this.schedule();
  }

  schedule() {
    const wait = this.lastShown + (tty ? 100 : this.interval) - Date.now();
    if (wait <= 0) this.show();
    else if (!this.timer) this.timer = setTimeout(() => this.show(), wait);
  }

  show(heartbeat = false) {
    clearTimeout(this.timer);
    this.timer = null;
    if (tty) {
      this.lastShown = Date.now();
      process.stdout.write(`\r  ${clip(this.line(), (process.stdout.columns || 100) - 3)}\x1b[K`);
      return;
    }
    // Elapsed time alone is news in a log only once a minute: otherwise print when the cell or its text moved.
    const state = `${this.cell}|${this.text}`;
    if (state === this.shownText && !heartbeat) return;
    this.shownText = state;
    this.lastShown = Date.now();
    console.log(`  [${clip(this.line(), 300)}]`);
  }

  /** Stops the updates; on a terminal, clears the status line for the final one. */
  close() {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    if (tty) process.stdout.write('\r\x1b[K');
  }
}

/**
 * A handful of headline numbers from results.json's `measured`, as
 * "key value, ...": top-level numbers first, then entries whose path names a
 * median, then other nested numbers (arrays, e.g. per-seed values, are left
 * out), whole entries as many as fit in `width` characters, then the count
 * of numbers not shown.
 */
function headline(measured, max = 4, width = 90) {
  const leaves = [];
  const walk = (v, p, depth) => {
    if (typeof v === 'number' && Number.isFinite(v)) leaves.push(p);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 5) for (const [k, x] of Object.entries(v)) walk(x, p.concat(k), depth + 1);
  };
  walk(measured, [], 0);
  if (leaves.length === 0) return '-';
  const rank = (p) => (p.length === 1 ? 0 : p.some((k) => /median/i.test(k)) ? 1 : 2);
  const ordered = leaves.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i);
  const value = (p) => p.reduce((o, k) => o[k], measured);
  const format = (x) => (Number.isInteger(x) && Math.abs(x) < 1e6 ? String(x) : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 ? String(Number(x.toPrecision(3))) : x.toExponential(2));
  const parts = [];
  for (const { p } of ordered.slice(0, max)) {
    const part = `${p.join('.')} ${format(value(p))}`;
    const more = leaves.length - parts.length - 1;
    const length = [...parts, part].join(', ').length + (more > 0 ? ` (+${more} more)`.length : 0);
    if (parts.length > 0 && length > width) break;
    parts.push(clip(part, width - 14)); // a lone entry longer than the column is clipped, leaving room for the count
  }
  const more = leaves.length - parts.length;
  return parts.join(', ') + (more > 0 ? ` (+${more} more)` : '');
}

/** Rows as a plain-text table with a header and aligned columns. */
function table(header, rows) {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const fmt = (r) => '  ' + r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

let current = null;
let stopping = false; // a signal arrived: its handler reports and exits, the run loop stops
const done = [];

function printTable() {
  if (done.length === 0) return;
  const rows = done.map((r) => [r.name, r.mode, formatDuration(r.seconds), r.status, r.headline]);
  console.log('\n' + table(['notebook', 'mode', 'wall', 'status', 'headline numbers (results.json measured)'], rows));
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    if (current?.status) current.status.close();
    console.error(`\nreproduce: ${sig}, stopping the running notebook`);
    if (current) {
      done.push({ name: current.name, mode, seconds: (Date.now() - current.start) / 1000, status: `stopped (${sig}) at cell ${current.status?.cell ?? '?'}`, headline: '-' });
      await stopTree(current.child.pid, 5000);
    }
    printTable();
    process.exit(130);
  });
}

function execute({ name, file }, timeout, interval, html) {
  const outDir = path.join(outRoot, name);
  mkdirSync(outDir, { recursive: true });
  const args = [path.join(projectRoot, 'scripts', 'execute_notebook.py'), file, path.join(outDir, `${name}.ipynb`), String(timeout), '--events-fd', '3'];
  if (html) args.push('--html', path.join(outDir, `${name}.html`));
  return new Promise((resolve) => {
    const child = spawn(jupyterPython, args, {
      cwd: path.dirname(file),
      // LDL_RUN tells lib/core in the kernel (which inherits this environment) to write under out/reproduce/.
      env: { ...jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1', LDL_RUN: 'reproduce' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const status = new StatusLine(name, interval);
    current = { name, child, status, start: status.start };
    let stderr = '';
    let end = null;
    child.stdout.on('data', (d) => (stderr += d));
    child.stderr.on('data', (d) => (stderr += d));
    readline.createInterface({ input: child.stdio[3] }).on('line', (l) => {
      let e;
      try {
        e = JSON.parse(l);
      } catch {
        return; // not an event line
      }
      if (e.event === 'end') end = e;
      else status.event(e);
    });
    child.on('close', (code, signal) => {
      status.close();
      if (stopping) return; // the signal handler reports this notebook as stopped
      current = null;
      resolve({ code: code ?? 1, signal, stderr, end });
    });
  });
}

/** "ok", or what stopped the run and at which cell. */
function statusText(r) {
  if (r.code === 0) return 'ok';
  const at = r.end?.cell ? ` at cell ${r.end.cell}` : '';
  const reason = r.end?.reason;
  if (reason === 'timeout') return `timed out${at}`;
  if (reason === 'kernel died') return `kernel died${at}`;
  if (reason === 'error') return `failed${at}`;
  if (reason === 'html export failed') return 'ran, HTML export failed';
  return `failed${at} (${reason ?? `exit ${r.code}${r.signal ? `, ${r.signal}` : ''}`})`;
}

async function main() {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const html = process.argv.includes('--html');
  const unknown = process.argv.slice(2).filter((a) => a.startsWith('-') && !['--html', '--no-setup'].includes(a));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (have --html, --no-setup)`);
  const setup = path.join(projectRoot, 'scripts', 'setup.mjs');
  if (existsSync(setup) && !process.argv.includes('--no-setup')) {
    const r = spawnSync(process.execPath, [setup, '--if-needed'], { stdio: 'inherit', cwd: projectRoot });
    if (r.status !== 0) console.error(`reproduce: setup reported a problem (exit ${r.status}); trying anyway`);
  }
  registerKernel({ ifMissing: true });
  const notebooks = listNotebooks(names);
  if (notebooks.length === 0) throw new Error('no notebooks in notebooks/');
  const timeout = cellTimeout();
  const interval = 1000 * seconds('REPRODUCE_LOG_INTERVAL', 5);
  console.log(
    `reproduce: ${notebooks.length} notebook(s), mode ${mode}, cell timeout ${timeout < 0 ? 'none' : `${timeout} s`}, ` +
      `outputs in ${shown(outRoot)}${path.sep}<name>${path.sep}`,
  );
  const t0 = Date.now();
  for (const nb of notebooks) {
    const start = Date.now();
    const r = await execute(nb, timeout, interval, html);
    const wall = (Date.now() - start) / 1000;
    const copy = shown(path.join(outRoot, nb.name, `${nb.name}.ipynb`)) + (html && r.end?.reason !== 'html export failed' ? ` and .html` : '');
    const resultsFile = path.join(outRoot, nb.name, 'results.json');
    let results = null;
    if (existsSync(resultsFile) && statSync(resultsFile).mtimeMs >= start) {
      try {
        results = JSON.parse(readFileSync(resultsFile, 'utf8'));
      } catch (e) {
        console.log(`  ${nb.name}: WARNING: ${shown(resultsFile)} is not JSON (${e.message})`);
      }
    }
    const status = statusText(r);
    if (r.code === 0) {
      console.log(`  ${nb.name}: ok (${formatDuration(wall)}) -> ${copy}` + (results ? ', results.json' : ', WARNING: no results.json written'));
    } else {
      console.log(`  ${nb.name}: ${status.toUpperCase()} (${formatDuration(wall)}); executed copy in ${copy}`);
      console.log(failureReport(r.stderr).replace(/^/gm, '    | '));
    }
    done.push({
      name: nb.name,
      mode: typeof results?.mode === 'string' ? results.mode : mode,
      seconds: wall,
      status: r.code === 0 && !results ? 'ok, no results.json' : status,
      headline: results ? headline(results.measured) : '-',
      ok: r.code === 0,
    });
  }
  printTable();
  const failed = done.filter((d) => !d.ok).map((d) => d.name);
  console.log(`\nreproduce: ${notebooks.length - failed.length}/${notebooks.length} ok in ${formatDuration((Date.now() - t0) / 1000)}` + (failed.length ? `; failed: ${failed.join(', ')}` : ''));
  if (failed.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`reproduce: ${e.message}`);
  process.exit(2);
});
