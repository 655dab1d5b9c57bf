/**
 * Training step of a vectorized network (issue 16, item 3): GEVB's step
 * beside BP's step of the same VectorizedNetwork (lib/rules/vectorized.ts),
 * and beside PyTorch's BP step of the same architecture (autograd;
 * bench/rules_vectorized_torch.py). FC-Vec 784 (7840 expanded) - 256 - 128 - 1
 * and Conv-Vec conv 8 - gate - pool - conv 8 - gate - pool - 64 - 1 (K = 10),
 * nonnegative, batch 128, Adam 3e-4, random inputs and labels (a step's cost
 * does not depend on the values).
 *
 *   node --import tsx bench/rules-vectorized.bench.ts [--reps 5] [--rounds 3] [--quick]
 *   (npm run bench -- rules runs it with the other rules benches)
 *
 * Each side runs in fresh child processes on one core (OPENBLAS_NUM_THREADS
 * = 1), node and PyTorch alternating over --rounds rounds; each child times
 * --reps repetitions of `steps` steps after a warm-up; figures are medians
 * of seconds per step, wall clock and process CPU time. Writes
 * out/bench/rules-vectorized.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { median } from '../lib/core/stats';
import { quickAndReps, option } from './common';

const ROOT = path.resolve(__dirname, '..');
const PYTHON = process.env.LDL_PYTHON ?? '/usr/bin/python3';
const BATCH = 128;
const NETS = { 'fc-vec': { hidden: [256, 128] }, 'conv-vec': { channels: [8, 8], hidden: 64 } } as const;

const argv = process.argv.slice(2);
const { quick, reps } = quickAndReps(argv);
const rounds = Number(option(argv, 'rounds', quick ? '1' : '3'));
const STEPS = { 'fc-vec': quick ? 3 : 10, 'conv-vec': quick ? 1 : 3 };

interface Row { net: string; side: string; wall: number[]; cpu: number[] }

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function worker(): Promise<void> {
  const core = await import('../lib/core');
  const rules = await import('../lib/rules');
  const tf = await import('@tensorflow/tfjs');
  await core.initBackend({ prefer: 'blas', print: false });
  const rng = new core.Rng(3);
  const rows: Row[] = [];
  for (const name of ['fc-vec', 'conv-vec'] as const) {
    const shape = name === 'fc-vec' ? [784] : [28, 28, 1];
    const x = tf.tensor(rng.normalArray(BATCH * shape.reduce((a, b) => a * b, 1)) as Float32Array, [BATCH, ...shape]);
    for (const rule of ['gevb', 'bp'] as const) {
      const options = name === 'fc-vec' ? rules.fcVec({ hidden: [...NETS['fc-vec'].hidden], rule, seed: 1 }) : rules.spatialVec({ channels: [...NETS['conv-vec'].channels] as [number, number], hidden: NETS['conv-vec'].hidden, rule, seed: 1 });
      const net = new rules.VectorizedNetwork(options);
      const t = net.oneHot(Array.from({ length: BATCH }, (_, i) => i % 10));
      const opt = new rules.Optimizer({ type: 'adam', lr: 3e-4 });
      const steps = STEPS[name];
      net.trainStep(x, t, opt);
      const row: Row = { net: name, side: rule === 'gevb' ? 'GEVB (node)' : 'BP (node)', wall: [], cpu: [] };
      for (let r = 0; r < reps; r++) {
        const w0 = performance.now();
        const c0 = cpuSeconds();
        for (let s = 0; s < steps; s++) net.trainStep(x, t, opt);
        row.wall.push((performance.now() - w0) / 1e3 / steps);
        row.cpu.push((cpuSeconds() - c0) / steps);
      }
      rows.push(row);
      tf.dispose([t]);
      opt.dispose();
      net.dispose();
    }
    x.dispose();
  }
  process.stdout.write('\n' + JSON.stringify(rows) + '\n');
}

function child(cmd: string, args: string[]): Row[] {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', LDL_PROGRESS: 'silent' } });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Row[];
}

async function orchestrate(): Promise<void> {
  const all: Row[] = [];
  for (let round = 0; round < rounds; round++) {
    all.push(...child(process.execPath, ['--import', 'tsx', __filename, '--worker', '--reps', String(reps), ...(quick ? ['--quick'] : [])]));
    all.push(
      ...child(PYTHON, [path.join(__dirname, 'rules_vectorized_torch.py'), '--reps', String(reps), '--batch', String(BATCH), '--fc-steps', String(STEPS['fc-vec']), '--conv-steps', String(STEPS['conv-vec'])]),
    );
  }
  const keys = [...new Set(all.map((r) => `${r.net}|${r.side}`))];
  const summary = keys.map((k) => {
    const [net, side] = k.split('|');
    const rs = all.filter((r) => r.net === net && r.side === side);
    return { net, side, wallSecondsPerStep: median(rs.flatMap((r) => r.wall)), cpuSecondsPerStep: median(rs.flatMap((r) => r.cpu)) };
  });
  const torchOf = (net: string) => summary.find((s) => s.net === net && s.side === 'BP (PyTorch)');
  const table = summary.map((s) => {
    const ref = torchOf(s.net);
    return {
      net: s.net, side: s.side, 'wall ms/step': (1e3 * s.wallSecondsPerStep).toFixed(1), 'cpu ms/step': (1e3 * s.cpuSecondsPerStep).toFixed(1),
      'x PyTorch BP time (wall / cpu)': ref ? `${(s.wallSecondsPerStep / ref.wallSecondsPerStep).toFixed(2)} / ${(s.cpuSecondsPerStep / ref.cpuSecondsPerStep).toFixed(2)}` : 'n/a',
    };
  });
  console.log(`rules-vectorized: batch ${BATCH}, one core each side, ${rounds} round(s) x ${reps} repetition(s), medians`);
  console.table(table);
  const out = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'rules-vectorized.json'), JSON.stringify({ batch: BATCH, nets: NETS, steps: STEPS, rounds, reps, summary, table, raw: all }, null, 1) + '\n');
}

(argv.includes('--worker') ? worker() : orchestrate()).catch((e) => {
  console.error(e);
  process.exit(1);
});
