/**
 * Study: balanced predictive coding -- how balance b suppresses the decoding
 * error under private noise and under chaos, how that error scales with N,
 * and how a synaptic delay limits it (notebooks/balanced-predictive-coding.ipynb;
 * J. Kadmon, J. Timcheck & S. Ganguli 2020, "Predictive coding in balanced
 * neural networks with noise, chaos and delays", NeurIPS 33, arXiv:2006.14178).
 * No code is public and the paper's equations could not be read here; the model
 * is the reconstruction of lib/circuits/predictive-coding.ts and the theory the
 * one derived in lib/meanfield/predictive-coding.ts:
 *
 *   dh_i/dt = -h_i + b w_i (x - xhat(t - d)) + g (J0 phi(h))_i + sigma xi_i,   xhat = (1/N) sum_j w_j phi(h_j)
 *   bias     e = x - <xhat>,  from x - e = E phi(b e + sqrt(Delta0) z)        (~ 1/b)
 *   s.d.     sqrt(var xhat),  var = (1/N) int S(w) |1 + i w|^2 / |1 + i w + a e^{-i w d}|^2 dw / 2 pi,  a = b <phi'>
 *   rmse     sqrt(<(x - xhat)^2>) = sqrt(e^2 + var)
 *
 * Power laws y = c N^p are fitted by least squares in log-log (all seeds' points), with the 95% interval of p
 * from the slope's standard error and Student's t.
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'simulationJob', args }` (one network, one input, one b).
 * Exports: STUDY_MODULE, PAPER_SETTINGS, PAPER_CLAIMS, stepFor, simulationJob (SimulationArgs, SimulationResult),
 * theoryFor, criticalBalance, powerLawFit (PowerLawFit), groupMedians, estimatedRunSeconds, transferFigure, balanceFigure,
 * scalingFigure, delayFigure, reproductionRows.
 */
import { ArgumentError, Rng, checkInteger, checkNumber, checkPositive, median } from '../core';
import { PredictiveCodingNetwork } from '../circuits';
import { DecoderFluctuations, StationaryDmft, criticalLoopGain, decoderFluctuations, predictiveCodingMeanField } from '../meanfield';
import { Figure, LineSeries, line } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/balanced-predictive-coding';

/**
 * Settings stated in the paper's Fig. 1 caption (read from a review page quoting it, references/network-dynamics.md
 * section 5 [V]): tanh, N = 1400; transfer curve at sigma = 0.75, g = d = 0, three b (values not stated);
 * bias and s.d. against b at x = 0.2 for noise (sigma = 0.75, g = 0) and chaos (sigma = 0, g = 1.6).
 */
export const PAPER_SETTINGS = { N: 1400, noise: 0.75, chaosG: 1.6, x: 0.2, insetX: 0.5 } as const;

/** The paper's claims this study tests, with where each was read ([V] caption/abstract, [R] reconstructed, unchecked). */
export const PAPER_CLAIMS = {
  transfer: 'transfer curve <xhat>(x) approaches the identity as b grows (Fig. 1C) [V]',
  variance: 'balance gives power-law suppression of the variance with exponent -1 in b (Fig. 1D caption; noise and chaos) [V]',
  classical: 'error ~ 1/sqrt(N) classically (abstract) [V]',
  superclassical: 'error ~ 1/N with balance, superclassical (abstract) [V]; with b ~ sqrt(N) [R]',
  delay: 'delays cause an oscillatory instability at large b and an optimal b [R]',
} as const;

/**
 * The step: at most `dtMax`, and `resolution / (1 + b)` (b bounds the loop gain b <phi'> since phi' <= 1), so
 * the loop's bandwidth is resolved; with a delay, the largest step at most that which divides d.
 */
export function stepFor(b: number, o: { dtMax: number; resolution: number; delay?: number }): number {
  checkNumber('b', b, 0);
  let dt = Math.min(checkPositive('dtMax', o?.dtMax), checkPositive('resolution', o.resolution) / (1 + b));
  const d = checkNumber('delay', o.delay ?? 0, 0);
  if (d > 0) dt = d / Math.ceil(d / dt - 1e-9);
  return dt;
}

export interface SimulationArgs {
  N: number;
  b: number;
  g: number;
  noise: number;
  delay: number;
  x: number;
  /** Seed of the network (J0 and decoder signs); the noise uses seed + 1, the initial state (g > 0) seed + 2. */
  seed: number;
  dt: number;
  time: number;
  transient: number;
}

export interface SimulationResult extends SimulationArgs {
  mean: number;
  sd: number;
  bias: number;
  rmse: number;
  diverged: boolean;
  seconds: number;
}

/** One run of the network (implicit step); a chaotic network starts from h_i ~ N(0, 1), a noisy one from 0. */
export async function simulationJob(a: SimulationArgs): Promise<SimulationResult> {
  const t0 = Date.now();
  const net = new PredictiveCodingNetwork({ N: a.N, b: a.b, g: a.g, noise: a.noise, delay: a.delay, seed: a.seed, noiseSeed: (a.seed + 1) >>> 0 });
  const h0 = a.g > 0 ? new Rng((a.seed + 2) >>> 0).normalArray(a.N, 0, 1, 'float64') as Float64Array : undefined;
  const r = net.run({ x: a.x, dt: a.dt, time: a.time, transient: a.transient, h0, recordEvery: 1 << 30 });
  return { ...a, mean: r.mean, sd: Math.sqrt(r.variance), bias: r.bias, rmse: r.rmse, diverged: r.diverged, seconds: (Date.now() - t0) / 1000 };
}

/** The mean-field bias, s.d. and rmse at one setting (`dmft` for the chaotic case). */
export function theoryFor(s: Pick<SimulationArgs, 'N' | 'b' | 'g' | 'noise' | 'delay' | 'x'>, dmft?: StationaryDmft): DecoderFluctuations & { xhatMean: number; loopGain: number } {
  const mf = predictiveCodingMeanField({ x: s.x, b: s.b, g: s.g, noise: s.noise, dmft });
  return { ...decoderFluctuations(mf, { N: s.N, delay: s.delay }), xhatMean: mf.xhatMean, loopGain: mf.loopGain };
}

/** The b at which the loop gain b <phi'> reaches criticalLoopGain(d) (bisection; the gain grows with b). */
export function criticalBalance(s: Pick<SimulationArgs, 'g' | 'noise' | 'x'> & { delay: number }, dmft?: StationaryDmft): number {
  const ac = criticalLoopGain(checkPositive('delay', s?.delay));
  const gain = (b: number) => predictiveCodingMeanField({ x: s.x, b, g: s.g, noise: s.noise, dmft }).loopGain;
  let lo = 0, hi = ac;
  while (gain(hi) < ac) { lo = hi; hi *= 2; if (hi > 1e12) return Infinity; }
  for (let i = 0; i < 100 && hi - lo > 1e-10 * hi; i++) { const m = 0.5 * (lo + hi); if (gain(m) < ac) lo = m; else hi = m; }
  return 0.5 * (lo + hi);
}

export interface PowerLawFit {
  exponent: number;
  /** 95% interval of the exponent (Student's t on the slope's standard error; [exponent, exponent] for 2 points). */
  interval: [number, number];
  prefactor: number;
  points: number;
}

// two-sided 97.5% quantiles of Student's t, df = 1..30 (beyond: 1.96)
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** y = c x^p by least squares on (log x, log y). */
export function powerLawFit(xs: ArrayLike<number>, ys: ArrayLike<number>): PowerLawFit {
  const n = xs?.length;
  if (!(n >= 2) || ys?.length !== n) throw new ArgumentError('ys', `as many values as xs (at least 2)`, ys?.length);
  for (let i = 0; i < n; i++) {
    if (!(xs[i] > 0) || !Number.isFinite(xs[i])) throw new ArgumentError('xs', 'positive finite values', xs[i]);
    if (!(ys[i] > 0) || !Number.isFinite(ys[i])) throw new ArgumentError('ys', 'positive finite values', ys[i]);
  }
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += Math.log(xs[i]); my += Math.log(ys[i]); }
  mx /= n; my /= n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) { const dx = Math.log(xs[i]) - mx; sxx += dx * dx; sxy += dx * (Math.log(ys[i]) - my); }
  if (!(sxx > 0)) throw new ArgumentError('xs', 'at least two different values', 'all equal');
  const p = sxy / sxx, c = my - p * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) { const r = Math.log(ys[i]) - c - p * Math.log(xs[i]); rss += r * r; }
  const half = n > 2 ? (T975[Math.min(n - 3, T975.length - 1)] ?? 1.96) * Math.sqrt(rss / (n - 2) / sxx) : 0;
  return { exponent: p, interval: [p - half, p + half], prefactor: Math.exp(c), points: n };
}

/** The median of `value` over runs sharing `key` (e.g. seeds at one N), sorted by key. */
export function groupMedians<T>(runs: readonly T[], key: (r: T) => number, value: (r: T) => number): { key: number; median: number; min: number; max: number }[] {
  const groups = new Map<number, number[]>();
  for (const r of runs) { const k = key(r); if (!groups.has(k)) groups.set(k, []); groups.get(k)!.push(value(r)); }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => ({ key: k, median: median(v), min: Math.min(...v), max: Math.max(...v) }));
}

/**
 * Seconds on `workers` idle cores: each step costs `unitSeconds` per unit (tanh, noise, the O(N) feedback) plus
 * `entrySeconds` per coupling entry when g > 0 (one N x N product, memory-bound). Defaults from runs on this machine
 * at load 7 (N = 16,000 noise: 2.1e-7 s per unit-step; N = 3,000 chaos: 9.4e-10 s per entry), scaled by about 0.6
 * for an idle core: rough, as any estimate on a shared machine.
 */
export function estimatedRunSeconds(runs: readonly Pick<SimulationArgs, 'N' | 'g' | 'dt' | 'time' | 'transient'>[], o: { workers: number; unitSeconds?: number; entrySeconds?: number }): number {
  const workers = checkInteger('workers', o?.workers, 1);
  const unit = o.unitSeconds ?? 1.3e-7, entry = o.entrySeconds ?? 5.5e-10;
  let s = 0;
  for (const r of runs) s += ((r.time + r.transient) / r.dt) * (r.N * unit + (r.g > 0 ? r.N * r.N * entry : 0));
  return s / workers;
}

// ---------------------------------------------------------------------------
// Figures and the table

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];

/** <xhat> against x: theory curves per b, simulated points (median over seeds), and the identity. */
export function transferFigure(theory: readonly { b: number; x: number[]; xhat: number[] }[], sims: readonly SimulationResult[]): Figure {
  const series: LineSeries[] = [];
  theory.forEach((t, i) => {
    series.push({ x: t.x, y: t.xhat, name: `theory b = ${t.b}`, color: COLORS[i % COLORS.length] });
    const pts = groupMedians(sims.filter((s) => s.b === t.b), (s) => s.x, (s) => s.mean);
    if (pts.length > 0) series.push({ x: pts.map((p) => p.key), y: pts.map((p) => p.median), name: `simulation b = ${t.b}`, mode: 'markers', color: COLORS[i % COLORS.length] });
  });
  const xs = theory.flatMap((t) => t.x);
  if (xs.length > 0) series.push({ x: [Math.min(...xs), Math.max(...xs)], y: [Math.min(...xs), Math.max(...xs)], name: '<xhat> = x', color: '#888888', dash: 'dot' });
  return line(series, { title: 'Transfer curve: the decoder against the input', xLabel: 'input x', yLabel: '<xhat>' });
}

/** Bias |e| and s.d. against b (log-log), simulation (median over seeds) beside theory, one colour per case. */
export function balanceFigure(cases: readonly { label: string; sims: readonly SimulationResult[]; theory: readonly { b: number; bias: number; sd: number }[] }[]): Figure {
  const series: LineSeries[] = [];
  cases.forEach((c, i) => {
    const color = COLORS[i % COLORS.length];
    series.push({ x: c.theory.map((t) => t.b), y: c.theory.map((t) => Math.abs(t.bias)), name: `${c.label}: bias (theory)`, color, dash: 'dash' });
    series.push({ x: c.theory.map((t) => t.b), y: c.theory.map((t) => t.sd), name: `${c.label}: s.d. (theory)`, color });
    const bias = groupMedians(c.sims, (s) => s.b, (s) => Math.abs(s.bias)), sd = groupMedians(c.sims, (s) => s.b, (s) => s.sd);
    series.push({ x: bias.map((p) => p.key), y: bias.map((p) => p.median), name: `${c.label}: bias (simulation)`, mode: 'markers', color });
    series.push({ x: sd.map((p) => p.key), y: sd.map((p) => p.median), name: `${c.label}: s.d. (simulation)`, mode: 'markers', color });
  });
  return line(series, { title: 'Decoder bias and fluctuations against balance', xLabel: 'balance b', yLabel: '|x - <xhat>|, sd(xhat)', logX: true, logY: true });
}

/** An error measure against N (log-log) per case, simulation medians beside theory. */
export function scalingFigure(cases: readonly { label: string; sims: readonly SimulationResult[]; theory: readonly { N: number; value: number }[] }[], measure: 'sd' | 'bias' | 'rmse'): Figure {
  const series: LineSeries[] = [];
  const pick = (s: SimulationResult) => (measure === 'bias' ? Math.abs(s.bias) : s[measure]);
  cases.forEach((c, i) => {
    const color = COLORS[i % COLORS.length];
    series.push({ x: c.theory.map((t) => t.N), y: c.theory.map((t) => t.value), name: `${c.label} (theory)`, color });
    const pts = groupMedians(c.sims, (s) => s.N, pick);
    series.push({ x: pts.map((p) => p.key), y: pts.map((p) => p.median), name: `${c.label} (simulation)`, mode: 'markers', color });
  });
  const label = measure === 'sd' ? 'sd(xhat)' : measure === 'bias' ? '|x - <xhat>|' : 'rmse';
  return line(series, { title: `${label} against N`, xLabel: 'N', yLabel: label, logX: true, logY: true });
}

/** rmse against b at several delays (log-log): simulation medians, theory (unstable points left out), b_c marked. */
export function delayFigure(cases: readonly { delay: number; sims: readonly SimulationResult[]; theory: readonly { b: number; rmse: number }[]; criticalB: number }[]): Figure {
  const series: LineSeries[] = [];
  cases.forEach((c, i) => {
    const color = COLORS[i % COLORS.length];
    const th = c.theory.filter((t) => Number.isFinite(t.rmse));
    series.push({ x: th.map((t) => t.b), y: th.map((t) => t.rmse), name: `d = ${c.delay} (theory)`, color });
    const pts = groupMedians(c.sims, (s) => s.b, (s) => s.rmse);
    series.push({ x: pts.map((p) => p.key), y: pts.map((p) => p.median), name: `d = ${c.delay} (simulation)`, mode: 'markers', color });
    if (Number.isFinite(c.criticalB) && th.length > 0) {
      const ys = [...th.map((t) => t.rmse), ...pts.map((p) => p.median)];
      series.push({ x: [c.criticalB, c.criticalB], y: [Math.min(...ys), Math.max(...ys)], name: `d = ${c.delay}: b_c`, color, dash: 'dot' });
    }
  });
  return line(series, { title: 'Decoding error against balance with delays', xLabel: 'balance b', yLabel: 'rmse sqrt(<(x - xhat)^2>)', logX: true, logY: true });
}

const fmtFit = (f: PowerLawFit) => `${f.exponent.toFixed(2)} [${f.interval[0].toFixed(2)}, ${f.interval[1].toFixed(2)}]`;

/** Rows of the reproduction table: claim, paper, theory (this library), measured, settings. */
export function reproductionRows(r: {
  transfer: { b: number; maxGapTheory: number; maxGapSim: number }[];
  balance: { label: string; theory: PowerLawFit; sim: PowerLawFit; bRange: [number, number] }[];
  scaling: { label: string; measure: string; theory: PowerLawFit; sim: PowerLawFit; settings: string }[];
  delay: { delay: number; criticalB: number; bestTheory: number; bestSim: number; unstableSim: string }[];
  settings: string;
}): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const t of r.transfer) {
    rows.push({ quantity: `max |<xhat> - x| over the x grid, b = ${t.b}`, paper: PAPER_CLAIMS.transfer, theory: t.maxGapTheory.toFixed(3), measured: t.maxGapSim.toFixed(3), settings: r.settings });
  }
  for (const b of r.balance) {
    rows.push({ quantity: `exponent of var(xhat) in b, ${b.label} (b ${b.bRange[0]}-${b.bRange[1]})`, paper: '-1 (Fig. 1D caption)', theory: fmtFit(b.theory), measured: fmtFit(b.sim), settings: r.settings });
  }
  for (const s of r.scaling) {
    const paper = s.label.includes('fixed') ? (s.measure === 'sd' ? '-0.5 (classical)' : '-') : s.measure === 'rmse' || s.measure === 'sd' ? '-1 (superclassical) [R: b ~ sqrt N]' : '-';
    rows.push({ quantity: `exponent of ${s.measure} in N, ${s.label}`, paper, theory: fmtFit(s.theory), measured: fmtFit(s.sim), settings: s.settings });
  }
  for (const d of r.delay) {
    rows.push({ quantity: `delay d = ${d.delay}: b_c (oscillation) / best b`, paper: PAPER_CLAIMS.delay, theory: `${d.criticalB.toFixed(1)} / ${d.bestTheory.toFixed(1)}`, measured: `${d.unstableSim} / ${d.bestSim.toFixed(1)}`, settings: r.settings });
  }
  return rows;
}
