/** Fuzz table of lib/meanfield (see harness.ts). The DMFT runs are small: g 1.5, lags to 20, a coarse table. */
import type { FuzzEntry, Table } from './harness';
import { stationaryDmft } from '../../lib/meanfield';

const dmftOptions = () => ({ g: 1.5, tMax: 20, lagStep: 0.5, tableNodes: 64, quadrature: { dz: 0.1, zMax: 7 } });
const sq = (x: number) => x * x;
let solved: ReturnType<typeof stationaryDmft> | undefined;
/** One solved DMFT for every participationRatioTheory case (it reads the result, never writes it). */
const dmft = () => (solved ??= stationaryDmft(dmftOptions()));

const entries: FuzzEntry[] = [
  { name: 'normalGrid', valid: () => [{ dz: 0.1, zMax: 6 }], targets: [{ path: [0, 'dz'], kind: 'number', names: ['options', 'quadrature'] }, { path: [0, 'zMax'], kind: 'number', names: ['options', 'quadrature'] }] },
  { name: 'gaussianAverage', valid: () => [sq, 0.7, { dz: 0.1 }], targets: [{ path: [1], kind: 'number', names: ['q'] }, { path: [2, 'dz'], kind: 'number', names: ['options', 'quadrature'] }] },
  {
    name: 'gaussianPairAverage', valid: () => [Math.tanh, Math.tanh, 0.7, 0.9, 0.3, { dz: 0.1 }],
    targets: [{ path: [2], kind: 'number', names: ['q1'] }, { path: [3], kind: 'number', names: ['q2'] }, { path: [4], kind: 'number', names: ['c'] }],
  },
  { name: 'closedFormAverage', valid: () => ['relu', 'phi2', 0.7], targets: [{ path: [0], kind: 'enum', names: ['name'] }, { path: [1], kind: 'enum', names: ['which'] }, { path: [2], kind: 'number', names: ['q'] }] },
  {
    name: 'closedFormPairAverage', valid: () => ['erf', 'phi', 0.7, 0.9, 0.3],
    targets: [{ path: [0], kind: 'enum', names: ['name'] }, { path: [1], kind: 'enum', names: ['which'] }, { path: [2], kind: 'number', names: ['q1'] }, { path: [4], kind: 'number', names: ['c'] }],
  },
  { name: 'defaultLagTime', valid: () => [1.5], targets: [{ path: [0], kind: 'number', names: ['g'] }] },
  { name: 'energyVariance', valid: () => [1.5, 'tanh', { dz: 0.1 }], targets: [{ path: [0], kind: 'number', names: ['g'] }, { path: [1], kind: 'enum', names: ['name', 'nonlinearity'] }] },
  {
    name: 'stationaryDmft', valid: () => [dmftOptions()],
    targets: [{ path: [0, 'g'], kind: 'number', names: ['options'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['options'] }, { path: [0, 'tMax'], kind: 'number', names: ['options'] }, { path: [0, 'tableNodes'], kind: 'count', names: ['options'] }],
  },
  { name: 'participationRatioTheory', valid: () => [dmft(), { frequencies: 64 }], targets: [{ path: [1, 'frequencies'], kind: 'count', names: ['options'] }] },
  // No gains, no runs: an empty list in gives an empty list out.
  { name: 'participationRatioAgainstG', documented: (r, c) => / empty$/.test(c.what) && Array.isArray(r) && r.length === 0, valid: () => [[1.5], { tMax: 20, lagStep: 0.5, tableNodes: 64, quadrature: { dz: 0.1, zMax: 7 }, frequencies: 64 }], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['gains', 'g'] }, { path: [1, 'tMax'], kind: 'number', names: ['options'] }] },
];

export const table: Table = { module: 'meanfield', entries, exempt: {} };
