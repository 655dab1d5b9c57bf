/**
 * lib/plot display: a Figure as self-contained HTML (`figureHtml`), drawn
 * inline in a tslab kernel (`show`), tables as HTML (`tableHtml`,
 * `showTable`), and the plotly.js bundle those pages load (sent once per
 * kernel; `plotlyBundlePath` for pages that load it by file).
 */
import * as fs from 'fs';
import { randomBytes } from 'crypto';
import { ArgumentError, checkOneOf, checkString, notebookDisplay } from '../core';
import { checkFigure, Figure, PlotObject } from './figures';

/** JSON safe to embed in HTML: typed arrays become arrays, `<` is escaped so no `</script>` can close the tag. */
export function embedJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v));
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

let plotlyBundle: string | null = null;

/** The plotly.js-dist-min bundle's path (for pages that load it by file). */
export function plotlyBundlePath(): string {
  try {
    return require.resolve('plotly.js-dist-min/plotly.min.js');
  } catch {
    throw new Error('plotly.js-dist-min is not installed: run `npm ci` (or `npm run setup`) in the project folder.');
  }
}

function plotlySource(): string {
  if (plotlyBundle === null) plotlyBundle = fs.readFileSync(plotlyBundlePath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return plotlyBundle;
}

export interface HtmlOptions {
  /** Embed the plotly.js bundle (~4.8 MB; loaded only if the page has no `Plotly` yet). Default true. */
  includePlotly?: boolean;
  /** The div id (default a fresh random one, so re-run cells never collide). */
  id?: string;
  /**
   * A static rendering (e.g. the SVG `save` wrote) placed inside the div as an
   * <img>; the script replaces it with the live figure, so viewers that run no
   * scripts (GitHub, untrusted notebooks) still show the figure.
   */
  staticImage?: { mime: 'image/svg+xml' | 'image/png'; data: Buffer };
}

/**
 * Self-contained HTML for a figure: `<div class="ldl-plot" id=... data-traces=N>`,
 * the figure as `<script type="application/json">`, and a script that waits
 * for the div to be attached to the page (Notebook 6 runs output scripts
 * before inserting them) and for `window.Plotly`, then calls `Plotly.newPlot`.
 * When the bundle is included it is evaluated with `window.define` hidden, so
 * Notebook 6's require.js does not capture it as an anonymous AMD module.
 */
export function figureHtml(fig: Figure, options: HtmlOptions = {}): string {
  const f = checkFigure(fig);
  const id = options.id === undefined ? `ldl-plot-${randomBytes(8).toString('hex')}` : checkString('id', options.id);
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new ArgumentError('id', 'letters, digits, - and _ starting with a letter', id);
  const includePlotly = options.includePlotly ?? true;
  const layout = f.layout as PlotObject;
  const height = typeof layout.height === 'number' ? layout.height : 420;
  const spec = { data: f.data, layout, config: { responsive: true, displaylogo: false, ...(f.config ?? {}) } };
  const loader = includePlotly
    ? `<script type="text/javascript">if (!window.Plotly) { (function () { var savedDefine = window.define; window.define = undefined; try {\n${plotlySource()}\n} finally { window.define = savedDefine; } }).call(window); }</script>\n`
    : '';
  const draw = `<script type="text/javascript">(function () {
  var id = ${JSON.stringify(id)}, waited = 0;
  function draw() {
    var div = document.getElementById(id), dataTag = document.getElementById(id + '-figure');
    if (div && dataTag && window.Plotly) {
      var spec = JSON.parse(dataTag.textContent);
      var still = div.querySelector('img.ldl-static');
      if (still) div.removeChild(still);
      window.Plotly.newPlot(div, spec.data, spec.layout, spec.config);
      return;
    }
    waited += 50;
    if (waited > 60000) {
      if (div) div.textContent = 'plotly.js was not loaded on this page: re-run the cell that showed the first figure, or restart the kernel and run all.';
      return;
    }
    setTimeout(draw, 50);
  }
  draw();
})();</script>`;
  let still = '';
  if (options.staticImage !== undefined) {
    const img = options.staticImage;
    if (!Buffer.isBuffer(img.data)) throw new ArgumentError('staticImage.data', 'a Buffer', img.data);
    const mime = checkOneOf('staticImage.mime', img.mime, ['image/svg+xml', 'image/png']);
    still = `<img class="ldl-static" alt="static rendering of the figure" style="max-width:100%" src="data:${mime};base64,${img.data.toString('base64')}">`;
  }
  return (
    `<div class="ldl-plot" id="${id}" data-traces="${f.data.length}" style="width:100%;min-height:${height}px">${still}</div>\n` +
    `<script type="application/json" id="${id}-figure">${embedJson(spec)}</script>\n` +
    loader +
    draw
  );
}

/** Whether this process has already sent the plotly.js bundle to the notebook page. */
let bundleSent = false;

export interface ShowOptions {
  /** 'once' (default): embed plotly.js with the first figure of this kernel only; 'always': with every figure. */
  embedPlotly?: 'once' | 'always';
  /** A static rendering shown where scripts do not run (see HtmlOptions.staticImage). */
  staticImage?: HtmlOptions['staticImage'];
}

/** Whether `show`/`showTable` can draw here: true inside a tslab kernel running a cell. */
export function inNotebook(): boolean {
  return notebookDisplay() !== null;
}

/**
 * Draws the figure inline in a tslab notebook. Outside a kernel (scripts,
 * tests) it does nothing (`inNotebook()` tells which): use `figureHtml` or
 * `save` there. Returns nothing, so a cell ending in `show(...)` prints no
 * stray value.
 */
export function show(fig: Figure, options: ShowOptions = {}): void {
  checkFigure(fig);
  const mode = options.embedPlotly === undefined ? 'once' : checkOneOf('embedPlotly', options.embedPlotly, ['once', 'always']);
  const nb = notebookDisplay();
  if (nb === null) return;
  const html = figureHtml(fig, { includePlotly: mode === 'always' || !bundleSent, staticImage: options.staticImage });
  nb.display.html(html);
  bundleSent = true;
}

// ---------------------------------------------------------------- tables

/** A table: a danfojs DataFrame (anything with `columns` and row `values`) or an array of records. */
export type TableInput = { columns: string[]; values: unknown[][] | unknown[] } | Record<string, unknown>[];

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatCell(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
  }
  if (v === null || v === undefined) return '';
  return String(v);
}

/** HTML for a table (numbers to 4 significant digits), e.g. a danfojs DataFrame in a notebook. */
export function tableHtml(table: TableInput, options: { caption?: string } = {}): string {
  let columns: string[];
  let rows: unknown[][];
  if (Array.isArray(table)) {
    if (table.length === 0 || typeof table[0] !== 'object' || table[0] === null) throw new ArgumentError('table', 'a DataFrame or a non-empty array of records', table);
    columns = Array.from(new Set(table.flatMap((r) => Object.keys(r))));
    rows = table.map((r) => columns.map((c) => r[c]));
  } else if (table !== null && typeof table === 'object' && Array.isArray(table.columns) && Array.isArray(table.values)) {
    columns = table.columns.map(String);
    // A one-column DataFrame's values are a flat array.
    rows = (table.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  } else {
    throw new ArgumentError('table', 'a DataFrame (columns + values) or an array of records', table);
  }
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(formatCell(v))}</td>`).join('')}</tr>`).join('\n');
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="ldl-table dataframe">${caption}<thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/** Displays a table inline in a tslab notebook; outside a kernel prints it (danfojs' text form when it has one). */
export function showTable(table: TableInput, options: { caption?: string } = {}): void {
  const html = tableHtml(table, options);
  const nb = notebookDisplay();
  if (nb === null) {
    const t = table as { toString?: () => string };
    console.log(!Array.isArray(table) && typeof t.toString === 'function' && t.toString !== Object.prototype.toString ? t.toString() : html);
    return;
  }
  nb.display.html(html);
}
