/**
 * Conv training steps of lib/rules (issue 14, item 4): BioTorch's LeNet on
 * MNIST padded to 32x32, the VGG-like net of `vgg()` on 28x28 MNIST and its
 * batch-norm version `vggBatchNorm()` (the LDFA study's (f) net), one
 * step at batch 64 (SGD, momentum 0.9, lr 0.01), beside PyTorch 1.13 eager on
 * the same architectures, batches and optimiser (bench/rules_conv_torch.py):
 *   per rule (BP, FA, DFA, uSF, LDFA r = 10 with its RAF learning): ours the
 *     fused step (lib/rules/fused.ts, what train() runs), PyTorch each layer a
 *     custom autograd function carrying the rule's signal;
 *   BP beside PyTorch's own nn.Conv2d/nn.Linear autograd, ours the fused step
 *     and the tfjs tensor path (Network.trainStep, what ran before the fused
 *     conv kernels); the batch-norm net BP only, fused and on the tensor
 *     path, against nn with BatchNorm2d (no custom-function rules there).
 * One BLAS thread each side, then two (--threads 1,2: our process's
 * setBlasThreads, which the fused step keeps for a step whose largest product
 * reaches 2^24 multiply-adds and lowers to one below, and the PyTorch child's
 * OPENBLAS_NUM_THREADS and torch.set_num_threads). Rounds alternate between
 * the two sides; each figure is the median over all repetitions of (time for
 * S steps) / S, as wall clock and as process CPU time (which a loaded
 * machine's time-slicing does not inflate).
 *
 *   node --import tsx bench/rules-conv.bench.ts [--reps 5] [--rounds 3] [--threads 1,2] [--models lenet,vgg,vgg-bn] [--quick]
 *
 * Writes out/bench/rules-conv.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, setBlasThreads } from '../lib/core';
import { median } from '../lib/core/stats';
import { loadMnist } from '../lib/data';
import { lenet, Network, Optimizer, vgg, vggBatchNorm, type RuleName } from '../lib/rules';
import { FusedTrainer, fusedTrainer } from '../lib/rules/fused';
import { quickAndReps, option, timeInto, type StepSamples as Samples } from './common';

const ROOT = path.resolve(__dirname, '..');
const PYTHON = process.env.LDL_PYTHON ?? '/usr/bin/python3';
const BATCH = 64;
const RULES = ['bp', 'fa', 'dfa', 'usf', 'ldfa'] as const;
const RANK = 10;

interface Model {
  name: 'lenet' | 'vgg' | 'vgg-bn';
  pad: number;
  steps: number;
  /** The rules timed on the fused path. */
  rules: readonly RuleName[];
  /** Whether PyTorch times them as custom autograd functions too (not for the batch-norm net: BP against nn only). */
  custom: boolean;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { quick, reps } = quickAndReps(argv);
  const rounds = Number(option(argv, 'rounds', quick ? '2' : '3'));
  const threadsList = option(argv, 'threads', '1,2').split(',').map(Number);
  const report = await initBackend();
  const wanted = option(argv, 'models', 'lenet,vgg,vgg-bn').split(',');
  const models: Model[] = ([
    { name: 'lenet', pad: 2, steps: quick ? 5 : 20, rules: RULES, custom: true },
    { name: 'vgg', pad: 0, steps: quick ? 1 : 2, rules: RULES, custom: true },
    { name: 'vgg-bn', pad: 0, steps: quick ? 1 : 2, rules: ['bp'], custom: false },
  ] as Model[]).filter((m) => wanted.includes(m.name));
  if (models.length === 0) throw new Error(`--models: expected a comma list of lenet, vgg, vgg-bn; got ${wanted.join(',')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-conv-'));
  // Sides: `${threads}:${model}:${kind}` with kind 'tensor' (BP on the tensor path) or `fused-${rule}`; PyTorch 'nn' or `rule-${rule}`.
  const ours: Record<string, Samples> = {};
  const torch: Record<string, Samples> = {};
  const add = (store: Record<string, Samples>, key: string) => (store[key] ??= { wall: [], cpu: [] });
  const runs = models.map((m) => {
    const side = 28 + 2 * m.pad;
    const ds = loadMnist({ limit: BATCH * m.steps, seed: 0, pad: m.pad, normalize: 'standard' });
    fs.writeFileSync(path.join(dir, `${m.name}-x.f32`), Buffer.from(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength));
    fs.writeFileSync(path.join(dir, `${m.name}-y.i32`), Buffer.from(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
    const options = (rule: RuleName) => ({ seed: 0, rule, feedback: rule === 'ldfa' ? { rank: RANK } : {} }) as Parameters<typeof vgg>[0];
    const build = (rule: RuleName) => new Network(m.name === 'lenet' ? lenet(options(rule)) : m.name === 'vgg' ? vgg(options(rule)) : vggBatchNorm(options(rule)));
    const xs = Array.from({ length: m.steps }, (_, s) => ds.images.subarray(s * BATCH * side * side, (s + 1) * BATCH * side * side));
    const ys = Array.from({ length: m.steps }, (_, s) => ds.labels.subarray(s * BATCH, (s + 1) * BATCH));
    const fused = m.rules.map((rule) => {
      const net = build(rule);
      const optimizer = new Optimizer({ type: 'sgd', lr: 0.01, momentum: 0.9 });
      const f = fusedTrainer(net, optimizer);
      if (!(f instanceof FusedTrainer)) throw new Error(`${m.name} ${rule}: the fused path refused: ${f}`);
      return { rule, net, optimizer, run: () => xs.forEach((x, s) => f.step(x, ys[s])) };
    });
    const tensorNet = build('bp');
    const tensorOpt = new Optimizer({ type: 'sgd', lr: 0.01, momentum: 0.9 });
    const batches = xs.map((x, s) => ({ x: tf.tensor(x, [BATCH, side, side, 1]), t: tensorNet.oneHot(ys[s]) }));
    const tensorRun = () => batches.forEach((b) => tensorNet.trainStep(b.x, b.t, tensorOpt));
    return { m, fused, tensorNet, tensorOpt, batches, tensorRun, parameters: tensorNet.parameterCount };
  });
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ batch: BATCH, models: models.map((m) => ({ name: m.name, side: 28 + 2 * m.pad, steps: m.steps })) }));
  let torchVersion: string | null = null;
  let torchError: string | null = null;
  const loads: number[] = [os.loadavg()[0]];
  for (const threads of threadsList) {
    setBlasThreads(threads);
    // Warm-up (first-use allocation, im2col scratch, the LDFA optimisers' creation) outside the timed samples.
    for (const r of runs) {
      r.fused.forEach((f) => f.run());
      r.tensorRun();
    }
    for (let round = 0; round < rounds; round++) {
      for (const r of runs) {
        for (let k = 0; k < reps; k++) {
          for (const f of r.fused) timeInto(add(ours, `${threads}:${r.m.name}:fused-${f.rule}`), r.m.steps, f.run);
          timeInto(add(ours, `${threads}:${r.m.name}:tensor`), r.m.steps, r.tensorRun);
        }
      }
      process.stderr.write(`  threads ${threads} round ${round + 1}: ours done, PyTorch ... `);
      // The PyTorch side times the rules on every model but the batch-norm net (nn only there).
      const py = spawnSync(PYTHON, [path.join(__dirname, 'rules_conv_torch.py'), '--dir', dir, '--reps', String(reps), '--threads', String(threads), '--rules', RULES.join(','), '--rank', String(RANK)], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
      });
      loads.push(os.loadavg()[0]);
      if (py.status !== 0) {
        torchError = (py.stderr || py.error?.message || 'failed').trim().split('\n').slice(-3).join(' | ');
        process.stderr.write(`failed: ${torchError}\n`);
        continue;
      }
      process.stderr.write('done\n');
      const o = JSON.parse(py.stdout.trim().split('\n').pop() as string) as Record<string, Samples> & { torch: string; rules: Record<string, Record<string, Samples>> };
      torchVersion = o.torch;
      for (const m of models) {
        const nnKey = add(torch, `${threads}:${m.name}:nn`);
        nnKey.wall.push(...o[m.name].wall);
        nnKey.cpu.push(...o[m.name].cpu);
        for (const rule of m.custom ? m.rules : []) {
          const s = add(torch, `${threads}:${m.name}:rule-${rule}`);
          s.wall.push(...o.rules[m.name][rule].wall);
          s.cpu.push(...o.rules[m.name][rule].cpu);
        }
      }
    }
  }
  setBlasThreads(1);
  fs.rmSync(dir, { recursive: true, force: true });
  const med = (s: Samples | undefined) => (s && s.wall.length ? { wall: median(s.wall), cpu: median(s.cpu) } : null);
  const ms = (s: number) => (1e3 * s).toFixed(1);
  const label = (n: string) => (n === 'lenet' ? 'LeNet 32x32' : n === 'vgg' ? 'VGG-like 28x28' : 'VGG-like with batch norm 28x28');
  const tables = threadsList.map((threads) => {
    const rows: string[][] = [];
    const summary: Record<string, unknown>[] = [];
    for (const r of runs) {
      const name = r.m.name;
      const pairs: [string, string, string][] = [
        ...(r.m.custom ? r.m.rules : []).map((rule): [string, string, string] => [`${rule}${rule === 'ldfa' ? ` r=${RANK}` : ''} fused / custom autograd function`, `fused-${rule}`, `rule-${rule}`]),
        ...(r.m.rules.includes('bp') ? [['bp fused / nn autograd', 'fused-bp', 'nn'] as [string, string, string]] : []),
        ['bp tensor path / nn autograd', 'tensor', 'nn'],
      ];
      for (const [what, ourKind, torchKind] of pairs) {
        const a = med(ours[`${threads}:${name}:${ourKind}`]);
        const b = med(torch[`${threads}:${name}:${torchKind}`]);
        summary.push({ model: name, what, ours: a, torch: b });
        rows.push([
          `${label(name)}: ${what}`,
          a ? `${ms(a.wall)} / ${ms(a.cpu)}` : 'n/a',
          b ? `${ms(b.wall)} / ${ms(b.cpu)}` : `n/a (${torchError})`,
          a && b ? `${(b.wall / a.wall).toFixed(2)} / ${(b.cpu / a.cpu).toFixed(2)}` : 'n/a',
        ]);
      }
    }
    const columns = [`step, batch 64, ${threads} thread${threads > 1 ? 's' : ''} each side`, 'ours ms (wall / CPU)', 'PyTorch ms (wall / CPU)', 'ours / PyTorch samples per s (wall / CPU)'];
    const title = `rules-conv: conv training steps, ${threads} BLAS thread${threads > 1 ? 's' : ''} each side (${report.line}; load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)})`;
    console.log(`\n${title}`);
    for (const row of [columns, ...rows]) console.log('  ' + row.join('  |  '));
    return { threads, title, columns, rows, summary };
  });
  const out = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'rules-conv.json'), JSON.stringify({
    finished: new Date().toISOString(),
    quick,
    reps,
    rounds,
    threads: threadsList,
    backend: report,
    loadAverages: loads,
    parameters: Object.fromEntries(runs.map((r) => [r.m.name, r.parameters])),
    torch: { version: torchVersion, error: torchError, samples: torch },
    ours,
    tables,
    note: 'Both sides train the same architecture from their own Xavier-uniform draws on the same MNIST batches; the step time does not depend on the weights\' values. The fused step is what train() runs for these nets; the tensor path is Network.trainStep.',
  }, null, 2));
  runs.forEach((r) => {
    r.batches.forEach((b) => tf.dispose([b.x, b.t]));
    r.fused.forEach((f) => {
      f.optimizer.dispose();
      f.net.dispose();
    });
    r.tensorOpt.dispose();
    r.tensorNet.dispose();
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
