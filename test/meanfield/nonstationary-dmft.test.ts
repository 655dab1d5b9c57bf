/**
 * Non-stationary DMFT: without input it reduces to the stationary DMFT of the Euler map (stationaryDmft, erf,
 * same lag profile); the ReLU pair averages against the zero-mean closed forms, brute-force two-dimensional
 * quadrature and the independent case; the tangent recursion's exponent for the quiescent network against the
 * map's closed-form multiplier; the per-phase variant's means against the linear response of the Euler map with
 * a constant population rate; the balance of the mean input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedFormPairAverage, gaussianPairAverage, nonstationaryDmft, reluMoments, reluPairAverages, stationaryDmft } from '../../lib/meanfield';

test('without input the non-stationary DMFT reduces to the stationary one (erf, g = 1.8, Euler map dt = 0.1)', () => {
  const st = stationaryDmft({ g: 1.8, nonlinearity: 'erf', delta: 0.1, tMax: 30, tableNodes: 33, quadrature: { dz: 0.1, zMax: 8 } });
  const ns = nonstationaryDmft({ g: 1.8, nonlinearity: 'erf', K: 0, dt: 0.1, steps: 2000, band: 300, lyapunov: false });
  assert.ok(st.residual < 1e-9);
  // lags up to 10 tau (a third of the band: the two truncate the far tail differently)
  for (let k = 0; k <= 100; k++) assert.ok(Math.abs(ns.autocovariance[k] - st.autocovariance[k]) < 2e-5, `lag ${k}: ${ns.autocovariance[k]} vs ${st.autocovariance[k]}`);
  assert.ok(Math.abs(ns.variance[ns.variance.length - 1] - st.delta0) < 1e-5);
  // the variance has settled: the last 50 tau vary less than the tolerance
  const v = ns.variance;
  for (let n = v.length - 500; n < v.length; n++) assert.ok(Math.abs(v[n] - st.delta0) < 1e-5);
});

test('ReLU pair averages: zero-mean closed forms, brute-force quadrature with means, independence and the diagonal', () => {
  for (const [c1, c2, c] of [[2, 3, 2.4], [1, 1, -0.7], [0.5, 4, 0]]) {
    const r = reluPairAverages(0, c1, 0, c2, c);
    assert.ok(Math.abs(r.phi / closedFormPairAverage('relu', 'phi', c1, c2, c) - 1) < 1e-6);
    assert.ok(Math.abs(r.dphi - closedFormPairAverage('relu', 'dphi', c1, c2, c)) < 1e-7);
  }
  for (const [m1, c1, m2, c2, c] of [[0.3, 1.2, -0.5, 0.8, 0.5], [-1.7, 20, 3, 20, 5], [-1, 1, 2, 3, -1.2], [-1.7, 20, -1.7, 20, 19.9]]) {
    const r = reluPairAverages(m1, c1, m2, c2, c);
    const phi = gaussianPairAverage((x) => Math.max(x + m1, 0), (y) => Math.max(y + m2, 0), c1, c2, c, { dz: 0.005 });
    assert.ok(Math.abs(r.phi / phi - 1) < 2e-5, `phi at ${[m1, c1, m2, c2, c]}: ${r.phi} vs ${phi}`);
    // the step's trapezoid rule is first order: a fine grid, a looser tolerance
    const dphi = gaussianPairAverage((x) => (x + m1 > 0 ? 1 : 0), (y) => (y + m2 > 0 ? 1 : 0), c1, c2, c, { dz: 0.005 });
    assert.ok(Math.abs(r.dphi - dphi) < 4e-3, `dphi ${r.dphi} vs ${dphi}`);
  }
  // independent: products of the one-point moments; fully correlated: the second moment
  const a = reluMoments(0.4, 2), b = reluMoments(-0.9, 0.7);
  const ind = reluPairAverages(0.4, 2, -0.9, 0.7, 0);
  assert.ok(Math.abs(ind.phi - a.phi * b.phi) < 1e-7 && Math.abs(ind.dphi - a.dphi * b.dphi) < 1e-7);
  const same = reluPairAverages(0.4, 2, 0.4, 2, 2);
  assert.ok(Math.abs(same.phi - a.phi2) < 1e-6 && Math.abs(same.dphi - a.dphi) < 1e-6);
  assert.throws(() => reluPairAverages(0, 1, 0, 1, 1.5), /c12/);
});

test("tangent recursion: the quiescent erf network's exponent is the Euler map's log(1 - dt (1 - g)) / dt", () => {
  for (const g of [0.5, 0.8]) {
    const q = nonstationaryDmft({ g, nonlinearity: 'erf', K: 0, dt: 0.1, steps: 2000, band: 400 });
    const exact = Math.log(1 - 0.1 * (1 - g)) / 0.1;
    // the diagonal of the tangent's generating function adds a power-law factor: a few 1e-3 at t ~ 200
    assert.ok(Math.abs(q.lyapunov - exact) < 0.006, `g = ${g}: ${q.lyapunov} vs ${exact}`);
    assert.ok(q.variance[q.variance.length - 1] < 1e-20, 'quiescent');
  }
});

test('balanced ReLU network: the mean settles at sqrt(K)(I0 - J0 nu); the per-phase means follow the Euler map\'s linear response', () => {
  const K = 400, dt = 0.05;
  const common = nonstationaryDmft({ g: 2, K, dt, steps: 800, band: 100, lyapunov: false });
  const n = common.rate.length - 1;
  // stationary mean of the map: mu = drive = sqrt(K)(I0 - J0 nu)
  assert.ok(Math.abs(common.mean[n] - Math.sqrt(K) * (1 - common.rate[n])) < 1e-3 * Math.sqrt(K), `mean ${common.mean[n]} rate ${common.rate[n]}`);
  assert.ok(Math.abs(common.rate[n] - 1) < 0.2, 'balanced rate near I0 / J0');
  // independent input, 12 phases: the population rate is nearly constant, so each phase's mean responds linearly:
  // amplitude dt I1 / |e^(i omega dt) - (1 - dt)|
  const I1 = 2, f = 0.2;
  const ind = nonstationaryDmft({ g: 2, K, dt, steps: 600, band: 60, amplitude: I1, frequency: f, phases: 'independent', phaseCount: 12, lyapunov: false });
  const per = Math.round(1 / (f * dt));
  let lo = Infinity, hi = -Infinity, rlo = Infinity, rhi = -Infinity;
  for (let k = ind.mean.length - per; k < ind.mean.length; k++) {
    lo = Math.min(lo, ind.mean[k]); hi = Math.max(hi, ind.mean[k]);
    rlo = Math.min(rlo, ind.rate[k]); rhi = Math.max(rhi, ind.rate[k]);
  }
  const w = 2 * Math.PI * f * dt;
  const amp = (dt * I1) / Math.hypot(Math.cos(w) - (1 - dt), Math.sin(w));
  assert.ok(Math.abs((hi - lo) / 2 / amp - 1) < 0.02, `amplitude ${(hi - lo) / 2} vs ${amp}`);
  assert.ok(rhi - rlo < 0.01 * rhi, `population rate ripple ${rhi - rlo}`);
  // common input of the same amplitude: the O(sqrt K) feedback cancels most of the mean's modulation
  const com = nonstationaryDmft({ g: 2, K, dt, steps: 600, band: 60, amplitude: I1, frequency: f, lyapunov: false });
  let clo = Infinity, chi = -Infinity;
  for (let k = com.mean.length - per; k < com.mean.length; k++) { clo = Math.min(clo, com.mean[k]); chi = Math.max(chi, com.mean[k]); }
  assert.ok((chi - clo) / 2 < 0.3 * amp, `common modulation ${(chi - clo) / 2} against ${amp}`);
  assert.throws(() => nonstationaryDmft({ g: 2, K: 40000, dt: 0.1, steps: 10, band: 5 }), /dt/);
  assert.throws(() => nonstationaryDmft({ g: 2, nonlinearity: 'erf', K: 100 }), /nonlinearity/);
});

test('with input, lambda_1 is the growth of (1/2) log k over whole periods: the same for a short and a long run (common input, f = 0.05)', () => {
  // (1/2) log k(t, t) is a line plus a periodic part of amplitude ~0.3 here; a least-squares slope over the one
  // period that fits a 3,000-step run's last quarter read 0.113 where the growth per period is 0.078 (session 6).
  const K = 1000, base = { g: 2, K, dt: 0.05, band: 160, amplitude: 0.75 * Math.sqrt(K), frequency: 0.05 };
  const short = nonstationaryDmft({ ...base, steps: 3000 });
  const long = nonstationaryDmft({ ...base, steps: 5000 });
  assert.equal(short.lyapunovFit, 'whole-periods');
  // the test's own reading: growth of the long run's (1/2) log k over each of its last three periods (400 steps
  // each), equal to each other (a periodic state) and to both runs' lambda_1
  const y = long.halfLogTangent, P = 400, last = y.length - 1;
  const perPeriod = [0, 1, 2].map((j) => (y[last - j * P] - y[last - (j + 1) * P]) / (P * 0.05));
  for (const r of perPeriod) assert.ok(Math.abs(r - perPeriod[0]) < 2e-4, `per-period growth ${perPeriod}`);
  // and the periodic part is large (the case where a least-squares slope is biased)
  let dev = 0;
  for (let k = last - P; k <= last; k++) dev = Math.max(dev, Math.abs(y[k] - y[last - P] - perPeriod[0] * (k - last + P) * 0.05));
  assert.ok(dev > 0.1, `periodic part ${dev}`);
  for (const d of [short, long]) assert.ok(Math.abs(d.lyapunov - perPeriod[0]) < 5e-4, `lambda_1 ${d.lyapunov} vs per-period growth ${perPeriod[0]}`);
  assert.ok(perPeriod[0] > 0.05 && perPeriod[0] < 0.1, `${perPeriod[0]}`);
});

test('adiabatic limit: under slow common input that never silences the network, lambda_1 tends to the stationary one (ReLU: scale-free in the drive)', () => {
  // With ReLU, h -> a h maps the balanced network at drive sqrt(K) I0 to the one at sqrt(K) a I0, so the stationary
  // lambda_1 is the same at every frozen drive sqrt(K) I0 + I1 sin(phase) > 0, and a slow enough input's lambda_1 (the
  // cycle average of the quasi-static exponent) equals the no-input one. A fast input lowers it.
  const K = 100, base = { g: 2, K, dt: 0.1, band: 80 };
  const still = nonstationaryDmft({ ...base, steps: 4000 });
  const slow = nonstationaryDmft({ ...base, amplitude: 0.75 * Math.sqrt(K), frequency: 0.005, steps: 8000 });
  assert.equal(slow.lyapunovFit, 'whole-periods');
  assert.ok(Math.min(...slow.rate) < 0.35 && Math.max(...slow.rate) > 1.6, 'the input modulates the rate strongly');
  assert.ok(Math.abs(slow.lyapunov - still.lyapunov) < 5e-4, `slow ${slow.lyapunov} vs stationary ${still.lyapunov}`);
  const fast = nonstationaryDmft({ ...base, amplitude: 0.75 * Math.sqrt(K), frequency: 0.05, steps: 2000 });
  assert.ok(fast.lyapunov < still.lyapunov - 0.005, `f = 0.05: ${fast.lyapunov} vs ${still.lyapunov}`);
});
