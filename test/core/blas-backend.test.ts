// The `blas` backend against tfjs's `cpu` backend (the reference): every
// native kernel on random seeded shapes (size-1 dims, every transpose flag,
// batch broadcasting, strides, pads, dilations), gradients through them, no
// leaked tensors or memory over 10,000 calls, and tfjs-like shape errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, borrowedFloat32, Rng, nativeAvailable, nativeLoadError, tensorOutputFloat32, writableFloat32 } from '../../lib/core';
import { registerBlasBackend, BLAS_NATIVE_KERNELS } from '../../lib/core/blas-backend';

const status = registerBlasBackend();
const skip = nativeAvailable() && status.ok ? false : String(status.reason ?? nativeLoadError());
if (skip) console.log(`# skipping blas backend tests: ${skip}`);

/** Runs f on a backend and returns the values of every output (tensors disposed). */
function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const r = f();
    return (Array.isArray(r) ? r : [r]).map((t) => Float32Array.from(t.dataSync()));
  });
}

function shapesOn(backend: string, f: () => tf.Tensor): number[] {
  tf.setBackend(backend);
  return tf.tidy(() => f().shape);
}

/** Max |a-b| relative to max |b|; float32 products of length k agree to ~k*eps. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'output sizes differ');
  let scale = 1e-6, d = 0;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i])) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (!Number.isNaN(b[i]) && a[i] !== b[i]) d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return d / scale;
}

/** Compares blas with cpu for a computation given input arrays built on the current backend. */
function sameAsCpu(label: string, inputs: { shape: number[]; values: Float32Array }[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tol = 2e-5): void {
  const make = () => inputs.map((i) => tf.tensor(i.values, i.shape, 'float32'));
  const cpu = on('cpu', () => f(...make()));
  const blas = on('blas', () => f(...make()));
  assert.equal(blas.length, cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    const d = relDiff(blas[i], cpu[i]);
    assert.ok(d <= tol, `${label}: output ${i} differs from cpu by ${d}`);
  }
}

function randn(rng: Rng, shape: number[]): { shape: number[]; values: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal();
  return { shape, values };
}

test('registration: the backend exists, reports its BLAS and carries every cpu kernel', { skip }, () => {
  assert.equal(status.ok, true);
  assert.match(status.detail ?? '', /threads?|unknown/);
  const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).sort();
  const blas = tf.getKernelsForBackend('blas').map((k) => k.kernelName).sort();
  assert.deepEqual(blas, cpu);
  for (const k of BLAS_NATIVE_KERNELS) {
    assert.notEqual(tf.getKernel(k, 'blas')!.kernelFunc, tf.getKernel(k, 'cpu')!.kernelFunc, `${k} is native`);
  }
  // Registering twice is harmless.
  assert.equal(registerBlasBackend().ok, true);
});

test('matMul equals cpu on random shapes with size-1 dims and every transpose flag', { skip }, () => {
  const rng = new Rng(1);
  const dims = [1, 2, 5, 17, 64];
  for (let trial = 0; trial < 48; trial++) {
    const m = dims[rng.int(dims.length)], n = dims[rng.int(dims.length)], k = dims[rng.int(dims.length)];
    const tA = trial % 2 === 1, tB = (trial >> 1) % 2 === 1;
    const batch = trial % 3 === 0 ? [] : trial % 3 === 1 ? [3] : [2, 1 + rng.int(2)];
    const a = randn(rng, [...batch, ...(tA ? [k, m] : [m, k])]);
    const b = randn(rng, [...batch, ...(tB ? [n, k] : [k, n])]);
    sameAsCpu(`matMul m=${m} n=${n} k=${k} tA=${tA} tB=${tB} batch=${batch}`, [a, b], (x, y) => tf.matMul(x, y, tA, tB));
  }
});

test('batched matMul broadcasts like numpy, checked slice by slice against 2-D products on cpu', { skip }, () => {
  const rng = new Rng(2);
  // [2,1] x [1,3] -> [2,3]: each operand broadcast along a different axis;
  // [4] x [2,1,4]: rank-3 against rank-4 with a leading broadcast.
  const cases: [number[], number[]][] = [[[2, 1], [1, 3]], [[4], [2, 1]], [[1], [3]], [[3], []], [[2, 3], [3]]];
  for (const [ba, bb] of cases) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const m = 3, n = 2, k = 4;
      const a = randn(rng, [...ba, ...(tA ? [k, m] : [m, k])]);
      const b = randn(rng, [...bb, ...(tB ? [n, k] : [k, n])]);
      const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(ba, bb);
      const blas = on('blas', () => tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape), tA, tB))[0];
      assert.deepEqual(shapesOn('blas', () => tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape), tA, tB)), [...outBatch, m, n]);
      // Reference: index each operand's batch under broadcasting, multiply 2-D slices on cpu.
      const total = outBatch.reduce((p, q) => p * q, 1);
      for (let i = 0; i < total; i++) {
        const idx: number[] = [];
        let rem = i;
        for (let d = outBatch.length - 1; d >= 0; d--) { idx.unshift(rem % outBatch[d]); rem = Math.floor(rem / outBatch[d]); }
        const flat = (shape: number[]) => {
          const pad = outBatch.length - shape.length;
          let f = 0;
          for (let d = 0; d < shape.length; d++) f = f * shape[d] + (shape[d] === 1 ? 0 : idx[d + pad]);
          return f;
        };
        const sa = tA ? k * m : m * k, sb = tB ? n * k : k * n;
        const ia = flat(ba), ib = flat(bb);
        const ref = on('cpu', () => tf.matMul(
          tf.tensor(a.values.subarray(ia * sa, (ia + 1) * sa), tA ? [k, m] : [m, k]),
          tf.tensor(b.values.subarray(ib * sb, (ib + 1) * sb), tB ? [n, k] : [k, n]), tA, tB))[0];
        assert.ok(relDiff(blas.subarray(i * m * n, (i + 1) * m * n), ref) < 2e-6, `batch ${ba} x ${bb} slice ${i}`);
      }
    }
  }
});

test('fused matMul with bias and every activation equals cpu', { skip }, () => {
  const rng = new Rng(3);
  const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
  for (const activation of activations) {
    for (const [tA, tB] of [[false, false], [true, true], [true, false], [false, true]] as const) {
      for (const biasShape of [[6], [4, 6], [1, 6], null]) {
        const a = randn(rng, tA ? [5, 4] : [4, 5]);
        const b = randn(rng, tB ? [6, 5] : [5, 6]);
        const inputs = [a, b];
        if (biasShape) inputs.push(randn(rng, biasShape));
        const alpha = randn(rng, [6]);
        inputs.push(alpha);
        sameAsCpu(`fused ${activation} tA=${tA} tB=${tB} bias=${biasShape}`, inputs, (...xs) => tf.fused.matMul({
          a: xs[0], b: xs[1], transposeA: tA, transposeB: tB, bias: biasShape ? xs[2] : undefined, activation,
          preluActivationWeights: activation === 'prelu' ? xs[xs.length - 1] : undefined, leakyreluAlpha: 0.15,
        }));
      }
    }
  }
});

test('conv2d and fused conv2d equal cpu: strides, same/valid/explicit pads, dilations, size-1 dims, NCHW', { skip }, () => {
  const rng = new Rng(4);
  const pads: ('same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]])[] =
    ['same', 'valid', [[0, 0], [1, 2], [0, 1], [0, 0]]];
  for (let trial = 0; trial < 36; trial++) {
    const n = 1 + rng.int(3), h = 1 + rng.int(9), w = 1 + rng.int(9), c = 1 + rng.int(3), oc = 1 + rng.int(4);
    const fh = 1 + rng.int(3), fw = 1 + rng.int(3);
    const pad = pads[trial % 3];
    const dil = trial % 4 === 3 ? 2 : 1;
    const stride = dil > 1 ? 1 : 1 + rng.int(2); // tfjs allows strides > 1 only with dilation 1
    if (pad === 'valid' && (h < (fh - 1) * dil + 1 || w < (fw - 1) * dil + 1)) continue;
    const x = randn(rng, [n, h, w, c]);
    const f = randn(rng, [fh, fw, c, oc]);
    const b = randn(rng, [oc]);
    const label = `conv x=${x.shape} f=${f.shape} stride=${stride} pad=${JSON.stringify(pad)} dil=${dil}`;
    sameAsCpu(label, [x, f], (xx, ff) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, stride, pad, 'NHWC', dil));
    sameAsCpu(`fused ${label}`, [x, f, b], (xx, ff, bb) => tf.fused.conv2d({
      x: xx as tf.Tensor4D, filter: ff as tf.Tensor4D, strides: stride, pad, dilations: dil, bias: bb, activation: trial % 2 ? 'relu' : 'elu',
    }));
  }
  // NCHW goes to the cpu kernel and must still agree.
  const x = randn(rng, [2, 3, 6, 5]);
  const f = randn(rng, [3, 3, 3, 4]);
  sameAsCpu('conv NCHW', [x, f], (xx, ff) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same', 'NCHW'));
});

test('conv2dTranspose (Conv2DBackpropInput) equals cpu', { skip }, () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 16; trial++) {
    const n = 1 + rng.int(2), h = 2 + rng.int(6), w = 2 + rng.int(6), c = 1 + rng.int(3), oc = 1 + rng.int(3);
    const k = 1 + rng.int(3), stride = 1 + rng.int(2), pad = trial % 2 ? 'same' : 'valid';
    const y = randn(rng, [n, h, w, oc]);
    const f = randn(rng, [k, k, c, oc]);
    const outH = pad === 'same' ? h * stride : (h - 1) * stride + k, outW = pad === 'same' ? w * stride : (w - 1) * stride + k;
    sameAsCpu(`conv2dTranspose y=${y.shape} k=${k} s=${stride} ${pad}`, [y, f],
      (yy, ff) => tf.conv2dTranspose(yy as tf.Tensor4D, ff as tf.Tensor4D, [n, outH, outW, c], stride, pad as 'same' | 'valid'));
  }
});

test('gradients through matMul, fused matMul, conv2d, fused conv2d and maxPool equal cpu autodiff', { skip }, () => {
  const rng = new Rng(6);
  const x = randn(rng, [3, 10, 10, 2]);
  const f1 = randn(rng, [3, 3, 2, 4]);
  const b1 = randn(rng, [4]);
  const w2 = randn(rng, [64, 5]);
  const b2 = randn(rng, [5]);
  const w3 = randn(rng, [5, 7]);
  const loss = (xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor, ww2: tf.Tensor, bb2: tf.Tensor, ww3: tf.Tensor) => {
    const h1 = tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ff as tf.Tensor4D, strides: 1, pad: 'same', bias: bb, activation: 'relu' });
    const h1b = tf.conv2d(h1, tf.ones([1, 1, 4, 4]) as tf.Tensor4D, [1, 1], 'valid');
    const p = tf.maxPool(h1b, 3, 2, 'same'); // [3,5,5,4] -> 100 features; take 64 of them
    const flat = p.reshape([3, 100]).slice([0, 0], [3, 64]);
    const h2 = tf.fused.matMul({ a: flat, b: ww2, bias: bb2, activation: 'relu' });
    const out = tf.matMul(h2, ww3);
    return tf.losses.softmaxCrossEntropy(tf.oneHot([1, 4, 6], 7), out) as tf.Scalar;
  };
  sameAsCpu('grads', [x, f1, b1, w2, b2, w3], (...xs) => tf.grads(loss)(xs), 1e-4);
  // Transposed operands in the gradient of matMul(a^T, b^T).
  const a = randn(rng, [4, 3]), b = randn(rng, [5, 4]);
  sameAsCpu('grads transposed', [a, b], (...xs) => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, true, true).square().sum())(xs));
});

test('max pooling and its gradient equal cpu, including ties', { skip }, () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 12; trial++) {
    const x = randn(rng, [1 + rng.int(2), 2 + rng.int(8), 2 + rng.int(8), 1 + rng.int(3)]);
    if (trial % 3 === 0) for (let i = 0; i < x.values.length; i++) x.values[i] = Math.round(x.values[i]); // ties
    const size = 1 + rng.int(3), stride = 1 + rng.int(2), pad = trial % 2 ? 'same' : 'valid';
    if (pad === 'valid' && (x.shape[1] < size || x.shape[2] < size)) continue;
    sameAsCpu(`maxPool ${x.shape} ${size} ${stride} ${pad}`, [x], (xx) => tf.maxPool(xx as tf.Tensor4D, size, stride, pad as 'same'));
    sameAsCpu(`maxPool grad ${x.shape} ${size} ${stride} ${pad}`, [x], (xx) => tf.grad((z: tf.Tensor) => tf.maxPool(z as tf.Tensor4D, size, stride, pad as 'same').mul(tf.range(1, 1 + tf.maxPool(z as tf.Tensor4D, size, stride, pad as 'same').size).reshape(tf.maxPool(z as tf.Tensor4D, size, stride, pad as 'same').shape)).sum())(xx));
  }
});

test('elementwise Add/Sub/Multiply/RealDiv, Relu, Step (ReLU gradient) and Sum equal cpu on every broadcast and axis pattern', { skip }, () => {
  const rng = new Rng(9);
  const pairs: [number[], number[]][] = [
    [[4, 5], [4, 5]], [[4, 5], [5]], [[5], [4, 5]], [[4, 5], []], [[], [4, 5]], [[2, 3, 4], [1, 3, 4]], [[2, 3, 4], [4]],
    [[4, 1], [4, 5]], [[1, 5], [4, 1]], [[1], [1]], [[3, 1, 2], [2]], [[0, 3], [3]],
  ];
  for (const [sa, sb] of pairs) {
    const a = randn(rng, sa), b = randn(rng, sb);
    for (let i = 0; i < b.values.length; i += 3) b.values[i] = 0; // division by zero gives the same infinities
    sameAsCpu(`add ${sa} ${sb}`, [a, b], (x, y) => tf.add(x, y), 1e-7);
    sameAsCpu(`sub ${sa} ${sb}`, [a, b], (x, y) => tf.sub(x, y), 1e-7);
    sameAsCpu(`mul ${sa} ${sb}`, [a, b], (x, y) => tf.mul(x, y), 1e-7);
    const div = (x: tf.Tensor, y: tf.Tensor) => tf.div(x, y).isFinite().cast('float32').add(tf.div(x, y).clipByValue(-1e6, 1e6));
    sameAsCpu(`div ${sa} ${sb}`, [a, b], div, 1e-7);
  }
  // Integer tensors go to the cpu kernels and keep their dtype.
  tf.setBackend('blas');
  assert.equal(tf.tidy(() => tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3], [1], 'int32')).dtype), 'int32');
  const x = randn(rng, [3, 4, 5]);
  x.values[0] = NaN; x.values[1] = 0; x.values[2] = -0;
  sameAsCpu('relu', [x], (t) => tf.relu(t), 0);
  sameAsCpu('step', [x], (t) => tf.step(t, 0.25), 0);
  sameAsCpu('relu grad', [randn(rng, [3, 4, 5])], (t) => tf.grad((z: tf.Tensor) => tf.relu(z).mul(z).sum())(t));
  const axesCases: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 1], [1, 2], [0, 2], [0, 1, 2], []];
  const y = randn(rng, [3, 4, 5]);
  for (const axis of axesCases) {
    for (const keepDims of [false, true]) {
      sameAsCpu(`sum axis=${axis} keepDims=${keepDims}`, [y], (t) => tf.sum(t, axis, keepDims), 1e-6);
      assert.deepEqual(shapesOn('blas', () => tf.sum(tf.tensor(y.values, y.shape), axis, keepDims)), shapesOn('cpu', () => tf.sum(tf.tensor(y.values, y.shape), axis, keepDims)));
    }
  }
  // Sum of a float32 in double precision: 1e8 + 1 - 1e8 loses the 1 in float32 but not in double accumulation.
  sameAsCpu('sum precision', [{ shape: [3], values: new Float32Array([1e8, 1, -1e8]) }], (t) => tf.sum(t), 0);
});

/** On blas: a tensor's array as the backend holds it, a seeded Rng and two random tensors of a recyclable length. */
function poolSetup(seed: number) {
  tf.setBackend('blas');
  const backend = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } };
  const internal = (t: tf.Tensor) => backend.data.get(t.dataId).values;
  const rng = new Rng(seed);
  const n = 8192;
  return { internal, rng, n, x: tf.tensor(randn(rng, [n]).values, [n]), y: tf.tensor(randn(rng, [n]).values, [n]) };
}

test('recycled output arrays: reused after dispose, never when read, viewed, shared or owned by the user', { skip }, () => {
  const { internal, rng, n, x, y } = poolSetup(10);
  const expected = on('cpu', () => tf.add(tf.tensor(x.dataSync().slice()), tf.tensor(y.dataSync().slice())))[0];
  tf.setBackend('blas');
  // Released and unseen: the next output of that length takes the same array.
  const t1 = tf.add(x, y);
  const a1 = internal(t1);
  t1.dispose();
  const t2 = tf.add(x, y);
  assert.equal(internal(t2), a1, 'the array was recycled');
  assert.deepEqual(Array.from(t2.dataSync()), Array.from(expected));
  t2.dispose();
  // Read by the user (dataSync hands out the backend's own array): never recycled.
  const t3 = tf.mul(x, y);
  const seen = t3.dataSync();
  const copy = seen.slice();
  t3.dispose();
  for (let i = 0; i < 20; i++) tf.tidy(() => tf.sub(tf.add(x, y), y));
  assert.deepEqual(Array.from(seen), Array.from(copy), 'a read array was overwritten after dispose');
  // A slice may be a view into its input's array: disposing the input must not recycle it.
  const t4 = tf.add(x, y);
  const view = tf.slice(t4, [100], [50]);
  t4.dispose();
  for (let i = 0; i < 20; i++) tf.tidy(() => tf.mul(tf.sub(x, y), 3)); // values unlike x + y
  assert.deepEqual(Array.from(view.dataSync()), Array.from(expected.subarray(100, 150)), 'a slice view was overwritten');
  view.dispose();
  // A user's array given to tf.tensor is never taken over.
  const mine = new Float32Array(n).fill(1.5);
  const t5 = tf.tensor(mine, [n]);
  tf.tidy(() => tf.add(t5, y)).dispose();
  t5.dispose();
  for (let i = 0; i < 20; i++) tf.tidy(() => tf.add(x, y));
  assert.ok(mine.every((v) => v === 1.5), "the user's array was overwritten");
  // Recycled arrays hold stale data: every kernel must overwrite all of it (an empty sum gives zeros).
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.add(x, y));
  const empty = tf.tidy(() => tf.matMul(tf.zeros([128, 0]), tf.zeros([0, 64])));
  assert.ok(empty.dataSync().every((v) => v === 0));
  tf.dispose([x, y, empty]);
});

test('lent arrays: a borrowed array stays recyclable, a tensor made on a pooled array returns it, in-place writes spare other tensors', { skip }, () => {
  const { internal, rng, n, x, y } = poolSetup(11);
  // Borrowed (not read): the same array, and after dispose the next output of that length takes it.
  const t1 = tf.add(x, y);
  const lent = borrowedFloat32(t1);
  assert.equal(lent, internal(t1));
  t1.dispose();
  const t2 = tf.add(x, y);
  assert.equal(internal(t2), lent, 'a borrowed array was not recycled');
  t2.dispose();
  // A tensor made on tensorOutputFloat32's array: that array goes back to the pool when the tensor is disposed.
  const out = tensorOutputFloat32(n);
  out.fill(2);
  const t3 = tf.tensor(out, [n]);
  assert.equal(internal(t3), out);
  t3.dispose();
  const t4 = tf.mul(x, y);
  assert.equal(internal(t4), out, 'the output array was not recycled');
  t4.dispose();
  // writableFloat32: its own array when no other tensor sees it ...
  const v = tf.tidy(() => tf.variable(tf.add(x, y))); // the tidy releases the initial tensor, which would share the data id
  const own = internal(v);
  const w = writableFloat32(v);
  assert.equal(w, own, 'a variable no other tensor sees was copied');
  w[0] = 7;
  assert.equal(v.dataSync()[0], 7);
  // ... a private copy first when a slice views its memory (another data id), so the slice keeps its values.
  const u = tf.tidy(() => tf.variable(tf.tensor(randn(rng, [n]).values, [n])));
  const before = Float32Array.from(u.dataSync());
  const view = tf.slice(u, [0], [100]);
  const uw = writableFloat32(u);
  assert.notEqual(uw.buffer, internal(view).buffer, 'the variable still writes into the viewed buffer');
  uw.fill(-1);
  assert.deepEqual(Array.from(view.dataSync()), Array.from(before.subarray(0, 100)), 'a slice of the variable saw the in-place write');
  assert.equal(u.dataSync()[5], -1);
  // ... and when a reshape shares its data id.
  const r = u.reshape([n / 2, 2]);
  writableFloat32(u).fill(3);
  assert.equal(r.dataSync()[0], -1, 'a reshape of the variable saw the in-place write');
  assert.throws(() => borrowedFloat32(tf.tensor([1, 2], [2], 'int32'), 'labels'), (e: unknown) => e instanceof ArgumentError && /labels/.test(e.message) && /int32/.test(e.message));
  tf.dispose([x, y, v, u, view, r]);
});

test('10,000 kernel calls leak no tensors and no unbounded memory', { skip }, () => {
  tf.setBackend('blas');
  const rng = new Rng(8);
  const a = tf.tensor(randn(rng, [8, 6]).values, [8, 6]);
  const b = tf.tensor(randn(rng, [6, 4]).values, [6, 4]);
  const x = tf.tensor(randn(rng, [1, 6, 6, 2]).values, [1, 6, 6, 2]) as tf.Tensor4D;
  const f = tf.tensor(randn(rng, [3, 3, 2, 2]).values, [3, 3, 2, 2]) as tf.Tensor4D;
  const step = () => tf.tidy(() => {
    const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.fused.matMul({ a: p, b: q, bias: tf.ones([4]), activation: 'relu' }).sum())([a, b]);
    const c = tf.maxPool(tf.conv2d(x, f, 1, 'same'), 2, 2, 'valid');
    return g[0].sum().add(c.sum()).dataSync()[0];
  });
  for (let i = 0; i < 500; i++) step(); // warm up allocators and JIT before the baseline
  const tensors = tf.memory().numTensors;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let checksum = 0;
  for (let i = 0; i < 10_000; i++) checksum += step();
  global.gc?.();
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.equal(tf.memory().numTensors, tensors, 'tensor count grew');
  assert.ok(Number.isFinite(checksum));
  // Each call allocates ~2 KB; a leak of every output would be > 40 MB.
  assert.ok(grown < 40, `RSS grew by ${grown.toFixed(1)} MB over 10,000 calls`);
  tf.dispose([a, b, x, f]);
});

test('bad shapes throw errors as clear as tfjs, on the op and on the kernel', { skip }, () => {
  tf.setBackend('blas');
  const a = tf.zeros([2, 3]), b = tf.zeros([4, 5]);
  assert.throws(() => tf.matMul(a, b), /inner shapes \(3\) and \(4\)/);
  // Straight to the kernel, bypassing the op's own checks.
  assert.throws(() => tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }), /Error in matMul: inner shapes \(3\) and \(4\)/);
  assert.throws(() => tf.engine().runKernel('BatchMatMul', { a: tf.zeros([2, 2, 3]), b: tf.zeros([3, 3, 4]) }, { transposeA: false, transposeB: false }), /broadcast/i);
  const x = tf.zeros([1, 5, 5, 2]) as tf.Tensor4D;
  assert.throws(() => tf.conv2d(x, tf.zeros([3, 3, 3, 1]) as tf.Tensor4D, 1, 'valid'), /depth of input \(2\) must match input depth for filter 3/);
  assert.throws(() => tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.zeros([1, 4, 4, 1]), filter: tf.zeros([3, 3, 2, 1]) },
    { inputShape: [1, 5, 5, 2], strides: 1, pad: 'valid' }), /dy shape 1,4,4,1 does not match the convolution output shape 1,3,3,1/);
  assert.throws(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: tf.zeros([1, 4, 4, 1]) },
    { filterShape: [3, 3, 2, 1], strides: 1, pad: 'valid' }), /dy shape 1,4,4,1 does not match/);
  tf.disposeVariables();
});
