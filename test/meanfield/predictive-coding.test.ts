/**
 * lib/meanfield/predictive-coding: the bias equation against a hand solve, the
 * fluctuation formula against independent answers (the open loop's variance
 * Var phi / N; the d = 0 closed form against the numerical frequency integral;
 * Parseval for the chaotic spectrum), the delayed loop's critical gain against
 * its characteristic equation and against the simulated network, and the
 * theory against a simulation of the noisy network.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictiveCodingNetwork } from '../../lib/circuits';
import { criticalLoopGain, decoderFluctuations, gaussianAverage, optimalBalance, predictiveCodingMeanField, stationaryDmft } from '../../lib/meanfield';

const close = (a: number, b: number, rel: number, what: string) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('the bias solves x - e = E tanh(b e + sqrt(sigma^2/2) z): against Newton on the noise-free equation and a direct average', () => {
  for (const [x, b] of [[0.2, 3], [-0.6, 10], [1.2, 1]]) {
    const mf = predictiveCodingMeanField({ x, b });
    let e = 0;
    for (let i = 0; i < 100; i++) { const t = Math.tanh(b * e); e -= (x - e - t) / (-1 - b * (1 - t * t)); }
    assert.ok(Math.abs(mf.error - e) < 1e-12);
    assert.ok(Math.abs(mf.slope - (1 - Math.tanh(b * e) ** 2)) < 1e-12);
  }
  const mf = predictiveCodingMeanField({ x: 0.2, b: 4, noise: 0.75 });
  const q = 0.75 * 0.75 / 2;
  assert.equal(mf.inputVariance, q);
  close(0.2 - mf.error, gaussianAverage((u) => Math.tanh(4 * mf.error + u), q), 1e-12, 'xhat');
  // the transfer curve tends to the identity: e = O(1/b)
  const errs = [1, 100, 1000].map((b) => predictiveCodingMeanField({ x: 0.2, b, noise: 0.75 }).error);
  assert.ok(errs[0] > 0.1 && errs[1] < 3e-3, `${errs}`);
  close(errs[1] / errs[2], 10, 0.02, 'bias ratio over a decade of b');
  assert.ok(Math.abs(predictiveCodingMeanField({ x: 0.3, b: 0, noise: 0.5 }).error - 0.3) < 1e-14);
});

test('the open loop (b = 0) gives Var phi / N, and the Hermite coefficients sum to Var phi', () => {
  const mf = predictiveCodingMeanField({ x: 0.5, b: 0, noise: 1.2 });
  const q = 0.72, v = gaussianAverage((u) => Math.tanh(u) ** 2, q);
  close(mf.hermite!.reduce((s, c) => s + c, 0), v, 1e-8, 'sum c_k');
  close(decoderFluctuations(mf, { N: 300 }).variance, v / 300, 1e-8, 'variance');
});

test('the closed form at d = 0 equals the numerical frequency integral at a vanishing delay; variance falls as 1/b', () => {
  for (const b of [0.5, 5, 40]) {
    const mf = predictiveCodingMeanField({ x: 0.2, b, noise: 0.75 });
    const exact = decoderFluctuations(mf, { N: 1000 }).variance;
    const numeric = decoderFluctuations(mf, { N: 1000, delay: 1e-7 }).variance;
    close(numeric, exact, 1e-4, `b ${b}`);
  }
  const v = [100, 1000].map((b) => decoderFluctuations(predictiveCodingMeanField({ x: 0.2, b, noise: 0.75 }), { N: 1 }).variance);
  close(v[0] / v[1], 10, 0.02, 'variance ratio over a decade of b');
});

test('chaos: the lag spectrum integrates back to C_phi(0) (Parseval) in the open loop, and balance suppresses it', () => {
  const dmft = stationaryDmft({ g: 1.6 });
  const open = predictiveCodingMeanField({ x: 0, b: 0, g: 1.6, dmft });
  close(decoderFluctuations(open, { N: 1 }).variance, dmft.phiAutocovariance[0], 1e-3, 'Parseval');
  const strong = decoderFluctuations(predictiveCodingMeanField({ x: 0, b: 50, g: 1.6, dmft }), { N: 1 }).variance;
  assert.ok(strong < dmft.phiAutocovariance[0] / 100);
  assert.throws(() => predictiveCodingMeanField({ x: 0, b: 1, g: 1.6, noise: 0.1, dmft }), /g/);
  assert.throws(() => predictiveCodingMeanField({ x: 0, b: 1, g: 0.5 }), /g/);
});

test('the critical loop gain is a root of s + 1 + a e^{-sd} on the imaginary axis, and the simulated loop turns unstable there', () => {
  for (const d of [0.05, 0.5, 2]) {
    const a = criticalLoopGain(d);
    const w = Math.sqrt(a * a - 1);
    assert.ok(Math.hypot(1 + a * Math.cos(w * d), w - a * Math.sin(w * d)) < 1e-9 * a);
  }
  close(criticalLoopGain(1e-3) * 1e-3, Math.PI / 2, 1e-2, 'small d');
  assert.equal(criticalLoopGain(0), Infinity);
  // a noise-free network at x = 0 (slope 1 at the fixed point h = 0): a kick decays below a_c and grows above
  const d = 0.2, ac = criticalLoopGain(d);
  const growth = (b: number) => {
    const net = new PredictiveCodingNetwork({ N: 8, b, delay: d, seed: 1 });
    const h0 = Float64Array.from(net.w, (w) => 1e-6 * w);
    const r = net.run({ x: 0, dt: d / 200, time: 30, h0, scheme: 'euler' });
    const late = (from: number, to: number) => { let m = 0; for (let k = from; k < to; k++) m = Math.max(m, Math.abs(r.xhat[k])); return m; };
    const n = r.xhat.length;
    return late(Math.floor(0.8 * n), n) / late(Math.floor(0.2 * n), Math.floor(0.4 * n));
  };
  assert.ok(growth(0.9 * ac) < 0.1, 'decays below a_c');
  assert.ok(growth(1.1 * ac) > 10, 'grows above a_c');
  assert.equal(decoderFluctuations(predictiveCodingMeanField({ x: 0, b: 1.1 * ac, noise: 0.1 }), { N: 10, delay: d }).stable, false);
});

test('theory beside simulation: bias and s.d. of the noisy network (N = 400, two b)', () => {
  for (const b of [1, 8]) {
    const mf = predictiveCodingMeanField({ x: 0.2, b, noise: 0.75 });
    const th = decoderFluctuations(mf, { N: 400 });
    const net = new PredictiveCodingNetwork({ N: 400, b, noise: 0.75, seed: 7 });
    const r = net.run({ x: 0.2, dt: 0.05 / (1 + mf.loopGain), time: 60, transient: 5 });
    assert.ok(Math.abs(r.bias - th.bias) < 0.15 * th.bias, `bias ${r.bias} vs ${th.bias}`);
    close(Math.sqrt(r.variance), th.sd, 0.1, `sd at b ${b}`);
  }
});

test('optimalBalance: with a delay the best b lies below the instability, and the error there beats both ends', () => {
  const o = { x: 0.2, noise: 0.75, N: 1400, delay: 0.1 };
  const best = optimalBalance({ ...o, bMin: 0.5, bMax: 200, points: 61 });
  assert.ok(best.b < best.criticalB && Number.isFinite(best.criticalB));
  for (const b of [0.5, 0.98 * best.criticalB]) {
    const r = decoderFluctuations(predictiveCodingMeanField({ x: 0.2, b, noise: 0.75 }), o).rmse;
    assert.ok(best.rmse < r, `b ${b}`);
  }
});
