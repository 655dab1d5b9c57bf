/**
 * Fused float32 q-and-gradient kernels for the fixed-point search of the
 * built-in cells. For a batch of N states x with inputs held fixed they
 * compute, per point, q = 1/2 ||F(x) - x||^2 and the gradient of mean(q),
 * (1/N) (J^T d - d) with d = F(x) - x, written out by hand (the backward pass
 * of each cell) on plain Float32Arrays: matrix products through lib/core's
 * gemm (native BLAS when loaded), element-wise work in one call each to
 * lib/core's rnnElementwise (vectorised native loops when the add-on is
 * loaded, else JavaScript: per-element Math.exp in JS dominated the search). This
 * avoids tfjs' per-op overhead, which dominates at these sizes; the finder
 * falls back to tfjs autodiff for any other system. Tested against autodiff.
 */
import { gemm, rnnElementwise } from '../core';

/** Scratch buffers reused across iterations (sized for the last batch). */
class Scratch {
  private bufs = new Map<string, Float32Array>();
  get(name: string, size: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length !== size) {
      b = new Float32Array(size);
      this.bufs.set(name, b);
    }
    return b;
  }
}

/** A q-and-gradient kernel bound to fixed inputs u [N x I] (their contributions are precomputed). */
export type QGradKernel = (x: Float32Array, q: Float32Array, grad: Float32Array) => void;

/** Input contribution u @ W + b for each of `blocks` weight blocks: [N x n] each. */
function inputTerms(u: Float32Array, N: number, I: number, n: number, Wx: Float32Array[], b: Float32Array[]): Float32Array[] {
  return Wx.map((W, k) => {
    const out = new Float32Array(N * n);
    for (let i = 0; i < N; i++) out.set(b[k], i * n);
    if (I > 0) gemm(N, n, I, u, W, out, { beta: 1 });
    return out;
  });
}

/** Vanilla: F = tanh(x Wh + c). */
export function vanillaKernel(Wh: Float32Array, Wx: Float32Array, b: Float32Array, n: number, I: number, u: Float32Array, N: number): QGradKernel {
  const [c] = inputTerms(u, N, I, n, [Wx], [b]);
  const s = new Scratch();
  const ew = rnnElementwise();
  return (x, q, grad) => {
    const A = s.get('A', N * n);
    A.set(c);
    gemm(N, n, n, x, Wh, A, { beta: 1 });
    const gA = s.get('gA', N * n);
    ew.vanillaOutput(N, n, 1 / N, A, x, q, grad, gA, s.get('d2', n));
    gemm(N, n, n, gA, Wh, grad, { transB: true, beta: 1 });
  };
}

/**
 * GRU: z = sig(x Whz + cz), r = sig(x Whr + cr), c = tanh((r*x) Whc + cc),
 * F = c + z (x - c). Whzr is [n x 2n] (z block then r block, row-major).
 */
export function gruKernel(Whzr: Float32Array, Whc: Float32Array, Wx: Float32Array[], b: Float32Array[], n: number, I: number, u: Float32Array, N: number): QGradKernel {
  const [cz, cr, cc] = inputTerms(u, N, I, n, Wx, b);
  const s = new Scratch();
  const ew = rnnElementwise();
  return (x, q, grad) => {
    const ZR = s.get('ZR', N * 2 * n);
    gemm(N, 2 * n, n, x, Whzr, ZR);
    const z = s.get('z', N * n);
    const zc = s.get('zc', N * n);
    const r = s.get('r', N * n);
    const rc = s.get('rc', N * n);
    const rh = s.get('rh', N * n);
    ew.gruGates(N, n, ZR, cz, cr, x, z, zc, r, rc, rh);
    const C = s.get('C', N * n);
    C.set(cc);
    gemm(N, n, n, rh, Whc, C, { beta: 1 });
    const gAc = s.get('gAc', N * n);
    const gZR = s.get('gZR', N * 2 * n);
    // dL/dx from d = F - x and from F's z * x term here; the gate paths are added by gruReset.
    ew.gruOutput(N, n, 1 / N, C, z, zc, x, q, grad, gAc, gZR, s.get('d2', n));
    // grh = gAc Whc^T; then gr = grh * x (-> r's pre-activation) and dx += grh * r.
    const grh = s.get('grh', N * n);
    gemm(N, n, n, gAc, Whc, grh, { transB: true });
    ew.gruReset(N, n, grh, r, rc, x, grad, gZR);
    gemm(N, n, 2 * n, gZR, Whzr, grad, { transB: true, beta: 1 });
  };
}

/**
 * LSTM with state [c, h] (2n per row): [i, f, g, o] = h Wh + x Wx + b,
 * c' = sig(f + forgetBias) c + sig(i) tanh(g), h' = sig(o) tanh(c').
 * Wh is [n x 4n] (blocks i, f, g, o).
 */
export function lstmKernel(Wh: Float32Array, Wx: Float32Array[], b: Float32Array[], forgetBias: number, n: number, I: number, u: Float32Array, N: number): QGradKernel {
  const [ci, cf, cg, co] = inputTerms(u, N, I, n, Wx, b);
  const s = new Scratch();
  const ew = rnnElementwise();
  const S = 2 * n;
  return (x, q, grad) => {
    const P = s.get('P', N * 4 * n);
    // h is the second half of each state row: lda = 2n.
    gemm(N, 4 * n, n, x.subarray(n), Wh, P, { lda: S });
    const gP = s.get('gP', N * 4 * n);
    ew.lstmOutput(N, n, forgetBias, 1 / N, P, ci, cf, cg, co, x, q, grad, gP, s.get('d2', n));
    gemm(N, n, 4 * n, gP, Wh, grad.subarray(n), { transB: true, beta: 1, ldc: S });
  };
}

/** UGRNN: u = sig(h Whu + cu + gateBias), c = tanh(h Whc + cc), F = c + u (h - c); Wh [n x 2n] (blocks u, c). */
export function ugrnnKernel(Wh: Float32Array, Wx: Float32Array[], b: Float32Array[], gateBias: number, n: number, I: number, u: Float32Array, N: number): QGradKernel {
  const [cu, cc] = inputTerms(u, N, I, n, Wx, b);
  const s = new Scratch();
  const ew = rnnElementwise();
  return (x, q, grad) => {
    const P = s.get('P', N * 2 * n);
    gemm(N, 2 * n, n, x, Wh, P);
    const gP = s.get('gP', N * 2 * n);
    ew.ugrnnOutput(N, n, gateBias, 1 / N, P, cu, cc, x, q, grad, gP, s.get('d2', n));
    gemm(N, n, 2 * n, gP, Wh, grad, { transB: true, beta: 1 });
  };
}
