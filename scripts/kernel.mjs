#!/usr/bin/env node
/**
 * Registers the tslab kernels (`tslab` TypeScript, `jslab` JavaScript) in a
 * project-local Jupyter prefix, `.jupyter-prefix/`, so nothing global changes.
 * `tslab install --python /usr/bin/python3 --prefix .jupyter-prefix` writes
 * the kernelspecs (Debian's /usr/bin/python3 is the Python that has Jupyter;
 * a pyenv or venv python3 earlier on PATH usually does not); their argv is
 * then pointed at this Node binary running scripts/tslab-kernel.cjs, the
 * project's tslab launcher (precompiled library, folder imports, interrupts, traces). An absolute
 * Node path keeps the kernel working when Jupyter's PATH has no `node`.
 *
 * Jupyter finds the kernel through JUPYTER_PATH=<root>/.jupyter-prefix/share/jupyter.
 *
 *   node scripts/kernel.mjs              register (again) and print JUPYTER_PATH
 *   node scripts/kernel.mjs --if-missing register only when the kernelspec is absent
 *   node scripts/kernel.mjs --print-path print JUPYTER_PATH only
 *
 * Env: JUPYTER_PYTHON overrides the Python (default /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const jupyterPrefix = path.join(projectRoot, '.jupyter-prefix');
export const jupyterPath = path.join(jupyterPrefix, 'share', 'jupyter');
export const kernelSpecFile = path.join(jupyterPath, 'kernels', 'tslab', 'kernel.json');
export const tslabBinary = path.join(projectRoot, 'node_modules', '.bin', 'tslab');
export const kernelLauncher = path.join(projectRoot, 'scripts', 'tslab-kernel.cjs');
export const jupyterPython = process.env.JUPYTER_PYTHON || '/usr/bin/python3';

/** Environment for any Jupyter process of this project: our kernel prefix first on JUPYTER_PATH. */
export function jupyterEnv(base = process.env) {
  const prior = base.JUPYTER_PATH ? base.JUPYTER_PATH.split(path.delimiter).filter((p) => p && p !== jupyterPath) : [];
  return { ...base, JUPYTER_PATH: [jupyterPath, ...prior].join(path.delimiter) };
}

/** True when the kernelspec exists and runs this checkout's launcher with an existing Node. */
export function kernelRegistered() {
  if (!existsSync(kernelSpecFile)) return false;
  try {
    const spec = JSON.parse(readFileSync(kernelSpecFile, 'utf8'));
    return Array.isArray(spec.argv) && existsSync(spec.argv[0]) && spec.argv[1] === kernelLauncher;
  } catch {
    return false;
  }
}

/** Points both kernelspecs (tslab, jslab) at `node scripts/tslab-kernel.cjs`, keeping tslab's own arguments. */
function useLauncher() {
  for (const name of ['tslab', 'jslab']) {
    const file = path.join(jupyterPath, 'kernels', name, 'kernel.json');
    if (!existsSync(file)) continue;
    const spec = JSON.parse(readFileSync(file, 'utf8'));
    const kernelArgs = spec.argv.slice(spec.argv.indexOf('kernel'));
    spec.argv = [process.execPath, kernelLauncher, ...kernelArgs];
    writeFileSync(file, JSON.stringify(spec, null, 1) + '\n');
  }
}

/** Checks that the chosen Python can run Jupyter; throws with the install command when not. */
export function checkJupyterPython() {
  if (!existsSync(jupyterPython)) {
    throw new Error(
      `Python for Jupyter not found at ${jupyterPython}. Install Debian's Jupyter: ` +
        `sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel ` +
        `(or set JUPYTER_PYTHON to a Python that has notebook and nbconvert).`,
    );
  }
  const r = spawnSync(jupyterPython, ['-c', 'import notebook, nbconvert, jupyter_client'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${jupyterPython} cannot import notebook/nbconvert/jupyter_client (${(r.stderr || '').trim().split('\n').pop()}). ` +
        `Install them: sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel`,
    );
  }
}

/** Registers the kernel; returns the JUPYTER_PATH entry to use. */
export function registerKernel({ ifMissing = false, quiet = false } = {}) {
  if (ifMissing && kernelRegistered()) return jupyterPath;
  if (!existsSync(tslabBinary)) {
    throw new Error(`tslab not found at ${tslabBinary}: run \`npm ci\` (or \`npm run setup\`) first.`);
  }
  checkJupyterPython();
  const r = spawnSync(
    tslabBinary,
    ['install', '--python', jupyterPython, '--binary', tslabBinary, '--prefix', jupyterPrefix],
    { encoding: 'utf8', cwd: projectRoot },
  );
  if (r.status !== 0 || !existsSync(kernelSpecFile)) {
    throw new Error(`tslab install failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  useLauncher();
  if (!kernelRegistered()) throw new Error(`kernel registration failed: ${kernelSpecFile} does not run ${kernelLauncher}`);
  if (!quiet) console.log(`kernel: tslab registered in ${path.relative(projectRoot, jupyterPrefix)} (JUPYTER_PATH=${jupyterPath})`);
  return jupyterPath;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  try {
    if (args.includes('--print-path')) {
      console.log(jupyterPath);
    } else {
      registerKernel({ ifMissing: args.includes('--if-missing') });
      console.log(`export JUPYTER_PATH=${jupyterPath}`);
    }
  } catch (e) {
    console.error(`kernel: ${e.message}`);
    process.exit(1);
  }
}
