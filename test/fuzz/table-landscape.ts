/** Fuzz table of lib/landscape (see harness.ts for the kinds of bad input and what passes). */
import * as tf from '@tensorflow/tfjs';
import type { FuzzEntry, Table } from './harness';
import { initBackend, Rng } from '../../lib/core';
import { mlp, Network } from '../../lib/rules';
import { diagonalOperator, parameterCount } from '../../lib/landscape';

// A 4-3-3 tanh MLP: 27 parameters.
const net = () => new Network(mlp({ inputSize: 4, hidden: [3], classes: 3, activation: 'tanh', seed: 1 }));
const D = 27;
const data = () => ({ x: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, 1.0, -1.1, 1.2, -0.3, 0.2, 0.1, -0.4]), y: [0, 2, 1, 0], count: 4 });
const vec = (n = D, seed = 3) => Float64Array.from(new Rng(seed).normalArray(n) as ArrayLike<number>);
const op = () => diagonalOperator([5, 4, 3, 2, 1, 0.5]);
const basis = (n: number, k: number) => Array.from({ length: k }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const trainTargets = [{ path: [1, 'x'], kind: 'numbers' as const, sized: true, names: ['train'] }, { path: [1, 'y'], kind: 'numbers' as const, sized: true, names: ['train'] }];
const dataTargets = [{ path: [1, 'x'], kind: 'numbers' as const, sized: true, names: ['data'] }, { path: [1, 'y'], kind: 'numbers' as const, sized: true, names: ['data'] }];
const products = (name: string): FuzzEntry => ({
  name, valid: () => [net(), data(), vec(), { batchSize: 2 }],
  targets: [...dataTargets, { path: [2], kind: 'numbers', sized: true, names: ['v'] }, { path: [3, 'batchSize'], kind: 'count', names: ['options'] }],
});

const entries: FuzzEntry[] = [
  { name: 'accuracy', valid: () => [net(), data(), 2], targets: [...dataTargets, { path: [2], kind: 'count', names: ['batchSize'] }] },
  { name: 'parameterCount', valid: () => [net()], targets: [] },
  { name: 'flattenParameters', valid: () => [net()], targets: [] },
  { name: 'setParameters', valid: () => [net(), vec()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['flat'] }] },
  { name: 'unflattenParameters', valid: () => [net(), vec(), 'v'], call: (fn, a) => { const r = fn(...a) as { dispose?: () => void }; return r; }, targets: [{ path: [1], kind: 'numbers', sized: true, names: ['v', 'flat'] }] },
  { name: 'lossAndGradient', valid: () => [net(), data(), {}], targets: [...dataTargets, { path: [2, 'loss'], kind: 'enum', names: ['options'] }] },
  products('hessianVectorProduct'),
  products('gaussNewtonVectorProduct'),
  {
    name: 'curvatureProduct', valid: () => [net(), data(), vec(), 'gauss-newton', {}],
    targets: [...dataTargets, { path: [2], kind: 'numbers', sized: true, names: ['v'] }, { path: [3], kind: 'enum', names: ['kind'] }],
  },
  {
    name: 'curvatureOperator', valid: () => [net(), data(), 'hessian', {}], call: (fn, a) => (fn(...a) as { apply(v: Float64Array): Float64Array }).apply(vec()),
    targets: [...dataTargets, { path: [2], kind: 'enum', names: ['kind'] }, { path: [3, 'batchSize'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'Curvature', valid: () => [net(), data(), { batchSize: 2 }], call: (C, a) => new (C as unknown as new (...x: unknown[]) => { operator(k: string): { apply(v: Float64Array): Float64Array } })(...a).operator('hessian').apply(vec()),
    targets: [...dataTargets, { path: [2, 'batchSize'], kind: 'count', names: ['options'] }],
  },
  { name: 'logitGradients', valid: () => [net(), tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.5, -0.6, 0.7, 0.8]]), [0, 2]], targets: [{ path: [1], kind: 'tensor', sized: true, skip: ['rows'], names: ['x'] }, { path: [2], kind: 'numbers', names: ['logits'] }] },
  {
    name: 'logitGradientCosines', nonFiniteOk: 'byClass and the class means are NaN where no pair of examples exists (documented at LogitGradientCosines)',
    nonFinitePaths: /\.byClass\[\d+\]\[\d+\]$|\.(same|different)ClassMean$/, valid: () => [net(), data(), { perClass: 1, seed: 1 }], targets: [...dataTargets, { path: [2, 'perClass'], kind: 'count', names: ['options'] }] },
  { name: 'checkOperator', valid: () => ['op', op()], targets: [{ path: [1, 'dim'], kind: 'count', names: ['op'] }] },
  { name: 'applyChecked', valid: () => [op(), vec(6)], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['v'] }] },
  { name: 'dot', valid: () => [[1, 2, 3], [3, 2, 1]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['a', 'b'] }, { path: [1], kind: 'numbers', names: ['b'] }] },
  { name: 'norm', valid: () => [[1, 2, 3]], targets: [{ path: [0], kind: 'numbers', names: ['a'] }] },
  { name: 'rademacher', valid: () => [5, new Rng(1)], targets: [{ path: [0], kind: 'count', names: ['dim'] }] },
  { name: 'denseOperator', valid: () => [[[2, 1], [1, 3]]], call: (fn, a) => (fn(...a) as { apply(v: Float64Array): Float64Array }).apply(new Float64Array([1, 1])), targets: [{ path: [0], kind: 'matrix', sized: true, names: ['matrix'] }] },
  { name: 'diagonalOperator', valid: () => [[1, 2, 3]], call: (fn, a) => (fn(...a) as { apply(v: Float64Array): Float64Array }).apply(new Float64Array([1, 1, 1])), targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['values'] }] },
  { name: 'materialize', valid: () => [op()], targets: [{ path: [0, 'dim'], kind: 'count', names: ['op'] }] },
  { name: 'lanczos', valid: () => [op(), { steps: 4, seed: 1, start: vec(6) }], targets: [{ path: [1, 'steps'], kind: 'count', names: ['options'] }, { path: [1, 'start'], kind: 'numbers', names: ['options'] }, { path: [1, 'onBreakdown'], kind: 'enum', names: ['options'] }] },
  { name: 'tridiagonalEig', valid: () => [new Float64Array([2, 3, 4]), new Float64Array([0.5, 0.2])], targets: [{ path: [0], kind: 'numbers', names: ['alpha'] }, { path: [1], kind: 'numbers', sized: true, names: ['beta'] }] },
  {
    name: 'eigenpairs', valid: () => [op(), 2, { steps: 6, seed: 1 }],
    targets: [{ path: [1], kind: 'count', names: ['k'] }, { path: [2, 'steps'], kind: 'count', names: ['options'] }, { path: [2, 'which'], kind: 'enum', names: ['options'] }],
  },
  { name: 'powerIteration', valid: () => [op(), 2, { maxIterations: 200, seed: 1 }], targets: [{ path: [1], kind: 'count', names: ['k'] }, { path: [2, 'maxIterations'], kind: 'count', names: ['options'] }, { path: [2, 'tolerance'], kind: 'number', names: ['options'] }] },
  {
    name: 'spectralDensity', valid: () => [op(), { runs: 2, steps: 4, seed: 1, gridSize: 20, range: [0, 6] }],
    targets: [{ path: [1, 'runs'], kind: 'count', names: ['options'] }, { path: [1, 'gridSize'], kind: 'count', names: ['options'] }, { path: [1, 'sigma'], kind: 'number', names: ['options'] }, { path: [1, 'range'], kind: 'numbers', sized: true, names: ['options'] }],
  },
  {
    name: 'smoothedDensity', valid: () => [new Float64Array([0, 1, 2]), [new Float64Array([0.5, 1.5])], [new Float64Array([0.4, 0.6])], 0.3],
    targets: [{ path: [0], kind: 'numbers', names: ['grid'] }, { path: [1, 0], kind: 'numbers', sized: true, names: ['nodes', 'weights'] }, { path: [2, 0], kind: 'numbers', sized: true, names: ['weights', 'nodes'] }, { path: [3], kind: 'number', names: ['sigma'] }],
  },
  { name: 'hutchinson', valid: () => [op(), { samples: 8, seed: 1 }], targets: [{ path: [1, 'samples'], kind: 'count', names: ['options'] }, { path: [1, 'tolerance'], kind: 'number', names: ['options'] }] },
  { name: 'gradientOverlap', valid: () => [vec(6), basis(6, 2)], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['gradient', 'vectors'] }, { path: [1, 0], kind: 'numbers', sized: true, names: ['vectors', 'gradient'] }] },
  { name: 'subspacePersistence', valid: () => [basis(6, 2), basis(6, 2).reverse()], targets: [{ path: [0, 0], kind: 'numbers', sized: true, names: ['a', 'b'] }, { path: [1, 1], kind: 'numbers', sized: true, names: ['b', 'a'] }] },
  { name: 'restrictedHessian', valid: () => [op(), basis(6, 2)], targets: [{ path: [1, 0], kind: 'numbers', sized: true, names: ['subspace'] }] },
  {
    name: 'RandomSubspace', valid: () => [D, 3, { seed: 1 }], call: (C, a) => new (C as unknown as new (...x: unknown[]) => object)(...a),
    targets: [{ path: [0], kind: 'count', names: ['dim'] }, { path: [1], kind: 'count', names: ['d'] }, { path: [2, 'kind'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'trainInSubspace', valid: () => [net(), data(), 3, { epochs: 1, batchSize: 2, learningRate: 0.1, seed: 1 }],
    targets: [...trainTargets, { path: [2], kind: 'count', names: ['d'] }, { path: [3, 'learningRate'], kind: 'number', names: ['options'] }, { path: [3, 'optimizer'], kind: 'enum', names: ['options'] }],
  },
  { name: 'intrinsicDimension', valid: () => [[2, 4, 8], [0.3, 0.6, 0.9], 0.95], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['ds', 'accuracies'] }, { path: [1], kind: 'numbers', sized: true, names: ['accuracies', 'ds'] }, { path: [2], kind: 'number', names: ['fullAccuracy'] }] },
  { name: 'curvatureAtRadius', valid: () => [net(), data(), 1, { samples: 2, seed: 1 }], targets: [...dataTargets, { path: [2], kind: 'number', names: ['radius'] }, { path: [3, 'samples'], kind: 'count', names: ['options'] }] },
  {
    name: 'projectedSgd', nonFiniteOk: 'the curve\'s step-0 point has loss NaN (no step taken yet; documented at ProjectedSgdResult)', nonFinitePaths: /\.curve\[0\]\.loss$/, valid: () => [net(), data(), { mode: 'dominant', k: 2, epochs: 1, batchSize: 2, learningRate: 0.1, seed: 1, recomputeEvery: 1, lanczosSteps: 6 }],
    targets: [...trainTargets, { path: [2, 'mode'], kind: 'enum', names: ['options'] }, { path: [2, 'k'], kind: 'count', names: ['options'] }, { path: [2, 'learningRate'], kind: 'number', names: ['options'] }],
  },
];

export const table: Table = {
  module: 'landscape',
  entries,
  async setup() {
    await initBackend({ prefer: 'cpu', print: false });
    if (parameterCount(net()) !== D) throw new Error(`the fuzz network has ${parameterCount(net())} parameters, not ${D}`);
  },
  exempt: {},
};
