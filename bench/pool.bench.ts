/**
 * Worker pool benchmark (issue 4 target: two independent training jobs on two
 * workers finish in at most 0.6x the time of running them one after the
 * other).
 *
 *   node --import tsx bench/pool.bench.ts [--reps 5] [--quick]
 *
 * The job (bench/pool-train-job.ts) trains a 256-256-256-10 MLP with tfjs SGD
 * on seeded synthetic data. Per repetition it times: both jobs one after the
 * other in this process with its BLAS at its default thread count; the same
 * with the BLAS pinned to one thread (as the workers are); and both jobs at
 * once on a warm two-worker pool (processes started, module loaded). The
 * first, cold pool run (spawning included) is recorded separately. Medians of
 * --reps (default 5, at least 3) repetitions; writes out/bench/pool.json. The machine is
 * shared, so the load average before and after is recorded beside the times.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  WorkerPool, initBackend, jobValues, blasThreads, setBlasThreads, nativeAvailable, blasInfo, type Job,
} from '../lib/core';
import { trainMlp, type TrainMlpArgs, type TrainMlpResult } from './pool-train-job';

const ROOT = path.resolve(__dirname, '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function parseArgs(argv: string[]): { reps: number; quick: boolean } {
  const i = argv.indexOf('--reps');
  const reps = Number(i >= 0 ? argv[i + 1] : process.env.LDL_BENCH_REPS ?? 5);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${argv[i + 1]}`);
  return { reps: Math.max(3, reps), quick: argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1' };
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function sequential(jobArgs: TrainMlpArgs[]): Promise<{ seconds: number; results: TrainMlpResult[] }> {
  const t0 = performance.now();
  const results: TrainMlpResult[] = [];
  for (const a of jobArgs) results.push(await trainMlp(a));
  return { seconds: (performance.now() - t0) / 1000, results };
}

async function onPool(pool: WorkerPool, jobs: Job[]): Promise<{ seconds: number; results: TrainMlpResult[] }> {
  const t0 = performance.now();
  const results = jobValues(await pool.run<TrainMlpResult>(jobs, { progress: false }));
  return { seconds: (performance.now() - t0) / 1000, results };
}

async function main(): Promise<void> {
  const { reps, quick } = parseArgs(process.argv.slice(2));
  const report = await initBackend();
  const base = { steps: quick ? 40 : 1000, batch: 128, inputs: 256, hidden: 256, classes: 10, samples: 4096, learningRate: 0.05 };
  const jobArgs: TrainMlpArgs[] = [{ ...base, seed: 1 }, { ...base, seed: 2 }];
  const jobs: Job[] = jobArgs.map((args) => ({ module: path.join(__dirname, 'pool-train-job.ts'), export: 'trainMlp', args }));
  const defaultThreads = blasThreads();
  const loadBefore = os.loadavg();

  await trainMlp({ ...base, seed: 0, steps: 5 }); // warm-up: kernels, allocator
  const pool = new WorkerPool({ size: 2, output: 'silent' });
  const cold = await onPool(pool, jobs);

  const seq: number[] = [];
  const seq1: number[] = [];
  const par: number[] = [];
  const jobSecondsInPool: number[] = [];
  let sameNumbers = true;
  try {
    for (let r = 0; r < reps; r++) {
      const s = await sequential(jobArgs);
      seq.push(s.seconds);
      if (nativeAvailable()) setBlasThreads(1);
      const s1 = await sequential(jobArgs);
      if (nativeAvailable() && defaultThreads !== null) setBlasThreads(defaultThreads);
      seq1.push(s1.seconds);
      const p = await onPool(pool, jobs);
      par.push(p.seconds);
      jobSecondsInPool.push(...p.results.map((x) => x.seconds));
      // The pool's promise: the same numbers as a one-thread main process.
      sameNumbers &&= p.results.every((x, i) => sameBytes(x.losses, s1.results[i].losses));
      console.log(`rep ${r + 1}/${reps}: sequential ${s.seconds.toFixed(2)} s, sequential 1-thread ${s1.seconds.toFixed(2)} s, pool ${p.seconds.toFixed(2)} s`);
    }
  } finally {
    await pool.close();
  }
  const loadAfter = os.loadavg();

  const mSeq = median(seq);
  const mSeq1 = median(seq1);
  const mPar = median(par);
  const result = {
    benchmark: 'pool',
    date: new Date().toISOString(),
    description: 'two independent MLP training jobs: on a warm 2-worker pool vs one after the other in the main process',
    target: 'pool / sequential <= 0.6',
    backend: report.backend,
    backendLine: report.line,
    blas: blasInfo(),
    mainBlasThreads: defaultThreads,
    workerBlasThreads: 1,
    cpus: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    job: { ...base, seeds: jobArgs.map((a) => a.seed), module: 'bench/pool-train-job.ts#trainMlp' },
    reps,
    quick,
    sequentialSeconds: { median: mSeq, samples: seq },
    sequentialOneThreadSeconds: { median: mSeq1, samples: seq1 },
    poolSeconds: { median: mPar, samples: par },
    poolColdSeconds: cold.seconds,
    jobSecondsInsideWorkers: { median: median(jobSecondsInPool), samples: jobSecondsInPool },
    ratio: mPar / mSeq,
    ratioToOneThread: mPar / mSeq1,
    meetsTarget: mPar / mSeq <= 0.6,
    sameNumbersAsOneThreadMain: sameNumbers,
    finalLosses: cold.results.map((x) => x.losses[x.losses.length - 1]),
  };

  const rows: [string, string][] = [
    ['backend', `${report.backend}${result.blas ? ` (${result.blas})` : ''}`],
    ['jobs', `2 x MLP 256-256-256-10, batch 128, ${base.steps} SGD steps`],
    [`sequential, main BLAS ${defaultThreads ?? '?'} threads`, `${mSeq.toFixed(2)} s`],
    ['sequential, main BLAS 1 thread', `${mSeq1.toFixed(2)} s`],
    ['pool, 2 workers (warm)', `${mPar.toFixed(2)} s`],
    ['pool, 2 workers (cold, incl. start-up)', `${cold.seconds.toFixed(2)} s`],
    ['one job inside a worker', `${median(jobSecondsInPool).toFixed(2)} s`],
    ['ratio pool / sequential', `${result.ratio.toFixed(2)} (target <= 0.6: ${result.meetsTarget ? 'met' : 'NOT met'})`],
    ['ratio pool / sequential 1-thread', result.ratioToOneThread.toFixed(2)],
    ['pool numbers == 1-thread main numbers', String(sameNumbers)],
    ['load average before / after', `${loadBefore.map((x) => x.toFixed(1)).join(' ')} / ${loadAfter.map((x) => x.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nWorker pool: two training jobs, median of ${reps} repetitions`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);

  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  // `tables`, `finished` and `note` are what scripts/bench.mjs prints in its summary.
  const output = {
    ...result,
    finished: new Date().toISOString(),
    tables: [{ title: `Worker pool: two training jobs, median of ${reps} repetitions`, columns: ['measure', 'value'], rows }],
    note: 'Times on a shared machine: compare them with the load average recorded beside them.',
  };
  fs.writeFileSync(path.join(dir, 'pool.json'), JSON.stringify(output, null, 1));
  console.log(`wrote ${path.relative(ROOT, path.join(dir, 'pool.json'))}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
