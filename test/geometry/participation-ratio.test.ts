/**
 * The cross-block participation-ratio estimator on synthetic Gaussian data
 * with a known covariance spectrum: unbiased (its mean over many seeded draws
 * is the true PR within 4 standard errors) where the plug-in estimate is far
 * below it; its pieces are unbiased; the jackknife error matches the spread.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import { crossBlockParticipationRatio, participationRatioOfSpectrum } from '../../lib/geometry';

/** A random orthogonal dim x dim matrix (Gram-Schmidt of Gaussian rows). */
function orthogonal(dim: number, rng: Rng): Float64Array {
  const U = rng.normalArray(dim * dim, 0, 1, 'float64') as Float64Array;
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let p = 0; p < dim; p++) d += U[i * dim + p] * U[j * dim + p];
      for (let p = 0; p < dim; p++) U[i * dim + p] -= d * U[j * dim + p];
    }
    let nr = 0;
    for (let p = 0; p < dim; p++) nr += U[i * dim + p] ** 2;
    for (let p = 0; p < dim; p++) U[i * dim + p] /= Math.sqrt(nr);
  }
  return U;
}

test('participationRatioOfSpectrum by hand', () => {
  assert.equal(participationRatioOfSpectrum([1, 1, 1, 1]), 4);
  assert.equal(participationRatioOfSpectrum([3, 0, 0]), 1);
  assert.ok(Math.abs(participationRatioOfSpectrum([2, 1]) - 9 / 5) < 1e-15);
  assert.throws(() => participationRatioOfSpectrum([0, 0]), /eigenvalues/);
});

test('cross-block PR is unbiased on data with a known covariance spectrum; the plug-in PR is not', () => {
  const dim = 40, samples = 160, reps = 300;
  const lambda = Float64Array.from({ length: dim }, (_, i) => 1 / (i + 1));
  const truth = participationRatioOfSpectrum(lambda);
  const trC = lambda.reduce((s, v) => s + v, 0), trC2 = lambda.reduce((s, v) => s + v * v, 0);
  const rng = new Rng(2024);
  const U = orthogonal(dim, rng);
  const est: number[] = [], naive: number[] = [], ses: number[] = [], tq: number[] = [], t2: number[] = [];
  const X = new Float64Array(samples * dim);
  for (let r = 0; r < reps; r++) {
    // x = U diag(sqrt(lambda)) z + mean: covariance U diag(lambda) U^T, an offset the estimator must remove
    for (let s = 0; s < samples; s++) {
      const z = Array.from({ length: dim }, (_, i) => Math.sqrt(lambda[i]) * rng.normal());
      for (let p = 0; p < dim; p++) {
        let v = 3;
        for (let i = 0; i < dim; i++) v += U[i * dim + p] * z[i];
        X[s * dim + p] = v;
      }
    }
    const e = crossBlockParticipationRatio(X, samples, dim, { blocks: 8 });
    est.push(e.pr); naive.push(e.naive!); ses.push(e.standardError); tq.push(e.traceOfSquare); t2.push(e.traceSquared);
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const sd = (v: number[]) => { const m = mean(v); return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)); };
  const se = sd(est) / Math.sqrt(reps);
  assert.ok(Math.abs(mean(est) - truth) < 4 * se, `cross-block mean ${mean(est)} +- ${se} vs true ${truth}`);
  assert.ok(mean(naive) < truth - 8 * sd(naive) / Math.sqrt(reps), `plug-in mean ${mean(naive)} should be far below ${truth}`);
  assert.ok(Math.abs(mean(tq) - trC2) < 4 * sd(tq) / Math.sqrt(reps), `Tr(C^2) estimate ${mean(tq)} vs ${trC2}`);
  assert.ok(Math.abs(mean(t2) - trC * trC) < 4 * sd(t2) / Math.sqrt(reps), `(Tr C)^2 estimate ${mean(t2)} vs ${trC * trC}`);
  // the jackknife error is the right size: the median reported error is within 40% of the spread over draws
  const medSe = [...ses].sort((a, b) => a - b)[reps >> 1];
  assert.ok(medSe > 0.6 * sd(est) && medSe < 1.4 * sd(est), `jackknife ${medSe} vs spread ${sd(est)}`);
});

test('bad arguments name themselves', () => {
  assert.throws(() => crossBlockParticipationRatio(new Float64Array(10), 10, 2), /\bX\b/);
  assert.throws(() => crossBlockParticipationRatio(new Float64Array(20), 10, 2, { blocks: 1 }), /blocks/);
});
