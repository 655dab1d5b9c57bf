/**
 * lib/meanfield: mean-field theory of random networks -- Gaussian averages
 * (trapezoid in z; closed forms for ReLU and erf), the stationary dynamical
 * mean-field theory of the random rate network (flow and Euler map), and the
 * two-site cavity theory of its cross-covariances, which gives the
 * participation-ratio dimension of its activity against g; the replica capacity alpha_c and balanced
 * capacity alpha_b of sign-constrained perceptrons, and those perceptrons at finite N (max-margin
 * solutions on lib/core's quadraticProgram, the noisy balancing learning rule, noise error rates), and
 * attractor-memory networks built from them (one perceptron solve per unit; basins and stability under noise);
 * the Monte-Carlo single-site DMFT of networks with plastic couplings (Clark & Abbott 2024), whose Hebbian
 * self-coupling through the unit's own past makes the single-site process non-Gaussian; the mean-field bias
 * and fluctuation theory of the balanced predictive-coding network (Kadmon et al. 2020); the non-stationary
 * two-time DMFT of the sinusoidally driven balanced ReLU network with its largest Lyapunov exponent, for
 * common input and (per phase) independent input (Engelken et al. 2022).
 *
 * `fft` (in place, radix 2) is exported for lib/vision's 2-D transforms.
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
export { nonstationaryDmft, reluMoments, reluPairAverages } from './nonstationary-dmft';
export type { NonstationaryDmft, NonstationaryDmftOptions } from './nonstationary-dmft';
export { plasticDmft } from './plastic-dmft';
export type { PlasticDmft, PlasticDmftOptions, PlasticDmftPhase } from './plastic-dmft';
export { criticalLoopGain, decoderFluctuations, optimalBalance, predictiveCodingMeanField } from './predictive-coding';
export type { DecoderFluctuations, PredictiveCodingMeanField, PredictiveCodingMeanFieldOptions } from './predictive-coding';
export { participationRatioAgainstG, participationRatioTheory } from './dimension';
export type { ParticipationRatioTheory } from './dimension';
export { capacityAgainstExcitatoryFraction, capacityOrderParameter, gardnerCapacity, gaussianTail, signConstrainedCapacity } from './perceptron-capacity';
export type { CapacityOrderParameter, SignConstrainedCapacity } from './perceptron-capacity';
export {
  balancedPerceptronLearning, capacityFromSeparability, maxInputMargin, maxOutputMargin, noiseErrorRate, perceptronSolution, randomPatterns, separableFraction,
} from './sign-constrained-perceptron';
export type { LearningOptions, LearningRecord, MarginOptions, PerceptronPatterns, PerceptronSolution, RandomPatternOptions } from './sign-constrained-perceptron';
export { buildMemoryNetwork, distortMemory, memoryFieldMargins, randomMemories, retrievalFraction, runMemoryDynamics } from './attractor-memory';
export type { BuildOptions, DynamicsOptions, DynamicsRun, MemoryNetwork, MemoryOptions, MemoryPatterns, RetrievalOptions } from './attractor-memory';
export { fft } from './fft';
