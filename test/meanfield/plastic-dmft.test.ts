/**
 * lib/meanfield/plastic-dmft: with the memory term off (or k = 0) the Monte-Carlo single-site DMFT
 * reproduces the Gaussian DMFT that stationaryDmft solves by Newton on the lag equation; below g = 1
 * it finds the quiescent solution; a strong Hebbian self-coupling with weak quenched noise freezes each
 * unit near the closed-form static root x = k tanh^3 x; bad options are named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plasticDmft, stationaryDmft } from '../../lib/meanfield';

test('without the memory term the Monte-Carlo DMFT reproduces the Gaussian DMFT (g = 3)', () => {
  const g = 3, dt = 0.2;
  const exact = stationaryDmft({ g, tableNodes: 65, quadrature: { dz: 0.06 } });
  // the plain Monte-Carlo paths (controlVariate false): with the control variate on, memory off is the exact Gaussian map
  const opts = { g, tauS: 5, paths: 400, record: 200, maxLag: 8, burnIn: 10, dt, tolerance: 1e-3, seed: 0, controlVariate: false };
  const off = plasticDmft({ ...opts, k: 2.5, memory: false });
  assert.ok(off.converged && off.phase === 'chaotic');
  const c0 = exact.autocovariance[0];
  for (const u of [0, 1, 2, 4]) {
    const mc = off.autocovariance[Math.round(u / dt)], ref = exact.autocovariance[Math.round(u / 0.025)];
    // Monte-Carlo error of 400 paths x 200 tau, amplified by the self-consistency: a few percent of C(0)
    assert.ok(Math.abs(mc - ref) < 0.08 * c0, `lag ${u}: ${mc} vs ${ref}`);
  }
  // k = 0 with the memory on is the same computation, draw for draw
  const zero = plasticDmft({ ...opts, k: 0 });
  assert.deepEqual(Array.from(zero.autocovariance), Array.from(off.autocovariance));
});

test('at g = 2, k = 0 the solve reproduces the Gaussian DMFT at every lag, the tail included (control variate)', () => {
  // g^2 <phi'>^2 = 0.948 at g = 2: the slow mode amplifies sampling error ~19x at the fixed point. Without the control variate
  // these settings gave C_x/C_x(0) = 0.454 at lag 15 and 0.401 at lag 30 (not converged in 60 iterations; 2026-12-07 probe), the
  // phase diagram's 150 x 80 with lags to 20 -0.44 at lag 15; with it the k = 0 map is the exact discretized Gaussian map
  // (measured deviation at most 0.002 of C_x(0) at these lags, variance 1.9249 vs 1.9248).
  const g = 2, dt = 0.2;
  const exact = stationaryDmft({ g, tableNodes: 65, quadrature: { dz: 0.06 } });
  const r = plasticDmft({ g, k: 0, paths: 150, record: 80, maxLag: 40, dt, tolerance: 1e-4, seed: 1, maxIterations: 60 });
  assert.ok(r.converged && r.phase === 'chaotic', `converged ${r.converged} in ${r.iterations}, phase ${r.phase}`);
  const c0 = exact.autocovariance[0];
  for (const u of [0, 2, 5, 10, 15, 20, 30, 40]) {
    const mc = r.autocovariance[Math.round(u / dt)], ref = exact.autocovariance[Math.round(u / 0.025)];
    // the dt = 0.2 step against the flow, and the tolerance's distance to the fixed point (~change / (1 - 0.948)): 0.01 C_x(0)
    assert.ok(Math.abs(mc - ref) < 0.01 * c0, `lag ${u}: ${mc} vs ${ref}`);
  }
});

test('the control variate is unbiased with the memory term on (g = 2, k = 1, one map evaluation)', () => {
  // the same start, one evaluation: with the control variate (400 paths) against the plain average of 1,600 paths from another
  // seed; they agree within 3.5 combined standard errors, and the control variate's standard error is several times smaller
  const g = 2, dt = 0.2, start = { g, k: 1, tauS: 10, record: 200, maxLag: 30, burnIn: 60, dt, maxIterations: 1, initialCphi: 0.6, initialDecay: 10 };
  const cv = plasticDmft({ ...start, paths: 400, seed: 4 });
  const plain = plasticDmft({ ...start, paths: 1600, seed: 5, controlVariate: false });
  for (const u of [0, 5, 10, 20, 30]) {
    const l = Math.round(u / dt), se = Math.hypot(cv.standardError[l], plain.standardError[l]);
    assert.ok(Math.abs(cv.autocovariance[l] - plain.autocovariance[l]) < 3.5 * se, `lag ${u}: ${cv.autocovariance[l]} vs ${plain.autocovariance[l]} (se ${se})`);
  }
  assert.ok(cv.standardError[0] < plain.standardError[0], `se ${cv.standardError[0]} vs ${plain.standardError[0]} (4x the paths)`);
});

test('below g = 1 without plasticity the only solution is quiescent', () => {
  const r = plasticDmft({ g: 0.6, k: 0, paths: 40, record: 40, maxLag: 5, burnIn: 10, dt: 0.2, seed: 1 });
  assert.equal(r.phase, 'quiescent');
  assert.ok(r.variance < 1e-4);
});

test('just below g = 1 the solve stops at the quiescent solution it approaches geometrically', () => {
  // g = 0.95, k = 0: C = 0 is the only solution (g < 1), approached by a factor per iteration; the relative change
  // of C_phi stays O(1) there, so only the quiescent rule (C_phi(0) < 1e-3 falling three times in a row) stops it
  // within 20 iterations (12 here; without the rule it takes 31, to C_phi(0) < 1e-10).
  const r = plasticDmft({ g: 0.95, k: 0, paths: 60, record: 40, maxLag: 10, dt: 0.2, seed: 1, maxIterations: 20 });
  assert.ok(r.converged, `not converged in ${r.iterations} iterations, change ${r.change}`);
  assert.equal(r.phase, 'quiescent');
  assert.ok(r.variance < 1e-3);
});

test('strong Hebbian self-coupling with weak quenched noise freezes units near x = k tanh^3 x', () => {
  // With g -> 0 a static unit obeys x = k q tanh x, q = C_phi(inf) = tanh^2 x (every unit at +-x*).
  const k = 4;
  let xs = 3;
  for (let i = 0; i < 500; i++) xs = k * Math.tanh(xs) ** 3;
  const r = plasticDmft({ g: 0.3, k, tauS: 2, paths: 60, record: 60, maxLag: 15, burnIn: 30, dt: 0.2, seed: 2, initialCphi: 0.9, initialStatic: 1 });
  assert.equal(r.phase, 'static');
  assert.ok(Math.abs(Math.sqrt(r.variance) - xs) < 0.1 * xs, `rms x ${Math.sqrt(r.variance)} vs x* ${xs}`);
  // from a chaotic start (no static part) the weak noise cannot seed it: the quiescent solution
  assert.equal(plasticDmft({ g: 0.3, k, tauS: 2, paths: 60, record: 60, maxLag: 15, burnIn: 30, dt: 0.2, seed: 2, initialCphi: 0.9 }).phase, 'quiescent');
});

test('a solve started from its own solution stops at once; `initial` on another grid is interpolated', () => {
  const opts = { g: 2, k: 0.5, tauS: 5, paths: 40, record: 60, maxLag: 10, burnIn: 20, dt: 0.2, seed: 3, maxIterations: 60 };
  const r = plasticDmft(opts);
  assert.ok(r.converged);
  // the map is deterministic (same draws every iteration): its fixed point maps nearly to itself (the returned C_phi is the
  // last evaluation, one map step past the iterate that met the tolerance, 2e-3; measured first change 3.3e-3 against 0.29
  // from the default start)
  const again = plasticDmft({ ...opts, initial: { lags: r.lags, phiAutocovariance: r.phiAutocovariance } });
  assert.ok(again.changes[0] < 0.01, `first change ${again.changes[0]}`);
  assert.ok(r.changes[0] > 0.1);
  assert.ok(again.converged);
  // on a grid of step 0.1 the same C_phi (linear between the points) gives the same start: the first evaluation is the same
  const fine = Float64Array.from({ length: 2 * r.lags.length - 1 }, (_, i) => i * 0.1);
  const interp = fine.map((u, i) => (i % 2 === 0 ? r.phiAutocovariance[i / 2] : (r.phiAutocovariance[(i - 1) / 2] + r.phiAutocovariance[(i + 1) / 2]) / 2));
  const fromFine = plasticDmft({ ...opts, maxIterations: 1, initial: { lags: fine, phiAutocovariance: interp } });
  const fromOwn = plasticDmft({ ...opts, maxIterations: 1, initial: { lags: r.lags, phiAutocovariance: r.phiAutocovariance } });
  fromFine.autocovariance.forEach((v, l) => assert.ok(Math.abs(v - fromOwn.autocovariance[l]) < 1e-9, `lag ${l}: ${v} vs ${fromOwn.autocovariance[l]}`));
  assert.throws(() => plasticDmft({ ...opts, initial: { lags: [1, 2], phiAutocovariance: [1, 1] } }), /initial/);
  assert.throws(() => plasticDmft({ ...opts, initial: { lags: [0, 1], phiAutocovariance: [1] } }), /initial/);
});

test('bad options are named', () => {
  assert.throws(() => plasticDmft({ g: 1, k: 1, nonlinearity: 'relu' }), /nonlinearity/);
  assert.throws(() => plasticDmft({ g: 1, k: 1, record: 10, maxLag: 6 }), /maxLag/);
  assert.throws(() => plasticDmft({ g: -1, k: 1 }), /g/);
});
