/**
 * Gated linear networks and their implicit bias (Lippl, Abbott & Chung,
 * arXiv 2202.02649): gates fixed by the input, weights linear otherwise.
 *
 * Gates: unit h has k hyperplanes (a_hj, b_hj) on the input; its context is
 * the binary code c_h(x) = sum_j 2^j [a_hj . x > b_hj] in {0 .. 2^k - 1}
 * (k = 0: one context, every gate open).
 *   shallow GLN   f(x) = w_c(x)^T x                      (one unit, C = 2^k weight vectors)
 *   deep GLN      f(x) = sum_h v_h w_(h, c_h(x))^T x     (H units, each C weight vectors, readout v)
 * Training: full-batch gradient descent on the logistic loss
 * L = mean_i log(1 + exp(-y_i f(x_i))), labels y = +-1 (float64), with
 *   dL/df_i = -y_i sigma(-y_i f_i) / n,
 *   dL/dv_h = sum_i dL/df_i w_(h, c_hi) . x_i,   dL/dw_(h,c) = sum_(i: c_hi = c) dL/df_i v_h x_i.
 * With all gates open the deep GLN is the two-layer linear network v^T W x.
 * Both products run on lib/core's gemm: A = X W^T holds every context's
 * output, and dL/dW = G^T X with G the gated dL/df_i v_h (one nonzero per
 * unit and example).
 *
 * Infinite-time limit: the networks are homogeneous in their parameters, so
 * GD on the logistic loss converges in direction to a KKT point of
 * min ||theta||^2 s.t. y_i f(x_i) >= 1; in function space, with features
 * phi_h(x) = e_(c_h(x)) (x) x and beta_h = v_h w_h (C x d), it is
 *   shallow    min ||beta||^2           s.t. y_i beta . phi(x_i) >= 1     (L2 max margin)
 *   deep       min sum_h ||beta_h||     s.t. y_i sum_h beta_h . phi_h(x_i) >= 1   (the GLN norm)
 * and 'l2' for the deep architecture's plain sum_h ||beta_h||^2. Each is
 * solved in the dual with the kernel K_h(x, x') = [c_h(x) = c_h(x')] x . x':
 * the hard-margin dual without bias, min 1/2 a^T (y y^T o K) a - 1^T a,
 * a >= 0, is lib/core's nonnegative QP (nnlsGram) inside proximal-point steps
 * (hardMarginDual: exact at its fixed point, safe for kernels of low rank);
 * w = sum_i a_i y_i phi(x_i) has margin 1/||w||.
 *
 * The group norm as multiple-kernel learning: since
 * (sum_h ||beta_h||)^2 = min over eta >= 0, sum eta = 1 of sum_h ||beta_h||^2 / eta_h,
 * the problem is min over the simplex of J(eta), J = the hard-margin value
 * 1^T a of the kernel K(eta) = sum_h eta_h K_h; equivalently (J(t eta) = J(eta)/t)
 * min over eta >= 0 of F(eta) = J(eta) + sum_h eta_h, whose minimum is
 * 2 sum_h ||beta_h|| at eta_h = ||beta_h||. With the dual solution a on its
 * support set S (a_S = K_S^-1 1) and u_h = sum_i a_i y_i phi_h(x_i):
 *   dJ/deta_h = -||u_h||^2 = -a^T Q_h a,   d2J/deta_h deta_g = 2 (Q_h a)^T K_S^-1 (Q_g a)
 * (Q_h = y y^T o K_h). Newton's method on F: each step minimises the local
 * quadratic model over eta >= 0 (an H-variable nonnegative QP, nnlsGram),
 * then backtracks (Armijo) on F; each evaluation is one warm-started dual
 * solve, and eta is rescaled to the best point on its ray. (The fixed-point
 * reweighting eta_h <- ||beta_h|| / sum ||beta|| that this replaces moves the
 * same way but converges sublinearly: a duality gap of 2e-3 after 60 solves
 * at n = 250, H = 20, where Newton reaches 1e-11 in 9.)
 * Stopping rule, a certificate independent of the method: beta_h = eta_h u_h
 * divided by its smallest margin is primal feasible, P = sum_h eta_h ||u_h|| / min_i y_i f(x_i);
 * a / max_h ||u_h|| is feasible for the dual max 1^T a s.t. ||u_h(a)|| <= 1,
 * D = 1^T a / max_h ||u_h||; P >= optimum >= D, and the solve stops when
 * P / D - 1 <= tolerance (default 1e-6; reported in `convergence`).
 *
 * The authors' architecture-only baseline (their code's objective
 * "Prop. A.1", sflippl/implicit-bias-glns functions/train_convex.py): min
 * sum_(h,c) ||C beta_(h,c) - sum_c' beta_(h,c') + (1/(H C)) sum_(h',c') beta_(h',c')||^2
 * under the same margin constraints: a quadratic norm ||M beta||^2 with M
 * acting on the (unit, context) index. Its dual kernel weight is
 * (m_ij - H/C)/C^2 + H/C with m_ij the number of units in which x_i and x_j
 * share a context (derivation in glnMaxMargin): mostly the plain linear
 * kernel (weight H/C) plus a quarter of the gated one for C = 2.
 *
 * ReLU comparison: f(x) = sum_h v_h relu(w_h . x), trained the same way
 * (dL/dw_h = sum_i dL/df_i v_h [w_h . x_i > 0] x_i). Its own activation
 * pattern is a gating by one hyperplane per unit through the origin
 * (reluGates: normals w_h, thresholds 0); with those gates frozen, the ReLU
 * net is the GLN whose context-1 weights are w_h and context-0 weights 0, and
 * glnMaxMargin on them is the max-margin problem of the learned gates (here
 * with weights on both sides of each gate). reluReadoutMaxMargin is the
 * authors' readout-only problem: the L2 max-margin readout of the frozen
 * hidden layer relu(W x).
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkOneOf, convergenceReport, gemm, median, nnlsGram, Rng, solveRows, type ConvergenceReport } from '../core';

export interface Gates {
  units: number;
  /** Hyperplanes per unit k (contexts 2^k) and input dimension d. */
  hyperplanes: number;
  dim: number;
  /** Normals, units x k x d, and thresholds, units x k (row-major). */
  normals: Float64Array;
  thresholds: Float64Array;
}

/** Random gates: normals N(0, normalStd^2), thresholds N(0, thresholdStd^2) (the authors: 36 and 9 on [-1, 1] pixels). */
export function randomGates(o: { units: number; hyperplanes: number; dim: number; normalStd?: number; thresholdStd?: number; seed?: number }): Gates {
  if (!o || typeof o !== 'object') throw new ArgumentError('options', 'an options object', o);
  const units = checkInteger('units', o.units, 1);
  const k = checkInteger('hyperplanes', o.hyperplanes, 0, 16);
  const dim = checkInteger('dim', o.dim, 1);
  const rng = new Rng(checkInteger('seed', o.seed ?? 0, 0));
  return {
    units, hyperplanes: k, dim,
    normals: rng.child(0).normalArray(units * k * dim, 0, checkNumber('normalStd', o.normalStd ?? 1, 0), 'float64') as Float64Array,
    thresholds: rng.child(1).normalArray(units * k, 0, checkNumber('thresholdStd', o.thresholdStd ?? 0, 0), 'float64') as Float64Array,
  };
}

/**
 * The authors' "median init": the same normals, each threshold b_hj moved to
 * the median of a_hj . x_i over the rows of X, so every hyperplane halves the
 * data (with random thresholds most inputs can fall on one side, leaving few
 * contexts in use).
 */
export function medianGates(gates: Gates, X: Float64Array): Gates {
  const { units, hyperplanes: k, dim } = gates;
  const n = checkData(X, dim);
  const thresholds = new Float64Array(units * k);
  const proj = new Float64Array(n);
  for (let hj = 0; hj < units * k; hj++) {
    for (let i = 0; i < n; i++) {
      let a = 0;
      for (let q = 0; q < dim; q++) a += gates.normals[hj * dim + q] * X[i * dim + q];
      proj[i] = a;
    }
    thresholds[hj] = median(proj);
  }
  return { ...gates, normals: Float64Array.from(gates.normals), thresholds };
}

function checkData(X: Float64Array, dim: number, name = 'X'): number {
  if (!(X instanceof Float64Array) || X.length === 0 || X.length % dim !== 0) throw new ArgumentError(name, `a Float64Array of n x ${dim} values`, X);
  checkFinite(name, X);
  return X.length / dim;
}

/** Contexts c_h(x_i), n x units (row-major). */
export function gateContexts(gates: Gates, X: Float64Array): Int32Array {
  const { units, hyperplanes: k, dim } = gates;
  const n = checkData(X, dim);
  const out = new Int32Array(n * units);
  for (let i = 0; i < n; i++) for (let h = 0; h < units; h++) {
    let c = 0;
    for (let j = 0; j < k; j++) {
      let a = 0;
      const base = (h * k + j) * dim;
      for (let q = 0; q < dim; q++) a += gates.normals[base + q] * X[i * dim + q];
      if (a > gates.thresholds[h * k + j]) c |= 1 << j;
    }
    out[i * units + h] = c;
  }
  return out;
}

export interface GatedLinearNetwork {
  architecture: 'shallow' | 'deep';
  gates: Gates;
  /** w, units x contexts x d (row-major). */
  weights: Float64Array;
  /** Readout v (length units; all 1 and untrained for the shallow network). */
  readout: Float64Array;
}

/** A GLN with weights N(0, initStd^2) and readout N(0, initStd^2) (shallow: one unit, readout 1). */
export function gatedLinearNetwork(architecture: 'shallow' | 'deep', gates: Gates, o: { initStd?: number; seed?: number } = {}): GatedLinearNetwork {
  checkOneOf('architecture', architecture, ['shallow', 'deep'] as const);
  if (architecture === 'shallow' && gates.units !== 1) throw new ArgumentError('gates', 'one unit for a shallow GLN', `${gates.units} units`);
  const std = checkNumber('initStd', o.initStd ?? 0.1, 0);
  const rng = new Rng(checkInteger('seed', o.seed ?? 0, 0));
  const C = 1 << gates.hyperplanes;
  return {
    architecture, gates,
    weights: rng.child(0).normalArray(gates.units * C * gates.dim, 0, std, 'float64') as Float64Array,
    readout: architecture === 'shallow' ? new Float64Array([1]) : (rng.child(1).normalArray(gates.units, 0, std, 'float64') as Float64Array),
  };
}

/**
 * Every context's linear output a_(i, h, c) = w_(h,c) . x_i, n x (units * C),
 * on lib/core's gemm (the gated sums below pick one context per unit from it:
 * C times the needed multiply-adds, but at BLAS speed instead of a JS loop).
 */
function contextActivations(net: GatedLinearNetwork, X: Float64Array, n: number): Float64Array {
  const { units, dim, hyperplanes } = net.gates;
  const HC = units * (1 << hyperplanes);
  const A = new Float64Array(n * HC);
  gemm(n, HC, dim, X, net.weights, A, { transB: true });
  return A;
}

/** f(x_i) for each row of X (contexts optional, from gateContexts). */
export function glnOutputs(net: GatedLinearNetwork, X: Float64Array, contexts?: Int32Array): Float64Array {
  const { units, dim, hyperplanes } = net.gates;
  const n = checkData(X, dim);
  const ctx = contexts ?? gateContexts(net.gates, X);
  const C = 1 << hyperplanes;
  const A = contextActivations(net, X, n);
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let h = 0; h < units; h++) f[i] += net.readout[h] * A[(i * units + h) * C + ctx[i * units + h]];
  return f;
}

function checkLabels(y: ArrayLike<number>, n: number): void {
  if (!y || y.length !== n) throw new ArgumentError('y', `${n} labels (one per row of X)`, y);
  for (let i = 0; i < n; i++) if (y[i] !== 1 && y[i] !== -1) throw new ArgumentError('y', 'labels +1 or -1', `y[${i}] = ${y[i]}`);
}

/** Logistic loss and its gradients (weights, readout) at the current parameters (header). */
export function glnLossAndGradients(net: GatedLinearNetwork, X: Float64Array, y: ArrayLike<number>, contexts?: Int32Array): { loss: number; weights: Float64Array; readout: Float64Array } {
  const { units, dim, hyperplanes } = net.gates;
  const n = checkData(X, dim);
  checkLabels(y, n);
  const ctx = contexts ?? gateContexts(net.gates, X);
  const C = 1 << hyperplanes;
  const HC = units * C;
  const A = contextActivations(net, X, n);
  // G[i, (h, c)] = dL/df_i v_h where c = c_h(x_i), else 0; then dL/dW = G^T X.
  const G = new Float64Array(n * HC);
  const gv = new Float64Array(units);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let h = 0; h < units; h++) f += net.readout[h] * A[i * HC + h * C + ctx[i * units + h]];
    const m = y[i] * f;
    loss += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
    const g = (-y[i] / (1 + Math.exp(m))) / n; // dL/df_i
    for (let h = 0; h < units; h++) {
      const col = i * HC + h * C + ctx[i * units + h];
      G[col] = g * net.readout[h];
      gv[h] += g * A[col];
    }
  }
  const gw = new Float64Array(net.weights.length);
  gemm(HC, dim, n, G, X, gw, { transA: true });
  if (net.architecture === 'shallow') gv.fill(0);
  return { loss: loss / n, weights: gw, readout: gv };
}

/** Full-batch gradient descent on the logistic loss; returns the loss per epoch (the network is updated in place). */
export function trainGln(net: GatedLinearNetwork, X: Float64Array, y: ArrayLike<number>, o: { lr?: number; epochs?: number } = {}): number[] {
  const lr = checkNumber('lr', o.lr ?? 0.1, 1e-12);
  const epochs = checkInteger('epochs', o.epochs ?? 100, 0);
  const ctx = gateContexts(net.gates, X);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const g = glnLossAndGradients(net, X, y, ctx);
    losses.push(g.loss);
    for (let q = 0; q < g.weights.length; q++) net.weights[q] -= lr * g.weights[q];
    for (let h = 0; h < g.readout.length; h++) net.readout[h] -= lr * g.readout[h];
  }
  return losses;
}

export interface MaxMarginSolution {
  /** Dual coefficients a_i >= 0 (support vectors: a_i > 0). */
  alpha: Float64Array;
  /** The geometric margin 1/||w|| of the solution (min_i y_i f(x_i) = 1). */
  margin: number;
}

/**
 * Hard-margin maximum-margin classifier without bias from a kernel matrix
 * K (n x n, row-major): min 1/2 a^T (y y^T o K) a - 1^T a, a >= 0, by proximal-point
 * steps on lib/core's nnlsGram (hardMarginDual); ||w||^2 = a^T (y y^T o K) a = sum a at the optimum. Separable data
 * are required (else the dual is unbounded: an ArgumentError says so).
 */
export function maxMarginDual(K: Float64Array, y: ArrayLike<number>, n: number): MaxMarginSolution {
  checkInteger('n', n, 1);
  if (!(K instanceof Float64Array) || K.length !== n * n) throw new ArgumentError('K', `a Float64Array of n x n = ${n * n} values`, K);
  checkFinite('K', K);
  checkLabels(y, n);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q[i * n + j] = y[i] * y[j] * K[i * n + j];
  const alpha = hardMarginDual(Q, n, undefined);
  let w2 = 0;
  let worst = Infinity; // min_i y_i f(x_i), 1 at a hard-margin optimum
  if (alpha) for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < n; j++) m += Q[i * n + j] * alpha[j];
    w2 += alpha[i] * m;
    worst = Math.min(worst, m);
  }
  if (!alpha || !(w2 > 0) || !Number.isFinite(w2) || !(worst > 1 - 1e-6)) throw new ArgumentError('y', 'labels of a linearly separable set in the kernel\'s feature space', `min_i y_i f(x_i) = ${alpha ? worst : 'not reached'}, ||w||^2 = ${alpha ? w2 : 'unbounded'}`);
  return { alpha, margin: 1 / Math.sqrt(w2) };
}

/**
 * The hard-margin dual min 1/2 a^T Q a - 1^T a, a >= 0 (Q = y y^T o K) by the
 * proximal-point method: a_(k+1) = argmin 1/2 a^T Q a - 1^T a + lambda/2 ||a - a_k||^2,
 * each step one nnlsGram solve with the well-conditioned Q + lambda I,
 * warm-started from a_k. A fixed point is an exact solution; the steps stop
 * as soon as the KKT residual max(|(Q a)_i - 1| on a_i > 0, 1 - (Q a)_i on a_i = 0)
 * is below 1e-9. The proximal term is what makes a singular Q safe: a kernel
 * of rank below n (few features, e.g. a hidden layer of H units) leaves the
 * pivoting with Cholesky factors of singular passive blocks otherwise, where
 * a rounding-level ridge gave wrong answers. From a cold start lambda is
 * continued from 1e-2 down to 1e-9 x mean diag Q, two steps per stage, each
 * stage warm-starting the next: on a rank-50 hidden-layer kernel at n = 250
 * the pivoting then needs 14 rounds in all instead of 1,322 at lambda = 1e-9
 * directly. Null when a step's pivoting stops short or 60 steps at the last
 * lambda do not reach the residual (inseparable data: the dual is unbounded).
 */
function hardMarginDual(Q: Float64Array, n: number, warm: Float64Array | undefined): Float64Array | null {
  let tr = 0;
  for (let i = 0; i < n; i++) tr += Q[i * n + i];
  if (!(tr > 0) || !Number.isFinite(tr)) return null;
  let a: Float64Array = warm ? Float64Array.from(warm) : new Float64Array(n);
  const c = new Float64Array(n);
  const Qa = new Float64Array(n);
  const G = new Float64Array(n * n);
  for (let stage = warm ? 9 : 2; stage <= 9; stage++) {
    const lambda = 10 ** -stage * (tr / n);
    G.set(Q);
    for (let i = 0; i < n; i++) G[i * n + i] += lambda;
    for (let step = 0; step < (stage === 9 ? 60 : 2); step++) {
      for (let i = 0; i < n; i++) c[i] = 1 + lambda * a[i];
      const any = a.some((v) => v > 0);
      const sol = nnlsGram(G, c, n, 1, any ? { initialX: a, maxIterations: 10 * n + 50 } : {});
      if (!sol.convergence.converged) return null;
      a = Float64Array.from(sol);
      Qa.fill(0);
      for (let j = 0; j < n; j++) if (a[j] > 0) for (let i = 0; i < n; i++) Qa[i] += Q[i * n + j] * a[j];
      let residual = 0;
      for (let i = 0; i < n; i++) residual = Math.max(residual, a[i] > 0 ? Math.abs(Qa[i] - 1) : 1 - Qa[i]);
      if (residual <= 1e-9) return a;
    }
  }
  return null;
}

/** The Gram matrix x_i . x_j (n x n) on lib/core's gemm. */
function gram(X: Float64Array, n: number, dim: number): Float64Array {
  const G = new Float64Array(n * n);
  gemm(n, n, dim, X, X, G, { transB: true });
  return G;
}

export interface GlnMaxMargin extends MaxMarginSolution {
  norm: GlnNorm;
  /** beta_(h,c): units x contexts x d, the minimiser scaled to min_i y_i f(x_i) = 1. */
  beta: Float64Array;
  /** Unit weights: ||beta_h|| / sum_h' ||beta_h'|| for 'group'; 1 otherwise. */
  eta: Float64Array;
  /** Newton steps for 'group' (dual solves: `solves`); 1 otherwise. */
  iterations: number;
  /** Hard-margin dual solves made (each one nnlsGram, warm-started from the last). */
  solves: number;
  /**
   * 'group': residual = relative duality gap P / D - 1 of the certificate in
   * the header, held to `tolerance`; 'l2' / 'architecture': residual =
   * |min_i y_i f(x_i) - 1| at the dual optimum (one exact solve).
   */
  convergence: ConvergenceReport;
}

/** The three max-margin norms of the header. */
export type GlnNorm = 'l2' | 'group' | 'architecture';

/**
 * The norm of beta (units x contexts x d, as GlnMaxMargin.beta) that the
 * max-margin problem minimises: 'l2' ||beta||, 'group' sum_h ||beta_h||,
 * 'architecture' sqrt(sum_(h,c) ||C beta_(h,c) - sum_c' beta_(h,c') + (1/(H C)) sum_(h',c') beta_(h',c')||^2)
 * (the authors' Prop. A.1 objective, written out directly; header).
 */
export function glnNorm(beta: Float64Array, gates: Gates, norm: GlnNorm): number {
  checkOneOf('norm', norm, ['l2', 'group', 'architecture'] as const);
  const { units: H, dim: d } = gates;
  const C = 1 << gates.hyperplanes;
  if (!(beta instanceof Float64Array) || beta.length !== H * C * d) throw new ArgumentError('beta', `a Float64Array of units x contexts x d = ${H * C * d} values`, beta);
  checkFinite('beta', beta);
  let total = 0;
  if (norm === 'l2') { for (const b of beta) total += b * b; return Math.sqrt(total); }
  if (norm === 'group') {
    for (let h = 0; h < H; h++) { let s = 0; for (let q = 0; q < C * d; q++) s += beta[h * C * d + q] ** 2; total += Math.sqrt(s); }
    return total;
  }
  const all = new Float64Array(d), unit = new Float64Array(H * d);
  for (let h = 0; h < H; h++) for (let c = 0; c < C; c++) for (let q = 0; q < d; q++) { const b = beta[(h * C + c) * d + q]; unit[h * d + q] += b; all[q] += b; }
  for (let h = 0; h < H; h++) for (let c = 0; c < C; c++) for (let q = 0; q < d; q++) total += (C * beta[(h * C + c) * d + q] - unit[h * d + q] + all[q] / (H * C)) ** 2;
  return Math.sqrt(total);
}

/** One hard-margin dual solve with kernel weights W (n x n) times the Gram G; null when the pivoting stops short. */
interface DualState {
  alpha: Float64Array;
  /** Q = y y^T o W o G (rows of the support set suffice for margins and the Hessian). */
  Q: Float64Array;
  support: number[];
  /** 1^T alpha = min over beta of the weighted squared norm (the SVM's ||w||^2). */
  value: number;
}

function solveDual(W: Float64Array, G: Float64Array, y: ArrayLike<number>, n: number, warm: Float64Array | undefined): DualState | null {
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q[i * n + j] = y[i] * y[j] * W[i * n + j] * G[i * n + j];
  const alpha = hardMarginDual(Q, n, warm);
  if (!alpha) return null;
  const support: number[] = [];
  let value = 0;
  for (let i = 0; i < n; i++) if (alpha[i] > 0) { support.push(i); value += alpha[i]; }
  if (!(value > 0) || !Number.isFinite(value)) return null;
  return { alpha, Q, support, value };
}

/** min_i y_i f(x_i) of the dual's function, f = sum_j alpha_j y_j K(., x_j) (= (Q alpha)_i). */
function minMarginOf(s: DualState, n: number): number {
  let worst = Infinity;
  for (let i = 0; i < n; i++) { let m = 0; for (const j of s.support) m += s.Q[i * n + j] * s.alpha[j]; worst = Math.min(worst, m); }
  return worst;
}

/**
 * The architecture's max-margin function (header): 'l2' (the shallow GLN's
 * limit, or the deep architecture with a plain L2 norm), 'architecture' (the
 * authors' Prop. A.1 baseline) or 'group' (the deep GLN's limit: Newton on
 * the unit weights eta until the relative duality gap is at most `tolerance`,
 * default 1e-6, or `maxIterations` steps, default 50; the certificate itself is good to about 1e-8, set by the 1e-9 residual of each dual solve).
 */
export function glnMaxMargin(gates: Gates, X: Float64Array, y: ArrayLike<number>, o: { norm?: GlnNorm; maxIterations?: number; tolerance?: number } = {}): GlnMaxMargin {
  const norm = checkOneOf('norm', o.norm ?? 'l2', ['l2', 'group', 'architecture'] as const);
  const maxIterations = checkInteger('maxIterations', o.maxIterations ?? 50, 1);
  const tolerance = checkNumber('tolerance', o.tolerance ?? 1e-6, 0);
  const { units: H, dim, hyperplanes } = gates;
  const n = checkData(X, dim);
  checkLabels(y, n);
  const C = 1 << hyperplanes;
  const HC = H * C;
  const ctx = gateContexts(gates, X);
  const G = gram(X, n, dim);
  // Kernel weights W_ij = sum_h eta_h [c_h(x_i) = c_h(x_j)] = (E diag(eta) E^T)_ij with E the n x HC context indicator: one gemm.
  const weights = (eta: Float64Array) => {
    const E = new Float64Array(n * HC);
    for (let i = 0; i < n; i++) for (let h = 0; h < H; h++) E[i * HC + h * C + ctx[i * H + h]] = Math.sqrt(eta[h]);
    const W = new Float64Array(n * n);
    gemm(n, n, HC, E, E, W, { transB: true });
    return W;
  };
  const eta = new Float64Array(H).fill(1);
  // coef(i, h, c): beta_(h,c) = sum_i coef(i, h, c) alpha_i y_i x_i.
  let coef: (i: number, h: number, c: number) => number;
  let state: DualState | null;
  let iterations = 1, solves = 1;
  let convergence: ConvergenceReport;
  const separability = (worst: number, value: number) => new ArgumentError('y', 'labels of a linearly separable set in the kernel\'s feature space', Number.isNaN(worst) ? 'a dual that the proximal steps could not bring to the margin constraints (unbounded)' : `min_i y_i f(x_i) = ${worst}, ||w||^2 = ${value}`);
  if (norm === 'group') {
    const g = groupNormNewton(weights, G, y, n, ctx, H, C, maxIterations, tolerance);
    state = g.state;
    eta.set(g.eta);
    iterations = g.iterations;
    solves = g.solves;
    convergence = g.convergence;
    coef = (_i, h) => eta[h];
  } else {
    let W: Float64Array;
    if (norm === 'l2') {
      W = weights(eta);
      coef = (i, h, c) => (ctx[i * H + h] === c ? 1 : 0);
    } else {
      // The authors' quadratic norm ||M beta||^2, M = C I - blockdiag(J_C) + J_HC / (HC) on the (h, c) index: eigenvalues C
      // (zero sum within a unit), 1 (all equal), 0 (constant within units, zero total: these leave f unchanged). With
      // (M^2)^+ = (I - blockdiag(J_C)/C)/C^2 + J_HC/(HC) the dual kernel weight is (m_ij - H/C)/C^2 + H/C, m_ij = the
      // number of units in which x_i and x_j share a context, and beta_(h,c) = sum_i alpha_i y_i x_i ([c_h(x_i) = c] - 1/C)/C^2 + 1/C.
      W = weights(eta);
      for (let q = 0; q < n * n; q++) W[q] = (W[q] - H / C) / (C * C) + H / C;
      coef = (i, h, c) => ((ctx[i * H + h] === c ? 1 : 0) - 1 / C) / (C * C) + 1 / C;
    }
    state = solveDual(W, G, y, n, undefined);
    const worst = state ? minMarginOf(state, n) : NaN;
    if (!state || !(worst > 1 - 1e-6)) throw separability(worst, state?.value ?? NaN);
    convergence = convergenceReport(1, Math.abs(worst - 1), 1e-6, 'hard-margin constraint |min_i y_i f(x_i) - 1| at the dual optimum (one nnlsGram solve)');
  }
  const s = state!;
  const beta = new Float64Array(HC * dim);
  for (const i of s.support) {
    for (let h = 0; h < H; h++) for (let c = 0; c < (norm === 'architecture' ? C : 1); c++) {
      const cc = norm === 'architecture' ? c : ctx[i * H + h];
      const w = coef(i, h, cc) * s.alpha[i] * y[i];
      const base = (h * C + cc) * dim;
      for (let q = 0; q < dim; q++) beta[base + q] += w * X[i * dim + q];
    }
  }
  // Margin in the architecture's norm, from beta itself: min_i y_i f(x_i) / norm(beta).
  const f = glnFunction(ctx, H, C, beta, X, n, dim);
  let minMargin = Infinity;
  for (let i = 0; i < n; i++) minMargin = Math.min(minMargin, y[i] * f[i]);
  const size = glnNorm(beta, gates, norm);
  if (norm === 'group') { let t = 0; for (const e of eta) t += e; for (let h = 0; h < H; h++) eta[h] /= t; } else eta.fill(1);
  return { alpha: s.alpha, margin: minMargin / size, norm, beta, eta, iterations, solves, convergence };
}

/** f(x_i) = sum_h beta_(h, c_h(x_i)) . x_i. */
function glnFunction(ctx: Int32Array, H: number, C: number, beta: Float64Array, X: Float64Array, n: number, dim: number): Float64Array {
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let h = 0; h < H; h++) {
    const base = (h * C + ctx[i * H + h]) * dim;
    for (let q = 0; q < dim; q++) f[i] += beta[base + q] * X[i * dim + q];
  }
  return f;
}

/**
 * The group norm by Newton's method on F(eta) = J(eta) + sum_h eta_h over
 * eta >= 0 (header). Each evaluation is one warm-started hard-margin dual
 * solve; the Newton step minimises F's local quadratic model over eta >= 0
 * (an H-variable nonnegative QP, nnlsGram again), with Armijo backtracking.
 */
function groupNormNewton(weights: (eta: Float64Array) => Float64Array, G: Float64Array, y: ArrayLike<number>, n: number, ctx: Int32Array, H: number, C: number, maxIterations: number, tolerance: number): { state: DualState; eta: Float64Array; iterations: number; solves: number; convergence: ConvergenceReport } {
  const HC = H * C;
  let solves = 0;
  // s2_h = ||u_h||^2 = alpha^T Q_h alpha and the rows V_h = (Q_h alpha)_S, from P = G_SS M (M: alpha_j y_j on unit h's context column).
  const evaluate = (eta: Float64Array, warm: Float64Array | undefined) => {
    const state = solveDual(weights(eta), G, y, n, warm);
    solves++;
    if (!state) return null;
    const S = state.support, m = S.length;
    const M = new Float64Array(m * HC), GS = new Float64Array(m * m);
    for (let p = 0; p < m; p++) {
      const i = S[p];
      for (let h = 0; h < H; h++) M[p * HC + h * C + ctx[i * H + h]] = y[i] * state.alpha[i];
      for (let q = 0; q < m; q++) GS[p * m + q] = G[i * n + S[q]];
    }
    const P = new Float64Array(m * HC);
    gemm(m, HC, m, GS, M, P);
    const V = new Float64Array(H * m), s2 = new Float64Array(H);
    for (let p = 0; p < m; p++) {
      const i = S[p];
      for (let h = 0; h < H; h++) { const v = y[i] * P[p * HC + h * C + ctx[i * H + h]]; V[h * m + p] = v; s2[h] += state.alpha[i] * v; }
    }
    return { state, V, s2, F: state.value + eta.reduce((a, b) => a + b, 0) };
  };
  let eta = new Float64Array(H).fill(1);
  const first = evaluate(eta, undefined);
  let worst = first ? minMarginOf(first.state, n) : NaN;
  if (!first || !(worst > 1 - 1e-6)) throw new ArgumentError('y', 'labels of a linearly separable set in the kernel\'s feature space', first ? `min_i y_i f(x_i) = ${worst}` : 'a dual that the proximal steps could not bring to the margin constraints (unbounded)');
  let cur = first;
  let iterations = 0, gap = Infinity;
  for (;;) {
    // J(t eta) = J(eta) / t, so t = sqrt(J / sum eta) minimises F along the ray (free: alpha / t, s2 / t^2, V / t, K t).
    const t = Math.sqrt(cur.state.value / eta.reduce((a, b) => a + b, 0));
    eta = eta.map((e) => e * t);
    for (let i = 0; i < n; i++) cur.state.alpha[i] /= t;
    for (let q = 0; q < cur.state.Q.length; q++) cur.state.Q[q] *= t;
    cur.state.value /= t;
    for (let h = 0; h < H; h++) cur.s2[h] /= t * t;
    for (let q = 0; q < cur.V.length; q++) cur.V[q] /= t;
    cur.F = cur.state.value + eta.reduce((a, b) => a + b, 0);
    // Certificate: beta_h = eta_h u_h is feasible after dividing by its worst margin (P = sum_h eta_h ||u_h|| / worst); alpha /
    // max_h ||u_h|| is dual feasible (D = 1^T alpha / max_h ||u_h||); P >= optimum >= D.
    worst = minMarginOf(cur.state, n);
    let Pn = 0, smax = 0;
    for (let h = 0; h < H; h++) { const s = Math.sqrt(Math.max(cur.s2[h], 0)); Pn += eta[h] * s; smax = Math.max(smax, s); }
    gap = (Pn / worst) / (cur.state.value / smax) - 1;
    if (gap <= tolerance || iterations >= maxIterations) break;
    iterations++;
    // Hessian of J on the current support set S (a = K_S^-1 1): d2J/deta_h deta_g = 2 (Q_h a)^T K_S^-1 (Q_g a).
    const S = cur.state.support, m = S.length;
    const KS = new Float64Array(m * m);
    for (let p = 0; p < m; p++) for (let q = 0; q < m; q++) KS[p * m + q] = cur.state.Q[S[p] * n + S[q]];
    const Xs = Float64Array.from(cur.V);
    solveRows(KS, Xs, H, m);
    const Hs = new Float64Array(H * H);
    gemm(H, H, m, Xs, cur.V, Hs, { transB: true });
    let tr = 0;
    for (let h = 0; h < H; h++) { for (let g = 0; g < h; g++) Hs[h * H + g] = Hs[g * H + h] = Hs[h * H + g] + Hs[g * H + h]; Hs[h * H + h] *= 2; tr += Hs[h * H + h]; }
    for (let h = 0; h < H; h++) Hs[h * H + h] += 1e-12 * tr / H + 1e-300;
    const grad = Float64Array.from(cur.s2, (v) => 1 - v);
    const c = new Float64Array(H);
    for (let h = 0; h < H; h++) { let s = -grad[h]; for (let g = 0; g < H; g++) s += Hs[h * H + g] * eta[g]; c[h] = s; }
    const z = nnlsGram(Hs, c, H, 1);
    let step = 1, next: ReturnType<typeof evaluate> = null, trial = eta;
    for (let ls = 0; ls < 40 && !next; ls++, step /= 2) {
      trial = eta.map((e, h) => Math.max(e + step * (z[h] - e), 0));
      let slope = 0;
      for (let h = 0; h < H; h++) slope += grad[h] * (trial[h] - eta[h]);
      if (!(slope < 0)) break; // no descent left at rounding level
      const cand = evaluate(trial, cur.state.alpha);
      if (cand && cand.F <= cur.F + 1e-4 * slope) next = cand;
    }
    if (!next) break;
    eta = trial;
    cur = next;
  }
  return { state: cur.state, eta, iterations, solves, convergence: convergenceReport(iterations, gap, tolerance, 'relative duality gap (sum_h ||beta_h|| / min_i y_i f(x_i)) / (1^T alpha / max_h ||u_h||) - 1 (Newton steps on eta)') };
}

/** Predictions sign(sum_h beta_h . phi_h(x)) of a max-margin solution on new inputs. */
export function glnMaxMarginOutputs(gates: Gates, solution: GlnMaxMargin, X: Float64Array): Float64Array {
  const n = checkData(X, gates.dim);
  return glnFunction(gateContexts(gates, X), gates.units, 1 << gates.hyperplanes, solution.beta, X, n, gates.dim);
}

export interface ReluNetwork {
  /** w, units x d (row-major), and the readout v. */
  weights: Float64Array;
  readout: Float64Array;
  units: number;
  dim: number;
}

/** A two-layer ReLU network without biases, entries N(0, initStd^2). */
export function reluNetwork(units: number, dim: number, o: { initStd?: number; seed?: number } = {}): ReluNetwork {
  checkInteger('units', units, 1);
  checkInteger('dim', dim, 1);
  const std = checkNumber('initStd', o.initStd ?? 0.1, 0);
  const rng = new Rng(checkInteger('seed', o.seed ?? 0, 0));
  return { units, dim, weights: rng.child(0).normalArray(units * dim, 0, std, 'float64') as Float64Array, readout: rng.child(1).normalArray(units, 0, std, 'float64') as Float64Array };
}

/** Logistic loss of the ReLU network and its gradients (header). */
export function reluLossAndGradients(net: ReluNetwork, X: Float64Array, y: ArrayLike<number>): { loss: number; outputs: Float64Array; weights: Float64Array; readout: Float64Array } {
  const { units, dim } = net;
  const n = checkData(X, dim);
  checkLabels(y, n);
  const P = new Float64Array(n * units); // pre-activations w_h . x_i
  gemm(n, units, dim, X, net.weights, P, { transB: true });
  const outputs = new Float64Array(n);
  const G = new Float64Array(n * units); // dL/df_i v_h [w_h . x_i > 0]; dL/dW = G^T X
  const gv = new Float64Array(units);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let h = 0; h < units; h++) if (P[i * units + h] > 0) f += net.readout[h] * P[i * units + h];
    outputs[i] = f;
    const m = y[i] * f;
    loss += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
    const g = (-y[i] / (1 + Math.exp(m))) / n;
    for (let h = 0; h < units; h++) {
      if (!(P[i * units + h] > 0)) continue;
      gv[h] += g * P[i * units + h];
      G[i * units + h] = g * net.readout[h];
    }
  }
  const gw = new Float64Array(units * dim);
  gemm(units, dim, n, G, X, gw, { transA: true });
  return { loss: loss / n, outputs, weights: gw, readout: gv };
}

/** Full-batch GD on the ReLU network's logistic loss; the loss per epoch (updated in place). */
export function trainRelu(net: ReluNetwork, X: Float64Array, y: ArrayLike<number>, o: { lr?: number; epochs?: number } = {}): number[] {
  const lr = checkNumber('lr', o.lr ?? 0.1, 1e-12);
  const epochs = checkInteger('epochs', o.epochs ?? 100, 0);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const g = reluLossAndGradients(net, X, y);
    losses.push(g.loss);
    for (let q = 0; q < g.weights.length; q++) net.weights[q] -= lr * g.weights[q];
    for (let h = 0; h < g.readout.length; h++) net.readout[h] -= lr * g.readout[h];
  }
  return losses;
}

/** The ReLU network's activation pattern as gates: one hyperplane per unit, normal w_h, threshold 0 (header). */
export function reluGates(net: ReluNetwork): Gates {
  return { units: net.units, hyperplanes: 1, dim: net.dim, normals: Float64Array.from(net.weights), thresholds: new Float64Array(net.units) };
}

/** Hidden activations relu(w_h . x_i), n x units. */
function reluHidden(net: ReluNetwork, X: Float64Array, n: number): Float64Array {
  const P = new Float64Array(n * net.units);
  gemm(n, net.units, net.dim, X, net.weights, P, { transB: true });
  for (let q = 0; q < P.length; q++) if (!(P[q] > 0)) P[q] = 0;
  return P;
}

/**
 * The authors' readout-only problem ("hidden_layer"): the L2 max-margin
 * readout of the frozen hidden layer, min ||v||^2 s.t. y_i v . relu(W x_i) >= 1,
 * by maxMarginDual on the hidden layer's Gram matrix. Returns the readout v
 * (use it in place of net.readout) beside the dual solution.
 */
export function reluReadoutMaxMargin(net: ReluNetwork, X: Float64Array, y: ArrayLike<number>): MaxMarginSolution & { readout: Float64Array } {
  const n = checkData(X, net.dim);
  checkLabels(y, n);
  const Hid = reluHidden(net, X, n);
  const sol = maxMarginDual(gram(Hid, n, net.units), y, n);
  const readout = new Float64Array(net.units);
  for (let i = 0; i < n; i++) if (sol.alpha[i] > 0) for (let h = 0; h < net.units; h++) readout[h] += sol.alpha[i] * y[i] * Hid[i * net.units + h];
  return { ...sol, readout };
}

