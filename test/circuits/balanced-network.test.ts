/**
 * Balanced rate networks: the O(sqrt K) excitatory and inhibitory inputs and their O(1) sum at two K (Dale's
 * E/I model and the one-population Gaussian model); Dale's signs and in-degrees; the phase-randomised input's
 * population mean and per-neuron amplitude; the largest Lyapunov exponent of the homogeneous network (g = 0)
 * against the closed-form multiplier of its Euler map; the currents against J phi(h) computed by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BalancedNetwork, inputPhases } from '../../lib/circuits';

const mean = (a: ArrayLike<number>, lo = 0, hi = a.length) => { let s = 0; for (let i = lo; i < hi; i++) s += a[i]; return s / (hi - lo); };

/** Time-averaged population means of the E (recurrent excitatory + external), I and total inputs, after a transient. */
function averagedInputs(net: BalancedNetwork, transient: number, samples: number) {
  const h = net.initialState(2);
  net.run(h, { time: transient, dt: 0.05 });
  let E = 0, I = 0, total = 0, recurrent = 0, external = 0;
  for (let k = 0; k < samples; k++) {
    net.run(h, { time: 1, dt: 0.05 });
    const c = net.currents(h);
    E += (mean(c.excitatory) + mean(c.external)) / samples;
    I += mean(c.inhibitory) / samples;
    total += mean(c.total) / samples;
    recurrent += (mean(c.excitatory) + mean(c.inhibitory)) / samples;
    external += mean(c.external) / samples;
  }
  return { E, I, total, recurrent, external };
}

test("Dale's network: mean input O(1) while E and I inputs grow as sqrt K (K = 50, 190)", () => {
  const [a, b] = [50, 190].map((K) => averagedInputs(new BalancedNetwork({ N: 1000, K, model: 'dale', seed: 1 }), 20, 20));
  const ratio = Math.sqrt(190 / 50);
  for (const r of [a, b]) {
    assert.ok(Math.abs(r.total) < 0.1 * r.E, `total ${r.total} small against E ${r.E}`);
    assert.ok(Math.abs(r.total) < 2, `total ${r.total} is O(1)`);
  }
  assert.ok(Math.abs(b.E / a.E / ratio - 1) < 0.12, `E ratio ${b.E / a.E} against sqrt(K) ratio ${ratio}`);
  assert.ok(Math.abs(b.I / a.I / ratio - 1) < 0.15, `I ratio ${b.I / a.I} against ${ratio}`);
  assert.ok(Math.abs(b.total - a.total) < 0.3 * (b.E - a.E), 'the total does not grow with E');
});

test("Gaussian model: the drive and the mean recurrent input grow as sqrt K, their sum stays O(1) (K = 250, 1000)", () => {
  const [a, b] = [250, 1000].map((K) => averagedInputs(new BalancedNetwork({ N: 1000, K, seed: 3 }), 20, 10));
  assert.ok(Math.abs(b.external / a.external - 2) < 1e-12);
  assert.ok(Math.abs(b.recurrent / a.recurrent / 2 - 1) < 0.1, `recurrent ratio ${b.recurrent / a.recurrent}`);
  for (const r of [a, b]) assert.ok(Math.abs(r.total) < 3, `total ${r.total}`);
  assert.ok(Math.abs(b.total - a.total) < 0.5, `total ${a.total} -> ${b.total} while the drive doubles`);
});

test("Dale's couplings: column signs, K partners from each population, no autapses; currents equal J phi(h) split by sign", () => {
  const N = 60, K = 7;
  const net = new BalancedNetwork({ N, K, model: 'dale', seed: 5, excitatoryFraction: 0.75 });
  const J = net.coupling.J;
  assert.equal(net.excitatory, 45);
  for (let i = 0; i < N; i++) {
    assert.equal(J[i * N + i], 0);
    let kE = 0, kI = 0;
    for (let j = 0; j < N; j++) {
      const v = J[i * N + j];
      if (v !== 0) assert.equal(Math.sign(v), net.columnSigns[j], `sign of J[${i}][${j}]`);
      if (v > 0) kE++;
      if (v < 0) kI++;
    }
    assert.equal(kE, K);
    assert.equal(kI, K);
  }
  const h = net.initialState(1, 4), c = net.currents(h, 0.3);
  for (let i = 0; i < N; i++) {
    let e = 0, s = 0;
    for (let j = 0; j < N; j++) { const v = J[i * N + j] * Math.max(h[j], 0); if (J[i * N + j] > 0) e += v; else s += v; }
    assert.ok(Math.abs(c.excitatory[i] - e) < 1e-12 && Math.abs(c.inhibitory[i] - s) < 1e-12);
    assert.ok(Math.abs(c.total[i] - (e + s + net.drive[i])) < 1e-12);
  }
  assert.deepEqual(net.balancedRates, [1, 1]);
});

test('phase-randomised input: population mean near zero, amplitude I1 per neuron; common input is the same sinusoid everywhere', () => {
  const N = 4000, I1 = 1.5, f = 0.2;
  const net = new BalancedNetwork({ N: 2, seed: 1 });
  assert.ok(net.drive[0] > 0);
  const theta = inputPhases(N, 'independent', 7);
  const even = inputPhases(N, 'independent-even', 7);
  for (let k = 0; k < 20; k++) {
    const t = 0.37 * k;
    const m = mean(Array.from(theta, (p) => I1 * Math.sin(2 * Math.PI * f * t + p)));
    // the mean of N i.i.d. terms of variance I1^2 / 2: 5 standard errors
    assert.ok(Math.abs(m) < 5 * I1 / Math.sqrt(2 * N), `population mean ${m} at t = ${t}`);
    assert.ok(Math.abs(mean(Array.from(even, (p) => I1 * Math.sin(2 * Math.PI * f * t + p)))) < 1e-12);
  }
  // per neuron: over one period the input of a network spans drive +- I1
  const small = new BalancedNetwork({ N: 50, seed: 2 });
  small.setInput({ amplitude: I1, frequency: f, phases: 'independent', seed: 3 });
  const lo = new Float64Array(50).fill(Infinity), hi = new Float64Array(50).fill(-Infinity);
  for (let s = 0; s < 2000; s++) {
    const x = small.externalInput(s / (2000 * f));
    for (let i = 0; i < 50; i++) { lo[i] = Math.min(lo[i], x[i]); hi[i] = Math.max(hi[i], x[i]); }
  }
  for (let i = 0; i < 50; i++) {
    assert.ok(Math.abs((hi[i] - lo[i]) / 2 - I1) < 1e-4, `amplitude of neuron ${i}`);
    assert.ok(Math.abs((hi[i] + lo[i]) / 2 - small.drive[i]) < 1e-4);
  }
  small.setInput({ amplitude: I1, frequency: f, phases: 'common' });
  const x = small.externalInput(1.1);
  for (let i = 0; i < 50; i++) assert.equal(x[i], small.drive[0] + I1 * Math.sin(2 * Math.PI * f * 1.1));
  assert.throws(() => inputPhases(10, 'random' as never), /phases/);
});

test('largest Lyapunov exponent of the homogeneous network (g = 0) equals the Euler map\'s leading multiplier', () => {
  // g = 0: all neurons share one fixed point h* > 0; the Jacobian -J0 sqrt(K)/N (1 1^T - I) has eigenvalue
  // +J0 sqrt(K)/N off the mean mode, so lambda_1 = log(1 - dt (1 - J0 sqrt(K)/N)) / dt
  const N = 200, K = 100, J0 = 1.5, dt = 0.05;
  const net = new BalancedNetwork({ N, K, g: 0, J0, seed: 1 });
  const ly = net.largestLyapunov(net.initialState(4, 0.01, 1), { dt, time: 20, transient: 30, tangentTransient: 5 });
  const expected = Math.log(1 - dt * (1 - (J0 * Math.sqrt(K)) / N)) / dt;
  assert.ok(Math.abs(ly.exponent - expected) < 1e-6, `${ly.exponent} vs ${expected}`);
  assert.ok(Math.abs(ly.meanRate[0] - Math.sqrt(K) / (1 + (J0 * Math.sqrt(K) * (N - 1)) / N)) < 1e-8, 'the fixed point rate');
  // a chaotic balanced network (g = 2) has a positive exponent
  const chaotic = new BalancedNetwork({ N: 400, seed: 2 });
  assert.ok(chaotic.largestLyapunov(chaotic.initialState(1), { time: 30, transient: 20 }).exponent > 0.02);
});
