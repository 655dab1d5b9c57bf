/**
 * Tensor benchmark (issue 27, item 3): one CP-ALS sweep (rank 5: per mode the
 * Gram-Hadamard normal equations and one MTTKRP) and one AMP step (rank 1,
 * Gaussian prior: three MTTKRPs, the Onsager term and the denoiser) on a
 * 200 x 200 x 200 float64 tensor, in lib/tensor and in NumPy doing the same
 * contractions as the same GEMMs (bench/tensor_numpy.py), both on one BLAS
 * thread.
 *
 *   node --import tsx bench/tensor.bench.ts [--quick] [--reps N]
 *
 * Each round times ours, then one Python process that loads the tensor and
 * times its own steps (start-up and loading excluded); rounds alternate and
 * the table gives medians of the per-step times and their ratio. A step's time
 * is (time of 1 + n steps - time of 1 step) / n on our side (so the entry
 * checks and set-up are not counted) and the mean of n timed steps on NumPy's.
 * The two sides' relative errors after the timed ALS sweeps must agree to
 * rounding (same start, same updates): the difference is reported.
 * Writes out/bench/tensor.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blasInfo, gemmIsNative, median, setBlasThreads } from '../lib/core';
import { amp, cpAls, plantedTensor, randomKruskal } from '../lib/tensor';
import { quickAndReps, runReference } from './common';

const ROOT = path.resolve(__dirname, '..');

function main(): void {
  const { quick, reps } = quickAndReps(process.argv);
  setBlasThreads(1);
  const N = quick ? 100 : 200, R = 5, steps = quick ? 2 : 3, snr = 8;
  const pt = plantedTensor({ shape: [N, N, N], rank: 1, snr, priors: { kind: 'gaussian' }, seed: 1 });
  const T = pt.tensor;
  const K0 = randomKruskal([N, N, N], R, 2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensor-bench-'));
  const write = (name: string, a: Float64Array) => { const p = path.join(tmp, name); fs.writeFileSync(p, Buffer.from(a.buffer, a.byteOffset, a.byteLength)); return p; };
  write('T.f64', T.data as Float64Array);
  K0.factors.forEach((F, n) => write(`A${n}.f64`, F));
  pt.factors.forEach((x, n) => write(`x${n}.f64`, x));
  const time = (f: () => void) => { const t0 = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t0) / 1e9; };
  const alsOurs: number[] = [], ampOurs: number[] = [], alsNp: number[] = [], ampNp: number[] = [];
  let oursLoss = NaN, npLoss = NaN, numpyVersion = '', error: string | null = null;
  for (let r = 0; r < reps; r++) {
    const als = (n: number) => cpAls(T, { rank: R, init: K0, maxIterations: n, tolerance: 0 });
    const t1 = time(() => als(1));
    let last: ReturnType<typeof als> | null = null;
    const tn = time(() => { last = als(1 + steps); });
    alsOurs.push((tn - t1) / steps);
    oursLoss = last!.lossHistory[steps];
    // AMP from an informed start (the truth itself) with a fixed number of steps
    const start = pt.factors.map((x) => Float64Array.from(x));
    const run = (n: number) => amp(T, { snr, priors: { kind: 'gaussian' }, init: start.map((x) => Float64Array.from(x)), maxIterations: n, tolerance: 0 });
    const a1 = time(() => run(1));
    const an = time(() => run(1 + steps));
    ampOurs.push((an - a1) / steps);
    const ref = runReference('tensor_numpy.py', [tmp, String(N), String(R), String(steps), String(snr)]);
    if (ref.result) {
      alsNp.push(ref.result.alsSeconds as number);
      ampNp.push(ref.result.ampSeconds as number);
      npLoss = (ref.result.alsLosses as number[])[steps];
      numpyVersion = ref.result.numpy as string;
    } else error = ref.error;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const row = (name: string, ours: number[], np: number[]) => [name, ours.length, (median(ours) * 1000).toFixed(1), np.length ? (median(np) * 1000).toFixed(1) : '-', np.length ? (median(ours) / median(np)).toFixed(2) : '-'];
  const table = {
    title: `${N}^3 float64 tensor, one BLAS thread: ms per step (medians of ${reps} alternating rounds)${quick ? ' (--quick)' : ''}`,
    columns: ['step', 'rounds', 'lib/tensor ms', `NumPy ${numpyVersion} ms`, 'time ours / NumPy'],
    rows: [row(`CP-ALS sweep, rank ${R}`, alsOurs, alsNp), row('AMP step, rank 1 (Gaussian prior)', ampOurs, ampNp)],
  };
  const note = (error ? `NumPy did not run: ${error}; ` : '') +
    `ALS relative error after ${steps + 1} sweeps: ours ${oursLoss.toExponential(6)}, NumPy ${npLoss.toExponential(6)} (difference ${Math.abs(oursLoss - npLoss).toExponential(1)}). ` +
    `BLAS ${blasInfo()} (native ${gemmIsNative()}). Load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (shared machine: read the ratio).`;
  console.log(`\n${table.title}`);
  for (const r of [table.columns, ...table.rows]) console.log(r.map(String).join('  |  '));
  console.log(note);
  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tensor.json'), JSON.stringify({ finished: new Date().toISOString(), tables: [table], note, alsOurs, ampOurs, alsNumpy: alsNp, ampNumpy: ampNp, quick }, null, 1));
}

main();
