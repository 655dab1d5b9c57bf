/** Fuzz table of lib/geometry (see harness.ts). */
import type { FuzzEntry, Table } from './harness';

const samples = () => Float64Array.from({ length: 12 * 3 }, (_, i) => Math.sin(1.7 * i) + 0.1 * (i % 3));

const entries: FuzzEntry[] = [
  { name: 'participationRatioOfSpectrum', valid: () => [[3, 1, 0.5]], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['eigenvalues'] }] },
  {
    name: 'crossBlockParticipationRatio', valid: () => [samples(), 12, 3, { blocks: 2 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['long'], names: ['X'] }, { path: [1], kind: 'count', names: ['samples'] }, { path: [2], kind: 'count', names: ['dim'] }, { path: [3, 'blocks'], kind: 'count', names: ['options'] }],
  },
];

export const table: Table = { module: 'geometry', entries, exempt: {} };
