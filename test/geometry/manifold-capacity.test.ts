/**
 * lib/geometry/manifold-capacity: against closed forms (Cover's 2 for points, the self-dual Lorentz cone's
 * 2 / (D + 1) for unit balls, Cover's counting function for random points), a brute-force enumeration of active
 * sets for tiny anchor QPs, the exact cone projection of a ball on the same T vectors, invariances, the LP
 * simulation, and the harmonic average on a skewed set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng } from '../../lib/core';
import {
  anchorPointAnalysis, ballCapacity, centreCorrelationSubspace, harmonicMean, linearlySeparable, manifoldCapacity, simulatedCapacity,
} from '../../lib/geometry';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** P Gaussian clouds of M points in `amb` dimensions: centres N(0, I), points centre + sigma N(0, I). */
function clouds(P: number, M: number, amb: number, sigma: number, seed: number, sigmas?: number[]): Float64Array[] {
  const r = rng(seed);
  return Array.from({ length: P }, (_, i) => {
    const c = r.normalArray(amb, 0, 1, 'float64');
    const s = sigmas ? sigmas[i] : sigma;
    const x = new Float64Array(M * amb);
    for (let j = 0; j < M; j++) for (let k = 0; k < amb; k++) x[j * amb + k] = c[k] + s * r.normal();
    return x;
  });
}

test('points (radius 0) give Cover and Gardner capacity 2 at kappa = 0, and Gardner at kappa > 0', () => {
  // one point: F = max(-t0, 0)^2, E F = 1/2; the sample mean of 20,000 has sd sqrt(1.25 / 20000) = 0.008 on 1/alpha
  const a = anchorPointAnalysis([0], 1, { nT: 20000, seed: 3 });
  close(a.capacity, 2, 0.07, 'point capacity');
  close(a.radius, 0, 1e-12, 'point radius');
  assert.equal(ballCapacity(0, 4), ballCapacity(0, 1));
  close(ballCapacity(0, 4), 2, 1e-6, 'ball R = 0');
  // Gardner at kappa = 1: 1 / int_{-inf}^{1} (1 - t)^2 Dt = 1 / (2 Phi(1) + phi(1)) (closed form, Phi(1) = 0.841344746)
  close(ballCapacity(0, 3, 1), 1 / (2 * 0.8413447460685429 + 0.24197072451914337), 1e-6, 'Gardner kappa 1');
});

test('ballCapacity: the unit ball is 2 / (D + 1) (self-dual cone), large D approaches (1 + R^-2) / D, and a Monte Carlo of the cone projection agrees', () => {
  for (const D of [1, 2, 7.5, 40]) close(ballCapacity(1, D), 2 / (D + 1), 1e-6 * 2 / (D + 1), `unit ball D ${D}`);
  close(ballCapacity(2, 400) * 400 / (1 + 1 / 4), 1, 0.03, 'large D');
  // the ball's F(T) by the geometry of the cone v0 >= R |v| (projection onto its surface or apex), sampled
  const R = 0.7, D = 3, r = rng(5);
  let sum = 0;
  const n = 40000;
  for (let q = 0; q < n; q++) {
    let rr = 0;
    for (let k = 0; k < D; k++) rr += r.normal() ** 2;
    const rad = Math.sqrt(rr), t0 = r.normal();
    if (t0 >= R * rad) continue;
    sum += t0 < -rad / R ? t0 * t0 + rr : (R * rad - t0) ** 2 / (1 + R * R);
  }
  close(ballCapacity(R, D), n / sum, 0.03 * n / sum, 'ball vs Monte Carlo');
});

test('anchor QPs: a polygon approximating a disc gives the ball F(T) of the exact cone projection on the same T vectors', () => {
  const R = 1.3, m = 180, D = 2;
  const pts = new Float64Array(m * 2);
  for (let j = 0; j < m; j++) { pts[2 * j] = R * Math.cos((2 * Math.PI * j) / m); pts[2 * j + 1] = R * Math.sin((2 * Math.PI * j) / m); }
  const a = anchorPointAnalysis(pts, D, { nT: 400, seed: 9 });
  let fBall = 0, fPoly = 0;
  for (let i = 0; i < 400; i++) {
    const t = a.t.subarray(i * 3, i * 3 + 3);
    const rad = Math.hypot(t[0], t[1]), t0 = t[2];
    fBall += t0 >= R * rad ? 0 : t0 < -rad / R ? t0 * t0 + rad * rad : (R * rad - t0) ** 2 / (1 + R * R);
    fPoly += a.f[i];
  }
  // the inscribed polygon is a slightly smaller set: F at most the disc's, within its sagitta R (1 - cos(pi / m))
  assert.ok(fPoly <= fBall * (1 + 1e-9));
  close(fPoly / fBall, 1, 2e-3, 'polygon vs disc');
  assert.ok(a.kktResidual < 1e-10, `kkt ${a.kktResidual}`);
});

test('anchor QPs with more points than dimensions (an off-centre polygon in 20 coordinates with 1e-9 noise): the primal fallback matches brute force', () => {
  // the Gram matrix of 20 points spanning 2 dimensions is singular: the batched pivoting alone failed here (KKT ~1e11-1e56)
  const m = 20, D = 20, nT = 40, r = rng(2);
  const pts = new Float64Array(m * D);
  for (let j = 0; j < m; j++) {
    const th = (2 * Math.PI * (j + 0.3 * r.uniform())) / m;
    pts[j * D] = Math.cos(th) + 0.1;
    pts[j * D + 1] = Math.sin(th);
    for (let k = 2; k < D; k++) pts[j * D + k] = 1e-9 * r.normal();
  }
  const a = anchorPointAnalysis(pts, D, { nT, seed: 1 });
  // brute force in the 3 coordinates the constraints see (x, y, centre): at most 3 active points
  const S = Array.from({ length: m }, (_, j) => [pts[j * D], pts[j * D + 1], 1]);
  const subsets: number[][] = [];
  for (let i = 0; i < m; i++) { subsets.push([i]); for (let j = i + 1; j < m; j++) { subsets.push([i, j]); for (let k = j + 1; k < m; k++) subsets.push([i, j, k]); } }
  for (let i = 0; i < nT; i++) {
    const t = [a.t[i * (D + 1)], a.t[i * (D + 1) + 1], a.t[i * (D + 1) + D]];
    let best = S.every((x) => x[0] * t[0] + x[1] * t[1] + x[2] * t[2] >= 0) ? 0 : Infinity;
    for (const sub of subsets) {
      const A = sub.map((j) => S[j]);
      const mu = solve(A.map((x) => A.map((y) => x[0] * y[0] + x[1] * y[1] + x[2] * y[2])), A.map((x) => -(x[0] * t[0] + x[1] * t[1] + x[2] * t[2])));
      if (mu === null || mu.some((u) => u < -1e-12)) continue;
      const v = t.map((tk, k) => tk + A.reduce((q, x, c) => q + mu[c] * x[k], 0));
      if (S.some((x) => x[0] * v[0] + x[1] * v[1] + x[2] * v[2] < -1e-9)) continue;
      best = Math.min(best, v.reduce((q, vk, k) => q + (vk - t[k]) ** 2, 0));
    }
    close(a.f[i], best, 1e-6 * (1 + best), `F brute force T ${i}`);
  }
  assert.ok(a.kktResidual < 1e-7, `kkt ${a.kktResidual}`);
  assert.ok(a.primalSolves > 0);
});

test('anchor QP: KKT conditions and a brute-force enumeration of active sets on tiny manifolds', () => {
  const r = rng(11);
  for (const [m, D, kappa] of [[3, 2, 0], [4, 3, 0.3], [5, 2, -0.2], [2, 4, 0]] as const) {
    const pts = r.normalArray(m * D, 0, 0.8, 'float64') as Float64Array;
    const a = anchorPointAnalysis(pts, D, { nT: 60, seed: m, kappa });
    const D1 = D + 1;
    const S = Array.from({ length: m }, (_, j) => [...Array.from(pts.subarray(j * D, j * D + D)), 1]);
    for (let i = 0; i < 60; i++) {
      const t = Array.from(a.t.subarray(i * D1, i * D1 + D1));
      // brute force: every subset A of constraints held with equality, v = t + S_A^T mu, mu >= 0, all constraints met
      let best = Infinity;
      for (let mask = 0; mask < 1 << m; mask++) {
        const A = S.filter((_, j) => mask & (1 << j));
        let v = t;
        if (A.length > 0) {
          const Gm = A.map((x) => A.map((y) => x.reduce((s, xi, k) => s + xi * y[k], 0)));
          const rhs = A.map((x) => kappa - x.reduce((s, xi, k) => s + xi * t[k], 0));
          const mu = solve(Gm, rhs);
          if (mu === null || mu.some((u) => u < -1e-12)) continue;
          v = t.map((tk, k) => tk + A.reduce((s, x, q) => s + mu[q] * x[k], 0));
        }
        if (S.some((x) => x.reduce((s, xi, k) => s + xi * v[k], 0) < kappa - 1e-9)) continue;
        best = Math.min(best, v.reduce((s, vk, k) => s + (vk - t[k]) ** 2, 0));
      }
      // m > D + 1 points carry the dual's ridge 1e-9 (see the header): F to 1e-7 there
      close(a.f[i], best, (m > D1 ? 1e-7 : 1e-9) * (1 + best), `F brute force m ${m} D ${D} T ${i}`);
      // KKT from the anchor: v = t + c s~ with c = (kappa - t.s~) / |s~|^2 >= 0 is feasible and gives F
      const s = Array.from(a.anchors.subarray(i * D1, i * D1 + D1));
      const ts = s.reduce((q, x, k) => q + x * t[k], 0), ss = s.reduce((q, x) => q + x * x, 0);
      const c = Math.max(kappa - ts, 0) / ss;
      const v = t.map((tk, k) => tk + c * s[k]);
      for (const x of S) assert.ok(x.reduce((q, xi, k) => q + xi * v[k], 0) >= kappa - 1e-9, 'primal feasible');
      close(c * c * ss, a.f[i], (m > D1 ? 1e-7 : 1e-9) * (1 + a.f[i]), 'F from the anchor');
      close(s[D], 1, 1e-12, 'anchor centre coordinate');
    }
    assert.ok(a.kktResidual < 1e-12, `kkt ${a.kktResidual}`);
    // alpha^-1 = mean F; R_M and D_M by their definitions (PRX eqs. 28-29, the authors' centring of the anchors over T)
    close(a.capacity, 60 / a.f.reduce((q, x) => q + x, 0), (m > D1 ? 1e-7 : 1e-9) * a.capacity, 'capacity = 1 / mean F');
    const mean = Array.from({ length: D }, (_, k) => a.anchors.filter((_, q) => q % D1 === k).reduce((q, x) => q + x, 0) / 60);
    let r2 = 0, dot = 0;
    for (let i = 0; i < 60; i++) {
      const s = Array.from(a.anchors.subarray(i * D1, i * D1 + D)), t = Array.from(a.t.subarray(i * D1, i * D1 + D));
      r2 += s.reduce((q, x, k) => q + (x - mean[k]) ** 2, 0) / 60;
      dot += s.reduce((q, x, k) => q + x * t[k], 0) / Math.hypot(...s) / Math.hypot(...t) / 60;
    }
    close(a.radius, Math.sqrt(r2), 1e-9, 'radius');
    close(a.dimension, D * dot * dot, 1e-6, 'dimension');
  }
});

function solve(A: number[][], b: number[]): number[] | null {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(M[i][c]) > Math.abs(M[p][c])) p = i;
    if (Math.abs(M[p][c]) < 1e-12) return null;
    [M[c], M[p]] = [M[p], M[c]];
    for (let i = 0; i < n; i++) if (i !== c) { const f = M[i][c] / M[c][c]; for (let k = c; k <= n; k++) M[i][k] -= f * M[c][k]; }
  }
  return M.map((row, i) => row[n] / row[i]);
}

test('capacity, radius and dimension are invariant to a rotation of the feature space and to a global scaling', () => {
  const dim = 30, X = clouds(8, 6, dim, 0.8, 2);
  // a random orthogonal matrix by Gram-Schmidt on Gaussian columns
  const r = rng(4), Q = Array.from({ length: dim }, () => Array.from({ length: dim }, () => r.normal()));
  for (let j = 0; j < dim; j++) {
    for (let i = 0; i < j; i++) { const d = Q[j].reduce((s, x, k) => s + x * Q[i][k], 0); Q[j] = Q[j].map((x, k) => x - d * Q[i][k]); }
    const n = Math.hypot(...Q[j]); Q[j] = Q[j].map((x) => x / n);
  }
  const Y = X.map((x) => {
    const y = new Float64Array(x.length);
    for (let s = 0; s < x.length / dim; s++) for (let a = 0; a < dim; a++) { let v = 0; for (let k = 0; k < dim; k++) v += x[s * dim + k] * Q[a][k]; y[s * dim + a] = 3.7 * v; }
    return y;
  });
  const a = manifoldCapacity(X, dim, { nT: 50, seed: 1, centreCorrelation: { nReps: 1, maxIterations: 50 } });
  const b = manifoldCapacity(Y, dim, { nT: 50, seed: 1, centreCorrelation: { nReps: 1, maxIterations: 50 } });
  close(b.capacity, a.capacity, 1e-6 * a.capacity, 'capacity');
  close(b.radius, a.radius, 1e-6, 'radius');
  close(b.dimension, a.dimension, 1e-6, 'dimension');
  assert.equal(b.K, a.K);
});

test('the manifold analysis of random Gaussian data reproduces the authors\' README values at N = 1000 (0.04, 1.47, 36.17)', () => {
  // README: P = 100, M = 50, N = 5000, n_t = 200 -> capacity 0.04, radius 1.47, dimension 36.17 (no centre correlations in random data)
  const r = rng(0), X = Array.from({ length: 12 }, () => r.normalArray(50 * 1000, 0, 1, 'float64'));
  const a = manifoldCapacity(X, 1000, { nT: 100, centreCorrelation: false });
  close(a.capacity, 0.04, 0.003, 'capacity');
  close(a.radius, 1.47, 0.05, 'radius');
  close(a.dimension, 36.17, 1.5, 'dimension');
  close(a.capacity, ballCapacity(a.radius, a.dimension), 0.15 * a.capacity, 'alpha_M ~ alpha_Ball(R_M, D_M)');
});

test('linearlySeparable: random points follow Cover\'s counting function C(P, N) / 2^P', () => {
  // fraction of labelings of P points in general position in N dims separable through the origin: 2^(1-P) sum_{k<N} binom(P-1, k)
  const cover = (P: number, N: number) => { let s = 0, b = 1; for (let k = 0; k < N; k++) { s += b; b = (b * (P - 1 - k)) / (k + 1); } return s * 2 ** (1 - P); };
  const r = rng(8), N = 6, trials = 60;
  for (const P of [9, 12, 15]) {
    let sep = 0;
    for (let q = 0; q < trials; q++) {
      const x = r.normalArray(P * N, 0, 1, 'float64');
      const y = Array.from({ length: P }, () => (r.uniform() < 0.5 ? -1 : 1));
      const out = linearlySeparable(x, N, y);
      if (out.separable) {
        sep++;
        // the margin is real: some w with |w| <= 1 separates by it (checked through the LP's own guarantee, margin > 0)
        assert.ok(out.margin > 0);
      }
    }
    const p = cover(P, N);
    close(sep / trials, p, 3.5 * Math.sqrt((p * (1 - p)) / trials) + 1e-9, `Cover P ${P}`);
  }
});

test('simulated capacity of Gaussian point clouds lies within a finite-size band of the mean-field theory', () => {
  // band: 20% (the transition's width is of order 1/sqrt(N) ~ 0.17 at N ~ 35, and 20 labelings locate its midpoint)
  const X = clouds(20, 8, 300, 0.5, 1);
  const theory = manifoldCapacity(X, 300, { nT: 300, centreCorrelation: false, seed: 2 });
  const sim = simulatedCapacity(X, 300, [20, 24, 28, 34, 42], { trials: 20, seed: 3 });
  assert.ok(sim.capacity !== null, `fractions ${sim.fractions}`);
  close(sim.capacity!, theory.capacity, 0.2 * theory.capacity, 'simulated vs theory');
});

test('capacity is the harmonic mean over manifolds: on a skewed set the arithmetic mean is far off and the simulation follows the harmonic one', () => {
  // half the manifolds nearly points (capacity ~1.8), half wide clouds (capacity ~0.25)
  const P = 16, sigmas = Array.from({ length: P }, (_, i) => (i % 2 === 0 ? 0.05 : 3));
  const X = clouds(P, 10, 300, 0, 6, sigmas);
  const a = manifoldCapacity(X, 300, { nT: 300, centreCorrelation: false, seed: 1 });
  close(a.capacity, harmonicMean(a.perManifold.capacity), 1e-12, 'capacity = harmonicMean(per manifold)');
  const arithmetic = a.perManifold.capacity.reduce((s, x) => s + x, 0) / P;
  assert.ok(arithmetic > 1.5 * a.capacity, `arithmetic ${arithmetic} vs harmonic ${a.capacity}`);
  const sim = simulatedCapacity(X, 300, [22, 28, 34, 40, 46, 56], { trials: 20, seed: 5 });
  assert.ok(sim.capacity !== null, `fractions ${sim.fractions}`);
  assert.ok(Math.abs(sim.capacity! - a.capacity) < Math.abs(sim.capacity! - arithmetic) / 3, `simulated ${sim.capacity} harmonic ${a.capacity} arithmetic ${arithmetic}`);
});

test('centreCorrelationSubspace finds a direction planted in the centres and lowers their correlations', () => {
  // centres c_mu = a_mu u + noise with a shared unit vector u: strongly correlated; removing u decorrelates them
  const P = 20, dim = 40, r = rng(12);
  const u = r.normalArray(dim, 0, 1, 'float64') as Float64Array;
  const nu = Math.hypot(...u);
  for (let k = 0; k < dim; k++) u[k] /= nu;
  const centres = new Float64Array(P * dim);
  for (let a = 0; a < P; a++) { const s = 3 * r.normal() + 5; for (let k = 0; k < dim; k++) centres[a * dim + k] = s * u[k] + 0.3 * r.normal(); }
  const sub = centreCorrelationSubspace(centres, dim, { seed: 1, nReps: 2 });
  assert.ok(sub.K >= 1);
  // u lies in the found subspace (|projection| close to 1), and the mean |correlation| drops below half
  let proj = 0;
  for (let c = 0; c < sub.K; c++) { let d = 0; for (let k = 0; k < dim; k++) d += u[k] * sub.basis[k * sub.K + c]; proj += d * d; }
  assert.ok(proj > 0.9, `projection ${proj}`);
  assert.ok(Math.min(...sub.correlationByK) < sub.correlationBefore / 2, `${sub.correlationBefore} -> ${sub.correlationByK}`);
  // the basis is orthonormal
  for (let a = 0; a < sub.K; a++) for (let b = 0; b < sub.K; b++) {
    let d = 0; for (let k = 0; k < dim; k++) d += sub.basis[k * sub.K + a] * sub.basis[k * sub.K + b];
    close(d, a === b ? 1 : 0, 1e-9, 'orthonormal');
  }
});
