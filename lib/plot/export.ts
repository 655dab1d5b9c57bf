/**
 * lib/plot export: `save(fig, 'x.svg' | 'x.png')` renders a Figure through
 * plotly.js in headless Chromium (`playwright-core` driving the system
 * browser; env CHROMIUM_PATH names another binary), one browser per process,
 * closed when idle; `save(fig, 'x.pdf')` prints that SVG to a one-page PDF of
 * the figure's size in the same browser (vector, text kept as text; a 3-D
 * scene is WebGL, so it arrives as an image inside either). `showAndSave`
 * shows a figure inline and writes its SVG beside the notebook's results.json.
 *
 * The `paper` preset (`save(fig, 'x.pdf', { preset: 'paper', widthMm: 85 })`,
 * `paperFigure`) restyles a copy of the figure for print: its size in mm (one
 * column 85, two columns 178; height from the figure's aspect), fonts in pt,
 * line widths of 1 pt, tight margins that grow to fit the tick labels, 300
 * dpi PNG. CSS pixels are 1/96 inch, so 1 mm = 96/25.4 px and 1 pt = 96/72 px.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, checkOneOf, checkPositive, checkString, resultsDir } from '../core';
import { checkFigure, Figure, PlotObject } from './figures';
import { embedJson, plotlyBundlePath, show } from './display';

/** The parts of playwright-core used here (typed locally so the notebook compiler never reads its .d.ts). */
interface PwPage {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { path: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  pdf(o: { width: string; height: string; printBackground: boolean; pageRanges: string; margin: Record<string, string> }): Promise<Buffer>;
  close(): Promise<void>;
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

/** Print sizes of the `paper` preset. */
export const PAPER = {
  /** Figure widths in mm: one journal column, two columns (the full text width). */
  oneColumnMm: 85,
  twoColumnMm: 178,
  /** Tick labels, axis titles and legend; the title is 1 pt larger. */
  fontPt: 8,
  lineWidthPt: 1,
  /** PNG resolution. */
  dpi: 300,
} as const;

const PX_PER_MM = 96 / 25.4;
const PX_PER_PT = 96 / 72;

export interface PaperOptions {
  /** Figure width in mm (default PAPER.oneColumnMm, 85). */
  widthMm?: number;
  /** Figure height in mm (default the width times the figure's height/width, or 0.62 of it when the figure has no fixed width; 0.9 for 3-D). */
  heightMm?: number;
  /** Font size in pt (default PAPER.fontPt, 8). */
  fontPt?: number;
}

export interface SaveOptions extends PaperOptions {
  /** Image size in CSS pixels (default the layout's width/height, else 800x500; with the paper preset, from widthMm/heightMm). */
  width?: number;
  height?: number;
  /** PNG pixel density (default 2; with the paper preset 300 dpi, 300/96). */
  scale?: number;
  /** 'screen' (default: the figure as built) or 'paper' (paperFigure's print styling; widthMm, heightMm and fontPt apply only here). */
  preset?: 'screen' | 'paper';
}

/** Scales a plotly size field (a number or one per point) by f. */
function scaled(v: unknown, f: number): unknown {
  if (typeof v === 'number') return v * f;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? x * f : x));
  return v;
}

/**
 * A copy of the figure styled for print (the input is not changed): its
 * layout width/height in CSS pixels for the size in mm, fonts in pt, lines
 * of PAPER.lineWidthPt, markers at two thirds of their screen size, colour
 * bars one font size wide, and small margins that plotly grows to fit tick
 * labels (`automargin`).
 */
export function paperFigure(fig: Figure, options: PaperOptions = {}): Figure {
  const f = checkFigure(fig);
  const widthMm = options.widthMm === undefined ? PAPER.oneColumnMm : checkPositive('widthMm', options.widthMm);
  const fontPt = options.fontPt === undefined ? PAPER.fontPt : checkPositive('fontPt', options.fontPt);
  const src = f.layout as PlotObject;
  const is3d = src.scene !== undefined;
  const aspect = typeof src.width === 'number' && typeof src.height === 'number' ? src.height / src.width : is3d ? 0.9 : 0.62;
  const heightMm = options.heightMm === undefined ? widthMm * aspect : checkPositive('heightMm', options.heightMm);
  const font = fontPt * PX_PER_PT;
  const lineWidth = PAPER.lineWidthPt * PX_PER_PT;
  const data = f.data.map((t) => {
    const trace: PlotObject = { ...t };
    const ln = t.line as PlotObject | undefined;
    // Width 0 marks a band's invisible edge: it stays invisible.
    if (t.type === 'scatter' || t.type === 'scatter3d') trace.line = { ...(ln ?? {}), width: ln?.width === 0 ? 0 : lineWidth };
    const marker = t.marker as PlotObject | undefined;
    if (marker !== undefined) trace.marker = { ...marker, size: scaled(marker.size ?? 6, 2 / 3) };
    // plotly's 30 px colour bar would take a sixth of a column: one font size wide, its title at the tick size.
    const slim = (cb: PlotObject | undefined): PlotObject => {
      const title = cb?.title as PlotObject | undefined;
      return { ...(cb ?? {}), thickness: Math.round(font), ...(title ? { title: { ...title, font: { size: font } } } : {}) };
    };
    if (t.type === 'heatmap' && t.showscale !== false) trace.colorbar = slim(t.colorbar as PlotObject | undefined);
    if (marker?.showscale === true) (trace.marker as PlotObject).colorbar = slim(marker.colorbar as PlotObject | undefined);
    return trace;
  });
  const layout: PlotObject = { ...src };
  delete layout.autosize;
  layout.width = widthMm * PX_PER_MM;
  layout.height = heightMm * PX_PER_MM;
  layout.font = { ...((src.font as PlotObject | undefined) ?? {}), family: 'Arial, Helvetica, Liberation Sans, sans-serif', size: font };
  const title = src.title as PlotObject | undefined;
  if (title !== undefined) layout.title = { ...title, font: { size: font + PX_PER_PT } };
  const pad = Math.round(font / 2);
  layout.margin = is3d ? { l: 0, r: 0, b: 0, t: title !== undefined ? Math.round(2.5 * font) : pad } : { l: pad, r: pad, b: pad, t: title !== undefined ? Math.round(2.5 * font) : pad };
  for (const key of Object.keys(src)) {
    if (/^[xy]axis\d*$/.test(key) && src[key] !== null && typeof src[key] === 'object') layout[key] = { ...(src[key] as PlotObject), automargin: true };
  }
  if (is3d) {
    // At print fonts the tick labels take a larger share of the box: step the default camera back so the cube's corners and axis titles stay inside.
    const scene = src.scene as PlotObject;
    const camera = (scene.camera as PlotObject | undefined) ?? {};
    layout.scene = { ...scene, camera: { ...camera, eye: camera.eye ?? { x: 1.6, y: 1.6, z: 1.6 } } };
  }
  if (Array.isArray(src.annotations)) layout.annotations = (src.annotations as PlotObject[]).map((a) => ({ ...a, font: { ...((a.font as PlotObject | undefined) ?? {}), size: font } }));
  return { data, layout, ...(f.config ? { config: f.config } : {}) };
}

/** The rendered SVG's root sized in mm (its viewBox keeps the pixel geometry), so it is placed at print size. */
function svgInMm(svg: string, widthMm: number, heightMm: number): string {
  return svg.replace(/^(<svg\b[^>]*?)\swidth="[^"]*"\sheight="[^"]*"/, `$1 width="${widthMm.toFixed(2)}mm" height="${heightMm.toFixed(2)}mm"`);
}

async function printPdf(browser: PwBrowser, svg: string, widthMm: number, heightMm: number): Promise<Buffer> {
  const page = await browser.newPage();
  try {
    // In inches: playwright converts 'mm' with 3.78 px/mm (0.02 % short), inches exactly (96 px).
    const w = `${(widthMm / 25.4).toFixed(5)}in`;
    const h = `${(heightMm / 25.4).toFixed(5)}in`;
    // Page and figure the same size, no margins and no overflow, so it prints as exactly one page.
    await page.setContent(
      `<!doctype html><html><head><meta charset="utf-8"><style>@page { size: ${w} ${h}; margin: 0 } html, body { margin: 0; padding: 0; overflow: hidden } svg { display: block; width: ${w}; height: ${h} }</style></head><body>${svg}</body></html>`,
    );
    return await page.pdf({ width: w, height: h, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } });
  } finally {
    await page.close().catch(() => undefined);
  }
}

/**
 * Writes the figure as SVG, PNG or PDF (chosen by the file extension),
 * rendered by plotly.js in headless Chromium. Creates the folder. Returns
 * the path. With `preset: 'paper'` the figure is first restyled by
 * `paperFigure` (widthMm, heightMm, fontPt); the SVG then states its size in
 * mm and a PNG has 300 dpi. Throws an Error naming the browser and how to
 * install it when none runs.
 */
export async function save(fig: Figure, file: string, options: SaveOptions = {}): Promise<string> {
  let f = checkFigure(fig);
  checkString('file', file);
  const ext = path.extname(file).toLowerCase();
  const format = ext === '.svg' ? 'svg' : ext === '.png' ? 'png' : ext === '.pdf' ? 'pdf' : null;
  if (format === null) throw new ArgumentError('file', 'a path ending in .svg, .png or .pdf', file);
  const preset = options.preset === undefined ? 'screen' : checkOneOf('preset', options.preset, ['screen', 'paper']);
  if (preset === 'paper') {
    f = paperFigure(f, options);
  } else {
    for (const k of ['widthMm', 'heightMm', 'fontPt'] as const) {
      if (options[k] !== undefined) throw new ArgumentError(k, "preset: 'paper' (sizes in mm and pt belong to the paper preset)", options[k]);
    }
  }
  const layout = f.layout as PlotObject;
  const width = options.width ?? (typeof layout.width === 'number' ? layout.width : 800);
  const height = options.height ?? (typeof layout.height === 'number' ? layout.height : 500);
  checkPositive('width', width);
  checkPositive('height', height);
  const scale = options.scale === undefined ? (preset === 'paper' ? PAPER.dpi / 96 : 2) : checkPositive('scale', options.scale);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  pending++;
  try {
    if (pagePromise === null) pagePromise = openPage();
    let opened: { browser: PwBrowser; page: PwPage };
    try {
      opened = await pagePromise;
    } catch (e) {
      pagePromise = null; // let a later call retry (e.g. after CHROMIUM_PATH was fixed)
      throw e;
    }
    const spec = JSON.parse(embedJson({ data: f.data, layout: { ...layout, width, height } }));
    const url = await opened.page.evaluate(
      async (a: { spec: { data: unknown[]; layout: object }; format: string; width: number; height: number; scale: number }) => {
        const Plotly = (globalThis as unknown as { Plotly: { toImage(fig: object, o: object): Promise<string> } }).Plotly;
        return Plotly.toImage({ data: a.spec.data, layout: a.spec.layout }, { format: a.format, width: a.width, height: a.height, scale: a.scale });
      },
      { spec, format: format === 'png' ? 'png' : 'svg', width, height, scale: format === 'pdf' ? 1 : scale },
    );
    let bytes: Buffer;
    if (format === 'png') {
      bytes = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
    } else {
      const comma = url.indexOf(',');
      const head = url.slice(0, comma);
      const body = url.slice(comma + 1);
      let svg = head.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
      const [widthMm, heightMm] = [width / PX_PER_MM, height / PX_PER_MM];
      if (preset === 'paper') svg = svgInMm(svg, widthMm, heightMm);
      bytes = format === 'svg' ? Buffer.from(svg, 'utf8') : await printPdf(opened.browser, svg, widthMm, heightMm);
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

/** The browser path (chromiumPath()) that last failed to start, so later figures skip it; undefined when none failed. */
let failedBrowser: string | null | undefined;

/**
 * Shows the figure inline and writes it as SVG beside the notebook's
 * results.json (`resultsDir(notebook)/<file>`: `out/<notebook>/`, or
 * `out/reproduce/<notebook>/` under `npm run reproduce`), with that SVG
 * embedded as the static fallback for viewers that run no scripts. Returns
 * the file written, or null when it could not be written; the inline figure
 * is shown either way, so a long notebook run is never stopped by export:
 * - no usable Chromium: a one-line note the first time; later figures do not
 *   try the same browser again (until CHROMIUM_PATH or the system browser changes);
 * - any other failure (an unwritable out folder, a render error): one line
 *   naming the file and the error's first line, for each figure it hits.
 * Bad arguments (not a Figure, a file name with folders or not .svg, a bad
 * notebook name) still throw, before anything is shown.
 */
export async function showAndSave(fig: Figure, notebook: string, file: string): Promise<string | null> {
  checkFigure(fig);
  checkString('file', file);
  if (path.basename(file) !== file || !file.toLowerCase().endsWith('.svg')) throw new ArgumentError('file', 'a file name ending in .svg (no folders)', file);
  let written: string | null = null;
  let dir: string | null = null;
  try {
    dir = resultsDir(notebook); // checks the notebook name; creates the folder
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    console.log(`figure ${file} not saved: ${firstLine(e)}`);
  }
  const browser = chromiumPath();
  if (dir !== null && (failedBrowser === undefined || failedBrowser !== browser)) {
    try {
      written = await save(fig, path.join(dir, file));
      failedBrowser = undefined;
    } catch (e) {
      if (/no usable Chromium/.test(firstLine(e))) {
        console.log(`figures are not saved as SVG: ${firstLine(e)}`);
        failedBrowser = browser;
      } else {
        console.log(`figure ${file} not saved: ${firstLine(e)}`);
      }
    }
  }
  show(fig, written === null ? {} : { staticImage: { mime: 'image/svg+xml', data: fs.readFileSync(written) } });
  return written;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
