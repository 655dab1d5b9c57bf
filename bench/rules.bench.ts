/**
 * Training benchmark of lib/rules (issue 14, item 4): the MLP 784-256-256-10
 * epoch on Fashion-MNIST (batch 128, SGD momentum 0.9, BP) through `train()`
 * on the fused path and on the reference tfjs path, and one training step per
 * feedback rule (BP, FA, DFA, uSF, LDFA r = 10 with its default RAF learning)
 * at widths 256 and 512, each beside PyTorch 1.13 eager (bench/rules_torch.py:
 * nn.Linear for the epoch, a custom autograd function per rule for the steps).
 * The two-thread row (--only threads, issue 14 item 3): BP's step of the same
 * MLP at batch 256 on one BLAS thread and on two (OPENBLAS_NUM_THREADS=1 or 2
 * for the child, which the fused step's thread policy follows at this size;
 * PyTorch the same with torch.set_num_threads), the four children alternating.
 *
 *   node --import tsx bench/rules.bench.ts [--reps 6] [--rounds 3] [--threads 1] [--quick] [--only mlp,rules,threads]
 *
 * Each side runs in fresh child processes with OPENBLAS_NUM_THREADS set
 * (--threads: a comma list, default 1: one core each side), node and
 * PyTorch alternating over --rounds rounds so that drifts of a shared
 * machine's load hit both; every figure is the median of all repetitions,
 * wall clock and process CPU time. Writes out/bench/rules.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from '../lib/core/stats';
import { option } from './common';

const ROOT = path.resolve(__dirname, '..');
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const PYTHON = process.env.LDL_PYTHON ?? '/usr/bin/python3';
const RULES = ['bp', 'fa', 'dfa', 'usf', 'ldfa'] as const;
const WIDTHS = [256, 512];
const RANK = 10;
const RULE_STEPS = 50;
const BATCH = 128;
/** The two-thread row's batch and steps per repetition. */
const THREADS_BATCH = 256;
const THREADS_STEPS = 40;

const argv = process.argv.slice(2);
const quick = argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1';
const reps = Number(option(argv, 'reps', process.env.LDL_BENCH_REPS ?? '6'));
const rounds = Number(option(argv, 'rounds', '3'));
const only = option(argv, 'only', 'mlp,rules,threads').split(',');
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${option(argv, 'reps', '')}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a positive integer, got ${option(argv, 'rounds', '')}`);

interface Timing { samplesSeconds: number[]; cpuSamplesSeconds: number[] }

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall and CPU seconds of each of `n` calls of fn, after one warm-up call. */
function repetitions(fn: () => Promise<void>, n: number): Promise<Timing> {
  return (async () => {
    await fn();
    const out: Timing = { samplesSeconds: [], cpuSamplesSeconds: [] };
    for (let r = 0; r < n; r++) {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      await fn();
      out.samplesSeconds.push((performance.now() - t0) / 1e3);
      out.cpuSamplesSeconds.push(cpuSeconds() - c0);
    }
    return out;
  })();
}

// ------------------------------------------------------------------ node worker

async function worker(perRound: number): Promise<void> {
  const rules = await import('../lib/rules');
  const { fusedStepCount, fusedTrainer } = await import('../lib/rules/fused');
  const core = await import('../lib/core');
  const data = await import('../lib/data');
  await core.initBackend({ prefer: 'blas', print: false });
  const fashion = data.loadFashionMnist({ split: 'train', dir: FASHION_DIR, normalize: 'unit' });
  const out: Record<string, unknown> = { node: process.version, blas: core.blasInfo(), openblasNumThreads: process.env.OPENBLAS_NUM_THREADS ?? null };
  const net = (width: number, rule: string) =>
    new rules.Network({
      inputShape: [784],
      layers: [
        { kind: 'dense', units: width }, { kind: 'activation', activation: 'relu' },
        { kind: 'dense', units: width }, { kind: 'activation', activation: 'relu' },
        { kind: 'dense', units: 10 },
      ],
      seed: 7,
      rule: rule as 'bp',
      feedback: rule === 'ldfa' ? { rank: RANK } : {},
    });
  /** `steps` batches of one epoch by `train` (no alignment probe, no evaluation; it validates the data each call), `perRound` times. */
  const timeTrain = async (steps: number, fused: boolean) => {
    const n = net(256, 'bp');
    const before = fusedStepCount();
    let seed = 0;
    const t = await repetitions(async () => {
      await rules.train(n, fashion, { epochs: 1, batchSize: BATCH, batchesPerEpoch: steps, optimizer: { lr: 0.01, momentum: 0.9 }, alignment: false, progress: false, seed: seed++, fused });
    }, perRound);
    const path = fusedStepCount() > before ? 'fused' : 'reference';
    n.dispose();
    return { rule: 'bp', width: 256, batch: BATCH, steps, samples: steps * BATCH, path, ...t };
  };
  /** The fused steps alone over `steps` batches of a shuffled epoch (what the PyTorch loop times), `perRound` times. */
  const timeSteps = async (width: number, rule: string, steps: number, batch = BATCH) => {
    const n = net(width, rule);
    const opt = new rules.Optimizer({ lr: 0.01, momentum: 0.9 });
    const trainer = fusedTrainer(n, opt);
    if (typeof trainer === 'string') throw new Error(`rule ${rule}: the fused path does not apply: ${trainer}`);
    const data = { x: fashion.images, y: Int32Array.from(fashion.labels), count: fashion.count, shape: [784] };
    const shuffle = new core.Rng(2);
    const t = await repetitions(async () => {
      const perm = shuffle.permutation(fashion.count);
      for (let s = 0; s < steps; s++) trainer.stepIndices(data, perm.subarray(s * batch, (s + 1) * batch));
    }, perRound);
    n.dispose();
    opt.dispose();
    return { rule, width, batch, steps, samples: steps * batch, path: 'fused', ...t };
  };
  if (only.includes('mlp')) {
    const steps = quick ? 60 : Math.floor(fashion.count / BATCH);
    out.mlpFused = await timeTrain(steps, true);
    out.mlpReference = await timeTrain(steps, false);
    out.mlpSteps = await timeSteps(256, 'bp', steps);
  }
  if (only.includes('rules')) {
    const steps = quick ? 10 : RULE_STEPS;
    const list = [];
    for (const width of WIDTHS) for (const rule of RULES) list.push(await timeSteps(width, rule, steps));
    out.rules = list;
  }
  if (only.includes('threads')) out.threadsStep = await timeSteps(256, 'bp', quick ? 10 : THREADS_STEPS, THREADS_BATCH);
  process.stdout.write('\n' + JSON.stringify(out) + '\n');
}

// ------------------------------------------------------------------ orchestrator

type Json = Record<string, any>;

function child(cmd: string, args: string[], threads: number, label: string): Json {
  process.stderr.write(`  ${label}, ${threads} thread(s) ... `);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) } });
  process.stderr.write(`${((Date.now() - t0) / 1e3).toFixed(0)} s\n`);
  const lines = (r.stdout ?? '').trim().split('\n');
  if (r.status !== 0) return { error: `${label} exited ${r.status}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(lines[lines.length - 1]);
}

/** Appends the timing samples of `next` to those of `acc` (same layout: objects, arrays of measurements). */
function appendSamples(acc: any, next: any): any {
  if (acc === undefined || acc.error) return acc ?? next;
  if (next.error) return next;
  for (const key of Object.keys(next)) {
    const a = acc[key];
    const b = next[key];
    if (Array.isArray(a) && typeof a[0] === 'number') a.push(...b);
    else if (Array.isArray(a)) a.forEach((x, i) => appendSamples(x, b[i]));
    else if (a && typeof a === 'object') appendSamples(a, b);
  }
  return acc;
}

/** Median seconds (wall, CPU) of a measurement. */
function medians(m: Json | undefined): { wall: number; cpu: number } | null {
  return m && Array.isArray(m.samplesSeconds) ? { wall: median(m.samplesSeconds), cpu: median(m.cpuSamplesSeconds) } : null;
}

const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '--' : x.toFixed(d));

function printTable(t: { title: string; columns: string[]; rows: string[][] }): void {
  const cells = [t.columns, ...t.rows];
  const w = t.columns.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  console.log(`\n${t.title}`);
  cells.forEach((r, i) => {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  '));
    if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  });
}

async function orchestrate(): Promise<void> {
  const threadsList = option(argv, 'threads', '1').split(',').map(Number);
  const perRound = Math.max(1, Math.ceil(reps / rounds));
  const started = new Date().toISOString();
  const load = os.loadavg();
  console.log(`rules bench: ${rounds} rounds x ${perRound} repetitions, node and PyTorch alternating; load average ${load.map((x) => x.toFixed(1)).join(' ')}`);
  const tables: { title: string; columns: string[]; rows: string[][] }[] = [];
  const runs: Json[] = [];
  // mlp and rules per --threads count; the two-thread row (threads) runs its own children below.
  const perThreads = only.filter((x) => x !== 'threads');
  for (const threads of perThreads.length ? threadsList : []) {
    let node: Json | undefined;
    let torch: Json | undefined;
    const runNode = () => child(process.execPath, ['--import', 'tsx', __filename, '--worker', '--per-round', String(perRound), '--only', perThreads.join(','), ...(quick ? ['--quick'] : [])], threads, 'node');
    const runTorch = () => child(PYTHON, [path.join(__dirname, 'rules_torch.py'), '--threads', String(threads), '--reps', String(perRound), '--only', perThreads.join(','),
      '--rules', RULES.join(','), '--widths', WIDTHS.join(','), '--rank', String(RANK), '--rule-steps', String(RULE_STEPS), '--fashion-dir', FASHION_DIR, ...(quick ? ['--quick'] : [])], threads, 'pytorch');
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? ['node', 'torch'] : ['torch', 'node']) {
        if (side === 'node') node = appendSamples(node, runNode());
        else torch = appendSamples(torch, runTorch());
      }
    }
    const n = node as Json;
    const t = torch as Json;
    runs.push({ threads, node: n, torch: t });
    if (n.error) console.log(`node worker failed: ${n.error}`);
    if (t.error) console.log(`pytorch failed: ${t.error}`);
    const tag = `${threads} thread${threads > 1 ? 's' : ''} each side, medians of ${perRound * rounds}`;
    if (n.mlpFused && t.mlp) {
      const tm = medians(t.mlp)!;
      const row = (label: string, m: Json) => {
        const s = medians(m)!;
        return [label, f(m.samples / s.wall, 0), f(t.mlp.samples / tm.wall, 0), f(tm.wall / s.wall), f(tm.cpu / s.cpu)];
      };
      tables.push({
        title: `MLP 784-256-256-10, Fashion-MNIST epoch (${n.mlpFused.steps} x ${BATCH}), SGD momentum 0.9, samples/s (wall), ${tag}`,
        columns: ['lib/rules', 'ours', 'PyTorch nn.Linear', 'ours/PyTorch', 'same, CPU time'],
        rows: [
          row(`train(), fused path (took: ${n.mlpFused.path})`, n.mlpFused),
          row(`train(), reference tfjs path (took: ${n.mlpReference.path})`, n.mlpReference),
          row('the fused steps alone (FusedTrainer.stepIndices)', n.mlpSteps),
        ],
      });
    }
    if (n.rules && t.rules) {
      const rows: string[][] = [];
      for (const width of WIDTHS) {
        const nb = medians(n.rules.find((m: Json) => m.rule === 'bp' && m.width === width));
        const tb = medians(t.rules.find((m: Json) => m.rule === 'bp' && m.width === width));
        for (const rule of RULES) {
          const nm = n.rules.find((m: Json) => m.rule === rule && m.width === width);
          const tm = t.rules.find((m: Json) => m.rule === rule && m.width === width);
          const ns = medians(nm);
          const ts = medians(tm);
          if (!ns || !ts || !nb || !tb) continue;
          rows.push([`${rule === 'ldfa' ? `ldfa r=${RANK}` : rule}, width ${width} (${nm.path})`, f((ns.wall / nm.steps) * 1e3), f((ts.wall / tm.steps) * 1e3), f(ts.wall / ns.wall), f(ts.cpu / ns.cpu), f(ns.wall / nb.wall), f(ts.wall / tb.wall)]);
        }
      }
      tables.push({
        title: `Training step per rule, MLP 784-w-w-10, batch ${BATCH}, ms (wall), ${tag}`,
        columns: ['rule', 'ours ms', 'PyTorch ms', 'PyTorch time / ours', 'same, CPU time', 'ours / our BP', 'PyTorch / its BP'],
        rows,
      });
    }
  }
  if (only.includes('threads')) {
    // One child per side and thread count, the four in a rotating order each round.
    const runs2: Record<string, Json | undefined> = {};
    const kinds = ['node-1', 'torch-1', 'node-2', 'torch-2'];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(i + r) % kinds.length];
        const [side, th] = kind.split('-');
        const result = side === 'node'
          ? child(process.execPath, ['--import', 'tsx', __filename, '--worker', '--per-round', String(perRound), '--only', 'threads', ...(quick ? ['--quick'] : [])], Number(th), 'node')
          : child(PYTHON, [path.join(__dirname, 'rules_torch.py'), '--threads', th, '--reps', String(perRound), '--only', 'threads', '--threads-batch', String(THREADS_BATCH),
            '--threads-steps', String(THREADS_STEPS), '--fashion-dir', FASHION_DIR, ...(quick ? ['--quick'] : [])], Number(th), 'pytorch');
        runs2[kind] = appendSamples(runs2[kind], result);
      }
    }
    runs.push({ twoThreads: runs2 });
    const m = (kind: string) => { const x = runs2[kind]; return x && !x.error && x.threadsStep ? { ...medians(x.threadsStep)!, steps: x.threadsStep.steps as number } : null; };
    for (const kind of kinds) if (runs2[kind]?.error) console.log(`${kind} failed: ${runs2[kind]!.error}`);
    const [n1, t1, n2, t2] = kinds.map(m);
    const ms = (x: ReturnType<typeof m>) => (x ? (x.wall / x.steps) * 1e3 : null);
    const row = (label: string, one: ReturnType<typeof m>, two: ReturnType<typeof m>) =>
      [label, f(ms(one)), f(ms(two)), f(one && two ? one.wall / two.wall : null), f(one && two ? two.cpu / one.cpu : null)];
    tables.push({
      title: `BP step, MLP 784-256-256-10, batch ${THREADS_BATCH}, SGD momentum 0.9, one BLAS thread vs two, ms (wall), medians of ${perRound * rounds}; load at start ${load.map((x) => x.toFixed(1)).join(' ')}`,
      columns: ['side', '1 thread ms', '2 threads ms', 'speed-up (1 / 2, wall)', 'CPU time 2 / 1'],
      rows: [
        row('ours: fused step (FusedTrainer.stepIndices)', n1, n2),
        row('PyTorch eager (custom autograd function)', t1, t2),
        ['ours / PyTorch, time', f(n1 && t1 ? n1.wall / t1.wall : null), f(n2 && t2 ? n2.wall / t2.wall : null), '', ''],
      ],
    });
  }
  tables.forEach(printTable);
  const file = path.join(ROOT, 'out', 'bench', 'rules.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({
    bench: 'rules', started, finished: new Date().toISOString(), cores: os.cpus().length, loadAverageAtStart: load, loadAverageAtEnd: os.loadavg(), reps, rounds, quick,
    note: 'Medians over alternating node/PyTorch rounds, one core each side unless --threads says otherwise. On a shared machine read the ratios, ' +
      'and prefer the CPU-time ratio when the load is high. Per-rule steps: the fused steps vs a PyTorch custom autograd function per rule.',
    tables, runs,
  }, null, 1));
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
}

(argv.includes('--worker') ? worker(Number(option(argv, 'per-round', '1'))) : orchestrate()).catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
