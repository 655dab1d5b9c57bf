/**
 * Representational similarity of a linear network's hidden layer (Saxe,
 * McClelland & Ganguli, PNAS 2019, arXiv 1810.10531).
 *
 * With one-hot items the hidden representation of item i is column i of
 * H = W_l ... W_1, and the similarity matrix is the Gram matrix H^T H
 * (items x items). For a balanced network (W_2^T W_2 = W_1 W_1^T, which
 * small initialisation keeps to within its scale) trained on Syx = U S V^T,
 * the two-layer product is W_2 W_1 = U A(t) V^T and
 *   H^T H = W_1^T W_1 = V A(t) V^T
 * (modeSimilarity): it depends on the mode strengths only, not on the hidden
 * basis, the width or the seed -- the paper's account of similarity conserved
 * across networks. similarityDistance compares two such matrices,
 * ||S1 - S2||_F / ||S2||_F.
 */
import { ArgumentError, checkFinite } from '../core';
import { checkDense, dense, DenseMatrix, frobeniusDistanceSquared, matmul } from './dense';

/** The Gram matrix H^T H of representations stored as columns of H (units x items). */
export function representationalSimilarity(H: DenseMatrix): DenseMatrix {
  const h = checkDense('H', H);
  return matmul(h, h, true, false);
}

/** V diag(a) V^T for the item-side singular vectors V (items x k) and mode strengths a (k values). */
export function modeSimilarity(V: DenseMatrix, strengths: ArrayLike<number>): DenseMatrix {
  const v = checkDense('V', V);
  if (!strengths || strengths.length !== v.cols) throw new ArgumentError('strengths', `${v.cols} mode strengths (one per column of V)`, strengths);
  checkFinite('strengths', strengths);
  const Va = dense(v.rows, v.cols, v.data.map((x, k) => x * strengths[k % v.cols]));
  return matmul(Va, v, false, true);
}

/** ||S1 - S2||_F / ||S2||_F. */
export function similarityDistance(S1: DenseMatrix, S2: DenseMatrix): number {
  const b = checkDense('S2', S2);
  const a = checkDense('S1', S1, b.rows, b.cols);
  const norm = frobeniusDistanceSquared(b);
  if (!(norm > 0)) throw new ArgumentError('S2', 'a non-zero matrix', 'all zeros');
  return Math.sqrt(frobeniusDistanceSquared(a, b) / norm);
}
