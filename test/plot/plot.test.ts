/**
 * lib/plot: the builders make the traces asked for (checked value by value
 * against the inputs), figureHtml carries them, save() writes SVG/PNG files
 * that hold the right number of drawn traces, a missing browser gives an
 * error that names it, and showAndSave shows a figure it cannot write and
 * says why in one line.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { line, scatter, heatmap, scatter3d, polylines3d, imageGrid, figureHtml, show, save, closeBrowser, chromiumPath, tableHtml, inNotebook, showAndSave, PALETTE, Figure, SERVED_PLOTLY, PLOTLY_NOT_SERVED } from '../../lib/plot';

after(async () => {
  await closeBrowser();
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-plot-'));

test('line: one trace per series, two more per band, bands filled to the upper edge', () => {
  const fig = line(
    [
      { y: new Float32Array([1, 2, 4]), x: [10, 20, 30], name: 'mean', band: { lower: [0.5, 1.5, 3], upper: [1.5, 2.5, 5] } },
      { y: [3, 2, 1], name: 'other', error: [0.1, 0.2, 0.3], dash: 'dash' },
    ],
    { title: 'loss', xLabel: 'step', yLabel: 'value', logY: true, yRange: [0.1, 10] },
  );
  assert.equal(fig.data.length, 4);
  const [upper, lower, mean, other] = fig.data;
  assert.deepEqual(upper.y, [1.5, 2.5, 5]);
  assert.deepEqual(lower.y, [0.5, 1.5, 3]);
  assert.equal(lower.fill, 'tonexty');
  assert.deepEqual(mean.y, [1, 2, 4]); // a typed array became a plain array
  assert.ok(Array.isArray(mean.y));
  assert.deepEqual(mean.x, [10, 20, 30]);
  assert.deepEqual(other.x, [0, 1, 2]);
  assert.deepEqual((other.error_y as { array: number[] }).array, [0.1, 0.2, 0.3]);
  assert.equal((mean.line as { color: string }).color, PALETTE[0]);
  assert.equal((other.line as { color: string }).color, PALETTE[1]);
  const layout = fig.layout as Record<string, any>;
  assert.deepEqual(layout.title, { text: 'loss' });
  assert.equal(layout.yaxis.type, 'log');
  assert.deepEqual(layout.yaxis.range, [-1, 1]); // log axes take log10 of the data range
  assert.deepEqual(layout.xaxis.title, { text: 'step' });
  assert.equal(layout.showlegend, true);
});

test('line: NaN becomes a gap (null) and mismatched lengths are refused by name', () => {
  const fig = line({ y: [1, NaN, 3] });
  assert.deepEqual(fig.data[0].y, [1, null, 3]);
  assert.throws(() => line({ y: [1, 2], x: [1, 2, 3] }), /series\.x: expected length 2/);
  assert.throws(() => line([]), /series: expected at least one series/);
  assert.throws(() => line({ y: [1], band: { lower: [0], upper: [1, 2] } }), /series\.band\.upper: expected length 1/);
  assert.throws(() => line({ y: [1, 2] }, { logX: true, xRange: [0, 1] }), /xRange: expected positive bounds/);
});

test('scatter and scatter3d: one trace per group with the given points', () => {
  const s = scatter([{ x: [1, 2], y: [3, 4], name: 'a' }, { x: [5], y: [6], color: [0.5] }], { colorbarTitle: 'c' });
  assert.equal(s.data.length, 2);
  assert.equal(s.data[0].mode, 'markers');
  assert.deepEqual(s.data[1].x, [5]);
  assert.equal((s.data[1].marker as Record<string, unknown>).colorscale, 'Viridis');
  const s3 = scatter3d([{ x: [1, 2], y: [3, 4], z: [5, 6], mode: 'lines' }, { x: [0], y: [0], z: [0] }], { zLabel: 'pc3' });
  assert.equal(s3.data.length, 2);
  assert.equal(s3.data[0].type, 'scatter3d');
  assert.deepEqual(s3.data[0].z, [5, 6]);
  assert.deepEqual((s3.layout as any).scene.zaxis.title, { text: 'pc3' });
  assert.throws(() => scatter3d({ x: [1], y: [1, 2], z: [1] }), /series\.y: expected length 1/);
});

test('polylines3d: paths joined by one gap each, the same from a list or from flat rows', () => {
  // Two paths of 3 points; point t of path p is (10p + t, 100p + t, 2 - t).
  const pts = (p: number) => ({ x: [0, 1, 2].map((t) => 10 * p + t), y: [0, 1, 2].map((t) => 100 * p + t), z: [0, 1, 2].map((t) => 2 - t) });
  const a = polylines3d([pts(0), pts(1)], { name: 'trials', color: '#bbbbbb' });
  assert.equal(a.mode, 'lines');
  assert.equal(a.name, 'trials');
  assert.equal(a.color, '#bbbbbb');
  assert.deepEqual(a.x, [0, 1, 2, NaN, 10, 11, 12]);
  assert.deepEqual(a.y, [0, 1, 2, NaN, 100, 101, 102]);
  assert.deepEqual(a.z, [2, 1, 0, NaN, 2, 1, 0]);
  const rows = new Float64Array(2 * 3 * 3);
  for (let p = 0; p < 2; p++) for (let t = 0; t < 3; t++) rows.set([10 * p + t, 100 * p + t, 2 - t], 3 * (3 * p + t));
  const b = polylines3d({ rows, pathLength: 3 });
  assert.deepEqual([b.x, b.y, b.z], [a.x, a.y, a.z]);
  // In a figure the gap is a null (a break in the line) and all paths are one trace.
  const fig = scatter3d([a, { x: [0], y: [0], z: [0], name: 'origin' }]);
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data[0].x, [0, 1, 2, null, 10, 11, 12]);
  assert.equal(fig.data[0].mode, 'lines');
  assert.throws(() => polylines3d([]), /paths: expected at least one path/);
  assert.throws(() => polylines3d([{ x: [1, 2], y: [1], z: [1, 2] }]), /paths\[0\]\.y: expected length 2/);
  assert.throws(() => polylines3d({ rows: new Float64Array(7), pathLength: 2 }), /paths\.rows: expected a whole number of paths of 2 points/);
});

test('heatmap: rows from nested or flat input agree; matrix origin at the top', () => {
  const a = heatmap([[1, 2, 3], [4, 5, 6]], { zmid: 0, colorscale: 'RdBu' });
  const b = heatmap({ values: new Float64Array([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 }, { origin: 'bottom' });
  assert.deepEqual(a.data[0].z, [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(b.data[0].z, a.data[0].z);
  assert.equal((a.layout as any).yaxis.autorange, 'reversed');
  assert.equal((b.layout as any).yaxis.autorange, undefined);
  assert.equal(a.data[0].zmid, 0);
  assert.throws(() => heatmap([[1, 2], [3]]), /z\[1\]: expected length 2/);
  assert.throws(() => heatmap({ values: [1, 2, 3], rows: 2, cols: 2 }), /z\.values: expected length 4/);
});

test('imageGrid: every pixel lands in its cell, titles are the labels', () => {
  // Three 2x3 images whose pixel (r, c) of image k is 100k + 10r + c.
  const h = 2, w = 3, n = 3;
  const px = new Float32Array(n * h * w);
  for (let k = 0; k < n; k++) for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) px[k * h * w + r * w + c] = 100 * k + 10 * r + c;
  const names = ['zero', 'one', 'two', 'three'];
  const fig = imageGrid({ images: px, height: h, width: w, labels: new Int32Array([2, 0, 3]) }, { columns: 2, gap: 1, labelNames: names });
  assert.equal(fig.data.length, 1);
  const z = fig.data[0].z as (number | null)[][];
  const titleBand = 6; // max(6, round(0.35 h))
  const cellW = w + 1, cellH = h + 1 + titleBand;
  for (let k = 0; k < n; k++) {
    const r0 = Math.floor(k / 2) * cellH + titleBand, c0 = (k % 2) * cellW;
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) assert.equal(z[r0 + r][c0 + c], 100 * k + 10 * r + c);
  }
  // Cells not covered by an image are gaps.
  assert.equal(z[0][0], null);
  assert.equal(z[titleBand][w], null);
  assert.equal(z.length, 2 * cellH - 1);
  assert.equal(z[0].length, 2 * cellW - 1);
  const texts = ((fig.layout as any).annotations as { text: string }[]).map((a) => a.text);
  assert.deepEqual(texts, ['two', 'zero', 'three']);
  assert.equal(fig.data[0].zmin, 0);
  assert.equal(fig.data[0].zmax, 212);
  assert.throws(() => imageGrid(new Float32Array(10), { height: 2, width: 3 }), /images: expected a whole number of 2x3 images/);
  assert.throws(() => imageGrid(px, { height: 2, width: 3, indices: [3] }), /indices\[0\]: expected an integer in \[0, 2\]/);
});

function figureFromHtml(html: string): { id: string; traces: number; spec: Figure } {
  const div = /<div class="ldl-plot" id="([\w-]+)" data-traces="(\d+)"/.exec(html);
  assert.ok(div, 'figure div present');
  const json = new RegExp(`<script type="application/json" id="${div[1]}-figure">([\\s\\S]*?)</script>`).exec(html);
  assert.ok(json, 'figure JSON present');
  return { id: div[1], traces: Number(div[2]), spec: JSON.parse(json[1]) };
}

test('figureHtml carries the traces and layout; ids are unique; the bundle is embedded, served or left to the page', () => {
  const fig = line([{ y: [1, 2], name: '</script><b>x' }, { y: [2, 1], name: 'b' }], { title: 'T' });
  const html = figureHtml(fig, { plotly: 'none' });
  const parsed = figureFromHtml(html);
  assert.equal(parsed.traces, 2);
  assert.deepEqual(parsed.spec.data, JSON.parse(JSON.stringify(fig.data)));
  assert.deepEqual((parsed.spec.layout as any).title, { text: 'T' });
  // A name containing </script> must not close the tag early.
  assert.equal(html.match(/<\/script>/g)!.length, 2);
  assert.notEqual(figureFromHtml(figureHtml(fig, { plotly: 'none' })).id, parsed.id);
  assert.ok(!html.includes('window.Plotly = Plotly') && !html.includes(SERVED_PLOTLY));
  const full = figureHtml(fig);
  assert.ok(full.includes('window.Plotly = Plotly'), 'bundle embedded by default');
  assert.ok(full.length > 1e6);
  assert.match(full, /window\.define = undefined/);
  // Served: no bundle, the served file's path instead, and the note for a page that cannot load it.
  const served = figureHtml(fig, { plotly: 'served' });
  assert.ok(served.length < 10000 && !served.includes('window.Plotly = Plotly'));
  assert.ok(served.includes(JSON.stringify(SERVED_PLOTLY)) && served.includes(JSON.stringify(PLOTLY_NOT_SERVED)));
  assert.throws(() => figureHtml(fig, { plotly: 'cdn' as 'none' }), /plotly: expected one of/);
});

test('a static SVG travels percent-encoded (not base64) and decodes to the same bytes', () => {
  const fig = line({ y: [1, 2] });
  // Characters that would end the attribute, start an entity or change in a URL parser, and non-ASCII text.
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">\n\t<text fill="#123">it\'s 5% &amp; \r\nμ–</text></svg>');
  const withStatic = figureHtml(fig, { plotly: 'none', staticImage: { mime: 'image/svg+xml', data: svg } });
  const img = /<img class="ldl-static"[^>]*src='data:image\/svg\+xml;charset=utf-8,([^']+)'>/.exec(withStatic);
  assert.ok(img, 'static image inside the div');
  assert.ok(!/[#&\t\n\r]/.test(img[1]), 'no raw #, &, tab or newline in the URL');
  assert.equal(decodeURIComponent(img[1]), svg.toString());
  assert.ok(img[1].length < svg.length * 1.2, 'smaller than base64 (1.33 x)');
  assert.equal(figureFromHtml(withStatic).traces, 1);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const withPng = figureHtml(fig, { plotly: 'none', staticImage: { mime: 'image/png', data: png } });
  assert.equal(Buffer.from(/src='data:image\/png;base64,([^']+)'/.exec(withPng)![1], 'base64').compare(png), 0);
});

test('show outside a kernel draws nothing and does not throw', () => {
  assert.equal(inNotebook(), false);
  assert.equal(show(line({ y: [1] })), undefined);
  assert.throws(() => show({ data: 3 } as unknown as Figure), /fig: expected a Figure/);
});

function svgTraceCount(svg: string): { scatter: number; heatmap: number } {
  return {
    scatter: (svg.match(/<g class="trace scatter/g) ?? []).length,
    heatmap: (svg.match(/<g class="hm"/g) ?? []).length,
  };
}

const browser = chromiumPath();
const haveBrowser = browser !== null && fs.existsSync(browser);

test('save writes an SVG with one drawn group per trace, and a PNG', { skip: !haveBrowser && 'no Chromium on this machine', timeout: 120000 }, async () => {
  const fig = line([{ y: [1, 3, 2], name: 'a', band: { lower: [0, 2, 1], upper: [2, 4, 3] } }, { y: [2, 2, 2], name: 'b' }], { title: 'three traces' });
  const svgFile = path.join(tmp, 'sub', 'line.svg');
  await save(fig, svgFile);
  const svg = fs.readFileSync(svgFile, 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.deepEqual(svgTraceCount(svg), { scatter: 4, heatmap: 0 });
  assert.match(svg, />three traces</);

  const hm = path.join(tmp, 'hm.svg');
  await save(heatmap([[1, 2], [3, 4]]), hm);
  assert.deepEqual(svgTraceCount(fs.readFileSync(hm, 'utf8')), { scatter: 0, heatmap: 1 });

  const pngFile = path.join(tmp, 'grid.png');
  await save(imageGrid(new Float32Array(4 * 9).map((_, i) => i), { height: 3, width: 3 }), pngFile, { scale: 1 });
  const png = fs.readFileSync(pngFile);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // IHDR width/height = the layout size at scale 1.
  const layout = imageGrid(new Float32Array(4 * 9), { height: 3, width: 3 }).layout as any;
  assert.equal(png.readUInt32BE(16), layout.width);
  assert.equal(png.readUInt32BE(20), layout.height);
  await assert.rejects(save(fig, path.join(tmp, 'x.gif')), /file: expected a path ending in \.svg, \.png or \.pdf/);
});

test('showAndSave writes out/<notebook>/<file>.svg with the figure drawn', { skip: !haveBrowser && 'no Chromium on this machine', timeout: 120000 }, async () => {
  const saved = process.env.LDL_OUT_DIR;
  process.env.LDL_OUT_DIR = path.join(tmp, 'out');
  try {
    const file = await showAndSave(scatter([{ x: [1, 2], y: [3, 4] }, { x: [0], y: [1] }]), 'demo', 'points.svg');
    assert.equal(file, path.join(tmp, 'out', 'demo', 'points.svg'));
    assert.equal(svgTraceCount(fs.readFileSync(file!, 'utf8')).scatter, 2);
    await assert.rejects(showAndSave(line({ y: [1] }), 'demo', '../x.svg'), /file: expected a file name ending in \.svg/);
  } finally {
    if (saved === undefined) delete process.env.LDL_OUT_DIR;
    else process.env.LDL_OUT_DIR = saved;
  }
});

test('save names the missing browser when CHROMIUM_PATH points nowhere', async () => {
  await closeBrowser();
  const saved = process.env.CHROMIUM_PATH;
  process.env.CHROMIUM_PATH = '/nonexistent/chromium-for-test';
  try {
    await assert.rejects(save(line({ y: [1, 2] }), path.join(tmp, 'never.svg')), (e: Error) => {
      assert.match(e.message, /\/nonexistent\/chromium-for-test/);
      assert.match(e.message, /CHROMIUM_PATH/);
      assert.match(e.message, /apt-get install -y chromium/);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(tmp, 'never.svg')));
  } finally {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  }
});

test('tableHtml renders a DataFrame-like table and records cell by cell, escaping HTML', () => {
  const html = tableHtml({ columns: ['name', 'value'], values: [['a<b', 0.123456], ['c', 12]] }, { caption: 'T' });
  const cells = [...html.matchAll(/<t[dh]>(.*?)<\/t[dh]>/g)].map((m) => m[1]);
  assert.deepEqual(cells, ['name', 'value', 'a&lt;b', '0.1235', 'c', '12']);
  assert.match(html, /<caption>T<\/caption>/);
  const rec = tableHtml([{ x: 1, y: 2e-7 }, { x: 3 }]);
  assert.deepEqual([...rec.matchAll(/<t[dh]>(.*?)<\/t[dh]>/g)].map((m) => m[1]), ['x', 'y', '1', '2.000e-7', '3', '']);
  assert.throws(() => tableHtml([] as never), /table: expected a DataFrame/);
});

/** Runs fn with process.env[key] set (or removed for undefined) and console.log captured; restores both. */
async function withEnvAndLog<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try {
    return { value: await fn(), lines };
  } finally {
    console.log = log;
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('showAndSave without a usable browser: returns null, writes nothing, notes it once per browser path', async () => {
  await closeBrowser();
  const out = path.join(tmp, 'out-nobrowser');
  const notExecutable = path.join(tmp, 'chromium-not-executable');
  fs.writeFileSync(notExecutable, 'not a browser\n', { mode: 0o644 });
  for (const browserPath of ['/nonexistent/chromium-for-test', notExecutable]) {
    const { value, lines } = await withEnvAndLog({ CHROMIUM_PATH: browserPath, LDL_OUT_DIR: out }, async () => [
      await showAndSave(line({ y: [1, 2] }), 'demo', 'a.svg'),
      await showAndSave(scatter({ x: [1], y: [2] }), 'demo', 'b.svg'),
    ]);
    assert.deepEqual(value, [null, null]);
    assert.equal(lines.length, 1, `one note for ${browserPath}: ${JSON.stringify(lines)}`);
    assert.match(lines[0], /^figures are not saved as SVG: save: no usable Chromium/);
    assert.ok(lines[0].includes(browserPath));
    assert.ok(!lines[0].includes('\n'));
  }
  assert.deepEqual(fs.readdirSync(path.join(out, 'demo')), []);
});

test('showAndSave when the out folder cannot be made: the figure is still shown, one line per figure, null', async () => {
  const blocker = path.join(tmp, 'a-file-not-a-folder');
  fs.writeFileSync(blocker, 'x');
  const { value, lines } = await withEnvAndLog({ LDL_OUT_DIR: blocker }, async () => [
    await showAndSave(line({ y: [1, 2] }), 'demo', 'a.svg'),
    await showAndSave(line({ y: [2, 1] }), 'demo', 'b.svg'),
  ]);
  assert.deepEqual(value, [null, null]);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^figure a\.svg not saved: .*(ENOTDIR|EEXIST)/);
  assert.match(lines[1], /^figure b\.svg not saved: /);
  // Bad arguments are still errors, not notes.
  await assert.rejects(showAndSave(line({ y: [1] }), 'no/such name', 'a.svg'), /name: expected a notebook name/);
  await assert.rejects(showAndSave({ data: 1 } as unknown as Figure, 'demo', 'a.svg'), /fig: expected a Figure/);
});

test('showAndSave when writing the rendered SVG fails: one line naming the file, null', { skip: !haveBrowser && 'no Chromium on this machine', timeout: 120000 }, async () => {
  const out = path.join(tmp, 'out-unwritable');
  fs.mkdirSync(path.join(out, 'demo', 'taken.svg'), { recursive: true }); // a folder where the file should go
  const { value, lines } = await withEnvAndLog({ LDL_OUT_DIR: out }, () => showAndSave(line({ y: [1, 2] }), 'demo', 'taken.svg'));
  assert.equal(value, null);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^figure taken\.svg not saved: .*EISDIR/);
  // The next figure, with a writable target, is saved as usual.
  const ok = await withEnvAndLog({ LDL_OUT_DIR: out }, () => showAndSave(line({ y: [1, 2] }), 'demo', 'fine.svg'));
  assert.equal(ok.value, path.join(out, 'demo', 'fine.svg'));
  assert.deepEqual(ok.lines, []);
});

test('lib/plot files import one way: figures <- display <- export <- index', () => {
  const dir = path.join(__dirname, '..', '..', 'lib', 'plot');
  const imports = (f: string) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/from '\.\/([\w-]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(imports('figures.ts'), []);
  assert.deepEqual(imports('display.ts'), ['figures']);
  assert.deepEqual(imports('export.ts'), ['display', 'figures']);
  assert.deepEqual([...new Set(imports('index.ts'))].sort(), ['display', 'export', 'figures']);
  // index.ts only re-exports, by name.
  const index = fs.readFileSync(path.join(dir, 'index.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  assert.doesNotMatch(index, /export \*/);
  assert.doesNotMatch(index, /\b(function|const|let|class)\b/);
});
