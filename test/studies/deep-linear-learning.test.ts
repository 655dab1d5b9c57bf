/**
 * lib/studies/deep-linear-learning: each exported reader against a hand-built
 * case, each pool job against the lib/linear call it wraps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { svd } from '../../lib/core';
import { generalizationTheory, modeStrength, noisyTeacher, optimalStopping, shrinkageError, simulateLinearNetwork, spectralStudentErrors, transferTask } from '../../lib/linear';
import * as study from '../../lib/studies/deep-linear-learning';

test('halfTime interpolates the first crossing, returns the first time when already there, and null when never reached', () => {
  assert.equal(study.halfTime([0, 1, 2, 3], [0, 0.2, 0.6, 0.4], 0.4), 1.5);
  assert.equal(study.halfTime([0, 1], [0.7, 0.9], 0.5), 0);
  assert.equal(study.halfTime([0, 1, 2], [0, 0.1, 0.2], 0.5), null);
});

test('levelDistances: mean distance between items by the depth of their lowest common ancestor, from H^T H', () => {
  // Four items on a depth-2 binary tree at 1-D positions 0, 1, 10, 12: pairs (0,1) and (2,3) meet at depth 1, the rest at the root.
  const x = [0, 1, 10, 12];
  const S = x.flatMap((a) => x.map((b) => a * b));
  const d = study.levelDistances(S, 4, 2, 2);
  assert.ok(Math.abs(d[0] - (10 + 12 + 9 + 11) / 4) < 1e-12 && Math.abs(d[1] - (1 + 2) / 2) < 1e-12, `${d}`);
});

test('matchedStageIndex and illusionDepth on hand-written curves', () => {
  assert.equal(study.matchedStageIndex([10, 8, 5, 3, 2, 2], 0.5), 2); // target 2 + 0.5 * 8 = 6
  assert.equal(study.matchedStageIndex([10, 8, 5, 3, 2, 2], 0.1), 4); // target 2.8: 3 is above it, 2 (index 4) below
  assert.equal(study.illusionDepth([0, -0.1, -0.5, -1], -1), 0, 'monotone toward the target');
  assert.ok(Math.abs(study.illusionDepth([0.1, 0.3, 0.2, -1], -2) - 0.1) < 1e-12, 'moved +0.2 the wrong way from 0.1, target magnitude 2');
  assert.throws(() => study.illusionDepth([1], 0), /target/);
});

test('modeJob is simulateLinearNetwork on randomModesSyx, whose singular values are s; aligned two-layer runs follow a(t)', () => {
  const args = { s: [2, 1], outputs: 3, inputs: 4, hidden: [5], init: 'aligned' as const, initScale: 1e-3, lr: 0.005, time: 8, seed: 1, recordEvery: 100 };
  const r = study.modeJob(args);
  const { Syx } = study.randomModesSyx(args.s, 3, 4, 1001);
  assert.deepEqual(Array.from(svd(Syx).s).slice(0, 2).map((v) => +v.toFixed(12)), [2, 1]);
  const direct = simulateLinearNetwork({ Syx, hidden: [5], lr: 0.005, steps: 1600, init: 'aligned', initScale: 1e-3, seed: 1, recordEvery: 100, modes: 2 });
  assert.deepEqual(r.strengths[1], direct.records.map((x) => x.modeStrengths[1]));
  assert.ok(study.modeGap(r) < 0.02 && study.modeGap(r) > 0, `${study.modeGap(r)}`);
  assert.ok(Math.abs(r.strengths[0][4] - modeStrength(2, 1e-3, r.times[4])) < 0.05);
});

test('treeJob labels the modes by tree level and records the exception; similarityAgreement of a run with itself is 0', () => {
  const base = { depth: 2, branching: 2, features: 400, flipProb: 0.1, dataSeed: 3, hidden: [8], init: 'aligned' as const, initScale: 1e-4, lr: 0.05, time: 10, seed: 0, recordEvery: 10, exception: { item: 1, level: 1 } };
  const r = study.treeJob(base);
  assert.deepEqual(r.modeLevels, [0, 1, 2, 2]);
  assert.ok(Math.abs(r.exceptionTarget + 1 / Math.sqrt(400)) < 1e-15, 'the exception item lacks the feature, scaled by 1/sqrt(F)');
  const [same] = study.similarityAgreement([r, r], [0.5]);
  assert.equal(same.maxPairDistance, 0);
  assert.ok(same.maxTheoryDistance < 1e-6, `aligned balanced start: H^T H = V A V^T (${same.maxTheoryDistance})`);
});

test('generalizationJob and transferJob report what lib/linear computes for the same draw', () => {
  const g = study.generalizationJob({ teacher: [3], inputs: 20, outputs: 10, hidden: 10, init: 'aligned', initScale: 1e-5, lr: 0.01, time: 2, recordEvery: 50, seed: 4 });
  const t = noisyTeacher({ inputs: 20, outputs: 10, teacher: [3], seed: 4 });
  const flow = spectralStudentErrors(t.data, t.teacher, g.times, { init: 1e-5 });
  g.test.forEach((e, i) => assert.ok(Math.abs(e - flow.test[i]) < 0.05 * Math.max(1, flow.test[i]), `t ${g.times[i]}: GD ${e}, flow ${flow.test[i]}`));
  assert.ok(Math.abs(g.train[0] - 1) < 1e-4 && g.train[0] < 1, `train error at t = 0: ${g.train[0]} (1 - O(eps): the start is eps along every mode)`);
  const times = [0, 1, 2, 4];
  const a = { snrA: 2, snrB: 3, alignment: 0.5, inputs: 30, outputsA: 10, outputsB: 10, times, seed: 2 };
  const tj = study.transferJob(a);
  const task = transferTask(a);
  assert.equal(tj.alone, optimalStopping(times, spectralStudentErrors(task.dataA, task.teacherA, times).test).error);
  assert.equal(tj.joint, optimalStopping(times, spectralStudentErrors(task.joint, task.teacherA, times).test).error);
});

test('shrinkageComparison is generalizationTheory stopped at its minimum beside shrinkageError; reproductionRows format the numbers given', () => {
  const times = [0, 0.5, 1, 1.5, 2, 3];
  const [row] = study.shrinkageComparison([4], [1, 0.5], 50, 25, times);
  const th = generalizationTheory({ teacher: [4, 2], inputs: 50, outputs: 25, init: 1e-5, times });
  assert.equal(row.stoppedGd, optimalStopping(times, th.test).error);
  assert.equal(row.shrinkage, shrinkageError([4, 2], 0.5));
  const rows = study.reproductionRows({
    modeGap: [{ depth: 2, gap: 0.0123 }], transitionError: 0.005, levelOrder: true, levelHalfTimes: [1, 2], splitTimes: [1.5], illusion: { deep: [0.1, 0.2, 0.3], shallow: [0] },
    rsm: [{ fraction: 0.5, maxPairDistance: 0.01, maxTheoryDistance: 0.02, stageChange: null }], generalization: [], transfer: [{ snrA: 3, alignment: 1, theory: 0.25, mc: [0.2, 0.3] }],
    settings: { modes: 'm', tree: 't', generalization: 'g', transfer: 'x' },
  });
  assert.equal(rows[0].measured, 'max |u_sim - u_theory| / s_max = 1.23e-2');
  assert.match(rows[1].measured, /0\.50%/);
  assert.match(rows[3].measured, /deep: 0\.200 \(0\.100-0\.300\)/);
  assert.match(rows[rows.length - 1].measured, /theory 0\.250; Monte Carlo 0\.250 \(0\.200-0\.300\)/);
});
