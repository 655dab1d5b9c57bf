/**
 * Topology of a network's fixed points as a labelled graph, and a distance
 * between two such graphs (Maheswaranathan et al. 2019, arXiv 1907.08549:
 * networks differ in geometry but share a topology).
 *
 * Graph: one node per fixed point, labelled by its stability -- 'stable',
 * 'marginal', or 'unstable:k' with k unstable modes (FixedPoints'
 * classes, tolerance included); one undirected edge per transition found by
 * `topologyGraph` (the walk from a point along +-each unstable eigenvector:
 * an edge to the first fixed point it passes, else to the stable point it
 * ends at). The first point makes the graph deterministic: a walk from a
 * 2-mode saddle passes a 1-mode saddle, after which rounding picks the corner.
 * Repeated edges and self-loops are dropped.
 *
 * Distance (Weisfeiler-Lehman subtree kernel, Shervashidze et al. 2011):
 * labels are refined H times, l_{h+1}(v) = hash(l_h(v), sorted multiset of
 * l_h over v's neighbours); phi(G) counts every label of rounds 0..H;
 *
 *   k(G, G') = phi(G) . phi(G'),   d(G, G') = 1 - k(G, G') / sqrt(k(G, G) k(G', G'))   in [0, 1]
 *
 * d is 0 for isomorphic graphs with the same node labels (any relabelling of
 * the nodes) and positive when the multisets of refined labels differ -- e.g.
 * the cube (every node degree 3) against a path (degrees 1 and 2). Like every
 * 1-WL test it cannot separate some regular graphs of equal size and labels
 * (two disjoint triangles against one 6-cycle: both 2-regular); such pairs get 0.
 * Labels are hashed (FNV-1a, 53 bits) so a graph's features depend on that
 * graph alone: pairs can be computed in any process.
 *
 * A population's distance matrix runs on lib/core's worker pool (local
 * processes or Slurm, unchanged): `topologyDistanceMatrix` splits the pairs
 * into jobs of `topologyDistanceJob`.
 *
 * Exports: FixedPointGraph, fixedPointGraph, weisfeilerLehmanFeatures,
 * topologyDistance, topologyDistanceJob, topologyDistanceMatrix.
 */
import { ArgumentError, Job, RunOptions, checkInteger, jobValues, runJobs } from '../core';
import { TopologyGraph } from './analysis';
import { FixedPoints } from './fixed-points';

/** A fixed-point graph as plain data (structured-cloneable, JSON-safe). */
export interface FixedPointGraph {
  /** Node labels: 'stable', 'marginal' or 'unstable:k'. */
  labels: string[];
  /** Undirected edges [i, j], i < j, each once. */
  edges: [number, number][];
}

/** The graph of `fp` with the transitions of `graph` (topologyGraph(system, fp)). */
export function fixedPointGraph(fp: FixedPoints, graph: TopologyGraph): FixedPointGraph {
  if (!(fp instanceof FixedPoints)) throw new ArgumentError('fp', 'a FixedPoints', fp);
  if (!graph || !Array.isArray(graph.edges)) throw new ArgumentError('graph', 'a TopologyGraph (topologyGraph(system, fp))', graph);
  const n = fp.length;
  if (n === 0) return { labels: [], edges: [] };
  const classes = fp.stabilityClass;
  const unstable = fp.numUnstable;
  const labels = classes.map((c, i) => (c === 'unstable' ? `unstable:${unstable[i]}` : c));
  const seen = new Set<string>();
  const edges: [number, number][] = [];
  graph.edges.forEach((e, k) => {
    // The first point passed: from a 2-mode saddle that is a 1-mode saddle, not whichever corner noise picks after it.
    const to = e.to >= 0 ? e.to : e.reachedStable;
    if (to < 0) return;
    if (!(Number.isInteger(e.from) && e.from >= 0 && e.from < n && to < n)) throw new ArgumentError(`graph.edges[${k}]`, `indices of the ${n} points of fp`, e);
    if (to === e.from) return;
    const a = Math.min(e.from, to), b = Math.max(e.from, to);
    if (!seen.has(`${a},${b}`)) {
      seen.add(`${a},${b}`);
      edges.push([a, b]);
    }
  });
  return { labels, edges };
}

/** FNV-1a over a string, folded to 53 bits (a float-exact integer), as a base-36 string. */
function hashLabel(s: string): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return ((h2 & 0x1fffff) * 2 ** 32 + h1).toString(36);
}

function checkGraph(name: string, g: FixedPointGraph): void {
  if (!g || !Array.isArray(g.labels) || !Array.isArray(g.edges)) throw new ArgumentError(name, 'a FixedPointGraph { labels, edges }', g);
  const n = g.labels.length;
  g.labels.forEach((l, i) => { if (typeof l !== 'string') throw new ArgumentError(`${name}.labels[${i}]`, 'a string', l); });
  g.edges.forEach((e, k) => {
    if (!Array.isArray(e) || e.length !== 2 || !e.every((v) => Number.isInteger(v) && v >= 0 && v < n)) {
      throw new ArgumentError(`${name}.edges[${k}]`, `a pair of node indices in [0, ${n - 1}]`, e);
    }
  });
}

/** WL feature counts of a graph: label (round-prefixed) -> count over rounds 0..iterations. */
export function weisfeilerLehmanFeatures(g: FixedPointGraph, iterations = 3): Map<string, number> {
  checkGraph('g', g);
  checkInteger('iterations', iterations, 0, 20);
  const n = g.labels.length;
  const nbrs: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of g.edges) {
    if (a === b) continue;
    nbrs[a].push(b);
    nbrs[b].push(a);
  }
  const features = new Map<string, number>();
  let labels = g.labels.map((l) => hashLabel(`0|${l}`));
  for (let h = 0; ; h++) {
    for (const l of labels) features.set(l, (features.get(l) ?? 0) + 1);
    if (h === iterations) break;
    labels = labels.map((l, v) => hashLabel(`${h + 1}|${l}|${nbrs[v].map((u) => labels[u]).sort().join(',')}`));
  }
  return features;
}

function dot(a: Map<string, number>, b: Map<string, number>): number {
  let s = 0;
  for (const [k, v] of a) s += v * (b.get(k) ?? 0);
  return s;
}

/** 1 - normalised WL kernel of two fixed-point graphs (see the header); 0 for two empty graphs. */
export function topologyDistance(a: FixedPointGraph, b: FixedPointGraph, o: { iterations?: number } = {}): number {
  checkGraph('a', a);
  checkGraph('b', b);
  const it = checkInteger('iterations', o.iterations ?? 3, 0, 20);
  if (a.labels.length === 0 && b.labels.length === 0) return 0;
  if (a.labels.length === 0 || b.labels.length === 0) return 1;
  const fa = weisfeilerLehmanFeatures(a, it), fb = weisfeilerLehmanFeatures(b, it);
  const d = 1 - dot(fa, fb) / Math.sqrt(dot(fa, fa) * dot(fb, fb));
  return Math.max(0, d);
}

/** Pool job: the distances of the pairs (i, j) listed in `pairs` (flat i0, j0, i1, j1, ...). */
export function topologyDistanceJob(args: { graphs: FixedPointGraph[]; pairs: number[]; iterations?: number }): number[] {
  const out: number[] = [];
  for (let k = 0; k < args.pairs.length; k += 2) out.push(topologyDistance(args.graphs[args.pairs[k]], args.graphs[args.pairs[k + 1]], { iterations: args.iterations }));
  return out;
}

/** The module path the pool loads for `topologyDistanceJob`. */
const TOPOLOGY_MODULE = 'lib/dynamics/topology';

/**
 * Pairwise topology distances of a population's graphs as a flat n x n
 * matrix (symmetric, zero diagonal), the pairs split into `jobs` pool jobs
 * (default 4, at most one per pair). `run` passes through
 * to runJobs (progress, signal, Slurm run folder).
 */
export async function topologyDistanceMatrix(graphs: readonly FixedPointGraph[], o: { iterations?: number; jobs?: number; run?: RunOptions } = {}): Promise<Float64Array> {
  if (!Array.isArray(graphs)) throw new ArgumentError('graphs', 'an array of FixedPointGraph', graphs);
  graphs.forEach((g, i) => checkGraph(`graphs[${i}]`, g));
  const iterations = checkInteger('iterations', o.iterations ?? 3, 0, 20);
  const n = graphs.length;
  const D = new Float64Array(n * n);
  const pairs: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push(i, j);
  const count = pairs.length / 2;
  if (count === 0) return D;
  const jobs = Math.min(count, checkInteger('jobs', o.jobs ?? 4, 1));
  const per = Math.ceil(count / jobs);
  const list: Job[] = [];
  for (let s = 0; s < count; s += per) list.push({ module: TOPOLOGY_MODULE, export: 'topologyDistanceJob', args: { graphs, pairs: pairs.slice(2 * s, 2 * Math.min(count, s + per)), iterations } });
  const values = jobValues(await runJobs<number[]>(list, { progress: false, ...(o.run ?? {}) })).flat();
  values.forEach((d, k) => {
    const i = pairs[2 * k], j = pairs[2 * k + 1];
    D[i * n + j] = D[j * n + i] = d;
  });
  return D;
}
