/**
 * How well a labelling separates items given only their pairwise distances:
 * the silhouette (Rousseeuw 1987). For item i in cluster C(i),
 *
 *   a(i) = mean distance from i to the other members of C(i)
 *   b(i) = min over other clusters C' of the mean distance from i to C'
 *   s(i) = (b(i) - a(i)) / max(a(i), b(i))      in [-1, 1]
 *
 * s(i) = 0 for an item alone in its cluster, and when a(i) = b(i) = 0
 * (items at distance 0 from everything: no separation). The score is the
 * mean of s(i): near 1 for tight separated clusters, near 0 when the
 * labels do not organise the distances, negative when they cut across them.
 *
 * Exports: silhouette, Silhouette.
 */
import { ArgumentError, checkFinite, checkInteger } from '../core';

export interface Silhouette {
  /** Mean s(i) over all items. */
  score: number;
  /** s(i) per item. */
  perItem: Float64Array;
}

/** Silhouette of `labels` (one per item) on a flat n x n distance matrix. */
export function silhouette(distances: ArrayLike<number>, n: number, labels: readonly (string | number)[]): Silhouette {
  checkInteger('n', n, 2);
  if (distances == null || distances.length !== n * n) throw new ArgumentError('distances', `a flat n x n = ${n * n} matrix`, distances);
  checkFinite('distances', distances);
  if (!Array.isArray(labels) || labels.length !== n) throw new ArgumentError('labels', `${n} labels (one per item)`, labels);
  const groups = [...new Set(labels)];
  if (groups.length < 2) throw new ArgumentError('labels', 'at least two different labels', labels);
  const perItem = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const sum = new Map<string | number, { s: number; c: number }>();
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const g = sum.get(labels[j]) ?? { s: 0, c: 0 };
      g.s += distances[i * n + j];
      g.c++;
      sum.set(labels[j], g);
    }
    const own = sum.get(labels[i]);
    if (!own) continue; // alone in its cluster: s = 0
    const a = own.s / own.c;
    let b = Infinity;
    for (const [g, v] of sum) if (g !== labels[i]) b = Math.min(b, v.s / v.c);
    const m = Math.max(a, b);
    perItem[i] = m > 0 ? (b - a) / m : 0;
  }
  return { score: perItem.reduce((s, v) => s + v, 0) / n, perItem };
}
