/**
 * lib/circuits/plastic-network: k = 0 against the plain random network, A's exact relaxation with the
 * neurons held, the halt switch of run, the tangent map and the explicit joint Jacobian against finite differences, the reduced
 * joint spectrum against the explicit Jacobian's eigenvalues, and freezing on a hand-built network whose
 * stable fixed point is known in closed form.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlasticRateNetwork, RandomRateNetwork } from '../../lib/circuits';
import { eig } from '../../lib/core';

test('with k = 0 the plastic network follows the plain random network (same J0 seed, RK4 dt 0.1)', () => {
  const N = 40, g = 2;
  const net = new PlasticRateNetwork({ N, g, k: 0, tauS: 5, seed: 7 });
  const plain = new RandomRateNetwork({ N, g, seed: 7 });
  for (let i = 0; i < N * N; i++) assert.ok(Math.abs(g * net.J0[i] - plain.J[i]) < 1e-15);
  const s = net.initialState(3, 1);
  const x0 = Float64Array.from(s.subarray(0, N));
  const run = net.run(s, { dt: 0.1, time: 20, sampleEvery: 1 });
  const tr = plain.simulate(x0, { scheme: 'flow', dt: 0.1 }, { time: 20, sampleEvery: 1 });
  let worst = 0;
  for (let i = 0; i < run.states.length; i++) worst = Math.max(worst, Math.abs(run.states[i] - tr.states[i]));
  assert.ok(worst < 1e-9, `largest difference ${worst}`);
  assert.ok(run.synapticRms.every((v) => v === 0));
});

test('with the neurons held, A relaxes exponentially with time constant tau_s to (k/N) phi phi^T', () => {
  const N = 6, tauS = 3, k = 2.5;
  const net = new PlasticRateNetwork({ N, g: 1.3, k, tauS, seed: 1 });
  const s = net.initialState(2, 2);
  for (let i = N; i < net.dim; i++) s[i] = Math.sin(i); // an arbitrary A(0)
  const A0 = Float64Array.from(s.subarray(N)), x = Float64Array.from(s.subarray(0, N));
  const p = x.map(Math.tanh);
  const t = 7;
  for (let n = 0; n < 70; n++) net.step(s, { dt: 0.1, neurons: false });
  let worst = 0;
  for (let i = 0; i < N; i++) {
    assert.equal(s[i], x[i]);
    for (let j = 0; j < N; j++) {
      const inf = (k / N) * p[i] * p[j];
      const exact = inf + (A0[i * N + j] - inf) * Math.exp(-t / tauS);
      worst = Math.max(worst, Math.abs(s[N + i * N + j] - exact));
    }
  }
  assert.ok(worst < 1e-8, `RK4 against the exponential: ${worst}`);
  // halting plasticity freezes A exactly
  const before = Float64Array.from(s.subarray(N));
  net.step(s, { dt: 0.1, plastic: false });
  assert.deepEqual(Array.from(s.subarray(N)), Array.from(before));
});

test('run halts plasticity at haltAt: A stays at its value then while the neurons go on', () => {
  const N = 8;
  const net = new PlasticRateNetwork({ N, g: 2, k: 1.5, tauS: 2, seed: 4 });
  const a = net.initialState(9, 1, 'steady'), b = Float64Array.from(a);
  net.run(a, { dt: 0.1, time: 1 });
  const A1 = Float64Array.from(a.subarray(N)), x1 = Float64Array.from(a.subarray(0, N));
  net.run(b, { dt: 0.1, time: 3, haltAt: 1 });
  assert.deepEqual(Array.from(b.subarray(N)), Array.from(A1));
  let moved = 0;
  for (let i = 0; i < N; i++) moved = Math.max(moved, Math.abs(b[i] - x1[i]));
  assert.ok(moved > 1e-3, 'the neurons keep moving after the halt');
  // without the halt A keeps changing
  const c = Float64Array.from(net.initialState(9, 1, 'steady'));
  net.run(c, { dt: 0.1, time: 3 });
  let changed = 0;
  for (let i = 0; i < N * N; i++) changed = Math.max(changed, Math.abs(c[N + i] - A1[i]));
  assert.ok(changed > 1e-4);
});

test('tangent map and explicit joint Jacobian agree with central differences of the flow', () => {
  const N = 4;
  const net = new PlasticRateNetwork({ N, g: 1.5, k: -1.7, tauS: 2, seed: 3 });
  const s = net.initialState(4, 1.5, 'steady');
  for (let i = N; i < net.dim; i++) s[i] += 0.1 * Math.cos(3 * i);
  const n = net.dim, h = 1e-6;
  const Jfull = net.jointJacobian(s);
  const fp = new Float64Array(n), fm = new Float64Array(n);
  let worst = 0;
  for (let c = 0; c < n; c++) {
    const sp = Float64Array.from(s), sm = Float64Array.from(s);
    sp[c] += h; sm[c] -= h;
    net.derivative(sp, fp); net.derivative(sm, fm);
    for (let r = 0; r < n; r++) worst = Math.max(worst, Math.abs((fp[r] - fm[r]) / (2 * h) - Jfull[r * n + c]));
  }
  assert.ok(worst < 1e-7, `explicit Jacobian vs finite differences: ${worst}`);
  const sys = net.tangentSystem();
  const V = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(0.37 * i + 1));
  const out = new Float64Array(2 * n);
  sys.tangent(s, V, 2, out);
  for (let q = 0; q < 2; q++) {
    for (let r = 0; r < n; r++) {
      let e = 0;
      for (let c = 0; c < n; c++) e += Jfull[r * n + c] * V[q * n + c];
      assert.ok(Math.abs(out[q * n + r] - e) < 1e-12);
    }
  }
});

test('the reduced joint spectrum equals the explicit Jacobian\'s eigenvalues (Hebbian and anti-Hebbian)', () => {
  for (const k of [3, -3]) {
    const N = 5, tauS = 4;
    const net = new PlasticRateNetwork({ N, g: 1.8, k, tauS, seed: 11 });
    const s = net.initialState(5, 1, 'steady');
    for (let i = N; i < net.dim; i++) s[i] += 0.05 * Math.sin(i);
    const n = net.dim, J = net.jointJacobian(s);
    const full = eig(Array.from({ length: n }, (_, i) => Array.from(J.subarray(i * n, (i + 1) * n))));
    const red = net.jointSpectrum(s);
    assert.equal(red.re.length, 2 * N);
    assert.equal(red.synapticMultiplicity, N * N - N);
    const used = new Array<boolean>(n).fill(false);
    // each reduced root matches an explicit eigenvalue; the unmatched ones are -1/tau_s
    for (let a = 0; a < red.re.length; a++) {
      let best = -1, bd = Infinity;
      for (let b = 0; b < n; b++) {
        if (used[b]) continue;
        const d = Math.hypot(full.re[b] - red.re[a], full.im[b] - red.im[a]);
        if (d < bd) { bd = d; best = b; }
      }
      assert.ok(bd < 1e-6, `k ${k}: root ${red.re[a]} + ${red.im[a]}i unmatched (${bd})`);
      used[best] = true;
    }
    for (let b = 0; b < n; b++) if (!used[b]) assert.ok(Math.hypot(full.re[b] + 1 / tauS, full.im[b]) < 1e-6, `k ${k}: left-over eigenvalue ${full.re[b]}`);
  }
});

test('freezing a hand-built network lands on its known stable fixed point', () => {
  // J0 = 0 and A = 2 I: each unit obeys dx/dt = -x + 2 tanh x, with stable fixed points +-x*, x* = 2 tanh x*.
  const N = 3;
  const net = new PlasticRateNetwork({ N, g: 0, k: 1, tauS: 10, couplings: new Float64Array(N * N) });
  const s = new Float64Array(net.dim);
  s.set([1, -0.5, 3]);
  for (let i = 0; i < N; i++) s[N + i * N + i] = 2;
  let xs = 2;
  for (let it = 0; it < 200; it++) xs = 2 * Math.tanh(xs);
  const r = net.freeze(s, { dt: 0.05, time: 100, tolerance: 1e-10 });
  assert.ok(r.converged);
  assert.ok(Math.abs(r.xStar[0] - xs) < 1e-9 && Math.abs(r.xStar[1] + xs) < 1e-9 && Math.abs(r.xStar[2] - xs) < 1e-9);
  // the Jacobian there is diagonal: -1 + 2 (1 - tanh^2 x*) for each unit
  const lam = -1 + 2 * (1 - Math.tanh(xs) ** 2);
  for (let i = 0; i < N; i++) assert.ok(Math.abs(r.eigenRe[i] - lam) < 1e-8 && Math.abs(r.eigenIm[i]) < 1e-12);
  assert.ok(r.stable && r.maxRealPart < 0);
  // A = 0.5 I has only x = 0, which the units reach, and freezing there is stable too; A = 2 I started at 0 stays at the unstable 0
  const s0 = new Float64Array(net.dim);
  for (let i = 0; i < N; i++) s0[N + i * N + i] = 2;
  const u = net.freeze(s0, { time: 5 });
  assert.ok(u.converged && !u.stable && Math.abs(u.maxRealPart - 1) < 1e-12);
  assert.throws(() => net.freeze(new Float64Array(3)), /state/);
});
