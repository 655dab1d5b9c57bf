/**
 * lib/circuits/lif-network: the LIF neuron's firing against the closed-form rate (and the exact step count of
 * an ISI), the refractory cap, the exponential synapse against the closed-form trace of its spike train, the
 * Poisson input's mean and variance against Campbell's theorem, and the spike statistics on hand-built trains.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifNetwork, isiCv, lifRate, spikeCountFano } from '../../lib/circuits';

test('under constant current a LIF neuron fires at 1 / (t_ref + tau_m ln((I - V_r) / (I - theta)))', () => {
  for (const [I, reset] of [[1.5, 0], [3, 0.2]]) {
    const dt = 1e-5, tauM = 0.02, tRef = 0.002;
    const net = new LifNetwork({ N: 1, bias: I, dt, tauM, refractory: tRef, reset });
    net.V[0] = reset;
    const run = net.run({ steps: 200000 }); // 2 s
    const t = Array.from(run.spikeTimes);
    // every interval is the same whole number of steps: the refractory steps, then the first step end past theta
    const integrate = tauM * Math.log((I - reset) / (I - 1));
    const steps = Math.round(tRef / dt) + Math.ceil(integrate / dt - 1e-9);
    for (let k = 1; k < t.length; k++) assert.ok(Math.abs(t[k] - t[k - 1] - steps * dt) < 1e-9, `ISI ${t[k] - t[k - 1]} vs ${steps * dt}`);
    const rate = (t.length - 1) / (t[t.length - 1] - t[0]);
    const exact = 1 / (tRef + integrate);
    assert.ok(Math.abs(lifRate(I, { tauM, refractory: tRef, reset }) - exact) < 1e-12);
    // the step quantises the crossing: at most one step late per interval
    assert.ok(rate <= exact && rate >= 1 / (1 / exact + dt), `rate ${rate} vs closed form ${exact}`);
  }
  assert.equal(lifRate(0.9), 0); // below threshold: silent
  const silent = new LifNetwork({ N: 1, bias: 0.9 });
  assert.equal(silent.run({ steps: 20000 }).spikeTimes.length, 0);
});

test('the refractory period caps the rate at 1 / t_ref', () => {
  const tRef = 0.005, dt = 1e-4;
  const net = new LifNetwork({ N: 1, bias: 1e4, refractory: tRef, dt });
  const run = net.run({ steps: 10000 }); // 1 s
  const rate = run.spikeTimes.length / run.duration;
  assert.ok(rate <= 1 / tRef, `rate ${rate}`);
  // one step to cross, then round(t_ref / dt) held: 1 / (t_ref + dt)
  assert.ok(Math.abs(rate - 1 / (tRef + dt)) <= 1, `rate ${rate} vs ${1 / (tRef + dt)}`);
  assert.ok(lifRate(1e4, { refractory: tRef }) < 1 / tRef && lifRate(1e4, { refractory: tRef }) > 0.99 / tRef);
});

test('an exponential synapse integrates a spike train to sum_k (1/tau_s) exp(-(t - t_k)/tau_s), and J s is the recurrent current', () => {
  const tauS = 0.01, w = 0.3;
  // neuron 0 fires regularly from its bias; neuron 1 (silent: negative bias) receives J_10 = w
  const J = Float64Array.from([0, 0, w, 0]);
  const net = new LifNetwork({ N: 2, coupling: J, tauS, bias: Float64Array.from([1.3, -5]) });
  const run = net.run({ steps: 3000, recordEvery: 7 });
  const spikes = Array.from(run.spikeTimes).filter((_, k) => run.spikeNeurons[k] === 0);
  assert.ok(spikes.length > 5);
  for (let r = 0; r < run.samples; r++) {
    const t = (r + 1) * 7 * net.dt;
    let want = 0;
    for (const tk of spikes) if (tk <= t + 1e-12) want += Math.exp(-(t - tk) / tauS) / tauS;
    assert.ok(Math.abs(run.traces[r * 2] - want) < 1e-9 * Math.max(1, want), `t = ${t}: ${run.traces[r * 2]} vs ${want}`);
    assert.ok(Math.abs(run.recurrent[r * 2 + 1] - w * want) < 1e-9 * Math.max(1, want));
  }
  // replacing J recomputes J s from the present traces
  net.setCoupling(Float64Array.from([0, 0, 2 * w, 0]));
  assert.ok(Math.abs(net.recurrentCurrent()[1] - 2 * w * net.s[0]) < 1e-12);
});

test('the filtered Poisson input has mean nu and variance nu / (2 tau_s) (Campbell)', () => {
  const nu = 800, tauS = 0.005, N = 50;
  const net = new LifNetwork({ N, externalRate: nu, externalWeight: 0, tauS, seed: 3, bias: -1 });
  net.run({ steps: 500 }); // transient
  let m = 0, v = 0, n = 0;
  // sample every 20 ms (4 tau_s) so samples are nearly independent
  for (let k = 0; k < 100; k++) {
    net.run({ steps: 200 });
    for (let i = 0; i < N; i++) { m += net.sX[i]; v += net.sX[i] ** 2; n++; }
  }
  m /= n;
  v = v / n - m * m;
  const sdMean = Math.sqrt(nu / (2 * tauS) / n);
  assert.ok(Math.abs(m - nu) < 4 * sdMean, `mean ${m} vs ${nu}`);
  assert.ok(Math.abs(v / (nu / (2 * tauS)) - 1) < 0.1, `variance ${v} vs ${nu / (2 * tauS)}`);
});

test('isiCv and spikeCountFano on hand-built trains', () => {
  // neuron 0 regular (CV 0), neuron 1 intervals 1 and 3 (mean 2, s.d. 1: CV 0.5), neuron 2 too few spikes
  const times = [0, 0, 1, 1, 2, 4, 3, 5];
  const who = [0, 1, 0, 1, 0, 1, 0, 2];
  const cv = isiCv(times, who, 3);
  assert.equal(cv[0], 0);
  assert.ok(Math.abs(cv[1] - 0.5) < 1e-15);
  assert.ok(Number.isNaN(cv[2]));
  // windows of 2 over [0, 6): neuron 0 counts (2, 2, 0) -> mean 4/3, var 8/9 -> Fano 2/3; neuron 1 (2, 0, 1): mean 1, var 2/3
  const f = spikeCountFano(times, who, 3, 2, 0, 6);
  assert.ok(Math.abs(f[0] - 2 / 3) < 1e-12);
  assert.ok(Math.abs(f[1] - 2 / 3) < 1e-12);
  assert.ok(Math.abs(f[2] - 2 / 3) < 1e-12); // one spike in one of three windows: mean 1/3, var 2/9
});
