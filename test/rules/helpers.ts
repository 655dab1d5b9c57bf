import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '../../lib/core';
import type { ArrayDataset } from '../../lib/data';
import { isParamLayer, Network, type Optimizer } from '../../lib/rules';
import { FusedTrainer, fusedTrainer } from '../../lib/rules/fused';

/** The project backend, except wasm (no Conv2DBackpropFilter): then cpu. */
export async function testBackend(): Promise<string> {
  const r = await initBackend({ print: false });
  if (r.backend === 'wasm') {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  return tf.getBackend();
}

export function randomTensor(shape: number[], seed: number, std = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(new Rng(seed).normalArray(size, 0, std) as Float32Array, shape, 'float32');
}

export function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(classes));
}

/** ||a - b|| / ||b|| in float64. */
export function relErr(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const x = a instanceof tf.Tensor ? a.dataSync() : a;
  const y = b instanceof tf.Tensor ? b.dataSync() : b;
  if (x.length !== y.length) throw new Error(`length ${x.length} vs ${y.length}`);
  let d = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    d += (x[i] - y[i]) ** 2;
    n += y[i] ** 2;
  }
  return Math.sqrt(d) / Math.sqrt(n);
}

/**
 * Reference loss of `net` written with tfjs ops over explicit weight
 * tensors, so tf.grads gives autodiff gradients independent of the
 * network's hand-written backward pass.
 */
export function autodiffGradients(net: Network, x: tf.Tensor, targets: tf.Tensor): tf.Tensor[] {
  const params: tf.Tensor[] = [];
  net.paramLayers.forEach((l) => {
    params.push(l.weight);
    if (l.bias) params.push(l.bias);
  });
  const f = (...ps: tf.Tensor[]) => {
    let j = 0;
    let h = x;
    for (const layer of net.layers) {
      if (isParamLayer(layer)) {
        const W = ps[j++];
        h = layer.linear(h, W);
        if (layer.bias) h = h.add(ps[j++]);
      } else h = layer.forward(h);
    }
    const lse = tf.logSumExp(h, 1);
    return lse.sub(h.mul(targets).sum(1)).mean() as tf.Scalar;
  };
  return tf.grads(f)(params);
}

/** Per-layer weight gradients x^T delta of `net`'s rule on one batch (no parameter changes). */
export function ruleGradients(net: Network, x: tf.Tensor, labels: Int32Array): Float32Array[] {
  const t = net.oneHot(labels);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, t);
  const g = net.backward(trace, error, 'rule');
  const out = g.weights.map((w) => w.dataSync().slice() as Float32Array);
  tf.dispose([t, loss, error]);
  net.disposeGradients(g);
  net.disposeTrace(trace);
  return out;
}

/** Gaussian blobs around fixed class centres: an easy classification set for trainer tests. */
export function blobs(count: number, seed: number, dim = 10, classes = 3): ArrayDataset {
  // Same class centres for every call; `seed` draws the examples.
  const centres = new Rng(1234).normalArray(classes * dim, 0, 2);
  const r = new Rng(seed);
  const x = new Float32Array(count * dim);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    y[n] = r.int(classes);
    for (let i = 0; i < dim; i++) x[n * dim + i] = centres[y[n] * dim + i] + r.normal();
  }
  return { x, y, count };
}

/** The fused trainer of `net` (lib/rules/fused.ts), failing the test with the reason when the path refuses it. */
export function fusedOf(net: Network, opt: Optimizer): FusedTrainer {
  const f = fusedTrainer(net, opt);
  if (!(f instanceof FusedTrainer)) throw new Error(`fused path refused: ${f}`);
  return f;
}

/** Largest |a - b| over every weight and bias of two networks of one architecture, relative to 1 + the largest |b|. */
export function weightGap(a: Network, b: Network): number {
  let gap = 0;
  a.paramLayers.forEach((l, k) => {
    const pairs: [tf.Tensor, tf.Tensor][] = [[l.weight, b.paramLayers[k].weight]];
    if (l.bias) pairs.push([l.bias, b.paramLayers[k].bias as tf.Tensor]);
    for (const [p, q] of pairs) {
      const x = p.dataSync();
      const y = q.dataSync();
      let scale = 0;
      for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
      for (let i = 0; i < x.length; i++) gap = Math.max(gap, Math.abs(x[i] - y[i]) / (1 + scale));
    }
  });
  return gap;
}

/** A locally connected layer's geometry as the reference loops read it (a LocallyConnected2d has these fields). */
export interface LcGeometry {
  inputShape: number[];
  outputShape: number[];
  spec: { kernelSize: number };
  stride: number;
  padding: number;
}

/**
 * Every tap of a locally connected layer's windows, written here from the
 * definition (no lib code): output position p (row-major over [OH, OW]), patch
 * feature f = (i k + j) C + channel, and the flat index of the input value it
 * reads ((r W + q) C + channel), for the taps inside the image (zero padding
 * contributes nothing). Float64 reference loops (forward, patches, the layer's
 * explicit matrix) are sums over these.
 */
export function lcTaps(lc: LcGeometry): { p: number; f: number; input: number }[] {
  const [h, wd, c] = lc.inputShape;
  const [oh, ow] = lc.outputShape;
  const k = lc.spec.kernelSize;
  const taps: { p: number; f: number; input: number }[] = [];
  for (let p = 0; p < oh * ow; p++) {
    const r0 = Math.floor(p / ow) * lc.stride - lc.padding;
    const c0 = (p % ow) * lc.stride - lc.padding;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const r = r0 + i;
        const q = c0 + j;
        if (r < 0 || r >= h || q < 0 || q >= wd) continue;
        for (let ch = 0; ch < c; ch++) taps.push({ p, f: (i * k + j) * c + ch, input: (r * wd + q) * c + ch });
      }
    }
  }
  return taps;
}

/** Central finite differences (f(v + eps e_i) - f(v - eps e_i)) / 2 eps of a loss that reads v, for every entry of v (v restored). */
export function centralDifferences(v: Float64Array, loss: () => number, eps: number): Float64Array {
  const fd = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + eps;
    const up = loss();
    v[i] = keep - eps;
    const down = loss();
    v[i] = keep;
    fd[i] = (up - down) / (2 * eps);
  }
  return fd;
}
