#!/usr/bin/env node
// npm run setup: installs whatever is missing, in order, and says what it did.
//   1. Debian packages (Jupyter for the system python3, Chromium, OpenBLAS,
//      Fashion-MNIST, photographs for lib/vision; with --bench also PyTorch and NumPy, with --slurm Slurm
//      and munge for the pool's Slurm executor and its tests) -- with root rights
//      it installs them, otherwise it prints the exact command to run;
//   2. npm packages (npm ci from package-lock.json);
//   3. the tslab patch (patches/apply.mjs: re-applied after every npm ci,
//      idempotent, refuses tslab files that do not match their pinned hashes);
//   4. the native BLAS add-on (falls back to wasm with a one-line notice);
//   5. the tslab kernel, registered in the project-local .jupyter-prefix, and
//      plotly.js linked where that prefix's Jupyter serves it
//      (scripts/served-plotly.mjs: figures load it by URL, not from outputs);
//   6. in a git checkout, the clean filter that keeps notebook outputs out of
//      commits (.gitattributes names it; scripts/strip-notebook-outputs.mjs);
//   7. lib/ precompiled into lib-build/ for the kernel's fast first cell
//      (scripts/build-lib.cjs; again whenever a file under lib/ changed).
// Flags: --if-needed (only check, and act where something is missing; quick
// when all is in place), --bench (add the benchmark references), --slurm (add
// slurm-wlm and munge: scripts/slurm-cluster.mjs runs a one-node cluster), --no-apt,
// --git-filter (only step 6).
// Plain JavaScript on purpose: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installServedPlotly } from './served-plotly.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const ifNeeded = args.has('--if-needed');
const withBench = args.has('--bench');
const withSlurm = args.has('--slurm');

const APT_CORE = [
  'jupyter-notebook', 'jupyter-nbconvert', 'jupyter-client', 'python3-nbclient', 'python3-ipykernel',
  'chromium', 'libopenblas-dev', 'dataset-fashion-mnist',
  // photographs for lib/vision (retinal-bottleneck): 12 nature JPEGs; skimage's sample photos (PNG)
  'mate-backgrounds', 'python3-skimage',
];
const APT_BENCH = ['python3-torch', 'python3-numpy', 'python3-scipy'];   // scipy: the geometry bench's NNLS reference
const APT_SLURM = ['slurm-wlm', 'munge'];

function log(msg) {
  console.log(`[setup] ${msg}`);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: opts.quiet ? 'pipe' : 'inherit', cwd: root, env: { ...process.env, ...opts.env }, encoding: 'utf8' });
  return r;
}

function missingDebianPackages(names) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...names], { encoding: 'utf8' });
  if (r.error) return null; // not a Debian system
  const installed = new Set(
    (r.stdout || '').split('\n').filter((l) => /\sii\s*$/.test(l)).map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function setupDebian() {
  if (args.has('--no-apt')) return;
  const wanted = [...APT_CORE, ...(withBench ? APT_BENCH : []), ...(withSlurm ? APT_SLURM : [])];
  const missing = missingDebianPackages(wanted);
  if (missing === null) {
    log(`not a Debian/Ubuntu system: install by hand Jupyter Notebook + nbconvert for python3, Chromium, a CBLAS (e.g. OpenBLAS) and Fashion-MNIST (see environment.md)`);
    return;
  }
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    log(`missing Debian packages: ${missing.join(' ')}`);
    log(`run:  sudo sh -c '${cmd}'   and then run this command again`);
    return;
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  let r = run('apt-get', ['update', '-qq'], { env });
  if (r.status !== 0) log('apt-get update failed; trying the install with the current package lists');
  r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  if (r.status !== 0) {
    log(`apt-get install failed (exit ${r.status}); install by hand: ${cmd}`);
    process.exitCode = 1;
  }
}

function npmUpToDate() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs - 1000;
}

function setupNpm() {
  if (npmUpToDate()) return;
  log('installing npm packages (npm ci)');
  const r = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (r.status !== 0) {
    log('npm ci failed; see the messages above');
    process.exit(1);
  }
}

const ADDON = join(root, 'native', 'build', 'Release', 'ldl_native.node');

function setupNative() {
  if (existsSync(ADDON)) {
    if (!ifNeeded || !addonIsStale()) return;
  }
  if (!existsSync(join(root, 'scripts', 'build-native.mjs'))) return;
  log('building the native BLAS add-on');
  const r = run(process.execPath, [join(root, 'scripts', 'build-native.mjs')]);
  if (r.status !== 0) {
    log('native add-on not built: the project falls back to the tfjs wasm backend (slower; see environment.md)');
  }
}

function addonIsStale() {
  const srcDir = join(root, 'native', 'src');
  if (!existsSync(srcDir)) return false;
  const built = statSync(ADDON).mtimeMs;
  const r = spawnSync('find', [srcDir, join(root, 'native', 'binding.gyp'), '-newer', ADDON], { encoding: 'utf8' });
  return built > 0 && (r.stdout || '').trim().length > 0;
}

function setupTslabPatch() {
  // npm ci reinstalls tslab as published; apply.mjs checks both files' hashes, patches them only when they
  // are the published ones, and is silent (--quiet) when they already are patched.
  let r = run(process.execPath, [join(root, 'patches', 'apply.mjs'), '--quiet']);
  if (r.status !== 0 && existsSync(join(root, 'node_modules', 'tslab'))) {
    // Files that are neither published nor patched by this patch are most often an earlier version of
    // the patch (a pull that changed patches/): reinstalling gives back the published files to patch.
    log('tslab\'s files are neither as published nor as this patch leaves them: reinstalling npm packages (npm ci) and patching again');
    const ci = run('npm', ['ci', '--no-audit', '--no-fund']);
    if (ci.status === 0) r = run(process.execPath, [join(root, 'patches', 'apply.mjs'), '--quiet']);
  }
  if (r.status !== 0) {
    log('tslab is not patched (see the message above): notebook cells lose names after an error and `{ x }` fails');
    process.exitCode = 1;
  }
}

function setupKernel() {
  // kernel.mjs --if-missing re-registers only when the kernelspec is absent or
  // points at another checkout or a Node that no longer exists.
  const r = run(process.execPath, [join(root, 'scripts', 'kernel.mjs'), '--if-missing'], { quiet: ifNeeded });
  if (r.status !== 0) {
    if (ifNeeded) process.stderr.write(`${r.stdout || ''}${r.stderr || ''}`);
    log('kernel registration failed; see the messages above');
    process.exitCode = 1;
  }
}

function setupServedPlotly() {
  // Notebook figures load plotly.js from <base_url>nbextensions/ldl-plotly/; without it they embed the bundle (lib/plot display).
  try {
    const how = installServedPlotly({ ifMissing: true });
    if (how !== 'present') log(`plotly.js ${how} into .jupyter-prefix/share/jupyter/nbextensions/ldl-plotly/ for Jupyter to serve`);
  } catch (e) {
    log(`plotly.js is not served to Jupyter (${e.message}): notebooks embed its 4.8 MB bundle in their outputs instead`);
    process.exitCode = 1;
  }
}

function setupLibBuild() {
  // Only when lib/ changed since the last build (or there is none); without it the kernel compiles lib/ itself.
  const r = run(process.execPath, [join(root, 'scripts', 'build-lib.cjs'), '--if-stale']);
  if (r.status !== 0) {
    log('lib-build/ not built: the notebook kernel compiles lib/ from its sources (a slow first cell)');
    process.exitCode = 1;
  }
}

function setupGitFilter() {
  // .gitattributes sends notebooks/*.ipynb through filter `ldl-strip-outputs`; git ignores a filter that is not
  // configured (content passes through), so a clone that has not run setup still works, it just strips nothing.
  // Not `required`: a failing filter then stores the file as it is rather than refusing the commit.
  // Only when the project is itself the checkout (not a copy unpacked inside some other repository), or no git.
  const top = run('git', ['rev-parse', '--show-toplevel'], { quiet: true });
  if (top.status !== 0 || !top.stdout.trim() || realpathSync(top.stdout.trim()) !== realpathSync(root)) return;
  const key = 'filter.ldl-strip-outputs.clean';
  const want = 'node scripts/strip-notebook-outputs.mjs';
  if (run('git', ['config', '--local', '--get', key], { quiet: true }).stdout.trim() === want) return;
  const r = run('git', ['config', '--local', key, want], { quiet: true });
  if (r.status !== 0) {
    log(`could not set git config ${key}: ${(r.stderr || '').trim()} (notebook outputs would reach commits)`);
    process.exitCode = 1;
    return;
  }
  log('git filter ldl-strip-outputs configured: commits store notebooks without outputs');
}

if (args.has('--git-filter')) {
  setupGitFilter();
  process.exit();
}
setupDebian();
setupGitFilter();
setupNpm();
setupTslabPatch();
setupNative();
setupKernel();
setupServedPlotly();
setupLibBuild();
if (!ifNeeded) log(process.exitCode ? 'finished with problems (see above)' : 'done');
