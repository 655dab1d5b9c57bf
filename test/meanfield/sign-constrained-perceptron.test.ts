/**
 * lib/meanfield sign-constrained perceptrons: max-margin solutions against their KKT conditions
 * (multipliers recovered by NNLS from the solution alone) and against brute force on tiny problems;
 * separability against Cover's counting formula and the capacity estimate approaching 2 as N grows;
 * the noisy learning rule by hand for one step and balanced at its fixed point on a stated example;
 * noise error rates against Monte Carlo; the crossing interpolation by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nnls, Rng, ArgumentError } from '../../lib/core';
import {
  balancedPerceptronLearning, capacityFromSeparability, maxInputMargin, maxOutputMargin, noiseErrorRate, perceptronSolution, randomPatterns,
  separableFraction, type PerceptronPatterns,
} from '../../lib/meanfield';

const dot = (p: PerceptronPatterns, mu: number, w: ArrayLike<number>) => { let s = 0; for (let i = 0; i < p.N; i++) s += w[i] * p.X[mu * p.N + i]; return s; };

/**
 * Recovers multipliers alpha >= 0 (and nu >= 0 when `normColumn`) for the stationarity conditions on the
 * support S and the nonzero weights F, by NNLS, and returns the residual and the worst sign violation
 * on the zero weights (which need s_i sum_mu alpha_mu y_mu x_mu,i <= 0). The right side of the F rows is
 * w_F (canonical input margin), 0 (output margin: nu u_F with nu a column, or nothing off the norm bound).
 */
function kkt(p: PerceptronPatterns, w: Float64Array, margins: number[], target: number, rows: { extra: number[]; rhs: number }[], normColumn: Float64Array | null, zeroRhs = false) {
  const S = margins.map((m, mu) => (Math.abs(m - target) < 1e-5 * Math.max(1, Math.abs(target)) ? mu : -1)).filter((mu) => mu >= 0);
  const F: number[] = [];
  const scale = Math.max(...Array.from(w, Math.abs));
  for (let i = 0; i < p.N; i++) if (p.signs[i] === 0 || Math.abs(w[i]) > 1e-7 * scale) F.push(i);
  const cols = S.length + (normColumn ? 1 : 0);
  const A: number[][] = [], b: number[] = [];
  // stationarity on F: sum_S alpha y x_i (- nu u_i) = (canonical: w_i)
  for (const i of F) {
    A.push([...S.map((mu) => p.labels[mu] * p.X[mu * p.N + i]), ...(normColumn ? [-normColumn[i]] : [])]);
    b.push(normColumn || zeroRhs ? 0 : w[i]);
  }
  for (const r of rows) { A.push([...S.map((mu) => r.extra[mu]), ...(normColumn ? [0] : [])]); b.push(r.rhs); }
  const sol = nnls(A, b);
  let res = 0;
  for (let k = 0; k < A.length; k++) {
    let s = -b[k];
    for (let j = 0; j < cols; j++) s += A[k][j] * sol.data[j];
    res = Math.max(res, Math.abs(s));
  }
  let signViolation = 0;
  for (let i = 0; i < p.N; i++) {
    if (F.includes(i)) continue;
    let g = 0;
    S.forEach((mu, j) => { g += sol.data[j] * p.labels[mu] * p.X[mu * p.N + i]; });
    signViolation = Math.max(signViolation, p.signs[i] * g);
  }
  return { residual: res, signViolation, support: S.length };
}

test('maxInputMargin meets the KKT conditions of min |w|^2 / 2 s.t. y (w . x - theta) >= 1 with sign constraints', () => {
  for (const [N, P, seed] of [[40, 20, 1], [60, 50, 2]] as const) {
    const p = randomPatterns({ N, P, fExc: 0.8, pOut: 0.5, seed });
    const s = maxInputMargin(p, { tolerance: 1e-12 });
    assert.ok(s.separable && s.slack < 1e-9 && s.threshold > 0);
    const w = Float64Array.from(s.weights, (v) => v * s.threshold); // canonical
    for (let i = 0; i < N; i++) assert.ok(p.signs[i] * w[i] >= -1e-9);
    const margins = Array.from({ length: P }, (_, mu) => p.labels[mu] * (dot(p, mu, w) - s.threshold));
    assert.ok(Math.min(...margins) > 1 - 1e-7);
    // theta is free: sum_S alpha_mu y_mu = 0
    const k = kkt(p, w, margins, 1, [{ extra: Array.from(p.labels), rhs: 0 }], null);
    assert.ok(k.residual < 1e-5 * Math.max(...Array.from(w, Math.abs)), `N ${N}: stationarity residual ${k.residual}`);
    assert.ok(k.signViolation < 1e-6, `N ${N}: zero-weight gradient sign ${k.signViolation}`);
    assert.ok(Math.abs(s.kappaIn - 1 / Math.hypot(...w)) < 1e-9 * s.kappaIn);
  }
});

test('maxOutputMargin meets the KKT conditions of max kappa s.t. y (u . x - 1) >= kappa, |u| <= Gamma, on both branches', () => {
  // balanced branch (low load: |u| = Gamma) and unbalanced branch (load between alpha_b and alpha_c: |u| < Gamma)
  for (const [N, alpha, gamma, onBound] of [[60, 0.3, 3, true], [60, 0.9, 3, false]] as const) {
    const p = randomPatterns({ N, P: Math.round(alpha * N), fExc: 0.8, pOut: 0.5, seed: 4 });
    const s = maxOutputMargin(p, { gamma, tolerance: 1e-12 });
    assert.equal(Math.abs(s.norm - gamma) < 1e-6 * gamma, onBound, `alpha ${alpha}: |u| ${s.norm}`);
    const margins = Array.from({ length: p.P }, (_, mu) => p.labels[mu] * (dot(p, mu, s.weights) - 1));
    assert.ok(Math.abs(Math.min(...margins) - s.kappaOut) < 1e-12);
    // d/dkappa: sum alpha = 1; on the bound nu u_F = sum_S alpha y x_F (nu >= 0, a column), off it sum_S alpha y x_F = 0
    const k = kkt(p, s.weights, margins, s.kappaOut, [{ extra: new Array(p.P).fill(1), rhs: 1 }], onBound ? s.weights : null, !onBound);
    assert.ok(k.residual < 1e-5, `alpha ${alpha}: residual ${k.residual}`);
    assert.ok(k.signViolation < 1e-5, `alpha ${alpha}: zero-weight gradient sign ${k.signViolation}`);
  }
});

test('max margins equal brute force over a fine grid on tiny problems (N = 2, P = 4)', () => {
  const rng = new Rng(9);
  for (let trial = 0; trial < 4; trial++) {
    const X = Float64Array.from({ length: 8 }, () => rng.uniform());
    const p: PerceptronPatterns = { N: 2, P: 4, X, labels: Int8Array.of(1, -1, 1, -1), signs: Int8Array.of(1, -1) };
    // input margin: over unit w = (cos t, -sin t) in the allowed quadrant, the best threshold sits midway between classes
    let bestIn = -Infinity;
    for (let k = 0; k <= 200000; k++) {
      const t = (k / 200000) * (Math.PI / 2), w = [Math.cos(t), -Math.sin(t)];
      const h = [0, 1, 2, 3].map((mu) => w[0] * X[2 * mu] + w[1] * X[2 * mu + 1]);
      bestIn = Math.max(bestIn, (Math.min(h[0], h[2]) - Math.max(h[1], h[3])) / 2);
    }
    const si = maxInputMargin(p);
    if (bestIn > 0) assert.ok(Math.abs(si.kappaIn - bestIn) < 1e-6, `trial ${trial}: ${si.kappaIn} vs ${bestIn}`);
    else assert.equal(si.separable, false);
    // output margin, Gamma = 2: kappa(u) = min y (u . x - 1) over the quarter disc (polar grid, refined near the best cell)
    const gamma = 2;
    const kap = (a: number, b: number) => Math.min(...[0, 1, 2, 3].map((mu) => p.labels[mu] * (a * X[2 * mu] - b * X[2 * mu + 1] - 1)));
    let best = -Infinity, ba = 0, bb = 0;
    for (let i = 0; i <= 800; i++) for (let j = 0; j <= 800; j++) {
      const a = (gamma * i) / 800, b = (gamma * j) / 800;
      if (a * a + b * b > gamma * gamma) continue;
      const v = kap(a, b);
      if (v > best) best = v, ba = a, bb = b;
    }
    for (let i = -400; i <= 400; i++) for (let j = -400; j <= 400; j++) {
      let a = Math.max(0, ba + (i * gamma) / 1.6e5), b = Math.max(0, bb + (j * gamma) / 1.6e5);
      const r = Math.hypot(a, b);
      if (r > gamma) a *= gamma / r, b *= gamma / r;
      best = Math.max(best, kap(a, b));
    }
    const so = maxOutputMargin(p, { gamma });
    assert.ok(so.norm <= gamma * (1 + 1e-9));
    assert.ok(Math.abs(so.kappaOut - best) < 2e-5, `trial ${trial}: ${so.kappaOut} vs grid ${best}`);
  }
});

/** Cover (1965): P points in general position in N dimensions plus a threshold: C(P, N + 1) / 2^P of the dichotomies. */
function coverFraction(P: number, N: number): number {
  let s = 0, c = 1; // c = binom(P - 1, k)
  for (let k = 0; k <= N && k <= P - 1; k++) {
    s += c;
    c = (c * (P - 1 - k)) / (k + 1);
  }
  return Math.min(1, s / 2 ** (P - 1));
}

test('unconstrained separability follows Cover\'s count, and the capacity estimate approaches 2 as N grows', () => {
  for (const P of [20, 24, 28]) {
    const trials = 60, want = coverFraction(P, 10);
    const got = separableFraction({ N: 10, P, inputs: 'gaussian', constrained: false, trials, seed: 100 * P });
    assert.ok(Math.abs(got - want) < 3.5 * Math.sqrt((want * (1 - want)) / trials) + 1e-9, `P ${P}: ${got} vs Cover ${want}`);
  }
  const loads = [1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8];
  const estimate = (N: number) => capacityFromSeparability(loads, loads.map((a, k) => separableFraction({ N, P: Math.round(a * N), inputs: 'gaussian', constrained: false, trials: 30, seed: 7 + 1000 * k })));
  const c8 = estimate(8) as number, c32 = estimate(32) as number;
  // Cover: the separable half sits at P = 2 (N + 1) - 1 ... 2 (N + 1), i.e. alpha -> 2 from above like 2 + 2 / N
  assert.ok(Math.abs(c32 - 2) < Math.abs(c8 - 2), `N 8: ${c8}, N 32: ${c32}`);
  assert.ok(Math.abs(c32 - 2) < 0.15, `N 32: ${c32}`);
});

test('capacityFromSeparability interpolates the first crossing of 1/2 by hand', () => {
  assert.equal(capacityFromSeparability([1, 2, 3], [1, 0.75, 0.25]), 2.5);
  assert.equal(capacityFromSeparability([1, 2], [1, 0.5]), null);
  assert.equal(capacityFromSeparability([1, 2, 3], [0.5, 0, 0]), 1);
  assert.throws(() => capacityFromSeparability([1, 1], [1, 0]), (e: unknown) => e instanceof ArgumentError && e.argument === 'alphas');
});

test('learning rule, one cycle by hand: from w = 0 an error step rho y x, inhibitory weights clipped at 0', () => {
  const p: PerceptronPatterns = { N: 3, P: 1, X: Float64Array.of(1, 0.5, 2), labels: Int8Array.of(1), signs: Int8Array.of(1, 1, -1) };
  const r = balancedPerceptronLearning(p, { cycles: 1, sigmaOut: 0, sigmaIn: 0, rate: 0.1, decay: 0.01, initialScale: 0, seed: 1 });
  // h = -1 < 0 with y = +1: w = (1 - eps) 0 + rho x = (0.1, 0.05, 0.2), the inhibitory 0.2 clipped to 0
  assert.deepEqual(Array.from(r.weights), [0.1, 0.05, 0]);
  // second cycle: h = 0.1 + 0.025 - 1 < 0 again, w = 0.99 w + rho x
  const r2 = balancedPerceptronLearning(p, { cycles: 2, sigmaOut: 0, sigmaIn: 0, rate: 0.1, decay: 0.01, initialScale: 0, seed: 1 });
  [0.99 * 0.1 + 0.1, 0.99 * 0.05 + 0.05, 0].forEach((v, i) => assert.ok(Math.abs(r2.weights[i] - v) < 1e-15));
});

test('learning rule fixed point is balanced with output noise (N = 300, P = 90, f_exc 0.8, 3000 cycles), unbalanced without', () => {
  const p = randomPatterns({ N: 300, P: 90, fExc: 0.8, pOut: 0.5, seed: 3 });
  const noisy = balancedPerceptronLearning(p, { cycles: 3000, sigmaOut: 0.15, sigmaIn: 0.1, seed: 4, recordEvery: 500 });
  const quiet = balancedPerceptronLearning(p, { cycles: 3000, sigmaOut: 0, sigmaIn: 0.1, seed: 4, recordEvery: 500 });
  const a = noisy.records[noisy.records.length - 1], b = quiet.records[quiet.records.length - 1];
  // balanced: E and I inputs large and cancelling -- net input a small fraction of the total, and much larger weights
  assert.ok(a.balanceIndex < 0.3, `with output noise IB ${a.balanceIndex}`);
  assert.ok(b.balanceIndex > 0.6, `without output noise IB ${b.balanceIndex}`);
  assert.ok(a.norm > 3 * b.norm, `|w| ${a.norm} vs ${b.norm}`);
  // excitatory and inhibitory totals are each several times the net input
  let E = 0, I = 0;
  for (let mu = 0; mu < p.P; mu++) for (let i = 0; i < p.N; i++) (noisy.weights[i] > 0 ? (E += noisy.weights[i] * p.X[mu * p.N + i]) : (I -= noisy.weights[i] * p.X[mu * p.N + i]));
  assert.ok(E / p.P > 2 && I / p.P > 1, `mean E ${E / p.P}, mean I ${I / p.P}`);
  // the learned weights classify every pattern (noise-free) with a positive margin
  assert.ok(perceptronSolution(p, noisy.weights).kappaOut > 0);
});

test('noiseErrorRate equals a Monte Carlo estimate of flips under output and input noise', () => {
  const p = randomPatterns({ N: 30, P: 20, fExc: 0.8, pOut: 0.5, seed: 5 });
  const s = maxInputMargin(p);
  const rng = new Rng(6);
  for (const [so, si] of [[0.3, 0], [0, 0.2], [0.2, 0.1]] as const) {
    let flips = 0;
    const draws = 4000;
    for (let d = 0; d < draws; d++) {
      for (let mu = 0; mu < p.P; mu++) {
        let h = -1 + so * rng.normal();
        for (let i = 0; i < p.N; i++) h += s.weights[i] * (p.X[mu * p.N + i] + si * rng.normal());
        if (p.labels[mu] * h < 0) flips++;
      }
    }
    const mc = flips / (draws * p.P), exact = noiseErrorRate(p, s.weights, { sigmaOut: so, sigmaIn: si });
    assert.ok(Math.abs(mc - exact) < 4 * Math.sqrt((exact * (1 - exact)) / (draws * p.P)) + 1e-4, `(${so}, ${si}): Monte Carlo ${mc} vs ${exact}`);
  }
});

test('randomPatterns: signs split at round(fExc N), coding levels per type, labels +-1; bad patterns name the field', () => {
  const p = randomPatterns({ N: 1000, P: 200, fExc: 0.8, pOut: 0.1, fInExc: 0.5, fInInh: 0.25, seed: 1 });
  assert.equal(p.signs.filter((s) => s === 1).length, 800);
  let e = 0, i = 0;
  for (let mu = 0; mu < 200; mu++) for (let k = 0; k < 1000; k++) (k < 800 ? (e += p.X[mu * 1000 + k]) : (i += p.X[mu * 1000 + k]));
  assert.ok(Math.abs(e / (800 * 200) - 0.5) < 0.01 && Math.abs(i / (200 * 200) - 0.25) < 0.01);
  const plus = p.labels.filter((y) => y === 1).length / 200;
  assert.ok(Math.abs(plus - 0.1) < 0.07);
  assert.throws(() => maxInputMargin({ ...p, labels: new Int8Array(200) }), (err: unknown) => err instanceof ArgumentError && err.argument === 'patterns.labels');
  assert.throws(() => maxOutputMargin(p, { gamma: -1 }), (err: unknown) => err instanceof ArgumentError && err.argument === 'gamma');
});

test('the threshold is kept >= 0 under sign constraints (free for unconstrained weights, or on request)', () => {
  // one inhibitory afferent: silent input -> +1, active input -> -1 needs theta < 0 (fire at rest), so no
  // sign-constrained solution with a positive threshold; with a free threshold w = -2, theta = -1 separates
  const p: PerceptronPatterns = { N: 1, P: 2, X: Float64Array.of(0, 1), labels: Int8Array.of(1, -1), signs: Int8Array.of(-1) };
  const pos = maxInputMargin(p);
  assert.equal(pos.separable, false);
  assert.ok(pos.threshold >= -1e-9);
  const free = maxInputMargin(p, { threshold: 'free' });
  assert.equal(free.separable, true);
  assert.ok(Math.abs(free.threshold - -1) < 1e-6, `theta ${free.threshold}`);
  assert.throws(() => maxInputMargin(p, { threshold: 'up' as 'free' }), (e: unknown) => e instanceof ArgumentError && e.argument === 'threshold');
});
