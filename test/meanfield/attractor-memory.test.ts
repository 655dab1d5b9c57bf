/**
 * lib/meanfield attractor-memory: networks built from one perceptron solve per unit store their memories as
 * fixed points (every unit's stability recomputed from J by an explicit loop); a hand-built network whose
 * fixed points and basins are known by counting; the incremental-field dynamics against a brute-force loop
 * that recomputes every field; retrievalFraction against its documented seeds; and, on a stated seeded
 * example, balanced networks keeping their memories under output noise that unbalanced ones lose.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../lib/core';
import {
  buildMemoryNetwork, distortMemory, memoryFieldMargins, randomMemories, retrievalFraction, runMemoryDynamics, type MemoryNetwork, type MemoryPatterns,
} from '../../lib/meanfield';

// N = 40, P = 8 (alpha 0.2), 80% E units, coding levels 0.3 (E, the paper's) and 0.3 (I; the paper's 0.15 leaves
// some memories at this N without an active I unit, where no unit that is off can have kappa_out above 1);
// Gamma = 10 sqrt(2000 / N) as the study
const N = 40;
const mem = randomMemories({ N, P: 8, fActInh: 0.3, seed: 3 });
const gamma = 10 * Math.sqrt(2000 / N);
let nets: { balanced: MemoryNetwork; unbalanced: MemoryNetwork } | undefined;
const built = () => (nets ??= {
  balanced: buildMemoryNetwork(mem, { kind: 'balanced', gamma, progress: false }),
  unbalanced: buildMemoryNetwork(mem, { kind: 'unbalanced', progress: false }),
});

/** The field of unit i in state x, by an explicit loop over J's row i. */
const field = (net: MemoryNetwork, x: ArrayLike<number>, i: number) => {
  let h = -1;
  for (let j = 0; j < net.N; j++) h += net.J[i * net.N + j] * x[j];
  return h;
};

test('randomMemories: E units first, coding levels near 0.3 / 0.15', () => {
  const m = randomMemories({ N: 200, P: 50, seed: 1 });
  assert.equal(m.signs.filter((s) => s === 1).length, 160);
  let e = 0, i = 0;
  for (let mu = 0; mu < 50; mu++) for (let k = 0; k < 200; k++) (k < 160 ? (e += m.X[mu * 200 + k]) : (i += m.X[mu * 200 + k]));
  assert.ok(Math.abs(e / 8000 - 0.3) < 0.02 && Math.abs(i / 2000 - 0.15) < 0.02, `${e / 8000} ${i / 2000}`);
});

test('randomMemories redraws a memory with no active E or no active I unit (small-N condition), deterministically', () => {
  // The raw draw, by hand from the same stream: at N = 120 (24 I units at coding level 0.15) seed 301's memory 12
  // has no active I unit (the default run's memory set 301).
  const n = 120, P = 30, nExc = 96, seed = 301;
  const rng = new Rng(seed);
  const raw = Array.from({ length: P }, () => Array.from({ length: n }, (_, i) => (rng.uniform() < (i < nExc ? 0.3 : 0.15) ? 1 : 0)));
  const activeI = (x: ArrayLike<number>) => Array.from(x).slice(nExc).reduce((a, b) => a + b, 0);
  const activeE = (x: ArrayLike<number>) => Array.from(x).slice(0, nExc).reduce((a, b) => a + b, 0);
  const bad = raw.findIndex((x) => activeI(x) === 0 || activeE(x) === 0);
  assert.equal(bad, 12, 'the raw draw has the small-N defect at memory 12');
  const m = randomMemories({ N: n, P, seed });
  for (let mu = 0; mu < P; mu++) {
    const x = m.X.subarray(mu * n, (mu + 1) * n);
    assert.ok(activeE(x) > 0 && activeI(x) > 0, `memory ${mu}: ${activeE(x)} E, ${activeI(x)} I active`);
    if (mu < bad) assert.deepEqual(Array.from(x), raw[mu], `memory ${mu} before the redraw is the raw one`);
  }
  assert.ok((m.redrawn ?? 0) >= 1);
  assert.deepEqual(Array.from(randomMemories({ N: n, P, seed }).X), Array.from(m.X), 'same seed, same memories');
  // tiny N: 2 I units at 0.15 leave most raw memories without an active I unit; every kept one has both
  const t = randomMemories({ N: 10, P: 200, seed: 2 });
  assert.ok((t.redrawn ?? 0) > 100, `${t.redrawn} redraws`);
  for (let mu = 0; mu < 200; mu++) {
    const x = t.X.subarray(mu * 10, (mu + 1) * 10);
    assert.ok(x.subarray(0, 8).some((v) => v === 1) && x[8] + x[9] > 0, `memory ${mu}`);
  }
  // a type with coding level 0 is exempt; a coding level that can almost never activate a type is refused by name
  assert.equal(randomMemories({ N: 10, P: 5, fActInh: 0, seed: 1 }).redrawn, 0);
  assert.throws(() => randomMemories({ N: 10, P: 1, fActInh: 1e-9, seed: 1 }), /fActInh/);
});

test('every memory is a fixed point of both networks: every unit stability > 0, recomputed from J; Dale signs; J_ii = 0', () => {
  for (const net of Object.values(built())) {
    assert.ok(net.memoriesFixed, net.kind);
    const minPerUnit = new Float64Array(N).fill(Infinity);
    for (let mu = 0; mu < mem.P; mu++) {
      const x = mem.X.subarray(mu * N, (mu + 1) * N);
      const m = memoryFieldMargins(net, mem, mu);
      for (let i = 0; i < N; i++) {
        const s = (x[i] ? 1 : -1) * field(net, x, i);
        assert.ok(s > 0, `${net.kind}: unit ${i} unstable in memory ${mu} (${s})`);
        assert.ok(Math.abs(m[i] - s) <= 1e-9 * Math.max(1, Math.abs(s)));
        minPerUnit[i] = Math.min(minPerUnit[i], s);
      }
      // the memory does not move under the noiseless dynamics
      const run = runMemoryDynamics(net, x, { sweeps: 5, seed: mu });
      assert.deepEqual(Array.from(run.state), Array.from(x));
      assert.ok(run.fixedPoint && run.sweeps === 1);
    }
    for (let i = 0; i < N; i++) {
      // the solver's kappa_out for unit i is its smallest stability over the memories: J assembled in place
      assert.ok(Math.abs(net.kappaOut[i] - minPerUnit[i]) <= 1e-9 * Math.max(1, Math.abs(minPerUnit[i])), `${net.kind} unit ${i}: ${net.kappaOut[i]} vs ${minPerUnit[i]}`);
      assert.equal(net.J[i * N + i], 0);
      for (let j = 0; j < N; j++) assert.ok(net.J[i * N + j] * mem.signs[j] >= -1e-9, `${net.kind}: J[${i}][${j}] = ${net.J[i * N + j]} breaks Dale's law`);
    }
  }
});

test('balanced units: |J| at the bound, |IB| (net over total input) well below the IB of the unbalanced units, kappa_out 10x larger', () => {
  const { balanced, unbalanced } = built();
  const med = (a: Float64Array) => Float64Array.from(a).sort()[a.length >> 1];
  let normMin = Infinity;
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += balanced.J[i * N + j] ** 2;
    normMin = Math.min(normMin, Math.sqrt(s));
  }
  assert.ok(normMin > 0.99 * gamma, `${normMin} vs Gamma ${gamma}`);
  const ibB = med(Float64Array.from(balanced.balanceIndex, Math.abs)), ibU = med(unbalanced.balanceIndex);
  assert.ok(ibB < 0.6 * ibU, `|IB| balanced ${ibB}, IB unbalanced ${ibU}`);
  assert.ok(med(balanced.kappaOut) > 10 * med(unbalanced.kappaOut));
});

/** Four E units, J_ij = 0.6 off the diagonal: unit i is on next sweep iff at least 2 others are on. */
const handNet = (): MemoryNetwork => {
  const J = new Float64Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) J[i * 4 + j] = i === j ? 0 : 0.6;
  const z = () => new Float64Array(4);
  return { N: 4, J, signs: Int8Array.from([1, 1, 1, 1]), kind: 'given', kappaOut: z(), kappaIn: z(), balanceIndex: z(), slack: z(), memoriesFixed: true };
};

test('hand-built network: fixed points all-off and all-on; <= 1 unit on falls to all-off, >= 3 rise to all-on; 2 go to one of them', () => {
  const net = handNet();
  for (let s = 0; s < 16; s++) {
    const x = [0, 1, 2, 3].map((b) => (s >> b) & 1);
    const on = x.reduce((a, b) => a + b, 0);
    for (let seed = 0; seed < 4; seed++) {
      const run = runMemoryDynamics(net, x, { sweeps: 10, seed });
      const end = Array.from(run.state).reduce((a, b) => a + b, 0);
      assert.ok(run.fixedPoint, `state ${x} seed ${seed}`);
      if (on <= 1) assert.equal(end, 0);
      else if (on >= 3) assert.equal(end, 4);
      else assert.ok(end === 0 || end === 4);
      if (on === 0 || on === 4) assert.equal(run.sweeps, 1);
    }
  }
  // retrieval of the all-on memory from distorted starts: distortion 1 turns every unit off (coding level 1 units never turn on)
  const m: MemoryPatterns = { N: 4, P: 1, X: Uint8Array.from([1, 1, 1, 1]), signs: Int8Array.from([1, 1, 1, 1]), fActExc: 1, fActInh: 1 };
  assert.equal(retrievalFraction(net, m, { distortion: 0, sweeps: 10, escapeDistance: 1, repeats: 3, seed: 1 }).fraction, 1);
  const r = retrievalFraction(net, m, { distortion: 1, sweeps: 10, escapeDistance: 1, repeats: 3, seed: 1 });
  assert.equal(r.fraction, 0);
  assert.equal(r.initialDistance, 1);
});

test('runMemoryDynamics (incremental fields) against a brute-force loop recomputing every field, with output noise', () => {
  const n = 25, rngJ = new Rng(9);
  const signs = Int8Array.from({ length: n }, (_, i) => (i < 20 ? 1 : -1));
  const J = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) J[i * n + j] = signs[j] * rngJ.uniform() * 0.4;
  const z = () => new Float64Array(n);
  const net: MemoryNetwork = { N: n, J, signs, kind: 'given', kappaOut: z(), kappaIn: z(), balanceIndex: z(), slack: z(), memoriesFixed: false };
  const start: number[] = Array.from({ length: n }, () => (rngJ.uniform() < 0.4 ? 1 : 0));
  const sweeps = 30, sigma = 0.4, seed = 12;
  const run = runMemoryDynamics(net, start, { sigma, sweeps, seed });
  // brute force: the same random order and noise draws, every field from scratch
  const rng = new Rng(seed);
  const x = start.slice();
  const order = Array.from({ length: n }, (_, i) => i);
  const dist: number[] = [];
  for (let t = 0; t < sweeps; t++) {
    for (let i = n - 1; i > 0; i--) {
      const k = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[k]] = [order[k], order[i]];
    }
    for (const i of order) x[i] = field(net, x, i) + sigma * rng.normal() > 0 ? 1 : 0;
    dist.push(x.reduce((a, v, i) => a + (v !== start[i] ? 1 : 0), 0) / n);
  }
  assert.deepEqual(Array.from(run.state), x);
  assert.deepEqual(run.distances, dist);
  assert.ok(dist.some((d) => d > 0), 'the example must move');
});

test('retrievalFraction: distortMemory and runMemoryDynamics with the documented seeds, counted by hand', () => {
  const { unbalanced } = built();
  const o = { distortion: 0.15, sigma: 0.05, sweeps: 20, escapeDistance: 0.3, retrievedDistance: 0.05, memories: 3, repeats: 2, seed: 40 };
  let ok = 0, d0 = 0;
  for (let mu = 0; mu < 3; mu++) {
    const target = mem.X.slice(mu * N, (mu + 1) * N);
    for (let r = 0; r < 2; r++) {
      const s = 40 + 2 * (mu * 2 + r);
      const start = distortMemory(mem, mu, 0.15, new Rng(s));
      d0 += start.reduce((a, v, i) => a + (v !== target[i] ? 1 : 0), 0);
      const end = runMemoryDynamics(unbalanced, start, { sigma: 0.05, sweeps: 20, escapeDistance: 0.3, target, seed: s + 1 }).state;
      if (end.reduce((a, v, i) => a + (v !== target[i] ? 1 : 0), 0) / N <= 0.05) ok++;
    }
  }
  const r = retrievalFraction(unbalanced, mem, o);
  assert.equal(r.runs, 6);
  assert.equal(r.fraction, ok / 6);
  assert.equal(r.initialDistance, d0 / (6 * N));
});

test('distortMemory keeps the mean activity: off-flips p, on-flips p f / (1 - f), per type', () => {
  const m = randomMemories({ N: 400, P: 1, seed: 5 });
  const rng = new Rng(2);
  let onE = 0, offE = 0, nOnE = 0, nOffE = 0;
  for (let rep = 0; rep < 50; rep++) {
    const x = distortMemory(m, 0, 0.2, rng);
    for (let i = 0; i < 320; i++) {
      if (m.X[i]) { nOnE++; if (!x[i]) offE++; } else { nOffE++; if (x[i]) onE++; }
    }
  }
  assert.ok(Math.abs(offE / nOnE - 0.2) < 0.02, `${offE / nOnE}`);
  assert.ok(Math.abs(onE / nOffE - (0.2 * 0.3) / 0.7) < 0.01, `${onE / nOffE}`);
});

test('output noise (stated example: N = 40, alpha = 0.2, sigma = 0.5, 500 sweeps): the balanced network keeps every memory, the unbalanced one none', () => {
  const { balanced, unbalanced } = built();
  const o = { sigma: 0.5, sweeps: 500, escapeDistance: 0.1, retrievedDistance: 0.1, seed: 21 };
  const b = retrievalFraction(balanced, mem, o).fraction, u = retrievalFraction(unbalanced, mem, o).fraction;
  assert.equal(b, 1);
  assert.equal(u, 0);
});
