/**
 * Progress reporting and work bounds. Long work (training, solvers, sweeps)
 * shows how far it is -- an output line updated in place in a notebook, a bar
 * in a terminal, a line every so often in a log -- and stops at an iteration
 * or time budget.
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf } from './validate';

interface TslabDisplay {
  text(s: string): void;
  html(s: string): void;
}

/**
 * The tslab display module when this code runs inside a tslab kernel that is
 * executing a cell, else null. (tslab's display functions throw "Not ready"
 * outside a kernel, so scripts and tests must not call them.)
 */
export function notebookDisplay(): { display: TslabDisplay; newDisplay(): TslabDisplay } | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require('tslab/dist/jupyter');
    if (jupyter.lastWriteDisplayData == null) return null;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('tslab');
  } catch {
    return null;
  }
}

export type ProgressOutput = 'auto' | 'notebook' | 'terminal' | 'log' | 'silent';

export interface ProgressOptions {
  /** Total units of work (iterations, epochs, jobs); omit when unknown. */
  total?: number;
  /** What is running, printed before the bar. */
  label?: string;
  /** Where to report ('auto': notebook inside tslab, bar on a TTY, else log lines). Env LDL_PROGRESS=silent silences all. */
  output?: ProgressOutput;
  /** Minimum milliseconds between two redraws (default 200 notebook/terminal, 10000 log). */
  intervalMs?: number;
}

/** A progress display; `update` is cheap to call every iteration (it redraws at most every `intervalMs`). */
export class Progress {
  readonly total: number | undefined;
  readonly label: string;
  readonly output: Exclude<ProgressOutput, 'auto'>;
  private readonly intervalMs: number;
  private readonly start = Date.now();
  private lastDraw = 0;
  private done = 0;
  private info = '';
  private finished = false;
  private handle: TslabDisplay | null = null;

  constructor(options: ProgressOptions = {}) {
    if (options.total !== undefined) checkInteger('total', options.total, 0);
    this.total = options.total;
    this.label = options.label ?? 'progress';
    const env = process.env.LDL_PROGRESS;
    let output = checkOneOf('output', options.output ?? 'auto', ['auto', 'notebook', 'terminal', 'log', 'silent']);
    if (env === 'silent' || env === '0') output = 'silent';
    if (output === 'auto') {
      output = notebookDisplay() ? 'notebook' : process.stderr.isTTY ? 'terminal' : 'log';
    }
    if (output === 'notebook') {
      // One display with an id, redrawn in place: also what `npm run reproduce` forwards to its
      // terminal as the notebook's progress (scripts/execute_notebook.py keys on the display id).
      const nb = notebookDisplay();
      if (!nb) throw new ArgumentError('output', '"notebook" only inside a running tslab kernel', output);
      this.handle = nb.newDisplay();
    }
    this.output = output;
    this.intervalMs = checkNumber('intervalMs', options.intervalMs ?? (output === 'log' ? 10000 : 200), 0);
  }

  /** Sets the amount done (absolute) and an optional status text such as "loss 0.123". */
  update(done: number, info?: string): void {
    if (this.finished) return;
    this.done = done;
    if (info !== undefined) this.info = info;
    const now = Date.now();
    if (now - this.lastDraw >= this.intervalMs) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  /** Advances by `n` units. */
  tick(n = 1, info?: string): void {
    this.update(this.done + n, info);
  }

  /** Final redraw; further updates are ignored. */
  finish(info?: string): void {
    if (this.finished) return;
    if (info !== undefined) this.info = info;
    if (this.total !== undefined && this.done < this.total && info === undefined) this.info ||= 'stopped early';
    this.draw(true);
    this.finished = true;
  }

  /** Seconds since the display was created. */
  elapsedSeconds(): number {
    return (Date.now() - this.start) / 1000;
  }

  /** The current status line (what the display shows). */
  line(): string {
    const el = this.elapsedSeconds();
    let text = `${this.label}: `;
    if (this.total !== undefined && this.total > 0) {
      const f = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(f * width);
      const eta = f > 0 && f < 1 ? ` eta ${formatSeconds((el * (1 - f)) / f)}` : '';
      text += `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * f).toFixed(0).padStart(3)}% ${this.done}/${this.total} ${formatSeconds(el)}${eta}`;
    } else {
      text += `${this.done} done, ${formatSeconds(el)}`;
    }
    return this.info ? `${text}  ${this.info}` : text;
  }

  private draw(final: boolean): void {
    if (this.output === 'silent') return;
    const text = this.line();
    if (this.output === 'notebook') this.handle!.text(text);
    else if (this.output === 'terminal') process.stderr.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    else process.stderr.write(text + '\n');
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface BudgetOptions {
  /** Stop after this many iterations. */
  maxIterations?: number;
  /** Stop after this many milliseconds of wall time. */
  timeLimitMs?: number;
}

/** A bound on long work: iterations and/or wall time, whichever comes first. */
export class Budget {
  readonly maxIterations: number;
  readonly timeLimitMs: number;
  private readonly start = Date.now();

  constructor(options: BudgetOptions = {}) {
    this.maxIterations = options.maxIterations === undefined ? Infinity : checkInteger('maxIterations', options.maxIterations, 0);
    this.timeLimitMs = options.timeLimitMs === undefined ? Infinity : checkNumber('timeLimitMs', options.timeLimitMs, 0);
  }

  /** Milliseconds since the budget was created. */
  elapsedMs(): number {
    return Date.now() - this.start;
  }

  /** Why work must stop after `iterations` completed iterations, or null to go on. */
  exhausted(iterations: number): 'iterations' | 'time' | null {
    if (iterations >= this.maxIterations) return 'iterations';
    if (this.elapsedMs() >= this.timeLimitMs) return 'time';
    return null;
  }
}
