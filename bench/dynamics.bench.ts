/**
 * Fixed-point search benchmark (issue 8): 1,024 initial states in a 64-unit
 * GRU, to q < 1e-12 or the float32 floor, in this library and in PyTorch
 * (bench/fixed_points_torch.py) in the same run, both on one core.
 *
 *   node --import tsx bench/dynamics.bench.ts [--quick]
 *
 * Construction (identical on both sides, weights passed as JSON): GRU cell of
 * lib/dynamics, 64 units, 1 input held at 0, seed 2024; input weights
 * N(0, 1), recurrent weights (Whz, Whr, Whc) N(0, 1.5^2 / 64) -- "recurrent
 * weights scaled by 1.5" -- update-gate bias +1, other biases 0. Initial
 * states: the cell run from U(-1, 1)^64 for 20 steps (so the states lie on
 * the network's own dynamics, as the finder samples them from trajectories)
 * plus N(0, 0.05^2) noise, seed 7. Stopping: FixedPointFinder's rule with
 * tol_q = 1e-12, tol_dq = 1e-20, at most 5,000 iterations (--quick: 300).
 * Our side runs the GRU's fused float32 q-and-gradient kernel (GruCell's
 * qGradKernel in lib/dynamics/cells/gru.ts: hand-written backward pass, matrix
 * products through lib/core's gemm) -- the path the finder takes for every
 * cell of the cell table.
 * One core: the BLAS is pinned to one thread here (setBlasThreads(1)) and in
 * Python (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';
import { Rng, backendReport, blasThreads, gemmIsNative, initBackend, setBlasThreads } from '../lib/core';
import { FixedPointFinder, createCell } from '../lib/dynamics';

const ROOT = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1';
  await initBackend();
  setBlasThreads(1);
  const units = 64;
  const n = 1024;
  const maxIters = quick ? 300 : 5000;
  const cell = createCell('gru', { units, inputSize: 1, seed: 2024, recurrentScale: 1.5, gateBias: 1 });
  const rng = new Rng(7);
  const start = new Float32Array(n * units).map(() => rng.uniformIn(-1, 1));
  const settled = tf.tidy(() => {
    let h = tf.tensor2d(start, [n, units]);
    const u = tf.zeros([n, 1]) as tf.Tensor2D;
    for (let t = 0; t < 20; t++) h = cell.step(h, u);
    return h;
  });
  const x0 = Float32Array.from(settled.dataSync()).map((v) => v + 0.05 * rng.normal());
  settled.dispose();

  const finder = new FixedPointFinder(cell, { maxIters, tolQ: 1e-12, tolDq: 1e-20, progress: false, label: 'GRU-64 fixed points' });
  const res = finder.find({ values: x0, count: n }, [0]);
  const all = [res.fixedPoints, res.notConverged];
  const ts = {
    iterations: res.iterations,
    seconds: res.optimiseSeconds,
    msPerIteration: (1000 * res.optimiseSeconds) / Math.max(1, res.iterations),
    stoppedBy: res.stoppedBy,
    converged: res.convergedCount,
    unique: res.fixedPoints.length,
    stable: res.fixedPoints.length ? res.fixedPoints.isStable.filter(Boolean).length : 0,
    notConverged: res.notConverged.length,
    qMaxNotConverged: res.notConverged.length ? Math.max(...res.notConverged.qstar) : null,
    backend: backendReport()?.line,
    gemmNative: gemmIsNative(),
    blasThreads: blasThreads(),
  };
  void all;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-bench-'));
  const inFile = path.join(tmp, 'in.json');
  const outFile = path.join(tmp, 'out.json');
  fs.writeFileSync(inFile, JSON.stringify({ cell: cell.toJSON(), n, x0: Array.from(x0), tolQ: 1e-12, tolDq: 1e-20, maxIters }));
  const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'fixed_points_torch.py'), inFile, outFile], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    encoding: 'utf8',
  });
  let torch: Record<string, unknown> | null = null;
  let torchError: string | null = null;
  if (py.status === 0) torch = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  else torchError = (py.stderr || py.stdout || `exit ${py.status}`).split('\n').slice(-4).join(' ');
  fs.rmSync(tmp, { recursive: true, force: true });
  cell.dispose();

  const tMs = ts.msPerIteration;
  const pMs = torch ? (torch.msPerIteration as number) : NaN;
  const rows: (string | number)[][] = [
    [`lib/dynamics (fused kernel, ${gemmIsNative() ? 'OpenBLAS' : 'JS'} gemm)`, ts.iterations, ts.seconds.toFixed(2), tMs.toFixed(2), `${ts.converged}/${n}`, ts.stoppedBy],
  ];
  if (torch) rows.push([`PyTorch ${torch.torch}`, torch.iterations as number, (torch.seconds as number).toFixed(2), pMs.toFixed(2), `${torch.belowTolQ}/${n} below tol_q`, '']);
  const table = {
    title: `Fixed-point search, GRU 64 units, ${n} initial states, one core${quick ? ' (--quick: 300 iterations)' : ''}`,
    columns: ['implementation', 'iterations', 'seconds', 'ms/iteration', 'converged', 'stopped by'],
    rows,
  };
  const ratio = torch ? tMs / pMs : null;
  const note =
    (torch ? `ms per iteration, ours / PyTorch = ${ratio!.toFixed(2)} (target <= 1). ` : `PyTorch did not run: ${torchError}. `) +
    `Our search: ${ts.unique} unique fixed points (${ts.stable} stable), ${ts.notConverged} not converged. ` +
    'Both run the same algorithm from the same states; iteration counts can differ slightly (float32 rounding differs). Load average ' +
    os.loadavg().map((x) => x.toFixed(1)).join(' ') + ' (shared machine: wall-clock figures are noisy).';
  console.log(`\n${table.title}`);
  for (const r of [table.columns, ...rows]) console.log(r.map(String).join('  |  '));
  console.log(note);
  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'dynamics.json'),
    JSON.stringify({ finished: new Date().toISOString(), tables: [table], note, ours: ts, pytorch: torch, ratioMsPerIteration: ratio, quick }, null, 1),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
