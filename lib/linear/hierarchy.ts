/**
 * Hierarchically structured item-feature data (Saxe, McClelland & Ganguli,
 * PNAS 2019, arXiv 1810.10531): a tree of depth D with branching B has
 * P = B^D leaves, the items. Each feature is a +-1 value drawn at the root
 * (+1 or -1 with probability 1/2) and passed down every edge, flipping with
 * probability `flipProb` (eps) on each edge; an item's value is its leaf's.
 *
 * Expected item covariance over features: with rho = 1 - 2 eps and two
 * leaves whose lowest common ancestor is at depth k, E[y_i y_j] = rho^(2(D-k)).
 * Its eigenvectors are the tree's level-wise contrasts (treeModes): level 0
 * the constant vector; level l >= 1, for each node at depth l-1, B-1
 * Helmert contrasts between its B child subtrees. Eigenvalue of level l:
 *   lambda_l = S_l - [l >= 1] B^(D-l) rho^(2(D-l+1)),
 *   S_l = 1 + sum_(k=l)^(D-1) (B-1) B^(D-k-1) rho^(2(D-k))
 * (S_l sums the covariance over the leaves of the depth-l subtree holding
 * item i; the second term is one sibling subtree's sum). lambda_l falls with
 * l, so with F features the singular values of the feature-item matrix are
 * near sqrt(F lambda_l), ordered by level: coarse distinctions first.
 *
 * Exceptions: an exception {item, level} appends one feature that is +1 on
 * the items of the item's ancestor at depth `level` (its category), -1 on
 * every other item, and -1 on the item itself: a feature typical of the
 * category that the item lacks (the case that shows a transient illusion).
 */
import { ArgumentError, checkInteger, checkNumber, Rng } from '../core';
import { dense, DenseMatrix } from './dense';

export interface HierarchyOptions {
  /** Tree depth D (default 3) and branching B (default 2): B^D items. */
  depth?: number;
  branching?: number;
  /** Sampled features (default 1000). */
  features?: number;
  /** Flip probability per edge (default 0.15). */
  flipProb?: number;
  /** Appended exception features (header). */
  exceptions?: readonly { item: number; level: number }[];
  seed?: number;
}

export interface HierarchicalData {
  /** Features x items, +-1 (sampled features first, then one row per exception). */
  features: DenseMatrix;
  items: number;
  depth: number;
  branching: number;
  /** Row index of each exception's feature. */
  exceptionRows: number[];
}

function checkTree(depth: number, branching: number): void {
  checkInteger('depth', depth, 1, 12);
  checkInteger('branching', branching, 2, 16);
  if (Math.pow(branching, depth) > 4096) throw new ArgumentError('depth', `branching^depth at most 4096 items`, `${branching}^${depth}`);
}

/** Branching-diffusion item-feature data (header). */
export function hierarchicalData(options: HierarchyOptions = {}): HierarchicalData {
  const depth = options.depth ?? 3;
  const branching = options.branching ?? 2;
  checkTree(depth, branching);
  const F = checkInteger('features', options.features ?? 1000, 0, 1e6);
  const eps = checkNumber('flipProb', options.flipProb ?? 0.15, 0, 0.5);
  const seed = checkInteger('seed', options.seed ?? 0, 0);
  const exceptions = (options.exceptions ?? []).map((e, i) => ({
    item: checkInteger(`exceptions[${i}].item`, e?.item, 0, Math.pow(branching, depth) - 1),
    level: checkInteger(`exceptions[${i}].level`, e?.level, 0, depth - 1),
  }));
  const P = Math.pow(branching, depth);
  const rows = F + exceptions.length;
  if (rows === 0) throw new ArgumentError('features', 'at least one feature (or an exception)', F);
  const Y = dense(rows, P);
  const rng = new Rng(seed);
  for (let f = 0; f < F; f++) {
    // Level by level: the values of the nodes at the current depth.
    let level = new Float64Array([rng.uniform() < 0.5 ? 1 : -1]);
    for (let k = 0; k < depth; k++) {
      const next = new Float64Array(level.length * branching);
      for (let a = 0; a < level.length; a++) for (let c = 0; c < branching; c++) next[a * branching + c] = rng.uniform() < eps ? -level[a] : level[a];
      level = next;
    }
    Y.data.set(level, f * P);
  }
  const exceptionRows: number[] = [];
  exceptions.forEach((e, i) => {
    const size = Math.pow(branching, depth - e.level); // leaves under the category
    const start = Math.floor(e.item / size) * size;
    const row = F + i;
    for (let j = 0; j < P; j++) Y.data[row * P + j] = j >= start && j < start + size && j !== e.item ? 1 : -1;
    exceptionRows.push(row);
  });
  return { features: Y, items: P, depth, branching, exceptionRows };
}

export interface TreeModes {
  /** Items x items, orthonormal columns, coarse levels first. */
  vectors: DenseMatrix;
  /** The level (0..D) of each column. */
  levels: number[];
}

/** The tree's level-wise orthonormal contrasts (header). */
export function treeModes(depth: number, branching: number): TreeModes {
  checkTree(depth, branching);
  const P = Math.pow(branching, depth);
  const cols: Float64Array[] = [new Float64Array(P).fill(1 / Math.sqrt(P))];
  const levels = [0];
  for (let l = 1; l <= depth; l++) {
    const child = Math.pow(branching, depth - l); // leaves per child subtree
    for (let node = 0; node < Math.pow(branching, l - 1); node++) {
      const start = node * child * branching;
      for (let k = 1; k < branching; k++) {
        // Helmert: children 0..k-1 at +1, child k at -k, normalised.
        const v = new Float64Array(P);
        for (let c = 0; c < k; c++) for (let j = 0; j < child; j++) v[start + c * child + j] = 1;
        for (let j = 0; j < child; j++) v[start + k * child + j] = -k;
        const norm = Math.sqrt(child * (k + k * k));
        for (let j = 0; j < P; j++) v[j] /= norm;
        cols.push(v);
        levels.push(l);
      }
    }
  }
  const vectors = dense(P, P);
  cols.forEach((v, c) => { for (let j = 0; j < P; j++) vectors.data[j * P + c] = v[j]; });
  return { vectors, levels };
}

/** The expected item covariance's eigenvalue lambda_l per level l = 0..D (header), per feature. */
export function treeLevelEigenvalues(depth: number, branching: number, flipProb: number): number[] {
  checkTree(depth, branching);
  const rho = 1 - 2 * checkNumber('flipProb', flipProb, 0, 0.5);
  const B = branching;
  return Array.from({ length: depth + 1 }, (_, l) => {
    let S = 1;
    for (let k = l; k < depth; k++) S += (B - 1) * Math.pow(B, depth - k - 1) * Math.pow(rho, 2 * (depth - k));
    return l === 0 ? S : S - Math.pow(B, depth - l) * Math.pow(rho, 2 * (depth - l + 1));
  });
}
