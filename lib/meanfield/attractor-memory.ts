/**
 * Attractor-memory networks built from sign-constrained perceptrons (Rubin, Abbott & Sompolinsky, PNAS 2017,
 * arXiv 1705.01502, the associative-memory section; the set-up as the authors' ranr01/Rubin2017Balanced
 * Recurrent/associative_memory.py poses it).
 *
 * Network: N binary units x_i in {0, 1}; the first round(fExc N) excitatory (every outgoing weight >= 0), the
 * rest inhibitory (<= 0): Dale's law, the sign belongs to the presynaptic unit. Threshold 1 for every unit:
 *   x_i <- [ h_i + sigma eta > 0 ],   h_i = sum_{j != i} J_ij x_j - 1,   eta ~ N(0, 1)      (output noise sigma)
 * Memories: P = alpha N random states, x_i^mu = 1 with probability fActExc (E units) or fActInh (I units).
 * Small-N condition: a memory with no active E unit, or no active I unit, is redrawn (from the same seeded
 * stream, so the draw stays deterministic). Without an active I unit a unit that is off in that memory gets no
 * negative input, so its output margin is at most the threshold's 1, and the max-min margin of every such unit
 * is capped at 1 by that one memory. At the paper's N = 2000 (1600 E at 0.3, 400 I at 0.15) the chance of such
 * a memory is 0.85^400 ~ 1e-28 per memory, so the condition is automatic there; at N = 120 (24 I units) it is
 * 0.85^24 ~ 2% per memory. The condition is applied to a type only when it has units and a coding level > 0.
 * Building: unit i is a perceptron with the N - 1 other units as inputs, the P memories as patterns and labels
 * y_mu = 2 x_i^mu - 1; one solve per unit (lib/meanfield's sign-constrained-perceptron.ts):
 *   'balanced'    max output margin kappa_out with |J_i| <= gamma (maxOutputMargin)
 *   'unbalanced'  max input margin kappa_in (maxInputMargin), weights w / theta in threshold units
 * Every memory is a fixed point of the noiseless dynamics exactly when every unit's kappa_out > 0.
 * Dynamics: asynchronous sweeps, each unit once per sweep in a fresh random order (the authors' cycle); the
 * fields h are kept up to date incrementally in float64 (a flip of x_j adds +-J_ij to every h_i).
 * Distortion p of a memory (the authors' noisy_pattern): an active unit turns off with probability p, an
 * inactive one of a type with coding level f turns on with probability p f / (1 - f): the mean activity stays.
 * Retrieval: run from the distorted memory for at most `sweeps` sweeps, stopping early once the distance
 * d = (units differing from the memory) / N exceeds `escapeDistance` (escaped) or, without noise, once a sweep
 * changes nothing (a fixed point); retrieved when the final d <= `retrievedDistance`.
 *   basins      sigma = 0, 50 sweeps, escape 0.15, retrieved d = 0   (the authors' test_basin)
 *   stability   p = 0, 500 sweeps, escape 0.1, retrieved d <= 0.1    (the authors' test_stochastic_dynamics)
 *
 * Exports: MemoryPatterns, MemoryOptions, randomMemories, MemoryNetwork, BuildOptions, buildMemoryNetwork,
 * memoryFieldMargins, distortMemory, DynamicsOptions, DynamicsRun, runMemoryDynamics, RetrievalOptions,
 * retrievalFraction.
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, median, Progress, Rng } from '../core';
import { maxInputMargin, maxOutputMargin, type PerceptronPatterns } from './sign-constrained-perceptron';

/** P memories of N binary units (row-major P x N, entries 0 or 1) and the units' signs (+1 E, -1 I). */
export interface MemoryPatterns {
  N: number;
  P: number;
  X: Uint8Array;
  signs: Int8Array;
  /** Coding levels of E and I units (used by distortMemory to keep the mean activity). */
  fActExc: number;
  fActInh: number;
  /** Memories redrawn for having no active E or no active I unit (header's small-N condition). */
  redrawn?: number;
}

export interface MemoryOptions {
  N: number;
  P: number;
  /** Fraction of excitatory units (default 0.8, as the paper). */
  fExc?: number;
  /** Probability an E / I unit is active in a memory (defaults 0.3 / 0.15, as the paper). */
  fActExc?: number;
  fActInh?: number;
  seed: number;
}

/** Redraws of one memory before giving up: the condition fails this often only for a coding level near 0. */
const MAX_REDRAWS = 10000;

/** Random memories (header; a memory with no active E or no active I unit is redrawn); E units first. */
export function randomMemories(o: MemoryOptions): MemoryPatterns {
  const N = checkInteger('N', o.N, 2);
  const P = checkInteger('P', o.P, 1);
  const fExc = checkNumber('fExc', o.fExc ?? 0.8, 0, 1);
  const fE = checkNumber('fActExc', o.fActExc ?? 0.3, 0, 1);
  const fI = checkNumber('fActInh', o.fActInh ?? 0.15, 0, 1);
  const rng = new Rng(checkInteger('seed', o.seed, 0));
  const nExc = Math.round(fExc * N);
  const signs = new Int8Array(N);
  for (let i = 0; i < N; i++) signs[i] = i < nExc ? 1 : -1;
  const X = new Uint8Array(N * P);
  const needE = nExc > 0 && fE > 0, needI = nExc < N && fI > 0;
  let redrawn = 0;
  for (let mu = 0; mu < P; mu++) {
    for (let tries = 0; ; tries++) {
      let anyE = false, anyI = false;
      for (let i = 0; i < N; i++) {
        const v = rng.uniform() < (i < nExc ? fE : fI) ? 1 : 0;
        X[mu * N + i] = v;
        if (v) (i < nExc ? (anyE = true) : (anyI = true));
      }
      if ((anyE || !needE) && (anyI || !needI)) break;
      if (tries >= MAX_REDRAWS) throw new ArgumentError(anyE ? 'fActInh' : 'fActExc', `a coding level that gives a memory an active ${anyE ? 'I' : 'E'} unit within ${MAX_REDRAWS} draws`, anyE ? fI : fE);
      redrawn++;
    }
  }
  return { N, P, X, signs, fActExc: fE, fActInh: fI, redrawn };
}

function checkMemories(m: MemoryPatterns): void {
  if (m === null || typeof m !== 'object') throw new ArgumentError('memories', 'MemoryPatterns { N, P, X, signs, fActExc, fActInh }', m);
  const N = checkInteger('memories.N', m.N, 2);
  const P = checkInteger('memories.P', m.P, 1);
  if (!(m.X instanceof Uint8Array) || m.X.length !== N * P) throw new ArgumentError('memories.X', `a Uint8Array of P x N = ${P} x ${N} states`, m.X);
  for (let k = 0; k < m.X.length; k++) if (m.X[k] > 1) throw new ArgumentError('memories.X', 'states 0 or 1', `${m.X[k]} at index ${k}`);
  if (m.signs === null || typeof m.signs !== 'object' || m.signs.length !== N) throw new ArgumentError('memories.signs', `${N} signs of +1 or -1`, m.signs);
  for (let i = 0; i < N; i++) if (m.signs[i] !== 1 && m.signs[i] !== -1) throw new ArgumentError('memories.signs', '+1 or -1', `${m.signs[i]} at index ${i}`);
  checkNumber('memories.fActExc', m.fActExc, 0, 1);
  checkNumber('memories.fActInh', m.fActInh, 0, 1);
}

/** A recurrent network: J row-major N x N, J[i N + j] the weight from j to i, J_ii = 0; threshold 1. */
export interface MemoryNetwork {
  N: number;
  J: Float64Array;
  signs: Int8Array;
  kind: 'balanced' | 'unbalanced' | 'given';
  /** Per unit: its perceptron's output and input margins and balance index on the memories, and the QP slack. */
  kappaOut: Float64Array;
  kappaIn: Float64Array;
  balanceIndex: Float64Array;
  slack: Float64Array;
  /** Every memory is a fixed point of the noiseless dynamics (every unit's kappaOut > 0). */
  memoriesFixed: boolean;
}

export interface BuildOptions {
  kind: 'balanced' | 'unbalanced';
  /** Norm bound |J_i| of the balanced solutions (threshold units; default 10, the authors' Gamma at N = 2000). */
  gamma?: number;
  /** Passed to the solvers. */
  penalty?: number;
  tolerance?: number;
  /** Show a progress line over the N solves (default true). */
  progress?: boolean;
}

/** Unit i's perceptron problem: the other units' states in each memory as inputs, its own as labels. */
function unitProblem(m: MemoryPatterns, i: number): PerceptronPatterns {
  const { N, P } = m;
  const X = new Float64Array(P * (N - 1));
  const labels = new Int8Array(P);
  const signs = new Int8Array(N - 1);
  for (let j = 0, k = 0; j < N; j++) if (j !== i) signs[k++] = m.signs[j];
  for (let mu = 0; mu < P; mu++) {
    for (let j = 0, k = 0; j < N; j++) if (j !== i) X[mu * (N - 1) + k++] = m.X[mu * N + j];
    labels[mu] = m.X[mu * N + i] === 1 ? 1 : -1;
  }
  return { N: N - 1, P, X, labels, signs };
}

/** One perceptron solve per unit (header) and the network they make. */
export function buildMemoryNetwork(memories: MemoryPatterns, options: BuildOptions): MemoryNetwork {
  checkMemories(memories);
  const kind = checkOneOf('kind', options?.kind, ['balanced', 'unbalanced']);
  const gamma = checkNumber('gamma', options.gamma ?? 10, Number.MIN_VALUE, 1e75);
  const { N } = memories;
  const J = new Float64Array(N * N);
  const kappaOut = new Float64Array(N), kappaIn = new Float64Array(N), balanceIndex = new Float64Array(N), slack = new Float64Array(N);
  const progress = options.progress ?? true ? new Progress({ total: N, label: `${kind} network: unit solves` }) : null;
  for (let i = 0; i < N; i++) {
    const p = unitProblem(memories, i);
    const s = kind === 'balanced'
      ? maxOutputMargin(p, { gamma, penalty: options.penalty, tolerance: options.tolerance })
      : maxInputMargin(p, { penalty: options.penalty, tolerance: options.tolerance });
    for (let j = 0, k = 0; j < N; j++) if (j !== i) J[i * N + j] = s.weights[k++];
    kappaOut[i] = s.kappaOut;
    kappaIn[i] = s.kappaIn;
    balanceIndex[i] = s.balanceIndex;
    slack[i] = s.slack;
    progress?.tick(1, `median kappa_out ${median(Array.from(kappaOut.subarray(0, i + 1))).toPrecision(3)}`);
  }
  progress?.finish();
  return { N, J, signs: memories.signs, kind, kappaOut, kappaIn, balanceIndex, slack, memoriesFixed: kappaOut.every((k) => k > 0) };
}

function checkNetwork(net: MemoryNetwork): void {
  if (net === null || typeof net !== 'object') throw new ArgumentError('network', 'a MemoryNetwork { N, J, signs, ... }', net);
  const N = checkInteger('network.N', net.N, 2);
  if (!(net.J instanceof Float64Array) || net.J.length !== N * N) throw new ArgumentError('network.J', `a Float64Array of N x N = ${N} x ${N} weights`, net.J);
  for (let k = 0; k < net.J.length; k++) if (!(Math.abs(net.J[k]) <= 1e150)) throw new ArgumentError('network.J', 'finite weights with |J| <= 1e150', `${net.J[k]} at index ${k}`);
}

/** The stabilities y_i^mu h_i^mu of memory mu's every unit under J (all > 0: mu is a fixed point), in float64. */
export function memoryFieldMargins(network: MemoryNetwork, memories: MemoryPatterns, mu: number): Float64Array {
  checkNetwork(network);
  checkMemories(memories);
  if (memories.N !== network.N) throw new ArgumentError('memories.N', `${network.N} units (the network's N)`, memories.N);
  checkInteger('mu', mu, 0, memories.P - 1);
  const { N, J } = network;
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let h = -1;
    for (let j = 0; j < N; j++) if (memories.X[mu * N + j]) h += J[i * N + j];
    out[i] = (memories.X[mu * N + i] ? 1 : -1) * h;
  }
  return out;
}

/** A distorted copy of memory mu (header: active units off with probability p, inactive on with p f / (1 - f)). */
export function distortMemory(memories: MemoryPatterns, mu: number, p: number, rng: Rng): Uint8Array {
  checkMemories(memories);
  checkInteger('mu', mu, 0, memories.P - 1);
  checkNumber('p', p, 0, 1);
  const { N, X, signs } = memories;
  const x = X.slice(mu * N, (mu + 1) * N);
  for (let i = 0; i < N; i++) {
    const f = signs[i] > 0 ? memories.fActExc : memories.fActInh;
    const flip = x[i] ? p : f < 1 ? Math.min(1, (p * f) / (1 - f)) : 0;
    if (rng.uniform() < flip) x[i] ^= 1;
  }
  return x;
}

export interface DynamicsOptions {
  /** Output noise sigma (default 0). */
  sigma?: number;
  /** Largest number of sweeps. */
  sweeps: number;
  /** Stop once the distance to `target` exceeds this (default 1: never). */
  escapeDistance?: number;
  /** The state the distance is measured to (default: the start). */
  target?: Uint8Array;
  seed: number;
}

export interface DynamicsRun {
  state: Uint8Array;
  /** Distance (fraction of units differing from the target) after each sweep. */
  distances: number[];
  sweeps: number;
  /** A noiseless sweep changed nothing (the state is a fixed point). */
  fixedPoint: boolean;
}

/** Asynchronous dynamics (header) from `start`; fields kept incrementally in float64. */
export function runMemoryDynamics(network: MemoryNetwork, start: ArrayLike<number>, options: DynamicsOptions): DynamicsRun {
  checkNetwork(network);
  const { N, J } = network;
  if (start === null || typeof start !== 'object' || start.length !== N) throw new ArgumentError('start', `${N} states of 0 or 1`, start);
  const x = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    if (start[i] !== 0 && start[i] !== 1) throw new ArgumentError('start', 'states 0 or 1', `${start[i]} at index ${i}`);
    x[i] = start[i];
  }
  const sigma = checkNumber('sigma', options.sigma ?? 0, 0, 1e150);
  const sweeps = checkInteger('sweeps', options.sweeps, 0);
  const escape = checkNumber('escapeDistance', options.escapeDistance ?? 1, 0, 1);
  const target = options.target ?? x.slice();
  if (!(target instanceof Uint8Array) || target.length !== N) throw new ArgumentError('target', `a Uint8Array of ${N} states`, target);
  const rng = new Rng(checkInteger('seed', options.seed, 0));
  const h = new Float64Array(N).fill(-1);
  for (let j = 0; j < N; j++) if (x[j]) for (let i = 0; i < N; i++) h[i] += J[i * N + j];
  let diff = 0;
  for (let i = 0; i < N; i++) diff += x[i] !== target[i] ? 1 : 0;
  const order = Int32Array.from({ length: N }, (_, i) => i);
  const distances: number[] = [];
  let fixedPoint = false;
  for (let t = 0; t < sweeps; t++) {
    for (let i = N - 1; i > 0; i--) { // Fisher-Yates: a fresh random order each sweep
      const k = Math.floor(rng.uniform() * (i + 1));
      const s = order[i]; order[i] = order[k]; order[k] = s;
    }
    let flips = 0;
    for (let k = 0; k < N; k++) {
      const i = order[k];
      const v = h[i] + (sigma > 0 ? sigma * rng.normal() : 0) > 0 ? 1 : 0;
      if (v !== x[i]) {
        x[i] = v;
        flips++;
        diff += v === target[i] ? -1 : 1;
        const d = v ? 1 : -1;
        for (let r = 0; r < N; r++) h[r] += d * J[r * N + i]; // column i: J_ii = 0 leaves h_i alone
      }
    }
    distances.push(diff / N);
    if (sigma === 0 && flips === 0) {
      fixedPoint = true;
      break;
    }
    if (diff / N > escape) break;
  }
  return { state: x, distances, sweeps: distances.length, fixedPoint };
}

export interface RetrievalOptions {
  /** Distortion p of the start (default 0: the memory itself). */
  distortion?: number;
  sigma?: number;
  sweeps: number;
  escapeDistance: number;
  /** Retrieved when the final distance is at most this (default 0). */
  retrievedDistance?: number;
  /** Memories tested: 0 .. memories - 1 (default all P), each from `repeats` starts (default 1). */
  memories?: number;
  repeats?: number;
  seed: number;
}

/**
 * The fraction of runs that end within `retrievedDistance` of their memory (header), with the mean initial
 * distance. Run r of memory mu uses the distortion and dynamics seeds seed + 2 (mu repeats + r) and that + 1.
 */
export function retrievalFraction(network: MemoryNetwork, memories: MemoryPatterns, o: RetrievalOptions): { fraction: number; initialDistance: number; runs: number } {
  checkNetwork(network);
  checkMemories(memories);
  if (memories.N !== network.N) throw new ArgumentError('memories.N', `${network.N} units (the network's N)`, memories.N);
  const nMem = checkInteger('memories', o.memories ?? memories.P, 1, memories.P);
  const repeats = checkInteger('repeats', o.repeats ?? 1, 1);
  const p = checkNumber('distortion', o.distortion ?? 0, 0, 1);
  const within = checkNumber('retrievedDistance', o.retrievedDistance ?? 0, 0, 1);
  const seed = checkInteger('seed', o.seed, 0);
  const { N } = memories;
  let ok = 0, d0 = 0;
  for (let mu = 0; mu < nMem; mu++) {
    const target = memories.X.slice(mu * N, (mu + 1) * N);
    for (let r = 0; r < repeats; r++) {
      const s = seed + 2 * (mu * repeats + r);
      const start = distortMemory(memories, mu, p, new Rng(s));
      for (let i = 0; i < N; i++) d0 += start[i] !== target[i] ? 1 : 0;
      const run = runMemoryDynamics(network, start, { sigma: o.sigma, sweeps: o.sweeps, escapeDistance: o.escapeDistance, target, seed: s + 1 });
      let d = 0;
      for (let i = 0; i < N; i++) d += run.state[i] !== target[i] ? 1 : 0;
      if (d / N <= within) ok++;
    }
  }
  const runs = nMem * repeats;
  return { fraction: ok / runs, initialDistance: d0 / (N * runs), runs };
}
