import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/core';

test('one seed gives the same stream twice; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 100 }, () => a.uniform());
  const xb = Array.from({ length: 100 }, () => b.uniform());
  const xc = Array.from({ length: 100 }, () => c.uniform());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

test('uniform and normal moments match their distributions (seeded, n = 200k)', () => {
  const r = new Rng(7);
  const n = 200_000;
  let s = 0, s2 = 0, z = 0, z2 = 0, z4 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform(); s += u; s2 += u * u;
    const g = r.normal(); z += g; z2 += g * g; z4 += g ** 4;
  }
  assert.ok(Math.abs(s / n - 0.5) < 0.005);
  assert.ok(Math.abs(s2 / n - 1 / 3) < 0.005);
  assert.ok(Math.abs(z / n) < 0.01);
  assert.ok(Math.abs(z2 / n - 1) < 0.01);
  assert.ok(Math.abs(z4 / n - 3) < 0.05);
});

test('int is unbiased over a small range (chi-square) and permutation is a permutation', () => {
  const r = new Rng(1);
  const counts = new Array(6).fill(0);
  const n = 60_000;
  for (let i = 0; i < n; i++) counts[r.int(6)]++;
  const chi2 = counts.reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
  assert.ok(chi2 < 20.5, `chi2 ${chi2} (df 5, p=0.001 cut 20.5)`);
  const p = Array.from(r.permutation(1000)).sort((x, y) => x - y);
  assert.deepEqual(p, Array.from({ length: 1000 }, (_, i) => i));
});

test('child streams depend only on seed and index', () => {
  const a = new Rng(5); a.uniform(); a.uniform();
  const b = new Rng(5);
  assert.equal(a.child(3).uniform(), b.child(3).uniform());
  assert.notEqual(b.child(3).uniform(), b.child(4).uniform());
});

test('bad arguments name themselves', () => {
  assert.throws(() => new Rng(-1), /seed: expected an integer in \[0, 4294967295\], got -1/);
  assert.throws(() => new Rng(1).int(0), /n: expected an integer/);
  assert.throws(() => new Rng(1).sample(3, 4), /k: expected an integer in \[0, 3\], got 4/);
});
