/**
 * lib/meanfield against independent answers: Gaussian averages against Monte
 * Carlo (within 4 standard errors) and closed forms; the stationary DMFT
 * against its own lag equation evaluated with erf's closed-form C_phi, against
 * SCS energy conservation computed here by a separate quadrature, and the
 * quiescent phase below g = 1; the PR theory against the delta = 1 map's closed
 * form and the published large-N simulations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterruptedError, Rng, clearInterrupt, requestInterrupt } from '../../lib/core';
import { erf } from '../../lib/circuits';
import {
  closedFormAverage, closedFormPairAverage, energyVariance, gaussianAverage, gaussianPairAverage, participationRatioAgainstG, participationRatioTheory,
  stationaryDmft,
} from '../../lib/meanfield';

const erfPhi = (x: number) => erf((Math.sqrt(Math.PI) / 2) * x);
const erfSlope = (x: number) => Math.exp((-Math.PI * x * x) / 4);
const relu = (x: number) => Math.max(0, x);
const step = (x: number) => (x > 0 ? 1 : 0);

/** Monte Carlo mean and standard error of f(x) h(y) over correlated Gaussian pairs. */
function monteCarlo(f: (x: number) => number, h: (y: number) => number, q1: number, q2: number, c: number, n: number, seed: number) {
  const rng = new Rng(seed);
  const rho = c / Math.sqrt(q1 * q2);
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const z1 = rng.normal(), z2 = rng.normal();
    const v = f(Math.sqrt(q1) * z1) * h(Math.sqrt(q2) * (rho * z1 + Math.sqrt(1 - rho * rho) * z2));
    s += v;
    s2 += v * v;
  }
  const m = s / n;
  return { mean: m, se: Math.sqrt((s2 / n - m * m) / n) };
}

test('Gaussian averages (quadrature and closed forms) match Monte Carlo within 4 standard errors', () => {
  const n = 200000;
  const cases: [string, number, number, number, (x: number) => number, (y: number) => number, number][] = [
    ['tanh tanh', 1.5, 2.5, 0.9, Math.tanh, Math.tanh, gaussianPairAverage(Math.tanh, Math.tanh, 1.5, 2.5, 0.9)],
    ['tanh sech^2, c < 0', 3, 1, -1.2, Math.tanh, (y) => 1 / Math.cosh(y) ** 2, gaussianPairAverage(Math.tanh, (y) => 1 / Math.cosh(y) ** 2, 3, 1, -1.2)],
    ['erf closed form', 1.2, 0.7, 0.5, erfPhi, erfPhi, closedFormPairAverage('erf', 'phi', 1.2, 0.7, 0.5)],
    ["erf' closed form", 1.2, 0.7, -0.5, erfSlope, erfSlope, closedFormPairAverage('erf', 'dphi', 1.2, 0.7, -0.5)],
    ['relu closed form', 2, 1, 0.8, relu, relu, closedFormPairAverage('relu', 'phi', 2, 1, 0.8)],
    ['relu step closed form', 2, 1, -0.8, step, step, closedFormPairAverage('relu', 'dphi', 2, 1, -0.8)],
  ];
  cases.forEach(([name, q1, q2, c, f, h, value], i) => {
    const mc = monteCarlo(f, h, q1, q2, c, n, 10 + i);
    assert.ok(Math.abs(value - mc.mean) < 4 * mc.se, `${name}: ${value} vs Monte Carlo ${mc.mean} +- ${mc.se}`);
  });
  // one-point averages
  const one = monteCarlo((x) => Math.tanh(x) ** 2, () => 1, 2, 1, 0, n, 3);
  assert.ok(Math.abs(gaussianAverage((x) => Math.tanh(x) ** 2, 2) - one.mean) < 4 * one.se);
  const r1 = monteCarlo(relu, () => 1, 3, 1, 0, n, 4);
  assert.ok(Math.abs(closedFormAverage('relu', 'phi', 3) - r1.mean) < 4 * r1.se);
  // the analytic closed forms and the quadrature agree to rounding
  assert.ok(Math.abs(closedFormPairAverage('erf', 'phi', 1.2, 0.7, 0.5) - gaussianPairAverage(erfPhi, erfPhi, 1.2, 0.7, 0.5)) < 1e-12);
  assert.ok(Math.abs(closedFormAverage('erf', 'dphi', 2) - gaussianAverage(erfSlope, 2)) < 1e-12);
  assert.ok(Math.abs(closedFormAverage('erf', 'phi2', 2) - gaussianAverage((x) => erfPhi(x) ** 2, 2)) < 1e-12);
  assert.throws(() => gaussianPairAverage(Math.tanh, Math.tanh, 1, 1, 1.5), /\bc\b/);
});

test('below g = 1 the DMFT gives the quiescent solution (flow and map); above it a non-zero variance', () => {
  for (const g of [0.5, 0.95]) {
    assert.equal(energyVariance(g), 0);
    for (const delta of [undefined, 0.5]) {
      const d = stationaryDmft({ g, delta, tableNodes: 33 });
      assert.equal(d.quiescent, true);
      assert.ok(d.autocovariance.every((v) => v === 0));
      assert.equal(participationRatioTheory(d).prX, 0);
    }
  }
  assert.ok(energyVariance(1.05) > 0);
});

test('the stationary autocorrelation satisfies its lag equation on the grid (erf, closed-form C_phi) and is a covariance', () => {
  const g = 2;
  const d = stationaryDmft({ g, nonlinearity: 'erf', tMax: 60, tableNodes: 65, quadrature: { dz: 0.06 } });
  const D = d.autocovariance, M = D.length - 1, h = d.lags[1], a = 1 / (h * h);
  assert.ok(d.residual < 1e-10 && d.varianceMismatch < 1e-10, `solver residual ${d.residual}, mismatch ${d.varianceMismatch}`);
  let worst = 0;
  for (let k = 0; k < M; k++) {
    const lap = k === 0 ? 2 * (D[1] - D[0]) : D[k + 1] - 2 * D[k] + D[k - 1];
    const C = closedFormPairAverage('erf', 'phi', D[0], D[0], D[k]);
    worst = Math.max(worst, Math.abs(D[k] - a * lap - g * g * C));
  }
  // the solver's table is a cubic Hermite interpolant of quadratures: ~1e-9 of C
  assert.ok(worst < 1e-7, `largest residual with the closed form ${worst}`);
  assert.ok(d.spectrumMinimum > -1e-8, `power spectrum minimum ${d.spectrumMinimum}`);
  // monotone decay from the variance to 0
  for (let k = 1; k <= M; k++) assert.ok(D[k] <= D[k - 1] + 1e-12);
  assert.ok(Math.abs(d.meanSlope - closedFormAverage('erf', 'dphi', D[0])) < 1e-12);
});

test('tanh: Delta(0) equals the SCS energy-conservation variance (separate quadrature) to O(h^2)', () => {
  const g = 3;
  const d = stationaryDmft({ g, tableNodes: 65 });
  // q^2 / 2 = g^2 Var[log cosh(sqrt(q) z)], by Simpson on [-10, 10] with 4001 points, bisection
  const varLogCosh = (q: number) => {
    const n = 4000, L = 10, hz = (2 * L) / n;
    let m1 = 0, m2 = 0;
    for (let i = 0; i <= n; i++) {
      const z = -L + i * hz, wgt = (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * (hz / 3) * Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
      const P = Math.log(Math.cosh(Math.sqrt(q) * z));
      m1 += wgt * P;
      m2 += wgt * P * P;
    }
    return m2 - m1 * m1;
  };
  let lo = 0.1, hi = 100;
  for (let i = 0; i < 100; i++) { const mid = (lo + hi) / 2; if (g * g * varLogCosh(mid) > (mid * mid) / 2) lo = mid; else hi = mid; }
  assert.ok(Math.abs(d.delta0 - lo) < 1e-5 * lo, `Delta(0) ${d.delta0} vs energy ${lo}`);
});

test('PR theory: the delta = 1 map gives PR_phi/N = 1 - r and PR_x/N = (1 - r)/(2 - r), r = (g <phi\'>)^4', () => {
  for (const g of [1.5, 3]) {
    const d = stationaryDmft({ g, delta: 1, tableNodes: 33 });
    const pr = participationRatioTheory(d, { frequencies: 1024 });
    const r = (g * d.meanSlope) ** 4;
    assert.ok(Math.abs(pr.prPhi - (1 - r)) < 1e-9, `PR_phi ${pr.prPhi} vs ${1 - r}`);
    assert.ok(Math.abs(pr.prX - (1 - r) / (2 - r)) < 1e-9, `PR_x ${pr.prX} vs ${(1 - r) / (2 - r)}`);
  }
});

test('PR theory of the flow lies within 2% of the published N = 16384 simulations (g = 2, 5; mean of 2 seeds)', () => {
  // rnn-lyapunov's bundled data (RK4 dt 0.1, N = 16384, T_obs 20000, cross-block estimator), seeds 0 and 1:
  // PR_x/N 0.015485, 0.015938 and PR_phi/N 0.019242, 0.019775 at g = 2; 0.045163, 0.045735 and 0.073385, 0.074216 at g = 5
  const published: Record<number, [number, number]> = { 2: [(0.015485 + 0.015938) / 2, (0.019242 + 0.019775) / 2], 5: [(0.045163 + 0.045735) / 2, (0.073385 + 0.074216) / 2] };
  for (const g of [2, 5]) {
    const pr = participationRatioTheory(stationaryDmft({ g, tableNodes: 65, quadrature: { dz: 0.06 } }));
    const [x, phi] = published[g];
    assert.ok(Math.abs(pr.prX / x - 1) < 0.02, `g ${g}: PR_x/N ${pr.prX} vs ${x}`);
    assert.ok(Math.abs(pr.prPhi / phi - 1) < 0.02, `g ${g}: PR_phi/N ${pr.prPhi} vs ${phi}`);
  }
});

test('participationRatioAgainstG is one DMFT and one PR integral per gain', () => {
  const calls: number[] = [];
  const out = participationRatioAgainstG([0.8, 2], { tableNodes: 33, quadrature: { dz: 0.08 }, frequencies: 2048 }, (done) => calls.push(done));
  assert.deepEqual(calls, [1, 2]);
  assert.equal(out[0].pr.prX, 0);
  const direct = participationRatioTheory(stationaryDmft({ g: 2, tableNodes: 33, quadrature: { dz: 0.08 } }), { frequencies: 2048 });
  assert.equal(out[1].pr.prX, direct.prX);
  assert.equal(out[1].pr.prPhi, direct.prPhi);
});

test('an interrupt stops the DMFT solver', () => {
  requestInterrupt();
  try {
    assert.throws(() => stationaryDmft({ g: 2, tableNodes: 33 }), (e: unknown) => e instanceof InterruptedError && /stationaryDmft/.test(e.message));
  } finally {
    clearInterrupt();
  }
});
