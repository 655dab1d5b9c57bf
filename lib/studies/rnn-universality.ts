/**
 * Study: universality and individuality in populations of trained RNNs
 * (notebooks/rnn-universality.ipynb; Maheswaranathan, Williams, Golub, Ganguli
 * & Sussillo 2019, arXiv 1907.08549). Networks of several architectures,
 * trained on the same task, differ in the geometry of their hidden states but
 * share the topology of their fixed points. The maths is lib/dynamics
 * (training, finder, topology graph and distance, populations on the pool)
 * and lib/geometry (SVCCA, MDS, silhouette); this file holds what the
 * notebook computes around the calls:
 *
 *   member job       universalityMember: train one network (task, architecture, seed), record its
 *                    hidden states on a probe set of trials shared by every member (SVCCA),
 *                    search its fixed points per held input, build its fixed-point graph
 *   geometry         d_SVCCA(i, j) = 1 - mean canonical correlation of the two members' hidden
 *                    states (top PCs keeping 99% of the variance each), rows = probe samples
 *   topology         d_topo(i, j) = topologyDistance of their fixed-point graphs (WL kernel)
 *   embedding        classical MDS of each distance matrix into 2-D
 *   separation       silhouette of the architecture labels on each distance matrix (defined
 *                    before any run): near 1 = clusters by architecture, near 0 = none
 *   sine frequency   per held cue input j (omega_j = minOmega + j (maxOmega - minOmega)/(F - 1)),
 *                    the found point whose top eigenvalue is complex with the largest |lambda|;
 *                    its rotation per step |arg lambda| against omega_j
 *   slow modes       context integration: per slow point the number of eigenvalues with
 *                    |lambda| > exp(-1/T) (time constant longer than the T-step trial), the
 *                    median over points per network, then per architecture
 *
 * Jobs: `{ module: STUDY_MODULE, export: 'universalityMember' }` through lib/dynamics'
 * runPopulation (results saved per member under the run's folder; a rerun resumes).
 *
 * Exports: STUDY_MODULE, UniversalityTask, TaskSettings, MemberResult, universalityMember,
 * computeMember, runTask, hiddenStates, sineAngles, slowModeCount, sineCues, svccaDistances,
 * geometryAndTopology, TaskAnalysis, estimatedRunSeconds, mdsFigure, sineFrequencyFigure,
 * slowModesFigure, PAPER_CLAIMS, reproductionRows.
 */
import { ArgumentError, JobContext, RunOptions, checkInteger, checkNumber, formatMedianRange, initBackend, median } from '../core';
import {
  CellKind, FixedPointGraph, FixedPoints, PopulationMember, RecurrentNetwork, TaskName, fixedPointGraph, findNetworkFixedPoints,
  populationJob, populationMembers, runPopulation, topologyDistanceMatrix, topologyGraph, trainNetwork, trajectoryStates,
} from '../dynamics';
import { classicalMds, silhouette, svcca } from '../geometry';
import { Figure, line, scatter } from '../plot';

/** The module path the pool loads for this study's jobs. */
export const STUDY_MODULE = 'lib/studies/rnn-universality';

export type UniversalityTask = 'flipFlop' | 'sineWave' | 'contextIntegration';

const TASK_SIZES: Record<UniversalityTask, { inputSize: number; outputSize: number }> = {
  flipFlop: { inputSize: 3, outputSize: 3 },
  sineWave: { inputSize: 1, outputSize: 1 },
  contextIntegration: { inputSize: 4, outputSize: 1 },
};

/** Everything one task's members share (the settings hashed into each member's result file). */
export interface TaskSettings {
  task: UniversalityTask;
  /** Task generator options (steps per trial, ...). */
  taskOptions: Record<string, unknown>;
  units: number;
  /** Training: updates, batch, fixed training set (0: fresh trials), adaptive learning rate start, stop loss. */
  trainSteps: number;
  batch: number;
  trainingTrials: number;
  learningRate: number;
  stopLoss: number;
  /** Probe trials for SVCCA (the same seed for every member). */
  probeTrials: number;
  probeSeed: number;
  /** Fixed-point search: trials seeding it, initial states, noise, iterations, and per held input. */
  searchTrials: number;
  initialStates: number;
  noise: number;
  maxIters: number;
  /** Inputs held during the searches (one search each); the topology graph uses `inputs[graphInput]`. */
  inputs: number[][];
  graphInput: number;
  /** Slow-point search (integration): accept q below this and skip Newton; absent: fixed points (finder defaults). */
  slowQ?: number;
}

export interface InputSearch {
  input: number[];
  points: number;
  counts: { stable: number; marginal: number; unstable: number };
  /** Sine: |arg lambda| of the complex top eigenvalue with the largest |lambda| among the points (null: none complex). */
  angle: number | null;
  /** Integration: median over the points of the number of slow modes (null: no points). */
  slowModes: number | null;
}

export interface MemberResult {
  task: UniversalityTask;
  arch: CellKind;
  seed: number;
  finalLoss: number;
  trainSteps: number;
  trainSeconds: number;
  /** Hidden states on the probe trials [samples x units] (for the LSTM: h, not c). */
  states: number[];
  units: number;
  searches: InputSearch[];
  graph: FixedPointGraph;
  seconds: number;
}

/** The hidden part of flat states [m x stateSize]: for the LSTM (state [c, h]) the last `units` columns. */
export function hiddenStates(states: ArrayLike<number>, stateSize: number, units: number): Float32Array {
  checkInteger('stateSize', stateSize, 1);
  checkInteger('units', units, 1, stateSize);
  if (states.length % stateSize !== 0) throw new ArgumentError('states', `a flat array of m x ${stateSize} values`, states);
  const m = states.length / stateSize;
  const out = new Float32Array(m * units);
  const off = stateSize - units;
  for (let i = 0; i < m; i++) for (let j = 0; j < units; j++) out[i * units + j] = states[i * stateSize + off + j];
  return out;
}

/** |arg lambda| of the complex top eigenvalue with the largest |lambda| over the points (null when no point has one). */
export function sineAngles(fp: FixedPoints): number | null {
  let best: { mag: number; angle: number } | null = null;
  for (let i = 0; i < fp.length; i++) {
    const e = fp.eigen![i];
    for (let j = 0; j < e.re.length; j++) {
      if (e.im[j] === 0) continue;
      const mag = Math.hypot(e.re[j], e.im[j]);
      if (!best || mag > best.mag) best = { mag, angle: Math.abs(Math.atan2(e.im[j], e.re[j])) };
      break; // eigenvalues are sorted by |lambda|: the first complex one is this point's top complex mode
    }
  }
  return best ? best.angle : null;
}

/** Number of eigenvalues with |lambda| > exp(-1/T) at point i (time constant beyond a T-step trial). */
export function slowModeCount(fp: FixedPoints, i: number, trialSteps: number): number {
  const threshold = Math.exp(-1 / checkNumber('trialSteps', trialSteps, 0));
  return fp.eigenvalueMagnitudes(i).reduce((c, m) => c + (m > threshold ? 1 : 0), 0);
}

/** Trial length of a task's settings (the generators' defaults when not set). */
function trialSteps(s: TaskSettings): number {
  const d = { flipFlop: 64, sineWave: 100, contextIntegration: 25 }[s.task];
  return Number(s.taskOptions.steps ?? d);
}

/** One member: train, probe, search, graph (plain data). Seeds: network 100 + s, training 200 + s, search 300 + s. */
export async function computeMember(member: PopulationMember & { task: UniversalityTask }, s: TaskSettings, ctx?: JobContext): Promise<MemberResult> {
  const t0 = Date.now();
  await initBackend({ print: false });
  const sizes = TASK_SIZES[member.task];
  if (!sizes || s.task !== member.task) throw new ArgumentError('member.task', `the settings' task ${s.task}`, member.task);
  const net = RecurrentNetwork.create({
    kind: member.arch, units: s.units, ...sizes, seed: 100 + member.seed,
    ...(member.task === 'contextIntegration' ? { recurrentScale: 0.8, trainInitialState: false } : {}),
  });
  try {
    const train = trainNetwork(net, {
      task: s.task as TaskName, taskOptions: s.taskOptions, steps: s.trainSteps, batchSize: s.batch, trainingTrials: s.trainingTrials,
      learningRate: { kind: 'adaptive', rate: s.learningRate, minRate: 1e-5 }, adamEpsilon: 1e-3, clipNorm: 1, stopLoss: s.stopLoss,
      seed: 200 + member.seed, progress: false,
      onProgress: ctx ? (i) => ctx.progress((0.7 * i.step) / i.steps, `${member.arch} ${member.task} loss ${i.loss.toExponential(2)}`) : undefined,
    });
    const states = hiddenStates(trajectoryStates(net, s.task as TaskName, { trials: s.probeTrials, seed: s.probeSeed, taskOptions: s.taskOptions }), net.stateSize, s.units);
    const slow = s.slowQ !== undefined;
    const searches = findNetworkFixedPoints(net, {
      task: s.task as TaskName, taskOptions: s.taskOptions, trials: s.searchTrials, initialStates: s.initialStates, noise: s.noise, seed: 300 + member.seed,
      inputs: s.inputs,
      finder: slow ? { maxIters: s.maxIters, tolQ: s.slowQ, acceptQ: s.slowQ, newtonSteps: 0 } : { maxIters: s.maxIters },
    }, ctx ? (f, m) => ctx.progress(0.7 + 0.3 * f, m) : undefined);
    const T = trialSteps(s);
    const perInput: InputSearch[] = searches.map((r, k) => {
      const fp = r.fixedPoints;
      const n = fp.length;
      return {
        input: s.inputs[k],
        points: n,
        counts: n > 0 ? fp.stabilityCounts : { stable: 0, marginal: 0, unstable: 0 },
        angle: n > 0 ? sineAngles(fp) : null,
        slowModes: n > 0 ? median(Array.from({ length: n }, (_, i) => slowModeCount(fp, i, T))) : null,
      };
    });
    const gfp = searches[s.graphInput].fixedPoints;
    const graph = gfp.length > 0 ? fixedPointGraph(gfp, topologyGraph(net.cell, gfp)) : { labels: [], edges: [] };
    return {
      task: member.task, arch: member.arch, seed: member.seed, finalLoss: train.finalLoss, trainSteps: train.steps, trainSeconds: train.wallSeconds,
      states: Array.from(states), units: s.units, searches: perInput, graph, seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    net.dispose();
  }
}

/** The pool job: computeMember, its result saved under the run's folder (lib/dynamics populationJob). */
export const universalityMember = populationJob(computeMember);

/** One task's population (archs x tanh x seeds) on the pool, resuming from `outDir`; results in member order. */
export async function runTask(s: TaskSettings, o: { archs: readonly CellKind[]; seeds: readonly number[]; outDir: string; run?: RunOptions }): Promise<MemberResult[]> {
  const members = populationMembers({ archs: o.archs, seeds: o.seeds }).map((m) => ({ task: s.task, ...m }));
  const results = await runPopulation<typeof members[number], TaskSettings, MemberResult>({
    members, settings: s, outDir: o.outDir, job: { module: STUDY_MODULE, export: 'universalityMember' }, run: { progress: `${s.task} population`, ...(o.run ?? {}) },
  });
  return results.map((r) => r.result);
}

/** SVCCA distances between every pair of members' probe states (flat n x n). */
export function svccaDistances(members: readonly Pick<MemberResult, 'states' | 'units'>[], varianceKept = 0.99): Float64Array {
  const n = members.length;
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    D[i * n + j] = D[j * n + i] = Math.max(0, svcca(members[i].states, members[i].units, members[j].states, members[j].units, { varianceKept }).distance);
  }
  return D;
}

export interface TaskAnalysis {
  archs: CellKind[];
  svcca: { distances: Float64Array; mds: Float64Array; silhouette: number };
  topology: { distances: Float64Array; mds: Float64Array; silhouette: number };
}

/** SVCCA and topology distances, their 2-D MDS and the architecture silhouette of each (topology on the pool). */
export async function geometryAndTopology(members: readonly MemberResult[], run?: RunOptions): Promise<TaskAnalysis> {
  const n = members.length;
  if (n < 3) throw new ArgumentError('members', 'at least 3 members', n);
  const archs = members.map((m) => m.arch);
  const sv = svccaDistances(members);
  const topo = await topologyDistanceMatrix(members.map((m) => m.graph), { run });
  const k = Math.min(2, n);
  return {
    archs,
    svcca: { distances: sv, mds: classicalMds(sv, n, k).coordinates, silhouette: silhouette(sv, n, archs).score },
    topology: { distances: topo, mds: classicalMds(topo, n, k).coordinates, silhouette: silhouette(topo, n, archs).score },
  };
}

/** Sine cue inputs for frequency indices `js` of `frequencies` (sineWave's encoding j / F + 0.25; the test checks it against the generator), and their omega. */
export function sineCues(js: readonly number[], o: { frequencies?: number; minOmega?: number; maxOmega?: number } = {}): { inputs: number[][]; omega: number[] } {
  const F = checkInteger('frequencies', o.frequencies ?? 51, 2);
  const lo = o.minOmega ?? 0.1, hi = o.maxOmega ?? 0.6;
  js.forEach((j, i) => checkInteger(`js[${i}]`, j, 0, F - 1));
  return { inputs: js.map((j) => [j / F + 0.25]), omega: js.map((j) => lo + (j * (hi - lo)) / (F - 1)) };
}

/**
 * PAPER-mode estimate in seconds: members x (training + search) seconds per
 * member at `memberSeconds` (measured in default mode), over `workers`.
 */
export function estimatedRunSeconds(e: { members: number; memberSeconds: number; workers: number }): number {
  return (checkInteger('members', e.members, 1) * checkNumber('memberSeconds', e.memberSeconds, 0)) / checkInteger('workers', e.workers, 1);
}

// ---------------------------------------------------------------------------
// Figures and the table

const ARCH_COLORS: Record<string, string> = { vanilla: '#1f77b4', gru: '#ff7f0e', lstm: '#2ca02c', ugrnn: '#d62728' };

/** 2-D MDS coordinates, one marker per member, coloured by architecture. */
export function mdsFigure(coords: Float64Array, archs: readonly string[], title: string): Figure {
  const kinds = [...new Set(archs)];
  return scatter(kinds.map((a) => {
    const idx = archs.map((x, i) => (x === a ? i : -1)).filter((i) => i >= 0);
    return { x: idx.map((i) => coords[2 * i]), y: idx.map((i) => coords[2 * i + 1]), name: a, color: ARCH_COLORS[a], size: 10 };
  }), { title, xLabel: 'MDS 1', yLabel: 'MDS 2' });
}

/** Rotation per step of the top complex eigenvalue against the cued output frequency, per architecture, with the identity. */
export function sineFrequencyFigure(members: readonly MemberResult[], omega: readonly number[]): Figure {
  const kinds = [...new Set(members.map((m) => m.arch))];
  const series = kinds.map((a) => {
    const xs: number[] = [], ys: number[] = [];
    for (const m of members.filter((x) => x.arch === a)) m.searches.forEach((s, k) => { if (s.angle !== null) { xs.push(omega[k]); ys.push(s.angle); } });
    return { x: xs, y: ys, name: a, color: ARCH_COLORS[a], mode: 'markers' as const };
  });
  const lo = Math.min(...omega), hi = Math.max(...omega);
  return line([...series, { x: [lo, hi], y: [lo, hi], name: '|arg lambda| = omega', color: '#000', dash: 'dash' }],
    { title: 'Sine task: rotation of the top complex eigenvalue vs the output frequency', xLabel: 'output frequency omega (rad / step)', yLabel: '|arg lambda_1| (rad / step)' });
}

/** Median number of slow modes per network, by architecture (one marker per network and context). */
export function slowModesFigure(members: readonly MemberResult[]): Figure {
  const kinds = [...new Set(members.map((m) => m.arch))];
  return scatter(kinds.map((a, k) => {
    const ys = members.filter((m) => m.arch === a).flatMap((m) => m.searches.map((s) => s.slowModes).filter((v): v is number => v !== null));
    return { x: ys.map(() => k), y: ys, name: a, color: ARCH_COLORS[a], size: 10 };
  }), { title: 'Context integration: slow modes per slow point (median per network and context)', xLabel: 'architecture', yLabel: 'slow modes (|lambda| > exp(-1/T))', xInteger: true });
}

/** The paper's findings this study checks (arXiv 1907.08549; qualitative, read from its text and figures). */
export const PAPER_CLAIMS = {
  svccaClusters: 'SVCCA geometry clusters by architecture (MDS, Fig. 2-4)',
  topologyShared: 'fixed-point topology is shared across architectures (MDS of topology distances does not separate them)',
  flipFlopStable: '8 stable fixed points (one per memory) in every trained flip-flop network',
  sineAngle: 'the top eigenvalue at the input-dependent fixed point rotates at the output frequency',
  integrationSlowModes: 'vanilla networks integrate along one slow mode; gated networks spread it over several',
} as const;

/** Median (range) over members of a per-member number. */
function summary(values: number[]): string {
  return values.length > 0 ? formatMedianRange(values, { digits: 3 }) : 'none';
}

/** Reproduction-table rows: paper claim, measured, settings. */
export function reproductionRows(r: {
  analyses: Partial<Record<UniversalityTask, TaskAnalysis>>;
  members: Partial<Record<UniversalityTask, MemberResult[]>>;
  sineOmega?: number[];
  settings: string;
}): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const task of ['flipFlop', 'sineWave'] as const) {
    const a = r.analyses[task];
    if (!a) continue;
    rows.push({ quantity: `${task}: silhouette by architecture, SVCCA`, paper: PAPER_CLAIMS.svccaClusters, measured: a.svcca.silhouette.toFixed(3), settings: r.settings });
    rows.push({ quantity: `${task}: silhouette by architecture, topology`, paper: PAPER_CLAIMS.topologyShared, measured: a.topology.silhouette.toFixed(3), settings: r.settings });
  }
  const ff = r.members.flipFlop;
  if (ff) rows.push({ quantity: 'flipFlop: stable fixed points per network', paper: PAPER_CLAIMS.flipFlopStable, measured: summary(ff.map((m) => m.searches[0].counts.stable)), settings: r.settings });
  const sw = r.members.sineWave;
  if (sw && r.sineOmega) {
    const err = sw.flatMap((m) => m.searches.map((s, k) => (s.angle === null ? null : Math.abs(s.angle - r.sineOmega![k]) / r.sineOmega![k])).filter((v): v is number => v !== null));
    rows.push({ quantity: 'sineWave: |arg lambda_1 - omega| / omega', paper: PAPER_CLAIMS.sineAngle, measured: `${summary(err)} over ${err.length} (network, input) pairs`, settings: r.settings });
  }
  const ci = r.members.contextIntegration;
  if (ci) {
    for (const a of [...new Set(ci.map((m) => m.arch))]) {
      const v = ci.filter((m) => m.arch === a).flatMap((m) => m.searches.map((s) => s.slowModes).filter((x): x is number => x !== null));
      rows.push({ quantity: `contextIntegration: slow modes, ${a}`, paper: PAPER_CLAIMS.integrationSlowModes, measured: summary(v), settings: r.settings });
    }
  }
  return rows;
}
