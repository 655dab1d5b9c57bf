/**
 * Topology distance (WL kernel on fixed-point graphs) against cases with known
 * answers: 0 for relabelled copies of one graph (cube, and the 27-point graph
 * of the hand-built flip-flop network under two different rotations and
 * gains), positive for the cube against a path, the value of a two-node path
 * against one node computed by hand, the documented 1-WL blind spot, and the
 * pool's distance matrix equal to the pairs computed in this process.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { closeDefaultPool, initBackend, Rng } from '../../lib/core';
import {
  FixedPointFinder, fixedPointGraph, selfExcitingUnits, topologyDistance, topologyDistanceMatrix, topologyGraph, weisfeilerLehmanFeatures,
} from '../../lib/dynamics';
import type { FixedPointGraph } from '../../lib/dynamics';

const cube = (): FixedPointGraph => {
  const edges: [number, number][] = [];
  for (let a = 0; a < 8; a++) for (let b = a + 1; b < 8; b++) if ([1, 2, 4].includes(a ^ b)) edges.push([a, b]);
  return { labels: new Array(8).fill('stable'), edges };
};
const path = (n: number): FixedPointGraph => ({ labels: new Array(n).fill('stable'), edges: Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]) });

/** The same graph with nodes renamed by a seeded permutation, edges reversed and shuffled. */
function relabel(g: FixedPointGraph, seed: number): FixedPointGraph {
  const rng = new Rng(seed);
  const n = g.labels.length;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = rng.int(i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  const labels = new Array<string>(n);
  g.labels.forEach((l, i) => (labels[perm[i]] = l));
  const edges = g.edges.map(([a, b]) => [perm[b], perm[a]] as [number, number]);
  for (let i = edges.length - 1; i > 0; i--) { const j = rng.int(i + 1); [edges[i], edges[j]] = [edges[j], edges[i]]; }
  return { labels, edges };
}

test('topology distance: 0 for relabelled copies, positive for the cube against a path, a hand-computed value', () => {
  const c = cube();
  assert.equal(topologyDistance(c, relabel(c, 1)), 0);
  assert.equal(topologyDistance(c, c), 0);
  const d = topologyDistance(c, path(8));
  assert.ok(d > 0.3, `cube vs path ${d}`);
  assert.ok(Math.abs(topologyDistance(c, path(8)) - topologyDistance(path(8), c)) < 1e-15);
  // Labels matter: the cube with one corner marked unstable is another graph.
  const marked = { ...c, labels: c.labels.map((l, i) => (i === 0 ? 'unstable:1' : l)) };
  assert.ok(topologyDistance(c, marked) > 0);
  // Relabelling graphs whose nodes differ (degrees, labels): neighbour multisets must be compared unordered.
  for (const seed of [2, 3, 4]) {
    assert.equal(topologyDistance(marked, relabel(marked, seed)), 0);
    assert.equal(topologyDistance(path(8), relabel(path(8), seed)), 0);
  }
  // By hand, iterations 1: P2 has features {x: 2, (x; x): 2}, one node {x: 1, (x; ): 1}: k = 2, norms sqrt(8), sqrt(2): d = 1 - 2/4.
  assert.ok(Math.abs(topologyDistance(path(2), path(1), { iterations: 1 }) - 0.5) < 1e-15);
  // Feature counts: n nodes per round.
  const f = weisfeilerLehmanFeatures(c, 2);
  assert.equal([...f.values()].reduce((s, v) => s + v, 0), 3 * 8);
  // 1-WL's blind spot (documented): two triangles against a 6-cycle.
  const triangles: FixedPointGraph = { labels: new Array(6).fill('stable'), edges: [[0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5]] };
  const cycle: FixedPointGraph = { labels: new Array(6).fill('stable'), edges: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [0, 5]] };
  assert.equal(topologyDistance(triangles, cycle), 0);
  assert.throws(() => topologyDistance(c, { labels: ['stable'], edges: [[0, 3]] }), /b\.edges\[0\]/);
});

test('the hand-built flip-flop network: the same graph (distance 0) under another rotation and gains, not with two units', async () => {
  await initBackend({ print: false });
  const graphOf = (gains: number[], seed: number) => {
    const sys = selfExcitingUnits({ gains, seed });
    const rng = new Rng(seed);
    const k = gains.length;
    const x0 = { values: Float32Array.from({ length: 512 * k }, () => rng.uniformIn(-1.3, 1.3)), count: 512 };
    const fp = new FixedPointFinder(sys, { progress: false, maxIters: 5000 }).find(x0).fixedPoints;
    const g = fixedPointGraph(fp, topologyGraph(sys, fp));
    sys.dispose();
    return g;
  };
  const a = graphOf([2, 2.5, 3], 7);
  const b = graphOf([2.2, 3.1, 2.6], 8);
  assert.equal(a.labels.length, 27);
  assert.deepEqual(a.labels.filter((l) => l === 'stable').length, 8);
  // Every saddle with one unstable mode joins two corners: the cube's 12 edges at least.
  assert.ok(a.edges.length >= 24, `${a.edges.length} edges`);
  assert.equal(topologyDistance(a, b), 0);
  assert.equal(topologyDistance(a, relabel(a, 3)), 0);
  assert.ok(topologyDistance(a, graphOf([2, 3], 9)) > 0.1);
});

test('the distance matrix on the worker pool equals the pairs computed here', async () => {
  const graphs = [cube(), path(8), relabel(cube(), 5), path(4), { labels: ['stable'], edges: [] }];
  try {
    const D = await topologyDistanceMatrix(graphs, { jobs: 3 });
    for (let i = 0; i < graphs.length; i++) for (let j = 0; j < graphs.length; j++) {
      const expected = i === j ? 0 : topologyDistance(graphs[i], graphs[j]);
      assert.equal(D[i * graphs.length + j], expected, `(${i}, ${j})`);
    }
    assert.equal(D[0 * 5 + 2], 0);
  } finally {
    await closeDefaultPool();
  }
});
