/**
 * The buffer kernels of lib/rules/transformer.ts (attention's per-head gemm
 * products, GELU's loops) against two independent references: a float64
 * forward written here with plain loops (and its central differences), and
 * tfjs autodiff of the layers' tfjs-op forward passes (`forwardOps`), at a
 * shape whose strides differ from the small layer test's (4 heads, q, k, v
 * read by leading dimension 3d) and with several examples, so that a wrong
 * offset of example or head shows; the add-on's kernels
 * (native/src/fused_transformer.cc) against the JavaScript ones.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { erf } from '../../lib/circuits';
import { nativeAddon } from '../../lib/core';
import { Attention, Gelu, transformerKernels, transformerKernelsJs } from '../../lib/rules/transformer';
import { randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

/** Attention over x [N, T, 3d] in float64: per example and head, softmax(q k^T / sqrt dh) v, heads side by side. */
function attention64(x: Float64Array, n: number, t: number, d: number, heads: number): Float64Array {
  const dh = d / heads, c = 1 / Math.sqrt(dh);
  const out = new Float64Array(n * t * d);
  const at = (e: number, i: number, col: number) => x[(e * t + i) * 3 * d + col];
  for (let e = 0; e < n; e++) for (let h = 0; h < heads; h++) for (let i = 0; i < t; i++) {
    const s = new Float64Array(t);
    for (let j = 0; j < t; j++) for (let a = 0; a < dh; a++) s[j] += c * at(e, i, h * dh + a) * at(e, j, d + h * dh + a);
    const m = Math.max(...s);
    const w = s.map((v) => Math.exp(v - m));
    const z = w.reduce((p, q) => p + q, 0);
    for (let j = 0; j < t; j++) for (let a = 0; a < dh; a++) out[(e * t + i) * d + h * dh + a] += (w[j] / z) * at(e, j, 2 * d + h * dh + a);
  }
  return out;
}

test('attention kernels: forward against float64 loops and the tfjs ops; backward against autodiff of the tfjs ops and float64 differences (4 heads, 3 examples)', () => {
  const [n, t, d, heads] = [3, 7, 16, 4];
  const att = new Attention({ kind: 'attention', heads });
  att.build([t, 3 * d]);
  const before = tf.memory().numTensors;
  const x = randomTensor([n, t, 3 * d], 71, 1.5);
  const x64 = Float64Array.from(x.dataSync());
  const y = att.forward(x);
  const yOps = att.forwardOps(x);
  assert.ok(relErr(y, attention64(x64, n, t, d, heads)) < 2e-6, `forward vs float64 ${relErr(y, attention64(x64, n, t, d, heads))}`);
  assert.ok(relErr(y, yOps) < 2e-6, `forward vs tfjs ops ${relErr(y, yOps)}`);
  const R = randomTensor([n, t, d], 72);
  const dx = att.backward(R, x);
  const auto = tf.grad((z: tf.Tensor) => att.forwardOps(z).mul(R).sum())(x);
  assert.ok(relErr(dx, auto) < 1e-5, `backward vs autodiff of the tfjs ops ${relErr(dx, auto)}`);
  // backward after forward on the same tensor reuses its attention weights; a fresh layer recomputes them
  const fresh = new Attention({ kind: 'attention', heads });
  fresh.build([t, 3 * d]);
  const dxFresh = fresh.backward(R, x);
  assert.ok(relErr(dxFresh, dx) < 1e-7, `recomputed vs cached weights ${relErr(dxFresh, dx)}`);
  fresh.dispose();
  dxFresh.dispose();
  const ops = att.backwardOps(R, x);
  assert.ok(relErr(dx, ops) < 1e-5, `backward vs backwardOps ${relErr(dx, ops)}`);
  // tf.grad through forward (its custom gradient) is backward
  const through = tf.grad((z: tf.Tensor) => att.forward(z).mul(R).sum())(x);
  assert.ok(relErr(through, dx) < 1e-7);
  // <R, d forward / dx . v> by float64 central differences, for two directions
  const r64 = Float64Array.from(R.dataSync());
  const g = dx.dataSync();
  for (const seed of [73, 74]) {
    const vt = randomTensor([n, t, 3 * d], seed);
    const v = Float64Array.from(vt.dataSync());
    vt.dispose();
    const h = 1e-5;
    const a = attention64(x64.map((xi, i) => xi + h * v[i]), n, t, d, heads);
    const b = attention64(x64.map((xi, i) => xi - h * v[i]), n, t, d, heads);
    let want = 0, got = 0;
    for (let i = 0; i < a.length; i++) want += r64[i] * (a[i] - b[i]) / (2 * h);
    for (let i = 0; i < v.length; i++) got += g[i] * v[i];
    assert.ok(Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want)), `directional derivative ${got} vs float64 difference ${want}`);
  }
  tf.dispose([x, y, yOps, R, dx, auto, ops, through]);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  att.dispose();
});

test('GELU kernels: forward against float64 a Phi(a) and the tfjs ops; backward against autodiff of the tfjs ops', () => {
  const g = new Gelu();
  g.build([50]);
  const x = tf.tidy(() => randomTensor([4, 50], 81, 3));
  const y = g.forward(x);
  const want = Float64Array.from(x.dataSync(), (a) => 0.5 * a * (1 + erf(a / Math.SQRT2)));
  assert.ok(relErr(y, want) < 1e-6, `forward vs float64 ${relErr(y, want)}`);
  const yOps = g.forwardOps(x);
  assert.ok(relErr(y, yOps) < 1e-6);
  const R = randomTensor([4, 50], 82);
  const dx = g.backward(R, x);
  const auto = tf.grad((z: tf.Tensor) => g.forwardOps(z).mul(R).sum())(x);
  assert.ok(relErr(dx, auto) < 1e-5, `backward vs autodiff ${relErr(dx, auto)}`);
  const through = tf.grad((z: tf.Tensor) => g.forward(z).mul(R).sum())(x);
  assert.ok(relErr(through, dx) < 1e-7);
  tf.dispose([x, y, yOps, R, dx, auto, through]);
});

const nativeSkip = (nativeAddon() as { attentionForward?: unknown } | null)?.attentionForward ? false : 'the native add-on with the transformer kernels is not built';

test('the add-on\'s attention and GELU kernels equal the JavaScript ones to float32 rounding, and name a bad argument', { skip: nativeSkip }, () => {
  const k = transformerKernels();
  const js = transformerKernelsJs;
  assert.notEqual(k, js, 'the layers use the add-on\'s kernels when it has them');
  const rel = (a: Float32Array, b: Float32Array) => {
    let num = 0, den = 0;
    for (let i = 0; i < b.length; i++) {
      num = Math.max(num, Math.abs(a[i] - b[i]));
      den = Math.max(den, Math.abs(b[i]));
    }
    return num / den;
  };
  // 2 examples, 49 tokens, width 64 in 4 heads (the notebook's ViT), scores up to ~10 so the softmax is peaked
  const [n, t, d, heads] = [2, 49, 64, 4];
  const scale = 1 / Math.sqrt(d / heads);
  const x = tf.tidy(() => randomTensor([n, t, 3 * d], 91, 2).dataSync() as Float32Array);
  const dy = tf.tidy(() => randomTensor([n, t, d], 92).dataSync() as Float32Array);
  const run = (kk: typeof k) => {
    const A = new Float32Array(n * heads * t * t), out = new Float32Array(n * t * d);
    kk.attentionForward(n, t, heads, d, scale, x, A, out);
    const dx = new Float32Array(n * t * 3 * d), dxRecomputed = new Float32Array(n * t * 3 * d);
    kk.attentionBackward(n, t, heads, d, scale, dy, x, A, dx);
    kk.attentionBackward(n, t, heads, d, scale, dy, x, null, dxRecomputed);
    return { A, out, dx, dxRecomputed };
  };
  const a = run(k), b = run(js);
  assert.ok(rel(a.A, b.A) < 1e-6, `weights ${rel(a.A, b.A)}`);
  assert.ok(rel(a.out, b.out) < 1e-6, `forward ${rel(a.out, b.out)}`);
  assert.ok(rel(a.dx, b.dx) < 1e-5, `backward ${rel(a.dx, b.dx)}`);
  assert.ok(rel(a.dxRecomputed, a.dx) < 1e-7, `backward, weights recomputed ${rel(a.dxRecomputed, a.dx)}`);
  // GELU over [-12, 12], where Phi(a) spans 1e-33 to 1 (the JavaScript's double 1 + erf rounds to 0 below about -8.3)
  const m = 4001;
  const g = Float32Array.from({ length: m }, (_, i) => -12 + (24 * i) / (m - 1));
  const w = Float32Array.from({ length: m }, (_, i) => Math.cos(i));
  const [yk, yj, dk, dj] = [0, 1, 2, 3].map(() => new Float32Array(m));
  k.geluForward(m, g, yk);
  js.geluForward(m, g, yj);
  k.geluBackward(m, g, w, dk);
  js.geluBackward(m, g, w, dj);
  for (let i = 0; i < m; i++) {
    assert.ok(Math.abs(yk[i] - yj[i]) <= 2e-6 * Math.abs(yj[i]) + 1e-14, `gelu(${g[i]}): ${yk[i]} vs ${yj[i]}`);
    assert.ok(Math.abs(dk[i] - dj[i]) <= 2e-6 * Math.abs(w[i]), `gelu'(${g[i]}): ${dk[i]} vs ${dj[i]}`);
  }
  const f = (len: number) => new Float32Array(len);
  const native = k as unknown as Record<string, (...args: unknown[]) => void>;
  assert.throws(() => native.attentionForward(1, 2, 3, 4, 0.5, f(24), f(12), f(8)), /ldl_native\.attentionForward: heads must be at least 1 and divide d \(4\)/);
  assert.throws(() => native.attentionForward(1, 2, 2, 4, 0.5, f(23), f(8), f(8)), /ldl_native\.attentionForward: x has 23 elements, needs 24/);
  assert.throws(() => native.attentionBackward(1, 2, 2, 4, 0.5, f(8), f(24), f(7), f(24)), /ldl_native\.attentionBackward: A has 7 elements, needs 8/);
  assert.throws(() => native.geluBackward(3, f(3), f(2), f(3)), /ldl_native\.geluBackward: dy has 2 elements, needs 3/);
});
