#!/usr/bin/env node
/**
 * The precompiled library: lib/**\/*.ts compiled once into lib-build/ (.js, .d.ts, .js.map; git ignores
 * it), so that the tslab kernel's first cell loads JavaScript and type-checks against declarations
 * (about 2 s) instead of compiling the whole library from its sources (about 16 s). Setup builds it;
 * `npm test` and `npm run reproduce` rebuild it through `setup --if-needed` when lib/ changed.
 *
 * Freshness. The build records every file under lib/ (path, mtime, size) as it was when the build
 * began, with a hash of tsconfig.build.json, in lib-build/.sources.json. The build is fresh when
 * lib/ holds exactly those files with those stamps; an edited, added or removed file makes it stale
 * (so does an edit made while the build ran). A stale build is never used: the kernel then compiles
 * lib/ from its sources as tslab always did (slow, but the edit is seen; scripts/tslab-kernel.cjs).
 *
 * lib-build/ sits beside lib/, at the same depth, so that code finding files relative to its own
 * folder (lib/core/native.ts: ../../native, results.ts: the project root, pool.ts: pool-worker.js)
 * finds the same files from either. Files under lib/ that are not TypeScript (pool-worker.js) are
 * copied. Type errors in lib/ do not stop the build (tsc emits anyway; `npm run typecheck` shows them).
 * The new build is written to a temporary folder and renamed into place, so a kernel starting
 * meanwhile sees the old build or none, never half of one.
 *
 *   node scripts/build-lib.cjs             build
 *   node scripts/build-lib.cjs --if-stale  build only when lib/ changed since the last build
 *   node scripts/build-lib.cjs --check     exit 1 (saying why) when the build is stale
 */
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
/** The project's folders; the functions below take others (a test's) in the same shape. */
const project = { libDir: path.join(root, 'lib'), buildDir: path.join(root, 'lib-build'), config: path.join(root, 'tsconfig.build.json') };
const STAMPS = '.sources.json';

/** Every file under `dir`, as paths relative to it with '/' separators, sorted. */
function listFiles(dir, prefix = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The stamps of lib/ now: { config, files: { rel: [mtimeMs, size] } }. */
function currentStamps(p = project) {
  const files = {};
  for (const rel of listFiles(p.libDir)) {
    const s = fs.statSync(path.join(p.libDir, rel));
    files[rel] = [s.mtimeMs, s.size];
  }
  const configHash = crypto.createHash('sha256').update(fs.readFileSync(p.config)).digest('hex');
  return { config: configHash, files };
}

/**
 * Whether lib-build/ matches lib/ now: { fresh: true } or { fresh: false, reason } where reason names
 * the first difference (a file of lib/ newer than its build, one added or removed, no build at all).
 */
function buildState(p = project) {
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(path.join(p.buildDir, STAMPS), 'utf8'));
  } catch {
    return { fresh: false, reason: 'lib-build/ does not exist (node scripts/build-lib.cjs makes it)' };
  }
  let now;
  try {
    now = currentStamps(p);
  } catch (e) {
    return { fresh: false, reason: `lib/ cannot be read: ${e.message}` };
  }
  if (recorded.config !== now.config) return { fresh: false, reason: 'tsconfig.build.json changed since the build' };
  for (const [rel, [mtime, size]] of Object.entries(now.files)) {
    const was = recorded.files[rel];
    if (!was) return { fresh: false, reason: `lib/${rel} is new since the build` };
    if (was[0] !== mtime || was[1] !== size) return { fresh: false, reason: `lib/${rel} changed since the build` };
  }
  for (const rel of Object.keys(recorded.files)) {
    if (!(rel in now.files)) return { fresh: false, reason: `lib/${rel} was removed since the build` };
  }
  return { fresh: true };
}

/** Records `stamps` as those of the build in `dir`. */
function writeStamps(dir, stamps) {
  fs.writeFileSync(path.join(dir, STAMPS), JSON.stringify({ built: new Date().toISOString(), ...stamps }, null, 1));
}

/** Builds lib-build/; returns { ms, typeErrors } or throws with tsc's output. */
function build() {
  const { libDir, buildDir, config } = project;
  const t0 = Date.now();
  const stamps = currentStamps(); // before compiling: an edit made during the build leaves it stale
  const tmp = `${buildDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // TypeScript 5.0, the version tslab compiles cells with, so the declarations are ones it reads.
  const tsc = path.join(root, 'node_modules', 'typescript-5.0', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', config, '--outDir', tmp], { cwd: root, encoding: 'utf8' });
  // tsc exits 2 when it reports errors but has emitted everything (noEmitOnError is off).
  if ((r.status !== 0 && r.status !== 2) || !fs.existsSync(path.join(tmp, 'core', 'index.js'))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${r.status}):\n${r.stdout}${r.stderr}${r.error ? r.error.message : ''}`);
  }
  for (const rel of Object.keys(stamps.files)) {
    if (rel.endsWith('.ts')) continue;
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.copyFileSync(path.join(libDir, rel), path.join(tmp, rel));
  }
  writeStamps(tmp, stamps);
  const old = `${buildDir}.old-${process.pid}`;
  if (fs.existsSync(buildDir)) fs.renameSync(buildDir, old);
  fs.renameSync(tmp, buildDir);
  fs.rmSync(old, { recursive: true, force: true });
  const typeErrors = (r.stdout.match(/error TS\d+/g) || []).length;
  return { ms: Date.now() - t0, typeErrors, output: r.stdout };
}

module.exports = { libDir: project.libDir, buildDir: project.buildDir, buildState, build, currentStamps, writeStamps };

if (require.main === module) {
  const args = new Set(process.argv.slice(2));
  const state = buildState();
  if (args.has('--check')) {
    console.log(state.fresh ? 'lib-build/ is up to date' : `lib-build/ is stale: ${state.reason}`);
    process.exit(state.fresh ? 0 : 1);
  }
  if (args.has('--if-stale') && state.fresh) process.exit(0);
  try {
    console.log(`[setup] compiling lib/ into lib-build/ for the notebook kernel${state.fresh ? '' : ` (${state.reason})`}`);
    const r = build();
    console.log(`[setup] lib-build/ built in ${(r.ms / 1000).toFixed(1)} s` +
      (r.typeErrors ? ` (lib/ has ${r.typeErrors} type error(s), emitted anyway; \`npm run typecheck\` shows them)` : ''));
  } catch (e) {
    console.error(`[setup] ${e.message}`);
    console.error('[setup] without lib-build/ the notebook kernel compiles lib/ from its sources (a slow first cell)');
    process.exit(1);
  }
}
