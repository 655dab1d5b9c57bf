#!/usr/bin/env node
/**
 * Installs the plotly.js bundle where the project's Jupyter server serves it,
 * so notebook outputs load it by URL instead of carrying its 4.8 MB:
 *
 *   .jupyter-prefix/share/jupyter/nbextensions/ldl-plotly/plotly.min.js
 *     -> node_modules/plotly.js-dist-min/plotly.min.js   (a relative symlink; a copy where links fail)
 *
 * Jupyter Notebook 6 serves every `nbextensions/` folder on JUPYTER_PATH at
 * `<base_url>nbextensions/` (no enabling needed: enabling only makes the page
 * load an extension's main.js), and the project's server runs with the prefix
 * on JUPYTER_PATH (scripts/kernel.mjs jupyterEnv), so the file is at
 * `<base_url>nbextensions/ldl-plotly/plotly.min.js`. lib/plot/display.ts
 * (SERVED_PLOTLY) points figures there and finds the same file to decide
 * whether it is installed. A symlink follows `npm ci` updates of plotly.js;
 * Tornado checks the served path without resolving links, so it is served.
 *
 *   node scripts/served-plotly.mjs             install (again)
 *   node scripts/served-plotly.mjs --if-missing install only when absent or dangling
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The bundle as npm installs it. */
export const plotlyBundle = path.join(root, 'node_modules', 'plotly.js-dist-min', 'plotly.min.js');
/** Where the Jupyter server finds it (lib/plot/display.ts SERVED_PLOTLY names the same place under nbextensions/). */
export const servedPlotly = path.join(root, '.jupyter-prefix', 'share', 'jupyter', 'nbextensions', 'ldl-plotly', 'plotly.min.js');

/** True when the served file exists (a dangling link does not) and, if a copy, has the installed bundle's size. */
export function servedPlotlyInstalled() {
  if (!existsSync(servedPlotly)) return false;
  if (lstatSync(servedPlotly).isSymbolicLink() || !existsSync(plotlyBundle)) return true;
  return statSync(servedPlotly).size === statSync(plotlyBundle).size; // a copy left from an older plotly.js
}

/** Links (or copies) the bundle into the served folder; returns 'linked', 'copied' or 'present'. Throws when plotly.js is not installed. */
export function installServedPlotly({ ifMissing = false } = {}) {
  if (ifMissing && servedPlotlyInstalled()) return 'present';
  if (!existsSync(plotlyBundle)) throw new Error(`${path.relative(root, plotlyBundle)} is missing: run \`npm ci\` (or \`npm run setup\`) first`);
  mkdirSync(path.dirname(servedPlotly), { recursive: true });
  // lstat: a dangling link is not seen by existsSync but still blocks symlinkSync.
  try {
    lstatSync(servedPlotly);
    rmSync(servedPlotly, { force: true });
  } catch {
    // nothing there
  }
  try {
    symlinkSync(path.relative(path.dirname(servedPlotly), plotlyBundle), servedPlotly);
    return 'linked';
  } catch {
    copyFileSync(plotlyBundle, servedPlotly);
    return 'copied';
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const how = installServedPlotly({ ifMissing: process.argv.includes('--if-missing') });
    if (how !== 'present') console.log(`served-plotly: plotly.js ${how} into ${path.relative(root, servedPlotly)}`);
  } catch (e) {
    console.error(`served-plotly: ${e.message}`);
    process.exit(1);
  }
}
