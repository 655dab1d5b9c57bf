/**
 * Transformer layers (lib/rules/transformer.ts): each layer's explicit
 * backward pass against tfjs autodiff of its forward pass and against
 * central differences of an independent float64 forward written here with
 * plain loops; each jvp (input and parameter tangents) against central
 * differences of the same float64 forward.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core';
import { erf } from '../../lib/circuits';
import { layerFromSpec, transformerBlock, type Layer, type ParamLayer } from '../../lib/rules';
import { Attention, Gelu, LayerNorm, PatchEmbedding, TokenMean } from '../../lib/rules/transformer';
import { randomTensor, relErr, testBackend } from './helpers';

before(async () => {
  await testBackend();
});

type F64 = Float64Array;
const f64 = (t: tf.Tensor): F64 => Float64Array.from(t.dataSync());
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const axpy = (x: F64, v: F64, h: number): F64 => x.map((xi, i) => xi + h * v[i]);

// ---------------------------------------------------------------- float64 references (plain loops)
/** Layer norm over rows of width d. */
function layerNorm64(x: F64, d: number, g: F64, b: F64, eps: number): F64 {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let m = 0;
    for (let i = 0; i < d; i++) m += x[r * d + i];
    m /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - m) ** 2;
    const s = Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (g[i] * (x[r * d + i] - m)) / s + b[i];
  }
  return y;
}

const gelu64 = (x: F64): F64 => x.map((a) => 0.5 * a * (1 + erf(a / Math.SQRT2)));

/** Multi-head attention core on qkv [n, t, 3d] (q | k | v, head h in columns h dh ...). */
function attention64(x: F64, n: number, t: number, d: number, heads: number): F64 {
  const dh = d / heads;
  const y = new Float64Array(n * t * d);
  const at = (b: number, i: number, part: number, h: number, c: number) => x[(b * t + i) * 3 * d + part * d + h * dh + c];
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        const s = new Float64Array(t);
        for (let j = 0; j < t; j++) {
          let acc = 0;
          for (let c = 0; c < dh; c++) acc += at(b, i, 0, h, c) * at(b, j, 1, h, c);
          s[j] = acc / Math.sqrt(dh);
        }
        const mx = Math.max(...s);
        let z = 0;
        for (let j = 0; j < t; j++) z += (s[j] = Math.exp(s[j] - mx));
        for (let c = 0; c < dh; c++) {
          let acc = 0;
          for (let j = 0; j < t; j++) acc += (s[j] / z) * at(b, j, 2, h, c);
          y[(b * t + i) * d + h * dh + c] = acc;
        }
      }
    }
  }
  return y;
}

/** Patch embedding: x [n, H, W, C], patch p, W [p p C, d], E [T, d]. */
function patchEmbed64(x: F64, n: number, H: number, Wd: number, C: number, p: number, w: F64, E: F64, d: number): F64 {
  const gw = Wd / p;
  const T = (H / p) * gw;
  const y = new Float64Array(n * T * d);
  for (let b = 0; b < n; b++) {
    for (let tok = 0; tok < T; tok++) {
      const gy = Math.floor(tok / gw);
      const gx = tok % gw;
      for (let o = 0; o < d; o++) {
        let acc = E[tok * d + o];
        for (let i = 0; i < p; i++) {
          for (let j = 0; j < p; j++) {
            for (let c = 0; c < C; c++) acc += x[((b * H + gy * p + i) * Wd + gx * p + j) * C + c] * w[((i * p + j) * C + c) * d + o];
          }
        }
        y[(b * T + tok) * d + o] = acc;
      }
    }
  }
  return y;
}

// ---------------------------------------------------------------- checks
const H = 1e-5;

/** Central difference of the float64 map f along v. */
const fd = (f: (x: F64) => F64, x: F64, v: F64): F64 => {
  const a = f(axpy(x, v, H));
  const b = f(axpy(x, v, -H));
  return a.map((ai, i) => (ai - b[i]) / (2 * H));
};

/**
 * For a layer with float64 forward f64fwd(x, params): backward (dx and the
 * parameter gradients) against tf.grad of sum(R * forward) and against float64
 * directional differences <R, (f(x + h v) - f(x - h v)) / 2h> = <grad, v>;
 * jvp against float64 differences along (dx, parameter tangents).
 */
function checkLayer(name: string, o: {
  x: tf.Tensor;
  params: tf.Variable[];
  forward: (x: tf.Tensor) => tf.Tensor;
  backward: (dy: tf.Tensor, x: tf.Tensor, y: tf.Tensor) => tf.Tensor[]; // [dx, ...parameter gradients]
  jvp: (x: tf.Tensor, y: tf.Tensor, dx: tf.Tensor, tangents: tf.Tensor[]) => tf.Tensor;
  f64: (x: F64, params: F64[]) => F64;
  seed: number;
  /** Ends a training pass before the leak check (a layer may keep its last input's statistics until then). */
  endPass?: () => void;
}): void {
  const before = tf.memory().numTensors;
  const y = o.forward(o.x);
  const R = randomTensor(y.shape, o.seed);
  const mine = o.backward(R, o.x, y);
  // autodiff through tfjs's own gradients of the forward pass
  const auto = tf.grad((z: tf.Tensor) => o.forward(z).mul(R).sum())(o.x);
  const varGrads = o.params.length ? tf.variableGrads(() => o.forward(o.x).mul(R).sum() as tf.Scalar, o.params) : null;
  const autoAll = [auto, ...o.params.map((p) => varGrads!.grads[p.name])];
  mine.forEach((g, i) => assert.ok(relErr(g, autoAll[i]) < 1e-5, `${name}: gradient ${i} against autodiff: ${relErr(g, autoAll[i])}`));
  // float64 directional differences
  const x64 = f64(o.x);
  const p64 = o.params.map(f64);
  const r64 = f64(R);
  const rng = new Rng(o.seed + 1);
  const slots = [x64, ...p64];
  slots.forEach((_, s) => {
    for (let rep = 0; rep < 2; rep++) {
      const v = rng.normalArray(slots[s].length, 0, 1, 'float64') as F64;
      const f = (z: F64) => o.f64(s === 0 ? z : x64, p64.map((p, k) => (s === k + 1 ? z : p)));
      const want = dot(r64, fd(f, slots[s], v));
      const got = dot(mine[s].dataSync(), v);
      assert.ok(Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want)), `${name}: slot ${s} directional derivative ${got} vs float64 difference ${want}`);
    }
  });
  // jvp: input and parameter tangents at once, against float64 differences along all of them
  const dx = randomTensor(o.x.shape, o.seed + 2);
  const tangents = o.params.map((p, k) => randomTensor(p.shape, o.seed + 3 + k));
  const jv = o.jvp(o.x, y, dx, tangents);
  const dx64 = f64(dx);
  const t64 = tangents.map(f64);
  const along = (h: number) => o.f64(axpy(x64, dx64, h), p64.map((p, k) => axpy(p, t64[k], h)));
  const a = along(H);
  const b = along(-H);
  const want = a.map((ai, i) => (ai - b[i]) / (2 * H));
  assert.ok(relErr(jv, want) < 1e-4, `${name}: jvp against float64 differences: ${relErr(jv, want)}`);
  tf.dispose([y, R, ...mine, auto, dx, ...tangents, jv]);
  if (varGrads) tf.dispose([varGrads.value, ...Object.values(varGrads.grads)]);
  o.endPass?.();
  assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
}

test('layer norm: backward and gain/shift gradients against autodiff and float64 differences; jvp against differences (evaluation and training pass)', () => {
  for (const training of [false, true]) layerNormCheck(training);
});

function layerNormCheck(training: boolean): void {
  const ln = new LayerNorm({ kind: 'layer-norm' });
  ln.build([5, 8]);
  ln.setTraining(training); // a training pass keeps each input's statistics for the next calls on it
  // a non-trivial gain and shift
  ln.gain.assign(tf.tidy(() => randomTensor([8], 3).mul(0.5).add(1)));
  ln.shift.assign(tf.tidy(() => randomTensor([8], 4)));
  const x = tf.tidy(() => randomTensor([2, 5, 8], 5).mul(2).add(0.7));
  checkLayer('layer-norm', {
    x,
    params: ln.parameters(),
    forward: (z) => ln.forward(z),
    backward: (dy, z) => [ln.backward(dy, z), ...ln.parameterGradients(dy, z)],
    jvp: (z, y, dz, [tg, tb]) => ln.jvp(z, y, dz, { weight: tg, bias: tb }),
    f64: (z, [g, b]) => layerNorm64(z, 8, g, b, 1e-5),
    seed: 10,
    endPass: () => ln.setTraining(false),
  });
  x.dispose();
  ln.dispose();
}

test('layer norm in a training pass: statistics computed once per input tensor, another input gets its own, evaluation mode and dispose free them', () => {
  const make = () => {
    const ln = new LayerNorm({ kind: 'layer-norm' });
    ln.build([5, 8]);
    ln.gain.assign(tf.tidy(() => randomTensor([8], 3).mul(0.5).add(1)));
    ln.setTraining(true);
    return ln;
  };
  const ln = make();
  const fresh = make();
  const x1 = tf.tidy(() => randomTensor([2, 5, 8], 5).mul(2).add(0.7));
  const x2 = tf.tidy(() => randomTensor([2, 5, 8], 6));
  const dy = tf.tidy(() => randomTensor([2, 5, 8], 7));
  tf.dispose(ln.forward(x1));
  const pairs: [tf.Tensor, tf.Tensor][] = [
    [ln.backward(dy, x2), fresh.backward(dy, x2)],
    [ln.forward(x1), fresh.forward(x1)],
    ...ln.parameterGradients(dy, x2).map((g, i): [tf.Tensor, tf.Tensor] => [g, fresh.parameterGradients(dy, x2)[i]]),
  ];
  for (const [a, b] of pairs) assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose(pairs.flat());
  const count = tf.memory().numTensors;
  ln.setTraining(false); // xh and 1/s of the last input go
  assert.equal(tf.memory().numTensors, count - 2);
  tf.dispose(ln.forward(x2)); // an evaluation pass keeps nothing
  assert.equal(tf.memory().numTensors, count - 2);
  ln.setTraining(true);
  tf.dispose(ln.forward(x2));
  assert.equal(tf.memory().numTensors, count);
  ln.dispose();
  assert.equal(tf.memory().numTensors, count - 4); // gain, shift and the kept statistics
  tf.dispose([x1, x2, dy]);
  fresh.dispose();
});

test('GELU: backward against autodiff and float64 differences; jvp, f\' and f\'\' against differences', () => {
  const g = new Gelu();
  g.build([4, 6]);
  const x = tf.tidy(() => randomTensor([3, 4, 6], 6).mul(2));
  checkLayer('gelu', {
    x,
    params: [],
    forward: (z) => g.forward(z),
    backward: (dy, z) => [g.backward(dy, z)],
    jvp: (z, y, dz) => g.jvp(z, y, dz),
    f64: (z) => gelu64(z),
    seed: 20,
  });
  // f'' against a difference of f' (the R-operator passes use it)
  const a = tf.tensor1d([-3, -1.2, -0.3, 0, 0.4, 1.7, 3.1]);
  const h = 1e-2;
  const d2 = tf.tidy(() => g.derivative(a.add(h)).sub(g.derivative(a.sub(h))).div(2 * h));
  const s2 = g.secondDerivative(a);
  assert.ok(relErr(s2, d2) < 1e-3, `f'' ${relErr(s2, d2)}`);
  // GELU(1) = Phi(1) = 0.8413447460685429 (the normal CDF)
  const one = g.forward(tf.scalar(1));
  assert.ok(Math.abs(one.dataSync()[0] - 0.8413447460685429) < 1e-6);
  tf.dispose([x, a, d2, s2, one]);
});

test('multi-head attention core: backward against autodiff and float64 differences; jvp against differences (2 heads)', () => {
  const att = new Attention({ kind: 'attention', heads: 2 });
  att.build([5, 24]);
  assert.deepEqual(att.outputShape, [5, 8]);
  const x = tf.tidy(() => randomTensor([2, 5, 24], 30));
  checkLayer('attention', {
    x,
    params: [],
    forward: (z) => att.forward(z),
    backward: (dy, z) => [att.backward(dy, z)],
    jvp: (z, y, dz) => att.jvp(z, y, dz),
    f64: (z) => attention64(z, 2, 5, 8, 2),
    seed: 40,
  });
  // the forward pass itself against the float64 loops, and each attention row sums to 1
  const y = att.forward(x);
  assert.ok(relErr(y, attention64(f64(x), 2, 5, 8, 2)) < 1e-5);
  const w = att.weights(x);
  const rows = w.sum(-1);
  assert.ok(rows.dataSync().every((s) => Math.abs(s - 1) < 1e-5));
  tf.dispose([x, y, w, rows]);
  assert.throws(() => new Attention({ kind: 'attention', heads: 3 }).build([5, 24]), /attention input shape/);
});

test('patch embedding: input adjoint, kernel and position-embedding gradients against autodiff and float64 differences; jvp against differences', () => {
  const pe = new PatchEmbedding({ kind: 'patch-embedding', patchSize: 2, units: 5 });
  pe.build([4, 6, 2], new Rng(7));
  assert.deepEqual(pe.outputShape, [6, 5]);
  assert.equal(pe.fanIn, 8);
  const x = tf.tidy(() => randomTensor([2, 4, 6, 2], 50));
  checkLayer('patch-embedding', {
    x,
    params: [pe.weight, pe.bias as tf.Variable],
    forward: (z) => pe.forward(z),
    backward: (dy, z) => [pe.inputAdjoint(dy, pe.weight), pe.kernelGradient(z, dy), pe.biasGradient(dy)],
    jvp: (z, y, dz, [tw, tb]) => pe.jvp(z, y, dz, { weight: tw, bias: tb }),
    f64: (z, [w, E]) => patchEmbed64(z, 2, 4, 6, 2, 2, w, E, 5),
    seed: 60,
  });
  // patches is a permutation: unpatch(patches(x)) = x
  const back = tf.tidy(() => pe.unpatch(pe.patches(x)));
  assert.equal(relErr(back, x), 0);
  tf.dispose([x, back, pe.weight, pe.bias as tf.Variable]);
  assert.throws(() => new PatchEmbedding({ kind: 'patch-embedding', patchSize: 4, units: 5 }).build([6, 8, 1], new Rng(1)), /multiples of the patch size/);
});

test('mean over tokens: backward against autodiff and differences; jvp against differences', () => {
  const m = new TokenMean();
  m.build([7, 3]);
  const x = randomTensor([2, 7, 3], 70);
  checkLayer('token-mean', {
    x,
    params: [],
    forward: (z) => m.forward(z),
    backward: (dy, z) => [m.backward(dy, z)],
    jvp: (z, y, dz) => m.jvp(z, y, dz),
    f64: (z) => {
      const y = new Float64Array(6);
      for (let b = 0; b < 2; b++) for (let t = 0; t < 7; t++) for (let c = 0; c < 3; c++) y[b * 3 + c] += z[(b * 7 + t) * 3 + c] / 7;
      return y;
    },
    seed: 80,
  });
  x.dispose();
});

test('a pre-norm transformer block (two residual layers, transformerBlock): jvp against float64 differences of the composed float64 forward', () => {
  const [n, t, d, heads, m] = [2, 4, 6, 2, 5];
  const specs = transformerBlock(d, heads, m);
  const rng = new Rng(90);
  const blocks = specs.map((s, b) => {
    const layer = layerFromSpec(s);
    layer.build([t, d], rng.child(b));
    return layer;
  });
  const body = (b: number) => blocks[b].body as Layer[];
  // non-trivial layer norms and biases
  for (const b of [0, 1]) {
    const ln = body(b)[0] as LayerNorm;
    ln.gain.assign(tf.tidy(() => randomTensor([d], 91 + b).mul(0.3).add(1)));
    ln.shift.assign(tf.tidy(() => randomTensor([d], 93 + b).mul(0.3)));
    for (const l of body(b)) if ((l as ParamLayer).bias) (l as ParamLayer).bias!.assign(tf.tidy(() => randomTensor((l as ParamLayer).bias!.shape, 95 + b).mul(0.2)));
  }
  const dense64 = (x: F64, l: ParamLayer): F64 => {
    const [i, o] = l.weight.shape;
    const w = f64(l.weight);
    const bias = l.bias ? f64(l.bias) : new Float64Array(o);
    const y = new Float64Array((x.length / i) * o);
    for (let r = 0; r < x.length / i; r++) for (let c = 0; c < o; c++) {
      let acc = bias[c];
      for (let k = 0; k < i; k++) acc += x[r * i + k] * w[k * o + c];
      y[r * o + c] = acc;
    }
    return y;
  };
  const ln64 = (x: F64, l: Layer) => layerNorm64(x, d, f64((l as LayerNorm).gain), f64((l as LayerNorm).shift), 1e-5);
  const block64 = (x: F64): F64 => {
    const [a0, a1, , a3] = body(0);
    const h = x.map((v, i) => v + dense64(attention64(dense64(ln64(x, a0), a1 as ParamLayer), n, t, d, heads), a3 as ParamLayer)[i]);
    const [b0, b1, , b3] = body(1);
    const mlp = dense64(gelu64(dense64(ln64(h, b0), b1 as ParamLayer)), b3 as ParamLayer);
    return h.map((v, i) => v + mlp[i]);
  };
  const x = randomTensor([n, t, d], 97);
  const dx = randomTensor([n, t, d], 98);
  const y = tf.tidy(() => blocks[1].forward(blocks[0].forward(x)));
  assert.ok(relErr(y, block64(f64(x))) < 1e-5, `forward ${relErr(y, block64(f64(x)))}`);
  const jv = tf.tidy(() => {
    const h = blocks[0].forward(x);
    return blocks[1].jvp(h, y, blocks[0].jvp(x, h, dx));
  });
  const want = fd(block64, f64(x), f64(dx));
  assert.ok(relErr(jv, want) < 1e-4, `jvp against float64 differences: ${relErr(jv, want)}`);
  tf.dispose([x, dx, y, jv]);
  blocks.forEach((b) => {
    for (const l of b.body ?? []) {
      const p = l as ParamLayer;
      if (p.weight) tf.dispose([p.weight, ...(p.bias ? [p.bias] : [])]);
      l.dispose?.();
    }
    b.dispose?.();
  });
});
