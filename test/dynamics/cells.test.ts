/**
 * Cells and training against independent computations:
 * - closed-form Jacobians (dF/dh, dF/du) vs central differences of each cell's float64 reference step;
 * - the tfjs float32 step vs the float64 reference step;
 * - autodiff Jacobians (the path user-written cells take) vs the closed forms;
 * - BPTT gradients (tfjs autodiff through the unrolled network, what training uses)
 *   vs central differences of the float64 reference loss, on a tiny network and a short sequence.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '../../lib/core';
import {
  CELL_KINDS, RecurrentNetwork, contextIntegration, createCell, flipFlop, jacobiansByAutodiff, lossAndGradients,
  networkLossF64, taskTensors, trainNetwork,
} from '../../lib/dynamics';

function randomPoint(rng: Rng, S: number, I: number) {
  return { h: Float64Array.from({ length: S }, () => rng.normal() * 0.7), u: Float64Array.from({ length: I }, () => rng.normal()) };
}

test('closed-form Jacobians of every cell equal central differences of its float64 reference', async () => {
  await initBackend({ print: false });
  const rng = new Rng(11);
  for (const kind of CELL_KINDS) {
    const cell = createCell(kind, { units: 5, inputSize: 3, seed: 4, recurrentScale: 1.3, gateBias: 0.7 });
    // Non-zero biases so no term of the closed form is hidden by a zero.
    for (const v of Object.values(cell.params)) if (v.rank === 1) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 9));
    cell.invalidate();
    const S = cell.stateSize;
    const I = cell.inputSize;
    for (let trial = 0; trial < 3; trial++) {
      const { h, u } = randomPoint(rng, S, I);
      const { dState, dInput } = cell.jacobianF64(h, u);
      const d = 1e-6;
      let worst = 0;
      for (let j = 0; j < S + I; j++) {
        const plus = (j < S ? h : u).slice();
        const minus = (j < S ? h : u).slice();
        const k = j < S ? j : j - S;
        plus[k] += d;
        minus[k] -= d;
        const fp = j < S ? cell.stepF64(plus, u) : cell.stepF64(h, plus);
        const fm = j < S ? cell.stepF64(minus, u) : cell.stepF64(h, minus);
        for (let i = 0; i < S; i++) {
          const fd = (fp[i] - fm[i]) / (2 * d);
          const an = j < S ? dState[i * S + j] : dInput[i * I + k];
          worst = Math.max(worst, Math.abs(fd - an));
        }
      }
      assert.ok(worst < 1e-8, `${kind}: max |closed form - central difference| = ${worst.toExponential(2)}`);
    }
    cell.dispose();
  }
});

test('tfjs step equals the float64 reference; autodiff Jacobians equal the closed forms', async () => {
  await initBackend({ print: false });
  const rng = new Rng(12);
  for (const kind of CELL_KINDS) {
    const cell = createCell(kind, { units: 6, inputSize: 2, seed: 5, recurrentScale: 1.5 });
    const S = cell.stateSize;
    const I = cell.inputSize;
    const pts = [0, 1, 2, 3].map(() => randomPoint(rng, S, I));
    const H = Float32Array.from(pts.flatMap((p) => Array.from(p.h)));
    const U = Float32Array.from(pts.flatMap((p) => Array.from(p.u)));
    const y = tf.tidy(() => cell.step(tf.tensor2d(H, [4, S]), tf.tensor2d(U, [4, I])));
    const got = y.dataSync();
    y.dispose();
    pts.forEach((p, b) => {
      // Reference at the float32-rounded point, so only the step's own rounding differs.
      const ref = cell.stepF64(Float64Array.from(H.subarray(b * S, (b + 1) * S)), Float64Array.from(U.subarray(b * I, (b + 1) * I)));
      for (let i = 0; i < S; i++) assert.ok(Math.abs(got[b * S + i] - ref[i]) < 1e-6, `${kind} step[${b},${i}]: ${got[b * S + i]} vs ${ref[i]}`);
    });
    const x64 = Float64Array.from(H);
    const u64 = Float64Array.from(U);
    const auto = jacobiansByAutodiff(cell, x64, u64, 4);
    for (let b = 0; b < 4; b++) {
      const cf = cell.jacobianF64(x64.subarray(b * S, (b + 1) * S), u64.subarray(b * I, (b + 1) * I));
      auto.dState[b].forEach((v, k) => assert.ok(Math.abs(v - cf.dState[k]) < 2e-5, `${kind} dF/dh entry ${k}: ${v} vs ${cf.dState[k]}`));
      auto.dInput[b].forEach((v, k) => assert.ok(Math.abs(v - cf.dInput[k]) < 2e-5, `${kind} dF/du entry ${k}`));
    }
    cell.dispose();
  }
});

test('BPTT gradients (tfjs autodiff, used by training) match central differences of the float64 loss', async () => {
  await initBackend({ print: false });
  for (const kind of CELL_KINDS) {
    const net = RecurrentNetwork.create({ kind, units: 3, inputSize: 3, outputSize: 3, seed: 21, recurrentScale: 1.2 });
    // A non-zero learned initial state so its gradient is exercised too.
    net.h0.assign(tf.randomNormal([net.stateSize], 0, 0.3, 'float32', 3));
    const batch = flipFlop({ batch: 2, steps: 6, seed: 8, pulseProbability: 0.4 });
    const { inputs, targets } = taskTensors(batch);
    const l2 = 1e-2;
    const { loss, grads } = lossAndGradients(net, inputs, targets, l2);
    assert.ok(Math.abs(loss - networkLossF64(net, batch, l2)) < 1e-5 * Math.max(1, loss), `${kind}: float32 and float64 losses agree`);
    for (const v of net.trainableVariables()) {
      const g = grads.get(v)!.dataSync();
      const vals = Float32Array.from(v.dataSync());
      // Central differences in float64 on the float64 loss, perturbing each parameter in turn.
      // Parameters are float32, so the step is large enough to be represented exactly-ish.
      const d = 1e-3;
      let worst = 0;
      let scale = 0;
      for (let k = 0; k < vals.length; k++) {
        const orig = vals[k];
        const at = (x: number) => {
          vals[k] = x;
          v.assign(tf.tensor(vals, v.shape));
          net.cell.invalidate();
          return networkLossF64(net, batch, l2);
        };
        const hi = orig + d;
        const lo = orig - d;
        const fd = (at(hi) - at(lo)) / (Math.fround(hi) - Math.fround(lo));
        at(orig);
        worst = Math.max(worst, Math.abs(fd - g[k]));
        scale = Math.max(scale, Math.abs(fd));
      }
      assert.ok(worst < 1e-4 + 2e-3 * scale, `${kind}: max |autodiff - FD| = ${worst.toExponential(2)} (scale ${scale.toExponential(2)})`);
    }
    grads.forEach((t) => t.dispose());
    inputs.dispose();
    targets.dispose();
    net.dispose();
  }
});

test('training lowers the flip-flop loss; networks save and load exactly; tensors do not grow', async () => {
  await initBackend({ print: false });
  const net = RecurrentNetwork.create({ kind: 'gru', units: 8, inputSize: 3, outputSize: 3, seed: 1 });
  const before = tf.memory().numTensors;
  const r = trainNetwork(net, { task: 'flipFlop', taskOptions: { steps: 16 }, steps: 60, batchSize: 16, learningRate: 0.02, clipNorm: 1, seed: 2, progress: false });
  assert.equal(tf.memory().numTensors, before, 'training leaves no tensors behind');
  const first = r.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = r.losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < 0.7 * first, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'net-')), 'net.json');
  net.save(file);
  const back = RecurrentNetwork.load(file);
  const batch = flipFlop({ batch: 3, steps: 10, seed: 5 });
  assert.equal(networkLossF64(back, batch), networkLossF64(net, batch));
  back.dispose();
  net.dispose();
});

test('tasks: flip-flop holds the last pulse; context integration sums the cued channel', () => {
  const ff = flipFlop({ batch: 4, steps: 30, seed: 3 });
  for (let b = 0; b < 4; b++) for (let k = 0; k < 3; k++) {
    let last = 0;
    for (let t = 0; t < 30; t++) {
      const i = (b * 30 + t) * 3 + k;
      if (t === 0) assert.notEqual(ff.inputs[i], 0, 'a pulse at t = 0');
      if (ff.inputs[i] !== 0) last = ff.inputs[i];
      assert.equal(ff.targets[i], last);
    }
  }
  const c = contextIntegration({ batch: 5, steps: 25, seed: 4 });
  for (let b = 0; b < 5; b++) {
    const ctx = c.labels!.context[b];
    let s = 0;
    for (let t = 0; t < 25; t++) {
      const i = (b * 25 + t) * 4;
      assert.equal(c.inputs[i + 2 + ctx], 1);
      assert.equal(c.inputs[i + 3 - ctx], 0);
      s += c.inputs[i + ctx];
      assert.ok(Math.abs(c.targets[b * 25 + t] - s) < 1e-5);
    }
  }
  assert.throws(() => flipFlop({ batch: 0, seed: 1 }), /batch: expected an integer >= 1, got 0/);
  assert.throws(() => createCell('rnn' as never, { units: 2, inputSize: 1, seed: 0 }), /kind: expected one of/);
});

test('fused q-and-gradient kernels of every cell equal tfjs autodiff of mean q', async () => {
  await initBackend({ print: false });
  const rng = new Rng(31);
  for (const kind of CELL_KINDS) {
    const cell = createCell(kind, { units: 7, inputSize: 2, seed: 6, recurrentScale: 1.5, gateBias: 0.6 });
    for (const v of Object.values(cell.params)) if (v.rank === 1) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 4));
    cell.invalidate();
    const N = 5;
    const S = cell.stateSize;
    const x = Float32Array.from({ length: N * S }, () => rng.normal() * 0.6);
    const u = Float32Array.from({ length: N * 2 }, () => rng.normal());
    const q = new Float32Array(N);
    const g = new Float32Array(N * S);
    cell.qGradKernel!(u, N)(x, q, g);
    const [qRef, gRef] = tf.tidy(() => {
      const X = tf.tensor2d(x, [N, S]);
      const U = tf.tensor2d(u, [N, 2]);
      const qv = (h: tf.Tensor) => tf.mul(tf.sum(tf.square(tf.sub(cell.step(h as tf.Tensor2D, U), h)), 1), 0.5);
      return [qv(X).dataSync(), tf.grad((h: tf.Tensor) => tf.mean(qv(h)))(X).dataSync()];
    });
    q.forEach((v, i) => assert.ok(Math.abs(v - qRef[i]) < 1e-5 * Math.max(1, qRef[i]), `${kind} q[${i}]: ${v} vs ${qRef[i]}`));
    const scale = Math.max(...Array.from(gRef, Math.abs));
    g.forEach((v, i) => assert.ok(Math.abs(v - gRef[i]) < 1e-5 * scale, `${kind} grad[${i}]: ${v} vs ${gRef[i]}`));
    cell.dispose();
  }
});

test('sine-wave task: a static input selects the frequency of the target', async () => {
  const { sineWave } = await import('../../lib/dynamics');
  const b = sineWave({ batch: 6, steps: 40, seed: 2 });
  for (let i = 0; i < 6; i++) {
    const w = b.labels!.omega[i];
    const j = Math.round((b.inputs[i * 40] - 0.25) * 51);
    assert.ok(Math.abs(w - (0.1 + (j * 0.5) / 50)) < 1e-6, 'frequency j of 51 in [0.1, 0.6]');
    for (let t = 0; t < 40; t++) {
      assert.equal(b.inputs[i * 40 + t], b.inputs[i * 40]);
      assert.ok(Math.abs(b.targets[i * 40 + t] - Math.sin(w * (t + 1))) < 1e-6);
    }
  }
});

test('written-out BPTT (the default training engine) equals tfjs autodiff; both engines train alike', async () => {
  await initBackend({ print: false });
  const { fusedLossAndGradients } = await import('../../lib/dynamics');
  for (const kind of CELL_KINDS) {
    const net = RecurrentNetwork.create({ kind, units: 5, inputSize: 3, outputSize: 3, seed: 3, recurrentScale: 1.2, gateBias: 0.5 });
    net.h0.assign(tf.randomNormal([net.stateSize], 0, 0.3, 'float32', 3));
    const batch = flipFlop({ batch: 4, steps: 7, seed: 2 });
    const { inputs, targets } = taskTensors(batch);
    const ref = lossAndGradients(net, inputs, targets, 0.01);
    const got = fusedLossAndGradients(net, batch, 0.01);
    assert.ok(Math.abs(ref.loss - got.loss) < 1e-5 * ref.loss, `${kind} loss`);
    for (const [v, g] of ref.grads) {
      const a = g.dataSync();
      const b = got.grads.get(v)!;
      const scale = Math.max(1e-3, ...Array.from(a, Math.abs));
      a.forEach((x, k) => assert.ok(Math.abs(x - b[k]) < 1e-5 * scale, `${kind} gradient of a ${v.shape} variable, entry ${k}: ${b[k]} vs ${x}`));
    }
    ref.grads.forEach((t) => t.dispose());
    tf.dispose([inputs, targets]);
    net.dispose();
  }
  const curves = (['fused', 'autodiff'] as const).map((engine) => {
    const net = RecurrentNetwork.create({ kind: 'lstm', units: 6, inputSize: 3, outputSize: 3, seed: 8 });
    const r = trainNetwork(net, { task: 'flipFlop', taskOptions: { steps: 10 }, steps: 8, batchSize: 8, learningRate: 0.01, clipNorm: 0.5, l2: 1e-3, seed: 4, progress: false, engine });
    net.dispose();
    return r.losses;
  });
  curves[0].forEach((l, i) => assert.ok(Math.abs(l - curves[1][i]) < 1e-4 * l, `step ${i}: fused ${l} vs autodiff ${curves[1][i]}`));
});

test('the cell table: every kind is registered under its own name; an unknown kind throws at every entry point', async () => {
  await initBackend({ print: false });
  const { CELL_TABLE, cellDefinition, cellFromJSON, fusedLossAndGradients } = await import('../../lib/dynamics');
  assert.deepEqual([...CELL_KINDS], Object.keys(CELL_TABLE));
  for (const builtIn of ['vanilla', 'gru', 'lstm', 'ugrnn']) assert.ok(CELL_KINDS.includes(builtIn as never), `${builtIn} is registered`);
  for (const kind of CELL_KINDS) {
    assert.equal(CELL_TABLE[kind].kind, kind);
    const cell = createCell(kind, { units: 2, inputSize: 1, seed: 0 });
    assert.equal(cell.kind, kind, `createCell('${kind}') makes a ${kind} cell`);
    const back = cellFromJSON(cell.toJSON());
    assert.equal(back.kind, kind);
    assert.equal(back.constructor, cell.constructor);
    cell.dispose();
    back.dispose();
  }
  const list = CELL_KINDS.map((k) => `"${k}"`).join(', ');
  const known = new RegExp(`expected one of ${list} \\(the cell table\\), got "rnn"`);
  assert.throws(() => cellDefinition('rnn'), known);
  assert.throws(() => cellDefinition('toString'), /kind: expected one of/, 'inherited names are not kinds');
  // create
  assert.throws(() => createCell('rnn' as never, { units: 2, inputSize: 1, seed: 0 }), new RegExp(`^ArgumentError: kind: ${known.source}`));
  assert.throws(() => RecurrentNetwork.create({ kind: 'rnn' as never, units: 2, inputSize: 1, outputSize: 1, seed: 0 }), known);
  // restore
  const net = RecurrentNetwork.create({ kind: 'gru', units: 2, inputSize: 3, outputSize: 3, seed: 0 });
  const json = net.toJSON();
  assert.throws(() => cellFromJSON({ ...json.cell, kind: 'rnn' as never }), /json\.kind: expected one of/);
  assert.throws(() => RecurrentNetwork.fromJSON({ ...json, cell: { ...json.cell, kind: 'rnn' as never } }), /json\.kind: expected one of/);
  // A cell whose kind is not in the table never reaches another cell's BPTT step: the fused loss
  // and training with the fused (written-out BPTT) engine both throw.
  (net.cell as { kind: string }).kind = 'rnn';
  const batch = flipFlop({ batch: 2, steps: 4, seed: 1 });
  assert.throws(() => fusedLossAndGradients(net, batch), new RegExp(`net\\.cell\\.kind: ${known.source}`));
  assert.throws(() => trainNetwork(net, { task: 'flipFlop', taskOptions: { steps: 4 }, steps: 2, batchSize: 2, seed: 1, progress: false }), /net\.cell\.kind: expected one of/);
  net.dispose();
});
