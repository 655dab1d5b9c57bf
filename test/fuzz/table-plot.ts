/**
 * Fuzz table of lib/plot (see harness.ts). Documented here: a NaN or infinite
 * data value becomes null, a gap in the trace (figures.ts, toArray), so a bad
 * value in series data must never reach the figure as a number.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { FuzzEntry, Table } from './harness';
import { line } from '../../lib/plot';

const fig = () => line({ y: [1, 3, 2], x: [0, 1, 2], name: 'a' }, { title: 't' });
const browser = 'rendering starts headless Chromium (seconds; test/plot/plot.test.ts saves real files); a bad file name or option must be refused before it starts';
const noArgs = (name: string): FuzzEntry => ({ name, valid: () => [], targets: [] });

const entries: FuzzEntry[] = [
  {
    name: 'line', valid: () => [{ y: [1, 3, 2], x: [0, 1, 2], band: { lower: [0, 2, 1], upper: [2, 4, 3] } }, { xRange: [0, 2], width: 400 }],
    targets: [{ path: [0, 'y'], kind: 'numbers', names: ['series'] }, { path: [0, 'x'], kind: 'numbers', sized: true, names: ['series', 'series.y'] },
      { path: [0, 'band', 'lower'], kind: 'numbers', sized: true, names: ['series'] }, { path: [1, 'xRange'], kind: 'numbers', sized: true, names: ['options'] },
      { path: [1, 'width'], kind: 'count', skip: ['fraction'], names: ['options'] }, { path: [0, 'dash'], kind: 'enum', names: ['series'] }],
  },
  {
    name: 'scatter', valid: () => [{ x: [0, 1, 2], y: [1, 3, 2], color: [0.1, 0.2, 0.3], size: 4 }, {}],
    targets: [{ path: [0, 'x'], kind: 'numbers', sized: true, names: ['series', 'series.y'] }, { path: [0, 'color'], kind: 'numbers', sized: true, names: ['series'] }, { path: [0, 'size'], kind: 'number', names: ['series'] }],
  },
  {
    name: 'heatmap', valid: () => [[[1, 2], [3, 4]], { zmin: 0, zmax: 5, x: [0, 1] }],
    targets: [{ path: [0], kind: 'matrix', sized: true, names: ['z'] }, { path: [1, 'zmin'], kind: 'number', names: ['options'] }, { path: [1, 'x'], kind: 'numbers', sized: true, names: ['options'] }, { path: [1, 'origin'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'scatter3d', valid: () => [{ x: [0, 1], y: [1, 2], z: [2, 3] }, {}],
    targets: [{ path: [0, 'z'], kind: 'numbers', sized: true, names: ['series', 'series.x'] }, { path: [0, 'mode'], kind: 'enum', names: ['series'] }],
  },
  {
    name: 'polylines3d', valid: () => [{ rows: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], pathLength: 2 }],
    nonFiniteOk: 'the paths are joined with a NaN between them, which plotly draws as a break (documented at polylines3d)',
    targets: [{ path: [0, 'rows'], kind: 'numbers', sized: true, names: ['paths'] }, { path: [0, 'pathLength'], kind: 'count', names: ['paths'] }],
  },
  {
    name: 'imageGrid', valid: () => [{ images: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), height: 2, width: 2, count: 2 }, { columns: 2, indices: [0, 1] }],
    targets: [{ path: [0, 'images'], kind: 'numbers', sized: true, names: ['images'] }, { path: [0, 'height'], kind: 'count', names: ['images'] }, { path: [1, 'columns'], kind: 'count', names: ['options'] }, { path: [1, 'indices'], kind: 'numbers', names: ['options'] }],
  },
  { name: 'paperFigure', valid: () => [fig(), { widthMm: 85 }], targets: [{ path: [1, 'widthMm'], kind: 'number', names: ['options'] }, { path: [1, 'fontPt'], kind: 'number', names: ['options'] }] },
  { name: 'figureHtml', valid: () => [fig(), { plotly: 'none' }], targets: [{ path: [1, 'plotly'], kind: 'enum', names: ['options'] }] },
  { name: 'show', valid: () => [fig(), {}], targets: [{ path: [1, 'embedPlotly'], kind: 'enum', names: ['options'] }] },
  { name: 'tableHtml', valid: () => [[{ a: 1, b: 'x' }, { a: 2, b: 'y' }]], targets: [] },
  { name: 'showTable', valid: () => [[{ a: 1, b: 'x' }]], targets: [] },
  {
    name: 'save', skipValid: browser, valid: () => [fig(), path.join(os.tmpdir(), 'ldl-fuzz', 'f.svg'), { width: 300, height: 200 }],
    targets: [{ path: [1], kind: 'enum', names: ['file'] }, { path: [2, 'width'], kind: 'count', skip: ['fraction'], names: ['options'] }, { path: [2, 'preset'], kind: 'enum', names: ['options'] }],
  },
  { name: 'showAndSave', skipValid: browser, valid: () => [fig(), 'fuzz-notebook', 'f.svg'], targets: [{ path: [2], kind: 'enum', names: ['file'] }] },
  { name: 'plotlyLoading', valid: () => ['embed'], targets: [{ path: [0], kind: 'enum', names: ['mode'] }] },
  { name: 'servedPlotlyFile', valid: () => [{ JUPYTER_PATH: '/nonexistent-ldl-fuzz' }], targets: [] },
  noArgs('closeBrowser'), noArgs('chromiumPath'), noArgs('inNotebook'), noArgs('plotlyBundlePath'),
];

export const table: Table = {
  module: 'plot',
  entries,
  setup() {
    process.env.LDL_OUT_DIR = path.join(os.tmpdir(), 'ldl-fuzz');
  },
  exempt: {
    PALETTE: 'constant: colours',
    PAPER: 'constant: column widths and print sizes',
    CHROMIUM_ARGS: 'constant: browser flags',
    SERVED_PLOTLY: 'constant: a path',
    PLOTLY_NOT_SERVED: 'constant: a message',
  },
};
