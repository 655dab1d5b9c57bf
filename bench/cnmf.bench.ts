/**
 * Convolutive NMF speed (issue 9): seconds per iteration of MU, HALS and ANLS
 * on synthetic data (N 250, T 10,000, K 5, L 20) and on the songbird
 * spectrogram SONG (141 x 4440, K 3, L 50); each solver's time to a relative
 * loss of 0.56 on SONG over 5 seeds; and beside them the NumPy reference of
 * MU and HALS (bench/cnmf_numpy.py) from the same initial factors, in the same
 * run, both on one BLAS thread.
 *
 * Env: CNMF_BENCH_ITERS (timed iterations per solver and case, default 5),
 * CNMF_BENCH_SEEDS (seeds for the time to 0.56, default 5),
 * CNMF_BENCH_TIME_LIMIT (seconds per run to 0.56, default 60).
 * Writes out/bench/cnmf.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blasInfo, gemmIsNative, resultsDir, setBlasThreads } from '../lib/core';
import { cnmf, CNMF_SOLVERS, CnmfSolver, initialFactors, syntheticSequences, DenseMatrix } from '../lib/cnmf';
import { loadSongbird } from '../lib/data';

const iterations = Number(process.env.CNMF_BENCH_ITERS ?? 5);
const nSeeds = Number(process.env.CNMF_BENCH_SEEDS ?? 5);
const timeLimit = Number(process.env.CNMF_BENCH_TIME_LIMIT ?? 60);
const TARGET = 0.56;
const SOLVERS: readonly CnmfSolver[] = CNMF_SOLVERS;

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function songbird(): DenseMatrix {
  const song = loadSongbird().song; // finds MackeviciusData.mat ($SONGBIRD_MAT, ../shared/data, data/)
  return { rows: song.rows, cols: song.cols, data: song.toRowMajor() };
}

interface Case {
  name: string;
  X: DenseMatrix;
  K: number;
  L: number;
}

function main(): void {
  // one thread on both sides
  setBlasThreads(1);
  const blas = blasInfo() ?? 'JavaScript gemm (native add-on not loaded)';
  console.log(`cnmf bench: ${blas}; native gemm ${gemmIsNative()}; ${iterations} timed iterations after one warm-up; ${nSeeds} seeds to loss ${TARGET}`);
  const synthetic = syntheticSequences({ N: 250, T: 10000, K: 5, L: 20, seed: 0 });
  const cases: Case[] = [
    { name: 'synthetic N250 T10000 K5 L20', X: synthetic.X, K: 5, L: 20 },
    { name: 'songbird SONG 141x4440 K3 L50', X: songbird(), K: 3, L: 50 },
  ];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnmf-bench-'));
  const write = (file: string, a: Float64Array) => {
    const p = path.join(tmp, file);
    fs.writeFileSync(p, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    return p;
  };
  const spec: { cases: Record<string, unknown>[] } = { cases: [] };
  const tsResults: Record<string, Record<string, unknown>> = {};
  for (const [ci, c] of cases.entries()) {
    const init = initialFactors(c.X, c.K, c.L, 1);
    const caseSpec: Record<string, unknown> = {
      name: c.name, N: c.X.rows, T: c.X.cols, K: c.K, L: c.L, iterations,
      X: write(`X${ci}.bin`, c.X.data), W0: write(`W${ci}.bin`, init.W), H0: write(`H${ci}.bin`, init.H),
    };
    const res: Record<string, unknown> = {};
    for (const solver of SOLVERS) {
      cnmf(c.X, { K: c.K, L: c.L, solver, maxIterations: 1, initialW: init.W, initialH: init.H }); // warm-up (JIT)
      const r = cnmf(c.X, { K: c.K, L: c.L, solver, maxIterations: iterations, initialW: init.W, initialH: init.H });
      const per = r.timeHistory.slice(1).map((t, i) => t - r.timeHistory[i]);
      res[solver] = { secondsPerIteration: per, losses: r.lossHistory.slice(1) };
      console.log(`  ${c.name} ${solver}: ${median(per).toFixed(4)} s/iteration (median of ${per.length})`);
    }
    if (c.name.startsWith('songbird')) {
      const seedInits: Record<string, unknown>[] = [];
      for (let seed = 0; seed < nSeeds; seed++) {
        const si = initialFactors(c.X, c.K, c.L, seed);
        seedInits.push({ seed, W0: write(`W${ci}s${seed}.bin`, si.W), H0: write(`H${ci}s${seed}.bin`, si.H) });
      }
      for (const solver of SOLVERS) {
        const ttl = [];
        for (let seed = 0; seed < nSeeds; seed++) {
          const r = cnmf(c.X, { K: c.K, L: c.L, solver, maxIterations: 100000, timeLimit, targetLoss: TARGET, seed });
          ttl.push({ seed, seconds: r.stopReason === 'target' ? r.timeHistory[r.iterations] : null, iterations: r.iterations });
        }
        (res[solver] as Record<string, unknown>).timeToTarget = ttl;
        console.log(`  ${c.name} ${solver}: to ${TARGET} in ${ttl.map((t) => (t.seconds === null ? '>limit' : t.seconds.toFixed(2))).join(', ')} s`);
      }
      Object.assign(caseSpec, { target: TARGET, timeLimit, seedInits });
    }
    tsResults[c.name] = res;
    spec.cases.push(caseSpec);
  }
  const specFile = path.join(tmp, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify(spec));
  console.log('  running the NumPy reference (OPENBLAS_NUM_THREADS=1) ...');
  const py = spawnSync('/usr/bin/python3', [path.join(__dirname, 'cnmf_numpy.py'), specFile], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    encoding: 'utf8', maxBuffer: 64 << 20,
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  if (py.status !== 0) throw new Error(`NumPy reference failed (status ${py.status}): ${py.stderr}`);
  const numpy = JSON.parse(py.stdout) as { numpy: string; cases: Record<string, Record<string, { secondsPerIteration: number[]; losses: number[]; timeToTarget?: { seconds: number | null }[] }>> };

  const rows: Record<string, unknown>[] = [];
  for (const c of cases) {
    for (const variant of [...SOLVERS, 'mu_stacked'] as const) {
      // mu_stacked: the NumPy MU with all lags in one product (what lib/cnmf does) against the same TypeScript MU
      const solver = variant === 'mu_stacked' ? 'mu' : variant;
      const ts = tsResults[c.name][solver] as { secondsPerIteration: number[]; losses: number[]; timeToTarget?: { seconds: number | null }[] };
      const np = numpy.cases[c.name][variant];
      const tsPer = median(ts.secondsPerIteration);
      const npPer = np ? median(np.secondsPerIteration) : null;
      const ttl = variant === 'mu_stacked' ? undefined : ts.timeToTarget?.map((t) => t.seconds);
      const npTtl = np?.timeToTarget?.map((t) => t.seconds);
      const reached = (a?: (number | null)[]) => (a ? a.filter((v): v is number => v !== null) : []);
      rows.push({
        case: c.name,
        solver: variant,
        tsSecondsPerIteration: tsPer,
        numpySecondsPerIteration: npPer,
        numpyOverTs: npPer === null ? null : npPer / tsPer,
        // the same algorithm from the same start: the losses must agree (a check on both implementations)
        lossDifferenceAfterTimedIterations: np ? Math.abs(np.losses[np.losses.length - 1] - ts.losses[ts.losses.length - 1]) : null,
        ...(variant === 'mu_stacked' ? { note: 'NumPy MU with stacked shifts (one product per operand), vs the same TypeScript MU' } : {}),
        tsTimeTo056Median: ttl && reached(ttl).length === ttl.length ? median(reached(ttl)) : null,
        tsTimeTo056: ttl ?? null,
        numpyTimeTo056Median: npTtl && reached(npTtl).length === npTtl.length ? median(reached(npTtl)) : null,
        numpyTimeTo056: npTtl ?? null,
      });
    }
  }
  const fmt = (v: unknown) => (typeof v === 'number' ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(3)) : v === null ? '-' : String(v));
  console.log('\ncase                            solver      ts s/it  numpy s/it  numpy/ts  |dloss|   ts t(0.56) med  numpy t(0.56) med');
  for (const r of rows) {
    console.log(`${String(r.case).padEnd(32)}${String(r.solver).padEnd(12)}${fmt(r.tsSecondsPerIteration).padStart(7)}  ${fmt(r.numpySecondsPerIteration).padStart(10)}  ${fmt(r.numpyOverTs).padStart(8)}  ${fmt(r.lossDifferenceAfterTimedIterations).padStart(7)}   ${fmt(r.tsTimeTo056Median).padStart(14)}  ${fmt(r.numpyTimeTo056Median).padStart(17)}`);
  }
  const file = path.join(resultsDir('bench'), 'cnmf.json');
  fs.writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(), blas, nativeGemm: gemmIsNative(), numpy: numpy.numpy, threads: 1, iterations, seeds: nSeeds,
    target: TARGET, timeLimit, rows,
    // the targets, evaluated on the rows above (true = met in this run)
    targets: {
      muPerIterationNotSlowerThanNumpy: rows.filter((r) => r.solver === 'mu').every((r) => (r.numpyOverTs as number) >= 1),
      muPerIterationNotSlowerThanStackedNumpy: rows.filter((r) => r.solver === 'mu_stacked').every((r) => (r.numpyOverTs as number) >= 1),
      halsPerIterationAtLeast2xFasterThanNumpy: rows.filter((r) => r.solver === 'hals').every((r) => (r.numpyOverTs as number) >= 2),
      songbirdTo056Within5sMedian: Object.fromEntries(rows.filter((r) => r.tsTimeTo056 !== null).map((r) => [r.solver, r.tsTimeTo056Median !== null && (r.tsTimeTo056Median as number) <= 5])),
    },
  }, null, 2));
  console.log(`wrote ${file}`);
}

main();
