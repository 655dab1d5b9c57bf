import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnmfResult, cnmf, syntheticSequences } from '../../lib/cnmf';
import {
  activeBins, bestFit, costCrossing, estimatedRunSeconds, factorsToShow, groupResults, lambdaSweepFigure, loadingsFigure, lossAt, lossBand,
  motifsSideBySide, PAPER_LOSS, reproductionRows, scaleToUnit, songbirdJobs, songbirdLossFigure, songbirdMeasured,
  songbirdMotifsFigure, spectrogramFigure, splitColumns, STUDY_MODULE, syntheticJobs, syntheticLossFigure, syntheticMeasured,
  thinned, timeToLoss,
} from '../../lib/studies/convolutive-nmf';

/** A run with a hand-made loss and time history (the fields the readers use). */
function run(loss: number[], time: number[], solver: 'mu' | 'hals' | 'anls' = 'hals'): CnmfResult {
  return { N: 1, K: 1, L: 1, T: 1, solver, W: new Float64Array(1), H: new Float64Array(1), lossHistory: loss, timeHistory: time, iterations: loss.length - 1, stopReason: 'time',
    convergence: { iterations: loss.length - 1, residual: 0.5, tolerance: 0, converged: false, measure: 'relative decrease' } };
}

const R = run([1, 0.5, 0.3, 0.2], [0.1, 0.4, 0.9, 1.5]);

test('lossAt reads the last loss recorded by a time; before the first record it is the initial loss', () => {
  assert.equal(lossAt(R, 0.05), 1); // budget before the first record
  assert.equal(lossAt(R, 0.1), 1);
  assert.equal(lossAt(R, 0.4), 0.5); // a record exactly at the time counts
  assert.equal(lossAt(R, 0.89), 0.5);
  assert.equal(lossAt(R, 1.0), 0.3);
  assert.equal(lossAt(R, 100), 0.2);
  assert.throws(() => lossAt(run([1, 2], [0]), 1), /^ArgumentError: r: /);
});

test('timeToLoss is the first time the loss is at or below the target, null when never reached', () => {
  assert.equal(timeToLoss(R, 1), 0.1);
  assert.equal(timeToLoss(R, 0.3), 0.9); // reached exactly
  assert.equal(timeToLoss(R, 0.25), 1.5);
  assert.equal(timeToLoss(R, 0.1), null); // never reached
  // not monotone: the first crossing counts
  assert.equal(timeToLoss(run([1, 0.4, 0.6, 0.3], [0, 1, 2, 3]), 0.5), 1);
});

test('thinned keeps the first and last point, every stride-th between, and at most the cap', () => {
  const n = 10;
  const r = run(Array.from({ length: n }, (_, i) => 10 - i), Array.from({ length: n }, (_, i) => i / 10));
  const t = thinned(r, 4); // stride ceil(9 / 3) = 3: 0, 3, 6, 9
  assert.deepEqual(t.y, [10, 7, 4, 1]);
  assert.deepEqual(t.x, [0, 0.3, 0.6, 0.9]);
  assert.deepEqual(thinned(r, 3).y, [10, 5, 1]); // stride 5: 0, 5 and the last, 9
  assert.deepEqual(thinned(r, 50).y, r.lossHistory); // under the cap: everything
  for (let cap = 2; cap <= 12; cap++) {
    for (const len of [1, 2, 3, 7, 10, 11, 100, 1501]) {
      const h = run(Array.from({ length: len }, (_, i) => i), Array.from({ length: len }, (_, i) => i));
      const y = thinned(h, cap).y;
      assert.ok(y.length <= cap, `cap ${cap}, n ${len}: ${y.length} points`);
      assert.equal(y[y.length - 1], len - 1, 'the last point is kept');
      assert.equal(y[0], 0, 'the first point is kept');
    }
  }
  assert.throws(() => thinned(r, 1), /maxPoints/);
});

test('lossBand: median, min and max over runs of the loss reached by each grid time', () => {
  const runs = [run([3, 1], [0, 1]), run([4, 2], [0, 2]), run([5, 0], [0, 3])];
  const b = lossBand(runs, [0, 1, 2, 3]);
  // at t=0: 3, 4, 5; t=1: 1, 4, 5; t=2: 1, 2, 5; t=3: 1, 2, 0
  assert.deepEqual(b.median, [4, 4, 2, 1]);
  assert.deepEqual(b.lower, [3, 1, 1, 0]);
  assert.deepEqual(b.upper, [5, 5, 5, 2]);
  assert.deepEqual(lossBand([runs[0], runs[1]], [1]).median, [2.5]); // even count: mean of the middle two
});

test('syntheticMeasured: the loss at the budget, the iterations, and the time to MU loss at its budget', () => {
  const runs = {
    mu: run([1, 0.6, 0.5, 0.4], [0, 1, 2, 4], 'mu'), // at budget 3: 0.5
    hals: run([1, 0.45, 0.2], [0, 0.5, 2.5]),
    anls: run([1, 0.7, 0.55], [0, 1, 3]), // never reaches 0.5
  };
  const m = syntheticMeasured(runs, 3);
  assert.deepEqual(m, {
    mu: { lossAtBudget: 0.5, iterations: 3, timeToMuFinalLoss: 2 },
    hals: { lossAtBudget: 0.2, iterations: 2, timeToMuFinalLoss: 0.5 },
    anls: { lossAtBudget: 0.55, iterations: 2, timeToMuFinalLoss: null },
  });
});

test('songbirdMeasured pairs each run with the MU run of the same seed', () => {
  const runs = {
    mu: [run([1, 0.7], [0, 5], 'mu'), run([1, 0.55], [0, 20], 'mu')],
    hals: [run([1, 0.6, 0.5], [0, 2, 12]), run([1, 0.6, 0.52], [0, 3, 4])],
    anls: [run([1, 0.8], [0, 1]), run([1, 0.54], [0, 8])],
  };
  const m = songbirdMeasured(runs, 30);
  assert.deepEqual(m.mu.lossAtBudget, [0.7, 0.55]);
  assert.deepEqual(m.mu.lossAt10s, [0.7, 1]); // seed 1's MU has no record by 10 s
  assert.deepEqual(m.hals.timeToMuFinalLoss, [2, 4]); // 0.7 for seed 0, 0.55 for seed 1
  assert.deepEqual(m.anls.timeToMuFinalLoss, [null, 8]);
  assert.deepEqual(m.hals.timeTo056, [12, 4]);
  assert.deepEqual(m.mu.timeTo056, [null, 20]);
  // with a budget under 10 s, "at 10 s" reads the budget
  assert.deepEqual(songbirdMeasured(runs, 3).hals.lossAt10s, [0.6, 0.6]);
});

test('syntheticJobs: longest budgets first, each job names this module and carries its T, solver and budget', () => {
  const jobs = syntheticJobs({ N: 20, K: 2, L: 3, T: [50, 80, 90], budgets: [3, 5, 3], dataSeed: 0, initSeed: 1 });
  assert.deepEqual(jobs.map((j) => `${j.key}:${j.solver}`), [
    '80:mu', '80:hals', '80:anls', '50:mu', '50:hals', '50:anls', '90:mu', '90:hals', '90:anls',
  ]);
  const j = jobs[0].job;
  assert.equal(j.module, STUDY_MODULE);
  assert.equal(j.export, 'cnmfJob');
  assert.deepEqual(j.args!.synthetic, { N: 20, T: 80, K: 2, L: 3, seed: 0 });
  assert.equal(j.args!.options.timeLimit, 5);
  assert.equal(j.args!.options.seed, 1);
  assert.throws(() => syntheticJobs({ N: 20, K: 2, L: 3, T: [50], budgets: [3, 4], dataSeed: 0, initSeed: 1 }), /budgets: expected 1 budgets/);
  const X = { rows: 2, cols: 4, data: new Float64Array(8) };
  const song = songbirdJobs(X, { K: 1, L: 2, seeds: [4, 7], budget: 2 });
  assert.deepEqual(song.map((s) => `${s.key}:${s.solver}:${s.job.args!.options.seed}`), ['4:mu:4', '4:hals:4', '4:anls:4', '7:mu:7', '7:hals:7', '7:anls:7']);
});

test('groupResults puts each result back under its key and solver', () => {
  const jobs = syntheticJobs({ N: 20, K: 2, L: 3, T: [50, 80], budgets: [3, 5], dataSeed: 0, initSeed: 1 });
  const results = jobs.map((j) => `${j.key}-${j.solver}`);
  const { byKey, bySolver } = groupResults(jobs, results);
  assert.deepEqual([...byKey.keys()], [80, 50]); // the order the keys first appear among the jobs (longest budget first)
  assert.deepEqual(byKey.get(80), { mu: '80-mu', hals: '80-hals', anls: '80-anls' });
  assert.deepEqual(bySolver.hals, ['80-hals', '50-hals']);
  const song = songbirdJobs({ rows: 1, cols: 2, data: new Float64Array(2) }, { K: 1, L: 1, seeds: [7, 4], budget: 1 });
  assert.deepEqual(groupResults(song, song.map((j) => j.key)).bySolver.mu, [7, 4]); // seeds in the order given
  assert.throws(() => groupResults(jobs, results.slice(1)), /results: expected 6 results/);
});

test('splitColumns: the first `at` columns and the rest, row by row', () => {
  const X = { rows: 2, cols: 5, data: Float64Array.from([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]) };
  const { train, test: held } = splitColumns(X, 3);
  assert.deepEqual({ ...train, data: [...train.data] }, { rows: 2, cols: 3, data: [0, 1, 2, 10, 11, 12] });
  assert.deepEqual({ ...held, data: [...held.data] }, { rows: 2, cols: 2, data: [3, 4, 13, 14] });
  assert.throws(() => splitColumns(X, 5), /at: expected an integer in \[1, 4\]/);
});

test('bestFit picks the lowest final loss (the first of equals); activeBins counts entries above the threshold per row', () => {
  const a = run([1, 0.5, 0.4], [0, 1, 2]);
  const b = run([1, 0.3], [0, 1]);
  const c = run([1, 0.9, 0.3], [0, 1, 2]);
  assert.equal(bestFit([a, b, c]), b);
  assert.equal(bestFit([a]), a);
  assert.deepEqual(activeBins(Float64Array.from([0, 0.002, 0.001, 5, 0, 0, 0, 1e-4]), 2, 4), [2, 0]);
  assert.deepEqual(activeBins([0, 0.002, 0.001, 5], 1, 4, 0.0015), [2]);
});

test('motifsSideBySide lays motif k of the lag-major W out as N rows of L lags, gaps of zeros between', () => {
  // N = 2, K = 2, L = 2: W[(l*N + n)*K + k] = 1000 (k+1) + 10 n + l
  const [N, K, L] = [2, 2, 2];
  const W = new Float64Array(L * N * K);
  for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) W[(l * N + n) * K + k] = 1000 * (k + 1) + 10 * n + l;
  assert.deepEqual(motifsSideBySide(W, N, K, L, [1, 0], 1), [
    [2000, 2001, 0, 1000, 1001],
    [2010, 2011, 0, 1010, 1011],
  ]);
  assert.deepEqual(motifsSideBySide(W, N, K, L, [0], 3), [[1000, 1001], [1010, 1011]]);
});

test('factorsToShow: significant factors by p-value, else the lowest p-values', () => {
  assert.deepEqual(factorsToShow([0.5, 0.001, 1, 0.003, 0.2], [false, true, false, true, false]), { factors: [1, 3], significant: true });
  assert.deepEqual(factorsToShow([0.5, 0.2, 1, 0.3], [false, false, false, false]), { factors: [1, 3, 0], significant: false });
  assert.deepEqual(factorsToShow([0.5, 0.2], [false, false], 1), { factors: [1], significant: false });
});

test('scaleToUnit and costCrossing: the crossing of two curves interpolated in log x', () => {
  assert.deepEqual(scaleToUnit([2, 4, 3]), [0, 1, 0.5]);
  assert.deepEqual(scaleToUnit([7, 7]), [0, 0]);
  // d = a - b goes -0.75 -> 0.75 between 1e-1 and 1e-3: halfway in log10, at 1e-2
  const x = costCrossing([1e-1, 1e-3], [0, 1], [0.75, 0.25]);
  assert.ok(x !== null && Math.abs(x - 1e-2) < 1e-15, `${x}`);
  // a quarter of the way: d = -0.25 -> 0.75, log10 x = -1 + 0.25 * (-2)
  const q = costCrossing([1e-1, 1e-3], [0, 1], [0.25, 0.25]);
  assert.ok(q !== null && Math.abs(q - 10 ** -1.5) < 1e-15, `${q}`);
  // equal at a sweep point: that point
  assert.equal(costCrossing([1, 0.1, 0.01], [0, 0.5, 1], [1, 0.5, 0]), 0.1);
  assert.equal(costCrossing([1, 0.1], [0, 0.2], [1, 0.5]), null);
  assert.throws(() => costCrossing([1, 0.1], [0], [1, 0.5]), /a, b: expected 2 values each/);
});

test('loss figures: thinned curves per solver, the band of the songbird figure, the paper markers where the paper has a value', () => {
  const runs = { mu: run([1, 0.5], [0, 1], 'mu'), hals: run([1, 0.4], [0, 2]), anls: run([1, 0.3], [0, 3], 'anls') };
  const f500 = syntheticLossFigure(runs, { N: 5, T: 500, K: 1, L: 1 });
  assert.equal(f500.data.length, 4);
  assert.deepEqual(f500.data[1].y, [1, 0.4]);
  assert.deepEqual(f500.data[3].y, [PAPER_LOSS['synthetic T=500'].mu, PAPER_LOSS['synthetic T=500'].hals, PAPER_LOSS['synthetic T=500'].anls]);
  assert.deepEqual(f500.data[3].x, [60, 60, 60]);
  assert.equal(syntheticLossFigure(runs, { N: 5, T: 2500, K: 1, L: 1 }).data.length, 3); // no paper value at T = 2500
  const song = { mu: [runs.mu, run([2, 0.2], [0, 1], 'mu')], hals: [runs.hals], anls: [runs.anls] };
  const f = songbirdLossFigure(song, { K: 1, L: 1, budget: 2 });
  assert.equal(f.data.length, 9); // upper, lower and median per solver, no paper markers under 60 s
  const grid = f.data[2].x as number[];
  assert.equal(grid.length, 201);
  assert.equal(grid[200], 2);
  assert.deepEqual(f.data[2].y, lossBand(song.mu, grid).median);
  assert.equal((f.data[2].y as number[])[0], 1.5); // median of 1 and 2 at t = 0
  assert.equal((f.data[0].y as number[])[200], 0.5); // upper edge at the budget
  assert.equal(songbirdLossFigure(song, { K: 1, L: 1, budget: 60 }).data.length, 10);
});

test('image and loading figures show the data they are given', () => {
  const [N, K, L] = [2, 2, 2];
  const W = Float64Array.from({ length: L * N * K }, (_, i) => i + 1);
  assert.deepEqual(songbirdMotifsFigure(W, { F: N, K, L, fs: 200 }).data[0].z, motifsSideBySide(W, N, K, L, [0, 1], 3));
  const X = { rows: 2, cols: 5, data: Float64Array.from([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]) };
  const spec = spectrogramFigure(X, 10, 2);
  assert.deepEqual(spec.data[0].z, [[0, 2, 4], [10, 12, 14]]);
  assert.deepEqual(spec.data[0].x, [0, 0.2, 0.4]);
  const H = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const lf = loadingsFigure(H, 3, 2, [1], (k) => `row ${k}`, 'title', 'loading');
  assert.deepEqual(lf.data[0].x, [0, 0.5, 1]);
  assert.deepEqual(lf.data[0].y, [4, 5, 6]);
  assert.equal(lf.data[0].name, 'row 1');
  const sweep = lambdaSweepFigure([0.1, 0.01], [0, 1], [1, 0], 0.05);
  assert.deepEqual(sweep.data[2].x, [0.05, 0.05]);
});

test('reproductionRows: one row per T and solver, the songbird medians with range, the seqNMF crossing and counts', () => {
  const lossRow = (v: number) => ({ mu: { lossAtBudget: v }, hals: { lossAtBudget: v / 2 }, anls: { lossAtBudget: v / 4 } });
  const sm = (a: number[]) => ({ lossAtBudget: a, lossAt10s: a.map((x) => x + 0.1), timeToMuFinalLoss: [], timeTo056: [] });
  const rows = reproductionRows({
    T: [500, 2500], budgets: [3, 5],
    synthetic: { N: 250, K: 5, L: 20, measured: { 'T=500': lossRow(0.08), 'T=2500': lossRow(0.1) } },
    songbird: { K: 3, L: 50, seeds: 3, budget: 4, measured: { mu: sm([0.556, 0.548, 0.557]), hals: sm([0.5, 0.6, 0.55]), anls: sm([0.54, 0.54, 0.54]) } },
    seqnmf: { lambda: 0.005, lambdas: 6, iterations: 40, K: 10, crossing: 0.004675, significantPerSeed: [3, 3, 2], seeds: 3 },
  });
  assert.equal(rows.length, 2 * 3 + 3 + 2 + 2);
  assert.deepEqual(rows[0], { experiment: 'synthetic T=500', solver: 'MU', quantity: 'relative loss at budget', paper: '0.03 at 60 s', measured: '0.0800 at 3 s', settings: 'N=250 K=5 L=20, 1 init, 1 core per run' });
  assert.equal(rows[4].paper, '-'); // no paper value at T = 2500
  assert.equal(rows[5].measured, '0.0250 at 5 s');
  assert.equal(rows[6].measured, '0.556 (0.548-0.557) at 4 s');
  assert.equal(rows[7].measured, '0.550 (0.500-0.600) at 4 s');
  assert.equal(rows[9].measured, '0.650 (0.600-0.700)'); // HALS at 10 s
  assert.equal(rows[11].measured, '4.68e-3');
  assert.equal(rows[12].measured, '3 (2-3)');
});

test('estimatedRunSeconds: budgets of every solver run, 0.03 s per seqNMF iteration, shared by the workers, plus 30 s', () => {
  // (3 + 5) * 3 + 3 * 3 * 4 = 60 solver seconds; (6 + 3) * 40 * 0.03 = 10.8 seqNMF seconds; over 2 workers
  const e = estimatedRunSeconds({ syntheticBudgets: [3, 5], solvers: 3, songSeeds: 3, songBudget: 4, seqFits: 9, seqIterations: 40, workers: 2 });
  assert.ok(Math.abs(e - (30 + 5.4 + 30)) < 1e-12, `${e}`);
});

test('cnmfJob in a pool worker gives the in-process fit', async () => {
  const { runJobs, jobValues, closeDefaultPool } = await import('../../lib/core');
  const synthetic = { N: 10, T: 120, K: 2, L: 6, seed: 3 };
  const options = { K: 2, L: 6, solver: 'anls' as const, maxIterations: 5, seed: 4 };
  try {
    const [remote] = jobValues(await runJobs([{ module: STUDY_MODULE, export: 'cnmfJob', args: { synthetic, options } }], { progress: false })) as Awaited<ReturnType<typeof cnmf>>[];
    const local = cnmf(syntheticSequences(synthetic).X, options);
    assert.equal(remote.iterations, 5);
    for (let i = 0; i <= 5; i++) assert.ok(Math.abs(remote.lossHistory[i] - local.lossHistory[i]) < 1e-12 * local.lossHistory[i]);
  } finally {
    await closeDefaultPool();
  }
});
