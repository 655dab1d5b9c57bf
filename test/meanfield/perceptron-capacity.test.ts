/**
 * lib/meanfield perceptron-capacity: the replica capacity alpha_c and balanced capacity alpha_b
 * against values from the authors' theory code, closed forms (Cover's 2, 1 at p_out = 1/2 with sign
 * constraints, alpha_u / 2 when unbalanced, Gardner at kappa > 0) and a brute-force minimisation of
 * C(B) on a grid; the Gaussian tail against known values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacityAgainstExcitatoryFraction, capacityOrderParameter, gardnerCapacity, gaussianAverage, gaussianTail, signConstrainedCapacity } from '../../lib/meanfield';
import { ArgumentError } from '../../lib/core';

/**
 * (pOut, fExc, phi, alpha_c, alpha_b) computed by the authors' Theory/critical_solutions.py
 * (ranr01/Rubin2017Balanced at e372517, get_alpha_c_and_alpha_b, scipy 1.17) on 2026-12-06.
 */
const AUTHORS = [
  [0.5, 0.5, 1.0, 1.0, 1.0],
  [0.5, 0.8, 1.0, 1.0, 0.7497391119273522],
  [0.1, 0.8, Math.SQRT1_2, 1.9564509269381873, 1.2490960458972447],
  [0.1, 0.5, Math.SQRT1_2, 1.9564509269381873, 1.9201729200236881],
  [0.1, 0.2, Math.SQRT1_2, 1.6736414025349238, 1.6736414025349238],
  [0.1, 0.8, Math.SQRT2, 1.9564509269381873, 1.6736414025349233],
  [0.5, 0.8, Math.SQRT2, 1.0, 0.8554476779819589],
  [0.3, 0.6, 1.5, 1.118054712640274, 1.118054712640274],
  [0.1, 0.95, Math.SQRT1_2, 1.9564509269381873, 0.48127707619163673],
  [0.1, 0.05, Math.SQRT1_2, 0.8528762050458917, 0.8528762050458917],
] as const;

test('alpha_c and alpha_b match the authors\' theory code to 1e-10', () => {
  for (const [p, f, phi, ac, ab] of AUTHORS) {
    const c = signConstrainedCapacity(f, p, phi);
    assert.ok(Math.abs(c.alphaC - ac) < 1e-10, `alpha_c(${p}, ${f}, ${phi}) = ${c.alphaC}, authors ${ac}`);
    assert.ok(Math.abs(c.alphaB - ab) < 1e-10, `alpha_b(${p}, ${f}, ${phi}) = ${c.alphaB}, authors ${ab}`);
  }
  // B* at f = 0.8, phi = sqrt 2 is the authors' B_star (the largest B of the unbalanced kappa_out branch)
  assert.ok(Math.abs(capacityOrderParameter(0.8, Math.SQRT2).bBalanced - 0.3537436532329046) < 1e-10);
});

test('closed forms: Cover\'s 2 without constraints, 1 with them at p_out = 1/2, alpha_u / 2 when unbalanced', () => {
  assert.ok(Math.abs(gardnerCapacity(0.5).alpha - 2) < 1e-12);
  for (const f of [0.55, 0.7, 0.9]) {
    const c = signConstrainedCapacity(f, 0.5, 1);
    assert.ok(Math.abs(c.alphaC - 1) < 1e-12, `f ${f}: ${c.alphaC}`);
    assert.equal(c.balancedAtCapacity, false);
    assert.ok(c.alphaB < c.alphaC);
  }
  // unbalanced at capacity exactly when f > (1 - f) phi: then C = 1/4 and alpha_c = alpha_u / 2 for any p_out
  for (const [f, p, phi] of [[0.8, 0.1, 2], [0.3, 0.25, 0.3]] as const) {
    const c = signConstrainedCapacity(f, p, phi);
    assert.equal(c.balancedAtCapacity, f <= (1 - f) * phi);
    assert.ok(Math.abs(c.alphaC - gardnerCapacity(p).alpha / 2) < 1e-12);
  }
  // balanced at capacity (f < (1 - f) phi): alpha_c = alpha_b
  const b = signConstrainedCapacity(0.3, 0.5, 1);
  assert.equal(b.balancedAtCapacity, true);
  assert.ok(Math.abs(b.alphaC - b.alphaB) < 1e-15);
});

test('Gardner at kappa > 0, p_out = 1/2: 1 / int_{-kappa}^inf (t + kappa)^2 Dt by quadrature', () => {
  for (const k of [0.5, 1, 2]) {
    const J = gaussianAverage((t) => (t > -k ? (t + k) ** 2 : 0), 1, { dz: 1e-4, zMax: 12 });
    assert.ok(Math.abs(gardnerCapacity(0.5, k).alpha - 1 / J) < 1e-6 / J, `kappa ${k}`);
  }
});

test('alpha_b and alpha_c are 2 alpha_u times the minimum of C(B) over all B and over B <= 0 (grid search)', () => {
  const J = (a: number) => gaussianAverage((t) => (t > a ? (t - a) ** 2 : 0), 1, { dz: 2e-3, zMax: 12 });
  for (const [f, phi] of [[0.8, 1], [0.3, 1.5]] as const) {
    const C = (b: number) => 0.5 * (f * J(b) + (1 - f) * J(-b * phi));
    let best = Infinity, bestNeg = Infinity;
    for (let b = -2; b <= 2; b += 0.01) {
      const c = C(b);
      best = Math.min(best, c);
      if (b <= 1e-12) bestNeg = Math.min(bestNeg, c);
    }
    const op = capacityOrderParameter(f, phi);
    assert.ok(Math.abs(op.cBalanced - best) < 2e-5, `min C: ${op.cBalanced} vs grid ${best}`);
    assert.ok(Math.abs(op.cCapacity - bestNeg) < 2e-5, `min_{B<=0} C: ${op.cCapacity} vs grid ${bestNeg}`);
  }
});

test('capacityAgainstExcitatoryFraction gives signConstrainedCapacity pointwise; bad fractions name the argument', () => {
  const r = capacityAgainstExcitatoryFraction([0.2, 0.5, 0.9], 0.1, Math.SQRT1_2);
  [0.2, 0.5, 0.9].forEach((f, i) => {
    const c = signConstrainedCapacity(f, 0.1, Math.SQRT1_2);
    assert.equal(r.alphaC[i], c.alphaC);
    assert.equal(r.alphaB[i], c.alphaB);
  });
  assert.throws(() => signConstrainedCapacity(1, 0.5), (e: unknown) => e instanceof ArgumentError && e.argument === 'fExc');
  assert.throws(() => capacityAgainstExcitatoryFraction([0.5, 0], 0.5), (e: unknown) => e instanceof ArgumentError && e.argument === 'fExc[1]');
  assert.throws(() => gardnerCapacity(0), (e: unknown) => e instanceof ArgumentError && e.argument === 'pOut');
});

test('gaussianTail: H(0) = 1/2, symmetry, and tail values to 1e-14 relative', () => {
  assert.equal(gaussianTail(0), 0.5);
  // H(x) = erfc(x / sqrt 2) / 2: reference values (mpmath, 30 digits)
  const ref: [number, number][] = [[1, 0.15865525393145705], [2, 0.022750131948179207], [3, 0.0013498980316300945], [5, 2.8665157187919391e-7], [10, 7.6198530241605261e-24], [20, 2.7536241186062337e-89]];
  for (const [x, h] of ref) {
    assert.ok(Math.abs(gaussianTail(x) - h) < 1e-14 * h, `H(${x}) = ${gaussianTail(x)}`);
    assert.ok(Math.abs(gaussianTail(-x) - (1 - h)) < 1e-15);
  }
});
