/**
 * Element-wise stages of the fused fixed-point kernels (each cell's qGradKernel in lib/dynamics/cells/)
 * and the Adam step of the search, on Float32Array in place: the native
 * add-on's vectorised loops when it is loaded (native/src/rnn_elementwise.cc),
 * else the JavaScript below, which is the reference the native code is tested
 * against. All arrays are row-major with N rows of n units; gate blocks sit
 * side by side in one row (e.g. ZR = [z block | r block], 2n per row).
 * Results of the two paths agree to float32 rounding (the native exp is ~1 ulp).
 */
import { nativeAddon } from './native';

/** Logistic sigmoid of one number (the JS fallback's and BPTT's scalar loops). */
export const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
/** tanh of one number through one exp (Math.tanh is slower in V8); exact to float32 rounding. */
export const tanh = (a: number) => {
  if (a > 20) return 1;
  if (a < -20) return -1;
  const e = Math.exp(2 * a);
  return (e - 1) / (e + 1);
};

/** The JavaScript implementations (used without the add-on; exported for tests). */
export const rnnElementwiseJs = {
  /** z = sig(ZR[:, :n] + cz), zc = 1 - z, r = sig(ZR[:, n:] + cr), rc = 1 - r, rh = r x. */
  gruGates(N: number, n: number, ZR: Float32Array, cz: Float32Array, cr: Float32Array, x: Float32Array,
    z: Float32Array, zc: Float32Array, r: Float32Array, rc: Float32Array, rh: Float32Array): void {
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        const zk = sigmoid(ZR[i * 2 * n + j] + cz[k]);
        z[k] = zk;
        zc[k] = 1 - zk;
        const rk = sigmoid(ZR[i * 2 * n + n + j] + cr[k]);
        r[k] = rk;
        rc[k] = 1 - rk;
        rh[k] = rk * x[k];
      }
    }
  },
  /**
   * c = tanh(C), d = c + z (x - c) - x, q = 1/2 sum d^2 per row; with gF = inv d:
   * grad = gF z - gF, gAc = gF (1 - z)(1 - c^2), gZR[:, :n] = gF (x - c) z (1 - z). d2: n scratch (unused here).
   */
  gruOutput(N: number, n: number, inv: number, C: Float32Array, z: Float32Array, zc: Float32Array, x: Float32Array,
    q: Float32Array, grad: Float32Array, gAc: Float32Array, gZR: Float32Array, d2: Float32Array): void {
    void zc;
    void d2;
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
        grad[k] = gF * zk - gF;
        gAc[k] = gF * (1 - zk) * (1 - c * c);
        gZR[i * 2 * n + j] = gF * (xk - c) * zk * (1 - zk);
      }
      q[i] = 0.5 * qi;
    }
  },
  /** grad += grh r, gZR[:, n:] = grh x r (1 - r). */
  gruReset(N: number, n: number, grh: Float32Array, r: Float32Array, rc: Float32Array, x: Float32Array, grad: Float32Array, gZR: Float32Array): void {
    void rc;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        const rk = r[k];
        grad[k] += grh[k] * rk;
        gZR[i * 2 * n + n + j] = grh[k] * x[k] * rk * (1 - rk);
      }
    }
  },
  /** F = tanh(A), d = F - x, q per row, gA = inv d (1 - F^2), grad = -inv d. */
  vanillaOutput(N: number, n: number, inv: number, A: Float32Array, x: Float32Array, q: Float32Array, grad: Float32Array, gA: Float32Array, d2: Float32Array): void {
    void d2;
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
  },
  /** g = sig(P[:, :n] + cu + gateBias), c = tanh(P[:, n:] + cc), d = c + g (x - c) - x; grad and gP as the UGRNN backward pass. */
  ugrnnOutput(N: number, n: number, gateBias: number, inv: number, P: Float32Array, cu: Float32Array, cc: Float32Array, x: Float32Array,
    q: Float32Array, grad: Float32Array, gP: Float32Array, d2: Float32Array): void {
    void d2;
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
  },
  /** LSTM with state rows [c, h] (2n) and P rows [i, f, g, o] (4n); grad on both halves, gP for the four blocks. */
  lstmOutput(N: number, n: number, forgetBias: number, inv: number, P: Float32Array, ci: Float32Array, cf: Float32Array, cg: Float32Array,
    co: Float32Array, x: Float32Array, q: Float32Array, grad: Float32Array, gP: Float32Array, d2: Float32Array): void {
    void d2;
    const S = 2 * n;
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
  },
  /** Sum of g^2. */
  sumSquares(g: Float32Array): number {
    let s = 0;
    for (let k = 0; k < g.length; k++) s += g[k] * g[k];
    return s;
  },
  /** With gk = scale g: m = b1 m + (1 - b1) gk, v = b2 v + (1 - b2) gk^2, x -= step m / (sqrt(c2 v) + eps), over the first len entries. */
  adamStep(len: number, scale: number, b1: number, b2: number, step: number, c2: number, eps: number,
    g: Float32Array, m: Float32Array, v: Float32Array, x: Float32Array): void {
    for (let k = 0; k < len; k++) {
      const gk = g[k] * scale;
      m[k] = b1 * m[k] + (1 - b1) * gk;
      v[k] = b2 * v[k] + (1 - b2) * gk * gk;
      x[k] -= (step * m[k]) / (Math.sqrt(v[k] * c2) + eps);
    }
  },
};

/** The functions of rnnElementwiseJs, with the same signatures. */
export type RnnElementwise = typeof rnnElementwiseJs;

/** The native implementations when the add-on is loaded (and has them), else the JavaScript ones. */
export function rnnElementwise(): RnnElementwise {
  const addon = nativeAddon();
  return addon && typeof addon.gruGates === 'function' ? (addon as unknown as RnnElementwise) : rnnElementwiseJs;
}

/** True when rnnElementwise() runs native code. */
export function rnnElementwiseIsNative(): boolean {
  return rnnElementwise() !== rnnElementwiseJs;
}
