/**
 * lib/meanfield/plastic-dmft against the network it describes: the Hebbian DMFT beside PlasticRateNetwork
 * simulated at N = 300 (g = 3, tau_s = 5, k = 0 and 0.5, network seed 1; each unit's mean kept, as in the DMFT's C_x), and
 * the solve's convergence as an assertion. g = 3 and tau_s = 5 keep the correlation time short (half-decay ~4-6),
 * so a 150-tau simulation and a 150-tau path resolve it; at g = 2, tau_s = 10 the decay takes ~30-100 tau and
 * needs the study's long runs (notebooks/neuronal-synaptic-dynamics.ipynb, section (a')).
 *
 * Measured 2026-12-07 (session 9, with the control variate): one N = 300 network is not the large-N limit to better than
 * ~7% in variance: at k = 0 network seeds 1 / 2 give 5.070 / 5.381 against the exact Gaussian DMFT's 5.446 (stationaryDmft),
 * and at k = 0.5 5.976 / 6.020 against the DMFT's 6.415. The same network's quenched part sets most of that offset, so the
 * test compares the variance's growth with k, var(0.5) / var(0): simulated 1.179 (seed 1; seed 2: 1.119), DMFT 1.178, within
 * 0.07; without the self-coupling the DMFT's ratio is 1 exactly, which fails it. Each variance within 10% (measured -6.9% at
 * k = 0, +7.3% at k = 0.5) and C_x/C_x(0) at k = 0.5 at lags 1, 2, 4 within 0.06 (at lag 4 the DMFT gives 0.651, this network 0.610).
 * (Session 6's plain Monte-Carlo solve from seed 1 matched this network at k = 0.5 to 3.1% by chance: its slow-mode sampling
 * error, amplified by the near-marginal map, was -4% of the variance; a second seed gave -6% at k = 0.25.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlasticRateNetwork } from '../../lib/circuits';
import { plasticDmft } from '../../lib/meanfield';

const G = 3, TAU_S = 5, N = 300, EVERY = 0.5, DT = 0.2;
const LAGS = [1, 2, 4];

function simulate(k: number): number[] {
  const net = new PlasticRateNetwork({ N, g: G, k, tauS: TAU_S, seed: 1 });
  const run = net.run(net.initialState(101, 1, 'steady'), { dt: 0.1, time: 150, transient: 50, sampleEvery: EVERY });
  const X = run.states, S = run.samples;
  return [0, ...LAGS].map((u) => {
    const l = Math.round(u / EVERY);
    let s = 0;
    for (let t = 0; t + l < S; t++) for (let i = 0; i < N; i++) s += X[t * N + i] * X[(t + l) * N + i];
    return s / (N * (S - l));
  });
}

const solve = (k: number, memory = true) => plasticDmft({ g: G, k, tauS: TAU_S, paths: 120, record: 200, maxLag: 30, burnIn: 30, dt: DT, seed: 1, maxIterations: 80, memory });

test('Hebbian DMFT converges and matches a simulated N = 300 network at k = 0 and 0.5 (g = 3, tau_s = 5)', () => {
  const sim0 = simulate(0), sim = simulate(0.5);
  const r0 = solve(0), r = solve(0.5);
  for (const [name, q] of [['k = 0', r0], ['k = 0.5', r]] as const) {
    assert.ok(q.converged, `${name}: not converged in ${q.iterations} iterations (change ${q.change})`);
    assert.ok(q.tailFraction < 0.1, `${name}: the lag window does not hold the decay (tail ${q.tailFraction})`);
  }
  assert.ok(Math.abs(r0.variance - sim0[0]) / sim0[0] < 0.1, `k = 0: variance ${r0.variance} vs simulated ${sim0[0]}`);
  assert.ok(Math.abs(r.variance - sim[0]) / sim[0] < 0.1, `k = 0.5: variance ${r.variance} vs simulated ${sim[0]}`);
  const simRatio = sim[0] / sim0[0], ratio = r.variance / r0.variance;
  assert.ok(Math.abs(ratio - simRatio) < 0.07, `var(0.5) / var(0): DMFT ${ratio} vs simulated ${simRatio}`);
  LAGS.forEach((u, i) => {
    const th = r.autocovariance[Math.round(u / DT)] / r.variance, s = sim[i + 1] / sim[0];
    assert.ok(Math.abs(th - s) < 0.06, `k = 0.5, lag ${u}: C/C(0) ${th} vs simulated ${s}`);
  });
  // without the self-coupling the growth with k is gone (the ratio is 1): the test sees the memory term
  const off = solve(0.5, false);
  assert.ok(Math.abs(off.variance / r0.variance - simRatio) > 0.07, `memory off: ratio ${off.variance / r0.variance} vs ${simRatio}`);
});
