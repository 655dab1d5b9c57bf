/**
 * lib/linear generalization theory against Monte Carlo over random draws of
 * teacher and noise (mean within 4 standard errors), against closed forms
 * (the Marchenko-Pastur law's mass and mean square; Gavish & Donoho's square
 * optimal shrinker sqrt(y^2 - 4)), and the noiseless limit (test = train).
 *
 * The random-matrix quantities (s_hat, both overlaps, shrinkage error) are
 * held to 4 standard errors. The error curves are held to 4 standard errors
 * plus 5% of the theory: the asymptotic theory counts N3 - r bulk modes
 * beside r spikes, which at finite N misplaces O(r) units of noise energy
 * (at t -> infinity the exact expectation is N3 sigma^2 / sum s_bar^2; the
 * theory adds sum_a [(s_hat - s_bar)^2 + 2 s_hat s_bar (1 - O)] - r sigma^2),
 * measured here as -2.5% / -1.3% / -0.9% at N3 = 50 / 100 / 150 (teacher
 * [4, 2], t = 30), i.e. ~1/N; it is largest (3-10%) in the middle of the
 * bulk's own transition (t near ln(edge/eps)/(2 edge)), which the chosen
 * times avoid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { svd } from '../../lib/core';
import {
  bulkEdge, bulkQuadrature, detectionThreshold, frobeniusDistanceSquared, generalizationTheory, marchenkoPasturDensity, noisyTeacher, optimalShrinkage,
  optimalStopping, shrinkageError, shrinkSingularValue, spectralStudentErrors, spikedOverlaps, spikedSingularValue, toMlMatrix, transferTask, transferTheory,
} from '../../lib/linear';

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const stdErr = (a: number[]) => { const m = mean(a); return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1) / a.length); };
/** |mean(samples) - theory| <= 4 standard errors (plus a float floor). */
function within4(samples: number[], theory: number, what: string, relative = 0): void {
  const gap = Math.abs(mean(samples) - theory);
  assert.ok(gap <= 4 * stdErr(samples) + relative * Math.abs(theory) + 1e-12, `${what}: Monte Carlo ${mean(samples)} +- ${stdErr(samples)}, theory ${theory} (${(gap / stdErr(samples)).toFixed(1)} s.e.)`);
}
/** The allowance for the theory's finite-N bias on error curves (header). */
const FINITE_N = 0.05;

test('Marchenko-Pastur: the density integrates to 1 with mean square 1 (entries of variance 1/N1), the quadrature likewise; edge and threshold', () => {
  for (const A of [0.25, 0.5, 1]) {
    // A plain midpoint rule in s, independent of the quadrature's cosine substitution.
    const lo = 1 - Math.sqrt(A), hi = 1 + Math.sqrt(A), n = 200000, h = (hi - lo) / n;
    let mass = 0, sq = 0;
    for (let k = 0; k < n; k++) { const s = lo + (k + 0.5) * h; const p = marchenkoPasturDensity(s, A) * h; mass += p; sq += p * s * s; }
    assert.ok(Math.abs(mass - 1) < 2e-3 && Math.abs(sq - 1) < 2e-3, `A ${A}: mass ${mass}, mean square ${sq}`);
    const q = bulkQuadrature(A, 2, 400);
    let qsq = 0;
    q.values.forEach((v, k) => { qsq += q.masses[k] * v * v; });
    assert.ok(Math.abs(qsq - 4) < 1e-6, `quadrature mean square at noise 2: ${qsq}`);
    assert.ok(Math.abs(q.values[0] - bulkEdge(A, 2)) < 1e-3 && q.values[0] > q.values[q.values.length - 1]);
    assert.equal(detectionThreshold(A, 2), 2 * Math.pow(A, 0.25));
    // At the threshold s_hat meets the edge and the overlaps vanish.
    assert.ok(Math.abs(spikedSingularValue(detectionThreshold(A) * (1 + 1e-9), A) - bulkEdge(A)) < 1e-6);
  }
});

test('spiked model: the data singular value and both overlaps match Monte Carlo (N1 = 200, N3 = 100, 16 draws) within 4 s.e.', () => {
  const N1 = 200, N3 = 100, A = N3 / N1, teacher = [3, 1.5];
  const sHat: number[][] = [[], []], out: number[][] = [[], []], inp: number[][] = [[], []];
  for (let seed = 0; seed < 16; seed++) {
    const t = noisyTeacher({ inputs: N1, outputs: N3, teacher, seed });
    const d = svd(toMlMatrix(t.data));
    for (let a = 0; a < 2; a++) {
      sHat[a].push(d.s[a]);
      let o = 0, v = 0;
      for (let i = 0; i < N3; i++) o += d.u.get(i, a) * t.outputModes.data[i * 2 + a];
      for (let i = 0; i < N1; i++) v += d.v.get(i, a) * t.inputModes.data[i * 2 + a];
      out[a].push(Math.abs(o));
      inp[a].push(Math.abs(v));
    }
  }
  teacher.forEach((s, a) => {
    within4(sHat[a], spikedSingularValue(s, A), `s_hat(${s})`);
    const o = spikedOverlaps(s, A);
    within4(out[a], o.output, `output overlap (${s})`);
    within4(inp[a], o.input, `input overlap (${s})`);
  });
});

test('train and test error against time: theory matches the gradient-flow student on Monte Carlo draws within 4 s.e. + 5% (depth 2 and 3, narrow student)', () => {
  const N1 = 200, N3 = 100, teacher = [4, 2], times = [1, 2, 10, 30];
  for (const { depth, hidden } of [{ depth: 2, hidden: 100 }, { depth: 3, hidden: 100 }, { depth: 2, hidden: 30 }]) {
    const th = generalizationTheory({ teacher, inputs: N1, outputs: N3, hidden, depth, init: 1e-4, times });
    const train: number[][] = times.map(() => []), testE: number[][] = times.map(() => []);
    for (let seed = 0; seed < 8; seed++) {
      const t = noisyTeacher({ inputs: N1, outputs: N3, teacher, seed: 50 + seed });
      const e = spectralStudentErrors(t.data, t.teacher, times, { depth, hidden, init: 1e-4 });
      times.forEach((_, i) => { train[i].push(e.train[i]); testE[i].push(e.test[i]); });
    }
    times.forEach((tt, i) => {
      within4(train[i], th.train[i], `depth ${depth}, width ${hidden}: train at t ${tt}`, FINITE_N);
      within4(testE[i], th.test[i], `depth ${depth}, width ${hidden}: test at t ${tt}`, FINITE_N);
    });
  }
});

test('with no noise the theory\'s test error equals its train error (and the simulated student\'s), with noise they part', () => {
  const times = [0, 0.5, 1, 2, 4, 8];
  const clean = generalizationTheory({ teacher: [3, 2, 1], inputs: 50, outputs: 30, noise: 0, times });
  clean.test.forEach((e, i) => assert.ok(Math.abs(e - clean.train[i]) < 1e-12, `t ${times[i]}: test ${e}, train ${clean.train[i]}`));
  assert.ok(clean.test[0] > 0.99 && clean.test[5] < 1e-3, 'it learns');
  const t = noisyTeacher({ inputs: 50, outputs: 30, teacher: [3, 2, 1], noise: 0, seed: 3 });
  const sim = spectralStudentErrors(t.data, t.teacher, times);
  sim.test.forEach((e, i) => assert.ok(Math.abs(e - clean.test[i]) < 1e-9 && Math.abs(sim.train[i] - e) < 1e-9));
  const noisy = generalizationTheory({ teacher: [3, 2, 1], inputs: 50, outputs: 30, noise: 1, times });
  assert.ok(Math.abs(noisy.test[5] - noisy.train[5]) > 0.05);
});

test('optimal shrinkage: sqrt(y^2 - 4) for square matrices (Gavish & Donoho), its error matches Monte Carlo, and it beats optimally stopped gradient flow', () => {
  for (const y of [2.5, 3, 6]) assert.ok(Math.abs(shrinkSingularValue(y, 1) - Math.sqrt(y * y - 4)) < 1e-12);
  assert.equal(shrinkSingularValue(1.9, 1), 0);
  const N1 = 200, N3 = 100, A = 0.5, teacher = [3, 1.5, 0.5];
  const errs: number[] = [];
  for (let seed = 0; seed < 8; seed++) {
    const t = noisyTeacher({ inputs: N1, outputs: N3, teacher, seed: 100 + seed });
    const est = optimalShrinkage(t.data, 1);
    errs.push(frobeniusDistanceSquared(est, t.teacher) / frobeniusDistanceSquared(t.teacher));
  }
  within4(errs, shrinkageError(teacher, A), 'shrinkage error');
  const times = Array.from({ length: 400 }, (_, i) => 0.05 * i);
  const gd = generalizationTheory({ teacher, inputs: N1, outputs: N3, times });
  const stop = optimalStopping(times, gd.test);
  assert.ok(shrinkageError(teacher, A) < stop.error, `shrinkage ${shrinkageError(teacher, A)} vs stopped GD ${stop.error}`);
  assert.ok(stop.index > 0 && stop.index < times.length - 1, 'the test error is U-shaped');
});

test('transfer: task A\'s error trained jointly with B matches Monte Carlo within 4 s.e.; an aligned B helps a weak A, a misaligned one hurts it', () => {
  // eps = 1e-6 puts the signal modes' transitions (t ~ 2-3) before the bulk's (t ~ 4), where the theory has no finite-N bias to speak of.
  const N1 = 160, NA = 40, NB = 40, times = [2, 2.5, 3];
  for (const q of [1, 0.5]) {
    const th = transferTheory({ snrA: 1.2, snrB: 3, alignment: q, inputs: N1, outputsA: NA, outputsB: NB, init: 1e-6, times });
    const alone: number[][] = times.map(() => []), joint: number[][] = times.map(() => []);
    for (let seed = 0; seed < 8; seed++) {
      const task = transferTask({ snrA: 1.2, snrB: 3, alignment: q, inputs: N1, outputsA: NA, outputsB: NB, seed: 200 + seed });
      const a = spectralStudentErrors(task.dataA, task.teacherA, times, { init: 1e-6 }).test;
      const j = spectralStudentErrors(task.joint, task.teacherA, times, { init: 1e-6 }).test;
      times.forEach((_, i) => { alone[i].push(a[i]); joint[i].push(j[i]); });
    }
    times.forEach((t, i) => {
      within4(alone[i], th.alone[i], `q ${q}: alone at t ${t}`);
      within4(joint[i], th.joint[i], `q ${q}: joint at t ${t}`);
    });
  }
  const dense = Array.from({ length: 200 }, (_, i) => 0.1 * i);
  const b = (q: number) => transferTheory({ snrA: 1.2, snrB: 3, alignment: q, inputs: N1, outputsA: NA, outputsB: NB, times: dense }).benefit;
  // The joint data's larger noise bulk (aspect 0.5 against 0.25 alone) costs A; only B's aligned signal pays it back.
  assert.ok(b(1) > 0.1 && b(1) > b(0.5) && b(0.5) > b(0) && b(0) < 0, `benefits q = 1, 0.5, 0: ${b(1)}, ${b(0.5)}, ${b(0)}`);
});
