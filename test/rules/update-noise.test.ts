/**
 * Noisy updates (Optimizer's updateNoise; the Kunin rules' and
 * Kolen-Pollack's updateNoise on B; issue 17 item c), against the statement
 * "each element gets xi ~ N(0, sigma^2) added after its step": the same
 * step with and without the option differs by draws whose mean and variance
 * equal 0 and sigma^2 within their sampling error (4 standard errors), zero
 * noise is bit-identical to no option, the noise is seeded, and on a network
 * the first step's noise reaches B only (W identical), on the reference and
 * the fused path alike. Optimisers copied from another's settings
 * (copiedOptimizerOptions; LDFA's Q and P) draw their own seeded streams.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, Rng } from '../../lib/core';
import { copiedOptimizerOptions, KernelPathway, Network, Optimizer, type OptimizerOptions } from '../../lib/rules';
import { fusedTrainer } from '../../lib/rules/fused';
import { fusedOf, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

/** Mean and variance (float64) of a - b, and the 4-standard-error bounds of each for n normal draws of variance s2. */
function checkNoise(a: ArrayLike<number>, b: ArrayLike<number>, sigma: number, what: string): void {
  const n = a.length;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    sum += d;
    sq += d * d;
  }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  const s2 = sigma * sigma;
  // Standard errors: of the mean sigma / sqrt(n), of the variance of normal draws s2 sqrt(2 / n).
  assert.ok(Math.abs(mean) <= 4 * sigma / Math.sqrt(n), `${what}: mean ${mean} (n ${n}, sigma ${sigma})`);
  assert.ok(Math.abs(variance - s2) <= 4 * s2 * Math.sqrt(2 / n), `${what}: variance ${variance} vs ${s2} (n ${n})`);
}

/** `steps` SGD steps on one parameter of `size` elements from fixed values and gradients; returns its values. */
function run(options: OptimizerOptions, size: number, steps: number): Float32Array {
  const rng = new Rng(5);
  const p = tf.variable(tf.tensor(rng.normalArray(size, 0, 1) as Float32Array, [size]));
  const opt = new Optimizer(options);
  for (let s = 0; s < steps; s++) {
    const g = tf.tensor(rng.normalArray(size, 0, 1) as Float32Array, [size]);
    opt.step([p], [g]);
    g.dispose();
  }
  const out = p.dataSync().slice() as Float32Array;
  p.dispose();
  opt.dispose();
  return out;
}

test('Optimizer updateNoise: the step with noise minus the step without is N(0, sigma^2) per element; zero is bit-identical to no option; seeded', () => {
  const base: OptimizerOptions = { type: 'sgd', lr: 0.05, momentum: 0.9, manhattan: false };
  const n = 40000;
  const plain = run(base, n, 1);
  checkNoise(run({ ...base, updateNoise: 0.02, noiseSeed: 3 }, n, 1), plain, 0.02, 'one step, sigma 0.02');
  // Momentum's state holds the gradients only, so after 3 steps the difference is the sum of 3 draws: variance 3 sigma^2.
  checkNoise(run({ ...base, updateNoise: 0.01, noiseSeed: 4 }, n, 3), run(base, n, 3), 0.01 * Math.sqrt(3), 'three steps, sigma 0.01');
  assert.deepEqual(run({ ...base, updateNoise: 0 }, 2000, 3), run(base, 2000, 3));
  assert.deepEqual(run({ ...base, updateNoise: 0.01, noiseSeed: 9 }, 2000, 2), run({ ...base, updateNoise: 0.01, noiseSeed: 9 }, 2000, 2));
  assert.notDeepEqual(run({ ...base, updateNoise: 0.01, noiseSeed: 9 }, 2000, 2), run({ ...base, updateNoise: 0.01, noiseSeed: 10 }, 2000, 2));
  assert.throws(() => new Optimizer({ updateNoise: -1 }), /optimizer\.updateNoise/);
  assert.throws(() => new Optimizer({ noiseSeed: 1.5 }), /optimizer\.noiseSeed/);
});

const SIZES = [60, 80, 70, 10];
function spec(rule: string, updateNoise?: number): ConstructorParameters<typeof Network>[0] {
  return {
    inputShape: [SIZES[0]],
    layers: [{ kind: 'dense', units: SIZES[1] }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: SIZES[2] }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: SIZES[3] }],
    seed: 2, rule: rule as 'bp', feedback: updateNoise === undefined ? {} : { updateNoise },
  };
}

/** `steps` training steps (default 1) of a fresh network on fixed batches (reference or fused path); returns its W's and B's. */
function oneStep(rule: string, fused: boolean, updateNoise?: number, steps = 1): { W: Float32Array[]; B: Float32Array[] } {
  const net = new Network(spec(rule, updateNoise));
  const opt = new Optimizer({ type: 'sgd', lr: 0.05, momentum: 0.9 });
  const rng = new Rng(8);
  const rows = 16;
  const f = fused ? fusedOf(net, opt) : null;
  for (let s = 0; s < steps; s++) {
    const x = rng.normalArray(rows * SIZES[0], 0, 1) as Float32Array;
    const y = Int32Array.from({ length: rows }, () => rng.int(SIZES[3]));
    if (f) f.step(x, y, { epoch: 0 });
    else {
      const xt = tf.tensor(x, [rows, SIZES[0]]);
      const tt = net.oneHot(y);
      net.trainStep(xt, tt, opt, { epoch: 0 });
      tf.dispose([xt, tt]);
    }
  }
  const W = net.paramLayers.map((l) => l.weight.dataSync().slice() as Float32Array);
  const B = net.pathways.map((p) => (p as KernelPathway).B.dataSync().slice() as Float32Array);
  net.dispose();
  opt.dispose();
  return { W, B };
}

const flat = (xs: Float32Array[]) => Float32Array.from(xs.flatMap((x) => Array.from(x)));
const fusedSkip = nativeAddon()?.denseForward ? false : 'the native add-on with the fused kernels is not built';

for (const rule of ['symmetric-alignment', 'activation-alignment', 'kolen-pollack']) {
  for (const fused of [false, true]) {
    test(`${rule} updateNoise (${fused ? 'fused' : 'reference'} path): after one step W is unchanged and B differs by N(0, sigma^2) draws; zero is bit-identical`, { skip: fused && fusedSkip }, () => {
      const plain = oneStep(rule, fused);
      const noisy = oneStep(rule, fused, 0.03);
      // B is read in this step's backward pass before it learns, so the noise reaches W only from the next step.
      assert.deepEqual(noisy.W, plain.W);
      checkNoise(flat(noisy.B), flat(plain.B), 0.03, `${rule} B`);
      const zero = oneStep(rule, fused, 0);
      assert.deepEqual(zero.W, plain.W);
      assert.deepEqual(zero.B, plain.B);
    });
  }
}

test('both paths draw the same noise for B over 3 steps (Kolen-Pollack: from step 2 the native update plus noise; symmetric alignment: tfjs learn)', { skip: fusedSkip }, () => {
  for (const rule of ['kolen-pollack', 'symmetric-alignment']) {
    const ref = oneStep(rule, false, 0.03, 3);
    const fus = oneStep(rule, true, 0.03, 3);
    const a = flat(ref.B);
    const b = flat(fus.B);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    // Sums ordered differently give ~1e-8; a missing or different draw gives ~0.03.
    assert.ok(worst < 1e-5, `${rule}: B differs by ${worst} between the paths`);
  }
  assert.throws(() => new Network({ ...spec('kolen-pollack'), feedback: { updateNoise: -0.1 } }), /kolen-pollack\.updateNoise/);
});

test('a network optimiser with updateNoise takes the reference path (the fused one says why)', { skip: fusedSkip }, () => {
  const net = new Network(spec('bp'));
  const why = fusedTrainer(net, new Optimizer({ updateNoise: 0.01 }));
  assert.equal(typeof why, 'string');
  assert.match(why as string, /updateNoise/);
  net.dispose();
});

const NOISY: OptimizerOptions = { type: 'sgd', lr: 0.05, updateNoise: 0.01, noiseSeed: 3 };

/** The noise seeds of every LDFA pathway's Q and P optimisers after one training step under `NOISY` (layer 0 stays dormant: no optimiser). */
function ldfaNoiseSeeds(): number[] {
  const net = new Network({ ...spec('ldfa'), feedback: { ldfaRule: 'local' } });
  const opt = new Optimizer(NOISY);
  const rng = new Rng(8);
  const xt = tf.tensor(rng.normalArray(8 * SIZES[0], 0, 1) as Float32Array, [8, SIZES[0]]);
  const tt = net.oneHot(Int32Array.from({ length: 8 }, () => rng.int(SIZES[3])));
  net.trainStep(xt, tt, opt, { epoch: 0 });
  const seeds = net.pathways.slice(1).flatMap((p) => {
    const q = p as unknown as { optimizer: Optimizer; pOptimizer: Optimizer };
    return [q.optimizer.options.noiseSeed, q.pOptimizer.options.noiseSeed];
  });
  tf.dispose([xt, tt]);
  net.dispose();
  opt.dispose();
  return seeds;
}

test("LDFA's Q and P optimisers, made from the network optimiser's settings, each draw their own noise stream, the same on a rebuilt network", () => {
  const seeds = ldfaNoiseSeeds();
  assert.equal(seeds.length, 4);
  // Four streams, none the network optimiser's (seed 3): spreading its settings gave all four seed 3, i.e. its draws.
  assert.equal(new Set([...seeds, NOISY.noiseSeed]).size, 5, `seeds ${seeds}`);
  assert.deepEqual(ldfaNoiseSeeds(), seeds);
});

test('copiedOptimizerOptions: copies on distinct streams draw distinct noise, each reproducible and derived from the parent seed (Rng.child)', () => {
  const draw = (o: OptimizerOptions) => Array.from(new Optimizer(o).updateNoiseDraw(50)!);
  const a = draw(copiedOptimizerOptions(NOISY, 0));
  assert.deepEqual(draw(copiedOptimizerOptions(NOISY, 0)), a);
  assert.notDeepEqual(draw(copiedOptimizerOptions(NOISY, 1)), a);
  assert.notDeepEqual(draw(NOISY), a);
  assert.equal(copiedOptimizerOptions(NOISY, 1).noiseSeed, new Rng(3).child(1).seed);
  assert.notEqual(copiedOptimizerOptions({ ...NOISY, noiseSeed: 4 }, 1).noiseSeed, copiedOptimizerOptions(NOISY, 1).noiseSeed);
  // Every other setting is copied, overrides applied, an explicit seed kept.
  const c = copiedOptimizerOptions(NOISY, 2, { weightDecay: 1e-3 });
  assert.deepEqual({ ...c, noiseSeed: 3 }, { ...NOISY, weightDecay: 1e-3 });
  assert.equal(copiedOptimizerOptions(NOISY, 2, { noiseSeed: 8 }).noiseSeed, 8);
  assert.throws(() => copiedOptimizerOptions(NOISY, -1), /stream/);
});
