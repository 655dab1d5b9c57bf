/**
 * LDFA: rank-r feedback B = Q P (lib/rules/low-rank.ts) and its linear theory
 * (lib/rules/linear-theory.ts), checked against explicit kernels, BP,
 * the Eckart-Young optimum, a known covariance's eigenvectors and a second
 * integration of the same dynamics in another basis.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Matrix, Rng, svd, symEig } from '../../lib/core';
import {
  errorSubspaceAngles,
  integrateSvdBasis,
  LINEAR_THEORY_RULES,
  lenet,
  LowRankPathway,
  LOW_RANK_RULES,
  mlp,
  Network,
  Optimizer,
  principalAngles,
  simulateLinearTheory,
} from '../../lib/rules';
import { randomLabels, randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

const lowRank = (net: Network, k: number) => net.pathways[k] as LowRankPathway;
const topEig = (C: Matrix, r: number) => symEig(C).vectors.subMatrix(0, C.rows - 1, 0, r - 1);

test('principal angles: a hand-built pair of planes in R^3 and a rotated copy of a subspace', () => {
  // span(e1, e2) vs span(e1, cos a e2 + sin a e3): angles 0 and a
  const a = 0.3;
  const A = new Matrix([[1, 0], [0, 1], [0, 0]]);
  const B = new Matrix([[2, 0], [0, Math.cos(a)], [0, Math.sin(a)]]);
  const ang = principalAngles(A, B);
  assert.ok(Math.abs(ang[0] - (a * 180) / Math.PI) < 1e-9 && Math.abs(ang[1]) < 1e-6, `${ang}`);
  // a basis change within the same subspace gives zero angles
  const C = A.mmul(new Matrix([[1, 2], [3, -1]]));
  assert.ok(Math.max(...principalAngles(A, C)) < 1e-6);
});

/** A covariance R diag(lambda) R^T with a random rotation R (seeded), and its square root R diag(sqrt lambda). */
function plantedCovariance(lambda: number[], seed: number): { C: Matrix; sqrtC: Matrix } {
  const m = lambda.length;
  const R = svd(new Matrix(Array.from({ length: m }, (_, i) => Array.from(new Rng(seed + i).normalArray(m))))).u;
  return { C: R.mmul(Matrix.diag(lambda)).mmul(R.transpose()), sqrtC: R.mmul(Matrix.diag(lambda.map(Math.sqrt))) };
}

test("Oja's subspace rule in the pathway converges to the top-r subspace of what it sees: the output layer's targets ('labels'), its error ('error'), a hidden layer's delta", () => {
  const m = 8;
  const r = 3;
  // Two covariances with different top-3 subspaces (clear gap after the third eigenvalue): the targets' and the errors'.
  const lambda = [9, 6, 4, 1, 0.7, 0.5, 0.3, 0.1];
  const labels = plantedCovariance(lambda, 40);
  const errors = plantedCovariance(lambda, 70);
  assert.ok(Math.min(...principalAngles(topEig(labels.C, r), topEig(errors.C, r))) > 10, 'the two subspaces must differ');
  for (const [signal, paramIndex, expected] of [['labels', 2, labels.C], ['error', 2, errors.C], ['labels', 1, errors.C]] as const) {
    // paramIndex 2 is the output layer (its P compresses e); 1 is a hidden layer of width m whose delta is not the output error.
    const net = new Network(mlp({ inputSize: 4, hidden: [6, m], classes: m, seed: 3, rule: 'ldfa', feedback: { rank: r, ldfaRule: 'raf', ojaOutputSignal: signal, optimizer: { type: 'sgd', lr: 0.05 } } }));
    const p = lowRank(net, paramIndex);
    assert.equal(p.ojaOnLabels, signal === 'labels' && paramIndex === 2);
    const before = Math.max(...p.subspaceAngles(expected));
    const rng = new Rng(5);
    const n = 128;
    const draw = (sqrtC: Matrix) => tf.tensor2d(new Matrix(Array.from({ length: n }, () => Array.from(rng.normalArray(m)))).mmul(sqrtC.transpose()).to2DArray());
    const fanIn = net.paramLayers[paramIndex].weight.shape[0];
    const input = tf.zeros([n, fanIn]);
    const G = tf.zeros([fanIn, m]);
    const opt = new Optimizer({ type: 'sgd', lr: 0.01 });
    for (let it = 0; it < 400; it++) {
      const targets = draw(labels.sqrtC); // rows ~ N(0, C_labels)
      const delta = draw(errors.sqrtC);   // rows ~ N(0, C_errors)
      p.learn({ input, delta, weightGradient: G, outputError: delta, targets, paramIndex, mainOptimizer: opt.options, epoch: 0 });
      tf.dispose([delta, targets]);
    }
    const after = p.subspaceAngles(expected);
    assert.ok(before > 20, `${signal}, layer ${paramIndex}: start ${before}`);
    assert.ok(Math.max(...after) < 5, `${signal}, layer ${paramIndex}: largest principal angle ${Math.max(...after)} deg`);
    // P's rows end near orthonormal (Oja's fixed point: P P^T = I)
    const P = new Matrix(p.P.arraySync() as number[][]);
    const PPt = P.mmul(P.transpose());
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) assert.ok(Math.abs(PPt.get(i, j) - (i === j ? 1 : 0)) < 0.05, `PP^T(${i},${j}) = ${PPt.get(i, j)}`);
    tf.dispose([input, G]);
    opt.dispose();
    net.dispose();
  }
});

test("raf clamps the backward signal to [-1, 1] by default (the authors' code); backwardClip sets or removes the bound", () => {
  const dy = randomTensor([5, 3], 92).mul(50); // large errors: the expanded signal exceeds 1
  const signalOf = (feedback: object) => {
    const net = new Network(mlp({ inputSize: 4, hidden: [6], classes: 3, seed: 4, rule: 'ldfa', feedback: { rank: 2, ldfaRule: 'raf', ...feedback } }));
    const p = lowRank(net, 1);
    const out = p.propagate({ dy, input: randomTensor([5, 6], 93), outputError: dy, paramIndex: 1 });
    // the unclamped signal by hand: dy P^T Q^T
    const P = new Matrix(p.P.arraySync() as number[][]);
    const Q = new Matrix(p.Q.arraySync() as number[][]);
    const raw = new Matrix(dy.arraySync() as number[][]).mmul(P.transpose()).mmul(Q.transpose());
    const got = out.arraySync() as number[][];
    out.dispose();
    net.dispose();
    return { raw: raw.to2DArray(), got };
  };
  for (const [feedback, bound] of [[{}, 1], [{ backwardClip: 0.25 }, 0.25], [{ backwardClip: null }, Infinity]] as const) {
    const { raw, got } = signalOf(feedback);
    assert.ok(raw.flat().some((v) => Math.abs(v) > 1), 'the test needs entries beyond the bound');
    raw.forEach((row, i) => row.forEach((v, j) => {
      const want = Math.max(-bound, Math.min(bound, v));
      assert.ok(Math.abs(got[i][j] - want) <= 1e-5 * Math.max(1, Math.abs(want)), `bound ${bound}: [${i}][${j}] ${got[i][j]} vs ${want}`);
    }));
  }
  // other rules do not clamp unless asked
  const net = new Network(mlp({ inputSize: 4, hidden: [6], classes: 3, seed: 4, rule: 'ldfa', feedback: { rank: 2, ldfaRule: 'normative' } }));
  assert.equal(lowRank(net, 1).backwardClip, null);
  net.dispose();
  assert.throws(() => new Network(mlp({ inputSize: 4, hidden: [6], classes: 3, seed: 4, rule: 'ldfa', feedback: { backwardClip: -1 } })), /backwardClip/);
  assert.throws(() => new Network(mlp({ inputSize: 4, hidden: [6], classes: 3, seed: 4, rule: 'ldfa', feedback: { ojaOutputSignal: 'noise' as 'labels' } })), /ojaOutputSignal/);
  dy.dispose();
});

test('full rank with Q = W and P = I: every layer receives exactly BP\'s delta and weight gradient (dense and conv)', () => {
  for (const spec of [lenet({ seed: 2, rule: 'ldfa', feedback: { rank: 'full' } }), mlp({ inputSize: 12, hidden: [9, 7], classes: 5, seed: 2, rule: 'ldfa' })]) {
    const net = new Network(spec);
    net.paramLayers.forEach((l, k) => {
      const p = lowRank(net, k);
      const out = l.weight.shape[l.weight.shape.length - 1];
      assert.equal(p.rank, out);
      const eye = tf.eye(out);
      p.setState({ P: eye, Q: l.weight });
      eye.dispose();
    });
    const x = spec.inputShape.length === 1 ? randomTensor([5, 12], 11) : randomTensor([3, 32, 32, 1], 11);
    const t = net.oneHot(randomLabels(x.shape[0], net.outputSize, 12));
    const trace = net.forward(x);
    const { loss, error } = net.lossAndError(trace.output, t);
    const gr = net.backward(trace, error, 'rule');
    const gb = net.backward(trace, error, 'bp');
    gr.weights.forEach((w, k) => assert.ok(relErr(w, gb.weights[k]) < 1e-5, `layer ${k}: ${relErr(w, gb.weights[k])}`));
    gr.deltas.forEach((d, k) => assert.ok(relErr(d, gb.deltas[k]) < 1e-5));
    const align = net.alignment(x, t);
    align.forEach((a) => assert.ok(a.updateAngle < 0.1 && (a.feedbackAngle as number) < 0.1, JSON.stringify(a)));
    tf.dispose([loss, error, x, t]);
    net.disposeGradients(gr);
    net.disposeGradients(gb);
    net.disposeTrace(trace);
    net.dispose();
  }
});

test('conv rank-r feedback equals conv2dTranspose with the explicit kernel K[a,b,ci,co] = sum_j Q[a,b,ci,j] P[j,co]', () => {
  const net = new Network({
    inputShape: [9, 9, 3],
    layers: [
      { kind: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1 },
      { kind: 'activation', activation: 'tanh' },
      { kind: 'conv2d', filters: 6, kernelSize: 3, padding: 'same' },
      { kind: 'flatten' },
      { kind: 'dense', units: 3 },
    ],
    seed: 5,
    rule: 'ldfa',
    feedback: { rank: 2, ldfaRule: 'fixed' },
  });
  const p = lowRank(net, 1);
  const layer = net.paramLayers[1];
  const [kh, kw, cin, cout] = layer.weight.shape;
  const Q = p.Q.dataSync();
  const P = p.P.dataSync();
  const K = new Float32Array(kh * kw * cin * cout);
  for (let i = 0; i < kh * kw * cin; i++) for (let co = 0; co < cout; co++) {
    let s = 0;
    for (let j = 0; j < 2; j++) s += Q[i * 2 + j] * P[j * cout + co];
    K[i * cout + co] = s;
  }
  const Kt = tf.tensor(K, layer.weight.shape);
  const dy = randomTensor([2, ...layer.outputShape], 21);
  const input = randomTensor([2, ...layer.inputShape], 22);
  const got = p.propagate({ dy, input, outputError: tf.zeros([2, 3]), paramIndex: 1 });
  const want = layer.inputAdjoint(dy, Kt);
  assert.ok(relErr(got, want) < 1e-5, `${relErr(got, want)}`);
  const fk = p.feedbackKernel() as tf.Tensor;
  assert.ok(relErr(fk, Kt) < 1e-6);
  tf.dispose([Kt, dy, input, got, want, fk]);
  net.dispose();
});

test('direct variant: each layer input receives e P^T Q^T (explicit product)', () => {
  const net = new Network(mlp({ inputSize: 6, hidden: [5, 4], classes: 3, seed: 6, rule: 'dldfa', feedback: { rank: 2, backwardClip: null } }));
  const p = lowRank(net, 1);
  const e = randomTensor([4, 3], 31);
  const input = randomTensor([4, 5], 32);
  const got = p.propagate({ dy: tf.zeros([4, 4]), input, outputError: e, paramIndex: 1 });
  const E = new Matrix(e.arraySync() as number[][]);
  const want = E.mmul(new Matrix(p.P.arraySync() as number[][]).transpose()).mmul(new Matrix(p.Q.arraySync() as number[][]).transpose());
  assert.ok(relErr(got.dataSync(), want.to1DArray()) < 1e-5);
  assert.equal(p.feedbackKernel(), null);
  tf.dispose([e, input, got]);
  net.dispose();
  assert.throws(() => new Network(mlp({ rule: 'dldfa', feedback: { ldfaRule: 'normative' } })), /ldfaRule/);
  assert.throws(() => new Network(mlp({ rule: 'ldfa', feedback: { rank: 0 } })), /rank/);
});

test('the normative rule drives Q P to the best rank-r approximation of a fixed W (Eckart-Young, truncated SVD)', () => {
  const net = new Network(mlp({ inputSize: 10, hidden: [8], classes: 6, seed: 7, rule: 'ldfa', feedback: { rank: 3, ldfaRule: 'normative', optimizer: { type: 'sgd', lr: 0.2 } } }));
  const p = lowRank(net, 0);
  const W = net.paramLayers[0].weight; // [10, 8], never stepped here
  // Start away from the SVD initialisation.
  const rng = new Rng(8);
  const P0 = tf.tensor(rng.normalArray(3 * 8, 0, 0.3) as Float32Array, [3, 8]);
  const Q0 = tf.tensor(rng.normalArray(10 * 3, 0, 0.3) as Float32Array, [10, 3]);
  p.setState({ P: P0, Q: Q0 });
  const opt = new Optimizer();
  const dummy = tf.zeros([1]);
  for (let it = 0; it < 3000; it++) {
    p.learn({ input: dummy, delta: dummy, weightGradient: dummy, outputError: dummy, targets: dummy, paramIndex: 0, mainOptimizer: opt.options, epoch: 0 });
  }
  const { u, s, v } = svd({ data: W.dataSync(), rows: 10, cols: 8 });
  const best = u.subMatrix(0, 9, 0, 2).mmul(Matrix.diag(Array.from(s.slice(0, 3)))).mmul(v.subMatrix(0, 7, 0, 2).transpose());
  const QP = p.feedbackKernel() as tf.Tensor;
  assert.ok(relErr(QP.dataSync(), best.to1DArray()) < 1e-3, `||QP - W_3|| / ||W_3|| = ${relErr(QP.dataSync(), best.to1DArray())}`);
  tf.dispose([P0, Q0, dummy, QP]);
  opt.dispose();
  net.dispose();
});

test('the normative start is the truncated SVD of W (tall and wide kernels, against a direct SVD)', () => {
  const net = new Network(mlp({ inputSize: 10, hidden: [12, 8], classes: 14, seed: 9, rule: 'ldfa', feedback: { rank: 3, ldfaRule: 'normative' } }));
  assert.equal(lowRank(net, 0).feedbackKernel(), null); // the first layer's pathway is dormant: no P, Q, no SVD
  net.paramLayers.forEach((l, k) => {
    if (k === 0) return;
    const [rows, cols] = l.weight.shape;
    const { u, s, v } = svd({ data: l.weight.dataSync(), rows: rows, cols: cols });
    const best = u.subMatrix(0, rows - 1, 0, 2).mmul(Matrix.diag(Array.from(s.slice(0, 3)))).mmul(v.subMatrix(0, cols - 1, 0, 2).transpose());
    const K = lowRank(net, k).feedbackKernel() as tf.Tensor;
    assert.ok(relErr(K.dataSync(), best.to1DArray()) < 1e-5, `layer ${k} [${rows}, ${cols}]: ${relErr(K.dataSync(), best.to1DArray())}`);
    K.dispose();
  });
  net.dispose();
});

test("the normative start at rank 'full' where a layer widens (fewer inputs than outputs): Q P = W, the components past the inputs zero", () => {
  // hidden 3 -> 5 and 5 -> 9: W [3, 5] has rank 3 < 5 = the error's width, so 'full' asks for more components than W has.
  const net = new Network(mlp({ inputSize: 4, hidden: [3, 5], classes: 9, seed: 2, rule: 'ldfa', feedback: { rank: 'full', ldfaRule: 'normative' } }));
  for (const k of [1, 2]) {
    const W = net.paramLayers[k].weight;
    const K = lowRank(net, k).feedbackKernel() as tf.Tensor;
    assert.ok(relErr(K.dataSync(), W.dataSync()) < 1e-5, `layer ${k} [${W.shape}]: ||QP - W|| / ||W|| = ${relErr(K.dataSync(), W.dataSync())}`);
    K.dispose();
  }
  const P = lowRank(net, 1).P.arraySync() as number[][];
  assert.deepEqual([P.length, P.slice(3).flat().every((v) => v === 0)], [5, true], 'rows of P past min(3, 5) are zero');
  net.dispose();
});

test("the first layer's pathway is dormant (nothing is sent below layer 0): zero-size P and Q, nothing to learn or save, training as with them", () => {
  for (const ldfaRule of ['raf', 'normative'] as const) {
    const spec = mlp({ inputSize: 9, hidden: [7], classes: 4, seed: 5, rule: 'ldfa', feedback: { rank: 'full', ldfaRule } });
    const a = new Network(spec);
    const b = new Network(spec);
    const p = lowRank(a, 0);
    assert.ok(p.dormant && !lowRank(a, 1).dormant);
    assert.equal(p.P.size + p.Q.size, 0);
    assert.deepEqual([p.trainables(), p.state(), p.feedbackKernel()], [[], {}, null]);
    // b's first pathway woken by a state: full-rank P and Q trained every step, as before the skip
    const q = lowRank(b, 0);
    const P0 = tf.eye(7);
    const Q0 = randomTensor([9, 7], 3);
    q.setState({ P: P0, Q: Q0 });
    assert.ok(!q.dormant && q.trainables().length === 2);
    const x = randomTensor([6, 9], 4);
    const t = a.oneHot(randomLabels(6, 4, 5));
    const [oa, ob] = [new Optimizer({ type: 'adam', lr: 1e-2 }), new Optimizer({ type: 'adam', lr: 1e-2 })];
    a.trainStep(x, t, oa);
    b.trainStep(x, t, ob);
    const before = tf.memory().numTensors;
    for (let s = 0; s < 2; s++) {
      a.trainStep(x, t, oa);
      b.trainStep(x, t, ob);
    }
    assert.equal(tf.memory().numTensors, before, `${ldfaRule}: tensor count grew`);
    // P and Q of layer 0 never reach a weight: the forward weights are bit-identical
    a.paramLayers.forEach((l, k) => assert.equal(relErr(l.weight, b.paramLayers[k].weight), 0, `${ldfaRule} layer ${k}`));
    assert.ok(relErr(q.Q, Q0) > 1e-4, `${ldfaRule}: the woken Q trained`);
    assert.ok(p.dormant && p.P.size === 0, `${ldfaRule}: still dormant after training`);
    // a saved dormant pathway loads dormant
    const c = Network.fromJSON(a.toJSON());
    assert.ok(lowRank(c, 0).dormant);
    tf.dispose([P0, Q0, x, t]);
    [oa, ob].forEach((o) => o.dispose());
    [a, b, c].forEach((n) => n.dispose());
  }
  // a layer with parameters below the first parametric layer needs its signal: the first pathway wakes and trains
  const ln = new Network({ inputShape: [6], layers: [{ kind: 'layer-norm' }, { kind: 'dense', units: 5 }, { kind: 'activation', activation: 'tanh' }, { kind: 'dense', units: 3 }], seed: 2, rule: 'ldfa', feedback: { rank: 2 } });
  const x = randomTensor([4, 6], 6);
  const t = ln.oneHot(randomLabels(4, 3, 7));
  const opt = new Optimizer({ type: 'sgd', lr: 0.1 });
  assert.ok(lowRank(ln, 0).dormant);
  ln.trainStep(x, t, opt);
  assert.ok(!lowRank(ln, 0).dormant && lowRank(ln, 0).P.size === 2 * 5 && lowRank(ln, 0).trainables().length === 2);
  tf.dispose([x, t]);
  opt.dispose();
  ln.dispose();
});

test('error-subspace angles: zero when P holds the top-r eigenvectors of the batch error covariance (computed by hand), large for a random P', () => {
  const net = new Network(mlp({ inputSize: 7, hidden: [6], classes: 5, seed: 12, rule: 'ldfa', feedback: { rank: 2, ldfaRule: 'raf', ojaOutputSignal: 'error' } }));
  const x = randomTensor([40, 7], 81);
  const t = net.oneHot(randomLabels(40, 5, 82));
  const random = errorSubspaceAngles(net, x, t);
  assert.equal(random.length, 2);
  assert.ok(Math.max(...(random[1] as number[])) > 10, `${random[1]}`);
  // the last layer's delta is the output error e = (softmax(z) - y) / N
  const z = net.predict(x).arraySync() as number[][];
  const y = t.arraySync() as number[][];
  const e = z.map((row, i) => {
    const mx = Math.max(...row);
    const ex = row.map((v) => Math.exp(v - mx));
    const sum = ex.reduce((a, b) => a + b, 0);
    return ex.map((v, j) => (v / sum - y[i][j]) / 40);
  });
  const mean = [0, 1, 2, 3, 4].map((j) => e.reduce((a, r) => a + r[j], 0) / 40);
  const C = new Matrix(5, 5);
  for (const r of e) for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) C.set(a, b, C.get(a, b) + ((r[a] - mean[a]) * (r[b] - mean[b])) / 40);
  const V = symEig(C).vectors;
  const P = tf.tensor2d([0, 1].map((j) => [0, 1, 2, 3, 4].map((i) => V.get(i, j) * (j === 0 ? 2 : -1)))); // any basis of the span
  const p = lowRank(net, 1);
  p.setState({ P: P, Q: p.Q });
  const aligned = errorSubspaceAngles(net, x, t);
  assert.ok(Math.max(...(aligned[1] as number[])) < 0.05, `${aligned[1]}`);
  tf.dispose([x, t, P]);
  net.dispose();
});

test('every LDFA rule and variant trains on LeNet and an MLP without leaking tensors; rank per layer is honoured', () => {
  for (const spec of [lenet({ seed: 1 }), mlp({ inputSize: 30, hidden: [20, 16], classes: 10, seed: 1 })]) {
    const net = new Network(spec);
    const x = spec.inputShape.length === 1 ? randomTensor([4, 30], 61) : randomTensor([2, 32, 32, 1], 61);
    const t = net.oneHot(randomLabels(x.shape[0], 10, 62));
    const opt = new Optimizer({ type: 'adam', lr: 1e-3 });
    for (const rule of ['ldfa', 'dldfa'] as const) {
      for (const ldfaRule of LOW_RANK_RULES) {
        if (rule === 'dldfa' && ldfaRule === 'normative') continue;
        net.setRule(rule, { rank: [1, 2, 3, 4, 5].slice(0, net.paramLayers.length), ldfaRule, clip: 10 });
        net.pathways.forEach((p, k) => assert.equal((p as LowRankPathway).rank, Math.min(k + 1, (p as LowRankPathway).errorWidth)));
        net.trainStep(x, t, opt);
        const before = tf.memory().numTensors;
        const r = net.trainStep(x, t, opt);
        assert.ok(Number.isFinite(r.loss), `${rule}/${ldfaRule}`);
        assert.equal(tf.memory().numTensors, before, `${rule}/${ldfaRule}: tensor count grew`);
      }
    }
    tf.dispose([x, t]);
    opt.dispose();
    net.dispose();
  }
});

test('linear theory: simulation and SVD-basis integration of the same discrete dynamics agree (sampled Sigma_xx, every rule)', () => {
  const o = { inputSize: 16, hiddenSize: 8, outputSize: 8, rank: 2, samples: 400, steps: 1500, lr: 0.01, recordEvery: 25, method: 'euler' as const };
  for (const rule of LINEAR_THEORY_RULES) {
    const a = simulateLinearTheory({ rule, ...o });
    const b = integrateSvdBasis({ rule, ...o });
    assert.equal(a.records.length, b.records.length);
    let d = 0;
    a.records.forEach((rec, i) => rec.modeStrengths.forEach((v, j) => (d = Math.max(d, Math.abs(v - b.records[i].modeStrengths[j])))));
    assert.ok(d < 1e-6, `${rule}: max |difference| ${d}`);
    assert.ok(Math.abs(a.finalLoss - b.finalLoss) <= 1e-6 * Math.max(1, a.finalLoss) || (a.divergedAt !== null && a.divergedAt === b.divergedAt), `${rule} loss`);
  }
});

test('linear theory: gradient descent and the Runge-Kutta gradient flow in the SVD basis stay within 0.02 (mode strengths, throughout)', () => {
  const o = { inputSize: 16, hiddenSize: 8, outputSize: 8, rank: 2, samples: 0, steps: 6000, lr: 0.002, recordEvery: 100, method: 'rk4' as const };
  for (const rule of LINEAR_THEORY_RULES) {
    const a = simulateLinearTheory({ rule, ...o });
    const b = integrateSvdBasis({ rule, ...o });
    assert.equal(a.divergedAt, b.divergedAt, rule);
    let d = 0;
    a.records.forEach((rec, i) => rec.modeStrengths.forEach((v, j) => (d = Math.max(d, Math.abs(v - b.records[i].modeStrengths[j])))));
    assert.ok(d < 0.02, `${rule}: max |difference| ${d}`);
    console.log(`# ${rule}: GD vs RK4 flow, max mode-strength difference ${d.toFixed(4)}${a.divergedAt === null ? '' : `, diverged at step ${a.divergedAt}`}`);
  }
});

test('linear theory: the rank-r optimal loss equals what BP reaches in a linear net with an r-unit bottleneck (Baldi & Hornik 1989)', () => {
  // A bottleneck of r hidden units can realise exactly the rank-r products; gradient descent from a small start
  // converges to the global minimum, the Eckart-Young solution in whitened coordinates. Sampled Sigma_xx (not I).
  for (const r of [1, 2, 3]) {
    const o = { rule: 'bp' as const, inputSize: 7, hiddenSize: r, outputSize: 4, teacherRank: 4, rank: r, samples: 30, steps: 40000, lr: 0.02, weightDecay: 0, initStd: 0.1, recordEvery: 40000, modes: 1 };
    const res = simulateLinearTheory(o);
    assert.ok(res.finalLoss > 1e-3, `r = ${r}: the bottleneck must leave a loss (${res.finalLoss})`);
    assert.ok(Math.abs(res.finalLoss - res.rankOptimalLoss) <= 1e-6 * res.finalLoss, `r = ${r}: trained ${res.finalLoss} vs rank-optimal ${res.rankOptimalLoss}`);
    // the same bound from the SVD-basis run (rotation-invariant), and a full-width network goes below it
    assert.ok(Math.abs(integrateSvdBasis({ ...o, steps: 1, method: 'euler' }).rankOptimalLoss - res.rankOptimalLoss) <= 1e-9 * res.rankOptimalLoss);
    const wide = simulateLinearTheory({ ...o, hiddenSize: 4 });
    // a teacher of rank r leaves nothing beyond r modes
    assert.ok(simulateLinearTheory({ ...o, teacherRank: r, steps: 1 }).rankOptimalLoss < 1e-9, `r = ${r}: rank-r teacher`);
    assert.ok(wide.finalLoss < 0.5 * res.rankOptimalLoss, `r = ${r}: full width ${wide.finalLoss}`);
  }
});
