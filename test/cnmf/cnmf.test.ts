import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearInterrupt, InterruptedError, nnls, requestInterrupt, Rng } from '../../lib/core';
import {
  cnmf, CNMF_SOLVERS, cnmfStep, initialFactors, motif, reconstruct, relativeLoss, seqNMF, significanceTest,
  syntheticSequences, transposeConvolve,
} from '../../lib/cnmf';

/** Xhat by the definition, with plain loops: Xhat[n, t] = sum_l sum_k W[n, k, l] H[k, t - l]. */
function naiveReconstruct(W: Float64Array, H: Float64Array, N: number, K: number, L: number, T: number): Float64Array {
  const out = new Float64Array(N * T);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let l = 0; l < L && l <= t; l++) for (let k = 0; k < K; k++) s += W[(l * N + n) * K + k] * H[k * T + t - l];
      out[n * T + t] = s;
    }
  }
  return out;
}

function randomFactors(rng: Rng, N: number, K: number, L: number, T: number) {
  return {
    W: rng.uniformArray(L * N * K, 0, 1, 'float64') as Float64Array,
    H: rng.uniformArray(K * T, 0, 1, 'float64') as Float64Array,
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('reconstruct matches the definition and transposeConvolve is its adjoint', () => {
  const rng = new Rng(1);
  const [N, K, L, T] = [7, 3, 4, 19];
  const { W, H } = randomFactors(rng, N, K, L, T);
  const xhat = reconstruct(W, H, N, K, L, T);
  assert.ok(maxAbsDiff(xhat, naiveReconstruct(W, H, N, K, L, T)) < 1e-12);
  // <T(W, Y), H> = <Y, Xhat(W, H)> for any Y
  const Y = rng.normalArray(N * T, 0, 1, 'float64') as Float64Array;
  const ty = transposeConvolve(W, Y, N, K, L, T);
  let lhs = 0;
  let rhs = 0;
  for (let i = 0; i < K * T; i++) lhs += ty[i] * H[i];
  for (let i = 0; i < N * T; i++) rhs += Y[i] * xhat[i];
  assert.ok(Math.abs(lhs - rhs) < 1e-10 * Math.abs(rhs), `${lhs} vs ${rhs}`);
});

test('MU, HALS and ANLS never increase the loss', () => {
  const { X } = syntheticSequences({ N: 20, T: 150, K: 3, L: 8, seed: 4 });
  for (const solver of ['mu', 'hals', 'anls'] as const) {
    const r = cnmf(X, { K: 3, L: 8, solver, maxIterations: 25, seed: 5 });
    for (let i = 1; i < r.lossHistory.length; i++) {
      assert.ok(r.lossHistory[i] <= r.lossHistory[i - 1] * (1 + 1e-10), `${solver} iteration ${i}: ${r.lossHistory[i - 1]} -> ${r.lossHistory[i]}`);
    }
    assert.ok(r.lossHistory[25] < 0.9 * r.lossHistory[0], `${solver} makes progress`);
    // the reported loss is the loss of the returned factors
    assert.ok(Math.abs(relativeLoss(X, r.W, r.H, 3, 8) - r.lossHistory[25]) < 1e-9);
  }
});

test('with L1 and L2 penalties every solver descends the same penalised objective', () => {
  const [N, K, L, T] = [12, 3, 5, 90];
  const { X } = syntheticSequences({ N, T, K, L, seed: 21 });
  const pen = { l1W: 0.05, l2W: 0.02, l1H: 0.03, l2H: 0.01 };
  const objective = (W: Float64Array, H: Float64Array) => {
    const xhat = naiveReconstruct(W, H, N, K, L, T);
    let f = 0;
    for (let i = 0; i < xhat.length; i++) f += 0.5 * (xhat[i] - X.data[i]) ** 2;
    for (const w of W) f += pen.l1W * w + pen.l2W * w * w;
    for (const h of H) f += pen.l1H * h + pen.l2H * h * h;
    return f;
  };
  for (const solver of ['mu', 'hals', 'anls'] as const) {
    const values = [0, 1, 2, 3, 4, 5, 6].map((it) => {
      const r = cnmf(X, { K, L, solver, maxIterations: it, seed: 22, ...pen });
      return objective(r.W, r.H);
    });
    for (let i = 1; i < values.length; i++) assert.ok(values[i] <= values[i - 1] * (1 + 1e-10), `${solver} iteration ${i}: ${values[i - 1]} -> ${values[i]}`);
    assert.ok(values[6] < 0.8 * values[0], `${solver} makes progress`);
  }
  // the W step of HALS and ANLS is the exact penalised minimiser when the coordinates decouple (K = 1, L = 1):
  // w_n = max(0, (<x_n, h> - l1W) / (<h, h> + 2 l2W))
  const rng = new Rng(23);
  const x1 = { rows: 6, cols: 30, data: rng.uniformArray(180, 0, 1, 'float64') };
  const w1 = rng.uniformArray(6, 0, 1, 'float64') as Float64Array;
  const h1 = rng.uniformArray(30, 0, 1, 'float64') as Float64Array;
  const big = { l1W: 2, l2W: 0.7 };
  const hh = h1.reduce((a, v) => a + v * v, 0);
  for (const solver of ['hals', 'anls'] as const) {
    const out = cnmfStep(x1, w1, h1, 1, 1, solver, big);
    for (let n = 0; n < 6; n++) {
      let xh = 0;
      for (let t = 0; t < 30; t++) xh += x1.data[n * 30 + t] * h1[t];
      const expected = Math.max(0, (xh - big.l1W) / (hh + 2 * big.l2W));
      assert.ok(Math.abs(out.W[n] - expected) < 1e-9 * Math.max(1, expected), `${solver} w_${n}: ${out.W[n]} vs ${expected}`);
    }
  }
  // the penalties act: a strong L1 on H leaves H sparser than no penalty
  const zeros = (H: Float64Array) => H.filter((h) => h <= 1e-9).length;
  const plain = cnmf(X, { K, L, solver: 'hals', maxIterations: 30, seed: 22 });
  const sparse = cnmf(X, { K, L, solver: 'hals', maxIterations: 30, seed: 22, l1H: 1 });
  assert.ok(zeros(sparse.H) > zeros(plain.H) + 10, `${zeros(sparse.H)} vs ${zeros(plain.H)} zero loadings`);
});

/** HALS written from the update rules, one coordinate at a time, with the residual R = Xhat - X updated explicitly. */
function naiveHals(X: Float64Array, W0: Float64Array, H0: Float64Array, N: number, K: number, L: number, T: number) {
  const W = Float64Array.from(W0);
  const H = Float64Array.from(H0);
  const R = naiveReconstruct(W, H, N, K, L, T);
  for (let i = 0; i < R.length; i++) R[i] -= X[i];
  for (let l = 0; l < L; l++) {
    for (let k = 0; k < K; k++) {
      const ht = new Float64Array(T);
      for (let t = l; t < T; t++) ht[t] = H[k * T + t - l];
      const hn = ht.reduce((a, v) => a + v * v, 0);
      for (let n = 0; n < N; n++) {
        const idx = (l * N + n) * K + k;
        let g = 0;
        for (let t = 0; t < T; t++) g += R[n * T + t] * ht[t];
        const v = Math.max(0, (W[idx] * hn - g) / (hn + 1e-12));
        for (let t = 0; t < T; t++) R[n * T + t] += (v - W[idx]) * ht[t];
        W[idx] = v;
      }
    }
  }
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < L; r++) {
      for (let t = r; t < T; t += L) {
        const len = Math.min(L, T - t);
        let wn = 0;
        let inner = 0;
        for (let n = 0; n < N; n++) {
          for (let l = 0; l < len; l++) {
            const w = W[(l * N + n) * K + k];
            wn += w * w;
            inner += w * R[n * T + t + l];
          }
        }
        const h = H[k * T + t];
        const v = Math.max(0, (h * wn - inner) / (wn + 1e-12));
        for (let n = 0; n < N; n++) for (let l = 0; l < len; l++) R[n * T + t + l] += (v - h) * W[(l * N + n) * K + k];
        H[k * T + t] = v;
      }
    }
  }
  return { W, H, R };
}

/** ANLS written with explicit matrices: W by NNLS on the stacked shifted H, then each column of H by NNLS on its window. */
function naiveAnls(X: Float64Array, W0: Float64Array, H0: Float64Array, N: number, K: number, L: number, T: number) {
  const H = Float64Array.from(H0);
  const A = Array.from({ length: T }, (_, t) => Array.from({ length: K * L }, (_, j) => (t - Math.floor(j / K) >= 0 ? H[(j % K) * T + t - Math.floor(j / K)] : 0)));
  const B = Array.from({ length: T }, (_, t) => Array.from({ length: N }, (_, n) => X[n * T + t]));
  const sol = nnls(A, B);
  const W = new Float64Array(L * N * K);
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) W[(l * N + n) * K + k] = sol.data[(l * K + k) * N + n];
  void W0;
  const R = naiveReconstruct(W, H, N, K, L, T);
  for (let i = 0; i < R.length; i++) R[i] -= X[i];
  for (let r = 0; r < L; r++) {
    for (let t = r; t < T; t += L) {
      const len = Math.min(L, T - t);
      const Aw: number[][] = [];
      const b: number[][] = [];
      for (let n = 0; n < N; n++) {
        for (let l = 0; l < len; l++) {
          const row = Array.from({ length: K }, (_, k) => W[(l * N + n) * K + k]);
          Aw.push(row);
          b.push([-R[n * T + t + l] + row.reduce((a, w, k) => a + w * H[k * T + t], 0)]);
        }
      }
      const x = nnls(Aw, b);
      for (let n = 0; n < N; n++) {
        for (let l = 0; l < len; l++) {
          let d = 0;
          for (let k = 0; k < K; k++) d += W[(l * N + n) * K + k] * (x.data[k] - H[k * T + t]);
          R[n * T + t + l] += d;
        }
      }
      for (let k = 0; k < K; k++) H[k * T + t] = x.data[k];
    }
  }
  return { W, H, R };
}

function relativeMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / scale;
}

test('HALS and ANLS iterations equal their one-coordinate/one-column definitions, and the kept residual equals a recomputation', () => {
  const [N, K, L, T] = [9, 3, 5, 53]; // T not a multiple of L: cut windows at the end
  const { X } = syntheticSequences({ N, T, K, L, seed: 6 });
  for (const solver of ['hals', 'anls'] as const) {
    let { W, H } = initialFactors(X, K, L, 7);
    for (let it = 0; it < 3; it++) {
      const out = cnmfStep(X, W, H, K, L, solver);
      const ref = (solver === 'hals' ? naiveHals : naiveAnls)(X.data, W, H, N, K, L, T);
      assert.ok(relativeMaxDiff(out.W, ref.W) < 1e-9, `${solver} W, iteration ${it}: ${relativeMaxDiff(out.W, ref.W)}`);
      assert.ok(relativeMaxDiff(out.H, ref.H) < 1e-9, `${solver} H, iteration ${it}: ${relativeMaxDiff(out.H, ref.H)}`);
      const full = naiveReconstruct(out.W, out.H, N, K, L, T);
      for (let i = 0; i < full.length; i++) full[i] -= X.data[i];
      assert.ok(maxAbsDiff(out.residual, full) < 1e-12, `${solver} residual, iteration ${it}`);
      ({ W, H } = out);
    }
  }
});

test('the same seed gives the same initialisation and the same fit', () => {
  const { X } = syntheticSequences({ N: 8, T: 60, K: 2, L: 4, seed: 1 });
  const a = cnmf(X, { K: 2, L: 4, solver: 'hals', maxIterations: 3, seed: 9 });
  const b = cnmf(X, { K: 2, L: 4, solver: 'hals', maxIterations: 3, seed: 9 });
  assert.deepEqual(a.lossHistory, b.lossHistory);
  const m = cnmf(X, { K: 2, L: 4, solver: 'mu', maxIterations: 0, seed: 9 });
  assert.equal(m.lossHistory[0], a.lossHistory[0]);
});

/** Best cosine similarity between two N x L motifs over lag shifts in [-maxShift, maxShift] (zero fill). */
function shiftedSimilarity(a: Float64Array, b: Float64Array, N: number, L: number, maxShift: number): number {
  let best = -1;
  for (let s = -maxShift; s <= maxShift; s++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let n = 0; n < N; n++) {
      for (let l = 0; l < L; l++) {
        const x = a[n * L + l];
        const y = l - s >= 0 && l - s < L ? b[n * L + l - s] : 0;
        dot += x * y;
        na += x * x;
        nb += y * y;
      }
    }
    best = Math.max(best, dot / Math.sqrt(na * nb + 1e-300));
  }
  return best;
}

test('planted noise-free motifs are recovered up to permutation and shift', () => {
  const [N, K, L, T] = [12, 2, 7, 400];
  const W = new Float64Array(L * N * K);
  // motif 0: neurons 0..4 fire in order at lags 1..5; motif 1: neurons 6..10 in reverse order
  for (let i = 0; i < 5; i++) {
    W[((1 + i) * N + i) * K + 0] = 1;
    W[((1 + i) * N + 10 - i) * K + 1] = 1;
  }
  const rng = new Rng(11);
  const H = new Float64Array(K * T);
  for (let i = 0; i < H.length; i++) if (rng.uniform() < 0.04) H[i] = 0.5 + rng.uniform();
  const X = { rows: N, cols: T, data: reconstruct(W, H, N, K, L, T) };
  // best of three initialisations, as one would run it
  const fits = [1, 2, 3].map((seed) => cnmf(X, { K, L, solver: 'hals', maxIterations: 300, seed }));
  const fit = fits.reduce((a, b) => (a.lossHistory[a.iterations] <= b.lossHistory[b.iterations] ? a : b));
  assert.ok(fit.lossHistory[fit.iterations] < 0.05, `loss ${fit.lossHistory[fit.iterations]}`);
  const truth = [0, 1].map((k) => motif(W, N, K, L, k).data);
  const found = [0, 1].map((k) => motif(fit.W, N, K, L, k).data);
  const direct = Math.min(shiftedSimilarity(truth[0], found[0], N, L, 2), shiftedSimilarity(truth[1], found[1], N, L, 2));
  const swapped = Math.min(shiftedSimilarity(truth[0], found[1], N, L, 2), shiftedSimilarity(truth[1], found[0], N, L, 2));
  assert.ok(Math.max(direct, swapped) > 0.95, `similarity ${direct} / ${swapped}`);
});

test("seqNMF's updates with lambda = 0 equal plain MU (H first, then every W_l from one Xhat)", () => {
  const [N, K, L, T] = [6, 2, 3, 40];
  const { X } = syntheticSequences({ N, T, K, L, seed: 12 });
  const { W, H } = randomFactors(new Rng(13), N, K, L, T);
  const iterations = 4;
  const seq = seqNMF(X, { K, L, lambda: 0, maxIterations: iterations, shift: false, pad: false, initialW: W, initialH: H });
  // plain MU written from the update rules with the naive reconstruction
  const w = Float64Array.from(W);
  const h = Float64Array.from(H);
  const x = X.data;
  for (let it = 0; it < iterations; it++) {
    let xhat = naiveReconstruct(w, h, N, K, L, T);
    const hNew = new Float64Array(K * T);
    for (let k = 0; k < K; k++) {
      for (let t = 0; t < T; t++) {
        let num = 0;
        let den = 0;
        for (let l = 0; l < L && t + l < T; l++) {
          for (let n = 0; n < N; n++) {
            num += w[(l * N + n) * K + k] * x[n * T + t + l];
            den += w[(l * N + n) * K + k] * xhat[n * T + t + l];
          }
        }
        hNew[k * T + t] = (h[k * T + t] * num) / (den + 1e-12);
      }
    }
    h.set(hNew);
    xhat = naiveReconstruct(w, h, N, K, L, T);
    const wNew = new Float64Array(w.length);
    for (let l = 0; l < L; l++) {
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          let num = 0;
          let den = 0;
          for (let t = l; t < T; t++) {
            num += x[n * T + t] * h[k * T + t - l];
            den += xhat[n * T + t] * h[k * T + t - l];
          }
          wNew[(l * N + n) * K + k] = (w[(l * N + n) * K + k] * num) / (den + 1e-12);
        }
      }
    }
    w.set(wNew);
  }
  // seqNMF normalises H's rows (and rescales W), which leaves Xhat unchanged: compare reconstructions
  const a = naiveReconstruct(seq.W, seq.H, N, K, L, T);
  const b = naiveReconstruct(w, h, N, K, L, T);
  const scale = Math.max(...b);
  assert.ok(maxAbsDiff(a, b) < 1e-9 * scale, `max diff ${maxAbsDiff(a, b)}`);
  // and with lambda > 0 the penalty changes the result (the comparison can fail)
  const pen = seqNMF(X, { K, L, lambda: 0.5, maxIterations: iterations + 1, shift: false, pad: false, initialW: W, initialH: H });
  assert.ok(maxAbsDiff(naiveReconstruct(pen.W, pen.H, N, K, L, T), b) > 1e-6 * scale);
});

test('significance: a planted sequence is significant on held-out data, a scrambled motif is not', () => {
  const [N, K, L, T] = [15, 1, 8, 600];
  const W = new Float64Array(L * N * K);
  for (let i = 0; i < 8; i++) W[(i * N + i) * K] = 1; // neurons 0..7 in order
  const rng = new Rng(14);
  const H = new Float64Array(K * T);
  for (let t = 0; t < T; t++) if (rng.uniform() < 0.02) H[t] = 1;
  const X = reconstruct(W, H, N, K, L, T);
  for (let i = 0; i < X.length; i++) X[i] += 0.05 * rng.uniform();
  const sig = significanceTest({ rows: N, cols: T, data: X }, W, K, L, { seed: 1 });
  assert.equal(sig.nNull, 40);
  assert.ok(sig.isSignificant[0], `p ${sig.pValues[0]}`);
  assert.equal(sig.pValues[0], 1 / 40);
  // a motif whose sequence is absent from the data: each neuron's weight at a random lag
  const Wbad = new Float64Array(L * N * K);
  for (let n = 0; n < N; n++) Wbad[(rng.int(L) * N + n) * K] = 1;
  const bad = significanceTest({ rows: N, cols: T, data: X }, Wbad, K, L, { seed: 1 });
  assert.ok(!bad.isSignificant[0], `p ${bad.pValues[0]}`);
});

test('bad input throws an error naming the argument', () => {
  const X = [[1, 0, 2, 3], [0, 1, 1, 0]];
  assert.throws(() => cnmf([[1, -1, 0, 0], [0, 0, 0, 1]], { K: 1, L: 2 }), /X: expected finite nonnegative entries, got -1 at row 0, column 1/);
  assert.throws(() => cnmf([[1, NaN, 0, 0], [0, 0, 0, 1]], { K: 1, L: 2 }), /X: .*NaN at row 0, column 1/);
  assert.throws(() => cnmf(X, { K: 1, L: 5 }), /^ArgumentError: L: expected an integer in \[1, 4\], got 5/);
  assert.throws(() => cnmf(X, { K: 0, L: 2 }), /K: expected an integer >= 1, got 0/);
  assert.throws(() => cnmf(X, { K: 1, L: 2, solver: 'sgd' as never }), /solver/);
  assert.throws(() => seqNMF(X, { K: 1, L: 2, mask: [[1, 1, 1], [1, 1, 1]] }), /mask: expected shape \[2, 4\]/);
  assert.throws(() => seqNMF(X, { K: 1, L: 9 }), /L: /);
  assert.throws(() => cnmf(X, { K: 1, L: 2, initialW: new Float64Array(3), initialH: new Float64Array(4) }), /initialW: expected 4 entries/);
});

test('the solver table: every solver name is one entry, and an unknown name is rejected with the known ones listed', () => {
  assert.deepEqual([...CNMF_SOLVERS], ['mu', 'hals', 'anls']);
  const X = [[1, 0, 2, 3], [0, 1, 1, 0]];
  for (const solver of CNMF_SOLVERS) assert.equal(cnmf(X, { K: 1, L: 2, solver, maxIterations: 2 }).solver, solver);
  assert.throws(() => cnmf(X, { K: 1, L: 2, solver: 'sgd' as never }), /^ArgumentError: solver: expected one of "mu", "hals", "anls", got "sgd"/);
  assert.throws(() => cnmfStep(X, new Float64Array(4), new Float64Array(4), 1, 2, 'als' as never), /^ArgumentError: solver: expected one of "mu", "hals", "anls", got "als"/);
});

test('an interrupt stops cnmf after a finished iteration with the factors of a run of exactly that many, and stops seqNMF', () => {
  const { X } = syntheticSequences({ N: 8, T: 60, K: 2, L: 4, seed: 1 });
  for (const solver of CNMF_SOLVERS) {
    let e: unknown = null;
    try {
      cnmf(X, { K: 2, L: 4, solver, maxIterations: 50, seed: 9, onIteration: (i) => { if (i === 3) requestInterrupt(); } });
    } catch (x) {
      e = x;
    } finally {
      clearInterrupt();
    }
    assert.ok(e instanceof InterruptedError, `${solver}: ${e}`);
    const partial = (e as InterruptedError<{ W: Float64Array; H: Float64Array; iterations: number; lossHistory: number[] }>).partial;
    assert.match((e as Error).message, new RegExp(`cnmf ${solver} was interrupted after 3 of at most 50 iterations`));
    const ref = cnmf(X, { K: 2, L: 4, solver, maxIterations: 3, seed: 9 });
    assert.equal(partial.iterations, 3);
    assert.deepEqual(partial.W, ref.W);
    assert.deepEqual(partial.H, ref.H);
    assert.deepEqual(partial.lossHistory, ref.lossHistory);
  }
  requestInterrupt();
  try {
    assert.throws(() => seqNMF(X, { K: 2, L: 4, maxIterations: 20 }), (x: unknown) => x instanceof InterruptedError && x.what === 'seqNMF' && (x.partial as { iterations: number }).iterations === 0);
  } finally {
    clearInterrupt();
  }
});

test('relativeLoss names X, W or H holding NaN or Infinity instead of returning NaN', () => {
  const rng = new Rng(4);
  const { W, H } = randomFactors(rng, 2, 1, 2, 4);
  const X = [[1, 0, 2, 3], [0, 1, 1, 0]];
  assert.ok(Number.isFinite(relativeLoss(X, W, H, 1, 2)));
  assert.throws(() => relativeLoss([[1, NaN, 2, 3], [0, 1, 1, 0]], W, H, 1, 2), /^ArgumentError: X: expected finite values only, got NaN at flat index 1/);
  assert.throws(() => relativeLoss({ rows: 2, cols: 4, data: [1, 0, 2, 3, 0, 1, Infinity, 0] }, W, H, 1, 2), /^ArgumentError: X: expected finite values only, got Infinity at flat index 6/);
  const badW = W.slice();
  badW[2] = NaN;
  assert.throws(() => relativeLoss(X, badW, H, 1, 2), /^ArgumentError: W: expected finite values only, got NaN at flat index 2/);
  const badH = H.slice();
  badH[0] = -Infinity;
  assert.throws(() => relativeLoss(X, W, badH, 1, 2), /^ArgumentError: H: expected finite values only, got -Infinity at flat index 0/);
});

test("cnmf's convergence report: the last relative decrease of the loss against the tolerance, converged only when the stopping test met it", () => {
  const data = syntheticSequences({ N: 12, T: 120, K: 2, L: 6, seed: 3 });
  const X = data.X;
  const lastDecrease = (h: number[]) => (h[h.length - 2] - h[h.length - 1]) / h[h.length - 2];
  for (const solver of ['mu', 'hals', 'anls'] as const) {
    const fit = cnmf(X, { K: 2, L: 6, solver, maxIterations: 400, tolerance: 1e-4, patience: 3, seed: 1 });
    assert.equal(fit.stopReason, 'tolerance', solver);
    assert.deepEqual({ ...fit.convergence, measure: '' }, { iterations: fit.iterations, residual: lastDecrease(fit.lossHistory), tolerance: 1e-4, converged: true, measure: '' });
    assert.ok(fit.convergence.residual < 1e-4);
    const short = cnmf(X, { K: 2, L: 6, solver, maxIterations: 3, tolerance: 1e-4, seed: 1 });
    assert.equal(short.stopReason, 'iterations');
    assert.equal(short.convergence.converged, false, solver);
    assert.equal(short.convergence.iterations, 3);
    assert.equal(short.convergence.residual, lastDecrease(short.lossHistory));
  }
  // No test asked for (tolerance 0, the default): never reported as converged.
  assert.equal(cnmf(X, { K: 2, L: 6, maxIterations: 5 }).convergence.converged, false);
});

test("seqNMF's convergence report: converged when the rms error's change fell to the tolerance, not when the iteration cap ended it", () => {
  const { X } = syntheticSequences({ N: 10, T: 100, K: 2, L: 5, seed: 6 });
  const fit = seqNMF(X, { K: 2, L: 5, lambda: 0.001, maxIterations: 300, tolerance: 1e-5, seed: 2 });
  assert.ok(fit.iterations < 300, `stopped by the tolerance after ${fit.iterations} iterations`);
  // The test that stopped it compares the two iterations before the last (lambda = 0) one.
  const c = fit.costHistory;
  assert.ok(Math.abs(c[c.length - 3] - c[c.length - 2]) <= 1e-5);
  assert.deepEqual({ ...fit.convergence, measure: '' }, { iterations: fit.iterations, residual: Math.abs(c[c.length - 2] - c[c.length - 1]), tolerance: 1e-5, converged: true, measure: '' });
  const short = seqNMF(X, { K: 2, L: 5, lambda: 0.001, maxIterations: 4, tolerance: 1e-5, seed: 2 });
  assert.equal(short.iterations, 4);
  assert.equal(short.convergence.converged, false);
});
