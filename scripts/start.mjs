#!/usr/bin/env node
/**
 * npm start [-- <notebook options>]: Jupyter Notebook (Debian's Notebook 6 on
 * /usr/bin/python3) on notebooks/ with the project's tslab kernel, registered
 * first if missing, and plotly.js linked where that Jupyter serves it
 * (scripts/served-plotly.mjs; figures then load it by URL instead of
 * embedding 4.8 MB in the notebook). Extra arguments go to Jupyter, e.g.
 * `npm start -- --no-browser --port 8899`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot, jupyterEnv, jupyterPython, registerKernel } from './kernel.mjs';
import { stopTree } from './proc.mjs';
import { installServedPlotly } from './served-plotly.mjs';

try {
  registerKernel({ ifMissing: true });
} catch (e) {
  console.error(`start: ${e.message}`);
  process.exit(1);
}
try {
  installServedPlotly({ ifMissing: true });
} catch (e) {
  console.error(`start: ${e.message}; figures will embed plotly.js in the notebook instead`);
}
const extra = process.argv.slice(2);
const args = ['-m', 'notebook', `--notebook-dir=${path.join(projectRoot, 'notebooks')}`, '--MultiKernelManager.default_kernel_name=tslab'];
// Notebook refuses to run as root without this flag (containers often are root).
if (typeof process.getuid === 'function' && process.getuid() === 0 && !extra.includes('--allow-root')) args.push('--allow-root');
args.push(...extra);
console.log(`start: ${jupyterPython} ${args.join(' ')}`);
const child = spawn(jupyterPython, args, { cwd: path.join(projectRoot, 'notebooks'), env: { ...jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1' }, stdio: 'inherit' });
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    await stopTree(child.pid, 8000);
    process.exit(130);
  });
}
child.on('close', (code) => process.exit(code ?? 1));
