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
 * a >= 0, is lib/core's nonnegative QP (nnlsGram); w = sum_i a_i y_i phi(x_i)
 * has margin 1/||w||. The group norm by reweighting (||beta|| = min_eta
 * ||beta||^2/(2 eta) + eta/2): K = sum_h eta_h K_h, beta_h = eta_h sum_i a_i y_i
 * phi_h(x_i), eta_h <- ||beta_h|| normalised to sum 1, until eta moves by less
 * than `tolerance`.
 *
 * ReLU comparison: f(x) = sum_h v_h relu(w_h . x), trained the same way
 * (dL/dw_h = sum_i dL/df_i v_h [w_h . x_i > 0] x_i). Its own activation
 * pattern is a gating by one hyperplane per unit through the origin
 * (reluGates: normals w_h, thresholds 0); with those gates frozen, the ReLU
 * net is the GLN whose context-1 weights are w_h and context-0 weights 0, and
 * glnMaxMargin on them is the max-margin problem of the learned gates.
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkOneOf, gemm, median, nnlsGram, Rng } from '../core';

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
 * K (n x n, row-major): min 1/2 a^T (y y^T o K) a - 1^T a, a >= 0, by lib/core's
 * nnlsGram; ||w||^2 = a^T (y y^T o K) a = sum a at the optimum. Separable data
 * are required (else the dual is unbounded: an ArgumentError says so).
 */
export function maxMarginDual(K: Float64Array, y: ArrayLike<number>, n: number): MaxMarginSolution {
  checkInteger('n', n, 1);
  if (!(K instanceof Float64Array) || K.length !== n * n) throw new ArgumentError('K', `a Float64Array of n x n = ${n * n} values`, K);
  checkFinite('K', K);
  checkLabels(y, n);
  const Q = new Float64Array(n * n);
  let tr = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q[i * n + j] = y[i] * y[j] * K[i * n + j];
  for (let i = 0; i < n; i++) tr += Q[i * n + i];
  // A ridge at rounding level keeps the Cholesky of a singular support set defined (moves the margin by ~1e-12 relative).
  for (let i = 0; i < n; i++) Q[i * n + i] += 1e-13 * (tr / n);
  const alpha = nnlsGram(Q, new Float64Array(n).fill(1), n, 1);
  let w2 = 0;
  let worst = Infinity; // min_i y_i f(x_i), 1 at a hard-margin optimum
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let j = 0; j < n; j++) f += alpha[j] * y[j] * K[i * n + j];
    w2 += alpha[i] * y[i] * f;
    worst = Math.min(worst, y[i] * f);
  }
  // Inseparable data make the dual unbounded: the pivoting then ends at a point that misses the margin constraints.
  if (!(w2 > 0) || !Number.isFinite(w2) || !(worst > 1 - 1e-6)) throw new ArgumentError('y', 'labels of a linearly separable set in the kernel\'s feature space', `min_i y_i f(x_i) = ${worst}, ||w||^2 = ${w2}`);
  return { alpha: Float64Array.from(alpha), margin: 1 / Math.sqrt(w2) };
}

/** The Gram matrix x_i . x_j (n x n) on lib/core's gemm. */
function gram(X: Float64Array, n: number, dim: number): Float64Array {
  const G = new Float64Array(n * n);
  gemm(n, n, dim, X, X, G, { transB: true });
  return G;
}

export interface GlnMaxMargin extends MaxMarginSolution {
  norm: 'l2' | 'group';
  /** beta_h = eta_h sum_i a_i y_i phi_h(x_i): units x contexts x d. */
  beta: Float64Array;
  /** Final unit weights eta_h (1 for 'l2'). */
  eta: Float64Array;
  iterations: number;
}

/**
 * The architecture's max-margin function (header): 'l2' (the shallow GLN's
 * limit, or the deep architecture with a plain L2 norm) or 'group' (the deep
 * GLN's limit, by reweighting up to `maxIterations`, default 200).
 */
export function glnMaxMargin(gates: Gates, X: Float64Array, y: ArrayLike<number>, o: { norm?: 'l2' | 'group'; maxIterations?: number; tolerance?: number } = {}): GlnMaxMargin {
  const norm = checkOneOf('norm', o.norm ?? 'l2', ['l2', 'group'] as const);
  const maxIterations = checkInteger('maxIterations', o.maxIterations ?? 200, 1);
  const tolerance = checkNumber('tolerance', o.tolerance ?? 1e-6, 0);
  const { units, dim, hyperplanes } = gates;
  const n = checkData(X, dim);
  checkLabels(y, n);
  const C = 1 << hyperplanes;
  const ctx = gateContexts(gates, X);
  // K = sum_h eta_h K_h is formed pair by pair, never the units x n x n stack (2,000 examples x 100 units would be 3.2 GB).
  const G = gram(X, n, dim);
  const eta = new Float64Array(units).fill(norm === 'group' ? 1 / units : 1);
  let sol: MaxMarginSolution = { alpha: new Float64Array(n), margin: 0 };
  const beta = new Float64Array(units * C * dim);
  let it = 0;
  for (; it < maxIterations; it++) {
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) {
      let w = 0;
      for (let h = 0; h < units; h++) if (ctx[i * units + h] === ctx[j * units + h]) w += eta[h];
      K[i * n + j] = K[j * n + i] = w * G[i * n + j];
    }
    sol = maxMarginDual(K, y, n);
    beta.fill(0);
    for (let i = 0; i < n; i++) {
      if (sol.alpha[i] === 0) continue;
      for (let h = 0; h < units; h++) {
        const base = (h * C + ctx[i * units + h]) * dim;
        for (let q = 0; q < dim; q++) beta[base + q] += eta[h] * sol.alpha[i] * y[i] * X[i * dim + q];
      }
    }
    if (norm === 'l2') break;
    const next = new Float64Array(units);
    let total = 0;
    for (let h = 0; h < units; h++) {
      let s = 0;
      for (let q = 0; q < C * dim; q++) s += beta[h * C * dim + q] ** 2;
      next[h] = Math.sqrt(s);
      total += next[h];
    }
    let moved = 0;
    // A floor keeps every unit's kernel in play (an eta of exactly 0 could never come back).
    for (let h = 0; h < units; h++) { const v = Math.max(next[h] / total, 1e-12); moved = Math.max(moved, Math.abs(v - eta[h])); eta[h] = v; }
    if (moved < tolerance) { it++; break; }
  }
  // Margin in the architecture's norm: min_i y_i f(x_i) / (sum_h ||beta_h||) for 'group', 1/||beta|| for 'l2'.
  let f = 0;
  let minMargin = Infinity;
  for (let i = 0; i < n; i++) {
    f = 0;
    for (let h = 0; h < units; h++) {
      const base = (h * C + ctx[i * units + h]) * dim;
      for (let q = 0; q < dim; q++) f += beta[base + q] * X[i * dim + q];
    }
    minMargin = Math.min(minMargin, y[i] * f);
  }
  let size = 0;
  if (norm === 'l2') { for (const b of beta) size += b * b; size = Math.sqrt(size); } else {
    for (let h = 0; h < units; h++) { let s = 0; for (let q = 0; q < C * dim; q++) s += beta[h * C * dim + q] ** 2; size += Math.sqrt(s); }
  }
  return { ...sol, margin: minMargin / size, norm, beta, eta, iterations: it };
}

/** Predictions sign(sum_h beta_h . phi_h(x)) of a max-margin solution on new inputs. */
export function glnMaxMarginOutputs(gates: Gates, solution: GlnMaxMargin, X: Float64Array): Float64Array {
  const { units, dim, hyperplanes } = gates;
  const n = checkData(X, dim);
  const C = 1 << hyperplanes;
  const ctx = gateContexts(gates, X);
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let h = 0; h < units; h++) {
    const base = (h * C + ctx[i * units + h]) * dim;
    for (let q = 0; q < dim; q++) f[i] += solution.beta[base + q] * X[i * dim + q];
  }
  return f;
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
