/**
 * The fused step's BLAS thread policy (lib/rules/fused.ts, header "Threads"):
 * a step big enough runs on the caller's threads and gives the one-thread
 * numbers to float32 tolerance (two threads may sum in another order); a
 * small step runs on one; the caller's count is back after every step and
 * after train(), also when the step throws; a pool worker and a caller at
 * one thread are left alone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon, Rng } from '../../lib/core';
import { FusedStepError, fusedTrainer, FusedTrainer, stepThreads, TWO_THREAD_MIN_PRODUCT } from '../../lib/rules/fused';
import { Network, Optimizer, train } from '../../lib/rules';
import { testBackend } from './helpers';

const addon = nativeAddon();
const skip = !addon?.denseForward ? 'the native add-on with the fused kernels is not built' : !addon.info().canSetThreads ? 'the BLAS cannot set its thread count (not OpenBLAS)' : false;
const initial = addon?.getThreads() ?? null;

before(async () => {
  await testBackend();
});
after(() => {
  if (addon && initial !== null) addon.setThreads(initial);
});

// 784-256-10: the largest GEMM is rows x 784 x 256, two threads from 84 rows on.
const SIZES = [784, 256, 10];

function net(rule = 'bp'): Network {
  return new Network({ inputShape: [SIZES[0]], layers: [{ kind: 'dense', units: SIZES[1] }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: SIZES[2] }], seed: 5, rule: rule as 'bp' });
}

function batch(rows: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = new Rng(seed);
  return { x: r.normalArray(rows * SIZES[0], 0, 1) as Float32Array, y: Int32Array.from({ length: rows }, () => r.int(SIZES[2])) };
}

function trainer(n: Network, o: Optimizer): FusedTrainer {
  const t = fusedTrainer(n, o);
  if (typeof t === 'string') throw new Error(t);
  return t;
}

/** The BLAS thread count seen inside each step, read by the first layer's pathway `learn` (Kolen-Pollack's first step runs it). */
function recordThreads(n: Network, seen: number[], fail = false): void {
  const p = n.pathways[1];
  const learn = p.learn.bind(p);
  p.learn = (args) => {
    seen.push(addon!.getThreads() as number);
    if (fail) throw new Error('learn failed on purpose');
    learn(args);
  };
}

test('the policy: the caller\'s count from the threshold on, one below; nothing in a pool worker or at one thread', () => {
  assert.equal(stepThreads(TWO_THREAD_MIN_PRODUCT, 2, false), 2);
  assert.equal(stepThreads(TWO_THREAD_MIN_PRODUCT - 1, 2, false), 1);
  assert.equal(stepThreads(TWO_THREAD_MIN_PRODUCT * 8, 4, false), 4);
  assert.equal(stepThreads(TWO_THREAD_MIN_PRODUCT * 8, 2, true), null);
  assert.equal(stepThreads(TWO_THREAD_MIN_PRODUCT * 8, 1, false), null);
  assert.equal(stepThreads(TWO_THREAD_MIN_PRODUCT * 8, null, false), null);
});

test('a step at batch 256 on two threads gives the one-thread numbers to float32 tolerance, and each runs on the count it should', { skip }, () => {
  const { x, y } = batch(256, 1);
  assert.ok(256 * 784 * 256 >= TWO_THREAD_MIN_PRODUCT);
  const weights: Float32Array[][] = [];
  const seen: number[][] = [];
  for (const callerThreads of [1, 2]) {
    addon!.setThreads(callerThreads);
    const n = net('kolen-pollack');
    const o = new Optimizer({ lr: 0.05, momentum: 0.9 });
    const s: number[] = [];
    recordThreads(n, s);
    const t = trainer(n, o);
    for (let i = 0; i < 3; i++) t.step(x, y);
    assert.equal(addon!.getThreads(), callerThreads, 'the caller\'s count after the steps');
    weights.push(n.paramLayers.flatMap((l) => [l.weight.dataSync() as Float32Array, l.bias!.dataSync() as Float32Array]).map((a) => a.slice()));
    seen.push(s);
    n.dispose();
    o.dispose();
  }
  assert.deepEqual(seen[0], [1]);
  assert.deepEqual(seen[1], [2]);
  // Float64 comparison, relative to each array's scale.
  weights[0].forEach((a, i) => {
    const b = weights[1][i];
    let diff = 0;
    let scale = 0;
    for (let j = 0; j < a.length; j++) {
      diff = Math.max(diff, Math.abs(a[j] - b[j]));
      scale = Math.max(scale, Math.abs(a[j]));
    }
    assert.ok(diff <= 1e-5 * scale, `array ${i}: ${diff} apart at scale ${scale}`);
  });
});

test('a small step runs on one thread and train() gives the caller its count back, also when a step throws', { skip }, async () => {
  addon!.setThreads(2);
  const { x, y } = batch(48, 2);
  const data = { x, y, count: 48, shape: [784] };
  const n = net('kolen-pollack');
  const seen: number[] = [];
  recordThreads(n, seen);
  await train(n, data, { epochs: 1, batchSize: 16, optimizer: { lr: 0.01 }, alignment: false, progress: false, seed: 3 });
  assert.deepEqual(seen, [1], 'batch 16 (16 x 784 x 256 below the threshold) on one thread');
  assert.equal(addon!.getThreads(), 2);
  n.dispose();

  const m = net('kolen-pollack');
  const seenThrow: number[] = [];
  recordThreads(m, seenThrow, true);
  await assert.rejects(train(m, data, { epochs: 1, batchSize: 16, optimizer: { lr: 0.01 }, alignment: false, progress: false, seed: 3 }), FusedStepError);
  assert.deepEqual(seenThrow, [1]);
  assert.equal(addon!.getThreads(), 2, 'the caller\'s count after a step that threw');
  m.dispose();
});

test('a caller at one thread and a pool worker stay at their count on a big step', { skip }, () => {
  const { x, y } = batch(256, 3);
  addon!.setThreads(1);
  const n = net('kolen-pollack');
  const o = new Optimizer({ lr: 0.01 });
  const seen: number[] = [];
  recordThreads(n, seen);
  trainer(n, o).step(x, y);
  assert.deepEqual(seen, [1]);
  n.dispose();
  o.dispose();
  // A pool worker's trainer (LDL_POOL_WORKER read when it is built) never changes the count, whatever it is.
  const saved = process.env.LDL_POOL_WORKER;
  process.env.LDL_POOL_WORKER = '1';
  addon!.setThreads(2);
  try {
    for (const rows of [16, 256]) {
      const w = net('kolen-pollack');
      const wo = new Optimizer({ lr: 0.01 });
      const s: number[] = [];
      recordThreads(w, s);
      const t = trainer(w, wo);
      t.step(x.subarray(0, rows * 784), y.subarray(0, rows));
      assert.deepEqual(s, [2], `${rows} rows in a pool worker`);
      w.dispose();
      wo.dispose();
    }
  } finally {
    if (saved === undefined) delete process.env.LDL_POOL_WORKER;
    else process.env.LDL_POOL_WORKER = saved;
  }
});

test('the element-wise stages split over two threads (activation, derivative and bias sums, optimiser update) give the one-thread bits', { skip }, () => {
  // Sizes above the split (kSplitElements = 2^15 elements, 32 columns) and not multiples of the 16-element alignment;
  // nIn = 7 keeps every GEMM here on one thread (a dimension under 32), so any difference would come from the split.
  const rows = 301, nIn = 7, nOut = 133, len = 50_001;
  const r = new Rng(11);
  const f = (k: number) => r.normalArray(k, 0, 1) as Float32Array;
  const x = f(rows * nIn), w = f(nIn * nOut), b = f(nOut), dIn = f(rows * nOut), k1 = f(nIn * nOut);
  const p0 = f(len), g = f(len), m0 = f(len), v0 = Float32Array.from(f(len), Math.abs);
  const run = (threads: number) => {
    addon!.setThreads(threads);
    const out: Float32Array[] = [];
    for (const act of [1, 2, 3]) {
      const h = new Float32Array(rows * nOut);
      addon!.denseForward!(act, rows, nIn, nOut, x, w, b, h);
      const delta = dIn.slice(), gW = new Float32Array(nIn * nOut), gb = new Float32Array(nOut), dx = new Float32Array(rows * nIn);
      addon!.denseBackward!(act, rows, nIn, nOut, x, h, delta, gW, gb, 1, dx, k1, null, null, 0, 0, null, 0, 0);
      const noBias = dIn.slice();
      addon!.denseBackward!(act, rows, nIn, nOut, x, h, noBias, new Float32Array(nIn * nOut), null, 0, null, null, null, null, 0, 0, null, 0, 0);
      out.push(h, delta, gW, gb, dx, noBias);
    }
    for (const type of [0, 1, 2]) {
      const p = p0.slice(), m = m0.slice(), v = v0.slice();
      for (let t = 1; t <= 2; t++) addon!.optimizerStep!(type, len, p, g, m, type ? v : null, 0.01, 0.9, type === 0, 0.9, 0.999, 1e-8, 1e-3, false, t);
      out.push(p, m, v);
    }
    return out;
  };
  const one = run(1);
  const two = run(2);
  addon!.setThreads(initial ?? 1);
  one.forEach((a, i) => {
    const bitsA = new Int32Array(a.buffer, a.byteOffset, a.length);
    const bitsB = new Int32Array(two[i].buffer, two[i].byteOffset, two[i].length);
    const at = bitsA.findIndex((u, j) => u !== bitsB[j]);
    assert.equal(at, -1, `array ${i}: ${a[at]} on one thread, ${two[i][at]} on two at ${at}`);
  });
  // The activations were applied (relu's outputs are >= 0 and tanh's in [-1, 1], both with some inside), so the
  // arrays compared are the kernels' outputs.
  assert.ok(one[0].every((u) => u >= 0) && one[0].some((u) => u > 0));
  assert.ok(one[6].every((u) => Math.abs(u) <= 1) && one[6].some((u) => Math.abs(u) < 0.5 && u !== 0));
});
