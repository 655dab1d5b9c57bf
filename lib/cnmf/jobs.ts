/** Private to lib/cnmf: the pool jobs, re-exported by index.ts because the pool addresses them as `{ module: 'lib/cnmf/index', export }`. */
import { ArgumentError } from '../core';
import { DenseMatrix } from './model';
import { cnmf, CnmfOptions, CnmfResult } from './solvers';
import { SyntheticOptions, syntheticSequences } from './synthetic';
import { seqNMF, SeqNmfOptions, SeqNmfResult } from './seqnmf';

// ---------------------------------------------------------------------------
// Worker-pool jobs (lib/core's pool calls fn(args, ctx) in a child process)

export interface CnmfJobArgs {
  /** The data, or the options of `syntheticSequences` to generate it inside the worker (saves copying large X). */
  X?: DenseMatrix;
  synthetic?: SyntheticOptions;
  /** cnmf options (functions cannot cross to a worker: no onIteration). */
  options: Omit<CnmfOptions, 'onIteration' | 'progress'>;
  /** Run one untimed iteration first so the timed run does not pay for JIT compilation (default true). */
  warmup?: boolean;
}

/** `cnmf` as a pool job: `{ module: 'lib/cnmf/index', export: 'cnmfJob', args }`. Reports progress by iterations or time, whichever is further. */
export function cnmfJob(args: CnmfJobArgs, ctx?: { progress(fraction: number, message?: string): void }): CnmfResult {
  const X = args.X ?? (args.synthetic ? syntheticSequences(args.synthetic).X : undefined);
  if (!X) throw new ArgumentError('args', 'X or synthetic', args);
  if (args.warmup ?? true) cnmf(X, { ...args.options, maxIterations: 1, timeLimit: undefined, targetLoss: undefined, tolerance: undefined });
  const maxIterations = args.options.maxIterations ?? 100;
  const timeLimit = args.options.timeLimit ?? Infinity;
  return cnmf(X, {
    ...args.options,
    onIteration: (it, loss, seconds) => ctx?.progress(Math.min(1, Math.max(it / maxIterations, seconds / timeLimit)), `${args.options.solver ?? 'hals'} loss ${loss.toFixed(4)}`),
  });
}

/** `seqNMF` as a pool job: `{ module: 'lib/cnmf/index', export: 'seqNmfJob', args: { X, options } }`. */
export function seqNmfJob(args: { X: DenseMatrix; options: Omit<SeqNmfOptions, 'progress'> }): SeqNmfResult {
  return seqNMF(args.X, args.options);
}
