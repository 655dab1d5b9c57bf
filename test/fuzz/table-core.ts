/** Fuzz table of lib/core (see harness.ts for the kinds of bad input and what passes). */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { infinityPassesThrough, type FuzzEntry, type Table } from './harness';
import { clearInterrupt } from '../../lib/core';

const M = [[4, 1], [1, 3]];
const A = [[1, 2], [3, 4], [5, 7]];
/** Rows [1 0], [0 2], [3 1] in compressed form. */
const sparse = () => ({ rows: 3, cols: 2, indptr: Int32Array.of(0, 1, 2, 4), indices: Int32Array.of(0, 1, 0, 1), values: Float64Array.of(1, 2, 3, 1) });
const noArgs = (name: string): FuzzEntry => ({ name, valid: () => [], targets: [] });
/** A kernel (gemm, the RNN elementwise maps) computes with IEEE semantics: NaN in gives NaN out, as BLAS does. */
const kernelValue = (_r: unknown, c: { what: string }) => /\] = /.test(c.what) || / entry = /.test(c.what);
/** Environment values are strings: a bad number arrives as its text. */
const env = (e: unknown) => Object.fromEntries(Object.entries(e as object).map(([k, v]) => [k, String(v)]));
const construct = (C: unknown, a: unknown[]) => new (C as new (...x: unknown[]) => unknown)(...a);
const okResult = (jobIndex: number, value: number) => ({ ok: true, value, ms: 1, jobIndex, pid: 1 });

const entries: FuzzEntry[] = [
  { name: 'checkFinite', valid: () => ['x', [1, 2, 3], 'float32'], call: (fn, a) => { fn(...a); return Array.from(a[1] as number[], Math.fround); }, targets: [{ path: [1], kind: 'numbers', names: ['x'] }, { path: [2], kind: 'enum', names: ['range'] }] },
  { name: 'checkInteger', valid: () => ['n', 3, 0, 10], targets: [{ path: [1], kind: 'count', names: ['n'] }] },
  { name: 'checkNumber', valid: () => ['t', 0.5, 0, 1], targets: [{ path: [1], kind: 'count', skip: ['fraction'], names: ['t'] }] },
  { name: 'checkPositive', valid: () => ['lr', 0.1], targets: [{ path: [1], kind: 'count', skip: ['fraction'], names: ['lr'] }] },
  { name: 'checkOneOf', valid: () => ['kind', 'a', ['a', 'b']], targets: [{ path: [1], kind: 'enum', names: ['kind'] }] },
  { name: 'checkString', valid: () => ['label', 'x'], targets: [] },
  { name: 'checkShape', valid: () => ['x', [2, 3], [2, -1]], targets: [{ path: [1], kind: 'numbers', sized: true, names: ['x'] }] },
  { name: 'describe', valid: () => [1.5], targets: [{ path: [0], kind: 'number' }] },
  { name: 'rng', valid: () => [7], targets: [{ path: [0], kind: 'count', names: ['seed'] }] },
  { name: 'initBackend', valid: () => [{ prefer: 'cpu', print: false }], targets: [{ path: [0, 'prefer'], kind: 'enum' }] },
  noArgs('backendReport'), noArgs('blasInfo'), noArgs('blasThreads'), noArgs('nativeAvailable'), noArgs('nativeLoadError'),
  noArgs('nativeAddon'), noArgs('gemmIsNative'), noArgs('rnnElementwiseIsNative'), noArgs('rnnElementwise'), noArgs('projectRoot'),
  noArgs('interruptRequested'), noArgs('clearInterrupt'), noArgs('lastInterruption'), noArgs('notebookDisplay'), noArgs('yieldToEventLoop'),
  { name: 'requestInterrupt', valid: () => [], call: (fn) => { const r = fn(); clearInterrupt(); return r; }, targets: [] },
  { name: 'listening', valid: () => [], call: (fn) => (fn() as () => void)(), targets: [] },
  { name: 'installInterruptHandler', valid: () => [], call: (fn) => (fn() as () => void)(), targets: [] },
  { name: 'onInterrupt', valid: () => [() => undefined], call: (fn, a) => (fn(...a) as () => void)(), targets: [] },
  { name: 'throwIfInterrupted', valid: () => ['training', () => 'at step 3', () => null], targets: [] },
  // tensors' arrays without a copy (blas backend: lent, not given): NaN in a tensor reads as NaN
  { name: 'borrowedFloat32', valid: () => [tf.tensor1d([1, 2, 3]), 'x'], call: (fn, a) => Array.from(fn(...a) as Float32Array), documented: kernelValue, targets: [{ path: [0], kind: 'tensor', names: ['x'] }] },
  { name: 'writableFloat32', valid: () => [tf.variable(tf.tensor1d([1, 2, 3])), 'w'], call: (fn, a) => Array.from(fn(...a) as Float32Array), targets: [] },
  { name: 'tensorOutputFloat32', valid: () => [8], call: (fn, a) => (fn(...a) as Float32Array).length, targets: [{ path: [0], kind: 'count', names: ['n'] }] },
  { name: 'setBlasThreads', valid: () => [1], targets: [{ path: [0], kind: 'count', names: ['n'] }] },
  { name: 'setGemmImpl', valid: () => [null], targets: [{ path: [0], kind: 'enum', names: ['impl'] }] },
  {
    name: 'gemm', valid: () => [2, 2, 3, new Float64Array([1, 2, 3, 4, 5, 6]), new Float64Array([1, 0, 0, 1, 1, 1]), new Float64Array(4), { alpha: 1 }],
    call: (fn, a) => { fn(...a); return a[5]; }, documented: kernelValue,
    targets: [{ path: [0], kind: 'count', names: ['m'] }, { path: [2], kind: 'count', names: ['k'] }, { path: [3], kind: 'numbers', sized: true, skip: ['long'], names: ['a'] },
      { path: [4], kind: 'numbers', sized: true, skip: ['long'], names: ['b'] }, { path: [6, 'alpha'], kind: 'number', names: ['alpha'] }],
  },
  {
    name: 'gemmJs', valid: () => [false, false, 2, 2, 3, 1, new Float64Array([1, 2, 3, 4, 5, 6]), 3, new Float64Array([1, 0, 0, 1, 1, 1]), 2, 0, new Float64Array(4), 2],
    call: (fn, a) => { fn(...a); return a[11]; }, documented: kernelValue,
    targets: [{ path: [2], kind: 'count', names: ['m'] }, { path: [6], kind: 'numbers', sized: true, skip: ['long'], names: ['a'] }, { path: [7], kind: 'count', names: ['lda'] }],
  },
  { name: 'sigmoid', valid: () => [0.3], documented: (_r, c) => c.what.includes('NaN'), targets: [{ path: [0], kind: 'number', names: ['a'] }] },
  { name: 'tanh', valid: () => [0.3], documented: (_r, c) => c.what.includes('NaN'), targets: [{ path: [0], kind: 'number', names: ['a'] }] },
  { name: 'cosine', valid: () => [[1, 2, 3], [3, 2, 1]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['a', 'b'] }, { path: [1], kind: 'numbers', sized: true, names: ['b'] }] },
  { name: 'toMatrix', valid: () => ['m', M], targets: [{ path: [1], kind: 'matrix', sized: true, names: ['m'] }] },
  {
    name: 'choleskyInPlace', valid: () => [new Float64Array([4, 2, 2, 3]), 2],
    targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['long'], names: ['G'] }, { path: [1], kind: 'count', names: ['k'] }],
  },
  {
    name: 'orthonormalizeRows', valid: () => [new Float64Array([1, 0.5, 0, 0.2, 1, 0.1]), 2, 3, new Float64Array(2)], call: (fn, a) => { fn(...a); return [a[0], a[3]]; },
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['V'] }, { path: [1], kind: 'count', names: ['k'] }, { path: [2], kind: 'count', names: ['dim'] }],
  },
  { name: 'qrWorkspace', valid: () => [2, 3], call: (fn, a) => { const w = fn(...a) as { k: number; dim: number }; return [w.k, w.dim]; }, targets: [{ path: [0], kind: 'count', names: ['k'] }, { path: [1], kind: 'count', names: ['dim'] }] },
  {
    name: 'solveRows', valid: () => [new Float64Array([4, 2, 2, 3]), new Float64Array([1, 2, 3, 4]), 2, 2],
    targets: [{ path: [0], kind: 'numbers', sized: true, skip: ['long'], names: ['V'] }, { path: [1], kind: 'numbers', sized: true, skip: ['long'], names: ['M'] },
      { path: [2], kind: 'count', names: ['rows'] }, { path: [3], kind: 'count', names: ['r'] }],
  },
  { name: 'symEig', valid: () => [M.map((r) => [...r]).map((r, i) => (i === 0 ? [4, 1] : [1, 3]))], targets: [{ path: [0], kind: 'matrix', sized: true, names: ['a'] }] },
  { name: 'eig', valid: () => [[[2, 1], [0, 3]]], targets: [{ path: [0], kind: 'matrix', sized: true, names: ['a'] }] },
  { name: 'svd', valid: () => [A.map((r) => [...r])], targets: [{ path: [0], kind: 'matrix', sized: true, names: ['a'] }] },
  { name: 'lstsq', valid: () => [A.map((r) => [...r]), [1, 2, 3]], targets: [{ path: [0], kind: 'matrix', sized: true, names: ['a'] }, { path: [1], kind: 'numbers', sized: true, names: ['b'] }] },
  {
    name: 'nnls', valid: () => [A.map((r) => [...r]), [1, 2, 3], { maxIterations: 50 }],
    targets: [{ path: [0], kind: 'matrix', sized: true, names: ['A'] }, { path: [1], kind: 'numbers', sized: true, names: ['B'] }, { path: [2, 'maxIterations'], kind: 'count' }],
  },
  {
    name: 'signConstrainedLstsq', valid: () => [A.map((r) => [...r]), [1, 2, 3], [1, -1]],
    targets: [{ path: [0], kind: 'matrix', sized: true, names: ['A'] }, { path: [1], kind: 'numbers', sized: true, names: ['B'] }, { path: [2], kind: 'numbers', sized: true, names: ['signs'] }],
  },
  {
    name: 'logisticRegression', valid: () => [sparse(), [0, 1, 1], { l2: 0.01, maxIterations: 20 }],
    targets: [{ path: [0, 'values'], kind: 'numbers', sized: true, names: ['X'] }, { path: [1], kind: 'numbers', sized: true, names: ['labels'] }, { path: [2, 'l2'], kind: 'number', names: ['o', 'options'] }, { path: [2, 'maxIterations'], kind: 'count', names: ['o', 'options'] }],
  },
  { name: 'logisticDecision', valid: () => [{ weights: Float64Array.of(1, -1), bias: 0.5 }, sparse()], targets: [{ path: [0, 'weights'], kind: 'numbers', sized: true, names: ['model'] }, { path: [1, 'values'], kind: 'numbers', sized: true, names: ['X'] }] },
  { name: 'checkSparseRows', valid: () => ['X', sparse()], targets: [{ path: [1, 'values'], kind: 'numbers', sized: true, names: ['X'] }, { path: [1, 'indices'], kind: 'numbers', sized: true, names: ['X'] }] },
  {
    name: 'nnlsGram', valid: () => [new Float64Array([2, 1, 1, 3]), new Float64Array([1, -1]), 2, 1],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['G'] }, { path: [1], kind: 'numbers', sized: true, names: ['C'] }, { path: [2], kind: 'count', names: ['n'] }, { path: [3], kind: 'count', names: ['r'] }],
  },
  {
    name: 'signConstrainedGram', valid: () => [new Float64Array([2, 1, 1, 3]), new Float64Array([1, -1]), 2, 1, [1, 1]],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['G'] }, { path: [1], kind: 'numbers', sized: true, names: ['C'] }, { path: [3], kind: 'count', names: ['r'] }, { path: [4], kind: 'numbers', sized: true, names: ['signs'] }],
  },
  {
    name: 'quadraticProgram', valid: () => [{ n: 2, P: Float64Array.of(1, 1), q: Float64Array.of(0, -1), G: Float64Array.of(1, 1), h: Float64Array.of(1), signs: [1, -1] }, { tolerance: 1e-8 }],
    targets: [{ path: [0, 'P'], kind: 'numbers', sized: true, names: ['problem'] }, { path: [0, 'q'], kind: 'numbers', sized: true, names: ['problem'] }, { path: [0, 'G'], kind: 'numbers', sized: true, names: ['problem'] }, { path: [0, 'h'], kind: 'numbers', names: ['problem'] }, { path: [0, 'signs'], kind: 'numbers', sized: true, names: ['problem', 'signs'] }, { path: [0, 'n'], kind: 'count', names: ['problem'] }, { path: [1, 'tolerance'], kind: 'number', names: ['tolerance', 'options'] }, { path: [1, 'maxIterations'], kind: 'count', names: ['maxIterations', 'options'] }],
  },
  { name: 'median', documented: infinityPassesThrough, valid: () => [[3, 1, 2]], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['values'] }] },
  { name: 'quantile', documented: infinityPassesThrough, valid: () => [[3, 1, 2, 5], 0.25], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['values'] }, { path: [1], kind: 'number', names: ['q'] }] },
  { name: 'valueRange', documented: infinityPassesThrough, valid: () => [[3, 1, 2]], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['values'] }] },
  { name: 'summarize', documented: infinityPassesThrough, valid: () => [[3, 1, 2]], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['values'] }] },
  { name: 'formatMedianRange', valid: () => [[0.3, 0.1, 0.2], { digits: 2 }], targets: [{ path: [0], kind: 'numbers', names: ['values'] }, { path: [1, 'digits'], kind: 'count' }] },
  { name: 'passRate', valid: () => [[true, false, true]], targets: [] },
  // IEEE semantics (header of stats.ts): a NaN or infinite block estimate gives a NaN error, as an empty block does.
  { name: 'blockStandardError', documented: (_r, c) => /NaN|Infinity/.test(c.what), valid: () => [[0.3, 0.1, 0.2]], targets: [{ path: [0], kind: 'numbers', names: ['estimates'] }] },
  { name: 'runMode', valid: () => [{ QUICK: '1' }], targets: [] },
  // Any string of letters, digits, '.', '-', '_' is a valid name, so an unknown-name draw may be valid: no enum case (test/core/results.test.ts checks bad names).
  { name: 'resultsDir', valid: () => ['fuzz-notebook', { LDL_OUT_DIR: path.join(os.tmpdir(), 'ldl-fuzz') }], targets: [] },
  {
    name: 'writeResults', valid: () => ['fuzz-notebook', { seeds: [0], settings: {}, measured: { accuracy: 0.9 }, startedAt: Date.now() - 1000 }],
    targets: [{ path: [1, 'startedAt'], kind: 'number', names: ['results'] }, { path: [1, 'seeds'], kind: 'numbers', nonEmpty: true, names: ['results'] }],
  },
  { name: 'writeJsonFile', valid: () => [path.join(os.tmpdir(), 'ldl-fuzz', 'x.json'), { a: 1 }], targets: [] },
  { name: 'readJsonFile', valid: () => [path.join(os.tmpdir(), 'ldl-fuzz', 'x.json'), 'a JSON file'], targets: [{ path: [0], kind: 'path', names: ['file'] }] },
  { name: 'jobValues', valid: () => [[okResult(0, 1), okResult(1, 2)]], targets: [] },
  { name: 'describeResults', valid: () => [[okResult(0, 1), okResult(1, 2)]], targets: [] },
  {
    name: 'runJobs', valid: () => [[], { timeoutMs: 1000, progress: false }],
    targets: [{ path: [1, 'timeoutMs'], kind: 'count', skip: ['fraction', 'infinity'], names: ['options'] }],
  },
  { name: 'defaultPool', valid: () => [], targets: [], nonFiniteOk: 'timeoutMs and idleCloseMs are Infinity when unset (the documented defaults)' },
  noArgs('closeDefaultPool'),
  // Classes with numeric constructor arguments: `new` through the call.
  { name: 'Rng', valid: () => [7], call: (C, a) => { const r = construct(C, a) as { uniform(): number }; return r.uniform(); }, targets: [{ path: [0], kind: 'count', names: ['seed'] }] },
  { name: 'Progress', valid: () => [{ total: 10, label: 'fuzz', output: 'silent' }], call: (C, a) => { construct(C, a); return null; }, targets: [{ path: [0, 'total'], kind: 'count', names: ['options'] }] },
  { name: 'Budget', valid: () => [{ maxIterations: 10, timeLimitMs: 1000 }], call: (C, a) => { construct(C, a); return null; }, targets: [{ path: [0, 'maxIterations'], kind: 'count', names: ['options'] }, { path: [0, 'timeLimitMs'], kind: 'number', names: ['options'] }] },
  {
    name: 'WorkerPool', valid: () => [{ size: 1, timeoutMs: 1000, output: 'silent' }], call: async (C, a) => { const p = construct(C, a) as { close(): Promise<void> }; await p.close(); return null; },
    targets: [{ path: [0, 'size'], kind: 'count', names: ['options'] }, { path: [0, 'timeoutMs'], kind: 'count', skip: ['fraction', 'infinity'], names: ['options'] }, { path: [0, 'output'], kind: 'enum', names: ['options'] }],
  },
  // Records of what an estimator measured (an Infinity or NaN residual is reported, not computed with): no bad-input cases.
  { name: 'convergenceReport', valid: () => [12, 1e-4, 1e-3, 'relative change'], targets: [] },
  { name: 'notConvergedMessage', valid: () => ['lanczos', { iterations: 12, residual: 1e-2, tolerance: 1e-3, converged: false, measure: 'residual' }], targets: [] },
  { name: 'warnIfNotConverged', valid: () => ['lanczos', { iterations: 12, residual: 1e-4, tolerance: 1e-3, converged: true, measure: 'residual' }], targets: [] },
  { name: 'slurmOptionsFromEnv', valid: () => [{ LDL_SLURM_CPUS: '4' }], call: (fn, a) => fn(env(a[0])), targets: [{ path: [0, 'LDL_SLURM_CPUS'], kind: 'count', names: ['LDL_SLURM_CPUS'] }] },
  // Before setExecutor: once an executor is set, the environment's LDL_EXECUTOR is no longer read.
  { name: 'executorSettings', valid: () => [{ LDL_EXECUTOR: 'local' }], call: (fn, a) => fn(env(a[0])), targets: [{ path: [0, 'LDL_EXECUTOR'], kind: 'enum', names: ['LDL_EXECUTOR'] }] },
  { name: 'setExecutor', valid: () => ['local', {}], targets: [{ path: [0], kind: 'enum', names: ['executor'] }, { path: [1, 'cpusPerTask'], kind: 'count', names: ['slurm'] }] },
];

export const table: Table = {
  module: 'core',
  entries,
  setup() {
    process.env.LDL_OUT_DIR = path.join(os.tmpdir(), 'ldl-fuzz');
  },
  exempt: {
    ArgumentError: 'class: the error the suite expects; constructing it takes any values by design',
    Matrix: 'class: ml-matrix re-exported; every function here that takes one converts through toMatrix, fuzzed',
    EventLoopYield: 'class: a timer with no numeric input from the user',
    InterruptedError: 'class: an error type the library throws, not given user input',
    JobFailedError: 'class: an error type the library throws, not given user input',
    BACKEND_ORDER: 'constant: the list of backends',
    FLOAT32_MAX: 'constant: the largest float32',
    SYM_EIG_NATIVE_MIN: 'constant: the row count from which symEig calls LAPACK (symEig is fuzzed)',
    NATIVE_ADDON_PATH: 'constant: a path',
    POOL_WORKER_ENTRY: 'constant: a path',
    PROJECT_ROOT: 'constant: a path',
    rnnElementwiseJs: 'constant: the object of JS kernels that rnnElementwise() returns when the add-on is absent (covered there)',
  },
};
