/**
 * lib/plot export: `save(fig, 'x.svg' | 'x.png')` renders a Figure through
 * plotly.js in headless Chromium (`playwright-core` driving the system
 * browser; env CHROMIUM_PATH names another binary), one browser per process,
 * closed when idle; `showAndSave` shows a figure inline and writes its SVG
 * beside the notebook's results.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, checkPositive, checkString, resultsDir } from '../core';
import { checkFigure, Figure, PlotObject } from './figures';
import { embedJson, plotlyBundlePath, show } from './display';

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

/** The browser path (chromiumPath()) that last failed to start, so later figures skip it; undefined when none failed. */
let failedBrowser: string | null | undefined;

/**
 * Shows the figure inline and writes it as SVG to `out/<notebook>/<file>`
 * (the notebook contract: figures beside results.json), with that SVG
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
