/** Fuzz table of lib/vision (see harness.ts). Small images (8 x 8) and a one-conv network keep every call fast. */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import type { FuzzEntry, Table } from './harness';
import { initBackend } from '../../lib/core';
import { Network } from '../../lib/rules';
import { chunksWithHistory, defaultRetinaCircuit, fitLnModel, whiteNoiseMovie } from '../../lib/vision';

const DIR = '/tmp/ldl-fuzz';
const img = (n = 8) => ({ width: n, height: n, pixels: Float32Array.from({ length: n * n }, (_, i) => Math.sin(0.7 * i) + (i % 3)), source: 'fuzz' });
const pixels = { kind: 'numbers' as const, sized: true, names: ['image'] };
const fileError = ['DataNotFoundError', 'DataFormatError'];
let net: Network;
const unit = (x: tf.Tensor) => tf.tidy(() => tf.relu(x.reshape([x.shape[0], -1]).sum(1)));
const rows = () => Float64Array.from({ length: 20 * 2 }, (_, i) => Math.sin(1.3 * i) + (i % 2));
const labels = () => Int32Array.from({ length: 20 }, (_, i) => i % 2);
const rfTargets = [
  { path: [1], kind: 'numbers' as const, sized: true, names: ['inputShape'] },
  { path: [2, 'count'], kind: 'count' as const, names: ['options'] },
  { path: [2, 'scale'], kind: 'number' as const, names: ['options'] },
  { path: [2, 'batch'], kind: 'count' as const, names: ['options'] },
];

/** Stimuli and the simulated retina (issue 29): 6 x 6 fields, a few dozen frames. */
function retinaEntries(): FuzzEntry[] {
  const size = { frames: 30, height: 6, width: 6 };
  const movie = () => whiteNoiseMovie({ ...size, seed: 1 });
  const movieTargets = (i: number, name: string) => [{ path: [i, 'data'], kind: 'numbers' as const, sized: true, names: [name] }, { path: [i, 'frames'], kind: 'count' as const, names: [name] }];
  const sizeTargets = [{ path: [0, 'frames'], kind: 'count' as const, names: ['options'] }, { path: [0, 'height'], kind: 'count' as const, names: ['options'] },
    { path: [0, 'dt'], kind: 'number' as const, names: ['options'] }];
  const circuit = () => defaultRetinaCircuit({ height: 6, width: 6 });
  const rate = () => Float64Array.from({ length: 30 }, (_, i) => 1 + Math.sin(i));
  return [
    { name: 'checkMovie', valid: () => ['movie', movie()], targets: movieTargets(1, 'movie') },
    { name: 'concatMovies', valid: () => [[movie(), movie()]], targets: [{ path: [0, 1, 'data'], kind: 'numbers', sized: true, names: ['movies'] }, { path: [0, 0, 'frames'], kind: 'count', names: ['movies'] }] },
    { name: 'whiteNoiseMovie', valid: () => [{ ...size, contrast: 0.5, seed: 1 }], targets: [...sizeTargets, { path: [0, 'contrast'], kind: 'number', names: ['options'] }, { path: [0, 'seed'], kind: 'count', names: ['options'] }] },
    {
      name: 'naturalMovie', valid: () => [[img(10)], { ...size, seed: 1 }],
      targets: [{ path: [0, 0, 'pixels'], kind: 'numbers', sized: true, names: ['photos'] }, ...sizeTargets.map((t) => ({ ...t, path: [1, t.path[1]] })), { path: [1, 'jitter'], kind: 'number', names: ['options'] }],
    },
    {
      name: 'flashTrain', valid: () => [{ ...size, period: 5, count: 4, contrast: -1 }],
      targets: [...sizeTargets, { path: [0, 'period'], kind: 'count', names: ['options'] }, { path: [0, 'count'], kind: 'count', names: ['options'] }, { path: [0, 'contrast'], kind: 'number', names: ['options'] }],
    },
    {
      name: 'movingBar', valid: () => [{ ...size, speed: 0.4, reverseAt: 10 }],
      targets: [...sizeTargets, { path: [0, 'speed'], kind: 'number', names: ['options'] }, { path: [0, 'barWidth'], kind: 'number', names: ['options'] }, { path: [0, 'reverseAt'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'contrastSteps', valid: () => [{ ...size, contrasts: [0.2, 1], stepEvery: 10, seed: 1 }],
      targets: [...sizeTargets, { path: [0, 'contrasts'], kind: 'numbers', nonEmpty: true, names: ['options'] }, { path: [0, 'stepEvery'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'biphasicFilter', valid: () => [{ tau1: 0.01, tau2: 0.02, weight: 0.8 }, 0.01, 10],
      targets: [{ path: [0, 'tau1'], kind: 'number', names: ['filter'] }, { path: [0, 'weight'], kind: 'number', names: ['filter'] }, { path: [1], kind: 'number', names: ['dt'] }, { path: [2], kind: 'count', names: ['length'] }],
    },
    { name: 'defaultRetinaCircuit', valid: () => [{ height: 6, width: 6 }], targets: [{ path: [0, 'height'], kind: 'count', names: ['options'] }, { path: [0, 'dt'], kind: 'number', names: ['options'] }] },
    {
      name: 'simulateRetina', valid: () => [movie(), circuit(), { seed: 1 }],
      targets: [...movieTargets(0, 'movie'), { path: [1, 'bipolarGain'], kind: 'number', names: ['circuit'] }, { path: [1, 'filterLength'], kind: 'count', names: ['circuit'] },
        { path: [1, 'ganglion', 0, 'gain'], kind: 'number', names: ['circuit'] }, { path: [2, 'seed'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'RetinaStream', valid: () => [circuit(), { seed: 1 }, movie()],
      call: (C, a) => new (C as unknown as new (...x: unknown[]) => { push(m: unknown): unknown })(a[0], a[1]).push(a[2]),
      targets: [...movieTargets(2, 'chunk'), { path: [0, 'filterLength'], kind: 'count', names: ['circuit'] }, { path: [0, 'ganglion', 0, 'gain'], kind: 'number', names: ['circuit'] },
        { path: [1, 'seed'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'movieChunks', valid: () => [[movie(), movie()], 7, 50], call: (f, a) => [...(f(...a) as Iterable<unknown>)],
      targets: [{ path: [0, 1, 'data'], kind: 'numbers', sized: true, names: ['parts[]'] }, { path: [1], kind: 'count', names: ['chunkFrames'] }, { path: [2], kind: 'count', names: ['totalFrames'] }],
    },
    {
      name: 'whiteNoiseParts', valid: () => [{ ...size, contrast: 0.5, seed: 1 }, 7], call: (f, a) => [...(f(...a) as Iterable<unknown>)],
      targets: [...sizeTargets, { path: [0, 'contrast'], kind: 'number', names: ['options'] }, { path: [0, 'seed'], kind: 'count', names: ['options'] }, { path: [1], kind: 'count', names: ['partFrames'] }],
    },
    {
      name: 'naturalMovieParts', valid: () => [[img(10)], { ...size, seed: 1 }, 7], call: (f, a) => [...(f(...a) as Iterable<unknown>)],
      targets: [{ path: [0, 0, 'pixels'], kind: 'numbers', sized: true, names: ['photos'] }, ...sizeTargets.map((t) => ({ ...t, path: [1, t.path[1]] })), { path: [1, 'jitter'], kind: 'number', names: ['options'] },
        { path: [2], kind: 'count', names: ['partFrames'] }],
    },
    {
      name: 'chunksWithHistory', valid: () => [[movie(), movie()], 5], call: (f, a) => [...(f(...a) as Iterable<unknown>)],
      targets: [{ path: [0, 1, 'data'], kind: 'numbers', sized: true, names: ['chunks[]'] }, { path: [1], kind: 'count', names: ['history'] }],
    },
    {
      name: 'fitLnModels', valid: () => [() => [movie()], Float64Array.from({ length: 60 }, (_, i) => 1 + Math.sin(i)), 2, { lags: 4, bins: 5 }],
      targets: [{ path: [1], kind: 'numbers', sized: true, names: ['rates'] }, { path: [2], kind: 'count', names: ['cells'] }, { path: [3, 'lags'], kind: 'count', names: ['options'] },
        { path: [3, 'bins'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'LnFitter', valid: () => [2, 30, { lags: 4, bins: 5 }],
      call: (C, a) => {
        const fit = new (C as unknown as new (...x: unknown[]) => { lags: number; addStaChunk(c: unknown, r: unknown): void; addGeneratorChunk(c: unknown): void; models(): unknown })(...a);
        const r = Float64Array.from({ length: 60 }, (_, i) => 1 + Math.sin(i));
        for (const c of chunksWithHistory([movie()], fit.lags - 1)) fit.addStaChunk(c, r);
        for (const c of chunksWithHistory([movie()], fit.lags - 1)) fit.addGeneratorChunk(c);
        return fit.models();
      },
      targets: [{ path: [0], kind: 'count', names: ['cells'] }, { path: [1], kind: 'count', names: ['frames'] }, { path: [2, 'lags'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'lnRates', valid: () => [[fitLnModel(movie(), rate(), { lags: 4, bins: 5 })], [...chunksWithHistory([{ ...movie(), frames: 10, data: movie().data.slice(0, 360) }, movie()], 3)][1]],
      targets: [{ path: [0, 0, 'filter'], kind: 'numbers', sized: true, names: ['models'] }, { path: [1, 'data'], kind: 'numbers', sized: true, names: ['c'] }, { path: [1, 'held'], kind: 'count', names: ['c'] }],
    },
    {
      name: 'StreamingPearson', valid: () => [0.5, 2],
      call: (C, a) => { const acc = new (C as unknown as new () => { add(x: unknown, y: unknown): void; r: number })(); acc.add(a[0], a[1]); acc.add(1, 1); acc.add(-1, 0); return acc.r; },
      targets: [{ path: [0], kind: 'number', names: ['a'] }, { path: [1], kind: 'number', names: ['b'] }],
    },
    {
      name: 'cellColumn', valid: () => [rate(), 3, 1],
      targets: [{ path: [0], kind: 'numbers', skip: ['long'], names: ['values'] }, { path: [1], kind: 'count', names: ['cells'] }, { path: [2], kind: 'count', names: ['cell'] }],
    },
    {
      name: 'fitLnModel', valid: () => [movie(), rate(), { lags: 4, bins: 5 }],
      targets: [...movieTargets(0, 'movie'), { path: [1], kind: 'numbers', sized: true, names: ['rate'] }, { path: [2, 'lags'], kind: 'count', names: ['options'] }, { path: [2, 'bins'], kind: 'count', names: ['options'] }],
    },
    {
      name: 'predictLn', valid: () => [fitLnModel(movie(), rate(), { lags: 4, bins: 5 }), movie()],
      targets: movieTargets(1, 'movie'),
    },
    { name: 'varianceExplained', valid: () => [rate().map((v) => v + 0.1), rate()], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['prediction'] }, { path: [1], kind: 'numbers', sized: true, names: ['target', 'prediction'] }] },
    { name: 'pearson', valid: () => [rate().map((v) => v * v), rate()], targets: [{ path: [0], kind: 'numbers', sized: true, names: ['a', 'b'] }, { path: [1], kind: 'numbers', sized: true, names: ['b'] }] },
  ];
}

const entries: FuzzEntry[] = [
  { name: 'checkImage', valid: () => ['image', img()], targets: [{ path: [1, 'pixels'], ...pixels }, { path: [1, 'width'], kind: 'count', names: ['image'] }] },
  {
    name: 'decodeImage',
    valid: () => {
      fs.mkdirSync(DIR, { recursive: true });
      const png = new PNG({ width: 4, height: 4 });
      png.data.fill(128);
      fs.writeFileSync(`${DIR}/x.png`, PNG.sync.write(png));
      return [`${DIR}/x.png`];
    },
    documentedErrors: fileError, targets: [{ path: [0], kind: 'path', names: ['file'] }],
  },
  { name: 'downsample', valid: () => [img(), 2], targets: [{ path: [0, 'pixels'], ...pixels }, { path: [1], kind: 'count', names: ['factor'] }] },
  {
    name: 'loadPhotographs',
    valid: () => {
      fs.mkdirSync(DIR, { recursive: true });
      const png = new PNG({ width: 16, height: 12 });
      png.data.fill(90);
      fs.writeFileSync(`${DIR}/photo.png`, PNG.sync.write(png));
      return [{ sources: [{ package: 'none', dir: DIR, files: ['photo.png'] }], shortSide: 4 }];
    },
    documentedErrors: fileError, targets: [{ path: [0, 'shortSide'], kind: 'count', names: ['options'] }],
  },
  {
    name: 'samplePatches', valid: () => [[img()], { size: 4, perImage: 3, seed: 1 }],
    targets: [{ path: [0, 0, 'pixels'], kind: 'numbers', sized: true, names: ['images'] }, { path: [1, 'size'], kind: 'count', names: ['options'] },
      { path: [1, 'perImage'], kind: 'count', names: ['options'] }, { path: [1, 'seed'], kind: 'count', names: ['options'] }],
  },
  { name: 'pixelStatistics', valid: () => [img().pixels], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['x'] }] },
  { name: 'standardize', valid: () => [img().pixels, { mean: 0.5, std: 2 }], targets: [{ path: [0], kind: 'numbers', nonEmpty: true, names: ['x'] }, { path: [1, 'std'], kind: 'number', names: ['stats'] }] },
  { name: 'whitenImage', valid: () => [img(), { cutoff: 0.8 }], targets: [{ path: [0, 'pixels'], ...pixels }, { path: [1, 'cutoff'], kind: 'number', skip: ['infinity'], names: ['options'] }] },
  { name: 'radialPowerSpectrum', valid: () => [img()], targets: [{ path: [0, 'pixels'], ...pixels }] },
  {
    name: 'spectralSlope', valid: () => [{ frequency: [0.05, 0.1, 0.2], power: [4, 1, 0.25] }, 0.02, 0.25],
    targets: [{ path: [0, 'frequency'], kind: 'numbers', sized: true, names: ['spectrum'] }, { path: [0, 'power'], kind: 'numbers', sized: true, names: ['spectrum'] },
      { path: [1], kind: 'number', names: ['fMin'] }, { path: [2], kind: 'number', skip: ['infinity'], names: ['fMax'] }],
  },
  { name: 'networkUnit', valid: () => [net, 0, 1], targets: [{ path: [1], kind: 'count', names: ['layer'] }, { path: [2], kind: 'count', names: ['channel'] }] },
  { name: 'gradientReceptiveField', valid: () => [unit, [4, 4, 1], { count: 3, seed: 1 }], targets: rfTargets },
  { name: 'spikeTriggeredAverage', valid: () => [unit, [4, 4, 1], { count: 8, seed: 1 }], targets: rfTargets },
  { name: 'spikeTriggeredAverages', valid: () => [unit, [4, 4, 1], { count: 8, seed: 1 }], targets: rfTargets },
  { name: 'networkUnits', valid: () => [net, 0, [1, 2]], targets: [{ path: [1], kind: 'count', names: ['layer'] }, { path: [2, 0], kind: 'count', names: ['position'] }] },
  {
    name: 'orientedness', valid: () => [img(4).pixels, 4, 4],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['field'] }, { path: [1], kind: 'count', names: ['height'] }, { path: [2], kind: 'count', names: ['width'] }],
  },
  {
    name: 'barOrientedness', valid: () => [img(4).pixels, 4, 4, { orientations: 4, smoothing: 1 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['field'] }, { path: [1], kind: 'count', names: ['height'] }, { path: [2], kind: 'count', names: ['width'] }],
  },
  {
    name: 'heldOutSplit', valid: () => [10, 0.2, 1],
    targets: [{ path: [0], kind: 'count', names: ['rows'] }, { path: [1], kind: 'number', names: ['testFraction'] }, { path: [2], kind: 'count', names: ['seed'] }],
  },
  {
    name: 'ridgeLinearity', valid: () => [rows(), Float64Array.from({ length: 20 }, (_, i) => Math.cos(i)), 2, { seed: 1 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['X'] }, { path: [1], kind: 'numbers', sized: true, names: ['y'] }, { path: [2], kind: 'count', names: ['dim'] },
      { path: [3, 'alpha'], kind: 'number', names: ['options'] }, { path: [3, 'testFraction'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'linearSeparability', valid: () => [rows(), labels(), 2, { seed: 1, maxIterations: 20 }],
    targets: [{ path: [0], kind: 'numbers', sized: true, names: ['X'] }, { path: [1], kind: 'numbers', sized: true, names: ['labels'] }, { path: [2], kind: 'count', names: ['dim'] },
      { path: [3, 'l2'], kind: 'number', names: ['options'] }],
  },
  {
    name: 'differenceOfGaussians', valid: () => [8, 1, 2, 1],
    targets: [{ path: [0], kind: 'count', names: ['size'] }, { path: [1], kind: 'number', names: ['centreSigma'] }, { path: [2], kind: 'number', names: ['surroundSigma'] }, { path: [3], kind: 'number', names: ['surroundWeight'] }],
  },
  {
    name: 'gabor', valid: () => [8, { sigma: 2, wavelength: 4, theta: 0.3 }],
    targets: [{ path: [0], kind: 'count', names: ['size'] }, { path: [1, 'sigma'], kind: 'number', names: ['o'] }, { path: [1, 'wavelength'], kind: 'number', names: ['o'] }, { path: [1, 'theta'], kind: 'number', names: ['o'] }],
  },
  ...retinaEntries(),
];

export const table: Table = {
  module: 'vision',
  entries,
  async setup() {
    await initBackend({ prefer: 'cpu', print: false });
    net = new Network({ inputShape: [6, 6, 1], layers: [{ kind: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' }, { kind: 'flatten' }, { kind: 'dense', units: 2 }], seed: 1 });
  },
  exempt: {
    PHOTO_SOURCES: 'constant: the Debian packages\' photograph lists',
    FAST_FILTER: 'constant: the default circuit\'s fast filter', SLOW_FILTER: 'constant: the default circuit\'s slow filter',
  },
};
