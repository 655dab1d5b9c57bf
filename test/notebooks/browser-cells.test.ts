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
 *   the output names the line and the fix,
 *   cell 7 imports the library and calls it wrongly: the trace names lib/core/rng.ts at the line of
 *   the throw (read from the source) and the cell by its prompt number and line (issue 13, item 4),
 *   cell 8 trains a small MLP for ever and is stopped with Kernel > Interrupt from the page's menu:
 *   it ends with the trainer's InterruptedError, and
 *   cell 9 finds the network still (its weights do not move) and the partial history's step count
 *   equal to the steps the cell counted, with weights equal to those of a run of exactly that many
 *   steps (item 2).
 * The library comes from lib-build/ (setup builds it), so cell 7 takes seconds.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
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
  // 7: line 5 calls the library with high < low
  "import { Rng, lastInterruption } from './lib/core';\nimport { mlp, Network, Optimizer, train, History } from './lib/rules';\nconst rng = new Rng(1);\nfunction draw(high: number) {\n  return rng.uniformArray(2, 1, high);\n}\ndraw(0);",
  // 8: trains until interrupted
  [
    'const r = new Rng(2);',
    'const data = { x: new Float32Array(2000 * 10).map(() => r.normal()), y: Int32Array.from({ length: 2000 }, () => r.int(3)), count: 2000 };',
    "const opts = { batchSize: 20, seed: 5, optimizer: { type: 'sgd' as const, lr: 0.05 }, alignment: false };",
    'const net = new Network(mlp({ inputSize: 10, hidden: [64], classes: 3, seed: 4 }));',
    'let steps = 0;',
    "await train(net, data, { ...opts, epochs: 100000, progress: () => { if (++steps === 1) console.log('training'); } });",
  ].join('\n'),
  // 9: the network after the interrupt, against a run of exactly the steps it took
  [
    "const weights = (n: Network) => n.paramLayers.map((l) => [...l.weight.dataSync(), ...(l.bias ? l.bias.dataSync() : [])].join(',')).join(';');",
    'const before = weights(net);',
    'await new Promise((done) => setTimeout(done, 500));',
    'const at = (lastInterruption()!.partial as History).interrupted!;',
    'const ref = new Network(mlp({ inputSize: 10, hidden: [64], classes: 3, seed: 4 }));',
    'const opt = new Optimizer(opts.optimizer);',
    'if (at.epoch > 1) await train(ref, data, { ...opts, optimizer: opt, epochs: at.epoch - 1, progress: false });',
    'if (at.batch > 0) await train(ref, data, { ...opts, optimizer: opt, epochs: 1, startEpoch: at.epoch - 1, batchesPerEpoch: at.batch, progress: false });',
    'console.log(JSON.stringify({ steps, at, still: weights(net) === before, sameAsExactRun: weights(ref) === before }));',
  ].join('\n'),
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

/** Starts code cell `index` (0-based). */
async function startCell(page: any, index: number) { // eslint-disable-line @typescript-eslint/no-explicit-any
  await page.evaluate((i: number) => window.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code')[i].execute(), index);
}

/** Runs code cell `index` (0-based) and waits until it has run and the kernel is idle. */
async function runCell(page: any, index: number) { // eslint-disable-line @typescript-eslint/no-explicit-any
  await startCell(page, index);
  return cellDone(page, index);
}

/** Waits until code cell `index` has a prompt number and the kernel has been idle for a second (tslab drops a request sent just after a failed cell). */
async function cellDone(page: any, index: number) { // eslint-disable-line @typescript-eslint/no-explicit-any
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
  assert.deepEqual(all.outputs.slice(3).map(text), CELLS.slice(3).map(() => ''), 'the cells after the error did not run');

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

// The next two run on in the same notebook and kernel (node:test runs a file's tests in order).

test('a runtime error\'s trace names the .ts line of the throw in lib/ and the cell\'s lines under its prompt number', { skip: skipBrowser, timeout: LIMIT_MS }, async () => {
  assert.ok(nb, 'the notebook of the first test is open');
  const { page } = nb;
  const seventh = await runCell(page, 6);
  const prompt = await page.evaluate(() => window.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code')[6].input_prompt_number); // eslint-disable-line @typescript-eslint/no-explicit-any
  const trace = text(seventh.outputs[6]);
  const rng = fs.readFileSync(path.join(root, 'lib', 'core', 'rng.ts'), 'utf8').split('\n');
  const throwLine = rng.findIndex((l, i) => i > rng.findIndex((m) => /^\s+uniformArray\(/.test(m)) && l.includes("throw new ArgumentError('high'")) + 1;
  assert.ok(throwLine > 0, 'lib/core/rng.ts: uniformArray throws for high');
  assert.ok(trace.includes(`ArgumentError: high: expected a number > low (1), got 0\n    at Rng.uniformArray (lib/core/rng.ts:${throwLine}:`), trace);
  assert.match(trace, new RegExp(`\\n    at draw \\(In\\[${prompt}\\]:5:\\d+\\)\\n    at In\\[${prompt}\\]:7:1(?!\\d)`), trace);
  assert.doesNotMatch(trace, /evalmachine|\.js:\d|tslab[\\/]dist|tslab-kernel|node:vm/, trace);
});

test('Kernel > Interrupt from the page\'s menu stops a training cell; the next cell finds the network still, at the steps the partial history counts', { skip: skipBrowser, timeout: 2 * LIMIT_MS }, async () => {
  assert.ok(nb, 'the notebook of the first test is open');
  const { page } = nb;
  // Once the training cell reports its first step.
  await startCell(page, 7);
  await waitFor('the training cell to start training', LIMIT_MS, async () => text((await cellState(page)).outputs[7]).includes('training'));
  await new Promise((r) => setTimeout(r, 500));
  await page.click('#kernellink');
  await page.click('#int_kernel');
  const eighth = await cellDone(page, 7);
  assert.match(text(eighth.outputs[7]), /InterruptedError: train was interrupted in epoch \d+ after batch \d+ of 100 \(\d+ steps done/);

  const ninth = await runCell(page, 8);
  const out = text(ninth.outputs[8]);
  const after = JSON.parse(out.trim().split('\n').pop() ?? 'null');
  assert.ok(after && after.steps > 0, out);
  assert.equal(after.at.steps, after.steps, 'the partial history counts every step the network took');
  assert.equal(after.at.steps, (after.at.epoch - 1) * after.at.batches + after.at.batch);
  assert.equal(after.still, true, 'no training goes on after the interrupt');
  assert.equal(after.sameAsExactRun, true, 'the network holds the weights of exactly the steps taken');
});
