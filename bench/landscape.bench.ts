/**
 * Landscape benchmark (issue 7): the top-10 Hessian eigenpairs of the
 * MLP 784-200-200-10 (199,210 parameters, tanh) over 4,096 MNIST samples --
 * wall time, products, residuals -- and one Hessian-vector product beside
 * PyTorch's double-backward product on the same network, weights and data
 * in the same run (bench/hvp_torch.py), both on one core. The two products
 * are also compared entry by entry. Ours is timed on both paths: the fused
 * native product (the default for dense networks) and the tensor path
 * (fused: false). Every product is timed as wall clock and as the process's
 * CPU time (user + system); on a loaded machine time-slicing inflates the
 * first but not the second, so both ratios are reported.
 *
 *   OPENBLAS_NUM_THREADS=1 node --import tsx bench/landscape.bench.ts [--reps 5] [--quick]
 *
 * --gaussian: the images' pixels replaced by seeded N(0, 1) draws, a dense
 * input (MNIST is 81% zeros, which the fused product's first layer skips),
 * to time the fused product without that help (written to landscape-gaussian.json).
 * --quick: 1,024 samples, 2 repetitions, 30 Lanczos steps. Writes
 * out/bench/landscape.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng, setBlasThreads } from '../lib/core';
import { loadMnist } from '../lib/data';
import { Network, mlp } from '../lib/rules';
import { curvatureOperator, eigenpairs, flattenParameters } from '../lib/landscape';
import { quickAndReps, runReference } from './common';

const ROOT = path.resolve(__dirname, '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { quick, reps } = quickAndReps(argv);
  // One core on both sides: OpenBLAS reads its variable at start-up; set it for the child and pin ours.
  process.env.OPENBLAS_NUM_THREADS = '1';
  setBlasThreads(1);
  const report = await initBackend();
  const samples = quick ? 1024 : 4096;
  const steps = quick ? 30 : 40;
  const ds = loadMnist({ limit: samples, seed: 0 });
  const gaussian = argv.includes('--gaussian');
  if (gaussian) {
    const g = new Rng(9);
    for (let i = 0; i < ds.images.length; i++) ds.images[i] = g.normal();
  }
  const rowsName = gaussian ? 'Gaussian-noise (dense)' : 'MNIST';
  const net = new Network(mlp({ hidden: [200, 200], activation: 'tanh', seed: 0 }));
  const x = tf.tensor(ds.images, [ds.count, 784]);
  const y = tf.tensor1d(ds.labels, 'int32');
  const D = net.parameterCount;
  const v = new Rng(1).normalArray(D, 0, 1, 'float64') as Float64Array;

  // One product: the first (builds the forward state), then cached ones, in rounds that
  // alternate with PyTorch's (written below) so both sides see the same machine load.
  const op = curvatureOperator(net, { x, y }, 'hessian', { batchSize: samples });
  const tensorOp = curvatureOperator(net, { x, y }, 'hessian', { batchSize: samples, fused: false });
  let t0 = performance.now();
  const hv = op.apply(v);
  const firstSeconds = (performance.now() - t0) / 1e3;
  const hvTensor = tensorOp.apply(v);
  const productSamples: number[] = [];
  const productCpu: number[] = [];
  const tensorSamples: number[] = [];
  const tensorCpu: number[] = [];
  const timed = (apply: () => unknown, wall: number[], cpu: number[]) => {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    apply();
    wall.push((performance.now() - w0) / 1e3);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  };
  const timeOurs = () => {
    for (let r = 0; r < reps; r++) {
      timed(() => op.apply(v), productSamples, productCpu);
      timed(() => tensorOp.apply(v), tensorSamples, tensorCpu);
    }
  };

  // Top-10 eigenpairs by Lanczos with full reorthogonalisation.
  const before = op.products;
  t0 = performance.now();
  const eig = eigenpairs(op, 10, { steps, seed: 0, progress: 'silent' });
  const eigSeconds = (performance.now() - t0) / 1e3;
  const eigProducts = op.products - before;

  // PyTorch on the same weights, data and direction.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-hvp-'));
  fs.writeFileSync(path.join(dir, 'x.f32'), Buffer.from(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength));
  fs.writeFileSync(path.join(dir, 'labels.i32'), Buffer.from(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  const params = Float32Array.from(flattenParameters(net));
  fs.writeFileSync(path.join(dir, 'params.f32'), Buffer.from(params.buffer));
  fs.writeFileSync(path.join(dir, 'v.f32'), Buffer.from(Float32Array.from(v).buffer));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ n: samples, sizes: [784, 200, 200, 10], activation: 'tanh' }));
  const rounds = quick ? 2 : 5;
  const torchCached: number[] = [];
  const torchCachedCpu: number[] = [];
  const torchFresh: number[] = [];
  let torch: Record<string, unknown> | null = null;
  let torchError: string | null = null;
  let relativeDifference: number | null = null;
  for (let round = 0; round < rounds; round++) {
    timeOurs();
    const { result, error } = runReference('hvp_torch.py', ['--dir', dir, '--reps', String(reps)]);
    if (!result) {
      torchError = error;
      continue;
    }
    torch = result;
    torchCached.push(...(torch!.cached_samples as number[]));
    torchCachedCpu.push(...(torch!.cached_cpu_samples as number[]));
    torchFresh.push(...(torch!.fresh_samples as number[]));
    if (relativeDifference === null) {
      const buf = fs.readFileSync(path.join(dir, 'hv_torch.f32'));
      const th = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      let num = 0;
      let den = 0;
      for (let i = 0; i < D; i++) ((num += (hv[i] - th[i]) ** 2), (den += th[i] ** 2));
      relativeDifference = Math.sqrt(num / den);
    }
  }
  op.dispose();
  tensorOp.dispose();
  let num = 0;
  let den = 0;
  for (let i = 0; i < D; i++) ((num += (hv[i] - hvTensor[i]) ** 2), (den += hvTensor[i] ** 2));
  const fusedVsTensor = Math.sqrt(num / den);
  // Issue 32's input guards, timed alone beside the product they protect: the pass over v that rejects
  // NaN, Infinity and |x| > float32 max (once per product, inside the float32 copy every product makes)
  // and the finite check of data.x (once per operator). Medians of 20 runs each.
  const guardSamples: number[] = [];
  const dataSamples: number[] = [];
  let bad = 0;
  for (let r = 0; r < 20; r++) {
    t0 = performance.now();
    for (let i = 0; i < D; i++) if (!(Math.abs(v[i]) <= 3.4028234663852886e38)) bad++;
    guardSamples.push((performance.now() - t0) / 1e3);
    t0 = performance.now();
    const xs = x.dataSync();
    for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) bad++;
    dataSamples.push((performance.now() - t0) / 1e3);
  }
  if (bad > 0) throw new Error('the bench vector is finite');
  const guardSeconds = median(guardSamples);
  const dataCheckSeconds = median(dataSamples);
  const productSeconds = median(productSamples);
  const productCpuSeconds = median(productCpu);
  const tensorSeconds = median(tensorSamples);
  const tensorCpuSeconds = median(tensorCpu);
  const torchCachedSeconds = torchCached.length ? median(torchCached) : null;
  const torchCachedCpuSeconds = torchCachedCpu.length ? median(torchCachedCpu) : null;
  const torchFreshSeconds = torchFresh.length ? median(torchFresh) : null;
  fs.rmSync(dir, { recursive: true, force: true });

  const load = os.loadavg()[0];
  const rows = [
    ['parameters D', String(D)],
    ['samples', String(samples)],
    ['backend', report.line],
    ['load average (1 min) at the end', load.toFixed(2)],
    ['HVP, first (forward state built), s', firstSeconds.toFixed(3)],
    [`HVP, cached state, fused (median of ${productSamples.length}), wall / CPU s`, `${productSeconds.toFixed(3)} / ${productCpuSeconds.toFixed(3)}`],
    [`HVP, cached state, tensor path (median of ${tensorSamples.length}), wall / CPU s`, `${tensorSeconds.toFixed(3)} / ${tensorCpuSeconds.toFixed(3)}`],
    [`PyTorch HVP, cached graph (median of ${torchCached.length}), wall / CPU s`, torchCachedSeconds === null ? `n/a (${torchError})` : `${torchCachedSeconds.toFixed(3)} / ${torchCachedCpuSeconds!.toFixed(3)}`],
    ['PyTorch HVP, fresh graph (median), s', torchFreshSeconds === null ? 'n/a' : torchFreshSeconds.toFixed(3)],
    ['ours (fused) / PyTorch cached, wall / CPU', torchCachedSeconds === null ? 'n/a' : `${(productSeconds / torchCachedSeconds).toFixed(2)} / ${(productCpuSeconds / torchCachedCpuSeconds!).toFixed(2)}`],
    ['ours (tensor path) / PyTorch cached, wall / CPU', torchCachedSeconds === null ? 'n/a' : `${(tensorSeconds / torchCachedSeconds).toFixed(2)} / ${(tensorCpuSeconds / torchCachedCpuSeconds!).toFixed(2)}`],
    ['||Hv_ours - Hv_torch|| / ||Hv_torch||', relativeDifference === null ? 'n/a' : relativeDifference.toExponential(2)],
    ['||Hv_fused - Hv_tensor|| / ||Hv_tensor||', fusedVsTensor.toExponential(2)],
    ['guard on v (finite, float32 range) per product, s / share of a product', `${guardSeconds.toExponential(2)} / ${(guardSeconds / productSeconds).toExponential(1)}`],
    ['data.x finite check once per operator, s / share of the first product', `${dataCheckSeconds.toExponential(2)} / ${(dataCheckSeconds / firstSeconds).toExponential(1)}`],
    [`top-10 eigenpairs (Lanczos ${eig.steps} steps), s`, eigSeconds.toFixed(2)],
    ['products for top-10 (incl. 10 residual checks)', String(eigProducts)],
    ['top eigenvalues', Array.from(eig.values.slice(0, 5), (e) => e.toPrecision(4)).join(', ') + ', ...'],
    ['max residual ||Hv - lambda v||', Math.max(...eig.residuals).toExponential(2)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log('\nlandscape benchmark (one core each side)');
  for (const [k, val] of rows) console.log(`  ${k.padEnd(w)}  ${val}`);
  const out = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  const record = {
    finished: new Date().toISOString(),
    quick,
    gaussian,
    reps,
    rounds,
    samples,
    parameters: D,
    backend: report,
    loadAverage: os.loadavg(),
    hvp: { firstSeconds, cachedSeconds: productSeconds, cachedCpuSeconds: productCpuSeconds, samples: productSamples, cpuSamples: productCpu },
    hvpTensorPath: { cachedSeconds: tensorSeconds, cachedCpuSeconds: tensorCpuSeconds, samples: tensorSamples, cpuSamples: tensorCpu, relativeDifferenceToFused: fusedVsTensor },
    guards: { vectorSeconds: guardSeconds, dataSeconds: dataCheckSeconds, vectorShareOfProduct: guardSeconds / productSeconds, dataShareOfFirstProduct: dataCheckSeconds / firstSeconds },
    torch: { version: torch?.torch ?? null, cachedSeconds: torchCachedSeconds, cachedCpuSeconds: torchCachedCpuSeconds, freshSeconds: torchFreshSeconds, cachedSamples: torchCached, cachedCpuSamples: torchCachedCpu, freshSamples: torchFresh, error: torchError },
    relativeDifference,
    top10: { seconds: eigSeconds, products: eigProducts, steps: eig.steps, values: Array.from(eig.values), residuals: Array.from(eig.residuals), convergence: eig.convergence },
    tables: [{ title: `landscape: Hessian of the MLP 784-200-200-10 (tanh) over ${samples} ${rowsName} rows, one core each side`, columns: ['quantity', 'value'], rows }],
    note: 'Our product reuses the forward state (layer inputs, gradients, f\' and f\'\'g) across products, as PyTorch\'s cached graph does; rounds alternate between the sides (fused, tensor path, PyTorch). CPU time is each process\'s user + system time per product, which a loaded machine\'s time-slicing does not inflate.',
  };
  fs.writeFileSync(path.join(out, gaussian ? 'landscape-gaussian.json' : 'landscape.json'), JSON.stringify(record, null, 2));
  tf.dispose([x, y]);
  net.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
