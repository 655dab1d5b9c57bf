/**
 * Run mode and results.json of a notebook (design.md, notebook contract).
 *
 * Notebooks run with cwd = notebooks/ (Jupyter starts the kernel in the
 * notebook's folder), scripts and tests from the project root; so output
 * paths are resolved from this file's real location, never from the cwd.
 *
 * Interactive runs and headless reproductions write to different folders, so
 * that neither overwrites the other's figures: a notebook opened in Jupyter
 * (or any script) writes `<root>/out/<name>/`; `npm run reproduce`, which
 * starts its kernels with LDL_RUN=reproduce, writes `<root>/out/reproduce/<name>/`.
 * LDL_OUT_DIR overrides both: `<LDL_OUT_DIR>/<name>/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { backendReport } from './backend';
import { ArgumentError, checkNumber, checkString } from './validate';

/** QUICK=1: about a minute; default: the study as a 2-core machine allows; PAPER=1: the paper's settings. */
export type RunMode = 'quick' | 'default' | 'paper';

function flag(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** The mode the environment selects (QUICK wins over PAPER when both are set). */
export function runMode(env: NodeJS.ProcessEnv = process.env): RunMode {
  if (flag(env.QUICK)) return 'quick';
  if (flag(env.PAPER)) return 'paper';
  return 'default';
}

/** The project root (the folder holding lib/), through symlinks such as notebooks/lib. */
export function projectRoot(): string {
  return path.resolve(fs.realpathSync(__dirname), '..', '..');
}

const NAME = /^[A-Za-z0-9][\w.-]*$/;

/**
 * The folder of notebook `name`'s outputs (results.json, figures), created if
 * missing: `<LDL_OUT_DIR>/<name>/` when LDL_OUT_DIR is set, else
 * `<root>/out/reproduce/<name>/` under `npm run reproduce` (LDL_RUN=reproduce),
 * else `<root>/out/<name>/`.
 */
export function resultsDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  checkString('name', name);
  if (!NAME.test(name)) throw new ArgumentError('name', 'a notebook name of letters, digits, ".", "-" and "_"', name);
  const run = env.LDL_RUN ?? '';
  if (run !== '' && run !== 'reproduce') throw new ArgumentError('LDL_RUN', '"reproduce" (set by npm run reproduce) or unset', run);
  const out = env.LDL_OUT_DIR
    ? path.resolve(env.LDL_OUT_DIR)
    : run === 'reproduce'
      ? path.join(projectRoot(), 'out', 'reproduce')
      : path.join(projectRoot(), 'out');
  // Interactively, a notebook named "reproduce" would write among the reproductions' folders.
  if (!env.LDL_OUT_DIR && run === '' && name === 'reproduce') throw new ArgumentError('name', 'a notebook name other than "reproduce" (out/reproduce/ holds npm run reproduce\'s folders)', name);
  const dir = path.join(out, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** What a notebook hands to `writeResults`. */
export interface ResultsInput {
  /** Every seed the numbers depend on (one entry when a single seed suffices). */
  seeds: number[];
  /** The settings actually used (sizes, epochs, sweeps, reductions from the paper). */
  settings: Record<string, unknown>;
  /** Headline measured numbers (at least one finite number), e.g. { testAccuracyMedian: 0.97 }. */
  measured: Record<string, unknown>;
  /** When the run started (Date.now() in the parameters cell): wall time is measured from it. */
  startedAt: number;
  /** Anything else worth keeping (paper values, per-seed numbers, figure files). */
  [extra: string]: unknown;
}

/** The file as written: the input plus what every results.json records. */
export interface ResultsRecord extends ResultsInput {
  name: string;
  mode: RunMode;
  backend: { name: string; line: string; detail?: string } | null;
  wallTimeSeconds: number;
  node: string;
  date: string;
}

function hasFiniteNumber(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (depth > 4 || v === null || typeof v !== 'object') return false;
  return Object.values(v as object).some((x) => hasFiniteNumber(x, depth + 1));
}

/**
 * Writes `results.json` into `resultsDir(name)` with the mode, backend report, wall time,
 * Node version and date added; returns the file path.
 */
export function writeResults(name: string, results: ResultsInput): string {
  const dir = resultsDir(name);
  if (results === null || typeof results !== 'object') throw new ArgumentError('results', 'an object { seeds, settings, measured, startedAt }', results);
  if (!Array.isArray(results.seeds) || results.seeds.length === 0 || !results.seeds.every((s) => Number.isInteger(s))) {
    throw new ArgumentError('results.seeds', 'a non-empty array of integer seeds', results.seeds);
  }
  if (results.settings === null || typeof results.settings !== 'object') throw new ArgumentError('results.settings', 'an object', results.settings);
  if (!hasFiniteNumber(results.measured)) {
    throw new ArgumentError('results.measured', 'an object holding at least one finite measured number', results.measured);
  }
  const startedAt = checkNumber('results.startedAt', results.startedAt, 0, Date.now());
  const report = backendReport();
  const record: ResultsRecord = {
    name,
    mode: runMode(),
    ...results,
    backend: report ? { name: report.backend, line: report.line, ...(report.detail ? { detail: report.detail } : {}) } : null,
    wallTimeSeconds: Math.round((Date.now() - startedAt) / 10) / 100,
    node: process.version,
    date: new Date().toISOString(),
  };
  const file = path.join(dir, 'results.json');
  fs.writeFileSync(file, JSON.stringify(record, (_k, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v), 2) + '\n');
  return file;
}

/** Writes `value` as JSON to `file`, creating its folder (what a model's or a result's `save` does). */
export function writeJsonFile(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}

/** The parsed contents of a JSON file; a missing file is an ArgumentError naming `file` and saying what should be there. */
export function readJsonFile(file: string, expected: string): unknown {
  if (!fs.existsSync(file)) throw new ArgumentError('file', expected, file);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
