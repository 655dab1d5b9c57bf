/**
 * lib/tensor CP fits. Independent answers: a planted noiseless low-rank
 * tensor (the fit must reproduce it to float precision and find its factors
 * up to permutation and scaling), the exact reconstruction error at every
 * sweep (monotone for ALS and HALS), a masked fit whose masked entries are
 * changed to garbage (the result must not move by one bit), and hand-built
 * Kruskal tensors for the norm, rebalancing and similarity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, InterruptedError, Rng, clearInterrupt, requestInterrupt } from '../../lib/core';
import {
  amp, componentWeights, cpAls, cpEnsemble, cpNonnegative, denseTensor, factorSimilarity, kruskalFull, kruskalNorm, kruskalTensor, randomKruskal,
  rebalance, tensorNorm,
} from '../../lib/tensor';

const SHAPE = [12, 10, 8];

function residual(a: Float64Array | Float32Array, b: Float64Array | Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i++) { e += (a[i] - b[i]) ** 2; n += a[i] ** 2; }
  return Math.sqrt(e / n);
}

test('CP-ALS recovers a planted noiseless rank-3 tensor to float precision (similarity 1), random and SVD starts', () => {
  const truth = randomKruskal(SHAPE, 3, 7);
  const T = kruskalFull(truth);
  for (const init of ['random', 'svd'] as const) {
    const fit = cpAls(T, { rank: 3, init, tolerance: 1e-16, maxIterations: 2000, seed: 3, exactLoss: true });
    const err = residual(T.data, kruskalFull(fit.model).data);
    assert.ok(err < 1e-12, `${init}: relative error ${err}`);
    const sim = factorSimilarity(truth, fit.model);
    assert.ok(Math.abs(sim.score - 1) < 1e-9, `${init}: similarity ${sim.score}`);
    for (const row of sim.modeCosines) for (const c of row) assert.ok(c > 1 - 1e-9);
  }
});

test('the ALS loss never increases (exact reconstruction error each sweep); the Gram formula matches it', () => {
  const truth = randomKruskal(SHAPE, 3, 11);
  const T = kruskalFull(truth);
  const rng = new Rng(5);
  for (let i = 0; i < T.data.length; i++) T.data[i] += 0.5 * rng.normal();
  const exact = cpAls(T, { rank: 4, tolerance: 0, maxIterations: 60, seed: 1, exactLoss: true });
  for (let t = 1; t < exact.lossHistory.length; t++) assert.ok(exact.lossHistory[t] <= exact.lossHistory[t - 1] + 1e-13, `sweep ${t}: ${exact.lossHistory[t]} > ${exact.lossHistory[t - 1]}`);
  assert.ok(exact.lossHistory[0] > exact.lossHistory[exact.lossHistory.length - 1]);
  const gram = cpAls(T, { rank: 4, tolerance: 0, maxIterations: 60, seed: 1 });
  for (let t = 0; t < gram.lossHistory.length; t++) assert.ok(Math.abs(gram.lossHistory[t] - exact.lossHistory[t]) < 1e-9);
  assert.equal(exact.convergence.converged, false);
  const stopped = cpAls(T, { rank: 4, tolerance: 1e-4, maxIterations: 500, seed: 1 });
  assert.ok(stopped.convergence.converged && stopped.convergence.residual < 1e-4);
});

test('the masked fit ignores masked entries exactly and recovers a planted tensor with 30% missing', () => {
  const truth = randomKruskal(SHAPE, 2, 21);
  const T = kruskalFull(truth);
  const rng = new Rng(8);
  const mask = denseTensor(SHAPE, Float64Array.from(T.data, () => (rng.uniform() < 0.3 ? 0 : 1)));
  const a = cpAls(T, { rank: 2, mask, tolerance: 1e-15, maxIterations: 3000, seed: 4 });
  // (a plain { shape, data }: denseTensor itself refuses NaN)
  const garbage = { shape: SHAPE, data: Float64Array.from(T.data, (v, i) => (mask.data[i] === 0 ? (i % 2 ? NaN : 1e6 * (i % 7)) : v)) };
  const b = cpAls(garbage, { rank: 2, mask, tolerance: 1e-15, maxIterations: 3000, seed: 4 });
  a.model.factors.forEach((F, n) => assert.deepEqual(b.model.factors[n], F, `mode ${n} moved`));
  assert.deepEqual(b.lossHistory, a.lossHistory);
  // the missing entries are predicted from the observed ones
  const full = kruskalFull(a.model);
  assert.ok(residual(T.data, full.data) < 1e-8, `relative error over all entries ${residual(T.data, full.data)}`);
  assert.ok(factorSimilarity(truth, a.model).score > 1 - 1e-8);
  // an unmasked fit to the garbage tensor is refused (non-finite data), so the mask is what let it run
  assert.throws(() => cpAls(garbage, { rank: 2 }), (e: unknown) => e instanceof ArgumentError && e.argument === 'T.data');
});

test('nonnegative CP (HALS and ANLS) recovers a planted nonnegative tensor; factors stay >= 0; HALS never increases the loss', () => {
  const truth = randomKruskal(SHAPE, 3, 31, true);
  const T = kruskalFull(truth);
  for (const solver of ['hals', 'anls'] as const) {
    // nonnegative fits can stall in a swamp from some starts (ANLS from seed 2 here): the best of three replicates counts
    const fits = [2, 3, 4].map((seed) => cpNonnegative(T, { rank: 3, solver, tolerance: 1e-14, maxIterations: 3000, seed, exactLoss: true }));
    for (const fit of fits) {
      for (const F of fit.model.factors) for (const v of F) assert.ok(v >= 0);
      for (let t = 1; t < fit.lossHistory.length; t++) assert.ok(fit.lossHistory[t] <= fit.lossHistory[t - 1] + 1e-12, `${solver} sweep ${t}`);
    }
    const best = fits.reduce((a, b) => (a.lossHistory.at(-1)! <= b.lossHistory.at(-1)! ? a : b));
    assert.ok(best.lossHistory.at(-1)! < 1e-5, `${solver}: final error ${best.lossHistory.at(-1)}`);
    assert.ok(factorSimilarity(truth, best.model).score > 0.9999, `${solver}: similarity ${factorSimilarity(truth, best.model).score}`);
  }
});

test('kruskalNorm, weights and rebalance against the dense tensor', () => {
  const K = randomKruskal([5, 4, 3], 2, 2);
  const T = kruskalFull(K);
  assert.ok(Math.abs(kruskalNorm(K) - tensorNorm(T)) < 1e-12 * tensorNorm(T));
  const R = rebalance(K);
  assert.ok(residual(T.data, kruskalFull(R).data) < 1e-14);
  const w = componentWeights(K);
  for (let s = 0; s < 2; s++) {
    const norms = R.factors.map((F, n) => { let v = 0; for (let i = 0; i < R.shape[n]; i++) v += F[i * 2 + s] ** 2; return Math.sqrt(v); });
    for (const c of norms) assert.ok(Math.abs(c - Math.cbrt(w[s])) < 1e-12 * c);
  }
});

test('factorSimilarity: a permuted, rescaled, sign-flipped copy scores 1 with the right permutation; a hand case', () => {
  const U = randomKruskal([6, 5, 4], 3, 9);
  const perm = [2, 0, 1];
  const scales = [[-2, -1, 0.5], [-3, 1, 1], [1 / 6, -1, 2]]; // per mode, per component of V; products per component: 1, 1, 1
  const V = kruskalTensor(U.shape, 3, U.factors.map((F, n) => {
    const out = new Float64Array(F.length);
    for (let i = 0; i < U.shape[n]; i++) for (let s = 0; s < 3; s++) out[i * 3 + perm[s]] = scales[n][s] * F[i * 3 + s];
    return out;
  }));
  const sim = factorSimilarity(U, V);
  assert.deepEqual(sim.permutation, perm);
  for (const s of sim.pairScores) assert.ok(Math.abs(s - 1) < 1e-12);
  assert.ok(Math.abs(sim.score - 1) < 1e-12);
  // negating one factor makes that component minus U's: as tensors anti-parallel, score -1 for the pair
  const W = kruskalTensor(V.shape, 3, V.factors.map((F, n) => (n === 0 ? F.map((v, i) => (i % 3 === perm[1] ? -v : v)) : F)));
  const simW = factorSimilarity(U, W, { weights: false });
  const forced = [0, 1, 2].map((rho) => { let p = 1; for (let n = 0; n < 3; n++) { let d = 0, a = 0, b = 0; for (let i = 0; i < U.shape[n]; i++) { const x = U.factors[n][i * 3 + rho], y = W.factors[n][i * 3 + perm[rho]]; d += x * y; a += x * x; b += y * y; } p *= d / Math.sqrt(a * b); } return p; });
  assert.ok(Math.abs(forced[1] + 1) < 1e-12);
  assert.ok(simW.score <= (forced[0] + forced[1] + forced[2]) / 3 + 1e-12 || simW.permutation.join() !== perm.join());
  // the aligned copy has non-negative cosines in every mode but the last
  for (const row of sim.modeCosines) for (let n = 0; n < 2; n++) assert.ok(row[n] > 0);
  // hand case, rank 1 on 2 x 2: cos(mode 0) = 1/sqrt(2), cos(mode 1) = 1; weights 1 and sqrt(2) * 1
  const a = kruskalTensor([2, 2], 1, [[1, 0], [0, 1]]);
  const b = kruskalTensor([2, 2], 1, [[1, 1], [0, 1]]);
  assert.ok(Math.abs(factorSimilarity(a, b, { weights: false }).score - Math.SQRT1_2) < 1e-15);
  assert.ok(Math.abs(factorSimilarity(a, b).score - Math.SQRT1_2 * (1 - (Math.SQRT2 - 1) / Math.SQRT2)) < 1e-15);
});

test('cpEnsemble: at the true rank every replicate finds the planted tensor (similarity 1); below it the fit is worse', () => {
  const T = kruskalFull(randomKruskal([8, 7, 6], 2, 41));
  const e = cpEnsemble(T, { ranks: [1, 2], replicates: 3, tolerance: 1e-12, maxIterations: 2000, seed: 5 });
  const [r1, r2] = e.byRank;
  assert.equal(r2.rank, 2);
  for (const s of r2.similarities) assert.ok(s > 1 - 1e-6, `similarity ${s}`);
  assert.ok(r1.losses[0] > 0.01 && r2.losses[0] < 1e-6);
  assert.ok(r1.losses.every((v, i) => i === 0 || v >= r1.losses[i - 1]));
});

test('an interrupt stops CP-ALS and AMP with an InterruptedError holding the current model', () => {
  const T = kruskalFull(randomKruskal([6, 5, 4], 2, 3));
  requestInterrupt();
  try {
    assert.throws(() => cpAls(T, { rank: 2, maxIterations: 50 }), (e: unknown) => e instanceof InterruptedError && (e.partial as { model: { rank: number } }).model.rank === 2);
    assert.throws(() => amp(T, { snr: 2, priors: { kind: 'gaussian' }, maxIterations: 50 }), (e: unknown) => e instanceof InterruptedError && Array.isArray((e.partial as { factors: unknown[] }).factors));
  } finally {
    clearInterrupt();
  }
  assert.ok(cpAls(T, { rank: 2, maxIterations: 2 }).lossHistory.length === 2);
});
