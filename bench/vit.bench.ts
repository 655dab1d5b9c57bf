/**
 * The ViT training step of lib/rules (issue 31): vit() for 28x28 images
 * (patch 4 -> 49 tokens, width 64, depth 4, 4 heads, MLP width 128), BP,
 * Adam lr 1e-3, batch 64 of MNIST, Network.trainStep (the tensor path;
 * train() has no fused path for attention), beside PyTorch 1.13 eager on the
 * same architecture, optimiser and batches (bench/vit_torch.py). Ours twice:
 *   kernels   attention and GELU as lib/rules runs them (per-head gemm on
 *             the float32 buffers, GELU in one loop; transformer.ts)
 *   tfjs ops  the same layers through their tfjs-op versions (forwardOps,
 *             backwardOps), i.e. the code before those kernels
 * and LDFA (normative, r = 11 in every layer, 3r at the qkv layers; ours only).
 * One BLAS thread each side. Rounds alternate between the two sides; each
 * figure is the median over all repetitions of (time for S steps) / S, as
 * wall clock and as process CPU time (which time-slicing on a loaded
 * machine does not inflate).
 *
 *   node --import tsx bench/vit.bench.ts [--reps 3] [--rounds 3] [--steps 3] [--quick]
 *
 * Writes out/bench/vit.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, setBlasThreads } from '../lib/core';
import { median } from '../lib/core/stats';
import { loadMnist } from '../lib/data';
import { attentionRanks, Network, Optimizer, vit } from '../lib/rules';
import { Attention, Gelu } from '../lib/rules/transformer';
import { alternatingRounds, option, quickAndReps, timeInto, type StepSamples as Samples } from './common';

const ROOT = path.resolve(__dirname, '..');
const BATCH = 64;

type Proto = Record<string, unknown>;
const ATT = Attention.prototype as unknown as Proto;
const GELU = Gelu.prototype as unknown as Proto;
const KERNELS = { attForward: ATT.forward, attBackward: ATT.backward, geluForward: GELU.forward, geluBackward: GELU.backward };

/** Runs `f` with attention and GELU on their tfjs-op versions (the code before the kernels), then restores them. */
function withOps(f: () => void): void {
  ATT.forward = ATT.forwardOps;
  ATT.backward = ATT.backwardOps;
  GELU.forward = GELU.forwardOps;
  GELU.backward = function (this: Gelu, dy: tf.Tensor, x: tf.Tensor) {
    return tf.tidy(() => dy.mul(this.derivative(x)));
  };
  try {
    f();
  } finally {
    ATT.forward = KERNELS.attForward;
    ATT.backward = KERNELS.attBackward;
    GELU.forward = KERNELS.geluForward;
    GELU.backward = KERNELS.geluBackward;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { quick, reps } = quickAndReps(argv);
  const rounds = Number(option(argv, 'rounds', quick ? '1' : '3'));
  const steps = Number(option(argv, 'steps', quick ? '1' : '3'));
  const report = await initBackend();
  setBlasThreads(1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-vit-'));
  const ds = loadMnist({ limit: BATCH * steps, seed: 0, normalize: 'standard' });
  fs.writeFileSync(path.join(dir, 'x.f32'), Buffer.from(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength));
  fs.writeFileSync(path.join(dir, 'y.i32'), Buffer.from(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ batch: BATCH, steps, side: 28 }));
  const spec = vit({ seed: 0 });
  const sides = [
    { key: 'bp-kernels', net: new Network(spec), ops: false },
    { key: 'bp-tfjs-ops', net: new Network(spec), ops: true },
    { key: 'ldfa-r11-kernels', net: new Network(vit({ seed: 0, rule: 'ldfa', feedback: { rank: attentionRanks(spec, 11), ldfaRule: 'normative' } })), ops: false },
  ].map((s) => {
    const optimizer = new Optimizer({ type: 'adam', lr: 1e-3 });
    const batches = Array.from({ length: steps }, (_, k) => ({
      x: tf.tensor4d(ds.images.subarray(k * BATCH * 784, (k + 1) * BATCH * 784), [BATCH, 28, 28, 1]),
      t: s.net.oneHot(ds.labels.subarray(k * BATCH, (k + 1) * BATCH)),
    }));
    const once = () => batches.forEach((b) => s.net.trainStep(b.x, b.t, optimizer));
    return { ...s, optimizer, batches, run: s.ops ? () => withOps(once) : once };
  });
  const ours: Record<string, Samples> = Object.fromEntries(sides.map((s) => [s.key, { wall: [], cpu: [] }]));
  const torch: Samples = { wall: [], cpu: [] };
  sides.forEach((s) => s.run()); // warm-up: first-use allocation, Adam state, LDFA's P, Q optimisers
  const { results, error: torchError, loads } = alternatingRounds(rounds, () => {
    for (let k = 0; k < reps; k++) for (const s of sides) timeInto(ours[s.key], steps, s.run);
  }, 'vit_torch.py', ['--dir', dir, '--reps', String(reps), '--threads', '1']);
  const last = results[results.length - 1] as { torch: string; parameters: number } | undefined;
  const torchVersion = last?.torch ?? null, torchParameters = last?.parameters ?? null;
  for (const o of results as unknown as { vit: Samples }[]) {
    torch.wall.push(...o.vit.wall);
    torch.cpu.push(...o.vit.cpu);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const med = (s: Samples) => (s.wall.length ? { wall: median(s.wall), cpu: median(s.cpu) } : null);
  const ms = (s: number) => (1e3 * s).toFixed(0);
  const b = med(torch);
  const rows = sides.map((s) => {
    const a = med(ours[s.key]);
    return [
      s.key,
      a ? `${ms(a.wall)} / ${ms(a.cpu)}` : 'n/a',
      b ? `${ms(b.wall)} / ${ms(b.cpu)}` : `n/a (${torchError})`,
      a && b && s.key.startsWith('bp') ? `${(b.wall / a.wall).toFixed(2)} / ${(b.cpu / a.cpu).toFixed(2)}` : '-',
    ];
  });
  const columns = ['ViT 28x28 step, batch 64, 1 thread each side', 'ours ms (wall / CPU)', 'PyTorch BP ms (wall / CPU)', 'ours / PyTorch samples per s (wall / CPU)'];
  const title = `vit: ViT training steps (${report.line}; load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)})`;
  console.log(`\n${title}`);
  for (const row of [columns, ...rows]) console.log('  ' + row.join('  |  '));
  const out = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'vit.json'), JSON.stringify({
    finished: new Date().toISOString(), quick, reps, rounds, steps, backend: report, loadAverages: loads,
    parameters: sides[0].net.parameterCount, torch: { version: torchVersion, parameters: torchParameters, error: torchError, samples: torch },
    ours, tables: [{ title, columns, rows }],
    note: 'Both sides train the same architecture from their own initial draws on the same MNIST batches; the step time does not depend on the weights\' values.',
  }, null, 2));
  sides.forEach((s) => {
    s.batches.forEach((x) => tf.dispose([x.x, x.t]));
    s.optimizer.dispose();
    s.net.dispose();
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
