/**
 * lib/tensor: dense and Kruskal (CP) tensors, CP-ALS (masked for missing
 * entries), nonnegative CP (HALS, ANLS), ensembles and factor similarity
 * (tensortools' conveniences, Williams et al. 2018); Bayesian approximate
 * message passing for low-rank tensors of any order, shape and rank with
 * Gaussian, sparse (Gauss-Bernoulli) and nonnegative priors, its state
 * evolution, the Bethe free energy of its fixed points and the phase
 * thresholds (Kadmon & Ganguli, NeurIPS 2018, arXiv:1810.10065).
 *
 * Dense tensors are flat row-major Float32Array / Float64Array buffers with a
 * shape; every contraction (unfolding times Khatri-Rao product, mode product)
 * is one GEMM on lib/core's native BLAS. Factors are Float64Array (N_a x r,
 * row-major). The equations are in each file's header: dense.ts, cp.ts,
 * priors.ts, amp.ts, state-evolution.ts.
 */
export type { DenseTensor } from './dense';
export { denseTensor, tensorSize, unfold, fold, khatriRao, mttkrp, modeProduct, tensorNorm, innerProduct } from './dense';
export type { KruskalTensor, CpOptions, CpResult, NonnegativeCpOptions, EnsembleOptions, CpEnsemble, FactorSimilarity } from './cp';
export { kruskalTensor, randomKruskal, kruskalFull, kruskalNorm, componentWeights, rebalance, cpAls, cpNonnegative, cpEnsemble, factorSimilarity } from './cp';
export type { Prior } from './priors';
export { PRIOR_KINDS, priorMoments, samplePrior } from './priors';
export type { PlantedOptions, PlantedTensor, AmpOptions, AmpResult } from './amp';
export { plantedTensor, amp } from './amp';
export type { ScalarChannel, QuadratureSettings, StateEvolutionOptions, StateEvolutionResult, Phase, PhasePoint, PhaseOptions, PhaseThresholds } from './state-evolution';
export { scalarChannel, stateEvolution, betheFreeEnergy, phasePoint, phaseThresholds } from './state-evolution';
