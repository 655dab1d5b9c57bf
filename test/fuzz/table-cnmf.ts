/**
 * Fuzz table of lib/cnmf (see harness.ts). Sizes: X is N x T = 4 x 12, K = 2
 * factors of L = 3 lags, so W has L*N*K = 24 entries and H has K*T = 24.
 */
import type { FuzzEntry, Table } from './harness';
import { Rng } from '../../lib/core';

const N = 4, T = 12, K = 2, L = 3;
const pos = (n: number, seed: number) => Float64Array.from({ length: n }, (() => { const r = new Rng(seed); return () => 0.1 + r.uniform(); })());
const X = () => ({ rows: N, cols: T, data: pos(N * T, 1) });
const W = () => pos(L * N * K, 2);
const H = () => pos(K * T, 3);
const xTargets = [{ path: [0, 'data'], kind: 'numbers' as const, sized: true, names: ['X'] }];
const factorTargets = (w: number, h: number) => [
  { path: [w], kind: 'numbers' as const, sized: true, names: ['W'] }, { path: [h], kind: 'numbers' as const, sized: true, names: ['H'] },
];

const entries: FuzzEntry[] = [
  {
    name: 'toDenseMatrix',
    // A conversion: it copies the entries it is given; every fit, loss and cost that takes its result checks them.
    documented: (_r, c) => /\] = /.test(c.what),
    valid: () => ['X', X()], targets: [{ path: [1, 'data'], kind: 'numbers', sized: true, names: ['X'] }, { path: [1, 'rows'], kind: 'count', names: ['X'] }] },
  { name: 'reconstruct', valid: () => [W(), H(), N, K, L, T], targets: [...factorTargets(0, 1), { path: [2], kind: 'count', names: ['N'] }, { path: [4], kind: 'count', names: ['L'] }] },
  { name: 'transposeConvolve', valid: () => [W(), pos(N * T, 4), N, K, L, T], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['W'] }, { path: [1], kind: 'numbers', sized: true, names: ['Y'] }, { path: [5], kind: 'count', names: ['T'] }] },
  { name: 'relativeLoss', valid: () => [X(), W(), H(), K, L], targets: [...xTargets, ...factorTargets(1, 2), { path: [3], kind: 'count', names: ['K'] }] },
  { name: 'motif', valid: () => [W(), N, K, L, 1], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['W'] }, { path: [4], kind: 'count', names: ['k'] }] },
  { name: 'initialFactors', valid: () => [X(), K, L, 1], targets: [...xTargets, { path: [1], kind: 'count', names: ['K'] }, { path: [3], kind: 'count', names: ['seed'] }] },
  {
    name: 'cnmf', valid: () => [X(), { K, L, solver: 'hals', maxIterations: 5, seed: 1 }],
    targets: [...xTargets, { path: [1, 'K'], kind: 'count', names: ['options'] }, { path: [1, 'solver'], kind: 'enum', names: ['options'] }, { path: [1, 'maxIterations'], kind: 'count', names: ['options'] }, { path: [1, 'tolerance'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'cnmfStep', valid: () => [X(), W(), H(), K, L, 'mu', { l1W: 0.01 }],
    targets: [...xTargets, ...factorTargets(1, 2), { path: [5], kind: 'enum', names: ['solver'] }, { path: [6, 'l1W'], kind: 'number', names: ['penalties'] }],
  },
  {
    name: 'seqNMF', valid: () => [X(), { K, L, lambda: 0.001, maxIterations: 5, seed: 1 }],
    targets: [...xTargets, { path: [1, 'L'], kind: 'count', names: ['options'] }, { path: [1, 'lambda'], kind: 'number', names: ['options'] }, { path: [1, 'maxIterations'], kind: 'count', names: ['options'] }],
  },
  { name: 'seqNmfCosts', valid: () => [X(), W(), H(), K, L], targets: [...xTargets, ...factorTargets(1, 2)] },
  { name: 'shiftFactors', valid: () => [W(), H(), N, K, L, T], call: (fn, a) => { fn(...a); return [a[0], a[1]]; }, targets: [...factorTargets(0, 1), { path: [5], kind: 'count', names: ['T'] }] },
  {
    name: 'significanceTest', valid: () => [X(), W(), K, L, { nNull: 20, seed: 1 }],
    targets: [{ path: [0, 'data'], kind: 'numbers', sized: true, names: ['Xtest'] }, { path: [1], kind: 'numbers', sized: true, names: ['W'] }, { path: [4, 'nNull'], kind: 'count', names: ['options'] }, { path: [4, 'pThreshold'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'syntheticSequences', valid: () => [{ N, T, K, L, seed: 1, noise: 0.01 }],
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options'] }, { path: [0, 'L'], kind: 'count', names: ['options'] }, { path: [0, 'noise'], kind: 'number', names: ['options'] }, { path: [0, 'pH'], kind: 'number', names: ['options'] }],
  },
];

export const table: Table = {
  module: 'cnmf',
  entries,
  exempt: { CNMF_SOLVERS: 'constant: the solver names' },
};
