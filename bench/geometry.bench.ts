/**
 * Manifold-capacity benchmark (issue 30, item 3): the mean-field analysis of P = 100 manifolds of M = 50 points
 * in N = 5,000 dimensions (i.i.d. N(0, 1) data as the authors' README example, kappa = 0, n_t = 200) by
 * lib/geometry's manifoldCapacity, beside a NumPy/SciPy reference of the same computation
 * (bench/geometry_numpy.py: the anchor QPs' NNLS duals by scipy.optimize.nnls, the same data steps and the same
 * Riemannian conjugate gradients for the centre correlations). The authors' package needs pymanopt and
 * autograd, which Debian does not ship, so it cannot run here without pip. The reference runs on /usr/bin/python3
 * (LDL_PYTHON overrides it); without SciPy there it solves the NNLS duals by Lawson-Hanson written in NumPy.
 *
 *   node --import tsx bench/geometry.bench.ts [--quick] [--reps N]
 *
 * Two timings per side: the anchor-point analysis alone (no centre step), and the full analysis with the
 * centre-correlation step (2 Stiefel starts per K, 500 iterations at most). Both sides read the same data (float32,
 * written here) and the same T vectors, on one BLAS thread; rounds alternate ours / NumPy (the Python process is
 * started per round and times itself, start-up excluded); the table gives medians. The anchor-only capacities of
 * the two sides must agree to rounding (same data, same T, same coordinates): the difference is reported. The
 * full analyses draw different Stiefel starts, so K and the capacities may differ slightly.
 * --quick: P 30, N 2000, 1 round. Writes out/bench/geometry.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { blasInfo, gemmIsNative, median, rng, setBlasThreads } from '../lib/core';
import { manifoldCapacity } from '../lib/geometry';

const ROOT = path.resolve(__dirname, '..');

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const quick = process.argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1';
  const reps = Number(argValue('--reps') ?? process.env.LDL_BENCH_REPS ?? (quick ? 1 : 3));
  setBlasThreads(1);
  const P = quick ? 30 : 100, M = 50, N = quick ? 2000 : 5000, nT = 200, seed = 0, nReps = 2, maxIterations = 500;
  const data = new Float32Array(P * M * N);
  for (let i = 0; i < P; i++) data.set(rng(seed).child(i).normalArray(M * N, 0, 1, 'float32') as Float32Array, i * M * N);
  const X = Array.from({ length: P }, (_, i) => Float64Array.from(data.subarray(i * M * N, (i + 1) * M * N)));
  // manifoldCapacity draws manifold i's T vectors from rng(seed).child(i): the same arrays go to NumPy
  const D1 = Math.min(M, N) + 1;
  const T = new Float64Array(P * nT * D1);
  for (let i = 0; i < P; i++) T.set(rng(seed).child(i).normalArray(nT * D1, 0, 1, 'float64') as Float64Array, i * nT * D1);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'geometry-bench-'));
  fs.writeFileSync(path.join(tmp, 'data.f32'), Buffer.from(data.buffer));
  fs.writeFileSync(path.join(tmp, 't.f64'), Buffer.from(T.buffer));
  const specFile = path.join(tmp, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify({ data: path.join(tmp, 'data.f32'), t: path.join(tmp, 't.f64'), P, M, N, nT, nReps, maxIterations, seed: 1 }));

  const ours = { anchor: [] as number[], full: [] as number[] };
  const numpyTimes = { anchor: [] as number[], full: [] as number[] };
  let oursAnchor = { capacity: NaN, radius: NaN, dimension: NaN }, oursFull = { capacity: NaN, radius: NaN, dimension: NaN, K: 0 };
  let np: Record<string, any> | null = null;
  let npError: string | null = null;
  for (let r = 0; r < reps; r++) {
    let t0 = process.hrtime.bigint();
    const a = manifoldCapacity(X, N, { nT, seed, centreCorrelation: false });
    ours.anchor.push(Number(process.hrtime.bigint() - t0) / 1e9);
    t0 = process.hrtime.bigint();
    const f = manifoldCapacity(X, N, { nT, seed, centreCorrelation: { nReps, maxIterations, seed: 1 } });
    ours.full.push(Number(process.hrtime.bigint() - t0) / 1e9);
    oursAnchor = { capacity: a.capacity, radius: a.radius, dimension: a.dimension };
    oursFull = { capacity: f.capacity, radius: f.radius, dimension: f.dimension, K: f.K };
    const py = spawnSync(process.env.LDL_PYTHON ?? '/usr/bin/python3', [path.join(ROOT, 'bench', 'geometry_numpy.py'), specFile], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, encoding: 'utf8', maxBuffer: 1 << 26,
    });
    if (py.status === 0) {
      np = JSON.parse(py.stdout.trim().split('\n').pop() as string);
      numpyTimes.anchor.push(np!.secondsAnchor);
      numpyTimes.full.push(np!.secondsFull);
    } else npError = (py.stderr || py.stdout || `exit ${py.status}`).split('\n').slice(-4).join(' ');
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const med = (v: number[]) => (v.length ? median(v) : NaN);
  const rows: (string | number)[][] = [
    ['lib/geometry manifoldCapacity, anchor QPs only (batched NNLS)', ours.anchor.length, med(ours.anchor).toFixed(2), np ? (med(numpyTimes.anchor) / med(ours.anchor)).toFixed(2) : '-'],
    ['lib/geometry manifoldCapacity, with centre correlations', ours.full.length, med(ours.full).toFixed(2), np ? (med(numpyTimes.full) / med(ours.full)).toFixed(2) : '-'],
  ];
  if (np) {
    rows.push([`NumPy ${np.numpy}${np.scipy ? ` / SciPy ${np.scipy}, anchor QPs only (scipy nnls per T)` : ', anchor QPs only (Lawson-Hanson NNLS in NumPy per T; no SciPy)'}`, numpyTimes.anchor.length, med(numpyTimes.anchor).toFixed(2), '1.00']);
    rows.push(['NumPy / SciPy, with centre correlations', numpyTimes.full.length, med(numpyTimes.full).toFixed(2), '1.00']);
  }
  const table = {
    title: `Manifold capacity of P = ${P} manifolds x M = ${M} points in N = ${N} dims, n_t = ${nT}, kappa 0, float64, one thread${quick ? ' (--quick)' : ''}`,
    columns: ['implementation', 'rounds', 'median seconds', 'NumPy time / this'],
    rows,
  };
  const anchorDiff = np ? Math.abs(np.anchor.capacity - oursAnchor.capacity) / oursAnchor.capacity : NaN;
  const note = (np ? `speed-up over NumPy/SciPy: anchor QPs ${(med(numpyTimes.anchor) / med(ours.anchor)).toFixed(2)}x, full analysis ${(med(numpyTimes.full) / med(ours.full)).toFixed(2)}x; ` : `NumPy did not run: ${npError}; `) +
    `anchor-only capacity ${oursAnchor.capacity.toFixed(5)} (NumPy ${np ? np.anchor.capacity.toFixed(5) : '-'}, relative difference ${anchorDiff.toExponential(1)}), radius ${oursAnchor.radius.toFixed(3)}, dimension ${oursAnchor.dimension.toFixed(2)}; ` +
    `full: capacity ${oursFull.capacity.toFixed(4)} K ${oursFull.K} (NumPy ${np ? `${np.full.capacity.toFixed(4)} K ${np.full.K}` : '-'}); README: 0.04, 1.47, 36.17, K 1. ` +
    `BLAS ${blasInfo()} (native GEMM ${gemmIsNative()}). Load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (shared machine: read the ratio).`;
  console.log(`\n${table.title}`);
  for (const r of [table.columns, ...rows]) console.log(r.map(String).join('  |  '));
  console.log(note);
  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'geometry.json'), JSON.stringify({
    finished: new Date().toISOString(), tables: [table], note, ours, numpy: numpyTimes, anchorCapacityRelativeDifference: anchorDiff, oursAnchor, oursFull, numpyResult: np, quick,
  }, null, 1));
}

main();
