/**
 * lib/meanfield: mean-field theory of random networks -- Gaussian averages
 * (trapezoid in z; closed forms for ReLU and erf), the stationary dynamical
 * mean-field theory of the random rate network (flow and Euler map), and the
 * two-site cavity theory of its cross-covariances, which gives the
 * participation-ratio dimension of its activity against g.
 *
 * Layering: meanfield imports core and circuits (the nonlinearity table).
 *
 *   const dmft = stationaryDmft({ g: 2 });               // Delta(tau) on a lag grid, tolerance 1e-10
 *   const pr = participationRatioTheory(dmft);           // pr.prX, pr.prPhi: PR / N
 */
export { closedFormAverage, closedFormPairAverage, gaussianAverage, gaussianPairAverage, normalGrid } from './gaussian';
export type { ClosedFormName, QuadratureOptions } from './gaussian';
export { defaultLagTime, energyVariance, stationaryDmft } from './dmft';
export type { StationaryDmft, StationaryDmftOptions } from './dmft';
export { participationRatioAgainstG, participationRatioTheory } from './dimension';
export type { ParticipationRatioTheory } from './dimension';
