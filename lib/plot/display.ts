/**
 * lib/plot display: a Figure as HTML (`figureHtml`), drawn inline in a tslab
 * kernel (`show`), tables as HTML (`tableHtml`, `showTable`).
 *
 * How a figure's page gets plotly.js (4.8 MB), `plotlyLoading()`:
 * - 'served': the output loads `<base_url>nbextensions/ldl-plotly/plotly.min.js`
 *   (SERVED_PLOTLY) from the Jupyter server, once per page, so an output is a
 *   few kB plus the figure. setup links the bundle into the project's Jupyter
 *   prefix (scripts/served-plotly.mjs), which Notebook 6 serves from every
 *   JUPYTER_PATH entry; `npm start` and `npm run reproduce` put the prefix on
 *   JUPYTER_PATH, and the kernel inherits it. Where the file cannot be loaded
 *   (JupyterLab, VS Code, a static viewer) the figure's box says so and how to
 *   switch, and keeps its static image when `showAndSave` gave one.
 * - 'embed': the bundle travels inside the first figure a kernel shows
 *   (`embedPlotly: 'always'`: every figure), evaluated with `window.define`
 *   hidden so Notebook 6's require.js cannot capture it; works in any front
 *   end that runs output scripts, at 4.8 MB per notebook.
 * The default is 'served' when a JUPYTER_PATH entry of this process holds the
 * served file (the server that started the kernel serves it), else 'embed'
 * with a one-line note; env LDL_PLOTLY=served|embed or `plotlyLoading(mode)`
 * chooses explicitly. A static HTML export inlines the bundle once in the page
 * head (scripts/nbconvert/, `npm run reproduce -- --html`), where every
 * figure finds `window.Plotly` already defined.
 */
import * as fs from 'fs';
import * as path from 'path';
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

/** Where a Jupyter server serves plotly.js, relative to its base URL and to each `<JUPYTER_PATH entry>/` (scripts/served-plotly.mjs). */
export const SERVED_PLOTLY = 'nbextensions/ldl-plotly/plotly.min.js';

/** The served plotly.js file that a Jupyter with this environment's JUPYTER_PATH serves, or null when no entry holds it. */
export function servedPlotlyFile(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const entry of (env.JUPYTER_PATH ?? '').split(path.delimiter)) {
    if (!entry) continue;
    const file = path.join(entry, ...SERVED_PLOTLY.split('/'));
    if (fs.existsSync(file)) return file;
  }
  return null;
}

export type PlotlyLoading = 'served' | 'embed';
const LOADINGS: readonly PlotlyLoading[] = ['served', 'embed'];

/** The mode `plotlyLoading(mode)` chose for this kernel, or null for the default. */
let chosenLoading: PlotlyLoading | null = null;

/**
 * How figures shown from now on get plotly.js: 'served' (loaded from the
 * Jupyter server, small notebooks) or 'embed' (inside the first figure's
 * output). With an argument, sets it for this kernel; returns the mode in
 * force. Default: env LDL_PLOTLY, else 'served' when `servedPlotlyFile()`
 * finds the file, else 'embed'.
 */
export function plotlyLoading(mode?: PlotlyLoading): PlotlyLoading {
  if (mode !== undefined) chosenLoading = checkOneOf('mode', mode, LOADINGS);
  if (chosenLoading !== null) return chosenLoading;
  const env = process.env.LDL_PLOTLY;
  if (env !== undefined && env !== '') return checkOneOf('LDL_PLOTLY', env, LOADINGS);
  return servedPlotlyFile() !== null ? 'served' : 'embed';
}

export interface HtmlOptions {
  /**
   * How the page gets plotly.js: 'embed' (default; the bundle, ~4.8 MB,
   * evaluated only if the page has no `Plotly` yet), 'served' (loaded from
   * `<base_url>` + SERVED_PLOTLY, once per page) or 'none' (the page
   * provides `window.Plotly`).
   */
  plotly?: 'embed' | 'served' | 'none';
  /** The div id (default a fresh random one, so re-run cells never collide). */
  id?: string;
  /**
   * A static rendering (e.g. the SVG `save` wrote) placed inside the div as an
   * <img>; the script replaces it with the live figure, so viewers that run no
   * scripts (GitHub, untrusted notebooks) still show the figure.
   */
  staticImage?: { mime: 'image/svg+xml' | 'image/png'; data: Buffer };
}

/** What a figure says when the served plotly.js cannot be loaded (the page's script adds the URL it tried). */
export const PLOTLY_NOT_SERVED =
  'This page\'s Jupyter does not serve the project\'s plotly.js: open the notebook through `npm start` (Jupyter Notebook) ' +
  'after `npm run setup`; in JupyterLab or VS Code run `plotlyLoading(\'embed\')` from ./lib/plot (or start the kernel ' +
  'with LDL_PLOTLY=embed) and re-run the cell.';

/**
 * A data: URL for a static image. An SVG goes as percent-encoded text, about
 * 1.05 times its size against base64's 1.33 (plotly's SVG of a 3-D scene
 * carries a base64 PNG, which base64 would encode twice): only the characters
 * that would end a single-quoted attribute, start an entity, or that a URL
 * parser changes (%, #, tab and newlines, which it strips) are escaped.
 */
function imageUrl(mime: 'image/svg+xml' | 'image/png', data: Buffer): string {
  if (mime === 'image/png') return `data:image/png;base64,${data.toString('base64')}`;
  const text = data.toString('utf8').replace(/[%#'&\t\n\r]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `data:image/svg+xml;charset=utf-8,${text}`;
}

/**
 * HTML for a figure: `<div class="ldl-plot" id=... data-traces=N>`, the
 * figure as `<script type="application/json">`, and a script that waits for
 * the div to be attached to the page (Notebook 6 runs output scripts before
 * inserting them) and for `window.Plotly`, then calls `Plotly.newPlot`. With
 * `plotly: 'served'` the script first adds one `<script src>` for the served
 * bundle to the page (unless a figure already did or `Plotly` exists; a
 * failed load is retried by the next figure shown) and, if it fails, writes
 * PLOTLY_NOT_SERVED into the div above any static image.
 */
export function figureHtml(fig: Figure, options: HtmlOptions = {}): string {
  const f = checkFigure(fig);
  const id = options.id === undefined ? `ldl-plot-${randomBytes(8).toString('hex')}` : checkString('id', options.id);
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new ArgumentError('id', 'letters, digits, - and _ starting with a letter', id);
  const plotly = options.plotly === undefined ? 'embed' : checkOneOf('plotly', options.plotly, ['embed', 'served', 'none']);
  const layout = f.layout as PlotObject;
  const height = typeof layout.height === 'number' ? layout.height : 420;
  const spec = { data: f.data, layout, config: { responsive: true, displaylogo: false, ...(f.config ?? {}) } };
  const loader = plotly === 'embed'
    ? `<script type="text/javascript">if (!window.Plotly) { (function () { var savedDefine = window.define; window.define = undefined; try {\n${plotlySource()}\n} finally { window.define = savedDefine; } }).call(window); }</script>\n`
    : '';
  // Served: one request per page, shared through window.ldlPlotlyRequest; the base URL is where Notebook 6
  // (<body data-base-url>) or JupyterLab (#jupyter-config-data) says the server is, else the site root.
  const request = plotly !== 'served' ? '' : `
  var request = window.ldlPlotlyRequest;
  if (!window.Plotly && (!request || request.failed)) {
    var base = (document.body && document.body.getAttribute('data-base-url')) || '';
    var config = document.getElementById('jupyter-config-data');
    if (!base && config) { try { base = JSON.parse(config.textContent).baseUrl || ''; } catch (e) {} }
    request = window.ldlPlotlyRequest = { src: (base || '/').replace(/\\/?$/, '/') + ${JSON.stringify(SERVED_PLOTLY)}, failed: false };
    var tag = document.createElement('script');
    tag.src = request.src;
    request.src = tag.src; // resolved against the page: the note names the full URL tried
    tag.onload = function () { request.failed = !window.Plotly; };
    tag.onerror = function () { request.failed = true; };
    document.head.appendChild(tag);
  }`;
  const failed = plotly !== 'served' ? '' : `    if (div && window.ldlPlotlyRequest && window.ldlPlotlyRequest.failed) {
      return say('plotly.js could not be loaded from ' + window.ldlPlotlyRequest.src + '. ' + ${JSON.stringify(PLOTLY_NOT_SERVED)});
    }
`;
  const draw = `<script type="text/javascript">(function () {
  var id = ${JSON.stringify(id)}, waited = 0;${request}
  function say(text) {
    var div = document.getElementById(id);
    if (!div) return;
    var note = document.createElement('p');
    note.className = 'ldl-plot-note';
    note.textContent = text;
    div.insertBefore(note, div.firstChild);
  }
  function draw() {
    var div = document.getElementById(id), dataTag = document.getElementById(id + '-figure');
    if (div && dataTag && window.Plotly) {
      var spec = JSON.parse(dataTag.textContent);
      var still = div.querySelector('img.ldl-static');
      if (still) div.removeChild(still);
      window.Plotly.newPlot(div, spec.data, spec.layout, spec.config);
      return;
    }
${failed}    waited += 50;
    if (waited > 60000) return say('plotly.js was not loaded on this page: re-run the cell that showed the first figure, or restart the kernel and run all.');
    setTimeout(draw, 50);
  }
  draw();
})();</script>`;
  let still = '';
  if (options.staticImage !== undefined) {
    const img = options.staticImage;
    if (!Buffer.isBuffer(img.data)) throw new ArgumentError('staticImage.data', 'a Buffer', img.data);
    const mime = checkOneOf('staticImage.mime', img.mime, ['image/svg+xml', 'image/png']);
    still = `<img class="ldl-static" alt="static rendering of the figure" style="max-width:100%" src='${imageUrl(mime, img.data)}'>`;
  }
  return (
    `<div class="ldl-plot" id="${id}" data-traces="${f.data.length}" style="width:100%;min-height:${height}px">${still}</div>\n` +
    `<script type="application/json" id="${id}-figure">${embedJson(spec)}</script>\n` +
    loader +
    draw
  );
}

/** Whether this process has already sent the plotly.js bundle to the notebook page (embed mode). */
let bundleSent = false;
/** Whether the note on embedding for want of a served plotly.js was printed. */
let embedNoted = false;

export interface ShowOptions {
  /** In 'embed' mode (see `plotlyLoading`): 'once' (default) embeds plotly.js with the first figure of this kernel only, 'always' with every figure. */
  embedPlotly?: 'once' | 'always';
  /** A static rendering shown where scripts do not run (see HtmlOptions.staticImage). */
  staticImage?: HtmlOptions['staticImage'];
}

/** Whether `show`/`showTable` can draw here: true inside a tslab kernel running a cell. */
export function inNotebook(): boolean {
  return notebookDisplay() !== null;
}

/**
 * Draws the figure inline in a tslab notebook, getting plotly.js as
 * `plotlyLoading()` says. Outside a kernel (scripts, tests) it does nothing
 * (`inNotebook()` tells which): use `figureHtml` or `save` there. Returns
 * nothing, so a cell ending in `show(...)` prints no stray value.
 */
export function show(fig: Figure, options: ShowOptions = {}): void {
  checkFigure(fig);
  const mode = options.embedPlotly === undefined ? 'once' : checkOneOf('embedPlotly', options.embedPlotly, ['once', 'always']);
  const nb = notebookDisplay();
  if (nb === null) return;
  const loading = plotlyLoading();
  let plotly: HtmlOptions['plotly'] = 'served';
  if (loading === 'embed') {
    plotly = mode === 'always' || !bundleSent ? 'embed' : 'none';
    if (!bundleSent && !embedNoted && chosenLoading === null && !process.env.LDL_PLOTLY) {
      // Said once per kernel: the notebook grows by 4.8 MB, and the fix is in the project's setup.
      console.log('plotly.js (4.8 MB) is embedded in this notebook: no JUPYTER_PATH entry serves the project\'s copy (run `npm run setup` and open notebooks through `npm start`; LDL_PLOTLY=embed silences this note).');
      embedNoted = true;
    }
  }
  const html = figureHtml(fig, { plotly, staticImage: options.staticImage });
  nb.display.html(html);
  if (plotly === 'embed') bundleSent = true;
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
