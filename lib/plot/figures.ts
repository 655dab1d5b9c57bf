/**
 * lib/plot figure builders: `line`, `scatter`, `heatmap`, `scatter3d` and
 * `imageGrid` turn numbers into a plotly `Figure` (plain `{ data, layout }`
 * in plotly.js's schema), checking every argument by name; `polylines3d`
 * joins many 3-D paths into one scatter3d line series.
 * Nothing here draws or writes files (display.ts and export.ts do).
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, checkPositive, checkString, describe } from '../core';

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
  /**
   * Ticks on whole numbers only (an epoch, a count). Default: on when every
   * value drawn on that (linear) axis is an integer; give `true` for integer
   * categories drawn with small offsets (markers side by side), `false` to
   * let plotly place fractional ticks.
   */
  xInteger?: boolean;
  yInteger?: boolean;
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

/** About this many labelled ticks on an axis (plotly's own default is similar). */
const TARGET_TICKS = 6;

/** The smallest of 1, 2, 5 x 10^k that is >= x (x > 0). */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A tick label for a log axis value: 3 significant digits, no float noise (0.30000000000000004). */
function logLabel(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/**
 * Tick placement for one axis from the values drawn on it (or its fixed
 * range), written into `axis`. plotly's automatic ticks put 0.5 between
 * integers on a short range (a `tickformat` only reformats them) and label
 * every digit of a log axis spanning a few decades; so:
 * - a linear axis holding integers gets `tickmode: 'linear'` from 0 with an
 *   integer step of 1, 2 or 5 x 10^k (about TARGET_TICKS labels);
 * - a log axis spanning two or more powers of ten is labelled at powers of
 *   ten only (every k-th decade when there are many), in 10^k notation, with
 *   unlabelled minor ticks at 2..9; a shorter one at 1, 2, 5 x 10^k, or at
 *   evenly spaced integers when it holds integers and fewer of those fit.
 */
function placeTicks(axis: PlotObject, values: readonly (number | null)[], o: { log?: boolean; integer?: boolean; range?: [number, number]; name: string }): void {
  if (o.integer !== undefined && typeof o.integer !== 'boolean') throw new ArgumentError(`${o.name}Integer`, 'true or false', o.integer);
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v) && (!o.log || v > 0));
  // The extent ticks must cover: the fixed range when given, else the data's.
  const extent = o.range !== undefined ? [o.range[0], o.range[1]] : finite;
  if (extent.length === 0) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of extent) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (o.log) {
    const first = Math.ceil(Math.log10(lo) - 1e-9);
    const last = Math.floor(Math.log10(hi) + 1e-9);
    if (last - first >= 1) {
      const every = Math.max(1, Math.ceil((last - first) / TARGET_TICKS));
      Object.assign(axis, { tickmode: 'linear', tick0: 0, dtick: every, exponentformat: 'power' });
      if (every === 1) axis.minor = { ticks: 'outside', ticklen: 3, dtick: 'D1', showgrid: false };
    } else {
      // Less than two powers of ten in view: labels at 1, 2, 5 x 10^k when
      // that gives three; else (a range of a few units: 64..256) evenly
      // spaced integers for integer data, plotly's own linear-looking ticks otherwise.
      let tickvals: number[] = [];
      for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
        for (const m of [1, 2, 5]) {
          const v = Number((m * 10 ** k).toPrecision(12));
          if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) tickvals.push(v);
        }
      }
      if (tickvals.length < 3 && (o.integer ?? (finite.length > 0 && finite.every(Number.isInteger)))) {
        const step = Math.max(1, Math.round(niceStep((hi - lo || 1) / TARGET_TICKS)));
        tickvals = [];
        for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) tickvals.push(v);
      }
      if (tickvals.length >= 3) Object.assign(axis, { tickmode: 'array', tickvals, ticktext: tickvals.map(logLabel) });
    }
    return;
  }
  const integer = o.integer ?? (finite.length > 0 && finite.every(Number.isInteger));
  if (!integer) return;
  const step = Math.max(1, Math.round(niceStep(Math.max(hi - lo, 1) / TARGET_TICKS)));
  Object.assign(axis, { tickmode: 'linear', tick0: 0, dtick: step });
}

/** Every value the traces draw along one axis ('x' or 'y'). */
function axisValues(traces: PlotObject[], key: 'x' | 'y'): (number | null)[] {
  const out: (number | null)[] = [];
  for (const t of traces) {
    const v = t[key];
    if (Array.isArray(v)) for (const x of v) if (typeof x === 'number' || x === null) out.push(x);
  }
  return out;
}

/** The layout of a 2-D figure; `values` replaces what the traces draw along an axis where they do not list it (a heatmap's default indices). */
function baseLayout(o: AxesOptions, traces: PlotObject[], values: { x?: number[]; y?: number[] } = {}): PlotObject {
  const layout: PlotObject = {
    xaxis: axisLayout(o.xLabel, o.logX, o.xRange, 'x'),
    yaxis: axisLayout(o.yLabel, o.logY, o.yRange, 'y'),
    margin: { l: 60, r: 20, t: o.title ? 50 : 20, b: 50 },
    height: o.height === undefined ? 420 : checkPositive('height', o.height),
  };
  placeTicks(layout.xaxis as PlotObject, values.x ?? axisValues(traces, 'x'), { log: o.logX, integer: o.xInteger, range: o.xRange, name: 'x' });
  placeTicks(layout.yaxis as PlotObject, values.y ?? axisValues(traces, 'y'), { log: o.logY, integer: o.yInteger, range: o.yRange, name: 'y' });
  if (o.width !== undefined) layout.width = checkPositive('width', o.width);
  if (o.title !== undefined) layout.title = { text: checkString('title', o.title) };
  const named = traces.filter((t) => t.name !== undefined && t.showlegend !== false).length;
  layout.showlegend = o.showLegend ?? named > 1;
  return layout;
}

/** The series argument as a non-empty list of objects, each with the name its errors use (`series` alone, `series[i]` in a list). */
function seriesList<S>(series: S | S[], shape: string): { s: S; i: number; where: string }[] {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new ArgumentError('series', 'at least one series', 'an empty array');
  return list.map((s, i) => {
    const where = list.length > 1 ? `series[${i}]` : 'series';
    if (s === null || typeof s !== 'object') throw new ArgumentError(where, shape, s);
    return { s, i, where };
  });
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
  const traces: PlotObject[] = [];
  seriesList(series, 'an object { y, x?, name?, band?, error? }').forEach(({ s, i, where }) => {
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
  const traces = seriesList(series, 'an object { x, y, name?, color? }').map(({ s, i, where }) => {
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
  /**
   * Column coordinates (default 0..cols-1) and row coordinates (default
   * 0..rows-1): numbers, or one distinct name per column / row (class names),
   * which makes that axis categorical with every name shown.
   */
  x?: Numbers | readonly string[];
  y?: Numbers | readonly string[];
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
  const coords = (name: 'x' | 'y', v: Numbers | readonly string[] | undefined, n: number) => {
    if (v === undefined) return { ticks: range(n), names: null };
    if (Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string')) {
      if (v.length !== n) throw new ArgumentError(name, `${n} names (one per ${name === 'x' ? 'column' : 'row'})`, `${v.length} names`);
      const seen = new Set<string>();
      for (const c of v as string[]) {
        if (seen.has(c)) throw new ArgumentError(name, 'distinct names (a categorical axis merges equal ones)', `'${c}' twice`);
        seen.add(c);
      }
      trace[name] = [...v];
      return { ticks: undefined, names: v as readonly string[] };
    }
    const a = toArray(name, v, n);
    trace[name] = a;
    return { ticks: undefined, names: null };
  };
  const cx = coords('x', options.x, rows[0].length);
  const cy = coords('y', options.y, rows.length);
  if (options.zmin !== undefined) trace.zmin = checkNumber('zmin', options.zmin);
  if (options.zmax !== undefined) trace.zmax = checkNumber('zmax', options.zmax);
  if (options.zmid !== undefined) trace.zmid = checkNumber('zmid', options.zmid);
  if (options.colorbarTitle !== undefined) trace.colorbar = { title: { text: options.colorbarTitle } };
  const layout = baseLayout({ ...options, showLegend: false }, [trace], { x: cx.ticks, y: cy.ticks });
  // Names: a category axis labelled at every name (plotly skips some when crowded), margins grown to fit them.
  for (const [key, c] of [['xaxis', cx], ['yaxis', cy]] as const) {
    if (c.names !== null) Object.assign(layout[key] as PlotObject, { type: 'category', tickmode: 'linear', tick0: 0, dtick: 1, automargin: true });
  }
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
  const traces = seriesList(series, 'an object { x, y, z, name?, mode? }').map(({ s, i, where }) => {
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
  // The scene spans the whole figure and the legend sits inside its top-left
  // corner, so the cube is not squeezed beside a legend column; the width
  // follows the output (autosize) and 600 px of height leave the default
  // camera's cube uncropped at notebook widths.
  const layout: PlotObject = {
    scene: { xaxis: axis(options.xLabel, 'xLabel'), yaxis: axis(options.yLabel, 'yLabel'), zaxis: axis(options.zLabel, 'zLabel'), domain: { x: [0, 1], y: [0, 1] } },
    margin: { l: 0, r: 0, t: options.title ? 50 : 10, b: 0 },
    autosize: true,
    height: options.height === undefined ? 600 : checkPositive('height', options.height),
    showlegend: options.showLegend ?? traces.filter((t) => t.name !== undefined).length > 1,
    legend: { x: 0, y: 1, xanchor: 'left', yanchor: 'top', bgcolor: 'rgba(255,255,255,0.7)' },
  };
  if (options.width !== undefined) layout.width = checkPositive('width', options.width);
  if (options.title !== undefined) layout.title = { text: checkString('title', options.title) };
  return { data: traces, layout };
}

/** Points in 3-D, one array per axis. */
export interface Points3d {
  x: Numbers;
  y: Numbers;
  z: Numbers;
}

/** Paths for `polylines3d`: a list of point sets, or flat row-major [m x 3] coordinates cut into consecutive paths of `pathLength` points. */
export type Paths3d = Points3d[] | { rows: Numbers; pathLength: number };

/**
 * Several polylines (trajectories of many trials, segments along
 * eigenvectors, the edges of a graph) as ONE `mode: 'lines'` series for
 * `scatter3d`: the paths are joined with a NaN between them, which the
 * figure draws as a break, so a hundred paths stay one trace and one legend
 * entry. `style` sets the series' name, colour and marker size.
 */
export function polylines3d(paths: Paths3d, style: { name?: string; color?: string; size?: number } = {}): Scatter3dSeries {
  let list: Points3d[];
  if (Array.isArray(paths)) {
    list = paths;
  } else if (paths !== null && typeof paths === 'object' && isNumbers((paths as { rows: Numbers }).rows)) {
    const { rows, pathLength } = paths as { rows: Numbers; pathLength: number };
    const n = checkInteger('paths.pathLength', pathLength, 1);
    if (rows.length === 0 || rows.length % (3 * n) !== 0) {
      throw new ArgumentError('paths.rows', `a whole number of paths of ${n} points x 3 coordinates (length a multiple of ${3 * n})`, `length ${rows.length}`);
    }
    list = range(rows.length / (3 * n)).map((p) => {
      const at = (axis: number) => range(n).map((t) => rows[3 * (p * n + t) + axis]);
      return { x: at(0), y: at(1), z: at(2) };
    });
  } else {
    throw new ArgumentError('paths', 'an array of { x, y, z } or { rows, pathLength }', paths);
  }
  if (list.length === 0) throw new ArgumentError('paths', 'at least one path', 'an empty array');
  const out: Points3d & { x: number[]; y: number[]; z: number[] } = { x: [], y: [], z: [] };
  list.forEach((q, i) => {
    if (q === null || typeof q !== 'object') throw new ArgumentError(`paths[${i}]`, 'an object { x, y, z }', q);
    const x = toArray(`paths[${i}].x`, q.x);
    if (x.length === 0) throw new ArgumentError(`paths[${i}].x`, 'at least one point', 'an empty array');
    const y = toArray(`paths[${i}].y`, q.y, x.length);
    const z = toArray(`paths[${i}].z`, q.z, x.length);
    if (i > 0) for (const axis of [out.x, out.y, out.z]) axis.push(NaN);
    for (let t = 0; t < x.length; t++) {
      out.x.push(x[t] ?? NaN);
      out.y.push(y[t] ?? NaN);
      out.z.push(z[t] ?? NaN);
    }
  });
  const series: Scatter3dSeries = { ...out, mode: 'lines' };
  if (style.name !== undefined) series.name = checkString('style.name', style.name);
  if (style.color !== undefined) series.color = checkString('style.color', style.color);
  if (style.size !== undefined) series.size = checkPositive('style.size', style.size);
  return series;
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

// ---------------------------------------------------------------- shared checks

/** The argument `fig` as a Figure, or an ArgumentError (used by display and export). */
export function checkFigure(fig: unknown): Figure {
  const f = fig as Figure;
  if (f === null || typeof f !== 'object' || !Array.isArray(f.data) || f.layout === null || typeof f.layout !== 'object') {
    throw new ArgumentError('fig', 'a Figure { data: object[], layout: object }', fig);
  }
  return f;
}
