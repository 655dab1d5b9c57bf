/**
 * lib/plot: plotly figure builders, inline display in tslab and static export.
 *
 * A `Figure` is plain data (`{ data, layout, config }`, plotly.js's own
 * schema), so a caller can tweak any trace or layout field before showing it.
 *
 * - `line`, `scatter`, `heatmap`, `scatter3d`, `imageGrid` build figures.
 * - `show(fig)` draws the figure inline in a tslab notebook as self-contained
 *   `text/html`: a div with a unique id, the figure as JSON, and a script that
 *   calls `Plotly.newPlot`. The plotly.js bundle (plotly.js-dist-min, ~4.8 MB)
 *   travels with the first figure a kernel shows and is loaded once per page;
 *   later figures wait for it. Outside a kernel (scripts, tests) `show` draws
 *   nothing (`inNotebook()` says whether it can).
 * - `figureHtml(fig)` returns that HTML (for files, other front ends, tests).
 * - `tableHtml` / `showTable` render a danfojs DataFrame or records as a table.
 * - `showAndSave(fig, notebook, 'name.svg')` shows and writes out/<notebook>/name.svg.
 * - `save(fig, 'x.svg' | 'x.png')` renders through headless Chromium
 *   (`playwright-core` driving the system browser; env CHROMIUM_PATH names
 *   another binary). One browser per process, closed when idle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { ArgumentError, checkInteger, checkNumber, checkOneOf, checkPositive, checkString, describe, notebookDisplay, resultsDir } from '../core';

/** A plotly trace or layout: plain JSON-like objects in plotly.js's schema. */
export type PlotObject = Record<string, unknown>;

/** A plotly figure. `data` holds one object per trace. */
export interface Figure {
  data: PlotObject[];
  layout: PlotObject;
  config?: PlotObject;
}

/** Numbers as a plain array, a typed array or any array-like. */
export type Numbers = ArrayLike<number>;

/** Layout options shared by the 2-D builders. */
export interface AxesOptions {
  /** Figure title (plotly.js 3+ wants `layout.title = { text }`). */
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic x axis. */
  logX?: boolean;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Fixed axis ranges (in data units; for log axes give data units too, they are converted). */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Figure size in CSS pixels (default: width fills the output, height 420). */
  width?: number;
  height?: number;
  /** Show the legend (default: when there is more than one named series). */
  showLegend?: boolean;
}

/** The default plotly.js colour cycle, so error bands can match their line. */
export const PALETTE: readonly string[] = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
];

/** `#rrggbb` to `rgba(r,g,b,alpha)` (for translucent bands). */
function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

function isNumbers(v: unknown): v is Numbers {
  return (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) && typeof (v as Numbers).length === 'number';
}

/** Copies numbers to a plain array (typed arrays would serialise as objects); NaN/Infinity become null (a gap). */
function toArray(name: string, v: unknown, length?: number): (number | null)[] {
  if (!isNumbers(v)) throw new ArgumentError(name, 'an array or typed array of numbers', v);
  if (length !== undefined && v.length !== length) {
    throw new ArgumentError(name, `length ${length} (to match y)`, `length ${v.length}`);
  }
  const out = new Array<number | null>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') throw new ArgumentError(name, 'numbers only', `${describe(x)} at index ${i}`);
    out[i] = Number.isFinite(x) ? x : null;
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function axisLayout(label: string | undefined, log: boolean | undefined, r: [number, number] | undefined, name: string): PlotObject {
  const axis: PlotObject = {};
  if (label !== undefined) axis.title = { text: checkString(`${name}Label`, label) };
  if (log) axis.type = 'log';
  if (r !== undefined) {
    if (!Array.isArray(r) || r.length !== 2) throw new ArgumentError(`${name}Range`, 'a pair [min, max]', r);
    const [a, b] = [checkNumber(`${name}Range[0]`, r[0]), checkNumber(`${name}Range[1]`, r[1])];
    if (log && (a <= 0 || b <= 0)) throw new ArgumentError(`${name}Range`, 'positive bounds for a log axis', `[${a}, ${b}]`);
    // plotly expects log-axis ranges as log10 of the data values.
    axis.range = log ? [Math.log10(a), Math.log10(b)] : [a, b];
  }
  return axis;
}

function baseLayout(o: AxesOptions, traces: PlotObject[]): PlotObject {
  const layout: PlotObject = {
    xaxis: axisLayout(o.xLabel, o.logX, o.xRange, 'x'),
    yaxis: axisLayout(o.yLabel, o.logY, o.yRange, 'y'),
    margin: { l: 60, r: 20, t: o.title ? 50 : 20, b: 50 },
    height: o.height === undefined ? 420 : checkPositive('height', o.height),
  };
  if (o.width !== undefined) layout.width = checkPositive('width', o.width);
  if (o.title !== undefined) layout.title = { text: checkString('title', o.title) };
  const named = traces.filter((t) => t.name !== undefined && t.showlegend !== false).length;
  layout.showlegend = o.showLegend ?? named > 1;
  return layout;
}

// ---------------------------------------------------------------- line

/** One line series. `band` draws a translucent error band (e.g. a seed range); `error` draws symmetric error bars. */
export interface LineSeries {
  y: Numbers;
  /** Default 0..n-1. */
  x?: Numbers;
  name?: string;
  color?: string;
  dash?: 'solid' | 'dash' | 'dot' | 'dashdot';
  /** 'lines' (default) or 'lines+markers' / 'markers'. */
  mode?: 'lines' | 'lines+markers' | 'markers';
  band?: { lower: Numbers; upper: Numbers };
  error?: Numbers;
}

/**
 * Line plot of one or more series. Each series with a `band` adds two traces
 * (upper edge, then lower edge filled up to it) before its line, so
 * `fig.data.length` = series + 2 x bands.
 */
export function line(series: LineSeries | LineSeries[], options: AxesOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new ArgumentError('series', 'at least one series', 'an empty array');
  const traces: PlotObject[] = [];
  list.forEach((s, i) => {
    const where = list.length > 1 ? `series[${i}]` : 'series';
    if (s === null || typeof s !== 'object') throw new ArgumentError(where, 'an object { y, x?, name?, band?, error? }', s);
    const y = toArray(`${where}.y`, s.y);
    if (y.length === 0) throw new ArgumentError(`${where}.y`, 'at least one value', 'an empty array');
    const x = s.x === undefined ? range(y.length) : toArray(`${where}.x`, s.x, y.length);
    const color = s.color ?? PALETTE[i % PALETTE.length];
    if (s.band !== undefined) {
      const upper = toArray(`${where}.band.upper`, s.band?.upper, y.length);
      const lower = toArray(`${where}.band.lower`, s.band?.lower, y.length);
      const group = `band${i}`;
      traces.push({ type: 'scatter', mode: 'lines', x, y: upper, line: { width: 0, color }, hoverinfo: 'skip', showlegend: false, legendgroup: group, name: s.name ? `${s.name} (upper)` : undefined });
      traces.push({ type: 'scatter', mode: 'lines', x, y: lower, line: { width: 0, color }, fill: 'tonexty', fillcolor: withAlpha(color, 0.2), hoverinfo: 'skip', showlegend: false, legendgroup: group, name: s.name ? `${s.name} (lower)` : undefined });
    }
    const trace: PlotObject = {
      type: 'scatter',
      mode: s.mode === undefined ? 'lines' : checkOneOf(`${where}.mode`, s.mode, ['lines', 'lines+markers', 'markers']),
      x,
      y,
      line: { color, dash: s.dash === undefined ? 'solid' : checkOneOf(`${where}.dash`, s.dash, ['solid', 'dash', 'dot', 'dashdot']) },
      marker: { color },
    };
    if (s.name !== undefined) trace.name = s.name;
    if (s.band !== undefined) trace.legendgroup = `band${i}`;
    if (s.error !== undefined) trace.error_y = { type: 'data', array: toArray(`${where}.error`, s.error, y.length), visible: true, color };
    traces.push(trace);
  });
  return { data: traces, layout: baseLayout(options, traces) };
}

// ---------------------------------------------------------------- scatter

/** One group of points. `color` as numbers colours each point on a colour scale. */
export interface ScatterSeries {
  x: Numbers;
  y: Numbers;
  name?: string;
  /** A CSS colour for the whole series, or one number per point (coloured by value). */
  color?: string | Numbers;
  /** Marker size in pixels (default 6). */
  size?: number;
  /** Hover text per point. */
  text?: string[];
}

/** Scatter plot (markers only) of one or more groups of points. One trace per group. */
export function scatter(series: ScatterSeries | ScatterSeries[], options: AxesOptions & { colorbarTitle?: string } = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new ArgumentError('series', 'at least one series', 'an empty array');
  const traces = list.map((s, i) => {
    const where = list.length > 1 ? `series[${i}]` : 'series';
    if (s === null || typeof s !== 'object') throw new ArgumentError(where, 'an object { x, y, name?, color? }', s);
    const y = toArray(`${where}.y`, s.y);
    const x = toArray(`${where}.x`, s.x, y.length);
    const marker: PlotObject = { size: s.size === undefined ? 6 : checkPositive(`${where}.size`, s.size) };
    if (s.color === undefined) marker.color = PALETTE[i % PALETTE.length];
    else if (typeof s.color === 'string') marker.color = s.color;
    else {
      marker.color = toArray(`${where}.color`, s.color, y.length);
      marker.colorscale = 'Viridis';
      marker.showscale = true;
      if (options.colorbarTitle) marker.colorbar = { title: { text: options.colorbarTitle } };
    }
    const trace: PlotObject = { type: 'scatter', mode: 'markers', x, y, marker };
    if (s.name !== undefined) trace.name = s.name;
    if (s.text !== undefined) {
      if (!Array.isArray(s.text) || s.text.length !== y.length) throw new ArgumentError(`${where}.text`, `${y.length} strings`, s.text);
      trace.text = s.text;
    }
    return trace;
  });
  return { data: traces, layout: baseLayout(options, traces) };
}

// ---------------------------------------------------------------- heatmap

/** A matrix given as rows, or as flat row-major values with its shape. */
export type MatrixInput = Numbers[] | { values: Numbers; rows: number; cols: number };

export interface HeatmapOptions extends AxesOptions {
  /** Column coordinates (default 0..cols-1) and row coordinates (default 0..rows-1). */
  x?: Numbers;
  y?: Numbers;
  /** plotly colour scale name or [[0, c0], ..., [1, c1]] (default 'Viridis'; 'RdBu' with zmid for signed data). */
  colorscale?: string | [number, string][];
  zmin?: number;
  zmax?: number;
  /** Centre of a diverging colour scale (e.g. 0). */
  zmid?: number;
  colorbarTitle?: string;
  /** Where row 0 goes: 'top' (matrix convention, default) or 'bottom' (image/plot convention). */
  origin?: 'top' | 'bottom';
}

function matrixRows(name: string, m: MatrixInput): (number | null)[][] {
  if (Array.isArray(m)) {
    if (m.length === 0) throw new ArgumentError(name, 'at least one row', 'an empty array');
    const cols = isNumbers(m[0]) ? m[0].length : -1;
    return m.map((row, i) => toArray(`${name}[${i}]`, row, cols));
  }
  if (m === null || typeof m !== 'object') throw new ArgumentError(name, 'rows (number[][]) or { values, rows, cols }', m);
  const rows = checkInteger(`${name}.rows`, m.rows, 1);
  const cols = checkInteger(`${name}.cols`, m.cols, 1);
  const flat = toArray(`${name}.values`, m.values, rows * cols);
  return range(rows).map((r) => flat.slice(r * cols, (r + 1) * cols));
}

/** Heatmap of a matrix (one trace). */
export function heatmap(z: MatrixInput, options: HeatmapOptions = {}): Figure {
  const rows = matrixRows('z', z);
  const trace: PlotObject = {
    type: 'heatmap',
    z: rows,
    colorscale: options.colorscale ?? 'Viridis',
  };
  if (options.x !== undefined) trace.x = toArray('x', options.x, rows[0].length);
  if (options.y !== undefined) trace.y = toArray('y', options.y, rows.length);
  if (options.zmin !== undefined) trace.zmin = checkNumber('zmin', options.zmin);
  if (options.zmax !== undefined) trace.zmax = checkNumber('zmax', options.zmax);
  if (options.zmid !== undefined) trace.zmid = checkNumber('zmid', options.zmid);
  if (options.colorbarTitle !== undefined) trace.colorbar = { title: { text: options.colorbarTitle } };
  const layout = baseLayout({ ...options, showLegend: false }, [trace]);
  const origin = options.origin === undefined ? 'top' : checkOneOf('origin', options.origin, ['top', 'bottom']);
  if (origin === 'top') (layout.yaxis as PlotObject).autorange = 'reversed';
  return { data: [trace], layout };
}

// ---------------------------------------------------------------- scatter3d

export interface Scatter3dSeries {
  x: Numbers;
  y: Numbers;
  z: Numbers;
  name?: string;
  /** 'markers' (default), 'lines' (a trajectory) or 'lines+markers'. */
  mode?: 'markers' | 'lines' | 'lines+markers';
  /** A CSS colour or one number per point. */
  color?: string | Numbers;
  size?: number;
}

export interface Scatter3dOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  zLabel?: string;
  width?: number;
  height?: number;
  showLegend?: boolean;
}

/** 3-D scatter or trajectory plot (WebGL; one trace per series). */
export function scatter3d(series: Scatter3dSeries | Scatter3dSeries[], options: Scatter3dOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new ArgumentError('series', 'at least one series', 'an empty array');
  const traces = list.map((s, i) => {
    const where = list.length > 1 ? `series[${i}]` : 'series';
    if (s === null || typeof s !== 'object') throw new ArgumentError(where, 'an object { x, y, z, name?, mode? }', s);
    const x = toArray(`${where}.x`, s.x);
    const y = toArray(`${where}.y`, s.y, x.length);
    const z = toArray(`${where}.z`, s.z, x.length);
    const mode = s.mode === undefined ? 'markers' : checkOneOf(`${where}.mode`, s.mode, ['markers', 'lines', 'lines+markers']);
    const color = s.color === undefined ? PALETTE[i % PALETTE.length] : typeof s.color === 'string' ? s.color : toArray(`${where}.color`, s.color, x.length);
    const trace: PlotObject = {
      type: 'scatter3d',
      mode,
      x,
      y,
      z,
      marker: { size: s.size === undefined ? 3 : checkPositive(`${where}.size`, s.size), color, ...(typeof color === 'string' ? {} : { colorscale: 'Viridis' }) },
      line: { color: typeof color === 'string' ? color : PALETTE[i % PALETTE.length], width: 3 },
    };
    if (s.name !== undefined) trace.name = s.name;
    return trace;
  });
  const axis = (label: string | undefined, n: string) => (label === undefined ? {} : { title: { text: checkString(n, label) } });
  const layout: PlotObject = {
    scene: { xaxis: axis(options.xLabel, 'xLabel'), yaxis: axis(options.yLabel, 'yLabel'), zaxis: axis(options.zLabel, 'zLabel') },
    margin: { l: 0, r: 0, t: options.title ? 50 : 10, b: 0 },
    height: options.height === undefined ? 480 : checkPositive('height', options.height),
    showlegend: options.showLegend ?? traces.filter((t) => t.name !== undefined).length > 1,
  };
  if (options.width !== undefined) layout.width = checkPositive('width', options.width);
  if (options.title !== undefined) layout.title = { text: checkString('title', options.title) };
  return { data: traces, layout };
}

// ---------------------------------------------------------------- imageGrid

/** A set of images as the data loaders return them (`images` row-major, `count x height x width`). */
export interface ImageSet {
  images: Float32Array | Uint8Array | Numbers;
  height: number;
  width: number;
  count?: number;
  labels?: ArrayLike<number>;
}

export interface ImageGridOptions {
  /** Image height/width in pixels (required when `images` is a bare array). */
  height?: number;
  width?: number;
  /** Which images to show (default the first `count`, at most 20). */
  indices?: number[];
  /** How many images to show from the start when `indices` is not given (default min(20, available)). */
  count?: number;
  /** Images per row (default min(10, shown)). */
  columns?: number;
  /** Per-image titles: labels as numbers (shown through `labelNames` when given) or strings. */
  labels?: ArrayLike<number> | string[];
  /** Class names, indexed by numeric label (e.g. Fashion-MNIST's 'T-shirt/top', ...). */
  labelNames?: readonly string[];
  title?: string;
  /** On-screen pixels per image pixel (default 3). */
  scale?: number;
  /** Blank pixels between images (default 2). */
  gap?: number;
}

/**
 * A grid of grayscale images with their labels as titles. The images are
 * packed into one heatmap trace (gaps are blank) and the titles are
 * annotations, so a grid of 100 digits stays one light trace. Grey levels run
 * from the smallest (black) to the largest (white) pixel shown.
 */
export function imageGrid(images: ImageSet | Numbers, options: ImageGridOptions = {}): Figure {
  let pixels: Numbers;
  let height: number;
  let width: number;
  let labels: ArrayLike<number> | string[] | undefined = options.labels;
  if (isNumbers(images)) {
    pixels = images;
    height = checkInteger('options.height', options.height, 1);
    width = checkInteger('options.width', options.width, 1);
  } else if (images !== null && typeof images === 'object' && isNumbers((images as ImageSet).images)) {
    const set = images as ImageSet;
    pixels = set.images;
    height = checkInteger('images.height', options.height ?? set.height, 1);
    width = checkInteger('images.width', options.width ?? set.width, 1);
    labels = labels ?? set.labels;
  } else {
    throw new ArgumentError('images', 'a Float32Array of count*height*width pixels or { images, height, width, labels? }', images);
  }
  const size = height * width;
  if (pixels.length === 0 || pixels.length % size !== 0) {
    throw new ArgumentError('images', `a whole number of ${height}x${width} images (length a multiple of ${size})`, `length ${pixels.length}`);
  }
  const available = pixels.length / size;
  let indices: number[];
  if (options.indices !== undefined) {
    if (!Array.isArray(options.indices) || options.indices.length === 0) throw new ArgumentError('indices', 'a non-empty array of image indices', options.indices);
    indices = options.indices.map((k, i) => checkInteger(`indices[${i}]`, k, 0, available - 1));
  } else {
    const count = options.count === undefined ? Math.min(20, available) : checkInteger('count', options.count, 1, available);
    indices = range(count);
  }
  if (labels !== undefined && !(isNumbers(labels) || Array.isArray(labels))) throw new ArgumentError('labels', 'an array of numbers or strings', labels);
  const columns = options.columns === undefined ? Math.min(10, indices.length) : checkInteger('columns', options.columns, 1);
  const scale = options.scale === undefined ? 3 : checkPositive('scale', options.scale);
  const gap = options.gap === undefined ? 2 : checkInteger('gap', options.gap, 0);
  const rowsOfImages = Math.ceil(indices.length / columns);
  const titleBand = labels === undefined ? 0 : Math.max(6, Math.round(height * 0.35));
  const cellW = width + gap;
  const cellH = height + gap + titleBand;
  const totalW = columns * cellW - gap;
  const totalH = rowsOfImages * cellH - gap;
  const z: (number | null)[][] = range(totalH).map(() => new Array<number | null>(totalW).fill(null));
  let lo = Infinity;
  let hi = -Infinity;
  const annotations: PlotObject[] = [];
  indices.forEach((k, n) => {
    const r0 = Math.floor(n / columns) * cellH + titleBand;
    const c0 = (n % columns) * cellW;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = pixels[k * size + r * width + c];
        if (!Number.isFinite(v)) continue;
        z[r0 + r][c0 + c] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (labels !== undefined) {
      if (k >= labels.length) throw new ArgumentError('labels', `at least ${k + 1} labels`, `length ${labels.length}`);
      const raw = labels[k];
      const text = typeof raw === 'number' && options.labelNames ? options.labelNames[raw] ?? String(raw) : String(raw);
      annotations.push({ x: c0 + (width - 1) / 2, y: r0 - titleBand / 2 - 0.5, text, showarrow: false, xref: 'x', yref: 'y', font: { size: 11 } });
    }
  });
  if (!(hi >= lo)) throw new ArgumentError('images', 'finite pixel values', 'no finite pixel in the chosen images');
  const trace: PlotObject = {
    type: 'heatmap',
    z,
    zmin: lo,
    zmax: hi === lo ? lo + 1 : hi,
    colorscale: [[0, '#000000'], [1, '#ffffff']],
    showscale: false,
    hovertemplate: 'value %{z:.3g}<extra></extra>',
  };
  const margin = { l: 5, r: 5, t: options.title ? 40 : 5, b: 5 };
  const layout: PlotObject = {
    xaxis: { visible: false, range: [-0.5, totalW - 0.5], constrain: 'domain' },
    yaxis: { visible: false, range: [totalH - 0.5, -0.5], scaleanchor: 'x', constrain: 'domain' },
    annotations,
    width: Math.round(totalW * scale) + margin.l + margin.r,
    height: Math.round(totalH * scale) + margin.t + margin.b,
    margin,
    plot_bgcolor: '#ffffff',
    showlegend: false,
  };
  if (options.title !== undefined) layout.title = { text: checkString('title', options.title) };
  return { data: [trace], layout };
}

// ---------------------------------------------------------------- HTML and inline display

function checkFigure(fig: unknown): Figure {
  const f = fig as Figure;
  if (f === null || typeof f !== 'object' || !Array.isArray(f.data) || f.layout === null || typeof f.layout !== 'object') {
    throw new ArgumentError('fig', 'a Figure { data: object[], layout: object }', fig);
  }
  return f;
}

/** JSON safe to embed in HTML: typed arrays become arrays, `<` is escaped so no `</script>` can close the tag. */
function embedJson(value: unknown): string {
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

// ---------------------------------------------------------------- static export

/** The parts of playwright-core used here (typed locally so the notebook compiler never reads its .d.ts). */
interface PwPage {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { path: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Flags for the system Chromium running headless as root in a container (platform.md). */
export const CHROMIUM_ARGS: readonly string[] = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run'];

/** The Chromium binary `save` uses: env CHROMIUM_PATH, else the first system browser found, else null. */
export function chromiumPath(): string | null {
  const env = process.env.CHROMIUM_PATH;
  if (env !== undefined && env !== '') return env;
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

function missingBrowser(detail: string): Error {
  return new Error(
    `save: no usable Chromium (${detail}). Static SVG/PNG export renders the figure in a headless Chromium: ` +
      `install Debian's browser with \`sudo apt-get install -y chromium\` (or \`npm run setup\`), ` +
      `or set CHROMIUM_PATH to a Chrome/Chromium binary.`,
  );
}

let pagePromise: Promise<{ browser: PwBrowser; page: PwPage }> | null = null;
let idleTimer: NodeJS.Timeout | null = null;
let pending = 0;
/** Close the shared browser this long after the last export, so scripts can exit. */
const IDLE_CLOSE_MS = 2000;

async function openPage(): Promise<{ browser: PwBrowser; page: PwPage }> {
  const exe = chromiumPath();
  if (exe === null) throw missingBrowser(`none of ${CHROMIUM_CANDIDATES.join(', ')} exists and CHROMIUM_PATH is not set`);
  if (!fs.existsSync(exe)) throw missingBrowser(`${exe}${process.env.CHROMIUM_PATH ? ' (from CHROMIUM_PATH)' : ''} does not exist`);
  let chromium: { launch(o: object): Promise<PwBrowser> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    chromium = require('playwright-core').chromium;
  } catch {
    throw new Error('save: playwright-core is not installed: run `npm ci` (or `npm run setup`).');
  }
  let browser: PwBrowser;
  try {
    browser = await chromium.launch({ executablePath: exe, headless: true, args: [...CHROMIUM_ARGS], timeout: 60000 });
  } catch (e) {
    throw missingBrowser(`${exe} failed to start: ${(e as Error).message.split('\n')[0]}`);
  }
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
  await page.addScriptTag({ path: plotlyBundlePath() });
  return { browser, page };
}

/** Closes the browser `save` keeps open (it also closes itself after 2 s idle). */
export async function closeBrowser(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const p = pagePromise;
  pagePromise = null;
  if (p) {
    try {
      (await p).browser.close().catch(() => undefined);
    } catch {
      /* the launch itself failed: nothing to close */
    }
  }
}

export interface SaveOptions {
  /** Image size in CSS pixels (default the layout's width/height, else 800x500). */
  width?: number;
  height?: number;
  /** PNG pixel density (default 2). */
  scale?: number;
}

/**
 * Writes the figure as SVG or PNG (chosen by the file extension), rendered
 * by plotly.js in headless Chromium. Creates the folder. Returns the path.
 * Throws an Error naming the browser and how to install it when none runs.
 */
export async function save(fig: Figure, file: string, options: SaveOptions = {}): Promise<string> {
  const f = checkFigure(fig);
  checkString('file', file);
  const ext = path.extname(file).toLowerCase();
  const format = ext === '.svg' ? 'svg' : ext === '.png' ? 'png' : null;
  if (format === null) throw new ArgumentError('file', 'a path ending in .svg or .png', file);
  const layout = f.layout as PlotObject;
  const width = options.width ?? (typeof layout.width === 'number' ? layout.width : 800);
  const height = options.height ?? (typeof layout.height === 'number' ? layout.height : 500);
  checkPositive('width', width);
  checkPositive('height', height);
  const scale = options.scale === undefined ? 2 : checkPositive('scale', options.scale);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  pending++;
  try {
    if (pagePromise === null) pagePromise = openPage();
    let page: PwPage;
    try {
      page = (await pagePromise).page;
    } catch (e) {
      pagePromise = null; // let a later call retry (e.g. after CHROMIUM_PATH was fixed)
      throw e;
    }
    const spec = JSON.parse(embedJson({ data: f.data, layout: { ...layout, width, height } }));
    const url = await page.evaluate(
      async (a: { spec: { data: unknown[]; layout: object }; format: string; width: number; height: number; scale: number }) => {
        const Plotly = (globalThis as unknown as { Plotly: { toImage(fig: object, o: object): Promise<string> } }).Plotly;
        return Plotly.toImage({ data: a.spec.data, layout: a.spec.layout }, { format: a.format, width: a.width, height: a.height, scale: a.scale });
      },
      { spec, format, width, height, scale },
    );
    let bytes: Buffer;
    if (format === 'svg') {
      const comma = url.indexOf(',');
      const head = url.slice(0, comma);
      const body = url.slice(comma + 1);
      bytes = head.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
    } else {
      bytes = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
    }
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, bytes);
    return file;
  } finally {
    pending--;
    if (pending === 0 && pagePromise !== null) {
      idleTimer = setTimeout(() => void closeBrowser(), IDLE_CLOSE_MS);
    }
  }
}

let noBrowserNoted = false;

/**
 * Writes the figure as SVG to `out/<notebook>/<file>` where a browser is
 * available (the notebook contract: figures beside results.json) and shows it
 * inline, with that SVG embedded as the static fallback for viewers that run
 * no scripts. Returns the file written, or null when no Chromium runs (a
 * one-line note is printed the first time; the inline figure is unaffected).
 */
export async function showAndSave(fig: Figure, notebook: string, file: string): Promise<string | null> {
  checkFigure(fig);
  checkString('file', file);
  if (path.basename(file) !== file || !file.toLowerCase().endsWith('.svg')) throw new ArgumentError('file', 'a file name ending in .svg (no folders)', file);
  const target = path.join(resultsDir(notebook), file);
  let written: string | null = null;
  try {
    written = await save(fig, target);
  } catch (e) {
    if (!/no usable Chromium/.test((e as Error).message)) throw e;
    if (!noBrowserNoted) console.log(`figures are not saved as SVG: ${(e as Error).message}`);
    noBrowserNoted = true;
  }
  show(fig, written === null ? {} : { staticImage: { mime: 'image/svg+xml', data: fs.readFileSync(written) } });
  return written;
}
