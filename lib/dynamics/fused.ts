/**
 * Fused float32 q-and-gradient kernels for the fixed-point search of the
 * built-in cells. For a batch of N states x with inputs held fixed they
 * compute, per point, q = 1/2 ||F(x) - x||^2 and the gradient of mean(q),
 * (1/N) (J^T d - d) with d = F(x) - x, written out by hand (the backward pass
 * of each cell) on plain Float32Arrays: matrix products through lib/core's
 * gemm (native BLAS when loaded), element-wise work in one loop each. This
 * avoids tfjs' per-op overhead, which dominates at these sizes; the finder
 * falls back to tfjs autodiff for any other system. Tested against autodiff.
 */
import { gemm } from '../core';

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

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
// tanh through one exp (Math.tanh is slower in V8); exact to float32 rounding.
const tanh = (a: number) => {
  if (a > 20) return 1;
  if (a < -20) return -1;
  const e = Math.exp(2 * a);
  return (e - 1) / (e + 1);
};

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
  return (x, q, grad) => {
    const A = s.get('A', N * n);
    A.set(c);
    gemm(N, n, n, x, Wh, A, { beta: 1 });
    const gA = s.get('gA', N * n);
    const inv = 1 / N;
    for (let i = 0; i < N; i++) {
      let qi = 0;
      for (let j = i * n, e = j + n; j < e; j++) {
        const F = tanh(A[j]);
        const d = F - x[j];
        qi += d * d;
        gA[j] = d * inv * (1 - F * F);
        grad[j] = -d * inv;
      }
      q[i] = 0.5 * qi;
    }
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
  return (x, q, grad) => {
    const ZR = s.get('ZR', N * 2 * n);
    gemm(N, 2 * n, n, x, Whzr, ZR);
    const z = s.get('z', N * n);
    const r = s.get('r', N * n);
    const rh = s.get('rh', N * n);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        z[k] = sigmoid(ZR[i * 2 * n + j] + cz[k]);
        const rk = sigmoid(ZR[i * 2 * n + n + j] + cr[k]);
        r[k] = rk;
        rh[k] = rk * x[k];
      }
    }
    const C = s.get('C', N * n);
    C.set(cc);
    gemm(N, n, n, rh, Whc, C, { beta: 1 });
    const gAc = s.get('gAc', N * n);
    const gZR = s.get('gZR', N * 2 * n);
    const inv = 1 / N;
    for (let i = 0; i < N; i++) {
      let qi = 0;
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        const c = tanh(C[k]);
        const zk = z[k];
        const xk = x[k];
        const d = c + zk * (xk - c) - xk;
        qi += d * d;
        const gF = d * inv;
        // dL/dx from d = F - x and from F's z * x term; the gate paths are added below.
        grad[k] = gF * zk - gF;
        gAc[k] = gF * (1 - zk) * (1 - c * c);
        gZR[i * 2 * n + j] = gF * (xk - c) * zk * (1 - zk);
      }
      q[i] = 0.5 * qi;
    }
    // grh = gAc Whc^T; then gr = grh * x (-> r's pre-activation) and dx += grh * r.
    const grh = s.get('grh', N * n);
    gemm(N, n, n, gAc, Whc, grh, { transB: true });
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        const rk = r[k];
        grad[k] += grh[k] * rk;
        gZR[i * 2 * n + n + j] = grh[k] * x[k] * rk * (1 - rk);
      }
    }
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
  const S = 2 * n;
  return (x, q, grad) => {
    const P = s.get('P', N * 4 * n);
    // h is the second half of each state row: lda = 2n.
    gemm(N, 4 * n, n, x.subarray(n), Wh, P, { lda: S });
    const gP = s.get('gP', N * 4 * n);
    const inv = 1 / N;
    for (let r = 0; r < N; r++) {
      let qi = 0;
      for (let j = 0; j < n; j++) {
        const k = r * n + j;
        const p = r * 4 * n;
        const si = sigmoid(P[p + j] + ci[k]);
        const sf = sigmoid(P[p + n + j] + cf[k] + forgetBias);
        const tg = tanh(P[p + 2 * n + j] + cg[k]);
        const so = sigmoid(P[p + 3 * n + j] + co[k]);
        const c = x[r * S + j];
        const h = x[r * S + n + j];
        const c2 = sf * c + si * tg;
        const tc = tanh(c2);
        const h2 = so * tc;
        const dc = c2 - c;
        const dh = h2 - h;
        qi += dc * dc + dh * dh;
        const gc = dc * inv;
        const gh = dh * inv;
        const gc2 = gc + gh * so * (1 - tc * tc);
        grad[r * S + j] = -gc + gc2 * sf;
        grad[r * S + n + j] = -gh;
        gP[p + j] = gc2 * tg * si * (1 - si);
        gP[p + n + j] = gc2 * c * sf * (1 - sf);
        gP[p + 2 * n + j] = gc2 * si * (1 - tg * tg);
        gP[p + 3 * n + j] = gh * tc * so * (1 - so);
      }
      q[r] = 0.5 * qi;
    }
    gemm(N, n, 4 * n, gP, Wh, grad.subarray(n), { transB: true, beta: 1, ldc: S });
  };
}

/** UGRNN: u = sig(h Whu + cu + gateBias), c = tanh(h Whc + cc), F = c + u (h - c); Wh [n x 2n] (blocks u, c). */
export function ugrnnKernel(Wh: Float32Array, Wx: Float32Array[], b: Float32Array[], gateBias: number, n: number, I: number, u: Float32Array, N: number): QGradKernel {
  const [cu, cc] = inputTerms(u, N, I, n, Wx, b);
  const s = new Scratch();
  return (x, q, grad) => {
    const P = s.get('P', N * 2 * n);
    gemm(N, 2 * n, n, x, Wh, P);
    const gP = s.get('gP', N * 2 * n);
    const inv = 1 / N;
    for (let r = 0; r < N; r++) {
      let qi = 0;
      for (let j = 0; j < n; j++) {
        const k = r * n + j;
        const ug = sigmoid(P[r * 2 * n + j] + cu[k] + gateBias);
        const c = tanh(P[r * 2 * n + n + j] + cc[k]);
        const h = x[k];
        const d = c + ug * (h - c) - h;
        qi += d * d;
        const gF = d * inv;
        grad[k] = gF * ug - gF;
        gP[r * 2 * n + j] = gF * (h - c) * ug * (1 - ug);
        gP[r * 2 * n + n + j] = gF * (1 - ug) * (1 - c * c);
      }
      q[r] = 0.5 * qi;
    }
    gemm(N, n, 2 * n, gP, Wh, grad, { transB: true, beta: 1 });
  };
}
