/**
 * Gradient descent on a deep linear network y_hat = W_D ... W_1 x, the
 * simulation beside the closed-form mode dynamics of modes.ts.
 *
 * Loss (from the covariances, Sxx null = identity, i.e. one-hot or whitened
 * inputs): L = 1/2 [tr Syy - 2 tr(W Syx^T) + tr(W Sxx W^T)], W = W_D ... W_1.
 * With E = Syx - W Sxx, one step is, for every layer l at once,
 *   W_l += lr (W_D ... W_l+1)^T E (W_l-1 ... W_1)^T,
 * so time in modes.ts's units is t = lr * step.
 *
 * Initialisation:
 *   'aligned'  balanced and aligned to the SVD Syx = U S V^T: with r modes,
 *              w0 = u0^(1/D), W_1 = w0 R_1 V_r^T, W_l = w0 R_l R_(l-1)^T,
 *              W_D = w0 U_r R_(D-1)^T (R_l random orthonormal width_l x r frames,
 *              from the seed), so the product starts at u0 along each of the r
 *              modes and follows modes.ts exactly in the gradient-flow limit;
 *   'random'   entries N(0, initScale^2), from the seed.
 *
 * Recorded every `recordEvery` steps: the loss; the mode strengths
 * (U^T W V)_jj (not divided by s_j); optionally the hidden layer's similarity
 * matrix H^T H with H = W_l ... W_1 (column i: the representation of input
 * e_i, an item for one-hot inputs); chosen entries W_ij (predictions of item
 * j's feature i); the test error ||W - T||^2 / ||T||^2 against a teacher T.
 * Float64 on lib/core's gemm.
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, Rng, svd } from '../core';
import { checkDense, dense, DenseMatrix, frobeniusDistanceSquared, fromMatrix, matmul, quadraticLoss, randomNormal, randomOrthonormal, toMlMatrix } from './dense';

export interface LinearNetworkOptions {
  /** Output-input covariance Syx, m x n. */
  Syx: DenseMatrix;
  /** Input covariance, n x n (default null: the identity). */
  Sxx?: DenseMatrix | null;
  /** Output covariance for the loss, m x m (default Syx Syx^T: each input seen once with target its column of Syx). */
  Syy?: DenseMatrix;
  /** Hidden widths, input side first ([] = the shallow network W). */
  hidden: readonly number[];
  /** Learning rate (default 0.01) and number of steps (default 1000). */
  lr?: number;
  steps?: number;
  /** 'aligned' (default) or 'random' (header). */
  init?: 'aligned' | 'random';
  /** aligned: u0, the product's initial strength along each mode (default 1e-4); random: the entries' std (default 1e-3). */
  initScale?: number;
  /** Seed of the frames or entries (default 0). */
  seed?: number;
  recordEvery?: number;
  /** Modes recorded (default min(8, m, n)). */
  modes?: number;
  /** Hidden layer (1-based) whose similarity matrix is recorded (default 0: none). */
  similarityLayer?: number;
  /** Entries [row, column] of W recorded. */
  entries?: readonly (readonly [number, number])[];
  /** A teacher T (m x n): the test error ||W - T||^2 / ||T||^2 is recorded. */
  teacher?: DenseMatrix;
}

export interface LinearNetworkRecord {
  step: number;
  /** lr * step, the time of modes.ts. */
  time: number;
  loss: number;
  /** (U^T W V)_jj for the first `modes` singular pairs of Syx. */
  modeStrengths: number[];
  similarity?: DenseMatrix;
  entries?: number[];
  testError?: number;
}

export interface LinearNetworkResult {
  records: LinearNetworkRecord[];
  singularValues: number[];
  /** The final weights W_1 ... W_D. */
  weights: DenseMatrix[];
  /** Step at which the loss became non-finite (the run stops there), else null. */
  divergedAt: number | null;
}

/** Products W_b ... W_a (1-based, inclusive); null for an empty range (the identity). */
function chain(W: DenseMatrix[], a: number, b: number): DenseMatrix | null {
  let out: DenseMatrix | null = null;
  for (let l = a; l <= b; l++) out = out ? matmul(W[l - 1], out) : W[l - 1];
  return out;
}

/** Runs gradient descent on a deep linear network (header). */
export function simulateLinearNetwork(options: LinearNetworkOptions): LinearNetworkResult {
  if (!options || typeof options !== 'object') throw new ArgumentError('options', 'an options object with Syx and hidden', options);
  const Syx = checkDense('Syx', options.Syx);
  const m = Syx.rows;
  const n = Syx.cols;
  const Sxx = options.Sxx ? checkDense('Sxx', options.Sxx, n, n) : null;
  const Syy = options.Syy ? checkDense('Syy', options.Syy, m, m) : matmul(Syx, Syx, false, true);
  if (!Array.isArray(options.hidden)) throw new ArgumentError('hidden', 'an array of hidden widths ([] for a shallow network)', options.hidden);
  const hidden = options.hidden.map((h, i) => checkInteger(`hidden[${i}]`, h, 1));
  const D = hidden.length + 1;
  const lr = checkNumber('lr', options.lr ?? 0.01, 1e-12);
  const steps = checkInteger('steps', options.steps ?? 1000, 0);
  const init = checkOneOf('init', options.init ?? 'aligned', ['aligned', 'random'] as const);
  const initScale = checkNumber('initScale', options.initScale ?? (init === 'aligned' ? 1e-4 : 1e-3), 0);
  const seed = checkInteger('seed', options.seed ?? 0, 0);
  const recordEvery = checkInteger('recordEvery', options.recordEvery ?? Math.max(1, Math.floor(steps / 100)), 1);
  const modes = checkInteger('modes', options.modes ?? Math.min(8, m, n), 1, Math.min(m, n));
  const simLayer = checkInteger('similarityLayer', options.similarityLayer ?? 0, 0, D - 1);
  const entries = (options.entries ?? []).map((e, i) => {
    if (!Array.isArray(e) || e.length !== 2) throw new ArgumentError(`entries[${i}]`, 'a [row, column] pair', e);
    return [checkInteger(`entries[${i}][0]`, e[0], 0, m - 1), checkInteger(`entries[${i}][1]`, e[1], 0, n - 1)] as const;
  });
  const teacher = options.teacher ? checkDense('teacher', options.teacher, m, n) : null;
  const teacherNorm = teacher ? frobeniusDistanceSquared(teacher) : 1;
  if (teacher && !(teacherNorm > 0)) throw new ArgumentError('teacher', 'a non-zero matrix', 'all zeros');

  const d = svd(toMlMatrix(Syx));
  const U = fromMatrix(d.u);
  const V = fromMatrix(d.v);
  const sv = Array.from(d.s);
  const widths = [n, ...hidden, m];
  const rng = new Rng(seed);
  let W: DenseMatrix[];
  if (init === 'random') {
    W = Array.from({ length: D }, (_, l) => randomNormal(widths[l + 1], widths[l], initScale, rng.child(l)));
  } else {
    const r = Math.min(...widths);
    const w0 = Math.pow(initScale, 1 / D);
    const frames = hidden.map((h, l) => randomOrthonormal(h, r, rng.child(l)));
    const Ur = dense(m, r, Float64Array.from({ length: m * r }, (_, k) => U.data[Math.floor(k / r) * U.cols + (k % r)]));
    const Vr = dense(n, r, Float64Array.from({ length: n * r }, (_, k) => V.data[Math.floor(k / r) * V.cols + (k % r)]));
    const left = [...frames, Ur]; // output side of each layer
    const right = [Vr, ...frames]; // input side of each layer
    W = Array.from({ length: D }, (_, l) => matmul(left[l], right[l], false, true, w0));
  }

  const records: LinearNetworkRecord[] = [];
  const product = () => chain(W, 1, D) as DenseMatrix;
  const record = (step: number, P: DenseMatrix, loss: number) => {
    const proj = matmul(matmul(U, P, true, false), V);
    const rec: LinearNetworkRecord = { step, time: step * lr, loss, modeStrengths: Array.from({ length: modes }, (_, j) => proj.data[j * proj.cols + j]) };
    if (simLayer > 0) {
      const H = chain(W, 1, simLayer) as DenseMatrix;
      rec.similarity = matmul(H, H, true, false);
    }
    if (entries.length) rec.entries = entries.map(([i, j]) => P.data[i * n + j]);
    if (teacher) rec.testError = frobeniusDistanceSquared(P, teacher) / teacherNorm;
    records.push(rec);
  };
  let P = product();
  record(0, P, quadraticLoss(P, Syx, Syy, Sxx));
  let divergedAt: number | null = null;
  for (let t = 0; t < steps; t++) {
    const WS = Sxx ? matmul(P, Sxx) : P;
    const E = dense(m, n, Syx.data.map((v, i) => v - WS.data[i]));
    const next = W.map((Wl, idx) => {
      const l = idx + 1;
      const above = chain(W, l + 1, D); // m x h_l
      const below = chain(W, 1, l - 1); // h_(l-1) x n
      const AE = above ? matmul(above, E, true, false) : E;
      const G = below ? matmul(AE, below, false, true) : AE;
      return dense(Wl.rows, Wl.cols, Wl.data.map((v, i) => v + lr * G.data[i]));
    });
    W = next;
    P = product();
    const loss = quadraticLoss(P, Syx, Syy, Sxx);
    if (!Number.isFinite(loss) || !P.data.every(Number.isFinite)) {
      divergedAt = t + 1;
      break;
    }
    if ((t + 1) % recordEvery === 0 || t + 1 === steps) record(t + 1, P, loss);
  }
  return { records, singularValues: sv, weights: W, divergedAt };
}
