/**
 * lib/linear: exact learning dynamics of deep linear networks and the theory
 * of their generalization (Saxe, McClelland & Ganguli 2014, arXiv 1312.6120,
 * and 2019, arXiv 1810.10531; Lampinen & Ganguli 2019, arXiv 1809.10374).
 *
 * - dense.ts: float64 dense matrices, the covariance loss, mode projections,
 *   the Eckart-Young floor (shared with lib/rules' LDFA linear theory);
 * - modes.ts: the mode strength u(t) of a singular mode in a network of any
 *   depth from small balanced initialisation (closed forms for depth 1, 2),
 *   its transition time;
 * - simulate.ts: gradient descent on deep linear networks beside it;
 * - hierarchy.ts: item-feature data from branching diffusion on a tree, with
 *   exceptions, and the tree's level-wise modes;
 * - similarity.ts: representational similarity of hidden layers;
 * - generalization.ts: teacher modes imprinted on noisy data (spiked random
 *   matrices), train and test error against time, optimal shrinkage,
 *   transfer between two tasks.
 *
 * Layering: linear imports core only; lib/rules' LDFA theory imports it.
 */
export {
  checkDense, completeBasis, dense, frobeniusDistanceSquared, fromMatrix, matmul, modeProjections, quadraticLoss, randomNormal, randomOrthonormal,
  rankOptimalLoss, toMlMatrix, trace, transpose,
} from './dense';
export type { DenseMatrix } from './dense';
export { deepModeStrengths, modeStrength, modeTransitionTime, shallowModeStrength } from './modes';
export { simulateLinearNetwork } from './simulate';
export type { LinearNetworkOptions, LinearNetworkRecord, LinearNetworkResult } from './simulate';
export { hierarchicalData, treeLevelEigenvalues, treeModes } from './hierarchy';
export type { HierarchicalData, HierarchyOptions, TreeModes } from './hierarchy';
export { modeSimilarity, representationalSimilarity, similarityDistance } from './similarity';
export {
  bulkEdge, bulkQuadrature, detectionThreshold, generalizationTheory, marchenkoPasturDensity, noisyTeacher, optimalShrinkage, optimalStopping, shrinkageError,
  shrinkSingularValue, spectralStudentErrors, spikedOverlaps, spikedSingularValue, transferTask, transferTheory,
} from './generalization';
export type {
  BulkQuadrature, GeneralizationCurves, GeneralizationOptions, NoisyTeacher, NoisyTeacherOptions, SpectralStudentOptions, SpikedOverlaps, TransferCurves,
  TransferOptions, TransferTask,
} from './generalization';
