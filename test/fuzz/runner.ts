/**
 * Child process of the fuzz suite: runs one module's table (argv: module,
 * first entry, first case) and reports each call to the parent over IPC before
 * and after it, so that the parent can bound every call in time and name the
 * call that hung or crashed the process, then resume after it.
 */
import { casesOf, judge, type Table } from './harness';

const [moduleName, fromEntry = '0', fromCase = '-1'] = process.argv.slice(2);
const send = (m: object) => process.send!(m);

process.on('uncaughtException', (e) => { send({ t: 'crash', why: `uncaught ${e?.name}: ${e?.message}` }); process.exit(70); });
process.on('unhandledRejection', (e) => { send({ t: 'crash', why: `unhandled rejection: ${(e as Error)?.message ?? e}` }); process.exit(70); });

async function main(): Promise<void> {
  const table: Table = (await import(`./table-${moduleName}.ts`)).table;
  const mod = (await import(`../../lib/${moduleName}/index.ts`)) as Record<string, (...a: unknown[]) => unknown>;
  const s0 = Date.now();
  await table.setup?.();
  send({ t: 'setup', ms: Date.now() - s0 });
  const only = process.env.FUZZ_ONLY?.split(',');
  for (let ei = Number(fromEntry); ei < table.entries.length; ei++) {
    const entry = table.entries[ei];
    if (only && !only.includes(entry.name)) continue;
    const fn = mod[entry.name];
    const cases = casesOf(entry);
    // case -1 is the valid call: it shows the generator builds arguments the function accepts.
    const first = entry.skipValid ? 0 : -1;
    for (let ci = ei === Number(fromEntry) ? Math.max(first, Number(fromCase)) : first; ci < cases.length; ci++) {
      const c = ci < 0 ? null : cases[ci];
      const what = c ? c.what : 'valid arguments';
      send({ t: 'start', entry: ei, case: ci, fn: entry.name, what });
      const t0 = Date.now();
      let outcome;
      try {
        const args = await entry.valid();
        c?.apply(args);
        let value: unknown;
        let error: unknown;
        try {
          value = await (entry.call ? entry.call(fn, args) : fn(...args));
        } catch (e) {
          error = e ?? new Error(String(e));
        }
        outcome = judge(entry, c, error !== undefined ? { error } : { value });
      } catch (e) {
        outcome = { ok: false, why: `the harness failed: ${(e as Error)?.stack ?? e}` };
      }
      send({ t: 'result', entry: ei, case: ci, fn: entry.name, what, ms: Date.now() - t0, ...outcome });
    }
  }
  send({ t: 'end' });
}
main().then(() => process.exit(0), (e) => { send({ t: 'crash', why: `runner: ${e?.stack ?? e}` }); process.exit(70); });
