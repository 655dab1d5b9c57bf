/**
 * Random rate networks: coupling statistics, matrix-free tangent maps against
 * the explicit Jacobian and finite differences, the quiescent network's
 * spectrum against the eigenvalues of its linearisation, chaos above g = 1,
 * and the nonlinearity table against finite differences and known values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eig } from '../../lib/core';
import { NONLINEARITY_NAMES, RandomRateNetwork, erf, nonlinearity } from '../../lib/circuits';
import { largestExponentByTwoTrajectories, lyapunovSpectrum } from '../../lib/dynamics';

test('erf matches tabulated values; each nonlinearity\'s phi\', phi\'\' and primitive match finite differences', () => {
  // Abramowitz & Stegun table 7.1
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 1e-15);
  assert.ok(Math.abs(erf(2.9) - 0.9999589021219005) < 1e-15);
  assert.ok(Math.abs(erf(3.5) - 0.9999992569016276) < 1e-15);
  assert.equal(erf(-1), -erf(1));
  for (const name of NONLINEARITY_NAMES) {
    const f = nonlinearity(name);
    assert.equal(f.primitive(0), 0);
    for (const x of [-2.3, -0.7, 0.4, 1.9]) {
      const h = 1e-5;
      assert.ok(Math.abs((f.phi(x + h) - f.phi(x - h)) / (2 * h) - f.dphi(x)) < 1e-8, `${name} phi' at ${x}`);
      assert.ok(Math.abs((f.dphi(x + h) - f.dphi(x - h)) / (2 * h) - f.ddphi(x)) < 1e-7, `${name} phi'' at ${x}`);
      assert.ok(Math.abs((f.primitive(x + h) - f.primitive(x - h)) / (2 * h) - f.phi(x)) < 1e-8, `${name} Phi at ${x}`);
    }
  }
  assert.throws(() => nonlinearity('sigmoid' as never), /nonlinearity/);
});

test('couplings: variance g^2/N; partial symmetry gives corr(J_ij, J_ji) = eta', () => {
  const N = 300, g = 1.5;
  for (const eta of [0, 0.6, -0.4]) {
    const net = new RandomRateNetwork({ N, g, seed: 4, symmetry: eta });
    let s2 = 0, c = 0, pairs = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
      s2 += net.J[i * N + j] ** 2;
      if (j > i) { c += net.J[i * N + j] * net.J[j * N + i]; pairs++; }
    }
    const v = s2 / (N * N), expected = (g * g) / N;
    // sd of a sample variance of M Gaussians: v sqrt(2 / M)
    assert.ok(Math.abs(v - expected) < 4 * expected * Math.sqrt(2 / (N * N)), `variance ${v} vs ${expected}`);
    const corr = c / pairs / expected;
    assert.ok(Math.abs(corr - eta) < 4 * Math.sqrt((1 + eta * eta) / pairs), `corr ${corr} vs ${eta}`);
  }
  assert.throws(() => new RandomRateNetwork({ N: 10, g: 1, seed: 0, symmetry: 2 }), /symmetry/);
});

test('matrix-free tangent maps equal the explicit Jacobian and central differences (flow and Euler map)', () => {
  const N = 12, k = 3;
  for (const name of ['tanh', 'erf'] as const) {
    const net = new RandomRateNetwork({ N, g: 1.7, seed: 9, nonlinearity: name });
    const f = net.phi;
    const x = net.initialState(1);
    const V = net.initialState(2, 1).slice(0, N);
    const Vk = new Float64Array(k * N);
    for (let r = 0; r < k; r++) for (let j = 0; j < N; j++) Vk[r * N + j] = Math.sin(1 + r * 5 + j) + V[j] * (r === 0 ? 1 : 0);
    for (const scheme of [{ scheme: 'flow', dt: 0.1 } as const, { scheme: 'euler', delta: 0.3 } as const]) {
      const sys = net.tangentSystem(scheme);
      const out = new Float64Array(k * N);
      sys.tangent(x, Vk, k, out);
      const d = scheme.scheme === 'euler' ? scheme.delta : 1;
      const selfTerm = scheme.scheme === 'euler' ? 1 - d : -1;
      for (let r = 0; r < k; r++) {
        // explicit Jacobian: selfTerm I + d J diag(phi'(x))
        for (let i = 0; i < N; i++) {
          let s = selfTerm * Vk[r * N + i];
          for (let j = 0; j < N; j++) s += d * net.J[i * N + j] * f.dphi(x[j]) * Vk[r * N + j];
          assert.ok(Math.abs(out[r * N + i] - s) < 1e-12, `${name} ${scheme.scheme} explicit`);
        }
        // central differences of the update itself
        const h = 1e-6, xp = Float64Array.from(x), xm = Float64Array.from(x), fp = new Float64Array(N), fm = new Float64Array(N);
        for (let j = 0; j < N; j++) { xp[j] += h * Vk[r * N + j]; xm[j] -= h * Vk[r * N + j]; }
        sys.evaluate(xp, fp);
        sys.evaluate(xm, fm);
        for (let i = 0; i < N; i++) assert.ok(Math.abs((fp[i] - fm[i]) / (2 * h) - out[r * N + i]) < 1e-7, `${name} ${scheme.scheme} finite differences`);
      }
    }
  }
});

test('below g = 1 the network falls to x = 0 and its spectrum is log|eig((1 - delta) I + delta J)| / delta', () => {
  const N = 20, delta = 0.5;
  const net = new RandomRateNetwork({ N, g: 0.5, seed: 3 });
  const r = lyapunovSpectrum(net.tangentSystem({ scheme: 'euler', delta }), net.initialState(5), {
    time: 600, stepTime: delta, transient: 100, frameTransient: 50, progress: false,
  });
  const M = Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => delta * net.J[i * N + j] + (i === j ? 1 - delta : 0)));
  const e = eig(M);
  const expected = Array.from(e.re, (re, i) => Math.log(Math.hypot(re, e.im[i])) / delta).sort((a, b) => b - a);
  for (let i = 0; i < N; i++) assert.ok(Math.abs(r.exponents[i] - expected[i]) < 3e-3, `lambda_${i + 1} ${r.exponents[i]} vs ${expected[i]}`);
});

test('g = 2 is chaotic (lambda_1 > 0, two-trajectory check agrees), g = 0.8 is not (flow, RK4)', () => {
  const N = 200;
  const chaotic = new RandomRateNetwork({ N, g: 2, seed: 1 });
  const sys = chaotic.tangentSystem({ scheme: 'flow', dt: 0.1 });
  const r = lyapunovSpectrum(sys, chaotic.initialState(2), { k: 4, time: 300, dt: 0.1, transient: 50, frameTransient: 20, progress: false });
  assert.ok(r.exponents[0] > 0.05, `lambda_1 ${r.exponents[0]}`);
  const d = largestExponentByTwoTrajectories(sys, chaotic.initialState(2), { time: 300, dt: 0.1, transient: 50, directionTransient: 20, renormalizeEvery: 10 });
  assert.ok(Math.abs(d.lambda1 - r.exponents[0]) < 4 * Math.hypot(d.standardError, r.standardErrors[0]) + 0.01, `two-trajectory ${d.lambda1} vs ${r.exponents[0]}`);
  const quiet = new RandomRateNetwork({ N, g: 0.8, seed: 1 });
  const q = lyapunovSpectrum(quiet.tangentSystem({ scheme: 'flow', dt: 0.1 }), quiet.initialState(2), { k: 1, time: 100, dt: 0.1, transient: 50, progress: false });
  assert.ok(q.exponents[0] < -0.05, `lambda_1 ${q.exponents[0]}`);
});
