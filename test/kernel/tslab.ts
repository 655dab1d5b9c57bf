/**
 * Drives the project's (patched) tslab directly, without Jupyter: its converter turns a cell into a
 * module against the declarations of earlier cells, its executor runs it and keeps those declarations.
 * A `Session` is one kernel's state; `run(cell)` returns whether tslab accepted it and what it printed.
 * A session owns the global `__tslab__` (tslab's channel to the running cell), so sessions never interleave.
 *
 * TSLAB_DIR=<a tslab 1.0.22 folder> runs the same tests against another copy (e.g. one as published,
 * to see them fail without patches/tslab-1.0.22.patch).
 */
import * as path from 'path';
import { format } from 'util';

export const root = path.resolve(__dirname, '..', '..');
export const tslabDir = process.env.TSLAB_DIR || path.join(root, 'node_modules', 'tslab');

export interface Diagnostic {
  start: { line: number; character: number; offset: number };
  messageText: string;
  code: number;
  fileName?: string;
  explanation?: string;
}
export interface Converter {
  convert(prevDecl: string, src: string): { diagnostics: Diagnostic[]; output?: string; declOutput?: string };
  close(): void;
}

/** tslab's converter, compiling against files under the current directory (as the kernel does). */
export function createConverter(): Converter {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(path.join(tslabDir, 'dist', 'converter.js')).createConverter();
}

export interface CellResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export class Session {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly executor: any;

  /** `converter`: tslab's, shared by sessions run one after another (creating one takes seconds). */
  constructor(private readonly converter: Converter) {
    const console = {
      log: (...a: unknown[]) => this.out.push(format(...a)),
      error: (...a: unknown[]) => this.err.push(format(...a)),
    };
    const conv = this.converter;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { createExecutor } = require(path.join(tslabDir, 'dist', 'executor.js'));
    this.executor = createExecutor(process.cwd(), { node: conv, browser: conv, close: () => undefined }, console);
  }

  async run(cell: string): Promise<CellResult> {
    const ok: boolean = await this.executor.execute(cell);
    return { ok, stdout: this.out.splice(0).join('\n'), stderr: this.err.splice(0).join('\n') };
  }

  /** Forgets this session's cells (what tslab's reset does); the converter stays open for the next session. */
  close(): void {
    this.executor.reset();
  }
}
