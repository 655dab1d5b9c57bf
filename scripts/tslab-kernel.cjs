#!/usr/bin/env node
/**
 * The project's tslab kernel: tslab 1.0.22 (patched by patches/tslab-1.0.22.patch at setup) started with
 * what a notebook of this project needs. Registered by scripts/kernel.mjs.
 * - The precompiled library (usePrecompiledLibrary): while lib-build/ matches lib/, `./lib/...` imports
 *   type-check against its .d.ts and run its .js, so the first cell takes seconds instead of tslab
 *   compiling the library (scripts/build-lib.cjs); otherwise tslab compiles lib/ as published, and
 *   LDL_KERNEL_SOURCES=1 asks for that.
 * - Folder imports when tslab compiles lib/ itself: tslab loads the files it compiled through its own
 *   require hook, which maps `./x` only to `x.js` and never to `x/index.js`
 *   (tslab/dist/executor.js, requireFromSideOutputs), so `import ... from './lib/core'` and a library
 *   file's `from '../core'` failed with "Cannot find module". Every compiled `<dir>/index.js` gets a
 *   one-line sibling `<dir>.js` that re-exports it: both spellings load the same module instance.
 * - Kernel > Interrupt stops the library's work at its next step (installInterruptHook).
 * - Stack traces name the cell's line and lib/'s .ts line (installStackMapping).
 */
'use strict';
const path = require('path');

const root = path.resolve(__dirname, '..');
let tslabDir;
try {
  tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [root] }));
} catch {
  console.error(`tslab-kernel: tslab is not installed in ${root}/node_modules: run \`npm ci\` (or \`npm run setup\`) there.`);
  process.exit(1);
}
const converter = require(path.join(tslabDir, 'dist', 'converter.js'));

function addFolderAliases(sideOutputs) {
  const paths = new Set(sideOutputs.map((o) => o.path));
  for (const out of [...sideOutputs]) {
    if (path.basename(out.path) !== 'index.js') continue;
    const dir = path.dirname(out.path);
    const alias = `${dir}.js`;
    if (paths.has(alias)) continue; // a real file of that name wins
    paths.add(alias);
    sideOutputs.push({ path: alias, data: `module.exports = require(${JSON.stringify(`./${path.basename(dir)}/index`)});\n` });
  }
}

const createConverter = converter.createConverter;
converter.createConverter = function (options) {
  const conv = createConverter(options);
  const convert = conv.convert;
  conv.convert = function (...args) {
    const out = convert.apply(this, args);
    if (out && Array.isArray(out.sideOutputs)) addFolderAliases(out.sideOutputs);
    return out;
  };
  return conv;
};

/**
 * Interrupts that stop work (lib/core/interrupt.ts). tslab's SIGINT handler
 * calls executor.interrupt(), which only abandons the cell's promise: the
 * training it awaited goes on in the background. Wrapped here: an interrupt
 * first sets the library's flag; when listening work runs (a training run,
 * a pool run: they yield to the event loop, so this handler runs at all), it
 * stops at its next step and its InterruptedError ends the cell, so the cell
 * ends only once the work has stopped. tslab's own interrupt still follows
 * when nothing listens, on a second interrupt, or if the cell is still
 * running 3 s later. Each cell starts with the flag cleared. The flag is the
 * object lib/core/interrupt.ts keeps on globalThis under this symbol, with
 * its request() and clear().
 */
function installInterruptHook(executorModule) {
  const KEY = Symbol.for('learning-dynamics-lab/interrupt');
  const GRACE_MS = 3000;
  const createExecutor = executorModule.createExecutor;
  executorModule.createExecutor = function (...args) {
    const executor = createExecutor.apply(this, args);
    let cell = 0;
    let running = false;
    const execute = executor.execute;
    executor.execute = async function (...a) {
      const flag = globalThis[KEY];
      if (flag) flag.clear();
      const mine = ++cell;
      running = true;
      try {
        return await execute.apply(this, a);
      } finally {
        if (cell === mine) running = false;
      }
    };
    const interrupt = executor.interrupt;
    executor.interrupt = function () {
      const flag = globalThis[KEY];
      if (!flag || flag.requested || !flag.request()) {
        interrupt.call(executor);
        return;
      }
      const mine = cell;
      setTimeout(() => {
        if (running && cell === mine) interrupt.call(executor);
      }, GRACE_MS).unref();
    };
    return executor;
  };
}

/**
 * Cell semantics and type-error hints come from patches/tslab-1.0.22.patch, which setup applies to
 * node_modules/tslab after every `npm ci`. A kernel started after an `npm ci` without setup would run
 * without them and nothing would say why: say it in the kernel's log.
 */
function warnIfUnpatched() {
  const fs = require('fs');
  const files = ['converter.js', 'executor.js'].map((f) => path.join(tslabDir, 'dist', f));
  if (files.every((f) => fs.readFileSync(f, 'utf8').includes('[ldl patch]'))) return;
  console.error(
    'tslab-kernel: node_modules/tslab is not patched (patches/tslab-1.0.22.patch): a cell that throws loses its names ' +
      'and `{ x }` cannot name an earlier cell\'s x. Run `node scripts/setup.mjs` and restart the kernel.',
  );
}

/**
 * The precompiled library (scripts/build-lib.cjs). When lib-build/ matches lib/, a cell's
 * `import ... from './lib/x'` type-checks against lib-build/x.d.ts and runs lib-build/x.js, instead of
 * tslab compiling every library file it reaches (a first cell importing core and rules: 2.9 s instead
 * of 14 s at load 3-5; bench/README.md).
 * Both redirections key on real paths, so they hold for notebooks/lib (a symlink to lib) and any other
 * folder reaching lib/ through a link:
 * - TypeScript (tslab's compiler reads files through ts.sys): a .ts/.js file under lib/ does not
 *   exist, its .d.ts does and holds lib-build's; module resolution then finds `lib/x.d.ts` or
 *   `lib/x/index.d.ts`, which is only read, never emitted or checked (skipLibCheck);
 * - Node: a require of a path under lib/ loads the same path under lib-build/; the modules of
 *   lib-build/ require each other directly.
 * When the build is stale (a file under lib/ edited since), nothing is redirected: tslab compiles the
 * sources as it always did, and the first cell says why it is slow. A file edited while the kernel
 * runs on the build takes effect only after a restart (a loaded module is never reloaded, as in
 * Python); the next cell says so.
 */
function usePrecompiledLibrary() {
  const fs = require('fs');
  const Module = require('module');
  const buildLib = require('./build-lib.cjs');
  const state = buildLib.buildState();
  const notices = [];
  if (!state.fresh) {
    notices.push(`tslab-kernel: compiling lib/ from its sources (the first cell takes longer): ${state.reason}. ` +
      '`node scripts/build-lib.cjs` (or setup, npm test) rebuilds lib-build/ for the next kernel.');
    return notices;
  }
  const realLib = fs.realpathSync(buildLib.libDir);
  const buildDir = buildLib.buildDir;
  const realDirs = new Map();
  /** The path of `p` relative to lib/ ('/'-separated) when p lies in lib/ through any links, else null. */
  function libRelative(p) {
    const dir = path.dirname(p);
    let real = realDirs.get(dir);
    if (real === undefined) {
      try {
        real = fs.realpathSync(dir);
      } catch {
        real = null;
      }
      realDirs.set(dir, real);
    }
    if (real === null) return null;
    const full = path.join(real, path.basename(p));
    if (full !== realLib && !full.startsWith(realLib + path.sep)) return null;
    return path.relative(realLib, full).split(path.sep).join('/');
  }
  const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
  /** lib-build's declaration file standing for `p`, '' for a source file of lib/ to hide, or null. */
  function declarationFor(p) {
    const rel = libRelative(p);
    if (rel === null) return null;
    if (rel.endsWith('.d.ts')) return path.join(buildDir, rel);
    return SOURCE.test(rel) ? '' : null;
  }

  const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }));
  const sys = ts.sys;
  const { fileExists, readFile, realpath } = sys;
  sys.fileExists = (p) => {
    const d = declarationFor(p);
    return d === null ? fileExists.call(sys, p) : d !== '' && fileExists.call(sys, d);
  };
  sys.readFile = (p, encoding) => {
    const d = declarationFor(p);
    return d === null ? readFile.call(sys, p, encoding) : d === '' ? undefined : readFile.call(sys, d, encoding);
  };
  // A declaration that exists only in lib-build/ has no real path of its own under lib/.
  if (realpath) sys.realpath = (p) => (declarationFor(p) ? p : realpath.call(sys, p));

  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    if ((request.startsWith('./') || request.startsWith('../')) && parent && parent.filename) {
      const rel = libRelative(path.resolve(path.dirname(parent.filename), request));
      if (rel !== null) request = path.join(buildDir, rel);
    }
    return resolve.call(this, request, parent, ...rest);
  };
  return notices;
}

/** Prints `notices` (and, once per change, a file of lib/ edited while this kernel runs its build) at cell start. */
function installNotices(executorModule, notices, watchBuild) {
  const buildLib = watchBuild ? require('./build-lib.cjs') : null;
  let told = '';
  const createExecutor = executorModule.createExecutor;
  executorModule.createExecutor = function (...args) {
    const executor = createExecutor.apply(this, args);
    const execute = executor.execute;
    executor.execute = function (...a) {
      for (const n of notices.splice(0)) console.error(n);
      if (buildLib) {
        const state = buildLib.buildState();
        if (!state.fresh && state.reason !== told) {
          told = state.reason;
          console.error(`tslab-kernel: ${state.reason}; this kernel runs the library as it was compiled when it started ` +
            '(lib-build/): restart the kernel to use the edit.');
        }
      }
      return execute.apply(this, a);
    };
    return executor;
  };
}

/**
 * Stack traces in the terms of what the user wrote (issue 13, item 4). A frame in a cell names the cell
 * and its line (`In[3]:5:9`: the patched executor runs each cell under that name and keeps its two
 * source maps, cell -> ES module -> CommonJS); a frame in the library names the .ts file and line
 * (`lib/rules/train.ts:120:11`), through lib-build's .js.map files or, when tslab compiled lib/ itself,
 * the maps the patched converter kept. Frames below the outermost cell -- tslab's executor calling
 * the cell, Node's internals -- are left out. A frame that has no map is shown as V8 shows it.
 * Maps are read only when an error's stack is first read, never at load time.
 */
function installStackMapping(executorModule, converterModule, buildDir) {
  const fs = require('fs');
  const { SourceMap } = require('module');
  const kernelFiles = [tslabDir + path.sep, __filename];
  const cellMaps = executorModule.cellSourceMaps;
  const fileMaps = converterModule.sourceMapsOfFiles;
  const url = require('url');
  const parsed = new Map(); // compiled file -> its chain of SourceMaps, or null
  const CELL = /^In\[\d+\]$/;
  const DROP = Symbol('drop');

  const asMap = (m) => (m instanceof SourceMap ? m : new SourceMap(typeof m === 'string' ? JSON.parse(m) : m));

  /** The chain of maps for a compiled file, first map last applied: [to source, ..., from the file]. */
  function mapsOf(file) {
    if (parsed.has(file)) return parsed.get(file);
    let maps = null;
    try {
      if (CELL.test(file)) {
        const m = cellMaps && cellMaps.get(file);
        if (m) maps = m.map(asMap);
      } else if (buildDir && file.startsWith(buildDir + path.sep)) {
        // lib-build: tsc wrote CommonJS and its map directly
        const payload = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'));
        payload.sources = payload.sources.map((s) => path.resolve(path.dirname(file), payload.sourceRoot || '', s));
        payload.sourceRoot = '';
        maps = [asMap(payload)];
      } else {
        // a library file tslab compiled: ES module -> .ts, CommonJS -> ES module
        const m = fileMaps && fileMaps.get(file);
        if (m && m[0] && m[1]) maps = m.map(asMap);
      }
    } catch {
      maps = null; // no usable map: the frame stays as V8 shows it
    }
    if (!CELL.test(file) || maps) parsed.set(file, maps);
    return maps;
  }
  /** A source path as `lib/x/y.ts` when it is the project's (through links), else as it is. */
  function shown(file) {
    let real = file;
    try {
      real = fs.realpathSync(file);
    } catch {
      // keep it
    }
    const rel = path.relative(root, real);
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
  }
  /** `file:line:col` of the source of a frame at 1-based (line, col); null without a map; DROP. */
  function locate(file, line, col) {
    const maps = mapsOf(file);
    if (!maps) return null;
    let l = line - 1;
    let c = col - 1;
    let e = null;
    for (let i = maps.length - 1; i >= 0; i--) {
      e = maps[i].findEntry(l, c);
      if (!e || e.originalLine === undefined) return null;
      // In a cell, a line with no mapping is tslab's wrapper calling the cell or a helper TypeScript added.
      if (i === maps.length - 1 && CELL.test(file) && e.generatedLine !== l) return DROP;
      l = e.originalLine;
      c = e.originalColumn;
    }
    if (CELL.test(file)) return l < 1 ? DROP : `${file}:${l}:${c + 1}`; // the first line is `export {};`
    const source = e.originalSource.startsWith('file://') ? url.fileURLToPath(e.originalSource) : e.originalSource;
    return `${shown(source)}:${l + 1}:${c + 1}`;
  }
  function frameText(frame) {
    const text = String(frame);
    const file = frame.getFileName();
    const line = frame.getLineNumber();
    const col = frame.getColumnNumber();
    if (!file || !line || !col) return text;
    let to = null;
    try {
      to = locate(file, line, col);
    } catch {
      // a damaged map: keep the frame as V8 shows it
    }
    if (to === DROP) return null;
    // A function of an earlier cell is called as a method of tslab's exports, a Proxy, which V8 names
    // (the frame cannot be asked for its `this` below a strict frame): not the user's.
    const own = CELL.test(file) && text.startsWith('Proxy.');
    return (own ? text.slice('Proxy.'.length) : text).replace(`${file}:${line}:${col}`, to || `${file}:${line}:${col}`);
  }

  Error.prepareStackTrace = (error, frames) => {
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = 'Error';
    }
    const files = frames.map((f) => f.getFileName() || '');
    const inCell = files.map((f) => CELL.test(f));
    // Below the outermost frame of the user's (a cell's, or a file's outside the kernel and Node)
    // only what called the cell remains: cut it when there is a cell frame at all.
    let end = frames.length;
    if (inCell.some(Boolean)) {
      const users = files.map((f, i) => inCell[i] || (f !== '' && !f.startsWith('node:') && !kernelFiles.some((k) => f.startsWith(k))));
      end = users.lastIndexOf(true) + 1;
    }
    const lines = frames.slice(0, end).map(frameText).filter((t) => t !== null);
    return [head, ...lines.map((t) => `    at ${t}`)].join('\n');
  };
}

warnIfUnpatched();
const executorModule = require(path.join(tslabDir, 'dist', 'executor.js'));
const notices = process.env.LDL_KERNEL_SOURCES === '1' ? [] : usePrecompiledLibrary();
installNotices(executorModule, notices, process.env.LDL_KERNEL_SOURCES !== '1' && notices.length === 0);
installInterruptHook(executorModule);
installStackMapping(executorModule, converter, notices.length === 0 && process.env.LDL_KERNEL_SOURCES !== '1' ? require('./build-lib.cjs').buildDir : null);

require(path.join(tslabDir, 'dist', 'main.js')).main();
