/**
 * Manifold capacity: the mean-field theory of the linear classification of object manifolds
 * (S. Chung, D. D. Lee & H. Sompolinsky, "Classification and geometry of general perceptual
 * manifolds", PRX 8:031003, 2018, arXiv 1710.06487), its anchor-point radius and dimension, the
 * removal of correlations between manifold centres (U. Cohen, S. Chung, D. D. Lee & H. Sompolinsky,
 * Nat Commun 11:746, 2020), the closed-form capacity of L2 balls, and the simulated capacity of linear
 * programs over random labelings. Reviewed in S. Chung & L. F. Abbott, Curr Opin Neurobiol 70:137,
 * 2021 (arXiv 2104.07059). Facts and defaults follow the authors' code (schung039/neural_manifolds_replicaMFT,
 * mftma/manifold_analysis_correlation.py); the code here is written from the equations.
 *
 * One manifold, in its own coordinates: m points s_j in D dimensions, displacements from the manifold's
 * centre in units of the centre's norm; the centre is the extra coordinate 1, so S_j = (s_j, 1) in D + 1
 * dimensions. For T ~ N(0, I_{D+1}) the field of a readout V on point j is V.S_j, and
 *
 *   F(T) = min_V ||V - T||^2   subject to  V.S_j >= kappa  for every j          (PRX eq. 16)
 *   alpha_M^{-1} = E_T F(T) = E_T [ max(kappa - T.s~, 0)^2 / ||s~||^2 ]          (PRX eqs. 16-17)
 *
 * where the anchor point s~(T) is the convex combination of the points that holds the KKT multipliers:
 * V = T + sum_j lambda_j S_j, s~ = sum_j lambda_j S_j / sum_j lambda_j. (Where T already satisfies every
 * constraint, F = 0 and s~ is the point of smallest field.) The QP's dual is an NNLS problem with the m x m
 * Gram matrix K = S S^T shared by every T:
 *
 *   min_{lambda >= 0}  1/2 lambda^T K lambda - (kappa - S T)^T lambda,    F = lambda^T K lambda,
 *
 * solved for all T of a manifold at once by lib/core's batched block-principal-pivoting NNLS (exact up to
 * rounding: it stops when no sign condition is violated). The pivoting needs K well conditioned; with more points
 * than the dimensions they span (m > rank + 1: low-dimensional manifolds, a layer narrower than m) it can fail, so
 * every T whose relative KKT residual exceeds 1e-9 is solved again by the primal QP min 1/2 ||V||^2 - T.V subject
 * to S V >= kappa on lib/core's interior-point quadraticProgram (tolerance 1e-8), whose multipliers are lambda.
 * The largest KKT residual left, and the number of primal solves, are reported.
 *
 * Geometry (PRX eqs. 28-29, as the authors' code computes them): with ds~ the anchor points' D-dimensional
 * part minus its mean over T, divided by their centre component (1),
 *   R_M = sqrt(E_T ||ds~||^2),      D_M = D (E_T[ t^ . s^ ])^2,
 * t^ and s^ the unit vectors of T's and s~'s D-dimensional parts. alpha_M ~ alpha_Ball(R_M, D_M).
 *
 * Data (`manifoldCapacity`): P manifolds, each a samples x dim matrix. As in the authors' code: subtract the
 * global mean of all points; optionally project out the low-rank subspace of the manifold centres found by
 * `centreCorrelationSubspace`; centre each manifold and divide by its centre's norm; represent its points in
 * D = min(m, dim) coordinates (the square root of their Gram matrix, eigenvector signs fixed so that the
 * coordinates depend only on the Gram matrix: a rotation or scaling of the feature space changes nothing).
 * The capacity of the set is the harmonic mean 1 / mean(1/alpha_i) (the loads 1/alpha add, eq. 40 of the PRX
 * paper); radius and dimension are arithmetic means.
 *
 * Centre correlations (Cohen et al. 2020): centres X (P x P-1, in the basis of their span after subtracting
 * their mean). For an orthonormal V (P-1 x K), with c = X V and the residual Gram R = X X^T - c c^T,
 *   cost(V) = 1/2 sum_{m,n} R_mn^2 / (R_mm R_nn),
 * the squared correlation coefficients of the centres with V's subspace projected out, is minimised on the
 * Stiefel manifold (Riemannian conjugate gradients, Polak-Ribiere, projection transport, QR retraction,
 * Armijo backtracking) for K = 1, 2, ... (each K starting from the previous V and a new random direction,
 * nReps starts, keeping the start whose smallest residual centre norm ratio is largest), stopping after the
 * mean |off-diagonal residual correlation| rose three times in a row; K is its minimiser.
 *
 * Ball capacity (Chung, Lee & Sompolinsky PRL 2016; PRX sec. IV): an L2 ball of radius R in D dimensions has
 * min_S V.S = v0 - R |v|, and projecting T = (t, t0) (|t| = r ~ chi_D) onto that cone gives
 *   alpha_Ball^{-1} = E_r [ int_{kappa - r/R}^{kappa + R r} Dt0 (kappa + R r - t0)^2 / (1 + R^2)
 *                          + int_{-inf}^{kappa - r/R} Dt0 ((t0 - kappa)^2 + r^2) ],
 * computed by a trapezoid rule on a grid (relative error below 1e-6 for the settings used here).
 *
 * Simulated capacity: the P manifolds (globally centred) are projected by a Gaussian matrix to N dimensions,
 * each gets a random label +-1, and a linear program asks whether a hyperplane through the origin separates
 * them: max tau subject to y_mu w.x >= tau for every point, |w_i| <= 1 (lib/core's quadraticProgram with no
 * quadratic term); separable when tau > 1e-7 of its largest possible value. The fraction separable over
 * `trials` labelings is measured for each N; the capacity is P / N at the fraction 1/2 (linear interpolation
 * in P / N). Finite-size smearing of the transition is of order 1/sqrt(N).
 *
 * Exports: anchorPointAnalysis, manifoldCapacity, centreCorrelationSubspace, ballCapacity, harmonicMean,
 * linearlySeparable, simulatedCapacity and their types.
 */
import { ArgumentError, checkInteger, checkNumber, gemm, nnlsGram, orthonormalizeRows, quadraticProgram, rng, symEig, type Rng } from '../core';
import { columnMeans, crossProduct, sampleCount } from './matrix';

/** Relative KKT residual above which a batched-NNLS solution is not trusted and the T is solved by the primal QP. */
const PIVOT_KKT_LIMIT = 1e-9;

export interface AnchorPointOptions {
  /** Margin kappa (default 0, the value the papers compare at). */
  kappa?: number;
  /** Number of Gaussian vectors T (default 200, as the authors' README). */
  nT?: number;
  /** Seed of the T vectors (default 0); ignored when `t` is given. */
  seed?: number;
  /** The T vectors themselves, nT x (D + 1) row-major, centre coordinate last. */
  t?: Float64Array;
}

export interface AnchorPointAnalysis {
  /** alpha_M = 1 / E_T F(T). */
  capacity: number;
  radius: number;
  dimension: number;
  /** D, the number of coordinates of the points. */
  D: number;
  /** F(T) per T vector. */
  f: Float64Array;
  /** Anchor points, nT x (D + 1) row-major (centre coordinate last, = 1). */
  anchors: Float64Array;
  /** The T vectors used, nT x (D + 1). */
  t: Float64Array;
  /** Share of T vectors that already satisfy every constraint (F = 0). */
  interiorFraction: number;
  /**
   * Largest KKT violation of the NNLS duals, relative to 1 + max |kappa - S T|: max of -lambda_i, -(K lambda - c)_i
   * and |lambda_i (K lambda - c)_i| (the last relative to the square of that scale).
   */
  kktResidual: number;
  /** How many T the batched NNLS left above the KKT limit 1e-9 and the primal QP solved instead. */
  primalSolves: number;
}

/**
 * Mean-field capacity, anchor radius and anchor dimension of one manifold given in its own coordinates:
 * `points` m x D row-major, displacements from the centre in units of the centre's norm (see the header).
 */
export function anchorPointAnalysis(points: ArrayLike<number>, D: number, options: AnchorPointOptions = {}): AnchorPointAnalysis {
  const m = sampleCount('points', points, D, 'D');
  const kappa = checkNumber('kappa', options.kappa ?? 0);
  const D1 = D + 1;
  let t: Float64Array;
  if (options.t !== undefined) {
    if (!(options.t instanceof Float64Array) || options.t.length === 0 || options.t.length % D1 !== 0) throw new ArgumentError('t', `a Float64Array of nT x (D + 1) = nT x ${D1} values`, options.t);
    t = options.t;
  } else {
    const nT = checkInteger('nT', options.nT ?? 200, 1);
    t = rng(checkInteger('seed', options.seed ?? 0, 0)).normalArray(nT * D1, 0, 1, 'float64') as Float64Array;
  }
  const nT = t.length / D1;
  // S: m x (D + 1), the points with the centre coordinate; K = S S^T
  const S = new Float64Array(m * D1);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < D; k++) S[j * D1 + k] = points[j * D + k];
    S[j * D1 + D] = 1;
  }
  const K = new Float64Array(m * m);
  gemm(m, m, D1, S, S, K, { transB: true });
  // more points than coordinates (m > D + 1): K is singular and lambda not unique (v is). A ridge of 1e-9 of the
  // largest diagonal entry, the dual of a penalty 1e-9 ||lambda||^2 in F, keeps the pivoting's solves defined
  if (m > D1) {
    let top = 0;
    for (let j = 0; j < m; j++) top = Math.max(top, K[j * m + j]);
    for (let j = 0; j < m; j++) K[j * m + j] += 1e-9 * top;
  }
  const fields = new Float64Array(nT * m); // fields[i, j] = T_i . S_j
  gemm(nT, m, D1, t, S, fields, { transB: true });
  const anchors = new Float64Array(nT * D1);
  const f = new Float64Array(nT);
  const active: number[] = [];
  let interior = 0;
  for (let i = 0; i < nT; i++) {
    let jMin = 0;
    for (let j = 1; j < m; j++) if (fields[i * m + j] < fields[i * m + jMin]) jMin = j;
    if (fields[i * m + jMin] >= kappa) {
      interior++;
      anchors.set(S.subarray(jMin * D1, (jMin + 1) * D1), i * D1);
    } else active.push(i);
  }
  const r = active.length;
  let kkt = 0;
  let primalCount = 0;
  if (r > 0) {
    const C = new Float64Array(r * m);
    let scale = 0;
    active.forEach((i, a) => {
      for (let j = 0; j < m; j++) {
        C[a * m + j] = kappa - fields[i * m + j];
        scale = Math.max(scale, Math.abs(C[a * m + j]));
      }
    });
    const lambda = nnlsGram(K, C, m, r);
    const y = new Float64Array(r * m);
    gemm(r, m, m, lambda, K, y); // K symmetric: row a of y = K lambda_a
    const sc = 1 + scale;
    const primal: number[] = [];
    for (let a = 0; a < r; a++) {
      let res = 0;
      for (let q = a * m; q < (a + 1) * m; q++) {
        const g = y[q] - C[q];
        res = Math.max(res, -lambda[q] / sc, -g / sc, Math.abs(lambda[q] * g) / (sc * sc));
      }
      // pivoting on a near-singular K (more points than the span they fill) can fail: such T go to the primal QP
      if (!(res <= PIVOT_KKT_LIMIT)) primal.push(a);
      else kkt = Math.max(kkt, res);
    }
    if (primal.length > 0) {
      // the primal: min 1/2 ||V||^2 - T.V subject to S V >= kappa, in D + 1 variables (lib/core's interior point);
      // its multipliers z of the point constraints are the dual's lambda
      const ones = new Float64Array(D1).fill(1);
      const h = new Float64Array(m).fill(kappa);
      for (const a of primal) {
        const i = active[a];
        const q = Float64Array.from(t.subarray(i * D1, (i + 1) * D1), (x) => -x);
        // on degenerate constraints the interior point stalls near 1e-9: 1e-8 is the tolerance it meets
        const sol = quadraticProgram({ n: D1, P: ones, q, G: S, h }, { tolerance: 1e-8, maxIterations: 200 });
        kkt = Math.max(kkt, sol.convergence.converged ? sol.convergence.residual : Infinity);
        lambda.set(sol.z, a * m);
        let fv = 0;
        for (let k = 0; k < D1; k++) fv += (sol.x[k] - t[i * D1 + k]) ** 2;
        let zs = 0;
        for (let j = 0; j < m; j++) zs += sol.z[j];
        // spread F over y so that sum_j lambda_j y_j = F (only that sum is used)
        for (let j = 0; j < m; j++) y[a * m + j] = zs > 0 ? fv / zs : 0;
        primalCount++;
      }
    }
    const v = new Float64Array(D1);
    active.forEach((i, a) => {
      let sum = 0;
      let quad = 0;
      v.fill(0);
      for (let j = 0; j < m; j++) {
        const l = lambda[a * m + j];
        if (l === 0) continue;
        sum += l;
        quad += l * y[a * m + j];
        for (let k = 0; k < D1; k++) v[k] += l * S[j * D1 + k];
      }
      if (sum > 0) {
        for (let k = 0; k < D1; k++) anchors[i * D1 + k] = v[k] / sum;
        f[i] = quad;
      } else {
        // rounding can leave a T on the boundary with lambda = 0: it is an interior T (F = 0)
        let jMin = 0;
        for (let j = 1; j < m; j++) if (fields[i * m + j] < fields[i * m + jMin]) jMin = j;
        anchors.set(S.subarray(jMin * D1, (jMin + 1) * D1), i * D1);
      }
    });
  }
  // capacity from the anchor points (eqs. 16-17): max(kappa - T.s~, 0)^2 / ||s~||^2
  let inverse = 0;
  for (let i = 0; i < nT; i++) {
    let ts = 0, ss = 0;
    for (let k = 0; k < D1; k++) {
      ts += t[i * D1 + k] * anchors[i * D1 + k];
      ss += anchors[i * D1 + k] * anchors[i * D1 + k];
    }
    const h = Math.max(kappa - ts, 0);
    inverse += ss > 0 ? (h * h) / ss : 0;
  }
  inverse /= nT;
  // radius: anchor displacements from their mean over T, over the centre coordinate
  const meanAnchor = new Float64Array(D1);
  for (let i = 0; i < nT; i++) for (let k = 0; k < D1; k++) meanAnchor[k] += anchors[i * D1 + k] / nT;
  let r2 = 0, dot = 0;
  for (let i = 0; i < nT; i++) {
    const c = anchors[i * D1 + D];
    let d2 = 0, tt = 0, sn = 0, ts = 0;
    for (let k = 0; k < D; k++) {
      const d = (anchors[i * D1 + k] - meanAnchor[k]) / c;
      d2 += d * d;
      tt += t[i * D1 + k] * t[i * D1 + k];
      sn += anchors[i * D1 + k] * anchors[i * D1 + k];
      ts += t[i * D1 + k] * anchors[i * D1 + k];
    }
    r2 += d2;
    // the anchor sits against T (fields below kappa), so t^.s^ is negative: its square enters D_M
    dot += tt > 0 ? -ts / Math.sqrt(tt * (sn + 1e-12)) : 0;
  }
  r2 /= nT;
  dot /= nT;
  return {
    capacity: 1 / inverse, radius: Math.sqrt(r2), dimension: D * dot * dot, D, f, anchors, t,
    interiorFraction: interior / nT, kktResidual: kkt, primalSolves: primalCount,
  };
}

/** 1 / mean(1 / a_i): the capacity of a set of manifolds from their individual capacities. */
export function harmonicMean(values: ArrayLike<number>): number {
  if (values == null || typeof values.length !== 'number' || values.length === 0) throw new ArgumentError('values', 'a non-empty array of positive numbers', values);
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] > 0)) throw new ArgumentError('values', 'positive numbers', `${values[i]} at ${i}`);
    s += 1 / values[i];
  }
  return values.length / s;
}

/** Eigen-coordinates of the rows of a Gram matrix G (n x n): the n x k matrix U_k sqrt(l_k), signs fixed by the data. */
function gramCoordinates(G: Float64Array, n: number, k: number): Float64Array {
  const { values, vectors } = symEig({ rows: n, cols: n, data: G });
  const out = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    // the sign that makes the largest entry positive depends only on G, not on the solver
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(vectors.get(i, c)) > Math.abs(big)) big = vectors.get(i, c);
    const s = (big < 0 ? -1 : 1) * Math.sqrt(Math.max(values[c], 0));
    for (let i = 0; i < n; i++) out[i * k + c] = s * vectors.get(i, c);
  }
  return out;
}

export interface CentreCorrelationOptions {
  /** Largest K tried (default: the authors' rule, components for 95% of the centres' variance + 11, at most P - 2). */
  maxK?: number;
  /** Random starts per K (default 2; the authors use 10). */
  nReps?: number;
  /** Riemannian conjugate-gradient iterations per start (default 500). */
  maxIterations?: number;
  seed?: number;
}

export interface CentreCorrelationSubspace {
  /** Orthonormal basis of the centres' shared subspace, dim x K row-major (one basis vector per column). */
  basis: Float64Array;
  K: number;
  dim: number;
  /** Mean |off-diagonal correlation| of the centres before (res_coeff0) and after removing 1..K' directions. */
  correlationBefore: number;
  correlationByK: number[];
}

/** The squared-correlation cost of orthonormal V (n x K) for centres X (P x n), and its Euclidean gradient. */
function correlationCost(X: Float64Array, P: number, n: number, V: Float64Array, K: number, grad: Float64Array | null): number {
  const c = new Float64Array(P * K);
  gemm(P, K, n, X, V, c);
  const R = new Float64Array(P * P);
  gemm(P, P, n, X, X, R, { transB: true });
  gemm(P, P, K, c, c, R, { transB: true, alpha: -1, beta: 1 });
  let cost = 0;
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) cost += (R[a * P + b] * R[a * P + b]) / (R[a * P + a] * R[b * P + b]);
  if (grad) {
    // dF/dc = -2 W c + 2 diag(u) c,  W_ab = R_ab / (R_aa R_bb),  u_a = sum_b R_ab^2 / (R_aa^2 R_bb);  dF/dV = X^T dF/dc
    const W = new Float64Array(P * P);
    const u = new Float64Array(P);
    for (let a = 0; a < P; a++) {
      for (let b = 0; b < P; b++) {
        const w = R[a * P + b] / (R[a * P + a] * R[b * P + b]);
        W[a * P + b] = -2 * w;
        u[a] += (w * R[a * P + b]) / R[a * P + a];
      }
    }
    for (let a = 0; a < P; a++) W[a * P + a] += 2 * u[a];
    const gc = new Float64Array(P * K);
    gemm(P, K, P, W, c, gc);
    gemm(n, K, P, X, gc, grad, { transA: true });
  }
  return cost / 2;
}

/** Q of the thin QR of A (n x K, row-major), R's diagonal positive: lib/core's row QR of A^T, transposed back. */
function orthonormalColumns(A: Float64Array, n: number, K: number): Float64Array {
  const rows = new Float64Array(K * n);
  for (let r = 0; r < n; r++) for (let j = 0; j < K; j++) rows[j * n + r] = A[r * K + j];
  orthonormalizeRows(rows, K, n, new Float64Array(K));
  const Q = new Float64Array(n * K);
  for (let r = 0; r < n; r++) for (let j = 0; j < K; j++) Q[r * K + j] = rows[j * n + r];
  return Q;
}

/** Projects Z (n x K) onto the tangent space of the Stiefel manifold at V: Z - V sym(V^T Z). */
function tangent(V: Float64Array, Z: Float64Array, n: number, K: number): Float64Array {
  const VZ = new Float64Array(K * K);
  gemm(K, K, n, V, Z, VZ, { transA: true });
  const S = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) S[a * K + b] = 0.5 * (VZ[a * K + b] + VZ[b * K + a]);
  const out = Float64Array.from(Z);
  gemm(n, K, K, V, S, out, { alpha: -1, beta: 1 });
  return out;
}

const dotAll = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

/** Minimises correlationCost over the Stiefel manifold from V0 by Riemannian conjugate gradients. */
function stiefelMinimise(X: Float64Array, P: number, n: number, V0: Float64Array, K: number, maxIterations: number): { V: Float64Array; cost: number } {
  let V = V0;
  const egrad = new Float64Array(n * K);
  let cost = correlationCost(X, P, n, V, K, egrad);
  let g = tangent(V, egrad, n, K);
  let dir = g.map((x) => -x);
  let step = 1 / Math.sqrt(dotAll(g, g) + 1e-300);
  for (let it = 0; it < maxIterations; it++) {
    const gg = dotAll(g, g);
    // A centre lying in span(V) has zero residual norm: the cost and its gradient are 0/0 there, so stop at V.
    if (!Number.isFinite(gg) || Math.sqrt(gg) < 1e-6) break;
    let slope = dotAll(g, dir);
    if (slope >= 0) { dir = g.map((x) => -x); slope = -gg; }
    // Armijo backtracking along the QR retraction
    let a = step * 2;
    let Vn: Float64Array | null = null, cn = cost;
    for (let b = 0; b < 40; b++) {
      const trial = orthonormalColumns(V.map((x, i) => x + a * dir[i]), n, K);
      const ct = correlationCost(X, P, n, trial, K, null);
      if (ct <= cost + 1e-4 * a * slope) { Vn = trial; cn = ct; break; }
      a /= 2;
    }
    if (Vn === null) break;
    const decrease = cost - cn;
    V = Vn;
    cost = correlationCost(X, P, n, V, K, egrad);
    const gNew = tangent(V, egrad, n, K);
    // Polak-Ribiere+ with the old gradient and direction transported by projection onto the new tangent space
    const gOld = tangent(V, g, n, K);
    const dOld = tangent(V, dir, n, K);
    let num = 0;
    for (let i = 0; i < gNew.length; i++) num += gNew[i] * (gNew[i] - gOld[i]);
    const beta = Math.max(0, num / gg);
    dir = gNew.map((x, i) => -x + beta * dOld[i]);
    g = gNew;
    step = a;
    if (decrease <= 1e-12 * Math.max(1, Math.abs(cost))) break;
  }
  return { V, cost };
}

/** Mean |off-diagonal correlation| of the rows of X (P x n) after projecting out V (n x K; K = 0: none). */
function residualCorrelation(X: Float64Array, P: number, n: number, V: Float64Array | null, K: number): { mean: number; minNormRatio: number } {
  const Xr = Float64Array.from(X);
  if (V && K > 0) {
    const c = new Float64Array(P * K);
    gemm(P, K, n, X, V, c);
    gemm(P, n, K, c, V, Xr, { transB: true, alpha: -1, beta: 1 });
  }
  const G = new Float64Array(P * P);
  gemm(P, P, n, Xr, Xr, G, { transB: true });
  const G0 = new Float64Array(P * P);
  gemm(P, P, n, X, X, G0, { transB: true });
  let s = 0, minRatio = Infinity;
  for (let a = 0; a < P; a++) {
    minRatio = Math.min(minRatio, Math.sqrt(G[a * P + a] / G0[a * P + a]));
    for (let b = 0; b < P; b++) if (a !== b) s += Math.abs(G[a * P + b]) / Math.sqrt(G[a * P + a] * G[b * P + b]);
  }
  return { mean: s / (P * (P - 1)), minNormRatio: minRatio };
}

/**
 * The low-rank subspace shared by manifold centres (P x dim row-major, P >= 3), by the Stiefel optimisation of
 * Cohen et al. 2020 (see the header). Returns its basis in feature space.
 */
export function centreCorrelationSubspace(centres: ArrayLike<number>, dim: number, options: CentreCorrelationOptions = {}): CentreCorrelationSubspace {
  const P = sampleCount('centres', centres, dim, 'dim', 3);
  const nReps = checkInteger('nReps', options.nReps ?? 2, 1);
  const maxIterations = checkInteger('maxIterations', options.maxIterations ?? 500, 1);
  const random = rng(checkInteger('seed', options.seed ?? 0, 0));
  const mean = columnMeans(centres, P, dim);
  const Xb = new Float64Array(P * dim);
  for (let a = 0; a < P; a++) for (let j = 0; j < dim; j++) Xb[a * dim + j] = centres[a * dim + j] - mean[j];
  // the centres in an orthonormal basis of their span: X = U_n sqrt(l_n) (P x n), basis Q = Xb^T U_n / sqrt(l_n)
  const G = new Float64Array(P * P);
  gemm(P, P, dim, Xb, Xb, G, { transB: true });
  const n = Math.min(P - 1, dim);
  const X = gramCoordinates(G, P, n);
  const lambdas: number[] = [];
  let total = 0;
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let a = 0; a < P; a++) s += X[a * n + c] * X[a * n + c];
    lambdas.push(s);
    total += s;
  }
  let cum = 0, below = 0;
  for (let c = 0; c < n; c++) { cum += lambdas[c] / total; if (cum < 0.95) below = c; }
  const maxK = Math.min(checkInteger('maxK', options.maxK ?? below + 11, 1), Math.max(1, n - 1));
  const correlationBefore = residualCorrelation(X, P, n, null, 0).mean;
  const correlationByK: number[] = [];
  const solutions: Float64Array[] = [];
  let V1: Float64Array | null = null;
  for (let K = 1; K <= maxK; K++) {
    let best: Float64Array | null = null, bestStability = -Infinity;
    for (let rep = 0; rep < nReps; rep++) {
      // a new direction X^T s (a random combination of the centres) beside the previous solution
      const sX = new Float64Array(n);
      for (let a = 0; a < P; a++) { const s = random.normal(); for (let c = 0; c < n; c++) sX[c] += s * X[a * n + c]; }
      const V0 = new Float64Array(n * K);
      for (let r = 0; r < n; r++) {
        V0[r * K] = sX[r];
        for (let k = 1; k < K; k++) V0[r * K + k] = V1![r * (K - 1) + k - 1];
      }
      const { V } = stiefelMinimise(X, P, n, orthonormalColumns(V0, n, K), K, maxIterations);
      const stability = residualCorrelation(X, P, n, V, K).minNormRatio;
      if (stability > bestStability) { bestStability = stability; best = V; }
    }
    V1 = best!;
    solutions.push(V1);
    correlationByK.push(residualCorrelation(X, P, n, V1, K).mean);
    const c = correlationByK;
    if (K > 4 && c[K - 1] > c[K - 2] && c[K - 2] > c[K - 3] && c[K - 3] > c[K - 4]) break;
  }
  let kBest = 0;
  for (let k = 1; k < correlationByK.length; k++) if (correlationByK[k] < correlationByK[kBest]) kBest = k;
  const K = kBest + 1;
  // basis in feature space: Q (dim x n) V (n x K), Q = Xb^T U_n / sqrt(l_n) = Xb^T X / l_n
  const XoverL = new Float64Array(P * n);
  for (let a = 0; a < P; a++) for (let c = 0; c < n; c++) XoverL[a * n + c] = lambdas[c] > 0 ? X[a * n + c] / lambdas[c] : 0;
  const Q = crossProduct(Xb, dim, XoverL, n, P);
  const basis = new Float64Array(dim * K);
  gemm(dim, K, n, Q, solutions[kBest], basis);
  return { basis, K, dim, correlationBefore, correlationByK };
}

export interface ManifoldCapacityOptions extends Omit<AnchorPointOptions, 't'> {
  /** Remove the centres' shared subspace first (default true, the authors' manifold_analysis_corr); options or false. */
  centreCorrelation?: boolean | CentreCorrelationOptions;
}

export interface ManifoldCapacity {
  /** Harmonic mean of the manifolds' capacities. */
  capacity: number;
  /** Arithmetic means of the manifolds' anchor radii and dimensions. */
  radius: number;
  dimension: number;
  perManifold: { capacity: Float64Array; radius: Float64Array; dimension: Float64Array; D: Int32Array };
  /** The centre-correlation step: mean |correlation| of the centres before it and the K removed (0 when off). */
  centreCorrelation: number;
  K: number;
  /** Largest KKT residual of the anchor QPs (see AnchorPointAnalysis.kktResidual). */
  kktResidual: number;
  /** T vectors solved by the primal QP after the batched NNLS missed the KKT limit (all manifolds). */
  primalSolves: number;
}

/**
 * Mean-field manifold capacity, radius and dimension of P manifolds, each a samples x dim row-major matrix
 * (at least 2 samples each, P >= 3 with the centre-correlation step). T vectors of manifold i are drawn from
 * rng(seed).child(i); the Stiefel starts from rng(seed + 1).
 */
export function manifoldCapacity(manifolds: ArrayLike<number>[], dim: number, options: ManifoldCapacityOptions = {}): ManifoldCapacity {
  if (!Array.isArray(manifolds) || manifolds.length === 0) throw new ArgumentError('manifolds', 'a non-empty array of samples x dim matrices', manifolds);
  checkInteger('dim', dim, 1);
  const P = manifolds.length;
  const counts = manifolds.map((x, i) => sampleCount(`manifolds[${i}]`, x, dim, 'dim', 2));
  const kappa = checkNumber('kappa', options.kappa ?? 0);
  const nT = checkInteger('nT', options.nT ?? 200, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0);
  const cc = options.centreCorrelation ?? true;
  // global mean of all points, and the centres
  const globalMean = new Float64Array(dim);
  let total = 0;
  manifolds.forEach((x, i) => { for (let s = 0; s < counts[i]; s++) for (let j = 0; j < dim; j++) globalMean[j] += x[s * dim + j]; total += counts[i]; });
  for (let j = 0; j < dim; j++) globalMean[j] /= total;
  const centres = new Float64Array(P * dim);
  manifolds.forEach((x, i) => centres.set(columnMeans(x, counts[i], dim), i * dim));
  let basis: Float64Array | null = null, K = 0, correlation = 0;
  if (cc !== false) {
    if (P < 3) throw new ArgumentError('manifolds', 'at least 3 manifolds for the centre-correlation step (or centreCorrelation: false)', `${P}`);
    const sub = centreCorrelationSubspace(centres, dim, { seed: seed + 1, ...(cc === true ? {} : cc) });
    basis = sub.basis; K = sub.K; correlation = sub.correlationBefore;
  }
  const capacity = new Float64Array(P), radius = new Float64Array(P), dimension = new Float64Array(P);
  const Ds = new Int32Array(P);
  const root = rng(seed);
  let kkt = 0, primalSolves = 0;
  manifolds.forEach((x, i) => {
    const m = counts[i];
    const Y = new Float64Array(m * dim);
    for (let s = 0; s < m; s++) for (let j = 0; j < dim; j++) Y[s * dim + j] = x[s * dim + j] - globalMean[j];
    if (basis) {
      const c = new Float64Array(m * K);
      gemm(m, K, dim, Y, basis, c);
      gemm(m, dim, K, c, basis, Y, { transB: true, alpha: -1, beta: 1 });
    }
    const centre = columnMeans(Y, m, dim);
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += centre[j] * centre[j];
    norm = Math.sqrt(norm);
    if (!(norm > 0)) throw new ArgumentError(`manifolds[${i}]`, 'a manifold whose centre differs from the global mean', 'a centre at the global mean');
    for (let s = 0; s < m; s++) for (let j = 0; j < dim; j++) Y[s * dim + j] = (Y[s * dim + j] - centre[j]) / norm;
    const G = new Float64Array(m * m);
    gemm(m, m, dim, Y, Y, G, { transB: true });
    const D = Math.min(m, dim);
    const a = anchorPointAnalysis(gramCoordinates(G, m, D), D, { kappa, t: root.child(i).normalArray(nT * (D + 1), 0, 1, 'float64') as Float64Array });
    capacity[i] = a.capacity; radius[i] = a.radius; dimension[i] = a.dimension; Ds[i] = D;
    kkt = Math.max(kkt, a.kktResidual);
    primalSolves += a.primalSolves;
  });
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  return {
    capacity: harmonicMean(capacity), radius: mean(radius), dimension: mean(dimension),
    perManifold: { capacity, radius, dimension, D: Ds }, centreCorrelation: correlation, K, kktResidual: kkt, primalSolves,
  };
}

/**
 * Closed-form mean-field capacity of L2 balls of radius R >= 0 in D > 0 dimensions at margin kappa (see the
 * header; D may be fractional, as an anchor dimension is). R = 0 gives Gardner's capacity (2 at kappa = 0).
 */
export function ballCapacity(radius: number, dimension: number, kappa = 0): number {
  const R = checkNumber('radius', radius, 0, 1e6);
  const D = checkNumber('dimension', dimension, Number.MIN_VALUE, 1e6);
  checkNumber('kappa', kappa);
  const h = 0.004;
  const tGrid: number[] = [];
  for (let x = -10; x <= 10 + 1e-9; x += h) tGrid.push(x);
  const phi = tGrid.map((x) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
  // cone term for one r: trapezoid over t0 (kinks at the region edges add an error of order h^2)
  const inner = (r: number): number => {
    let s = 0;
    for (let q = 0; q < tGrid.length; q++) {
      const t0 = tGrid[q];
      let v = 0;
      if (R > 0 && t0 < kappa - r / R) v = (t0 - kappa) ** 2 + r * r;
      else if (t0 < kappa + R * r) v = (kappa + R * r - t0) ** 2 / (1 + R * R);
      s += (q === 0 || q === tGrid.length - 1 ? 0.5 : 1) * v * phi[q];
    }
    return s * h;
  };
  // chi_D density of r = |t|, integrated in u = sqrt(r) (dr = 2u du): 2 u^(2D-1) exp(-u^4/2) is smooth at 0 for
  // every D > 0, weights normalised on the grid (log-weights shifted by their maximum against overflow)
  const steps = 1500;
  const hu = Math.sqrt(Math.sqrt(Math.max(D - 1, 0)) + 12) / steps;
  const logW: number[] = [];
  for (let q = 1; q <= steps; q++) { const u = q * hu; logW.push((2 * D - 1) * Math.log(u) - 0.5 * u ** 4); }
  const top = Math.max(...logW);
  let num = 0, den = 0;
  for (let q = 1; q <= steps; q++) {
    const u = q * hu, w = Math.exp(logW[q - 1] - top);
    num += w * inner(u * u);
    den += w;
  }
  return den / num;
}

export interface SeparabilityOptions {
  /** Labelings per dimension (default 20). */
  trials?: number;
  seed?: number;
}

/**
 * Whether points (n x dim row-major) with labels +-1 are separable by a hyperplane through the origin, by the LP
 * max tau s.t. y_i w.x_i >= tau, |w_k| <= 1 (see the header). Returns the margin tau (separable when > 0 beyond
 * 1e-7 of the largest possible value max_i ||x_i||_1).
 */
export function linearlySeparable(points: ArrayLike<number>, dim: number, labels: ArrayLike<number>): { separable: boolean; margin: number } {
  const n = sampleCount('points', points, dim);
  if (labels == null || labels.length !== n) throw new ArgumentError('labels', `${n} labels (+1 or -1)`, labels);
  const nv = dim + 1;
  const m = n + 2 * dim;
  const G = new Float64Array(m * nv);
  const h = new Float64Array(m);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y !== 1 && y !== -1) throw new ArgumentError('labels', 'labels +1 or -1', `${y} at ${i}`);
    let l1 = 0;
    for (let k = 0; k < dim; k++) { G[i * nv + k] = y * points[i * dim + k]; l1 += Math.abs(points[i * dim + k]); }
    G[i * nv + dim] = -1;
    scale = Math.max(scale, l1);
  }
  for (let k = 0; k < dim; k++) {
    G[(n + 2 * k) * nv + k] = 1; h[n + 2 * k] = -1;
    G[(n + 2 * k + 1) * nv + k] = -1; h[n + 2 * k + 1] = -1;
  }
  // the data scaled to max l1 norm 1 keeps the interior-point tolerances meaningful
  if (scale > 0) for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) G[i * nv + k] /= scale;
  const q = new Float64Array(nv);
  q[dim] = -1;
  const sol = quadraticProgram({ n: nv, q, G, h }, { tolerance: 1e-10, maxIterations: 200 });
  const tau = sol.x[dim];
  return { separable: tau > 1e-7, margin: tau * scale };
}

export interface SimulatedCapacity {
  /** The projection dimensions N, the loads P / N and the fraction of labelings separable at each. */
  dims: number[];
  alphas: number[];
  fractions: number[];
  /** P / N where the fraction crosses 1/2 (linear in P / N), null if it does not within the grid. */
  capacity: number | null;
}

/**
 * Simulated capacity of P manifolds (samples x dim each): for each N in `dims`, `trials` times, a Gaussian
 * projection to N dimensions (rng(seed).child(k) for dimension k) and random labels +-1 per manifold, separable
 * or not by `linearlySeparable`.
 */
export function simulatedCapacity(manifolds: ArrayLike<number>[], dim: number, dims: number[], options: SeparabilityOptions = {}): SimulatedCapacity {
  if (!Array.isArray(manifolds) || manifolds.length === 0) throw new ArgumentError('manifolds', 'a non-empty array of samples x dim matrices', manifolds);
  checkInteger('dim', dim, 1);
  if (!Array.isArray(dims) || dims.length === 0) throw new ArgumentError('dims', 'a non-empty array of projection dimensions', dims);
  dims.forEach((N, k) => checkInteger(`dims[${k}]`, N, 1));
  const trials = checkInteger('trials', options.trials ?? 20, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0);
  const P = manifolds.length;
  const counts = manifolds.map((x, i) => sampleCount(`manifolds[${i}]`, x, dim));
  const total = counts.reduce((a, b) => a + b, 0);
  const all = new Float64Array(total * dim);
  let off = 0;
  manifolds.forEach((x, i) => { for (let q = 0; q < counts[i] * dim; q++) all[off + q] = x[q]; off += counts[i] * dim; });
  const mean = columnMeans(all, total, dim);
  for (let s = 0; s < total; s++) for (let j = 0; j < dim; j++) all[s * dim + j] -= mean[j];
  const fractions = dims.map((N, k) => {
    const random: Rng = rng(seed).child(k);
    let separable = 0;
    for (let trial = 0; trial < trials; trial++) {
      const W = random.normalArray(dim * N, 0, 1 / Math.sqrt(N), 'float64') as Float64Array;
      const projected = new Float64Array(total * N);
      gemm(total, N, dim, all, W, projected);
      const labels = new Float64Array(total);
      let q = 0;
      for (let i = 0; i < P; i++) { const y = random.uniform() < 0.5 ? -1 : 1; for (let s = 0; s < counts[i]; s++) labels[q++] = y; }
      if (linearlySeparable(projected, N, labels).separable) separable++;
    }
    return separable / trials;
  });
  const alphas = dims.map((N) => P / N);
  return { dims: [...dims], alphas, fractions, capacity: halfCrossing(alphas, fractions) };
}

/** The load where the fraction separable falls through 1/2, by linear interpolation over the loads sorted ascending. */
function halfCrossing(alphas: number[], fractions: number[]): number | null {
  const order = alphas.map((a, i) => i).sort((i, j) => alphas[i] - alphas[j]);
  for (let q = 0; q + 1 < order.length; q++) {
    const i = order[q], j = order[q + 1];
    if (fractions[i] >= 0.5 && fractions[j] < 0.5) {
      return alphas[i] + ((fractions[i] - 0.5) / (fractions[i] - fractions[j])) * (alphas[j] - alphas[i]);
    }
  }
  return null;
}
