/**
 * Notebook smoke test: every notebooks/*.ipynb runs with QUICK=1 through the
 * same runner users call (scripts/reproduce.mjs, i.e. `npm run reproduce`),
 * and its out/reproduce/<name>/results.json (a reproduction's folder, apart
 * from an interactive session's out/<name>/; LDL_OUT_DIR moves both) records
 * what the notebook contract asks: mode, seed(s), backend, wall time and at
 * least one measured number; reproduce's closing table lists it as ok.
 * Also checks that notebooks are committed without outputs (the index's copy,
 * which setup's git filter strips) and name the tslab kernel. Each notebook is
 * bounded (NOTEBOOK_SMOKE_TIMEOUT seconds, default 900) and its process tree is
 * killed when the bound is hit.
 * SMOKE_NOTEBOOKS=a,b restricts the run to those notebooks.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const notebooksDir = path.join(root, 'notebooks');
const outRoot = process.env.LDL_OUT_DIR ? path.resolve(process.env.LDL_OUT_DIR) : path.join(root, 'out', 'reproduce');
/** Where an interactive session of the notebook writes (checked untouched by the reproduction). */
const interactiveRoot = process.env.LDL_OUT_DIR ? null : path.join(root, 'out');
const limitSeconds = Number(process.env.NOTEBOOK_SMOKE_TIMEOUT ?? 900);
const allNames = fs
  .readdirSync(notebooksDir)
  .filter((f) => f.endsWith('.ipynb'))
  .map((f) => f.replace(/\.ipynb$/, ''))
  .sort();
/** SMOKE_NOTEBOOKS=tour,foo runs only those (while developing); by default every notebook runs. */
const only = (process.env.SMOKE_NOTEBOOKS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const names = only.length ? allNames.filter((n) => only.includes(n)) : allNames;

interface Cell {
  cell_type: string;
  outputs?: { output_type: string; ename?: string; evalue?: string }[];
  execution_count?: number | null;
}

function readNotebook(file: string): { cells: Cell[]; metadata: { kernelspec?: { name?: string } } } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Runs the reproduce script for one notebook; kills its whole tree after `limitSeconds`. */
function reproduce(name: string): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'reproduce.mjs'), '--no-setup', name], {
      cwd: root,
      env: { ...process.env, QUICK: '1', PAPER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(async () => {
      timedOut = true;
      // reproduce.mjs stops its Jupyter runner and kernel on SIGTERM.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15000).unref();
    }, limitSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

function hasFiniteNumber(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (depth > 5 || v === null || typeof v !== 'object') return false;
  return Object.values(v as object).some((x) => hasFiniteNumber(x, depth + 1));
}

test('there is at least one notebook', () => {
  assert.ok(allNames.length > 0, 'notebooks/ holds no .ipynb');
  assert.ok(allNames.includes('tour'), 'notebooks/tour.ipynb is missing');
  assert.ok(names.length > 0, `SMOKE_NOTEBOOKS=${only.join(',')} names no notebook in notebooks/`);
});

for (const name of names) {
  test(`${name}.ipynb is committed without outputs and uses the tslab kernel`, () => {
    // What a commit stores: the git index's copy (through the ldl-strip-outputs filter), which an interactive
    // run's outputs in the working copy do not reach; the file itself outside a git checkout.
    const staged = spawnSync('git', ['show', `:notebooks/${name}.ipynb`], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
    const nb: ReturnType<typeof readNotebook> = staged.status === 0 ? JSON.parse(staged.stdout) : readNotebook(path.join(notebooksDir, `${name}.ipynb`));
    assert.equal(nb.metadata.kernelspec?.name, 'tslab');
    const withOutputs = nb.cells.filter((c) => c.cell_type === 'code' && ((c.outputs ?? []).length > 0 || c.execution_count != null));
    assert.equal(withOutputs.length, 0, `${withOutputs.length} code cells carry outputs or execution counts`);
  });

  test(`${name}.ipynb runs with QUICK=1 and writes a complete results.json`, { timeout: (limitSeconds + 60) * 1000 }, async () => {
    const started = Date.now();
    const r = await reproduce(name);
    assert.ok(!r.timedOut, `${name} did not finish within ${limitSeconds} s:\n${r.output}`);
    assert.equal(r.code, 0, `npm run reproduce -- ${name} failed:\n${r.output}`);
    assert.match(r.output, new RegExp(`^  ${name}: ok `, 'm'));
    assert.match(r.output, new RegExp(`^  ${name} +quick +(\\d+\\.\\d s|\\d+m\\d\\ds) +ok +\\S+ -?\\d`, 'm'), 'the closing table lists the notebook as ok with headline numbers');

    const executed = readNotebook(path.join(outRoot, name, `${name}.ipynb`));
    const code = executed.cells.filter((c) => c.cell_type === 'code');
    assert.ok(code.every((c) => typeof c.execution_count === 'number'), 'every code cell ran');
    const errors = code.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === 'error'));
    assert.equal(errors.length, 0, `error outputs: ${errors.map((e) => `${e.ename}: ${e.evalue}`).join('; ')}`);

    const file = path.join(outRoot, name, 'results.json');
    assert.ok(fs.existsSync(file), `${file} was not written`);
    assert.ok(fs.statSync(file).mtimeMs >= started - 1000, `${file} is older than this run`);
    const results = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(results.mode, 'quick');
    const seeds: unknown[] = Array.isArray(results.seeds) ? results.seeds : [results.seed];
    assert.ok(seeds.length > 0 && seeds.every((s) => Number.isInteger(s)), `seeds: ${JSON.stringify(results.seeds ?? results.seed)}`);
    assert.ok(results.backend && ['tensorflow', 'blas', 'wasm', 'cpu'].includes(results.backend.name), `backend: ${JSON.stringify(results.backend)}`);
    assert.ok(typeof results.backend.line === 'string' && results.backend.line.startsWith('backend: '));
    assert.ok(Number.isFinite(results.wallTimeSeconds) && results.wallTimeSeconds > 0, `wallTimeSeconds: ${results.wallTimeSeconds}`);
    // The notebook's own wall time cannot exceed the runner's.
    assert.ok(results.wallTimeSeconds <= (Date.now() - started) / 1000 + 1);
    assert.ok(hasFiniteNumber(results.measured), `no measured number in ${JSON.stringify(results.measured)}`);
    if (interactiveRoot) {
      const interactive = path.join(interactiveRoot, name, 'results.json');
      assert.ok(!fs.existsSync(interactive) || fs.statSync(interactive).mtimeMs < started, `the reproduction wrote the interactive ${interactive}`);
    }
  });
}
