/** Fuzz table of lib/linear (see harness.ts). Sizes are tiny: a 3 x 4 Syx, a depth-2 tree, 8 x 16 noisy data. */
import type { FuzzEntry, Table } from './harness';
import { dense, noisyTeacher } from '../../lib/linear';

const syx = () => dense(3, 4, Float64Array.from([3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0.5]));
const data = () => noisyTeacher({ inputs: 16, outputs: 8, teacher: [3], seed: 1 });
const tt = () => [0, 1, 5];
const pair = { snrA: 3, snrB: 2, alignment: 0.5, inputs: 16, outputsA: 4, outputsB: 4 };
const num = (path: (string | number)[], ...names: string[]) => ({ path, kind: 'number' as const, names });
const cnt = (path: (string | number)[], ...names: string[]) => ({ path, kind: 'count' as const, names });
const mtx = (path: (string | number)[], ...names: string[]) => ({ path, kind: 'matrix' as const, sized: true, names });
const times = (path: (string | number)[], ...names: string[]) => ({ path, kind: 'numbers' as const, nonEmpty: true, names: ['times', ...names] });

const entries: FuzzEntry[] = [
  { name: 'checkDense', valid: () => ['S', syx()], targets: [mtx([1], 'S')] },
  { name: 'modeStrength', valid: () => [2, 1e-3, 1.5], targets: [num([0], 's'), num([1], 'u0'), num([2], 't')] },
  { name: 'shallowModeStrength', valid: () => [2, 1e-3, 1.5], targets: [num([0], 's'), num([1], 'u0'), num([2], 't')] },
  { name: 'deepModeStrengths', valid: () => [2, 1e-3, tt(), 3], targets: [num([0], 's'), num([1], 'u0'), times([2]), cnt([3], 'depth')] },
  { name: 'modeTransitionTime', valid: () => [2, 1e-3, 3], targets: [num([0], 's'), num([1], 'u0'), cnt([2], 'depth')] },
  {
    name: 'simulateLinearNetwork', valid: () => [{ Syx: syx(), hidden: [4], lr: 0.05, steps: 20, recordEvery: 10, similarityLayer: 1, entries: [[0, 1]] }],
    targets: [mtx([0, 'Syx'], 'options'), num([0, 'lr'], 'options'), cnt([0, 'steps'], 'options'), { path: [0, 'hidden'], kind: 'numbers', names: ['options'] }, { path: [0, 'init'], kind: 'enum', names: ['options'] }, num([0, 'initScale'], 'options')],
  },
  {
    name: 'hierarchicalData', valid: () => [{ depth: 2, branching: 2, features: 10, exceptions: [{ item: 1, level: 1 }] }],
    targets: [cnt([0, 'depth'], 'options'), cnt([0, 'branching'], 'options'), cnt([0, 'features'], 'options'), num([0, 'flipProb'], 'options')],
  },
  { name: 'treeModes', valid: () => [2, 3], targets: [cnt([0], 'depth'), cnt([1], 'branching')] },
  { name: 'treeLevelEigenvalues', valid: () => [2, 3, 0.1], targets: [cnt([0], 'depth'), cnt([1], 'branching'), num([2], 'flipProb')] },
  { name: 'representationalSimilarity', valid: () => [syx()], targets: [mtx([0], 'H')] },
  { name: 'modeSimilarity', valid: () => [syx(), [1, 2, 3, 4]], targets: [mtx([0], 'V', 'strengths'), { path: [1], kind: 'numbers', sized: true, names: ['strengths'] }] },
  { name: 'similarityDistance', valid: () => [syx(), syx()], targets: [mtx([0], 'S1'), mtx([1], 'S2', 'S1')] },
  { name: 'bulkEdge', valid: () => [0.5, 1], targets: [num([0], 'aspect'), num([1], 'noise')] },
  { name: 'detectionThreshold', valid: () => [0.5, 1], targets: [num([0], 'aspect'), num([1], 'noise')] },
  { name: 'spikedSingularValue', valid: () => [2, 0.5, 1], targets: [num([0], 'sBar'), num([1], 'aspect'), num([2], 'noise')] },
  { name: 'spikedOverlaps', valid: () => [2, 0.5, 1], targets: [num([0], 'sBar'), num([1], 'aspect'), num([2], 'noise')] },
  { name: 'marchenkoPasturDensity', valid: () => [1, 0.5, 1], targets: [num([0], 's'), num([1], 'aspect'), num([2], 'noise')] },
  { name: 'bulkQuadrature', valid: () => [0.5, 1, 16], targets: [num([0], 'aspect'), num([1], 'noise'), cnt([2], 'points')] },
  {
    name: 'generalizationTheory', valid: () => [{ teacher: [3, 1.5], inputs: 20, outputs: 10, times: tt(), points: 16 }],
    targets: [{ path: [0, 'teacher'], kind: 'numbers', nonEmpty: true, names: ['options'] }, cnt([0, 'inputs'], 'options'), cnt([0, 'outputs'], 'options'), cnt([0, 'depth'], 'options'), num([0, 'noise'], 'options'), num([0, 'init'], 'options'), times([0, 'times'], 'options')],
  },
  { name: 'optimalStopping', valid: () => [tt(), [3, 1, 2]], targets: [times([0]), { path: [1], kind: 'numbers', sized: true, names: ['errors'] }] },
  {
    name: 'noisyTeacher', valid: () => [{ inputs: 16, outputs: 8, teacher: [3], seed: 1 }],
    targets: [cnt([0, 'inputs'], 'options'), cnt([0, 'outputs'], 'options'), { path: [0, 'teacher'], kind: 'numbers', nonEmpty: true, names: ['options'] }, num([0, 'noise'], 'options'), cnt([0, 'seed'], 'options')],
  },
  {
    name: 'spectralStudentErrors', valid: () => { const d = data(); return [d.data, d.teacher, tt(), { depth: 3 }]; },
    targets: [mtx([0], 'data', 'teacher'), mtx([1], 'teacher', 'data'), times([2]), cnt([3, 'depth'], 'options')],
  },
  { name: 'shrinkSingularValue', valid: () => [3, 0.5, 1], targets: [num([0], 'sHat'), num([1], 'aspect'), num([2], 'noise')] },
  { name: 'optimalShrinkage', valid: () => [data().data, 1], targets: [mtx([0], 'data'), num([1], 'noise')] },
  { name: 'shrinkageError', valid: () => [[3, 1], 0.5, 1], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['teacher'] }, num([1], 'aspect'), num([2], 'noise')] },
  {
    name: 'transferTheory', valid: () => [{ ...pair, times: tt(), points: 16 }],
    targets: [num([0, 'snrA'], 'options'), num([0, 'snrB'], 'options'), num([0, 'alignment'], 'options'), cnt([0, 'inputs'], 'options'), cnt([0, 'outputsA'], 'options'), times([0, 'times'], 'options')],
  },
  { name: 'transferTask', valid: () => [{ ...pair, seed: 2 }], targets: [num([0, 'snrA'], 'options'), num([0, 'alignment'], 'options'), cnt([0, 'outputsB'], 'options')] },
];

const BUILDING_BLOCK = 'an unchecked float64 building block shared with lib/rules (the LDFA theory detects divergence from the NaN it passes through); public entries check their arguments before calling it';
export const table: Table = {
  module: 'linear',
  entries,
  exempt: {
    dense: BUILDING_BLOCK, matmul: BUILDING_BLOCK, transpose: BUILDING_BLOCK, fromMatrix: BUILDING_BLOCK, toMlMatrix: BUILDING_BLOCK, trace: BUILDING_BLOCK,
    frobeniusDistanceSquared: BUILDING_BLOCK, randomNormal: BUILDING_BLOCK, completeBasis: BUILDING_BLOCK, modeProjections: BUILDING_BLOCK,
    quadraticLoss: BUILDING_BLOCK, rankOptimalLoss: BUILDING_BLOCK, randomOrthonormal: BUILDING_BLOCK,
  },
};
