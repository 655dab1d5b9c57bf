/**
 * lib/circuits: continuous-time rate circuits -- random rate networks (flow
 * and Euler map, i.i.d. or partially symmetric Gaussian couplings), their
 * matrix-free tangent maps for lib/dynamics' Lyapunov spectra, and the
 * nonlinearity table (phi, phi', phi'', primitive) shared with lib/meanfield;
 * general rate networks with inputs, readouts, output feedback and noise
 * (Euler, exponential Euler, RK4, Euler-Maruyama) over dense, sparse or
 * low-rank-plus-dense couplings; recursive least squares with one shared P;
 * FORCE and full-FORCE training; rate networks with plastic couplings
 * J = g J0 + A(t), tau_s dA/dt = -A + (k/N) phi phi^T (Clark & Abbott 2024), their
 * joint Jacobian and its reduced spectrum, and freezing (plasticity halted); the balanced
 * predictive-coding network (rank-one balancing feedback b, disorder g, private noise, a delay line;
 * an O(N) implicit step at g = 0) with its decoder (Kadmon, Timcheck & Ganguli 2020); balanced rate networks
 * (strong O(1/sqrt K) couplings, one Gaussian population or Dale's E/I, O(sqrt K) drive, common or
 * phase-randomised sinusoidal input; E and I currents; the largest Lyapunov exponent; Engelken et al. 2022);
 * current-based LIF networks (exponential synapses, refractoriness, Poisson input, filtered spike trains,
 * ISI CV and Fano factor) and Dale's-law least squares for all neurons at once (one Gram matrix, lib/core's
 * batched NNLS after sign flips) with the target-based training loop (Ingrosso & Abbott 2019).
 *
 * Layering: circuits imports core and dynamics (TangentSystem, trajectory);
 * meanfield imports circuits (the nonlinearities); nothing here imports a study.
 *
 *   const net = new RandomRateNetwork({ N: 1000, g: 2, seed: 1 });
 *   const sys = net.tangentSystem({ scheme: 'flow', dt: 0.1 });
 *   lyapunovSpectrum(sys, net.initialState(2), { k: 100, time: 200, dt: 0.1, transient: 100, frameTransient: 20 });
 *
 *   const readout = new Readout(1, 1000);
 *   const force = new RateNetwork({ coupling: sparseRandomCoupling({ N: 1000, p: 0.1, g: 1.5, seed: 1 }), readout, feedbackWeights });
 *   forceRun(force, x, { dt: 0.1, steps, target, rls: new RecursiveLeastSquares({ N: 1000, alpha: 1 }), learnEvery: 2 });
 */
export { NONLINEARITY_NAMES, erf, nonlinearity } from './nonlinearity';
export type { Nonlinearity, NonlinearityName } from './nonlinearity';
export { RandomRateNetwork, RateNetwork, Readout } from './rate-network';
export type { RateNetworkOptions, RateScheme, RateNetworkModel, Integrator, StepOptions } from './rate-network';
export { DenseCoupling, SparseCoupling, LowRankPlusDenseCoupling, sparseRandomCoupling } from './coupling';
export type { Coupling } from './coupling';
export { PlasticRateNetwork } from './plastic-network';
export type { FreezeOptions, FreezeResult, PlasticNetworkOptions, PlasticRun, PlasticStepOptions } from './plastic-network';
export { DelayLine, PredictiveCodingNetwork } from './predictive-coding';
export type { PredictiveCodingOptions, PredictiveCodingRun, PredictiveCodingRunOptions, PredictiveCodingScheme } from './predictive-coding';
export { RecursiveLeastSquares } from './rls';
export type { RlsOptions } from './rls';
export { forceRun, fullForceRun, normalizedError } from './force';
export type { ForceRunOptions, ForceRunResult, FullForceRunOptions } from './force';
export { BalancedNetwork, inputPhases } from './balanced-network';
export type { BalancedCurrents, BalancedModel, BalancedNetworkOptions, BalancedRun, InputPhases, LargestLyapunov, LargestLyapunovOptions, SineInput } from './balanced-network';
export { LifNetwork, isiCv, lifRate, spikeCountFano } from './lif-network';
export type { LifNetworkOptions, LifRun, LifRunOptions } from './lif-network';
export { SignConstrainedFit, signViolations, trainByTarget } from './sign-constrained-training';
export type { SignConstrainedFitOptions, TargetTrainingOptions, TargetTrainingRecord, TargetTrainingResult } from './sign-constrained-training';
