/** Fuzz table of lib/circuits (see harness.ts). */
import type { FuzzEntry, Table } from './harness';
import { DenseCoupling, DelayLine, LifNetwork, PlasticRateNetwork, PredictiveCodingNetwork, RateNetwork, Readout, RecursiveLeastSquares, BalancedNetwork, SignConstrainedFit } from '../../lib/circuits';

type Ctor = new (...a: unknown[]) => { apply(r: Float64Array, out: Float64Array): void };
const applyTo = (c: { apply(r: Float64Array, out: Float64Array): void }, n: number) => { const out = new Float64Array(n); c.apply(Float64Array.from({ length: n }, (_, i) => 0.3 - 0.2 * i), out); return out; };
const forceNet = () => new RateNetwork({ coupling: new DenseCoupling([[0, 0.5], [0.5, 0]]), readout: new Readout(1, 2), feedbackWeights: Float64Array.from([0.3, -0.2]) });
const ffNets = () => [
  new RateNetwork({ coupling: new DenseCoupling([[0, 1.2], [-1.2, 0]]), inputWeights: Float64Array.from([0.5, -0.5]), inputs: 1 }),
  new RateNetwork({ coupling: new DenseCoupling(new Float64Array(4), 2), readout: new Readout(1, 2) }),
];
const series = (n: number) => Float64Array.from({ length: n }, (_, t) => Math.sin(t / 3));

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
  { name: 'DenseCoupling', valid: () => [[[0.1, 0.2], [0.3, 0.4]]], call: (C, a) => applyTo(new (C as unknown as Ctor)(...a), 2), targets: [{ path: [0], kind: 'matrix', sized: true, names: ['J'] }] },
  {
    name: 'SparseCoupling', valid: () => [3, Int32Array.from([0, 1, 2, 3]), Int32Array.from([1, 2, 0]), Float64Array.from([0.1, -0.2, 0.3])],
    call: (C, a) => applyTo(new (C as unknown as Ctor)(...a), 3),
    targets: [{ path: [0], kind: 'count', names: ['N', 'rowStart'] }, { path: [3], kind: 'numbers', sized: true, names: ['values', 'rowStart', 'columns'] }],
  },
  {
    name: 'LowRankPlusDenseCoupling', valid: () => [[[0.1, 0.2], [0.3, 0.4]], Float64Array.from([1, -1]), Float64Array.from([0.5, 0.5]), 1],
    call: (C, a) => applyTo(new (C as unknown as Ctor)(...a), 2),
    targets: [{ path: [0], kind: 'matrix', sized: true, names: ['D', 'J'] }, { path: [1], kind: 'numbers', sized: true, names: ['U'] }, { path: [2], kind: 'numbers', sized: true, names: ['V'] },
      { path: [3], kind: 'count', names: ['rank', 'U', 'V'] }],
  },
  {
    name: 'sparseRandomCoupling', valid: () => [{ N: 5, p: 0.5, g: 1.5, seed: 1 }], call: (fn, a) => applyTo(fn(...a) as { apply(r: Float64Array, out: Float64Array): void }, 5),
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options'] }, { path: [0, 'p'], kind: 'number', names: ['options'] }, { path: [0, 'g'], kind: 'number', names: ['options'] }, { path: [0, 'seed'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'Readout', valid: () => [1, 3, Float64Array.from([0.1, 0.2, 0.3])],
    call: (C, a) => { const z = new Float64Array(1); new (C as unknown as new (...x: unknown[]) => Readout)(...a).apply(Float64Array.from([1, 2, 3]), z); return z; },
    targets: [{ path: [0], kind: 'count', names: ['outputs', 'W'] }, { path: [1], kind: 'count', names: ['N', 'W'] }, { path: [2], kind: 'numbers', sized: true, names: ['W'] }],
  },
  {
    name: 'RateNetwork',
    valid: () => [{ coupling: new DenseCoupling([[0, 0.5], [0.5, 0]]), inputWeights: Float64Array.from([1, 0]), inputs: 1, readout: new Readout(1, 2), feedbackWeights: Float64Array.from([0.3, -0.2]), noise: 0.1, seed: 2 },
      Float64Array.from([0.1, -0.2]), { dt: 0.1, steps: 5, scheme: 'euler', inputs: new Float64Array(5).fill(0.5) }],
    call: (C, a) => new (C as unknown as new (m: unknown) => RateNetwork)(a[0]).run(a[1] as Float64Array, a[2] as never),
    targets: [{ path: [0, 'inputWeights'], kind: 'numbers', sized: true, names: ['model'] }, { path: [0, 'feedbackWeights'], kind: 'numbers', sized: true, names: ['model'] },
      { path: [0, 'noise'], kind: 'number', names: ['model'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['model'] }, { path: [1], kind: 'numbers', sized: true, names: ['x'] },
      { path: [2, 'dt'], kind: 'number', names: ['options'] }, { path: [2, 'steps'], kind: 'count', names: ['options', 'inputs'] }, { path: [2, 'scheme'], kind: 'enum', names: ['options'] },
      { path: [2, 'inputs'], kind: 'numbers', sized: true, names: ['options'] }],
  },
  {
    name: 'PredictiveCodingNetwork', valid: () => [{ N: 4, b: 2, g: 1.5, noise: 0.1, delay: 0, seed: 1 }, { x: 0.2, dt: 0.1, time: 1, transient: 0.5, scheme: 'implicit', h0: Float64Array.from([0.1, -0.2, 0.3, 0]) }],
    call: (C, a) => new (C as unknown as new (o: unknown) => PredictiveCodingNetwork)(a[0]).run(a[1] as never),
    targets: [{ path: [0, 'N'], kind: 'count', names: ['N', 'h0'] }, { path: [0, 'b'], kind: 'number', names: ['b'] }, { path: [0, 'g'], kind: 'number', names: ['g'] }, { path: [0, 'noise'], kind: 'number', names: ['noise'] },
      { path: [0, 'delay'], kind: 'number', names: ['delay', 'dt'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['nonlinearity'] }, { path: [1, 'x'], kind: 'number', names: ['x'] },
      { path: [1, 'dt'], kind: 'number', names: ['dt', 'time'] }, { path: [1, 'time'], kind: 'number', names: ['time'] }, { path: [1, 'transient'], kind: 'number', names: ['transient', 'time'] },
      { path: [1, 'scheme'], kind: 'enum', names: ['scheme'] }, { path: [1, 'h0'], kind: 'numbers', sized: true, names: ['h0'] }],
  },
  {
    name: 'DelayLine', valid: () => [3, 0.5], call: (C, a) => { const d = new (C as unknown as new (...x: unknown[]) => DelayLine)(...a); return [1, 2, 3, 4].map((v) => d.shift(v)); },
    targets: [{ path: [0], kind: 'count', names: ['length'] }, { path: [1], kind: 'number', names: ['initial'] }],
  },
  {
    name: 'PlasticRateNetwork', valid: () => [{ N: 3, g: 1.5, k: 1, tauS: 2, seed: 1 }, Float64Array.from({ length: 12 }, (_, i) => 0.1 * Math.sin(i + 1)), { dt: 0.1, time: 1, haltAt: 0.5 }],
    call: (C, a) => new (C as unknown as new (o: unknown) => PlasticRateNetwork)(a[0]).run(a[1] as Float64Array, a[2] as never),
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options', 'state'] }, { path: [0, 'g'], kind: 'number', names: ['options'] }, { path: [0, 'k'], kind: 'number', names: ['options'] },
      { path: [0, 'tauS'], kind: 'number', names: ['options'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['options'] }, { path: [1], kind: 'numbers', sized: true, names: ['state'] },
      { path: [2, 'dt'], kind: 'number', names: ['options'] }, { path: [2, 'time'], kind: 'number', names: ['options'] }, { path: [2, 'haltAt'], kind: 'number', names: ['options'], skip: ['infinity'] }],
  },
  {
    name: 'RecursiveLeastSquares', valid: () => [{ N: 3, alpha: 1 }, Float64Array.from([0.1, 0.2, 0.3]), [0.5]],
    call: (C, a) => { const W = new Float64Array(3); new (C as unknown as new (o: unknown) => RecursiveLeastSquares)(a[0]).update(a[1] as Float64Array, [{ W, rows: 1, target: a[2] as number[] }]); return W; },
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options', 'r'] }, { path: [0, 'alpha'], kind: 'number', names: ['options'] }, { path: [1], kind: 'numbers', sized: true, names: ['r'] },
      { path: [2], kind: 'numbers', sized: true, names: ['target'] }],
  },
  {
    name: 'forceRun', valid: () => [forceNet(), Float64Array.from([0.2, -0.1]), { dt: 0.1, steps: 6, target: series(6), rls: new RecursiveLeastSquares({ N: 2 }), learnEvery: 2 }],
    targets: [{ path: [1], kind: 'numbers', sized: true, names: ['x'] }, { path: [2, 'dt'], kind: 'number', names: ['options'] }, { path: [2, 'steps'], kind: 'count', names: ['options', 'target'] },
      { path: [2, 'target'], kind: 'numbers', sized: true, names: ['options'] }, { path: [2, 'learnEvery'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'fullForceRun', valid: () => [...ffNets(), Float64Array.from([0.2, -0.1]), Float64Array.from([0.2, -0.1]), { dt: 0.1, steps: 6, target: series(6), teacherInputs: series(6), rls: new RecursiveLeastSquares({ N: 2 }), learnProbability: 0.5, seed: 1 }],
    targets: [{ path: [2], kind: 'numbers', sized: true, names: ['xTeacher'] }, { path: [3], kind: 'numbers', sized: true, names: ['xLearner'] }, { path: [4, 'dt'], kind: 'number', names: ['options'] },
      { path: [4, 'steps'], kind: 'count', names: ['options', 'target', 'teacherInputs'] }, { path: [4, 'target'], kind: 'numbers', sized: true, names: ['options'] },
      { path: [4, 'teacherInputs'], kind: 'numbers', sized: true, names: ['options'] }, { path: [4, 'learnProbability'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'LifNetwork', valid: () => [{ N: 2, coupling: Float64Array.from([0, 0.1, -0.2, 0]), NE: 1, tauM: 0.02, bias: Float64Array.from([1.5, 1.2]), externalRate: 100, externalWeight: 0.01, seed: 1 }, { steps: 50, recordEvery: 10, recordCurrents: true }],
    call: (C, a) => new (C as unknown as new (o: unknown) => LifNetwork)(a[0]).run(a[1] as never),
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options', 'coupling', 'bias', 'NE'] }, { path: [0, 'coupling'], kind: 'numbers', sized: true, names: ['options'] }, { path: [0, 'tauM'], kind: 'number', names: ['options'] },
      { path: [0, 'bias'], kind: 'numbers', sized: true, names: ['options'] }, { path: [0, 'externalRate'], kind: 'number', names: ['options'] }, { path: [1, 'steps'], kind: 'count', names: ['options'] }],
  },
  { name: 'lifRate', valid: () => [1.5, { tauM: 0.02, refractory: 0.002 }], targets: [{ path: [0], kind: 'number', names: ['I'] }, { path: [1, 'tauM'], kind: 'number', names: ['options'] }, { path: [1, 'refractory'], kind: 'number', names: ['options'] }] },
  { name: 'isiCv', valid: () => [[0, 0, 1, 1.5, 2, 4], [0, 1, 0, 1, 0, 1], 2], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['spikeTimes', 'spikeNeurons'] }, { path: [2], kind: 'count', names: ['N', 'spikeNeurons'] }] },
  {
    name: 'spikeCountFano', valid: () => [[0, 0.5, 1, 1.5, 2, 4], [0, 1, 0, 1, 0, 1], 2, 1, 0, 5],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['spikeTimes', 'spikeNeurons'] }, { path: [2], kind: 'count', names: ['N', 'spikeNeurons'] }, { path: [3], kind: 'number', names: ['window', 'end'] },
      { path: [5], kind: 'number', names: ['end'] }],
  },
  {
    name: 'SignConstrainedFit', valid: () => [{ inputs: 2, outputs: 1, signs: [1, -1], ridge: 0.1 }, Float64Array.from([1, 0.5, 0.2, 1, 0.7, 0.3]), Float64Array.from([0.5, -0.2, 0.4]), 3],
    call: (C, a) => { const f = new (C as unknown as new (o: unknown) => SignConstrainedFit)(a[0]); f.accumulate(a[1] as Float64Array, a[2] as Float64Array, a[3] as number); const W = f.solve(); return [W, f.relativeError(W)]; },
    targets: [{ path: [0, 'inputs'], kind: 'count', names: ['options', 'signs', 'R'] }, { path: [0, 'ridge'], kind: 'number', names: ['options'] }, { path: [1], kind: 'numbers', sized: true, names: ['R'] },
      { path: [2], kind: 'numbers', sized: true, names: ['H'] }, { path: [3], kind: 'count', names: ['T', 'R', 'H'] }],
  },
  { name: 'signViolations', valid: () => [[1, -1, 0.5, 0.2], [1, -1]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['W'] }] },
  {
    name: 'trainByTarget', valid: () => [{ fit: new SignConstrainedFit({ inputs: 2, outputs: 1, signs: [1, -1] }), intervals: 2, collect: () => ({ R: Float64Array.from([1, 0.5, 0.2, 1]), H: Float64Array.from([0.5, -0.2]), T: 2 }), tolerance: 0.01 }],
    targets: [{ path: [0, 'intervals'], kind: 'count', names: ['options'] }, { path: [0, 'tolerance'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'BalancedNetwork', valid: () => [{ N: 6, K: 6, seed: 1, g: 2, J0: 1, I0: 1 }, Float64Array.from([0.1, -0.2, 0.3, 0.1, 0, 0.2]), { amplitude: 0.5, frequency: 0.2, phases: 'independent', seed: 1 }, { dt: 0.05, time: 2, transient: 1 }],
    call: (C, a) => { const n = new (C as unknown as new (o: unknown) => BalancedNetwork)(a[0]); n.setInput(a[2] as never); return [n.largestLyapunov(a[1] as Float64Array, a[3] as never), n.currents(a[1] as Float64Array, 0.5)]; },
    targets: [{ path: [0, 'N'], kind: 'count', names: ['options', 'h'] }, { path: [0, 'K'], kind: 'number', names: ['options'] }, { path: [0, 'g'], kind: 'number', names: ['options', 'dt'] },
      { path: [0, 'J0'], kind: 'number', names: ['options', 'dt'] }, { path: [0, 'I0'], kind: 'number', names: ['options', 'dt'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['options'] }, { path: [0, 'model'], kind: 'enum', names: ['options'] },
      { path: [1], kind: 'numbers', sized: true, names: ['h'] }, { path: [2, 'amplitude'], kind: 'number', names: ['input', 'dt'] }, { path: [2, 'frequency'], kind: 'number', names: ['input'] }, { path: [2, 'phases'], kind: 'enum', names: ['input'] },
      { path: [3, 'dt'], kind: 'number', names: ['options'] }, { path: [3, 'time'], kind: 'number', names: ['options'] }, { path: [3, 'transient'], kind: 'number', names: ['options'] }],
  },
  { name: 'inputPhases', valid: () => [5, 'independent-even', 2], targets: [{ path: [0], kind: 'count', names: ['N'] }, { path: [1], kind: 'enum', names: ['phases'] }, { path: [2], kind: 'count', names: ['seed'] }] },
  { name: 'normalizedError', valid: () => [[0.1, 0.2], [0.2, 0.1]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['outputs', 'target'] }, { path: [1], kind: 'numbers', sized: true, names: ['target'] }] },
];

export const table: Table = {
  module: 'circuits',
  entries,
  exempt: { NONLINEARITY_NAMES: 'constant: the nonlinearity names' },
};
