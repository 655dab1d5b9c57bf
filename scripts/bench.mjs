#!/usr/bin/env node
// npm run bench [-- <filter> ...] [-- --quick] [-- --reps N]
//
// Runs every bench/*.bench.ts whose file stem contains one of the filters (all
// of them without a filter) with `node --import tsx`, one after the other;
// each prints its own tables and writes out/bench/<stem>.json. Then merges
// every out/bench/<stem>.json into out/bench/results.json and prints all the
// tables again as one summary. Options after the filters (--quick, --reps N)
// are passed to each benchmark.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'bench');
const outDir = join(root, 'out', 'bench');

const argv = process.argv.slice(2);
const passOn = [];
const filters = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--reps') passOn.push(argv[i], argv[++i]);
  else if (argv[i].startsWith('--')) passOn.push(argv[i]);
  else filters.push(argv[i]);
}

const all = existsSync(benchDir) ? readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort() : [];
const chosen = all.filter((f) => filters.length === 0 || filters.some((q) => f.replace(/\.bench\.ts$/, '').includes(q)));
if (chosen.length === 0) {
  console.error(`bench: no bench/*.bench.ts matches ${filters.length ? filters.join(', ') : '(any)'}; available: ${all.join(', ') || 'none'}`);
  process.exit(1);
}

function printTable({ title, columns, rows }) {
  const cells = [columns, ...rows.map((r) => r.map(String))];
  const widths = columns.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  console.log(`\n${title}`);
  cells.forEach((r, i) => {
    console.log(r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

mkdirSync(outDir, { recursive: true });
const failed = [];
for (const file of chosen) {
  const stem = file.replace(/\.bench\.ts$/, '');
  console.log(`\n=== bench ${stem} (${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, file), ...passOn], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed.push(stem);
}

// Merge whatever results exist (also from earlier runs of other benchmarks),
// so results.json always holds the latest figures of every benchmark.
const merged = { generated: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, benches: {} };
for (const f of readdirSync(outDir).filter((f) => f.endsWith('.json') && f !== 'results.json').sort()) {
  try {
    merged.benches[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(outDir, f), 'utf8'));
  } catch (e) {
    console.error(`bench: skipping unreadable ${f}: ${e.message}`);
  }
}
writeFileSync(join(outDir, 'results.json'), JSON.stringify(merged, null, 1));

console.log('\n=== summary');
for (const [stem, res] of Object.entries(merged.benches)) {
  console.log(`\n# ${stem}${res.finished ? ` (run ${res.finished})` : ''}`);
  for (const t of res.tables ?? []) printTable(t);
  if (res.note) console.log(`\n${res.note}`);
}
console.log(`\nwrote ${join('out', 'bench', 'results.json')}`);
if (failed.length) {
  console.error(`bench: failed: ${failed.join(', ')}`);
  process.exit(1);
}
