/** Private to lib/cnmf (the public names are re-exported by index.ts): planted-sequence data. */
import { checkInteger, checkNumber, Rng } from '../core';
import { DenseMatrix, reconstruct } from './model';

// ---------------------------------------------------------------------------
// Synthetic sequences (the generator of Degleris et al.'s code)

export interface SyntheticOptions {
  N: number;
  T: number;
  K: number;
  L: number;
  /** Dirichlet concentration spreading each unit's weight over the K motifs (default 0.1). */
  dirichletAlpha?: number;
  /** Width (sd) of each Gaussian bump on the lag axis linspace(-1, 1, L) (default 0.2). */
  bumpWidth?: number;
  /** Probability that an H entry is nonzero (default 0.1); nonzero entries are Exponential(1). */
  pH?: number;
  /** Standard deviation of the additive Gaussian noise before clipping at 0 (default 0.1). */
  noise?: number;
  seed?: number;
}

function gammaSample(rng: Rng, shape: number): number {
  // Marsaglia & Tsang (2000); shape < 1 by the boost Gamma(a) = Gamma(a + 1) U^(1/a)
  if (shape < 1) return gammaSample(rng, shape + 1) * Math.pow(rng.uniform() || 1e-300, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v0 = 1 + c * z;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform();
    if (Math.log(u || 1e-300) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Planted sequences: returns the data X and the true W (lag-major) and H. */
export function syntheticSequences(options: SyntheticOptions): { X: DenseMatrix; W: Float64Array; H: Float64Array } {
  const N = checkInteger('N', options.N, 1);
  const T = checkInteger('T', options.T, 1);
  const K = checkInteger('K', options.K, 1);
  const L = checkInteger('L', options.L, 1, T);
  const a = checkNumber('dirichletAlpha', options.dirichletAlpha ?? 0.1, 1e-6);
  const width = checkNumber('bumpWidth', options.bumpWidth ?? 0.2, 1e-6);
  const pH = checkNumber('pH', options.pH ?? 0.1, 0, 1);
  const noise = checkNumber('noise', options.noise ?? 0.1, 0);
  const rng = new Rng(checkInteger('seed', options.seed ?? 0, 0, 0xffffffff));
  const W = new Float64Array(L * N * K);
  const g = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    let total = 0;
    for (let k = 0; k < K; k++) total += (g[k] = gammaSample(rng, a));
    for (let k = 0; k < K; k++) {
      const weight = total > 0 ? g[k] / total : 1 / K;
      const centre = rng.uniformIn(-1, 1);
      for (let l = 0; l < L; l++) {
        const u = L === 1 ? 0 : -1 + (2 * l) / (L - 1);
        const pdf = Math.exp(-0.5 * ((u - centre) / width) ** 2) / (width * Math.sqrt(2 * Math.PI));
        W[(l * N + n) * K + k] = weight * pdf;
      }
    }
  }
  const H = new Float64Array(K * T);
  for (let i = 0; i < H.length; i++) H[i] = rng.uniform() < pH ? -Math.log(1 - rng.uniform()) : 0;
  const X = reconstruct(W, H, N, K, L, T);
  if (noise > 0) for (let i = 0; i < X.length; i++) X[i] = Math.max(0, X[i] + noise * rng.normal());
  return { X: { rows: N, cols: T, data: X }, W, H };
}
