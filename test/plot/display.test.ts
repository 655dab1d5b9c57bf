/**
 * How a figure's page gets plotly.js (lib/plot/display.ts):
 * - `plotlyLoading()` defaults to 'served' exactly when a JUPYTER_PATH entry
 *   holds nbextensions/ldl-plotly/plotly.min.js, else 'embed'; LDL_PLOTLY and
 *   the setter override, bad values are refused by name;
 * - in headless Chromium, pages served by a small local HTTP server standing
 *   in for Jupyter (its base URL on <body data-base-url>, as Notebook 6 puts
 *   it): served figures load the bundle from <base>nbextensions/... with one
 *   request for the whole page and draw every trace, replacing their static
 *   image; where the server answers 404 each figure says why and how to
 *   switch, and keeps its static SVG, which the browser decodes from the
 *   percent-encoded data URL (a non-zero natural size).
 * The whole notebook path (Notebook 6, tslab, the served file installed by
 * setup) is test/notebooks/browser.test.ts.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { line, heatmap, figureHtml, plotlyLoading, servedPlotlyFile, plotlyBundlePath, chromiumPath, CHROMIUM_ARGS, SERVED_PLOTLY, PLOTLY_NOT_SERVED } from '../../lib/plot';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-display-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function withEnv<T>(env: Record<string, string | undefined>, f: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  try {
    return f();
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

test('plotlyLoading: served when a JUPYTER_PATH entry holds the served file, else embed; LDL_PLOTLY and the setter choose', () => {
  const empty = path.join(tmp, 'empty');
  const prefix = path.join(tmp, 'prefix');
  fs.mkdirSync(empty, { recursive: true });
  fs.mkdirSync(path.join(prefix, 'nbextensions', 'ldl-plotly'), { recursive: true });
  fs.writeFileSync(path.join(prefix, ...SERVED_PLOTLY.split('/')), '/* plotly */');
  withEnv({ JUPYTER_PATH: undefined, LDL_PLOTLY: undefined }, () => {
    assert.equal(servedPlotlyFile(), null);
    assert.equal(plotlyLoading(), 'embed');
  });
  withEnv({ JUPYTER_PATH: [empty, prefix].join(path.delimiter), LDL_PLOTLY: undefined }, () => {
    assert.equal(servedPlotlyFile(), path.join(prefix, 'nbextensions', 'ldl-plotly', 'plotly.min.js'));
    assert.equal(plotlyLoading(), 'served');
  });
  withEnv({ JUPYTER_PATH: empty, LDL_PLOTLY: undefined }, () => assert.equal(plotlyLoading(), 'embed'));
  withEnv({ JUPYTER_PATH: prefix, LDL_PLOTLY: 'embed' }, () => assert.equal(plotlyLoading(), 'embed'));
  withEnv({ JUPYTER_PATH: empty, LDL_PLOTLY: 'served' }, () => assert.equal(plotlyLoading(), 'served'));
  withEnv({ LDL_PLOTLY: 'cdn' }, () => assert.throws(() => plotlyLoading(), /LDL_PLOTLY: expected one of/));
  assert.throws(() => plotlyLoading('inline' as 'embed'), /mode: expected one of/);
  // The setter wins over the environment (last: it holds for the rest of this process).
  withEnv({ JUPYTER_PATH: prefix, LDL_PLOTLY: undefined }, () => {
    assert.equal(plotlyLoading('embed'), 'embed');
    assert.equal(plotlyLoading(), 'embed');
  });
});

const browser = chromiumPath();
const haveBrowser = browser !== null && fs.existsSync(browser);

/** A server for `pages` (path -> HTML) that serves the bundle at /base/ + SERVED_PLOTLY when `serve`, counting requests for it. */
async function startServer(pages: Record<string, string>, serve: boolean): Promise<{ url: string; bundleRequests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    if (req.url === `/base/${SERVED_PLOTLY}`) {
      requests++;
      if (serve) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        fs.createReadStream(plotlyBundlePath()).pipe(res);
        return;
      }
    } else if (req.url !== undefined && pages[req.url] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(pages[req.url]);
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, bundleRequests: () => requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// The page-side callbacks run in the browser, where this exists.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

test('served figures load plotly.js once from the server\'s base URL and draw; a 404 leaves a note and the static image', { skip: !haveBrowser && 'no Chromium on this machine', timeout: 120000 }, async () => {
  const svg = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60">\n\t<rect width="120" height="60" fill="#3a7"/>' +
      '<text x="5" y="30" fill="#fff">it\'s 50% &amp; μ</text></svg>',
  );
  const figures = [
    figureHtml(line([{ y: [1, 3, 2], name: 'a' }, { y: [2, 2, 1], name: 'b' }]), { plotly: 'served', staticImage: { mime: 'image/svg+xml', data: svg } }),
    figureHtml(heatmap([[1, 2], [3, 4]]), { plotly: 'served' }),
  ];
  // Notebook 6 inserts an output's HTML after running its scripts; a plain page runs them in order, which the script also handles.
  const page = (body: string) => `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body data-base-url="/base/">${body}</body></html>`;
  const { chromium } = require('playwright-core'); // eslint-disable-line @typescript-eslint/no-var-requires
  const b = await chromium.launch({ executablePath: browser, headless: true, args: [...CHROMIUM_ARGS] });
  const state = () =>
    Array.from(document.querySelectorAll('.ldl-plot')).map((div: any) => ({
      expected: Number(div.dataset.traces),
      drawn: div.querySelectorAll('.scatterlayer .trace, .heatmaplayer .hm').length,
      note: div.querySelector('.ldl-plot-note')?.textContent ?? null,
      still: Array.from(div.querySelectorAll('img.ldl-static')).map((img: any) => img.complete && img.naturalWidth),
    }));
  try {
    for (const serve of [true, false]) {
      const server = await startServer({ '/notebooks/x.html': page(figures.join('\n')) }, serve);
      const p = await b.newPage();
      try {
        await p.goto(`${server.url}/notebooks/x.html`);
        await p.waitForFunction(
          () => Array.from(document.querySelectorAll('.ldl-plot')).every((d: any) => d.querySelector('.main-svg') || d.querySelector('.ldl-plot-note')),
          null,
          { timeout: 60000, polling: 100 },
        );
        const s = await p.evaluate(state);
        assert.equal(server.bundleRequests(), 1, 'one request for the page, not one per figure');
        if (serve) {
          assert.deepEqual(s.map((f: any) => [f.drawn, f.note, f.still.length]), [[2, null, 0], [1, null, 0]]);
        } else {
          for (const f of s) {
            assert.equal(f.drawn, 0);
            assert.equal(f.note, `plotly.js could not be loaded from ${server.url}/base/${SERVED_PLOTLY}. ${PLOTLY_NOT_SERVED}`);
          }
          // The static SVG stays, decoded by the browser from its percent-encoded data URL at its own size.
          assert.deepEqual(s[0].still, [120]);
        }
      } finally {
        await p.close();
        await server.close();
      }
    }
  } finally {
    await b.close();
  }
});
