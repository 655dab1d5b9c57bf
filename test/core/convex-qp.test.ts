/**
 * lib/core quadraticProgram: KKT conditions on random QPs and LPs (with singular P and sign bounds),
 * brute force over every active set on tiny problems, agreement with nnlsGram on a bounds-only problem,
 * and bad input naming its argument.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, nnlsGram, quadraticProgram, Rng, type QuadraticProgram } from '../../lib/core';

/** A random feasible problem: constraints built to hold at a random point x0 with slack. */
function randomProblem(rng: Rng, n: number, m: number, opts: { pRank?: number; signs?: boolean }): QuadraticProgram {
  const k = opts.pRank ?? n;
  const B = Array.from({ length: k * n }, () => rng.normal());
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let a = 0; a < k; a++) P[i * n + j] += B[a * n + i] * B[a * n + j];
  const signs = Array.from({ length: n }, (_, i) => (opts.signs ? [1, -1, 0][i % 3] : 0));
  const x0 = signs.map((s) => (s === 0 ? rng.normal() : s * (0.1 + rng.uniform())));
  const G = new Float64Array(m * n), h = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let gx = 0;
    for (let i = 0; i < n; i++) { G[r * n + i] = rng.normal(); gx += G[r * n + i] * x0[i]; }
    h[r] = gx - rng.uniform();
  }
  const q = Float64Array.from({ length: n }, () => 3 * rng.normal());
  return { n, P, q, G, h, signs };
}

/** Max violation of the KKT conditions, each relative to the data's size. */
function kktViolation(p: QuadraticProgram, s: { x: Float64Array; z: Float64Array; u: Float64Array }): number {
  const { n, q, G, h } = p;
  const m = h.length;
  const signs = p.signs ?? new Array(n).fill(0);
  let worst = 0;
  const scale = 1 + Math.max(...Array.from(q, Math.abs));
  for (let i = 0; i < n; i++) {
    let g = q[i];
    if (p.P) for (let j = 0; j < n; j++) g += (p.P.length === n ? (i === j ? p.P[i] : 0) : p.P[i * n + j]) * s.x[j];
    for (let r = 0; r < m; r++) g -= G[r * n + i] * s.z[r];
    g -= signs[i] * s.u[i];
    worst = Math.max(worst, Math.abs(g) / scale);                      // stationarity
    if (signs[i] !== 0) {
      worst = Math.max(worst, -signs[i] * s.x[i], -s.u[i]);            // bound feasibility, dual sign
      worst = Math.max(worst, Math.abs(signs[i] * s.x[i] * s.u[i]) / scale); // complementarity
    } else worst = Math.max(worst, Math.abs(s.u[i]));
  }
  for (let r = 0; r < m; r++) {
    let gx = -h[r];
    for (let i = 0; i < n; i++) gx += G[r * n + i] * s.x[i];
    worst = Math.max(worst, -gx, -s.z[r], Math.abs(gx * s.z[r]) / scale);
  }
  return worst;
}

test('quadraticProgram meets the KKT conditions on random QPs, singular-P QPs and LPs with sign bounds', () => {
  const rng = new Rng(5);
  for (const [n, m, pRank] of [[4, 6, 4], [12, 30, 12], [12, 30, 5], [25, 60, 25]] as const) {
    const p = randomProblem(rng, n, m, { pRank, signs: true });
    const s = quadraticProgram(p);
    assert.ok(s.convergence.converged, JSON.stringify(s.convergence));
    assert.ok(kktViolation(p, s) < 1e-7, `n ${n}, m ${m}, rank ${pRank}: KKT violation ${kktViolation(p, s)}`);
  }
  // a bounded LP: min c.x over a box written as rows, plus one coupling row
  const lp: QuadraticProgram = { n: 3, q: Float64Array.of(-1, -2, 1), G: Float64Array.of(-1, 0, 0, 0, -1, 0, 0, 0, -1, -1, -1, -1), h: Float64Array.of(-1, -1, -1, -1.5), signs: [1, 1, 1] };
  const s = quadraticProgram(lp);
  assert.ok(kktViolation(lp, s) < 1e-8);
  // by hand: x3 = 0, then x2 = 1 (larger gain), x1 = 0.5 (the coupling row)
  [0.5, 1, 0].forEach((v, i) => assert.ok(Math.abs(s.x[i] - v) < 1e-7, `x${i} = ${s.x[i]}`));
  assert.ok(Math.abs(s.objective - -2.5) < 1e-7);
});

/** Solves a small dense linear system by Gaussian elimination with partial pivoting (null if singular). */
function solveDense(A: number[][], b: number[]): number[] | null {
  const k = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (Math.abs(M[piv][c]) < 1e-12) return null;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let j = c; j <= k; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((row, i) => row[k] / row[i]);
}

test('quadraticProgram equals brute force over every active set on tiny strictly convex problems', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 6; trial++) {
    const n = 3, m = 4;
    const p = randomProblem(rng, n, m, { signs: true });
    const signs = p.signs as number[];
    // all constraints as rows a.x >= b: the G rows, then the bounds
    const rows: { a: number[]; b: number }[] = [];
    for (let r = 0; r < m; r++) rows.push({ a: Array.from(p.G.subarray(r * n, r * n + n)), b: p.h[r] });
    for (let i = 0; i < n; i++) if (signs[i] !== 0) rows.push({ a: Array.from({ length: n }, (_, j) => (j === i ? signs[i] : 0)), b: 0 });
    let best = Infinity, bestX: number[] = [];
    for (let mask = 0; mask < 1 << rows.length; mask++) {
      const act = rows.filter((_, k) => mask & (1 << k));
      if (act.length > n) continue;
      // [P  -A^T; A 0] [x; lambda] = [-q; b]
      const K = act.length + n;
      const A: number[][] = Array.from({ length: K }, () => new Array(K).fill(0));
      const rhs = new Array(K).fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) A[i][j] = p.P![i * n + j];
        act.forEach((r, k) => { A[i][n + k] = -r.a[i]; A[n + k][i] = r.a[i]; });
        rhs[i] = -p.q[i];
      }
      act.forEach((r, k) => { rhs[n + k] = r.b; });
      const sol = solveDense(A, rhs);
      if (!sol) continue;
      const x = sol.slice(0, n);
      if (!rows.every((r) => r.a.reduce((s, v, i) => s + v * x[i], 0) >= r.b - 1e-9)) continue;
      let f = 0;
      for (let i = 0; i < n; i++) { f += p.q[i] * x[i]; for (let j = 0; j < n; j++) f += 0.5 * x[i] * p.P![i * n + j] * x[j]; }
      if (f < best) best = f, bestX = x;
    }
    const s = quadraticProgram(p);
    assert.ok(Math.abs(s.objective - best) < 1e-7 * (1 + Math.abs(best)), `trial ${trial}: ${s.objective} vs brute force ${best}`);
    bestX.forEach((v, i) => assert.ok(Math.abs(s.x[i] - v) < 1e-6, `trial ${trial}: x${i} ${s.x[i]} vs ${v}`));
  }
});

test('with sign bounds only it is nnlsGram\'s problem and gives its solution', () => {
  const rng = new Rng(2);
  const n = 8;
  const p = randomProblem(rng, n, 0, {});
  const C = Float64Array.from(p.q, (v) => -v);
  const want = nnlsGram(p.P!, C, n, 1);
  const got = quadraticProgram({ n, P: p.P, q: p.q, G: new Float64Array(0), h: new Float64Array(0), signs: new Array(n).fill(1) });
  for (let i = 0; i < n; i++) assert.ok(Math.abs(got.x[i] - want[i]) < 1e-7, `x${i}: ${got.x[i]} vs ${want[i]}`);
});

test('quadraticProgram names bad arguments', () => {
  const ok = (): QuadraticProgram => ({ n: 2, P: Float64Array.of(1, 1), q: Float64Array.of(0, 1), G: Float64Array.of(1, 1), h: Float64Array.of(1) });
  const named = (name: string) => (e: unknown) => e instanceof ArgumentError && e.argument === name;
  assert.throws(() => quadraticProgram({ ...ok(), q: Float64Array.of(1) }), named('problem.q'));
  assert.throws(() => quadraticProgram({ ...ok(), G: Float64Array.of(1, 1, 1) }), named('problem.G'));
  assert.throws(() => quadraticProgram({ ...ok(), P: Float64Array.of(1, 2, 3) }), named('problem.P'));
  assert.throws(() => quadraticProgram({ ...ok(), h: Float64Array.of(NaN) }), named('problem.h'));
  assert.throws(() => quadraticProgram({ ...ok(), signs: [1, 2] }), named('signs'));
});
