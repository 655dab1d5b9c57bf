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
];

export const table: Table = { module: 'geometry', entries, exempt: {} };
