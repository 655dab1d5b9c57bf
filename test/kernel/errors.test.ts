/**
 * Runtime errors in the cell's and the library's own lines (issue 13, item 4), in the project's real
 * tslab kernel through jupyter_client: a cell defines a function that calls the library with a bad
 * argument, later cells call it (once after a top-level await). The trace names lib/core/rng.ts at the
 * line of the `throw` -- found here by reading the .ts source, not assumed -- and each cell by its
 * Jupyter execution count and line (`In[2]:1`), and nothing of the compiled JavaScript, tslab's
 * evalmachine or the kernel's own files. Both ways the kernel loads the library are run: the
 * precompiled lib-build/ (through its .js.map files) and lib/ compiled by tslab itself
 * (LDL_KERNEL_SOURCES=1, as when lib/ is newer than its build; through the maps the tslab patch keeps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { noKernel, root, runCells, KernelRun } from './jupyter';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const buildLib = require(path.join(root, 'scripts', 'build-lib.cjs'));

/** 1-based line of the ArgumentError for `high` in Rng.uniformArray, read from the source. */
function throwLine(): number {
  const lines = fs.readFileSync(path.join(root, 'lib', 'core', 'rng.ts'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\s+uniformArray\(/.test(l));
  const at = lines.findIndex((l, i) => i > start && l.includes("throw new ArgumentError('high'"));
  assert.ok(start >= 0 && at > start, 'lib/core/rng.ts: uniformArray throws an ArgumentError for high');
  return at + 1;
}

const CELLS = [
  // In[1]: line 5 calls the library
  "import { Rng } from './lib/core';\nconst r = new Rng(1);\n\nfunction pick(n: number) {\n  return r.uniformArray(3, n, n);\n}\nObject.keys(require.cache).some((f) => f.includes('lib-build'))",
  // In[2]
  'pick(3);',
  // In[3]: after a top-level await (tslab wraps such a cell in an async function)
  'const q = await Promise.resolve(2);\n\npick(q);',
];

function checkTraces(run: KernelRun) {
  const line = throwLine();
  for (const [i, calledAt] of [[1, 'In\\[2\\]:1:1'], [2, 'In\\[3\\]:3:1']] as const) {
    const cell = run.cells[i];
    assert.equal(cell.status, 'error', `cell ${i + 1}: ${cell.stdout}${cell.stderr}`);
    const trace = cell.stderr;
    assert.match(trace, /ArgumentError: high: expected a number > low/);
    assert.match(trace, new RegExp(`\\n    at Rng\\.uniformArray \\(lib/core/rng\\.ts:${line}:\\d+\\)\\n    at pick \\(In\\[1\\]:5:\\d+\\)\\n    at (async )?${calledAt}`), trace);
    assert.doesNotMatch(trace, /evalmachine|\.js:\d|tslab[\\/]dist|tslab-kernel|node:vm|lib-build/, trace);
  }
}

test('a runtime error names the .ts line in lib/ and the cell\'s line (the kernel runs lib-build/)', async (t) => {
  const why = await noKernel();
  if (why) return t.skip(why);
  // npm test's setup builds lib-build/; here it may be stale (lib/ edited since): build it first. In a
  // working tree where lib/ is being edited the kernel may still find it stale and, rightly, compile
  // lib/ itself: then build and try again.
  let run: KernelRun;
  for (let attempt = 1; ; attempt++) {
    if (!buildLib.buildState().fresh) buildLib.build();
    run = await runCells(CELLS, { cwd: path.join(root, 'notebooks') });
    if (!/compiling lib\/ from its sources/.test(run.cells[0].stderr) || attempt === 3) break;
  }
  assert.equal(run.cells[0].status, 'ok', run.cells[0].stderr);
  assert.equal(run.cells[0].stdout.trim(), 'true', 'the library was loaded from lib-build/');
  checkTraces(run);
});

test('a runtime error names the same lines when tslab compiles lib/ from its sources', async (t) => {
  const why = await noKernel();
  if (why) return t.skip(why);
  const run = await runCells(CELLS, { cwd: path.join(root, 'notebooks'), env: { LDL_KERNEL_SOURCES: '1' } });
  assert.equal(run.cells[0].status, 'ok', run.cells[0].stderr);
  assert.equal(run.cells[0].stdout.trim(), 'false', 'the library was compiled from lib/');
  checkTraces(run);
});
