/**
 * Vectorized networks and GEVB (lib/rules/vectorized.ts), and the locally
 * connected layer (lib/rules/locally-connected.ts): every linear map against
 * an explicit float64 matrix, BP against tfjs autodiff and float64 finite
 * differences (FC-Vec; Conv-Vec and LC-Vec, every weight and bias), GEVB's per-example sign match (and its failure in a mixed
 * network), the ON/OFF block structure and the clamp.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { compareWithBackprop, fcVec, LocallyConnected2d, Optimizer, spatialVec, VecParamLayer, VectorizedNetwork } from '../../lib/rules';
import { centralDifferences, lcTaps, randomLabels, randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

/** The explicit matrix M [H W C, OH OW O] of a locally connected layer with weights W [P, k k C, O]: y = x M. */
function lcMatrix(lc: LocallyConnected2d, w: Float32Array | Float64Array): Float64Array {
  const [h, wd, c] = lc.inputShape;
  const cols = lc.outputShape.reduce((a, b) => a * b, 1);
  const o = lc.outputShape[2];
  const m = new Float64Array(h * wd * c * cols);
  for (const { p, f, input } of lcTaps(lc)) for (let u = 0; u < o; u++) m[input * cols + p * o + u] = w[(p * lc.fanIn + f) * o + u];
  return m;
}

function matVec(x: ArrayLike<number>, n: number, m: Float64Array, rows: number, cols: number, transpose = false): Float64Array {
  // x [n, rows] times m [rows, cols] (or x [n, cols] times m^T).
  const out = new Float64Array(n * (transpose ? rows : cols));
  for (let e = 0; e < n; e++) {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        if (transpose) out[e * rows + r] += x[e * cols + q] * m[r * cols + q];
        else out[e * cols + q] += x[e * rows + r] * m[r * cols + q];
      }
    }
  }
  return out;
}

for (const geometry of [
  { name: 'stride 1, padding 1', stride: 1, padding: 1 },
  { name: 'stride 2, padding 0', stride: 2, padding: 0 },
]) {
  test(`locally connected (${geometry.name}): forward, input adjoint, kernel gradient and jvp equal the explicit dense matrix`, () => {
    const lc = new LocallyConnected2d({ kind: 'locally-connected', filters: 3, kernelSize: 3, stride: geometry.stride, padding: geometry.padding });
    lc.build([5, 6, 2], new Rng(1));
    tf.tidy(() => lc.bias!.assign(randomTensor(lc.bias!.shape, 9)));
    const n = 2;
    const x = randomTensor([n, 5, 6, 2], 2);
    const rows = 5 * 6 * 2;
    const cols = lc.outputShape.reduce((a, b) => a * b, 1);
    const m = lcMatrix(lc, lc.weight.dataSync() as Float32Array);
    const b = lc.bias!.dataSync();
    const ref = matVec(x.dataSync(), n, m, rows, cols).map((v, i) => v + b[i % cols]);
    assert.ok(relErr(lc.forward(x), ref) < 1e-5, 'forward');
    const dy = randomTensor([n, ...lc.outputShape], 3);
    assert.ok(relErr(lc.inputAdjoint(dy, lc.weight), matVec(dy.dataSync(), n, m, rows, cols, true)) < 1e-5, 'input adjoint = dy M^T');
    // Kernel gradient: dW[p, f, o] = sum over examples of x_(position of f at p) dy[p, o], from the explicit matrix's sparsity.
    const g = lc.kernelGradient(x, dy).dataSync();
    const ones = new Float32Array(lc.weight.size).fill(1);
    const index = lcMatrix(lc, ones.map((_, i) => i + 1)); // each entry names the weight it holds (0: none)
    const expect = new Float64Array(lc.weight.size);
    const xs = x.dataSync();
    const ds = dy.dataSync();
    for (let e = 0; e < n; e++) for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) {
      const id = index[r * cols + q];
      if (id > 0) expect[id - 1] += xs[e * rows + r] * ds[e * cols + q];
    }
    assert.ok(relErr(g, expect) < 1e-5, 'kernel gradient');
    // jvp: dx M + x V M-structure + V_b.
    const dx = randomTensor(x.shape, 4);
    const vw = randomTensor(lc.weight.shape, 5);
    const vb = randomTensor(lc.bias!.shape, 6);
    const mv = lcMatrix(lc, vw.dataSync() as Float32Array);
    const vbs = vb.dataSync();
    const a1 = matVec(dx.dataSync(), n, m, rows, cols);
    const a2 = matVec(xs, n, mv, rows, cols);
    const jref = a1.map((v, i) => v + a2[i] + vbs[i % cols]);
    assert.ok(relErr(lc.jvp(x, x, dx, { weight: vw, bias: vb }), jref) < 1e-5, 'jvp');
    tf.dispose([x, dy, dx, vw, vb]);
    lc.dispose();
  });
}

test('the first layer equals the block-diagonal expansion of the input times the expanded kernel (dense and conv)', () => {
  const K = 3;
  const dense = new VecParamLayer({ kind: 'vec-dense', units: 4 }, K, true, 'mixed', false);
  dense.build([5], new Rng(2));
  const x = randomTensor([2, 5], 7);
  // Expanded kernel [K D, out]: block k = kernel[:, k out : (k+1) out].
  const wexp = tf.tidy(() => tf.concat(tf.split(dense.weight, K, 1), 0));
  const xexp = tf.tidy(() => tf.stack(Array.from({ length: K }, (_, k) => tf.concat([tf.zeros([2, 5 * k]), x, tf.zeros([2, 5 * (K - 1 - k)])], 1)), 1));
  assert.ok(relErr(dense.linear(x, dense.weight), tf.matMul(xexp.reshape([2 * K, 5 * K]), wexp).reshape([2, K, 4])) < 1e-6, 'dense');
  const conv = new VecParamLayer({ kind: 'vec-conv2d', filters: 2, kernelSize: 3, padding: 1 }, K, true, 'mixed', false);
  conv.build([4, 4, 1], new Rng(3));
  const img = randomTensor([2, 4, 4, 1], 8);
  tf.tidy(() => {
    // Expanded kernel [3, 3, K, out]: input channel k holds block k.
    const kexp = tf.concat(tf.split(conv.weight, K, 3), 2);
    const per = Array.from({ length: K }, (_, k) => {
      const ximg = tf.concat([tf.zeros([2, 4, 4, k]), img, tf.zeros([2, 4, 4, K - 1 - k])], 3);
      return tf.conv2d(ximg as tf.Tensor4D, kexp as tf.Tensor4D, 1, 1 as unknown as 'valid');
    });
    assert.ok(relErr(conv.linear(img, conv.weight), tf.stack(per, 1)) < 1e-6, 'conv');
  });
  tf.dispose([x, wexp, xexp, img]);
});

test('nonnegative initialisation: ON/OFF rows in the first layer, the 2x2 [[relu W, relu -W], [relu -W, relu W]] blocks later, first block row at the output', () => {
  const net = new VectorizedNetwork(fcVec({ inputSize: 6, hidden: [8, 6], classes: 4, seed: 3 }));
  const [first, hidden, out] = net.paramLayers;
  const w0 = first.weight.arraySync() as number[][]; // [D, K units]
  for (const row of w0) for (let i = 0; i < row.length; i += 2) assert.equal(row[i + 1], -row[i]);
  assert.ok(w0.flat().some((v) => v < 0) && w0.flat().some((v) => v > 0), 'the first layer has mixed signs');
  const w = hidden.weight.arraySync() as number[][]; // [in 8, out 6]
  let zeros = 0;
  for (let b = 0; b < 4; b++) for (let a = 0; a < 3; a++) {
    const [on, off] = [w[2 * b][2 * a], w[2 * b][2 * a + 1]];
    assert.ok(on >= 0 && off >= 0 && on * off === 0, 'relu(W) and relu(-W): at most one nonzero');
    assert.equal(w[2 * b + 1][2 * a + 1], on);
    assert.equal(w[2 * b + 1][2 * a], off);
    if (on === 0 && off === 0) zeros++;
  }
  assert.ok(zeros < 12, 'not all blocks empty');
  const wo = (out.weight.arraySync() as number[][]).map((r) => r[0]);
  for (let b = 0; b < 3; b++) assert.ok(wo[2 * b] >= 0 && wo[2 * b + 1] >= 0 && wo[2 * b] * wo[2 * b + 1] === 0);
  // At initialisation the pair (2a, 2a+1) of the first layer carries h and -h: the gate (t, -t) opens both or neither.
  const x = randomTensor([3, 6], 4);
  const trace = net.forward(x);
  const h = trace.inputs[2].arraySync() as number[][][]; // gated first layer [N, K, 8]
  for (const ex of h) for (const comp of ex) for (let i = 0; i < 8; i += 2) assert.ok(Math.abs(comp[i + 1] + comp[i]) < 1e-6);
  net.disposeTrace(trace);
  x.dispose();
  net.dispose();
});

/** BP through the network's explicit backward pass against tfjs autodiff of the same forward. */
function bpAgainstAutodiff(net: VectorizedNetwork, x: tf.Tensor, labels: Int32Array): number {
  const t = net.oneHot(labels);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'bp');
  const vars = net.paramLayers.flatMap((l) => [l.weight, l.bias]);
  const ref = tf.variableGrads(() => tf.tidy(() => net.lossAndError(net.predict(x), t).loss), vars);
  let worst = 0;
  net.paramLayers.forEach((l, k) => {
    worst = Math.max(worst, relErr(g.weights[k], ref.grads[l.weight.name]), relErr(g.biases[k], ref.grads[l.bias.name]));
  });
  tf.dispose([t, loss, error, ref.value, ...Object.values(ref.grads)]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  return worst;
}

for (const c of [
  { name: 'FC-Vec', options: fcVec({ inputSize: 12, hidden: [8, 6], classes: 4 }), input: [12] },
  { name: 'Conv-Vec', options: spatialVec({ form: 'conv2d', channels: [4, 2], hidden: 6, classes: 3, inputShape: [8, 8, 1] }), input: [8, 8, 1] },
  { name: 'LC-Vec', options: spatialVec({ form: 'locally-connected', channels: [4, 2], hidden: 6, classes: 3, inputShape: [8, 8, 1] }), input: [8, 8, 1] },
]) {
  for (const sign of ['nonnegative', 'mixed'] as const) {
    test(`BP through ${c.name} (${sign}) equals tfjs autodiff`, () => {
      const net = new VectorizedNetwork({ ...c.options, sign, rule: 'bp', seed: 5 });
      // Nonzero biases so every term of the per-category bias enters.
      net.paramLayers.forEach((l, k) => tf.tidy(() => l.bias.assign(randomTensor(l.bias.shape, 40 + k, 0.1))));
      const x = randomTensor([4, ...c.input], 11);
      const err = bpAgainstAutodiff(net, x, randomLabels(4, net.classes, 12));
      assert.ok(err < 1e-4, `worst relative error ${err}`);
      x.dispose();
      net.dispose();
    });
  }
}

test('BP through FC-Vec equals float64 central finite differences of a float64 forward pass', () => {
  const K = 3;
  const net = new VectorizedNetwork({ ...fcVec({ inputSize: 5, hidden: [4, 4], classes: K }), sign: 'mixed', rule: 'bp', seed: 8 });
  const xs = randomTensor([2, 5], 13);
  const labels = [1, 2];
  const ws = net.paramLayers.map((l) => Float64Array.from(l.weight.dataSync()));
  const bs = net.paramLayers.map((l) => Float64Array.from(l.bias.dataSync()));
  const ts = net.layers.filter((l) => l.kind === 'gate').map((g) => (g as unknown as { t: tf.Tensor }).t.dataSync());
  const x = xs.dataSync();
  // float64 forward: first layer h[k, i] = sum_d x_d W[d, k units + i] + b[k, i]; then gate, then shared W.
  const loss64 = (): number => {
    let total = 0;
    for (let n = 0; n < 2; n++) {
      const units0 = net.paramLayers[0].outputShape[1];
      let h: number[][] = Array.from({ length: K }, (_, k) => Array.from({ length: units0 }, (_, i) => {
        let a = bs[0][k * units0 + i];
        for (let d = 0; d < 5; d++) a += x[n * 5 + d] * ws[0][d * K * units0 + k * units0 + i];
        return a;
      }));
      for (let l = 1; l < 3; l++) {
        const t = ts[l - 1];
        const c = h[0].length;
        const g = Array.from({ length: c }, (_, i) => (h.reduce((s, comp, k) => s + t[k * c + i] * comp[i], 0) >= 0 ? 1 : 0));
        h = h.map((comp) => comp.map((v, i) => v * g[i]));
        const out = net.paramLayers[l].outputShape[1];
        h = h.map((comp, k) => Array.from({ length: out }, (_, o) => comp.reduce((s, v, j) => s + v * ws[l][j * out + o], bs[l][k * out + o])));
      }
      const z = h.map((comp) => comp[0]);
      const mx = Math.max(...z);
      total += mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0)) - z[labels[n]];
    }
    return total / 2;
  };
  const t = net.oneHot(labels);
  const trace = net.forward(xs);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'bp');
  const eps = 1e-6;
  let worst = 0;
  ws.forEach((w, l) => {
    const analytic = g.weights[l].dataSync();
    const fd = centralDifferences(w, loss64, eps);
    worst = Math.max(worst, relErr(analytic, fd));
  });
  assert.ok(Math.abs(loss.dataSync()[0] - loss64()) < 1e-5, 'the float64 forward is the network');
  assert.ok(worst < 1e-4, `worst relative error ${worst}`);
  tf.dispose([xs, t, loss, error]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

/**
 * The mean cross-entropy of a vectorized network in float64, written here in
 * explicit loops over its layer list (no lib maps): the first parametric layer
 * reads the input once per component k through kernel block k (output columns
 * k units .. (k+1) units), later ones apply the one kernel to every component;
 * conv kernels are [kh, kw, cin, cout], locally connected ones [position,
 * (i kh + j) cin + c, cout] (stride 1, zero padding); biases [K, ..., units];
 * the gate zeroes unit i at a position in every component where
 * sum_k t[k, i] h[k, i] < 0; average pooling over non-overlapping windows.
 */
function float64Loss(net: VectorizedNetwork, x: ArrayLike<number>, n: number, labels: readonly number[], ws: Float64Array[], bs: Float64Array[]): number {
  const K = net.classes;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const inSize = size(net.inputShape);
  let total = 0;
  for (let e = 0; e < n; e++) {
    const image = Float64Array.from({ length: inSize }, (_, i) => x[e * inSize + i]);
    let shape = net.inputShape.slice(); // the unit shape, without K
    let h: Float64Array[] = []; // per component (the input has no K axis)
    let p = 0;
    for (const layer of net.layers) {
      if (layer instanceof VecParamLayer) {
        const first = p === 0;
        const comps = first ? Array.from({ length: K }, () => image) : h;
        const out = layer.outputShape.slice(1);
        const units = out[out.length - 1];
        const cols = first ? K * units : units;
        const [w, b] = [ws[p], bs[p]];
        h = comps.map((xk, k) => {
          const off = first ? k * units : 0;
          const y = new Float64Array(size(out));
          if (layer.form === 'dense') {
            for (let o = 0; o < units; o++) {
              let a = b[k * units + o];
              for (let j = 0; j < xk.length; j++) a += xk[j] * w[j * cols + off + o];
              y[o] = a;
            }
            return y;
          }
          const spec = layer.vecSpec as { kernelSize: number; padding?: number };
          const [kk, pad] = [spec.kernelSize, spec.padding ?? 0];
          const [H, W, C] = shape;
          const [OH, OW] = out;
          for (let r = 0; r < OH; r++) for (let q = 0; q < OW; q++) for (let o = 0; o < units; o++) {
            let a = b[k * units + o];
            for (let i = 0; i < kk; i++) for (let j = 0; j < kk; j++) {
              const [rr, qq] = [r + i - pad, q + j - pad];
              if (rr < 0 || rr >= H || qq < 0 || qq >= W) continue;
              for (let c = 0; c < C; c++) {
                const f = (i * kk + j) * C + c;
                const wi = layer.form === 'conv2d' ? f * cols + off + o : ((r * OW + q) * kk * kk * C + f) * cols + off + o;
                a += xk[(rr * W + qq) * C + c] * w[wi];
              }
            }
            y[(r * OW + q) * units + o] = a;
          }
          return y;
        });
        shape = out;
        p++;
      } else if (layer.kind === 'gate') {
        const t = (layer as unknown as { t: tf.Tensor }).t.dataSync(); // [K, (1, 1,) C]
        const C = shape[shape.length - 1];
        const cur = h;
        for (let idx = 0; idx < size(shape); idx++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += t[k * C + (idx % C)] * cur[k][idx];
          if (s < 0) for (let k = 0; k < K; k++) cur[k][idx] = 0;
        }
      } else if (layer.kind === 'vec-avgpool') {
        const [H, W, C] = shape;
        const [OH, OW] = layer.outputShape.slice(1);
        const sz = H / OH;
        h = h.map((comp) => {
          const y = new Float64Array(OH * OW * C);
          for (let r = 0; r < OH; r++) for (let q = 0; q < OW; q++) for (let c = 0; c < C; c++) {
            let a = 0;
            for (let i = 0; i < sz; i++) for (let j = 0; j < sz; j++) a += comp[((r * sz + i) * W + q * sz + j) * C + c];
            y[(r * OW + q) * C + c] = a / (sz * sz);
          }
          return y;
        });
        shape = [OH, OW, C];
      } else {
        shape = [size(shape)]; // flatten: row-major [H, W, C]
      }
    }
    const z = h.map((comp) => comp[0]);
    const mx = Math.max(...z);
    total += mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0)) - z[labels[e]];
  }
  return total / n;
}

for (const form of ['conv2d', 'locally-connected'] as const) {
  for (const sign of ['mixed', 'nonnegative'] as const) {
    const name = form === 'conv2d' ? 'Conv-Vec' : 'LC-Vec';
    test(`BP through ${name} (${sign}) equals float64 central finite differences of a float64 forward pass, every weight and bias`, () => {
      const K = 3;
      const net = new VectorizedNetwork({ ...spatialVec({ form, channels: [2, 4], hidden: 4, classes: K, inputShape: [8, 8, 1] }), sign, rule: 'bp', seed: 9 });
      // Nonzero biases so every term of the per-category bias enters.
      net.paramLayers.forEach((l, k) => tf.tidy(() => l.bias.assign(randomTensor(l.bias.shape, 60 + k, 0.1))));
      const n = 2;
      const xs = randomTensor([n, 8, 8, 1], 14);
      const labels = [2, 0];
      const x = xs.dataSync();
      const ws = net.paramLayers.map((l) => Float64Array.from(l.weight.dataSync()));
      const bs = net.paramLayers.map((l) => Float64Array.from(l.bias.dataSync()));
      const t = net.oneHot(labels);
      const trace = net.forward(xs);
      const { loss, error } = net.lossAndError(trace.output, t);
      const g = net.backward(trace, error, 'bp');
      const loss64 = () => float64Loss(net, x, n, labels, ws, bs);
      assert.ok(Math.abs(loss.dataSync()[0] - loss64()) < 1e-5, 'the float64 forward is the network');
      const eps = 1e-6;
      const fdOf = (v: Float64Array): Float64Array => centralDifferences(v, loss64, eps);
      const errs: string[] = [];
      let worst = 0;
      net.paramLayers.forEach((l, k) => {
        for (const [what, analytic, v] of [['weight', g.weights[k], ws[k]], ['bias', g.biases[k], bs[k]]] as const) {
          const err = relErr(analytic, fdOf(v));
          errs.push(`layer ${k} ${what} ${err.toExponential(1)}`);
          worst = Math.max(worst, err);
        }
      });
      assert.ok(worst < 1e-5, `relative errors: ${errs.join(', ')}`);
      tf.dispose([xs, t, loss, error]);
      net.disposeGradients(g);
      net.disposeTrace(trace);
      net.dispose();
    });
  }
}

for (const c of [
  { name: 'FC-Vec', options: fcVec({ inputSize: 20, hidden: [16, 12], classes: 5 }), input: [20] },
  { name: 'LC-Vec', options: spatialVec({ form: 'locally-connected', channels: [4, 4], hidden: 8, classes: 4, inputShape: [8, 8, 1] }), input: [8, 8, 1] },
]) {
  test(`GEVB's update has the gradient's sign for every weight of every layer, per example, in a nonnegative ${c.name}; a mixed one breaks it`, () => {
    const x = randomTensor([16, ...c.input], 21);
    const classes = c.options.classes as number;
    const labels = randomLabels(16, classes, 22);
    for (const sign of ['nonnegative', 'mixed'] as const) {
      const net = new VectorizedNetwork({ ...c.options, sign, rule: 'gevb', seed: 6 });
      const cmp = compareWithBackprop(net, x, labels);
      const opposite = cmp.signOpposite.flat();
      if (sign === 'nonnegative') {
        assert.ok(opposite.every((f) => f === 0), `opposite-sign fractions ${opposite.filter((f) => f > 0)}`);
        const m = cmp.signMatch.flat();
        assert.ok(m.reduce((a, b) => a + b, 0) / m.length > 0.7, 'most weights have matching signs (the rest: BP exactly 0)');
      } else {
        assert.ok(opposite.some((f) => f > 0.01), 'a mixed network has weights whose GEVB update opposes the gradient');
      }
      net.dispose();
    }
    x.dispose();
  });
}

test("the last hidden layer's GEVB-BP angle per example is arccos(sum g c / sqrt(sum g sum g c^2)), c the output weights (so it cannot fall with width)", () => {
  // Per example, GEVB's update of that layer is g_i a_j and BP's c_i g_i a_j (a_j = sum_k e_k h_jk): the a_j cancel.
  const net = new VectorizedNetwork({ ...fcVec({ inputSize: 20, hidden: [16, 12], classes: 5 }), seed: 6 });
  const x = randomTensor([8, 20], 23);
  const labels = randomLabels(8, 5, 24);
  const cmp = compareWithBackprop(net, x, labels);
  const c = net.paramLayers[2].weight.dataSync(); // [12, 1], half of them 0 (ON/OFF init, first block row)
  assert.ok(c.some((v) => v === 0) && c.some((v) => v > 0));
  const trace = net.forward(x);
  const gate = net.layers[3] as unknown as { mask(h: tf.Tensor): tf.Tensor };
  const mask = gate.mask(trace.inputs[3]).dataSync(); // [N, K, 12], the same for every component
  for (let n = 0; n < 8; n++) {
    let sg = 0;
    let sgc = 0;
    let sgc2 = 0;
    for (let i = 0; i < 12; i++) {
      const g = mask[n * 5 * 12 + i];
      sg += g;
      sgc += g * c[i];
      sgc2 += g * c[i] * c[i];
    }
    const expected = sg > 0 && sgc2 > 0 ? (Math.acos(Math.min(1, sgc / Math.sqrt(sg * sgc2))) * 180) / Math.PI : 90;
    assert.ok(Math.abs(cmp.angle[n][1] - expected) < 0.05, `example ${n}: angle ${cmp.angle[n][1]} vs closed form ${expected}`);
  }
  net.disposeTrace(trace);
  x.dispose();
  net.dispose();
});

test('GEVB delivers g_i e_k to each hidden layer: its update equals the hand-built sum_n g_ni sum_k e_nk x_nkj', () => {
  const net = new VectorizedNetwork({ ...fcVec({ inputSize: 6, hidden: [6, 4], classes: 3 }), seed: 2 });
  const x = randomTensor([5, 6], 3);
  const t = net.oneHot([0, 1, 2, 1, 0]);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'rule');
  // Layer 1 (hidden dense): input = gated first layer [N, K, 6], its gate from the pre-gate of layer 2.
  const gate = net.layers[3] as unknown as { mask(h: tf.Tensor): tf.Tensor };
  const mask = gate.mask(trace.inputs[3]).dataSync(); // [N, K, 4], the same for every component
  const xin = trace.inputs[2].dataSync(); // [N, K, 6]
  const e = error.dataSync();
  const expect = new Float64Array(6 * 4);
  for (let n = 0; n < 5; n++) for (let j = 0; j < 6; j++) for (let i = 0; i < 4; i++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += e[n * 3 + k] * xin[(n * 3 + k) * 6 + j];
    expect[j * 4 + i] += mask[n * 3 * 4 + i] * s;
  }
  assert.ok(relErr(g.weights[1], expect) < 1e-5);
  tf.dispose([x, t, loss, error]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  net.dispose();
});

test('nonnegative layers stay nonnegative through training (clamped after each Adam step); the first layer keeps mixed signs', () => {
  const net = new VectorizedNetwork({ ...fcVec({ inputSize: 10, hidden: [8, 6], classes: 3 }), seed: 4 });
  const opt = new Optimizer({ type: 'adam', lr: 0.05 });
  const x = randomTensor([16, 10], 5);
  const t = net.oneHot(randomLabels(16, 3, 6));
  let sawNegativeStep = false;
  for (let s = 0; s < 5; s++) {
    const before = net.paramLayers[1].weight.dataSync().slice();
    net.trainStep(x, t, opt);
    const after = net.paramLayers[1].weight.dataSync();
    if (before.some((v, i) => v > 0 && after[i] === 0)) sawNegativeStep = true;
    for (const l of net.paramLayers.slice(1)) assert.ok(l.weight.dataSync().every((v) => v >= 0));
  }
  assert.ok(sawNegativeStep, 'some step would have made a weight negative (the clamp was exercised)');
  assert.ok(net.paramLayers[0].weight.dataSync().some((v) => v < 0));
  tf.dispose([x, t]);
  opt.dispose();
  net.dispose();
});
