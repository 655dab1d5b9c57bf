/** Fuzz table of lib/circuits (see harness.ts). */
import type { FuzzEntry, Table } from './harness';

type Net = { simulate(x0: number[], s: unknown, o: unknown): unknown; initialState(seed: number, v?: number): Float64Array };

const entries: FuzzEntry[] = [
  // erf is a scalar function like Math.tanh: NaN in gives NaN out (documented at erf), +-Infinity give +-1.
  { name: 'erf', valid: () => [0.3], documented: (_r, c) => c.what.includes('NaN'), targets: [{ path: [0], kind: 'number', names: ['x'] }] },
  { name: 'nonlinearity', valid: () => ['tanh'], call: (fn, a) => (fn(...a) as { phi(x: number): number }).phi(0.3), targets: [{ path: [0], kind: 'enum', names: ['name', 'nonlinearity'] }] },
  {
    name: 'RandomRateNetwork', valid: () => [{ N: 6, g: 1.5, seed: 1, symmetry: 0.2 }, [0.1, -0.2, 0.3, 0.1, 0, 0.2], { scheme: 'flow', dt: 0.1 }, { time: 2 }],
    call: (C, a) => new (C as unknown as new (o: unknown) => Net)(a[0]).simulate(a[1] as number[], a[2], a[3]),
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options'] }, { path: [0, 'g'], kind: 'number', names: ['options'] }, { path: [0, 'symmetry'], kind: 'number', names: ['options'] },
      { path: [0, 'nonlinearity'], kind: 'enum', names: ['options'] }, { path: [1], kind: 'numbers', sized: true, names: ['x0'] }, { path: [2, 'dt'], kind: 'number', names: ['scheme', 'dt'] }, { path: [3, 'time'], kind: 'number', names: ['options'] }],
  },
];

export const table: Table = {
  module: 'circuits',
  entries,
  exempt: { NONLINEARITY_NAMES: 'constant: the nonlinearity names' },
};
