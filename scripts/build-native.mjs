#!/usr/bin/env node
// Builds the native BLAS add-on (native/ -> native/build/Release/ldl_native.node)
// with node-gyp. The build runs in a staging copy of native/ (under
// native/build/, so node-addon-api still resolves) and the result is installed
// by writing a temporary file next to the old add-on and renaming it over it:
// processes that have the old add-on loaded keep their mapped inode instead of
// crashing when it is rewritten in place. Prints one line. Exits non-zero with the reason when there is
// no C++ compiler, no CBLAS to link, or the build fails, so that `npm run setup`
// can fall back to the wasm backend with a one-line notice.
//
// Env: LDL_BLAS_LIBS  linker flags for the BLAS (default: first that links of
//                     -lopenblas, -lcblas -lblas, -lblas)
//      CXX            the C++ compiler (default: c++, g++ or clang++ on PATH)
import { spawnSync } from 'node:child_process';
import { cpSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const output = join(nativeDir, 'build', 'Release', 'ldl_native.node');
const verbose = process.argv.includes('--verbose');

function fail(message) {
  console.error(`native: not built -- ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...options });
}

function findCompiler() {
  const candidates = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  for (const c of candidates) {
    const r = run(c, ['--version']);
    if (r.status === 0) return c;
  }
  return null;
}

// A BLAS is usable when a program calling cblas_sgemm links against it.
function findBlas(cxx) {
  const candidates = process.env.LDL_BLAS_LIBS ? [process.env.LDL_BLAS_LIBS] : ['-lopenblas', '-lcblas -lblas', '-lblas'];
  const dir = mkdtempSync(join(tmpdir(), 'ldl-blas-'));
  try {
    const src = join(dir, 'probe.cc');
    writeFileSync(
      src,
      'extern "C" void cblas_sgemm(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);\n' +
        'int main(){float a[1]={2},b[1]={3},c[1]={0};cblas_sgemm(101,111,111,1,1,1,1.f,a,1,b,1,0.f,c,1);return c[0]==6.f?0:1;}\n',
    );
    for (const libs of candidates) {
      const exe = join(dir, 'probe');
      const r = run(cxx, [src, '-o', exe, ...libs.split(/\s+/).filter(Boolean)]);
      if (r.status === 0 && run(exe, []).status === 0) return libs;
    }
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Headers of the running Node: a distribution's node keeps them in
// <prefix>/include/node, which node-gyp takes as --nodedir=<prefix>; otherwise
// node-gyp uses (or downloads) its own copy.
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? prefix : null;
}

const cxx = findCompiler();
if (!cxx) fail('no C++ compiler found (install g++ or clang++, or set CXX)');
const blas = findBlas(cxx);
if (!blas) fail('no CBLAS found to link (install libopenblas-dev, or set LDL_BLAS_LIBS, e.g. "-lcblas -lblas")');

const require = createRequire(import.meta.url);
let gypBin;
try {
  gypBin = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed (it is a devDependency: run npm install)');
}
const stagingParent = join(nativeDir, 'build');
mkdirSync(stagingParent, { recursive: true });
const staging = mkdtempSync(join(stagingParent, '.staging-'));
process.on('exit', () => rmSync(staging, { recursive: true, force: true }));
cpSync(join(nativeDir, 'binding.gyp'), join(staging, 'binding.gyp'));
cpSync(join(nativeDir, 'src'), join(staging, 'src'), { recursive: true });
const built = join(staging, 'build', 'Release', 'ldl_native.node');
const args = [gypBin, 'rebuild', '--directory', staging];
const nd = nodeDir();
if (nd) args.push(`--nodedir=${nd}`);
const build = run(process.execPath, args, { env: { ...process.env, LDL_BLAS_LIBS: blas, CXX: cxx } });
if (verbose) process.stdout.write(build.stdout + build.stderr);
if (build.status !== 0 || !existsSync(built)) {
  const lines = (build.stderr || build.stdout || '').split('\n').filter((l) => /error/i.test(l));
  fail(`node-gyp failed: ${lines.slice(0, 3).join(' | ') || 'see node-gyp output (rerun with --verbose)'}`);
}

// Load it once to prove it works: a 2x2 product against the known answer. In a
// child process, checked from the staging copy: a build that fails to load
// (e.g. an unresolved symbol aborts the loading process) never replaces a
// working add-on, and the staging directory is still removed.
const probe = run(process.execPath, ['-e', `
  const addon = require(${JSON.stringify(built)});
  const c = new Float32Array(4);
  addon.gemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, new Float32Array([5, 6, 7, 8]), 2, 0, c, 2);
  console.log(JSON.stringify({ product: c.join(','), config: addon.info().config }));
`]);
let probed = null;
try {
  probed = JSON.parse(probe.stdout.trim().split('\n').pop());
} catch {
  fail(`built, but loading failed: ${(probe.stderr || probe.stdout || 'no output').trim().split('\n')[0]}`);
}
if (probed.product !== '19,22,43,50') fail(`built, but a 2x2 product gave ${probed.product}`);
const lib = probed.config ? probed.config.trim() : `CBLAS via ${blas}`;
mkdirSync(dirname(output), { recursive: true });
const temp = `${output}.${process.pid}.tmp`;
copyFileSync(built, temp);
renameSync(temp, output);
console.log(`native: built ${join('native', 'build', 'Release', 'ldl_native.node')} (${lib}; linked ${blas})`);
