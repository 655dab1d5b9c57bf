/**
 * lib/meanfield/plastic-dmft against the network it describes: the Hebbian DMFT beside PlasticRateNetwork
 * simulated at N = 300 (g = 3, tau_s = 5, k = 0.5 and 1; each unit's mean kept, as in the DMFT's C_x), and the
 * solve's convergence as an assertion. g = 3 and tau_s = 5 keep the correlation time short (half-decay ~4-6),
 * so a 150-tau simulation and a 150-tau path resolve it; at g = 2, tau_s = 10 the decay takes ~30-100 tau and
 * needs the study's long runs (notebooks/neuronal-synaptic-dynamics.ipynb, section (a')).
 *
 * Tolerances (measured 2026-12-06 with this file's settings and seeds): variance within 7% (measured 5.3% / 3.1%),
 * C_x/C_x(0) at lags 1, 2, 4 within 0.06 (measured at most 0.045 / 0.026), margin for the O(1/sqrt N) finite-size and
 * Monte-Carlo differences. The memory-off DMFT misses the k = 0.5 variance by 10.4%, so the test sees the self-coupling.
 * Not k = 1 here: at g = 3, tau_s = 5 its N = 200 / 300 networks differ by 30% in variance (9.32 / 7.15), too far from
 * large N for a seconds-long test (the DMFT gives 7.65-7.83).
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

test('Hebbian DMFT converges and matches a simulated N = 300 network at k = 0.25 and 0.5 (g = 3, tau_s = 5)', () => {
  for (const k of [0.25, 0.5]) {
    const sim = simulate(k);
    const r = solve(k);
    assert.ok(r.converged, `k ${k}: not converged in ${r.iterations} iterations (change ${r.change})`);
    assert.ok(r.tailFraction < 0.1, `k ${k}: the lag window does not hold the decay (tail ${r.tailFraction})`);
    const gapVar = Math.abs(r.variance - sim[0]) / sim[0];
    // measured: +5.3% (k = 0.25: 5.698 vs 5.410), +3.1% (k = 0.5: 6.161 vs 5.976)
    assert.ok(gapVar < 0.07, `k ${k}: variance ${r.variance} vs simulated ${sim[0]}`);
    LAGS.forEach((u, i) => {
      const th = r.autocovariance[Math.round(u / DT)] / r.variance, s = sim[i + 1] / sim[0];
      // measured: at most 0.045 (k = 0.25, lag 4: 0.505 vs 0.460) and 0.026 (k = 0.5, lag 4: 0.584 vs 0.610)
      assert.ok(Math.abs(th - s) < 0.06, `k ${k}, lag ${u}: C/C(0) ${th} vs simulated ${s}`);
    });
    if (k === 0.5) {
      // without the self-coupling the same comparison fails (measured: 5.356 vs 5.976, -10.4%): the test sees the memory term
      const off = solve(k, false);
      assert.ok(Math.abs(off.variance - sim[0]) / sim[0] > 0.07, `memory off: variance ${off.variance} vs ${sim[0]}`);
    }
  }
});
