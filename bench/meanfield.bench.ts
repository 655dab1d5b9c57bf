/**
 * Lyapunov-spectrum benchmark (issue 21, item 5): the leading k = 100
 * exponents of an N = 1,000 random rate network (dx/dt = -x + J tanh x,
 * g = 2, seed 1) for a fixed simulated time, RK4 dt = 0.1 with a QR after
 * every step, in this library (lib/dynamics' lyapunovSpectrum on lib/circuits'
 * matrix-free tangent map: GEMMs and CholeskyQR2 on the native BLAS) and in
 * PyTorch (bench/lyapunov_torch.py: the same steps, torch.linalg.qr), both
 * float64 on one thread, from the same state and frame.
 *
 *   node --import tsx bench/meanfield.bench.ts [--quick] [--reps N]
 *
 * Simulated time 10 tau (100 steps; --quick 2 tau). The state first runs
 * 50 tau alone (our side) and both sides start from that state and the same
 * orthonormalised random frame. Rounds alternate ours / PyTorch (one Python
 * process runs its rounds back to back between ours: start-up excluded, it is
 * timed inside); the table gives medians. The exponents of the two sides must
 * agree to rounding (they run the same arithmetic up to the QR's method):
 * the largest difference is reported.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Rng, blasInfo, gemmIsNative, median, orthonormalizeRows, setBlasThreads } from '../lib/core';
import { RandomRateNetwork } from '../lib/circuits';
import { lyapunovSpectrum, trajectory } from '../lib/dynamics';

const ROOT = path.resolve(__dirname, '..');

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1';
  const reps = Number(argValue('--reps') ?? process.env.LDL_BENCH_REPS ?? (quick ? 1 : 3));
  setBlasThreads(1);
  const N = 1000, k = 100, g = 2, dt = 0.1;
  const time = quick ? 2 : 10;
  const steps = Math.round(time / dt);
  const net = new RandomRateNetwork({ N, g, seed: 1 });
  const sys = net.tangentSystem({ scheme: 'flow', dt });
  const x0 = trajectory(sys, net.initialState(2), { time: 0, transient: 50, dt }).state;
  const V0 = new Rng(3).normalArray(k * N, 0, 1, 'float64') as Float64Array;
  orthonormalizeRows(V0, k, N, new Float64Array(k));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lyap-bench-'));
  const write = (name: string, a: Float64Array) => fs.writeFileSync(path.join(tmp, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  write('J.f64', net.J);
  write('x0.f64', x0);
  write('V0.f64', V0);

  const ours: number[] = [];
  const torchTimes: number[] = [];
  let oursExp: Float64Array | null = null;
  let torchExp: number[] | null = null;
  let torchVersion = '';
  let torchError: string | null = null;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    const res = lyapunovSpectrum(sys, x0, { k, time, dt, initialFrame: V0, progress: false, blocks: 1 });
    ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
    oursExp = res.exponents;
    const py = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'lyapunov_torch.py'), tmp, String(N), String(k), String(steps), String(dt), '1'], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, encoding: 'utf8', maxBuffer: 1 << 26,
    });
    if (py.status === 0) {
      const out = JSON.parse(py.stdout);
      torchTimes.push(out.seconds[0]);
      torchExp = out.exponents;
      torchVersion = out.torch;
    } else torchError = (py.stderr || py.stdout || `exit ${py.status}`).split('\n').slice(-4).join(' ');
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const oursMed = median(ours);
  const torchMed = torchTimes.length ? median(torchTimes) : NaN;
  let maxDiff = NaN;
  if (oursExp && torchExp) maxDiff = Math.max(...torchExp.map((v, i) => Math.abs(v - oursExp![i])));
  const rows: (string | number)[][] = [
    [`lib/dynamics lyapunovSpectrum (${gemmIsNative() ? 'native' : 'JS'} GEMM, CholeskyQR2)`, ours.length, oursMed.toFixed(2), (oursMed / steps * 1000).toFixed(1)],
  ];
  if (torchTimes.length) rows.push([`PyTorch ${torchVersion} (torch.linalg.qr)`, torchTimes.length, torchMed.toFixed(2), (torchMed / steps * 1000).toFixed(1)]);
  const table = {
    title: `Leading ${k} Lyapunov exponents, N = ${N}, g = ${g}, ${time} tau (${steps} RK4 steps, QR every step), float64, one thread${quick ? ' (--quick)' : ''}`,
    columns: ['implementation', 'rounds', 'median seconds', 'ms/step'],
    rows,
  };
  const ratio = torchTimes.length ? oursMed / torchMed : null;
  const note = (ratio !== null ? `time ours / PyTorch = ${ratio.toFixed(2)}; ` : `PyTorch did not run: ${torchError}; `) +
    `largest |difference| of the ${k} exponents ${maxDiff.toExponential(1)}; lambda_1 ${oursExp![0].toFixed(4)} over ${time} tau (a short average: a timing run, not an estimate). ` +
    `BLAS ${blasInfo()}. Load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (shared machine: read the ratio).`;
  console.log(`\n${table.title}`);
  for (const r of [table.columns, ...rows]) console.log(r.map(String).join('  |  '));
  console.log(note);
  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'meanfield.json'), JSON.stringify({
    finished: new Date().toISOString(), tables: [table], note, ours, pytorch: torchTimes, ratio, maxExponentDifference: maxDiff, quick,
  }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
