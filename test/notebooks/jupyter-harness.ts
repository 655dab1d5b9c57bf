/**
 * The harness of the browser tests: Jupyter Notebook (Debian's Notebook 6) with the project's tslab
 * kernel on a free localhost port, a notebook opened in headless Chromium (playwright-core driving
 * the system browser) and run through the page's own Jupyter API, as a user's Cell > Run All would.
 *
 * The notebook runs from a copy in `<outDir>/work/` (with its own `lib` symlink), so the server's
 * autosave can never write outputs into notebooks/. `close()` always stops the browser, the server
 * and its kernel (a kernel runs in its own session, so the server's whole process tree is stopped).
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as http from 'http';
import { randomBytes } from 'crypto';

export const root = path.resolve(__dirname, '..', '..');

// The page-side callbacks run in the browser, where these exist.
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const chromium = process.env.CHROMIUM_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
const python = process.env.JUPYTER_PYTHON || '/usr/bin/python3';
/** Why the browser tests cannot run here, or false. */
export const skipBrowser: string | false = !chromium || !fs.existsSync(chromium) ? 'no Chromium on this machine (apt-get install chromium)' : !fs.existsSync(python) ? `no ${python}` : false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Polls `probe` every 500 ms until it returns something truthy; throws naming `what` after `limitMs`. */
export async function waitFor<T>(what: string, limitMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(limitMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface OpenNotebook {
  /** The playwright page showing the notebook, its kernel connected. */
  page: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Uncaught errors of the page's scripts. */
  pageErrors: string[];
  /** The folder the notebook runs in (`<outDir>/work`). */
  workDir: string;
  /** Stops the kernel, the browser and the server; safe to call twice. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Where the server's log, the work folder and screenshots go (wiped work folder first). */
  outDir: string;
  /** The notebook's file name in the work folder, and its content (a file's text or a notebook object). */
  notebook: string;
  content: string | object;
  /** Extra environment of the server and its kernels (QUICK, LDL_OUT_DIR, ...). */
  env?: Record<string, string>;
}

/** Starts Jupyter on a free port with the notebook in `<outDir>/work`, and opens it in headless Chromium. */
export async function openNotebook(o: OpenOptions): Promise<OpenNotebook> {
  const kernel = await import(path.join(root, 'scripts', 'kernel.mjs'));
  kernel.registerKernel({ ifMissing: true, quiet: true });

  const workDir = path.join(o.outDir, 'work');
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  fs.writeFileSync(path.join(workDir, o.notebook), typeof o.content === 'string' ? o.content : JSON.stringify(o.content, null, 1));
  fs.symlinkSync(path.relative(workDir, path.join(root, 'lib')), path.join(workDir, 'lib'));

  let server: ChildProcess | null = null;
  let browser: { close(): Promise<void> } | null = null;
  let page: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Shut the kernel down from the page before the server goes.
    if (page) await page.evaluate(() => window.Jupyter?.notebook?.kernel?.kill()).catch(() => undefined);
    if (browser) await browser.close().catch(() => undefined);
    if (server?.pid) {
      const { stopTree } = await import(path.join(root, 'scripts', 'proc.mjs'));
      await stopTree(server.pid, 8000);
    }
  };
  try {
    const port = await freePort();
    const token = randomBytes(16).toString('hex');
    const log = fs.openSync(path.join(o.outDir, 'jupyter.log'), 'w');
    server = spawn(
      python,
      ['-m', 'notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0',
        `--NotebookApp.token=${token}`, `--notebook-dir=${workDir}`],
      { cwd: workDir, env: { ...kernel.jupyterEnv(), PYDEVD_DISABLE_FILE_VALIDATION: '1', ...o.env }, stdio: ['ignore', log, log] },
    );
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the notebook server', 90000, async () => {
      if (server!.exitCode !== null) throw new Error(`jupyter notebook exited (${server!.exitCode}); see ${path.join(o.outDir, 'jupyter.log')}`);
      return (await httpStatus(`${base}/api/status?token=${token}`)) === 200;
    });

    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium: pw } = require('playwright-core');
    const b = await pw.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'] });
    browser = b;
    page = await b.newPage({ viewport: { width: 1280, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e: Error) => pageErrors.push(e.message));
    await page.goto(`${base}/notebooks/${o.notebook}?token=${token}`, { timeout: 90000 });
    await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.() === true, null, { timeout: 120000, polling: 500 });
    await page.evaluate(() => window.Jupyter.notebook.set_autosave_interval(0));
    return { page, pageErrors, workDir, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export interface CellOutput {
  /** 'stream' (with name stdout/stderr), 'error', 'execute_result', 'display_data'. */
  type: string;
  name?: string;
  text: string;
}

export interface RunState {
  running: number;
  done: number;
  total: number;
  busy: boolean;
  /** `ename: evalue` of every error output. */
  errors: string[];
  /** Every stderr stream output. */
  stderr: string[];
  /** Per code cell, its outputs. */
  outputs: CellOutput[][];
}

/** The state of the notebook's code cells as the page shows them. */
export async function cellState(page: any): Promise<RunState> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return page.evaluate(() => {
    const cells = window.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code');
    const outputs = cells.map((c: any) =>
      c.output_area.outputs.map((o: any) => ({
        type: o.output_type,
        name: o.name,
        text: o.output_type === 'stream' ? o.text : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : String(o.data?.['text/plain'] ?? ''),
      })),
    );
    const all = outputs.flat();
    return {
      running: cells.filter((c: any) => c.input_prompt_number === '*').length,
      done: cells.filter((c: any) => typeof c.input_prompt_number === 'number').length,
      total: cells.length,
      busy: document.querySelector('#kernel_indicator_icon')?.classList.contains('kernel_busy_icon') ?? true,
      errors: all.filter((o: any) => o.type === 'error').map((o: any) => o.text),
      stderr: all.filter((o: any) => o.type === 'stream' && o.name === 'stderr').map((o: any) => o.text),
      outputs,
    };
  });
}

/**
 * Runs every cell (what Cell > Run All calls) and waits until no cell waits or runs ('*') and the
 * kernel has stayed idle for 3 s. With `stopOnError`, returns as soon as an error output shows.
 */
export async function runAllCells(page: any, limitMs: number, { stopOnError = true } = {}): Promise<RunState> { // eslint-disable-line @typescript-eslint/no-explicit-any
  await page.evaluate(() => window.Jupyter.notebook.execute_all_cells());
  let idleSince = 0;
  return waitFor('all cells to run', limitMs, async () => {
    const s = await cellState(page);
    if (stopOnError && s.errors.length) return s;
    if (s.running === 0 && !s.busy) {
      if (idleSince === 0) idleSince = Date.now();
      if (Date.now() - idleSince > 3000) return s;
    } else idleSince = 0;
    return null;
  });
}
