/**
 * Browser test: Jupyter Notebook (Debian's Notebook 6) with the project's
 * tslab kernel on a free localhost port, tour.ipynb opened in headless
 * Chromium (playwright-core driving the system browser), all cells run
 * through the page's own Jupyter API, then every plotly figure is checked to
 * have drawn as many traces as its figure holds. Screenshots go to
 * out/browser/. The server and its kernel are always stopped.
 *
 * The notebook runs from a copy in out/browser/work/ (with its own `lib`
 * symlink), so the server's autosave can never write outputs into
 * notebooks/tour.ipynb. The kernel runs with QUICK=1 and writes its
 * results.json and SVGs under out/browser/out/, apart from the smoke test's.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as http from 'http';
import { randomBytes } from 'crypto';

const root = path.resolve(__dirname, '..', '..');
const outDir = path.join(root, 'out', 'browser');
const workDir = path.join(outDir, 'work');
const NOTEBOOK = 'tour.ipynb';
/** Upper bound for running all cells (QUICK=1 takes about a minute on an idle 2-core machine). */
const RUN_LIMIT_MS = Number(process.env.BROWSER_TEST_TIMEOUT ?? 900) * 1000;

// The page-side callbacks run in the browser, where these exist.
declare const window: any;
declare const document: any;

const chromium = process.env.CHROMIUM_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
const python = process.env.JUPYTER_PYTHON || '/usr/bin/python3';
const skip = !chromium || !fs.existsSync(chromium) ? 'no Chromium on this machine (apt-get install chromium)' : !fs.existsSync(python) ? `no ${python}` : false;

let server: ChildProcess | null = null;
let browser: { close(): Promise<void> } | null = null;

after(async () => {
  if (browser) await browser.close().catch(() => undefined);
  if (server?.pid) {
    const { stopTree } = await import(path.join(root, 'scripts', 'proc.mjs'));
    await stopTree(server.pid, 8000);
  }
});

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

async function waitFor<T>(what: string, limitMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(limitMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('tour.ipynb runs in Jupyter Notebook in headless Chromium and every plotly figure draws its traces', { skip, timeout: RUN_LIMIT_MS + 240000 }, async () => {
  const kernel = await import(path.join(root, 'scripts', 'kernel.mjs'));
  kernel.registerKernel({ ifMissing: true, quiet: true });

  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  fs.copyFileSync(path.join(root, 'notebooks', NOTEBOOK), path.join(workDir, NOTEBOOK));
  fs.symlinkSync(path.relative(workDir, path.join(root, 'lib')), path.join(workDir, 'lib'));

  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const log = fs.openSync(path.join(outDir, 'jupyter.log'), 'w');
  server = spawn(
    python,
    ['-m', 'notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0',
      `--NotebookApp.token=${token}`, `--notebook-dir=${workDir}`],
    { cwd: workDir, env: { ...kernel.jupyterEnv(), QUICK: '1', PAPER: '', PYDEVD_DISABLE_FILE_VALIDATION: '1', LDL_OUT_DIR: path.join(outDir, 'out') }, stdio: ['ignore', log, log] },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the notebook server', 90000, async () => {
    if (server!.exitCode !== null) throw new Error(`jupyter notebook exited (${server!.exitCode}); see out/browser/jupyter.log`);
    return (await httpStatus(`${base}/api/status?token=${token}`)) === 200;
  });

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { chromium: pw } = require('playwright-core');
  const b = await pw.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'] });
  browser = b;
  const page = await b.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e: Error) => pageErrors.push(e.message));
  await page.goto(`${base}/notebooks/${NOTEBOOK}?token=${token}`, { timeout: 90000 });
  await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.() === true, null, { timeout: 120000, polling: 500 });

  // Run all cells through the page's Jupyter API (what Cell > Run All calls); no autosave.
  await page.evaluate(() => {
    window.Jupyter.notebook.set_autosave_interval(0);
    window.Jupyter.notebook.execute_all_cells();
  });

  // Done when no cell waits or runs ('*') and the kernel has stayed idle; stop early on an error output.
  let idleSince = 0;
  const state = await waitFor('all cells to run', RUN_LIMIT_MS, async () => {
    const s = await page.evaluate(() => {
      const cells = window.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === 'code');
      const errors = cells.flatMap((c: any) => c.output_area.outputs.filter((o: any) => o.output_type === 'error').map((o: any) => `${o.ename}: ${o.evalue}`));
      const stderr = cells.flatMap((c: any) => c.output_area.outputs.filter((o: any) => o.output_type === 'stream' && o.name === 'stderr').map((o: any) => o.text));
      return {
        running: cells.filter((c: any) => c.input_prompt_number === '*').length,
        done: cells.filter((c: any) => typeof c.input_prompt_number === 'number').length,
        total: cells.length,
        busy: document.querySelector('#kernel_indicator_icon')?.classList.contains('kernel_busy_icon') ?? true,
        errors,
        stderr,
      };
    });
    if (s.errors.length) return s;
    if (s.running === 0 && !s.busy) {
      if (idleSince === 0) idleSince = Date.now();
      if (Date.now() - idleSince > 3000) return s;
    } else idleSince = 0;
    return null;
  });
  assert.deepEqual(state.errors, [], `cells failed; stderr: ${state.stderr.join('\n')}`);
  assert.equal(state.done, state.total, `${state.total - state.done} code cells did not run; stderr: ${state.stderr.join('\n')}`);

  // Every figure: drawn traces (SVG groups for 2-D traces, scene objects for WebGL 3-D) = traces in its figure.
  const figures = await waitFor('the figures to draw', 120000, async () => {
    const f = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.ldl-plot')).map((div: any) => {
        const scenes = Object.keys(div._fullLayout ?? {}).filter((k) => /^scene\d*$/.test(k));
        const webgl = scenes.reduce((n: number, k: string) => n + Object.keys(div._fullLayout[k]._scene?.traces ?? {}).length, 0);
        const svg = div.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm, .contourlayer .contour').length;
        const canvases = Array.from(div.querySelectorAll('.gl-container canvas')).filter((c: any) => c.width > 0 && c.height > 0).length;
        const staticLeft = div.querySelectorAll('img.ldl-static').length;
        return { id: div.id, expected: Number(div.dataset.traces), drawn: svg + webgl, svgRoot: !!div.querySelector('.main-svg'), webglScenes: scenes.length, canvases, staticLeft };
      }),
    );
    return f.length > 0 && f.every((x: any) => x.svgRoot && x.drawn === x.expected) ? f : null;
  }).catch(async (e) => {
    const f = await page.evaluate(() => Array.from(document.querySelectorAll('.ldl-plot')).map((div: any) => ({ id: div.id, expected: div.dataset.traces, html: div.innerHTML.slice(0, 200) })));
    await page.screenshot({ path: path.join(outDir, 'tour-failed.png') });
    throw new Error(`${(e as Error).message}: ${JSON.stringify(f)}; page errors: ${pageErrors.join('; ')}`);
  });

  // The tour shows two image grids, a line figure with bands, a 3-D scatter and a heatmap.
  assert.ok(figures.length >= 5, `expected at least 5 figures, found ${figures.length}`);
  for (const f of figures) assert.equal(f.drawn, f.expected, `figure ${f.id}: drew ${f.drawn} of ${f.expected} traces`);
  // The static SVG fallback that showAndSave embeds gives way to the live figure.
  for (const f of figures) assert.equal(f.staticLeft, 0, `figure ${f.id} still shows its static image`);
  const threeD = figures.filter((f: any) => f.webglScenes > 0);
  assert.ok(threeD.length >= 1 && threeD.every((f: any) => f.canvases > 0), '3-D figures render to a WebGL canvas');

  fs.mkdirSync(outDir, { recursive: true });
  const plots = page.locator('.ldl-plot');
  for (let i = 0; i < figures.length; i++) {
    await plots.nth(i).scrollIntoViewIfNeeded();
    await plots.nth(i).screenshot({ path: path.join(outDir, `tour-figure-${i + 1}.png`) });
  }
  await plots.first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outDir, 'tour.png') });
  assert.ok(fs.statSync(path.join(outDir, 'tour.png')).size > 10000);
  fs.writeFileSync(path.join(outDir, 'figures.json'), JSON.stringify(figures, null, 1) + '\n');

  // Re-running a figure cell replaces its figures with new ones that draw too (plotly.js is already on the page).
  const before = new Set(figures.map((f: any) => f.id));
  const rerun = await page.evaluate(() => {
    const cells = window.Jupyter.notebook.get_cells();
    const index = cells.findIndex((c: any) => c.cell_type === 'code' && c.get_text().includes('heatmap(cosine'));
    if (index >= 0) cells[index].execute();
    return index;
  });
  assert.ok(rerun >= 0, 'the heatmap cell exists');
  const again = await waitFor('the re-run cell to draw', 180000, async () => {
    const f = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.ldl-plot')).map((div: any) => ({
        id: div.id,
        expected: Number(div.dataset.traces),
        drawn: div.querySelectorAll('.scatterlayer .trace, .heatmaplayer .hm').length +
          Object.keys(div._fullLayout?.scene?._scene?.traces ?? {}).length,
      })),
    );
    const fresh = f.filter((x: any) => !before.has(x.id));
    return f.length === figures.length && fresh.length === 2 && fresh.every((x: any) => x.drawn === x.expected) ? fresh : null;
  });
  assert.equal(again.length, 2);

  // Shut the kernel down from the page before the server goes.
  await page.evaluate(() => window.Jupyter.notebook.kernel.kill()).catch(() => undefined);
});
