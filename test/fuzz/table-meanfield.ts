/** Fuzz table of lib/meanfield (see harness.ts). The DMFT runs are small: g 1.5, lags to 20, a coarse table. */
import type { FuzzEntry, Table } from './harness';
import { Rng } from '../../lib/core';
import { buildMemoryNetwork, plasticDmft, predictiveCodingMeanField, randomPatterns, stationaryDmft, type MemoryPatterns } from '../../lib/meanfield';

const dmftOptions = () => ({ g: 1.5, tMax: 20, lagStep: 0.5, tableNodes: 64, quadrature: { dz: 0.1, zMax: 7 } });
const sq = (x: number) => x * x;
let solved: ReturnType<typeof stationaryDmft> | undefined;
/** One solved DMFT for every participationRatioTheory case (it reads the result, never writes it). */
const dmft = () => (solved ??= stationaryDmft(dmftOptions()));

/** A small sign-constrained perceptron problem (N = 6, P = 3) for the max-margin and learning entries. */
const patterns = () => randomPatterns({ N: 6, P: 3, fExc: 0.5, pOut: 0.5, seed: 1 });
/** Two hand-made memories of 4 units (3 E, 1 I) in which every unit is on in one and off in the other. */
const memories = (): MemoryPatterns => ({ N: 4, P: 2, X: Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 1]), signs: Int8Array.from([1, 1, 1, -1]), fActExc: 0.5, fActInh: 0.5 });
const memoryNet = () => buildMemoryNetwork(memories(), { kind: 'unbalanced', progress: false });
const mt = (field: string, kind: 'numbers' | 'count' | 'number' = 'numbers', sized = true) => ({ path: [0, field], kind, sized, names: ['memories'] });
const pt = (field: string, kind: 'numbers' | 'count' = 'numbers', sized = true) => ({ path: [0, field], kind, sized, names: ['patterns'] });

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
  {
    name: 'nonstationaryDmft', valid: () => [{ g: 2, K: 100, dt: 0.05, steps: 40, band: 10, amplitude: 1, frequency: 0.2, phases: 'independent', phaseCount: 4 }],
    targets: [{ path: [0, 'g'], kind: 'number', names: ['options', 'dt'] }, { path: [0, 'K'], kind: 'number', names: ['options', 'dt'] }, { path: [0, 'J0'], kind: 'number', names: ['options', 'dt'] },
      { path: [0, 'I0'], kind: 'number', names: ['options', 'dt'] }, { path: [0, 'amplitude'], kind: 'number', names: ['options', 'dt'] }, { path: [0, 'frequency'], kind: 'number', names: ['options'] },
      { path: [0, 'phases'], kind: 'enum', names: ['options'] }, { path: [0, 'phaseCount'], kind: 'count', names: ['options'] }, { path: [0, 'dt'], kind: 'number', names: ['options'] },
      { path: [0, 'steps'], kind: 'count', names: ['options', 'lyapunovStart'] }, { path: [0, 'band'], kind: 'count', names: ['options'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['options'] },
      { path: [0, 'meanScheme'], kind: 'enum', names: ['options'] }],
  },
  { name: 'reluMoments', valid: () => [0.3, 1.5], targets: [{ path: [0], kind: 'number', names: ['mu'] }, { path: [1], kind: 'number', names: ['c'] }] },
  {
    name: 'reluPairAverages', valid: () => [0.3, 1.5, -0.2, 0.8, 0.4, 12],
    targets: [{ path: [0], kind: 'number', names: ['mu1'] }, { path: [1], kind: 'number', names: ['c1', 'c12'] }, { path: [3], kind: 'number', names: ['c2', 'c12'] }, { path: [4], kind: 'number', names: ['c12'] }, { path: [5], kind: 'count', names: ['nodes'] }],
  },
  {
    name: 'plasticDmft', valid: () => [{ g: 1.5, k: 1, tauS: 2, paths: 4, record: 4, maxLag: 1, burnIn: 1, dt: 0.2, maxIterations: 2 }],
    targets: [{ path: [0, 'g'], kind: 'number', names: ['options'] }, { path: [0, 'k'], kind: 'number', names: ['options'] }, { path: [0, 'tauS'], kind: 'number', names: ['options'] },
      { path: [0, 'paths'], kind: 'count', names: ['options'] }, { path: [0, 'record'], kind: 'number', names: ['options', 'maxLag'] }, { path: [0, 'maxLag'], kind: 'number', names: ['options'] },
      { path: [0, 'dt'], kind: 'number', names: ['options', 'record'] }, { path: [0, 'damping'], kind: 'number', names: ['options'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['options'] }],
  },
  {
    name: 'predictiveCodingMeanField', valid: () => [{ x: 0.2, b: 3, noise: 0.5, terms: 10 }],
    targets: [{ path: [0, 'x'], kind: 'number', names: ['x'] }, { path: [0, 'b'], kind: 'number', names: ['b'] }, { path: [0, 'noise'], kind: 'number', names: ['noise', 'g'] }, { path: [0, 'terms'], kind: 'count', names: ['terms'] }, { path: [0, 'nonlinearity'], kind: 'enum', names: ['nonlinearity'] }],
  },
  // variance Infinity with stable: false is the documented answer beyond the delayed loop's instability
  {
    name: 'decoderFluctuations', valid: () => [predictiveCodingMeanField({ x: 0.2, b: 3, noise: 0.5, terms: 10 }), { N: 100, delay: 0.1 }], documented: (r) => (r as { stable: boolean }).stable === false,
    targets: [{ path: [1, 'N'], kind: 'number', names: ['N'] }, { path: [1, 'delay'], kind: 'number', names: ['delay'] }],
  },
  // Infinity at d = 0 is documented: the undelayed loop never turns unstable
  { name: 'criticalLoopGain', valid: () => [0.5], documented: (r) => r === Infinity, targets: [{ path: [0], kind: 'number', names: ['delay'] }] },
  {
    name: 'optimalBalance', valid: () => [{ x: 0.2, noise: 0.5, N: 100, delay: 0.2, bMin: 0.5, bMax: 50, points: 5, terms: 10 }], documented: (r) => (r as { criticalB: number }).criticalB === Infinity,
    targets: [{ path: [0, 'N'], kind: 'number', names: ['N'] }, { path: [0, 'delay'], kind: 'number', names: ['delay'] }, { path: [0, 'bMin'], kind: 'number', names: ['bMin', 'bMax'] }, { path: [0, 'bMax'], kind: 'number', names: ['bMax'] }, { path: [0, 'points'], kind: 'count', names: ['points'] }],
  },
  { name: 'participationRatioTheory', valid: () => [dmft(), { frequencies: 64 }], targets: [{ path: [1, 'frequencies'], kind: 'count', names: ['options'] }] },
  // No gains, no runs: an empty list in gives an empty list out.
  { name: 'participationRatioAgainstG', documented: (r, c) => / empty$/.test(c.what) && Array.isArray(r) && r.length === 0, valid: () => [[1.5], { tMax: 20, lagStep: 0.5, tableNodes: 64, quadrature: { dz: 0.1, zMax: 7 }, frequencies: 64 }], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['gains', 'g'] }, { path: [1, 'tMax'], kind: 'number', names: ['options'] }] },
  { name: 'gaussianTail', valid: () => [1.5], targets: [{ path: [0], kind: 'number', names: ['x'] }] },
  { name: 'gardnerCapacity', valid: () => [0.3, 0.5], targets: [{ path: [0], kind: 'number', names: ['pOut'] }, { path: [1], kind: 'number', names: ['kappa'] }] },
  { name: 'capacityOrderParameter', valid: () => [0.8, 1.2], targets: [{ path: [0], kind: 'number', names: ['fExc'] }, { path: [1], kind: 'number', names: ['phi'] }] },
  { name: 'signConstrainedCapacity', valid: () => [0.8, 0.1, 0.7], targets: [{ path: [0], kind: 'number', names: ['fExc'] }, { path: [1], kind: 'number', names: ['pOut'] }, { path: [2], kind: 'number', names: ['phi'] }] },
  { name: 'capacityAgainstExcitatoryFraction', valid: () => [[0.2, 0.8], 0.1, 0.7], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['fExc'] }, { path: [1], kind: 'number', names: ['pOut'] }, { path: [2], kind: 'number', names: ['phi'] }] },
  {
    name: 'randomPatterns', valid: () => [{ N: 5, P: 4, fExc: 0.6, pOut: 0.5, seed: 2 }],
    targets: [{ path: [0, 'N'], kind: 'count', names: ['N'] }, { path: [0, 'P'], kind: 'count', names: ['P'] }, { path: [0, 'fExc'], kind: 'number', names: ['fExc'] }, { path: [0, 'inputs'], kind: 'enum', names: ['inputs'] }, { path: [0, 'seed'], kind: 'count', names: ['seed'] }],
  },
  { name: 'perceptronSolution', valid: () => [patterns(), [1, 1, 1, -1, -1, -1]], targets: [pt('X'), pt('labels'), { path: [1], kind: 'numbers', sized: true, names: ['weights'] }] },
  { name: 'maxInputMargin', valid: () => [patterns(), { penalty: 1e5 }], targets: [pt('X'), pt('labels'), pt('signs'), { path: [1, 'threshold'], kind: 'enum', names: ['threshold'] }, { path: [1, 'penalty'], kind: 'number', names: ['penalty'] }, { path: [1, 'tolerance'], kind: 'number', names: ['tolerance'] }] },
  { name: 'maxOutputMargin', valid: () => [patterns(), { gamma: 2 }], targets: [pt('X'), pt('signs'), { path: [1, 'gamma'], kind: 'number', names: ['gamma'] }, { path: [1, 'penalty'], kind: 'number', names: ['penalty'] }] },
  {
    name: 'separableFraction', valid: () => [{ N: 5, P: 4, trials: 2, seed: 1 }],
    targets: [{ path: [0, 'N'], kind: 'count', names: ['N'] }, { path: [0, 'trials'], kind: 'count', names: ['trials'] }, { path: [0, 'pOut'], kind: 'number', names: ['pOut'] }],
  },
  { name: 'capacityFromSeparability', valid: () => [[1, 2, 3], [1, 0.6, 0.2]], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['alphas', 'fractions'] }, { path: [1], kind: 'numbers', sized: true, names: ['fractions'] }] },
  { name: 'noiseErrorRate', valid: () => [patterns(), [1, 1, 1, -1, -1, -1], { sigmaOut: 0.1, sigmaIn: 0.1 }], targets: [pt('X'), { path: [1], kind: 'numbers', sized: true, names: ['weights'] }, { path: [2, 'sigmaOut'], kind: 'number', names: ['sigmaOut'] }, { path: [2, 'sigmaIn'], kind: 'number', names: ['sigmaIn'] }] },
  {
    name: 'balancedPerceptronLearning', valid: () => [patterns(), { cycles: 3, seed: 1 }],
    targets: [pt('X'), pt('labels'), { path: [1, 'cycles'], kind: 'count', names: ['cycles'] }, { path: [1, 'sigmaOut'], kind: 'number', names: ['sigmaOut'] }, { path: [1, 'rate'], kind: 'number', names: ['rate'] }, { path: [1, 'decay'], kind: 'number', names: ['decay'] }],
  },
  {
    name: 'randomMemories', valid: () => [{ N: 6, P: 3, seed: 2 }],
    targets: [{ path: [0, 'N'], kind: 'count', names: ['N'] }, { path: [0, 'P'], kind: 'count', names: ['P'] }, { path: [0, 'fExc'], kind: 'number', names: ['fExc'] }, { path: [0, 'fActInh'], kind: 'number', names: ['fActInh'] }, { path: [0, 'seed'], kind: 'count', names: ['seed'] }],
  },
  {
    name: 'buildMemoryNetwork', valid: () => [memories(), { kind: 'unbalanced', progress: false }],
    targets: [mt('X'), mt('signs'), mt('fActExc', 'number', false), { path: [1, 'kind'], kind: 'enum', names: ['kind'] }, { path: [1, 'gamma'], kind: 'number', names: ['gamma'] }, { path: [1, 'penalty'], kind: 'number', names: ['penalty'] }],
  },
  {
    name: 'memoryFieldMargins', valid: () => [memoryNet(), memories(), 1],
    targets: [{ path: [0, 'J'], kind: 'numbers', sized: true, names: ['network'] }, { path: [1, 'X'], kind: 'numbers', sized: true, names: ['memories'] }, { path: [2], kind: 'count', names: ['mu'] }],
  },
  { name: 'distortMemory', valid: () => [memories(), 0, 0.2, new Rng(1)], targets: [mt('X'), { path: [1], kind: 'count', names: ['mu'] }, { path: [2], kind: 'number', names: ['p'] }] },
  {
    name: 'runMemoryDynamics', valid: () => [memoryNet(), [1, 0, 1, 0], { sigma: 0.1, sweeps: 3, seed: 1 }],
    targets: [{ path: [0, 'J'], kind: 'numbers', sized: true, names: ['network'] }, { path: [1], kind: 'numbers', sized: true, names: ['start'] }, { path: [2, 'sigma'], kind: 'number', names: ['sigma'] }, { path: [2, 'sweeps'], kind: 'count', names: ['sweeps'] }, { path: [2, 'escapeDistance'], kind: 'number', names: ['escapeDistance'] }],
  },
  {
    name: 'retrievalFraction', valid: () => [memoryNet(), memories(), { distortion: 0.2, sigma: 0.1, sweeps: 3, escapeDistance: 0.5, repeats: 2, seed: 1 }],
    targets: [{ path: [0, 'J'], kind: 'numbers', sized: true, names: ['network'] }, { path: [1, 'X'], kind: 'numbers', sized: true, names: ['memories'] }, { path: [2, 'distortion'], kind: 'number', names: ['distortion'] }, { path: [2, 'sweeps'], kind: 'count', names: ['sweeps'] }, { path: [2, 'memories'], kind: 'count', names: ['memories'] }, { path: [2, 'retrievedDistance'], kind: 'number', names: ['retrievedDistance'] }],
  },
];

export const table: Table = {
  module: 'meanfield', entries,
  exempt: { fft: 'in-place radix-2 FFT primitive on hot paths (DMFT spectra, lib/vision transforms): its callers check their inputs, a check here would cost every call' },
};
