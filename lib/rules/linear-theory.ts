/**
 * Linear theory of low-dimensional feedback (Hanut & Kadmon, arXiv
 * 2502.20580, the authors' linear-network script as summarised in the
 * project's training-rules reference): a two-layer linear network
 * y_hat = W2 W1 x learns a linear teacher T = A B / sqrt(hidden) by
 * full-batch gradient flow on 1/2 E||y - W2 W1 x||^2, with the hidden
 * layer's error fed back through W2^T (BP) or B = Q P. Private to lib/rules;
 * exported through index.ts.
 *
 * Numerics: float64 dense matrices and the loss, mode projections and
 * Eckart-Young floor shared with every linear-network calculation, from
 * lib/linear (products on lib/core `gemm`, the native BLAS when loaded),
 * because the mode strengths are compared at the 1e-2 level over thousands
 * of steps. What stays here is particular to LDFA: the feedback rules.
 *
 * Paper orientation (columns are examples): W1 [k, n], W2 [m, k], Q [k, r],
 * P [r, m]. With E = Sigma_yx - W2 W1 Sigma_xx (the error-input covariance)
 * one step of the dynamics is
 *   W2 += lr (E W1^T - wd W2)
 *   W1 += lr (B E - wd W1),           B = W2^T (bp) or Q P
 * and, with G = -W1 E^T the gradient of the loss with respect to W2^T,
 *   fixed      nothing
 *   fixed-p    Q -= lr (G P^T + wd Q)                       (Kolen-Pollack-like)
 *   raf        Q as fixed-p; P += lr P C (I - P^T P),       C = Sigma_yy / max_i (Sigma_yy)_ii
 *              (Oja's subspace rule on the centred labels, scaled by the largest column variance;
 *              the first version trains P with W's optimiser and learning rate)
 *   normative  D = Q P - W2^T; Q -= lr_b D P^T; P -= lr_b Q^T D  (P, Q from the truncated SVD of W2^T at the start)
 *   local      Q -= lr (G P^T + wd Q); P -= lr (Q^T G + wd P)
 * with lr_b = feedbackLr * feedbackLrDecay^step (the authors' later script: 1e-3, 0.999).
 *
 * `simulateLinearTheory` iterates these steps in the original coordinates.
 * `integrateSvdBasis` integrates the same dynamics as an ODE in time
 * t = step * lr with classical Runge-Kutta (step lr / substeps) in the
 * singular basis of Sigma_yx = U S V^T: W2' = U^T W2, W1' = W1 V_full,
 * P' = P U, Sigma_yx' = [S 0], Sigma_xx' = V_full^T Sigma_xx V_full,
 * Sigma_yy' = U^T Sigma_yy U (Q and the hidden basis unchanged). Its mode
 * strengths are read directly as (W2' W1')_jj / s_j. Agreement of the two is
 * a check of the rotation, the rules and the step size at once.
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, Matrix, Rng, svd, symEig } from '../core';
import { completeBasis, dense, DenseMatrix, fromMatrix, matmul, modeProjections, quadraticLoss, randomNormal, rankOptimalLoss, toMlMatrix, transpose } from '../linear';
import { principalAngles } from './alignment';
import { LOW_RANK_RULES, LowRankRule } from './low-rank';

export type LinearTheoryRule = 'bp' | LowRankRule;
export const LINEAR_THEORY_RULES: readonly LinearTheoryRule[] = ['bp', ...LOW_RANK_RULES];

export interface LinearTheoryOptions {
  rule: LinearTheoryRule;
  /** Sizes n, k, m (default 128, 64, 64: the authors' setup). */
  inputSize?: number;
  hiddenSize?: number;
  outputSize?: number;
  /** Feedback rank r (default 2). */
  rank?: number;
  /** Samples x ~ N(0, I) defining Sigma_xx (default 100,000); 0 = the population Sigma_xx = I. */
  samples?: number;
  /** Learning rate (default 2.5e-3), weight decay (default 1e-5), steps (default 5,000). */
  lr?: number;
  weightDecay?: number;
  steps?: number;
  /** Feedback learning rate of the normative rule (default 1e-3) and its decay per step (default 0.999). */
  feedbackLr?: number;
  feedbackLrDecay?: number;
  /**
   * Inner dimension of the teacher T = A B / sqrt(teacherRank), A [m, teacherRank], B [teacherRank, n]
   * (default hiddenSize: the authors' A B / sqrt(64)); a smaller value gives a low-rank teacher.
   */
  teacherRank?: number;
  /** Std of the initial W1, W2 entries (default 1e-2: small, so modes are learned one by one). */
  initStd?: number;
  /** Seed of the teacher and the data (default 0) and of the initial weights and feedback (default 0). */
  teacherSeed?: number;
  seed?: number;
  /** Record every this many steps (default 50); modes recorded (default 8, at most min(outputSize, inputSize, teacherRank)). */
  recordEvery?: number;
  modes?: number;
  /**
   * integrateSvdBasis: 'rk4' integrates the gradient flow (continuous time,
   * classical Runge-Kutta, `substeps` per learning-rate step; default);
   * 'euler' takes the same discrete steps of size lr as gradient descent.
   */
  method?: 'rk4' | 'euler';
  substeps?: number;
}

export interface LinearTheoryRecord {
  step: number;
  loss: number;
  /** Normalised mode strengths (U^T W2 W1 V)_jj / s_j of the first `modes` modes. */
  modeStrengths: number[];
  /** Principal angles (degrees, largest first) between P's row space and the top-r eigenvectors of Sigma_yy (null for bp). */
  pAngles: number[] | null;
}

export interface LinearTheoryResult {
  rule: LinearTheoryRule;
  method: 'simulation' | 'svd-basis';
  records: LinearTheoryRecord[];
  /** Singular values of Sigma_yx (all m). */
  singularValues: number[];
  /** The last record's loss; NaN when the run diverged (`divergedAt` says when). */
  finalLoss: number;
  /**
   * The smallest loss any product W2 W1 of rank at most r reaches (Eckart-Young
   * in whitened coordinates): 1/2 [tr Sigma_yy - sum_{j<=r} sigma_j^2], sigma_j
   * the singular values of Sigma_yx Sigma_xx^-1/2. With rank-r feedback and a
   * small initial W1, the hidden layer learns only in r directions at a time,
   * so this is what perfect credit assignment within r dimensions would reach.
   */
  rankOptimalLoss: number;
  /** Step at which a value became non-finite or the loss exceeded 1e6 times its start (the run stops there), else null. */
  divergedAt: number | null;
  seconds: number;
}

interface State {
  W1: DenseMatrix;
  W2: DenseMatrix;
  Q: DenseMatrix | null;
  P: DenseMatrix | null;
}

/** The fixed quantities of a run: covariances (Sigma_xx null = identity), the Oja scale. */
interface Problem {
  Sxx: DenseMatrix | null;
  Syx: DenseMatrix;
  Syy: DenseMatrix;
  ojaScale: number;
}

interface Settings {
  rule: LinearTheoryRule;
  n: number;
  k: number;
  m: number;
  r: number;
  samples: number;
  lr: number;
  wd: number;
  steps: number;
  feedbackLr: number;
  feedbackLrDecay: number;
  initStd: number;
  teacherRank: number;
  teacherSeed: number;
  seed: number;
  recordEvery: number;
  modes: number;
  substeps: number;
  method: 'rk4' | 'euler';
}

function resolve(o: LinearTheoryOptions): Settings {
  if (!o || typeof o !== 'object') throw new ArgumentError('options', 'an options object with a rule', o);
  const rule = checkOneOf('rule', o.rule, LINEAR_THEORY_RULES);
  const m = checkInteger('outputSize', o.outputSize ?? 64, 1);
  const s: Settings = {
    rule,
    n: checkInteger('inputSize', o.inputSize ?? 128, 1),
    k: checkInteger('hiddenSize', o.hiddenSize ?? 64, 1),
    m,
    r: checkInteger('rank', o.rank ?? 2, 1, m),
    samples: checkInteger('samples', o.samples ?? 100000, 0),
    lr: checkNumber('lr', o.lr ?? 2.5e-3, 1e-12),
    wd: checkNumber('weightDecay', o.weightDecay ?? 1e-5, 0),
    steps: checkInteger('steps', o.steps ?? 5000, 1),
    feedbackLr: checkNumber('feedbackLr', o.feedbackLr ?? 1e-3, 0),
    feedbackLrDecay: checkNumber('feedbackLrDecay', o.feedbackLrDecay ?? 0.999, 0, 1),
    initStd: checkNumber('initStd', o.initStd ?? 1e-2, 0),
    teacherRank: 0,
    teacherSeed: checkInteger('teacherSeed', o.teacherSeed ?? 0, 0),
    seed: checkInteger('seed', o.seed ?? 0, 0),
    recordEvery: checkInteger('recordEvery', o.recordEvery ?? 50, 1),
    modes: 0,
    substeps: checkInteger('substeps', o.substeps ?? 1, 1),
    method: checkOneOf('method', o.method ?? 'rk4', ['rk4', 'euler']),
  };
  s.teacherRank = checkInteger('teacherRank', o.teacherRank ?? s.k, 1);
  // Mode strengths divide by s_j: only the teacher's nonzero modes have one.
  const maxModes = Math.min(m, s.n, s.teacherRank);
  s.modes = checkInteger('modes', o.modes ?? Math.min(8, maxModes), 1, maxModes);
  if (s.rule === 'normative' && s.r > Math.min(s.k, s.m)) throw new ArgumentError('rank', `at most min(hiddenSize, outputSize) = ${Math.min(s.k, s.m)} for normative`, s.r);
  if (s.m > s.n) throw new ArgumentError('outputSize', `at most inputSize = ${s.n} (U of Sigma_yx must be square)`, s.m);
  if (s.samples > 0 && s.samples < s.n) throw new ArgumentError('samples', `0 (population) or at least inputSize = ${s.n}`, s.samples);
  return s;
}

/** Teacher T = A B / sqrt(teacherRank) and the covariances of its data. */
function buildProblem(s: Settings): Problem {
  const rng = new Rng(s.teacherSeed);
  const A = randomNormal(s.m, s.teacherRank, 1, rng.child(0));
  const B = randomNormal(s.teacherRank, s.n, 1, rng.child(1));
  const T = matmul(A, B, false, false, 1 / Math.sqrt(s.teacherRank));
  let Sxx: DenseMatrix | null = null;
  if (s.samples > 0) {
    const X = randomNormal(s.samples, s.n, 1, rng.child(2));
    Sxx = matmul(X, X, true, false, 1 / s.samples);
  }
  const Syx = Sxx ? matmul(T, Sxx) : T;
  const Syy = Sxx ? matmul(Syx, T, false, true) : matmul(T, T, false, true);
  let maxDiag = 0;
  for (let i = 0; i < s.m; i++) maxDiag = Math.max(maxDiag, Syy.data[i * s.m + i]);
  return { Sxx, Syx, Syy, ojaScale: maxDiag };
}

function initialState(s: Settings): State {
  const rng = new Rng(s.seed);
  const W1 = randomNormal(s.k, s.n, s.initStd, rng.child(0));
  const W2 = randomNormal(s.m, s.k, s.initStd, rng.child(1));
  if (s.rule === 'bp') return { W1, W2, Q: null, P: null };
  if (s.rule === 'normative') {
    const { u, s: sv, v } = svd(toMlMatrix(transpose(W2)));
    const Q = dense(s.k, s.r);
    const P = dense(s.r, s.m);
    for (let j = 0; j < s.r; j++) {
      const h = Math.sqrt(sv[j]);
      for (let i = 0; i < s.k; i++) Q.data[i * s.r + j] = u.get(i, j) * h;
      for (let i = 0; i < s.m; i++) P.data[j * s.m + i] = v.get(i, j) * h;
    }
    return { W1, W2, Q, P };
  }
  // B = Q P with entries of variance 1/m, P's rows of norm ~1.
  return { W1, W2, Q: randomNormal(s.k, s.r, 1 / Math.sqrt(s.r), rng.child(2)), P: randomNormal(s.r, s.m, 1 / Math.sqrt(s.m), rng.child(3)) };
}

/** Increments of one learning-rate step at (fractional) step index `step`. */
function increments(s: Settings, pr: Problem, st: State, step: number): State {
  const { W1, W2, Q, P } = st;
  const W = matmul(W2, W1);
  const E = pr.Sxx ? matmul(W, pr.Sxx, false, false, -1) : dense(W.rows, W.cols, W.data.map((v) => -v));
  for (let i = 0; i < E.data.length; i++) E.data[i] += pr.Syx.data[i];
  const dW2 = matmul(E, W1, false, true, s.lr);
  for (let i = 0; i < dW2.data.length; i++) dW2.data[i] -= s.lr * s.wd * W2.data[i];
  const Bfb = s.rule === 'bp' ? transpose(W2) : matmul(Q as DenseMatrix, P as DenseMatrix);
  const dW1 = matmul(Bfb, E, false, false, s.lr);
  for (let i = 0; i < dW1.data.length; i++) dW1.data[i] -= s.lr * s.wd * W1.data[i];
  if (s.rule === 'bp' || s.rule === 'fixed') return { W1: dW1, W2: dW2, Q: Q ? dense(Q.rows, Q.cols) : null, P: P ? dense(P.rows, P.cols) : null };
  const q = Q as DenseMatrix;
  const p = P as DenseMatrix;
  const lrb = s.feedbackLr * Math.pow(s.feedbackLrDecay, step);
  let dQ: DenseMatrix;
  let dP: DenseMatrix;
  if (s.rule === 'normative') {
    const D = matmul(q, p);
    for (let i = 0; i < s.k; i++) for (let j = 0; j < s.m; j++) D.data[i * s.m + j] -= W2.data[j * s.k + i];
    dQ = matmul(D, p, false, true, -lrb);
    dP = matmul(q, D, true, false, -lrb);
  } else {
    const G = matmul(W1, E, false, true, -1); // dL/dW2^T [k, m]
    dQ = matmul(G, p, false, true, -s.lr);
    for (let i = 0; i < dQ.data.length; i++) dQ.data[i] -= s.lr * s.wd * q.data[i];
    if (s.rule === 'local') {
      dP = matmul(q, G, true, false, -s.lr);
      for (let i = 0; i < dP.data.length; i++) dP.data[i] -= s.lr * s.wd * p.data[i];
    } else if (s.rule === 'raf') {
      const PC = matmul(p, pr.Syy, false, false, 1 / pr.ojaScale);
      const PCPt = matmul(PC, p, false, true);
      dP = matmul(PCPt, p, false, false, -s.lr);
      for (let i = 0; i < dP.data.length; i++) dP.data[i] += s.lr * PC.data[i];
    } else {
      dP = dense(p.rows, p.cols);
    }
  }
  return { W1: dW1, W2: dW2, Q: dQ, P: dP };
}

function axpy(st: State, d: State, a: number): State {
  const f = (x: DenseMatrix | null, y: DenseMatrix | null) => (x && y ? dense(x.rows, x.cols, x.data.map((v, i) => v + a * y.data[i])) : x);
  return { W1: f(st.W1, d.W1) as DenseMatrix, W2: f(st.W2, d.W2) as DenseMatrix, Q: f(st.Q, d.Q), P: f(st.P, d.P) };
}

function lossOf(pr: Problem, st: State): number {
  return quadraticLoss(matmul(st.W2, st.W1), pr.Syx, pr.Syy, pr.Sxx);
}

function modeStrengths(W2: DenseMatrix, W1: DenseMatrix, U: DenseMatrix | null, V: DenseMatrix | null, sv: number[], modes: number): number[] {
  return modeProjections(matmul(W2, W1), U, V, sv, modes);
}

function pAngles(P: DenseMatrix | null, topYY: Matrix): number[] | null {
  if (!P) return null;
  return principalAngles(toMlMatrix(transpose(P)), topYY);
}

function diverged(st: State, loss: number, initialLoss: number): boolean {
  if (!Number.isFinite(loss) || loss > 1e6 * Math.max(initialLoss, 1e-12)) return true;
  for (const x of [st.Q, st.P]) if (x && !x.data.every(Number.isFinite)) return true;
  return false;
}

/** See LinearTheoryResult.rankOptimalLoss. */
function rankOptimal(pr: Problem, r: number): number {
  return rankOptimalLoss(pr.Syx, pr.Syy, pr.Sxx, r, 'samples');
}

function decompose(s: Settings, pr: Problem) {
  const d = svd(toMlMatrix(pr.Syx));
  const sv = Array.from(d.s);
  const topYY = symEig(toMlMatrix(pr.Syy)).vectors.subMatrix(0, s.m - 1, 0, s.r - 1);
  return { U: fromMatrix(d.u), Vthin: d.v, sv, topYY };
}

/** Runs the dynamics in the original coordinates (Euler steps of size lr: gradient descent). */
export function simulateLinearTheory(options: LinearTheoryOptions): LinearTheoryResult {
  const t0 = Date.now();
  const s = resolve(options);
  const pr = buildProblem(s);
  const { U, Vthin, sv, topYY } = decompose(s, pr);
  const V = fromMatrix(Vthin);
  let st = initialState(s);
  const records: LinearTheoryRecord[] = [];
  const record = (step: number) =>
    records.push({ step, loss: lossOf(pr, st), modeStrengths: modeStrengths(st.W2, st.W1, U, V, sv, s.modes), pAngles: pAngles(st.P, topYY) });
  record(0);
  let divergedAt: number | null = null;
  for (let t = 0; t < s.steps && divergedAt === null; t++) {
    st = axpy(st, increments(s, pr, st, t), 1);
    if (diverged(st, lossOf(pr, st), records[0].loss)) divergedAt = t + 1;
    else if ((t + 1) % s.recordEvery === 0 || t + 1 === s.steps) record(t + 1);
  }
  return { rule: s.rule, method: 'simulation', records, singularValues: sv, finalLoss: divergedAt === null ? records[records.length - 1].loss : NaN, rankOptimalLoss: rankOptimal(pr, s.r), divergedAt, seconds: (Date.now() - t0) / 1000 };
}

/** Integrates the same dynamics in the singular basis of Sigma_yx with fourth-order Runge-Kutta. */
export function integrateSvdBasis(options: LinearTheoryOptions): LinearTheoryResult {
  // Its set-up and record lines parallel simulateLinearTheory's on purpose: the two are independent checks of each other.
  const t0 = Date.now();
  const s = resolve(options);
  const pr = buildProblem(s);
  const { U, Vthin, sv, topYY } = decompose(s, pr);
  const Vf = fromMatrix(completeBasis(Vthin, s.n));
  const st0 = initialState(s);
  // Rotate the problem and the initial state.
  const SyxR = dense(s.m, s.n);
  for (let j = 0; j < Math.min(s.m, s.n); j++) SyxR.data[j * s.n + j] = sv[j];
  const rotated: Problem = {
    Sxx: pr.Sxx ? matmul(matmul(Vf, pr.Sxx, true, false), Vf) : null,
    Syx: SyxR,
    Syy: matmul(matmul(U, pr.Syy, true, false), U),
    ojaScale: pr.ojaScale, // a property of the original coordinates, passed in unchanged
  };
  let st: State = { W1: matmul(st0.W1, Vf), W2: matmul(U, st0.W2, true, false), Q: st0.Q, P: st0.P ? matmul(st0.P, U) : null };
  // P' = P U: its row space is compared with U^T (top eigenvectors of Sigma_yy).
  const topYYR = toMlMatrix(matmul(U, fromMatrix(topYY), true, false));
  const records: LinearTheoryRecord[] = [];
  const record = (step: number) =>
    records.push({ step, loss: lossOf(rotated, st), modeStrengths: modeStrengths(st.W2, st.W1, null, null, sv, s.modes), pAngles: pAngles(st.P, topYYR) });
  record(0);
  const h = 1 / s.substeps;
  let divergedAt: number | null = null;
  for (let t = 0; t < s.steps && divergedAt === null; t++) {
    if (s.method === 'euler') st = axpy(st, increments(s, rotated, st, t), 1);
    for (let q = 0; q < s.substeps && s.method === 'rk4'; q++) {
      const tau = t + q * h;
      const k1 = increments(s, rotated, st, tau);
      const k2 = increments(s, rotated, axpy(st, k1, h / 2), tau + h / 2);
      const k3 = increments(s, rotated, axpy(st, k2, h / 2), tau + h / 2);
      const k4 = increments(s, rotated, axpy(st, k3, h), tau + h);
      st = axpy(axpy(axpy(axpy(st, k1, h / 6), k2, h / 3), k3, h / 3), k4, h / 6);
    }
    if (diverged(st, lossOf(rotated, st), records[0].loss)) divergedAt = t + 1;
    else if ((t + 1) % s.recordEvery === 0 || t + 1 === s.steps) record(t + 1);
  }
  return { rule: s.rule, method: 'svd-basis', records, singularValues: sv, finalLoss: divergedAt === null ? records[records.length - 1].loss : NaN, rankOptimalLoss: rankOptimal(pr, s.r), divergedAt, seconds: (Date.now() - t0) / 1000 };
}
