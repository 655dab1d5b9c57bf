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
 * files). Registered by scripts/kernel.mjs.
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

require(path.join(tslabDir, 'dist', 'main.js')).main();
