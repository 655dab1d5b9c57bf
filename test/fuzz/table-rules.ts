/** Fuzz table of lib/rules (see harness.ts for the kinds of bad input and what passes). */
import * as tf from '@tensorflow/tfjs';
import { nonFinitePath, type FuzzEntry, type Table } from './harness';
import { initBackend, Matrix, Rng } from '../../lib/core';
import { fcVec, gatedLinearNetwork, glnMaxMargin, layerFromSpec, mlp, Network, Optimizer, randomGates, reluNetwork, VectorizedNetwork, type NetworkOptions, type VectorizedNetworkOptions } from '../../lib/rules';

const netOptions = (): NetworkOptions => mlp({ inputSize: 4, hidden: [5], classes: 3, seed: 1, rule: 'fa' });
const net = () => new Network(netOptions());
const x = () => tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.5, -0.6, 0.7, 0.8], [0.9, 1, -1.1, 1.2]]);
const targets = () => tf.tensor2d([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
const arrays = () => ({ x: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, 1.0, -1.1, 1.2]), y: [0, 2, 1], count: 3 });
const denseLayer = () => net().paramLayers[0];
const matrix = (rows: number[][]) => new Matrix(rows);
/** A diverged linear-theory run reports divergedAt, and only then its loss may be NaN or infinite. */
const divergedRun = (r: unknown) => (r as { divergedAt: number | null }).divergedAt !== null
  && nonFinitePath(r, 'result', new Set(), 0, (x) => !Number.isFinite(x), /\.finalLoss$|\.records\[\d+\]\./) === null;
const epochZero = { nonFiniteOk: 'the epoch-0 record (before training) has trainLoss and trainAccuracy NaN (EpochRecord)', nonFinitePaths: /records\[0\]\.train(Loss|Accuracy)$|\.diverged\.loss$/ };
const job = () => ({ network: netOptions(), data: { train: arrays(), test: arrays() }, train: { epochs: 1, batchSize: 2, seed: 0, optimizer: { lr: 0.05 } } });
let ruleCount = 0;
const glnX = () => Float64Array.from([1, 0.2, 0.8, -0.1, -1, 0.3, -0.7, -0.2, 0.5, 0.9, -0.4, -0.8]);
const glnY = () => [1, 1, -1, -1, 1, -1];
const glnGates = () => randomGates({ units: 2, hyperplanes: 1, dim: 2, seed: 1 });
const glnNet = () => gatedLinearNetwork('deep', glnGates(), { seed: 2 });
// A vectorized FC net on the 4-input rows above: K = 3 components, hidden width 4.
const vecOptions = (): VectorizedNetworkOptions => fcVec({ inputSize: 4, hidden: [4], classes: 3, seed: 1 });
const vecNet = () => new VectorizedNetwork(vecOptions());
const vecData = () => ({ x: arrays().x, labels: arrays().y, count: 3 });
const glnKernel = () => { const x = glnX(); return Float64Array.from({ length: 36 }, (_, k) => x[2 * Math.floor(k / 6)] * x[2 * (k % 6)] + x[2 * Math.floor(k / 6) + 1] * x[2 * (k % 6) + 1]); };

const entries: FuzzEntry[] = [
  { name: 'angleBetween', valid: () => [tf.tensor1d([1, 2, 3]), tf.tensor1d([3, 1, 2])], targets: [{ path: [0], kind: 'tensor', sized: true, skip: ['rank'], names: ['a', 'b'] }, { path: [1], kind: 'tensor', names: ['b'] }] },
  {
    name: 'createPathway', valid: () => ['fa', denseLayer(), { outputSize: 3, rng: new Rng(1), options: {}, paramIndex: 0, paramCount: 2 }],
    targets: [{ path: [0], kind: 'enum', names: ['rule'] }, { path: [2, 'outputSize'], kind: 'count', names: ['ctx'] }],
  },
  {
    name: 'errorSubspaceAngles', valid: () => [net(), x(), targets()],
    targets: [{ path: [1], kind: 'tensor', sized: true, names: ['x', 'targets'] }, { path: [2], kind: 'tensor', sized: true, names: ['targets', 'x'] }],
  },
  {
    name: 'evaluate', valid: () => [net(), arrays(), 2],
    targets: [{ path: [1, 'x'], kind: 'numbers', sized: true, names: ['data'] }, { path: [1, 'y'], kind: 'numbers', sized: true, names: ['data'] }, { path: [2], kind: 'count', names: ['batchSize'] }],
  },
  {
    name: 'train', ...epochZero, documentedErrors: ['DivergenceError'], valid: () => [net(), arrays(), { epochs: 1, batchSize: 2, seed: 0, optimizer: { lr: 0.05 } }],
    targets: [{ path: [1, 'x'], kind: 'numbers', sized: true, names: ['data'] }, { path: [2, 'epochs'], kind: 'count', names: ['options'] }, { path: [2, 'batchSize'], kind: 'count', names: ['options'] },
      { path: [2, 'optimizer', 'lr'], kind: 'number', names: ['options', 'optimizer'] }, { path: [2, 'optimizer', 'type'], kind: 'enum', names: ['options', 'optimizer'] }],
  },
  { name: 'historyToDataFrame', valid: async () => [(await import('../../lib/rules')).train(net(), arrays(), { epochs: 1, batchSize: 3, seed: 0 })], call: async (fn, a) => { fn(await a[0]); return null; }, targets: [] },
  {
    name: 'runTrainingJob', ...epochZero, documentedErrors: ['DivergenceError'], valid: () => [job()],
    targets: [{ path: [0, 'train', 'epochs'], kind: 'count', names: ['job', 'train'] }, { path: [0, 'data', 'train', 'x'], kind: 'numbers', sized: true, names: ['job', 'data'] }, { path: [0, 'network', 'rule'], kind: 'enum', names: ['job', 'network'] }],
  },
  {
    name: 'runConfigurations', ...epochZero, valid: () => [[job()], { inProcess: true, progress: false }],
    targets: [{ path: [0, 0, 'train', 'batchSize'], kind: 'count', names: ['jobs'] }, { path: [0, 0, 'train', 'optimizer', 'lr'], kind: 'number', names: ['jobs', 'optimizer'] }],
  },
  {
    name: 'simulateLinearTheory', documented: divergedRun, valid: () => [{ rule: 'fixed', inputSize: 4, hiddenSize: 3, outputSize: 2, rank: 1, samples: 8, lr: 0.05, steps: 5, seed: 1 }],
    targets: [{ path: [0, 'rule'], kind: 'enum', names: ['options'] }, { path: [0, 'hiddenSize'], kind: 'count', names: ['options'] }, { path: [0, 'steps'], kind: 'count', names: ['options'] }, { path: [0, 'lr'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'integrateSvdBasis', documented: divergedRun, valid: () => [{ rule: 'fixed', inputSize: 4, hiddenSize: 3, outputSize: 2, rank: 1, samples: 8, lr: 0.05, steps: 5, seed: 1 }],
    targets: [{ path: [0, 'rule'], kind: 'enum', names: ['options'] }, { path: [0, 'outputSize'], kind: 'count', names: ['options'] }, { path: [0, 'lr'], kind: 'number', names: ['options'] }],
  },
  { name: 'isParamLayer', valid: () => [denseLayer()], targets: [] },
  { name: 'layerFromSpec', valid: () => [{ kind: 'dense', units: 3 }], targets: [{ path: [0, 'kind'], kind: 'enum', names: ['spec', 'layer spec', 'dense'] }, { path: [0, 'units'], kind: 'count', names: ['spec', 'layer spec', 'dense'] }] },
  {
    name: 'learningRateAt', valid: () => [{ lr: 0.1, schedule: { type: 'step', milestones: [2, 4], gamma: 0.5 } }, 3],
    targets: [{ path: [1], kind: 'count', names: ['epoch'] }, { path: [0, 'lr'], kind: 'number', names: ['options'] }, { path: [0, 'schedule', 'type'], kind: 'enum', names: ['options', 'schedule'] }, { path: [0, 'schedule', 'gamma'], kind: 'number', names: ['options', 'schedule'] }],
  },
  { name: 'lenet', valid: () => [{ classes: 10, seed: 1, rule: 'usf' }], targets: [{ path: [0, 'classes'], kind: 'count', names: ['options'] }, { path: [0, 'rule'], kind: 'enum', names: ['options'] }, { path: [0, 'activation'], kind: 'enum', names: ['options'] }] },
  { name: 'mlp', valid: () => [{ inputSize: 4, hidden: [5, 3], classes: 3, seed: 1 }], targets: [{ path: [0, 'inputSize'], kind: 'count', names: ['options'] }, { path: [0, 'hidden'], kind: 'numbers', names: ['options'] }, { path: [0, 'seed'], kind: 'count', names: ['options'] }, { path: [0, 'rule'], kind: 'enum', names: ['options'] }] },
  {
    name: 'vgg', valid: () => [{ classes: 10, seed: 1, rule: 'fa', blocks: [[4], [8]], inputShape: [28, 28, 1] }],
    targets: [{ path: [0, 'classes'], kind: 'count', names: ['options'] }, { path: [0, 'blocks', 0], kind: 'numbers', names: ['options', 'blocks'] }, { path: [0, 'inputShape'], kind: 'numbers', names: ['options'] }, { path: [0, 'rule'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'plainConvNet', valid: () => [{ depth: 2, width: 2, classes: 3, seed: 1, rule: 'usf', batchNorm: true }],
    targets: [{ path: [0, 'depth'], kind: 'count', names: ['depth'] }, { path: [0, 'width'], kind: 'count', names: ['width', 'blocks'] }, { path: [0, 'rule'], kind: 'enum', names: ['options', 'rule'] }],
  },
  {
    name: 'resnet', valid: () => [{ depth: 8, width: 2, classes: 3, seed: 1, rule: 'fa', inputShape: [8, 8, 1] }],
    targets: [{ path: [0, 'depth'], kind: 'count', names: ['depth'] }, { path: [0, 'width'], kind: 'count', names: ['width'] }, { path: [0, 'inputShape'], kind: 'numbers', names: ['inputShape'] }, { path: [0, 'rule'], kind: 'enum', names: ['options', 'rule'] }],
  },
  { name: 'vggBatchNorm', valid: () => [{ classes: 3, seed: 1, rule: 'frsf' }], targets: [{ path: [0, 'classes'], kind: 'count', names: ['classes'] }, { path: [0, 'rule'], kind: 'enum', names: ['options', 'rule'] }] },
  {
    name: 'vit', valid: () => [{ inputShape: [8, 8, 1], patchSize: 4, width: 8, depth: 1, heads: 2, mlpWidth: 16, classes: 3, seed: 1, rule: 'fa' }],
    targets: [{ path: [0, 'patchSize'], kind: 'count', names: ['options'] }, { path: [0, 'width'], kind: 'count', names: ['options'] }, { path: [0, 'heads'], kind: 'count', names: ['options'] },
      { path: [0, 'depth'], kind: 'count', names: ['options'] }, { path: [0, 'inputShape'], kind: 'numbers', names: ['options'] }, { path: [0, 'rule'], kind: 'enum', names: ['options'] }],
  },
  { name: 'transformerBlock', valid: () => [8, 2, 16], targets: [{ path: [0], kind: 'count', names: ['width'] }, { path: [1], kind: 'count', names: ['heads'] }, { path: [2], kind: 'count', names: ['mlpWidth'] }] },
  { name: 'trainingFlops', valid: () => [netOptions(), { rule: 'ldfa', rank: 2, ldfaRule: 'raf', batchSize: 4 }],
    targets: [{ path: [1, 'rule'], kind: 'enum', names: ['rule'] }, { path: [1, 'ldfaRule'], kind: 'enum', names: ['ldfaRule'] }, { path: [1, 'batchSize'], kind: 'count', names: ['batchSize'] }, { path: [1, 'rank'], kind: 'count', names: ['rank'] }] },
  { name: 'epochsToFraction', valid: () => [[0.1, 0.5, 0.8, 0.9], 0.9], targets: [{ path: [0], kind: 'numbers', names: ['curve'] }, { path: [1], kind: 'number', names: ['fraction'] }] },
  { name: 'epochsToAccuracy', valid: () => [[0.1, 0.5, 0.8, 0.9], 0.85], targets: [{ path: [0], kind: 'numbers', names: ['curve'] }, { path: [1], kind: 'number', names: ['target'] }] },
  { name: 'attentionRanks', valid: () => [netOptions(), 2], targets: [{ path: [1], kind: 'count', names: ['r'] }] },
  { name: 'listRules', valid: () => [], targets: [] },
  {
    name: 'ojaSubspaceGradient',
    // Per-batch tensor math of LDFA's Oja rule: a NaN entry gives NaN out (reading the tensors back every batch would cost a sync; the trainer's divergence check sees it).
    documented: (_r, c) => / entry = /.test(c.what),
    valid: () => [tf.tensor2d([[1, 0, 0], [0, 1, 0]]), tf.tensor2d([[0.1, 0.2, 0.3], [0.3, -0.1, 0.2]])],
    targets: [{ path: [0], kind: 'tensor', sized: true, skip: ['rows'], names: ['P'] }, { path: [1], kind: 'tensor', names: ['errors'] }],
  },
  // ml-matrix Matrix arguments: the rows are corrupted, the call wraps them.
  { name: 'orthonormalBasis', valid: () => [[[1, 0], [1, 1], [0, 2]]], call: (fn, a) => fn(matrix(a[0] as number[][])), targets: [{ path: [0], kind: 'matrix', names: ['A'] }] },
  {
    name: 'principalAngles', valid: () => [[[1, 0], [0, 1], [0, 0]], [[1, 0], [0, 0], [0, 1]]], call: (fn, a) => fn(matrix(a[0] as number[][]), matrix(a[1] as number[][])),
    targets: [{ path: [0], kind: 'matrix', names: ['A'] }, { path: [1], kind: 'matrix', names: ['B'] }],
  },
  { name: 'topEigenvectors', valid: () => [matrix([[2, 1], [1, 3]]), 1], targets: [{ path: [1], kind: 'count', names: ['r'] }] },
  { name: 'rowCovariance', valid: () => [x()], targets: [{ path: [0], kind: 'tensor', names: ['rows'] }] },
  { name: 'rankOfLayer', valid: () => [{ rank: 2 }, 0, 5], targets: [{ path: [1], kind: 'count', names: ['k'] }, { path: [2], kind: 'count', names: ['width'] }, { path: [0, 'rank'], kind: 'count', names: ['options', 'feedback'] }] },
  {
    name: 'registerRule', valid: () => [`fuzz-rule-${ruleCount++}`, { family: 'fuzz', description: 'a rule the fuzz suite registers', defaults: {}, create: () => null }],
    // Any new string is a valid name (an enum corruption would register it and leak into ruleDefinition's cases).
    targets: [],
  },
  {
    name: 'resolveOptimizerOptions', valid: () => [{ type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }],
    targets: [{ path: [0, 'type'], kind: 'enum', names: ['optimizer'] }, { path: [0, 'lr'], kind: 'number', names: ['optimizer'] }, { path: [0, 'momentum'], kind: 'number', names: ['optimizer'] }, { path: [0, 'weightDecay'], kind: 'number', names: ['optimizer'] }],
  },
  { name: 'copiedOptimizerOptions', valid: () => [{ type: 'sgd', lr: 0.1, updateNoise: 0.01, noiseSeed: 3 }, 2, { weightDecay: 1e-3 }], targets: [{ path: [1], kind: 'count', names: ['stream'] }, { path: [0, 'noiseSeed'], kind: 'count', names: ['parent'] }, { path: [2, 'noiseSeed'], kind: 'count', names: ['overrides', 'optimizer'] }] },
  { name: 'ruleDefinition', valid: () => ['usf'], targets: [{ path: [0], kind: 'enum', names: ['rule'] }] },
  { name: 'truncatedSvdFactors', valid: () => [tf.tensor2d([[1, 2, 3], [4, 5, 6]]), 1], targets: [{ path: [0], kind: 'tensor', names: ['W'] }, { path: [1], kind: 'count', names: ['r', 'rank'] }] },
  {
    name: 'Network', valid: () => [netOptions()], call: (C, a) => new (C as unknown as typeof Network)(a[0] as NetworkOptions).forward(x()).output,
    targets: [{ path: [0, 'inputShape'], kind: 'numbers', names: ['options'] }, { path: [0, 'seed'], kind: 'count', names: ['options'] }, { path: [0, 'rule'], kind: 'enum', names: ['options'] }, { path: [0, 'loss'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'Optimizer', valid: () => [{ type: 'adam', lr: 0.01, beta1: 0.9, updateNoise: 0.01, noiseSeed: 3 }], call: (C, a) => { const o = new (C as unknown as new (x: unknown) => { learningRate: number })(a[0]); return o.learningRate; },
    targets: [{ path: [0, 'type'], kind: 'enum', names: ['optimizer'] }, { path: [0, 'lr'], kind: 'number', names: ['optimizer'] }, { path: [0, 'beta1'], kind: 'number', names: ['optimizer'] }],
  },
  { name: 'xavierUniform', valid: () => [[3, 2], 3, 2, new Rng(1)], targets: [{ path: [0], kind: 'numbers', names: ['shape'] }, { path: [1], kind: 'count', names: ['fanIn'] }] },
  // Gated linear networks: 6 separable points in 2-D, 2 units with one hyperplane each.
  { name: 'randomGates', valid: () => [{ units: 2, hyperplanes: 1, dim: 2, seed: 1 }], targets: [{ path: [0, 'units'], kind: 'count', names: ['options'] }, { path: [0, 'hyperplanes'], kind: 'count', names: ['options'] }, { path: [0, 'dim'], kind: 'count', names: ['options'] }, { path: [0, 'normalStd'], kind: 'number', names: ['options'] }] },
  { name: 'gateContexts', valid: () => [glnGates(), glnX()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }] },
  { name: 'medianGates', valid: () => [glnGates(), glnX()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }] },
  { name: 'gatedLinearNetwork', valid: () => ['deep', glnGates(), { initStd: 0.1 }], targets: [{ path: [0], kind: 'enum', names: ['architecture'] }, { path: [2, 'initStd'], kind: 'number', names: ['options'] }] },
  { name: 'glnOutputs', valid: () => [glnNet(), glnX()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }] },
  { name: 'glnLossAndGradients', valid: () => [glnNet(), glnX(), glnY()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }, { path: [2], kind: 'numbers', sized: true, names: ['y'] }] },
  { name: 'trainGln', valid: () => [glnNet(), glnX(), glnY(), { lr: 0.1, epochs: 3 }], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }, { path: [3, 'lr'], kind: 'number', names: ['options'] }, { path: [3, 'epochs'], kind: 'count', names: ['options'] }] },
  { name: 'maxMarginDual', valid: () => [glnKernel(), glnY(), 6], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['K'] }, { path: [1], kind: 'numbers', sized: true, names: ['y'] }, { path: [2], kind: 'count', names: ['n', 'K', 'y'] }] },
  { name: 'glnMaxMargin', valid: () => [glnGates(), glnX(), glnY(), { norm: 'group' }], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }, { path: [2], kind: 'numbers', sized: true, names: ['y'] }, { path: [3, 'norm'], kind: 'enum', names: ['options'] }, { path: [3, 'maxIterations'], kind: 'count', names: ['options'] }] },
  { name: 'glnMaxMarginOutputs', valid: () => [glnGates(), glnMaxMargin(glnGates(), glnX(), glnY()), glnX()], targets: [{ path: [2], kind: 'numbers', sized: true, names: ['X'] }] },
  { name: 'reluNetwork', valid: () => [2, 2, { initStd: 0.5 }], targets: [{ path: [0], kind: 'count', names: ['units'] }, { path: [1], kind: 'count', names: ['dim'] }, { path: [2, 'initStd'], kind: 'number', names: ['options'] }] },
  { name: 'reluLossAndGradients', valid: () => [reluNetwork(2, 2, { seed: 1 }), glnX(), glnY()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }, { path: [2], kind: 'numbers', sized: true, names: ['y'] }] },
  { name: 'trainRelu', valid: () => [reluNetwork(2, 2, { seed: 1 }), glnX(), glnY(), { lr: 0.1, epochs: 3 }], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }, { path: [3, 'lr'], kind: 'number', names: ['options'] }, { path: [3, 'epochs'], kind: 'count', names: ['options'] }] },
  { name: 'reluGates', valid: () => [reluNetwork(2, 2, { seed: 1 })], targets: [] },
  { name: 'glnNorm', valid: () => [new Float64Array(8), glnGates(), 'architecture'], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['beta'] }, { path: [2], kind: 'enum', names: ['norm'] }] },
  { name: 'reluReadoutMaxMargin', valid: () => [reluNetwork(2, 2, { seed: 4 }), glnX(), glnY()], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['X'] }, { path: [2], kind: 'numbers', sized: true, names: ['y'] }] },
  // Vectorized networks and GEVB (vectorized.ts), the locally connected layer's patch kernel.
  {
    name: 'VectorizedNetwork', valid: () => [vecOptions()], call: (C, a) => new (C as unknown as typeof VectorizedNetwork)(a[0] as VectorizedNetworkOptions).predict(x()),
    targets: [{ path: [0, 'inputShape'], kind: 'numbers', names: ['options', 'inputShape'] }, { path: [0, 'classes'], kind: 'count', names: ['options', 'classes'] }, { path: [0, 'sign'], kind: 'enum', names: ['options', 'sign'] }, { path: [0, 'rule'], kind: 'enum', names: ['options', 'rule'] }, { path: [0, 'seed'], kind: 'count', names: ['options', 'seed'] }],
  },
  { name: 'fcVec', valid: () => [{ inputSize: 4, hidden: [4, 2], classes: 3 }], targets: [{ path: [0, 'inputSize'], kind: 'count', names: ['inputSize'] }, { path: [0, 'hidden'], kind: 'numbers', names: ['hidden'] }] },
  { name: 'spatialVec', valid: () => [{ form: 'conv2d', channels: [2, 2], hidden: 2, classes: 3, inputShape: [4, 4, 1] }], targets: [{ path: [0, 'form'], kind: 'enum', names: ['form'] }, { path: [0, 'channels'], kind: 'numbers', names: ['channels'] }, { path: [0, 'hidden'], kind: 'count', names: ['hidden'] }] },
  { name: 'compareWithBackprop', valid: () => [vecNet(), x(), [0, 2, 1]], targets: [{ path: [1], kind: 'tensor', sized: true, names: ['x', 'labels'] }, { path: [2], kind: 'numbers', sized: true, names: ['labels', 'x'] }] },
  { name: 'evaluateClassifier', valid: () => [vecNet(), vecData(), 2], targets: [{ path: [1, 'x'], kind: 'numbers', sized: true, names: ['data', 'x'] }, { path: [2], kind: 'count', names: ['batchSize'] }] },
  {
    name: 'trainClassifier', valid: () => [vecNet(), vecData(), { epochs: 1, batchSize: 2, seed: 0, optimizer: new Optimizer({ type: 'adam', lr: 0.01 }) }],
    targets: [{ path: [1, 'x'], kind: 'numbers', sized: true, names: ['data', 'x'] }, { path: [2, 'epochs'], kind: 'count', names: ['epochs'] }, { path: [2, 'batchSize'], kind: 'count', names: ['batchSize'] }, { path: [2, 'seed'], kind: 'count', names: ['seed'] }],
  },
  // Issue 29: the Poisson loss of softplus rates (poisson.ts). Per-batch tensor math: a NaN or infinite entry gives a non-finite loss, as in the other losses (the trainer's divergence check sees it).
  {
    name: 'poissonLossAndError', documented: (_r, c) => / entry = /.test(c.what), valid: () => [tf.tensor2d([[0.5, -2], [3, -40]]), tf.tensor2d([[1, 0], [4, 2]])],
    targets: [{ path: [0], kind: 'tensor', sized: true, names: ['z', 'targets'] }, { path: [1], kind: 'tensor', sized: true, names: ['targets'] }],
  },
  { name: 'softplus', documented: (_r, c) => / entry = /.test(c.what), valid: () => [tf.tensor1d([-200, -1, 0, 2, 300])], targets: [{ path: [0], kind: 'tensor', skip: ['rank', 'rows'], names: ['z'] }] },
  {
    name: 'foldTime', valid: () => [Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => i / 10), [5, 2, 3], 3],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['movie', 'shape'] }, { path: [1], kind: 'numbers', names: ['shape', 'movie'] }, { path: [2], kind: 'count', names: ['window'] }],
  },
  {
    name: 'integratedGradients', valid: () => [net(), x(), { target: 1, layer: 1, steps: 4 }],
    targets: [{ path: [1], kind: 'tensor', sized: true, skip: ['rows'], names: ['x'] }, { path: [2, 'target'], kind: 'count', names: ['target', 'options'] }, { path: [2, 'layer'], kind: 'count', names: ['layer', 'options'] },
      { path: [2, 'steps'], kind: 'count', names: ['steps', 'options'] }, { path: [2, 'rule'], kind: 'enum', names: ['rule', 'options'] }, { path: [2, 'path'], kind: 'enum', names: ['path', 'options'] }, { path: [2, 'baseline'], kind: 'number', names: ['baseline', 'options'] }],
  },
  { name: 'quadratureNodes', valid: () => ['midpoint', 5], targets: [{ path: [0], kind: 'enum', names: ['rule'] }, { path: [1], kind: 'count', names: ['steps'] }] },
  { name: 'patchKernel', valid: () => [3, 2], targets: [{ path: [0], kind: 'count', names: ['kernelSize'] }, { path: [1], kind: 'count', names: ['channels'] }] },
];

export const table: Table = {
  module: 'rules',
  entries,
  async setup() {
    await initBackend({ prefer: 'cpu', print: false });
    void layerFromSpec;
  },
  exempt: {
    Activation: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    AvgPool: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    Conv2d: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    Dense: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    Flatten: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    MaxPool: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    Attention: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    Gelu: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    LayerNorm: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    PatchEmbedding: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    TokenMean: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    BatchNorm: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    Residual: 'class: a layer; layers are built through layerFromSpec, fuzzed',
    GaussianNoise: 'class: a layer; layers are built through layerFromSpec (its spec checks in test/rules/noise.test.ts)',
    Pathway: 'class: a base class for new rules (extended, not called with user data)',
    KernelPathway: 'class: a base class for new rules (extended, not called with user data)',
    LowRankPathway: 'class: built by createPathway for the low-rank rules, fuzzed there',
    DivergenceError: 'class: an error type the trainer throws',
    Gate: 'class: a vectorized layer; built through VectorizedNetwork, fuzzed',
    VecParamLayer: 'class: a vectorized layer; built through VectorizedNetwork, fuzzed',
    LocallyConnected2d: 'class: a layer; its linear maps are tested against an explicit matrix (test/rules/vectorized.test.ts), built with checked specs',
    gevbRules: 'constant: the GEVB rule definition (its pathway is created by VectorizedNetwork, fuzzed)',
    ACTIVATIONS: 'constant: activation names',
    ALL_RULES: 'constant: rule names',
    RULES: 'constant: rule names',
    LOW_RANK_FEEDBACK_RULES: 'constant: rule names',
    LOW_RANK_RULES: 'constant: rule names',
    LINEAR_THEORY_RULES: 'constant: rule names',
    INTEGRATION_RULES: 'constant: quadrature rule names',
  },
};
