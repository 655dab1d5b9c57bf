#!/usr/bin/env node
/**
 * node scripts/compare-results.mjs BEFORE AFTER [--ignore REGEX]... [--explained FILE] [--tolerance T]
 *
 * Compares two results.json files (or two out/ folders: every <name>/results.json
 * present in both) number by number, to check that a refactor left a study's
 * seeded numbers unchanged. Keys that record when or how long something ran are
 * excluded by default (date, node, startedAt, wallTimeSeconds, and any key whose name says
 * seconds, time, elapsed, duration or perSecond). `--ignore REGEX` excludes more
 * keys by their dotted path (e.g. a loop that now draws its random stream
 * differently; say why in the commit). Tolerance is zero unless --tolerance
 * gives a relative one. Paths inside the run's out/ folder (figure files)
 * are compared relative to that folder.
 *
 * `--explained FILE` names the keys a change moved on purpose: a JSON object
 * { "<notebook>: <path regex>": "why" }. Their differences are listed under
 * their reason, counted apart and do not fail the comparison
 * (scripts/explained-changes.json holds those of the studies-layer refactor).
 *
 * Prints every differing path with both values; exit status 1 when any
 * unexplained difference remains or a file is missing, 0 otherwise.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const TIMING = /(^|\.)(date|node|wallTimeSeconds|startedAt)$|seconds|Seconds|time|Time|elapsed|Elapsed|duration|Duration|perSecond|PerSecond|Gflops|GFLOPS/;

function usage(msg) {
  console.error(`compare-results: ${msg}\nusage: node scripts/compare-results.mjs BEFORE AFTER [--ignore REGEX]... [--tolerance T]`);
  process.exit(2);
}

const args = process.argv.slice(2);
const positional = [];
const ignores = [];
let explained = [];
let tolerance = 0;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--ignore') {
    if (i + 1 >= args.length) usage('--ignore needs a regular expression');
    ignores.push(new RegExp(args[++i]));
  } else if (args[i] === '--explained') {
    if (i + 1 >= args.length) usage('--explained needs a file');
    const file = args[++i];
    let table;
    try {
      table = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      usage(`--explained: cannot read ${file} as JSON (${e.message})`);
    }
    explained = Object.entries(table).map(([key, why]) => {
      const colon = key.indexOf(': ');
      if (colon < 0) usage(`--explained: key ${JSON.stringify(key)} should read "<notebook>: <path regex>"`);
      return { notebook: key.slice(0, colon), path: new RegExp(key.slice(colon + 2)), why: String(why), count: 0 };
    });
  } else if (args[i] === '--tolerance') {
    tolerance = Number(args[++i]);
    if (!(tolerance >= 0)) usage(`--tolerance: expected a number >= 0, got ${JSON.stringify(args[i])}`);
  } else positional.push(args[i]);
}
if (positional.length !== 2) usage('expected two paths, BEFORE and AFTER');

function isIgnored(p) {
  return TIMING.test(p) || ignores.some((r) => r.test(p));
}

// Paths written by a run (figure files) name its out/ folder; compare them relative to it.
let roots = ['', ''];
function relative(v, side) {
  return typeof v === 'string' && roots[side] && v.startsWith(roots[side]) ? `<out>${v.slice(roots[side].length)}` : v;
}

function same(a, b) {
  a = relative(a, 0);
  b = relative(b, 1);
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    return tolerance > 0 && Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
  }
  return false;
}

function show(v) {
  const s = JSON.stringify(v);
  return s === undefined ? 'absent' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Differences between a and b below path p. */
function diff(a, b, p, out) {
  if (p && isIgnored(p)) return;
  const objA = a !== null && typeof a === 'object';
  const objB = b !== null && typeof b === 'object';
  if (objA && objB && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    if (Array.isArray(a) && a.length !== b.length) out.push(`${p || '(root)'}: length ${a.length} -> ${b.length}`);
    for (const k of keys) {
      if (Array.isArray(a) && (Number(k) >= a.length || Number(k) >= b.length)) continue;
      diff(a[k], b[k], p ? `${p}.${k}` : k, out);
    }
    return;
  }
  if (!same(a, b)) out.push(`${p || '(root)'}: ${show(a)} -> ${show(b)}`);
}

function compareFiles(before, after, label) {
  if (!existsSync(before)) return [`${label}: missing ${before}`];
  if (!existsSync(after)) return [`${label}: missing ${after}`];
  const out = [];
  roots = [path.dirname(path.dirname(before)), path.dirname(path.dirname(after))];
  diff(JSON.parse(readFileSync(before, 'utf8')), JSON.parse(readFileSync(after, 'utf8')), '', out);
  return out.map((d) => `${label}: ${d}`);
}

const [before, after] = positional.map((p) => path.resolve(p));
let problems = [];
let compared = 0;
if (existsSync(before) && statSync(before).isDirectory()) {
  for (const name of readdirSync(before).sort()) {
    const b = path.join(before, name, 'results.json');
    if (!existsSync(b)) continue;
    const a = path.join(after, name, 'results.json');
    if (!existsSync(a)) {
      console.log(`${name}: not in ${after}, skipped`);
      continue;
    }
    compared++;
    const d = compareFiles(b, a, name);
    console.log(`${name}: ${d.length === 0 ? 'identical' : `${d.length} difference(s)`}`);
    problems = problems.concat(d);
  }
} else {
  compared = 1;
  problems = compareFiles(before, after, path.basename(path.dirname(after)) || 'results');
}
// A difference reads "<notebook>: <path>: <before> -> <after>".
const unexplained = [];
for (const p of problems) {
  const [notebook, rest] = [p.slice(0, p.indexOf(': ')), p.slice(p.indexOf(': ') + 2)];
  const key = rest.slice(0, rest.indexOf(': '));
  const hit = explained.find((e) => e.notebook === notebook && e.path.test(key));
  if (hit) hit.count++;
  else unexplained.push(p);
}
for (const e of explained) if (e.count > 0) console.log(`explained (${e.count} value(s) of ${e.notebook}: ${e.path.source}): ${e.why}`);
for (const p of unexplained) console.log(p);
const nExplained = problems.length - unexplained.length;
console.log(`compare-results: ${compared} file(s) compared, ${unexplained.length} unexplained difference(s)` +
  `${nExplained ? `, ${nExplained} explained` : ''}${ignores.length ? ` (ignoring ${ignores.map(String).join(', ')})` : ''}`);
process.exit(unexplained.length === 0 && compared > 0 ? 0 : 1);
