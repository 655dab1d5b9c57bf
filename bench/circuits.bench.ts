/**
 * Rate-circuit benchmark (issue 19, item 3), float64 on one BLAS thread, N = 1,000:
 *
 *   RLS step      lib/circuits RecursiveLeastSquares.update on one readout row (error, k = P r, the
 *                 rank-1 update of the shared P, the weight step; P symmetrised every 50 updates, the
 *                 default) against NumPy doing the same (bench/circuits_numpy.py; no symmetrisation)
 *   1 s of time   1,000 Euler steps of dx/dt = -x + J tanh(x), J dense N(0, 1.5^2 / N), dt = 0.1 tau
 *                 (tau = 10 ms, dt = 1 ms, the full-FORCE demos' settings): RateNetwork.step against
 *                 NumPy's x += dt (J @ tanh(x) - x)
 *
 *   node --import tsx bench/circuits.bench.ts [--quick] [--reps N]     (npm run bench -- circuits)
 *
 * Both sides start from the same J, x(0), rate vectors and targets (written as raw float64 files).
 * Rounds alternate ours / NumPy (one Python process per round, its start-up excluded: it times
 * itself); the table gives medians and the ratio of medians. The final readout weights and
 * states of the two sides are compared (largest |difference|).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng, blasInfo, gemmIsNative, median, setBlasThreads } from '../lib/core';
import { RandomRateNetwork, RateNetwork, RecursiveLeastSquares } from '../lib/circuits';
import { quickAndReps, runReference } from './common';

const ROOT = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const { quick, reps } = quickAndReps(process.argv);
  setBlasThreads(1);
  const N = 1000, dt = 0.1;
  const rlsSteps = quick ? 50 : 200, simSteps = quick ? 200 : 1000;
  const rng = new Rng(7);
  const J = new RandomRateNetwork({ N, g: 1.5, seed: 1 }).coupling();
  const x0 = rng.normalArray(N, 0, 1, 'float64') as Float64Array;
  const rates = Float64Array.from(rng.normalArray(rlsSteps * N, 0, 1, 'float64'), Math.tanh);
  const targets = rng.normalArray(rlsSteps, 0, 1, 'float64') as Float64Array;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'circuits-bench-'));
  const write = (name: string, a: Float64Array) => fs.writeFileSync(path.join(tmp, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  write('J.f64', J.J);
  write('x0.f64', x0);
  write('rates.f64', rates);
  write('targets.f64', targets);

  const net = new RateNetwork({ coupling: J });
  const ours = { rls: [] as number[], sim: [] as number[] }, numpy = { rls: [] as number[], sim: [] as number[] };
  type Reference = { w: number[]; x: number[]; numpy: string };
  let w = new Float64Array(N), x = new Float64Array(N), error: string | null = null;
  let ref = null as Reference | null;
  for (let round = 0; round < reps; round++) {
    const rls = new RecursiveLeastSquares({ N, alpha: 1 });
    w = new Float64Array(N);
    let t0 = process.hrtime.bigint();
    for (let t = 0; t < rlsSteps; t++) rls.update(rates.subarray(t * N, (t + 1) * N), [{ W: w, rows: 1, target: targets.subarray(t, t + 1) }]);
    ours.rls.push(Number(process.hrtime.bigint() - t0) / 1e9);
    x = Float64Array.from(x0);
    t0 = process.hrtime.bigint();
    for (let t = 0; t < simSteps; t++) net.step(x, { dt, scheme: 'euler' });
    ours.sim.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const r = runReference('circuits_numpy.py', [tmp, String(N), String(rlsSteps), String(simSteps), '1']);
    if (r.result) {
      numpy.rls.push((r.result.rls as number[])[0]);
      numpy.sim.push((r.result.sim as number[])[0]);
      ref = r.result as unknown as Reference;
    } else error = r.error;
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const ms = (v: number[], per: number) => (v.length ? ((median(v) / per) * 1000).toFixed(3) : '-');
  const ratio = (a: number[], b: number[]) => (a.length && b.length ? median(a) / median(b) : null);
  const rows: (string | number)[][] = [
    ['RLS step (shared P, one readout row)', `lib/circuits (${gemmIsNative() ? 'native' : 'JS'} GEMM)`, ours.rls.length, ms(ours.rls, rlsSteps)],
    ['RLS step (shared P, one readout row)', `NumPy ${ref?.numpy ?? ''}`, numpy.rls.length, ms(numpy.rls, rlsSteps)],
    ['1 s simulated (1,000 Euler steps, dense J)', `lib/circuits (${gemmIsNative() ? 'native' : 'JS'} GEMM)`, ours.sim.length, ms(ours.sim, simSteps / 1000)],
    ['1 s simulated (1,000 Euler steps, dense J)', `NumPy ${ref?.numpy ?? ''}`, numpy.sim.length, ms(numpy.sim, simSteps / 1000)],
  ];
  const table = {
    title: `Rate circuits, N = ${N}, float64, one thread (${rlsSteps} RLS steps and ${simSteps} Euler steps per round${quick ? ', --quick' : ''})`,
    columns: ['kernel', 'implementation', 'rounds', 'median ms (per RLS step / per simulated second)'],
    rows,
  };
  const rlsRatio = ratio(ours.rls, numpy.rls), simRatio = ratio(ours.sim, numpy.sim);
  const dw = ref ? Math.max(...ref.w.map((v, i) => Math.abs(v - w[i]))) : NaN;
  const dx = ref ? Math.max(...ref.x.map((v, i) => Math.abs(v - x[i]))) : NaN;
  const note = (rlsRatio !== null ? `time ours / NumPy: RLS step ${rlsRatio.toFixed(2)}, simulated second ${simRatio!.toFixed(2)}; ` : `NumPy did not run: ${error}; `) +
    `largest |difference| of the final readout weights ${dw.toExponential(1)}, of the final states ${dx.toExponential(1)}. BLAS ${blasInfo()}. ` +
    `Load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (shared machine: read the ratios).`;
  console.log(`\n${table.title}`);
  for (const r of [table.columns, ...rows]) console.log(r.map(String).join('  |  '));
  console.log(note);
  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'circuits.json'), JSON.stringify({
    finished: new Date().toISOString(), tables: [table], note, ours, numpy, ratios: { rls: rlsRatio, simulatedSecond: simRatio }, maxWeightDifference: dw, maxStateDifference: dx, quick,
  }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
