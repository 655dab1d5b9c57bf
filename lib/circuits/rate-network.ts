/**
 * Random rate networks (Sompolinsky, Crisanti & Sommers 1988; Clark, Abbott &
 * Litwin-Kumar 2023):
 *
 *   flow        dx/dt = -x + J phi(x)                    (integrated by RK4, step dt)
 *   Euler map   x' = (1 - delta) x + delta J phi(x)      (a map in its own right; delta = 1: x' = J phi(x))
 *   couplings   J_ij ~ N(0, g^2 / N) i.i.d., autapses kept; with `symmetry` eta,
 *               corr(J_ij, J_ji) = eta for i != j: J_ij = (g / sqrt N)(a z1 + b z2), J_ji = (g / sqrt N)(a z1 - b z2),
 *               a^2 = (1 + eta)/2, b^2 = (1 - eta)/2, z1, z2 ~ N(0, 1) per pair
 *
 * Tangent maps, matrix-free (rows of V are tangent vectors, so one GEMM of
 * k x N by N x N per product and never an N x N Jacobian):
 *
 *   flow        V Df^T = -V + (V diag(phi'(x))) J^T
 *   Euler map   V DF^T = (1 - delta) V + delta (V diag(phi'(x))) J^T
 *
 * `tangentSystem` hands either to lib/dynamics' lyapunovSpectrum; `simulate`
 * records x (and phi(x)) along a trajectory. Everything is float64 on the
 * native BLAS (lib/core gemm).
 *
 * Exports: RateNetworkOptions, RateScheme, RandomRateNetwork.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, gemm } from '../core';
import { TangentSystem, Trajectory, trajectory } from '../dynamics';
import { Nonlinearity, NonlinearityName, nonlinearity } from './nonlinearity';

export interface RateNetworkOptions {
  /** Number of neurons. */
  N: number;
  /** Coupling gain: J_ij ~ N(0, g^2 / N). */
  g: number;
  /** Seed of the couplings. */
  seed: number;
  /** phi (default 'tanh'). */
  nonlinearity?: NonlinearityName;
  /** corr(J_ij, J_ji) in [-1, 1] (default 0: independent). */
  symmetry?: number;
}

/** How time advances: the RK4-integrated flow, or the Euler map with step delta. */
export type RateScheme = { scheme: 'flow'; dt: number } | { scheme: 'euler'; delta: number };

export class RandomRateNetwork {
  readonly N: number;
  readonly g: number;
  readonly seed: number;
  readonly symmetry: number;
  readonly phi: Nonlinearity;
  /** Couplings, row-major N x N: J[i * N + j] is the weight from j to i. */
  readonly J: Float64Array;

  constructor(options: RateNetworkOptions) {
    this.N = checkInteger('N', options.N, 1);
    this.g = checkNumber('g', options.g, 0);
    this.seed = checkInteger('seed', options.seed, 0, 0xffffffff);
    this.symmetry = checkNumber('symmetry', options.symmetry ?? 0, -1, 1);
    this.phi = nonlinearity(options.nonlinearity ?? 'tanh');
    const N = this.N, rng = new Rng(this.seed), s = this.g / Math.sqrt(N);
    const J = new Float64Array(N * N);
    if (this.symmetry === 0) {
      for (let i = 0; i < N * N; i++) J[i] = s * rng.normal();
    } else {
      // pairs (z1, z2) -> J_ij = a z1 + b z2, J_ji = a z1 - b z2: var 1, corr a^2 - b^2 = eta
      const a = Math.sqrt((1 + this.symmetry) / 2), b = Math.sqrt((1 - this.symmetry) / 2);
      for (let i = 0; i < N; i++) {
        J[i * N + i] = s * rng.normal();
        for (let j = i + 1; j < N; j++) {
          const z1 = rng.normal(), z2 = rng.normal();
          J[i * N + j] = s * (a * z1 + b * z2);
          J[j * N + i] = s * (a * z1 - b * z2);
        }
      }
    }
    this.J = J;
  }

  /** out_i = sum_j J_ij phi(x_j). */
  recurrentInput(x: Float64Array, out: Float64Array, work: Float64Array = new Float64Array(this.N)): void {
    const f = this.phi.phi;
    for (let j = 0; j < this.N; j++) work[j] = f(x[j]);
    gemm(1, this.N, this.N, work, this.J, out, { transB: true });
  }

  /** The network as a TangentSystem for lib/dynamics (lyapunovSpectrum, trajectory). */
  tangentSystem(scheme: RateScheme): TangentSystem {
    const N = this.N, J = this.J, { phi, dphi } = this.phi;
    const work = new Float64Array(N);
    let scaled = new Float64Array(0);
    const scaleRows = (x: Float64Array, V: Float64Array, k: number) => {
      if (scaled.length < k * N) scaled = new Float64Array(k * N);
      for (let j = 0; j < N; j++) work[j] = dphi(x[j]);
      for (let r = 0; r < k; r++) for (let j = 0; j < N; j++) scaled[r * N + j] = V[r * N + j] * work[j];
    };
    if (scheme?.scheme === 'flow') {
      checkNumber('scheme.dt', scheme.dt, Number.MIN_VALUE);
      return {
        dim: N, time: 'continuous',
        evaluate: (x, out) => {
          for (let j = 0; j < N; j++) work[j] = phi(x[j]);
          gemm(1, N, N, work, J, out, { transB: true });
          for (let i = 0; i < N; i++) out[i] -= x[i];
        },
        tangent: (x, V, k, out) => {
          scaleRows(x, V, k);
          out.set(V.subarray(0, k * N));
          gemm(k, N, N, scaled, J, out, { transB: true, alpha: 1, beta: -1 });
        },
      };
    }
    if (scheme?.scheme === 'euler') {
      const d = checkNumber('scheme.delta', scheme.delta, Number.MIN_VALUE, 1);
      return {
        dim: N, time: 'discrete',
        evaluate: (x, out) => {
          for (let j = 0; j < N; j++) work[j] = phi(x[j]);
          gemm(1, N, N, work, J, out, { transB: true, alpha: d });
          for (let i = 0; i < N; i++) out[i] += (1 - d) * x[i];
        },
        tangent: (x, V, k, out) => {
          scaleRows(x, V, k);
          out.set(V.subarray(0, k * N));
          gemm(k, N, N, scaled, J, out, { transB: true, alpha: d, beta: 1 - d });
        },
      };
    }
    throw new ArgumentError('scheme', "{ scheme: 'flow', dt } or { scheme: 'euler', delta }", scheme);
  }

  /** Time per step of a scheme (what lib/dynamics takes as dt or stepTime). */
  static stepOptions(scheme: RateScheme): { dt?: number; stepTime?: number } {
    return scheme.scheme === 'flow' ? { dt: scheme.dt } : { stepTime: scheme.delta };
  }

  /** A seeded initial state x_i ~ N(0, variance). */
  initialState(seed: number, variance = 1): Float64Array {
    return new Rng(seed).normalArray(this.N, 0, Math.sqrt(checkNumber('variance', variance, 0)), 'float64') as Float64Array;
  }

  /**
   * A trajectory: `transient` time, then `time` recorded every `sampleEvery`
   * (units of the neuron time constant; an Euler map step lasts delta).
   */
  simulate(x0: ArrayLike<number>, scheme: RateScheme, options: { time: number; transient?: number; sampleEvery?: number; progress?: boolean; label?: string; onProgress?: (fraction: number) => void }): Trajectory {
    return trajectory(this.tangentSystem(scheme), x0, { ...options, ...RandomRateNetwork.stepOptions(scheme) });
  }

  /** phi applied to every entry of a samples x N array (e.g. a trajectory's states). */
  rates(states: Float64Array): Float64Array {
    const f = this.phi.phi;
    return states.map((v) => f(v));
  }
}
