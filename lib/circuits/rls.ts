/**
 * Recursive least squares with one inverse-correlation matrix P shared by
 * every trained row (Sussillo & Abbott 2009; DePasquale et al. 2018). All rows
 * regress on the same rate vector r, so P = (alpha I + sum_t r_t r_t^T)^-1 is
 * the same for each and one rank-1 update serves them all:
 *
 *   k = P r,   c = 1 / (1 + r^T k),   P <- P - c k k^T            (P before the weights)
 *   W <- W - e (c k)^T        for every trained matrix W (rows x N), e = W r - target (errors before the update)
 *
 * c k is the new P times r. After samples r_1..r_T with P(0) = I / alpha and
 * W(0) = 0, each row equals the ridge solution argmin_w sum_t (w.r_t - f_t)^2 + alpha |w|^2,
 * i.e. batch least squares on the data stacked over sqrt(alpha) I.
 *
 * Float64 on the native BLAS (lib/core gemm): P r is one GEMM of 1 x N by N x N,
 * the rank-1 updates are GEMMs with inner size 1. Rounding makes c k_i k_j and
 * c k_j k_i differ in the last bit, so P is symmetrised every `symmetrizeEvery`
 * updates (default 50): the cost is one pass over P.
 *
 * Exports: RecursiveLeastSquares, RlsOptions.
 */
import { ArgumentError, checkFinite, checkInteger, checkPositive, gemm } from '../core';

export interface RlsOptions {
  /** Number of rates (columns of every trained matrix). */
  N: number;
  /** P(0) = I / alpha (default 1): the ridge penalty; too small is unstable, too large learns slowly. */
  alpha?: number;
  /** Symmetrise P every this many updates (default 50; 0: never). */
  symmetrizeEvery?: number;
}

export class RecursiveLeastSquares {
  readonly N: number;
  readonly alpha: number;
  readonly symmetrizeEvery: number;
  /** The shared inverse correlation matrix, N x N row-major. */
  readonly P: Float64Array;
  /** Updates so far. */
  updates = 0;
  private readonly k: Float64Array;
  private readonly gk: Float64Array;

  constructor(options: RlsOptions) {
    this.N = checkInteger('N', options?.N, 1);
    this.alpha = checkPositive('alpha', options.alpha ?? 1);
    this.symmetrizeEvery = checkInteger('symmetrizeEvery', options.symmetrizeEvery ?? 50, 0);
    const N = this.N;
    this.P = new Float64Array(N * N);
    for (let i = 0; i < N; i++) this.P[i * N + i] = 1 / this.alpha;
    this.k = new Float64Array(N);
    this.gk = new Float64Array(N);
  }

  private checkRates(r: Float64Array): void {
    if (!(r instanceof Float64Array) || r.length !== this.N) throw new ArgumentError('r', `a Float64Array of N = ${this.N} rates`, r instanceof Float64Array ? `${r.length} entries` : r);
  }

  /**
   * Updates P with the rate vector r and returns the gain c k = P_new r (a buffer reused by the next call).
   * Call `correct` with it for each trained matrix, with errors computed before this update.
   */
  gain(r: Float64Array): Float64Array {
    this.checkRates(r);
    const N = this.N, P = this.P, k = this.k;
    gemm(1, N, N, r, P, k, { transB: true });      // k = P r (P symmetric)
    let rk = 0;
    for (let i = 0; i < N; i++) rk += r[i] * k[i];
    if (!Number.isFinite(rk)) throw new ArgumentError('r', 'finite rates (r^T P r is not finite)', rk);
    const c = 1 / (1 + rk);
    gemm(N, N, 1, k, k, P, { alpha: -c, beta: 1 }); // P -= c k k^T
    for (let i = 0; i < N; i++) this.gk[i] = c * k[i];
    this.updates++;
    if (this.symmetrizeEvery > 0 && this.updates % this.symmetrizeEvery === 0) this.symmetrize();
    return this.gk;
  }

  /** W (rows x N, row-major) <- W - e gain^T. */
  correct(W: Float64Array, rows: number, errors: ArrayLike<number>, gain: Float64Array): void {
    const N = this.N;
    if (!(W instanceof Float64Array) || W.length !== rows * N) throw new ArgumentError('W', `a Float64Array of rows x N = ${rows * N} entries`, W instanceof Float64Array ? `${W.length} entries` : W);
    if (errors.length !== rows) throw new ArgumentError('errors', `${rows} errors (one per row)`, errors.length);
    for (let i = 0; i < rows; i++) if (!Number.isFinite(errors[i])) throw new ArgumentError('errors', 'finite errors (a NaN or infinite target?)', errors[i]);
    const e = errors instanceof Float64Array ? errors : Float64Array.from(errors);
    gemm(rows, N, 1, e, gain, W, { alpha: -1, beta: 1 });
  }

  /**
   * One RLS step for every trained matrix: errors first (W r - target with the old W), then P, then each W.
   * `targets` holds rows numbers per matrix; returns the errors before the update.
   */
  update(r: Float64Array, trained: { W: Float64Array; rows: number; target: ArrayLike<number> }[]): Float64Array[] {
    this.checkRates(r);
    const errors = trained.map(({ W, rows, target }, m) => {
      if (target.length !== rows) throw new ArgumentError('target', `${rows} numbers (trained[${m}].rows)`, target.length);
      checkFinite('target', target);
      const e = new Float64Array(rows);
      gemm(1, rows, this.N, r, W, e, { transB: true });
      for (let i = 0; i < rows; i++) e[i] -= target[i];
      return e;
    });
    const g = this.gain(r);
    trained.forEach(({ W, rows }, m) => this.correct(W, rows, errors[m], g));
    return errors;
  }

  /** P <- (P + P^T) / 2. */
  symmetrize(): void {
    const N = this.N, P = this.P;
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const v = 0.5 * (P[i * N + j] + P[j * N + i]);
        P[i * N + j] = v;
        P[j * N + i] = v;
      }
    }
  }
}
