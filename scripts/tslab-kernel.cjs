#!/usr/bin/env node
/**
 * The project's tslab kernel: tslab 1.0.22 with one fix, so notebooks can
 * import a library module by its folder (`import { ... } from './lib/core'`)
 * and library modules can import each other the same way (`from '../core'`).
 *
 * tslab compiles local .ts files itself and loads them through its own
 * require hook, which maps `./x` only to `x.js` and never to `x/index.js`
 * (tslab/dist/executor.js, requireFromSideOutputs): a folder import then
 * falls through to Node, which cannot load .ts, and fails with
 * "Cannot find module './lib/core'". Here every compiled `<dir>/index.js`
 * gets a one-line sibling `<dir>.js` that re-exports it, so both spellings
 * load the very same module instance. Everything else is tslab unchanged
 * (its own TypeScript 5.0, its compiler options, its recompilation of changed
 * files), except that Kernel > Interrupt stops the library's work at its
 * next step (installInterruptHook below). Registered by scripts/kernel.mjs.
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

warnIfUnpatched();
installInterruptHook(require(path.join(tslabDir, 'dist', 'executor.js')));

require(path.join(tslabDir, 'dist', 'main.js')).main();
