/**
 * Conv training steps of lib/rules (issue 14, item 4): BioTorch's LeNet on
 * MNIST padded to 32x32 and the VGG-like net of `vgg()` on 28x28 MNIST, one
 * BP step at batch 64 (SGD, momentum 0.9, lr 0.01), beside PyTorch 1.13 eager
 * on the same architectures, batches and optimiser (bench/rules_conv_torch.py),
 * one core each side (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)).
 * Ours is `Network.trainStep` on the tensor path (the fused path covers
 * dense networks only: conv and pooling layers have no fused kernels yet).
 * Rounds alternate between the two sides; each figure is the median over
 * all repetitions of (time for S steps) / S, as wall clock and as process
 * CPU time (which a loaded machine's time-slicing does not inflate).
 *
 *   node --import tsx bench/rules-conv.bench.ts [--reps 5] [--quick]
 *
 * Writes out/bench/rules-conv.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, setBlasThreads } from '../lib/core';
import { median } from '../lib/core/stats';
import { loadMnist } from '../lib/data';
import { lenet, Network, Optimizer, vgg } from '../lib/rules';
import { quickAndReps, runReference } from './common';

const ROOT = path.resolve(__dirname, '..');
const BATCH = 64;

interface Model {
  name: 'lenet' | 'vgg';
  pad: number;
  steps: number;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { quick, reps } = quickAndReps(argv);
  const rounds = quick ? 2 : 3;
  process.env.OPENBLAS_NUM_THREADS = '1';
  setBlasThreads(1);
  const report = await initBackend();
  const models: Model[] = [
    { name: 'lenet', pad: 2, steps: quick ? 5 : 20 },
    { name: 'vgg', pad: 0, steps: quick ? 2 : 4 },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-conv-'));
  const ours: Record<string, { wall: number[]; cpu: number[] }> = {};
  const runs = models.map((m) => {
    const side = 28 + 2 * m.pad;
    const ds = loadMnist({ limit: BATCH * m.steps, seed: 0, pad: m.pad, normalize: 'standard' });
    fs.writeFileSync(path.join(dir, `${m.name}-x.f32`), Buffer.from(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength));
    fs.writeFileSync(path.join(dir, `${m.name}-y.i32`), Buffer.from(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
    const net = new Network(m.name === 'lenet' ? lenet({ seed: 0 }) : vgg({ seed: 0 }));
    const optimizer = new Optimizer({ type: 'sgd', lr: 0.01, momentum: 0.9 });
    const batches = Array.from({ length: m.steps }, (_, s) => ({
      x: tf.tensor(ds.images.subarray(s * BATCH * side * side, (s + 1) * BATCH * side * side), [BATCH, side, side, 1]),
      t: tf.oneHot(tf.tensor1d(ds.labels.subarray(s * BATCH, (s + 1) * BATCH), 'int32'), 10).toFloat(),
    }));
    ours[m.name] = { wall: [], cpu: [] };
    const run = () => {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      let loss = NaN;
      for (const b of batches) loss = net.trainStep(b.x, b.t, optimizer).loss;
      ours[m.name].wall.push((performance.now() - w0) / 1e3 / m.steps);
      const c = process.cpuUsage(c0);
      ours[m.name].cpu.push((c.user + c.system) / 1e6 / m.steps);
      return loss;
    };
    return { m, net, optimizer, batches, run, parameters: net.parameterCount };
  });
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ batch: BATCH, models: models.map((m) => ({ name: m.name, side: 28 + 2 * m.pad, steps: m.steps })) }));
  // Warm-up (first-use allocation and kernel setup) outside the timed samples.
  for (const r of runs) {
    r.run();
    ours[r.m.name] = { wall: [], cpu: [] };
  }
  const torch: Record<string, { wall: number[]; cpu: number[] }> = { lenet: { wall: [], cpu: [] }, vgg: { wall: [], cpu: [] } };
  let torchVersion: string | null = null;
  let torchError: string | null = null;
  for (let round = 0; round < rounds; round++) {
    for (const r of runs) for (let k = 0; k < reps; k++) r.run();
    const { result, error } = runReference('rules_conv_torch.py', ['--dir', dir, '--reps', String(reps)]);
    if (!result) {
      torchError = error;
      continue;
    }
    const o = result as Record<string, { wall: number[]; cpu: number[] }> & { torch: string };
    torchVersion = o.torch;
    for (const m of models) {
      torch[m.name].wall.push(...o[m.name].wall);
      torch[m.name].cpu.push(...o[m.name].cpu);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const summary = runs.map((r) => {
    const name = r.m.name;
    const w = median(ours[name].wall);
    const c = median(ours[name].cpu);
    const tw = torch[name].wall.length ? median(torch[name].wall) : null;
    const tc = torch[name].cpu.length ? median(torch[name].cpu) : null;
    return { name, parameters: r.parameters, steps: r.m.steps, samples: ours[name].wall.length, wall: w, cpu: c, torchWall: tw, torchCpu: tc };
  });
  const label = (n: string) => (n === 'lenet' ? 'LeNet (BioTorch), 32x32' : 'VGG-like (vgg()), 28x28');
  const ms = (s: number | null) => (s === null ? 'n/a' : (1e3 * s).toFixed(1));
  const rows = summary.map((s) => [
    `${label(s.name)}, ${s.parameters} parameters`,
    `${ms(s.wall)} / ${ms(s.cpu)}`,
    s.torchWall === null ? `n/a (${torchError})` : `${ms(s.torchWall)} / ${ms(s.torchCpu)}`,
    s.torchWall === null ? 'n/a' : `${(s.torchWall / s.wall).toFixed(2)} / ${(s.torchCpu! / s.cpu).toFixed(2)}`,
  ]);
  const columns = ['BP step, batch 64, one core', 'ours ms (wall / CPU)', 'PyTorch ms (wall / CPU)', 'ours / PyTorch samples per s (wall / CPU)'];
  const title = `rules-conv: conv training steps, tensor path, one core each side (${report.line}; load ${os.loadavg()[0].toFixed(1)})`;
  console.log(`\n${title}`);
  for (const r of [columns, ...rows]) console.log('  ' + r.join('  |  '));
  const out = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'rules-conv.json'), JSON.stringify({
    finished: new Date().toISOString(),
    quick,
    reps,
    rounds,
    backend: report,
    loadAverage: os.loadavg(),
    torch: { version: torchVersion, error: torchError, samples: torch },
    ours,
    summary,
    tables: [{ title, columns, rows }],
    note: 'Both sides train the same architecture from their own Xavier-uniform draws on the same MNIST batches; the step time does not depend on the weights\' values. Ours runs on the tfjs tensor path: conv and pooling layers have no fused kernels yet.',
  }, null, 2));
  runs.forEach((r) => {
    r.batches.forEach((b) => tf.dispose([b.x, b.t]));
    r.optimizer.dispose();
    r.net.dispose();
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
