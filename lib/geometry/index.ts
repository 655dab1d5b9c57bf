/**
 * lib/geometry: representational geometry of neural activity -- measures of
 * the dimension and shape of a population's states (and, as other studies
 * add them, PCA, CCA/SVCCA, CKA, MDS, RSA, manifold capacity).
 *
 * Now: the participation ratio of a spectrum and its cross-block estimator
 * from finite, time-correlated simulations (unbiased numerator and
 * denominator, jackknife standard error).
 *
 * Layering: geometry imports core only.
 */
export { crossBlockParticipationRatio, participationRatioOfSpectrum } from './participation-ratio';
export type { CrossBlockOptions, ParticipationRatioEstimate } from './participation-ratio';
