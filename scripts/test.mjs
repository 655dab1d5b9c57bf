#!/usr/bin/env node
// npm test [-- <filter>...]: sets up what is missing (scripts/setup.mjs
// --if-needed), then runs every test/**/*.test.ts with node's test runner.
// A filter keeps only the test files whose path contains it
// (e.g. `npm test -- core` or `npm test -- notebooks/smoke`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

const setup = spawnSync(process.execPath, [join(root, 'scripts', 'setup.mjs'), '--if-needed'], { stdio: 'inherit', cwd: root });
if (setup.status !== 0) {
  console.error('[test] setup failed; fix the problems above and run again');
  process.exit(setup.status ?? 1);
}

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures') out.push(...find(p));
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// Unit tests first, the slow notebook and browser tests last.
const rank = (f) => (f.includes(`${join('test', 'notebooks')}`) ? 1 : 0);
const files = find(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`[test] no test file matches ${filters.join(', ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, LDL_PROGRESS: process.env.LDL_PROGRESS ?? 'silent' },
});
process.exit(r.status ?? 1);
