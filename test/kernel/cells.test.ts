/**
 * Cell semantics of the project's tslab (patches/tslab-1.0.22.patch), as in Python's kernel:
 * names bound by the statements before one that throws stay nameable in later cells (imports
 * included), names declared after it stay undeclared (an earlier cell's declaration of the same name
 * keeps its value and type), and `{ x }` finds x declared in an earlier cell. Each test runs cells
 * through tslab's own converter and executor, one fresh session per test. A cell's value is read from its last expression, which
 * tslab prints through the session's console (a cell's own console.log goes to the process's).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session, CellResult, createConverter } from './tslab';

const converter = createConverter();
after(() => converter.close());

async function session(f: (run: (cell: string) => Promise<CellResult>) => Promise<void>): Promise<void> {
  const s = new Session(converter);
  try {
    await f((cell) => s.run(cell));
  } finally {
    s.close();
  }
}

function accepted(r: CellResult): CellResult {
  assert.ok(r.ok, `the cell failed: ${r.stderr}`);
  return r;
}

/** The cell failed, saying `message` on stderr. */
function rejected(r: CellResult, message: RegExp): void {
  assert.equal(r.ok, false, `the cell succeeded: ${r.stdout}`);
  assert.match(r.stderr, message);
}

test('a cell that throws keeps the names bound before the throw, imports included', async () => {
  await session(async (run) => {
    accepted(await run('const test = { x: 1 };'));
    rejected(await run(['import * as path from "path";', 'const a = 1;', 'function twice(v: number) { return 2 * v; }', 'throw new Error("boom");', 'const b = 2;'].join('\n')), /boom/);
    const r = accepted(await run('[a, twice(a), path.sep, test.x].join(" ")'));
    assert.equal(r.stdout, '1 2 / 1');
    // The kept declarations carry their types.
    rejected(await run('const s: string = a;'), /Type 'number' is not assignable to type 'string'/);
  });
});

test('names declared after the throwing statement, or never, stay undeclared', async () => {
  await session(async (run) => {
    rejected(await run('const a = 1;\nthrow new Error("boom");\nconst b = 2;\nfunction later() {}'), /boom/);
    for (const name of ['b', 'later', 'neverDeclared']) rejected(await run(name), new RegExp(`Cannot find name '${name}'`));
    // A throw in the first statement binds nothing.
    rejected(await run('const c = (() => { throw new Error("first"); })();\nconst d = 1;'), /first/);
    rejected(await run('c'), /Cannot find name 'c'/);
  });
});

test('a name redeclared after the throw keeps its earlier value and type', async () => {
  await session(async (run) => {
    accepted(await run('let c = "old";'));
    rejected(await run('const n = 3;\nthrow new Error("boom");\nconst c = 5;'), /boom/);
    assert.equal(accepted(await run('`${c.toUpperCase()} ${n}`')).stdout, 'OLD 3');
  });
});

test('a top-level await that rejects keeps the names bound before it', async () => {
  await session(async (run) => {
    rejected(await run('const q = await Promise.resolve(3);\nawait Promise.reject(new Error("later"));\nconst r = 4;'), /later/);
    assert.equal(accepted(await run('q + 1')).stdout, '4');
    rejected(await run('r'), /Cannot find name 'r'/);
  });
});

test('shorthand properties find names from earlier cells', async () => {
  await session(async (run) => {
    accepted(await run('const test = [1, 2, 3];\nimport * as path from "path";\nfunction train(net: string, opts: { epochs: number; test: number[] }) { return `${net}:${opts.epochs}:${opts.test.length}`; }'));
    assert.equal(accepted(await run('train("net", { epochs: 2, test })')).stdout, 'net:2:3');
    assert.equal(accepted(await run('const o = { test, path, own: 1 };\nconst own = 7;\n[o.test.length, typeof o.path.join, { own }.own].join(" ")')).stdout, '3 function 7');
    // As an assignment target (destructuring), with and without a default.
    accepted(await run('let m = 0;\nlet k = 0;'));
    accepted(await run('({ m, k = test.length } = { m: 5 } as { m: number; k?: number });'));
    assert.equal(accepted(await run('`${m} ${k}`')).stdout, '5 3');
  });
});

test('a shorthand property naming nothing is still an error', async () => {
  await session(async (run) => {
    rejected(await run('const o = { undeclaredName };'), /No value exists in scope for the shorthand property 'undeclaredName'/);
  });
});

test('when the statements before the throw do not compile alone, the kernel says that it keeps none of them', async () => {
  await session(async (run) => {
    // f refers to `later`, declared after the throw: f's declaration alone does not compile.
    const r = await run('const f = () => later;\nthrow new Error("boom");\nconst later = 1;');
    rejected(r, /boom/);
    assert.match(r.stderr, /the names this cell declared before the error are not kept: its earlier statements do not compile alone/);
    rejected(await run('f'), /Cannot find name 'f'/);
  });
});
