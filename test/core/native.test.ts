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
  rnnElementwiseJs, rnnElementwiseIsNative, type RnnElementwise, type FloatArray,
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

/** One native gemm call against gemmJs on random data, padded leading dims, a view 5 elements into its buffer. */
function checkGemmAgainstJs(rng: Rng, m: number, n: number, k: number, transA: boolean, transB: boolean, f64: boolean, alpha: number, beta: number): void {
  const padA = rng.int(3), padB = rng.int(3), padC = rng.int(3);
  const lda = Math.max(1, (transA ? m : k) + padA), ldb = Math.max(1, (transB ? k : n) + padB), ldc = n + padC;
  // Views start 5 elements into larger buffers, so byteOffset must be honoured.
  const off = 5;
  const aBuf = randomArray(rng, off + (transA ? k : m) * lda, f64);
  const bBuf = randomArray(rng, off + (transB ? n : k) * ldb, f64);
  const cBuf = randomArray(rng, off + m * ldc + 3, f64);
  const cRef = cBuf.slice();
  const a = aBuf.subarray(off), b = bBuf.subarray(off), c = cBuf.subarray(off), cr = cRef.subarray(off);
  gemm(m, n, k, a, b, c, { transA, transB, alpha, beta, lda, ldb, ldc });
  gemmJs(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cr, ldc);
  const what = `m=${m} n=${n} k=${k} transA=${transA} transB=${transB} f64=${f64} lda=${lda} ldb=${ldb} ldc=${ldc}`;
  assert.ok(maxRelDiff(cBuf, cRef) < (f64 ? 1e-12 : 2e-5), what);
  // Elements outside the view and the padding columns of C are untouched.
  for (let i = 0; i < off; i++) assert.equal(cBuf[i], cRef[i], what);
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) assert.equal(c[i * ldc + j], cr[i * ldc + j], what);
}

test('gemm f32 and f64 match gemmJs on random shapes, every transpose flag, alpha/beta, padded leading dims and subarray views', { skip }, () => {
  const rng = new Rng(11);
  const dims = [1, 2, 3, 7, 16, 33];
  let cases = 0;
  for (const f64 of [false, true]) {
    for (let trial = 0; trial < 40; trial++) {
      const m = dims[rng.int(dims.length)], n = dims[rng.int(dims.length)], k = dims[rng.int(dims.length)];
      const transA = trial % 2 === 1, transB = (trial >> 1) % 2 === 1;
      const alpha = trial % 5 === 0 ? 1 : rng.normal(), beta = trial % 3 === 0 ? 0 : rng.normal();
      checkGemmAgainstJs(rng, m, n, k, transA, transB, f64, alpha, beta);
      cases++;
    }
  }
  assert.equal(cases, 80);
});

test('gemm with one output column or row (the add-on calls gemv there) matches gemmJs for every transpose flag, stride and k = 0', { skip }, () => {
  const rng = new Rng(12);
  let cases = 0;
  for (const f64 of [false, true]) {
    for (const [m, n] of [[1, 9], [9, 1], [1, 1], [300, 1], [1, 300]]) {
      for (const k of [0, 1, 5, 40]) {
        for (let flags = 0; flags < 4; flags++) {
          checkGemmAgainstJs(rng, m, n, k, flags % 2 === 1, flags >= 2, f64, rng.normal(), flags === 0 ? 0 : rng.normal());
          cases++;
        }
      }
    }
  }
  assert.equal(cases, 160);
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

test('thin or tiny products run on one BLAS thread whatever the setting (their bits equal a one-thread run), and the setting is restored', { skip }, () => {
  const before = blasThreads();
  if (before === null) return; // not OpenBLAS: no thread control
  const rng = new Rng(17);
  const run = (threads: number, m: number, n: number, k: number, a: Float32Array, b: Float32Array) => {
    setBlasThreads(threads);
    const c = new Float32Array(m * n);
    gemm(m, n, k, a, b, c);
    assert.equal(blasThreads(), threads, 'the thread setting is restored after the call');
    return Buffer.from(c.buffer);
  };
  try {
    // 128x256 @ 256x10 (0.66 MFLOP, an MLP's output layer): OpenBLAS's own 2-thread split gives other bits.
    const [m, n, k] = [128, 10, 256];
    const a = rng.normalArray(m * k) as Float32Array, b = rng.normalArray(k * n) as Float32Array;
    assert.ok(run(2, m, n, k, a, b).equals(run(1, m, n, k, a, b)), 'a tiny product must run on one thread');
    // A large square product does use both threads: the check above could see a difference.
    const L = 512;
    const A = rng.normalArray(L * L) as Float32Array, B = rng.normalArray(L * L) as Float32Array;
    assert.ok(!run(2, L, L, L, A, B).equals(run(1, L, L, L, A, B)), 'a large product should split across threads (bits differ)');
  } finally {
    setBlasThreads(before);
  }
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

// ---- element-wise RNN stages (native/src/rnn_elementwise.cc) ------------------------------
// Each stage is run through the add-on and through the JavaScript fallback on the same float32
// inputs and compared with a float64 reference written here from the formulas (Math.tanh,
// 1/(1+e^-a)); inputs mix saturated (|a| up to ~15), moderate and tiny pre-activations so that
// the clamped exp, the small-|a| tanh branch and the gate complements are all exercised.

const f64sig = (a: number) => 1 / (1 + Math.exp(-a));

function mixedInputs(rng: Rng, len: number): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    const kind = i % 4;
    a[i] = kind === 0 ? 6 * rng.normal() : kind === 1 ? 1e-3 * rng.normal() : kind === 2 ? rng.normal() : 0.4 * rng.normal();
  }
  return a;
}

// Every element within rel of the reference, plus an absolute floor at float32 resolution of the array's scale.
function assertClose(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, rel: number): void {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) {
    const tol = rel * Math.abs(ref[i]) + 1e-6 * scale;
    assert.ok(Math.abs(got[i] - ref[i]) <= tol, `${name}[${i}]: ${got[i]} vs float64 ${ref[i]} (tol ${tol})`);
  }
}

const ewNative = () => nativeAddon() as unknown as RnnElementwise;

test('GRU stages (gates, output, reset) of the add-on and of the JS fallback equal a float64 reference', { skip }, () => {
  assert.ok(rnnElementwiseIsNative());
  const rng = new Rng(31);
  const N = 5, n = 19; // n not a multiple of the vector width: the scalar tails run too
  const M = N * n;
  const ZR = mixedInputs(rng, 2 * M), cz = mixedInputs(rng, M), cr = mixedInputs(rng, M), C = mixedInputs(rng, M);
  const x = Float32Array.from({ length: M }, () => rng.uniformIn(-1, 1));
  const grh = mixedInputs(rng, M);
  const inv = 1 / N;
  // float64 reference from the GRU equations.
  const rz = new Float64Array(M), rzc = new Float64Array(M), rr = new Float64Array(M), rrc = new Float64Array(M), rrh = new Float64Array(M);
  const rq = new Float64Array(N), rgrad = new Float64Array(M), rgAc = new Float64Array(M), rgZR = new Float64Array(2 * M);
  for (let i = 0; i < N; i++) {
    let qi = 0;
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      const az = ZR[i * 2 * n + j] + cz[k], ar = ZR[i * 2 * n + n + j] + cr[k];
      rz[k] = f64sig(az); rzc[k] = f64sig(-az); rr[k] = f64sig(ar); rrc[k] = f64sig(-ar); rrh[k] = rr[k] * x[k];
      // Output stage from the float32-rounded gates both implementations receive.
      const z = Math.fround(rz[k]);
      const c = Math.tanh(C[k]);
      const F = (1 - z) * c + z * x[k];
      const d = F - x[k];
      qi += d * d;
      const gF = d * inv;
      rgrad[k] = -gF * (1 - z) + grh[k] * Math.fround(rr[k]);
      rgAc[k] = gF * (1 - z) * (1 - c * c);
      rgZR[i * 2 * n + j] = gF * (x[k] - c) * z * (1 - z);
      const r = Math.fround(rr[k]);
      rgZR[i * 2 * n + n + j] = grh[k] * x[k] * r * (1 - r);
    }
    rq[i] = 0.5 * qi;
  }
  for (const [label, ew] of [['native', ewNative()], ['js', rnnElementwiseJs]] as const) {
    const z = new Float32Array(M), zc = new Float32Array(M), r = new Float32Array(M), rc = new Float32Array(M), rh = new Float32Array(M);
    ew.gruGates(N, n, ZR, cz, cr, x, z, zc, r, rc, rh);
    assertClose(`${label} z`, z, rz, 1e-6);
    assertClose(`${label} r`, r, rr, 1e-6);
    assertClose(`${label} rh`, rh, rrh, 1e-6);
    if (label === 'native') {
      // The complements stay accurate relative to themselves when a gate saturates (e.g. 1 - sig(12) ~ 6e-6).
      for (let k = 0; k < M; k++) {
        assert.ok(Math.abs(zc[k] - rzc[k]) <= 1e-6 * rzc[k] + 1e-30, `zc[${k}] ${zc[k]} vs ${rzc[k]}`);
        assert.ok(Math.abs(rc[k] - rrc[k]) <= 1e-6 * rrc[k] + 1e-30, `rc[${k}] ${rc[k]} vs ${rrc[k]}`);
      }
    }
    // Output and reset stages on the same (rounded) gates for both.
    const z32 = Float32Array.from(rz), zc32 = Float32Array.from(rz, (v) => 1 - Math.fround(v));
    const r32 = Float32Array.from(rr), rc32 = Float32Array.from(rr, (v) => 1 - Math.fround(v));
    const q = new Float32Array(N), grad = new Float32Array(M), gAc = new Float32Array(M), gZR = new Float32Array(2 * M);
    ew.gruOutput(N, n, inv, C, z32, zc32, x, q, grad, gAc, gZR, new Float32Array(n));
    ew.gruReset(N, n, grh, r32, rc32, x, grad, gZR);
    assertClose(`${label} q`, q, rq, 2e-5);
    assertClose(`${label} grad`, grad, rgrad, 2e-5);
    assertClose(`${label} gAc`, gAc, rgAc, 2e-5);
    assertClose(`${label} gZR`, gZR, rgZR, 2e-5);
  }
});

test('vanilla, UGRNN and LSTM output stages of the add-on and of the JS fallback equal float64 references', { skip }, () => {
  const rng = new Rng(32);
  const N = 4, n = 13, M = N * n, inv = 1 / N;
  const x1 = Float32Array.from({ length: M }, () => rng.uniformIn(-1, 1));
  const A = mixedInputs(rng, M);
  // vanilla
  const vq = new Float64Array(N), vgrad = new Float64Array(M), vgA = new Float64Array(M);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      const F = Math.tanh(A[k]), d = F - x1[k];
      vq[i] += 0.5 * d * d; vgrad[k] = -d * inv; vgA[k] = d * inv * (1 - F * F);
    }
  }
  // UGRNN
  const gateBias = 0.7;
  const P2 = mixedInputs(rng, 2 * M), cu = mixedInputs(rng, M), cc = mixedInputs(rng, M);
  const uq = new Float64Array(N), ugrad = new Float64Array(M), ugP = new Float64Array(2 * M);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      const g = f64sig(P2[i * 2 * n + j] + cu[k] + gateBias), c = Math.tanh(P2[i * 2 * n + n + j] + cc[k]);
      const d = (1 - g) * c + g * x1[k] - x1[k], gF = d * inv;
      uq[i] += 0.5 * d * d; ugrad[k] = -gF * (1 - g);
      ugP[i * 2 * n + j] = gF * (x1[k] - c) * g * (1 - g); ugP[i * 2 * n + n + j] = gF * (1 - g) * (1 - c * c);
    }
  }
  // LSTM (state rows [c, h])
  const forgetBias = 1;
  const P4 = mixedInputs(rng, 4 * M), ci = mixedInputs(rng, M), cf = mixedInputs(rng, M), cg = mixedInputs(rng, M), co = mixedInputs(rng, M);
  const x2 = Float32Array.from({ length: 2 * M }, () => rng.uniformIn(-1, 1));
  const lq = new Float64Array(N), lgrad = new Float64Array(2 * M), lgP = new Float64Array(4 * M);
  for (let r = 0; r < N; r++) {
    for (let j = 0; j < n; j++) {
      const k = r * n + j, p = 4 * n * r;
      const si = f64sig(P4[p + j] + ci[k]), sf = f64sig(P4[p + n + j] + cf[k] + forgetBias);
      const tg = Math.tanh(P4[p + 2 * n + j] + cg[k]), so = f64sig(P4[p + 3 * n + j] + co[k]);
      const c = x2[2 * n * r + j], h = x2[2 * n * r + n + j];
      const c2 = sf * c + si * tg, tc = Math.tanh(c2), h2 = so * tc;
      const dc = c2 - c, dh = h2 - h;
      lq[r] += 0.5 * (dc * dc + dh * dh);
      // q = 1/2 (dc^2 + dh^2), differentiated by hand through c2 and h2 = so tanh(c2).
      const gc2 = dc * inv + dh * inv * so * (1 - tc * tc);
      lgrad[2 * n * r + j] = -dc * inv + gc2 * sf; lgrad[2 * n * r + n + j] = -dh * inv;
      lgP[p + j] = gc2 * tg * si * (1 - si); lgP[p + n + j] = gc2 * c * sf * (1 - sf);
      lgP[p + 2 * n + j] = gc2 * si * (1 - tg * tg); lgP[p + 3 * n + j] = dh * inv * tc * so * (1 - so);
    }
  }
  for (const [label, ew] of [['native', ewNative()], ['js', rnnElementwiseJs]] as const) {
    const q = new Float32Array(N), grad = new Float32Array(M), gA = new Float32Array(M);
    ew.vanillaOutput(N, n, inv, A, x1, q, grad, gA, new Float32Array(n));
    assertClose(`${label} vanilla q`, q, vq, 2e-5); assertClose(`${label} vanilla grad`, grad, vgrad, 2e-5); assertClose(`${label} vanilla gA`, gA, vgA, 2e-5);
    const uqq = new Float32Array(N), ug = new Float32Array(M), up = new Float32Array(2 * M);
    ew.ugrnnOutput(N, n, gateBias, inv, P2, cu, cc, x1, uqq, ug, up, new Float32Array(n));
    assertClose(`${label} ugrnn q`, uqq, uq, 2e-5); assertClose(`${label} ugrnn grad`, ug, ugrad, 2e-5); assertClose(`${label} ugrnn gP`, up, ugP, 2e-5);
    const lqq = new Float32Array(N), lg = new Float32Array(2 * M), lp = new Float32Array(4 * M);
    ew.lstmOutput(N, n, forgetBias, inv, P4, ci, cf, cg, co, x2, lqq, lg, lp, new Float32Array(n));
    assertClose(`${label} lstm q`, lqq, lq, 2e-5); assertClose(`${label} lstm grad`, lg, lgrad, 2e-5); assertClose(`${label} lstm gP`, lp, lgP, 2e-5);
  }
});

test('adamStep and sumSquares of the add-on and of the JS fallback equal float64 references', { skip }, () => {
  const rng = new Rng(33);
  const len = 37;
  const g = Float32Array.from({ length: len }, () => rng.normal());
  const m0 = Float32Array.from({ length: len }, () => 0.1 * rng.normal());
  const v0 = Float32Array.from({ length: len }, () => 0.01 * rng.uniform());
  const x0 = Float32Array.from({ length: len }, () => rng.normal());
  const [scale, b1, b2, step, c2, eps] = [0.8, 0.9, 0.999, 0.01, 1 / (1 - 0.999 ** 3), 1e-8];
  const rm = new Float64Array(len), rv = new Float64Array(len), rx = new Float64Array(len);
  let rs = 0;
  for (let k = 0; k < len; k++) {
    const gk = g[k] * scale;
    rm[k] = b1 * m0[k] + (1 - b1) * gk;
    rv[k] = b2 * v0[k] + (1 - b2) * gk * gk;
    rx[k] = x0[k] - (step * rm[k]) / (Math.sqrt(c2 * rv[k]) + eps);
    rs += g[k] * g[k];
  }
  for (const [label, ew] of [['native', ewNative()], ['js', rnnElementwiseJs]] as const) {
    const m = m0.slice(), v = v0.slice(), x = x0.slice();
    ew.adamStep(len, scale, b1, b2, step, c2, eps, g, m, v, x);
    assertClose(`${label} m`, m, rm, 1e-6); assertClose(`${label} v`, v, rv, 1e-6); assertClose(`${label} x`, x, rx, 1e-6);
    assert.ok(Math.abs(ew.sumSquares(g) - rs) <= 1e-12 * rs, `${label} sumSquares ${ew.sumSquares(g)} vs ${rs}`);
  }
});

test('the element-wise stages reject short arrays and non-Float32Arrays, naming the argument', { skip }, () => {
  const ew = ewNative();
  const a = new Float32Array(8);
  assert.throws(() => ew.vanillaOutput(2, 4, 0.5, a, a, new Float32Array(1), a, a, new Float32Array(4)), /vanillaOutput: q has 1 elements, needs 2/);
  assert.throws(() => ew.gruGates(2, 2, new Float32Array(7), a, a, a, a, a, a, a, a), /gruGates: ZR has 7 elements, needs 8/);
  assert.throws(() => ew.adamStep(3, 1, 0.9, 0.999, 0.1, 1, 1e-8, new Float64Array(3) as unknown as Float32Array, a, a, a), /adamStep: g must be a Float32Array/);
  assert.throws(() => (ew.sumSquares as (...args: unknown[]) => number)(), /sumSquares: expected/);
});
