/**
 * lib/plot figures fit for a paper: integer axes ticked at integers, log
 * axes labelled at decades, heatmap names on categorical axes, 3-D scenes
 * spanning the figure, and the `paper` export preset. Each property is
 * checked on the figure JSON and, where plotly's own tick placement decides
 * what a reader sees, on the tick labels of an SVG rendered by plotly.js in
 * the real headless Chromium; the PDF's page size is read from its MediaBox
 * (1 mm = 72/25.4 pt), independently of how it was asked for.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { line, scatter, heatmap, scatter3d, save, paperFigure, PAPER, closeBrowser, chromiumPath } from '../../lib/plot';
import { FASHION_MNIST_CLASS_NAMES } from '../../lib/data';

after(async () => {
  await closeBrowser();
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-axes-'));
const browser = chromiumPath();
const haveBrowser = browser !== null && fs.existsSync(browser);
const noBrowser = !haveBrowser && 'no Chromium on this machine';
const PT_PER_MM = 72 / 25.4;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const axis = (fig: { layout: Record<string, unknown> }, key: string): Record<string, any> => fig.layout[key] as Record<string, any>;

test('integer data get integer tick steps; fractional data keep plotly\'s own ticks', () => {
  const epochs = line({ x: [1, 2, 3], y: [0.9, 0.5, 0.4] }, { xLabel: 'epoch' });
  assert.deepEqual([axis(epochs, 'xaxis').tickmode, axis(epochs, 'xaxis').tick0, axis(epochs, 'xaxis').dtick], ['linear', 0, 1]);
  assert.equal(axis(epochs, 'yaxis').tickmode, undefined);
  // A long integer axis: a step of 1, 2 or 5 x 10^k giving about six labels.
  const long = line({ x: Array.from({ length: 100 }, (_, i) => i + 1), y: new Array(100).fill(0.5) });
  assert.equal(axis(long, 'xaxis').dtick, 20);
  // The default x (0..n-1) of a line is an index: integer ticks too.
  assert.equal(axis(line({ y: [0.1, 0.2] }), 'xaxis').dtick, 1);
  // Integer categories drawn with offsets (markers side by side) ask for it; false refuses it.
  const modes = scatter({ x: [-0.1, 0.9, 1.9, 2.9], y: [8, 12, 6, 1] }, { xInteger: true });
  assert.deepEqual([axis(modes, 'xaxis').tickmode, axis(modes, 'xaxis').dtick], ['linear', 1]);
  assert.equal(axis(scatter({ x: [-0.1, 0.9], y: [1, 2] }), 'xaxis').tickmode, undefined);
  assert.equal(axis(line({ x: [1, 2, 3], y: [1, 2, 3] }, { xInteger: false }), 'xaxis').tickmode, undefined);
  // A fixed range on integer data: the step covers the range.
  assert.equal(axis(line({ x: [1, 2], y: [1, 2] }, { xRange: [0, 1000] }), 'xaxis').dtick, 200);
  // A heatmap's default coordinates are indices.
  const hm = heatmap([[1, 2], [3, 4]]);
  assert.equal(axis(hm, 'xaxis').dtick, 1);
  assert.equal(axis(hm, 'yaxis').dtick, 1);
  assert.throws(() => line({ y: [1] }, { xInteger: 'yes' as unknown as boolean }), /xInteger: expected true or false/);
});

test('log axes over two or more decades are ticked at powers of ten; shorter ones at 1-2-5', () => {
  const wide = line({ x: [16, 2048], y: [0.05, 90] }, { logX: true, logY: true });
  for (const key of ['xaxis', 'yaxis']) {
    const a = axis(wide, key);
    assert.deepEqual([a.type, a.tickmode, a.tick0, a.dtick], ['log', 'linear', 0, 1]);
    assert.equal(a.minor.dtick, 'D1'); // minor ticks at 2..9, unlabelled
  }
  // Twenty decades: every fourth one labelled.
  assert.equal(axis(line({ y: [1e-10, 1e10] }, { logY: true }), 'yaxis').dtick, 4);
  // A few units: evenly spaced integers for integer data (plotly would put 3.5 between 3 and 4), plotly's ticks otherwise.
  assert.deepEqual(axis(line({ y: [3, 7] }, { logY: true }), 'yaxis').tickvals, [3, 4, 5, 6, 7]);
  assert.deepEqual(axis(line({ x: [64, 128, 256], y: [1, 2, 3] }, { logX: true }), 'xaxis').tickvals, [100, 150, 200, 250]);
  assert.equal(axis(line({ y: [3.1, 6.9] }, { logY: true }), 'yaxis').tickmode, undefined);
  const decade = axis(line({ y: [1.5, 60] }, { logY: true }), 'yaxis');
  assert.deepEqual(decade.tickvals, [2, 5, 10, 20, 50]);
  assert.deepEqual(decade.ticktext, ['2', '5', '10', '20', '50']);
});

test('heatmap: names as coordinates make categorical axes with every name a tick', () => {
  const names = [...FASHION_MNIST_CLASS_NAMES];
  const z = names.map((_, i) => names.map((__, j) => (i === j ? 1 : 0)));
  const fig = heatmap(z, { x: FASHION_MNIST_CLASS_NAMES, y: FASHION_MNIST_CLASS_NAMES });
  assert.deepEqual(fig.data[0].x, names);
  assert.deepEqual(fig.data[0].y, names);
  for (const key of ['xaxis', 'yaxis']) {
    const a = axis(fig, key);
    assert.deepEqual([a.type, a.tickmode, a.dtick, a.automargin], ['category', 'linear', 1, true]);
  }
  assert.equal(axis(fig, 'yaxis').autorange, 'reversed');
  // Digit names stay categories (plotly would read '0'..'9' as numbers).
  assert.equal(axis(heatmap([[1, 2]], { x: ['0', '1'] }), 'xaxis').type, 'category');
  assert.throws(() => heatmap([[1, 2]], { x: ['a'] }), /x: expected 2 names \(one per column\)/);
  assert.throws(() => heatmap([[1, 2]], { x: ['a', 'a'] }), /x: expected distinct names/);
});

test('scatter3d: the scene spans the whole figure, the width follows the output', () => {
  const fig = scatter3d([{ x: [0, 1], y: [0, 1], z: [0, 1], name: 'a' }, { x: [1], y: [1], z: [1], name: 'b' }]);
  const layout = fig.layout as Record<string, any>;
  assert.deepEqual(layout.scene.domain, { x: [0, 1], y: [0, 1] });
  assert.equal(layout.autosize, true);
  assert.equal(layout.width, undefined);
  assert.equal(layout.height, 600);
  assert.deepEqual([layout.margin.l, layout.margin.r, layout.margin.b], [0, 0, 0]);
  assert.deepEqual([layout.legend.x, layout.legend.y, layout.legend.xanchor], [0, 1, 'left']); // inside, not a column beside the scene
});

test('paperFigure: size in mm, fonts in pt, 1 pt lines; the input is not changed', () => {
  const fig = line([{ y: [1, 2], band: { lower: [0, 1], upper: [2, 3] } }, { y: [2, 1], mode: 'lines+markers' }], { title: 'T' });
  const before = JSON.stringify(fig);
  const p = paperFigure(fig, { widthMm: 178 });
  assert.equal(JSON.stringify(fig), before);
  const layout = p.layout as Record<string, any>;
  assert.ok(Math.abs(layout.width - (178 * 96) / 25.4) < 1e-9);
  assert.ok(Math.abs(layout.height - 0.62 * layout.width) < 1e-9); // no fixed width: 0.62 of the width
  assert.ok(Math.abs(layout.font.size - (PAPER.fontPt * 96) / 72) < 1e-9);
  assert.ok(Math.abs(layout.title.font.size - ((PAPER.fontPt + 1) * 96) / 72) < 1e-9);
  assert.equal(layout.xaxis.automargin, true);
  const widths = p.data.map((t) => (t.line as { width: number }).width);
  assert.deepEqual(widths.map((w) => Math.round(w * 1000) / 1000), [0, 0, 1.333, 1.333]); // band edges stay invisible
  assert.equal((p.data[3].marker as { size: number }).size, 4);
  // A figure of fixed size keeps its aspect.
  const sized = paperFigure(line({ y: [1] }, { width: 400, height: 300 }), {}).layout as Record<string, number>;
  assert.ok(Math.abs(sized.height / sized.width - 0.75) < 1e-9);
  assert.ok(Math.abs(sized.width - (PAPER.oneColumnMm * 96) / 25.4) < 1e-9);
  // A heatmap's colour bar is one font size wide (plotly's 30 px would take a sixth of a column), its title at the tick size.
  const hm = paperFigure(heatmap([[1, 2]], { colorbarTitle: 'c' })).data[0].colorbar as Record<string, any>;
  assert.equal(hm.thickness, Math.round((PAPER.fontPt * 96) / 72));
  assert.deepEqual(hm.title, { text: 'c', font: { size: (PAPER.fontPt * 96) / 72 } });
  assert.throws(() => paperFigure(fig, { widthMm: -1 }), /widthMm: expected a finite number > 0/);
});

/** The label texts of one axis's ticks in a plotly SVG, markup stripped (10<tspan>−3</tspan> reads 10-3). */
function tickLabels(svg: string, axisName: 'x' | 'y'): string[] {
  const re = new RegExp(`<g class="${axisName}tick"><text[^>]*>([\\s\\S]*?)</text></g>`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1].replace(/<[^>]+>/g, '').replace(/\u200b/g, '').replace(/\u2212/g, '-').trim());
}

test('rendered: an integer axis over three epochs shows 1, 2, 3 and no half', { skip: noBrowser, timeout: 120000 }, async () => {
  const file = path.join(tmp, 'epochs.svg');
  await save(line([{ x: [1, 2, 3], y: [0.9, 0.5, 0.4], mode: 'lines+markers' }, { x: [1, 2, 3], y: [0.8, 0.6, 0.3] }], { xLabel: 'epoch' }), file);
  const x = tickLabels(fs.readFileSync(file, 'utf8'), 'x');
  assert.deepEqual(x, ['1', '2', '3']);
  // Counts on y (0..3, plotly's own ticks would be 0, 0.5, ...), markers offset on x.
  const counts = path.join(tmp, 'counts.svg');
  await save(scatter({ x: [-0.1, 0.9, 1.9, 2.9], y: [0, 3, 1, 2] }, { xInteger: true }), counts);
  const svg = fs.readFileSync(counts, 'utf8');
  for (const label of [...tickLabels(svg, 'x'), ...tickLabels(svg, 'y')]) assert.ok(/^-?\d+$/.test(label), `integer label, got '${label}'`);
  assert.deepEqual(tickLabels(svg, 'x'), ['0', '1', '2', '3']);
});

test('rendered: a log axis is labelled at decades only', { skip: noBrowser, timeout: 120000 }, async () => {
  const file = path.join(tmp, 'log.svg');
  await save(line({ x: [1, 2, 3, 4, 5, 6], y: [1e-3, 1e-2, 1e-1, 1, 10, 100] }, { logY: true }), file);
  const labels = tickLabels(fs.readFileSync(file, 'utf8'), 'y');
  const values = labels.map((s) => (/^10-?\d+$/.test(s) && s !== '10' ? 10 ** Number(s.slice(2)) : Number(s)));
  const exponents = values.map((v) => Math.log10(v));
  for (let i = 0; i < labels.length; i++) assert.ok(Math.abs(exponents[i] - Math.round(exponents[i])) < 1e-9, `'${labels[i]}' is not a power of ten (labels ${JSON.stringify(labels)})`);
  assert.deepEqual(exponents.map(Math.round), [-3, -2, -1, 0, 1, 2]);
});

test('rendered: the Fashion-MNIST heatmap shows every class name on both axes', { skip: noBrowser, timeout: 120000 }, async () => {
  const names = [...FASHION_MNIST_CLASS_NAMES];
  const file = path.join(tmp, 'classes.svg');
  await save(heatmap(names.map((_, i) => names.map((__, j) => Math.cos(i - j))), { x: FASHION_MNIST_CLASS_NAMES, y: FASHION_MNIST_CLASS_NAMES }), file);
  const svg = fs.readFileSync(file, 'utf8');
  assert.deepEqual(tickLabels(svg, 'x'), names);
  assert.deepEqual(tickLabels(svg, 'y').sort(), [...names].sort()); // listed bottom-up: row 0 is at the top
});

/** Every page's MediaBox [x0 y0 x1 y1] in a PDF, in points. */
function mediaBoxes(pdf: Buffer): number[][] {
  return [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*([-\d.\s]+)\]/g)].map((m) => m[1].trim().split(/\s+/).map(Number));
}

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('paper preset: a one-page PDF of the width asked, an SVG sized in mm, a 300 dpi PNG', { skip: noBrowser, timeout: 120000 }, async () => {
  const fig = line([{ x: [1, 2, 3, 4, 5], y: [20, 12, 9, 8, 7.5], name: 'BP' }, { x: [1, 2, 3, 4, 5], y: [25, 15, 11, 10, 9], name: 'FA' }], { xLabel: 'epoch', yLabel: 'test error (%)' });
  for (const widthMm of [PAPER.oneColumnMm, PAPER.twoColumnMm]) {
    const file = path.join(tmp, `paper-${widthMm}.pdf`);
    await save(fig, file, { preset: 'paper', widthMm, heightMm: 50 });
    const pdf = fs.readFileSync(file);
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const boxes = mediaBoxes(pdf);
    assert.equal(boxes.length, 1, 'one page');
    const [x0, y0, x1, y1] = boxes[0];
    // Chromium sets page sizes on a 1/300-inch grid (0.24 pt); a mm is 2.83 pt.
    assert.ok(Math.abs(x1 - x0 - widthMm * PT_PER_MM) < 0.5, `width ${x1 - x0} pt for ${widthMm} mm (${widthMm * PT_PER_MM} pt)`);
    assert.ok(Math.abs(y1 - y0 - 50 * PT_PER_MM) < 1, `height ${y1 - y0} pt for 50 mm`);
    if (hasTool('pdftotext')) {
      // The text is text, not pixels: poppler reads the axis title back.
      assert.match(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }), /epoch/);
    }
  }
  const svgFile = path.join(tmp, 'paper.svg');
  await save(fig, svgFile, { preset: 'paper' });
  const root = /^<svg[^>]*>/.exec(fs.readFileSync(svgFile, 'utf8'))![0];
  assert.match(root, / width="85\.00mm"/);
  assert.match(root, / height="52\.70mm"/); // 0.62 x 85
  const pngFile = path.join(tmp, 'paper.png');
  await save(fig, pngFile, { preset: 'paper' });
  const png = fs.readFileSync(pngFile);
  const dots = (PAPER.oneColumnMm / 25.4) * PAPER.dpi; // 85 mm at 300 dpi: 1003.9 (plotly rounds down)
  assert.ok(Math.abs(png.readUInt32BE(16) - dots) < 1, `PNG ${png.readUInt32BE(16)} px wide for ${dots}`);
  // Sizes in mm belong to the paper preset; other formats are refused by name.
  await assert.rejects(save(fig, path.join(tmp, 'x.pdf'), { widthMm: 85 }), /widthMm: expected preset: 'paper'/);
  await assert.rejects(save(fig, path.join(tmp, 'x.jpg')), /file: expected a path ending in \.svg, \.png or \.pdf/);
});
