/** Fuzz table of lib/geometry (see harness.ts). */
import type { FuzzEntry, Table } from './harness';

const samples = () => Float64Array.from({ length: 12 * 3 }, (_, i) => Math.sin(1.7 * i) + 0.1 * (i % 3));

const entries: FuzzEntry[] = [
  { name: 'participationRatioOfSpectrum', valid: () => [[3, 1, 0.5]], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['eigenvalues'] }] },
  {
    name: 'crossBlockParticipationRatio', valid: () => [samples(), 12, 3, { blocks: 2 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['long'], names: ['X'] }, { path: [1], kind: 'count', names: ['samples'] }, { path: [2], kind: 'count', names: ['dim'] }, { path: [3, 'blocks'], kind: 'count', names: ['options'] }],
  },
  { name: 'pca', valid: () => [Float64Array.from({ length: 18 }, (_, i) => Math.sin(i * 1.3)), 3, 2], targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['long'], names: ['rows'] }, { path: [1], kind: 'count', names: ['dim'] }, { path: [2], kind: 'count', names: ['k'] }] },
  ...(['cca', 'svcca', 'linearCka'] as const).map((name): FuzzEntry => ({
    name, valid: () => [samples(), 3, samples().map((v, i) => v * v + (i % 5)), 3],
    targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['long'], names: ['x'] }, { path: [1], kind: 'count', names: ['xDim'] }, { path: [2], kind: 'numbers', sized: true, skip: ['long'], names: ['y'] }, { path: [3], kind: 'count', names: ['yDim'] }],
  })),
  ...(['ccaNullMeanSquare', 'ckaNullExpectation'] as const).map((name): FuzzEntry => ({
    name, valid: () => [100, 5, 7], targets: [{ path: [0], kind: 'count', names: ['samples'] }, { path: [1], kind: 'count', names: ['p'] }, { path: [2], kind: 'count', names: ['q'] }],
  })),
  {
    name: 'classicalMds', valid: () => [[0, 3, 4, 3, 0, 5, 4, 5, 0], 3, 2],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['distances'] }, { path: [1], kind: 'count', names: ['n'] }, { path: [2], kind: 'count', names: ['k'] }],
  },
  {
    name: 'silhouette', valid: () => [[0, 1, 4, 1, 0, 3, 4, 3, 0], 3, ['a', 'a', 'b']],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['distances'] }, { path: [1], kind: 'count', names: ['n'] }],
  },
  // lib/geometry/manifold-capacity.ts (issue 30)
  {
    name: 'anchorPointAnalysis', valid: () => [[0.1, 0.2, -0.1, 0.3, 0.05, -0.2], 2, { nT: 5, seed: 1, kappa: 0 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['points'] }, { path: [1], kind: 'count', names: ['D', 'points'] }, { path: [2, 'nT'], kind: 'count', names: ['options'] }, { path: [2, 'kappa'], kind: 'number', names: ['options'] }],
  },
  { name: 'ballCapacity', valid: () => [1.5, 3, 0], targets: [{ path: [0], kind: 'number', names: ['radius'] }, { path: [1], kind: 'number', names: ['dimension'] }, { path: [2], kind: 'number', names: ['kappa'] }] },
  { name: 'harmonicMean', valid: () => [[1, 2, 4]], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['values'] }] },
  {
    name: 'manifoldCapacity', valid: () => [[0, 1, 2].map((i) => samples().slice(12 * i, 12 * i + 12).map((v, k) => v + (k % 4 === i ? 3 : 0))), 4, { nT: 5, centreCorrelation: false }],
    targets: [{ path: [0, 1], kind: 'numbers', sized: true, names: ['manifolds'] }, { path: [1], kind: 'count', names: ['dim', 'manifolds'] }, { path: [2, 'nT'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'centreCorrelationSubspace', valid: () => [samples().slice(0, 15), 3, { nReps: 1, maxIterations: 20 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['centres'] }, { path: [1], kind: 'count', names: ['dim', 'centres'] }, { path: [2, 'nReps'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'linearlySeparable', valid: () => [[1, 0.2, -1, 0.1, 0.9, -0.3, -1.2, 0], 2, [1, -1, 1, -1]],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['points', 'labels'] }, { path: [1], kind: 'count', names: ['dim', 'points'] }],
  },
  {
    name: 'simulatedCapacity', valid: () => [[0, 1, 2].map((i) => samples().slice(12 * i, 12 * i + 12)), 4, [2, 3], { trials: 2, seed: 1 }],
    targets: [{ path: [0, 1], kind: 'numbers', sized: true, names: ['manifolds'] }, { path: [1], kind: 'count', names: ['dim', 'manifolds'] }, { path: [3, 'trials'], kind: 'count', names: ['options'] }],
  },
  // lib/geometry/abstraction.ts (issue 30)
  ...(['crossConditionGeneralisation', 'parallelismScore'] as const).map((name): FuzzEntry => ({
    name, valid: () => [samples().slice(0, 24), 3, [[0, 0, 1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1, 0, 1]], 0],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['rows', 'factors'] }, { path: [1], kind: 'count', names: ['dim', 'rows'] }, { path: [3], kind: 'count', names: ['target'] }],
  })),
  { name: 'dissimilarityMatrix', valid: () => [samples().slice(0, 12), 3], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['patterns'] }, { path: [1], kind: 'count', names: ['dim', 'patterns'] }] },
  {
    name: 'representationalSimilarity', valid: () => [samples().slice(0, 12), 3, samples().slice(12, 24), 3],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['a', 'b'] }, { path: [1], kind: 'count', names: ['aDim', 'a'] }, { path: [2], kind: 'numbers', sized: true, names: ['b', 'a'] }, { path: [3], kind: 'count', names: ['bDim', 'b'] }],
  },
];

export const table: Table = { module: 'geometry', entries, exempt: {} };
