/**
 * Fuzz table of lib/tensor (see harness.ts). Sizes: tensors 4 x 3 x 2, rank 2;
 * fits cut to a few sweeps, state evolution to the Gaussian prior (closed form).
 */
import type { FuzzEntry, Table } from './harness';
import { Rng } from '../../lib/core';
import { randomKruskal } from '../../lib/tensor';

const SHAPE = [4, 3, 2], R = 2;
const vals = (n: number, seed: number) => { const r = new Rng(seed); return Float64Array.from({ length: n }, () => r.normal()); };
const T = () => ({ shape: [...SHAPE], data: vals(24, 1) });
const F = () => SHAPE.map((n, k) => vals(n * R, 10 + k));
const K = () => randomKruskal(SHAPE, R, 3);
const gauss = () => ({ kind: 'gaussian', mean: 0.1, variance: 1 });
const tTargets = [{ path: [0, 'data'], kind: 'numbers' as const, sized: true, names: ['T'] }];
const kTargets = (i: number, name: string) => [{ path: [i, 'factors', 0], kind: 'numbers' as const, sized: true, names: [name] }];

const entries: FuzzEntry[] = [
  { name: 'denseTensor', valid: () => [[...SHAPE], vals(24, 1)], targets: [{ path: [0], kind: 'numbers', names: ['shape'] }, { path: [1], kind: 'numbers', sized: true, names: ['data'] }] },
  { name: 'tensorSize', valid: () => [[...SHAPE]], targets: [{ path: [0], kind: 'numbers', names: ['shape'] }] },
  { name: 'unfold', valid: () => [T(), 1], targets: [...tTargets, { path: [1], kind: 'count', names: ['mode'] }] },
  { name: 'fold', valid: () => [vals(24, 2), 2, [...SHAPE]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['matrix'] }, { path: [1], kind: 'count', names: ['mode'] }, { path: [2], kind: 'numbers', names: ['shape'] }] },
  { name: 'khatriRao', valid: () => [F().slice(1), SHAPE.slice(1), R], targets: [{ path: [0, 0], kind: 'numbers', sized: true, names: ['factors'] }, { path: [1], kind: 'numbers', names: ['sizes', 'factors'] }, { path: [2], kind: 'count', names: ['rank', 'factors'] }] },
  { name: 'mttkrp', valid: () => [T(), F(), 1, R], targets: [...tTargets, { path: [1, 0], kind: 'numbers', sized: true, names: ['factors'] }, { path: [2], kind: 'count', names: ['mode'] }, { path: [3], kind: 'count', names: ['rank', 'factors'] }] },
  { name: 'modeProduct', valid: () => [T(), 0, vals(8, 4), 2], targets: [...tTargets, { path: [2], kind: 'numbers', sized: true, names: ['U'] }, { path: [3], kind: 'count', names: ['rows', 'U'] }] },
  { name: 'tensorNorm', valid: () => [T()], targets: tTargets },
  { name: 'innerProduct', valid: () => [T(), T()], targets: [{ path: [0, 'data'], kind: 'numbers', sized: true, names: ['A'] }, { path: [1, 'data'], kind: 'numbers', sized: true, names: ['B'] }] },
  { name: 'kruskalTensor', valid: () => [[...SHAPE], R, F()], targets: [{ path: [0], kind: 'numbers', names: ['shape', 'factors'] }, { path: [1], kind: 'count', names: ['rank', 'factors'] }, { path: [2, 1], kind: 'numbers', sized: true, names: ['factors'] }] },
  { name: 'randomKruskal', valid: () => [[...SHAPE], R, 5], targets: [{ path: [0], kind: 'numbers', names: ['shape'] }, { path: [1], kind: 'count', names: ['rank'] }, { path: [2], kind: 'count', names: ['seed'] }] },
  { name: 'kruskalFull', valid: () => [K()], targets: kTargets(0, 'K') },
  { name: 'kruskalNorm', valid: () => [K()], targets: kTargets(0, 'K') },
  { name: 'componentWeights', valid: () => [K()], targets: kTargets(0, 'K') },
  { name: 'rebalance', valid: () => [K()], targets: kTargets(0, 'K') },
  {
    name: 'cpAls', valid: () => [T(), { rank: R, maxIterations: 3, seed: 1 }],
    targets: [...tTargets, { path: [1, 'rank'], kind: 'count', names: ['options'] }, { path: [1, 'tolerance'], kind: 'number', names: ['options'] }, { path: [1, 'init'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'cpNonnegative', valid: () => [T(), { rank: R, maxIterations: 3, seed: 1, solver: 'anls' }],
    targets: [...tTargets, { path: [1, 'rank'], kind: 'count', names: ['options'] }, { path: [1, 'solver'], kind: 'enum', names: ['options'] }, { path: [1, 'maxIterations'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'cpEnsemble', valid: () => [T(), { ranks: [1, 2], replicates: 2, maxIterations: 3 }],
    targets: [...tTargets, { path: [1, 'ranks'], kind: 'numbers', nonEmpty: true, names: ['options'] }, { path: [1, 'method'], kind: 'enum', names: ['options'] }, { path: [1, 'replicates'], kind: 'count', names: ['options'] }],
  },
  { name: 'factorSimilarity', valid: () => [K(), randomKruskal(SHAPE, R, 4)], targets: [...kTargets(0, 'U'), ...kTargets(1, 'V')] },
  { name: 'priorMoments', valid: () => [{ kind: 'nonnegative', mean: 0.3, variance: 2 }], targets: [{ path: [0, 'kind'], kind: 'enum', names: ['prior'] }, { path: [0, 'mean'], kind: 'number', names: ['prior'] }, { path: [0, 'variance'], kind: 'number', names: ['prior'] }] },
  { name: 'samplePrior', valid: () => [{ kind: 'gauss-bernoulli', density: 0.3 }, 10, 1], targets: [{ path: [0, 'density'], kind: 'number', names: ['prior'] }, { path: [1], kind: 'count', names: ['n'] }, { path: [2], kind: 'count', names: ['seed'] }] },
  {
    name: 'plantedTensor', valid: () => [{ shape: [...SHAPE], rank: R, snr: 2, priors: gauss(), seed: 1 }],
    targets: [{ path: [0, 'shape'], kind: 'numbers', names: ['options'] }, { path: [0, 'snr'], kind: 'number', names: ['options'] }, { path: [0, 'rank'], kind: 'count', names: ['options'] }, { path: [0, 'priors', 'mean'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'amp', valid: () => [T(), { snr: 2, priors: gauss(), rank: R, maxIterations: 3 }],
    targets: [...tTargets, { path: [1, 'snr'], kind: 'number', names: ['options'] }, { path: [1, 'damping'], kind: 'number', names: ['options'] }, { path: [1, 'rank'], kind: 'count', names: ['options'] }, { path: [1, 'channel'], kind: 'enum', names: ['options'] }],
  },
  { name: 'scalarChannel', valid: () => [gauss(), 1.5, { method: 'quadrature', quadrature: { dz: 0.2 } }], targets: [{ path: [1], kind: 'number', names: ['a'] }, { path: [2, 'method'], kind: 'enum', names: ['options'] }, { path: [2, 'quadrature', 'dz'], kind: 'number', names: ['quadrature', 'options'] }] },
  {
    name: 'stateEvolution', valid: () => [{ snr: 5, priors: gauss(), aspectRatios: [1, 2, 0.5], maxIterations: 50 }],
    targets: [{ path: [0, 'snr'], kind: 'number', names: ['options'] }, { path: [0, 'aspectRatios'], kind: 'numbers', names: ['options'] }, { path: [0, 'maxIterations'], kind: 'count', names: ['options'] }, { path: [0, 'init'], kind: 'enum', names: ['options'] }],
  },
  { name: 'betheFreeEnergy', valid: () => [{ snr: 5, priors: gauss() }, [0.5, 0.6, 0.7]], targets: [{ path: [0, 'snr'], kind: 'number', names: ['options'] }, { path: [1], kind: 'numbers', sized: true, names: ['overlaps'] }] },
  { name: 'phasePoint', valid: () => [5, { priors: gauss(), maxIterations: 100 }], targets: [{ path: [0], kind: 'number', names: ['snr'] }, { path: [1, 'order'], kind: 'count', names: ['options'] }] },
  { name: 'phaseThresholds', valid: () => [{ priors: { kind: 'gaussian' }, snrMin: 1, snrMax: 10, relativeTolerance: 0.01, maxIterations: 200 }], targets: [{ path: [0, 'snrMin'], kind: 'number', names: ['options'] }, { path: [0, 'relativeTolerance'], kind: 'number', names: ['options'] }] },
];

export const table: Table = { module: 'tensor', entries, exempt: { PRIOR_KINDS: 'constant: the prior kinds' } };
