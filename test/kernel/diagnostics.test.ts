/**
 * Type errors that help (patches/tslab-1.0.22.patch): each diagnostic of a cell shows its line with a
 * caret under the symbol, and for two frequent mistakes the fix -- a plain string (or number) where a
 * union of literals is expected (write the literal, `as const`, or annotate the variable with the
 * union) and a missing field (named, with the file and line that declare it). Real compiler
 * diagnostics: cells compiled by tslab's converter against a small module written to a temporary
 * folder (the kernel compiles against the notebook's folder the same way).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createConverter, Diagnostic, Session } from './tslab';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-diagnostics-'));
const MODULE = [
  "export type RuleName = 'bp' | 'fa' | 'dfa';",
  'export interface TrainOptions {',
  '  rule: RuleName;',
  '  epochs: number;',
  '}',
  'export function train(options: TrainOptions): number {',
  '  return options.epochs;',
  '}',
  '',
].join('\n');
fs.writeFileSync(path.join(dir, 'trainer.ts'), MODULE);
process.chdir(dir); // tslab's converter compiles against the current directory
const converter = createConverter();
const prelude = converter.convert('', "import { train, RuleName, TrainOptions } from './trainer';");
assert.deepEqual(prelude.diagnostics, []);
after(() => {
  converter.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The cell's diagnostics (with the prelude's imports in scope): every message, and the explanation. */
function diagnose(cell: string): { messages: string[]; explanation: string; diagnostics: Diagnostic[] } {
  const diagnostics = converter.convert(prelude.declOutput ?? '', cell).diagnostics;
  assert.ok(diagnostics.length > 0, `no diagnostics for ${cell}`);
  const explained = diagnostics.filter((d) => d.explanation);
  assert.equal(explained.length, 1, 'one explanation per diagnostic, after its last message');
  assert.equal(explained[0], diagnostics[diagnostics.length - 1]);
  return { messages: diagnostics.map((d) => d.messageText), explanation: explained[0].explanation ?? '', diagnostics };
}

/** The explanation's caret line points at `symbol` on the cell's line `line` (1-based). */
function assertCaret(explanation: string, cellLine: string, line: number, symbol: string): void {
  const [source, caret] = explanation.split('\n');
  assert.equal(source, `  ${line} | ${cellLine}`);
  // The first occurrence not inside a longer word ('r' is not the r of 'for').
  const column = [...cellLine.matchAll(new RegExp(symbol.replace(/[^\w\s]/g, '\\$&'), 'g'))]
    .map((m) => m.index ?? -1)
    .find((i) => !/\w/.test(cellLine[i - 1] ?? '') && !/\w/.test(cellLine[i + symbol.length] ?? ''));
  assert.ok(column !== undefined, `${symbol} in ${cellLine}`);
  assert.equal(caret, `  ${' '.repeat(String(line).length)} | ${' '.repeat(column)}${'^'.repeat(symbol.length)}`);
}

function assertUnionFix(explanation: string, union: string): void {
  for (const member of ["'bp'", "'fa'", "'dfa'"]) assert.ok(explanation.includes(member), `${member} in ${explanation}`);
  assert.match(explanation, /Fix: write the literal itself \('(bp|fa|dfa)'\)/);
  assert.match(explanation, /add `as const` where the value is created/);
  assert.ok(explanation.includes(`annotate the variable with the union type (\`const x: ${union} = '`), explanation);
}

test('a string where a literal union is expected: the property, its line, the union members and the three fixes', () => {
  const line2 = 'for (const r of rules) train({ rule: r, epochs: 2 });';
  const d = diagnose(`const rules = ['bp', 'fa'];\n${line2}`);
  assert.deepEqual(d.messages, ["Type 'string' is not assignable to type 'RuleName'."]);
  assert.equal(d.diagnostics[0].start.line, 1);
  assertCaret(d.explanation, line2, 2, 'rule');
  assert.match(d.explanation, /'rule' must be one of RuleName = .*, but its type is string\./);
  assertUnionFix(d.explanation, 'RuleName');
});

test('the same mistake inside an object passed whole names the path to the property', () => {
  const d = diagnose("const options = { rule: 'fa', epochs: 1 };\ntrain(options);");
  assert.equal(d.messages.at(-1), "Type 'string' is not assignable to type 'RuleName'.");
  assertCaret(d.explanation, 'train(options);', 2, 'options');
  assert.match(d.explanation, /'options\.rule' must be one of RuleName/);
  assertUnionFix(d.explanation, 'RuleName');
});

test('an inline literal union and an annotated variable get the same fix', () => {
  const d = diagnose("const kind: 'bp' | 'fa' | 'dfa' = String('fa');");
  assert.match(d.explanation, /'kind' must be one of 'bp' \| 'fa' \| 'dfa', but its type is string\./);
  assertUnionFix(d.explanation, "'bp' | 'fa' | 'dfa'");
});

test('a missing field: named, with the file and line that declare it', () => {
  const cell = "train({ rule: 'bp' });";
  const d = diagnose(cell);
  assert.ok(d.messages.includes("Property 'epochs' is missing in type '{ rule: \"bp\"; }' but required in type 'TrainOptions'."), d.messages.join('\n'));
  assertCaret(d.explanation, cell, 1, "{ rule: 'bp' }");
  const declLine = MODULE.split('\n').findIndex((l) => l.includes('epochs: number')) + 1;
  assert.ok(d.explanation.includes(`Fix: add the field 'epochs' required by TrainOptions (declared at trainer.ts:${declLine}: \`epochs: number;\`).`), d.explanation);
});

test('a missing field of a type declared in an earlier cell says so', () => {
  const earlier = converter.convert(prelude.declOutput ?? '', 'interface Point { x: number; y: number }');
  assert.deepEqual(earlier.diagnostics, []);
  const d = converter.convert(earlier.declOutput ?? '', 'const p: Point = { x: 1 };').diagnostics;
  assert.match(d.at(-1)?.explanation ?? '', /Fix: add the field 'y' required by Point \(declared in an earlier cell: `y: number;`\)\./);
});

test('other type errors show their line and caret but no made-up fix', () => {
  const d = diagnose("const n: number = 'text';");
  assertCaret(d.explanation, "const n: number = 'text';", 1, 'n');
  assert.equal(d.explanation.split('\n').length, 2, d.explanation);
});

test('the kernel prints the explanation under the message (the union found though the cell imports only train)', async () => {
  const session = new Session(converter);
  try {
    await session.run("import { train } from './trainer';");
    const r = await session.run("let rule = 'fa';\ntrain({ rule, epochs: 1 });");
    assert.equal(r.ok, false);
    const lines = r.stderr.split('\n');
    assert.equal(lines[0], "2:9 - Type 'string' is not assignable to type 'RuleName'.");
    assert.equal(lines[1], '  2 | train({ rule, epochs: 1 });');
    assert.match(lines[3], /'rule' must be one of RuleName/);
  } finally {
    session.close();
  }
});
