/**
 * Study: neural population geometry -- how many object manifolds a linear readout separates, what geometry sets
 * that number, and how trained networks untangle manifolds layer by layer (notebooks/population-geometry.ipynb).
 * Papers: S. Chung & L. F. Abbott, "Neural population geometry: an approach for understanding biological and
 * artificial neural networks", Curr Opin Neurobiol 70:137, 2021 (arXiv 2104.07059); S. Chung, D. D. Lee &
 * H. Sompolinsky, "Classification and geometry of general perceptual manifolds", PRX 8:031003, 2018
 * (arXiv 1710.06487); U. Cohen, S. Chung, D. D. Lee & H. Sompolinsky, Nat Commun 11:746, 2020 (exemplar
 * manifolds, centre correlations); S. Bernardi et al., Cell 183:954, 2020 (abstraction scores).
 * The maths is in lib/geometry (manifold-capacity.ts, abstraction.ts); networks and training in lib/rules,
 * images in lib/data. This file holds the data designs, the pool jobs, the figures and the table.
 *
 *   synthetic manifolds   P manifolds x_{mu,j} = c_mu + R sum_i s_{j,i} u_{mu,i} in `ambient` dimensions,
 *                         c and u ~ N(0, I / ambient) (norm ~1: R is the radius relative to the centre);
 *                         'ball': the s_j are M points spread on the unit sphere of D dimensions (a sampled L2
 *                         ball's boundary); 'cloud': s_j ~ N(0, I_D / D) (a Gaussian point cloud of radius ~R).
 *   exemplar manifolds    P test images, each with M copies under a random affine map (rotation within
 *                         +-`rotate` degrees, scale 1 +- `scale`, shift within +-`shift` pixels, bilinear) plus
 *                         Gaussian pixel noise `noise` (Cohen et al. 2020's design for data sets with few classes).
 *   class manifolds       M test images of each of the 10 classes.
 *   layers                the input of each parametric layer (pixels, then each hidden representation; conv
 *                         feature maps flattened) and the logits; each projected by a Gaussian matrix to at
 *                         most `maxDim` features (the authors' 5000).
 *   factorised task       `variables` binary variables; the mean response to condition f is
 *                         (1 - mix) sum_k (2 f_k - 1) u_k + mix g_f with u_k, g_f ~ N(0, I / dim) (g_f a random vector
 *                         per condition), plus noise sigma per sample: mix 0 is perfectly factorised (abstract), mix 1
 *                         unstructured.
 *
 * Jobs (`{ module: STUDY_MODULE, export, args }`): randomManifoldsJob (the authors' README example),
 * theoryVsSimulationJob (section a), networkGeometryJob (b, c:
 * trains one network and measures every layer at the listed epochs), abstractionJob (d).
 * Exports: STUDY_MODULE, PAPER_VALUES, syntheticManifolds, exemplarImages, representationLayers, factorisedTask,
 * the jobs and their types, estimatedRunSeconds, theoryFigure, layerFigure, ruleFigure, abstractionFigure,
 * reproductionRows.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNumber, gemm, initBackend, rng, type Rng } from '../core';
import { loadFashionMnist, loadMnist, type ImageDataset } from '../data';
import {
  ballCapacity, crossConditionGeneralisation, manifoldCapacity, parallelismScore, simulatedCapacity,
} from '../geometry';
import { line, type Figure, type LineSeries } from '../plot';
import { Network, Optimizer, lenet, mlp, train, type ModelOptions, type OptimizerOptions, type RuleName } from '../rules';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/population-geometry';

/**
 * Published reference values: the authors' README (random Gaussian manifolds, P = 100, M = 50, N = 5000, kappa 0,
 * n_t = 200) and the VGG16 / CIFAR-100 example of their repository (100 classes x 50 images, 5000-D projection,
 * n_t = 300), first layer -> last layer, as summarised in ../shared/references/learning-theory.md section 7.
 */
export const PAPER_VALUES = {
  readmeRandom: { capacity: 0.04, radius: 1.47, dimension: 36.17, centreCorrelation: 0.01, K: 1 },
  vgg16Cifar100: { capacity: [0.04, 0.127], radius: [1.56, 1.28], dimension: [34.9, 12.6] },
} as const;

// ----------------------------------------------------------------------------------------------- synthetic data

export interface SyntheticOptions {
  kind: 'ball' | 'cloud';
  P: number;
  M: number;
  D: number;
  radius: number;
  ambient: number;
  seed: number;
}

/** P synthetic manifolds (samples x ambient each, see the header). Sphere points: Gaussian directions normalised. */
export function syntheticManifolds(o: SyntheticOptions): Float64Array[] {
  const P = checkInteger('P', o.P, 1), M = checkInteger('M', o.M, 1), D = checkInteger('D', o.D, 1), amb = checkInteger('ambient', o.ambient, 1);
  const R = checkNumber('radius', o.radius, 0);
  const r = rng(checkInteger('seed', o.seed, 0));
  const sd = 1 / Math.sqrt(amb);
  return Array.from({ length: P }, () => {
    const c = r.normalArray(amb, 0, sd, 'float64');
    const U = r.normalArray(D * amb, 0, sd, 'float64');
    const x = new Float64Array(M * amb);
    for (let j = 0; j < M; j++) {
      const s = r.normalArray(D, 0, 1, 'float64');
      let n = 0;
      for (let i = 0; i < D; i++) n += s[i] * s[i];
      const scale = o.kind === 'ball' ? R / Math.sqrt(n) : R / Math.sqrt(D);
      for (let k = 0; k < amb; k++) {
        let v = c[k];
        for (let i = 0; i < D; i++) v += scale * s[i] * U[i * amb + k];
        x[j * amb + k] = v;
      }
    }
    return x;
  });
}

export interface TheoryJobArgs extends SyntheticOptions {
  /** Loads P / N at which the simulation is run, as multiples of the theory's capacity (e.g. 0.6 ... 1.6). */
  loadFactors: number[];
  trials: number;
  nT: number;
}

export interface TheoryJobResult extends TheoryJobArgs {
  theory: { capacity: number; radius: number; dimension: number };
  /** Closed-form ball capacity at (R, D) and at the measured (R_M, D_M). */
  ball: number;
  ballOfGeometry: number;
  simulated: { dims: number[]; alphas: number[]; fractions: number[]; capacity: number | null };
}

/** Section (a): mean-field capacity (no centre-correlation step: random centres) beside the LP simulation on the same manifolds. */
export async function theoryVsSimulationJob(a: TheoryJobArgs): Promise<TheoryJobResult> {
  const X = syntheticManifolds(a);
  const th = manifoldCapacity(X, a.ambient, { nT: a.nT, seed: a.seed + 1, centreCorrelation: false });
  const dims = [...new Set(a.loadFactors.map((f) => Math.max(2, Math.round(a.P / (f * th.capacity)))))].sort((x, y) => x - y);
  const sim = simulatedCapacity(X, a.ambient, dims, { trials: a.trials, seed: a.seed + 2 });
  return {
    ...a, theory: { capacity: th.capacity, radius: th.radius, dimension: th.dimension },
    ball: ballCapacity(a.radius, a.D), ballOfGeometry: ballCapacity(th.radius, Math.max(th.dimension, 1e-3)), simulated: sim,
  };
}

export interface RandomManifoldsArgs {
  P: number;
  M: number;
  N: number;
  nT: number;
  nReps: number;
  seed: number;
}

/** The authors' README example: P manifolds of M i.i.d. N(0, 1) points in N dimensions (manifold i from rng(seed).child(i)), full analysis. */
export async function randomManifoldsJob(a: RandomManifoldsArgs): Promise<RandomManifoldsArgs & { capacity: number; radius: number; dimension: number; centreCorrelation: number; K: number; kktResidual: number }> {
  const root = rng(a.seed);
  const X = Array.from({ length: a.P }, (_, i) => root.child(i).normalArray(a.M * a.N, 0, 1, 'float64'));
  const r = manifoldCapacity(X, a.N, { nT: a.nT, seed: a.seed + 1, centreCorrelation: { nReps: a.nReps, seed: a.seed + 2 } });
  return { ...a, capacity: r.capacity, radius: r.radius, dimension: r.dimension, centreCorrelation: r.centreCorrelation, K: r.K, kktResidual: r.kktResidual };
}

// ----------------------------------------------------------------------------------------------- images

export interface ExemplarOptions {
  P: number;
  M: number;
  rotate: number;
  scale: number;
  shift: number;
  noise: number;
  seed: number;
}

/**
 * Exemplar manifolds from a data set: P images drawn by the seed, M transformed copies each, returned as one
 * float32 batch (P * M images, manifold-major) with their height and width. Pixels outside the image take the
 * image's corner value (the normalised black background).
 */
export function exemplarImages(data: ImageDataset, o: ExemplarOptions): { images: Float32Array; count: number; height: number; width: number } {
  const P = checkInteger('P', o.P, 1, data.count), M = checkInteger('M', o.M, 1);
  const r = rng(checkInteger('seed', o.seed, 0));
  const pick = r.sample(data.count, P);
  const h = data.height, w = data.width, hw = h * w;
  const out = new Float32Array(P * M * hw);
  pick.forEach((idx, p) => {
    const src = data.images.subarray(idx * hw, (idx + 1) * hw);
    const bg = src[0];
    for (let q = 0; q < M; q++) {
      const th = (r.uniformIn(-o.rotate, o.rotate) * Math.PI) / 180, s = 1 + r.uniformIn(-o.scale, o.scale);
      const dx = r.uniformIn(-o.shift, o.shift), dy = r.uniformIn(-o.shift, o.shift);
      const cos = Math.cos(th) / s, sin = Math.sin(th) / s, cy = (h - 1) / 2, cx = (w - 1) / 2;
      const dst = out.subarray((p * M + q) * hw, (p * M + q + 1) * hw);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          // the source point of the inverse map, sampled bilinearly
          const u = cos * (x - cx - dx) + sin * (y - cy - dy) + cx, v = -sin * (x - cx - dx) + cos * (y - cy - dy) + cy;
          const x0 = Math.floor(u), y0 = Math.floor(v), fx = u - x0, fy = v - y0;
          const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? src[yy * w + xx] : bg);
          const val = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          dst[y * w + x] = val + (o.noise > 0 ? o.noise * r.normal() : 0);
        }
      }
    }
  });
  return { images: out, count: P * M, height: h, width: w };
}

/** Class manifolds: the first M test images (in file order after a seeded shuffle) of each class. */
export function classImages(data: ImageDataset, M: number, seed: number): { images: Float32Array; count: number; height: number; width: number } {
  const hw = data.height * data.width;
  const order = rng(seed).permutation(data.count);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  for (const i of order) if (byClass[data.labels[i]].length < M) byClass[data.labels[i]].push(i);
  const out = new Float32Array(10 * M * hw);
  byClass.forEach((idx, c) => idx.forEach((i, q) => out.set(data.images.subarray(i * hw, (i + 1) * hw), (c * M + q) * hw)));
  return { images: out, count: 10 * M, height: data.height, width: data.width };
}

/**
 * The representations of a batch at every layer this study measures: the input of each parametric layer (the
 * pixels, then each hidden representation, conv maps flattened) and the logits, each as a count x width float32 array.
 */
export function representationLayers(net: Network, images: Float32Array, count: number, batch = 250): { name: string; width: number; values: Float32Array }[] {
  const shape = net.inputShape;
  const perImage = shape.reduce((a, b) => a * b, 1);
  const chosen: number[] = [];
  net.layers.forEach((layer, i) => { if (layer.kind === 'dense' || layer.kind === 'conv2d') chosen.push(i); });
  const names = chosen.map((i, k) => (k === 0 ? 'input' : `${net.layers[i - 1].kind === 'maxpool' ? 'pool' : net.layers[i - 1].kind === 'flatten' ? 'flat' : 'act'}${k}`));
  names.push('logits');
  const parts: Float32Array[][] = names.map(() => []);
  const widths: number[] = names.map(() => 0);
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const x = tf.tensor(images.subarray(s * perImage, (s + n) * perImage), [n, ...shape]);
    const trace = net.forward(x);
    const tensors = [...chosen.map((i) => trace.inputs[i]), trace.output];
    tensors.forEach((t, k) => {
      const v = t.dataSync() as Float32Array;
      widths[k] = v.length / n;
      parts[k].push(Float32Array.from(v));
    });
    net.disposeTrace(trace);
    x.dispose();
  }
  return names.map((name, k) => {
    const values = new Float32Array(count * widths[k]);
    let off = 0;
    for (const p of parts[k]) { values.set(p, off); off += p.length; }
    return { name, width: widths[k], values };
  });
}

export interface LayerGeometry {
  name: string;
  /** Features before and after the Gaussian projection. */
  width: number;
  N: number;
  capacity: number;
  radius: number;
  dimension: number;
  K: number;
  centreCorrelation: number;
  /** Participation ratio of all points' covariance (the untangling measure beside the manifold ones). */
  participationRatio: number;
}

/** Manifold geometry of one layer's representation (P manifolds of M rows each, manifold-major). */
export function layerGeometry(
  rep: { name: string; width: number; values: Float32Array }, P: number, M: number,
  o: { maxDim: number; nT: number; nReps: number; seed: number },
): LayerGeometry {
  let N = rep.width;
  let X: Float64Array;
  if (rep.width > o.maxDim) {
    // a Gaussian projection to maxDim features (variance 1 / maxDim keeps distances on average)
    N = o.maxDim;
    const W = rng(o.seed + 7).normalArray(rep.width * N, 0, 1 / Math.sqrt(N), 'float64') as Float64Array;
    X = new Float64Array(P * M * N);
    const src = Float64Array.from(rep.values);
    gemm(P * M, N, rep.width, src, W, X);
  } else X = Float64Array.from(rep.values);
  const manifolds = Array.from({ length: P }, (_, p) => X.subarray(p * M * N, (p + 1) * M * N));
  const mc = manifoldCapacity(manifolds, N, { nT: o.nT, seed: o.seed, centreCorrelation: { nReps: o.nReps, seed: o.seed + 1 } });
  return {
    name: rep.name, width: rep.width, N, capacity: mc.capacity, radius: mc.radius, dimension: mc.dimension, K: mc.K, centreCorrelation: mc.centreCorrelation,
    participationRatio: participationRatioOfRows(X, P * M, N),
  };
}

/**
 * Participation ratio (sum l)^2 / sum l^2 of the covariance of rows, from traces: tr C = tr G and tr C^2 = ||G||_F^2
 * for the Gram matrix G = Y Y^T of the centred rows (no eigendecomposition of a P M x P M matrix).
 */
function participationRatioOfRows(X: Float64Array, m: number, n: number): number {
  const mean = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) mean[k] += X[i * n + k] / m;
  const Y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) Y[i * n + k] = X[i * n + k] - mean[k];
  // tr(C) and tr(C^2) from the m x m Gram matrix G = Y Y^T: tr C = tr G, tr C^2 = ||G||_F^2 (common factors cancel)
  const G = new Float64Array(m * m);
  gemm(m, m, n, Y, Y, G, { transB: true });
  let tr = 0, fro = 0;
  for (let i = 0; i < m; i++) tr += G[i * m + i];
  for (let q = 0; q < m * m; q++) fro += G[q] * G[q];
  return (tr * tr) / fro;
}

// ----------------------------------------------------------------------------------------------- networks

export interface NetworkJobArgs {
  model: 'mlp' | 'lenet';
  dataset: 'fashion-mnist' | 'mnist';
  rule: RuleName;
  /** Feedback options for the rule (ldfa: { rank }). */
  feedback?: Record<string, unknown>;
  hidden: number[];
  seed: number;
  epochs: number;
  /** Epochs after which the geometry is measured (0: untrained). */
  measureAt: number[];
  trainLimit: number;
  testLimit: number;
  batchSize: number;
  optimizer: OptimizerOptions;
  manifolds: { kind: 'exemplar'; P: number; M: number; rotate: number; scale: number; shift: number; noise: number; seed: number } | { kind: 'class'; M: number; seed: number };
  maxDim: number;
  nT: number;
  nReps: number;
}

export interface NetworkJobResult extends NetworkJobArgs {
  records: { epoch: number; testAccuracy: number | null; layers: LayerGeometry[] }[];
}

/** Sections (b), (c): trains one network, measuring every layer's manifold geometry at `measureAt` epochs. */
export async function networkGeometryJob(a: NetworkJobArgs): Promise<NetworkJobResult> {
  await initBackend({ print: false });
  const pad = a.model === 'lenet' ? 2 : 0;
  const load = a.dataset === 'mnist' ? loadMnist : loadFashionMnist;
  const trainSet = load({ split: 'train', limit: a.trainLimit, seed: 1, normalize: 'standard', pad });
  const testSet = load({ split: 'test', limit: a.testLimit, seed: 2, normalize: 'standard', pad });
  const probe = load({ split: 'test', normalize: 'standard', pad });
  const m = a.manifolds;
  const batch = m.kind === 'exemplar' ? exemplarImages(probe, m) : classImages(probe, m.M, m.seed);
  const P = m.kind === 'exemplar' ? m.P : 10, M = m.M;
  const common = { rule: a.rule, seed: a.seed, ...(a.feedback ? { feedback: a.feedback } : {}) } as ModelOptions;
  const net = new Network(a.model === 'lenet' ? lenet(common) : mlp({ ...common, inputSize: 784, hidden: a.hidden }));
  const optimizer = new Optimizer(a.optimizer, 'optimizer');
  const records: NetworkJobResult['records'] = [];
  const measure = (epoch: number, acc: number | null) => {
    const reps = representationLayers(net, batch.images, batch.count);
    records.push({ epoch, testAccuracy: acc, layers: reps.map((rep, k) => layerGeometry(rep, P, M, { maxDim: a.maxDim, nT: a.nT, nReps: a.nReps, seed: a.seed * 100 + k })) });
  };
  try {
    let acc: number | null = null;
    if (a.measureAt.includes(0)) measure(0, null);
    for (let e = 1; e <= a.epochs; e++) {
      const h = await train(net, trainSet, { epochs: 1, startEpoch: e - 1, batchSize: a.batchSize, seed: a.seed * 1000 + e, optimizer, test: testSet, alignment: false, progress: false });
      acc = h.records[h.records.length - 1].testAccuracy;
      if (a.measureAt.includes(e)) measure(e, acc);
    }
  } finally {
    net.dispose();
    optimizer.dispose();
  }
  return { ...a, records };
}

// ----------------------------------------------------------------------------------------------- abstraction

export interface AbstractionJobArgs {
  variables: number;
  dim: number;
  /** Samples per condition. */
  reps: number;
  noise: number;
  mixes: number[];
  nT: number;
  seed: number;
}

export interface AbstractionJobResult extends AbstractionJobArgs {
  points: { mix: number; ccgp: number; parallelism: number; capacity: number; capacityCorrelated: number; radius: number; dimension: number }[];
}

/** The factorised task's samples at one mixing level (see the header): rows, factors, and the condition of each row. */
export function factorisedTask(variables: number, dim: number, reps: number, noise: number, mix: number, seed: number): { rows: Float64Array; factors: number[][]; condition: Int32Array } {
  const r: Rng = rng(seed);
  const sd = 1 / Math.sqrt(dim);
  const U = Array.from({ length: variables }, () => r.normalArray(dim, 0, sd, 'float64'));
  const C = 1 << variables;
  const rows = new Float64Array(C * reps * dim);
  const factors: number[][] = Array.from({ length: variables }, () => []);
  const condition = new Int32Array(C * reps);
  // noise draws from their own stream so that the condition means are the same at every noise level
  const rn = rng(seed + 1);
  for (let c = 0; c < C; c++) {
    const g = r.normalArray(dim, 0, sd, 'float64');
    const mean = new Float64Array(dim);
    for (let k = 0; k < dim; k++) {
      let v = 0;
      for (let i = 0; i < variables; i++) v += (((c >> i) & 1) * 2 - 1) * U[i][k];
      mean[k] = (1 - mix) * v + mix * Math.sqrt(variables) * g[k];
    }
    for (let q = 0; q < reps; q++) {
      const row = c * reps + q;
      condition[row] = c;
      for (let i = 0; i < variables; i++) factors[i].push((c >> i) & 1);
      for (let k = 0; k < dim; k++) rows[row * dim + k] = mean[k] + noise * sd * rn.normal();
    }
  }
  return { rows, factors, condition };
}

/** Section (d): CCGP and parallelism (means over the variables) beside the capacity of the condition manifolds, per mixing level. */
export async function abstractionJob(a: AbstractionJobArgs): Promise<AbstractionJobResult> {
  const points = a.mixes.map((mix) => {
    const t = factorisedTask(a.variables, a.dim, a.reps, a.noise, mix, a.seed);
    const vars = Array.from({ length: a.variables }, (_, i) => i);
    const ccgp = vars.reduce((s, i) => s + crossConditionGeneralisation(t.rows, a.dim, t.factors, i), 0) / a.variables;
    const parallelism = vars.reduce((s, i) => s + parallelismScore(t.rows, a.dim, t.factors, i), 0) / a.variables;
    const C = 1 << a.variables;
    const manifolds = Array.from({ length: C }, (_, c) => t.rows.subarray(c * a.reps * a.dim, (c + 1) * a.reps * a.dim));
    const plain = manifoldCapacity(manifolds, a.dim, { nT: a.nT, seed: a.seed + 2, centreCorrelation: false });
    const corr = manifoldCapacity(manifolds, a.dim, { nT: a.nT, seed: a.seed + 2, centreCorrelation: { nReps: 1, seed: a.seed + 3 } });
    return { mix, ccgp, parallelism, capacity: plain.capacity, capacityCorrelated: corr.capacity, radius: plain.radius, dimension: plain.dimension };
  });
  return { ...a, points };
}

// ----------------------------------------------------------------------------------------------- estimates, figures, table

/**
 * Run-time estimate on 2 idle cores from cost models measured here (seconds): a manifold analysis costs
 * 2e-9 s x P (M^2 N + nT M^3 / 3) plus its Stiefel step 0.5 s per 100 manifolds; an LP of n variables and m
 * constraints 30 iterations x (m n^2 + n^3 / 3) / 2e9; a training epoch `epochSeconds` per 10,000 images. Jobs
 * share 2 workers.
 */
export function estimatedRunSeconds(o: {
  analyses: { P: number; M: number; N: number; nT: number; count: number }[];
  lps: { n: number; m: number; count: number }[];
  epochs: { images: number; epochSeconds: number; count: number }[];
  workers: number;
}): number {
  let s = 0;
  for (const a of o.analyses) s += a.count * (2e-9 * a.P * (a.M * a.M * a.N + (a.nT * a.M ** 3) / 3) + 0.5 * (a.P / 100));
  for (const l of o.lps) s += (l.count * 30 * (l.m * l.n * l.n + l.n ** 3 / 3)) / 2e9;
  for (const e of o.epochs) s += (e.count * e.epochSeconds * e.images) / 10000;
  return s / Math.max(1, o.workers);
}

/** Section (a): simulated against mean-field capacity over a sweep (x = radius or dimension), with the closed-form ball. */
export function theoryFigure(runs: readonly TheoryJobResult[], against: 'radius' | 'D', kind: 'ball' | 'cloud'): Figure {
  const rs = runs.filter((r) => r.kind === kind).sort((a, b) => (against === 'radius' ? a.radius - b.radius : a.D - b.D));
  const x = rs.map((r) => (against === 'radius' ? r.radius : r.D));
  const series: LineSeries[] = [
    { x, y: rs.map((r) => r.theory.capacity), name: 'mean-field theory (anchor points)', mode: 'lines+markers' },
    { x, y: rs.map((r) => r.simulated.capacity ?? NaN), name: 'simulation: P / N at 50% separable (LP)', mode: 'markers' },
    { x, y: rs.map((r) => r.ballOfGeometry), name: 'ball formula at (R_M, D_M)', mode: 'lines', dash: 'dot' },
  ];
  if (kind === 'ball') series.push({ x, y: rs.map((r) => r.ball), name: 'ball formula at (R, D)', mode: 'lines', dash: 'dash' });
  const fixed = against === 'radius' ? `D = ${rs[0]?.D}` : `R = ${rs[0]?.radius}`;
  return line(series, { title: `${kind === 'ball' ? 'Sampled balls' : 'Gaussian point clouds'} (P = ${rs[0]?.P}, M = ${rs[0]?.M}, ${fixed})`, xLabel: against === 'radius' ? 'radius R (relative to the centre)' : 'dimension D', yLabel: 'capacity alpha = P / N' });
}

/** Sections (b), (c): one measure against layer depth, one line per network (label) at its record of `epoch` (or last). */
export function layerFigure(runs: readonly { label: string; result: NetworkJobResult; epoch: number }[], which: 'capacity' | 'radius' | 'dimension' | 'participationRatio'): Figure {
  const series: LineSeries[] = runs.map(({ label, result, epoch }) => {
    const rec = result.records.find((r) => r.epoch === epoch) ?? result.records[result.records.length - 1];
    return { x: rec.layers.map((_, k) => k), y: rec.layers.map((l) => l[which]), name: `${label} (${rec.layers.map((l) => l.name).join(', ')})`, mode: 'lines+markers' as const };
  });
  const label = { capacity: 'manifold capacity alpha_M', radius: 'anchor radius R_M', dimension: 'anchor dimension D_M', participationRatio: 'participation ratio of all points' }[which];
  return line(series, { title: `${label} through the layers`, xLabel: 'layer (0 = pixels, last = logits)', yLabel: label });
}

/** Section (c): a measure at the last layer before the logits against epoch, one line per network. */
export function epochFigure(runs: readonly { label: string; result: NetworkJobResult }[], which: 'capacity' | 'radius' | 'dimension'): Figure {
  const series: LineSeries[] = runs.map(({ label, result }) => ({
    x: result.records.map((r) => r.epoch), y: result.records.map((r) => r.layers[r.layers.length - 2][which]), name: label, mode: 'lines+markers' as const,
  }));
  return line(series, { title: `${which} of the last hidden layer across training`, xLabel: 'epoch', yLabel: which });
}

/** Section (d): CCGP, parallelism and capacity against the mixing level. */
export function abstractionFigure(r: AbstractionJobResult): Figure {
  const x = r.points.map((p) => p.mix);
  return line([
    { x, y: r.points.map((p) => p.ccgp), name: 'cross-condition generalisation (mean over variables)', mode: 'lines+markers' },
    { x, y: r.points.map((p) => p.parallelism), name: 'parallelism score (mean over variables)', mode: 'lines+markers' },
    { x, y: r.points.map((p) => p.capacity), name: 'capacity of the condition manifolds (no centre-correlation step)', mode: 'lines+markers', dash: 'dash' },
    { x, y: r.points.map((p) => p.capacityCorrelated), name: 'capacity with the centre-correlation step', mode: 'lines+markers', dash: 'dot' },
  ], { title: `Abstraction against capacity (${r.variables} binary variables, ${1 << r.variables} conditions x ${r.reps} samples, ${r.dim} units)`, xLabel: 'mixing: 0 factorised, 1 random', yLabel: 'score / capacity' });
}

/** The papers' claims against this run's numbers: [quantity, the paper's value, the key of `r` holding the measured one]. */
const CLAIMS: [string, string, 'readme' | 'theory' | 'untangling' | 'untrained' | 'rules' | 'abstraction'][] = [
  ['random Gaussian manifolds (authors\' README: P 100, M 50, N 5000)', 'capacity 0.04, radius 1.47, dimension 36.17, K 1', 'readme'],
  ['mean-field theory vs simulation (PRX Figs. 3-6)', 'theory matches the 50%-separable load', 'theory'],
  ['trained networks untangle (Cohen et al. 2020; VGG16 example)', 'capacity rises, radius and dimension fall with depth (VGG16: 0.040 -> 0.127, 1.56 -> 1.28, 34.9 -> 12.6)', 'untangling'],
  ['untrained networks', 'no untangling with depth', 'untrained'],
  ['BP, FA and LDFA networks', 'not reported by any existing tool', 'rules'],
  ['abstraction (Bernardi et al. 2020)', 'factorised codes: high CCGP and parallelism; random codes: low', 'abstraction'],
];

/** The reproduction table: the claims above with this run's measured text per key. */
export function reproductionRows(r: Record<(typeof CLAIMS)[number][2], string>): Record<string, string>[] {
  return CLAIMS.map(([quantity, paper, key]) => ({ quantity, paper, measured: r[key] }));
}
