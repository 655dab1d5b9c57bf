/**
 * Fuzz table of lib/dynamics (see harness.ts). The fixture is a 3-unit vanilla
 * RNN (input 1, output 1) and the fixed points its finder reaches from four
 * hand-picked states.
 */
import * as tf from '@tensorflow/tfjs';
import type { FuzzEntry, Table } from './harness';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closeDefaultPool, initBackend } from '../../lib/core';
import { FixedPointFinder, SequenceClassifier, integrator, RecurrentNetwork, tangentSystemFromMap, topologyGraph, type FixedPoints } from '../../lib/dynamics';
import { pca, type Pca } from '../../lib/geometry';

const net = () => RecurrentNetwork.create({ kind: 'vanilla', units: 3, inputSize: 1, outputSize: 1, seed: 1 });
const classifier = () => SequenceClassifier.create({ kind: 'gru', units: 3, embeddingSize: 2, vocabSize: 5, seed: 1 });
/** Two padded token sequences (0 = padding) with labels, as a batch and as a data set. */
const tokens = () => ({ sequences: Int32Array.of(0, 2, 3, 4, 1, 2), labels: [0, 1], size: 2, maxLength: 3 });
const tokenData = () => ({ sequences: Int32Array.of(0, 2, 3, 4, 1, 2), labels: [0, 1], count: 2, maxLength: 3 });
const tokenTargets: FuzzEntry['targets'] = [{ path: [1, 'sequences'], kind: 'numbers', sized: true, names: ['batch'] }, { path: [1, 'size'], kind: 'count', names: ['batch'] }];
const batch = () => integrator({ batch: 2, steps: 5, seed: 1 });
const starts = () => [[0.1, 0.2, 0.3], [-0.2, 0.1, 0.4], [0.5, -0.5, 0.1], [0, 0, 0]];
let fixture: { net: RecurrentNetwork; fp: FixedPoints; p: Pca };
const S = 3;
const tensors3 = () => ({ inputs: tf.tensor3d(batch().inputs, [2, 5, 1]), targets: tf.tensor3d(batch().targets, [2, 5, 1]) });
const taskTargets = (extra: FuzzEntry['targets'] = []): FuzzEntry['targets'] => [
  { path: [0, 'batch'], kind: 'count', names: ['o', 'options'] }, { path: [0, 'steps'], kind: 'count', names: ['o', 'options'] }, { path: [0, 'seed'], kind: 'count', names: ['o', 'options'] }, ...extra,
];

const entries: FuzzEntry[] = [
  { name: 'cellDefinition', valid: () => ['gru'], targets: [{ path: [0], kind: 'enum', names: ['kind'] }] },
  {
    name: 'createCell', valid: () => ['lstm', { units: 3, inputSize: 2, seed: 1, recurrentScale: 1 }],
    targets: [{ path: [0], kind: 'enum', names: ['kind'] }, { path: [1, 'units'], kind: 'count', names: ['options'] }, { path: [1, 'seed'], kind: 'count', names: ['options'] }, { path: [1, 'recurrentScale'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'cellFromJSON', valid: () => [net().cell.toJSON()],
    targets: [{ path: [0, 'kind'], kind: 'enum', names: ['json'] }, { path: [0, 'units'], kind: 'count', names: ['json'] }, { path: [0, 'params', 'Wh', 'values'], kind: 'numbers', sized: true, names: ['json'] }],
  },
  {
    name: 'RecurrentNetwork', valid: () => [{ kind: 'gru', units: 3, inputSize: 1, outputSize: 1, seed: 1 }], call: (C, a) => (C as unknown as typeof RecurrentNetwork).create(a[0] as never),
    targets: [{ path: [0, 'kind'], kind: 'enum', names: ['options'] }, { path: [0, 'units'], kind: 'count', names: ['options'] }, { path: [0, 'outputSize'], kind: 'count', names: ['options'] }],
  },
  { name: 'integrator', valid: () => [{ batch: 2, steps: 5, seed: 1, noiseScale: 0.1 }], targets: taskTargets([{ path: [0, 'noiseScale'], kind: 'number', names: ['o', 'options'] }]) },
  { name: 'decision', valid: () => [{ batch: 2, steps: 5, seed: 1, biasScale: 0.5 }], targets: taskTargets([{ path: [0, 'biasScale'], kind: 'number', names: ['o', 'options'] }]) },
  { name: 'contextIntegration', valid: () => [{ batch: 2, steps: 5, seed: 1 }], targets: taskTargets() },
  { name: 'flipFlop', valid: () => [{ batch: 2, steps: 5, seed: 1, bits: 3, pulseProbability: 0.2 }], targets: taskTargets([{ path: [0, 'bits'], kind: 'count', names: ['o', 'options'] }, { path: [0, 'pulseProbability'], kind: 'number', names: ['o', 'options'] }]) },
  { name: 'sineWave', valid: () => [{ batch: 2, steps: 5, seed: 1, frequencies: 3 }], targets: taskTargets([{ path: [0, 'frequencies'], kind: 'count', names: ['o', 'options'] }, { path: [0, 'maxOmega'], kind: 'number', names: ['o', 'options'] }]) },
  { name: 'generateTask', valid: () => ['flipFlop', { batch: 2, seed: 1 }], targets: [{ path: [0], kind: 'enum', names: ['name', 'task'] }, { path: [1, 'batch'], kind: 'count', names: ['options'] }] },
  { name: 'taskTensors', valid: () => [batch()], targets: [{ path: [0, 'inputs'], kind: 'numbers', sized: true, names: ['b', 'batch'] }, { path: [0, 'batch'], kind: 'count', names: ['b', 'batch'] }] },
  { name: 'makeSchedule', valid: () => [{ kind: 'exponential', rate: 0.01, decay: 0.99 }], call: (fn, a) => (fn(...a) as { rate(s: number, l: number): number }).rate(3, 0.5), targets: [{ path: [0, 'kind'], kind: 'enum', names: ['spec', 'learningRate'] }, { path: [0, 'rate'], kind: 'number', names: ['spec', 'learningRate'] }, { path: [0, 'decay'], kind: 'number', names: ['spec', 'learningRate'] }] },
  { name: 'networkLossF64', valid: () => [net(), batch(), 0], targets: [{ path: [1, 'inputs'], kind: 'numbers', sized: true, names: ['batch'] }, { path: [1, 'targets'], kind: 'numbers', sized: true, names: ['batch'] }, { path: [2], kind: 'number', names: ['l2'] }] },
  { name: 'fusedLossAndGradients', valid: () => [net(), batch(), 0], targets: [{ path: [1, 'inputs'], kind: 'numbers', sized: true, names: ['batch'] }, { path: [1, 'targets'], kind: 'numbers', names: ['batch'] }, { path: [2], kind: 'number', names: ['l2'] }] },
  { name: 'networkLoss', valid: () => { const t = tensors3(); return [net(), t.inputs, t.targets, 0]; }, targets: [{ path: [1], kind: 'tensor', sized: true, names: ['inputs', 'targets'] }, { path: [2], kind: 'tensor', sized: true, names: ['targets', 'inputs'] }, { path: [3], kind: 'number', names: ['l2'] }] },
  { name: 'lossAndGradients', valid: () => { const t = tensors3(); return [net(), t.inputs, t.targets, 0]; }, targets: [{ path: [1], kind: 'tensor', sized: true, names: ['inputs', 'targets'] }, { path: [2], kind: 'tensor', names: ['targets'] }, { path: [3], kind: 'number', names: ['l2'] }] },
  {
    name: 'SequenceClassifier', valid: () => [{ kind: 'lstm', units: 3, embeddingSize: 2, vocabSize: 5, seed: 1, embeddingScale: 0.5 }], call: (C, a) => (C as unknown as typeof SequenceClassifier).create(a[0] as never),
    targets: [{ path: [0, 'kind'], kind: 'enum', names: ['options'] }, { path: [0, 'vocabSize'], kind: 'count', names: ['options'] }, { path: [0, 'embeddingSize'], kind: 'count', names: ['options'] }, { path: [0, 'embeddingScale'], kind: 'number', names: ['options'] }],
  },
  { name: 'sequenceLogits', valid: () => [classifier(), tokens()], targets: tokenTargets },
  { name: 'sequenceStates', valid: () => [classifier(), tokens()], targets: tokenTargets },
  { name: 'sequenceLossAndGradients', valid: () => [classifier(), tokens(), 0.01], targets: [...tokenTargets, { path: [1, 'labels'], kind: 'numbers', sized: true, names: ['batch'] }, { path: [2], kind: 'number', names: ['l2'] }] },
  { name: 'sequenceLossF64', valid: () => [classifier(), tokens(), 0.01], targets: [...tokenTargets, { path: [1, 'labels'], kind: 'numbers', sized: true, names: ['batch'] }, { path: [2], kind: 'number', names: ['l2'] }] },
  { name: 'evaluateSequenceClassifier', valid: () => [classifier(), tokenData(), { batchSize: 1 }], targets: [{ path: [1, 'sequences'], kind: 'numbers', sized: true, names: ['data'] }, { path: [1, 'labels'], kind: 'numbers', sized: true, names: ['data'] }, { path: [2, 'batchSize'], kind: 'count', names: ['o', 'options'] }] },
  {
    name: 'trainSequenceClassifier', valid: () => [classifier(), tokenData(), { epochs: 1, batchSize: 1, seed: 1, learningRate: 0.01, progress: false }],
    targets: [{ path: [1, 'labels'], kind: 'numbers', sized: true, names: ['data'] }, { path: [2, 'epochs'], kind: 'count', names: ['o', 'options'] }, { path: [2, 'batchSize'], kind: 'count', names: ['o', 'options'] }, { path: [2, 'learningRate'], kind: 'number', names: ['o', 'options'] }],
  },
  {
    name: 'trainNetwork', valid: () => [net(), { task: 'integrator', steps: 3, batchSize: 2, trainingTrials: 4, seed: 1, learningRate: 0.01 }],
    targets: [{ path: [1, 'task'], kind: 'enum', names: ['o', 'options'] }, { path: [1, 'steps'], kind: 'count', names: ['o', 'options'] }, { path: [1, 'batchSize'], kind: 'count', names: ['o', 'options'] }, { path: [1, 'learningRate'], kind: 'number', names: ['o', 'options'] }],
  },
  { name: 'trajectoryStates', valid: () => [net(), 'integrator', { trials: 2, seed: 1 }], targets: [{ path: [1], kind: 'enum', names: ['task'] }, { path: [2, 'trials'], kind: 'count', names: ['o', 'options'] }, { path: [2, 'seed'], kind: 'count', names: ['o', 'options'] }] },
  {
    name: 'findNetworkFixedPoints', valid: () => [net(), { task: 'integrator', trials: 2, initialStates: 4, seed: 1, finder: { maxIters: 200 } }],
    targets: [{ path: [1, 'task'], kind: 'enum', names: ['o', 'options'] }, { path: [1, 'initialStates'], kind: 'count', names: ['o', 'options'] }, { path: [1, 'noise'], kind: 'number', names: ['o', 'options'] }, { path: [1, 'finder', 'maxIters'], kind: 'count', names: ['o', 'options', 'finder'] }],
  },
  {
    name: 'FixedPointFinder', nonFiniteOk: 'dq is Infinity for a point that met the stopping rule before its first step (FixedPointsData.dq)', nonFinitePaths: /\.dq\[\d+\]$/, valid: () => [net().cell, { maxIters: 200, tolQ: 1e-12 }, starts()], call: (C, a) => new (C as unknown as typeof FixedPointFinder)(a[0] as never, a[1] as never).find(a[2] as number[][]),
    targets: [{ path: [1, 'maxIters'], kind: 'count', names: ['options'] }, { path: [1, 'tolQ'], kind: 'number', names: ['options'] }, { path: [2], kind: 'matrix', sized: true, names: ['initialStates'] }],
  },
  { name: 'decompose', valid: () => [new Float64Array([0.5, 0.1, 0, 0.2, 0.3, 0, 0, 0, 0.9]), S], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['J'] }, { path: [1], kind: 'count', names: ['S'] }] },
  { name: 'float32QFloor', valid: () => [[0.1, 0.2, 0.3], [0.11, 0.19, 0.3]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['x', 'Fx'] }, { path: [1], kind: 'numbers', sized: true, names: ['Fx', 'x'] }] },
  { name: 'jacobiansByAutodiff', valid: () => [net().cell, new Float64Array([0.1, 0.2, 0.3]), new Float64Array([0.5]), 1], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['xstar'] }, { path: [2], kind: 'numbers', sized: true, names: ['inputs'] }, { path: [3], kind: 'count', names: ['n'] }] },
  { name: 'fixedPointFigureData', valid: () => [fixture.fp, fixture.p, { scale: 0.5, modesPerPoint: 1 }], targets: [{ path: [2, 'scale'], kind: 'number', names: ['o', 'options'] }, { path: [2, 'modesPerPoint'], kind: 'count', names: ['o', 'options'] }] },
  { name: 'lineAttractorStatistics', nonFiniteOk: 'lineVariance is NaN below minPoints points (LineAttractorStatistics)', nonFinitePaths: /\.lineVariance$/, valid: () => [fixture.fp, { minPoints: 2, inputColumns: [0] }], targets: [{ path: [1, 'minPoints'], kind: 'count', names: ['o', 'options'] }, { path: [1, 'inputColumns'], kind: 'numbers', names: ['o', 'options'] }] },
  { name: 'heldInputFate', valid: () => [fixture.net.cell, new Float64Array([0.1, 0.2, 0.3, -0.2, 0.1, 0.4]), new Float64Array([0.2]), { steps: 5 }], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['states'] }, { path: [2], kind: 'numbers', sized: true, names: ['input'] }, { path: [3, 'steps'], kind: 'count', names: ['steps', 'o'] }, { path: [3, 'tolerance'], kind: 'number', names: ['tolerance', 'o'] }, { path: [3, 'uniqueDistance'], kind: 'number', names: ['uniqueDistance', 'o'] }] },
  { name: 'linearisedPrediction', valid: () => [fixture.net.cell, fixture.fp, 0, new Float64Array([0.1, 0.2, 0.3]), new Float64Array([0.2])], targets: [{ path: [2], kind: 'count', names: ['index'] }, { path: [3], kind: 'numbers', sized: true, names: ['states'] }, { path: [4], kind: 'numbers', sized: true, names: ['inputs'] }] },
  { name: 'topologyGraph', valid: () => [fixture.net.cell, fixture.fp, { eps: 0.01, steps: 20 }], targets: [{ path: [2, 'eps'], kind: 'number', names: ['o', 'options'] }, { path: [2, 'steps'], kind: 'count', names: ['o', 'options'] }, { path: [2, 'radius'], kind: 'number', names: ['o', 'options'] }] },
  { name: 'fixedPointGraph', valid: () => [fixture.fp, topologyGraph(fixture.net.cell, fixture.fp, { steps: 20 })], targets: [] },
  { name: 'weisfeilerLehmanFeatures', valid: () => [{ labels: ['stable', 'unstable:1'], edges: [[0, 1]] }, 2], targets: [{ path: [1], kind: 'count', names: ['iterations'] }, { path: [0, 'edges', 0], kind: 'numbers', names: ['g'] }] },
  { name: 'topologyDistance', valid: () => [{ labels: ['stable', 'unstable:1'], edges: [[0, 1]] }, { labels: ['stable'], edges: [] }, { iterations: 2 }], targets: [{ path: [2, 'iterations'], kind: 'count', names: ['iterations', 'o'] }, { path: [0, 'edges', 0], kind: 'numbers', names: ['a'] }] },
  { name: 'topologyDistanceJob', valid: () => [{ graphs: [{ labels: ['stable', 'unstable:1'], edges: [[0, 1]] }, { labels: ['stable'], edges: [] }], pairs: [0, 1], iterations: 1 }], targets: [{ path: [0, 'iterations'], kind: 'count', names: ['iterations', 'args'] }] },
  { name: 'topologyDistanceMatrix', valid: () => [[{ labels: ['stable', 'unstable:1'], edges: [[0, 1]] }], { iterations: 1 }], targets: [{ path: [1, 'iterations'], kind: 'count', names: ['iterations', 'o'] }] },
  { name: 'populationMembers', valid: () => [{ archs: ['gru'], seeds: [0, 1] }], targets: [{ path: [0, 'seeds'], kind: 'numbers', nonEmpty: true, names: ['seeds'] }, { path: [0, 'archs', 0], kind: 'enum', names: ['archs'] }, { path: [0, 'nonlinearities'], kind: 'enum', names: ['nonlinearities'] }] },
  { name: 'memberKey', valid: () => [{ arch: 'gru', seed: 1 }], targets: [{ path: [0, 'seed'], kind: 'number', names: ['member'] }] },
  { name: 'memberFile', valid: () => ['/tmp/ldl-fuzz-population', { arch: 'gru', seed: 1 }, { a: 1 }], targets: [{ path: [1, 'seed'], kind: 'number', names: ['member'] }] },
  { name: 'settingsHash', valid: () => [{ a: 1, b: [2, 3] }], targets: [] },
  { name: 'populationJob', valid: () => [(m: { seed: number }) => m.seed], call: (fn, a) => typeof fn(...a), targets: [] },
  {
    name: 'runPopulation', valid: () => [{ members: [{ arch: 'gru', nonlinearity: 'tanh', seed: 1 }], settings: { scale: 1, dir: os.tmpdir() }, outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-fuzz-population-')), job: { module: 'test/dynamics/fixtures/population-job', export: 'countingMember' }, run: { progress: false } }],
    call: async (fn, a) => { try { return await fn(...a); } finally { await closeDefaultPool(); fs.rmSync((a[0] as { outDir: string }).outDir, { recursive: true, force: true }); } }, targets: [{ path: [0, 'members'], kind: 'numbers', nonEmpty: true, skip: ['value'], names: ['members'] }],
  },
  { name: 'randomOrthogonal', valid: () => [3, 1], targets: [{ path: [0], kind: 'count', names: ['size'] }, { path: [1], kind: 'count', names: ['seed'] }] },
  { name: 'selfExcitingUnits', valid: () => [{ gains: [1.5, 1.2, 2], seed: 1 }], call: (fn, a) => { const r = fn(...a) as { dispose?: () => void; stateSize: number; gains: unknown; rotation: unknown }; return { stateSize: r.stateSize, gains: r.gains, rotation: r.rotation }; }, targets: [{ path: [0, 'gains'], kind: 'numbers', nonEmpty: true, names: ['o', 'options'] }, { path: [0, 'seed'], kind: 'count', names: ['o', 'options'] }] },
  { name: 'kaplanYorkeDimension', valid: () => [[0.2, -0.1, -0.5]], targets: [{ path: [0], kind: 'numbers', names: ['exponents'] }] },
  { name: 'entropyRate', valid: () => [[0.2, -0.1, -0.5]], targets: [{ path: [0], kind: 'numbers', names: ['exponents'] }] },
  { name: 'tangentSystemFromMap', valid: () => [fixture.net.cell, [0.5]], call: (fn, a) => (fn(...a) as { dim: number }).dim, targets: [{ path: [1], kind: 'numbers', sized: true, names: ['input'] }] },

  {
    name: 'lyapunovSpectrum', valid: () => [tangentSystemFromMap(fixture.net.cell), [0.1, 0.2, 0.3], { time: 20 }],
    targets: [{ path: [1], kind: 'numbers', sized: true, names: ['x0'] }, { path: [2, 'time'], kind: 'number', names: ['options'] }, { path: [2, 'k'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'largestExponentByTwoTrajectories', valid: () => [tangentSystemFromMap(fixture.net.cell), [0.1, 0.2, 0.3], { time: 20 }],
    targets: [{ path: [1], kind: 'numbers', sized: true, names: ['x0'] }, { path: [2, 'time'], kind: 'number', names: ['options'] }, { path: [2, 'transient'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'trajectory', valid: () => [tangentSystemFromMap(fixture.net.cell), [0.1, 0.2, 0.3], { time: 10 }],
    targets: [{ path: [1], kind: 'numbers', sized: true, names: ['x0'] }, { path: [2, 'time'], kind: 'number', names: ['options'] }, { path: [2, 'sampleEvery'], kind: 'number', names: ['options'] }],
  },
];

export const table: Table = {
  module: 'dynamics',
  entries,
  async setup() {
    await initBackend({ prefer: 'cpu', print: false });
    const n = net();
    const fp = new FixedPointFinder(n.cell, { maxIters: 300 }).find(starts()).fixedPoints;
    fixture = { net: n, fp, p: pca(Float64Array.from({ length: 18 }, (_, i) => Math.sin(i * 1.3)), S, 3) };
  },
  exempt: {
    SEQUENCE_PAD_ID: 'constant: the padding token id (0)',
    RecurrentCell: 'class: the base of the cells; cells are built through createCell and cellFromJSON, fuzzed',
    VanillaCell: 'class: built through createCell, fuzzed',
    GruCell: 'class: built through createCell, fuzzed',
    LstmCell: 'class: built through createCell, fuzzed',
    UgrnnCell: 'class: built through createCell, fuzzed',
    FixedPoints: 'class: the finder\'s result, built from its checked search (FixedPointFinder line) or a saved file',
    AdaptiveLearningRate: 'class: built by makeSchedule({ kind: "adaptive" }), fuzzed',
    AdaptiveGradNormClip: 'class: the clipping state trainNetwork keeps; its numbers come from trainNetwork\'s options, fuzzed',
    CELL_KINDS: 'constant: cell kind names',
    NONLINEARITIES: 'constant: the nonlinearities the built-in cells have',
    MARGINAL_TOLERANCE: 'constant: the default tolerance on | |lambda| - 1 | of a marginal mode',
    CELL_TABLE: 'constant: the cell table',
    TASK_NAMES: 'constant: task names',
  },
};
