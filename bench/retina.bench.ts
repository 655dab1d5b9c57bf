/**
 * The training step of the retinal-bottleneck study's network (issue 28;
 * lib/studies/retinal-bottleneck.ts, `retinaNetwork`): 32x32 grayscale input,
 * 9x9 'same' convolutions with ReLU -- retina conv(width) - conv(bottleneck),
 * cortex 2 x conv(width) -- then dense(dense) - ReLU - dense(23), BP, the
 * authors' RMSprop (rho 0.9, epsilon 1e-7, lr 1e-4), batch 32, through the
 * fused path train() takes (FusedTrainer.step), beside PyTorch 1.13 eager
 * (nn.Conv2d, nn.Linear, torch.optim.RMSprop; bench/retina_torch.py) on the
 * same architecture and batch. Narrow (1 channel) and wide (= width) optic
 * nerve; the default widths (16, dense 128) and, with --paper, the authors'
 * (32, dense 1024). One BLAS thread each side; rounds alternate between the
 * sides; each figure is the median over all repetitions of (time for S
 * steps) / S, wall clock and process CPU time.
 *
 *   node --import tsx bench/retina.bench.ts [--reps 3] [--rounds 3] [--steps 3] [--paper] [--quick]
 *
 * Writes out/bench/retina.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend, setBlasThreads } from '../lib/core';
import { median } from '../lib/core/stats';
import { Network, Optimizer } from '../lib/rules';
import { fusedTrainer } from '../lib/rules/fused';
import { retinaNetwork } from '../lib/studies/retinal-bottleneck';
import { alternatingRounds, option, quickAndReps, timeInto, type StepSamples as Samples } from './common';

const ROOT = path.resolve(__dirname, '..');
const BATCH = 32;
const CLASSES = 23;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { quick, reps } = quickAndReps(argv);
  const rounds = Number(option(argv, 'rounds', quick ? '1' : '3'));
  const steps = Number(option(argv, 'steps', quick ? '1' : '3'));
  const paper = argv.includes('--paper');
  const width = paper ? 32 : 16, dense = paper ? 1024 : 128;
  const report = await initBackend();
  setBlasThreads(1);
  // fixed values: a step's cost does not depend on them
  const x = Float32Array.from({ length: BATCH * 1024 }, (_, i) => Math.sin(i * 12.9898));
  const y = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);
  const sides = [1, width].map((bottleneck) => {
    const net = new Network(retinaNetwork({ inputShape: [32, 32, 1], width, bottleneck, depth: 2, kernel: 9, dense, classes: CLASSES, seed: 0 }));
    const optimizer = new Optimizer({ type: 'rmsprop', lr: 1e-4, alpha: 0.9, epsilon: 1e-7 });
    const trainer = fusedTrainer(net, optimizer);
    if (typeof trainer === 'string') throw new Error(`retina bench: the fused path does not apply: ${trainer}`);
    return { key: `bottleneck ${bottleneck}`, bottleneck, net, optimizer, run: () => { for (let s = 0; s < steps; s++) trainer.step(x, y); } };
  });
  const ours: Record<string, Samples> = Object.fromEntries(sides.map((s) => [s.key, { wall: [], cpu: [] }]));
  const torch: Record<string, Samples> = Object.fromEntries(sides.map((s) => [s.key, { wall: [], cpu: [] }]));
  sides.forEach((s) => s.run()); // warm-up: first-use allocation, RMSprop state
  const { results, error: torchError, loads } = alternatingRounds(rounds, () => {
    for (let k = 0; k < reps; k++) for (const s of sides) timeInto(ours[s.key], steps, s.run);
  }, 'retina_torch.py', ['--width', String(width), '--dense', String(dense), '--batch', String(BATCH), '--steps', String(steps), '--reps', String(reps)]);
  const torchVersion = (results[results.length - 1] as { torch: string } | undefined)?.torch ?? null;
  for (const o of results as unknown as { runs: Record<string, Samples> }[]) {
    for (const s of sides) {
      torch[s.key].wall.push(...o.runs[String(s.bottleneck)].wall);
      torch[s.key].cpu.push(...o.runs[String(s.bottleneck)].cpu);
    }
  }
  const med = (s: Samples) => (s.wall.length ? { wall: median(s.wall), cpu: median(s.cpu) } : null);
  const ms = (s: number) => (1e3 * s).toFixed(0);
  const rows = sides.map((s) => {
    const a = med(ours[s.key]), b = med(torch[s.key]);
    return [
      s.key,
      a ? `${ms(a.wall)} / ${ms(a.cpu)}` : 'n/a',
      b ? `${ms(b.wall)} / ${ms(b.cpu)}` : `n/a (${torchError})`,
      a && b ? `${(b.wall / a.wall).toFixed(2)} / ${(b.cpu / a.cpu).toFixed(2)}` : '-',
    ];
  });
  const columns = [`retina net step, width ${width}, dense ${dense}, batch ${BATCH}, 1 thread each side`, 'ours ms (wall / CPU)', 'PyTorch ms (wall / CPU)', 'ours / PyTorch samples per s (wall / CPU)'];
  const title = `retina: retinal-bottleneck network training steps (${report.line}; load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)})`;
  console.log(`\n${title}`);
  for (const row of [columns, ...rows]) console.log('  ' + row.join('  |  '));
  const out = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'retina.json'), JSON.stringify({
    finished: new Date().toISOString(), quick, reps, rounds, steps, paper, backend: report, loadAverages: loads,
    torch: { version: torchVersion, error: torchError, samples: torch }, ours, tables: [{ title, columns, rows }],
  }, null, 2));
  sides.forEach((s) => {
    s.optimizer.dispose();
    s.net.dispose();
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
