/**
 * Browser test of cell semantics (issue #13, item 1): in Jupyter Notebook 6 with the project's kernel,
 * driven by headless Chromium through the page's own Jupyter API, a notebook whose
 *   cell 1 defines a function taking an options object,
 *   cell 2 defines `const test = ...`,
 *   cell 3 declares `const a = 1`, throws, then declares `const b = 2`,
 * is run with Run All (which, as in Python, stops at cell 3's error); then, one by one,
 *   cell 4 uses `{ test }` (shorthand) and `a` and prints them -- its output is read from the page,
 *   cell 5 names `b` (declared after the throw): "Cannot find name 'b'", as in Python,
 *   cell 6 makes a type error of the frequent kind (a string where a literal union is expected):
 *   the output names the line and the fix.
 * Nothing here imports the library, so the kernel's first cell is quick.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { root, skipBrowser, openNotebook, runAllCells, cellState, waitFor, OpenNotebook } from './jupyter-harness';

const outDir = path.join(root, 'out', 'browser-cells');
const NOTEBOOK = 'cells.ipynb';
const LIMIT_MS = 180000;

declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CELLS = [
  'function describe(options: { epochs: number; test: number[] }): string {\n  return `epochs=${options.epochs} test=${options.test.join(",")}`;\n}',
  'const test = [4, 5, 6];',
  'const a = 1;\nthrow new Error("cell 3 fails on purpose");\nconst b = 2;',
  'console.log(describe({ epochs: 2, test }), `a=${a}`);',
  'console.log(b);',
  "const rules = ['bp', 'fa'];\nconst rule: 'bp' | 'fa' | 'dfa' = rules[0];",
];

function notebook(): object {
  return {
    cells: CELLS.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 4,
  };
}

let nb: OpenNotebook | null = null;
after(async () => {
  await nb?.close();
});

/** Runs code cell `index` (0-based) and waits until it has run and the kernel is idle. */
async function runCell(page: any, index: number) { // eslint-disable-line @typescript-eslint/no-explicit-any
  await page.evaluate((i: number) => window.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code')[i].execute(), index);
  let idleSince = 0;
  return waitFor(`cell ${index + 1} to run`, LIMIT_MS, async () => {
    const s = await cellState(page);
    const prompt = await page.evaluate((i: number) => window.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code')[i].input_prompt_number, index);
    if (typeof prompt === 'number' && !s.busy) {
      if (idleSince === 0) idleSince = Date.now();
      if (Date.now() - idleSince > 1000) return s;
    } else idleSince = 0;
    return null;
  });
}

const text = (outputs: { text: string }[]) => outputs.map((o) => o.text).join('');

test('after a cell throws, later cells name what it bound before the throw, and { x } finds an earlier cell\'s x', { skip: skipBrowser, timeout: 4 * LIMIT_MS }, async () => {
  nb = await openNotebook({ outDir, notebook: NOTEBOOK, content: notebook(), env: { QUICK: '1', LDL_OUT_DIR: path.join(outDir, 'out') } });
  const { page } = nb;

  // Run All: cells 1-3 run, cell 3 fails, and the kernel skips the cells after it (as Python's does).
  const all = await runAllCells(page, LIMIT_MS, { stopOnError: false });
  assert.equal(text(all.outputs[0]) + text(all.outputs[1]), '', 'cells 1 and 2 print nothing');
  assert.match(text(all.outputs[2]), /cell 3 fails on purpose/);
  assert.deepEqual(all.outputs.slice(3).map(text), ['', '', ''], 'the cells after the error did not run');

  const fourth = await runCell(page, 3);
  assert.equal(text(fourth.outputs[3]), 'epochs=2 test=4,5,6 a=1\n', `cell 4's output; stderr: ${fourth.stderr.join('')}`);

  const fifth = await runCell(page, 4);
  assert.match(text(fifth.outputs[4]), /1:13 - Cannot find name 'b'\./);

  const sixth = await runCell(page, 5);
  const hint = text(sixth.outputs[5]);
  assert.match(hint, /2:7 - Type 'string' is not assignable to type '"bp" \| "fa" \| "dfa"'\./);
  assert.ok(hint.includes("  2 | const rule: 'bp' | 'fa' | 'dfa' = rules[0];\n    |       ^^^^\n"), hint);
  assert.match(hint, /Fix: write the literal itself \('bp'\); or add `as const` where the value is created/);
});
