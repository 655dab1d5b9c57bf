/**
 * lib/geometry: representational geometry of neural activity -- the home of
 * every measure of the dimension, shape and similarity of a population's
 * states, for every study.
 *
 * Convention (all functions): a data matrix is a flat row-major array of
 * samples x dim -- one row per sample (condition, time point, trial), one
 * column per feature (neuron, unit); the number of samples is
 * length / dim. Columns are centred over the samples before anything else.
 * Sums that cancel run in float64; matrix products are GEMMs on lib/core's
 * native BLAS.
 *
 *   pca                     principal components with variance explained (pca.ts)
 *   cca, svcca              canonical correlations; SVCCA similarity = mean CCA of top PCs (similarity.ts)
 *   linearCka               linear centred kernel alignment (similarity.ts)
 *   ccaNullMeanSquare, ckaNullExpectation   their values for independent Gaussian data
 *   classicalMds            classical (Torgerson) MDS of a distance matrix (mds.ts)
 *   silhouette              how well labels separate items, from their distances (cluster.ts)
 *   participation ratio     of a spectrum, and its cross-block estimator from finite,
 *                           time-correlated simulations (participation-ratio.ts)
 *   manifoldCapacity        mean-field capacity, anchor radius and dimension of object manifolds, with
 *                           the centre-correlation removal; ball capacity; simulated (LP) capacity (manifold-capacity.ts)
 *   crossConditionGeneralisation, parallelismScore   abstraction scores of binary variables;
 *   representationalSimilarity, dissimilarityMatrix  RSA (abstraction.ts)
 *
 * Layering: geometry imports core only.
 */
export { pca } from './pca';
export type { Pca } from './pca';
export { cca, ccaNullMeanSquare, ckaNullExpectation, linearCka, svcca } from './similarity';
export type { Cca, CcaOptions, Svcca, SvccaOptions } from './similarity';
export { classicalMds } from './mds';
export { silhouette } from './cluster';
export type { Silhouette } from './cluster';
export type { Mds } from './mds';
export { crossBlockParticipationRatio, participationRatioOfSpectrum } from './participation-ratio';
export type { CrossBlockOptions, ParticipationRatioEstimate } from './participation-ratio';
export {
  anchorPointAnalysis, ballCapacity, centreCorrelationSubspace, harmonicMean, linearlySeparable, manifoldCapacity, simulatedCapacity,
} from './manifold-capacity';
export type {
  AnchorPointAnalysis, AnchorPointOptions, CentreCorrelationOptions, CentreCorrelationSubspace, ManifoldCapacity, ManifoldCapacityOptions,
  SeparabilityOptions, SimulatedCapacity,
} from './manifold-capacity';
export { crossConditionGeneralisation, dissimilarityMatrix, parallelismScore, representationalSimilarity } from './abstraction';
