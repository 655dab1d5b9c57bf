/**
 * lib/circuits: continuous-time rate circuits -- random rate networks (flow
 * and Euler map, i.i.d. or partially symmetric Gaussian couplings), their
 * matrix-free tangent maps for lib/dynamics' Lyapunov spectra, and the
 * nonlinearity table (phi, phi', phi'', primitive) shared with lib/meanfield.
 *
 * Layering: circuits imports core and dynamics (TangentSystem, trajectory);
 * meanfield imports circuits (the nonlinearities); nothing here imports a study.
 *
 *   const net = new RandomRateNetwork({ N: 1000, g: 2, seed: 1 });
 *   const sys = net.tangentSystem({ scheme: 'flow', dt: 0.1 });
 *   lyapunovSpectrum(sys, net.initialState(2), { k: 100, time: 200, dt: 0.1, transient: 100, frameTransient: 20 });
 */
export { NONLINEARITY_NAMES, erf, nonlinearity } from './nonlinearity';
export type { Nonlinearity, NonlinearityName } from './nonlinearity';
export { RandomRateNetwork } from './rate-network';
export type { RateNetworkOptions, RateScheme } from './rate-network';
