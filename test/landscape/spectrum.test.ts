import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearInterrupt, InterruptedError, requestInterrupt, Rng, symEig } from '../../lib/core';
import {
  LinearOperator, denseOperator, eigenpairs, hutchinson, lanczos, powerIteration, spectralDensity, tridiagonalEig, materialize,
} from '../../lib/landscape';

/** A = Q diag(d) Q^T with Q a product of two Householder reflections: a non-diagonal operator with a known spectrum. */
function plantedOperator(d: Float64Array, seed: number): LinearOperator & { vector(i: number): Float64Array } {
  const n = d.length;
  const rng = new Rng(seed);
  const us = [0, 1].map(() => {
    const u = Float64Array.from({ length: n }, () => rng.normal());
    const s = Math.sqrt(u.reduce((a, x) => a + x * x, 0));
    return u.map((x) => x / s);
  });
  const reflect = (u: Float64Array, v: Float64Array) => {
    let p = 0;
    for (let i = 0; i < n; i++) p += u[i] * v[i];
    for (let i = 0; i < n; i++) v[i] -= 2 * p * u[i];
  };
  return {
    dim: n,
    apply(v) {
      const w = Float64Array.from(v);
      // A = Q D Q^T with Q = H1 H0 (Householder reflections are their own inverses).
      reflect(us[1], w);
      reflect(us[0], w);
      for (let i = 0; i < n; i++) w[i] *= d[i];
      reflect(us[0], w);
      reflect(us[1], w);
      return w;
    },
    vector(i) {
      const e = new Float64Array(n);
      e[i] = 1;
      reflect(us[0], e);
      reflect(us[1], e);
      return e;
    },
  };
}

function plantedSpectrum(n: number, top: number[], seed: number): Float64Array {
  const rng = new Rng(seed);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = i < top.length ? top[i] : rng.uniform();
  return d;
}

test('Lanczos with full reorthogonalisation recovers a planted top spectrum with small residuals', () => {
  const top = [100, 50, 30, 20, 10];
  const op = plantedOperator(plantedSpectrum(2000, top, 1), 2);
  const r = eigenpairs(op, 5, { steps: 60, seed: 3, progress: 'silent' });
  for (let i = 0; i < 5; i++) {
    assert.ok(Math.abs(r.values[i] - top[i]) < 1e-8 * top[i], `eigenvalue ${i}: ${r.values[i]} vs ${top[i]}`);
    assert.ok(r.residuals[i] < 1e-6, `residual ${i} = ${r.residuals[i]}`);
    // Ritz vector equals the planted eigenvector up to sign.
    const u = op.vector(i);
    const c = Math.abs(u.reduce((a, x, j) => a + x * r.vectors[i][j], 0));
    assert.ok(c > 1 - 1e-8, `eigenvector ${i} overlap ${c}`);
  }
  // Bottom: the bulk lies in [0,1]; the smallest planted value is the min of the uniform draws.
  const d = plantedSpectrum(2000, top, 1);
  const minD = Math.min(...d);
  const b = eigenpairs(op, 1, { which: 'smallest', steps: 200, seed: 4, progress: 'silent' });
  assert.ok(b.values[0] >= minD - 1e-9 && b.values[0] < minD + 0.01, `smallest ${b.values[0]} vs ${minD}`);
});

test('without reorthogonalisation converged eigenvalues reappear as ghost copies; with it there are none', () => {
  const top = [100, 50, 30, 20, 10];
  const op = plantedOperator(plantedSpectrum(2000, top, 1), 2);
  const count = (vals: Float64Array, x: number) => Array.from(vals).filter((v) => Math.abs(v - x) < 1e-6 * x).length;
  const plain = lanczos(op, { steps: 150, reorthogonalize: false, seed: 5, progress: 'silent' });
  const full = lanczos(op, { steps: 150, reorthogonalize: true, seed: 5, progress: 'silent' });
  const ghosts = count(tridiagonalEig(plain.alpha, plain.beta).values, 100);
  const clean = count(tridiagonalEig(full.alpha, full.beta).values, 100);
  assert.ok(ghosts >= 2, `expected ghost copies of 100 without reorthogonalisation, found ${ghosts}`);
  assert.equal(clean, 1);
  // The fully reorthogonalised basis is orthonormal to rounding.
  let worst = 0;
  for (let i = 0; i < full.basis.length; i += 7) {
    for (let j = 0; j < full.basis.length; j += 5) {
      const p = full.basis[i].reduce((a, x, t) => a + x * full.basis[j][t], 0);
      worst = Math.max(worst, Math.abs(p - (i === j ? 1 : 0)));
    }
  }
  assert.ok(worst < 1e-12, `orthogonality loss ${worst}`);
});

test('Lanczos restarts on breakdown and still finds every eigenvalue of a low-rank operator', () => {
  // diag(5,5,3,0,...): the Krylov space of any start has dimension <= 3, so breakdown occurs.
  const d = new Float64Array(30);
  d[0] = 5; d[1] = 5; d[2] = 3;
  const op = plantedOperator(d, 7);
  const r = eigenpairs(op, 3, { steps: 10, seed: 1, progress: 'silent' });
  assert.ok(r.restarts >= 1, 'a restart was expected');
  assert.deepEqual(Array.from(r.values, (x) => Math.round(x * 1e8) / 1e8), [5, 5, 3]);
  for (const res of r.residuals) assert.ok(res < 1e-8);
});

test('deflated power iteration finds the largest-magnitude eigenvalues, including a negative one', () => {
  const d = Float64Array.from({ length: 200 }, (_, i) => (i === 0 ? -20 : i === 1 ? 12 : i === 2 ? 8 : Math.sin(i)));
  const op = plantedOperator(d, 11);
  const r = powerIteration(op, 3, { maxIterations: 2000, tolerance: 1e-13, seed: 2, progress: 'silent' });
  const expect = [-20, 12, 8];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(r.values[i] - expect[i]) < 1e-6 * Math.abs(expect[i]), `${r.values[i]} vs ${expect[i]}`);
});

test('SLQ density integrates to 1 and matches the exact spectrum of a small matrix', () => {
  const n = 60;
  const rng = new Rng(3);
  const a = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i][j] = a[j][i] = rng.normal() / Math.sqrt(n);
  const exact = symEig(a.map((r) => Array.from(r))).values;
  const op = denseOperator(a);
  const sigma = 0.1;
  const slq = spectralDensity(op, { runs: 40, steps: 30, sigma, seed: 9, progress: 'silent' });
  const h = slq.grid[1] - slq.grid[0];
  const integral = slq.density.reduce((s, x) => s + x, 0) * h;
  assert.ok(Math.abs(integral - 1) < 1e-3, `integral ${integral}`);
  assert.equal(slq.sigma, sigma);
  for (const w of slq.weights) assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) - 1) < 1e-10);
  // Exact density smoothed with the same Gaussian.
  let l1 = 0;
  for (let g = 0; g < slq.grid.length; g++) {
    let e = 0;
    for (const l of exact) e += Math.exp(-0.5 * ((slq.grid[g] - l) / sigma) ** 2);
    e /= n * sigma * Math.sqrt(2 * Math.PI);
    l1 += Math.abs(e - slq.density[g]) * h;
  }
  assert.ok(l1 < 0.15, `L1 distance to the exact smoothed density ${l1}`);
  // Moments: quadrature with 30 steps is exact for polynomials of degree < 60 per start vector, so up to the probe noise.
  for (const p of [1, 2, 4]) {
    const exactMoment = exact.reduce((s, l) => s + l ** p, 0) / n;
    let est = 0;
    slq.nodes.forEach((ns, r) => ns.forEach((t, i) => (est += (slq.weights[r][i] * t ** p) / slq.runs)));
    assert.ok(Math.abs(est - exactMoment) < 0.1 * Math.max(1, Math.abs(exactMoment)), `moment ${p}: ${est} vs ${exactMoment}`);
  }
});

test("Hutchinson's Tr(A) and Tr(A^2) lie within three standard errors of the exact values", () => {
  const n = 80;
  const rng = new Rng(5);
  const a = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i][j] = a[j][i] = rng.normal() + (i === j ? 1 : 0);
  let tr = 0;
  let tr2 = 0;
  for (let i = 0; i < n; i++) {
    tr += a[i][i];
    for (let j = 0; j < n; j++) tr2 += a[i][j] ** 2;
  }
  for (const seed of [1, 2, 3]) {
    const h = hutchinson(denseOperator(a), { samples: 300, seed, progress: 'silent' });
    assert.ok(Math.abs(h.trace.value - tr) < 3 * h.trace.standardError, `trace ${h.trace.value} +- ${h.trace.standardError} vs ${tr}`);
    assert.ok(Math.abs(h.traceOfSquare.value - tr2) < 3 * h.traceOfSquare.standardError, `Tr(A^2) ${h.traceOfSquare.value} vs ${tr2}`);
    // The error bar is informative: not absurdly large.
    assert.ok(h.trace.standardError < 0.2 * Math.sqrt(tr2));
  }
});

test('bad input: wrong vector length, k > dim, NaN from the operator', () => {
  const op = denseOperator([[2, 0], [0, 1]]);
  assert.throws(() => eigenpairs(op, 3), /k: expected an integer in \[1, 2\], got 3/);
  assert.throws(() => lanczos(op, { start: new Float64Array(3) }), /start: expected a vector of length 2/);
  const nanOp: LinearOperator = { dim: 4, name: 'broken', apply: (v) => Float64Array.from(v, (x, i) => (i === 2 ? NaN : x)) };
  assert.throws(() => hutchinson(nanOp, { progress: 'silent' }), /broken\.apply\(v\): expected finite values.*NaN at index 2/);
  const shortOp: LinearOperator = { dim: 4, apply: () => new Float64Array(3) };
  assert.throws(() => spectralDensity(shortOp, { progress: 'silent' }), /operator\.apply\(v\): expected a vector of length 4/);
  assert.throws(() => lanczos({ dim: 0, apply: (v: Float64Array) => v }), /op\.dim/);
  assert.throws(() => materialize({} as LinearOperator), /op: expected a LinearOperator/);
});

/** `op` that requests an interrupt inside its `at`-th product, as a callback in a user's operator would. */
function interruptingAt(op: LinearOperator, at: number): LinearOperator & { products: number } {
  const wrapped = {
    dim: op.dim,
    products: 0,
    apply(v: Float64Array) {
      if (++wrapped.products === at) requestInterrupt();
      return op.apply(v);
    },
  };
  return wrapped;
}

function interruption(f: () => unknown): InterruptedError<any> {
  try {
    f();
  } catch (e) {
    clearInterrupt();
    if (e instanceof InterruptedError) return e;
    throw e;
  }
  clearInterrupt();
  throw new Error('expected an InterruptedError');
}

test('an interrupt stops Lanczos, eigenpairs, power iteration, SLQ and Hutchinson before the next product, with what was done', () => {
  const op = plantedOperator(plantedSpectrum(60, [9, 7, 5], 2), 3);
  try {
    // Lanczos: the partial run is the first steps of an uninterrupted one.
    const e = interruption(() => lanczos(interruptingAt(op, 5), { steps: 30 }));
    assert.equal(e.what, 'lanczos');
    assert.match(e.message, /after 5 of 30 steps \(5 products\)/);
    const full = lanczos(op, { steps: 30 });
    assert.equal(e.partial.steps, 5);
    assert.deepEqual(Array.from(e.partial.alpha), Array.from(full.alpha.subarray(0, 5)));
    assert.deepEqual(Array.from(e.partial.beta), Array.from(full.beta.subarray(0, 4)));
    assert.equal(e.partial.basis.length, 5);
    // eigenpairs runs Lanczos: the same stop
    assert.equal(interruption(() => eigenpairs(interruptingAt(op, 3), 2)).partial.steps, 3);
    // power iteration: the eigenpairs found before the interrupt are kept
    const counted = interruptingAt(op, 1e9);
    const two = powerIteration(counted, 2);
    const p = interruption(() => powerIteration(interruptingAt(op, two.products), 3));
    assert.equal(p.what, 'powerIteration');
    assert.equal(p.partial.values.length, 2);
    assert.deepEqual(Array.from(p.partial.values), Array.from(two.values));
    // SLQ: the finished runs' nodes
    const s = interruption(() => spectralDensity(interruptingAt(op, 25), { runs: 4, steps: 10 }));
    assert.equal(s.what, 'spectralDensity');
    assert.equal(s.partial.runs, 2);
    assert.equal(s.partial.nodes.length, 2);
    assert.match(s.message, /in run 3 of 4 \(25 products\)/);
    // Hutchinson: the probes' values so far
    const h = interruption(() => hutchinson(interruptingAt(op, 7), { samples: 50 }));
    assert.equal(h.partial.samples, 7);
    assert.equal(h.partial.quadraticForms.length, 7);
  } finally {
    clearInterrupt();
  }
});

/** Dense A = Q diag(d) Q^T with Q the eigenvectors of a random symmetric matrix: an explicit matrix with a known spectrum. */
function explicitMatrix(d: number[], seed: number): number[][] {
  const n = d.length;
  const rng = new Rng(seed);
  const g = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) g[i][j] = g[j][i] = rng.normal();
  const q = symEig(g).vectors.to2DArray();
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let l = 0; l < n; l++) s += q[i][l] * d[l] * q[j][l];
    return s;
  }));
}

test('eigenpairs on a planted cluster of close eigenvalues: unconverged (one warning) at a small step limit, converged by default', () => {
  // Four eigenvalues 1e-3 apart above a bulk in [0, 0.95]: the cluster needs many more steps than its size.
  const rng = new Rng(21);
  const cluster = [1, 0.999, 0.998, 0.997];
  const d = [...cluster, ...Array.from({ length: 156 }, () => 0.95 * rng.uniform())];
  const a = explicitMatrix(d, 22);
  const op = denseOperator(a);
  const explicitResidual = (v: Float64Array, theta: number) => Math.sqrt(a.reduce((s, row, i) => {
    const r = row.reduce((t, x, j) => t + x * v[j], 0) - theta * v[i];
    return s + r * r;
  }, 0));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  try {
    const short = eigenpairs(op, 4, { steps: 8, maxSteps: 8, seed: 1, progress: 'silent' });
    assert.equal(short.convergence.converged, false);
    assert.equal(short.convergence.iterations, 8);
    assert.ok(short.convergence.residual > short.convergence.tolerance);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /eigenpairs \(k = 4, largest, dense matrix of dim 160\): not converged after 8 iterations/);
    // The reported residual is the explicit one: max_i ||A y_i - theta_i y_i|| / max|theta|.
    const worst = Math.max(...short.vectors.map((v, i) => explicitResidual(v, short.values[i])));
    assert.ok(Math.abs(worst / Math.max(...short.ritzValues.map(Math.abs)) - short.convergence.residual) < 1e-9, `${worst} vs ${short.convergence.residual}`);

    warnings.length = 0;
    const full = eigenpairs(op, 4, { seed: 1, progress: 'silent' });
    assert.equal(warnings.length, 0, warnings.join('\n'));
    assert.equal(full.convergence.converged, true);
    assert.equal(full.convergence.tolerance, 1e-3);
    assert.ok(full.steps > 28 && full.steps <= 112, `steps ${full.steps} (first pass 28, limit 112)`);
    for (let i = 0; i < 4; i++) {
      const r = explicitResidual(full.vectors[i], full.values[i]);
      assert.ok(r <= 1e-3 * full.values[0], `pair ${i}: explicit residual ${r}`);
      assert.ok(Math.abs(r - full.residuals[i]) < 1e-9, `pair ${i}: reported ${full.residuals[i]} vs explicit ${r}`);
      // |lambda - theta| <= r^2 / gap; the gap to the bulk is 0.047, and the cluster's own spacing is resolved.
      assert.ok(Math.abs(full.values[i] - cluster[i]) < 1e-6, `eigenvalue ${i}: ${full.values[i]} vs ${cluster[i]}`);
    }
  } finally {
    console.warn = warn;
  }
});

test('convergence reports of Lanczos, power iteration, SLQ and Hutchinson say what their stopping tests measured', () => {
  // Lanczos: converged only when the Krylov space became invariant (rank-3 operator: the three eigenvectors and the start's null-space part), with the next residual ~0.
  const low = new Float64Array(40);
  low[0] = 4; low[1] = 2; low[2] = 1;
  const lowRun = lanczos(plantedOperator(low, 3), { steps: 10, onBreakdown: 'stop', seed: 2, progress: 'silent' });
  assert.equal(lowRun.steps, 4);
  assert.equal(lowRun.convergence.converged, true);
  assert.ok(lowRun.convergence.residual < 1e-10);
  const fullRank = lanczos(plantedOperator(plantedSpectrum(300, [10, 5], 4), 5), { steps: 20, seed: 2, progress: 'silent' });
  assert.equal(fullRank.convergence.converged, false);
  assert.equal(fullRank.convergence.iterations, 20);
  assert.ok(Math.abs(fullRank.convergence.residual * Math.max(...fullRank.alpha.map(Math.abs), ...fullRank.beta) - fullRank.nextBeta) < 1e-12);
  // Power iteration: an eigengap ratio 0.95 needs hundreds of iterations; 5 are not enough, 5000 are.
  const slow = plantedOperator(Float64Array.from({ length: 100 }, (_, i) => (i === 0 ? 1 : i === 1 ? 0.95 : 0.5 * Math.cos(i))), 6);
  const few = powerIteration(slow, 1, { maxIterations: 5, tolerance: 1e-10, seed: 1, progress: 'silent' });
  assert.equal(few.convergence.converged, false);
  assert.equal(few.convergence.iterations, 5);
  assert.ok(few.convergence.residual > 1e-10);
  const many = powerIteration(slow, 1, { maxIterations: 5000, tolerance: 1e-10, seed: 1, progress: 'silent' });
  assert.equal(many.convergence.converged, true);
  assert.ok(many.convergence.iterations > 5 && many.convergence.iterations < 5000 && many.convergence.residual <= 1e-10);
  assert.ok(Math.abs(many.values[0] - 1) < 1e-6);
  // Hutchinson and SLQ: the relative standard error of the trace estimate, from the probes' own values.
  const n = 50;
  const rng = new Rng(9);
  const a = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i][j] = a[j][i] = 0.3 * rng.normal() + (i === j ? 1 : 0);
  const h = hutchinson(denseOperator(a), { samples: 200, seed: 1, tolerance: 0.05, progress: 'silent' });
  assert.ok(Math.abs(h.convergence.residual - h.trace.standardError / Math.abs(h.trace.value)) < 1e-15);
  assert.equal(h.convergence.converged, h.convergence.residual <= 0.05);
  assert.equal(h.convergence.iterations, 200);
  const s = spectralDensity(denseOperator(a), { runs: 8, steps: 20, seed: 2, tolerance: 1e-6, progress: 'silent' });
  const traces = s.nodes.map((ns, r) => n * ns.reduce((t, x, i) => t + x * s.weights[r][i], 0));
  const mean = traces.reduce((p, q) => p + q, 0) / traces.length;
  const se = Math.sqrt(traces.reduce((p, q) => p + (q - mean) ** 2, 0) / (traces.length - 1) / traces.length);
  assert.ok(Math.abs(s.convergence.residual - se / Math.abs(mean)) < 1e-12);
  assert.equal(s.convergence.converged, false, 'eight probes do not reach a relative error of 1e-6');
});
