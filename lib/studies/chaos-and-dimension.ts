/**
 * Study: chaos and the dimension of activity in random rate networks
 * (notebooks/chaos-and-dimension.ipynb; Clark, Abbott & Litwin-Kumar 2023,
 * "Dimension of activity in random neural networks", PRL 131, 118401,
 * arXiv:2207.12373; Sompolinsky, Crisanti & Sommers 1988). The network is
 * dx/dt = -x + J tanh(x), J_ij ~ N(0, g^2/N), integrated by RK4 with dt = 0.1.
 * The maths is in lib/circuits (network, tangent maps), lib/dynamics
 * (Lyapunov spectra), lib/meanfield (DMFT, two-site cavity PR) and
 * lib/geometry (cross-block PR estimator); this file holds the pool jobs
 * around them, the published numbers, the figures and the table:
 *
 *   spectrumJob    leading k exponents of one network (state burn-in, frame burn-in, block errors)
 *   dimensionJob   one simulation: PR/N of x and phi(x) by the cross-block estimator (8 blocks,
 *                  samples every 0.5), and the unit-averaged autocovariance of x against lag
 *   theoryJob      stationary DMFT and PR/N at one g; Delta(tau) resampled at the simulation's lags
 *   autocovariance (1/N) sum_i (1/(T - l)) sum_t (x_i(t) - m_i)(x_i(t + l) - m_i)
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'spectrumJob' | 'dimensionJob' | 'theoryJob', args }`.
 * Exports: STUDY_MODULE, PUBLISHED_PR, publishedMean, spectrumJob, dimensionJob, theoryJob (with their argument and
 * result types), populationAutocovariance, estimatedRunSeconds, spectraFigure, lambda1Figure,
 * autocovarianceFigure, dimensionFigure, reproductionRows.
 */
import { ArgumentError, JobContext, checkInteger, checkNumber } from '../core';
import { RandomRateNetwork } from '../circuits';
import { lyapunovSpectrum } from '../dynamics';
import { crossBlockParticipationRatio } from '../geometry';
import { participationRatioTheory, stationaryDmft } from '../meanfield';
import { Figure, LineSeries, line } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/chaos-and-dimension';

/**
 * Simulated PR/N (x and phi(x)) at N = 16384, RK4 dt = 0.1, burn-in 300, T_obs = 20000, samples every 0.5,
 * 8 blocks, cross-block estimator, seeds 0 and 1: the data bundled with davidclark1/rnn-lyapunov, the authors'
 * code for the PRL (data/participation/pr_flow_g<g>_rk4dt0.1_N16384_seed<s>.json, read 2026-12-06).
 */
export const PUBLISHED_PR: Readonly<Record<number, { x: readonly [number, number]; phi: readonly [number, number] }>> = {
  1.25: { x: [0.001106, 0.001738], phi: [0.001152, 0.001809] },
  2: { x: [0.015485, 0.015938], phi: [0.019242, 0.019775] },
  3: { x: [0.030771, 0.031342], phi: [0.043874, 0.044611] },
  5: { x: [0.045163, 0.045735], phi: [0.073385, 0.074216] },
  10: { x: [0.054775, 0.055374], phi: [0.099973, 0.100926] },
};

/** The mean of the two published seeds. */
export function publishedMean(g: number, which: 'x' | 'phi'): number | null {
  const p = PUBLISHED_PR[g];
  return p ? (p[which][0] + p[which][1]) / 2 : null;
}

const DT = 0.1;

// ---------------------------------------------------------------------------
// Pool jobs

export interface SpectrumJobArgs {
  N: number;
  g: number;
  /** Seeds of the couplings, the initial state and the initial frame. */
  seed: number;
  stateSeed: number;
  frameSeed: number;
  k: number;
  time: number;
  transient: number;
  frameTransient: number;
}

export interface SpectrumJobResult {
  N: number;
  g: number;
  seed: number;
  /** Recorded time after the burn-in (the settings' {T}). */
  time: number;
  exponents: number[];
  standardErrors: number[];
  kaplanYorke: number;
  entropyRate: number;
  seconds: number;
}

/** Leading k Lyapunov exponents of one network (flow, RK4 dt = 0.1). */
export async function spectrumJob(a: SpectrumJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<SpectrumJobResult> {
  const net = new RandomRateNetwork({ N: a.N, g: a.g, seed: a.seed });
  const sys = net.tangentSystem({ scheme: 'flow', dt: DT });
  const started = Date.now();
  // in a worker, report progress from the state evaluations (4 per RK4 step)
  const total = 4 * Math.round((a.transient + a.frameTransient + a.time) / DT);
  let calls = 0;
  const evaluate = ctx
    ? (x: Float64Array, out: Float64Array) => { sys.evaluate(x, out); if (++calls % 400 === 0) ctx.progress(calls / total, `g ${a.g}`); }
    : sys.evaluate;
  const r = lyapunovSpectrum({ ...sys, evaluate }, net.initialState(a.stateSeed), {
    k: a.k, time: a.time, dt: DT, transient: a.transient, frameTransient: a.frameTransient, seed: a.frameSeed,
    progress: !ctx, label: `Lyapunov spectrum g = ${a.g}`,
  });
  return {
    N: a.N, g: a.g, seed: a.seed, time: a.time, exponents: Array.from(r.exponents), standardErrors: Array.from(r.standardErrors),
    kaplanYorke: r.kaplanYorke, entropyRate: r.entropyRate, seconds: (Date.now() - started) / 1000,
  };
}

/**
 * The autocovariance of x averaged over units, at lags 0..maxLag samples
 * (each unit's own time mean removed; states samples x N, row-major).
 */
export function populationAutocovariance(states: Float64Array, samples: number, N: number, maxLag: number): Float64Array {
  checkInteger('samples', samples, 2);
  checkInteger('N', N, 1);
  checkInteger('maxLag', maxLag, 0, samples - 1);
  if (states.length < samples * N) throw new ArgumentError('states', `samples x N = ${samples * N} values`, states.length);
  const mean = new Float64Array(N);
  for (let t = 0; t < samples; t++) for (let i = 0; i < N; i++) mean[i] += states[t * N + i];
  for (let i = 0; i < N; i++) mean[i] /= samples;
  const out = new Float64Array(maxLag + 1);
  for (let l = 0; l <= maxLag; l++) {
    let s = 0;
    for (let t = 0; t + l < samples; t++) {
      const a = t * N, b = (t + l) * N;
      for (let i = 0; i < N; i++) s += (states[a + i] - mean[i]) * (states[b + i] - mean[i]);
    }
    out[l] = s / (N * (samples - l));
  }
  return out;
}

export interface DimensionJobArgs {
  N: number;
  g: number;
  seed: number;
  stateSeed: number;
  /** Recorded time, burn-in, sampling interval, blocks of the estimator, largest lag of the autocovariance. */
  time: number;
  transient: number;
  sampleEvery: number;
  blocks: number;
  maxLag: number;
}

export interface DimensionJobResult {
  N: number;
  g: number;
  seed: number;
  prX: number;
  prXError: number;
  prPhi: number;
  prPhiError: number;
  naiveX: number;
  naivePhi: number;
  lags: number[];
  autocovariance: number[];
  seconds: number;
}

/** One simulation: PR/N of x and phi(x) (cross-block) and the autocovariance of x. */
export async function dimensionJob(a: DimensionJobArgs, ctx?: Pick<JobContext, 'progress'>): Promise<DimensionJobResult> {
  const started = Date.now();
  const net = new RandomRateNetwork({ N: a.N, g: a.g, seed: a.seed });
  ctx?.progress(0, `g ${a.g}: simulating`);
  const tr = net.simulate(net.initialState(a.stateSeed), { scheme: 'flow', dt: DT }, {
    time: a.time, transient: a.transient, sampleEvery: a.sampleEvery, progress: !ctx, label: `simulation g = ${a.g}`,
    onProgress: ctx ? (f) => ctx.progress(0.8 * f, `g ${a.g}: simulating`) : undefined,
  });
  ctx?.progress(0.8, `g ${a.g}: estimating`);
  const ex = crossBlockParticipationRatio(tr.states, tr.samples, a.N, { blocks: a.blocks });
  const ep = crossBlockParticipationRatio(net.rates(tr.states), tr.samples, a.N, { blocks: a.blocks });
  const maxLag = Math.min(tr.samples - 1, Math.round(a.maxLag / tr.sampleTime));
  const ac = populationAutocovariance(tr.states, tr.samples, a.N, maxLag);
  return {
    N: a.N, g: a.g, seed: a.seed,
    prX: ex.pr / a.N, prXError: ex.standardError / a.N, prPhi: ep.pr / a.N, prPhiError: ep.standardError / a.N,
    naiveX: ex.naive! / a.N, naivePhi: ep.naive! / a.N,
    lags: Array.from(ac, (_, l) => l * tr.sampleTime), autocovariance: Array.from(ac), seconds: (Date.now() - started) / 1000,
  };
}

export interface TheoryJobArgs {
  g: number;
  tableNodes?: number;
  dz?: number;
  frequencies?: number;
  /** Lag spacing and largest lag of the returned Delta(tau) (default 0.5 and 30). */
  lagEvery?: number;
  maxLag?: number;
}

export interface TheoryJobResult {
  g: number;
  quiescent: boolean;
  variance: number;
  prX: number;
  prPhi: number;
  residual: number;
  lags: number[];
  autocovariance: number[];
  seconds: number;
}

/** Stationary DMFT and the two-site cavity PR/N at one g (flow). */
export async function theoryJob(a: TheoryJobArgs): Promise<TheoryJobResult> {
  const started = Date.now();
  const d = stationaryDmft({ g: a.g, tableNodes: a.tableNodes, quadrature: a.dz ? { dz: a.dz } : undefined });
  const pr = participationRatioTheory(d, { frequencies: a.frequencies });
  const every = checkNumber('lagEvery', a.lagEvery ?? 0.5, Number.MIN_VALUE), maxLag = checkNumber('maxLag', a.maxLag ?? 30, 0);
  const lags: number[] = [], ac: number[] = [];
  const h = d.lags[1];
  for (let t = 0; t <= maxLag + 1e-9; t += every) {
    const k = Math.round(t / h);
    lags.push(t);
    ac.push(k < d.autocovariance.length ? d.autocovariance[k] : 0);
  }
  return {
    g: a.g, quiescent: d.quiescent, variance: d.delta0, prX: pr.prX, prPhi: pr.prPhi, residual: d.residual,
    lags, autocovariance: ac, seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Rough run time in seconds: flops of the tangent GEMMs (4 per RK4 step, 2 N^2 k
 * each) at `gflops`, of the simulations' matrix-vector products (4 per step,
 * 2 N^2, at a quarter of that) and ~3 s per DMFT, shared by `workers`.
 */
export function estimatedRunSeconds(e: {
  spectra: { N: number; k: number; time: number }[]; simulations: { N: number; time: number }[]; theoryGains: number; workers: number; gflops?: number;
}): number {
  const rate = (e.gflops ?? 8) * 1e9;
  let flops = 0;
  for (const s of e.spectra) flops += (s.time / DT) * 4 * 2 * s.N * s.N * s.k;
  let mv = 0;
  for (const s of e.simulations) mv += (s.time / DT) * 4 * 2 * s.N * s.N + 3 * 2 * s.time * 2 * s.N * s.N;
  return (flops / rate + mv / (rate / 4) + 3 * e.theoryGains) / checkInteger('workers', e.workers, 1);
}

// ---------------------------------------------------------------------------
// Figures and the table

/** Exponent i against i / N, one line per network. */
export function spectraFigure(spectra: readonly SpectrumJobResult[]): Figure {
  return line(spectra.map((s) => ({ x: s.exponents.map((_, i) => (i + 1) / s.N), y: s.exponents, name: `g = ${s.g} (N = ${s.N})`, mode: 'lines' as const })), {
    title: 'Leading Lyapunov exponents', xLabel: 'i / N', yLabel: 'lambda_i (1 / tau)',
  });
}

/** lambda_1 (with 2 standard errors) against g, and the zero line: chaos begins at g = 1. */
export function lambda1Figure(spectra: readonly SpectrumJobResult[]): Figure {
  const byN = [...new Set(spectra.map((s) => s.N))];
  const series: LineSeries[] = byN.map((N) => {
    const rows = spectra.filter((s) => s.N === N).sort((a, b) => a.g - b.g);
    return { x: rows.map((r) => r.g), y: rows.map((r) => r.exponents[0]), error: rows.map((r) => 2 * r.standardErrors[0]), name: `lambda_1, N = ${N}`, mode: 'lines+markers' };
  });
  const gs = spectra.map((s) => s.g);
  series.push({ x: [Math.min(...gs), Math.max(...gs)], y: [0, 0], name: 'zero', dash: 'dash', color: '#888' });
  return line(series, { title: 'Largest Lyapunov exponent against g', xLabel: 'g', yLabel: 'lambda_1 (1 / tau)' });
}

/** Delta(tau) from DMFT (lines) beside the simulations (markers), per g. */
export function autocovarianceFigure(theory: readonly TheoryJobResult[], sims: readonly DimensionJobResult[]): Figure {
  const series: LineSeries[] = [];
  theory.forEach((t, i) => {
    series.push({ x: t.lags, y: t.autocovariance, name: `DMFT g = ${t.g}`, color: undefined, mode: 'lines' });
    const s = sims.find((r) => r.g === t.g);
    if (s) series.push({ x: s.lags, y: s.autocovariance, name: `simulation g = ${s.g} (N = ${s.N})`, mode: 'markers', dash: i % 2 ? 'dot' : 'solid' });
  });
  return line(series, { title: 'Autocovariance of x: DMFT and simulation', xLabel: 'lag tau', yLabel: 'Delta(tau)' });
}

/** PR/N against g: theory curves, simulations (2 s.e.) and the published N = 16384 values (mean, half-range of 2 seeds). */
export function dimensionFigure(theory: readonly TheoryJobResult[], sims: readonly DimensionJobResult[]): Figure {
  const t = [...theory].sort((a, b) => a.g - b.g);
  const byG = [...sims].sort((a, b) => a.g - b.g);
  const pub = Object.entries(PUBLISHED_PR).map(([g, v]) => ({ g: Number(g), x: (v.x[0] + v.x[1]) / 2, phi: (v.phi[0] + v.phi[1]) / 2, dx: Math.abs(v.x[1] - v.x[0]) / 2, dphi: Math.abs(v.phi[1] - v.phi[0]) / 2 }));
  return line([
    { x: t.map((r) => r.g), y: t.map((r) => r.prX), name: 'theory, x', mode: 'lines' },
    { x: t.map((r) => r.g), y: t.map((r) => r.prPhi), name: 'theory, phi(x)', mode: 'lines' },
    { x: byG.map((r) => r.g), y: byG.map((r) => r.prX), error: byG.map((r) => 2 * r.prXError), name: 'simulation, x', mode: 'markers' },
    { x: byG.map((r) => r.g), y: byG.map((r) => r.prPhi), error: byG.map((r) => 2 * r.prPhiError), name: 'simulation, phi(x)', mode: 'markers' },
    { x: pub.map((p) => p.g), y: pub.map((p) => p.x), error: pub.map((p) => p.dx), name: 'published (N = 16384, 2 seeds), x', mode: 'markers' },
    { x: pub.map((p) => p.g), y: pub.map((p) => p.phi), error: pub.map((p) => p.dphi), name: 'published (N = 16384, 2 seeds), phi(x)', mode: 'markers' },
  ], { title: 'Dimension of activity: participation ratio / N', xLabel: 'g', yLabel: 'PR / N' });
}

/** Paper against measured: PR/N per published g (theory, simulation), and the sign of lambda_1 per g. */
export function reproductionRows(r: {
  theory: readonly TheoryJobResult[]; sims: readonly DimensionJobResult[]; spectra: readonly SpectrumJobResult[]; simSettings: string; spectrumSettings: string;
}): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  const fmt = (v: number) => v.toFixed(4);
  for (const [gs, p] of Object.entries(PUBLISHED_PR)) {
    const g = Number(gs);
    const t = r.theory.find((x) => x.g === g), s = r.sims.find((x) => x.g === g);
    if (!t && !s) continue;
    for (const which of ['x', 'phi'] as const) {
      const th = t ? (which === 'x' ? t.prX : t.prPhi) : null;
      const sim = s ? (which === 'x' ? `${fmt(s.prX)} +- ${fmt(s.prXError)}` : `${fmt(s.prPhi)} +- ${fmt(s.prPhiError)}`) : '-';
      rows.push({
        quantity: `PR/N of ${which === 'x' ? 'x' : 'phi(x)'}, g = ${g}`, paper: `${fmt(p[which][0])} / ${fmt(p[which][1])} (simulations, N = 16384, seeds 0 / 1)`,
        theory: th === null ? '-' : fmt(th), measured: sim, settings: s ? r.simSettings.replace('{N}', String(s.N)) : 'theory only',
      });
    }
  }
  for (const s of [...r.spectra].sort((a, b) => a.N - b.N || a.g - b.g)) {
    rows.push({
      quantity: `lambda_1, g = ${s.g}`, paper: s.g > 1 ? '> 0 (chaos for g > 1)' : '< 0 (quiescent for g < 1)', theory: '-',
      measured: `${s.exponents[0].toFixed(4)} +- ${s.standardErrors[0].toFixed(4)} (KY dimension ${s.kaplanYorke.toFixed(1)})`,
      settings: r.spectrumSettings.replace('{N}', String(s.N)).replace('{k}', String(s.exponents.length)).replace('{T}', String(s.time)),
    });
  }
  return rows;
}
