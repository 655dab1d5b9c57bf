/**
 * Browser test: tour.ipynb in Jupyter Notebook 6 with the project's tslab
 * kernel, opened in headless Chromium and run through the page's own Jupyter
 * API (test/notebooks/jupyter-harness.ts), then every plotly figure is checked
 * to have drawn as many traces as its figure holds. Screenshots go to
 * out/browser/. The server and its kernel are always stopped.
 *
 * The notebook runs from a copy in out/browser/work/, so the server's autosave
 * can never write outputs into notebooks/tour.ipynb. The kernel runs with
 * QUICK=1 and writes its results.json and SVGs under out/browser/out/, apart
 * from the smoke test's.
 *
 * Small notebooks: the figures load plotly.js from the file setup links into
 * the project's Jupyter prefix, so the notebook Jupyter saves after the run
 * holds no bundle and is under 1 MB with its five figures. That saved
 * notebook, exported to HTML as `npm run reproduce -- --html` does
 * (scripts/nbconvert/export_html.py: plotly.js inlined once), is opened from
 * a file:// URL in a browser context that is offline and refuses every
 * non-file request, and every figure there must draw all its traces too.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { root, skipBrowser, openNotebook, runAllCells, waitFor, OpenNotebook } from './jupyter-harness';

const outDir = path.join(root, 'out', 'browser');
const NOTEBOOK = 'tour.ipynb';
/** Upper bound for running all cells (QUICK=1 takes about a minute on an idle 2-core machine). */
const RUN_LIMIT_MS = Number(process.env.BROWSER_TEST_TIMEOUT ?? 900) * 1000;

// The page-side callbacks run in the browser, where these exist.
declare const window: any;
declare const document: any;

let nb: OpenNotebook | null = null;
after(async () => {
  await nb?.close();
});

/** Page-side: per figure, drawn traces (SVG groups for 2-D traces, scene objects for WebGL 3-D) against the traces in its figure. */
function drawnFigures() {
  return Array.from(document.querySelectorAll('.ldl-plot')).map((div: any) => {
    const scenes = Object.keys(div._fullLayout ?? {}).filter((k) => /^scene\d*$/.test(k));
    const webgl = scenes.reduce((n: number, k: string) => n + Object.keys(div._fullLayout[k]._scene?.traces ?? {}).length, 0);
    const svg = div.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm, .contourlayer .contour').length;
    const canvases = Array.from(div.querySelectorAll('.gl-container canvas')).filter((c: any) => c.width > 0 && c.height > 0).length;
    const staticLeft = div.querySelectorAll('img.ldl-static').length;
    return { id: div.id, expected: Number(div.dataset.traces), drawn: svg + webgl, svgRoot: !!div.querySelector('.main-svg'), webglScenes: scenes.length, canvases, staticLeft };
  });
}

test('tour.ipynb runs in Jupyter Notebook in headless Chromium and every plotly figure draws its traces', { skip: skipBrowser, timeout: RUN_LIMIT_MS + 240000 }, async () => {
  fs.mkdirSync(outDir, { recursive: true });
  nb = await openNotebook({
    outDir,
    notebook: NOTEBOOK,
    content: fs.readFileSync(path.join(root, 'notebooks', NOTEBOOK), 'utf8'),
    env: { QUICK: '1', PAPER: '', LDL_OUT_DIR: path.join(outDir, 'out') },
  });
  const { page, pageErrors } = nb;

  // Run all cells through the page's Jupyter API (what Cell > Run All calls); stop early on an error output.
  const state = await runAllCells(page, RUN_LIMIT_MS);
  assert.deepEqual(state.errors, [], `cells failed; stderr: ${state.stderr.join('\n')}`);
  assert.equal(state.done, state.total, `${state.total - state.done} code cells did not run; stderr: ${state.stderr.join('\n')}`);

  // Every figure: drawn traces (SVG groups for 2-D traces, scene objects for WebGL 3-D) = traces in its figure.
  const figures = await waitFor('the figures to draw', 120000, async () => {
    const f = await page.evaluate(drawnFigures);
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

  // The notebook as Jupyter saves it: five figures, no plotly.js bundle (each figure names the served file), under 1 MB.
  await page.evaluate(() => window.Jupyter.notebook.save_notebook());
  const saved = path.join(nb.workDir, NOTEBOOK);
  const savedText = fs.readFileSync(saved, 'utf8');
  // The bundle's version line (one line: a notebook stores an output's text line by line).
  const bundleHead = fs.readFileSync(path.join(root, 'node_modules', 'plotly.js-dist-min', 'plotly.min.js'), 'utf8').split('\n').find((l) => l.includes('plotly.js v'))!;
  assert.equal(savedText.split('class=\\"ldl-plot\\"').length - 1, figures.length, 'the saved notebook holds every figure');
  assert.ok(!savedText.includes(bundleHead), 'the saved notebook carries the plotly.js bundle');
  const size = fs.statSync(saved).size;
  fs.writeFileSync(path.join(outDir, 'saved-size.txt'), `${size}\n`);
  assert.ok(size < 1_000_000, `the executed ${NOTEBOOK} is ${(size / 1e6).toFixed(2)} MB`);

  // Its static HTML export draws every figure offline from a file:// URL.
  const html = path.join(outDir, 'tour.html');
  const exported = spawnSync(process.env.JUPYTER_PYTHON || '/usr/bin/python3', [path.join(root, 'scripts', 'nbconvert', 'export_html.py'), saved, html], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const offline = await page.context().browser().newContext({ offline: true, viewport: { width: 1280, height: 1000 } });
  const refused: string[] = [];
  await offline.route('**/*', (route: any) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    refused.push(url);
    return route.abort();
  });
  try {
    const staticPage = await offline.newPage();
    const staticErrors: string[] = [];
    staticPage.on('pageerror', (e: Error) => staticErrors.push(e.message));
    await staticPage.goto(`file://${html}`, { timeout: 90000 });
    const drawn = await waitFor('the exported page\'s figures to draw', 120000, async () => {
      const f = await staticPage.evaluate(drawnFigures);
      return f.length === figures.length && f.every((x: any) => x.svgRoot && x.drawn === x.expected) ? f : null;
    }).catch(async (e) => {
      await staticPage.screenshot({ path: path.join(outDir, 'tour-html-failed.png'), fullPage: true });
      throw new Error(`${(e as Error).message}: ${JSON.stringify(await staticPage.evaluate(drawnFigures))}; page errors: ${staticErrors.join('; ')}`);
    });
    assert.deepEqual(drawn.map((f: any) => f.expected), figures.map((f: any) => f.expected));
    assert.ok(drawn.filter((f: any) => f.webglScenes > 0).every((f: any) => f.canvases > 0), '3-D figures render to a WebGL canvas');
    await staticPage.screenshot({ path: path.join(outDir, 'tour-html.png') });
  } finally {
    await offline.close();
  }
  fs.writeFileSync(path.join(outDir, 'html-refused.txt'), refused.join('\n') + '\n');

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
});
