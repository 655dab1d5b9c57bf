/**
 * lib/plot: plotly figure builders, inline display in tslab and static export.
 *
 * A `Figure` is plain data (`{ data, layout, config }`, plotly.js's own
 * schema), so a caller can tweak any trace or layout field before showing it.
 *
 * Figure builders (figures.ts):
 * - `line`, `scatter`, `heatmap`, `scatter3d`, `imageGrid` build figures;
 *   `polylines3d` joins many 3-D paths (trajectories, segments) into one
 *   scatter3d line series.
 *
 * Display (display.ts):
 * - `show(fig)` draws the figure inline in a tslab notebook as `text/html`:
 *   a div with a unique id, the figure as JSON, and a script that calls
 *   `Plotly.newPlot`. plotly.js (plotly.js-dist-min, ~4.8 MB) is loaded once
 *   per page from the Jupyter server (`plotlyLoading()` 'served': setup
 *   installs it under the project's Jupyter prefix, SERVED_PLOTLY), or, where
 *   no server serves it, travels with the first figure a kernel shows
 *   ('embed'; env LDL_PLOTLY or `plotlyLoading(mode)` choose). Outside a
 *   kernel (scripts, tests) `show` draws nothing (`inNotebook()` says whether
 *   it can).
 * - `figureHtml(fig)` returns that HTML (for files, other front ends, tests).
 * - `tableHtml` / `showTable` render a danfojs DataFrame or records as a table.
 *
 * Axes (figures.ts): a linear axis whose values are all integers (epochs,
 * counts, matrix indices) is ticked at integers only (`xInteger`/`yInteger`
 * force or refuse it); a log axis spanning two or more decades is labelled
 * at powers of ten with unlabelled minor ticks; heatmap coordinates given as
 * names (`x: FASHION_MNIST_CLASS_NAMES`) make a categorical axis showing every
 * name; a 3-D scene spans the whole figure, legend inside its corner.
 *
 * Export (export.ts):
 * - `save(fig, 'x.svg' | 'x.png' | 'x.pdf')` renders through headless Chromium
 *   (`playwright-core` driving the system browser; env CHROMIUM_PATH names
 *   another binary); a PDF is that SVG printed to one page of its size.
 *   One browser per process, closed when idle.
 * - `save(fig, 'x.pdf', { preset: 'paper', widthMm: 85 })`: print styling
 *   (`paperFigure`: size in mm, 8 pt fonts, 1 pt lines; `PAPER` holds the
 *   one- and two-column widths, 85 and 178 mm).
 * - `showAndSave(fig, notebook, 'name.svg')` shows and writes
 *   name.svg beside the notebook's results.json; when the file cannot be written it still shows
 *   the figure, says why in one line and returns null.
 */
export { PALETTE, line, scatter, heatmap, scatter3d, polylines3d, imageGrid } from './figures';
export type {
  PlotObject, Figure, Numbers, AxesOptions, LineSeries, ScatterSeries, MatrixInput, HeatmapOptions,
  Scatter3dSeries, Scatter3dOptions, Points3d, Paths3d, ImageSet, ImageGridOptions,
} from './figures';
export { figureHtml, show, inNotebook, tableHtml, showTable, plotlyBundlePath, plotlyLoading, servedPlotlyFile, SERVED_PLOTLY, PLOTLY_NOT_SERVED } from './display';
export type { HtmlOptions, ShowOptions, TableInput, PlotlyLoading } from './display';
export { save, paperFigure, PAPER, showAndSave, closeBrowser, chromiumPath, CHROMIUM_ARGS } from './export';
export type { SaveOptions, PaperOptions } from './export';
