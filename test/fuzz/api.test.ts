/**
 * Fuzz suite over the public API (issue 32): every function exported by a
 * lib/<module>/index.ts gets generated bad inputs (harness.ts says which and
 * what passes) from the module's table (table-<module>.ts). Each module runs in
 * a child process (runner.ts) so that a call that hangs is killed at a deadline
 * and one that crashes the process is named; the suite then resumes after it.
 * The coverage test fails when an export has neither a table line nor an
 * exemption with its reason. Fixed seed (FUZZ_SEED); FUZZ_RUNS draws more,
 * FUZZ_ONLY=a,b runs only those functions.
 *
 * Scope: every module with a lib/<module>/index.ts. lib/studies is left
 * out: it has no index, and its files are each one notebook's glue (job
 * arguments, tables, figures of results the library produced), whose user
 * input reaches the library functions fuzzed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Table } from './harness';

/** Every module with a public face: each lib/<module>/index.ts (a new module needs its table-<module>.ts). */
export const MODULES = fs.readdirSync(path.join(__dirname, '..', '..', 'lib'))
  .filter((m) => fs.existsSync(path.join(__dirname, '..', '..', 'lib', m, 'index.ts')))
  .sort();
/** A call that takes longer than this is a hang (the slowest call here, historyToDataFrame loading danfojs, takes about 5 s under load 20). */
const DEADLINE_MS = Number(process.env.FUZZ_DEADLINE_MS ?? 30_000);

const totals = { functions: 0, cases: 0 };

test('every export of every lib/*/index.ts has a fuzz table line or a stated exemption', async () => {
  const missing: string[] = [];
  const stale: string[] = [];
  for (const m of MODULES) {
    assert.ok(fs.existsSync(path.join(__dirname, `table-${m}.ts`)), `lib/${m} has an index.ts but no test/fuzz/table-${m}.ts`);
    const mod = await import(`../../lib/${m}/index.ts`);
    const table: Table = (await import(`./table-${m}.ts`)).table;
    const covered = new Set(table.entries.map((e) => e.name));
    for (const name of Object.keys(mod)) if (!covered.has(name) && !(name in table.exempt)) missing.push(`${m}.${name}`);
    for (const name of [...covered, ...Object.keys(table.exempt)]) if (!(name in mod)) stale.push(`${m}.${name}`);
    for (const [name, why] of Object.entries(table.exempt)) assert.ok(why.length > 10, `${m}.${name}: an exemption needs its reason`);
    for (const e of table.entries) assert.equal(typeof mod[e.name], 'function', `${m}.${e.name} has a table line but is not a function`);
  }
  assert.deepEqual(missing, [], `exports with no fuzz table line and no exemption: ${missing.join(', ')}`);
  assert.deepEqual(stale, [], `table lines or exemptions for names no longer exported: ${stale.join(', ')}`);
});

interface Message { t: 'start' | 'result' | 'end' | 'crash' | 'setup'; entry?: number; case?: number; fn?: string; what?: string; ok?: boolean; why?: string; how?: string; ms?: number }

/** Runs one module's table in child processes, resuming after a hang or crash. */
async function runModule(m: string): Promise<{ failures: string[]; functions: Set<string>; cases: number; ms: Map<string, number> }> {
  const failures: string[] = [];
  const functions = new Set<string>();
  const ms = new Map<string, number>();
  let cases = 0;
  let from: [number, number] = [0, -1];
  for (;;) {
    const next = await new Promise<[number, number] | null>((resolve) => {
      const child = fork(path.join(__dirname, 'runner.ts'), [m, String(from[0]), String(from[1])], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, LDL_PROGRESS: 'silent' },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
      let current: Message | null = null;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (v: [number, number] | null) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } };
      child.on('message', (msg: Message) => {
        if (msg.t === 'start') {
          current = msg;
          clearTimeout(timer);
          timer = setTimeout(() => {
            failures.push(`${m}.${msg.fn} (${msg.what}): no answer within ${DEADLINE_MS / 1000} s (a hang)`);
            child.kill('SIGKILL');
            finish([msg.entry!, msg.case! + 1]);
          }, DEADLINE_MS);
        } else if (msg.t === 'result') {
          clearTimeout(timer);
          current = null;
          functions.add(msg.fn!);
          ms.set(msg.fn!, (ms.get(msg.fn!) ?? 0) + (msg.ms ?? 0));
          cases++;
          if (!msg.ok) failures.push(`${m}.${msg.fn} (${msg.what}): ${msg.why}`);
        } else if (msg.t === 'setup') {
          ms.set('(setup)', (ms.get('(setup)') ?? 0) + (msg.ms ?? 0));
        } else if (msg.t === 'end') {
          finish(null);
        } else if (msg.t === 'crash') {
          const c = current as Message | null;
          failures.push(`${m}${c ? `.${c.fn} (${c.what})` : ''}: ${msg.why}`);
          finish(c ? [c.entry!, c.case! + 1] : null);
        }
      });
      child.on('exit', (code, signal) => {
        const c = current as Message | null;
        if (!done && c) {
          failures.push(`${m}.${c.fn} (${c.what}): the process died (${signal ?? `exit ${code}`}); ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
          finish([c.entry!, c.case! + 1]);
        } else if (!done) {
          if (code !== 0) failures.push(`${m}: the runner exited (${signal ?? `exit ${code}`}) outside a call: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
          finish(null);
        }
      });
    });
    if (next === null) break;
    from = next;
  }
  return { failures, functions, cases, ms };
}

for (const m of MODULES) {
  test(`fuzz lib/${m}: bad inputs give an ArgumentError naming the argument, or a finite or documented result`, async () => {
    const t0 = Date.now();
    const r = await runModule(m);
    totals.functions += r.functions.size;
    totals.cases += r.cases;
    const slowest = [...r.ms].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([f, t]) => `${f} ${(t / 1000).toFixed(1)} s`).join(', ');
    console.log(`fuzz lib/${m}: ${r.functions.size} functions, ${r.cases} cases, ${((Date.now() - t0) / 1000).toFixed(1)} s (slowest: ${slowest})`);
    assert.deepEqual(r.failures, [], `${r.failures.length} failing cases:\n${r.failures.join('\n')}`);
  });
}

test('fuzz totals', () => {
  console.log(`fuzz: ${totals.functions} functions, ${totals.cases} cases covered`);
  assert.ok(totals.functions > 0);
});
