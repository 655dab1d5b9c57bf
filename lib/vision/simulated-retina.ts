/**
 * A simulated retina whose circuit is known: the ground truth against which
 * a CNN fitted to its spikes, and attribution and model reduction applied to
 * that CNN, can be checked (issue 29; Tanaka et al. 2019, arXiv 1912.06207,
 * is the method validated). Private to lib/vision; see index.ts.
 *
 * Discrete time, one step per movie frame (dt). For each bipolar subunit j
 * (a grid with spacing `subunitStride` pixels) and each bipolar type b
 * (polarity p_b = +1 ON, -1 OFF; temporal filter k_b):
 *
 *   s_j(t)     = sum_x G_j(x) I(x, t)                      Gaussian centre, sum_x G_j = 1 (sigma 0: one pixel)
 *   k(t)       = g(t; tau1) - w g(t; tau2),  g(t; tau) = dt t^n e^{-t/tau} / (n! tau^{n+1}),  t = i dt, i = 0..L-1
 *                (biphasic; each gamma term sums to ~1, so w = 1 is fully transient)
 *   v_bj(t)    = p_b gain / (|k_b| |G_j|) sum_i k_b(i) s_j(t - i)   (unit std under unit white noise)
 *   y_bj(t)    = max(0, v_bj(t) - theta_b)                 (rectification; threshold null: y = v, linear)
 *   out_bj(t)  = y_bj(t) R_bj(t),  R <- R + dt [(1 - R)/tau_rec - u y R]   (synaptic depression, R(0) = 1,
 *                the adaptation: a kinetic vesicle pool in the spirit of Ozuysal & Baccus 2012; null: out = y)
 *   amacrine m: z_m(t) = z_m(t-1) + (dt/tau_a) (sum_{b in inputs} sum_j A_m(j) out_bj(t) - z_m(t-1)),
 *               a_m(t) = max(0, z_m(t) - theta_a)          (wide Gaussian pooling A_m, sum_j A_m(j) = 1)
 *   ganglion g: d_g(t) = sum_b w_gb sum_j C_g(j) out_bj(t) - w_ga sum_m D_g(m) a_m(t)
 *               rate_g(t) = gain_g f(d_g(t) - theta_g)  Hz, f = relu or softplus
 *               spikes_g(t) ~ Poisson(rate_g(t) dt)
 *
 * The default circuit (defaultRetinaCircuit): ON and OFF subunits with a fast
 * and a slow biphasic filter each (four bipolar types), rectified and
 * depressing; one wide-field amacrine type pooling the slow ON and OFF
 * bipolars and inhibiting every ganglion cell; ganglion cells of four types
 * (ON, OFF, ON-OFF from the fast pairs, slow OFF). Rectification, depression
 * and the subtracted rectified amacrine signal make it far from a
 * linear-nonlinear cascade; `fitLnModel` measures how far.
 *
 * LN model (fitLnModel, predictLn): the spike-triggered (rate-weighted)
 * average of the last `lags` frames minus the mean window (Chichilnisky 2001;
 * for Gaussian white noise it is proportional to the linear filter of an LN
 * cell by Bussgang's theorem), then the static nonlinearity as the mean rate
 * in `bins` quantile bins of the generator signal, linearly interpolated
 * between bin means (flat beyond the extreme bins).
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkOneOf, checkPositive, cosine, Rng } from '../core';
import { checkChunkWithHistory, checkMovie, type ChunkWithHistory, chunksWithHistory, type Movie } from './stimuli';

/** A biphasic temporal filter (seconds). */
export interface TemporalFilter {
  /** Time constant of the first (same-sign) lobe. */
  tau1: number;
  /** Time constant of the second (opposite-sign) lobe. */
  tau2: number;
  /** Relative area of the second lobe (0: monophasic, 1: fully transient). */
  weight: number;
  /** Order n of the gamma terms (default 3). */
  order?: number;
}

/** Samples k(i dt) = g(i dt; tau1) - w g(i dt; tau2), i = 0..length-1 (see the header). */
export function biphasicFilter(filter: TemporalFilter, dt: number, length: number): Float64Array {
  if (!filter || typeof filter !== 'object') throw new ArgumentError('filter', 'a TemporalFilter {tau1, tau2, weight}', filter);
  const tau1 = checkPositive('filter.tau1', filter.tau1), tau2 = checkPositive('filter.tau2', filter.tau2);
  const w = checkNumber('filter.weight', filter.weight, 0);
  const n = checkInteger('filter.order', filter.order ?? 3, 0, 20);
  checkPositive('dt', dt);
  checkInteger('length', length, 1);
  let nFact = 1;
  for (let i = 2; i <= n; i++) nFact *= i;
  const g = (t: number, tau: number) => (dt * t ** n * Math.exp(-t / tau)) / (nFact * tau ** (n + 1));
  const k = new Float64Array(length);
  for (let i = 0; i < length; i++) k[i] = g(i * dt, tau1) - w * g(i * dt, tau2);
  return k;
}

export interface BipolarType {
  name: string;
  /** +1 ON, -1 OFF. */
  polarity: 1 | -1;
  filter: TemporalFilter;
}

export interface AmacrineSpec {
  /** Grid spacing of amacrine cells (pixels). */
  stride: number;
  /** Width of the Gaussian pooling over subunits (pixels). */
  sigma: number;
  /** Names of the bipolar types it pools. */
  inputs: string[];
  /** Low-pass time constant (seconds). */
  tau: number;
  threshold: number;
}

export interface GanglionSpec {
  name: string;
  /** Receptive-field centre (pixel coordinates). */
  row: number;
  col: number;
  /** Width of the Gaussian pooling over subunits (pixels; 0: the nearest subunit). */
  sigma: number;
  /** Weight of each bipolar type (by name; absent: 0). */
  weights: Record<string, number>;
  /** Weight of the amacrine inhibition (subtracted). */
  amacrineWeight: number;
  /** Width of the Gaussian pooling over amacrine cells (pixels). */
  amacrineSigma: number;
  threshold: number;
  /** Hz per unit of f(d - threshold). */
  gain: number;
  output: 'relu' | 'softplus';
}

/** Every parameter of the circuit (see the header for the equations). */
export interface RetinaCircuit {
  height: number;
  width: number;
  /** Seconds per frame the filters are sampled at (must equal the movie's dt). */
  dt: number;
  /** Frames of each temporal filter. */
  filterLength: number;
  subunitStride: number;
  /** Gaussian centre width of a subunit (pixels; 0: one pixel). */
  subunitSigma: number;
  bipolarTypes: BipolarType[];
  /** Std of v under unit-contrast white noise. */
  bipolarGain: number;
  /** Rectification threshold theta_b (null: linear bipolars). */
  bipolarThreshold: number | null;
  /** Synaptic depression (null: none). */
  depression: { tau: number; rate: number } | null;
  amacrine: AmacrineSpec | null;
  ganglion: GanglionSpec[];
}

/** The fast and slow filters of the default circuit (seconds; order 3: lobes peak near 3 tau). */
export const FAST_FILTER: TemporalFilter = { tau1: 0.01, tau2: 0.02, weight: 0.9 };
export const SLOW_FILTER: TemporalFilter = { tau1: 0.02, tau2: 0.03, weight: 0.6 };

/**
 * The default simulated retina on a height x width field (default 20 x 20,
 * dt 10 ms): four bipolar types (ON/OFF x fast/slow) on a 2-pixel grid,
 * depression (tau 0.3 s), a wide-field amacrine pooling the slow bipolars,
 * eight ganglion cells (ON, OFF, ON-OFF, slow OFF, two of each) near the centre.
 */
export function defaultRetinaCircuit(options: { height?: number; width?: number; dt?: number } = {}): RetinaCircuit {
  const height = checkInteger('height', options.height ?? 20, 4);
  const width = checkInteger('width', options.width ?? 20, 4);
  const dt = options.dt === undefined ? 0.01 : checkPositive('dt', options.dt);
  const gc = (name: string, row: number, col: number, weights: Record<string, number>, threshold: number): GanglionSpec => (
    { name, row, col, sigma: 1.5, weights, amacrineWeight: 3, amacrineSigma: 3, threshold, gain: 30, output: 'softplus' });
  const r1 = height * 0.35, r2 = height * 0.6, c1 = width * 0.35, c2 = width * 0.6;
  return {
    height, width, dt, filterLength: 20, subunitStride: 2, subunitSigma: 1,
    bipolarTypes: [
      { name: 'on-fast', polarity: 1, filter: FAST_FILTER },
      { name: 'off-fast', polarity: -1, filter: FAST_FILTER },
      { name: 'on-slow', polarity: 1, filter: SLOW_FILTER },
      { name: 'off-slow', polarity: -1, filter: SLOW_FILTER },
    ],
    bipolarGain: 1, bipolarThreshold: 0, depression: { tau: 0.3, rate: 10 },
    amacrine: { stride: 4, sigma: 3, inputs: ['on-slow', 'off-slow'], tau: 0.05, threshold: 0.1 },
    ganglion: [
      gc('on-1', r1, c1, { 'on-fast': 6 }, 1.5), gc('on-2', r2, c2, { 'on-fast': 6 }, 1.5),
      gc('off-1', r1, c2, { 'off-fast': 6 }, 1.5), gc('off-2', r2, c1, { 'off-fast': 6 }, 1.5),
      gc('on-off-1', r1, (c1 + c2) / 2, { 'on-fast': 4, 'off-fast': 4 }, 2), gc('on-off-2', r2, (c1 + c2) / 2, { 'on-fast': 4, 'off-fast': 4 }, 2),
      gc('off-slow-1', (r1 + r2) / 2, c1, { 'off-slow': 6 }, 1.5), gc('off-slow-2', (r1 + r2) / 2, c2, { 'off-slow': 6 }, 1.5),
    ],
  };
}

/** Grid positions offset + i stride inside [0, size - 1]. */
function grid(size: number, stride: number): number[] {
  const out: number[] = [];
  for (let p = (stride - 1) / 2; p <= size - 1 + 1e-9; p += stride) out.push(p);
  return out;
}

/** Normalized Gaussian weights of `points` around (r, c); sigma 0: the nearest point alone. */
function gaussianWeights(points: { row: number; col: number }[], r: number, c: number, sigma: number, cutoff = Infinity): Float64Array {
  const w = new Float64Array(points.length);
  if (sigma === 0) {
    let best = 0;
    points.forEach((p, i) => { if ((p.row - r) ** 2 + (p.col - c) ** 2 < (points[best].row - r) ** 2 + (points[best].col - c) ** 2) best = i; });
    w[best] = 1;
    return w;
  }
  let s = 0;
  points.forEach((p, i) => {
    const d2 = (p.row - r) ** 2 + (p.col - c) ** 2;
    if (d2 <= (cutoff * sigma) ** 2) { w[i] = Math.exp(-d2 / (2 * sigma * sigma)); s += w[i]; }
  });
  for (let i = 0; i < w.length; i++) w[i] /= s;
  return w;
}

/** What the simulated retina did: ganglion rates and spikes, and the interneurons' signals. */
export interface RetinaResponse {
  frames: number;
  dt: number;
  /** Ganglion cell names, in the column order of `rates` and `spikes`. */
  cells: string[];
  /** [frames, cells], Hz. */
  rates: Float64Array;
  /** [frames, cells] Poisson spike counts per frame (null without a seed). */
  spikes: Float32Array | null;
  /** Per bipolar type, its output (after rectification and depression), [frames, subunits]. */
  bipolar: Record<string, Float32Array>;
  /** Amacrine outputs [frames, amacrine cells] (null without amacrine cells). */
  amacrine: Float32Array | null;
  subunits: { row: number; col: number }[];
  amacrineCells: { row: number; col: number }[];
}

export interface SimulateOptions {
  /** Seed of the Poisson spikes (omitted: rates only). */
  seed?: number;
  /** Keep the bipolar and amacrine signals (default true). */
  record?: boolean;
}

/** One Poisson draw of mean m by inversion (m is rate x dt, small). */
function poissonDraw(rng: Rng, m: number): number {
  let k = 0, p = Math.exp(-m), cdf = p;
  const u = rng.uniform();
  while (u > cdf && k < 1000) { k++; p *= m / k; cdf += p; }
  return k;
}

function checkCircuit(c: RetinaCircuit): void {
  if (!c || typeof c !== 'object') throw new ArgumentError('circuit', 'a RetinaCircuit (see defaultRetinaCircuit)', c);
  checkInteger('circuit.filterLength', c.filterLength, 1);
  checkInteger('circuit.subunitStride', c.subunitStride, 1);
  checkNumber('circuit.subunitSigma', c.subunitSigma, 0);
  checkNumber('circuit.bipolarGain', c.bipolarGain, Number.MIN_VALUE, 1e6);
  if (c.bipolarThreshold !== null) checkNumber('circuit.bipolarThreshold', c.bipolarThreshold);
  if (!Array.isArray(c.bipolarTypes) || c.bipolarTypes.length === 0) throw new ArgumentError('circuit.bipolarTypes', 'a non-empty array', c.bipolarTypes);
  const names = new Set(c.bipolarTypes.map((b) => b.name));
  if (names.size !== c.bipolarTypes.length) throw new ArgumentError('circuit.bipolarTypes', 'distinct names', c.bipolarTypes.map((b) => b.name));
  if (c.depression) {
    if (c.bipolarThreshold === null) throw new ArgumentError('circuit.depression', 'null with linear bipolars (release needs y >= 0)', c.depression);
    checkPositive('circuit.depression.tau', c.depression.tau);
    checkNumber('circuit.depression.rate', c.depression.rate, 0);
  }
  if (c.amacrine) {
    checkPositive('circuit.amacrine.stride', c.amacrine.stride);
    checkPositive('circuit.amacrine.sigma', c.amacrine.sigma);
    checkPositive('circuit.amacrine.tau', c.amacrine.tau);
    checkNumber('circuit.amacrine.threshold', c.amacrine.threshold);
    for (const n of c.amacrine.inputs) if (!names.has(n)) throw new ArgumentError('circuit.amacrine.inputs', `names among ${[...names].join(', ')}`, n);
  }
  if (!Array.isArray(c.ganglion) || c.ganglion.length === 0) throw new ArgumentError('circuit.ganglion', 'a non-empty array', c.ganglion);
  c.ganglion.forEach((g, i) => {
    checkNumber(`circuit.ganglion[${i}].sigma`, g.sigma, 0);
    checkNumber(`circuit.ganglion[${i}].gain`, g.gain, 0);
    checkNumber(`circuit.ganglion[${i}].threshold`, g.threshold);
    checkNumber(`circuit.ganglion[${i}].amacrineWeight`, g.amacrineWeight);
    checkOneOf(`circuit.ganglion[${i}].output`, g.output, ['relu', 'softplus']);
    for (const [n, w] of Object.entries(g.weights)) {
      if (!names.has(n)) throw new ArgumentError(`circuit.ganglion[${i}].weights`, `keys among ${[...names].join(', ')}`, n);
      checkNumber(`circuit.ganglion[${i}].weights.${n}`, w);
    }
  });
}

/** Checks a movie (or chunk) against the circuit's field and dt. */
function checkMovieForCircuit(name: string, movie: Movie, circuit: RetinaCircuit): void {
  checkMovie(name, movie);
  if (movie.height !== circuit.height || movie.width !== circuit.width) {
    throw new ArgumentError(name, `${circuit.height} x ${circuit.width} frames (the circuit's field)`, `${movie.height} x ${movie.width}`);
  }
  if (Math.abs(movie.dt - circuit.dt) > 1e-12) throw new ArgumentError(`${name}.dt`, `the circuit's dt ${circuit.dt}`, movie.dt);
}

/** Runs the circuit on a movie (see the header); spikes when a seed is given. simulateRetina is one RetinaStream push. */
export function simulateRetina(movie: Movie, circuit: RetinaCircuit, options: SimulateOptions = {}): RetinaResponse {
  checkMovie('movie', movie);
  checkCircuit(circuit);
  checkMovieForCircuit('movie', movie, circuit);
  return new RetinaStream(circuit, options).run(movie);
}

/**
 * The simulated retina run chunk by chunk, for a movie too long to hold
 * (issue 29's PAPER=1 training movie): `push` takes the next frames and
 * returns the response over those frames alone (RetinaResponse with `frames`
 * the chunk's). Between pushes it keeps the state the equations carry -- the
 * last filterLength - 1 frames of each subunit's input s_j, each release pool
 * R_bj, the amacrine low-pass z_m and the Poisson generator -- and nothing
 * that grows with the frames pushed (`heldFrames` says how many frames of s
 * it keeps: at most filterLength - 1). The chunks' responses put end to end
 * equal simulateRetina on the whole movie bit for bit (the same operations in
 * the same order; simulateRetina is one push).
 */
export class RetinaStream {
  readonly subunits: { row: number; col: number }[] = [];
  readonly amacrineCells: { row: number; col: number }[] = [];
  private readonly circuit: RetinaCircuit;
  private readonly record: boolean;
  private readonly rng: Rng | null;
  private readonly spatial: { idx: number[]; val: number[]; norm: number }[];
  private readonly filters: { k: Float64Array; kn: number }[];
  private readonly R: Float64Array[];
  private readonly pools: Float64Array[] = [];
  private readonly z: Float64Array | null;
  private readonly ganglionWeights: { C: Float64Array; D: Float64Array }[];
  /** s_j over the last min(filterLength - 1, framesDone) frames, [heldFrames, subunits]. */
  private history: Float64Array;
  private held = 0;
  private done = 0;

  constructor(circuit: RetinaCircuit, options: SimulateOptions = {}) {
    checkCircuit(circuit);
    this.circuit = circuit;
    this.record = options.record ?? true;
    this.rng = options.seed === undefined ? null : new Rng(checkInteger('seed', options.seed, 0));
    const { height: H, width: W, dt, filterLength: L } = circuit;
    // subunits and their spatial weights (truncated at 3 sigma: the far pixels add nothing but time)
    for (const r of grid(H, circuit.subunitStride)) for (const c of grid(W, circuit.subunitStride)) this.subunits.push({ row: r, col: c });
    const pixels: { row: number; col: number }[] = [];
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) pixels.push({ row: r, col: c });
    const S = this.subunits.length;
    this.spatial = this.subunits.map((s) => {
      const w = gaussianWeights(pixels, s.row, s.col, circuit.subunitSigma, 3);
      const idx: number[] = [], val: number[] = [];
      let norm = 0;
      w.forEach((v, i) => { if (v > 0) { idx.push(i); val.push(v); norm += v * v; } });
      return { idx, val, norm: Math.sqrt(norm) };
    });
    this.filters = circuit.bipolarTypes.map((type) => {
      const k = biphasicFilter(type.filter, dt, L);
      let kn = 0;
      for (const v of k) kn += v * v;
      return { k, kn: Math.sqrt(kn) };
    });
    this.R = circuit.bipolarTypes.map(() => new Float64Array(S).fill(1));
    const am = circuit.amacrine;
    if (am) {
      for (const r of grid(H, am.stride)) for (const c of grid(W, am.stride)) this.amacrineCells.push({ row: r, col: c });
      this.pools = this.amacrineCells.map((m) => gaussianWeights(this.subunits, m.row, m.col, am.sigma));
    }
    this.z = am ? new Float64Array(this.amacrineCells.length) : null;
    const M = this.amacrineCells.length;
    this.ganglionWeights = circuit.ganglion.map((g) => ({
      C: gaussianWeights(this.subunits, g.row, g.col, g.sigma),
      D: M > 0 ? gaussianWeights(this.amacrineCells, g.row, g.col, g.amacrineSigma) : new Float64Array(0),
    }));
    this.history = new Float64Array(0);
  }

  /** Frames pushed so far. */
  get framesDone(): number {
    return this.done;
  }

  /** Frames of subunit input kept between pushes (at most filterLength - 1, whatever was pushed). */
  get heldFrames(): number {
    return this.held;
  }

  /** The response over the next `chunk` of the movie (its frames only; state carried from the previous pushes). */
  push(chunk: Movie): RetinaResponse {
    checkMovieForCircuit('chunk', chunk, this.circuit);
    return this.run(chunk);
  }

  /** push without the checks (simulateRetina has made them). */
  run(movie: Movie): RetinaResponse {
    const circuit = this.circuit, record = this.record, rng = this.rng, subunits = this.subunits, amacrineCells = this.amacrineCells, spatial = this.spatial;
    const { frames: T, height: H, width: W } = movie, HW = H * W, dt = circuit.dt, L = circuit.filterLength;
    const S = subunits.length, h = this.held, t0 = this.done;
    // s over the held frames, then this chunk's: s[(h + t) S + j] is frame t0 + t
    const s = new Float64Array((h + T) * S);
    s.set(this.history.subarray(0, h * S));
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < S; j++) {
        const { idx, val } = spatial[j];
        let acc = 0;
        for (let q = 0; q < idx.length; q++) acc += val[q] * movie.data[t * HW + idx[q]];
        s[(h + t) * S + j] = acc;
      }
    }

    const outs: Float32Array[] = [];
    const theta = circuit.bipolarThreshold, dep = circuit.depression;
    circuit.bipolarTypes.forEach((type, b) => {
      const { k, kn } = this.filters[b];
      const out = new Float32Array(T * S);
      const R = this.R[b];
      for (let j = 0; j < S; j++) {
        const scale = (type.polarity * circuit.bipolarGain) / (kn * spatial[j].norm);
        for (let t = 0; t < T; t++) {
          let v = 0;
          for (let i = 0; i < L && i <= t0 + t; i++) v += k[i] * s[(h + t - i) * S + j];
          v *= scale;
          let y = theta === null ? v : Math.max(0, v - theta);
          if (dep) {
            const released = y * R[j];
            R[j] += dt * ((1 - R[j]) / dep.tau - dep.rate * y * R[j]);
            R[j] = Math.min(1, Math.max(0, R[j]));
            y = released;
          }
          out[t * S + j] = y;
        }
      }
      outs.push(out);
    });
    const byName = new Map(circuit.bipolarTypes.map((b, i) => [b.name, outs[i]] as const));

    // amacrine cells
    const am = circuit.amacrine;
    let a: Float32Array | null = null;
    if (am && this.z) {
      const M = amacrineCells.length, pools = this.pools, z = this.z;
      const inputs = am.inputs.map((n) => byName.get(n)!);
      a = new Float32Array(T * M);
      const alpha = dt / am.tau;
      for (let t = 0; t < T; t++) {
        for (let m = 0; m < M; m++) {
          let u = 0;
          for (const inp of inputs) for (let j = 0; j < S; j++) u += pools[m][j] * inp[t * S + j];
          z[m] += alpha * (u - z[m]);
          a[t * M + m] = Math.max(0, z[m] - am.threshold);
        }
      }
    }

    // ganglion cells
    const G = circuit.ganglion.length, M = amacrineCells.length;
    const rates = new Float64Array(T * G);
    const spikes = rng ? new Float32Array(T * G) : null;
    circuit.ganglion.forEach((g, gi) => {
      const { C, D } = this.ganglionWeights[gi];
      const terms = Object.entries(g.weights).filter(([, w]) => w !== 0).map(([n, w]) => ({ out: byName.get(n)!, w }));
      for (let t = 0; t < T; t++) {
        let d = 0;
        for (const { out, w } of terms) {
          let acc = 0;
          for (let j = 0; j < S; j++) if (C[j] !== 0) acc += C[j] * out[t * S + j];
          d += w * acc;
        }
        if (a && g.amacrineWeight !== 0) {
          let acc = 0;
          for (let m = 0; m < M; m++) acc += D[m] * a[t * M + m];
          d -= g.amacrineWeight * acc;
        }
        const x = d - g.threshold;
        const f = g.output === 'relu' ? Math.max(0, x) : x > 30 ? x : Math.log1p(Math.exp(x));
        rates[t * G + gi] = g.gain * f;
      }
    });
    for (let i = 0; i < rates.length; i++) {
      // huge gains or weights overflow: say so rather than return Infinity
      if (!Number.isFinite(rates[i])) throw new ArgumentError('circuit', 'gains and weights that keep the rates finite', `rate ${rates[i]} at frame ${t0 + Math.floor(i / G)}`);
    }
    if (rng && spikes) for (let i = 0; i < rates.length; i++) spikes[i] = poissonDraw(rng, rates[i] * dt);
    // keep the last min(L - 1, frames so far) frames of s for the next push
    const keep = Math.min(L - 1, h + T);
    this.history = s.slice((h + T - keep) * S, (h + T) * S);
    this.held = keep;
    this.done = t0 + T;
    return {
      frames: T, dt, cells: circuit.ganglion.map((g) => g.name), rates, spikes,
      bipolar: record ? Object.fromEntries(circuit.bipolarTypes.map((b, i) => [b.name, outs[i]])) : {},
      amacrine: record ? a : null, subunits, amacrineCells,
    };
  }
}

/** Column `cell` of a [frames, cells] array. */
export function cellColumn(values: ArrayLike<number>, cells: number, cell: number): Float64Array {
  checkInteger('cells', cells, 1);
  checkInteger('cell', cell, 0, cells - 1);
  if (values.length % cells !== 0) throw new ArgumentError('values', `a multiple of ${cells} values`, values.length);
  checkFinite('values', values);
  const out = new Float64Array(values.length / cells);
  for (let t = 0; t < out.length; t++) out[t] = values[t * cells + cell];
  return out;
}

/** A fitted linear-nonlinear model of one cell. */
export interface LnModel {
  lags: number;
  height: number;
  width: number;
  /** [lags, height, width]: filter[i] weighs the frame i steps back. */
  filter: Float64Array;
  /** Bin means of the generator signal (increasing) and the mean rate in each bin. */
  generator: Float64Array;
  rate: Float64Array;
}

/**
 * g_m(t) = sum_i filters[m][i] . frame(t - i) (zero before the movie's first
 * frame) for the chunk's frames t, from its data with history (chunksWithHistory;
 * lags - 1 held frames suffice). The sums run over i, then pixels, in order:
 * one chunk with no history and several chunks give the same numbers bit for bit.
 */
function generatorSignals(filters: readonly Float64Array[], lags: number, c: ChunkWithHistory): Float64Array[] {
  const { chunk, start, held, data } = c, HW = chunk.height * chunk.width, M = filters.length;
  if (held < Math.min(lags - 1, start)) throw new ArgumentError('c.held', `at least min(lags - 1, start) = ${Math.min(lags - 1, start)} frames of history`, held);
  const out = filters.map(() => new Float64Array(chunk.frames)), acc = new Float64Array(M);
  for (let t = 0; t < chunk.frames; t++) {
    acc.fill(0);
    for (let i = 0; i < lags && i <= start + t; i++) {
      const base = (held + t - i) * HW, fb = i * HW;
      for (let m = 0; m < M; m++) {
        const f = filters[m];
        let a = acc[m];
        for (let p = 0; p < HW; p++) a += f[fb + p] * data[base + p];
        acc[m] = a;
      }
    }
    for (let m = 0; m < M; m++) out[m][t] = acc[m];
  }
  return out;
}

/** A whole movie as one chunk with no history. */
const wholeChunk = (movie: Movie): ChunkWithHistory => ({ chunk: movie, start: 0, held: 0, data: movie.data });

/** Fits an LN model of one cell's rate to a (white-noise) movie: STA filter, binned nonlinearity (fitLnModels with one chunk and one cell). */
export function fitLnModel(movie: Movie, rate: ArrayLike<number>, options: { lags?: number; bins?: number } = {}): LnModel {
  checkMovie('movie', movie);
  if (!rate || rate.length !== movie.frames) throw new ArgumentError('rate', `${movie.frames} values (one per frame)`, rate?.length);
  checkFinite('rate', rate);
  return fitLnModels(() => [movie], rate, 1, options)[0];
}

/**
 * LN models of several cells fitted to one movie played in chunks (a movie
 * too long to hold; `play` gives the chunks afresh each time it is called,
 * twice; LnFitter's two passes). `rates` is [frames, cells]. Any chunking
 * gives the same models bit for bit, and one chunk with one cell is fitLnModel.
 */
export function fitLnModels(play: () => Iterable<Movie>, rates: ArrayLike<number>, cells: number, options: { lags?: number; bins?: number } = {}): LnModel[] {
  if (typeof play !== 'function') throw new ArgumentError('play', 'a function giving the movie\'s chunks (called twice)', play);
  checkInteger('cells', cells, 1);
  if (!rates || rates.length % cells !== 0 || rates.length < 2 * cells) throw new ArgumentError('rates', `[frames, ${cells}] values, at least 2 frames`, rates?.length);
  const T = rates.length / cells, fit = new LnFitter(cells, T, options);
  const pass = (each: (c: ChunkWithHistory) => void) => {
    let frames = 0;
    for (const c of chunksWithHistory(play(), fit.lags - 1)) {
      if (c.start + c.chunk.frames > T) throw new ArgumentError('play', `chunks of ${T} frames in all (one per row of rates)`, `more than ${c.start}`);
      each(c);
      frames = c.start + c.chunk.frames;
    }
    if (frames !== T) throw new ArgumentError('play', `chunks of ${T} frames in all (one per row of rates)`, frames);
  };
  pass((c) => fit.addStaChunk(c, Float64Array.from({ length: c.chunk.frames * cells }, (_, q) => rates[c.start * cells + q])));
  pass((c) => fit.addGeneratorChunk(c));
  return fit.models();
}

/**
 * The LN fit in two passes over a movie played in chunks (chunksWithHistory,
 * lags - 1 frames of history; the study drives it between yields to the
 * event loop): addStaChunk with each chunk and its rates accumulates every
 * cell's spike-triggered average and the mean frame over t >= lags - 1 in
 * float64 (the same sums in the same order as one pass over the whole movie),
 * addGeneratorChunk with each chunk again computes the fitted filters'
 * generator signals, and models() bins them (bins of equal count of the
 * sorted generator signal, the rates' mean in each). It holds the filters,
 * the rates and the generator signals (2 x frames x cells numbers), never the movie.
 */
export class LnFitter {
  readonly lags: number;
  private readonly bins: number;
  private readonly cells: number;
  private readonly frames: number;
  private readonly rates: Float64Array;
  private readonly total: Float64Array;
  private sta: Float64Array[] = [];
  private mean = new Float64Array(0);
  private gs: Float64Array[] = [];
  private height = 0;
  private width = 0;
  private staFrames = 0;
  private genFrames = 0;

  constructor(cells: number, frames: number, options: { lags?: number; bins?: number } = {}) {
    this.cells = checkInteger('cells', cells, 1);
    this.frames = checkInteger('frames', frames, 2);
    this.lags = checkInteger('lags', options.lags ?? 20, 1, frames - 1);
    this.bins = checkInteger('bins', options.bins ?? 20, 2);
    this.rates = new Float64Array(frames * cells);
    this.total = new Float64Array(cells);
  }

  private checkChunk(c: ChunkWithHistory, done: number, pass: string): void {
    checkChunkWithHistory('c', c);
    if (c.start !== done) throw new ArgumentError('c.start', `${done} (the ${pass} pass's chunks in order)`, c.start);
    if (c.start + c.chunk.frames > this.frames) throw new ArgumentError('c', `chunks of ${this.frames} frames in all`, c.start + c.chunk.frames);
    if (c.held < Math.min(this.lags - 1, c.start)) throw new ArgumentError('c.held', `at least min(lags - 1, start) = ${Math.min(this.lags - 1, c.start)} frames of history`, c.held);
    if (this.height === 0) { this.height = c.chunk.height; this.width = c.chunk.width; }
    if (c.chunk.height !== this.height || c.chunk.width !== this.width) throw new ArgumentError('c.chunk', `${this.height} x ${this.width} frames`, `${c.chunk.height} x ${c.chunk.width}`);
  }

  /** First pass: the next chunk and its rates, [chunk frames, cells]. */
  addStaChunk(c: ChunkWithHistory, rates: ArrayLike<number>): void {
    this.checkChunk(c, this.staFrames, 'first');
    const { cells, lags } = this, HW = this.height * this.width, T = c.chunk.frames;
    if (!rates || rates.length !== T * cells) throw new ArgumentError('rates', `${T} x ${cells} values (the chunk's frames x cells)`, rates?.length);
    checkFinite('rates', rates);
    if (this.sta.length === 0) { this.sta = Array.from({ length: cells }, () => new Float64Array(lags * HW)); this.mean = new Float64Array(lags * HW); }
    const { sta, mean, total } = this;
    for (let tl = 0; tl < T; tl++) {
      const t = c.start + tl;
      for (let g = 0; g < cells; g++) this.rates[t * cells + g] = rates[tl * cells + g];
      if (t < lags - 1) continue;
      for (let g = 0; g < cells; g++) total[g] += rates[tl * cells + g];
      for (let i = 0; i < lags; i++) {
        const base = (c.held + tl - i) * HW, fb = i * HW;
        for (let p = 0; p < HW; p++) mean[fb + p] += c.data[base + p];
        for (let g = 0; g < cells; g++) {
          const r = rates[tl * cells + g], st = sta[g];
          for (let p = 0; p < HW; p++) st[fb + p] += r * c.data[base + p];
        }
      }
    }
    this.staFrames += T;
  }

  /** Second pass (after every frame went through addStaChunk): the next chunk again. */
  addGeneratorChunk(c: ChunkWithHistory): void {
    if (this.staFrames !== this.frames) throw new ArgumentError('c', `the second pass after the first's ${this.frames} frames`, `${this.staFrames} frames in the first`);
    const { cells, lags } = this, n = this.frames - lags + 1;
    if (this.gs.length === 0) {
      for (let g = 0; g < cells; g++) {
        if (!(this.total[g] > 0)) throw new ArgumentError(cells === 1 ? 'rate' : `rates (cell ${g})`, 'a rate above zero somewhere (no spike-triggered average otherwise)', this.total[g]);
        const st = this.sta[g];
        for (let q = 0; q < st.length; q++) st[q] = st[q] / this.total[g] - this.mean[q] / n;
      }
      this.gs = Array.from({ length: cells }, () => new Float64Array(n));
    }
    this.checkChunk(c, this.genFrames, 'second');
    const out = generatorSignals(this.sta, lags, c);
    for (let tl = 0; tl < c.chunk.frames; tl++) {
      const t = c.start + tl;
      if (t >= lags - 1) for (let g = 0; g < cells; g++) this.gs[g][t - lags + 1] = out[g][tl];
    }
    this.genFrames += c.chunk.frames;
  }

  /** The fitted models (after both passes). */
  models(): LnModel[] {
    if (this.genFrames !== this.frames) throw new ArgumentError('LnFitter', `both passes over ${this.frames} frames`, `${this.staFrames} and ${this.genFrames}`);
    const { cells, lags, bins } = this, n = this.frames - lags + 1;
    return this.sta.map((filter, g) => {
      const gv = this.gs[g];
      const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => gv[x] - gv[y]);
      const gen = new Float64Array(bins), rt = new Float64Array(bins);
      for (let b = 0; b < bins; b++) {
        const lo = Math.floor((b * n) / bins), hi = Math.floor(((b + 1) * n) / bins);
        for (let q = lo; q < hi; q++) { gen[b] += gv[order[q]]; rt[b] += this.rates[(order[q] + lags - 1) * cells + g]; }
        gen[b] /= Math.max(1, hi - lo);
        rt[b] /= Math.max(1, hi - lo);
      }
      return { lags, height: this.height, width: this.width, filter, generator: gen, rate: rt };
    });
  }
}

/** The LN model's rate on a movie (frames before `lags - 1` see zeros beyond the movie's start; lnRates with one chunk). */
export function predictLn(model: LnModel, movie: Movie): Float64Array {
  checkMovie('movie', movie);
  return lnRates([model], wholeChunk(movie))[0];
}

/**
 * Each LN model's rate over one chunk of a movie played in chunks
 * (chunksWithHistory with at least lags - 1 frames of history): chunk by
 * chunk, predictLn on the whole movie bit for bit.
 */
export function lnRates(models: readonly LnModel[], c: ChunkWithHistory): Float64Array[] {
  if (!Array.isArray(models) || models.length === 0) throw new ArgumentError('models', 'a non-empty array of LnModel', models);
  checkChunkWithHistory('c', c);
  const { height, width } = c.chunk;
  models.forEach((m, i) => {
    if (!m || typeof m !== 'object') throw new ArgumentError(`models[${i}]`, 'an LnModel (fitLnModel)', m);
    if (height !== m.height || width !== m.width) throw new ArgumentError(i === 0 && models.length === 1 ? 'movie' : `models[${i}]`, `${m.height} x ${m.width} frames`, `${height} x ${width}`);
  });
  const lags = checkInteger('models[0].lags', models[0].lags, 1);
  models.forEach((m, i) => {
    if (m.lags !== lags) throw new ArgumentError(`models[${i}].lags`, `${lags} (models[0]'s)`, m.lags);
    if (!(m.filter instanceof Float64Array) || m.filter.length !== lags * height * width) throw new ArgumentError(`models[${i}].filter`, `lags x height x width = ${lags * height * width} values`, m.filter?.length);
    if (!m.generator || !m.rate || m.generator.length !== m.rate.length || m.rate.length < 2) throw new ArgumentError(`models[${i}].rate`, 'as many bins (at least 2) as generator', m.rate?.length);
    checkFinite(`models[${i}].filter`, m.filter);
    checkFinite(`models[${i}].generator`, m.generator);
    checkFinite(`models[${i}].rate`, m.rate);
  });
  const gens = generatorSignals(models.map((m) => m.filter), lags, c);
  return models.map((model, k) => {
    const g = gens[k], { generator: x, rate: y } = model, nb = x.length;
    const out = new Float64Array(g.length);
    for (let t = 0; t < g.length; t++) {
      const v = g[t];
      if (v <= x[0]) { out[t] = y[0]; continue; }
      if (v >= x[nb - 1]) { out[t] = y[nb - 1]; continue; }
      let b = 0;
      while (x[b + 1] < v) b++;
      const f = x[b + 1] > x[b] ? (v - x[b]) / (x[b + 1] - x[b]) : 0;
      out[t] = y[b] + f * (y[b + 1] - y[b]);
    }
    return out;
  });
}

/** 1 - sum (target - prediction)^2 / sum (target - mean target)^2 (float64). */
export function varianceExplained(prediction: ArrayLike<number>, target: ArrayLike<number>): number {
  if (!prediction || !target || prediction.length !== target.length || target.length < 2) {
    throw new ArgumentError('prediction', `as many values as target (${target?.length}, at least 2)`, prediction?.length);
  }
  checkFinite('prediction', prediction);
  checkFinite('target', target);
  let m = 0;
  for (let i = 0; i < target.length; i++) m += target[i];
  m /= target.length;
  let sse = 0, sst = 0;
  for (let i = 0; i < target.length; i++) { sse += (target[i] - prediction[i]) ** 2; sst += (target[i] - m) ** 2; }
  return sst > 0 ? 1 - sse / sst : NaN;
}

/** Pearson correlation (the cosine of the centred vectors; NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (!a || !b || a.length !== b.length) throw new ArgumentError('b', `as many values as a (${a?.length})`, b?.length);
  const centre = (x: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < x.length; i++) m += x[i];
    m /= x.length;
    return Float64Array.from(x, (v) => v - m);
  };
  return cosine(centre(a), centre(b));
}

/**
 * Pearson correlation accumulated pair by pair (series too long to hold):
 * count, means and centred second moments updated in float64 (Welford), so
 * the result equals pearson on the whole series to rounding; NaN while either
 * series is constant.
 */
export class StreamingPearson {
  n = 0;
  private ma = 0;
  private mb = 0;
  private caa = 0;
  private cbb = 0;
  private cab = 0;

  add(a: number, b: number): void {
    if (!Number.isFinite(a)) throw new ArgumentError('a', 'a finite number', a);
    if (!Number.isFinite(b)) throw new ArgumentError('b', 'a finite number', b);
    this.n++;
    const da = a - this.ma, db = b - this.mb;
    this.ma += da / this.n;
    this.mb += db / this.n;
    this.caa += da * (a - this.ma);
    this.cbb += db * (b - this.mb);
    this.cab += da * (b - this.mb);
  }

  get r(): number {
    return this.caa > 0 && this.cbb > 0 ? this.cab / Math.sqrt(this.caa * this.cbb) : NaN;
  }
}
