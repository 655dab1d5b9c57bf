// The native add-on against independent references: gemm against the JS
// reference gemmJs and a hand-computed product; convolutions against a
// brute-force float64 loop and the adjoint identities their gradients must
// satisfy; max pooling against a brute-force window scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  Rng, gemm, gemmJs, gemmIsNative, nativeAvailable, nativeLoadError, nativeAddon, blasInfo, blasThreads, setBlasThreads,
  type FloatArray,
} from '../../lib/core';

const skip = nativeAvailable() ? false : String(nativeLoadError());
if (skip) console.log(`# skipping native tests: ${skip}`);

function randomArray(rng: Rng, n: number, f64: boolean): FloatArray {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-30;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / scale;
}

test('the add-on loaded and gemm uses it', { skip }, () => {
  assert.equal(gemmIsNative(), true);
  const info = blasInfo();
  assert.match(info ?? '', /(OpenBLAS|CBLAS).*\d+ threads?|threads unknown/);
});

test('a hand-computed 2x3 @ 3x2 product, f32 and f64', { skip }, () => {
  // [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
  for (const T of [Float32Array, Float64Array]) {
    const a = new T([1, 2, 3, 4, 5, 6]);
    const b = new T([7, 8, 9, 10, 11, 12]);
    const c = new T(4);
    gemm(2, 2, 3, a, b, c);
    assert.deepEqual(Array.from(c), [58, 64, 139, 154]);
    // A^T with A stored 3x2 ([[1,4],[2,5],[3,6]]), alpha 2, beta 1 onto ones.
    const at = new T([1, 4, 2, 5, 3, 6]);
    c.fill(1);
    gemm(2, 2, 3, at, b, c, { transA: true, alpha: 2, beta: 1 });
    assert.deepEqual(Array.from(c), [117, 129, 279, 309]);
  }
});

test('gemm f32 and f64 match gemmJs on random shapes, every transpose flag, alpha/beta, padded leading dims and subarray views', { skip }, () => {
  const rng = new Rng(11);
  const dims = [1, 2, 3, 7, 16, 33];
  let cases = 0;
  for (const f64 of [false, true]) {
    for (let trial = 0; trial < 40; trial++) {
      const m = dims[rng.int(dims.length)], n = dims[rng.int(dims.length)], k = dims[rng.int(dims.length)];
      const transA = trial % 2 === 1, transB = (trial >> 1) % 2 === 1;
      const padA = rng.int(3), padB = rng.int(3), padC = rng.int(3);
      const lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
      const alpha = trial % 5 === 0 ? 1 : rng.normal(), beta = trial % 3 === 0 ? 0 : rng.normal();
      // Views start 5 elements into larger buffers, so byteOffset must be honoured.
      const off = 5;
      const aBuf = randomArray(rng, off + (transA ? k : m) * lda, f64);
      const bBuf = randomArray(rng, off + (transB ? n : k) * ldb, f64);
      const cBuf = randomArray(rng, off + m * ldc + 3, f64);
      const cRef = cBuf.slice();
      const a = aBuf.subarray(off), b = bBuf.subarray(off), c = cBuf.subarray(off), cr = cRef.subarray(off);
      gemm(m, n, k, a, b, c, { transA, transB, alpha, beta, lda, ldb, ldc });
      gemmJs(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cr, ldc);
      assert.ok(maxRelDiff(cBuf, cRef) < (f64 ? 1e-12 : 2e-5), `m=${m} n=${n} k=${k} transA=${transA} transB=${transB} f64=${f64}`);
      // Elements outside the view and the padding columns of C are untouched.
      for (let i = 0; i < off; i++) assert.equal(cBuf[i], cRef[i]);
      for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) assert.equal(c[i * ldc + j], cr[i * ldc + j]);
      cases++;
    }
  }
  assert.equal(cases, 80);
});

test('the add-on rejects short arrays, mixed types and bad sizes with a message naming the problem', { skip }, () => {
  const addon = nativeAddon()!;
  const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
  assert.throws(() => addon.gemm(false, false, 2, 2, 4, 1, a, 4, b, 2, 0, c, 2), /a is too short/);
  assert.throws(() => addon.gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, new Float32Array(3), 2), /c is too short/);
  assert.throws(() => addon.gemm(false, false, 2, 2, 3, 1, a, 3, new Float64Array(6), 2, 0, c, 2), /must all be Float32Array or all Float64Array/);
  assert.throws(() => addon.gemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2), /non-negative integers/);
  assert.throws(() => addon.gemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2), /lda/);
  // Through the public gemm the error names the argument.
  assert.throws(() => gemm(2, 2, 4, a, b, c), /a/);
  assert.throws(() => gemm(2, 2, 3, a, new Float64Array(6), c), /b/);
});

test('BLAS threads can be set and read back', { skip }, () => {
  const before = blasThreads();
  if (before === null) return; // not OpenBLAS: nothing to set
  assert.equal(setBlasThreads(1), true);
  assert.equal(blasThreads(), 1);
  setBlasThreads(before);
  assert.equal(blasThreads(), before);
  assert.throws(() => setBlasThreads(0), /n/);
});

// ---- convolution helpers, NHWC, filter [FH, FW, C, OC]

interface Geo { N: number; H: number; W: number; C: number; OH: number; OW: number; OC: number; FH: number; FW: number; SH: number; SW: number; DH: number; DW: number; PT: number; PL: number }

function geoArgs(g: Geo): number[] {
  return [g.N, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.FH, g.FW, g.SH, g.SW, g.DH, g.DW, g.PT, g.PL];
}

function convBrute(g: Geo, x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(g.N * g.OH * g.OW * g.OC);
  for (let n = 0; n < g.N; n++) for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) for (let o = 0; o < g.OC; o++) {
    let s = 0;
    for (let fy = 0; fy < g.FH; fy++) for (let fx = 0; fx < g.FW; fx++) {
      const iy = oy * g.SH - g.PT + fy * g.DH, ix = ox * g.SW - g.PL + fx * g.DW;
      if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
      for (let c = 0; c < g.C; c++) s += x[((n * g.H + iy) * g.W + ix) * g.C + c] * w[((fy * g.FW + fx) * g.C + c) * g.OC + o];
    }
    y[((n * g.OH + oy) * g.OW + ox) * g.OC + o] = s;
  }
  return y;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function randomGeo(rng: Rng, identity: boolean): Geo {
  const pick = (xs: number[]) => xs[rng.int(xs.length)];
  const N = pick([1, 2, 3]), H = pick([1, 5, 8]), W = pick([1, 4, 9]), C = pick([1, 2, 3]), OC = pick([1, 4]);
  if (identity) return { N, H, W, C, OH: H, OW: W, OC, FH: 1, FW: 1, SH: 1, SW: 1, DH: 1, DW: 1, PT: 0, PL: 0 };
  const FH = pick([1, 2, 3]), FW = pick([1, 3]), SH = pick([1, 2]), SW = pick([1, 3]), DH = pick([1, 2]), DW = pick([1, 2]);
  const PT = rng.int(3), PL = rng.int(3);
  const OH = Math.max(0, Math.floor((H + 2 * PT - (FH - 1) * DH - 1) / SH) + 1);
  const OW = Math.max(0, Math.floor((W + 2 * PL - (FW - 1) * DW - 1) / SW) + 1);
  return { N, H, W, C, OH, OW, OC, FH, FW, SH, SW, DH, DW, PT, PL };
}

test('conv2d matches a brute-force loop; its two backprops satisfy the adjoint identities <conv(x,w),dy> = <x,dX(dy,w)> = <w,dW(x,dy)>', { skip }, () => {
  const addon = nativeAddon()!;
  const rng = new Rng(5);
  for (let trial = 0; trial < 60; trial++) {
    const g = randomGeo(rng, trial % 6 === 0);
    const nx = g.N * g.H * g.W * g.C, nw = g.FH * g.FW * g.C * g.OC, ny = g.N * g.OH * g.OW * g.OC;
    const x = randomArray(rng, nx, false) as Float32Array, w = randomArray(rng, nw, false) as Float32Array;
    const dy = randomArray(rng, ny, false) as Float32Array;
    const y = new Float32Array(ny);
    addon.conv2d(x, w, y, ...geoArgs(g));
    const ref = convBrute(g, x, w);
    assert.ok(maxRelDiff(y, ref) < 1e-5, `conv2d ${JSON.stringify(g)}`);
    const dx = new Float32Array(nx).fill(7); // must be overwritten, not accumulated into
    addon.conv2dBackpropInput(dy, w, dx, ...geoArgs(g));
    const dw = new Float32Array(nw).fill(7);
    addon.conv2dBackpropFilter(x, dy, dw, ...geoArgs(g));
    const lhs = dot(ref, dy);
    const scale = Math.sqrt(dot(ref, ref) * dot(dy, dy)) + 1e-6;
    assert.ok(Math.abs(dot(x, dx) - lhs) < 1e-5 * scale + 1e-6, `backprop input adjoint ${JSON.stringify(g)}`);
    assert.ok(Math.abs(dot(w, dw) - lhs) < 1e-5 * scale + 1e-6, `backprop filter adjoint ${JSON.stringify(g)}`);
  }
});

test('conv2d backprops equal explicit derivatives (one unit input / one unit dy)', { skip }, () => {
  // dX for dy = e_j is row j of the linear map x -> conv(x, w); compare with brute force on unit vectors.
  const addon = nativeAddon()!;
  const g: Geo = { N: 1, H: 4, W: 3, C: 2, OH: 2, OW: 2, OC: 2, FH: 2, FW: 2, SH: 2, SW: 1, DH: 1, DW: 1, PT: 0, PL: 0 };
  const rng = new Rng(9);
  const nx = 24, nw = 16, ny = 8;
  const w = randomArray(rng, nw, false) as Float32Array;
  for (let j = 0; j < ny; j++) {
    const dy = new Float32Array(ny); dy[j] = 1;
    const dx = new Float32Array(nx);
    addon.conv2dBackpropInput(dy, w, dx, ...geoArgs(g));
    for (let i = 0; i < nx; i++) {
      const e = new Float32Array(nx); e[i] = 1;
      assert.ok(Math.abs(convBrute(g, e, w)[j] - dx[i]) < 1e-6);
    }
  }
});

test('conv helpers reject short arrays and zero strides', { skip }, () => {
  const addon = nativeAddon()!;
  const g: Geo = { N: 1, H: 3, W: 3, C: 1, OH: 1, OW: 1, OC: 1, FH: 3, FW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 0, PL: 0 };
  assert.throws(() => addon.conv2d(new Float32Array(8), new Float32Array(9), new Float32Array(1), ...geoArgs(g)), /shorter/);
  assert.throws(() => addon.conv2d(new Float32Array(9), new Float32Array(9), new Float32Array(1), ...geoArgs({ ...g, SH: 0 })), /strides/);
});

test('maxPool matches a brute-force window scan; scatterAdd routes dy to the arg-max', { skip }, () => {
  const addon = nativeAddon()!;
  const rng = new Rng(3);
  for (let trial = 0; trial < 30; trial++) {
    const N = 1 + rng.int(2), H = 1 + rng.int(7), W = 1 + rng.int(7), C = 1 + rng.int(3);
    const FH = 1 + rng.int(3), FW = 1 + rng.int(3), SH = 1 + rng.int(2), SW = 1 + rng.int(2);
    const PT = rng.int(FH), PL = rng.int(FW);
    const OH = Math.floor((H + PT - FH) / SH) + 1, OW = Math.floor((W + PL - FW) / SW) + 1;
    if (OH < 1 || OW < 1) continue;
    const x = new Float32Array(N * H * W * C);
    // Integers make ties common, so the first-maximum rule is exercised.
    for (let i = 0; i < x.length; i++) x[i] = rng.int(4);
    const ny = N * OH * OW * C;
    const y = new Float32Array(ny), am = new Int32Array(ny);
    addon.maxPool(x, y, am, N, H, W, C, OH, OW, FH, FW, SH, SW, 1, 1, PT, PL);
    const dy = randomArray(rng, ny, false) as Float32Array;
    const dxRef = new Float64Array(x.length);
    for (let n = 0; n < N; n++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < C; c++) {
      let best = -Infinity, where = -1;
      for (let fy = 0; fy < FH; fy++) for (let fx = 0; fx < FW; fx++) {
        const iy = oy * SH - PT + fy, ix = ox * SW - PL + fx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        const idx = ((n * H + iy) * W + ix) * C + c;
        if (x[idx] > best) { best = x[idx]; where = idx; }
      }
      const o = ((n * OH + oy) * OW + ox) * C + c;
      assert.equal(y[o], best);
      assert.equal(am[o], where);
      dxRef[where] += dy[o];
    }
    const dx = new Float32Array(x.length).fill(3);
    addon.scatterAdd(dy, am, dx);
    assert.ok(maxRelDiff(dx, dxRef) < 1e-6);
  }
});

test('the build script stops with a clear one-line reason when the compiler or the BLAS is missing', () => {
  // Both checks fail before node-gyp runs, so the built add-on is untouched.
  const script = path.join(__dirname, '..', '..', 'scripts', 'build-native.mjs');
  const noCompiler = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CXX: '/nonexistent/c++' } });
  assert.equal(noCompiler.status, 1);
  assert.match(noCompiler.stderr, /^native: not built -- no C\+\+ compiler found/);
  const noBlas = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, LDL_BLAS_LIBS: '-lno_such_blas_library' } });
  if (noBlas.stderr.includes('no C++ compiler')) return; // machine without a compiler: the first check already covered it
  assert.equal(noBlas.status, 1);
  assert.match(noBlas.stderr, /^native: not built -- no CBLAS found to link/);
});
