/**
 * lib/cnmf: convolutive nonnegative matrix factorisation.
 *
 *   X (N x T) ~ Xhat = sum_{l=0}^{L-1} W_l shift_l(H),   W_l = W[:, :, l] (N x K),  H (K x T)
 *
 * shift_l moves H right by l columns with zero fill. Three solvers as Degleris,
 * Antin, Ganguli & Williams (2019, arXiv 1907.00139) built them -- multiplicative
 * updates (MU), HALS with the residual kept in memory, ANLS with block principal
 * pivoting NNLS -- plus seqNMF (Mackevicius, Bahle et al. 2019, eLife 8:e38471):
 * x-ortho and orthogonality penalties, a cross-validation mask, factor shifting
 * and normalisation, and its significance test. The ANLS steps solve their
 * nonnegative least squares with lib/core's batched NNLS (`nnlsGram`), the
 * project's one home of convex solvers; the pool jobs and the notebook's
 * statistics and figures live in lib/studies/convolutive-nmf.
 *
 * Layouts (all row-major Float64Array):
 *   X      N x T, entry (n, t) at n*T + t
 *   W      lag-major L x N x K, entry (n, k, l) at (l*N + n)*K + k, so that each
 *          W_l is a contiguous N x K matrix the GEMM takes directly
 *   H      K x T, entry (k, t) at k*T + t
 *
 * Precision: everything is float64. NNLS (ANLS) solves normal equations whose
 * condition number is the square of the data's, and HALS updates its residual
 * by millions of rank-one corrections without recomputing it; in float32 both
 * drift by ~1e-4 relative, visibly above the loss differences the solvers are
 * compared on. The BLAS runs dgemm, about half of sgemm's speed.
 */
export type { DenseMatrix, DenseMatrixLike } from './model';
export { toDenseMatrix, reconstruct, transposeConvolve, relativeLoss, motif } from './model';
export type { CnmfSolver, CnmfOptions, CnmfResult } from './solvers';
export { CNMF_SOLVERS, initialFactors, cnmf, cnmfStep } from './solvers';
export type { SyntheticOptions } from './synthetic';
export { syntheticSequences } from './synthetic';
export type { SeqNmfOptions, SeqNmfResult, SignificanceOptions, SignificanceResult } from './seqnmf';
export { shiftFactors, seqNMF, seqNmfCosts, significanceTest } from './seqnmf';
