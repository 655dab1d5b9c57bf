/**
 * Priors on the factor entries for Bayesian AMP and state evolution, and
 * their posterior moments under a Gaussian "input channel".
 *
 * Every prior is factorised: the r entries of a factor row are iid from
 *   gaussian         N(mean, variance)
 *   gauss-bernoulli  0 with probability 1 - density, else N(mean, variance) (sparse)
 *   nonnegative      N(mean, variance) truncated to x >= 0 (mean 0: the half-normal)
 *
 * Channel. AMP and state evolution need, for an r x r matrix A and a row
 * vector b, the moments of
 *
 *   P(x | A, b) = P(x) exp(b^T x - x^T A x / 2) / Z(A, b),
 *
 * the posterior mean f(A, b) (AMP's x-hat), its covariance (sigma-hat, the
 * derivative of f in b), and log Z (the free entropy of the state-evolution
 * fixed points). With h = b + mean/variance and P = I/variance + A:
 *
 *   gaussian: x-hat = P^{-1} h, Cov = P^{-1},
 *             log Z = h^T P^{-1} h / 2 - log det(variance P) / 2 - r mean^2 / (2 variance)
 *   gauss-bernoulli: a mixture over the 2^r supports S (exact; r <= 10): each
 *             support is the Gaussian case on S with prior weight
 *             density^|S| (1 - density)^(r - |S|)
 *   nonnegative, r = 1: with c = h / P and t = c sqrt(P), R = phi(t) / Phi(t),
 *             x-hat = c + R / sqrt(P), Var = (1 - t R - R^2) / P,
 *             log Z = log Phi(t) - log Phi(mean / sqrt(variance)) - log(variance P) / 2
 *                     + P c^2 / 2 - mean^2 / (2 variance)
 *   nonnegative, r > 1: no closed form (a truncated multivariate normal);
 *             a mean-field approximation instead: each entry's scalar
 *             posterior given the others' means (b_k - sum_{j != k} A_kj x_j),
 *             8 sweeps, diagonal covariance. State evolution and the free
 *             energy are rank 1, where it is exact.
 *
 * R = phi(t) / Phi(t) for t < -5 comes from the continued fraction of Mills'
 * ratio (Phi(t) underflows there). Quadrature over x* ~ P for state
 * evolution: the trapezoid rule on the Gaussian part (lib/meanfield's normal
 * grid; for the truncated prior Simpson's rule from the truncation point).
 *
 * Exports: Prior, PRIOR_KINDS, checkPrior, priorMoments, samplePrior, scalarPosterior, denoiseRows, priorNodes.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, checkOneOf } from '../core';
import { erf } from '../circuits';
import { normalGrid } from '../meanfield';
import { inverseSpd } from './small';

export const PRIOR_KINDS = ['gaussian', 'gauss-bernoulli', 'nonnegative'] as const;

export type Prior =
  | { kind: 'gaussian'; mean?: number; variance?: number }
  | { kind: 'gauss-bernoulli'; density: number; mean?: number; variance?: number }
  | { kind: 'nonnegative'; mean?: number; variance?: number };

/** A prior with its defaults filled in (mean 0, variance 1, density 1 where not sparse). */
export interface FullPrior {
  kind: Prior['kind'];
  mean: number;
  variance: number;
  density: number;
}

/** Checks a prior (names the argument) and fills its defaults. */
export function checkPrior(name: string, p: Prior): FullPrior {
  if (p === null || typeof p !== 'object') throw new ArgumentError(name, `a prior { kind: ${PRIOR_KINDS.join(' | ')} }`, p);
  const kind = checkOneOf(`${name}.kind`, p.kind, PRIOR_KINDS);
  const mean = checkNumber(`${name}.mean`, p.mean ?? 0, -1e6, 1e6);
  const variance = checkNumber(`${name}.variance`, p.variance ?? 1, 1e-12, 1e12);
  const density = kind === 'gauss-bernoulli' ? checkNumber(`${name}.density`, (p as { density: number }).density, 1e-9, 1) : 1;
  return { kind, mean, variance, density };
}

const SQRT2 = Math.SQRT2, SQRT2PI = Math.sqrt(2 * Math.PI);

/** log Phi(t) and phi(t) / Phi(t) for the standard normal, stable for very negative t. */
function logPhiAndRatio(t: number): { logPhi: number; ratio: number } {
  if (t > -5) {
    const Phi = 0.5 * (1 + erf(t / SQRT2));
    return { logPhi: Math.log(Phi), ratio: Math.exp(-0.5 * t * t) / SQRT2PI / Phi };
  }
  // Mills' ratio m(x) = (1 - Phi(x)) / phi(x) at x = -t > 5: 1 / (x + 1/(x + 2/(x + 3/(x + ...))))
  const x = -t;
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / f;
  const mills = 1 / f;
  return { logPhi: -0.5 * x * x - Math.log(SQRT2PI) + Math.log(mills), ratio: 1 / mills };
}

/** E[x] and E[x^2] under the prior. */
export function priorMoments(prior: Prior): { mean: number; second: number } {
  const p = checkPrior('prior', prior);
  return momentsOf(p);
}

export function momentsOf(p: FullPrior): { mean: number; second: number } {
  if (p.kind === 'nonnegative') {
    const s = Math.sqrt(p.variance), t = p.mean / s;
    const { ratio } = logPhiAndRatio(t);
    const m = p.mean + s * ratio;
    const v = p.variance * (1 - t * ratio - ratio * ratio);
    return { mean: m, second: v + m * m };
  }
  return { mean: p.density * p.mean, second: p.density * (p.variance + p.mean * p.mean) };
}

/** `n` seeded draws from the prior. */
export function samplePrior(prior: Prior, n: number, seed: number): Float64Array {
  const p = checkPrior('prior', prior);
  checkInteger('n', n, 0);
  const out = new Float64Array(n);
  drawInto(p, out, new Rng(seed));
  return out;
}

export function drawInto(p: FullPrior, out: Float64Array, rng: Rng): void {
  const s = Math.sqrt(p.variance);
  for (let i = 0; i < out.length; i++) {
    if (p.kind === 'gauss-bernoulli') { out[i] = rng.uniform() < p.density ? p.mean + s * rng.normal() : 0; continue; }
    if (p.kind === 'gaussian') { out[i] = p.mean + s * rng.normal(); continue; }
    let x = p.mean + s * rng.normal(), tries = 0;
    while (x < 0 && ++tries < 10000) x = p.mean + s * rng.normal();
    out[i] = Math.max(x, 0);
  }
}

/** Posterior mean, variance and log Z of one entry: prior x exp(b x - a x^2 / 2). */
export function scalarPosterior(p: FullPrior, a: number, b: number): { mean: number; variance: number; logZ: number } {
  const P = 1 / p.variance + a, h = b + p.mean / p.variance, c = h / P;
  const base = 0.5 * P * c * c - 0.5 * Math.log(p.variance * P) - (p.mean * p.mean) / (2 * p.variance);
  if (p.kind === 'gaussian') return { mean: c, variance: 1 / P, logZ: base };
  if (p.kind === 'gauss-bernoulli') {
    if (p.density === 1) return { mean: c, variance: 1 / P, logZ: base };
    const l1 = Math.log(p.density) + base, l0 = Math.log1p(-p.density);
    const top = Math.max(l0, l1);
    const logZ = top + Math.log(Math.exp(l0 - top) + Math.exp(l1 - top));
    const w = Math.exp(l1 - logZ);
    const mean = w * c, second = w * (c * c + 1 / P);
    return { mean, variance: Math.max(second - mean * mean, 0), logZ };
  }
  const sq = Math.sqrt(P), t = c * sq;
  const { logPhi, ratio } = logPhiAndRatio(t);
  const norm = p.mean === 0 ? -Math.LN2 : logPhiAndRatio(p.mean / Math.sqrt(p.variance)).logPhi;
  return { mean: c + ratio / sq, variance: Math.max((1 - t * ratio - ratio * ratio) / P, 0), logZ: base + logPhi - norm };
}

/**
 * Posterior means (rows x r) and the sum over rows of the posterior
 * covariances (r x r) for B (rows x r, row-major) and the shared A (r x r).
 * Also the sum of log Z over rows (exact except for the nonnegative prior at r > 1).
 */
export function denoiseRows(p: FullPrior, A: Float64Array, B: Float64Array, rows: number, r: number): { mean: Float64Array; covSum: Float64Array; logZ: number } {
  const mean = new Float64Array(rows * r), covSum = new Float64Array(r * r);
  let logZ = 0;
  if (r === 1) {
    for (let i = 0; i < rows; i++) {
      const q = scalarPosterior(p, A[0], B[i]);
      mean[i] = q.mean;
      covSum[0] += q.variance;
      logZ += q.logZ;
    }
    return { mean, covSum, logZ };
  }
  if (p.kind === 'gaussian' || (p.kind === 'gauss-bernoulli' && p.density === 1)) {
    const P = Float64Array.from(A);
    for (let i = 0; i < r; i++) P[i * r + i] += 1 / p.variance;
    const inv = inverseSpd(P, r);
    if (!inv) throw new ArgumentError('A', 'a matrix with A + I / variance positive definite', 'a matrix that is not');
    const h = new Float64Array(r);
    const logDetVP = inv.logDet + r * Math.log(p.variance);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < r; k++) h[k] = B[i * r + k] + p.mean / p.variance;
      let quad = 0;
      for (let k = 0; k < r; k++) {
        let s = 0;
        for (let j = 0; j < r; j++) s += inv.inverse[k * r + j] * h[j];
        mean[i * r + k] = s;
        quad += s * h[k];
      }
      logZ += 0.5 * quad - 0.5 * logDetVP - (r * p.mean * p.mean) / (2 * p.variance);
    }
    for (let k = 0; k < r * r; k++) covSum[k] = rows * inv.inverse[k];
    return { mean, covSum, logZ };
  }
  if (p.kind === 'gauss-bernoulli') return gaussBernoulliRows(p, A, B, rows, r, mean, covSum);
  return nonnegativeMeanField(p, A, B, rows, r, mean, covSum);
}

function gaussBernoulliRows(p: FullPrior, A: Float64Array, B: Float64Array, rows: number, r: number, mean: Float64Array, covSum: Float64Array): { mean: Float64Array; covSum: Float64Array; logZ: number } {
  if (r > 10) throw new ArgumentError('rank', 'at most 10 for the gauss-bernoulli prior (2^rank supports per row)', r);
  const nS = 1 << r;
  // per support: indices, P_S^{-1}, log det(variance P_S), prior log weight
  const supports = [] as { idx: number[]; inv: Float64Array; logDet: number; logW: number }[];
  for (let S = 0; S < nS; S++) {
    const idx: number[] = [];
    for (let k = 0; k < r; k++) if (S & (1 << k)) idx.push(k);
    const m = idx.length;
    const logW = m * Math.log(p.density) + (r - m) * Math.log1p(-p.density);
    if (m === 0) { supports.push({ idx, inv: new Float64Array(0), logDet: 0, logW }); continue; }
    const P = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) P[a * m + b] = A[idx[a] * r + idx[b]] + (a === b ? 1 / p.variance : 0);
    const inv = inverseSpd(P, m);
    if (!inv) throw new ArgumentError('A', 'a matrix with A_SS + I / variance positive definite', 'a matrix that is not');
    supports.push({ idx, inv: inv.inverse, logDet: inv.logDet + m * Math.log(p.variance), logW });
  }
  const logZs = new Float64Array(nS);
  const means = new Float64Array(nS * r);
  const second = new Float64Array(r * r), mu = new Float64Array(r);
  let logZ = 0;
  for (let i = 0; i < rows; i++) {
    let top = -Infinity;
    for (let S = 0; S < nS; S++) {
      const { idx, inv, logDet, logW } = supports[S];
      const m = idx.length;
      let quad = 0;
      for (let a = 0; a < r; a++) means[S * r + a] = 0;
      for (let a = 0; a < m; a++) {
        let s = 0;
        for (let b = 0; b < m; b++) s += inv[a * m + b] * (B[i * r + idx[b]] + p.mean / p.variance);
        means[S * r + idx[a]] = s;
        quad += s * (B[i * r + idx[a]] + p.mean / p.variance);
      }
      logZs[S] = logW + 0.5 * quad - 0.5 * logDet - (m * p.mean * p.mean) / (2 * p.variance);
      if (logZs[S] > top) top = logZs[S];
    }
    let sum = 0;
    for (let S = 0; S < nS; S++) sum += Math.exp(logZs[S] - top);
    const lz = top + Math.log(sum);
    logZ += lz;
    mu.fill(0);
    second.fill(0);
    for (let S = 0; S < nS; S++) {
      const w = Math.exp(logZs[S] - lz);
      if (w === 0) continue;
      const { idx, inv } = supports[S];
      const m = idx.length;
      for (let a = 0; a < r; a++) mu[a] += w * means[S * r + a];
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) second[idx[a] * r + idx[b]] += w * inv[a * m + b];
      for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) second[a * r + b] += w * means[S * r + a] * means[S * r + b];
    }
    for (let a = 0; a < r; a++) {
      mean[i * r + a] = mu[a];
      for (let b = 0; b < r; b++) covSum[a * r + b] += second[a * r + b] - mu[a] * mu[b];
    }
  }
  return { mean, covSum, logZ };
}

function nonnegativeMeanField(p: FullPrior, A: Float64Array, B: Float64Array, rows: number, r: number, mean: Float64Array, covSum: Float64Array): { mean: Float64Array; covSum: Float64Array; logZ: number } {
  const v = new Float64Array(r);
  let logZ = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * r;
    for (let sweep = 0; sweep < 8; sweep++) {
      for (let k = 0; k < r; k++) {
        let b = B[o + k];
        for (let j = 0; j < r; j++) if (j !== k) b -= A[k * r + j] * mean[o + j];
        const q = scalarPosterior(p, A[k * r + k], b);
        mean[o + k] = q.mean;
        v[k] = q.variance;
        if (sweep === 7) logZ += q.logZ;
      }
    }
    for (let k = 0; k < r; k++) covSum[k * r + k] += v[k];
  }
  return { mean, covSum, logZ };
}

/** Quadrature nodes and weights (weights sum to 1) of the prior: atoms and the trapezoid rule on its Gaussian part. */
export function priorNodes(p: FullPrior, dz: number, zMax: number): { x: Float64Array; w: Float64Array } {
  const xs: number[] = [], ws: number[] = [];
  const s = Math.sqrt(p.variance);
  if (p.kind === 'nonnegative') {
    // grid in z from the truncation point -mean/s up, Simpson's weights (the density does not vanish at the
    // truncation, where the trapezoid rule would be second order only), renormalised
    const z0 = Math.max(-p.mean / s, -zMax);
    let n = Math.max(3, Math.ceil((zMax - z0) / dz) + 1);
    if (n % 2 === 0) n++;
    const h = (zMax - z0) / (n - 1);
    let tot = 0;
    for (let k = 0; k < n; k++) {
      const z = z0 + k * h;
      const w = Math.exp(-0.5 * z * z) * (k === 0 || k === n - 1 ? 1 : k % 2 === 1 ? 4 : 2);
      xs.push(Math.max(0, p.mean + s * z));
      ws.push(w);
      tot += w;
    }
    return { x: Float64Array.from(xs), w: Float64Array.from(ws, (w) => w / tot) };
  }
  const g = normalGrid({ dz, zMax });
  let tot = 0;
  for (let k = 0; k < g.z.length; k++) tot += g.w[k];
  if (p.kind === 'gauss-bernoulli' && p.density < 1) { xs.push(0); ws.push(1 - p.density); }
  for (let k = 0; k < g.z.length; k++) { xs.push(p.mean + s * g.z[k]); ws.push(p.density * g.w[k] / tot); }
  return { x: Float64Array.from(xs), w: Float64Array.from(ws) };
}

