/**
 * Populations of networks (Maheswaranathan et al. 2019, arXiv 1907.08549):
 * members on a grid of architecture x nonlinearity x seed (and whatever else
 * a study adds to a member), each trained and analysed as one job on
 * lib/core's worker pool -- local processes, or a Slurm job array through
 * the pool's executor (LDL_EXECUTOR=slurm or setExecutor), with no change.
 *
 * Resumable: each member's job writes its result to
 *   <outDir>/members/<key>-<settings hash>.json
 * (key: the member's fields in order, e.g. arch=gru_nonlinearity=tanh_seed=3;
 * settings hash: SHA-1 of the settings' canonical JSON, 12 hex digits), written
 * to a temporary name and renamed, so a file is complete or absent. A run
 * first reads every member whose file exists and whose stored member and
 * settings equal the requested ones, and submits only the others: after an
 * interruption (Ctrl-C, a killed kernel, a cancelled Slurm array) the next
 * run retrains nothing that finished. Changed settings give new files; old
 * ones are left in place. outDir must be visible to the workers (on Slurm: a
 * shared filesystem).
 *
 * A study writes its member computation as a plain function and exports it
 * wrapped: `export const myMember = populationJob(compute)`; the pool then
 * calls `myMember({ member, settings, file })` in a worker.
 *
 * Nonlinearities: the cells of lib/dynamics are tanh-only (cells/*.ts);
 * `NONLINEARITIES` lists what exists, and a grid with another throws.
 *
 * Exports: NONLINEARITIES, Nonlinearity, PopulationMember, populationMembers,
 * memberKey, settingsHash, memberFile, populationJob, PopulationJobArgs,
 * runPopulation, PopulationResult.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, JobContext, JobFailedError, JobResult, RunOptions, checkInteger, checkOneOf, checkString, runJobs } from '../core';
import { CELL_KINDS, CellKind } from './cells/table';

/** Nonlinearities the built-in cells have. */
export const NONLINEARITIES = ['tanh'] as const;
export type Nonlinearity = typeof NONLINEARITIES[number];

/** One member of a population: its architecture, nonlinearity and seed. */
export interface PopulationMember {
  arch: CellKind;
  nonlinearity: Nonlinearity;
  seed: number;
}

/** The full grid archs x nonlinearities x seeds, in that nesting order. */
export function populationMembers(o: { archs: readonly CellKind[]; nonlinearities?: readonly Nonlinearity[]; seeds: readonly number[] }): PopulationMember[] {
  if (!Array.isArray(o?.archs) || o.archs.length === 0) throw new ArgumentError('archs', `a non-empty list of cell kinds (${CELL_KINDS.join(', ')})`, o?.archs);
  if (!Array.isArray(o.seeds) || o.seeds.length === 0) throw new ArgumentError('seeds', 'a non-empty list of seeds', o.seeds);
  const archs = o.archs.map((a, i) => checkOneOf(`archs[${i}]`, a, CELL_KINDS));
  if (o.nonlinearities !== undefined && (!Array.isArray(o.nonlinearities) || o.nonlinearities.length === 0)) throw new ArgumentError('nonlinearities', `a non-empty list of ${NONLINEARITIES.join(', ')}`, o.nonlinearities);
  const nls = (o.nonlinearities ?? ['tanh']).map((n, i) => checkOneOf(`nonlinearities[${i}]`, n, NONLINEARITIES));
  const seeds = o.seeds.map((s, i) => checkInteger(`seeds[${i}]`, s, 0, 0xffffffff));
  return archs.flatMap((arch) => nls.flatMap((nonlinearity) => seeds.map((seed) => ({ arch, nonlinearity, seed }))));
}

/** The canonical JSON of a value: object keys sorted, so equal settings hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (ArrayBuffer.isView(value)) return canonical(Array.from(value as unknown as ArrayLike<number>));
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A member's file-name key (a flat object of strings, numbers and booleans): its fields in order, `name=value` joined by '_' (values of letters, digits, '.', '-'). */
export function memberKey(member: object): string {
  if (!member || typeof member !== 'object') throw new ArgumentError('member', 'an object of strings, numbers and booleans', member);
  const parts = Object.entries(member).map(([k, v]) => {
    const s = String(v);
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(k) || !/^[A-Za-z0-9.-]+$/.test(s) || !['string', 'number', 'boolean'].includes(typeof v)) {
      throw new ArgumentError(`member.${k}`, 'a name and a string, number or boolean of letters, digits, "." and "-"', v);
    }
    return `${k}=${s}`;
  });
  if (parts.length === 0) throw new ArgumentError('member', 'at least one field', member);
  return parts.join('_');
}

/** SHA-1 of the settings' canonical JSON, first 12 hex digits. */
export function settingsHash(settings: unknown): string {
  return createHash('sha1').update(canonical(settings)).digest('hex').slice(0, 12);
}

/** Where a member's result lives under a run's folder. */
export function memberFile(outDir: string, member: object, settings: unknown): string {
  checkString('outDir', outDir);
  return path.join(path.resolve(outDir), 'members', `${memberKey(member)}-${settingsHash(settings)}.json`);
}

/** What a population job receives. */
export interface PopulationJobArgs<M, S> {
  member: M;
  settings: S;
  /** The member's result file (memberFile); written when the computation returns. */
  file: string;
}

interface StoredMember<M, S, T> {
  format: 'PopulationMember/1';
  member: M;
  settings: S;
  result: T;
  seconds: number;
  finished: string;
}

/**
 * Wraps a member computation into a pool job that saves its result (JSON:
 * typed arrays become plain arrays) before returning it.
 */
export function populationJob<M, S, T>(compute: (member: M, settings: S, ctx?: JobContext) => T | Promise<T>): (args: PopulationJobArgs<M, S>, ctx?: JobContext) => Promise<T> {
  return async (args, ctx) => {
    const t0 = Date.now();
    const result = await compute(args.member, args.settings, ctx);
    const stored: StoredMember<M, S, T> = { format: 'PopulationMember/1', member: args.member, settings: args.settings, result, seconds: (Date.now() - t0) / 1000, finished: new Date().toISOString() };
    fs.mkdirSync(path.dirname(args.file), { recursive: true });
    const tmp = `${args.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stored, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));
    fs.renameSync(tmp, args.file);
    return JSON.parse(JSON.stringify(result, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v))) as T;
  };
}

/** A saved member result, or null when absent, unreadable, or stored for another member or settings. */
function readStored<M, S, T>(file: string, member: M, settings: S): StoredMember<M, S, T> | null {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredMember<M, S, T>;
    if (s.format !== 'PopulationMember/1' || canonical(s.member) !== canonical(member) || canonical(s.settings) !== canonical(settings)) return null;
    return s;
  } catch {
    return null;
  }
}

export interface PopulationResult<M, T> {
  member: M;
  result: T;
  /** True when the result was read from an earlier run's file. */
  resumed: boolean;
  /** Seconds the member's computation took (in the run that made it). */
  seconds: number;
  file: string;
}

/**
 * Runs the members' jobs (`{ module, export }` names a `populationJob`) on
 * the pool, skipping every member with a saved result; results in member
 * order. Members that failed make it throw a JobFailedError after the others
 * finished (and were saved).
 */
export async function runPopulation<M extends object, S, T>(o: {
  members: readonly M[];
  settings: S;
  outDir: string;
  job: { module: string; export: string };
  run?: RunOptions;
}): Promise<PopulationResult<M, T>[]> {
  if (!Array.isArray(o?.members) || o.members.length === 0) throw new ArgumentError('members', 'a non-empty list of members', o?.members);
  checkString('job.module', o.job?.module);
  checkString('job.export', o.job?.export);
  const files = o.members.map((m) => memberFile(o.outDir, m, o.settings));
  const keys = new Set<string>();
  files.forEach((f, i) => {
    if (keys.has(f)) throw new ArgumentError(`members[${i}]`, 'members that differ (each has its own result file)', o.members[i]);
    keys.add(f);
  });
  const out: (PopulationResult<M, T> | null)[] = o.members.map((member, i) => {
    const s = readStored<M, S, T>(files[i], member, o.settings);
    return s ? { member, result: s.result, resumed: true, seconds: s.seconds, file: files[i] } : null;
  });
  const todo = out.map((r, i) => (r ? -1 : i)).filter((i) => i >= 0);
  if (todo.length > 0) {
    const jobs = todo.map((i) => ({ module: o.job.module, export: o.job.export, args: { member: o.members[i], settings: o.settings, file: files[i] } as PopulationJobArgs<M, S> }));
    const results = (await runJobs<T>(jobs, { progress: 'population', ...(o.run ?? {}) })) as JobResult<T>[];
    const failed = results.some((r) => !r.ok);
    results.forEach((r, k) => {
      if (!r.ok) return;
      const i = todo[k];
      const s = readStored<M, S, T>(files[i], o.members[i], o.settings);
      out[i] = { member: o.members[i], result: r.value, resumed: false, seconds: s?.seconds ?? NaN, file: files[i] };
    });
    if (failed) throw new JobFailedError(results as JobResult<unknown>[]);
  }
  return out as PopulationResult<M, T>[];
}
