/**
 * Optimisers against hand calculations, schedules, the weight-norm
 * constraint, the trainer's checks, stopping, reproducibility, history,
 * save/load and pool jobs.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { clearInterrupt, InterruptedError, lastInterruption, requestInterrupt } from '../../lib/core';
import { DivergenceError, historyToDataFrame, learningRateAt, mlp, Network, Optimizer, runConfigurations, runTrainingJob, train } from '../../lib/rules';
import { blobs, randomLabels, randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

function run(opt: Optimizer, p0: number[], grads: number[][]): number[] {
  const p = tf.variable(tf.tensor1d(p0));
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    opt.step([p], [gt]);
    gt.dispose();
  }
  const out = Array.from(p.dataSync());
  p.dispose();
  opt.dispose();
  return out;
}

test('SGD with momentum, Nesterov and weight decay follows torch.optim.SGD step by step', () => {
  const p0 = [1, -2];
  const gs = [
    [0.5, 0.1],
    [-0.3, 0.2],
    [0.4, -0.6],
  ];
  const lr = 0.1;
  const mu = 0.9;
  const wd = 0.01;
  for (const nesterov of [false, true]) {
    const p = p0.slice();
    const buf = [0, 0];
    gs.forEach((g, t) => {
      for (let i = 0; i < 2; i++) {
        const d = g[i] + wd * p[i];
        buf[i] = t === 0 ? d : mu * buf[i] + d;
        p[i] -= lr * (nesterov ? d + mu * buf[i] : buf[i]);
      }
    });
    const got = run(new Optimizer({ type: 'sgd', lr, momentum: mu, weightDecay: wd, nesterov }), p0, gs);
    assert.ok(relErr(got, p) < 1e-6, `nesterov=${nesterov}: ${got} vs ${p}`);
  }
});

test('Adam and AdamW follow their update equations', () => {
  const p0 = [0.5, -1.5];
  const gs = [
    [0.2, -0.4],
    [0.1, 0.3],
  ];
  for (const type of ['adam', 'adamw'] as const) {
    const lr = 0.01;
    const wd = 0.1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const p = p0.slice();
    const m = [0, 0];
    const v = [0, 0];
    gs.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 2; i++) {
        const d = type === 'adam' ? g[i] + wd * p[i] : g[i];
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        const mh = m[i] / (1 - b1 ** t);
        const vh = v[i] / (1 - b2 ** t);
        const old = p[i];
        p[i] = old - (lr * mh) / (Math.sqrt(vh) + eps) - (type === 'adamw' ? lr * wd * old : 0);
      }
    });
    const got = run(new Optimizer({ type, lr, weightDecay: wd }), p0, gs);
    assert.ok(relErr(got, p) < 1e-6, `${type}: ${got} vs ${p}`);
  }
});

test('Batch Manhattan steps by lr * sign(gradient); schedules give BioTorch steps and exponential decay', () => {
  const got = run(new Optimizer({ type: 'sgd', lr: 0.1, manhattan: true }), [1, 1, 1], [[3, -0.001, 0]]);
  assert.deepEqual(got.map((v) => +v.toFixed(6)), [0.9, 1.1, 1]);
  const step = { lr: 0.1, schedule: { type: 'step' as const, milestones: [50, 75], gamma: 0.1 } };
  assert.equal(learningRateAt(step, 49), 0.1);
  assert.ok(Math.abs(learningRateAt(step, 50) - 0.01) < 1e-15);
  assert.ok(Math.abs(learningRateAt(step, 99) - 0.001) < 1e-15);
  assert.ok(Math.abs(learningRateAt({ lr: 2, schedule: { type: 'exponential', gamma: 0.5 } }, 3) - 0.25) < 1e-15);
  assert.throws(() => new Optimizer({ type: 'adagrad' as 'sgd' }), /optimizer.type/);
  assert.throws(() => new Optimizer({ lr: -1 }), /optimizer.lr/);
});

test('the weight-norm constraint keeps every ||W||_F at its initial value', () => {
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 1 }));
  const n0 = net.paramLayers.map((l) => l.weight.norm().dataSync()[0]);
  const x = randomTensor([6, 10], 3);
  const t = net.oneHot(randomLabels(6, 3, 4));
  const opt = new Optimizer({ type: 'sgd', lr: 0.5 });
  net.trainStep(x, t, opt, { weightNormConstraint: false });
  const moved = net.paramLayers.map((l) => l.weight.norm().dataSync()[0]);
  assert.ok(moved.some((n, k) => Math.abs(n - n0[k]) > 1e-4), 'a plain step changes the norms');
  net.trainStep(x, t, opt, { weightNormConstraint: true });
  net.paramLayers.forEach((l, k) => assert.ok(Math.abs(l.weight.norm().dataSync()[0] - n0[k]) < 1e-5 * n0[k]));
  tf.dispose([x, t]);
  opt.dispose();
  net.dispose();
});

test('bad input fails before training with errors naming the argument', async () => {
  assert.throws(() => new Network({ ...mlp({ inputSize: 10 }), rule: 'feedback-magic' as 'bp' }), /rule: expected one of/);
  assert.throws(
    () => new Network({ inputShape: [10], layers: [{ kind: 'dense', units: 5 }, { kind: 'conv2d', filters: 2, kernelSize: 3 }, { kind: 'flatten' }, { kind: 'dense', units: 2 }] }),
    /layers\[1\] \(conv2d\)/,
  );
  assert.throws(() => new Network({ inputShape: [4, 4, 1], layers: [{ kind: 'conv2d', filters: 2, kernelSize: 5 }, { kind: 'flatten' }, { kind: 'dense', units: 2 }] }), /kernel size 5/);
  assert.throws(() => new Network({ inputShape: [4, 4, 1], layers: [{ kind: 'conv2d', filters: 2, kernelSize: 3 }] }), /flat output/);
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }));
  const W0 = net.paramLayers[0].weight.dataSync().slice();
  const good = blobs(40, 1);
  const badLabel = { ...good, y: Int32Array.from(good.y, (v, i) => (i === 7 ? 3 : v)) };
  await assert.rejects(train(net, badLabel, { progress: false }), /data.y: expected labels in \[0, 2\], got 3 at example 7/);
  const nan = { ...good, x: good.x.slice() };
  nan.x[25] = NaN;
  await assert.rejects(train(net, nan, { progress: false }), /data.x: expected finite values only, got NaN at example 2/);
  await assert.rejects(train(net, { ...good, count: 41 }, { progress: false }), /data.x/);
  await assert.rejects(train(net, good, { progress: false, test: { ...good, x: new Float32Array(5) } }), /test.x/);
  await assert.rejects(train(net, good, { progress: false, batchSize: 0 }), /batchSize/);
  assert.deepEqual(net.paramLayers[0].weight.dataSync(), W0, 'no step was taken');
  net.dispose();
});

test('a diverging run stops with a message naming the epoch and the loss', async () => {
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }));
  await assert.rejects(
    train(net, blobs(200, 3), { epochs: 3, optimizer: { type: 'sgd', lr: 1e6 }, progress: false, divergenceLoss: 50 }),
    /diverged in epoch 1 \(batch \d+\): loss (\d|Infinity|NaN)/,
  );
  // as a pool job, divergence is a result naming where it happened
  const r = await runConfigurations(
    [{ network: mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }), data: { train: blobs(200, 3) }, train: { epochs: 3, optimizer: { type: 'sgd', lr: 1e6 }, divergenceLoss: 50 } }],
    { inProcess: true },
  );
  assert.equal(r[0].diverged?.epoch, 1);
  assert.equal(r[0].finalTestAccuracy, null);
  assert.equal(r[0].history.records.length, 1);
  net.dispose();
});

test('a diverging run names the learning rate and the first layer that went non-finite, or says the loss is large but finite', async () => {
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }));
  // lr 1e38 overflows float32 weights in the first update: the next batch's loss is NaN.
  const e = await train(net, blobs(200, 3), { epochs: 1, optimizer: { type: 'sgd', lr: 1e38 }, progress: false, alignment: false }).catch((x) => x);
  assert.ok(e instanceof DivergenceError, String(e));
  assert.equal(e.learningRate, 1e38);
  assert.deepEqual(e.site, { layer: 0, kind: 'dense', what: 'weights' });
  assert.match(e.message, /loss NaN at learning rate 1e\+38; the weights of parametric layer 0 \(dense\) went non-finite first/);
  // the first layer is named: its weights are indeed non-finite, and those of no earlier layer (there is none) are
  assert.ok(Array.from(net.paramLayers[0].weight.dataSync()).some((v) => !Number.isFinite(v)));
  net.dispose();
  const net2 = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }));
  const f = await train(net2, blobs(200, 3), { epochs: 1, optimizer: { type: 'sgd', lr: 10 }, progress: false, alignment: false }).catch((x) => x);
  assert.ok(f instanceof DivergenceError);
  assert.equal(f.site, null);
  assert.match(f.message, /at learning rate 10; a large finite loss: every layer's weights and gradient are finite/);
  net2.dispose();
});

test('a run whose batch loss grows tenfold over the first warns once, in one line; a stable run does not warn', async (t) => {
  const warnings: string[] = [];
  t.mock.method(console, 'warn', (...args: unknown[]) => warnings.push(args.join(' ')));
  const losses: number[] = [];
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }));
  // lr 3 on these blobs: the loss climbs to ~600x the first over several batches, then recovers
  await train(net, blobs(200, 3), { epochs: 3, optimizer: { type: 'sgd', lr: 3 }, progress: (i) => losses.push(i.loss), alignment: false });
  assert.ok(losses.filter((l) => l > 10 * losses[0]).length > 1, 'several batches are over ten times the first');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.ok(!warnings[0].includes('\n'));
  assert.match(warnings[0], /rule bp: batch loss [\d.]+ in epoch 1 \(batch 2\) is over ten times the first batch's 1\.7\d+ at learning rate 3/);
  net.dispose();
  warnings.length = 0;
  const stable = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 2 }));
  await train(stable, blobs(200, 3), { epochs: 3, optimizer: { type: 'sgd', lr: 0.1 }, progress: false, alignment: false });
  assert.deepEqual(warnings, []);
  stable.dispose();
});

function weightsOf(net: Network): Float32Array[] {
  return net.paramLayers.flatMap((l) => [l.weight.dataSync().slice() as Float32Array, ...(l.bias ? [l.bias.dataSync().slice() as Float32Array] : [])]);
}

test('an interrupt stops training before the next step: the network holds exactly the finished steps and the partial history says where', async () => {
  const data = blobs(200, 3);
  const opts = { batchSize: 40, seed: 5, optimizer: { type: 'sgd' as const, lr: 0.05, momentum: 0.9 }, alignment: false };
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 4 }));
  try {
    // Requested from the step callback after step 7 = epoch 2, batch 2 of 5.
    const e = await train(net, data, { ...opts, epochs: 3, progress: (i) => { if (i.epoch === 2 && i.batch === 2) requestInterrupt(); } }).catch((x) => x);
    assert.ok(e instanceof InterruptedError, String(e));
    assert.equal(lastInterruption(), e);
    assert.equal(e.what, 'train');
    assert.match(e.message, /train was interrupted in epoch 2 after batch 2 of 5 \(7 steps done/);
    const h = e.partial;
    assert.equal(h.stoppedBy, 'interrupt');
    assert.deepEqual(h.interrupted, { epoch: 2, batch: 2, batches: 5, steps: 7 });
    assert.deepEqual(h.records.map((r: { epoch: number }) => r.epoch), [0, 1]);
    // The flag stays until cleared: another run stops before its first step.
    const again = await train(net, data, { ...opts, progress: false }).catch((x) => x);
    assert.deepEqual(again.partial.interrupted, { epoch: 1, batch: 0, batches: 5, steps: 0 });
    clearInterrupt();
    // An independent run of exactly 7 steps: one epoch, then 2 batches of epoch 2 continuing with the same optimiser.
    const ref = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 4 }));
    const opt = new Optimizer(opts.optimizer);
    await train(ref, data, { ...opts, optimizer: opt, epochs: 1, progress: false });
    await train(ref, data, { ...opts, optimizer: opt, epochs: 1, startEpoch: 1, batchesPerEpoch: 2, progress: false });
    assert.deepEqual(weightsOf(net), weightsOf(ref));
    opt.dispose();
    ref.dispose();
  } finally {
    clearInterrupt();
    net.dispose();
  }
});

test('an interrupt raised by a timer reaches a long run (the trainer yields to the event loop) and nothing trains afterwards', { timeout: 120000 }, async () => {
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 4 }));
  // Far more epochs than 300 ms allow on any path (the fused path ran the former 300 epochs of this net in 173 ms at
  // load 4, so the timer came too late): only the interrupt ends this run. The timer is cleared in `finally` so that a run that
  // ends otherwise cannot leave the flag set for the next test.
  const timer = setTimeout(() => requestInterrupt(), 300);
  try {
    const e = await train(net, blobs(200, 3), { epochs: 1_000_000, batchSize: 10, progress: false, alignment: false }).catch((x) => x);
    assert.ok(e instanceof InterruptedError, String(e));
    const at = e.partial.interrupted;
    assert.ok(at.steps > 0 && at.epoch < 1_000_000, JSON.stringify(at));
    assert.equal(at.steps, (at.epoch - 1) * at.batches + at.batch);
    assert.equal(e.partial.records.length, at.epoch, 'epoch 0 and each finished epoch');
    const w = weightsOf(net);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(weightsOf(net), w, 'no training goes on in the background');
  } finally {
    clearTimeout(timer);
    clearInterrupt();
    net.dispose();
  }
});

test('training is reproducible from its seeds, learns, stops by target and by time, and converts to a DataFrame', async () => {
  const data = blobs(300, 4);
  const test = blobs(100, 5);
  const opts = { epochs: 3, batchSize: 32, optimizer: { type: 'sgd' as const, lr: 0.05, momentum: 0.9 }, seed: 7, test, progress: false };
  const runOnce = async (seed: number) => {
    const net = new Network(mlp({ inputSize: 10, hidden: [16], classes: 3, seed: 3, rule: 'brsf' }));
    const h = await train(net, data, { ...opts, seed });
    net.dispose();
    return h;
  };
  const tensorsBefore = tf.memory().numTensors;
  const a = await runOnce(7);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'train, evaluate and alignment leave no tensors behind');
  const b = await runOnce(7);
  const c = await runOnce(8);
  assert.deepEqual(a.records.map((r) => r.trainLoss), b.records.map((r) => r.trainLoss));
  assert.notDeepEqual(a.records.slice(1).map((r) => r.trainLoss), c.records.slice(1).map((r) => r.trainLoss));
  assert.equal(a.records.length, 4);
  assert.ok(a.records[3].testAccuracy! > 0.9, `test accuracy ${a.records[3].testAccuracy}`);
  assert.ok(a.records[0].testAccuracy! < 0.8);
  // alignment record: per parametric layer; the last layer's delta is e for every rule
  assert.equal(a.records[3].alignment.length, 2);
  assert.ok(a.records[3].alignment[1].deltaAngle < 1e-3);
  assert.ok(a.records[3].alignment[0].updateAngle > 0);

  const net = new Network(mlp({ inputSize: 10, hidden: [16], classes: 3, seed: 3 }));
  const byTarget = await train(net, data, { ...opts, epochs: 10, targetAccuracy: 0.5 });
  assert.equal(byTarget.stoppedBy, 'target');
  assert.ok(byTarget.records.length < 11);
  const byTime = await train(net, data, { ...opts, epochs: 1000, maxSeconds: 1e-3 });
  assert.equal(byTime.stoppedBy, 'time');
  assert.equal(byTime.records.length, 2);
  net.dispose();

  const df = historyToDataFrame(a) as { shape: number[]; columns: string[] };
  assert.deepEqual(df.shape, [4, 14]);
  assert.ok(df.columns.includes('feedbackAngle0') && df.columns.includes('testAccuracy'));
});

test('save and load restore weights, rule and feedback state exactly', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rules-')), 'net.json');
  const net = new Network({
    inputShape: [8, 8, 1],
    layers: [{ kind: 'conv2d', filters: 2, kernelSize: 3 }, { kind: 'activation', activation: 'relu' }, { kind: 'maxpool', size: 2 }, { kind: 'flatten' }, { kind: 'dense', units: 3 }],
    seed: 6,
    rule: 'frsf',
  });
  const x = randomTensor([3, 8, 8, 1], 9);
  const t = net.oneHot([0, 2, 1]);
  const opt = new Optimizer({ type: 'sgd', lr: 0.1 });
  net.trainStep(x, t, opt);
  net.save(file);
  const back = Network.load(file);
  assert.equal(back.rule, 'frsf');
  const grads = (n: Network) => {
    const trace = n.forward(x);
    const { loss, error } = n.lossAndError(trace.output, t);
    const g = n.backward(trace, error);
    const out = g.weights.map((w) => Array.from(w.dataSync()));
    tf.dispose([loss, error]);
    n.disposeGradients(g);
    n.disposeTrace(trace);
    return out;
  };
  assert.deepEqual(grads(back), grads(net));
  assert.deepEqual(Array.from(back.predict(x).dataSync()), Array.from(net.predict(x).dataSync()));
  assert.throws(() => Network.load(file + '.missing'), /file: expected an existing network file/);
  tf.dispose([x, t]);
  opt.dispose();
  net.dispose();
  back.dispose();
});

test('several configurations run as one call on the worker pool and match in-process runs', async () => {
  const data = blobs(120, 11);
  const jobs = (['bp', 'fa'] as const).map((rule) => ({
    label: rule,
    network: mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 1, rule }),
    data: { train: data, test: blobs(60, 12) },
    train: { epochs: 2, batchSize: 30, optimizer: { type: 'sgd' as const, lr: 0.1 }, seed: 2 },
  }));
  const pooled = await runConfigurations(jobs, { size: 2, progress: false });
  const local = await runConfigurations(jobs, { inProcess: true });
  assert.deepEqual(pooled.map((r) => r.label), ['bp', 'fa']);
  pooled.forEach((r, i) => {
    assert.deepEqual(r.history.records.map((e) => e.trainLoss), local[i].history.records.map((e) => e.trainLoss));
    assert.equal(r.finalTestAccuracy, local[i].finalTestAccuracy);
  });
  await assert.rejects(runConfigurations([{ ...jobs[0], network: { ...jobs[0].network, rule: 'nope' as 'bp' } }]), /rule/);
});

test('a pool job loads MNIST by name and can hold out training examples for tuning', async () => {
  const r = await runTrainingJob({
    network: mlp({ inputSize: 784, hidden: [16], classes: 10, seed: 1 }),
    data: { dataset: 'mnist', trainLimit: 300, subsetSeed: 3, holdout: 100 },
    train: { epochs: 1, batchSize: 50, seed: 1, alignment: false, optimizer: { type: 'sgd', lr: 0.05 } },
  });
  const acc = r.finalTestAccuracy as number;
  // evaluated on exactly the 100 held-out images: the accuracy is a multiple of 1/100
  assert.ok(Math.abs(acc * 100 - Math.round(acc * 100)) < 1e-9, `accuracy ${acc}`);
  assert.ok(acc > 0.2, `accuracy ${acc} after one epoch on 200 images`);
  await assert.rejects(runTrainingJob({ network: mlp({ inputSize: 784 }), data: { dataset: 'mnist', trainLimit: 50, holdout: 50 } }), /data.holdout/);
});

test('training continued with the same Optimizer and startEpoch equals one uninterrupted run', async () => {
  const data = blobs(128, 21);
  const spec = mlp({ inputSize: 10, hidden: [8], classes: 3, seed: 5, rule: 'kolen-pollack' });
  const opt = { type: 'sgd' as const, lr: 0.1, momentum: 0.9, weightDecay: 0.01, schedule: { type: 'step' as const, milestones: [1], gamma: 0.5 } };
  const whole = new Network(spec);
  const h = await train(whole, data, { epochs: 2, batchSize: 32, seed: 3, optimizer: opt, progress: false, alignment: false });
  const split = new Network(spec);
  const o = new Optimizer(opt);
  const a = await train(split, data, { epochs: 1, batchSize: 32, seed: 3, optimizer: o, progress: false, alignment: false });
  assert.equal(a.records[1].lr, 0.1);
  const b = await train(split, data, { epochs: 1, startEpoch: 1, batchSize: 32, seed: 3, optimizer: o, progress: false, alignment: false });
  assert.equal(b.records[1].epoch, 2);
  assert.equal(b.records[1].lr, 0.05);
  assert.equal(a.records[1].trainLoss, h.records[1].trainLoss);
  assert.equal(b.records[1].trainLoss, h.records[2].trainLoss);
  split.paramLayers.forEach((l, k) => assert.deepEqual(l.weight.dataSync(), whole.paramLayers[k].weight.dataSync()));
  // a fresh optimiser would restart momentum: the continuation would then differ
  const fresh = new Network(spec);
  await train(fresh, data, { epochs: 1, batchSize: 32, seed: 3, optimizer: opt, progress: false, alignment: false });
  const c = await train(fresh, data, { epochs: 1, startEpoch: 1, batchSize: 32, seed: 3, optimizer: opt, progress: false, alignment: false });
  assert.notEqual(c.records[1].trainLoss, h.records[2].trainLoss);
  fresh.dispose();
  o.dispose();
  whole.dispose();
  split.dispose();
});
