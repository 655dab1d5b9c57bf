/**
 * lib/circuits/predictive-coding: the delay line against a known signal, the
 * network at b = 0 against RateNetwork (same couplings, same noise draws), the
 * delayed feedback against a hand-written loop, the noise-free decoder
 * against the mean-field fixed point, and the implicit step against explicit
 * Euler (stable where Euler is not; first-order agreement at small steps).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DelayLine, PredictiveCodingNetwork, RandomRateNetwork, RateNetwork } from '../../lib/circuits';

/** The noise-free mean-field fixed point: <xhat> = x - e with x - e = tanh(b e) (bisection; w = +-1, odd phi). */
function fixedPoint(x: number, b: number): number {
  let lo = x - 1, hi = x + 1;
  for (let i = 0; i < 200; i++) {
    const e = 0.5 * (lo + hi);
    if (x - e - Math.tanh(b * e) > 0) lo = e; else hi = e;
  }
  return x - 0.5 * (lo + hi);
}

test('DelayLine returns the signal exactly D steps earlier, and its initial value before that', () => {
  for (const D of [0, 1, 7]) {
    const line = new DelayLine(D, -3);
    for (let k = 0; k < 50; k++) {
      const v = Math.sin(0.37 * k) + 0.01 * k;
      const out = line.shift(v);
      assert.equal(out, k < D ? (D === 0 ? v : -3) : Math.sin(0.37 * (k - D)) + 0.01 * (k - D));
    }
  }
  assert.throws(() => new DelayLine(-1), /length/);
  assert.throws(() => new DelayLine(1.5), /length/);
});

test('at b = 0 the network is the plain random network: the same states as RateNetwork (Euler, with noise)', () => {
  const N = 40, g = 1.8, seed = 5;
  const pc = new PredictiveCodingNetwork({ N, b: 0, g, noise: 0.3, seed, noiseSeed: 11 });
  const plain = new RateNetwork({ coupling: new RandomRateNetwork({ N, g, seed }).coupling(), noise: 0.3, seed: 11 });
  const h0 = Float64Array.from({ length: N }, (_, i) => Math.cos(1.3 * i));
  const run = pc.run({ x: 0.4, dt: 0.05, time: 0.05, transient: 2.95, scheme: 'euler', h0 });
  const x = h0.slice();
  for (let k = 0; k < 60; k++) plain.step(x, { dt: 0.05, scheme: 'euler' });
  for (let i = 0; i < N; i++) assert.equal(run.h[i], x[i]);
  // and the decoder reads (1/N) w.phi(h) of that state
  const rates = plain.rates(x);
  let dec = 0;
  for (let i = 0; i < N; i++) dec += pc.w[i] * rates[i];
  assert.ok(Math.abs(pc.decode(x) - dec / N) < 1e-15);
  assert.ok(pc.w.every((v) => v === 1 || v === -1));
});

test('the delayed feedback is xhat from exactly d earlier (a hand-written loop with its own history)', () => {
  const N = 5, b = 2.5, dt = 0.1, delay = 0.3, D = 3;
  const net = new PredictiveCodingNetwork({ N, b, delay, seed: 2 });
  assert.equal(net.delaySteps(dt), D);
  const h0 = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.2 * i);
  const xs = (t: number) => 0.3 + 0.2 * Math.sin(t);
  for (const scheme of ['euler', 'implicit'] as const) {
    const run = net.run({ x: xs, dt, time: 4, scheme, h0 });
    const h = h0.slice(), history: number[] = [];
    for (let k = 0; k < 40; k++) {
      const now = net.decode(h);
      assert.ok(Math.abs(run.xhat[k] - now) < 1e-14);
      history.push(now);
      const fed = k >= D ? history[k - D] : 0;
      const e = b * (xs(k * dt) - fed);
      for (let i = 0; i < N; i++) h[i] = scheme === 'euler' ? h[i] + dt * (net.w[i] * e - h[i]) : (h[i] + dt * net.w[i] * e) / (1 + dt);
    }
    for (let i = 0; i < N; i++) assert.ok(Math.abs(run.h[i] - h[i]) < 1e-13, `${scheme} unit ${i}`);
  }
  assert.throws(() => net.run({ x: 0, dt: 0.07, time: 1 }), /dt/);
});

test('at g = 0 without noise the decoder settles on the mean-field fixed point', () => {
  for (const [b, x] of [[0.5, 0.3], [4, 0.2], [30, -0.7], [4, 1.4]]) {
    const net = new PredictiveCodingNetwork({ N: 20, b, seed: 3 });
    const run = net.run({ x, dt: 0.1, time: 1, transient: 60 });
    const xhat = fixedPoint(x, b);
    assert.ok(Math.abs(run.mean - xhat) < 1e-9, `b ${b} x ${x}: ${run.mean} vs ${xhat}`);
    assert.ok(run.variance < 1e-20);
  }
});

test('the implicit step is stable where explicit Euler with the same step is not, and agrees with Euler at small steps', () => {
  const x = 0.2, b = 200, dt = 0.05;  // loop rate 1 + b phi' ~ 190: Euler needs dt < 0.01
  const net = new PredictiveCodingNetwork({ N: 30, b, seed: 4 });
  const xhat = fixedPoint(x, b), slope = 1 - Math.tanh(b * (x - xhat)) ** 2;
  assert.ok(dt * (1 + b * slope) > 2);
  const implicit = net.run({ x, dt, time: 5, transient: 20, scheme: 'implicit' });
  const euler = net.run({ x, dt, time: 5, transient: 20, scheme: 'euler' });
  assert.ok(Math.abs(implicit.mean - xhat) < 1e-9 && implicit.variance < 1e-20);
  // Euler's loop overshoots every step: a bounded (tanh) oscillation far from the fixed point
  assert.ok(Math.sqrt(euler.variance) > 0.1, `Euler sd ${Math.sqrt(euler.variance)}`);
  // small steps: both first order, so their difference halves with the step (b = 10, chaotic disorder, no noise)
  const chaotic = new PredictiveCodingNetwork({ N: 60, b: 10, g: 1.5, seed: 6 });
  const h0 = Float64Array.from({ length: 60 }, (_, i) => Math.sin(2.1 * i));
  const gap = (step: number) => {
    const a = chaotic.run({ x, dt: step, time: 2, scheme: 'implicit', h0 });
    const c = chaotic.run({ x, dt: step, time: 2, scheme: 'euler', h0 });
    let m = 0;
    for (let k = 0; k < a.xhat.length; k++) m = Math.max(m, Math.abs(a.xhat[k] - c.xhat[k]));
    return m;
  };
  const g1 = gap(2e-3), g2 = gap(1e-3);
  assert.ok(g1 < 5e-3, `gap ${g1}`);
  assert.ok(g2 / g1 > 0.4 && g2 / g1 < 0.6, `ratio ${g2 / g1}`);
});

test('arguments are checked by name', () => {
  assert.throws(() => new PredictiveCodingNetwork({ N: 0, b: 1, seed: 1 }), /N/);
  assert.throws(() => new PredictiveCodingNetwork({ N: 3, b: -1, seed: 1 }), /b/);
  const net = new PredictiveCodingNetwork({ N: 3, b: 1, seed: 1 });
  assert.throws(() => net.run({ x: 0, dt: 0.1, time: 1, h0: new Float64Array(2) }), /h0/);
  assert.throws(() => net.run({ x: 0, dt: 0.1, time: 1, scheme: 'rk4' as never }), /scheme/);
  assert.throws(() => net.run({ x: NaN, dt: 0.1, time: 1 }), /x/);
});
